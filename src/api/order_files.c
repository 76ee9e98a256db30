/*
 * order_files.c - files of payment orders (issue 15, "Batch files of payment orders";
 * Ingenico guide §3.4.4–5; docs/ORDER-FILES.md), uploaded from the back office or by the
 * merchant API, then processed by a job (jobs/order_files.c):
 *
 *   POST /bo/api/order-files?shop_id=ID[&name=N]   the file as the body → 202 {"file",
 *        "line_errors","line_errors_count"}; the same file again (same digest) → 200 with
 *        the file uploaded before, "duplicate":true; a malformed file → 422, nothing kept
 *   GET  /bo/api/order-files[?node=ID][&shop_id=ID][&limit=N][&cursor=C]
 *        {"items":[file…],"next":C|null}, newest first
 *   GET  /bo/api/order-files/{id}                  one file
 *   GET  /bo/api/order-files/{id}/lines[?after=N][&limit=N]
 *        {"file","items":[line…],"next":N|null}
 *   GET  /bo/api/order-files/{id}/result           the result file (text/csv), every line
 *   POST /api/v1/order-files[?name=N]              the shop that signed: as above
 *   GET  /api/v1/order-files/{id}[?after=N][&limit=N]   the file and its lines, paged as the
 *        back office's (the query is not signed: it only pages)
 *
 * The upload is read twice: on a reader, the whole file checked (its encoding, the header
 * line, the quoting, each line's fields, the references unique in the file) without writing;
 * then on the writer, the file's row and every line written in one transaction, each card
 * number sealed for the brand as it is read (crypto_card_seal) and only its masked form
 * kept beside. The body's copy is wiped when the job is freed, h2o's at once. The digest is
 * keyed (crypto_request_digest): the file holds card numbers.
 *
 * Not here: the format (domain/order_file.c), the processing (jobs/order_files.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/csv.h"
#include "api/filters.h"
#include "api/json.h"
#include "api/query.h"
#include "api/render.h"
#include "common/clock.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/order_file.h"

#define OF_PAGE_DEFAULT  50
#define OF_PAGE_MAX      500
#define OF_LINES_DEFAULT 100
#define OF_LINES_MAX     1000
#define OF_ERRORS_SHOWN  100                 /* line errors listed in the upload's answer */
#define OF_RESULT_MAX    (256 * 1024 * 1024) /* a result file: 200000 lines of 1 kB at most */

enum of_kind { OF_UPLOAD, OF_LIST, OF_GET, OF_LINES, OF_RESULT };

struct of_job {
	struct http_job base; /* first */
	enum of_kind kind;
	bool api; /* the merchant API: the shop that signed */
	struct session who;
	const struct app *app;
	int64_t brand_id, shop_id, node, id;
	/* Upload. */
	char name[ORDER_FILE_NAME_MAX + 1];
	char *text; /* the file's bytes (wiped when freed) */
	size_t len;
	char digest[ORDER_DIGEST_LEN + 1];
	enum order_file_fault fault;
	int64_t fault_line, lines, line_errors;
	bool existing;
	struct order_file file;
	/* List and lines. */
	struct order_file_query q;
	int64_t after;
	int limit, n;
	bool more;
	int64_t last_at, last_id;
	/* Results. */
	const char *why, *message;
	json_t *result;
	struct buf out;
};

static void
of_free(struct http_job *hj)
{
	struct of_job *j = (struct of_job *)hj;

	if (j->text != NULL) {
		crypto_wipe(j->text, j->len);
		free(j->text);
	}
	json_decref(j->result);
	buf_cleanup(&j->out);
	free(j);
}

static void
fault_reply(struct of_job *j, struct req *r)
{
	static const char *const messages[] = {
	        [ORDER_FILE_ENCODING] = "The file is not UTF-8 text (or holds a NUL byte).",
	        [ORDER_FILE_QUOTING] = "A quote is left open, or stands inside an unquoted field.",
	        [ORDER_FILE_HEADER_WRONG] =
	                "The first line must be the header line: " ORDER_FILE_HEADER,
	        [ORDER_FILE_EMPTY] = "The file has no order line.",
	        [ORDER_FILE_TOO_MANY] = "The file has more order lines than a file may (200000).",
	};
	char msg[256];
	json_t *o;

	snprintf(msg, sizeof(msg), "The file is malformed, nothing was processed: %s (line %lld)",
	         messages[j->fault], (long long)j->fault_line);
	o = json_pack("{s:s, s:s, s:s, s:I, s:[{s:I, s:s, s:s}]}", "error", "order_file_malformed",
	              "message", msg, "fault", order_file_fault_code(j->fault), "line",
	              (json_int_t)j->fault_line, "errors", "line", (json_int_t)j->fault_line,
	              "code", order_file_fault_code(j->fault), "message", messages[j->fault]);
	http_reply_json(r, 422, o);
}

static void
of_respond(struct http_job *hj, struct req *r)
{
	struct of_job *j = (struct of_job *)hj;

	if (j->kind == OF_UPLOAD && j->fault != ORDER_FILE_OK) {
		fault_reply(j, r);
	} else if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, j->why, j->message);
	} else if (j->kind == OF_RESULT) {
		char name[64];

		snprintf(name, sizeof(name), "order-file-%lld-result.csv", (long long)j->id);
		http_reply_download(r, "text/csv; charset=utf-8", name, j->out.data, j->out.len);
	} else {
		http_reply_json(r, j->kind == OF_UPLOAD && !j->existing ? 202 : 200, j->result);
		j->result = NULL;
	}
}

static struct of_job *
of_new(struct req *r, enum of_kind kind, bool api)
{
	struct of_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->kind = kind;
	j->api = api;
	j->app = r->app;
	if (api) {
		j->brand_id = r->shop->shop.brand_id;
		j->shop_id = r->shop->shop.id;
	} else {
		j->who = r->session;
		j->brand_id = r->session.brand_id;
	}
	j->id = r->path_id;
	j->base.respond = of_respond;
	j->base.free = of_free;
	buf_init(&j->out, OF_RESULT_MAX);
	return j;
}

/* --- rendering ------------------------------------------------------------------------------ */

static json_t *
file_json(const struct order_file *f)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o, "
	                 "s:o, s:o}",
	                 "id", (json_int_t)f->id, "shop_id", (json_int_t)f->shop_id, "shop_name",
	                 f->shop_name, "site", f->site, "rang", f->rang, "name", f->name, "source",
	                 f->source, "status", f->status, "lines", (json_int_t)f->lines, "accepted",
	                 (json_int_t)f->accepted, "refused", (json_int_t)f->refused, "pending",
	                 (json_int_t)(f->lines - f->accepted - f->refused), "received_at",
	                 json_instant_or_null(f->received_at), "started_at",
	                 json_instant_or_null(f->started_at), "finished_at",
	                 json_instant_or_null(f->finished_at), "duration_s",
	                 f->finished_at && f->started_at
	                         ? json_real((double)(f->finished_at - f->started_at) / 1e6)
	                         : json_null());
}

/* A line; transaction ids as strings, as the merchant API writes them (render.c). */
static json_t *
line_json(const struct order_line *l)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "line",
	                 (json_int_t)l->line_no, "operation", l->operation, "reference",
	                 l->reference, "amount", l->amount ? json_integer(l->amount) : json_null(),
	                 "currency", json_str_or_null(l->currency), "card",
	                 json_str_or_null(l->card_masked), "alias", json_str_or_null(l->alias),
	                 "transaction_id",
	                 l->target_id ? json_sprintf("%lld", (long long)l->target_id) : json_null(),
	                 "status", l->status, "reason", json_str_or_null(l->reason), "message",
	                 json_str_or_null(l->message), "result_transaction_id",
	                 l->txn_id ? json_sprintf("%lld", (long long)l->txn_id) : json_null());
}

/* --- the upload ------------------------------------------------------------------------------ */

/* The references seen in the file, by a 64-bit hash (FNV-1a): a second line with one is
 * refused. Open addressing, twice the lines' room. */
struct ref_set {
	uint64_t *slots;
	size_t cap;
};

static void
ref_set_init(struct ref_set *s, const char *text, size_t len)
{
	size_t lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	for (s->cap = 64; s->cap < 2 * lines; s->cap *= 2)
		;
	s->slots = calloc(s->cap, sizeof(*s->slots));
	if (s->slots == NULL)
		abort();
}

/* Adds ref: false when it was there already. */
static bool
ref_set_add(struct ref_set *s, const char *ref)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (const unsigned char *p = (const unsigned char *)ref; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h |= 1; /* 0 marks an empty slot */
	for (i = h & (s->cap - 1); s->slots[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == h)
			return false;
	s->slots[i] = h;
	return true;
}

/* Copies src into dst (cap bytes), cut at a character's start when longer. */
static void
cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	if (src[n] != '\0')
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The line's row from its record and check; the card sealed, its number wiped. */
static void
line_of(struct of_job *j, char fields[][ORDER_FIELD_MAX + 1], int n, bool ok, struct order_row *row,
        const struct order_line_error *err, int64_t line_no, int64_t now, struct order_line *l)
{
	memset(l, 0, sizeof(*l));
	l->brand_id = j->brand_id;
	l->file_id = j->file.id;
	l->line_no = line_no;
	l->shop_id = j->shop_id;
	cut(l->operation, sizeof(l->operation), ok ? order_op_name(row->op) : fields[0]);
	cut(l->reference, sizeof(l->reference), n > 1 ? fields[1] : "");
	if (!ok) {
		snprintf(l->status, sizeof(l->status), "%s", "refused");
		snprintf(l->reason, sizeof(l->reason), "%s", err->code);
		snprintf(l->message, sizeof(l->message), "%s", err->message);
		l->done_at = now;
		return;
	}
	snprintf(l->status, sizeof(l->status), "%s", "pending");
	l->amount = row->amount;
	memcpy(l->currency, row->currency, sizeof(l->currency));
	memcpy(l->alias, row->alias, sizeof(l->alias));
	l->target_id = row->txn_id;
	if (row->op == ORDER_PAYMENT)
		snprintf(l->capture, sizeof(l->capture), "%s",
		         row->capture_manual ? "manual" : "auto");
	if (row->digits[0]) {
		card_mask(row->digits, l->card_masked);
		l->card_sealed_len =
		        crypto_card_seal(l->card_sealed, row->digits, j->brand_id, j->app->keys);
		memcpy(l->card_expiry, row->expiry, sizeof(l->card_expiry));
		crypto_wipe(row->digits, sizeof(row->digits));
	}
}

/* Reads the whole file: its fault (j->fault) or its lines, checked; written (insert, on the
 * writer, j->file.id set) or counted with their errors listed (j->result's array). */
static int
scan(struct of_job *j, struct store *st, bool insert, json_t *errors)
{
	char fields[ORDER_FILE_COLUMNS][ORDER_FIELD_MAX + 1];
	struct order_line_error err;
	struct order_reader rd;
	struct order_row row;
	struct order_line l;
	struct ref_set refs;
	int64_t now = clock_now_us(), line;
	int y, m, d, n, got, rc = ST_OK;
	bool too_long, ok;

	j->lines = j->line_errors = 0;
	if ((j->fault = order_file_encoding(j->text, j->len, &j->fault_line)) != ORDER_FILE_OK)
		return ST_INVALID;
	cal_civil_from_days(cal_business_day(now), &y, &m, &d);
	order_reader_init(&rd, j->text, j->len);
	got = order_reader_next(&rd, fields, &n, &too_long, &line);
	j->fault_line = got != 0 ? line : 1;
	if (got < 0)
		j->fault = ORDER_FILE_QUOTING;
	else if (got == 0 || !order_header_valid(fields, n))
		j->fault = ORDER_FILE_HEADER_WRONG;
	if (j->fault != ORDER_FILE_OK)
		return ST_INVALID;
	ref_set_init(&refs, j->text, j->len);
	while (rc == ST_OK && (got = order_reader_next(&rd, fields, &n, &too_long, &line)) == 1) {
		if (++j->lines > ORDER_FILE_LINES_MAX) {
			j->fault = ORDER_FILE_TOO_MANY;
			j->fault_line = line;
			break;
		}
		ok = order_row_check(fields, n, too_long, y, m, &row, &err);
		if (ok && !ref_set_add(&refs, row.reference)) {
			ok = false;
			crypto_wipe(row.digits, sizeof(row.digits));
			err = (struct order_line_error){
			        "duplicate_reference", "reference",
			        "Another line of the file has this reference: each is unique."};
		}
		if (!ok) {
			j->line_errors++;
			if (errors != NULL && json_array_size(errors) < OF_ERRORS_SHOWN)
				json_array_append_new(errors,
				                      json_pack("{s:I, s:s, s:s, s:s}", "line",
				                                (json_int_t)line, "code", err.code,
				                                "column", err.column, "message",
				                                err.message));
		}
		if (insert) {
			line_of(j, fields, n, ok, &row, &err, line, now, &l);
			rc = st->ops->order_line_insert(st, &l);
			crypto_wipe(&l, sizeof(l));
		}
		crypto_wipe(&row, sizeof(row));
		crypto_wipe(fields, sizeof(fields));
	}
	free(refs.slots);
	crypto_wipe(fields, sizeof(fields));
	if (rc != ST_OK)
		return rc;
	if (got < 0) {
		j->fault = ORDER_FILE_QUOTING;
		j->fault_line = line;
	} else if (j->fault == ORDER_FILE_OK && j->lines == 0) {
		j->fault = ORDER_FILE_EMPTY;
		j->fault_line = rd.line;
	}
	return j->fault == ORDER_FILE_OK ? ST_OK : ST_INVALID;
}

/* The back office's shop: of the user's node and below, and a shop. */
static int
upload_scope(struct of_job *j, struct store *st)
{
	struct tree_node shop;
	int rc = api_shop_in_scope(st, &j->who, j->shop_id, &shop);

	if (rc == ST_NOTFOUND) {
		j->why = "unknown_shop";
		j->message = "shop_id is not a shop of your node of the tree.";
	}
	return rc;
}

/* On a reader: the shop, then the file checked whole. */
static int
upload_check(struct work_job *w, struct store *st)
{
	struct of_job *j = (struct of_job *)w;
	json_t *errors = json_array();
	int rc = j->api ? ST_OK : upload_scope(j, st);

	if (rc == ST_OK)
		rc = scan(j, st, false, errors);
	if (rc != ST_OK) {
		json_decref(errors);
		return rc;
	}
	j->result = json_pack("{s:o, s:I}", "line_errors", errors, "line_errors_count",
	                      (json_int_t)j->line_errors);
	return ST_OK;
}

/* On the writer: the file uploaded before, or the file and its lines written. */
static int
upload_record(struct work_job *w, struct store *st)
{
	struct of_job *j = (struct of_job *)w;
	struct order_file *f = &j->file;
	int64_t now = clock_now_us(), checked = j->line_errors;
	char details[256];
	int rc = st->ops->order_file_find(st, j->brand_id, j->shop_id, j->digest, f);

	if (rc == ST_OK) {
		j->existing = true;
		json_object_set_new(j->result, "duplicate", json_true());
		json_object_set_new(j->result, "file", file_json(f));
		return ST_OK;
	}
	if (rc != ST_NOTFOUND)
		return rc;
	memset(f, 0, sizeof(*f));
	f->brand_id = j->brand_id;
	f->shop_id = j->shop_id;
	f->user_id = j->api ? 0 : j->who.user_id;
	memcpy(f->digest, j->digest, sizeof(f->digest));
	snprintf(f->name, sizeof(f->name), "%s", j->name);
	snprintf(f->source, sizeof(f->source), "%s", j->api ? "api" : "back_office");
	snprintf(f->status, sizeof(f->status), "%s", "received");
	f->lines = j->lines;
	f->refused = j->line_errors;
	f->received_at = now;
	if ((rc = st->ops->order_file_insert(st, f)) != ST_OK)
		return rc;
	rc = scan(j, st, true, NULL);
	if (rc == ST_OK && j->line_errors != checked)
		rc = ST_CONFLICT; /* the day's month changed between the two readings: again */
	if (rc == ST_OK && j->line_errors == j->lines)
		rc = st->ops->order_file_status(st, j->brand_id, f->id, "refused", now);
	if (rc == ST_OK && !j->api) {
		snprintf(details, sizeof(details),
		         "file: %lld; name: %s; lines: %lld; refused: %lld", (long long)f->id,
		         f->name, (long long)j->lines, (long long)j->line_errors);
		api_action_add(st, &j->who, now, "order_file_upload", details, NULL, &rc);
	}
	if (rc == ST_OK)
		rc = st->ops->order_file_get(st, j->brand_id, 0, f->id, f);
	if (rc == ST_OK) {
		json_object_set_new(j->result, "duplicate", json_false());
		json_object_set_new(j->result, "file", file_json(f));
	}
	return rc;
}

/* The body taken: copied, digested, h2o's copy wiped. 0, or -1 when answered. */
static int
take_body(struct req *r, struct of_job *j)
{
	h2o_iovec_t body = http_body(r);
	unsigned char digest[CRYPTO_HASH_LEN];

	if (body.len == 0) {
		json_bad_field(r, "file",
		               "The body is the file itself: its header line, then one "
		               "line per order (docs/ORDER-FILES.md).");
		return -1;
	}
	j->text = malloc(body.len);
	if (j->text == NULL)
		abort();
	memcpy(j->text, body.base, body.len);
	j->len = body.len;
	crypto_request_digest(digest, j->app->keys, body.base, body.len);
	crypto_hex(j->digest, digest, sizeof(digest));
	crypto_wipe(body.base, body.len);
	return 0;
}

/* name=: the file's name as shown (printable, at most 100 bytes); "orders.csv" without. */
static int
take_name(struct req *r, struct of_job *j)
{
	int g = query_get(r, "name", j->name, sizeof(j->name));

	if (g < 0 || (g == 1 && j->name[0] == '\0')) {
		json_bad_field(r, "name", "name: the file's name, 1 to 100 bytes.");
		return -1;
	}
	for (const char *p = j->name; g == 1 && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F) {
			json_bad_field(r, "name", "name: the file's name, 1 to 100 bytes.");
			return -1;
		}
	if (g == 0)
		snprintf(j->name, sizeof(j->name), "%s", "orders.csv");
	return 0;
}

static int
upload(struct req *r, bool api)
{
	static const char *const bo_allowed[] = {"shop_id", "name", NULL};
	static const char *const api_allowed[] = {"name", NULL};
	struct of_job *j;
	char unknown[QUERY_KEY_MAX], shop[QUERY_VALUE_MAX];
	int g;

	if (query_unknown(r, api ? api_allowed : bo_allowed, unknown, sizeof(unknown)) != 0) {
		json_bad_field(r, unknown,
		               api ? "The only parameter is name."
		                   : "The parameters are shop_id and name.");
		return 0;
	}
	j = of_new(r, OF_UPLOAD, api);
	if (!api) {
		g = query_get(r, "shop_id", shop, sizeof(shop));
		if (g != 1 || query_id(shop, &j->shop_id) != 0) {
			of_free(&j->base);
			json_bad_field(r, "shop_id",
			               "shop_id is the id of a shop of your node of the tree.");
			return 0;
		}
	}
	if (take_name(r, j) != 0 || take_body(r, j) != 0) {
		of_free(&j->base);
		return 0;
	}
	j->base.work.run = upload_check;
	j->base.then_write = upload_record;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_order_files_upload(struct req *r)
{
	return upload(r, false);
}

int
api_v1_order_files_upload(struct req *r)
{
	return upload(r, true);
}

/* --- the list -------------------------------------------------------------------------------- */

static int
file_push(void *arg, const struct order_file *f)
{
	struct of_job *j = arg;

	if (j->n == j->limit) {
		j->more = true;
		return ST_OK;
	}
	json_array_append_new(j->result, file_json(f));
	j->last_at = f->received_at;
	j->last_id = f->id;
	j->n++;
	return ST_OK;
}

static int
list_run(struct work_job *w, struct store *st)
{
	struct of_job *j = (struct of_job *)w;
	json_t *items;
	int rc = api_scope(st, &j->who, j->node, &j->q.node_id);

	if (rc != ST_OK)
		return rc;
	j->q.brand_id = j->brand_id;
	j->q.limit = j->limit + 1; /* one more: whether a next page exists */
	j->result = json_array();
	rc = st->ops->order_files_each(st, &j->q, file_push, j);
	if (rc != ST_OK)
		return rc;
	items = j->result;
	j->result = json_pack(
	        "{s:o, s:o}", "items", items, "next",
	        j->more ? json_sprintf("%lld.%lld", (long long)j->last_at, (long long)j->last_id)
	                : json_null());
	return j->result != NULL ? ST_OK : ST_INTERNAL;
}

static const char *
list_param(void *ctx, const char *key, char *val)
{
	struct of_job *j = ctx;
	int64_t n;

	if (strcmp(key, "node") == 0)
		return query_id(val, &j->node) == 0 ? NULL : "node";
	if (strcmp(key, "shop_id") == 0)
		return query_id(val, &j->q.shop_id) == 0 ? NULL : "shop_id";
	if (strcmp(key, "limit") == 0) {
		if (query_id(val, &n) != 0 || n < 1 || n > OF_PAGE_MAX)
			return "limit";
		j->limit = (int)n;
		return NULL;
	}
	if (strcmp(key, "cursor") == 0)
		return filter_cursor(val, &j->q.after_at, &j->q.after_id) == 0 ? NULL : "cursor";
	return "query";
}

int
api_order_files_list(struct req *r)
{
	struct of_job *j = of_new(r, OF_LIST, false);
	const char *bad;

	j->limit = OF_PAGE_DEFAULT;
	if ((bad = query_each_once(r, list_param, j)) != NULL) {
		of_free(&j->base);
		json_bad_field(r, bad,
		               "node (a node of your tree), shop_id, limit (1 to 500) and cursor.");
		return 0;
	}
	j->base.work.run = list_run;
	return http_submit_or_reply(r, &j->base, false);
}

/* --- one file, its lines, its result --------------------------------------------------------- */

/* The file asked for: the shop's that signed (API), or of a shop of the user's node and
 * below (back office); else 404. */
static int
file_of(struct of_job *j, struct store *st)
{
	int64_t node;
	int rc = st->ops->order_file_get(st, j->brand_id, j->api ? j->shop_id : 0, j->id, &j->file);

	if (rc == ST_OK && !j->api) {
		rc = api_scope(st, &j->who, j->file.shop_id, &node);
	}
	if (rc == ST_NOTFOUND) {
		j->why = "not_found";
		j->message = "No such file of payment orders.";
	}
	return rc;
}

static int
line_push(void *arg, const struct order_line *l)
{
	struct of_job *j = arg;

	if (j->limit > 0 && j->n == j->limit) {
		j->more = true;
		return ST_OK;
	}
	json_array_append_new(j->result, line_json(l));
	j->last_id = l->line_no;
	j->n++;
	return ST_OK;
}

static int
get_run(struct work_job *w, struct store *st)
{
	struct of_job *j = (struct of_job *)w;
	json_t *items;
	int rc = file_of(j, st);

	if (rc != ST_OK)
		return rc;
	if (j->kind == OF_GET && !j->api) {
		j->result = file_json(&j->file);
		return ST_OK;
	}
	j->result = json_array();
	rc = st->ops->order_lines_each(st, j->brand_id, j->id, j->after, j->limit + 1, false,
	                               line_push, j);
	if (rc != ST_OK)
		return rc;
	items = j->result;
	j->result = json_pack("{s:o, s:o, s:o}", "file", file_json(&j->file), "items", items,
	                      "next", j->more ? json_integer(j->last_id) : json_null());
	return ST_OK;
}

static int
result_push(void *arg, const struct order_line *l)
{
	struct of_job *j = arg;
	char num[24], amount[24], target[24], txn[24];

	snprintf(num, sizeof(num), "%lld", (long long)l->line_no);
	snprintf(amount, sizeof(amount), "%lld", (long long)l->amount);
	snprintf(target, sizeof(target), "%lld", (long long)l->target_id);
	snprintf(txn, sizeof(txn), "%lld", (long long)l->txn_id);
	csv_field(&j->out, num, true);
	csv_field(&j->out, l->operation, false);
	csv_field(&j->out, l->reference, false);
	csv_field(&j->out, l->amount ? amount : "", false);
	csv_field(&j->out, l->currency, false);
	csv_field(&j->out, l->card_masked, false);
	csv_field(&j->out, l->card_expiry, false);
	csv_field(&j->out, l->alias, false);
	csv_field(&j->out, l->target_id ? target : "", false);
	csv_field(&j->out, l->capture, false);
	csv_field(&j->out, l->status, false);
	csv_field(&j->out, l->reason, false);
	csv_field(&j->out, l->message, false);
	csv_field(&j->out, l->txn_id ? txn : "", false);
	csv_end(&j->out);
	return ST_OK;
}

static int
result_run(struct work_job *w, struct store *st)
{
	static const char *const head[] = {"line",           "operation",
	                                   "reference",      "amount",
	                                   "currency",       "card",
	                                   "card_expiry",    "alias",
	                                   "transaction_id", "capture",
	                                   "status",         "reason",
	                                   "message",        "result_transaction_id"};
	struct of_job *j = (struct of_job *)w;
	int rc = file_of(j, st);

	if (rc != ST_OK)
		return rc;
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		csv_field(&j->out, head[i], i == 0);
	csv_end(&j->out);
	rc = st->ops->order_lines_each(st, j->brand_id, j->id, 0, 0, false, result_push, j);
	return rc == ST_OK && j->out.failed ? ST_TOOBIG : rc;
}

static const char *
lines_param(void *ctx, const char *key, char *val)
{
	struct of_job *j = ctx;
	int64_t n;

	if (strcmp(key, "after") == 0) /* a line number, 0 for the first page */
		return strcmp(val, "0") == 0 || query_id(val, &j->after) == 0 ? NULL : "after";
	if (strcmp(key, "limit") == 0) {
		if (query_id(val, &n) != 0 || n < 1 || n > OF_LINES_MAX)
			return "limit";
		j->limit = (int)n;
		return NULL;
	}
	return "query";
}

static int
one(struct req *r, enum of_kind kind, bool api)
{
	static const char *const nothing[] = {NULL};
	struct of_job *j = of_new(r, kind, api);
	char unknown[QUERY_KEY_MAX];
	const char *bad = NULL;

	j->limit = OF_LINES_DEFAULT;
	if (kind == OF_LINES || (kind == OF_GET && api))
		bad = query_each_once(r, lines_param, j);
	else if (query_unknown(r, nothing, unknown, sizeof(unknown)) != 0)
		bad = "query";
	if (bad != NULL) {
		of_free(&j->base);
		json_bad_field(r, bad,
		               kind == OF_LINES ? "after (a line number) and limit (1 to 1000)."
		                                : "No parameter.");
		return 0;
	}
	j->base.work.run = kind == OF_RESULT ? result_run : get_run;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_order_files_get(struct req *r)
{
	return one(r, OF_GET, false);
}

int
api_order_files_lines(struct req *r)
{
	return one(r, OF_LINES, false);
}

int
api_order_files_result(struct req *r)
{
	return one(r, OF_RESULT, false);
}

int
api_v1_order_files_get(struct req *r)
{
	return one(r, OF_GET, true);
}
