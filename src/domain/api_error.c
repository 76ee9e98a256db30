/*
 * api_error.c - the error log's search period and kept member names (api_error.h).
 */
#include <string.h>

#include "domain/api_error.h"
#include "domain/calendar.h"

void
api_error_window(const struct tz *z, int64_t now_us, int64_t *earliest, int64_t *latest)
{
	int64_t oldest = now_us - (int64_t)API_ERROR_KEEP_DAYS * CAL_US_PER_DAY;

	*earliest = tz_day_start(z, tz_day(z, oldest));
	*latest = tz_day_start(z, tz_day(z, now_us) + 1);
}

enum api_error_period
api_error_period_check(const struct tz *z, int64_t now_us, int64_t from, int64_t to)
{
	int64_t earliest, latest;

	api_error_window(z, now_us, &earliest, &latest);
	if (from < earliest)
		return API_ERROR_PERIOD_FROM;
	if (to > latest || to <= from)
		return API_ERROR_PERIOD_TO;
	return API_ERROR_PERIOD_OK;
}

bool
api_error_field_keep(const char *field)
{
	size_t len, digits = 0;

	if (field == NULL || (len = strlen(field)) == 0 || len > API_ERROR_FIELD_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = field[i];
		bool digit = c >= '0' && c <= '9';

		if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    strchr("_.[]", c) == NULL)
			return false;
		digits = digit ? digits + 1 : 0;
		if (digits > 4)
			return false;
	}
	return true;
}
