/*
 * meta.c - the SQLite backend's values of the installation (store.h meta_get, meta_put,
 * terms_version; migration 001): the key/value table meta, which belongs to the server, not
 * to a tenant: the wrapped data key, the Paybox RSA key sealed, the terms version. Read at
 * start and by the terms watcher every second: kept prepared (lite_cached). Not what the
 * values mean (service/keyring.c, http/sessions.c).
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/lite.h"

int
lite_meta_get(struct store *st, const char *key, unsigned char *val, size_t cap, size_t *len)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
	sqlite3_stmt *s;
	int src, rc = lite_cached(st, sql, &s, "meta_get");

	if (rc != ST_OK)
		return rc;
	lite_bind_text(s, 1, key);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);

		rc = ST_INVALID;
		if (n <= cap) {
			memcpy(val, sqlite3_column_blob(s, 0), n);
			*len = n;
			rc = ST_OK;
		}
	} else {
		rc = lite_row_status(st, src, "meta_get");
	}
	sqlite3_reset(s);
	return rc;
}

int
lite_meta_put(struct store *st, const char *key, const unsigned char *val, size_t len)
{
	static const char sql[] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
	                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *s;
	int rc = lite_cached(st, sql, &s, "meta_put");

	if (rc != ST_OK)
		return rc;
	lite_bind_text(s, 1, key);
	sqlite3_bind_blob(s, 2, val, (int)len, SQLITE_STATIC);
	return lite_run(st, s, "meta_put");
}

int
lite_terms_version(struct store *st, int *version)
{
	unsigned char v[16];
	size_t len = 0;
	char *end;
	long n;
	int rc;

	rc = lite_meta_get(st, "terms_version", v, sizeof(v) - 1, &len);
	if (rc != ST_OK)
		return rc;
	v[len] = '\0';
	n = strtol((const char *)v, &end, 10);
	if (end == (const char *)v || *end != '\0' || n < 1 || n > 1000000)
		return ST_STORE;
	*version = (int)n;
	return ST_OK;
}
