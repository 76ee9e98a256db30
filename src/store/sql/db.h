/*
 * db.h - what the operations in SQL share, whichever the backend (SQLite or PostgreSQL);
 * nothing outside src/store includes it: the statement interface each backend implements
 * (struct db_backend), the connection's part they have in common (struct db), the helpers
 * built on them (db.c), then the operations each resource's file gives the table of
 * operations, with the column lists and readers other files use, in the table's order.
 *
 * The statements are written once, in the SQL both understand: numbered parameters (?1),
 * ON CONFLICT, RETURNING. What PostgreSQL reads differently (the placeholders, SQLite's
 * INDEXED BY hints, the table user) its backend rewrites when it prepares a statement
 * (pg/pg_stmt.c); the little that differs in meaning (full-text search, the blocklist's
 * change count) each backend does its own way.
 */
#ifndef GUICHET_STORE_DB_H
#define GUICHET_STORE_DB_H

#include "common/bloom.h"
#include "store/store.h"
/* The columns of txn db_txn_read reads, in enum txn_field's order. */
#define TXN_ROW_COLS                                                                               \
	"id, brand_id, shop_id, contract_id, parent_id, batch_id, type, status, acq, method, "     \
	"amount_initial, amount_current, amount_refunded, currency, order_ref, email, "            \
	"card_masked, "                                                                            \
	"card_expiry, card_country, customer_country, auth_number, acquirer, issuer, card_type, "  \
	"wallet, refusal, capture_manual, tds, tds_auth, tds_guaranteed, created_at, "             \
	"accepted_at, "                                                                            \
	"updated_at, bank_day, manual, archive_ref, origin"
/* TF_BATCH_NUMBER: the number of the row's batch, the one the journal of batches, the bank
 * file and the reconciliation show (a look-up by its key, none when it has no batch). */
#define TXN_BATCH_NUMBER "(SELECT b.number FROM batch b WHERE b.id = txn.batch_id)"
/* TF_ORDER_LINE: the line of a file of payment orders the row came from, "FILE:LINE" (the
 * payment or refund a line made; migration 048's index), NULL for any other. */
#define TXN_ORDER_LINE                                                                             \
	"(SELECT CAST(l.file_id AS TEXT) || ':' || CAST(l.line_no AS TEXT) FROM order_line l "     \
	"WHERE l.brand_id = txn.brand_id AND l.txn_id = txn.id AND l.operation IN ('payment', "    \
	"'refund') LIMIT 1)"
/* Everything db_txn_read reads, from a FROM txn. */
#define TXN_COLS TXN_ROW_COLS ", " TXN_BATCH_NUMBER

/* The columns of a new transaction, in the order db_txn_bind binds them (40), and of a new
 * history line (db_history_bind, 9): the inserts' and PostgreSQL's COPY (pg/pg_copy.c). */
#define TXN_INSERT_COLS TXN_ROW_COLS ", card_fp, card_sealed, day"
#define HISTORY_INSERT_COLS                                                                        \
	"brand_id, txn_id, at, action, amount, currency, user_id, user_name, user_login"

/* The nodes of a brand (?1) from one (?2) down, as sub(id) (a shop is a node): what a search
 * of a node's scope starts its statement with. */
#define DB_SUBTREE                                                                                 \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM node WHERE brand_id = ?1 AND id = ?2 "          \
	"UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent_id = sub.id WHERE "                \
	"n.brand_id = ?1) "

/* What a step answers: a row, the end, or the backend's failure (SQLite's codes; the
 * PostgreSQL backend maps its SQLSTATE onto them: a constraint, a lock, the rest). */
enum {
	STMT_ERROR = 1,
	STMT_BUSY = 5,
	STMT_CONSTRAINT = 19,
	STMT_ROW = 100,
	STMT_DONE = 101,
};

struct db;

/* A prepared statement: each backend's own begins with this. */
struct stmt {
	const struct db_backend *be;
};

/* A backend's statements, one slot a line. Parameters are numbered from 1 and columns from
 * 0; texts and blobs bound are lent until the statement's next reset. */
struct db_backend {
	const char *name;
	/* The statements that begin a read transaction and a write one, and whether one is
	 * open (db.c's transactions). */
	const char *begin_read;
	const char *begin_write;
	/* NULL, or run right after begin_write: what makes the write transactions of every
	 * connection, of every server, take turns as SQLite's BEGIN IMMEDIATE do. */
	const char *write_turn;
	bool (*in_transaction)(struct db *db);
	/* NULL, or makes the connection again when its server dropped it (a restart, a
	 * failover): ST_OK when it is usable, else ST_STORE. Called before each transaction
	 * begins, and once more when a BEGIN failed. */
	int (*revive)(struct db *db);
	/* Prepares sql (kept: for the connection's life) into *out, or a step's failure code. */
	int (*prepare)(struct db *db, const char *sql, bool kept, struct stmt **out);
	void (*bind_int64)(struct stmt *s, int i, int64_t v);
	void (*bind_null)(struct stmt *s, int i);
	void (*bind_text)(struct stmt *s, int i, const char *v, size_t len);
	void (*bind_blob)(struct stmt *s, int i, const void *v, size_t len);
	int (*step)(struct stmt *s);
	/* NULL, or sends the kept statement s without waiting for its answer, which the
	 * connection's next step reads before its own (db_run_ahead): 0 when sent, else a
	 * step's failure code. */
	int (*send_ahead)(struct stmt *s);
	/* Back to before its first step, bindings kept (clear: bindings cleared too). */
	void (*reset)(struct stmt *s);
	void (*clear)(struct stmt *s);
	void (*finalize)(struct stmt *s);
	int64_t (*column_int64)(struct stmt *s, int col);
	const unsigned char *(*column_text)(struct stmt *s, int col);
	const void *(*column_blob)(struct stmt *s, int col);
	size_t (*column_bytes)(struct stmt *s, int col);
	bool (*column_null)(struct stmt *s, int col);
	/* The statement with its values in place, for the debug log (heap; NULL: none). */
	char *(*expanded)(struct stmt *s);
	/* The rows the connection's last INSERT, UPDATE or DELETE changed. */
	int64_t (*changes)(struct db *db);
	/* The connection's last error, for the log. */
	const char *(*errmsg)(struct db *db);
};

/* The blocklist's keys in memory (risk.c), on the payments' connection only (on false
 * elsewhere: every match looks up the table). data_version and gen are what the filter was
 * last checked against: the backend's count of other connections' commits (SQLite's
 * data_version; none on PostgreSQL, whose servers share the table: blocks_version) and
 * block_gen's mark (migration 032). */
struct db_blocks {
	struct bloom bloom;
	bool on;
	int64_t data_version;
	int64_t gen;
};

/* The contracts' last authorizations a transaction wrote (org.c contract_touch_auth),
 * written at its commit: one UPDATE a contract, not one a payment, so that the row takes one
 * version a transaction; and the shops' settings it read (settings.c), which every payment
 * reads for its notification URL. The touches are one a contract and savepoint level (the
 * latest), each savepoint down to STORE_TALLY_DEPTH marking where they stood when it began; a
 * touch deeper, or past DB_TOUCHES, is written at once. */
#define DB_TOUCHES       64
#define DB_SETTINGS_KEPT 4

struct db_touch {
	int64_t brand_id, contract_id, at;
};

struct db_held {
	struct db_touch touch[DB_TOUCHES];
	int ntouch;
	int mark[STORE_TALLY_DEPTH];
	int depth;
	struct shop_settings settings[DB_SETTINGS_KEPT];
	int nsettings;
};

/* The statements kept prepared for the connection's life (db_cached): a table of
 * DB_CACHED_SLOTS, open addressing on the address of their text, never more than half
 * full so that a look-up stays a probe or two. */
#define DB_CACHED_BITS  9
#define DB_CACHED_SLOTS (1 << DB_CACHED_BITS)

/* A connection: what each backend's own struct begins with. */
#define DB_TEXT_SLOTS 16
struct db {
	struct store base; /* first: a struct store * is a struct db * */
	const struct db_backend *be;
	struct {
		const char *sql;
		struct stmt *s;
	} cached[DB_CACHED_SLOTS];
	int ncached;
	/* The statements whose text is made per call (a search's), db_prepare_text's: the last
	 * DB_TEXT_SLOTS texts, each with its statement and when it was last used. */
	struct {
		char *sql;
		struct stmt *s;
		int64_t used;
	} texts[DB_TEXT_SLOTS];
	int64_t texts_used;
	struct db_blocks blocks; /* the payments' connection only (risk.c) */
	/* The transactions' search has the indexer's tables (SQLite's, migrations 010 to 013)
	 * and names its paths (txn_search.c); else the backend's planner chooses. */
	bool side_tables;
	/* The blocklist's count of commits by other connections, into *v (risk.c). */
	int (*blocks_version)(struct store *st, int64_t *v);
	/* Between a db_begin and its commit or rollback: a connection is never made again
	 * there (db_backend.revive), where its statements would each commit alone. */
	bool open;
	/* A statement since the last savepoint met STMT_BUSY (store_ops.contended). */
	bool contended;
	/* The write transactions begun on the connection (db_begin). */
	int64_t writes_begun;
	/* What the open transaction holds for its end (db.c "held for the commit"). */
	struct db_held held;
};

static inline struct db *
db_of(struct store *st)
{
	return (struct db *)st;
}

/* Finalizes the connection's kept statements and frees its filter (a backend's close). */
void db_cleanup(struct db *db);

/* The statement interface, through the statement's backend. */
void stmt_bind_int64(struct stmt *s, int i, int64_t v);
void stmt_bind_null(struct stmt *s, int i);
void stmt_bind_textn(struct stmt *s, int i, const char *v, size_t len);
void stmt_bind_blob(struct stmt *s, int i, const void *v, size_t len);
int stmt_step(struct stmt *s);
void stmt_reset(struct stmt *s);
void stmt_finalize(struct stmt *s);
int64_t stmt_int64(struct stmt *s, int col);
int stmt_int(struct stmt *s, int col);
const unsigned char *stmt_text(struct stmt *s, int col);
const void *stmt_blob(struct stmt *s, int col);
size_t stmt_bytes(struct stmt *s, int col);
bool stmt_is_null(struct stmt *s, int col);

/* The rows the last INSERT, UPDATE or DELETE of st changed. */
int64_t db_changes(struct store *st);

struct db_blocks *db_blocks(struct store *st);

/* Reads the blocklist's keys into the connection's filter and keeps it from then on. */
int db_blocks_start(struct store *st);

/* store_ops.begin, commit, rollback, savepoint, release and rollback_to, alike on both: the
 * statements, the counts tied to the transaction (store.h, struct store_tally), and what it
 * holds for its end (struct db_held). */
int db_begin(struct store *st, bool write);
int db_commit(struct store *st);
void db_rollback(struct store *st);
int db_savepoint(struct store *st);
int db_release(struct store *st);
void db_rollback_to(struct store *st);
bool db_contended(struct store *st);

/* store_ops.contract_touch_auth: held for the commit (struct db_held), or written at once. */
int db_touch_hold(struct store *st, int64_t brand_id, int64_t contract_id, int64_t at);

/* The settings of (brand_id, shop_id) the open transaction read (NULL: none), and what it
 * read, kept; db_settings_forget when it writes them. */
const struct shop_settings *db_settings_held(struct store *st, int64_t brand_id, int64_t shop_id);
void db_settings_keep(struct store *st, const struct shop_settings *s);
void db_settings_forget(struct store *st);

/* Maps a step's code to a status, logging an error (what: the operation's name): ST_OK for
 * STMT_ROW and STMT_DONE (and 0), ST_CONFLICT for a constraint (a duplicate), else
 * ST_STORE. */
int db_status(struct store *st, int src, const char *what);

/* The statement of sql (a string constant: known by its address) for a statement run often,
 * prepared at its first use and kept for the connection's life, reset and its bindings
 * cleared; not finalized by the caller. ST_OK, or a failure (logged) with *s NULL. */
int db_cached(struct store *st, const char *sql, struct stmt **s, const char *what) WUR;

/* Prepares sql into *s for a statement run rarely, finalized by the caller. ST_OK, or
 * db_status's failure (logged, what: the operation's name) with *s NULL. */
int db_prepare(struct store *st, const char *sql, struct stmt **s, const char *what) WUR;
/* A statement whose text is made per call (the search's, by its filters): prepared once per
 * connection for each of the last DB_TEXT_SLOTS texts, found again by its text, its bindings
 * cleared. Never finalized by its caller: db_text_done resets it once read, which SQLite
 * needs to end its read. */
int db_prepare_text(struct store *st, const char *sql, struct stmt **s, const char *what) WUR;
void db_text_done(struct store *st, struct stmt *s);

/* A step, after writing the statement with its values in place to the log at debug
 * level (the benchmark times the same statements in the sqlite3 shell; values are
 * customers' data, hence debug only). */
int db_step_logged(struct stmt *s);

/* Runs s, cached by db_cached and returning no row, and resets it; logged as
 * db_step_logged (every statement of a payment and of the scheduler's debits:
 * bench/recurring.py replays them). */
int db_run(struct store *st, struct stmt *s, const char *what);

/* db_run, for a statement whose caller needs to know only that it succeeded: neither its
 * rows nor db_changes. Inside a transaction, a backend with a round trip a statement
 * (PostgreSQL) sends it ahead, with the next statement whose answer is needed, and a failure
 * then shows as that one's (the job fails all the same, and is rolled back to its
 * savepoint); a job's end (db_release) and a transaction's wait for every answer, so a
 * failure never shows in the next job. */
int db_run_ahead(struct store *st, struct stmt *s, const char *what);

/* db_run of an INSERT into a table whose id is its rowid: *id then gets the row's id, the
 * one bound (db_bind_id) or, for 0, the one the database chose (the statement ends with RETURNING id). */
int db_insert(struct store *st, struct stmt *s, int64_t *id, const char *what);

/* Runs s, prepared by db_prepare and returning no row, and finalizes it; logged as
 * db_step_logged. */
int db_run_once(struct store *st, struct stmt *s, const char *what);

/* db_insert of s prepared by db_prepare, finalized after. */
int db_insert_once(struct store *st, struct stmt *s, int64_t *id, const char *what);

/* The cached statement of sql with brand_id, id and v bound as ?1, ?2 and ?3 (a statement
 * without ?3 ignores v), run by db_run (db_run_ids_ahead: db_run_ahead). */
int db_run_ids(struct store *st, const char *sql, int64_t brand_id, int64_t id, int64_t v,
               const char *what);
int db_run_ids_ahead(struct store *st, const char *sql, int64_t brand_id, int64_t id, int64_t v,
                     const char *what);

/* The status of a one-row query whose step gave src: ST_OK on its row, ST_NOTFOUND when there
 * is none, else db_status's. */
int db_row_status(struct store *st, int src, const char *what);

/* Steps the cached s for one row, read by read into out, then resets it: a statement left
 * stepping would hold its read transaction open, and the connection would go on seeing the
 * database as it was then. db_row_status's answer; logged as db_step_logged. */
int db_one_row(struct store *st, struct stmt *s, void (*read)(struct stmt *, void *), void *out,
               const char *what);

/* Steps s for its next row while *rc is ST_OK (a callback's failure stops the walk): true on a
 * row; false at the end, *rc then ST_OK, or db_status's failure of the step. Not logged:
 * a walk's rows are many. */
bool db_next(struct store *st, struct stmt *s, int *rc, const char *what);

/* db_one_row's readers of a row's first column: an int64_t, a bool. */
void db_int64_read(struct stmt *s, void *out);
void db_bool_read(struct stmt *s, void *out);

/* Binds the text v as parameter i of s, lent : it outlives the statement's run. */
void db_bind_text(struct stmt *s, int i, const char *v);

/* Binds v as parameter i of s, NULL when it is 0 (an id or instant left unset). */
void db_bind_id(struct stmt *s, int i, int64_t v);

/* A search's optional filters: bound only when given (v > 0, v not NULL), left NULL ("any")
 * otherwise. */
void db_bind_opt_id(struct stmt *s, int i, int64_t v);
void db_bind_opt_text(struct stmt *s, int i, const char *v);

/* Copies column col's text into dst of cap bytes: cut to cap - 1 bytes, "" for NULL, always
 * NUL-terminated. */
void db_text_copy(char *dst, size_t cap, struct stmt *s, int col);

/* store_ops.meta_get, meta_put and terms_version (meta.c). */
int db_meta_get(struct store *st, const char *key, unsigned char *val, size_t cap, size_t *len);
int db_meta_put(struct store *st, const char *key, const unsigned char *val, size_t len);
int db_terms_version(struct store *st, int *version);

/* store_ops.brand_insert, account_*, node_insert, nodes_each, node_within, shop_insert,
 * shops_each, contract_insert, contract_find, contract_touch_auth and contracts_each
 * (org.c). */
int db_brand_insert(struct store *st, int64_t *id, const char *name, const char *pspid,
                    int64_t now);
int db_account_get(struct store *st, int64_t brand_id, struct account *out);
int db_account_set(struct store *st, const struct account *a);
int db_node_insert(struct store *st, struct node *n, int64_t now);
int db_nodes_each(struct store *st, int64_t brand_id, int64_t node_id, store_node_cb cb, void *arg);
int db_node_within(struct store *st, int64_t brand_id, int64_t ancestor, int64_t node,
                   bool *within);
int db_shop_insert(struct store *st, const struct shop *sh, int64_t now);
int db_shops_each(struct store *st, store_shop_cb cb, void *arg);
int db_contract_insert(struct store *st, struct contract *c, int64_t now);
int db_contract_find(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method method,
                     struct contract *c);
int db_contract_touch_auth(struct store *st, int64_t brand_id, int64_t contract_id, int64_t now);
int db_contracts_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t id,
                      store_contract_cb cb, void *arg);

/* store_ops.env_twin_make, env_twins_make, env_twin_of (env.c). */
int db_env_twin_make(struct store *st, int64_t brand_id, int64_t now, int64_t *twin_id);
int db_env_twins_make(struct store *st, int64_t now, int *made);
int db_env_twin_of(struct store *st, int64_t brand_id, int64_t node_id, int64_t *twin_brand,
                   int64_t *twin_node);
int db_env_is_test(struct store *st, int64_t brand_id, bool *test);
/* The ids sql selects (?1: id, none bound when 0), read whole into *ids
 * (malloc'd, the caller frees; NULL when none), *n of them (env.c). */
int db_env_ids(struct store *st, const char *sql, int64_t id, int64_t **ids, size_t *n,
               const char *what);
/* store_ops.env_production_copy, env_copy_plan (env_copy.c). */
int db_env_production_copy(struct store *st, int64_t twin, int64_t user_id, int64_t now,
                           struct env_copy *out);
int db_env_copy_plan(struct store *st, int64_t twin, struct env_copy_plan *out);
int db_env_account_create(struct store *st, int64_t twin, const struct env_new_account *a,
                          int64_t user_id, int64_t now, struct env_copy *out);
int db_brand_of_account_id(struct store *st, const char *pspid, int64_t *brand_id);

/* store_ops.user_*, users_each, session_*, sessions_each, second_factor_* and pref_*
 * (users.c). */
int db_user_insert(struct store *st, struct user *u, int64_t now);
int db_user_by_login(struct store *st, const char *login, struct user_auth *out);
int db_user_get(struct store *st, int64_t brand_id, int64_t id, struct user_auth *out);
int db_users_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t week_start,
                  store_user_cb cb, void *arg);
int db_user_update(struct store *st, const struct user_auth *ua);
int db_user_sign_in_failed(struct store *st, int64_t brand_id, int64_t id, int max, bool *locked,
                           int *failures);
int db_user_failures_forget(struct store *st, int64_t brand_id, int64_t id);
int db_user_signed_in(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int db_user_unlock(struct store *st, int64_t brand_id, int64_t id);
int db_user_deactivate(struct store *st, int64_t brand_id, int64_t id, int64_t at);
int db_users_active_admins(struct store *st, int64_t brand_id, int64_t *count);
int db_user_password_set(struct store *st, int64_t brand_id, int64_t id, const char *hash,
                         bool must_change, int64_t now);
int db_user_password_rehash(struct store *st, int64_t brand_id, int64_t id, const char *old_hash,
                            const char *new_hash);
int db_user_password_hashes(struct store *st, int64_t brand_id, int64_t id, int n, store_hash_cb cb,
                            void *arg);
int db_user_terms_accept(struct store *st, int64_t brand_id, int64_t id, int version);
int db_second_factor_get(struct store *st, int64_t brand_id, int64_t user_id,
                         struct second_factor *out);
int db_second_factor_put(struct store *st, const struct second_factor *sf);
int db_user_second_factor_set(struct store *st, int64_t brand_id, int64_t user_id,
                              enum second_factor_method method);
int db_session_get(struct store *st, int64_t brand_id, int64_t id, struct session_row *out);
int db_session_by_token(struct store *st, const unsigned char token_hash[32],
                        struct session_row *out);
int db_session_live(struct store *st, int64_t brand_id, int64_t user_id, struct session_row *out);
int db_session_delete_user(struct store *st, int64_t brand_id, int64_t user_id);
int db_session_put(struct store *st, struct session_row *r);
int db_session_delete(struct store *st, int64_t brand_id, int64_t id);
int db_session_touch(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int db_sessions_each(struct store *st, store_session_cb cb, void *arg);
int db_session_second_factor_done(struct store *st, int64_t brand_id, int64_t user_id,
                                  const unsigned char *token_hash, const unsigned char *csrf_hash);
int db_session_disconnect(struct store *st, int64_t brand_id, int64_t id,
                          const unsigned char resume_hash[32], int64_t now);
int db_session_resume(struct store *st, int64_t brand_id, int64_t id,
                      const unsigned char csrf_hash[32], int64_t now);
int db_session_resume_failed(struct store *st, int64_t brand_id, int64_t id, int failures);
int db_pref_get(struct store *st, int64_t brand_id, int64_t user_id, const char *name, char *out,
                size_t cap);
int db_pref_put(struct store *st, int64_t brand_id, int64_t user_id, const char *name,
                const char *value, int64_t now);

/* store_ops.action_add, action_repeat and actions_each (actions.c). */
int db_action_add(struct store *st, const struct action *a);
int db_action_repeat(struct store *st, const struct action *a, int64_t since);
int db_actions_each(struct store *st, const struct action_query *q, store_action_cb cb, void *arg);

/* store_ops.hmac_key_* (hmac_keys.c). */
int db_hmac_key_insert(struct store *st, int64_t brand_id, int64_t shop_id, const char *env,
                       const unsigned char *sealed, size_t sealed_len, int64_t now);
int db_hmac_key_create(struct store *st, struct hmac_key_new *k);
int db_hmac_keys_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t active_before,
                      store_hmac_key_cb cb, void *arg);
int db_hmac_key_activate(struct store *st, const unsigned char token_hash[32], int64_t now,
                         int64_t expires_at, struct hmac_key_row *out, unsigned char *sealed,
                         size_t cap, size_t *len);
int db_hmac_key_used(struct store *st, int64_t brand_id, int64_t id);
int db_hmac_keys_expired_each(struct store *st, int64_t now, store_hmac_key_cb cb, void *arg);
int db_hmac_key_expiry_mailed(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int db_hmac_key_recipients_each(struct store *st, int64_t brand_id, int64_t shop_id,
                                store_recipient_cb cb, void *arg);

/* store_ops.txn_insert, txn_get, txn_update, txn_card_fp, history_*, idem_* and
 * txn_card_purge (txn.c); txn_rows_write, SQLite's (its inserts one by one). */
int db_txn_insert(struct store *st, struct txn *t, const unsigned char *fp, size_t fp_len,
                  const unsigned char *sealed, size_t sealed_len);
int db_txn_get(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id, struct txn *out);
int db_txn_update(struct store *st, const struct txn *t);
int db_txn_card_fp(struct store *st, int64_t brand_id, int64_t id, unsigned char *fp, size_t cap,
                   size_t *len);
int db_txn_children_each(struct store *st, int64_t brand_id, int64_t parent_id, int limit,
                         store_txn_cb cb, void *arg);
int db_history_add(struct store *st, const struct history *h);
int db_txn_rows_write(struct store *st, const struct txn_row *rows, size_t n,
                      const struct history *h, size_t nh);
/* Binds the values of a new transaction (TXN_INSERT_COLS, from ?1) and of a new history line
 * (HISTORY_INSERT_COLS) to s: the inserts' statements, or a row PostgreSQL copies. */
void db_txn_bind(struct stmt *s, const struct txn *t, const unsigned char *fp, size_t fp_len,
                 const unsigned char *sealed, size_t sealed_len);
void db_history_bind(struct stmt *s, const struct history *h);
int db_history_each(struct store *st, int64_t brand_id, int64_t txn_id, store_history_cb cb,
                    void *arg);
int db_idem_get(struct store *st, int64_t brand_id, int64_t shop_id, const char *key,
                struct idem *out);
int db_idem_put(struct store *st, const struct idem *in);
int db_idem_purge(struct store *st, int64_t before, int limit, int *done);
int db_txn_card_purge(struct store *st, int64_t now, int limit, int *done);
/* Reads a row of TXN_COLS. */
void db_txn_read(struct stmt *s, struct txn *t);
/* Reads field f of t from column col. */
void db_txn_read_field(struct stmt *s, int col, enum txn_field f, struct txn *t);

/* store_ops.txn_search (txn_search.c). */
int db_txn_search(struct store *st, const struct txn_query *q, store_txn_cb cb, void *arg);
int db_txn_summary(struct store *st, const struct txn_query *q, store_txn_sum_cb cb, void *arg);

/* The rows of txn the indexer's tables have not read yet (SQLite's, migration 010). */
#define NEWER_ROWS "id > (SELECT txn_ref_upto FROM search_state)"

/* store_ops.batch_* and txn_reconciliation (batches.c). */
int db_batch_due_each(struct store *st, int64_t day, store_due_cb cb, void *arg);
int db_batch_open(struct store *st, int64_t brand_id, int64_t contract_id, int64_t day, int64_t now,
                  struct batch *b);
int db_batch_fill(struct store *st, const struct batch *b, int limit, int64_t *moved);
int db_batch_finish(struct store *st, struct batch *b);
int db_batch_closing_each(struct store *st, store_batch_cb cb, void *arg);
int db_batch_unwritten_each(struct store *st, store_batch_cb cb, void *arg);
int db_batch_written(struct store *st, int64_t id);
int db_batch_txns_each(struct store *st, int64_t brand_id, int64_t batch_id, store_txn_cb cb,
                       void *arg);
int db_batch_search(struct store *st, const struct batch_query *q, store_batch_cb cb, void *arg);
int db_batch_history_write(struct store *st, struct batch *b);
int db_batch_history_reconcile(struct store *st, const struct batch *b, int64_t jrb_number,
                               int64_t at, int bps);

/* store_ops.recon_* (reconciliation.c). */
int db_recon_batch_find(struct store *st, int64_t brand_id, const char *contract_number,
                        const char *rang, int64_t number, struct batch *out);
int db_recon_file_find(struct store *st, int64_t brand_id, const char *digest,
                       struct recon_file_row *out);
int db_recon_file_add(struct store *st, struct recon_file_row *r);
int db_recon_txn_set(struct store *st, int64_t brand_id, int64_t txn_id, int64_t batch_id,
                     int64_t jrb_number, bool ok, int64_t at, int64_t net, int64_t commission,
                     const char *currency);
int db_recon_mismatch_add(struct store *st, const struct recon_mismatch_row *m);
int db_recon_overdue_mark(struct store *st, int64_t since, int64_t cutoff, int64_t now,
                          int64_t *marked);
int db_recon_search(struct store *st, const struct recon_query *q, store_recon_cb cb, void *arg);
int db_recon_mismatches_each(struct store *st, const struct recon_mismatch_query *q,
                             store_recon_mismatch_cb cb, void *arg);
int db_recon_mismatch_get(struct store *st, int64_t brand_id, int64_t id,
                          struct recon_mismatch_row *out);
int db_recon_mismatch_resolve(struct store *st, int64_t brand_id, int64_t id, const char *by,
                              const char *comment, int64_t at);
int db_txn_reconciliation(struct store *st, int64_t brand_id, int64_t txn_id,
                          struct reconciliation *out);

/* store_ops.stats_each (stats.c). */
int db_stats_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t from_day,
                  int64_t to_day, store_stats_cb cb, void *arg);

/* The fraud filters' columns of contract (migration 029), in the order db_filters_read reads
 * them from column col on; FF_COLS_C the same after "c.". */
#define FF_COLS                                                                                    \
	"ff_max_amount, ff_max_per_card_day, ff_card_countries, ff_customer_countries, "           \
	"ff_country_mismatch, ff_version"
#define FF_COLS_C                                                                                  \
	"ff_max_amount, c.ff_max_per_card_day, c.ff_card_countries, c.ff_customer_countries, "     \
	"c.ff_country_mismatch, c.ff_version"
void db_filters_read(struct stmt *s, int col, struct fraud_filters *f);

/* store_ops.block_*, card_day_count and contract_filters_set (risk.c). */
int db_block_put(struct store *st, struct block_entry *e);
int db_block_get(struct store *st, int64_t brand_id, int64_t id, struct block_entry *out);
int db_block_delete(struct store *st, int64_t brand_id, int64_t id);
int db_block_search(struct store *st, const struct block_query *q, store_block_cb cb, void *arg);
int db_block_match(struct store *st, int64_t brand_id, int64_t shop_id,
                   const struct block_key *keys, int n, int64_t now, bool *blocked);
int db_card_day_count(struct store *st, int64_t brand_id, int64_t contract_id,
                      const unsigned char *fp, size_t fp_len, int64_t day, int limit, int *n);
int db_contract_filters_set(struct store *st, int64_t brand_id, int64_t contract_id,
                            const struct fraud_filters *f, int64_t expect_version);

/* store_ops.api_error_add, api_errors_each and api_error_purge (api_errors.c). */
int db_api_error_add(struct store *st, const struct api_error *e, int max_rows);
int db_api_error_purge(struct store *st, int64_t before, int limit, int *done);
int db_api_errors_each(struct store *st, const struct api_error_query *q, store_api_error_cb cb,
                       void *arg);

/* store_ops.notify_* and shop_notify_target (notify.c). */
int db_notify_add(struct store *st, struct notify_row *n);
int db_notify_each_due(struct store *st, int64_t now, int64_t after_at, int64_t after_id, int limit,
                       store_notify_cb cb, void *arg);
int db_notify_attempt_add(struct store *st, const struct notify_attempt *a, enum notify_state state,
                          int64_t next_at);
int db_notify_each_of_txn(struct store *st, int64_t brand_id, int64_t txn_id, store_notify_cb cb,
                          void *arg);
int db_notify_attempts_each(struct store *st, int64_t brand_id, int64_t notify_id,
                            store_notify_attempt_cb cb, void *arg);
int db_notify_get(struct store *st, int64_t brand_id, int64_t id, store_notify_cb cb, void *arg);
int db_notify_resend(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int db_shop_notify_target(struct store *st, int64_t brand_id, int64_t shop_id,
                          struct notify_target *out);
int db_notify_purge(struct store *st, int64_t before, int limit, int *done);

/* store_ops.push_* (push_reports.c). */
int db_push_sub_get(struct store *st, int64_t brand_id, int64_t user_id, struct push_sub *out);
int db_push_sub_put(struct store *st, const struct push_sub *s);
int db_push_subs_each(struct store *st, store_push_sub_cb cb, void *arg);
int db_push_run_open(struct store *st, int64_t brand_id, int64_t user_id, int64_t day, int64_t now,
                     struct push_run *out);
int db_push_run_update(struct store *st, const struct push_run *r);
int db_push_runs_pending_each(struct store *st, int64_t now, store_push_run_cb cb, void *arg);
int db_push_runs_each(struct store *st, const struct push_run_query *q, store_push_run_cb cb,
                      void *arg);
int db_push_run_file(struct store *st, int64_t brand_id, int64_t user_id, const unsigned char *hash,
                     int64_t now, struct push_run *run, struct buf *out);
int db_push_files_expire(struct store *st, int64_t now, int *done);

/* store_ops.mail_*, mails_* and outbox_depth (mail.c). */
int db_mail_add(struct store *st, const struct mail *m);
int db_mail_add_id(struct store *st, const struct mail *m, int64_t *id);
int db_mail_each_due(struct store *st, int64_t now, int limit, store_mail_cb cb, void *arg);
int db_mail_sent(struct store *st, int64_t id, int64_t now);
int db_mail_retry(struct store *st, int64_t id, int64_t next_at, const char *error);
int db_mail_failed(struct store *st, int64_t id, int64_t now, const char *error);
int db_mails_each(struct store *st, const struct mail_query *q, store_mail_cb cb, void *arg);
int db_mails_failed_count(struct store *st, int64_t brand_id, int64_t node_id, int64_t since,
                          int *n);
int db_outbox_depth(struct store *st, int64_t now, struct outbox_depth *out);
int db_mail_get(struct store *st, int64_t brand_id, int64_t id, struct mail *out);
int db_mail_requeue(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int db_mail_failed_wipe(struct store *st, int64_t before, int limit, int *done);
int db_mail_seal_clear(struct store *st, int *done);

/* store_ops.alias_* and recurring_* but recurring_search (recurring.c). */
int db_alias_insert(struct store *st, struct card_alias *a);
int db_alias_get(struct store *st, int64_t brand_id, const char *alias, struct card_alias *out);
int db_alias_get_id(struct store *st, int64_t brand_id, int64_t id, struct card_alias *out);
int db_alias_delete(struct store *st, int64_t brand_id, const char *alias, int64_t now);
int db_recurring_insert(struct store *st, struct recurring *r);
int db_recurring_get(struct store *st, int64_t brand_id, int64_t shop_id, int64_t node_id,
                     int64_t id, struct recurring *out);
int db_recurring_update(struct store *st, const struct recurring *r, int64_t expect_done);
int db_recurring_debit_put(struct store *st, const struct recurring_debit *d);
int db_recurring_debits_cancel(struct store *st, int64_t brand_id, int64_t recurring_id,
                               int64_t from_number);
int db_recurring_debits_each(struct store *st, int64_t brand_id, int64_t recurring_id,
                             store_debit_cb cb, void *arg);
int db_recurring_of_txn(struct store *st, int64_t brand_id, int64_t txn_id,
                        struct recurring_debit *out);
int db_recurring_due_each(struct store *st, int64_t day, int64_t after_id, int limit,
                          store_id_cb cb, void *arg);
/* Reads a row of RECURRING_COLS (recurring r joined with shop s, contract c, card_alias a). */
#define RECURRING_COLS                                                                             \
	"r.id, r.brand_id, r.shop_id, r.contract_id, r.kind, r.status, r.alias_id, r.method, "     \
	"r.currency, r.order_ref, r.email, r.card_masked, r.card_expiry, r.initial_amount, "       \
	"r.amount, r.count, r.every_months, r.day_of_month, r.start_day, r.done, "                 \
	"coalesce(r.next_day, 0), coalesce(r.next_amount, 0), r.manual, r.archive_ref, "           \
	"coalesce(r.created_by, 0), r.created_by_login, r.created_at, r.updated_at, "              \
	"coalesce(r.ended_at, 0), r.end_reason, coalesce(r.ended_by, 0), r.ended_by_login, "       \
	"CASE WHEN a.implicit <> 0 THEN '' ELSE a.alias END, s.site, s.rang, c.number, s.name, "   \
	"r.customer_country"
#define RECURRING_FROM                                                                             \
	" FROM recurring r JOIN shop s ON s.id = r.shop_id JOIN contract c ON c.id = "             \
	"r.contract_id JOIN card_alias a ON a.id = r.alias_id "
void db_recurring_read(struct stmt *s, struct recurring *r);

/* store_ops.recurring_search (recurring_search.c). */
int db_recurring_search(struct store *st, const struct recurring_query *q, store_recurring_cb cb,
                        void *arg);

/* store_ops.shop_settings_* and store_request_* (settings.c). */
int db_shop_settings_get(struct store *st, int64_t brand_id, int64_t shop_id,
                         struct shop_settings *out);
int db_shop_settings_put(struct store *st, const struct shop_settings *s, int64_t expect_version);
int db_store_request_find(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method m,
                          int64_t since, struct store_request *out);
int db_store_request_add(struct store *st, struct store_request *r);

/* store_ops.page_theme_* (page_theme.c). */
int db_page_theme_get(struct store *st, int64_t brand_id, int64_t shop_id, struct page_theme *out);
int db_page_theme_put(struct store *st, const struct page_theme *t, int64_t expect_version);
int db_page_themes_each(struct store *st, store_page_theme_cb cb, void *arg);
int db_page_theme_versions(struct store *st,
                           int (*cb)(void *arg, int64_t brand_id, int64_t shop_id, int64_t version),
                           void *arg);

/* store_ops.hosted_replay_put, hosted_purge and checkout_* (hosted.c). */
int db_hosted_replay_put(struct store *st, int64_t brand_id, int64_t shop_id, const char *order_ref,
                         int64_t request_time, int64_t now);
int db_checkout_put(struct store *st, const struct checkout *c);
int db_hosted_purge(struct store *st, int64_t now, int64_t replay_before, int limit, int *done);
int db_checkout_take(struct store *st, const unsigned char *token_hash, int64_t now,
                     struct checkout *out);

/* store_ops.pending_* (pending.c). */
int db_pending_put(struct store *st, const struct pending_auth *p);
int db_pending_each_due(struct store *st, int64_t now, int limit, store_pending_cb cb, void *arg);
int db_pending_later(struct store *st, int64_t brand_id, int64_t txn_id, int64_t next_at);
int db_pending_delete(struct store *st, int64_t brand_id, int64_t txn_id);

/* store_ops.order_file_* and order_line* (order_files.c). */
int db_order_file_find(struct store *st, int64_t brand_id, int64_t shop_id, const char *digest,
                       struct order_file *out);
int db_order_file_insert(struct store *st, struct order_file *f);
int db_order_line_insert(struct store *st, const struct order_line *l);
int db_order_file_get(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id,
                      struct order_file *out);
int db_order_files_each(struct store *st, const struct order_file_query *q, store_order_file_cb cb,
                        void *arg);
int db_order_lines_each(struct store *st, int64_t brand_id, int64_t file_id, int64_t after,
                        int limit, bool pending_only, store_order_line_cb cb, void *arg);
int db_order_file_next(struct store *st, struct order_file *out);
int db_order_file_status(struct store *st, int64_t brand_id, int64_t id, const char *status,
                         int64_t now);
int db_order_line_done(struct store *st, const struct order_line *l);
int db_order_lines_duplicates(struct store *st, int64_t brand_id, int64_t file_id, int64_t now,
                              int64_t *n);

/* The operations both backends give alike, in their tables of operations (store_ops): one
 * entry a line, each file's apart. */
/* clang-format off */
#define DB_OPS_SHARED \
	/* db.c */ \
	.begin = db_begin, \
	.commit = db_commit, \
	.rollback = db_rollback, \
	.savepoint = db_savepoint, \
	.release = db_release, \
	.rollback_to = db_rollback_to, \
	.contended = db_contended, \
	/* meta.c */ \
	.meta_get = db_meta_get, \
	.meta_put = db_meta_put, \
	.terms_version = db_terms_version, \
	/* org.c */ \
	.brand_insert = db_brand_insert, \
	.node_insert = db_node_insert, \
	.shop_insert = db_shop_insert, \
	.contract_insert = db_contract_insert, \
	.shops_each = db_shops_each, \
	.contract_find = db_contract_find, \
	.contract_touch_auth = db_contract_touch_auth, \
	.account_get = db_account_get, \
	.account_set = db_account_set, \
	.node_within = db_node_within, \
	.nodes_each = db_nodes_each, \
	.contracts_each = db_contracts_each, \
	/* env.c */ \
	.env_twin_make = db_env_twin_make, \
	.env_twins_make = db_env_twins_make, \
	.env_twin_of = db_env_twin_of, \
	.env_is_test = db_env_is_test, \
	/* env_copy.c */ \
	.env_production_copy = db_env_production_copy, \
	.env_copy_plan = db_env_copy_plan, \
	.env_account_create = db_env_account_create, \
	.brand_of_account_id = db_brand_of_account_id, \
	/* users.c */ \
	.user_insert = db_user_insert, \
	.user_by_login = db_user_by_login, \
	.user_get = db_user_get, \
	.user_sign_in_failed = db_user_sign_in_failed, \
	.user_signed_in = db_user_signed_in, \
	.user_failures_forget = db_user_failures_forget, \
	.user_password_set = db_user_password_set, \
	.user_password_rehash = db_user_password_rehash, \
	.user_password_hashes = db_user_password_hashes, \
	.user_terms_accept = db_user_terms_accept, \
	.session_get = db_session_get, \
	.session_by_token = db_session_by_token, \
	.session_live = db_session_live, \
	.session_delete_user = db_session_delete_user, \
	.session_put = db_session_put, \
	.session_delete = db_session_delete, \
	.session_touch = db_session_touch, \
	.sessions_each = db_sessions_each, \
	.session_second_factor_done = db_session_second_factor_done, \
	.session_disconnect = db_session_disconnect, \
	.session_resume = db_session_resume, \
	.session_resume_failed = db_session_resume_failed, \
	.second_factor_get = db_second_factor_get, \
	.second_factor_put = db_second_factor_put, \
	.user_second_factor_set = db_user_second_factor_set, \
	.users_each = db_users_each, \
	.user_update = db_user_update, \
	.user_unlock = db_user_unlock, \
	.user_deactivate = db_user_deactivate, \
	.users_active_admins = db_users_active_admins, \
	.pref_get = db_pref_get, \
	.pref_put = db_pref_put, \
	/* actions.c */ \
	.action_add = db_action_add, \
	.action_repeat = db_action_repeat, \
	.actions_each = db_actions_each, \
	/* hmac_keys.c */ \
	.hmac_key_insert = db_hmac_key_insert, \
	.hmac_key_create = db_hmac_key_create, \
	.hmac_keys_each = db_hmac_keys_each, \
	.hmac_key_activate = db_hmac_key_activate, \
	.hmac_key_used = db_hmac_key_used, \
	.hmac_keys_expired_each = db_hmac_keys_expired_each, \
	.hmac_key_expiry_mailed = db_hmac_key_expiry_mailed, \
	.hmac_key_recipients_each = db_hmac_key_recipients_each, \
	/* txn.c */ \
	.txn_insert = db_txn_insert, \
	.txn_get = db_txn_get, \
	.txn_update = db_txn_update, \
	.txn_card_fp = db_txn_card_fp, \
	.txn_children_each = db_txn_children_each, \
	.history_add = db_history_add, \
	.history_each = db_history_each, \
	.idem_get = db_idem_get, \
	.idem_put = db_idem_put, \
	.idem_purge = db_idem_purge, \
	.txn_card_purge = db_txn_card_purge, \
	/* txn_search.c */ \
	.txn_search = db_txn_search, .txn_summary = db_txn_summary, \
	/* batches.c */ \
	.txn_reconciliation = db_txn_reconciliation, \
	.batch_due_each = db_batch_due_each, \
	.batch_open = db_batch_open, \
	.batch_fill = db_batch_fill, \
	.batch_finish = db_batch_finish, \
	.batch_closing_each = db_batch_closing_each, \
	.batch_unwritten_each = db_batch_unwritten_each, \
	.batch_written = db_batch_written, \
	.batch_txns_each = db_batch_txns_each, \
	.batch_search = db_batch_search, \
	.batch_history_write = db_batch_history_write, \
	.batch_history_reconcile = db_batch_history_reconcile, \
	.recon_batch_find = db_recon_batch_find, \
	.recon_file_find = db_recon_file_find, \
	.recon_file_add = db_recon_file_add, \
	.recon_txn_set = db_recon_txn_set, \
	.recon_mismatch_add = db_recon_mismatch_add, \
	.recon_overdue_mark = db_recon_overdue_mark, \
	.recon_search = db_recon_search, \
	.recon_mismatches_each = db_recon_mismatches_each, \
	.recon_mismatch_get = db_recon_mismatch_get, \
	.recon_mismatch_resolve = db_recon_mismatch_resolve, \
	/* stats.c */ \
	.stats_each = db_stats_each, \
	/* risk.c */ \
	.block_put = db_block_put, \
	.block_get = db_block_get, \
	.block_delete = db_block_delete, \
	.block_search = db_block_search, \
	.block_match = db_block_match, \
	.card_day_count = db_card_day_count, \
	.contract_filters_set = db_contract_filters_set, \
	/* api_errors.c */ \
	.api_error_add = db_api_error_add, \
	.api_errors_each = db_api_errors_each, \
	.api_error_purge = db_api_error_purge, \
	/* notify.c */ \
	.notify_add = db_notify_add, \
	.notify_each_due = db_notify_each_due, \
	.notify_attempt_add = db_notify_attempt_add, \
	.notify_each_of_txn = db_notify_each_of_txn, \
	.notify_attempts_each = db_notify_attempts_each, \
	.notify_get = db_notify_get, \
	.notify_resend = db_notify_resend, \
	.shop_notify_target = db_shop_notify_target, \
	.notify_purge = db_notify_purge, \
	/* mail.c */ \
	.mail_add = db_mail_add, \
	.mail_each_due = db_mail_each_due, \
	.mail_sent = db_mail_sent, \
	.mail_retry = db_mail_retry, \
	.mail_failed = db_mail_failed, \
	.mails_each = db_mails_each, \
	.mails_failed_count = db_mails_failed_count, \
	.outbox_depth = db_outbox_depth, \
	.mail_get = db_mail_get, \
	.mail_requeue = db_mail_requeue, \
	.mail_failed_wipe = db_mail_failed_wipe, \
	.mail_seal_clear = db_mail_seal_clear, \
	/* recurring.c */ \
	.alias_insert = db_alias_insert, \
	.alias_get = db_alias_get, \
	.alias_get_id = db_alias_get_id, \
	.alias_delete = db_alias_delete, \
	.recurring_insert = db_recurring_insert, \
	.recurring_get = db_recurring_get, \
	.recurring_update = db_recurring_update, \
	.recurring_debit_put = db_recurring_debit_put, \
	.recurring_debits_cancel = db_recurring_debits_cancel, \
	.recurring_debits_each = db_recurring_debits_each, \
	.recurring_of_txn = db_recurring_of_txn, \
	.recurring_due_each = db_recurring_due_each, \
	/* recurring_search.c */ \
	.recurring_search = db_recurring_search, \
	/* settings.c */ \
	.shop_settings_get = db_shop_settings_get, \
	.shop_settings_put = db_shop_settings_put, \
	.store_request_find = db_store_request_find, \
	.store_request_add = db_store_request_add, \
	/* page_theme.c */ \
	.page_theme_get = db_page_theme_get, \
	.page_theme_put = db_page_theme_put, \
	.page_themes_each = db_page_themes_each, \
	.page_theme_versions = db_page_theme_versions, \
	/* hosted.c */ \
	.hosted_replay_put = db_hosted_replay_put, \
	.checkout_put = db_checkout_put, \
	.hosted_purge = db_hosted_purge, \
	.checkout_take = db_checkout_take, \
	/* pending.c */ \
	.pending_put = db_pending_put, \
	.pending_each_due = db_pending_each_due, \
	.pending_later = db_pending_later, \
	.pending_delete = db_pending_delete, \
	/* push_reports.c */ \
	.push_mail_add = db_mail_add_id, \
	.push_sub_get = db_push_sub_get, \
	.push_sub_put = db_push_sub_put, \
	.push_subs_each = db_push_subs_each, \
	.push_run_open = db_push_run_open, \
	.push_run_update = db_push_run_update, \
	.push_runs_pending_each = db_push_runs_pending_each, \
	.push_runs_each = db_push_runs_each, \
	.push_run_file = db_push_run_file, \
	.push_files_expire = db_push_files_expire, \
	/* order_files.c */ \
	.order_file_find = db_order_file_find, \
	.order_file_insert = db_order_file_insert, \
	.order_line_insert = db_order_line_insert, \
	.order_file_get = db_order_file_get, \
	.order_files_each = db_order_files_each, \
	.order_lines_each = db_order_lines_each, \
	.order_file_next = db_order_file_next, \
	.order_file_status = db_order_file_status, \
	.order_line_done = db_order_line_done, \
	.order_lines_duplicates = db_order_lines_duplicates
/* clang-format on */

#endif
