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
#define RECURRING_PLAN_SPAN_DAYS 90  /* the legal 3 months between the first and the last */
#define RECURRING_EVERY_MAX      12  /* a subscription debits every 1 to 12 months */
#define RECURRING_DAY_MAX        31  /* its day of the month, 1 to 31, clamped to the month */
#define RECURRING_COUNT_MIN      2   /* its debits, the initial one apart; 0: unlimited */
#define RECURRING_START_MAX_DAYS 366 /* a subscription starts within a year */

/* What a recurring payment is (SPEC §9): an installment plan or a subscription. */
enum recurring_kind { RK_PLAN = 1, RK_SUBSCRIPTION };

/* Its status (Vision manual §6.1.1, §7.1.1). RS_WILL_FAIL is one in progress whose card
 * expires before its next debit. */
enum recurring_status {
	RS_IN_PROGRESS = 1,
	RS_FINISHED,
	RS_FAILED,
	RS_TERMINATED,
	RS_WILL_FAIL,
};

/* A debit's status: to come, made (accepted or refused), or not to be made (the plan ended). */
enum debit_status { DS_PLANNED = 1, DS_ACCEPTED, DS_REFUSED, DS_CANCELLED };

#define RECURRING_ORDER_REF_MAX 250
#define RECURRING_EMAIL_MAX     254
#define RECURRING_REASON_MAX    250
#define ALIAS_LEN               35 /* "al_" and 32 lowercase hexadecimal digits */

/* A plan or subscription as stored (migration 025). Days are Paris days (calendar.h), 0 when
 * none; instants microseconds. */
struct recurring {
	int64_t id;
	int64_t brand_id;
	int64_t shop_id;
	int64_t contract_id;
	enum recurring_kind kind;
	enum recurring_status status;
	int64_t alias_id;
	int method; /* enum card_method */
	char currency[4];
	char order_ref[RECURRING_ORDER_REF_MAX + 1];
	char email[RECURRING_EMAIL_MAX + 1];
	char customer_country[3]; /* ISO 3166-1 alpha-2, "" when not given */
	char card_masked[20];
	char card_expiry[5];    /* MMYY */
	int64_t initial_amount; /* a subscription's, charged at creation; 0: none */
	int64_t amount;         /* a subscription's each debit; a plan's total */
	int64_t count;          /* a plan's installments; a subscription's debits, 0: unlimited */
	int every_months, day_of_month;
	int64_t start_day; /* a plan's first installment; a subscription's first debit on or after */
	int64_t done;      /* debits made (1..), the initial one apart */
	int64_t next_day;  /* 0: none to come */
	int64_t next_amount;
	bool manual; /* entered in the virtual terminal */
	char archive_ref[41];
	int64_t created_by; /* the user, 0: the merchant API */
	char created_by_login[65];
	int64_t created_at, updated_at, ended_at;
	char end_reason[RECURRING_REASON_MAX + 1];
	int64_t ended_by;
	char ended_by_login[65];
	/* Read with the record, for the journals: */
	char alias[ALIAS_LEN + 1]; /* "" when implicit */
	char site[8], rang[4], contract_number[21], shop_name[81];
};

/* One debit of a recurring (number 0: a subscription's initial debit). */
struct recurring_debit {
	int64_t brand_id;
	int64_t recurring_id;
	int64_t number;
	int64_t day;
	int64_t amount;
	enum debit_status status;
	int64_t txn_id; /* 0: not made */
};

/* Names in the API and the database ("plan", "in_progress", "planned", ...) and their
 * parsers (-1: unknown). */
const char *recurring_kind_name(enum recurring_kind k);
const char *recurring_status_name(enum recurring_status s);
const char *debit_status_name(enum debit_status s);
int recurring_kind_parse(const char *s);
int recurring_status_parse(const char *s);
int debit_status_parse(const char *s);

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

/* The day of a subscription's debit number n (n >= 1): the first on day_of_month (clamped)
 * on or after start_day, each next every_months months later. */
int64_t subscription_debit_day(int64_t start_day, int every_months, int day_of_month, int64_t n);

/* After debit done (0: none yet) of r, what comes next: r->next_day and r->next_amount (0
 * when nothing), and r->status RS_FINISHED when nothing, RS_WILL_FAIL when the card expires
 * before the next day, else RS_IN_PROGRESS. A plan's days and amounts are in v (n of them);
 * a subscription's come from its settings. Leaves failed and terminated ones as they are. */
void recurring_advance(struct recurring *r, const struct installment *v, int n);

/* Whether a subscription's settings are taken: every 1 to 12 months, a day of the month 1 to
 * 31, a count of RECURRING_COUNT_MIN or more debits, or 0 for unlimited. */
bool subscription_valid(int every_months, int day_of_month, int64_t count);

/* "Will fail" (§7): whether a card valid through the end of (exp_month, exp_year) has expired
 * on day, the day of the next debit. */
bool recurring_card_fails_on(int exp_month, int exp_year, int64_t day);

#endif
