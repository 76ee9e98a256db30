/*
 * demo_settle.c - the demo history's batches, their reconciliation and the contracts' last
 * authorizations (demo_settle.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/calendar.h"
#include "service/reconcile.h"
#include "tools/demo_settle.h"

/* Open addressing on (contract, day): a history has a few thousand batches. */
#define SLOTS      32768
#define LAST_AUTHS 64

struct demo_settle {
	struct batch *v;
	size_t n, cap;
	int32_t slot[SLOTS]; /* index + 1 into v; 0: free */
	struct {
		int64_t brand_id, contract_id, at;
	} auth[LAST_AUTHS];
	int nauth;
};

struct demo_settle *
demo_settle_new(void)
{
	struct demo_settle *ds = calloc(1, sizeof(*ds));

	if (ds == NULL)
		abort();
	return ds;
}

void
demo_settle_free(struct demo_settle *ds)
{
	if (ds == NULL)
		return;
	free(ds->v);
	free(ds);
}

int64_t
demo_settle_at(int64_t day)
{
	return cal_business_time(day, DEMO_SETTLE_MINUTE * 60);
}

int64_t
demo_settle_day(int64_t bank_day, int64_t ready)
{
	int64_t day = cal_business_day(ready);

	if (day < bank_day)
		day = bank_day;
	if (ready >= demo_settle_at(day))
		day++;
	return day;
}

static size_t
slot_of(int64_t contract_id, int64_t day)
{
	uint64_t k = ((uint64_t)contract_id << 32) ^ (uint64_t)(uint32_t)day;

	k *= 0x9E3779B97F4A7C15ULL;
	return (size_t)(k >> 49); /* 15 bits: SLOTS */
}

int
demo_settle_take(struct demo_settle *ds, struct store *st, struct txn *t, int64_t day)
{
	size_t i = slot_of(t->contract_id, day), probes = 0;
	struct batch *b;
	int rc;

	while (ds->slot[i] != 0) {
		b = &ds->v[ds->slot[i] - 1];
		if (b->contract_id == t->contract_id && b->bank_day == day)
			break;
		i = (i + 1) % SLOTS;
		if (++probes == SLOTS)
			return ST_TOOBIG;
	}
	if (ds->slot[i] == 0) {
		if (ds->n == ds->cap) {
			ds->cap = ds->cap ? 2 * ds->cap : 1024;
			ds->v = realloc(ds->v, ds->cap * sizeof(*ds->v));
			if (ds->v == NULL)
				abort();
		}
		b = &ds->v[ds->n];
		memset(b, 0, sizeof(*b));
		b->brand_id = t->brand_id;
		b->shop_id = t->shop_id;
		b->contract_id = t->contract_id;
		b->bank_day = day;
		b->created_at = demo_settle_at(day);
		b->method = t->method;
		snprintf(b->currency, sizeof(b->currency), "%s", t->currency);
		/* A number no other batch of the contract has, until demo_settle_finish's. */
		b->number = -(int64_t)(ds->n + 1);
		rc = st->ops->batch_history_write(st, b);
		if (rc != ST_OK)
			return rc;
		ds->slot[i] = (int32_t)++ds->n;
	}
	b = &ds->v[ds->slot[i] - 1];
	if (t->type == TXN_REFUND) {
		b->credit_count++;
		b->credit_amount += t->amount_current;
	} else {
		b->debit_count++;
		b->debit_amount += t->amount_current;
	}
	t->batch_id = b->id;
	return ST_OK;
}

void
demo_settle_auth(struct demo_settle *ds, const struct txn *t)
{
	int i;

	for (i = 0; i < ds->nauth; i++)
		if (ds->auth[i].contract_id == t->contract_id &&
		    ds->auth[i].brand_id == t->brand_id)
			break;
	if (i == ds->nauth) {
		if (ds->nauth == LAST_AUTHS)
			return;
		ds->nauth++;
		ds->auth[i].brand_id = t->brand_id;
		ds->auth[i].contract_id = t->contract_id;
		ds->auth[i].at = 0;
	}
	if (t->accepted_at > ds->auth[i].at)
		ds->auth[i].at = t->accepted_at;
}

static int
by_contract_day(const void *a, const void *b)
{
	const struct batch *x = a, *y = b;

	if (x->contract_id != y->contract_id)
		return x->contract_id < y->contract_id ? -1 : 1;
	return (x->bank_day > y->bank_day) - (x->bank_day < y->bank_day);
}

int
demo_settle_finish(struct demo_settle *ds, struct store *st, int64_t now)
{
	int64_t number = 0;
	int rc = ST_OK;

	/* The slots are not needed any more: v is sorted in place. */
	qsort(ds->v, ds->n, sizeof(*ds->v), by_contract_day);
	for (size_t i = 0; rc == ST_OK && i < ds->n; i++) {
		struct batch *b = &ds->v[i];

		number = i > 0 && ds->v[i - 1].contract_id == b->contract_id ? number + 1 : 1;
		b->number = number;
		snprintf(b->file_name, sizeof(b->file_name), "batch-%lld-%lld-%06lld.txt",
		         (long long)b->brand_id, (long long)b->contract_id, (long long)b->number);
		rc = st->ops->batch_history_write(st, b);
		if (rc == ST_OK)
			rc = reconcile_history_batch(st, b, now);
	}
	memset(ds->slot, 0, sizeof(ds->slot));
	ds->n = 0;
	for (int i = 0; rc == ST_OK && i < ds->nauth; i++)
		rc = st->ops->contract_touch_auth(st, ds->auth[i].brand_id, ds->auth[i].contract_id,
		                                  ds->auth[i].at);
	ds->nauth = 0;
	return rc;
}
