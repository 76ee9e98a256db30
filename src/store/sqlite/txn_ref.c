/*
 * txn_ref.c - the SQLite backend's indexer tables of the transactions' search (migrations
 * 010 to 013): txn_ref (trigrams of the order reference), txn_amount_ref and txn_email_ref,
 * fed from the rows the indexer job (jobs/indexer.c) has not read yet (store/sql/txn_search.c
 * reads them).
 */
#include "store/sqlite/lite.h"

int
lite_txn_ref_catch_up(struct store *st, int limit, int *done)
{
	static const char next_sql[] = "SELECT max(id) FROM (SELECT id FROM txn WHERE " NEWER_ROWS
	                               " ORDER BY id LIMIT ?1)";
	/* The rows up to ?1 the tables have not read: txn_ref's first (its count is *done). */
	static const char ref_sql[] = "INSERT INTO txn_ref(rowid, order_ref) SELECT id, order_ref "
	                              "FROM txn WHERE " NEWER_ROWS " AND id <= ?1";
	static const char amount_sql[] =
	        "INSERT INTO txn_amount_ref(rowid, amount) SELECT id, "
	        "amount_initial FROM txn WHERE " NEWER_ROWS " AND id <= ?1";
	static const char email_sql[] =
	        "INSERT INTO txn_email_ref(rowid, email) SELECT id, email "
	        "FROM txn WHERE " NEWER_ROWS " AND id <= ?1 AND email <> ''";
	static const char upto_sql[] = "UPDATE search_state SET txn_ref_upto = ?1";
	static const char *const add_sql[] = {ref_sql, amount_sql, email_sql};
	struct stmt *s;
	int64_t upto = 0;
	int src, rc = db_cached(st, next_sql, &s, "txn_ref_next");

	*done = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, limit);
	src = stmt_step(s);
	if (src == STMT_ROW)
		upto = stmt_int64(s, 0); /* NULL (0): nothing new */
	rc = db_status(st, src, "txn_ref_next");
	stmt_reset(s);
	if (rc != ST_OK || upto == 0)
		return rc;
	for (size_t k = 0; rc == ST_OK && k < sizeof(add_sql) / sizeof(add_sql[0]); k++) {
		if ((rc = db_cached(st, add_sql[k], &s, "txn_ref_add")) != ST_OK)
			return rc;
		stmt_bind_int64(s, 1, upto);
		rc = db_run(st, s, "txn_ref_add");
		if (k == 0)
			*done = db_changes(st);
	}
	if (rc == ST_OK)
		rc = db_cached(st, upto_sql, &s, "txn_ref_upto");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, upto);
	return db_run(st, s, "txn_ref_upto");
}
