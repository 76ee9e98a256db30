/*
 * test_money.c - currencies and amounts: integers of minor units, never floats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/money.h"

static void
test_currencies(void **state)
{
	static const struct {
		const char *code;
		int numeric, exponent;
	} rows[] = {
	        {"EUR", 978, 2}, {"USD", 840, 2}, {"GBP", 826, 2}, {"CHF", 756, 2},
	        {"JPY", 392, 0}, {"KWD", 414, 3}, {"XPF", 953, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct currency *c = money_currency_find(rows[i].code);

		assert_non_null(c);
		assert_int_equal(c->numeric, rows[i].numeric);
		assert_int_equal(c->exponent, rows[i].exponent);
	}
	assert_null(money_currency_find("eur"));
	assert_null(money_currency_find("XXX"));
	assert_null(money_currency_find("EURO"));
	assert_null(money_currency_find(""));
	assert_null(money_currency_find(NULL));
}

static void
test_amount_bounds(void **state)
{
	(void)state;
	assert_false(money_amount_valid(INT64_MIN));
	assert_false(money_amount_valid(-1));
	assert_false(money_amount_valid(0));
	assert_true(money_amount_valid(1));
	assert_true(money_amount_valid(MONEY_AMOUNT_MAX));
	assert_false(money_amount_valid(MONEY_AMOUNT_MAX + 1));
	assert_false(money_amount_valid(INT64_MAX));
}

static void
test_format_plain(void **state)
{
	static const struct {
		int64_t amount;
		const char *code;
		const char *text;
	} rows[] = {
	        {123456, "EUR", "1234.56"},
	        {5, "EUR", "0.05"},
	        {0, "EUR", "0.00"},
	        {-5, "EUR", "-0.05"},
	        {-123456, "EUR", "-1234.56"},
	        {100, "JPY", "100"},
	        {1234, "KWD", "1.234"},
	        {INT64_MIN, "EUR", "-92233720368547758.08"},
	        {INT64_MAX, "EUR", "92233720368547758.07"},
	};
	char out[32];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int n = money_format_plain(rows[i].amount, money_currency_find(rows[i].code), out,
		                           sizeof(out));

		assert_int_equal(n, (int)strlen(rows[i].text));
		assert_string_equal(out, rows[i].text);
	}
	assert_int_equal(money_format_plain(123456, money_currency_find("EUR"), out, 7), -1);
	assert_string_equal(out, "");
	assert_int_equal(money_format_plain(123456, money_currency_find("EUR"), out, 8), 7);
}

static void
test_average(void **state)
{
	static const struct {
		int64_t total, count, mean;
	} rows[] = {
	        {0, 0, 0},
	        {1000, 0, 0},
	        {1000, -1, 0},
	        {3001, 3, 1000},   /* 1000.33: down */
	        {2001, 2, 1001},   /* 1000.5: half, away from zero */
	        {3002, 3, 1001},   /* 1000.67: up */
	        {-2001, 2, -1001}, /* a period of refunds only: half away from zero too */
	        {-3001, 3, -1000},
	        {7, 7, 1},
	        {INT64_MAX, 1, INT64_MAX},
	        {INT64_MAX, 2, INT64_MAX / 2 + 1},
	        {INT64_MIN, 2, INT64_MIN / 2},
	        {INT64_MAX, INT64_MAX, 1},
	        {INT64_MAX - 1, INT64_MAX, 1},
	        {1, INT64_MAX, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(money_average(rows[i].total, rows[i].count), rows[i].mean);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_currencies),
	        cmocka_unit_test(test_amount_bounds),
	        cmocka_unit_test(test_format_plain),
	        cmocka_unit_test(test_average),
	};

	return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
