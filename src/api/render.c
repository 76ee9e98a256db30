/*
 * render.c - how a transaction and its history look in JSON answers, the same for the
 * merchant API and the back office (render.h).
 */
#include <stdlib.h>

#include "api/render.h"
#include "domain/calendar.h"

char *
json_text_of(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	if (s == NULL)
		abort();
	return s;
}

json_t *
json_str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *
json_page_next(json_t *items, size_t page)
{
	json_int_t last;

	if (json_array_size(items) <= page)
		return json_null();
	last = json_integer_value(json_object_get(json_array_get(items, page - 1), "id"));
	json_array_remove(items, page);
	return json_sprintf("%lld", (long long)last);
}

json_t *
json_instant_or_null(int64_t t_us)
{
	char text[25];

	if (t_us == 0)
		return json_null();
	cal_instant_format(t_us, text);
	return json_string(text);
}

json_t *
txn_json(const struct txn *t, int64_t now)
{
	char created[25];
	json_t *o;

	cal_instant_format(t->created_at, created);
	o = json_pack("{s:s%, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:o, s:s, s:s}", "id", "", 0,
	              "type", txn_type_name(t->type), "status", txn_status_name(t->status),
	              "acquirer_status", txn_acq_name(t->acq), "amount_initial",
	              (json_int_t)t->amount_initial, "amount_current",
	              (json_int_t)t->amount_current, "amount_refunded",
	              (json_int_t)t->amount_refunded, "currency", t->currency, "order_ref",
	              t->order_ref, "email", json_str_or_null(t->email), "capture",
	              t->capture_manual ? "manual" : "auto", "created_at", created);
	json_object_set_new(o, "id", json_sprintf("%lld", (long long)t->id));
	json_object_set_new(o, "refusal_reason",
	                    t->refusal ? json_string(refusal_code(t->refusal)) : json_null());
	json_object_set_new(o, "refusal_message",
	                    t->refusal ? json_string(refusal_message(t->refusal)) : json_null());
	json_object_set_new(o, "payment_method", json_string(card_method_name(t->method)));
	json_object_set_new(o, "authorization_number", json_str_or_null(t->auth_number));
	json_object_set_new(o, "bank_date", json_day_or_null(t->bank_day));
	json_object_set_new(o, "parent_id",
	                    t->parent_id ? json_sprintf("%lld", (long long)t->parent_id)
	                                 : json_null());
	json_object_set_new(
	        o, "card",
	        json_pack("{s:s, s:s, s:o, s:o, s:o}", "masked", t->card_masked, "expiry",
	                  t->card_expiry, "country", json_str_or_null(t->card_country), "issuer",
	                  json_str_or_null(t->issuer), "type", json_str_or_null(t->card_type)));
	json_object_set_new(o, "customer_country", json_str_or_null(t->customer_country));
	json_object_set_new(o, "manual", json_boolean(t->manual));
	json_object_set_new(o, "origin", json_string(txn_origin_name(t->origin)));
	json_object_set_new(o, "archive_ref", json_str_or_null(t->archive_ref));
	json_object_set_new(
	        o, "three_d_secure",
	        json_pack("{s:s, s:o, s:s}", "payment",
	                  tds_view(t->tds, t->tds_guaranteed, t->accepted_at, now), "authenticated",
	                  t->tds ? json_string(tds_auth_name(t->tds_auth)) : json_null(),
	                  "guaranteed", !t->tds ? "na" : (t->tds_guaranteed ? "yes" : "no")));
	return o;
}

int
history_push(void *arg, const struct history *h)
{
	char at[25];

	cal_instant_format(h->at, at);
	json_array_append_new(arg,
	                      json_pack("{s:s, s:s, s:I, s:s, s:o, s:o}", "at", at, "action",
	                                h->action, "amount", (json_int_t)h->amount, "currency",
	                                h->currency, "user_name", json_str_or_null(h->user_name),
	                                "user_login", json_str_or_null(h->user_login)));
	return ST_OK;
}

static json_t *
id_or_null(int64_t id)
{
	return id ? json_sprintf("%lld", (long long)id) : json_null();
}

json_t *
json_day_or_null(int64_t day)
{
	char text[11];

	if (day == 0)
		return json_null();
	cal_date_format(day, text);
	return json_string(text);
}

static json_t *
debit_json(int64_t number, int64_t amount, int64_t day, enum debit_status status, int64_t txn_id)
{
	json_t *o = json_pack("{s:I, s:I, s:s}", "number", (json_int_t)number, "amount",
	                      (json_int_t)amount, "status", debit_status_name(status));

	json_object_set_new(o, "date", json_day_or_null(day));
	json_object_set_new(o, "payment_id", id_or_null(txn_id));
	return o;
}

int
debit_push(void *arg, const struct recurring_debit *d)
{
	json_array_append_new(arg, debit_json(d->number, d->amount, d->day, d->status, d->txn_id));
	return ST_OK;
}

/* A subscription's next debits to come, after those made: up to RENDER_UPCOMING of them. */
#define RENDER_UPCOMING 6

json_t *
recurring_json(const struct recurring *r, json_t *debits)
{
	bool live = r->status == RS_IN_PROGRESS || r->status == RS_WILL_FAIL;
	json_t *o;

	o = json_pack(
	        "{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "id", "",
	        0, "kind", recurring_kind_name(r->kind), "status", recurring_status_name(r->status),
	        "site", r->site, "rang", r->rang, "contract_number", r->contract_number,
	        "payment_method", card_method_name(r->method), "currency", r->currency, "order_ref",
	        r->order_ref, "card_masked", r->card_masked, "amount", (json_int_t)r->amount,
	        "count", (json_int_t)r->count, "done", (json_int_t)r->done, "manual", r->manual);
	json_object_set_new(o, "id", json_sprintf("%lld", (long long)r->id));
	json_object_set_new(o, "shop_name", json_str_or_null(r->shop_name));
	json_object_set_new(o, "email", json_str_or_null(r->email));
	json_object_set_new(o, "customer_country", json_str_or_null(r->customer_country));
	json_object_set_new(o, "card_expiry", json_string(r->card_expiry));
	json_object_set_new(o, "alias", json_str_or_null(r->alias));
	if (r->kind == RK_SUBSCRIPTION) {
		json_object_set_new(o, "initial_amount", json_integer(r->initial_amount));
		json_object_set_new(o, "every_months", json_integer(r->every_months));
		json_object_set_new(o, "day_of_month", json_integer(r->day_of_month));
	}
	json_object_set_new(o, "start", json_day_or_null(r->start_day));
	json_object_set_new(o, "next_date", live ? json_day_or_null(r->next_day) : json_null());
	json_object_set_new(o, "next_amount",
	                    live && r->next_day ? json_integer(r->next_amount) : json_null());
	json_object_set_new(o, "remaining",
	                    r->kind == RK_SUBSCRIPTION && r->count == 0
	                            ? json_null()
	                            : json_integer(live ? r->count - r->done : 0));
	json_object_set_new(o, "archive_ref", json_str_or_null(r->archive_ref));
	json_object_set_new(o, "created_at", json_instant_or_null(r->created_at));
	json_object_set_new(o, "created_by_login", json_str_or_null(r->created_by_login));
	json_object_set_new(o, "ended_at", json_instant_or_null(r->ended_at));
	json_object_set_new(o, "end_reason", json_str_or_null(r->end_reason));
	json_object_set_new(o, "ended_by_login", json_str_or_null(r->ended_by_login));
	if (debits == NULL)
		return o;
	if (r->kind == RK_SUBSCRIPTION && live) {
		for (int64_t n = r->done + 1, k = 0;
		     k < RENDER_UPCOMING && (r->count == 0 || n <= r->count); n++, k++)
			json_array_append_new(
			        debits,
			        debit_json(n, r->amount,
			                   subscription_debit_day(r->start_day, r->every_months,
			                                          r->day_of_month, n),
			                   DS_PLANNED, 0));
	}
	json_object_set_new(o, r->kind == RK_PLAN ? "installments" : "debits", debits);
	return o;
}

/* "KP,RU" as ["KP","RU"]. */
static json_t *
countries_json(const char *list)
{
	json_t *a = json_array();

	for (size_t i = 0; list[i] != '\0' && list[i + 1] != '\0'; i += list[i + 2] ? 3 : 2)
		json_array_append_new(a, json_stringn(list + i, 2));
	return a;
}

json_t *
fraud_filters_json(const struct fraud_filters *f)
{
	return json_pack(
	        "{s:o, s:o, s:o, s:o, s:b, s:I}", "max_amount",
	        f->max_amount ? json_integer(f->max_amount) : json_null(), "max_per_card_day",
	        f->max_per_card_day ? json_integer(f->max_per_card_day) : json_null(),
	        "blocked_card_countries", countries_json(f->card_countries),
	        "blocked_customer_countries", countries_json(f->customer_countries),
	        "country_mismatch", f->country_mismatch, "version", (json_int_t)f->version);
}
