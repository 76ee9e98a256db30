/*
 * test_demo.c - the demo's history puts exactly the transactions asked for across its 13
 * months, whatever day it is made on (`guichetd demo --now`).
 *
 * Regression: the shares were computed in floating point, and n * c / c came out one short
 * for some totals c; 500 transactions made 499 for --now 2026-11-20, 11-23, 11-30, 12-05 …
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "tools/demo.h"

/* Every day of three years of --now, for counts small and large: the first day starts at 0,
 * the last ends at n, and no day has a negative share. */
static void
test_every_day_gets_every_transaction(void **state)
{
	static const int64_t counts[] = {0, 1, 7, 200, 499, 500, 2000, 4500, 10000000, 1000000000};
	int64_t first = cal_days_from_civil(2025, 1, 1);

	(void)state;
	for (int64_t today = first; today < first + 3 * 366; today++) {
		int64_t first_day = today - DEMO_DAYS + 1;

		for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			int64_t n = counts[c], prev = 0;

			assert_int_equal(demo_share_before(n, first_day, 0), 0);
			for (int i = 1; i <= DEMO_DAYS; i++) {
				int64_t v = demo_share_before(n, first_day, i);

				assert_true(v >= prev);
				prev = v;
			}
			assert_int_equal(prev, n);
		}
	}
}

/* The shape: Sundays quieter than the days around them, December busier than November,
 * the last months busier than the first. */
static void
test_the_history_has_a_shape(void **state)
{
	int64_t today = cal_days_from_civil(2026, 12, 31), first_day = today - DEMO_DAYS + 1;
	int64_t n = 10000000;
	int64_t day[DEMO_DAYS];

	(void)state;
	for (int i = 0; i < DEMO_DAYS; i++)
		day[i] =
		        demo_share_before(n, first_day, i + 1) - demo_share_before(n, first_day, i);
	for (int i = 1; i < DEMO_DAYS - 1; i++) {
		int64_t d = first_day + i;
		int y, m, dd;

		cal_civil_from_days(d, &y, &m, &dd);
		if (((d + 4) % 7 + 7) % 7 == 0 && m != 12 && dd > 1 && dd < 28)
			assert_true(day[i] < day[i - 1] && day[i] < day[i + 1]);
	}
	/* Tuesday 2026-12-01 (December) against Monday 2026-11-30. */
	assert_true(day[DEMO_DAYS - 31] > day[DEMO_DAYS - 32]);
	/* A week of January 2026 against a week of November 2026. */
	assert_true(demo_share_before(n, first_day, 47) - demo_share_before(n, first_day, 40) <
	            demo_share_before(n, first_day, DEMO_DAYS - 40) -
	                    demo_share_before(n, first_day, DEMO_DAYS - 47));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_day_gets_every_transaction),
	        cmocka_unit_test(test_the_history_has_a_shape),
	};

	return cmocka_run_group_tests_name("demo", tests, NULL, NULL);
}
