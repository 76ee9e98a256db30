/*
 * account.c - the account (Ingenico guide 3.2.2 "Compte"): the brand's name and account id,
 * and its retention of payment data (SPEC §14: 45 to 540 days, 540 by default; the rule is
 * domain/retention.h, the erasure jobs/retention.c).
 *
 *   GET   /bo/api/account  {"name", "pspid", "retention_days", "retention_days_min",
 *                           "retention_days_max", "second_factor_required", "editable"}:
 *                          every administrator
 *   PATCH /bo/api/account  {"retention_days": 45..540, "second_factor_required": bool}, one
 *                          or both: an administrator of the brand's own node only (a group's
 *                          or a shop's: 403), each change with its action-log line
 *                          "retention_changed" or "second_factor_policy_changed" (before →
 *                          after; none when it is the same)
 *
 * A second factor required of every user (PCI DSS v4.0 8.4.2) reaches the live sessions at
 * once: a user without one gets the sign-in step "set_up_second_factor" at their next
 * request (http/sessions.h).
 *
 * The route table lets administrators in; the level is checked here, against the store, on
 * the writer for a change: the account is the whole brand's, so an administrator of a part
 * of the tree reads it (it says how long their shops' card data is kept) but does not set it.
 * Not the purge itself, nor the rule.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "api/json.h"
#include "common/clock.h"
#include "domain/retention.h"

struct account_job {
	struct http_job base; /* first */
	struct session who;
	int retention_days;         /* PATCH: the new value, or 0 to keep it */
	int second_factor_required; /* PATCH: 0 or 1, or -1 to keep it */
	bool policy_changed;        /* the requirement changed: the session table learns it */
	bool required;              /* and its new value */
	json_t *result;
};

static void
account_free(struct http_job *hj)
{
	struct account_job *j = (struct account_job *)hj;

	json_decref(j->result);
	free(j);
}

static void
account_respond(struct http_job *hj, struct req *r)
{
	struct account_job *j = (struct account_job *)hj;

	if (j->base.work.rc == ST_FORBIDDEN) {
		http_reply_error(
		        r, ST_FORBIDDEN, NULL,
		        "Only an administrator of the whole brand may change the account.");
		return;
	}
	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	if (j->policy_changed)
		session_cache_factor_required(r->app->sessions, j->who.brand_id, j->required);
	http_reply_json(r, 200, j->result);
	j->result = NULL;
}

static void
account_render(struct account_job *j, const struct account *a)
{
	j->result = json_pack("{s:s, s:s, s:i, s:i, s:i, s:b, s:b}", "name", a->name, "pspid",
	                      a->pspid, "retention_days", a->retention_days, "retention_days_min",
	                      RETENTION_DAYS_MIN, "retention_days_max", RETENTION_DAYS_MAX,
	                      "second_factor_required", a->second_factor_required, "editable",
	                      j->who.node_id == a->node_id);
	if (j->result == NULL)
		abort();
}

static int
account_read_run(struct work_job *w, struct store *st)
{
	struct account_job *j = (struct account_job *)w;
	struct account a;
	int rc = st->ops->account_get(st, j->who.brand_id, &a);

	if (rc == ST_OK)
		account_render(j, &a);
	return rc;
}

/* On the writer: the level read in the same transaction as the change. */
static int
account_write_run(struct work_job *w, struct store *st)
{
	struct account_job *j = (struct account_job *)w;
	struct account a, was;
	char details[80];
	int64_t now = clock_now_us();
	int rc = st->ops->account_get(st, j->who.brand_id, &a);

	if (rc == ST_OK && j->who.node_id != a.node_id)
		rc = ST_FORBIDDEN;
	if (rc != ST_OK)
		goto out;
	was = a;
	if (j->retention_days != 0)
		a.retention_days = j->retention_days;
	if (j->second_factor_required >= 0)
		a.second_factor_required = j->second_factor_required == 1;
	if (a.retention_days == was.retention_days &&
	    a.second_factor_required == was.second_factor_required)
		goto out;
	rc = st->ops->account_set(st, &a);
	if (a.retention_days != was.retention_days) {
		snprintf(details, sizeof(details), "retention_days: %d → %d", was.retention_days,
		         a.retention_days);
		api_action_add(st, &j->who, now, "retention_changed", details, NULL, &rc);
	}
	if (a.second_factor_required != was.second_factor_required) {
		snprintf(details, sizeof(details), "second_factor_required: %s → %s",
		         was.second_factor_required ? "true" : "false",
		         a.second_factor_required ? "true" : "false");
		api_action_add(st, &j->who, now, "second_factor_policy_changed", details, NULL,
		               &rc);
		j->policy_changed = rc == ST_OK;
		j->required = a.second_factor_required;
	}
out:
	if (rc == ST_OK)
		account_render(j, &a);
	return rc;
}

static struct account_job *
account_new(struct req *r)
{
	struct account_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = session_as_user(&r->session); /* the user's, whatever the environment */
	j->base.respond = account_respond;
	j->base.free = account_free;
	return j;
}

int
api_account_get(struct req *r)
{
	struct account_job *j = account_new(r);

	j->base.work.run = account_read_run;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_account_edit(struct req *r)
{
	static const char *const members[] = {"retention_days", "second_factor_required", NULL};
	struct account_job *j;
	json_t *o, *v, *sf;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	v = json_object_get(o, "retention_days");
	sf = json_object_get(o, "second_factor_required");
	/* An integer only: 45.0, "45" or true are not a number of days. */
	if ((v != NULL || sf == NULL) &&
	    (!json_is_integer(v) || !retention_days_valid(json_integer_value(v)))) {
		json_decref(o);
		json_bad_field(r, "retention_days",
		               "retention_days is a whole number of days from 45 to 540.");
		return 0;
	}
	if (sf != NULL && !json_is_boolean(sf)) {
		json_decref(o);
		json_bad_field(r, "second_factor_required",
		               "second_factor_required is true or false.");
		return 0;
	}
	j = account_new(r);
	j->retention_days = v != NULL ? (int)json_integer_value(v) : 0;
	j->second_factor_required = sf != NULL ? json_is_true(sf) : -1;
	json_decref(o);
	j->base.work.run = account_write_run;
	return http_submit_or_reply(r, &j->base, true);
}
