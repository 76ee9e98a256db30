/*
 * session.c - the back office's sign-in (SPEC §3, §16): sessions, the second factor's step,
 * password change, terms of use. A sign-in first passes the rate limits, on the loop; Argon2id
 * then runs on the hasher (work.h), never on a loop nor a reader; what a sign-in changes
 * (failures, lockout, the session, the action log) is then recorded by the writer in one
 * transaction.
 *
 * Not the user management (users.c) nor the authorization table (routes.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/json.h"
#include "api/render.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/text.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/password.h"

/* A hash no password matches, verified when the login is unknown so that an unknown login
 * costs the same time as a wrong password. Made once, at first use. */
static char dummy_hash[CRYPTO_PWHASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
dummy_init(void)
{
	char pw[33];

	crypto_password_generate(pw, 32);
	if (crypto_password_hash(dummy_hash, pw) != ST_OK)
		abort();
	crypto_wipe(pw, sizeof(pw));
}

enum outcome {
	OUT_OK = 0,
	OUT_BAD_CREDENTIALS,
	OUT_LOCKED,
	OUT_ELSEWHERE,
	OUT_WRONG_PASSWORD, /* password change: the old one is wrong */
	OUT_POLICY,         /* password change: the new one breaks a rule */
	OUT_REUSED,         /* password change: one of the last ones */
	OUT_BAD_CODE,       /* second factor: wrong or expired code */
	OUT_NOT_EMAIL,      /* second factor: a new code asked by a TOTP user */
	OUT_TOO_SOON,       /* second factor: a new code asked within SF_RESEND_US */
	OUT_NOT_PENDING,    /* second factor: the step was given meanwhile (a double submit) */
	OUT_BAD_KEY,        /* resume: a wrong key, counted */
	OUT_KEY_ENDED,      /* resume: the RESUME_MAX_FAILURES-th wrong key, the session ended */
	OUT_EXPIRED,        /* resume: past its idle time or its 12 hours, ended */
	OUT_CONNECTED,      /* resume: resumed meanwhile (a double submit) */
	OUT_NO_TEST,        /* sign-in to test: the brand has no test environment */
	OUT_DISABLED,       /* sign-in: the right password of a deactivated account */
};

/* SPEC §3 "disconnected": the resume key, random, of RESUME_KEY_LEN bytes (base64url in the
 * answer, only its hash kept); the third wrong key in a row ends the session, so that a
 * stolen cookie is no key guesser (and the key's 256 bits are none to guess anyway). */
#define RESUME_KEY_LEN      32
#define RESUME_MAX_FAILURES 3

struct auth_job {
	struct http_job base; /* first */
	struct app *app;
	/* Request. */
	char login[65];
	char pspid[33];
	bool ingenico;
	char password[PASSWORD_MAX_LEN + 1];
	char new_password[PASSWORD_MAX_LEN + 1];
	char device[81];
	bool takeover;
	bool test;              /* "environment": "test" (SPEC §16.1) */
	unsigned char addr[16]; /* sign-in: the client's rate-limit key (http_client_key) */
	size_t addr_len;
	int retry_s;          /* a refusal to come back later: after so many seconds */
	char code[17];        /* second factor */
	char resume_key[128]; /* resume: as given (a longer one is no key: 400) */
	struct session who;   /* password change, terms, sign-out: the signed-in user */
	/* Between the two runs. */
	struct user_auth user;
	bool password_ok;
	bool wrong_pspid; /* the login exists, in another account than the one typed */
	char new_hash[CRYPTO_PWHASH_LEN];
	bool rehashed; /* sign-in: new_hash is the password at the cost set now */
	enum pw_problem problem;
	/* Result. */
	enum outcome outcome;
	char elsewhere[81];
	bool elsewhere_disconnected; /* the session held elsewhere is disconnected (resumable) */
	int attempts_left;           /* resume: wrong keys still allowed; second factor: failures */
	int64_t at;                  /* disconnect, resume: when the store recorded it */
	struct session s;            /* the new session */
	char token_hex[2 * HTTP_TOKEN_LEN + 1];
	char csrf_hex[2 * HTTP_TOKEN_LEN + 1];
	char resume_b64[CRYPTO_B64URL_SIZE(RESUME_KEY_LEN)]; /* disconnect: the new key */
};

static void
auth_free(struct http_job *hj)
{
	struct auth_job *j = (struct auth_job *)hj;

	crypto_wipe(j, sizeof(*j));
	free(j);
}

static struct auth_job *
auth_job_new(struct req *r)
{
	struct auth_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->app = r->app;
	j->base.free = auth_free;
	j->who = session_as_user(&r->session); /* the user's, whatever the environment */
	return j;
}

/* The user's action-log line (SPEC §13), unless *rc already failed. repeated: a refusal that
 * anyone may cause again and again without signing in (a locked account's sign-in): counted in
 * the row of the same minute rather than written again (migration 021), so that a flood of
 * them adds a row a minute at most. */
static void
action_line(struct store *st, const struct user *u, int64_t at, const char *what,
            const char *details, bool repeated, int *rc)
{
	struct action a = {0};

	if (*rc != ST_OK)
		return;
	a.brand_id = u->brand_id;
	a.at = at;
	a.user_id = u->id;
	a.user_login = u->login;
	a.user_name = u->name;
	a.user_email = u->email;
	a.action = what;
	a.details = details;
	*rc = repeated ? st->ops->action_repeat(st, &a, at - at % (60 * CAL_US_PER_S))
	               : st->ops->action_add(st, &a);
}

static void
action(struct store *st, const struct user *u, int64_t at, const char *what, const char *details,
       int *rc)
{
	action_line(st, u, at, what, details, false, rc);
}

/* A sign-in refused (SPEC §3: a locked account; a session held elsewhere), counted. */
static void
refusal(struct store *st, const struct user *u, int64_t at, const char *details, int *rc)
{
	action_line(st, u, at, "sign_in_refused", details, true, rc);
}

/* The sign-in steps a user has done, as the store has them. */
static struct session_steps
steps_of(const struct user_auth *ua)
{
	struct session_steps steps = {
	        .must_change = ua->u.must_change,
	        .password_set_at = ua->password_set_at,
	        .terms_accepted = ua->terms_version,
	        .factor_required = ua->second_factor_required,
	        .has_factor = ua->second_factor != SF_NONE,
	};

	return steps;
}

/* What the user must do first (session_next_step, the rule every request is also judged by),
 * with the store's current terms version, which the session table learns here too. */
static int
next_of(struct store *st, struct app *app, const struct session_steps *steps, int64_t now,
        enum next_step *next)
{
	int version = 0, rc;

	rc = st->ops->terms_version(st, &version);
	if (rc != ST_OK)
		return rc;
	session_cache_terms_seen(app->sessions, version);
	*next = session_next_step(steps, version, now);
	return ST_OK;
}

static json_t *
user_json(const struct session *s)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "login", s->login, "name", s->name, "email",
	                 s->email, "profile", profile_name(s->profile));
}

/* The answers' "next": the step's name, or null when there is none. */
static json_t *
next_json(enum next_step n)
{
	const char *name = next_step_name(n);

	return name != NULL ? json_string(name) : json_null();
}

/* A new session token and CSRF token: their hex in j for the answer, their hashes (what the
 * store and the session table keep) in token_hash and csrf_hash; the tokens themselves are
 * wiped. */
static void
tokens_new(struct auth_job *j, unsigned char token_hash[32], unsigned char csrf_hash[32])
{
	unsigned char token[HTTP_TOKEN_LEN], csrf[HTTP_TOKEN_LEN];

	crypto_random(token, sizeof(token));
	crypto_random(csrf, sizeof(csrf));
	crypto_digest(token_hash, token, sizeof(token));
	crypto_digest(csrf_hash, csrf, sizeof(csrf));
	crypto_hex(j->token_hex, token, sizeof(token));
	crypto_hex(j->csrf_hex, csrf, sizeof(csrf));
	crypto_wipe(token, sizeof(token));
	crypto_wipe(csrf, sizeof(csrf));
}

/* --- sign-in ------------------------------------------------------------------------------ */

/* The keys of the login limit: the login as typed, in ASCII lower case (logins are). */
static size_t
login_key(const struct auth_job *j, char out[65])
{
	size_t n = strlen(j->login);

	for (size_t i = 0; i <= n; i++)
		out[i] = (j->login[i] >= 'A' && j->login[i] <= 'Z') ? (char)(j->login[i] + 32)
		                                                    : j->login[i];
	return n;
}

/* Gives back the sign-in's share of the address's limit, and of the login's when login is not
 * NULL. */
static void
give_back(struct req *r, const struct auth_job *j, const char *login, size_t len, int64_t now)
{
	throttle_give_back(r->app->throttle, &r->app->signin_address, 'a', j->addr, j->addr_len,
	                   now);
	if (login != NULL)
		throttle_give_back(r->app->throttle, &r->app->signin_login, 'l', login, len, now);
}

/* Takes the sign-in's share of both limits, on the loop, before the job goes to a hasher: an
 * address or a login past its limit is answered 429 at once, with the seconds to wait, and
 * hashes nothing (a flood costs the server a look-up each). Logged once a flood, at its first
 * refusal. false: answered. */
static bool
signin_admit(struct req *r, struct auth_job *j)
{
	char login[65];
	size_t len = login_key(j, login);
	int64_t now = clock_now_us();
	const char *by = NULL;
	bool first = false;
	int retry = 0;

	j->addr_len = http_client_key(r, j->addr);
	if (throttle_take(r->app->throttle, &r->app->signin_address, 'a', j->addr, j->addr_len, now,
	                  &retry, &first) != ST_OK) {
		by = "address";
	} else if (throttle_take(r->app->throttle, &r->app->signin_login, 'l', login, len, now,
	                         &retry, &first) != ST_OK) {
		give_back(r, j, NULL, 0, now);
		by = "login";
	}
	crypto_wipe(login, sizeof(login));
	if (by == NULL)
		return true;
	if (first)
		log_info("event=sign_in_throttled req=%s by=%s retry_after=%d", r->id, by, retry);
	http_reply_retry(r, ST_TOO_MANY, "too_many_attempts", NULL, retry);
	return false;
}

/* Gives the sign-in's share back: the password was right (or the server did not try it),
 * which the limits do not count. */
static void
signin_give_back(struct req *r, struct auth_job *j)
{
	char login[65];
	size_t len = login_key(j, login);

	give_back(r, j, login, len, clock_now_us());
	crypto_wipe(login, sizeof(login));
}

/* Reader: the user and the Argon2id verification. */
static int
signin_verify(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	int rc;

	rc = st->ops->user_by_login(st, j->login, &j->user);
	if (rc == ST_NOTFOUND) {
		pthread_once(&dummy_once, dummy_init);
		int same_cost = crypto_password_verify(dummy_hash, j->password);

		(void)same_cost;
		/* No account to log it in: the server's log keeps the trace, without the login
		 * (a password typed in the wrong field would land there). */
		log_info("event=sign_in_failed reason=%s",
		         j->ingenico ? "unknown_user_id" : "unknown_login");
		j->outcome = OUT_BAD_CREDENTIALS;
		j->user.u.id = 0;
		return ST_OK;
	}
	if (rc != ST_OK)
		return rc;
	/* The Ingenico form with another account's id: a failed sign-in on this user, verified
	 * all the same so that it costs what a wrong password costs. */
	j->wrong_pspid = j->ingenico && strcmp(j->user.pspid, j->pspid) != 0;
	j->password_ok = !j->user.locked &&
	                 crypto_password_verify(j->user.u.password_hash, j->password) == ST_OK &&
	                 !j->wrong_pspid;
	/* A hash of another cost than the one set (docs/SECURITY.md "Passwords"): the right
	 * password hashed again now, while it is at hand, stored by the writer. */
	if (j->password_ok && crypto_password_needs_rehash(j->user.u.password_hash))
		j->rehashed = crypto_password_hash(j->new_hash, j->password) == ST_OK;
	crypto_wipe(j->password, sizeof(j->password));
	return ST_OK;
}

/* The user's live session, if any (ST_OK, or ST_NOTFOUND): this server's table has it when
 * the server is the database's only one; else the store does, last seen when this server's
 * table or the store last saw it (another server's use reaches the store once a minute). */
static int
live_session(struct store *st, const struct app *app, const struct user *u, struct session *out)
{
	struct session mine;
	struct session_row row;
	int rc;

	if (!app->shared)
		return session_cache_of_user(app->sessions, u->brand_id, u->id, out);
	rc = st->ops->session_live(st, u->brand_id, u->id, &row);
	if (rc != ST_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	memcpy(out->device, row.device, sizeof(out->device));
	out->created_at = row.created_at;
	out->last_seen_at = row.last_seen_at;
	out->disconnected = row.disconnected; /* then last used at its disconnect, as stored */
	if (!row.disconnected &&
	    session_cache_of_user(app->sessions, u->brand_id, u->id, &mine) == ST_OK &&
	    crypto_equal(mine.token_hash, row.token_hash, sizeof(row.token_hash)) &&
	    mine.last_seen_at > out->last_seen_at)
		out->last_seen_at = mine.last_seen_at;
	crypto_wipe(&mine, sizeof(mine));
	crypto_wipe(&row, sizeof(row));
	return ST_OK;
}

/* Writer: failures and lockout, or the session. Attempts verified in parallel by the readers
 * are put in one order here, so the account is read again: the reader's copy may predate a
 * lock that another attempt recorded since. Once locked, an attempt, right or wrong, counts
 * nothing and opens nothing: it is refused (423) and logged as such (SPEC §3: 3 failures). */
static int
signin_record(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	struct user *u = &j->user.u;
	struct user_auth fresh;
	struct session old;
	struct session_row row = {0};
	struct second_factor sf;
	enum second_factor_method pending;
	int64_t now = clock_now_us();
	bool locked = false;
	int rc = ST_OK;

	if (u->id == 0)
		return ST_OK; /* unknown login: nothing to record against */
	rc = st->ops->user_get(st, u->brand_id, u->id, &fresh);
	if (rc == ST_NOTFOUND) {
		j->outcome = OUT_BAD_CREDENTIALS; /* gone meanwhile */
		return ST_OK;
	}
	if (rc != ST_OK)
		return rc;
	/* The reader verified nothing on an account it saw locked, and what it verified was the
	 * hash it read: a password changed since voids it. */
	locked = j->user.locked || fresh.locked;
	if (strcmp(fresh.u.password_hash, u->password_hash) != 0)
		j->password_ok = false;
	j->user = fresh;
	crypto_wipe(&fresh, sizeof(fresh));
	if (locked)
		goto refused;
	if (!j->password_ok) {
		int failures = 0;

		rc = st->ops->user_sign_in_failed(st, u->brand_id, u->id, PASSWORD_MAX_FAILURES,
		                                  &locked, &failures);
		if (rc == ST_LOCKED)
			goto refused;
		j->outcome = locked ? OUT_LOCKED : OUT_BAD_CREDENTIALS;
		action(st, u, now, "sign_in_failed",
		       j->wrong_pspid ? "wrong account id (PSPID)" : "", &rc);
		if (locked)
			action(st, u, now, "account_locked", "3 failed sign-ins", &rc);
		return rc;
	}
	/* README "Users": a deactivated account opens nothing. Said only to whoever gave its
	 * right password (a wrong one is counted and answered as on any account, so the answer
	 * tells an attacker nothing), who may then ask an administrator. */
	if (j->user.deactivated_at != 0) {
		j->outcome = OUT_DISABLED;
		refusal(st, u, now, "account deactivated", &rc);
		return rc;
	}
	if (j->rehashed) {
		rc = st->ops->user_password_rehash(st, u->brand_id, u->id, u->password_hash,
		                                   j->new_hash);
		if (rc != ST_OK)
			return rc;
	}
	/* The test environment: the twin brand and the twin of the user's node, the session's
	 * data scope (docs/ENVIRONMENTS.md). */
	if (j->test) {
		rc = st->ops->env_twin_of(st, u->brand_id, u->node_id, &row.env_brand_id,
		                          &row.env_node_id);
		if (rc == ST_NOTFOUND) {
			j->outcome = OUT_NO_TEST;
			return ST_OK;
		}
		if (rc != ST_OK)
			return rc;
	}
	/* One session per login (SPEC §3): a live one elsewhere is named, or taken over. */
	if (live_session(st, j->app, u, &old) == ST_OK &&
	    now <= session_usable_until(old.created_at, old.last_seen_at, j->app->idle_us,
	                                LIMIT_SESSION_MAX_US) &&
	    !j->takeover) {
		j->outcome = OUT_ELSEWHERE;
		snprintf(j->elsewhere, sizeof(j->elsewhere), "%s", old.device);
		j->elsewhere_disconnected = old.disconnected;
		refusal(st, u, now, "session held by another device", &rc);
		return rc;
	}
	/* SPEC §3: with a second factor, the password is half of the sign-in. The session waits
	 * for the code; the failures are not forgotten yet (a wrong code counts with them, so
	 * signing in again does not buy more guesses), nor is the sign-in counted. */
	pending = j->user.second_factor;
	if (pending == SF_NONE) {
		/* Only on an account still unlocked, which the store checks again as it writes. */
		rc = st->ops->user_signed_in(st, u->brand_id, u->id, now);
		if (rc == ST_LOCKED)
			goto refused;
		if (rc != ST_OK)
			return rc;
	}
	tokens_new(j, row.token_hash, row.csrf_hash);
	row.brand_id = u->brand_id;
	row.user_id = u->id;
	snprintf(row.device, sizeof(row.device), "%s", j->device);
	row.created_at = row.last_seen_at = now;
	row.second_factor_pending = pending != SF_NONE;
	rc = st->ops->session_put(st, &row);
	if (rc == ST_OK && pending == SF_EMAIL) {
		rc = st->ops->second_factor_get(st, u->brand_id, u->id, &sf);
		if (rc == ST_OK)
			rc = api_second_factor_code_send(st, j->app->keys, &j->user, &sf, now);
		crypto_wipe(&sf, sizeof(sf));
	}
	if (pending != SF_NONE)
		action(st, u, now, "second_factor_requested", second_factor_name(pending), &rc);
	else
		action(st, u, now, "sign_in",
		       j->takeover ? (j->test ? "session taken over; environment: test"
		                              : "session taken over")
		                   : (j->test ? "environment: test" : ""),
		       &rc);
	j->s.steps = steps_of(&j->user);
	j->s.steps.second_factor = pending;
	if (rc == ST_OK)
		rc = next_of(st, j->app, &j->s.steps, now, &j->s.next);
	if (rc != ST_OK)
		return rc;
	j->s.id = row.id;
	j->s.brand_id = u->brand_id;
	j->s.user_id = u->id;
	j->s.node_id = u->node_id;
	j->s.env_brand_id = row.env_brand_id;
	j->s.env_node_id = row.env_node_id;
	j->s.profile = u->profile;
	memcpy(j->s.login, u->login, sizeof(j->s.login));
	memcpy(j->s.name, u->name, sizeof(j->s.name));
	memcpy(j->s.email, u->email, sizeof(j->s.email));
	memcpy(j->s.device, row.device, sizeof(j->s.device));
	memcpy(j->s.time_zone, j->user.time_zone, sizeof(j->s.time_zone));
	memcpy(j->s.token_hash, row.token_hash, sizeof(j->s.token_hash));
	memcpy(j->s.csrf_hash, row.csrf_hash, sizeof(j->s.csrf_hash));
	j->s.created_at = j->s.last_seen_at = j->s.persisted_at = now;
	j->outcome = OUT_OK;
	return ST_OK;
refused:
	j->outcome = OUT_LOCKED;
	rc = ST_OK;
	refusal(st, u, now, "account locked", &rc);
	return rc;
}

static void
set_cookie(struct req *r, const char *token_hex, bool clear)
{
	char v[160];
	int n;

	n = snprintf(v, sizeof(v), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
	             HTTP_SESSION_COOKIE, clear ? "" : token_hex, r->app->tls ? "; Secure" : "",
	             clear ? "; Max-Age=0" : "");
	h2o_add_header(&r->h2o->pool, &r->h2o->res.headers, H2O_TOKEN_SET_COOKIE, NULL,
	               h2o_strdup(&r->h2o->pool, v, (size_t)n).base, (size_t)n);
	crypto_wipe(v, sizeof(v));
}

/* The session a job opened goes live (the table, the cookie); returns the answer's body,
 * the new CSRF token, the next step and the user. */
static json_t *
session_opened(struct req *r, struct auth_job *j)
{
	session_cache_put(r->app->sessions, &j->s);
	set_cookie(r, j->token_hex, false);
	return json_pack("{s:s, s:o, s:o, s:s}", "csrf", j->csrf_hex, "next", next_json(j->s.next),
	                 "user", user_json(&j->s), "environment", session_env_name(&j->s));
}

void
api_session_locked(struct req *r, int64_t brand_id, int64_t user_id)
{
	session_cache_remove_user(r->app->sessions, brand_id, user_id);
	set_cookie(r, "", true);
	http_reply_error(r, ST_LOCKED, "locked", NULL);
}

/* The account was locked while a sign-in of it waited for its second factor: that sign-in
 * ended (SPEC §3), the cookie goes, 423. The user's live session, if any, stays: wrong codes
 * typed with the password alone must not end it. */
static void
session_locked(struct req *r, struct auth_job *j)
{
	session_cache_remove(r->app->sessions, j->who.token_hash);
	set_cookie(r, "", true);
	http_reply_error(r, ST_LOCKED, "locked", NULL);
}

int
api_check_failed(struct store *st, const struct user *u, int64_t at, const char *what,
                 const char *details, bool *locked, int *left)
{
	bool now_locked = false;
	int rc, failures = 0;

	*locked = false;
	rc = st->ops->user_sign_in_failed(st, u->brand_id, u->id, PASSWORD_MAX_FAILURES,
	                                  &now_locked, &failures);
	*left = PASSWORD_MAX_FAILURES - failures;
	if (rc == ST_LOCKED) {
		/* Locked meanwhile (failures elsewhere): nothing more to count. */
		now_locked = true;
		rc = ST_OK;
	} else {
		action(st, u, at, what, details, &rc);
		if (now_locked)
			action(st, u, at, "account_locked", "3 failed sign-ins", &rc);
	}
	if (rc == ST_OK && now_locked)
		rc = st->ops->session_delete_user(st, u->brand_id, u->id);
	*locked = now_locked;
	return rc;
}

static void
signin_respond(struct http_job *hj, struct req *r)
{
	struct auth_job *j = (struct auth_job *)hj;
	json_t *o;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	if (j->outcome == OUT_OK || j->outcome == OUT_ELSEWHERE || j->outcome == OUT_NO_TEST ||
	    j->outcome == OUT_DISABLED)
		signin_give_back(r, j);
	switch (j->outcome) {
	case OUT_OK:
		o = session_opened(r, j);
		if (j->s.steps.second_factor != SF_NONE)
			json_object_set_new(
			        o, "second_factor",
			        json_string(second_factor_name(j->s.steps.second_factor)));
		log_info("event=sign_in req=%s user=%lld second_factor=%s", r->id,
		         (long long)j->s.user_id,
		         j->s.steps.second_factor != SF_NONE ? "pending" : "none");
		http_reply_json(r, 200, o);
		break;
	case OUT_NO_TEST:
		http_reply_error(r, ST_CONFLICT, "environment_unavailable",
		                 "This account has no test environment.");
		break;
	case OUT_DISABLED:
		log_info("event=sign_in_disabled req=%s", r->id);
		http_reply_error(
		        r, ST_FORBIDDEN, "account_disabled",
		        "This account is deactivated; an administrator can reactivate it.");
		break;
	case OUT_LOCKED:
		log_info("event=sign_in_locked req=%s", r->id);
		http_reply_error(r, ST_LOCKED, "locked", NULL);
		break;
	case OUT_ELSEWHERE:
		/* state: a disconnected session, resumable by its device within its idle
		 * time, blocks as a connected one does (SPEC §3). */
		o = json_pack("{s:s, s:s, s:s, s:s}", "error", "session_elsewhere", "message",
		              j->elsewhere_disconnected
		                      ? "Another device holds this account's session, disconnected "
		                        "and resumable by that device; sign in with \"takeover\": "
		                        "true to end it and continue here."
		                      : "Another device holds this account's session; sign in with "
		                        "\"takeover\": true to end it and continue here.",
		              "device", j->elsewhere, "state",
		              j->elsewhere_disconnected ? "disconnected" : "connected");
		http_reply_json(r, 409, o);
		break;
	default:
		log_info("event=sign_in_failed req=%s", r->id);
		http_reply_error(r, ST_AUTH, "bad_credentials", NULL);
		break;
	}
}

/* Whether the request's body is declared JSON: "application/json", any case, alone or with
 * parameters (charset). */
static bool
body_is_json(struct req *r)
{
	static const char json_type[] = "application/json";
	const h2o_iovec_t *ct = http_header(r, "content-type");
	size_t n = sizeof(json_type) - 1;

	if (ct == NULL || ct->len < n || !h2o_lcstris(ct->base, n, json_type, n))
		return false;
	for (size_t i = n; i < ct->len; i++) {
		if (ct->base[i] == ';')
			return true;
		if (ct->base[i] != ' ' && ct->base[i] != '\t')
			return false;
	}
	return true;
}

int
api_session_create(struct req *r)
{
	static const char *const classic[] = {"login",    "password",    "device",
	                                      "takeover", "environment", NULL};
	static const char *const ingenico[] = {"pspid",    "user_id",     "password", "device",
	                                       "takeover", "environment", NULL};
	const h2o_iovec_t *ua = http_header(r, "user-agent");
	struct auth_job *j;
	json_t *o, *v;
	bool is_ingenico;

	/* Sign-in has no CSRF token yet: a foreign page's form can post text/plain, never
	 * application/json without the browser asking first (CORS preflight), so JSON only. */
	if (!body_is_json(r)) {
		http_reply_json(r, 415,
		                json_pack("{s:s, s:s}", "error", "unsupported_media_type",
		                          "message",
		                          "Send the sign-in as Content-Type: application/json."));
		return 0;
	}
	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = auth_job_new(r);
	is_ingenico = json_object_get(o, "pspid") != NULL;
	if (json_refuse_unknown(r, o, is_ingenico ? ingenico : classic) ||
	    json_take_text(r, o, is_ingenico ? "user_id" : "login", j->login, sizeof(j->login),
	                   true) ||
	    (is_ingenico && json_take_text(r, o, "pspid", j->pspid, sizeof(j->pspid), true)) ||
	    json_take_text(r, o, "password", j->password, sizeof(j->password), true) ||
	    json_take_text(r, o, "device", j->device, sizeof(j->device), false))
		goto fail;
	j->ingenico = is_ingenico;
	if ((v = json_object_get(o, "takeover")) != NULL) {
		if (!json_is_boolean(v)) {
			json_bad_field(r, "takeover", "takeover must be true or false.");
			goto fail;
		}
		j->takeover = json_is_true(v);
	}
	/* SPEC §16.1: the environment signed in to, production unless told. */
	if ((v = json_object_get(o, "environment")) != NULL) {
		const char *env = json_string_value(v);

		if (env == NULL || (strcmp(env, "test") != 0 && strcmp(env, "production") != 0)) {
			json_bad_field(r, "environment",
			               "environment is \"test\" or \"production\" (the default).");
			goto fail;
		}
		j->test = strcmp(env, "test") == 0;
	}
	/* Else the browser's User-Agent, as text (it is shown, logged and put in JSON): its first
	 * 80 bytes, bytes that are not UTF-8 or are unsafe made '?'. */
	if (j->device[0] == '\0' && ua != NULL)
		text_copy_safe(j->device, sizeof(j->device), ua->base, ua->len);
	if (j->device[0] == '\0')
		snprintf(j->device, sizeof(j->device), "unknown device");
	json_decref(o);
	if (!signin_admit(r, j)) {
		auth_free(&j->base);
		return 0;
	}
	j->base.work.run = signin_verify;
	j->base.hash = true;
	j->base.then_write = signin_record;
	j->base.respond = signin_respond;
	if (http_submit(r, &j->base, false) != ST_OK) {
		/* The hashers' queue is full: nothing was tried, so nothing counts. */
		signin_give_back(r, j);
		auth_free(&j->base);
		http_reply_retry(r, ST_BUSY, NULL, NULL, 1);
	}
	return 0;
fail:
	json_decref(o);
	auth_free(&j->base);
	return 0;
}

/* --- the session: who, sign-out ------------------------------------------------------------ */

/* "METHOD PATH" of every route the profile may call once `next` is null, as the route table
 * (routes_allow) says: the web UI shows what it offers from this, not from a copy. */
static json_t *
allowed_json(enum profile p)
{
	json_t *a = json_array();
	char line[160];

	for (size_t i = 0; i < routes_n; i++) {
		const struct route *rt = &routes[i];

		if (rt->auth != AUTH_SESSION || !routes_allow(rt->method, rt->pattern, p))
			continue;
		snprintf(line, sizeof(line), "%s %s", rt->method, rt->pattern);
		json_array_append_new(a, json_string(line));
	}
	return a;
}

/* GET /bo/api/session's answer for the request's session. */
static json_t *
session_json(struct req *r)
{
	json_t *o;

	o = json_pack("{s:o, s:o, s:s, s:o, s:s}", "user", user_json(&r->session), "next",
	              next_json(r->session.next), "device", r->session.device, "allowed",
	              allowed_json(r->session.profile), "environment",
	              session_env_name(&r->session));
	if (r->session.steps.second_factor != SF_NONE)
		json_object_set_new(
		        o, "second_factor",
		        json_string(second_factor_name(r->session.steps.second_factor)));
	return o;
}

int
api_session_get(struct req *r)
{
	http_reply_json(r, 200, session_json(r));
	return 0;
}

/* The signed-in user of a job, for its action-log line. */
static void
who_user(const struct auth_job *j, struct user *u)
{
	memset(u, 0, sizeof(*u));
	u->brand_id = j->who.brand_id;
	u->id = j->who.user_id;
	memcpy(u->login, j->who.login, sizeof(u->login));
	memcpy(u->name, j->who.name, sizeof(u->name));
	memcpy(u->email, j->who.email, sizeof(u->email));
}

static int
signout_run(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	struct user u;
	int rc;

	rc = st->ops->session_delete(st, j->who.brand_id, j->who.id);
	who_user(j, &u);
	action(st, &u, clock_now_us(), "sign_out", "", &rc);
	return rc;
}

static void
signout_respond(struct http_job *hj, struct req *r)
{
	struct auth_job *j = (struct auth_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	/* This session only: a sign-in waiting for its code ends without the live one. */
	session_cache_remove(r->app->sessions, j->who.token_hash);
	set_cookie(r, "", true);
	http_reply_json(r, 200, json_pack("{s:b}", "signed_out", 1));
}

int
api_session_delete(struct req *r)
{
	struct auth_job *j = auth_job_new(r);

	j->base.work.run = signout_run;
	j->base.respond = signout_respond;
	return http_submit_or_reply(r, &j->base, true);
}

/* --- disconnect and resume (SPEC §3 "disconnected"; issue 14) -------------------------------- */

/* Writer: the session becomes disconnected, resumable by a new key, its last use now. The key
 * goes in the answer only: its hash is what the store keeps, as for the session's token. */
static int
disconnect_run(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	unsigned char key[RESUME_KEY_LEN], hash[CRYPTO_HASH_LEN];
	struct user u;
	int rc;

	j->at = clock_now_us();
	crypto_random(key, sizeof(key));
	crypto_digest(hash, key, sizeof(key));
	crypto_b64url(j->resume_b64, key, sizeof(key));
	crypto_wipe(key, sizeof(key));
	rc = st->ops->session_disconnect(st, j->who.brand_id, j->who.id, hash, j->at);
	if (rc == ST_NOTFOUND)
		rc = ST_AUTH; /* ended meanwhile (taken over, locked) */
	who_user(j, &u);
	action(st, &u, j->at, "disconnect", "", &rc);
	return rc;
}

static void
disconnect_respond(struct http_job *hj, struct req *r)
{
	struct auth_job *j = (struct auth_job *)hj;
	int64_t until;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc,
		                 j->base.work.rc == ST_AUTH ? "not_signed_in" : NULL, NULL);
		return;
	}
	session_cache_set_disconnected(r->app->sessions, j->who.token_hash, true, j->at, NULL);
	until = session_usable_until(j->who.created_at, j->at, r->app->idle_us,
	                             LIMIT_SESSION_MAX_US);
	log_info("event=disconnect req=%s user=%lld", r->id, (long long)j->who.user_id);
	http_reply_json(r, 200,
	                json_pack("{s:s, s:o}", "resume_key", j->resume_b64, "resumable_until",
	                          json_instant_or_null(until)));
}

int
api_session_disconnect(struct req *r)
{
	struct auth_job *j = auth_job_new(r);

	j->base.work.run = disconnect_run;
	j->base.respond = disconnect_respond;
	return http_submit_or_reply(r, &j->base, true);
}

/* Writer: the key against the session's row as it is now. Its idle time and 12 hours are
 * checked again (the request's check came before the queue); a wrong key is counted, the
 * RESUME_MAX_FAILURES-th ends the session; the right one connects it again, its last use
 * now, with a new CSRF token (the device may have lost the one it had). */
static int
resume_run(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	struct session_row row;
	unsigned char key[RESUME_KEY_LEN], hash[CRYPTO_HASH_LEN], csrf[HTTP_TOKEN_LEN];
	int64_t brand_id = j->who.brand_id, now = clock_now_us();
	bool ok;
	struct user u;
	int rc;

	memset(&row, 0, sizeof(row));
	who_user(j, &u);
	rc = st->ops->session_get(st, brand_id, j->who.id, &row);
	if (rc == ST_NOTFOUND)
		rc = ST_AUTH; /* ended meanwhile */
	if (rc != ST_OK)
		goto out;
	if (!row.disconnected) {
		j->outcome = OUT_CONNECTED;
		goto out;
	}
	if (now > session_usable_until(row.created_at, row.last_seen_at, j->app->idle_us,
	                               LIMIT_SESSION_MAX_US)) {
		rc = st->ops->session_delete(st, brand_id, row.id);
		action(st, &u, now, "session_expired", "", &rc);
		j->outcome = OUT_EXPIRED;
		goto out;
	}
	ok = crypto_unb64url(key, sizeof(key), j->resume_key, strlen(j->resume_key)) == ST_OK;
	if (ok) {
		crypto_digest(hash, key, sizeof(key));
		ok = crypto_equal(hash, row.resume_hash, sizeof(hash));
	}
	if (!ok) {
		int failures = row.resume_failures + 1;

		if (failures >= RESUME_MAX_FAILURES) {
			rc = st->ops->session_delete(st, brand_id, row.id);
			action(st, &u, now, "resume_refused", "wrong resume key: session ended",
			       &rc);
			j->outcome = OUT_KEY_ENDED;
		} else {
			rc = st->ops->session_resume_failed(st, brand_id, row.id, failures);
			action(st, &u, now, "resume_refused", "wrong resume key", &rc);
			j->outcome = OUT_BAD_KEY;
			j->attempts_left = RESUME_MAX_FAILURES - failures;
		}
		goto out;
	}
	crypto_random(csrf, sizeof(csrf));
	crypto_digest(j->s.csrf_hash, csrf, sizeof(csrf));
	crypto_hex(j->csrf_hex, csrf, sizeof(csrf));
	crypto_wipe(csrf, sizeof(csrf));
	rc = st->ops->session_resume(st, brand_id, row.id, j->s.csrf_hash, now);
	if (rc == ST_NOTFOUND)
		rc = ST_AUTH;
	action(st, &u, now, "resume", "", &rc);
	j->at = now;
	j->outcome = OUT_OK;
out:
	crypto_wipe(key, sizeof(key));
	crypto_wipe(j->resume_key, sizeof(j->resume_key));
	crypto_wipe(&row, sizeof(row));
	return rc;
}

static void
resume_respond(struct http_job *hj, struct req *r)
{
	struct auth_job *j = (struct auth_job *)hj;
	json_t *o;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc,
		                 j->base.work.rc == ST_AUTH ? "not_signed_in" : NULL, NULL);
		return;
	}
	switch (j->outcome) {
	case OUT_OK:
		session_cache_set_disconnected(r->app->sessions, j->who.token_hash, false, j->at,
		                               j->s.csrf_hash);
		r->session.disconnected = false;
		log_info("event=resume req=%s user=%lld", r->id, (long long)j->who.user_id);
		o = session_json(r);
		json_object_set_new(o, "csrf", json_string(j->csrf_hex));
		http_reply_json(r, 200, o);
		break;
	case OUT_BAD_KEY:
		log_info("event=resume_refused req=%s user=%lld", r->id, (long long)j->who.user_id);
		http_reply_json(r, 401,
		                json_pack("{s:s, s:s, s:i}", "error", "resume_refused", "message",
		                          "Wrong resume key: the session was not resumed.",
		                          "attempts_left", j->attempts_left));
		break;
	case OUT_KEY_ENDED:
		log_info("event=resume_refused req=%s user=%lld ended=1", r->id,
		         (long long)j->who.user_id);
		session_cache_remove(r->app->sessions, j->who.token_hash);
		set_cookie(r, "", true);
		http_reply_json(r, 401,
		                json_pack("{s:s, s:s, s:i}", "error", "resume_refused", "message",
		                          "Wrong resume key, for the third time: the session has "
		                          "ended. Sign in again.",
		                          "attempts_left", 0));
		break;
	case OUT_EXPIRED:
		log_info("event=session_expired req=%s user=%lld", r->id,
		         (long long)j->who.user_id);
		session_cache_remove(r->app->sessions, j->who.token_hash);
		http_reply_error(r, ST_AUTH, "session_expired", NULL);
		break;
	default:
		http_reply_error(r, ST_CONFLICT, "not_disconnected", NULL);
		break;
	}
}

int
api_session_resume(struct req *r)
{
	static const char *const allowed[] = {"resume_key", NULL};
	struct auth_job *j;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = auth_job_new(r);
	if (json_refuse_unknown(r, o, allowed) ||
	    json_take_text(r, o, "resume_key", j->resume_key, sizeof(j->resume_key), true)) {
		json_decref(o);
		auth_free(&j->base);
		return 0;
	}
	json_decref(o);
	j->base.work.run = resume_run;
	j->base.respond = resume_respond;
	return http_submit_or_reply(r, &j->base, true);
}

/* --- the second factor's step (SPEC §3) ----------------------------------------------------- */

/* Writer: the code of the signed-in session's user. The waiting sign-in and the account are
 * read again: a lock, or a method turned off by an administrator, set meanwhile wins; a
 * sign-in that no longer waits was given its code by a request sent with this one (a double
 * submit: the code was right, nothing counts, and only the first signs in). A right code
 * completes the sign-in (failures forgotten, counted, logged "sign_in") with new tokens, the
 * session's rights having changed, and only now does the user's live session elsewhere end,
 * if any (one session per login; a takeover asked with the password); a wrong one counts as a
 * failed sign-in, and the third in a row locks the account and ends the session (SPEC §3: 3
 * failures). */
static int
second_factor_record(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	struct user *u = &j->user.u;
	struct second_factor sf;
	struct session_row row;
	unsigned char digest[CRYPTO_HASH_LEN];
	int64_t brand_id = j->who.brand_id, now = clock_now_us();
	enum second_factor_method method;
	bool ok = false, locked = false;
	char details[40];
	int rc;

	memset(&sf, 0, sizeof(sf));
	rc = st->ops->session_get(st, brand_id, j->who.id, &row);
	if (rc == ST_NOTFOUND)
		rc = ST_AUTH; /* ended meanwhile */
	if (rc != ST_OK)
		goto out;
	if (!row.second_factor_pending) {
		j->outcome = OUT_NOT_PENDING;
		goto out;
	}
	rc = st->ops->user_get(st, brand_id, j->who.user_id, &j->user);
	if (rc == ST_NOTFOUND)
		rc = ST_AUTH; /* gone meanwhile */
	if (rc != ST_OK)
		goto out;
	if (j->user.locked)
		goto refused;
	method = j->user.second_factor;
	rc = st->ops->second_factor_get(st, brand_id, u->id, &sf);
	if (rc != ST_OK)
		goto out;
	switch (method) {
	case SF_TOTP:
		rc = api_second_factor_totp_check(j->app->keys, &sf, j->code, now, &ok);
		break;
	case SF_EMAIL:
		/* Used once, and for SF_CODE_TTL_US (Jetro). */
		crypto_code_digest(digest, j->app->keys, brand_id, u->id, j->code);
		ok = sf.has_code && now - sf.code_created_at <= SF_CODE_TTL_US &&
		     crypto_equal(digest, sf.code_digest, sizeof(digest));
		if (ok)
			sf.has_code = false;
		break;
	case SF_NONE:
		ok = true; /* an administrator turned it off: nothing is left to give */
		break;
	}
	if (rc != ST_OK)
		goto out;
	if (!ok) {
		int failures = 0;

		rc = st->ops->user_sign_in_failed(st, brand_id, u->id, PASSWORD_MAX_FAILURES,
		                                  &locked, &failures);
		if (rc == ST_LOCKED)
			goto refused;
		j->attempts_left = PASSWORD_MAX_FAILURES - failures;
		action(st, u, now, "second_factor_failed", second_factor_name(method), &rc);
		if (!locked) {
			j->outcome = OUT_BAD_CODE;
			goto out;
		}
		action(st, u, now, "account_locked", "3 failed sign-ins", &rc);
		goto ended;
	}
	if (method != SF_NONE)
		rc = st->ops->second_factor_put(st, &sf);
	if (rc == ST_OK)
		rc = st->ops->user_signed_in(st, brand_id, u->id, now);
	if (rc == ST_LOCKED)
		goto refused;
	if (rc != ST_OK)
		goto out;
	j->s = j->who;
	tokens_new(j, j->s.token_hash, j->s.csrf_hash);
	rc = st->ops->session_second_factor_done(st, brand_id, u->id, j->s.token_hash,
	                                         j->s.csrf_hash);
	snprintf(details, sizeof(details), "second factor: %s",
	         method != SF_NONE ? second_factor_name(method) : "turned off");
	action(st, u, now, "sign_in", details, &rc);
	j->s.steps = steps_of(&j->user);
	if (rc == ST_OK)
		rc = next_of(st, j->app, &j->s.steps, now, &j->s.next);
	j->outcome = OUT_OK;
	goto out;
refused:
	rc = ST_OK;
	refusal(st, u, now, "account locked", &rc);
ended:
	/* A locked account's pending session ends (SPEC §3). */
	if (rc == ST_OK)
		rc = st->ops->session_delete(st, brand_id, j->who.id);
	j->outcome = OUT_LOCKED;
out:
	crypto_wipe(&sf, sizeof(sf));
	crypto_wipe(j->code, sizeof(j->code));
	return rc;
}

static void
second_factor_respond(struct http_job *hj, struct req *r)
{
	struct auth_job *j = (struct auth_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc,
		                 j->base.work.rc == ST_AUTH ? "not_signed_in" : NULL, NULL);
		return;
	}
	switch (j->outcome) {
	case OUT_OK:
		log_info("event=second_factor_given req=%s user=%lld", r->id,
		         (long long)j->s.user_id);
		http_reply_json(r, 200, session_opened(r, j));
		break;
	case OUT_NOT_PENDING:
		http_reply_error(r, ST_CONFLICT, "no_second_factor",
		                 "This sign-in was given its code already.");
		break;
	case OUT_LOCKED:
		log_info("event=sign_in_locked req=%s", r->id);
		session_locked(r, j);
		break;
	default:
		log_info("event=second_factor_failed req=%s user=%lld", r->id,
		         (long long)j->who.user_id);
		/* The password was right: the failures before the lock are this user's to know
		 * (README "Sign-in": attempts left). */
		http_reply_json(r, 401,
		                json_pack("{s:s, s:s, s:i}", "error", "bad_code", "message",
		                          "The code is wrong, already used or expired.",
		                          "attempts_left", j->attempts_left));
		break;
	}
}

/* The routes of the step answer 409 once it is done (or for a user without one). */
static bool
second_factor_pending(struct req *r)
{
	if (r->session.next == NEXT_SECOND_FACTOR)
		return true;
	http_reply_error(r, ST_CONFLICT, "no_second_factor",
	                 "This session does not wait for a second factor.");
	return false;
}

int
api_session_second_factor(struct req *r)
{
	static const char *const allowed[] = {"code", NULL};
	struct auth_job *j;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = auth_job_new(r);
	if (json_refuse_unknown(r, o, allowed) ||
	    json_take_text(r, o, "code", j->code, sizeof(j->code), true) ||
	    !second_factor_pending(r)) {
		json_decref(o);
		auth_free(&j->base);
		return 0;
	}
	json_decref(o);
	j->base.work.run = second_factor_record;
	j->base.respond = second_factor_respond;
	return http_submit_or_reply(r, &j->base, true);
}

/* Writer: another e-mailed code, replacing the live one, at most every SF_RESEND_US. */
static int
resend_record(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	struct second_factor sf;
	int64_t now = clock_now_us();
	int rc;

	memset(&sf, 0, sizeof(sf));
	rc = st->ops->user_get(st, j->who.brand_id, j->who.user_id, &j->user);
	if (rc == ST_NOTFOUND)
		rc = ST_AUTH;
	if (rc != ST_OK)
		goto out;
	if (j->user.locked) {
		/* Locked meanwhile (failures elsewhere): the waiting session ends, as a code would
		 * end it. */
		rc = st->ops->session_delete(st, j->who.brand_id, j->who.id);
		j->outcome = OUT_LOCKED;
		goto out;
	}
	if (j->user.second_factor != SF_EMAIL) {
		j->outcome = OUT_NOT_EMAIL;
		goto out;
	}
	rc = st->ops->second_factor_get(st, j->who.brand_id, j->who.user_id, &sf);
	if (rc != ST_OK)
		goto out;
	if (sf.has_code && now - sf.code_created_at < SF_RESEND_US) {
		j->outcome = OUT_TOO_SOON;
		j->retry_s = (int)((SF_RESEND_US - (now - sf.code_created_at) + 999999) / 1000000);
		goto out;
	}
	rc = api_second_factor_code_send(st, j->app->keys, &j->user, &sf, now);
out:
	crypto_wipe(&sf, sizeof(sf));
	return rc;
}

static void
resend_respond(struct http_job *hj, struct req *r)
{
	struct auth_job *j = (struct auth_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	switch (j->outcome) {
	case OUT_OK:
		http_reply_json(r, 200, json_pack("{s:b}", "sent", 1));
		break;
	case OUT_LOCKED:
		session_locked(r, j);
		break;
	case OUT_NOT_EMAIL:
		http_reply_error(r, ST_CONFLICT, "not_email",
		                 "Your second factor is an authenticator app: no code is mailed.");
		break;
	default:
		http_reply_retry(
		        r, ST_TOO_MANY, "too_soon",
		        "A code was sent less than 30 seconds ago: wait for it, or ask again "
		        "in a moment.",
		        j->retry_s > 0 ? j->retry_s : 1);
		break;
	}
}

int
api_session_second_factor_resend(struct req *r)
{
	struct auth_job *j;

	if (!second_factor_pending(r))
		return 0;
	j = auth_job_new(r);
	j->base.work.run = resend_record;
	j->base.respond = resend_respond;
	return http_submit_or_reply(r, &j->base, true);
}

/* --- password change ------------------------------------------------------------------------ */

struct reuse_check {
	const char *candidate;
	bool reused;
};

static int
reuse_cb(void *arg, const char *hash)
{
	struct reuse_check *rc = arg;

	if (crypto_password_verify(hash, rc->candidate) == ST_OK)
		rc->reused = true;
	return ST_OK;
}

/* Reader: the old password, the rules, the last passwords, the new hash. */
static int
password_verify(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	struct reuse_check reuse = {j->new_password, false};
	int rc;

	rc = st->ops->user_get(st, j->who.brand_id, j->who.user_id, &j->user);
	if (rc != ST_OK)
		return rc;
	if (crypto_password_verify(j->user.u.password_hash, j->password) != ST_OK) {
		j->outcome = OUT_WRONG_PASSWORD;
		goto out;
	}
	j->problem = password_check(j->new_password, j->user.u.login);
	if (j->problem != PW_OK) {
		j->outcome = OUT_POLICY;
		goto out;
	}
	/* The current one and the PASSWORD_HISTORY - 1 before it: none of the last 4. */
	rc = st->ops->user_password_hashes(st, j->who.brand_id, j->who.user_id,
	                                   PASSWORD_HISTORY - 1, reuse_cb, &reuse);
	if (rc != ST_OK)
		goto out;
	if (reuse.reused) {
		j->outcome = OUT_REUSED;
		goto out;
	}
	rc = crypto_password_hash(j->new_hash, j->new_password);
out:
	crypto_wipe(j->password, sizeof(j->password));
	crypto_wipe(j->new_password, sizeof(j->new_password));
	return rc;
}

/* Writer: the new hash, the history, the action log. */
static int
password_record(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	int64_t now = clock_now_us();
	bool locked = false;
	int rc = ST_OK;

	if (j->outcome == OUT_WRONG_PASSWORD) {
		/* SPEC §3: a wrong current password is a failed sign-in (the third locks). */
		rc = api_check_failed(st, &j->user.u, now, "password_change_refused",
		                      "wrong current password", &locked, &j->attempts_left);
		if (locked)
			j->outcome = OUT_LOCKED;
		return rc;
	}
	if (j->outcome != OUT_OK)
		return ST_OK;
	rc = st->ops->user_password_set(st, j->who.brand_id, j->who.user_id, j->new_hash, false,
	                                now);
	if (rc == ST_OK) /* the right current password: failures in a row end here */
		rc = st->ops->user_failures_forget(st, j->who.brand_id, j->who.user_id);
	action(st, &j->user.u, now, "password_changed", "", &rc);
	j->user.u.must_change = false;
	j->user.password_set_at = now;
	j->s.steps = steps_of(&j->user);
	if (rc == ST_OK)
		rc = next_of(st, j->app, &j->s.steps, now, &j->s.next);
	return rc;
}

static void
password_respond(struct http_job *hj, struct req *r)
{
	struct auth_job *j = (struct auth_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	switch (j->outcome) {
	case OUT_OK:
		session_cache_password_changed(r->app->sessions, j->who.brand_id, j->who.user_id,
		                               j->s.steps.password_set_at);
		http_reply_json(r, 200, json_pack("{s:o}", "next", next_json(j->s.next)));
		break;
	case OUT_WRONG_PASSWORD:
		http_reply_json(r, 422,
		                json_pack("{s:s, s:s, s:i}", "error", "wrong_password", "message",
		                          "The current password is wrong.", "attempts_left",
		                          j->attempts_left));
		break;
	case OUT_LOCKED:
		log_info("event=sign_in_locked req=%s reason=wrong_current_password", r->id);
		api_session_locked(r, j->who.brand_id, j->who.user_id);
		break;
	case OUT_REUSED:
		http_reply_error(r, ST_REFUSED, "password_reused", NULL);
		break;
	default:
		http_reply_error(r, ST_REFUSED, pw_problem_code(j->problem),
		                 pw_problem_message(j->problem));
		break;
	}
}

int
api_password_change(struct req *r)
{
	static const char *const allowed[] = {"old", "new", NULL};
	struct auth_job *j;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = auth_job_new(r);
	if (json_refuse_unknown(r, o, allowed) ||
	    json_take_text(r, o, "old", j->password, sizeof(j->password), true) ||
	    json_take_text(r, o, "new", j->new_password, sizeof(j->new_password), true)) {
		json_decref(o);
		auth_free(&j->base);
		return 0;
	}
	json_decref(o);
	j->base.work.run = password_verify;
	j->base.hash = true;
	j->base.then_write = password_record;
	j->base.respond = password_respond;
	return http_submit_or_reply(r, &j->base, false);
}

/* The strength the web UI shows while typing: the same function the server enforces. */
int
api_password_strength(struct req *r)
{
	static const char *const allowed[] = {"password", NULL};
	char pw[PASSWORD_MAX_LEN + 1];
	enum pw_problem problem;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, allowed) ||
	    json_take_text(r, o, "password", pw, sizeof(pw), true)) {
		json_decref(o);
		return 0;
	}
	json_decref(o);
	problem = password_check(pw, r->session.login);
	http_reply_json(
	        r, 200,
	        json_pack("{s:s, s:i, s:o, s:o}", "strength", strength_name(password_strength(pw)),
	                  "score", password_score(pw), "acceptable", json_boolean(problem == PW_OK),
	                  "problem",
	                  problem == PW_OK ? json_null() : json_string(pw_problem_code(problem))));
	crypto_wipe(pw, sizeof(pw));
	return 0;
}

/* --- terms of use ------------------------------------------------------------------------------ */

/* The terms of use shown at first sign-in and after each new version (Vision manual §1). */
static const char terms_text[] =
        "Conditions générales d'utilisation du back office Guichet. "
        "L'accès est personnel : vos identifiants ne doivent pas être partagés, et une seule "
        "session est ouverte à la fois par identifiant. Les actions réalisées sont enregistrées "
        "dans le journal des actions. Les données des porteurs de carte ne doivent être ni "
        "copiées ni exportées hors des usages prévus par votre contrat.";

static int
terms_get_run(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;

	return st->ops->terms_version(st, &j->user.terms_version);
}

static void
terms_get_respond(struct http_job *hj, struct req *r)
{
	struct auth_job *j = (struct auth_job *)hj;

	if (j->base.work.rc != ST_OK)
		http_reply_error(r, j->base.work.rc, NULL, NULL);
	else
		http_reply_json(r, 200,
		                json_pack("{s:i, s:s}", "version", j->user.terms_version, "text",
		                          terms_text));
}

int
api_terms_get(struct req *r)
{
	struct auth_job *j = auth_job_new(r);

	j->base.work.run = terms_get_run;
	j->base.respond = terms_get_respond;
	return http_submit_or_reply(r, &j->base, false);
}

static int
terms_record(struct work_job *w, struct store *st)
{
	struct auth_job *j = (struct auth_job *)w;
	int version = 0, rc;

	rc = st->ops->terms_version(st, &version);
	if (rc == ST_OK)
		rc = st->ops->user_terms_accept(st, j->who.brand_id, j->who.user_id, version);
	if (rc == ST_OK)
		rc = st->ops->user_get(st, j->who.brand_id, j->who.user_id, &j->user);
	action(st, &j->user.u, clock_now_us(), "terms_accepted", "", &rc);
	j->s.steps = steps_of(&j->user);
	if (rc == ST_OK)
		rc = next_of(st, j->app, &j->s.steps, clock_now_us(), &j->s.next);
	return rc;
}

static void
terms_respond(struct http_job *hj, struct req *r)
{
	struct auth_job *j = (struct auth_job *)hj;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	session_cache_terms_accepted(r->app->sessions, j->who.brand_id, j->who.user_id,
	                             j->s.steps.terms_accepted);
	http_reply_json(r, 200, json_pack("{s:o}", "next", next_json(j->s.next)));
}

int
api_terms_accept(struct req *r)
{
	static const char *const allowed[] = {"accept", NULL};
	struct auth_job *j;
	json_t *o;

	/* The steps go in order (SPEC §3): the terms once the password is changed. The route is
	 * open before `next` is null, so the refusal is the one other routes give. */
	if (r->session.next == NEXT_CHANGE_PASSWORD) {
		http_reply_error(r, ST_FORBIDDEN, next_step_name(r->session.next), NULL);
		return 0;
	}
	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	if (json_refuse_unknown(r, o, allowed)) {
		json_decref(o);
		return 0;
	}
	if (!json_is_true(json_object_get(o, "accept"))) {
		json_decref(o);
		json_bad_field(r, "accept", "accept must be true to accept the terms of use.");
		return 0;
	}
	json_decref(o);
	j = auth_job_new(r);
	j->base.work.run = terms_record;
	j->base.respond = terms_respond;
	return http_submit_or_reply(r, &j->base, true);
}
