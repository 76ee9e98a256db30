/*
 * calendar.c - civil dates (Howard Hinnant's algorithms), Europe/Paris offsets, formats.
 */
#include <stdbool.h>
#include <string.h>

#include "domain/calendar.h"

int64_t
cal_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	unsigned yoe = (unsigned)(yy - era * 400);
	unsigned doy = (unsigned)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

void
cal_civil_from_days(int64_t day, int *y, int *m, int *d)
{
	int64_t z = day + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned dd = doy - (153 * mp + 2) / 5 + 1;
	unsigned mm = mp < 10 ? mp + 3 : mp - 9;

	*y = (int)((int64_t)yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)dd;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
cal_month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Day number of the last Sunday of month m of year y. */
static int64_t
last_sunday(int y, int m)
{
	int64_t last = cal_days_from_civil(y, m, cal_month_days(y, m));
	/* 1970-01-01 was a Thursday: weekday 0 = Sunday is (day + 4) mod 7. */
	int64_t wd = ((last + 4) % 7 + 7) % 7;

	return last - wd;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool
cal_eu_summer(int64_t t_us)
{
	int64_t day = floor_div(t_us, CAL_US_PER_DAY);
	int y, m, d;
	int64_t start, end;

	cal_civil_from_days(day, &y, &m, &d);
	/* EU summer time: from the last Sunday of March 01:00 UTC to the last Sunday of
	 * October 01:00 UTC (Directive 2000/84/EC). */
	start = last_sunday(y, 3) * CAL_US_PER_DAY + 3600 * CAL_US_PER_S;
	end = last_sunday(y, 10) * CAL_US_PER_DAY + 3600 * CAL_US_PER_S;
	return t_us >= start && t_us < end;
}

int
cal_paris_offset(int64_t t_us)
{
	return cal_eu_summer(t_us) ? 7200 : 3600;
}

int64_t
cal_business_day(int64_t t_us)
{
	return floor_div(t_us + (int64_t)cal_paris_offset(t_us) * CAL_US_PER_S, CAL_US_PER_DAY);
}

int64_t
cal_business_day_start(int64_t day)
{
	/* Local midnight is UTC 22:00 or 23:00 the day before; the offset at that instant is
	 * the one of the local day's start (switches happen at 01:00 UTC, never at midnight). */
	int64_t guess = day * CAL_US_PER_DAY - 3600 * CAL_US_PER_S;

	return day * CAL_US_PER_DAY - (int64_t)cal_paris_offset(guess) * CAL_US_PER_S;
}

int64_t
cal_business_time(int64_t day, int secs_of_day)
{
	int64_t local = (day * 86400 + secs_of_day) * CAL_US_PER_S;

	/* Read with the summer offset first, so that a repeated wall time gives the earlier
	 * instant; then with the winter one. A wall time neither reading gives back is in the
	 * hour skipped in spring: the winter reading shifts it forward by the gap. */
	if (cal_paris_offset(local - 7200 * CAL_US_PER_S) == 7200)
		return local - 7200 * CAL_US_PER_S;
	return local - 3600 * CAL_US_PER_S;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
cal_date_parse(const char *s, int64_t *day)
{
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) ||
	    digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
		return -1;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > cal_month_days(y, m))
		return -1;
	*day = cal_days_from_civil(y, m, d);
	return 0;
}

int
cal_instant_parse(const char *s, int64_t *t_us)
{
	char date[11];
	int64_t day;
	int hh, mm, ss, oh = 0, om = 0, sign = 0;
	size_t len = s != NULL ? strlen(s) : 0;

	/* YYYY-MM-DDTHH:MM:SS then Z (20 bytes) or +HH:MM / -HH:MM (25 bytes) */
	if ((len != 20 && len != 25) || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (cal_date_parse(date, &day) != 0 || digits(s + 11, 2, &hh) || digits(s + 14, 2, &mm) ||
	    digits(s + 17, 2, &ss) || hh > 23 || mm > 59 || ss > 59)
		return -1;
	if (len == 20 && s[19] != 'Z')
		return -1;
	if (len == 25) {
		sign = s[19] == '+' ? 1 : s[19] == '-' ? -1 : 0;
		if (sign == 0 || s[22] != ':' || digits(s + 20, 2, &oh) || digits(s + 23, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
	}
	*t_us = (day * 86400 + hh * 3600 + mm * 60 + ss - sign * (oh * 3600 + om * 60)) *
	        CAL_US_PER_S;
	return 0;
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

void
cal_date_format(int64_t day, char out[11])
{
	int y, m, d;

	cal_civil_from_days(day, &y, &m, &d);
	put(out, (unsigned)y, 4);
	out[4] = '-';
	put(out + 5, (unsigned)m, 2);
	out[7] = '-';
	put(out + 8, (unsigned)d, 2);
	out[10] = '\0';
}

void
cal_instant_format(int64_t t_us, char out[25])
{
	int64_t day = floor_div(t_us, CAL_US_PER_DAY);
	int64_t rest = t_us - day * CAL_US_PER_DAY;
	int64_t secs = rest / CAL_US_PER_S;

	cal_date_format(day, out);
	out[10] = 'T';
	put(out + 11, (unsigned)(secs / 3600), 2);
	out[13] = ':';
	put(out + 14, (unsigned)(secs / 60 % 60), 2);
	out[16] = ':';
	put(out + 17, (unsigned)(secs % 60), 2);
	out[19] = '.';
	put(out + 20, (unsigned)(rest % CAL_US_PER_S / 1000), 3);
	out[23] = 'Z';
	out[24] = '\0';
}
