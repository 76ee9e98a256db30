/*
 * fuzz_dates.c - the date and time-zone parsers of src/domain (calendar.c, tz.c), held to
 * properties checked against glibc's timegm rather than to "does not crash".
 *
 * The input is "TEXT" or "TEXT ZONE": TEXT goes to cal_date_parse and cal_instant_parse (the
 * dates of the search, --now, batch run --date), ZONE to tz_find (a user's time zone), and
 * when ZONE is not one, every zone is tried. Properties:
 * - a date or an instant is accepted exactly when it is a real one of the documented form
 *   (checked here by hand and with timegm), and means what timegm says;
 * - a date parsed formats back to the same text;
 * - in each zone, around the instant: the local day starts where tz_day_start says, the
 *   offset is sane, the RFC 3339 form parses back to the instant, and a wall time (the
 *   search's "YYYY-MM-DDTHH:MM" forms) goes to the instant that shows it, or to the earlier
 *   of two, or past the spring gap (tz.h).
 */
#include <stdbool.h>
#include <time.h>

#include "domain/calendar.h"
#include "domain/tz.h"
#include "fuzz.h"

#define US CAL_US_PER_S

/* n decimal digits at s, into *v; false when one is not a digit. */
static bool
num(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* The seconds since the epoch of a civil date and time by glibc; false when glibc normalized
 * it, that is when it is not a real date (31 April). */
static bool
civil(int y, int mo, int d, int h, int mi, int s, int64_t *out)
{
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mo - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_sec = s};
	time_t t = timegm(&tm);

	*out = (int64_t)t;
	return tm.tm_year == y - 1900 && tm.tm_mon == mo - 1 && tm.tm_mday == d;
}

/* "YYYY-MM-DD", years 1970..9999, a real date: its day number, else -1. */
static int64_t
date_oracle(const char *s)
{
	int y, m, d;
	int64_t secs;

	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-' || !num(s, 4, &y) || !num(s + 5, 2, &m) ||
	    !num(s + 8, 2, &d) || y < 1970 || m < 1 || m > 12 || d < 1 ||
	    !civil(y, m, d, 0, 0, 0, &secs))
		return -1;
	return secs / 86400;
}

static void
check_date(const char *s)
{
	int64_t day = -1, want = strlen(s) == 10 ? date_oracle(s) : -1;
	char back[11];
	int rc = cal_date_parse(s, &day);

	FUZZ_CHECK((rc == 0) == (want >= 0), "cal_date_parse(\"%s\") gave %d", s, rc);
	if (rc != 0)
		return;
	FUZZ_CHECK(day == want, "\"%s\" is day %lld, not %lld", s, (long long)day, (long long)want);
	cal_date_format(day, back);
	FUZZ_CHECK(strcmp(back, s) == 0, "\"%s\" formats back as \"%s\"", s, back);
}

/* "YYYY-MM-DDTHH:MM:SSZ" or "…+HH:MM"/"…-HH:MM" (RFC 3339 to the second): the instant in
 * seconds, else false. */
static bool
instant_oracle(const char *s, int64_t *t)
{
	size_t len = strlen(s);
	int h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t day;

	if ((len != 20 && len != 25) || (day = date_oracle(s)) < 0 || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || !num(s + 11, 2, &h) || !num(s + 14, 2, &mi) ||
	    !num(s + 17, 2, &sec) || h > 23 || mi > 59 || sec > 59)
		return false;
	if (len == 20 && s[19] != 'Z')
		return false;
	if (len == 25) {
		sign = s[19] == '+' ? 1 : s[19] == '-' ? -1 : 0;
		if (sign == 0 || s[22] != ':' || !num(s + 20, 2, &oh) || !num(s + 23, 2, &om) ||
		    oh > 23 || om > 59)
			return false;
	}
	*t = day * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	return true;
}

/* The local wall time of t in zone: day number and seconds of the day. */
static void
wall(const struct tz *z, int64_t t, int64_t *day, int64_t *secs)
{
	int64_t local = t / US + tz_offset(z, t);

	*day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	*secs = local - *day * 86400;
}

static void
check_zone(const struct tz *z, int64_t t, int wall_secs)
{
	const char *name = tz_name(z);
	int off = tz_offset(z, t);
	int64_t day = tz_day(z, t), start, next, r, d, s;
	char iso[26];

	FUZZ_CHECK(off >= -12 * 3600 && off <= 14 * 3600, "%s: offset %d", name, off);
	start = tz_day_start(z, day);
	next = tz_day_start(z, day + 1);
	FUZZ_CHECK(start <= t && t < next, "%s: %lld is not in its day %lld", name, (long long)t,
	           (long long)day);
	FUZZ_CHECK(tz_day(z, start) == day && tz_day(z, start - 1) == day - 1,
	           "%s: day %lld does not start at %lld", name, (long long)day, (long long)start);
	if (day >= 0 && day < 2932896) { /* 1970 .. 9999: the range the formats take */
		int64_t back = 0;

		tz_format_iso(z, t, iso);
		FUZZ_CHECK(cal_instant_parse(iso, &back) == 0 && back == t - t % US,
		           "%s: %lld formats as \"%s\", which parses as %lld", name, (long long)t,
		           iso, (long long)back);
	}
	/* The wall time t shows goes back to t, or to the same wall time an hour earlier. */
	wall(z, t, &d, &s);
	r = tz_local_to_utc(z, d, (int)s);
	FUZZ_CHECK(r == t - t % US ||
	                   (r == t - t % US - 3600 * US && tz_offset(z, r) == off + 3600),
	           "%s: the wall time of %lld goes to %lld", name, (long long)t, (long long)r);
	if (wall_secs < 0)
		return;
	/* A wall time of that day: an instant that shows it, the earlier of two, or one shown an
	 * hour later (the spring gap). */
	r = tz_local_to_utc(z, day, wall_secs);
	wall(z, r, &d, &s);
	FUZZ_CHECK(d == day && (s == wall_secs || s == wall_secs + 3600),
	           "%s: wall time %d of day %lld goes to %lld, shown as %lld+%lld", name, wall_secs,
	           (long long)day, (long long)r, (long long)d, (long long)s);
	wall(z, r - 3600 * US, &d, &s);
	FUZZ_CHECK(!(d == day && s == wall_secs),
	           "%s: wall time %d of day %lld: %lld is not the earlier", name, wall_secs,
	           (long long)day, (long long)r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *zone_name = strchr(text, ' ');
	const struct tz *zone;
	int64_t day, t = 0, want = 0;
	int rc, h, mi, sec, wall_secs = -1;

	if (zone_name != NULL)
		*zone_name++ = '\0';
	zone = tz_find(zone_name);
	check_date(text);
	rc = cal_instant_parse(text, &t);
	FUZZ_CHECK((rc == 0) == instant_oracle(text, &want), "cal_instant_parse(\"%s\") gave %d",
	           text, rc);
	FUZZ_CHECK(rc != 0 || t == want * US, "\"%s\" is %lld, not %lld s", text, (long long)t,
	           (long long)want);
	/* Else a date, alone or with a wall time as the search takes it ("…THH:MM:SS"). */
	if (rc != 0 && strlen(text) >= 10) {
		char date[11];

		memcpy(date, text, 10);
		date[10] = '\0';
		if (cal_date_parse(date, &day) != 0) {
			free(text);
			return 0;
		}
		if (strlen(text) >= 19 && num(text + 11, 2, &h) && num(text + 14, 2, &mi) &&
		    num(text + 17, 2, &sec) && h < 24 && mi < 60 && sec < 60)
			wall_secs = h * 3600 + mi * 60 + sec;
		t = day * 86400 * US + 12 * 3600 * US; /* noon UTC: that day in every zone */
	} else if (rc != 0) {
		free(text);
		return 0;
	}
	if (zone != NULL)
		check_zone(zone, t, wall_secs);
	for (size_t i = 0; zone == NULL && i < tz_count(); i++)
		check_zone(tz_find(tz_name_at(i)), t, wall_secs);
	free(text);
	return 0;
}
