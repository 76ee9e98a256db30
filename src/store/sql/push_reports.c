/*
 * push_reports.c - the daily push reports' subscriptions and runs (store/push_report.h;
 * migration 041): a few statements a minute at most, each prepared when it runs.
 */
#include <stdio.h>
#include <string.h>

#include "store/sql/db.h"

static const char *const status_names[] = {"queued", "sent", "failed"};

static enum push_status
status_parse(const char *s)
{
	return strcmp(s, "sent") == 0     ? PUSH_SENT
	       : strcmp(s, "failed") == 0 ? PUSH_FAILED
	                                  : PUSH_QUEUED;
}

/* ---- subscriptions ------------------------------------------------------------------------ */

#define SUB_COLS   "brand_id, user_id, enabled, minute, since, updated_at"
#define SUB_COLS_S "s.brand_id, s.user_id, s.enabled, s.minute, s.since, s.updated_at"

static void
sub_read(struct stmt *s, struct push_sub *out)
{
	memset(out, 0, sizeof(*out));
	out->brand_id = stmt_int64(s, 0);
	out->user_id = stmt_int64(s, 1);
	out->enabled = stmt_int(s, 2) != 0;
	out->minute = stmt_int(s, 3);
	out->since = stmt_int64(s, 4);
	out->updated_at = stmt_int64(s, 5);
}

static void
sub_row(struct stmt *s, void *out)
{
	sub_read(s, out);
}

int
db_push_sub_get(struct store *st, int64_t brand_id, int64_t user_id, struct push_sub *out)
{
	struct stmt *s;
	int rc = db_prepare(
	        st, "SELECT " SUB_COLS " FROM push_report_sub WHERE brand_id = ?1 AND user_id = ?2",
	        &s, "push_sub_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	rc = db_one_row(st, s, sub_row, out, "push_sub_get");
	stmt_finalize(s);
	return rc;
}

int
db_push_sub_put(struct store *st, const struct push_sub *p)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "INSERT INTO push_report_sub(" SUB_COLS
	                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (brand_id, user_id) DO "
	                    "UPDATE SET enabled = excluded.enabled, minute = excluded.minute, "
	                    "since = excluded.since, updated_at = excluded.updated_at",
	                    &s, "push_sub_put");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, p->brand_id);
	stmt_bind_int64(s, 2, p->user_id);
	stmt_bind_int64(s, 3, p->enabled ? 1 : 0);
	stmt_bind_int64(s, 4, p->minute);
	stmt_bind_int64(s, 5, p->since);
	stmt_bind_int64(s, 6, p->updated_at);
	return db_run_once(st, s, "push_sub_put");
}

int
db_push_subs_each(struct store *st, store_push_sub_cb cb, void *arg)
{
	struct stmt *s;
	struct push_sub p;
	int rc = db_prepare(
	        st,
	        "SELECT " SUB_COLS_S ", coalesce((SELECT max(r.day) FROM push_report_run "
	        "r WHERE r.brand_id = s.brand_id AND r.user_id = s.user_id), 0) FROM "
	        "push_report_sub s WHERE s.enabled = 1 AND NOT EXISTS (SELECT 1 FROM user u "
	        "WHERE u.brand_id = s.brand_id AND u.id = s.user_id AND "
	        "u.deactivated_at IS NOT NULL) ORDER BY s.brand_id, s.user_id",
	        &s, "push_subs_each");

	if (rc != ST_OK)
		return rc;
	while (db_next(st, s, &rc, "push_subs_each")) {
		sub_read(s, &p);
		p.last_day = stmt_int64(s, 6);
		rc = cb(arg, &p);
	}
	stmt_finalize(s);
	return rc;
}

/* ---- runs --------------------------------------------------------------------------------- */

#define RUN_COLS                                                                                   \
	"r.id, r.brand_id, r.user_id, r.day, r.status, r.structure, r.format, r.delivery, "        \
	"r.row_count, r.byte_count, r.attempts, r.error, coalesce(r.mail_id, 0), r.token_hash, "   \
	"r.file_expires_at, r.next_attempt_at, r.created_at, r.updated_at, r.finished_at"
#define RUN_NCOLS 19

static void
run_read(struct stmt *s, struct push_run *r)
{
	char status[16];

	memset(r, 0, sizeof(*r));
	r->id = stmt_int64(s, 0);
	r->brand_id = stmt_int64(s, 1);
	r->user_id = stmt_int64(s, 2);
	r->day = stmt_int64(s, 3);
	db_text_copy(status, sizeof(status), s, 4);
	r->status = status_parse(status);
	db_text_copy(r->structure, sizeof(r->structure), s, 5);
	db_text_copy(r->format, sizeof(r->format), s, 6);
	db_text_copy(r->delivery, sizeof(r->delivery), s, 7);
	r->rows = stmt_int64(s, 8);
	r->bytes = stmt_int64(s, 9);
	r->attempts = stmt_int(s, 10);
	db_text_copy(r->error, sizeof(r->error), s, 11);
	r->mail_id = stmt_int64(s, 12);
	if (!stmt_is_null(s, 13) && stmt_bytes(s, 13) == PUSH_TOKEN_HASH_LEN) {
		r->has_token = true;
		memcpy(r->token_hash, stmt_blob(s, 13), PUSH_TOKEN_HASH_LEN);
	}
	r->file_expires_at = stmt_int64(s, 14);
	r->next_attempt_at = stmt_int64(s, 15);
	r->created_at = stmt_int64(s, 16);
	r->updated_at = stmt_int64(s, 17);
	r->finished_at = stmt_int64(s, 18);
}

static void
run_row(struct stmt *s, void *out)
{
	run_read(s, out);
}

int
db_push_run_open(struct store *st, int64_t brand_id, int64_t user_id, int64_t day, int64_t now,
                 struct push_run *out)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "INSERT INTO push_report_run(brand_id, user_id, day, next_attempt_at, "
	                    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4, ?4) ON CONFLICT "
	                    "(brand_id, user_id, day) DO NOTHING",
	                    &s, "push_run_open");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	stmt_bind_int64(s, 3, day);
	stmt_bind_int64(s, 4, now);
	rc = db_run_once(st, s, "push_run_open");
	if (rc == ST_OK)
		rc = db_prepare(st,
		                "SELECT " RUN_COLS " FROM push_report_run r WHERE r.brand_id = ?1 "
		                "AND r.user_id = ?2 AND r.day = ?3",
		                &s, "push_run_open");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	stmt_bind_int64(s, 3, day);
	rc = db_one_row(st, s, run_row, out, "push_run_open");
	stmt_finalize(s);
	return rc;
}

int
db_push_run_update(struct store *st, const struct push_run *r)
{
	struct stmt *s;
	int rc = db_prepare(
	        st,
	        "UPDATE push_report_run SET status = ?3, structure = ?4, format = ?5, delivery = "
	        "?6, row_count = ?7, byte_count = ?8, attempts = ?9, error = ?10, mail_id = ?11, "
	        "token_hash = ?12, file_expires_at = ?13, next_attempt_at = ?14, updated_at = ?15, "
	        "finished_at = ?16, file = CASE WHEN ?17 = 1 THEN ?18 ELSE file END WHERE "
	        "brand_id = ?1 AND id = ?2",
	        &s, "push_run_update");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, r->brand_id);
	stmt_bind_int64(s, 2, r->id);
	db_bind_text(s, 3, status_names[r->status]);
	db_bind_text(s, 4, r->structure);
	db_bind_text(s, 5, r->format);
	db_bind_text(s, 6, r->delivery);
	stmt_bind_int64(s, 7, r->rows);
	stmt_bind_int64(s, 8, r->bytes);
	stmt_bind_int64(s, 9, r->attempts);
	db_bind_text(s, 10, r->error);
	db_bind_id(s, 11, r->mail_id);
	if (r->has_token)
		stmt_bind_blob(s, 12, r->token_hash, PUSH_TOKEN_HASH_LEN);
	else
		stmt_bind_null(s, 12);
	stmt_bind_int64(s, 13, r->file_expires_at);
	stmt_bind_int64(s, 14, r->next_attempt_at);
	stmt_bind_int64(s, 15, r->updated_at);
	stmt_bind_int64(s, 16, r->finished_at);
	stmt_bind_int64(s, 17, r->set_file ? 1 : 0);
	if (r->set_file && r->file != NULL)
		stmt_bind_blob(s, 18, r->file, r->file_len);
	else
		stmt_bind_null(s, 18);
	return db_run_once(st, s, "push_run_update");
}

int
db_push_runs_pending_each(struct store *st, int64_t now, store_push_run_cb cb, void *arg)
{
	struct stmt *s;
	struct push_run r;
	int rc = db_prepare(st,
	                    "SELECT " RUN_COLS ", coalesce(m.sent_at, 0), coalesce(m.failed_at, "
	                    "0), coalesce(m.last_error, '') FROM push_report_run r LEFT JOIN "
	                    "mail_outbox m ON m.brand_id = r.brand_id AND m.id = r.mail_id WHERE "
	                    "r.status = 'queued' AND (r.mail_id IS NOT NULL OR r.next_attempt_at "
	                    "<= ?1) ORDER BY r.next_attempt_at, r.id LIMIT 500",
	                    &s, "push_runs_pending_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, now);
	while (db_next(st, s, &rc, "push_runs_pending_each")) {
		run_read(s, &r);
		r.mail_sent_at = stmt_int64(s, RUN_NCOLS);
		r.mail_failed_at = stmt_int64(s, RUN_NCOLS + 1);
		db_text_copy(r.mail_error, sizeof(r.mail_error), s, RUN_NCOLS + 2);
		rc = cb(arg, &r);
	}
	stmt_finalize(s);
	return rc;
}

int
db_push_runs_each(struct store *st, const struct push_run_query *q, store_push_run_cb cb, void *arg)
{
	struct stmt *s;
	struct push_run r;
	int rc = db_prepare(st,
	                    DB_SUBTREE "SELECT " RUN_COLS ", u.login, u.name, r.file IS NOT NULL "
	                               "FROM push_report_run r JOIN user u ON u.brand_id = "
	                               "r.brand_id AND u.id = r.user_id WHERE r.brand_id = ?1 AND "
	                               "(?3 = 0 OR r.user_id = ?3) AND (?3 <> 0 OR u.node_id IN "
	                               "(SELECT id FROM sub)) AND (?4 = 0 OR r.id < ?4) ORDER BY "
	                               "r.id DESC LIMIT ?5",
	                    &s, "push_runs_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	stmt_bind_int64(s, 3, q->user_id);
	stmt_bind_int64(s, 4, q->after_id);
	stmt_bind_int64(s, 5, q->limit);
	while (db_next(st, s, &rc, "push_runs_each")) {
		run_read(s, &r);
		db_text_copy(r.user_login, sizeof(r.user_login), s, RUN_NCOLS);
		db_text_copy(r.user_name, sizeof(r.user_name), s, RUN_NCOLS + 1);
		r.has_file = stmt_int(s, RUN_NCOLS + 2) != 0;
		rc = cb(arg, &r);
	}
	stmt_finalize(s);
	return rc;
}

int
db_push_run_file(struct store *st, int64_t brand_id, int64_t user_id, const unsigned char *hash,
                 int64_t now, struct push_run *run, struct buf *out)
{
	struct stmt *s;
	int src, rc = db_prepare(st,
	                         "SELECT " RUN_COLS ", r.file FROM push_report_run r WHERE "
	                         "r.brand_id = ?1 AND r.user_id = ?2 AND r.token_hash = ?3 AND "
	                         "r.file IS NOT NULL AND r.file_expires_at > ?4",
	                         &s, "push_run_file");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, user_id);
	stmt_bind_blob(s, 3, hash, PUSH_TOKEN_HASH_LEN);
	stmt_bind_int64(s, 4, now);
	src = stmt_step(s);
	if (src == STMT_ROW) {
		run_read(s, run);
		buf_add(out, stmt_blob(s, RUN_NCOLS), stmt_bytes(s, RUN_NCOLS));
		rc = out->failed ? ST_TOOBIG : ST_OK;
	} else {
		rc = db_row_status(st, src, "push_run_file");
	}
	stmt_finalize(s);
	return rc;
}

int
db_push_files_expire(struct store *st, int64_t now, int *done)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "UPDATE push_report_run SET file = NULL, token_hash = NULL WHERE file "
	                    "IS NOT NULL AND file_expires_at <= ?1",
	                    &s, "push_files_expire");

	*done = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, now);
	rc = db_run_once(st, s, "push_files_expire");
	if (rc == ST_OK)
		*done = (int)db_changes(st);
	return rc;
}
