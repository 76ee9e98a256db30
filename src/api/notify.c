/*
 * notify.c - a transaction's notifications to the merchant's server in the back office
 * (issue 12; README "Notifications"):
 *
 *   GET  /bo/api/transactions/{id}/notifications
 *        {"items":[{"id","url","method","content_type","body","signed","status","attempts",
 *                   "created_at","next_attempt_at","done_at",
 *                   "log":[{"at","duration_ms","http_status","error","answer"}…]}…]}
 *   POST /bo/api/transactions/{id}/notifications/{nid}/resend   200 the notification, pending
 *
 * Whoever searches the transaction reads its delivery log: every attempt, its HTTP status,
 * libcurl's error and the first LIMIT_NOTIFY_ANSWER bytes of the answer. "Send again" (the
 * cash profiles) puts the notification back in the queue, due at once, with a fresh count of
 * tries, and writes its action-log line "notification_resent" in the same transaction. A
 * transaction outside the user's node, another brand's, or a notification of another
 * transaction is 404. The route table lets the profiles in; the scope is checked here.
 * Not the delivery (jobs/notifier.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/json.h"
#include "api/render.h"
#include "common/clock.h"

struct notify_job {
	struct http_job base; /* first */
	struct session who;
	int64_t txn_id, id; /* id: the notification, for a resend */
	json_t *result;
	struct store *st; /* during the callbacks */
	int64_t found_txn;
};

static void
nj_free(struct http_job *hj)
{
	struct notify_job *j = (struct notify_job *)hj;

	json_decref(j->result);
	free(j);
}

static void
nj_respond(struct http_job *hj, struct req *r)
{
	struct notify_job *j = (struct notify_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	http_reply_json(r, 200, j->result);
	j->result = NULL;
}

/* A text as JSON; "" is null. Every text is UTF-8 (the API's, or the notifier's printable
 * ASCII) but jansson refuses anything else: null then too. */
static json_t *
text_or_null(const char *s)
{
	json_t *v = s != NULL && s[0] != '\0' ? json_string(s) : NULL;

	return v != NULL ? v : json_null();
}

static int
attempt_push(void *arg, const struct notify_attempt *a)
{
	json_t *o = json_pack("{s:o, s:I, s:o, s:o, s:o}", "at", json_instant_or_null(a->at),
	                      "duration_ms", (json_int_t)a->duration_ms, "http_status",
	                      a->http_status > 0 ? json_integer(a->http_status) : json_null(),
	                      "error", text_or_null(a->error), "answer", text_or_null(a->answer));

	if (o == NULL)
		abort();
	json_array_append_new(arg, o);
	return ST_OK;
}

/* The view of n with its attempts, appended to the array j->result. */
static int
notify_push(void *arg, const struct notify_row *n)
{
	static const char *const states[] = {"pending", "delivered", "failed"};
	struct notify_job *j = arg;
	json_t *log = json_array(), *body = json_stringn(n->body, n->body_len), *o;
	int rc;

	j->found_txn = n->txn_id;
	rc = j->st->ops->notify_attempts_each(j->st, n->brand_id, n->id, attempt_push, log);
	if (rc != ST_OK) {
		json_decref(log);
		json_decref(body);
		return rc;
	}
	o = json_pack("{s:I, s:o, s:s, s:o, s:o, s:b, s:s, s:i, s:o, s:o, s:o, s:o}", "id",
	              (json_int_t)n->id, "url", text_or_null(n->url), "method",
	              n->post ? "POST" : "GET", "content_type", text_or_null(n->content_type),
	              "body", body != NULL ? body : json_null(), "signed",
	              (n->sig_header != NULL && n->sig_header[0] != '\0') ||
	                      (n->sign_k != NULL && n->sign_k[0] != '\0'),
	              "status", states[n->state <= NOTIFY_FAILED ? n->state : 0], "attempts",
	              n->attempts, "created_at", json_instant_or_null(n->created_at),
	              "next_attempt_at",
	              json_instant_or_null(n->state == NOTIFY_PENDING ? n->next_at : 0), "done_at",
	              json_instant_or_null(n->done_at), "log", log);
	if (o == NULL)
		abort();
	json_array_append_new(j->result, o);
	return ST_OK;
}

/* The transaction, if it is of a shop within the user's node (else ST_NOTFOUND). */
static int
txn_in_scope(struct notify_job *j, struct store *st)
{
	struct txn t;
	bool within = false;
	int rc = st->ops->txn_get(st, j->who.brand_id, 0, j->txn_id, &t);

	if (rc == ST_OK)
		rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, t.shop_id, &within);
	if (rc == ST_OK && !within)
		rc = ST_NOTFOUND;
	return rc;
}

/* Reader: the transaction's notifications, oldest first, each with its attempts. */
static int
list_run(struct work_job *w, struct store *st)
{
	struct notify_job *j = (struct notify_job *)w;
	json_t *items = json_array();
	int rc = txn_in_scope(j, st);

	j->st = st;
	j->result = items;
	if (rc == ST_OK)
		rc = st->ops->notify_each_of_txn(st, j->who.brand_id, j->txn_id, notify_push, j);
	if (rc != ST_OK)
		return rc;
	j->result = json_pack("{s:o}", "items", items);
	return j->result != NULL ? ST_OK : ST_INTERNAL;
}

/* Writer: the notification read in the transaction of its change, its transaction's scope
 * checked; pending again with its action-log line. */
static int
resend_run(struct work_job *w, struct store *st)
{
	struct notify_job *j = (struct notify_job *)w;
	int64_t now = clock_now_us();
	char details[160];
	json_t *items = json_array();
	int rc = txn_in_scope(j, st);

	j->st = st;
	j->result = items;
	if (rc == ST_OK)
		rc = st->ops->notify_get(st, j->who.brand_id, j->id, notify_push, j);
	if (rc == ST_OK && j->found_txn != j->txn_id)
		rc = ST_NOTFOUND; /* another transaction's */
	if (rc == ST_OK)
		rc = st->ops->notify_resend(st, j->who.brand_id, j->id, now);
	if (rc == ST_OK) {
		snprintf(details, sizeof(details), "transaction: %lld; notification: %lld",
		         (long long)j->txn_id, (long long)j->id);
		api_action_add(st, &j->who, now, "notification_resent", details, NULL, &rc);
	}
	json_array_clear(items);
	if (rc == ST_OK)
		rc = st->ops->notify_get(st, j->who.brand_id, j->id, notify_push, j);
	if (rc != ST_OK)
		return rc;
	j->result = json_incref(json_array_get(items, 0));
	json_decref(items);
	return ST_OK;
}

static struct notify_job *
nj_new(struct req *r)
{
	struct notify_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = r->session;
	j->txn_id = r->path_id;
	j->id = r->path_id2;
	j->base.respond = nj_respond;
	j->base.free = nj_free;
	return j;
}

int
api_notifications_list(struct req *r)
{
	struct notify_job *j = nj_new(r);

	j->base.work.run = list_run;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_notifications_resend(struct req *r)
{
	struct notify_job *j = nj_new(r);

	j->base.work.run = resend_run;
	return http_submit_or_reply(r, &j->base, true);
}
