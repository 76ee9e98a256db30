/*
 * clock.h - the time of day, read in one place: microseconds since the epoch, UTC.
 * The domain never reads it: callers pass "now" to the rules.
 */
#ifndef GUICHET_CLOCK_H
#define GUICHET_CLOCK_H

#include <stdint.h>

int64_t clock_now_us(void);

#endif
