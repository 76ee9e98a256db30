/*
 * users.c - users (store.h user_*, users_each, session_*,
 * second_factor_*, pref_*; migrations 001, 002, 007, 017, 022, 023, 024): an account written
 * and read by login or id, the sign-in's counts and lock, passwords and their history, the
 * terms accepted, the second factor's secrets and codes, the sessions kept for restarts, and a
 * user's preferences (columns, landing page).
 *
 * Every sign-in and every request's session touch runs these: kept prepared (db_cached).
 * Not the rules (domain/password.h, the sign-in steps of http/sessions.c), nor the action log
 * (actions.c).
 */
#include <string.h>

#include "store/sql/db.h"

/* The columns user_read reads, first in a row; USER_NCOLS of them. */
#define USER_COLS                                                                                  \
	"u.id, u.brand_id, u.node_id, u.login, u.name, u.email, u.profile, u.password_hash, "      \
	"u.must_change, u.failed_attempts, u.locked, u.terms_version, u.password_set_at, "         \
	"u.language, u.time_zone, b.pspid, u.mobile, u.second_factor, "                            \
	"coalesce(u.email_changed_at, 0), coalesce(u.email_changed_by, 0), "                       \
	"b.second_factor_required, coalesce(u.deactivated_at, 0)"
#define USER_NCOLS 22
#define USER_FROM  " FROM user u JOIN brand b ON b.id = u.brand_id "

static void
user_read(struct stmt *s, struct user_auth *ua)
{
	char profile[16];

	memset(ua, 0, sizeof(*ua));
	ua->u.id = stmt_int64(s, 0);
	ua->u.brand_id = stmt_int64(s, 1);
	ua->u.node_id = stmt_int64(s, 2);
	db_text_copy(ua->u.login, sizeof(ua->u.login), s, 3);
	db_text_copy(ua->u.name, sizeof(ua->u.name), s, 4);
	db_text_copy(ua->u.email, sizeof(ua->u.email), s, 5);
	db_text_copy(profile, sizeof(profile), s, 6);
	ua->u.profile = profile_parse(profile);
	db_text_copy(ua->u.password_hash, sizeof(ua->u.password_hash), s, 7);
	ua->u.must_change = stmt_int(s, 8) != 0;
	ua->failed_attempts = stmt_int(s, 9);
	ua->locked = stmt_int(s, 10) != 0;
	ua->terms_version = stmt_int(s, 11);
	ua->password_set_at = stmt_int64(s, 12);
	db_text_copy(ua->language, sizeof(ua->language), s, 13);
	db_text_copy(ua->time_zone, sizeof(ua->time_zone), s, 14);
	db_text_copy(ua->pspid, sizeof(ua->pspid), s, 15);
	db_text_copy(ua->u.mobile, sizeof(ua->u.mobile), s, 16);
	db_text_copy(profile, sizeof(profile), s, 17);
	ua->second_factor = strcmp(profile, "totp") == 0    ? SF_TOTP
	                    : strcmp(profile, "email") == 0 ? SF_EMAIL
	                                                    : SF_NONE;
	ua->email_changed_at = stmt_int64(s, 18);
	ua->email_changed_by = stmt_int64(s, 19);
	ua->second_factor_required = stmt_int(s, 20) != 0;
	ua->deactivated_at = stmt_int64(s, 21);
}

static void
user_row(struct stmt *s, void *out)
{
	user_read(s, out);
}

int
db_user_insert(struct store *st, struct user *u, int64_t now)
{
	static const char sql[] =
	        "INSERT INTO user(id, brand_id, node_id, login, name, email, profile, "
	        "password_hash, must_change, password_set_at, created_at, mobile) "
	        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11) RETURNING id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "user_insert");

	if (rc != ST_OK)
		return rc;
	db_bind_id(s, 1, u->id);
	stmt_bind_int64(s, 2, u->brand_id);
	stmt_bind_int64(s, 3, u->node_id);
	db_bind_text(s, 4, u->login);
	db_bind_text(s, 5, u->name);
	db_bind_text(s, 6, u->email);
	db_bind_text(s, 7, profile_name(u->profile));
	db_bind_text(s, 8, u->password_hash);
	stmt_bind_int64(s, 9, u->must_change);
	stmt_bind_int64(s, 10, now);
	db_bind_text(s, 11, u->mobile);
	return db_insert(st, s, &u->id, "user_insert");
}

int
db_user_by_login(struct store *st, const char *login, struct user_auth *out)
{
	static const char sql[] = "SELECT " USER_COLS USER_FROM "WHERE u.login = ?1";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "user_by_login");

	if (rc != ST_OK)
		return rc;
	db_bind_text(s, 1, login);
	return db_one_row(st, s, user_row, out, "user_by_login");
}

int
db_user_get(struct store *st, int64_t brand_id, int64_t id, struct user_auth *out)
{
	static const char sql[] =
	        "SELECT " USER_COLS USER_FROM "WHERE u.brand_id = ?1 AND u.id = ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "user_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	return db_one_row(st, s, user_row, out, "user_get");
}

int
db_users_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t week_start,
              store_user_cb cb, void *arg)
{
	static const char sql[] = DB_SUBTREE
	        "SELECT " USER_COLS ", n.level, n.name, "
	        "(SELECT count(*) FROM action_log a WHERE a.brand_id = u.brand_id AND "
	        "a.user_id = u.id AND a.action = 'sign_in' AND a.at >= ?3), u.login_count, "
	        "coalesce(u.last_login_at, 0) FROM user u JOIN brand b ON b.id = u.brand_id "
	        "JOIN node n ON n.id = u.node_id WHERE u.brand_id = ?1 AND u.node_id IN "
	        "(SELECT id FROM sub) ORDER BY u.login";
	struct user_row u;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "users_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, node_id);
	stmt_bind_int64(s, 3, week_start);
	while (db_next(st, s, &rc, "users_each")) {
		user_read(s, &u.ua);
		u.level = node_level_parse((const char *)stmt_text(s, USER_NCOLS));
		db_text_copy(u.node_name, sizeof(u.node_name), s, USER_NCOLS + 1);
		u.week_sign_ins = stmt_int64(s, USER_NCOLS + 2);
		u.total_sign_ins = stmt_int64(s, USER_NCOLS + 3);
		u.last_login_at = stmt_int64(s, USER_NCOLS + 4);
		rc = cb(arg, &u);
	}
	stmt_reset(s);
	return rc;
}

int
db_user_update(struct store *st, const struct user_auth *ua)
{
	static const char sql[] =
	        "UPDATE user SET name = ?3, email = ?4, mobile = ?5, profile = ?6, "
	        "node_id = ?7, language = ?8, time_zone = ?9, email_changed_at = nullif(?10, 0), "
	        "email_changed_by = nullif(?11, 0) WHERE brand_id = ?1 AND id = ?2";
	const struct user *u = &ua->u;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "user_update");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, u->brand_id);
	stmt_bind_int64(s, 2, u->id);
	db_bind_text(s, 3, u->name);
	db_bind_text(s, 4, u->email);
	db_bind_text(s, 5, u->mobile);
	db_bind_text(s, 6, profile_name(u->profile));
	stmt_bind_int64(s, 7, u->node_id);
	db_bind_text(s, 8, ua->language);
	db_bind_text(s, 9, ua->time_zone);
	stmt_bind_int64(s, 10, ua->email_changed_at);
	stmt_bind_int64(s, 11, ua->email_changed_by);
	return db_run(st, s, "user_update");
}

/* --- sign-in and passwords ------------------------------------------------------------------ */

int
db_user_sign_in_failed(struct store *st, int64_t brand_id, int64_t id, int max, bool *locked,
                       int *failures)
{
	static const char sql[] = "UPDATE user SET failed_attempts = failed_attempts + 1, "
	                          "locked = CASE WHEN failed_attempts + 1 >= ?3 THEN 1 ELSE 0 END "
	                          "WHERE brand_id = ?1 AND id = ?2 AND locked = 0 RETURNING "
	                          "failed_attempts";
	struct stmt *s;
	int64_t count = 0;
	int rc = db_cached(st, sql, &s, "user_sign_in_failed");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, max);
	rc = db_one_row(st, s, db_int64_read, &count, "user_sign_in_failed");
	*locked = rc == ST_OK && count >= max;
	*failures = (int)count;
	return rc == ST_NOTFOUND ? ST_LOCKED : rc; /* only an unlocked account counts */
}

int
db_user_failures_forget(struct store *st, int64_t brand_id, int64_t id)
{
	static const char sql[] = "UPDATE user SET failed_attempts = 0 WHERE brand_id = ?1 AND "
	                          "id = ?2 AND locked = 0";

	return db_run_ids(st, sql, brand_id, id, 0, "user_failures_forget");
}

int
db_user_signed_in(struct store *st, int64_t brand_id, int64_t id, int64_t now)
{
	static const char sql[] = "UPDATE user SET failed_attempts = 0, last_login_at = ?3, "
	                          "login_count = login_count + 1 WHERE brand_id = ?1 AND id = ?2 "
	                          "AND locked = 0";
	int rc = db_run_ids(st, sql, brand_id, id, now, "user_signed_in");

	/* No row changed: the account is locked (the statement skips locked ones). */
	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_LOCKED;
	return rc;
}

int
db_user_unlock(struct store *st, int64_t brand_id, int64_t id)
{
	static const char sql[] =
	        "UPDATE user SET locked = 0, failed_attempts = 0 WHERE brand_id = ?1 AND id = ?2";

	return db_run_ids(st, sql, brand_id, id, 0, "user_unlock");
}

int
db_user_deactivate(struct store *st, int64_t brand_id, int64_t id, int64_t at)
{
	static const char sql[] =
	        "UPDATE user SET deactivated_at = nullif(?3, 0) WHERE brand_id = ?1 "
	        "AND id = ?2";

	return db_run_ids(st, sql, brand_id, id, at, "user_deactivate");
}

int
db_users_active_admins(struct store *st, int64_t brand_id, int64_t *count)
{
	static const char sql[] = "SELECT count(*) FROM user WHERE brand_id = ?1 AND profile = "
	                          "'admin' AND deactivated_at IS NULL";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "users_active_admins");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	return db_one_row(st, s, db_int64_read, count, "users_active_admins");
}

int
db_user_password_set(struct store *st, int64_t brand_id, int64_t id, const char *hash,
                     bool must_change, int64_t now)
{
	static const char history_sql[] =
	        "INSERT INTO password_history(brand_id, user_id, password_hash, set_at) SELECT "
	        "brand_id, id, password_hash, password_set_at FROM user WHERE brand_id = ?1 AND id "
	        "= ?2";
	static const char sql[] = "UPDATE user SET password_hash = ?3, must_change = ?4, "
	                          "password_set_at = ?5 WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int rc;

	rc = db_run_ids(st, history_sql, brand_id, id, 0, "password_history");
	if (rc == ST_OK)
		rc = db_cached(st, sql, &s, "user_password_set");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	db_bind_text(s, 3, hash);
	stmt_bind_int64(s, 4, must_change);
	stmt_bind_int64(s, 5, now);
	return db_run(st, s, "user_password_set");
}

int
db_user_password_rehash(struct store *st, int64_t brand_id, int64_t id, const char *old_hash,
                        const char *new_hash)
{
	static const char sql[] = "UPDATE user SET password_hash = ?4 WHERE brand_id = ?1 AND id = "
	                          "?2 AND password_hash = ?3";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "user_password_rehash");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	db_bind_text(s, 3, old_hash);
	db_bind_text(s, 4, new_hash);
	return db_run_once(st, s, "user_password_rehash");
}

int
db_user_password_hashes(struct store *st, int64_t brand_id, int64_t id, int n, store_hash_cb cb,
                        void *arg)
{
	static const char sql[] =
	        "SELECT password_hash FROM user WHERE brand_id = ?1 AND id = ?2 "
	        "UNION ALL SELECT * FROM (SELECT password_hash FROM password_history "
	        "WHERE brand_id = ?1 AND user_id = ?2 ORDER BY id DESC LIMIT ?3) AS h";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "user_password_hashes");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, n);
	while (db_next(st, s, &rc, "user_password_hashes"))
		rc = cb(arg, (const char *)stmt_text(s, 0));
	stmt_reset(s);
	return rc;
}

int
db_user_terms_accept(struct store *st, int64_t brand_id, int64_t id, int version)
{
	static const char sql[] =
	        "UPDATE user SET terms_version = ?3 WHERE brand_id = ?1 AND id = ?2";

	return db_run_ids(st, sql, brand_id, id, version, "user_terms_accept");
}

/* --- the second factor ---------------------------------------------------------------------- */

/* Copies a blob column of exactly len bytes into dst; false (dst untouched) otherwise. */
static bool
blob_exact(struct stmt *s, int col, unsigned char *dst, size_t len)
{
	if (stmt_is_null(s, col) || (size_t)stmt_bytes(s, col) != len)
		return false;
	memcpy(dst, stmt_blob(s, col), len);
	return true;
}

static void
second_factor_read(struct stmt *s, void *out)
{
	struct second_factor *sf = out;

	sf->has_totp = blob_exact(s, 0, sf->totp_sealed, sizeof(sf->totp_sealed));
	sf->has_pending = blob_exact(s, 1, sf->pending_sealed, sizeof(sf->pending_sealed));
	sf->totp_last_step = stmt_int64(s, 2);
	sf->has_code = blob_exact(s, 3, sf->code_digest, sizeof(sf->code_digest));
	sf->code_created_at = stmt_int64(s, 4);
}

int
db_second_factor_get(struct store *st, int64_t brand_id, int64_t user_id, struct second_factor *out)
{
	static const char sql[] = "SELECT totp_sealed, totp_pending, totp_last_step, code_digest, "
	                          "coalesce(code_created_at, 0) FROM second_factor WHERE brand_id "
	                          "= ?1 AND user_id = ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "second_factor_get");

	memset(out, 0, sizeof(*out));
	out->brand_id = brand_id;
	out->user_id = user_id;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	rc = db_one_row(st, s, second_factor_read, out, "second_factor_get");
	return rc == ST_NOTFOUND ? ST_OK : rc;
}

/* Binds a blob, or NULL when absent. */
static void
bind_blob_opt(struct stmt *s, int i, bool present, const unsigned char *v, size_t len)
{
	if (present)
		stmt_bind_blob(s, i, v, len);
	else
		stmt_bind_null(s, i);
}

int
db_second_factor_put(struct store *st, const struct second_factor *sf)
{
	static const char sql[] =
	        "INSERT INTO second_factor(brand_id, user_id, totp_sealed, totp_pending, "
	        "totp_last_step, code_digest, code_created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
	        "?6, nullif(?7, 0)) ON CONFLICT (brand_id, user_id) DO UPDATE SET totp_sealed = "
	        "excluded.totp_sealed, totp_pending = excluded.totp_pending, "
	        "totp_last_step = excluded.totp_last_step, code_digest = "
	        "excluded.code_digest, code_created_at = excluded.code_created_at";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "second_factor_put");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, sf->brand_id);
	stmt_bind_int64(s, 2, sf->user_id);
	bind_blob_opt(s, 3, sf->has_totp, sf->totp_sealed, sizeof(sf->totp_sealed));
	bind_blob_opt(s, 4, sf->has_pending, sf->pending_sealed, sizeof(sf->pending_sealed));
	stmt_bind_int64(s, 5, sf->totp_last_step);
	bind_blob_opt(s, 6, sf->has_code, sf->code_digest, sizeof(sf->code_digest));
	stmt_bind_int64(s, 7, sf->has_code ? sf->code_created_at : 0);
	return db_run(st, s, "second_factor_put");
}

int
db_user_second_factor_set(struct store *st, int64_t brand_id, int64_t user_id,
                          enum second_factor_method method)
{
	static const char sql[] =
	        "UPDATE user SET second_factor = ?3 WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "user_second_factor_set");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	db_bind_text(s, 3, method == SF_TOTP ? "totp" : method == SF_EMAIL ? "email" : "");
	return db_run(st, s, "user_second_factor_set");
}

/* --- sessions ------------------------------------------------------------------------------- */

#define SESSION_COLS                                                                               \
	"id, brand_id, user_id, token_hash, csrf_hash, device, created_at, last_seen_at, "         \
	"second_factor_pending, resume_hash, resume_failures, env_brand_id, env_node_id"

static void
session_read(struct stmt *s, void *out)
{
	struct session_row *r = out;

	memset(r, 0, sizeof(*r));
	r->id = stmt_int64(s, 0);
	r->brand_id = stmt_int64(s, 1);
	r->user_id = stmt_int64(s, 2);
	if (stmt_bytes(s, 3) == sizeof(r->token_hash))
		memcpy(r->token_hash, stmt_blob(s, 3), sizeof(r->token_hash));
	if (stmt_bytes(s, 4) == sizeof(r->csrf_hash))
		memcpy(r->csrf_hash, stmt_blob(s, 4), sizeof(r->csrf_hash));
	db_text_copy(r->device, sizeof(r->device), s, 5);
	r->created_at = stmt_int64(s, 6);
	r->last_seen_at = stmt_int64(s, 7);
	r->second_factor_pending = stmt_int(s, 8) != 0;
	r->disconnected = !stmt_is_null(s, 9);
	if (r->disconnected && stmt_bytes(s, 9) == sizeof(r->resume_hash))
		memcpy(r->resume_hash, stmt_blob(s, 9), sizeof(r->resume_hash));
	r->resume_failures = stmt_int(s, 10);
	r->env_brand_id = stmt_is_null(s, 11) ? 0 : stmt_int64(s, 11);
	r->env_node_id = stmt_is_null(s, 12) ? 0 : stmt_int64(s, 12);
}

int
db_session_get(struct store *st, int64_t brand_id, int64_t id, struct session_row *out)
{
	static const char sql[] =
	        "SELECT " SESSION_COLS " FROM session WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "session_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	return db_one_row(st, s, session_read, out, "session_get");
}

int
db_session_by_token(struct store *st, const unsigned char token_hash[32], struct session_row *out)
{
	static const char sql[] = "SELECT " SESSION_COLS " FROM session WHERE token_hash = ?1";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "session_by_token");

	if (rc != ST_OK)
		return rc;
	stmt_bind_blob(s, 1, token_hash, 32);
	return db_one_row(st, s, session_read, out, "session_by_token");
}

int
db_session_live(struct store *st, int64_t brand_id, int64_t user_id, struct session_row *out)
{
	static const char sql[] = "SELECT " SESSION_COLS " FROM session WHERE brand_id = ?1 AND "
	                          "user_id = ?2 AND second_factor_pending = 0";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "session_live");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	return db_one_row(st, s, session_read, out, "session_live");
}

static const char session_delete_user_sql[] =
        "DELETE FROM session WHERE brand_id = ?1 AND user_id = ?2";

int
db_session_delete_user(struct store *st, int64_t brand_id, int64_t user_id)
{
	return db_run_ids(st, session_delete_user_sql, brand_id, user_id, 0, "session_delete_user");
}

int
db_session_put(struct store *st, struct session_row *r)
{
	static const char waiting_sql[] = "DELETE FROM session WHERE brand_id = ?1 AND user_id = "
	                                  "?2 AND second_factor_pending = 1";
	static const char sql[] =
	        "INSERT INTO session(brand_id, user_id, token_hash, csrf_hash, device, "
	        "created_at, last_seen_at, second_factor_pending, env_brand_id, env_node_id) "
	        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id";
	struct stmt *s;
	int rc;

	rc = db_run_ids(st, r->second_factor_pending ? waiting_sql : session_delete_user_sql,
	                r->brand_id, r->user_id, 0, "session_replace");
	if (rc == ST_OK)
		rc = db_cached(st, sql, &s, "session_put");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, r->brand_id);
	stmt_bind_int64(s, 2, r->user_id);
	stmt_bind_blob(s, 3, r->token_hash, sizeof(r->token_hash));
	stmt_bind_blob(s, 4, r->csrf_hash, sizeof(r->csrf_hash));
	db_bind_text(s, 5, r->device);
	stmt_bind_int64(s, 6, r->created_at);
	stmt_bind_int64(s, 7, r->last_seen_at);
	stmt_bind_int64(s, 8, r->second_factor_pending);
	db_bind_id(s, 9, r->env_brand_id);
	db_bind_id(s, 10, r->env_node_id);
	return db_insert(st, s, &r->id, "session_put");
}

int
db_session_delete(struct store *st, int64_t brand_id, int64_t id)
{
	static const char sql[] = "DELETE FROM session WHERE brand_id = ?1 AND id = ?2";

	return db_run_ids(st, sql, brand_id, id, 0, "session_delete");
}

int
db_session_touch(struct store *st, int64_t brand_id, int64_t id, int64_t now)
{
	/* A disconnected session's last use is its disconnect: a use told late (a request
	 * answered before it) moves it no further. */
	static const char sql[] = "UPDATE session SET last_seen_at = CASE WHEN last_seen_at > ?3 "
	                          "THEN last_seen_at ELSE ?3 END "
	                          "WHERE brand_id = ?1 AND id = ?2 AND resume_hash IS NULL";

	return db_run_ids(st, sql, brand_id, id, now, "session_touch");
}

int
db_sessions_each(struct store *st, store_session_cb cb, void *arg)
{
	static const char sql[] = "SELECT " SESSION_COLS " FROM session ORDER BY id";
	struct session_row r;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "sessions_each");

	if (rc != ST_OK)
		return rc;
	while (db_next(st, s, &rc, "sessions_each")) {
		session_read(s, &r);
		rc = cb(arg, &r);
	}
	stmt_reset(s);
	return rc;
}

int
db_session_second_factor_done(struct store *st, int64_t brand_id, int64_t user_id,
                              const unsigned char *token_hash, const unsigned char *csrf_hash)
{
	/* The live session a waiting sign-in replaces as its code is given: only when one
	 * waits. */
	static const char replaced_sql[] =
	        "DELETE FROM session WHERE brand_id = ?1 AND user_id = ?2 AND "
	        "second_factor_pending = 0 AND EXISTS (SELECT 1 FROM session WHERE brand_id = ?1 "
	        "AND user_id = ?2 AND second_factor_pending = 1)";
	static const char done_sql[] =
	        "UPDATE session SET second_factor_pending = 0 WHERE "
	        "brand_id = ?1 AND user_id = ?2 AND second_factor_pending = 1";
	static const char tokens_sql[] =
	        "UPDATE session SET second_factor_pending = 0, token_hash = ?3, csrf_hash = ?4 "
	        "WHERE brand_id = ?1 AND user_id = ?2 AND second_factor_pending = 1";
	struct stmt *s;
	int rc;

	rc = db_run_ids(st, replaced_sql, brand_id, user_id, 0, "session_replaced");
	if (rc != ST_OK)
		return rc;
	if (token_hash == NULL || csrf_hash == NULL)
		return db_run_ids(st, done_sql, brand_id, user_id, 0, "session_sf_done");
	rc = db_cached(st, tokens_sql, &s, "session_sf_tokens");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	stmt_bind_blob(s, 3, token_hash, 32);
	stmt_bind_blob(s, 4, csrf_hash, 32);
	return db_run(st, s, "session_sf_tokens");
}

/* Runs the cached s, its ids bound: ST_NOTFOUND when it changed no row. */
static int
session_change(struct store *st, struct stmt *s, const char *what)
{
	int rc = db_run(st, s, what);

	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_NOTFOUND;
	return rc;
}

/* Runs the cached statement of sql with the session's ids, a hash (?3) and an instant (?4)
 * bound: ST_NOTFOUND when it changed no row. */
static int
session_set(struct store *st, const char *sql, int64_t brand_id, int64_t id,
            const unsigned char hash[32], int64_t now, const char *what)
{
	struct stmt *s;
	int rc = db_cached(st, sql, &s, what);

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_blob(s, 3, hash, 32);
	stmt_bind_int64(s, 4, now);
	return session_change(st, s, what);
}

int
db_session_disconnect(struct store *st, int64_t brand_id, int64_t id,
                      const unsigned char resume_hash[32], int64_t now)
{
	static const char sql[] = "UPDATE session SET resume_hash = ?3, resume_failures = 0, "
	                          "last_seen_at = ?4 WHERE brand_id = ?1 AND id = ?2 AND "
	                          "resume_hash IS NULL AND second_factor_pending = 0";

	return session_set(st, sql, brand_id, id, resume_hash, now, "session_disconnect");
}

int
db_session_resume(struct store *st, int64_t brand_id, int64_t id, const unsigned char csrf_hash[32],
                  int64_t now)
{
	static const char sql[] = "UPDATE session SET resume_hash = NULL, resume_failures = 0, "
	                          "csrf_hash = ?3, last_seen_at = ?4 WHERE brand_id = ?1 AND "
	                          "id = ?2 AND resume_hash IS NOT NULL";

	return session_set(st, sql, brand_id, id, csrf_hash, now, "session_resume");
}

int
db_session_resume_failed(struct store *st, int64_t brand_id, int64_t id, int failures)
{
	static const char sql[] = "UPDATE session SET resume_failures = ?3 WHERE brand_id = ?1 "
	                          "AND id = ?2 AND resume_hash IS NOT NULL";
	int rc = db_run_ids(st, sql, brand_id, id, failures, "session_resume_failed");

	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_NOTFOUND;
	return rc;
}

/* --- preferences ---------------------------------------------------------------------------- */

int
db_pref_get(struct store *st, int64_t brand_id, int64_t user_id, const char *name, char *out,
            size_t cap)
{
	static const char sql[] =
	        "SELECT value FROM user_pref WHERE brand_id = ?1 AND user_id = ?2 AND name = ?3";
	struct stmt *s;
	int src, rc = db_cached(st, sql, &s, "pref_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	db_bind_text(s, 3, name);
	src = stmt_step(s);
	if (src == STMT_ROW && (size_t)stmt_bytes(s, 0) >= cap) {
		rc = ST_TOOBIG;
	} else {
		if (src == STMT_ROW)
			db_text_copy(out, cap, s, 0);
		rc = db_row_status(st, src, "pref_get");
	}
	stmt_reset(s);
	return rc;
}

int
db_pref_put(struct store *st, int64_t brand_id, int64_t user_id, const char *name,
            const char *value, int64_t now)
{
	static const char put_sql[] =
	        "INSERT INTO user_pref(brand_id, user_id, name, value, updated_at) VALUES (?1, ?2, "
	        "?3, ?4, ?5) ON CONFLICT (brand_id, user_id, name) DO UPDATE SET value = "
	        "excluded.value, updated_at = "
	        "excluded.updated_at";
	static const char delete_sql[] =
	        "DELETE FROM user_pref WHERE brand_id = ?1 AND user_id = ?2 AND name = ?3";
	struct stmt *s;
	int rc = db_cached(st, value ? put_sql : delete_sql, &s, "pref_put");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	db_bind_text(s, 3, name);
	if (value != NULL) {
		db_bind_text(s, 4, value);
		stmt_bind_int64(s, 5, now);
	}
	return db_run(st, s, "pref_put");
}
