/*
 * shops.c - the shop cache of shops.h: a sorted table of the shops, looked up by binary
 * search.
 *
 * Each shop is an entry of its own, never moved nor freed while the cache lives (a request
 * keeps a pointer to its shop_auth). The table of pointers is replaced whole when shops are
 * added (the watch finds a shop made since: a new production account's, a test-only shop's
 * production twin): a new table, sorted, published with one atomic store that the loops read
 * with one atomic load; the table it replaced stays until the cache is freed, for a request
 * still searching it (shops are added rarely). Each shop's active key changes on its own (an
 * activation in the back office, SPEC §11): published with one atomic store too, so a
 * request sees the old key or the new one, never a mix. A key replaced is not freed: a
 * request that verified with it may still sign its answer with it, and keys change about
 * once a year per shop, so they stay (wiped and freed with the cache).
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

/* The shops by SITE, RANG and environment; the table it replaced, kept until the end. */
struct shop_table {
	struct shop_table *replaced;
	size_t n;
	struct shop_entry *v[];
};

struct shop_cache {
	_Atomic(struct shop_table *) table;
	const struct crypto_keys *keys;
	pthread_mutex_t lock;   /* one activation or one new table at a time */
	struct periodic *watch; /* the shops and their active keys read again */
	/* The entries read (the load's, or the watch's new shops), not in the table yet. */
	struct shop_entry **fresh;
	size_t nfresh, capfresh;
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

/* A shop read from the store, made an entry with its key opened, kept in c->fresh. */
static void
fresh_add(struct shop_cache *c, const struct shop_auth *sa)
{
	struct shop_entry *e = calloc(1, sizeof(*e));
	struct shop_key *k = NULL;

	if (e == NULL)
		abort();
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
	if (c->nfresh == c->capfresh) {
		c->capfresh = c->capfresh ? c->capfresh * 2 : 16;
		c->fresh = realloc(c->fresh, c->capfresh * sizeof(*c->fresh));
		if (c->fresh == NULL)
			abort();
	}
	c->fresh[c->nfresh++] = e;
}

static int
add_shop(void *arg, const struct shop_auth *sa)
{
	fresh_add(arg, sa);
	return ST_OK;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct shop_entry *x = *(struct shop_entry *const *)a;
	const struct shop_entry *y = *(struct shop_entry *const *)b;
	int d = strcmp(x->sa.shop.site, y->sa.shop.site);

	if (d == 0)
		d = strcmp(x->sa.shop.rang, y->sa.shop.rang);
	return d ? d : (int)x->sa.test - (int)y->sa.test;
}

/* The table with the fresh entries added, sorted, published (the caller holds c->lock or is
 * alone: the load). */
static void
publish_fresh(struct shop_cache *c)
{
	struct shop_table *old = atomic_load_explicit(&c->table, memory_order_relaxed), *t;
	size_t n = (old != NULL ? old->n : 0) + c->nfresh;

	t = malloc(sizeof(*t) + n * sizeof(t->v[0]));
	if (t == NULL)
		abort();
	t->replaced = old;
	t->n = 0;
	if (old != NULL) {
		memcpy(t->v, old->v, old->n * sizeof(t->v[0]));
		t->n = old->n;
	}
	memcpy(t->v + t->n, c->fresh, c->nfresh * sizeof(t->v[0]));
	t->n += c->nfresh;
	c->nfresh = 0;
	if (t->n > 0)
		qsort(t->v, t->n, sizeof(t->v[0]), entry_cmp);
	atomic_store_explicit(&c->table, t, memory_order_release);
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
	publish_fresh(c);
	*out = c;
	return ST_OK;
}

/* The shops of (site, rang): e[0] production's, e[1] test's, NULL where there is none. */
static void
find_pair(const struct shop_cache *c, const char *site, size_t site_len, const char *rang,
          size_t rang_len, struct shop_entry *e[2])
{
	struct shop_table *tab = atomic_load_explicit(&c->table, memory_order_acquire);
	struct shop_entry probe, *p = &probe, **found;

	e[0] = e[1] = NULL;
	if (site_len != 7 || rang_len != 3 || tab == NULL || tab->n == 0)
		return;
	memset(&probe, 0, sizeof(probe));
	memcpy(probe.sa.shop.site, site, 7);
	memcpy(probe.sa.shop.rang, rang, 3);
	for (int t = 0; t < 2; t++) {
		probe.sa.test = t == 1;
		found = bsearch(&p, tab->v, tab->n, sizeof(tab->v[0]), entry_cmp);
		e[t] = found != NULL ? *found : NULL;
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
	struct shop_table *t = atomic_load_explicit(&c->table, memory_order_acquire);

	for (size_t i = 0; t != NULL && i < t->n; i++)
		if (t->v[i]->sa.shop.id == shop_id && t->v[i]->sa.shop.brand_id == brand_id)
			return t->v[i];
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

	if (e == NULL) {
		fresh_add(c, sa); /* a shop made since: in the next table, with its key */
		return ST_OK;
	}
	if (!sa->has_key)
		return ST_OK;
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
	struct shop_cache *c = ((struct periodic_job *)w)->arg;
	int rc = st->ops->shops_each(st, refresh_shop, c);
	size_t added = c->nfresh;

	if (added > 0) {
		pthread_mutex_lock(&c->lock);
		publish_fresh(c);
		pthread_mutex_unlock(&c->lock);
		log_info("event=shops_added count=%zu", added);
	}
	return rc;
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
	struct shop_table *t;

	if (c == NULL)
		return;
	t = atomic_load(&c->table);
	for (size_t i = 0; t != NULL && i < t->n; i++) {
		keys_free(atomic_load(&t->v[i]->active));
		free(t->v[i]);
	}
	while (t != NULL) {
		struct shop_table *replaced = t->replaced;

		free(t);
		t = replaced;
	}
	for (size_t i = 0; i < c->nfresh; i++) {
		keys_free(atomic_load(&c->fresh[i]->active));
		free(c->fresh[i]);
	}
	free(c->fresh);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
