/*
 * api_errors.c - merchant API error log (store.h api_error_add,
 * api_errors_each, api_error_purge; migrations 001, 021, 030): a refusal counted in its row of
 * the minute, the search of the rows of the shops of a node and below in a period of the last
 * 3 days, newest first, by key, and the retention of the rows.
 *
 * The writer counts a second's refusals at a time (http/errlog.c): the count, the row count of
 * a shop past its limit and the add are kept prepared (db_cached). A search walks the
 * brand's rows backwards on api_error_brand_at from the period's end (or the cursor), each
 * kept when its shop is in the node's subtree and the optional filters match; a page of the
 * page's size stops the walk. A few rows a minute per shop at most (the server's limit,
 * errlog.h), kept 3 days: the walk stays short. A search is a user's click: the statement is
 * prepared when it runs and finalized after.
 */
#include "store/sql/db.h"

static const char search_sql[] = DB_SUBTREE
        "SELECT e.id, e.shop_id, e.at, e.count, e.http_status, e.method, e.path, e.code, "
        "e.field, s.name, s.site, s.rang FROM api_error e INDEXED BY api_error_brand_at "
        "JOIN shop s ON s.id = e.shop_id WHERE e.brand_id = ?1 AND e.at >= ?3 AND "
        "e.at < ?4 AND e.shop_id IN (SELECT id FROM sub) "
        "AND (CAST(?5 AS TEXT) IS NULL OR e.code = ?5) "
        "AND (CAST(?6 AS TEXT) IS NULL OR lower(e.path) LIKE lower(?6) ESCAPE '\\') "
        "AND (?7 = 0 OR e.http_status = ?7) AND (?8 = 0 OR e.at < ?8 OR (e.at = ?8 AND e.id < ?9)) "
        "ORDER BY e.at DESC, e.id DESC LIMIT ?10";

static void
row_read(struct stmt *s, struct api_error_row *e)
{
	e->id = stmt_int64(s, 0);
	e->shop_id = stmt_int64(s, 1);
	e->at = stmt_int64(s, 2);
	e->count = stmt_int64(s, 3);
	e->http_status = stmt_int(s, 4);
	db_text_copy(e->method, sizeof(e->method), s, 5);
	db_text_copy(e->path, sizeof(e->path), s, 6);
	db_text_copy(e->code, sizeof(e->code), s, 7);
	db_text_copy(e->field, sizeof(e->field), s, 8);
	db_text_copy(e->shop_name, sizeof(e->shop_name), s, 9);
	db_text_copy(e->site, sizeof(e->site), s, 10);
	db_text_copy(e->rang, sizeof(e->rang), s, 11);
}

int
db_api_errors_each(struct store *st, const struct api_error_query *q, store_api_error_cb cb,
                   void *arg)
{
	struct api_error_row e;
	struct stmt *s;
	int src = STMT_DONE, rc = db_prepare(st, search_sql, &s, "api_errors_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	stmt_bind_int64(s, 3, q->from);
	stmt_bind_int64(s, 4, q->to);
	if (q->code != NULL)
		db_bind_text(s, 5, q->code);
	if (q->path_like != NULL)
		db_bind_text(s, 6, q->path_like);
	stmt_bind_int64(s, 7, q->http_status);
	stmt_bind_int64(s, 8, q->after_at);
	stmt_bind_int64(s, 9, q->after_id);
	stmt_bind_int64(s, 10, q->limit);
	while (rc == ST_OK && (src = db_step_logged(s)) == STMT_ROW) {
		row_read(s, &e);
		rc = cb(arg, &e);
	}
	if (rc == ST_OK && src != STMT_DONE)
		rc = db_status(st, src, "api_errors_each");
	stmt_finalize(s);
	return rc;
}

/* Binds e as ?1 (brand) .. ?9 (field) of api_error_add's count and add statements, the instant
 * ?3 being t: at (a new row) or since (the rows to count in), with method, path and field
 * given. */
static void
api_error_bind(struct stmt *s, const struct api_error *e, int64_t t, const char *method,
               const char *path, const char *field)
{
	stmt_bind_int64(s, 1, e->brand_id);
	stmt_bind_int64(s, 2, e->shop_id);
	stmt_bind_int64(s, 3, t);
	db_bind_text(s, 4, method);
	db_bind_text(s, 5, path);
	stmt_bind_int64(s, 6, e->http_status);
	db_bind_text(s, 7, e->code);
	stmt_bind_int64(s, 8, e->count);
	db_bind_text(s, 9, field);
}

int
db_api_error_add(struct store *st, const struct api_error *e, int max_rows)
{
	/* The rows of a shop since the start of a minute: a range of api_error_shop. */
	static const char count_sql[] =
	        "UPDATE api_error SET count = count + ?8 WHERE id = (SELECT id FROM api_error "
	        "WHERE brand_id = ?1 AND shop_id = ?2 AND at >= ?3 AND method = ?4 AND path = ?5 "
	        "AND http_status = ?6 AND code = ?7 AND field = ?9 ORDER BY at DESC LIMIT 1)";
	static const char rows_sql[] =
	        "SELECT count(*) FROM api_error WHERE brand_id = ?1 AND shop_id = ?2 AND at >= ?3";
	static const char add_sql[] = "INSERT INTO api_error(brand_id, shop_id, at, method, path, "
	                              "http_status, code, count, field) VALUES (?1, ?2, ?3, ?4, "
	                              "?5, ?6, ?7, ?8, ?9)";
	const char *method = e->method, *path = e->path, *field = e->field ? e->field : "";
	struct stmt *s;
	int64_t rows = 0;
	int rc;

	/* Twice at most: in its own row, then, past the shop's rows, in its '*' row. */
	for (int pass = 0; pass < 2; pass++) {
		if ((rc = db_cached(st, count_sql, &s, "api_error_count")) != ST_OK)
			return rc;
		api_error_bind(s, e, e->since, method, path, field);
		rc = db_run(st, s, "api_error_count");
		if (rc != ST_OK || db_changes(st) > 0)
			return rc;
		if (pass == 1)
			break;
		if ((rc = db_cached(st, rows_sql, &s, "api_error_rows")) != ST_OK)
			return rc;
		stmt_bind_int64(s, 1, e->brand_id);
		stmt_bind_int64(s, 2, e->shop_id);
		stmt_bind_int64(s, 3, e->since);
		rc = db_one_row(st, s, db_int64_read, &rows, "api_error_rows");
		if (rc != ST_OK)
			return rc;
		if (rows < max_rows)
			break;
		method = path = "*";
		field = "";
	}
	if ((rc = db_cached(st, add_sql, &s, "api_error_add")) != ST_OK)
		return rc;
	api_error_bind(s, e, e->at, method, path, field);
	return db_run(st, s, "api_error_add");
}

int
db_api_error_purge(struct store *st, int64_t before, int limit, int *done)
{
	/* Retention: the oldest rows of each shop (the CROSS JOIN keeping shops outside), a
	 * range at the start of api_error_shop: the rows kept are never read. */
	static const char sql[] = "DELETE FROM api_error WHERE id IN (SELECT e.id FROM shop s "
	                          "CROSS JOIN api_error e ON e.brand_id = s.brand_id AND "
	                          "e.shop_id = s.id AND e.at < ?1 LIMIT ?2)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "api_error_purge");

	*done = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, before);
	stmt_bind_int64(s, 2, limit);
	rc = db_run(st, s, "api_error_purge");
	if (rc == ST_OK)
		*done = db_changes(st);
	return rc;
}
