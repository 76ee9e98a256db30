/*
 * bins.h - the card's country from its BIN (SPEC §11 fraud filters; README "Risk"): a table of
 * number prefixes (1 to 19 digits) and ISO 3166 countries, the longest prefix matching a
 * number giving its country. The project ships data/bins.csv (the simulator's test cards:
 * docs/RISK.md says where each row comes from), embedded at build time; an operator replaces
 * it with their acquirer's BIN file (`guichetd serve --bin-table FILE`, the same format).
 *
 * The table is set once, before the threads start, and only read after.
 */
#ifndef GUICHET_BINS_H
#define GUICHET_BINS_H

#include <stddef.h>

/* Parses a BIN table (CSV, one "prefix,country" a line; a first line "prefix,country" and
 * lines starting with '#' are skipped; more columns are allowed and ignored) and makes it the
 * table. Returns 0, or the number of the first bad line (nothing changed): a prefix of other
 * than 1 to 19 digits, a country not ISO 3166, a prefix twice. Out of memory aborts. */
int bins_load(const char *text, size_t len);

/* Loads the built-in table (data/bins.csv) when no table was loaded. */
void bins_default(void);

/* The country of the longest prefix of digits in the table, or "" when none matches. */
const char *bin_country(const char *digits);

/* The number of prefixes in the table. */
size_t bins_count(void);

/* Frees the table (at exit, for the leak checker). */
void bins_free(void);

#endif
