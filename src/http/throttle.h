/*
 * throttle.h - rate limits by key, shared by every event loop (domain/ratelimit.h is the
 * rule): the sign-in's, per client address and per login, checked on the loop before any
 * Argon2id (README "Sign-in"). A fixed table, whatever comes in: keys are kept as a salted
 * digest (a login typed may be a password typed in the wrong field), in sets of a few slots;
 * a key at rest is forgotten first, else the one closest to rest. One lock, held for a
 * look-up only (the loops never wait long: DESIGN.md).
 *
 * Not the rule itself (domain/ratelimit.c), nor what answers a refusal (api/session.c).
 */
#ifndef GUICHET_THROTTLE_H
#define GUICHET_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "domain/ratelimit.h"

struct throttle;

/* A table of about `slots` keys (a multiple of the set size is used). Never fails (out of
 * memory aborts). throttle_free(NULL) does nothing. */
struct throttle *throttle_new(size_t slots);
void throttle_free(struct throttle *t);

/* One event at now for the key (kind, then len bytes of key; kinds keep the limits apart)
 * under rl. ST_OK: allowed. ST_TOO_MANY: refused, *retry_s the whole seconds to wait (1 or
 * more), and *first true for the first refusal since the key was last allowed (to log a
 * flood once, not at each request). */
int throttle_take(struct throttle *t, const struct rate_limit *rl, char kind, const void *key,
                  size_t len, int64_t now, int *retry_s, bool *first) WUR;

/* Gives back an event taken (a success, which does not count against the key). */
void throttle_give_back(struct throttle *t, const struct rate_limit *rl, char kind, const void *key,
                        size_t len, int64_t now);

#endif
