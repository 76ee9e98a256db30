/*
 * pg_stmt.c - the PostgreSQL backend's statements (store/sql/db.h, struct db_backend): the SQL
 * the operations share, rewritten for PostgreSQL once when it is prepared, its parameters
 * bound, run through libpq, and its rows read.
 *
 * The rewrite, outside quotes: ?N becomes $N (a bare ? the next number, as SQLite counts);
 * SQLite's planner hints (INDEXED BY name, NOT INDEXED, CROSS JOIN's order) go; instr
 * becomes strpos, and the table user users ("user" is reserved in PostgreSQL). LIKE stays:
 * the shared SQL writes lower(x) LIKE lower(?) where case is ignored, which SQLite's LIKE
 * does anyway and a b-tree on lower(x) serves. tests/unit/test_pg_rewrite.c holds each rule.
 *
 * A kept statement (db_cached) is prepared on the server at its first run, its parameters
 * typed by what was bound then (an integer bigint, a blob bytea, a text or NULL left to
 * the server to infer), and run by name after; another is sent with its parameters each
 * time. The whole result is read at the first step: a walk's callback may run statements
 * of its own on the same connection.
 *
 * But in a reader's job that reads many rows once (store_ops.scan, an export's page), where the
 * whole page read first and then written left the server and the reader each waiting on the
 * other: there a SELECT goes through a cursor (DECLARE … CURSOR FOR it, its parameters bound
 * as ever), FETCH_ROWS rows at a time, the next FETCH sent before the rows of the last are
 * read. Another command on the connection meanwhile (a walk's callback's, the transaction's
 * end) first reads that FETCH's answer, kept for the cursor's next step (pg_fetch_settle).
 * The cursor ends with the read transaction.
 */
#include <ctype.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "store/pg/pg.h"

#define OID_BYTEA 17
#define OID_INT8  20

#define PARAMS_MAX PG_PARAMS_MAX
#define FETCH_ROWS 1000 /* a cursor's batch (store_ops.scan) */

struct pg_param {
	bool set; /* bound (not NULL) */
	Oid type;
	int format; /* 0 text, 1 binary */
	char *value;
	size_t len;
};

struct pg_stmt {
	struct stmt base;
	struct pg_store *pg;
	char *sql; /* rewritten */
	int nparams;
	bool kept;
	char name[16]; /* on the server, once prepared ("" before) */
	unsigned gen;  /* the connection's generation it was prepared under */
	struct pg_param p[PARAMS_MAX];
	PGresult *res;
	int row; /* the row the columns read: the step's */
	/* The row's bytea columns decoded, by column: valid until the next step. */
	unsigned char **blob;
	size_t *blob_len;
	int ncols;
	/* Read through a cursor (store_ops.scan): its name ("" when not), its FETCH on its way,
	 * the batch that FETCH brought (read before its turn by pg_fetch_settle) or its failure,
	 * and whether the batch in res is the cursor's last. */
	char cursor[16];
	bool fetch_sent;
	PGresult *next;
	int failed;
	bool last;
};

static const struct db_backend pg_backend;

static struct pg_stmt *
ps(struct stmt *s)
{
	return (struct pg_stmt *)s;
}

/* --- the rewrite ------------------------------------------------------------------------------ */

static bool
word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Whether sql at i starts the word w (case as written), as a whole word. */
static bool
word_at(const char *sql, size_t i, const char *w)
{
	size_t n = strlen(w);

	return strncmp(sql + i, w, n) == 0 && (i == 0 || !word_char(sql[i - 1])) &&
	       !word_char(sql[i + n]) && (i == 0 || sql[i - 1] != '.');
}

int
pg_sql_rewrite(const char *sql, struct buf *out, int *nparams)
{
	int next = 0;
	char quote = 0;
	char num[16];

	*nparams = 0;
	for (size_t i = 0; sql[i] != '\0'; i++) {
		char c = sql[i];

		if (quote != 0) {
			if (c == quote)
				quote = 0;
			buf_add(out, &c, 1);
			continue;
		}
		if (c == '\'' || c == '"') {
			quote = c;
			buf_add(out, &c, 1);
		} else if (c == '?') {
			int n;

			if (isdigit((unsigned char)sql[i + 1])) {
				n = (int)strtol(sql + i + 1, NULL, 10);
				while (isdigit((unsigned char)sql[i + 1]))
					i++;
			} else {
				n = next + 1;
			}
			if (n > next)
				next = n;
			snprintf(num, sizeof(num), "$%d", n);
			buf_adds(out, num);
		} else if (word_at(sql, i, "INDEXED") && strncmp(sql + i, "INDEXED BY ", 11) == 0) {
			i += 11;
			while (word_char(sql[i]))
				i++;
			i += sql[i] == ' ' ? 0 : -1; /* and the space after it */
		} else if (word_at(sql, i, "NOT") && strncmp(sql + i, "NOT INDEXED", 11) == 0 &&
		           !word_char(sql[i + 11])) {
			i += sql[i + 11] == ' ' ? 11 : 10;
		} else if (word_at(sql, i, "CROSS") && strncmp(sql + i, "CROSS JOIN ", 11) == 0) {
			i += 5; /* SQLite's join order kept, an inner join all the same */
		} else if (word_at(sql, i, "instr")) {
			buf_adds(out, "strpos");
			i += 4;
		} else if (word_at(sql, i, "user")) {
			buf_adds(out, "users");
			i += 3;
		} else {
			buf_add(out, &c, 1);
		}
	}
	*nparams = next;
	return out->failed || next > PG_PARAMS_MAX ? ST_INVALID : ST_OK;
}

/* --- the statement ---------------------------------------------------------------------------- */

static int
pg_prepare(struct db *db, const char *sql, bool kept, struct stmt **out)
{
	struct pg_stmt *s = calloc(1, sizeof(*s));
	struct buf text;

	if (s == NULL)
		abort();
	buf_init(&text, 1 << 20);
	if (pg_sql_rewrite(sql, &text, &s->nparams) != ST_OK) {
		pg_error_set((struct pg_store *)db, "statement too long or too many parameters");
		buf_cleanup(&text);
		free(s);
		*out = NULL;
		return STMT_ERROR;
	}
	s->sql = buf_take(&text);
	s->base.be = &pg_backend;
	s->pg = (struct pg_store *)db;
	s->kept = kept;
	*out = &s->base;
	return 0;
}

/* Parameter i of s cleared: unbound (NULL). NULL when s has no parameter i: a value bound
 * there is ignored, as SQLite ignores it (db_run_ids binds ?3 to statements without one). */
static struct pg_param *
param(struct stmt *s, int i)
{
	struct pg_stmt *p = ps(s);

	if (i < 1 || i > p->nparams)
		return NULL;
	free(p->p[i - 1].value);
	memset(&p->p[i - 1], 0, sizeof(p->p[i - 1]));
	return &p->p[i - 1];
}

/* Binds a copy of the len bytes of v (NUL-terminated, for the text format) as parameter i. */
static void
param_copy(struct stmt *s, int i, Oid type, int format, const void *v, size_t len)
{
	struct pg_param *q = param(s, i);

	if (q == NULL)
		return;
	q->value = malloc(len + 1);
	if (q->value == NULL)
		abort();
	if (len > 0)
		memcpy(q->value, v, len);
	q->value[len] = '\0';
	q->len = len;
	q->set = true;
	q->type = type;
	q->format = format;
}

static void
pg_bind_int64(struct stmt *s, int i, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	param_copy(s, i, OID_INT8, 0, num, (size_t)n);
}

static void
pg_bind_null(struct stmt *s, int i)
{
	(void)param(s, i);
}

static void
pg_bind_text(struct stmt *s, int i, const char *v, size_t len)
{
	param_copy(s, i, 0, 0, v, len);
}

static void
pg_bind_blob(struct stmt *s, int i, const void *v, size_t len)
{
	param_copy(s, i, OID_BYTEA, 1, v, len);
}

static void
blobs_free(struct pg_stmt *s)
{
	for (int c = 0; c < s->ncols; c++)
		PQfreemem(s->blob[c]);
	free(s->blob);
	free(s->blob_len);
	s->blob = NULL;
	s->blob_len = NULL;
	s->ncols = 0;
}

/* --- a cursor a batch ahead (store_ops.scan) --------------------------------------------------- */

/* Reads the answer of s's FETCH into s->next: 0, or a step's failure code. */
static int
fetch_read(struct pg_stmt *s)
{
	PGconn *c = pg_conn(s->pg);
	PGresult *r, *more;
	int src;

	s->fetch_sent = false;
	*pg_fetching(s->pg) = NULL;
	r = PQgetResult(c);
	while (r != NULL && (more = PQgetResult(c)) != NULL) /* up to the NULL that ends it */
		PQclear(more);
	src = pg_result_code(s->pg, r);
	if (src != 0) {
		PQclear(r);
		return src;
	}
	s->next = r;
	return 0;
}

void
pg_fetch_settle(struct pg_store *pg)
{
	struct pg_stmt *s = *pg_fetching(pg);

	if (s != NULL)
		s->failed = fetch_read(s);
}

/* Asks for the next batch of s's cursor, not waiting for it: 0, or a step's failure code. */
static int
fetch_send(struct pg_stmt *s)
{
	char sql[48];

	pg_fetch_settle(s->pg);
	snprintf(sql, sizeof(sql), "FETCH %d FROM %s", FETCH_ROWS, s->cursor);
	if (PQsendQuery(pg_conn(s->pg), sql) != 1) {
		pg_error_set(s->pg, PQerrorMessage(pg_conn(s->pg)));
		return STMT_ERROR;
	}
	s->fetch_sent = true;
	*pg_fetching(s->pg) = s;
	return 0;
}

/* The batch s's FETCH brought in res, and the next asked for unless it was the last: 0, or a
 * step's failure code. */
static int
fetch_next(struct pg_stmt *s)
{
	int src = s->fetch_sent ? fetch_read(s) : s->failed;

	s->failed = 0;
	if (src == 0 && s->next == NULL)
		src = STMT_ERROR; /* nothing asked for: not reached */
	if (src != 0)
		return src;
	PQclear(s->res);
	s->res = s->next;
	s->next = NULL;
	s->row = -1;
	s->last = PQntuples(s->res) < FETCH_ROWS;
	return s->last ? 0 : fetch_send(s);
}

/* A SELECT of a scan, and nothing sent ahead: read through a cursor. */
static bool
fetched(const struct pg_stmt *s)
{
	return pg_scanning(s->pg) && pg_sent(s->pg) == 0 && strncmp(s->sql, "SELECT ", 7) == 0;
}

/* The cursor's end on this side: its FETCH's answer read, if one is on its way (the server
 * closes the cursor with the transaction). */
static void
fetch_end(struct pg_stmt *s)
{
	if (s->fetch_sent)
		(void)fetch_read(s);
	PQclear(s->next);
	s->next = NULL;
	s->cursor[0] = '\0';
	s->failed = 0;
	s->last = false;
}

static void
pg_reset(struct stmt *st)
{
	struct pg_stmt *s = ps(st);

	fetch_end(s);
	blobs_free(s);
	PQclear(s->res);
	s->res = NULL;
	s->row = 0;
}

static void
pg_clear(struct stmt *st)
{
	struct pg_stmt *s = ps(st);

	pg_reset(st);
	for (int i = 0; i < s->nparams; i++) {
		free(s->p[i].value);
		memset(&s->p[i], 0, sizeof(s->p[i]));
	}
}

static void
pg_finalize(struct stmt *st)
{
	struct pg_stmt *s = ps(st);

	pg_clear(st);
	free(s->sql);
	free(s);
}

/* A statement's parameters as libpq takes them. */
struct args {
	const char *values[PARAMS_MAX];
	int lengths[PARAMS_MAX], formats[PARAMS_MAX];
	Oid types[PARAMS_MAX];
};

static void
args_of(const struct pg_stmt *s, struct args *a)
{
	for (int i = 0; i < s->nparams; i++) {
		a->values[i] = s->p[i].set ? s->p[i].value : NULL;
		a->lengths[i] = (int)s->p[i].len;
		a->formats[i] = s->p[i].format;
		a->types[i] = s->p[i].type;
	}
}

/* A kept statement prepared on the server, at its first run on the connection (after the
 * answers of the statements sent ahead, which a statement prepared waits behind; its callers
 * have read a cursor's FETCH on its way): 0, or a step's failure code. */
static int
prepared(struct pg_stmt *s, const struct args *a)
{
	char name[16];
	PGresult *r;
	int src;

	if (s->gen != pg_generation(s->pg))
		s->name[0] = '\0'; /* prepared on a connection since made again */
	if (s->name[0] != '\0')
		return 0;
	if (pg_sent(s->pg) > 0 && (src = pg_sent_wait(s->pg, NULL)) != 0)
		return src;
	pg_statement_name(s->pg, name, sizeof(name));
	r = PQprepare(pg_conn(s->pg), name, s->sql, s->nparams, a->types);
	src = pg_result_code(s->pg, r);
	PQclear(r);
	if (src != 0)
		return src;
	memcpy(s->name, name, sizeof(name));
	s->gen = pg_generation(s->pg);
	return 0;
}

/* Runs the statement: its result in s->res, or a step's failure code. With statements sent
 * ahead, it goes after them and its answer is read after theirs: one round trip. */
static int
execute(struct pg_stmt *s)
{
	struct args a;
	PGconn *c = pg_conn(s->pg);
	int src;

	pg_fetch_settle(s->pg);
	args_of(s, &a);
	if (s->kept && (src = prepared(s, &a)) != 0)
		return src;
	if (pg_sent(s->pg) > 0) {
		src = pg_send(s->pg, s->kept ? s->name : NULL, s->sql, s->nparams, a.types,
		              a.values, a.lengths, a.formats);
		if (src == 0)
			src = pg_sent_wait(s->pg, &s->res);
		return src;
	}
	if (s->kept)
		s->res = PQexecPrepared(c, s->name, s->nparams, a.values, a.lengths, a.formats, 0);
	else
		s->res = PQexecParams(c, s->sql, s->nparams, a.types, a.values, a.lengths,
		                      a.formats, 0);
	return pg_result_code(s->pg, s->res);
}

/* db_backend.send_ahead: a kept statement (another runs at once). */
static int
pg_send_ahead(struct stmt *st)
{
	struct pg_stmt *s = ps(st);
	struct args a;
	int src;

	pg_fetch_settle(s->pg); /* before prepared's PQprepare */
	if (!s->kept) {
		src = execute(s);
		PQclear(s->res);
		s->res = NULL;
		return src;
	}
	args_of(s, &a);
	src = prepared(s, &a);
	return src != 0 ? src
	                : pg_send(s->pg, s->name, s->sql, s->nparams, a.types, a.values, a.lengths,
	                          a.formats);
}

/* Declares s's cursor and reads its first batch, the next asked for: 0, or a step's failure
 * code. */
static int
fetch_start(struct pg_stmt *s)
{
	size_t len = strlen(s->sql) + 64;
	char *sql = malloc(len);
	struct args a;
	PGresult *r;
	int src;

	if (sql == NULL)
		abort();
	pg_fetch_settle(s->pg);
	pg_statement_name(s->pg, s->cursor, sizeof(s->cursor));
	snprintf(sql, len, "DECLARE %s NO SCROLL CURSOR FOR %s", s->cursor, s->sql);
	args_of(s, &a);
	r = PQexecParams(pg_conn(s->pg), sql, s->nparams, a.types, a.values, a.lengths, a.formats,
	                 0);
	free(sql);
	src = pg_result_code(s->pg, r);
	PQclear(r);
	if (src == 0)
		src = fetch_send(s);
	return src != 0 ? src : fetch_next(s);
}

static int
pg_step(struct stmt *st)
{
	struct pg_stmt *s = ps(st);
	int src;

	if (s->res == NULL && s->cursor[0] == '\0') {
		src = fetched(s) ? fetch_start(s) : execute(s);
		if (src != 0) {
			fetch_end(s);
			PQclear(s->res);
			s->res = NULL;
			return src;
		}
		pg_changes_set(s->pg, s->cursor[0] != '\0' ? NULL : PQcmdTuples(s->res));
		s->row = -1;
	}
	blobs_free(s);
	while (s->cursor[0] != '\0' && !s->last && s->row + 1 >= PQntuples(s->res))
		if ((src = fetch_next(s)) != 0)
			return src;
	if (s->row + 1 < PQntuples(s->res)) {
		s->row++;
		return STMT_ROW;
	}
	s->row = PQntuples(s->res);
	return STMT_DONE;
}

static bool
pg_column_null(struct stmt *st, int col)
{
	struct pg_stmt *s = ps(st);

	return s->res == NULL || s->row < 0 || s->row >= PQntuples(s->res) ||
	       col >= PQnfields(s->res) || PQgetisnull(s->res, s->row, col);
}

static int64_t
pg_column_int64(struct stmt *st, int col)
{
	struct pg_stmt *s = ps(st);
	const char *v;

	if (pg_column_null(st, col))
		return 0;
	v = PQgetvalue(s->res, s->row, col);
	if (v[0] == 't' && v[1] == '\0')
		return 1; /* a boolean: SQLite's comparisons are integers */
	return strtoll(v, NULL, 10);
}

static const unsigned char *
pg_column_text(struct stmt *st, int col)
{
	struct pg_stmt *s = ps(st);

	if (pg_column_null(st, col))
		return NULL;
	return (const unsigned char *)PQgetvalue(s->res, s->row, col);
}

/* The column's bytes: a bytea decoded once for the row, or the text as it is. */
static const unsigned char *
column_bytes_of(struct pg_stmt *s, int col, size_t *len)
{
	*len = 0;
	if (pg_column_null(&s->base, col))
		return NULL;
	if (PQftype(s->res, col) != OID_BYTEA) {
		*len = (size_t)PQgetlength(s->res, s->row, col);
		return (const unsigned char *)PQgetvalue(s->res, s->row, col);
	}
	if (s->blob == NULL) {
		s->ncols = PQnfields(s->res);
		s->blob = calloc((size_t)s->ncols, sizeof(*s->blob));
		s->blob_len = calloc((size_t)s->ncols, sizeof(*s->blob_len));
		if (s->blob == NULL || s->blob_len == NULL)
			abort();
	}
	if (s->blob[col] == NULL) {
		s->blob[col] = PQunescapeBytea(
		        (const unsigned char *)PQgetvalue(s->res, s->row, col), &s->blob_len[col]);
		if (s->blob[col] == NULL)
			abort();
	}
	*len = s->blob_len[col];
	return s->blob[col];
}

static const void *
pg_column_blob(struct stmt *st, int col)
{
	size_t len;

	return column_bytes_of(ps(st), col, &len);
}

static size_t
pg_column_bytes(struct stmt *st, int col)
{
	size_t len;

	(void)column_bytes_of(ps(st), col, &len);
	return len;
}

/* The statement and its values, for the debug log (customers' data: debug only). */
static char *
pg_expanded(struct stmt *st)
{
	struct pg_stmt *s = ps(st);
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_adds(&b, s->sql);
	for (int i = 0; i < s->nparams; i++) {
		char head[24];

		snprintf(head, sizeof(head), " -- $%d=", i + 1);
		buf_adds(&b, head);
		if (!s->p[i].set)
			buf_adds(&b, "NULL");
		else if (s->p[i].format == 1)
			buf_adds(&b, "<bytes>");
		else
			buf_add(&b, s->p[i].value, s->p[i].len);
	}
	return buf_take(&b);
}

/* Inside a transaction, a failed one too (its statements refused until a rollback). */
static bool
pg_in_transaction(struct db *db)
{
	return PQtransactionStatus(pg_conn((struct pg_store *)db)) != PQTRANS_IDLE;
}

static const struct db_backend pg_backend = {
        .name = "pg",
        /* A read sees one snapshot from its first statement to its end, as SQLite's does. */
        .begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ",
        .begin_write = "BEGIN",
        /* Every writer of the cluster takes its turn, one transaction at a time, as on
         * SQLite: a payment's transaction updates rows many payments share (its contract's
         * last authorization, the day's statistics), and two writers taking them in the
         * orders their payments came would deadlock (docs/SCALING.md). */
        .write_turn = "SELECT pg_advisory_xact_lock(" PG_WRITE_TURN_LOCK ")",
        .in_transaction = pg_in_transaction,
        .revive = pg_revive,
        .prepare = pg_prepare,
        .bind_int64 = pg_bind_int64,
        .bind_null = pg_bind_null,
        .bind_text = pg_bind_text,
        .bind_blob = pg_bind_blob,
        .step = pg_step,
        .send_ahead = pg_send_ahead,
        .reset = pg_reset,
        .clear = pg_clear,
        .finalize = pg_finalize,
        .column_int64 = pg_column_int64,
        .column_text = pg_column_text,
        .column_blob = pg_column_blob,
        .column_bytes = pg_column_bytes,
        .column_null = pg_column_null,
        .expanded = pg_expanded,
        .changes = pg_changes,
        .errmsg = pg_errmsg,
};

const struct db_backend *
pg_statements(void)
{
	return &pg_backend;
}
