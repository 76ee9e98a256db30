/*
 * store_sqlite.c - the SQLite backend of store.h: WAL, synchronous=FULL, one prepared
 * statement per operation, cached for the connection's life, parameters always bound.
 *
 * Not thread-safe: one connection per thread (the writer, each reader, the command line).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/log.h"
#include "store/migrations.h"
#include "store/store.h"

enum stmt_id {
	S_BEGIN_READ,
	S_BEGIN_WRITE,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_META_GET,
	S_META_PUT,
	S_BRAND_INSERT,
	S_NODE_INSERT,
	S_SHOP_INSERT,
	S_CONTRACT_INSERT,
	S_HMAC_KEY_INSERT,
	S_USER_INSERT,
	S_SHOPS_EACH,
	S_CONTRACT_FIND,
	S_CONTRACT_TOUCH,
	S_TXN_INSERT,
	S_TXN_GET,
	S_TXN_GET_SHOP,
	S_TXN_UPDATE,
	S_TXN_CARD_FP,
	S_HISTORY_ADD,
	S_HISTORY_EACH,
	S_IDEM_GET,
	S_IDEM_PUT,
	S_BLOCK_HAS,
	S_BLOCK_ADD,
	S_API_ERROR_ADD,
	S__COUNT
};

#define TXN_COLS                                                                                   \
	"id, brand_id, shop_id, contract_id, parent_id, batch_id, type, status, acq, method, "     \
	"amount_initial, amount_current, amount_refunded, currency, order_ref, email, "            \
	"card_masked, "                                                                            \
	"card_expiry, card_country, customer_country, auth_number, acquirer, issuer, card_type, "  \
	"wallet, refusal, capture_manual, tds, tds_auth, tds_guaranteed, created_at, "             \
	"accepted_at, "                                                                            \
	"updated_at, bank_day"

static const char *const stmt_sql[S__COUNT] = {
        [S_BEGIN_READ] = "BEGIN DEFERRED",
        [S_BEGIN_WRITE] = "BEGIN IMMEDIATE",
        [S_COMMIT] = "COMMIT",
        [S_ROLLBACK] = "ROLLBACK",
        [S_SAVEPOINT] = "SAVEPOINT job",
        [S_RELEASE] = "RELEASE job",
        [S_ROLLBACK_TO] = "ROLLBACK TO job",
        [S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
        [S_META_PUT] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [S_BRAND_INSERT] = "INSERT INTO brand(id, name, pspid, created_at) VALUES (?1, ?2, ?3, ?4)",
        [S_NODE_INSERT] = "INSERT INTO node(id, brand_id, parent_id, level, name, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [S_SHOP_INSERT] = "INSERT INTO shop(id, brand_id, site, rang, name, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [S_CONTRACT_INSERT] =
                "INSERT INTO contract(id, brand_id, shop_id, method, number, rang, label, "
                "bank_code, "
                "currency, amount_min, amount_max, deferral_days, tds, active, report_email, "
                "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                "?15, ?16)",
        [S_HMAC_KEY_INSERT] =
                "INSERT INTO hmac_key(brand_id, shop_id, env, key_sealed, status, "
                "created_at, activated_at, expires_at) "
                "VALUES (?1, ?2, ?3, ?4, 'activated', ?5, ?5, ?5 + 365 * 86400000000)",
        [S_USER_INSERT] = "INSERT INTO user(id, brand_id, node_id, login, name, email, profile, "
                          "password_hash, must_change, password_set_at, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        [S_SHOPS_EACH] = "SELECT s.id, s.brand_id, s.site, s.rang, s.name, "
                         "(SELECT k.key_sealed FROM hmac_key k WHERE k.brand_id = s.brand_id "
                         "AND k.shop_id = s.id AND k.env = 'test' AND k.status IN ('activated', "
                         "'used') ORDER BY k.activated_at DESC, k.id DESC LIMIT 1) "
                         "FROM shop s ORDER BY s.id",
        [S_CONTRACT_FIND] = "SELECT id, brand_id, shop_id, method, number, rang, label, bank_code, "
                            "currency, amount_min, amount_max, deferral_days, tds, active, "
                            "report_email FROM contract WHERE brand_id = ?1 AND shop_id = ?2 AND "
                            "method = ?3 ORDER BY active DESC, id LIMIT 1",
        [S_CONTRACT_TOUCH] =
                "UPDATE contract SET last_auth_at = ?3 WHERE brand_id = ?1 AND id = ?2",
        [S_TXN_INSERT] =
                "INSERT INTO txn(" TXN_COLS ", card_fp, card_sealed) VALUES (?1, ?2, ?3, "
                "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
                "?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, "
                "?35, ?36)",
        [S_TXN_GET] = "SELECT " TXN_COLS " FROM txn WHERE brand_id = ?1 AND id = ?2",
        [S_TXN_GET_SHOP] =
                "SELECT " TXN_COLS " FROM txn WHERE brand_id = ?1 AND id = ?2 AND shop_id = ?3",
        [S_TXN_UPDATE] = "UPDATE txn SET type = ?3, status = ?4, acq = ?5, amount_current = ?6, "
                         "amount_refunded = ?7, batch_id = ?8, bank_day = ?9, updated_at = ?10 "
                         "WHERE brand_id = ?1 AND id = ?2",
        [S_TXN_CARD_FP] = "SELECT card_fp FROM txn WHERE brand_id = ?1 AND id = ?2",
        [S_HISTORY_ADD] = "INSERT INTO txn_history(brand_id, txn_id, at, action, amount, currency, "
                          "user_id, user_name, user_login) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                          "?9)",
        [S_HISTORY_EACH] = "SELECT brand_id, txn_id, at, action, amount, currency, "
                           "coalesce(user_id, 0), user_name, user_login FROM txn_history "
                           "WHERE brand_id = ?1 AND txn_id = ?2 ORDER BY id",
        [S_IDEM_GET] = "SELECT request_digest, http_status, response, created_at FROM idempotency "
                       "WHERE brand_id = ?1 AND shop_id = ?2 AND key = ?3",
        [S_IDEM_PUT] = "INSERT INTO idempotency(brand_id, shop_id, key, request_digest, "
                       "http_status, response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        [S_BLOCK_HAS] = "SELECT 1 FROM card_block WHERE brand_id = ?1 AND shop_id = ?2 AND "
                        "card_fp = ?3",
        [S_BLOCK_ADD] = "INSERT INTO card_block(brand_id, shop_id, card_fp, card_masked, "
                        "created_at, user_id) VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, 0)) "
                        "ON CONFLICT DO NOTHING",
        [S_API_ERROR_ADD] = "INSERT INTO api_error(brand_id, shop_id, at, method, path, "
                            "http_status, code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
};

struct sqlite_store {
	struct store base; /* first: a struct store * is a struct sqlite_store * */
	sqlite3 *db;
	sqlite3_stmt *stmt[S__COUNT];
};

static const struct store_ops sqlite_ops;

static struct sqlite_store *
lite(struct store *st)
{
	return (struct sqlite_store *)st;
}

/* The cached statement, reset and with its bindings cleared; NULL when it cannot be
 * prepared (logged). */
static sqlite3_stmt *
stmt_get(struct sqlite_store *ls, enum stmt_id id)
{
	sqlite3_stmt *s = ls->stmt[id];

	if (s == NULL) {
		if (sqlite3_prepare_v3(ls->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s,
		                       NULL) != SQLITE_OK) {
			log_error("event=sqlite_prepare stmt=%d error=\"%s\"", (int)id,
			          sqlite3_errmsg(ls->db));
			return NULL;
		}
		ls->stmt[id] = s;
	} else {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	return s;
}

/* Maps a SQLite result to a status; SQLITE_CONSTRAINT is a conflict (a duplicate). */
static int
st_of(struct sqlite_store *ls, int src, const char *what)
{
	if (src == SQLITE_OK || src == SQLITE_DONE || src == SQLITE_ROW)
		return ST_OK;
	if ((src & 0xff) == SQLITE_CONSTRAINT)
		return ST_CONFLICT;
	log_error("event=sqlite_error op=%s code=%d error=\"%s\"", what, src,
	          sqlite3_errmsg(ls->db));
	return ST_STORE;
}

/* Runs a statement that returns no row. */
static int
exec_done(struct sqlite_store *ls, sqlite3_stmt *s, const char *what)
{
	int src = sqlite3_step(s);
	int rc = st_of(ls, src, what);

	sqlite3_reset(s);
	return rc;
}

static int
exec_simple(struct store *st, enum stmt_id id, const char *what)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, id);

	if (s == NULL)
		return ST_STORE;
	return exec_done(ls, s, what);
}

static void
text_copy(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t len = t ? (size_t)sqlite3_column_bytes(s, col) : 0;

	if (len >= cap)
		len = cap - 1;
	if (len > 0)
		memcpy(dst, t, len);
	dst[len] = '\0';
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void
bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static void
lite_close(struct store *st)
{
	struct sqlite_store *ls = lite(st);

	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(ls->stmt[i]);
	sqlite3_close_v2(ls->db);
	free(ls);
}

static int
lite_begin(struct store *st, bool write)
{
	return exec_simple(st, write ? S_BEGIN_WRITE : S_BEGIN_READ, "begin");
}

static int
lite_commit(struct store *st)
{
	return exec_simple(st, S_COMMIT, "commit");
}

static void
lite_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(lite(st)->db))
		(void)exec_simple(st, S_ROLLBACK, "rollback");
}

static int
lite_savepoint(struct store *st)
{
	return exec_simple(st, S_SAVEPOINT, "savepoint");
}

static int
lite_release(struct store *st)
{
	return exec_simple(st, S_RELEASE, "release");
}

static void
lite_rollback_to(struct store *st)
{
	/* ROLLBACK TO keeps the savepoint open: release it too. */
	if (exec_simple(st, S_ROLLBACK_TO, "rollback_to") == ST_OK)
		(void)exec_simple(st, S_RELEASE, "release");
}

static int
lite_meta_get(struct store *st, const char *key, unsigned char *val, size_t cap, size_t *len)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_META_GET);
	int src, rc;

	if (s == NULL)
		return ST_STORE;
	bind_text(s, 1, key);
	src = sqlite3_step(s);
	if (src == SQLITE_DONE) {
		rc = ST_NOTFOUND;
	} else if (src == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);

		rc = ST_INVALID;
		if (n <= cap) {
			memcpy(val, sqlite3_column_blob(s, 0), n);
			*len = n;
			rc = ST_OK;
		}
	} else {
		rc = st_of(ls, src, "meta_get");
	}
	sqlite3_reset(s);
	return rc;
}

static int
lite_meta_put(struct store *st, const char *key, const unsigned char *val, size_t len)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_META_PUT);

	if (s == NULL)
		return ST_STORE;
	bind_text(s, 1, key);
	sqlite3_bind_blob(s, 2, val, (int)len, SQLITE_STATIC);
	return exec_done(ls, s, "meta_put");
}

/* Runs an INSERT whose ?1 is the id (NULL to let SQLite choose) and stores the id. */
static int
insert_with_id(struct sqlite_store *ls, sqlite3_stmt *s, int64_t *id, const char *what)
{
	int rc = exec_done(ls, s, what);

	if (rc == ST_OK && *id == 0)
		*id = sqlite3_last_insert_rowid(ls->db);
	return rc;
}

static int
lite_brand_insert(struct store *st, int64_t *id, const char *name, const char *pspid, int64_t now)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_BRAND_INSERT);

	if (s == NULL)
		return ST_STORE;
	bind_id(s, 1, *id);
	bind_text(s, 2, name);
	bind_text(s, 3, pspid);
	sqlite3_bind_int64(s, 4, now);
	return insert_with_id(ls, s, id, "brand_insert");
}

static int
lite_node_insert(struct store *st, struct node *n, int64_t now)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_NODE_INSERT);

	if (s == NULL)
		return ST_STORE;
	bind_id(s, 1, n->id);
	sqlite3_bind_int64(s, 2, n->brand_id);
	bind_id(s, 3, n->parent_id);
	bind_text(s, 4, node_level_name(n->level));
	bind_text(s, 5, n->name);
	sqlite3_bind_int64(s, 6, now);
	return insert_with_id(ls, s, &n->id, "node_insert");
}

static int
lite_shop_insert(struct store *st, const struct shop *sh, int64_t now)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_SHOP_INSERT);

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, sh->id);
	sqlite3_bind_int64(s, 2, sh->brand_id);
	bind_text(s, 3, sh->site);
	bind_text(s, 4, sh->rang);
	bind_text(s, 5, sh->name);
	sqlite3_bind_int64(s, 6, now);
	return exec_done(ls, s, "shop_insert");
}

static int
lite_contract_insert(struct store *st, struct contract *c, int64_t now)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_CONTRACT_INSERT);

	if (s == NULL)
		return ST_STORE;
	bind_id(s, 1, c->id);
	sqlite3_bind_int64(s, 2, c->brand_id);
	sqlite3_bind_int64(s, 3, c->shop_id);
	bind_text(s, 4, card_method_name(c->method));
	bind_text(s, 5, c->number);
	bind_text(s, 6, c->rang);
	bind_text(s, 7, c->label);
	bind_text(s, 8, c->bank_code);
	bind_text(s, 9, c->currency);
	sqlite3_bind_int64(s, 10, c->amount_min);
	sqlite3_bind_int64(s, 11, c->amount_max);
	sqlite3_bind_int(s, 12, c->deferral_days);
	sqlite3_bind_int(s, 13, c->tds);
	sqlite3_bind_int(s, 14, c->active);
	bind_text(s, 15, c->report_email);
	sqlite3_bind_int64(s, 16, now);
	return insert_with_id(ls, s, &c->id, "contract_insert");
}

static int
lite_hmac_key_insert(struct store *st, int64_t brand_id, int64_t shop_id, const char *env,
                     const unsigned char *sealed, size_t sealed_len, int64_t now)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_HMAC_KEY_INSERT);

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, shop_id);
	bind_text(s, 3, env);
	sqlite3_bind_blob(s, 4, sealed, (int)sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	return exec_done(ls, s, "hmac_key_insert");
}

static int
lite_user_insert(struct store *st, struct user *u, int64_t now)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_USER_INSERT);

	if (s == NULL)
		return ST_STORE;
	bind_id(s, 1, u->id);
	sqlite3_bind_int64(s, 2, u->brand_id);
	sqlite3_bind_int64(s, 3, u->node_id);
	bind_text(s, 4, u->login);
	bind_text(s, 5, u->name);
	bind_text(s, 6, u->email);
	bind_text(s, 7, profile_name(u->profile));
	bind_text(s, 8, u->password_hash);
	sqlite3_bind_int(s, 9, u->must_change);
	sqlite3_bind_int64(s, 10, now);
	return insert_with_id(ls, s, &u->id, "user_insert");
}

static int
lite_shops_each(struct store *st, store_shop_cb cb, void *arg)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_SHOPS_EACH);
	struct shop_auth sa;
	int src, rc = ST_OK;

	if (s == NULL)
		return ST_STORE;
	while (rc == ST_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&sa, 0, sizeof(sa));
		sa.shop.id = sqlite3_column_int64(s, 0);
		sa.shop.brand_id = sqlite3_column_int64(s, 1);
		text_copy(sa.shop.site, sizeof(sa.shop.site), s, 2);
		text_copy(sa.shop.rang, sizeof(sa.shop.rang), s, 3);
		text_copy(sa.shop.name, sizeof(sa.shop.name), s, 4);
		if (sqlite3_column_type(s, 5) == SQLITE_BLOB) {
			size_t n = (size_t)sqlite3_column_bytes(s, 5);

			if (n <= sizeof(sa.key_sealed)) {
				memcpy(sa.key_sealed, sqlite3_column_blob(s, 5), n);
				sa.key_sealed_len = n;
				sa.has_key = true;
			}
		}
		rc = cb(arg, &sa);
	}
	if (rc == ST_OK && src != SQLITE_DONE)
		rc = st_of(ls, src, "shops_each");
	sqlite3_reset(s);
	return rc;
}

static int
lite_contract_find(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method method,
                   struct contract *c)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_CONTRACT_FIND);
	int src, rc;
	char m[16];

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, shop_id);
	bind_text(s, 3, card_method_name(method));
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(s, 0);
		c->brand_id = sqlite3_column_int64(s, 1);
		c->shop_id = sqlite3_column_int64(s, 2);
		text_copy(m, sizeof(m), s, 3);
		c->method = card_method_parse(m);
		text_copy(c->number, sizeof(c->number), s, 4);
		text_copy(c->rang, sizeof(c->rang), s, 5);
		text_copy(c->label, sizeof(c->label), s, 6);
		text_copy(c->bank_code, sizeof(c->bank_code), s, 7);
		text_copy(c->currency, sizeof(c->currency), s, 8);
		c->amount_min = sqlite3_column_int64(s, 9);
		c->amount_max = sqlite3_column_int64(s, 10);
		c->deferral_days = sqlite3_column_int(s, 11);
		c->tds = sqlite3_column_int(s, 12) != 0;
		c->active = sqlite3_column_int(s, 13) != 0;
		text_copy(c->report_email, sizeof(c->report_email), s, 14);
		rc = ST_OK;
	} else {
		rc = src == SQLITE_DONE ? ST_NOTFOUND : st_of(ls, src, "contract_find");
	}
	sqlite3_reset(s);
	return rc;
}

static int
lite_contract_touch_auth(struct store *st, int64_t brand_id, int64_t contract_id, int64_t now)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_CONTRACT_TOUCH);

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, contract_id);
	sqlite3_bind_int64(s, 3, now);
	return exec_done(ls, s, "contract_touch_auth");
}

static int
lite_txn_insert(struct store *st, struct txn *t, const unsigned char *fp, size_t fp_len,
                const unsigned char *sealed, size_t sealed_len)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_TXN_INSERT);
	int i = 1;

	if (s == NULL)
		return ST_STORE;
	bind_id(s, i++, t->id);
	sqlite3_bind_int64(s, i++, t->brand_id);
	sqlite3_bind_int64(s, i++, t->shop_id);
	bind_id(s, i++, t->contract_id);
	bind_id(s, i++, t->parent_id);
	bind_id(s, i++, t->batch_id);
	sqlite3_bind_int(s, i++, t->type);
	sqlite3_bind_int(s, i++, t->status);
	sqlite3_bind_int(s, i++, t->acq);
	sqlite3_bind_int(s, i++, t->method);
	sqlite3_bind_int64(s, i++, t->amount_initial);
	sqlite3_bind_int64(s, i++, t->amount_current);
	sqlite3_bind_int64(s, i++, t->amount_refunded);
	bind_text(s, i++, t->currency);
	bind_text(s, i++, t->order_ref);
	bind_text(s, i++, t->email);
	bind_text(s, i++, t->card_masked);
	bind_text(s, i++, t->card_expiry);
	bind_text(s, i++, t->card_country);
	bind_text(s, i++, t->customer_country);
	bind_text(s, i++, t->auth_number);
	bind_text(s, i++, t->acquirer);
	bind_text(s, i++, t->issuer);
	bind_text(s, i++, t->card_type);
	bind_text(s, i++, t->wallet);
	sqlite3_bind_int(s, i++, t->refusal);
	sqlite3_bind_int(s, i++, t->capture_manual);
	sqlite3_bind_int(s, i++, t->tds);
	sqlite3_bind_int(s, i++, t->tds_auth);
	sqlite3_bind_int(s, i++, t->tds_guaranteed);
	sqlite3_bind_int64(s, i++, t->created_at);
	sqlite3_bind_int64(s, i++, t->accepted_at);
	sqlite3_bind_int64(s, i++, t->updated_at);
	sqlite3_bind_int64(s, i++, t->bank_day);
	if (fp != NULL)
		sqlite3_bind_blob(s, i, fp, (int)fp_len, SQLITE_STATIC);
	i++;
	if (sealed != NULL)
		sqlite3_bind_blob(s, i, sealed, (int)sealed_len, SQLITE_STATIC);
	return insert_with_id(ls, s, &t->id, "txn_insert");
}

static void
txn_read(sqlite3_stmt *s, struct txn *t)
{
	int i = 0;

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, i++);
	t->brand_id = sqlite3_column_int64(s, i++);
	t->shop_id = sqlite3_column_int64(s, i++);
	t->contract_id = sqlite3_column_int64(s, i++);
	t->parent_id = sqlite3_column_int64(s, i++);
	t->batch_id = sqlite3_column_int64(s, i++);
	t->type = (enum txn_type)sqlite3_column_int(s, i++);
	t->status = (enum txn_status)sqlite3_column_int(s, i++);
	t->acq = (enum txn_acq)sqlite3_column_int(s, i++);
	t->method = (enum card_method)sqlite3_column_int(s, i++);
	t->amount_initial = sqlite3_column_int64(s, i++);
	t->amount_current = sqlite3_column_int64(s, i++);
	t->amount_refunded = sqlite3_column_int64(s, i++);
	text_copy(t->currency, sizeof(t->currency), s, i++);
	text_copy(t->order_ref, sizeof(t->order_ref), s, i++);
	text_copy(t->email, sizeof(t->email), s, i++);
	text_copy(t->card_masked, sizeof(t->card_masked), s, i++);
	text_copy(t->card_expiry, sizeof(t->card_expiry), s, i++);
	text_copy(t->card_country, sizeof(t->card_country), s, i++);
	text_copy(t->customer_country, sizeof(t->customer_country), s, i++);
	text_copy(t->auth_number, sizeof(t->auth_number), s, i++);
	text_copy(t->acquirer, sizeof(t->acquirer), s, i++);
	text_copy(t->issuer, sizeof(t->issuer), s, i++);
	text_copy(t->card_type, sizeof(t->card_type), s, i++);
	text_copy(t->wallet, sizeof(t->wallet), s, i++);
	t->refusal = (enum refusal)sqlite3_column_int(s, i++);
	t->capture_manual = sqlite3_column_int(s, i++) != 0;
	t->tds = sqlite3_column_int(s, i++) != 0;
	t->tds_auth = (enum tds_auth)sqlite3_column_int(s, i++);
	t->tds_guaranteed = sqlite3_column_int(s, i++) != 0;
	t->created_at = sqlite3_column_int64(s, i++);
	t->accepted_at = sqlite3_column_int64(s, i++);
	t->updated_at = sqlite3_column_int64(s, i++);
	t->bank_day = sqlite3_column_int64(s, i++);
}

static int
lite_txn_get(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id, struct txn *out)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, shop_id ? S_TXN_GET_SHOP : S_TXN_GET);
	int src, rc;

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, id);
	if (shop_id)
		sqlite3_bind_int64(s, 3, shop_id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		txn_read(s, out);
		rc = ST_OK;
	} else {
		rc = src == SQLITE_DONE ? ST_NOTFOUND : st_of(ls, src, "txn_get");
	}
	sqlite3_reset(s);
	return rc;
}

static int
lite_txn_update(struct store *st, const struct txn *t)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_TXN_UPDATE);
	int rc;

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, t->brand_id);
	sqlite3_bind_int64(s, 2, t->id);
	sqlite3_bind_int(s, 3, t->type);
	sqlite3_bind_int(s, 4, t->status);
	sqlite3_bind_int(s, 5, t->acq);
	sqlite3_bind_int64(s, 6, t->amount_current);
	sqlite3_bind_int64(s, 7, t->amount_refunded);
	bind_id(s, 8, t->batch_id);
	sqlite3_bind_int64(s, 9, t->bank_day);
	sqlite3_bind_int64(s, 10, t->updated_at);
	rc = exec_done(ls, s, "txn_update");
	if (rc == ST_OK && sqlite3_changes(ls->db) != 1)
		rc = ST_NOTFOUND;
	return rc;
}

static int
lite_txn_card_fp(struct store *st, int64_t brand_id, int64_t id, unsigned char *fp, size_t cap,
                 size_t *len)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_TXN_CARD_FP);
	int src, rc = ST_NOTFOUND;

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);

		if (n <= cap) {
			memcpy(fp, sqlite3_column_blob(s, 0), n);
			*len = n;
			rc = ST_OK;
		}
	} else if (src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = st_of(ls, src, "txn_card_fp");
	}
	sqlite3_reset(s);
	return rc;
}

static int
lite_history_add(struct store *st, const struct history *h)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_HISTORY_ADD);

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, h->brand_id);
	sqlite3_bind_int64(s, 2, h->txn_id);
	sqlite3_bind_int64(s, 3, h->at);
	bind_text(s, 4, h->action);
	sqlite3_bind_int64(s, 5, h->amount);
	bind_text(s, 6, h->currency);
	bind_id(s, 7, h->user_id);
	bind_text(s, 8, h->user_name);
	bind_text(s, 9, h->user_login);
	return exec_done(ls, s, "history_add");
}

static int
lite_history_each(struct store *st, int64_t brand_id, int64_t txn_id, store_history_cb cb,
                  void *arg)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_HISTORY_EACH);
	struct history h;
	int src, rc = ST_OK;

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, txn_id);
	while (rc == ST_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		h.brand_id = sqlite3_column_int64(s, 0);
		h.txn_id = sqlite3_column_int64(s, 1);
		h.at = sqlite3_column_int64(s, 2);
		text_copy(h.action, sizeof(h.action), s, 3);
		h.amount = sqlite3_column_int64(s, 4);
		text_copy(h.currency, sizeof(h.currency), s, 5);
		h.user_id = sqlite3_column_int64(s, 6);
		text_copy(h.user_name, sizeof(h.user_name), s, 7);
		text_copy(h.user_login, sizeof(h.user_login), s, 8);
		rc = cb(arg, &h);
	}
	if (rc == ST_OK && src != SQLITE_DONE)
		rc = st_of(ls, src, "history_each");
	sqlite3_reset(s);
	return rc;
}

static int
lite_idem_get(struct store *st, int64_t brand_id, int64_t shop_id, const char *key,
              struct idem *out)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_IDEM_GET);
	int src, rc;

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, shop_id);
	bind_text(s, 3, key);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);

		memset(out->digest, 0, sizeof(out->digest));
		memcpy(out->digest, sqlite3_column_blob(s, 0),
		       n < sizeof(out->digest) ? n : sizeof(out->digest));
		out->http_status = sqlite3_column_int(s, 1);
		out->response = strdup((const char *)sqlite3_column_text(s, 2));
		if (out->response == NULL)
			abort();
		out->created_at = sqlite3_column_int64(s, 3);
		rc = ST_OK;
	} else {
		rc = src == SQLITE_DONE ? ST_NOTFOUND : st_of(ls, src, "idem_get");
	}
	sqlite3_reset(s);
	return rc;
}

static int
lite_idem_put(struct store *st, const struct idem *in)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_IDEM_PUT);

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, in->brand_id);
	sqlite3_bind_int64(s, 2, in->shop_id);
	bind_text(s, 3, in->key);
	sqlite3_bind_blob(s, 4, in->digest, sizeof(in->digest), SQLITE_STATIC);
	sqlite3_bind_int(s, 5, in->http_status);
	bind_text(s, 6, in->response);
	sqlite3_bind_int64(s, 7, in->created_at);
	return exec_done(ls, s, "idem_put");
}

static int
lite_block_has(struct store *st, int64_t brand_id, int64_t shop_id, const unsigned char *fp,
               size_t fp_len, bool *blocked)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_BLOCK_HAS);
	int src, rc;

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, shop_id);
	sqlite3_bind_blob(s, 3, fp, (int)fp_len, SQLITE_STATIC);
	src = sqlite3_step(s);
	*blocked = src == SQLITE_ROW;
	rc = st_of(ls, src, "block_has");
	sqlite3_reset(s);
	return rc;
}

static int
lite_block_add(struct store *st, int64_t brand_id, int64_t shop_id, const unsigned char *fp,
               size_t fp_len, const char *masked, int64_t user_id, int64_t now)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_BLOCK_ADD);

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, shop_id);
	sqlite3_bind_blob(s, 3, fp, (int)fp_len, SQLITE_STATIC);
	bind_text(s, 4, masked);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_int64(s, 6, user_id);
	return exec_done(ls, s, "block_add");
}

static int
lite_api_error_add(struct store *st, int64_t brand_id, int64_t shop_id, int64_t at,
                   const char *method, const char *path, int http_status, const char *code)
{
	struct sqlite_store *ls = lite(st);
	sqlite3_stmt *s = stmt_get(ls, S_API_ERROR_ADD);

	if (s == NULL)
		return ST_STORE;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, shop_id);
	sqlite3_bind_int64(s, 3, at);
	bind_text(s, 4, method);
	bind_text(s, 5, path);
	sqlite3_bind_int(s, 6, http_status);
	bind_text(s, 7, code);
	return exec_done(ls, s, "api_error_add");
}

static const struct store_ops sqlite_ops = {
        .name = "sqlite",
        .close = lite_close,
        .begin = lite_begin,
        .commit = lite_commit,
        .rollback = lite_rollback,
        .savepoint = lite_savepoint,
        .release = lite_release,
        .rollback_to = lite_rollback_to,
        .meta_get = lite_meta_get,
        .meta_put = lite_meta_put,
        .brand_insert = lite_brand_insert,
        .node_insert = lite_node_insert,
        .shop_insert = lite_shop_insert,
        .contract_insert = lite_contract_insert,
        .hmac_key_insert = lite_hmac_key_insert,
        .user_insert = lite_user_insert,
        .shops_each = lite_shops_each,
        .contract_find = lite_contract_find,
        .contract_touch_auth = lite_contract_touch_auth,
        .txn_insert = lite_txn_insert,
        .txn_get = lite_txn_get,
        .txn_update = lite_txn_update,
        .txn_card_fp = lite_txn_card_fp,
        .history_add = lite_history_add,
        .history_each = lite_history_each,
        .idem_get = lite_idem_get,
        .idem_put = lite_idem_put,
        .block_has = lite_block_has,
        .block_add = lite_block_add,
        .api_error_add = lite_api_error_add,
};

/* Applies the migrations above the database's user_version, each in its own transaction. */
static int
migrate(struct sqlite_store *ls)
{
	sqlite3_stmt *s = NULL;
	int version = 0, rc = ST_OK;
	char *err = NULL;
	char pragma[64];

	if (sqlite3_prepare_v2(ls->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return st_of(ls, SQLITE_ERROR, "migrate");
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);

	for (const struct migration *m = sqlite_migrations; m->name != NULL; m++) {
		if (m->version <= version)
			continue;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", m->version);
		if (sqlite3_exec(ls->db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(ls->db, m->sql, NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(ls->db, pragma, NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(ls->db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
			log_error("event=migration_failed name=%s error=\"%s\"", m->name,
			          err ? err : "?");
			sqlite3_free(err);
			sqlite3_exec(ls->db, "ROLLBACK", NULL, NULL, NULL);
			rc = ST_STORE;
			break;
		}
		log_info("event=migration_applied name=%s", m->name);
	}
	return rc;
}

int
store_sqlite_open(const char *path, bool write, struct store **out)
{
	struct sqlite_store *ls;
	int flags = write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	int rc = ST_STORE;
	char *err = NULL;

	*out = NULL;
	ls = calloc(1, sizeof(*ls));
	if (ls == NULL)
		abort();
	ls->base.ops = &sqlite_ops;
	if (sqlite3_open_v2(path, &ls->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("event=sqlite_open path=\"%s\" error=\"%s\"", path,
		          ls->db ? sqlite3_errmsg(ls->db) : "out of memory");
		goto fail;
	}
	/* A writer waits for another writer (the batch command beside the server) rather than
	 * failing; readers never wait in WAL mode. */
	sqlite3_busy_timeout(ls->db, 10000);
	if (sqlite3_exec(ls->db,
	                 write ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
	                         "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;"
	                       : "PRAGMA cache_size = -32768; PRAGMA query_only = 1;",
	                 NULL, NULL, &err) != SQLITE_OK) {
		log_error("event=sqlite_pragma error=\"%s\"", err ? err : "?");
		sqlite3_free(err);
		goto fail;
	}
	if (write && migrate(ls) != ST_OK)
		goto fail;
	*out = &ls->base;
	return ST_OK;
fail:
	lite_close(&ls->base);
	return rc;
}
