/*
 * columns.c - the journals' column catalogues and their export text (columns.h).
 */
#include <stdio.h>
#include <string.h>

#include "api/columns.h"
#include "api/export_layout.h"
#include "domain/calendar.h"

/* A column of a journal's catalogue. */
struct column_def {
	const char *key;
	uint64_t txn_fields;   /* TF_BIT()s of the transaction it shows; 0 for a batch's */
	enum export_kind kind; /* how the classic layout writes it (export_layout.h) */
	const char *set;       /* an EK_WORD's set of names */
};

enum txn_col {
	TC_ID,
	TC_CREATED_AT,
	TC_TYPE,
	TC_STATUS,
	TC_ACQ,
	TC_AMOUNT_INITIAL,
	TC_AMOUNT_CURRENT,
	TC_AMOUNT_REFUNDED,
	TC_CURRENCY,
	TC_ORDER_REF,
	TC_CARD_MASKED,
	TC_METHOD,
	TC_EMAIL,
	TC_CUSTOMER_COUNTRY,
	TC_CARD_COUNTRY,
	TC_AUTH_NUMBER,
	TC_REFUSAL,
	TC_CARD_EXPIRY,
	TC_TDS,
	TC_TDS_AUTH,
	TC_TDS_GUARANTEED,
	TC_SHOP,
	TC_BATCH,
	TC_BANK_DATE,
	TC_WALLET,
	TC_ACQUIRER,
	TC_ISSUER,
	TC_CARD_TYPE,
	TC_CAPTURE,
	TC_PARENT,
	TC_ACCEPTED_AT,
	TC_UPDATED_AT,
	TC_MANUAL,
	TC_ARCHIVE_REF,
	TC_ORIGIN,
	TC__COUNT
};

/* The transactions journal's columns: the key, and the fields of a transaction it shows
 * (an export reads only those). */
static const struct column_def txn_cols[TC__COUNT] = {
        [TC_ID] = {"id", TF_BIT(TF_ID), EK_NUMBER},
        [TC_CREATED_AT] = {"created_at", TF_BIT(TF_CREATED_AT), EK_INSTANT},
        [TC_TYPE] = {"type", TF_BIT(TF_TYPE), EK_WORD, "tx.type"},
        [TC_STATUS] = {"status", TF_BIT(TF_STATUS), EK_WORD, "tx.status"},
        [TC_ACQ] = {"acquirer_status", TF_BIT(TF_ACQ), EK_WORD, "tx.acq"},
        [TC_AMOUNT_INITIAL] = {"amount_initial", TF_BIT(TF_AMOUNT_INITIAL), EK_AMOUNT},
        [TC_AMOUNT_CURRENT] = {"amount_current", TF_BIT(TF_AMOUNT_CURRENT), EK_AMOUNT},
        [TC_AMOUNT_REFUNDED] = {"amount_refunded", TF_BIT(TF_AMOUNT_REFUNDED), EK_AMOUNT},
        [TC_CURRENCY] = {"currency", TF_BIT(TF_CURRENCY)},
        [TC_ORDER_REF] = {"order_ref", TF_BIT(TF_ORDER_REF)},
        [TC_CARD_MASKED] = {"card_masked", TF_BIT(TF_CARD_MASKED)},
        [TC_METHOD] = {"payment_method", TF_BIT(TF_METHOD)},
        [TC_EMAIL] = {"email", TF_BIT(TF_EMAIL)},
        [TC_CUSTOMER_COUNTRY] = {"customer_country", TF_BIT(TF_CUSTOMER_COUNTRY)},
        [TC_CARD_COUNTRY] = {"card_country", TF_BIT(TF_CARD_COUNTRY)},
        [TC_AUTH_NUMBER] = {"authorization_number", TF_BIT(TF_AUTH_NUMBER)},
        [TC_REFUSAL] = {"refusal_reason", TF_BIT(TF_REFUSAL), EK_WORD, "tx.refusal"},
        [TC_CARD_EXPIRY] = {"card_expiry", TF_BIT(TF_CARD_EXPIRY)},
        [TC_TDS] = {"three_d_secure",
                    TF_BIT(TF_TDS) | TF_BIT(TF_TDS_GUARANTEED) | TF_BIT(TF_ACCEPTED_AT), EK_WORD,
                    "yes_no"},
        [TC_TDS_AUTH] = {"three_d_secure_authenticated", TF_BIT(TF_TDS) | TF_BIT(TF_TDS_AUTH)},
        [TC_TDS_GUARANTEED] = {"three_d_secure_guaranteed",
                               TF_BIT(TF_TDS) | TF_BIT(TF_TDS_GUARANTEED), EK_WORD, "yes_no"},
        [TC_SHOP] = {"shop", TF_BIT(TF_SHOP), EK_SHOP},
        [TC_BATCH] = {"batch", TF_BIT(TF_BATCH) | TF_BIT(TF_BATCH_NUMBER), EK_NUMBER},
        [TC_BANK_DATE] = {"bank_date", TF_BIT(TF_BANK_DAY), EK_DAY},
        [TC_WALLET] = {"wallet", TF_BIT(TF_WALLET)},
        [TC_ACQUIRER] = {"acquirer", TF_BIT(TF_ACQUIRER)},
        [TC_ISSUER] = {"issuer", TF_BIT(TF_ISSUER)},
        [TC_CARD_TYPE] = {"card_type", TF_BIT(TF_CARD_TYPE)},
        [TC_CAPTURE] = {"capture", TF_BIT(TF_CAPTURE_MANUAL), EK_WORD, "yes_no"},
        [TC_PARENT] = {"parent_id", TF_BIT(TF_PARENT), EK_NUMBER},
        [TC_ACCEPTED_AT] = {"accepted_at", TF_BIT(TF_ACCEPTED_AT), EK_INSTANT},
        [TC_UPDATED_AT] = {"updated_at", TF_BIT(TF_UPDATED_AT), EK_INSTANT},
        [TC_MANUAL] = {"manual", TF_BIT(TF_MANUAL), EK_WORD, "yes_no"},
        [TC_ARCHIVE_REF] = {"archive_ref", TF_BIT(TF_ARCHIVE_REF)},
        [TC_ORIGIN] = {"origin", TF_BIT(TF_ORIGIN)},
};

/* The journal's columns before a user chooses (Vision manual §4.1.2): what a first search is
 * read for (when, which shop, which order, what happened, how much, which card), so the table
 * fits a screen; the method, the customer and the authorization are a choice away. These are
 * also the default export's columns: every field SPEC §16 gives a journal item is among them. */
static const unsigned char txn_default[] = {
        TC_ID,  TC_CREATED_AT,     TC_SHOP,           TC_ORDER_REF, TC_TYPE,        TC_STATUS,
        TC_ACQ, TC_AMOUNT_INITIAL, TC_AMOUNT_CURRENT, TC_CURRENCY,  TC_CARD_MASKED,
};

enum batch_col {
	BC_ID,
	BC_CREATED_AT,
	BC_BANK_DATE,
	BC_NUMBER,
	BC_CONTRACT,
	BC_RANG,
	BC_METHOD,
	BC_CURRENCY,
	BC_DEBIT_COUNT,
	BC_DEBIT_AMOUNT,
	BC_CREDIT_COUNT,
	BC_CREDIT_AMOUNT,
	BC_COUNT,
	BC_TOTAL,
	BC_STATUS,
	BC_FILE,
	BC__COUNT
};

static const struct column_def batch_cols[BC__COUNT] = {
        [BC_ID] = {"id", 0, EK_NUMBER},
        [BC_CREATED_AT] = {"created_at", 0, EK_INSTANT},
        [BC_BANK_DATE] = {"bank_date", 0, EK_DAY},
        [BC_NUMBER] = {"number", 0, EK_NUMBER},
        [BC_CONTRACT] = {"contract", 0},
        [BC_RANG] = {"rang", 0},
        [BC_METHOD] = {"payment_method", 0},
        [BC_CURRENCY] = {"currency", 0},
        [BC_DEBIT_COUNT] = {"debit_count", 0, EK_NUMBER},
        [BC_DEBIT_AMOUNT] = {"debit_amount", 0, EK_AMOUNT},
        [BC_CREDIT_COUNT] = {"credit_count", 0, EK_NUMBER},
        [BC_CREDIT_AMOUNT] = {"credit_amount", 0, EK_AMOUNT},
        [BC_COUNT] = {"transaction_count", 0, EK_NUMBER},
        [BC_TOTAL] = {"total", 0, EK_AMOUNT},
        [BC_STATUS] = {"status", 0, EK_WORD, "batch.status"},
        [BC_FILE] = {"file_name", 0},
};

/* The batch journal's columns (Vision manual §5.1.2). */
static const unsigned char batch_default[] = {
        BC_CREATED_AT,  BC_NUMBER,       BC_COUNT,   BC_CREDIT_COUNT, BC_CREDIT_AMOUNT,
        BC_DEBIT_COUNT, BC_DEBIT_AMOUNT, BC_TOTAL,   BC_STATUS,       BC_CONTRACT,
        BC_RANG,        BC_METHOD,       BC_CURRENCY};

enum recurring_col {
	/* Both journals' columns: */
	RC_ID,
	RC_STATUS,
	RC_COUNT,
	RC_CREATED_AT,
	RC_ORDER_REF,
	RC_CARD_EXPIRY,
	RC_EMAIL,
	RC_NEXT_AMOUNT,
	RC_NEXT_DATE,
	RC_REMAINING,
	RC_DONE,
	RC_AMOUNT,
	RC_CURRENCY,
	RC_CARD_MASKED,
	RC_METHOD,
	RC_SHOP,
	RC_SITE,
	RC_RANG,
	RC_CONTRACT,
	RC_START,
	RC_MANUAL,
	RC_ENDED_AT,
	RC_END_REASON,
	RC__PLAN_COUNT,
	/* A subscription's only: */
	RC_INITIAL_AMOUNT = RC__PLAN_COUNT,
	RC_EVERY_MONTHS,
	RC_DAY_OF_MONTH,
	RC__COUNT
};

/* The keys are those of the journal's items (render.c's recurring_json). */
static const struct column_def recurring_cols[RC__COUNT] = {
        [RC_ID] = {"id", 0, EK_NUMBER},
        [RC_STATUS] = {"status", 0, EK_WORD, "recurring.status"},
        [RC_COUNT] = {"count", 0, EK_WORD, "recurring.status"},
        [RC_CREATED_AT] = {"created_at", 0, EK_INSTANT},
        [RC_ORDER_REF] = {"order_ref", 0},
        [RC_CARD_EXPIRY] = {"card_expiry", 0},
        [RC_EMAIL] = {"email", 0},
        [RC_NEXT_AMOUNT] = {"next_amount", 0, EK_AMOUNT},
        [RC_NEXT_DATE] = {"next_date", 0, EK_DAY},
        [RC_REMAINING] = {"remaining", 0, EK_WORD, "recurring.status"},
        [RC_DONE] = {"done", 0, EK_NUMBER},
        [RC_AMOUNT] = {"amount", 0, EK_AMOUNT},
        [RC_CURRENCY] = {"currency", 0},
        [RC_CARD_MASKED] = {"card_masked", 0},
        [RC_METHOD] = {"payment_method", 0},
        [RC_SHOP] = {"shop_name", 0},
        [RC_SITE] = {"site", 0},
        [RC_RANG] = {"rang", 0},
        [RC_CONTRACT] = {"contract_number", 0},
        [RC_START] = {"start", 0, EK_DAY},
        [RC_MANUAL] = {"manual", 0, EK_WORD, "yes_no"},
        [RC_ENDED_AT] = {"ended_at", 0, EK_INSTANT},
        [RC_END_REASON] = {"end_reason", 0},
        [RC_INITIAL_AMOUNT] = {"initial_amount", 0, EK_AMOUNT},
        [RC_EVERY_MONTHS] = {"every_months", 0, EK_NUMBER},
        [RC_DAY_OF_MONTH] = {"day_of_month", 0, EK_NUMBER},
};

/* The journals' columns (Vision manual §6.1.2, §7.1.2): a plan's type is its count. */
static const unsigned char plan_default[] = {
        RC_ID,    RC_STATUS,      RC_COUNT,     RC_CREATED_AT, RC_ORDER_REF, RC_CARD_EXPIRY,
        RC_EMAIL, RC_NEXT_AMOUNT, RC_NEXT_DATE, RC_REMAINING,  RC_CURRENCY};
static const unsigned char subscription_default[] = {
        RC_ID,          RC_STATUS,    RC_CREATED_AT, RC_ORDER_REF,    RC_CARD_EXPIRY,  RC_EMAIL,
        RC_NEXT_AMOUNT, RC_NEXT_DATE, RC_REMAINING,  RC_EVERY_MONTHS, RC_DAY_OF_MONTH, RC_CURRENCY};

/* The old layout's columns (export_layout.h, docs/EXPORTS.md): the transactions journal's
 * default as Vision's former export had it, frozen here so that the default may change and
 * the old files not; the other journals' defaults have not changed since their first export. */
static const unsigned char txn_old[] = {TC_ID,
                                        TC_CREATED_AT,
                                        TC_TYPE,
                                        TC_STATUS,
                                        TC_ACQ,
                                        TC_AMOUNT_INITIAL,
                                        TC_AMOUNT_CURRENT,
                                        TC_CURRENCY,
                                        TC_ORDER_REF,
                                        TC_CARD_MASKED,
                                        TC_METHOD,
                                        TC_EMAIL,
                                        TC_CUSTOMER_COUNTRY,
                                        TC_CARD_COUNTRY,
                                        TC_AUTH_NUMBER,
                                        TC_REFUSAL};

static const struct {
	const char *name, *pref;
	const struct column_def *cols;
	int count;
	const unsigned char *dflt;
	int ndflt;
	const unsigned char *old; /* the old layout's columns */
	int nold;
} journals[JOURNAL__COUNT] = {
        [JOURNAL_TRANSACTIONS] = {"transactions", "columns.transactions", txn_cols, TC__COUNT,
                                  txn_default, sizeof(txn_default), txn_old, sizeof(txn_old)},
        [JOURNAL_BATCHES] = {"batches", "columns.batches", batch_cols, BC__COUNT, batch_default,
                             sizeof(batch_default), batch_default, sizeof(batch_default)},
        [JOURNAL_PLANS] = {"installment_plans", "columns.installment_plans", recurring_cols,
                           RC__PLAN_COUNT, plan_default, sizeof(plan_default), plan_default,
                           sizeof(plan_default)},
        [JOURNAL_SUBSCRIPTIONS] = {"subscriptions", "columns.subscriptions", recurring_cols,
                                   RC__COUNT, subscription_default, sizeof(subscription_default),
                                   subscription_default, sizeof(subscription_default)},
};

const char *
journal_name(enum journal j)
{
	return journals[j].name;
}

const char *
journal_pref(enum journal j)
{
	return journals[j].pref;
}

int
columns_count(enum journal j)
{
	return journals[j].count;
}

const char *
column_key(enum journal j, int i)
{
	return i >= 0 && i < journals[j].count ? journals[j].cols[i].key : NULL;
}

void
columns_default(enum journal j, struct columns *out)
{
	out->n = journals[j].ndflt;
	memcpy(out->v, journals[j].dflt, (size_t)out->n);
}

void
columns_old(enum journal j, struct columns *out)
{
	out->n = journals[j].nold;
	memcpy(out->v, journals[j].old, (size_t)out->n);
}

int
columns_parse(enum journal j, const char *text, struct columns *out)
{
	bool seen[COLUMNS_MAX] = {false};
	const char *p = text;

	out->n = 0;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		int found = -1;

		for (int i = 0; i < journals[j].count; i++)
			if (strlen(journals[j].cols[i].key) == len &&
			    memcmp(journals[j].cols[i].key, p, len) == 0)
				found = i;
		if (found < 0 || seen[found] || out->n == COLUMNS_MAX)
			return -1;
		seen[found] = true;
		out->v[out->n++] = (unsigned char)found;
		p += len;
		if (*p == ',' && *++p == '\0')
			return -1; /* a trailing comma */
	}
	return out->n > 0 ? 0 : -1;
}

uint64_t
columns_txn_fields(const struct columns *c)
{
	uint64_t f = 0;

	for (int i = 0; i < c->n; i++)
		f |= txn_cols[c->v[i]].txn_fields;
	return f;
}

void
columns_format(enum journal j, const struct columns *c, char *out)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < c->n; i++)
		o += (size_t)snprintf(out + o, COLUMNS_TEXT_MAX - o, "%s%s", i ? "," : "",
		                      journals[j].cols[c->v[i]].key);
}

/* "2026-11-24T18:43:05.123+01:00": the instant in the zone, to the millisecond. Written by
 * hand rather than with snprintf: an export writes millions. */
static const char *
instant(const struct tz *z, int64_t t_us, char *scratch)
{
	int ms = (int)(((t_us % CAL_US_PER_S) + CAL_US_PER_S) % CAL_US_PER_S / 1000);

	if (t_us == 0)
		return "";
	tz_format_iso(z, t_us, scratch); /* "2026-11-24T18:43:05+01:00" */
	memmove(scratch + 23, scratch + 19, 7);
	scratch[19] = '.';
	scratch[20] = (char)('0' + ms / 100);
	scratch[21] = (char)('0' + ms / 10 % 10);
	scratch[22] = (char)('0' + ms % 10);
	return scratch;
}

static const char *
number(int64_t v, char *scratch)
{
	char *p = scratch + 24;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

static const char *
id_or_empty(int64_t v, char *scratch)
{
	return v ? number(v, scratch) : "";
}

static const char *
day(int64_t d, char *scratch)
{
	if (d == 0)
		return "";
	cal_date_format(d, scratch);
	return scratch;
}

const char *
column_txn(int i, const struct txn *t, const struct tz *z, int64_t now, char *scratch)
{
	switch ((enum txn_col)i) {
	case TC_ID:
		return number(t->id, scratch);
	case TC_CREATED_AT:
		return instant(z, t->created_at, scratch);
	case TC_TYPE:
		return txn_type_name(t->type);
	case TC_STATUS:
		return txn_status_name(t->status);
	case TC_ACQ:
		return txn_acq_name(t->acq);
	case TC_AMOUNT_INITIAL:
		return number(t->amount_initial, scratch);
	case TC_AMOUNT_CURRENT:
		return number(t->amount_current, scratch);
	case TC_AMOUNT_REFUNDED:
		return number(t->amount_refunded, scratch);
	case TC_CURRENCY:
		return t->currency;
	case TC_ORDER_REF:
		return t->order_ref;
	case TC_CARD_MASKED:
		return t->card_masked;
	case TC_METHOD:
		return card_method_name(t->method);
	case TC_EMAIL:
		return t->email;
	case TC_CUSTOMER_COUNTRY:
		return t->customer_country;
	case TC_CARD_COUNTRY:
		return t->card_country;
	case TC_AUTH_NUMBER:
		return t->auth_number;
	case TC_REFUSAL:
		return refusal_code(t->refusal);
	case TC_CARD_EXPIRY:
		return t->card_expiry;
	case TC_TDS:
		return tds_view(t->tds, t->tds_guaranteed, t->accepted_at, now);
	case TC_TDS_AUTH:
		return t->tds ? tds_auth_name(t->tds_auth) : "";
	case TC_TDS_GUARANTEED:
		return !t->tds ? "na" : t->tds_guaranteed ? "yes" : "no";
	case TC_SHOP:
		return number(t->shop_id, scratch);
	case TC_BATCH: /* its number, as the batch journal shows it */
		return t->batch_id ? number(t->batch_number, scratch) : "";
	case TC_BANK_DATE:
		return day(t->bank_day, scratch);
	case TC_WALLET:
		return t->wallet;
	case TC_ACQUIRER:
		return t->acquirer;
	case TC_ISSUER:
		return t->issuer;
	case TC_CARD_TYPE:
		return t->card_type;
	case TC_CAPTURE:
		return t->capture_manual ? "manual" : "auto";
	case TC_PARENT:
		return id_or_empty(t->parent_id, scratch);
	case TC_ACCEPTED_AT:
		return instant(z, t->accepted_at, scratch);
	case TC_UPDATED_AT:
		return instant(z, t->updated_at, scratch);
	case TC_MANUAL:
		return t->manual ? "yes" : "no";
	case TC_ARCHIVE_REF:
		return t->archive_ref;
	case TC_ORIGIN:
		return txn_origin_name(t->origin);
	case TC__COUNT:
		break;
	}
	return "";
}

const char *
column_batch(int i, const struct batch *b, const struct tz *z, char *scratch)
{
	switch ((enum batch_col)i) {
	case BC_ID:
		return number(b->id, scratch);
	case BC_CREATED_AT:
		return instant(z, b->created_at, scratch);
	case BC_BANK_DATE:
		return day(b->bank_day, scratch);
	case BC_NUMBER:
		return number(b->number, scratch);
	case BC_CONTRACT:
		return b->contract_number;
	case BC_RANG:
		return b->rang;
	case BC_METHOD:
		return card_method_name(b->method);
	case BC_CURRENCY:
		return b->currency;
	case BC_DEBIT_COUNT:
		return number(b->debit_count, scratch);
	case BC_DEBIT_AMOUNT:
		return number(b->debit_amount, scratch);
	case BC_CREDIT_COUNT:
		return number(b->credit_count, scratch);
	case BC_CREDIT_AMOUNT:
		return number(b->credit_amount, scratch);
	case BC_COUNT:
		return number(b->debit_count + b->credit_count, scratch);
	case BC_TOTAL:
		return number(b->debit_amount - b->credit_amount, scratch);
	case BC_STATUS:
		return "sent";
	case BC_FILE:
		return b->file_name;
	case BC__COUNT:
		break;
	}
	return "";
}

const char *
column_recurring(int i, const struct recurring *r, const struct tz *z, char *scratch)
{
	bool live = r->status == RS_IN_PROGRESS || r->status == RS_WILL_FAIL;

	switch ((enum recurring_col)i) {
	case RC_ID:
		return number(r->id, scratch);
	case RC_STATUS:
		return recurring_status_name(r->status);
	case RC_COUNT:
		return r->count ? number(r->count, scratch) : "unlimited";
	case RC_CREATED_AT:
		return instant(z, r->created_at, scratch);
	case RC_ORDER_REF:
		return r->order_ref;
	case RC_CARD_EXPIRY:
		return r->card_expiry;
	case RC_EMAIL:
		return r->email;
	case RC_NEXT_AMOUNT:
		return live && r->next_day ? number(r->next_amount, scratch) : "";
	case RC_NEXT_DATE:
		return live ? day(r->next_day, scratch) : "";
	case RC_REMAINING:
		if (r->kind == RK_SUBSCRIPTION && r->count == 0)
			return "unlimited";
		return number(live ? r->count - r->done : 0, scratch);
	case RC_DONE:
		return number(r->done, scratch);
	case RC_AMOUNT:
		return number(r->amount, scratch);
	case RC_CURRENCY:
		return r->currency;
	case RC_CARD_MASKED:
		return r->card_masked;
	case RC_METHOD:
		return card_method_name(r->method);
	case RC_SHOP:
		return r->shop_name;
	case RC_SITE:
		return r->site;
	case RC_RANG:
		return r->rang;
	case RC_CONTRACT:
		return r->contract_number;
	case RC_START:
		return day(r->start_day, scratch);
	case RC_MANUAL:
		return r->manual ? "yes" : "no";
	case RC_ENDED_AT:
		return instant(z, r->ended_at, scratch);
	case RC_END_REASON:
		return r->end_reason;
	case RC_INITIAL_AMOUNT:
		return number(r->initial_amount, scratch);
	case RC_EVERY_MONTHS:
		return number(r->every_months, scratch);
	case RC_DAY_OF_MONTH:
		return number(r->day_of_month, scratch);
	case RC__COUNT:
		break;
	}
	return "";
}

void
columns_header(struct export_out *o, enum journal j, const struct columns *c)
{
	const char *keys[COLUMNS_MAX + 1];

	for (int i = 0; i < c->n; i++)
		keys[i] = journals[j].cols[c->v[i]].key;
	keys[c->n] = NULL;
	export_out_header(o, journals[j].name, keys);
}

void
columns_put(struct export_out *o, enum journal j, int i, const char *value)
{
	export_put(o, journals[j].cols[i].kind, journals[j].cols[i].set, value);
}
