/*
 * reconciliation.c - the bank reconciliation journal as users read it (Vision manual §8, SPEC
 * §8; docs/RECONCILIATION.md):
 *
 *   GET  /bo/api/reconciliation[?from=…&to=…][&node=ID][&id=TXN][&contract=C][&rang=R]
 *            [&order_ref=P][&amount=CMP:N][&type=debit|credit][&batch=N][&batch_id=ID]
 *            [&jrb=N]
 *            [&batch_from=D&batch_to=D][&status=yes|error|none][&net=CMP:N][&limit=N]
 *            [&cursor=C]
 *        {"items":[{"id","created_at","order_ref","amount","currency","type","method",
 *                   "batch_id","batch_number","batch_at","jrb_number","reconciled",
 *                   "reconciled_at","net_amount","commission","commission_currency",
 *                   "contract","rang","shop_id"}…],"next":C|null}
 *   GET  /bo/api/reconciliation/export?format=csv|txt&…   the same, as a file, streamed
 *   GET  /bo/api/reconciliation/mismatches[?status=open|resolved|all][&kind=K][&node=ID]
 *            [&limit=N][&cursor=C]
 *   POST /bo/api/reconciliation/mismatches/{id}/resolve   {"comment":TEXT}
 *   POST /bo/api/reconciliation/files[?name=NAME]   the body: a return file
 *
 * The CB, VISA and MASTERCARD transactions of the shops of the user's node and below sent in
 * a batch, newest first, with their reconciliation (reconciled: "yes", "error", or null while
 * none came). A mismatch of another brand's or outside the node is 404.
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
#include "common/text.h"
#include "domain/calendar.h"
#include "domain/card.h"
#include "domain/recon.h"
#include "service/reconcile.h"

#define RC_PAGE_DEFAULT 50
#define RC_PAGE_MAX     500
#define RC_EXPORT_ROWS  5000
#define RC_EXPORT_CHUNK (8 * 1024 * 1024)
#define RC_REF_MAX      80
#define RC_COMMENT_MAX  500
#define RC_FILTERS_HELP                                                                            \
	"The filters: from and to (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in your time zone; by "     \
	"default all), node, id, contract, rang, order_ref ('%' wildcards), amount and net "       \
	"(eq:N, ge:N, le:N, ne:N in minor units), type (debit or credit), batch (a batch's "       \
	"number, as the batch journal shows it), batch_id (a batch's id), jrb (a JRB number), "    \
	"batch_from and batch_to (dates), status (yes, error or none)."

struct rc_job {
	struct export_page page; /* first: a page of an export, or the list */
	struct session who;
	struct recon_query q;
	struct recon_mismatch_query mq;
	int64_t node; /* node=ID: a node of the user's tree, else 0 (their own) */
	char contract[21], rang[4], like[2 * RC_REF_MAX + 3];
	bool export, txt;
	enum export_layout layout; /* export: layout= (export_layout.h) */
	const struct tz *zone;
	int want;  /* the list: rows a page */
	bool more; /* the list: a row beyond the page was found */
	json_t *result;
	/* A mismatch resolved. */
	int64_t id;
	char comment[RC_COMMENT_MAX + 1];
	/* A file uploaded. */
	char *data;
	size_t len;
	char name[128];
	struct reconcile_result *res;
};

static void
rc_free(struct http_job *hj)
{
	struct rc_job *j = (struct rc_job *)hj;

	json_decref(j->result);
	free(j->page.chunk);
	free(j->data);
	free(j->res);
	free(j);
}

static void
rc_respond(struct http_job *hj, struct req *r)
{
	struct rc_job *j = (struct rc_job *)hj;
	int rc = j->page.base.work.rc;

	if (rc == ST_CONFLICT && j->id != 0) {
		http_reply_error(r, rc, "already_resolved", "This mismatch was resolved already.");
		return;
	}
	if (rc != ST_OK) {
		http_reply_error(r, rc, NULL, NULL);
		return;
	}
	http_reply_json(r, j->res != NULL && !j->res->already ? 201 : 200, j->result);
	j->result = NULL;
}

static struct rc_job *
rc_new(struct req *r)
{
	struct rc_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = r->session;
	j->zone = api_zone(&j->who);
	j->page.base.respond = rc_respond;
	j->page.base.free = rc_free;
	return j;
}

/* The query's strings point into the job that carries them. */
static void
repoint(struct rc_job *j, const struct rc_job *from)
{
	j->q.contract_number = from->q.contract_number != NULL ? j->contract : NULL;
	j->q.rang = from->q.rang != NULL ? j->rang : NULL;
	j->q.order_ref_like = from->q.order_ref_like != NULL ? j->like : NULL;
}

/* --- query strings ------------------------------------------------------------------------- */

static const char *
parse_one(void *ctx, const char *key, char *val)
{
	struct rc_job *j = ctx;
	int64_t n;

	if (strcmp(key, "from") == 0)
		return filter_when(val, j->zone, false, &j->q.from) == 0 ? NULL : "from";
	if (strcmp(key, "to") == 0)
		return filter_when(val, j->zone, true, &j->q.to) == 0 ? NULL : "to";
	if (strcmp(key, "batch_from") == 0)
		return filter_when(val, j->zone, false, &j->q.batch_from) == 0 ? NULL
		                                                               : "batch_from";
	if (strcmp(key, "batch_to") == 0)
		return filter_when(val, j->zone, true, &j->q.batch_to) == 0 ? NULL : "batch_to";
	if (strcmp(key, "node") == 0)
		return query_id(val, &j->node) == 0 ? NULL : "node";
	if (strcmp(key, "id") == 0)
		return query_id(val, &j->q.txn_id) == 0 ? NULL : "id";
	if (strcmp(key, "batch") == 0) /* the number the batch journal shows */
		return query_id(val, &j->q.batch_number) == 0 ? NULL : "batch";
	if (strcmp(key, "batch_id") == 0)
		return query_id(val, &j->q.batch_id) == 0 ? NULL : "batch_id";
	if (strcmp(key, "jrb") == 0)
		return query_id(val, &j->q.jrb_number) == 0 ? NULL : "jrb";
	if (strcmp(key, "contract") == 0) {
		if (!filter_text(val, sizeof(j->contract)))
			return "contract";
		snprintf(j->contract, sizeof(j->contract), "%s", val);
		j->q.contract_number = j->contract;
		return NULL;
	}
	if (strcmp(key, "rang") == 0) {
		if (strlen(val) != 3 || strspn(val, "0123456789") != 3)
			return "rang";
		snprintf(j->rang, sizeof(j->rang), "%s", val);
		j->q.rang = j->rang;
		return NULL;
	}
	if (strcmp(key, "order_ref") == 0) {
		if (!filter_text(val, RC_REF_MAX + 1))
			return "order_ref";
		filter_like(val, j->like, sizeof(j->like));
		j->q.order_ref_like = j->like;
		return NULL;
	}
	if (strcmp(key, "amount") == 0)
		return filter_amount(val, &j->q.amount_cmp, &j->q.amount) == 0 ? NULL : "amount";
	if (strcmp(key, "net") == 0)
		return filter_amount(val, &j->q.net_cmp, &j->q.net) == 0 ? NULL : "net";
	if (strcmp(key, "type") == 0) {
		if (strcmp(val, "debit") == 0)
			j->q.type = TXN_DEBIT;
		else if (strcmp(val, "credit") == 0)
			j->q.type = TXN_REFUND;
		else
			return "type";
		return NULL;
	}
	if (strcmp(key, "status") == 0) {
		static const char *const names[] = {"none", "yes", "error"};

		for (int i = 0; i < 3; i++)
			if (strcmp(val, names[i]) == 0) {
				j->q.status = i;
				return NULL;
			}
		return "status";
	}
	if (strcmp(key, "format") == 0 && j->export) {
		if (strcmp(val, "csv") != 0 && strcmp(val, "txt") != 0)
			return "format";
		j->txt = strcmp(val, "txt") == 0;
		return NULL;
	}
	if (strcmp(key, "layout") == 0 && j->export)
		return export_layout_parse(val, &j->layout) == 0 ? NULL : "layout";
	if (strcmp(key, "limit") == 0 && !j->export) {
		if (query_id(val, &n) != 0 || n < 1 || n > RC_PAGE_MAX)
			return "limit";
		j->q.limit = (int)n;
		return NULL;
	}
	if (strcmp(key, "cursor") == 0 && !j->export)
		return filter_cursor(val, &j->q.after_at, &j->q.after_id) == 0 ? NULL : "cursor";
	return "query";
}

/* Parses r's query into a new job, or answers 400 naming the bad parameter (NULL then). */
static struct rc_job *
rc_parse(struct req *r, bool export)
{
	struct rc_job *j = rc_new(r);
	const char *bad;

	j->export = export;
	j->q.brand_id = j->who.brand_id;
	j->q.limit = export ? RC_EXPORT_ROWS : RC_PAGE_DEFAULT;
	j->q.type = -1;
	j->q.status = -1;
	j->q.to = INT64_MAX;
	bad = query_each_once(r, parse_one, j);
	if (bad == NULL && j->q.from >= j->q.to)
		bad = "to";
	if (bad == NULL)
		return j;
	rc_free(&j->page.base);
	json_bad_field(r, bad,
	               strcmp(bad, "layout") == 0 ? EXPORT_LAYOUT_HELP
	               : export                   ? RC_FILTERS_HELP
	                       " The export takes format (csv or txt) and layout."
	                        : RC_FILTERS_HELP " limit (1 to 500) and cursor page the list.");
	return NULL;
}

/* --- the journal ------------------------------------------------------------------------------ */

static const char *const status_names[] = {NULL, "yes", "error"};

static json_t *
instant_json(const struct rc_job *j, int64_t t_us)
{
	char text[26];

	if (t_us == 0)
		return json_null();
	tz_format_iso(j->zone, t_us, text);
	return json_string(text);
}

static int
row_push(void *arg, const struct recon_row *x)
{
	struct rc_job *j = arg;
	bool has = x->status != 0, jrb = has && x->jrb_number > 0;
	json_t *v;

	if (j->page.n == j->want) {
		j->more = true;
		return ST_OK;
	}
	v = json_pack("{s:o, s:o, s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, "
	              "s:o, s:s, s:s, s:I}",
	              "id", json_sprintf("%lld", (long long)x->txn_id), "created_at",
	              instant_json(j, x->created_at), "order_ref", x->order_ref, "amount",
	              (json_int_t)x->amount, "currency", x->currency, "type",
	              x->type == TXN_REFUND ? "credit" : "debit", "method",
	              card_method_name(x->method), "batch_id", (json_int_t)x->batch_id,
	              "batch_number", (json_int_t)x->batch_number, "batch_at",
	              instant_json(j, x->batch_at), "jrb_number",
	              jrb ? json_integer(x->jrb_number) : json_null(), "reconciled",
	              has ? json_string(status_names[x->status]) : json_null(), "reconciled_at",
	              has ? instant_json(j, x->reconciled_at) : json_null(), "net_amount",
	              jrb ? json_integer(x->net_amount) : json_null(), "commission",
	              jrb ? json_integer(x->commission) : json_null(), "commission_currency",
	              jrb ? json_string(x->commission_currency) : json_null(), "contract",
	              x->contract_number, "rang", x->rang, "shop_id", (json_int_t)x->shop_id);
	if (v == NULL)
		return ST_INTERNAL;
	json_array_append_new(j->result, v);
	j->page.last_at = x->created_at;
	j->page.last_id = x->txn_id;
	j->page.n++;
	return ST_OK;
}

/* The list's answer: its items and the next page's cursor, "AT.ID" (filters.h). */
static int
list_end(struct rc_job *j)
{
	json_t *items = j->result;

	j->result = json_pack("{s:o, s:o}", "items", items, "next",
	                      j->more ? json_sprintf("%lld.%lld", (long long)j->page.last_at,
	                                             (long long)j->page.last_id)
	                              : json_null());
	return j->result != NULL ? ST_OK : ST_INTERNAL;
}

static int
journal_run(struct work_job *w, struct store *st)
{
	struct rc_job *j = (struct rc_job *)w;
	int rc = api_scope(st, &j->who, j->node, &j->q.node_id);

	if (rc != ST_OK)
		return rc;
	j->result = json_array();
	j->want = j->q.limit;
	j->q.limit++; /* one more: whether a next page exists */
	rc = st->ops->recon_search(st, &j->q, row_push, j);
	return rc != ST_OK ? rc : list_end(j);
}

int
api_reconciliation_search(struct req *r)
{
	struct rc_job *j = rc_parse(r, false);

	if (j == NULL)
		return 0;
	j->page.base.work.run = journal_run;
	return http_submit_or_reply(r, &j->page.base, false);
}

/* --- export (the journal's columns, Vision manual §8.1.2) -------------------------------------- */

static const char *const export_columns[] = {"id",         "created_at",   "order_ref",
                                             "amount",     "currency",     "type",
                                             "batch_id",   "batch_number", "jrb_number",
                                             "batch_at",   "reconciled",   "reconciled_at",
                                             "net_amount", "commission",   "commission_currency",
                                             "contract",   "rang",         NULL};

/* How the classic layout writes each column (export_layout.h). */
static const enum export_kind export_kinds[] = {
        EK_NUMBER, EK_INSTANT, EK_TEXT,   EK_AMOUNT,  EK_TEXT, EK_WORD,
        EK_NUMBER, EK_NUMBER,  EK_NUMBER, EK_INSTANT, EK_WORD, EK_INSTANT,
        EK_AMOUNT, EK_AMOUNT,  EK_TEXT,   EK_TEXT,    EK_TEXT};
_Static_assert(sizeof(export_kinds) / sizeof(export_kinds[0]) ==
                       sizeof(export_columns) / sizeof(export_columns[0]) - 1,
               "a kind for each exported column");
#define RC_COL_TYPE       5
#define RC_COL_COMMISSION 13

struct export_ctx {
	struct rc_job *j;
	struct export_out *o;
};

static void
amount_text(int64_t v, char out[24])
{
	snprintf(out, 24, "%lld", (long long)v);
}

static int
export_row(void *arg, const struct recon_row *x)
{
	struct export_ctx *e = arg;
	bool has = x->status != 0, jrb = has && x->jrb_number > 0;
	char id[24], at[26], amount[24], batch[24], bnum[24], jrbn[24], bat[26], rat[26], net[24],
	        com[24];
	const char *values[] = {id,
	                        at,
	                        x->order_ref,
	                        amount,
	                        x->currency,
	                        x->type == TXN_REFUND ? "credit" : "debit",
	                        batch,
	                        bnum,
	                        jrbn,
	                        bat,
	                        has ? status_names[x->status] : "",
	                        rat,
	                        net,
	                        com,
	                        jrb ? x->commission_currency : "",
	                        x->contract_number,
	                        x->rang};

	amount_text(x->txn_id, id);
	tz_format_iso(e->j->zone, x->created_at, at);
	amount_text(x->amount, amount);
	amount_text(x->batch_id, batch);
	amount_text(x->batch_number, bnum);
	jrbn[0] = net[0] = com[0] = rat[0] = '\0';
	if (jrb) {
		amount_text(x->jrb_number, jrbn);
		amount_text(x->net_amount, net);
		amount_text(x->commission, com);
	}
	if (has)
		tz_format_iso(e->j->zone, x->reconciled_at, rat);
	tz_format_iso(e->j->zone, x->batch_at, bat);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		e->o->currency = i == RC_COL_COMMISSION ? x->commission_currency : x->currency;
		export_put(e->o, export_kinds[i], i == RC_COL_TYPE ? "tx.type" : "yes_no",
		           values[i]);
	}
	return export_row_end(&e->j->page, e->o, x->created_at, x->txn_id);
}

/* Reader: one page of the export; the first starts with the header line. */
static int
export_page_run(struct work_job *w, struct store *st)
{
	struct rc_job *j = (struct rc_job *)w;
	struct buf b;
	struct export_out o;
	struct export_ctx x = {j, &o};
	int rc = api_scope(st, &j->who, j->node, &j->q.node_id);

	if (rc == ST_OK)
		rc = export_out_init(&o, &b, j->layout, j->txt, st, &j->who);
	if (rc != ST_OK)
		return rc;
	buf_init(&b, RC_EXPORT_CHUNK);
	if (j->q.after_at == 0)
		export_out_header(&o, "reconciliation", export_columns);
	rc = st->ops->recon_search(st, &j->q, export_row, &x);
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
	struct rc_job *tmpl = ctx, *j = rc_new(r);

	*j = *tmpl;
	repoint(j, tmpl);
	memset(&j->page, 0, sizeof(j->page));
	j->result = NULL;
	j->q.after_at = after_at;
	j->q.after_id = after_id;
	j->page.base.work.run = export_page_run;
	j->page.base.respond = rc_respond;
	j->page.base.free = rc_free;
	return &j->page;
}

int
api_reconciliation_export(struct req *r)
{
	struct rc_job *probe = rc_parse(r, true), *tmpl;
	struct export_source src = {0};
	char *name;

	if (probe == NULL)
		return 0;
	tmpl = h2o_mem_alloc_pool(&r->h2o->pool, sizeof(*tmpl));
	*tmpl = *probe;
	repoint(tmpl, probe);
	rc_free(&probe->page.base);
	src.page = export_page_new;
	src.ctx = tmpl;
	src.limit = RC_EXPORT_ROWS;
	src.txt = tmpl->txt;
	name = h2o_mem_alloc_pool(&r->h2o->pool, 64);
	export_file_name(name, 64, "reconciliation", tmpl->layout, tmpl->zone, tmpl->q.from,
	                 tmpl->q.to);
	src.name = name;
	return export_stream(r, &src);
}

/* --- the queue of mismatches ------------------------------------------------------------------- */

static json_t *
mismatch_json(const struct rc_job *j, const struct recon_mismatch_row *m)
{
	json_t *v = json_pack(
	        "{s:I, s:s, s:o, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:s, s:o, s:b, s:o, s:o, "
	        "s:o, s:I}",
	        "id", (json_int_t)m->id, "kind", recon_kind_name((enum recon_kind)m->kind),
	        "transaction_id",
	        m->txn_id ? json_sprintf("%lld", (long long)m->txn_id) : json_null(), "reference",
	        m->reference, "batch_id", (json_int_t)m->batch_id, "batch_number",
	        (json_int_t)m->batch_number, "jrb_number", (json_int_t)m->jrb_number, "contract",
	        m->contract_number, "rang", m->rang, "expected", (json_int_t)m->expected,
	        "received", (json_int_t)m->received, "currency", m->currency, "created_at",
	        instant_json(j, m->created_at), "resolved", m->resolved_at > 0, "resolved_at",
	        instant_json(j, m->resolved_at), "resolved_by",
	        m->resolved_at > 0 ? json_string(m->resolved_by) : json_null(), "comment",
	        m->resolved_at > 0 ? json_string(m->comment) : json_null(), "file_id",
	        (json_int_t)m->file_id);

	if (v == NULL)
		abort();
	return v;
}

static int
mismatch_push(void *arg, const struct recon_mismatch_row *m)
{
	struct rc_job *j = arg;

	if (j->page.n == j->want) {
		j->more = true;
		return ST_OK;
	}
	json_array_append_new(j->result, mismatch_json(j, m));
	j->page.last_at = m->created_at;
	j->page.last_id = m->id;
	j->page.n++;
	return ST_OK;
}

static int
mismatches_run(struct work_job *w, struct store *st)
{
	struct rc_job *j = (struct rc_job *)w;
	int rc = api_scope(st, &j->who, j->node, &j->mq.node_id);

	if (rc != ST_OK)
		return rc;
	j->result = json_array();
	j->want = j->mq.limit;
	j->mq.limit++;
	rc = st->ops->recon_mismatches_each(st, &j->mq, mismatch_push, j);
	return rc != ST_OK ? rc : list_end(j);
}

static const char *
mismatch_param(void *ctx, const char *key, char *val)
{
	struct rc_job *j = ctx;
	int64_t n;

	if (strcmp(key, "status") == 0) {
		if (strcmp(val, "open") == 0)
			j->mq.open = 1;
		else if (strcmp(val, "resolved") == 0)
			j->mq.open = 0;
		else if (strcmp(val, "all") == 0)
			j->mq.open = -1;
		else
			return "status";
		return NULL;
	}
	if (strcmp(key, "kind") == 0)
		return (j->mq.kind = recon_kind_parse(val)) >= 0 ? NULL : "kind";
	if (strcmp(key, "node") == 0)
		return query_id(val, &j->node) == 0 ? NULL : "node";
	if (strcmp(key, "limit") == 0) {
		if (query_id(val, &n) != 0 || n < 1 || n > RC_PAGE_MAX)
			return "limit";
		j->mq.limit = (int)n;
		return NULL;
	}
	if (strcmp(key, "cursor") == 0)
		return filter_cursor(val, &j->mq.after_at, &j->mq.after_id) == 0 ? NULL : "cursor";
	return "query";
}

int
api_reconciliation_mismatches(struct req *r)
{
	struct rc_job *j = rc_new(r);
	const char *bad;

	j->mq.brand_id = j->who.brand_id;
	j->mq.open = 1;
	j->mq.kind = -1;
	j->mq.limit = RC_PAGE_DEFAULT;
	bad = query_each_once(r, mismatch_param, j);
	if (bad != NULL) {
		rc_free(&j->page.base);
		json_bad_field(r, bad,
		               "status (open, resolved or all; open by default), kind (amount, "
		               "unknown or missing), node, limit (1 to 500) and cursor.");
		return 0;
	}
	j->page.base.work.run = mismatches_run;
	return http_submit_or_reply(r, &j->page.base, false);
}

/* Writer: the mismatch, when it is of a shop within the user's node; resolved with its
 * action-log line. */
static int
resolve_run(struct work_job *w, struct store *st)
{
	struct rc_job *j = (struct rc_job *)w;
	struct recon_mismatch_row m;
	int64_t now = clock_now_us();
	bool within = false;
	char details[700];
	int rc = st->ops->recon_mismatch_get(st, j->who.brand_id, j->id, &m);

	if (rc == ST_OK)
		rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, m.shop_id, &within);
	if (rc == ST_OK && !within)
		rc = ST_NOTFOUND;
	if (rc == ST_OK)
		rc = st->ops->recon_mismatch_resolve(st, j->who.brand_id, j->id, j->who.login,
		                                     j->comment, now);
	if (rc == ST_OK) {
		snprintf(details, sizeof(details), "mismatch: %lld (%s, batch %lld); comment: %s",
		         (long long)j->id, recon_kind_name((enum recon_kind)m.kind),
		         (long long)m.batch_id, j->comment);
		api_action_add(st, &j->who, now, "reconciliation_resolved", details, NULL, &rc);
	}
	if (rc == ST_OK)
		rc = st->ops->recon_mismatch_get(st, j->who.brand_id, j->id, &m);
	if (rc == ST_OK)
		j->result = mismatch_json(j, &m);
	return rc;
}

int
api_reconciliation_resolve(struct req *r)
{
	static const char *const allowed[] = {"comment", NULL};
	json_t *o = json_body_object(r, false);
	struct rc_job *j;

	if (o == NULL)
		return 0;
	if (json_refuse_unknown(r, o, allowed)) {
		json_decref(o);
		return 0;
	}
	j = rc_new(r);
	j->id = r->path_id;
	if (json_take_text(r, o, "comment", j->comment, sizeof(j->comment), true)) {
		json_decref(o);
		rc_free(&j->page.base);
		return 0;
	}
	json_decref(o);
	j->page.base.work.run = resolve_run;
	return http_submit_or_reply(r, &j->page.base, true);
}

/* --- a return file uploaded --------------------------------------------------------------------- */

static json_t *
file_json(const struct reconcile_result *res)
{
	char at[25];
	json_t *v;

	cal_instant_format(res->file.imported_at, at);
	v = json_pack("{s:b, s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
	              "already_imported", res->already, "id", (json_int_t)res->file.id, "name",
	              res->file.name, "digest", res->file.digest, "batch_id",
	              (json_int_t)res->file.batch_id, "jrb_number",
	              (json_int_t)res->file.jrb_number, "imported_at", at, "source",
	              res->file.source, "lines", (json_int_t)res->file.line_count, "matched",
	              (json_int_t)res->file.matched, "mismatched", (json_int_t)res->file.mismatched,
	              "amount_differs", (json_int_t)res->amount, "unknown",
	              (json_int_t)res->unknown, "missing", (json_int_t)res->missing);
	if (v == NULL)
		abort();
	return v;
}

static void
upload_respond(struct http_job *hj, struct req *r)
{
	struct rc_job *j = (struct rc_job *)hj;
	const struct recon_file *f = &j->res->parsed;
	json_t *errors, *body;
	char *text;

	if (j->page.base.work.rc == ST_INVALID) {
		errors = json_array();
		for (int i = 0; i < f->nerrors; i++)
			json_array_append_new(errors,
			                      json_pack("{s:i, s:s}", "line", f->errors[i].lineno,
			                                "message", f->errors[i].text));
		body = json_pack("{s:s, s:s, s:o, s:i}", "error", "invalid_file", "message",
		                 "The file was refused and nothing of it imported: see errors "
		                 "(docs/RECONCILIATION.md has the format).",
		                 "errors", errors, "more_errors", f->errors_more);
		text = json_dumps(body, JSON_COMPACT);
		http_reply_raw(r, 400, text, strlen(text));
		free(text);
		json_decref(body);
		return;
	}
	if (j->page.base.work.rc == ST_NOTFOUND) {
		http_reply_error(r, ST_NOTFOUND, NULL,
		                 "The batch the file's header names is unknown in your scope.");
		return;
	}
	rc_respond(hj, r);
}

static int
upload_run(struct work_job *w, struct store *st)
{
	struct rc_job *j = (struct rc_job *)w;
	int64_t now = clock_now_us();
	char details[300];
	int rc = reconcile_import(st, j->name, j->data, j->len, "upload", j->who.login,
	                          j->who.brand_id, j->who.node_id, now, j->res);

	if (rc == ST_OK && !j->res->already) {
		snprintf(details, sizeof(details),
		         "file: %s; batch: %lld; lines: %lld; mismatches: %lld", j->name,
		         (long long)j->res->file.batch_id, (long long)j->res->file.line_count,
		         (long long)j->res->file.mismatched);
		api_action_add(st, &j->who, now, "reconciliation_imported", details, NULL, &rc);
	}
	if (rc == ST_OK)
		j->result = file_json(j->res);
	return rc;
}

int
api_reconciliation_upload(struct req *r)
{
	h2o_iovec_t body = http_body(r);
	struct rc_job *j;
	char name[128];
	int got = query_get(r, "name", name, sizeof(name));

	if (got < 0 || (got == 1 && (!text_is_safe(name, strlen(name)) || name[0] == '\0' ||
	                             strchr(name, '/') != NULL))) {
		json_bad_field(r, "name", "The file's name: a text of 1 to 127 bytes, no '/'.");
		return 0;
	}
	if (body.len == 0) {
		json_bad_field(r, "file",
		               "The body must be the return file itself "
		               "(docs/RECONCILIATION.md).");
		return 0;
	}
	j = rc_new(r);
	snprintf(j->name, sizeof(j->name), "%s", got == 1 ? name : "upload.txt");
	j->data = malloc(body.len);
	if (j->data == NULL)
		abort();
	memcpy(j->data, body.base, body.len);
	j->len = body.len;
	j->res = calloc(1, sizeof(*j->res));
	if (j->res == NULL)
		abort();
	j->page.base.respond = upload_respond;
	j->page.base.work.run = upload_run;
	return http_submit_or_reply(r, &j->page.base, true);
}
