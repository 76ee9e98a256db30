/*
 * env_copy.c - "Create production account" (Ingenico guide §3.2.9; store.h env_copy_plan,
 * env_production_copy; docs/ENVIRONMENTS.md): a test environment's configuration written onto
 * its production brand, by the twin links of its nodes.
 *
 * What is copied: the tree's names, the shops' names and URLs, nodes and shops made in test
 * only (made in production, their twin link set), the shops' general configuration (the
 * return URLs, the addresses, the notification URL), the hosted page's templates and the
 * contracts' fraud filters (onto the production contract of the same shop, method, number and
 * currency). Not: the contracts themselves (payment methods, 3-D Secure), the keys, the users,
 * the blocklist, transactions or anything made by payments. Each statement writes only the
 * rows that differ, so a second copy of an unchanged test environment writes nothing; a
 * written row's version grows (an editor holding the older one is refused, no lost update).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "store/sql/db.h"

/* ?1 the production brand, ?2 its twin, ?3 now, ?4 the user (the updated_by of what is
 * written): each statement returns a row per row written, counted. */

#define SETTINGS_FIELDS                                                                            \
	"ticket_email, report_email, integrator_email, url_accepted, url_refused, url_cancelled, " \
	"url_pending, url_notify, immediate_return"
#define THEME_FIELDS                                                                               \
	"primary_color, background_color, title_fr, title_en, footer_fr, footer_en, logo, "        \
	"logo_type, token"

static const char names_sql[] =
        "UPDATE node SET name = (SELECT t.name FROM node t WHERE t.brand_id = ?2 AND t.twin_id = "
        "node.id) WHERE brand_id = ?1 AND EXISTS (SELECT 1 FROM node t WHERE t.brand_id = ?2 "
        "AND t.twin_id = node.id AND t.name <> node.name) RETURNING 1";

static const char shops_sql[] =
        "UPDATE shop SET name = (SELECT t.name FROM shop t JOIN node n ON n.id = t.id WHERE "
        "n.brand_id = ?2 AND n.twin_id = shop.id), url = (SELECT t.url FROM shop t JOIN node n "
        "ON n.id = t.id WHERE n.brand_id = ?2 AND n.twin_id = shop.id) WHERE brand_id = ?1 AND "
        "EXISTS (SELECT 1 FROM shop t JOIN node n ON n.id = t.id WHERE n.brand_id = ?2 AND "
        "n.twin_id = shop.id AND (t.name <> shop.name OR t.url <> shop.url)) RETURNING 1";

/* The test shop's settings onto its production twin: updated when they differ, then inserted
 * where production has none (not an upsert: SQLite matches no conflict target naming
 * shop_settings' shop_id, its rowid). */
static const char settings_sql[] =
        "UPDATE shop_settings SET ticket_email = t.ticket_email, report_email = t.report_email, "
        "integrator_email = t.integrator_email, url_accepted = t.url_accepted, url_refused = "
        "t.url_refused, url_cancelled = t.url_cancelled, url_pending = t.url_pending, "
        "url_notify = t.url_notify, immediate_return = t.immediate_return, version = "
        "shop_settings.version + 1, updated_at = ?3, updated_by = ?4 FROM shop_settings t JOIN "
        "node n ON n.brand_id = ?2 AND n.id = t.shop_id WHERE shop_settings.brand_id = ?1 AND "
        "t.brand_id = ?2 AND n.twin_id = shop_settings.shop_id AND (t.ticket_email <> "
        "shop_settings.ticket_email OR t.report_email <> shop_settings.report_email OR "
        "t.integrator_email <> shop_settings.integrator_email OR t.url_accepted <> "
        "shop_settings.url_accepted OR t.url_refused <> shop_settings.url_refused OR "
        "t.url_cancelled <> shop_settings.url_cancelled OR t.url_pending <> "
        "shop_settings.url_pending OR t.url_notify <> shop_settings.url_notify OR "
        "t.immediate_return <> shop_settings.immediate_return) RETURNING 1";

static const char settings_new_sql[] =
        "INSERT INTO shop_settings(shop_id, brand_id, " SETTINGS_FIELDS
        ", version, updated_at, updated_by) SELECT n.twin_id, ?1, s.ticket_email, "
        "s.report_email, s.integrator_email, s.url_accepted, s.url_refused, s.url_cancelled, "
        "s.url_pending, s.url_notify, s.immediate_return, 1, ?3, ?4 FROM shop_settings s JOIN "
        "node n ON n.brand_id = ?2 AND n.id = s.shop_id WHERE s.brand_id = ?2 AND n.twin_id IS "
        "NOT NULL AND NOT EXISTS (SELECT 1 FROM shop_settings x WHERE x.brand_id = ?1 AND "
        "x.shop_id = n.twin_id) RETURNING 1";

/* A production shop whose test twin has the defaults (no row): back to the defaults. */
static const char settings_reset_sql[] =
        "UPDATE shop_settings SET ticket_email = '', report_email = '', integrator_email = '', "
        "url_accepted = '', url_refused = '', url_cancelled = '', url_pending = '', url_notify "
        "= '', immediate_return = 0, version = version + 1, updated_at = ?3, updated_by = ?4 "
        "WHERE brand_id = ?1 AND EXISTS (SELECT 1 FROM node t WHERE t.brand_id = ?2 AND "
        "t.twin_id = shop_settings.shop_id AND NOT EXISTS (SELECT 1 FROM shop_settings x WHERE "
        "x.brand_id = ?2 AND x.shop_id = t.id)) AND (ticket_email <> '' OR report_email <> '' "
        "OR integrator_email <> '' OR url_accepted <> '' OR url_refused <> '' OR url_cancelled "
        "<> '' OR url_pending <> '' OR url_notify <> '' OR immediate_return <> 0) RETURNING 1";

/* The test shop's template onto its production twin. Its token is new at each change of the
 * test template (hosted_theme.c), so a token that differs is a template that does, and the
 * production template takes the test one's token: its URLs (/pay/theme/{shop}/{token}) name
 * the production shop, and the same token always comes with the same content. */
static const char theme_sql[] =
        "INSERT INTO page_theme(brand_id, shop_id, " THEME_FIELDS
        ", version, updated_at, updated_by) SELECT ?1, n.twin_id, p.primary_color, "
        "p.background_color, p.title_fr, p.title_en, p.footer_fr, p.footer_en, p.logo, "
        "p.logo_type, p.token, 1, ?3, ?4 FROM page_theme p JOIN node n ON n.brand_id = ?2 AND "
        "n.id = p.shop_id WHERE p.brand_id = ?2 AND n.twin_id IS NOT NULL ON CONFLICT(brand_id, "
        "shop_id) DO UPDATE SET primary_color = excluded.primary_color, background_color = "
        "excluded.background_color, title_fr = excluded.title_fr, title_en = excluded.title_en, "
        "footer_fr = excluded.footer_fr, footer_en = excluded.footer_en, logo = excluded.logo, "
        "logo_type = excluded.logo_type, token = excluded.token, version = page_theme.version + "
        "1, updated_at = excluded.updated_at, updated_by = excluded.updated_by WHERE "
        "page_theme.token <> excluded.token RETURNING 1";

/* A production template whose test twin has none: Guichet's page again (a reset keeps the
 * row, emptied, its version grown: hosted_theme.c). */
static const char theme_reset_sql[] =
        "UPDATE page_theme SET primary_color = '', background_color = '', title_fr = '', "
        "title_en = '', footer_fr = '', footer_en = '', logo = NULL, logo_type = '', version = "
        "version + 1, updated_at = ?3, updated_by = ?4 WHERE brand_id = ?1 AND EXISTS (SELECT 1 "
        "FROM node t WHERE t.brand_id = ?2 AND t.twin_id = page_theme.shop_id AND NOT EXISTS "
        "(SELECT 1 FROM page_theme x WHERE x.brand_id = ?2 AND x.shop_id = t.id)) AND "
        "(primary_color <> '' OR background_color <> '' OR title_fr <> '' OR title_en <> '' OR "
        "footer_fr <> '' OR footer_en <> '' OR logo IS NOT NULL) RETURNING 1";

/* The fraud filters of each active production contract from the test contract of its shop's
 * twin with the same method, number and currency (the twin's contracts were copied from
 * production's: the contracts themselves are not copied). */
static const char filters_sql[] =
        "UPDATE contract SET ff_max_amount = t.ff_max_amount, ff_max_per_card_day = "
        "t.ff_max_per_card_day, ff_card_countries = t.ff_card_countries, ff_customer_countries "
        "= t.ff_customer_countries, ff_country_mismatch = t.ff_country_mismatch, ff_version = "
        "contract.ff_version + 1 FROM contract t JOIN node n ON n.brand_id = ?2 AND n.id = "
        "t.shop_id WHERE contract.brand_id = ?1 AND contract.deactivated_at IS NULL AND "
        "t.brand_id = ?2 AND t.deactivated_at IS NULL AND n.twin_id = contract.shop_id AND "
        "t.method = contract.method AND t.number = contract.number AND t.currency = "
        "contract.currency AND (t.ff_max_amount <> contract.ff_max_amount OR "
        "t.ff_max_per_card_day <> contract.ff_max_per_card_day OR t.ff_card_countries <> "
        "contract.ff_card_countries OR t.ff_customer_countries <> "
        "contract.ff_customer_countries OR t.ff_country_mismatch <> "
        "contract.ff_country_mismatch) RETURNING 1";

/* Runs sql with the copy's four parameters; *n: the rows it returned (written). */
static int
copy_run(struct store *st, const char *sql, int64_t prod, int64_t twin, int64_t now,
         int64_t user_id, int *n, const char *what)
{
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, what);

	*n = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, prod);
	stmt_bind_int64(s, 2, twin);
	stmt_bind_int64(s, 3, now);
	db_bind_id(s, 4, user_id);
	while (db_next(st, s, &rc, what))
		(*n)++;
	stmt_finalize(s);
	return rc;
}

/* The test environment's nodes without a production twin, by id (a parent before its
 * children: a node's parent is older), each made in production with its shop when it is one,
 * and linked. SITE and RANG name one shop per environment: one production already has is
 * ST_CONFLICT. */
static int
copy_new_nodes(struct store *st, int64_t prod, int64_t twin, int64_t now, int *nodes, int *shops)
{
	static const char list_sql[] =
	        "SELECT id FROM node WHERE brand_id = ?1 AND twin_id IS NULL ORDER BY id";
	static const char node_sql[] =
	        "INSERT INTO node(brand_id, parent_id, level, name, created_at, twin_id) SELECT "
	        "?1, (SELECT p.twin_id FROM node p WHERE p.brand_id = ?2 AND p.id = n.parent_id), "
	        "n.level, n.name, ?3, NULL FROM node n WHERE n.brand_id = ?2 AND n.id = ?4 "
	        "RETURNING id";
	static const char link_sql[] =
	        "UPDATE node SET twin_id = ?3 WHERE brand_id = ?1 AND id = ?2";
	static const char shop_sql[] =
	        "INSERT INTO shop(id, brand_id, site, rang, name, url, created_at, env) SELECT ?4, "
	        "?1, site, rang, name, url, ?3, 'production' FROM shop WHERE brand_id = ?2 AND id "
	        "= "
	        "?5 RETURNING 1";
	int64_t *ids, made;
	size_t n;
	struct stmt *s;
	int rc = db_env_ids(st, list_sql, twin, &ids, &n, "env_copy_new_nodes");
	int one;

	*nodes = *shops = 0;
	for (size_t i = 0; rc == ST_OK && i < n; i++) {
		rc = db_prepare(st, node_sql, &s, "env_copy_node");
		if (rc != ST_OK)
			break;
		stmt_bind_int64(s, 1, prod);
		stmt_bind_int64(s, 2, twin);
		stmt_bind_int64(s, 3, now);
		stmt_bind_int64(s, 4, ids[i]);
		made = 0;
		rc = db_insert_once(st, s, &made, "env_copy_node");
		if (rc != ST_OK)
			break;
		(*nodes)++;
		rc = db_prepare(st, shop_sql, &s, "env_copy_shop");
		if (rc != ST_OK)
			break;
		stmt_bind_int64(s, 1, prod);
		stmt_bind_int64(s, 2, twin);
		stmt_bind_int64(s, 3, now);
		stmt_bind_int64(s, 4, made);
		stmt_bind_int64(s, 5, ids[i]);
		one = 0;
		while (db_next(st, s, &rc, "env_copy_shop"))
			one++;
		stmt_finalize(s);
		*shops += one;
		if (rc == ST_OK)
			rc = db_run_ids(st, link_sql, twin, ids[i], made, "env_copy_link");
	}
	free(ids);
	return rc;
}

/* The copy's statements in their order, and the count of struct env_copy each adds to. */
static const struct {
	const char *sql, *what;
	size_t count;
} steps[] = {
        {names_sql, "env_copy_names", offsetof(struct env_copy, nodes_renamed)},
        {shops_sql, "env_copy_shops", offsetof(struct env_copy, shops)},
        {settings_sql, "env_copy_settings", offsetof(struct env_copy, settings)},
        {settings_new_sql, "env_copy_settings_new", offsetof(struct env_copy, settings)},
        {settings_reset_sql, "env_copy_settings_reset", offsetof(struct env_copy, settings)},
        {theme_sql, "env_copy_templates", offsetof(struct env_copy, templates)},
        {theme_reset_sql, "env_copy_templates_reset", offsetof(struct env_copy, templates)},
        {filters_sql, "env_copy_fraud_filters", offsetof(struct env_copy, fraud_filters)},
};

int
db_env_production_copy(struct store *st, int64_t twin, int64_t user_id, int64_t now,
                       struct env_copy *out)
{
	static const char prod_sql[] = "SELECT twin_id FROM brand WHERE id = ?1 AND env = 'test'";
	struct stmt *s;
	int64_t prod = 0;
	int rc = db_prepare(st, prod_sql, &s, "env_copy_brand"), n;

	*out = (struct env_copy){0};
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, twin);
	rc = db_one_row(st, s, db_int64_read, &prod, "env_copy_brand");
	stmt_finalize(s);
	if (rc != ST_OK)
		return rc;
	out->brand_id = prod;
	rc = copy_new_nodes(st, prod, twin, now, &out->nodes_added, &out->shops_added);
	for (size_t i = 0; rc == ST_OK && i < sizeof(steps) / sizeof(steps[0]); i++) {
		rc = copy_run(st, steps[i].sql, prod, twin, now, user_id, &n, steps[i].what);
		*(int *)((char *)out + steps[i].count) += n;
	}
	return rc;
}

/* One count of the plan: ?1 the twin. */
static int
plan_count(struct store *st, const char *sql, int64_t twin, int *n)
{
	struct stmt *s;
	int64_t v = 0;
	int rc = db_prepare(st, sql, &s, "env_copy_plan");

	*n = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, twin);
	rc = db_one_row(st, s, db_int64_read, &v, "env_copy_plan");
	stmt_finalize(s);
	*n = (int)v;
	return rc;
}

int
db_env_copy_plan(struct store *st, int64_t twin, struct env_copy_plan *out)
{
	static const char *const sql[] = {
	        "SELECT count(*) FROM node WHERE brand_id = ?1",
	        "SELECT count(*) FROM shop WHERE brand_id = ?1",
	        "SELECT count(*) FROM node WHERE brand_id = ?1 AND twin_id IS NULL",
	        "SELECT count(*) FROM shop_settings WHERE brand_id = ?1",
	        "SELECT count(*) FROM page_theme WHERE brand_id = ?1",
	        "SELECT count(*) FROM contract WHERE brand_id = ?1 AND deactivated_at IS NULL AND "
	        "(ff_max_amount <> 0 OR ff_max_per_card_day <> 0 OR ff_card_countries <> '' OR "
	        "ff_customer_countries <> '' OR ff_country_mismatch <> 0)",
	        "SELECT count(*) FROM contract WHERE brand_id = ?1 AND deactivated_at IS NULL",
	        "SELECT count(*) FROM block_entry WHERE brand_id = ?1",
	};
	int *const counts[] = {&out->nodes,     &out->shops,        &out->nodes_new,
	                       &out->settings,  &out->templates,    &out->fraud_filters,
	                       &out->contracts, &out->block_entries};
	int rc = ST_OK;

	*out = (struct env_copy_plan){0};
	for (size_t i = 0; rc == ST_OK && i < sizeof(sql) / sizeof(sql[0]); i++)
		rc = plan_count(st, sql[i], twin, counts[i]);
	return rc;
}

int
db_brand_of_account_id(struct store *st, const char *pspid, int64_t *brand_id)
{
	static const char sql[] = "SELECT id FROM brand WHERE pspid = ?1";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "brand_of_account_id");

	*brand_id = 0;
	if (rc != ST_OK)
		return rc;
	db_bind_text(s, 1, pspid);
	rc = db_one_row(st, s, db_int64_read, brand_id, "brand_of_account_id");
	stmt_finalize(s);
	return rc;
}

/* --- under another account id: a new production brand ------------------------------------ */

/* The new brand's shop of a test shop, its settings and its template, from the test shop's:
 * ?1 the new brand, ?2 the twin, ?3 now, ?4 the user, ?5 the new shop, ?6 the test shop. */
static const char new_settings_sql[] =
        "INSERT INTO shop_settings(shop_id, brand_id, " SETTINGS_FIELDS
        ", version, updated_at, updated_by) SELECT ?5, ?1, " SETTINGS_FIELDS
        ", 1, ?3, ?4 FROM shop_settings WHERE brand_id = ?2 AND shop_id = ?6 RETURNING 1";
static const char new_theme_sql[] =
        "INSERT INTO page_theme(brand_id, shop_id, " THEME_FIELDS
        ", version, updated_at, updated_by) SELECT ?1, ?5, " THEME_FIELDS
        ", 1, ?3, ?4 FROM page_theme WHERE brand_id = ?2 AND shop_id = ?6 RETURNING 1";

/* The twin's nodes, by id (a parent before its children: a node's parent is older), each
 * with whether it is a shop and, once made, the new brand's node. */
struct twin_node {
	int64_t id, parent, made;
	bool shop;
};
struct twin_nodes {
	struct twin_node *v;
	size_t n;
};

static int
twin_nodes_read(struct store *st, int64_t twin, struct twin_nodes *t)
{
	static const char sql[] = "SELECT id, parent_id, CASE WHEN level = 'shop' THEN 1 ELSE 0 "
	                          "END FROM node WHERE brand_id = ?1 ORDER BY id";
	size_t cap = 0;
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "env_account_nodes");

	*t = (struct twin_nodes){0};
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, twin);
	while (db_next(st, s, &rc, "env_account_nodes")) {
		if (t->n == cap) {
			cap = cap ? 2 * cap : 16;
			t->v = realloc(t->v, cap * sizeof(*t->v));
			if (t->v == NULL)
				abort();
		}
		t->v[t->n++] = (struct twin_node){
		        .id = stmt_int64(s, 0),
		        .parent = stmt_is_null(s, 1) ? 0 : stmt_int64(s, 1),
		        .shop = stmt_int64(s, 2) != 0,
		};
	}
	stmt_finalize(s);
	return rc;
}

/* The new node of the twin's node id, 0 when none was made (yet). */
static int64_t
twin_node_made(const struct twin_nodes *t, int64_t id)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].id == id)
			return t->v[mid].made;
		if (t->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The SITE and RANG a asks for the test shop id, NULL when a names none. */
static const struct env_new_shop *
new_shop_of(const struct env_new_account *a, int64_t id)
{
	for (size_t i = 0; i < a->nshops; i++)
		if (a->shops[i].test_shop_id == id)
			return &a->shops[i];
	return NULL;
}

/* One statement of the new brand's shop: its 6 parameters, *n its rows. */
static int
new_shop_run(struct store *st, const char *sql, const int64_t v[6], int *n, const char *what)
{
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, what);

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, v[0]);
	stmt_bind_int64(s, 2, v[1]);
	stmt_bind_int64(s, 3, v[2]);
	db_bind_id(s, 4, v[3]);
	stmt_bind_int64(s, 5, v[4]);
	stmt_bind_int64(s, 6, v[5]);
	while (db_next(st, s, &rc, what))
		(*n)++;
	stmt_finalize(s);
	return rc;
}

/* The twin's node i made in the new brand, with its shop when it is one. */
static int
new_node_make(struct store *st, int64_t brand, int64_t twin, const struct env_new_account *a,
              struct twin_node *tn, const struct twin_nodes *t, int64_t user_id, int64_t now,
              struct env_copy *out)
{
	static const char node_sql[] =
	        "INSERT INTO node(brand_id, parent_id, level, name, created_at) SELECT ?1, ?4, "
	        "level, name, ?3 FROM node WHERE brand_id = ?2 AND id = ?5 RETURNING id";
	static const char shop_sql[] =
	        "INSERT INTO shop(id, brand_id, site, rang, name, url, created_at, env) SELECT ?4, "
	        "?1, ?6, ?7, name, url, ?3, 'production' FROM shop WHERE brand_id = ?2 AND id = ?5 "
	        "RETURNING 1";
	int64_t parent = tn->parent != 0 ? twin_node_made(t, tn->parent) : 0;
	const struct env_new_shop *ns = new_shop_of(a, tn->id);
	int64_t v[6] = {brand, twin, now, user_id, 0, tn->id};
	struct stmt *s;
	int rc, shops = 0;

	if (tn->parent != 0 && parent == 0)
		return ST_INVALID; /* a parent younger than its child: never made so */
	rc = db_prepare(st, node_sql, &s, "env_account_node");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand);
	stmt_bind_int64(s, 2, twin);
	stmt_bind_int64(s, 3, now);
	db_bind_id(s, 4, parent);
	stmt_bind_int64(s, 5, tn->id);
	rc = db_insert_once(st, s, &tn->made, "env_account_node");
	if (rc == ST_OK)
		out->nodes_added++;
	if (rc != ST_OK || !tn->shop)
		return rc;
	if (ns == NULL)
		return ST_INVALID; /* a test shop the request gave no SITE and RANG */
	rc = db_prepare(st, shop_sql, &s, "env_account_shop");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand);
	stmt_bind_int64(s, 2, twin);
	stmt_bind_int64(s, 3, now);
	stmt_bind_int64(s, 4, tn->made);
	stmt_bind_int64(s, 5, tn->id);
	db_bind_text(s, 6, ns->site);
	db_bind_text(s, 7, ns->rang);
	while (db_next(st, s, &rc, "env_account_shop"))
		shops++;
	stmt_finalize(s);
	out->shops_added += shops;
	if (rc == ST_CONFLICT)
		out->taken_shop = tn->id;
	if (rc != ST_OK)
		return rc;
	v[4] = tn->made;
	rc = new_shop_run(st, new_settings_sql, v, &out->settings, "env_account_settings");
	if (rc == ST_OK)
		rc = new_shop_run(st, new_theme_sql, v, &out->templates, "env_account_template");
	return rc;
}

int
db_env_account_create(struct store *st, int64_t twin, const struct env_new_account *a,
                      int64_t user_id, int64_t now, struct env_copy *out)
{
	static const char brand_sql[] =
	        "INSERT INTO brand(name, pspid, created_at, retention_days, "
	        "second_factor_required, env) SELECT p.name, ?2, ?3, p.retention_days, "
	        "p.second_factor_required, 'production' FROM brand t JOIN brand p ON p.id = "
	        "t.twin_id WHERE t.id = ?1 AND t.env = 'test' RETURNING id";
	static const char count_sql[] = "SELECT count(*) FROM shop WHERE brand_id = ?1";
	struct twin_nodes t = {0};
	struct stmt *s;
	int shops, rc;

	*out = (struct env_copy){0};
	rc = plan_count(st, count_sql, twin, &shops);
	if (rc == ST_OK && (size_t)shops != a->nshops)
		rc = ST_INVALID; /* every test shop once: a names one twice, or another's */
	if (rc == ST_OK)
		rc = db_prepare(st, brand_sql, &s, "env_account_brand");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, twin);
	db_bind_text(s, 2, a->pspid);
	stmt_bind_int64(s, 3, now);
	rc = db_insert_once(st, s, &out->brand_id, "env_account_brand");
	if (rc == ST_OK)
		rc = twin_nodes_read(st, twin, &t);
	for (size_t i = 0; rc == ST_OK && i < t.n; i++)
		rc = new_node_make(st, out->brand_id, twin, a, &t.v[i], &t, user_id, now, out);
	if (rc == ST_OK && out->shops_added != (int)a->nshops)
		rc = ST_INVALID;
	free(t.v);
	return rc;
}
