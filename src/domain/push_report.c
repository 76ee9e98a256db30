/*
 * push_report.c - when a daily push report is due (push_report.h).
 */
#include <stdbool.h>

#include "domain/calendar.h"
#include "domain/push_report.h"

/* The local seconds of the day of instant t in zone. */
static int64_t
local_secs(const struct tz *zone, int64_t t)
{
	int64_t local = t / CAL_US_PER_S + tz_offset(zone, t);
	int64_t secs = local % 86400;

	return secs < 0 ? secs + 86400 : secs;
}

int64_t
push_due_at(const struct tz *zone, int64_t day, int minute)
{
	int64_t t = tz_local_to_utc(zone, day, minute * 60);
	int64_t lo, hi;

	if (tz_day(zone, t) == day && local_secs(zone, t) == (int64_t)minute * 60)
		return t; /* the wall time exists (the first of two in autumn) */
	/* Skipped: t is the wall time read with the offset before the gap, so the change happened
	 * in the hour before it; the first instant with t's offset is the end of the gap. */
	lo = t - 3600 * CAL_US_PER_S;
	hi = t;
	while (hi - lo > CAL_US_PER_S) {
		int64_t mid = lo + (hi - lo) / 2;

		if (tz_offset(zone, mid) == tz_offset(zone, t))
			hi = mid;
		else
			lo = mid;
	}
	return hi - hi % CAL_US_PER_S;
}

int64_t
push_due_day(const struct tz *zone, int minute, int64_t now)
{
	int64_t day = tz_day(zone, now);

	return push_due_at(zone, day, minute) <= now ? day : day - 1;
}

int64_t
push_next_due(const struct tz *zone, int minute, int64_t now)
{
	return push_due_at(zone, push_due_day(zone, minute, now) + 1, minute);
}

static bool
digit(char c)
{
	return c >= '0' && c <= '9';
}

int
push_time_parse(const char *s)
{
	int h, m;

	if (s == NULL || !digit(s[0]) || !digit(s[1]) || s[2] != ':' || !digit(s[3]) ||
	    !digit(s[4]) || s[5] != '\0')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	return h < 24 && m < 60 ? h * 60 + m : -1;
}

void
push_time_format(int minute, char out[6])
{
	out[0] = (char)('0' + minute / 600);
	out[1] = (char)('0' + minute / 60 % 10);
	out[2] = ':';
	out[3] = (char)('0' + minute % 60 / 10);
	out[4] = (char)('0' + minute % 10);
	out[5] = '\0';
}

int64_t
push_retry_after_us(int attempts)
{
	if (attempts >= PUSH_ATTEMPTS_MAX)
		return 0;
	return (attempts <= 1 ? 15 * 60 : 3600) * CAL_US_PER_S;
}
