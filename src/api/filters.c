/*
 * filters.c - the journals' filter values (filters.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api/filters.h"
#include "api/query.h"
#include "common/text.h"
#include "domain/calendar.h"
#include "domain/money.h"

int
filter_when(const char *v, const struct tz *z, bool end, int64_t *out)
{
	char date[11];
	int64_t day;
	int hh = 0, mm = 0, ss = 0;
	size_t len = strlen(v);

	if (len < 10)
		return -1;
	memcpy(date, v, 10);
	date[10] = '\0';
	if (cal_date_parse(date, &day) != 0)
		return -1;
	if (len == 10) {
		*out = tz_day_start(z, day + (end ? 1 : 0));
		return 0;
	}
	if ((len != 16 && len != 19) || v[10] != 'T' || v[13] != ':' || (len == 19 && v[16] != ':'))
		return -1;
	for (size_t i = 11; i < len; i++)
		if (i != 13 && i != 16 && (v[i] < '0' || v[i] > '9'))
			return -1;
	hh = (v[11] - '0') * 10 + (v[12] - '0');
	mm = (v[14] - '0') * 10 + (v[15] - '0');
	if (len == 19)
		ss = (v[17] - '0') * 10 + (v[18] - '0');
	if (hh > 23 || mm > 59 || ss > 59)
		return -1;
	*out = tz_local_to_utc(z, day, hh * 3600 + mm * 60 + ss);
	/* An end time takes its whole second. */
	if (end)
		*out += CAL_US_PER_S;
	return 0;
}

void
filter_like(const char *v, char *out, size_t cap)
{
	size_t o = 0;

	for (const char *p = v; *p && o + 3 < cap; p++) {
		if (*p == '_' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o] = '\0';
}

bool
filter_text(const char *v, size_t cap)
{
	size_t n = strlen(v);

	return n > 0 && n < cap && text_is_safe(v, n);
}

int
filter_amount(const char *v, enum amount_cmp *cmp, int64_t *amount)
{
	static const char *const ops[] = {"", "eq:", "ge:", "le:", "ne:"};
	char *e;

	*cmp = AMOUNT_ANY;
	for (int i = 1; i <= 4; i++)
		if (strncmp(v, ops[i], 3) == 0)
			*cmp = (enum amount_cmp)i;
	if (*cmp == AMOUNT_ANY || v[3] < '0' || v[3] > '9')
		return -1;
	*amount = strtoll(v + 3, &e, 10);
	if (*e != '\0' || *amount < 0 || *amount > MONEY_AMOUNT_MAX)
		return -1;
	return 0;
}

int
filter_cursor(char *v, int64_t *after_at, int64_t *after_id)
{
	char *dot = strchr(v, '.');

	if (dot == NULL)
		return -1;
	*dot = '\0';
	return query_id(v, after_at) == 0 && query_id(dot + 1, after_id) == 0 ? 0 : -1;
}
