/*
 * test_payments_torture.c - every storage failure during a payment or an operation leaves
 * nothing half-written (STYLE.md "Tests": curl's torture idea applied to storage).
 *
 * A wrapping store fails its Nth call; the use case runs inside a savepoint exactly as the
 * writer runs it, is rolled back on failure, and the database must then hold either nothing
 * of it or all of it. N goes from 1 until a run needs no failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "acquirer/acquirer.h"
#include "domain/calendar.h"
#include "service/payments.h"
#include "store/store.h"
#include "store_fixture.h"

/* --- the failing store --------------------------------------------------------------------- */

struct fail_store {
	struct store base;
	struct store *inner;
	int countdown; /* the call that fails; 0: none */
	int calls;
};

static int
tick(struct store *st)
{
	struct fail_store *f = (struct fail_store *)st;

	f->calls++;
	return f->countdown != 0 && f->calls == f->countdown ? ST_STORE : ST_OK;
}

#define INNER(st) (((struct fail_store *)(st))->inner)

static int
f_contract_find(struct store *st, int64_t b, int64_t s, enum card_method m, struct contract *c)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->contract_find(INNER(st), b, s, m, c);
}

static int
f_contract_touch_auth(struct store *st, int64_t b, int64_t c, int64_t now)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->contract_touch_auth(INNER(st), b, c, now);
}

static int
f_block_match(struct store *st, int64_t b, int64_t s, const struct block_key *k, int n, int64_t now,
              bool *bl)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->block_match(INNER(st), b, s, k, n, now, bl);
}

static int
f_block_put(struct store *st, struct block_entry *e)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->block_put(INNER(st), e);
}

static int
f_card_day_count(struct store *st, int64_t b, int64_t c, const unsigned char *fp, size_t len,
                 int64_t day, int limit, int *n)
{
	return tick(st) ? ST_STORE
	                : INNER(st)->ops->card_day_count(INNER(st), b, c, fp, len, day, limit, n);
}

static int
f_txn_insert(struct store *st, struct txn *t, const unsigned char *fp, size_t fl,
             const unsigned char *sealed, size_t sl)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->txn_insert(INNER(st), t, fp, fl, sealed, sl);
}

static int
f_txn_get(struct store *st, int64_t b, int64_t s, int64_t id, struct txn *t)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->txn_get(INNER(st), b, s, id, t);
}

static int
f_txn_update(struct store *st, const struct txn *t)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->txn_update(INNER(st), t);
}

static int
f_txn_card_fp(struct store *st, int64_t b, int64_t id, unsigned char *fp, size_t cap, size_t *len)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->txn_card_fp(INNER(st), b, id, fp, cap, len);
}

static int
f_history_add(struct store *st, const struct history *h)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->history_add(INNER(st), h);
}

static int
f_txn_lock(struct store *st, int64_t b, int64_t id)
{
	return tick(st) ? ST_STORE : INNER(st)->ops->txn_lock(INNER(st), b, id);
}

/* Only what the use cases call; anything else is NULL and would crash the test. */
static const struct store_ops fail_ops = {
        .name = "fail",
        .contract_find = f_contract_find,
        .contract_touch_auth = f_contract_touch_auth,
        .block_match = f_block_match,
        .block_put = f_block_put,
        .card_day_count = f_card_day_count,
        .txn_insert = f_txn_insert,
        .txn_get = f_txn_get,
        .txn_lock = f_txn_lock,
        .txn_update = f_txn_update,
        .txn_card_fp = f_txn_card_fp,
        .history_add = f_history_add,
};

/* --- use cases ------------------------------------------------------------------------------ */

static void
request(struct fixture *fx, struct payment_request *rq, bool manual)
{
	memset(rq, 0, sizeof(*rq));
	rq->brand_id = fx->brand_id;
	rq->shop_id = fx->shop_id;
	rq->amount = 2500;
	memcpy(rq->currency, "EUR", 4);
	snprintf(rq->order_ref, sizeof(rq->order_ref), "TORTURE");
	memcpy(rq->digits, "4111111111111111", 17);
	memcpy(rq->expiry, "1230", 5);
	rq->expiry_month = 12;
	rq->expiry_year = 2030;
	rq->method = METHOD_VISA;
	rq->capture_manual = manual;
	rq->deferral_days = -1;
}

/* Runs fn in a savepoint as the writer does; rolls back on failure. */
typedef int (*use_case)(struct fixture *fx, struct store *st, int64_t *id);

static int
in_savepoint(struct fixture *fx, struct fail_store *f, use_case fn, int64_t *id)
{
	int rc;

	assert_int_equal(fx->st->ops->begin(fx->st, true), ST_OK);
	assert_int_equal(fx->st->ops->savepoint(fx->st), ST_OK);
	rc = fn(fx, &f->base, id);
	if (rc == ST_OK)
		assert_int_equal(fx->st->ops->release(fx->st), ST_OK);
	else
		fx->st->ops->rollback_to(fx->st);
	assert_int_equal(fx->st->ops->commit(fx->st), ST_OK);
	return rc;
}

static int
create_manual(struct fixture *fx, struct store *st, int64_t *id)
{
	struct payment_request rq;
	struct txn t;
	const char *why;
	int rc;

	request(fx, &rq, true);
	rc = payment_create(st, &fx->keys, &acquirer_simulator, &rq, 1700000000LL * CAL_US_PER_S,
	                    &t, &why);
	*id = t.id;
	return rc;
}

/* Fails each storage call of a payment in turn; the number of calls it made. */
static int
create_torture(struct fixture *fx)
{
	struct fail_store f = {.base.ops = &fail_ops, .inner = fx->st};
	int64_t id, txn0, hist0;
	int n, rc;

	for (n = 1;; n++) {
		txn0 = fixture_count(fx, "SELECT count(*) FROM txn");
		hist0 = fixture_count(fx, "SELECT count(*) FROM txn_history");
		f.countdown = n;
		f.calls = 0;
		rc = in_savepoint(fx, &f, create_manual, &id);
		if (rc == ST_OK) {
			assert_int_equal(fixture_count(fx, "SELECT count(*) FROM txn"), txn0 + 1);
			assert_int_equal(fixture_count(fx, "SELECT count(*) FROM txn_history"),
			                 hist0 + 1);
			return n;
		}
		assert_int_equal(rc, ST_STORE);
		assert_int_equal(fixture_count(fx, "SELECT count(*) FROM txn"), txn0);
		assert_int_equal(fixture_count(fx, "SELECT count(*) FROM txn_history"), hist0);
	}
}

static void
test_create_is_all_or_nothing(void **state)
{
	/* The loop really failed several distinct calls. */
	assert_true(create_torture(*state) > 3);
}

/* The same with the contract's velocity filter on: the card's payments of the day are read
 * too (service/risk.c), one more call to fail. */
static void
test_create_with_filters_is_all_or_nothing(void **state)
{
	struct fixture *fx = *state;
	struct fraud_filters ff = {.max_per_card_day = 100, .country_mismatch = true};
	int plain;

	plain = create_torture(fx);
	assert_int_equal(
	        fx->st->ops->contract_filters_set(fx->st, fx->brand_id, fx->contract_id, &ff, 0),
	        ST_OK);
	assert_int_equal(create_torture(fx), plain + 1);
}

static int64_t operate_target;

static int
capture(struct fixture *fx, struct store *st, int64_t *id)
{
	struct txn t;
	const char *why;

	*id = operate_target;
	return payment_operate(st, fx->brand_id, fx->shop_id, operate_target, OP_CAPTURE, 2000,
	                       NULL, 1700000100LL * CAL_US_PER_S, &t, NULL, &why);
}

static void
test_capture_is_all_or_nothing(void **state)
{
	struct fixture *fx = *state;
	struct fail_store f = {.base.ops = &fail_ops, .inner = fx->st};
	struct fail_store none = {.base.ops = &fail_ops, .inner = fx->st};
	int64_t id;
	int n, rc;

	assert_int_equal(in_savepoint(fx, &none, create_manual, &operate_target), ST_OK);
	for (n = 1;; n++) {
		f.countdown = n;
		f.calls = 0;
		rc = in_savepoint(fx, &f, capture, &id);
		if (rc == ST_OK)
			break;
		assert_int_equal(rc, ST_STORE);
		/* Nothing moved: still awaiting capture, full amount, no capture in history. */
		assert_int_equal(fixture_count(fx, "SELECT acq FROM txn ORDER BY id DESC LIMIT 1"),
		                 ACQ_AWAITING_CAPTURE);
		assert_int_equal(
		        fixture_count(fx,
		                      "SELECT amount_current FROM txn ORDER BY id DESC LIMIT 1"),
		        2500);
		assert_int_equal(
		        fixture_count(fx,
		                      "SELECT count(*) FROM txn_history WHERE action = 'capture'"),
		        0);
	}
	assert_int_equal(
	        fixture_count(fx, "SELECT amount_current FROM txn ORDER BY id DESC LIMIT 1"), 2000);
	assert_int_equal(
	        fixture_count(fx, "SELECT count(*) FROM txn_history WHERE action = 'capture'"), 1);
	assert_true(n > 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_create_with_filters_is_all_or_nothing,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_create_is_all_or_nothing, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_capture_is_all_or_nothing, fixture_setup,
	                                        fixture_teardown),
	};

	return cmocka_run_group_tests_name("payments_torture", tests, NULL, NULL);
}
