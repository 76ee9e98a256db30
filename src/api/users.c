/*
 * users.c - user management (SPEC §3, Vision manual §11.1), personal information (§1) and the
 * action log (SPEC §13, §11.2). Everything is scoped: an administrator sees and changes only
 * the users of their node of the tree and below; another brand's ids answer 404.
 *
 * Argon2id (a new user's or a reset's temporary password) runs on the hasher; the change, its
 * mail and its action-log line are then written together by the writer. A change of e-mail
 * address is told to the old one, and no reset mails a password to an address someone else
 * set less than a day ago (README "Users").
 *
 * A change to a user is logged with that user as the row's target, and its details say what
 * changed: "field: before → after" for each field, joined by "; ", every value in JSON (a
 * creation gives "field: value"). The web UI reads them back to say them in the reader's
 * language. Never a password, nor a hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/ereport.h"
#include "api/export_layout.h"
#include "api/json.h"
#include "api/push_reports.h"
#include "api/query.h"
#include "api/render.h"
#include "common/buf.h"
#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/password.h"
#include "domain/tz.h"

#define TEMP_PASSWORD_LEN API_TEMP_PASSWORD_LEN
#define ACTIONS_PAGE      100
#define EXPORT_PAGE       1000
#define EXPORT_MAX_BYTES  (64 * 1024 * 1024) /* beyond: 413, narrow the dates */

enum user_op {
	U_LIST,
	U_GET,
	U_CREATE,
	U_EDIT,
	U_RESET,
	U_UNLOCK,
	U_DEACTIVATE,
	U_REACTIVATE,
	U_SF_DISABLE,
	U_ME,
	U_ME_EDIT,
	U_ACTIONS,
	U_EREPORT
};

struct user_job {
	struct http_job base; /* first */
	enum user_op op;
	struct session who;
	int64_t id;       /* the target user */
	int64_t node_id;  /* list: the node; create: the new user's node */
	int active;       /* list: 1 only the active users, 0 only the inactive ones, -1 all */
	json_t *fields;   /* create, edit: the request's members */
	json_t *errors;   /* edit: every bad member (json_field_error) */
	bool end_session; /* the target's session ends (new password, new profile or node) */
	struct user_auth target;
	struct action_query q;
	char action_name[41];
	char temp_password[TEMP_PASSWORD_LEN + 1];
	struct prefs_ereport er; /* the electronic reporting's change */
	/* Results. */
	int status;
	json_t *result;
	char *csv; /* export: the file */
	size_t csv_len;
	/* Export: format= and layout= (export_layout.h), and the file's name. */
	bool export, txt, have_format, have_layout;
	enum export_layout layout;
	char file_name[64];
	const char *why;
	const char *why_message;
	char why_message_buf[200]; /* a message made for this answer */
};

static void
user_job_free(struct http_job *hj)
{
	struct user_job *j = (struct user_job *)hj;

	json_decref(j->fields);
	json_decref(j->errors);
	json_decref(j->result);
	free(j->csv);
	crypto_wipe(j, sizeof(*j));
	free(j);
}

static void
user_job_respond(struct http_job *hj, struct req *r)
{
	struct user_job *j = (struct user_job *)hj;

	if (j->base.work.rc == ST_INVALID && j->errors != NULL && json_array_size(j->errors) > 0) {
		/* SPEC §16: an invalid_field answer names its field; "errors" all of them. */
		json_bad_fields(r, j->errors);
		return;
	}
	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, j->why, j->why_message);
		return;
	}
	if (j->end_session)
		session_cache_remove_user(r->app->sessions, j->target.u.brand_id, j->target.u.id);
	else if (j->op == U_SF_DISABLE) {
		session_cache_second_factor_done(r->app->sessions, j->target.u.brand_id,
		                                 j->target.u.id);
		session_cache_factor_set(r->app->sessions, j->target.u.brand_id, j->target.u.id,
		                         false);
	} else if (j->op == U_EDIT || j->op == U_ME_EDIT)
		session_cache_set_user(r->app->sessions, j->target.u.brand_id, j->target.u.id,
		                       j->target.u.name, j->target.u.email, j->target.time_zone);
	if (j->csv != NULL) {
		http_reply_download(
		        r, j->txt ? "text/plain; charset=utf-8" : "text/csv; charset=utf-8",
		        j->file_name, j->csv, j->csv_len);
		return;
	}
	http_reply_json(r, j->status, j->result);
	j->result = NULL;
}

static struct user_job *
user_job_new(struct req *r, enum user_op op)
{
	struct user_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->op = op;
	j->who = session_as_user(&r->session); /* the user's, whatever the environment */
	j->id = r->path_id;
	j->status = 200;
	j->base.respond = user_job_respond;
	j->base.free = user_job_free;
	return j;
}

/* A job with no request body: run (then then_write, when not NULL) and answer. */
static int
user_simple(struct req *r, enum user_op op, int (*run)(struct work_job *, struct store *),
            int (*then_write)(struct work_job *, struct store *), bool write)
{
	struct user_job *j = user_job_new(r, op);

	j->base.work.run = run;
	j->base.then_write = then_write;
	return http_submit_or_reply(r, &j->base, write);
}

void
api_action_add(struct store *st, const struct session *who, int64_t at, const char *what,
               const char *details, const struct user *target, int *rc)
{
	struct action a = {0};

	if (*rc != ST_OK)
		return;
	a.brand_id = who->brand_id;
	a.at = at;
	a.user_id = who->user_id;
	a.user_login = who->login;
	a.user_name = who->name;
	a.user_email = who->email;
	a.action = what;
	a.details = details;
	if (target != NULL) {
		a.target_user_id = target->id;
		a.target_login = target->login;
	}
	*rc = st->ops->action_add(st, &a);
}

/* An action-log line by who, done to target, now. */
static void
log_action(struct store *st, const struct session *who, const struct user_auth *target,
           const char *what, const char *details, int *rc)
{
	api_action_add(st, who, clock_now_us(), what, details, &target->u, rc);
}

/* --- what changed, for the action log ------------------------------------------------------------ */

/* A JSON string of s; "" when s is not UTF-8 (the API lets no such text in). */
static json_t *
json_text(const char *s)
{
	json_t *v = json_string(s);

	return v != NULL ? v : json_string("");
}

/* Appends the JSON text of v, which it takes. */
static void
detail_value(struct buf *b, json_t *v)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY);

	if (text == NULL)
		abort();
	buf_adds(b, text);
	free(text);
	json_decref(v);
}

/* Appends "field: before → after", or "field: after" when before is NULL; takes both values.
 * With names_only (the values did not fit), only the field's name. */
void
api_detail_add(struct buf *b, bool names_only, const char *field, json_t *before, json_t *after)
{
	if (b->len > 0)
		buf_adds(b, names_only ? ", " : "; ");
	buf_adds(b, field);
	if (names_only) {
		json_decref(before);
		json_decref(after);
		return;
	}
	buf_adds(b, ": ");
	if (before != NULL) {
		detail_value(b, before);
		buf_adds(b, " → ");
	}
	detail_value(b, after);
}

/* A text field, when it changed (before NULL: a creation, always unless empty). */
void
api_detail_text(struct buf *b, bool names_only, const char *field, const char *before,
                const char *after)
{
	if (before == NULL ? after[0] != '\0' : strcmp(before, after) != 0)
		api_detail_add(b, names_only, field, before ? json_text(before) : NULL,
		               json_text(after));
}

struct node_name {
	int64_t id;
	char name[81];
};

static int
node_name_push(void *arg, const struct tree_node *t)
{
	struct node_name *x = arg;

	if (t->n.id == x->id)
		memcpy(x->name, t->n.name, sizeof(x->name));
	return ST_OK;
}

/* The name of node id of the brand ("" when none), for the log: the tree from that node down
 * is read, which is one row for a shop and a few for a group; a change of node is rare. */
static int
node_name_get(struct store *st, int64_t brand_id, int64_t id, struct node_name *out)
{
	out->id = id;
	out->name[0] = '\0';
	return st->ops->nodes_each(st, brand_id, id, node_name_push, out);
}

/* The details of a creation (before NULL) or of an edit: the fields that changed. */
static int
change_details(struct store *st, const struct user_auth *before, const struct user_auth *after,
               char *out, size_t cap)
{
	struct node_name from = {0}, to = {0};
	struct buf b;
	int rc = ST_OK;

	if (before == NULL || before->u.node_id != after->u.node_id) {
		if (before != NULL)
			rc = node_name_get(st, before->u.brand_id, before->u.node_id, &from);
		if (rc == ST_OK)
			rc = node_name_get(st, after->u.brand_id, after->u.node_id, &to);
		if (rc != ST_OK)
			return rc;
	}
	/* Twice at most: with the values, then, when they do not fit, only the fields' names. */
	for (int names_only = 0; names_only < 2; names_only++) {
		const struct user *u = before ? &before->u : NULL;

		buf_init(&b, cap - 1);
		if (before == NULL)
			api_detail_text(&b, names_only, "login", NULL, after->u.login);
		api_detail_text(&b, names_only, "name", u ? u->name : NULL, after->u.name);
		api_detail_text(&b, names_only, "email", u ? u->email : NULL, after->u.email);
		api_detail_text(&b, names_only, "mobile", u ? u->mobile : NULL, after->u.mobile);
		api_detail_text(&b, names_only, "profile", u ? profile_name(u->profile) : NULL,
		                profile_name(after->u.profile));
		if (before == NULL || before->u.node_id != after->u.node_id)
			api_detail_add(&b, names_only, "node", before ? json_text(from.name) : NULL,
			               json_text(to.name));
		api_detail_text(&b, names_only, "language", before ? before->language : NULL,
		                after->language);
		api_detail_text(&b, names_only, "time_zone", before ? before->time_zone : NULL,
		                after->time_zone);
		if (!b.failed)
			break;
		buf_cleanup(&b);
	}
	snprintf(out, cap, "%s", b.data != NULL ? b.data : "");
	buf_cleanup(&b);
	return ST_OK;
}

/* The details of an unlock: "locked: true → false; failed_attempts: 3 → 0", what changed. */
static void
unlock_details(const struct user_auth *before, char *out, size_t cap)
{
	struct buf b;

	buf_init(&b, cap - 1);
	if (before->locked)
		api_detail_add(&b, false, "locked", json_true(), json_false());
	if (before->failed_attempts != 0)
		api_detail_add(&b, false, "failed_attempts", json_integer(before->failed_attempts),
		               json_integer(0));
	snprintf(out, cap, "%s", b.data != NULL ? b.data : "");
	buf_cleanup(&b);
}

static json_t *
user_row_json(const struct user_auth *ua, const char *level, const char *node_name, int64_t week,
              int64_t total)
{
	const char *sf = second_factor_name(ua->second_factor);

	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:b, s:s, s:s, s:I, "
	                 "s:I, s:o, s:b, s:o}",
	                 "id", (json_int_t)ua->u.id, "login", ua->u.login, "name", ua->u.name,
	                 "email", ua->u.email, "mobile", ua->u.mobile, "profile",
	                 profile_name(ua->u.profile), "level", level, "node_id",
	                 (json_int_t)ua->u.node_id, "node_name", node_name, "locked", ua->locked,
	                 "must_change_password", ua->u.must_change, "language", ua->language,
	                 "time_zone", ua->time_zone, "sign_ins_this_week", (json_int_t)week,
	                 "sign_ins_total", (json_int_t)total, "second_factor",
	                 sf ? json_string(sf) : json_null(), "active", ua->deactivated_at == 0,
	                 "deactivated_at", json_instant_or_null(ua->deactivated_at));
}

/* The Monday 00:00 (Paris) that started the current week. */
static int64_t
week_start(int64_t now)
{
	int64_t day = cal_business_day(now);
	int64_t monday = day - ((day + 3) % 7); /* 1970-01-01 was a Thursday */

	return cal_business_day_start(monday);
}

/* Loads the target user within the caller's scope: ST_NOTFOUND otherwise. */
static int
target_in_scope(struct user_job *j, struct store *st)
{
	bool within = false;
	int rc;

	rc = st->ops->user_get(st, j->who.brand_id, j->id, &j->target);
	if (rc == ST_OK)
		rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, j->target.u.node_id,
		                          &within);
	if (rc == ST_OK && !within)
		rc = ST_NOTFOUND;
	return rc;
}

/* --- list and details --------------------------------------------------------------------------- */

static json_t *
user_row_view(const struct user_row *u)
{
	return user_row_json(&u->ua, node_level_name(u->level), u->node_name, u->week_sign_ins,
	                     u->total_sign_ins);
}

struct list_ctx {
	json_t *items;
	int active; /* struct user_job */
};

static int
list_push(void *arg, const struct user_row *u)
{
	struct list_ctx *x = arg;

	if (x->active < 0 || x->active == (u->ua.deactivated_at == 0))
		json_array_append_new(x->items, user_row_view(u));
	return ST_OK;
}

struct view_ctx {
	int64_t id;
	json_t *found;
};

static int
view_push(void *arg, const struct user_row *u)
{
	struct view_ctx *x = arg;

	if (u->ua.u.id == x->id && x->found == NULL)
		x->found = user_row_view(u);
	return ST_OK;
}

/* Sets j->result to user j->target as the list shows them (level, node name, sign-ins), read
 * through the list's own query on their node: the details, a creation and an edit answer the
 * same view. On a reader, or on the writer after the change (which it then sees). */
static int
user_view(struct user_job *j, struct store *st)
{
	struct view_ctx x = {j->target.u.id, NULL};
	int rc;

	rc = st->ops->users_each(st, j->who.brand_id, j->target.u.node_id,
	                         week_start(clock_now_us()), view_push, &x);
	if (rc == ST_OK && x.found == NULL)
		rc = ST_NOTFOUND;
	if (rc != ST_OK) {
		json_decref(x.found);
		return rc;
	}
	json_decref(j->result);
	j->result = x.found;
	return ST_OK;
}

static int
users_read_run(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	struct list_ctx x = {NULL, j->active};
	bool within = false;
	int rc;

	if (j->op == U_GET || j->op == U_ME) {
		if (j->op == U_ME)
			j->id = j->who.user_id;
		rc = target_in_scope(j, st);
		return rc == ST_OK ? user_view(j, st) : rc;
	}
	rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, j->node_id, &within);
	if (rc != ST_OK)
		return rc;
	if (!within)
		return ST_NOTFOUND;
	x.items = json_array();
	rc = st->ops->users_each(st, j->who.brand_id, j->node_id, week_start(clock_now_us()),
	                         list_push, &x);
	if (rc != ST_OK) {
		json_decref(x.items);
		return rc;
	}
	j->result = json_pack("{s:o}", "items", x.items);
	return ST_OK;
}

int
api_users_list(struct req *r)
{
	static const char *const params[] = {"node", "active", NULL};
	struct user_job *j = user_job_new(r, U_LIST);
	char v[QUERY_VALUE_MAX], bad[QUERY_KEY_MAX + 1];
	int g;

	j->node_id = j->who.node_id; /* the user's own node (session_as_user) */
	j->active = -1;
	if (query_unknown(r, params, bad, sizeof(bad))) {
		user_job_free(&j->base);
		json_bad_field(r, bad, "Unknown query parameter.");
		return 0;
	}
	if ((g = query_get(r, "node", v, sizeof(v))) != 0 &&
	    (g < 0 || query_id(v, &j->node_id) != 0 || j->node_id == 0)) {
		user_job_free(&j->base);
		json_bad_field(r, "node", "node must be the id of a node of the tree.");
		return 0;
	}
	/* README "Users": active=true the active users only, active=false the deactivated. */
	if ((g = query_get(r, "active", v, sizeof(v))) != 0) {
		if (g > 0 && strcmp(v, "true") == 0)
			j->active = 1;
		else if (g > 0 && strcmp(v, "false") == 0)
			j->active = 0;
		else {
			user_job_free(&j->base);
			json_bad_field(r, "active", "active must be true or false.");
			return 0;
		}
	}
	j->base.work.run = users_read_run;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_users_get(struct req *r)
{
	return user_simple(r, U_GET, users_read_run, NULL, false);
}

int
api_me_get(struct req *r)
{
	return user_simple(r, U_ME, users_read_run, NULL, false);
}

/* --- create, edit ------------------------------------------------------------------------------- */

static bool
email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && strchr(at + 1, '.') != NULL &&
	       strchr(at + 1, '@') == NULL && strpbrk(s, " ,;<>\"'") == NULL;
}

static bool
mobile_ok(const char *s)
{
	size_t digits = 0;

	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!(*p == '+' && p == s) && *p != ' ' && *p != '.')
			return false;
	}
	return digits >= 6 && digits <= 15;
}

/* Applies the members of an edit or a creation to ua, checking each: every bad one goes to
 * errors (json_field_error), so that a form flags them all at once. */
static void
apply_fields(json_t *o, struct user_auth *ua, json_t *errors)
{
	char text[255];
	int g;

	if ((g = json_get_text(o, "name", text, sizeof(ua->u.name))) == 0)
		memcpy(ua->u.name, text, sizeof(ua->u.name));
	else if (g < 0)
		json_field_error(errors, "name", false,
		                 "name must be 1 to 80 characters, without control characters.");
	if ((g = json_get_text(o, "email", text, sizeof(text))) == 0 && email_ok(text))
		memcpy(ua->u.email, text, sizeof(ua->u.email));
	else if (g != 1)
		json_field_error(errors, "email", false,
		                 "email must be an e-mail address, such as name@example.com.");
	/* The mobile is optional: "" removes it. */
	if (json_is_string(json_object_get(o, "mobile")) &&
	    json_string_length(json_object_get(o, "mobile")) == 0)
		ua->u.mobile[0] = '\0';
	else if ((g = json_get_text(o, "mobile", text, sizeof(ua->u.mobile))) == 0 &&
	         mobile_ok(text))
		memcpy(ua->u.mobile, text, sizeof(ua->u.mobile));
	else if (g != 1)
		json_field_error(
		        errors, "mobile", false,
		        "mobile must be 6 to 15 digits, with spaces, dots or a leading +.");
	if ((g = json_get_text(o, "profile", text, 16)) == 0 &&
	    profile_parse(text) != PROFILE__COUNT)
		ua->u.profile = profile_parse(text);
	else if (g != 1)
		json_field_error(errors, "profile", false,
		                 "profile must be consultation, action, admin, entry or hmac.");
	if ((g = json_get_text(o, "language", text, 3)) == 0 &&
	    (strcmp(text, "fr") == 0 || strcmp(text, "en") == 0))
		memcpy(ua->language, text, 3);
	else if (g != 1)
		json_field_error(errors, "language", false, "language must be fr or en.");
	if ((g = json_get_text(o, "time_zone", text, sizeof(ua->time_zone))) == 0 &&
	    tz_find(text) != NULL)
		memcpy(ua->time_zone, text, sizeof(ua->time_zone));
	else if (g != 1)
		json_field_error(
		        errors, "time_zone", false,
		        "time_zone must be a time zone of the list, such as Europe/Paris.");
	if (json_object_get(o, "node_id") != NULL) {
		json_t *v = json_object_get(o, "node_id");

		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			json_field_error(errors, "node_id", false,
			                 "node_id must be the id of a node of the tree.");
		else
			ua->u.node_id = json_integer_value(v);
	}
}

void
api_user_form(json_t *o, struct user_auth *ua, json_t *errors)
{
	int g = json_get_text(o, "login", ua->u.login, sizeof(ua->u.login));

	if (g == 1)
		json_field_error(errors, "login", true, "login is required.");
	else if (g < 0 ||
	         strspn(ua->u.login, "abcdefghijklmnopqrstuvwxyz0123456789._-@") !=
	                 strlen(ua->u.login) ||
	         strlen(ua->u.login) < 3)
		json_field_error(
		        errors, "login", false,
		        "login must be 3 to 64 lower-case letters, digits, '.', '_', '-' or '@'.");
	apply_fields(o, ua, errors);
}

static const char *const create_members[] = {
        "login", "name", "email", "mobile", "profile", "node_id", "language", "time_zone", NULL};
static const char *const edit_members[] = {"name",    "email",    "mobile",    "profile",
                                           "node_id", "language", "time_zone", NULL};
static const char *const me_members[] = {"name", "email", "mobile", "language", "time_zone", NULL};

/* Reader: scope checks and the temporary password's hash. */
static int
create_prepare(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	bool within = false;
	int rc;

	rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, j->target.u.node_id,
	                          &within);
	if (rc == ST_OK && !within) {
		j->why = "node_out_of_scope";
		j->why_message = "node_id is not your node of the tree or below it.";
		return ST_NOTFOUND;
	}
	crypto_password_generate(j->temp_password, TEMP_PASSWORD_LEN);
	if (rc == ST_OK)
		rc = crypto_password_hash(j->target.u.password_hash, j->temp_password);
	return rc;
}

int
api_user_mail_password(struct store *st, const struct user_auth *ua, const char *password,
                       bool reset)
{
	struct mail m = {0};
	char body[1024];
	int rc;

	m.brand_id = ua->u.brand_id;
	m.node_id = ua->u.node_id;
	snprintf(m.recipient, sizeof(m.recipient), "%s", ua->u.email);
	snprintf(m.subject, sizeof(m.subject), "%s",
	         reset ? "Guichet : nouveau mot de passe / new password"
	               : "Guichet : votre accès / your access");
	snprintf(body, sizeof(body),
	         "Bonjour %s,\n\nVotre identifiant : %s\nMot de passe provisoire : %s\n"
	         "Vous devrez le changer à la première connexion.\n\n"
	         "Your login: %s\nTemporary password: %s\nYou will change it when you sign in.\n",
	         ua->u.name, ua->u.login, password, ua->u.login, password);
	m.body = body;
	m.created_at = clock_now_us();
	rc = st->ops->mail_add(st, &m);
	crypto_wipe(body, sizeof(body));
	return rc;
}

/* The old address hears of a change of the e-mail address (README "Users"), whoever made it:
 * someone who took the account over would otherwise leave its owner unaware. */
static int
mail_email_changed(struct store *st, const struct user_auth *before, const struct user_auth *after,
                   const struct session *who, int64_t at)
{
	struct mail m = {0};
	char body[4096], when[25];
	int rc;

	cal_instant_format(at, when);
	m.brand_id = before->u.brand_id;
	snprintf(m.recipient, sizeof(m.recipient), "%s", before->u.email);
	snprintf(m.subject, sizeof(m.subject), "%s",
	         "Guichet : adresse e-mail modifiée / e-mail address changed");
	snprintf(body, sizeof(body),
	         "Bonjour %s,\n\nL'adresse e-mail de votre compte Guichet (identifiant %s) a été "
	         "changée le %s (UTC) par %s (%s) :\n\n  ancienne : %s\n  nouvelle : %s\n\n"
	         "Les prochains messages iront à la nouvelle adresse. Si vous n'êtes pas à "
	         "l'origine de ce changement, prévenez aussitôt un autre administrateur : pendant "
	         "24 heures, aucun nouveau mot de passe ne peut être envoyé à une adresse changée "
	         "par quelqu'un d'autre que vous.\n\n"
	         "The e-mail address of your Guichet account (login %s) was changed on %s (UTC) "
	         "by %s (%s), from %s to %s. Later mail goes to the new address. If you did not "
	         "ask for this, tell another administrator at once: for 24 hours, no new password "
	         "can be sent to an address someone else set.\n",
	         before->u.name, before->u.login, when, who->name, who->login, before->u.email,
	         after->u.email, before->u.login, when, who->name, who->login, before->u.email,
	         after->u.email);
	m.body = body;
	m.created_at = at;
	rc = st->ops->mail_add(st, &m);
	crypto_wipe(body, sizeof(body));
	return rc;
}

/* README "Users": a new password is not mailed to an address that someone other than its
 * user set less than LIMIT_EMAIL_CHANGE_RESET_S ago (ST_REFUSED, why set): an administrator
 * could otherwise take another's account over (change the address, then send a password to
 * it). The address its user set themselves, or an older one, is theirs. */
static int
reset_allowed(struct user_job *j, const struct user_auth *ua, int64_t now)
{
	int64_t until = ua->email_changed_at + LIMIT_EMAIL_CHANGE_RESET_S * CAL_US_PER_S;
	char when[25];

	if (ua->email_changed_at == 0 || ua->email_changed_by == ua->u.id || now >= until)
		return ST_OK;
	cal_instant_format(until, when);
	j->why = "email_recently_changed";
	snprintf(j->why_message_buf, sizeof(j->why_message_buf),
	         "This user's e-mail address was changed less than 24 hours ago by someone else: "
	         "a new password can be sent to it from %s (UTC).",
	         when);
	j->why_message = j->why_message_buf;
	return ST_REFUSED;
}

static int
create_record(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	char details[ACTION_DETAILS_MAX] = "";
	int rc;

	j->target.u.brand_id = j->who.brand_id;
	j->target.u.must_change = true;
	rc = st->ops->user_insert(st, &j->target.u, clock_now_us());
	if (rc == ST_CONFLICT) {
		j->why = "login_taken";
		j->why_message = "This login is already used.";
		return rc;
	}
	if (rc == ST_OK)
		rc = st->ops->user_update(st, &j->target);
	if (rc == ST_OK)
		rc = api_user_mail_password(st, &j->target, j->temp_password, false);
	crypto_wipe(j->temp_password, sizeof(j->temp_password));
	if (rc == ST_OK)
		rc = change_details(st, NULL, &j->target, details, sizeof(details));
	log_action(st, &j->who, &j->target, "user_created", details, &rc);
	if (rc == ST_OK)
		rc = user_view(j, st);
	j->status = 201;
	return rc;
}

int
api_users_create(struct req *r)
{
	struct user_job *j;
	json_t *o, *errors;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = user_job_new(r, U_CREATE);
	j->target.u.node_id = j->who.node_id;
	j->target.u.profile = PROFILE__COUNT;
	memcpy(j->target.language, "fr", 3);
	snprintf(j->target.time_zone, sizeof(j->target.time_zone), "Europe/Paris");
	if (json_refuse_unknown(r, o, create_members))
		goto fail;
	/* Every bad or missing member at once, in the form's order (README "Users"). */
	errors = json_array();
	api_user_form(o, &j->target, errors);
	if (json_object_get(o, "name") == NULL)
		json_field_error(errors, "name", true, "name is required.");
	if (json_object_get(o, "email") == NULL)
		json_field_error(errors, "email", true, "email is required.");
	if (json_object_get(o, "profile") == NULL)
		json_field_error(errors, "profile", true, "profile is required.");
	if (json_array_size(errors) > 0) {
		json_bad_fields(r, errors);
		json_decref(errors);
		goto fail;
	}
	json_decref(errors);
	json_decref(o);
	j->base.work.run = create_prepare;
	j->base.hash = true;
	j->base.then_write = create_record;
	return http_submit_or_reply(r, &j->base, false);
fail:
	json_decref(o);
	user_job_free(&j->base);
	return 0;
}

/* Writer: the edit of a user (U_EDIT) or of oneself (U_ME_EDIT). */
static int
edit_run(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	struct user_auth before;
	bool within = false;
	char details[ACTION_DETAILS_MAX] = "";
	int rc;

	if (j->op == U_ME_EDIT)
		j->id = j->who.user_id;
	rc = target_in_scope(j, st);
	if (rc != ST_OK)
		return rc;
	before = j->target;
	j->errors = json_array();
	apply_fields(j->fields, &j->target, j->errors);
	if (json_array_size(j->errors) > 0) {
		j->why = "invalid_field";
		return ST_INVALID;
	}
	/* Vision manual §1, §11.1: e-mail and mobile never change in the same edit. */
	if (strcmp(before.u.email, j->target.u.email) != 0 &&
	    strcmp(before.u.mobile, j->target.u.mobile) != 0) {
		j->why = "email_and_mobile";
		j->why_message = "The e-mail and the mobile number cannot both change in one edit: "
		                 "change one, save, then the other.";
		return ST_REFUSED;
	}
	if (j->target.u.id == j->who.user_id &&
	    (j->target.u.profile != before.u.profile || j->target.u.node_id != before.u.node_id)) {
		j->why = "own_profile";
		j->why_message = "You cannot change your own profile or node.";
		return ST_CONFLICT;
	}
	rc = st->ops->node_within(st, j->who.brand_id, j->who.node_id, j->target.u.node_id,
	                          &within);
	if (rc == ST_OK && !within) {
		j->why = "node_out_of_scope";
		j->why_message = "node_id is not your node of the tree or below it.";
		return ST_NOTFOUND;
	}
	if (rc == ST_OK && strcmp(before.u.email, j->target.u.email) != 0) {
		j->target.email_changed_at = clock_now_us();
		j->target.email_changed_by = j->who.user_id;
		rc = mail_email_changed(st, &before, &j->target, &j->who,
		                        j->target.email_changed_at);
	}
	if (rc == ST_OK)
		rc = st->ops->user_update(st, &j->target);
	/* What the user may do changed: their session ends, the next one has the new rights. */
	if (rc == ST_OK &&
	    (j->target.u.profile != before.u.profile || j->target.u.node_id != before.u.node_id)) {
		rc = st->ops->session_delete_user(st, j->who.brand_id, j->id);
		j->end_session = true;
	}
	if (rc == ST_OK)
		rc = change_details(st, &before, &j->target, details, sizeof(details));
	log_action(st, &j->who, &j->target,
	           j->op == U_ME_EDIT ? "personal_information_changed" : "user_updated", details,
	           &rc);
	if (rc == ST_OK)
		rc = user_view(j, st);
	return rc;
}

static int
edit(struct req *r, enum user_op op)
{
	struct user_job *j;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, op == U_ME_EDIT ? me_members : edit_members)) {
		json_decref(o);
		return 0;
	}
	j = user_job_new(r, op);
	j->fields = o;
	j->base.work.run = edit_run;
	return http_submit_or_reply(r, &j->base, true);
}

int
api_users_edit(struct req *r)
{
	return edit(r, U_EDIT);
}

int
api_me_edit(struct req *r)
{
	return edit(r, U_ME_EDIT);
}

/* --- new password, unlock ------------------------------------------------------------------------ */

static int
reset_prepare(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	int rc = target_in_scope(j, st);

	if (rc == ST_OK)
		rc = reset_allowed(j, &j->target, clock_now_us()); /* checked again by the writer */
	if (rc != ST_OK)
		return rc;
	crypto_password_generate(j->temp_password, TEMP_PASSWORD_LEN);
	return crypto_password_hash(j->target.u.password_hash, j->temp_password);
}

/* Writer: the new password, and the account unlocked. The Vision manual §1 has a locked user
 * ask for a new password: sending one is what lets them in again, so it also forgets the
 * failed sign-ins. A lock it lifts is logged as an unlock of its own, after the reset's line;
 * failures short of a lock are in the reset's details. */
static int
reset_record(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	struct user_auth before = {0}; /* the lock as the writer sees it, not as the reader did */
	char details[ACTION_DETAILS_MAX] = "";
	int rc;

	rc = st->ops->user_get(st, j->who.brand_id, j->id, &before);
	if (rc == ST_OK)
		rc = reset_allowed(j, &before, clock_now_us());
	/* To the address as it is now, which the rule above judged (not as the hasher read it). */
	memcpy(j->target.u.email, before.u.email, sizeof(j->target.u.email));
	if (rc == ST_OK)
		rc = st->ops->user_password_set(st, j->who.brand_id, j->id,
		                                j->target.u.password_hash, true, clock_now_us());
	if (rc == ST_OK && (before.locked || before.failed_attempts != 0))
		rc = st->ops->user_unlock(st, j->who.brand_id, j->id);
	if (rc == ST_OK)
		rc = st->ops->session_delete_user(st, j->who.brand_id, j->id);
	j->end_session = true;
	if (rc == ST_OK)
		rc = api_user_mail_password(st, &j->target, j->temp_password, true);
	crypto_wipe(j->temp_password, sizeof(j->temp_password));
	if (rc == ST_OK) {
		struct buf b;

		buf_init(&b, sizeof(details) - 1);
		api_detail_add(&b, false, "mailed_to", NULL, json_text(j->target.u.email));
		if (!before.u.must_change)
			api_detail_add(&b, false, "must_change_password", json_false(),
			               json_true());
		if (!before.locked && before.failed_attempts != 0)
			api_detail_add(&b, false, "failed_attempts",
			               json_integer(before.failed_attempts), json_integer(0));
		snprintf(details, sizeof(details), "%s", b.data != NULL ? b.data : "");
		buf_cleanup(&b);
	}
	log_action(st, &j->who, &j->target, "user_password_reset", details, &rc);
	if (rc == ST_OK && before.locked) {
		unlock_details(&before, details, sizeof(details));
		log_action(st, &j->who, &j->target, "user_unlocked", details, &rc);
	}
	crypto_wipe(&before, sizeof(before));
	if (rc == ST_OK)
		j->result = json_pack("{s:b, s:s, s:b}", "password_sent", 1, "to",
		                      j->target.u.email, "locked", 0);
	return rc;
}

int
api_users_reset_password(struct req *r)
{
	struct user_job *j = user_job_new(r, U_RESET);

	j->base.work.run = reset_prepare;
	j->base.then_write = reset_record;
	j->base.hash = true; /* Argon2id of the temporary password */
	return http_submit_or_reply(r, &j->base, false);
}

static int
unlock_run(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	char details[ACTION_DETAILS_MAX] = "";
	int rc = target_in_scope(j, st);

	if (rc == ST_OK)
		rc = st->ops->user_unlock(st, j->who.brand_id, j->id);
	if (rc == ST_OK)
		unlock_details(&j->target, details, sizeof(details));
	log_action(st, &j->who, &j->target, "user_unlocked", details, &rc);
	if (rc == ST_OK)
		j->result = json_pack("{s:b}", "locked", 0);
	return rc;
}

int
api_users_unlock(struct req *r)
{
	return user_simple(r, U_UNLOCK, unlock_run, NULL, true);
}

/* --- deactivate, reactivate (README "Users") ----------------------------------------------- */

/* Writer: a user deactivated (kept, for the action log and the histories that name them, but
 * signed out at once and refused at sign-in), or reactivated. Not oneself, nor the brand's
 * last active administrator. Already so: the same answer, nothing logged. Their session ends
 * in the store, which every server of a shared database reads at each request (http/server.c),
 * and in this server's table (user_job_respond).
 *
 * A reactivation lets the user sign in: it also lifts a lock and forgets failed sign-ins (the
 * wrong passwords tried on the account while it was off still count, and lock it), as a new
 * password does: a lock it lifts is logged as an unlock of its own, after the reactivation's
 * line; failures short of a lock are in the reactivation's details. */
static int
active_run(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	bool deactivate = j->op == U_DEACTIVATE;
	char details[ACTION_DETAILS_MAX] = "";
	int64_t admins = 0;
	struct buf b;
	int rc = target_in_scope(j, st);

	if (rc != ST_OK || (j->target.deactivated_at != 0) == deactivate)
		return rc == ST_OK ? user_view(j, st) : rc;
	if (deactivate && j->target.u.id == j->who.user_id) {
		j->why = "own_account";
		j->why_message = "You cannot deactivate your own account.";
		return ST_CONFLICT;
	}
	if (deactivate && j->target.u.profile == PROFILE_ADMIN) {
		rc = st->ops->users_active_admins(st, j->who.brand_id, &admins);
		if (rc == ST_OK && admins <= 1) {
			j->why = "last_admin";
			j->why_message = "This is the last active administrator of the account: "
			                 "it cannot be deactivated.";
			return ST_CONFLICT;
		}
	}
	j->target.deactivated_at = deactivate ? clock_now_us() : 0;
	if (rc == ST_OK)
		rc = st->ops->user_deactivate(st, j->who.brand_id, j->id, j->target.deactivated_at);
	if (rc == ST_OK && deactivate) {
		rc = st->ops->session_delete_user(st, j->who.brand_id, j->id);
		j->end_session = true;
	}
	if (rc == ST_OK && !deactivate && (j->target.locked || j->target.failed_attempts != 0))
		rc = st->ops->user_unlock(st, j->who.brand_id, j->id);
	buf_init(&b, sizeof(details) - 1);
	api_detail_add(&b, false, "active", deactivate ? json_true() : json_false(),
	               deactivate ? json_false() : json_true());
	if (!deactivate && !j->target.locked && j->target.failed_attempts != 0)
		api_detail_add(&b, false, "failed_attempts",
		               json_integer(j->target.failed_attempts), json_integer(0));
	snprintf(details, sizeof(details), "%s", b.data != NULL ? b.data : "");
	buf_cleanup(&b);
	log_action(st, &j->who, &j->target, deactivate ? "user_deactivated" : "user_reactivated",
	           details, &rc);
	if (rc == ST_OK && !deactivate && j->target.locked) {
		unlock_details(&j->target, details, sizeof(details));
		log_action(st, &j->who, &j->target, "user_unlocked", details, &rc);
	}
	if (rc == ST_OK)
		rc = user_view(j, st);
	return rc;
}

int
api_users_deactivate(struct req *r)
{
	return user_simple(r, U_DEACTIVATE, active_run, NULL, true);
}

int
api_users_reactivate(struct req *r)
{
	return user_simple(r, U_REACTIVATE, active_run, NULL, true);
}

/* Writer: an administrator turns a user's second factor off (Ingenico guide 3.2.1: "décochez
 * OTP actif"), for a lost phone. Its secrets go with it; a sign-in of that user waiting for
 * the code goes on without. Nothing to turn off: the same answer, nothing logged. */
static int
sf_disable_run(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	struct second_factor sf = {0};
	int rc = target_in_scope(j, st);

	if (rc == ST_OK && j->target.second_factor != SF_NONE) {
		sf.brand_id = j->who.brand_id;
		sf.user_id = j->id;
		rc = st->ops->second_factor_put(st, &sf);
		if (rc == ST_OK)
			rc = st->ops->user_second_factor_set(st, j->who.brand_id, j->id, SF_NONE);
		if (rc == ST_OK)
			rc = st->ops->session_second_factor_done(st, j->who.brand_id, j->id, NULL,
			                                         NULL);
		log_action(st, &j->who, &j->target, "second_factor_disabled",
		           second_factor_name(j->target.second_factor), &rc);
	}
	if (rc == ST_OK)
		rc = user_view(j, st);
	return rc;
}

int
api_users_second_factor_disable(struct req *r)
{
	return user_simple(r, U_SF_DISABLE, sf_disable_run, NULL, true);
}

/* --- electronic reporting (ereport.h): an administrator's choice for a user ---------------------- */

static int
ereport_get_run(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	int rc = target_in_scope(j, st);

	if (rc != ST_OK)
		return rc;
	j->result = json_object();
	rc = prefs_ereport_json(st, j->who.brand_id, j->id, j->result);
	if (rc == ST_OK) {
		json_t *e = json_incref(json_object_get(j->result, "ereport"));

		json_decref(j->result);
		j->result = e;
	}
	return rc;
}

/* Writer: the change, and an action-log line saying what changed (none when nothing did). */
static int
ereport_edit_run(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	struct ereport before, after;
	char details[ACTION_DETAILS_MAX] = "", push_before[16], push_after[16];
	json_t *push = NULL;
	int rc = target_in_scope(j, st);

	if (rc == ST_OK)
		rc = ereport_load(st, j->who.brand_id, j->id, &before);
	if (rc == ST_OK)
		rc = push_sub_json(st, j->who.brand_id, j->id, &push, push_before);
	json_decref(push);
	if (rc == ST_OK)
		rc = prefs_ereport_put(st, j->who.brand_id, j->id, &j->er, clock_now_us());
	if (rc == ST_OK)
		rc = ereport_load(st, j->who.brand_id, j->id, &after);
	push = NULL;
	if (rc == ST_OK)
		rc = push_sub_json(st, j->who.brand_id, j->id, &push, push_after);
	json_decref(push);
	if (rc == ST_OK) {
		struct buf b;

		buf_init(&b, sizeof(details) - 1);
		api_detail_text(&b, false, "structure", ereport_structure_name(before.structure),
		                ereport_structure_name(after.structure));
		api_detail_text(&b, false, "format", ereport_format_name(before.format),
		                ereport_format_name(after.format));
		api_detail_text(&b, false, "push", push_before, push_after);
		snprintf(details, sizeof(details), "%s", b.data != NULL ? b.data : "");
		buf_cleanup(&b);
	}
	if (details[0] != '\0')
		log_action(st, &j->who, &j->target, "user_ereport_changed", details, &rc);
	return rc == ST_OK ? ereport_get_run(w, st) : rc;
}

int
api_users_ereport_get(struct req *r)
{
	return user_simple(r, U_EREPORT, ereport_get_run, NULL, false);
}

int
api_users_ereport_edit(struct req *r)
{
	static const char *const members[] = {"structure", "format", "push", NULL};
	struct user_job *j;
	const char *bad;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, members)) {
		json_decref(o);
		return 0;
	}
	j = user_job_new(r, U_EREPORT);
	bad = prefs_ereport_parse(o, &j->er);
	json_decref(o);
	if (bad != NULL) {
		user_job_free(&j->base);
		/* The members are the body's own here: "structure", not "ereport.structure". */
		json_bad_field(r, strchr(bad, '.') != NULL ? strchr(bad, '.') + 1 : bad,
		               EREPORT_HELP);
		return 0;
	}
	j->base.work.run = ereport_edit_run;
	return http_submit_or_reply(r, &j->base, true);
}

/* --- the action log -------------------------------------------------------------------------------- */

static int
action_push(void *arg, const struct action_row *a)
{
	char at[25], last[25];

	cal_instant_format(a->at, at);
	cal_instant_format(a->last_at, last);
	json_array_append_new(
	        arg,
	        json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:s}", "id",
	                  (json_int_t)a->id, "at", at, "user_id", (json_int_t)a->user_id,
	                  "user_login", a->user_login, "user_name", a->user_name, "user_email",
	                  a->user_email, "action", a->action, "target_user_id",
	                  (json_int_t)a->target_user_id, "target_login", a->target_login, "details",
	                  a->details, "count", (json_int_t)a->count, "last_at", last));
	return ST_OK;
}

static int
actions_run(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	json_t *items = json_array();
	int rc;

	j->q.brand_id = j->who.brand_id;
	j->q.action = j->action_name[0] ? j->action_name : NULL;
	j->q.limit = ACTIONS_PAGE + 1;
	rc = api_scope(st, &j->who, j->node_id, &j->q.node_id);
	if (rc == ST_OK)
		rc = st->ops->actions_each(st, &j->q, action_push, items);
	if (rc != ST_OK) {
		json_decref(items);
		return rc;
	}
	j->result = json_pack("{s:o, s:o}", "items", items, "next",
	                      json_page_next(items, ACTIONS_PAGE));
	return ST_OK;
}

/* An export's format= (csv, txt) and layout= (docs/EXPORTS.md), each once: NULL, taken, else
 * the bad parameter's name. */
static const char *
export_param(struct user_job *j, const char *key, const char *val)
{
	if (strcmp(key, "layout") == 0) {
		if (j->have_layout || export_layout_parse(val, &j->layout) != 0)
			return "layout";
		j->have_layout = true;
		return NULL;
	}
	if (j->have_format || (strcmp(val, "csv") != 0 && strcmp(val, "txt") != 0))
		return "format";
	j->have_format = true;
	j->txt = strcmp(val, "txt") == 0;
	return NULL;
}

/* Reads the query parameters into j->q: from, to (YYYY-MM-DD, inclusive, days of the user's
 * time zone; required), node (a node of the user's tree: the actions of its users), user (id:
 * the actions they did and those done to them), action, cursor; the export's format and
 * layout. false: answered 400. */
static bool
actions_query(struct req *r, struct user_job *j)
{
	const struct tz *zone = api_zone(&j->who);
	char key[QUERY_KEY_MAX], val[64];
	int64_t from = -1, to = -1;
	const char *bad = NULL;
	size_t pos = 0;
	int got;

	while (bad == NULL &&
	       (got = query_next(r, &pos, key, sizeof(key), val, sizeof(val))) != 0) {
		if (got < 0)
			bad = "query";
		else if (strcmp(key, "from") == 0)
			bad = cal_date_parse(val, &from) != 0 ? "from" : NULL;
		else if (strcmp(key, "to") == 0)
			bad = cal_date_parse(val, &to) != 0 ? "to" : NULL;
		else if (strcmp(key, "node") == 0)
			bad = query_id(val, &j->node_id) != 0 ? "node" : NULL;
		else if (strcmp(key, "user") == 0)
			bad = query_id(val, &j->q.user_id) != 0 ? "user" : NULL;
		else if (strcmp(key, "cursor") == 0)
			bad = query_id(val, &j->q.after_id) != 0 ? "cursor" : NULL;
		else if (j->export && (strcmp(key, "layout") == 0 || strcmp(key, "format") == 0))
			bad = export_param(j, key, val);
		else if (strcmp(key, "action") != 0)
			bad = "query";
		else if (strspn(val, "abcdefghijklmnopqrstuvwxyz_") != strlen(val) ||
		         strlen(val) >= sizeof(j->action_name))
			bad = "action";
		else
			memcpy(j->action_name, val, strlen(val) + 1);
	}
	if (bad == NULL && (from < 0 || to < 0 || from > to))
		bad = from < 0 ? "from" : "to";
	if (bad != NULL) {
		json_bad_field(r, bad,
		               strcmp(bad, "layout") == 0 ? EXPORT_LAYOUT_HELP
		               : strcmp(bad, "format") == 0
		                       ? "format is csv (the default) or txt."
		                       : "from and to (YYYY-MM-DD, from <= to) are "
		                         "required; node, user, action and cursor "
		                         "are optional (an export's format and "
		                         "layout too).");
		return false;
	}
	j->q.from = tz_day_start(zone, from);
	j->q.to = tz_day_start(zone, to + 1);
	return true;
}

/* A search of the action log, answered by run (a page, or the export). */
static int
actions_submit(struct req *r, int (*run)(struct work_job *, struct store *), bool export)
{
	struct user_job *j = user_job_new(r, U_ACTIONS);

	j->export = export;
	if (!actions_query(r, j)) {
		user_job_free(&j->base);
		return 0;
	}
	j->base.work.run = run;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_actions_list(struct req *r)
{
	return actions_submit(r, actions_run, false);
}

/* The export's columns, and how the classic layout writes each (export_layout.h). */
static const char *const export_columns[] = {"date",   "login",   "name",  "email", "action",
                                             "target", "details", "count", NULL};
static const enum export_kind export_kinds[] = {EK_INSTANT, EK_TEXT, EK_TEXT, EK_TEXT,
                                                EK_WORD,    EK_TEXT, EK_TEXT, EK_NUMBER};

struct export_ctx {
	struct export_out *o;
	const struct tz *zone;
	int64_t last_id;
	int n;
};

static int
export_row(void *arg, const struct action_row *a)
{
	struct export_ctx *x = arg;
	char at[26], count[24];
	const char *values[] = {at,        a->user_login,   a->user_name, a->user_email,
	                        a->action, a->target_login, a->details,   count};

	tz_format_iso(x->zone, a->at, at);
	snprintf(count, sizeof(count), "%lld", (long long)a->count);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		export_put(x->o, export_kinds[i], export_kinds[i] == EK_WORD ? "action" : NULL,
		           values[i]);
	export_out_row_end(x->o);
	x->last_id = a->id;
	x->n++;
	return x->o->b->failed ? ST_TOOBIG : ST_OK;
}

/* Reader: the whole period, in keyset pages, into one file (CSV or TXT) in the layout asked:
 * the machine's by default, the bytes it always had. */
static int
export_run(struct work_job *w, struct store *st)
{
	struct user_job *j = (struct user_job *)w;
	struct export_out o;
	struct export_ctx x = {&o, api_zone(&j->who), 0, 0};
	struct buf b;
	char base[48];
	int rc;

	buf_init(&b, EXPORT_MAX_BYTES);
	j->q.brand_id = j->who.brand_id;
	j->q.action = j->action_name[0] ? j->action_name : NULL;
	j->q.limit = EXPORT_PAGE;
	rc = api_scope(st, &j->who, j->node_id, &j->q.node_id);
	if (rc == ST_OK)
		rc = export_out_init(&o, &b, j->layout, j->txt, st, &j->who);
	if (rc == ST_OK)
		export_out_header(&o, "actions", export_columns);
	while (rc == ST_OK) {
		x.n = 0;
		rc = st->ops->actions_each(st, &j->q, export_row, &x);
		j->q.after_id = x.last_id;
		if (x.n < EXPORT_PAGE)
			break;
	}
	if (rc == ST_TOOBIG) {
		j->why = "export_too_large";
		j->why_message = "More than 64 MiB of action log: export a shorter period.";
	}
	if (rc == ST_OK) {
		export_file_name(base, sizeof(base), "actions", j->layout, x.zone, j->q.from,
		                 j->q.to);
		snprintf(j->file_name, sizeof(j->file_name), "%s.%s", base, j->txt ? "txt" : "csv");
		j->csv_len = b.len;
		j->csv = buf_take(&b);
	}
	buf_cleanup(&b);
	return rc;
}

int
api_actions_export(struct req *r)
{
	return actions_submit(r, export_run, true);
}
