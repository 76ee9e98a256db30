/*
 * backup.c - a consistent copy of the database while it is used (store.h backup_to,
 * integrity_check; docs/OPERATIONS.md "Backup and restore"): SQLite's online backup copies
 * every page in one step, inside one read transaction (WAL: the writers go on meanwhile, the
 * copy is the database as of its start), into a new file opened for writing; the connection
 * read may be read-only. The copy is then checked whole by the caller. And the schema's
 * version, for `guichetd migrate`.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "store/sqlite/lite.h"

int
lite_backup_to(struct store *st, const char *path)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int src, rc;

	src = sqlite3_open_v2(path, &dst,
	                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE |
	                              SQLITE_OPEN_NOMUTEX,
	                      NULL);
	if (src != SQLITE_OK) {
		log_error("event=backup_open_failed path=\"%s\" error=\"%s\"", path,
		          dst ? sqlite3_errmsg(dst) : sqlite3_errstr(src));
		sqlite3_close(dst);
		return ST_STORE;
	}
	b = sqlite3_backup_init(dst, "main", lite_conn(st), "main");
	if (b == NULL) {
		log_error("event=backup_failed error=\"%s\"", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return ST_STORE;
	}
	/* -1: every page in one step, so one read transaction sees one instant. */
	src = sqlite3_backup_step(b, -1);
	rc = src == STMT_DONE ? ST_OK : db_status(st, src, "backup_to");
	src = sqlite3_backup_finish(b);
	/* The copy is a file on its own, in rollback mode: no -wal or -shm beside it to carry
	 * along (the server that opens a restored copy takes it back to WAL). */
	if (rc == ST_OK && (src != SQLITE_OK || sqlite3_exec(dst, "PRAGMA journal_mode=DELETE",
	                                                     NULL, NULL, NULL) != SQLITE_OK)) {
		log_error("event=backup_failed error=\"%s\"", sqlite3_errmsg(dst));
		rc = ST_STORE;
	}
	if (sqlite3_close(dst) != SQLITE_OK && rc == ST_OK)
		rc = ST_STORE;
	return rc;
}

int
lite_integrity_check(struct store *st, char *why, size_t cap)
{
	struct stmt *s;
	int rc = db_prepare(st, "PRAGMA integrity_check", &s, "integrity_check");
	int src;

	why[0] = '\0';
	if (rc != ST_OK)
		return rc;
	/* One row "ok", or up to 100 rows that say what is wrong: the first is kept. */
	src = stmt_step(s);
	if (src == STMT_ROW) {
		db_text_copy(why, cap, s, 0);
		rc = strcmp(why, "ok") == 0 ? ST_OK : ST_INVALID;
	} else {
		rc = db_status(st, src, "integrity_check");
	}
	stmt_finalize(s);
	return rc;
}

int
lite_schema_version(struct store *st, int *version)
{
	struct stmt *s;
	int rc = db_prepare(st, "PRAGMA user_version", &s, "schema_version");

	*version = 0;
	if (rc != ST_OK)
		return rc;
	rc = db_row_status(st, stmt_step(s), "schema_version");
	if (rc == ST_OK)
		*version = stmt_int(s, 0);
	stmt_finalize(s);
	return rc;
}
