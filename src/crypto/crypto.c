/*
 * crypto.c - libsodium behind the small API of crypto.h. Not a key store.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"

/* crypto_kdf context: 8 bytes, fixed forever (changing it changes every subkey). */
static const char kdf_context[crypto_kdf_CONTEXTBYTES] = "guichet1";

enum {
	SUBKEY_CARD = 1,
	SUBKEY_FP = 2,
	SUBKEY_SECRET = 3,
	SUBKEY_IDEM = 4,
	SUBKEY_TOTP = 5,
	SUBKEY_CODE = 6,
	SUBKEY_MAIL = 7,
};

int
crypto_init(void)
{
	return sodium_init() < 0 ? ST_INTERNAL : ST_OK;
}

void *
crypto_secret_new(size_t len)
{
	void *p = sodium_malloc(len);

	if (p == NULL)
		abort();
	return p;
}

void
crypto_secret_free(void *p)
{
	if (p != NULL)
		sodium_free(p);
}

void
crypto_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

bool
crypto_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

void
crypto_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

uint32_t
crypto_random_uniform(uint32_t upper)
{
	return randombytes_uniform(upper);
}

void
crypto_hex(char *hex, const unsigned char *bin, size_t bin_len)
{
	sodium_bin2hex(hex, bin_len * 2 + 1, bin, bin_len);
}

int
crypto_unhex(unsigned char *bin, size_t bin_len, const char *hex, size_t hex_len)
{
	size_t got = 0;

	if (hex_len != bin_len * 2)
		return ST_INVALID;
	if (sodium_hex2bin(bin, bin_len, hex, hex_len, NULL, &got, NULL) != 0 || got != bin_len)
		return ST_INVALID;
	return ST_OK;
}

void
crypto_b64url(char *b64, const unsigned char *bin, size_t bin_len)
{
	sodium_bin2base64(b64, CRYPTO_B64URL_SIZE(bin_len), bin, bin_len,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
crypto_unb64url(unsigned char *bin, size_t bin_len, const char *b64, size_t b64_len)
{
	const char *end = NULL;
	size_t got = 0;

	if (b64_len != CRYPTO_B64URL_SIZE(bin_len) - 1)
		return ST_INVALID;
	if (sodium_base642bin(bin, bin_len, b64, b64_len, NULL, &got, &end,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    got != bin_len || end != b64 + b64_len)
		return ST_INVALID;
	return ST_OK;
}

void
crypto_keys_derive(struct crypto_keys *keys, const unsigned char data_key[CRYPTO_KEY_LEN])
{
	crypto_kdf_derive_from_key(keys->card, sizeof(keys->card), SUBKEY_CARD, kdf_context,
	                           data_key);
	crypto_kdf_derive_from_key(keys->fp, sizeof(keys->fp), SUBKEY_FP, kdf_context, data_key);
	crypto_kdf_derive_from_key(keys->secret, sizeof(keys->secret), SUBKEY_SECRET, kdf_context,
	                           data_key);
	crypto_kdf_derive_from_key(keys->idem, sizeof(keys->idem), SUBKEY_IDEM, kdf_context,
	                           data_key);
	crypto_kdf_derive_from_key(keys->totp, sizeof(keys->totp), SUBKEY_TOTP, kdf_context,
	                           data_key);
	crypto_kdf_derive_from_key(keys->code, sizeof(keys->code), SUBKEY_CODE, kdf_context,
	                           data_key);
	crypto_kdf_derive_from_key(keys->mail, sizeof(keys->mail), SUBKEY_MAIL, kdf_context,
	                           data_key);
}

void
crypto_seal(unsigned char *out, const unsigned char *msg, size_t len, const unsigned char *ad,
            size_t ad_len, const unsigned char key[CRYPTO_KEY_LEN])
{
	unsigned char *nonce = out;

	randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	        out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, msg, len, ad, ad_len,
	        NULL, nonce, key);
}

int
crypto_open(unsigned char *out, const unsigned char *in, size_t in_len, const unsigned char *ad,
            size_t ad_len, const unsigned char key[CRYPTO_KEY_LEN])
{
	const size_t npub = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

	if (in_len < CRYPTO_SEAL_OVERHEAD)
		return ST_INVALID;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, in + npub, in_len - npub,
	                                               ad, ad_len, in, key) != 0)
		return ST_INVALID;
	return ST_OK;
}

static void
ids_ad(unsigned char ad[16], int64_t a, int64_t b)
{
	memcpy(ad, &a, 8);
	memcpy(ad + 8, &b, 8);
}

/* Seals len bytes of msg bound to two ids (a brand and a shop or a user): what is sealed for
 * one row does not open for another. */
static void
ids_seal(unsigned char *sealed, const unsigned char *msg, size_t len, int64_t a, int64_t b,
         const unsigned char key[CRYPTO_KEY_LEN])
{
	unsigned char ad[16];

	ids_ad(ad, a, b);
	crypto_seal(sealed, msg, len, ad, sizeof(ad), key);
}

/* Opens what ids_seal sealed of len bytes into out; ST_INVALID for any other length. */
static int
ids_open(unsigned char *out, size_t len, const unsigned char *sealed, size_t sealed_len, int64_t a,
         int64_t b, const unsigned char key[CRYPTO_KEY_LEN])
{
	unsigned char ad[16];

	if (sealed_len != len + CRYPTO_SEAL_OVERHEAD)
		return ST_INVALID;
	ids_ad(ad, a, b);
	return crypto_open(out, sealed, sealed_len, ad, sizeof(ad), key);
}

void
crypto_hmac_key_seal(unsigned char sealed[CRYPTO_HMAC_SEALED_LEN],
                     const unsigned char key[CRYPTO_HMAC_KEY_LEN], int64_t brand_id,
                     int64_t shop_id, const struct crypto_keys *keys)
{
	ids_seal(sealed, key, CRYPTO_HMAC_KEY_LEN, brand_id, shop_id, keys->secret);
}

int
crypto_hmac_key_open(unsigned char key[CRYPTO_HMAC_KEY_LEN], const unsigned char *sealed,
                     size_t sealed_len, int64_t brand_id, int64_t shop_id,
                     const struct crypto_keys *keys)
{
	return ids_open(key, CRYPTO_HMAC_KEY_LEN, sealed, sealed_len, brand_id, shop_id,
	                keys->secret);
}

size_t
crypto_card_seal(unsigned char sealed[CRYPTO_CARD_SEALED_MAX], const char *digits, int64_t brand_id,
                 const struct crypto_keys *keys)
{
	size_t len = strlen(digits);

	if (len > 19)
		len = 19;
	crypto_seal(sealed, (const unsigned char *)digits, len, (const unsigned char *)&brand_id,
	            sizeof(brand_id), keys->card);
	return len + CRYPTO_SEAL_OVERHEAD;
}

int
crypto_card_open(char digits[20], const unsigned char *sealed, size_t sealed_len, int64_t brand_id,
                 const struct crypto_keys *keys)
{
	if (sealed_len <= CRYPTO_SEAL_OVERHEAD || sealed_len > CRYPTO_CARD_SEALED_MAX)
		return ST_INVALID;
	if (crypto_open((unsigned char *)digits, sealed, sealed_len,
	                (const unsigned char *)&brand_id, sizeof(brand_id), keys->card) != ST_OK) {
		sodium_memzero(digits, 20);
		return ST_INVALID;
	}
	digits[sealed_len - CRYPTO_SEAL_OVERHEAD] = '\0';
	return ST_OK;
}

void
crypto_hmac(unsigned char mac[CRYPTO_HMAC_LEN], const unsigned char key[CRYPTO_HMAC_KEY_LEN],
            const void *msg, size_t len)
{
	crypto_auth_hmacsha512_state st;

	crypto_auth_hmacsha512_init(&st, key, CRYPTO_HMAC_KEY_LEN);
	crypto_auth_hmacsha512_update(&st, msg, len);
	crypto_auth_hmacsha512_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

int
crypto_hmac_verify_hex(const char *sig_hex, size_t sig_len,
                       const unsigned char key[CRYPTO_HMAC_KEY_LEN], const void *msg, size_t len)
{
	unsigned char given[CRYPTO_HMAC_LEN], want[CRYPTO_HMAC_LEN];
	int rc = ST_AUTH;

	if (sig_hex == NULL || crypto_unhex(given, sizeof(given), sig_hex, sig_len) != ST_OK)
		goto out;
	crypto_hmac(want, key, msg, len);
	if (sodium_memcmp(given, want, sizeof(want)) == 0)
		rc = ST_OK;
out:
	sodium_memzero(want, sizeof(want));
	return rc;
}

void
crypto_card_fingerprint(unsigned char fp[CRYPTO_FP_LEN], const struct crypto_keys *keys,
                        const char *digits)
{
	crypto_generichash(fp, CRYPTO_FP_LEN, (const unsigned char *)digits, strlen(digits),
	                   keys->fp, sizeof(keys->fp));
}

void
crypto_digest(unsigned char out[CRYPTO_HASH_LEN], const void *msg, size_t len)
{
	crypto_generichash(out, CRYPTO_HASH_LEN, msg, len, NULL, 0);
}

void
crypto_request_digest(unsigned char out[CRYPTO_HASH_LEN], const struct crypto_keys *keys,
                      const void *msg, size_t len)
{
	crypto_generichash(out, CRYPTO_HASH_LEN, msg, len, keys->idem, sizeof(keys->idem));
}

void
crypto_totp_seal(unsigned char sealed[CRYPTO_TOTP_SEALED_LEN],
                 const unsigned char secret[CRYPTO_TOTP_SECRET_LEN], int64_t brand_id,
                 int64_t user_id, const struct crypto_keys *keys)
{
	ids_seal(sealed, secret, CRYPTO_TOTP_SECRET_LEN, brand_id, user_id, keys->totp);
}

int
crypto_totp_open(unsigned char secret[CRYPTO_TOTP_SECRET_LEN], const unsigned char *sealed,
                 size_t sealed_len, int64_t brand_id, int64_t user_id,
                 const struct crypto_keys *keys)
{
	return ids_open(secret, CRYPTO_TOTP_SECRET_LEN, sealed, sealed_len, brand_id, user_id,
	                keys->totp);
}

void
crypto_code_digest(unsigned char out[CRYPTO_HASH_LEN], const struct crypto_keys *keys,
                   int64_t brand_id, int64_t user_id, const char *code)
{
	crypto_generichash_state st;
	unsigned char ad[16];

	ids_ad(ad, brand_id, user_id);
	crypto_generichash_init(&st, keys->code, sizeof(keys->code), CRYPTO_HASH_LEN);
	crypto_generichash_update(&st, ad, sizeof(ad));
	crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
	crypto_generichash_final(&st, out, CRYPTO_HASH_LEN);
	sodium_memzero(&st, sizeof(st));
}

/* The additional data of a mail body: brand and row, then the recipient (at most 254 bytes,
 * the outbox's column: a longer one is cut, the same way on both sides). */
static size_t
mail_ad(unsigned char ad[16 + 254], int64_t brand_id, int64_t mail_id, const char *recipient)
{
	size_t n = strnlen(recipient, 254);

	ids_ad(ad, brand_id, mail_id);
	memcpy(ad + 16, recipient, n);
	return 16 + n;
}

void
crypto_mail_seal(unsigned char *sealed, const char *body, size_t len, int64_t brand_id,
                 int64_t mail_id, const char *recipient, const struct crypto_keys *keys)
{
	unsigned char ad[16 + 254];
	size_t ad_len = mail_ad(ad, brand_id, mail_id, recipient);

	crypto_seal(sealed, (const unsigned char *)body, len, ad, ad_len, keys->mail);
}

int
crypto_mail_open(char *body, const unsigned char *sealed, size_t sealed_len, int64_t brand_id,
                 int64_t mail_id, const char *recipient, const struct crypto_keys *keys)
{
	unsigned char ad[16 + 254];
	size_t ad_len = mail_ad(ad, brand_id, mail_id, recipient);

	return crypto_open((unsigned char *)body, sealed, sealed_len, ad, ad_len, keys->mail);
}

/* Set once at start (crypto_password_cost_set), read by every hasher thread after. */
static struct crypto_pwcost pwcost = CRYPTO_PWCOST_DEFAULT;

/* OWASP's Password Storage Cheat Sheet: Argon2id configurations of equal strength, one lane;
 * a cost is accepted when it is at least one of them in both memory and passes. */
static const struct crypto_pwcost pwcost_floor[] = {{46, 1}, {19, 2}, {12, 3}, {9, 4}, {7, 5}};

/* An unsigned decimal of at most 9 digits at *p, which moves past it; -1 if none. */
static long
cost_number(const char **p)
{
	long v = 0;
	int digits = 0;

	while (**p >= '0' && **p <= '9' && digits < 10) {
		v = v * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	return digits == 0 || digits > 9 ? -1 : v;
}

const char *
crypto_password_cost_parse(const char *spec, struct crypto_pwcost *out)
{
	const char *p = spec;
	long memory, passes;

	memory = cost_number(&p);
	if (memory < 0 || *p++ != ',')
		return "expected MEMORY_MIB,PASSES (e.g. 64,2)";
	passes = cost_number(&p);
	if (passes < 0 || *p != '\0')
		return "expected MEMORY_MIB,PASSES (e.g. 64,2)";
	if (memory > CRYPTO_PWCOST_MEMORY_MAX || passes > CRYPTO_PWCOST_PASSES_MAX)
		return "above the maximum (1024 MiB, 16 passes)";
	for (size_t i = 0; i < sizeof(pwcost_floor) / sizeof(pwcost_floor[0]); i++) {
		if (memory >= pwcost_floor[i].memory_mib && passes >= pwcost_floor[i].passes) {
			out->memory_mib = (unsigned)memory;
			out->passes = (unsigned)passes;
			return NULL;
		}
	}
	return "below OWASP's minimum for Argon2id (46 MiB and 1 pass, 19 and 2, 12 and 3, 9 and "
	       "4, or 7 and 5)";
}

void
crypto_password_cost_set(struct crypto_pwcost cost)
{
	pwcost = cost;
}

int
crypto_password_hash(char out[CRYPTO_PWHASH_LEN], const char *password)
{
	_Static_assert(CRYPTO_PWHASH_LEN >= crypto_pwhash_STRBYTES, "hash buffer");
	if (crypto_pwhash_str(out, password, strlen(password), pwcost.passes,
	                      (size_t)pwcost.memory_mib << 20) != 0)
		return ST_INTERNAL;
	return ST_OK;
}

int
crypto_password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? ST_OK : ST_AUTH;
}

bool
crypto_password_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, pwcost.passes,
	                                      (size_t)pwcost.memory_mib << 20) != 0;
}

void
crypto_password_generate(char *out, size_t len)
{
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	int letter, digit;

	do {
		letter = digit = 0;
		for (size_t i = 0; i < len; i++) {
			out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
			if (out[i] >= '0' && out[i] <= '9')
				digit = 1;
			else
				letter = 1;
		}
	} while (len >= 2 && !(letter && digit));
	out[len] = '\0';
}

/* SPEC §11 "HMAC key": the same passphrase gives the same key, so the salt is fixed (16 bytes,
 * crypto_pwhash_SALTBYTES) and so are the costs: changing any of them changes every key a
 * merchant would find again from their passphrase. */
static const unsigned char hmac_key_salt[16] = "guichet-hmac-v1";
#define HMAC_KEY_OPSLIMIT 3
#define HMAC_KEY_MEMLIMIT (64u * 1024 * 1024)

int
crypto_hmac_key_derive(unsigned char key[CRYPTO_HMAC_KEY_LEN], const char *passphrase)
{
	_Static_assert(sizeof(hmac_key_salt) == crypto_pwhash_SALTBYTES, "salt length");
	if (crypto_pwhash(key, CRYPTO_HMAC_KEY_LEN, passphrase, strlen(passphrase), hmac_key_salt,
	                  HMAC_KEY_OPSLIMIT, HMAC_KEY_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return ST_INTERNAL;
	return ST_OK;
}
