/*
 * hosted.h - what the hosted payment page (hosted.c) shares with its Paybox System dialect
 * (hosted_pbx.c): the signed request as checked, whichever of the two forms it came in.
 * Private to those two files.
 *
 * Guichet's own request (GCH_* fields, POST /pay) and Paybox System's (PBX_* fields, the
 * E-transactions entry points) lead to the same card form, 3-D Secure challenge and decision;
 * they differ in how the request is read and signed, and in how the result goes back to the
 * merchant (GCH_SIGNATURE, or PBX_RETOUR's variables signed with K).
 */
#ifndef GUICHET_API_HOSTED_H
#define GUICHET_API_HOSTED_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "domain/paybox.h"
#include "domain/recurring.h"
#include "domain/txn.h"
#include "http/shops.h"
#include "service/payments.h"

enum hosted_dialect { DIALECT_GUICHET = 0, DIALECT_PAYBOX };

enum hosted_lang { LANG_FR = 0, LANG_EN };

/* A signed request, checked. Its strings are lent by the request's form (pool memory). */
struct signed_req {
	enum hosted_dialect dialect;
	const struct shop_auth *shop;
	const unsigned char *key;
	enum hosted_lang lang;
	struct payment_request prq;
	int64_t time_s; /* the request's time, with the order reference what a replay repeats */
	/* The buyer's way back; NULL (Paybox System only, and the optional pending one):
	 * Guichet's own result page. */
	const char *url_accepted, *url_refused, *url_cancelled, *url_pending;
	/* The merchant's server, told of the decision; NULL: the shop's configured URL. */
	const char *url_notify;
	bool notify_post; /* Paybox: PBX_RUF1=POST (else a GET, the variables in its query) */
	bool framed;      /* Paybox: the page may be framed by the merchant's origins */
	struct pbx_retour retour;     /* Paybox: PBX_RETOUR (R, PBX_CMD, is prq.order_ref) */
	const char *retour_spec;      /* Paybox: PBX_RETOUR as received (a pending payment's) */
	enum card_method card_method; /* Paybox: PBX_TYPECARTE (pbx_card_accepts); NONE: any */
	/* An installment plan (PBX_2MONTn and PBX_DATEn, GCH_INSTALLMENTS): inst[0] is prq.amount,
	 * paid now; the others the days and amounts asked. n_inst 0: one payment. */
	struct installment inst[RECURRING_PLAN_MAX];
	int n_inst;
};

/* For both dialects (hosted.c): a field of the form, its value or NULL; whether u may be a
 * return URL (http(s), at most 512 bytes, a plain origin for the page's CSP); whether s may be
 * an order reference; the message a request's signature signs, every field named prefix* but
 * sig_name, "name=value" in the order received, joined by '&'. */
const char *hosted_get(const struct pbx_form *f, const char *name);
/* Whether s's installments (n_inst, inst[1..]; inst[0] set here from prq.amount and today)
 * keep the plans' rules (domain/recurring.h plan_check, the contract's maximum aside: the
 * decision checks it): 0, or -1 with *what "amount" or "date". */
int hosted_plan_check(struct signed_req *s, const char **what);
bool hosted_url_ok(const char *u);
bool hosted_order_ref_ok(const char *s);
struct buf;
void hosted_signed_message(const struct pbx_form *f, const char *prefix, const char *sig_name,
                           struct buf *b);

/* Checks a Paybox System request (research/paybox-protocol.md §1: the PBX_* fields of f, its
 * PBX_HMAC) into *s. Returns 0, or the HTTP status of the refusal with *code (and *field when
 * a field is to blame) for the buyer's error page and the shop's error log; s->shop and
 * s->lang are set as soon as known. */
int hosted_pbx_check(const struct app *app, const struct pbx_form *f, struct signed_req *s,
                     const char **code, const char **field);

/* PBX_RETOUR's variables for the outcome t (NULL: the buyer cancelled, nothing recorded), in
 * the merchant's names, K aside: what K signs (research §1.5, §1.6). A heap string, the
 * caller's; *len its length. */
char *hosted_pbx_variables(const struct signed_req *s, const struct txn *t, size_t *len);

/* vars (hosted_pbx_variables') with K appended when PBX_RETOUR asks it, signed by Guichet's
 * key: what goes on the buyer's return URL. A heap string, the caller's; NULL when the key
 * could not sign. RSA is deterministic (PKCS#1 v1.5): the notifier's K of the same
 * variables is the same. */
char *hosted_pbx_signed(const struct app *app, const struct signed_req *s, const char *vars,
                        size_t len, size_t *out_len);

/* The Paybox notification of vars to s->url_notify, GET or POST as the request asked,
 * queued in the writer's transaction of the decision; K is signed and appended by the
 * notifier at each call (jobs/notifier.c), so that the decision's writer makes no RSA
 * signature. */
int hosted_pbx_notify(struct store *st, const struct signed_req *s, const struct txn *t,
                      const char *vars, size_t len, int64_t now_us);

#endif
