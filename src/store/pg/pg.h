/*
 * pg.h - the PostgreSQL backend's entry points, for store.c only (issue 13; so far the
 * migrations).
 */
#ifndef GUICHET_STORE_PG_H
#define GUICHET_STORE_PG_H

#include <stdbool.h>

#include "common/status.h"

/* Whether db names a PostgreSQL database: a postgresql:// or postgres:// URI. */
bool pg_is_uri(const char *db);

/* Applies the migrations of sql/pg/ above the database's version (store_migrate). */
int pg_migrate(const char *conninfo, int *from, int *to) WUR;

#endif
