/*
 * reconciliation.c - the bank reconciliation journal (store.h recon_*; migrations 014, 043;
 * docs/RECONCILIATION.md): the return files imported (their digests), each transaction's
 * reconciliation written from a file or marked ERROR when overdue, the queue of mismatches,
 * and the JRB journal's search. Not the import's rules (domain/recon.h) nor its run
 * (service/reconcile.c). Run rarely: prepared when they run.
 */
#include <stdio.h>
#include <string.h>

#include "domain/recon.h"
#include "store/sql/db.h"

/* The methods the JRB covers (Vision manual §8): CB, VISA, MASTERCARD. */
#define JRB_METHODS "(1, 2, 3)"

static void
file_read(struct stmt *s, void *p)
{
	struct recon_file_row *r = p;

	memset(r, 0, sizeof(*r));
	r->id = stmt_int64(s, 0);
	r->brand_id = stmt_int64(s, 1);
	db_text_copy(r->digest, sizeof(r->digest), s, 2);
	db_text_copy(r->name, sizeof(r->name), s, 3);
	r->batch_id = stmt_int64(s, 4);
	r->jrb_number = stmt_int64(s, 5);
	db_text_copy(r->source, sizeof(r->source), s, 6);
	db_text_copy(r->imported_by, sizeof(r->imported_by), s, 7);
	r->imported_at = stmt_int64(s, 8);
	r->line_count = stmt_int64(s, 9);
	r->matched = stmt_int64(s, 10);
	r->mismatched = stmt_int64(s, 11);
}

int
db_recon_file_find(struct store *st, int64_t brand_id, const char *digest,
                   struct recon_file_row *out)
{
	static const char sql[] =
	        "SELECT id, brand_id, digest, name, batch_id, jrb_number, source, imported_by, "
	        "imported_at, line_count, matched, mismatched FROM recon_file WHERE brand_id = ?1 "
	        "AND digest = ?2";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "recon_file_find");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	db_bind_text(s, 2, digest);
	rc = db_one_row(st, s, file_read, out, "recon_file_find");
	stmt_finalize(s);
	return rc;
}

int
db_recon_file_add(struct store *st, struct recon_file_row *r)
{
	static const char sql[] =
	        "INSERT INTO recon_file (brand_id, digest, name, batch_id, jrb_number, source, "
	        "imported_by, imported_at, line_count, matched, mismatched) VALUES (?1, ?2, ?3, "
	        "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "recon_file_add");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, r->brand_id);
	db_bind_text(s, 2, r->digest);
	db_bind_text(s, 3, r->name);
	stmt_bind_int64(s, 4, r->batch_id);
	stmt_bind_int64(s, 5, r->jrb_number);
	db_bind_text(s, 6, r->source);
	db_bind_text(s, 7, r->imported_by);
	stmt_bind_int64(s, 8, r->imported_at);
	stmt_bind_int64(s, 9, r->line_count);
	stmt_bind_int64(s, 10, r->matched);
	stmt_bind_int64(s, 11, r->mismatched);
	return db_insert_once(st, s, &r->id, "recon_file_add");
}

int
db_recon_txn_set(struct store *st, int64_t brand_id, int64_t txn_id, int64_t batch_id,
                 int64_t jrb_number, bool ok, int64_t at, int64_t net, int64_t commission,
                 const char *currency)
{
	static const char sql[] =
	        "INSERT INTO txn_reconciliation (brand_id, txn_id, batch_id, jrb_number, status, "
	        "reconciled_at, net_amount, commission, currency) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	        "?7, ?8, ?9) ON CONFLICT (brand_id, txn_id) DO UPDATE SET batch_id = "
	        "excluded.batch_id, jrb_number = excluded.jrb_number, status = excluded.status, "
	        "reconciled_at = excluded.reconciled_at, net_amount = excluded.net_amount, "
	        "commission = excluded.commission, currency = excluded.currency";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "recon_txn_set");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, txn_id);
	stmt_bind_int64(s, 3, batch_id);
	stmt_bind_int64(s, 4, jrb_number);
	db_bind_text(s, 5, ok ? "yes" : "error");
	stmt_bind_int64(s, 6, at);
	stmt_bind_int64(s, 7, net);
	stmt_bind_int64(s, 8, commission);
	db_bind_text(s, 9, currency);
	return db_run(st, s, "recon_txn_set");
}

int
db_recon_mismatch_add(struct store *st, const struct recon_mismatch_row *m)
{
	static const char sql[] =
	        "INSERT INTO recon_mismatch (brand_id, shop_id, file_id, batch_id, jrb_number, "
	        "kind, txn_id, reference, expected, received, currency, created_at) VALUES (?1, "
	        "?2, ?3, ?4, ?5, ?6, nullif(?7, 0), ?8, ?9, ?10, ?11, ?12)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "recon_mismatch_add");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, m->brand_id);
	stmt_bind_int64(s, 2, m->shop_id);
	stmt_bind_int64(s, 3, m->file_id);
	stmt_bind_int64(s, 4, m->batch_id);
	stmt_bind_int64(s, 5, m->jrb_number);
	db_bind_text(s, 6, recon_kind_name((enum recon_kind)m->kind));
	stmt_bind_int64(s, 7, m->txn_id);
	db_bind_text(s, 8, m->reference);
	stmt_bind_int64(s, 9, m->expected);
	stmt_bind_int64(s, 10, m->received);
	db_bind_text(s, 11, m->currency);
	stmt_bind_int64(s, 12, m->created_at);
	return db_run(st, s, "recon_mismatch_add");
}

int
db_recon_overdue_mark(struct store *st, int64_t since, int64_t cutoff, int64_t now, int64_t *marked)
{
	static const char sql[] =
	        "INSERT INTO txn_reconciliation (brand_id, txn_id, batch_id, jrb_number, status, "
	        "reconciled_at, net_amount, commission, currency) SELECT t.brand_id, t.id, "
	        "t.batch_id, 0, 'error', ?3, 0, 0, t.currency FROM batch b JOIN txn t ON "
	        "t.brand_id = b.brand_id AND t.batch_id = b.id WHERE b.created_at > ?1 AND "
	        "b.created_at <= ?2 AND b.method IN " JRB_METHODS " AND NOT EXISTS (SELECT 1 FROM "
	        "txn_reconciliation r WHERE r.brand_id = t.brand_id AND r.txn_id = t.id) "
	        "ON CONFLICT (brand_id, txn_id) DO NOTHING";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "recon_overdue_mark");

	*marked = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, since);
	stmt_bind_int64(s, 2, cutoff);
	stmt_bind_int64(s, 3, now);
	rc = db_run_once(st, s, "recon_overdue_mark");
	if (rc == ST_OK)
		*marked = db_changes(st);
	return rc;
}

/* --- the journal (Vision manual §8.1.2, §8.1.3) ------------------------------------------- */

static void
row_read(struct stmt *s, struct recon_row *r)
{
	memset(r, 0, sizeof(*r));
	r->txn_id = stmt_int64(s, 0);
	r->shop_id = stmt_int64(s, 1);
	r->created_at = stmt_int64(s, 2);
	db_text_copy(r->order_ref, sizeof(r->order_ref), s, 3);
	r->amount = stmt_int64(s, 4);
	r->type = (enum txn_type)stmt_int(s, 5);
	r->method = (enum card_method)stmt_int(s, 6);
	db_text_copy(r->currency, sizeof(r->currency), s, 7);
	r->batch_id = stmt_int64(s, 8);
	r->batch_number = stmt_int64(s, 9);
	r->batch_at = stmt_int64(s, 10);
	db_text_copy(r->contract_number, sizeof(r->contract_number), s, 11);
	db_text_copy(r->rang, sizeof(r->rang), s, 12);
	r->status = stmt_int(s, 13);
	r->jrb_number = stmt_int64(s, 14);
	r->reconciled_at = stmt_int64(s, 15);
	r->net_amount = stmt_int64(s, 16);
	r->commission = stmt_int64(s, 17);
	db_text_copy(r->commission_currency, sizeof(r->commission_currency), s, 18);
}

/* An amount comparison (store.h amount_cmp) on column col, with ?c and ?v. */
#define CMP(col, c, v)                                                                             \
	"(CAST(?" c " AS BIGINT) IS NULL OR (?" c " = 1 AND " col " = ?" v ") OR (?" c             \
	" = 2 AND " col " >= ?" v ") OR (?" c " = 3 AND " col " <= ?" v ") OR (?" c                \
	" = 4 AND " col " <> ?" v "))"

int
db_recon_search(struct store *st, const struct recon_query *q, store_recon_cb cb, void *arg)
{
	static const char sql[] = DB_SUBTREE
	        "SELECT t.id, t.shop_id, t.created_at, t.order_ref, t.amount_current, t.type, "
	        "t.method, t.currency, b.id, b.number, b.created_at, c.number, c.rang, CASE WHEN "
	        "r.status IS NULL THEN 0 WHEN r.status = 'yes' THEN 1 ELSE 2 END, "
	        "coalesce(r.jrb_number, 0), coalesce(r.reconciled_at, 0), coalesce(r.net_amount, "
	        "0), coalesce(r.commission, 0), coalesce(r.currency, '') FROM txn t JOIN batch b "
	        "ON b.brand_id = t.brand_id AND b.id = t.batch_id JOIN contract c ON c.id = "
	        "b.contract_id LEFT JOIN txn_reconciliation r ON r.brand_id = t.brand_id AND "
	        "r.txn_id = t.id WHERE t.brand_id = ?1 AND t.shop_id IN (SELECT id FROM sub) AND "
	        "t.batch_id IS NOT NULL AND t.method IN " JRB_METHODS " AND t.created_at >= ?3 AND "
	        "t.created_at < ?4 AND (CAST(?5 AS BIGINT) IS NULL OR t.created_at < ?5 OR "
	        "(t.created_at = ?5 AND t.id < ?6)) AND (CAST(?8 AS BIGINT) IS NULL OR t.id = ?8) "
	        "AND (CAST(?9 AS TEXT) IS NULL OR c.number = ?9) AND (CAST(?10 AS TEXT) IS NULL OR "
	        "c.rang = ?10) AND (CAST(?11 AS TEXT) IS NULL OR lower(t.order_ref) LIKE "
	        "lower(?11) "
	        "ESCAPE '\\') AND " CMP(
	                "t.amount_current", "12",
	                "13") " AND (CAST(?14 AS BIGINT) IS NULL OR t.type = ?14) AND (CAST(?15 AS "
	                      "BIGINT) IS "
	                      "NULL OR t.batch_id = ?15) AND (CAST(?16 AS BIGINT) IS NULL OR "
	                      "r.jrb_number = ?16) "
	                      "AND (CAST(?17 AS BIGINT) IS NULL OR b.created_at >= ?17) AND "
	                      "(CAST(?18 AS BIGINT) "
	                      "IS NULL OR b.created_at < ?18) AND (CAST(?19 AS BIGINT) IS NULL OR "
	                      "(?19 = 0 AND "
	                      "r.status IS NULL) OR (?19 = 1 AND r.status = 'yes') OR (?19 = 2 AND "
	                      "r.status = "
	                      "'error')) AND " CMP(
	                              "r.net_amount", "20",
	                              "21") " AND (CAST(?22 AS BIGINT) IS NULL OR b.number = ?22) "
	                                    "ORDER BY t.created_at DESC, t.id DESC LIMIT ?7";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "recon_search");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	stmt_bind_int64(s, 3, q->from);
	stmt_bind_int64(s, 4, q->to);
	if (q->after_at > 0) {
		stmt_bind_int64(s, 5, q->after_at);
		stmt_bind_int64(s, 6, q->after_id);
	}
	stmt_bind_int64(s, 7, q->limit);
	db_bind_opt_id(s, 8, q->txn_id);
	db_bind_opt_text(s, 9, q->contract_number);
	db_bind_opt_text(s, 10, q->rang);
	db_bind_opt_text(s, 11, q->order_ref_like);
	if (q->amount_cmp != AMOUNT_ANY) {
		stmt_bind_int64(s, 12, q->amount_cmp);
		stmt_bind_int64(s, 13, q->amount);
	}
	if (q->type >= 0)
		stmt_bind_int64(s, 14, q->type);
	db_bind_opt_id(s, 15, q->batch_id);
	db_bind_opt_id(s, 16, q->jrb_number);
	db_bind_opt_id(s, 22, q->batch_number);
	db_bind_opt_id(s, 17, q->batch_from);
	db_bind_opt_id(s, 18, q->batch_to);
	if (q->status >= 0)
		stmt_bind_int64(s, 19, q->status);
	if (q->net_cmp != AMOUNT_ANY) {
		stmt_bind_int64(s, 20, q->net_cmp);
		stmt_bind_int64(s, 21, q->net);
	}
	while (db_next(st, s, &rc, "recon_search")) {
		struct recon_row r;

		row_read(s, &r);
		rc = cb(arg, &r);
	}
	stmt_finalize(s);
	return rc;
}

/* --- the queue of mismatches --------------------------------------------------------------- */

#define MISMATCH_COLS                                                                              \
	"m.id, m.brand_id, m.shop_id, m.file_id, m.batch_id, m.jrb_number, m.kind, "               \
	"coalesce(m.txn_id, 0), m.reference, m.expected, m.received, m.currency, m.created_at, "   \
	"m.resolved_at, m.resolved_by, m.comment, b.number, c.number, c.rang FROM recon_mismatch " \
	"m JOIN batch b ON b.brand_id = m.brand_id AND b.id = m.batch_id JOIN contract c ON c.id " \
	"= b.contract_id "

static void
mismatch_read(struct stmt *s, void *p)
{
	struct recon_mismatch_row *m = p;
	char kind[16];

	memset(m, 0, sizeof(*m));
	m->id = stmt_int64(s, 0);
	m->brand_id = stmt_int64(s, 1);
	m->shop_id = stmt_int64(s, 2);
	m->file_id = stmt_int64(s, 3);
	m->batch_id = stmt_int64(s, 4);
	m->jrb_number = stmt_int64(s, 5);
	db_text_copy(kind, sizeof(kind), s, 6);
	m->kind = recon_kind_parse(kind);
	m->txn_id = stmt_int64(s, 7);
	db_text_copy(m->reference, sizeof(m->reference), s, 8);
	m->expected = stmt_int64(s, 9);
	m->received = stmt_int64(s, 10);
	db_text_copy(m->currency, sizeof(m->currency), s, 11);
	m->created_at = stmt_int64(s, 12);
	m->resolved_at = stmt_int64(s, 13);
	db_text_copy(m->resolved_by, sizeof(m->resolved_by), s, 14);
	db_text_copy(m->comment, sizeof(m->comment), s, 15);
	m->batch_number = stmt_int64(s, 16);
	db_text_copy(m->contract_number, sizeof(m->contract_number), s, 17);
	db_text_copy(m->rang, sizeof(m->rang), s, 18);
}

int
db_recon_mismatches_each(struct store *st, const struct recon_mismatch_query *q,
                         store_recon_mismatch_cb cb, void *arg)
{
	static const char sql[] = DB_SUBTREE
	        "SELECT " MISMATCH_COLS
	        "WHERE m.brand_id = ?1 AND m.shop_id IN (SELECT id FROM sub) AND "
	        "(CAST(?3 AS BIGINT) IS NULL OR (?3 = 1 AND m.resolved_at = 0) OR (?3 = "
	        "0 AND m.resolved_at > 0)) AND (CAST(?4 AS TEXT) IS NULL OR m.kind = ?4) "
	        "AND (CAST(?5 AS BIGINT) IS NULL OR m.created_at < ?5 OR (m.created_at "
	        "= ?5 AND m.id < ?6)) ORDER BY m.created_at DESC, m.id DESC LIMIT ?7";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "recon_mismatches");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	if (q->open >= 0)
		stmt_bind_int64(s, 3, q->open);
	if (q->kind >= 0)
		db_bind_text(s, 4, recon_kind_name((enum recon_kind)q->kind));
	if (q->after_at > 0) {
		stmt_bind_int64(s, 5, q->after_at);
		stmt_bind_int64(s, 6, q->after_id);
	}
	stmt_bind_int64(s, 7, q->limit);
	while (db_next(st, s, &rc, "recon_mismatches")) {
		struct recon_mismatch_row m;

		mismatch_read(s, &m);
		rc = cb(arg, &m);
	}
	stmt_finalize(s);
	return rc;
}

int
db_recon_mismatch_get(struct store *st, int64_t brand_id, int64_t id,
                      struct recon_mismatch_row *out)
{
	static const char sql[] = "SELECT " MISMATCH_COLS "WHERE m.brand_id = ?1 AND m.id = ?2";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "recon_mismatch_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	rc = db_one_row(st, s, mismatch_read, out, "recon_mismatch_get");
	stmt_finalize(s);
	return rc;
}

int
db_recon_mismatch_resolve(struct store *st, int64_t brand_id, int64_t id, const char *by,
                          const char *comment, int64_t at)
{
	static const char sql[] =
	        "UPDATE recon_mismatch SET resolved_at = ?3, resolved_by = ?4, "
	        "comment = ?5 WHERE brand_id = ?1 AND id = ?2 AND resolved_at = 0";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "recon_mismatch_resolve");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, at);
	db_bind_text(s, 4, by);
	db_bind_text(s, 5, comment);
	rc = db_run_once(st, s, "recon_mismatch_resolve");
	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_CONFLICT;
	return rc;
}
