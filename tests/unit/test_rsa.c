/*
 * test_rsa.c - Guichet's RSA key pair for the Paybox signature K (crypto/rsa.h) and its keeping
 * (service/keyring.c): a new key is 2048 bits; its DER opens back into the same key; K over a
 * PBX_RETOUR string verifies the way the modules verify it (OpenSSL's RSA-SHA1 PKCS#1 v1.5
 * with the public PEM they are given: here `openssl dgst -sha1 -verify`, as the research's
 * DocSignature recipe, and EVP for the bytes), and no longer verifies once one byte changes;
 * the key is made once, kept sealed, and opened again by the same data key only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/rsa.h"
#include "domain/paybox.h"
#include "service/keyring.h"
#include "store/store.h"

static struct rsa_key *key;

/* base64 → bytes; EVP_DecodeBlock counts the padding as zero bytes: taken off here. */
static int
unbase64(unsigned char *out, const char *b64)
{
	size_t len = strlen(b64);
	int n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);

	for (size_t i = len; n > 0 && i > 0 && b64[i - 1] == '='; i--)
		n--;
	return n;
}

static int
setup(void **state)
{
	(void)state;
	return rsa_key_generate(&key) == ST_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	rsa_key_free(key);
	return 0;
}

/* EVP's verdict on sig (base64) over msg with the public PEM. */
static bool
verifies(const char *pem, const char *msg, size_t len, const char *b64)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[1024];
	int n = unbase64(sig, b64);
	bool ok;

	assert_non_null(pub);
	ok = n > 0 && EVP_DigestVerifyInit(ctx, NULL, EVP_sha1(), NULL, pub) == 1 &&
	     EVP_DigestVerify(ctx, sig, (size_t)n, (const unsigned char *)msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pub);
	BIO_free(bio);
	return ok;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* `openssl dgst -sha1 -verify pub.pem -signature sig data`: 0 when it says "Verified OK". */
static int
openssl_verify(const char *pem, const char *msg, size_t len, const char *b64)
{
	char dir[] = "/tmp/test_rsa_XXXXXX", cmd[512], path[128];
	unsigned char sig[1024];
	int n, rc;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pub.pem", dir);
	write_file(path, pem, strlen(pem));
	snprintf(path, sizeof(path), "%s/data", dir);
	write_file(path, msg, len);
	n = unbase64(sig, b64);
	assert_int_equal(n, RSA_KEY_BITS / 8);
	snprintf(path, sizeof(path), "%s/sig", dir);
	write_file(path, sig, (size_t)n);
	snprintf(cmd, sizeof(cmd),
	         "openssl dgst -sha1 -verify %s/pub.pem -signature %s/sig %s/data >/dev/null 2>&1",
	         dir, dir, dir);
	rc = system(cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return rc;
}

static void
test_public_pem(void **state)
{
	const char *pem = rsa_public_pem(key);
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);

	(void)state;
	assert_true(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
	assert_non_null(strstr(pem, "-----END PUBLIC KEY-----\n"));
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_get_base_id(pub), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(pub), RSA_KEY_BITS);
	EVP_PKEY_free(pub);
	BIO_free(bio);
}

/* K over the bytes of a return, as a module checks it. */
static void
test_k_verifies(void **state)
{
	struct pbx_result res = {.amount = 1000,
	                         .ref = "TEST Paybox",
	                         .call_no = 42,
	                         .trans_no = 42,
	                         .auth = "XXXXXX",
	                         .error5 = "00000",
	                         .card_type = "Visa Electron",
	                         .pay_type = "CARTE"};
	struct pbx_retour r;
	char *s, *b64 = NULL;
	size_t len;

	(void)state;
	assert_int_equal(pbx_retour_parse(&r, "M:M;R:R;T:T;A:A;E:E;C:C;P:P;S:S;K:K"), ST_OK);
	s = pbx_retour_build(&r, &res, &len);
	assert_string_equal(s, "M=1000&R=TEST%20Paybox&T=42&A=XXXXXX&E=00000&C=Visa%20Electron&"
	                       "P=CARTE&S=42");
	assert_int_equal(rsa_sign_sha1_b64(key, s, len, &b64), ST_OK);
	assert_int_equal(strlen(b64), 344); /* 256 bytes in base64, padded */
	assert_true(verifies(rsa_public_pem(key), s, len, b64));
	assert_int_equal(openssl_verify(rsa_public_pem(key), s, len, b64), 0);
	/* One byte of the data, or of the signature, changed: refused by both. */
	s[2] = '2';
	assert_false(verifies(rsa_public_pem(key), s, len, b64));
	assert_int_not_equal(openssl_verify(rsa_public_pem(key), s, len, b64), 0);
	s[2] = '0';
	b64[10] = b64[10] == 'A' ? 'B' : 'A';
	assert_false(verifies(rsa_public_pem(key), s, len, b64));
	free(b64);
	free(s);
}

static void
test_der_round_trip(void **state)
{
	struct rsa_key *again = NULL;
	unsigned char *der = NULL;
	char *b64 = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(rsa_key_to_der(key, &der, &len), ST_OK);
	assert_int_equal(rsa_key_from_der(der, len, &again), ST_OK);
	assert_string_equal(rsa_public_pem(again), rsa_public_pem(key));
	assert_int_equal(rsa_sign_sha1_b64(again, "x", 1, &b64), ST_OK);
	assert_true(verifies(rsa_public_pem(key), "x", 1, b64));
	free(b64);
	rsa_key_free(again);
	/* Cut short, or one byte more: not a key. */
	assert_int_equal(rsa_key_from_der(der, len - 1, &again), ST_INVALID);
	assert_null(again);
	der[0] ^= 0xff;
	assert_int_equal(rsa_key_from_der(der, len, &again), ST_INVALID);
	assert_null(again);
	free(der);
	rsa_key_free(NULL);
}

/* Made at the first start, kept sealed, the same key at the next; another data key cannot
 * open it. */
static void
test_kept_sealed(void **state)
{
	char dir[] = "/tmp/test_rsa_db_XXXXXX", db[128];
	struct crypto_keys keys, other;
	unsigned char dk[CRYPTO_KEY_LEN] = {1}, dk2[CRYPTO_KEY_LEN] = {2};
	struct rsa_key *first = NULL, *second = NULL, *none = NULL;
	unsigned char *der = NULL, sealed[8192];
	struct store *st = NULL;
	size_t der_len = 0, len = 0;

	(void)state;
	assert_int_equal(crypto_init(), ST_OK);
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/g.db", dir);
	assert_int_equal(store_open(db, true, &st), ST_OK);
	crypto_keys_derive(&keys, dk);
	crypto_keys_derive(&other, dk2);
	assert_int_equal(rsa_key_load_or_create(st, &keys, &first), ST_OK);
	assert_int_equal(rsa_key_load_or_create(st, &keys, &second), ST_OK);
	assert_string_equal(rsa_public_pem(first), rsa_public_pem(second));
	assert_int_equal(rsa_key_load_or_create(st, &other, &none), ST_AUTH);
	assert_null(none);
	/* What is kept is not the key's DER. */
	assert_int_equal(st->ops->meta_get(st, "paybox_rsa_key", sealed, sizeof(sealed), &len),
	                 ST_OK);
	assert_int_equal(rsa_key_to_der(first, &der, &der_len), ST_OK);
	assert_int_equal(len, der_len + CRYPTO_SEAL_OVERHEAD);
	assert_null(memmem(sealed, len, der + der_len / 2, 32));
	free(der);
	rsa_key_free(first);
	rsa_key_free(second);
	store_close(st);
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_public_pem),
	        cmocka_unit_test(test_k_verifies),
	        cmocka_unit_test(test_der_round_trip),
	        cmocka_unit_test(test_kept_sealed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
