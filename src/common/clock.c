/*
 * clock.c - the time of day (clock.h).
 */
#include <stdbool.h>
#include <time.h>

#include "common/clock.h"

static bool pinned;
static int64_t pin_start_us, pin_mono_us;

static int64_t
read_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
clock_now_us(void)
{
	/* A pinned clock runs on the monotonic clock: a change of the system's time does not
	 * move it. */
	if (pinned)
		return pin_start_us + (read_us(CLOCK_MONOTONIC) - pin_mono_us);
	return read_us(CLOCK_REALTIME);
}

void
clock_pin(int64_t start_us)
{
	pin_mono_us = read_us(CLOCK_MONOTONIC);
	pin_start_us = start_us;
	pinned = true;
}
