/*
 * recurring.h - the date and amount rules of installment plans and subscriptions (SPEC §9;
 * Vision manual §6, §7, §10.1.2, §10.1.3). Pure computation on Paris days (days since
 * 1970-01-01, calendar.h) and minor units; no I/O, no clock.
 */
#ifndef GUICHET_RECURRING_H
#define GUICHET_RECURRING_H

#include <stdbool.h>
#include <stdint.h>

#define RECURRING_PLAN_MIN       2 /* "paiement en 2, 3 ou 4 fois" (§10.1.3) */
#define RECURRING_PLAN_MAX       4
#define RECURRING_PLAN_SPAN_DAYS 90 /* the legal 3 months between the first and the last */
#define RECURRING_EVERY_MAX      12 /* a subscription debits every 1 to 12 months */
#define RECURRING_DAY_MAX        31 /* its day of the month, 1 to 31, clamped to the month */
#define RECURRING_COUNT_MIN      2  /* its debits, the initial one included; 0: unlimited */

/* One debit of a plan: its amount (minor units) and its day. */
struct installment {
	int64_t amount;
	int64_t day;
};

/* Why a plan is refused; each is a clear error of the API (its field in a comment). */
enum plan_refusal {
	PLAN_OK = 0,
	PLAN_COUNT,  /* not 2 to 4 installments ("installments") */
	PLAN_AMOUNT, /* an amount of 0 or less, or a total above max_total ("amount") */
	PLAN_PAST,   /* the first day before today ("date") */
	PLAN_ORDER,  /* a day not after the one before ("date") */
	PLAN_SPAN,   /* the last day more than 90 days after the first ("date") */
};

/* Checks n installments against the rules: 2 to 4, each amount above 0 and their total at
 * most max_total (the contract's maximum; INT64_MAX: none), the first on today or later, each
 * day after the one before, the last at most RECURRING_PLAN_SPAN_DAYS after the first. */
enum plan_refusal plan_check(const struct installment *v, int n, int64_t today, int64_t max_total);

/* The even split of total into n amounts (the back office's completion helper, §10.1.3):
 * equal, the first taking the remainder of the division so that the later ones are the same
 * and the whole is exact. 0, or -1 when n is not 2 to 4 or total is less than n. */
int plan_split(int64_t total, int n, int64_t out[]);

/* The day of a subscription's debit k (k >= 1; debit 0 is the initial one, on start_day):
 * in the month every × k months after start_day's, on day_of_month, or that month's last day
 * when it has fewer days (the 31st in February is the 28th or the 29th). */
int64_t subscription_day(int64_t start_day, int every_months, int day_of_month, int k);

/* Whether a subscription's settings are taken: every 1 to 12 months, a day of the month 1 to
 * 31, a count of RECURRING_COUNT_MIN or more debits, or 0 for unlimited. */
bool subscription_valid(int every_months, int day_of_month, int64_t count);

/* "Will fail" (§7): whether a card valid through the end of (exp_month, exp_year) has expired
 * on day, the day of the next debit. */
bool recurring_card_fails_on(int exp_month, int exp_year, int64_t day);

#endif
