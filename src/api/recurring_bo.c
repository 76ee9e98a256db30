/*
 * recurring_bo.c - the back office's installment plans and subscriptions (SPEC §9, §16.1;
 * Vision manual §6.1, §7.1):
 *
 *   GET  /bo/api/installment-plans|subscriptions            the journal (from, to required)
 *   GET  /bo/api/installment-plans|subscriptions/export     the journal as CSV or TXT
 *   GET  /bo/api/installment-plans|subscriptions/{id}       the details, every debit
 *   POST /bo/api/installment-plans|subscriptions/{id}/terminate
 *
 * Scope: the user's node of the tree and below (node=ID for one below); another brand's or
 * node's id, or a plan's id on the subscriptions' routes, answers 404. Terminating goes
 * through the use case (service/recurring.c) with the signed-in user as the actor, and
 * writes its action-log line in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/columns.h"
#include "api/csv.h"
#include "api/export.h"
#include "api/export_layout.h"
#include "api/filters.h"
#include "api/json.h"
#include "api/query.h"
#include "api/render.h"
#include "common/clock.h"
#include "common/text.h"
#include "domain/calendar.h"
#include "domain/money.h"
#include "service/recurring.h"

#define RB_PAGE_DEFAULT 50
#define RB_PAGE_MAX     500
#define RB_EXPORT_ROWS  5000
#define RB_EXPORT_CHUNK (16 * 1024 * 1024)
#define RB_FILTERS_HELP                                                                            \
	"from and to are required (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in your time zone, from "   \
	"before to); the other filters: id, status, contract, rang, order_ref (% wildcards), "     \
	"type (2, 3 or 4: a plan's installments), amount (eq:, ge:, le:, ne: on the next "         \
	"debit), next_from and next_to (YYYY-MM-DD), email, card_expiry (MMYY), currency, node."

struct rb_job {
	struct export_page page; /* first: a page of an export, or any other job */
	struct session who;
	enum recurring_kind kind;
	struct recurring_query q;
	char like[2 * RECURRING_ORDER_REF_MAX + 3];
	char contract[21], rang[4], email[RECURRING_EMAIL_MAX + 1], expiry[5], currency[4];
	int64_t node; /* node=ID: a node of the user's tree, else 0 (their own) */
	int64_t id;
	char reason[RECURRING_REASON_MAX + 1];
	bool export, txt;
	enum export_layout layout; /* export: layout= (export_layout.h) */
	bool have_from, have_to;   /* the search's period was given */
	/* Export: the user's columns and zone, read by the first page. */
	bool prefs_loaded;
	struct columns cols;
	const struct tz *zone;
	/* Results. */
	json_t *result;
	const char *why;
};

static void
rb_free(struct http_job *hj)
{
	struct rb_job *j = (struct rb_job *)hj;

	json_decref(j->result);
	free(j->page.chunk);
	free(j);
}

static void
rb_respond(struct http_job *hj, struct req *r)
{
	struct rb_job *j = (struct rb_job *)hj;

	if (j->page.base.work.rc != ST_OK) {
		http_reply_error(r, j->page.base.work.rc, j->why,
		                 j->why != NULL && strcmp(j->why, "not_in_progress") == 0
		                         ? "It has already ended: nothing is left to terminate."
		                         : NULL);
		return;
	}
	http_reply_json(r, 200, j->result);
	j->result = NULL;
}

static struct rb_job *
rb_new(struct req *r, enum recurring_kind kind)
{
	struct rb_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = r->session;
	j->kind = kind;
	j->id = r->path_id;
	j->page.base.respond = rb_respond;
	j->page.base.free = rb_free;
	return j;
}

/* The query's strings point into the job that carries them. */
static void
repoint(struct rb_job *j, const struct rb_job *from)
{
	j->q.order_ref_like = from->q.order_ref_like ? j->like : NULL;
	j->q.contract_number = from->q.contract_number ? j->contract : NULL;
	j->q.rang = from->q.rang ? j->rang : NULL;
	j->q.email = from->q.email ? j->email : NULL;
	j->q.card_expiry = from->q.card_expiry ? j->expiry : NULL;
	j->q.currency = from->q.currency ? j->currency : NULL;
}

/* --- query string ------------------------------------------------------------------------- */

/* Copies a text filter into dst (cap bytes) and points *field at it; false when bad. */
static bool
take_text(const char *v, char *dst, size_t cap, const char **field)
{
	if (!filter_text(v, cap))
		return false;
	memcpy(dst, v, strlen(v) + 1);
	*field = dst;
	return true;
}

/* MMYY, month 01 to 12. */
static bool
expiry_valid(const char *v)
{
	return strlen(v) == 4 && strspn(v, "0123456789") == 4 &&
	       (v[0] - '0') * 10 + (v[1] - '0') >= 1 && (v[0] - '0') * 10 + (v[1] - '0') <= 12;
}

/* One filter of the journal into the job's query (query_param_fn). NULL: taken; else the bad
 * parameter's name. */
static const char *
parse_one(void *ctx, const char *key, char *val)
{
	struct rb_job *j = ctx;
	const struct tz *zone = api_zone(&j->who);
	int64_t n;
	int v;

	if (strcmp(key, "from") == 0) {
		j->have_from = filter_when(val, zone, false, &j->q.from) == 0;
		return j->have_from ? NULL : "from";
	}
	if (strcmp(key, "to") == 0) {
		j->have_to = filter_when(val, zone, true, &j->q.to) == 0;
		return j->have_to ? NULL : "to";
	}
	if (strcmp(key, "id") == 0)
		return query_id(val, &j->q.id) == 0 ? NULL : "id";
	if (strcmp(key, "node") == 0)
		return query_id(val, &j->node) == 0 ? NULL : "node";
	if (strcmp(key, "status") == 0) {
		if ((v = recurring_status_parse(val)) < 0)
			return "status";
		j->q.status = v;
		return NULL;
	}
	if (strcmp(key, "contract") == 0)
		return take_text(val, j->contract, sizeof(j->contract), &j->q.contract_number)
		               ? NULL
		               : "contract";
	if (strcmp(key, "rang") == 0) {
		if (strlen(val) != 3 || strspn(val, "0123456789") != 3)
			return "rang";
		memcpy(j->rang, val, 4);
		j->q.rang = j->rang;
		return NULL;
	}
	if (strcmp(key, "order_ref") == 0) {
		if (!filter_text(val, RECURRING_ORDER_REF_MAX + 1))
			return "order_ref";
		filter_like(val, j->like, sizeof(j->like));
		j->q.order_ref_like = j->like;
		return NULL;
	}
	if (strcmp(key, "type") == 0 && j->kind == RK_PLAN) {
		if (query_id(val, &n) != 0 || n < RECURRING_PLAN_MIN || n > RECURRING_PLAN_MAX)
			return "type";
		j->q.count = (int)n;
		return NULL;
	}
	if (strcmp(key, "amount") == 0)
		return filter_amount(val, &j->q.amount_cmp, &j->q.amount) == 0 ? NULL : "amount";
	if (strcmp(key, "next_from") == 0)
		return cal_date_parse(val, &j->q.next_from) == 0 ? NULL : "next_from";
	if (strcmp(key, "next_to") == 0)
		return cal_date_parse(val, &j->q.next_to) == 0 ? NULL : "next_to";
	if (strcmp(key, "email") == 0)
		return take_text(val, j->email, sizeof(j->email), &j->q.email) ? NULL : "email";
	if (strcmp(key, "card_expiry") == 0) {
		if (!expiry_valid(val))
			return "card_expiry";
		memcpy(j->expiry, val, 5);
		j->q.card_expiry = j->expiry;
		return NULL;
	}
	if (strcmp(key, "currency") == 0) {
		if (money_currency_find(val) == NULL)
			return "currency";
		memcpy(j->currency, val, 4);
		j->q.currency = j->currency;
		return NULL;
	}
	if (strcmp(key, "format") == 0 && j->export) {
		if (strcmp(val, "csv") != 0 && strcmp(val, "txt") != 0)
			return "format";
		j->txt = strcmp(val, "txt") == 0;
		return NULL;
	}
	if (strcmp(key, "layout") == 0 && j->export) {
		if (export_layout_parse(val, &j->layout) != 0)
			return "layout";
		return NULL;
	}
	if (strcmp(key, "limit") == 0 && !j->export) {
		if (query_id(val, &n) != 0 || n > RB_PAGE_MAX)
			return "limit";
		j->q.limit = (int)n;
		return NULL;
	}
	if (strcmp(key, "cursor") == 0 && !j->export)
		return filter_cursor(val, &j->q.after_created_at, &j->q.after_id) == 0 ? NULL
		                                                                       : "cursor";
	return "query";
}

/* Fills j->q from the query string. NULL: all good; else the name of the bad parameter (in
 * the request's pool when it is the one given twice). */
static const char *
parse_search(struct req *r, struct rb_job *j)
{
	const char *bad;

	j->q.brand_id = j->who.brand_id;
	j->q.node_id = j->who.node_id;
	j->q.kind = j->kind;
	j->q.status = -1;
	j->q.limit = j->export ? RB_EXPORT_ROWS : RB_PAGE_DEFAULT;
	if ((bad = query_each_once(r, parse_one, j)) != NULL)
		return bad;
	if (!j->have_from)
		return "from";
	if (!j->have_to || j->q.to <= j->q.from)
		return "to";
	if (j->q.next_from && j->q.next_to && j->q.next_to < j->q.next_from)
		return "next_to";
	return NULL;
}

/* --- the journal ----------------------------------------------------------------------------- */

static int
item_push(void *arg, const struct recurring *rc)
{
	struct rb_job *j = arg;

	json_array_append_new(j->result, recurring_json(rc, NULL));
	j->page.last_at = rc->created_at;
	j->page.last_id = rc->id;
	j->page.n++;
	return ST_OK;
}

static int
search_run(struct work_job *w, struct store *st)
{
	struct rb_job *j = (struct rb_job *)w;
	json_t *items;
	int rc = api_scope(st, &j->who, j->node, &j->q.node_id);

	if (rc != ST_OK)
		return rc;
	j->result = json_array();
	rc = st->ops->recurring_search(st, &j->q, item_push, j);
	if (rc != ST_OK)
		return rc;
	items = j->result;
	/* A full page may have a next one: its cursor is the last row's key. */
	j->result = json_pack("{s:o, s:o}", "items", items, "next",
	                      j->page.n == j->q.limit
	                              ? json_sprintf("%lld.%lld", (long long)j->page.last_at,
	                                             (long long)j->page.last_id)
	                              : json_null());
	return ST_OK;
}

static int
search(struct req *r, enum recurring_kind kind)
{
	struct rb_job *j = rb_new(r, kind);
	const char *bad = parse_search(r, j);

	if (bad != NULL) {
		rb_free(&j->page.base);
		json_bad_field(r, bad, RB_FILTERS_HELP " limit and cursor page the journal.");
		return 0;
	}
	j->page.base.work.run = search_run;
	return http_submit_or_reply(r, &j->page.base, false);
}

int
api_plans_search(struct req *r)
{
	return search(r, RK_PLAN);
}

int
api_subscriptions_search(struct req *r)
{
	return search(r, RK_SUBSCRIPTION);
}

/* --- details ------------------------------------------------------------------------------------ */

/* The plan or subscription j->id of j->kind within the user's node, with its debits. */
static int
details_of(struct rb_job *j, struct store *st, struct recurring *rc, json_t **out)
{
	json_t *debits;
	int s = st->ops->recurring_get(st, j->who.brand_id, 0, j->who.node_id, j->id, rc);

	if (s == ST_OK && rc->kind != j->kind)
		s = ST_NOTFOUND;
	if (s != ST_OK)
		return s;
	debits = json_array();
	s = st->ops->recurring_debits_each(st, rc->brand_id, rc->id, debit_push, debits);
	if (s != ST_OK) {
		json_decref(debits);
		return s;
	}
	*out = recurring_json(rc, debits);
	return ST_OK;
}

/* What the user may do on it now: terminate, when their profile may and it is in progress. */
static void
operations_add(const struct rb_job *j, const struct recurring *rc, json_t *o)
{
	const char *route = j->kind == RK_PLAN ? "/bo/api/installment-plans/{id}/terminate"
	                                       : "/bo/api/subscriptions/{id}/terminate";
	bool live = rc->status == RS_IN_PROGRESS || rc->status == RS_WILL_FAIL;

	json_object_set_new(o, "operations",
	                    json_pack("{s:b}", "terminate",
	                              live && routes_allow("POST", route, j->who.profile)));
	json_object_set_new(o, "shop_id", json_integer(rc->shop_id));
}

static int
details_run(struct work_job *w, struct store *st)
{
	struct rb_job *j = (struct rb_job *)w;
	struct recurring rc;
	int s = details_of(j, st, &rc, &j->result);

	if (s == ST_OK)
		operations_add(j, &rc, j->result);
	return s;
}

static int
details(struct req *r, enum recurring_kind kind)
{
	static const char *const nothing[] = {NULL};
	struct rb_job *j;
	char bad[24];

	if (query_unknown(r, nothing, bad, sizeof(bad)) != 0) {
		json_bad_field(r, bad, "Unknown query parameter.");
		return 0;
	}
	j = rb_new(r, kind);
	j->page.base.work.run = details_run;
	return http_submit_or_reply(r, &j->page.base, false);
}

int
api_plans_get(struct req *r)
{
	return details(r, RK_PLAN);
}

int
api_subscriptions_get(struct req *r)
{
	return details(r, RK_SUBSCRIPTION);
}

/* --- terminate (Vision manual §6.1.3, §7.1.3) ----------------------------------------------------- */

static int
terminate_run(struct work_job *w, struct store *st)
{
	struct rb_job *j = (struct rb_job *)w;
	struct actor who = {j->who.user_id, j->who.name, j->who.login};
	struct recurring rc;
	int64_t now = clock_now_us();
	char details[RECURRING_REASON_MAX + 96];
	int s = recurring_terminate(st, j->who.brand_id, j->who.node_id, j->kind, j->id, j->reason,
	                            &who, now, &rc, &j->why);

	if (s != ST_OK)
		return s;
	if (j->kind == RK_PLAN)
		snprintf(details, sizeof(details), "installment plan %lld", (long long)j->id);
	else if (j->reason[0] == '\0')
		snprintf(details, sizeof(details), "subscription %lld", (long long)j->id);
	else
		snprintf(details, sizeof(details), "subscription %lld, reason: %s",
		         (long long)j->id, j->reason);
	api_action_add(st, &j->who, now,
	               j->kind == RK_PLAN ? "plan_terminated" : "subscription_terminated", details,
	               NULL, &s);
	if (s == ST_OK)
		s = details_of(j, st, &rc, &j->result);
	if (s == ST_OK)
		operations_add(j, &rc, j->result);
	return s;
}

static int
terminate(struct req *r, enum recurring_kind kind)
{
	static const char *const with_reason[] = {"reason", NULL};
	static const char *const nothing[] = {NULL};
	struct rb_job *j;
	json_t *o;

	if ((o = json_body_object(r, true)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, kind == RK_SUBSCRIPTION ? with_reason : nothing)) {
		json_decref(o);
		return 0;
	}
	j = rb_new(r, kind);
	/* An empty reason is none, as the form sends when its field is left blank. */
	if (json_is_string(json_object_get(o, "reason")) &&
	    json_string_length(json_object_get(o, "reason")) == 0)
		json_object_del(o, "reason");
	if (json_get_text(o, "reason", j->reason, sizeof(j->reason)) < 0) {
		json_decref(o);
		rb_free(&j->page.base);
		json_bad_field(r, "reason",
		               "reason is text of at most 250 bytes (UTF-8), without control "
		               "characters; it may be left out.");
		return 0;
	}
	json_decref(o);
	j->page.base.work.run = terminate_run;
	return http_submit_or_reply(r, &j->page.base, true);
}

int
api_plans_terminate(struct req *r)
{
	return terminate(r, RK_PLAN);
}

int
api_subscriptions_terminate(struct req *r)
{
	return terminate(r, RK_SUBSCRIPTION);
}

/* --- export (SPEC §5: CSV or TXT, the user's columns and zone, streamed) ------------------------- */

static enum journal
journal_of(enum recurring_kind kind)
{
	return kind == RK_PLAN ? JOURNAL_PLANS : JOURNAL_SUBSCRIPTIONS;
}

struct export_ctx {
	struct rb_job *j;
	struct export_out *o;
};

static int
export_row(void *arg, const struct recurring *rc)
{
	struct export_ctx *x = arg;
	char scratch[COLUMN_VALUE_MAX];

	x->o->currency = rc->currency;
	for (int i = 0; i < x->j->cols.n; i++)
		columns_put(x->o, journal_of(x->j->kind), x->j->cols.v[i],
		            column_recurring(x->j->cols.v[i], rc, x->j->zone, scratch));
	return export_row_end(&x->j->page, x->o, rc->created_at, rc->id);
}

/* Reader: one page of the export; the first starts with the header line. */
static int
export_page_run(struct work_job *w, struct store *st)
{
	struct rb_job *j = (struct rb_job *)w;
	struct buf b;
	struct export_out o;
	struct export_ctx x = {j, &o};
	int rc = api_scope(st, &j->who, j->node, &j->q.node_id);

	if (rc == ST_OK && !j->prefs_loaded) {
		j->zone = api_zone(&j->who);
		if (j->layout == LAYOUT_OLD) /* the old layout's columns never change */
			columns_old(journal_of(j->kind), &j->cols);
		else
			rc = prefs_columns(st, j->who.user_brand_id, j->who.user_id,
			                   journal_of(j->kind), &j->cols);
		j->prefs_loaded = rc == ST_OK;
	}
	if (rc == ST_OK)
		rc = export_out_init(&o, &b, j->layout, j->txt, st, &j->who);
	if (rc != ST_OK)
		return rc;
	buf_init(&b, RB_EXPORT_CHUNK);
	if (j->q.after_created_at == 0)
		columns_header(&o, journal_of(j->kind), &j->cols);
	rc = st->ops->recurring_search(st, &j->q, export_row, &x);
	if (rc == ST_OK) {
		j->page.chunk_len = b.len;
		j->page.chunk = buf_take(&b);
	}
	buf_cleanup(&b);
	return rc;
}

/* The job of the page after (after_at, after_id), from the export's template. */
static struct export_page *
export_page_new(struct req *r, void *ctx, int64_t after_at, int64_t after_id)
{
	struct rb_job *tmpl = ctx, *j = rb_new(r, tmpl->kind);

	*j = *tmpl;
	repoint(j, tmpl);
	memset(&j->page, 0, sizeof(j->page));
	j->result = NULL;
	j->q.after_created_at = after_at;
	j->q.after_id = after_id;
	j->page.base.work.run = export_page_run;
	j->page.base.free = rb_free;
	return &j->page;
}

/* The next pages take the first one's columns and zone. */
static void
export_carry(void *ctx, const struct export_page *p)
{
	struct rb_job *tmpl = ctx;
	const struct rb_job *j = (const struct rb_job *)p;

	tmpl->cols = j->cols;
	tmpl->zone = j->zone;
	tmpl->prefs_loaded = true;
}

static int export(struct req *r, enum recurring_kind kind)
{
	struct rb_job *probe = rb_new(r, kind), *tmpl;
	struct export_source src;
	const char *bad;
	char *name;

	probe->export = true;
	bad = parse_search(r, probe);
	if (bad != NULL) {
		rb_free(&probe->page.base);
		json_bad_field(r, bad,
		               strcmp(bad, "layout") == 0 ? EXPORT_LAYOUT_HELP
		                                          : RB_FILTERS_HELP
		                       " The export takes the journal's filters, "
		                       "format (csv or txt) and layout.");
		return 0;
	}
	tmpl = h2o_mem_alloc_pool(&r->h2o->pool, sizeof(*tmpl));
	*tmpl = *probe;
	repoint(tmpl, probe);
	rb_free(&probe->page.base);
	src.page = export_page_new;
	src.carry = export_carry;
	src.ctx = tmpl;
	src.limit = RB_EXPORT_ROWS;
	src.txt = tmpl->txt;
	name = h2o_mem_alloc_pool(&r->h2o->pool, 64);
	export_file_name(name, 64, kind == RK_PLAN ? "installment-plans" : "subscriptions",
	                 tmpl->layout, api_zone(&tmpl->who), tmpl->q.from, tmpl->q.to);
	src.name = name;
	return export_stream(r, &src);
}

int
api_plans_export(struct req *r)
{
	return export(r, RK_PLAN);
}

int
api_subscriptions_export(struct req *r)
{
	return export(r, RK_SUBSCRIPTION);
}
