/*
 * text.c - unsafe characters in UTF-8 text (text.h).
 */
#include <string.h>

#include "common/text.h"

size_t
text_utf8_next(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len;
	uint32_t v, min;

	if (n == 0)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		len = 2, v = u[0] & 0x1f, min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		len = 3, v = u[0] & 0x0f, min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		len = 4, v = u[0] & 0x07, min = 0x10000;
	} else {
		return 0; /* a continuation byte, or 0xf8..0xff */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (u[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

bool
text_cp_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Whether every sequence of the n bytes at s is well formed, and none unsafe when asked. */
static bool
text_check(const char *s, size_t n, bool safe)
{
	uint32_t cp;
	size_t len;

	for (size_t i = 0; i < n; i += len) {
		len = text_utf8_next(s + i, n - i, &cp);
		if (len == 0 || (safe && text_cp_unsafe(cp)))
			return false;
	}
	return true;
}

bool
text_is_utf8(const char *s, size_t n)
{
	return text_check(s, n, false);
}

bool
text_is_safe(const char *s, size_t n)
{
	return text_check(s, n, true);
}

size_t
text_copy_safe(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = 0, len;
	uint32_t cp;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n; i += len) {
		len = text_utf8_next(s + i, n - i, &cp);
		if (len == 0 || text_cp_unsafe(cp)) {
			len = len == 0 ? 1 : len;
			if (o + 1 >= cap)
				break;
			out[o++] = '?';
			continue;
		}
		if (o + len >= cap)
			break;
		memcpy(out + o, s + i, len);
		o += len;
	}
	out[o] = '\0';
	return o;
}
