/*
 * test_api_error.c - the merchant API error log's rules (domain/api_error.h): the period a
 * search may ask (from the start of the user's day that holds the oldest instant kept, 3 × 24 h
 * back, to the end of their today), in two zones and across the spring change of summer time;
 * and which member names of an invalid_field refusal are kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "domain/api_error.h"
#include "domain/calendar.h"

#define S(x)  ((int64_t)(x)*CAL_US_PER_S)
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void
test_window(void **state)
{
	static const struct {
		const char *zone;
		int64_t now, earliest, latest;
	} rows[] = {
	        /* 2026-11-20 14:30 in Paris: from 17 November 00:00 to 21 November 00:00. */
	        {"Europe/Paris", S(1795181400), S(1794870000), S(1795215600)},
	        /* The same instant is 08:30 in New York (UTC-5). */
	        {"America/New_York", S(1795181400), S(1794891600), S(1795237200)},
	        /* 2027-03-28 12:00 in Paris, summer time since 02:00: the oldest day starts in
	         * winter time (UTC+1), tomorrow in summer time (UTC+2). */
	        {"Europe/Paris", S(1806228000), S(1805929200), S(1806271200)},
	};
	(void)state;
	for (size_t i = 0; i < NROWS; i++) {
		int64_t earliest, latest;

		api_error_window(tz_find(rows[i].zone), rows[i].now, &earliest, &latest);
		assert_int_equal(earliest, rows[i].earliest);
		assert_int_equal(latest, rows[i].latest);
	}
}

static void
test_period(void **state)
{
	const struct tz *paris = tz_find("Europe/Paris");
	const int64_t now = S(1795181400), earliest = S(1794870000), latest = S(1795215600);
	static const int64_t us = 1;
	const struct {
		int64_t from, to;
		enum api_error_period want;
	} rows[] = {
	        {earliest, latest, API_ERROR_PERIOD_OK},
	        {earliest, earliest + us, API_ERROR_PERIOD_OK},
	        {latest - us, latest, API_ERROR_PERIOD_OK},
	        {now, now + us, API_ERROR_PERIOD_OK},
	        {earliest - us, latest, API_ERROR_PERIOD_FROM},
	        {earliest - CAL_US_PER_DAY, earliest, API_ERROR_PERIOD_FROM},
	        {earliest, latest + us, API_ERROR_PERIOD_TO},
	        {now, now, API_ERROR_PERIOD_TO},
	        {now, now - us, API_ERROR_PERIOD_TO},
	        {latest, latest + CAL_US_PER_DAY, API_ERROR_PERIOD_TO},
	};
	(void)state;
	for (size_t i = 0; i < NROWS; i++)
		assert_int_equal(api_error_period_check(paris, now, rows[i].from, rows[i].to),
		                 rows[i].want);
}

static void
test_field(void **state)
{
	static const struct {
		const char *field;
		bool keep;
	} rows[] = {
	        {"amount", true},
	        {"card.number", true},
	        {"card.expiry", true},
	        {"installments[3].amount", true},
	        {"installments[1234].date", true},
	        {"save_alias", true},
	        {"Amount2", true},
	        {"a", true},
	        {"abcdefghijabcdefghijabcdefghijabcdefghij", true}, /* 40 bytes */
	        {"abcdefghijabcdefghijabcdefghijabcdefghijk", false},
	        {"", false},
	        {NULL, false},
	        {"installments[12345]", false},
	        {"4111111111111111", false},
	        {"card4111111111111111", false},
	        {"ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12", false},
	        {"order ref", false},
	        {"order-ref", false},
	        {"name\"", false},
	        {"caf\xc3\xa9", false},
	        {"line\nbreak", false},
	};
	(void)state;
	for (size_t i = 0; i < NROWS; i++)
		assert_int_equal(api_error_field_keep(rows[i].field), rows[i].keep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_window),
	        cmocka_unit_test(test_period),
	        cmocka_unit_test(test_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
