/*
 * pg.c - the PostgreSQL backend (issue 13), so far its connection and its migrations
 * (store.h store_migrate): the database named by a libpq URI or connection string, the
 * versioned files of sql/pg/ applied in order, each in its own transaction with the row that
 * records it, under an advisory lock so that servers started together migrate once.
 *
 * The password is never on the command line (ps shows it): PGPASSWORD or ~/.pgpass give it,
 * and a connection string that carries one is refused before connecting.
 */
#include <errno.h>
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

int
pg_migrate(const char *conninfo, int *from, int *to)
{
	PGconn *c;
	bool password = false;
	int rc = password_given(conninfo, &password);

	*from = *to = 0;
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
	rc = migrate(c, from, to);
	PQfinish(c);
	return rc;
}
