/*
 * ereport.h - electronic reporting (SPEC §14, Vision manual §3.4.6): a user's downloads of
 * the transactions journal in the structure (which fields) and format (how they are written)
 * they chose (docs/EREPORTING.md). This file writes the lines; the export stream (export.h)
 * sends them, and the transactions search (transactions.c) finds the rows. It is not the push
 * reports (mailed daily), which do not exist yet.
 */
#ifndef GUICHET_API_EREPORT_H
#define GUICHET_API_EREPORT_H

#include <stdbool.h>

#include <jansson.h>

#include "api/columns.h"
#include "common/buf.h"
#include "store/store.h"

enum ereport_structure {
	EREPORT_STANDARD, /* the default */
	EREPORT_EXTENDED,
	EREPORT_FILE_MANAGEMENT,
	EREPORT_DYNAMIC, /* the user's columns of the transactions journal */
	EREPORT_STRUCTURE__COUNT
};

enum ereport_format {
	EREPORT_DELIMITED, /* the default: the CSV export's separator and quoting */
	EREPORT_XML,
	EREPORT_FIXED,
	EREPORT_FORMAT__COUNT
};

/* The user preferences that keep the choice (user_pref). */
#define EREPORT_PREF_STRUCTURE "ereport.structure"
#define EREPORT_PREF_FORMAT    "ereport.format"

/* A report's shape: its columns of the transactions journal, and whether a last column, the
 * batch-file line reference, follows them (File management). */
struct ereport {
	enum ereport_structure structure;
	enum ereport_format format;
	struct columns cols;
	bool line_ref;
	/* Fixed-length: each value's width in characters and alignment (the line reference's
	 * last), looked up once by ereport_load rather than for every value of every row. */
	unsigned char width[COLUMNS_MAX + 1];
	bool right[COLUMNS_MAX + 1];
};

/* Names ("standard", "file_management", "xml", ...): static; NULL past the count. */
const char *ereport_structure_name(int s);
const char *ereport_format_name(int f);

/* The index of a name, or -1. */
int ereport_structure_parse(const char *name);
int ereport_format_parse(const char *name);

/* The choice of a user (the defaults when none, or when a stored one no longer parses) and its
 * columns, into out. ST_OK or ST_STORE. */
int ereport_load(struct store *st, int64_t brand_id, int64_t user_id, struct ereport *out);

/* The Content-Type and file extension of a format. Static. */
const char *ereport_content_type(enum ereport_format f);
const char *ereport_extension(enum ereport_format f);

/* What a report starts with (XML prolog and root, or the header line) and ends with. */
void ereport_begin(struct buf *b, const struct ereport *e);
void ereport_end(struct buf *b, const struct ereport *e);

/* A row: begin, then each value (k: the index among e->cols, or e->cols.n for the line
 * reference), then end. value is lent. */
void ereport_row_begin(struct buf *b, const struct ereport *e);
void ereport_value(struct buf *b, const struct ereport *e, int k, const char *value);
void ereport_row_end(struct buf *b, const struct ereport *e);

/* --- the choice, as the preference routes read and write it (prefs.c) --- */

#define PREFS_EREPORT_MAX 24
#define EREPORT_HELP                                                                               \
	"ereport is {\"structure\": standard, extended, file_management or dynamic, \"format\": "  \
	"delimited, xml or fixed, \"push\": {\"enabled\": true or false, \"time\": \"HH:MM\"}}, "  \
	"any member null for the default (standard, delimited, push off at 07:00)."

/* A change of the choice: what is set ("" resets to the default). */
struct prefs_ereport {
	bool set_structure, set_format;
	char structure[PREFS_EREPORT_MAX], format[PREFS_EREPORT_MAX];
	/* "push": the daily push report's subscription (api/push_reports.h). */
	bool set_push, push_reset;
	int push_enabled, push_minute; /* -1: unchanged */
};

/* Reads {"structure":..., "format":...} (either may be absent or null) into out. NULL, or the
 * bad field's name ("ereport", "ereport.structure", "ereport.format"). v is lent. */
const char *prefs_ereport_parse(json_t *v, struct prefs_ereport *out);

/* Stores the change e of a user's choice (in the caller's transaction, if any). ST_OK or
 * ST_STORE. */
int prefs_ereport_put(struct store *st, int64_t brand_id, int64_t user_id,
                      const struct prefs_ereport *e, int64_t now);

/* Sets to["ereport"] to the user's choice and what may be chosen. to is lent. */
int prefs_ereport_json(struct store *st, int64_t brand_id, int64_t user_id, json_t *to);

#endif
