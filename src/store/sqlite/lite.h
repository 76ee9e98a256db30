/*
 * lite.h - what the SQLite backend's files share; nothing outside src/store/sqlite includes it:
 * the connection's helpers (store_sqlite.c), then the operations each resource's file gives the
 * table of operations, with the column lists and readers other files use, in the table's
 * order.
 */
#ifndef GUICHET_LITE_H
#define GUICHET_LITE_H

#include <sqlite3.h>

#include "common/bloom.h"
#include "store/store.h"

/* The columns lite_txn_read reads, in enum txn_field's order. */
#define TXN_COLS                                                                                   \
	"id, brand_id, shop_id, contract_id, parent_id, batch_id, type, status, acq, method, "     \
	"amount_initial, amount_current, amount_refunded, currency, order_ref, email, "            \
	"card_masked, "                                                                            \
	"card_expiry, card_country, customer_country, auth_number, acquirer, issuer, card_type, "  \
	"wallet, refusal, capture_manual, tds, tds_auth, tds_guaranteed, created_at, "             \
	"accepted_at, "                                                                            \
	"updated_at, bank_day, manual, archive_ref, origin"

/* The nodes of a brand (?1) from one (?2) down, as sub(id) (a shop is a node): what a search
 * of a node's scope starts its statement with. */
#define LITE_SUBTREE                                                                               \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM node WHERE brand_id = ?1 AND id = ?2 "          \
	"UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent_id = sub.id WHERE "                \
	"n.brand_id = ?1) "

/* The connection of a SQLite store. */
sqlite3 *lite_db(struct store *st);

/* The blocklist's keys in memory (risk.c), on the payments' connection only (on false
 * elsewhere: every match looks up the table). data_version and gen are what the filter was
 * last checked against: SQLite's count of other connections' commits and block_gen's mark
 * (migration 032). */
struct lite_blocks {
	struct bloom bloom;
	bool on;
	int64_t data_version;
	int64_t gen;
};
struct lite_blocks *lite_blocks(struct store *st);

/* Reads the blocklist's keys into the connection's filter and keeps it from then on. */
int lite_blocks_start(struct store *st);

/* Maps a SQLite result code to a status, logging an error (what: the operation's name):
 * ST_OK for SQLITE_OK, SQLITE_ROW and SQLITE_DONE, ST_CONFLICT for a constraint (a duplicate),
 * else ST_STORE. */
int lite_status(struct store *st, int src, const char *what);

/* The statement of sql (a string constant: known by its address) for a statement run often,
 * prepared at its first use and kept for the connection's life, reset and its bindings
 * cleared; not finalized by the caller. ST_OK, or a failure (logged) with *s NULL. */
int lite_cached(struct store *st, const char *sql, sqlite3_stmt **s, const char *what) WUR;

/* Prepares sql into *s for a statement run rarely, finalized by the caller. ST_OK, or
 * lite_status's failure (logged, what: the operation's name) with *s NULL. */
int lite_prepare(struct store *st, const char *sql, sqlite3_stmt **s, const char *what) WUR;

/* sqlite3_step, after writing the statement with its values in place to the log at debug
 * level (the benchmark times the same statements in the sqlite3 shell; values are
 * customers' data, hence debug only). */
int lite_step_logged(sqlite3_stmt *s);

/* Runs s, cached by lite_cached and returning no row, and resets it; logged as
 * lite_step_logged (every statement of a payment and of the scheduler's debits:
 * bench/recurring.py replays them). */
int lite_run(struct store *st, sqlite3_stmt *s, const char *what);

/* lite_run of an INSERT into a table whose id is its rowid: *id then gets the row's id, the
 * one bound (lite_bind_id) or, for 0, the one SQLite chose. */
int lite_insert(struct store *st, sqlite3_stmt *s, int64_t *id, const char *what);

/* Runs s, prepared by lite_prepare and returning no row, and finalizes it; logged as
 * lite_step_logged. */
int lite_run_once(struct store *st, sqlite3_stmt *s, const char *what);

/* The cached statement of sql with brand_id, id and v bound as ?1, ?2 and ?3 (a statement
 * without ?3 ignores v), run by lite_run. */
int lite_run_ids(struct store *st, const char *sql, int64_t brand_id, int64_t id, int64_t v,
                 const char *what);

/* The status of a one-row query whose step gave src: ST_OK on its row, ST_NOTFOUND when there
 * is none, else lite_status's. */
int lite_row_status(struct store *st, int src, const char *what);

/* Steps the cached s for one row, read by read into out, then resets it: a statement left
 * stepping would hold its read transaction open, and the connection would go on seeing the
 * database as it was then. lite_row_status's answer; logged as lite_step_logged. */
int lite_one_row(struct store *st, sqlite3_stmt *s, void (*read)(sqlite3_stmt *, void *), void *out,
                 const char *what);

/* Steps s for its next row while *rc is ST_OK (a callback's failure stops the walk): true on a
 * row; false at the end, *rc then ST_OK, or lite_status's failure of the step. Not logged:
 * a walk's rows are many. */
bool lite_next(struct store *st, sqlite3_stmt *s, int *rc, const char *what);

/* lite_one_row's readers of a row's first column: an int64_t, a bool. */
void lite_int64_read(sqlite3_stmt *s, void *out);
void lite_bool_read(sqlite3_stmt *s, void *out);

/* Binds the text v as parameter i of s, lent (SQLITE_STATIC): it outlives the statement's run. */
void lite_bind_text(sqlite3_stmt *s, int i, const char *v);

/* Binds v as parameter i of s, NULL when it is 0 (an id or instant left unset). */
void lite_bind_id(sqlite3_stmt *s, int i, int64_t v);

/* A search's optional filters: bound only when given (v > 0, v not NULL), left NULL ("any")
 * otherwise. */
void lite_bind_opt_id(sqlite3_stmt *s, int i, int64_t v);
void lite_bind_opt_text(sqlite3_stmt *s, int i, const char *v);

/* Copies column col's text into dst of cap bytes: cut to cap - 1 bytes, "" for NULL, always
 * NUL-terminated. */
void lite_text_copy(char *dst, size_t cap, sqlite3_stmt *s, int col);

/* store_ops.meta_get, meta_put and terms_version (meta.c). */
int lite_meta_get(struct store *st, const char *key, unsigned char *val, size_t cap, size_t *len);
int lite_meta_put(struct store *st, const char *key, const unsigned char *val, size_t len);
int lite_terms_version(struct store *st, int *version);

/* store_ops.brand_insert, account_*, node_insert, nodes_each, node_within, shop_insert,
 * shops_each, contract_insert, contract_find, contract_touch_auth and contracts_each
 * (org.c). */
int lite_brand_insert(struct store *st, int64_t *id, const char *name, const char *pspid,
                      int64_t now);
int lite_account_get(struct store *st, int64_t brand_id, struct account *out);
int lite_account_set(struct store *st, const struct account *a);
int lite_node_insert(struct store *st, struct node *n, int64_t now);
int lite_nodes_each(struct store *st, int64_t brand_id, int64_t node_id, store_node_cb cb,
                    void *arg);
int lite_node_within(struct store *st, int64_t brand_id, int64_t ancestor, int64_t node,
                     bool *within);
int lite_shop_insert(struct store *st, const struct shop *sh, int64_t now);
int lite_shops_each(struct store *st, store_shop_cb cb, void *arg);
int lite_contract_insert(struct store *st, struct contract *c, int64_t now);
int lite_contract_find(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method method,
                       struct contract *c);
int lite_contract_touch_auth(struct store *st, int64_t brand_id, int64_t contract_id, int64_t now);
int lite_contracts_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t id,
                        store_contract_cb cb, void *arg);

/* store_ops.user_*, users_each, session_*, sessions_each, second_factor_* and pref_*
 * (users.c). */
int lite_user_insert(struct store *st, struct user *u, int64_t now);
int lite_user_by_login(struct store *st, const char *login, struct user_auth *out);
int lite_user_get(struct store *st, int64_t brand_id, int64_t id, struct user_auth *out);
int lite_users_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t week_start,
                    store_user_cb cb, void *arg);
int lite_user_update(struct store *st, const struct user_auth *ua);
int lite_user_sign_in_failed(struct store *st, int64_t brand_id, int64_t id, int max, bool *locked);
int lite_user_failures_forget(struct store *st, int64_t brand_id, int64_t id);
int lite_user_signed_in(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int lite_user_unlock(struct store *st, int64_t brand_id, int64_t id);
int lite_user_password_set(struct store *st, int64_t brand_id, int64_t id, const char *hash,
                           bool must_change, int64_t now);
int lite_user_password_hashes(struct store *st, int64_t brand_id, int64_t id, int n,
                              store_hash_cb cb, void *arg);
int lite_user_terms_accept(struct store *st, int64_t brand_id, int64_t id, int version);
int lite_second_factor_get(struct store *st, int64_t brand_id, int64_t user_id,
                           struct second_factor *out);
int lite_second_factor_put(struct store *st, const struct second_factor *sf);
int lite_user_second_factor_set(struct store *st, int64_t brand_id, int64_t user_id,
                                enum second_factor_method method);
int lite_session_get(struct store *st, int64_t brand_id, int64_t id, struct session_row *out);
int lite_session_delete_user(struct store *st, int64_t brand_id, int64_t user_id);
int lite_session_put(struct store *st, struct session_row *r);
int lite_session_delete(struct store *st, int64_t brand_id, int64_t id);
int lite_session_touch(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int lite_sessions_each(struct store *st, store_session_cb cb, void *arg);
int lite_session_second_factor_done(struct store *st, int64_t brand_id, int64_t user_id,
                                    const unsigned char *token_hash,
                                    const unsigned char *csrf_hash);
int lite_pref_get(struct store *st, int64_t brand_id, int64_t user_id, const char *name, char *out,
                  size_t cap);
int lite_pref_put(struct store *st, int64_t brand_id, int64_t user_id, const char *name,
                  const char *value, int64_t now);

/* store_ops.action_add, action_repeat and actions_each (actions.c). */
int lite_action_add(struct store *st, const struct action *a);
int lite_action_repeat(struct store *st, const struct action *a, int64_t since);
int lite_actions_each(struct store *st, const struct action_query *q, store_action_cb cb,
                      void *arg);

/* store_ops.hmac_key_* (hmac_keys.c). */
int lite_hmac_key_insert(struct store *st, int64_t brand_id, int64_t shop_id, const char *env,
                         const unsigned char *sealed, size_t sealed_len, int64_t now);
int lite_hmac_key_create(struct store *st, struct hmac_key_new *k);
int lite_hmac_keys_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t active_before,
                        store_hmac_key_cb cb, void *arg);
int lite_hmac_key_activate(struct store *st, const unsigned char token_hash[32], int64_t now,
                           int64_t expires_at, struct hmac_key_row *out, unsigned char *sealed,
                           size_t cap, size_t *len);
int lite_hmac_key_used(struct store *st, int64_t brand_id, int64_t id);
int lite_hmac_keys_expired_each(struct store *st, int64_t now, store_hmac_key_cb cb, void *arg);
int lite_hmac_key_expiry_mailed(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int lite_hmac_key_recipients_each(struct store *st, int64_t brand_id, int64_t shop_id,
                                  store_recipient_cb cb, void *arg);

/* store_ops.txn_insert, txn_get, txn_update, txn_card_fp, history_*, idem_* and
 * txn_card_purge (txn.c). */
int lite_txn_insert(struct store *st, struct txn *t, const unsigned char *fp, size_t fp_len,
                    const unsigned char *sealed, size_t sealed_len);
int lite_txn_get(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id, struct txn *out);
int lite_txn_update(struct store *st, const struct txn *t);
int lite_txn_card_fp(struct store *st, int64_t brand_id, int64_t id, unsigned char *fp, size_t cap,
                     size_t *len);
int lite_history_add(struct store *st, const struct history *h);
int lite_history_each(struct store *st, int64_t brand_id, int64_t txn_id, store_history_cb cb,
                      void *arg);
int lite_idem_get(struct store *st, int64_t brand_id, int64_t shop_id, const char *key,
                  struct idem *out);
int lite_idem_put(struct store *st, const struct idem *in);
int lite_idem_purge(struct store *st, int64_t before, int limit, int *done);
int lite_txn_card_purge(struct store *st, int64_t now, int limit, int *done);
/* Reads a row of TXN_COLS. */
void lite_txn_read(sqlite3_stmt *s, struct txn *t);
/* Reads field f of t from column col. */
void lite_txn_read_field(sqlite3_stmt *s, int col, enum txn_field f, struct txn *t);

/* store_ops.txn_search and txn_ref_catch_up (txn_search.c). */
int lite_txn_search(struct store *st, const struct txn_query *q, store_txn_cb cb, void *arg);
int lite_txn_ref_catch_up(struct store *st, int limit, int *done);

/* store_ops.batch_* and txn_reconciliation (batches.c). */
int lite_batch_due_each(struct store *st, int64_t day, store_due_cb cb, void *arg);
int lite_batch_close(struct store *st, int64_t brand_id, int64_t contract_id, int64_t day,
                     int64_t now, struct batch *b);
int lite_batch_unwritten_each(struct store *st, store_batch_cb cb, void *arg);
int lite_batch_written(struct store *st, int64_t id);
int lite_batch_txns_each(struct store *st, int64_t brand_id, int64_t batch_id, store_txn_cb cb,
                         void *arg);
int lite_batch_search(struct store *st, const struct batch_query *q, store_batch_cb cb, void *arg);
int lite_batch_reconcile(struct store *st, const struct batch *b, int bps, int64_t at);
int lite_txn_reconciliation(struct store *st, int64_t brand_id, int64_t txn_id,
                            struct reconciliation *out);

/* store_ops.stats_each (stats.c). */
int lite_stats_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t from_day,
                    int64_t to_day, store_stats_cb cb, void *arg);

/* The fraud filters' columns of contract (migration 029), in the order lite_filters_read reads
 * them from column col on; FF_COLS_C the same after "c.". */
#define FF_COLS                                                                                    \
	"ff_max_amount, ff_max_per_card_day, ff_card_countries, ff_customer_countries, "           \
	"ff_country_mismatch, ff_version"
#define FF_COLS_C                                                                                  \
	"ff_max_amount, c.ff_max_per_card_day, c.ff_card_countries, c.ff_customer_countries, "     \
	"c.ff_country_mismatch, c.ff_version"
void lite_filters_read(sqlite3_stmt *s, int col, struct fraud_filters *f);

/* store_ops.block_*, card_day_count and contract_filters_set (risk.c). */
int lite_block_put(struct store *st, struct block_entry *e);
int lite_block_get(struct store *st, int64_t brand_id, int64_t id, struct block_entry *out);
int lite_block_delete(struct store *st, int64_t brand_id, int64_t id);
int lite_block_search(struct store *st, const struct block_query *q, store_block_cb cb, void *arg);
int lite_block_match(struct store *st, int64_t brand_id, int64_t shop_id,
                     const struct block_key *keys, int n, int64_t now, bool *blocked);
int lite_card_day_count(struct store *st, int64_t brand_id, int64_t contract_id,
                        const unsigned char *fp, size_t fp_len, int64_t day, int limit, int *n);
int lite_contract_filters_set(struct store *st, int64_t brand_id, int64_t contract_id,
                              const struct fraud_filters *f, int64_t expect_version);

/* store_ops.api_error_add, api_errors_each and api_error_purge (api_errors.c). */
int lite_api_error_add(struct store *st, const struct api_error *e, int max_rows);
int lite_api_error_purge(struct store *st, int64_t before, int limit, int *done);
int lite_api_errors_each(struct store *st, const struct api_error_query *q, store_api_error_cb cb,
                         void *arg);

/* store_ops.notify_* and shop_notify_target (notify.c). */
int lite_notify_add(struct store *st, struct notify_row *n);
int lite_notify_each_due(struct store *st, int64_t now, int64_t after_at, int64_t after_id,
                         int limit, store_notify_cb cb, void *arg);
int lite_notify_attempt_add(struct store *st, const struct notify_attempt *a,
                            enum notify_state state, int64_t next_at);
int lite_notify_each_of_txn(struct store *st, int64_t brand_id, int64_t txn_id, store_notify_cb cb,
                            void *arg);
int lite_notify_attempts_each(struct store *st, int64_t brand_id, int64_t notify_id,
                              store_notify_attempt_cb cb, void *arg);
int lite_notify_get(struct store *st, int64_t brand_id, int64_t id, store_notify_cb cb, void *arg);
int lite_notify_resend(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int lite_shop_notify_target(struct store *st, int64_t brand_id, int64_t shop_id,
                            struct notify_target *out);
int lite_notify_purge(struct store *st, int64_t before, int limit, int *done);

/* store_ops.mail_*, mails_* and outbox_depth (mail.c). */
int lite_mail_add(struct store *st, const struct mail *m);
int lite_mail_each_due(struct store *st, int64_t now, int limit, store_mail_cb cb, void *arg);
int lite_mail_sent(struct store *st, int64_t id, int64_t now);
int lite_mail_retry(struct store *st, int64_t id, int64_t next_at, const char *error);
int lite_mail_failed(struct store *st, int64_t id, int64_t now, const char *error);
int lite_mails_each(struct store *st, const struct mail_query *q, store_mail_cb cb, void *arg);
int lite_mails_failed_count(struct store *st, int64_t brand_id, int64_t node_id, int64_t since,
                            int *n);
int lite_outbox_depth(struct store *st, int64_t now, struct outbox_depth *out);
int lite_mail_get(struct store *st, int64_t brand_id, int64_t id, struct mail *out);
int lite_mail_requeue(struct store *st, int64_t brand_id, int64_t id, int64_t now);
int lite_mail_failed_wipe(struct store *st, int64_t before, int limit, int *done);
int lite_mail_seal_clear(struct store *st, int *done);

/* store_ops.alias_* and recurring_* but recurring_search (recurring.c). */
int lite_alias_insert(struct store *st, struct card_alias *a);
int lite_alias_get(struct store *st, int64_t brand_id, const char *alias, struct card_alias *out);
int lite_alias_get_id(struct store *st, int64_t brand_id, int64_t id, struct card_alias *out);
int lite_alias_delete(struct store *st, int64_t brand_id, const char *alias, int64_t now);
int lite_recurring_insert(struct store *st, struct recurring *r);
int lite_recurring_get(struct store *st, int64_t brand_id, int64_t shop_id, int64_t node_id,
                       int64_t id, struct recurring *out);
int lite_recurring_update(struct store *st, const struct recurring *r, int64_t expect_done);
int lite_recurring_debit_put(struct store *st, const struct recurring_debit *d);
int lite_recurring_debits_cancel(struct store *st, int64_t brand_id, int64_t recurring_id,
                                 int64_t from_number);
int lite_recurring_debits_each(struct store *st, int64_t brand_id, int64_t recurring_id,
                               store_debit_cb cb, void *arg);
int lite_recurring_of_txn(struct store *st, int64_t brand_id, int64_t txn_id,
                          struct recurring_debit *out);
int lite_recurring_due_each(struct store *st, int64_t day, int64_t after_id, int limit,
                            store_id_cb cb, void *arg);
/* Reads a row of RECURRING_COLS (recurring r joined with shop s, contract c, card_alias a). */
#define RECURRING_COLS                                                                             \
	"r.id, r.brand_id, r.shop_id, r.contract_id, r.kind, r.status, r.alias_id, r.method, "     \
	"r.currency, r.order_ref, r.email, r.card_masked, r.card_expiry, r.initial_amount, "       \
	"r.amount, r.count, r.every_months, r.day_of_month, r.start_day, r.done, "                 \
	"coalesce(r.next_day, 0), coalesce(r.next_amount, 0), r.manual, r.archive_ref, "           \
	"coalesce(r.created_by, 0), r.created_by_login, r.created_at, r.updated_at, "              \
	"coalesce(r.ended_at, 0), r.end_reason, coalesce(r.ended_by, 0), r.ended_by_login, "       \
	"CASE WHEN a.implicit THEN '' ELSE a.alias END, s.site, s.rang, c.number, s.name, "        \
	"r.customer_country"
#define RECURRING_FROM                                                                             \
	" FROM recurring r JOIN shop s ON s.id = r.shop_id JOIN contract c ON c.id = "             \
	"r.contract_id JOIN card_alias a ON a.id = r.alias_id "
void lite_recurring_read(sqlite3_stmt *s, struct recurring *r);

/* store_ops.recurring_search (recurring_search.c). */
int lite_recurring_search(struct store *st, const struct recurring_query *q, store_recurring_cb cb,
                          void *arg);

/* store_ops.shop_settings_* and store_request_* (settings.c). */
int lite_shop_settings_get(struct store *st, int64_t brand_id, int64_t shop_id,
                           struct shop_settings *out);
int lite_shop_settings_put(struct store *st, const struct shop_settings *s, int64_t expect_version);
int lite_store_request_find(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method m,
                            int64_t since, struct store_request *out);
int lite_store_request_add(struct store *st, struct store_request *r);

/* store_ops.page_theme_* (page_theme.c). */
int lite_page_theme_get(struct store *st, int64_t brand_id, int64_t shop_id,
                        struct page_theme *out);
int lite_page_theme_put(struct store *st, const struct page_theme *t, int64_t expect_version);
int lite_page_themes_each(struct store *st, store_page_theme_cb cb, void *arg);

/* store_ops.hosted_replay_put, hosted_purge and checkout_* (hosted.c). */
int lite_hosted_replay_put(struct store *st, int64_t brand_id, int64_t shop_id,
                           const char *order_ref, int64_t request_time, int64_t now);
int lite_checkout_put(struct store *st, const struct checkout *c);
int lite_hosted_purge(struct store *st, int64_t now, int64_t replay_before, int limit, int *done);
int lite_checkout_take(struct store *st, const unsigned char *token_hash, int64_t now,
                       struct checkout *out);

/* store_ops.schema_version, backup_to and integrity_check (backup.c). */
int lite_schema_version(struct store *st, int *version);
int lite_backup_to(struct store *st, const char *path);
int lite_integrity_check(struct store *st, char *why, size_t cap);

/* store_ops.pending_* (pending.c). */
int lite_pending_put(struct store *st, const struct pending_auth *p);
int lite_pending_each_due(struct store *st, int64_t now, int limit, store_pending_cb cb, void *arg);
int lite_pending_later(struct store *st, int64_t brand_id, int64_t txn_id, int64_t next_at);
int lite_pending_delete(struct store *st, int64_t brand_id, int64_t txn_id);

#ifdef GUICHET_FAULT_INJECTION
/* A test build's storage faults (fault_vfs.c): makes the fault VFS SQLite's default, once,
 * before the first connection opens. */
void lite_fault_install(void);
#endif

#endif
