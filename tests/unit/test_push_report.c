/*
 * test_push_report.c - when a daily push report is due (domain/push_report.h): the wall time
 * of a day in winter and summer, the hour the spring change skips (run at the gap's end), the
 * hour the autumn change repeats (run once, at the first), the EU and North American rules, a
 * fixed zone past midnight UTC; the due day on either side of the time; one run a local day
 * over a whole year; the time's text; the retry rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "domain/push_report.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* The UTC instant y-m-d hh:mm:ss. */
static int64_t
utc(int y, int m, int d, int hh, int mm, int ss)
{
	return (cal_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss) * CAL_US_PER_S;
}

static const struct tz *
zone(const char *name)
{
	const struct tz *z = tz_find(name);

	assert_non_null(z);
	return z;
}

/* push_due_at: a zone's local day and wall time, and the UTC instant it runs at. */
static const struct {
	const char *zone;
	int y, m, d, minute;
	int uy, um, ud, uh, umin;
	const char *why;
} due_rows[] = {
        {"Europe/Paris", 2026, 11, 20, 7 * 60, 2026, 11, 20, 6, 0, "winter: +01:00"},
        {"Europe/Paris", 2026, 7, 1, 7 * 60, 2026, 7, 1, 5, 0, "summer: +02:00"},
        {"Europe/Paris", 2026, 3, 29, 1 * 60 + 59, 2026, 3, 29, 0, 59, "spring day, before"},
        {"Europe/Paris", 2026, 3, 29, 2 * 60, 2026, 3, 29, 1, 0, "skipped: the gap's end"},
        {"Europe/Paris", 2026, 3, 29, 2 * 60 + 30, 2026, 3, 29, 1, 0, "skipped: the gap's end"},
        {"Europe/Paris", 2026, 3, 29, 2 * 60 + 59, 2026, 3, 29, 1, 0, "skipped: the gap's end"},
        {"Europe/Paris", 2026, 3, 29, 3 * 60, 2026, 3, 29, 1, 0, "03:00 summer time"},
        {"Europe/Paris", 2026, 3, 29, 7 * 60, 2026, 3, 29, 5, 0, "after the change"},
        {"Europe/Paris", 2026, 10, 25, 1 * 60 + 30, 2026, 10, 24, 23, 30, "autumn day, before"},
        {"Europe/Paris", 2026, 10, 25, 2 * 60 + 30, 2026, 10, 25, 0, 30, "repeated: the first"},
        {"Europe/Paris", 2026, 10, 25, 3 * 60, 2026, 10, 25, 2, 0, "after the change"},
        {"Europe/Paris", 2027, 3, 28, 2 * 60 + 15, 2027, 3, 28, 1, 0, "2027's spring gap"},
        {"Europe/London", 2026, 3, 29, 1 * 60 + 30, 2026, 3, 29, 1, 0, "London's gap: 01:00"},
        {"Europe/Athens", 2026, 3, 29, 3 * 60 + 30, 2026, 3, 29, 1, 0, "Athens' gap: 03:00"},
        {"America/New_York", 2027, 3, 14, 2 * 60 + 30, 2027, 3, 14, 7, 0, "NA gap: 03:00 EDT"},
        {"America/New_York", 2027, 11, 7, 1 * 60 + 30, 2027, 11, 7, 5, 30, "NA repeat: EDT"},
        {"America/New_York", 2027, 1, 10, 23 * 60 + 59, 2027, 1, 11, 4, 59, "past UTC midnight"},
        {"Pacific/Tahiti", 2026, 11, 20, 23 * 60 + 59, 2026, 11, 21, 9, 59, "fixed, -10:00"},
        {"Pacific/Noumea", 2026, 11, 20, 0, 2026, 11, 19, 13, 0, "fixed, +11:00"},
        {"UTC", 2026, 3, 29, 2 * 60 + 30, 2026, 3, 29, 2, 30, "UTC has no change"},
};

static void
test_due_at(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(due_rows); i++) {
		int64_t day = cal_days_from_civil(due_rows[i].y, due_rows[i].m, due_rows[i].d);
		int64_t want = utc(due_rows[i].uy, due_rows[i].um, due_rows[i].ud, due_rows[i].uh,
		                   due_rows[i].umin, 0);
		int64_t got = push_due_at(zone(due_rows[i].zone), day, due_rows[i].minute);

		if (got != want)
			fail_msg("row %zu (%s %s): %lld, want %lld", i, due_rows[i].zone,
			         due_rows[i].why, (long long)got, (long long)want);
		/* Always on the local day asked for. */
		assert_int_equal(tz_day(zone(due_rows[i].zone), got), day);
	}
}

/* push_due_day: the day whose time is the last one at or before now. */
static void
test_due_day(void **state)
{
	const struct tz *paris = zone("Europe/Paris");
	int64_t nov19 = cal_days_from_civil(2026, 11, 19);
	int64_t mar28 = cal_days_from_civil(2026, 3, 28);
	int64_t oct25 = cal_days_from_civil(2026, 10, 25);

	(void)state;
	assert_int_equal(push_due_day(paris, 420, utc(2026, 11, 20, 5, 59, 59)), nov19);
	assert_int_equal(push_due_day(paris, 420, utc(2026, 11, 20, 6, 0, 0)), nov19 + 1);
	assert_int_equal(push_due_day(paris, 420, utc(2026, 11, 20, 23, 30, 0)), nov19 + 1);
	/* Skipped 02:30: due at 03:00 summer time, 01:00 UTC. */
	assert_int_equal(push_due_day(paris, 150, utc(2026, 3, 29, 0, 59, 59)), mar28);
	assert_int_equal(push_due_day(paris, 150, utc(2026, 3, 29, 1, 0, 0)), mar28 + 1);
	/* Repeated 02:30: due at the first; the second is still that day, not another run. */
	assert_int_equal(push_due_day(paris, 150, utc(2026, 10, 25, 0, 29, 59)), oct25 - 1);
	assert_int_equal(push_due_day(paris, 150, utc(2026, 10, 25, 0, 30, 0)), oct25);
	assert_int_equal(push_due_day(paris, 150, utc(2026, 10, 25, 1, 30, 0)), oct25);
	assert_int_equal(push_next_due(paris, 150, utc(2026, 10, 25, 1, 30, 0)),
	                 utc(2026, 10, 26, 1, 30, 0));
	assert_int_equal(push_next_due(paris, 150, utc(2026, 3, 28, 12, 0, 0)),
	                 utc(2026, 3, 29, 1, 0, 0));
	/* Exactly at the time: that is a run, the next one a day later. */
	assert_int_equal(push_next_due(paris, 420, utc(2026, 11, 20, 6, 0, 0)),
	                 utc(2026, 11, 21, 6, 0, 0));
}

/* One run a local day, every day of a year, in each zone with a change, at times inside the
 * spring gap and the autumn repeat. */
static void
test_one_run_a_day(void **state)
{
	static const char *const names[] = {"Europe/Paris", "Europe/London", "America/New_York",
	                                    "Pacific/Tahiti"};
	static const int minutes[] = {0, 60 + 30, 2 * 60 + 30, 3 * 60, 7 * 60, 23 * 60 + 59};

	(void)state;
	for (size_t z = 0; z < NROWS(names); z++) {
		for (size_t k = 0; k < NROWS(minutes); k++) {
			const struct tz *tz = zone(names[z]);
			int64_t now = utc(2026, 1, 1, 12, 0, 0);
			int64_t day = push_due_day(tz, minutes[k], now);

			for (int n = 0; n < 730; n++) {
				int64_t next = push_next_due(tz, minutes[k], now);

				assert_true(next > now);
				assert_int_equal(tz_day(tz, next), day + 1);
				assert_int_equal(push_due_day(tz, minutes[k], next), day + 1);
				assert_int_equal(push_due_day(tz, minutes[k], next - 1), day);
				now = next;
				day++;
			}
		}
	}
}

static void
test_time_text(void **state)
{
	static const struct {
		const char *text;
		int minute;
	} rows[] = {
	        {"00:00", 0}, {"07:00", 420}, {"23:59", 1439}, {"12:05", 725}, {"24:00", -1},
	        {"7:00", -1}, {"07:60", -1},  {"07:00 ", -1},  {" 07:00", -1}, {"0700", -1},
	        {"", -1},     {"ab:cd", -1},  {"07-00", -1},   {"99:99", -1},
	};
	char out[6];

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++)
		if (push_time_parse(rows[i].text) != rows[i].minute)
			fail_msg("\"%s\": %d", rows[i].text, push_time_parse(rows[i].text));
	assert_int_equal(push_time_parse(NULL), -1);
	for (int m = 0; m < 1440; m++) {
		push_time_format(m, out);
		assert_int_equal(push_time_parse(out), m);
	}
	push_time_format(425, out);
	assert_string_equal(out, "07:05");
}

static void
test_retry(void **state)
{
	(void)state;
	assert_int_equal(push_retry_after_us(1), 15 * 60 * CAL_US_PER_S);
	assert_int_equal(push_retry_after_us(2), 3600 * CAL_US_PER_S);
	assert_int_equal(push_retry_after_us(PUSH_ATTEMPTS_MAX), 0);
	assert_int_equal(push_retry_after_us(PUSH_ATTEMPTS_MAX + 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_due_at),        cmocka_unit_test(test_due_day),
	        cmocka_unit_test(test_one_run_a_day), cmocka_unit_test(test_time_text),
	        cmocka_unit_test(test_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
