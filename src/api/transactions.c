/*
 * transactions.c - the back office's transactions (SPEC §5, §6, §16): the search with every
 * filter, the details with the history, and the cash operations, which go through the same
 * use case as the merchant API (service/payments.c) with the signed-in user as the actor.
 *
 * Scope: the user's node of the tree and below; another brand's or node's id answers 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/columns.h"
#include "api/csv.h"
#include "api/ereport.h"
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
#include "domain/tz.h"
#include "service/notify.h"
#include "service/payments.h"

#define TXN_PAGE_DEFAULT 50
#define TXN_PAGE_MAX     500
#define EXPORT_PAGE_ROWS 5000
/* The refunds the details list: a debit has a handful; past these, "refunds_more" says the
 * journal (a search by order reference) has the others. */
#define TXN_REFUNDS_MAX  50
#define EXPORT_CHUNK_MAX (16 * 1024 * 1024)
#define PERIOD_HELP                                                                                \
	"from and to are required (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in your time zone, from "   \
	"before to)."

struct tx_job {
	struct http_job base;  /* first */
	const struct app *app; /* its keys: an operation's notification opens the shop's key */
	struct session who;
	struct txn_query q;
	char like[2 * TXN_ORDER_REF_MAX + 3];
	char contract[21], email[TXN_EMAIL_MAX + 1], currency[4], wallet[17];
	int64_t id;
	enum txn_op op;
	int64_t amount;
	char reason[BLOCK_REASON_MAX + 1]; /* block card: the entry's reason and end */
	int64_t expires_at;
	/* Results. */
	int status;
	json_t *result;
	const char *why;
	int64_t last_created_at, last_id;
	int n;
	int64_t found;             /* summary: the transactions counted */
	bool export;               /* the query is an export's: it may name its format */
	bool txt;                  /* export: the TXT layout (tabs) rather than CSV */
	bool report;               /* export: the user's electronic reporting (ereport.h) */
	bool have_layout;          /* export: layout= was given */
	enum export_layout layout; /* export: machine, classic or old (export_layout.h) */
	bool batches;              /* the query is the batch journal's */
	bool have_from, have_to;   /* the search's period was given */
	char rang[4];
	int64_t batch_number;
	int64_t node; /* node=ID: a node of the user's tree, else 0 (their own) */
	/* Export: the user's columns (read by the first page) and time zone. */
	bool prefs_loaded;
	struct columns cols;
	const struct tz *zone;
	struct ereport er; /* format=report: the user's structure and format */
};

static void
tx_free(struct http_job *hj)
{
	struct tx_job *j = (struct tx_job *)hj;

	json_decref(j->result);
	free(j);
}

static void
tx_respond(struct http_job *hj, struct req *r)
{
	struct tx_job *j = (struct tx_job *)hj;

	if (j->base.work.rc != ST_OK) {
		/* A refusal of SPEC §6 says the domain's sentence (reply.c). */
		http_reply_error(r, j->base.work.rc, j->why, NULL);
		return;
	}
	http_reply_json(r, j->status, j->result);
	j->result = NULL;
}

static struct tx_job *
tx_new(struct req *r)
{
	struct tx_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->app = r->app;
	j->who = r->session;
	j->id = r->path_id;
	j->status = 200;
	j->base.respond = tx_respond;
	j->base.free = tx_free;
	return j;
}

/* --- query string --------------------------------------------------------------------------- */

/* node=ID: a node of the user's tree and below, else 404 (another brand's, another branch's). */
static int
scope_apply(struct tx_job *j, struct store *st)
{
	return api_scope(st, &j->who, j->node, &j->q.node_id);
}

/* One filter of the search into the job's query (query_param_fn). NULL: taken; else the bad
 * parameter's name. */
static const char *
parse_one(void *ctx, const char *key, char *val)
{
	struct tx_job *j = ctx;
	const struct tz *zone = api_zone(&j->who);
	int v;

	if (strcmp(key, "from") == 0) {
		if (filter_when(val, zone, false, &j->q.from) != 0)
			return "from";
		j->have_from = true;
	} else if (strcmp(key, "to") == 0) {
		if (filter_when(val, zone, true, &j->q.to) != 0)
			return "to";
		j->have_to = true;
	} else if (strcmp(key, "id") == 0) {
		if (query_id(val, &j->q.id) != 0)
			return "id";
	} else if (strcmp(key, "amount") == 0) {
		if (filter_amount(val, &j->q.amount_cmp, &j->q.amount) != 0)
			return "amount";
	} else if (strcmp(key, "payment_method") == 0) {
		if ((j->q.method = card_method_parse(val)) == METHOD_NONE)
			return "payment_method";
	} else if (strcmp(key, "node") == 0) {
		if (query_id(val, &j->node) != 0)
			return "node";
	} else if (strcmp(key, "shop") == 0) {
		if (query_id(val, &j->q.shop_id) != 0)
			return "shop";
	} else if (strcmp(key, "batch") == 0) {
		/* The batch's number, as the batch journal shows it (per contract). */
		if (query_id(val, &j->q.batch_number) != 0)
			return "batch";
	} else if (strcmp(key, "batch_id") == 0) {
		if (query_id(val, &j->q.batch_id) != 0)
			return "batch_id";
	} else if (strcmp(key, "order_ref") == 0) {
		if (!filter_text(val, TXN_ORDER_REF_MAX + 1))
			return "order_ref";
		filter_like(val, j->like, sizeof(j->like));
		j->q.order_ref_like = j->like;
	} else if (strcmp(key, "type") == 0) {
		if ((v = txn_type_parse(val)) < 0)
			return "type";
		j->q.type = v;
	} else if (strcmp(key, "rang") == 0 && j->batches) {
		if (strlen(val) != 3 || strspn(val, "0123456789") != 3)
			return "rang";
		memcpy(j->rang, val, 4);
	} else if (strcmp(key, "number") == 0 && j->batches) {
		if (query_id(val, &j->batch_number) != 0)
			return "number";
	} else if (strcmp(key, "status") == 0 && j->batches) {
		if (strcmp(val, "sent") != 0) /* the only status a batch has today */
			return "status";
	} else if (strcmp(key, "status") == 0) {
		if ((v = txn_status_parse(val)) < 0)
			return "status";
		j->q.status = v;
	} else if (strcmp(key, "acquirer_status") == 0) {
		if ((v = txn_acq_parse(val)) < 0)
			return "acquirer_status";
		j->q.acq = v;
	} else if (strcmp(key, "contract") == 0) {
		if (!filter_text(val, sizeof(j->contract)))
			return "contract";
		memcpy(j->contract, val, strlen(val) + 1);
		j->q.contract_number = j->contract;
	} else if (strcmp(key, "email") == 0) {
		if (!filter_text(val, sizeof(j->email)))
			return "email";
		memcpy(j->email, val, strlen(val) + 1);
		j->q.email = j->email;
	} else if (strcmp(key, "currency") == 0) {
		if (money_currency_find(val) == NULL)
			return "currency";
		memcpy(j->currency, val, 4);
		j->q.currency = j->currency;
	} else if (strcmp(key, "wallet") == 0) {
		if (!filter_text(val, sizeof(j->wallet)))
			return "wallet";
		memcpy(j->wallet, val, strlen(val) + 1);
		j->q.wallet = j->wallet;
	} else if (strcmp(key, "manual") == 0 && !j->batches) {
		/* The virtual terminal's entries (SPEC §10), or all but them. */
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return "manual";
		j->q.manual = strcmp(val, "yes") == 0 ? MANUAL_ONLY : MANUAL_NONE;
	} else if (strcmp(key, "origin") == 0 && !j->batches) {
		/* Where it came from (issue 12): api, hosted_page, paybox_system, … */
		int o = txn_origin_parse(val);

		if (o < 0)
			return "origin";
		j->q.has_origin = true;
		j->q.origin = (enum txn_origin)o;
	} else if (strcmp(key, "format") == 0 && j->export) {
		/* report: the user's electronic reporting (SPEC §14), transactions only. */
		j->report = strcmp(val, "report") == 0 && !j->batches;
		if (strcmp(val, "csv") != 0 && strcmp(val, "txt") != 0 && !j->report)
			return "format";
		j->txt = strcmp(val, "txt") == 0;
	} else if (strcmp(key, "layout") == 0 && j->export) {
		if (export_layout_parse(val, &j->layout) != 0)
			return "layout";
		j->have_layout = true;
	} else if (strcmp(key, "limit") == 0) {
		int64_t n;

		if (query_id(val, &n) != 0 || n > TXN_PAGE_MAX)
			return "limit";
		j->q.limit = (int)n;
	} else if (strcmp(key, "cursor") == 0) {
		if (filter_cursor(val, &j->q.after_created_at, &j->q.after_id) != 0)
			return "cursor";
	} else {
		return "query";
	}
	return NULL;
}

/* Fills j->q from the query string. NULL: all good; else the name of the bad parameter. */
static const char *
parse_search(struct req *r, struct tx_job *j)
{
	const char *bad;

	j->q.brand_id = j->who.brand_id;
	j->q.node_id = j->who.node_id;
	j->q.method = j->q.type = j->q.status = j->q.acq = -1;
	j->q.limit = TXN_PAGE_DEFAULT;
	if ((bad = query_each_once(r, parse_one, j)) != NULL)
		return bad;
	if (!j->have_from)
		return "from";
	if (!j->have_to || j->q.to <= j->q.from)
		return "to";
	return NULL;
}

/* --- search -------------------------------------------------------------------------------------- */

static json_t *
item_json(const struct txn *t, int64_t now)
{
	char created[25];
	json_t *o;

	cal_instant_format(t->created_at, created);
	o = json_pack("{s:s%, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "id", "", 0, "type",
	              txn_type_name(t->type), "status", txn_status_name(t->status),
	              "acquirer_status", txn_acq_name(t->acq), "amount_initial",
	              (json_int_t)t->amount_initial, "amount_current",
	              (json_int_t)t->amount_current, "currency", t->currency, "order_ref",
	              t->order_ref, "card_masked", t->card_masked, "created_at", created);
	json_object_set_new(o, "id", json_sprintf("%lld", (long long)t->id));
	json_object_set_new(o, "payment_method", json_string(card_method_name(t->method)));
	json_object_set_new(o, "shop_id", json_integer(t->shop_id));
	json_object_set_new(o, "refused", json_boolean(t->status == TXS_REFUSED));
	json_object_set_new(o, "three_d_secure_guarantee",
	                    json_string(t->tds_guaranteed
	                                        ? tds_view(t->tds, true, t->accepted_at, now)
	                                        : (t->tds ? "no" : "na")));
	json_object_set_new(o, "customer_country", json_str_or_null(t->customer_country));
	json_object_set_new(o, "card_country", json_str_or_null(t->card_country));
	json_object_set_new(o, "email", json_str_or_null(t->email));
	json_object_set_new(o, "batch_id", t->batch_id ? json_integer(t->batch_id) : json_null());
	json_object_set_new(o, "batch_number",
	                    t->batch_id ? json_integer(t->batch_number) : json_null());
	/* Every other column a user may choose for the journal (columns.c), under its key. */
	json_object_set_new(o, "amount_refunded", json_integer(t->amount_refunded));
	json_object_set_new(o, "authorization_number", json_str_or_null(t->auth_number));
	json_object_set_new(o, "refusal_reason",
	                    t->refusal ? json_string(refusal_code(t->refusal)) : json_null());
	json_object_set_new(o, "card_expiry", json_str_or_null(t->card_expiry));
	json_object_set_new(o, "three_d_secure",
	                    json_string(tds_view(t->tds, t->tds_guaranteed, t->accepted_at, now)));
	json_object_set_new(o, "three_d_secure_authenticated",
	                    t->tds ? json_string(tds_auth_name(t->tds_auth)) : json_null());
	json_object_set_new(o, "three_d_secure_guaranteed",
	                    json_string(!t->tds             ? "na"
	                                : t->tds_guaranteed ? "yes"
	                                                    : "no"));
	json_object_set_new(o, "shop", json_integer(t->shop_id));
	json_object_set_new(o, "batch", t->batch_id ? json_integer(t->batch_number) : json_null());
	json_object_set_new(o, "bank_date", json_day_or_null(t->bank_day));
	json_object_set_new(o, "wallet", json_str_or_null(t->wallet));
	json_object_set_new(o, "acquirer", json_str_or_null(t->acquirer));
	json_object_set_new(o, "issuer", json_str_or_null(t->issuer));
	json_object_set_new(o, "card_type", json_str_or_null(t->card_type));
	json_object_set_new(o, "capture", json_string(t->capture_manual ? "manual" : "auto"));
	json_object_set_new(o, "parent_id",
	                    t->parent_id ? json_sprintf("%lld", (long long)t->parent_id)
	                                 : json_null());
	json_object_set_new(o, "accepted_at", json_instant_or_null(t->accepted_at));
	json_object_set_new(o, "updated_at", json_instant_or_null(t->updated_at));
	json_object_set_new(o, "manual", json_boolean(t->manual));
	json_object_set_new(o, "archive_ref", json_str_or_null(t->archive_ref));
	json_object_set_new(o, "origin", json_string(txn_origin_name(t->origin)));
	return o;
}

struct search_ctx {
	struct tx_job *j;
	json_t *items;
	int64_t now;
};

static int
search_push(void *arg, const struct txn *t)
{
	struct search_ctx *x = arg;

	json_array_append_new(x->items, item_json(t, x->now));
	x->j->last_created_at = t->created_at;
	x->j->last_id = t->id;
	x->j->n++;
	return ST_OK;
}

static int
search_run(struct work_job *w, struct store *st)
{
	struct tx_job *j = (struct tx_job *)w;
	struct search_ctx x = {j, json_array(), clock_now_us()};
	int rc = scope_apply(j, st);

	if (rc == ST_OK)
		rc = st->ops->txn_search(st, &j->q, search_push, &x);
	if (rc != ST_OK) {
		json_decref(x.items);
		return rc;
	}
	/* A full page may have a next one: its cursor is the last row's key. */
	j->result = json_pack("{s:o, s:o}", "items", x.items, "next",
	                      j->n == j->q.limit
	                              ? json_sprintf("%lld.%lld", (long long)j->last_created_at,
	                                             (long long)j->last_id)
	                              : json_null());
	return ST_OK;
}

/* A search's query read, then run by run off the loop; a bad filter answered 400. */
static int
search_submit(struct req *r, int (*run)(struct work_job *w, struct store *st))
{
	struct tx_job *j = tx_new(r);
	const char *bad = parse_search(r, j);

	if (bad != NULL) {
		tx_free(&j->base);
		json_bad_field(r, bad, PERIOD_HELP " see the documentation for the other filters.");
		return 0;
	}
	j->base.work.run = run;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_transactions_search(struct req *r)
{
	return search_submit(r, search_run);
}

/* --- summary: what the search finds, counted -------------------------------------------------- */

static int
summary_push(void *arg, const struct txn_sum *sum)
{
	struct tx_job *j = arg;

	json_array_append_new(json_object_get(j->result, "totals"),
	                      json_pack("{s:s, s:s, s:I, s:I, s:I}", "currency", sum->currency,
	                                "type", txn_type_name(sum->type), "count",
	                                (json_int_t)sum->count, "amount", (json_int_t)sum->amount,
	                                "amount_current", (json_int_t)sum->amount_current));
	j->found += sum->count;
	return ST_OK;
}

static int
summary_run(struct work_job *w, struct store *st)
{
	struct tx_job *j = (struct tx_job *)w;
	int rc = scope_apply(j, st);

	j->result = json_pack("{s:[]}", "totals");
	if (rc == ST_OK)
		rc = st->ops->txn_summary(st, &j->q, summary_push, j);
	if (rc != ST_OK)
		return rc;
	json_object_set_new(j->result, "count", json_integer(j->found));
	return ST_OK;
}

/* The search's result counted, its page and cursor aside: {"count", "totals": [{currency,
 * type, count, amount, amount_current}]} (a client's export shows its progress against it,
 * the journal its count and sums, a bulk operation what it is about to do). */
int
api_transactions_summary(struct req *r)
{
	return search_submit(r, summary_run);
}

/* --- details ----------------------------------------------------------------------------------------- */

/* The transaction, if it is of a shop within the user's node. */
static int
get_in_scope(struct tx_job *j, struct store *st, struct txn *t)
{
	bool within = false;
	int rc = st->ops->txn_get(st, j->who.brand_id, 0, j->id, t);

	if (rc == ST_OK)
		rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, t->shop_id, &within);
	if (rc == ST_OK && !within)
		rc = ST_NOTFOUND;
	return rc;
}

/* What the user may do on t now: their profile may call the operation's route, and the
 * rules of SPEC §6 allow it (capture and refund up to the most they may take). */
static json_t *
operations_json(const struct session *who, const struct txn *t, int64_t now)
{
	static const struct {
		enum txn_op op;
		const char *name, *route;
	} ops[] = {
	        {OP_CAPTURE, "capture", "/bo/api/transactions/{id}/capture"},
	        {OP_CANCEL, "cancel", "/bo/api/transactions/{id}/cancel"},
	        {OP_REFUND, "refund", "/bo/api/transactions/{id}/refund"},
	        {OP_SEND, "send", "/bo/api/transactions/{id}/send"},
	        {OP_BLOCK_CARD, "block_card", "/bo/api/transactions/{id}/block-card"},
	};
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		int64_t amount = ops[i].op == OP_CAPTURE  ? t->amount_initial
		                 : ops[i].op == OP_REFUND ? t->amount_current
		                                          : 0;

		json_object_set_new(
		        o, ops[i].name,
		        json_boolean(routes_allow("POST", ops[i].route, who->profile) &&
		                     txn_op_check(ops[i].op, t, amount, now) == DENY_NONE &&
		                     (ops[i].op != OP_SEND || txn_send_brings_forward(t, now))));
	}
	return o;
}

/* The plan or subscription t is a debit of: {"kind","id","number"}, or null (*rc ST_OK) when
 * none. */
static json_t *
recurring_of(struct store *st, const struct txn *t, int *rc)
{
	struct recurring_debit d;
	struct recurring r;

	*rc = st->ops->recurring_of_txn(st, t->brand_id, t->id, &d);
	if (*rc == ST_OK)
		*rc = st->ops->recurring_get(st, t->brand_id, 0, 0, d.recurring_id, &r);
	if (*rc != ST_OK) {
		if (*rc == ST_NOTFOUND)
			*rc = ST_OK;
		return json_null();
	}
	return json_pack("{s:s, s:o, s:I}", "kind", recurring_kind_name(r.kind), "id",
	                 json_sprintf("%lld", (long long)r.id), "number", (json_int_t)d.number);
}

/* A transaction's reconciliation (docs/RECONCILIATION.md); an ERROR of the 7-day rule has no
 * JRB number, net amount nor commission: null. */
static json_t *
reconciliation_json(const struct reconciliation *rec)
{
	bool jrb = rec->batch_number != 0;

	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o}", "batch_number",
	                 jrb ? json_integer(rec->batch_number) : json_null(), "reconciled",
	                 rec->ok ? "yes" : "error", "reconciled_at", json_instant_or_null(rec->at),
	                 "net_amount", jrb ? json_integer(rec->net_amount) : json_null(),
	                 "commission", jrb ? json_integer(rec->commission) : json_null(),
	                 "commission_currency", jrb ? json_string(rec->currency) : json_null());
}

struct refunds_ctx {
	json_t *items;
	int n;
};

static int
refund_push(void *arg, const struct txn *t)
{
	struct refunds_ctx *x = arg;
	char created[25];

	if (++x->n > TXN_REFUNDS_MAX)
		return ST_OK; /* the one past the cap: there are more */
	cal_instant_format(t->created_at, created);
	json_array_append_new(x->items, json_pack("{s:o, s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "id",
	                                          json_sprintf("%lld", (long long)t->id), "type",
	                                          txn_type_name(t->type), "status",
	                                          txn_status_name(t->status), "acquirer_status",
	                                          txn_acq_name(t->acq), "amount",
	                                          (json_int_t)t->amount_initial, "amount_current",
	                                          (json_int_t)t->amount_current, "currency",
	                                          t->currency, "created_at", created));
	return ST_OK;
}

/* t's children (its refunds), oldest first, into the details: "refunds", and "refunds_more"
 * true when there are more than TXN_REFUNDS_MAX. Only the brand's: the tenant first. */
static int
refunds_put(struct store *st, const struct txn *t, json_t *out)
{
	struct refunds_ctx x = {json_array(), 0};
	int rc = st->ops->txn_children_each(st, t->brand_id, t->id, TXN_REFUNDS_MAX + 1,
	                                    refund_push, &x);

	if (rc != ST_OK) {
		json_decref(x.items);
		return rc;
	}
	json_object_set_new(out, "refunds", x.items);
	json_object_set_new(out, "refunds_more", json_boolean(x.n > TXN_REFUNDS_MAX));
	return ST_OK;
}

static int
details_run(struct work_job *w, struct store *st)
{
	struct tx_job *j = (struct tx_job *)w;
	struct reconciliation rec;
	struct txn t;
	json_t *hist;
	bool has_rec = true;
	int rc = get_in_scope(j, st, &t);

	if (rc != ST_OK)
		return rc;
	hist = json_array();
	rc = st->ops->history_each(st, t.brand_id, t.id, history_push, hist);
	if (rc == ST_OK) {
		rc = st->ops->txn_reconciliation(st, t.brand_id, t.id, &rec);
		if (rc == ST_NOTFOUND)
			has_rec = false, rc = ST_OK;
	}
	if (rc != ST_OK) {
		json_decref(hist);
		return rc;
	}
	j->result = txn_json(&t, clock_now_us());
	json_object_set_new(j->result, "recurring", recurring_of(st, &t, &rc));
	if (rc != ST_OK) {
		json_decref(hist);
		return rc;
	}
	rc = refunds_put(st, &t, j->result);
	if (rc != ST_OK) {
		json_decref(hist);
		return rc;
	}
	json_object_set_new(j->result, "operations", operations_json(&j->who, &t, clock_now_us()));
	json_object_set_new(j->result, "reconciliation",
	                    !has_rec ? json_null() : reconciliation_json(&rec));
	json_object_set_new(j->result, "shop_id", json_integer(t.shop_id));
	json_object_set_new(j->result, "batch_id",
	                    t.batch_id ? json_integer(t.batch_id) : json_null());
	/* The batch's number, as the batch journal, the bank file and the JRB show it. */
	json_object_set_new(j->result, "batch_number",
	                    t.batch_id ? json_integer(t.batch_number) : json_null());
	json_object_set_new(j->result, "batch",
	                    json_incref(json_object_get(j->result, "batch_number")));
	json_object_set_new(j->result, "history", hist);
	return ST_OK;
}

int
api_transactions_get(struct req *r)
{
	struct tx_job *j = tx_new(r);

	j->base.work.run = details_run;
	return http_submit_or_reply(r, &j->base, false);
}

/* --- cash operations (SPEC §6) ----------------------------------------------------------------------- */

/* Applies j->op to transaction id within the user's scope, with its action-log line. */
/* An operation's action-log details: the transaction and the amount it concerns, in units
 * with the currency ("transaction 20448, amount 150.50 EUR"), which the web UI says in the
 * user's language and the export's reader reads as written. */
static void
op_details(char *out, size_t cap, enum txn_op op, const struct txn *t, const struct txn *rf)
{
	const struct currency *cur = money_currency_find(t->currency);
	int64_t amount = op == OP_REFUND   ? rf->amount_initial
	                 : op == OP_CANCEL ? t->amount_initial
	                                   : t->amount_current;
	char units[32];

	if (cur == NULL || money_format_plain(amount, cur, units, sizeof(units)) < 0)
		snprintf(units, sizeof(units), "%lld", (long long)amount);
	snprintf(out, cap, "transaction %lld, amount %s %s", (long long)t->id, units, t->currency);
}

static int
operate_one(struct tx_job *j, struct store *st, int64_t id, int64_t amount, int64_t now,
            struct txn *t, struct txn *rf)
{
	struct actor who = {j->who.user_id, j->who.name, j->who.login};
	const char *what;
	char details[BLOCK_REASON_MAX + 96];
	int rc;

	j->id = id;
	rc = get_in_scope(j, st, t);
	if (rc == ST_OK && j->op == OP_BLOCK_CARD)
		rc = payment_block_card(st, j->who.brand_id, t->shop_id, id, j->reason,
		                        j->expires_at, &who, now, t, &j->why);
	else if (rc == ST_OK)
		rc = payment_operate(st, j->who.brand_id, t->shop_id, id, j->op, amount, &who, now,
		                     t, rf, &j->why);
	/* The operation told to the shop's server, like the merchant API's (README
	 * "Notifications"): the refund's own transaction for a refund. Blocking a card decides
	 * nothing about the payment. */
	if (rc == ST_OK && j->op != OP_BLOCK_CARD)
		rc = notify_shop_txn(st, j->app->keys, j->op == OP_REFUND ? rf : t,
		                     notify_event_of(j->op), now);
	if (rc != ST_OK)
		return rc;
	if (j->op == OP_BLOCK_CARD)
		snprintf(details, sizeof(details), "transaction %lld, card %s%s%s", (long long)id,
		         t->card_masked, j->reason[0] ? ", reason: " : "", j->reason);
	else
		op_details(details, sizeof(details), j->op, t, rf);
	what = j->op == OP_CAPTURE  ? "transaction_capture"
	       : j->op == OP_CANCEL ? "transaction_cancellation"
	       : j->op == OP_REFUND ? "transaction_refund"
	       : j->op == OP_SEND   ? "transaction_bank_sending"
	                            : "card_blocked";
	api_action_add(st, &j->who, now, what, details, NULL, &rc);
	return rc;
}

static int
operate_run(struct work_job *w, struct store *st)
{
	struct tx_job *j = (struct tx_job *)w;
	struct txn t, rf;
	int64_t now = clock_now_us();
	int rc = operate_one(j, st, j->id, j->amount, now, &t, &rf);

	if (rc != ST_OK)
		return rc;
	j->result = txn_json(&t, now);
	if (j->op == OP_REFUND) {
		json_object_set_new(j->result, "refund", txn_json(&rf, now));
		j->status = 201;
	}
	return ST_OK;
}

static int
operate(struct req *r, enum txn_op op)
{
	static const char *const with_amount[] = {"amount", NULL};
	static const char *const block_note[] = {"reason", "expires_at", NULL};
	static const char *const nothing[] = {NULL};
	bool takes_amount = op == OP_CAPTURE || op == OP_REFUND;
	struct tx_job *j;
	json_t *o, *v;

	if ((o = json_body_object(r, true)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o,
	                        takes_amount          ? with_amount
	                        : op == OP_BLOCK_CARD ? block_note
	                                              : nothing)) {
		json_decref(o);
		return 0;
	}
	j = tx_new(r);
	j->op = op;
	if (op == OP_BLOCK_CARD && api_block_note(r, o, j->reason, &j->expires_at) != 0) {
		json_decref(o);
		tx_free(&j->base);
		return 0;
	}
	if ((v = json_object_get(o, "amount")) != NULL) {
		if (!json_is_integer(v) || !money_amount_valid(json_integer_value(v))) {
			json_decref(o);
			tx_free(&j->base);
			json_bad_field(r, "amount",
			               "amount must be an integer count of minor units, 1 to "
			               "99999999999.");
			return 0;
		}
		j->amount = json_integer_value(v);
	}
	json_decref(o);
	j->base.work.run = operate_run;
	return http_submit_or_reply(r, &j->base, true);
}

int
api_transactions_capture(struct req *r)
{
	return operate(r, OP_CAPTURE);
}

int
api_transactions_cancel(struct req *r)
{
	return operate(r, OP_CANCEL);
}

int
api_transactions_refund(struct req *r)
{
	return operate(r, OP_REFUND);
}

int
api_transactions_send(struct req *r)
{
	return operate(r, OP_SEND);
}

int
api_transactions_block_card(struct req *r)
{
	return operate(r, OP_BLOCK_CARD);
}

/* --- export (SPEC §5, §16): the search as CSV, streamed a page at a time -------------------------- */

/* A page of an export: the stream's job (export.h) around the search's. */
struct tx_page {
	struct export_page page; /* first */
	struct tx_job j;
};

static void
tx_page_free(struct http_job *hj)
{
	struct tx_page *p = (struct tx_page *)hj;

	json_decref(p->j.result);
	free(p->page.chunk);
	free(p);
}

/* The query's strings point into the job that carries them, never into the request's pool. */
static void
repoint(struct tx_job *j, const struct tx_job *from)
{
	j->q.order_ref_like = from->q.order_ref_like ? j->like : NULL;
	j->q.contract_number = from->q.contract_number ? j->contract : NULL;
	j->q.email = from->q.email ? j->email : NULL;
	j->q.currency = from->q.currency ? j->currency : NULL;
	j->q.wallet = from->q.wallet ? j->wallet : NULL;
}

struct export_ctx {
	struct tx_job *j;
	struct buf *b;
	struct export_out *o;
	int64_t now;
};

static void
export_last(struct tx_job *j, int64_t created_at, int64_t id)
{
	j->last_created_at = created_at;
	j->last_id = id;
	j->n++;
}

static int
export_txn(void *arg, const struct txn *t)
{
	struct export_ctx *x = arg;
	char scratch[COLUMN_VALUE_MAX];

	x->o->currency = t->currency;
	for (int i = 0; i < x->j->cols.n; i++)
		columns_put(x->o, JOURNAL_TRANSACTIONS, x->j->cols.v[i],
		            column_txn(x->j->cols.v[i], t, x->j->zone, x->now, scratch));
	export_out_row_end(x->o);
	export_last(x->j, t->created_at, t->id);
	return x->b->failed ? ST_TOOBIG : ST_OK;
}

/* A row of a report: the structure's columns, then its line reference when it has one. */
static int
export_report_txn(void *arg, const struct txn *t)
{
	struct export_ctx *x = arg;
	const struct ereport *e = &x->j->er;
	char scratch[COLUMN_VALUE_MAX];

	ereport_row_begin(x->b, e);
	for (int i = 0; i < e->cols.n; i++)
		ereport_value(x->b, e, i, column_txn(e->cols.v[i], t, x->j->zone, x->now, scratch));
	if (e->line_ref)
		ereport_value(x->b, e, e->cols.n, t->order_line);
	ereport_row_end(x->b, e);
	export_last(x->j, t->created_at, t->id);
	return x->b->failed ? ST_TOOBIG : ST_OK;
}

static int
export_batch(void *arg, const struct batch *bt)
{
	struct export_ctx *x = arg;
	char scratch[COLUMN_VALUE_MAX];

	x->o->currency = bt->currency;
	for (int i = 0; i < x->j->cols.n; i++)
		columns_put(x->o, JOURNAL_BATCHES, x->j->cols.v[i],
		            column_batch(x->j->cols.v[i], bt, x->j->zone, scratch));
	export_out_row_end(x->o);
	export_last(x->j, bt->created_at, bt->id);
	return x->b->failed ? ST_TOOBIG : ST_OK;
}

/* The first page reads the user's columns and zone; the next ones get them from it. */
static int
export_prefs(struct tx_job *j, struct store *st)
{
	enum journal jr = j->batches ? JOURNAL_BATCHES : JOURNAL_TRANSACTIONS;
	int rc;

	if (j->prefs_loaded)
		return ST_OK;
	j->zone = api_zone(&j->who);
	if (j->report) {
		rc = ereport_load(st, j->who.user_brand_id, j->who.user_id, &j->er);
		j->cols = j->er.cols;
	} else if (j->layout == LAYOUT_OLD) {
		columns_old(jr, &j->cols); /* the old layout's columns never change */
		rc = ST_OK;
	} else {
		rc = prefs_columns(st, j->who.user_brand_id, j->who.user_id, jr, &j->cols);
	}
	j->prefs_loaded = rc == ST_OK;
	return rc;
}

static void batch_query_of(const struct tx_job *j, struct batch_query *q);
static const char *batch_filters_only(const struct tx_job *j);

static int
export_page_run(struct work_job *w, struct store *st)
{
	struct tx_page *p = (struct tx_page *)w;
	struct tx_job *j = &p->j;
	enum journal jr = j->batches ? JOURNAL_BATCHES : JOURNAL_TRANSACTIONS;
	struct buf b;
	struct export_out o;
	struct export_ctx x = {j, &b, &o, clock_now_us()};
	int rc = scope_apply(j, st);

	if (rc == ST_OK)
		rc = export_prefs(j, st);
	if (rc == ST_OK)
		rc = export_out_init(&o, &b, j->layout, j->txt, st, &j->who);
	if (rc != ST_OK)
		return rc;
	buf_init(&b, EXPORT_CHUNK_MAX);
	if (j->q.after_created_at == 0 && j->report)
		ereport_begin(&b, &j->er);
	else if (j->q.after_created_at == 0)
		columns_header(&o, jr, &j->cols);
	if (j->report) {
		j->q.fields =
		        columns_txn_fields(&j->cols) | (j->er.line_ref ? TF_BIT(TF_ORDER_LINE) : 0);
		rc = st->ops->txn_search(st, &j->q, export_report_txn, &x);
		/* A page short of the limit is the last (export.h): it closes the report. */
		if (rc == ST_OK && j->n < j->q.limit)
			ereport_end(&b, &j->er);
		p->page.type = ereport_content_type(j->er.format);
		p->page.ext = ereport_extension(j->er.format);
	} else if (j->batches) {
		struct batch_query q;

		batch_query_of(j, &q);
		rc = st->ops->batch_search(st, &q, export_batch, &x);
	} else {
		j->q.fields = columns_txn_fields(&j->cols); /* only what the columns show */
		rc = st->ops->txn_search(st, &j->q, export_txn, &x);
	}
	if (rc == ST_OK) {
		p->page.chunk_len = b.len;
		p->page.chunk = buf_take(&b);
		p->page.last_at = j->last_created_at;
		p->page.last_id = j->last_id;
		p->page.n = j->n;
	}
	buf_cleanup(&b);
	return rc;
}

/* The job of the page after (after_at, after_id), from the export's template. */
static struct export_page *
export_page_new(struct req *r, void *ctx, int64_t after_at, int64_t after_id)
{
	struct tx_job *tmpl = ctx;
	struct tx_page *p = calloc(1, sizeof(*p));

	(void)r;
	if (p == NULL)
		abort();
	p->j = *tmpl;
	repoint(&p->j, tmpl);
	p->j.result = NULL;
	p->j.n = 0;
	memset(&p->j.base, 0, sizeof(p->j.base));
	p->j.q.after_created_at = after_at;
	p->j.q.after_id = after_id;
	p->page.base.work.run = export_page_run;
	p->page.base.free = tx_page_free;
	return &p->page;
}

/* The next pages take the first one's columns and zone. */
static void
export_carry(void *ctx, const struct export_page *page)
{
	struct tx_job *tmpl = ctx;
	const struct tx_page *p = (const struct tx_page *)page;

	tmpl->prefs_loaded = true;
	tmpl->cols = p->j.cols;
	tmpl->zone = p->j.zone;
	tmpl->er = p->j.er;
}

/* Same query parameters as the search or the batch journal; limit and cursor do not apply. */
static int
export_start(struct req *r, bool batches)
{
	struct tx_job *probe = tx_new(r), *tmpl;
	struct export_source src;
	const char *bad;
	char *name;

	probe->export = true;
	probe->batches = batches;
	bad = parse_search(r, probe);
	if (bad == NULL && (probe->q.after_created_at != 0 || probe->q.limit != TXN_PAGE_DEFAULT))
		bad = probe->q.after_created_at != 0 ? "cursor" : "limit";
	if (bad == NULL && batches)
		bad = batch_filters_only(probe);
	if (bad == NULL && probe->report && probe->have_layout)
		bad = "layout"; /* a reporting format is the user's own */
	if (bad != NULL) {
		tx_free(&probe->base);
		json_bad_field(r, bad,
		               strcmp(bad, "layout") == 0
		                       ? EXPORT_LAYOUT_HELP " A reporting format (format=report) "
		                                            "takes none."
		                       : PERIOD_HELP " The export takes the journal's filters, not "
		                                     "limit or cursor.");
		return 0;
	}
	tmpl = h2o_mem_alloc_pool(&r->h2o->pool, sizeof(*tmpl));
	*tmpl = *probe;
	repoint(tmpl, probe);
	tmpl->q.limit = EXPORT_PAGE_ROWS;
	tx_free(&probe->base);
	src.page = export_page_new;
	src.carry = export_carry;
	src.ctx = tmpl;
	src.limit = EXPORT_PAGE_ROWS;
	src.txt = tmpl->txt;
	name = h2o_mem_alloc_pool(&r->h2o->pool, 64);
	export_file_name(name, 64, batches ? "batches" : "transactions", tmpl->layout,
	                 api_zone(&tmpl->who), tmpl->q.from, tmpl->q.to);
	src.name = name;
	return export_stream(r, &src);
}

int
api_transactions_export(struct req *r)
{
	return export_start(r, false);
}

int
api_batches_export(struct req *r)
{
	return export_start(r, true);
}

/* --- settlement batches (SPEC §7, §16; Vision manual §5.1) ------------------------------------ */

/* The transactions' own filters do not apply to batches: NULL, or "query". */
static const char *
batch_filters_only(const struct tx_job *j)
{
	return j->q.id || j->q.shop_id || j->q.batch_id || j->q.batch_number ||
	                       j->q.order_ref_like || j->q.type >= 0 || j->q.status >= 0 ||
	                       j->q.acq >= 0 || j->q.email || j->q.currency || j->q.wallet
	               ? "query"
	               : NULL;
}

struct batch_ctx {
	struct tx_job *j;
	json_t *items;
};

static int
batch_push(void *arg, const struct batch *b)
{
	struct batch_ctx *x = arg;
	char created[25], day[11];

	cal_instant_format(b->created_at, created);
	cal_date_format(b->bank_day, day);
	json_array_append_new(
	        x->items,
	        json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, "
	                  "s:s}",
	                  "id", (json_int_t)b->id, "created_at", created, "bank_date", day,
	                  "number", (json_int_t)b->number, "credit_count",
	                  (json_int_t)b->credit_count, "credit_amount",
	                  (json_int_t)b->credit_amount, "debit_count", (json_int_t)b->debit_count,
	                  "debit_amount", (json_int_t)b->debit_amount, "transaction_count",
	                  (json_int_t)(b->debit_count + b->credit_count), "total",
	                  (json_int_t)(b->debit_amount - b->credit_amount), "currency", b->currency,
	                  "contract", b->contract_number, "rang", b->rang, "payment_method",
	                  card_method_name(b->method), "status", "sent"));
	x->j->last_created_at = b->created_at;
	x->j->last_id = b->id;
	x->j->n++;
	return ST_OK;
}

static void
batch_query_of(const struct tx_job *j, struct batch_query *q)
{
	memset(q, 0, sizeof(*q));
	q->brand_id = j->who.brand_id;
	q->node_id = j->q.node_id; /* the user's node, or the one scope_apply checked */
	q->from = j->q.from;
	q->to = j->q.to;
	q->after_created_at = j->q.after_created_at;
	q->after_id = j->q.after_id;
	q->limit = j->q.limit;
	q->amount_cmp = j->q.amount_cmp;
	q->amount = j->q.amount;
	q->contract_number = j->q.contract_number;
	q->rang = j->rang[0] ? j->rang : NULL;
	q->number = j->batch_number;
	q->method = j->q.method;
}

static int
batches_run(struct work_job *w, struct store *st)
{
	struct tx_job *j = (struct tx_job *)w;
	struct batch_query q;
	struct batch_ctx x = {j, json_array()};
	int rc;

	rc = scope_apply(j, st);
	batch_query_of(j, &q);
	if (rc == ST_OK)
		rc = st->ops->batch_search(st, &q, batch_push, &x);
	if (rc != ST_OK) {
		json_decref(x.items);
		return rc;
	}
	j->result =
	        json_pack("{s:o, s:o}", "items", x.items, "next",
	                  j->n == q.limit ? json_sprintf("%lld.%lld", (long long)j->last_created_at,
	                                                 (long long)j->last_id)
	                                  : json_null());
	return ST_OK;
}

/* The batch journal (Vision manual §5.1.1): from and to (the batch's date and time), amount
 * (on the total, eq/ge/le/ne), contract, rang, number, status, payment_method, limit, cursor.
 * The transactions of a batch: the transaction search with batch_id=ID (or batch=NUMBER
 * with its contract), its header GET /bo/api/batches/{id}. */
int
api_batches_search(struct req *r)
{
	struct tx_job *j = tx_new(r);
	const char *bad;

	j->batches = true;
	bad = parse_search(r, j);
	if (bad == NULL)
		bad = batch_filters_only(j);
	if (bad != NULL) {
		tx_free(&j->base);
		json_bad_field(r, bad, PERIOD_HELP " limit and cursor page the journal.");
		return 0;
	}
	j->base.work.run = batches_run;
	return http_submit_or_reply(r, &j->base, false);
}

/* One batch, the journal's row of it (the header of its transactions' page), if it is of a
 * shop within the user's node. */
static int
batch_get_run(struct work_job *w, struct store *st)
{
	struct tx_job *j = (struct tx_job *)w;
	struct batch_query q;
	struct batch_ctx x = {j, json_array()};
	int rc = scope_apply(j, st);

	memset(&q, 0, sizeof(q));
	q.brand_id = j->who.brand_id;
	q.node_id = j->q.node_id;
	q.to = INT64_MAX;
	q.id = j->id;
	q.method = -1;
	q.limit = 1;
	if (rc == ST_OK)
		rc = st->ops->batch_search(st, &q, batch_push, &x);
	if (rc == ST_OK && json_array_size(x.items) == 0)
		rc = ST_NOTFOUND;
	if (rc == ST_OK)
		j->result = json_incref(json_array_get(x.items, 0));
	json_decref(x.items);
	return rc;
}

int
api_batches_get(struct req *r)
{
	struct tx_job *j = tx_new(r);

	j->base.work.run = batch_get_run;
	return http_submit_or_reply(r, &j->base, false);
}

/* --- capture all, send all (Vision manual §4.2.4, §4.2.5): on a search's result --------------- */

#define BULK_MAX 1000 /* transactions a request; "more" says to ask again */

struct id_list {
	int64_t v[BULK_MAX];
	int n;
};

static int
collect_id(void *arg, const struct txn *t)
{
	struct id_list *l = arg;

	if (l->n < BULK_MAX)
		l->v[l->n++] = t->id;
	return ST_OK;
}

/* Writer: the search, then the operation on each found, in full; refusals are listed. */
static int
bulk_run(struct work_job *w, struct store *st)
{
	struct tx_job *j = (struct tx_job *)w;
	struct id_list *ids = calloc(1, sizeof(*ids));
	json_t *refused = json_array();
	int64_t now = clock_now_us(), done = 0;
	int rc;

	if (ids == NULL)
		abort();
	j->q.limit = BULK_MAX;
	rc = scope_apply(j, st);
	if (rc == ST_OK)
		rc = st->ops->txn_search(st, &j->q, collect_id, ids);
	for (int i = 0; rc == ST_OK && i < ids->n; i++) {
		struct txn t, rf;
		int orc = operate_one(j, st, ids->v[i], 0, now, &t, &rf);

		if (orc == ST_OK)
			done++;
		else if (orc == ST_STORE || orc == ST_INTERNAL)
			rc = orc;
		else
			json_array_append_new(
			        refused, json_pack("{s:o, s:s}", "id",
			                           json_sprintf("%lld", (long long)ids->v[i]),
			                           "error", j->why ? j->why : http_code_of(orc)));
	}
	if (rc == ST_OK)
		j->result = json_pack("{s:I, s:o, s:b}", "processed", (json_int_t)done, "refused",
		                      refused, "more", ids->n == BULK_MAX);
	else
		json_decref(refused);
	free(ids);
	return rc;
}

static int
bulk(struct req *r, enum txn_op op, enum txn_acq acq)
{
	struct tx_job *j = tx_new(r);
	const char *bad = parse_search(r, j);

	if (bad == NULL && j->q.acq >= 0 && j->q.acq != (int)acq)
		bad = "acquirer_status";
	if (bad == NULL && (j->q.after_created_at != 0 || j->q.limit != TXN_PAGE_DEFAULT))
		bad = j->q.after_created_at != 0 ? "cursor" : "limit";
	if (bad != NULL) {
		tx_free(&j->base);
		json_bad_field(
		        r, bad,
		        "the search's filters (from and to required); the acquirer status is "
		        "the operation's own.");
		return 0;
	}
	j->q.acq = acq;
	j->op = op;
	j->base.work.run = bulk_run;
	return http_submit_or_reply(r, &j->base, true);
}

int
api_transactions_capture_all(struct req *r)
{
	return bulk(r, OP_CAPTURE, ACQ_AWAITING_CAPTURE);
}

int
api_transactions_send_all(struct req *r)
{
	return bulk(r, OP_SEND, ACQ_TO_SEND);
}
