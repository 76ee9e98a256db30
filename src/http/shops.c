/*
 * shops.c - the shop cache of shops.h: a sorted array, looked up by binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "http/shops.h"

struct shop_entry {
	struct shop_auth sa;
	unsigned char *key; /* CRYPTO_HMAC_KEY_LEN bytes in guarded memory, or NULL */
};

struct shop_cache {
	struct shop_entry *v;
	size_t n, cap;
	const struct crypto_keys *keys;
};

static int
add_shop(void *arg, const struct shop_auth *sa)
{
	struct shop_cache *c = arg;
	struct shop_entry *e;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		if (c->v == NULL)
			abort();
	}
	e = &c->v[c->n];
	e->sa = *sa;
	e->key = NULL;
	if (sa->has_key) {
		e->key = crypto_secret_new(CRYPTO_HMAC_KEY_LEN);
		if (crypto_hmac_key_open(e->key, sa->key_sealed, sa->key_sealed_len,
		                         sa->shop.brand_id, sa->shop.id, c->keys) != ST_OK) {
			log_error("event=hmac_key_unreadable shop=%lld", (long long)sa->shop.id);
			crypto_secret_free(e->key);
			e->key = NULL;
		}
	}
	crypto_wipe(e->sa.key_sealed, sizeof(e->sa.key_sealed));
	c->n++;
	return ST_OK;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct shop_entry *x = a, *y = b;
	int d = strcmp(x->sa.shop.site, y->sa.shop.site);

	return d ? d : strcmp(x->sa.shop.rang, y->sa.shop.rang);
}

int
shop_cache_load(struct store *st, const struct crypto_keys *keys, struct shop_cache **out)
{
	struct shop_cache *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		abort();
	c->keys = keys;
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

const struct shop_auth *
shop_cache_find(const struct shop_cache *c, const char *site, size_t site_len, const char *rang,
                size_t rang_len, const unsigned char **key)
{
	struct shop_entry probe;
	struct shop_entry *e;

	*key = NULL;
	if (site_len != 7 || rang_len != 3)
		return NULL;
	memset(&probe, 0, sizeof(probe));
	memcpy(probe.sa.shop.site, site, 7);
	memcpy(probe.sa.shop.rang, rang, 3);
	e = c->n ? bsearch(&probe, c->v, c->n, sizeof(*c->v), entry_cmp) : NULL;
	if (e == NULL)
		return NULL;
	*key = e->key;
	return &e->sa;
}

void
shop_cache_free(struct shop_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		crypto_secret_free(c->v[i].key);
	free(c->v);
	free(c);
}
