/*
 * hosted.c - the hosted payment page's storage (sql/sqlite/033_hosted.sql): the memory of
 * signed requests already paid, so that a replayed one does not pay twice, and the sealed card
 * of a 3-D Secure challenge in progress (issue 12).
 */
#include <sqlite3.h>
#include <string.h>

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
	lite_bind_text(s, 3, order_ref);
	sqlite3_bind_int64(s, 4, request_time);
	sqlite3_bind_int64(s, 5, now);
	rc = lite_status(st, sqlite3_step(s), "hosted_replay_put");
	sqlite3_finalize(s);
	return rc;
}

int
lite_checkout_put(struct store *st, const struct checkout *c)
{
	sqlite3_stmt *s;
	int rc;

	rc = lite_prepare(st,
	                  "INSERT INTO checkout(token_hash, brand_id, shop_id, order_ref, "
	                  "request_time, amount, card_sealed, card_expiry, created_at, expires_at) "
	                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	                  &s, "checkout_put");
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_blob(s, 1, c->token_hash, sizeof(c->token_hash), SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, c->brand_id);
	sqlite3_bind_int64(s, 3, c->shop_id);
	lite_bind_text(s, 4, c->order_ref);
	sqlite3_bind_int64(s, 5, c->request_time);
	sqlite3_bind_int64(s, 6, c->amount);
	sqlite3_bind_blob(s, 7, c->card_sealed, (int)c->card_sealed_len, SQLITE_STATIC);
	lite_bind_text(s, 8, c->card_expiry);
	sqlite3_bind_int64(s, 9, c->created_at);
	sqlite3_bind_int64(s, 10, c->expires_at);
	rc = lite_status(st, sqlite3_step(s), "checkout_put");
	sqlite3_finalize(s);
	return rc;
}

/* Reads the checkout of token_hash from checkout_take's RETURNING. */
static void
checkout_read(sqlite3_stmt *s, const unsigned char *token_hash, struct checkout *out)
{
	const void *blob = sqlite3_column_blob(s, 5);
	int n = sqlite3_column_bytes(s, 5);

	memset(out, 0, sizeof(*out));
	memcpy(out->token_hash, token_hash, sizeof(out->token_hash));
	out->brand_id = sqlite3_column_int64(s, 0);
	out->shop_id = sqlite3_column_int64(s, 1);
	lite_text_copy(out->order_ref, sizeof(out->order_ref), s, 2);
	out->request_time = sqlite3_column_int64(s, 3);
	out->amount = sqlite3_column_int64(s, 4);
	if (n > 0 && (size_t)n <= sizeof(out->card_sealed)) {
		memcpy(out->card_sealed, blob, (size_t)n);
		out->card_sealed_len = (size_t)n;
	}
	lite_text_copy(out->card_expiry, sizeof(out->card_expiry), s, 6);
	out->created_at = sqlite3_column_int64(s, 7);
	out->expires_at = sqlite3_column_int64(s, 8);
}

int
lite_checkout_take(struct store *st, const unsigned char *token_hash, int64_t now,
                   struct checkout *out)
{
	sqlite3_stmt *s;
	int rc, src;

	/* Read and deleted in one statement: two answers to one challenge cannot both get the
	 * card (the writer runs one at a time besides). */
	rc = lite_prepare(st,
	                  "DELETE FROM checkout WHERE token_hash = ?1 AND expires_at > ?2 "
	                  "RETURNING brand_id, shop_id, order_ref, request_time, amount, "
	                  "card_sealed, card_expiry, created_at, expires_at",
	                  &s, "checkout_take");
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_blob(s, 1, token_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		checkout_read(s, token_hash, out);
		/* The rest of the statement: the deletion completes. */
		src = sqlite3_step(s);
		rc = lite_status(st, src, "checkout_take");
	} else {
		rc = lite_row_status(st, src, "checkout_take");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Deletes at most limit rows of one statement's kind, adding the count to *done. */
static int
purge(struct store *st, const char *sql, int64_t before, int limit, int *done, const char *what)
{
	sqlite3_stmt *s;
	int rc;

	rc = lite_prepare(st, sql, &s, what);
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, limit);
	rc = lite_status(st, sqlite3_step(s), what);
	if (rc == ST_OK)
		*done += sqlite3_changes(lite_db(st));
	sqlite3_finalize(s);
	return rc;
}

int
lite_hosted_purge(struct store *st, int64_t now, int64_t replay_before, int limit, int *done)
{
	int rc;

	*done = 0;
	rc = purge(st,
	           "DELETE FROM checkout WHERE token_hash IN (SELECT token_hash FROM checkout "
	           "WHERE expires_at <= ?1 LIMIT ?2)",
	           now, limit, done, "checkout_purge");
	if (rc == ST_OK)
		rc = purge(st,
		           "DELETE FROM hosted_replay WHERE (brand_id, shop_id, order_ref, "
		           "request_time) IN (SELECT brand_id, shop_id, order_ref, request_time "
		           "FROM hosted_replay WHERE created_at < ?1 LIMIT ?2)",
		           replay_before, limit, done, "hosted_replay_purge");
	return rc;
}
