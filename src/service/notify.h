/*
 * notify.h - the notifications to the merchant's server after a decision (issue 12; README
 * "Notifications"): the outbox row written in the writer's transaction of the decision, and
 * Guichet's own format (a JSON body signed with HMAC-SHA512 by the shop's active key).
 *
 * Not the delivery (jobs/notifier.c), nor where the rows are kept (store.h notify_*).
 */
#ifndef GUICHET_NOTIFY_H
#define GUICHET_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "domain/txn.h"
#include "store/store.h"

/* A notification to enqueue. Every pointer is lent for the call. */
struct notification {
	int64_t brand_id, shop_id, txn_id;
	const char *url;          /* http(s): settings_url_valid */
	bool post;                /* false: GET with body appended to url's query (? or &) */
	const char *content_type; /* POST only: "application/json" or x-www-form-urlencoded */
	const char *body;
	size_t body_len;
	const char *sig_header; /* NULL, or "X-Guichet-Signature: <hex>" (Guichet format); more
	                         * header lines may follow, each after a '\n' */
	const char *sign_k;     /* NULL or "": none; else the name of the signature variable the
	                         * notifier appends to the body, signed by Guichet's Paybox key at
	                         * each call (Paybox System's K; jobs/notifier.c) */
	int64_t now_us;
};

/* Writes n as a pending notification due at once, inside the writer's transaction of the
 * decision: durable with it or not at all (a rollback takes it back). The notifier delivers
 * it once the transaction committed. ST_INVALID for a URL settings_url_valid refuses or a
 * body larger than LIMIT_NOTIFY_BODY (nothing written); ST_STORE. */
int notify_enqueue(struct store *st, const struct notification *n) WUR;

/* What a notification tells the merchant's server happened (the body's "event"): a payment
 * decided (whatever made it: the API, the hosted page, Paybox, the virtual terminal, a
 * recurring debit), or an operation on a transaction (txn_op_name's names). */
enum notify_event {
	NOTIFY_PAYMENT = 0,
	NOTIFY_CAPTURE,
	NOTIFY_CANCEL,
	NOTIFY_REFUND,
	NOTIFY_SEND,
	NOTIFY_CONFIRM, /* a pending payment's issuer answered, or it was abandoned */
};

/* "payment", "capture", "cancel", "refund", "send", "confirm" (static). */
const char *notify_event_name(enum notify_event e);

/* The event of an operation; NOTIFY_PAYMENT for one that notifies nothing (OP_BLOCK_CARD:
 * the callers do not notify it, the transaction's decision stands). */
enum notify_event notify_event_of(enum txn_op op);

/* Guichet's notification body for t, decided at now_us: one JSON object, keys in this order,
 * {"id","order_ref","amount","currency","status","refusal_reason","acquirer_status",
 * "origin", "payment_method","card_masked","three_d_secure","created_at","notified_at",
 * "event"}; no card number, no e-mail. "event" last: a body of an earlier version is this one's
 * prefix. For a refund, t is the refund's own transaction. Returns a NUL-terminated heap
 * string (*len its bytes), the caller's. */
char *notify_guichet_body(const struct txn *t, enum notify_event event, int64_t now_us,
                          size_t *len);

/* The header line that signs body: "X-Guichet-Signature: " then HMAC-SHA512(key, body) in
 * lower-case hex, into out (at least NOTIFY_SIG_HEADER_LEN bytes). */
#define NOTIFY_SIG_HEADER_LEN (sizeof("X-Guichet-Signature: ") + 2 * CRYPTO_HMAC_LEN)
void notify_sign(const unsigned char key[CRYPTO_HMAC_KEY_LEN], const char *body, size_t len,
                 char *out);

/* The notification of a decision t (a payment made, or an operation on it) to url: the
 * Guichet body, POSTed as JSON, signed with the shop's key, with the headers X-Guichet-Site
 * and X-Guichet-Rang of the shop. For the writer's job that made it. Returns as
 * notify_enqueue. */
int notify_guichet_event_enqueue(struct store *st, const struct txn *t, enum notify_event event,
                                 const char *site, const char *rang, const char *url,
                                 const unsigned char key[CRYPTO_HMAC_KEY_LEN], int64_t now_us) WUR;
/* The same for a payment decided (NOTIFY_PAYMENT): the hosted page's own URL. */
int notify_guichet_enqueue(struct store *st, const struct txn *t, const char *site,
                           const char *rang, const char *url,
                           const unsigned char key[CRYPTO_HMAC_KEY_LEN], int64_t now_us) WUR;

/* The event on t notified to its shop's notification URL (the shop's general configuration,
 * url_notify), as notify_guichet_enqueue does; nothing when the shop has none. For the entry
 * points that hold the shop's key from the request they verified (the merchant API, the
 * hosted page, Paybox Direct), in their writer's job. notify_shop_decision: a payment. */
int notify_shop_event(struct store *st, const struct txn *t, enum notify_event event,
                      const char *site, const char *rang,
                      const unsigned char key[CRYPTO_HMAC_KEY_LEN], int64_t now_us) WUR;
int notify_shop_decision(struct store *st, const struct txn *t, const char *site, const char *rang,
                         const unsigned char key[CRYPTO_HMAC_KEY_LEN], int64_t now_us) WUR;

/* The same for the entry points that hold no key (the back office's operations, the virtual
 * terminal, the recurring debits, the scheduler's round and `guichetd recurring run`): the
 * shop's URL, SITE, RANG and active key read in one statement (store.h
 * shop_notify_target), the key opened with keys and wiped after. Nothing when the shop has
 * no URL, or no active key (a notification nobody could check is not sent; logged).
 * In the writer's transaction of the event: durable with it or not at all. */
int notify_shop_txn(struct store *st, const struct crypto_keys *keys, const struct txn *t,
                    enum notify_event event, int64_t now_us) WUR;

/* The end of the pending payment p, t as it is now (accepted, refused or abandoned), told
 * where p says: Paybox System's PBX_RETOUR variables to its URL (K signed by the notifier),
 * Guichet's body (event "confirm") to its URL or else to the shop's, signed with the shop's
 * key as notify_shop_txn. In the writer's transaction of the answer. */
int notify_pending_answer(struct store *st, const struct crypto_keys *keys, const struct txn *t,
                          const struct pending_auth *p, int64_t now_us) WUR;

#endif
