/*
 * keyring.c - the KEK and the data key (keyring.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "service/keyring.h"

static const unsigned char data_key_ad[] = "guichet data key v1";
static const unsigned char paybox_key_ad[] = "guichet paybox rsa key v1";

/* A sealed PKCS#8 RSA key: 2048 bits take about 1,220 bytes; room for 4096. */
#define PAYBOX_KEY_SEALED_MAX (4096 + CRYPTO_SEAL_OVERHEAD)

void
keyring_default_path(const char *db_path, char *out, size_t cap)
{
	const char *slash = strrchr(db_path, '/');

	/* A database server's (postgresql://…): the working directory's. */
	if (slash == NULL || store_is_server(db_path))
		snprintf(out, cap, "guichet.key");
	else
		snprintf(out, cap, "%.*s/guichet.key", (int)(slash - db_path), db_path);
}

/* Reads the KEK: environment first, then the file; creates the file when asked. */
static int
kek_read(const char *key_file, bool create, unsigned char kek[CRYPTO_KEY_LEN])
{
	const char *env = getenv("GUICHET_KEK");
	char hex[2 * CRYPTO_KEY_LEN + 2];
	ssize_t n;
	int fd, rc;

	if (env != NULL && env[0] != '\0')
		return crypto_unhex(kek, CRYPTO_KEY_LEN, env, strlen(env));
	fd = open(key_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		crypto_random(kek, CRYPTO_KEY_LEN);
		crypto_hex(hex, kek, CRYPTO_KEY_LEN);
		hex[2 * CRYPTO_KEY_LEN] = '\n';
		fd = open(key_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		rc = fd >= 0 && write(fd, hex, 2 * CRYPTO_KEY_LEN + 1) == 2 * CRYPTO_KEY_LEN + 1 &&
		                     fsync(fd) == 0
		             ? ST_OK
		             : ST_STORE;
		if (fd >= 0)
			close(fd);
		crypto_wipe(hex, sizeof(hex));
		if (rc == ST_OK)
			log_info("event=key_file_created path=\"%s\"", key_file);
		else
			log_error("event=key_file_create_failed path=\"%s\" error=\"%s\"", key_file,
			          strerror(errno));
		return rc;
	}
	if (fd < 0) {
		log_error("event=no_kek path=\"%s\" hint=\"set GUICHET_KEK or give --key-file\"",
		          key_file);
		return ST_NOTFOUND;
	}
	n = read(fd, hex, sizeof(hex));
	close(fd);
	while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
		n--;
	rc = n > 0 ? crypto_unhex(kek, CRYPTO_KEY_LEN, hex, (size_t)n) : ST_INVALID;
	crypto_wipe(hex, sizeof(hex));
	if (rc != ST_OK)
		log_error("event=bad_kek path=\"%s\"", key_file);
	return rc;
}

int
keyring_open(struct store *st, const char *key_file, bool create, struct crypto_keys **out)
{
	unsigned char *kek = crypto_secret_new(CRYPTO_KEY_LEN);
	unsigned char *dk = crypto_secret_new(CRYPTO_KEY_LEN);
	unsigned char wrapped[CRYPTO_KEY_LEN + CRYPTO_SEAL_OVERHEAD];
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = kek_read(key_file, create, kek);
	if (rc != ST_OK)
		goto out;
	rc = st->ops->meta_get(st, "data_key", wrapped, sizeof(wrapped), &len);
	if (rc == ST_NOTFOUND && create) {
		crypto_random(dk, CRYPTO_KEY_LEN);
		crypto_seal(wrapped, dk, CRYPTO_KEY_LEN, data_key_ad, sizeof(data_key_ad), kek);
		rc = st->ops->meta_put(st, "data_key", wrapped, sizeof(wrapped));
	} else if (rc == ST_OK) {
		rc = len == sizeof(wrapped) && crypto_open(dk, wrapped, len, data_key_ad,
		                                           sizeof(data_key_ad), kek) == ST_OK
		             ? ST_OK
		             : ST_AUTH;
		if (rc == ST_AUTH)
			log_error(
			        "event=kek_mismatch hint=\"this key does not open this database\"");
	}
	if (rc == ST_OK) {
		*out = crypto_secret_new(sizeof(**out));
		crypto_keys_derive(*out, dk);
	}
out:
	crypto_secret_free(kek);
	crypto_secret_free(dk);
	return rc;
}

int
rsa_key_load_or_create(struct store *st, const struct crypto_keys *keys, struct rsa_key **out)
{
	unsigned char *sealed = malloc(PAYBOX_KEY_SEALED_MAX);
	unsigned char *der = NULL;
	size_t len = 0, der_len = 0;
	int rc;

	*out = NULL;
	if (sealed == NULL)
		abort();
	rc = st->ops->meta_get(st, "paybox_rsa_key", sealed, PAYBOX_KEY_SEALED_MAX, &len);
	if (rc == ST_OK) {
		rc = ST_AUTH;
		if (len <= CRYPTO_SEAL_OVERHEAD)
			goto out;
		der_len = len - CRYPTO_SEAL_OVERHEAD;
		der = crypto_secret_new(der_len);
		if (crypto_open(der, sealed, len, paybox_key_ad, sizeof(paybox_key_ad),
		                keys->secret) != ST_OK) {
			log_error("event=paybox_key_unreadable");
			goto out;
		}
		rc = rsa_key_from_der(der, der_len, out) == ST_OK ? ST_OK : ST_AUTH;
	} else if (rc == ST_NOTFOUND) {
		unsigned char *plain = NULL;

		/* The private key never reaches the database in clear (ARCHITECTURE "Data at
		 * rest": sealed before it is written). */
		rc = rsa_key_generate(out);
		if (rc == ST_OK)
			rc = rsa_key_to_der(*out, &plain, &der_len);
		if (rc == ST_OK && der_len + CRYPTO_SEAL_OVERHEAD > PAYBOX_KEY_SEALED_MAX)
			rc = ST_INTERNAL;
		if (rc == ST_OK) {
			crypto_seal(sealed, plain, der_len, paybox_key_ad, sizeof(paybox_key_ad),
			            keys->secret);
			rc = st->ops->meta_put(st, "paybox_rsa_key", sealed,
			                       der_len + CRYPTO_SEAL_OVERHEAD);
		}
		if (plain != NULL) {
			crypto_wipe(plain, der_len);
			free(plain);
		}
		if (rc == ST_OK)
			log_info("event=paybox_key_created bits=%d", RSA_KEY_BITS);
	}
out:
	if (rc != ST_OK) {
		rsa_key_free(*out);
		*out = NULL;
	}
	crypto_secret_free(der);
	free(sealed);
	return rc;
}
