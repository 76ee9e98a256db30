/*
 * tz.h - per-user time zones, from a fixed table, without a time zone database.
 *
 * A zone is either a fixed offset from UTC or a base offset plus a summer-time rule: the EU's
 * (calendar.h, cal_eu_summer: +1 h from the last Sunday of March 01:00 UTC to the last Sunday
 * of October 01:00 UTC) or North America's (+1 h from the second Sunday of March 02:00 local
 * to the first Sunday of November 02:00 local). Only the zones listed by tz_count/tz_name_at exist; their rules are
 * the current ones, applied to every year (no historical data). Pure computation: no I/O, no
 * TZ variable, no localtime, so any thread may use any zone at any time.
 *
 * This is not the merchant's business day: bank dates stay in Europe/Paris (calendar.h). A
 * zone here only changes how a user sees and types instants.
 *
 * Instants are int64_t microseconds since the Unix epoch, UTC; days are day numbers since
 * 1970-01-01 (calendar.h). Formats assume years 0000..9999.
 */
#ifndef GUICHET_TZ_H
#define GUICHET_TZ_H

#include <stddef.h>
#include <stdint.h>

/* A supported zone. Opaque; every one is static and lives for the whole program. */
struct tz;

/* The zone with this exact, case-sensitive IANA name ("Europe/Paris"), or NULL when name is
 * NULL or not supported. The result is static. */
const struct tz *tz_find(const char *name);

/* The default zone, Europe/Paris. Static, never NULL. */
const struct tz *tz_default(void);

/* The IANA name of the zone. Static. */
const char *tz_name(const struct tz *zone);

/* The zone's offset from UTC at the instant t_us, in seconds east of UTC (Paris: 3600 or
 * 7200, Tahiti: -36000). */
int tz_offset(const struct tz *zone, int64_t t_us);

/* The local date (day number) of the instant t_us in the zone. */
int64_t tz_day(const struct tz *zone, int64_t t_us);

/* The UTC instant at which local 00:00 of day starts in the zone: the first instant whose
 * tz_day is day. Same as tz_local_to_utc(zone, day, 0). */
int64_t tz_day_start(const struct tz *zone, int64_t day);

/* The UTC instant of the local wall time day + secs_of_day (0..86399; values outside that
 * range simply count from day's 00:00) in the zone. Wall times that happen twice (the hour
 * before the autumn switch is repeated) give the earlier instant, the one still in summer
 * time. Wall times that never happen (the hour skipped in spring) are shifted forward by the
 * gap: Paris 02:30 on the spring day is read with the winter offset, 01:30 UTC, which shows
 * as 03:30. */
int64_t tz_local_to_utc(const struct tz *zone, int64_t day, int secs_of_day);

/* Writes the local time of t_us as "YYYY-MM-DD HH:MM:SS" into out (20 bytes, NUL-terminated);
 * sub-seconds are truncated. */
void tz_format(const struct tz *zone, int64_t t_us, char out[20]);

/* Writes the local time of t_us as RFC 3339 with its offset, "2026-11-24T18:43:05+01:00"
 * (UTC as "+00:00"), into out (26 bytes, NUL-terminated); sub-seconds are truncated. */
void tz_format_iso(const struct tz *zone, int64_t t_us, char out[26]);

/* The number of supported zones. */
size_t tz_count(void);

/* The IANA name of the i-th supported zone (UTC, then Europe/Paris and the EU zones, then the
 * French overseas zones, then North America), or NULL when i >= tz_count(). Static. */
const char *tz_name_at(size_t i);

#endif
