/*
 * actions.c - action log (store.h action_add, action_repeat,
 * actions_each; migrations 001, 016, 021): what users did, appended in the transaction of what
 * they did, a refusal that comes again and again counted in its latest row, and the log's
 * search within a node's users, newest first. Written by nearly every job of the back office:
 * kept prepared (db_cached).
 */
#include <string.h>

#include "store/sql/db.h"

int
db_action_add(struct store *st, const struct action *a)
{
	static const char sql[] = "INSERT INTO action_log(brand_id, at, user_id, user_login, "
	                          "user_name, user_email, action, details, target_user_id, "
	                          "target_login) VALUES (?1, ?2, nullif(?3, 0), ?4, ?5, ?6, ?7, "
	                          "?8, nullif(?9, 0), ?10)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "action_add");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, a->brand_id);
	stmt_bind_int64(s, 2, a->at);
	stmt_bind_int64(s, 3, a->user_id);
	db_bind_text(s, 4, a->user_login ? a->user_login : "");
	db_bind_text(s, 5, a->user_name ? a->user_name : "");
	db_bind_text(s, 6, a->user_email ? a->user_email : "");
	db_bind_text(s, 7, a->action);
	db_bind_text(s, 8, a->details ? a->details : "");
	stmt_bind_int64(s, 9, a->target_user_id);
	db_bind_text(s, 10, a->target_login ? a->target_login : "");
	return db_run(st, s, "action_add");
}

int
db_action_repeat(struct store *st, const struct action *a, int64_t since)
{
	/* The latest row of a user's refusal since the start of a minute: a range of
	 * action_log_brand_user. */
	static const char latest_sql[] =
	        "SELECT id FROM action_log WHERE brand_id = ?1 AND user_id = ?2 AND at >= ?3 AND "
	        "action = ?4 AND details = ?5 ORDER BY at DESC, id DESC LIMIT 1";
	static const char repeat_sql[] =
	        "INSERT INTO action_repeat(brand_id, action_id, count, last_at) VALUES (?1, ?2, 2, "
	        "?3) ON CONFLICT (brand_id, action_id) DO UPDATE SET count = action_repeat.count + "
	        "1, "
	        "last_at = CASE WHEN action_repeat.last_at > excluded.last_at THEN "
	        "action_repeat.last_at ELSE excluded.last_at END";
	struct stmt *s;
	int64_t id = 0;
	int rc = db_cached(st, latest_sql, &s, "action_latest");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, a->brand_id);
	stmt_bind_int64(s, 2, a->user_id);
	stmt_bind_int64(s, 3, since);
	db_bind_text(s, 4, a->action);
	db_bind_text(s, 5, a->details ? a->details : "");
	rc = db_one_row(st, s, db_int64_read, &id, "action_latest");
	if (rc == ST_NOTFOUND)
		return db_action_add(st, a);
	if (rc == ST_OK)
		rc = db_run_ids(st, repeat_sql, a->brand_id, id, a->at, "action_repeat");
	return rc;
}

static void
action_read(struct stmt *s, struct action_row *a)
{
	memset(a, 0, sizeof(*a));
	a->id = stmt_int64(s, 0);
	a->at = stmt_int64(s, 1);
	a->user_id = stmt_int64(s, 2);
	db_text_copy(a->user_login, sizeof(a->user_login), s, 3);
	db_text_copy(a->user_name, sizeof(a->user_name), s, 4);
	db_text_copy(a->user_email, sizeof(a->user_email), s, 5);
	db_text_copy(a->action, sizeof(a->action), s, 6);
	db_text_copy(a->details, sizeof(a->details), s, 7);
	a->target_user_id = stmt_int64(s, 8);
	db_text_copy(a->target_login, sizeof(a->target_login), s, 9);
	a->count = stmt_int64(s, 10);
	a->last_at = stmt_int64(s, 11);
}

int
db_actions_each(struct store *st, const struct action_query *q, store_action_cb cb, void *arg)
{
	static const char sql[] =
	        "WITH RECURSIVE sub(id) AS (SELECT id FROM node WHERE brand_id = ?1 AND id = ?8 "
	        "UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent_id = sub.id WHERE "
	        "n.brand_id = ?1) "
	        "SELECT id, at, coalesce(user_id, 0), user_login, user_name, user_email, "
	        "action, details, coalesce(target_user_id, 0), target_login, "
	        "coalesce((SELECT count FROM action_repeat r WHERE r.brand_id = ?1 AND "
	        "r.action_id = action_log.id), 1), coalesce((SELECT last_at FROM action_repeat "
	        "r WHERE r.brand_id = ?1 AND r.action_id = action_log.id), at) FROM action_log "
	        "WHERE brand_id = ?1 AND at >= ?2 AND at < ?3 AND (?4 = 0 OR user_id = ?4 OR "
	        "target_user_id = ?4) AND (CAST(?5 AS TEXT) IS NULL OR action = ?5) "
	        "AND (?6 = 0 OR id < ?6) AND (user_id IS NULL OR user_id IN (SELECT u.id FROM user "
	        "u WHERE u.brand_id = ?1 AND u.node_id IN (SELECT id FROM sub))) "
	        "ORDER BY id DESC LIMIT ?7";
	struct action_row a;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "actions_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->from);
	stmt_bind_int64(s, 3, q->to);
	stmt_bind_int64(s, 4, q->user_id);
	db_bind_opt_text(s, 5, q->action);
	stmt_bind_int64(s, 6, q->after_id);
	stmt_bind_int64(s, 7, q->limit);
	stmt_bind_int64(s, 8, q->node_id);
	while (db_next(st, s, &rc, "actions_each")) {
		action_read(s, &a);
		rc = cb(arg, &a);
	}
	stmt_reset(s);
	return rc;
}
