/*
 * test_calendar.c - civil dates, the Europe/Paris business day and its DST switches, formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"

/* The UTC instant y-m-d hh:mm:ss. */
static int64_t
utc(int y, int m, int d, int hh, int mm, int ss)
{
	return (cal_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss) * CAL_US_PER_S;
}

static void
test_civil_round_trip(void **state)
{
	static const struct {
		int y, m, d;
		int64_t day;
	} rows[] = {
	        {1970, 1, 1, 0},     {1969, 12, 31, -1},    {2000, 2, 29, 11016},
	        {2000, 3, 1, 11017}, {2026, 11, 24, 20781}, {2024, 2, 29, 19782},
	        {2100, 3, 1, 47541},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int y, m, d;

		assert_int_equal(cal_days_from_civil(rows[i].y, rows[i].m, rows[i].d), rows[i].day);
		cal_civil_from_days(rows[i].day, &y, &m, &d);
		assert_int_equal(y, rows[i].y);
		assert_int_equal(m, rows[i].m);
		assert_int_equal(d, rows[i].d);
	}
	for (int64_t day = -1000; day < 80000; day += 7) {
		int y, m, d;

		cal_civil_from_days(day, &y, &m, &d);
		assert_int_equal(cal_days_from_civil(y, m, d), day);
	}
}

static void
test_month_days(void **state)
{
	(void)state;
	assert_int_equal(cal_month_days(2024, 2), 29);
	assert_int_equal(cal_month_days(2025, 2), 28);
	assert_int_equal(cal_month_days(2000, 2), 29);
	assert_int_equal(cal_month_days(2100, 2), 28);
	assert_int_equal(cal_month_days(2026, 4), 30);
	assert_int_equal(cal_month_days(2026, 12), 31);
	assert_int_equal(cal_month_days(2026, 13), 0);
}

static void
test_date_parse_format(void **state)
{
	static const struct {
		const char *text;
		int ok;
	} rows[] = {
	        {"2026-11-24", 1}, {"2024-02-29", 1}, {"1970-01-01", 1}, {"9999-12-31", 1},
	        {"2025-02-29", 0}, {"2026-13-01", 0}, {"2026-00-10", 0}, {"2026-04-31", 0},
	        {"1969-12-31", 0}, {"2026-1-01", 0},  {"2026/11/24", 0}, {"2026-11-24T", 0},
	        {"", 0},           {"abcd-ef-gh", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t day = -1;
		char out[11];

		assert_int_equal(cal_date_parse(rows[i].text, &day) == 0, rows[i].ok);
		if (rows[i].ok) {
			cal_date_format(day, out);
			assert_string_equal(out, rows[i].text);
		}
	}
	assert_int_equal(cal_date_parse(NULL, &(int64_t){0}), -1);
}

static void
test_paris_offsets_around_switches(void **state)
{
	static const struct {
		int64_t t;
		int offset;
	} rows[] = {
	        /* 2026: summer time from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC. */
	        {0, 3600},
	        {1, 7200},
	        {2, 7200},
	        {3, 3600},
	};
	int64_t times[] = {
	        utc(2026, 3, 29, 0, 59, 59),
	        utc(2026, 3, 29, 1, 0, 0),
	        utc(2026, 10, 25, 0, 59, 59),
	        utc(2026, 10, 25, 1, 0, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(cal_paris_offset(times[rows[i].t]), rows[i].offset);
	assert_int_equal(cal_paris_offset(utc(2026, 1, 15, 12, 0, 0)), 3600);
	assert_int_equal(cal_paris_offset(utc(2026, 7, 15, 12, 0, 0)), 7200);
	/* 2024: 31 March and 27 October. */
	assert_int_equal(cal_paris_offset(utc(2024, 3, 31, 0, 59, 59)), 3600);
	assert_int_equal(cal_paris_offset(utc(2024, 3, 31, 1, 0, 0)), 7200);
	assert_int_equal(cal_paris_offset(utc(2024, 10, 27, 1, 0, 0)), 3600);
}

static void
test_business_day(void **state)
{
	(void)state;
	/* 23:30 UTC in winter is 00:30 the next day in Paris; in summer 22:30 is 00:30. */
	assert_int_equal(cal_business_day(utc(2026, 1, 14, 23, 30, 0)),
	                 cal_days_from_civil(2026, 1, 15));
	assert_int_equal(cal_business_day(utc(2026, 1, 14, 22, 59, 59)),
	                 cal_days_from_civil(2026, 1, 14));
	assert_int_equal(cal_business_day(utc(2026, 7, 14, 22, 0, 0)),
	                 cal_days_from_civil(2026, 7, 15));
	assert_int_equal(cal_business_day(utc(2026, 7, 14, 21, 59, 59)),
	                 cal_days_from_civil(2026, 7, 14));
}

static void
test_business_day_start(void **state)
{
	static const struct {
		int y, m, d, hh; /* the UTC hour at which the Paris day starts (previous day) */
	} rows[] = {
	        {2026, 1, 15, 23},  {2026, 7, 15, 22},  {2026, 3, 29, 23}, /* spring switch day */
	        {2026, 3, 30, 22},  {2026, 10, 25, 22},                    /* autumn switch day */
	        {2026, 10, 26, 23},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t day = cal_days_from_civil(rows[i].y, rows[i].m, rows[i].d);
		int64_t start = cal_business_day_start(day);

		assert_int_equal(start, utc(rows[i].y, rows[i].m, rows[i].d, 0, 0, 0) -
		                                (24 - rows[i].hh) * 3600 * CAL_US_PER_S);
		assert_int_equal(cal_business_day(start), day);
		assert_int_equal(cal_business_day(start - 1), day - 1);
	}
}

static void
test_instant_format(void **state)
{
	char out[25];

	(void)state;
	cal_instant_format(utc(2026, 11, 24, 17, 43, 5) + 123456, out);
	assert_string_equal(out, "2026-11-24T17:43:05.123Z");
	cal_instant_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	cal_instant_format(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_civil_round_trip),
	        cmocka_unit_test(test_month_days),
	        cmocka_unit_test(test_date_parse_format),
	        cmocka_unit_test(test_paris_offsets_around_switches),
	        cmocka_unit_test(test_business_day),
	        cmocka_unit_test(test_business_day_start),
	        cmocka_unit_test(test_instant_format),
	};

	return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
