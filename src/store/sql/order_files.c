/*
 * order_files.c - files of payment orders (store.h order_file_*, order_line*, migration 042;
 * docs/ORDER-FILES.md): a shop's file by its digest, its lines, the search of the files of a
 * node and below, the job's next file and pending lines, a line's result with its file's
 * counts in the same transaction.
 *
 * An upload inserts its lines by the thousand in one transaction: the line's insert is kept
 * prepared (db_cached), as are the job's reads and the line's result, run once per line.
 */
#include <string.h>

#include "store/sql/db.h"

#define FILE_COLUMNS                                                                               \
	"f.id, f.brand_id, f.shop_id, f.user_id, f.digest, f.name, f.source, f.status, f.lines, "  \
	"f.accepted, f.refused, f.error, f.received_at, f.started_at, f.finished_at, s.name, "     \
	"s.site, s.rang FROM order_file f JOIN shop s ON s.brand_id = f.brand_id AND s.id = "      \
	"f.shop_id "

static void
file_read(struct stmt *s, void *out)
{
	struct order_file *f = out;

	memset(f, 0, sizeof(*f));
	f->id = stmt_int64(s, 0);
	f->brand_id = stmt_int64(s, 1);
	f->shop_id = stmt_int64(s, 2);
	f->user_id = stmt_is_null(s, 3) ? 0 : stmt_int64(s, 3);
	db_text_copy(f->digest, sizeof(f->digest), s, 4);
	db_text_copy(f->name, sizeof(f->name), s, 5);
	db_text_copy(f->source, sizeof(f->source), s, 6);
	db_text_copy(f->status, sizeof(f->status), s, 7);
	f->lines = stmt_int64(s, 8);
	f->accepted = stmt_int64(s, 9);
	f->refused = stmt_int64(s, 10);
	db_text_copy(f->error, sizeof(f->error), s, 11);
	f->received_at = stmt_int64(s, 12);
	f->started_at = stmt_int64(s, 13);
	f->finished_at = stmt_int64(s, 14);
	db_text_copy(f->shop_name, sizeof(f->shop_name), s, 15);
	db_text_copy(f->site, sizeof(f->site), s, 16);
	db_text_copy(f->rang, sizeof(f->rang), s, 17);
}

int
db_order_file_find(struct store *st, int64_t brand_id, int64_t shop_id, const char *digest,
                   struct order_file *out)
{
	static const char sql[] =
	        "SELECT " FILE_COLUMNS "WHERE f.brand_id = ?1 AND f.shop_id = ?2 AND f.digest = ?3";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "order_file_find");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	db_bind_text(s, 3, digest);
	return db_one_row(st, s, file_read, out, "order_file_find");
}

int
db_order_file_get(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id,
                  struct order_file *out)
{
	static const char sql[] =
	        "SELECT " FILE_COLUMNS
	        "WHERE f.brand_id = ?1 AND f.id = ?2 AND (?3 = 0 OR f.shop_id = ?3)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "order_file_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, shop_id);
	return db_one_row(st, s, file_read, out, "order_file_get");
}

int
db_order_file_insert(struct store *st, struct order_file *f)
{
	static const char sql[] =
	        "INSERT INTO order_file(brand_id, shop_id, digest, name, source, user_id, status, "
	        "lines, accepted, refused, error, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	        "?8, ?9, ?10, ?11, ?12) RETURNING id";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "order_file_insert");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, f->brand_id);
	stmt_bind_int64(s, 2, f->shop_id);
	db_bind_text(s, 3, f->digest);
	db_bind_text(s, 4, f->name);
	db_bind_text(s, 5, f->source);
	db_bind_id(s, 6, f->user_id);
	db_bind_text(s, 7, f->status);
	stmt_bind_int64(s, 8, f->lines);
	stmt_bind_int64(s, 9, f->accepted);
	stmt_bind_int64(s, 10, f->refused);
	db_bind_text(s, 11, f->error);
	stmt_bind_int64(s, 12, f->received_at);
	return db_insert_once(st, s, &f->id, "order_file_insert");
}

int
db_order_line_insert(struct store *st, const struct order_line *l)
{
	static const char sql[] =
	        "INSERT INTO order_line(brand_id, file_id, line_no, shop_id, operation, reference, "
	        "amount, currency, card_masked, card_sealed, card_expiry, alias, target_id, "
	        "capture, status, reason, message, done_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	        "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "order_line_insert");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, l->brand_id);
	stmt_bind_int64(s, 2, l->file_id);
	stmt_bind_int64(s, 3, l->line_no);
	stmt_bind_int64(s, 4, l->shop_id);
	db_bind_text(s, 5, l->operation);
	db_bind_text(s, 6, l->reference);
	stmt_bind_int64(s, 7, l->amount);
	db_bind_text(s, 8, l->currency);
	db_bind_text(s, 9, l->card_masked);
	if (l->card_sealed_len > 0)
		stmt_bind_blob(s, 10, l->card_sealed, l->card_sealed_len);
	else
		stmt_bind_null(s, 10);
	db_bind_text(s, 11, l->card_expiry);
	db_bind_text(s, 12, l->alias);
	stmt_bind_int64(s, 13, l->target_id);
	db_bind_text(s, 14, l->capture);
	db_bind_text(s, 15, l->status);
	db_bind_text(s, 16, l->reason);
	db_bind_text(s, 17, l->message);
	stmt_bind_int64(s, 18, l->done_at);
	return db_run_ahead(st, s, "order_line_insert");
}

int
db_order_files_each(struct store *st, const struct order_file_query *q, store_order_file_cb cb,
                    void *arg)
{
	static const char sql[] = DB_SUBTREE
	        "SELECT " FILE_COLUMNS
	        "WHERE f.brand_id = ?1 AND f.shop_id IN (SELECT id FROM sub) AND (?3 = 0 OR "
	        "f.shop_id = ?3) AND (?4 = 0 OR f.received_at < ?4 OR (f.received_at = ?4 AND "
	        "f.id < ?5)) ORDER BY f.received_at DESC, f.id DESC LIMIT ?6";
	struct order_file f;
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "order_files_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	stmt_bind_int64(s, 3, q->shop_id);
	stmt_bind_int64(s, 4, q->after_at);
	stmt_bind_int64(s, 5, q->after_id);
	stmt_bind_int64(s, 6, q->limit);
	while (db_next(st, s, &rc, "order_files_each")) {
		file_read(s, &f);
		rc = cb(arg, &f);
	}
	stmt_finalize(s);
	return rc;
}

static void
line_read(struct stmt *s, struct order_line *l)
{
	int n;

	memset(l, 0, sizeof(*l));
	l->brand_id = stmt_int64(s, 0);
	l->file_id = stmt_int64(s, 1);
	l->line_no = stmt_int64(s, 2);
	l->shop_id = stmt_int64(s, 3);
	db_text_copy(l->operation, sizeof(l->operation), s, 4);
	db_text_copy(l->reference, sizeof(l->reference), s, 5);
	l->amount = stmt_int64(s, 6);
	db_text_copy(l->currency, sizeof(l->currency), s, 7);
	db_text_copy(l->card_masked, sizeof(l->card_masked), s, 8);
	n = (int)stmt_bytes(s, 9);
	if (!stmt_is_null(s, 9) && n > 0 && (size_t)n <= sizeof(l->card_sealed)) {
		memcpy(l->card_sealed, stmt_blob(s, 9), (size_t)n);
		l->card_sealed_len = (size_t)n;
	}
	db_text_copy(l->card_expiry, sizeof(l->card_expiry), s, 10);
	db_text_copy(l->alias, sizeof(l->alias), s, 11);
	l->target_id = stmt_int64(s, 12);
	db_text_copy(l->capture, sizeof(l->capture), s, 13);
	db_text_copy(l->status, sizeof(l->status), s, 14);
	db_text_copy(l->reason, sizeof(l->reason), s, 15);
	db_text_copy(l->message, sizeof(l->message), s, 16);
	l->txn_id = stmt_int64(s, 17);
	l->done_at = stmt_int64(s, 18);
}

int
db_order_lines_each(struct store *st, int64_t brand_id, int64_t file_id, int64_t after, int limit,
                    bool pending_only, store_order_line_cb cb, void *arg)
{
	static const char sql[] =
	        "SELECT brand_id, file_id, line_no, shop_id, operation, reference, amount, "
	        "currency, card_masked, card_sealed, card_expiry, alias, target_id, capture, "
	        "status, reason, message, txn_id, done_at FROM order_line WHERE brand_id = ?1 AND "
	        "file_id = ?2 AND line_no > ?3 AND (?4 = 0 OR status = 'pending') ORDER BY "
	        "line_no LIMIT ?5";
	struct order_line l;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "order_lines_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, file_id);
	stmt_bind_int64(s, 3, after);
	stmt_bind_int64(s, 4, pending_only ? 1 : 0);
	stmt_bind_int64(s, 5, limit > 0 ? limit : INT64_MAX);
	while (db_next(st, s, &rc, "order_lines_each")) {
		line_read(s, &l);
		rc = cb(arg, &l);
	}
	memset(&l, 0, sizeof(l));
	stmt_reset(s);
	return rc;
}

int
db_order_file_next(struct store *st, struct order_file *out)
{
	static const char sql[] =
	        "SELECT " FILE_COLUMNS "WHERE f.status IN ('received', 'checking', 'processing') "
	        "ORDER BY f.id LIMIT 1";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "order_file_next");

	if (rc != ST_OK)
		return rc;
	return db_one_row(st, s, file_read, out, "order_file_next");
}

int
db_order_file_status(struct store *st, int64_t brand_id, int64_t id, const char *status,
                     int64_t now)
{
	static const char sql[] =
	        "UPDATE order_file SET status = ?3, started_at = CASE WHEN ?3 = 'processing' AND "
	        "started_at = 0 THEN ?4 ELSE started_at END, finished_at = CASE WHEN ?3 IN "
	        "('done', 'done_with_errors', 'refused') THEN ?4 ELSE finished_at END WHERE "
	        "brand_id = ?1 AND "
	        "id = ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "order_file_status");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	db_bind_text(s, 3, status);
	stmt_bind_int64(s, 4, now);
	return db_run(st, s, "order_file_status");
}

int
db_order_line_done(struct store *st, const struct order_line *l)
{
	static const char line_sql[] =
	        "UPDATE order_line SET status = ?4, reason = ?5, message = ?6, txn_id = ?7, "
	        "done_at = ?8, card_sealed = NULL WHERE brand_id = ?1 AND file_id = ?2 AND "
	        "line_no = ?3 AND status = 'pending'";
	static const char count_sql[] =
	        "UPDATE order_file SET accepted = accepted + CASE WHEN ?3 = 'accepted' THEN 1 ELSE "
	        "0 "
	        "END, refused = refused + CASE WHEN ?3 = 'accepted' THEN 0 ELSE 1 END WHERE "
	        "brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int rc = db_cached(st, line_sql, &s, "order_line_done");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, l->brand_id);
	stmt_bind_int64(s, 2, l->file_id);
	stmt_bind_int64(s, 3, l->line_no);
	db_bind_text(s, 4, l->status);
	db_bind_text(s, 5, l->reason);
	db_bind_text(s, 6, l->message);
	stmt_bind_int64(s, 7, l->txn_id);
	stmt_bind_int64(s, 8, l->done_at);
	if ((rc = db_run(st, s, "order_line_done")) != ST_OK)
		return rc;
	if (db_changes(st) == 0)
		return ST_CONFLICT;
	if ((rc = db_cached(st, count_sql, &s, "order_file_count")) != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, l->brand_id);
	stmt_bind_int64(s, 2, l->file_id);
	db_bind_text(s, 3, l->status);
	return db_run(st, s, "order_file_count");
}

int
db_order_lines_duplicates(struct store *st, int64_t brand_id, int64_t file_id, int64_t now,
                          int64_t *n)
{
	static const char line_sql[] =
	        "UPDATE order_line SET status = 'refused', reason = 'duplicate_reference', "
	        "message = 'Another file of the shop had this reference accepted.', done_at = ?3, "
	        "card_sealed = NULL WHERE brand_id = ?1 AND file_id = ?2 AND status = 'pending' "
	        "AND EXISTS (SELECT 1 FROM order_line o INDEXED BY order_line_reference WHERE "
	        "o.brand_id = order_line.brand_id AND "
	        "o.shop_id = order_line.shop_id AND o.reference = order_line.reference AND "
	        "o.file_id <> order_line.file_id AND o.status = 'accepted')";
	static const char count_sql[] =
	        "UPDATE order_file SET refused = refused + ?3 WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int rc = db_prepare(st, line_sql, &s, "order_lines_duplicates");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, file_id);
	stmt_bind_int64(s, 3, now);
	if ((rc = db_run_once(st, s, "order_lines_duplicates")) != ST_OK)
		return rc;
	*n = db_changes(st);
	return *n == 0 ? ST_OK
	               : db_run_ids(st, count_sql, brand_id, file_id, *n, "order_file_count");
}
