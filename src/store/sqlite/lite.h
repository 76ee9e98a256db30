/*
 * lite.h - the SQLite backend's own: its connection (store_sqlite.c), the transactions'
 * indexer tables (txn_ref.c), its backup (backup.c) and a test build's
 * storage faults (fault_vfs.c). The operations in SQL both backends run are in ../sql/.
 */
#ifndef GUICHET_STORE_LITE_H
#define GUICHET_STORE_LITE_H

#include <sqlite3.h>

#include "store/sql/db.h"

/* The connection of a SQLite store. */
sqlite3 *lite_conn(struct store *st);

/* store_ops.txn_ref_catch_up (txn_ref.c). */
int lite_txn_ref_catch_up(struct store *st, int limit, int *done);

/* store_ops.schema_version, backup_to and integrity_check (backup.c). */
int lite_schema_version(struct store *st, int *version);
int lite_backup_to(struct store *st, const char *path);
int lite_integrity_check(struct store *st, char *why, size_t cap);

/* wal_vfs.c: the VFS that gathers a connection's writes to its write-ahead log into one
 * system call a commit, made SQLite's default once, before the first connection opens; and
 * a connection's asking for it (its log open: after its first transaction), SQLITE_OK or
 * SQLite's code. The connection must never spill pages before a commit (cache_spill off). */
#define LITE_FCNTL_GATHER 0x47570001 /* an application's file control: above SQLite's own */
void lite_wal_vfs_install(void);
int lite_wal_gather(sqlite3 *conn);

#ifdef GUICHET_FAULT_INJECTION
/* A test build's storage faults (fault_vfs.c): makes the fault VFS SQLite's default, once,
 * before the first connection opens. */
void lite_fault_install(void);
#endif

#endif
