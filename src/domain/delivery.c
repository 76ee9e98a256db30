/*
 * delivery.c - the rules of a notification's delivery (delivery.h).
 */
#include "domain/delivery.h"

bool
delivery_is_success(long http_status)
{
	return http_status >= 200 && http_status <= 299;
}

bool
delivery_gives_up(int tries, int max_tries)
{
	return tries >= max_tries;
}

int64_t
delivery_delay_ms(int tries, int64_t first_ms, int64_t max_ms, int jitter)
{
	int64_t d = first_ms;

	if (tries < 1)
		tries = 1;
	if (jitter < -250)
		jitter = -250;
	if (jitter > 250)
		jitter = 250;
	/* Doubling stops at the cap: no overflow, whatever the count. */
	for (int i = 1; i < tries && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	d += d * jitter / 1000;
	return d >= 1 ? d : 1;
}
