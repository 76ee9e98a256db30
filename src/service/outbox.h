/*
 * outbox.h - the mail outbox's bodies, sealed (SPEC §1; README "Mail"; DESIGN.md "Card data"
 * for the keys): every body the outbox stores is sealed with the mail subkey of the data key,
 * bound to its brand, row and recipient, so no temporary password, sign-in code or activation
 * link is ever written in clear, neither in the database nor in its write-ahead log.
 *
 * A store seals what mail_add writes with the sealer outbox_sealer_set gives it (without one,
 * it takes no mail); the mailer opens each body just before delivery. Not the delivery itself
 * (jobs/mailer.h), nor the SQL (store/sql/mail.c).
 */
#ifndef GUICHET_OUTBOX_H
#define GUICHET_OUTBOX_H

#include "crypto/crypto.h"
#include "store/store.h"

/* Makes st seal every mail body it writes with keys (lent: they outlive st). */
void outbox_sealer_set(struct store *st, const struct crypto_keys *keys);

/* The text of a due mail m (store_ops.mail_each_due): its sealed body opened, or the text of
 * a row written in clear. *text is the caller's (heap, NUL-terminated): wipe it with
 * crypto_wipe and free it. ST_OK; ST_INVALID when the body does not open (another key, or a
 * body moved to another row or recipient) or there is none. */
int outbox_body_open(const struct crypto_keys *keys, const struct mail *m, char **text) WUR;

/* At the server's start, on st (a writing connection with its sealer, before the writer
 * starts): seals the pending mails an earlier version wrote in clear, then empties the
 * write-ahead log, which may still hold them (and, after a crash, the earlier page images of
 * wiped ones). *sealed: how many. ST_OK, or a store failure (ST_BUSY: the log could not be
 * emptied because another process reads the database; it is logged, and not an error). */
int outbox_seal_clear(struct store *st, int *sealed) WUR;

#endif
