/*
 * manual_entries.c - the virtual terminal (SPEC §10, §16.1; Vision manual §10): a back-office
 * user enters a card payment by hand.
 *
 *   GET  /bo/api/manual-entries/options[?node=ID]   the shops of the node and below with
 *        their active contracts among the six methods, today (Paris) and the dates allowed
 *   POST /bo/api/manual-entries                     {"type":"one_off"|"installments"|
 *        "subscription","shop_id","method","card":{"number","expiry"},"order_ref",
 *        "archive_ref"?,"confirmation_email"?, ...} → 201 with the payment, plan or
 *        subscription, accepted or refused
 *
 * The form is checked on the loop (every field, the card against the chosen method: Luhn,
 * prefix and length, card_fit; the dates against today): a form error is 400 naming its field
 * and nothing is written. The writer then checks the shop is in the user's scope and has an
 * active contract for the method, and decides through the same use cases as the merchant API
 * (payment_create, recurring_create), marked manual with the user as the actor; a refused
 * payment is recorded with its reason like any other. In the same transaction: the action
 * log's "manual_entry" line and, when asked and accepted, the cardholder's confirmation mail.
 *
 * Not here: the rules (domain/), the decision (service/). The card number never leaves the
 * job but sealed and masked; the job is wiped when freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/json.h"
#include "api/query.h"
#include "api/render.h"
#include "common/clock.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/money.h"
#include "domain/recurring.h"
#include "service/notify.h"
#include "service/payments.h"
#include "service/recurring.h"

/* The effective date of a one-off payment: today to a week ahead, tomorrow by default
 * (Vision manual §10.1.1). */
#define ENTRY_DATE_MAX_DAYS 7

enum entry_type { ENTRY_ONE_OFF, ENTRY_INSTALLMENTS, ENTRY_SUBSCRIPTION };

static const char *const type_names[] = {
        [ENTRY_ONE_OFF] = "one_off",
        [ENTRY_INSTALLMENTS] = "installments",
        [ENTRY_SUBSCRIPTION] = "subscription",
};

struct entry_job {
	struct http_job base; /* first */
	struct session who;
	const struct app *app;
	bool options;
	int64_t node; /* options: node=ID, else 0 (the user's own) */
	enum entry_type type;
	int64_t shop_id;
	enum card_method method;
	struct payment_request prq;   /* one_off */
	struct recurring_request rrq; /* installments, subscription */
	char confirmation_email[TXN_EMAIL_MAX + 1];
	int64_t today; /* the Paris day the form was checked against */
	/* Results. */
	const char *why, *field, *message;
	json_t *result;
};

static void
entry_free(struct http_job *hj)
{
	struct entry_job *j = (struct entry_job *)hj;

	json_decref(j->result);
	crypto_wipe(j, sizeof(*j));
	free(j);
}

static void
entry_respond(struct http_job *hj, struct req *r)
{
	struct entry_job *j = (struct entry_job *)hj;

	if (j->base.work.rc == ST_INVALID && j->field != NULL)
		json_bad_field(r, j->field, j->message);
	else if (j->base.work.rc != ST_OK)
		http_reply_error(r, j->base.work.rc, j->why, j->message);
	else {
		http_reply_json(r, j->options ? 200 : 201, j->result);
		j->result = NULL;
	}
}

static struct entry_job *
entry_new(struct req *r)
{
	struct entry_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = r->session;
	j->app = r->app;
	j->base.respond = entry_respond;
	j->base.free = entry_free;
	return j;
}

/* --- options --------------------------------------------------------------------------------- */

struct options_ctx {
	json_t *shops;
};

/* A contract of the virtual terminal's, under its shop's entry (made at its first contract). */
static int
option_push(void *arg, const struct contract_view *v)
{
	struct options_ctx *x = arg;
	json_t *shop = NULL, *c;
	size_t i;

	if (!v->c.active || !card_method_manual(v->c.method))
		return ST_OK;
	for (i = 0; i < json_array_size(x->shops); i++) {
		json_t *s = json_array_get(x->shops, i);

		if (json_integer_value(json_object_get(s, "id")) == v->c.shop_id)
			shop = s;
	}
	if (shop == NULL) {
		shop = json_pack("{s:I, s:s, s:s, s:s, s:[]}", "id", (json_int_t)v->c.shop_id,
		                 "name", v->shop_name, "site", v->site, "rang", v->c.rang,
		                 "contracts");
		json_array_append_new(x->shops, shop);
	}
	c = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)v->c.id, "number", v->c.number,
	              "method", card_method_name(v->c.method), "currency", v->c.currency, "label",
	              v->c.label);
	json_array_append_new(json_object_get(shop, "contracts"), c);
	return ST_OK;
}

static int
options_run(struct work_job *w, struct store *st)
{
	struct entry_job *j = (struct entry_job *)w;
	struct options_ctx x = {json_array()};
	int64_t node, today = cal_business_day(clock_now_us());
	json_t *methods = json_array();
	int rc = api_scope(st, &j->who, j->node, &node);

	if (rc == ST_OK)
		rc = st->ops->contracts_each(st, j->who.brand_id, node, 0, option_push, &x);
	if (rc != ST_OK) {
		json_decref(x.shops);
		json_decref(methods);
		return rc;
	}
	for (int m = METHOD_NONE + 1; m < METHOD__COUNT; m++)
		if (card_method_manual((enum card_method)m))
			json_array_append_new(methods, json_string(card_method_name(m)));
	j->result = json_pack(
	        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:i, s:i, s:i, s:i, s:i, s:i}}",
	        "shops", x.shops, "methods", methods, "today", json_day_or_null(today), "date_min",
	        json_day_or_null(today), "date_max", json_day_or_null(today + ENTRY_DATE_MAX_DAYS),
	        "date_default", json_day_or_null(today + 1), "start_max",
	        json_day_or_null(today + RECURRING_START_MAX_DAYS), "plan_last_max",
	        json_day_or_null(today + RECURRING_PLAN_SPAN_DAYS), "limits", "order_ref_max",
	        TXN_ORDER_REF_MAX, "archive_ref_max", TXN_ARCHIVE_REF_MAX, "installments_min",
	        RECURRING_PLAN_MIN, "installments_max", RECURRING_PLAN_MAX, "plan_span_days",
	        RECURRING_PLAN_SPAN_DAYS, "every_months_max", RECURRING_EVERY_MAX);
	return ST_OK;
}

int
api_manual_entries_options(struct req *r)
{
	struct entry_job *j;
	char node[QUERY_VALUE_MAX];
	int g = query_get(r, "node", node, sizeof(node));
	static const char *const allowed[] = {"node", NULL};
	char unknown[QUERY_KEY_MAX];

	if (query_unknown(r, allowed, unknown, sizeof(unknown)) != 0) {
		json_bad_field(r, unknown, "The only parameter is node.");
		return 0;
	}
	j = entry_new(r);
	j->options = true;
	if (g < 0 || (g == 1 && query_id(node, &j->node) != 0)) {
		entry_free(&j->base);
		json_bad_field(r, "node", "node must be the id of a node of your tree.");
		return 0;
	}
	j->base.work.run = options_run;
	return http_submit_or_reply(r, &j->base, false);
}

/* --- the entry, on the writer ---------------------------------------------------------------- */

static int
shop_found(void *arg, const struct tree_node *t)
{
	struct tree_node *shop = arg;

	if (shop->n.id == 0)
		*shop = *t; /* the first one is the node asked for */
	return ST_OK;
}

/* The shop is of the user's node and below, and takes the method: its active contract into
 * *c. Else ST_NOTFOUND (unknown_shop) or ST_INVALID naming "method". */
static int
entry_contract(struct entry_job *j, struct store *st, struct tree_node *shop, struct contract *c)
{
	int64_t node;
	int rc = api_scope(st, &j->who, j->shop_id, &node);

	if (rc == ST_OK)
		rc = st->ops->nodes_each(st, j->who.brand_id, j->shop_id, shop_found, shop);
	if (rc == ST_NOTFOUND || (rc == ST_OK && shop->n.level != LEVEL_SHOP)) {
		j->why = "unknown_shop";
		j->message = "shop_id is not a shop of your node of the tree.";
		return ST_NOTFOUND;
	}
	if (rc == ST_OK)
		rc = st->ops->contract_find(st, j->who.brand_id, j->shop_id, j->method, c);
	if (rc == ST_NOTFOUND || (rc == ST_OK && !c->active)) {
		j->field = "method";
		j->message = "The shop has no active contract for this method.";
		return ST_INVALID;
	}
	return rc;
}

/* Amounts in the mail and the action log: "12.34 EUR". */
static void
amount_text(int64_t amount, const char *currency, char *out, size_t cap)
{
	const struct currency *cur = money_currency_find(currency);
	char plain[32];

	if (cur == NULL || money_format_plain(amount, cur, plain, sizeof(plain)) < 0)
		snprintf(plain, sizeof(plain), "%lld", (long long)amount);
	snprintf(out, cap, "%s %s", plain, currency);
}

/* The cardholder's confirmation (Vision manual §10.1.1 "Envoi d'un mail de confirmation"):
 * the shop, what was entered, the masked card, the archive reference. */
static int
entry_mail(struct store *st, struct entry_job *j, const struct tree_node *shop, const char *what,
           const char *card_masked, const char *archive_ref, int64_t now)
{
	struct mail m = {0};
	char body[2048];
	int rc;

	m.brand_id = j->who.brand_id;
	m.node_id = shop->n.id;
	snprintf(m.recipient, sizeof(m.recipient), "%s", j->confirmation_email);
	snprintf(m.subject, sizeof(m.subject), "%s",
	         "Confirmation de votre paiement / your payment's confirmation");
	snprintf(body, sizeof(body),
	         "Bonjour,\n\nLa boutique %s a enregistré votre paiement :\n\n%s\n"
	         "Carte : %s\nRéférence d'archivage : %s\n\n"
	         "Hello,\n\nThe shop %s recorded your payment (above): card %s, archive reference "
	         "%s.\n",
	         shop->n.name, what, card_masked, archive_ref[0] ? archive_ref : "-", shop->n.name,
	         card_masked, archive_ref[0] ? archive_ref : "-");
	m.body = body;
	m.created_at = now;
	rc = st->ops->mail_add(st, &m);
	crypto_wipe(body, sizeof(body));
	return rc;
}

static int
one_off_run(struct entry_job *j, struct store *st, const struct tree_node *shop,
            const struct contract *c, int64_t now)
{
	struct actor who = {j->who.user_id, j->who.name, j->who.login};
	struct payment_request *p = &j->prq;
	char amount[48], bank[11], what[512], details[768];
	struct txn t;
	json_t *hist;
	int rc;

	snprintf(p->currency, sizeof(p->currency), "%s", c->currency);
	p->brand_id = j->who.brand_id;
	p->shop_id = j->shop_id;
	p->method = j->method;
	p->manual = true;
	p->who = &who;
	rc = payment_create(st, j->app->keys, j->app->acquirer, p, now, &t, &j->why);
	crypto_wipe(p->digits, sizeof(p->digits));
	/* The shop's server learns of it like of the API's payments (README "Notifications");
	 * a plan's or a subscription's debits notify in service/recurring.c. */
	if (rc == ST_OK)
		rc = notify_shop_txn(st, j->app->keys, &t, NOTIFY_PAYMENT, now);
	if (rc != ST_OK)
		return rc;
	amount_text(t.amount_initial, t.currency, amount, sizeof(amount));
	snprintf(details, sizeof(details),
	         "type: one_off; amount: %s; order ref: %s; card: %s; result: %s%s%s; "
	         "transaction: %lld",
	         amount, t.order_ref, t.card_masked, txn_status_name(t.status),
	         t.refusal ? " " : "", t.refusal ? refusal_code(t.refusal) : "", (long long)t.id);
	api_action_add(st, &j->who, now, "manual_entry", details, NULL, &rc);
	if (rc == ST_OK && j->confirmation_email[0] && t.status == TXS_ACCEPTED) {
		cal_date_format(t.bank_day, bank);
		snprintf(what, sizeof(what),
		         "Montant / amount : %s\nDate : %s\nCommande / order : %s", amount, bank,
		         t.order_ref);
		rc = entry_mail(st, j, shop, what, t.card_masked, t.archive_ref, now);
	}
	if (rc != ST_OK)
		return rc;
	hist = json_array();
	rc = st->ops->history_each(st, t.brand_id, t.id, history_push, hist);
	if (rc != ST_OK) {
		json_decref(hist);
		return rc;
	}
	j->result = txn_json(&t, now);
	json_object_set_new(j->result, "history", hist);
	j->result = json_pack("{s:s, s:b, s:o, s:o, s:o}", "type", "one_off", "accepted",
	                      t.status == TXS_ACCEPTED, "refusal_reason",
	                      t.refusal ? json_string(refusal_code(t.refusal)) : json_null(),
	                      "refusal_message",
	                      t.refusal ? json_string(refusal_message(t.refusal)) : json_null(),
	                      "payment", j->result);
	return ST_OK;
}

/* The field of the form a refusal of recurring_create is about (they are form errors here:
 * the page checks the same rules). */
static const char *
recurring_field(const char *why, const char **message)
{
	static const struct {
		const char *why, *field, *message;
	} rows[] = {
	        {"installments", "installments", "2 to 4 installments."},
	        {"amount", "installments",
	         "Each amount above 0, their total within the contract's."},
	        {"date", "installments",
	         "The first date today or later, each after the one before, the last within 90 "
	         "days of the first."},
	        {"subscription", "every_months",
	         "every_months 1 to 12, day_of_month 1 to 31, count 0 (unlimited) or 2 and more."},
	        {"card_expires_too_soon", "card.expiry",
	         "The card expires before the first debit."},
	        {"no_contract", "method", "The shop has no active contract for this method."},
	};

	for (size_t i = 0; why != NULL && i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(rows[i].why, why) == 0) {
			*message = rows[i].message;
			return rows[i].field;
		}
	return NULL;
}

/* The first debit's refusal, for the answer and the action log: the first debit made (the
 * initial one of a subscription, a plan's first installment) refused. */
struct first_debit {
	int64_t txn_id;
	bool refused;
};

static int
first_debit_of(void *arg, const struct recurring_debit *d)
{
	struct first_debit *f = arg;

	if (f->txn_id == 0 && d->txn_id != 0) {
		f->txn_id = d->txn_id;
		f->refused = d->status == DS_REFUSED;
	}
	return ST_OK;
}

static int
recurring_run(struct entry_job *j, struct store *st, const struct tree_node *shop,
              const struct contract *c, int64_t now)
{
	struct actor who = {j->who.user_id, j->who.name, j->who.login};
	struct recurring_request *q = &j->rrq;
	struct first_debit f = {0, false};
	struct recurring rec;
	struct txn t = {0};
	char amount[48], what[512], details[768], start[11];
	json_t *debits;
	bool accepted;
	int rc;

	snprintf(q->currency, sizeof(q->currency), "%s", c->currency);
	q->brand_id = j->who.brand_id;
	q->shop_id = j->shop_id;
	q->card.method = j->method;
	q->manual = true;
	q->who = &who;
	rc = recurring_create(st, j->app->keys, j->app->acquirer, q, now, &rec, &j->why);
	crypto_wipe(q->card.digits, sizeof(q->card.digits));
	if (rc == ST_REFUSED && (j->field = recurring_field(j->why, &j->message)) != NULL)
		return ST_INVALID;
	if (rc != ST_OK)
		return rc;
	debits = json_array();
	rc = st->ops->recurring_debits_each(st, rec.brand_id, rec.id, debit_push, debits);
	if (rc == ST_OK)
		rc = st->ops->recurring_debits_each(st, rec.brand_id, rec.id, first_debit_of, &f);
	if (rc == ST_OK && f.txn_id != 0)
		rc = st->ops->txn_get(st, rec.brand_id, 0, f.txn_id, &t);
	if (rc != ST_OK) {
		json_decref(debits);
		return rc;
	}
	accepted = rec.status != RS_FAILED && !f.refused;
	amount_text(rec.amount, rec.currency, amount, sizeof(amount));
	snprintf(details, sizeof(details),
	         "type: %s; amount: %s; order ref: %s; card: %s; result: %s%s%s; %s: %lld",
	         type_names[j->type], amount, rec.order_ref, rec.card_masked,
	         accepted ? "accepted" : "refused", t.refusal ? " " : "",
	         t.refusal ? refusal_code(t.refusal) : "",
	         rec.kind == RK_PLAN ? "installment plan" : "subscription", (long long)rec.id);
	api_action_add(st, &j->who, now, "manual_entry", details, NULL, &rc);
	if (rc == ST_OK && j->confirmation_email[0] && accepted) {
		cal_date_format(rec.start_day, start);
		if (rec.kind == RK_PLAN)
			snprintf(what, sizeof(what),
			         "Paiement en %lld fois / in %lld installments : %s\nDate : %s\n"
			         "Commande / order : %s",
			         (long long)rec.count, (long long)rec.count, amount, start,
			         rec.order_ref);
		else
			snprintf(what, sizeof(what),
			         "Abonnement / subscription : %s tous les %d mois / every %d "
			         "months\n"
			         "Début / start : %s\nCommande / order : %s",
			         amount, rec.every_months, rec.every_months, start, rec.order_ref);
		rc = entry_mail(st, j, shop, what, rec.card_masked, rec.archive_ref, now);
	}
	if (rc != ST_OK) {
		json_decref(debits);
		return rc;
	}
	j->result = json_pack(
	        "{s:s, s:b, s:o, s:o, s:o, s:o}", "type", type_names[j->type], "accepted", accepted,
	        "refusal_reason", t.refusal ? json_string(refusal_code(t.refusal)) : json_null(),
	        "refusal_message",
	        t.refusal ? json_string(refusal_message(t.refusal)) : json_null(),
	        rec.kind == RK_PLAN ? "plan" : "subscription", recurring_json(&rec, debits),
	        "payment", f.txn_id != 0 ? txn_json(&t, now) : json_null());
	return ST_OK;
}

static int
entry_run(struct work_job *w, struct store *st)
{
	struct entry_job *j = (struct entry_job *)w;
	struct tree_node shop = {0};
	struct contract c;
	int64_t now = clock_now_us();
	int rc;

	/* The form was checked against the day it was sent: past midnight, it is checked again. */
	if (cal_business_day(now) != j->today) {
		j->field = "date";
		j->message = "The day changed since the form was sent: check its dates.";
		return ST_INVALID;
	}
	rc = entry_contract(j, st, &shop, &c);
	if (rc != ST_OK)
		return rc;
	return j->type == ENTRY_ONE_OFF ? one_off_run(j, st, &shop, &c, now)
	                                : recurring_run(j, st, &shop, &c, now);
}

/* --- the form, on the loop ------------------------------------------------------------------- */

/* A form error: 400 naming the field. Returns -1. */
static int
bad(struct req *r, const char *field, const char *message)
{
	json_bad_field(r, field, message);
	return -1;
}

/* An amount member: 0 valid, -1 answered. zero_ok: 0 allowed (a subscription's initial). */
static int
take_amount(struct req *r, json_t *o, const char *name, const char *field, bool zero_ok,
            int64_t *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL && zero_ok) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) ||
	    !(money_amount_valid(json_integer_value(v)) || (zero_ok && json_integer_value(v) == 0)))
		return bad(r, field,
		           zero_ok ? "An integer count of minor units, 0 to 99999999999."
		                   : "An integer count of minor units, 1 to 99999999999.");
	*out = json_integer_value(v);
	return 0;
}

/* A day member "YYYY-MM-DD" between lo and hi: 1 absent, 0 valid, -1 answered. */
static int
take_day(struct req *r, json_t *o, const char *name, const char *field, int64_t lo, int64_t hi,
         const char *range, int64_t *out)
{
	char text[11];
	int g = json_get_text(o, name, text, sizeof(text));

	if (g == 1)
		return 1;
	if (g < 0 || cal_date_parse(text, out) != 0)
		return bad(r, field, "A date YYYY-MM-DD.");
	if (*out < lo || *out > hi)
		return bad(r, field, range);
	return 0;
}

/* A small integer member in [lo, hi]: 0 valid, -1 answered. */
static int
take_int(struct req *r, json_t *o, const char *name, int64_t lo, int64_t hi, const char *message,
         int64_t *out)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad(r, name, message);
	*out = json_integer_value(v);
	return 0;
}

/* The card: its number fits the chosen method (card_fit), its expiry MMYY not past. */
static int
take_card(struct req *r, json_t *card, enum card_method m, int64_t today, char *digits,
          char *expiry, int *month, int *year)
{
	static const char *const allowed[] = {"number", "expiry", NULL};
	static const char *const fit_messages[] = {
	        [CARD_FIT_LUHN] = "The card number is not valid: a digit is wrong (Luhn check).",
	        [CARD_FIT_SCHEME] = "The card number's prefix and length are of no known card.",
	        [CARD_FIT_METHOD] = "The card number is not one of the chosen payment method.",
	};
	char number[40];
	enum card_fit fit;
	int y, mo, d, rc = 0;

	if (!json_is_object(card))
		return bad(r, "card", "card must be an object with number and expiry.");
	if (json_refuse_unknown(r, card, allowed))
		return -1;
	if (json_get_text(card, "number", number, sizeof(number)) != 0 ||
	    card_number_normalize(number, digits) != 0) {
		rc = bad(r, "card.number", "The card number must have 12 to 19 digits.");
		goto out;
	}
	if ((fit = card_fit(m, digits)) != CARD_FITS) {
		rc = bad(r, "card.number", fit_messages[fit]);
		goto out;
	}
	cal_civil_from_days(today, &y, &mo, &d);
	if (json_get_text(card, "expiry", expiry, 5) != 0 ||
	    card_expiry_parse(expiry, month, year) != 0) {
		rc = bad(r, "card.expiry", "The card's expiry must be MMYY.");
		goto out;
	}
	if (card_expired(*month, *year, y, mo)) {
		rc = bad(r, "card.expiry", "The card has expired.");
		goto out;
	}
out:
	crypto_wipe(number, sizeof(number));
	if (rc != 0)
		crypto_wipe(digits, CARD_DIGITS_MAX + 1);
	return rc;
}

/* Refuses a member that is neither one of every type's nor one of own (NULL-terminated). */
static bool
refuse_unknown(struct req *r, json_t *o, const char *const *own)
{
	static const char *const common[] = {
	        "type",        "shop_id",           "method", "card", "order_ref",
	        "archive_ref", "confirmation_email"};
	const char *allowed[sizeof(common) / sizeof(common[0]) + 8];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		allowed[n++] = common[i];
	for (; *own != NULL && n + 1 < sizeof(allowed) / sizeof(allowed[0]); own++)
		allowed[n++] = *own;
	allowed[n] = NULL;
	return json_refuse_unknown(r, o, allowed);
}

static int
take_one_off(struct req *r, json_t *o, struct entry_job *j)
{
	static const char *const allowed[] = {"amount", "date", NULL};
	int64_t day;
	int g;

	if (refuse_unknown(r, o, allowed))
		return -1;
	if (take_amount(r, o, "amount", "amount", false, &j->prq.amount) != 0)
		return -1;
	g = take_day(r, o, "date", "date", j->today, j->today + ENTRY_DATE_MAX_DAYS,
	             "The effective date is today or one of the next 7 days.", &day);
	if (g < 0)
		return -1;
	/* The effective date is the bank date: today plus the deferral. */
	j->prq.deferral_days = g == 1 ? 1 : (int)(day - j->today);
	return 0;
}

static int
take_installments(struct req *r, json_t *o, struct entry_job *j)
{
	static const char *const allowed[] = {"installments", NULL};
	static const char *const item_allowed[] = {"amount", "date", NULL};
	static const char *const plan_messages[] = {
	        [PLAN_COUNT] = "2 to 4 installments.",
	        [PLAN_AMOUNT] = "Each amount above 0.",
	        [PLAN_PAST] = "The first installment is today or later.",
	        [PLAN_ORDER] = "Each installment's date is after the one before.",
	        [PLAN_SPAN] = "The last installment is at most 90 days after the first.",
	};
	struct recurring_request *q = &j->rrq;
	json_t *v = json_object_get(o, "installments");
	enum plan_refusal pr;
	char field[32];
	int g;

	if (refuse_unknown(r, o, allowed))
		return -1;
	if (!json_is_array(v) || json_array_size(v) < RECURRING_PLAN_MIN ||
	    json_array_size(v) > RECURRING_PLAN_MAX)
		return bad(r, "installments", "installments: 2 to 4 of {amount, date}.");
	q->kind = RK_PLAN;
	q->n = (int)json_array_size(v);
	for (int i = 0; i < q->n; i++) {
		json_t *it = json_array_get(v, (size_t)i);

		snprintf(field, sizeof(field), "installments[%d]", i);
		if (!json_is_object(it))
			return bad(r, field, "Each installment is {amount, date}.");
		if (json_refuse_unknown(r, it, item_allowed))
			return -1;
		snprintf(field, sizeof(field), "installments[%d].amount", i);
		if (take_amount(r, it, "amount", field, false, &q->installments[i].amount) != 0)
			return -1;
		snprintf(field, sizeof(field), "installments[%d].date", i);
		g = take_day(r, it, "date", field, j->today,
		             j->today + RECURRING_PLAN_SPAN_DAYS + RECURRING_START_MAX_DAYS,
		             "A date today or later.", &q->installments[i].day);
		if (g != 0)
			return g < 0 ? -1 : bad(r, field, "A date YYYY-MM-DD, today or later.");
	}
	pr = plan_check(q->installments, q->n, j->today, INT64_MAX);
	if (pr != PLAN_OK)
		return bad(r, "installments", plan_messages[pr]);
	return 0;
}

static int
take_subscription(struct req *r, json_t *o, struct entry_job *j)
{
	static const char *const allowed[] = {"initial_amount", "amount", "count", "every_months",
	                                      "day_of_month",   "start",  NULL};
	struct recurring_request *q = &j->rrq;
	int64_t every, day;
	int g;

	if (refuse_unknown(r, o, allowed))
		return -1;
	q->kind = RK_SUBSCRIPTION;
	if (take_amount(r, o, "initial_amount", "initial_amount", true, &q->initial_amount) != 0 ||
	    take_amount(r, o, "amount", "amount", false, &q->amount) != 0 ||
	    take_int(r, o, "count", 0, 9999, "count: 0 (unlimited) or 2 to 9999 debits.",
	             &q->count) != 0 ||
	    take_int(r, o, "every_months", 1, RECURRING_EVERY_MAX, "every_months: 1 to 12.",
	             &every) != 0 ||
	    take_int(r, o, "day_of_month", 1, RECURRING_DAY_MAX, "day_of_month: 1 to 31.", &day) !=
	            0)
		return -1;
	if (q->count == 1)
		return bad(r, "count", "count: 0 (unlimited) or 2 to 9999 debits.");
	q->every_months = (int)every;
	q->day_of_month = (int)day;
	g = take_day(r, o, "start", "start", j->today, j->today + RECURRING_START_MAX_DAYS,
	             "The start is today or within a year.", &q->start_day);
	if (g != 0)
		return g < 0 ? -1 : bad(r, "start", "start: a date YYYY-MM-DD, today or later.");
	return 0;
}

int
api_manual_entries_create(struct req *r)
{
	struct entry_job *j;
	json_t *o, *v;
	char type[16], method[16];
	char *order_ref, *archive_ref, *digits, *expiry;
	int *month, *year;
	size_t order_cap;
	int g;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = entry_new(r);
	j->today = cal_business_day(clock_now_us());
	if (json_get_text(o, "type", type, sizeof(type)) != 0) {
		bad(r, "type", "type: one_off, installments or subscription.");
		goto fail;
	}
	if (strcmp(type, "one_off") == 0)
		j->type = ENTRY_ONE_OFF;
	else if (strcmp(type, "installments") == 0)
		j->type = ENTRY_INSTALLMENTS;
	else if (strcmp(type, "subscription") == 0)
		j->type = ENTRY_SUBSCRIPTION;
	else {
		bad(r, "type", "type: one_off, installments or subscription.");
		goto fail;
	}
	if (j->type == ENTRY_ONE_OFF) {
		order_ref = j->prq.order_ref, order_cap = sizeof(j->prq.order_ref);
		archive_ref = j->prq.archive_ref;
		digits = j->prq.digits, expiry = j->prq.expiry;
		month = &j->prq.expiry_month, year = &j->prq.expiry_year;
	} else {
		order_ref = j->rrq.order_ref, order_cap = sizeof(j->rrq.order_ref);
		archive_ref = j->rrq.archive_ref;
		digits = j->rrq.card.digits, expiry = j->rrq.card.expiry;
		month = &j->rrq.card.expiry_month, year = &j->rrq.card.expiry_year;
	}
	v = json_object_get(o, "shop_id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		bad(r, "shop_id", "shop_id is the id of a shop of your node of the tree.");
		goto fail;
	}
	j->shop_id = json_integer_value(v);
	if (json_get_text(o, "method", method, sizeof(method)) != 0 ||
	    !card_method_manual(j->method = card_method_parse(method))) {
		bad(r, "method", "method: one of CB, VISA, MASTERCARD, E-BLEUE, AMEX, JCB.");
		goto fail;
	}
	if (json_get_text(o, "order_ref", order_ref, order_cap) != 0) {
		bad(r, "order_ref", "The order reference is required: 1 to 250 bytes.");
		goto fail;
	}
	g = json_get_text(o, "archive_ref", archive_ref, TXN_ARCHIVE_REF_MAX + 1);
	if (g < 0) {
		bad(r, "archive_ref", "The archive reference: at most 40 bytes of text.");
		goto fail;
	}
	g = json_get_text(o, "confirmation_email", j->confirmation_email,
	                  sizeof(j->confirmation_email));
	if (g < 0 || (g == 0 && !api_email_valid(j->confirmation_email))) {
		bad(r, "confirmation_email", "The confirmation e-mail must be an e-mail address.");
		goto fail;
	}
	/* The type's own fields, then the card (its message last: the page checks it first). */
	if (j->type == ENTRY_ONE_OFF        ? take_one_off(r, o, j)
	    : j->type == ENTRY_INSTALLMENTS ? take_installments(r, o, j)
	                                    : take_subscription(r, o, j))
		goto fail;
	if ((v = json_object_get(o, "card")) == NULL) {
		bad(r, "card", "card is required: {number, expiry}.");
		goto fail;
	}
	if (take_card(r, v, j->method, j->today, digits, expiry, month, year) != 0)
		goto fail;
	if (j->type == ENTRY_ONE_OFF) {
		snprintf(j->prq.email, sizeof(j->prq.email), "%s", j->confirmation_email);
	} else {
		snprintf(j->rrq.email, sizeof(j->rrq.email), "%s", j->confirmation_email);
		j->rrq.card.method = j->method;
	}
	json_decref(o);
	j->base.work.run = entry_run;
	return http_submit_or_reply(r, &j->base, true);
fail:
	json_decref(o);
	entry_free(&j->base);
	return 0;
}
