/*
 * bins.c - the BIN table (bins.h): prefixes sorted as strings, looked up from the longest.
 */
#include <stdlib.h>
#include <string.h>

#include "domain/bins.h"
#include "domain/risk.h"

#define PREFIX_MAX 19

struct bin {
	char prefix[PREFIX_MAX + 1];
	char country[3];
	int line; /* in the text it came from: for a prefix found twice */
};

extern const char bins_builtin[]; /* data/bins.csv, embedded by meson */

static struct bin *table;
static size_t n_table;

static int
bin_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bin *)a)->prefix, ((const struct bin *)b)->prefix);
}

static void *
grow(void *p, size_t n, size_t size)
{
	void *q = realloc(p, n * size);

	if (q == NULL)
		abort();
	return q;
}

/* One line "prefix,country[,…]" into b; false when not of that form. */
static bool
parse_line(const char *line, size_t len, struct bin *b)
{
	size_t i = 0, n = 0;

	while (i < len && line[i] >= '0' && line[i] <= '9' && n < PREFIX_MAX)
		b->prefix[n++] = line[i++];
	b->prefix[n] = '\0';
	if (n == 0 || i >= len || line[i] != ',' || len - i < 3)
		return false;
	memcpy(b->country, line + i + 1, 2);
	b->country[2] = '\0';
	i += 3;
	return country_valid(b->country) && (i == len || line[i] == ',');
}

int
bins_load(const char *text, size_t len)
{
	struct bin *t = NULL;
	size_t n = 0, cap = 0, at = 0;
	int line_no = 0;

	while (at < len) {
		const char *line = text + at, *end = memchr(line, '\n', len - at);
		size_t ll = end ? (size_t)(end - line) : len - at;

		at += ll + (end ? 1 : 0);
		line_no++;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0 || line[0] == '#' ||
		    (line_no == 1 && ll >= 14 && memcmp(line, "prefix,country", 14) == 0))
			continue;
		if (n == cap)
			t = grow(t, cap = cap ? cap * 2 : 64, sizeof(*t));
		t[n].line = line_no;
		if (!parse_line(line, ll, &t[n])) {
			free(t);
			return line_no;
		}
		n++;
	}
	if (n > 0)
		qsort(t, n, sizeof(*t), bin_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(t[i - 1].prefix, t[i].prefix) == 0) {
			int second = t[i].line > t[i - 1].line ? t[i].line : t[i - 1].line;

			free(t);
			return second;
		}
	}
	free(table);
	table = t;
	n_table = n;
	return 0;
}

void
bins_default(void)
{
	if (table == NULL)
		(void)bins_load(bins_builtin, strlen(bins_builtin));
}

const char *
bin_country(const char *digits)
{
	struct bin key;
	size_t n = strnlen(digits, PREFIX_MAX);

	memcpy(key.prefix, digits, n);
	for (; n > 0 && n_table > 0; n--) {
		const struct bin *b;

		key.prefix[n] = '\0';
		b = bsearch(&key, table, n_table, sizeof(*table), bin_cmp);
		if (b != NULL)
			return b->country;
	}
	return "";
}

size_t
bins_count(void)
{
	return n_table;
}

void
bins_free(void)
{
	free(table);
	table = NULL;
	n_table = 0;
}
