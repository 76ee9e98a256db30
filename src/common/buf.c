/*
 * buf.c - the capped growable buffer (buf.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_cleanup(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void
buf_add(struct buf *b, const void *p, size_t len)
{
	if (b->failed)
		return;
	if (len > b->max - b->len) {
		b->failed = true;
		return;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + len + 1)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
			abort();
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

char *
buf_take(struct buf *b)
{
	char *d = b->data;

	buf_init(b, b->max);
	return d;
}

/* A byte buf_add_markup replaces: the five markup characters, and the controls XML 1.0 does
 * not allow (below U+0020 but tab, LF, CR). Tested a byte at a time: strcspn with a set of
 * 35 bytes takes glibc's generic path, which builds its table of 256 bytes at every call (a
 * value of an XML report: a tenth of its time, docs/PERFORMANCE.md). */
static inline bool
markup_byte(unsigned char c)
{
	return c < 0x20 ? c != '\0' && c != '\t' && c != '\n' && c != '\r'
	                : c == '&' || c == '<' || c == '>' || c == '"' || c == '\'';
}

void
buf_add_markup(struct buf *b, const char *s)
{
	for (const char *p = s;;) {
		size_t span = 0;

		while (p[span] != '\0' && !markup_byte((unsigned char)p[span]))
			span++;
		buf_add(b, p, span);
		switch (p[span]) {
		case '\0':
			return;
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			buf_add(b, " ", 1);
			break;
		}
		p += span + 1;
	}
}
