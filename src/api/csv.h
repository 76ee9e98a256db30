/*
 * csv.h - CSV output for exports (RFC 4180): fields quoted when they need it, lines ended by
 * CRLF, and a field that a spreadsheet would run as a formula (=, +, -, @, tab or CR first,
 * but not a plain negative integer) defused with a leading apostrophe (CSV injection).
 */
#ifndef GUICHET_CSV_H
#define GUICHET_CSV_H

#include <stdbool.h>

#include "common/buf.h"

/* Appends one field; first: it starts a line (no separator before it). */
void csv_field(struct buf *b, const char *value, bool first);

/* The TXT layout of exports: fields separated by tabs, a tab, CR or LF inside a field
 * becoming a space; formulas defused as in CSV. */
void txt_field(struct buf *b, const char *value, bool first);

/* csv_field with the separator sep (',' or ';': a field holding either is quoted); number:
 * the field is a number the export wrote ("-150,50"), never a formula. */
void csv_field_as(struct buf *b, const char *value, bool first, char sep, bool number);

/* txt_field; number as csv_field_as's. */
void txt_field_as(struct buf *b, const char *value, bool first, bool number);

/* Ends the line. */
void csv_end(struct buf *b);

#endif
