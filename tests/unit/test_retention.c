/*
 * test_retention.c - the retention of payment data (SPEC §14: 45 to 540 days per account,
 * 540 by default): which retentions an account may choose, and when a transaction's card
 * data is due for erasure (created_at + days × 24 h, that instant included), at both ends of
 * the range and on either side of the microsecond and of a change of summer time; and the
 * period a notification to the merchant's server is kept once done.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "domain/retention.h"

#define DAY CAL_US_PER_DAY
#define US  1LL

/* 2026-04-15T13:05:00Z, a Wednesday in summer time (Paris: 15:05). */
#define NOW (1776258300LL * CAL_US_PER_S)

static void
test_days(void **state)
{
	static const struct {
		int64_t days;
		bool ok;
	} rows[] = {
	        {0, false},
	        {-45, false},
	        {44, false},
	        {45, true},
	        {46, true},
	        {365, true},
	        {539, true},
	        {540, true},
	        {541, false},
	        {1000, false},
	        {INT64_MAX, false},
	        {INT64_MIN, false},
	        {RETENTION_DAYS_DEFAULT, true},
	};

	(void)state;
	assert_int_equal(RETENTION_DAYS_DEFAULT, 540);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (retention_days_valid(rows[i].days) != rows[i].ok)
			fail_msg("row %zu: %lld", i, (long long)rows[i].days);
}

static void
test_expired(void **state)
{
	static const struct {
		int days;
		int64_t age; /* now - created_at */
		bool expired;
	} rows[] = {
	        /* The lower end: 45 days. */
	        {45, 45 * DAY - US, false},
	        {45, 45 * DAY, true},
	        {45, 45 * DAY + US, true},
	        {45, 44 * DAY, false},
	        {45, 0, false},
	        /* The upper end and default: 540 days (more than the journal's 13 months). */
	        {540, 540 * DAY - US, false},
	        {540, 540 * DAY, true},
	        {540, 541 * DAY, true},
	        {540, 396 * DAY, false},
	        {540, 45 * DAY, false},
	        /* A day more or less: the day before the boundary keeps, the day after erases. */
	        {100, 99 * DAY, false},
	        {100, 101 * DAY, true},
	        /* A transaction dated after now (a clock set back) keeps its data. */
	        {45, -DAY, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t created = NOW - rows[i].age;

		if (retention_expired(created, rows[i].days, NOW) != rows[i].expired)
			fail_msg("row %zu: %d days, age %lld us", i, rows[i].days,
			         (long long)rows[i].age);
		/* The cutoff is the last instant that is due, for the store's range. */
		assert_true((created <= retention_cutoff(rows[i].days, NOW)) == rows[i].expired);
	}
}

/* Periods of 24 h: across the change to summer time (2026-03-29 in Paris) the boundary is an
 * hour later on the Paris clock, never a day. */
static void
test_summer_time(void **state)
{
	/* 2026-03-01T13:05:00Z: 14:05 in Paris (winter). */
	int64_t created = 1772370300LL * CAL_US_PER_S;

	(void)state;
	assert_int_equal(retention_cutoff(45, created + 45 * DAY), created);
	assert_false(retention_expired(created, 45, created + 45 * DAY - US));
	assert_true(retention_expired(created, 45, created + 45 * DAY));
	/* 45 × 24 h later is 2026-04-15T13:05:00Z, 15:05 in Paris (summer). */
	assert_int_equal(created + 45 * DAY, NOW);
}

/* A done notification (README "Notifications") is kept RETENTION_NOTIFY_DAYS × 24 h after it
 * was done, that instant included in what is deleted; a pending one (done_at 0) never is. */
static void
test_notify(void **state)
{
	static const struct {
		int64_t age; /* now - done_at */
		bool expired;
	} rows[] =
	        {
	                {90 * DAY - US, false}, {90 * DAY, true}, {90 * DAY + US, true},
	                {89 * DAY, false},      {91 * DAY, true}, {0, false},
	                {-DAY, false}, /* done "after" now: a clock set back keeps it */
	        };

	(void)state;
	assert_int_equal(RETENTION_NOTIFY_DAYS, 90);
	assert_int_equal(retention_notify_cutoff(NOW), NOW - 90 * DAY);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t done = NOW - rows[i].age;

		if (retention_notify_expired(done, NOW) != rows[i].expired)
			fail_msg("row %zu: age %lld us", i, (long long)rows[i].age);
		/* The store deletes done_at <= the cutoff: the same rows. */
		assert_true((done <= retention_notify_cutoff(NOW)) == rows[i].expired);
	}
	/* Still pending (never done): kept whatever the time. */
	assert_false(retention_notify_expired(0, NOW));
	assert_false(retention_notify_expired(0, INT64_MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_days),
	        cmocka_unit_test(test_expired),
	        cmocka_unit_test(test_summer_time),
	        cmocka_unit_test(test_notify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
