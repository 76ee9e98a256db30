/*
 * settings.c - Parameters › General configuration and Subscribed options of a shop (Vision
 * manual §9.1.1, §9.1.2; SPEC §11):
 *
 *   GET /bo/api/shops/{id}/settings   the identifiers (SITE, RANG, the brand's account id, the
 *                                     shop's contracts and their states: read only) and what
 *                                     the merchant sets: the e-mails (payment ticket, daily
 *                                     report, integrator), the return URLs (accepted, refused,
 *                                     cancelled, pending), immediate return; with "version"
 *   PUT /bo/api/shops/{id}/settings   {"version", and any of those}: administrators only
 *   GET /bo/api/shops/{id}/options    the shop's payment methods (its contracts) and the
 *                                     options they give (3-D Secure, deferral, capture,
 *                                     recurring payments, virtual terminal …), read only
 *
 * A change names the version it was made from: one made from an older version (another
 * administrator saved meanwhile) is 409 conflict, nothing written, so no change is lost. Each
 * change is in the action log, one line per kind the manual lists (§11.2.1: "changement
 * d'email", "changement d'url", "retour vers site immédiat"), each field "before → after".
 * A shop outside the user's node, or another brand's, is 404. Not the rule of a URL
 * (domain/settings.h) nor the statements (store/sql/settings.c).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/json.h"
#include "api/render.h"
#include "common/buf.h"
#include "common/clock.h"
#include "domain/settings.h"

/* The fields the merchant sets, as the API names them, where they are kept, and the action
 * whose line says their change. */
enum field_kind { F_EMAIL, F_URL };
static const struct field {
	const char *name;
	size_t off, cap;
	enum field_kind kind;
	const char *action;
} fields[] = {
#define AT(name) offsetof(struct shop_settings, name), sizeof(((struct shop_settings *)0)->name)
        {"ticket_email", AT(ticket_email), F_EMAIL, "settings_emails_changed"},
        {"report_email", AT(report_email), F_EMAIL, "settings_emails_changed"},
        {"integrator_email", AT(integrator_email), F_EMAIL, "settings_emails_changed"},
        {"url_accepted", AT(url_accepted), F_URL, "settings_urls_changed"},
        {"url_refused", AT(url_refused), F_URL, "settings_urls_changed"},
        {"url_cancelled", AT(url_cancelled), F_URL, "settings_urls_changed"},
        {"url_pending", AT(url_pending), F_URL, "settings_urls_changed"},
        {"url_notify", AT(url_notify), F_URL, "settings_urls_changed"},
#undef AT
};
#define FIELDS_N        (sizeof(fields) / sizeof(fields[0]))
#define IMMEDIATE       "immediate_return"
#define IMMEDIATE_GIVEN (1u << FIELDS_N)

static char *
field_of(struct shop_settings *s, size_t i)
{
	return (char *)s + fields[i].off;
}

enum settings_op { SET_GET, SET_PUT, SET_OPTIONS };

struct settings_job {
	struct http_job base; /* first */
	enum settings_op op;
	struct session who;
	int64_t shop_id;
	struct shop_settings in; /* PUT: the members given (given's bits) */
	unsigned given;
	int64_t version;             /* PUT: the version the change was made from */
	const char *field, *message; /* 400 invalid_field */
	json_t *result;
};

bool
api_email_ascii(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return api_email_valid(s);
}

static void
settings_free(struct http_job *hj)
{
	struct settings_job *j = (struct settings_job *)hj;

	json_decref(j->result);
	free(j);
}

static void
settings_respond(struct http_job *hj, struct req *r)
{
	struct settings_job *j = (struct settings_job *)hj;
	int rc = j->base.work.rc;

	if (rc == ST_INVALID && j->field != NULL)
		json_bad_field(r, j->field, j->message);
	else if (rc == ST_CONFLICT)
		http_reply_error(
		        r, rc, "conflict",
		        "These settings were changed since you read them: read them again, "
		        "then make your change.");
	else if (rc == ST_NOTFOUND)
		http_reply_error(r, rc, NULL, "No such shop in your part of the tree.");
	else if (rc != ST_OK)
		http_reply_error(r, rc, NULL, NULL);
	else {
		http_reply_json(r, 200, j->result);
		j->result = NULL;
	}
}

/* --- the views ----------------------------------------------------------------------------- */

static json_t *
shop_json(const struct tree_node *shop)
{
	return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)shop->n.id, "name", shop->n.name,
	                 "site", shop->site, "rang", shop->rang);
}

static int
contract_push(void *arg, const struct contract_view *v)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:b, s:s}", "id", (json_int_t)v->c.id,
	                      "payment_method", card_method_name(v->c.method), "number",
	                      v->c.number, "active", v->c.active, "currency", v->c.currency);

	if (o == NULL)
		return ST_INTERNAL;
	json_array_append_new(arg, o);
	return ST_OK;
}

/* The general configuration of shop as the page shows it. */
static int
settings_render(struct settings_job *j, struct store *st, const struct tree_node *shop,
                const struct shop_settings *s)
{
	json_t *contracts = json_array();
	struct account a;
	int rc = st->ops->account_get(st, j->who.brand_id, &a);

	if (rc == ST_OK)
		rc = st->ops->contracts_each(st, j->who.brand_id, shop->n.id, 0, contract_push,
		                             contracts);
	if (rc != ST_OK) {
		json_decref(contracts);
		return rc;
	}
	j->result =
	        json_pack("{s:o, s:{s:s, s:s}, s:o, s:b, s:I, s:o, s:b}", "shop", shop_json(shop),
	                  "brand", "name", a.name, "pspid", a.pspid, "contracts", contracts,
	                  IMMEDIATE, s->immediate_return, "version", (json_int_t)s->version,
	                  "updated_at", json_instant_or_null(s->updated_at), "editable",
	                  routes_allow("PUT", "/bo/api/shops/{id}/settings", j->who.profile));
	if (j->result == NULL)
		return ST_INTERNAL;
	for (size_t i = 0; i < FIELDS_N; i++)
		json_object_set_new(j->result, fields[i].name,
		                    json_string(field_of((struct shop_settings *)s, i)));
	return ST_OK;
}

/* What a shop's contracts give it (§9.1.2), counted on its active ones. */
struct options_ctx {
	json_t *methods;
	bool any, tds, deferred, card, manual;
};

static int
option_push(void *arg, const struct contract_view *v)
{
	struct options_ctx *x = arg;
	json_t *o = json_pack("{s:I, s:s, s:s, s:b, s:s, s:I, s:I, s:b, s:i, s:s}", "contract_id",
	                      (json_int_t)v->c.id, "payment_method", card_method_name(v->c.method),
	                      "number", v->c.number, "active", v->c.active, "currency",
	                      v->c.currency, "amount_min", (json_int_t)v->c.amount_min,
	                      "amount_max", (json_int_t)v->c.amount_max, "three_d_secure", v->c.tds,
	                      "deferral_days", v->c.deferral_days, "capture",
	                      v->c.deferral_days > 0 ? "deferred" : "immediate");

	if (o == NULL)
		return ST_INTERNAL;
	json_array_append_new(x->methods, o);
	if (v->c.active) {
		x->any = true;
		x->tds |= v->c.tds;
		x->deferred |= v->c.deferral_days > 0;
		x->card |= v->c.method != METHOD_PAYPAL;
		x->manual |= card_method_manual(v->c.method);
	}
	return ST_OK;
}

static int
options_render(struct settings_job *j, struct store *st, const struct tree_node *shop)
{
	struct options_ctx x = {.methods = json_array()};
	int rc = st->ops->contracts_each(st, j->who.brand_id, shop->n.id, 0, option_push, &x);
	const struct {
		const char *code;
		bool on;
	} options[] = {
	        {"three_d_secure", x.tds},      {"deferred_capture", x.deferred},
	        {"authorization_only", x.any},  {"card_aliases", x.card},
	        {"installments", x.card},       {"subscriptions", x.card},
	        {"virtual_terminal", x.manual},
	};
	json_t *list = json_array();

	if (rc != ST_OK) {
		json_decref(x.methods);
		json_decref(list);
		return rc;
	}
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		json_array_append_new(list, json_pack("{s:s, s:b}", "code", options[i].code,
		                                      "subscribed", options[i].on));
	j->result = json_pack("{s:o, s:o, s:o}", "shop", shop_json(shop), "payment_methods",
	                      x.methods, "options", list);
	return j->result != NULL ? ST_OK : ST_INTERNAL;
}

/* --- the jobs ------------------------------------------------------------------------------ */

static int
read_run(struct work_job *w, struct store *st)
{
	struct settings_job *j = (struct settings_job *)w;
	struct shop_settings s;
	struct tree_node shop;
	int rc = api_shop_in_scope(st, &j->who, j->shop_id, &shop);

	if (rc == ST_OK && j->op == SET_OPTIONS)
		return options_render(j, st, &shop);
	if (rc == ST_OK)
		rc = st->ops->shop_settings_get(st, j->who.brand_id, shop.n.id, &s);
	if (rc == ST_OK)
		rc = settings_render(j, st, &shop, &s);
	return rc;
}

/* The action-log lines of a change from was to now: one per action of the fields that
 * changed, the shop named first. */
static int
settings_log(struct settings_job *j, struct store *st, const struct tree_node *shop,
             struct shop_settings *was, struct shop_settings *now, int64_t at)
{
	static const char *const actions[] = {"settings_emails_changed", "settings_urls_changed",
	                                      "settings_immediate_return_changed"};
	char label[128], details[ACTION_DETAILS_MAX];
	int rc = ST_OK;

	snprintf(label, sizeof(label), "%s (%s/%s)", shop->n.name, shop->site, shop->rang);
	for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
		for (int names_only = 0; names_only < 2; names_only++) {
			struct buf b;
			size_t start;

			buf_init(&b, sizeof(details) - 1);
			api_detail_add(&b, false, "shop", NULL, json_string(label));
			start = b.len;
			for (size_t i = 0; i < FIELDS_N; i++)
				if (strcmp(fields[i].action, actions[a]) == 0)
					api_detail_text(&b, names_only, fields[i].name,
					                field_of(was, i), field_of(now, i));
			if (a == 2 && was->immediate_return != now->immediate_return)
				api_detail_add(&b, names_only, IMMEDIATE,
				               json_boolean(was->immediate_return),
				               json_boolean(now->immediate_return));
			if (!b.failed) {
				if (b.len > start)
					api_action_add(st, &j->who, at, actions[a], b.data, NULL,
					               &rc);
				buf_cleanup(&b);
				break;
			}
			buf_cleanup(&b);
		}
	}
	return rc;
}

static bool
settings_differ(struct shop_settings *a, struct shop_settings *b)
{
	for (size_t i = 0; i < FIELDS_N; i++)
		if (strcmp(field_of(a, i), field_of(b, i)) != 0)
			return true;
	return a->immediate_return != b->immediate_return;
}

/* Writer: the settings read again in the change's transaction, its version checked. */
static int
write_run(struct work_job *w, struct store *st)
{
	struct settings_job *j = (struct settings_job *)w;
	struct shop_settings was, now;
	struct tree_node shop;
	int64_t at = clock_now_us();
	int rc = api_shop_in_scope(st, &j->who, j->shop_id, &shop);

	if (rc == ST_OK)
		rc = st->ops->shop_settings_get(st, j->who.brand_id, shop.n.id, &was);
	if (rc != ST_OK)
		return rc;
	if (j->version != was.version)
		return ST_CONFLICT;
	now = was;
	for (size_t i = 0; i < FIELDS_N; i++)
		if (j->given & (1u << i))
			memcpy(field_of(&now, i), field_of(&j->in, i), fields[i].cap);
	if (j->given & IMMEDIATE_GIVEN)
		now.immediate_return = j->in.immediate_return;
	/* Vision manual §9.1.1: immediate return sends the payer to the page given. */
	if (now.immediate_return && now.url_accepted[0] == '\0') {
		j->field = "url_accepted";
		j->message = "Immediate return to the site needs the URL of an accepted payment.";
		return ST_INVALID;
	}
	if (settings_differ(&was, &now)) {
		now.version = was.version + 1;
		now.updated_at = at;
		now.updated_by = j->who.user_id;
		rc = st->ops->shop_settings_put(st, &now, was.version);
		if (rc == ST_OK)
			rc = settings_log(j, st, &shop, &was, &now, at);
	}
	if (rc == ST_OK)
		rc = settings_render(j, st, &shop, &now);
	return rc;
}

static struct settings_job *
settings_new(struct req *r, enum settings_op op)
{
	struct settings_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->op = op;
	j->who = r->session;
	j->shop_id = r->path_id;
	j->base.respond = settings_respond;
	j->base.free = settings_free;
	j->base.work.run = op == SET_PUT ? write_run : read_run;
	return j;
}

int
api_settings_get(struct req *r)
{
	return http_submit_or_reply(r, &settings_new(r, SET_GET)->base, false);
}

int
api_options_get(struct req *r)
{
	return http_submit_or_reply(r, &settings_new(r, SET_OPTIONS)->base, false);
}

/* Reads the member of fields[i] into j->in: "" (none) or an address, or a return URL. */
static bool
take_field(struct req *r, json_t *o, struct settings_job *j, size_t i)
{
	json_t *v = json_object_get(o, fields[i].name);
	char *dst = field_of(&j->in, i);
	const char *s;

	if (v == NULL)
		return true;
	s = json_string_value(v);
	if (s != NULL && strlen(s) == json_string_length(v) && strlen(s) < fields[i].cap &&
	    (fields[i].kind == F_EMAIL ? s[0] == '\0' || api_email_ascii(s)
	                               : settings_url_valid(s))) {
		memcpy(dst, s, strlen(s) + 1);
		j->given |= 1u << i;
		return true;
	}
	json_bad_field(
	        r, fields[i].name,
	        fields[i].kind == F_EMAIL
	                ? "An e-mail address (name@domain.example) in ASCII, or \"\" for none."
	                : "An absolute https:// URL (http:// only to localhost), at most 512 "
	                  "bytes, or \"\" for none.");
	return false;
}

int
api_settings_put(struct req *r)
{
	static const char *members[FIELDS_N + 3];
	struct settings_job *j;
	json_t *o, *v;
	bool ok = true;

	for (size_t i = 0; i < FIELDS_N; i++)
		members[i] = fields[i].name;
	members[FIELDS_N] = IMMEDIATE;
	members[FIELDS_N + 1] = "version";
	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	j = settings_new(r, SET_PUT);
	v = json_object_get(o, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		json_bad_field(r, "version",
		               "version is required: the one of the settings the change was made "
		               "from.");
		ok = false;
	}
	j->version = ok ? json_integer_value(v) : 0;
	for (size_t i = 0; ok && i < FIELDS_N; i++)
		ok = take_field(r, o, j, i);
	v = json_object_get(o, IMMEDIATE);
	if (ok && v != NULL && !json_is_boolean(v)) {
		json_bad_field(r, IMMEDIATE, "immediate_return is true or false.");
		ok = false;
	}
	if (ok && v != NULL) {
		j->in.immediate_return = json_is_true(v);
		j->given |= IMMEDIATE_GIVEN;
	}
	json_decref(o);
	if (!ok) {
		settings_free(&j->base);
		return 0;
	}
	return http_submit_or_reply(r, &j->base, true);
}
