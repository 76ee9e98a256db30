/*
 * env_copy.c - "Create production account" (Ingenico guide §3.2.9 "Créer compte réel"; issue
 * 15; docs/ENVIRONMENTS.md "Create production account"): a brand administrator signed in to
 * the test environment copies its configuration into production.
 *
 *   GET  /bo/api/environment/production-account  what will be copied (with the test
 *                                                environment's counts) and what will not
 *   POST /bo/api/environment/production-account  {} or {"account_id": the production
 *                                                account's}: the copy, in one writer
 *                                                transaction with one action-log line
 *                                                "production_account_created" (the counts)
 *                                                in the production brand's log; the answer
 *                                                says what was written and lists what was
 *                                                not copied and must be set again
 *
 * Administrators of the brand's own node only (a group's or a shop's: 403), in a test
 * session only (production's: 409 environment_unavailable). The copy goes onto the brand's
 * own production account: another account id is refused, 409 account_id_taken when a brand
 * has it, 422 new_account_unavailable otherwise (a new brand would need its own users,
 * keys, contracts and SITE/RANG, which the operator provisions: docs/ENVIRONMENTS.md).
 * What is copied is store.h env_production_copy; not the rule of what (that table is the
 * documentation's and the lists below).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/hosted_theme.h"
#include "api/json.h"
#include "common/clock.h"

/* The configuration copied: the names the web page translates (strings/production-account.js). */
static const char *const copied_items[] = {
        "tree", "shops", "shop_settings", "notifications", "page_templates", "fraud_filters", NULL};

/* Not copied (§3.2.9's list, then Guichet's own), with the back office page where each is set
 * again ("" where Guichet has none: set with the operator). */
static const struct {
	const char *item, *page;
} not_copied[] = {
        {"subscription", ""}, {"options", "options"},           {"vat_number", ""},
        {"billing", ""},      {"payment_methods", "contracts"}, {"three_d_secure", "contracts"},
        {"users", "users"},   {"hmac_keys", "hmac-keys"},       {"blocklist", "blocklist"},
        {"transactions", ""},
};

struct copy_job {
	struct http_job base; /* first */
	struct session who;   /* the test environment's */
	struct page_themes *cache;
	bool write;
	struct env_copy done;
	struct env_copy_plan plan;
	char pspid[33], test_pspid[33];
	char asked[33];      /* the account id the request named, "" none */
	const char *refusal; /* the error code of a refused account id */
	/* the production templates after the copy, published once committed */
	struct page_theme *themes;
	size_t nthemes, capthemes;
	bool published;
};

static void
copy_publish(struct copy_job *j)
{
	if (j->published || j->base.work.rc != ST_OK || j->cache == NULL)
		return;
	j->published = true;
	for (size_t i = 0; i < j->nthemes; i++)
		page_themes_put(j->cache, &j->themes[i]);
}

static void
copy_free(struct http_job *hj)
{
	struct copy_job *j = (struct copy_job *)hj;

	copy_publish(j); /* committed, the client gone: the page shows it all the same */
	for (size_t i = 0; i < j->nthemes; i++)
		page_theme_cleanup(&j->themes[i]);
	free(j->themes);
	free(j);
}

static json_t *
not_copied_json(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof(not_copied) / sizeof(not_copied[0]); i++)
		json_array_append_new(
		        a, json_pack("{s:s, s:s?}", "item", not_copied[i].item, "page",
		                     not_copied[i].page[0] != '\0' ? not_copied[i].page : NULL));
	return a;
}

static json_t *
copied_json(const int *counts)
{
	json_t *a = json_array();

	for (size_t i = 0; copied_items[i] != NULL; i++)
		json_array_append_new(
		        a, json_pack("{s:s, s:i}", "item", copied_items[i], "count", counts[i]));
	return a;
}

static void
copy_respond(struct http_job *hj, struct req *r)
{
	struct copy_job *j = (struct copy_job *)hj;
	int rc = j->base.work.rc;
	json_t *o;

	copy_publish(j);
	if (rc == ST_FORBIDDEN) {
		http_reply_error(r, rc, NULL,
		                 "Only an administrator of the whole brand may create the "
		                 "production account.");
		return;
	}
	if (rc == ST_CONFLICT && j->refusal != NULL &&
	    strcmp(j->refusal, "account_id_taken") == 0) {
		http_reply_error(r, rc, j->refusal,
		                 "This account id is another account's: the copy goes to this "
		                 "brand's production account.");
		return;
	}
	if (rc == ST_CONFLICT && j->refusal != NULL) {
		http_reply_json(
		        r, 422,
		        json_pack("{s:s, s:s}", "error", j->refusal, "message",
		                  "A production account under another account id is made "
		                  "by the operator (its users, keys, contracts and shops' "
		                  "SITE and RANG): the copy goes to this brand's production "
		                  "account."));
		return;
	}
	if (rc == ST_CONFLICT) {
		http_reply_error(r, rc, "site_rang_taken",
		                 "A shop made in the test environment has the SITE and RANG of "
		                 "another production shop: nothing was copied.");
		return;
	}
	if (rc != ST_OK) {
		http_reply_error(r, rc, NULL, NULL);
		return;
	}
	if (j->write) {
		const int counts[] = {j->done.nodes_added + j->done.nodes_renamed,
		                      j->done.shops_added + j->done.shops,
		                      j->done.settings,
		                      j->done.settings,
		                      j->done.templates,
		                      j->done.fraud_filters};

		o = json_pack("{s:s, s:s, s:o, s:o, s:{s:i, s:i}}", "account_id", j->pspid,
		              "test_account_id", j->test_pspid, "copied", copied_json(counts),
		              "not_copied", not_copied_json(), "added", "nodes",
		              j->done.nodes_added, "shops", j->done.shops_added);
	} else {
		const int counts[] = {j->plan.nodes,    j->plan.shops,     j->plan.settings,
		                      j->plan.settings, j->plan.templates, j->plan.fraud_filters};

		o = json_pack("{s:s, s:s, s:o, s:o, s:i, s:{s:i, s:i}}", "account_id", j->pspid,
		              "test_account_id", j->test_pspid, "copied", copied_json(counts),
		              "not_copied", not_copied_json(), "new_nodes", j->plan.nodes_new,
		              "kept", "contracts", j->plan.contracts, "blocklist",
		              j->plan.block_entries);
	}
	if (o == NULL)
		abort();
	http_reply_json(r, 200, o);
}

/* The brand's administrator, of its own node: the production account's top node is the
 * user's (session_as_user). */
static int
copy_allowed(struct copy_job *j, struct store *st)
{
	struct session u = session_as_user(&j->who);
	struct account a;
	int rc = st->ops->account_get(st, u.brand_id, &a);

	if (rc != ST_OK)
		return rc;
	if (u.node_id != a.node_id)
		return ST_FORBIDDEN;
	memcpy(j->pspid, a.pspid, sizeof(j->pspid));
	rc = st->ops->account_get(st, j->who.brand_id, &a);
	if (rc == ST_OK)
		memcpy(j->test_pspid, a.pspid, sizeof(j->test_pspid));
	return rc;
}

static int
plan_run(struct work_job *w, struct store *st)
{
	struct copy_job *j = (struct copy_job *)w;
	int rc = copy_allowed(j, st);

	if (rc == ST_OK)
		rc = st->ops->env_copy_plan(st, j->who.brand_id, &j->plan);
	return rc;
}

/* page_themes_each's: the production brand's templates, kept for the cache. */
static int
theme_keep(void *arg, const struct page_theme *t)
{
	struct copy_job *j = arg;
	struct page_theme *k;

	if (t->brand_id != j->done.brand_id)
		return ST_OK;
	if (j->nthemes == j->capthemes) {
		j->capthemes = j->capthemes ? 2 * j->capthemes : 8;
		j->themes = realloc(j->themes, j->capthemes * sizeof(*j->themes));
		if (j->themes == NULL)
			abort();
	}
	k = &j->themes[j->nthemes++];
	*k = *t;
	k->logo = NULL;
	if (t->logo_len > 0) {
		k->logo = malloc(t->logo_len);
		if (k->logo == NULL)
			abort();
		memcpy(k->logo, t->logo, t->logo_len);
	}
	return ST_OK;
}

static int
copy_run(struct work_job *w, struct store *st)
{
	struct copy_job *j = (struct copy_job *)w;
	struct session u = session_as_user(&j->who);
	int64_t now = clock_now_us();
	char details[256];
	int64_t other;
	int rc = copy_allowed(j, st);

	/* Another account id: a brand's (either environment's) or none, refused either way. */
	if (rc == ST_OK && j->asked[0] != '\0' && strcmp(j->asked, j->pspid) != 0) {
		rc = st->ops->brand_of_account_id(st, j->asked, &other);
		if (rc == ST_OK || rc == ST_NOTFOUND) {
			j->refusal = rc == ST_OK ? "account_id_taken" : "new_account_unavailable";
			rc = ST_CONFLICT;
		}
	}
	if (rc == ST_OK)
		rc = st->ops->env_production_copy(st, j->who.brand_id, u.user_id, now, &j->done);
	if (rc != ST_OK)
		return rc;
	if (j->done.templates > 0)
		rc = st->ops->page_themes_each(st, theme_keep, j);
	snprintf(details, sizeof(details),
	         "account_id: %s; from: %s; nodes_added: %d; shops_added: %d; names: %d; "
	         "shops: %d; shop_settings: %d; page_templates: %d; fraud_filters: %d",
	         j->pspid, j->test_pspid, j->done.nodes_added, j->done.shops_added,
	         j->done.nodes_renamed, j->done.shops, j->done.settings, j->done.templates,
	         j->done.fraud_filters);
	/* In production's action log: what changed is production's. */
	api_action_add(st, &u, now, "production_account_created", details, NULL, &rc);
	return rc;
}

static struct copy_job *
copy_new(struct req *r)
{
	struct copy_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->who = r->session;
	j->cache = r->app->themes;
	j->base.respond = copy_respond;
	j->base.free = copy_free;
	return j;
}

/* A production session is refused: the copy is made from the test environment. */
static bool
refuse_production(struct req *r)
{
	if (r->session.env_brand_id != 0)
		return false;
	http_reply_error(r, ST_CONFLICT, "environment_unavailable",
	                 "This session is signed in to production: sign in to the test "
	                 "environment to copy it into production.");
	return true;
}

/* An account id as the sign-in takes one: 1 to 32 letters, digits, '-', '_' or '.' ('/' is
 * the test environment's suffix). */
static bool
account_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

int
api_env_copy_plan(struct req *r)
{
	struct copy_job *j;

	if (refuse_production(r))
		return 0;
	j = copy_new(r);
	j->base.work.run = plan_run;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_env_copy(struct req *r)
{
	static const char *const members[] = {"account_id", NULL};
	struct copy_job *j;
	json_t *o, *v;
	const char *id = NULL;

	if ((o = json_body_object(r, true)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	v = json_object_get(o, "account_id");
	if (v != NULL && (!json_is_string(v) || !account_id_valid(json_string_value(v)))) {
		json_decref(o);
		json_bad_field(r, "account_id",
		               "account_id is 1 to 32 letters, digits, '-', '_' or '.'.");
		return 0;
	}
	if (refuse_production(r)) {
		json_decref(o);
		return 0;
	}
	j = copy_new(r);
	j->write = true;
	if (v != NULL)
		id = json_string_value(v);
	if (id != NULL)
		snprintf(j->asked, sizeof(j->asked), "%s", id);
	json_decref(o);
	j->base.work.run = copy_run;
	return http_submit_or_reply(r, &j->base, true);
}
