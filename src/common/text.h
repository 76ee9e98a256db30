/*
 * text.h - the characters that must never reach a log line, a name or a file as they are:
 * controls, and the Unicode characters that reorder or break what a reader sees (Trojan
 * Source, CVE-2021-42574). Pure computation on UTF-8 bytes.
 */
#ifndef GUICHET_TEXT_H
#define GUICHET_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length (1..4) of the well-formed UTF-8 sequence at s, n bytes being left, with its code
 * point in *cp; 0 when the bytes there are not one (overlong, surrogate, above U+10FFFF,
 * truncated, a stray continuation byte). */
size_t text_utf8_next(const char *s, size_t n, uint32_t *cp);

/* Whether the code point is unsafe to show as it is: C0 and C1 controls and DEL; the
 * bidirectional marks, embeddings, overrides and isolates (U+200E-U+200F, U+202A-U+202E,
 * U+2066-U+2069, U+061C); the line and paragraph separators (U+2028, U+2029). */
bool text_cp_unsafe(uint32_t cp);

/* Whether the n bytes at s are well-formed UTF-8; and, text_is_safe, holding no unsafe code
 * point besides. */
bool text_is_utf8(const char *s, size_t n);
bool text_is_safe(const char *s, size_t n);

/* Copies the n bytes at s into out (cap bytes, NUL-terminated) as safe text: each byte that
 * starts no well-formed sequence, and each unsafe code point, becomes '?'; a sequence that
 * would not fit whole is left out. For names taken from outside as they come (a browser's
 * User-Agent). The length written. */
size_t text_copy_safe(char *out, size_t cap, const char *s, size_t n);

/* The value of a hexadecimal digit of either case, or -1. Inline: the domain's Paybox forms
 * and HMACs and the API's query strings read it, and the domain links nothing but libc. */
static inline int
text_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes src[0..len), a name or value of an x-www-form-urlencoded form or query ('+' a space,
 * %XX a byte), into dst (cap bytes), NUL-terminated. Returns its length, or -1 for a bad
 * escape, a NUL byte once decoded (it would cut the C string its readers see and hide what
 * follows from a signature's message) or no room (the decoded text is never longer than src, so
 * cap = len + 1 always has room). Inline, as text_hex_digit: the domain's Paybox forms and the
 * API's query strings read it. */
static inline long
text_form_decode(char *dst, size_t cap, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = src[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = text_hex_digit(src[i + 1]);
			lo = text_hex_digit(src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= cap)
			return -1;
		dst[o++] = c;
	}
	if (cap == 0)
		return -1;
	dst[o] = '\0';
	return (long)o;
}

#endif
