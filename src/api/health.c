/*
 * health.c - liveness: answers while the loops run, with the server's clock (by which every
 * payment is dated: a monitor can compare it with its own). Touches no storage.
 */
#include <stdio.h>

#include "api/api.h"
#include "domain/calendar.h"

int
api_health(struct req *r)
{
	char now[25], body[64];
	int n;

	cal_instant_format(clock_now_us(), now);
	n = snprintf(body, sizeof(body), "{\"status\":\"ok\",\"time\":\"%s\"}", now);
	http_reply_raw(r, 200, body, (size_t)n);
	return 0;
}
