/*
 * push_report.h - when a user's daily push report is due (docs/EREPORTING.md "Push reports"):
 * each local day at the wall time the user chose, in the user's own time zone (tz.h), the
 * report of the local day before. Pure computation.
 *
 * The wall time is the zone's on that day: 07:00 in Paris is 06:00 UTC in winter, 05:00 in
 * summer. A wall time the spring change skips (Paris 02:30 on the last Sunday of March) is run
 * at the first instant after the gap (03:00, summer time); one the autumn change repeats
 * (Paris 02:30 on the last Sunday of October) once, at its first occurrence (summer time).
 */
#ifndef GUICHET_PUSH_REPORT_H
#define GUICHET_PUSH_REPORT_H

#include <stdint.h>

#include "domain/tz.h"

/* The subscription's defaults: off, 07:00 local. */
#define PUSH_DEFAULT_MINUTE (7 * 60)

/* A report of at most PUSH_ATTACH_MAX bytes is attached to its mail; a larger one is kept and
 * mailed as a link, valid PUSH_LINK_TTL_S seconds; one larger than PUSH_FILE_MAX is not made
 * (the run fails, saying so). */
#define PUSH_ATTACH_MAX (32 * 1024)
#define PUSH_LINK_TTL_S (7 * 86400)
#define PUSH_FILE_MAX   (16 * 1024 * 1024)

/* Failed attempts after which a run is marked failed; the waits before the second and third
 * attempts (docs/EREPORTING.md: 15 minutes, then 1 hour). */
#define PUSH_ATTEMPTS_MAX 3

/* The UTC instant of local wall time minute (0..1439) on day in zone, by the rules above. */
int64_t push_due_at(const struct tz *zone, int64_t day, int minute);

/* The local day D whose report time is the last one at or before now: push_due_at(D) <= now <
 * push_due_at(D + 1). Its report is of day D - 1. */
int64_t push_due_day(const struct tz *zone, int minute, int64_t now);

/* The first report time strictly after now. */
int64_t push_next_due(const struct tz *zone, int minute, int64_t now);

/* "HH:MM" (00:00 to 23:59, two digits each) as a minute of the day; -1 when it is not one. */
int push_time_parse(const char *s);

/* The minute of the day as "HH:MM" (6 bytes, NUL-terminated). */
void push_time_format(int minute, char out[6]);

/* How long after its attempts-th failed attempt (1, 2, ...) a run is tried again, in µs; 0
 * when none is left (PUSH_ATTEMPTS_MAX reached: the run is failed). */
int64_t push_retry_after_us(int attempts);

#endif
