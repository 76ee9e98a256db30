/*
 * order_files.h - the job that processes the files of payment orders (issue 15, "Batch files
 * of payment orders"; docs/ORDER-FILES.md), in rounds on the writer (work/periodic.h), one
 * file at a time, oldest first, on the server that leads it (a cluster's job: spec.once).
 *
 * A file goes received → checking (a round marks it) → processing (a round refuses the lines
 * whose merchant reference another file of the shop had accepted) → done, or done with errors
 * when a line was refused. Each processing round takes up to ORDER_FILES_BATCH pending lines
 * in line order; each line is decided through the payments' own use cases
 * (service/payments.c: payment_create, payment_operate) inside a savepoint, and its result
 * (accepted or refused, reason, transaction) written in the same transaction as the payment:
 * a server killed mid-round loses the round whole, payments and results together, and the
 * next round does those lines again. A line never pays twice; a refused line never stops the
 * others; a storage failure fails the round, tried again at the next.
 */
#ifndef GUICHET_JOB_ORDER_FILES_H
#define GUICHET_JOB_ORDER_FILES_H

#include "acquirer/acquirer.h"
#include "common/status.h"
#include "crypto/crypto.h"
#include "work/periodic.h"

#define ORDER_FILES_EVERY_S 2   /* a new file is taken within this */
#define ORDER_FILES_BATCH   200 /* lines of one round: one transaction */

/* What the rounds need; must outlive them. */
struct order_files_config {
	const struct crypto_keys *keys; /* the cards' seal, the shops' notification keys */
	const struct acquirer_ops *acq;
};

/* Starts the job; its writes go to w, which must outlive it; periodic_stop stops it. ST_OK or
 * ST_INTERNAL. */
int order_files_start(const struct order_files_config *cfg, struct work *w,
                      struct periodic **out) WUR;

#endif
