/*
 * payments.c - the merchant API's payment resource (SPEC §4, §16): create, get, capture,
 * cancel, refund. Parses and checks the form of a request on the event loop, hands the
 * decision to the writer (service/payments.c), renders the answer.
 *
 * Idempotency (SPEC §4): the key is looked up and recorded by the writer inside the same
 * transaction as the payment, so a replay racing the first request cannot pay twice. Requests
 * refused by validation never reach the writer and are not remembered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/idem.h"
#include "api/json.h"
#include "api/render.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/money.h"
#include "service/notify.h"
#include "service/payments.h"
#include "service/recurring.h"

enum pay_kind { PAY_CREATE, PAY_GET, PAY_OPERATE };

struct pay_job {
	struct http_job base; /* first */
	enum pay_kind kind;
	const struct app *app;
	int64_t brand_id, shop_id, id;
	enum txn_op op;
	int64_t amount;
	struct payment_request prq;
	char alias[HTTP_PATH_KEY_MAX + 1]; /* pay with this card alias ("": the card given) */
	bool save_alias;                   /* make an alias of the card once accepted */
	struct api_idem idem;
	/* The shop's key and identifiers, to sign its notification (service/notify.h). */
	unsigned char key[CRYPTO_HMAC_KEY_LEN];
	bool has_key;
	char site[8], rang[4];
	/* Results. */
	const char *why;
	int http_status;
	struct txn result;              /* what the answer shows */
	char made_alias[ALIAS_LEN + 1]; /* the alias made for save_alias, "" none */
	int64_t at;                     /* when it was decided */
	char *response;                 /* the rendered answer (heap), or NULL: render result */
};

/* --- jobs ---------------------------------------------------------------------------------- */

static int
pay_get_run(struct work_job *w, struct store *st)
{
	struct pay_job *j = (struct pay_job *)w;
	struct txn t;
	json_t *o, *hist;
	int rc;

	rc = st->ops->txn_get(st, j->brand_id, j->shop_id, j->id, &t);
	if (rc != ST_OK)
		return rc;
	hist = json_array();
	rc = st->ops->history_each(st, t.brand_id, t.id, history_push, hist);
	if (rc != ST_OK) {
		json_decref(hist);
		return rc;
	}
	o = txn_json(&t, clock_now_us());
	json_object_set_new(o, "history", hist);
	j->http_status = 200;
	j->response = json_text_of(o);
	return ST_OK;
}

/* The answer: the transaction, and the alias made for it when one was asked. */
static json_t *
pay_json(const struct pay_job *j, int64_t now)
{
	json_t *o = txn_json(&j->result, now);

	if (j->kind == PAY_CREATE && (j->save_alias || j->alias[0]))
		json_object_set_new(o, "alias",
		                    json_str_or_null(j->alias[0] ? j->alias : j->made_alias));
	return o;
}

/* A payment with the card given or an alias's (SPEC §16.1), and the alias asked for. */
static int
pay_create(struct pay_job *j, struct store *st, int64_t now, struct txn *t)
{
	struct card_alias a;
	int rc;

	if (j->alias[0]) {
		rc = alias_card(st, j->app->keys, j->brand_id, j->alias, now, &j->prq, &a, &j->why);
		if (rc != ST_OK)
			return rc;
	}
	/* The answer may come later (the shop's notification URL hears it), but not for a card
	 * to keep: its alias is made with an accepted payment, so that payment waits for it. */
	j->prq.may_pend = !j->save_alias;
	rc = payment_create(st, j->app->keys, j->app->acquirer, &j->prq, now, t, &j->why);
	if (rc == ST_OK && j->save_alias && t->status == TXS_ACCEPTED) {
		struct card_source card = {0};

		memcpy(card.digits, j->prq.digits, sizeof(card.digits));
		memcpy(card.expiry, j->prq.expiry, sizeof(card.expiry));
		card.method = j->prq.method;
		rc = alias_create(st, j->app->keys, j->brand_id, j->shop_id, &card, false, now, &a);
		crypto_wipe(card.digits, sizeof(card.digits));
		if (rc == ST_OK)
			memcpy(j->made_alias, a.alias, sizeof(j->made_alias));
	}
	return rc;
}

/* The decision's notification to the shop's server, when it has a notification URL: in the
 * same transaction, so it is sent if and only if the decision is kept (README
 * "Notifications"). */
static int
pay_notify(struct pay_job *j, struct store *st, int64_t now)
{
	if (!j->has_key)
		return ST_OK;
	return notify_shop_event(st, &j->result,
	                         j->kind == PAY_CREATE ? NOTIFY_PAYMENT : notify_event_of(j->op),
	                         j->site, j->rang, j->key, now);
}

static int
pay_write_run(struct work_job *w, struct store *st)
{
	struct pay_job *j = (struct pay_job *)w;
	struct actor api = {0, "API", ""};
	struct txn t, rf;
	int64_t now = clock_now_us();
	int rc;

	if (j->idem.has_key) {
		rc = api_idem_lookup(st, j->brand_id, j->shop_id, &j->idem, &j->http_status,
		                     &j->response, &j->why);
		if (rc != ST_NOTFOUND)
			return rc;
	}
	if (j->kind == PAY_CREATE) {
		rc = pay_create(j, st, now, &t);
		crypto_wipe(j->prq.digits, sizeof(j->prq.digits));
		if (rc != ST_OK)
			return rc;
		j->http_status = 201;
		j->result = t;
	} else {
		rc = payment_operate(st, j->brand_id, j->shop_id, j->id, j->op, j->amount, &api,
		                     now, &t, &rf, &j->why);
		if (rc != ST_OK)
			return rc;
		j->http_status = j->op == OP_REFUND ? 201 : 200;
		j->result = j->op == OP_REFUND ? rf : t;
	}
	j->at = now;
	if (rc == ST_OK)
		rc = pay_notify(j, st, now);
	/* The answer is rendered here only when it must be remembered with the payment;
	 * otherwise the loop renders it, off the writer's critical path. */
	if (j->idem.has_key) {
		j->response = json_text_of(pay_json(j, now));
		rc = api_idem_put(st, j->brand_id, j->shop_id, &j->idem, j->http_status,
		                  j->response, now);
	}
	return rc;
}

static void
pay_respond(struct http_job *hj, struct req *r)
{
	struct pay_job *j = (struct pay_job *)hj;

	if (j->base.work.rc == ST_OK && j->response == NULL)
		http_reply_json(r, j->http_status, pay_json(j, j->at));
	else if (j->base.work.rc == ST_OK)
		http_reply_raw(r, j->http_status, j->response, strlen(j->response));
	else
		http_reply_error(r, j->base.work.rc, j->why, NULL);
}

static void
pay_free(struct http_job *hj)
{
	struct pay_job *j = (struct pay_job *)hj;

	free(j->response);
	crypto_wipe(j, sizeof(*j));
	free(j);
}

static struct pay_job *
pay_job_new(struct req *r, enum pay_kind kind)
{
	struct pay_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->kind = kind;
	j->app = r->app;
	j->brand_id = r->shop->shop.brand_id;
	j->shop_id = r->shop->shop.id;
	j->id = r->path_id;
	if (r->shop_key != NULL) {
		memcpy(j->key, r->shop_key, sizeof(j->key));
		j->has_key = true;
	}
	memcpy(j->site, r->shop->shop.site, sizeof(j->site));
	memcpy(j->rang, r->shop->shop.rang, sizeof(j->rang));
	j->base.work.run = kind == PAY_GET ? pay_get_run : pay_write_run;
	j->base.respond = pay_respond;
	j->base.free = pay_free;
	return j;
}

/* Reads on a reader, operations on the writer. */
static int
pay_submit(struct req *r, struct pay_job *j)
{
	return http_submit_or_reply(r, &j->base, j->kind != PAY_GET);
}

/* --- parsing ------------------------------------------------------------------------------- */

/* An amount member: 1 absent, 0 valid, -1 invalid (not an integer, or out of range). */
static int
get_amount(json_t *o, const char *name, int64_t *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return 1;
	if (!json_is_integer(v) || !money_amount_valid(json_integer_value(v)))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

bool
api_email_valid(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strchr(at + 1, '.') == NULL)
		return false;
	for (; *s; s++)
		if (*s == ' ' || *s == ',' || *s == ';' || *s == '<' || *s == '>')
			return false;
	return true;
}

/* The CVV of a card (or beside an alias): checked for form, then forgotten, never stored
 * nor logged. Absent: 1; valid: 0; else -1. */
static int
take_cvv(json_t *o, enum card_method method)
{
	char cvv[8];
	int g = json_get_text(o, "cvv", cvv, sizeof(cvv));
	bool ok = g == 0 && strspn(cvv, "0123456789") == strlen(cvv) &&
	          strlen(cvv) == (method == METHOD_AMEX ? 4u : 3u);

	crypto_wipe(cvv, sizeof(cvv));
	return g == 1 ? 1 : ok ? 0 : -1;
}

int
api_parse_card(struct req *r, json_t *card, bool cvv_required, struct card_source *c)
{
	static const char *const allowed[] = {"number", "expiry", "cvv", NULL};
	char number[40];
	int rc = 0, g;

	if (!json_is_object(card)) {
		json_bad_field(r, "card", "card must be an object with number, expiry and cvv.");
		return -1;
	}
	if (json_refuse_unknown(r, card, allowed))
		return -1;
	if (json_get_text(card, "number", number, sizeof(number)) != 0 ||
	    card_number_normalize(number, c->digits) != 0 || !card_luhn_valid(c->digits) ||
	    (c->method = card_method_detect(c->digits)) == METHOD_NONE) {
		json_bad_field(
		        r, "card.number",
		        "card.number must be a valid card number (12 to 19 digits, Luhn, a known "
		        "scheme's prefix and length).");
		rc = -1;
		goto out;
	}
	if (json_get_text(card, "expiry", c->expiry, sizeof(c->expiry)) != 0 ||
	    card_expiry_parse(c->expiry, &c->expiry_month, &c->expiry_year) != 0) {
		json_bad_field(r, "card.expiry", "card.expiry must be MMYY.");
		rc = -1;
		goto out;
	}
	g = take_cvv(card, c->method);
	if (g < 0 || (g == 1 && cvv_required)) {
		json_bad_field(r, "card.cvv",
		               "card.cvv must be 3 digits (4 for American Express).");
		rc = -1;
		goto out;
	}
out:
	crypto_wipe(number, sizeof(number));
	if (rc != 0)
		crypto_wipe(c->digits, sizeof(c->digits));
	return rc;
}

/* "card" or "alias" (with an optional "cvv" beside it): the card of a payment, plan or
 * subscription (SPEC §16.1). 0, or -1 when answered. */
int
api_parse_card_or_alias(struct req *r, json_t *o, bool cvv_required, struct card_source *c)
{
	json_t *card = json_object_get(o, "card");
	int g = json_get_text(o, "alias", c->alias, sizeof(c->alias));

	if (g < 0 || (g == 0 && (card != NULL || strlen(c->alias) > ALIAS_LEN))) {
		json_bad_field(r, "alias",
		               g < 0 || card == NULL ? "alias must be a card alias (al_…)."
		                                     : "Give card or alias, not both.");
		return -1;
	}
	if (g == 0) {
		if (take_cvv(o, METHOD_NONE) < 0 && take_cvv(o, METHOD_AMEX) < 0) {
			json_bad_field(r, "cvv", "cvv must be 3 or 4 digits.");
			return -1;
		}
		return 0;
	}
	if (json_object_get(o, "cvv") != NULL) {
		json_bad_field(r, "cvv", "cvv goes inside card, or beside an alias.");
		return -1;
	}
	if (card == NULL) {
		json_bad_field(r, "card", "card or alias is required.");
		return -1;
	}
	return api_parse_card(r, card, cvv_required, c);
}

int
api_payment_create(struct req *r)
{
	static const char *const allowed[] = {"amount",
	                                      "currency",
	                                      "order_ref",
	                                      "card",
	                                      "alias",
	                                      "cvv",
	                                      "email",
	                                      "capture",
	                                      "save_alias",
	                                      "deferral_days",
	                                      "customer_country",
	                                      NULL};
	struct card_source card = {0};
	struct pay_job *j;
	struct payment_request *p;
	json_t *o, *v;

	char capture[8];
	int g;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = pay_job_new(r, PAY_CREATE);
	p = &j->prq;
	p->brand_id = j->brand_id;
	p->shop_id = j->shop_id;
	p->deferral_days = -1;

	if (json_refuse_unknown(r, o, allowed))
		goto fail;
	if (get_amount(o, "amount", &p->amount) != 0) {
		json_bad_field(r, "amount",
		               "amount must be an integer count of minor units, 1 to 99999999999.");
		goto fail;
	}
	if (json_get_text(o, "currency", p->currency, sizeof(p->currency)) != 0 ||
	    money_currency_find(p->currency) == NULL) {
		json_bad_field(r, "currency",
		               "currency must be a supported ISO 4217 code, e.g. EUR.");
		goto fail;
	}
	if (json_get_text(o, "order_ref", p->order_ref, sizeof(p->order_ref)) != 0) {
		json_bad_field(r, "order_ref", "order_ref must be a string of 1 to 250 bytes.");
		goto fail;
	}
	g = json_get_text(o, "email", p->email, sizeof(p->email));
	if (g < 0 || (g == 0 && !api_email_valid(p->email))) {
		json_bad_field(r, "email", "email must be an e-mail address.");
		goto fail;
	}
	g = json_get_text(o, "customer_country", p->customer_country, sizeof(p->customer_country));
	if (g < 0 || (g == 0 && !country_valid(p->customer_country))) {
		json_bad_field(r, "customer_country",
		               "customer_country must be an ISO 3166-1 alpha-2 code, e.g. FR.");
		goto fail;
	}
	g = json_get_text(o, "capture", capture, sizeof(capture));
	if (g < 0 || (g == 0 && strcmp(capture, "auto") != 0 && strcmp(capture, "manual") != 0)) {
		json_bad_field(r, "capture", "capture must be \"auto\" or \"manual\".");
		goto fail;
	}
	p->capture_manual = g == 0 && strcmp(capture, "manual") == 0;
	if ((v = json_object_get(o, "deferral_days")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > TXN_DEFERRAL_MAX || p->capture_manual) {
			json_bad_field(
			        r, "deferral_days",
			        "deferral_days must be an integer 0 to 30, with capture auto.");
			goto fail;
		}
		p->deferral_days = (int)json_integer_value(v);
	}
	if ((v = json_object_get(o, "save_alias")) != NULL) {
		if (!json_is_boolean(v) ||
		    (json_is_true(v) && json_object_get(o, "card") == NULL)) {
			json_bad_field(r, "save_alias",
			               "save_alias must be true or false, true only with a card.");
			goto fail;
		}
		j->save_alias = json_is_true(v);
	}
	if (api_parse_card_or_alias(r, o, true, &card) != 0)
		goto fail;
	memcpy(j->alias, card.alias, sizeof(card.alias));
	memcpy(p->digits, card.digits, sizeof(p->digits));
	memcpy(p->expiry, card.expiry, sizeof(p->expiry));
	p->expiry_month = card.expiry_month;
	p->expiry_year = card.expiry_year;
	p->method = card.method;
	crypto_wipe(&card, sizeof(card));
	if (api_idem_take(r, &j->idem) != 0)
		goto fail;
	json_decref(o);
	return pay_submit(r, j);
fail:
	json_decref(o);
	pay_free(&j->base);
	return 0;
}

int
api_payment_get(struct req *r)
{
	return pay_submit(r, pay_job_new(r, PAY_GET));
}

/* capture, cancel and refund: an optional {"amount": N} for capture and refund, nothing else. */
static int
operate(struct req *r, enum txn_op op)
{
	static const char *const with_amount[] = {"amount", NULL};
	static const char *const nothing[] = {NULL};
	bool takes_amount = op == OP_CAPTURE || op == OP_REFUND;
	struct pay_job *j;
	json_t *o;

	if ((o = json_body_object(r, true)) == NULL)
		return 0;
	j = pay_job_new(r, PAY_OPERATE);
	j->op = op;
	if (json_refuse_unknown(r, o, takes_amount ? with_amount : nothing))
		goto fail;
	if (takes_amount && get_amount(o, "amount", &j->amount) < 0) {
		json_bad_field(r, "amount",
		               "amount must be an integer count of minor units, 1 to 99999999999.");
		goto fail;
	}
	if (api_idem_take(r, &j->idem) != 0)
		goto fail;
	json_decref(o);
	return pay_submit(r, j);
fail:
	json_decref(o);
	pay_free(&j->base);
	return 0;
}

int
api_payment_capture(struct req *r)
{
	return operate(r, OP_CAPTURE);
}

int
api_payment_cancel(struct req *r)
{
	return operate(r, OP_CANCEL);
}

int
api_payment_refund(struct req *r)
{
	return operate(r, OP_REFUND);
}
