/*
 * ratelimit.h - how often something may happen for one key (a client's address, a login, a
 * shop): at most `burst` at once, then one more every `every_us` (the generic cell rate
 * algorithm of ATM networks, ITU-T I.371). A key's whole state is one instant, its
 * theoretical arrival time `tat`: the time at which its burst would be whole again. Pure C,
 * no I/O, no clock: the caller gives the instant.
 *
 * Not the table of keys (http/throttle.c) nor what is limited (README "Sign-in").
 */
#ifndef GUICHET_RATELIMIT_H
#define GUICHET_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct rate_limit {
	int burst;        /* events allowed at once, 1 or more */
	int64_t every_us; /* one more allowed each time this passes, 1 or more */
};

/* One event at now for a key whose state is *tat (0: never seen). True: allowed, and *tat
 * moves on by every_us. False: refused, *tat unchanged, and *retry_us (1 or more) is how long
 * until one is allowed again. */
bool rate_take(const struct rate_limit *rl, int64_t *tat, int64_t now, int64_t *retry_us);

/* Gives back an event taken at or before now (a success that does not count): *tat moves
 * back by every_us, never before now. */
void rate_give_back(const struct rate_limit *rl, int64_t *tat, int64_t now);

/* Whether the key's whole burst is there again at now: its state may be forgotten. */
bool rate_idle(int64_t tat, int64_t now);

#endif
