/*
 * csv.c - RFC 4180 fields (csv.h). Exports write millions of fields: each is copied in spans
 * between the characters that need care, never a byte at a time.
 */
#include <string.h>

#include "api/csv.h"

/* A field a spreadsheet would run as a formula: it starts with =, +, - or @, or, where they
 * stay as they are (CSV, not TXT), a tab or a CR (OWASP "CSV Injection"), and is not a plain
 * negative integer (an amount such as a batch's total, read as a number). */
static bool
formula(const char *v, bool controls)
{
	if (v[0] == '-' && v[1] != '\0' && strspn(v + 1, "0123456789") == strlen(v + 1))
		return false;
	return v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' ||
	       (controls && (v[0] == '\t' || v[0] == '\r'));
}

void
csv_field_as(struct buf *b, const char *v, bool first, char sep, bool number)
{
	size_t len = strlen(v);
	/* A comma is quoted even between ';' fields, but for a number (a French amount). */
	bool quote = strcspn(v, number && sep == ';' ? "\"\r\n;" : ",\"\r\n;") != len;

	if (!first)
		buf_add(b, &sep, 1);
	if (quote)
		buf_add(b, "\"", 1);
	if (!number && formula(v, true))
		buf_add(b, "'", 1);
	if (!quote) {
		buf_add(b, v, len);
		return;
	}
	/* Inside quotes, a quote is written twice. */
	for (const char *p = v;;) {
		size_t span = strcspn(p, "\"");

		buf_add(b, p, span);
		if (p[span] == '\0')
			break;
		buf_add(b, "\"\"", 2);
		p += span + 1;
	}
	buf_add(b, "\"", 1);
}

void
csv_field(struct buf *b, const char *v, bool first)
{
	csv_field_as(b, v, first, ',', false);
}

void
txt_field_as(struct buf *b, const char *v, bool first, bool number)
{
	if (!first)
		buf_add(b, "\t", 1);
	if (!number && formula(v, false))
		buf_add(b, "'", 1);
	/* A tab, CR or LF would break the layout: each becomes a space. */
	for (const char *p = v;;) {
		size_t span = strcspn(p, "\t\r\n");

		buf_add(b, p, span);
		if (p[span] == '\0')
			break;
		buf_add(b, " ", 1);
		p += span + 1;
	}
}

void
txt_field(struct buf *b, const char *v, bool first)
{
	txt_field_as(b, v, first, false);
}

void
csv_end(struct buf *b)
{
	buf_add(b, "\r\n", 2);
}
