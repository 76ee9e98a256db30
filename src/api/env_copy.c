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
 * own production account, or, under another account id no brand has, makes a new
 * production account (201): {"account_id", "administrator": {"login", …}, "shops": [{"id",
 * "site", "rang"}]}, the test environment's tree, shops (each with the SITE and RANG the
 * acquirer gave the new account), settings and templates copied into a new brand whose
 * first administrator, the user named, gets a temporary password by mail, and whose own test
 * environment is made at once; an account id a brand has: 409 account_id_taken.
 * What is copied is store.h env_production_copy and env_account_create; not the rule of what
 * (that table is the documentation's and the lists below).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/hosted_theme.h"
#include "api/json.h"
#include "common/clock.h"
#include "crypto/crypto.h"
#include "domain/paybox.h"

/* The shops a new production account may be made with (each needs its SITE and RANG). */
#define NEW_ACCOUNT_SHOPS_MAX 1000

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
	/* Under another account id: the request's first administrator (its members given, the
	 * rest the requester's) and shops, and the test shops it missed or named wrongly. */
	bool new_fields, new_account;
	struct user_auth admin;
	bool admin_has[5]; /* name, email, mobile, language, time_zone given */
	char temp_password[API_TEMP_PASSWORD_LEN + 1];
	struct env_new_shop *shops;
	size_t nshops;
	json_t *wrong_shops; /* [{"id", "problem"}] */
	struct tree_node *test_shops;
	size_t ntest_shops;
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
	free(j->shops);
	free(j->test_shops);
	json_decref(j->wrong_shops);
	crypto_wipe(j->temp_password, sizeof(j->temp_password));
	crypto_wipe(j->admin.u.password_hash, sizeof(j->admin.u.password_hash));
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

/* The refusals, by the code the job set: the status and the message. */
static const struct {
	const char *code;
	int status;
	const char *message;
} refusals[] = {
        {"account_id_taken", 409,
         "This account id is another account's: choose another one, or leave it out to copy "
         "into this brand's production account."},
        {"new_account_incomplete", 422,
         "A new production account under another account id needs its first "
         "administrator (administrator, with a login) and the SITE and RANG the acquirer gave "
         "each shop for it (shops)."},
        {"not_a_new_account", 422,
         "administrator and shops make a new account under another account id: this is the "
         "brand's own production account, which the copy updates."},
        {"shops_mismatch", 422,
         "shops must give every shop of the test environment once, with its new SITE and "
         "RANG: see the list."},
        {"login_taken", 409, "The administrator's login is already used: choose another one."},
        {"site_rang_taken", 409,
         "A shop's SITE and RANG are another production shop's: nothing was copied."},
};

static void
refusal_reply(struct copy_job *j, struct req *r)
{
	const char *code = j->refusal != NULL ? j->refusal : "site_rang_taken";

	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		json_t *o;

		if (strcmp(refusals[i].code, code) != 0)
			continue;
		o = json_pack("{s:s, s:s}", "error", code, "message", refusals[i].message);
		if (o == NULL)
			abort();
		if (j->wrong_shops != NULL && strcmp(code, "shops_mismatch") == 0)
			json_object_set(o, "shops", j->wrong_shops);
		if (j->done.taken_shop != 0 && strcmp(code, "site_rang_taken") == 0)
			json_object_set_new(o, "shop", json_integer(j->done.taken_shop));
		http_reply_json(r, refusals[i].status, o);
		return;
	}
	http_reply_error(r, ST_CONFLICT, NULL, NULL);
}

static json_t *
test_shops_json(const struct copy_job *j)
{
	json_t *a = json_array();

	for (size_t i = 0; i < j->ntest_shops; i++) {
		const struct tree_node *t = &j->test_shops[i];

		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s}", "id",
		                                   (json_int_t)t->n.id, "name", t->n.name, "site",
		                                   t->site, "rang", t->rang));
	}
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
	if (rc == ST_CONFLICT || (rc == ST_REFUSED && j->refusal != NULL)) {
		refusal_reply(j, r);
		return;
	}
	if (rc != ST_OK) {
		http_reply_error(r, rc, NULL, NULL);
		return;
	}
	if (j->new_account) {
		const int counts[] = {j->done.nodes_added, j->done.shops_added, j->done.settings,
		                      j->done.settings,    j->done.templates,   0};

		o = json_pack("{s:s, s:s, s:b, s:o, s:o, s:{s:i, s:i}, s:{s:s, s:s}}", "account_id",
		              j->asked, "test_account_id", j->test_pspid, "new_account", 1,
		              "copied", copied_json(counts), "not_copied", not_copied_json(),
		              "added", "nodes", j->done.nodes_added, "shops", j->done.shops_added,
		              "administrator", "login", j->admin.u.login, "email",
		              j->admin.u.email);
		if (o == NULL)
			abort();
		http_reply_json(r, 201, o);
		return;
	}
	if (j->write) {
		const int counts[] = {j->done.nodes_added + j->done.nodes_renamed,
		                      j->done.shops_added + j->done.shops,
		                      j->done.settings,
		                      j->done.settings,
		                      j->done.templates,
		                      j->done.fraud_filters};

		o = json_pack("{s:s, s:s, s:b, s:o, s:o, s:{s:i, s:i}}", "account_id", j->pspid,
		              "test_account_id", j->test_pspid, "new_account", 0, "copied",
		              copied_json(counts), "not_copied", not_copied_json(), "added",
		              "nodes", j->done.nodes_added, "shops", j->done.shops_added);
	} else {
		const int counts[] = {j->plan.nodes,    j->plan.shops,     j->plan.settings,
		                      j->plan.settings, j->plan.templates, j->plan.fraud_filters};

		o = json_pack("{s:s, s:s, s:o, s:o, s:i, s:{s:i, s:i}, s:o}", "account_id",
		              j->pspid, "test_account_id", j->test_pspid, "copied",
		              copied_json(counts), "not_copied", not_copied_json(), "new_nodes",
		              j->plan.nodes_new, "kept", "contracts", j->plan.contracts,
		              "blocklist", j->plan.block_entries, "shops", test_shops_json(j));
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

/* nodes_each's: the test environment's shops, kept. */
static int
test_shop_keep(void *arg, const struct tree_node *t)
{
	struct copy_job *j = arg;

	if (t->n.level != LEVEL_SHOP)
		return ST_OK;
	j->test_shops = realloc(j->test_shops, (j->ntest_shops + 1) * sizeof(*j->test_shops));
	if (j->test_shops == NULL)
		abort();
	j->test_shops[j->ntest_shops++] = *t;
	return ST_OK;
}

static int
plan_run(struct work_job *w, struct store *st)
{
	struct copy_job *j = (struct copy_job *)w;
	int rc = copy_allowed(j, st);

	if (rc == ST_OK)
		rc = st->ops->env_copy_plan(st, j->who.brand_id, &j->plan);
	if (rc == ST_OK)
		rc = st->ops->nodes_each(st, j->who.brand_id, j->who.node_id, test_shop_keep, j);
	return rc;
}

/* The account id the request named: another brand's is ST_CONFLICT (account_id_taken); a
 * free one is a new account, which needs the request's administrator and shops. *fresh:
 * whether it is a new one. */
static int
account_id_check(struct copy_job *j, struct store *st, bool *fresh)
{
	int64_t other;
	int rc;

	*fresh = false;
	if (j->asked[0] == '\0' || strcmp(j->asked, j->pspid) == 0) {
		if (!j->new_fields)
			return ST_OK;
		j->refusal = "not_a_new_account";
		return ST_REFUSED;
	}
	rc = st->ops->brand_of_account_id(st, j->asked, &other);
	if (rc == ST_OK) {
		j->refusal = "account_id_taken";
		return ST_CONFLICT;
	}
	if (rc != ST_NOTFOUND)
		return rc;
	if (!j->new_fields) {
		j->refusal = "new_account_incomplete";
		return ST_REFUSED;
	}
	*fresh = true;
	return ST_OK;
}

static void
wrong_shop(struct copy_job *j, int64_t id, const char *problem)
{
	if (j->wrong_shops == NULL)
		j->wrong_shops = json_array();
	json_array_append_new(j->wrong_shops,
	                      json_pack("{s:I, s:s}", "id", (json_int_t)id, "problem", problem));
}

/* The request's shops against the test environment's: each once, none other. */
static int
shops_match(struct copy_job *j, struct store *st)
{
	int rc = st->ops->nodes_each(st, j->who.brand_id, j->who.node_id, test_shop_keep, j);

	for (size_t i = 0; rc == ST_OK && i < j->ntest_shops; i++) {
		bool named = false;

		for (size_t k = 0; k < j->nshops && !named; k++)
			named = j->shops[k].test_shop_id == j->test_shops[i].n.id;
		if (!named)
			wrong_shop(j, j->test_shops[i].n.id, "missing");
	}
	for (size_t k = 0; rc == ST_OK && k < j->nshops; k++) {
		bool known = false;

		for (size_t i = 0; i < j->ntest_shops && !known; i++)
			known = j->shops[k].test_shop_id == j->test_shops[i].n.id;
		if (!known)
			wrong_shop(j, j->shops[k].test_shop_id, "unknown");
	}
	if (rc == ST_OK && j->wrong_shops != NULL) {
		j->refusal = "shops_mismatch";
		rc = ST_REFUSED;
	}
	return rc;
}

/* Hasher: the checks of a new account, and its administrator's temporary password. The
 * members of the administrator the request left out are the requester's. */
static int
account_prepare(struct work_job *w, struct store *st)
{
	struct copy_job *j = (struct copy_job *)w;
	struct session u = session_as_user(&j->who);
	struct user_auth me;
	bool fresh;
	int rc = copy_allowed(j, st);

	if (rc == ST_OK)
		rc = account_id_check(j, st, &fresh);
	if (rc == ST_OK)
		rc = shops_match(j, st);
	if (rc == ST_OK)
		rc = st->ops->user_get(st, u.brand_id, u.user_id, &me);
	if (rc != ST_OK)
		return rc;
	if (!j->admin_has[0])
		memcpy(j->admin.u.name, me.u.name, sizeof(me.u.name));
	if (!j->admin_has[1])
		memcpy(j->admin.u.email, me.u.email, sizeof(me.u.email));
	if (!j->admin_has[2])
		memcpy(j->admin.u.mobile, me.u.mobile, sizeof(me.u.mobile));
	if (!j->admin_has[3])
		memcpy(j->admin.language, me.language, sizeof(me.language));
	if (!j->admin_has[4])
		memcpy(j->admin.time_zone, me.time_zone, sizeof(me.time_zone));
	crypto_wipe(me.u.password_hash, sizeof(me.u.password_hash));
	j->admin.u.profile = PROFILE_ADMIN;
	j->admin.u.must_change = true;
	crypto_password_generate(j->temp_password, API_TEMP_PASSWORD_LEN);
	return crypto_password_hash(j->admin.u.password_hash, j->temp_password);
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
	bool fresh;
	int rc = copy_allowed(j, st);

	/* Another account id: a brand's, or a new account the request does not describe. */
	if (rc == ST_OK)
		rc = account_id_check(j, st, &fresh);
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

/* Writer: the new production account, its first administrator (mailed their temporary
 * password), its test environment, and a line in both action logs: the requester's brand's
 * and the new account's. */
static int
account_run(struct work_job *w, struct store *st)
{
	struct copy_job *j = (struct copy_job *)w;
	struct session u = session_as_user(&j->who), by;
	struct env_new_account a = {.pspid = j->asked, .shops = j->shops, .nshops = j->nshops};
	int64_t now = clock_now_us(), new_twin;
	struct account acc;
	char details[512];
	bool fresh;
	int rc = copy_allowed(j, st);

	if (rc == ST_OK)
		rc = account_id_check(j, st, &fresh);
	if (rc == ST_OK)
		rc = st->ops->env_account_create(st, j->who.brand_id, &a, u.user_id, now, &j->done);
	if (rc == ST_CONFLICT)
		j->refusal = j->done.taken_shop != 0 ? "site_rang_taken" : "account_id_taken";
	if (rc == ST_INVALID) {
		j->refusal = "shops_mismatch"; /* the tree changed since the check */
		rc = ST_REFUSED;
	}
	if (rc == ST_OK)
		rc = st->ops->account_get(st, j->done.brand_id, &acc);
	if (rc != ST_OK)
		return rc;
	j->new_account = true;
	j->admin.u.brand_id = j->done.brand_id;
	j->admin.u.node_id = acc.node_id;
	rc = st->ops->user_insert(st, &j->admin.u, now);
	if (rc == ST_CONFLICT)
		j->refusal = "login_taken";
	if (rc == ST_OK)
		rc = st->ops->user_update(st, &j->admin);
	if (rc == ST_OK)
		rc = api_user_mail_password(st, &j->admin, j->temp_password, false);
	crypto_wipe(j->temp_password, sizeof(j->temp_password));
	if (rc == ST_OK)
		rc = st->ops->env_twin_make(st, j->done.brand_id, now, &new_twin);
	if (rc == ST_OK && j->done.templates > 0)
		rc = st->ops->page_themes_each(st, theme_keep, j);
	snprintf(details, sizeof(details),
	         "account_id: %s; new_account: true; from: %s; administrator: %s; nodes_added: "
	         "%d; shops_added: %d; shop_settings: %d; page_templates: %d",
	         j->asked, j->test_pspid, j->admin.u.login, j->done.nodes_added,
	         j->done.shops_added, j->done.settings, j->done.templates);
	api_action_add(st, &u, now, "production_account_created", details, NULL, &rc);
	/* The new account's log begins with it: by the requester, a user of another account
	 * (no user id of this one), done to its first administrator. */
	by = u;
	by.brand_id = j->done.brand_id;
	by.user_id = 0;
	api_action_add(st, &by, now, "production_account_created", details, &j->admin.u, &rc);
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

/* The request's administrator (an object: login, and optionally name, email, mobile,
 * language, time_zone), every bad member into errors as "administrator.<member>". */
static void
admin_parse(struct copy_job *j, json_t *v, json_t *errors)
{
	static const char *const members[] = {"login",    "name",      "email", "mobile",
	                                      "language", "time_zone", NULL};
	static const char *const fields[] = {"administrator.login",    "administrator.name",
	                                     "administrator.email",    "administrator.mobile",
	                                     "administrator.language", "administrator.time_zone",
	                                     "administrator.profile",  "administrator.node_id"};
	json_t *mine, *e;
	const char *key;
	size_t i;

	if (!json_is_object(v)) {
		json_field_error(errors, "administrator", false,
		                 "administrator is an object: login, and optionally name, email, "
		                 "mobile, language, time_zone.");
		return;
	}
	json_object_foreach(v, key, e)
	{
		size_t k = 0;

		while (members[k] != NULL && strcmp(members[k], key) != 0)
			k++;
		if (members[k] == NULL) {
			json_field_error(
			        errors, "administrator", false,
			        "administrator takes login, name, email, mobile, language "
			        "and time_zone only (the first administrator's profile and "
			        "node are the account's top).");
			return;
		}
	}
	mine = json_array();
	api_user_form(v, &j->admin, mine);
	json_array_foreach(mine, i, e)
	{
		const char *f = json_string_value(json_object_get(e, "field"));
		const char *name = "administrator";

		for (size_t k = 0; f != NULL && k < sizeof(fields) / sizeof(fields[0]); k++)
			if (strcmp(fields[k] + strlen("administrator."), f) == 0)
				name = fields[k];
		json_field_error(
		        errors, name,
		        strcmp(json_string_value(json_object_get(e, "error")), "required") == 0,
		        json_string_value(json_object_get(e, "message")));
	}
	json_decref(mine);
	for (size_t k = 1; k < 6; k++)
		j->admin_has[k - 1] = json_object_get(v, members[k]) != NULL;
}

/* The request's shops: [{"id": a test shop, "site": 7 digits, "rang": 2 or 3}], each test
 * shop and each SITE and RANG once. */
static void
shops_parse(struct copy_job *j, json_t *v, json_t *errors)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 0;
	const char *bad = NULL;

	if (!json_is_array(v) || n == 0 || n > NEW_ACCOUNT_SHOPS_MAX) {
		json_field_error(errors, "shops", false,
		                 "shops is a list of 1 to 1000 objects {\"id\", \"site\", "
		                 "\"rang\"}: each shop of the test environment with its new SITE "
		                 "and RANG.");
		return;
	}
	j->shops = calloc(n, sizeof(*j->shops));
	if (j->shops == NULL)
		abort();
	for (size_t i = 0; i < n && bad == NULL; i++) {
		json_t *o = json_array_get(v, i), *id = json_object_get(o, "id");
		const char *site = json_string_value(json_object_get(o, "site"));
		const char *rang = json_string_value(json_object_get(o, "rang"));
		struct env_new_shop *ns = &j->shops[i];

		if (!json_is_object(o) || json_object_size(o) != 3 || !json_is_integer(id) ||
		    json_integer_value(id) <= 0)
			bad = "Each of shops is {\"id\": a shop of the test environment, \"site\", "
			      "\"rang\"}.";
		else if (site == NULL || rang == NULL || strlen(site) != 7 || strlen(rang) < 2 ||
		         strlen(rang) > 3 || strspn(site, "0123456789") != 7 ||
		         strspn(rang, "0123456789") != strlen(rang) ||
		         pbx_site_rang(site, rang, ns->site, ns->rang) != ST_OK)
			bad = "A shop's site is 7 digits and its rang 2 or 3, as the acquirer gave "
			      "them.";
		ns->test_shop_id = bad == NULL ? json_integer_value(id) : 0;
		for (size_t k = 0; k < i && bad == NULL; k++) {
			if (j->shops[k].test_shop_id == ns->test_shop_id)
				bad = "shops names a shop twice.";
			else if (strcmp(j->shops[k].site, ns->site) == 0 &&
			         strcmp(j->shops[k].rang, ns->rang) == 0)
				bad = "Two shops have the same SITE and RANG.";
		}
		j->nshops = i + 1;
	}
	if (bad != NULL)
		json_field_error(errors, "shops", false, bad);
}

int
api_env_copy(struct req *r)
{
	static const char *const members[] = {"account_id", "administrator", "shops", NULL};
	struct copy_job *j;
	json_t *o, *v, *errors;

	if ((o = json_body_object(r, true)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	if (refuse_production(r)) {
		json_decref(o);
		return 0;
	}
	j = copy_new(r);
	j->write = true;
	/* Every bad member at once. */
	errors = json_array();
	v = json_object_get(o, "account_id");
	if (v != NULL && (!json_is_string(v) || !account_id_valid(json_string_value(v))))
		json_field_error(errors, "account_id", false,
		                 "account_id is 1 to 32 letters, digits, '-', '_' or '.'.");
	else if (v != NULL)
		snprintf(j->asked, sizeof(j->asked), "%s", json_string_value(v));
	j->new_fields =
	        json_object_get(o, "administrator") != NULL || json_object_get(o, "shops") != NULL;
	if (j->new_fields) {
		if ((v = json_object_get(o, "administrator")) != NULL)
			admin_parse(j, v, errors);
		else
			json_field_error(errors, "administrator", true,
			                 "administrator is required with shops: the new account's "
			                 "first administrator.");
		if ((v = json_object_get(o, "shops")) != NULL)
			shops_parse(j, v, errors);
		else
			json_field_error(
			        errors, "shops", true,
			        "shops is required with administrator: each shop's new SITE "
			        "and RANG.");
	}
	json_decref(o);
	if (json_array_size(errors) > 0) {
		json_bad_fields(r, errors);
		json_decref(errors);
		copy_free(&j->base);
		return 0;
	}
	json_decref(errors);
	if (j->new_fields) {
		/* A new account: the checks and its administrator's password on a hasher. */
		j->base.work.run = account_prepare;
		j->base.hash = true;
		j->base.then_write = account_run;
		return http_submit_or_reply(r, &j->base, false);
	}
	j->base.work.run = copy_run;
	return http_submit_or_reply(r, &j->base, true);
}
