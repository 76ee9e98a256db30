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
	for (int i = 0; i < DB_TEXT_SLOTS; i++) {
		stmt_finalize(db->texts[i].s);
		free(db->texts[i].sql);
	}
	memset(db->texts, 0, sizeof(db->texts));
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

static void
stmt_log(struct stmt *s)
{
	if (log_enabled(LOG_DEBUG)) {
		char *x = s->be->expanded(s);

		log_debug("event=sql sql=%s", x ? x : "?");
		free(x);
	}
}

int
db_step_logged(struct stmt *s)
{
	stmt_log(s);
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
db_prepare_text(struct store *st, const char *sql, struct stmt **out, const char *what)
{
	struct db *db = db_of(st);
	int slot = 0, src;

	for (int i = 0; i < DB_TEXT_SLOTS; i++) {
		if (db->texts[i].sql != NULL && strcmp(db->texts[i].sql, sql) == 0) {
			db->texts[i].used = ++db->texts_used;
			*out = db->texts[i].s;
			db->be->clear(*out);
			return ST_OK;
		}
		if (db->texts[i].used < db->texts[slot].used)
			slot = i; /* the least recently used, or a free one (0) */
	}
	src = db->be->prepare(db, sql, false, out);
	if (src != 0) {
		*out = NULL;
		return db_status(st, src, what);
	}
	stmt_finalize(db->texts[slot].s);
	free(db->texts[slot].sql);
	db->texts[slot].sql = strdup(sql);
	if (db->texts[slot].sql == NULL)
		abort();
	db->texts[slot].s = *out;
	db->texts[slot].used = ++db->texts_used;
	return ST_OK;
}

void
db_text_done(struct store *st, struct stmt *s)
{
	if (s != NULL)
		db_of(st)->be->reset(s);
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
db_run_ahead(struct store *st, struct stmt *s, const char *what)
{
	int rc;

	/* Only inside a transaction, whose end reads every answer: a statement sent ahead
	 * outside one could wait unsent until the connection closes. */
	if (s->be->send_ahead == NULL || !db_of(st)->open)
		return db_run(st, s, what);
	stmt_log(s);
	rc = db_status(st, s->be->send_ahead(s), what);
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

static int
run_ids(struct store *st, const char *sql, int64_t brand_id, int64_t id, int64_t v,
        const char *what, bool ahead)
{
	struct stmt *s;
	int rc = db_cached(st, sql, &s, what);

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, v);
	return ahead ? db_run_ahead(st, s, what) : db_run(st, s, what);
}

int
db_run_ids(struct store *st, const char *sql, int64_t brand_id, int64_t id, int64_t v,
           const char *what)
{
	return run_ids(st, sql, brand_id, id, v, what, false);
}

int
db_run_ids_ahead(struct store *st, const char *sql, int64_t brand_id, int64_t id, int64_t v,
                 const char *what)
{
	return run_ids(st, sql, brand_id, id, v, what, true);
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

/* --- held for the commit (struct db_held) ---------------------------------------------------- */

static void
held_clear(struct db *db)
{
	db->held.ntouch = db->held.depth = db->held.nsettings = 0;
}

static int
touch_cmp(const void *a, const void *b)
{
	const struct db_touch *x = a, *y = b;

	if (x->brand_id != y->brand_id)
		return x->brand_id < y->brand_id ? -1 : 1;
	if (x->contract_id != y->contract_id)
		return x->contract_id < y->contract_id ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

/* The UPDATE keeps the latest: a touch written at once (a savepoint too deep, the list full)
 * and the ones held may reach the row in any order. */
static const char touch_sql[] =
        "UPDATE contract SET last_auth_at = ?3 WHERE brand_id = ?1 AND id = ?2 AND "
        "(last_auth_at IS NULL OR last_auth_at < ?3)";

static int
touch_write(struct store *st, const struct db_touch *t)
{
	return db_run_ids_ahead(st, touch_sql, t->brand_id, t->contract_id, t->at,
	                        "contract_touch_auth");
}

/* Writes the touches held, each contract's latest, in the order of their keys (two servers'
 * writers then take the rows they share in one order). */
static int
touches_write(struct store *st)
{
	struct db_held *h = &db_of(st)->held;
	int rc = ST_OK;

	qsort(h->touch, (size_t)h->ntouch, sizeof(h->touch[0]), touch_cmp);
	for (int i = 0; rc == ST_OK && i < h->ntouch; i++)
		if (i + 1 == h->ntouch || h->touch[i].brand_id != h->touch[i + 1].brand_id ||
		    h->touch[i].contract_id != h->touch[i + 1].contract_id)
			rc = touch_write(st, &h->touch[i]);
	h->ntouch = 0;
	return rc;
}

/* Where the touches of the innermost savepoint (or of the transaction, outside any) begin. */
static int
held_base(const struct db_held *h)
{
	return h->depth == 0 ? 0 : h->mark[h->depth - 1];
}

/* One touch a contract from the innermost level's start on, the latest: what a rollback to
 * a savepoint would take back together. */
static void
touches_fold(struct db_held *h)
{
	int base = held_base(h), n = base;

	for (int i = base; i < h->ntouch; i++) {
		int j = base;

		while (j < n && (h->touch[j].brand_id != h->touch[i].brand_id ||
		                 h->touch[j].contract_id != h->touch[i].contract_id))
			j++;
		if (j == n)
			h->touch[n++] = h->touch[i];
		else if (h->touch[i].at > h->touch[j].at)
			h->touch[j].at = h->touch[i].at;
	}
	h->ntouch = n;
}

int
db_touch_hold(struct store *st, int64_t brand_id, int64_t contract_id, int64_t at)
{
	struct db *db = db_of(st);
	struct db_held *h = &db->held;
	struct db_touch t = {brand_id, contract_id, at};

	if (!db->open || h->depth > STORE_TALLY_DEPTH || h->ntouch == DB_TOUCHES)
		return touch_write(st, &t);
	h->touch[h->ntouch++] = t;
	touches_fold(h);
	return ST_OK;
}

const struct shop_settings *
db_settings_held(struct store *st, int64_t brand_id, int64_t shop_id)
{
	struct db_held *h = &db_of(st)->held;

	for (int i = 0; i < h->nsettings; i++)
		if (h->settings[i].brand_id == brand_id && h->settings[i].shop_id == shop_id)
			return &h->settings[i];
	return NULL;
}

void
db_settings_keep(struct store *st, const struct shop_settings *s)
{
	struct db *db = db_of(st);
	struct db_held *h = &db->held;

	if (!db->open)
		return;
	if (h->nsettings == DB_SETTINGS_KEPT)
		h->nsettings = 0; /* a transaction of many shops: read again, as before */
	h->settings[h->nsettings++] = *s;
}

void
db_settings_forget(struct store *st)
{
	db_of(st)->held.nsettings = 0;
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
	held_clear(db);
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
	if (db->open && write)
		db->writes_begun++;
	return rc;
}

int
db_commit(struct store *st)
{
	struct db *db = db_of(st);
	int rc = touches_write(st);

	if (rc == ST_OK)
		rc = exec_simple(st, commit_sql, "commit");
	db->open = false;
	held_clear(db);
	if (rc == ST_OK)
		store_tally_commit(st);
	return rc;
}

void
db_rollback(struct store *st)
{
	struct db *db = db_of(st);

	store_tally_clear(st);
	held_clear(db);
	db->open = false;
	if (db->be->in_transaction(db))
		(void)exec_simple(st, rollback_sql, "rollback");
}

int
db_savepoint(struct store *st)
{
	struct db *db = db_of(st);
	struct stmt *s;
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
	rc = db_cached(st, savepoint_sql, &s, "savepoint");
	if (rc == ST_OK)
		rc = db_run_ahead(st, s, "savepoint");
	if (rc == ST_OK) {
		store_tally_savepoint(st);
		if (db->held.depth < STORE_TALLY_DEPTH)
			db->held.mark[db->held.depth] = db->held.ntouch;
		db->held.depth++;
	}
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
	struct db *db = db_of(st);

	/* Released or not, what the savepoint wrote is the transaction's now, counts too. */
	store_tally_release(st);
	if (db->held.depth > 0 && --db->held.depth <= STORE_TALLY_DEPTH)
		touches_fold(&db->held); /* the job's join the transaction's */
	return exec_simple(st, release_sql, "release");
}

void
db_rollback_to(struct store *st)
{
	struct db *db = db_of(st);

	store_tally_rollback_to(st);
	/* What the job held goes with it; the settings it read may be what it wrote. */
	if (db->held.depth > 0 && --db->held.depth < STORE_TALLY_DEPTH)
		db->held.ntouch = db->held.mark[db->held.depth];
	db->held.nsettings = 0;
	/* ROLLBACK TO keeps the savepoint open: release it too. */
	if (exec_simple(st, rollback_to_sql, "rollback_to") == ST_OK)
		(void)exec_simple(st, release_sql, "release");
}
