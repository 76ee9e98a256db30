/*
 * bloom.c - the Bloom filter of bloom.h: BLOOM_PROBES positions of one 128-bit SipHash
 * (libsodium's crypto_shorthash_siphashx24), by double hashing (Kirsch and Mitzenmacher).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/bloom.h"

bool
bloom_init(struct bloom *b, size_t capacity)
{
	uint64_t nbits = 1u << 16;

	memset(b, 0, sizeof(*b));
	if (capacity < 4096)
		capacity = 4096;
	while (nbits < (uint64_t)capacity * BLOOM_BITS_PER)
		nbits <<= 1;
	b->bits = calloc(nbits / 64, sizeof(uint64_t));
	if (b->bits == NULL)
		return false;
	b->mask = nbits - 1;
	b->capacity = capacity;
	randombytes_buf(b->key, sizeof(b->key));
	return true;
}

void
bloom_free(struct bloom *b)
{
	free(b->bits);
	memset(b, 0, sizeof(*b));
}

static void
positions(const struct bloom *b, const void *s, size_t len, uint64_t *h1, uint64_t *h2)
{
	unsigned char h[crypto_shorthash_siphashx24_BYTES];

	crypto_shorthash_siphashx24(h, s, len, b->key);
	memcpy(h1, h, 8);
	memcpy(h2, h + 8, 8);
	*h2 |= 1; /* odd: the probes never fall on one position */
}

void
bloom_add(struct bloom *b, const void *s, size_t len)
{
	uint64_t h1, h2;

	positions(b, s, len, &h1, &h2);
	for (int i = 0; i < BLOOM_PROBES; i++) {
		uint64_t bit = (h1 + (uint64_t)i * h2) & b->mask;

		b->bits[bit / 64] |= UINT64_C(1) << (bit % 64);
	}
	b->count++;
}

bool
bloom_maybe(const struct bloom *b, const void *s, size_t len)
{
	uint64_t h1, h2;

	positions(b, s, len, &h1, &h2);
	for (int i = 0; i < BLOOM_PROBES; i++) {
		uint64_t bit = (h1 + (uint64_t)i * h2) & b->mask;

		if ((b->bits[bit / 64] & (UINT64_C(1) << (bit % 64))) == 0)
			return false;
	}
	return true;
}

bool
bloom_full(const struct bloom *b)
{
	return b->count > b->capacity;
}
