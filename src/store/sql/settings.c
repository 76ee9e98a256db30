/*
 * settings.c - the statements of a shop's general configuration and of the store's
 * requests (migrations 031, 034; store.h shop_settings_*, store_request_*). Rare reads and writes
 * of one row: prepared at each call.
 */
#include <string.h>

#include "store/sql/db.h"

#define SETTINGS_COLS                                                                              \
	"ticket_email, report_email, integrator_email, url_accepted, url_refused, url_cancelled, " \
	"url_pending, immediate_return, version, updated_at, updated_by, url_notify"

static const char settings_get_sql[] =
        "SELECT " SETTINGS_COLS " FROM shop_settings WHERE brand_id = ?1 AND shop_id = ?2";

/* Reads a row of SETTINGS_COLS into out. */
static void
settings_read(struct stmt *s, struct shop_settings *out)
{
	db_text_copy(out->ticket_email, sizeof(out->ticket_email), s, 0);
	db_text_copy(out->report_email, sizeof(out->report_email), s, 1);
	db_text_copy(out->integrator_email, sizeof(out->integrator_email), s, 2);
	db_text_copy(out->url_accepted, sizeof(out->url_accepted), s, 3);
	db_text_copy(out->url_refused, sizeof(out->url_refused), s, 4);
	db_text_copy(out->url_cancelled, sizeof(out->url_cancelled), s, 5);
	db_text_copy(out->url_pending, sizeof(out->url_pending), s, 6);
	out->immediate_return = stmt_int(s, 7) != 0;
	out->version = stmt_int64(s, 8);
	out->updated_at = stmt_int64(s, 9);
	out->updated_by = stmt_int64(s, 10); /* NULL reads 0 */
	db_text_copy(out->url_notify, sizeof(out->url_notify), s, 11);
}

int
db_shop_settings_get(struct store *st, int64_t brand_id, int64_t shop_id, struct shop_settings *out)
{
	const struct shop_settings *held = db_settings_held(st, brand_id, shop_id);
	struct stmt *s;
	int src, rc;

	if (held != NULL) {
		*out = *held;
		return ST_OK;
	}
	memset(out, 0, sizeof(*out));
	out->brand_id = brand_id;
	out->shop_id = shop_id;
	/* Kept prepared, and kept by the transaction (db_settings_keep): every merchant API
	 * payment reads its shop's notification URL. */
	rc = db_cached(st, settings_get_sql, &s, "shop_settings_get");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	src = stmt_step(s);
	if (src == STMT_ROW)
		settings_read(s, out);
	else if (src != STMT_DONE)
		rc = db_status(st, src, "shop_settings_get");
	stmt_reset(s);
	if (rc == ST_OK)
		db_settings_keep(st, out);
	return rc;
}

/* Runs the insert or the update of shop_settings_put with in's values (the update's expected
 * version, when given, as ?15): ST_OK with *changed whether it wrote the row. */
static int
settings_write(struct store *st, const char *sql, const struct shop_settings *in,
               const int64_t *expect_version, bool *changed)
{
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "shop_settings_put");

	*changed = false;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, in->shop_id);
	stmt_bind_int64(s, 2, in->brand_id);
	db_bind_text(s, 3, in->ticket_email);
	db_bind_text(s, 4, in->report_email);
	db_bind_text(s, 5, in->integrator_email);
	db_bind_text(s, 6, in->url_accepted);
	db_bind_text(s, 7, in->url_refused);
	db_bind_text(s, 8, in->url_cancelled);
	db_bind_text(s, 9, in->url_pending);
	stmt_bind_int64(s, 10, in->immediate_return);
	stmt_bind_int64(s, 11, in->version);
	stmt_bind_int64(s, 12, in->updated_at);
	stmt_bind_int64(s, 13, in->updated_by);
	db_bind_text(s, 14, in->url_notify);
	if (expect_version != NULL)
		stmt_bind_int64(s, 15, *expect_version);
	rc = db_status(st, db_step_logged(s), "shop_settings_put");
	*changed = rc == ST_OK && db_changes(st) > 0;
	stmt_finalize(s);
	return rc;
}

int
db_shop_settings_put(struct store *st, const struct shop_settings *in, int64_t expect_version)
{
	/* Version 0 expected: the row inserted when none is kept. Otherwise, or when one is kept
	 * (at version 0: written without the back office, the demo's), the row updated if it is
	 * at the version expected. Not one upsert: SQLite takes no target of ON CONFLICT but
	 * shop_id, its INTEGER PRIMARY KEY (the unique index (brand_id, shop_id) holds the
	 * rowid), and PostgreSQL none but its key (brand_id, shop_id); DO NOTHING needs none. */
	static const char insert_sql[] =
	        "INSERT INTO shop_settings(shop_id, brand_id, " SETTINGS_COLS
	        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, nullif(?13, 0), ?14) "
	        "ON CONFLICT DO NOTHING";
	static const char update_sql[] =
	        "UPDATE shop_settings SET ticket_email = ?3, report_email = ?4, integrator_email = "
	        "?5, url_accepted = ?6, url_refused = ?7, url_cancelled = ?8, url_pending = ?9, "
	        "immediate_return = ?10, version = ?11, updated_at = ?12, updated_by = nullif(?13, "
	        "0), url_notify = ?14 WHERE shop_id = ?1 AND brand_id = ?2 AND version = ?15";
	bool changed = false;
	int rc = ST_OK;

	db_settings_forget(st); /* what the transaction read of them */
	if (expect_version == 0)
		rc = settings_write(st, insert_sql, in, NULL, &changed);
	if (rc == ST_OK && !changed)
		rc = settings_write(st, update_sql, in, &expect_version, &changed);
	return rc == ST_OK && !changed ? ST_CONFLICT : rc;
}

int
db_store_request_find(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method m,
                      int64_t since, struct store_request *out)
{
	struct stmt *s;
	int src, rc;

	memset(out, 0, sizeof(*out));
	rc = db_prepare(st,
	                "SELECT id, coalesce(user_id, 0), created_at FROM store_request WHERE "
	                "brand_id = ?1 AND shop_id = ?2 AND method = ?3 AND created_at >= ?4 "
	                "ORDER BY created_at DESC, id DESC LIMIT 1",
	                &s, "store_request_find");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	db_bind_text(s, 3, card_method_name(m));
	stmt_bind_int64(s, 4, since);
	src = stmt_step(s);
	if (src == STMT_ROW) {
		out->id = stmt_int64(s, 0);
		out->brand_id = brand_id;
		out->shop_id = shop_id;
		out->method = m;
		out->user_id = stmt_int64(s, 1);
		out->created_at = stmt_int64(s, 2);
	} else {
		rc = db_row_status(st, src, "store_request_find");
	}
	stmt_finalize(s);
	return rc;
}

int
db_store_request_add(struct store *st, struct store_request *r)
{
	struct stmt *s;
	int rc;

	rc = db_prepare(st,
	                "INSERT INTO store_request(brand_id, shop_id, method, user_id, "
	                "created_at) VALUES (?1, ?2, ?3, nullif(?4, 0), ?5) RETURNING id",
	                &s, "store_request_add");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, r->brand_id);
	stmt_bind_int64(s, 2, r->shop_id);
	db_bind_text(s, 3, card_method_name(r->method));
	stmt_bind_int64(s, 4, r->user_id);
	stmt_bind_int64(s, 5, r->created_at);
	return db_insert_once(st, s, &r->id, "store_request_add");
}
