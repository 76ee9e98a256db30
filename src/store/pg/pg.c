/*
 * pg.c - the PostgreSQL backend's connection: the database named by a libpq URI or
 * connection string; its migrations (store.h store_migrate, and a writer's open), the
 * versioned files of sql/pg/ applied in order, each in its own transaction with the row that
 * records it, under an advisory lock so that servers started together migrate once; its
 * transactions and savepoints; and its table of operations, the SQL ones shared with SQLite
 * (store/sql/, run by pg_stmt.c).
 *
 * The password is never on the command line (ps shows it): PGPASSWORD or ~/.pgpass give it,
 * and a connection string that carries one is refused before connecting.
 */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/migrations.h"
#include "store/pg/pg.h"

/* The advisory lock of the migrations: a key of the application's own, as SQL. */
#define PG_MIGRATE_LOCK "7165870001"

/* The cluster-wide jobs one connection may lead (jobs/, the mailer, the notifier …). */
#define PG_LEAD_MAX 16

bool
pg_is_uri(const char *db)
{
	return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

/* Whether conninfo gives a password (a URI's user:password@, or password=…). */
static int
password_given(const char *conninfo, bool *given)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);

	*given = false;
	if (opts == NULL) {
		log_error("event=pg_bad_conninfo error=\"%s\"", err ? err : "out of memory");
		PQfreemem(err);
		return ST_INVALID;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
			*given = true;
	PQconninfoFree(opts);
	return ST_OK;
}

/* Runs sql (no parameter, no row wanted) on c: ST_OK, or ST_STORE logged as what. */
static int
exec_ok(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? ST_OK : ST_STORE;

	if (rc != ST_OK)
		log_error("event=pg_error op=%s error=\"%s\"", what, PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

/* The highest version applied (0: none) into *version. */
static int
version_read(PGconn *c, int *version)
{
	PGresult *r = PQexec(c, "SELECT coalesce(max(version), 0) FROM schema_migration");
	int rc = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? ST_OK : ST_STORE;
	char *end = NULL;
	long v = 0;

	if (rc == ST_OK) {
		errno = 0;
		v = strtol(PQgetvalue(r, 0, 0), &end, 10);
		if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX)
			rc = ST_STORE;
		*version = (int)v;
	}
	if (rc != ST_OK)
		log_error("event=pg_error op=schema_version error=\"%s\"", PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

/* Applies m in one transaction with its row. */
static int
apply(PGconn *c, const struct migration *m)
{
	char version[16];
	const char *params[2] = {version, m->name};
	PGresult *r;
	int rc = exec_ok(c, "BEGIN", "migrate");

	snprintf(version, sizeof(version), "%d", m->version);
	if (rc == ST_OK)
		rc = exec_ok(c, m->sql, m->name);
	if (rc == ST_OK) {
		r = PQexecParams(
		        c,
		        "INSERT INTO schema_migration(version, name, applied_at) VALUES "
		        "($1::bigint, $2, (extract(epoch FROM clock_timestamp()) * 1000000)"
		        "::bigint)",
		        2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			log_error("event=pg_error op=migrate error=\"%s\"",
			          PQresultErrorMessage(r));
			rc = ST_STORE;
		}
		PQclear(r);
	}
	if (rc == ST_OK)
		rc = exec_ok(c, "COMMIT", "migrate");
	if (rc != ST_OK) {
		log_error("event=migration_failed name=%s", m->name);
		PQclear(PQexec(c, "ROLLBACK"));
		return rc;
	}
	log_info("event=migration_applied name=%s", m->name);
	return ST_OK;
}

static int
migrate(PGconn *c, int *from, int *to)
{
	const struct migration *latest;
	int rc;

	for (latest = pg_migrations; latest[1].name != NULL; latest++)
		;
	rc = exec_ok(c, "SELECT pg_advisory_lock(" PG_MIGRATE_LOCK ")", "migrate");
	if (rc != ST_OK)
		return rc;
	rc = exec_ok(c,
	             "CREATE TABLE IF NOT EXISTS schema_migration (version bigint PRIMARY KEY, "
	             "name text NOT NULL, applied_at bigint NOT NULL)",
	             "migrate");
	if (rc == ST_OK)
		rc = version_read(c, from);
	if (rc == ST_OK && *from > latest->version) {
		log_error("event=database_too_new version=%d known=%d hint=\"a newer guichetd "
		          "migrated it: run that version, or restore the backup taken before\"",
		          *from, latest->version);
		rc = ST_STORE;
	}
	for (const struct migration *m = pg_migrations; rc == ST_OK && m->name != NULL; m++)
		if (m->version > *from)
			rc = apply(c, m);
	if (rc == ST_OK)
		rc = version_read(c, to);
	PQclear(PQexec(c, "SELECT pg_advisory_unlock(" PG_MIGRATE_LOCK ")"));
	return rc;
}

/* Notices (a table that exists already…) to the log at debug level, not to stderr. */
static void
notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("event=pg_notice message=\"%.*s\"", (int)strcspn(message, "\n"), message);
}

/* Connects to conninfo, refused when it carries a password. */
static int
pg_connect(const char *conninfo, PGconn **out)
{
	PGconn *c;
	bool password = false;
	int rc = password_given(conninfo, &password);

	*out = NULL;
	if (rc != ST_OK)
		return rc;
	if (password) {
		log_error(
		        "event=pg_password_in_conninfo hint=\"give it in PGPASSWORD or ~/.pgpass, "
		        "never on the command line\"");
		return ST_INVALID;
	}
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		log_error("event=pg_connect_failed error=\"%.*s\"",
		          (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
		PQfinish(c);
		return ST_STORE;
	}
	PQsetNoticeProcessor(c, notice, NULL);
	*out = c;
	return ST_OK;
}

int
pg_migrate(const char *conninfo, int *from, int *to)
{
	PGconn *c;
	int rc = pg_connect(conninfo, &c);

	*from = *to = 0;
	if (rc != ST_OK)
		return rc;
	rc = migrate(c, from, to);
	PQfinish(c);
	return rc;
}

/* --- the store ---------------------------------------------------------------------------- */

struct pg_store {
	struct db db; /* first: a struct store * is a struct pg_store * */
	PGconn *c;
	int64_t changes;
	unsigned names;      /* the statements prepared on the server so far */
	unsigned generation; /* the connections made again (pg_revive) */
	bool write;          /* opened to write: a reader's connection is read-only */
	bool down;           /* the last try to make it again failed (logged once) */
	/* The cluster-wide jobs this connection leads (their advisory locks, held until it
	 * ends): asked again, they answer at once. */
	int64_t led[PG_LEAD_MAX];
	int nled;
	int sent;                 /* statements sent ahead, their answers still to read (pg_send) */
	bool scan;                /* store_ops.scan: a reader's job that reads many rows once */
	struct pg_stmt *fetching; /* the statement whose cursor's FETCH is on its way */
	char err[512];
};

static struct pg_store *
pgs(struct store *st)
{
	return (struct pg_store *)st;
}

PGconn *
pg_conn(struct pg_store *pg)
{
	return pg->c;
}

bool
pg_scanning(struct pg_store *pg)
{
	return pg->scan;
}

struct pg_stmt **
pg_fetching(struct pg_store *pg)
{
	return &pg->fetching;
}

/* store_ops.scan: the SELECTs of the job read through a cursor, a batch ahead (pg_stmt.c). */
static void
pg_scan(struct store *st, bool on)
{
	pgs(st)->scan = on;
}

void
pg_error_set(struct pg_store *pg, const char *why)
{
	snprintf(pg->err, sizeof(pg->err), "%.*s", (int)strcspn(why, "\n"), why);
}

int
pg_result_code(struct pg_store *pg, PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);
	const char *state;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	pg_error_set(pg, r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(pg->c));
	state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state != NULL && strncmp(state, "23", 2) == 0)
		return STMT_CONSTRAINT;
	if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
		return STMT_BUSY;
	return STMT_ERROR;
}

/* --- statements sent ahead ------------------------------------------------------------------
 *
 * libpq's pipeline mode, entered only while statements are on their way: the connection is
 * otherwise as it always is (COPY, the locks' own statements, a reconnection). */

int
pg_send(struct pg_store *pg, const char *name, const char *sql, int n, const Oid *types,
        const char *const *values, const int *lengths, const int *formats)
{
	int ok;

	pg_fetch_settle(pg);
	if (PQpipelineStatus(pg->c) == PQ_PIPELINE_OFF && PQenterPipelineMode(pg->c) != 1) {
		pg_error_set(pg, PQerrorMessage(pg->c));
		return STMT_ERROR;
	}
	if (name != NULL)
		ok = PQsendQueryPrepared(pg->c, name, n, values, lengths, formats, 0);
	else
		ok = PQsendQueryParams(pg->c, sql, n, types, values, lengths, formats, 0);
	if (ok != 1) {
		int src;

		pg_error_set(pg, PQerrorMessage(pg->c));
		src = pg_sent_wait(pg, NULL); /* what went before it */
		return src != 0 ? src : STMT_ERROR;
	}
	pg->sent++;
	return 0;
}

int
pg_sent(struct pg_store *pg)
{
	return pg->sent;
}

int
pg_sent_wait(struct pg_store *pg, PGresult **last)
{
	int first = 0;
	PGresult *r;

	if (last != NULL)
		*last = NULL;
	if (PQpipelineStatus(pg->c) == PQ_PIPELINE_OFF)
		return 0;
	if (pg->sent > 0 && PQpipelineSync(pg->c) != 1) {
		pg_error_set(pg, PQerrorMessage(pg->c));
		first = STMT_ERROR;
	}
	for (int i = 0; i < pg->sent; i++) {
		r = PQgetResult(pg->c);
		if (r == NULL) { /* the connection lost: no answer will come */
			if (first == 0) {
				pg_error_set(pg, PQerrorMessage(pg->c));
				first = STMT_ERROR;
			}
			break;
		}
		/* After a failure the server skips the rest (PGRES_PIPELINE_ABORTED): the
		 * first failure is the one told, its message kept. */
		if (first == 0)
			first = pg_result_code(pg, r);
		if (last != NULL && i == pg->sent - 1)
			*last = r;
		else
			PQclear(r);
		PQclear(PQgetResult(pg->c)); /* the NULL that ends a statement's answers */
	}
	while ((r = PQgetResult(pg->c)) != NULL) { /* up to the sync's mark */
		bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;

		PQclear(r);
		if (sync)
			break;
	}
	pg->sent = 0;
	if (PQexitPipelineMode(pg->c) != 1 && first == 0) {
		pg_error_set(pg, PQerrorMessage(pg->c));
		first = STMT_ERROR;
	}
	return first;
}

void
pg_statement_name(struct pg_store *pg, char *name, size_t cap)
{
	snprintf(name, cap, "g%u", ++pg->names);
}

void
pg_changes_set(struct pg_store *pg, const char *tuples)
{
	pg->changes = tuples != NULL && tuples[0] != '\0' ? strtoll(tuples, NULL, 10) : 0;
}

unsigned
pg_generation(struct pg_store *pg)
{
	return pg->generation;
}

int
pg_revive(struct db *db)
{
	struct pg_store *pg = (struct pg_store *)db;

	if (PQstatus(pg->c) == CONNECTION_OK)
		return ST_OK;
	pg->sent = 0; /* gone with the connection; PQreset leaves pipeline mode */
	PQreset(pg->c);
	if (PQstatus(pg->c) != CONNECTION_OK ||
	    (!pg->write &&
	     exec_ok(pg->c, "SET default_transaction_read_only = on", "revive") != ST_OK)) {
		if (!pg->down)
			log_error(
			        "event=pg_connection_lost error=\"%.*s\" hint=\"made again at the "
			        "next transaction\"",
			        (int)strcspn(PQerrorMessage(pg->c), "\n"), PQerrorMessage(pg->c));
		pg->down = true;
		return ST_STORE;
	}
	/* What the server held for the old connection is gone with it: its prepared statements
	 * (pg_stmt.c prepares them again) and its advisory locks (the jobs it led are asked for
	 * again; another server may have taken them meanwhile). */
	pg->generation++;
	pg->nled = 0;
	pg->down = false;
	log_warn("event=pg_reconnected");
	return ST_OK;
}

int64_t
pg_changes(struct db *db)
{
	return ((struct pg_store *)db)->changes;
}

const char *
pg_errmsg(struct db *db)
{
	return ((struct pg_store *)db)->err;
}

static void
pg_close(struct store *st)
{
	struct pg_store *pg = pgs(st);

	db_cleanup(&pg->db);
	PQfinish(pg->c);
	free(pg);
}

/* The blocklist's count of changes for its filter (risk.c): the write transactions begun
 * here, so that its mark (block_gen, which every addition of any connection or server moves)
 * is read again once a transaction rather than once a payment. A key another server adds
 * while a transaction runs is seen from the next one: as if the payment had come a moment
 * earlier. */
static int
pg_blocks_version(struct store *st, int64_t *v)
{
	*v = pgs(st)->db.writes_begun;
	return ST_OK;
}

/* The server sizes its own caches. The payments' connection keeps the blocklist's keys in
 * memory, as SQLite's does (risk.c). */
static int
pg_use_for(struct store *st, enum store_use use)
{
	if (use != STORE_USE_PAYMENTS)
		return ST_OK;
	pgs(st)->db.blocks_version = pg_blocks_version;
	return db_blocks_start(st);
}

/* Nothing of what a row held stays in a file the server owns beyond its own vacuum and
 * WAL recycling, which an operator's settings govern (docs/OPERATIONS.md). */
static int
pg_checkpoint(struct store *st)
{
	(void)st;
	return ST_OK;
}

static int
pg_bulk_done(struct store *st)
{
	int rc = exec_ok(pgs(st)->c, "VACUUM FULL stats_daily", "bulk_done");

	return rc == ST_OK ? exec_ok(pgs(st)->c, "VACUUM (ANALYZE)", "bulk_done") : rc;
}

/* The database's full-text indexes are kept by PostgreSQL itself (pg_trgm). */
static int
pg_txn_ref_catch_up(struct store *st, int limit, int *done)
{
	(void)st;
	(void)limit;
	*done = 0;
	return ST_OK;
}

static int
pg_schema_version(struct store *st, int *version)
{
	return version_read(pgs(st)->c, version);
}

static int
pg_backup_to(struct store *st, const char *path)
{
	(void)st;
	(void)path;
	log_error("event=backup_refused hint=\"a PostgreSQL database is backed up with pg_dump "
	          "or by its base backups and WAL archive (docs/OPERATIONS.md)\"");
	return ST_INVALID;
}

static int
pg_integrity_check(struct store *st, char *why, size_t cap)
{
	(void)st;
	snprintf(why, cap, "not checked: PostgreSQL checks its own pages");
	return ST_INVALID;
}

/* The advisory lock's key of (scope, key): FNV-1a of both, 64 bits. Two different pairs that
 * meet only make one wait for the other. */
static int64_t
lock_key(const char *scope, const void *key, size_t len)
{
	uint64_t h = 14695981039346656037u;
	const unsigned char *p = (const unsigned char *)scope;

	for (size_t i = 0; i <= strlen(scope); i++) /* the NUL too: ("ab","c") is not ("a","bc") */
		h = (h ^ p[i]) * 1099511628211u;
	p = key;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211u;
	return (int64_t)h;
}

/* Runs a locking SELECT of one or two bigints on the connection: ST_OK with *yes the boolean
 * its one row says (true for a function that returns nothing, or no row), or ST_STORE logged
 * as what. */
static int
lock_call(struct pg_store *pg, const char *sql, int n, int64_t a, int64_t b, bool *yes,
          const char *what)
{
	char v[2][24];
	const char *values[2] = {v[0], v[1]};
	PGresult *r = NULL;
	int rc;

	snprintf(v[0], sizeof(v[0]), "%" PRId64, a);
	snprintf(v[1], sizeof(v[1]), "%" PRId64, b);
	pg_fetch_settle(pg);
	/* With the statements sent ahead, as any statement whose answer is needed. */
	if (pg->sent > 0) {
		rc = pg_send(pg, NULL, sql, n, NULL, values, NULL, NULL);
		rc = rc != 0 ? rc : pg_sent_wait(pg, &r);
	} else {
		r = PQexecParams(pg->c, sql, n, NULL, values, NULL, NULL, 0);
		rc = pg_result_code(pg, r);
	}
	rc = rc == 0 ? ST_OK : ST_STORE;
	if (rc == ST_OK)
		*yes = PQntuples(r) != 1 || PQgetisnull(r, 0, 0) || PQgetvalue(r, 0, 0)[0] == 't';
	else
		log_error("event=pg_error op=%s error=\"%s\"", what, pg->err);
	PQclear(r);
	return rc;
}

static int
pg_lead(struct store *st, const char *job)
{
	struct pg_store *pg = pgs(st);
	int64_t key = lock_key("lead", job, strlen(job));
	bool taken = false;
	int rc;

	/* Asked outside a transaction (the mailer's, the notifier's, the scheduler's rounds),
	 * a dropped connection is made again here, as a BEGIN would. */
	rc = pg->db.open ? ST_OK : pg_revive(&pg->db);
	if (rc != ST_OK)
		return rc;
	for (int i = 0; i < pg->nled; i++)
		if (pg->led[i] == key)
			return ST_OK;
	if (pg->nled == PG_LEAD_MAX)
		abort(); /* a job list grown past the array: a programming error */
	rc = lock_call(pg, "SELECT pg_try_advisory_lock($1::bigint)", 1, key, 0, &taken, "lead");
	if (rc != ST_OK)
		return rc;
	if (!taken)
		return ST_BUSY;
	pg->led[pg->nled++] = key;
	log_info("event=job_lead job=%s", job);
	return ST_OK;
}

static int
pg_serialize(struct store *st, const char *scope, const void *key, size_t len)
{
	bool yes;

	return lock_call(pgs(st), "SELECT pg_advisory_xact_lock($1::bigint)", 1,
	                 lock_key(scope, key, len), 0, &yes, "serialize");
}

static int
pg_txn_lock(struct store *st, int64_t brand_id, int64_t id)
{
	bool yes;

	return lock_call(pgs(st),
	                 "SELECT true FROM txn WHERE brand_id = $1::bigint AND "
	                 "id = $2::bigint FOR UPDATE",
	                 2, brand_id, id, &yes, "txn_lock");
}

static const struct store_ops pg_ops = {
        .name = "pg",
        /* the connection: this file */
        .close = pg_close,
        .use_for = pg_use_for,
        .checkpoint = pg_checkpoint,
        .lead = pg_lead,
        .serialize = pg_serialize,
        .txn_lock = pg_txn_lock,
        .scan = pg_scan,
        DB_OPS_SHARED,
        /* pg_copy.c */
        .txn_ids_take = pg_txn_ids_take,
        .bulk_done = pg_bulk_done,
        .txn_rows_write = pg_txn_rows_write,
        .txn_ref_catch_up = pg_txn_ref_catch_up,
        .schema_version = pg_schema_version,
        .backup_to = pg_backup_to,
        .integrity_check = pg_integrity_check,
};

int
store_pg_open(const char *conninfo, bool write, struct store **out)
{
	struct pg_store *pg;
	PGconn *c;
	int from, to;
	int rc = pg_connect(conninfo, &c);

	*out = NULL;
	if (rc != ST_OK)
		return rc;
	if (write)
		rc = migrate(c, &from, &to);
	else
		rc = exec_ok(c, "SET default_transaction_read_only = on", "open");
	if (rc != ST_OK) {
		PQfinish(c);
		return rc;
	}
	pg = calloc(1, sizeof(*pg));
	if (pg == NULL)
		abort();
	pg->c = c;
	pg->write = write;
	pg->db.base.ops = &pg_ops;
	pg->db.be = pg_statements();
	*out = &pg->db.base;
	return ST_OK;
}
