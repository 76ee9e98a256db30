/*
 * order_files.c - the files of payment orders processed (order_files.h): rounds on the writer.
 */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "domain/card.h"
#include "jobs/order_files.h"
#include "service/notify.h"
#include "service/payments.h"
#include "service/recurring.h"

struct round_job {
	struct periodic_job head;
	struct order_line lines[ORDER_FILES_BATCH];
	int n;     /* lines read */
	bool full; /* more to do at once */
};

static int
line_take(void *arg, const struct order_line *l)
{
	struct round_job *j = arg;

	if (j->n < ORDER_FILES_BATCH)
		j->lines[j->n++] = *l;
	return ST_OK;
}

/* The merchant's sentence for a refusal's code: the domain's for an operation's denial. */
static const char *
why_message(const char *why)
{
	static const struct {
		const char *code, *message;
	} rows[] = {
	        {"no_contract", "The shop has no active contract for this card's payment method."},
	        {"unknown_alias", "No such card alias: unknown, deleted, or of another account."},
	        {"alias_expired", "The card of this alias has expired."},
	        {"unknown_transaction", "No such transaction of the shop."},
	        {"card_unreadable", "The card could not be read back: upload the line again."},
	};

	for (size_t i = 0; why != NULL && i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(rows[i].code, why) == 0)
			return rows[i].message;
	for (int d = DENY_NONE + 1; why != NULL && d < DENY__COUNT; d++)
		if (strcmp(op_denial_code((enum op_denial)d), why) == 0)
			return op_denial_message((enum op_denial)d);
	return "The line was refused.";
}

static void
refuse(struct order_line *out, const char *why)
{
	snprintf(out->status, sizeof(out->status), "%s", "refused");
	snprintf(out->reason, sizeof(out->reason), "%s", why != NULL ? why : "refused");
	snprintf(out->message, sizeof(out->message), "%s", why_message(why));
}

/* A decided payment: accepted, or refused by the bank or the rules (recorded all the same). */
static void
decided(struct order_line *out, const struct txn *t)
{
	out->txn_id = t->id;
	if (t->status == TXS_ACCEPTED) {
		snprintf(out->status, sizeof(out->status), "%s", "accepted");
		return;
	}
	snprintf(out->status, sizeof(out->status), "%s", "refused");
	snprintf(out->reason, sizeof(out->reason), "%s",
	         t->refusal ? refusal_code(t->refusal) : txn_status_name(t->status));
	snprintf(out->message, sizeof(out->message), "%s",
	         t->refusal ? refusal_message(t->refusal) : "The payment was not accepted.");
}

/* A payment line: its card opened from its seal (or its alias's), decided, notified. */
static int
payment_line(const struct order_files_config *cfg, struct store *st, const struct order_line *l,
             int64_t now, struct order_line *out)
{
	struct payment_request rq;
	struct card_alias a;
	const char *why = NULL;
	struct txn t;
	int rc = ST_OK;

	memset(&rq, 0, sizeof(rq));
	rq.brand_id = l->brand_id;
	rq.shop_id = l->shop_id;
	rq.amount = l->amount;
	snprintf(rq.currency, sizeof(rq.currency), "%s", l->currency);
	snprintf(rq.order_ref, sizeof(rq.order_ref), "%s", l->reference);
	rq.capture_manual = strcmp(l->capture, "manual") == 0;
	rq.deferral_days = -1;
	rq.origin = ORIGIN_API;
	if (l->alias[0]) {
		rc = alias_card(st, cfg->keys, l->brand_id, l->alias, now, &rq, &a, &why);
	} else if (crypto_card_open(rq.digits, l->card_sealed, l->card_sealed_len, l->brand_id,
	                            cfg->keys) != ST_OK ||
	           card_expiry_parse(l->card_expiry, &rq.expiry_month, &rq.expiry_year) != 0) {
		why = "card_unreadable";
		rc = ST_REFUSED;
	} else {
		memcpy(rq.expiry, l->card_expiry, sizeof(rq.expiry));
		rq.method = card_method_detect(rq.digits);
	}
	if (rc == ST_OK)
		rc = payment_create(st, cfg->keys, cfg->acq, &rq, now, &t, &why);
	crypto_wipe(&rq, sizeof(rq));
	if (rc == ST_OK)
		rc = notify_shop_txn(st, cfg->keys, &t, NOTIFY_PAYMENT, now);
	if (rc == ST_OK)
		decided(out, &t);
	else if (rc == ST_REFUSED)
		refuse(out, why);
	return rc;
}

static const enum txn_op line_ops[] = {OP_CAPTURE, OP_CAPTURE, OP_REFUND, OP_CANCEL};

/* A capture, refund or cancel of a transaction of the file's shop. */
static int
operate_line(const struct order_files_config *cfg, struct store *st, const struct order_line *l,
             enum txn_op op, int64_t now, struct order_line *out)
{
	struct actor batch = {0, "Batch", ""};
	const char *why = NULL;
	struct txn t, rf;
	int rc;

	rc = payment_operate(st, l->brand_id, l->shop_id, l->target_id, op, l->amount, &batch, now,
	                     &t, &rf, &why);
	if (rc == ST_OK)
		rc = notify_shop_txn(st, cfg->keys, op == OP_REFUND ? &rf : &t, notify_event_of(op),
		                     now);
	if (rc == ST_OK) {
		snprintf(out->status, sizeof(out->status), "%s", "accepted");
		out->txn_id = op == OP_REFUND ? rf.id : t.id;
	} else if (rc == ST_NOTFOUND) {
		refuse(out, "unknown_transaction");
	} else if (rc == ST_CONFLICT || rc == ST_REFUSED || rc == ST_INVALID) {
		refuse(out, why);
		rc = ST_REFUSED;
	}
	return rc;
}

/* One line in its savepoint: what it did kept with its result, or a refusal with nothing
 * else. A storage failure fails the round (rolled back whole: the line is tried again). */
static int
line_run(const struct order_files_config *cfg, struct store *st, const struct order_line *l,
         int64_t now)
{
	struct order_line out = *l;
	int rc = st->ops->savepoint(st);

	if (rc != ST_OK)
		return rc;
	out.reason[0] = out.message[0] = '\0';
	out.done_at = now;
	if (strcmp(l->operation, "payment") == 0)
		rc = payment_line(cfg, st, l, now, &out);
	else if (strcmp(l->operation, "capture") == 0)
		rc = operate_line(cfg, st, l, line_ops[1], now, &out);
	else if (strcmp(l->operation, "refund") == 0)
		rc = operate_line(cfg, st, l, line_ops[2], now, &out);
	else if (strcmp(l->operation, "cancel") == 0)
		rc = operate_line(cfg, st, l, line_ops[3], now, &out);
	else
		rc = ST_INTERNAL;
	if (rc == ST_REFUSED || rc == ST_NOTFOUND) {
		st->ops->rollback_to(st);
		rc = st->ops->order_line_done(st, &out);
	} else if (rc == ST_OK) {
		rc = st->ops->release(st);
		if (rc == ST_OK)
			rc = st->ops->order_line_done(st, &out);
	} else {
		st->ops->rollback_to(st);
	}
	crypto_wipe(&out, sizeof(out));
	return rc;
}

/* The file's next step, or its lines of this round. */
static int
round_run(struct work_job *w, struct store *st)
{
	struct round_job *j = (struct round_job *)w;
	const struct order_files_config *cfg = j->head.arg;
	int64_t now = clock_now_us(), dup = 0;
	struct order_file f;
	int rc = st->ops->order_file_next(st, &f);

	if (rc == ST_NOTFOUND)
		return ST_OK;
	if (rc != ST_OK)
		return rc;
	j->full = true;
	if (strcmp(f.status, "received") == 0)
		return st->ops->order_file_status(st, f.brand_id, f.id, "checking", now);
	if (strcmp(f.status, "checking") == 0) {
		rc = st->ops->order_lines_duplicates(st, f.brand_id, f.id, now, &dup);
		if (rc == ST_OK)
			rc = st->ops->order_file_status(st, f.brand_id, f.id, "processing", now);
		return rc;
	}
	rc = st->ops->order_lines_each(st, f.brand_id, f.id, 0, ORDER_FILES_BATCH, true, line_take,
	                               j);
	for (int i = 0; rc == ST_OK && i < j->n; i++)
		rc = line_run(cfg, st, &j->lines[i], now);
	if (rc == ST_OK && j->n == 0) {
		rc = st->ops->order_file_get(st, f.brand_id, 0, f.id, &f);
		if (rc == ST_OK)
			rc = st->ops->order_file_status(st, f.brand_id, f.id,
			                                f.refused > 0 ? "done_with_errors" : "done",
			                                now);
		if (rc == ST_OK)
			log_info("event=order_file_done file=%lld lines=%lld accepted=%lld "
			         "refused=%lld",
			         (long long)f.id, (long long)f.lines, (long long)f.accepted,
			         (long long)f.refused);
	}
	crypto_wipe(j->lines, sizeof(j->lines));
	return rc;
}

static bool
round_done(struct work_job *w)
{
	struct round_job *j = (struct round_job *)w;

	if (w->rc != ST_OK)
		log_error("event=order_files_failed rc=%d hint=\"tried again next round\"", w->rc);
	return w->rc == ST_OK && j->full;
}

int
order_files_start(const struct order_files_config *cfg, struct work *w, struct periodic **out)
{
	struct periodic_spec spec = {
	        .job_size = sizeof(struct round_job),
	        .run = round_run,
	        .done = round_done,
	        .every_ms = ORDER_FILES_EVERY_S * 1000,
	        .pause_ms = 5,
	        .arg = (void *)cfg,
	        .name = "order_files",
	        .once = true,
	};

	return periodic_start(w, &spec, out);
}
