/*
 * retention.c - the retention of payment data (retention.h).
 */
#include "domain/retention.h"
#include "domain/calendar.h"

bool
retention_days_valid(int64_t days)
{
	return days >= RETENTION_DAYS_MIN && days <= RETENTION_DAYS_MAX;
}

int64_t
retention_cutoff(int days, int64_t now_us)
{
	/* Periods of 24 h, not calendar days of Paris: the rule reads the same in every zone,
	 * and a day more or less at summer time is an hour, not a day. */
	return now_us - (int64_t)days * CAL_US_PER_DAY;
}

bool
retention_expired(int64_t created_us, int days, int64_t now_us)
{
	return created_us <= retention_cutoff(days, now_us);
}

int64_t
retention_notify_cutoff(int64_t now_us)
{
	return retention_cutoff(RETENTION_NOTIFY_DAYS, now_us);
}

bool
retention_notify_expired(int64_t done_us, int64_t now_us)
{
	return done_us > 0 && done_us <= retention_notify_cutoff(now_us);
}
