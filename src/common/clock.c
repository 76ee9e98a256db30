/*
 * clock.c - the time of day and the durations' clock (clock.h).
 */
#include <stdbool.h>
#include <time.h>

#include "common/clock.h"

static bool pinned;
static int64_t pin_start_us, pin_real_us;

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
	/* A pinned clock keeps its distance to the system's: whatever moves the system's time
	 * (NTP, a virtual machine paused and set right again) moves it alike, so a test that
	 * reads the system's clock beside it stays in step with it. */
	if (pinned)
		return pin_start_us + (read_us(CLOCK_REALTIME) - pin_real_us);
	return read_us(CLOCK_REALTIME);
}

int64_t
clock_mono_us(void)
{
	return read_us(CLOCK_MONOTONIC);
}

void
clock_pin(int64_t start_us)
{
	pin_real_us = read_us(CLOCK_REALTIME);
	pin_start_us = start_us;
	pinned = true;
}
