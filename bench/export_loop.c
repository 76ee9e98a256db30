/*
 * export_loop.c - the export's reference (issue 16; docs/PERFORMANCE.md "The back office on
 * 10,000,000 transactions"): a plain C loop that steps the export's statement, as guichetd
 * logged it (event=sql, its values in place), over a SQLite database opened read-only, and
 * writes each row as a CSV line (the columns' text, RFC 4180 quoting where a value needs it)
 * into a buffer it writes out 1 MiB at a time, as the server streams its export.
 *
 *   export_loop DB STATEMENT_FILE OUT
 *
 * The statement is the export's page statement without its LIMIT. Prints one line:
 * rows=N bytes=N seconds=X rows_per_s=N
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench_util.h"

#define OUT_CHUNK (1024 * 1024)

struct out {
	int fd;
	size_t len;
	int64_t total;
	char data[OUT_CHUNK + 4096];
};

static void
flush(struct out *o)
{
	size_t off = 0;

	while (off < o->len) {
		ssize_t n = write(o->fd, o->data + off, o->len - off);

		if (n < 0) {
			perror("export_loop: write");
			exit(1);
		}
		off += (size_t)n;
	}
	o->total += (int64_t)o->len;
	o->len = 0;
}

static void
add(struct out *o, const char *p, size_t n)
{
	while (n > 0) {
		size_t room = sizeof(o->data) - o->len, k = n < room ? n : room;

		memcpy(o->data + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
		if (o->len >= OUT_CHUNK)
			flush(o);
	}
}

/* A value as a CSV field: quoted when it holds a separator, a quote or a line break. */
static void
field(struct out *o, const char *v, size_t n)
{
	if (strcspn(v, ",\"\r\n") == n) {
		add(o, v, n);
		return;
	}
	add(o, "\"", 1);
	for (const char *q; (q = memchr(v, '"', n)) != NULL; n -= (size_t)(q - v) + 1, v = q + 1)
		add(o, v, (size_t)(q - v) + 1), add(o, "\"", 1);
	add(o, v, n);
	add(o, "\"", 1);
}

int
main(int argc, char **argv)
{
	static struct out o;
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t rows = 0, t0;
	char *sql;
	int ncol, rc;
	double secs;

	if (argc != 4) {
		fprintf(stderr, "usage: export_loop DB STATEMENT_FILE OUT\n");
		return 2;
	}
	sql = slurp(argv[2]);
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "export_loop: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	o.fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (o.fd < 0) {
		perror(argv[3]);
		return 1;
	}
	t0 = now_us();
	ncol = sqlite3_column_count(s);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int c = 0; c < ncol; c++) {
			const char *v = (const char *)sqlite3_column_text(s, c);

			if (c > 0)
				add(&o, ",", 1);
			if (v != NULL)
				field(&o, v, (size_t)sqlite3_column_bytes(s, c));
		}
		add(&o, "\n", 1);
		rows++;
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "export_loop: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	flush(&o);
	close(o.fd);
	secs = (double)(now_us() - t0) / 1e6;
	printf("rows=%lld bytes=%lld seconds=%.3f rows_per_s=%.0f\n", (long long)rows,
	       (long long)o.total, secs, secs > 0 ? (double)rows / secs : 0.0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(sql);
	return 0;
}
