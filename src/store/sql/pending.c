/*
 * pending.c - the pending authorizations' storage (sql/sqlite/039_pending.sql; store.h
 * pending_*): what the confirmation job asks the acquirer again.
 */
#include <string.h>

#include "store/sql/db.h"

int
db_pending_put(struct store *st, const struct pending_auth *p)
{
	struct stmt *s;
	int rc;

	rc = db_prepare(st,
	                "INSERT INTO txn_pending(brand_id, txn_id, shop_id, acq_ref, asked_at, "
	                "next_at, deferral_days, notify_url, notify_post, pbx_retour) "
	                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	                &s, "pending_put");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, p->brand_id);
	stmt_bind_int64(s, 2, p->txn_id);
	stmt_bind_int64(s, 3, p->shop_id);
	db_bind_text(s, 4, p->acq_ref);
	stmt_bind_int64(s, 5, p->asked_at);
	stmt_bind_int64(s, 6, p->next_at);
	stmt_bind_int64(s, 7, p->deferral_days);
	db_bind_text(s, 8, p->notify_url);
	stmt_bind_int64(s, 9, p->notify_post);
	db_bind_text(s, 10, p->pbx_retour);
	return db_run_once(st, s, "pending_put");
}

static void
pending_read(struct stmt *s, struct pending_auth *p)
{
	memset(p, 0, sizeof(*p));
	p->brand_id = stmt_int64(s, 0);
	p->txn_id = stmt_int64(s, 1);
	p->shop_id = stmt_int64(s, 2);
	db_text_copy(p->acq_ref, sizeof(p->acq_ref), s, 3);
	p->asked_at = stmt_int64(s, 4);
	p->next_at = stmt_int64(s, 5);
	p->deferral_days = stmt_int(s, 6);
	db_text_copy(p->notify_url, sizeof(p->notify_url), s, 7);
	p->notify_post = stmt_int(s, 8) != 0;
	db_text_copy(p->pbx_retour, sizeof(p->pbx_retour), s, 9);
}

int
db_pending_each_due(struct store *st, int64_t now, int limit, store_pending_cb cb, void *arg)
{
	struct pending_auth p;
	struct stmt *s;
	int rc;

	rc = db_prepare(st,
	                "SELECT brand_id, txn_id, shop_id, acq_ref, asked_at, next_at, "
	                "deferral_days, notify_url, notify_post, pbx_retour FROM txn_pending "
	                "WHERE next_at <= ?1 ORDER BY next_at LIMIT ?2",
	                &s, "pending_each_due");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, now);
	stmt_bind_int64(s, 2, limit);
	while (db_next(st, s, &rc, "pending_each_due")) {
		pending_read(s, &p);
		rc = cb(arg, &p);
	}
	stmt_finalize(s);
	return rc;
}

int
db_pending_later(struct store *st, int64_t brand_id, int64_t txn_id, int64_t next_at)
{
	struct stmt *s;
	int rc;

	rc = db_prepare(st,
	                "UPDATE txn_pending SET next_at = ?3 WHERE brand_id = ?1 AND txn_id = ?2",
	                &s, "pending_later");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, txn_id);
	stmt_bind_int64(s, 3, next_at);
	return db_run_once(st, s, "pending_later");
}

int
db_pending_delete(struct store *st, int64_t brand_id, int64_t txn_id)
{
	struct stmt *s;
	int rc;

	rc = db_prepare(st, "DELETE FROM txn_pending WHERE brand_id = ?1 AND txn_id = ?2", &s,
	                "pending_delete");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, txn_id);
	rc = db_run_once(st, s, "pending_delete");
	if (rc == ST_OK && db_changes(st) != 1)
		rc = ST_NOTFOUND;
	return rc;
}
