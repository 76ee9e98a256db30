/*
 * fuzz_log.c - the log line writer (src/common/log.c), which writes values that come from
 * outside (a JSON member's name, a path, a login): the input is logged as a bare value
 * (key=%s), a quoted one (key="%s") and a bounded one (key=%.*s), each line read back here.
 *
 * Properties: one line per call, ended by its one newline; nothing in it a reader or a log
 * tool could take for a control, a bidirectional override or a line break (text.h); the
 * value's field is one field (bare: no space, quote or '=' in it; else in quotes); and the
 * value decodes back to the input's bytes, so no two values write the same line and no value
 * can pass as another field or event (CWE-117).
 */
#include <stdbool.h>

#include "common/log.h"
#include "common/text.h"
#include "fuzz.h"

#define VALUE_MAX 400 /* escaped at most 4 times over: the line stays under log.c's cap */

/* The line logged by fmt with the value, without the time, its level and the newline. */
static char *
logged(const char *fmt, const char *value, int precision)
{
	FILE *saved = stderr;
	char *text = NULL, *line;
	size_t len = 0;

	stderr = open_memstream(&text, &len);
	FUZZ_CHECK(stderr != NULL, "no memory stream");
	if (precision >= 0)
		log_write(LOG_INFO, fmt, precision, value);
	else
		log_write(LOG_INFO, fmt, value);
	fclose(stderr);
	stderr = saved;
	FUZZ_CHECK(len > 0 && text[len - 1] == '\n' && memchr(text, '\n', len - 1) == NULL &&
	                   strlen(text) == len,
	           "not one line: %s", text);
	text[len - 1] = '\0';
	FUZZ_CHECK(text_is_safe(text, len - 1), "an unsafe character in: %s", text);
	line = strstr(text, " level=info ");
	FUZZ_CHECK(line != NULL, "no level in: %s", text);
	line = strdup(line + strlen(" level=info "));
	free(text);
	return line;
}

/* Decodes the escaped value at p (up to its closing quote when quoted, else to the space) into
 * out; returns past it. NULL when it is not what log.c writes. */
static const char *
decode(const char *p, bool quoted, char *out, size_t *n)
{
	*n = 0;
	for (; *p != '\0' && (quoted ? *p != '"' : *p != ' '); p++) {
		unsigned v;
		int used = 0;

		if (!quoted && (*p == '"' || *p == '='))
			return NULL;
		if (*p != '\\') {
			out[(*n)++] = *p;
			continue;
		}
		if (!quoted)
			return NULL;
		p++;
		if (*p == '"' || *p == '\\') {
			out[(*n)++] = *p;
		} else if (*p == 'n' || *p == 'r' || *p == 't') {
			out[(*n)++] = *p == 'n' ? '\n' : *p == 'r' ? '\r' : '\t';
		} else if (*p == 'x' && sscanf(p + 1, "%2x%n", &v, &used) == 1 && used == 2) {
			out[(*n)++] = (char)v;
			p += 2;
		} else if (*p == 'u' && sscanf(p + 1, "%4x%n", &v, &used) == 1 && used == 4) {
			/* A code point in UTF-8. */
			if (v < 0x800) {
				out[(*n)++] = (char)(0xc0 | v >> 6);
			} else {
				out[(*n)++] = (char)(0xe0 | v >> 12);
				out[(*n)++] = (char)(0x80 | (v >> 6 & 0x3f));
			}
			out[(*n)++] = (char)(0x80 | (v & 0x3f));
			p += 4;
		} else {
			return NULL;
		}
	}
	return quoted ? (*p == '"' ? p + 1 : NULL) : p;
}

/* line must be "a=V end=1" (quoted: a="V" end=1) with V decoding to the value. */
static void
check(const char *line, const char *value, size_t len, bool quoted)
{
	char *out = malloc(4 * VALUE_MAX + 1);
	const char *p = line + 2, *rest;
	size_t n = 0;

	if (out == NULL)
		abort();
	FUZZ_CHECK(strncmp(line, "a=", 2) == 0, "the line starts wrongly: %s", line);
	if (quoted || *p == '"') {
		FUZZ_CHECK(*p == '"', "the quoted value lost its quote: %s", line);
		p++;
		quoted = true;
	}
	rest = decode(p, quoted, out, &n);
	FUZZ_CHECK(rest != NULL && strcmp(rest, " end=1") == 0, "the value is not one field: %s",
	           line);
	FUZZ_CHECK(n == len && memcmp(out, value, len) == 0, "the value does not read back: %s",
	           line);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = fuzz_cstr(data, size < VALUE_MAX ? size : VALUE_MAX), *line;
	size_t len = strlen(value);
	int half = (int)len / 2;

	line = logged("a=%s end=1", value, -1);
	check(line, value, len, false);
	free(line);
	line = logged("a=\"%s\" end=1", value, -1);
	check(line, value, len, true);
	free(line);
	line = logged("a=%.*s end=1", value, half);
	check(line, value, (size_t)half, false);
	free(line);
	free(value);
	return 0;
}
