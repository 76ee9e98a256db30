/*
 * render.h - JSON views shared by the merchant API and the back office: a transaction with
 * every field of SPEC §5's details, and its history (Vision manual §4.1.4, §4.1.6).
 */
#ifndef GUICHET_RENDER_H
#define GUICHET_RENDER_H

#include <stdint.h>

#include <jansson.h>

#include "store/store.h"

/* v as compact JSON text (heap, the caller's), v released: an answer kept as text (an
 * Idempotency-Key's). */
char *json_text_of(json_t *v);

/* A string, or null when it is empty. */
json_t *json_str_or_null(const char *s);

/* A day (calendar.h) as YYYY-MM-DD, or null when 0. */
json_t *json_day_or_null(int64_t day);

/* An instant as RFC 3339 UTC, or null when 0. */
json_t *json_instant_or_null(int64_t t_us);

/* A list read one item longer than its page (items, of objects with an "id"): the cursor of
 * the next page, the id of the page's last item as a string, the extra item removed; null
 * when there is no next page. */
json_t *json_page_next(json_t *items, size_t page);

/* A contract's fraud filters as the answers show them (README "Risk"). */
json_t *fraud_filters_json(const struct fraud_filters *f);

/* The transaction as the answers show it at now_us (the 3-D Secure guarantee expires). */
json_t *txn_json(const struct txn *t, int64_t now_us);

/* A store_history_cb that appends each entry to the JSON array arg. */
int history_push(void *arg, const struct history *h);

/* A store_debit_cb that appends each debit of a plan or subscription to the JSON array arg
 * ({"number","amount","date","status","payment_id"}). */
int debit_push(void *arg, const struct recurring_debit *d);

/* A plan or subscription as the answers show it. With debits (an array filled by
 * debit_push, taken), its debits: a plan's "installments", a subscription's "debits", those
 * made and then the next ones to come while it is in progress. */
json_t *recurring_json(const struct recurring *r, json_t *debits);

#endif
