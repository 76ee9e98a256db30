/*
 * hmac_expiry.h - the job that tells a shop's HMAC managers and administrators by e-mail that
 * its active HMAC key expired (SPEC §11 "HMAC key": a year after its activation; it keeps
 * working, and Home warns too, GET /bo/api/notices). Once per key: the store remembers the
 * mail was queued (migration 018), in the same transaction as the mails.
 *
 * A round when the server starts, then one every HMAC_EXPIRY_EVERY_S, through the writer: a
 * key that expires while the server runs is told within the hour, one that expired while it
 * was stopped at its start. Not the scheduler's télécollecte (jobs/scheduler.c), which may be
 * turned off (--batch-time off) while keys still expire.
 */
#ifndef GUICHET_HMAC_EXPIRY_H
#define GUICHET_HMAC_EXPIRY_H

#include "common/status.h"
#include "work/periodic.h"

#define HMAC_EXPIRY_EVERY_S 3600
#define HMAC_EXPIRY_BATCH   100 /* keys told in one transaction; the next round goes on */

/* Starts the job; its writes go to w, which must outlive it; periodic_stop stops it. ST_OK or
 * ST_INTERNAL. */
int hmac_expiry_start(struct work *w, struct periodic **out) WUR;

#endif
