/*
 * api_error.h - the rules of the merchant API's error log as users search it (SPEC §14;
 * Ingenico guide 3.2.10: "the errors of the last three days"). Pure C, no I/O.
 *
 * The period a search may ask: the log keeps API_ERROR_KEEP_DAYS × 24 h (the retention job
 * deletes older rows), and a user picks days of their own time zone, so a search may start at
 * the beginning of the user's day that holds the oldest instant kept (three calendar days back
 * and today), and end at the end of today at the latest; before or after is a mistake, told as
 * such rather than answered with an empty page.
 *
 * The member an invalid_field refusal named is kept with the row, so that the integrator sees
 * which one to fix; but an unknown member's name is the client's text, which might be
 * anything (a card number sent as a name): it is kept only when it looks like a name, else
 * replaced by "?".
 *
 * Not the gathering (http/errlog.c), the storage (store.h) nor the page (api/api_errors.c).
 */
#ifndef GUICHET_API_ERROR_RULE_H
#define GUICHET_API_ERROR_RULE_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/tz.h"

#define API_ERROR_KEEP_DAYS 3  /* SPEC §14 */
#define API_ERROR_FIELD_MAX 40 /* the longest member name kept, in bytes */

/* What is wrong with a period, if anything. */
enum api_error_period {
	API_ERROR_PERIOD_OK = 0,
	API_ERROR_PERIOD_FROM, /* before the oldest day kept */
	API_ERROR_PERIOD_TO,   /* after today, or not after from */
};

/* The widest period a search may ask at now_us in zone z: *earliest the start of the day of
 * z that holds now_us - API_ERROR_KEEP_DAYS × 24 h, *latest the end of today in z (the start of
 * tomorrow). The default period of a search. */
void api_error_window(const struct tz *z, int64_t now_us, int64_t *earliest, int64_t *latest);

/* Whether [from, to) is a period a search may ask at now_us in zone z. */
enum api_error_period api_error_period_check(const struct tz *z, int64_t now_us, int64_t from,
                                             int64_t to);

/* Whether the member name of an invalid_field answer may be kept in the log: 1 to
 * API_ERROR_FIELD_MAX bytes of ASCII letters, digits, '_', '.', '[' and ']', without a run of
 * more than 4 digits (an index such as installments[2] passes; a card number, a key or a
 * signature sent as a name does not). NULL: false. */
bool api_error_field_keep(const char *field);

#endif
