/*
 * org.c - organisation (store.h brand_insert, node_insert, shop_insert,
 * contract_insert, shops_each, contract_find, contract_touch_auth, nodes_each, contracts_each,
 * node_within, account_*; migrations 001, 019, 024): a brand and its account settings,
 * its tree of groups and shops, the shops as the shop cache loads them, and the contracts.
 *
 * Every payment finds its contract and touches it, and a blocked one walks the tree
 * (node_within); the demo's bulk install inserts thousands of rows: all kept prepared
 * (db_cached). Not the contracts' fraud filters (risk.c), nor a shop's configuration
 * (settings.c).
 */
#include <string.h>

#include "store/sql/db.h"

int
db_brand_insert(struct store *st, int64_t *id, const char *name, const char *pspid, int64_t now)
{
	static const char sql[] = "INSERT INTO brand(id, name, pspid, created_at) VALUES (?1, ?2, "
	                          "?3, ?4) RETURNING id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "brand_insert");

	if (rc != ST_OK)
		return rc;
	db_bind_id(s, 1, *id);
	db_bind_text(s, 2, name);
	db_bind_text(s, 3, pspid);
	stmt_bind_int64(s, 4, now);
	return db_insert(st, s, id, "brand_insert");
}

static void
account_read(struct stmt *s, int64_t brand_id, struct account *out)
{
	memset(out, 0, sizeof(*out));
	out->brand_id = brand_id;
	db_text_copy(out->name, sizeof(out->name), s, 0);
	db_text_copy(out->pspid, sizeof(out->pspid), s, 1);
	out->retention_days = stmt_int(s, 2);
	out->node_id = stmt_int64(s, 3);
	out->second_factor_required = stmt_int(s, 4) != 0;
}

int
db_account_get(struct store *st, int64_t brand_id, struct account *out)
{
	static const char sql[] =
	        "SELECT name, pspid, retention_days, (SELECT id FROM node WHERE brand_id = ?1 AND "
	        "parent_id IS NULL), second_factor_required FROM brand WHERE id = ?1";
	struct stmt *s;
	int src, rc = db_cached(st, sql, &s, "account_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	src = stmt_step(s);
	if (src == STMT_ROW)
		account_read(s, brand_id, out);
	rc = db_row_status(st, src, "account_get");
	stmt_reset(s);
	return rc;
}

int
db_account_set(struct store *st, const struct account *a)
{
	static const char sql[] =
	        "UPDATE brand SET retention_days = ?2, second_factor_required = ?3 WHERE id = ?1";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "account_set");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, a->brand_id);
	stmt_bind_int64(s, 2, a->retention_days);
	stmt_bind_int64(s, 3, a->second_factor_required);
	rc = db_run(st, s, "account_set");
	if (rc == ST_OK && db_changes(st) != 1)
		rc = ST_NOTFOUND;
	return rc;
}

/* --- the tree ------------------------------------------------------------------------------- */

int
db_node_insert(struct store *st, struct node *n, int64_t now)
{
	static const char sql[] = "INSERT INTO node(id, brand_id, parent_id, level, name, "
	                          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "node_insert");

	if (rc != ST_OK)
		return rc;
	db_bind_id(s, 1, n->id);
	stmt_bind_int64(s, 2, n->brand_id);
	db_bind_id(s, 3, n->parent_id);
	db_bind_text(s, 4, node_level_name(n->level));
	db_bind_text(s, 5, n->name);
	stmt_bind_int64(s, 6, now);
	return db_insert(st, s, &n->id, "node_insert");
}

int
db_shop_insert(struct store *st, const struct shop *sh, int64_t now)
{
	static const char sql[] = "INSERT INTO shop(id, brand_id, site, rang, name, created_at) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "shop_insert");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, sh->id);
	stmt_bind_int64(s, 2, sh->brand_id);
	db_bind_text(s, 3, sh->site);
	db_bind_text(s, 4, sh->rang);
	db_bind_text(s, 5, sh->name);
	stmt_bind_int64(s, 6, now);
	return db_run(st, s, "shop_insert");
}

/* Reads a tree node of brand_id and its shop's SITE and RANG ("" for a group). */
static void
tree_node_read(struct stmt *s, int64_t brand_id, struct tree_node *t)
{
	memset(t, 0, sizeof(*t));
	t->n.id = stmt_int64(s, 0);
	t->n.brand_id = brand_id;
	t->n.parent_id = stmt_int64(s, 1);
	t->n.level = node_level_parse((const char *)stmt_text(s, 2));
	db_text_copy(t->n.name, sizeof(t->n.name), s, 3);
	db_text_copy(t->site, sizeof(t->site), s, 4);
	db_text_copy(t->rang, sizeof(t->rang), s, 5);
}

int
db_nodes_each(struct store *st, int64_t brand_id, int64_t node_id, store_node_cb cb, void *arg)
{
	static const char sql[] =
	        "WITH RECURSIVE sub(id, path) AS (SELECT id, CAST(10000000000 + id AS TEXT) FROM "
	        "node WHERE "
	        "brand_id = ?1 AND id = ?2 UNION ALL SELECT n.id, sub.path || '/' || "
	        "CAST(10000000000 + n.id AS TEXT) FROM node n JOIN sub ON n.parent_id = sub.id "
	        "WHERE "
	        "n.brand_id = ?1) SELECT n.id, coalesce(n.parent_id, 0), n.level, n.name, "
	        "coalesce(s.site, ''), coalesce(s.rang, '') FROM sub JOIN node n ON n.id = "
	        "sub.id LEFT JOIN shop s ON s.id = n.id ORDER BY sub.path";
	struct tree_node t;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "nodes_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, node_id);
	while (db_next(st, s, &rc, "nodes_each")) {
		tree_node_read(s, brand_id, &t);
		rc = cb(arg, &t);
	}
	stmt_reset(s);
	return rc;
}

int
db_node_within(struct store *st, int64_t brand_id, int64_t ancestor, int64_t node, bool *within)
{
	static const char sql[] =
	        "WITH RECURSIVE up(id, parent) AS (SELECT id, parent_id FROM node WHERE "
	        "brand_id = ?1 AND id = ?3 UNION ALL SELECT n.id, n.parent_id FROM node n "
	        "JOIN up ON n.id = up.parent WHERE n.brand_id = ?1) SELECT 1 FROM up WHERE id = ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "node_within");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, ancestor);
	stmt_bind_int64(s, 3, node);
	*within = false;
	rc = db_one_row(st, s, db_bool_read, within, "node_within");
	return rc == ST_NOTFOUND ? ST_OK : rc;
}

/* --- shops ---------------------------------------------------------------------------------- */

/* Reads a shop and its active key (of its environment), when there is one that fits. */
static void
shop_auth_read(struct stmt *s, struct shop_auth *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->shop.id = stmt_int64(s, 0);
	sa->shop.brand_id = stmt_int64(s, 1);
	db_text_copy(sa->shop.site, sizeof(sa->shop.site), s, 2);
	db_text_copy(sa->shop.rang, sizeof(sa->shop.rang), s, 3);
	db_text_copy(sa->shop.name, sizeof(sa->shop.name), s, 4);
	sa->test = stmt_int(s, 8) != 0;
	if (!stmt_is_null(s, 5)) {
		size_t n = (size_t)stmt_bytes(s, 5);

		if (n <= sizeof(sa->key_sealed)) {
			memcpy(sa->key_sealed, stmt_blob(s, 5), n);
			sa->key_sealed_len = n;
			sa->has_key = true;
			sa->key_id = stmt_int64(s, 6);
			sa->key_used = stmt_int(s, 7) != 0;
		}
	}
}

int
db_shops_each(struct store *st, store_shop_cb cb, void *arg)
{
	/* The active key: notify.c's shop_notify_target finds it the same way. */
	static const char sql[] =
	        "SELECT s.id, s.brand_id, s.site, s.rang, s.name, k.key_sealed, k.id, k.status = "
	        "'used', s.env = 'test' FROM shop s LEFT JOIN hmac_key k ON k.id = (SELECT k2.id "
	        "FROM hmac_key k2 WHERE k2.brand_id = s.brand_id AND k2.shop_id = s.id AND k2.env "
	        "= "
	        "s.env AND "
	        "k2.status IN ('activated', 'used') ORDER BY k2.activated_at DESC, k2.id DESC "
	        "LIMIT 1) ORDER BY s.id";
	struct shop_auth sa;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "shops_each");

	if (rc != ST_OK)
		return rc;
	while (db_next(st, s, &rc, "shops_each")) {
		shop_auth_read(s, &sa);
		rc = cb(arg, &sa);
	}
	stmt_reset(s);
	return rc;
}

/* --- contracts ------------------------------------------------------------------------------ */

int
db_contract_insert(struct store *st, struct contract *c, int64_t now)
{
	static const char sql[] =
	        "INSERT INTO contract(id, brand_id, shop_id, method, number, rang, label, "
	        "bank_code, currency, amount_min, amount_max, deferral_days, tds, active, "
	        "report_email, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	        "?12, ?13, ?14, ?15, ?16) RETURNING id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "contract_insert");

	if (rc != ST_OK)
		return rc;
	db_bind_id(s, 1, c->id);
	stmt_bind_int64(s, 2, c->brand_id);
	stmt_bind_int64(s, 3, c->shop_id);
	db_bind_text(s, 4, card_method_name(c->method));
	db_bind_text(s, 5, c->number);
	db_bind_text(s, 6, c->rang);
	db_bind_text(s, 7, c->label);
	db_bind_text(s, 8, c->bank_code);
	db_bind_text(s, 9, c->currency);
	stmt_bind_int64(s, 10, c->amount_min);
	stmt_bind_int64(s, 11, c->amount_max);
	stmt_bind_int64(s, 12, c->deferral_days);
	stmt_bind_int64(s, 13, c->tds);
	stmt_bind_int64(s, 14, c->active);
	db_bind_text(s, 15, c->report_email);
	stmt_bind_int64(s, 16, now);
	return db_insert(st, s, &c->id, "contract_insert");
}

/* The columns contract_read reads, first in a row: id, brand_id, shop_id, method, number, rang,
 * label, bank_code, currency, amount_min, amount_max, deferral_days, tds, active,
 * report_email; the fraud filters (FF_COLS) are read apart, where each statement has them. */
#define CONTRACT_NCOLS 15

static void
contract_read(struct stmt *s, struct contract *c)
{
	char m[16];

	memset(c, 0, sizeof(*c));
	c->id = stmt_int64(s, 0);
	c->brand_id = stmt_int64(s, 1);
	c->shop_id = stmt_int64(s, 2);
	db_text_copy(m, sizeof(m), s, 3);
	c->method = card_method_parse(m);
	db_text_copy(c->number, sizeof(c->number), s, 4);
	db_text_copy(c->rang, sizeof(c->rang), s, 5);
	db_text_copy(c->label, sizeof(c->label), s, 6);
	db_text_copy(c->bank_code, sizeof(c->bank_code), s, 7);
	db_text_copy(c->currency, sizeof(c->currency), s, 8);
	c->amount_min = stmt_int64(s, 9);
	c->amount_max = stmt_int64(s, 10);
	c->deferral_days = stmt_int(s, 11);
	c->tds = stmt_int(s, 12) != 0;
	c->active = stmt_int(s, 13) != 0;
	db_text_copy(c->report_email, sizeof(c->report_email), s, 14);
}

int
db_contract_find(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method method,
                 struct contract *c)
{
	static const char sql[] = "SELECT id, brand_id, shop_id, method, number, rang, label, "
	                          "bank_code, currency, amount_min, amount_max, deferral_days, "
	                          "tds, active, report_email, " FF_COLS " FROM contract WHERE "
	                          "brand_id = ?1 AND shop_id = ?2 AND method = ?3 ORDER BY active "
	                          "DESC, id LIMIT 1";
	struct stmt *s;
	int src, rc = db_cached(st, sql, &s, "contract_find");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	db_bind_text(s, 3, card_method_name(method));
	src = stmt_step(s);
	if (src == STMT_ROW) {
		contract_read(s, c);
		db_filters_read(s, CONTRACT_NCOLS, &c->filters);
	}
	rc = db_row_status(st, src, "contract_find");
	stmt_reset(s);
	return rc;
}

int
db_contract_touch_auth(struct store *st, int64_t brand_id, int64_t contract_id, int64_t now)
{
	return db_touch_hold(st, brand_id, contract_id, now);
}

/* Reads a row of contracts_each's statement: the contract, then what the back office shows
 * beside it. */
static void
contract_view_read(struct stmt *s, struct contract_view *v)
{
	int i = CONTRACT_NCOLS;

	memset(v, 0, sizeof(*v));
	contract_read(s, &v->c);
	db_text_copy(v->shop_name, sizeof(v->shop_name), s, i++);
	db_text_copy(v->site, sizeof(v->site), s, i++);
	db_text_copy(v->brand_name, sizeof(v->brand_name), s, i++);
	db_text_copy(v->telecollect_no, sizeof(v->telecollect_no), s, i++);
	v->test_mode = stmt_int(s, i++) != 0;
	v->created_at = stmt_int64(s, i++);
	v->last_auth_at = stmt_int64(s, i++);
	v->deactivated_at = stmt_int64(s, i++);
	v->test_date = stmt_int64(s, i++);
	v->last_batch_at = stmt_int64(s, i++);
	v->last_batch_number = stmt_int64(s, i++);
	db_filters_read(s, i, &v->c.filters);
}

int
db_contracts_each(struct store *st, int64_t brand_id, int64_t node_id, int64_t id,
                  store_contract_cb cb, void *arg)
{
	static const char sql[] = DB_SUBTREE
	        "SELECT c.id, c.brand_id, c.shop_id, c.method, c.number, c.rang, "
	        "c.label, c.bank_code, c.currency, c.amount_min, c.amount_max, c.deferral_days, "
	        "c.tds, c.active, c.report_email, s.name, s.site, b.name, c.telecollect_no, "
	        "c.test_mode, c.created_at, coalesce(c.last_auth_at, 0), "
	        "coalesce(c.deactivated_at, 0), coalesce(c.test_date, 0), "
	        "coalesce((SELECT max(created_at) FROM batch WHERE contract_id = c.id), 0), "
	        "coalesce((SELECT max(number) FROM batch WHERE contract_id = c.id), 0), "
	        "c." FF_COLS_C " FROM contract c JOIN shop s ON s.id = c.shop_id JOIN brand b ON "
	        "b.id = c.brand_id WHERE c.brand_id = ?1 AND c.shop_id IN (SELECT id FROM sub) AND "
	        "(?3 = 0 OR c.id = ?3) ORDER BY s.id, c.id";
	struct contract_view v;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "contracts_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, node_id);
	stmt_bind_int64(s, 3, id);
	while (db_next(st, s, &rc, "contracts_each")) {
		contract_view_read(s, &v);
		rc = cb(arg, &v);
	}
	stmt_reset(s);
	return rc;
}
