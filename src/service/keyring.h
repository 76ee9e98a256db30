/*
 * keyring.h - the keys at rest (DESIGN.md "Card data"): finds the key-encrypting key (KEK)
 * outside the database, and opens (or, for a new database, creates) the data key kept in the
 * database wrapped by it, then derives the subkeys.
 *
 * The KEK is 64 hex characters, from the environment variable GUICHET_KEK, else from the key
 * file (default: "guichet.key" beside the database), which a new database creates with mode
 * 0600. Without the right KEK the data key cannot be opened and nothing starts.
 */
#ifndef GUICHET_KEYRING_H
#define GUICHET_KEYRING_H

#include "crypto/crypto.h"
#include "crypto/rsa.h"
#include "store/store.h"

/* The default key file for a database path: its directory + "/guichet.key", into out. */
void keyring_default_path(const char *db_path, char *out, size_t cap);

/* Opens the data key of st into *keys (guarded memory, the caller frees with
 * crypto_secret_free). create: a database without a data key gets one, and a missing key file
 * is created. Returns ST_OK; ST_AUTH when the KEK does not open the data key; ST_NOTFOUND when
 * there is no KEK and create is false; ST_INVALID for a malformed KEK; ST_STORE. */
int keyring_open(struct store *st, const char *key_file, bool create,
                 struct crypto_keys **keys) WUR;

/* Guichet's RSA key pair for the Paybox signature K (crypto/rsa.h) into *out (the caller frees
 * with rsa_key_free): opened from the database, where its private key is kept sealed with the
 * secret subkey (meta "paybox_rsa_key", bound to that name), or made and kept there when the
 * database has none (the first start). Call at start, before the writer owns st. Returns
 * ST_OK; ST_AUTH when the sealed key does not open (another data key); ST_STORE; ST_INTERNAL. */
int rsa_key_load_or_create(struct store *st, const struct crypto_keys *keys,
                           struct rsa_key **out) WUR;

#endif
