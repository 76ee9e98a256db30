/*
 * meta.c - values of the installation (store.h meta_get, meta_put,
 * terms_version; migration 001): the key/value table meta, which belongs to the server, not
 * to a tenant: the wrapped data key, the Paybox RSA key sealed, the terms version. Read at
 * start and by the terms watcher every second: kept prepared (db_cached). Not what the
 * values mean (service/keyring.c, http/sessions.c).
 */
#include <stdlib.h>
#include <string.h>

#include "store/sql/db.h"

int
db_meta_get(struct store *st, const char *key, unsigned char *val, size_t cap, size_t *len)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
	struct stmt *s;
	int src, rc = db_cached(st, sql, &s, "meta_get");

	if (rc != ST_OK)
		return rc;
	db_bind_text(s, 1, key);
	src = stmt_step(s);
	if (src == STMT_ROW) {
		size_t n = (size_t)stmt_bytes(s, 0);

		rc = ST_INVALID;
		if (n <= cap) {
			memcpy(val, stmt_blob(s, 0), n);
			*len = n;
			rc = ST_OK;
		}
	} else {
		rc = db_row_status(st, src, "meta_get");
	}
	stmt_reset(s);
	return rc;
}

int
db_meta_put(struct store *st, const char *key, const unsigned char *val, size_t len)
{
	static const char sql[] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
	                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "meta_put");

	if (rc != ST_OK)
		return rc;
	db_bind_text(s, 1, key);
	stmt_bind_blob(s, 2, val, len);
	return db_run(st, s, "meta_put");
}

int
db_terms_version(struct store *st, int *version)
{
	unsigned char v[16];
	size_t len = 0;
	char *end;
	long n;
	int rc;

	rc = db_meta_get(st, "terms_version", v, sizeof(v) - 1, &len);
	if (rc != ST_OK)
		return rc;
	v[len] = '\0';
	n = strtol((const char *)v, &end, 10);
	if (end == (const char *)v || *end != '\0' || n < 1 || n > 1000000)
		return ST_STORE;
	*version = (int)n;
	return ST_OK;
}
