/*
 * bloom.h - a Bloom filter of byte strings: "surely not in the set" or "maybe in it".
 *
 * What it is for: sparing a look-up in a large table on the common miss (the blocklist's keys,
 * store/sql/risk.c). An answer "maybe" must still be checked against the table; an answer
 * "no" is certain for every string added. Strings are hashed with SipHash under a key drawn at
 * bloom_init, so nobody outside the process can choose strings that collide.
 *
 * Not thread-safe: its owner (one connection) serializes the calls.
 */
#ifndef GUICHET_BLOOM_H
#define GUICHET_BLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bloom {
	uint64_t *bits;
	uint64_t mask;   /* the number of bits less one (a power of two less one) */
	size_t capacity; /* the strings it was sized for */
	size_t count;    /* the strings added */
	unsigned char key[16];
};

/* Bits per string of the capacity, and positions per string: with 16 and 8, one miss in about
 * 1,700 is answered "maybe" at full capacity, one in about 200,000 at half. */
#define BLOOM_BITS_PER 16
#define BLOOM_PROBES   8

/* A filter for capacity strings (at least 4,096), empty; false: out of memory (b unusable). */
bool bloom_init(struct bloom *b, size_t capacity);

/* Frees the bits; b may then be initialized again. */
void bloom_free(struct bloom *b);

void bloom_add(struct bloom *b, const void *s, size_t len);

/* false: s was never added. true: s may have been added. */
bool bloom_maybe(const struct bloom *b, const void *s, size_t len);

/* More strings were added than it was sized for: its misses are less often certain. */
bool bloom_full(const struct bloom *b);

#endif
