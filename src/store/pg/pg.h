/*
 * pg.h - the PostgreSQL backend: its entry points for store.c (pg.c), its bulk rows
 * (pg_copy.c), and what its connection (pg.c) and its statements (pg_stmt.c) tell each other.
 */
#ifndef GUICHET_STORE_PG_H
#define GUICHET_STORE_PG_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/status.h"
#include "store/sql/db.h"

/* Whether db names a PostgreSQL database: a postgresql:// or postgres:// URI. */
bool pg_is_uri(const char *db);

/* Applies the migrations of sql/pg/ above the database's version (store_migrate). */
int pg_migrate(const char *conninfo, int *from, int *to) WUR;

/* Opens a connection to the database of conninfo, migrated first when write. */
int store_pg_open(const char *conninfo, bool write, struct store **out) WUR;

/* The most parameters a statement has (the transactions' insert: 40). */
#define PG_PARAMS_MAX 64

/* The PostgreSQL text of sql (the shared SQLite text, pg_stmt.c's header says what changes)
 * into out, *nparams the highest parameter: ST_OK, or ST_INVALID when it is too long or has
 * more than PG_PARAMS_MAX parameters. */
int pg_sql_rewrite(const char *sql, struct buf *out, int *nparams) WUR;

/* store_ops.txn_ids_take and txn_rows_write: the sequence's ids, and the rows copied
 * (pg_copy.c). */
int pg_txn_ids_take(struct store *st, int n, int64_t *ids);
int pg_txn_rows_write(struct store *st, const struct txn_row *rows, size_t n,
                      const struct history *h, size_t nh);

/* --- between pg.c and pg_stmt.c ---------------------------------------------------------------- */

struct pg_store;

/* The advisory lock every write transaction takes first (pg_stmt.c write_turn), beside the
 * migrations' 7165870001 (pg.c): a key of the application's own, as SQL. */
#define PG_WRITE_TURN_LOCK "7165870002"

PGconn *pg_conn(struct pg_store *pg);

/* The backend's statements (pg_stmt.c). */
const struct db_backend *pg_statements(void);

/* A reader's job that reads many rows once (store_ops.scan): its SELECTs go through a cursor,
 * FETCH_ROWS rows at a time, the next batch asked for before the rows of the last are read,
 * so that the server makes one while the job reads the other (an export's page). */
struct pg_stmt;
bool pg_scanning(struct pg_store *pg);
/* The statement whose FETCH is on its way (NULL: none), which the connection's next command
 * waits for: pg_fetch_settle reads its answer first, kept for its next step. */
struct pg_stmt **pg_fetching(struct pg_store *pg);
void pg_fetch_settle(struct pg_store *pg);

/* The step's code of r: 0 when it succeeded, else the error kept for errmsg and mapped
 * (STMT_CONSTRAINT for a constraint, STMT_BUSY for a serialization failure or a deadlock,
 * else STMT_ERROR). */
int pg_result_code(struct pg_store *pg, PGresult *r);

/* Keeps why for errmsg. */
void pg_error_set(struct pg_store *pg, const char *why);

/* A new name for a statement prepared on the server. Only a kept statement has one, and it
 * lives as long as the connection: its end drops them all. pg_generation counts the
 * connections made (a reconnection after the server dropped one, pg.c pg_revive): a name
 * given under another is gone from the server. */
void pg_statement_name(struct pg_store *pg, char *name, size_t cap);
unsigned pg_generation(struct pg_store *pg);

/* Sends a statement without waiting for its answer (libpq's pipeline mode): the one
 * prepared as name, or sql with its types (name NULL). 0, or a step's failure code (with the
 * answers of those sent before it read: pg_sent_wait). */
int pg_send(struct pg_store *pg, const char *name, const char *sql, int n, const Oid *types,
            const char *const *values, const int *lengths, const int *formats);

/* The statements pg_send sent whose answers are still to read. */
int pg_sent(struct pg_store *pg);

/* Reads the answers of the statements sent, in order, and leaves pipeline mode: 0 when each
 * succeeded, else the first failure's code (pg_result_code: the server skipped the ones
 * after it). The last one's answer goes to *last when last is not NULL (the caller clears
 * it; NULL when none came), else it is cleared. */
int pg_sent_wait(struct pg_store *pg, PGresult **last);

/* db_backend.revive: the connection made again when the server dropped it. */
int pg_revive(struct db *db);

/* The changes of the last command (PQcmdTuples), and what db.h's changes and errmsg read. */
void pg_changes_set(struct pg_store *pg, const char *tuples);
int64_t pg_changes(struct db *db);
const char *pg_errmsg(struct db *db);

#endif
