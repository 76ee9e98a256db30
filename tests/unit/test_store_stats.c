/*
 * test_store_stats.c - the statistics roll-ups kept by the store agree with the domain's
 * counting rule (txn_counts, the table of the Vision manual §4.1.1) for every combination of
 * type, status and acquirer status, when a transaction is written and when it changes.
 *
 * The store keeps the roll-ups with triggers in its own language; this test is what ties them
 * to the rule, so the two cannot drift apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "domain/txn.h"
#include "store_fixture.h"

#define N_TYPES  3
#define N_STATUS 4
#define N_ACQ    6
#define N_COMBOS (N_TYPES * N_STATUS * N_ACQ)

/* A day of its own for each case: 2024-01-01 Paris plus k days, at noon. */
#define DAY0_US (1704106800LL * CAL_US_PER_S)

struct total {
	int64_t count, amount, max_amount;
};

static int
add_row(void *arg, const struct stats_row *r)
{
	struct total *t = arg;

	t->count += r->count;
	t->amount += r->amount;
	if (r->max_amount > t->max_amount)
		t->max_amount = r->max_amount;
	return ST_OK;
}

static struct total
day_total(struct fixture *fx, int64_t at)
{
	struct total t = {0};
	int64_t day = cal_business_day(at);

	assert_int_equal(
	        fx->st->ops->stats_each(fx->st, fx->brand_id, fx->brand_id, day, day, add_row, &t),
	        ST_OK);
	return t;
}

static void
combo(int k, struct txn *t)
{
	t->type = (enum txn_type)(k / (N_STATUS * N_ACQ));
	t->status = (enum txn_status)(k / N_ACQ % N_STATUS);
	t->acq = (enum txn_acq)(k % N_ACQ);
}

static void
draft(struct fixture *fx, int64_t at, int k, int64_t amount, struct txn *t)
{
	memset(t, 0, sizeof(*t));
	t->brand_id = fx->brand_id;
	t->shop_id = fx->shop_id;
	t->contract_id = fx->contract_id;
	t->method = METHOD_VISA;
	t->amount_initial = t->amount_current = amount;
	memcpy(t->currency, "EUR", 4);
	snprintf(t->order_ref, sizeof(t->order_ref), "STATS-%d", k);
	t->created_at = t->updated_at = at;
	combo(k, t);
}

/* What the day should hold after t: the rule's count and its amount. */
static void
assert_counts_as_the_rule(struct fixture *fx, const struct txn *t)
{
	struct total got = day_total(fx, t->created_at);
	bool counts = txn_counts(t->type, t->status, t->acq);
	int64_t amount = t->amount_current + t->amount_refunded;

	if (got.count != (counts ? 1 : 0) || got.amount != (counts ? amount : 0))
		fail_msg("type %s status %s acq %s: count %lld amount %lld, the rule says %d",
		         txn_type_name(t->type), txn_status_name(t->status), txn_acq_name(t->acq),
		         (long long)got.count, (long long)got.amount, counts);
	if (counts)
		assert_int_equal(got.max_amount, amount);
}

static void
test_written_transactions_count_as_the_rule(void **state)
{
	struct fixture *fx = *state;
	struct txn t;

	assert_int_equal(fx->st->ops->begin(fx->st, true), ST_OK);
	for (int k = 0; k < N_COMBOS; k++) {
		draft(fx, DAY0_US + k * CAL_US_PER_DAY, k, 1000 + k, &t);
		assert_int_equal(fx->st->ops->txn_insert(fx->st, &t, NULL, 0, NULL, 0), ST_OK);
		assert_counts_as_the_rule(fx, &t);
	}
	assert_int_equal(fx->st->ops->commit(fx->st), ST_OK);
}

/* Every change from one combination to another (and of the amount with it) moves the day's
 * roll-up to what the rule says of the new state. */
static void
test_changes_move_what_counts_as_the_rule(void **state)
{
	struct fixture *fx = *state;
	struct txn t;
	int day = 0;

	assert_int_equal(fx->st->ops->begin(fx->st, true), ST_OK);
	for (int from = 0; from < N_COMBOS; from++) {
		for (int to = 0; to < N_COMBOS; to++, day++) {
			draft(fx, DAY0_US + day * CAL_US_PER_DAY, from, 5000, &t);
			assert_int_equal(fx->st->ops->txn_insert(fx->st, &t, NULL, 0, NULL, 0),
			                 ST_OK);
			combo(to, &t);
			t.amount_current = 3000;
			t.amount_refunded = 1500;
			assert_int_equal(fx->st->ops->txn_update(fx->st, &t), ST_OK);
			assert_counts_as_the_rule(fx, &t);
		}
	}
	assert_int_equal(fx->st->ops->commit(fx->st), ST_OK);
}

/* Two transactions of a day: when the larger stops counting, the maximum is the other's. */
static void
test_maximum_follows_what_still_counts(void **state)
{
	struct fixture *fx = *state;
	struct txn small, large;
	struct total got;

	assert_int_equal(fx->st->ops->begin(fx->st, true), ST_OK);
	draft(fx, DAY0_US, 0, 0, &small);
	small.acq = ACQ_TO_SEND;
	small.amount_initial = small.amount_current = 700;
	large = small;
	large.amount_initial = large.amount_current = 9000;
	large.created_at += CAL_US_PER_S;
	assert_int_equal(fx->st->ops->txn_insert(fx->st, &small, NULL, 0, NULL, 0), ST_OK);
	assert_int_equal(fx->st->ops->txn_insert(fx->st, &large, NULL, 0, NULL, 0), ST_OK);
	assert_int_equal(day_total(fx, DAY0_US).max_amount, 9000);
	large.type = TXN_CANCELLATION;
	large.amount_current = 0;
	assert_int_equal(fx->st->ops->txn_update(fx->st, &large), ST_OK);
	got = day_total(fx, DAY0_US);
	assert_int_equal(got.count, 1);
	assert_int_equal(got.amount, 700);
	assert_int_equal(got.max_amount, 700);
	assert_int_equal(fx->st->ops->commit(fx->st), ST_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_written_transactions_count_as_the_rule,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_changes_move_what_counts_as_the_rule,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_maximum_follows_what_still_counts,
	                                        fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests_name("store_stats", tests, NULL, NULL);
}
