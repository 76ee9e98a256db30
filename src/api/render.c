/*
 * render.c - how a transaction and its history look in JSON answers, the same for the
 * merchant API and the back office (render.h).
 */
#include "api/render.h"
#include "domain/calendar.h"

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
	char created[25], bank[11];
	json_t *o;

	cal_instant_format(t->created_at, created);
	if (t->bank_day)
		cal_date_format(t->bank_day, bank);
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
	json_object_set_new(o, "bank_date", t->bank_day ? json_string(bank) : json_null());
	json_object_set_new(o, "parent_id",
	                    t->parent_id ? json_sprintf("%lld", (long long)t->parent_id)
	                                 : json_null());
	json_object_set_new(
	        o, "card",
	        json_pack("{s:s, s:s, s:o, s:o, s:o}", "masked", t->card_masked, "expiry",
	                  t->card_expiry, "country", json_str_or_null(t->card_country), "issuer",
	                  json_str_or_null(t->issuer), "type", json_str_or_null(t->card_type)));
	json_object_set_new(o, "customer_country", json_str_or_null(t->customer_country));
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
