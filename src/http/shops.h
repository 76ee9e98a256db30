/*
 * shops.h - the shops as the event loops see them: SITE and RANG to shop, with the active
 * HMAC key opened in guarded memory, so a request is authenticated without storage.
 *
 * Built once at start from the store; read-only afterwards and shared by every loop.
 */
#ifndef GUICHET_SHOPS_H
#define GUICHET_SHOPS_H

#include "crypto/crypto.h"
#include "store/store.h"

struct shop_cache;

/* Loads every shop and opens its key with keys->secret. Returns ST_OK or ST_STORE. */
int shop_cache_load(struct store *st, const struct crypto_keys *keys, struct shop_cache **out) WUR;

/* The shop of (site, rang), or NULL. *key receives its HMAC key (64 bytes, lent) or NULL when
 * the shop has no active key. */
const struct shop_auth *shop_cache_find(const struct shop_cache *c, const char *site,
                                        size_t site_len, const char *rang, size_t rang_len,
                                        const unsigned char **key);

/* Wipes the keys and frees the cache; NULL does nothing. */
void shop_cache_free(struct shop_cache *c);

#endif
