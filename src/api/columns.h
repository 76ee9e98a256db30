/*
 * columns.h - the columns of the back office's journals (SPEC §3, §5; Vision manual §4.1.2):
 * which exist, which a user chose and in what order, and each one's text in an export.
 *
 * A choice is kept as the keys joined by commas ("id,created_at,amount_initial"); an unknown
 * or repeated key makes the whole choice invalid. Instants are written in the user's zone.
 */
#ifndef GUICHET_COLUMNS_H
#define GUICHET_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

#include "domain/tz.h"
#include "store/store.h"

enum journal {
	JOURNAL_TRANSACTIONS,
	JOURNAL_BATCHES,
	JOURNAL_PLANS,         /* installment plans (Vision manual §6.1.2) */
	JOURNAL_SUBSCRIPTIONS, /* subscriptions (§7.1.2) */
	JOURNAL__COUNT
};

#define COLUMNS_MAX      48
#define COLUMNS_TEXT_MAX 1024 /* the longest choice, as text */
#define COLUMN_VALUE_MAX                                                                           \
	64 /* the scratch a value may need (order references are longer
                               * but are returned as they are stored) */

struct columns {
	int n;
	unsigned char v[COLUMNS_MAX]; /* indexes into the journal's catalogue */
};

/* "transactions", "batches", "installment_plans", "subscriptions". Static. */
const char *journal_name(enum journal j);

/* The name of the user preference that keeps the journal's columns ("columns.transactions"). */
const char *journal_pref(enum journal j);

/* The catalogue: how many columns the journal has, and the key of the i-th (NULL past it). */
int columns_count(enum journal j);
const char *column_key(enum journal j, int i);

/* The choice a user has before choosing. */
void columns_default(enum journal j, struct columns *out);

/* The old layout's columns: fixed, whatever the user chose or the default becomes. */
void columns_old(enum journal j, struct columns *out);

/* Parses a choice ("a,b,c"). Returns 0, or -1 when empty, unknown, repeated or too long. */
int columns_parse(enum journal j, const char *text, struct columns *out);

/* Writes a choice as text into out (COLUMNS_TEXT_MAX bytes). */
void columns_format(enum journal j, const struct columns *c, char *out);

/* The fields of a transaction the columns c of the transactions journal show (txn_query). */
uint64_t columns_txn_fields(const struct columns *c);

/* The text of column i of a transaction (at now_us, for the 3-D Secure guarantee) or a batch
 * in zone z. The result is either scratch (COLUMN_VALUE_MAX bytes) or a string of the row or
 * a static one. */
const char *column_txn(int i, const struct txn *t, const struct tz *z, int64_t now_us,
                       char *scratch);
const char *column_batch(int i, const struct batch *b, const struct tz *z, char *scratch);

/* The text of column i of a plan or subscription (either journal: a plan's catalogue is the
 * first part of a subscription's) in zone z, as column_txn. */
const char *column_recurring(int i, const struct recurring *r, const struct tz *z, char *scratch);

struct export_out;

/* The header line of journal j's columns c, as the writer's layout names them. */
void columns_header(struct export_out *o, enum journal j, const struct columns *c);

/* The cell of column i of journal j holding value (column_txn's…), as the layout writes it. */
void columns_put(struct export_out *o, enum journal j, int i, const char *value);

/* The columns of journal j a user chose, or the default (api/prefs.c). */
int prefs_columns(struct store *st, int64_t brand_id, int64_t user_id, enum journal j,
                  struct columns *out);

#endif
