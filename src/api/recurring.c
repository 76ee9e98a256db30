/*
 * recurring.c - the merchant API's card aliases, installment plans and subscriptions (SPEC
 * §9, §16.1; Ingenico guide 3.2.4). Parses and checks the form on the event loop, hands the
 * use case to the writer (service/recurring.c) with the Idempotency-Key (api/idem.h), renders
 * the answer (render.h). Rules that need today or the store (dates, the card's expiry before
 * the first debit, the alias) are the service's, answered here with the field or code it
 * names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/idem.h"
#include "api/json.h"
#include "api/render.h"
#include "common/clock.h"
#include "domain/calendar.h"
#include "domain/money.h"
#include "service/recurring.h"

enum rec_kind { REC_ALIAS_CREATE, REC_ALIAS_DELETE, REC_CREATE, REC_GET };

struct rec_job {
	struct http_job base; /* first */
	enum rec_kind kind;
	const struct app *app;
	int64_t brand_id, shop_id, id;
	char alias[HTTP_PATH_KEY_MAX + 1];
	struct recurring_request rq;
	struct api_idem idem;
	/* Results. */
	const char *why;
	int http_status;
	char *response; /* the rendered answer (heap) */
};

/* --- jobs ---------------------------------------------------------------------------------- */

/* The plan or subscription id of the shop, with its debits. */
static int
render_recurring(struct rec_job *j, struct store *st, const struct recurring *r)
{
	json_t *debits = json_array();
	int rc = st->ops->recurring_debits_each(st, r->brand_id, r->id, debit_push, debits);

	if (rc != ST_OK) {
		json_decref(debits);
		return rc;
	}
	j->response = json_text_of(recurring_json(r, debits));
	return ST_OK;
}

static int
rec_get_run(struct work_job *w, struct store *st)
{
	struct rec_job *j = (struct rec_job *)w;
	struct recurring r;
	int rc = st->ops->recurring_get(st, j->brand_id, j->shop_id, 0, j->id, &r);

	if (rc == ST_OK && r.kind != j->rq.kind)
		rc = ST_NOTFOUND;
	if (rc != ST_OK)
		return rc;
	j->http_status = 200;
	return render_recurring(j, st, &r);
}

static int
alias_create_run(struct rec_job *j, struct store *st, int64_t now)
{
	struct card_alias a;
	int rc;

	if (recurring_card_fails_on(j->rq.card.expiry_month, j->rq.card.expiry_year,
	                            cal_business_day(now))) {
		j->why = "card_expired";
		return ST_REFUSED;
	}
	rc = alias_create(st, j->app->keys, j->brand_id, j->shop_id, &j->rq.card, false, now, &a);
	if (rc != ST_OK)
		return rc;
	j->http_status = 201;
	j->response =
	        json_text_of(json_pack("{s:s, s:s, s:s, s:s, s:o}", "alias", a.alias, "card_masked",
	                               a.card_masked, "expiry", a.card_expiry, "payment_method",
	                               card_method_name((enum card_method)a.method), "created_at",
	                               json_instant_or_null(a.created_at)));
	return ST_OK;
}

static int
rec_write_run(struct work_job *w, struct store *st)
{
	struct rec_job *j = (struct rec_job *)w;
	struct recurring r;
	int64_t now = clock_now_us();
	int rc;

	if (j->idem.has_key) {
		rc = api_idem_lookup(st, j->brand_id, j->shop_id, &j->idem, &j->http_status,
		                     &j->response, &j->why);
		if (rc != ST_NOTFOUND)
			return rc;
	}
	switch (j->kind) {
	case REC_ALIAS_CREATE:
		rc = alias_create_run(j, st, now);
		break;
	case REC_ALIAS_DELETE:
		rc = st->ops->alias_delete(st, j->brand_id, j->alias, now);
		if (rc == ST_NOTFOUND) {
			j->why = "unknown_alias";
			rc = ST_REFUSED;
		} else if (rc == ST_CONFLICT) {
			j->why = "alias_in_use";
		}
		j->http_status = 204;
		j->response = strdup("");
		if (j->response == NULL)
			abort();
		break;
	default:
		rc = recurring_create(st, j->app->keys, j->app->acquirer, &j->rq, now, &r, &j->why);
		if (rc == ST_OK) {
			j->http_status = 201;
			rc = render_recurring(j, st, &r);
		}
		break;
	}
	crypto_wipe(j->rq.card.digits, sizeof(j->rq.card.digits));
	if (rc == ST_OK && j->idem.has_key)
		rc = api_idem_put(st, j->brand_id, j->shop_id, &j->idem, j->http_status,
		                  j->response, now);
	return rc;
}

/* The rules the service refused on, by the field they are about (recurring_create). */
static const struct {
	const char *why, *field, *message;
} rule_fields[] = {
        {"installments", "installments", "installments must hold 2 to 4 debits."},
        {"amount", "installments",
         "Each installment's amount must be above 0, and they must add up to amount when "
         "it is given."},
        {"date", "installments",
         "The installments' dates must be today (Europe/Paris) or later, each after the one "
         "before, the last at most 90 days after the first."},
        {"start", "start", "start must be today (Europe/Paris) or later, within a year."},
        {"subscription", "count",
         "every_months must be 1 to 12, day_of_month 1 to 31, count 0 (unlimited) or 2 and "
         "more, amount above 0."},
};

static void
rec_respond(struct http_job *hj, struct req *r)
{
	struct rec_job *j = (struct rec_job *)hj;
	int rc = j->base.work.rc;

	if (rc == ST_OK) {
		http_reply_raw(r, j->http_status, j->response, strlen(j->response));
		return;
	}
	for (size_t i = 0; rc == ST_REFUSED && i < sizeof(rule_fields) / sizeof(rule_fields[0]);
	     i++)
		if (j->why != NULL && strcmp(j->why, rule_fields[i].why) == 0) {
			json_bad_field(r, rule_fields[i].field, rule_fields[i].message);
			return;
		}
	http_reply_error(r, rc, j->why, NULL);
}

static void
rec_free(struct http_job *hj)
{
	struct rec_job *j = (struct rec_job *)hj;

	free(j->response);
	crypto_wipe(j, sizeof(*j));
	free(j);
}

static struct rec_job *
rec_job_new(struct req *r, enum rec_kind kind, enum recurring_kind rk)
{
	struct rec_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->kind = kind;
	j->app = r->app;
	j->brand_id = r->shop->shop.brand_id;
	j->shop_id = r->shop->shop.id;
	j->id = r->path_id;
	j->rq.kind = rk;
	j->rq.brand_id = j->brand_id;
	j->rq.shop_id = j->shop_id;
	j->base.work.run = kind == REC_GET ? rec_get_run : rec_write_run;
	j->base.respond = rec_respond;
	j->base.free = rec_free;
	return j;
}

/* --- parsing ------------------------------------------------------------------------------- */

/* An integer member within lo..hi: 1 absent, 0 valid, -1 invalid. */
static int
get_int(json_t *o, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return 1;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* A date member "YYYY-MM-DD" into a day: 1 absent, 0 valid, -1 invalid. */
static int
get_day(json_t *o, const char *name, int64_t *day)
{
	char text[16];
	int g = json_get_text(o, name, text, sizeof(text));

	if (g != 0)
		return g;
	return cal_date_parse(text, day) == 0 ? 0 : -1;
}

/* What plans and subscriptions share: currency, order_ref, email, customer_country, card or
 * alias. 0, or -1 when answered. */
static int
parse_common(struct req *r, json_t *o, struct recurring_request *rq)
{
	int g;

	if (json_get_text(o, "currency", rq->currency, sizeof(rq->currency)) != 0 ||
	    money_currency_find(rq->currency) == NULL) {
		json_bad_field(r, "currency",
		               "currency must be a supported ISO 4217 code, e.g. EUR.");
		return -1;
	}
	if (json_take_text(r, o, "order_ref", rq->order_ref, sizeof(rq->order_ref), true))
		return -1;
	g = json_get_text(o, "email", rq->email, sizeof(rq->email));
	if (g < 0 || (g == 0 && !api_email_valid(rq->email))) {
		json_bad_field(r, "email", "email must be an e-mail address.");
		return -1;
	}
	g = json_get_text(o, "customer_country", rq->customer_country,
	                  sizeof(rq->customer_country));
	if (g < 0 || (g == 0 && !country_valid(rq->customer_country))) {
		json_bad_field(r, "customer_country",
		               "customer_country must be an ISO 3166-1 alpha-2 code, e.g. FR.");
		return -1;
	}
	return api_parse_card_or_alias(r, o, false, &rq->card);
}

/* "installments": [{"amount","date"}…], 2 to 4; the optional "amount" is their total. */
static int
parse_plan(struct req *r, json_t *o, struct recurring_request *rq)
{
	static const char *const item_allowed[] = {"amount", "date", NULL};
	json_t *list = json_object_get(o, "installments"), *it;
	int64_t total = 0, sum = 0;
	size_t i;
	int g;

	if (!json_is_array(list) || json_array_size(list) < RECURRING_PLAN_MIN ||
	    json_array_size(list) > RECURRING_PLAN_MAX) {
		json_bad_field(r, "installments",
		               "installments must be an array of 2 to 4 {\"amount\",\"date\"}.");
		return -1;
	}
	json_array_foreach(list, i, it)
	{
		if (!json_is_object(it)) {
			json_bad_field(r, "installments", "Each installment must be an object.");
			return -1;
		}
		if (json_refuse_unknown(r, it, item_allowed))
			return -1;
		if (get_int(it, "amount", 1, MONEY_AMOUNT_MAX, &rq->installments[i].amount) != 0 ||
		    get_day(it, "date", &rq->installments[i].day) != 0) {
			json_bad_field(
			        r, "installments",
			        "Each installment needs an amount (an integer count of minor "
			        "units, 1 to 99999999999) and a date YYYY-MM-DD.");
			return -1;
		}
		sum += rq->installments[i].amount;
	}
	rq->n = (int)json_array_size(list);
	g = (int)get_int(o, "amount", 1, INT64_MAX, &total);
	if (g < 0 || (g == 0 && total != sum)) {
		json_bad_field(
		        r, "amount",
		        "amount, when given, must be the total of the installments' amounts.");
		return -1;
	}
	return 0;
}

static int
parse_subscription(struct req *r, json_t *o, struct recurring_request *rq)
{
	int64_t v;

	rq->initial_amount = 0;
	if (get_int(o, "initial_amount", 0, MONEY_AMOUNT_MAX, &rq->initial_amount) < 0) {
		json_bad_field(
		        r, "initial_amount",
		        "initial_amount must be 0 (none) or an integer count of minor units.");
		return -1;
	}
	if (get_int(o, "amount", 1, MONEY_AMOUNT_MAX, &rq->amount) != 0) {
		json_bad_field(r, "amount",
		               "amount must be an integer count of minor units, 1 to 99999999999.");
		return -1;
	}
	if (get_int(o, "count", 0, 100000, &rq->count) != 0 || rq->count == 1) {
		json_bad_field(r, "count", "count must be 0 (unlimited) or 2 to 100000.");
		return -1;
	}
	if (get_int(o, "every_months", 1, RECURRING_EVERY_MAX, &v) != 0) {
		json_bad_field(r, "every_months", "every_months must be an integer 1 to 12.");
		return -1;
	}
	rq->every_months = (int)v;
	if (get_int(o, "day_of_month", 1, RECURRING_DAY_MAX, &v) != 0) {
		json_bad_field(r, "day_of_month", "day_of_month must be an integer 1 to 31.");
		return -1;
	}
	rq->day_of_month = (int)v;
	if (get_day(o, "start", &rq->start_day) != 0) {
		json_bad_field(r, "start", "start must be a date YYYY-MM-DD.");
		return -1;
	}
	return 0;
}

/* After the body o was parsed into j (answered already when refused): the Idempotency-Key
 * taken, j handed to the writer; else j dropped. */
static int
submit_parsed(struct req *r, struct rec_job *j, json_t *o, bool refused)
{
	json_decref(o);
	if (refused || api_idem_take(r, &j->idem) != 0) {
		rec_free(&j->base);
		return 0;
	}
	return http_submit_or_reply(r, &j->base, true);
}

static int
create(struct req *r, enum recurring_kind kind)
{
	static const char *const plan_allowed[] = {
	        "currency", "order_ref", "email",        "customer_country", "card",
	        "alias",    "cvv",       "installments", "amount",           NULL};
	static const char *const sub_allowed[] = {
	        "currency", "order_ref", "email",        "customer_country",
	        "card",     "alias",     "cvv",          "initial_amount",
	        "amount",   "count",     "every_months", "day_of_month",
	        "start",    NULL};
	struct rec_job *j;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = rec_job_new(r, REC_CREATE, kind);
	return submit_parsed(
	        r, j, o,
	        json_refuse_unknown(r, o, kind == RK_PLAN ? plan_allowed : sub_allowed) ||
	                parse_common(r, o, &j->rq) != 0 ||
	                (kind == RK_PLAN ? parse_plan(r, o, &j->rq)
	                                 : parse_subscription(r, o, &j->rq)) != 0);
}

int
api_plan_create(struct req *r)
{
	return create(r, RK_PLAN);
}

int
api_subscription_create(struct req *r)
{
	return create(r, RK_SUBSCRIPTION);
}

int
api_plan_get(struct req *r)
{
	return http_submit_or_reply(r, &rec_job_new(r, REC_GET, RK_PLAN)->base, false);
}

int
api_subscription_get(struct req *r)
{
	return http_submit_or_reply(r, &rec_job_new(r, REC_GET, RK_SUBSCRIPTION)->base, false);
}

int
api_alias_create(struct req *r)
{
	static const char *const allowed[] = {"card", NULL};
	struct rec_job *j;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = rec_job_new(r, REC_ALIAS_CREATE, 0);
	return submit_parsed(
	        r, j, o,
	        json_refuse_unknown(r, o, allowed) ||
	                api_parse_card(r, json_object_get(o, "card"), false, &j->rq.card) != 0);
}

int
api_alias_delete(struct req *r)
{
	struct rec_job *j;

	j = rec_job_new(r, REC_ALIAS_DELETE, 0);
	snprintf(j->alias, sizeof(j->alias), "%s", r->path_key);
	if (api_idem_take(r, &j->idem) != 0) {
		rec_free(&j->base);
		return 0;
	}
	return http_submit_or_reply(r, &j->base, true);
}
