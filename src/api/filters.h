/*
 * filters.h - the values of the journals' filters in a query string (SPEC §5, §16): a date
 * and time in the user's zone, an order reference with '%' wildcards, a text, an amount
 * comparison, a page's cursor. Shared by every journal so that each reads them alike.
 */
#ifndef GUICHET_API_FILTERS_H
#define GUICHET_API_FILTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/tz.h"
#include "store/store.h"

/* A date "YYYY-MM-DD" or a date and time "YYYY-MM-DDTHH:MM[:SS]" in the zone z, as an
 * instant. end: a date alone means the end of that day (the next day's start), a time its
 * whole second. -1 when malformed. */
int filter_when(const char *v, const struct tz *z, bool end, int64_t *out);

/* An order reference pattern with '%' wildcards as a LIKE pattern ('\\' escaping): '_' and
 * '\\' are taken literally. out: 2 * length + 3 bytes are enough. */
void filter_like(const char *v, char *out, size_t cap);

/* A free-text filter (an order reference pattern, an e-mail, a contract, a wallet): not
 * empty, shorter than cap, and text: UTF-8 without controls or bidirectional marks, which no
 * stored value holds (json_get_text refuses them). */
bool filter_text(const char *v, size_t cap);

/* "eq:N", "ge:N", "le:N", "ne:N": an amount comparison in minor units. -1 when malformed. */
int filter_amount(const char *v, enum amount_cmp *cmp, int64_t *amount);

/* A page's cursor "CREATED_AT.ID" (v is cut at the dot). -1 when malformed. */
int filter_cursor(char *v, int64_t *after_at, int64_t *after_id);

#endif
