/*
 * buf.h - a growable byte buffer with a hard cap, always NUL-terminated (STYLE.md "Buffers"):
 * once an append would pass the cap, the buffer keeps what it had and stays failed (sticky
 * error, as SQLite's sqlite3_str), so a caller checks once at the end.
 */
#ifndef GUICHET_BUF_H
#define GUICHET_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;  /* bytes allocated */
	size_t max;  /* the hard cap, in bytes of content */
	bool failed; /* an append passed the cap */
};

/* An empty buffer that will hold at most max bytes. */
void buf_init(struct buf *b, size_t max);

/* Frees the content; the buffer is empty again. */
void buf_cleanup(struct buf *b);

/* Empties the buffer and clears its failure, keeping its memory for the next appends. */
void buf_reset(struct buf *b);

/* Appends len bytes (aborts when out of memory; fails when over the cap). */
void buf_add(struct buf *b, const void *p, size_t len);
void buf_adds(struct buf *b, const char *s);

/* Appends s as HTML or XML text: & < > " ' escaped (the apostrophe as &#39;, which both
 * read), and the control characters XML 1.0 does not allow (below 0x20 but tab, LF, CR)
 * written as spaces. */
void buf_add_markup(struct buf *b, const char *s);

/* Hands the content to the caller (free it) and empties the buffer; NULL when empty. */
char *buf_take(struct buf *b);

#endif
