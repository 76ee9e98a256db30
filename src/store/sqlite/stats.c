/*
 * stats.c - the SQLite backend's dashboard figures (store.h stats_each; migrations 005, 008):
 * the daily roll-ups of the shops of a node and below, which the statistics triggers keep as
 * each transaction is written (tests/unit/test_store_stats.c ties them to the domain's counting
 * rule). Read by every dashboard: kept prepared (lite_cached), its first step logged at debug
 * level for the back office's benchmark, which replays it.
 */
#include "store/sqlite/lite.h"

static void
stats_read(sqlite3_stmt *s, struct stats_row *r)
{
	r->day = sqlite3_column_int64(s, 0);
	r->method = (enum card_method)sqlite3_column_int(s, 1);
	r->type = (enum txn_type)sqlite3_column_int(s, 2);
	r->count = sqlite3_column_int64(s, 3);
	r->amount = sqlite3_column_int64(s, 4);
	r->max_amount = sqlite3_column_int64(s, 5);
}

int
lite_stats_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t from_day,
                int64_t to_day, store_stats_cb cb, void *arg)
{
	static const char sql[] = LITE_SUBTREE
	        "SELECT day, method, type, sum(count), sum(amount), max(max_amount) FROM "
	        "stats_daily WHERE brand_id = ?1 AND day BETWEEN ?3 AND ?4 AND shop_id IN (SELECT "
	        "id FROM sub) GROUP BY day, method, type ORDER BY day, method, type";
	struct stats_row r;
	sqlite3_stmt *s;
	int src, rc = lite_cached(st, sql, &s, "stats_each");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, node_id);
	sqlite3_bind_int64(s, 3, from_day);
	sqlite3_bind_int64(s, 4, to_day);
	for (bool first = true;
	     rc == ST_OK && (src = first ? lite_step_logged(s) : sqlite3_step(s)) == SQLITE_ROW;
	     first = false) {
		stats_read(s, &r);
		rc = cb(arg, &r);
	}
	if (rc == ST_OK && src != SQLITE_DONE)
		rc = lite_status(st, src, "stats_each");
	sqlite3_reset(s);
	return rc;
}
