/*
 * migrations.h - the versioned schema migrations of each backend, embedded from sql/ at build
 * time (scripts/embed_sql.py), applied in order by store_open for writers (SQLite) and by
 * store_migrate.
 */
#ifndef GUICHET_MIGRATIONS_H
#define GUICHET_MIGRATIONS_H

struct migration {
	int version;      /* 1, 2, ... without gaps */
	const char *name; /* file name */
	const char *sql;
};

/* Terminated by an entry whose name is NULL. */
extern const struct migration sqlite_migrations[];
extern const struct migration pg_migrations[];

#endif
