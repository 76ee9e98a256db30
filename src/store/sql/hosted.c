/*
 * hosted.c - the hosted payment page's storage (sql/sqlite/033_hosted.sql): the memory of
 * signed requests already paid, so that a replayed one does not pay twice, and the sealed card
 * of a 3-D Secure challenge in progress (issue 12).
 */
#include <string.h>

#include "store/sql/db.h"

int
db_hosted_replay_put(struct store *st, int64_t brand_id, int64_t shop_id, const char *order_ref,
                     int64_t request_time, int64_t now)
{
	struct stmt *s;
	int rc;

	/* The primary key refuses a second row: a conflict, said as such to the caller. */
	rc = db_prepare(st,
	                "INSERT INTO hosted_replay(brand_id, shop_id, order_ref, request_time, "
	                "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	                &s, "hosted_replay_put");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	db_bind_text(s, 3, order_ref);
	stmt_bind_int64(s, 4, request_time);
	stmt_bind_int64(s, 5, now);
	rc = db_status(st, stmt_step(s), "hosted_replay_put");
	stmt_finalize(s);
	return rc;
}

int
db_checkout_put(struct store *st, const struct checkout *c)
{
	struct stmt *s;
	int rc;

	rc = db_prepare(st,
	                "INSERT INTO checkout(token_hash, brand_id, shop_id, order_ref, "
	                "request_time, amount, card_sealed, card_expiry, created_at, expires_at) "
	                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	                &s, "checkout_put");
	if (rc != ST_OK)
		return rc;
	stmt_bind_blob(s, 1, c->token_hash, sizeof(c->token_hash));
	stmt_bind_int64(s, 2, c->brand_id);
	stmt_bind_int64(s, 3, c->shop_id);
	db_bind_text(s, 4, c->order_ref);
	stmt_bind_int64(s, 5, c->request_time);
	stmt_bind_int64(s, 6, c->amount);
	stmt_bind_blob(s, 7, c->card_sealed, c->card_sealed_len);
	db_bind_text(s, 8, c->card_expiry);
	stmt_bind_int64(s, 9, c->created_at);
	stmt_bind_int64(s, 10, c->expires_at);
	rc = db_status(st, stmt_step(s), "checkout_put");
	stmt_finalize(s);
	return rc;
}

/* Reads the checkout of token_hash from checkout_take's RETURNING. */
static void
checkout_read(struct stmt *s, const unsigned char *token_hash, struct checkout *out)
{
	const void *blob = stmt_blob(s, 5);
	int n = stmt_bytes(s, 5);

	memset(out, 0, sizeof(*out));
	memcpy(out->token_hash, token_hash, sizeof(out->token_hash));
	out->brand_id = stmt_int64(s, 0);
	out->shop_id = stmt_int64(s, 1);
	db_text_copy(out->order_ref, sizeof(out->order_ref), s, 2);
	out->request_time = stmt_int64(s, 3);
	out->amount = stmt_int64(s, 4);
	if (n > 0 && (size_t)n <= sizeof(out->card_sealed)) {
		memcpy(out->card_sealed, blob, (size_t)n);
		out->card_sealed_len = (size_t)n;
	}
	db_text_copy(out->card_expiry, sizeof(out->card_expiry), s, 6);
	out->created_at = stmt_int64(s, 7);
	out->expires_at = stmt_int64(s, 8);
}

int
db_checkout_take(struct store *st, const unsigned char *token_hash, int64_t now,
                 struct checkout *out)
{
	struct stmt *s;
	int rc, src;

	/* Read and deleted in one statement: two answers to one challenge cannot both get the
	 * card (the writer runs one at a time besides). */
	rc = db_prepare(st,
	                "DELETE FROM checkout WHERE token_hash = ?1 AND expires_at > ?2 "
	                "RETURNING brand_id, shop_id, order_ref, request_time, amount, "
	                "card_sealed, card_expiry, created_at, expires_at",
	                &s, "checkout_take");
	if (rc != ST_OK)
		return rc;
	stmt_bind_blob(s, 1, token_hash, 32);
	stmt_bind_int64(s, 2, now);
	src = stmt_step(s);
	if (src == STMT_ROW) {
		checkout_read(s, token_hash, out);
		/* The rest of the statement: the deletion completes. */
		src = stmt_step(s);
		rc = db_status(st, src, "checkout_take");
	} else {
		rc = db_row_status(st, src, "checkout_take");
	}
	stmt_finalize(s);
	return rc;
}

/* Deletes at most limit rows of one statement's kind, adding the count to *done. */
static int
purge(struct store *st, const char *sql, int64_t before, int limit, int *done, const char *what)
{
	struct stmt *s;
	int rc;

	rc = db_prepare(st, sql, &s, what);
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, before);
	stmt_bind_int64(s, 2, limit);
	rc = db_status(st, stmt_step(s), what);
	if (rc == ST_OK)
		*done += db_changes(st);
	stmt_finalize(s);
	return rc;
}

int
db_hosted_purge(struct store *st, int64_t now, int64_t replay_before, int limit, int *done)
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
