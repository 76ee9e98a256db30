/*
 * store.c - chooses a backend for a database name: a SQLite file path, or a "postgresql://"
 * URI for the PostgreSQL backend; the claim of guichetd serve on a SQLite file. And what
 * every backend shares: the counts tied to a transaction (store.h, struct store_tally).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/log.h"
#include "store/pg/pg.h"
#include "store/store.h"

int
store_open(const char *path, bool write, struct store **out)
{
	if (pg_is_uri(path))
		return store_pg_open(path, write, out);
	return store_sqlite_open(path, write, out);
}

int
store_migrate(const char *db, int *from, int *to)
{
	struct store *st = NULL;
	int rc;

	if (pg_is_uri(db))
		return pg_migrate(db, from, to);
	/* SQLite applies them when a writer opens it; a new file starts from nothing. */
	*from = *to = 0;
	rc = access(db, F_OK) == 0 ? store_sqlite_open(db, false, &st) : ST_OK;
	if (rc == ST_OK && st != NULL)
		rc = st->ops->schema_version(st, from);
	store_close(st);
	st = NULL;
	if (rc == ST_OK)
		rc = store_sqlite_open(db, true, &st);
	if (rc == ST_OK)
		rc = st->ops->schema_version(st, to);
	store_close(st);
	return rc;
}

bool
store_is_server(const char *db)
{
	return pg_is_uri(db);
}

int
store_serve_claim(const char *db, int *fd)
{
	char path[4200];

	*fd = -1;
	if (store_is_server(db))
		return ST_OK;
	snprintf(path, sizeof(path), "%s.lock", db);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		log_error("event=serve_lock_failed path=%s error=\"%s\"", path, strerror(errno));
		return ST_STORE;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		log_error("event=database_served_elsewhere path=%s hint=\"another guichetd serves "
		          "this SQLite database: one server per file; several servers share a "
		          "PostgreSQL database (docs/SCALING.md)\"",
		          db);
		close(*fd);
		*fd = -1;
		return ST_BUSY;
	}
	return ST_OK;
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

void
page_theme_cleanup(struct page_theme *t)
{
	free(t->logo);
	t->logo = NULL;
	t->logo_len = 0;
}

/* The committed totals of every connection of the process. */
static _Atomic uint64_t tally_totals[STORE_TALLY_SLOTS];

void
store_tally_add(struct store *st, unsigned slot)
{
	if (slot < STORE_TALLY_SLOTS)
		st->tally.n[slot]++;
}

uint64_t
store_tally_total(unsigned slot)
{
	return slot < STORE_TALLY_SLOTS
	               ? atomic_load_explicit(&tally_totals[slot], memory_order_relaxed)
	               : 0;
}

void
store_tally_clear(struct store *st)
{
	memset(st->tally.n, 0, sizeof(st->tally.n));
	st->tally.depth = 0;
}

void
store_tally_savepoint(struct store *st)
{
	struct store_tally *t = &st->tally;

	if (t->depth < STORE_TALLY_DEPTH)
		memcpy(t->mark[t->depth], t->n, sizeof(t->n));
	t->depth++;
}

void
store_tally_release(struct store *st)
{
	if (st->tally.depth > 0)
		st->tally.depth--;
}

void
store_tally_rollback_to(struct store *st)
{
	struct store_tally *t = &st->tally;

	if (t->depth == 0)
		return;
	t->depth--;
	if (t->depth < STORE_TALLY_DEPTH)
		memcpy(t->n, t->mark[t->depth], sizeof(t->n));
}

void
store_tally_commit(struct store *st)
{
	for (size_t i = 0; i < STORE_TALLY_SLOTS; i++)
		if (st->tally.n[i] != 0)
			atomic_fetch_add_explicit(&tally_totals[i], st->tally.n[i],
			                          memory_order_relaxed);
	store_tally_clear(st);
}
