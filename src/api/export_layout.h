/*
 * export_layout.h - the layouts of the journals' exports (SPEC §5; docs/EXPORTS.md), chosen by
 * layout= on every export that export.c streams:
 *   machine  today's bytes, the default: English column keys, amounts in minor units, codes
 *            and ids, RFC 3339 instants, comma (CSV) or tab (TXT). For scripts.
 *   classic  the back office's own (Vision's "Classique"), what an accountant opens in a
 *            spreadsheet: the web UI's column labels in the user's language, amounts in units
 *            with the language's decimal mark and no grouping, statuses, types and shops by
 *            name, dates and times in the user's zone as the language writes them, a UTF-8
 *            BOM, and ';' between French fields (Excel's French list separator).
 *   old      Vision's "Ancien", a file whose shape never changes: fixed columns whatever the
 *            user chose or the default becomes (columns_old), with the machine's
 *            conventions.
 * A row's cells go through export_put with their kind; the machine and old layouts write the
 * value as given, the classic one rewrites it. Constant memory: a page's writer holds a few
 * shop names, nothing per row.
 */
#ifndef GUICHET_API_EXPORT_LAYOUT_H
#define GUICHET_API_EXPORT_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "domain/tz.h"

struct store;
struct session;

enum export_layout { LAYOUT_MACHINE = 0, LAYOUT_CLASSIC, LAYOUT_OLD };

/* "machine", "classic", "old" → 0 and *out; else -1. */
int export_layout_parse(const char *text, enum export_layout *out);

/* The message of a bad layout= (400 invalid_field, field "layout"). */
#define EXPORT_LAYOUT_HELP "layout is machine (the default), classic or old."

/* What a cell holds, which tells the classic layout how to write it. */
enum export_kind {
	EK_TEXT,    /* as it is */
	EK_NUMBER,  /* an id or a count: as it is */
	EK_AMOUNT,  /* minor units of the row's currency (export_out.currency) */
	EK_UNITS,   /* an amount already in units, "150.50" (the contracts' bounds) */
	EK_INSTANT, /* RFC 3339 with its offset, from the user's zone */
	EK_DAY,     /* YYYY-MM-DD */
	EK_WORD,    /* a code of a closed set (the set named by the cell): its name */
	EK_SHOP,    /* a shop's id: its name */
};

#define EXPORT_SHOP_CACHE 16

/* A page's writer: where the cells go and how. */
struct export_out {
	struct buf *b;
	enum export_layout layout;
	bool txt;
	bool en;              /* classic: English words, else French */
	const char *currency; /* the current row's, for its EK_AMOUNT cells */
	int col;              /* the next cell's index in its line */
	struct store *st;     /* shop names (EK_SHOP) */
	int64_t brand_id;
	struct {
		int64_t id;
		char name[81];
	} shops[EXPORT_SHOP_CACHE];
};

/* Starts a page's writer into b; the classic layout reads the user's language. ST_OK or the
 * store's error. */
int export_out_init(struct export_out *o, struct buf *b, enum export_layout layout, bool txt,
                    struct store *st, const struct session *who);

/* The header line of an export whose columns have the keys given (NULL-terminated: the
 * machine's header); set names their labels ("transactions", "batches", "reconciliation",
 * …). The classic layout starts with the BOM. */
void export_out_header(struct export_out *o, const char *set, const char *const *keys);

/* One cell; set: EK_WORD's set of names ("tx.status"…), else NULL. */
void export_put(struct export_out *o, enum export_kind kind, const char *set, const char *value);

/* Ends the line of a row. */
void export_out_row_end(struct export_out *o);

/* The file's name: base, then the period's first and last days in the user's zone when the
 * layout is a person's (classic, old) and the period was given, from < to (to INT64_MAX,
 * from 0: none) ("transactions_2026-11-01_2026-11-30"), into out (cap bytes). */
void export_file_name(char *out, size_t cap, const char *base, enum export_layout layout,
                      const struct tz *z, int64_t from_us, int64_t to_us);

#endif
