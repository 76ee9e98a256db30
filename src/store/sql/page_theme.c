/*
 * page_theme.c - the statements of the hosted page's templates (migration 037; store.h
 * page_theme_*). Rare writes of one row, read once at start into the templates' cache
 * (api/hosted_theme.c) and by the back office: prepared at each call.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sql/db.h"

#define THEME_COLS                                                                                 \
	"brand_id, shop_id, primary_color, background_color, title_fr, title_en, footer_fr, "      \
	"footer_en, logo, logo_type, token, version, updated_at, updated_by"

/* The row at s into out (its logo malloc'd). */
static int
theme_read(struct stmt *s, struct page_theme *out)
{
	int n;

	memset(out, 0, sizeof(*out));
	out->brand_id = stmt_int64(s, 0);
	out->shop_id = stmt_int64(s, 1);
	db_text_copy(out->primary, sizeof(out->primary), s, 2);
	db_text_copy(out->background, sizeof(out->background), s, 3);
	db_text_copy(out->title_fr, sizeof(out->title_fr), s, 4);
	db_text_copy(out->title_en, sizeof(out->title_en), s, 5);
	db_text_copy(out->footer_fr, sizeof(out->footer_fr), s, 6);
	db_text_copy(out->footer_en, sizeof(out->footer_en), s, 7);
	n = stmt_bytes(s, 8);
	if (!stmt_is_null(s, 8) && n > 0) {
		out->logo = malloc((size_t)n);
		if (out->logo == NULL)
			return ST_INTERNAL;
		memcpy(out->logo, stmt_blob(s, 8), (size_t)n);
		out->logo_len = (size_t)n;
	}
	db_text_copy(out->logo_type, sizeof(out->logo_type), s, 9);
	db_text_copy(out->token, sizeof(out->token), s, 10);
	out->version = stmt_int64(s, 11);
	out->updated_at = stmt_int64(s, 12);
	out->updated_by = stmt_int64(s, 13); /* NULL reads 0 */
	return ST_OK;
}

int
db_page_theme_get(struct store *st, int64_t brand_id, int64_t shop_id, struct page_theme *out)
{
	struct stmt *s;
	int src, rc;

	memset(out, 0, sizeof(*out));
	rc = db_prepare(
	        st, "SELECT " THEME_COLS " FROM page_theme WHERE brand_id = ?1 AND shop_id = ?2",
	        &s, "page_theme_get");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	src = stmt_step(s);
	if (src == STMT_ROW)
		rc = theme_read(s, out);
	else if (src != STMT_DONE)
		rc = db_status(st, src, "page_theme_get");
	stmt_finalize(s);
	if (rc != ST_OK)
		page_theme_cleanup(out);
	out->brand_id = brand_id;
	out->shop_id = shop_id;
	return rc;
}

int
db_page_theme_put(struct store *st, const struct page_theme *t, int64_t expect_version)
{
	struct stmt *s;
	int rc;

	/* One statement: inserted when none is kept and 0 was expected, updated when the one
	 * kept is at the version expected; anything else changes no row (a conflict). */
	rc = db_prepare(st,
	                "INSERT INTO page_theme(" THEME_COLS
	                ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	                "?10, ?11, ?12, ?13, nullif(?14, 0) WHERE ?15 = 0 "
	                "ON CONFLICT(brand_id, shop_id) DO NOTHING",
	                &s, "page_theme_put");
	if (rc != ST_OK)
		return rc;
	if (expect_version != 0) {
		stmt_finalize(s);
		rc = db_prepare(st,
		                "UPDATE page_theme SET primary_color = ?3, background_color = ?4, "
		                "title_fr = ?5, title_en = ?6, footer_fr = ?7, footer_en = ?8, "
		                "logo = ?9, logo_type = ?10, token = ?11, version = ?12, "
		                "updated_at = ?13, updated_by = nullif(?14, 0) "
		                "WHERE brand_id = ?1 AND shop_id = ?2 AND version = ?15",
		                &s, "page_theme_put");
		if (rc != ST_OK)
			return rc;
	}
	stmt_bind_int64(s, 1, t->brand_id);
	stmt_bind_int64(s, 2, t->shop_id);
	db_bind_text(s, 3, t->primary);
	db_bind_text(s, 4, t->background);
	db_bind_text(s, 5, t->title_fr);
	db_bind_text(s, 6, t->title_en);
	db_bind_text(s, 7, t->footer_fr);
	db_bind_text(s, 8, t->footer_en);
	if (t->logo != NULL && t->logo_len > 0)
		stmt_bind_blob(s, 9, t->logo, t->logo_len);
	else
		stmt_bind_null(s, 9);
	db_bind_text(s, 10, t->logo_type);
	db_bind_text(s, 11, t->token);
	stmt_bind_int64(s, 12, t->version);
	stmt_bind_int64(s, 13, t->updated_at);
	stmt_bind_int64(s, 14, t->updated_by);
	stmt_bind_int64(s, 15, expect_version);
	rc = db_status(st, stmt_step(s), "page_theme_put");
	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_CONFLICT;
	stmt_finalize(s);
	return rc;
}

int
db_page_themes_each(struct store *st, store_page_theme_cb cb, void *arg)
{
	struct stmt *s;
	int rc;

	rc = db_prepare(st, "SELECT " THEME_COLS " FROM page_theme ORDER BY brand_id, shop_id", &s,
	                "page_themes_each");
	if (rc != ST_OK)
		return rc;
	while (db_next(st, s, &rc, "page_themes_each")) {
		struct page_theme t;

		rc = theme_read(s, &t);
		if (rc == ST_OK)
			rc = cb(arg, &t);
		page_theme_cleanup(&t);
	}
	stmt_finalize(s);
	return rc;
}

int
db_page_theme_versions(struct store *st,
                       int (*cb)(void *arg, int64_t brand_id, int64_t shop_id, int64_t version),
                       void *arg)
{
	static const char sql[] =
	        "SELECT brand_id, shop_id, version FROM page_theme ORDER BY brand_id, shop_id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "page_theme_versions");

	if (rc != ST_OK)
		return rc;
	while (db_next(st, s, &rc, "page_theme_versions"))
		rc = cb(arg, stmt_int64(s, 0), stmt_int64(s, 1), stmt_int64(s, 2));
	stmt_reset(s);
	return rc;
}
