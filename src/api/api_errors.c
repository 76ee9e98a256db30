/*
 * api_errors.c - the merchant API's error log as users read it (SPEC §14, §16.1; Ingenico
 * guide 3.2.10 "Journaux d'erreur"):
 *
 *   GET /bo/api/api-errors[?from=…&to=…][&node=ID][&code=C][&path=TEXT][&status=N]
 *                         [&limit=N][&cursor=C]
 *       {"items":[{"id","at","shop_id","shop_name","site","rang","method","path",
 *                  "http_status","code","field","message","count"}…],"next":C|null,
 *        "from","to"}
 *   GET /bo/api/api-errors/export?format=csv|txt&…   the same search as a file, streamed
 *
 * The refusals the merchant API answered the shops of the user's node and below (node=: a
 * node of their tree; another is 404), in a period within the last 3 days of the user's zone
 * (domain/api_error.h; by default all of it), newest first. Each row counts the same refusal
 * (shop, method, path, status, code, member) within a minute (http/errlog.c). Never a body, a
 * card, a signature or a key: the log holds none. The message is the one the API answers with
 * the code (http_message_of; an operation's denial its domain message); an invalid_field's
 * own message named its member, which the row keeps instead ("field").
 *
 * Not the gathering (http/errlog.c) nor the retention (jobs/retention.c).
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
#include "common/clock.h"
#include "domain/api_error.h"
#include "domain/calendar.h"

#define AE_PAGE_DEFAULT 50
#define AE_PAGE_MAX     500
#define AE_EXPORT_ROWS  5000
#define AE_EXPORT_CHUNK (8 * 1024 * 1024)
#define AE_PATH_MAX     100 /* the longest path filter, in bytes */
#define AE_FILTERS_HELP                                                                            \
	"from and to (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in your time zone) are optional: the "   \
	"log keeps the last 3 days; the other filters: node, code (an error code such as "         \
	"bad_signature), path (a part of the route), status (an HTTP status, 400 to 599)."

struct ae_job {
	struct export_page page; /* first: a page of an export, or the list */
	struct session who;
	struct api_error_query q;
	int64_t node; /* node=ID: a node of the user's tree, else 0 (their own) */
	char code[40];
	char like[2 * AE_PATH_MAX + 3];
	bool export, txt;
	enum export_layout layout; /* export: layout= (export_layout.h) */
	const struct tz *zone;
	int want;  /* the list: rows a page */
	bool more; /* the list: a row beyond the page was found */
	bool have_from, have_to;
	json_t *result;
};

static void
ae_free(struct http_job *hj)
{
	struct ae_job *j = (struct ae_job *)hj;

	json_decref(j->result);
	free(j->page.chunk);
	free(j);
}

static void
ae_respond(struct http_job *hj, struct req *r)
{
	struct ae_job *j = (struct ae_job *)hj;

	if (j->page.base.work.rc != ST_OK) {
		http_reply_error(r, j->page.base.work.rc, NULL, NULL);
		return;
	}
	http_reply_json(r, 200, j->result);
	j->result = NULL;
}

static struct ae_job *
ae_new(struct req *r)
{
	struct ae_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = r->session;
	j->zone = api_zone(&j->who);
	j->page.base.respond = ae_respond;
	j->page.base.free = ae_free;
	return j;
}

/* The query's strings point into the job that carries them. */
static void
repoint(struct ae_job *j, const struct ae_job *from)
{
	j->q.code = from->q.code != NULL ? j->code : NULL;
	j->q.path_like = from->q.path_like != NULL ? j->like : NULL;
}

/* --- query string ------------------------------------------------------------------------- */

/* "%TEXT%" as a LIKE pattern that finds TEXT itself: '%', '_' and '\' escaped. */
static void
contains_pattern(const char *v, char *out)
{
	size_t n = 0;

	out[n++] = '%';
	for (; *v != '\0'; v++) {
		if (*v == '%' || *v == '_' || *v == '\\')
			out[n++] = '\\';
		out[n++] = *v;
	}
	out[n++] = '%';
	out[n] = '\0';
}

/* An error code: 1 to 39 of a-z, 0-9 and '_'. */
static bool
code_valid(const char *v)
{
	size_t len = strlen(v);

	return len > 0 && len < 40 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* One filter into the job's query (query_param_fn). NULL: taken; else the bad parameter's
 * name. */
static const char *
parse_one(void *ctx, const char *key, char *val)
{
	struct ae_job *j = ctx;
	int64_t n;

	if (strcmp(key, "from") == 0) {
		j->have_from = filter_when(val, j->zone, false, &j->q.from) == 0;
		return j->have_from ? NULL : "from";
	}
	if (strcmp(key, "to") == 0) {
		j->have_to = filter_when(val, j->zone, true, &j->q.to) == 0;
		return j->have_to ? NULL : "to";
	}
	if (strcmp(key, "node") == 0)
		return query_id(val, &j->node) == 0 ? NULL : "node";
	if (strcmp(key, "code") == 0) {
		if (!code_valid(val))
			return "code";
		memcpy(j->code, val, strlen(val) + 1);
		j->q.code = j->code;
		return NULL;
	}
	if (strcmp(key, "path") == 0) {
		if (!filter_text(val, AE_PATH_MAX + 1))
			return "path";
		contains_pattern(val, j->like);
		j->q.path_like = j->like;
		return NULL;
	}
	if (strcmp(key, "status") == 0) {
		if (query_id(val, &n) != 0 || n < 400 || n > 599)
			return "status";
		j->q.http_status = (int)n;
		return NULL;
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
		if (query_id(val, &n) != 0 || n < 1 || n > AE_PAGE_MAX)
			return "limit";
		j->q.limit = (int)n;
		return NULL;
	}
	if (strcmp(key, "cursor") == 0 && !j->export)
		return filter_cursor(val, &j->q.after_at, &j->q.after_id) == 0 ? NULL : "cursor";
	return "query";
}

/* Why a period is refused, with the dates allowed, into msg. */
static void
period_message(const struct ae_job *j, int64_t now, char *msg, size_t cap)
{
	int64_t earliest, latest;
	char first[11], last[11];

	api_error_window(j->zone, now, &earliest, &latest);
	cal_date_format(tz_day(j->zone, earliest), first);
	cal_date_format(tz_day(j->zone, latest) - 1, last);
	snprintf(msg, cap,
	         "The error log keeps the last %d days: from is %s or later, to is %s or earlier, "
	         "in your time zone, and to comes after from.",
	         API_ERROR_KEEP_DAYS, first, last);
}

/* Fills j->q from the query string. NULL: all good; else the name of the bad parameter (in the
 * request's pool when it is the one given twice), and *period when the period is out of the
 * log's window. */
static const char *
parse_search(struct req *r, struct ae_job *j, int64_t now, bool *period)
{
	int64_t earliest, latest;
	const char *bad;

	*period = false;
	j->q.brand_id = j->who.brand_id;
	j->q.limit = j->export ? AE_EXPORT_ROWS : AE_PAGE_DEFAULT;
	if ((bad = query_each_once(r, parse_one, j)) != NULL)
		return bad;
	api_error_window(j->zone, now, &earliest, &latest);
	if (!j->have_from)
		j->q.from = earliest;
	if (!j->have_to)
		j->q.to = latest;
	switch (api_error_period_check(j->zone, now, j->q.from, j->q.to)) {
	case API_ERROR_PERIOD_FROM:
		*period = true;
		return "from";
	case API_ERROR_PERIOD_TO:
		*period = true;
		return "to";
	default:
		return NULL;
	}
}

/* Parses r's query into a new job, or answers 400 naming the bad parameter (NULL then). */
static struct ae_job *
ae_parse(struct req *r, bool export)
{
	struct ae_job *j = ae_new(r);
	char msg[384];
	bool period;
	const char *bad;

	j->export = export;
	bad = parse_search(r, j, clock_now_us(), &period);
	if (bad == NULL)
		return j;
	if (period)
		period_message(j, clock_now_us(), msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%s%s",
		         strcmp(bad, "layout") == 0 ? EXPORT_LAYOUT_HELP : AE_FILTERS_HELP,
		         strcmp(bad, "layout") == 0 ? ""
		         : export ? " The export takes format (csv or txt) and layout."
		                  : " limit (1 to 500) and cursor page the list.");
	ae_free(&j->page.base);
	json_bad_field(r, bad, msg);
	return NULL;
}

/* --- the list ----------------------------------------------------------------------------------- */

static json_t *
instant_json(const struct ae_job *j, int64_t t_us)
{
	char text[26];

	tz_format_iso(j->zone, t_us, text);
	return json_string(text);
}

/* A text as JSON, or null when it is empty or not UTF-8 (the log's texts are safe text). */
static json_t *
text_json(const char *s)
{
	json_t *v = s[0] != '\0' ? json_string(s) : NULL;

	return v != NULL ? v : json_null();
}

static int
item_push(void *arg, const struct api_error_row *e)
{
	struct ae_job *j = arg;
	json_t *v;

	if (j->page.n == j->want) {
		j->more = true;
		return ST_OK;
	}
	v = json_pack("{s:I, s:o, s:I, s:o, s:s, s:s, s:o, s:o, s:i, s:o, s:o, s:s, s:I}", "id",
	              (json_int_t)e->id, "at", instant_json(j, e->at), "shop_id",
	              (json_int_t)e->shop_id, "shop_name", text_json(e->shop_name), "site", e->site,
	              "rang", e->rang, "method", text_json(e->method), "path", text_json(e->path),
	              "http_status", e->http_status, "code", text_json(e->code), "field",
	              text_json(e->field), "message", http_message_of(e->code, e->http_status),
	              "count", (json_int_t)e->count);

	if (v == NULL)
		return ST_INTERNAL;
	json_array_append_new(j->result, v);
	j->page.last_at = e->at;
	j->page.last_id = e->id;
	j->page.n++;
	return ST_OK;
}

static int
list_run(struct work_job *w, struct store *st)
{
	struct ae_job *j = (struct ae_job *)w;
	json_t *items;
	int rc = api_scope(st, &j->who, j->node, &j->q.node_id);

	if (rc != ST_OK)
		return rc;
	j->result = json_array();
	j->want = j->q.limit;
	j->q.limit++; /* one more: whether a next page exists */
	rc = st->ops->api_errors_each(st, &j->q, item_push, j);
	if (rc != ST_OK)
		return rc;
	items = j->result;
	/* The next page's cursor is the key of this one's last row: "AT.ID" (filters.h). */
	j->result = json_pack("{s:o, s:o, s:o, s:o}", "items", items, "next",
	                      j->more ? json_sprintf("%lld.%lld", (long long)j->page.last_at,
	                                             (long long)j->page.last_id)
	                              : json_null(),
	                      "from", instant_json(j, j->q.from), "to", instant_json(j, j->q.to));
	return j->result != NULL ? ST_OK : ST_INTERNAL;
}

int
api_api_errors_list(struct req *r)
{
	struct ae_job *j = ae_parse(r, false);

	if (j == NULL)
		return 0;
	j->page.base.work.run = list_run;
	return http_submit_or_reply(r, &j->page.base, false);
}

/* --- export (SPEC §5's exports: CSV or TXT, the user's zone, streamed) ------------------------- */

static const char *const export_columns[] = {"at",     "shop",    "site",        "rang",
                                             "method", "path",    "http_status", "code",
                                             "field",  "message", "count",       NULL};

/* How the classic layout writes each column (export_layout.h). */
static const enum export_kind export_kinds[] = {EK_INSTANT, EK_TEXT, EK_TEXT,   EK_TEXT,
                                                EK_TEXT,    EK_TEXT, EK_NUMBER, EK_TEXT,
                                                EK_TEXT,    EK_TEXT, EK_NUMBER};

struct export_ctx {
	struct ae_job *j;
	struct export_out *o;
};

static int
export_row(void *arg, const struct api_error_row *e)
{
	struct export_ctx *x = arg;
	char at[26], status[12], count[24];
	const char *values[] = {
	        at,      e->shop_name, e->site, e->rang,  e->method,
	        e->path, status,       e->code, e->field, http_message_of(e->code, e->http_status),
	        count};

	tz_format_iso(x->j->zone, e->at, at);
	snprintf(status, sizeof(status), "%d", e->http_status);
	snprintf(count, sizeof(count), "%lld", (long long)e->count);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		export_put(x->o, export_kinds[i], NULL, values[i]);
	return export_row_end(&x->j->page, x->o, e->at, e->id);
}

/* Reader: one page of the export; the first starts with the header line. */
static int
export_page_run(struct work_job *w, struct store *st)
{
	struct ae_job *j = (struct ae_job *)w;
	struct buf b;
	struct export_out o;
	struct export_ctx x = {j, &o};
	int rc = api_scope(st, &j->who, j->node, &j->q.node_id);

	if (rc == ST_OK)
		rc = export_out_init(&o, &b, j->layout, j->txt, st, &j->who);
	if (rc != ST_OK)
		return rc;
	buf_init(&b, AE_EXPORT_CHUNK);
	if (j->q.after_at == 0)
		export_out_header(&o, "api_errors", export_columns);
	rc = st->ops->api_errors_each(st, &j->q, export_row, &x);
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
	struct ae_job *tmpl = ctx, *j = ae_new(r);

	*j = *tmpl;
	repoint(j, tmpl);
	memset(&j->page, 0, sizeof(j->page));
	j->result = NULL;
	j->q.after_at = after_at;
	j->q.after_id = after_id;
	j->page.base.work.run = export_page_run;
	j->page.base.free = ae_free;
	return &j->page;
}

int
api_api_errors_export(struct req *r)
{
	struct ae_job *probe = ae_parse(r, true), *tmpl;
	struct export_source src = {0};
	char *name;

	if (probe == NULL)
		return 0;
	tmpl = h2o_mem_alloc_pool(&r->h2o->pool, sizeof(*tmpl));
	*tmpl = *probe;
	repoint(tmpl, probe);
	ae_free(&probe->page.base);
	src.page = export_page_new;
	src.ctx = tmpl;
	src.limit = AE_EXPORT_ROWS;
	src.txt = tmpl->txt;
	name = h2o_mem_alloc_pool(&r->h2o->pool, 64);
	export_file_name(name, 64, "api-errors", tmpl->layout, tmpl->zone, tmpl->q.from,
	                 tmpl->q.to);
	src.name = name;
	return export_stream(r, &src);
}
