/*
 * pbx_hmac.c - the HMAC of the Paybox protocols (PBX_HMAC, Direct's HMAC) by the algorithm the
 * request names in PBX_HASH or HASH (research/paybox-protocol.md §1.3): OpenSSL's HMAC, since
 * libsodium has no SHA-384 or SHA-224. Declared in domain/paybox.h, where its callers read
 * the rest of the protocol; kept here so that the domain library stays pure.
 */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/text.h"
#include "domain/paybox.h"

/* The algorithms a merchant module sends (SHA512 everywhere in practice). RIPEMD160 and MDC2,
 * which the manual is said to allow, are left out: OpenSSL 3 keeps them in its legacy
 * provider only, and no module seen sends them. */
static const struct {
	const char *name;
	const char *ossl;
} algs[] = {
        {"SHA512", "SHA512"},
        {"SHA384", "SHA384"},
        {"SHA256", "SHA256"},
        {"SHA224", "SHA224"},
};

bool
pbx_hmac_ok(const char *hash_name, const unsigned char *key, size_t key_len, const char *msg,
            size_t msg_len, const char *hex, size_t hex_len)
{
	unsigned char mac[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	const EVP_MD *md = NULL;
	bool ok = false;

	if (hash_name == NULL || hex == NULL)
		return false;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcasecmp(hash_name, algs[i].name) == 0)
			md = EVP_get_digestbyname(algs[i].ossl);
	if (md == NULL || hex_len != 2 * (size_t)EVP_MD_get_size(md))
		return false;
	for (size_t i = 0; i < hex_len / 2; i++) {
		int hi = text_hex_digit(hex[2 * i]), lo = text_hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto out;
		want[i] = (unsigned char)(hi * 16 + lo);
	}
	if (HMAC(md, key, (int)key_len, (const unsigned char *)msg, msg_len, mac, &mac_len) ==
	            NULL ||
	    mac_len * 2 != hex_len)
		goto out;
	ok = CRYPTO_memcmp(mac, want, mac_len) == 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}
