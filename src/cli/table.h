/*
 * table.h - the client's output formats: an aligned table that fits the terminal's width
 * (columns dropped by priority, then the widest truncated with an ellipsis; right-aligned
 * ones, the amounts, never cut), and CSV (RFC 4180) and tab-separated lines for scripts.
 *
 * Rows are given as text cells, row after row; this module knows nothing of transactions
 * (main.c turns the API's items into cells) and writes only to the FILE it is given.
 */
#ifndef GUICHET_CLIENT_TABLE_H
#define GUICHET_CLIENT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A table's column. */
struct table_col {
	const char *title; /* its header: a msgid, written in the reader's language (i18n.h) */
	bool right;        /* right-aligned and never truncated (amounts) */
	int keep;          /* priority: when the width is short, the lowest goes first */
	size_t min;        /* the width below which it is dropped rather than cut (>= 2) */
};

#define TABLE_GAP 2 /* spaces between two columns */

/* The display width of UTF-8 text: its code points (the client's cells are not wide
 * characters). */
size_t table_text_width(const char *s);

/* Lays out n columns for nrows rows of cells (row-major, nrows * n, NULL as "") within width:
 * w[i] is column i's width, 0 when dropped. Columns are dropped lowest keep first while the
 * rest do not fit at their min, then the widest truncatable ones are narrowed to fit. Returns
 * the table's total width. */
size_t table_layout(const struct table_col *cols, size_t n, const char *const *cells, size_t nrows,
                    size_t width, size_t *w);

/* Writes the header and rows at the widths of table_layout: left-aligned cells padded (the
 * last one not), right-aligned ones padded on their left, those too long cut with "…". */
void table_write(FILE *f, const struct table_col *cols, size_t n, const char *const *cells,
                 size_t nrows, const size_t *w);

/* A sparkline of the n values v in at most width characters, into out (cap bytes, NUL-
 * terminated): one of the eight blocks U+2581..U+2588 per character, the lowest for the
 * smallest value and the highest for the largest (all the lowest when they are equal). More
 * values than width are summed in width groups of consecutive values, the first groups one
 * value larger. Returns the characters written (0 when n or width is 0, or out too small). */
size_t table_sparkline(const long long *v, size_t n, size_t width, char *out, size_t cap);

/* One CSV record of n fields (RFC 4180: a field with a comma, quote, CR or LF is quoted, its
 * quotes doubled; CRLF at its end). */
void table_csv_record(FILE *f, const char *const *fields, size_t n);

/* One tab-separated line of n fields (a tab, CR or LF inside a field becomes a space). */
void table_tsv_record(FILE *f, const char *const *fields, size_t n);

#endif
