/*
 * test_tz.c - the zone table, EU switch instants in every zone, local days, wall times in the
 * spring gap and the autumn repeat, formats, unknown names, agreement with calendar.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "domain/tz.h"

#define H     3600
#define NROWS (sizeof(rows) / sizeof(rows[0]))

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

/* Every supported zone, its winter and summer offsets (seconds east of UTC). */
static const struct {
	const char *name;
	int winter, summer;
	bool na; /* the North American rule, not the EU's */
} zones[] = {
        {"UTC", 0, 0},
        {"Europe/Paris", 1 * H, 2 * H},
        {"Europe/London", 0, 1 * H},
        {"Europe/Dublin", 0, 1 * H},
        {"Europe/Lisbon", 0, 1 * H},
        {"Europe/Brussels", 1 * H, 2 * H},
        {"Europe/Luxembourg", 1 * H, 2 * H},
        {"Europe/Monaco", 1 * H, 2 * H},
        {"Europe/Berlin", 1 * H, 2 * H},
        {"Europe/Madrid", 1 * H, 2 * H},
        {"Europe/Rome", 1 * H, 2 * H},
        {"Europe/Amsterdam", 1 * H, 2 * H},
        {"Europe/Zurich", 1 * H, 2 * H},
        {"Europe/Athens", 2 * H, 3 * H},
        {"Europe/Helsinki", 2 * H, 3 * H},
        {"America/Guadeloupe", -4 * H, -4 * H},
        {"America/Martinique", -4 * H, -4 * H},
        {"America/Cayenne", -3 * H, -3 * H},
        {"Indian/Reunion", 4 * H, 4 * H},
        {"Indian/Mayotte", 3 * H, 3 * H},
        {"Pacific/Noumea", 11 * H, 11 * H},
        {"Pacific/Tahiti", -10 * H, -10 * H},
        {"Pacific/Wallis", 12 * H, 12 * H},
        {"America/Miquelon", -3 * H, -2 * H, true},
        {"America/Montreal", -5 * H, -4 * H, true},
        {"America/Toronto", -5 * H, -4 * H, true},
        {"America/New_York", -5 * H, -4 * H, true},
};

#define NZONES (sizeof(zones) / sizeof(zones[0]))

static void
test_table(void **state)
{
	(void)state;
	assert_int_equal(tz_count(), NZONES);
	for (size_t i = 0; i < NZONES; i++) {
		const struct tz *z = zone(zones[i].name);

		assert_string_equal(tz_name(z), zones[i].name);
		assert_string_equal(tz_name_at(i), zones[i].name);
		assert_ptr_equal(tz_find(tz_name_at(i)), z);
	}
	assert_null(tz_name_at(NZONES));
	assert_null(tz_name_at((size_t)-1));
	assert_non_null(tz_default());
	assert_ptr_equal(tz_default(), tz_find("Europe/Paris"));
	assert_string_equal(tz_name(tz_default()), "Europe/Paris");
}

static void
test_winter_summer(void **state)
{
	int64_t winter[] = {utc(2026, 1, 15, 12, 0, 0), utc(2026, 12, 31, 23, 59, 59),
	                    utc(2025, 11, 15, 0, 0, 0), utc(2030, 2, 1, 6, 0, 0)};
	int64_t summer[] = {utc(2026, 7, 15, 12, 0, 0), utc(2026, 4, 1, 0, 0, 0),
	                    utc(2025, 10, 1, 0, 0, 0), utc(2030, 6, 21, 18, 0, 0)};

	(void)state;
	for (size_t i = 0; i < NZONES; i++) {
		const struct tz *z = zone(zones[i].name);

		for (size_t k = 0; k < sizeof(winter) / sizeof(winter[0]); k++) {
			assert_int_equal(tz_offset(z, winter[k]), zones[i].winter);
			assert_int_equal(tz_offset(z, summer[k]), zones[i].summer);
		}
	}
}

static void
test_switch_instants(void **state)
{
	/* The last Sundays of March and October, 01:00 UTC (Directive 2000/84/EC). */
	static const struct {
		int y, m, d;
		int to_summer;
	} rows[] = {
	        {2026, 3, 29, 1}, {2026, 10, 25, 0}, {2025, 3, 30, 1}, {2025, 10, 26, 0},
	        {2024, 3, 31, 1}, {2024, 10, 27, 0}, {2027, 3, 28, 1}, {2027, 10, 31, 0},
	};

	(void)state;
	for (size_t r = 0; r < NROWS; r++) {
		int64_t at = utc(rows[r].y, rows[r].m, rows[r].d, 1, 0, 0);

		assert_int_equal(cal_eu_summer(at - 1), !rows[r].to_summer);
		assert_int_equal(cal_eu_summer(at), rows[r].to_summer);
		assert_int_equal(cal_eu_summer(at + 1), rows[r].to_summer);
		for (size_t i = 0; i < NZONES; i++) {
			const struct tz *z = zone(zones[i].name);
			int before = rows[r].to_summer ? zones[i].winter : zones[i].summer;

			if (zones[i].na)
				continue;
			int after = rows[r].to_summer ? zones[i].summer : zones[i].winter;

			assert_int_equal(tz_offset(z, at - 1), before);
			assert_int_equal(tz_offset(z, at), after);
			assert_int_equal(tz_offset(z, at + 1), after);
		}
	}
}

static void
test_na_switch_instants(void **state)
{
	/* Second Sunday of March 02:00 local standard time, first Sunday of November 02:00 local
	 * summer time: in UTC, 07:00 and 06:00 for base -5, 05:00 and 04:00 for Miquelon (-3). */
	static const struct {
		const char *name;
		int y, m, d, h;
		int to_summer;
	} rows[] = {
	        {"America/Montreal", 2026, 3, 8, 7, 1}, {"America/Montreal", 2026, 11, 1, 6, 0},
	        {"America/New_York", 2025, 3, 9, 7, 1}, {"America/New_York", 2025, 11, 2, 6, 0},
	        {"America/Toronto", 2027, 3, 14, 7, 1}, {"America/Toronto", 2027, 11, 7, 6, 0},
	        {"America/Miquelon", 2026, 3, 8, 5, 1}, {"America/Miquelon", 2026, 11, 1, 4, 0},
	};

	(void)state;
	for (size_t r = 0; r < NROWS; r++) {
		const struct tz *z = zone(rows[r].name);
		int64_t at = utc(rows[r].y, rows[r].m, rows[r].d, rows[r].h, 0, 0);
		int base = tz_offset(z, utc(rows[r].y, 1, 15, 12, 0, 0));
		int before = rows[r].to_summer ? base : base + H;
		int after = rows[r].to_summer ? base + H : base;

		assert_int_equal(tz_offset(z, at - 1), before);
		assert_int_equal(tz_offset(z, at), after);
		assert_int_equal(tz_offset(z, at + 1), after);
	}
	/* The gap and the repeated hour, as in the EU zones. */
	assert_int_equal(tz_local_to_utc(zone("America/Montreal"), cal_days_from_civil(2026, 3, 8),
	                                 2 * 3600 + 1800),
	                 utc(2026, 3, 8, 7, 30, 0));
	assert_int_equal(tz_local_to_utc(zone("America/Montreal"), cal_days_from_civil(2026, 11, 1),
	                                 1 * 3600 + 1800),
	                 utc(2026, 11, 1, 5, 30, 0));
}

static void
test_day(void **state)
{
	static const struct {
		const char *zone;
		int y, m, d, hh, mm, ss; /* UTC */
		int us;                  /* added microseconds (may be negative) */
		int ly, lm, ld;          /* the local date */
	} rows[] = {
	        {"Europe/Paris", 2026, 1, 14, 23, 0, 0, 0, 2026, 1, 15},
	        {"Europe/Paris", 2026, 1, 14, 23, 0, 0, -1, 2026, 1, 14},
	        {"Europe/Paris", 2026, 7, 14, 22, 0, 0, 0, 2026, 7, 15},
	        {"Europe/Paris", 2026, 7, 14, 22, 0, 0, -1, 2026, 7, 14},
	        /* Around the switches: 01:59:59 then 03:00 local; 02:59:59 CEST then 02:00 CET. */
	        {"Europe/Paris", 2026, 3, 29, 1, 0, 0, -1, 2026, 3, 29},
	        {"Europe/Paris", 2026, 3, 29, 1, 0, 0, 0, 2026, 3, 29},
	        {"Europe/Paris", 2026, 10, 25, 1, 0, 0, -1, 2026, 10, 25},
	        {"Europe/Paris", 2026, 10, 25, 1, 0, 0, 0, 2026, 10, 25},
	        {"Europe/Paris", 2026, 3, 29, 21, 59, 59, 0, 2026, 3, 29},
	        {"Europe/Paris", 2026, 3, 29, 22, 0, 0, 0, 2026, 3, 30},
	        {"Europe/Paris", 2026, 10, 24, 22, 0, 0, -1, 2026, 10, 24},
	        {"Europe/Paris", 2026, 10, 24, 22, 0, 0, 0, 2026, 10, 25},
	        {"Europe/Paris", 2026, 10, 25, 23, 0, 0, -1, 2026, 10, 25},
	        {"Europe/Paris", 2026, 10, 25, 23, 0, 0, 0, 2026, 10, 26},
	        {"Europe/London", 2026, 1, 15, 0, 0, 0, -1, 2026, 1, 14},
	        {"Europe/London", 2026, 1, 15, 0, 0, 0, 0, 2026, 1, 15},
	        {"Europe/London", 2026, 7, 14, 23, 0, 0, 0, 2026, 7, 15},
	        {"Europe/Athens", 2026, 7, 14, 21, 0, 0, -1, 2026, 7, 14},
	        {"Europe/Athens", 2026, 7, 14, 21, 0, 0, 0, 2026, 7, 15},
	        {"UTC", 1970, 1, 1, 0, 0, 0, -1, 1969, 12, 31},
	        {"UTC", 1970, 1, 1, 0, 0, 0, 0, 1970, 1, 1},
	        {"Pacific/Wallis", 2026, 1, 14, 12, 0, 0, -1, 2026, 1, 14},
	        {"Pacific/Wallis", 2026, 1, 14, 12, 0, 0, 0, 2026, 1, 15},
	        {"Pacific/Tahiti", 2026, 1, 15, 10, 0, 0, -1, 2026, 1, 14},
	        {"Pacific/Tahiti", 2026, 1, 15, 10, 0, 0, 0, 2026, 1, 15},
	        {"America/Cayenne", 2027, 1, 1, 3, 0, 0, -1, 2026, 12, 31},
	        {"America/Cayenne", 2027, 1, 1, 3, 0, 0, 0, 2027, 1, 1},
	        {"Indian/Reunion", 2026, 2, 28, 20, 0, 0, 0, 2026, 3, 1},
	};

	(void)state;
	for (size_t i = 0; i < NROWS; i++) {
		int64_t t =
		        utc(rows[i].y, rows[i].m, rows[i].d, rows[i].hh, rows[i].mm, rows[i].ss) +
		        rows[i].us;

		assert_int_equal(tz_day(zone(rows[i].zone), t),
		                 cal_days_from_civil(rows[i].ly, rows[i].lm, rows[i].ld));
	}
}

static void
test_day_start(void **state)
{
	static const struct {
		const char *zone;
		int y, m, d;         /* the local day */
		int hours;           /* how many hours it lasts */
		int sy, sm, sd, shh; /* the UTC instant it starts */
	} rows[] = {
	        {"Europe/Paris", 2026, 1, 15, 24, 2026, 1, 14, 23},
	        {"Europe/Paris", 2026, 7, 15, 24, 2026, 7, 14, 22},
	        {"Europe/Paris", 2026, 3, 28, 24, 2026, 3, 27, 23},
	        {"Europe/Paris", 2026, 3, 29, 23, 2026, 3, 28, 23}, /* spring switch day */
	        {"Europe/Paris", 2026, 3, 30, 24, 2026, 3, 29, 22},
	        {"Europe/Paris", 2026, 10, 25, 25, 2026, 10, 24, 22}, /* autumn switch day */
	        {"Europe/Paris", 2026, 10, 26, 24, 2026, 10, 25, 23},
	        {"Europe/London", 2026, 3, 29, 23, 2026, 3, 29, 0},
	        {"Europe/London", 2026, 3, 30, 24, 2026, 3, 29, 23},
	        {"Europe/London", 2026, 10, 25, 25, 2026, 10, 24, 23},
	        {"Europe/London", 2026, 10, 26, 24, 2026, 10, 26, 0},
	        {"Europe/Lisbon", 2026, 1, 15, 24, 2026, 1, 15, 0},
	        {"Europe/Helsinki", 2026, 3, 29, 23, 2026, 3, 28, 22},
	        {"Europe/Helsinki", 2026, 3, 30, 24, 2026, 3, 29, 21},
	        {"Europe/Helsinki", 2026, 10, 25, 25, 2026, 10, 24, 21},
	        {"Europe/Helsinki", 2026, 10, 26, 24, 2026, 10, 25, 22},
	        {"UTC", 2026, 3, 29, 24, 2026, 3, 29, 0},
	        {"America/Guadeloupe", 2026, 3, 29, 24, 2026, 3, 29, 4},
	        {"America/Cayenne", 2026, 1, 15, 24, 2026, 1, 15, 3},
	        {"Indian/Reunion", 2026, 1, 15, 24, 2026, 1, 14, 20},
	        {"Indian/Mayotte", 2026, 1, 15, 24, 2026, 1, 14, 21},
	        {"Pacific/Noumea", 2026, 1, 15, 24, 2026, 1, 14, 13},
	        {"Pacific/Tahiti", 2026, 1, 15, 24, 2026, 1, 15, 10},
	        {"Pacific/Wallis", 2026, 1, 15, 24, 2026, 1, 14, 12},
	};

	(void)state;
	for (size_t i = 0; i < NROWS; i++) {
		const struct tz *z = zone(rows[i].zone);
		int64_t day = cal_days_from_civil(rows[i].y, rows[i].m, rows[i].d);
		int64_t start = tz_day_start(z, day);

		assert_int_equal(start, utc(rows[i].sy, rows[i].sm, rows[i].sd, rows[i].shh, 0, 0));
		assert_int_equal(tz_local_to_utc(z, day, 0), start);
		assert_int_equal(tz_day(z, start), day);
		assert_int_equal(tz_day(z, start - 1), day - 1);
		assert_int_equal(tz_day_start(z, day + 1) - start,
		                 rows[i].hours * H * CAL_US_PER_S);
	}
}

static void
test_local_to_utc(void **state)
{
	static const struct {
		const char *zone;
		int y, m, d, hh, mm, ss;       /* local wall time */
		int uy, um, ud, uhh, umm, uss; /* the UTC instant chosen */
	} rows[] = {
	        /* Paris spring: 02:00..02:59:59 does not exist; shifted forward by one hour. */
	        {"Europe/Paris", 2026, 3, 29, 1, 59, 59, 2026, 3, 29, 0, 59, 59},
	        {"Europe/Paris", 2026, 3, 29, 2, 0, 0, 2026, 3, 29, 1, 0, 0},
	        {"Europe/Paris", 2026, 3, 29, 2, 30, 0, 2026, 3, 29, 1, 30, 0},
	        {"Europe/Paris", 2026, 3, 29, 2, 59, 59, 2026, 3, 29, 1, 59, 59},
	        {"Europe/Paris", 2026, 3, 29, 3, 0, 0, 2026, 3, 29, 1, 0, 0},
	        {"Europe/Paris", 2026, 3, 29, 3, 30, 0, 2026, 3, 29, 1, 30, 0},
	        /* Paris autumn: 02:00..02:59:59 happens twice; the earlier (CEST) is chosen. */
	        {"Europe/Paris", 2026, 10, 25, 1, 59, 59, 2026, 10, 24, 23, 59, 59},
	        {"Europe/Paris", 2026, 10, 25, 2, 0, 0, 2026, 10, 25, 0, 0, 0},
	        {"Europe/Paris", 2026, 10, 25, 2, 30, 0, 2026, 10, 25, 0, 30, 0},
	        {"Europe/Paris", 2026, 10, 25, 2, 59, 59, 2026, 10, 25, 0, 59, 59},
	        {"Europe/Paris", 2026, 10, 25, 3, 0, 0, 2026, 10, 25, 2, 0, 0},
	        {"Europe/Paris", 2026, 1, 15, 12, 0, 0, 2026, 1, 15, 11, 0, 0},
	        {"Europe/Paris", 2026, 7, 15, 12, 0, 0, 2026, 7, 15, 10, 0, 0},
	        {"Europe/Paris", 2026, 7, 15, 23, 59, 59, 2026, 7, 15, 21, 59, 59},
	        /* London: the gap is 01:00..01:59:59, the repeat 01:00..01:59:59. */
	        {"Europe/London", 2026, 3, 29, 0, 59, 59, 2026, 3, 29, 0, 59, 59},
	        {"Europe/London", 2026, 3, 29, 1, 30, 0, 2026, 3, 29, 1, 30, 0},
	        {"Europe/London", 2026, 3, 29, 2, 0, 0, 2026, 3, 29, 1, 0, 0},
	        {"Europe/London", 2026, 10, 25, 1, 30, 0, 2026, 10, 25, 0, 30, 0},
	        {"Europe/London", 2026, 10, 25, 2, 0, 0, 2026, 10, 25, 2, 0, 0},
	        /* Athens: the gap is 03:00..03:59:59, the repeat 03:00..03:59:59. */
	        {"Europe/Athens", 2026, 3, 29, 3, 30, 0, 2026, 3, 29, 1, 30, 0},
	        {"Europe/Athens", 2026, 3, 29, 4, 0, 0, 2026, 3, 29, 1, 0, 0},
	        {"Europe/Athens", 2026, 10, 25, 3, 30, 0, 2026, 10, 25, 0, 30, 0},
	        {"Europe/Athens", 2026, 10, 25, 4, 0, 0, 2026, 10, 25, 2, 0, 0},
	        /* Fixed zones: no gap, no repeat. */
	        {"UTC", 2026, 3, 29, 2, 30, 0, 2026, 3, 29, 2, 30, 0},
	        {"America/Martinique", 2026, 10, 25, 2, 30, 0, 2026, 10, 25, 6, 30, 0},
	        {"Pacific/Tahiti", 2026, 1, 15, 12, 0, 0, 2026, 1, 15, 22, 0, 0},
	        {"Pacific/Tahiti", 2026, 12, 31, 20, 0, 0, 2027, 1, 1, 6, 0, 0},
	        {"Pacific/Wallis", 2026, 1, 1, 0, 0, 0, 2025, 12, 31, 12, 0, 0},
	        {"Pacific/Noumea", 2026, 1, 1, 10, 59, 59, 2025, 12, 31, 23, 59, 59},
	        {"Indian/Reunion", 2026, 3, 29, 3, 0, 0, 2026, 3, 28, 23, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < NROWS; i++) {
		int64_t day = cal_days_from_civil(rows[i].y, rows[i].m, rows[i].d);
		int secs = rows[i].hh * 3600 + rows[i].mm * 60 + rows[i].ss;

		assert_int_equal(tz_local_to_utc(zone(rows[i].zone), day, secs),
		                 utc(rows[i].uy, rows[i].um, rows[i].ud, rows[i].uhh, rows[i].umm,
		                     rows[i].uss));
	}
}

/* Every instant, read back from its own wall time, gives the same wall time; only the second
 * pass of the autumn hour comes back one hour earlier, and the rest of the instant is kept. */
static void
test_local_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < NZONES; i++) {
		const struct tz *z = zone(zones[i].name);

		for (int64_t t = utc(2025, 12, 31, 0, 0, 0); t < utc(2027, 1, 2, 0, 0, 0);
		     t += 7 * 60 * CAL_US_PER_S + 1) {
			int64_t day = tz_day(z, t);
			int64_t local = t + (int64_t)tz_offset(z, t) * CAL_US_PER_S;
			int64_t us = local - day * CAL_US_PER_DAY;
			int64_t back = tz_local_to_utc(z, day, (int)(us / CAL_US_PER_S)) +
			               us % CAL_US_PER_S;

			if (back != t) {
				assert_int_equal(back, t - H * CAL_US_PER_S);
				assert_int_equal(tz_offset(z, back), tz_offset(z, t) + H);
			}
		}
	}
}

static void
test_format(void **state)
{
	static const struct {
		const char *zone;
		int y, m, d, hh, mm, ss, us; /* UTC */
		const char *local, *iso;
	} rows[] = {
	        {"Europe/Paris", 2026, 11, 24, 17, 43, 5, 123456, "2026-11-24 18:43:05",
	         "2026-11-24T18:43:05+01:00"},
	        {"Europe/Paris", 2026, 7, 14, 22, 0, 0, 0, "2026-07-15 00:00:00",
	         "2026-07-15T00:00:00+02:00"},
	        {"Europe/Paris", 2026, 7, 14, 21, 59, 59, 999999, "2026-07-14 23:59:59",
	         "2026-07-14T23:59:59+02:00"},
	        /* The autumn hour twice, told apart by the offset. */
	        {"Europe/Paris", 2026, 10, 25, 0, 30, 0, 0, "2026-10-25 02:30:00",
	         "2026-10-25T02:30:00+02:00"},
	        {"Europe/Paris", 2026, 10, 25, 1, 30, 0, 0, "2026-10-25 02:30:00",
	         "2026-10-25T02:30:00+01:00"},
	        /* The spring jump. */
	        {"Europe/Paris", 2026, 3, 29, 0, 59, 59, 999999, "2026-03-29 01:59:59",
	         "2026-03-29T01:59:59+01:00"},
	        {"Europe/Paris", 2026, 3, 29, 1, 0, 0, 0, "2026-03-29 03:00:00",
	         "2026-03-29T03:00:00+02:00"},
	        {"UTC", 1970, 1, 1, 0, 0, 0, 0, "1970-01-01 00:00:00", "1970-01-01T00:00:00+00:00"},
	        {"UTC", 1969, 12, 31, 23, 59, 59, 999999, "1969-12-31 23:59:59",
	         "1969-12-31T23:59:59+00:00"},
	        {"Europe/London", 2026, 6, 1, 12, 0, 0, 0, "2026-06-01 13:00:00",
	         "2026-06-01T13:00:00+01:00"},
	        {"Europe/Helsinki", 2026, 12, 31, 22, 0, 0, 0, "2027-01-01 00:00:00",
	         "2027-01-01T00:00:00+02:00"},
	        {"America/Cayenne", 2026, 1, 1, 2, 59, 59, 0, "2025-12-31 23:59:59",
	         "2025-12-31T23:59:59-03:00"},
	        {"America/Guadeloupe", 2026, 5, 1, 4, 0, 0, 0, "2026-05-01 00:00:00",
	         "2026-05-01T00:00:00-04:00"},
	        {"Pacific/Tahiti", 2026, 3, 1, 9, 15, 0, 0, "2026-02-28 23:15:00",
	         "2026-02-28T23:15:00-10:00"},
	        {"Pacific/Noumea", 2024, 2, 28, 13, 0, 0, 0, "2024-02-29 00:00:00",
	         "2024-02-29T00:00:00+11:00"},
	        {"Pacific/Wallis", 2026, 12, 31, 12, 0, 0, 0, "2027-01-01 00:00:00",
	         "2027-01-01T00:00:00+12:00"},
	        {"Indian/Reunion", 2026, 8, 15, 8, 30, 0, 0, "2026-08-15 12:30:00",
	         "2026-08-15T12:30:00+04:00"},
	        {"Indian/Mayotte", 2026, 8, 15, 8, 30, 0, 0, "2026-08-15 11:30:00",
	         "2026-08-15T11:30:00+03:00"},
	};

	(void)state;
	for (size_t i = 0; i < NROWS; i++) {
		const struct tz *z = zone(rows[i].zone);
		int64_t t =
		        utc(rows[i].y, rows[i].m, rows[i].d, rows[i].hh, rows[i].mm, rows[i].ss) +
		        rows[i].us;
		char local[20], iso[26];

		memset(local, 'x', sizeof(local));
		memset(iso, 'x', sizeof(iso));
		tz_format(z, t, local);
		tz_format_iso(z, t, iso);
		assert_string_equal(local, rows[i].local);
		assert_string_equal(iso, rows[i].iso);
	}
}

static void
test_unknown(void **state)
{
	static const char *rows[] = {
	        "",
	        "Europe/paris",
	        "europe/paris",
	        "EUROPE/PARIS",
	        "Mars/Olympus",
	        "Paris",
	        "Europe/Paris ",
	        " Europe/Paris",
	        "Europe/Pari",
	        "Europe/Parisx",
	        "utc",
	        "UTC+1",
	        "Etc/UTC",
	        "CET",
	        "America/Chicago",
	        "Europe/Paris\n",
	};
	char long_name[4097];

	(void)state;
	for (size_t i = 0; i < NROWS; i++)
		assert_null(tz_find(rows[i]));
	assert_null(tz_find(NULL));
	memset(long_name, 'A', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_null(tz_find(long_name));
	/* A supported name as a prefix of a long string is not that zone. */
	memcpy(long_name, "Europe/Paris", strlen("Europe/Paris"));
	assert_null(tz_find(long_name));
}

/* Europe/Paris here is calendar.c's business zone: same offsets, days and day starts. */
static void
test_paris_agrees_with_calendar(void **state)
{
	const struct tz *paris = zone("Europe/Paris");

	(void)state;
	/* An odd step so the sweep lands on every minute and second over the years. */
	for (int64_t t = utc(2019, 1, 1, 0, 0, 0); t < utc(2032, 1, 1, 0, 0, 0);
	     t += 3 * 3600 * CAL_US_PER_S + 17 * 60 * CAL_US_PER_S + 13 * CAL_US_PER_S + 7) {
		assert_int_equal(tz_offset(paris, t), cal_paris_offset(t));
		assert_int_equal(tz_day(paris, t), cal_business_day(t));
	}
	for (int y = 2019; y < 2032; y++) {
		for (int m = 3; m <= 10; m += 7) {
			/* Every day of March and October, and each switch instant +-1 us. */
			for (int d = 1; d <= 31; d++) {
				int64_t day = cal_days_from_civil(y, m, d);
				int64_t at = utc(y, m, d, 1, 0, 0);

				assert_int_equal(tz_day_start(paris, day),
				                 cal_business_day_start(day));
				for (int64_t dt = -1; dt <= 1; dt++) {
					assert_int_equal(tz_offset(paris, at + dt),
					                 cal_paris_offset(at + dt));
					assert_int_equal(tz_day(paris, at + dt),
					                 cal_business_day(at + dt));
				}
			}
		}
	}
	for (int64_t day = cal_days_from_civil(2019, 1, 1); day < cal_days_from_civil(2032, 1, 1);
	     day++)
		assert_int_equal(tz_day_start(paris, day), cal_business_day_start(day));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_winter_summer),
	        cmocka_unit_test(test_switch_instants),
	        cmocka_unit_test(test_na_switch_instants),
	        cmocka_unit_test(test_day),
	        cmocka_unit_test(test_day_start),
	        cmocka_unit_test(test_local_to_utc),
	        cmocka_unit_test(test_local_round_trip),
	        cmocka_unit_test(test_format),
	        cmocka_unit_test(test_unknown),
	        cmocka_unit_test(test_paris_agrees_with_calendar),
	};

	return cmocka_run_group_tests_name("tz", tests, NULL, NULL);
}
