/*
 * prefs.c - a user's preferences (SPEC §3): the columns of each journal and their order, and
 * the page shown after sign-in; kept in the store, so they follow the user across sign-ins
 * and devices. The exports use the same columns.
 *
 *   GET   /bo/api/me/preferences  what is chosen, and what may be chosen
 *   PATCH /bo/api/me/preferences  {"columns":{"transactions":[...]|null}, "home":"..."|null,
 *                                  "ereport":{"structure":"..."|null,"format":"..."|null}}
 *                                 (null: back to the default; a page the profile may not
 *                                 open: 400, saying so)
 *
 * The electronic reporting choice (ereport.h) is also an administrator's to set, on a user's
 * page (users.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/columns.h"
#include "api/ereport.h"
#include "api/json.h"
#include "api/push_reports.h"
#include "common/clock.h"

#define HOME_PREF "home"
#define HOME_MAX  24

/* The pages a user may land on, and the API route each one needs: a page is offered to a
 * profile the route table (api/routes.c, the one place that decides who may call what)
 * lets call that route, and to no other. In this order in available_homes; the default is
 * the first one offered (stats; the HMAC keys for the HMAC manager; the virtual terminal for
 * the entry operator; else me). */
static const struct home {
	const char *name;
	const char *route; /* GET */
} homes[] = {
        {"stats", "/bo/api/stats"},
        {"transactions", "/bo/api/transactions"},
        {"batches", "/bo/api/batches"},
        {"contracts", "/bo/api/contracts"},
        {"actions", "/bo/api/actions"},
        {"hmac_keys", "/bo/api/hmac-keys"},
        {"virtual_terminal", "/bo/api/manual-entries/options"},
        {"me", "/bo/api/me"},
        {"users", "/bo/api/users"},
};
#define HOMES_N (sizeof(homes) / sizeof(homes[0]))

struct prefs_job {
	struct http_job base; /* first */
	struct session who;
	/* PATCH: what changes. */
	bool set_columns[JOURNAL__COUNT], set_home;
	char columns[JOURNAL__COUNT][COLUMNS_TEXT_MAX]; /* "" resets */
	char home[HOME_MAX];                            /* "" resets */
	struct prefs_ereport er;
	json_t *result;
};

static void
prefs_free(struct http_job *hj)
{
	struct prefs_job *j = (struct prefs_job *)hj;

	json_decref(j->result);
	free(j);
}

static void
prefs_respond(struct http_job *hj, struct req *r)
{
	struct prefs_job *j = (struct prefs_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	http_reply_json(r, 200, j->result);
	j->result = NULL;
}

/* The page called home, or NULL when there is none. */
static const struct home *
home_find(const char *home)
{
	for (size_t i = 0; i < HOMES_N; i++)
		if (strcmp(homes[i].name, home) == 0)
			return &homes[i];
	return NULL;
}

static bool
home_allowed(const struct home *h, enum profile p)
{
	return h != NULL && routes_allow("GET", h->route, p);
}

/* The landing page of a user who chose none (or a page no longer offered to them). */
static const char *
home_default(enum profile p)
{
	for (size_t i = 0; i < HOMES_N; i++)
		if (home_allowed(&homes[i], p))
			return homes[i].name;
	return "me"; /* every profile may read its personal information */
}

/* The columns of journal j for a user: their choice, or the default when none or when the
 * stored choice no longer parses (a column removed by an upgrade). */
int
prefs_columns(struct store *st, int64_t brand_id, int64_t user_id, enum journal j,
              struct columns *out)
{
	char text[COLUMNS_TEXT_MAX];
	int rc = st->ops->pref_get(st, brand_id, user_id, journal_pref(j), text, sizeof(text));

	if (rc == ST_OK && columns_parse(j, text, out) == 0)
		return ST_OK;
	columns_default(j, out);
	return rc == ST_NOTFOUND || rc == ST_OK || rc == ST_TOOBIG ? ST_OK : rc;
}

/* --- electronic reporting (ereport.h) ------------------------------------------------------- */

const char *
prefs_ereport_parse(json_t *v, struct prefs_ereport *out)
{
	static const char *const keys[2] = {"structure", "format"};
	int (*const parse[2])(const char *) = {ereport_structure_parse, ereport_format_parse};
	char *const dest[2] = {out->structure, out->format};
	bool *const set[2] = {&out->set_structure, &out->set_format};
	const char *name;
	json_t *x;

	if (!json_is_object(v))
		return "ereport";
	out->push_enabled = out->push_minute = -1;
	json_object_foreach(v, name, x)
	{
		int k = strcmp(name, keys[0]) == 0 ? 0 : strcmp(name, keys[1]) == 0 ? 1 : -1;

		if (strcmp(name, "push") == 0) {
			struct push_change c;
			const char *bad = push_change_parse(x, &c);

			if (bad != NULL)
				return bad;
			out->set_push = true;
			out->push_reset = c.reset;
			out->push_enabled = c.enabled;
			out->push_minute = c.minute;
			continue;
		}
		if (k < 0)
			return "ereport";
		*set[k] = true;
		if (json_is_null(x))
			continue; /* "": back to the default */
		if (!json_is_string(x) || parse[k](json_string_value(x)) < 0)
			return k == 0 ? "ereport.structure" : "ereport.format";
		snprintf(dest[k], PREFS_EREPORT_MAX, "%s", json_string_value(x));
	}
	return NULL;
}

int
prefs_ereport_put(struct store *st, int64_t brand_id, int64_t user_id,
                  const struct prefs_ereport *e, int64_t now)
{
	int rc = ST_OK;

	if (e->set_structure)
		rc = st->ops->pref_put(st, brand_id, user_id, EREPORT_PREF_STRUCTURE,
		                       e->structure[0] ? e->structure : NULL, now);
	if (rc == ST_OK && e->set_format)
		rc = st->ops->pref_put(st, brand_id, user_id, EREPORT_PREF_FORMAT,
		                       e->format[0] ? e->format : NULL, now);
	if (rc == ST_OK && e->set_push) {
		struct push_change c = {true, e->push_reset, e->push_enabled, e->push_minute};

		rc = push_change_put(st, brand_id, user_id, &c, now);
	}
	return rc;
}

int
prefs_ereport_json(struct store *st, int64_t brand_id, int64_t user_id, json_t *to)
{
	struct ereport e;
	json_t *s = json_array(), *f = json_array(), *push = NULL;
	int rc = ereport_load(st, brand_id, user_id, &e);

	if (rc == ST_OK)
		rc = push_sub_json(st, brand_id, user_id, &push, NULL);
	if (push == NULL)
		push = json_null();

	for (int i = 0; ereport_structure_name(i) != NULL; i++)
		json_array_append_new(s, json_string(ereport_structure_name(i)));
	for (int i = 0; ereport_format_name(i) != NULL; i++)
		json_array_append_new(f, json_string(ereport_format_name(i)));
	json_object_set_new(to, "ereport",
	                    json_pack("{s:s, s:s, s:o, s:o, s:o}", "structure",
	                              ereport_structure_name(e.structure), "format",
	                              ereport_format_name(e.format), "available_structures", s,
	                              "available_formats", f, "push", push));
	return rc;
}

static json_t *
columns_json(enum journal j, const struct columns *c)
{
	json_t *a = json_array();

	for (int i = 0; i < c->n; i++)
		json_array_append_new(a, json_string(column_key(j, c->v[i])));
	return a;
}

static int
prefs_read_run(struct work_job *w, struct store *st)
{
	struct prefs_job *j = (struct prefs_job *)w;
	json_t *chosen = json_object(), *available = json_object(), *zones = json_array(),
	       *pages = json_array();
	char home[HOME_MAX];
	int rc = ST_OK;

	for (int k = 0; rc == ST_OK && k < JOURNAL__COUNT; k++) {
		struct columns c, all = {0};

		rc = prefs_columns(st, j->who.brand_id, j->who.user_id, (enum journal)k, &c);
		for (int i = 0; i < columns_count((enum journal)k); i++)
			all.v[all.n++] = (unsigned char)i;
		json_object_set_new(chosen, journal_name((enum journal)k),
		                    columns_json((enum journal)k, &c));
		json_object_set_new(available, journal_name((enum journal)k),
		                    columns_json((enum journal)k, &all));
	}
	if (rc == ST_OK) {
		rc = st->ops->pref_get(st, j->who.brand_id, j->who.user_id, HOME_PREF, home,
		                       sizeof(home));
		if (rc != ST_OK || !home_allowed(home_find(home), j->who.profile))
			snprintf(home, sizeof(home), "%s", home_default(j->who.profile));
		rc = rc == ST_OK || rc == ST_NOTFOUND || rc == ST_TOOBIG ? ST_OK : rc;
	}
	for (size_t i = 0; i < tz_count(); i++)
		json_array_append_new(zones, json_string(tz_name_at(i)));
	for (size_t i = 0; i < HOMES_N; i++)
		if (home_allowed(&homes[i], j->who.profile))
			json_array_append_new(pages, json_string(homes[i].name));
	j->result =
	        json_pack("{s:o, s:o, s:s, s:o, s:o}", "columns", chosen, "available_columns",
	                  available, "home", home, "available_homes", pages, "time_zones", zones);
	if (rc == ST_OK)
		rc = prefs_ereport_json(st, j->who.brand_id, j->who.user_id, j->result);
	return rc;
}

static int
prefs_write_run(struct work_job *w, struct store *st)
{
	struct prefs_job *j = (struct prefs_job *)w;
	int64_t now = clock_now_us();
	int rc = ST_OK;

	for (int k = 0; rc == ST_OK && k < JOURNAL__COUNT; k++)
		if (j->set_columns[k])
			rc = st->ops->pref_put(st, j->who.brand_id, j->who.user_id,
			                       journal_pref((enum journal)k),
			                       j->columns[k][0] ? j->columns[k] : NULL, now);
	if (rc == ST_OK && j->set_home)
		rc = st->ops->pref_put(st, j->who.brand_id, j->who.user_id, HOME_PREF,
		                       j->home[0] ? j->home : NULL, now);
	if (rc == ST_OK)
		rc = prefs_ereport_put(st, j->who.brand_id, j->who.user_id, &j->er, now);
	return rc == ST_OK ? prefs_read_run(w, st) : rc;
}

static struct prefs_job *
prefs_new(struct req *r)
{
	struct prefs_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = session_as_user(&r->session); /* the user's, whatever the environment */
	j->base.respond = prefs_respond;
	j->base.free = prefs_free;
	return j;
}

static int
prefs_submit(struct req *r, struct prefs_job *j, bool write)
{
	j->base.work.run = write ? prefs_write_run : prefs_read_run;
	return http_submit_or_reply(r, &j->base, write);
}

int
api_prefs_get(struct req *r)
{
	return prefs_submit(r, prefs_new(r), false);
}

/* Reads {"transactions":[keys]|null, ...} into j. NULL, or the bad field's name. */
static const char *
parse_columns(json_t *v, struct prefs_job *j)
{
	const char *name;
	json_t *list;

	if (!json_is_object(v))
		return "columns";
	json_object_foreach(v, name, list)
	{
		int k = -1;
		struct columns c;
		char text[COLUMNS_TEXT_MAX];
		size_t o = 0, i;
		json_t *key;

		for (int n = 0; n < JOURNAL__COUNT; n++)
			if (strcmp(name, journal_name((enum journal)n)) == 0)
				k = n;
		if (k < 0)
			return "columns";
		j->set_columns[k] = true;
		if (json_is_null(list))
			continue;
		if (!json_is_array(list) || json_array_size(list) == 0 ||
		    json_array_size(list) > COLUMNS_MAX)
			return "columns";
		json_array_foreach(list, i, key)
		{
			const char *s = json_string_value(key);

			if (s == NULL || strchr(s, ',') != NULL || o + strlen(s) + 2 > sizeof(text))
				return "columns";
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s", i ? "," : "", s);
		}
		if (columns_parse((enum journal)k, text, &c) != 0)
			return "columns";
		columns_format((enum journal)k, &c, j->columns[k]);
	}
	return NULL;
}

int
api_prefs_edit(struct req *r)
{
	static const char *const members[] = {"columns", "home", "ereport", NULL};
	struct prefs_job *j;
	const char *bad = NULL, *why = NULL;
	json_t *o, *v;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	j = prefs_new(r);
	if ((v = json_object_get(o, "columns")) != NULL) {
		bad = parse_columns(v, j);
		why = "columns maps a journal (transactions, batches, installment_plans, "
		      "subscriptions) to a non-empty list of distinct available_columns, or null "
		      "for the default.";
	}
	if (bad == NULL && (v = json_object_get(o, "home")) != NULL) {
		const struct home *h = json_is_string(v) ? home_find(json_string_value(v)) : NULL;

		j->set_home = true;
		if (home_allowed(h, j->who.profile)) {
			snprintf(j->home, sizeof(j->home), "%s", h->name);
		} else if (h != NULL || !json_is_null(v)) {
			bad = "home";
			why = h != NULL
			              ? "Your profile may not open this page: home is one of "
			                "available_homes, or null for the default."
			              : "home is one of available_homes, or null for the default.";
		}
	}
	if (bad == NULL && (v = json_object_get(o, "ereport")) != NULL) {
		bad = prefs_ereport_parse(v, &j->er);
		why = EREPORT_HELP;
		/* A push report is a search of transactions: for the profiles that search. */
		if (bad == NULL && j->er.push_enabled == 1 &&
		    j->who.profile != PROFILE_CONSULTATION && j->who.profile != PROFILE_ACTION &&
		    j->who.profile != PROFILE_ADMIN) {
			bad = "ereport.push.enabled";
			why = "Your profile does not search transactions: it has no push report.";
		}
	}
	json_decref(o);
	if (bad != NULL) {
		prefs_free(&j->base);
		json_bad_field(r, bad, why);
		return 0;
	}
	return prefs_submit(r, j, true);
}
