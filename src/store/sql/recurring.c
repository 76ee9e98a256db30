/*
 * recurring.c - card aliases, installment plans and subscriptions
 * (store.h; migration 025). The statements of the scheduler's path (a debit: the recurring
 * read, its alias, its debit written, its progress) run a million times in a round and are
 * kept prepared (db_cached); the others are prepared when they run.
 */
#include <string.h>

#include "store/sql/db.h"

/* --- aliases ------------------------------------------------------------------------------- */

#define ALIAS_COLS                                                                                 \
	"id, brand_id, shop_id, alias, method, card_masked, card_expiry, card_fp, card_sealed, "   \
	"implicit, created_at, coalesce(deleted_at, 0)"

static void
alias_read(struct stmt *s, struct card_alias *a)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->id = stmt_int64(s, 0);
	a->brand_id = stmt_int64(s, 1);
	a->shop_id = stmt_int64(s, 2);
	db_text_copy(a->alias, sizeof(a->alias), s, 3);
	a->method = stmt_int(s, 4);
	db_text_copy(a->card_masked, sizeof(a->card_masked), s, 5);
	db_text_copy(a->card_expiry, sizeof(a->card_expiry), s, 6);
	if ((n = stmt_bytes(s, 7)) == (int)sizeof(a->card_fp))
		memcpy(a->card_fp, stmt_blob(s, 7), sizeof(a->card_fp));
	n = stmt_bytes(s, 8);
	if (n > 0 && n <= (int)sizeof(a->card_sealed)) {
		memcpy(a->card_sealed, stmt_blob(s, 8), (size_t)n);
		a->card_sealed_len = (size_t)n;
	}
	a->implicit = stmt_int(s, 9) != 0;
	a->created_at = stmt_int64(s, 10);
	a->deleted_at = stmt_int64(s, 11);
}

static void
alias_row(struct stmt *s, void *out)
{
	alias_read(s, out);
}

static int
alias_one(struct store *st, struct stmt *s, struct card_alias *out, const char *what)
{
	return db_one_row(st, s, alias_row, out, what);
}

int
db_alias_insert(struct store *st, struct card_alias *a)
{
	static const char sql[] =
	        "INSERT INTO card_alias(brand_id, shop_id, alias, method, card_masked, "
	        "card_expiry, card_fp, card_sealed, implicit, created_at) VALUES (?1, ?2, ?3, ?4, "
	        "?5, ?6, ?7, ?8, ?9, ?10) RETURNING id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "alias_insert");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, a->brand_id);
	stmt_bind_int64(s, 2, a->shop_id);
	db_bind_text(s, 3, a->alias);
	stmt_bind_int64(s, 4, a->method);
	db_bind_text(s, 5, a->card_masked);
	db_bind_text(s, 6, a->card_expiry);
	stmt_bind_blob(s, 7, a->card_fp, sizeof(a->card_fp));
	stmt_bind_blob(s, 8, a->card_sealed, a->card_sealed_len);
	stmt_bind_int64(s, 9, a->implicit);
	stmt_bind_int64(s, 10, a->created_at);
	return db_insert(st, s, &a->id, "alias_insert");
}

int
db_alias_get(struct store *st, int64_t brand_id, const char *alias, struct card_alias *out)
{
	static const char sql[] = "SELECT " ALIAS_COLS " FROM card_alias WHERE brand_id = ?1 AND "
	                          "alias = ?2 AND deleted_at IS NULL";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "alias_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	db_bind_text(s, 2, alias);
	return alias_one(st, s, out, "alias_get");
}

int
db_alias_get_id(struct store *st, int64_t brand_id, int64_t id, struct card_alias *out)
{
	static const char sql[] =
	        "SELECT " ALIAS_COLS " FROM card_alias WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "alias_get_id");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	return alias_one(st, s, out, "alias_get_id");
}

int
db_alias_delete(struct store *st, int64_t brand_id, const char *alias, int64_t now)
{
	struct card_alias a;
	struct stmt *s;
	int rc = db_alias_get(st, brand_id, alias, &a);

	if (rc != ST_OK)
		return rc;
	rc = db_prepare(st,
	                "SELECT 1 FROM recurring WHERE brand_id = ?1 AND alias_id = ?2 AND "
	                "status IN ('in_progress', 'will_fail') LIMIT 1",
	                &s, "alias_delete");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, a.id);
	rc = stmt_step(s) == STMT_ROW ? ST_CONFLICT : ST_OK;
	stmt_finalize(s);
	if (rc != ST_OK)
		return rc;
	rc = db_prepare(st,
	                "UPDATE card_alias SET deleted_at = ?3, card_sealed = NULL, card_fp = "
	                "NULL WHERE brand_id = ?1 AND id = ?2",
	                &s, "alias_delete");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, a.id);
	stmt_bind_int64(s, 3, now);
	return db_run_once(st, s, "alias_delete");
}

/* --- plans and subscriptions --------------------------------------------------------------- */

void
db_recurring_read(struct stmt *s, struct recurring *r)
{
	int c = 0;

	memset(r, 0, sizeof(*r));
	r->id = stmt_int64(s, c++);
	r->brand_id = stmt_int64(s, c++);
	r->shop_id = stmt_int64(s, c++);
	r->contract_id = stmt_int64(s, c++);
	r->kind = (enum recurring_kind)recurring_kind_parse((const char *)stmt_text(s, c++));
	r->status = (enum recurring_status)recurring_status_parse((const char *)stmt_text(s, c++));
	r->alias_id = stmt_int64(s, c++);
	r->method = stmt_int(s, c++);
	db_text_copy(r->currency, sizeof(r->currency), s, c++);
	db_text_copy(r->order_ref, sizeof(r->order_ref), s, c++);
	db_text_copy(r->email, sizeof(r->email), s, c++);
	db_text_copy(r->card_masked, sizeof(r->card_masked), s, c++);
	db_text_copy(r->card_expiry, sizeof(r->card_expiry), s, c++);
	r->initial_amount = stmt_int64(s, c++);
	r->amount = stmt_int64(s, c++);
	r->count = stmt_int64(s, c++);
	r->every_months = stmt_int(s, c++);
	r->day_of_month = stmt_int(s, c++);
	r->start_day = stmt_int64(s, c++);
	r->done = stmt_int64(s, c++);
	r->next_day = stmt_int64(s, c++);
	r->next_amount = stmt_int64(s, c++);
	r->manual = stmt_int(s, c++) != 0;
	db_text_copy(r->archive_ref, sizeof(r->archive_ref), s, c++);
	r->created_by = stmt_int64(s, c++);
	db_text_copy(r->created_by_login, sizeof(r->created_by_login), s, c++);
	r->created_at = stmt_int64(s, c++);
	r->updated_at = stmt_int64(s, c++);
	r->ended_at = stmt_int64(s, c++);
	db_text_copy(r->end_reason, sizeof(r->end_reason), s, c++);
	r->ended_by = stmt_int64(s, c++);
	db_text_copy(r->ended_by_login, sizeof(r->ended_by_login), s, c++);
	db_text_copy(r->alias, sizeof(r->alias), s, c++);
	db_text_copy(r->site, sizeof(r->site), s, c++);
	db_text_copy(r->rang, sizeof(r->rang), s, c++);
	db_text_copy(r->contract_number, sizeof(r->contract_number), s, c++);
	db_text_copy(r->shop_name, sizeof(r->shop_name), s, c++);
	db_text_copy(r->customer_country, sizeof(r->customer_country), s, c++);
}

static void
recurring_row(struct stmt *s, void *out)
{
	db_recurring_read(s, out);
}

int
db_recurring_insert(struct store *st, struct recurring *r)
{
	static const char sql[] =
	        "INSERT INTO recurring(brand_id, shop_id, contract_id, kind, status, alias_id, "
	        "method, currency, order_ref, email, card_masked, card_expiry, initial_amount, "
	        "amount, count, every_months, day_of_month, start_day, done, next_day, "
	        "next_amount, manual, archive_ref, created_by, created_by_login, created_at, "
	        "updated_at, customer_country) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	        "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, nullif(?20, 0), nullif(?21, 0), ?22, "
	        "?23, nullif(?24, 0), ?25, ?26, ?26, ?27) RETURNING id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "recurring_insert");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, r->brand_id);
	stmt_bind_int64(s, 2, r->shop_id);
	stmt_bind_int64(s, 3, r->contract_id);
	db_bind_text(s, 4, recurring_kind_name(r->kind));
	db_bind_text(s, 5, recurring_status_name(r->status));
	stmt_bind_int64(s, 6, r->alias_id);
	stmt_bind_int64(s, 7, r->method);
	db_bind_text(s, 8, r->currency);
	db_bind_text(s, 9, r->order_ref);
	db_bind_text(s, 10, r->email);
	db_bind_text(s, 11, r->card_masked);
	db_bind_text(s, 12, r->card_expiry);
	stmt_bind_int64(s, 13, r->initial_amount);
	stmt_bind_int64(s, 14, r->amount);
	stmt_bind_int64(s, 15, r->count);
	stmt_bind_int64(s, 16, r->every_months);
	stmt_bind_int64(s, 17, r->day_of_month);
	stmt_bind_int64(s, 18, r->start_day);
	stmt_bind_int64(s, 19, r->done);
	stmt_bind_int64(s, 20, r->next_day);
	stmt_bind_int64(s, 21, r->next_amount);
	stmt_bind_int64(s, 22, r->manual);
	db_bind_text(s, 23, r->archive_ref);
	stmt_bind_int64(s, 24, r->created_by);
	db_bind_text(s, 25, r->created_by_login);
	stmt_bind_int64(s, 26, r->created_at);
	db_bind_text(s, 27, r->customer_country);
	return db_insert(st, s, &r->id, "recurring_insert");
}

int
db_recurring_get(struct store *st, int64_t brand_id, int64_t shop_id, int64_t node_id, int64_t id,
                 struct recurring *out)
{
	static const char sql[] =
	        "SELECT " RECURRING_COLS RECURRING_FROM
	        "WHERE r.brand_id = ?1 AND r.id = ?2 AND (?3 = 0 OR r.shop_id = ?3) AND (?4 = 0 "
	        "OR r.shop_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM node WHERE brand_id "
	        "= ?1 AND id = ?4 UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent_id = "
	        "sub.id WHERE n.brand_id = ?1) SELECT id FROM sub))";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "recurring_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, shop_id);
	stmt_bind_int64(s, 4, node_id);
	return db_one_row(st, s, recurring_row, out, "recurring_get");
}

int
db_recurring_update(struct store *st, const struct recurring *r, int64_t expect_done)
{
	static const char sql[] =
	        "UPDATE recurring SET status = ?3, done = ?4, next_day = nullif(?5, 0), "
	        "next_amount = nullif(?6, 0), updated_at = ?7, ended_at = nullif(?8, 0), "
	        "end_reason = ?9, ended_by = nullif(?10, 0), ended_by_login = ?11 WHERE brand_id "
	        "= ?1 AND id = ?2 AND done = ?12 AND status IN ('in_progress', 'will_fail')";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "recurring_update");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, r->brand_id);
	stmt_bind_int64(s, 2, r->id);
	db_bind_text(s, 3, recurring_status_name(r->status));
	stmt_bind_int64(s, 4, r->done);
	stmt_bind_int64(s, 5, r->next_day);
	stmt_bind_int64(s, 6, r->next_amount);
	stmt_bind_int64(s, 7, r->updated_at);
	stmt_bind_int64(s, 8, r->ended_at);
	db_bind_text(s, 9, r->end_reason);
	stmt_bind_int64(s, 10, r->ended_by);
	db_bind_text(s, 11, r->ended_by_login);
	stmt_bind_int64(s, 12, expect_done);
	rc = db_run(st, s, "recurring_update");
	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_CONFLICT;
	return rc;
}

int
db_recurring_debit_put(struct store *st, const struct recurring_debit *d)
{
	static const char sql[] =
	        "INSERT INTO recurring_debit(brand_id, recurring_id, number, day, amount, status, "
	        "txn_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0)) ON CONFLICT (brand_id, "
	        "recurring_id, number) DO UPDATE SET day = excluded.day, amount = excluded.amount, "
	        "status = excluded.status, txn_id = excluded.txn_id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "recurring_debit_put");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, d->brand_id);
	stmt_bind_int64(s, 2, d->recurring_id);
	stmt_bind_int64(s, 3, d->number);
	stmt_bind_int64(s, 4, d->day);
	stmt_bind_int64(s, 5, d->amount);
	db_bind_text(s, 6, debit_status_name(d->status));
	stmt_bind_int64(s, 7, d->txn_id);
	return db_run(st, s, "recurring_debit_put");
}

int
db_recurring_debits_cancel(struct store *st, int64_t brand_id, int64_t recurring_id,
                           int64_t from_number)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "UPDATE recurring_debit SET status = 'cancelled' WHERE brand_id = ?1 "
	                    "AND recurring_id = ?2 AND number >= ?3 AND status = 'planned'",
	                    &s, "recurring_debits_cancel");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, recurring_id);
	stmt_bind_int64(s, 3, from_number);
	return db_run_once(st, s, "recurring_debits_cancel");
}

static void
debit_read(struct stmt *s, struct recurring_debit *d)
{
	memset(d, 0, sizeof(*d));
	d->brand_id = stmt_int64(s, 0);
	d->recurring_id = stmt_int64(s, 1);
	d->number = stmt_int64(s, 2);
	d->day = stmt_int64(s, 3);
	d->amount = stmt_int64(s, 4);
	d->status = (enum debit_status)debit_status_parse((const char *)stmt_text(s, 5));
	d->txn_id = stmt_int64(s, 6);
}

#define DEBIT_COLS "brand_id, recurring_id, number, day, amount, status, coalesce(txn_id, 0)"

int
db_recurring_debits_each(struct store *st, int64_t brand_id, int64_t recurring_id,
                         store_debit_cb cb, void *arg)
{
	struct recurring_debit d;
	struct stmt *s;
	int rc = db_prepare(st,
	                    "SELECT " DEBIT_COLS " FROM recurring_debit WHERE brand_id = ?1 AND "
	                    "recurring_id = ?2 ORDER BY number",
	                    &s, "recurring_debits_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, recurring_id);
	while (db_next(st, s, &rc, "recurring_debits_each")) {
		debit_read(s, &d);
		rc = cb(arg, &d);
	}
	stmt_finalize(s);
	return rc;
}

int
db_recurring_of_txn(struct store *st, int64_t brand_id, int64_t txn_id, struct recurring_debit *out)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "SELECT " DEBIT_COLS " FROM recurring_debit WHERE brand_id = ?1 AND "
	                    "txn_id = ?2",
	                    &s, "recurring_of_txn"),
	    src;

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, txn_id);
	src = stmt_step(s);
	if (src == STMT_ROW)
		debit_read(s, out);
	rc = db_row_status(st, src, "recurring_of_txn");
	stmt_finalize(s);
	return rc;
}

int
db_recurring_due_each(struct store *st, int64_t day, int64_t after_id, int limit, store_id_cb cb,
                      void *arg)
{
	static const char sql[] =
	        "SELECT brand_id, id FROM recurring WHERE next_day <= ?1 AND status IN "
	        "('in_progress', 'will_fail') AND id > ?2 ORDER BY id LIMIT ?3";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "recurring_due_each"), src = STMT_DONE;

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, day);
	stmt_bind_int64(s, 2, after_id);
	stmt_bind_int64(s, 3, limit);
	while (rc == ST_OK && (src = db_step_logged(s)) == STMT_ROW)
		rc = cb(arg, stmt_int64(s, 0), stmt_int64(s, 1));
	if (rc == ST_OK && src != STMT_DONE)
		rc = db_status(st, src, "recurring_due_each");
	stmt_reset(s);
	return rc;
}
