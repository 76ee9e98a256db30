/*
 * push_reports.c - the push reports' side of the API (push_reports.h; docs/EREPORTING.md
 * "Push reports"):
 *
 *   GET /bo/api/push-reports[?user=ID][&cursor=C]
 *       {"items":[{"id","user_id","user_login","user_name","day","status","structure",
 *                  "format","delivery","rows","bytes","attempts","error","created_at",
 *                  "updated_at","finished_at","next_attempt_at","file_expires_at"}…],
 *        "next":C|null}
 *       a user's own runs, newest first; an administrator's: those of every user of their
 *       node and below (user=: one of them; another's, or one outside the scope, 404)
 *   GET /bo/api/push-reports/file/{key}   a link's report, to the signed-in user it was mailed
 *       to, before its expiry; 404 for any other token, user or time
 *
 * The subscription is set with the e-reporting choice (ereport.h, prefs.c, users.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/columns.h"
#include "api/ereport.h"
#include "api/json.h"
#include "api/push_reports.h"
#include "api/query.h"
#include "api/render.h"
#include "common/clock.h"
#include "common/text.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/push_report.h"

#define RUNS_PAGE       50
#define BUILD_PAGE_ROWS 5000

/* ---- the report ---------------------------------------------------------------------------- */

struct build_ctx {
	const struct ereport *e;
	const struct tz *zone;
	struct buf *b;
	int64_t now;
	int64_t last_at, last_id;
	int n;
};

static int
build_row(void *arg, const struct txn *t)
{
	struct build_ctx *x = arg;
	char scratch[COLUMN_VALUE_MAX];

	ereport_row_begin(x->b, x->e);
	for (int i = 0; i < x->e->cols.n; i++)
		ereport_value(x->b, x->e, i,
		              column_txn(x->e->cols.v[i], t, x->zone, x->now, scratch));
	if (x->e->line_ref)
		ereport_value(x->b, x->e, x->e->cols.n, t->order_line);
	ereport_row_end(x->b, x->e);
	x->last_at = t->created_at;
	x->last_id = t->id;
	x->n++;
	return x->b->failed ? ST_TOOBIG : ST_OK;
}

int
push_report_build(struct store *st, const struct user_auth *ua, int64_t day, int64_t now,
                  struct push_report_file *out)
{
	struct ereport e;
	struct txn_query q = {0};
	struct build_ctx x = {&e, tz_find(ua->time_zone), &out->data, now, 0, 0, 0};
	int rc = ereport_load(st, ua->u.brand_id, ua->u.id, &e);

	if (rc != ST_OK)
		return rc;
	if (x.zone == NULL)
		x.zone = tz_default();
	q.brand_id = ua->u.brand_id;
	q.node_id = ua->u.node_id; /* what their search sees */
	q.method = q.type = q.status = q.acq = -1;
	q.from = tz_day_start(x.zone, day);
	q.to = tz_day_start(x.zone, day + 1);
	q.limit = BUILD_PAGE_ROWS;
	q.fields = columns_txn_fields(&e.cols) | (e.line_ref ? TF_BIT(TF_ORDER_LINE) : 0);
	ereport_begin(&out->data, &e);
	do { /* a page at a time, after the last row of the one before (keyset) */
		x.n = 0;
		rc = st->ops->txn_search(st, &q, build_row, &x);
		out->rows += x.n;
		q.after_created_at = x.last_at;
		q.after_id = x.last_id;
	} while (rc == ST_OK && x.n == q.limit);
	ereport_end(&out->data, &e);
	if (rc == ST_OK && out->data.failed)
		rc = ST_TOOBIG;
	snprintf(out->structure, sizeof(out->structure), "%s", ereport_structure_name(e.structure));
	snprintf(out->format, sizeof(out->format), "%s", ereport_format_name(e.format));
	out->type = ereport_content_type(e.format);
	out->ext = ereport_extension(e.format);
	return rc;
}

/* ---- the subscription ---------------------------------------------------------------------- */

const char *
push_change_parse(json_t *v, struct push_change *out)
{
	const char *name;
	json_t *x;

	memset(out, 0, sizeof(*out));
	out->set = true;
	out->enabled = out->minute = -1;
	if (json_is_null(v)) {
		out->reset = true;
		return NULL;
	}
	if (!json_is_object(v))
		return "ereport.push";
	json_object_foreach(v, name, x)
	{
		if (strcmp(name, "enabled") == 0) {
			if (!json_is_boolean(x))
				return "ereport.push.enabled";
			out->enabled = json_is_true(x) ? 1 : 0;
		} else if (strcmp(name, "time") == 0) {
			out->minute = push_time_parse(json_string_value(x));
			if (out->minute < 0)
				return "ereport.push.time";
		} else {
			return "ereport.push";
		}
	}
	return NULL;
}

/* The stored subscription, or the defaults. */
static int
sub_load(struct store *st, int64_t brand_id, int64_t user_id, struct push_sub *s)
{
	int rc = st->ops->push_sub_get(st, brand_id, user_id, s);

	if (rc == ST_NOTFOUND) {
		memset(s, 0, sizeof(*s));
		s->brand_id = brand_id;
		s->user_id = user_id;
		s->minute = PUSH_DEFAULT_MINUTE;
		rc = ST_OK;
	}
	return rc;
}

int
push_change_put(struct store *st, int64_t brand_id, int64_t user_id, const struct push_change *c,
                int64_t now)
{
	struct push_sub s;
	bool was;
	int rc;

	if (!c->set)
		return ST_OK;
	rc = sub_load(st, brand_id, user_id, &s);
	if (rc != ST_OK)
		return rc;
	was = s.enabled;
	if (c->reset) {
		s.enabled = false;
		s.minute = PUSH_DEFAULT_MINUTE;
	}
	if (c->enabled >= 0)
		s.enabled = c->enabled == 1;
	if (c->minute >= 0)
		s.minute = c->minute;
	if (s.enabled && !was)
		s.since = now; /* a time already passed today is tomorrow's */
	s.updated_at = now;
	return st->ops->push_sub_put(st, &s);
}

int
push_sub_json(struct store *st, int64_t brand_id, int64_t user_id, json_t **out, char *text)
{
	struct push_sub s;
	struct user_auth ua;
	const struct tz *zone = NULL;
	char hhmm[6], next[26];
	int rc = sub_load(st, brand_id, user_id, &s);

	if (rc == ST_OK && s.enabled)
		rc = st->ops->user_get(st, brand_id, user_id, &ua);
	if (rc != ST_OK)
		return rc;
	push_time_format(s.minute, hhmm);
	if (s.enabled) {
		zone = tz_find(ua.time_zone);
		zone = zone != NULL ? zone : tz_default();
		tz_format_iso(zone, push_next_due(zone, s.minute, clock_now_us()), next);
	}
	*out = json_pack("{s:b, s:s, s:o}", "enabled", s.enabled, "time", hhmm, "next_at",
	                 s.enabled ? json_string(next) : json_null());
	if (text != NULL)
		snprintf(text, 16, "%s %s", s.enabled ? "on" : "off", hhmm);
	return *out != NULL ? ST_OK : ST_INTERNAL;
}

/* ---- the routes ---------------------------------------------------------------------------- */

struct push_job {
	struct http_job base; /* first */
	struct session who;
	struct push_run_query q;
	int64_t user_id; /* user=: 0 none */
	unsigned char hash[PUSH_TOKEN_HASH_LEN];
	json_t *result;
	struct buf file;
	char name[64];
	const char *type;
};

static void
push_free(struct http_job *hj)
{
	struct push_job *j = (struct push_job *)hj;

	json_decref(j->result);
	buf_cleanup(&j->file);
	free(j);
}

static void
push_respond(struct http_job *hj, struct req *r)
{
	struct push_job *j = (struct push_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	if (j->type != NULL) {
		http_reply_download(r, j->type, j->name, j->file.data != NULL ? j->file.data : "",
		                    j->file.len);
		return;
	}
	http_reply_json(r, 200, j->result);
	j->result = NULL;
}

static struct push_job *
push_new(struct req *r)
{
	struct push_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = r->session;
	j->base.respond = push_respond;
	j->base.free = push_free;
	return j;
}

static json_t *
instant(int64_t t_us)
{
	char text[25];

	if (t_us == 0)
		return json_null();
	cal_instant_format(t_us, text);
	return json_string(text);
}

static int
run_push(void *arg, const struct push_run *r)
{
	static const char *const status[] = {"queued", "sent", "failed"};
	char day[11];
	json_t *v;

	cal_date_format(r->day, day);
	v = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:o, s:o, "
	              "s:o, s:o, s:o, s:o}",
	              "id", (json_int_t)r->id, "user_id", (json_int_t)r->user_id, "user_login",
	              r->user_login, "user_name", r->user_name, "day", day, "status",
	              status[r->status], "structure", r->structure, "format", r->format, "delivery",
	              r->delivery, "rows", (json_int_t)r->rows, "bytes", (json_int_t)r->bytes,
	              "attempts", r->attempts, "error",
	              r->error[0] ? json_string(r->error) : json_null(), "created_at",
	              instant(r->created_at), "updated_at", instant(r->updated_at), "finished_at",
	              instant(r->finished_at), "next_attempt_at",
	              instant(r->status == PUSH_QUEUED && r->mail_id == 0 ? r->next_attempt_at : 0),
	              "file_expires_at", instant(r->has_file ? r->file_expires_at : 0));
	if (v == NULL)
		return ST_INTERNAL;
	json_array_append_new(arg, v);
	return ST_OK;
}

/* Reader: the page of runs the user may see. */
static int
list_run(struct work_job *w, struct store *st)
{
	struct push_job *j = (struct push_job *)w;
	json_t *items = json_array();
	int rc = ST_OK;

	j->q.brand_id = j->who.brand_id;
	j->q.node_id = j->who.node_id;
	j->q.limit = RUNS_PAGE + 1;
	if (j->who.profile != PROFILE_ADMIN) {
		/* Their own runs only: another user's id is no business of theirs. */
		if (j->user_id != 0 && j->user_id != j->who.user_id)
			rc = ST_NOTFOUND;
		j->q.user_id = j->who.user_id;
	} else if (j->user_id != 0) {
		struct user_auth ua;
		bool within = false;

		rc = st->ops->user_get(st, j->who.brand_id, j->user_id, &ua);
		if (rc == ST_OK)
			rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, ua.u.node_id,
			                          &within);
		if (rc == ST_OK && !within)
			rc = ST_NOTFOUND;
		j->q.user_id = j->user_id;
	}
	if (rc == ST_OK)
		rc = st->ops->push_runs_each(st, &j->q, run_push, items);
	if (rc != ST_OK) {
		json_decref(items);
		return rc;
	}
	j->result =
	        json_pack("{s:o, s:o}", "items", items, "next", json_page_next(items, RUNS_PAGE));
	return j->result != NULL ? ST_OK : ST_INTERNAL;
}

int
api_push_reports_list(struct req *r)
{
	struct push_job *j = push_new(r);
	char key[QUERY_KEY_MAX], val[64];
	const char *bad = NULL;
	bool seen_user = false, seen_cursor = false;
	size_t pos = 0;
	int got;

	while (bad == NULL &&
	       (got = query_next(r, &pos, key, sizeof(key), val, sizeof(val))) != 0) {
		if (got < 0) {
			bad = "query";
		} else if (strcmp(key, "user") == 0) {
			bad = seen_user || query_id(val, &j->user_id) != 0 ? "user" : NULL;
			seen_user = true;
		} else if (strcmp(key, "cursor") == 0) {
			bad = seen_cursor || query_id(val, &j->q.after_id) != 0 ? "cursor" : NULL;
			seen_cursor = true;
		} else {
			bad = "query";
		}
	}
	if (bad != NULL) {
		push_free(&j->base);
		json_bad_field(r, bad,
		               "user (an id) and cursor are optional, once each; nothing else.");
		return 0;
	}
	j->base.work.run = list_run;
	return http_submit_or_reply(r, &j->base, false);
}

/* Reader: the file of the user's run whose token this is, before its expiry. */
static int
file_run(struct work_job *w, struct store *st)
{
	struct push_job *j = (struct push_job *)w;
	struct push_run run;
	char day[11];
	int rc;

	buf_init(&j->file, PUSH_FILE_MAX);
	rc = st->ops->push_run_file(st, j->who.brand_id, j->who.user_id, j->hash, clock_now_us(),
	                            &run, &j->file);
	if (rc != ST_OK)
		return rc;
	cal_date_format(run.day, day);
	if (strcmp(run.format, "xml") == 0)
		j->type = ereport_content_type(EREPORT_XML);
	else if (strcmp(run.format, "fixed") == 0)
		j->type = ereport_content_type(EREPORT_FIXED);
	else
		j->type = ereport_content_type(EREPORT_DELIMITED);
	snprintf(
	        j->name, sizeof(j->name), "transactions-%s.%s", day,
	        ereport_extension(ereport_format_parse(run.format) < 0
	                                  ? EREPORT_DELIMITED
	                                  : (enum ereport_format)ereport_format_parse(run.format)));
	return ST_OK;
}

int
api_push_reports_file(struct req *r)
{
	struct push_job *j;
	unsigned char token[32];
	const char *k = r->path_key;
	char key[QUERY_KEY_MAX], val[8];
	size_t pos = 0;

	if (query_next(r, &pos, key, sizeof(key), val, sizeof(val)) != 0) {
		json_bad_field(r, "query", "A report's link takes no parameter.");
		return 0;
	}
	/* 64 hexadecimal digits, else no run has it. */
	if (strlen(k) != 64) {
		http_reply_error(r, ST_NOTFOUND, NULL, NULL);
		return 0;
	}
	for (size_t i = 0; i < 32; i++) {
		int hi = text_hex_digit(k[2 * i]), lo = text_hex_digit(k[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			http_reply_error(r, ST_NOTFOUND, NULL, NULL);
			return 0;
		}
		token[i] = (unsigned char)(hi << 4 | lo);
	}
	j = push_new(r);
	crypto_digest(j->hash, token, sizeof(token));
	crypto_wipe(token, sizeof(token));
	j->base.work.run = file_run;
	return http_submit_or_reply(r, &j->base, false);
}
