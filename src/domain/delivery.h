/*
 * delivery.h - the rules of a notification's delivery to the merchant's server (issue 12;
 * README "Notifications"): which answer delivers it, how long to wait before the next try,
 * and when to give up. Pure C, no I/O.
 *
 * Not the calls themselves (jobs/notifier.c), nor the outbox (service/notify.h).
 */
#ifndef GUICHET_DELIVERY_H
#define GUICHET_DELIVERY_H

#include <stdbool.h>
#include <stdint.h>

/* Whether an HTTP status delivers a notification: 2xx only. A 3xx is not followed (a
 * notification goes where the merchant said, not where an answer sends it) and is not one;
 * 0 (no answer: a timeout, a refused connection) is not either. */
bool delivery_is_success(long http_status);

/* Whether the notification fails for good after its try number tries (1 for the first) went
 * wrong: at max_tries. */
bool delivery_gives_up(int tries, int max_tries);

/* The wait in ms after the try number tries (1 for the first) went wrong: first_ms doubled
 * (tries - 1) times, max_ms at most, then moved by jitter in [-250, 250] thousandths of it
 * (+-25 %: the waiting calls of a merchant's server back up are spread, not all at once).
 * tries < 1 counts as 1, jitter outside the range is clamped; at least 1 ms. */
int64_t delivery_delay_ms(int tries, int64_t first_ms, int64_t max_ms, int jitter);

#endif
