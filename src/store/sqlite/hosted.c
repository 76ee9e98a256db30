/*
 * hosted.c - the hosted payment page's storage (sql/sqlite/033_hosted.sql): the memory of
 * signed requests already paid, so that a replayed one does not pay twice (issue 12).
 */
#include <sqlite3.h>

#include "store/sqlite/lite.h"

int
lite_hosted_replay_put(struct store *st, int64_t brand_id, int64_t shop_id, const char *order_ref,
                       int64_t request_time, int64_t now)
{
	sqlite3_stmt *s;
	int rc;

	/* The primary key refuses a second row: a conflict, said as such to the caller. */
	rc = lite_prepare(st,
	                  "INSERT INTO hosted_replay(brand_id, shop_id, order_ref, request_time, "
	                  "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	                  &s, "hosted_replay_put");
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, shop_id);
	sqlite3_bind_text(s, 3, order_ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, request_time);
	sqlite3_bind_int64(s, 5, now);
	rc = lite_status(st, sqlite3_step(s), "hosted_replay_put");
	sqlite3_finalize(s);
	return rc;
}
