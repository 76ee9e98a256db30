/*
 * test_recurring.c - the rules of installment plans and subscriptions (domain/recurring.h;
 * SPEC §9, Vision manual §6, §7, §10.1.3): every refusal of a plan and its boundaries (2 and
 * 4 installments, 90 days and 91, today and yesterday, equal days, the contract's maximum and
 * one unit above), the even split and its remainder, a subscription's days clamped to the
 * month's end across leap and common years and a year's end, its settings' limits, and the
 * card that expires before a debit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "domain/recurring.h"

#define D(y, m, d) cal_days_from_civil(y, m, d)

static void
test_plan_check(void **state)
{
	const int64_t today = D(2026, 11, 20), max = 100000;
	static const struct {
		int n;
		struct installment v[6];
		int64_t max;
		enum plan_refusal want;
	} rows[] = {
	        /* 2, 3 and 4 installments; 1 and 5 are not a plan. */
	        {2, {{500, 0}, {500, 30}}, 0, PLAN_OK},
	        {3, {{400, 0}, {300, 30}, {300, 60}}, 0, PLAN_OK},
	        {4, {{250, 0}, {250, 30}, {250, 60}, {250, 90}}, 0, PLAN_OK},
	        {1, {{500, 0}}, 0, PLAN_COUNT},
	        {5, {{100, 0}, {100, 10}, {100, 20}, {100, 30}, {100, 40}}, 0, PLAN_COUNT},
	        {0, {{0, 0}}, 0, PLAN_COUNT},
	        /* 90 days between the first and the last, and not 91. */
	        {2, {{500, 0}, {500, 90}}, 0, PLAN_OK},
	        {2, {{500, 0}, {500, 91}}, 0, PLAN_SPAN},
	        {4, {{1, 5}, {1, 30}, {1, 60}, {1, 96}}, 0, PLAN_SPAN},
	        /* The first today or later, never yesterday. */
	        {2, {{500, -1}, {500, 30}}, 0, PLAN_PAST},
	        {2, {{500, 7}, {500, 37}}, 0, PLAN_OK},
	        /* Each after the one before: equal days or out of order are refused. */
	        {2, {{500, 10}, {500, 10}}, 0, PLAN_ORDER},
	        {3, {{500, 0}, {500, 40}, {500, 20}}, 0, PLAN_ORDER},
	        /* Amounts above 0, their total at most the contract's maximum. */
	        {2, {{0, 0}, {500, 30}}, 0, PLAN_AMOUNT},
	        {2, {{500, 0}, {-1, 30}}, 0, PLAN_AMOUNT},
	        {2, {{60000, 0}, {40000, 30}}, 0, PLAN_OK},
	        {2, {{60000, 0}, {40001, 30}}, 0, PLAN_AMOUNT},
	        {2, {{INT64_MAX, 0}, {INT64_MAX, 30}}, INT64_MAX, PLAN_AMOUNT}, /* no overflow */
	        {2, {{INT64_MAX - 1, 0}, {1, 30}}, INT64_MAX, PLAN_OK},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct installment v[6];

		for (int k = 0; k < 6; k++)
			v[k] = (struct installment){rows[i].v[k].amount, today + rows[i].v[k].day};
		assert_int_equal(plan_check(v, rows[i].n, today, rows[i].max ? rows[i].max : max),
		                 rows[i].want);
	}
}

static void
test_plan_split(void **state)
{
	static const struct {
		int64_t total;
		int n;
		int rc;
		int64_t want[4];
	} rows[] = {
	        {10000, 2, 0, {5000, 5000}},
	        {10000, 3, 0, {3334, 3333, 3333}},
	        {10001, 4, 0, {2501, 2500, 2500, 2500}},
	        {10003, 4, 0, {2503, 2500, 2500, 2500}},
	        {2, 2, 0, {1, 1}},
	        {3, 2, 0, {2, 1}},
	        {1, 2, -1, {0}},
	        {0, 2, -1, {0}},
	        {100, 1, -1, {0}},
	        {100, 5, -1, {0}},
	        {INT64_MAX, 4, 0, {INT64_MAX / 4 + 3, INT64_MAX / 4, INT64_MAX / 4, INT64_MAX / 4}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t out[4] = {0};
		int64_t sum = 0;

		assert_int_equal(plan_split(rows[i].total, rows[i].n, out), rows[i].rc);
		if (rows[i].rc != 0)
			continue;
		for (int k = 0; k < rows[i].n; k++) {
			assert_int_equal(out[k], rows[i].want[k]);
			sum += out[k];
		}
		assert_int_equal(sum, rows[i].total); /* exact, never a cent more or less */
	}
}

static void
test_subscription_day(void **state)
{
	/* Not static: the days are computed (cal_days_from_civil). */
	const struct {
		int64_t start;
		int every, dom, k;
		int64_t want;
	} rows[] = {
	        /* Monthly on the 31st from January: February's last day, leap or not. */
	        {D(2027, 1, 15), 1, 31, 1, D(2027, 2, 28)},
	        {D(2028, 1, 15), 1, 31, 1, D(2028, 2, 29)},
	        {D(2100, 1, 15), 1, 31, 1, D(2100, 2, 28)}, /* a century, not a leap year */
	        {D(2000, 1, 15), 1, 31, 1, D(2000, 2, 29)}, /* every 400 years, one */
	        {D(2027, 1, 15), 1, 31, 2, D(2027, 3, 31)},
	        {D(2027, 1, 15), 1, 31, 3, D(2027, 4, 30)},
	        /* The 30th in February (the manual's example), the 29th in a common year. */
	        {D(2027, 1, 2), 1, 30, 1, D(2027, 2, 28)},
	        {D(2027, 1, 2), 1, 29, 1, D(2027, 2, 28)},
	        {D(2028, 1, 2), 1, 29, 1, D(2028, 2, 29)},
	        {D(2027, 1, 2), 1, 28, 1, D(2027, 2, 28)},
	        /* Across a year's end, every 1, 3 and 12 months. */
	        {D(2026, 11, 20), 1, 5, 1, D(2026, 12, 5)},
	        {D(2026, 11, 20), 1, 5, 2, D(2027, 1, 5)},
	        {D(2026, 11, 20), 3, 1, 1, D(2027, 2, 1)},
	        {D(2026, 11, 20), 3, 31, 2, D(2027, 5, 31)},
	        {D(2026, 12, 31), 12, 31, 1, D(2027, 12, 31)},
	        {D(2027, 2, 28), 12, 29, 1, D(2028, 2, 29)},
	        {D(2028, 2, 29), 12, 29, 1, D(2029, 2, 28)},
	        /* A far count: the 120th month. */
	        {D(2026, 11, 20), 1, 15, 120, D(2036, 11, 15)},
	        /* The day of the start itself is not the rule: the day of the month is. */
	        {D(2026, 11, 30), 1, 1, 1, D(2026, 12, 1)},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(
		        subscription_day(rows[i].start, rows[i].every, rows[i].dom, rows[i].k),
		        rows[i].want);
}

static void
test_subscription_valid(void **state)
{
	(void)state;
	assert_true(subscription_valid(1, 1, 2));
	assert_true(subscription_valid(12, 31, 0)); /* unlimited */
	assert_true(subscription_valid(6, 15, 1000));
	assert_false(subscription_valid(0, 15, 2));
	assert_false(subscription_valid(13, 15, 2));
	assert_false(subscription_valid(-1, 15, 2));
	assert_false(subscription_valid(1, 0, 2));  /* the day of the month 0 … */
	assert_false(subscription_valid(1, 32, 2)); /* … or 32 */
	assert_false(subscription_valid(1, 15, 1)); /* one debit is a payment */
	assert_false(subscription_valid(1, 15, -1));
}

static void
test_card_fails_on(void **state)
{
	(void)state;
	/* A card valid through 12/2026 pays any day of December, not on January 1st. */
	assert_false(recurring_card_fails_on(12, 2026, D(2026, 12, 31)));
	assert_false(recurring_card_fails_on(12, 2026, D(2026, 12, 1)));
	assert_true(recurring_card_fails_on(12, 2026, D(2027, 1, 1)));
	assert_true(recurring_card_fails_on(2, 2027, D(2027, 3, 5)));
	assert_false(recurring_card_fails_on(2, 2027, D(2027, 2, 28)));
}

static void
test_subscription_debit_day(void **state)
{
	const struct {
		int64_t start;
		int every, dom;
		int64_t n, want;
	} rows[] = {
	        /* The first debit on the day of the month on or after the start ... */
	        {D(2026, 11, 25), 1, 31, 1, D(2026, 11, 30)},
	        {D(2026, 11, 25), 1, 31, 2, D(2026, 12, 31)},
	        {D(2026, 11, 25), 1, 31, 4, D(2027, 2, 28)},
	        {D(2026, 11, 20), 1, 20, 1, D(2026, 11, 20)}, /* the start itself */
	        {D(2026, 11, 21), 1, 20, 1, D(2026, 12, 20)}, /* a day late: next month */
	        /* ... clamped: from January 31st on the 30th, February's last day first. */
	        {D(2027, 1, 31), 1, 30, 1, D(2027, 2, 28)},
	        {D(2027, 1, 31), 1, 30, 2, D(2027, 3, 30)},
	        {D(2028, 1, 31), 1, 30, 1, D(2028, 2, 29)},
	        /* Every 3 months from the anchor, across a year's end. */
	        {D(2026, 11, 21), 3, 15, 1, D(2026, 12, 15)},
	        {D(2026, 11, 21), 3, 15, 2, D(2027, 3, 15)},
	        {D(2026, 11, 21), 12, 15, 3, D(2028, 12, 15)},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(subscription_debit_day(rows[i].start, rows[i].every, rows[i].dom,
		                                        rows[i].n),
		                 rows[i].want);
}

static void
test_advance(void **state)
{
	struct installment v[3] = {
	        {400, D(2026, 11, 20)}, {300, D(2026, 12, 20)}, {300, D(2027, 1, 20)}};
	struct recurring r = {0};

	(void)state;
	/* A plan: each debit made points to the next, the last to none (finished). */
	r.kind = RK_PLAN;
	r.status = RS_IN_PROGRESS;
	snprintf(r.card_expiry, sizeof(r.card_expiry), "1230");
	recurring_advance(&r, v, 3);
	assert_int_equal(r.next_day, v[0].day);
	assert_int_equal(r.next_amount, 400);
	r.done = 2;
	recurring_advance(&r, v, 3);
	assert_int_equal(r.next_day, v[2].day);
	assert_int_equal(r.status, RS_IN_PROGRESS);
	r.done = 3;
	recurring_advance(&r, v, 3);
	assert_int_equal(r.next_day, 0);
	assert_int_equal(r.status, RS_FINISHED);
	/* Will fail: the card runs out in December, the next debit is in January. */
	snprintf(r.card_expiry, sizeof(r.card_expiry), "1226");
	r.status = RS_IN_PROGRESS;
	r.done = 1;
	recurring_advance(&r, v, 3);
	assert_int_equal(r.status, RS_IN_PROGRESS); /* December 20th: still good */
	r.done = 2;
	recurring_advance(&r, v, 3);
	assert_int_equal(r.status, RS_WILL_FAIL);
	/* An ended one stays as it is. */
	r.status = RS_TERMINATED;
	r.next_day = 0;
	recurring_advance(&r, v, 3);
	assert_int_equal(r.status, RS_TERMINATED);
	assert_int_equal(r.next_day, 0);

	/* A subscription of 2 debits, and an unlimited one. */
	memset(&r, 0, sizeof(r));
	r.kind = RK_SUBSCRIPTION;
	r.status = RS_IN_PROGRESS;
	snprintf(r.card_expiry, sizeof(r.card_expiry), "1230");
	r.amount = 990;
	r.count = 2;
	r.every_months = 1;
	r.day_of_month = 31;
	r.start_day = D(2027, 1, 5);
	recurring_advance(&r, NULL, 0);
	assert_int_equal(r.next_day, D(2027, 1, 31));
	assert_int_equal(r.next_amount, 990);
	r.done = 1;
	recurring_advance(&r, NULL, 0);
	assert_int_equal(r.next_day, D(2027, 2, 28));
	r.done = 2;
	recurring_advance(&r, NULL, 0);
	assert_int_equal(r.status, RS_FINISHED);
	r.status = RS_IN_PROGRESS;
	r.count = 0;
	r.done = 1000;
	recurring_advance(&r, NULL, 0);
	assert_int_equal(r.status, RS_WILL_FAIL); /* in 2110, the card long gone */
}

/* "Today" of a plan's rules is the Paris day of the instant, whatever UTC's date, on the
 * nights of both summer-time changes (the server's clock is UTC). */
static void
test_today_on_dst_nights(void **state)
{
	const struct {
		int64_t utc_s;
		int64_t paris_day;
	} rows[] = {
	        {1793746800, D(2026, 11, 4)}, /* 2026-11-03T23:00Z, 00:00 in Paris (CET) */
	        {1793746799, D(2026, 11, 3)},
	        {1805151600, D(2027, 3, 16)}, /* 2027-03-15T23:00Z */
	        {1806102000, D(2027, 3, 27)}, /* 2027-03-26T23:00Z: the night before the change */
	        {1806188400, D(2027, 3, 28)}, /* 2027-03-27T23:00Z: 00:00 CET, the change's day */
	        {1806271200, D(2027, 3, 29)}, /* 2027-03-28T22:00Z: 00:00 CEST */
	        {1806271199, D(2027, 3, 28)},
	        {1824933600, D(2027, 10, 31)}, /* 2027-10-30T22:00Z: 00:00 CEST, the autumn day */
	        {1825023600, D(2027, 11, 1)},  /* 2027-10-31T23:00Z: 00:00 CET */
	        {1825023599, D(2027, 10, 31)},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t today = cal_business_day(rows[i].utc_s * 1000000);
		struct installment v[2] = {{500, rows[i].paris_day}, {500, rows[i].paris_day + 90}};

		assert_int_equal(today, rows[i].paris_day);
		assert_int_equal(plan_check(v, 2, today, INT64_MAX), PLAN_OK);
		v[0].day--;
		assert_int_equal(plan_check(v, 2, today, INT64_MAX), PLAN_PAST);
	}
}

static void
test_names(void **state)
{
	(void)state;
	for (int k = RK_PLAN; k <= RK_SUBSCRIPTION; k++)
		assert_int_equal(recurring_kind_parse(recurring_kind_name(k)), k);
	for (int s = RS_IN_PROGRESS; s <= RS_WILL_FAIL; s++)
		assert_int_equal(recurring_status_parse(recurring_status_name(s)), s);
	for (int s = DS_PLANNED; s <= DS_CANCELLED; s++)
		assert_int_equal(debit_status_parse(debit_status_name(s)), s);
	assert_string_equal(recurring_status_name(RS_WILL_FAIL), "will_fail");
	assert_int_equal(recurring_status_parse("done"), -1);
	assert_int_equal(recurring_kind_parse(""), -1);
	assert_string_equal(recurring_kind_name(0), "");
	assert_string_equal(debit_status_name(99), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_plan_check),
	        cmocka_unit_test(test_plan_split),
	        cmocka_unit_test(test_subscription_day),
	        cmocka_unit_test(test_subscription_valid),
	        cmocka_unit_test(test_card_fails_on),
	        cmocka_unit_test(test_subscription_debit_day),
	        cmocka_unit_test(test_advance),
	        cmocka_unit_test(test_today_on_dst_nights),
	        cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
