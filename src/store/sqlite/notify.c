/*
 * notify.c - the SQLite statements of the notifications to merchants' servers (migration 034;
 * store.h notify_*): the outbox rows the writer adds with a decision, the notifier's due rows
 * and its attempts, a transaction's delivery log and a user's "send again"; where a shop's
 * notifications go (shop_notify_target) and the retention's purge of the old rows.
 *
 * The add, the due rows and the attempt run for every decision of a shop that notifies and
 * every delivery: kept prepared (lite_cached). The back office's reads are rare: prepared at
 * each call. Not the delivery (jobs/notifier.c), nor the body (service/notify.c).
 */
#include <string.h>

#include "store/sqlite/lite.h"

#define NOTIFY_COLS                                                                                \
	"id, brand_id, shop_id, txn_id, url, post, content_type, body, sig_header, state, tries, " \
	"attempts, next_at, created_at, coalesce(done_at, 0), sign_k"

/* Reads a row of NOTIFY_COLS into n; its texts are lent until the next step. */
static void
notify_read(sqlite3_stmt *s, struct notify_row *n)
{
	memset(n, 0, sizeof(*n));
	n->id = sqlite3_column_int64(s, 0);
	n->brand_id = sqlite3_column_int64(s, 1);
	n->shop_id = sqlite3_column_int64(s, 2);
	n->txn_id = sqlite3_column_int64(s, 3);
	n->url = (const char *)sqlite3_column_text(s, 4);
	n->post = sqlite3_column_int(s, 5) != 0;
	n->content_type = (const char *)sqlite3_column_text(s, 6);
	n->body = (const char *)sqlite3_column_text(s, 7);
	n->body_len = (size_t)sqlite3_column_bytes(s, 7);
	n->sig_header = (const char *)sqlite3_column_text(s, 8);
	n->sign_k = (const char *)sqlite3_column_text(s, 15);
	n->state = (enum notify_state)sqlite3_column_int(s, 9);
	n->tries = sqlite3_column_int(s, 10);
	n->attempts = sqlite3_column_int(s, 11);
	n->next_at = sqlite3_column_int64(s, 12);
	n->created_at = sqlite3_column_int64(s, 13);
	n->done_at = sqlite3_column_int64(s, 14);
}

/* Steps s to its end, calling cb with each row; the caller resets or finalizes s. */
static int
each_row(struct store *st, sqlite3_stmt *s, store_notify_cb cb, void *arg, const char *what)
{
	struct notify_row n;
	int rc = ST_OK;

	while (lite_next(st, s, &rc, what)) {
		notify_read(s, &n);
		rc = cb(arg, &n);
	}
	return rc;
}

int
lite_notify_add(struct store *st, struct notify_row *n)
{
	static const char sql[] =
	        "INSERT INTO notify_outbox(brand_id, shop_id, txn_id, url, post, content_type, "
	        "body, sig_header, next_at, created_at, sign_k) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	        "?7, "
	        "?8, ?9, ?10, ?11)";
	sqlite3_stmt *s;
	int rc = lite_cached(st, sql, &s, "notify_add");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, n->brand_id);
	sqlite3_bind_int64(s, 2, n->shop_id);
	sqlite3_bind_int64(s, 3, n->txn_id);
	lite_bind_text(s, 4, n->url);
	sqlite3_bind_int(s, 5, n->post);
	lite_bind_text(s, 6, n->content_type != NULL ? n->content_type : "");
	sqlite3_bind_text(s, 7, n->body, (int)n->body_len, SQLITE_STATIC);
	lite_bind_text(s, 8, n->sig_header != NULL ? n->sig_header : "");
	sqlite3_bind_int64(s, 9, n->next_at);
	sqlite3_bind_int64(s, 10, n->created_at);
	lite_bind_text(s, 11, n->sign_k != NULL ? n->sign_k : "");
	rc = lite_status(st, sqlite3_step(s), "notify_add");
	if (rc == ST_OK)
		n->id = sqlite3_last_insert_rowid(lite_db(st));
	sqlite3_reset(s);
	return rc;
}

int
lite_notify_each_due(struct store *st, int64_t now, int64_t after_at, int64_t after_id, int limit,
                     store_notify_cb cb, void *arg)
{
	/* The range on next_at keeps to notify_outbox_due (next_at, then the rowid). */
	static const char sql[] = "SELECT " NOTIFY_COLS " FROM notify_outbox WHERE state = 0 AND "
	                          "next_at <= ?1 AND next_at >= ?3 AND (next_at > ?3 OR id > ?4) "
	                          "ORDER BY next_at, id LIMIT ?2";
	sqlite3_stmt *s;
	int rc = lite_cached(st, sql, &s, "notify_each_due");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, limit);
	sqlite3_bind_int64(s, 3, after_at);
	sqlite3_bind_int64(s, 4, after_id);
	rc = each_row(st, s, cb, arg, "notify_each_due");
	sqlite3_reset(s);
	return rc;
}

int
lite_notify_attempt_add(struct store *st, const struct notify_attempt *a, enum notify_state state,
                        int64_t next_at)
{
	static const char upd[] =
	        "UPDATE notify_outbox SET state = ?2, tries = tries + 1, attempts = attempts + 1, "
	        "next_at = ?3, done_at = CASE WHEN ?2 = 0 THEN NULL ELSE ?4 END WHERE id = ?1 AND "
	        "state = 0";
	static const char ins[] =
	        "INSERT INTO notify_attempt(brand_id, notify_id, at, duration_ms, http_status, "
	        "error, answer) SELECT brand_id, id, ?2, ?3, ?4, ?5, ?6 FROM notify_outbox WHERE "
	        "id = ?1";
	sqlite3_stmt *s;
	int rc = lite_cached(st, upd, &s, "notify_attempt_add");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, a->notify_id);
	sqlite3_bind_int(s, 2, (int)state);
	sqlite3_bind_int64(s, 3, next_at);
	sqlite3_bind_int64(s, 4, a->at);
	rc = lite_status(st, sqlite3_step(s), "notify_attempt_add");
	sqlite3_reset(s);
	/* Sent again meanwhile (or already marked by a round before a crash): the attempt
	 * happened all the same and is logged; the row keeps the state the user set. */
	if (rc == ST_OK && sqlite3_changes(lite_db(st)) == 0)
		rc = ST_CONFLICT;
	if (rc != ST_OK && rc != ST_CONFLICT)
		return rc;
	if (lite_cached(st, ins, &s, "notify_attempt_add") != ST_OK)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, a->notify_id);
	sqlite3_bind_int64(s, 2, a->at);
	sqlite3_bind_int64(s, 3, a->duration_ms);
	sqlite3_bind_int(s, 4, a->http_status);
	lite_bind_text(s, 5, a->error != NULL ? a->error : "");
	lite_bind_text(s, 6, a->answer != NULL ? a->answer : "");
	{
		int rc2 = lite_status(st, sqlite3_step(s), "notify_attempt_add");

		sqlite3_reset(s);
		return rc2 != ST_OK ? rc2 : rc;
	}
}

int
lite_notify_each_of_txn(struct store *st, int64_t brand_id, int64_t txn_id, store_notify_cb cb,
                        void *arg)
{
	sqlite3_stmt *s;
	int rc = lite_prepare(st,
	                      "SELECT " NOTIFY_COLS " FROM notify_outbox WHERE brand_id = ?1 AND "
	                      "txn_id = ?2 ORDER BY id",
	                      &s, "notify_each_of_txn");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, txn_id);
	rc = each_row(st, s, cb, arg, "notify_each_of_txn");
	sqlite3_finalize(s);
	return rc;
}

int
lite_notify_get(struct store *st, int64_t brand_id, int64_t id, store_notify_cb cb, void *arg)
{
	struct notify_row n;
	sqlite3_stmt *s;
	int src, rc = lite_prepare(st,
	                           "SELECT " NOTIFY_COLS " FROM notify_outbox WHERE brand_id = ?1 "
	                           "AND id = ?2",
	                           &s, "notify_get");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		notify_read(s, &n);
		rc = cb(arg, &n);
	} else {
		rc = lite_row_status(st, src, "notify_get");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Reads an attempt; its texts are lent until the next step. */
static void
attempt_read(sqlite3_stmt *s, struct notify_attempt *a)
{
	a->id = sqlite3_column_int64(s, 0);
	a->notify_id = sqlite3_column_int64(s, 1);
	a->at = sqlite3_column_int64(s, 2);
	a->duration_ms = sqlite3_column_int64(s, 3);
	a->http_status = sqlite3_column_int(s, 4);
	a->error = (const char *)sqlite3_column_text(s, 5);
	a->answer = (const char *)sqlite3_column_text(s, 6);
}

int
lite_notify_attempts_each(struct store *st, int64_t brand_id, int64_t notify_id,
                          store_notify_attempt_cb cb, void *arg)
{
	struct notify_attempt a;
	sqlite3_stmt *s;
	int rc = lite_prepare(st,
	                      "SELECT id, notify_id, at, duration_ms, http_status, error, "
	                      "answer FROM notify_attempt WHERE brand_id = ?1 AND notify_id = "
	                      "?2 ORDER BY id",
	                      &s, "notify_attempts_each");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, notify_id);
	while (lite_next(st, s, &rc, "notify_attempts_each")) {
		attempt_read(s, &a);
		rc = cb(arg, &a);
	}
	sqlite3_finalize(s);
	return rc;
}

int
lite_notify_resend(struct store *st, int64_t brand_id, int64_t id, int64_t now)
{
	sqlite3_stmt *s;
	int rc =
	        lite_prepare(st,
	                     "UPDATE notify_outbox SET state = 0, tries = 0, next_at = ?3, done_at "
	                     "= NULL WHERE brand_id = ?1 AND id = ?2",
	                     &s, "notify_resend");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_int64(s, 3, now);
	rc = lite_status(st, sqlite3_step(s), "notify_resend");
	if (rc == ST_OK && sqlite3_changes(lite_db(st)) == 0)
		rc = ST_NOTFOUND;
	sqlite3_finalize(s);
	return rc;
}

int
lite_shop_notify_target(struct store *st, int64_t brand_id, int64_t shop_id,
                        struct notify_target *out)
{
	/* The active key as the shop cache loads it (org.c shops_each). */
	static const char sql[] =
	        "SELECT coalesce(ss.url_notify, ''), s.site, s.rang, k.key_sealed FROM shop s "
	        "LEFT JOIN shop_settings ss ON ss.shop_id = s.id AND ss.brand_id = s.brand_id "
	        "LEFT JOIN hmac_key k ON k.id = (SELECT k2.id FROM hmac_key k2 WHERE k2.brand_id = "
	        "s.brand_id AND k2.shop_id = s.id AND k2.env = 'test' AND k2.status IN "
	        "('activated', 'used') ORDER BY k2.activated_at DESC, k2.id DESC LIMIT 1) WHERE "
	        "s.brand_id = ?1 AND s.id = ?2";
	sqlite3_stmt *s;
	int src, rc = lite_cached(st, sql, &s, "shop_notify_target");

	memset(out, 0, sizeof(*out));
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, shop_id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		lite_text_copy(out->url, sizeof(out->url), s, 0);
		lite_text_copy(out->site, sizeof(out->site), s, 1);
		lite_text_copy(out->rang, sizeof(out->rang), s, 2);
		if (sqlite3_column_type(s, 3) == SQLITE_BLOB &&
		    (size_t)sqlite3_column_bytes(s, 3) <= sizeof(out->key_sealed)) {
			out->key_sealed_len = (size_t)sqlite3_column_bytes(s, 3);
			memcpy(out->key_sealed, sqlite3_column_blob(s, 3), out->key_sealed_len);
			out->has_key = true;
		}
		rc = ST_OK;
	} else {
		rc = lite_row_status(st, src, "shop_notify_target");
	}
	sqlite3_reset(s);
	return rc;
}

int
lite_notify_purge(struct store *st, int64_t before, int limit, int *done)
{
	/* The same rows twice, in the writer's one transaction: their attempts first (they
	 * refer to them), then the rows; notify_outbox_done (migration 036) finds them. */
	static const char attempts[] =
	        "DELETE FROM notify_attempt WHERE (brand_id, notify_id) IN (SELECT brand_id, id "
	        "FROM notify_outbox WHERE state <> 0 AND done_at <= ?1 ORDER BY done_at, id LIMIT "
	        "?2)";
	static const char rows[] = "DELETE FROM notify_outbox WHERE id IN (SELECT id FROM "
	                           "notify_outbox WHERE state <> 0 AND done_at <= ?1 ORDER BY "
	                           "done_at, id LIMIT ?2)";
	const char *const sqls[] = {attempts, rows};
	sqlite3_stmt *s;
	int rc = ST_OK;

	*done = 0;
	for (int i = 0; i < 2 && rc == ST_OK; i++) {
		rc = lite_cached(st, sqls[i], &s, "notify_purge");
		if (rc != ST_OK)
			break;
		sqlite3_bind_int64(s, 1, before);
		sqlite3_bind_int(s, 2, limit);
		rc = lite_status(st, sqlite3_step(s), "notify_purge");
		if (rc == ST_OK && i == 1)
			*done = sqlite3_changes(lite_db(st));
		sqlite3_reset(s);
	}
	return rc;
}
