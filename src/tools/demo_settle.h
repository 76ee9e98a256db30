/*
 * demo_settle.h - what the demo history's nights left behind (SPEC §7, §8): the batches of
 * the télécollecte, the acquirer's reconciliation of them, and each contract's last
 * authorization, as the server's scheduler, reconciliation job and payments would have
 * written them.
 *
 * A sent debit or refund goes into its contract's batch of the night the télécollecte took it
 * (demo_settle_day): the batch's row is written when its first transaction comes, so that the
 * transaction names it at once (the history is written in bulk); its number (per contract,
 * 1, 2, … in bank-day order, as the télécollecte numbers them) and totals once the history is
 * done (demo_settle_finish), then its reconciliation.
 */
#ifndef GUICHET_DEMO_SETTLE_H
#define GUICHET_DEMO_SETTLE_H

#include <stdint.h>

#include "store/store.h"

/* The télécollecte's time, the server's default (--batch-at 22:00, Paris). */
#define DEMO_SETTLE_MINUTE (22 * 60)

struct demo_settle;

struct demo_settle *demo_settle_new(void);
void demo_settle_free(struct demo_settle *ds);

/* The instant of the télécollecte of Paris day `day`. */
int64_t demo_settle_at(int64_t day);

/* The day of the télécollecte that takes a transaction due on bank_day and ready to send
 * (accepted, captured, refunded) at ready: the first run at or after both. */
int64_t demo_settle_day(int64_t bank_day, int64_t ready);

/* Puts t (a debit or refund sent) in its contract's batch of day: t->batch_id set, the
 * batch's row written when it is the first. */
int demo_settle_take(struct demo_settle *ds, struct store *st, struct txn *t, int64_t day) WUR;

/* Notes t's authorization (an accepted payment) for its contract's last one. */
void demo_settle_auth(struct demo_settle *ds, const struct txn *t);

/* Once every transaction is written: the batches numbered and totalled, the ones whose value
 * date came by now reconciled, the contracts' last authorizations written. */
int demo_settle_finish(struct demo_settle *ds, struct store *st, int64_t now) WUR;

#endif
