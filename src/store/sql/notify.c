/*
 * notify.c - the statements of the notifications to merchants' servers (migration 034;
 * store.h notify_*): the outbox rows the writer adds with a decision, the notifier's due rows
 * and its attempts, a transaction's delivery log and a user's "send again"; where a shop's
 * notifications go (shop_notify_target) and the retention's purge of the old rows.
 *
 * The add, the due rows and the attempt run for every decision of a shop that notifies and
 * every delivery: kept prepared (db_cached). The back office's reads are rare: prepared at
 * each call. Not the delivery (jobs/notifier.c), nor the body (service/notify.c).
 */
#include <string.h>

#include "store/sql/db.h"

#define NOTIFY_COLS                                                                                \
	"id, brand_id, shop_id, txn_id, url, post, content_type, body, sig_header, state, tries, " \
	"attempts, next_at, created_at, coalesce(done_at, 0), sign_k"

/* Reads a row of NOTIFY_COLS into n; its texts are lent until the next step. */
static void
notify_read(struct stmt *s, struct notify_row *n)
{
	memset(n, 0, sizeof(*n));
	n->id = stmt_int64(s, 0);
	n->brand_id = stmt_int64(s, 1);
	n->shop_id = stmt_int64(s, 2);
	n->txn_id = stmt_int64(s, 3);
	n->url = (const char *)stmt_text(s, 4);
	n->post = stmt_int(s, 5) != 0;
	n->content_type = (const char *)stmt_text(s, 6);
	n->body = (const char *)stmt_text(s, 7);
	n->body_len = (size_t)stmt_bytes(s, 7);
	n->sig_header = (const char *)stmt_text(s, 8);
	n->sign_k = (const char *)stmt_text(s, 15);
	n->state = (enum notify_state)stmt_int(s, 9);
	n->tries = stmt_int(s, 10);
	n->attempts = stmt_int(s, 11);
	n->next_at = stmt_int64(s, 12);
	n->created_at = stmt_int64(s, 13);
	n->done_at = stmt_int64(s, 14);
}

/* Steps s to its end, calling cb with each row; the caller resets or finalizes s. */
static int
each_row(struct store *st, struct stmt *s, store_notify_cb cb, void *arg, const char *what)
{
	struct notify_row n;
	int rc = ST_OK;

	while (db_next(st, s, &rc, what)) {
		notify_read(s, &n);
		rc = cb(arg, &n);
	}
	return rc;
}

int
db_notify_add(struct store *st, struct notify_row *n)
{
	static const char sql[] =
	        "INSERT INTO notify_outbox(brand_id, shop_id, txn_id, url, post, content_type, "
	        "body, sig_header, next_at, created_at, sign_k) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	        "?7, "
	        "?8, ?9, ?10, ?11) RETURNING id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "notify_add");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, n->brand_id);
	stmt_bind_int64(s, 2, n->shop_id);
	stmt_bind_int64(s, 3, n->txn_id);
	db_bind_text(s, 4, n->url);
	stmt_bind_int64(s, 5, n->post);
	db_bind_text(s, 6, n->content_type != NULL ? n->content_type : "");
	stmt_bind_textn(s, 7, n->body, n->body_len);
	db_bind_text(s, 8, n->sig_header != NULL ? n->sig_header : "");
	stmt_bind_int64(s, 9, n->next_at);
	stmt_bind_int64(s, 10, n->created_at);
	db_bind_text(s, 11, n->sign_k != NULL ? n->sign_k : "");
	return db_insert(st, s, &n->id, "notify_add");
}

int
db_notify_each_due(struct store *st, int64_t now, int64_t after_at, int64_t after_id, int limit,
                   store_notify_cb cb, void *arg)
{
	/* The range on next_at keeps to notify_outbox_due (next_at, then the rowid). */
	static const char sql[] = "SELECT " NOTIFY_COLS " FROM notify_outbox WHERE state = 0 AND "
	                          "next_at <= ?1 AND next_at >= ?3 AND (next_at > ?3 OR id > ?4) "
	                          "ORDER BY next_at, id LIMIT ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "notify_each_due");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, now);
	stmt_bind_int64(s, 2, limit);
	stmt_bind_int64(s, 3, after_at);
	stmt_bind_int64(s, 4, after_id);
	rc = each_row(st, s, cb, arg, "notify_each_due");
	stmt_reset(s);
	return rc;
}

int
db_notify_attempt_add(struct store *st, const struct notify_attempt *a, enum notify_state state,
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
	struct stmt *s;
	int rc = db_cached(st, upd, &s, "notify_attempt_add");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, a->notify_id);
	stmt_bind_int64(s, 2, (int)state);
	stmt_bind_int64(s, 3, next_at);
	stmt_bind_int64(s, 4, a->at);
	rc = db_status(st, stmt_step(s), "notify_attempt_add");
	stmt_reset(s);
	/* Sent again meanwhile (or already marked by a round before a crash): the attempt
	 * happened all the same and is logged; the row keeps the state the user set. */
	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_CONFLICT;
	if (rc != ST_OK && rc != ST_CONFLICT)
		return rc;
	if (db_cached(st, ins, &s, "notify_attempt_add") != ST_OK)
		return ST_STORE;
	stmt_bind_int64(s, 1, a->notify_id);
	stmt_bind_int64(s, 2, a->at);
	stmt_bind_int64(s, 3, a->duration_ms);
	stmt_bind_int64(s, 4, a->http_status);
	db_bind_text(s, 5, a->error != NULL ? a->error : "");
	db_bind_text(s, 6, a->answer != NULL ? a->answer : "");
	{
		int rc2 = db_status(st, stmt_step(s), "notify_attempt_add");

		stmt_reset(s);
		return rc2 != ST_OK ? rc2 : rc;
	}
}

int
db_notify_each_of_txn(struct store *st, int64_t brand_id, int64_t txn_id, store_notify_cb cb,
                      void *arg)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "SELECT " NOTIFY_COLS " FROM notify_outbox WHERE brand_id = ?1 AND "
	                    "txn_id = ?2 ORDER BY id",
	                    &s, "notify_each_of_txn");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, txn_id);
	rc = each_row(st, s, cb, arg, "notify_each_of_txn");
	stmt_finalize(s);
	return rc;
}

int
db_notify_get(struct store *st, int64_t brand_id, int64_t id, store_notify_cb cb, void *arg)
{
	struct notify_row n;
	struct stmt *s;
	int src, rc = db_prepare(st,
	                         "SELECT " NOTIFY_COLS " FROM notify_outbox WHERE brand_id = ?1 "
	                         "AND id = ?2",
	                         &s, "notify_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	src = stmt_step(s);
	if (src == STMT_ROW) {
		notify_read(s, &n);
		rc = cb(arg, &n);
	} else {
		rc = db_row_status(st, src, "notify_get");
	}
	stmt_finalize(s);
	return rc;
}

/* Reads an attempt; its texts are lent until the next step. */
static void
attempt_read(struct stmt *s, struct notify_attempt *a)
{
	a->id = stmt_int64(s, 0);
	a->notify_id = stmt_int64(s, 1);
	a->at = stmt_int64(s, 2);
	a->duration_ms = stmt_int64(s, 3);
	a->http_status = stmt_int(s, 4);
	a->error = (const char *)stmt_text(s, 5);
	a->answer = (const char *)stmt_text(s, 6);
}

int
db_notify_attempts_each(struct store *st, int64_t brand_id, int64_t notify_id,
                        store_notify_attempt_cb cb, void *arg)
{
	struct notify_attempt a;
	struct stmt *s;
	int rc = db_prepare(st,
	                    "SELECT id, notify_id, at, duration_ms, http_status, error, "
	                    "answer FROM notify_attempt WHERE brand_id = ?1 AND notify_id = "
	                    "?2 ORDER BY id",
	                    &s, "notify_attempts_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, notify_id);
	while (db_next(st, s, &rc, "notify_attempts_each")) {
		attempt_read(s, &a);
		rc = cb(arg, &a);
	}
	stmt_finalize(s);
	return rc;
}

int
db_notify_resend(struct store *st, int64_t brand_id, int64_t id, int64_t now)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "UPDATE notify_outbox SET state = 0, tries = 0, next_at = ?3, done_at "
	                    "= NULL WHERE brand_id = ?1 AND id = ?2",
	                    &s, "notify_resend");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, now);
	rc = db_status(st, stmt_step(s), "notify_resend");
	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_NOTFOUND;
	stmt_finalize(s);
	return rc;
}

int
db_shop_notify_target(struct store *st, int64_t brand_id, int64_t shop_id,
                      struct notify_target *out)
{
	/* The active key as the shop cache loads it (org.c shops_each). */
	static const char sql[] =
	        "SELECT coalesce(ss.url_notify, ''), s.site, s.rang, k.key_sealed FROM shop s "
	        "LEFT JOIN shop_settings ss ON ss.shop_id = s.id AND ss.brand_id = s.brand_id "
	        "LEFT JOIN hmac_key k ON k.id = (SELECT k2.id FROM hmac_key k2 WHERE k2.brand_id = "
	        "s.brand_id AND k2.shop_id = s.id AND k2.env = s.env AND k2.status IN "
	        "('activated', 'used') ORDER BY k2.activated_at DESC, k2.id DESC LIMIT 1) WHERE "
	        "s.brand_id = ?1 AND s.id = ?2";
	struct stmt *s;
	int src, rc = db_cached(st, sql, &s, "shop_notify_target");

	memset(out, 0, sizeof(*out));
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	src = stmt_step(s);
	if (src == STMT_ROW) {
		db_text_copy(out->url, sizeof(out->url), s, 0);
		db_text_copy(out->site, sizeof(out->site), s, 1);
		db_text_copy(out->rang, sizeof(out->rang), s, 2);
		if (!stmt_is_null(s, 3) && (size_t)stmt_bytes(s, 3) <= sizeof(out->key_sealed)) {
			out->key_sealed_len = (size_t)stmt_bytes(s, 3);
			memcpy(out->key_sealed, stmt_blob(s, 3), out->key_sealed_len);
			out->has_key = true;
		}
		rc = ST_OK;
	} else {
		rc = db_row_status(st, src, "shop_notify_target");
	}
	stmt_reset(s);
	return rc;
}

int
db_notify_purge(struct store *st, int64_t before, int limit, int *done)
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
	struct stmt *s;
	int rc = ST_OK;

	*done = 0;
	for (int i = 0; i < 2 && rc == ST_OK; i++) {
		rc = db_cached(st, sqls[i], &s, "notify_purge");
		if (rc != ST_OK)
			break;
		stmt_bind_int64(s, 1, before);
		stmt_bind_int64(s, 2, limit);
		rc = db_status(st, stmt_step(s), "notify_purge");
		if (rc == ST_OK && i == 1)
			*done = db_changes(st);
		stmt_reset(s);
	}
	return rc;
}
