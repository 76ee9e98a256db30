/*
 * recurring.c - card aliases, installment plans and subscriptions (recurring.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "domain/calendar.h"
#include "service/notify.h"
#include "service/recurring.h"

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

int
alias_create(struct store *st, const struct crypto_keys *keys, int64_t brand_id, int64_t shop_id,
             const struct card_source *card, bool implicit, int64_t now_us, struct card_alias *out)
{
	unsigned char random[16];
	char hex[2 * sizeof(random) + 1];

	memset(out, 0, sizeof(*out));
	crypto_random(random, sizeof(random));
	crypto_hex(hex, random, sizeof(random));
	snprintf(out->alias, sizeof(out->alias), "al_%s", hex);
	out->brand_id = brand_id;
	out->shop_id = shop_id;
	out->method = card->method;
	card_mask(card->digits, out->card_masked);
	copy(out->card_expiry, sizeof(out->card_expiry), card->expiry);
	crypto_card_fingerprint(out->card_fp, keys, card->digits);
	out->card_sealed_len = crypto_card_seal(out->card_sealed, card->digits, brand_id, keys);
	out->implicit = implicit;
	out->created_at = now_us;
	return st->ops->alias_insert(st, out);
}

/* Opens alias a's card into rq. ST_REFUSED "unknown_alias" when its number is gone. */
static int
alias_open(const struct crypto_keys *keys, const struct card_alias *a, struct payment_request *rq,
           const char **why)
{
	if (crypto_card_open(rq->digits, a->card_sealed, a->card_sealed_len, a->brand_id, keys) !=
	    ST_OK) {
		*why = "unknown_alias";
		return ST_REFUSED;
	}
	copy(rq->expiry, sizeof(rq->expiry), a->card_expiry);
	if (card_expiry_parse(rq->expiry, &rq->expiry_month, &rq->expiry_year) != 0) {
		crypto_wipe(rq->digits, sizeof(rq->digits));
		*why = "unknown_alias";
		return ST_REFUSED;
	}
	rq->method = (enum card_method)a->method;
	return ST_OK;
}

int
alias_card(struct store *st, const struct crypto_keys *keys, int64_t brand_id, const char *alias,
           int64_t now_us, struct payment_request *rq, struct card_alias *out, const char **why)
{
	int month, year;
	int rc = st->ops->alias_get(st, brand_id, alias, out);

	if (rc == ST_NOTFOUND) {
		*why = "unknown_alias";
		return ST_REFUSED;
	}
	if (rc != ST_OK)
		return rc;
	if (card_expiry_parse(out->card_expiry, &month, &year) != 0 ||
	    recurring_card_fails_on(month, year, cal_business_day(now_us))) {
		*why = "alias_expired";
		return ST_REFUSED;
	}
	return alias_open(keys, out, rq, why);
}

/* The installments of plan r as its debits' rows hold them (number 1..), for
 * recurring_advance. */
struct plan_days {
	struct installment v[RECURRING_PLAN_MAX];
	int n;
};

static int
plan_day_push(void *arg, const struct recurring_debit *d)
{
	struct plan_days *p = arg;

	if (d->number >= 1 && d->number <= RECURRING_PLAN_MAX) {
		p->v[d->number - 1].amount = d->amount;
		p->v[d->number - 1].day = d->day;
		if (d->number > p->n)
			p->n = (int)d->number;
	}
	return ST_OK;
}

/* A debit of r for amount at now_us, with the card of alias a. ST_OK with *t (accepted or
 * refused); ST_REFUSED with *why when it could not be asked at all (the card gone, the
 * contract gone): nothing recorded. */
static int
debit_pay(struct store *st, const struct crypto_keys *keys, const struct acquirer_ops *acq,
          const struct recurring *r, const struct card_alias *a, int64_t amount,
          const struct actor *who, struct debit_first *first, int64_t now_us, struct txn *t,
          const char **why)
{
	struct payment_request rq;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.brand_id = r->brand_id;
	rq.shop_id = r->shop_id;
	rq.amount = amount;
	copy(rq.currency, sizeof(rq.currency), r->currency);
	copy(rq.order_ref, sizeof(rq.order_ref), r->order_ref);
	copy(rq.email, sizeof(rq.email), r->email);
	copy(rq.customer_country, sizeof(rq.customer_country), r->customer_country);
	rq.deferral_days = -1;
	/* A plan or subscription entered in the virtual terminal: each of its debits is a
	 * manual entry in the journal (SPEC §10, §13). */
	rq.manual = r->manual;
	rq.origin = first != NULL ? first->origin : ORIGIN_RECURRING;
	rq.tds_challenge_failed = first != NULL && first->tds_challenge_failed;
	rq.who = who;
	copy(rq.archive_ref, sizeof(rq.archive_ref), r->archive_ref);
	rc = alias_open(keys, a, &rq, why);
	if (rc == ST_OK)
		rc = payment_create(st, keys, acq, &rq, now_us, t, why);
	crypto_wipe(rq.digits, sizeof(rq.digits));
	/* Every debit, accepted or refused, whoever made it (the API, the virtual terminal, the
	 * scheduler, `guichetd recurring run`), told to the shop's server in its savepoint; but
	 * a first debit made for a caller that tells of it itself (the hosted page: the
	 * request's own URL and format, hosted.c). */
	if (rc == ST_OK && first != NULL)
		first->made = *t;
	else if (rc == ST_OK)
		rc = notify_shop_txn(st, keys, t, NOTIFY_PAYMENT, now_us);
	return rc;
}

/* r ends now_us with reason: no more debits. */
static void
end_now(struct recurring *r, enum recurring_status status, const char *reason,
        const struct actor *who, int64_t now_us)
{
	r->status = status;
	r->next_day = r->next_amount = 0;
	r->ended_at = now_us;
	copy(r->end_reason, sizeof(r->end_reason), reason ? reason : "");
	r->ended_by = who ? who->user_id : 0;
	copy(r->ended_by_login, sizeof(r->ended_by_login), who && who->login ? who->login : "");
}

/* Once r has ended, the card of its implicit alias serves nothing more: its sealed number
 * and fingerprint are erased (PCI DSS 3.2.1: kept no longer than needed). An alias the
 * merchant made stays theirs to delete. */
static int
forget_card(struct store *st, const struct recurring *r, int64_t now_us)
{
	struct card_alias a;
	int rc;

	if (r->status != RS_FINISHED && r->status != RS_FAILED && r->status != RS_TERMINATED)
		return ST_OK;
	rc = st->ops->alias_get_id(st, r->brand_id, r->alias_id, &a);
	if (rc == ST_NOTFOUND || (rc == ST_OK && (!a.implicit || a.deleted_at != 0)))
		return ST_OK;
	if (rc == ST_OK)
		rc = st->ops->alias_delete(st, r->brand_id, a.alias, now_us);
	return rc;
}

static void
count(struct recurring_round_result *res, const struct txn *t, const struct recurring *r)
{
	if (res == NULL)
		return;
	if (t != NULL) {
		res->debits++;
		if (t->status == TXS_ACCEPTED)
			res->accepted++;
		else
			res->refused++;
	}
	if (r->status == RS_FINISHED)
		res->finished++;
	if (r->status == RS_FAILED)
		res->failed++;
}

/* The step inside its savepoint: ST_CONFLICT when another came first. */
static int
step(struct store *st, const struct crypto_keys *keys, const struct acquirer_ops *acq,
     int64_t brand_id, int64_t id, int64_t day, int64_t now_us, bool *made,
     struct recurring_round_result *res, const struct actor *who, struct debit_first *first)
{
	struct recurring r;
	struct card_alias a;
	struct plan_days plan = {0};
	struct recurring_debit d = {0};
	struct txn t;
	const char *why = NULL;
	int64_t expect;
	int rc;

	rc = st->ops->recurring_get(st, brand_id, 0, 0, id, &r);
	if (rc == ST_NOTFOUND)
		return ST_OK;
	if (rc != ST_OK)
		return rc;
	if ((r.status != RS_IN_PROGRESS && r.status != RS_WILL_FAIL) || r.next_day == 0 ||
	    r.next_day > day)
		return ST_OK;
	if (r.kind == RK_PLAN &&
	    (rc = st->ops->recurring_debits_each(st, brand_id, id, plan_day_push, &plan)) != ST_OK)
		return rc;
	expect = r.done;
	d.brand_id = brand_id;
	d.recurring_id = id;
	d.number = r.done + 1;
	d.day = r.next_day;
	d.amount = r.next_amount;
	rc = st->ops->alias_get_id(st, brand_id, r.alias_id, &a);
	if (rc == ST_OK)
		rc = debit_pay(st, keys, acq, &r, &a, r.next_amount, who, first, now_us, &t, &why);
	if (rc == ST_NOTFOUND || rc == ST_REFUSED) {
		/* The card or the contract is gone: the debit cannot even be asked. */
		end_now(&r, RS_FAILED, why ? why : "unknown_alias", NULL, now_us);
		r.updated_at = now_us;
		rc = st->ops->recurring_update(st, &r, expect);
		if (rc == ST_OK)
			rc = st->ops->recurring_debits_cancel(st, brand_id, id, d.number);
		if (rc == ST_OK)
			rc = forget_card(st, &r, now_us);
		count(res, NULL, &r);
		return rc;
	}
	if (rc != ST_OK)
		return rc;
	d.txn_id = t.id;
	d.status = t.status == TXS_ACCEPTED ? DS_ACCEPTED : DS_REFUSED;
	r.done = d.number;
	r.updated_at = now_us;
	if (t.status != TXS_ACCEPTED)
		end_now(&r, RS_FAILED, refusal_code(t.refusal), NULL, now_us);
	else {
		recurring_advance(&r, plan.v, plan.n);
		if (r.status == RS_FINISHED)
			r.ended_at = now_us;
	}
	rc = st->ops->recurring_debit_put(st, &d);
	if (rc == ST_OK)
		rc = st->ops->recurring_update(st, &r, expect);
	if (rc == ST_OK && r.status == RS_FAILED)
		rc = st->ops->recurring_debits_cancel(st, brand_id, id, d.number + 1);
	if (rc == ST_OK)
		rc = forget_card(st, &r, now_us);
	if (rc == ST_OK) {
		/* Another debit to make now only when the next one is due as well (a round that
		 * missed days catches up). */
		*made = (r.status == RS_IN_PROGRESS || r.status == RS_WILL_FAIL) &&
		        r.next_day <= day;
		count(res, &t, &r);
	}
	return rc;
}

static int
step_saved(struct store *st, const struct crypto_keys *keys, const struct acquirer_ops *acq,
           int64_t brand_id, int64_t id, int64_t day, int64_t now_us, bool *made,
           struct recurring_round_result *res, const struct actor *who, struct debit_first *first)
{
	struct recurring_round_result mine = {0};
	int rc;

	*made = false;
	rc = st->ops->savepoint(st);
	if (rc != ST_OK)
		return rc;
	rc = step(st, keys, acq, brand_id, id, day, now_us, made, res ? &mine : NULL, who, first);
	if (rc == ST_OK) {
		rc = st->ops->release(st);
		if (rc == ST_OK && res != NULL) {
			res->debits += mine.debits;
			res->accepted += mine.accepted;
			res->refused += mine.refused;
			res->finished += mine.finished;
			res->failed += mine.failed;
		}
		return rc;
	}
	st->ops->rollback_to(st); /* and released: the caller's own savepoint stays */
	*made = false;
	/* Another round or a termination moved it first: nothing of this one stays. */
	return rc == ST_CONFLICT ? ST_OK : rc;
}

int
recurring_step(struct store *st, const struct crypto_keys *keys, const struct acquirer_ops *acq,
               int64_t brand_id, int64_t id, int64_t day, int64_t now_us, bool *made,
               struct recurring_round_result *res)
{
	return step_saved(st, keys, acq, brand_id, id, day, now_us, made, res, NULL, NULL);
}

/* Checks rq's rules against today and the card; why names the field at fault. */
static int
rules_check(const struct recurring_request *rq, int64_t today, int64_t *first_day, const char **why)
{
	if (rq->kind == RK_PLAN) {
		switch (plan_check(rq->installments, rq->n, today, INT64_MAX)) {
		case PLAN_OK:
			break;
		case PLAN_COUNT:
			*why = "installments";
			return ST_REFUSED;
		case PLAN_AMOUNT:
			*why = "amount";
			return ST_REFUSED;
		case PLAN_PAST:
		case PLAN_ORDER:
		case PLAN_SPAN:
			*why = "date";
			return ST_REFUSED;
		}
		*first_day = rq->installments[0].day;
		if (*first_day > today + RECURRING_START_MAX_DAYS) {
			*why = "date";
			return ST_REFUSED;
		}
	} else {
		if (!subscription_valid(rq->every_months, rq->day_of_month, rq->count) ||
		    rq->amount <= 0 || rq->initial_amount < 0) {
			*why = "subscription";
			return ST_REFUSED;
		}
		if (rq->start_day < today || rq->start_day > today + RECURRING_START_MAX_DAYS) {
			*why = "start";
			return ST_REFUSED;
		}
		*first_day = rq->initial_amount > 0
		                     ? today
		                     : subscription_debit_day(rq->start_day, rq->every_months,
		                                              rq->day_of_month, 1);
	}
	return ST_OK;
}

int
recurring_create(struct store *st, const struct crypto_keys *keys, const struct acquirer_ops *acq,
                 const struct recurring_request *rq, int64_t now_us, struct recurring *out,
                 const char **why)
{
	struct payment_request pr;
	struct card_alias a;
	struct contract c;
	struct recurring r;
	struct txn t;
	int64_t today = cal_business_day(now_us), first_day = 0;
	int month, year;
	bool made;
	int rc;

	*why = NULL;
	memset(&pr, 0, sizeof(pr));
	rc = rules_check(rq, today, &first_day, why);
	if (rc != ST_OK)
		return rc;
	if (rq->card.alias[0]) {
		rc = alias_card(st, keys, rq->brand_id, rq->card.alias, now_us, &pr, &a, why);
		crypto_wipe(pr.digits, sizeof(pr.digits));
		if (rc != ST_OK)
			return rc;
	} else {
		memset(&a, 0, sizeof(a));
		a.method = rq->card.method;
		copy(a.card_expiry, sizeof(a.card_expiry), rq->card.expiry);
	}
	if (card_expiry_parse(a.card_expiry, &month, &year) != 0 ||
	    recurring_card_fails_on(month, year, first_day)) {
		*why = "card_expires_too_soon";
		return ST_REFUSED;
	}
	rc = payment_contract(st, rq->brand_id, rq->shop_id, (enum card_method)a.method, &c);
	if (rc == ST_NOTFOUND) {
		*why = "no_contract";
		return ST_REFUSED;
	}
	if (rc != ST_OK)
		return rc;
	if (!rq->card.alias[0]) {
		rc = alias_create(st, keys, rq->brand_id, rq->shop_id, &rq->card, true, now_us, &a);
		if (rc != ST_OK)
			return rc;
	}

	memset(&r, 0, sizeof(r));
	r.brand_id = rq->brand_id;
	r.shop_id = rq->shop_id;
	r.contract_id = c.id;
	r.kind = rq->kind;
	r.status = RS_IN_PROGRESS;
	r.alias_id = a.id;
	r.method = c.method;
	copy(r.currency, sizeof(r.currency), rq->currency);
	copy(r.order_ref, sizeof(r.order_ref), rq->order_ref);
	copy(r.email, sizeof(r.email), rq->email);
	copy(r.customer_country, sizeof(r.customer_country), rq->customer_country);
	copy(r.card_masked, sizeof(r.card_masked), a.card_masked);
	copy(r.card_expiry, sizeof(r.card_expiry), a.card_expiry);
	if (rq->kind == RK_PLAN) {
		r.count = rq->n;
		for (int i = 0; i < rq->n; i++)
			r.amount += rq->installments[i].amount;
		r.start_day = rq->installments[0].day;
	} else {
		r.initial_amount = rq->initial_amount;
		r.amount = rq->amount;
		r.count = rq->count;
		r.every_months = rq->every_months;
		r.day_of_month = rq->day_of_month;
		r.start_day = rq->start_day;
	}
	r.manual = rq->manual;
	copy(r.archive_ref, sizeof(r.archive_ref), rq->archive_ref);
	if (rq->who != NULL) {
		r.created_by = rq->who->user_id;
		copy(r.created_by_login, sizeof(r.created_by_login),
		     rq->who->login ? rq->who->login : "");
	}
	r.created_at = r.updated_at = now_us;
	recurring_advance(&r, rq->installments, rq->n);
	rc = st->ops->recurring_insert(st, &r);
	for (int i = 0; rc == ST_OK && rq->kind == RK_PLAN && i < rq->n; i++) {
		struct recurring_debit d = {r.brand_id,
		                            r.id,
		                            i + 1,
		                            rq->installments[i].day,
		                            rq->installments[i].amount,
		                            DS_PLANNED,
		                            0};

		rc = st->ops->recurring_debit_put(st, &d);
	}
	if (rc == ST_OK && r.initial_amount > 0) {
		struct recurring_debit d = {r.brand_id, r.id, 0, today, r.initial_amount, 0, 0};

		rc = debit_pay(st, keys, acq, &r, &a, r.initial_amount, rq->who, rq->first, now_us,
		               &t, why);
		if (rc != ST_OK)
			return rc;
		d.txn_id = t.id;
		d.status = t.status == TXS_ACCEPTED ? DS_ACCEPTED : DS_REFUSED;
		rc = st->ops->recurring_debit_put(st, &d);
		if (rc == ST_OK && t.status != TXS_ACCEPTED) {
			int64_t expect = r.done;

			end_now(&r, RS_FAILED, refusal_code(t.refusal), NULL, now_us);
			rc = st->ops->recurring_update(st, &r, expect);
			if (rc == ST_OK)
				rc = forget_card(st, &r, now_us);
		}
	}
	/* What is due today is made at once: a plan's first installment, a debit starting
	 * today. */
	do
		rc = rc == ST_OK ? step_saved(st, keys, acq, r.brand_id, r.id, today, now_us, &made,
		                              NULL, rq->who, rq->first)
		                 : rc;
	while (rc == ST_OK && made);
	if (rc == ST_OK)
		rc = st->ops->recurring_get(st, r.brand_id, 0, 0, r.id, out);
	return rc;
}

/* The ids a round takes in one transaction. */
struct due {
	int64_t brand_id[256], id[256];
	int n;
};

static int
due_push(void *arg, int64_t brand_id, int64_t id)
{
	struct due *d = arg;

	d->brand_id[d->n] = brand_id;
	d->id[d->n++] = id;
	return ST_OK;
}

int
recurring_round(struct store *st, const struct crypto_keys *keys, const struct acquirer_ops *acq,
                int64_t day, int batch, const atomic_bool *stop, struct recurring_round_result *res)
{
	struct due due;
	int64_t after = 0;
	bool made;
	int rc;

	memset(res, 0, sizeof(*res));
	if (batch < 1 || batch > (int)(sizeof(due.id) / sizeof(due.id[0])))
		batch = RECURRING_ROUND_BATCH;
	for (;;) {
		due.n = 0;
		rc = st->ops->begin(st, true);
		if (rc != ST_OK)
			return rc;
		rc = st->ops->recurring_due_each(st, day, after, batch, due_push, &due);
		for (int i = 0; rc == ST_OK && i < due.n; i++)
			do
				rc = recurring_step(st, keys, acq, due.brand_id[i], due.id[i], day,
				                    clock_now_us(), &made, res);
			while (rc == ST_OK && made);
		if (rc == ST_OK)
			rc = st->ops->commit(st);
		if (rc != ST_OK) {
			st->ops->rollback(st);
			return rc;
		}
		if (due.n == 0 || (stop != NULL && atomic_load(stop)))
			return ST_OK;
		after = due.id[due.n - 1];
		/* The lock free a moment: a payment waiting for it (the server's writer tries
		 * every millisecond) goes first, and the merchant API keeps answering while a
		 * million debits are made (docs/PERFORMANCE.md "The scheduler"). */
		nanosleep(&(struct timespec){0, RECURRING_ROUND_PAUSE_NS}, NULL);
	}
}

int
recurring_terminate(struct store *st, int64_t brand_id, int64_t node_id, enum recurring_kind kind,
                    int64_t id, const char *reason, const struct actor *who, int64_t now_us,
                    struct recurring *out, const char **why)
{
	struct recurring r;
	int64_t expect;
	int rc;

	*why = NULL;
	rc = st->ops->recurring_get(st, brand_id, 0, node_id, id, &r);
	if (rc == ST_OK && r.kind != kind)
		rc = ST_NOTFOUND;
	if (rc != ST_OK)
		return rc;
	if (r.status != RS_IN_PROGRESS && r.status != RS_WILL_FAIL) {
		*why = "not_in_progress";
		*out = r;
		return ST_CONFLICT;
	}
	expect = r.done;
	end_now(&r, RS_TERMINATED, reason, who, now_us);
	r.updated_at = now_us;
	rc = st->ops->recurring_update(st, &r, expect);
	/* A round on another connection made a debit between the reading and the writing: read
	 * it again and end it where it now stands, unless it ended meanwhile. */
	for (int tries = 0; rc == ST_CONFLICT && tries < 5; tries++) {
		rc = st->ops->recurring_get(st, brand_id, 0, node_id, id, &r);
		if (rc != ST_OK)
			return rc;
		if (r.status != RS_IN_PROGRESS && r.status != RS_WILL_FAIL) {
			rc = ST_CONFLICT;
			break;
		}
		expect = r.done;
		end_now(&r, RS_TERMINATED, reason, who, now_us);
		r.updated_at = now_us;
		rc = st->ops->recurring_update(st, &r, expect);
	}
	if (rc == ST_CONFLICT)
		*why = "not_in_progress";
	if (rc == ST_OK)
		rc = st->ops->recurring_debits_cancel(st, brand_id, id, r.done + 1);
	if (rc == ST_OK)
		rc = forget_card(st, &r, now_us);
	if (rc == ST_OK)
		rc = st->ops->recurring_get(st, brand_id, 0, 0, id, out);
	return rc;
}
