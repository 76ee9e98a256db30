/*
 * table.c - tables, CSV and tab-separated lines (table.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/i18n.h"
#include "cli/table.h"

size_t
table_text_width(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; s != NULL && *p; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	return n;
}

/* A column's header in the reader's language ("" stays "": gettext would give its header). */
static const char *
title_of(const struct table_col *col)
{
	return col->title[0] != '\0' ? _(col->title) : "";
}

/* The total of the shown columns' widths and their gaps. */
static size_t
total(const size_t *w, size_t n)
{
	size_t sum = 0, shown = 0;

	for (size_t i = 0; i < n; i++)
		if (w[i] > 0) {
			sum += w[i];
			shown++;
		}
	return shown > 0 ? sum + TABLE_GAP * (shown - 1) : 0;
}

/* The least a shown column may be narrowed to. */
static size_t
floor_of(const struct table_col *col, size_t natural)
{
	if (col->right)
		return natural;
	return col->min < natural ? (col->min < 2 ? 2 : col->min) : natural;
}

size_t
table_layout(const struct table_col *cols, size_t n, const char *const *cells, size_t nrows,
             size_t width, size_t *w)
{
	size_t natural[64], least;

	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++) {
		natural[i] = table_text_width(title_of(&cols[i]));
		for (size_t r = 0; r < nrows; r++) {
			size_t cw = table_text_width(cells[r * n + i]);

			if (cw > natural[i])
				natural[i] = cw;
		}
		if (natural[i] == 0)
			natural[i] = 1;
		w[i] = natural[i];
	}
	/* Drop columns while even their narrowest does not fit; one column always stays. */
	for (;;) {
		size_t floors[64], shown = 0;
		int drop = -1;

		for (size_t i = 0; i < n; i++) {
			floors[i] = w[i] > 0 ? floor_of(&cols[i], natural[i]) : 0;
			if (w[i] > 0) {
				shown++;
				if (drop < 0 || cols[i].keep < cols[drop].keep)
					drop = (int)i;
			}
		}
		least = total(floors, n);
		if (least <= width || shown <= 1)
			break;
		w[drop] = 0;
	}
	/* Narrow the widest truncatable column, one column at a time, until it fits. */
	while (total(w, n) > width) {
		int widest = -1;

		for (size_t i = 0; i < n; i++)
			if (w[i] > 0 && !cols[i].right && w[i] > floor_of(&cols[i], natural[i]) &&
			    (widest < 0 || w[i] > w[widest]))
				widest = (int)i;
		if (widest < 0)
			break; /* a lone column wider than the terminal: the terminal wraps it */
		w[widest]--;
	}
	return total(w, n);
}

/* Writes s in width columns: cut with "…" when longer, padded (on the left when right) unless
 * it is the last column. */
static void
cell_write(FILE *f, const char *s, size_t width, bool right, bool last)
{
	size_t len = table_text_width(s), shown = 0;

	if (s == NULL)
		s = "";
	if (len > width) {
		const unsigned char *p = (const unsigned char *)s;

		/* width - 1 code points, then the ellipsis. */
		for (; *p; p++) {
			if ((*p & 0xC0) != 0x80 && shown++ == width - 1)
				break;
			fputc(*p, f);
		}
		fputs("…", f);
		return;
	}
	if (right)
		for (size_t i = len; i < width; i++)
			fputc(' ', f);
	fputs(s, f);
	if (!right && !last)
		for (size_t i = len; i < width; i++)
			fputc(' ', f);
}

/* One line of the table: cells of row (n of them) at widths w. */
static void
line_write(FILE *f, const struct table_col *cols, size_t n, const char *const *row, const size_t *w)
{
	size_t last = 0;
	bool first = true;

	for (size_t i = 0; i < n; i++)
		if (w[i] > 0)
			last = i;
	for (size_t i = 0; i < n; i++) {
		if (w[i] == 0)
			continue;
		if (!first)
			fprintf(f, "%*s", TABLE_GAP, "");
		first = false;
		cell_write(f, row[i] != NULL ? row[i] : "", w[i], cols[i].right, i == last);
	}
	fputc('\n', f);
}

void
table_write(FILE *f, const struct table_col *cols, size_t n, const char *const *cells, size_t nrows,
            const size_t *w)
{
	const char *titles[64];

	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++)
		titles[i] = title_of(&cols[i]);
	line_write(f, cols, n, titles, w);
	for (size_t r = 0; r < nrows; r++)
		line_write(f, cols, n, cells + r * n, w);
}

void
table_csv_record(FILE *f, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = fields[i] != NULL ? fields[i] : "";

		if (i > 0)
			fputc(',', f);
		if (strpbrk(s, ",\"\r\n") == NULL) {
			fputs(s, f);
			continue;
		}
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	}
	fputs("\r\n", f);
}

void
table_tsv_record(FILE *f, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc('\t', f);
		for (const char *s = fields[i] != NULL ? fields[i] : ""; *s; s++)
			fputc(*s == '\t' || *s == '\r' || *s == '\n' ? ' ' : *s, f);
	}
	fputc('\n', f);
}

size_t
table_sparkline(const long long *v, size_t n, size_t width, char *out, size_t cap)
{
	size_t groups = n < width ? n : width, at = 0;
	long long lo = 0, hi = 0, *sum;

	if (cap > 0)
		out[0] = '\0';
	if (groups == 0 || cap < groups * 3 + 1 || (sum = calloc(groups, sizeof(*sum))) == NULL)
		return 0;
	/* Group g takes n / groups values, the first n % groups one more. */
	for (size_t g = 0; g < groups; g++) {
		size_t len = n / groups + (g < n % groups ? 1 : 0);

		for (size_t i = 0; i < len; i++)
			sum[g] += v[at + i];
		at += len;
		lo = g == 0 || sum[g] < lo ? sum[g] : lo;
		hi = g == 0 || sum[g] > hi ? sum[g] : hi;
	}
	for (size_t g = 0; g < groups; g++) {
		/* 0..7 by where the sum lies between lo and hi, in long double: no overflow. */
		int level = hi == lo ? 0
		                     : (int)(((long double)sum[g] - (long double)lo) * 7.0L /
		                                     ((long double)hi - (long double)lo) +
		                             0.5L);

		out[g * 3] = (char)0xE2;
		out[g * 3 + 1] = (char)0x96;
		out[g * 3 + 2] = (char)(0x81 + level);
	}
	out[groups * 3] = '\0';
	free(sum);
	return groups;
}
