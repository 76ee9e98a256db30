/*
 * api_errors.c - the SQLite backend's search of the merchant API's error log (store.h
 * "api_errors_each"; migrations 001, 021, 030): the rows of the shops of a node and below in a
 * period of the last 3 days, newest first, by key.
 *
 * The brand's rows are walked backwards on api_error_brand_at from the period's end (or the
 * cursor), each kept when its shop is in the node's subtree and the optional filters match; a
 * page of the page's size stops the walk. A few rows a minute per shop at most (the server's
 * limit, errlog.h), kept 3 days: the walk stays short. A search is a user's click: the
 * statement is prepared when it runs and finalized after. Not the writing (store_sqlite.c's
 * api_error_add) nor the retention.
 */
#include "store/sqlite/lite.h"

static const char search_sql[] = LITE_SUBTREE
        "SELECT e.id, e.shop_id, e.at, e.count, e.http_status, e.method, e.path, e.code, "
        "e.field, s.name, s.site, s.rang FROM api_error e INDEXED BY api_error_brand_at "
        "JOIN shop s ON s.id = e.shop_id WHERE e.brand_id = ?1 AND e.at >= ?3 AND "
        "e.at < ?4 AND e.shop_id IN (SELECT id FROM sub) AND (?5 IS NULL OR e.code = "
        "?5) AND (?6 IS NULL OR e.path LIKE ?6 ESCAPE '\\') AND (?7 = 0 OR "
        "e.http_status = ?7) AND (?8 = 0 OR e.at < ?8 OR (e.at = ?8 AND e.id < ?9)) "
        "ORDER BY e.at DESC, e.id DESC LIMIT ?10";

static void
row_read(sqlite3_stmt *s, struct api_error_row *e)
{
	e->id = sqlite3_column_int64(s, 0);
	e->shop_id = sqlite3_column_int64(s, 1);
	e->at = sqlite3_column_int64(s, 2);
	e->count = sqlite3_column_int64(s, 3);
	e->http_status = sqlite3_column_int(s, 4);
	lite_text_copy(e->method, sizeof(e->method), s, 5);
	lite_text_copy(e->path, sizeof(e->path), s, 6);
	lite_text_copy(e->code, sizeof(e->code), s, 7);
	lite_text_copy(e->field, sizeof(e->field), s, 8);
	lite_text_copy(e->shop_name, sizeof(e->shop_name), s, 9);
	lite_text_copy(e->site, sizeof(e->site), s, 10);
	lite_text_copy(e->rang, sizeof(e->rang), s, 11);
}

int
lite_api_errors_each(struct store *st, const struct api_error_query *q, store_api_error_cb cb,
                     void *arg)
{
	struct api_error_row e;
	sqlite3_stmt *s;
	int src = SQLITE_DONE, rc = lite_prepare(st, search_sql, &s, "api_errors_each");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, q->brand_id);
	sqlite3_bind_int64(s, 2, q->node_id);
	sqlite3_bind_int64(s, 3, q->from);
	sqlite3_bind_int64(s, 4, q->to);
	if (q->code != NULL)
		sqlite3_bind_text(s, 5, q->code, -1, SQLITE_STATIC);
	if (q->path_like != NULL)
		sqlite3_bind_text(s, 6, q->path_like, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, q->http_status);
	sqlite3_bind_int64(s, 8, q->after_at);
	sqlite3_bind_int64(s, 9, q->after_id);
	sqlite3_bind_int(s, 10, q->limit);
	while (rc == ST_OK && (src = lite_step_logged(s)) == SQLITE_ROW) {
		row_read(s, &e);
		rc = cb(arg, &e);
	}
	if (rc == ST_OK && src != SQLITE_DONE)
		rc = lite_status(st, src, "api_errors_each");
	sqlite3_finalize(s);
	return rc;
}
