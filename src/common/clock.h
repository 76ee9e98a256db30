/*
 * clock.h - the time of day, read in one place: microseconds since the epoch, UTC; and a
 * monotonic clock for durations (the metrics' latencies and lags).
 * The domain never reads it: callers pass "now" to the rules.
 *
 * The clock may be pinned (`--now`, for tests and demos of a given day): it then starts at
 * the instant given and keeps its distance to the system's clock, so a server pinned to a DST
 * night or a month's end lives through it as it would on that day.
 */
#ifndef GUICHET_CLOCK_H
#define GUICHET_CLOCK_H

#include <stdint.h>

int64_t clock_now_us(void);

/* A duration's clock: microseconds from an arbitrary start, never going back whatever the time
 * of day does (CLOCK_MONOTONIC, never pinned). For how long something took, never for a date. */
int64_t clock_mono_us(void);

/* From now on, clock_now_us() is start_us plus the time elapsed since this call. Call it
 * before any other thread starts (it is not synchronized). */
void clock_pin(int64_t start_us);

#endif
