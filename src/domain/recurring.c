/*
 * recurring.c - the rules of installment plans and subscriptions (recurring.h).
 */
#include "domain/recurring.h"

#include "domain/calendar.h"
#include "domain/card.h"

enum plan_refusal
plan_check(const struct installment *v, int n, int64_t today, int64_t max_total)
{
	int64_t total = 0;

	if (n < RECURRING_PLAN_MIN || n > RECURRING_PLAN_MAX)
		return PLAN_COUNT;
	for (int i = 0; i < n; i++) {
		/* Each at most max_total: the sum below cannot overflow. */
		if (v[i].amount <= 0 || v[i].amount > max_total - total)
			return PLAN_AMOUNT;
		total += v[i].amount;
	}
	if (v[0].day < today)
		return PLAN_PAST;
	for (int i = 1; i < n; i++)
		if (v[i].day <= v[i - 1].day)
			return PLAN_ORDER;
	if (v[n - 1].day - v[0].day > RECURRING_PLAN_SPAN_DAYS)
		return PLAN_SPAN;
	return PLAN_OK;
}

int
plan_split(int64_t total, int n, int64_t out[])
{
	if (n < RECURRING_PLAN_MIN || n > RECURRING_PLAN_MAX || total < n)
		return -1;
	for (int i = 0; i < n; i++)
		out[i] = total / n;
	out[0] += total % n;
	return 0;
}

int64_t
subscription_day(int64_t start_day, int every_months, int day_of_month, int k)
{
	int y, m, d;
	int64_t months;

	cal_civil_from_days(start_day, &y, &m, &d);
	months = (int64_t)y * 12 + (m - 1) + (int64_t)every_months * k;
	y = (int)(months / 12);
	m = (int)(months % 12) + 1;
	d = cal_month_days(y, m);
	return cal_days_from_civil(y, m, day_of_month < d ? day_of_month : d);
}

bool
subscription_valid(int every_months, int day_of_month, int64_t count)
{
	return every_months >= 1 && every_months <= RECURRING_EVERY_MAX && day_of_month >= 1 &&
	       day_of_month <= RECURRING_DAY_MAX && (count == 0 || count >= RECURRING_COUNT_MIN);
}

bool
recurring_card_fails_on(int exp_month, int exp_year, int64_t day)
{
	int y, m, d;

	cal_civil_from_days(day, &y, &m, &d);
	return card_expired(exp_month, exp_year, y, m);
}
