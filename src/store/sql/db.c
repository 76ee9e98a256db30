/*
 * db.c - what the operations in SQL share (db.h): the statement interface through each
 * statement's backend, the statements a connection keeps prepared, and the helpers that run
 * them, whichever the backend.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/sql/db.h"

/* --- the statement interface ----------------------------------------------------------------- */

void
stmt_bind_int64(struct stmt *s, int i, int64_t v)
{
	s->be->bind_int64(s, i, v);
}

void
stmt_bind_null(struct stmt *s, int i)
{
	s->be->bind_null(s, i);
}

void
stmt_bind_textn(struct stmt *s, int i, const char *v, size_t len)
{
	s->be->bind_text(s, i, v, len);
}

void
stmt_bind_blob(struct stmt *s, int i, const void *v, size_t len)
{
	s->be->bind_blob(s, i, v, len);
}

int
stmt_step(struct stmt *s)
{
	return s->be->step(s);
}

void
stmt_reset(struct stmt *s)
{
	s->be->reset(s);
}

void
stmt_finalize(struct stmt *s)
{
	if (s != NULL)
		s->be->finalize(s);
}

int64_t
stmt_int64(struct stmt *s, int col)
{
	return s->be->column_int64(s, col);
}

int
stmt_int(struct stmt *s, int col)
{
	return (int)s->be->column_int64(s, col);
}

const unsigned char *
stmt_text(struct stmt *s, int col)
{
	return s->be->column_text(s, col);
}

const void *
stmt_blob(struct stmt *s, int col)
{
	return s->be->column_blob(s, col);
}

size_t
stmt_bytes(struct stmt *s, int col)
{
	return s->be->column_bytes(s, col);
}

bool
stmt_is_null(struct stmt *s, int col)
{
	return s->be->column_null(s, col);
}

int64_t
db_changes(struct store *st)
{
	struct db *db = db_of(st);

	return db->be->changes(db);
}

struct db_blocks *
db_blocks(struct store *st)
{
	return &db_of(st)->blocks;
}

void
db_cleanup(struct db *db)
{
	for (int i = 0; i < DB_CACHED_SLOTS; i++)
		stmt_finalize(db->cached[i].s);
	memset(db->cached, 0, sizeof(db->cached));
	db->ncached = 0;
	bloom_free(&db->blocks.bloom);
}

/* --- the helpers ------------------------------------------------------------------------------- */

int
db_status(struct store *st, int src, const char *what)
{
	struct db *db = db_of(st);

	if (src == 0 || src == STMT_DONE || src == STMT_ROW)
		return ST_OK;
	if ((src & 0xff) == STMT_CONSTRAINT)
		return ST_CONFLICT;
	if ((src & 0xff) == STMT_BUSY)
		db->contended = true;
	log_error("event=%s_error op=%s code=%d error=\"%s\"", db->be->name, what, src,
	          db->be->errmsg(db));
	return ST_STORE;
}

int
db_step_logged(struct stmt *s)
{
	if (log_enabled(LOG_DEBUG)) {
		char *x = s->be->expanded(s);

		log_debug("event=sql sql=%s", x ? x : "?");
		free(x);
	}
	return s->be->step(s);
}

/* The first slot of sql's statement: Fibonacci hashing of its text's address. */
static size_t
cached_slot(const char *sql)
{
	return (size_t)(((uint64_t)(uintptr_t)sql * UINT64_C(0x9e3779b97f4a7c15)) >>
	                (64 - DB_CACHED_BITS));
}

int
db_cached(struct store *st, const char *sql, struct stmt **out, const char *what)
{
	struct db *db = db_of(st);
	size_t i = cached_slot(sql);
	int src;

	while (db->cached[i].sql != NULL && db->cached[i].sql != sql)
		i = (i + 1) & (DB_CACHED_SLOTS - 1);
	if (db->cached[i].sql == sql) {
		*out = db->cached[i].s;
		db->be->clear(*out);
		return ST_OK;
	}
	if (db->ncached >= DB_CACHED_SLOTS / 2) {
		log_error("event=statement_cache_full what=%s", what);
		return ST_INTERNAL;
	}
	src = db->be->prepare(db, sql, true, out);
	if (src != 0) {
		*out = NULL;
		return db_status(st, src, what);
	}
	db->cached[i].sql = sql;
	db->cached[i].s = *out;
	db->ncached++;
	return ST_OK;
}

int
db_prepare(struct store *st, const char *sql, struct stmt **s, const char *what)
{
	struct db *db = db_of(st);
	int src = db->be->prepare(db, sql, false, s);

	if (src != 0) {
		*s = NULL;
		return db_status(st, src, what);
	}
	return ST_OK;
}

int
db_run(struct store *st, struct stmt *s, const char *what)
{
	int rc = db_status(st, db_step_logged(s), what);

	stmt_reset(s);
	return rc;
}

int
db_insert(struct store *st, struct stmt *s, int64_t *id, const char *what)
{
	int rc = db_row_status(st, db_step_logged(s), what);

	if (rc == ST_OK)
		*id = stmt_int64(s, 0);
	stmt_reset(s);
	return rc;
}

int
db_run_once(struct store *st, struct stmt *s, const char *what)
{
	int rc = db_status(st, db_step_logged(s), what);

	stmt_finalize(s);
	return rc;
}

int
db_insert_once(struct store *st, struct stmt *s, int64_t *id, const char *what)
{
	int rc = db_insert(st, s, id, what);

	stmt_finalize(s);
	return rc;
}

int
db_run_ids(struct store *st, const char *sql, int64_t brand_id, int64_t id, int64_t v,
           const char *what)
{
	struct stmt *s;
	int rc = db_cached(st, sql, &s, what);

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, v);
	return db_run(st, s, what);
}

int
db_row_status(struct store *st, int src, const char *what)
{
	return src == STMT_ROW ? ST_OK : src == STMT_DONE ? ST_NOTFOUND : db_status(st, src, what);
}

int
db_one_row(struct store *st, struct stmt *s, void (*read)(struct stmt *, void *), void *out,
           const char *what)
{
	int src = db_step_logged(s), rc;

	if (src == STMT_ROW)
		read(s, out);
	rc = db_row_status(st, src, what);
	stmt_reset(s);
	return rc;
}

bool
db_next(struct store *st, struct stmt *s, int *rc, const char *what)
{
	int src;

	if (*rc != ST_OK)
		return false;
	src = stmt_step(s);
	if (src == STMT_ROW)
		return true;
	*rc = db_status(st, src, what);
	return false;
}

void
db_int64_read(struct stmt *s, void *out)
{
	*(int64_t *)out = stmt_int64(s, 0);
}

void
db_bool_read(struct stmt *s, void *out)
{
	*(bool *)out = stmt_int64(s, 0) != 0;
}

void
db_bind_text(struct stmt *s, int i, const char *v)
{
	stmt_bind_textn(s, i, v, strlen(v));
}

void
db_bind_id(struct stmt *s, int i, int64_t v)
{
	if (v == 0)
		stmt_bind_null(s, i);
	else
		stmt_bind_int64(s, i, v);
}

void
db_bind_opt_id(struct stmt *s, int i, int64_t v)
{
	if (v > 0)
		stmt_bind_int64(s, i, v);
}

void
db_bind_opt_text(struct stmt *s, int i, const char *v)
{
	if (v != NULL)
		db_bind_text(s, i, v);
}

void
db_text_copy(char *dst, size_t cap, struct stmt *s, int col)
{
	const unsigned char *t = stmt_text(s, col);
	size_t len = t ? stmt_bytes(s, col) : 0;

	if (len >= cap)
		len = cap - 1;
	if (len > 0)
		memcpy(dst, t, len);
	dst[len] = '\0';
}

/* --- transactions ---------------------------------------------------------------------------- */

/* Runs the kept statement sql of the connection's own, which returns no row. */
static int
exec_simple(struct store *st, const char *sql, const char *what)
{
	struct stmt *s;
	int rc = db_cached(st, sql, &s, what);

	return rc != ST_OK ? rc : db_run(st, s, what);
}

static const char commit_sql[] = "COMMIT";
static const char rollback_sql[] = "ROLLBACK";
static const char savepoint_sql[] = "SAVEPOINT job";
static const char release_sql[] = "RELEASE SAVEPOINT job";
static const char rollback_to_sql[] = "ROLLBACK TO SAVEPOINT job";

int
db_begin(struct store *st, bool write)
{
	struct db *db = db_of(st);
	const char *sql = write ? db->be->begin_write : db->be->begin_read;
	int rc;

	store_tally_clear(st);
	/* A connection the server dropped is made again between two transactions; the first
	 * BEGIN on one dropped while idle is what tells, so it is tried again once. */
	if (db->be->revive != NULL && db->be->revive(db) != ST_OK)
		return ST_STORE;
	rc = exec_simple(st, sql, "begin");
	if (rc != ST_OK && db->be->revive != NULL && db->be->revive(db) == ST_OK)
		rc = exec_simple(st, sql, "begin");
	if (rc == ST_OK && write && db->be->write_turn != NULL) {
		rc = exec_simple(st, db->be->write_turn, "write_turn");
		if (rc != ST_OK)
			(void)exec_simple(st, rollback_sql, "rollback");
	}
	db->open = rc == ST_OK;
	return rc;
}

int
db_commit(struct store *st)
{
	int rc = exec_simple(st, commit_sql, "commit");

	db_of(st)->open = false;
	if (rc == ST_OK)
		store_tally_commit(st);
	return rc;
}

void
db_rollback(struct store *st)
{
	struct db *db = db_of(st);

	store_tally_clear(st);
	db->open = false;
	if (db->be->in_transaction(db))
		(void)exec_simple(st, rollback_sql, "rollback");
}

int
db_savepoint(struct store *st)
{
	struct db *db = db_of(st);
	int rc;

	/* Only inside the caller's transaction. An I/O error in a statement (a full disk
	 * without a statement journal too) makes SQLite roll the whole transaction back by
	 * itself; a SAVEPOINT would then open a transaction of its own, which its RELEASE
	 * commits at once: the writer's next jobs would be written while their group fails and
	 * answers them "nothing was recorded" (work.c; tests/unit/test_work.c). */
	if (!db->be->in_transaction(db)) {
		log_error("event=%s_error op=savepoint error=\"no transaction: rolled back "
		          "after an earlier error\"",
		          db->be->name);
		return ST_STORE;
	}
	db->contended = false;
	rc = exec_simple(st, savepoint_sql, "savepoint");
	if (rc == ST_OK)
		store_tally_savepoint(st);
	return rc;
}

bool
db_contended(struct store *st)
{
	return db_of(st)->contended;
}

int
db_release(struct store *st)
{
	/* Released or not, what the savepoint wrote is the transaction's now, counts too. */
	store_tally_release(st);
	return exec_simple(st, release_sql, "release");
}

void
db_rollback_to(struct store *st)
{
	store_tally_rollback_to(st);
	/* ROLLBACK TO keeps the savepoint open: release it too. */
	if (exec_simple(st, rollback_to_sql, "rollback_to") == ST_OK)
		(void)exec_simple(st, release_sql, "release");
}
