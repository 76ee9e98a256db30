/*
 * idem.h - the merchant API's Idempotency-Key (SPEC §4), shared by every resource that
 * creates or changes something: the header checked on the loop with the request's keyed
 * digest, then looked up and recorded by the writer in the same transaction as the change,
 * so a replay racing the first request cannot do it twice.
 */
#ifndef GUICHET_API_IDEM_H
#define GUICHET_API_IDEM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/limits.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "store/store.h"

struct api_idem {
	bool has_key;
	char key[LIMIT_IDEMPOTENCY_KEY + 1];
	unsigned char digest[CRYPTO_HASH_LEN];
};

/* Reads the Idempotency-Key header, if any, and takes the request's keyed digest (the body
 * may hold a card number and CVV: crypto_request_digest). 0: go on; else answered 400. */
int api_idem_take(struct req *r, struct api_idem *k);

/* On the writer. ST_OK with *http_status and *response (heap, the caller's): a replay to
 * answer as is; ST_NOTFOUND: a new key, go on; ST_CONFLICT with *why: the key was used for
 * another request. */
int api_idem_lookup(struct store *st, int64_t brand_id, int64_t shop_id, const struct api_idem *k,
                    int *http_status, char **response, const char **why);

/* On the writer: remembers the answer of the key's request. */
int api_idem_put(struct store *st, int64_t brand_id, int64_t shop_id, const struct api_idem *k,
                 int http_status, const char *response, int64_t now);

#endif
