/*
 * ratelimit.c - the generic cell rate algorithm of ratelimit.h.
 */
#include "domain/ratelimit.h"

bool
rate_take(const struct rate_limit *rl, int64_t *tat, int64_t now, int64_t *retry_us)
{
	int64_t from = *tat > now ? *tat : now;
	/* How far ahead of now the key may run: burst - 1 events beyond the one taken now. */
	int64_t tolerance = (int64_t)(rl->burst - 1) * rl->every_us;

	if (from - now > tolerance) {
		*retry_us = from - now - tolerance;
		return false;
	}
	*tat = from + rl->every_us;
	*retry_us = 0;
	return true;
}

void
rate_give_back(const struct rate_limit *rl, int64_t *tat, int64_t now)
{
	*tat -= rl->every_us;
	if (*tat < now)
		*tat = now;
}

bool
rate_idle(int64_t tat, int64_t now)
{
	return tat <= now;
}
