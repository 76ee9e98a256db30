/*
 * scheduler.h - the timed jobs of guichetd serve: the télécollecte (SPEC §7) at a configured
 * Paris time, the recurring payments' round (SPEC §9: every installment and subscription
 * debit due today, service/recurring.h) at start and then at an interval, and the bank
 * reconciliation's round (service/reconcile.h: the acquirer's return files of spool/returns
 * whose day has come imported, every 5 s; the 7-day rule, every minute) from the start. A day whose time
 * has passed without a run (the server was down) is run when the server starts: the
 * settlement is idempotent, so a run too many does nothing. On a database several servers
 * share, each job runs on the one server that leads it (store_ops.lead), another taking it
 * over at its next look when that one stops.
 *
 * It writes with its own connection, beside the writer thread, as `guichetd batch run` does:
 * a settlement is one long job that must not hold the payments' writer; SQLite serializes the
 * two writers' transactions (each batch is one short transaction).
 */
#ifndef GUICHET_SCHEDULER_H
#define GUICHET_SCHEDULER_H

#include "common/status.h"

struct scheduler;
struct crypto_keys;

/* Starts the jobs: the settlement of each day at minute_of_day (Paris, 0..1439; -1: none),
 * bank files under spool_dir/bank, its report mails sealed with keys (lent; they outlive the
 * job); a recurring round every recurring_every_s seconds (0: none). Returns ST_OK or
 * ST_STORE. */
int scheduler_start(const char *db_path, const char *spool_dir, int minute_of_day,
                    int recurring_every_s, const struct crypto_keys *keys,
                    struct scheduler **out) WUR;

/* Stops it (a run in progress finishes first) and frees it. NULL does nothing. */
void scheduler_stop(struct scheduler *s);

#endif
