/*
 * hosted_theme.c - the shops' templates of the hosted payment page (issue 12; README "The
 * hosted payment page", Templates):
 *
 *   GET    /bo/api/shops/{id}/page-theme        the template (colours, texts, logo's type and
 *                                                size, the URLs of its stylesheet and logo),
 *                                                with "version" and "editable"
 *   PUT    /bo/api/shops/{id}/page-theme        {"version", and any of the colours and texts}
 *   DELETE /bo/api/shops/{id}/page-theme        back to Guichet's page (logo included)
 *   PUT    /bo/api/shops/{id}/page-theme/logo   the body is the logo: PNG or JPEG
 *   DELETE /bo/api/shops/{id}/page-theme/logo   no logo
 *   GET    /pay/theme/{shop}/{token}.css        the template's stylesheet, for the page
 *   GET    /pay/theme/{shop}/{token}/logo       its logo
 *
 * Who reads a shop's settings reads its template; who changes them (administrators) changes
 * it (routes.c). A change is made from the version read (409 otherwise), on the writer, with
 * its action-log line. Colours are #rrggbb, refused when the page's text would not read on the
 * background or a button's white label on the primary colour (WCAG AA, domain/page_theme.h);
 * a primary colour too close to the background is a warning. Texts are plain text, escaped
 * where shown. A logo is a PNG or a JPEG by its signature, LIMIT_PAGE_LOGO bytes at most; an
 * SVG may carry script and is refused.
 *
 * The page's CSP stays strict ('self' styles and images, no inline style): the colours come
 * in a stylesheet of the template's own, and the logo at its own URL. Both URLs carry the
 * template's token, random and new at each change: their answers are cached for a year
 * (immutable, with an ETag), and a shop's id alone does not find them. The page, the
 * stylesheet and the logo are answered from the templates' cache, filled at start and
 * replaced on the loop once a change is committed (or when its job is freed, the client
 * gone), the newer version winning.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/hosted_theme.h"
#include "api/json.h"
#include "api/render.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"
#include "crypto/crypto.h"
#include "domain/page_theme.h"
#include "work/periodic.h"

/* Guichet's own colours (www/assets/pay.css): what the back office shows for "none". */
#define DEFAULT_PRIMARY    "#0b5cad"
#define DEFAULT_BACKGROUND "#ffffff"
/* WCAG 2.1 1.4.11: a control against what is around it. */
#define UI_CONTRAST_MIN 3.0

/* --- the cache ----------------------------------------------------------------------------- */

/* A template's version as the watcher last read it. */
struct theme_seen {
	int64_t brand_id, shop_id, version;
};

struct page_themes {
	pthread_mutex_t lock;
	struct theme_entry **v; /* sorted by brand, shop */
	size_t n, cap;
	/* On a database several servers share (page_themes_watch_start): the versions of every
	 * template the load and the last round read, by brand then shop, and the rounds; only
	 * the load, then the rounds (one at a time), touch them. */
	struct theme_seen *seen;
	size_t nseen, capseen;
	struct periodic *watch;
};

static bool
theme_empty(const struct page_theme *t)
{
	return t->primary[0] == '\0' && t->background[0] == '\0' && t->title_fr[0] == '\0' &&
	       t->title_en[0] == '\0' && t->footer_fr[0] == '\0' && t->footer_en[0] == '\0' &&
	       t->logo_len == 0;
}

static void
entry_free(struct theme_entry *e)
{
	if (e == NULL)
		return;
	free(e->css);
	free(e->logo);
	free(e);
}

void
page_theme_drop(const struct theme_entry *e)
{
	struct theme_entry *m = (struct theme_entry *)e;

	if (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1)
		entry_free(m);
}

/* The stylesheet of t's colours over pay.css's (same selectors, later: they win). */
static char *
css_of(const struct page_theme *t, size_t *len)
{
	struct buf b;
	char *out;

	buf_init(&b, 4096);
	buf_adds(&b, "/* the shop's template of the hosted payment page (Guichet) */\n");
	if (t->background[0] != '\0') {
		buf_adds(&b, "body, .pay { background: ");
		buf_adds(&b, t->background);
		buf_adds(&b, "; }\n.pay-summary dt, .note, .pay-footer { color: #1d2733; }\n");
	}
	if (t->primary[0] != '\0') {
		buf_adds(&b, ".pay-form button { background: ");
		buf_adds(&b, t->primary);
		buf_adds(
		        &b,
		        "; color: #fff; }\n.pay-form button.secondary { background: #fff; color: ");
		buf_adds(&b, t->primary);
		buf_adds(&b, "; border-color: ");
		buf_adds(&b, t->primary);
		buf_adds(&b, "; }\n.pay-brand { border-bottom-color: ");
		buf_adds(&b, t->primary);
		buf_adds(&b, "; }\n");
	}
	if (b.failed) {
		buf_cleanup(&b);
		*len = 0;
		return NULL;
	}
	out = malloc(b.len + 1);
	if (out == NULL)
		abort();
	memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	*len = b.len;
	buf_cleanup(&b);
	return out;
}

/* A new entry of t, once referenced (NULL when t is empty: Guichet's page). */
static struct theme_entry *
entry_new(const struct page_theme *t)
{
	struct theme_entry *e;

	if (theme_empty(t))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		abort();
	atomic_init(&e->refs, 1);
	e->brand_id = t->brand_id;
	e->shop_id = t->shop_id;
	e->version = t->version;
	memcpy(e->token, t->token, sizeof(e->token));
	memcpy(e->title[0], t->title_fr, sizeof(e->title[0]));
	memcpy(e->title[1], t->title_en, sizeof(e->title[1]));
	memcpy(e->footer[0], t->footer_fr, sizeof(e->footer[0]));
	memcpy(e->footer[1], t->footer_en, sizeof(e->footer[1]));
	e->css = css_of(t, &e->css_len);
	if (t->logo_len > 0) {
		e->logo = malloc(t->logo_len);
		if (e->logo == NULL)
			abort();
		memcpy(e->logo, t->logo, t->logo_len);
		e->logo_len = t->logo_len;
		snprintf(e->logo_type, sizeof(e->logo_type), "%s", t->logo_type);
	}
	return e;
}

static int
key_cmp(int64_t brand_a, int64_t shop_a, int64_t brand_b, int64_t shop_b)
{
	if (brand_a != brand_b)
		return brand_a < brand_b ? -1 : 1;
	return shop_a < shop_b ? -1 : shop_a > shop_b;
}

/* The index of (brand, shop) in c->v, or where it would go (*found false). Locked. */
static size_t
slot_of(const struct page_themes *c, int64_t brand_id, int64_t shop_id, bool *found)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = key_cmp(c->v[mid]->brand_id, c->v[mid]->shop_id, brand_id, shop_id);

		if (d == 0) {
			*found = true;
			return mid;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Publishes the template of (brand, shop) at version: e (taken over; NULL: none), unless
 * the cache already holds a newer one (two changes answered on two loops out of order). The
 * versions of a shop's template only grow, its reset included. */
static void
publish(struct page_themes *c, int64_t brand_id, int64_t shop_id, int64_t version,
        struct theme_entry *e)
{
	struct theme_entry *old = NULL;
	bool found;
	size_t i;

	pthread_mutex_lock(&c->lock);
	i = slot_of(c, brand_id, shop_id, &found);
	if (found && c->v[i]->version >= version) {
		pthread_mutex_unlock(&c->lock);
		page_theme_drop(e);
		return;
	}
	if (found && e != NULL) {
		old = c->v[i];
		c->v[i] = e;
	} else if (found) {
		old = c->v[i];
		memmove(c->v + i, c->v + i + 1, (c->n - i - 1) * sizeof(*c->v));
		c->n--;
	} else if (e != NULL) {
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 16;
			c->v = realloc(c->v, c->cap * sizeof(*c->v));
			if (c->v == NULL)
				abort();
		}
		memmove(c->v + i + 1, c->v + i, (c->n - i) * sizeof(*c->v));
		c->v[i] = e;
		c->n++;
	}
	pthread_mutex_unlock(&c->lock);
	page_theme_drop(old);
}

void
page_themes_put(struct page_themes *c, const struct page_theme *t)
{
	publish(c, t->brand_id, t->shop_id, t->version, entry_new(t));
}

const struct theme_entry *
page_theme_take(struct page_themes *c, int64_t brand_id, int64_t shop_id)
{
	struct theme_entry *e = NULL;
	bool found;
	size_t i;

	if (c == NULL)
		return NULL;
	pthread_mutex_lock(&c->lock);
	i = slot_of(c, brand_id, shop_id, &found);
	if (found) {
		e = c->v[i];
		atomic_fetch_add(&e->refs, 1);
	}
	pthread_mutex_unlock(&c->lock);
	return e;
}

static void
seen_add(struct theme_seen **v, size_t *n, size_t *cap, int64_t brand_id, int64_t shop_id,
         int64_t version)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*v = realloc(*v, *cap * sizeof(**v));
		if (*v == NULL)
			abort();
	}
	(*v)[(*n)++] = (struct theme_seen){brand_id, shop_id, version};
}

static int
load_one(void *arg, const struct page_theme *t)
{
	struct page_themes *c = arg;

	publish(c, t->brand_id, t->shop_id, t->version, entry_new(t));
	seen_add(&c->seen, &c->nseen, &c->capseen, t->brand_id, t->shop_id, t->version);
	return ST_OK;
}

/* One round of the watcher: the versions walked beside the ones seen last (both by brand
 * then shop), a template whose version moved read whole and published. */
struct watch_round {
	struct page_themes *c;
	struct store *st;
	size_t at; /* in c->seen */
	struct theme_seen *next;
	size_t n, cap;
};

static int
version_seen(void *arg, int64_t brand_id, int64_t shop_id, int64_t version)
{
	struct watch_round *w = arg;
	const struct page_themes *c = w->c;
	const struct theme_seen *was;
	struct page_theme t;
	int rc = ST_OK;

	while (w->at < c->nseen &&
	       (c->seen[w->at].brand_id < brand_id ||
	        (c->seen[w->at].brand_id == brand_id && c->seen[w->at].shop_id < shop_id)))
		w->at++;
	was = w->at < c->nseen && c->seen[w->at].brand_id == brand_id &&
	                      c->seen[w->at].shop_id == shop_id
	              ? &c->seen[w->at]
	              : NULL;
	if (was == NULL || was->version != version) {
		rc = w->st->ops->page_theme_get(w->st, brand_id, shop_id, &t);
		if (rc == ST_OK) {
			publish(w->c, brand_id, shop_id, t.version, entry_new(&t));
			version = t.version;
			log_info(
			        "event=page_theme_changed shop=%lld version=%lld by=another_server",
			        (long long)shop_id, (long long)version);
		}
		page_theme_cleanup(&t);
	}
	seen_add(&w->next, &w->n, &w->cap, brand_id, shop_id, version);
	return rc;
}

static int
watch_run(struct work_job *job, struct store *st)
{
	struct page_themes *c = ((struct periodic_job *)job)->arg;
	struct watch_round w = {.c = c, .st = st};
	int rc = st->ops->page_theme_versions(st, version_seen, &w);

	if (rc != ST_OK) {
		free(w.next); /* read again whole at the next round */
		return rc;
	}
	free(c->seen);
	c->seen = w.next;
	c->nseen = w.n;
	c->capseen = w.cap;
	return ST_OK;
}

int
page_themes_watch_start(struct page_themes *c, struct work *w)
{
	return periodic_watch(w, watch_run, c, PAGE_THEMES_EVERY_MS, "page_themes_watch",
	                      &c->watch);
}

void
page_themes_watch_stop(struct page_themes *c)
{
	if (c == NULL)
		return;
	periodic_stop(c->watch);
	c->watch = NULL;
}

int
page_themes_load(struct store *st, struct page_themes **out)
{
	struct page_themes *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		abort();
	pthread_mutex_init(&c->lock, NULL);
	rc = st->ops->page_themes_each(st, load_one, c);
	if (rc != ST_OK) {
		page_themes_free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

void
page_themes_free(struct page_themes *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		page_theme_drop(c->v[i]);
	pthread_mutex_destroy(&c->lock);
	free(c->seen);
	free(c->v);
	free(c);
}

/* --- the page's assets --------------------------------------------------------------------- */

/* The template named by the path's shop and token, held, or NULL (404 answered). */
static const struct theme_entry *
asset_entry(struct req *r)
{
	const struct theme_entry *e = NULL;

	/* The shop's brand is not in the URL: the shop's id names one brand's shop. */
	struct page_themes *c = r->app->themes;

	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		for (size_t i = 0; i < c->n; i++)
			if (c->v[i]->shop_id == r->path_id) {
				e = c->v[i];
				atomic_fetch_add(&c->v[i]->refs, 1);
				break;
			}
		pthread_mutex_unlock(&c->lock);
	}
	if (e != NULL && strcmp(e->token, r->path_key) != 0) {
		page_theme_drop(e);
		e = NULL;
	}
	if (e == NULL)
		http_reply_error(r, ST_NOTFOUND, NULL, "No such template.");
	return e;
}

/* Sends body (copied) with its type, cached for a year under etag (the URL changes with the
 * template), 304 when the client has it. */
static void
send_asset(struct req *r, const char *type, const char *etag, const void *body, size_t len)
{
	h2o_req_t *req = r->h2o;
	const h2o_iovec_t *inm = http_header(r, "if-none-match");
	size_t el = strlen(etag);
	char *etag_p = h2o_mem_alloc_pool(&req->pool, el);

	memcpy(etag_p, etag, el);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type,
	               strlen(type));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("public, max-age=31536000, immutable"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, etag_p, el);
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
	                      r->id, strlen(r->id));
	if (inm != NULL && memmem(inm->base, inm->len, etag, el) != NULL) {
		req->res.status = 304;
		req->res.reason = "Not Modified";
		h2o_send_inline(req, "", 0);
		return;
	}
	req->res.status = 200;
	req->res.reason = "OK";
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

int
api_pay_theme_css(struct req *r)
{
	const struct theme_entry *e = asset_entry(r);
	char etag[PAGE_THEME_TOKEN + 8];

	if (e == NULL)
		return 0;
	snprintf(etag, sizeof(etag), "\"%s-css\"", e->token);
	send_asset(r, "text/css; charset=utf-8", etag, e->css != NULL ? e->css : "",
	           e->css != NULL ? e->css_len : 0);
	page_theme_drop(e);
	return 0;
}

int
api_pay_theme_logo(struct req *r)
{
	const struct theme_entry *e = asset_entry(r);
	char etag[PAGE_THEME_TOKEN + 8];

	if (e == NULL)
		return 0;
	if (e->logo == NULL) {
		http_reply_error(r, ST_NOTFOUND, NULL, "No such template.");
	} else {
		snprintf(etag, sizeof(etag), "\"%s-logo\"", e->token);
		send_asset(r, e->logo_type, etag, e->logo, e->logo_len);
	}
	page_theme_drop(e);
	return 0;
}

/* --- the back office ------------------------------------------------------------------------ */

enum theme_op { TH_GET, TH_PUT, TH_RESET, TH_LOGO_PUT, TH_LOGO_DELETE };

/* The texts a template sets, as the API names them, where they are kept, their limit. */
static const struct text_field {
	const char *name;
	size_t off, cap;
	int max_chars;
} text_fields[] = {
#define AT(name) offsetof(struct page_theme, name), sizeof(((struct page_theme *)0)->name)
        {"title_fr", AT(title_fr), LIMIT_PAGE_TITLE},
        {"title_en", AT(title_en), LIMIT_PAGE_TITLE},
        {"footer_fr", AT(footer_fr), LIMIT_PAGE_FOOTER},
        {"footer_en", AT(footer_en), LIMIT_PAGE_FOOTER},
        {"primary_color", AT(primary), 8},
        {"background_color", AT(background), 8},
#undef AT
};
#define TEXT_FIELDS_N (sizeof(text_fields) / sizeof(text_fields[0]))
#define COLOUR_FIRST  4 /* text_fields[4..5] are the colours */

static char *
field_of(struct page_theme *t, size_t i)
{
	return (char *)t + text_fields[i].off;
}

struct theme_job {
	struct http_job base; /* first */
	enum theme_op op;
	struct session who;
	struct page_themes *cache;
	int64_t shop_id;
	struct page_theme in; /* PUT: the members given (given's bits); the logo */
	unsigned given;
	int64_t version;
	const char *field, *message; /* 400 invalid_field */
	char message_buf[160];
	/* Committed: what the cache gets (published once, on the loop). */
	bool changed, published;
	int64_t brand_id, new_version;
	struct theme_entry *entry;
	json_t *result;
};

static void
theme_publish(struct theme_job *j)
{
	if (!j->changed || j->published || j->base.work.rc != ST_OK || j->cache == NULL)
		return;
	j->published = true;
	publish(j->cache, j->brand_id, j->shop_id, j->new_version, j->entry);
	j->entry = NULL;
}

static void
theme_free(struct http_job *hj)
{
	struct theme_job *j = (struct theme_job *)hj;

	/* Committed but not answered (the client left): the page shows it all the same. */
	theme_publish(j);
	page_theme_drop(j->entry);
	page_theme_cleanup(&j->in);
	json_decref(j->result);
	free(j);
}

static void
theme_respond(struct http_job *hj, struct req *r)
{
	struct theme_job *j = (struct theme_job *)hj;
	int rc = j->base.work.rc;

	theme_publish(j);
	if (rc == ST_INVALID && j->field != NULL)
		json_bad_field(r, j->field, j->message);
	else if (rc == ST_CONFLICT)
		http_reply_error(r, rc, "conflict",
		                 "This template was changed since you read it: read it again, then "
		                 "make your change.");
	else if (rc == ST_NOTFOUND)
		http_reply_error(r, rc, NULL, "No such shop in your part of the tree.");
	else if (rc != ST_OK)
		http_reply_error(r, rc, NULL, NULL);
	else {
		http_reply_json(r, 200, j->result);
		j->result = NULL;
	}
}

/* The colours' contrasts: *field and a message when one is refused (WCAG AA for text), and
 * the warnings of what is allowed but weak (a button close to the background). */
static bool
contrast_check(const struct page_theme *t, json_t *warnings, const char **field, char *msg,
               size_t cap)
{
	uint32_t primary = 0x0b5cad, background = 0xffffff;
	double ratio;

	if (t->primary[0] != '\0' && !theme_colour_parse(t->primary, &primary))
		return false;
	if (t->background[0] != '\0' && !theme_colour_parse(t->background, &background))
		return false;
	ratio = theme_contrast(THEME_TEXT_RGB, background);
	if (t->background[0] != '\0' && ratio < THEME_CONTRAST_MIN) {
		*field = "background_color";
		snprintf(msg, cap,
		         "The page's text (#1d2733) would not read on this background: contrast "
		         "%.2f:1, at least 4.5:1 is needed (WCAG AA).",
		         ratio);
		return false;
	}
	ratio = theme_contrast(THEME_WHITE_RGB, primary);
	if (t->primary[0] != '\0' && ratio < THEME_CONTRAST_MIN) {
		*field = "primary_color";
		snprintf(msg, cap,
		         "The buttons' white label would not read on this colour: contrast %.2f:1, "
		         "at least 4.5:1 is needed (WCAG AA). Choose a darker colour.",
		         ratio);
		return false;
	}
	ratio = theme_contrast(primary, background);
	if (warnings != NULL && ratio < UI_CONTRAST_MIN) {
		char w[160];

		snprintf(w, sizeof(w),
		         "The buttons stand out little from the background: contrast %.2f:1, 3:1 "
		         "is advised (WCAG 1.4.11).",
		         ratio);
		json_array_append_new(
		        warnings, json_pack("{s:s, s:s}", "field", "primary_color", "message", w));
	}
	return true;
}

static json_t *
url_or_null(const struct page_theme *t, const char *suffix)
{
	char url[96];

	if (theme_empty(t) || t->token[0] == '\0')
		return json_null();
	snprintf(url, sizeof(url), "/pay/theme/%lld/%s%s", (long long)t->shop_id, t->token, suffix);
	return json_string(url);
}

/* The template of shop as the page shows it. */
static int
theme_render(struct theme_job *j, const struct tree_node *shop, const struct page_theme *t)
{
	json_t *warnings = json_array();
	const char *field = NULL;
	char msg[160];

	(void)contrast_check(t, warnings, &field, msg, sizeof(msg));
	j->result = json_pack(
	        "{s:{s:I, s:s, s:s, s:s}, s:o, s:o, s:o, s:I, s:o, s:b, s:{s:s, s:s}, "
	        "s:{s:I, s:i, s:i}, s:o}",
	        "shop", "id", (json_int_t)shop->n.id, "name", shop->n.name, "site", shop->site,
	        "rang", shop->rang, "logo",
	        t->logo_len > 0 ? json_pack("{s:s, s:I}", "type", t->logo_type, "size",
	                                    (json_int_t)t->logo_len)
	                        : json_null(),
	        "logo_url", t->logo_len > 0 ? url_or_null(t, "/logo") : json_null(),
	        "stylesheet_url", url_or_null(t, ".css"), "version", (json_int_t)t->version,
	        "updated_at", json_instant_or_null(t->updated_at), "editable",
	        routes_allow("PUT", "/bo/api/shops/{id}/page-theme", j->who.profile), "defaults",
	        "primary_color", DEFAULT_PRIMARY, "background_color", DEFAULT_BACKGROUND, "limits",
	        "logo_bytes", (json_int_t)LIMIT_PAGE_LOGO, "title_chars", LIMIT_PAGE_TITLE,
	        "footer_chars", LIMIT_PAGE_FOOTER, "warnings", warnings);
	if (j->result == NULL)
		return ST_INTERNAL;
	for (size_t i = 0; i < TEXT_FIELDS_N; i++)
		json_object_set_new(j->result, text_fields[i].name,
		                    json_string(field_of((struct page_theme *)t, i)));
	return ST_OK;
}

static int
read_run(struct work_job *w, struct store *st)
{
	struct theme_job *j = (struct theme_job *)w;
	struct page_theme t;
	struct tree_node shop;
	int rc = api_shop_in_scope(st, &j->who, j->shop_id, &shop);

	if (rc != ST_OK)
		return rc;
	rc = st->ops->page_theme_get(st, j->who.brand_id, shop.n.id, &t);
	if (rc == ST_OK)
		rc = theme_render(j, &shop, &t);
	page_theme_cleanup(&t);
	return rc;
}

/* The action-log line of a change from was to now. */
static int
theme_log(struct theme_job *j, struct store *st, const struct tree_node *shop,
          struct page_theme *was, struct page_theme *now, int64_t at)
{
	static const char *const actions[] = {
	        [TH_PUT] = "page_theme_changed",
	        [TH_RESET] = "page_theme_reset",
	        [TH_LOGO_PUT] = "page_theme_logo_changed",
	        [TH_LOGO_DELETE] = "page_theme_logo_removed",
	};
	char label[128], size[64];
	int rc = ST_OK;

	snprintf(label, sizeof(label), "%s (%s/%s)", shop->n.name, shop->site, shop->rang);
	for (int names_only = 0; names_only < 2; names_only++) {
		struct buf b;

		buf_init(&b, ACTION_DETAILS_MAX - 1);
		api_detail_add(&b, false, "shop", NULL, json_string(label));
		for (size_t i = 0; i < TEXT_FIELDS_N; i++)
			api_detail_text(&b, names_only, text_fields[i].name, field_of(was, i),
			                field_of(now, i));
		if (was->logo_len != now->logo_len ||
		    (now->logo_len > 0 && memcmp(was->logo, now->logo, now->logo_len) != 0)) {
			snprintf(size, sizeof(size), "%s, %zu bytes", now->logo_type,
			         now->logo_len);
			api_detail_add(&b, names_only, "logo",
			               was->logo_len > 0 ? json_string(was->logo_type)
			                                 : json_null(),
			               now->logo_len > 0 ? json_string(size) : json_null());
		}
		if (!b.failed) {
			api_action_add(st, &j->who, at, actions[j->op], b.data, NULL, &rc);
			buf_cleanup(&b);
			break;
		}
		buf_cleanup(&b);
	}
	return rc;
}

static bool
theme_differ(struct page_theme *a, struct page_theme *b)
{
	for (size_t i = 0; i < TEXT_FIELDS_N; i++)
		if (strcmp(field_of(a, i), field_of(b, i)) != 0)
			return true;
	return a->logo_len != b->logo_len ||
	       (a->logo_len > 0 && memcmp(a->logo, b->logo, a->logo_len) != 0);
}

/* Writer: the template read again in the change's transaction; for PUT its version checked.
 * The logo's routes and the reset change whatever version is kept. */
static int
write_run(struct work_job *w, struct store *st)
{
	struct theme_job *j = (struct theme_job *)w;
	struct page_theme was, now;
	struct tree_node shop;
	unsigned char token[16];
	int64_t at = clock_now_us();
	int rc = api_shop_in_scope(st, &j->who, j->shop_id, &shop);

	if (rc != ST_OK)
		return rc;
	rc = st->ops->page_theme_get(st, j->who.brand_id, shop.n.id, &was);
	if (rc != ST_OK)
		return rc;
	if (j->op == TH_PUT && j->version != was.version) {
		page_theme_cleanup(&was);
		return ST_CONFLICT;
	}
	now = was;
	now.logo = NULL; /* was's, or the job's: never freed through now */
	if (j->op == TH_PUT) {
		now.logo = was.logo;
		for (size_t i = 0; i < TEXT_FIELDS_N; i++)
			if (j->given & (1u << i))
				memcpy(field_of(&now, i), field_of(&j->in, i), text_fields[i].cap);
		if (!contrast_check(&now, NULL, &j->field, j->message_buf,
		                    sizeof(j->message_buf))) {
			j->message = j->message_buf;
			page_theme_cleanup(&was);
			return ST_INVALID;
		}
	} else if (j->op == TH_RESET) {
		for (size_t i = 0; i < TEXT_FIELDS_N; i++)
			field_of(&now, i)[0] = '\0';
		now.logo_len = 0;
		now.logo_type[0] = '\0';
	} else if (j->op == TH_LOGO_PUT) {
		now.logo = j->in.logo;
		now.logo_len = j->in.logo_len;
		memcpy(now.logo_type, j->in.logo_type, sizeof(now.logo_type));
	} else {
		now.logo_len = 0;
		now.logo_type[0] = '\0';
	}
	if (theme_differ(&was, &now)) {
		now.version = was.version + 1;
		now.updated_at = at;
		now.updated_by = j->who.user_id;
		crypto_random(token, sizeof(token));
		crypto_hex(now.token, token, sizeof(token));
		rc = st->ops->page_theme_put(st, &now, was.version);
		if (rc == ST_OK)
			rc = theme_log(j, st, &shop, &was, &now, at);
		if (rc == ST_OK) {
			j->changed = true;
			j->brand_id = j->who.brand_id;
			j->shop_id = shop.n.id;
			j->new_version = now.version;
			page_theme_drop(j->entry);
			j->entry = entry_new(&now);
		}
	}
	if (rc == ST_OK)
		rc = theme_render(j, &shop, &now);
	page_theme_cleanup(&was);
	return rc;
}

static struct theme_job *
theme_new(struct req *r, enum theme_op op)
{
	struct theme_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->op = op;
	j->who = r->session;
	j->cache = r->app->themes;
	j->shop_id = r->path_id;
	j->base.respond = theme_respond;
	j->base.free = theme_free;
	j->base.work.run = op == TH_GET ? read_run : write_run;
	return j;
}

int
api_page_theme_get(struct req *r)
{
	return http_submit_or_reply(r, &theme_new(r, TH_GET)->base, false);
}

int
api_page_theme_reset(struct req *r)
{
	return http_submit_or_reply(r, &theme_new(r, TH_RESET)->base, true);
}

int
api_page_theme_logo_delete(struct req *r)
{
	return http_submit_or_reply(r, &theme_new(r, TH_LOGO_DELETE)->base, true);
}

/* Reads the member of text_fields[i] into j->in: a colour "" or #rrggbb, a text "" or plain
 * safe text of at most its characters. */
static bool
take_field(struct req *r, json_t *o, struct theme_job *j, size_t i)
{
	json_t *v = json_object_get(o, text_fields[i].name);
	const char *s;
	size_t n, chars = 0, at = 0;
	uint32_t cp;

	if (v == NULL)
		return true;
	s = json_string_value(v);
	if (i >= COLOUR_FIRST) {
		uint32_t rgb;

		if (s != NULL && strlen(s) == json_string_length(v) &&
		    (s[0] == '\0' || theme_colour_parse(s, &rgb))) {
			/* Kept in lower case: one spelling of a colour. */
			for (size_t k = 0; s[k] != '\0'; k++)
				field_of(&j->in, i)[k] =
				        (char)(s[k] >= 'A' && s[k] <= 'F' ? s[k] + 32 : s[k]);
			field_of(&j->in, i)[strlen(s)] = '\0';
			j->given |= 1u << i;
			return true;
		}
		json_bad_field(r, text_fields[i].name,
		               "A colour written #rrggbb (six hexadecimal digits), or \"\" for "
		               "Guichet's own.");
		return false;
	}
	if (s != NULL && strlen(s) == json_string_length(v) && text_is_safe(s, strlen(s))) {
		n = strlen(s);
		while (at < n && chars <= (size_t)text_fields[i].max_chars) {
			at += text_utf8_next(s + at, n - at, &cp);
			chars++;
		}
		if (chars <= (size_t)text_fields[i].max_chars && n < text_fields[i].cap) {
			memcpy(field_of(&j->in, i), s, n + 1);
			j->given |= 1u << i;
			return true;
		}
	}
	snprintf(j->message_buf, sizeof(j->message_buf),
	         "Plain text of at most %d characters, on one line (no control or "
	         "bidirectional character), or \"\" for Guichet's own.",
	         text_fields[i].max_chars);
	json_bad_field(r, text_fields[i].name, j->message_buf);
	return false;
}

int
api_page_theme_put(struct req *r)
{
	static const char *members[TEXT_FIELDS_N + 2];
	struct theme_job *j;
	json_t *o, *v;
	bool ok = true;

	for (size_t i = 0; i < TEXT_FIELDS_N; i++)
		members[i] = text_fields[i].name;
	members[TEXT_FIELDS_N] = "version";
	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	j = theme_new(r, TH_PUT);
	v = json_object_get(o, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		json_bad_field(r, "version",
		               "version is required: the one of the template the change was made "
		               "from.");
		ok = false;
	}
	j->version = ok ? json_integer_value(v) : 0;
	for (size_t i = 0; ok && i < TEXT_FIELDS_N; i++)
		ok = take_field(r, o, j, i);
	json_decref(o);
	if (!ok) {
		theme_free(&j->base);
		return 0;
	}
	return http_submit_or_reply(r, &j->base, true);
}

int
api_page_theme_logo_put(struct req *r)
{
	h2o_iovec_t body = http_body(r);
	enum theme_logo_kind kind;
	struct theme_job *j;

	/* The route's body limit is LIMIT_PAGE_LOGO: a larger one was 413 before this. */
	kind = body.len <= LIMIT_PAGE_LOGO
	               ? theme_logo_kind((const unsigned char *)body.base, body.len)
	               : THEME_LOGO_NONE;
	if (kind == THEME_LOGO_NONE) {
		json_bad_field(r, "logo",
		               "The body must be the logo itself: a PNG or a JPEG image (not SVG), "
		               "at most 65536 bytes.");
		return 0;
	}
	j = theme_new(r, TH_LOGO_PUT);
	j->in.logo = malloc(body.len);
	if (j->in.logo == NULL)
		abort();
	memcpy(j->in.logo, body.base, body.len);
	j->in.logo_len = body.len;
	snprintf(j->in.logo_type, sizeof(j->in.logo_type), "%s", theme_logo_type(kind));
	return http_submit_or_reply(r, &j->base, true);
}
