/*
 * contact.c - what a user sends the operator of this Guichet (the support, --operator-email):
 * a request to open a payment method from the store (Vision manual §12) and the contact form
 * (§2.3.1; SPEC §14).
 *
 *   GET  /bo/api/shops/{id}/store  the methods Guichet knows (domain/card.h) that the shop has
 *                                  no contract for, each with its provider, a line on it in
 *                                  French and English, and the pending request, if any
 *   POST /bo/api/store/requests    {"shop_id","method","message"?} → 202: mailed to the
 *                                  operator; 409 already_open (the shop has a contract of
 *                                  it), 409 already_requested (asked within 7 days)
 *   GET  /bo/api/contact           what the form offers: the user's e-mail, their contracts
 *   POST /bo/api/contact           {"contract_id","email","subject"?,"details","copy"?} → 202:
 *                                  mailed to the operator, Reply-To the e-mail given, and a
 *                                  copy to that e-mail when asked
 *
 * Both mails go through the outbox in the transaction of their action-log line (store_request,
 * contact_sent), and name the brand's account id, the shop's SITE and RANG and the contract, as
 * the support needs them. A user sends at most LIMIT_OPERATOR_BURST of them at once, then one
 * every LIMIT_OPERATOR_EVERY_S (429 with Retry-After past it): the form writes mails with the
 * user's words to an address they type. Not the delivery (jobs/mailer.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/json.h"
#include "api/render.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/text.h"
#include "domain/calendar.h"
#include "domain/settings.h"

#define MAIL_BODY_MAX (LIMIT_CONTACT_DETAILS + 4096)

static const struct rate_limit operator_limit = {LIMIT_OPERATOR_BURST,
                                                 (int64_t)LIMIT_OPERATOR_EVERY_S *CAL_US_PER_S};

enum contact_op { C_STORE, C_REQUEST, C_FORM, C_SEND };

struct contact_job {
	struct http_job base; /* first */
	enum contact_op op;
	struct session who;
	const char *operator_email; /* the app's, which outlives the job */
	int64_t shop_id;            /* store, request */
	enum card_method method;    /* request */
	int64_t contract_id;        /* send */
	char email[SETTINGS_EMAIL_MAX + 1];
	char subject[LIMIT_CONTACT_SUBJECT + 1];
	char *text; /* the request's message or the form's details; heap */
	bool copy;
	bool taken; /* a share of the user's limit was taken */
	const char *why, *message;
	json_t *result;
};

static void
contact_free(struct http_job *hj)
{
	struct contact_job *j = (struct contact_job *)hj;

	json_decref(j->result);
	free(j->text);
	free(j);
}

/* The user's key in the limit: brand and user ids. */
static void
user_key(const struct session *who, int64_t key[2])
{
	key[0] = who->brand_id;
	key[1] = who->user_id;
}

static void
contact_respond(struct http_job *hj, struct req *r)
{
	struct contact_job *j = (struct contact_job *)hj;
	int rc = j->base.work.rc;
	int64_t key[2];

	if (rc != ST_OK && j->taken) {
		/* Refused: not a mail sent, so not counted. */
		user_key(&j->who, key);
		throttle_give_back(r->app->throttle, &operator_limit, 'o', key, sizeof(key),
		                   clock_now_us());
	}
	if (rc == ST_INVALID && j->why != NULL)
		json_bad_field(r, j->why, j->message);
	else if (rc != ST_OK)
		http_reply_error(r, rc, j->why, j->message);
	else {
		http_reply_json(r, j->op == C_REQUEST || j->op == C_SEND ? 202 : 200, j->result);
		j->result = NULL;
	}
}

static struct contact_job *
contact_new(struct req *r, enum contact_op op, int (*run)(struct work_job *, struct store *))
{
	struct contact_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->op = op;
	j->who = r->session;
	j->operator_email = r->app->operator_email;
	j->shop_id = r->path_id;
	j->base.respond = contact_respond;
	j->base.free = contact_free;
	j->base.work.run = run;
	return j;
}

/* Takes a share of the user's limit; false after answering 429. */
static bool
limit_take(struct req *r, struct contact_job *j)
{
	int64_t key[2];
	int retry = 0;
	bool first = false;

	user_key(&j->who, key);
	if (throttle_take(r->app->throttle, &operator_limit, 'o', key, sizeof(key), clock_now_us(),
	                  &retry, &first) != ST_OK) {
		if (first)
			log_info("event=operator_mail_throttled req=%s user=%lld retry_after=%d",
			         r->id, (long long)j->who.user_id, retry);
		http_reply_retry(r, ST_TOO_MANY, NULL,
		                 "Too many requests sent to the support: wait a little.", retry);
		return false;
	}
	j->taken = true;
	return true;
}

/* --- the mails ----------------------------------------------------------------------------- */

/* The lines every mail to the operator starts with: who, for which brand and shop. */
static void
mail_head(struct buf *b, const struct session *who, const struct account *a,
          const struct tree_node *shop, const char *email)
{
	char line[512];

	snprintf(line, sizeof(line),
	         "Enseigne / Brand: %s\nIdentifiant de compte / Account id (PSPID): %s\n"
	         "Boutique / Shop: %s\nSITE: %s\nRANG: %s\n",
	         a->name, a->pspid, shop->n.name, shop->site, shop->rang);
	buf_adds(b, line);
	snprintf(line, sizeof(line), "Utilisateur / User: %s (%s), %s\nE-mail: %s\n", who->login,
	         who->name, profile_name(who->profile), email);
	buf_adds(b, line);
}

/* Puts a mail to recipient about shop in the outbox. */
static int
mail_put(struct store *st, const struct session *who, const struct tree_node *shop,
         const char *recipient, const char *reply_to, const char *subject, struct buf *body,
         int64_t now)
{
	struct mail m = {0};

	if (body->failed)
		return ST_TOOBIG;
	m.brand_id = who->brand_id;
	m.node_id = shop->n.id;
	snprintf(m.recipient, sizeof(m.recipient), "%s", recipient);
	snprintf(m.reply_to, sizeof(m.reply_to), "%s", reply_to);
	if (strlen(subject) >= sizeof(m.subject))
		return ST_INTERNAL; /* the limits keep it within (LIMIT_CONTACT_SUBJECT) */
	memcpy(m.subject, subject, strlen(subject) + 1);
	m.body = body->data;
	m.created_at = now;
	return st->ops->mail_add(st, &m);
}

/* A value of the action log's details, in JSON. */
static void
detail(struct buf *b, const char *field, const char *value)
{
	api_detail_add(b, false, field, NULL, json_string(value));
}

/* --- the store ----------------------------------------------------------------------------- */

struct methods_ctx {
	bool has[METHOD__COUNT]; /* the shop has a contract of it, active or not */
};

static int
method_seen(void *arg, const struct contract_view *v)
{
	struct methods_ctx *x = arg;

	if (v->c.method > METHOD_NONE && v->c.method < METHOD__COUNT)
		x->has[v->c.method] = true;
	return ST_OK;
}

/* The pending request for the shop's method into *r (r->id 0: none). */
static int
pending_get(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method m, int64_t now,
            struct store_request *r)
{
	int rc = st->ops->store_request_find(
	        st, brand_id, shop_id, m, now - (int64_t)LIMIT_STORE_PENDING_S * CAL_US_PER_S, r);

	return rc == ST_NOTFOUND ? ST_OK : rc;
}

static json_t *
request_json(const struct store_request *r)
{
	return json_pack("{s:I, s:I, s:s, s:o, s:o}", "id", (json_int_t)r->id, "shop_id",
	                 (json_int_t)r->shop_id, "payment_method", card_method_name(r->method),
	                 "requested_at", json_instant_or_null(r->created_at), "pending_until",
	                 json_instant_or_null(r->created_at +
	                                      (int64_t)LIMIT_STORE_PENDING_S * CAL_US_PER_S));
}

/* Reader: the methods the shop has not opened, with their pending requests. */
static int
store_run(struct work_job *w, struct store *st)
{
	struct contact_job *j = (struct contact_job *)w;
	struct methods_ctx x = {0};
	struct tree_node shop;
	int64_t now = clock_now_us();
	json_t *items;
	int rc = api_shop_in_scope(st, &j->who, j->shop_id, &shop);

	if (rc == ST_OK)
		rc = st->ops->contracts_each(st, j->who.brand_id, shop.n.id, 0, method_seen, &x);
	if (rc != ST_OK)
		return rc;
	items = json_array();
	for (int m = METHOD_NONE + 1; rc == ST_OK && m < METHOD__COUNT; m++) {
		const struct method_offer *o = settings_offer((enum card_method)m);
		struct store_request req;

		if (x.has[m] || o == NULL)
			continue;
		rc = pending_get(st, j->who.brand_id, shop.n.id, (enum card_method)m, now, &req);
		if (rc == ST_OK)
			json_array_append_new(
			        items,
			        json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "payment_method",
			                  card_method_name(o->method), "provider", o->provider,
			                  "description", "fr", o->fr, "en", o->en, "request",
			                  req.id != 0 ? request_json(&req) : json_null()));
	}
	j->result = json_pack("{s:{s:I, s:s, s:s, s:s}, s:o, s:b}", "shop", "id",
	                      (json_int_t)shop.n.id, "name", shop.n.name, "site", shop.site, "rang",
	                      shop.rang, "items", items, "may_request",
	                      routes_allow("POST", "/bo/api/store/requests", j->who.profile));
	return rc == ST_OK && j->result == NULL ? ST_INTERNAL : rc;
}

/* Writer: the request checked against the shop's contracts and pending requests, then mailed
 * and logged in the same transaction. */
static int
request_run(struct work_job *w, struct store *st)
{
	struct contact_job *j = (struct contact_job *)w;
	const struct method_offer *o = settings_offer(j->method);
	struct store_request req = {0};
	struct methods_ctx x = {0};
	struct tree_node shop;
	struct account a;
	int64_t now = clock_now_us();
	char subject[256], line[256];
	struct buf body, details;
	int rc = api_shop_in_scope(st, &j->who, j->shop_id, &shop);

	if (rc == ST_NOTFOUND) {
		j->why = "unknown_shop";
		j->message = "shop_id is not a shop of your node of the tree.";
	}
	if (rc == ST_OK)
		rc = st->ops->contracts_each(st, j->who.brand_id, shop.n.id, 0, method_seen, &x);
	if (rc == ST_OK)
		rc = pending_get(st, j->who.brand_id, shop.n.id, j->method, now, &req);
	if (rc == ST_OK && x.has[j->method]) {
		j->why = "already_open";
		j->message = "The shop has a contract for this method already.";
		rc = ST_CONFLICT;
	} else if (rc == ST_OK && req.id != 0) {
		j->why = "already_requested";
		j->message =
		        "This method was asked for this shop less than 7 days ago: the support "
		        "has the request.";
		rc = ST_CONFLICT;
	}
	if (rc == ST_OK)
		rc = st->ops->account_get(st, j->who.brand_id, &a);
	if (rc != ST_OK)
		return rc;
	req = (struct store_request){.brand_id = j->who.brand_id,
	                             .shop_id = shop.n.id,
	                             .method = j->method,
	                             .user_id = j->who.user_id,
	                             .created_at = now};
	rc = st->ops->store_request_add(st, &req);

	buf_init(&body, MAIL_BODY_MAX);
	buf_adds(&body, "Demande d'ouverture d'un moyen de paiement (Store)\n"
	                "Request to open a payment method (Store)\n\n");
	mail_head(&body, &j->who, &a, &shop, j->who.email);
	snprintf(line, sizeof(line), "Moyen de paiement / Payment method: %s (%s)\n",
	         card_method_name(j->method), o->provider);
	buf_adds(&body, line);
	if (j->text != NULL) {
		buf_adds(&body, "\nMessage:\n");
		buf_adds(&body, j->text);
		buf_adds(&body, "\n");
	}
	snprintf(subject, sizeof(subject), "[Store] %s %s/%s: %s", a.pspid, shop.site, shop.rang,
	         card_method_name(j->method));
	if (rc == ST_OK)
		rc = mail_put(st, &j->who, &shop, j->operator_email,
		              api_email_ascii(j->who.email) ? j->who.email : "", subject, &body,
		              now);
	buf_cleanup(&body);

	buf_init(&details, ACTION_DETAILS_MAX - 1);
	snprintf(line, sizeof(line), "%s (%s/%s)", shop.n.name, shop.site, shop.rang);
	detail(&details, "shop", line);
	detail(&details, "method", card_method_name(j->method));
	api_action_add(st, &j->who, now, "store_request", details.data, NULL, &rc);
	buf_cleanup(&details);
	if (rc == ST_OK)
		j->result = request_json(&req);
	return rc;
}

int
api_store_get(struct req *r)
{
	return http_submit_or_reply(r, &contact_new(r, C_STORE, store_run)->base, false);
}

/* Whether s (len bytes) is text of several lines: safe text (common/text.h) between line
 * feeds ("\r\n" too) and tabs. */
static bool
lines_safe(const char *s, size_t len)
{
	size_t start = 0;

	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i <= len; i++) {
		size_t end = i;

		if (i < len && s[i] != '\n' && s[i] != '\t')
			continue;
		if (i < len && s[i] == '\n' && end > start && s[end - 1] == '\r')
			end--;
		if (!text_is_safe(s + start, end - start))
			return false;
		start = i + 1;
	}
	return true;
}

/* Reads the text member name (1 to max bytes, several lines) into *out (heap); absent: NULL
 * unless required. False after answering 400. */
static bool
take_lines(struct req *r, json_t *o, const char *name, size_t max, bool required, char **out)
{
	json_t *v = json_object_get(o, name);
	char message[128];
	size_t len = json_string_length(v);

	if (v == NULL && !required)
		return true;
	if (json_is_string(v) && len >= 1 && len <= max && lines_safe(json_string_value(v), len)) {
		*out = strdup(json_string_value(v));
		if (*out == NULL)
			abort();
		return true;
	}
	snprintf(message, sizeof(message),
	         "%s is %stext of 1 to %zu bytes, without control or bidirectional characters.",
	         name, required ? "required: " : "", max);
	json_bad_field(r, name, message);
	return false;
}

/* The body of a request to the operator: an object of those members only, its member id_name
 * a positive integer into *id. NULL after answering 400. */
static json_t *
request_body(struct req *r, const char *const *members, const char *id_name, const char *why,
             int64_t *id)
{
	json_t *o = json_body_object(r, false), *v;

	if (o == NULL)
		return NULL;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return NULL;
	}
	v = json_object_get(o, id_name);
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		json_bad_field(r, id_name, why);
		json_decref(o);
		return NULL;
	}
	*id = (int64_t)json_integer_value(v);
	return o;
}

/* Releases o; when the body was ok, hands j to the writer once the user's share of the limit
 * is taken, else frees it (answered already). */
static int
request_submit(struct req *r, struct contact_job *j, json_t *o, bool ok)
{
	json_decref(o);
	if (!ok || !limit_take(r, j)) {
		contact_free(&j->base);
		return 0;
	}
	return http_submit_or_reply(r, &j->base, true);
}

int
api_store_request(struct req *r)
{
	static const char *const members[] = {"shop_id", "method", "message", NULL};
	struct contact_job *j;
	char method[16];
	int64_t shop_id;
	json_t *o = request_body(r, members, "shop_id",
	                         "shop_id is the id of a shop of your node of the tree.", &shop_id);
	bool ok;

	if (o == NULL)
		return 0;
	j = contact_new(r, C_REQUEST, request_run);
	j->shop_id = shop_id;
	ok = json_get_text(o, "method", method, sizeof(method)) == 0 &&
	     (j->method = card_method_parse(method)) != METHOD_NONE;
	if (!ok)
		json_bad_field(
		        r, "method",
		        "method is one of CB, VISA, MASTERCARD, E-BLEUE, AMEX, JCB, PAYPAL.");
	ok = ok && take_lines(r, o, "message", LIMIT_STORE_MESSAGE, false, &j->text);
	return request_submit(r, j, o, ok);
}

/* --- the contact form ---------------------------------------------------------------------- */

struct form_ctx {
	json_t *items;
	int64_t id;               /* send: the contract looked for */
	struct contract_view one; /* send: found (c.id != 0) */
};

static int
form_contract(void *arg, const struct contract_view *v)
{
	struct form_ctx *x = arg;

	if (x->items == NULL) {
		x->one = *v;
		return ST_OK;
	}
	json_array_append_new(
	        x->items,
	        json_pack("{s:I, s:s, s:s, s:b, s:I, s:s, s:s, s:s}", "id", (json_int_t)v->c.id,
	                  "number", v->c.number, "payment_method", card_method_name(v->c.method),
	                  "active", v->c.active, "shop_id", (json_int_t)v->c.shop_id, "shop_name",
	                  v->shop_name, "site", v->site, "rang", v->c.rang));
	return ST_OK;
}

/* Reader: the user's e-mail and the contracts of their node and below. */
static int
form_run(struct work_job *w, struct store *st)
{
	struct contact_job *j = (struct contact_job *)w;
	struct form_ctx x = {.items = json_array()};
	int rc = st->ops->contracts_each(st, j->who.brand_id, j->who.node_id, 0, form_contract, &x);

	j->result = json_pack("{s:s, s:o, s:i, s:i}", "email", j->who.email, "contracts", x.items,
	                      "subject_max", LIMIT_CONTACT_SUBJECT, "details_max",
	                      LIMIT_CONTACT_DETAILS);
	return rc == ST_OK && j->result == NULL ? ST_INTERNAL : rc;
}

/* Writer: the contract found in the user's scope, then the mail, its copy and the log line. */
static int
send_run(struct work_job *w, struct store *st)
{
	struct contact_job *j = (struct contact_job *)w;
	struct form_ctx x = {0};
	struct tree_node shop;
	struct account a;
	int64_t now = clock_now_us();
	char subject[256], line[256];
	struct buf body, details;
	int rc = st->ops->contracts_each(st, j->who.brand_id, j->who.node_id, j->contract_id,
	                                 form_contract, &x);

	if (rc == ST_OK && x.one.c.id == 0) {
		j->why = "unknown_contract";
		j->message = "contract_id is not a contract of your node of the tree.";
		return ST_NOTFOUND;
	}
	if (rc == ST_OK)
		rc = api_shop_in_scope(st, &j->who, x.one.c.shop_id, &shop);
	if (rc == ST_OK)
		rc = st->ops->account_get(st, j->who.brand_id, &a);
	if (rc != ST_OK)
		return rc;

	buf_init(&body, MAIL_BODY_MAX);
	buf_adds(&body, "Demande de contact / Contact request\n\n");
	mail_head(&body, &j->who, &a, &shop, j->email);
	snprintf(line, sizeof(line), "Contrat / Contract: %s %s (%s)\n",
	         card_method_name(x.one.c.method), x.one.c.number,
	         x.one.c.active ? "actif / active" : "inactif / inactive");
	buf_adds(&body, line);
	buf_adds(&body, "Objet / Subject: ");
	buf_adds(&body, j->subject[0] ? j->subject : "-");
	buf_adds(&body, "\n\nDétail de la demande / Details:\n");
	buf_adds(&body, j->text);
	buf_adds(&body, "\n");
	snprintf(subject, sizeof(subject), "[Contact] %s %s/%s: %s", a.pspid, shop.site, shop.rang,
	         j->subject[0] ? j->subject : "(sans objet / no subject)");
	rc = mail_put(st, &j->who, &shop, j->operator_email, j->email, subject, &body, now);
	if (rc == ST_OK && j->copy) {
		struct buf copy;

		buf_init(&copy, MAIL_BODY_MAX + 256);
		buf_adds(&copy, "Copie de votre demande au support / A copy of your request to the "
		                "support:\n\n");
		buf_adds(&copy, body.data);
		snprintf(subject, sizeof(subject), "Copie / Copy: %s",
		         j->subject[0] ? j->subject : "demande de contact / contact request");
		rc = mail_put(st, &j->who, &shop, j->email, j->operator_email, subject, &copy, now);
		buf_cleanup(&copy);
	}
	buf_cleanup(&body);

	buf_init(&details, ACTION_DETAILS_MAX - 1);
	snprintf(line, sizeof(line), "%s %s", card_method_name(x.one.c.method), x.one.c.number);
	detail(&details, "contract", line);
	snprintf(line, sizeof(line), "%s (%s/%s)", shop.n.name, shop.site, shop.rang);
	detail(&details, "shop", line);
	detail(&details, "email", j->email);
	if (j->subject[0])
		detail(&details, "subject", j->subject);
	api_detail_add(&details, false, "copy", NULL, json_boolean(j->copy));
	api_action_add(st, &j->who, now, "contact_sent", details.data, NULL, &rc);
	buf_cleanup(&details);
	if (rc == ST_OK)
		j->result = json_pack("{s:b, s:b}", "sent", true, "copy", j->copy);
	return rc;
}

int
api_contact_get(struct req *r)
{
	return http_submit_or_reply(r, &contact_new(r, C_FORM, form_run)->base, false);
}

/* The form's members but the contract: false after answering 400. */
static bool
contact_take(struct req *r, json_t *o, struct contact_job *j)
{
	json_t *v;

	if (json_get_text(o, "email", j->email, sizeof(j->email)) != 0 ||
	    !api_email_ascii(j->email)) {
		json_bad_field(r, "email", "email is required: your e-mail address, in ASCII.");
		return false;
	}
	v = json_object_get(o, "subject");
	if (v != NULL && !(json_is_string(v) && json_string_length(v) == 0) &&
	    json_take_text(r, o, "subject", j->subject, sizeof(j->subject), false))
		return false;
	if (!take_lines(r, o, "details", LIMIT_CONTACT_DETAILS, true, &j->text))
		return false;
	v = json_object_get(o, "copy");
	if (v != NULL && !json_is_boolean(v)) {
		json_bad_field(r, "copy", "copy is true or false.");
		return false;
	}
	j->copy = json_is_true(v);
	return true;
}

int
api_contact_send(struct req *r)
{
	static const char *const members[] = {"contract_id", "email", "subject",
	                                      "details",     "copy",  NULL};
	struct contact_job *j;
	int64_t contract_id;
	json_t *o = request_body(r, members, "contract_id",
	                         "contract_id is required: the id of one of your contracts.",
	                         &contract_id);

	if (o == NULL)
		return 0;
	j = contact_new(r, C_SEND, send_run);
	j->contract_id = contract_id;
	return request_submit(r, j, o, contact_take(r, o, j));
}
