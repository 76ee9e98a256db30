/*
 * rsa.c - Guichet's RSA key pair for the Paybox signature K, through OpenSSL's EVP API.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/rsa.h"

struct rsa_key {
	EVP_PKEY *pkey;
	char *pem; /* the public key, made once */
};

/* Completes k with its public PEM; frees k and returns ST_INTERNAL when it cannot. */
static int
key_finish(struct rsa_key *k, struct rsa_key **out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int rc = ST_INTERNAL;

	if (bio == NULL || PEM_write_bio_PUBKEY(bio, k->pkey) != 1)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto out;
	k->pem = malloc((size_t)n + 1);
	if (k->pem == NULL)
		abort();
	memcpy(k->pem, data, (size_t)n);
	k->pem[n] = '\0';
	*out = k;
	k = NULL;
	rc = ST_OK;
out:
	BIO_free(bio);
	rsa_key_free(k);
	return rc;
}

int
rsa_key_generate(struct rsa_key **out)
{
	struct rsa_key *k = calloc(1, sizeof(*k));

	*out = NULL;
	if (k == NULL)
		abort();
	k->pkey = EVP_RSA_gen(RSA_KEY_BITS);
	if (k->pkey == NULL) {
		rsa_key_free(k);
		return ST_INTERNAL;
	}
	return key_finish(k, out);
}

int
rsa_key_from_der(const unsigned char *der, size_t len, struct rsa_key **out)
{
	const unsigned char *p = der;
	struct rsa_key *k;

	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		abort();
	k->pkey = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	if (k->pkey == NULL || p != der + len || EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA) {
		rsa_key_free(k);
		return ST_INVALID;
	}
	return key_finish(k, out);
}

int
rsa_key_to_der(const struct rsa_key *k, unsigned char **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k->pkey);
	unsigned char *buf = NULL, *p;
	int n;

	*der = NULL;
	*len = 0;
	if (p8 == NULL)
		return ST_INTERNAL;
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL);
	if (n > 0) {
		buf = malloc((size_t)n);
		if (buf == NULL)
			abort();
		p = buf;
		if (i2d_PKCS8_PRIV_KEY_INFO(p8, &p) != n) {
			OPENSSL_cleanse(buf, (size_t)n);
			free(buf);
			buf = NULL;
		}
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (buf == NULL)
		return ST_INTERNAL;
	*der = buf;
	*len = (size_t)n;
	return ST_OK;
}

int
rsa_sign_sha1_b64(const struct rsa_key *k, const char *msg, size_t len, char **b64)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	int rc = ST_INTERNAL;

	*b64 = NULL;
	if (ctx == NULL)
		abort();
	/* An RSA key signs PKCS#1 v1.5 unless told otherwise: what openssl_verify checks. */
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha1(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)msg, len) != 1)
		goto out;
	sig = malloc(sig_len);
	if (sig == NULL)
		abort();
	if (EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)msg, len) != 1)
		goto out;
	*b64 = malloc(4 * ((sig_len + 2) / 3) + 1);
	if (*b64 == NULL)
		abort();
	EVP_EncodeBlock((unsigned char *)*b64, sig, (int)sig_len);
	rc = ST_OK;
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}

const char *
rsa_public_pem(const struct rsa_key *k)
{
	return k->pem;
}

void
rsa_key_free(struct rsa_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->pem);
	free(k);
}
