/*
 * account.c - the account (Ingenico guide 3.2.2 "Compte"): the brand's name and account id,
 * and its retention of payment data (SPEC §14: 45 to 540 days, 540 by default; the rule is
 * domain/retention.h, the erasure jobs/retention.c).
 *
 *   GET   /bo/api/account  {"name", "pspid", "retention_days", "retention_days_min",
 *                           "retention_days_max", "editable"}: every administrator
 *   PATCH /bo/api/account  {"retention_days": 45..540}: an administrator of the brand's own
 *                          node only (a group's or a shop's: 403), with its action-log line
 *                          "retention_changed" (before → after; none when it is the same)
 *
 * The route table lets administrators in; the level is checked here, against the store, on
 * the writer for a change: the account is the whole brand's, so an administrator of a part
 * of the tree reads it (it says how long their shops' card data is kept) but does not set it.
 * Not the purge itself, nor the rule.
 */
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "api/json.h"
#include "common/clock.h"
#include "domain/retention.h"

struct account_job {
	struct http_job base; /* first */
	struct session who;
	int retention_days; /* PATCH: the new value */
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
	http_reply_json(r, 200, j->result);
	j->result = NULL;
}

static void
account_render(struct account_job *j, const struct account *a)
{
	j->result = json_pack("{s:s, s:s, s:i, s:i, s:i, s:b}", "name", a->name, "pspid", a->pspid,
	                      "retention_days", a->retention_days, "retention_days_min",
	                      RETENTION_DAYS_MIN, "retention_days_max", RETENTION_DAYS_MAX,
	                      "editable", j->who.node_id == a->node_id);
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
	struct account a;
	char details[64];
	int rc = st->ops->account_get(st, j->who.brand_id, &a);

	if (rc == ST_OK && j->who.node_id != a.node_id)
		rc = ST_FORBIDDEN;
	if (rc != ST_OK || a.retention_days == j->retention_days)
		goto out;
	rc = st->ops->account_retention_set(st, j->who.brand_id, j->retention_days);
	snprintf(details, sizeof(details), "retention_days: %d → %d", a.retention_days,
	         j->retention_days);
	api_action_add(st, &j->who, clock_now_us(), "retention_changed", details, NULL, &rc);
	a.retention_days = j->retention_days;
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
	j->who = r->session;
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
	static const char *const members[] = {"retention_days", NULL};
	struct account_job *j;
	json_t *o, *v;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	v = json_object_get(o, "retention_days");
	/* An integer only: 45.0, "45" or true are not a number of days. */
	if (!json_is_integer(v) || !retention_days_valid(json_integer_value(v))) {
		json_decref(o);
		json_bad_field(r, "retention_days",
		               "retention_days is a whole number of days from 45 to 540.");
		return 0;
	}
	j = account_new(r);
	j->retention_days = (int)json_integer_value(v);
	json_decref(o);
	j->base.work.run = account_write_run;
	return http_submit_or_reply(r, &j->base, true);
}
