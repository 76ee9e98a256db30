/*
 * mails.c - the mails the outbox could not deliver, for administrators (SPEC §1 "mail", §3
 * user management; README "Mail"):
 *
 *   GET  /bo/api/mails[?node=ID][&status=failed|pending][&cursor=C]
 *        {"items":[{"id","recipient","subject","status","created_at","attempts","last_error",
 *                   "failed_at","next_attempt_at","retried_at","retryable"}…],
 *         "next":C|null,"failed_recent":N}
 *   POST /bo/api/mails/{id}/retry   a failed mail sent again: 200 the mail, now pending
 *
 * The list holds the failed mails and the pending ones that failed at least once (with the
 * relay's last answer), of the administrator's node and below (node=: a node of their tree),
 * newest first, MAILS_PAGE a page; never a body. failed_recent counts the failed mails of the
 * scope within the last LIMIT_MAIL_FAILED_KEEP_S, those that may still be sent again: Home
 * warns of them. A retry puts a failed mail whose sealed body is still kept back in the queue
 * (due at once, 3 days of attempts again), with its action-log line "mail_retried"; a mail
 * not failed is 409 not_failed, one whose body is gone 409 mail_expired, another node's or
 * brand's 404. The route table lets administrators in; the scope is checked here, against
 * the store. Not the delivery (jobs/mailer.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/json.h"
#include "api/query.h"
#include "api/render.h"
#include "common/clock.h"
#include "domain/calendar.h"

#define MAILS_PAGE 50

struct mails_job {
	struct http_job base; /* first */
	struct session who;
	int64_t node_id; /* node=, 0: the user's */
	int64_t id;      /* retry: the mail */
	struct mail_query q;
	json_t *result;
	const char *why, *why_message;
};

static void
mails_free(struct http_job *hj)
{
	struct mails_job *j = (struct mails_job *)hj;

	json_decref(j->result);
	free(j);
}

static void
mails_respond(struct http_job *hj, struct req *r)
{
	struct mails_job *j = (struct mails_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, j->why, j->why_message);
		return;
	}
	http_reply_json(r, 200, j->result);
	j->result = NULL;
}

/* An instant as JSON: its RFC 3339 text, or null for 0. */
static json_t *
instant(int64_t t_us)
{
	char text[25];

	if (t_us == 0)
		return json_null();
	cal_instant_format(t_us, text);
	return json_string(text);
}

/* A text as JSON: null for "". Every text of a row is UTF-8 (the API's, or the mailer's
 * printable ASCII), but jansson refuses anything else: null then too. */
static json_t *
text_or_null(const char *s)
{
	json_t *v = s[0] != '\0' ? json_string(s) : NULL;

	return v != NULL ? v : json_null();
}

static json_t *
mail_view(const struct mail *m)
{
	bool failed = m->failed_at != 0;
	json_t *v = json_pack(
	        "{s:I, s:o, s:o, s:s, s:o, s:i, s:o, s:o, s:o, s:o, s:b}", "id", (json_int_t)m->id,
	        "recipient", text_or_null(m->recipient), "subject", text_or_null(m->subject),
	        "status",
	        failed            ? "failed"
	        : m->sent_at != 0 ? "sent"
	                          : "pending",
	        "created_at", instant(m->created_at), "attempts", m->attempts, "last_error",
	        text_or_null(m->last_error), "failed_at", instant(m->failed_at), "next_attempt_at",
	        instant(failed || m->sent_at != 0 ? 0 : m->next_attempt_at), "retried_at",
	        instant(m->retried_at), "retryable", failed && m->has_body);

	if (v == NULL)
		abort();
	return v;
}

static int
mail_push(void *arg, const struct mail *m)
{
	json_array_append_new(arg, mail_view(m));
	return ST_OK;
}

/* Reader: a page of the scope's mails in trouble, and how many failed lately. */
static int
list_run(struct work_job *w, struct store *st)
{
	struct mails_job *j = (struct mails_job *)w;
	json_t *items = json_array();
	int recent = 0, rc;

	j->q.brand_id = j->who.brand_id;
	j->q.limit = MAILS_PAGE + 1;
	rc = api_scope(st, &j->who, j->node_id, &j->q.node_id);
	if (rc == ST_OK)
		rc = st->ops->mails_each(st, &j->q, mail_push, items);
	if (rc == ST_OK)
		rc = st->ops->mails_failed_count(
		        st, j->who.brand_id, j->q.node_id,
		        clock_now_us() - (int64_t)LIMIT_MAIL_FAILED_KEEP_S * CAL_US_PER_S, &recent);
	if (rc != ST_OK) {
		json_decref(items);
		return rc;
	}
	j->result = json_pack("{s:o, s:o, s:i}", "items", items, "next",
	                      json_page_next(items, MAILS_PAGE), "failed_recent", recent);
	return j->result != NULL ? ST_OK : ST_INTERNAL;
}

static struct mails_job *
mails_new(struct req *r)
{
	struct mails_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = session_as_user(&r->session); /* the user's, whatever the environment */
	j->id = r->path_id;
	j->base.respond = mails_respond;
	j->base.free = mails_free;
	return j;
}

/* Whether the list's parameter key is given for the first time (seen: those given so far). */
static bool
first_time(const char *key, unsigned *seen)
{
	static const char *const names[] = {"node", "cursor", "status"};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(key, names[i]) != 0)
			continue;
		if ((*seen & (1u << i)) != 0)
			return false;
		*seen |= 1u << i;
	}
	return true;
}

int
api_mails_list(struct req *r)
{
	struct mails_job *j = mails_new(r);
	char key[QUERY_KEY_MAX], val[64];
	const char *bad = NULL;
	unsigned seen = 0;
	size_t pos = 0;
	int got;

	while (bad == NULL &&
	       (got = query_next(r, &pos, key, sizeof(key), val, sizeof(val))) != 0) {
		if (got < 0)
			bad = "query";
		else if (!first_time(key, &seen))
			bad = key; /* given twice: refused, not half-used (query.h) */
		else if (strcmp(key, "node") == 0)
			bad = query_id(val, &j->node_id) != 0 ? "node" : NULL;
		else if (strcmp(key, "cursor") == 0)
			bad = query_id(val, &j->q.after_id) != 0 ? "cursor" : NULL;
		else if (strcmp(key, "status") != 0)
			bad = "query";
		else if (strcmp(val, "failed") == 0)
			j->q.status = MAIL_TROUBLE_FAILED;
		else if (strcmp(val, "pending") == 0)
			j->q.status = MAIL_TROUBLE_PENDING;
		else
			bad = "status";
	}
	if (bad != NULL) {
		mails_free(&j->base);
		json_bad_field(r, bad,
		               "node (an id), status (failed or pending) and cursor are optional; "
		               "nothing else.");
		return 0;
	}
	j->base.work.run = list_run;
	return http_submit_or_reply(r, &j->base, false);
}

/* Writer: the mail read again in the same transaction as its change, its scope checked. */
static int
retry_run(struct work_job *w, struct store *st)
{
	struct mails_job *j = (struct mails_job *)w;
	int64_t now = clock_now_us();
	char details[512];
	struct mail m;
	bool within = false;
	int rc;

	rc = st->ops->mail_get(st, j->who.brand_id, j->id, &m);
	if (rc == ST_OK)
		rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, m.node_id, &within);
	if (rc == ST_OK && !within)
		rc = ST_NOTFOUND;
	if (rc != ST_OK)
		return rc;
	if (m.failed_at == 0) {
		j->why = "not_failed";
		j->why_message = "This mail has not failed: it is delivered or still tried.";
		return ST_CONFLICT;
	}
	if (!m.has_body) {
		j->why = "mail_expired";
		j->why_message = "This mail failed too long ago: its text is no longer kept.";
		return ST_CONFLICT;
	}
	rc = st->ops->mail_requeue(st, j->who.brand_id, j->id, now);
	if (rc == ST_OK) {
		json_t *to = json_string(m.recipient), *subject = json_string(m.subject);
		char *to_text = json_dumps(to, JSON_ENCODE_ANY);
		char *subject_text = json_dumps(subject, JSON_ENCODE_ANY);

		/* The action log's "field: value" form (users.c), values in JSON. */
		snprintf(details, sizeof(details), "mail: %lld; recipient: %s; subject: %s",
		         (long long)m.id, to_text != NULL ? to_text : "\"\"",
		         subject_text != NULL ? subject_text : "\"\"");
		free(to_text);
		free(subject_text);
		json_decref(to);
		json_decref(subject);
		api_action_add(st, &j->who, now, "mail_retried", details, NULL, &rc);
	}
	if (rc == ST_OK)
		rc = st->ops->mail_get(st, j->who.brand_id, j->id, &m);
	if (rc == ST_OK)
		j->result = mail_view(&m);
	return rc;
}

int
api_mails_retry(struct req *r)
{
	struct mails_job *j = mails_new(r);

	j->base.work.run = retry_run;
	return http_submit_or_reply(r, &j->base, true);
}
