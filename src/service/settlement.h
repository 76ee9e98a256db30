/*
 * settlement.h - the télécollecte (SPEC §7, Vision manual §5): every transaction to send whose
 * bank day has come goes into one batch per contract. The batch is opened in one transaction,
 * filled in others, a chunk of its transactions at a time (their new status, their history
 * lines, the batch's totals), and finished in a last one with its daily report mail: the
 * server's payments take the write lock between two chunks, so a million due transactions do
 * not stop the merchant API for seconds. Then its bank file is written from the finished
 * batch (temporary file, fsync, rename).
 *
 * Idempotent and crash-safe: killed anywhere, a run again finishes the batch left open, finds
 * the contracts not yet closed and the files not yet written; no transaction is ever in two
 * batches, and a batch is in the journal and gets its file only once finished.
 */
#ifndef GUICHET_SETTLEMENT_H
#define GUICHET_SETTLEMENT_H

#include <stdio.h>

#include "store/store.h"

/* A test environment's batches (docs/ENVIRONMENTS.md) have their files in bank_dir with this
 * suffix ("spool/bank-test"), never in the bank's folder. */
#define SETTLEMENT_TEST_SUFFIX "-test"

/* The transactions a batch's fill sends in one transaction (settlement_run's chunk 0), the
 * most a run takes, and the pause after each chunk, in which a writer waiting for the lock
 * (the server's: it tries every millisecond) takes it. */
#define SETTLEMENT_CHUNK     1000
#define SETTLEMENT_CHUNK_MAX 1000000
#define SETTLEMENT_PAUSE_NS  2000000

/* Runs the settlement of day (day number) at now_us on a writing connection, writing the bank
 * files under bank_dir (a test environment's under bank_dir SETTLEMENT_TEST_SUFFIX), the
 * simulator's return file of each under returns_dir (NULL: none; service/reconcile.h) and one
 * line per batch to out (may be NULL), chunk transactions sent a transaction (0:
 * SETTLEMENT_CHUNK). Returns ST_OK, or the first failure (what was committed before it
 * stays). */
int settlement_run(struct store *st, int64_t day, int64_t now_us, const char *bank_dir,
                   const char *returns_dir, int chunk, FILE *out) WUR;

#endif
