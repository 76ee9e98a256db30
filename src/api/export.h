/*
 * export.h - a journal's export streamed a page at a time (SPEC §5: any size, constant
 * memory): each page is made by a reader, one page ahead of what h2o sends, and sent as a
 * chunk of the answer. The caller says how to make a page; this file does the answer.
 */
#ifndef GUICHET_API_EXPORT_H
#define GUICHET_API_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "api/columns.h"
#include "common/buf.h"
#include "http/http.h"

/* A page's job: embed it first in the caller's job, whose work.run makes the page's lines
 * into chunk (taken here) and sets the key of its last row and its count of rows. */
struct export_page {
	struct http_job base; /* first; base.respond is the stream's */
	char *chunk;
	size_t chunk_len;
	int64_t last_at, last_id;
	int n;
	/* Optional, from the first page: the answer's Content-Type and file extension, when the
	 * page chose them (a user's reporting format) rather than the source's txt. Static. */
	const char *type, *ext;
};

struct export_source {
	/* A new job (its base.work.run and base.free set) for the page after the row (after_at,
	 * after_id), (0, 0) for the first page, made from ctx. */
	struct export_page *(*page)(struct req *r, void *ctx, int64_t after_at, int64_t after_id);
	/* Optional: after a page was made, what the next ones take from it (its columns). */
	void (*carry)(void *ctx, const struct export_page *p);
	void *ctx;        /* in the request's pool: lives as long as the answer */
	int limit;        /* rows a page: a page with fewer is the last */
	bool txt;         /* the TXT layout: text/plain, NAME.txt; else text/csv, NAME.csv */
	const char *name; /* the file's, without its extension (export_file_name) */
};

/* A page's lines are written through export_layout.h's writer (export_out_header, export_put,
 * export_out_row_end), as the export's layout= (machine, classic or old) asks. */

struct export_out;

/* Ends the line of a row written through o, and notes it in p as the page's last (its key
 * at, id); ST_OK, or ST_TOOBIG when o's buffer is full. */
int export_row_end(struct export_page *p, struct export_out *o, int64_t at, int64_t id);

/* Answers r with the export (or, when the first page fails, with its error). Returns 0, the
 * handler's return. */
int export_stream(struct req *r, const struct export_source *src);

#endif
