/*
 * throttle.c - the table of throttle.h: sets of THROTTLE_WAYS slots, a key's set chosen by
 * its digest.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "http/throttle.h"

#define THROTTLE_WAYS    8
#define THROTTLE_ID_LEN  16 /* bytes of the digest kept: a collision is 2^-64 likely */
#define THROTTLE_KEY_MAX 256

struct slot {
	unsigned char id[THROTTLE_ID_LEN];
	int64_t tat;  /* ratelimit.h's state; 0: an empty slot */
	bool refused; /* refused since last allowed */
};

struct throttle {
	pthread_mutex_t lock;
	unsigned char salt[32]; /* random, per process: the digests say nothing outside it */
	size_t nsets;
	struct slot *slots;
};

struct throttle *
throttle_new(size_t slots)
{
	struct throttle *t = calloc(1, sizeof(*t));

	if (t == NULL)
		abort();
	t->nsets = slots / THROTTLE_WAYS > 0 ? slots / THROTTLE_WAYS : 1;
	t->slots = calloc(t->nsets * THROTTLE_WAYS, sizeof(*t->slots));
	if (t->slots == NULL)
		abort();
	crypto_random(t->salt, sizeof(t->salt));
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	crypto_wipe(t->slots, t->nsets * THROTTLE_WAYS * sizeof(*t->slots));
	free(t->slots);
	crypto_wipe(t, sizeof(*t));
	free(t);
}

/* The key's id: the digest of salt, kind and key (a key is cut at THROTTLE_KEY_MAX bytes). */
static void
key_id(const struct throttle *t, char kind, const void *key, size_t len,
       unsigned char id[CRYPTO_HASH_LEN])
{
	unsigned char msg[sizeof(t->salt) + 1 + THROTTLE_KEY_MAX];

	if (len > THROTTLE_KEY_MAX)
		len = THROTTLE_KEY_MAX;
	memcpy(msg, t->salt, sizeof(t->salt));
	msg[sizeof(t->salt)] = (unsigned char)kind;
	memcpy(msg + sizeof(t->salt) + 1, key, len);
	crypto_digest(id, msg, sizeof(t->salt) + 1 + len);
	crypto_wipe(msg, sizeof(msg));
}

/* The set of slots a key's id falls in. */
static struct slot *
set_of(struct throttle *t, const unsigned char id[CRYPTO_HASH_LEN])
{
	uint32_t h;

	memcpy(&h, id, sizeof(h));
	return &t->slots[(h % t->nsets) * THROTTLE_WAYS];
}

/* The key's own slot in its set, with the lock held; NULL when it has none. */
static struct slot *
slot_find(struct slot *set, const unsigned char id[CRYPTO_HASH_LEN])
{
	for (int i = 0; i < THROTTLE_WAYS; i++)
		if (set[i].tat != 0 && memcmp(set[i].id, id, THROTTLE_ID_LEN) == 0)
			return &set[i];
	return NULL;
}

/* The key's slot, with the lock held: its own, else a free one or one at rest (made its
 * own), else the one of its set closest to rest (taken over: that key starts afresh, which
 * only a flood of more keys than the table holds can cause). */
static struct slot *
slot_of(struct throttle *t, const unsigned char id[CRYPTO_HASH_LEN], int64_t now)
{
	struct slot *set = set_of(t, id), *pick = slot_find(set, id);

	if (pick != NULL)
		return pick;
	for (int i = 0; i < THROTTLE_WAYS; i++) {
		if (set[i].tat == 0 || rate_idle(set[i].tat, now)) {
			pick = &set[i];
			break;
		}
		if (pick == NULL || set[i].tat < pick->tat)
			pick = &set[i];
	}
	memcpy(pick->id, id, THROTTLE_ID_LEN);
	pick->tat = 0;
	pick->refused = false;
	return pick;
}

int
throttle_take(struct throttle *t, const struct rate_limit *rl, char kind, const void *key,
              size_t len, int64_t now, int *retry_s, bool *first)
{
	unsigned char id[CRYPTO_HASH_LEN];
	struct slot *s;
	int64_t retry_us = 0;
	int rc = ST_OK;

	key_id(t, kind, key, len, id);
	*retry_s = 0;
	*first = false;
	pthread_mutex_lock(&t->lock);
	s = slot_of(t, id, now);
	if (rate_take(rl, &s->tat, now, &retry_us)) {
		s->refused = false;
	} else {
		*first = !s->refused;
		s->refused = true;
		*retry_s = (int)((retry_us + 999999) / 1000000);
		rc = ST_TOO_MANY;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void
throttle_give_back(struct throttle *t, const struct rate_limit *rl, char kind, const void *key,
                   size_t len, int64_t now)
{
	unsigned char id[CRYPTO_HASH_LEN];
	struct slot *s;

	key_id(t, kind, key, len, id);
	pthread_mutex_lock(&t->lock);
	s = slot_find(set_of(t, id), id);
	if (s != NULL)
		rate_give_back(rl, &s->tat, now);
	pthread_mutex_unlock(&t->lock);
}
