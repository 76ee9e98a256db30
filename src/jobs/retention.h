/*
 * retention.h - the job that deletes what is kept only for a time: idempotency keys older
 * than 24 h (SPEC §4: kept at least 24 h) and merchant API error log entries older than
 * 3 days (SPEC §14: the errors of the last 3 days), and the card data of transactions older
 * than their account's retention of payment data (SPEC §5, §14: 45 to 540 days per account;
 * the rule is domain/retention.h): their sealed card number and fingerprint are erased, the
 * transaction stays; and the sealed bodies of mails that failed more than
 * LIMIT_MAIL_FAILED_KEEP_S ago (kept until then for an administrator's retry). Every
 * LIMIT_RETENTION_EVERY_S seconds by default, through the writer, in
 * batches of at most LIMIT_RETENTION_BATCH rows deleted and LIMIT_RETENTION_CARDS cards
 * erased, one after the other with a pause between them, so payments queued meanwhile go
 * between two batches. What is gone is not looked at again: a round after another does
 * nothing more.
 */
#ifndef GUICHET_RETENTION_H
#define GUICHET_RETENTION_H

#include "common/status.h"
#include "work/periodic.h"

#define RETENTION_PAUSE_MS 5 /* between two full batches */

/* Starts the job: a round at once, then one every every_s seconds (1 or more); its writes go
 * to w, which must outlive it; periodic_stop stops it. Returns ST_OK or ST_INTERNAL. */
int retention_start(struct work *w, int every_s, struct periodic **out) WUR;

#endif
