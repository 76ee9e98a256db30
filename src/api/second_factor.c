/*
 * second_factor.c - a user's own second factor (SPEC §3; Ingenico guide 3.2.1 "2FA"; Jetro:
 * a code sent by e-mail), and what the sign-in's step (session.c) shares of it:
 *
 *   GET  /bo/api/me/second-factor               {"method":null|"totp"|"email","pending_totp"}
 *   POST /bo/api/me/second-factor/totp          {} → a new secret, its otpauth:// URI and QR
 *   POST /bo/api/me/second-factor/totp/confirm  {"code","password"} → TOTP on
 *   POST /bo/api/me/second-factor/email         {"password"} → e-mailed codes on
 *   POST /bo/api/me/second-factor/disable       {"password","code"} → off (the code for TOTP)
 *
 * At most one method is on; the guide shows no QR code while one is, so an enrolment is
 * refused then (disable first). An enrolment's secret waits, sealed, until a code made from it
 * and the password confirm it. Argon2id runs on the hasher, the change and its action-log line
 * on the writer, which reads the user again; a wrong password (or a wrong code to turn TOTP
 * off) counts as a failed sign-in there (api_check_failed: the third locks the account). The secret leaves the server once, in the
 * enrolment's answer; codes and secrets are never logged.
 *
 * Not the sign-in step (session.c) nor an administrator's disabling (users.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/json.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/otp.h"
#include "domain/password.h"

#define CODE_MAX 16 /* longer than a code: a typo, refused as a wrong code */
#define URI_MAX  256

enum sf_op { SF_GET, SF_ENROL, SF_CONFIRM, SF_EMAIL_ON, SF_DISABLE };

enum sf_outcome {
	SFO_OK = 0,
	SFO_ACTIVE,       /* a method is on already */
	SFO_NONE,         /* disable: no method is on */
	SFO_NO_ENROLMENT, /* confirm: no secret waits */
	SFO_BAD_PASSWORD,
	SFO_BAD_CODE,
	SFO_LOCKED, /* a wrong password or code was the third failure: the account is locked */
};

struct sf_job {
	struct http_job base; /* first */
	const struct crypto_keys *keys;
	enum sf_op op;
	struct session who;
	char password[PASSWORD_MAX_LEN + 1];
	char code[CODE_MAX + 1];
	/* Between the reader and the writer. */
	struct user_auth user;
	bool password_ok;
	unsigned char secret[CRYPTO_TOTP_SECRET_LEN]; /* enrolment: the new secret */
	/* Result. */
	enum sf_outcome outcome;
	enum second_factor_method method;
	int attempts_left; /* a counted failure: the failures still allowed; else -1 */
	json_t *result;
};

static void
sf_job_free(struct http_job *hj)
{
	struct sf_job *j = (struct sf_job *)hj;

	json_decref(j->result);
	crypto_wipe(j, sizeof(*j));
	free(j);
}

static json_t *
method_json(enum second_factor_method m)
{
	return second_factor_name(m) ? json_string(second_factor_name(m)) : json_null();
}

static void
sf_respond(struct http_job *hj, struct req *r)
{
	struct sf_job *j = (struct sf_job *)hj;
	json_t *o;

	if (j->base.work.rc != ST_OK) {
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	switch (j->outcome) {
	case SFO_OK:
		/* On or off: the step of setting one up (an account that requires one) follows. */
		if (j->op == SF_CONFIRM || j->op == SF_EMAIL_ON || j->op == SF_DISABLE)
			session_cache_factor_set(r->app->sessions, j->who.brand_id, j->who.user_id,
			                         j->method != SF_NONE);
		if (j->result == NULL)
			j->result = json_pack("{s:o}", "method", method_json(j->method));
		http_reply_json(r, 200, j->result);
		j->result = NULL;
		break;
	case SFO_ACTIVE:
		http_reply_error(r, ST_CONFLICT, "second_factor_active",
		                 "A second factor is on: turn it off before choosing another.");
		break;
	case SFO_NONE:
		http_reply_error(r, ST_CONFLICT, "no_second_factor", "No second factor is on.");
		break;
	case SFO_NO_ENROLMENT:
		http_reply_error(r, ST_CONFLICT, "no_enrolment",
		                 "Start the enrolment first (POST /bo/api/me/second-factor/totp).");
		break;
	case SFO_BAD_PASSWORD:
	case SFO_BAD_CODE:
		o = json_pack("{s:s, s:s}", "error",
		              j->outcome == SFO_BAD_PASSWORD ? "bad_password" : "bad_code",
		              "message",
		              j->outcome == SFO_BAD_PASSWORD
		                      ? "The password is wrong."
		                      : "The code is wrong or too old: type the one your "
		                        "authenticator shows now.");
		if (j->attempts_left >= 0) /* counted as a failed sign-in */
			json_object_set_new(o, "attempts_left", json_integer(j->attempts_left));
		http_reply_json(r, 422, o);
		break;
	case SFO_LOCKED:
		log_info("event=sign_in_locked req=%s reason=wrong_current_password", r->id);
		api_session_locked(r, j->who.brand_id, j->who.user_id);
		break;
	}
}

static struct sf_job *
sf_job_new(struct req *r, enum sf_op op)
{
	struct sf_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->keys = r->app->keys;
	j->op = op;
	j->who = session_as_user(&r->session); /* the user's, whatever the environment */
	j->base.respond = sf_respond;
	j->base.free = sf_job_free;
	j->attempts_left = -1;
	return j;
}

/* A wrong password, or a wrong code to turn TOTP off: a failed sign-in (SPEC §3; the third
 * locks the account and ends the session), outcome set. */
static int
check_failed(struct sf_job *j, struct store *st, const struct user *u, enum sf_outcome outcome)
{
	bool locked = false;
	int rc = api_check_failed(st, u, clock_now_us(), "second_factor_change_refused",
	                          outcome == SFO_BAD_PASSWORD ? "wrong current password"
	                                                      : "wrong code",
	                          &locked, &j->attempts_left);

	j->outcome = locked ? SFO_LOCKED : outcome;
	return rc;
}

/* The user's own action-log line (SPEC §13), unless *rc already failed. */
static void
sf_action(struct store *st, const struct session *who, const char *what, const char *details,
          int *rc)
{
	api_action_add(st, who, clock_now_us(), what, details, NULL, rc);
}

/* --- shared with the sign-in step -------------------------------------------------------- */

/* Checks code against a sealed secret of sf's user at now_us: *ok and *step as
 * otp_totp_check says, and the step later than after (RFC 6238 §5.2: a code is used once). */
static int
totp_check_sealed(const struct crypto_keys *keys, const struct second_factor *sf,
                  const unsigned char *sealed, const char *code, int64_t now_us, int64_t after,
                  bool *ok, int64_t *step)
{
	unsigned char secret[CRYPTO_TOTP_SECRET_LEN];
	int rc;

	*ok = false;
	rc = crypto_totp_open(secret, sealed, CRYPTO_TOTP_SEALED_LEN, sf->brand_id, sf->user_id,
	                      keys);
	if (rc != ST_OK) {
		log_error("event=totp_secret_unreadable user=%lld", (long long)sf->user_id);
		rc = ST_INTERNAL;
		goto out;
	}
	if (otp_totp_check(secret, sizeof(secret), now_us / 1000000, code, step) == ST_OK)
		*ok = *step > after;
out:
	crypto_wipe(secret, sizeof(secret));
	return rc;
}

int
api_second_factor_totp_check(const struct crypto_keys *keys, struct second_factor *sf,
                             const char *code, int64_t now_us, bool *ok)
{
	int64_t step = 0;
	int rc;

	*ok = false;
	if (!sf->has_totp)
		return ST_OK;
	rc = totp_check_sealed(keys, sf, sf->totp_sealed, code, now_us, sf->totp_last_step, ok,
	                       &step);
	if (rc == ST_OK && *ok)
		sf->totp_last_step = step;
	return rc;
}

int
api_second_factor_code_send(struct store *st, const struct crypto_keys *keys,
                            const struct user_auth *ua, struct second_factor *sf, int64_t now_us)
{
	struct mail m = {0};
	char code[8], body[768];
	int rc;

	snprintf(code, sizeof(code), "%06u", (unsigned)crypto_random_uniform(1000000));
	crypto_code_digest(sf->code_digest, keys, ua->u.brand_id, ua->u.id, code);
	sf->has_code = true;
	sf->code_created_at = now_us;
	rc = st->ops->second_factor_put(st, sf);
	if (rc != ST_OK)
		goto out;
	m.brand_id = ua->u.brand_id;
	m.node_id = ua->u.node_id;
	snprintf(m.recipient, sizeof(m.recipient), "%s", ua->u.email);
	snprintf(m.subject, sizeof(m.subject), "%s", "Guichet : code de connexion / sign-in code");
	/* The "Code: " line is the same in both languages: the one a reader's eye, or a
	 * program, looks for. */
	snprintf(body, sizeof(body),
	         "Bonjour %s,\n\nVotre code de connexion au back office Guichet, valable 10 "
	         "minutes :\n\nCode: %s\n\nYour Guichet back office sign-in code above is valid "
	         "for 10 minutes.\n\nSi vous ne venez pas de vous connecter, changez votre mot "
	         "de passe. / If you did not just sign in, change your password.\n",
	         ua->u.name, code);
	m.body = body;
	m.created_at = now_us;
	rc = st->ops->mail_add(st, &m);
out:
	crypto_wipe(code, sizeof(code));
	crypto_wipe(body, sizeof(body));
	return rc;
}

/* --- GET ------------------------------------------------------------------------------------ */

static int
get_run(struct work_job *w, struct store *st)
{
	struct sf_job *j = (struct sf_job *)w;
	struct second_factor sf;
	int rc;

	rc = st->ops->user_get(st, j->who.brand_id, j->who.user_id, &j->user);
	if (rc == ST_OK)
		rc = st->ops->second_factor_get(st, j->who.brand_id, j->who.user_id, &sf);
	if (rc != ST_OK)
		return rc;
	j->result = json_pack("{s:o, s:b}", "method", method_json(j->user.second_factor),
	                      "pending_totp", sf.has_pending && j->user.second_factor == SF_NONE);
	crypto_wipe(&sf, sizeof(sf));
	return ST_OK;
}

int
api_second_factor_get(struct req *r)
{
	struct sf_job *j = sf_job_new(r, SF_GET);

	j->base.work.run = get_run;
	return http_submit_or_reply(r, &j->base, false);
}

/* --- enrolment ------------------------------------------------------------------------------ */

/* Appends text to out percent-encoded but for RFC 3986's unreserved characters and '@'
 * (authenticator apps show the label as it is: "Guichet:jean@example.com"). */
static void
uri_label(char *out, size_t cap, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(out);

	for (const unsigned char *p = (const unsigned char *)text; *p && n + 4 < cap; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~@", *p) != NULL) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = '\0';
}

/* Reader: no enrolment while a method is on; the new secret, its URI and its QR code. */
static int
enrol_prepare(struct work_job *w, struct store *st)
{
	struct sf_job *j = (struct sf_job *)w;
	char b32[OTP_BASE32_MAX], uri[URI_MAX] = "otpauth://totp/Guichet:";
	char *svg = NULL;
	int rc;

	rc = st->ops->user_get(st, j->who.brand_id, j->who.user_id, &j->user);
	if (rc != ST_OK)
		return rc;
	if (j->user.second_factor != SF_NONE) {
		j->outcome = SFO_ACTIVE;
		return ST_OK;
	}
	crypto_random(j->secret, sizeof(j->secret));
	rc = otp_base32(b32, sizeof(b32), j->secret, sizeof(j->secret));
	if (rc != ST_OK)
		goto out;
	/* Key Uri Format (google-authenticator wiki): issuer in the label and as a parameter;
	 * SHA-1, 6 digits and 30 s are the defaults, said all the same. */
	uri_label(uri, sizeof(uri), j->user.u.login);
	snprintf(uri + strlen(uri), sizeof(uri) - strlen(uri),
	         "?secret=%s&issuer=Guichet&algorithm=SHA1&digits=%d&period=%d", b32, OTP_DIGITS,
	         OTP_STEP_S);
	svg = otp_qr_svg(uri);
	if (svg == NULL) {
		rc = ST_INTERNAL;
		goto out;
	}
	j->result = json_pack("{s:s, s:s, s:s}", "secret", b32, "uri", uri, "qr_svg", svg);
out:
	free(svg);
	crypto_wipe(b32, sizeof(b32));
	crypto_wipe(uri, sizeof(uri));
	return rc;
}

/* Writer: the secret waits, sealed, for its confirmation (a new enrolment replaces it). */
static int
enrol_record(struct work_job *w, struct store *st)
{
	struct sf_job *j = (struct sf_job *)w;
	struct user_auth fresh;
	struct second_factor sf;
	int rc;

	if (j->outcome != SFO_OK)
		return ST_OK;
	rc = st->ops->user_get(st, j->who.brand_id, j->who.user_id, &fresh);
	if (rc != ST_OK)
		return rc;
	if (fresh.second_factor != SF_NONE) {
		j->outcome = SFO_ACTIVE; /* turned on meanwhile */
		return ST_OK;
	}
	rc = st->ops->second_factor_get(st, j->who.brand_id, j->who.user_id, &sf);
	if (rc == ST_OK) {
		crypto_totp_seal(sf.pending_sealed, j->secret, j->who.brand_id, j->who.user_id,
		                 j->keys);
		sf.has_pending = true;
		rc = st->ops->second_factor_put(st, &sf);
	}
	crypto_wipe(&sf, sizeof(sf));
	crypto_wipe(&fresh, sizeof(fresh));
	return rc;
}

int
api_second_factor_totp(struct req *r)
{
	struct sf_job *j = sf_job_new(r, SF_ENROL);

	j->base.work.run = enrol_prepare;
	j->base.then_write = enrol_record;
	return http_submit_or_reply(r, &j->base, false);
}

/* --- confirm, e-mail, disable: the password first ------------------------------------------ */

/* Reader: the user and the Argon2id verification of the password. */
static int
password_prepare(struct work_job *w, struct store *st)
{
	struct sf_job *j = (struct sf_job *)w;
	int rc;

	rc = st->ops->user_get(st, j->who.brand_id, j->who.user_id, &j->user);
	if (rc != ST_OK)
		goto out;
	j->password_ok = crypto_password_verify(j->user.u.password_hash, j->password) == ST_OK;
out:
	crypto_wipe(j->password, sizeof(j->password));
	return rc;
}

/* Writer: the user again, into *fresh; the reader's verification holds only for the hash it
 * read. */
static int
reread(struct sf_job *j, struct store *st, struct user_auth *fresh, struct second_factor *sf)
{
	int rc = st->ops->user_get(st, j->who.brand_id, j->who.user_id, fresh);

	if (rc != ST_OK)
		return rc;
	if (strcmp(fresh->u.password_hash, j->user.u.password_hash) != 0)
		j->password_ok = false;
	return st->ops->second_factor_get(st, j->who.brand_id, j->who.user_id, sf);
}

static int
change_record(struct work_job *w, struct store *st)
{
	struct sf_job *j = (struct sf_job *)w;
	struct user_auth fresh;
	struct second_factor sf;
	int64_t now = clock_now_us(), step = 0;
	bool ok = false;
	int rc;

	rc = reread(j, st, &fresh, &sf);
	if (rc != ST_OK)
		goto out;
	j->method = fresh.second_factor;
	switch (j->op) {
	case SF_CONFIRM:
		if (fresh.second_factor != SF_NONE) {
			j->outcome = SFO_ACTIVE;
			break;
		}
		if (!sf.has_pending) {
			j->outcome = SFO_NO_ENROLMENT;
			break;
		}
		if (!j->password_ok) {
			rc = check_failed(j, st, &fresh.u, SFO_BAD_PASSWORD);
			break;
		}
		rc = totp_check_sealed(j->keys, &sf, sf.pending_sealed, j->code, now, 0, &ok,
		                       &step);
		if (rc != ST_OK)
			break;
		if (!ok) {
			j->outcome = SFO_BAD_CODE;
			break;
		}
		/* The code that confirmed is used: the sign-in wants a later one. */
		memcpy(sf.totp_sealed, sf.pending_sealed, sizeof(sf.totp_sealed));
		sf.has_totp = true;
		sf.has_pending = false;
		sf.totp_last_step = step;
		sf.has_code = false;
		j->method = SF_TOTP;
		break;
	case SF_EMAIL_ON:
		if (fresh.second_factor != SF_NONE) {
			j->outcome = SFO_ACTIVE;
			break;
		}
		if (!j->password_ok) {
			rc = check_failed(j, st, &fresh.u, SFO_BAD_PASSWORD);
			break;
		}
		sf.has_pending = false;
		j->method = SF_EMAIL;
		break;
	default: /* SF_DISABLE: the guide asks the code and the password (TOTP); e-mail, the
	          * password: a code would have to be mailed first for nothing. */
		if (fresh.second_factor == SF_NONE) {
			j->outcome = SFO_NONE;
			break;
		}
		if (!j->password_ok) {
			rc = check_failed(j, st, &fresh.u, SFO_BAD_PASSWORD);
			break;
		}
		if (fresh.second_factor == SF_TOTP) {
			rc = api_second_factor_totp_check(j->keys, &sf, j->code, now, &ok);
			if (rc != ST_OK)
				break;
			if (!ok && j->code[0] == '\0') {
				j->outcome = SFO_BAD_CODE; /* none given: no guess to count */
				break;
			}
			if (!ok) {
				rc = check_failed(j, st, &fresh.u, SFO_BAD_CODE);
				break;
			}
		}
		/* Off: its secrets go too; a new enrolment starts from a new QR code. */
		sf.has_totp = sf.has_pending = sf.has_code = false;
		sf.totp_last_step = 0;
		j->method = SF_NONE;
		break;
	}
	if (rc != ST_OK || j->outcome != SFO_OK)
		goto out;
	rc = st->ops->second_factor_put(st, &sf);
	if (rc == ST_OK)
		rc = st->ops->user_second_factor_set(st, j->who.brand_id, j->who.user_id,
		                                     j->method);
	if (rc == ST_OK) /* the right password (and code): failures in a row end here */
		rc = st->ops->user_failures_forget(st, j->who.brand_id, j->who.user_id);
	sf_action(st, &j->who,
	          j->op == SF_DISABLE ? "second_factor_disabled" : "second_factor_enabled",
	          second_factor_name(j->op == SF_DISABLE ? fresh.second_factor : j->method), &rc);
	if (rc == ST_OK)
		log_info("event=second_factor_%s user=%lld method=%s",
		         j->op == SF_DISABLE ? "disabled" : "enabled", (long long)j->who.user_id,
		         second_factor_name(j->op == SF_DISABLE ? fresh.second_factor : j->method));
out:
	crypto_wipe(&sf, sizeof(sf));
	crypto_wipe(&fresh, sizeof(fresh));
	crypto_wipe(j->code, sizeof(j->code));
	return rc;
}

/* Parses {"password", "code"} (each required or not) and hands the job off. */
static int
change(struct req *r, enum sf_op op, bool want_code, bool code_optional)
{
	static const char *const with_code[] = {"password", "code", NULL};
	static const char *const without_code[] = {"password", NULL};
	struct sf_job *j;
	json_t *o;

	if ((o = json_body_object(r, false)) == NULL)
		return 0;
	j = sf_job_new(r, op);
	if (json_refuse_unknown(r, o, want_code ? with_code : without_code) ||
	    json_take_text(r, o, "password", j->password, sizeof(j->password), true) ||
	    (want_code && json_take_text(r, o, "code", j->code, sizeof(j->code), !code_optional))) {
		json_decref(o);
		sf_job_free(&j->base);
		return 0;
	}
	json_decref(o);
	j->base.work.run = password_prepare;
	j->base.hash = true;
	j->base.then_write = change_record;
	return http_submit_or_reply(r, &j->base, false);
}

int
api_second_factor_totp_confirm(struct req *r)
{
	return change(r, SF_CONFIRM, true, false);
}

int
api_second_factor_email(struct req *r)
{
	return change(r, SF_EMAIL_ON, false, false);
}

int
api_second_factor_disable(struct req *r)
{
	/* The code is required for TOTP only, which the writer knows: absent, it is wrong. */
	return change(r, SF_DISABLE, true, true);
}
