/*
 * tz.c - the zone table and local time arithmetic on top of calendar.c's EU rule.
 *
 * Offsets are today's (IANA tzdata 2025): the EU zones follow Directive 2000/84/EC, the
 * French overseas zones keep no summer time. Europe/Dublin's "negative DST" in tzdata gives
 * the same offsets as the EU rule on base 0, which is what is used here. North America
 * (Saint-Pierre-et-Miquelon, Québec) follows the US/Canadian rule of 2007.
 */
#include <stdbool.h>
#include <string.h>

#include "domain/calendar.h"
#include "domain/tz.h"

enum tz_rule {
	TZ_FIXED, /* base offset all year */
	TZ_EU,    /* base offset, +1 h while cal_eu_summer() */
	TZ_NA,    /* base offset, +1 h from the second Sunday of March 02:00 local to the first
	           * Sunday of November 02:00 local (summer time) */
};

struct tz {
	const char *name;  /* IANA name */
	int base;          /* seconds east of UTC outside summer time */
	enum tz_rule rule; /* how the offset changes over the year */
};

#define H 3600

/* Listing order for the UI: UTC, Paris, the EU zones, the overseas zones. */
static const struct tz zones[] = {
        {"UTC", 0, TZ_FIXED},
        {"Europe/Paris", 1 * H, TZ_EU},
        {"Europe/London", 0, TZ_EU},
        {"Europe/Dublin", 0, TZ_EU},
        {"Europe/Lisbon", 0, TZ_EU},
        {"Europe/Brussels", 1 * H, TZ_EU},
        {"Europe/Luxembourg", 1 * H, TZ_EU},
        {"Europe/Monaco", 1 * H, TZ_EU},
        {"Europe/Berlin", 1 * H, TZ_EU},
        {"Europe/Madrid", 1 * H, TZ_EU},
        {"Europe/Rome", 1 * H, TZ_EU},
        {"Europe/Amsterdam", 1 * H, TZ_EU},
        {"Europe/Zurich", 1 * H, TZ_EU},
        {"Europe/Athens", 2 * H, TZ_EU},
        {"Europe/Helsinki", 2 * H, TZ_EU},
        {"America/Guadeloupe", -4 * H, TZ_FIXED},
        {"America/Martinique", -4 * H, TZ_FIXED},
        {"America/Cayenne", -3 * H, TZ_FIXED},
        {"Indian/Reunion", 4 * H, TZ_FIXED},
        {"Indian/Mayotte", 3 * H, TZ_FIXED},
        {"Pacific/Noumea", 11 * H, TZ_FIXED},
        {"Pacific/Tahiti", -10 * H, TZ_FIXED},
        {"Pacific/Wallis", 12 * H, TZ_FIXED},
        {"America/Miquelon", -3 * H, TZ_NA},
        {"America/Montreal", -5 * H, TZ_NA},
        {"America/Toronto", -5 * H, TZ_NA},
        {"America/New_York", -5 * H, TZ_NA},
};

#undef H

#define NZONES (sizeof(zones) / sizeof(zones[0]))

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

const struct tz *
tz_find(const char *name)
{
	if (name == NULL)
		return NULL;
	/* 23 short names: a scan costs less than keeping the table sorted for bsearch, and
	 * lets the table keep its listing order. */
	for (size_t i = 0; i < NZONES; i++)
		if (strcmp(zones[i].name, name) == 0)
			return &zones[i];
	return NULL;
}

const struct tz *
tz_default(void)
{
	/* By name, not by index, so that reordering the table cannot change it. */
	return tz_find("Europe/Paris");
}

const char *
tz_name(const struct tz *zone)
{
	return zone->name;
}

/* The n-th Sunday (1-based) of month m of year y, as a day number. */
static int64_t
nth_sunday(int y, int m, int n)
{
	int64_t first = cal_days_from_civil(y, m, 1);
	int64_t wd = ((first + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */

	return first + (7 - wd) % 7 + 7 * (n - 1);
}

/* US/Canadian summer time of a zone of base offset base: it starts at 02:00 standard time and
 * ends at 02:00 summer time (01:00 standard), local. */
static bool
na_summer(int64_t t_us, int base)
{
	int y, m, d;
	int64_t start, end;

	cal_civil_from_days(floor_div(t_us, CAL_US_PER_DAY), &y, &m, &d);
	start = nth_sunday(y, 3, 2) * CAL_US_PER_DAY + (int64_t)(2 * 3600 - base) * CAL_US_PER_S;
	end = nth_sunday(y, 11, 1) * CAL_US_PER_DAY + (int64_t)(1 * 3600 - base) * CAL_US_PER_S;
	return t_us >= start && t_us < end;
}

int
tz_offset(const struct tz *zone, int64_t t_us)
{
	if ((zone->rule == TZ_EU && cal_eu_summer(t_us)) ||
	    (zone->rule == TZ_NA && na_summer(t_us, zone->base)))
		return zone->base + 3600;
	return zone->base;
}

int64_t
tz_day(const struct tz *zone, int64_t t_us)
{
	return floor_div(t_us + (int64_t)tz_offset(zone, t_us) * CAL_US_PER_S, CAL_US_PER_DAY);
}

int64_t
tz_day_start(const struct tz *zone, int64_t day)
{
	return tz_local_to_utc(zone, day, 0);
}

int64_t
tz_local_to_utc(const struct tz *zone, int64_t day, int secs_of_day)
{
	int64_t local = day * CAL_US_PER_DAY + (int64_t)secs_of_day * CAL_US_PER_S;
	/* The wall time read with the winter and the summer offset; each reading is right when
	 * the zone really has that offset at the instant it gives. */
	int64_t winter = local - (int64_t)zone->base * CAL_US_PER_S;
	int64_t summer = winter - 3600 * CAL_US_PER_S;

	if (zone->rule == TZ_FIXED)
		return winter;
	/* Both right: the autumn hour that happens twice, take the earlier (summer) instant.
	 * Only one right: that one. Neither: the spring gap; the winter reading is the wall time
	 * pushed forward by the gap, as the clock would show it had it not jumped. So the summer
	 * reading wins whenever it is right, and the winter one is the answer otherwise. */
	if (tz_offset(zone, summer) == zone->base + 3600)
		return summer;
	return winter;
}

/* Writes v as n decimal digits, zero-padded, at out. */
static void
put(char *out, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Writes the 19 characters "YYYY-MM-DD?HH:MM:SS" (sep for ?) of the local time local_us (the
 * instant shifted by the offset) at out. */
static void
put_local(int64_t local_us, char sep, char *out)
{
	int64_t day = floor_div(local_us, CAL_US_PER_DAY);
	int64_t secs = (local_us - day * CAL_US_PER_DAY) / CAL_US_PER_S;
	char date[11];

	cal_date_format(day, date);
	memcpy(out, date, 10);
	out[10] = sep;
	put(out + 11, (unsigned)(secs / 3600), 2);
	out[13] = ':';
	put(out + 14, (unsigned)(secs / 60 % 60), 2);
	out[16] = ':';
	put(out + 17, (unsigned)(secs % 60), 2);
}

void
tz_format(const struct tz *zone, int64_t t_us, char out[20])
{
	put_local(t_us + (int64_t)tz_offset(zone, t_us) * CAL_US_PER_S, ' ', out);
	out[19] = '\0';
}

void
tz_format_iso(const struct tz *zone, int64_t t_us, char out[26])
{
	int offset = tz_offset(zone, t_us);
	unsigned mins = (unsigned)(offset < 0 ? -offset : offset) / 60;

	put_local(t_us + (int64_t)offset * CAL_US_PER_S, 'T', out);
	/* RFC 3339 §5.6 time-numoffset; "+00:00" rather than "Z" keeps the width fixed. */
	out[19] = offset < 0 ? '-' : '+';
	put(out + 20, mins / 60, 2);
	out[22] = ':';
	put(out + 23, mins % 60, 2);
	out[25] = '\0';
}

size_t
tz_count(void)
{
	return NZONES;
}

const char *
tz_name_at(size_t i)
{
	return i < NZONES ? zones[i].name : NULL;
}
