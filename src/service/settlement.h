/*
 * settlement.h - the télécollecte (SPEC §7, Vision manual §5): every transaction to send whose
 * bank day has come goes into one batch per contract; the batch is closed in one transaction
 * with its transactions' new status, its history lines and its daily report mail; then its
 * bank file is written from the committed batch (temporary file, fsync, rename).
 *
 * Idempotent and crash-safe: killed anywhere, a run again finds the contracts not yet closed
 * and the files not yet written; no transaction is ever in two batches.
 */
#ifndef GUICHET_SETTLEMENT_H
#define GUICHET_SETTLEMENT_H

#include <stdio.h>

#include "store/store.h"

/* A test environment's batches (docs/ENVIRONMENTS.md) have their files in bank_dir with this
 * suffix ("spool/bank-test"), never in the bank's folder. */
#define SETTLEMENT_TEST_SUFFIX "-test"

/* Runs the settlement of day (day number) at now_us on a writing connection, writing the bank
 * files under bank_dir (a test environment's under bank_dir SETTLEMENT_TEST_SUFFIX), the
 * simulator's return file of each under returns_dir (NULL: none; service/reconcile.h) and one
 * line per batch to out (may be NULL). Returns ST_OK, or the
 * first failure (what was committed before it stays). */
int settlement_run(struct store *st, int64_t day, int64_t now_us, const char *bank_dir,
                   const char *returns_dir, FILE *out) WUR;

#endif
