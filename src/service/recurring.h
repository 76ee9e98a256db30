/*
 * recurring.h - the use cases of card aliases, installment plans and subscriptions (SPEC §9,
 * §16.1), shared by the merchant API, the virtual terminal, the scheduler's job and
 * `guichetd recurring run`. Not HTTP: callers parse and render.
 *
 * Exactly once: a debit is made by recurring_step, which writes the transaction, the debit's
 * row and the recurring's progress in the caller's transaction, the progress only if nobody
 * moved it meanwhile (store_ops.recurring_update's compare-and-set): a second round, another
 * server or a termination that came first leaves nothing of this one.
 */
#ifndef GUICHET_SERVICE_RECURRING_H
#define GUICHET_SERVICE_RECURRING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "service/payments.h"

/* The card of a request: a number given (digits set) or an alias (alias set). */
struct card_source {
	char alias[ALIAS_LEN + 1];        /* "" when a number is given */
	char digits[CARD_DIGITS_MAX + 1]; /* wiped by the caller */
	char expiry[5];                   /* MMYY */
	int expiry_month, expiry_year;
	enum card_method method;
};

/* Makes an alias of a card for the brand (shop_id: the shop asking) at now_us. */
int alias_create(struct store *st, const struct crypto_keys *keys, int64_t brand_id,
                 int64_t shop_id, const struct card_source *card, bool implicit, int64_t now_us,
                 struct card_alias *out) WUR;

/* Fills rq's card (digits, expiry, method) from the brand's alias name. ST_REFUSED with *why
 * "unknown_alias" (unknown, deleted or another brand's) or "alias_expired" (its card expired
 * at now_us); ST_STORE. */
int alias_card(struct store *st, const struct crypto_keys *keys, int64_t brand_id,
               const char *alias, int64_t now_us, struct payment_request *rq,
               struct card_alias *out, const char **why) WUR;

/* The debit a plan makes at its creation when the buyer is there to pay it (the hosted
 * page): where it came from and the buyer's 3-D Secure challenge, in place of a recurring
 * debit's; and, back, the transaction it made (id 0: none). */
struct debit_first {
	enum txn_origin origin;
	bool tds_challenge_failed;
	struct txn made;
};

/* A plan or subscription to create, checked for form by the caller. */
struct recurring_request {
	int64_t brand_id;
	int64_t shop_id;
	enum recurring_kind kind;
	char currency[4];
	char order_ref[RECURRING_ORDER_REF_MAX + 1];
	char email[RECURRING_EMAIL_MAX + 1];
	char customer_country[3];
	struct card_source card;
	/* A plan: */
	struct installment installments[RECURRING_PLAN_MAX];
	int n;
	/* A subscription: */
	int64_t initial_amount, amount, count;
	int every_months, day_of_month;
	int64_t start_day;
	/* The virtual terminal: */
	bool manual;
	char archive_ref[41];
	const struct actor *who;   /* NULL: the merchant API */
	struct debit_first *first; /* NULL: the debit made at creation is a recurring one */
};

/* Creates a plan or subscription at now_us: checks its rules against today (Paris) and the
 * contract, keeps the card as an alias (the one given, or a new implicit one), writes it
 * with its debits, and makes at once every debit due today (a plan's first installment, a
 * subscription's initial amount and a debit starting today). ST_OK with *out (its status
 * says whether the first debit was accepted); ST_REFUSED with *why (nothing written):
 * "unknown_alias", "alias_expired", "no_contract", "card_expires_too_soon" and the rules'
 * codes "installments", "amount", "date" (plan_refusal), "subscription"; ST_STORE. */
int recurring_create(struct store *st, const struct crypto_keys *keys,
                     const struct acquirer_ops *acq, const struct recurring_request *rq,
                     int64_t now_us, struct recurring *out, const char **why) WUR;

/* What a round did. */
struct recurring_round_result {
	int64_t debits, accepted, refused, finished, failed;
};

/* Makes the next debit of recurring id if it is due by day (Paris), in the caller's
 * transaction (in a savepoint of its own): *made true when it made one (look again: more may
 * be due), false when nothing is due or another round or a termination came first. Counts
 * what it did in res (NULL: not counted). ST_OK, or a storage failure (the caller rolls
 * back). */
int recurring_step(struct store *st, const struct crypto_keys *keys, const struct acquirer_ops *acq,
                   int64_t brand_id, int64_t id, int64_t day, int64_t now_us, bool *made,
                   struct recurring_round_result *res) WUR;

/* What a round takes in one write transaction, and how long it leaves the lock free after. */
#define RECURRING_ROUND_BATCH    64
#define RECURRING_ROUND_PAUSE_NS 2000000

/* A scheduler round: every debit due by day, in write transactions of up to batch recurring
 * each (0: RECURRING_ROUND_BATCH; 256 at most), a pause after each, so that rounds on other
 * connections and the server's writer serialize with it and payments are not starved. Stops between two transactions once *stop is set (NULL: never). ST_OK,
 * or the first storage failure (what was committed stays; a new round goes on from there). */
int recurring_round(struct store *st, const struct crypto_keys *keys,
                    const struct acquirer_ops *acq, int64_t day, int batch, const atomic_bool *stop,
                    struct recurring_round_result *res) WUR;

/* Terminates a plan or subscription of kind (of the node's shops; node 0: any) with reason
 * at now_us: its planned debits cancelled. ST_NOTFOUND; ST_CONFLICT with *why "not_in_progress"
 * when already ended; ST_STORE. *out: the record after. */
int recurring_terminate(struct store *st, int64_t brand_id, int64_t node_id,
                        enum recurring_kind kind, int64_t id, const char *reason,
                        const struct actor *who, int64_t now_us, struct recurring *out,
                        const char **why) WUR;

#endif
