/*
 * pg_copy.c - rows by the thousand on PostgreSQL (store.h txn_ids_take and txn_rows_write,
 * for the demo's history): the transactions' ids taken from their sequence, and the new
 * transactions and history lines sent by COPY … FROM STDIN in its binary format, a batch in
 * one round trip where the inserts take one each (docs/PERFORMANCE.md "The demo on
 * PostgreSQL (COPY)").
 *
 * A row's values are the inserts' own: txn.c's binding (db_txn_bind, db_history_bind) binds
 * them into a row of this file's, a statement of which only the binds are used, and each
 * field goes out as the binary format has it: its length, then an int8 in network order or
 * the bytes of a text or a bytea; a NULL is the length -1. No value is ever written as SQL
 * text, and a sealed card goes as the bytes it is. COPY fires the row triggers an insert
 * fires (the id fill, the foreign keys), but the statistics roll-up of the transactions is
 * added up here once per batch (stats_bulk, migration 005): the same rows, the same roll-ups.
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/pg/pg.h"

/* What is handed to libpq at a time: a few hundred rows. */
#define COPY_CHUNK (256 * 1024)
/* A buffer's cap: a chunk and the row that passes it (a row is below 2 KiB). */
#define COPY_BUF_MAX (COPY_CHUNK + 64 * 1024)

/* A field of a row: unbound (NULL), an int8, or bytes (a text or a bytea, lent). */
struct copy_field {
	enum { FIELD_NULL, FIELD_INT8, FIELD_BYTES } kind;
	int64_t v;
	const void *p;
	size_t len;
};

/* A row to copy: a statement whose binds fill its fields, from ?1 on. */
struct copy_row {
	struct stmt base;
	int n; /* the highest field bound */
	struct copy_field f[PG_PARAMS_MAX];
};

static struct copy_field *
field(struct stmt *s, int i)
{
	struct copy_row *r = (struct copy_row *)s;

	if (i < 1 || i > PG_PARAMS_MAX)
		abort(); /* a binding past the columns: a programming error */
	if (i > r->n)
		r->n = i;
	return &r->f[i - 1];
}

static void
copy_bind_int64(struct stmt *s, int i, int64_t v)
{
	struct copy_field *f = field(s, i);

	f->kind = FIELD_INT8;
	f->v = v;
}

static void
copy_bind_null(struct stmt *s, int i)
{
	field(s, i)->kind = FIELD_NULL;
}

static void
copy_bind_bytes(struct stmt *s, int i, const void *v, size_t len)
{
	struct copy_field *f = field(s, i);

	f->kind = FIELD_BYTES;
	f->p = v;
	f->len = len;
}

static void
copy_bind_text(struct stmt *s, int i, const char *v, size_t len)
{
	copy_bind_bytes(s, i, v, len);
}

/* Only the binds: a row is never prepared, stepped nor read. */
static const struct db_backend copy_backend = {
        .name = "pg_copy",
        .bind_int64 = copy_bind_int64,
        .bind_null = copy_bind_null,
        .bind_text = copy_bind_text,
        .bind_blob = copy_bind_bytes,
};

/* Appends v's low bytes to b, the most significant first (network order). */
static void
put_be(struct buf *b, uint64_t v, int bytes)
{
	unsigned char x[8];

	for (int k = 0; k < bytes; k++)
		x[k] = (unsigned char)(v >> (8 * (bytes - 1 - k)));
	buf_add(b, x, (size_t)bytes);
}

/* Appends the row as a tuple of the binary format (its field count, then each field), and
 * empties it for the next. */
static void
row_put(struct copy_row *r, struct buf *b)
{
	put_be(b, (uint64_t)r->n, 2);
	for (int i = 0; i < r->n; i++) {
		const struct copy_field *f = &r->f[i];

		switch (f->kind) {
		case FIELD_NULL:
			put_be(b, UINT32_MAX, 4); /* -1 */
			break;
		case FIELD_INT8:
			put_be(b, 8, 4);
			put_be(b, (uint64_t)f->v, 8);
			break;
		case FIELD_BYTES:
			put_be(b, f->len, 4);
			buf_add(b, f->p, f->len);
			break;
		}
	}
	memset(r->f, 0, sizeof(r->f));
	r->n = 0;
}

/* The results of the COPY that ended: the first one's step code (0: it succeeded). */
static int
copy_result(struct pg_store *pg)
{
	PGresult *r;
	int src = 0;

	while ((r = PQgetResult(pg_conn(pg))) != NULL) {
		int e = pg_result_code(pg, r);

		if (src == 0)
			src = e;
		PQclear(r);
	}
	return src;
}

/* Copies n rows into the table of sql (a COPY … FROM STDIN (FORMAT binary) of their
 * columns), row i bound by bind(s, rows, i): ST_OK, or the failure logged as what (the
 * server's error; a constraint ST_CONFLICT). */
static int
copy_rows(struct store *st, const char *sql, size_t n,
          void (*bind)(struct stmt *s, const void *rows, size_t i), const void *rows,
          const char *what)
{
	static const char signature[] = "PGCOPY\n\377\r\n"; /* and its NUL: 11 bytes */
	struct pg_store *pg = (struct pg_store *)st;
	PGconn *c = pg_conn(pg);
	struct copy_row row = {.base.be = &copy_backend};
	struct buf b;
	PGresult *r;
	int sent = 1, src;

	if (n == 0)
		return ST_OK;
	/* COPY leaves no place for statements sent ahead: their answers first. */
	if (pg_sent(pg) > 0 && (src = pg_sent_wait(pg, NULL)) != 0)
		return db_status(st, src, what);
	log_debug("event=sql sql=\"%s\" rows=%zu", sql, n);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		src = pg_result_code(pg, r);
		PQclear(r);
		if (src == 0) {
			pg_error_set(pg, "COPY did not start");
			src = STMT_ERROR;
		}
		return db_status(st, src, what);
	}
	PQclear(r);
	buf_init(&b, COPY_BUF_MAX);
	buf_add(&b, signature, sizeof(signature));
	put_be(&b, 0, 4); /* flags */
	put_be(&b, 0, 4); /* the header extension's length */
	for (size_t i = 0; sent == 1 && i < n; i++) {
		bind(&row.base, rows, i);
		row_put(&row, &b);
		if (i + 1 == n)
			put_be(&b, UINT16_MAX, 2); /* the trailer: a field count of -1 */
		if (b.len >= COPY_CHUNK || i + 1 == n) {
			sent = b.failed ? -1 : PQputCopyData(c, b.data, (int)b.len);
			buf_cleanup(&b);
		}
	}
	buf_cleanup(&b);
	/* A row not sent ends the COPY in error: the server writes none of them. */
	if (PQputCopyEnd(c, sent == 1 ? NULL : "a row could not be sent") != 1)
		pg_error_set(pg, PQerrorMessage(c));
	src = copy_result(pg);
	if (src == 0 && sent != 1) {
		pg_error_set(pg, "a row could not be sent");
		src = STMT_ERROR;
	}
	return db_status(st, src, what);
}

static void
txn_row_bind(struct stmt *s, const void *rows, size_t i)
{
	const struct txn_row *r = (const struct txn_row *)rows + i;

	db_txn_bind(s, &r->t, r->fp, r->fp_len, r->sealed, r->sealed_len);
}

static void
history_bind(struct stmt *s, const void *lines, size_t i)
{
	db_history_bind(s, (const struct history *)lines + i);
}

/* guichet.bulk for the rest of the transaction: "on" while the COPY runs, its row trigger then
 * leaving the statistics roll-up to stats_bulk (migration 005), "off" after it. */
static int
bulk_mark(struct store *st, const char *value)
{
	static const char sql[] = "SELECT set_config('guichet.bulk', ?1, true)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "txn_rows_write");

	if (rc != ST_OK)
		return rc;
	db_bind_text(s, 1, value);
	while (db_next(st, s, &rc, "txn_rows_write"))
		;
	stmt_reset(s);
	return rc;
}

/* The roll-up of the n rows copied, added up by day, shop, method and type in one statement,
 * as the row trigger's stats_add would have one row at a time: the rows found by their keys
 * (two arrays, bound as their text). */
static int
stats_bulk(struct store *st, const struct txn_row *rows, size_t n)
{
	static const char sql[] =
	        "INSERT INTO stats_daily SELECT t.brand_id, t.shop_id, t.day, t.method, t.type, "
	        "count(*), sum(t.amount_current + t.amount_refunded), "
	        "max(t.amount_current + t.amount_refunded) "
	        "FROM unnest(CAST(?1 AS bigint[]), CAST(?2 AS bigint[])) AS k(brand_id, id) "
	        "JOIN txn t ON t.brand_id = k.brand_id AND t.id = k.id WHERE stats_counts(t) "
	        "GROUP BY t.brand_id, t.day, t.shop_id, t.method, t.type "
	        "ON CONFLICT (brand_id, day, shop_id, method, type) DO UPDATE SET "
	        "count = stats_daily.count + excluded.count, "
	        "amount = stats_daily.amount + excluded.amount, "
	        "max_amount = greatest(stats_daily.max_amount, excluded.max_amount)";
	struct buf brands, ids;
	char num[24];
	struct stmt *s;
	int rc;

	buf_init(&brands, n * sizeof(num) + 3);
	buf_init(&ids, n * sizeof(num) + 3);
	for (size_t i = 0; i < n; i++) {
		snprintf(num, sizeof(num), "%c%" PRId64, i == 0 ? '{' : ',', rows[i].t.brand_id);
		buf_adds(&brands, num);
		snprintf(num, sizeof(num), "%c%" PRId64, i == 0 ? '{' : ',', rows[i].t.id);
		buf_adds(&ids, num);
	}
	buf_add(&brands, "}", 2); /* with its NUL */
	buf_add(&ids, "}", 2);
	rc = brands.failed || ids.failed ? ST_STORE : db_cached(st, sql, &s, "txn_rows_write");
	if (rc == ST_OK) {
		db_bind_text(s, 1, brands.data);
		db_bind_text(s, 2, ids.data);
		rc = db_run(st, s, "txn_rows_write");
	}
	buf_cleanup(&brands);
	buf_cleanup(&ids);
	return rc;
}

int
pg_txn_rows_write(struct store *st, const struct txn_row *rows, size_t n, const struct history *h,
                  size_t nh)
{
	int rc = n == 0 ? ST_OK : bulk_mark(st, "on");

	if (rc == ST_OK)
		rc = copy_rows(st, "COPY txn(" TXN_INSERT_COLS ") FROM STDIN (FORMAT binary)", n,
		               txn_row_bind, rows, "txn_rows_write");
	if (rc == ST_OK && n > 0)
		rc = bulk_mark(st, "off");
	if (rc == ST_OK && n > 0)
		rc = stats_bulk(st, rows, n);
	if (rc == ST_OK)
		rc = copy_rows(
		        st, "COPY txn_history(" HISTORY_INSERT_COLS ") FROM STDIN (FORMAT binary)",
		        nh, history_bind, h, "txn_rows_write");
	return rc;
}

/* The ids from the transactions' sequence, as the id fill of a NULL id takes them (002_ids.sql):
 * given to COPY, none above the sequence, they leave it where it is. */
int
pg_txn_ids_take(struct store *st, int n, int64_t *ids)
{
	static const char sql[] =
	        "SELECT nextval(pg_get_serial_sequence('txn', 'id')) FROM generate_series(1, ?1)";
	struct stmt *s;
	int k = 0, rc = db_cached(st, sql, &s, "txn_ids_take");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, n);
	while (db_next(st, s, &rc, "txn_ids_take"))
		if (k < n)
			ids[k++] = stmt_int64(s, 0);
	stmt_reset(s);
	if (rc == ST_OK && k != n)
		rc = ST_STORE;
	return rc;
}
