/*
 * idem.c - the merchant API's Idempotency-Key (idem.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api/idem.h"

int
api_idem_take(struct req *r, struct api_idem *k)
{
	const h2o_iovec_t *h = http_header(r, "idempotency-key");
	h2o_iovec_t msg;

	if (h == NULL)
		return 0;
	if (h->len == 0 || h->len > LIMIT_IDEMPOTENCY_KEY)
		goto bad;
	for (size_t i = 0; i < h->len; i++)
		if (h->base[i] < 0x21 || h->base[i] > 0x7e)
			goto bad;
	memcpy(k->key, h->base, h->len);
	k->key[h->len] = '\0';
	k->has_key = true;
	msg = http_method_path_body(r);
	crypto_request_digest(k->digest, r->app->keys, msg.base, msg.len);
	return 0;
bad:
	http_reply_error(r, ST_INVALID, "bad_idempotency_key", NULL);
	return -1;
}

int
api_idem_lookup(struct store *st, int64_t brand_id, int64_t shop_id, const struct api_idem *k,
                int *http_status, char **response, const char **why)
{
	struct idem id = {0};
	int64_t scope[2] = {brand_id, shop_id};
	char key[sizeof(scope) + sizeof(k->key)];
	int rc;

	/* Two servers given the key at once: the second waits for the first's transaction, then
	 * reads its answer (the writer's statements each see what committed before them). */
	memcpy(key, scope, sizeof(scope));
	memcpy(key + sizeof(scope), k->key, strlen(k->key));
	rc = st->ops->serialize(st, "idempotency", key, sizeof(scope) + strlen(k->key));
	if (rc == ST_OK)
		rc = st->ops->idem_get(st, brand_id, shop_id, k->key, &id);
	if (rc != ST_OK)
		return rc;
	if (memcmp(id.digest, k->digest, sizeof(k->digest)) != 0) {
		free(id.response);
		*why = "idempotency_conflict";
		return ST_CONFLICT;
	}
	*http_status = id.http_status;
	*response = id.response;
	return ST_OK;
}

int
api_idem_put(struct store *st, int64_t brand_id, int64_t shop_id, const struct api_idem *k,
             int http_status, const char *response, int64_t now)
{
	struct idem id = {0};

	id.brand_id = brand_id;
	id.shop_id = shop_id;
	id.key = k->key;
	memcpy(id.digest, k->digest, sizeof(id.digest));
	id.http_status = http_status;
	id.response = (char *)response;
	id.created_at = now;
	return st->ops->idem_put(st, &id);
}
