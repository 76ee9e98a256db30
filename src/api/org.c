/*
 * org.c - the tree navigation and the contracts (Vision manual §2.3, §9.2):
 *
 *   GET /bo/api/tree                   the user's node and everything below it, depth first
 *   GET /bo/api/contracts[?node=ID]    the contracts of the shops of a node and below
 *   GET /bo/api/contracts/export[?format=csv|txt][&node=ID]
 *                                      the same contracts as a file, with their details
 *   GET /bo/api/contracts/{id}         one contract's details (the tabs of §9.2.1)
 *
 * And api_scope, which every search taking node=ID uses: a node is seen only from itself or
 * above it, in its own brand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/csv.h"
#include "api/export_layout.h"
#include "api/json.h"
#include "api/query.h"
#include "api/render.h"
#include "common/buf.h"
#include "domain/calendar.h"
#include "domain/money.h"
#include "domain/tz.h"

/* A brand has a few contracts per shop: the export is made whole, within this. */
#define CONTRACTS_EXPORT_MAX (16 * 1024 * 1024)

int
api_scope(struct store *st, const struct session *who, int64_t requested, int64_t *out)
{
	bool within = false;
	int rc;

	if (requested == 0 || requested == who->node_id) {
		*out = who->node_id;
		return ST_OK;
	}
	rc = st->ops->node_within(st, who->brand_id, who->node_id, requested, &within);
	if (rc != ST_OK)
		return rc;
	if (!within)
		return ST_NOTFOUND;
	*out = requested;
	return ST_OK;
}

static int
shop_first(void *arg, const struct tree_node *t)
{
	struct tree_node *shop = arg;

	if (shop->n.id == 0)
		*shop = *t; /* the first one is the node asked for */
	return ST_OK;
}

int
api_shop_in_scope(struct store *st, const struct session *who, int64_t shop_id,
                  struct tree_node *out)
{
	int64_t node;
	int rc = shop_id > 0 ? api_scope(st, who, shop_id, &node) : ST_NOTFOUND;

	memset(out, 0, sizeof(*out));
	if (rc == ST_OK)
		rc = st->ops->nodes_each(st, who->brand_id, shop_id, shop_first, out);
	if (rc == ST_OK && (out->n.id != shop_id || out->n.level != LEVEL_SHOP))
		rc = ST_NOTFOUND;
	return rc;
}

const struct tz *
api_zone(const struct session *who)
{
	const struct tz *z = tz_find(who->time_zone);

	return z != NULL ? z : tz_default();
}

enum org_op { ORG_TREE, ORG_CONTRACTS, ORG_CONTRACT, ORG_CONTRACTS_EXPORT };

struct org_job {
	struct http_job base; /* first */
	struct session who;
	enum org_op op;
	int64_t node, id;
	bool txt;                  /* export: the TXT layout, else CSV */
	enum export_layout layout; /* export: layout= (export_layout.h) */
	json_t *result;
	struct buf file;       /* export */
	struct export_out out; /* export: how its cells are written */
};

static void
org_free(struct http_job *hj)
{
	struct org_job *j = (struct org_job *)hj;

	json_decref(j->result);
	buf_cleanup(&j->file);
	free(j);
}

static void
org_respond(struct http_job *hj, struct req *r)
{
	struct org_job *j = (struct org_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	if (j->op == ORG_CONTRACTS_EXPORT) {
		http_reply_download(
		        r, j->txt ? "text/plain; charset=utf-8" : "text/csv; charset=utf-8",
		        j->txt ? "contracts.txt" : "contracts.csv", j->file.data, j->file.len);
		return;
	}
	http_reply_json(r, 200, j->result);
	j->result = NULL;
}

static int
node_push(void *arg, const struct tree_node *t)
{
	json_t *o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)t->n.id, "level",
	                      node_level_name(t->n.level), "name", t->n.name);

	json_object_set_new(o, "parent_id",
	                    t->n.parent_id ? json_integer(t->n.parent_id) : json_null());
	json_object_set_new(o, "site", json_str_or_null(t->site));
	json_object_set_new(o, "rang", json_str_or_null(t->rang));
	json_array_append_new(arg, o);
	return ST_OK;
}

/* A contract as the list shows it. */
static json_t *
contract_json(const struct contract_view *v)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:I, s:s, s:s}", "id", (json_int_t)v->c.id,
	                 "number", v->c.number, "rang", v->c.rang, "payment_method",
	                 card_method_name(v->c.method), "bank_code", v->c.bank_code, "active",
	                 v->c.active, "shop_id", (json_int_t)v->c.shop_id, "shop_name",
	                 v->shop_name, "currency", v->c.currency);
}

static int
contract_push(void *arg, const struct contract_view *v)
{
	json_array_append_new(arg, contract_json(v));
	return ST_OK;
}

static int
contract_details(void *arg, const struct contract_view *v)
{
	json_t **out = arg;

	*out = contract_json(v);
	json_object_set_new(*out, "label", json_string(v->c.label));
	json_object_set_new(*out, "amount_min", json_integer(v->c.amount_min));
	json_object_set_new(*out, "amount_max", json_integer(v->c.amount_max));
	json_object_set_new(*out, "deferral_days", json_integer(v->c.deferral_days));
	json_object_set_new(*out, "three_d_secure", json_boolean(v->c.tds));
	json_object_set_new(*out, "created_at", json_instant_or_null(v->created_at));
	json_object_set_new(*out, "last_auth_at", json_instant_or_null(v->last_auth_at));
	json_object_set_new(*out, "deactivated_at", json_instant_or_null(v->deactivated_at));
	json_object_set_new(*out, "brand_name", json_string(v->brand_name));
	json_object_set_new(*out, "site", json_string(v->site));
	json_object_set_new(*out, "test_mode", json_boolean(v->test_mode));
	json_object_set_new(*out, "test_date", json_instant_or_null(v->test_date));
	json_object_set_new(*out, "telecollect_number", json_string(v->telecollect_no));
	json_object_set_new(*out, "report_email", json_str_or_null(v->c.report_email));
	json_object_set_new(*out, "last_batch_at", json_instant_or_null(v->last_batch_at));
	json_object_set_new(*out, "last_batch_number",
	                    v->last_batch_number ? json_integer(v->last_batch_number)
	                                         : json_null());
	/* Vision manual §9.2.1, last tab; changed by PUT …/fraud-filters (api/risk.c). */
	json_object_set_new(*out, "fraud_filters", fraud_filters_json(&v->c.filters));
	return ST_OK;
}

/* The export's columns: the list's, then the details of the Vision manual §9.2.1. */
static const char *const export_header[] = {"shop",
                                            "site",
                                            "rang",
                                            "payment_method",
                                            "number",
                                            "bank_code",
                                            "currency",
                                            "amount_min",
                                            "amount_max",
                                            "deferral_days",
                                            "three_d_secure",
                                            "state",
                                            "created_at",
                                            "last_auth_at",
                                            "deactivated_at",
                                            "test_mode",
                                            "telecollect_number",
                                            "report_email",
                                            NULL};

static void
export_field(struct org_job *j, const char *value, bool first)
{
	(void)first; /* the writer knows where its line is */
	export_put(&j->out, EK_TEXT, NULL, value);
}

/* Written in units ("1.00"): the machine's way here since the first export of contracts. */
static void
export_amount(struct org_job *j, int64_t amount, const char *code)
{
	const struct currency *cur = money_currency_find(code);
	char text[32] = "";

	if (cur != NULL && money_format_plain(amount, cur, text, sizeof(text)) < 0)
		text[0] = '\0';
	export_put(&j->out, EK_UNITS, NULL, text);
}

static void
export_instant(struct org_job *j, int64_t t_us)
{
	char text[26] = "";

	if (t_us != 0)
		tz_format_iso(api_zone(&j->who), t_us, text);
	export_put(&j->out, EK_INSTANT, NULL, text);
}

static void
export_word(struct org_job *j, const char *set, const char *code)
{
	export_put(&j->out, EK_WORD, set, code);
}

static int
contract_line(void *arg, const struct contract_view *v)
{
	struct org_job *j = arg;
	char days[12];

	export_field(j, v->shop_name, true);
	export_field(j, v->site, false);
	export_field(j, v->c.rang, false);
	export_field(j, card_method_name(v->c.method), false);
	export_field(j, v->c.number, false);
	export_field(j, v->c.bank_code, false);
	export_field(j, v->c.currency, false);
	export_amount(j, v->c.amount_min, v->c.currency);
	export_amount(j, v->c.amount_max, v->c.currency);
	snprintf(days, sizeof(days), "%d", v->c.deferral_days);
	export_field(j, days, false);
	export_word(j, "yes_no", v->c.tds ? "yes" : "no");
	export_word(j, "contract.state", v->c.active ? "active" : "inactive");
	export_instant(j, v->created_at);
	export_instant(j, v->last_auth_at);
	export_instant(j, v->deactivated_at);
	export_word(j, "yes_no", v->test_mode ? "yes" : "no");
	export_field(j, v->telecollect_no, false);
	export_field(j, v->c.report_email, false);
	export_out_row_end(&j->out);
	return j->file.failed ? ST_TOOBIG : ST_OK;
}

/* Reader: every contract of the node and below, as one file, instants in the user's zone. */
static int
contracts_export(struct org_job *j, struct store *st, int64_t node)
{
	int rc = export_out_init(&j->out, &j->file, j->layout, j->txt, st, &j->who);

	if (rc != ST_OK)
		return rc;
	buf_init(&j->file, CONTRACTS_EXPORT_MAX);
	export_out_header(&j->out, "contracts", export_header);
	return st->ops->contracts_each(st, j->who.brand_id, node, 0, contract_line, j);
}

static int
org_run(struct work_job *w, struct store *st)
{
	struct org_job *j = (struct org_job *)w;
	json_t *items = json_array();
	int64_t node;
	int rc = api_scope(st, &j->who, j->node, &node);

	if (rc == ST_OK && j->op == ORG_TREE) {
		rc = st->ops->nodes_each(st, j->who.brand_id, node, node_push, items);
		j->result = json_pack("{s:o}", "nodes", items);
		return rc;
	}
	if (rc == ST_OK && j->op == ORG_CONTRACTS_EXPORT) {
		json_decref(items);
		return contracts_export(j, st, node);
	}
	if (rc == ST_OK && j->op == ORG_CONTRACTS) {
		rc = st->ops->contracts_each(st, j->who.brand_id, node, 0, contract_push, items);
		j->result = json_pack("{s:o}", "items", items);
		return rc;
	}
	json_decref(items);
	if (rc == ST_OK)
		rc = st->ops->contracts_each(st, j->who.brand_id, node, j->id, contract_details,
		                             &j->result);
	if (rc == ST_OK && j->result == NULL)
		rc = ST_NOTFOUND;
	return rc;
}

static int
org_submit(struct req *r, enum org_op op)
{
	static const char *const with_node[] = {"node", NULL};
	static const char *const export_params[] = {"node", "format", "layout", NULL};
	static const char *const nothing[] = {NULL};
	const char *const *allowed = op == ORG_CONTRACTS          ? with_node
	                             : op == ORG_CONTRACTS_EXPORT ? export_params
	                                                          : nothing;
	struct org_job *j;
	char bad[24], node[24], format[12];
	int g;

	if (query_unknown(r, allowed, bad, sizeof(bad)) != 0) {
		json_bad_field(r, bad, "Unknown query parameter.");
		return 0;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		abort();
	j->who = r->session;
	j->op = op;
	j->id = r->path_id;
	g = query_get(r, "node", node, sizeof(node));
	if (g < 0 || (g == 1 && query_id(node, &j->node) != 0)) {
		free(j);
		json_bad_field(r, "node", "node is the id of a node of your tree.");
		return 0;
	}
	g = query_get(r, "format", format, sizeof(format));
	if (g < 0 || (g == 1 && strcmp(format, "csv") != 0 && strcmp(format, "txt") != 0)) {
		free(j);
		json_bad_field(r, "format", "format is csv or txt.");
		return 0;
	}
	j->txt = g == 1 && strcmp(format, "txt") == 0;
	g = query_get(r, "layout", format, sizeof(format));
	if (g < 0 || (g == 1 && export_layout_parse(format, &j->layout) != 0)) {
		free(j);
		json_bad_field(r, "layout", EXPORT_LAYOUT_HELP);
		return 0;
	}
	j->base.work.run = org_run;
	j->base.respond = org_respond;
	j->base.free = org_free;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_tree(struct req *r)
{
	return org_submit(r, ORG_TREE);
}

int
api_contracts_list(struct req *r)
{
	return org_submit(r, ORG_CONTRACTS);
}

int
api_contracts_export(struct req *r)
{
	return org_submit(r, ORG_CONTRACTS_EXPORT);
}

int
api_contracts_get(struct req *r)
{
	return org_submit(r, ORG_CONTRACT);
}
