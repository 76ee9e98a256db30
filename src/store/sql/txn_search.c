/*
 * txn_search.c - the transaction search (SPEC §5): one SQL text per
 * query, made of fixed fragments for the filters the query has, every value bound.
 *
 * The search must stay fast on tens of millions of rows, first page or deep. A page is the
 * newest `limit` rows before a keyset (created_at, id), so the usual walk is an index in
 * created_at order, newest first, stopping after `limit` matches: cheap when matches are
 * common. When a filter keeps few rows (an order reference, an amount), walking in time order
 * may read the whole date range to find them; reading that filter's own index and sorting
 * what it finds is then far cheaper. Which is the case depends on the values, which SQLite's
 * planner does not weigh here, so this file decides: it counts, in the filter's index and up
 * to SELECTIVE_MAX, the rows the filter keeps, and takes the smallest such path, or the walk
 * in time order when every filter keeps more. Paths are named with INDEXED BY so the plan is
 * the one chosen. On PostgreSQL (struct db.side_tables false) none of this: its planner
 * weighs the values by its statistics, and pg_trgm's indexes serve '%ABC%' (sql/pg/).
 *
 * Order references: 'ABC%' reads a range of txn_brand_order_ref; '%ABC%' the trigram index
 * txn_ref (FTS5, migration 006), whose candidates the LIKE itself then checks. An amount (=)
 * and an e-mail have FTS5 indexes too, each value one token (migrations 012, 013).
 * They are fed by the indexer job (jobs/indexer.c, migration 010) through txn_ref_catch_up,
 * at the end of this file; the newest rows it has not reached yet are read by rowid with them. (Indexes of txn on a random value would put every
 * new payment on another page, and cost the merchant API its latency.)
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/sql/db.h"

/* Up to this many rows, a filter's own index and a sort beat the walk in time order. */
#define SELECTIVE_MAX 10000

#define SQL_MAX 4096

static const char *const amount_op[] = {
        [AMOUNT_EQ] = " = ?", [AMOUNT_GE] = " >= ?", [AMOUNT_LE] = " <= ?", [AMOUNT_NE] = " <> ?"};
#define BINDS_MAX 32

enum bind_kind { B_INT, B_TEXT };

/* A statement being written: its text and its values, bound in order to anonymous '?'. */
struct sql {
	struct buf text;
	int n;
	struct {
		enum bind_kind kind;
		int64_t i;
		const char *s;
	} v[BINDS_MAX];
};

static void
sql_add(struct sql *q, const char *fragment)
{
	buf_adds(&q->text, fragment);
}

static void
sql_int(struct sql *q, const char *fragment, int64_t v)
{
	sql_add(q, fragment);
	if (q->n < BINDS_MAX)
		q->v[q->n].kind = B_INT, q->v[q->n].i = v;
	q->n++;
}

static void
sql_text(struct sql *q, const char *fragment, const char *v)
{
	sql_add(q, fragment);
	if (q->n < BINDS_MAX)
		q->v[q->n].kind = B_TEXT, q->v[q->n].s = v;
	q->n++;
}

/* Prepares (or finds the connection's statement of the same text) and binds; NULL when it
 * cannot (logged). db_text_done once read. */
static struct stmt *
sql_prepare(struct store *st, struct sql *q)
{
	struct stmt *s = NULL;

	if (q->text.failed || q->n > BINDS_MAX) {
		log_error("event=txn_search_sql error=\"too long\"");
		return NULL;
	}
	if (db_prepare_text(st, q->text.data, &s, "txn_search_prepare") != ST_OK)
		return NULL;
	for (int i = 0; i < q->n; i++)
		if (q->v[i].kind == B_INT)
			stmt_bind_int64(s, i + 1, q->v[i].i);
		else
			db_bind_text(s, i + 1, q->v[i].s);
	return s;
}

/* Runs a statement whose one row is one integer. */
static int
sql_count(struct store *st, struct sql *q, int64_t *out)
{
	struct stmt *s = sql_prepare(st, q);
	int src, rc;

	buf_cleanup(&q->text);
	if (s == NULL)
		return ST_STORE;
	src = db_step_logged(s);
	*out = src == STMT_ROW ? stmt_int64(s, 0) : 0;
	rc = src == STMT_ROW ? ST_OK : db_status(st, src, "txn_search_count");
	db_text_done(st, s);
	return rc;
}

static void
sql_init(struct sql *q)
{
	memset(q, 0, sizeof(*q));
	buf_init(&q->text, SQL_MAX);
}

/* --- order reference patterns --------------------------------------------------------------- */

/* What a LIKE pattern of the API ('%' the only wildcard, '\' escaping the next character)
 * offers an index: the literal prefix, lower-cased, when it does not start with '%'; and the
 * FTS5 query of its trigrams (each literal run of 3 characters or more gives its trigrams, all
 * required), empty when no run is that long. */
struct ref_pattern {
	char prefix[2 * TXN_ORDER_REF_MAX + 1];
	char prefix_end[2 * TXN_ORDER_REF_MAX + 1]; /* the first string above every prefixed one */
	char match[16 * TXN_ORDER_REF_MAX];
	bool has_prefix;
	/* The one-token queries of the amount and of the e-mail (migration 013); "" for none. */
	char amount_match[160];
	char email_match[16 * TXN_EMAIL_MAX];
};

static size_t
utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Appends the trigrams of the literal run (len bytes) to m, as "abc" AND "bcd"... */
static void
add_trigrams(struct buf *m, const char *run, size_t len)
{
	size_t starts[TXN_ORDER_REF_MAX + 1], n = 0;

	for (size_t i = 0; i < len && n < TXN_ORDER_REF_MAX; i += utf8_len((unsigned char)run[i]))
		starts[n++] = i;
	starts[n] = len;
	for (size_t k = 0; k + 3 <= n; k++) {
		if (m->len > 0)
			buf_adds(m, " AND ");
		buf_adds(m, "\"");
		for (size_t i = starts[k]; i < starts[k + 3] && i < len; i++)
			buf_add(m, run[i] == '"' ? "\"\"" : &run[i], run[i] == '"' ? 2 : 1);
		buf_adds(m, "\"");
	}
}

static void
ref_pattern_parse(const char *like, struct ref_pattern *p)
{
	char run[2 * TXN_ORDER_REF_MAX + 1];
	size_t r = 0;
	bool first = true;
	struct buf m;

	memset(p, 0, sizeof(*p));
	buf_init(&m, sizeof(p->match) - 1);
	for (const char *c = like;; c++) {
		if (*c == '%' || *c == '\0') {
			if (first && *c == '%' && r > 0) {
				memcpy(p->prefix, run, r);
				p->has_prefix = true;
			}
			add_trigrams(&m, run, r);
			first = false;
			r = 0;
			if (*c == '\0')
				break;
			continue;
		}
		if (*c == '\\' && c[1] != '\0')
			c++;
		if (r + 1 < sizeof(run))
			run[r++] = *c;
	}
	if (p->has_prefix) {
		size_t n = strlen(p->prefix);

		for (size_t i = 0; i < n; i++)
			if (p->prefix[i] >= 'A' && p->prefix[i] <= 'Z')
				p->prefix[i] = (char)(p->prefix[i] - 'A' + 'a');
		memcpy(p->prefix_end, p->prefix, n + 1);
		/* Bump the last byte that can be bumped; a NOCASE comparison only ever raises
		 * bytes, so [prefix, prefix_end) holds every match (the LIKE decides the rest). */
		while (n > 0 && (unsigned char)p->prefix_end[n - 1] == 0xff)
			p->prefix_end[--n] = '\0';
		if (n == 0)
			p->has_prefix = false;
		else
			p->prefix_end[n - 1]++;
	}
	if (!m.failed && m.data != NULL)
		memcpy(p->match, m.data, m.len + 1);
	buf_cleanup(&m);
}

/* --- paths ---------------------------------------------------------------------------------- */

enum path {
	PATH_TIME,       /* txn_brand_created, newest first */
	PATH_SHOP_TIME,  /* txn_brand_shop_created, one shop, newest first */
	PATH_ID,         /* the rowid */
	PATH_BATCH,      /* txn_brand_batch, in time order */
	PATH_REF_PREFIX, /* txn_brand_order_ref, then a sort */
	/* The indexer job's tables (migrations 010, 011): their candidates and the rows they do
	 * not have yet, by rowid, then a sort. */
	PATH_REF_GRAMS, /* txn_ref (FTS5) */
	PATH_AMOUNT,    /* txn_amount_ref (FTS5, one token), amount = only */
	PATH_EMAIL,     /* txn_email_ref (FTS5, one token) */
};

/* The ids the indexer job's index of path gives as candidates: a SELECT without its closing. */
static void
side_set(struct sql *w, const struct ref_pattern *rp, enum path path)
{
	if (path == PATH_REF_GRAMS) {
		sql_text(w, "SELECT rowid FROM txn_ref WHERE txn_ref MATCH ?", rp->match);
		return;
	}
	if (path == PATH_AMOUNT)
		sql_text(w, "SELECT rowid FROM txn_amount_ref WHERE txn_amount_ref MATCH ?",
		         rp->amount_match);
	else
		sql_text(w, "SELECT rowid FROM txn_email_ref WHERE txn_email_ref MATCH ?",
		         rp->email_match);
}

/* The scope: the brand's node (every shop), one shop, or a group (its shops). */
enum scope { SCOPE_BRAND, SCOPE_SHOP, SCOPE_GROUP, SCOPE_NONE };

static int
scope_of(struct store *st, const struct txn_query *q, enum scope *out)
{
	static const char sql[] = "SELECT level FROM node WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	const char *level;
	int src, rc;

	rc = db_cached(st, sql, &s, "txn_search_scope");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	src = db_step_logged(s);
	level = src == STMT_ROW ? (const char *)stmt_text(s, 0) : NULL;
	*out = level == NULL                 ? SCOPE_NONE
	       : strcmp(level, "brand") == 0 ? SCOPE_BRAND
	       : strcmp(level, "shop") == 0  ? SCOPE_SHOP
	                                     : SCOPE_GROUP;
	stmt_reset(s);
	return src == STMT_ROW || src == STMT_DONE ? ST_OK : db_status(st, src, "txn_search_scope");
}

/* How many rows (up to SELECTIVE_MAX + 1) the path's own index keeps in the date range. */
static int
path_count(struct store *st, const struct txn_query *q, const struct ref_pattern *rp,
           enum path path, int64_t to, int64_t *out)
{
	struct sql c;

	sql_init(&c);
	if (path >= PATH_REF_GRAMS) {
		/* The table's candidates, and the rows the indexer job has not reached yet. */
		sql_int(&c,
		        "SELECT (SELECT count(*) FROM (SELECT id FROM txn WHERE " NEWER_ROWS
		        " LIMIT ?)) + count(*) FROM (",
		        SELECTIVE_MAX + 1);
		side_set(&c, rp, path);
	} else {
		sql_int(&c,
		        "SELECT count(*) FROM (SELECT 1 FROM txn INDEXED BY txn_brand_order_ref "
		        "WHERE brand_id = ?",
		        q->brand_id);
		sql_text(&c, " AND order_ref >= ? COLLATE NOCASE", rp->prefix);
		sql_text(&c, " AND order_ref < ? COLLATE NOCASE", rp->prefix_end);
		sql_text(&c, " AND order_ref LIKE ? ESCAPE '\\'", q->order_ref_like);
		sql_int(&c, " AND created_at >= ?", q->from);
		sql_int(&c, " AND created_at < ?", to);
	}
	sql_int(&c, " LIMIT ?)", SELECTIVE_MAX + 1);
	return sql_count(st, &c, out);
}

/* The path of the query: an equality that an index walks in time order when there is one,
 * else the most selective filter under SELECTIVE_MAX, else the walk in time order. */
static int
path_choose(struct store *st, const struct txn_query *q, const struct ref_pattern *rp,
            enum scope scope, int64_t to, enum path *out)
{
	enum path candidates[4];
	int64_t best = SELECTIVE_MAX + 1, n;
	size_t nc = 0;
	int rc;

	*out = scope == SCOPE_SHOP || q->shop_id > 0 ? PATH_SHOP_TIME : PATH_TIME;
	if (q->id > 0)
		return *out = PATH_ID, ST_OK;
	if (q->batch_id > 0 || q->batch_number > 0)
		return *out = PATH_BATCH, ST_OK;
	if (!db_of(st)->side_tables)
		return ST_OK; /* the backend's planner weighs the values itself */
	if (q->order_ref_like != NULL && rp->has_prefix)
		candidates[nc++] = PATH_REF_PREFIX;
	else if (q->order_ref_like != NULL && rp->match[0] != '\0')
		candidates[nc++] = PATH_REF_GRAMS;
	if (q->amount_cmp == AMOUNT_EQ)
		candidates[nc++] = PATH_AMOUNT;
	if (q->email != NULL && rp->email_match[0] != '\0')
		candidates[nc++] = PATH_EMAIL;
	for (size_t i = 0; i < nc; i++) {
		rc = path_count(st, q, rp, candidates[i], to, &n);
		if (rc != ST_OK)
			return rc;
		if (n < best) {
			best = n;
			*out = candidates[i];
		}
	}
	return ST_OK;
}

static const char *const path_from[] = {
        [PATH_TIME] = " FROM txn INDEXED BY txn_brand_created",
        [PATH_SHOP_TIME] = " FROM txn INDEXED BY txn_brand_shop_created",
        [PATH_ID] = " FROM txn NOT INDEXED",
        [PATH_EMAIL] = " FROM txn NOT INDEXED",
        [PATH_BATCH] = " FROM txn INDEXED BY txn_brand_batch",
        [PATH_REF_PREFIX] = " FROM txn INDEXED BY txn_brand_order_ref",
        [PATH_REF_GRAMS] = " FROM txn NOT INDEXED",
        [PATH_AMOUNT] = " FROM txn NOT INDEXED",
};

static void
where_filters(struct sql *w, const struct txn_query *q, const struct ref_pattern *rp,
              enum scope scope, enum path path, int64_t to, bool side_tables)
{
	sql_int(w, " WHERE brand_id = ?", q->brand_id);
	if (path >= PATH_REF_GRAMS) {
		sql_add(w, " AND (id IN (");
		side_set(w, rp, path);
		sql_add(w, ") OR " NEWER_ROWS ")");
	}
	sql_int(w, " AND created_at >= ?", q->from);
	sql_int(w, " AND created_at < ?", to);
	if (q->shop_id > 0)
		sql_int(w, " AND shop_id = ?", q->shop_id);
	else if (scope == SCOPE_SHOP)
		sql_int(w, " AND shop_id = ?", q->node_id);
	if (scope == SCOPE_GROUP)
		sql_add(w, " AND shop_id IN (SELECT id FROM sub)");
	if (q->id > 0)
		sql_int(w, " AND id = ?", q->id);
	if (q->amount_cmp != AMOUNT_ANY) {
		sql_add(w, " AND amount_initial");
		sql_int(w, amount_op[q->amount_cmp], q->amount);
	}
	if (q->method >= 0)
		sql_int(w, " AND method = ?", q->method);
	if (q->batch_id > 0)
		sql_int(w, " AND batch_id = ?", q->batch_id);
	if (q->batch_number > 0) {
		/* The number is per contract: every batch of that number, unless the contract's
		 * filter keeps one. */
		sql_int(w, " AND batch_id IN (SELECT id FROM batch WHERE brand_id = ?",
		        q->brand_id);
		sql_int(w, " AND number = ?)", q->batch_number);
	}
	if (q->order_ref_like != NULL) {
		if (path == PATH_REF_PREFIX) {
			sql_text(w, " AND order_ref >= ? COLLATE NOCASE", rp->prefix);
			sql_text(w, " AND order_ref < ? COLLATE NOCASE", rp->prefix_end);
		}
		/* Case aside as SQLite's LIKE does, in the shape sql/pg/004's indexes serve. */
		sql_text(w,
		         side_tables ? " AND order_ref LIKE ? ESCAPE '\\'"
		                     : " AND lower(order_ref) LIKE lower(?) ESCAPE '\\'",
		         q->order_ref_like);
	}
	if (q->type >= 0)
		sql_int(w, " AND type = ?", q->type);
	if (q->status >= 0)
		sql_int(w, " AND status = ?", q->status);
	if (q->acq >= 0)
		sql_int(w, " AND acq = ?", q->acq);
	if (q->contract_number != NULL) {
		sql_int(w, " AND contract_id IN (SELECT id FROM contract WHERE brand_id = ?",
		        q->brand_id);
		sql_text(w, " AND number = ?)", q->contract_number);
	}
	if (q->email != NULL)
		sql_text(w,
		         side_tables ? " AND email = ? COLLATE NOCASE"
		                     : " AND lower(email) = lower(?)",
		         q->email);
	if (q->currency != NULL)
		sql_text(w, " AND currency = ?", q->currency);
	if (q->wallet != NULL)
		sql_text(w, " AND wallet = ?", q->wallet);
	if (q->manual != MANUAL_ANY)
		sql_int(w, " AND manual = ?", q->manual == MANUAL_ONLY);
	if (q->has_origin)
		sql_int(w, " AND origin = ?", (int64_t)q->origin);
	/* After the keyset (created_at, id): `to` already stops at its instant. */
	if (q->after_created_at > 0) {
		sql_int(w, " AND (created_at < ?", q->after_created_at);
		sql_int(w, " OR id < ?)", q->after_id);
	}
}

/* The columns of enum txn_field, in its order (TXN_COLS). */
static const char *const txn_col[TF__COUNT] = {"id",
                                               "brand_id",
                                               "shop_id",
                                               "contract_id",
                                               "parent_id",
                                               "batch_id",
                                               "type",
                                               "status",
                                               "acq",
                                               "method",
                                               "amount_initial",
                                               "amount_current",
                                               "amount_refunded",
                                               "currency",
                                               "order_ref",
                                               "email",
                                               "card_masked",
                                               "card_expiry",
                                               "card_country",
                                               "customer_country",
                                               "auth_number",
                                               "acquirer",
                                               "issuer",
                                               "card_type",
                                               "wallet",
                                               "refusal",
                                               "capture_manual",
                                               "tds",
                                               "tds_auth",
                                               "tds_guaranteed",
                                               "created_at",
                                               "accepted_at",
                                               "updated_at",
                                               "bank_day",
                                               "manual",
                                               "archive_ref",
                                               "origin",
                                               TXN_BATCH_NUMBER,
                                               TXN_ORDER_LINE};

/* The SELECT list of q->fields (all of TXN_COLS when 0); *sel gets the fields in order. */
static int
select_list(struct sql *w, uint64_t fields, unsigned char sel[TF__COUNT])
{
	int n = 0;

	if (fields == 0) {
		sql_add(w, "SELECT " TXN_COLS);
		return 0;
	}
	fields |= TF_BIT(TF_ID) | TF_BIT(TF_CREATED_AT); /* the keyset */
	sql_add(w, "SELECT ");
	for (int f = 0; f < TF__COUNT; f++)
		if (fields & TF_BIT(f)) {
			if (n > 0)
				sql_add(w, ", ");
			sql_add(w, txn_col[f]);
			sel[n++] = (unsigned char)f;
		}
	return n;
}

/* The search's statement into w, the SELECT list being what add writes: the scope's
 * sub-tree, the path chosen, the filters; w binds the patterns in *rpp, which must outlive
 * it. *none: nothing can be found (an empty period, a node out of scope); w is then not
 * written. */
static int
search_sql(struct store *st, const struct txn_query *q, struct sql *w, struct ref_pattern *rpp,
           void (*add)(struct sql *w, void *arg), void *arg, bool *none)
{
	enum scope scope;
	enum path path;
	int64_t to = q->to;
	int rc;

	*none = true;
	/* A deeper page ends where the previous one stopped: the index range starts there. */
	if (q->after_created_at > 0 && q->after_created_at < to)
		to = q->after_created_at + 1;
	if (q->from >= to)
		return ST_OK;
	rc = scope_of(st, q, &scope);
	if (rc != ST_OK || scope == SCOPE_NONE)
		return rc;
	if (q->order_ref_like != NULL)
		ref_pattern_parse(q->order_ref_like, rpp);
	else
		memset(rpp, 0, sizeof(*rpp));
	if (q->amount_cmp == AMOUNT_EQ)
		snprintf(rpp->amount_match, sizeof(rpp->amount_match), "\"%lld\"",
		         (long long)q->amount);
	/* An e-mail is one token of txn_email_ref when made of its token characters only. */
	if (q->email != NULL && q->email[0] != '\0' &&
	    strspn(q->email,
	           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._+-") ==
	            strlen(q->email) &&
	    strlen(q->email) + 3 <= sizeof(rpp->email_match))
		snprintf(rpp->email_match, sizeof(rpp->email_match), "\"%s\"", q->email);
	rc = path_choose(st, q, rpp, scope, to, &path);
	if (rc != ST_OK)
		return rc;

	sql_init(w);
	if (scope == SCOPE_GROUP) {
		sql_int(w, "WITH RECURSIVE sub(id) AS (SELECT id FROM node WHERE brand_id = ?",
		        q->brand_id);
		sql_int(w, " AND id = ?", q->node_id);
		sql_int(w,
		        " UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent_id = sub.id "
		        "WHERE n.brand_id = ?) ",
		        q->brand_id);
	}
	add(w, arg);
	sql_add(w, path_from[path]);
	where_filters(w, q, rpp, scope, path, to, db_of(st)->side_tables);
	*none = false;
	return ST_OK;
}

struct select_of {
	uint64_t fields;
	unsigned char *sel;
	int n;
};

static void
select_add(struct sql *w, void *arg)
{
	struct select_of *o = arg;

	o->n = select_list(w, o->fields, o->sel);
}

int
db_txn_search(struct store *st, const struct txn_query *q, store_txn_cb cb, void *arg)
{
	unsigned char sel[TF__COUNT];
	struct select_of of = {q->fields, sel, 0};
	struct ref_pattern rp;
	struct sql w;
	struct stmt *s;
	struct txn t;
	bool none;
	int nsel, src, rc;

	if (q->limit <= 0)
		return ST_OK;
	rc = search_sql(st, q, &w, &rp, select_add, &of, &none);
	if (rc != ST_OK || none)
		return rc;
	nsel = of.n;
	sql_int(&w, " ORDER BY created_at DESC, id DESC LIMIT ?", q->limit);
	s = sql_prepare(st, &w);
	buf_cleanup(&w.text);
	if (s == NULL)
		return ST_STORE;
	for (bool first = true;
	     rc == ST_OK && (src = first ? db_step_logged(s) : stmt_step(s)) == STMT_ROW;
	     first = false) {
		if (nsel == 0) {
			db_txn_read(s, &t);
		} else {
			memset(&t, 0, sizeof(t));
			for (int c = 0; c < nsel; c++)
				db_txn_read_field(s, c, (enum txn_field)sel[c], &t);
		}
		rc = cb(arg, &t);
	}
	if (rc == ST_OK && src != STMT_DONE)
		rc = db_status(st, src, "txn_search");
	db_text_done(st, s);
	return rc;
}

static void
summary_add(struct sql *w, void *arg)
{
	(void)arg;
	sql_add(w, "SELECT currency, type, count(*), CAST(sum(amount_initial) AS BIGINT), "
	           "CAST(sum(amount_current) AS BIGINT)");
}

int
db_txn_summary(struct store *st, const struct txn_query *q, store_txn_sum_cb cb, void *arg)
{
	struct txn_query all = *q;
	struct txn_sum sum;
	struct ref_pattern rp;
	struct sql w;
	struct stmt *s;
	bool none;
	int src, rc;

	all.after_created_at = all.after_id = 0; /* the whole result, whatever the page */
	rc = search_sql(st, &all, &w, &rp, summary_add, NULL, &none);
	if (rc != ST_OK || none)
		return rc;
	sql_add(&w, " GROUP BY currency, type ORDER BY currency, type");
	s = sql_prepare(st, &w);
	buf_cleanup(&w.text);
	if (s == NULL)
		return ST_STORE;
	for (bool first = true;
	     rc == ST_OK && (src = first ? db_step_logged(s) : stmt_step(s)) == STMT_ROW;
	     first = false) {
		const char *cur = (const char *)stmt_text(s, 0);

		memset(&sum, 0, sizeof(sum));
		snprintf(sum.currency, sizeof(sum.currency), "%s", cur != NULL ? cur : "");
		sum.type = (enum txn_type)stmt_int64(s, 1);
		sum.count = stmt_int64(s, 2);
		sum.amount = stmt_int64(s, 3);
		sum.amount_current = stmt_int64(s, 4);
		rc = cb(arg, &sum);
	}
	if (rc == ST_OK && src != STMT_DONE)
		rc = db_status(st, src, "txn_summary");
	db_text_done(st, s);
	return rc;
}
