/*
 * hmac_keys.c - the shops' HMAC keys in the back office (SPEC §11 "HMAC key", §12; Vision
 * manual §9.1.3), and the notices every profile reads on Home.
 *
 *   GET  /bo/api/hmac-keys[?node=ID]   the keys of the shops in scope (never a key)
 *   POST /bo/api/hmac-keys/strength    {"passphrase"} → {"length","score","ok"}
 *   POST /bo/api/hmac-keys             {"shop_id","env","passphrase"} → 201, the key
 *                                      shown this once; its activation link is mailed
 *   POST /bo/api/hmac-keys/activate    {"token"} (no session: the token is the secret)
 *   GET  /bo/api/notices               the active keys in scope expired or expiring in 30 days
 *
 * A key is derived from the passphrase alone (Argon2id, crypto_hmac_key_derive), on the hasher:
 * the same passphrase gives the same key, so a merchant who lost it can make it again. It is
 * sealed at rest like every shop key, and answered once. The creator receives a link with a
 * random token (never the key; the store keeps the token's hash): following it makes the key
 * the shop's active one, in the store and in the running server's shop cache at once. The
 * first merchant API request the new key verifies turns it "used" (api_hmac_key_verified).
 *
 * A key is of the environment the session is signed in to (SPEC §16.1, docs/ENVIRONMENTS.md):
 * env says which, and another is refused with 409 environment_unavailable; the test
 * environment's shops are the twin brand's, so its keys are theirs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/json.h"
#include "api/query.h"
#include "api/render.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/passphrase.h"

#define KEY_TTL_US       (365LL * 86400 * CAL_US_PER_S) /* expires a year after activation */
#define TOKEN_TTL_US     (7LL * 86400 * CAL_US_PER_S)   /* the link is valid 7 days */
#define NOTICE_WITHIN_US (30LL * 86400 * CAL_US_PER_S)  /* Home warns 30 days ahead */
#define LINK_BASE_MAX    280

enum hmac_op { HK_LIST, HK_CREATE, HK_ACTIVATE, HK_NOTICES };

struct hmac_job {
	struct http_job base; /* first */
	enum hmac_op op;
	struct session who;
	int64_t node;    /* list: node=ID, 0 for one's own */
	int64_t shop_id; /* create */
	char passphrase[PASSPHRASE_MAX_LEN + 1];
	char link_base[LINK_BASE_MAX]; /* "http://host:port", or "" when the Host was odd */
	unsigned char token[HTTP_TOKEN_LEN];
	unsigned char key[CRYPTO_HMAC_KEY_LEN];
	bool installed; /* activate: the shop cache has the key */
	struct shop_cache *shops;
	const struct crypto_keys *keys;
	struct tree_node shop;
	struct hmac_key_row row;
	int64_t now;
	const char *why;
	const char *why_message;
	json_t *result;
};

static void
install(struct hmac_job *j, struct shop_cache *shops)
{
	/* The cache holds the keys of both environments, each on its own shop. */
	if (j->op != HK_ACTIVATE || j->installed || j->base.work.rc != ST_OK || j->row.id == 0)
		return;
	j->installed = true;
	if (shop_cache_activate(shops, j->row.brand_id, j->row.shop_id, j->row.id, j->key) != ST_OK)
		log_error("event=hmac_key_not_cached shop=%lld key=%lld", (long long)j->row.shop_id,
		          (long long)j->row.id);
	else
		log_info("event=hmac_key_activated shop=%lld key=%lld", (long long)j->row.shop_id,
		         (long long)j->row.id);
}

static void
hmac_free(struct http_job *hj)
{
	struct hmac_job *j = (struct hmac_job *)hj;

	/* Committed but not answered (the client left): the key is active all the same. */
	install(j, j->shops);
	json_decref(j->result);
	crypto_wipe(j, sizeof(*j));
	free(j);
}

static json_t *
key_json(const struct hmac_key_row *k, int64_t now)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:s}", "id",
	                 (json_int_t)k->id, "shop_id", (json_int_t)k->shop_id, "shop_name",
	                 k->shop_name, "site", k->site, "rang", k->rang, "env", k->env, "status",
	                 k->status, "created_at", json_instant_or_null(k->created_at),
	                 "activated_at", json_instant_or_null(k->activated_at), "expires_at",
	                 json_instant_or_null(k->expires_at), "expired",
	                 k->expires_at != 0 && k->expires_at <= now, "created_by",
	                 k->created_by_login);
}

static void
hmac_respond(struct http_job *hj, struct req *r)
{
	struct hmac_job *j = (struct hmac_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, j->why, j->why_message);
		return;
	}
	install(j, r->app->shops); /* before the answer: the key works once it is told */
	http_reply_json(r, j->op == HK_CREATE ? 201 : 200, j->result);
	j->result = NULL;
}

static struct hmac_job *
hmac_job_new(struct req *r, enum hmac_op op)
{
	struct hmac_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->op = op;
	if (r->route->auth == AUTH_SESSION)
		j->who = r->session;
	j->now = clock_now_us();
	j->shops = r->app->shops;
	j->keys = r->app->keys;
	j->base.respond = hmac_respond;
	j->base.free = hmac_free;
	return j;
}

/* --- the list and the notices ---------------------------------------------------------- */

struct push_ctx {
	json_t *items;
	int64_t now;
};

static int
key_push(void *arg, const struct hmac_key_row *k)
{
	struct push_ctx *c = arg;

	json_array_append_new(c->items, key_json(k, c->now));
	return ST_OK;
}

static int
notice_push(void *arg, const struct hmac_key_row *k)
{
	struct push_ctx *c = arg;

	json_array_append_new(
	        c->items,
	        json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:o}", "kind",
	                  k->expires_at <= c->now ? "hmac_key_expired" : "hmac_key_expires_soon",
	                  "shop_id", (json_int_t)k->shop_id, "shop_name", k->shop_name, "site",
	                  k->site, "rang", k->rang, "env", k->env, "expires_at",
	                  json_instant_or_null(k->expires_at)));
	return ST_OK;
}

static int
list_run(struct work_job *w, struct store *st)
{
	struct hmac_job *j = (struct hmac_job *)w;
	struct push_ctx c = {json_array(), j->now};
	int64_t node;
	int rc = api_scope(st, &j->who, j->node, &node);

	if (rc == ST_OK)
		rc = st->ops->hmac_keys_each(st, j->who.brand_id, node,
		                             j->op == HK_NOTICES ? j->now + NOTICE_WITHIN_US : 0,
		                             j->op == HK_NOTICES ? notice_push : key_push, &c);
	j->result = json_pack("{s:o}", "items", c.items);
	return rc;
}

static int
list_submit(struct req *r, enum hmac_op op)
{
	static const char *const with_node[] = {"node", NULL};
	static const char *const nothing[] = {NULL};
	struct hmac_job *j;
	char bad[QUERY_KEY_MAX], node[24];
	int g;

	if (query_unknown(r, op == HK_LIST ? with_node : nothing, bad, sizeof(bad)) != 0) {
		json_bad_field(r, bad, "This parameter is not taken here.");
		return 0;
	}
	j = hmac_job_new(r, op);
	g = query_get(r, "node", node, sizeof(node));
	if (g < 0 || (g == 1 && query_id(node, &j->node) != 0)) {
		hmac_free(&j->base);
		json_bad_field(r, "node", "node is the id of a node of your tree.");
		return 0;
	}
	j->base.work.run = list_run;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_hmac_keys_list(struct req *r)
{
	return list_submit(r, HK_LIST);
}

int
api_notices(struct req *r)
{
	return list_submit(r, HK_NOTICES);
}

/* --- the passphrase's strength --------------------------------------------------------- */

/* Reads {"passphrase"} (and the other members allowed) into out; false after answering. */
static bool
take_passphrase(struct req *r, json_t *o, char out[PASSPHRASE_MAX_LEN + 1])
{
	json_t *v = json_object_get(o, "passphrase");
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) > PASSPHRASE_MAX_LEN) {
		json_bad_field(r, "passphrase", "passphrase is a text of at most 256 bytes.");
		return false;
	}
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			json_bad_field(r, "passphrase", "passphrase holds no control character.");
			return false;
		}
	memcpy(out, s, strlen(s) + 1);
	return true;
}

int
api_hmac_keys_strength(struct req *r)
{
	static const char *const members[] = {"passphrase", NULL};
	char passphrase[PASSPHRASE_MAX_LEN + 1];
	struct passphrase_rating pr;
	json_t *o;
	bool ok;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	ok = !json_refuse_unknown(r, o, members) && take_passphrase(r, o, passphrase);
	json_object_clear(o); /* the passphrase's copy in the parsed body */
	json_decref(o);
	if (!ok)
		return 0;
	passphrase_rate(passphrase, &pr);
	crypto_wipe(passphrase, sizeof(passphrase));
	http_reply_json(
	        r, 200,
	        json_pack("{s:i, s:i, s:b}", "length", pr.length, "score", pr.score, "ok", pr.ok));
	return 0;
}

/* --- a new key --------------------------------------------------------------------------- */

static int
shop_found(void *arg, const struct tree_node *t)
{
	struct hmac_job *j = arg;

	if (j->shop.n.id == 0)
		j->shop = *t; /* the first one is the node asked for; below it, none (a shop) */
	return ST_OK;
}

/* On the hasher (work.h): the shop is in scope, then the key (Argon2id, the slow part). */
static int
create_derive(struct work_job *w, struct store *st)
{
	struct hmac_job *j = (struct hmac_job *)w;
	int64_t node;
	int rc = api_scope(st, &j->who, j->shop_id, &node);

	if (rc == ST_OK)
		rc = st->ops->nodes_each(st, j->who.brand_id, j->shop_id, shop_found, j);
	if (rc == ST_NOTFOUND || (rc == ST_OK && j->shop.n.level != LEVEL_SHOP)) {
		j->why = "unknown_shop";
		j->why_message = "shop_id is not a shop of your node of the tree.";
		rc = ST_NOTFOUND;
	}
	if (rc == ST_OK)
		rc = crypto_hmac_key_derive(j->key, j->passphrase);
	crypto_wipe(j->passphrase, sizeof(j->passphrase));
	return rc;
}

/* The creator's mail: the link that activates the key, never the key (SPEC §11). */
static int
create_mail(struct store *st, struct hmac_job *j)
{
	char token_hex[2 * HTTP_TOKEN_LEN + 1], body[2048];
	struct mail m = {0};
	int rc;

	crypto_hex(token_hex, j->token, sizeof(j->token));
	m.brand_id = j->who.brand_id;
	m.node_id = j->shop.n.id; /* the shop's key */
	snprintf(m.recipient, sizeof(m.recipient), "%s", j->who.email);
	snprintf(m.subject, sizeof(m.subject), "%s",
	         "Guichet : activez votre clé HMAC / activate your HMAC key");
	snprintf(body, sizeof(body),
	         "Bonjour %s,\n\n"
	         "Une clé HMAC (environnement %s) a été générée pour la boutique %s "
	         "(SITE %s, RANG %s).\nElle ne sera active qu'après ouverture de ce lien, valable "
	         "7 jours :\n\n%s/#/hmac-activate?token=%s\n\n"
	         "La clé n'est jamais envoyée par e-mail. Si vous n'êtes pas à l'origine de cette "
	         "demande, n'ouvrez pas le lien.\n\n"
	         "An HMAC key (%s environment) was generated for the shop %s (SITE %s, RANG %s).\n"
	         "It becomes active only once this link is opened (valid 7 days); the link is "
	         "above.\nThe key is never sent by e-mail. If you did not ask for it, do not open "
	         "the link.\n",
	         j->who.name, j->row.env, j->shop.n.name, j->shop.site, j->shop.rang, j->link_base,
	         token_hex, j->row.env, j->shop.n.name, j->shop.site, j->shop.rang);
	m.body = body;
	m.created_at = j->now;
	rc = st->ops->mail_add(st, &m);
	crypto_wipe(body, sizeof(body));
	crypto_wipe(token_hex, sizeof(token_hex));
	return rc;
}

static void
log_action(struct store *st, int64_t brand_id, int64_t user_id, const char *login, const char *name,
           const char *email, const char *what, const struct hmac_key_row *k, int *rc)
{
	char details[256];
	struct action a = {0};

	if (*rc != ST_OK)
		return;
	/* The shop and the environment: never the key nor the token. */
	snprintf(details, sizeof(details), "shop: %s (SITE %s, RANG %s); env: %s; key: %lld",
	         k->shop_name, k->site, k->rang, k->env, (long long)k->id);
	a.brand_id = brand_id;
	a.at = clock_now_us();
	a.user_id = user_id;
	a.user_login = login;
	a.user_name = name;
	a.user_email = email;
	a.action = what;
	a.details = details;
	*rc = st->ops->action_add(st, &a);
}

/* On the writer: the key sealed, its token, the mail and the action-log line together. */
static int
create_record(struct work_job *w, struct store *st)
{
	struct hmac_job *j = (struct hmac_job *)w;
	unsigned char sealed[CRYPTO_HMAC_SEALED_LEN];
	char key_hex[2 * CRYPTO_HMAC_KEY_LEN + 1];
	struct hmac_key_new k = {0};
	int rc;

	crypto_hmac_key_seal(sealed, j->key, j->who.brand_id, j->shop.n.id, j->keys);
	crypto_random(j->token, sizeof(j->token));
	k.brand_id = j->who.brand_id;
	k.shop_id = j->shop.n.id;
	k.env = session_env_name(&j->who);
	k.sealed = sealed;
	k.sealed_len = sizeof(sealed);
	crypto_digest(k.token_hash, j->token, sizeof(j->token));
	k.token_expires_at = j->now + TOKEN_TTL_US;
	k.created_by = j->who.user_id;
	k.created_by_login = j->who.login;
	k.now = j->now;
	rc = st->ops->hmac_key_create(st, &k);
	j->row.id = k.id;
	j->row.brand_id = k.brand_id;
	j->row.shop_id = k.shop_id;
	snprintf(j->row.shop_name, sizeof(j->row.shop_name), "%s", j->shop.n.name);
	memcpy(j->row.site, j->shop.site, sizeof(j->row.site));
	memcpy(j->row.rang, j->shop.rang, sizeof(j->row.rang));
	snprintf(j->row.env, sizeof(j->row.env), "%s", k.env);
	snprintf(j->row.status, sizeof(j->row.status), "created");
	j->row.created_at = j->now;
	j->row.created_by = j->who.user_id;
	snprintf(j->row.created_by_login, sizeof(j->row.created_by_login), "%s", j->who.login);
	if (rc == ST_OK)
		rc = create_mail(st, j);
	log_action(st, j->who.brand_id, j->who.user_id, j->who.login, j->who.name, j->who.email,
	           "hmac_key_created", &j->row, &rc);
	crypto_wipe(j->token, sizeof(j->token));
	if (rc == ST_OK) {
		crypto_hex(key_hex, j->key, sizeof(j->key));
		j->result = key_json(&j->row, j->now);
		json_object_set_new(j->result, "key", json_string(key_hex));
		json_object_set_new(j->result, "mailed_to", json_string(j->who.email));
		crypto_wipe(key_hex, sizeof(key_hex));
	}
	crypto_wipe(j->key, sizeof(j->key));
	return rc;
}

/* The back office's address for the link mailed: --public-url when the operator gave it, else
 * "scheme://host[:port]" of the request, the address the creator used. An authority of other
 * characters than a host name's or an address's gives "" (a link relative to the back
 * office). */
static void
link_base(struct req *r, char *out, size_t cap)
{
	h2o_iovec_t a = r->h2o->authority;

	out[0] = '\0';
	if (r->app->public_url != NULL) {
		snprintf(out, cap, "%s", r->app->public_url);
		return;
	}
	if (a.len == 0 || a.len > 255)
		return;
	for (size_t i = 0; i < a.len; i++) {
		char c = a.base[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return;
	}
	snprintf(out, cap, "%s://%.*s", r->app->tls ? "https" : "http", (int)a.len, a.base);
}

int
api_hmac_keys_create(struct req *r)
{
	static const char *const members[] = {"shop_id", "env", "passphrase", NULL};
	struct passphrase_rating pr;
	struct hmac_job *j;
	json_t *o, *v;
	const char *env;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	j = hmac_job_new(r, HK_CREATE);
	v = json_object_get(o, "shop_id");
	env = json_string_value(json_object_get(o, "env"));
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		json_bad_field(r, "shop_id",
		               "shop_id is the id of a shop of your node of the tree.");
		goto refused;
	}
	j->shop_id = (int64_t)json_integer_value(v);
	if (env == NULL || (strcmp(env, "test") != 0 && strcmp(env, "production") != 0)) {
		json_bad_field(r, "env", "env is \"test\" or \"production\".");
		goto refused;
	}
	if (!take_passphrase(r, o, j->passphrase))
		goto refused;
	/* A key is of the environment signed in to (docs/ENVIRONMENTS.md). */
	if (strcmp(env, session_env_name(&r->session)) != 0) {
		http_reply_error(
		        r, ST_CONFLICT, "environment_unavailable",
		        strcmp(env, "test") == 0
		                ? "This session is signed in to production: sign in to the "
		                  "test environment to make its keys."
		                : "This session is signed in to the test environment: sign "
		                  "in to production to make its keys.");
		goto refused;
	}
	/* Vision manual §9.1.3: 15 characters and 90 %, the page's button says the same. */
	passphrase_rate(j->passphrase, &pr);
	if (!pr.ok) {
		http_reply_json(
		        r, 422,
		        json_pack("{s:s, s:s, s:i, s:i}", "error", "weak_passphrase", "message",
		                  "The passphrase needs at least 15 characters and a strength "
		                  "of 90 %.",
		                  "length", pr.length, "score", pr.score));
		goto refused;
	}
	if (r->session.email[0] == '\0') {
		http_reply_error(
		        r, ST_REFUSED, "no_email",
		        "Your account has no e-mail address to send the activation link to.");
		goto refused;
	}
	json_object_clear(o);
	json_decref(o);
	link_base(r, j->link_base, sizeof(j->link_base));
	j->base.work.run = create_derive;
	j->base.hash = true;
	j->base.then_write = create_record;
	return http_submit_or_reply(r, &j->base, false);
refused:
	json_object_clear(o);
	json_decref(o);
	hmac_free(&j->base);
	return 0;
}

/* --- activation -------------------------------------------------------------------------- */

static int
activate_run(struct work_job *w, struct store *st)
{
	struct hmac_job *j = (struct hmac_job *)w;
	unsigned char hash[CRYPTO_HASH_LEN], sealed[CRYPTO_HMAC_SEALED_LEN];
	struct user_auth creator = {0};
	size_t len = 0;
	int rc;

	crypto_digest(hash, j->token, sizeof(j->token));
	crypto_wipe(j->token, sizeof(j->token));
	rc = st->ops->hmac_key_activate(st, hash, j->now, j->now + KEY_TTL_US, &j->row, sealed,
	                                sizeof(sealed), &len);
	if (rc == ST_NOTFOUND) {
		j->why = "unknown_token";
		j->why_message =
		        "This link is unknown, already used or expired: generate a new key.";
		return rc;
	}
	if (rc == ST_OK && crypto_hmac_key_open(j->key, sealed, len, j->row.brand_id,
	                                        j->row.shop_id, j->keys) != ST_OK)
		rc = ST_INTERNAL;
	/* Logged as its creator's: the link went to their mailbox only. */
	if (rc == ST_OK && j->row.created_by != 0 &&
	    st->ops->user_get(st, j->row.brand_id, j->row.created_by, &creator) != ST_OK)
		memset(&creator, 0, sizeof(creator));
	log_action(st, j->row.brand_id, creator.u.id,
	           creator.u.id ? creator.u.login : j->row.created_by_login, creator.u.name,
	           creator.u.email, "hmac_key_activated", &j->row, &rc);
	crypto_wipe(&creator, sizeof(creator));
	if (rc == ST_OK) {
		j->result = key_json(&j->row, j->now);
		json_object_del(j->result, "id");
	}
	return rc;
}

int
api_hmac_keys_activate(struct req *r)
{
	static const char *const members[] = {"token", NULL};
	struct hmac_job *j;
	const char *token;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	j = hmac_job_new(r, HK_ACTIVATE);
	token = json_string_value(json_object_get(o, "token"));
	/* Anything but 64 hex digits names no key: the same answer as an unknown token. */
	if (token == NULL ||
	    crypto_unhex(j->token, sizeof(j->token), token, strlen(token)) != ST_OK) {
		json_object_clear(o);
		json_decref(o);
		hmac_free(&j->base);
		http_reply_error(
		        r, ST_NOTFOUND, "unknown_token",
		        "This link is unknown, already used or expired: generate a new key.");
		return 0;
	}
	json_object_clear(o);
	json_decref(o);
	j->base.work.run = activate_run;
	return http_submit_or_reply(r, &j->base, true);
}

/* --- the first use ----------------------------------------------------------------------- */

struct used_job {
	struct work_job work;
	int64_t brand_id, key_id;
};

static int
used_run(struct work_job *w, struct store *st)
{
	struct used_job *j = (struct used_job *)w;

	return st->ops->hmac_key_used(st, j->brand_id, j->key_id);
}

static void
used_free(struct work_job *w)
{
	if (w->rc != ST_OK)
		log_error("event=hmac_key_used_not_recorded rc=%d", w->rc);
	free(w);
}

void
api_hmac_key_verified(struct req *r)
{
	struct used_job *j;
	int64_t key_id = 0;

	if (!shop_cache_first_use(r->shop, r->shop_key, &key_id))
		return;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		abort();
	j->work.run = used_run;
	j->work.deliver = used_free;
	j->brand_id = r->shop->shop.brand_id;
	j->key_id = key_id;
	/* Nobody waits for it; a full writer queue loses the mark until the next restart reads
	 * the key as "activated" again and the next request tries once more. */
	if (work_submit_write(r->app->work, &j->work) != ST_OK) {
		log_error("event=hmac_key_used_not_recorded key=%lld rc=busy", (long long)key_id);
		free(j);
	}
}
