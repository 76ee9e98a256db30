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
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data != NULL)
		b->data[0] = '\0';
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

/* The bytes buf_add_markup replaces: the five markup characters, and the controls XML 1.0 does
 * not allow (below U+0020 but tab, LF, CR). A table: strcspn with a set of 33 bytes takes
 * glibc's generic path, which builds its own table of 256 bytes at every call (docs/
 * PERFORMANCE.md, "Electronic reports"). */
static const bool markup_byte[256] = {
        [0x01] = true, [0x02] = true, [0x03] = true, [0x04] = true, [0x05] = true, [0x06] = true,
        [0x07] = true, [0x08] = true, [0x0b] = true, [0x0c] = true, [0x0e] = true, [0x0f] = true,
        [0x10] = true, [0x11] = true, [0x12] = true, [0x13] = true, [0x14] = true, [0x15] = true,
        [0x16] = true, [0x17] = true, [0x18] = true, [0x19] = true, [0x1a] = true, [0x1b] = true,
        [0x1c] = true, [0x1d] = true, [0x1e] = true, [0x1f] = true, ['&'] = true,  ['<'] = true,
        ['>'] = true,  ['"'] = true,  ['\''] = true,
};

void
buf_add_markup(struct buf *b, const char *s)
{
	for (const char *p = s;;) {
		size_t span = 0;

		while (p[span] != '\0' && !markup_byte[(unsigned char)p[span]])
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
