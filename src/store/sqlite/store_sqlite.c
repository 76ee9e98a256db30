/*
 * store_sqlite.c - the SQLite backend of store.h: the connection (opened in WAL with
 * synchronous=FULL, its pragmas, what it is used for, the migrations applied at open), its
 * transactions and savepoints, the statements it keeps prepared for its life, the helpers
 * lite.h gives the backend's other files, and the table of operations, each one implemented
 * by the file of its resource (lite.h says which). Parameters are always bound.
 *
 * Not thread-safe: one connection per thread (the writer, each reader, the command line).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/log.h"
#include "domain/calendar.h"
#include "store/migrations.h"
#include "store/sqlite/lite.h"
#include "store/store.h"

/* The statements kept prepared for the connection's life (lite_cached): a table of
 * LITE_CACHED_SLOTS, open addressing on the address of their text, never more than half
 * full so that a look-up stays a probe or two. */
#define LITE_CACHED_BITS  9
#define LITE_CACHED_SLOTS (1 << LITE_CACHED_BITS)

struct sqlite_store {
	struct store base; /* first: a struct store * is a struct sqlite_store * */
	sqlite3 *db;
	struct {
		const char *sql;
		sqlite3_stmt *s;
	} cached[LITE_CACHED_SLOTS];
	int ncached;
	struct lite_blocks blocks; /* the payments' connection only (risk.c) */
};

static const struct store_ops sqlite_ops;

static struct sqlite_store *
lite(struct store *st)
{
	return (struct sqlite_store *)st;
}

sqlite3 *
lite_db(struct store *st)
{
	return lite(st)->db;
}

struct lite_blocks *
lite_blocks(struct store *st)
{
	return &lite(st)->blocks;
}

/* --- what the backend's files share (lite.h) ---------------------------------------------- */

/* SQLITE_CONSTRAINT is a conflict (a duplicate). */
int
lite_status(struct store *st, int src, const char *what)
{
	if (src == SQLITE_OK || src == SQLITE_DONE || src == SQLITE_ROW)
		return ST_OK;
	if ((src & 0xff) == SQLITE_CONSTRAINT)
		return ST_CONFLICT;
	log_error("event=sqlite_error op=%s code=%d error=\"%s\"", what, src,
	          sqlite3_errmsg(lite_db(st)));
	return ST_STORE;
}

int
lite_step_logged(sqlite3_stmt *s)
{
	if (log_enabled(LOG_DEBUG)) {
		char *x = sqlite3_expanded_sql(s);

		log_debug("event=sql sql=%s", x ? x : "?");
		sqlite3_free(x);
	}
	return sqlite3_step(s);
}

/* The first slot of sql's statement: Fibonacci hashing of its text's address. */
static size_t
cached_slot(const char *sql)
{
	return (size_t)(((uint64_t)(uintptr_t)sql * UINT64_C(0x9e3779b97f4a7c15)) >>
	                (64 - LITE_CACHED_BITS));
}

int
lite_cached(struct store *st, const char *sql, sqlite3_stmt **out, const char *what)
{
	struct sqlite_store *ls = lite(st);
	size_t i = cached_slot(sql);
	int src;

	while (ls->cached[i].sql != NULL && ls->cached[i].sql != sql)
		i = (i + 1) & (LITE_CACHED_SLOTS - 1);
	if (ls->cached[i].sql == sql) {
		*out = ls->cached[i].s;
		sqlite3_reset(*out);
		sqlite3_clear_bindings(*out);
		return ST_OK;
	}
	if (ls->ncached >= LITE_CACHED_SLOTS / 2) {
		log_error("event=sqlite_cache_full what=%s", what);
		return ST_INTERNAL;
	}
	src = sqlite3_prepare_v3(ls->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (src != SQLITE_OK) {
		*out = NULL;
		return lite_status(st, src, what);
	}
	ls->cached[i].sql = sql;
	ls->cached[i].s = *out;
	ls->ncached++;
	return ST_OK;
}

int
lite_prepare(struct store *st, const char *sql, sqlite3_stmt **s, const char *what)
{
	int src = sqlite3_prepare_v2(lite_db(st), sql, -1, s, NULL);

	if (src != SQLITE_OK) {
		*s = NULL;
		return lite_status(st, src, what);
	}
	return ST_OK;
}

int
lite_run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = lite_status(st, lite_step_logged(s), what);

	sqlite3_reset(s);
	return rc;
}

int
lite_insert(struct store *st, sqlite3_stmt *s, int64_t *id, const char *what)
{
	int rc = lite_run(st, s, what);

	if (rc == ST_OK)
		*id = sqlite3_last_insert_rowid(lite_db(st));
	return rc;
}

int
lite_run_once(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = lite_status(st, lite_step_logged(s), what);

	sqlite3_finalize(s);
	return rc;
}

int
lite_run_ids(struct store *st, const char *sql, int64_t brand_id, int64_t id, int64_t v,
             const char *what)
{
	sqlite3_stmt *s;
	int rc = lite_cached(st, sql, &s, what);

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_int64(s, 3, v);
	return lite_run(st, s, what);
}

int
lite_row_status(struct store *st, int src, const char *what)
{
	return src == SQLITE_ROW    ? ST_OK
	       : src == SQLITE_DONE ? ST_NOTFOUND
	                            : lite_status(st, src, what);
}

int
lite_one_row(struct store *st, sqlite3_stmt *s, void (*read)(sqlite3_stmt *, void *), void *out,
             const char *what)
{
	int src = lite_step_logged(s), rc;

	if (src == SQLITE_ROW)
		read(s, out);
	rc = lite_row_status(st, src, what);
	sqlite3_reset(s);
	return rc;
}

bool
lite_next(struct store *st, sqlite3_stmt *s, int *rc, const char *what)
{
	int src;

	if (*rc != ST_OK)
		return false;
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		return true;
	*rc = lite_status(st, src, what);
	return false;
}

void
lite_int64_read(sqlite3_stmt *s, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(s, 0);
}

void
lite_bool_read(sqlite3_stmt *s, void *out)
{
	*(bool *)out = sqlite3_column_int(s, 0) != 0;
}

void
lite_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

void
lite_bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

void
lite_bind_opt_id(sqlite3_stmt *s, int i, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(s, i, v);
}

void
lite_bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		lite_bind_text(s, i, v);
}

void
lite_text_copy(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t len = t ? (size_t)sqlite3_column_bytes(s, col) : 0;

	if (len >= cap)
		len = cap - 1;
	if (len > 0)
		memcpy(dst, t, len);
	dst[len] = '\0';
}

/* --- transactions --------------------------------------------------------------------------- */

/* Runs the kept statement sql of the connection's own, which returns no row. */
static int
exec_simple(struct store *st, const char *sql, const char *what)
{
	sqlite3_stmt *s;
	int rc = lite_cached(st, sql, &s, what);

	return rc != ST_OK ? rc : lite_run(st, s, what);
}

static const char begin_read_sql[] = "BEGIN DEFERRED";
static const char begin_write_sql[] = "BEGIN IMMEDIATE";
static const char commit_sql[] = "COMMIT";
static const char rollback_sql[] = "ROLLBACK";
static const char savepoint_sql[] = "SAVEPOINT job";
static const char release_sql[] = "RELEASE job";
static const char rollback_to_sql[] = "ROLLBACK TO job";

static int
lite_begin(struct store *st, bool write)
{
	store_tally_clear(st);
	return exec_simple(st, write ? begin_write_sql : begin_read_sql, "begin");
}

static int
lite_commit(struct store *st)
{
	int rc = exec_simple(st, commit_sql, "commit");

	if (rc == ST_OK)
		store_tally_commit(st);
	return rc;
}

static void
lite_rollback(struct store *st)
{
	store_tally_clear(st);
	if (!sqlite3_get_autocommit(lite(st)->db))
		(void)exec_simple(st, rollback_sql, "rollback");
}

static int
lite_savepoint(struct store *st)
{
	int rc;

	/* Only inside the caller's transaction. An I/O error in a statement (a full disk
	 * without a statement journal too) makes SQLite roll the whole transaction back by
	 * itself; a SAVEPOINT would then open a transaction of its own, which its RELEASE
	 * commits at once: the writer's next jobs would be written while their group fails and
	 * answers them "nothing was recorded" (work.c; tests/unit/test_work.c). */
	if (sqlite3_get_autocommit(lite(st)->db)) {
		log_error("event=sqlite_error op=savepoint error=\"no transaction: rolled back "
		          "after an earlier error\"");
		return ST_STORE;
	}
	rc = exec_simple(st, savepoint_sql, "savepoint");
	if (rc == ST_OK)
		store_tally_savepoint(st);
	return rc;
}

static int
lite_release(struct store *st)
{
	/* Released or not, what the savepoint wrote is the transaction's now, counts too. */
	store_tally_release(st);
	return exec_simple(st, release_sql, "release");
}

static void
lite_rollback_to(struct store *st)
{
	store_tally_rollback_to(st);
	/* ROLLBACK TO keeps the savepoint open: release it too. */
	if (exec_simple(st, rollback_to_sql, "rollback_to") == ST_OK)
		(void)exec_simple(st, release_sql, "release");
}

/* --- the connection ------------------------------------------------------------------------ */

/* A writer that finds the database locked by another (the scheduler's round beside the
 * payments' writer, the batch command beside the server) tries again every millisecond, for
 * 10 s at most. SQLite's own timeout sleeps longer and longer between tries (up to 100 ms):
 * a connection that commits and begins again at once, as a round does, would then keep
 * the lock for itself nearly always, and the merchant API would wait seconds. */
#define BUSY_TRIES 10000

static int
busy_wait(void *arg, int tries)
{
	(void)arg;
	if (tries >= BUSY_TRIES)
		return 0;
	sqlite3_sleep(1);
	return 1;
}

static void
lite_close(struct store *st)
{
	struct sqlite_store *ls = lite(st);

	for (int i = 0; i < LITE_CACHED_SLOTS; i++)
		sqlite3_finalize(ls->cached[i].s);
	bloom_free(&ls->blocks.bloom);
	sqlite3_close_v2(ls->db);
	free(ls);
}

static int
lite_use_for(struct store *st, enum store_use use)
{
	struct sqlite_store *ls = lite(st);
	const char *pragmas = NULL;
	char *err = NULL;

	switch (use) {
	case STORE_USE_PAYMENTS:
		/* A statement that fires the statistics triggers has a statement journal; in a
		 * temporary file it costs a write system call per page and statement. Not for a
		 * connection that may change a million rows in one statement (the télécollecte,
		 * migrations): the journal in memory would be as large. */
		pragmas = "PRAGMA temp_store = MEMORY;";
		break;
	case STORE_USE_BATCH:
		/* A contract's due transactions lie on pages shared with every other contract's:
		 * with 256 MiB of page cache, a page read for one batch is still there for the
		 * next, and a batch's changes reach the log once, at its commit. */
		pragmas = "PRAGMA cache_size = -262144;";
		break;
	case STORE_USE_BULK:
		/* 1 GiB of page cache: the random inserts of the secondary indexes then hit cached
		 * pages, and a page changed by many rows of one transaction is written once. WAL
		 * with synchronous NORMAL stays consistent; it only syncs at checkpoints. */
		pragmas = "PRAGMA cache_size = -1048576; PRAGMA synchronous = NORMAL; "
		          "PRAGMA temp_store = MEMORY;";
		break;
	}
	if (pragmas == NULL)
		return ST_INVALID;
	if (sqlite3_exec(ls->db, pragmas, NULL, NULL, &err) != SQLITE_OK) {
		log_error("event=sqlite_pragma error=\"%s\"", err ? err : "?");
		sqlite3_free(err);
		return ST_STORE;
	}
	/* Every payment looks its keys up in the blocklist: the payments' connection keeps
	 * them in memory, to spare the look-up when none is there (risk.c). */
	if (use == STORE_USE_PAYMENTS)
		return lite_blocks_start(st);
	return ST_OK;
}

/* store_ops.checkpoint: SQLite's TRUNCATE checkpoint copies the log's pages into the database
 * file (waiting, through the busy timeout, for the readers of older snapshots) and cuts the
 * log to zero bytes, so none of its earlier page images stays in the file. */
static int
lite_checkpoint(struct store *st)
{
	struct sqlite_store *ls = lite(st);
	int src = sqlite3_wal_checkpoint_v2(ls->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	return src == SQLITE_BUSY ? ST_BUSY : lite_status(st, src, "checkpoint");
}

static const struct store_ops sqlite_ops = {
        .name = "sqlite",
        /* the connection: this file */
        .close = lite_close,
        .use_for = lite_use_for,
        .begin = lite_begin,
        .commit = lite_commit,
        .rollback = lite_rollback,
        .savepoint = lite_savepoint,
        .release = lite_release,
        .rollback_to = lite_rollback_to,
        .checkpoint = lite_checkpoint,
        /* meta.c */
        .meta_get = lite_meta_get,
        .meta_put = lite_meta_put,
        .terms_version = lite_terms_version,
        /* org.c */
        .brand_insert = lite_brand_insert,
        .node_insert = lite_node_insert,
        .shop_insert = lite_shop_insert,
        .contract_insert = lite_contract_insert,
        .shops_each = lite_shops_each,
        .contract_find = lite_contract_find,
        .contract_touch_auth = lite_contract_touch_auth,
        .account_get = lite_account_get,
        .account_set = lite_account_set,
        .node_within = lite_node_within,
        .nodes_each = lite_nodes_each,
        .contracts_each = lite_contracts_each,
        /* users.c */
        .user_insert = lite_user_insert,
        .user_by_login = lite_user_by_login,
        .user_get = lite_user_get,
        .user_sign_in_failed = lite_user_sign_in_failed,
        .user_signed_in = lite_user_signed_in,
        .user_failures_forget = lite_user_failures_forget,
        .user_password_set = lite_user_password_set,
        .user_password_hashes = lite_user_password_hashes,
        .user_terms_accept = lite_user_terms_accept,
        .session_get = lite_session_get,
        .session_delete_user = lite_session_delete_user,
        .session_put = lite_session_put,
        .session_delete = lite_session_delete,
        .session_touch = lite_session_touch,
        .sessions_each = lite_sessions_each,
        .session_second_factor_done = lite_session_second_factor_done,
        .second_factor_get = lite_second_factor_get,
        .second_factor_put = lite_second_factor_put,
        .user_second_factor_set = lite_user_second_factor_set,
        .users_each = lite_users_each,
        .user_update = lite_user_update,
        .user_unlock = lite_user_unlock,
        .pref_get = lite_pref_get,
        .pref_put = lite_pref_put,
        /* actions.c */
        .action_add = lite_action_add,
        .action_repeat = lite_action_repeat,
        .actions_each = lite_actions_each,
        /* hmac_keys.c */
        .hmac_key_insert = lite_hmac_key_insert,
        .hmac_key_create = lite_hmac_key_create,
        .hmac_keys_each = lite_hmac_keys_each,
        .hmac_key_activate = lite_hmac_key_activate,
        .hmac_key_used = lite_hmac_key_used,
        .hmac_keys_expired_each = lite_hmac_keys_expired_each,
        .hmac_key_expiry_mailed = lite_hmac_key_expiry_mailed,
        .hmac_key_recipients_each = lite_hmac_key_recipients_each,
        /* txn.c */
        .txn_insert = lite_txn_insert,
        .txn_get = lite_txn_get,
        .txn_update = lite_txn_update,
        .txn_card_fp = lite_txn_card_fp,
        .history_add = lite_history_add,
        .history_each = lite_history_each,
        .idem_get = lite_idem_get,
        .idem_put = lite_idem_put,
        .idem_purge = lite_idem_purge,
        .txn_card_purge = lite_txn_card_purge,
        /* txn_search.c */
        .txn_search = lite_txn_search,
        .txn_ref_catch_up = lite_txn_ref_catch_up,
        /* batches.c */
        .batch_reconcile = lite_batch_reconcile,
        .txn_reconciliation = lite_txn_reconciliation,
        .batch_due_each = lite_batch_due_each,
        .batch_close = lite_batch_close,
        .batch_unwritten_each = lite_batch_unwritten_each,
        .batch_written = lite_batch_written,
        .batch_txns_each = lite_batch_txns_each,
        .batch_search = lite_batch_search,
        /* stats.c */
        .stats_each = lite_stats_each,
        /* risk.c */
        .block_put = lite_block_put,
        .block_get = lite_block_get,
        .block_delete = lite_block_delete,
        .block_search = lite_block_search,
        .block_match = lite_block_match,
        .card_day_count = lite_card_day_count,
        .contract_filters_set = lite_contract_filters_set,
        /* api_errors.c */
        .api_error_add = lite_api_error_add,
        .api_errors_each = lite_api_errors_each,
        .api_error_purge = lite_api_error_purge,
        /* notify.c */
        .notify_add = lite_notify_add,
        .notify_each_due = lite_notify_each_due,
        .notify_attempt_add = lite_notify_attempt_add,
        .notify_each_of_txn = lite_notify_each_of_txn,
        .notify_attempts_each = lite_notify_attempts_each,
        .notify_get = lite_notify_get,
        .notify_resend = lite_notify_resend,
        .shop_notify_target = lite_shop_notify_target,
        .notify_purge = lite_notify_purge,
        /* mail.c */
        .mail_add = lite_mail_add,
        .mail_each_due = lite_mail_each_due,
        .mail_sent = lite_mail_sent,
        .mail_retry = lite_mail_retry,
        .mail_failed = lite_mail_failed,
        .mails_each = lite_mails_each,
        .mails_failed_count = lite_mails_failed_count,
        .outbox_depth = lite_outbox_depth,
        .mail_get = lite_mail_get,
        .mail_requeue = lite_mail_requeue,
        .mail_failed_wipe = lite_mail_failed_wipe,
        .mail_seal_clear = lite_mail_seal_clear,
        /* recurring.c */
        .alias_insert = lite_alias_insert,
        .alias_get = lite_alias_get,
        .alias_get_id = lite_alias_get_id,
        .alias_delete = lite_alias_delete,
        .recurring_insert = lite_recurring_insert,
        .recurring_get = lite_recurring_get,
        .recurring_update = lite_recurring_update,
        .recurring_debit_put = lite_recurring_debit_put,
        .recurring_debits_cancel = lite_recurring_debits_cancel,
        .recurring_debits_each = lite_recurring_debits_each,
        .recurring_of_txn = lite_recurring_of_txn,
        .recurring_due_each = lite_recurring_due_each,
        /* recurring_search.c */
        .recurring_search = lite_recurring_search,
        /* settings.c */
        .shop_settings_get = lite_shop_settings_get,
        .shop_settings_put = lite_shop_settings_put,
        .store_request_find = lite_store_request_find,
        .store_request_add = lite_store_request_add,
        /* page_theme.c */
        .page_theme_get = lite_page_theme_get,
        .page_theme_put = lite_page_theme_put,
        .page_themes_each = lite_page_themes_each,
        /* hosted.c */
        .hosted_replay_put = lite_hosted_replay_put,
        .checkout_put = lite_checkout_put,
        .hosted_purge = lite_hosted_purge,
        .checkout_take = lite_checkout_take,
        /* backup.c */
        .schema_version = lite_schema_version,
        .backup_to = lite_backup_to,
        .integrity_check = lite_integrity_check,
        /* pending.c */
        .pending_put = lite_pending_put,
        .pending_each_due = lite_pending_each_due,
        .pending_later = lite_pending_later,
        .pending_delete = lite_pending_delete,
};

/* guichet_business_day(instant): the Paris day of an instant, for migrations 005 and 008. */
static void
sql_business_day(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_int64(ctx, cal_business_day(sqlite3_value_int64(argv[0])));
}

/* Applies the migrations above the database's user_version, each in its own transaction. */
static int
migrate(struct sqlite_store *ls)
{
	const struct migration *latest;
	sqlite3_stmt *s = NULL;
	int version = 0, rc = ST_OK;
	char *err = NULL;
	char pragma[64];

	if (sqlite3_prepare_v2(ls->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return lite_status(&ls->base, SQLITE_ERROR, "migrate");
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);

	/* A database a newer version migrated: this one does not know its schema, and writing
	 * to it could lose what the newer one keeps (docs/OPERATIONS.md "Upgrades"). */
	for (latest = sqlite_migrations; latest[1].name != NULL; latest++)
		;
	if (version > latest->version) {
		log_error("event=database_too_new version=%d known=%d hint=\"a newer guichetd "
		          "migrated it: run that version, or restore the backup taken before\"",
		          version, latest->version);
		return ST_STORE;
	}
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
#ifdef GUICHET_FAULT_INJECTION
	lite_fault_install();
#endif
	ls = calloc(1, sizeof(*ls));
	if (ls == NULL)
		abort();
	ls->base.ops = &sqlite_ops;
	if (sqlite3_open_v2(path, &ls->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("event=sqlite_open path=\"%s\" error=\"%s\"", path,
		          ls->db ? sqlite3_errmsg(ls->db) : "out of memory");
		goto fail;
	}
	sqlite3_create_function_v2(ls->db, "guichet_business_day", 1,
	                           SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_business_day, NULL,
	                           NULL, NULL);
	/* A writer waits for another writer (the batch command beside the server) rather than
	 * failing; readers never wait in WAL mode.
	 * secure_delete: what a writer deletes or shrinks (a delivered mail's body, a card number
	 * past its retention, a session) is overwritten with zeros in the page it leaves, and a
	 * page freed is zeroed, so the database file keeps no trace of it once the page is
	 * checkpointed. It does not reach the earlier images of the page still in the WAL until
	 * the log is overwritten or truncated (store_ops.checkpoint), nor the file system's freed
	 * blocks or a backup: secrets are sealed before they are written (README "Mail", "Keys").
	 * Debian's SQLite has it on by default; said here, it does not depend on the build. */
	sqlite3_busy_handler(ls->db, busy_wait, NULL);
	if (sqlite3_exec(ls->db,
	                 write ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
	                         "PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384; "
	                         "PRAGMA secure_delete = ON;"
	                       : "PRAGMA cache_size = -8192; PRAGMA query_only = 1;",
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
