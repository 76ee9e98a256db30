/*
 * demo.h - `guichetd demo`: a ready demo brand with shops, contracts, keys, one user per
 * profile and a realistic, deterministic history of transactions (SPEC §1, §16).
 *
 * Writes straight through the store in large transactions: it is an installer, not a client.
 */
#ifndef GUICHET_DEMO_H
#define GUICHET_DEMO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/crypto.h"
#include "store/store.h"

#define DEMO_DAYS 396 /* the history's 13 months */

struct demo_options {
	int64_t transactions;      /* how many, spread over the 13 months before now */
	uint64_t seed;             /* same seed, same history */
	int64_t now_us;            /* the demo's "now" */
	bool json;                 /* print the SPEC §16 JSON object instead of text */
	const char *pspid;         /* the brand's account id; NULL: the demo brand GUICHETDEMO */
	bool unsent;               /* nothing sent to the bank yet: every accepted debit still "to
	                       * send", due at its bank date (a télécollecte benchmark) */
	int64_t due_subscriptions; /* more subscriptions, all due the day after now, none made
	                            * (a scheduler benchmark) */
};

/* Creates the demo in st (which must hold no brand yet) and prints the users' first-login
 * passwords and the shops' HMAC keys to out. Returns ST_OK, ST_CONFLICT when the database
 * already has a brand, or ST_STORE. */
int demo_create(struct store *st, const struct crypto_keys *keys, const struct demo_options *opt,
                FILE *out) WUR;

/* How many of n transactions the history puts before the start of day index i (0 ..
 * DEMO_DAYS) of the 13 months that start on day first_day (a day number): 0 for i = 0,
 * n for i = DEMO_DAYS, never decreasing. Not thread-safe (it keeps the last weights). */
int64_t demo_share_before(int64_t n, int64_t first_day, int i);

#endif
