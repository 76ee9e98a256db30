/*
 * store.c - chooses a backend for a database name. Today every name is a SQLite file path;
 * a "postgresql://" URI will select the PostgreSQL backend.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int
store_open(const char *path, bool write, struct store **out)
{
	return store_sqlite_open(path, write, out);
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
