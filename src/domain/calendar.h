/*
 * calendar.h - civil dates, instants and the business day. No I/O, no time zone database.
 *
 * Instants are int64_t microseconds since the Unix epoch, UTC. A "day" is an int64_t count of
 * days since 1970-01-01. Business days (bank dates, the 75-day limit) are dates in the
 * merchant's zone, Europe/Paris, whose daylight-saving rule (EU: last Sunday of March to last
 * Sunday of October, switching at 01:00 UTC) is computed here.
 */
#ifndef GUICHET_CALENDAR_H
#define GUICHET_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAL_US_PER_S   1000000LL
#define CAL_US_PER_DAY (86400LL * CAL_US_PER_S)

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12, d 1..31). */
int64_t cal_days_from_civil(int y, int m, int d);

/* The civil date of a day number. */
void cal_civil_from_days(int64_t day, int *y, int *m, int *d);

/* Days in month m of year y (28..31). */
int cal_month_days(int y, int m);

/* True when EU summer time is in force at the instant t_us: from the last Sunday of March
 * 01:00 UTC (included) to the last Sunday of October 01:00 UTC (excluded), Directive
 * 2000/84/EC. The same instants in every EU zone, whatever its base offset. */
bool cal_eu_summer(int64_t t_us);

/* Europe/Paris offset from UTC, in seconds (3600 or 7200), at the instant t_us. */
int cal_paris_offset(int64_t t_us);

/* The Europe/Paris date (day number) of the instant t_us. */
int64_t cal_business_day(int64_t t_us);

/* The UTC instant at which the Europe/Paris day starts (00:00 local). */
int64_t cal_business_day_start(int64_t day);

/* The UTC instant of the Europe/Paris wall time day + secs_of_day (0..86399): what a Paris
 * clock time means on that day, e.g. the daily télécollecte at 22:00, which is 21:00 UTC on
 * the spring day and 20:00 on the autumn one, not 22:00 after the day's start. A wall time that
 * happens twice (02:00-02:59 on the autumn day) gives the earlier instant, still in summer
 * time; one that never happens (02:00-02:59 on the spring day) is shifted forward by the
 * gap: 02:30 is 01:30 UTC, which shows as 03:30. */
int64_t cal_business_time(int64_t day, int secs_of_day);

/* Parses "YYYY-MM-DD" (a real date, years 1970..9999) into *day. Returns 0 or -1. */
int cal_date_parse(const char *s, int64_t *day);

/* Parses an RFC 3339 instant to the second, "2026-03-29T01:59:30Z" or with an offset,
 * "2026-03-29T03:00:00+02:00" (a real date and time, no leap second, no fraction), into
 * *t_us. Returns 0 or -1. */
int cal_instant_parse(const char *s, int64_t *t_us);

/* Writes "YYYY-MM-DD" into out (11 bytes). */
void cal_date_format(int64_t day, char out[11]);

/* Writes the instant as RFC 3339 UTC with milliseconds, "2026-11-24T17:43:05.123Z", into out
 * (25 bytes). */
void cal_instant_format(int64_t t_us, char out[25]);

#endif
