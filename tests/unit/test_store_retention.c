/*
 * test_store_retention.c - the store's erasure of card data (txn_card_purge) follows the
 * domain's rule (domain/retention.h) to the microsecond, oldest first within its limit, per
 * account, and only once; the account's retention defaults to 540 days and the store refuses
 * a value outside 45..540 whatever its caller checked; its purge of the notifications to
 * merchants' servers (notify_purge) takes the done rows at the domain's cutoff and before,
 * with their attempts, oldest first, and never a pending one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "domain/retention.h"
#include "store_fixture.h"

/* 2026-04-15T13:05:00Z. */
#define NOW (1776258300LL * CAL_US_PER_S)

static int64_t
insert(struct fixture *fx, int64_t at, bool card)
{
	static int n;
	static const unsigned char fp[32] = {1}, sealed[40] = {2};
	struct txn t;

	memset(&t, 0, sizeof(t));
	t.brand_id = fx->brand_id;
	t.shop_id = fx->shop_id;
	t.contract_id = fx->contract_id;
	t.method = METHOD_VISA;
	t.amount_initial = t.amount_current = 1000;
	memcpy(t.currency, "EUR", 4);
	snprintf(t.order_ref, sizeof(t.order_ref), "RET-%d", n++);
	snprintf(t.card_masked, sizeof(t.card_masked), "411111******1111");
	t.created_at = t.updated_at = at;
	assert_int_equal(fx->st->ops->txn_insert(fx->st, &t, card ? fp : NULL,
	                                         card ? sizeof(fp) : 0, card ? sealed : NULL,
	                                         card ? sizeof(sealed) : 0),
	                 ST_OK);
	return t.id;
}

static int
purge(struct fixture *fx, int limit)
{
	int done = -1;

	assert_int_equal(fx->st->ops->txn_card_purge(fx->st, NOW, limit, &done), ST_OK);
	return done;
}

static int64_t
kept(struct fixture *fx)
{
	return fixture_count(fx, "SELECT count(*) FROM txn WHERE card_sealed IS NOT NULL OR "
	                         "card_fp IS NOT NULL");
}

/* account_set with the account's other settings as they are. */
static int
retention_set(struct fixture *fx, int64_t brand_id, int days)
{
	struct account a = {.brand_id = brand_id};

	if (fx->st->ops->account_get(fx->st, brand_id, &a) == ST_NOTFOUND)
		a.brand_id = brand_id;
	a.retention_days = days;
	return fx->st->ops->account_set(fx->st, &a);
}

static void
test_account(void **state)
{
	struct fixture *fx = *state;
	struct account a;

	assert_int_equal(fx->st->ops->account_get(fx->st, fx->brand_id, &a), ST_OK);
	assert_int_equal(a.retention_days, RETENTION_DAYS_DEFAULT);
	assert_true(a.node_id > 0);
	assert_int_equal(retention_set(fx, fx->brand_id, 45), ST_OK);
	/* The column's CHECK: 44 and 541 never get in. */
	assert_int_equal(retention_set(fx, fx->brand_id, 44), ST_CONFLICT);
	assert_int_equal(retention_set(fx, fx->brand_id, 541), ST_CONFLICT);
	assert_int_equal(fx->st->ops->account_get(fx->st, fx->brand_id, &a), ST_OK);
	assert_int_equal(a.retention_days, 45);
	assert_int_equal(fx->st->ops->account_get(fx->st, fx->brand_id + 99, &a), ST_NOTFOUND);
	assert_int_equal(retention_set(fx, fx->brand_id + 99, 45), ST_NOTFOUND);
	/* A second factor required of every user (migration 024): off by default, kept with the
	 * retention. */
	assert_int_equal(fx->st->ops->account_get(fx->st, fx->brand_id, &a), ST_OK);
	assert_false(a.second_factor_required);
	a.second_factor_required = true;
	assert_int_equal(fx->st->ops->account_set(fx->st, &a), ST_OK);
	assert_int_equal(fx->st->ops->account_get(fx->st, fx->brand_id, &a), ST_OK);
	assert_true(a.second_factor_required);
	assert_int_equal(a.retention_days, 45);
}

static void
test_purge(void **state)
{
	struct fixture *fx = *state;
	int64_t cutoff = retention_cutoff(100, NOW);

	assert_int_equal(retention_set(fx, fx->brand_id, 100), ST_OK);
	insert(fx, cutoff - 1, true);  /* due */
	insert(fx, cutoff, true);      /* due: the boundary is included */
	insert(fx, cutoff + 1, true);  /* a microsecond short */
	insert(fx, NOW, true);         /* fresh */
	insert(fx, cutoff - 5, false); /* a refund: no card */
	assert_int_equal(kept(fx), 4);
	/* Oldest first, within the limit. */
	assert_int_equal(purge(fx, 1), 1);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM txn WHERE card_sealed IS NULL AND "
	                                   "order_ref = 'RET-0'"),
	                 1);
	assert_int_equal(purge(fx, 10), 1);
	assert_int_equal(kept(fx), 2);
	/* Once: nothing more to erase. */
	assert_int_equal(purge(fx, 10), 0);
	/* Only the card data: the rows and their masked cards stay. */
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM txn WHERE card_masked != ''"), 5);
	/* A longer retention brings nothing back; a shorter one erases what it no longer covers. */
	assert_int_equal(retention_set(fx, fx->brand_id, 540), ST_OK);
	assert_int_equal(purge(fx, 10), 0);
	assert_int_equal(kept(fx), 2);
	assert_int_equal(retention_set(fx, fx->brand_id, 99), ST_OK);
	assert_int_equal(purge(fx, 10), 1);
	assert_int_equal(kept(fx), 1);
}

/* A notification of txn done at done_at in state (NOTIFY_PENDING: left pending), with one
 * attempt. Returns its id. */
static int64_t
notice(struct fixture *fx, int64_t txn, int64_t done_at, enum notify_state state)
{
	struct notify_row n = {.brand_id = fx->brand_id,
	                       .shop_id = fx->shop_id,
	                       .txn_id = txn,
	                       .url = "http://127.0.0.1:9/n",
	                       .post = true,
	                       .content_type = "application/json",
	                       .body = "{}",
	                       .body_len = 2,
	                       .next_at = done_at - CAL_US_PER_S,
	                       .created_at = done_at - CAL_US_PER_S};
	struct notify_attempt a = {.at = done_at, .http_status = 500, .error = "", .answer = ""};

	assert_int_equal(fx->st->ops->notify_add(fx->st, &n), ST_OK);
	a.notify_id = n.id;
	assert_int_equal(fx->st->ops->notify_attempt_add(fx->st, &a, state, done_at + CAL_US_PER_S),
	                 ST_OK);
	return n.id;
}

static int
notify_purge(struct fixture *fx, int limit)
{
	int done = -1;

	assert_int_equal(
	        fx->st->ops->notify_purge(fx->st, retention_notify_cutoff(NOW), limit, &done),
	        ST_OK);
	return done;
}

static void
test_notify_purge(void **state)
{
	struct fixture *fx = *state;
	int64_t cut = retention_notify_cutoff(NOW), txn = insert(fx, cut - CAL_US_PER_DAY, false);
	int64_t older = notice(fx, txn, cut - CAL_US_PER_DAY, NOTIFY_FAILED);
	int64_t at_cut = notice(fx, txn, cut, NOTIFY_DELIVERED);
	int64_t after = notice(fx, txn, cut + 1, NOTIFY_DELIVERED);
	int64_t pending = notice(fx, txn, cut - 2 * CAL_US_PER_DAY, NOTIFY_PENDING);
	int64_t resent = notice(fx, txn, cut - 3 * CAL_US_PER_DAY, NOTIFY_DELIVERED);
	char sql[160];

	(void)older;
	(void)at_cut;
	assert_int_equal(fx->st->ops->notify_resend(fx->st, fx->brand_id, resent, NOW), ST_OK);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM notify_attempt"), 5);
	/* Oldest first within the limit: the failed one, then the one done at the cutoff. */
	assert_int_equal(notify_purge(fx, 1), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM notify_outbox WHERE id = %lld",
	         (long long)older);
	assert_int_equal(fixture_count(fx, sql), 0);
	assert_int_equal(notify_purge(fx, 10), 1);
	assert_int_equal(notify_purge(fx, 10), 0);
	/* Kept: done a microsecond after the cutoff, the pending one, the one sent again. */
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM notify_outbox WHERE id IN (%lld, %lld, %lld)",
	         (long long)after, (long long)pending, (long long)resent);
	assert_int_equal(fixture_count(fx, sql), 3);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM notify_outbox"), 3);
	/* The attempts went with their rows, the others' stay. */
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM notify_attempt"), 3);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM notify_attempt WHERE notify_id "
	                                   "NOT IN (SELECT id FROM notify_outbox)"),
	                 0);
	/* The transaction itself stays. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM txn WHERE id = %lld", (long long)txn);
	assert_int_equal(fixture_count(fx, sql), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_account, fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_purge, fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_notify_purge, fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
