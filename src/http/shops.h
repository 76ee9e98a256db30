/*
 * shops.h - the shops as the event loops see them: SITE and RANG to shop, with the active
 * HMAC key opened in guarded memory, so a request is authenticated without storage.
 *
 * Built at start from the store and shared by every loop. A shop made since (a new production
 * account's, a test-only shop's production twin) joins it within SHOP_KEYS_EVERY_MS (the
 * watch); a shop's active key changes when the back office activates a new one (SPEC §11), at
 * once for every loop, without a lock on the way of a request.
 */
#ifndef GUICHET_SHOPS_H
#define GUICHET_SHOPS_H

#include "crypto/crypto.h"
#include "store/store.h"

struct shop_cache;

/* Loads every shop and opens its key with keys->secret. Returns ST_OK or ST_STORE. */
int shop_cache_load(struct store *st, const struct crypto_keys *keys, struct shop_cache **out) WUR;

/* The shop of (site, rang), or NULL: production's, else test's (none, or only the test one
 * has a key; docs/ENVIRONMENTS.md: SITE and RANG name one shop per environment). *key
 * receives its HMAC key (64 bytes, lent) or NULL when the shop has no active key. For a
 * refusal's error log; a request is authenticated by shop_cache_verify. */
const struct shop_auth *shop_cache_find(const struct shop_cache *c, const char *site,
                                        size_t site_len, const char *rang, size_t rang_len,
                                        const unsigned char **key);

/* The shop of (site, rang) whose active key check(arg, key) verifies (true): the key picks
 * the environment (SPEC §16.1), each environment's key checked, both when both shops have
 * one; when both verify (one passphrase made both keys), the test shop. NULL when none
 * verifies; *known is then the shop the SITE and RANG name (one with a key; NULL: an unknown
 * shop), for the error log and the refusal's code. *key: the key that verified (lent). */
const struct shop_auth *shop_cache_verify(const struct shop_cache *c, const char *site,
                                          size_t site_len, const char *rang, size_t rang_len,
                                          bool (*check)(void *arg, const unsigned char *key),
                                          void *arg, const unsigned char **key,
                                          const struct shop_auth **known);

/* Makes key (copied; the activated row key_id) the active key of a shop, for every request
 * that starts from now on. The key it replaces stays readable until the cache is freed (a
 * request in progress may still sign its answer with it). Returns ST_OK, or ST_NOTFOUND for a
 * shop the cache does not know. Any thread. */
int shop_cache_activate(struct shop_cache *c, int64_t brand_id, int64_t shop_id, int64_t key_id,
                        const unsigned char key[CRYPTO_HMAC_KEY_LEN]) WUR;

/* A shop made since the start, and on a database several servers share a key another server
 * activated, reach the cache within SHOP_KEYS_EVERY_MS: a job on a reader of w reads the
 * shops and their active keys again. watch_stop, which does nothing when it did not start,
 * must come before w stops. ST_OK or ST_INTERNAL. */
#define SHOP_KEYS_EVERY_MS 1000
struct work;
int shop_cache_watch_start(struct shop_cache *c, struct work *w) WUR;
void shop_cache_watch_stop(struct shop_cache *c);

/* After key (as shop_cache_find lent it for sa) verified a request: true, with *key_id, the
 * first time only, when the store still has it as merely "activated" (SPEC §11: the first
 * request turns it "used"); the caller tells the store. Any thread. */
bool shop_cache_first_use(const struct shop_auth *sa, const unsigned char *key, int64_t *key_id);

/* Wipes the keys and frees the cache; NULL does nothing. */
void shop_cache_free(struct shop_cache *c);

#endif
