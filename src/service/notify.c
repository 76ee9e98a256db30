/*
 * notify.c - the notifications' outbox rows and Guichet's own notification format (notify.h).
 *
 * The body is made and signed here, in the writer's job of the decision, once: what the
 * notifier sends, every attempt, is the very bytes signed, and the delivery log shows them.
 * Not the delivery (jobs/notifier.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/limits.h"
#include "common/log.h"
#include "domain/calendar.h"
#include "domain/card.h"
#include "domain/paybox.h"
#include "domain/settings.h"
#include "service/notify.h"

int
notify_enqueue(struct store *st, const struct notification *n)
{
	struct notify_row row = {0};

	if (n->url == NULL || n->url[0] == '\0' || !settings_url_valid(n->url) || n->body == NULL ||
	    n->body_len > LIMIT_NOTIFY_BODY)
		return ST_INVALID;
	row.brand_id = n->brand_id;
	row.shop_id = n->shop_id;
	row.txn_id = n->txn_id;
	row.url = n->url;
	row.post = n->post;
	row.content_type = n->post && n->content_type != NULL ? n->content_type : "";
	row.body = n->body;
	row.body_len = n->body_len;
	row.sig_header = n->sig_header;
	row.sign_k = n->sign_k;
	row.next_at = n->now_us;
	row.created_at = n->now_us;
	return st->ops->notify_add(st, &row);
}

/* Appends s as a JSON string: quotes, backslashes and controls escaped (RFC 8259 §7); the
 * text is UTF-8 already (the API refuses anything else in what it keeps). */
static void
json_str_add(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	buf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			char e[2] = {'\\', (char)*p};

			buf_add(b, e, 2);
		} else if (*p < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};

			buf_add(b, e, 6);
		} else {
			buf_add(b, p, 1);
		}
	}
	buf_add(b, "\"", 1);
}

/* Appends ,"key": then s as a string, or null when s is "". */
static void
member_str(struct buf *b, const char *key, const char *s)
{
	buf_add(b, ",", 1);
	json_str_add(b, key);
	buf_add(b, ":", 1);
	if (s == NULL || s[0] == '\0')
		buf_adds(b, "null");
	else
		json_str_add(b, s);
}

const char *
notify_event_name(enum notify_event e)
{
	static const char *const names[] = {"payment", "capture", "cancel",
	                                    "refund",  "send",    "confirm"};

	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "payment";
}

enum notify_event
notify_event_of(enum txn_op op)
{
	switch (op) {
	case OP_CAPTURE:
		return NOTIFY_CAPTURE;
	case OP_CANCEL:
		return NOTIFY_CANCEL;
	case OP_REFUND:
		return NOTIFY_REFUND;
	case OP_SEND:
		return NOTIFY_SEND;
	case OP_BLOCK_CARD:
		break;
	}
	return NOTIFY_PAYMENT;
}

char *
notify_guichet_body(const struct txn *t, enum notify_event event, int64_t now_us, size_t *len)
{
	struct buf b;
	char num[32], created[25], notified[25];
	char *out;

	buf_init(&b, LIMIT_NOTIFY_BODY);
	/* A string, as the merchant API answers ids (SPEC §16). */
	snprintf(num, sizeof(num), "{\"id\":\"%lld\"", (long long)t->id);
	buf_adds(&b, num);
	member_str(&b, "order_ref", t->order_ref);
	snprintf(num, sizeof(num), ",\"amount\":%lld", (long long)t->amount_initial);
	buf_adds(&b, num);
	member_str(&b, "currency", t->currency);
	member_str(&b, "status", txn_status_name(t->status));
	member_str(&b, "refusal_reason",
	           t->refusal != REFUSAL_NONE ? refusal_code(t->refusal) : "");
	member_str(&b, "acquirer_status", txn_acq_name(t->acq));
	member_str(&b, "origin", txn_origin_name(t->origin));
	member_str(&b, "payment_method", card_method_name(t->method));
	member_str(&b, "card_masked", t->card_masked);
	buf_adds(&b,
	         t->tds ? ",\"three_d_secure\":{\"authenticated\":" : ",\"three_d_secure\":null");
	if (t->tds) {
		if (tds_auth_name(t->tds_auth)[0] != '\0')
			json_str_add(&b, tds_auth_name(t->tds_auth));
		else
			buf_adds(&b, "null");
		buf_adds(&b,
		         t->tds_guaranteed ? ",\"guaranteed\":true}" : ",\"guaranteed\":false}");
	}
	cal_instant_format(t->created_at, created);
	cal_instant_format(now_us, notified);
	member_str(&b, "created_at", created);
	member_str(&b, "notified_at", notified);
	member_str(&b, "event", notify_event_name(event));
	buf_add(&b, "}", 1);
	if (b.failed || b.data == NULL)
		abort(); /* every member is bounded: far within LIMIT_NOTIFY_BODY */
	*len = b.len;
	out = strdup(b.data);
	buf_cleanup(&b);
	if (out == NULL)
		abort();
	return out;
}

void
notify_sign(const unsigned char key[CRYPTO_HMAC_KEY_LEN], const char *body, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	static const char name[] = "X-Guichet-Signature: ";
	unsigned char mac[CRYPTO_HMAC_LEN];
	size_t at = sizeof(name) - 1;

	crypto_hmac(mac, key, body, len);
	memcpy(out, name, at);
	for (size_t i = 0; i < CRYPTO_HMAC_LEN; i++) {
		out[at++] = hex[mac[i] >> 4];
		out[at++] = hex[mac[i] & 15];
	}
	out[at] = '\0';
}

int
notify_guichet_event_enqueue(struct store *st, const struct txn *t, enum notify_event event,
                             const char *site, const char *rang, const char *url,
                             const unsigned char key[CRYPTO_HMAC_KEY_LEN], int64_t now_us)
{
	char sig[NOTIFY_SIG_HEADER_LEN], headers[NOTIFY_SIG_HEADER_LEN + 64];
	size_t len;
	char *body = notify_guichet_body(t, event, now_us, &len);
	struct notification n = {.brand_id = t->brand_id,
	                         .shop_id = t->shop_id,
	                         .txn_id = t->id,
	                         .url = url,
	                         .post = true,
	                         .content_type = "application/json",
	                         .body = body,
	                         .body_len = len,
	                         .sig_header = headers,
	                         .now_us = now_us};
	int rc;

	notify_sign(key, body, len, sig);
	/* The shop's SITE and RANG tell the merchant's server which key to check with. */
	snprintf(headers, sizeof(headers), "%s\nX-Guichet-Site: %s\nX-Guichet-Rang: %s", sig, site,
	         rang);
	rc = notify_enqueue(st, &n);
	free(body);
	return rc;
}

int
notify_guichet_enqueue(struct store *st, const struct txn *t, const char *site, const char *rang,
                       const char *url, const unsigned char key[CRYPTO_HMAC_KEY_LEN],
                       int64_t now_us)
{
	return notify_guichet_event_enqueue(st, t, NOTIFY_PAYMENT, site, rang, url, key, now_us);
}

int
notify_shop_event(struct store *st, const struct txn *t, enum notify_event event, const char *site,
                  const char *rang, const unsigned char key[CRYPTO_HMAC_KEY_LEN], int64_t now_us)
{
	struct shop_settings set;
	int rc = st->ops->shop_settings_get(st, t->brand_id, t->shop_id, &set);

	if (rc != ST_OK || set.url_notify[0] == '\0')
		return rc;
	return notify_guichet_event_enqueue(st, t, event, site, rang, set.url_notify, key, now_us);
}

int
notify_shop_decision(struct store *st, const struct txn *t, const char *site, const char *rang,
                     const unsigned char key[CRYPTO_HMAC_KEY_LEN], int64_t now_us)
{
	return notify_shop_event(st, t, NOTIFY_PAYMENT, site, rang, key, now_us);
}

/* The event on t, in Guichet's format, to url (NULL: the shop's notification URL, nothing
 * when it has none), signed with the shop's active key opened with keys. */
static int
shop_txn_to(struct store *st, const struct crypto_keys *keys, const struct txn *t,
            enum notify_event event, const char *url, int64_t now_us)
{
	struct notify_target nt;
	unsigned char key[CRYPTO_HMAC_KEY_LEN];
	int rc = st->ops->shop_notify_target(st, t->brand_id, t->shop_id, &nt);

	if (rc != ST_OK || (url == NULL && nt.url[0] == '\0'))
		return rc;
	if (!nt.has_key || crypto_hmac_key_open(key, nt.key_sealed, nt.key_sealed_len, t->brand_id,
	                                        t->shop_id, keys) != ST_OK) {
		/* Unsigned, the merchant's server could not tell it from a forgery. */
		log_warn("event=notify_no_key shop=%lld txn=%lld", (long long)t->shop_id,
		         (long long)t->id);
		crypto_wipe(&nt, sizeof(nt));
		return ST_OK;
	}
	rc = notify_guichet_event_enqueue(st, t, event, nt.site, nt.rang, url ? url : nt.url, key,
	                                  now_us);
	crypto_wipe(key, sizeof(key));
	crypto_wipe(&nt, sizeof(nt));
	return rc;
}

int
notify_shop_txn(struct store *st, const struct crypto_keys *keys, const struct txn *t,
                enum notify_event event, int64_t now_us)
{
	return shop_txn_to(st, keys, t, event, NULL, now_us);
}

int
notify_pending_answer(struct store *st, const struct crypto_keys *keys, const struct txn *t,
                      const struct pending_auth *p, int64_t now_us)
{
	struct pbx_retour retour;
	struct pbx_result res;
	struct pbx_result_text txt;
	struct notification n = {0};
	char *vars;
	int rc;

	if (p->notify_url[0] == '\0' || p->pbx_retour[0] == '\0')
		return shop_txn_to(st, keys, t, NOTIFY_CONFIRM,
		                   p->notify_url[0] ? p->notify_url : NULL, now_us);
	if (pbx_retour_parse(&retour, p->pbx_retour) != ST_OK)
		return ST_INVALID; /* checked at the request: never */
	pbx_result_of_txn(t, t->order_ref, &res, &txt);
	vars = pbx_retour_build(&retour, &res, &n.body_len);
	n.brand_id = t->brand_id;
	n.shop_id = t->shop_id;
	n.txn_id = t->id;
	n.url = p->notify_url;
	n.post = p->notify_post;
	n.content_type = "application/x-www-form-urlencoded";
	n.body = vars;
	n.sign_k = retour.sign ? retour.sign_name : NULL;
	n.now_us = now_us;
	rc = notify_enqueue(st, &n);
	free(vars);
	return rc;
}
