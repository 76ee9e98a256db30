/*
 * reconcile.h - the bank reconciliation journal (Vision manual §8, SPEC §8;
 * docs/RECONCILIATION.md): the simulator's return file of a batch written to the spool, a
 * return file imported (by the job from the spool, from the back office, from
 * `guichetd reconcile import`), and the 7-day rule.
 *
 * An import is idempotent per file: its digest (BLAKE2b-256 of its bytes) is kept, and the
 * same bytes imported again change nothing. A file with a bad line is refused whole. Each of
 * its lines is matched with the batch's transactions (domain/recon.h): matched, the
 * transaction's reconciliation is "yes" with the line's net amount and commission; another
 * amount, "error" and a mismatch in the queue; a line for no transaction of the batch, an
 * "unknown" mismatch; a transaction of the batch without a line, a "missing" one (its
 * reconciliation left to come, or to the 7-day rule).
 */
#ifndef GUICHET_RECONCILE_H
#define GUICHET_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/recon.h"
#include "store/store.h"

struct reconcile_result {
	bool already; /* imported before (file: that import's row): nothing changed */
	struct recon_file_row file;
	int64_t amount, unknown, missing; /* the mismatches of each kind */
	struct recon_file parsed;         /* on ST_INVALID: parsed.errors say why */
	const char *why;                  /* on ST_NOTFOUND: what was not found */
};

/* Imports the return file data (len bytes, called name) in the caller's write transaction,
 * at now; source "spool", "upload" or "cli", by the user's login (or ""). brand_id, node_id:
 * the importing user's (0, 0: any, as the command line and the job import): a file of
 * another brand, or of a batch outside the node, is ST_NOTFOUND as an unknown batch is.
 * ST_OK (res->already when imported before), ST_INVALID (res->parsed.errors), ST_NOTFOUND
 * (res->why), or the store's failure. */
int reconcile_import(struct store *st, const char *name, const char *data, size_t len,
                     const char *source, const char *by, int64_t brand_id, int64_t node_id,
                     int64_t now, struct reconcile_result *res) WUR;

/* The simulator's return file of batch b, into dir (made if need be): the acquirer's answer,
 * dated (its value date) the day after the batch's bank day. CB, VISA and MASTERCARD batches
 * only (the JRB's, Vision manual §8); others ST_OK with nothing written. With mismatches
 * (GUICHET_SIM_MISMATCHES=1, docs/RECONCILIATION.md) a batch of 3 debits or more gets its
 * deliberate three: the first debit a cent more, the last debit left out, a line for an
 * unknown transaction. Whole or not at all (temporary file, fsync, rename). */
int reconcile_return_write(struct store *st, const struct batch *b, const char *dir,
                           bool mismatches) WUR;

/* The acquirer's answer to batch b of a history written in bulk (guichetd demo), as the
 * simulator's return file imported on its value date would have written it: each of its
 * transactions reconciled, the batch's number as the JRB number, the simulator's commission
 * withheld from debits. CB, VISA and MASTERCARD batches whose value date (the day after their
 * bank day) has come by now only; others ST_OK with nothing written. */
int reconcile_history_batch(struct store *st, const struct batch *b, int64_t now) WUR;

/* Whether the environment asks the simulator for its deliberate mismatches. */
bool reconcile_sim_mismatches(void);

struct reconcile_spool_result {
	int imported, already, refused, waiting;
};

/* The import job's round: each return file of dir whose value date has come (Paris day of
 * now), imported in a transaction of its own on st (a writing connection), then moved into
 * dir/imported (or dir/refused, its errors logged). A store failure leaves the file for the
 * next round. */
int reconcile_spool_run(struct store *st, const char *dir, int64_t now,
                        struct reconcile_spool_result *res) WUR;

/* The 7-day rule (Vision manual §8.1.1): every CB, VISA, MASTERCARD transaction of a batch
 * sent after since and more than 7 days before now without a reconciliation is marked
 * ERROR, in one transaction on st. *marked: how many; *until: the cutoff used (the next
 * round's since). */
int reconcile_overdue(struct store *st, int64_t since, int64_t now, int64_t *marked,
                      int64_t *until) WUR;

#endif
