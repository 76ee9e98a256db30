/*
 * store_sqlite.c - the SQLite backend of store.h: the connection (opened in WAL with
 * synchronous=FULL, its pragmas, what it is used for, the migrations applied at open), its
 * transactions and savepoints, the statements it keeps prepared for its life, the helpers
 * lite.h gives the backend's other files, and the table of operations, each one implemented
 * by the file of its resource (lite.h says which). Parameters are always bound.
 *
 * Not thread-safe: one connection per thread (the writer, each reader, the command line).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/log.h"
#include "domain/calendar.h"
#include "store/migrations.h"
#include "store/sql/db.h"
#include "store/sqlite/lite.h"
#include "store/store.h"

struct sqlite_store {
	struct db db; /* first: a struct store * is a struct sqlite_store * */
	sqlite3 *conn;
};

/* A statement of the connection. */
struct lite_stmt {
	struct stmt base;
	sqlite3_stmt *s;
};

static const struct store_ops sqlite_ops;

/* A reader's page cache, and the smaller one of its export pages (store_ops.scan). */
#define READ_CACHE_PRAGMA "PRAGMA cache_size = -8192;"
#define SCAN_CACHE_PRAGMA "PRAGMA cache_size = -2048;"

static struct sqlite_store *
lite(struct store *st)
{
	return (struct sqlite_store *)st;
}

static sqlite3_stmt *
ls_of(struct stmt *s)
{
	return ((struct lite_stmt *)s)->s;
}

sqlite3 *
lite_conn(struct store *st)
{
	return lite(st)->conn;
}

/* --- the statement interface (db.h) ------------------------------------------------------- */

static const struct db_backend lite_backend;

static int
lite_prepare_stmt(struct db *db, const char *sql, bool kept, struct stmt **out)
{
	struct lite_stmt *ls = calloc(1, sizeof(*ls));
	int src;

	if (ls == NULL)
		abort();
	src = sqlite3_prepare_v3(((struct sqlite_store *)db)->conn, sql, -1,
	                         kept ? SQLITE_PREPARE_PERSISTENT : 0, &ls->s, NULL);
	if (src != SQLITE_OK) {
		sqlite3_finalize(ls->s);
		free(ls);
		*out = NULL;
		return src;
	}
	ls->base.be = &lite_backend;
	*out = &ls->base;
	return 0;
}

static void
lite_bind_int64(struct stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(ls_of(s), i, v);
}

static void
lite_bind_null(struct stmt *s, int i)
{
	sqlite3_bind_null(ls_of(s), i);
}

static void
lite_bind_text(struct stmt *s, int i, const char *v, size_t len)
{
	sqlite3_bind_text64(ls_of(s), i, v, len, SQLITE_STATIC, SQLITE_UTF8);
}

static void
lite_bind_blob(struct stmt *s, int i, const void *v, size_t len)
{
	sqlite3_bind_blob64(ls_of(s), i, v, len, SQLITE_STATIC);
}

static int
lite_step(struct stmt *s)
{
	return sqlite3_step(ls_of(s));
}

static void
lite_reset(struct stmt *s)
{
	sqlite3_reset(ls_of(s));
}

static void
lite_clear(struct stmt *s)
{
	sqlite3_reset(ls_of(s));
	sqlite3_clear_bindings(ls_of(s));
}

static void
lite_finalize(struct stmt *s)
{
	sqlite3_finalize(ls_of(s));
	free(s);
}

static int64_t
lite_column_int64(struct stmt *s, int col)
{
	return sqlite3_column_int64(ls_of(s), col);
}

static const unsigned char *
lite_column_text(struct stmt *s, int col)
{
	return sqlite3_column_text(ls_of(s), col);
}

static const void *
lite_column_blob(struct stmt *s, int col)
{
	return sqlite3_column_blob(ls_of(s), col);
}

static size_t
lite_column_bytes(struct stmt *s, int col)
{
	return (size_t)sqlite3_column_bytes(ls_of(s), col);
}

static bool
lite_column_null(struct stmt *s, int col)
{
	return sqlite3_column_type(ls_of(s), col) == SQLITE_NULL;
}

/* The values in place: the benchmark times the same statements in the sqlite3 shell. */
static char *
lite_expanded(struct stmt *s)
{
	char *x = sqlite3_expanded_sql(ls_of(s)), *copy = x ? strdup(x) : NULL;

	sqlite3_free(x);
	return copy;
}

static int64_t
lite_changes(struct db *db)
{
	return sqlite3_changes64(((struct sqlite_store *)db)->conn);
}

static const char *
lite_errmsg(struct db *db)
{
	return sqlite3_errmsg(((struct sqlite_store *)db)->conn);
}

/* Whether the connection is inside a transaction (a failed statement may have rolled it back
 * by itself: store/sql/db.c db_savepoint). */
static bool
lite_in_transaction(struct db *db)
{
	return !sqlite3_get_autocommit(((struct sqlite_store *)db)->conn);
}

static const struct db_backend lite_backend = {
        .name = "sqlite",
        /* A writer takes the write lock at once; a reader's snapshot starts at its first
         * read. */
        .begin_read = "BEGIN DEFERRED",
        .begin_write = "BEGIN IMMEDIATE",
        .in_transaction = lite_in_transaction,
        .prepare = lite_prepare_stmt,
        .bind_int64 = lite_bind_int64,
        .bind_null = lite_bind_null,
        .bind_text = lite_bind_text,
        .bind_blob = lite_bind_blob,
        .step = lite_step,
        .reset = lite_reset,
        .clear = lite_clear,
        .finalize = lite_finalize,
        .column_int64 = lite_column_int64,
        .column_text = lite_column_text,
        .column_blob = lite_column_blob,
        .column_bytes = lite_column_bytes,
        .column_null = lite_column_null,
        .expanded = lite_expanded,
        .changes = lite_changes,
        .errmsg = lite_errmsg,
};

/* Every other connection's commits since this one opened: SQLite's data_version. */
static int
lite_blocks_version(struct store *st, int64_t *v)
{
	struct stmt *s;
	int rc = db_cached(st, "PRAGMA data_version", &s, "blocks_data_version");

	return rc != ST_OK ? rc : db_one_row(st, s, db_int64_read, v, "blocks_data_version");
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

	db_cleanup(&ls->db);
	sqlite3_close_v2(ls->conn);
	free(ls);
}

static void
lite_scan(struct store *st, bool on)
{
	char *err = NULL;

	if (sqlite3_exec(lite(st)->conn, on ? SCAN_CACHE_PRAGMA : READ_CACHE_PRAGMA, NULL, NULL,
	                 &err) != SQLITE_OK) {
		log_warn("event=sqlite_pragma error=\"%s\"", err ? err : "?");
		sqlite3_free(err);
	}
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
		 * migrations): the journal in memory would be as large. A group's pages stay in
		 * memory until its commit (cache_spill off), so that its log is written at once. */
		pragmas = "PRAGMA temp_store = MEMORY; PRAGMA cache_spill = OFF;";
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
	if (sqlite3_exec(ls->conn, pragmas, NULL, NULL, &err) != SQLITE_OK) {
		log_error("event=sqlite_pragma error=\"%s\"", err ? err : "?");
		sqlite3_free(err);
		return ST_STORE;
	}
	/* Every payment looks its keys up in the blocklist: the payments' connection keeps
	 * them in memory, to spare the look-up when none is there (risk.c). Its log is written
	 * in one system call a commit (wal_vfs.c), which cache_spill off allows. */
	if (use == STORE_USE_PAYMENTS) {
		int src = lite_wal_gather(ls->conn);

		if (src != SQLITE_OK)
			log_warn("event=sqlite_wal_gather error=\"%s\"", sqlite3_errstr(src));
		return db_blocks_start(st);
	}
	return ST_OK;
}

/* store_ops.checkpoint: SQLite's TRUNCATE checkpoint copies the log's pages into the database
 * file (waiting, through the busy timeout, for the readers of older snapshots) and cuts the
 * log to zero bytes, so none of its earlier page images stays in the file. */
static int
lite_checkpoint(struct store *st)
{
	struct sqlite_store *ls = lite(st);
	int src = sqlite3_wal_checkpoint_v2(ls->conn, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	return src == SQLITE_BUSY ? ST_BUSY : db_status(st, src, "checkpoint");
}

/* One server owns a SQLite database (docs/SCALING.md): every job is its own to run, and its
 * writers' transactions already take turns as wholes (BEGIN IMMEDIATE). */
static int
lite_lead(struct store *st, const char *job)
{
	(void)st;
	(void)job;
	return ST_OK;
}

static int
lite_serialize(struct store *st, const char *scope, const void *key, size_t len)
{
	(void)st;
	(void)scope;
	(void)key;
	(void)len;
	return ST_OK;
}

static int
lite_txn_lock(struct store *st, int64_t brand_id, int64_t id)
{
	(void)st;
	(void)brand_id;
	(void)id;
	return ST_OK;
}

/* SQLite's rows were updated in place during the load: nothing to compact. */
static int
lite_bulk_done(struct store *st)
{
	(void)st;
	return ST_OK;
}

/* A new row's rowid is the one after the largest: the n from there, for the file's one writer
 * inside its write transaction. */
static int
lite_txn_ids_take(struct store *st, int n, int64_t *ids)
{
	static const char sql[] = "SELECT coalesce(max(id), 0) FROM txn";
	struct stmt *s;
	int64_t last = 0;
	int rc = db_cached(st, sql, &s, "txn_ids_take");

	if (rc == ST_OK)
		rc = db_one_row(st, s, db_int64_read, &last, "txn_ids_take");
	for (int i = 0; rc == ST_OK && i < n; i++)
		ids[i] = last + 1 + i;
	return rc;
}

static const struct store_ops sqlite_ops = {
        .name = "sqlite",
        /* the connection: this file */
        .close = lite_close,
        .use_for = lite_use_for,
        .checkpoint = lite_checkpoint,
        .scan = lite_scan,
        .lead = lite_lead,
        .serialize = lite_serialize,
        .txn_lock = lite_txn_lock,
        .txn_ids_take = lite_txn_ids_take,
        .bulk_done = lite_bulk_done,
        DB_OPS_SHARED,
        /* txn.c: the inserts one by one */
        .txn_rows_write = db_txn_rows_write,
        /* txn_ref.c */
        .txn_ref_catch_up = lite_txn_ref_catch_up,
        /* backup.c */
        .schema_version = lite_schema_version,
        .backup_to = lite_backup_to,
        .integrity_check = lite_integrity_check,
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

	if (sqlite3_prepare_v2(ls->conn, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return db_status(&ls->db.base, STMT_ERROR, "migrate");
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
		if (sqlite3_exec(ls->conn, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(ls->conn, m->sql, NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(ls->conn, pragma, NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(ls->conn, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
			log_error("event=migration_failed name=%s error=\"%s\"", m->name,
			          err ? err : "?");
			sqlite3_free(err);
			sqlite3_exec(ls->conn, "ROLLBACK", NULL, NULL, NULL);
			rc = ST_STORE;
			break;
		}
		log_info("event=migration_applied name=%s", m->name);
	}
	return rc;
}

/* Once a process, before SQLite's first use: no global count of the memory SQLite holds.
 * The count takes a mutex every process thread shares at each of SQLite's allocations, and a
 * payment makes hundreds; nothing reads it (sqlite3_memory_used). */
static void
lite_configure(void)
{
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		log_warn("event=sqlite_config what=memstatus");
	lite_wal_vfs_install();
}

int
store_sqlite_open(const char *path, bool write, struct store **out)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	struct sqlite_store *ls;
	int flags = write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	int rc = ST_STORE;
	char *err = NULL;

	*out = NULL;
	pthread_once(&configured, lite_configure);
#ifdef GUICHET_FAULT_INJECTION
	lite_fault_install();
#endif
	ls = calloc(1, sizeof(*ls));
	if (ls == NULL)
		abort();
	ls->db.base.ops = &sqlite_ops;
	ls->db.be = &lite_backend;
	ls->db.blocks_version = lite_blocks_version;
	ls->db.side_tables = true;
	if (sqlite3_open_v2(path, &ls->conn, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("event=sqlite_open path=\"%s\" error=\"%s\"", path,
		          ls->conn ? sqlite3_errmsg(ls->conn) : "out of memory");
		goto fail;
	}
	sqlite3_create_function_v2(ls->conn, "guichet_business_day", 1,
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
	sqlite3_busy_handler(ls->conn, busy_wait, NULL);
	if (sqlite3_exec(ls->conn,
	                 write ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
	                         "PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384; "
	                         "PRAGMA secure_delete = ON;"
	                       : READ_CACHE_PRAGMA " PRAGMA query_only = 1;",
	                 NULL, NULL, &err) != SQLITE_OK) {
		log_error("event=sqlite_pragma error=\"%s\"", err ? err : "?");
		sqlite3_free(err);
		goto fail;
	}
	if (write && migrate(ls) != ST_OK)
		goto fail;
	*out = &ls->db.base;
	return ST_OK;
fail:
	lite_close(&ls->db.base);
	return rc;
}
