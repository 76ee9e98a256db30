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

static void
test_business_time(void **state)
{
	static const struct {
		int y, m, d, hh, mm; /* the Paris wall time */
		int uy, um, ud, uh, umin;
	} rows[] = {
	        /* an ordinary winter and summer day */
	        {2027, 1, 14, 22, 0, 2027, 1, 14, 21, 0},
	        {2027, 6, 30, 22, 0, 2027, 6, 30, 20, 0},
	        {2027, 1, 14, 0, 0, 2027, 1, 13, 23, 0},
	        /* the spring day, 28 March 2027: 01:59 is winter time, 02:00-02:59 never happen
	         * (shifted forward by the hour), 03:00 is summer time; 22:00 is 20:00 UTC */
	        {2027, 3, 28, 1, 59, 2027, 3, 28, 0, 59},
	        {2027, 3, 28, 2, 0, 2027, 3, 28, 1, 0},
	        {2027, 3, 28, 2, 30, 2027, 3, 28, 1, 30},
	        {2027, 3, 28, 3, 0, 2027, 3, 28, 1, 0},
	        {2027, 3, 28, 3, 30, 2027, 3, 28, 1, 30},
	        {2027, 3, 28, 22, 0, 2027, 3, 28, 20, 0},
	        /* the autumn day, 31 October 2027: 02:00-02:59 happen twice, the earlier (summer)
	         * is taken; 03:00 is winter time; 22:00 is 21:00 UTC */
	        {2027, 10, 31, 1, 59, 2027, 10, 30, 23, 59},
	        {2027, 10, 31, 2, 30, 2027, 10, 31, 0, 30},
	        {2027, 10, 31, 3, 0, 2027, 10, 31, 2, 0},
	        {2027, 10, 31, 22, 0, 2027, 10, 31, 21, 0},
	        /* the days before and after keep their own offset all day */
	        {2027, 3, 27, 22, 0, 2027, 3, 27, 21, 0},
	        {2027, 10, 30, 22, 0, 2027, 10, 30, 20, 0},
	        {2027, 11, 1, 0, 0, 2027, 10, 31, 23, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t day = cal_days_from_civil(rows[i].y, rows[i].m, rows[i].d);
		int64_t t = cal_business_time(day, rows[i].hh * 3600 + rows[i].mm * 60);

		assert_int_equal(
		        t, utc(rows[i].uy, rows[i].um, rows[i].ud, rows[i].uh, rows[i].umin, 0));
		/* Every wall time that exists reads back as itself. */
		if (!(rows[i].m == 3 && rows[i].d == 28 && rows[i].hh == 2))
			assert_int_equal(cal_business_day(t), day);
	}
	/* Midnight is the day's start, on every day of two years. */
	for (int64_t day = cal_days_from_civil(2026, 1, 1); day < cal_days_from_civil(2028, 1, 1);
	     day++)
		assert_int_equal(cal_business_time(day, 0), cal_business_day_start(day));
}

static void
test_instant_parse(void **state)
{
	static const struct {
		const char *text;
		int ok;
		int y, mo, d, h, mi, s; /* the UTC instant when ok */
	} rows[] = {
	        {"2026-03-29T01:59:30Z", 1, 2026, 3, 29, 1, 59, 30},
	        {"2026-03-29T01:59:30+01:00", 1, 2026, 3, 29, 0, 59, 30},
	        {"2026-03-29T03:00:00+02:00", 1, 2026, 3, 29, 1, 0, 0},
	        {"2026-12-31T23:59:59-05:30", 1, 2027, 1, 1, 5, 29, 59},
	        {"1970-01-01T00:00:00Z", 1, 1970, 1, 1, 0, 0, 0},
	        {"2028-02-29T12:00:00Z", 1, 2028, 2, 29, 12, 0, 0},
	        {"2027-02-29T12:00:00Z", 0}, /* not a leap year */
	        {"2026-03-29T24:00:00Z", 0},
	        {"2026-03-29T23:60:00Z", 0},
	        {"2026-03-29T23:59:60Z", 0}, /* no leap second */
	        {"2026-03-29T23:59:59", 0},  /* an offset is required */
	        {"2026-03-29 23:59:59Z", 0},
	        {"2026-03-29T23:59:59z", 0},
	        {"2026-03-29T23:59:59+0100", 0},
	        {"2026-03-29T23:59:59+24:00", 0},
	        {"2026-03-29T23:59:59*01:00", 0},
	        {"2026-03-29T23:59:59.5Z", 0},
	        {"2026-03-29", 0},
	        {"", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t t = -1;

		assert_int_equal(cal_instant_parse(rows[i].text, &t) == 0, rows[i].ok);
		if (rows[i].ok)
			assert_int_equal(t, utc(rows[i].y, rows[i].mo, rows[i].d, rows[i].h,
			                        rows[i].mi, rows[i].s));
	}
	assert_int_equal(cal_instant_parse(NULL, &(int64_t){0}), -1);
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
	        cmocka_unit_test(test_instant_parse),
	        cmocka_unit_test(test_business_time),
	};

	return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
