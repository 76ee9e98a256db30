/*
 * shops.c - the shop cache of shops.h: a sorted array, looked up by binary search.
 *
 * The array never changes after loading; each shop's active key does (an activation in the
 * back office, SPEC §11). A key is published with one atomic store, which the loops read with
 * one atomic load, so a request sees the old key or the new one, never a mix. A key replaced
 * is not freed: a request that verified with it may still sign its answer with it, and keys
 * change about once a year per shop, so they stay (wiped and freed with the cache).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "http/shops.h"
#include "work/periodic.h"

/* One key of a shop, in guarded memory. */
struct shop_key {
	unsigned char *key; /* CRYPTO_HMAC_KEY_LEN bytes */
	int64_t id;         /* its hmac_key row */
	atomic_bool used;   /* "used" in the store, or on its way there */
	struct shop_key *older;
};

struct shop_entry {
	struct shop_auth sa;
	_Atomic(struct shop_key *) active; /* NULL: no active key */
};

struct shop_cache {
	struct shop_entry *v;
	size_t n, cap;
	const struct crypto_keys *keys;
	pthread_mutex_t lock;   /* one activation at a time */
	struct periodic *watch; /* the active keys read again (shop_cache_watch_start) */
};

static struct shop_key *
key_new(int64_t id, bool used, struct shop_key *older)
{
	struct shop_key *k = calloc(1, sizeof(*k));

	if (k == NULL)
		abort();
	k->key = crypto_secret_new(CRYPTO_HMAC_KEY_LEN);
	k->id = id;
	atomic_init(&k->used, used);
	k->older = older;
	return k;
}

static void
keys_free(struct shop_key *k)
{
	while (k != NULL) {
		struct shop_key *older = k->older;

		crypto_secret_free(k->key);
		free(k);
		k = older;
	}
}

static int
add_shop(void *arg, const struct shop_auth *sa)
{
	struct shop_cache *c = arg;
	struct shop_entry *e;
	struct shop_key *k = NULL;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		if (c->v == NULL)
			abort();
	}
	e = &c->v[c->n];
	e->sa = *sa;
	if (sa->has_key) {
		k = key_new(sa->key_id, sa->key_used, NULL);
		if (crypto_hmac_key_open(k->key, sa->key_sealed, sa->key_sealed_len,
		                         sa->shop.brand_id, sa->shop.id, c->keys) != ST_OK) {
			log_error("event=hmac_key_unreadable shop=%lld", (long long)sa->shop.id);
			keys_free(k);
			k = NULL;
		}
	}
	atomic_init(&e->active, k);
	crypto_wipe(e->sa.key_sealed, sizeof(e->sa.key_sealed));
	c->n++;
	return ST_OK;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct shop_entry *x = a, *y = b;
	int d = strcmp(x->sa.shop.site, y->sa.shop.site);

	if (d == 0)
		d = strcmp(x->sa.shop.rang, y->sa.shop.rang);
	return d ? d : (int)x->sa.test - (int)y->sa.test;
}

int
shop_cache_load(struct store *st, const struct crypto_keys *keys, struct shop_cache **out)
{
	struct shop_cache *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		abort();
	c->keys = keys;
	pthread_mutex_init(&c->lock, NULL);
	rc = st->ops->shops_each(st, add_shop, c);
	if (rc != ST_OK) {
		shop_cache_free(c);
		*out = NULL;
		return rc;
	}
	if (c->n > 0)
		qsort(c->v, c->n, sizeof(*c->v), entry_cmp);
	*out = c;
	return ST_OK;
}

/* The shops of (site, rang): e[0] production's, e[1] test's, NULL where there is none. */
static void
find_pair(const struct shop_cache *c, const char *site, size_t site_len, const char *rang,
          size_t rang_len, struct shop_entry *e[2])
{
	struct shop_entry probe;

	e[0] = e[1] = NULL;
	if (site_len != 7 || rang_len != 3 || c->n == 0)
		return;
	memset(&probe, 0, sizeof(probe));
	memcpy(probe.sa.shop.site, site, 7);
	memcpy(probe.sa.shop.rang, rang, 3);
	for (int t = 0; t < 2; t++) {
		probe.sa.test = t == 1;
		e[t] = bsearch(&probe, c->v, c->n, sizeof(*c->v), entry_cmp);
	}
}

static const unsigned char *
active_key(struct shop_entry *e)
{
	struct shop_key *k =
	        e != NULL ? atomic_load_explicit(&e->active, memory_order_acquire) : NULL;

	return k != NULL ? k->key : NULL;
}

const struct shop_auth *
shop_cache_find(const struct shop_cache *c, const char *site, size_t site_len, const char *rang,
                size_t rang_len, const unsigned char **key)
{
	struct shop_entry *e[2];
	int t;

	find_pair(c, site, site_len, rang, rang_len, e);
	/* Production's, unless only the test shop has a key. */
	t = e[0] != NULL && (active_key(e[0]) != NULL || active_key(e[1]) == NULL) ? 0 : 1;
	*key = active_key(e[t]);
	return e[t] != NULL ? &e[t]->sa : NULL;
}

const struct shop_auth *
shop_cache_verify(const struct shop_cache *c, const char *site, size_t site_len, const char *rang,
                  size_t rang_len, bool (*check)(void *arg, const unsigned char *key), void *arg,
                  const unsigned char **key, const struct shop_auth **known)
{
	struct shop_entry *e[2];
	const unsigned char *k[2];
	bool ok[2] = {false, false};
	int t;

	find_pair(c, site, site_len, rang, rang_len, e);
	*key = NULL;
	*known = NULL;
	for (t = 0; t < 2; t++) {
		k[t] = active_key(e[t]);
		if (k[t] != NULL && *known == NULL)
			*known = &e[t]->sa;
	}
	/* Each key checked, whichever verified first: the time says nothing of which. */
	for (t = 0; t < 2; t++)
		if (k[t] != NULL)
			ok[t] = check(arg, k[t]);
	/* Both (the same passphrase gives the same key): test, which moves no money. */
	t = ok[1] ? 1 : ok[0] ? 0 : -1;
	if (t < 0)
		return NULL;
	*key = k[t];
	return &e[t]->sa;
}

/* The entry of a shop, or NULL. */
static struct shop_entry *
entry_of(struct shop_cache *c, int64_t brand_id, int64_t shop_id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].sa.shop.id == shop_id && c->v[i].sa.shop.brand_id == brand_id)
			return &c->v[i];
	return NULL;
}

int
shop_cache_activate(struct shop_cache *c, int64_t brand_id, int64_t shop_id, int64_t key_id,
                    const unsigned char key[CRYPTO_HMAC_KEY_LEN])
{
	struct shop_entry *e = entry_of(c, brand_id, shop_id);
	struct shop_key *k;

	if (e == NULL)
		return ST_NOTFOUND;
	pthread_mutex_lock(&c->lock);
	k = key_new(key_id, false, atomic_load_explicit(&e->active, memory_order_relaxed));
	memcpy(k->key, key, CRYPTO_HMAC_KEY_LEN);
	atomic_store_explicit(&e->active, k, memory_order_release);
	pthread_mutex_unlock(&c->lock);
	return ST_OK;
}

/* A shop as the store has it now: its active key, when another server activated a new one. */
static int
refresh_shop(void *arg, const struct shop_auth *sa)
{
	struct shop_cache *c = arg;
	struct shop_entry *e = entry_of(c, sa->shop.brand_id, sa->shop.id);
	struct shop_key *k;
	unsigned char key[CRYPTO_HMAC_KEY_LEN];

	if (e == NULL || !sa->has_key)
		return ST_OK; /* a shop made since the start waits for the next (shops.h) */
	k = atomic_load_explicit(&e->active, memory_order_acquire);
	if (k != NULL && k->id == sa->key_id)
		return ST_OK;
	if (crypto_hmac_key_open(key, sa->key_sealed, sa->key_sealed_len, sa->shop.brand_id,
	                         sa->shop.id, c->keys) != ST_OK) {
		log_error("event=hmac_key_unreadable shop=%lld", (long long)sa->shop.id);
		return ST_OK;
	}
	if (shop_cache_activate(c, sa->shop.brand_id, sa->shop.id, sa->key_id, key) == ST_OK) {
		k = atomic_load_explicit(&e->active, memory_order_acquire);
		atomic_store(&k->used, sa->key_used);
		log_info("event=hmac_key_activated shop=%lld key=%lld by=another_server",
		         (long long)sa->shop.id, (long long)sa->key_id);
	}
	crypto_wipe(key, sizeof(key));
	return ST_OK;
}

static int
watch_run(struct work_job *w, struct store *st)
{
	return st->ops->shops_each(st, refresh_shop, ((struct periodic_job *)w)->arg);
}

int
shop_cache_watch_start(struct shop_cache *c, struct work *w)
{
	return periodic_watch(w, watch_run, c, SHOP_KEYS_EVERY_MS, "keys_watch", &c->watch);
}

void
shop_cache_watch_stop(struct shop_cache *c)
{
	if (c == NULL)
		return;
	periodic_stop(c->watch);
	c->watch = NULL;
}

bool
shop_cache_first_use(const struct shop_auth *sa, const unsigned char *key, int64_t *key_id)
{
	struct shop_entry *e = (struct shop_entry *)((char *)sa - offsetof(struct shop_entry, sa));
	struct shop_key *k = atomic_load_explicit(&e->active, memory_order_acquire);

	/* The key verified may already have been replaced: find it among the shop's keys. */
	while (k != NULL && k->key != key)
		k = k->older;
	if (k == NULL || atomic_load_explicit(&k->used, memory_order_relaxed))
		return false;
	if (atomic_exchange(&k->used, true))
		return false; /* another loop saw it first */
	*key_id = k->id;
	return true;
}

void
shop_cache_free(struct shop_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		keys_free(atomic_load(&c->v[i].active));
	pthread_mutex_destroy(&c->lock);
	free(c->v);
	free(c);
}
