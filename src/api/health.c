/*
 * health.c - liveness: answers while the loops run. Touches no storage.
 */
#include "api/api.h"

int
api_health(struct req *r)
{
	http_reply_raw(r, 200, "{\"status\":\"ok\"}", 15);
	return 0;
}
