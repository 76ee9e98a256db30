/*
 * risk.c - the merchant's risk rules in the back office (SPEC §11, §16.1; Vision manual
 * §9.2.1, §9.3; README "Risk"):
 *
 *   GET    /bo/api/blocklist[?node&kind&q&expired&cursor&limit]  a node's entries and below
 *   GET    /bo/api/blocklist/export[?…&format=csv|txt]            the same as a file
 *   POST   /bo/api/blocklist                                       an entry added by hand
 *   DELETE /bo/api/blocklist/{id}                                  an entry removed
 *   PUT    /bo/api/contracts/{id}/fraud-filters                    a contract's fraud filters
 *   GET    /bo/api/countries                                       the ISO 3166 codes
 *
 * Scope: the user's node and below (node=ID for one below); another brand's or node's entry
 * or contract answers 404. A card number typed in is fingerprinted on the loop and wiped
 * there: no job carries it. Each change writes its action-log line in its transaction; a
 * filters' change names the version it read, so the second of two concurrent edits is
 * refused (409) rather than lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/csv.h"
#include "api/export.h"
#include "api/export_layout.h"
#include "api/filters.h"
#include "api/json.h"
#include "api/query.h"
#include "api/render.h"
#include "common/clock.h"
#include "domain/calendar.h"
#include "domain/money.h"
#include "domain/risk.h"
#include "service/risk.h"

#define RK_PAGE_DEFAULT 50
#define RK_PAGE_MAX     500
#define RK_EXPORT_ROWS  5000
#define RK_EXPORT_CHUNK (16 * 1024 * 1024)

enum rk_op { RK_LIST, RK_EXPORT, RK_ADD, RK_DELETE, RK_FILTERS };

struct rk_job {
	struct export_page page; /* first: a page of an export, or any other job */
	struct session who;
	enum rk_op op;
	struct block_query q;
	char text[BLOCK_VALUE_MAX + 1];
	int64_t node; /* node=ID, or the added entry's node; 0: the user's own */
	int64_t id;
	int limit;
	bool txt;
	enum export_layout layout; /* export: layout= (export_layout.h) */
	char bad[24];              /* an unknown query parameter's name */
	const struct tz *zone;
	struct block_entry e;    /* RK_ADD */
	struct fraud_filters ff; /* RK_FILTERS, with the version read */
	/* Results. */
	int status;
	json_t *result;
	const char *why;
	const char *message;
};

static void
rk_free(struct http_job *hj)
{
	struct rk_job *j = (struct rk_job *)hj;

	json_decref(j->result);
	free(j->page.chunk);
	free(j);
}

static void
rk_respond(struct http_job *hj, struct req *r)
{
	struct rk_job *j = (struct rk_job *)hj;

	if (j->page.base.work.rc != ST_OK && j->result == NULL) {
		http_reply_error(r, j->page.base.work.rc, j->why, j->message);
		return;
	}
	if (j->status == 204) {
		http_reply_raw(r, 204, "", 0);
		return;
	}
	http_reply_json(r, j->status, j->result);
	j->result = NULL;
}

static struct rk_job *
rk_new(struct req *r, enum rk_op op)
{
	struct rk_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = r->session;
	j->op = op;
	j->id = r->path_id;
	j->status = 200;
	j->zone = api_zone(&r->session);
	j->page.base.respond = rk_respond;
	j->page.base.free = rk_free;
	return j;
}

/* --- the blocklist's entries ---------------------------------------------------------------- */

/* The last day an entry acts, in the zone: the day before the instant it stops. */
static json_t *
expiry_json(int64_t expires_at, const struct tz *z)
{
	return expires_at == 0 ? json_null() : json_day_or_null(tz_day(z, expires_at - 1));
}

static json_t *
entry_json(const struct block_entry *e, const struct tz *z, int64_t now)
{
	json_t *o = json_pack(
	        "{s:I, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:b, s:o}", "id", (json_int_t)e->id,
	        "kind", block_kind_name(e->kind), "value", e->value, "node_id",
	        (json_int_t)e->node_id, "node_name", e->node_name, "node_level", e->node_level,
	        "reason", json_str_or_null(e->reason), "expires_at", expiry_json(e->expires_at, z),
	        "expired", e->expires_at != 0 && e->expires_at <= now, "created_at",
	        json_instant_or_null(e->created_at));

	json_object_set_new(o, "created_by",
	                    e->user_id == 0 ? json_null()
	                                    : json_pack("{s:s, s:s}", "login", e->user_login,
	                                                "name", e->user_name));
	json_object_set_new(o, "txn_id",
	                    e->txn_id ? json_sprintf("%lld", (long long)e->txn_id) : json_null());
	return o;
}

struct list_ctx {
	struct rk_job *j;
	json_t *items;
	int64_t now;
};

static int
entry_push(void *arg, const struct block_entry *e)
{
	struct list_ctx *x = arg;

	json_array_append_new(x->items, entry_json(e, x->j->zone, x->now));
	return ST_OK;
}

static int
list_run(struct work_job *w, struct store *st)
{
	struct rk_job *j = (struct rk_job *)w;
	struct list_ctx x = {j, json_array(), clock_now_us()};
	int rc = api_scope(st, &j->who, j->node, &j->q.node_id);

	j->q.scope_id = j->who.node_id;
	j->q.now = x.now;
	j->q.limit = j->limit + 1;
	if (rc == ST_OK)
		rc = st->ops->block_search(st, &j->q, entry_push, &x);
	if (rc != ST_OK) {
		json_decref(x.items);
		return rc;
	}
	j->result = json_pack("{s:o}", "next", json_page_next(x.items, (size_t)j->limit));
	json_object_set_new(j->result, "items", x.items);
	return ST_OK;
}

/* The list's query string into j. NULL: taken; else the bad parameter's name. */
static const char *
parse_list(struct req *r, struct rk_job *j, bool export)
{
	static const char *const list_params[] = {"node",   "kind",  "q", "expired",
	                                          "cursor", "limit", NULL};
	static const char *const export_params[] = {"node",   "kind",   "q", "expired",
	                                            "format", "layout", NULL};
	char v[BLOCK_VALUE_MAX + 1];
	int64_t n;
	int g;

	if (query_unknown(r, export ? export_params : list_params, j->bad, sizeof(j->bad)) != 0)
		return j->bad;
	j->q.brand_id = j->who.brand_id;
	j->limit = RK_PAGE_DEFAULT;
	if ((g = query_get(r, "node", v, sizeof(v))) < 0 || (g == 1 && query_id(v, &j->node) != 0))
		return "node";
	if ((g = query_get(r, "kind", v, sizeof(v))) < 0 ||
	    (g == 1 && (j->q.kind = block_kind_parse(v)) < 0))
		return "kind";
	if ((g = query_get(r, "q", j->text, sizeof(j->text))) < 0 ||
	    (g == 1 && !filter_text(j->text, sizeof(j->text))))
		return "q";
	j->q.text = g == 1 ? j->text : NULL;
	if ((g = query_get(r, "expired", v, sizeof(v))) < 0 ||
	    (g == 1 && strcmp(v, "1") != 0 && strcmp(v, "0") != 0))
		return "expired";
	j->q.expired = g == 1 && v[0] == '1';
	if ((g = query_get(r, "cursor", v, sizeof(v))) < 0 ||
	    (g == 1 && query_id(v, &j->q.before_id) != 0))
		return "cursor";
	if ((g = query_get(r, "limit", v, sizeof(v))) < 0 ||
	    (g == 1 && (query_id(v, &n) != 0 || n > RK_PAGE_MAX)))
		return "limit";
	if (g == 1)
		j->limit = (int)n;
	if ((g = query_get(r, "format", v, sizeof(v))) < 0 ||
	    (g == 1 && strcmp(v, "csv") != 0 && strcmp(v, "txt") != 0))
		return "format";
	j->txt = g == 1 && strcmp(v, "txt") == 0;
	if ((g = query_get(r, "layout", v, sizeof(v))) < 0 ||
	    (g == 1 && export_layout_parse(v, &j->layout) != 0))
		return "layout";
	return NULL;
}

#define RK_LIST_HELP                                                                               \
	"The filters: node (a node of your tree), kind (card, bin, email or country), q (text "    \
	"found in the value or the reason), expired (1: expired entries too), cursor (the "        \
	"previous page's next), limit (1 to 500)."

int
api_blocklist_list(struct req *r)
{
	struct rk_job *j = rk_new(r, RK_LIST);
	const char *bad = parse_list(r, j, false);

	if (bad != NULL) {
		json_bad_field(r, bad, RK_LIST_HELP);
		rk_free(&j->page.base);
		return 0;
	}
	j->page.base.work.run = list_run;
	return http_submit_or_reply(r, &j->page.base, false);
}

/* --- export ----------------------------------------------------------------------------------- */

static const char *const export_columns[] = {
        "id",         "kind",       "value",      "node",        "reason",
        "expires_at", "created_at", "created_by", "transaction", NULL};

struct export_ctx {
	struct rk_job *j;
	struct export_out *o;
};

static int
export_row(void *arg, const struct block_entry *e)
{
	struct export_ctx *x = arg;
	char id[24], txn[24] = "", day[11] = "", at[26];

	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	if (e->txn_id)
		snprintf(txn, sizeof(txn), "%lld", (long long)e->txn_id);
	if (e->expires_at)
		cal_date_format(tz_day(x->j->zone, e->expires_at - 1), day);
	tz_format_iso(x->j->zone, e->created_at, at);
	export_put(x->o, EK_NUMBER, NULL, id);
	export_put(x->o, EK_WORD, "block.kind", block_kind_name(e->kind));
	export_put(x->o, EK_TEXT, NULL, e->value);
	export_put(x->o, EK_TEXT, NULL, e->node_name);
	export_put(x->o, EK_TEXT, NULL, e->reason);
	export_put(x->o, EK_DAY, NULL, day);
	export_put(x->o, EK_INSTANT, NULL, at);
	export_put(x->o, EK_TEXT, NULL, e->user_login);
	export_put(x->o, EK_NUMBER, NULL, txn);
	return export_row_end(&x->j->page, x->o, e->created_at, e->id);
}

static int
export_page_run(struct work_job *w, struct store *st)
{
	struct rk_job *j = (struct rk_job *)w;
	struct buf b;
	struct export_out o;
	struct export_ctx x = {j, &o};
	int rc = api_scope(st, &j->who, j->node, &j->q.node_id);

	if (rc == ST_OK)
		rc = export_out_init(&o, &b, j->layout, j->txt, st, &j->who);
	if (rc != ST_OK)
		return rc;
	j->q.scope_id = j->who.node_id;
	j->q.now = clock_now_us();
	j->q.limit = RK_EXPORT_ROWS;
	buf_init(&b, RK_EXPORT_CHUNK);
	if (j->q.before_id == 0)
		export_out_header(&o, "blocklist", export_columns);
	rc = st->ops->block_search(st, &j->q, export_row, &x);
	if (rc == ST_OK) {
		j->page.chunk_len = b.len;
		j->page.chunk = buf_take(&b);
	}
	buf_cleanup(&b);
	return rc;
}

static struct export_page *
export_page_new(struct req *r, void *ctx, int64_t after_at, int64_t after_id)
{
	struct rk_job *tmpl = ctx, *j = rk_new(r, RK_EXPORT);

	(void)after_at;
	*j = *tmpl;
	memset(&j->page, 0, sizeof(j->page));
	j->q.text = tmpl->q.text ? j->text : NULL;
	j->q.before_id = after_id;
	j->result = NULL;
	j->page.base.work.run = export_page_run;
	j->page.base.respond = rk_respond;
	j->page.base.free = rk_free;
	return &j->page;
}

int
api_blocklist_export(struct req *r)
{
	struct rk_job *tmpl = h2o_mem_alloc_pool(&r->h2o->pool, sizeof(*tmpl)), *probe;
	struct export_source src = {0};
	const char *bad;

	probe = rk_new(r, RK_EXPORT);
	bad = parse_list(r, probe, true);
	if (bad != NULL) {
		json_bad_field(r, bad,
		               strcmp(bad, "layout") == 0 ? EXPORT_LAYOUT_HELP
		                                          : RK_LIST_HELP
		                       " The export takes format (csv or txt) and layout.");
		rk_free(&probe->page.base);
		return 0;
	}
	*tmpl = *probe;
	tmpl->q.text = probe->q.text ? tmpl->text : NULL;
	rk_free(&probe->page.base);
	src.page = export_page_new;
	src.ctx = tmpl;
	src.limit = RK_EXPORT_ROWS;
	src.txt = tmpl->txt;
	src.name = "blocklist";
	return export_stream(r, &src);
}

/* --- add and remove ------------------------------------------------------------------------- */

/* An action-log line's words for an entry: "card 497010******0006 at Shop, reason: …". */
static void
entry_words(const struct block_entry *e, const struct tz *z, char *out, size_t cap)
{
	char day[11] = "";
	int n;

	n = snprintf(out, cap, "%s %s at %s", block_kind_name(e->kind), e->value, e->node_name);
	if (n > 0 && (size_t)n < cap && e->reason[0] != '\0')
		n += snprintf(out + n, cap - (size_t)n, ", reason: %s", e->reason);
	if (n > 0 && (size_t)n < cap && e->expires_at != 0) {
		cal_date_format(tz_day(z, e->expires_at - 1), day);
		snprintf(out + n, cap - (size_t)n, ", until %s", day);
	}
}

static int
add_run(struct work_job *w, struct store *st)
{
	struct rk_job *j = (struct rk_job *)w;
	char details[BLOCK_VALUE_MAX + BLOCK_REASON_MAX + 160];
	int64_t now = clock_now_us();
	int rc = api_scope(st, &j->who, j->node, &j->e.node_id);

	j->e.brand_id = j->who.brand_id;
	j->e.created_at = now;
	j->e.user_id = j->who.user_id;
	if (rc == ST_OK && j->e.expires_at != 0 && j->e.expires_at <= now) {
		j->message = "expires_at is a day from today on.";
		return ST_INVALID;
	}
	if (rc == ST_OK)
		rc = st->ops->block_put(st, &j->e);
	if (rc == ST_CONFLICT) {
		j->why = "already_blocked";
		j->message = "This value is on the node's blocklist already.";
		return rc;
	}
	if (rc == ST_OK)
		rc = st->ops->block_get(st, j->who.brand_id, j->e.id, &j->e);
	if (rc != ST_OK)
		return rc;
	entry_words(&j->e, j->zone, details, sizeof(details));
	api_action_add(st, &j->who, now, "blocklist_added", details, NULL, &rc);
	if (rc == ST_OK) {
		j->status = 201;
		j->result = entry_json(&j->e, j->zone, now);
	}
	return rc;
}

int
api_block_note(struct req *r, json_t *o, char reason[BLOCK_REASON_MAX + 1], int64_t *expires_at)
{
	char day[16];
	int g;

	/* An empty field is none, as a form sends when it is left blank. */
	*expires_at = 0;
	if (json_is_string(json_object_get(o, "reason")) &&
	    json_string_length(json_object_get(o, "reason")) == 0)
		json_object_del(o, "reason");
	if (json_get_text(o, "reason", reason, BLOCK_REASON_MAX + 1) < 0) {
		json_bad_field(r, "reason",
		               "reason is text of at most 200 bytes (UTF-8), without control "
		               "characters; it may be left out.");
		return -1;
	}
	if (json_is_null(json_object_get(o, "expires_at")) ||
	    (json_is_string(json_object_get(o, "expires_at")) &&
	     json_string_length(json_object_get(o, "expires_at")) == 0))
		return 0;
	g = json_get_text(o, "expires_at", day, sizeof(day));
	if (g < 0 || (g == 0 && (strlen(day) != 10 ||
	                         filter_when(day, api_zone(&r->session), true, expires_at) != 0 ||
	                         *expires_at <= clock_now_us()))) {
		json_bad_field(r, "expires_at",
		               "expires_at is the last day the entry acts, YYYY-MM-DD in your time "
		               "zone, today or later; leave it out for an entry until removed.");
		return -1;
	}
	return 0;
}

int
api_blocklist_add(struct req *r)
{
	static const char *const allowed[] = {"kind",   "value",      "node",
	                                      "reason", "expires_at", NULL};
	char kind[16], value[BLOCK_VALUE_MAX + 1], norm[BLOCK_VALUE_MAX + 1];
	struct rk_job *j;
	json_t *o, *node;
	int k;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, allowed))
		goto out;
	if (json_get_text(o, "kind", kind, sizeof(kind)) != 0 || (k = block_kind_parse(kind)) < 0) {
		json_bad_field(r, "kind", "kind is card, bin, email or country.");
		goto out;
	}
	if (json_get_text(o, "value", value, sizeof(value)) != 0 ||
	    !block_value_norm((enum block_kind)k, value, norm, sizeof(norm))) {
		json_bad_field(r, "value",
		               k == BLOCK_CARD ? "value is a valid card number (12 to 19 digits, "
		                                 "its check digit right)."
		               : k == BLOCK_BIN
		                       ? "value is a BIN: the first 6 or 8 digits of cards."
		               : k == BLOCK_EMAIL
		                       ? "value is one e-mail address."
		                       : "value is a country's ISO 3166-1 alpha-2 code, e.g. FR.");
		crypto_wipe(value, sizeof(value));
		crypto_wipe(norm, sizeof(norm));
		goto out;
	}
	j = rk_new(r, RK_ADD);
	node = json_object_get(o, "node");
	if (node != NULL && !json_is_null(node) &&
	    (!json_is_integer(node) || json_integer_value(node) <= 0)) {
		rk_free(&j->page.base);
		json_bad_field(r, "node", "node is the id of a node of your tree.");
		goto wipe;
	}
	j->node = node != NULL && json_is_integer(node) ? json_integer_value(node) : 0;
	if (api_block_note(r, o, j->e.reason, &j->e.expires_at) != 0) {
		rk_free(&j->page.base);
		goto wipe;
	}
	j->e.kind = (enum block_kind)k;
	j->e.key_len = risk_block_key(r->app->keys, j->e.kind, norm, NULL, j->e.key);
	if (k == BLOCK_CARD)
		card_mask(norm, j->e.value);
	else
		snprintf(j->e.value, sizeof(j->e.value), "%s", norm);
	crypto_wipe(value, sizeof(value));
	crypto_wipe(norm, sizeof(norm));
	json_decref(o);
	j->page.base.work.run = add_run;
	return http_submit_or_reply(r, &j->page.base, true);
wipe:
	crypto_wipe(value, sizeof(value));
	crypto_wipe(norm, sizeof(norm));
out:
	json_decref(o);
	return 0;
}

static int
delete_run(struct work_job *w, struct store *st)
{
	struct rk_job *j = (struct rk_job *)w;
	char details[BLOCK_VALUE_MAX + BLOCK_REASON_MAX + 160];
	int64_t now = clock_now_us();
	bool within = false;
	int rc = st->ops->block_get(st, j->who.brand_id, j->id, &j->e);

	if (rc == ST_OK)
		rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, j->e.node_id,
		                          &within);
	if (rc == ST_OK && !within)
		rc = ST_NOTFOUND;
	if (rc == ST_OK)
		rc = st->ops->block_delete(st, j->who.brand_id, j->id);
	if (rc != ST_OK)
		return rc;
	entry_words(&j->e, j->zone, details, sizeof(details));
	api_action_add(st, &j->who, now, "blocklist_removed", details, NULL, &rc);
	j->status = 204;
	return rc;
}

int
api_blocklist_delete(struct req *r)
{
	struct rk_job *j = rk_new(r, RK_DELETE);

	j->page.base.work.run = delete_run;
	return http_submit_or_reply(r, &j->page.base, true);
}

/* --- fraud filters (Vision manual §9.2.1) ----------------------------------------------------- */

struct contract_ctx {
	struct contract_view v;
	bool found;
};

static int
contract_take(void *arg, const struct contract_view *v)
{
	struct contract_ctx *x = arg;

	x->v = *v;
	x->found = true;
	return ST_OK;
}

/* "none" or the amount with its currency ("100.00 EUR"). */
static void
limit_words(int64_t amount, const char *code, char *out, size_t cap)
{
	const struct currency *cur = money_currency_find(code);
	char text[32];

	if (amount == 0 || cur == NULL || money_format_plain(amount, cur, text, sizeof(text)) < 0)
		snprintf(out, cap, amount == 0 ? "none" : "%lld", (long long)amount);
	else
		snprintf(out, cap, "%s %s", text, code);
}

/* "; name: before → after" into out. */
static void
change_words(struct buf *out, const char *name, const char *before, const char *after)
{
	buf_adds(out, "; ");
	buf_adds(out, name);
	buf_adds(out, ": ");
	buf_adds(out, before);
	buf_adds(out, " \xe2\x86\x92 ");
	buf_adds(out, after);
}

/* The changes from a to b as the action log says them: "max_amount: none → 100.00 EUR; …". */
static void
filters_diff(const struct fraud_filters *a, const struct fraud_filters *b, const char *currency,
             struct buf *out)
{
	char x[48], y[48];

	if (a->max_amount != b->max_amount) {
		limit_words(a->max_amount, currency, x, sizeof(x));
		limit_words(b->max_amount, currency, y, sizeof(y));
		change_words(out, "max_amount", x, y);
	}
	if (a->max_per_card_day != b->max_per_card_day) {
		snprintf(x, sizeof(x), "%d", a->max_per_card_day);
		snprintf(y, sizeof(y), "%d", b->max_per_card_day);
		change_words(out, "max_per_card_day", a->max_per_card_day ? x : "none",
		             b->max_per_card_day ? y : "none");
	}
	if (strcmp(a->card_countries, b->card_countries) != 0)
		change_words(out, "blocked_card_countries",
		             a->card_countries[0] ? a->card_countries : "none",
		             b->card_countries[0] ? b->card_countries : "none");
	if (strcmp(a->customer_countries, b->customer_countries) != 0)
		change_words(out, "blocked_customer_countries",
		             a->customer_countries[0] ? a->customer_countries : "none",
		             b->customer_countries[0] ? b->customer_countries : "none");
	if (a->country_mismatch != b->country_mismatch)
		change_words(out, "country_mismatch", a->country_mismatch ? "on" : "off",
		             b->country_mismatch ? "on" : "off");
}

static int
filters_run(struct work_job *w, struct store *st)
{
	struct rk_job *j = (struct rk_job *)w;
	struct contract_ctx x = {0};
	struct buf details;
	int64_t now = clock_now_us();
	char head[128];
	int rc = st->ops->contracts_each(st, j->who.brand_id, j->who.node_id, j->id, contract_take,
	                                 &x);

	if (rc == ST_OK && !x.found)
		rc = ST_NOTFOUND;
	if (rc == ST_OK)
		rc = st->ops->contract_filters_set(st, j->who.brand_id, j->id, &j->ff,
		                                   j->ff.version);
	if (rc == ST_CONFLICT) {
		/* Someone changed them since this user read them: theirs stay, and this user
		 * sees them before trying again. */
		j->status = 409;
		j->result = json_pack("{s:s, s:s, s:o}", "error", "conflict", "message",
		                      "Someone changed these filters since you read them: here are "
		                      "theirs. Apply your change to them and save again.",
		                      "fraud_filters", fraud_filters_json(&x.v.c.filters));
		return rc;
	}
	if (rc != ST_OK)
		return rc;
	buf_init(&details, 4096);
	snprintf(head, sizeof(head), "contract %s (%s, %s)", x.v.c.number,
	         card_method_name(x.v.c.method), x.v.shop_name);
	buf_adds(&details, head);
	filters_diff(&x.v.c.filters, &j->ff, x.v.c.currency, &details);
	api_action_add(st, &j->who, now, "fraud_filters_changed", details.data, NULL, &rc);
	buf_cleanup(&details);
	j->ff.version++;
	j->result = json_pack("{s:o}", "fraud_filters", fraud_filters_json(&j->ff));
	return rc;
}

/* A list of countries (an array of ISO 3166 codes, or null for none) into list. */
static bool
take_countries(json_t *v, char list[RISK_COUNTRY_LIST_MAX + 1])
{
	size_t i;
	json_t *c;

	list[0] = '\0';
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_array(v) || json_array_size(v) > RISK_COUNTRIES_MAX)
		return false;
	json_array_foreach(v, i, c)
	{
		if (!json_is_string(c) || !country_list_add(list, json_string_value(c)))
			return false;
	}
	return true;
}

/* An optional limit: null or 0 for none, else an integer from 1 to max. */
static bool
take_limit(json_t *v, int64_t max, int64_t *out)
{
	*out = 0;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return false;
	*out = json_integer_value(v);
	return true;
}

int
api_contract_filters_set(struct req *r)
{
	static const char *const allowed[] = {"max_amount",
	                                      "max_per_card_day",
	                                      "blocked_card_countries",
	                                      "blocked_customer_countries",
	                                      "country_mismatch",
	                                      "version",
	                                      NULL};
	struct rk_job *j;
	json_t *o, *v;
	int64_t n;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, allowed)) {
		json_decref(o);
		return 0;
	}
	j = rk_new(r, RK_FILTERS);
	if (!take_limit(json_object_get(o, "max_amount"), RISK_MAX_AMOUNT, &j->ff.max_amount)) {
		json_bad_field(r, "max_amount",
		               "max_amount is an integer count of minor units of the contract's "
		               "currency, 1 to 99999999999, or null (0) for none.");
		goto bad;
	}
	if (!take_limit(json_object_get(o, "max_per_card_day"), RISK_MAX_PER_CARD_DAY, &n)) {
		json_bad_field(
		        r, "max_per_card_day",
		        "max_per_card_day is an integer from 1 to 1000, or null (0) for none.");
		goto bad;
	}
	j->ff.max_per_card_day = (int)n;
	if (!take_countries(json_object_get(o, "blocked_card_countries"), j->ff.card_countries)) {
		json_bad_field(r, "blocked_card_countries",
		               "blocked_card_countries is a list of at most 64 ISO 3166-1 alpha-2 "
		               "codes, e.g. [\"RU\", \"KP\"].");
		goto bad;
	}
	if (!take_countries(json_object_get(o, "blocked_customer_countries"),
	                    j->ff.customer_countries)) {
		json_bad_field(r, "blocked_customer_countries",
		               "blocked_customer_countries is a list of at most 64 ISO 3166-1 "
		               "alpha-2 codes, e.g. [\"RU\", \"KP\"].");
		goto bad;
	}
	v = json_object_get(o, "country_mismatch");
	if (v != NULL && !json_is_boolean(v) && !json_is_null(v)) {
		json_bad_field(r, "country_mismatch", "country_mismatch is true or false.");
		goto bad;
	}
	j->ff.country_mismatch = v != NULL && json_is_true(v);
	v = json_object_get(o, "version");
	if (v == NULL || !json_is_integer(v) || json_integer_value(v) < 0) {
		json_bad_field(r, "version",
		               "version is the filters' version as you read them (fraud_filters."
		               "version): a change made since is not overwritten.");
		goto bad;
	}
	j->ff.version = json_integer_value(v);
	json_decref(o);
	j->page.base.work.run = filters_run;
	return http_submit_or_reply(r, &j->page.base, true);
bad:
	rk_free(&j->page.base);
	json_decref(o);
	return 0;
}

/* --- countries -------------------------------------------------------------------------------- */

int
api_countries(struct req *r)
{
	json_t *items = json_array();

	for (int i = 0; i < country_count(); i++)
		json_array_append_new(items, json_string(country_at(i)));
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
	return 0;
}
