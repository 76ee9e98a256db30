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

/* Ends the line. */
void csv_end(struct buf *b);

#endif
