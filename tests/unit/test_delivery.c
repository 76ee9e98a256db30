/*
 * test_delivery.c - the rules of a notification's delivery (domain/delivery.h): 2xx delivers
 * and nothing else (a 3xx, no answer), the try that gives up, and the wait before the next
 * try, doubling to its cap, with the jitter's both ends and beyond.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "domain/delivery.h"

static void
test_success(void **state)
{
	static const struct {
		long status;
		bool ok;
	} rows[] = {
	        {0, false},   {100, false}, {199, false}, {200, true},  {201, true},  {204, true},
	        {299, true},  {300, false}, {301, false}, {302, false}, {304, false}, {307, false},
	        {400, false}, {404, false}, {500, false}, {503, false}, {-1, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(delivery_is_success(rows[i].status), rows[i].ok);
}

static void
test_gives_up(void **state)
{
	(void)state;
	assert_false(delivery_gives_up(1, 12));
	assert_false(delivery_gives_up(11, 12));
	assert_true(delivery_gives_up(12, 12));
	assert_true(delivery_gives_up(13, 12));
	assert_true(delivery_gives_up(1, 1));
}

static void
test_delay(void **state)
{
	static const struct {
		int tries;
		int64_t first, max;
		int jitter;
		int64_t want;
	} rows[] = {
	        {1, 30000, 3600000, 0, 30000},
	        {2, 30000, 3600000, 0, 60000},
	        {3, 30000, 3600000, 0, 120000},
	        {7, 30000, 3600000, 0, 1920000},
	        {8, 30000, 3600000, 0, 3600000}, /* 3,840,000 capped */
	        {12, 30000, 3600000, 0, 3600000},
	        {1000, 30000, 3600000, 0, 3600000}, /* no overflow */
	        {0, 30000, 3600000, 0, 30000},      /* counts as the first */
	        {-5, 30000, 3600000, 0, 30000},
	        {1, 30000, 3600000, 250, 37500},
	        {1, 30000, 3600000, -250, 22500},
	        {1, 30000, 3600000, 999, 37500}, /* clamped */
	        {1, 30000, 3600000, -999, 22500},
	        {12, 30000, 3600000, 250, 4500000},
	        {12, 30000, 3600000, -250, 2700000},
	        {1, 200, 3600000, 0, 200},
	        {4, 200, 3600000, 0, 1600},
	        {1, 1, 3600000, -250, 1}, /* never below 1 ms */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(delivery_delay_ms(rows[i].tries, rows[i].first, rows[i].max,
		                                   rows[i].jitter),
		                 rows[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_success),
	        cmocka_unit_test(test_gives_up),
	        cmocka_unit_test(test_delay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
