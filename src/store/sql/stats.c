/*
 * stats.c - dashboard figures (store.h stats_each; migrations 005, 008):
 * the daily roll-ups of the shops of a node and below, which the statistics triggers keep as
 * each transaction is written (tests/unit/test_store_stats.c ties them to the domain's counting
 * rule). Read by every dashboard: kept prepared (db_cached), its first step logged at debug
 * level for the back office's benchmark, which replays it.
 */
#include "store/sql/db.h"

static void
stats_read(struct stmt *s, struct stats_row *r)
{
	r->day = stmt_int64(s, 0);
	r->method = (enum card_method)stmt_int(s, 1);
	r->type = (enum txn_type)stmt_int(s, 2);
	r->count = stmt_int64(s, 3);
	r->amount = stmt_int64(s, 4);
	r->max_amount = stmt_int64(s, 5);
}

int
db_stats_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t from_day, int64_t to_day,
              store_stats_cb cb, void *arg)
{
	static const char sql[] = DB_SUBTREE
	        "SELECT day, method, type, sum(count), sum(amount), max(max_amount) FROM "
	        "stats_daily WHERE brand_id = ?1 AND day BETWEEN ?3 AND ?4 AND shop_id IN (SELECT "
	        "id FROM sub) GROUP BY day, method, type ORDER BY day, method, type";
	struct stats_row r;
	struct stmt *s;
	int src, rc = db_cached(st, sql, &s, "stats_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, node_id);
	stmt_bind_int64(s, 3, from_day);
	stmt_bind_int64(s, 4, to_day);
	for (bool first = true;
	     rc == ST_OK && (src = first ? db_step_logged(s) : stmt_step(s)) == STMT_ROW;
	     first = false) {
		stats_read(s, &r);
		rc = cb(arg, &r);
	}
	if (rc == ST_OK && src != STMT_DONE)
		rc = db_status(st, src, "stats_each");
	stmt_reset(s);
	return rc;
}
