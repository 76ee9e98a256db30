/*
 * mail.c - mail outbox (store.h "The mail outbox"; migrations 003, 020,
 * 026): the rows the mailer delivers, their marks, the list of the mails in trouble an
 * administrator reads, a failed mail sent again; and both outboxes' depth, for the metrics.
 *
 * A body reaches the table only sealed: mail_add inserts the row without it, then has the
 * store's sealer (service/outbox.h) seal it with the new row's id, which the ciphertext is
 * bound to, and writes that; both in the caller's transaction, so no reader ever sees the
 * row without its body, and no page of the database or its log ever holds the text. A few
 * mails a minute at most: each statement is prepared when it runs and finalized after.
 * Not the delivery (jobs/mailer.c), nor the sealing itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/sql/db.h"

/* The columns mail_read reads, of mail_outbox m. */
#define MAIL_COLS                                                                                  \
	"m.id, m.brand_id, coalesce(m.node_id, 0), m.recipient, m.subject, m.created_at, "         \
	"m.attempts, coalesce(m.retried_at, 0), m.next_attempt_at, coalesce(m.failed_at, 0), "     \
	"coalesce(m.sent_at, 0), m.body_sealed IS NOT NULL, coalesce(m.last_error, '')"

/* What makes a mail one to look at; the partial index mail_outbox_trouble has the same. */
#define TROUBLE "(m.failed_at IS NOT NULL OR m.last_error IS NOT NULL)"

/* Reads a row of MAIL_COLS from column 0 (no body). */
static void
mail_read(struct stmt *s, struct mail *m)
{
	memset(m, 0, sizeof(*m));
	m->id = stmt_int64(s, 0);
	m->brand_id = stmt_int64(s, 1);
	m->node_id = stmt_int64(s, 2);
	db_text_copy(m->recipient, sizeof(m->recipient), s, 3);
	db_text_copy(m->subject, sizeof(m->subject), s, 4);
	m->created_at = stmt_int64(s, 5);
	m->attempts = stmt_int(s, 6);
	m->retried_at = stmt_int64(s, 7);
	m->next_attempt_at = stmt_int64(s, 8);
	m->failed_at = stmt_int64(s, 9);
	m->sent_at = stmt_int64(s, 10);
	m->has_body = stmt_int(s, 11) != 0;
	db_text_copy(m->last_error, sizeof(m->last_error), s, 12);
}

/* Seals m's body with the store's sealer and writes it into the row m->id. */
static int
body_seal(struct store *st, const struct mail *m, const char *what)
{
	struct buf sealed;
	struct stmt *s;
	int rc;

	buf_init(&sealed, LIMIT_MAIL_BYTES + 64);
	rc = st->mail_seal(st->mail_seal_arg, m, &sealed);
	if (rc == ST_OK && (sealed.failed || sealed.len == 0))
		rc = ST_TOOBIG;
	if (rc == ST_OK)
		rc = db_prepare(st,
		                "UPDATE mail_outbox SET body = '', body_sealed = ?2 WHERE id = ?1",
		                &s, what);
	if (rc == ST_OK) {
		stmt_bind_int64(s, 1, m->id);
		stmt_bind_blob(s, 2, sealed.data, sealed.len);
		rc = db_run_once(st, s, what);
	}
	buf_cleanup(&sealed);
	return rc;
}

int
db_mail_add(struct store *st, const struct mail *m)
{
	int64_t id;

	return db_mail_add_id(st, m, &id);
}

int
db_mail_add_id(struct store *st, const struct mail *m, int64_t *id)
{
	struct mail row = *m;
	struct stmt *s;
	int rc;

	if (st->mail_seal == NULL) {
		log_error("event=mail_refused reason=\"no sealer: the outbox takes no body in "
		          "clear\"");
		return ST_INTERNAL;
	}
	/* The brand's own node when none is given: only its administrators see the mail. */
	rc = db_prepare(st,
	                "INSERT INTO mail_outbox(brand_id, node_id, recipient, subject, body, "
	                "created_at, reply_to, content_type) VALUES (?1, coalesce(nullif(?2, 0), "
	                "(SELECT id FROM node WHERE brand_id = ?1 AND parent_id IS NULL)), ?3, ?4, "
	                "'', ?5, ?6, ?7) RETURNING id",
	                &s, "mail_add");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, m->brand_id);
	stmt_bind_int64(s, 2, m->node_id);
	db_bind_text(s, 3, m->recipient);
	db_bind_text(s, 4, m->subject);
	stmt_bind_int64(s, 5, m->created_at);
	db_bind_text(s, 6, m->reply_to);
	db_bind_text(s, 7, m->content_type);
	rc = db_insert_once(st, s, &row.id, "mail_add");
	if (rc != ST_OK)
		return rc;
	*id = row.id;
	return body_seal(st, &row, "mail_add");
}

int
db_mail_each_due(struct store *st, int64_t now, int limit, store_mail_cb cb, void *arg)
{
	struct stmt *s;
	struct mail m;
	int rc;

	rc = db_prepare(st,
	                "SELECT " MAIL_COLS
	                ", m.body, m.body_sealed, m.reply_to, m.content_type FROM mail_outbox m "
	                "WHERE "
	                "m.sent_at IS NULL AND m.failed_at IS NULL AND m.next_attempt_at <= ?1 "
	                "ORDER BY m.id LIMIT ?2",
	                &s, "mail_each_due");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, now);
	stmt_bind_int64(s, 2, limit);
	while (db_next(st, s, &rc, "mail_each_due")) {
		mail_read(s, &m);
		db_text_copy(m.reply_to, sizeof(m.reply_to), s, 15);
		db_text_copy(m.content_type, sizeof(m.content_type), s, 16);
		if (m.has_body) {
			m.sealed = stmt_blob(s, 14);
			m.sealed_len = (size_t)stmt_bytes(s, 14);
		} else {
			m.body = (char *)stmt_text(s, 13);
		}
		rc = cb(arg, &m);
	}
	stmt_finalize(s);
	return rc;
}

/* An update of one mail by id, with an instant and an optional text (?2, ?3). */
static int
mail_mark(struct store *st, const char *sql, int64_t id, int64_t at, const char *text,
          const char *what)
{
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, what);

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, id);
	stmt_bind_int64(s, 2, at);
	if (text != NULL && text[0] != '\0')
		db_bind_text(s, 3, text);
	return db_run_once(st, s, what);
}

int
db_mail_sent(struct store *st, int64_t id, int64_t now)
{
	return mail_mark(st,
	                 "UPDATE mail_outbox SET sent_at = ?2, body = '', body_sealed = NULL, "
	                 "last_error = NULL WHERE id = ?1",
	                 id, now, NULL, "mail_sent");
}

int
db_mail_retry(struct store *st, int64_t id, int64_t next_at, const char *error)
{
	return mail_mark(st,
	                 "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?2, "
	                 "last_error = ?3 WHERE id = ?1 AND sent_at IS NULL",
	                 id, next_at, error, "mail_retry");
}

int
db_mail_failed(struct store *st, int64_t id, int64_t now, const char *error)
{
	/* A body in clear (never one this server wrote) is wiped: only a sealed one is kept. */
	return mail_mark(st,
	                 "UPDATE mail_outbox SET failed_at = ?2, attempts = attempts + 1, "
	                 "last_error = ?3, body = '' WHERE id = ?1 AND sent_at IS NULL",
	                 id, now, error, "mail_failed");
}

/* Steps s to its end, calling cb with each row of MAIL_COLS; finalizes s. */
static int
each_mail(struct store *st, struct stmt *s, store_mail_cb cb, void *arg, const char *what)
{
	struct mail m;
	int rc = ST_OK;

	while (db_next(st, s, &rc, what)) {
		mail_read(s, &m);
		rc = cb(arg, &m);
	}
	stmt_finalize(s);
	return rc;
}

int
db_mails_each(struct store *st, const struct mail_query *q, store_mail_cb cb, void *arg)
{
	struct stmt *s;
	int rc = db_prepare(
	        st,
	        DB_SUBTREE
	        "SELECT " MAIL_COLS " FROM mail_outbox m WHERE m.brand_id = ?1 AND " TROUBLE
	        " AND m.node_id IN (SELECT id FROM sub) AND (?3 = 0 OR m.id < ?3) AND "
	        "(?4 = 0 OR (?4 = 1 AND m.failed_at IS NOT NULL) OR (?4 = 2 AND "
	        "m.failed_at IS NULL AND m.sent_at IS NULL)) ORDER BY m.id DESC LIMIT ?5",
	        &s, "mails_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	stmt_bind_int64(s, 3, q->after_id);
	stmt_bind_int64(s, 4, (int)q->status);
	stmt_bind_int64(s, 5, q->limit);
	return each_mail(st, s, cb, arg, "mails_each");
}

int
db_mails_failed_count(struct store *st, int64_t brand_id, int64_t node_id, int64_t since, int *n)
{
	struct stmt *s;
	int src, rc = db_prepare(st,
	                         DB_SUBTREE "SELECT count(*) FROM mail_outbox m WHERE m.brand_id = "
	                                    "?1 AND " TROUBLE " AND m.failed_at >= ?3 AND "
	                                    "m.node_id IN (SELECT id FROM sub)",
	                         &s, "mails_failed_count");

	*n = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, node_id);
	stmt_bind_int64(s, 3, since);
	src = stmt_step(s);
	if (src == STMT_ROW)
		*n = stmt_int(s, 0);
	rc = db_status(st, src, "mails_failed_count");
	stmt_finalize(s);
	return rc;
}

/* Four counts on the pending rows' partial indexes (mail_outbox_due, migration 020;
 * notify_outbox_due, migration 034): their WHERE is the indexes' own. The mails' is named:
 * left to itself, SQLite takes mail_outbox_unsent, which holds the failed mails too, and
 * reads each of those rows. */
int
db_outbox_depth(struct store *st, int64_t now, struct outbox_depth *out)
{
	struct stmt *s;
	int src, rc = db_prepare(
	                 st,
	                 "SELECT (SELECT count(*) FROM mail_outbox INDEXED BY mail_outbox_due "
	                 "WHERE sent_at IS NULL AND failed_at IS NULL), (SELECT count(*) FROM "
	                 "mail_outbox INDEXED BY mail_outbox_due WHERE sent_at IS NULL AND "
	                 "failed_at IS NULL AND next_attempt_at <= ?1), (SELECT count(*) FROM "
	                 "notify_outbox WHERE state = 0), (SELECT count(*) FROM notify_outbox "
	                 "WHERE state = 0 AND next_at <= ?1)",
	                 &s, "outbox_depth");

	memset(out, 0, sizeof(*out));
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, now);
	src = stmt_step(s);
	if (src == STMT_ROW) {
		out->mail_pending = stmt_int64(s, 0);
		out->mail_due = stmt_int64(s, 1);
		out->notify_pending = stmt_int64(s, 2);
		out->notify_due = stmt_int64(s, 3);
	}
	rc = db_status(st, src, "outbox_depth");
	stmt_finalize(s);
	return rc;
}

/* mail_get's callback: the one row. */
static int
mail_take(void *arg, const struct mail *m)
{
	*(struct mail *)arg = *m;
	return ST_OK;
}

int
db_mail_get(struct store *st, int64_t brand_id, int64_t id, struct mail *out)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "SELECT " MAIL_COLS " FROM mail_outbox m WHERE m.brand_id = ?1 AND "
	                    "m.id = ?2",
	                    &s, "mail_get");

	if (rc != ST_OK)
		return rc;
	out->id = 0;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	rc = each_mail(st, s, mail_take, out, "mail_get");
	return rc == ST_OK && out->id == 0 ? ST_NOTFOUND : rc;
}

int
db_mail_requeue(struct store *st, int64_t brand_id, int64_t id, int64_t now)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "UPDATE mail_outbox SET failed_at = NULL, attempts = 0, "
	                    "next_attempt_at = ?3, retried_at = ?3 WHERE brand_id = ?1 AND id = "
	                    "?2 AND failed_at IS NOT NULL AND sent_at IS NULL AND body_sealed IS "
	                    "NOT NULL",
	                    &s, "mail_requeue");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	stmt_bind_int64(s, 3, now);
	rc = db_run_once(st, s, "mail_requeue");
	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_NOTFOUND;
	return rc;
}

int
db_mail_failed_wipe(struct store *st, int64_t before, int limit, int *done)
{
	struct stmt *s;
	int rc = db_prepare(st,
	                    "UPDATE mail_outbox SET body_sealed = NULL WHERE id IN (SELECT id "
	                    "FROM mail_outbox WHERE failed_at IS NOT NULL AND failed_at < ?1 AND "
	                    "body_sealed IS NOT NULL ORDER BY failed_at LIMIT ?2)",
	                    &s, "mail_failed_wipe");

	*done = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, before);
	stmt_bind_int64(s, 2, limit);
	rc = db_run_once(st, s, "mail_failed_wipe");
	if (rc == ST_OK)
		*done = db_changes(st);
	return rc;
}

/* The pending rows in clear that mail_seal_clear reads at a time, before sealing them. */
#define SEAL_BATCH 64

int
db_mail_seal_clear(struct store *st, int *done)
{
	struct mail batch[SEAL_BATCH];
	struct stmt *s;
	int n, rc;

	*done = 0;
	if (st->mail_seal == NULL)
		return ST_INTERNAL;
	do {
		rc = db_prepare(st,
		                "SELECT " MAIL_COLS ", m.body FROM mail_outbox m WHERE m.sent_at "
		                "IS NULL AND m.failed_at IS NULL AND m.body <> '' ORDER BY m.id "
		                "LIMIT ?1",
		                &s, "mail_seal_clear");
		if (rc != ST_OK)
			return rc;
		stmt_bind_int64(s, 1, SEAL_BATCH);
		n = 0;
		/* Read first, then write: the rows change under the statement otherwise. */
		while (db_next(st, s, &rc, "mail_seal_clear")) {
			const char *text = (const char *)stmt_text(s, 13);

			mail_read(s, &batch[n]);
			batch[n].body = strdup(text != NULL ? text : "");
			if (batch[n].body == NULL)
				abort();
			n++;
		}
		stmt_finalize(s);
		for (int i = 0; i < n; i++) {
			if (rc == ST_OK)
				rc = body_seal(st, &batch[i], "mail_seal_clear");
			explicit_bzero(batch[i].body, strlen(batch[i].body));
			free(batch[i].body);
		}
		if (rc == ST_OK)
			*done += n;
	} while (rc == ST_OK && n == SEAL_BATCH);
	return rc;
}
