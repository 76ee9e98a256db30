/*
 * fuzz_csv.c - the export's field writers (src/api/csv.c), held to what they promise rather
 * than to "does not crash": the fields of the input (NUL-separated) written as one CSV line
 * and one TXT line, and each line read back by a strict reader written here apart from the
 * writer.
 *
 * Properties: the CSV line is RFC 4180 (fields split by commas, a field with a quote, comma,
 * semicolon, CR or LF quoted, quotes inside doubled, CRLF only at the end); the TXT line has
 * one tab between fields and none inside; every field reads back as written, or with one
 * apostrophe in front when a spreadsheet would run it as a formula; and no field read back
 * starts a formula (OWASP "CSV Injection": =, +, -, @, tab or CR first), but for a plain
 * negative integer, which stays a number.
 */
#include <stdbool.h>

#include "api/csv.h"
#include "fuzz.h"

#define FIELDS_MAX 64

/* A value a spreadsheet reads as a formula (OWASP), a plain negative integer excepted. */
static bool
formula(const char *v, size_t len)
{
	bool negative_integer = len >= 2 && v[0] == '-';

	for (size_t i = 1; negative_integer && i < len; i++)
		negative_integer = v[i] >= '0' && v[i] <= '9';
	return len > 0 && !negative_integer && strchr("=+-@\t\r", v[0]) != NULL;
}

/* Whether got (glen bytes, read back) is want as the writer must write it: for TXT, tabs,
 * CR and LF as spaces; then an apostrophe in front exactly when that is a formula. */
static bool
same(const char *got, size_t glen, const char *want, bool txt)
{
	size_t wlen = strlen(want);
	char *w = malloc(wlen + 2);
	bool ok;

	if (w == NULL)
		abort();
	for (size_t i = 0; i < wlen; i++)
		w[i + 1] = txt && strchr("\t\r\n", want[i]) != NULL ? ' ' : want[i];
	w[0] = '\'';
	ok = formula(w + 1, wlen) ? glen == wlen + 1 && memcmp(got, w, glen) == 0
	                          : glen == wlen && memcmp(got, w + 1, glen) == 0;
	free(w);
	return ok;
}

/* Reads the next field of a CSV line at *p (RFC 4180, strict) into out; moves *p past its
 * separator. -1 when the line is not RFC 4180 there. */
static long
csv_read(const char **p, char *out)
{
	const char *s = *p;
	long n = 0;

	if (*s == '"') {
		for (s++;; s++) {
			if (*s == '\0')
				return -1; /* an unterminated quote */
			if (*s == '"') {
				if (s[1] != '"')
					break;
				s++;
			}
			out[n++] = *s;
		}
		s++;
	} else {
		for (; *s != ',' && *s != '\r' && *s != '\0'; s++) {
			if (*s == '"' || *s == '\n')
				return -1; /* a bare quote or line feed */
			out[n++] = *s;
		}
	}
	if (*s == ',')
		s++;
	else if (strcmp(s, "\r\n") != 0)
		return -1; /* the line goes on after the field, or does not end in CRLF */
	*p = s;
	return n;
}

static void
check_line(char **fields, int n, bool txt)
{
	struct buf b;
	const char *p;
	char *line, *value;

	buf_init(&b, 1 << 20);
	for (int i = 0; i < n; i++)
		(txt ? txt_field : csv_field)(&b, fields[i], i == 0);
	csv_end(&b);
	FUZZ_CHECK(!b.failed, "the line overflowed its buffer");
	line = buf_take(&b);
	value = malloc(strlen(line) + 1);
	if (value == NULL)
		abort();
	p = line;
	for (int i = 0; i < n; i++) {
		long len;

		if (txt) {
			len = (long)strcspn(p, "\t\r\n");
			memcpy(value, p, (size_t)len);
			p += len;
			FUZZ_CHECK(*p == (i + 1 < n ? '\t' : '\r'), "TXT field %d ends wrongly", i);
			p += i + 1 < n ? 1 : 0;
		} else {
			len = csv_read(&p, value);
			FUZZ_CHECK(len >= 0, "not RFC 4180 at field %d: %s", i, line);
		}
		value[len] = '\0';
		FUZZ_CHECK(same(value, (size_t)len, fields[i], txt),
		           "%s field %d reads back as \"%s\" for \"%s\"", txt ? "TXT" : "CSV", i,
		           value, fields[i]);
		FUZZ_CHECK(!formula(value, (size_t)len), "field %d reads back as a formula: %s", i,
		           value);
	}
	FUZZ_CHECK(strcmp(p, "\r\n") == 0, "the line goes on after its fields: %s", p);
	free(value);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *fields[FIELDS_MAX];
	int n = 0;

	/* NUL-separated fields: the writer takes C strings, which never hold one. */
	for (size_t i = 0; i <= size && n < FIELDS_MAX; i += strlen(text + i) + 1)
		fields[n++] = text + i;
	check_line(fields, n, false);
	check_line(fields, n, true);
	free(text);
	return 0;
}
