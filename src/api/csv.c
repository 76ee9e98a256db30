/*
 * csv.c - RFC 4180 fields (csv.h).
 */
#include <string.h>

#include "api/csv.h"

void
csv_field(struct buf *b, const char *v, bool first)
{
	bool quote = strpbrk(v, ",\"\r\n;") != NULL;

	if (!first)
		buf_add(b, ",", 1);
	if (quote)
		buf_add(b, "\"", 1);
	if (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')
		buf_add(b, "'", 1);
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"')
			buf_add(b, "\"", 1);
		buf_add(b, p, 1);
	}
	if (quote)
		buf_add(b, "\"", 1);
}

void
txt_field(struct buf *b, const char *v, bool first)
{
	if (!first)
		buf_add(b, "\t", 1);
	if (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')
		buf_add(b, "'", 1);
	for (const char *p = v; *p != '\0'; p++)
		buf_add(b, *p == '\t' || *p == '\r' || *p == '\n' ? " " : p, 1);
}

void
csv_end(struct buf *b)
{
	buf_add(b, "\r\n", 2);
}
