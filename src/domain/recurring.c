/*
 * recurring.c - the rules of installment plans and subscriptions (recurring.h).
 */
#include "domain/recurring.h"

#include <string.h>

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

int64_t
subscription_debit_day(int64_t start_day, int every_months, int day_of_month, int64_t n)
{
	/* The anchor: day_of_month in start_day's month, or in the next when that is earlier. */
	int64_t first = subscription_day(start_day, 1, day_of_month, 0);
	int64_t anchor =
	        first >= start_day ? first : subscription_day(start_day, 1, day_of_month, 1);

	return subscription_day(anchor, every_months, day_of_month, (int)(n - 1));
}

void
recurring_advance(struct recurring *r, const struct installment *v, int n)
{
	int month, year;
	int64_t next = r->done + 1;

	if (r->status == RS_FAILED || r->status == RS_TERMINATED)
		return;
	r->next_day = r->next_amount = 0;
	if (r->kind == RK_PLAN && next <= n) {
		r->next_day = v[next - 1].day;
		r->next_amount = v[next - 1].amount;
	} else if (r->kind == RK_SUBSCRIPTION && (r->count == 0 || next <= r->count)) {
		r->next_day = subscription_debit_day(r->start_day, r->every_months, r->day_of_month,
		                                     next);
		r->next_amount = r->amount;
	}
	if (r->next_day == 0)
		r->status = RS_FINISHED;
	else if (card_expiry_parse(r->card_expiry, &month, &year) == 0 &&
	         recurring_card_fails_on(month, year, r->next_day))
		r->status = RS_WILL_FAIL;
	else
		r->status = RS_IN_PROGRESS;
}

static const char *const kind_names[] = {[RK_PLAN] = "plan", [RK_SUBSCRIPTION] = "subscription"};
static const char *const status_names[] = {
        [RS_IN_PROGRESS] = "in_progress", [RS_FINISHED] = "finished",   [RS_FAILED] = "failed",
        [RS_TERMINATED] = "terminated",   [RS_WILL_FAIL] = "will_fail",
};
static const char *const debit_names[] = {
        [DS_PLANNED] = "planned",
        [DS_ACCEPTED] = "accepted",
        [DS_REFUSED] = "refused",
        [DS_CANCELLED] = "cancelled",
};

static const char *
name_of(const char *const *names, int n, int v)
{
	return v > 0 && v < n && names[v] != NULL ? names[v] : "";
}

static int
parse_in(const char *const *names, int n, const char *s)
{
	for (int i = 1; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

const char *
recurring_kind_name(enum recurring_kind k)
{
	return name_of(kind_names, N(kind_names), (int)k);
}

const char *
recurring_status_name(enum recurring_status s)
{
	return name_of(status_names, N(status_names), (int)s);
}

const char *
debit_status_name(enum debit_status s)
{
	return name_of(debit_names, N(debit_names), (int)s);
}

int
recurring_kind_parse(const char *s)
{
	return parse_in(kind_names, N(kind_names), s);
}

int
recurring_status_parse(const char *s)
{
	return parse_in(status_names, N(status_names), s);
}

int
debit_status_parse(const char *s)
{
	return parse_in(debit_names, N(debit_names), s);
}
