/*
 * outbox.c - the outbox's sealed bodies (outbox.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "service/outbox.h"

/* store_mail_seal_fn: the body sealed with the mail subkey, bound to brand, row, recipient. */
static int
seal(void *arg, const struct mail *m, struct buf *out)
{
	const struct crypto_keys *keys = arg;
	size_t len = strlen(m->body);
	unsigned char *sealed = malloc(len + CRYPTO_SEAL_OVERHEAD);

	if (sealed == NULL)
		abort();
	crypto_mail_seal(sealed, m->body, len, m->brand_id, m->id, m->recipient, keys);
	buf_add(out, sealed, len + CRYPTO_SEAL_OVERHEAD);
	free(sealed);
	return ST_OK;
}

void
outbox_sealer_set(struct store *st, const struct crypto_keys *keys)
{
	st->mail_seal = seal;
	st->mail_seal_arg = (void *)keys;
}

int
outbox_body_open(const struct crypto_keys *keys, const struct mail *m, char **text)
{
	size_t len;

	*text = NULL;
	if (m->sealed == NULL) {
		if (m->body == NULL)
			return ST_INVALID;
		*text = strdup(m->body);
		if (*text == NULL)
			abort();
		return ST_OK;
	}
	if (m->sealed_len < CRYPTO_SEAL_OVERHEAD)
		return ST_INVALID;
	len = m->sealed_len - CRYPTO_SEAL_OVERHEAD;
	*text = malloc(len + 1);
	if (*text == NULL)
		abort();
	if (crypto_mail_open(*text, m->sealed, m->sealed_len, m->brand_id, m->id, m->recipient,
	                     keys) != ST_OK) {
		free(*text);
		*text = NULL;
		return ST_INVALID;
	}
	(*text)[len] = '\0';
	return ST_OK;
}

int
outbox_seal_clear(struct store *st, int *sealed)
{
	int rc;

	*sealed = 0;
	rc = st->ops->begin(st, true);
	if (rc != ST_OK)
		return rc;
	rc = st->ops->mail_seal_clear(st, sealed);
	if (rc == ST_OK)
		rc = st->ops->commit(st);
	else
		st->ops->rollback(st);
	if (rc != ST_OK)
		return rc;
	if (*sealed > 0)
		log_info("event=mail_sealed rows=%d", *sealed);
	/* Always: a log left by a crash may hold rows an earlier version wrote in clear. */
	rc = st->ops->checkpoint(st);
	if (rc == ST_BUSY) {
		log_warn("event=checkpoint_busy hint=\"another process holds the database; the "
		         "write-ahead log is emptied at the next start\"");
		rc = ST_OK;
	}
	return rc;
}
