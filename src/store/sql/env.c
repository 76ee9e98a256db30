/*
 * env.c - the test and production environments (store.h env_twin_make, env_twins_make,
 * env_twin_of, env_is_test; migration 044; docs/ENVIRONMENTS.md).
 *
 * A brand's test environment is its twin brand: a brand row of env 'test' whose twin_id is
 * the production brand, with a twin of each node (node.twin_id), of each shop (the same SITE
 * and RANG, env 'test') and of each contract. Made once, in the writer's transaction, by a
 * few INSERT … SELECT; the test environment's data then live under the twin's brand_id and
 * every tenant-scoped statement keeps them apart from production's unchanged.
 */
#include <stdlib.h>

#include "store/sql/db.h"

/* The statements that copy a production brand's tree into its twin (?1: the production
 * brand, ?2: the twin, ?3: now), in their order: the nodes (their parents set after, once
 * every twin has its id), the shops, the contracts. Neither keys nor users nor transactions:
 * the test environment has its own keys, and the users are the production brand's. */
static const char *const copy_sql[] = {
        "INSERT INTO node(brand_id, parent_id, level, name, created_at, twin_id) SELECT ?2, "
        "NULL, level, name, ?3, id FROM node WHERE brand_id = ?1 ORDER BY id",
        "UPDATE node SET parent_id = (SELECT t.id FROM node p JOIN node t ON t.brand_id = ?2 "
        "AND t.twin_id = p.parent_id WHERE p.brand_id = ?1 AND p.id = node.twin_id) WHERE "
        "brand_id = ?2",
        "INSERT INTO shop(id, brand_id, site, rang, name, url, created_at, env) SELECT t.id, "
        "?2, s.site, s.rang, s.name, s.url, ?3, 'test' FROM shop s JOIN node t ON t.brand_id "
        "= ?2 AND t.twin_id = s.id WHERE s.brand_id = ?1 ORDER BY s.id",
        "INSERT INTO contract(brand_id, shop_id, method, number, rang, label, bank_code, "
        "currency, amount_min, amount_max, deferral_days, tds, active, report_email, "
        "created_at) SELECT ?2, t.id, c.method, c.number, c.rang, c.label, c.bank_code, "
        "c.currency, c.amount_min, c.amount_max, c.deferral_days, c.tds, c.active, "
        "c.report_email, ?3 FROM contract c JOIN node t ON t.brand_id = ?2 AND t.twin_id = "
        "c.shop_id WHERE c.brand_id = ?1 AND c.deactivated_at IS NULL ORDER BY c.id",
};

int
db_env_twin_make(struct store *st, int64_t brand_id, int64_t now, int64_t *twin_id)
{
	/* The twin of brand N is brand -N: the production brands keep the ids they would have
	 * had (a given id below the largest moves no sequence, on either backend). Its account
	 * id: the production one's with a suffix no account id carries (pspid is UNIQUE);
	 * nobody signs in with it (the users are production's). */
	static const char brand_sql[] =
	        "INSERT INTO brand(id, name, pspid, created_at, retention_days, env, twin_id) "
	        "SELECT -id, name, pspid || '/TEST', ?2, retention_days, 'test', id FROM brand "
	        "WHERE id = ?1 AND env = 'production' RETURNING id";
	struct stmt *s;
	int rc = db_prepare(st, brand_sql, &s, "env_twin_brand");

	*twin_id = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, now);
	rc = db_insert_once(st, s, twin_id, "env_twin_brand");
	for (size_t i = 0; rc == ST_OK && i < sizeof(copy_sql) / sizeof(copy_sql[0]); i++) {
		rc = db_prepare(st, copy_sql[i], &s, "env_twin_copy");
		if (rc != ST_OK)
			break;
		stmt_bind_int64(s, 1, brand_id);
		stmt_bind_int64(s, 2, *twin_id);
		stmt_bind_int64(s, 3, now);
		rc = db_run_once(st, s, "env_twin_copy");
	}
	return rc;
}

int
db_env_ids(struct store *st, const char *sql, int64_t id, int64_t **ids, size_t *n,
           const char *what)
{
	size_t cap = 0;
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, what);

	*ids = NULL;
	*n = 0;
	if (rc != ST_OK)
		return rc;
	if (id != 0)
		stmt_bind_int64(s, 1, id);
	while (db_next(st, s, &rc, what)) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*ids = realloc(*ids, cap * sizeof(**ids));
			if (*ids == NULL)
				abort();
		}
		(*ids)[(*n)++] = stmt_int64(s, 0);
	}
	stmt_finalize(s);
	return rc;
}

int
db_env_twins_make(struct store *st, int64_t now, int *made)
{
	static const char sql[] = "SELECT id FROM brand b WHERE env = 'production' AND NOT EXISTS "
	                          "(SELECT 1 FROM brand t WHERE t.twin_id = b.id) ORDER BY id";
	int64_t *ids, twin;
	size_t n;
	/* Read whole first: the walk's statement is done before the copies write. */
	int rc = db_env_ids(st, sql, 0, &ids, &n, "env_twins_missing");

	*made = 0;
	for (size_t i = 0; rc == ST_OK && i < n; i++) {
		rc = db_env_twin_make(st, ids[i], now, &twin);
		*made += rc == ST_OK;
	}
	free(ids);
	return rc;
}

static void
twin_read(struct stmt *s, void *out)
{
	int64_t *v = out;

	v[0] = stmt_int64(s, 0);
	v[1] = stmt_int64(s, 1);
}

int
db_env_twin_of(struct store *st, int64_t brand_id, int64_t node_id, int64_t *twin_brand,
               int64_t *twin_node)
{
	static const char sql[] = "SELECT b.id, n.id FROM brand b JOIN node n ON n.brand_id = b.id "
	                          "AND n.twin_id = ?2 WHERE b.twin_id = ?1";
	struct stmt *s;
	int64_t v[2] = {0, 0};
	int rc = db_cached(st, sql, &s, "env_twin_of");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, node_id);
	rc = db_one_row(st, s, twin_read, v, "env_twin_of");
	*twin_brand = v[0];
	*twin_node = v[1];
	return rc;
}

int
db_env_is_test(struct store *st, int64_t brand_id, bool *test)
{
	static const char sql[] = "SELECT env = 'test' FROM brand WHERE id = ?1";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "env_is_test");

	*test = false;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	return db_one_row(st, s, db_bool_read, test, "env_is_test");
}
