/*
 * crypto.h - every cryptographic primitive Guichet uses; the only module that includes
 * <sodium.h>. Not a key store: callers hold the keys (in memory from crypto_secret_new).
 *
 * Keys at rest (DESIGN.md "Card data"): a 32-byte key-encrypting key (KEK) lives outside the
 * database (environment or key file). The data key is random, kept in the database wrapped by
 * the KEK. Subkeys are derived from the data key: one encrypts card numbers, one computes
 * card fingerprints, one encrypts HMAC keys, one digests merchant API requests for
 * idempotency (their bodies hold card numbers and CVVs), one encrypts users' TOTP secrets,
 * one digests the one-time codes sent by e-mail (SPEC §3, second factor), one encrypts the
 * bodies of the mails waiting in the outbox (they carry temporary passwords, sign-in codes
 * and activation links).
 */
#ifndef GUICHET_CRYPTO_H
#define GUICHET_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define CRYPTO_KEY_LEN       32
#define CRYPTO_HMAC_KEY_LEN  64 /* SPEC §4, §9.1.3: 128 hex characters */
#define CRYPTO_HMAC_LEN      64 /* HMAC-SHA512 */
#define CRYPTO_FP_LEN        32 /* card fingerprint */
#define CRYPTO_HASH_LEN      32 /* token or request digest */
#define CRYPTO_SEAL_OVERHEAD 40 /* nonce 24 + tag 16 */

/* Subkeys of the data key. */
struct crypto_keys {
	unsigned char card[CRYPTO_KEY_LEN];   /* AEAD of card numbers */
	unsigned char fp[CRYPTO_KEY_LEN];     /* keyed hash of card numbers */
	unsigned char secret[CRYPTO_KEY_LEN]; /* AEAD of HMAC keys and other secrets */
	unsigned char idem[CRYPTO_KEY_LEN];   /* keyed digest of merchant API requests */
	unsigned char totp[CRYPTO_KEY_LEN];   /* AEAD of users' TOTP secrets */
	unsigned char code[CRYPTO_KEY_LEN];   /* keyed digest of e-mailed one-time codes */
	unsigned char mail[CRYPTO_KEY_LEN];   /* AEAD of the outbox's mail bodies */
};

/* Initializes libsodium; call once before any thread starts. */
int crypto_init(void) WUR;

/* Guarded memory for keys (sodium_malloc); aborts when out of memory. crypto_secret_free
 * wipes and frees; NULL does nothing. */
void *crypto_secret_new(size_t len);
void crypto_secret_free(void *p);

/* Wipes len bytes at p. */
void crypto_wipe(void *p, size_t len);

/* Constant-time comparison of len bytes. */
bool crypto_equal(const void *a, const void *b, size_t len);

/* Fills buf with len random bytes. */
void crypto_random(void *buf, size_t len);

/* Uniform random integer in [0, upper). */
uint32_t crypto_random_uniform(uint32_t upper);

/* Lower-case hex of bin (bin_len bytes) into hex (2 * bin_len + 1 bytes). */
void crypto_hex(char *hex, const unsigned char *bin, size_t bin_len);

/* Decodes exactly bin_len bytes from hex (exactly 2 * bin_len hex digits, either case).
 * Returns ST_OK or ST_INVALID. */
int crypto_unhex(unsigned char *bin, size_t bin_len, const char *hex, size_t hex_len) WUR;

/* The length of the base64url form (RFC 4648 §5, no padding) of n bytes, its NUL included. */
#define CRYPTO_B64URL_SIZE(n) (((n)*4 + 2) / 3 + 1)

/* The base64url form (RFC 4648 §5, no padding) of bin (bin_len bytes) into b64, which holds
 * CRYPTO_B64URL_SIZE(bin_len) bytes. */
void crypto_b64url(char *b64, const unsigned char *bin, size_t bin_len);

/* Decodes exactly bin_len bytes from b64 (b64_len characters of base64url without padding,
 * nothing else). Returns ST_OK or ST_INVALID. */
int crypto_unb64url(unsigned char *bin, size_t bin_len, const char *b64, size_t b64_len) WUR;

/* Derives the subkeys from a 32-byte data key. */
void crypto_keys_derive(struct crypto_keys *keys, const unsigned char data_key[CRYPTO_KEY_LEN]);

/* AEAD (XChaCha20-Poly1305): out receives nonce || ciphertext || tag, that is
 * len + CRYPTO_SEAL_OVERHEAD bytes. ad binds the ciphertext to its context. */
void crypto_seal(unsigned char *out, const unsigned char *msg, size_t len, const unsigned char *ad,
                 size_t ad_len, const unsigned char key[CRYPTO_KEY_LEN]);

/* Opens what crypto_seal wrote (in_len bytes) into out (in_len - CRYPTO_SEAL_OVERHEAD bytes).
 * Returns ST_OK, or ST_INVALID when the input is short, forged or of another context. */
int crypto_open(unsigned char *out, const unsigned char *in, size_t in_len, const unsigned char *ad,
                size_t ad_len, const unsigned char key[CRYPTO_KEY_LEN]) WUR;

/* Seals and opens a shop's HMAC key (SPEC §9.1.3: stored encrypted) with the secret subkey,
 * bound to its brand and shop. sealed is CRYPTO_HMAC_SEALED_LEN bytes. crypto_hmac_key_open
 * returns ST_OK or ST_INVALID. */
#define CRYPTO_HMAC_SEALED_LEN (CRYPTO_HMAC_KEY_LEN + CRYPTO_SEAL_OVERHEAD)
void crypto_hmac_key_seal(unsigned char sealed[CRYPTO_HMAC_SEALED_LEN],
                          const unsigned char key[CRYPTO_HMAC_KEY_LEN], int64_t brand_id,
                          int64_t shop_id, const struct crypto_keys *keys);
int crypto_hmac_key_open(unsigned char key[CRYPTO_HMAC_KEY_LEN], const unsigned char *sealed,
                         size_t sealed_len, int64_t brand_id, int64_t shop_id,
                         const struct crypto_keys *keys) WUR;

/* Seals a card number with the card subkey, bound to its brand: sealed receives
 * strlen(digits) + CRYPTO_SEAL_OVERHEAD bytes (at most CRYPTO_CARD_SEALED_MAX). */
#define CRYPTO_CARD_SEALED_MAX (19 + CRYPTO_SEAL_OVERHEAD)
size_t crypto_card_seal(unsigned char sealed[CRYPTO_CARD_SEALED_MAX], const char *digits,
                        int64_t brand_id, const struct crypto_keys *keys);

/* Opens what crypto_card_seal wrote for the same brand (a card alias's number, SPEC §16.1)
 * into digits, NUL-terminated. ST_OK, or ST_INVALID (nothing in digits) when it does not
 * open: forged, or sealed for another brand. */
int crypto_card_open(char digits[20], const unsigned char *sealed, size_t sealed_len,
                     int64_t brand_id, const struct crypto_keys *keys) WUR;

/* HMAC-SHA512 of msg with a 64-byte key. */
void crypto_hmac(unsigned char mac[CRYPTO_HMAC_LEN], const unsigned char key[CRYPTO_HMAC_KEY_LEN],
                 const void *msg, size_t len);

/* Checks a hex signature (any case) against HMAC-SHA512(key, msg) in constant time.
 * Returns ST_OK or ST_AUTH (also for a signature of the wrong length or not hex). */
int crypto_hmac_verify_hex(const char *sig_hex, size_t sig_len,
                           const unsigned char key[CRYPTO_HMAC_KEY_LEN], const void *msg,
                           size_t len) WUR;

/* Keyed fingerprint of a card number (BLAKE2b with the fp subkey): equal numbers, equal
 * fingerprints; the number cannot be recovered from it (PCI DSS 3.5.1). */
void crypto_card_fingerprint(unsigned char fp[CRYPTO_FP_LEN], const struct crypto_keys *keys,
                             const char *digits);

/* Unkeyed digest (BLAKE2b-256). Only for what cannot be guessed (256-bit random tokens) or
 * is no secret (public files): anyone holding the digest can test guesses against it. */
void crypto_digest(unsigned char out[CRYPTO_HASH_LEN], const void *msg, size_t len);

/* Keyed digest (BLAKE2b-256 with the idem subkey) of a merchant API request, for idempotency
 * comparisons (SPEC §4). Keyed because the request holds a card number and its CVV: the
 * unkeyed digest, stored beside the answer (masked number, expiry, amount), would give them
 * back by trying the few millions of numbers and thousand CVVs that fit. */
void crypto_request_digest(unsigned char out[CRYPTO_HASH_LEN], const struct crypto_keys *keys,
                           const void *msg, size_t len);

/* Seals and opens a user's TOTP secret (SPEC §3: RFC 6238, 160 bits) with the totp subkey,
 * bound to its brand and user: a secret copied to another user's row does not open.
 * crypto_totp_open returns ST_OK or ST_INVALID. */
#define CRYPTO_TOTP_SECRET_LEN 20
#define CRYPTO_TOTP_SEALED_LEN (CRYPTO_TOTP_SECRET_LEN + CRYPTO_SEAL_OVERHEAD)
void crypto_totp_seal(unsigned char sealed[CRYPTO_TOTP_SEALED_LEN],
                      const unsigned char secret[CRYPTO_TOTP_SECRET_LEN], int64_t brand_id,
                      int64_t user_id, const struct crypto_keys *keys);
int crypto_totp_open(unsigned char secret[CRYPTO_TOTP_SECRET_LEN], const unsigned char *sealed,
                     size_t sealed_len, int64_t brand_id, int64_t user_id,
                     const struct crypto_keys *keys) WUR;

/* Keyed digest (BLAKE2b-256 with the code subkey) of a one-time code e-mailed to a user,
 * bound to brand and user. Keyed because a code has only a million values: whoever reads
 * an unkeyed digest finds the code at once. */
void crypto_code_digest(unsigned char out[CRYPTO_HASH_LEN], const struct crypto_keys *keys,
                        int64_t brand_id, int64_t user_id, const char *code);

/* Seals and opens the body of an outbox mail (SPEC §1; README "Mail") with the mail subkey,
 * bound to its brand, its outbox row and its recipient: a body copied to another row, or a
 * row sent elsewhere, does not open. crypto_mail_seal writes len + CRYPTO_SEAL_OVERHEAD bytes
 * to sealed; crypto_mail_open writes sealed_len - CRYPTO_SEAL_OVERHEAD bytes to body and
 * returns ST_OK, or ST_INVALID (short, forged, or of another row). */
void crypto_mail_seal(unsigned char *sealed, const char *body, size_t len, int64_t brand_id,
                      int64_t mail_id, const char *recipient, const struct crypto_keys *keys);
int crypto_mail_open(char *body, const unsigned char *sealed, size_t sealed_len, int64_t brand_id,
                     int64_t mail_id, const char *recipient, const struct crypto_keys *keys) WUR;

/* The cost of the Argon2id password hashes this process makes (docs/SECURITY.md
 * "Passwords"): memory in MiB and passes, one lane. The default is libsodium's INTERACTIVE,
 * 64 MiB and 2 passes. */
struct crypto_pwcost {
	unsigned memory_mib, passes;
};
#define CRYPTO_PWCOST_DEFAULT    ((struct crypto_pwcost){64, 2})
#define CRYPTO_PWCOST_MEMORY_MAX 1024 /* MiB: each hasher thread holds that much */
#define CRYPTO_PWCOST_PASSES_MAX 16

/* Reads "MEMORY_MIB,PASSES" (e.g. "64,2") into *out. Returns NULL, or why spec is refused:
 * not that form, above the maxima, or weaker than every one of OWASP's Argon2id
 * configurations (46 MiB × 1 pass, 19 × 2, 12 × 3, 9 × 4, 7 × 5): the floor. */
const char *crypto_password_cost_parse(const char *spec, struct crypto_pwcost *out);

/* Sets the cost of the hashes made from now on; verification reads each hash's own. Called
 * once, before any thread starts. */
void crypto_password_cost_set(struct crypto_pwcost cost);

/* Argon2id password hash (libsodium string format) at the cost set into out
 * (CRYPTO_PWHASH_LEN bytes). Blocking, about 0.1 to 0.2 s and 64 MiB at the default: never
 * call it on an event loop. Returns ST_OK or ST_INTERNAL (out of memory). */
#define CRYPTO_PWHASH_LEN 128
int crypto_password_hash(char out[CRYPTO_PWHASH_LEN], const char *password) WUR;

/* ST_OK when password matches hash, else ST_AUTH. Blocking, as above, at the hash's cost. */
int crypto_password_verify(const char *hash, const char *password) WUR;

/* Whether hash was made at another cost than the one set (or is not a hash of ours): a
 * password verified against it is hashed again at sign-in. */
bool crypto_password_needs_rehash(const char *hash);

/* Derives a shop's HMAC key from a passphrase (SPEC §11 "HMAC key"; Vision manual §9.1.3:
 * the same passphrase always gives the same key): Argon2id v1.3 (crypto_pwhash), 3 passes,
 * 64 MiB, the fixed 16-byte salt "guichet-hmac-v1\0", 64 bytes out. Blocking (about 0.2 s):
 * never on an event loop. Returns ST_OK or ST_INTERNAL (out of memory). */
int crypto_hmac_key_derive(unsigned char key[CRYPTO_HMAC_KEY_LEN], const char *passphrase) WUR;

/* Writes a random password of len characters (letters and digits, at least one of each)
 * into out (len + 1 bytes). */
void crypto_password_generate(char *out, size_t len);

#endif
