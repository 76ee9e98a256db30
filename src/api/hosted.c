/*
 * hosted.c - the hosted payment page (issue 12; README "The hosted payment page"): the
 * merchant's site posts a signed request to POST /pay, the buyer gets the card form, posts
 * the card to POST /pay/card, the writer decides the payment (service/payments.c, origin
 * "hosted_page") and the buyer goes back to the merchant's accepted / refused / cancelled URL
 * with the signed result.
 *
 * The signed request (GCH_* fields, application/x-www-form-urlencoded): the signature
 * GCH_SIGNATURE is the hex HMAC-SHA512, with the shop's active key, of every other GCH_
 * field "name=value" (values URL-decoded) in the order sent, joined by '&'. The card form
 * carries the signed fields back as they came, so that the card's POST is verified again and
 * nothing of the request is kept between the two steps. A request is good once: its shop,
 * order reference and GCH_TIME are remembered with the payment, in the same transaction.
 *
 * The card number and CVV are read from the card POST's body only (never a URL), checked for
 * form, given to the decision and wiped; the CVV is never stored, never logged. A card whose
 * issuer challenges the buyer (the acquirer's tds_challenge: the simulator's 3-D Secure test
 * cards) gets the challenge page first, POST /pay/3ds: meanwhile the card waits sealed in a
 * checkout row named by the hash of a random token, taken out and deleted by the answer.
 *
 * The page's own CSP: no script, its stylesheet only, form-action the page and the origins of
 * the merchant's return URLs (a browser checks it on the 303 that follows the form).
 *
 * Bad input of every kind answers an HTML error page in the buyer's language without detail,
 * counts the refusal in the shop's API error log when the shop is known, records nothing.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/hosted.h"
#include "api/hosted_theme.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "domain/api_error.h"
#include "domain/calendar.h"
#include "domain/card.h"
#include "domain/money.h"
#include "service/notify.h"
#include "service/payments.h"
#include "service/recurring.h"

#define URL_MAX 512

static void
form_dispose(void *p)
{
	pbx_form_free(p);
}

/* Parses raw (a body or a query) into a form in r's pool, wiped and released with it (the
 * card's form holds a card number and a CVV). NULL for a bad form. */
static struct pbx_form *
form_read(struct req *r, const char *raw, size_t len)
{
	struct pbx_form *f = h2o_mem_alloc_shared(&r->h2o->pool, sizeof(*f), form_dispose);

	memset(f, 0, sizeof(*f));
	return pbx_form_parse(f, raw, len) == ST_OK ? f : NULL;
}

/* The request's form: its query for a GET (Paybox System's framed page), else its body. */
static struct pbx_form *
form_of(struct req *r)
{
	h2o_req_t *req = r->h2o;
	h2o_iovec_t in = http_body(r);

	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")))
		in = req->query_at == SIZE_MAX ? h2o_iovec_init("", 0)
		                               : h2o_iovec_init(req->path.base + req->query_at + 1,
		                                                req->path.len - req->query_at - 1);
	return form_read(r, in.base, in.len);
}

const char *
hosted_get(const struct pbx_form *f, const char *name)
{
	const struct pbx_field *x = pbx_get(f, name);

	return x != NULL ? x->value : NULL;
}

static void
bputc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static void __attribute__((format(printf, 2, 3))) bprintf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(tmp)) {
		char *big = malloc((size_t)n + 1);

		if (big == NULL)
			abort();
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		buf_add(b, big, (size_t)n);
		free(big);
	} else if (n > 0) {
		buf_add(b, tmp, (size_t)n);
	}
}

/* --- the page's text ----------------------------------------------------------------------- */

struct text {
	const char *title, *pay, *cancel, *number, *expiry, *cvv, *name, *amount, *order,
	        *error_title, *error_body, *secured;
};

static const struct text texts[2] = {
        [LANG_FR] = {"Paiement sécurisé", "Payer", "Annuler et revenir à la boutique",
                     "Numéro de carte", "Date d'expiration (MM/AA)", "Cryptogramme (CVV)",
                     "Nom du titulaire", "Montant", "Commande", "Paiement impossible",
                     "Cette demande de paiement n'est pas valable. Revenez à la boutique et "
                     "recommencez.",
                     "Vos données de carte sont transmises chiffrées et ne sont pas "
                     "conservées par la boutique."},
        [LANG_EN] = {"Secure payment", "Pay", "Cancel and go back to the shop", "Card number",
                     "Expiry date (MM/YY)", "Security code (CVV)", "Cardholder name", "Amount",
                     "Order", "Payment not possible",
                     "This payment request is not valid. Go back to the shop and try again.",
                     "Your card details travel encrypted and are not kept by the shop."},
};

/* The page's head, and the top of its body: with the shop's template (api/hosted_theme.h),
 * its stylesheet after pay.css, its logo (named by the shop's name) and its heading line in
 * the buyer's language; without one (shop NULL: unknown), Guichet's page. */
static void
page_head(struct buf *b, struct req *r, enum hosted_lang lang, const struct shop_auth *shop,
          const char *title)
{
	const struct theme_entry *th =
	        shop != NULL ? page_theme_take(r->app->themes, shop->shop.brand_id, shop->shop.id)
	                     : NULL;

	bprintf(b,
	        "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	        "<title>",
	        lang == LANG_EN ? "en" : "fr");
	buf_add_markup(b, title);
	buf_adds(b, "</title><link rel=\"stylesheet\" href=\"/assets/pay.css\">");
	if (th != NULL)
		bprintf(b, "<link rel=\"stylesheet\" href=\"/pay/theme/%lld/%s.css\">",
		        (long long)th->shop_id, th->token);
	buf_adds(b, "</head><body><main class=\"pay\">");
	if (th != NULL && (th->logo != NULL || th->title[lang][0] != '\0')) {
		buf_adds(b, "<header class=\"pay-brand\">");
		if (th->logo != NULL) {
			bprintf(b, "<img class=\"pay-logo\" src=\"/pay/theme/%lld/%s/logo\" alt=\"",
			        (long long)th->shop_id, th->token);
			buf_add_markup(b, shop->shop.name);
			buf_adds(b, "\">");
		}
		if (th->title[lang][0] != '\0') {
			buf_adds(b, "<p class=\"pay-heading\">");
			buf_add_markup(b, th->title[lang]);
			buf_adds(b, "</p>");
		}
		buf_adds(b, "</header>");
	}
	page_theme_drop(th);
}

/* The page's end: the template's help text in the buyer's language, after everything else
 * (where a screen reader reaches it too), then the closing tags. */
static void
page_end(struct buf *b, struct req *r, enum hosted_lang lang, const struct shop_auth *shop)
{
	const struct theme_entry *th =
	        shop != NULL ? page_theme_take(r->app->themes, shop->shop.brand_id, shop->shop.id)
	                     : NULL;

	if (th != NULL && th->footer[lang][0] != '\0') {
		buf_adds(b, "<footer class=\"pay-footer\"><p>");
		buf_add_markup(b, th->footer[lang]);
		buf_adds(b, "</p></footer>");
	}
	page_theme_drop(th);
	buf_adds(b, "</main></body></html>\n");
}

/* The page's Content-Security-Policy: nothing but its stylesheet, no script at all, no frame;
 * its forms post to the page itself, whose answer may send the buyer on (303) to the
 * merchant's return URLs, whose origins form-action names (url_ok checked their characters). */
#define HOSTED_CSP                                                                                 \
	"default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors"

static void csp_for(struct req *r, const struct signed_req *s);

/* Sends an HTML page; s (NULL for an error page) names the return URLs its forms may lead
 * to. The other security headers are added by http/static.c's filter as on every answer;
 * the page is never cached (it names an order). */
static void
send_html(struct req *r, int status, struct buf *b, const struct signed_req *s)
{
	h2o_req_t *req = r->h2o;
	char *body = h2o_mem_alloc_pool(&req->pool, b->len + 1);

	csp_for(r, s);
	memcpy(body, b->data, b->len);
	req->res.status = status;
	req->res.reason = status == 200   ? "OK"
	                  : status == 422 ? "Unprocessable Entity"
	                                  : "Bad Request";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	               H2O_STRLIT("text/html; charset=utf-8"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	req->res.content_length = b->len;
	h2o_send_inline(req, body, b->len);
	buf_cleanup(b);
}

static enum hosted_lang
lang_of(const struct pbx_form *f)
{
	const char *l = hosted_get(f, "GCH_LANG");

	return l != NULL && strcmp(l, "en") == 0 ? LANG_EN : LANG_FR;
}

/* The buyer's error page, and the refusal counted in the shop's error log (code: what the
 * merchant's integrator needs, never a value of the request). */
static int
refuse(struct req *r, enum hosted_lang lang, const struct shop_auth *shop, int status,
       const char *code, const char *field)
{
	struct buf b;

	buf_init(&b, LIMIT_HOSTED_PAGE);
	const struct text *t = &texts[lang];

	if (shop != NULL)
		errlog_add(r->app->errlog, shop->shop.brand_id, shop->shop.id, clock_now_us(),
		           r->route->method, r->route->pattern, status, code,
		           field != NULL && api_error_field_keep(field) ? field : "");
	log_info("event=hosted_refused request=%s code=%s", r->id, code);
	page_head(&b, r, lang, NULL, t->error_title); /* no template: nothing verified yet */
	buf_adds(&b, "<h1>");
	buf_add_markup(&b, t->error_title);
	buf_adds(&b, "</h1><p>");
	buf_add_markup(&b, t->error_body);
	buf_adds(&b, "</p>");
	page_end(&b, r, lang, NULL);
	send_html(r, status, &b, NULL);
	return 0;
}

/* --- the signed request -------------------------------------------------------------------- */

/* The length of u's origin, "scheme://host[:port]": what the page's CSP names in form-action. */
static size_t
origin_len(const char *u)
{
	const char *host = strstr(u, "://") + 3;

	return (size_t)(host - u) + strcspn(host, "/?#");
}

bool
hosted_url_ok(const char *u)
{
	size_t n = strlen(u), o;

	if (n == 0 || n > URL_MAX)
		return false;
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return false;
	/* The origin goes in a CSP header: a host name, an IPv4 or [IPv6] address, a port. */
	o = origin_len(u);
	if (o == (size_t)(strstr(u, "://") + 3 - u))
		return false;
	for (size_t i = (size_t)(strstr(u, "://") + 3 - u); i < o; i++)
		if (!isalnum((unsigned char)u[i]) && strchr(".-:[]", u[i]) == NULL)
			return false;
	for (; *u; u++)
		if ((unsigned char)*u <= ' ' || *u == '"' || *u == '<' || *u == '>' || *u == 0x7f)
			return false;
	return true;
}

/* Appends the origins of s's return (and notification) URLs, each after a space. */
static void
origins(struct buf *b, const struct signed_req *s, bool notify)
{
	const char *urls[5] = {s->url_accepted, s->url_refused, s->url_cancelled, s->url_pending,
	                       notify ? s->url_notify : NULL};

	for (int i = 0; i < 5; i++)
		if (urls[i] != NULL) {
			bputc(b, ' ');
			buf_add(b, urls[i], origin_len(urls[i]));
		}
}

/* The page's CSP for s (NULL: an error page): form-action its return URLs' origins; a
 * Paybox System page may be framed by the merchant's site (research §1.5, iframe mode), which
 * frame-ancestors names by the same origins (a browser that knows CSP then ignores the
 * X-Frame-Options every answer carries). */
static void
csp_for(struct req *r, const struct signed_req *s)
{
	h2o_req_t *req = r->h2o;
	struct buf b;
	size_t framed;
	char *v;

	buf_init(&b, 8 * URL_MAX);
	buf_adds(&b, HOSTED_CSP);
	framed = b.len;
	if (s != NULL && s->framed)
		origins(&b, s, true);
	if (b.len == framed)
		buf_adds(&b, " 'none'");
	buf_adds(&b, "; form-action 'self'");
	if (s != NULL)
		origins(&b, s, false);
	v = h2o_mem_alloc_pool(&req->pool, b.len);
	memcpy(v, b.data, b.len);
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-security-policy"),
	                      0, NULL, v, b.len);
	buf_cleanup(&b);
}

void
hosted_signed_message(const struct pbx_form *f, const char *prefix, const char *sig_name,
                      struct buf *b)
{
	size_t pl = strlen(prefix);
	bool first = true;

	for (int i = 0; i < f->n; i++) {
		if (strncmp(f->f[i].name, prefix, pl) != 0 || strcmp(f->f[i].name, sig_name) == 0)
			continue;
		if (!first)
			bputc(b, '&');
		first = false;
		bprintf(b, "%s=%s", f->f[i].name, f->f[i].value);
	}
}

bool
hosted_order_ref_ok(const char *s)
{
	if (s[0] == '\0' || strlen(s) > TXN_ORDER_REF_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

int
hosted_plan_check(struct signed_req *s, const char **what)
{
	int64_t today = cal_business_day(clock_now_us());

	s->inst[0].amount = s->prq.amount;
	s->inst[0].day = today;
	switch (plan_check(s->inst, s->n_inst, today, INT64_MAX)) {
	case PLAN_OK:
		return 0;
	case PLAN_AMOUNT:
		return *what = "amount", -1;
	default:
		return *what = "date", -1;
	}
}

/* GCH_INSTALLMENTS, "AMOUNT:YYYY-MM-DD;..." (1 to 3 entries): the installments after the
 * first, GCH_AMOUNT, paid now. 0, or -1 when it does not parse or keep the plans' rules. */
static int
gch_installments(const char *v, struct signed_req *s)
{
	const char *what;
	int n = 1;

	while (*v != '\0') {
		char amount[24], day[11];
		size_t a = strcspn(v, ":"), d;

		if (n == RECURRING_PLAN_MAX || a == 0 || a >= sizeof(amount) || v[a] != ':')
			return -1;
		memcpy(amount, v, a);
		amount[a] = '\0';
		v += a + 1;
		d = strcspn(v, ";");
		if (d != 10)
			return -1;
		memcpy(day, v, d);
		day[d] = '\0';
		v += d;
		if (*v == ';' && *++v == '\0')
			return -1;
		if (pbx_amount_parse(amount, &s->inst[n].amount) != ST_OK ||
		    cal_date_parse(day, &s->inst[n].day) != 0)
			return -1;
		n++;
	}
	if (n == 1)
		return -1;
	s->n_inst = n;
	return s->prq.capture_manual ? -1 : hosted_plan_check(s, &what);
}

/* GCH_SIGNATURE and the message it signs, checked against a shop's key. */
struct gch_signed {
	const char *sig, *msg;
	size_t len;
};

static bool
gch_ok(void *arg, const unsigned char *key)
{
	const struct gch_signed *c = arg;

	return crypto_hmac_verify_hex(c->sig, strlen(c->sig), key, c->msg, c->len) == ST_OK;
}

/* Checks Guichet's own signed request of f (GCH_*) into *s. 0, or -1 after answering the
 * error page. */
static int
gch_check(struct req *r, const struct pbx_form *f, struct signed_req *s)
{
	static const char *const required[] = {"GCH_SITE",
	                                       "GCH_RANG",
	                                       "GCH_AMOUNT",
	                                       "GCH_CURRENCY",
	                                       "GCH_ORDER_REF",
	                                       "GCH_TIME",
	                                       "GCH_URL_ACCEPTED",
	                                       "GCH_URL_REFUSED",
	                                       "GCH_URL_CANCELLED",
	                                       "GCH_SIGNATURE",
	                                       NULL};
	const char *site, *rang, *v, *dup;
	struct payment_request *p = &s->prq;
	const struct shop_auth *sa, *known;
	const unsigned char *key;
	struct gch_signed c;
	struct buf msg;
	char *end;

	buf_init(&msg, LIMIT_BODY_HOSTED);
	memset(s, 0, sizeof(*s));
	s->lang = lang_of(f);
	site = hosted_get(f, "GCH_SITE");
	rang = hosted_get(f, "GCH_RANG");
	if (site != NULL && rang != NULL)
		s->shop = shop_cache_find(r->app->shops, site, strlen(site), rang, strlen(rang),
		                          &s->key);
	if (s->shop == NULL || s->key == NULL)
		return refuse(r, s->lang, NULL, 400, "unknown_shop", NULL), -1;
	if (pbx_has_duplicate(f, &dup))
		return refuse(r, s->lang, s->shop, 400, "duplicate_field", dup), -1;
	for (int i = 0; required[i]; i++)
		if (hosted_get(f, required[i]) == NULL)
			return refuse(r, s->lang, s->shop, 400, "missing_field", required[i]), -1;
	c.sig = hosted_get(f, "GCH_SIGNATURE");
	hosted_signed_message(f, "GCH_", "GCH_SIGNATURE", &msg);
	c.msg = msg.data ? msg.data : "";
	c.len = msg.len;
	/* The key that verifies picks the environment (SPEC §16.1). */
	sa = shop_cache_verify(r->app->shops, site, strlen(site), rang, strlen(rang), gch_ok, &c,
	                       &key, &known);
	buf_cleanup(&msg);
	if (sa == NULL)
		return refuse(r, s->lang, s->shop, 401, "bad_signature", NULL), -1;
	s->shop = sa;
	s->key = key;

	p->brand_id = s->shop->shop.brand_id;
	p->shop_id = s->shop->shop.id;
	p->deferral_days = -1;
	p->origin = ORIGIN_HOSTED;
	v = hosted_get(f, "GCH_AMOUNT");
	p->amount =
	        strspn(v, "0123456789") == strlen(v) && strlen(v) <= 11 ? strtoll(v, &end, 10) : 0;
	if (!money_amount_valid(p->amount))
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_AMOUNT"), -1;
	v = hosted_get(f, "GCH_CURRENCY");
	if (strlen(v) != 3 || money_currency_find(v) == NULL)
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_CURRENCY"), -1;
	memcpy(p->currency, v, 4);
	v = hosted_get(f, "GCH_ORDER_REF");
	if (!hosted_order_ref_ok(v))
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_ORDER_REF"), -1;
	snprintf(p->order_ref, sizeof(p->order_ref), "%s", v);
	v = hosted_get(f, "GCH_EMAIL");
	if (v != NULL && v[0] != '\0') {
		if (strlen(v) > TXN_EMAIL_MAX || !api_email_valid(v))
			return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_EMAIL"), -1;
		snprintf(p->email, sizeof(p->email), "%s", v);
	}
	v = hosted_get(f, "GCH_CAPTURE");
	if (v != NULL && strcmp(v, "auto") != 0 && strcmp(v, "manual") != 0)
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_CAPTURE"), -1;
	p->capture_manual = v != NULL && strcmp(v, "manual") == 0;
	v = hosted_get(f, "GCH_LANG");
	if (v != NULL && strcmp(v, "fr") != 0 && strcmp(v, "en") != 0)
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_LANG"), -1;
	v = hosted_get(f, "GCH_TIME");
	s->time_s = strspn(v, "0123456789") == strlen(v) && strlen(v) <= 12 && v[0]
	                    ? strtoll(v, &end, 10)
	                    : -1;
	if (s->time_s < 0 || llabs(s->time_s - clock_now_us() / 1000000) > LIMIT_HOSTED_WINDOW_S)
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_TIME"), -1;
	s->url_accepted = hosted_get(f, "GCH_URL_ACCEPTED");
	s->url_refused = hosted_get(f, "GCH_URL_REFUSED");
	s->url_cancelled = hosted_get(f, "GCH_URL_CANCELLED");
	if (!hosted_url_ok(s->url_accepted))
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_URL_ACCEPTED"), -1;
	if (!hosted_url_ok(s->url_refused))
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_URL_REFUSED"), -1;
	if (!hosted_url_ok(s->url_cancelled))
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_URL_CANCELLED"), -1;
	/* Optional: the pending URL (an issuer that confirms later) and the request's own
	 * notification URL, in place of the shop's. */
	s->url_pending = hosted_get(f, "GCH_URL_PENDING");
	if (s->url_pending != NULL && !hosted_url_ok(s->url_pending))
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_URL_PENDING"), -1;
	v = hosted_get(f, "GCH_INSTALLMENTS");
	if (v != NULL && gch_installments(v, s) != 0)
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_INSTALLMENTS"), -1;
	s->url_notify = hosted_get(f, "GCH_URL_NOTIFY");
	if (s->url_notify != NULL &&
	    (!hosted_url_ok(s->url_notify) || !settings_url_valid(s->url_notify)))
		return refuse(r, s->lang, s->shop, 400, "invalid_field", "GCH_URL_NOTIFY"), -1;
	return 0;
}

/* Checks the signed request of f, Guichet's or Paybox System's (a PBX_ request has no
 * GCH_SIGNATURE), into *s. 0, or -1 after answering the error page. */
static int
signed_check(struct req *r, const struct pbx_form *f, struct signed_req *s)
{
	const char *code = NULL, *field = NULL;
	int status;

	if (hosted_get(f, "GCH_SIGNATURE") != NULL ||
	    (hosted_get(f, "PBX_SITE") == NULL && hosted_get(f, "PBX_HMAC") == NULL))
		return gch_check(r, f, s);
	status = hosted_pbx_check(r->app, f, s, &code, &field);
	if (status != 0)
		return refuse(r, s->lang, s->shop, status, code, field), -1;
	return 0;
}

/* The signed request's fields as hidden inputs: it goes back with the next step, as it came. */
static void
hidden_fields(struct buf *b, const struct pbx_form *f, enum hosted_dialect d)
{
	const char *prefix = d == DIALECT_PAYBOX ? "PBX_" : "GCH_";

	for (int i = 0; i < f->n; i++) {
		if (strncmp(f->f[i].name, prefix, 4) != 0)
			continue;
		buf_adds(b, "<input type=\"hidden\" name=\"");
		buf_add_markup(b, f->f[i].name);
		buf_adds(b, "\" value=\"");
		buf_add_markup(b, f->f[i].value);
		buf_adds(b, "\">");
	}
}

/* --- the card form ------------------------------------------------------------------------- */

/* amount in cur as the buyer reads it: "25,00" in French, "25.00" in English. */
static void
amount_text(enum hosted_lang lang, int64_t amount, const struct currency *cur, char out[40])
{
	if (money_format_plain(amount, cur, out, 40) < 0)
		snprintf(out, 40, "%lld", (long long)amount);
	if (lang == LANG_FR && strchr(out, '.') != NULL)
		*strchr(out, '.') = ',';
}

/* An installment plan's schedule, under the amount paid now. */
static void
schedule(struct buf *b, const struct signed_req *s, const struct currency *cur)
{
	static const char *const words[2][2] = {
	        [LANG_FR] = {"Échéancier", "aujourd'hui"}, [LANG_EN] = {"Schedule", "today"}};
	char amount[40], day[11], shown[11];

	buf_adds(b, "<h2 id=\"schedule-title\">");
	buf_add_markup(b, words[s->lang][0]);
	buf_adds(b, "</h2><ol class=\"pay-schedule\" aria-labelledby=\"schedule-title\">");
	for (int i = 0; i < s->n_inst; i++) {
		amount_text(s->lang, s->inst[i].amount, cur, amount);
		cal_date_format(s->inst[i].day, day);
		if (s->lang == LANG_FR) /* dd/mm/YYYY */
			snprintf(shown, sizeof(shown), "%.2s/%.2s/%.4s", day + 8, day + 5, day);
		else
			memcpy(shown, day, sizeof(shown));
		bprintf(b, "<li>%s %s — %s</li>", amount, cur->code,
		        i == 0 ? words[s->lang][1] : shown);
	}
	buf_adds(b, "</ol>");
}

/* What the buyer reads when the card they typed cannot pay: the form again, to correct it. */
enum card_problem { CARD_FINE = 0, CARD_INVALID, CARD_NOT_ACCEPTED };

static const char *const card_problems[2][3] = {
        [LANG_FR] = {"",
                     "Le numéro de carte, la date d'expiration ou le cryptogramme n'est pas "
                     "valable. Vérifiez-les et recommencez.",
                     "La boutique n'accepte pas ce type de carte. Payez avec une autre carte."},
        [LANG_EN] = {"",
                     "The card number, expiry date or security code is not valid. Check them "
                     "and try again.",
                     "The shop does not take this kind of card. Pay with another card."},
};

/* The card's brand, for a co-badged card (CB and Visa, CB and Mastercard): the buyer's
 * choice, the number's own network by default (EU regulation 2015/751, art. 8). */
static void
method_select(struct buf *b, enum hosted_lang lang)
{
	static const char *const words[2][2] = {
	        [LANG_FR] = {"Type de carte", "Selon le numéro"},
	        [LANG_EN] = {"Card brand", "From the number"},
	};
	static const struct {
		enum card_method m;
		const char *label;
	} brands[] = {{METHOD_CB, "CB"},
	              {METHOD_VISA, "Visa"},
	              {METHOD_MASTERCARD, "Mastercard"},
	              {METHOD_EBLEUE, "e-Carte Bleue"},
	              {METHOD_AMEX, "American Express"},
	              {METHOD_JCB, "JCB"}};

	bprintf(b,
	        "<label for=\"cc-brand\">%s</label><select id=\"cc-brand\" name=\"card_method\">"
	        "<option value=\"\">%s</option>",
	        words[lang][0], words[lang][1]);
	for (size_t i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
		bprintf(b, "<option value=\"%s\">%s</option>", card_method_name(brands[i].m),
		        brands[i].label);
	buf_adds(b, "</select>");
}

/* The card form of the checked request s (its fields f carried along), with what was wrong
 * with the card typed before (CARD_FINE: nothing, 200; else 422 and the message, which the
 * number field names for a screen reader). */
static void
card_form(struct req *r, const struct pbx_form *f, const struct signed_req *s,
          enum card_problem problem)
{
	const struct text *t = &texts[s->lang];
	const struct currency *cur = money_currency_find(s->prq.currency);
	char amount[40];
	struct buf b;

	buf_init(&b, LIMIT_HOSTED_PAGE);
	amount_text(s->lang, s->prq.amount, cur, amount);
	page_head(&b, r, s->lang, s->shop, t->title);
	buf_adds(&b, "<h1>");
	buf_add_markup(&b, s->shop->shop.name);
	buf_adds(&b, "</h1><dl class=\"pay-summary\"><dt>");
	buf_add_markup(&b, t->amount);
	buf_adds(&b, "</dt><dd id=\"amount\">");
	buf_add_markup(&b, amount);
	bprintf(&b, " %s</dd><dt>", cur->code);
	buf_add_markup(&b, t->order);
	buf_adds(&b, "</dt><dd id=\"order\">");
	buf_add_markup(&b, s->prq.order_ref);
	buf_adds(&b, "</dd></dl>");
	if (s->n_inst > 0)
		schedule(&b, s, cur);
	if (problem != CARD_FINE) {
		buf_adds(&b, "<p class=\"pay-error\" id=\"card-error\" role=\"alert\">");
		buf_add_markup(&b, card_problems[s->lang][problem]);
		buf_adds(&b, "</p>");
	}
	buf_adds(&b, "<form method=\"post\" action=\"/pay/card\" class=\"pay-form\">");
	hidden_fields(&b, f, s->dialect);
	bprintf(&b,
	        "<label for=\"cc-name\">%s</label><input id=\"cc-name\" name=\"card_name\" "
	        "autocomplete=\"cc-name\" maxlength=\"80\">"
	        "<label for=\"cc-number\">%s</label><input id=\"cc-number\" "
	        "name=\"card_number\" autocomplete=\"cc-number\" inputmode=\"numeric\" "
	        "maxlength=\"23\" required%s>"
	        "<label for=\"cc-exp\">%s</label><input id=\"cc-exp\" name=\"card_expiry\" "
	        "autocomplete=\"cc-exp\" inputmode=\"numeric\" maxlength=\"7\" "
	        "placeholder=\"MM/YY\" required>"
	        "<label for=\"cc-csc\">%s</label><input id=\"cc-csc\" name=\"card_cvv\" "
	        "autocomplete=\"cc-csc\" inputmode=\"numeric\" maxlength=\"4\" required>",
	        t->name, t->number,
	        problem != CARD_FINE ? " aria-invalid=\"true\" aria-describedby=\"card-error\""
	                             : "",
	        t->expiry, t->cvv);
	method_select(&b, s->lang);
	bprintf(&b,
	        "<button type=\"submit\" name=\"action\" value=\"pay\">%s</button>"
	        "<button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate "
	        "class=\"secondary\">%s</button></form><p class=\"note\">%s</p>",
	        t->pay, t->cancel, t->secured);
	page_end(&b, r, s->lang, s->shop);
	send_html(r, problem != CARD_FINE ? 422 : 200, &b, s);
}

int
api_hosted_start(struct req *r)
{
	struct signed_req s;
	struct pbx_form *f;

	if ((f = form_of(r)) == NULL)
		return refuse(r, LANG_FR, NULL, 400, "bad_form", NULL);
	if (signed_check(r, f, &s) != 0)
		return 0;
	card_form(r, f, &s, CARD_FINE);
	return 0;
}

/* --- the decision -------------------------------------------------------------------------- */

/* What the writer does for the page: decide the payment now, keep the card sealed for a
 * 3-D Secure challenge, or take it back to decide (or drop it, cancelled) at the answer. */
enum hosted_kind { HOSTED_DECIDE, HOSTED_CHALLENGE, HOSTED_ANSWER };

struct hosted_job {
	struct http_job base; /* first */
	enum hosted_kind kind;
	const struct app *app;
	struct signed_req s;
	unsigned char key[CRYPTO_HMAC_KEY_LEN];
	char site[8], rang[4]; /* the shop's, for its notification's headers */
	int64_t time_s;
	const struct pbx_form *form; /* the request's (pool memory): the challenge page's fields */
	unsigned char token[32], token_hash[32];
	bool cancelled;               /* HOSTED_ANSWER: the buyer cancelled at the challenge */
	enum card_method picked;      /* HOSTED_ANSWER: the method picked with the card */
	char url_notify[URL_MAX + 1]; /* the request's (s.url_notify points here) */
	struct txn result;
	int64_t plan_id; /* an installment plan's, made with result its first debit */
	const char *why;
	char *retour; /* Paybox System: PBX_RETOUR's variables of the result, K aside */
	size_t retour_len;
};

/* The merchant's server told of the decision, in the decision's transaction: Paybox
 * System's variables (made here once, for the notification and the buyer's return alike; K
 * signed off the writer) to PBX_REPONDRE_A, or Guichet's body to the request's URL; else the
 * shop's URL (README "Notifications"). Paybox System tells a pending payment only once its
 * issuer answered (jobs/confirm.c): its modules take any E but 00000 for a failed order. */
static int
hosted_notify(struct hosted_job *j, struct store *st, int64_t now)
{
	const struct signed_req *s = &j->s;

	if (s->dialect == DIALECT_PAYBOX) {
		free(j->retour); /* a batch the writer runs again */
		j->retour = hosted_pbx_variables(s, &j->result, &j->retour_len);
		if (s->url_notify != NULL && j->result.status == TXS_PENDING)
			return ST_OK;
		if (s->url_notify != NULL)
			return hosted_pbx_notify(st, s, &j->result, j->retour, j->retour_len, now);
	} else if (s->url_notify != NULL) {
		return notify_guichet_enqueue(st, &j->result, j->site, j->rang, s->url_notify,
		                              j->key, now);
	}
	return notify_shop_decision(st, &j->result, j->site, j->rang, j->key, now);
}

/* An installment plan with this card (service/recurring.h, as the merchant API's): its first
 * installment paid now, on this page's terms (origin, 3-D Secure), the others planned. */
static int
hosted_plan(struct hosted_job *j, struct store *st, int64_t now)
{
	const struct payment_request *p = &j->s.prq;
	struct debit_first first = {.origin = p->origin,
	                            .tds_challenge_failed = p->tds_challenge_failed};
	struct recurring_request rq;
	struct recurring r;
	int rc;

	memset(&rq, 0, sizeof(rq));
	memset(&r, 0, sizeof(r));
	rq.brand_id = p->brand_id;
	rq.shop_id = p->shop_id;
	rq.kind = RK_PLAN;
	memcpy(rq.currency, p->currency, sizeof(rq.currency));
	snprintf(rq.order_ref, sizeof(rq.order_ref), "%s", p->order_ref);
	snprintf(rq.email, sizeof(rq.email), "%s", p->email);
	memcpy(rq.card.digits, p->digits, sizeof(rq.card.digits));
	memcpy(rq.card.expiry, p->expiry, sizeof(rq.card.expiry));
	rq.card.expiry_month = p->expiry_month;
	rq.card.expiry_year = p->expiry_year;
	rq.card.method = p->method;
	memcpy(rq.installments, j->s.inst, sizeof(rq.installments));
	rq.installments[0].day = cal_business_day(now);
	rq.n = j->s.n_inst;
	rq.first = &first;
	rc = recurring_create(st, j->app->keys, j->app->acquirer, &rq, now, &r, &j->why);
	crypto_wipe(&rq.card, sizeof(rq.card));
	if (rc == ST_OK && first.made.id == 0)
		rc = ST_INTERNAL; /* a plan made today pays its first installment today */
	j->result = first.made;
	j->plan_id = r.id;
	return rc;
}

/* The payment (or installment plan) decided, and the request remembered with it or not at
 * all: a replay finds it and pays nothing. */
static int
hosted_decide(struct hosted_job *j, struct store *st, int64_t now)
{
	struct payment_request *p = &j->s.prq;
	int rc;

	/* An issuer that confirms later: the buyer goes to the pending URL, the merchant's
	 * server hears the answer where this request said. */
	p->may_pend = true;
	p->late_url = j->s.url_notify;
	p->late_post = j->s.notify_post;
	p->late_retour = j->s.dialect == DIALECT_PAYBOX ? j->s.retour_spec : NULL;
	rc = st->ops->hosted_replay_put(st, p->brand_id, p->shop_id, p->order_ref, j->time_s, now);
	if (rc == ST_OK && j->s.n_inst > 0)
		rc = hosted_plan(j, st, now);
	else if (rc == ST_OK)
		rc = payment_create(st, j->app->keys, j->app->acquirer, p, now, &j->result,
		                    &j->why);
	if (rc == ST_OK)
		rc = hosted_notify(j, st, now);
	return rc;
}

/* The card kept sealed until the buyer answers the challenge (LIMIT_HOSTED_CHALLENGE_S). */
static int
hosted_challenge(struct hosted_job *j, struct store *st, int64_t now)
{
	struct checkout c;
	int rc;

	memset(&c, 0, sizeof(c));
	memcpy(c.token_hash, j->token_hash, sizeof(c.token_hash));
	c.brand_id = j->s.prq.brand_id;
	c.shop_id = j->s.prq.shop_id;
	snprintf(c.order_ref, sizeof(c.order_ref), "%s", j->s.prq.order_ref);
	c.request_time = j->time_s;
	c.amount = j->s.prq.amount;
	c.card_sealed_len =
	        crypto_card_seal(c.card_sealed, j->s.prq.digits, c.brand_id, j->app->keys);
	memcpy(c.card_expiry, j->s.prq.expiry, sizeof(c.card_expiry));
	c.created_at = now;
	c.expires_at = now + LIMIT_HOSTED_CHALLENGE_S * 1000000LL;
	rc = st->ops->checkout_put(st, &c);
	crypto_wipe(&c, sizeof(c));
	return rc;
}

/* The challenge answered: the card taken back (and its row gone) if it is this request's. */
static int
hosted_answer(struct hosted_job *j, struct store *st, int64_t now)
{
	struct payment_request *p = &j->s.prq;
	struct checkout c;
	int rc;

	rc = st->ops->checkout_take(st, j->token_hash, now, &c);
	if (rc != ST_OK)
		return rc;
	if (c.brand_id != p->brand_id || c.shop_id != p->shop_id ||
	    strcmp(c.order_ref, p->order_ref) != 0 || c.request_time != j->time_s ||
	    c.amount != p->amount)
		rc = ST_NOTFOUND;
	else if (!j->cancelled &&
	         (crypto_card_open(p->digits, c.card_sealed, c.card_sealed_len, c.brand_id,
	                           j->app->keys) != ST_OK ||
	          card_expiry_parse(c.card_expiry, &p->expiry_month, &p->expiry_year) != 0))
		rc = ST_NOTFOUND;
	memcpy(p->expiry, c.card_expiry, sizeof(p->expiry));
	crypto_wipe(&c, sizeof(c));
	if (rc != ST_OK || j->cancelled)
		return rc;
	p->method = j->picked != METHOD_NONE && card_method_accepts(j->picked, p->digits)
	                    ? j->picked
	                    : card_method_detect(p->digits);
	return hosted_decide(j, st, now);
}

static int
hosted_run(struct work_job *w, struct store *st)
{
	struct hosted_job *j = (struct hosted_job *)w;
	int64_t now = clock_now_us();
	int rc;

	switch (j->kind) {
	case HOSTED_CHALLENGE:
		rc = hosted_challenge(j, st, now);
		break;
	case HOSTED_ANSWER:
		rc = hosted_answer(j, st, now);
		break;
	default:
		rc = hosted_decide(j, st, now);
	}
	crypto_wipe(j->s.prq.digits, sizeof(j->s.prq.digits));
	return rc;
}

/* "name=value&…" signed: the result fields, then GCH_SIGNATURE over them (values
 * percent-encoded in the URL, signed decoded, as the request). */
static void
result_url(struct buf *b, const char *base, const unsigned char *key, const char *const *names,
           const char *const *values)
{
	struct buf msg;
	unsigned char mac[CRYPTO_HMAC_LEN];
	char hex[2 * CRYPTO_HMAC_LEN + 1];

	buf_init(&msg, LIMIT_HOSTED_PAGE);
	buf_adds(b, base);
	bputc(b, strchr(base, '?') ? '&' : '?');
	for (int i = 0; names[i]; i++) {
		if (i) {
			bputc(b, '&');
			bputc(&msg, '&');
		}
		bprintf(b, "%s=", names[i]);
		for (const unsigned char *c = (const unsigned char *)values[i]; *c; c++)
			if (isalnum(*c) || *c == '-' || *c == '_' || *c == '.' || *c == '~')
				bputc(b, (char)*c);
			else
				bprintf(b, "%%%02X", *c);
		bprintf(&msg, "%s=%s", names[i], values[i]);
	}
	crypto_hmac(mac, key, msg.data, msg.len);
	for (size_t i = 0; i < sizeof(mac); i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	bprintf(b, "&GCH_SIGNATURE=%s", hex);
	buf_cleanup(&msg);
}

static void
redirect(struct req *r, struct buf *b)
{
	h2o_req_t *req = r->h2o;
	char *loc = h2o_mem_alloc_pool(&req->pool, b->len);

	memcpy(loc, b->data, b->len);
	req->res.status = 303;
	req->res.reason = "See Other";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, loc, b->len);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	h2o_send_inline(req, "", 0);
	buf_cleanup(b);
}

/* Guichet's own page of the outcome, for a request that gave no return URL for it (research
 * §1.5: Paybox System's URLs are optional; a pending URL is, in both dialects). */
static void
result_page(struct req *r, const struct signed_req *s, enum txn_status status, bool cancel)
{
	static const char *const words[2][4] = {
	        [LANG_FR] = {"Paiement accepté", "Paiement refusé", "Paiement annulé",
	                     "Paiement en attente de la confirmation de votre banque"},
	        [LANG_EN] = {"Payment accepted", "Payment refused", "Payment cancelled",
	                     "Payment awaiting your bank's confirmation"},
	};
	const char *w = words[s->lang][cancel                   ? 2
	                               : status == TXS_ACCEPTED ? 0
	                               : status == TXS_PENDING  ? 3
	                                                        : 1];
	struct buf b;

	buf_init(&b, LIMIT_HOSTED_PAGE);
	page_head(&b, r, s->lang, s->shop, w);
	buf_adds(&b, "<h1>");
	buf_add_markup(&b, s->shop->shop.name);
	buf_adds(&b, "</h1><p id=\"outcome\">");
	buf_add_markup(&b, w);
	buf_adds(&b, "</p><p id=\"order\">");
	buf_add_markup(&b, s->prq.order_ref);
	buf_adds(&b, "</p>");
	page_end(&b, r, s->lang, s->shop);
	send_html(r, 200, &b, s);
}

/* The buyer back at url (NULL: result_page) with Paybox System's variables vars, K signed
 * here on the loop when asked. */
static void
pbx_return(struct req *r, const struct signed_req *s, const char *url, const char *vars, size_t len,
           enum txn_status status, bool cancel)
{
	struct buf b;
	char *signed_vars;
	size_t n;

	if (url == NULL) {
		result_page(r, s, status, cancel);
		return;
	}
	if ((signed_vars = hosted_pbx_signed(r->app, s, vars, len, &n)) == NULL) {
		refuse(r, s->lang, s->shop, 503, "not_signed", NULL);
		return;
	}
	buf_init(&b, LIMIT_HOSTED_PAGE);
	buf_adds(&b, url);
	bputc(&b, strchr(url, '?') ? '&' : '?');
	buf_add(&b, signed_vars, n);
	free(signed_vars);
	redirect(r, &b);
}

/* Back to the merchant's cancel URL, signed; nothing recorded. */
static void
cancelled(struct req *r, const struct signed_req *s)
{
	const char *names[] = {"GCH_ORDER_REF", "GCH_STATUS", NULL};
	const char *values[] = {s->prq.order_ref, "cancelled", NULL};
	struct buf b;
	char *vars;
	size_t len;

	if (s->dialect == DIALECT_PAYBOX) {
		vars = hosted_pbx_variables(s, NULL, &len);
		pbx_return(r, s, s->url_cancelled, vars, len, TXS_ABANDONED, true);
		free(vars);
		return;
	}
	buf_init(&b, LIMIT_HOSTED_PAGE);
	result_url(&b, s->url_cancelled, s->key, names, values);
	redirect(r, &b);
}

/* The issuer's 3-D Secure challenge, as the simulator plays it: a code the buyer types. The
 * signed request goes along again, with the challenge's token. */
static void
challenge_page(struct req *r, const struct hosted_job *j)
{
	static const char *const words[2][5] = {
	        [LANG_FR] = {"Authentification 3-D Secure",
	                     "Votre banque vous demande de confirmer ce paiement. Saisissez le "
	                     "code reçu.",
	                     "Code de confirmation", "Valider", "Annuler le paiement"},
	        [LANG_EN] = {"3-D Secure authentication",
	                     "Your bank asks you to confirm this payment. Type the code you "
	                     "received.",
	                     "Confirmation code", "Confirm", "Cancel the payment"},
	};
	const char *const *w = words[j->s.lang];
	struct buf b;

	buf_init(&b, LIMIT_HOSTED_PAGE);
	page_head(&b, r, j->s.lang, j->s.shop, w[0]);
	buf_adds(&b, "<h1>");
	buf_add_markup(&b, w[0]);
	buf_adds(&b, "</h1><p>");
	buf_add_markup(&b, w[1]);
	buf_adds(&b, "</p><form method=\"post\" action=\"/pay/3ds\" class=\"pay-form\">");
	hidden_fields(&b, j->form, j->s.dialect);
	bprintf(&b, "<input type=\"hidden\" name=\"card_method\" value=\"%s\">",
	        card_method_name(j->s.prq.method));
	buf_adds(&b, "<input type=\"hidden\" name=\"token\" value=\"");
	for (size_t i = 0; i < sizeof(j->token); i++)
		bprintf(&b, "%02x", j->token[i]);
	bprintf(&b,
	        "\"><label for=\"tds-code\">%s</label><input id=\"tds-code\" name=\"code\" "
	        "autocomplete=\"one-time-code\" inputmode=\"numeric\" maxlength=\"8\" required>"
	        "<button type=\"submit\" name=\"action\" value=\"confirm\">%s</button>"
	        "<button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate "
	        "class=\"secondary\">%s</button></form>",
	        w[2], w[3], w[4]);
	page_end(&b, r, j->s.lang, j->s.shop);
	send_html(r, 200, &b, &j->s);
}

static void
hosted_respond(struct http_job *hj, struct req *r)
{
	struct hosted_job *j = (struct hosted_job *)hj;
	const struct txn *t = &j->result;
	const char *back;
	struct buf b;
	char id[24], amount[24], when[24], plan[24];

	buf_init(&b, LIMIT_HOSTED_PAGE);
	if (j->base.work.rc == ST_NOTFOUND) {
		refuse(r, j->s.lang, j->s.shop, 400, "unknown_challenge", NULL);
		return;
	}
	if (j->base.work.rc == ST_OK && j->kind == HOSTED_CHALLENGE) {
		challenge_page(r, j);
		return;
	}
	if (j->base.work.rc == ST_OK && j->cancelled) {
		cancelled(r, &j->s);
		return;
	}
	if (j->base.work.rc == ST_CONFLICT) {
		refuse(r, j->s.lang, j->s.shop, 409, "replayed_request", NULL);
		return;
	}
	if (j->base.work.rc != ST_OK) {
		refuse(r, j->s.lang, j->s.shop, j->base.work.rc == ST_REFUSED ? 422 : 503,
		       j->why ? j->why : "not_decided", NULL);
		return;
	}
	log_info("event=hosted_decided request=%s txn=%lld status=%s", r->id, (long long)t->id,
	         txn_status_name(t->status));
	back = t->status == TXS_ACCEPTED  ? j->s.url_accepted
	       : t->status == TXS_PENDING ? j->s.url_pending
	                                  : j->s.url_refused;
	if (j->s.dialect == DIALECT_PAYBOX) {
		pbx_return(r, &j->s, back, j->retour, j->retour_len, t->status, false);
		return;
	}
	if (back == NULL) {
		result_page(r, &j->s, t->status, false);
		return;
	}
	snprintf(id, sizeof(id), "%lld", (long long)t->id);
	snprintf(amount, sizeof(amount), "%lld", (long long)t->amount_initial);
	snprintf(when, sizeof(when), "%lld", (long long)(t->created_at / 1000000));
	snprintf(plan, sizeof(plan), "%lld", (long long)j->plan_id);
	{
		/* An installment plan's id last, when the request made one. */
		const char *names[] = {"GCH_ID",       "GCH_ORDER_REF", "GCH_AMOUNT",
		                       "GCH_CURRENCY", "GCH_STATUS",    "GCH_REFUSAL",
		                       "GCH_TIME",     "GCH_PLAN_ID",   NULL};
		const char *values[] = {id,
		                        t->order_ref,
		                        amount,
		                        t->currency,
		                        txn_status_name(t->status),
		                        t->refusal ? refusal_code(t->refusal) : "",
		                        when,
		                        plan,
		                        NULL};

		if (j->plan_id == 0)
			names[7] = values[7] = NULL;

		result_url(&b, back, j->key, names, values);
	}
	redirect(r, &b);
}

static void
hosted_free(struct http_job *hj)
{
	free(((struct hosted_job *)hj)->retour);
	crypto_wipe(hj, sizeof(struct hosted_job));
	free(hj);
}

/* The method the buyer picked (card_method: "" or absent, the one the number says), if the
 * card can pay with it (a co-badged card: CB, or its Visa or Mastercard network). */
static int
method_picked(const struct pbx_form *f, struct payment_request *p)
{
	const char *v = hosted_get(f, "card_method");
	enum card_method m;

	p->method = card_method_detect(p->digits);
	if (v == NULL || v[0] == '\0')
		return p->method != METHOD_NONE ? 0 : -1;
	m = card_method_parse(v);
	if (m == METHOD_NONE || m == METHOD_PAYPAL || !card_method_accepts(m, p->digits))
		return -1;
	p->method = m;
	return 0;
}

/* The card's form, checked as the merchant API checks it; the CVV checked then dropped. */
static int
card_take(const struct pbx_form *f, struct payment_request *p)
{
	const char *number = hosted_get(f, "card_number"), *exp = hosted_get(f, "card_expiry"),
	           *cvv = hosted_get(f, "card_cvv");
	char mmyy[5];
	size_t n = 0;

	if (number == NULL || exp == NULL || cvv == NULL)
		return -1;
	if (card_number_normalize(number, p->digits) != 0 || !card_luhn_valid(p->digits) ||
	    method_picked(f, p) != 0)
		return -1;
	for (const char *c = exp; *c && n < 4; c++)
		if (isdigit((unsigned char)*c))
			mmyy[n++] = *c;
		else if (*c != '/' && *c != ' ')
			return -1;
	mmyy[n] = '\0';
	if (n != 4 || card_expiry_parse(mmyy, &p->expiry_month, &p->expiry_year) != 0)
		return -1;
	memcpy(p->expiry, mmyy, 5);
	if (strspn(cvv, "0123456789") != strlen(cvv) ||
	    strlen(cvv) != (card_method_detect(p->digits) == METHOD_AMEX ? 4u : 3u))
		return -1;
	return 0;
}

/* A new job for the writer on r's verified request (j->s filled by signed_check). */
static void
job_ready(struct req *r, struct hosted_job *j, enum hosted_kind kind)
{
	j->kind = kind;
	j->app = r->app;
	j->time_s = j->s.time_s;
	memcpy(j->key, j->s.key, sizeof(j->key));
	j->s.key = j->key;
	memcpy(j->site, j->s.shop->shop.site, sizeof(j->site));
	memcpy(j->rang, j->s.shop->shop.rang, sizeof(j->rang));
	/* The writer reads it after the request may be gone. */
	if (j->s.url_notify != NULL) {
		snprintf(j->url_notify, sizeof(j->url_notify), "%s", j->s.url_notify);
		j->s.url_notify = j->url_notify;
	}
	j->base.work.run = hosted_run;
	j->base.respond = hosted_respond;
	j->base.free = hosted_free;
}

/* The form of a step after the first (the card, the challenge's answer), and a job holding
 * its signed request checked again; NULL when the buyer was already answered (an error
 * page). */
static struct hosted_job *
signed_job(struct req *r, struct pbx_form **f)
{
	struct hosted_job *j;

	if ((*f = form_of(r)) == NULL) {
		refuse(r, LANG_FR, NULL, 400, "bad_form", NULL);
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		abort();
	if (signed_check(r, *f, &j->s) != 0) {
		free(j);
		return NULL;
	}
	return j;
}

int
api_hosted_card(struct req *r)
{
	struct hosted_job *j;
	struct pbx_form *f;
	const char *action;
	const struct acquirer_ops *acq = r->app->acquirer;
	int rc;

	if ((j = signed_job(r, &f)) == NULL)
		return 0;
	action = hosted_get(f, "action");
	if (action != NULL && strcmp(action, "cancel") == 0) {
		cancelled(r, &j->s);
		hosted_free(&j->base);
		return 0;
	}
	rc = card_take(f, &j->s.prq);
	/* The body's copy in the pool held the card: wiped now, whatever the outcome. */
	for (int i = 0; i < f->n; i++)
		if (strncmp(f->f[i].name, "card_", 5) == 0)
			crypto_wipe((void *)f->f[i].value, strlen(f->f[i].value));
	/* A mistyped card, or one of a kind the merchant does not take (Paybox System's
	 * PBX_TYPECARTE): the form again, the request not spent. */
	if (rc == 0 && j->s.card_method != METHOD_NONE &&
	    !pbx_card_accepts(j->s.card_method, j->s.prq.method))
		rc = CARD_NOT_ACCEPTED;
	else if (rc != 0)
		rc = CARD_INVALID;
	if (rc != CARD_FINE) {
		log_info("event=hosted_card_refused request=%s why=%s", r->id,
		         rc == CARD_INVALID ? "invalid_card" : "card_not_accepted");
		card_form(r, f, &j->s, (enum card_problem)rc);
		hosted_free(&j->base);
		return 0;
	}
	/* The issuer challenges this card: the card waits sealed for the buyer's code. */
	if (acq->tds_challenge != NULL && acq->tds_challenge(j->s.prq.digits)) {
		job_ready(r, j, HOSTED_CHALLENGE);
		j->form = f;
		crypto_random(j->token, sizeof(j->token));
		crypto_digest(j->token_hash, j->token, sizeof(j->token));
	} else {
		job_ready(r, j, HOSTED_DECIDE);
	}
	return http_submit_or_reply(r, &j->base, true);
}

int
api_hosted_tds(struct req *r)
{
	const struct acquirer_ops *acq = r->app->acquirer;
	struct hosted_job *j;
	struct pbx_form *f;
	const char *token, *code, *action;

	if ((j = signed_job(r, &f)) == NULL)
		return 0;
	token = hosted_get(f, "token");
	code = hosted_get(f, "code");
	action = hosted_get(f, "action");
	job_ready(r, j, HOSTED_ANSWER);
	if (token == NULL || strlen(token) != 2 * sizeof(j->token) ||
	    crypto_unhex(j->token, sizeof(j->token), token, strlen(token)) != ST_OK) {
		enum hosted_lang lang = j->s.lang;
		const struct shop_auth *shop = j->s.shop;

		hosted_free(&j->base);
		return refuse(r, lang, shop, 400, "unknown_challenge", NULL);
	}
	crypto_digest(j->token_hash, j->token, sizeof(j->token));
	/* Cancelled: the card is taken out of the row all the same, and nothing paid. */
	j->cancelled = action != NULL && strcmp(action, "cancel") == 0;
	j->s.prq.tds_challenge_failed =
	        code == NULL || acq->tds_code_ok == NULL || !acq->tds_code_ok(code);
	/* Checked again against the card once it is out of its row (hosted_answer). */
	j->picked = hosted_get(f, "card_method") != NULL
	                    ? card_method_parse(hosted_get(f, "card_method"))
	                    : METHOD_NONE;
	return http_submit_or_reply(r, &j->base, true);
}
