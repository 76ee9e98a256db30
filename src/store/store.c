/*
 * store.c - chooses a backend for a database name: a SQLite file path, or a "postgresql://"
 * URI for the PostgreSQL backend, which so far applies its migrations only (issue 13).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "store/pg/pg.h"
#include "store/store.h"

int
store_open(const char *path, bool write, struct store **out)
{
	if (pg_is_uri(path)) {
		log_error(
		        "event=pg_not_served hint=\"the PostgreSQL backend applies its migrations "
		        "(guichetd migrate) but does not serve yet: use a SQLite file\"");
		return ST_INVALID;
	}
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
