/*
 * hmac_keys.c - HMAC key operations (store.h "HMAC keys of the back
 * office" and hmac_key_insert; migration 018): generated keys waiting for their activation
 * link, the switch of a shop's active key, the "used" mark, what the daily expiry job reads
 * and writes, and the demo's keys written active at once.
 *
 * These run a few times a day at most (a key is made about once a year per shop), so each
 * statement is prepared when it runs and finalized after; only the demo's insert, one a shop
 * of a bulk install, is kept prepared (db_cached). Not the shop cache's loading (org.c
 * shops_each).
 */
#include <stdio.h>
#include <string.h>

#include "store/sql/db.h"

/* The columns hmac_key_read reads, of hmac_key k joined with shop s. */
#define KEY_COLS                                                                                   \
	"k.id, k.brand_id, k.shop_id, s.name, s.site, s.rang, k.env, k.status, k.created_at, "     \
	"coalesce(k.activated_at, 0), coalesce(k.expires_at, 0), coalesce(k.created_by, 0), "      \
	"k.created_by_login"

/* Reads a row of KEY_COLS from column 0. */
static void
hmac_key_read(struct stmt *s, struct hmac_key_row *k)
{
	memset(k, 0, sizeof(*k));
	k->id = stmt_int64(s, 0);
	k->brand_id = stmt_int64(s, 1);
	k->shop_id = stmt_int64(s, 2);
	db_text_copy(k->shop_name, sizeof(k->shop_name), s, 3);
	db_text_copy(k->site, sizeof(k->site), s, 4);
	db_text_copy(k->rang, sizeof(k->rang), s, 5);
	db_text_copy(k->env, sizeof(k->env), s, 6);
	db_text_copy(k->status, sizeof(k->status), s, 7);
	k->created_at = stmt_int64(s, 8);
	k->activated_at = stmt_int64(s, 9);
	k->expires_at = stmt_int64(s, 10);
	k->created_by = stmt_int64(s, 11);
	db_text_copy(k->created_by_login, sizeof(k->created_by_login), s, 12);
}

/* Steps s to its end, calling cb with each row; finalizes s. */
static int
each_key(struct store *st, struct stmt *s, store_hmac_key_cb cb, void *arg, const char *what)
{
	struct hmac_key_row k;
	int rc = ST_OK;

	while (db_next(st, s, &rc, what)) {
		hmac_key_read(s, &k);
		rc = cb(arg, &k);
	}
	stmt_finalize(s);
	return rc;
}

int
db_hmac_key_insert(struct store *st, int64_t brand_id, int64_t shop_id, const char *env,
                   const unsigned char *sealed, size_t sealed_len, int64_t now)
{
	static const char sql[] =
	        "INSERT INTO hmac_key(brand_id, shop_id, env, key_sealed, status, "
	        "created_at, activated_at, expires_at) VALUES (?1, ?2, ?3, ?4, "
	        "'activated', ?5, ?5, ?5 + 365 * 86400000000)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "hmac_key_insert");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	db_bind_text(s, 3, env);
	stmt_bind_blob(s, 4, sealed, sealed_len);
	stmt_bind_int64(s, 5, now);
	return db_run(st, s, "hmac_key_insert");
}

int
db_hmac_key_create(struct store *st, struct hmac_key_new *k)
{
	struct stmt *s;
	int rc = db_prepare(
	        st,
	        "INSERT INTO hmac_key(brand_id, shop_id, env, key_sealed, status, "
	        "created_at, created_by, created_by_login, token_hash, token_expires_at) "
	        "VALUES (?1, ?2, ?3, ?4, 'created', ?5, nullif(?6, 0), ?7, ?8, ?9) RETURNING id",
	        &s, "hmac_key_create");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, k->brand_id);
	stmt_bind_int64(s, 2, k->shop_id);
	db_bind_text(s, 3, k->env);
	stmt_bind_blob(s, 4, k->sealed, k->sealed_len);
	stmt_bind_int64(s, 5, k->now);
	stmt_bind_int64(s, 6, k->created_by);
	db_bind_text(s, 7, k->created_by_login ? k->created_by_login : "");
	stmt_bind_blob(s, 8, k->token_hash, sizeof(k->token_hash));
	stmt_bind_int64(s, 9, k->token_expires_at);
	return db_insert_once(st, s, &k->id, "hmac_key_create");
}

int
db_hmac_keys_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t active_before,
                  store_hmac_key_cb cb, void *arg)
{
	struct stmt *s;
	int rc = db_prepare(
	        st,
	        DB_SUBTREE "SELECT " KEY_COLS " FROM hmac_key k "
	                   "JOIN shop s ON s.id = k.shop_id WHERE k.brand_id = ?1 AND k.shop_id IN "
	                   "(SELECT id FROM sub) AND (?3 = 0 OR (k.status IN ('activated', 'used') "
	                   "AND k.expires_at < ?3)) ORDER BY k.shop_id, k.env DESC, k.id DESC",
	        &s, "hmac_keys_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, node_id);
	stmt_bind_int64(s, 3, active_before);
	return each_key(st, s, cb, arg, "hmac_keys_each");
}

int
db_hmac_key_activate(struct store *st, const unsigned char token_hash[32], int64_t now,
                     int64_t expires_at, struct hmac_key_row *out, unsigned char *sealed,
                     size_t cap, size_t *len)
{
	struct stmt *s;
	size_t n;
	int src, rc;

	*len = 0;
	rc = db_prepare(st,
	                "SELECT " KEY_COLS ", k.key_sealed FROM hmac_key k JOIN shop s ON s.id = "
	                "k.shop_id WHERE k.token_hash = ?1 AND k.status = 'created' AND "
	                "k.token_expires_at > ?2",
	                &s, "hmac_key_activate");
	if (rc != ST_OK)
		return rc;
	stmt_bind_blob(s, 1, token_hash, 32);
	stmt_bind_int64(s, 2, now);
	src = stmt_step(s);
	if (src == STMT_ROW) {
		hmac_key_read(s, out);
		n = (size_t)stmt_bytes(s, 13);
		if (n > cap) {
			rc = ST_INTERNAL;
		} else {
			memcpy(sealed, stmt_blob(s, 13), n);
			*len = n;
		}
	} else {
		rc = db_row_status(st, src, "hmac_key_activate");
	}
	stmt_finalize(s);
	if (rc != ST_OK)
		return rc;

	/* One active key per shop and environment (SPEC §11): the one before retires. */
	rc = db_prepare(
	        st,
	        "UPDATE hmac_key SET status = 'retired', retired_at = ?4 WHERE brand_id = ?1 "
	        "AND shop_id = ?2 AND env = ?3 AND status IN ('activated', 'used')",
	        &s, "hmac_key_retire");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, out->brand_id);
	stmt_bind_int64(s, 2, out->shop_id);
	db_bind_text(s, 3, out->env);
	stmt_bind_int64(s, 4, now);
	rc = db_run_once(st, s, "hmac_key_retire");
	if (rc == ST_OK)
		rc = db_prepare(st,
		                "UPDATE hmac_key SET status = 'activated', activated_at = ?3, "
		                "expires_at = ?4, token_hash = NULL, token_expires_at = NULL WHERE "
		                "brand_id = ?1 AND id = ?2",
		                &s, "hmac_key_activate");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, out->brand_id);
	stmt_bind_int64(s, 2, out->id);
	stmt_bind_int64(s, 3, now);
	stmt_bind_int64(s, 4, expires_at);
	rc = db_run_once(st, s, "hmac_key_activate");
	if (rc == ST_OK) {
		snprintf(out->status, sizeof(out->status), "activated");
		out->activated_at = now;
		out->expires_at = expires_at;
	}
	return rc;
}

int
db_hmac_key_used(struct store *st, int64_t brand_id, int64_t id)
{
	struct stmt *s;
	int rc = db_prepare(
	        st,
	        "UPDATE hmac_key SET status = 'used' WHERE brand_id = ?1 AND id = ?2 AND "
	        "status = 'activated'",
	        &s, "hmac_key_used");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	return db_run_once(st, s, "hmac_key_used");
}

int
db_hmac_keys_expired_each(struct store *st, int64_t now, store_hmac_key_cb cb, void *arg)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "SELECT " KEY_COLS " FROM hmac_key k JOIN shop s ON s.id = k.shop_id "
	                    "WHERE k.status IN ('activated', 'used') AND k.expires_at <= ?1 AND "
	                    "k.expiry_mailed_at IS NULL ORDER BY k.expires_at, k.id",
	                    &s, "hmac_keys_expired_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, now);
	return each_key(st, s, cb, arg, "hmac_keys_expired_each");
}

int
db_hmac_key_expiry_mailed(struct store *st, int64_t brand_id, int64_t id, int64_t now)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "UPDATE hmac_key SET expiry_mailed_at = ?3 WHERE brand_id = ?1 AND "
	                    "id = ?2 AND expiry_mailed_at IS NULL",
	                    &s, "hmac_key_expiry_mailed");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, now);
	return db_run_once(st, s, "hmac_key_expiry_mailed");
}

/* Reads a recipient of brand_id: id, node_id, login, name, email, profile. */
static void
recipient_read(struct stmt *s, int64_t brand_id, struct user *u)
{
	char profile[16];

	memset(u, 0, sizeof(*u));
	u->brand_id = brand_id;
	u->id = stmt_int64(s, 0);
	u->node_id = stmt_int64(s, 1);
	db_text_copy(u->login, sizeof(u->login), s, 2);
	db_text_copy(u->name, sizeof(u->name), s, 3);
	db_text_copy(u->email, sizeof(u->email), s, 4);
	db_text_copy(profile, sizeof(profile), s, 5);
	u->profile = profile_parse(profile);
}

int
db_hmac_key_recipients_each(struct store *st, int64_t brand_id, int64_t shop_id,
                            store_recipient_cb cb, void *arg)
{
	struct stmt *s;
	struct user u;
	int rc = db_prepare(
	        st,
	        "WITH RECURSIVE up(id, parent, twin) AS (SELECT id, parent_id, twin_id FROM node "
	        "WHERE brand_id = ?1 AND id = ?2 UNION ALL SELECT n.id, n.parent_id, n.twin_id "
	        "FROM node n JOIN up ON n.id = up.parent WHERE n.brand_id = ?1) "
	        "SELECT id, node_id, login, name, email, profile FROM user WHERE "
	        "brand_id = (SELECT CASE WHEN env = 'test' THEN twin_id ELSE id END FROM brand "
	        "WHERE id = ?1) AND node_id IN (SELECT id FROM up UNION SELECT twin FROM up WHERE "
	        "twin IS NOT NULL) AND profile IN ('hmac', 'admin') AND email <> '' AND "
	        "deactivated_at IS NULL ORDER BY id",
	        &s, "hmac_key_recipients_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	while (db_next(st, s, &rc, "hmac_key_recipients_each")) {
		recipient_read(s, brand_id, &u);
		rc = cb(arg, &u);
	}
	stmt_finalize(s);
	return rc;
}
