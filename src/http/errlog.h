/*
 * errlog.h - the merchant API's error log (SPEC §4; Ingenico guide 3.2.10), gathered in
 * memory by the event loops and written once a second through the writer: a refused request
 * naming a real shop (a wrong signature, a missing one) is counted, not written at once, so
 * that a flood of them neither grows the database without bound nor fills the writer's queue
 * in front of the payments. Each second's refusals go to the store, which counts them in one
 * row per shop, method, path, status, code (and member) and minute, at most LIMIT_API_ERROR_ROWS rows per
 * shop a minute (README "The merchant API").
 *
 * Not the server's own log (common/log.h), nor the retention of the rows (jobs/retention.c).
 */
#ifndef GUICHET_ERRLOG_H
#define GUICHET_ERRLOG_H

#include <stdint.h>

#include "common/status.h"
#include "work/work.h"

struct errlog;

/* A new, empty log (out of memory aborts); errlog_free(NULL) does nothing. */
struct errlog *errlog_new(void);
void errlog_free(struct errlog *e);

/* Counts a refusal of the shop at now; never waits long (one lock, held for a look-up). What
 * the table cannot hold (more distinct refusals in a second than it has room for) is counted
 * in the shop's '*' entry, else dropped and the number dropped logged at the next writing.
 * The strings are copied (cut to their fields' sizes); field is the member an invalid_field
 * refusal named, already judged fit to keep (domain/api_error.h), or "". */
void errlog_add(struct errlog *e, int64_t brand_id, int64_t shop_id, int64_t now,
                const char *method, const char *path, int http_status, const char *code,
                const char *field);

/* Writes what was gathered every LIMIT_API_ERROR_FLUSH_MS through the writer of w, which must
 * outlive it. errlog_stop (before w stops; nothing when it did not start) writes the rest.
 * errlog_start: ST_OK or ST_INTERNAL. */
int errlog_start(struct errlog *e, struct work *w) WUR;
void errlog_stop(struct errlog *e);

#endif
