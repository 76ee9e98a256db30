/*
 * rsa.h - Guichet's own RSA key pair for the Paybox protocols' signature K (research/
 * paybox-protocol.md §1.6): RSASSA-PKCS1-v1_5 over SHA-1, base64, which the merchants' modules
 * verify with the public key they are given (their pubkey.pem). OpenSSL's EVP API; nothing
 * hand-written.
 *
 * Not where the private key is kept (service/keyring.h, rsa_key_load_or_create: sealed in the
 * database like the other keys at rest), nor who serves the public key (api/paybox.c).
 */
#ifndef GUICHET_RSA_H
#define GUICHET_RSA_H

#include <stddef.h>

#include "common/status.h"

/* The modulus of a new key. Paybox's own key is 1024 bits; the modules verify any size with
 * openssl_verify (or Java's SHA1withRSA), and 1024 bits no longer resists: 2048. */
#define RSA_KEY_BITS 2048

/* A key pair, loaded once at start and then only read (any thread may sign with it). */
struct rsa_key;

/* A new key pair into *out (the caller frees with rsa_key_free). Returns ST_OK or
 * ST_INTERNAL. */
int rsa_key_generate(struct rsa_key **out) WUR;

/* The key pair whose private key is der (PKCS#8 DER, len bytes; the caller keeps it) into
 * *out. Returns ST_OK, or ST_INVALID when der is not an RSA private key. */
int rsa_key_from_der(const unsigned char *der, size_t len, struct rsa_key **out) WUR;

/* The private key as PKCS#8 DER into *der (*len bytes): the caller wipes it (crypto_wipe)
 * and frees it (free). Returns ST_OK or ST_INTERNAL. */
int rsa_key_to_der(const struct rsa_key *k, unsigned char **der, size_t *len) WUR;

/* K: base64 (standard alphabet, padded, no line break) of the RSASSA-PKCS1-v1_5 SHA-1
 * signature of msg (len bytes) into *b64, NUL-terminated; the caller frees it. Returns ST_OK
 * or ST_INTERNAL. */
int rsa_sign_sha1_b64(const struct rsa_key *k, const char *msg, size_t len, char **b64) WUR;

/* The public key as PEM ("-----BEGIN PUBLIC KEY-----", SubjectPublicKeyInfo: what the modules'
 * pubkey.pem holds), lent for the key's life. */
const char *rsa_public_pem(const struct rsa_key *k);

/* Frees the key; NULL does nothing. */
void rsa_key_free(struct rsa_key *k);

#endif
