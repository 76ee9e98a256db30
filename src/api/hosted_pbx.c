/*
 * hosted_pbx.c - Paybox System on the hosted payment page (hosted.h; README "Paybox /
 * E-transactions compatibility", docs/PAYBOX.md): the PBX_* request of an E-transactions
 * module checked into the page's signed request, and the result it expects back, PBX_RETOUR's
 * variables signed with K (RSA-SHA1 by Guichet's own key pair), on the return URLs and in the
 * notification to PBX_REPONDRE_A.
 *
 * What is signed (research/paybox-protocol.md §1.3): every PBX_ field but PBX_HMAC, in the
 * order received, "NAME=value" with the values decoded, joined by '&' (the order each module
 * chose: the kit's fixed one, WooCommerce's insertion order, PrestaShop's and Magento's
 * alphabetical one); a field of another name is no part of the protocol and is ignored, the
 * card form carrying the PBX_ fields only.
 */
#include <string.h>
#include <strings.h>

#include "api/hosted.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/status.h"
#include "crypto/crypto.h"
#include "crypto/rsa.h"
#include "domain/money.h"
#include "domain/settings.h"
#include "service/notify.h"

/* E of a payment the buyer cancelled on the page: nothing was asked of the bank. Unconfirmed
 * in the research (the modules act on the cancel URL, not on E); 00001 is Paybox's "not
 * processed". */
#define PBX_E_CANCELLED "00001"

static const char *const required[] = {
        "PBX_SITE",    "PBX_RANG",   "PBX_IDENTIFIANT", "PBX_TOTAL", "PBX_DEVISE", "PBX_CMD",
        "PBX_PORTEUR", "PBX_RETOUR", "PBX_HASH",        "PBX_TIME",  "PBX_HMAC",   NULL,
};

/* Fields Guichet cannot honour: a card on file (PBX_TOKEN, PBX_REFABONNE: Paybox's
 * subscriber option) and a payment method that is no card. Refused rather than ignored: the
 * merchant would otherwise believe them done. */
static const char *const unsupported[] = {"PBX_TOKEN", "PBX_REFABONNE", "PBX_DATEVAL", NULL};

static bool
digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, "0123456789") == n;
}

/* The request's return and notification URLs, each optional (research §1.2). */
static int
urls_check(const struct pbx_form *f, struct signed_req *s, const char **field)
{
	static const char *const names[] = {"PBX_EFFECTUE", "PBX_REFUSE", "PBX_ANNULE",
	                                    "PBX_ATTENTE", "PBX_REPONDRE_A"};
	const char *v[5];

	for (int i = 0; i < 5; i++) {
		v[i] = hosted_get(f, names[i]);
		if (v[i] != NULL && (!hosted_url_ok(v[i]) || (i == 4 && !settings_url_valid(v[i]))))
			return *field = names[i], -1;
	}
	s->url_accepted = v[0];
	s->url_refused = v[1];
	s->url_cancelled = v[2];
	s->url_pending = v[3];
	s->url_notify = v[4];
	return 0;
}

/* The options that shape the payment: capture, deferral, card type, page language. */
static int
options_check(const struct pbx_form *f, struct signed_req *s, const char **field)
{
	struct payment_request *p = &s->prq;
	const char *v;
	int64_t n;

	if ((v = hosted_get(f, "PBX_AUTOSEULE")) != NULL) {
		if (strcmp(v, "O") != 0 && strcmp(v, "N") != 0)
			return *field = "PBX_AUTOSEULE", -1;
		p->capture_manual = strcmp(v, "O") == 0;
	}
	if ((v = hosted_get(f, "PBX_DIFF")) != NULL) {
		/* A deferral is of a payment captured by itself (the merchant API's rule). */
		if (pbx_number_parse(v, TXN_DEFERRAL_MAX, &n) != ST_OK || p->capture_manual)
			return *field = "PBX_DIFF", -1;
		p->deferral_days = (int)n;
	}
	if ((v = hosted_get(f, "PBX_TYPEPAIEMENT")) != NULL && strcasecmp(v, "CARTE") != 0)
		return *field = "PBX_TYPEPAIEMENT", -1;
	if ((v = hosted_get(f, "PBX_TYPECARTE")) != NULL) {
		int m = pbx_card_method(v);

		if (m < 0 || m == METHOD_PAYPAL)
			return *field = "PBX_TYPECARTE", -1;
		s->card_method = (enum card_method)m;
	}
	if ((v = hosted_get(f, "PBX_RUF1")) != NULL) {
		if (strcasecmp(v, "POST") != 0 && strcasecmp(v, "GET") != 0)
			return *field = "PBX_RUF1", -1;
		s->notify_post = strcasecmp(v, "POST") == 0;
	}
	if ((v = hosted_get(f, "PBX_IDENTIFIANT")) != NULL && !digits(v, 1, 9))
		return *field = "PBX_IDENTIFIANT", -1;
	for (int i = 0; unsupported[i]; i++)
		if (hosted_get(f, unsupported[i]) != NULL)
			return *field = unsupported[i], -1;
	return 0;
}

/* PBX_2MONTn and PBX_DATEn (research §1.2): up to three more installments, each an amount and
 * a day, in order from 1; PBX_TOTAL is the first, paid now. */
static int
installments_check(const struct pbx_form *f, struct signed_req *s, const char **field)
{
	static const char *const amounts[] = {"PBX_2MONT1", "PBX_2MONT2", "PBX_2MONT3"};
	static const char *const days[] = {"PBX_DATE1", "PBX_DATE2", "PBX_DATE3"};
	const char *what;
	int n = 1;

	for (int i = 0; i < 3; i++) {
		const char *a = hosted_get(f, amounts[i]), *d = hosted_get(f, days[i]);

		if (a == NULL && d == NULL)
			continue;
		if (a == NULL || i != n - 1 || pbx_amount_parse(a, &s->inst[n].amount) != ST_OK)
			return *field = amounts[i], -1;
		if (d == NULL || pbx_date_parse(d, &s->inst[n].day) != ST_OK)
			return *field = days[i], -1;
		n++;
	}
	if (n == 1)
		return 0;
	/* A plan's debits are captured as they come: none is an authorization only. */
	if (s->prq.capture_manual)
		return *field = "PBX_AUTOSEULE", -1;
	s->n_inst = n;
	if (hosted_plan_check(s, &what) != 0)
		return *field = strcmp(what, "amount") == 0 ? "PBX_2MONT1" : "PBX_DATE1", -1;
	return 0;
}

/* PBX_HMAC, its algorithm (PBX_HASH) and the message it signs, checked against a shop's key. */
struct pbx_signed {
	const char *hash, *hmac, *msg;
	size_t len;
};

static bool
pbx_signed_ok(void *arg, const unsigned char *key)
{
	const struct pbx_signed *c = arg;

	return pbx_hmac_ok(c->hash, key, CRYPTO_HMAC_KEY_LEN, c->msg, c->len, c->hmac,
	                   strlen(c->hmac));
}

int
hosted_pbx_check(const struct app *app, const struct pbx_form *f, struct signed_req *s,
                 const char **code, const char **field)
{
	struct payment_request *p = &s->prq;
	const char *site, *rang, *v, *dup;
	const struct shop_auth *sa, *known;
	const unsigned char *key;
	struct pbx_signed c;
	char site7[8], rang3[4];
	struct buf msg;
	int64_t t_us;

	memset(s, 0, sizeof(*s));
	*field = NULL;
	s->dialect = DIALECT_PAYBOX;
	s->framed = true;
	/* research §1.2: FRA, GBR, ESP, ITA, DEU... the page speaks French and English. */
	v = hosted_get(f, "PBX_LANGUE");
	s->lang = v == NULL || strcmp(v, "FRA") == 0 ? LANG_FR : LANG_EN;
	site = hosted_get(f, "PBX_SITE");
	rang = hosted_get(f, "PBX_RANG");
	if (site != NULL && rang != NULL && pbx_site_rang(site, rang, site7, rang3) == ST_OK)
		s->shop = shop_cache_find(app->shops, site7, 7, rang3, 3, &s->key);
	if (s->shop == NULL || s->key == NULL)
		return *code = "unknown_shop", 400;
	if (pbx_has_duplicate(f, &dup))
		return *code = "duplicate_field", *field = dup, 400;
	for (int i = 0; required[i]; i++)
		if (hosted_get(f, required[i]) == NULL)
			return *code = "missing_field", *field = required[i], 400;
	/* Nothing else is read before the merchant is known to have sent it. */
	v = hosted_get(f, "PBX_HASH");
	if (strcasecmp(v, "SHA512") != 0 && strcasecmp(v, "SHA384") != 0 &&
	    strcasecmp(v, "SHA256") != 0 && strcasecmp(v, "SHA224") != 0)
		return *code = "invalid_field", *field = "PBX_HASH", 400;
	buf_init(&msg, LIMIT_BODY_HOSTED);
	hosted_signed_message(f, "PBX_", "PBX_HMAC", &msg);
	c.hash = v;
	c.hmac = hosted_get(f, "PBX_HMAC");
	c.msg = msg.data ? msg.data : "";
	c.len = msg.len;
	/* The key that verifies picks the environment (SPEC §16.1). */
	sa = shop_cache_verify(app->shops, site7, 7, rang3, 3, pbx_signed_ok, &c, &key, &known);
	buf_cleanup(&msg);
	if (sa == NULL)
		return *code = "bad_signature", 401;
	s->shop = sa;
	s->key = key;

	p->brand_id = s->shop->shop.brand_id;
	p->shop_id = s->shop->shop.id;
	p->deferral_days = -1;
	p->origin = ORIGIN_PAYBOX_SYSTEM;
	*code = "invalid_field";
	if (pbx_amount_parse(hosted_get(f, "PBX_TOTAL"), &p->amount) != ST_OK ||
	    !money_amount_valid(p->amount))
		return *field = "PBX_TOTAL", 400;
	if (pbx_currency_alpha(hosted_get(f, "PBX_DEVISE"), p->currency) != ST_OK)
		return *field = "PBX_DEVISE", 400;
	v = hosted_get(f, "PBX_CMD");
	if (!hosted_order_ref_ok(v))
		return *field = "PBX_CMD", 400;
	snprintf(p->order_ref, sizeof(p->order_ref), "%s", v);
	v = hosted_get(f, "PBX_PORTEUR");
	if (strlen(v) > TXN_EMAIL_MAX || !api_email_valid(v))
		return *field = "PBX_PORTEUR", 400;
	snprintf(p->email, sizeof(p->email), "%s", v);
	s->retour_spec = hosted_get(f, "PBX_RETOUR");
	if (pbx_retour_parse(&s->retour, s->retour_spec) != ST_OK)
		return *field = "PBX_RETOUR", 400;
	if (pbx_time_parse(hosted_get(f, "PBX_TIME"), &t_us) != ST_OK ||
	    llabs(t_us - clock_now_us()) > LIMIT_HOSTED_WINDOW_S * 1000000LL)
		return *field = "PBX_TIME", 400;
	s->time_s = t_us / 1000000;
	if (urls_check(f, s, field) != 0 || options_check(f, s, field) != 0 ||
	    installments_check(f, s, field) != 0)
		return 400;
	*code = NULL;
	return 0;
}

char *
hosted_pbx_variables(const struct signed_req *s, const struct txn *t, size_t *len)
{
	struct pbx_result res;
	struct pbx_result_text txt;

	if (t != NULL) {
		pbx_result_of_txn(t, s->prq.order_ref, &res, &txt);
	} else {
		memset(&res, 0, sizeof(res));
		res.amount = s->prq.amount;
		res.ref = s->prq.order_ref;
		res.error5 = PBX_E_CANCELLED;
		res.when_us = clock_now_us();
	}
	return pbx_retour_build(&s->retour, &res, len);
}

char *
hosted_pbx_signed(const struct app *app, const struct signed_req *s, const char *vars, size_t len,
                  size_t *out_len)
{
	char *b64 = NULL, *out;

	if (!s->retour.sign) {
		out = malloc(len + 1);
		if (out == NULL)
			abort();
		memcpy(out, vars, len);
		out[len] = '\0';
		*out_len = len;
		return out;
	}
	if (rsa_sign_sha1_b64(app->paybox_key, vars, len, &b64) != ST_OK)
		return NULL;
	out = pbx_retour_append_sign(vars, len, s->retour.sign_name, b64, out_len);
	free(b64);
	return out;
}

int
hosted_pbx_notify(struct store *st, const struct signed_req *s, const struct txn *t,
                  const char *vars, size_t len, int64_t now_us)
{
	struct notification n = {
	        .brand_id = t->brand_id,
	        .shop_id = t->shop_id,
	        .txn_id = t->id,
	        .url = s->url_notify,
	        .post = s->notify_post,
	        .content_type = "application/x-www-form-urlencoded",
	        .body = vars,
	        .body_len = len,
	        .sign_k = s->retour.sign ? s->retour.sign_name : NULL,
	        .now_us = now_us,
	};

	return notify_enqueue(st, &n);
}
