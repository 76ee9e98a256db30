/*
 * pending.c - the pending authorizations' storage (sql/sqlite/039_pending.sql; store.h
 * pending_*): what the confirmation job asks the acquirer again.
 */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite/lite.h"

int
lite_pending_put(struct store *st, const struct pending_auth *p)
{
	sqlite3_stmt *s;
	int rc;

	rc = lite_prepare(st,
	                  "INSERT INTO txn_pending(brand_id, txn_id, shop_id, acq_ref, asked_at, "
	                  "next_at, deferral_days, notify_url, notify_post, pbx_retour) "
	                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	                  &s, "pending_put");
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, p->brand_id);
	sqlite3_bind_int64(s, 2, p->txn_id);
	sqlite3_bind_int64(s, 3, p->shop_id);
	lite_bind_text(s, 4, p->acq_ref);
	sqlite3_bind_int64(s, 5, p->asked_at);
	sqlite3_bind_int64(s, 6, p->next_at);
	sqlite3_bind_int(s, 7, p->deferral_days);
	lite_bind_text(s, 8, p->notify_url);
	sqlite3_bind_int(s, 9, p->notify_post);
	lite_bind_text(s, 10, p->pbx_retour);
	return lite_run_once(st, s, "pending_put");
}

static void
pending_read(sqlite3_stmt *s, struct pending_auth *p)
{
	memset(p, 0, sizeof(*p));
	p->brand_id = sqlite3_column_int64(s, 0);
	p->txn_id = sqlite3_column_int64(s, 1);
	p->shop_id = sqlite3_column_int64(s, 2);
	lite_text_copy(p->acq_ref, sizeof(p->acq_ref), s, 3);
	p->asked_at = sqlite3_column_int64(s, 4);
	p->next_at = sqlite3_column_int64(s, 5);
	p->deferral_days = sqlite3_column_int(s, 6);
	lite_text_copy(p->notify_url, sizeof(p->notify_url), s, 7);
	p->notify_post = sqlite3_column_int(s, 8) != 0;
	lite_text_copy(p->pbx_retour, sizeof(p->pbx_retour), s, 9);
}

int
lite_pending_each_due(struct store *st, int64_t now, int limit, store_pending_cb cb, void *arg)
{
	struct pending_auth p;
	sqlite3_stmt *s;
	int rc;

	rc = lite_prepare(st,
	                  "SELECT brand_id, txn_id, shop_id, acq_ref, asked_at, next_at, "
	                  "deferral_days, notify_url, notify_post, pbx_retour FROM txn_pending "
	                  "WHERE next_at <= ?1 ORDER BY next_at LIMIT ?2",
	                  &s, "pending_each_due");
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, limit);
	while (lite_next(st, s, &rc, "pending_each_due")) {
		pending_read(s, &p);
		rc = cb(arg, &p);
	}
	sqlite3_finalize(s);
	return rc;
}

int
lite_pending_later(struct store *st, int64_t brand_id, int64_t txn_id, int64_t next_at)
{
	sqlite3_stmt *s;
	int rc;

	rc = lite_prepare(st,
	                  "UPDATE txn_pending SET next_at = ?3 WHERE brand_id = ?1 AND txn_id = ?2",
	                  &s, "pending_later");
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, txn_id);
	sqlite3_bind_int64(s, 3, next_at);
	return lite_run_once(st, s, "pending_later");
}

int
lite_pending_delete(struct store *st, int64_t brand_id, int64_t txn_id)
{
	sqlite3_stmt *s;
	int rc;

	rc = lite_prepare(st, "DELETE FROM txn_pending WHERE brand_id = ?1 AND txn_id = ?2", &s,
	                  "pending_delete");
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, txn_id);
	rc = lite_run_once(st, s, "pending_delete");
	if (rc == ST_OK && sqlite3_changes(lite_db(st)) != 1)
		rc = ST_NOTFOUND;
	return rc;
}
