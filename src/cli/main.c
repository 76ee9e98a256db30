/*
 * main.c - `guichet`, the back office's command-line client (SPEC §16.1 "The client", issue
 * 14): the commands, their options and what they print.
 *
 * Each command reads its options (opts.h), speaks to the server only through conn.h, keeps
 * its files through state.h and prints through table.h. Messages go to stderr, results to
 * stdout; the exit status is the contract's (client.h). Never printed or logged: a password,
 * a second factor's code, the session's token, the CSRF token, a resume key; a TOTP secret is
 * shown once, in the enrolment the user asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/conn.h"
#include "cli/i18n.h"
#include "cli/opts.h"
#include "cli/qr.h"
#include "cli/state.h"
#include "cli/table.h"
#include "cli/term.h"
#include "domain/calendar.h"
#include "domain/money.h"

#define PASSWORD_MAX 1024
#define CODE_MAX     64
#define QUERY_MAX    4096

/* A table column's min for an identifier (an id, a batch number, a login): one cut short
 * names nothing, so it is shown whole or dropped (table.h: never narrowed below min). */
#define ID_WHOLE 64

#define OPTS_N(a) (sizeof(a) / sizeof(a[0]))
#define OPTS(a)   a, OPTS_N(a)

struct ctx {
	const char *profile; /* --profile, "default" */
	const char *arg;     /* the command's argument (struct command's arg), or NULL */
	bool remember;       /* the session's secrets outlive the login session (--remember) */
};

struct command {
	const char *name;
	int (*run)(struct ctx *x, const char **v);
	const struct opt_spec *opts;
	size_t nopts;
	const char *arg;     /* the argument it takes before its options ("ID"), or NULL */
	const char *summary; /* one line for guichet --help (a msgid, as about) */
	const char *about;   /* the command's --help, after its usage line */
	bool arg_optional;   /* arg may be left out */
};

static int fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "guichet: …" on stderr; returns rc. */
static int
fail(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs("guichet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return rc;
}

/* Forgets the profile's session (its files), the server having ended it. */
static void
session_forget(struct ctx *x)
{
	state_remove(STATE_SESSION, x->profile);
	state_remove(STATE_RESUME, x->profile);
}

/* A refusal as the exit status and a message; a 2xx is CX_OK. The session's ends (SPEC §3)
 * each say what to do. */
static int
reply_rc(struct ctx *x, const struct conn_reply *r)
{
	const char *code = conn_reply_error(r), *msg = i18n_server(code, conn_reply_message(r)),
	           *field;
	char option[64];

	if (r->status >= 200 && r->status <= 299)
		return CX_OK;
	if (strcmp(code, "session_expired") == 0) {
		session_forget(x);
		return fail(CX_AUTH, _("your session ended (idle time): sign in again"));
	}
	if (strcmp(code, "not_signed_in") == 0) {
		session_forget(x);
		return fail(CX_AUTH, _("not signed in (the session ended): sign in again with "
		                       "'guichet login'"));
	}
	if (strcmp(code, "session_disconnected") == 0)
		return fail(CX_AUTH,
		            _("the session is disconnected: 'guichet resume' takes it back"));
	if (strcmp(code, "set_up_second_factor") == 0)
		return fail(CX_REFUSED, _("this account requires a second factor first: 'guichet "
		                          "second-factor totp' or 'email' sets one up"));
	if (r->status == 401 || r->status == 423)
		return fail(CX_AUTH, "%s (%s)", msg[0] ? msg : _("not signed in"),
		            code[0] ? code : "401");
	if (r->status >= 500 || r->body == NULL)
		return fail(r->status >= 500 ? CX_NETWORK : CX_REFUSED,
		            _("the server answered HTTP %ld%s%s"), r->status, msg[0] ? ": " : "",
		            msg);
	field = json_string_value(json_object_get(r->body, "field"));
	if (field != NULL && strlen(field) < sizeof(option)) {
		/* The API's parameter as the option that gave it: acquirer_status, --acquirer-status. */
		for (size_t i = 0; i <= strlen(field); i++)
			option[i] = field[i] == '_' ? '-' : field[i];
		return fail(r->status == 400 ? CX_USAGE : CX_REFUSED, _("refused --%s: %s"), option,
		            msg[0] ? msg : code);
	}
	return fail(r->status == 400 ? CX_USAGE : CX_REFUSED, _("refused: %s (%s)"),
	            msg[0] ? msg : _("the server said no"), code);
}

/* One call on c's session: CX_OK with the 2xx answer in *r, else the failure said. */
static int
call_checked(struct ctx *x, struct conn *c, const char *method, const char *path, json_t *body,
             struct conn_reply *r)
{
	int rc = conn_call(c, method, path, body, r);

	if (rc != CX_OK)
		return fail(rc, "%s", c->err);
	return reply_rc(x, r);
}

/* The profile's connection into c (conn_cleanup it in any case). */
static int
open_profile(struct ctx *x, struct conn *c)
{
	struct profile p;
	char err[512];
	int rc;

	memset(c, 0, sizeof(*c));
	rc = state_profile_load(x->profile, &p, err, sizeof(err));
	if (rc != CX_OK)
		return fail(rc, "%s", err);
	rc = conn_init(c, &p);
	if (rc != CX_OK)
		return fail(rc, "%s", c->err);
	return CX_OK;
}

/* Copies o's string member key into out (cap bytes). Returns 0 or -1. */
static int
member_copy(const json_t *o, const char *key, char *out, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (v == NULL || strlen(v) >= cap)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* The profile's connection with its session's tokens. */
static int
open_session(struct ctx *x, struct conn *c)
{
	json_t *s = NULL;
	char err[512];
	int rc;

	rc = open_profile(x, c);
	if (rc != CX_OK)
		return rc;
	rc = state_read(STATE_SESSION, x->profile, &s, err, sizeof(err));
	if (rc != CX_OK)
		return fail(rc, "%s", err);
	if (s == NULL)
		return fail(CX_AUTH, _("not signed in: 'guichet login --login L' first"));
	x->remember = state_kept(STATE_SESSION, x->profile) != KEEP_MEMORY;
	if (member_copy(s, "token", c->token, sizeof(c->token)) != 0 ||
	    member_copy(s, "csrf", c->csrf, sizeof(c->csrf)) != 0) {
		json_decref(s);
		session_forget(x);
		return fail(CX_AUTH, _("the session file was damaged: sign in again"));
	}
	json_decref(s);
	return CX_OK;
}

/* GET path on the profile's session, opened into c: CX_OK with the 2xx answer in *r. */
static int
session_get(struct ctx *x, struct conn *c, const char *path, struct conn_reply *r)
{
	int rc = open_session(x, c);

	return rc != CX_OK ? rc : call_checked(x, c, "GET", path, NULL, r);
}

/* The signed-in user's language on the server (GET /bo/api/me's "language": "fr" or "en")
 * into out, "" when it cannot be read: the messages then keep the environment's. */
static void
user_language(struct conn *c, char out[3])
{
	struct conn_reply r = {0};
	const char *language = NULL;

	out[0] = '\0';
	if (conn_call(c, "GET", "/bo/api/me", NULL, &r) == CX_OK && r.status == 200)
		language = json_string_value(json_object_get(r.body, "language"));
	if (language != NULL && (strcmp(language, "fr") == 0 || strcmp(language, "en") == 0))
		memcpy(out, language, 3);
	conn_reply_cleanup(&r);
}

/* Keeps c's tokens as the profile's session (login: who it is; language: theirs, "" unknown,
 * for the next commands' messages: i18n_use_session): in memory, or with --remember past
 * the login session (state.h). */
static int
save_session(struct ctx *x, struct conn *c, const char *login, const char *language)
{
	enum state_keep kept;
	char err[512];
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s, s:s}", "login", login, "token", c->token, "csrf", c->csrf);
	if (o != NULL && language[0] != '\0')
		json_object_set_new(o, "language", json_string(language));
	if (o == NULL)
		return fail(CX_USAGE, _("out of memory"));
	rc = state_keep(STATE_SESSION, x->profile, o, x->remember, &kept, err, sizeof(err));
	/* The tokens' copies in the JSON object are wiped before it goes. */
	explicit_bzero((char *)json_string_value(json_object_get(o, "token")), strlen(c->token));
	explicit_bzero((char *)json_string_value(json_object_get(o, "csrf")), strlen(c->csrf));
	json_decref(o);
	if (rc != CX_OK)
		return fail(rc, "%s", err);
	if (kept == KEEP_FILE && !x->remember && !state_keyring_off())
		fail(CX_OK, _("note: this system keeps no keys in memory (the kernel's keyring): "
		              "the session is kept in a 0600 file instead"));
	return CX_OK;
}

/* --- connect -------------------------------------------------------------------------------- */

static const struct opt_spec connect_opts[] = {
        {"host", "H", N_("the server's name or address (required)")},
        {"port", "P", N_("its port (default 13020)")},
        {"tls", NULL, N_("HTTPS (the default)")},
        {"no-tls", NULL, N_("plain HTTP: only to 127.0.0.1, ::1 or localhost")},
        {"cafile", "F", N_("the CA certificate(s) to trust, PEM (else the system's)")},
};

static int
cmd_connect(struct ctx *x, const char **v)
{
	struct profile p = {0}, was;
	struct conn c = {0};
	struct conn_reply r = {0};
	char err[512], host[CLIENT_HOST_MAX + 2], port[16];
	json_t *o = NULL;
	int rc;

	/* Asked once on a terminal when not given: the host, then the port (13020 on Enter). */
	if (v[0] == NULL && term_available()) {
		if (term_ask(_("Host (the back office's name or address): "), false, host,
		             sizeof(host)) != 0)
			return fail(CX_USAGE, _("connect: no host given"));
		v[0] = host;
		if (v[1] == NULL && term_ask_line(_("Port [13020]: "), port, sizeof(port)) == 0 &&
		    port[0] != '\0')
			v[1] = port;
	}
	if (v[0] == NULL)
		return fail(CX_USAGE, _("connect: --host H is required"));
	if (strlen(v[0]) > CLIENT_HOST_MAX || strpbrk(v[0], "/@[]? ") != NULL)
		return fail(CX_USAGE, _("connect: '%s' is not a host name or address"), v[0]);
	if (v[2] != NULL && v[3] != NULL)
		return fail(CX_USAGE, _("connect: --tls or --no-tls, not both"));
	snprintf(p.name, sizeof(p.name), "%s", x->profile);
	snprintf(p.host, sizeof(p.host), "%s", v[0]);
	p.port = CLIENT_DEFAULT_PORT;
	if (v[1] != NULL && opts_port(v[1], &p.port) != 0)
		return fail(CX_USAGE, _("connect: --port '%s' is not a port (1 to 65535)"), v[1]);
	p.tls = v[3] == NULL;
	if (!p.tls && !opts_loopback(p.host))
		return fail(
		        CX_USAGE,
		        _("connect: plain HTTP only to this machine (127.0.0.1, ::1, localhost): "
		          "the password and session would cross the network in clear; use TLS"));
	if (v[4] != NULL) {
		if (!p.tls)
			return fail(CX_USAGE, _("connect: --cafile is for TLS"));
		if (realpath(v[4], p.cafile) == NULL || access(p.cafile, R_OK) != 0)
			return fail(CX_USAGE, _("connect: cannot read the CA file %s: %s"), v[4],
			            strerror(errno));
	}
	rc = conn_init(&c, &p);
	if (rc != CX_OK) {
		fail(rc, "%s", c.err);
		goto out;
	}
	c.want_pin = p.tls; /* the key of the server the CA vouched for, pinned from now on */
	rc = conn_call(&c, "GET", "/healthz", NULL, &r);
	if (rc != CX_OK) {
		fail(rc, "%s", c.err);
		goto out;
	}
	if (r.status != 200 ||
	    strcmp(json_string_value(json_object_get(r.body, "status")) ?: "", "ok") != 0) {
		rc = fail(CX_NETWORK,
		          _("%s answers, but not as guichetd does (HTTP %ld on /healthz)"), c.base,
		          r.status);
		goto out;
	}
	if (p.tls && c.seen_pin[0] == '\0') {
		rc = fail(CX_NETWORK, _("%s: the server's certificate could not be read to pin it"),
		          c.base);
		goto out;
	}
	/* The same profile saved before with another key: said, as the calls would have. */
	if (p.tls && state_profile_load(x->profile, &was, err, sizeof(err)) == CX_OK &&
	    was.pin[0] != '\0' && strcmp(was.pin, c.seen_pin) != 0 &&
	    strcmp(was.host, p.host) == 0 && was.port == p.port)
		fprintf(stderr,
		        _("guichet: WARNING: the server's certificate has a new key "
		          "(was %s, now %s): pinned now\n"),
		        was.pin, c.seen_pin);
	o = json_pack("{s:s, s:i, s:b}", "host", p.host, "port", p.port, "tls", p.tls);
	if (o != NULL && p.cafile[0] != '\0')
		json_object_set_new(o, "cafile", json_string(p.cafile));
	if (o != NULL && p.tls)
		json_object_set_new(o, "pin", json_string(c.seen_pin));
	if (o == NULL) {
		rc = fail(CX_USAGE, _("out of memory"));
		goto out;
	}
	rc = state_write(STATE_PROFILE, x->profile, o, err, sizeof(err));
	if (rc != CX_OK) {
		fail(rc, "%s", err);
		goto out;
	}
	printf(_("Profile '%s': %s (guichetd answers)\n"), x->profile, c.base);
	if (p.tls)
		printf(_("Certificate key pinned: %s\n"), c.seen_pin);
out:
	json_decref(o);
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

/* --- login, logout, disconnect, resume ------------------------------------------------------ */

static const struct opt_spec login_opts[] = {
        {"login", "L", N_("the user's login (required)")},
        {"password-stdin", NULL, N_("read the password from the first line of stdin")},
        {"code", "C", N_("the second factor's code (else asked when needed)")},
        {"take-over", NULL, N_("end the session another device holds, without asking")},
        {"device", "NAME", N_("the device's name the server shows (default: the host name)")},
        {"accept-terms", NULL, N_("accept the terms of use when asked to, without asking")},
        {"second-factor", "KIND",
         N_("totp or email: the one to set up if the account requires one")},
        {"remember", NULL, N_("keep the session past this login session (else in memory only)")},
        {"account", "PSPID",
         N_("the account id of the Ingenico form (PSPID): --login is then the user id")},
        {"environment", "ENV",
         N_("test or production: the environment to sign in to (default production)")},
};

/* The yes of a [y/N] question: y or yes, or the language's own ("o", "oui"). */
static bool
ask_yes(const char *question)
{
	char answer[16];

	if (term_ask(question, false, answer, sizeof(answer)) != 0)
		return false;
	return strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 ||
	       strcasecmp(answer, "yes") == 0 ||
	       /* TRANSLATORS: the short yes of the [y/N] questions, as in their "[y/N]". */
	       strcasecmp(answer, _("y")) == 0 ||
	       /* TRANSLATORS: the yes of the [y/N] questions, in full. */
	       strcasecmp(answer, _("yes")) == 0;
}

/* Wipes a string member of o (a password, a code) before o is freed. */
static void
wipe_member(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s != NULL)
		explicit_bzero((char *)s, strlen(s));
}

/* POSTs {key: secret} to path on c (call_checked), the secret's copy wiped after. */
static int
post_secret(struct ctx *x, struct conn *c, const char *path, const char *key, const char *secret,
            struct conn_reply *r)
{
	json_t *body = json_pack("{s:s}", key, secret);
	int rc;

	if (body == NULL)
		return fail(CX_USAGE, _("out of memory"));
	rc = call_checked(x, c, "POST", path, body, r);
	wipe_member(body, key);
	json_decref(body);
	return rc;
}

/* The new password of a forced change into out: the second line of stdin (--password-stdin),
 * else asked twice on the terminal, its strength on the server's scale said each time until
 * the server finds it acceptable. */
static int
new_password(struct ctx *x, struct conn *c, bool from_stdin, char *out, size_t cap)
{
	char again[PASSWORD_MAX];
	struct conn_reply r = {0};
	int rc = CX_USAGE;

	if (from_stdin) {
		if (term_read_line(stdin, out, cap) != 0 || out[0] == '\0')
			return fail(CX_AUTH,
			            _("this account must change its password: give the new one "
			              "on the second line of stdin"));
		return CX_OK;
	}
	if (!term_available())
		return fail(CX_AUTH,
		            _("this account must change its password: no terminal to ask it"));
	fputs(_("This account must change its password: at least 12 characters, letters and "
	        "digits, strength \"medium\" or better.\n"),
	      stderr);
	for (int tries = 0; tries < 5; tries++) {
		const char *strength, *problem;

		if (term_ask(_("New password: "), true, out, cap) != 0)
			break;
		conn_reply_cleanup(&r);
		rc = post_secret(x, c, "/bo/api/password/strength", "password", out, &r);
		if (rc != CX_OK)
			break;
		strength = json_string_value(json_object_get(r.body, "strength"));
		problem = json_string_value(json_object_get(r.body, "problem"));
		fprintf(stderr, _("Strength: %s%s%s\n"),
		        strength ? i18n_server(strength, strength) : "?", problem ? " — " : "",
		        problem ? i18n_server(problem, problem) : "");
		rc = CX_USAGE;
		if (!json_is_true(json_object_get(r.body, "acceptable")))
			continue;
		if (term_ask(_("The same again: "), true, again, sizeof(again)) == 0 &&
		    strcmp(again, out) == 0) {
			rc = CX_OK;
			break;
		}
		fputs(_("The two differ: once more.\n"), stderr);
	}
	explicit_bzero(again, sizeof(again));
	conn_reply_cleanup(&r);
	return rc == CX_USAGE ? fail(CX_AUTH, _("no new password given: not signed in")) : rc;
}

/* --- the second factor: setting one up (the sign-in's step, second-factor) ------------------ */

#define CODE_TRIES 3 /* codes asked on a terminal before the set-up gives up */

/* The password into out (cap bytes): the first line of stdin with --password-stdin, else asked
 * without echo on the terminal. what names the command in the messages. */
static int
password_read(const char *what, bool from_stdin, char *out, size_t cap)
{
	if (from_stdin) {
		if (term_read_line(stdin, out, cap) != 0 || out[0] == '\0')
			return fail(CX_USAGE, _("%s: no password on stdin (one line)"), what);
		return CX_OK;
	}
	if (!term_available())
		return fail(CX_USAGE,
		            _("%s: no terminal to ask the password: use --password-stdin"), what);
	if (term_ask(_("Password: "), true, out, cap) != 0)
		return fail(CX_USAGE, _("%s: no password given"), what);
	return CX_OK;
}

/* Whether v names a kind of second factor one sets up: the API's "totp" or "email". */
static bool
factor_kind_ok(const char *v)
{
	return strcmp(v, "totp") == 0 || strcmp(v, "email") == 0;
}

/* The kind to set up, asked on the terminal: "totp" or "email" (static). */
static int
factor_kind_ask(const char **kind)
{
	char answer[16];

	fputs(_("Set up a second factor:\n"
	        "  [t]otp    an authenticator app on your phone (a code every 30 seconds)\n"
	        "  [e]-mail  a code e-mailed to you at each sign-in\n"),
	      stderr);
	for (int tries = 0; tries < CODE_TRIES; tries++) {
		if (term_ask(_("[t]otp or [e]-mail? "), false, answer, sizeof(answer)) != 0)
			break;
		if (strcasecmp(answer, "t") == 0 || strcasecmp(answer, "totp") == 0) {
			*kind = "totp";
			return CX_OK;
		}
		if (strcasecmp(answer, "e") == 0 || strcasecmp(answer, "email") == 0 ||
		    strcasecmp(answer, "e-mail") == 0) {
			*kind = "email";
			return CX_OK;
		}
		fputs(_("t or e.\n"), stderr);
	}
	return fail(CX_USAGE, _("no second factor chosen"));
}

/* Whether stderr takes colours: a terminal, not a dumb one, and no NO_COLOR (no-color.org). */
static bool
stderr_colour(void)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(STDERR_FILENO) && (no == NULL || no[0] == '\0') &&
	       (term == NULL || strcmp(term, "dumb") != 0);
}

/* A new TOTP enrolment's secret shown (README "Enrolment"): on a terminal its URI's QR code
 * and the secret in groups of 4 to type it instead; for a script (from_stdin) the secret and
 * the URI, on stderr both ways: the one display of the secret the user asked for. */
static void
enrolment_show(const char *secret, const char *uri, bool from_stdin)
{
	if (from_stdin) {
		fputs(_("TOTP enrolment: add this secret to the authenticator app, then give\n"
		        "its code on the next line of stdin.\n"),
		      stderr);
	} else {
		fputs(_("Scan this QR code with your authenticator app (or type the secret):\n\n"),
		      stderr);
		if (qr_write(stderr, uri, stderr_colour()) != 0)
			fputs(_("(the QR code could not be drawn: type the secret)\n"), stderr);
		fputc('\n', stderr);
	}
	fputs(_("Secret: "), stderr);
	for (size_t i = 0; secret[i] != '\0'; i++)
		fprintf(stderr, "%s%c", i > 0 && i % 4 == 0 ? " " : "", secret[i]);
	fputc('\n', stderr);
	if (from_stdin)
		fprintf(stderr, "URI: %s\n", uri);
}

/* Turns TOTP on for c's session: a new enrolment (POST …/totp) shown, then the app's code
 * and password (borrowed) confirm it (POST …/totp/confirm). The code is the next line of stdin
 * when from_stdin (one try), else asked on the terminal (CODE_TRIES tries, the server's
 * message after each wrong one). Returns CX_OK, or the failure said: CX_REFUSED for a code
 * refused, and then nothing is on (the enrolment waits, replaced by the next one). */
static int
totp_set_up(struct ctx *x, struct conn *c, const char *password, bool from_stdin)
{
	struct conn_reply r = {0};
	const char *secret, *uri;
	char code[CODE_MAX];
	json_t *body;
	int rc;

	code[0] = '\0';
	rc = call_checked(x, c, "POST", "/bo/api/me/second-factor/totp", NULL, &r);
	if (rc != CX_OK)
		goto out;
	secret = json_string_value(json_object_get(r.body, "secret"));
	uri = json_string_value(json_object_get(r.body, "uri"));
	if (secret == NULL || uri == NULL) {
		rc = fail(CX_NETWORK, _("the server's enrolment answer has no secret"));
		goto out;
	}
	enrolment_show(secret, uri, from_stdin);
	/* Shown once: the answer's copies (the SVG encodes it too) go now. */
	wipe_member(r.body, "secret");
	wipe_member(r.body, "uri");
	wipe_member(r.body, "qr_svg");
	for (int tries = 1;; tries++) {
		if (from_stdin
		            ? term_read_line(stdin, code, sizeof(code)) != 0 || code[0] == '\0'
		            : term_ask(_("Code from the app: "), false, code, sizeof(code)) != 0) {
			rc = fail(CX_USAGE, "%s",
			          from_stdin ? _("no code from the authenticator app on the next "
			                         "line of "
			                         "stdin")
			                     : _("no code from the authenticator app given"));
			break;
		}
		body = json_pack("{s:s, s:s}", "code", code, "password", password);
		explicit_bzero(code, sizeof(code));
		if (body == NULL) {
			rc = fail(CX_USAGE, _("out of memory"));
			break;
		}
		conn_reply_cleanup(&r);
		rc = conn_call(c, "POST", "/bo/api/me/second-factor/totp/confirm", body, &r);
		wipe_member(body, "code");
		wipe_member(body, "password");
		json_decref(body);
		if (rc != CX_OK) {
			fail(rc, "%s", c->err);
			break;
		}
		if (r.status != 422 || strcmp(conn_reply_error(&r), "bad_code") != 0) {
			rc = reply_rc(x, &r);
			break;
		}
		/* A wrong code counts nothing on the server (not a sign-in's): asked again, a
		 * few times. */
		fprintf(stderr, _("guichet: the code was refused: %s\n"), conn_reply_message(&r));
		if (from_stdin || tries >= CODE_TRIES) {
			rc = from_stdin
			             ? fail(CX_REFUSED,
			                    _("TOTP not turned on: the code was refused"))
			             : fail(CX_REFUSED, _("TOTP not turned on: %d codes refused"),
			                    CODE_TRIES);
			break;
		}
	}
	if (rc == CX_OK)
		fputs(_("TOTP is on: the sign-ins ask the app's code.\n"), stderr);
out:
	explicit_bzero(code, sizeof(code));
	conn_reply_cleanup(&r);
	return rc;
}

/* Turns e-mailed codes on for c's session with password (borrowed): POST …/email, which wants
 * the password only (README "Enrolment"); then says where the codes will go. */
static int
email_set_up(struct ctx *x, struct conn *c, const char *password)
{
	struct conn_reply r = {0};
	const char *email;
	int rc;

	rc = post_secret(x, c, "/bo/api/me/second-factor/email", "password", password, &r);
	if (rc != CX_OK)
		goto out;
	conn_reply_cleanup(&r);
	email = conn_call(c, "GET", "/bo/api/me", NULL, &r) == CX_OK && r.status == 200
	                ? json_string_value(json_object_get(r.body, "email"))
	                : NULL;
	fprintf(stderr, _("E-mailed codes are on: each sign-in sends one to %s.\n"),
	        email != NULL ? email : _("your e-mail address"));
out:
	conn_reply_cleanup(&r);
	return rc;
}

/* Sets a second factor up on c's session: kind "totp" or "email", or NULL to ask which on the
 * terminal; password (borrowed) is the user's, which both confirmations want; from_stdin as
 * totp_set_up's. Returns CX_OK or the failure said. */
static int
factor_set_up(struct ctx *x, struct conn *c, const char *kind, const char *password,
              bool from_stdin)
{
	int rc = CX_OK;

	if (kind == NULL) {
		if (!term_available())
			return fail(CX_USAGE, _("no terminal to ask which second factor: "
			                        "--second-factor totp|email"));
		rc = factor_kind_ask(&kind);
	}
	if (rc != CX_OK)
		return rc;
	return strcmp(kind, "totp") == 0 ? totp_set_up(x, c, password, from_stdin)
	                                 : email_set_up(x, c, password);
}

/* The sign-in's steps after the password and the second factor (README "Sign-in"): a forced
 * password change, the terms of use, setting up a second factor an account requires, each as
 * the web UI takes them; then GET /bo/api/session tells the next, until none. password (cap
 * bytes) is the one signed in with, and becomes the new one after a change: the second
 * factor's set-up wants the current one. factor: --second-factor's kind, or NULL to ask. */
static int
login_steps(struct ctx *x, struct conn *c, const char *first, char *password, size_t cap,
            bool from_stdin, bool accept_terms, const char *factor)
{
	char fresh[PASSWORD_MAX], next[64];
	struct conn_reply r = {0};
	json_t *body;
	int rc = CX_OK;

	snprintf(next, sizeof(next), "%s", first);
	while (rc == CX_OK && next[0] != '\0') {
		conn_reply_cleanup(&r);
		if (strcmp(next, "change_password") == 0) {
			rc = new_password(x, c, from_stdin, fresh, sizeof(fresh));
			body = rc == CX_OK ? json_pack("{s:s, s:s}", "old", password, "new", fresh)
			                   : NULL;
			if (rc == CX_OK && body == NULL)
				rc = fail(CX_USAGE, _("out of memory"));
			if (rc == CX_OK)
				rc = call_checked(x, c, "POST", "/bo/api/password", body, &r);
			if (body != NULL) {
				wipe_member(body, "old");
				wipe_member(body, "new");
				json_decref(body);
			}
			if (rc == CX_OK && strlen(fresh) < cap) {
				memcpy(password, fresh, strlen(fresh) + 1);
				fputs(_("Password changed.\n"), stderr);
			}
			explicit_bzero(fresh, sizeof(fresh));
		} else if (strcmp(next, "accept_terms") == 0) {
			rc = call_checked(x, c, "GET", "/bo/api/terms", NULL, &r);
			if (rc != CX_OK)
				break;
			fprintf(stderr, _("\nTerms of use (version %lld):\n\n%s\n\n"),
			        (long long)json_integer_value(json_object_get(r.body, "version")),
			        json_string_value(json_object_get(r.body, "text")) ?: "");
			if (!accept_terms && (!term_available() ||
			                      !ask_yes(_("Do you accept these terms? [y/N] ")))) {
				rc = fail(CX_AUTH,
				          _("the terms of use were not accepted (--accept-terms "
				            "accepts them): not signed in"));
				break;
			}
			conn_reply_cleanup(&r);
			body = json_pack("{s:b}", "accept", true);
			rc = call_checked(x, c, "POST", "/bo/api/terms", body, &r);
			json_decref(body);
		} else if (strcmp(next, "set_up_second_factor") == 0) {
			/* The account requires a second factor and the user has none (README
			 * "Second factor required"): set up now, in the same session. */
			fputs(_("This account requires a second factor, and you have none.\n"),
			      stderr);
			rc = factor_set_up(x, c, factor, password, from_stdin);
			if (rc != CX_OK && rc != CX_NETWORK)
				rc = fail(CX_AUTH, _("no second factor set up: not signed in"));
		} else {
			rc = fail(CX_AUTH,
			          _("%s first: use the web UI at %s/ for now, then sign in again"),
			          next, c->base);
		}
		if (rc != CX_OK)
			break;
		conn_reply_cleanup(&r);
		rc = call_checked(x, c, "GET", "/bo/api/session", NULL, &r);
		snprintf(next, sizeof(next), "%s",
		         json_string_value(json_object_get(r.body, "next")) ?: "");
	}
	conn_reply_cleanup(&r);
	return rc;
}

static int
cmd_login(struct ctx *x, const char **v)
{
	char password[PASSWORD_MAX], code[CODE_MAX], device[256], question[512], language[3];
	struct conn c = {0};
	struct conn_reply r = {0};
	json_t *body = NULL;
	const char *next;
	bool takeover = v[3] != NULL;
	int rc;

	x->remember = v[7] != NULL;
	password[0] = code[0] = '\0';
	if (v[0] == NULL)
		return fail(CX_USAGE, _("login: --login L is required"));
	if (v[6] != NULL && !factor_kind_ok(v[6]))
		return fail(CX_USAGE, _("login: --second-factor '%s': totp or email"), v[6]);
	if (v[9] != NULL && strcmp(v[9], "test") != 0 && strcmp(v[9], "production") != 0)
		return fail(CX_USAGE, _("login: --environment '%s': test or production"), v[9]);
	if (v[4] != NULL)
		snprintf(device, sizeof(device), "%s", v[4]);
	else if (gethostname(device, sizeof(device)) != 0 || device[0] == '\0')
		snprintf(device, sizeof(device), "guichet");
	device[sizeof(device) - 1] = '\0';
	rc = open_profile(x, &c);
	if (rc != CX_OK)
		goto out;
	rc = password_read("login", v[1] != NULL, password, sizeof(password));
	if (rc != CX_OK)
		goto out;
	for (;;) {
		const char *held, *state;

		/* The Ingenico form names the account (PSPID) and the user's id (README
		 * "The back office: sign-in"). */
		body = v[8] != NULL ? json_pack("{s:s, s:s, s:s, s:s, s:b}", "pspid", v[8],
		                                "user_id", v[0], "password", password, "device",
		                                device, "takeover", takeover)
		                    : json_pack("{s:s, s:s, s:s, s:b}", "login", v[0], "password",
		                                password, "device", device, "takeover", takeover);
		/* The environment (docs/ENVIRONMENTS.md): the server's default is production. */
		if (body != NULL && v[9] != NULL &&
		    json_object_set_new(body, "environment", json_string(v[9])) != 0) {
			json_decref(body);
			body = NULL;
		}
		if (body == NULL) {
			rc = fail(CX_USAGE, _("out of memory"));
			goto out;
		}
		rc = conn_call(&c, "POST", "/bo/api/session", body, &r);
		wipe_member(body, "password");
		json_decref(body);
		body = NULL;
		if (rc != CX_OK) {
			fail(rc, "%s", c.err);
			goto out;
		}
		if (r.status != 409 || strcmp(conn_reply_error(&r), "session_elsewhere") != 0 ||
		    takeover)
			break;
		/* One session per login (SPEC §3): the other device's, ended only if asked. */
		held = json_string_value(json_object_get(r.body, "device")) ?: "?";
		state = json_string_value(json_object_get(r.body, "state")) ?: "connected";
		state = i18n_server(state, state);
		snprintf(question, sizeof(question),
		         _("Session held by device %s (%s) — take it over? [y/N] "), held, state);
		if (!term_available() || !ask_yes(question)) {
			rc = fail(CX_AUTH,
			          _("not signed in: the session is held by device %s (%s); "
			            "--take-over ends it"),
			          held, state);
			goto out;
		}
		takeover = true;
		conn_reply_cleanup(&r);
	}
	rc = reply_rc(x, &r);
	if (rc == CX_REFUSED && r.status == 429)
		rc = CX_AUTH;
	if (rc != CX_OK)
		goto out;
	if (member_copy(r.body, "csrf", c.csrf, sizeof(c.csrf)) != 0 || c.token[0] == '\0') {
		rc = fail(CX_NETWORK, _("the server's sign-in answer has no session"));
		goto out;
	}
	next = json_string_value(json_object_get(r.body, "next"));
	if (next != NULL && strcmp(next, "second_factor") == 0) {
		const char *method = json_string_value(json_object_get(r.body, "second_factor"));

		if (v[2] != NULL)
			snprintf(code, sizeof(code), "%s", v[2]);
		else if (!term_available() ||
		         term_ask(method != NULL && strcmp(method, "email") == 0
		                          ? _("Code (sent by e-mail): ")
		                          : _("Code (authenticator app): "),
		                  false, code, sizeof(code)) != 0) {
			rc = fail(CX_AUTH,
			          _("login: the second factor's code is needed: --code C"));
			goto delete;
		}
		body = json_pack("{s:s}", "code", code);
		conn_reply_cleanup(&r);
		rc = body == NULL
		             ? CX_USAGE
		             : conn_call(&c, "POST", "/bo/api/session/second-factor", body, &r);
		wipe_member(body, "code");
		json_decref(body);
		body = NULL;
		if (rc != CX_OK) {
			fail(rc, "%s", c.err);
			goto out;
		}
		rc = reply_rc(x, &r);
		if (rc != CX_OK) {
			/* A wrong code counts on the server (SPEC §3: 3 failures lock); the
			 * waiting sign-in is ended here rather than left behind. */
			rc = CX_AUTH;
			goto delete;
		}
		if (member_copy(r.body, "csrf", c.csrf, sizeof(c.csrf)) != 0) {
			rc = fail(CX_NETWORK, _("the server's answer has no CSRF token"));
			goto out;
		}
		next = json_string_value(json_object_get(r.body, "next"));
	}
	if (next != NULL) {
		rc = login_steps(x, &c, next, password, sizeof(password), v[1] != NULL,
		                 v[5] != NULL, v[6]);
		if (rc != CX_OK)
			goto delete; /* the sign-in is ended rather than left waiting on its step */
	}
	/* Signed in: the messages from here on in the user's language. */
	user_language(&c, language);
	i18n_use(language);
	rc = save_session(x, &c, v[0], language);
	if (rc != CX_OK)
		goto out;
	state_remove(STATE_RESUME, x->profile);
	printf(_("Signed in as %s (profile '%s', device %s)\n"), v[0], x->profile, device);
	if (v[9] != NULL && strcmp(v[9], "test") == 0)
		printf(_("Environment: test (its own payments, keys and settings; nothing reaches "
		         "the bank)\n"));
	goto out;
	delete : conn_reply_cleanup(&r);
	if (c.token[0] != '\0' && conn_call(&c, "DELETE", "/bo/api/session", NULL, &r) != CX_OK)
		fail(CX_NETWORK, "%s", c.err);
out:
	explicit_bzero(password, sizeof(password));
	explicit_bzero(code, sizeof(code));
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

static int
cmd_logout(struct ctx *x, const char **v)
{
	struct conn c;
	struct conn_reply r = {0};
	int rc;

	(void)v;
	rc = open_session(x, &c);
	if (rc != CX_OK)
		goto out;
	rc = call_checked(x, &c, "DELETE", "/bo/api/session", NULL, &r);
	if (rc != CX_OK)
		goto out;
	session_forget(x);
	printf(_("Signed out (profile '%s')\n"), x->profile);
out:
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

static int
cmd_disconnect(struct ctx *x, const char **v)
{
	struct conn c;
	struct conn_reply r = {0};
	enum state_keep kept;
	char err[512];
	const char *until;
	int rc;

	(void)v;
	rc = open_session(x, &c);
	if (rc != CX_OK)
		goto out;
	rc = call_checked(x, &c, "POST", "/bo/api/session/disconnect", NULL, &r);
	if (rc != CX_OK)
		goto out;
	until = json_string_value(json_object_get(r.body, "resumable_until"));
	if (until == NULL || json_string_value(json_object_get(r.body, "resume_key")) == NULL) {
		rc = fail(CX_NETWORK, _("the server's answer has no resume key"));
		goto out;
	}
	rc = state_keep(STATE_RESUME, x->profile, r.body, x->remember, &kept, err, sizeof(err));
	wipe_member(r.body, "resume_key");
	if (rc != CX_OK) {
		fail(rc, "%s", err);
		goto out;
	}
	printf(_("Disconnected: 'guichet resume' takes the session back until %s\n"), until);
out:
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

static int
cmd_resume(struct ctx *x, const char **v)
{
	struct conn c;
	struct conn_reply r = {0};
	json_t *kept = NULL, *body = NULL;
	const char *login;
	char err[512], who[256] = "", language[3];
	int rc;

	(void)v;
	rc = open_session(x, &c);
	if (rc != CX_OK)
		goto out;
	rc = state_read(STATE_RESUME, x->profile, &kept, err, sizeof(err));
	if (rc != CX_OK) {
		fail(rc, "%s", err);
		goto out;
	}
	if (kept == NULL || json_object_get(kept, "resume_key") == NULL) {
		rc = fail(CX_AUTH, _("no disconnected session to resume ('guichet disconnect' "
		                     "keeps one)"));
		goto out;
	}
	body = json_pack("{s:O}", "resume_key", json_object_get(kept, "resume_key"));
	rc = body == NULL ? CX_USAGE : conn_call(&c, "POST", "/bo/api/session/resume", body, &r);
	if (rc != CX_OK) {
		fail(rc, "%s", c.err);
		goto out;
	}
	if (r.status == 401 && strcmp(conn_reply_error(&r), "resume_refused") == 0) {
		json_int_t left = json_integer_value(json_object_get(r.body, "attempts_left"));

		rc = fail(CX_AUTH,
		          ngettext("the resume was refused (%lld attempt left): %s",
		                   "the resume was refused (%lld attempts left): %s",
		                   (unsigned long)(left > 0 ? left : 0)),
		          (long long)left, i18n_server("resume_refused", conn_reply_message(&r)));
		goto out;
	}
	rc = reply_rc(x, &r);
	if (rc != CX_OK) {
		if (rc == CX_REFUSED && strcmp(conn_reply_error(&r), "not_disconnected") == 0) {
			state_remove(STATE_RESUME, x->profile);
			fail(rc, _("the session is connected: nothing to resume"));
		}
		goto out;
	}
	if (member_copy(r.body, "csrf", c.csrf, sizeof(c.csrf)) != 0) {
		rc = fail(CX_NETWORK, _("the server's answer has no CSRF token"));
		goto out;
	}
	login = json_string_value(json_object_get(json_object_get(r.body, "user"), "login"));
	snprintf(who, sizeof(who), "%s", login ?: "?");
	user_language(&c, language); /* changed in the web UI meanwhile, perhaps */
	i18n_use(language);
	rc = save_session(x, &c, who, language);
	if (rc != CX_OK)
		goto out;
	state_remove(STATE_RESUME, x->profile);
	printf(_("Resumed: signed in as %s (profile '%s')\n"), who, x->profile);
out:
	if (kept != NULL)
		wipe_member(kept, "resume_key");
	json_decref(kept);
	json_decref(body);
	if (r.body != NULL)
		wipe_member(r.body, "csrf");
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

/* --- second-factor -------------------------------------------------------------------------- */

static const struct opt_spec second_factor_opts[] = {
        {"password-stdin", NULL, "read the password from the first line of stdin"},
        {"code", "C", "off: the authenticator app's code (else asked, or stdin's next line)"},
};

/* A method of GET /bo/api/me/second-factor, for people. */
static const char *
factor_label(const char *method)
{
	if (method == NULL)
		return _("none");
	if (strcmp(method, "totp") == 0)
		return _("totp (authenticator app)");
	if (strcmp(method, "email") == 0)
		return _("email (a code e-mailed at each sign-in)");
	return method;
}

/* Says, after a factor was turned off, that the account requires one (the session is held at
 * that step until another is set up: README "Second factor required"). */
static void
factor_required_said(struct ctx *x, struct conn *c)
{
	struct conn_reply r = {0};
	const char *next;

	if (call_checked(x, c, "GET", "/bo/api/session", NULL, &r) != CX_OK)
		return;
	next = json_string_value(json_object_get(r.body, "next"));
	if (next != NULL && strcmp(next, "set_up_second_factor") == 0)
		fputs(_("This account requires a second factor: set one up ('guichet second-factor "
		        "totp' or 'email') before anything else.\n"),
		      stderr);
	conn_reply_cleanup(&r);
}

/* Turns the factor method (GET's) off: POST …/disable with the password and, for TOTP, the
 * app's code (--code, else stdin's next line with --password-stdin, else asked). */
static int
factor_off(struct ctx *x, struct conn *c, const char *method, const char **v)
{
	char password[PASSWORD_MAX], code[CODE_MAX];
	struct conn_reply r = {0};
	json_t *body = NULL;
	bool from_stdin = v[0] != NULL;
	int rc;

	password[0] = code[0] = '\0';
	rc = password_read("second-factor off", from_stdin, password, sizeof(password));
	if (rc != CX_OK)
		goto out;
	if (strcmp(method, "totp") == 0) {
		if (v[1] != NULL)
			snprintf(code, sizeof(code), "%s", v[1]);
		else if (from_stdin && term_read_line(stdin, code, sizeof(code)) != 0)
			code[0] = '\0';
		else if (!from_stdin &&
		         (!term_available() ||
		          term_ask(_("Code from the app: "), false, code, sizeof(code)) != 0))
			code[0] = '\0';
		if (code[0] == '\0') {
			rc = fail(CX_USAGE, _("second-factor off: the authenticator app's code is "
			                      "needed: --code C"));
			goto out;
		}
		body = json_pack("{s:s, s:s}", "password", password, "code", code);
	} else {
		body = json_pack("{s:s}", "password", password);
	}
	if (body == NULL) {
		rc = fail(CX_USAGE, _("out of memory"));
		goto out;
	}
	rc = call_checked(x, c, "POST", "/bo/api/me/second-factor/disable", body, &r);
	if (rc != CX_OK)
		goto out;
	printf(_("Second factor off (was %s)\n"), factor_label(method));
	factor_required_said(x, c);
out:
	if (body != NULL) {
		wipe_member(body, "password");
		wipe_member(body, "code");
		json_decref(body);
	}
	explicit_bzero(password, sizeof(password));
	explicit_bzero(code, sizeof(code));
	conn_reply_cleanup(&r);
	return rc;
}

static int
cmd_second_factor(struct ctx *x, const char **v)
{
	const char *kind = x->arg, *method;
	char password[PASSWORD_MAX], was[16];
	struct conn c = {0};
	struct conn_reply r = {0};
	int rc;

	password[0] = '\0';
	if (kind != NULL && !factor_kind_ok(kind) && strcmp(kind, "off") != 0)
		return fail(CX_USAGE, _("second-factor: '%s': totp, email or off"), kind);
	if (kind == NULL && (v[0] != NULL || v[1] != NULL))
		return fail(CX_USAGE, _("second-factor: --password-stdin and --code are for totp, "
		                        "email or off"));
	if (v[1] != NULL && (kind == NULL || strcmp(kind, "off") != 0))
		return fail(CX_USAGE, _("second-factor: --code is for off (a new TOTP's code is "
		                        "asked once its QR code is shown)"));
	rc = session_get(x, &c, "/bo/api/me/second-factor", &r);
	if (rc != CX_OK)
		goto out;
	method = json_string_value(json_object_get(r.body, "method"));
	snprintf(was, sizeof(was), "%s", method != NULL ? method : "");
	if (kind == NULL) {
		printf(_("Second factor: %s\n"), factor_label(method));
		if (method == NULL && json_is_true(json_object_get(r.body, "pending_totp")))
			fputs(_("A TOTP enrolment waits for its code: 'guichet second-factor totp' "
			        "starts again.\n"),
			      stderr);
		if (method == NULL)
			factor_required_said(x, &c);
		goto out;
	}
	conn_reply_cleanup(&r);
	if (strcmp(kind, "off") == 0) {
		rc = was[0] == '\0'
		             ? fail(CX_REFUSED, _("second-factor off: no second factor is on"))
		             : factor_off(x, &c, was, v);
		goto out;
	}
	if (was[0] != '\0') {
		rc = fail(CX_REFUSED,
		          _("second-factor: %s is on: 'guichet second-factor off' first"), was);
		goto out;
	}
	rc = password_read("second-factor", v[0] != NULL, password, sizeof(password));
	if (rc == CX_OK)
		rc = factor_set_up(x, &c, kind, password, v[0] != NULL);
	if (rc == CX_OK)
		printf(_("Second factor: %s\n"), factor_label(kind));
out:
	explicit_bzero(password, sizeof(password));
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

/* --- transactions and export ------------------------------------------------------------------ */

/* The search's options, shared by transactions and export (the first ones, in this order). */
#define SEARCH_OPTS                                                                                \
	{"from", "D", N_("first day, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (required)")},            \
	        {"to", "D", N_("last day, the same forms (required)")},                            \
	        {"status", "S",                                                                    \
	         N_("the transaction's status (authorized, captured, refused, …)")},               \
	        {"acquirer-status", "S",                                                           \
	         N_("the acquirer's status (to_capture, to_send, sent, …)")},                      \
	        {"order-ref", "REF", /* xgettext:no-c-format */                                    \
	         N_("the order reference, % as a wildcard")},                                      \
	        {"amount", "[OP:]N.NN", N_("the amount, OP one of eq (default), ge, le, ne")},     \
	        {"currency", "CUR", N_("the currency, ISO 4217 (EUR)")},                           \
	        {"email", "E", N_("the buyer's e-mail")},                                          \
	        {"type", "T", N_("the transaction's type (debit, refund, …)")},                    \
	{                                                                                          \
		"batch", "N",                                                                      \
		        N_("the batch's number as the batch journal shows it (of every contract)") \
	}
#define SEARCH_NOPTS 10

static const struct opt_spec transactions_opts[] = {
        SEARCH_OPTS,
        {"card", "DIGITS",
         N_("the card number's last 1 to 4 digits (kept from the page received)")},
        {"limit", "N", N_("rows a page, 1 to 500 (default 50)")},
        {"cursor", "C", N_("the page after the one whose next cursor this is")},
        {"format", "F", N_("table (default), csv, tsv or json")},
};

/* The API's names of SEARCH_OPTS, in their order. */
static const char *const search_params[SEARCH_NOPTS] = {
        "from",     "to",    "status", "acquirer_status", "order_ref", "amount",
        "currency", "email", "type",   "batch",
};

/* The search's query string from its options into path (cap bytes; it holds the route);
 * with c NULL, only the checks. Every value is checked here: nothing is sent when one is
 * wrong. */
static int
search_query(struct conn *c, const char *const *v, char *path, size_t cap)
{
	const struct currency *cur = NULL;
	char amount[64], err[256];
	long batch;

	for (int i = 0; i < 2; i++) {
		if (v[i] == NULL)
			return fail(CX_USAGE, _("--%s D is required"), search_params[i]);
		if (!opts_date_ok(v[i]))
			return fail(
			        CX_USAGE,
			        _("--%s '%s' is not a date: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"),
			        search_params[i], v[i]);
	}
	if (v[6] != NULL && (cur = money_currency_find(v[6])) == NULL)
		return fail(CX_USAGE, _("--currency '%s' is not a currency Guichet takes"), v[6]);
	if (v[9] != NULL && opts_number(v[9], 1, LONG_MAX, &batch) != 0)
		return fail(CX_USAGE, _("--batch '%s': a batch's number, a whole number from 1"),
		            v[9]);
	for (int i = 0; i < SEARCH_NOPTS; i++) {
		const char *value = v[i];

		if (value == NULL)
			continue;
		if (i == 5) {
			if (opts_amount_filter(value, cur != NULL ? cur->exponent : 2, amount,
			                       sizeof(amount), err, sizeof(err)) != 0)
				return fail(CX_USAGE, _("--amount: %s"), err);
			value = amount;
		}
		if (c != NULL && conn_query_add(c, path, cap, search_params[i], value) != 0)
			return fail(CX_USAGE, _("the search is too long"));
	}
	return CX_OK;
}

/* The table's and files' columns of a transaction. */
enum {
	COL_ID,
	COL_DATE,
	COL_TYPE,
	COL_STATUS,
	COL_ACQ,
	COL_AMOUNT,
	COL_ORDER,
	COL_CARD,
	COL_EMAIL,
	NCOLS
};

/* The table's columns: what goes first when the terminal is narrow (keep), and how narrow
 * each may be cut before it goes instead (a date, a status or a masked card cut short says
 * nothing: whole or dropped). */
static const struct table_col tx_cols[NCOLS] = {
        [COL_ID] = {N_("ID"), false, 7, ID_WHOLE},  [COL_DATE] = {N_("DATE (UTC)"), false, 9, 16},
        [COL_TYPE] = {N_("TYPE"), false, 2, 16},    [COL_STATUS] = {N_("STATUS"), false, 8, 16},
        [COL_ACQ] = {N_("ACQUIRER"), false, 3, 16}, [COL_AMOUNT] = {N_("AMOUNT"), true, 10, 0},
        [COL_ORDER] = {N_("ORDER"), false, 6, 10},  [COL_CARD] = {N_("CARD"), false, 5, 19},
        [COL_EMAIL] = {N_("E-MAIL"), false, 1, 12},
};

/* The fields of the CSV, TSV: the API's names, amounts in minor units as it gives them. */
static const char *const tx_fields[] = {
        "id",
        "created_at",
        "type",
        "status",
        "acquirer_status",
        "amount_initial",
        "amount_current",
        "currency",
        "order_ref",
        "card_masked",
        "email",
};
#define NFIELDS (sizeof(tx_fields) / sizeof(tx_fields[0]))

/* A member of an item as text into out (cap bytes): strings as they are, numbers written,
 * null and absent as "". */
static const char *
member_text(const json_t *item, const char *key, char *out, size_t cap)
{
	const json_t *m = json_object_get(item, key);

	if (json_is_string(m))
		return json_string_value(m);
	if (json_is_integer(m))
		snprintf(out, cap, "%lld", (long long)json_integer_value(m));
	else
		out[0] = '\0';
	return out;
}

/* Whether item's masked card ends with digits (the --card filter). */
static bool
card_ends_with(const json_t *item, const char *digits)
{
	const char *card = json_string_value(json_object_get(item, "card_masked"));
	size_t len = card != NULL ? strlen(card) : 0, n = strlen(digits);

	return len >= n && strcmp(card + len - n, digits) == 0;
}

/* The items as an aligned table on stdout. */
static void
print_table(json_t *items)
{
	size_t n = json_array_size(items), w[NCOLS];
	const char **cells = calloc(n * NCOLS + 1, sizeof(*cells));
	char *owned = calloc(n + 1, 2 * 48), *date, *amount;
	json_t *item;
	size_t i;

	if (cells == NULL || owned == NULL)
		abort(); /* out of memory */
	json_array_foreach(items, i, item)
	{
		const char **row = cells + i * NCOLS;
		const char *created = json_string_value(json_object_get(item, "created_at"));
		const char *code = json_string_value(json_object_get(item, "currency"));
		const struct currency *cur = code != NULL ? money_currency_find(code) : NULL;
		json_int_t minor = json_integer_value(json_object_get(item, "amount_current"));
		char plain[40];

		date = owned + i * 96;
		amount = date + 48;
		/* "2026-11-20T14:30:05.123Z" as "2026-11-20 14:30": the API's UTC, to the minute. */
		snprintf(date, 48, "%.16s", created != NULL ? created : "");
		if (strlen(date) > 10)
			date[10] = ' ';
		if (cur != NULL && money_format_plain(minor, cur, plain, sizeof(plain)) >= 0)
			snprintf(amount, 48, "%s %s", plain, code);
		else
			snprintf(amount, 48, "%lld %s", (long long)minor, code != NULL ? code : "");
		row[COL_ID] = json_string_value(json_object_get(item, "id"));
		row[COL_DATE] = date;
		row[COL_TYPE] = json_string_value(json_object_get(item, "type"));
		row[COL_STATUS] = json_string_value(json_object_get(item, "status"));
		row[COL_ACQ] = json_string_value(json_object_get(item, "acquirer_status"));
		row[COL_AMOUNT] = amount;
		row[COL_ORDER] = json_string_value(json_object_get(item, "order_ref"));
		row[COL_CARD] = json_string_value(json_object_get(item, "card_masked"));
		row[COL_EMAIL] = json_string_value(json_object_get(item, "email"));
	}
	table_layout(tx_cols, NCOLS, cells, n, term_width(), w);
	table_write(stdout, tx_cols, NCOLS, cells, n, w);
	free(owned);
	free(cells);
}

#define RECORD_FIELDS_MAX 16
_Static_assert(NFIELDS <= RECORD_FIELDS_MAX, "a transaction's fields fit a record");

/* The items as CSV or TSV lines on stdout, a header of their n API fields first (n at most
 * RECORD_FIELDS_MAX). */
static void
print_records(const json_t *items, bool csv, const char *const *names, size_t n)
{
	const char *fields[RECORD_FIELDS_MAX];
	char numbers[RECORD_FIELDS_MAX][32];
	const json_t *item;
	size_t i;

	(csv ? table_csv_record : table_tsv_record)(stdout, names, n);
	json_array_foreach(items, i, item)
	{
		for (size_t f = 0; f < n; f++)
			fields[f] = member_text(item, names[f], numbers[f], sizeof(numbers[f]));
		(csv ? table_csv_record : table_tsv_record)(stdout, fields, n);
	}
}

static int
cmd_transactions(struct ctx *x, const char **v)
{
	const char *format = v[SEARCH_NOPTS + 3] != NULL ? v[SEARCH_NOPTS + 3] : "table";
	const char *card = v[SEARCH_NOPTS], *cursor = v[SEARCH_NOPTS + 2], *next;
	char base[QUERY_MAX] = "/bo/api/transactions", path[QUERY_MAX], more[8], at[128];
	struct conn c = {0};
	struct conn_reply r = {0};
	json_t *items, *kept = NULL;
	bool pager;
	long limit;
	int rc;

	if (strcmp(format, "table") != 0 && strcmp(format, "csv") != 0 &&
	    strcmp(format, "tsv") != 0 && strcmp(format, "json") != 0)
		return fail(CX_USAGE, _("--format '%s': table, csv, tsv or json"), format);
	if (card != NULL && !opts_last_digits_ok(card))
		return fail(CX_USAGE, _("--card '%s': the card number's last 1 to 4 digits"), card);
	if (v[SEARCH_NOPTS + 1] != NULL && opts_number(v[SEARCH_NOPTS + 1], 1, 500, &limit) != 0)
		return fail(CX_USAGE, _("--limit '%s': a number from 1 to 500"),
		            v[SEARCH_NOPTS + 1]);
	if (cursor != NULL && strlen(cursor) >= sizeof(at))
		return fail(CX_USAGE, _("--cursor '%s' is not a cursor"), cursor);
	/* Every value is checked before the session is even read: nothing is sent. */
	rc = search_query(NULL, v, NULL, 0);
	if (rc != CX_OK)
		return rc;
	rc = open_session(x, &c);
	if (rc != CX_OK)
		goto out;
	rc = search_query(&c, v, base, sizeof(base));
	if (rc == CX_OK && v[SEARCH_NOPTS + 1] != NULL &&
	    conn_query_add(&c, base, sizeof(base), "limit", v[SEARCH_NOPTS + 1]) != 0)
		rc = fail(CX_USAGE, _("the search is too long"));
	if (rc != CX_OK)
		goto out;
	/* A table for a person at a terminal pages on request; else one page and its cursor. */
	pager = strcmp(format, "table") == 0 && isatty(STDOUT_FILENO) && term_available();
	for (;;) {
		memcpy(path, base, sizeof(path));
		if (cursor != NULL &&
		    conn_query_add(&c, path, sizeof(path), "cursor", cursor) != 0) {
			rc = fail(CX_USAGE, _("the search is too long"));
			break;
		}
		conn_reply_cleanup(&r);
		json_decref(kept);
		kept = NULL;
		rc = call_checked(x, &c, "GET", path, NULL, &r);
		if (rc != CX_OK)
			break;
		items = json_object_get(r.body, "items");
		if (!json_is_array(items)) {
			rc = fail(CX_NETWORK, _("the server's answer has no items"));
			break;
		}
		if (card != NULL) {
			kept = json_array();
			for (size_t i = 0; i < json_array_size(items); i++)
				if (card_ends_with(json_array_get(items, i), card))
					json_array_append(kept, json_array_get(items, i));
			json_object_set(r.body, "items", kept);
			items = kept;
		}
		next = json_string_value(json_object_get(r.body, "next"));
		if (strcmp(format, "json") == 0) {
			json_dumpf(r.body, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
		} else if (strcmp(format, "table") == 0) {
			print_table(items);
		} else {
			print_records(items, strcmp(format, "csv") == 0, tx_fields, NFIELDS);
		}
		if (fflush(stdout) != 0) {
			rc = fail(CX_USAGE, _("cannot write the output: %s"), strerror(errno));
			break;
		}
		if (next == NULL || strlen(next) >= sizeof(at))
			break;
		/* The next page on Enter; any other answer (or none) ends with its cursor. */
		if (pager &&
		    term_ask_line(_("-- Enter: the next page; q: stop -- "), more, sizeof(more)) ==
		            0 &&
		    more[0] == '\0') {
			snprintf(at, sizeof(at), "%s", next);
			cursor = at;
			continue;
		}
		/* The data stays alone on stdout, but for a person's table; the way on goes to
		 * stderr. */
		fprintf(strcmp(format, "table") == 0 ? stdout : stderr,
		        _("next page: --cursor %s\n"), next);
		break;
	}
out:
	json_decref(kept);
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

static const struct opt_spec export_opts[] = {
        SEARCH_OPTS,
        {"o", "FILE", N_("the file to write (FILE.part until it is whole)")},
        {"report", NULL, N_("in your electronic reporting's structure and format, not CSV")},
        {"layout", "L",
         N_("machine (the default: keys, minor units, codes), classic (a spreadsheet's) or old")},
};

/* The export's progress on stderr: rows, bytes, rate, at most 4 times a second; with the
 * search's count once known, the share done and the time left. */
struct progress {
	long long rows, bytes;
	struct timespec start, last;
	_Atomic long long total; /* the search's count (GET …/summary), -1 until known */
	const char *type;        /* the download's Content-Type (conn's got_type) */
	bool done;               /* the stream ended: a report's last line is no row */
};

/* The lines of the export that are no transaction: CSV's and delimited's header line, XML's
 * declaration and root element (and its end once done); fixed-length has none. */
static long long
lines_not_rows(const struct progress *p)
{
	if (strncmp(p->type, "application/xml", 15) == 0)
		return p->done ? 3 : 2;
	return strncmp(p->type, "text/plain", 10) == 0 ? 0 : 1;
}

/* The search's count, asked beside the export on a connection of its own (count_run). */
struct counting {
	struct ctx *x;
	const char **v;
	struct conn c;
	struct progress *p;
};

static void *
count_run(void *arg)
{
	struct counting *k = arg;
	char path[QUERY_MAX] = "/bo/api/transactions/summary";
	struct conn_reply r = {0};
	const json_t *n;

	if (search_query(&k->c, k->v, path, sizeof(path)) == CX_OK &&
	    conn_call(&k->c, "GET", path, NULL, &r) == CX_OK && r.status == 200 &&
	    json_is_integer(n = json_object_get(r.body, "count")))
		atomic_store(&k->p->total, (long long)json_integer_value(n));
	conn_reply_cleanup(&r);
	return NULL;
}

static double
seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void
progress_line(struct progress *p)
{
	double s = seconds_since(&p->start);
	long long rows = p->rows > lines_not_rows(p) ? p->rows - lines_not_rows(p) : 0,
	          total = atomic_load(&p->total);
	double mb = (double)p->bytes / 1e6, rate = s > 0 ? mb / s : 0.0;

	/* The line rewritten in place: back to its start, then spaces over a longer one. */
	fputc('\r', stderr);
	if (total < 0) {
		fprintf(stderr,
		        ngettext("%lld row, %.1f MB, %.1f MB/s", "%lld rows, %.1f MB, %.1f MB/s",
		                 (unsigned long)rows),
		        rows, mb, rate);
	} else {
		/* The time left at the rows' rate so far; none before a row came. */
		long long left = rows > 0 && total > rows
		                         ? (long long)((double)(total - rows) * s / rows)
		                         : 0;
		int share = total > 0 && rows < total ? (int)(rows * 100 / total) : 100;

		fprintf(stderr,
		        ngettext("%lld of %lld row (%d%%), %.1f MB, %.1f MB/s, %lld:%02lld left",
		                 "%lld of %lld rows (%d%%), %.1f MB, %.1f MB/s, %lld:%02lld left",
		                 (unsigned long)total),
		        rows, total, share, mb, rate, left / 60, left % 60);
	}
	fputs("   ", stderr);
}

static void
on_progress(void *ctx, const char *data, size_t len)
{
	struct progress *p = ctx;

	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n')
			p->rows++;
	p->bytes += (long long)len;
	if (seconds_since(&p->last) >= 0.25) {
		clock_gettime(CLOCK_MONOTONIC, &p->last);
		progress_line(p);
	}
}

static int
cmd_export(struct ctx *x, const char **v)
{
	char path[QUERY_MAX] = "/bo/api/transactions/export", part[CLIENT_PATH_MAX + 8];
	const char *file = v[SEARCH_NOPTS];
	struct progress p = {.total = -1};
	struct counting k = {.x = x, .v = v, .p = &p};
	struct conn c = {0};
	struct conn_reply r = {0};
	bool tty = isatty(STDERR_FILENO), counting = false;
	pthread_t counter;
	FILE *f = NULL;
	long status;
	const char *layout = v[SEARCH_NOPTS + 2];
	int rc, fd;

	if (file == NULL)
		return fail(CX_USAGE, _("export: -o FILE is required"));
	if (layout != NULL && strcmp(layout, "machine") != 0 && strcmp(layout, "classic") != 0 &&
	    strcmp(layout, "old") != 0)
		return fail(CX_USAGE, _("export: --layout is machine, classic or old"));
	if (layout != NULL && v[SEARCH_NOPTS + 1] != NULL)
		return fail(CX_USAGE, _("export: --report has its own layout; leave --layout out"));
	if ((size_t)snprintf(part, sizeof(part), "%s.part", file) >= sizeof(part))
		return fail(CX_USAGE, _("export: the file's name is too long"));
	rc = search_query(NULL, v, NULL, 0);
	if (rc != CX_OK)
		return rc;
	rc = open_session(x, &c);
	if (rc != CX_OK)
		goto out;
	p.type = c.got_type;
	if (conn_query_add(&c, path, sizeof(path), "format",
	                   v[SEARCH_NOPTS + 1] != NULL ? "report" : "csv") != 0) {
		rc = fail(CX_USAGE, _("the search is too long"));
		goto out;
	}
	if (layout != NULL && conn_query_add(&c, path, sizeof(path), "layout", layout) != 0) {
		rc = fail(CX_USAGE, _("the search is too long"));
		goto out;
	}
	rc = search_query(&c, v, path, sizeof(path));
	if (rc != CX_OK)
		goto out;
	fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		rc = fail(CX_USAGE, _("cannot write %s: %s"), part, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &p.start);
	p.last = p.start;
	/* On a terminal, the search is counted meanwhile, for the share done and the time left;
	 * a count that fails leaves the line without them. */
	if (tty && open_profile(x, &k.c) == CX_OK) {
		memcpy(k.c.token, c.token, sizeof(k.c.token));
		memcpy(k.c.csrf, c.csrf, sizeof(k.c.csrf));
		counting = pthread_create(&counter, NULL, count_run, &k) == 0;
	}
	rc = conn_download(&c, path, f, tty ? on_progress : NULL, &p, &status, &r.body);
	r.status = status;
	if (counting)
		pthread_join(counter, NULL);
	conn_cleanup(&k.c);
	if (tty) { /* the last word: what was received in all */
		p.done = true;
		progress_line(&p);
		fputc('\n', stderr);
	}
	if (rc != CX_OK) {
		fail(rc, _("%s; nothing written to %s"), c.err, file);
		goto out;
	}
	rc = reply_rc(x, &r);
	if (rc != CX_OK)
		goto out;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = fail(CX_USAGE, _("cannot write %s: %s"), part, strerror(errno));
		goto out;
	}
	fclose(f);
	f = NULL;
	if (rename(part, file) != 0) {
		rc = fail(CX_USAGE, _("cannot rename %s: %s"), part, strerror(errno));
		goto out;
	}
out:
	if (f != NULL) {
		fclose(f);
		unlink(part); /* never a partial export under any name */
	}
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

/* --- one transaction: show, and the cash operations ------------------------------------------ */

/* The transaction x->arg's details into *r, on the profile's session opened into c. */
static int
details_get(struct ctx *x, struct conn *c, struct conn_reply *r, char *route, size_t cap)
{
	long id;

	if (opts_number(x->arg, 1, 999999999999L, &id) != 0)
		return fail(CX_USAGE, _("'%s' is not a transaction's id (a whole number)"), x->arg);
	snprintf(route, cap, "/bo/api/transactions/%ld", id);
	return session_get(x, c, route, r);
}

/* minor units of code as "49.90 EUR" into out. */
static const char *
amount_text(json_int_t minor, const char *code, char *out, size_t cap)
{
	const struct currency *cur = code != NULL ? money_currency_find(code) : NULL;
	char plain[40];

	if (cur != NULL && money_format_plain(minor, cur, plain, sizeof(plain)) >= 0)
		snprintf(out, cap, "%s %s", plain, code);
	else
		snprintf(out, cap, "%lld %s", (long long)minor, code != NULL ? code : "");
	return out;
}

static const char *
str_or(const json_t *o, const char *key, const char *none)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && v[0] != '\0' ? v : none;
}

/* A translated label padded to cols columns (printf's "%-16s" counts bytes: "état" has 5),
 * as wide as it is when it is wider. */
static void
print_label(const char *label, size_t cols)
{
	size_t w = table_text_width(label);

	printf("%s%*s", label, w < cols ? (int)(cols - w) : 0, "");
}

/* The details' refunds (a debit's), oldest first, a line each: id, amount, status, when. */
static void
print_refunds(const json_t *t, const char *code)
{
	const json_t *refunds = json_object_get(t, "refunds"), *rf;
	char amount[48], when[20];
	size_t i;

	json_array_foreach(refunds, i, rf)
	{
		print_label(i == 0 ? _("refunds") : "", 16);
		snprintf(when, sizeof(when), "%.19s", str_or(rf, "created_at", ""));
		if (strlen(when) > 10)
			when[10] = ' ';
		printf(" %s  %s  %s  %s\n", str_or(rf, "id", "?"),
		       amount_text(json_integer_value(json_object_get(rf, "amount")),
		                   str_or(rf, "currency", code), amount, sizeof(amount)),
		       str_or(rf, "status", "?"), when);
	}
	if (json_is_true(json_object_get(t, "refunds_more"))) {
		print_label("", 16);
		/* xgettext:c-format */
		printf(_(" (the first %zu only: search for the order reference for the others)\n"),
		       json_array_size(refunds));
	}
}

/* The details as "label  value" lines, then the history as a table. */
static void
print_details(const json_t *t)
{
	static const struct table_col hist_cols[] = {
	        {N_("DATE (UTC)"), false, 3, 19},
	        {N_("ACTION"), false, 2, 12},
	        {N_("AMOUNT"), true, 2, 0},
	        {N_("USER"), false, 1, 8},
	};
	const char *code = str_or(t, "currency", NULL), *cells[4 * 64];
	const json_t *card = json_object_get(t, "card"), *hist = json_object_get(t, "history"), *h;
	char a[3][48], dates[64][20], amounts[64][48];
	size_t n = 0, w[4], i;

	print_label(_("transaction"), 16);
	printf(" %s\n", str_or(t, "id", "?"));
	print_label(_("state"), 16);
	printf(" %s, %s, %s\n", str_or(t, "type", "?"), str_or(t, "status", "?"),
	       str_or(t, "acquirer_status", "?"));
	print_label(_("amount"), 16);
	printf(_(" %s (initial %s, refunded %s)\n"),
	       amount_text(json_integer_value(json_object_get(t, "amount_current")), code, a[0],
	                   48),
	       amount_text(json_integer_value(json_object_get(t, "amount_initial")), code, a[1],
	                   48),
	       amount_text(json_integer_value(json_object_get(t, "amount_refunded")), code, a[2],
	                   48));
	print_label(_("order"), 16);
	printf(" %s\n", str_or(t, "order_ref", "—"));
	print_label(_("payment method"), 16);
	printf(" %s\n", str_or(t, "payment_method", "—"));
	print_label(_("card"), 16);
	printf(" %s  %s  %s\n", str_or(card, "masked", "—"), str_or(card, "expiry", ""),
	       str_or(card, "country", ""));
	print_label(_("e-mail"), 16);
	printf(" %s\n", str_or(t, "email", "—"));
	print_label(_("created (UTC)"), 16);
	printf(" %s\n", str_or(t, "created_at", "—"));
	print_label(_("authorization"), 16);
	printf(" %s\n", str_or(t, "authorization_number", "—"));
	if (json_string_value(json_object_get(t, "refusal_reason")) != NULL) {
		print_label(_("refused"), 16);
		printf(" %s: %s\n", str_or(t, "refusal_reason", ""),
		       str_or(t, "refusal_message", ""));
	}
	if (json_string_value(json_object_get(t, "parent_id")) != NULL) {
		print_label(_("refund of"), 16);
		printf(" %s\n", str_or(t, "parent_id", ""));
	}
	print_refunds(t, code);
	if (json_is_integer(json_object_get(t, "batch_number"))) {
		/* The batch's number, as the batch journal shows it. */
		print_label(_("batch"), 16);
		printf(" %lld\n",
		       (long long)json_integer_value(json_object_get(t, "batch_number")));
	}
	puts(_("\nhistory:"));
	json_array_foreach(hist, i, h)
	{
		if (n == 64)
			break; /* a transaction's lines are a handful; the JSON has them all */
		snprintf(dates[n], sizeof(dates[n]), "%.19s", str_or(h, "at", ""));
		if (strlen(dates[n]) > 10)
			dates[n][10] = ' ';
		cells[n * 4] = dates[n];
		cells[n * 4 + 1] = str_or(h, "action", "");
		cells[n * 4 + 2] = amount_text(json_integer_value(json_object_get(h, "amount")),
		                               str_or(h, "currency", code), amounts[n], 48);
		cells[n * 4 + 3] = str_or(h, "user_login", "—");
		n++;
	}
	table_layout(hist_cols, 4, cells, n, term_width(), w);
	table_write(stdout, hist_cols, 4, cells, n, w);
}

static const struct opt_spec show_opts[] = {
        {"format", "F", N_("table (the default) or json: the API's answer whole")},
};

static int
cmd_show(struct ctx *x, const char **v)
{
	const char *format = v[0] != NULL ? v[0] : "table";
	char route[64];
	struct conn c = {0};
	struct conn_reply r = {0};
	int rc;

	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return fail(CX_USAGE, _("--format '%s': table or json"), format);
	rc = details_get(x, &c, &r, route, sizeof(route));
	if (rc == CX_OK) {
		if (strcmp(format, "json") == 0) {
			json_dumpf(r.body, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
		} else {
			print_details(r.body);
		}
		if (fflush(stdout) != 0)
			rc = fail(CX_USAGE, _("cannot write the output: %s"), strerror(errno));
	}
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

/* A cash operation of the back office (README "The back office: transactions and cash
 * operations"): its route's last word, the details' "operations" member that says whether
 * it is open, and its question (a msgid: the amount, with --amount, then the transaction and
 * its order). */
struct operation {
	const char *route, *allowed, *question;
	bool amount; /* takes --amount */
};

/* xgettext:c-format */
static const struct operation op_capture = {
        "capture", "capture", N_("Capture %s of transaction %s (order %s)? [y/N] "), true};
/* xgettext:c-format */
static const struct operation op_cancel = {"cancel", "cancel",
                                           N_("Cancel transaction %s (order %s)? [y/N] "), false};
/* xgettext:c-format */
static const struct operation op_refund = {
        "refund", "refund", N_("Refund %s of transaction %s (order %s)? [y/N] "), true};
/* xgettext:c-format */
static const struct operation op_send = {
        "send", "send", N_("Send to the bank transaction %s (order %s)? [y/N] "), false};
/* xgettext:c-format */
static const struct operation op_block = {"block-card", "block_card",
                                          N_("Block the card of transaction %s (order %s)? [y/N] "),
                                          false};

/* "what: transaction ID is TYPE, STATUS, ACQUIRER (AMOUNT)". */
static void
print_state(const char *what, const json_t *t, const char *code)
{
	char amount[48];

	printf(_("%s: transaction %s is %s, %s, %s (%s)\n"), what, str_or(t, "id", "?"),
	       str_or(t, "type", "?"), str_or(t, "status", "?"), str_or(t, "acquirer_status", "?"),
	       amount_text(json_integer_value(json_object_get(t, "amount_current")),
	                   str_or(t, "currency", code), amount, sizeof(amount)));
}

static const struct opt_spec amount_op_opts[] = {
        {"amount", "A", N_("the amount, in the currency's major unit (default: all there is)")},
        {"yes", NULL, N_("do it without asking (scripts)")},
};
static const struct opt_spec plain_op_opts[] = {
        {"yes", NULL, N_("do it without asking (scripts)")},
};

/* Reads the transaction, says what will be done, asks (unless --yes), then does it and
 * prints the transaction's new state. */
static int
operate(struct ctx *x, const struct operation *op, const char *amount_opt, bool yes)
{
	char route[64], action[96], question[256], err[256], shown[48];
	struct conn c = {0};
	struct conn_reply r = {0}, done = {0};
	const struct currency *cur;
	const char *code;
	json_t *body = NULL;
	json_int_t minor;
	int64_t asked = 0;
	int rc;

	rc = details_get(x, &c, &r, route, sizeof(route));
	if (rc != CX_OK)
		goto out;
	code = str_or(r.body, "currency", "");
	cur = money_currency_find(code);
	if (amount_opt != NULL && opts_amount(amount_opt, cur != NULL ? cur->exponent : 2, &asked,
	                                      err, sizeof(err)) != 0) {
		rc = fail(CX_USAGE, _("--amount: %s"), err);
		goto out;
	}
	if (op == &op_send &&
	    !json_is_true(json_object_get(json_object_get(r.body, "operations"), op->allowed)) &&
	    strcmp(str_or(r.body, "status", ""), "accepted") == 0 &&
	    strcmp(str_or(r.body, "acquirer_status", ""), "to_send") == 0) {
		/* Due today already (README "The back office"): nothing to bring forward. */
		printf(_("send: transaction %s is due on %s: that day's settlement takes it\n"),
		       x->arg, str_or(r.body, "bank_date", "?"));
		goto out;
	}
	if (!json_is_true(json_object_get(json_object_get(r.body, "operations"), op->allowed))) {
		rc = fail(CX_REFUSED, _("%s is not possible on transaction %s (%s, %s, %s)"),
		          op->route, x->arg, str_or(r.body, "type", "?"),
		          str_or(r.body, "status", "?"), str_or(r.body, "acquirer_status", "?"));
		goto out;
	}
	minor = asked > 0 ? asked : json_integer_value(json_object_get(r.body, "amount_current"));
	if (op->amount)
		snprintf(question, sizeof(question), _(op->question),
		         amount_text(minor, code, shown, sizeof(shown)), x->arg,
		         str_or(r.body, "order_ref", "—"));
	else
		snprintf(question, sizeof(question), _(op->question), x->arg,
		         str_or(r.body, "order_ref", "—"));
	if (!yes) {
		if (!term_available()) {
			rc = fail(CX_USAGE,
			          _("%s asks for a confirmation: answer on a terminal, or give "
			            "--yes"),
			          op->route);
			goto out;
		}
		if (!ask_yes(question)) {
			rc = fail(CX_REFUSED, _("nothing done"));
			goto out;
		}
	}
	if (asked > 0)
		body = json_pack("{s:I}", "amount", (json_int_t)asked);
	snprintf(action, sizeof(action), "%s/%s", route, op->route);
	rc = call_checked(x, &c, "POST", action, body, &done);
	if (rc != CX_OK)
		goto out;
	/* The answer is the transaction, and a refund's the new one beside it: a line each. */
	print_state(op->route, done.body, code);
	if (json_is_object(json_object_get(done.body, "refund")))
		print_state(_("the refund"), json_object_get(done.body, "refund"), code);
out:
	json_decref(body);
	conn_reply_cleanup(&done);
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

static int
cmd_capture(struct ctx *x, const char **v)
{
	return operate(x, &op_capture, v[0], v[1] != NULL);
}

static int
cmd_refund(struct ctx *x, const char **v)
{
	return operate(x, &op_refund, v[0], v[1] != NULL);
}

static int
cmd_cancel(struct ctx *x, const char **v)
{
	return operate(x, &op_cancel, NULL, v[0] != NULL);
}

static int
cmd_send(struct ctx *x, const char **v)
{
	return operate(x, &op_send, NULL, v[0] != NULL);
}

static int
cmd_block_card(struct ctx *x, const char **v)
{
	return operate(x, &op_block, NULL, v[0] != NULL);
}

/* --- batches, statistics, users --------------------------------------------------------------- */

/* Checks --format against the table, csv, tsv and json a listing prints. */
static int
listing_format(const char *format)
{
	if (strcmp(format, "table") == 0 || strcmp(format, "csv") == 0 ||
	    strcmp(format, "tsv") == 0 || strcmp(format, "json") == 0)
		return CX_OK;
	return fail(CX_USAGE, _("--format '%s': table, csv, tsv or json"), format);
}

/* A listing's items (an array of objects) as format says: a table of cols whose cells
 * cell(item, column, scratch) gives, or the API's fields for CSV and TSV, or its JSON whole. */
static int
print_listing(const json_t *answer, const char *format, const struct table_col *cols, size_t ncols,
              const char *const *fields, size_t nfields,
              const char *(*cell)(const json_t *item, size_t col, char *scratch, size_t cap))
{
	const json_t *items = json_object_get(answer, "items"), *item;
	size_t n = json_array_size(items), w[16], i;
	const char **cells;
	char *scratch;

	if (strcmp(format, "json") == 0) {
		json_dumpf(answer, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else if (strcmp(format, "table") != 0) {
		print_records(items, strcmp(format, "csv") == 0, fields, nfields);
	} else {
		cells = calloc(n * ncols + 1, sizeof(*cells));
		scratch = calloc(n * ncols + 1, 64);
		if (cells == NULL || scratch == NULL)
			abort(); /* out of memory */
		json_array_foreach(items, i, item)
		{
			for (size_t k = 0; k < ncols; k++)
				cells[i * ncols + k] =
				        cell(item, k, scratch + (i * ncols + k) * 64, 64) ?: "";
		}
		table_layout(cols, ncols, cells, n, term_width(), w);
		table_write(stdout, cols, ncols, cells, n, w);
		free(scratch);
		free(cells);
	}
	return fflush(stdout) == 0
	               ? CX_OK
	               : fail(CX_USAGE, _("cannot write the output: %s"), strerror(errno));
}

static const struct opt_spec batches_opts[] = {
        {"from", "D", N_("the first bank day, YYYY-MM-DD (required)")},
        {"to", "D", N_("the last bank day, YYYY-MM-DD (required)")},
        {"contract", "N", N_("the contract's number")},
        {"limit", "N", N_("rows a page, 1 to 500 (default 50)")},
        {"cursor", "C", N_("the page after the one whose next cursor this is")},
        {"format", "F", N_("table (default), csv, tsv or json")},
};

static const struct table_col batch_cols[] = {
        {N_("BANK DAY"), false, 9, 10}, {N_("NUMBER"), false, 8, ID_WHOLE},
        {N_("METHOD"), false, 5, 6},    {N_("CONTRACT"), false, 3, 6},
        {N_("RANG"), false, 2, 3},      {N_("TXNS"), true, 7, 0},
        {N_("DEBITS"), true, 6, 0},     {N_("CREDITS"), true, 4, 0},
        {N_("TOTAL"), true, 10, 0},
};
static const char *const batch_fields[] = {
        "bank_date",    "number",       "payment_method", "contract", "rang",     "debit_count",
        "debit_amount", "credit_count", "credit_amount",  "total",    "currency",
};
_Static_assert(OPTS_N(batch_fields) <= RECORD_FIELDS_MAX, "its fields fit a record");

static const char *
batch_cell(const json_t *b, size_t col, char *scratch, size_t cap)
{
	static const char *const keys[] = {"bank_date", "number", "payment_method",
	                                   "contract",  "rang",   "transaction_count"};
	static const char *const amounts[] = {"debit_amount", "credit_amount", "total"};
	const char *code = str_or(b, "currency", NULL);

	if (col < 6)
		return member_text(b, keys[col], scratch, cap);
	return amount_text(json_integer_value(json_object_get(b, amounts[col - 6])), code, scratch,
	                   cap);
}

/* A listing's GET: its route and query from the options named (opts[i].name, the API's
 * parameter with '_' for '-'), checked before anything is sent. */
static int
listing_get(struct ctx *x, struct conn *c, const char *route, const struct opt_spec *opts, size_t n,
            const char **v, struct conn_reply *r)
{
	char path[QUERY_MAX], param[64];

	snprintf(path, sizeof(path), "%s", route);
	for (size_t i = 0; i < n; i++) {
		if (v[i] == NULL || strcmp(opts[i].name, "format") == 0)
			continue;
		for (size_t k = 0; k <= strlen(opts[i].name) && k < sizeof(param); k++)
			param[k] = opts[i].name[k] == '-' ? '_' : opts[i].name[k];
		param[sizeof(param) - 1] = '\0';
		if (conn_query_add(c, path, sizeof(path), param, v[i]) != 0)
			return fail(CX_USAGE, _("the request is too long"));
	}
	return call_checked(x, c, "GET", path, NULL, r);
}

/* Whether the days of --from and --to (v[0], v[1]) are given and are days. */
static int
period_ok(const char **v)
{
	static const char *const names[] = {"from", "to"};

	for (int i = 0; i < 2; i++) {
		if (v[i] == NULL)
			return fail(CX_USAGE, _("--%s D is required"), names[i]);
		if (strlen(v[i]) != 10 || !opts_date_ok(v[i]))
			return fail(CX_USAGE, _("--%s '%s' is not a day: YYYY-MM-DD"), names[i],
			            v[i]);
	}
	return CX_OK;
}

static int
cmd_batches(struct ctx *x, const char **v)
{
	const char *format = v[5] != NULL ? v[5] : "table", *next;
	struct conn c = {0};
	struct conn_reply r = {0};
	long limit;
	int rc = period_ok(v);

	if (rc == CX_OK)
		rc = listing_format(format);
	if (rc == CX_OK && v[3] != NULL && opts_number(v[3], 1, 500, &limit) != 0)
		rc = fail(CX_USAGE, _("--limit '%s': a number from 1 to 500"), v[3]);
	if (rc == CX_OK)
		rc = open_session(x, &c);
	if (rc == CX_OK)
		rc = listing_get(x, &c, "/bo/api/batches", batches_opts, OPTS_N(batches_opts), v,
		                 &r);
	if (rc == CX_OK)
		rc = print_listing(r.body, format, batch_cols, OPTS_N(batch_cols), batch_fields,
		                   OPTS_N(batch_fields), batch_cell);
	next = json_string_value(json_object_get(r.body, "next"));
	if (rc == CX_OK && next != NULL && strcmp(format, "json") != 0)
		fprintf(strcmp(format, "table") == 0 ? stdout : stderr,
		        _("next page: --cursor %s\n"), next);
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

static const struct opt_spec stats_opts[] = {
        {"from", "D", N_("the first day, YYYY-MM-DD (Paris; required)")},
        {"to", "D", N_("the last day, YYYY-MM-DD (Paris; required, at most 800 days)")},
        {"format", "F", N_("table (default) or json")},
};

static const struct table_col method_cols[] = {
        {N_("METHOD"), false, 6, 6},  {N_("COUNT"), true, 5, 0},
        {N_("TURNOVER"), true, 4, 0}, {N_("DEBITS"), true, 3, 0},
        {N_("LARGEST"), true, 2, 0},  {N_("AVERAGE BASKET"), true, 1, 0},
};

static const char *
method_cell(const json_t *m, size_t col, char *scratch, size_t cap)
{
	static const char *const amounts[] = {"turnover", "amount", "max", "average_basket"};

	if (col == 0)
		return str_or(m, "payment_method", "?");
	if (col == 1)
		return member_text(m, "count", scratch, cap);
	/* The statistics' amounts are in euros (README "Activity statistics"). */
	return amount_text(json_integer_value(json_object_get(m, amounts[col - 2])), "EUR", scratch,
	                   cap);
}

static int
cmd_stats(struct ctx *x, const char **v)
{
	const char *format = v[2] != NULL ? v[2] : "table";
	const json_t *daily, *day;
	struct conn c = {0};
	struct conn_reply r = {0};
	char a[4][48], line[3 * 512 + 1];
	long long *turnover = NULL, count;
	int64_t first, last;
	size_t n, i, per, label, width = term_width();
	int rc = period_ok(v);

	if (rc == CX_OK && strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		rc = fail(CX_USAGE, _("--format '%s': table or json"), format);
	if (rc == CX_OK)
		rc = open_session(x, &c);
	if (rc == CX_OK)
		rc = listing_get(x, &c, "/bo/api/stats", stats_opts, OPTS_N(stats_opts), v, &r);
	if (rc != CX_OK || strcmp(format, "json") == 0) {
		if (rc == CX_OK) {
			json_dumpf(r.body, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
		}
		goto out;
	}
	count = (long long)json_integer_value(json_object_get(r.body, "count"));
	printf(ngettext("%s to %s (Paris days): %lld transaction, turnover %s, debits %s, "
	                "largest %s, average basket %s\n\n",
	                "%s to %s (Paris days): %lld transactions, turnover %s, debits %s, "
	                "largest %s, average basket %s\n\n",
	                (unsigned long)(count > 0 ? count : 0)),
	       v[0], v[1], count,
	       amount_text(json_integer_value(json_object_get(r.body, "turnover")), "EUR", a[0],
	                   48),
	       amount_text(json_integer_value(json_object_get(r.body, "amount")), "EUR", a[1], 48),
	       amount_text(json_integer_value(json_object_get(r.body, "max")), "EUR", a[2], 48),
	       amount_text(json_integer_value(json_object_get(r.body, "average_basket")), "EUR",
	                   a[3], 48));
	json_object_set(r.body, "items", json_object_get(r.body, "by_method"));
	rc = print_listing(r.body, "table", method_cols, OPTS_N(method_cols), NULL, 0, method_cell);
	/* The daily turnover, one character a day (or a few days a character), as the web
	 * dashboard's curve. */
	daily = json_object_get(r.body, "daily");
	if (cal_date_parse(v[0], &first) != 0 || cal_date_parse(v[1], &last) != 0 || last < first)
		goto out; /* the server took them: it would have refused these */
	n = (size_t)(last - first + 1);
	turnover = calloc(n, sizeof(*turnover));
	if (turnover == NULL)
		abort(); /* out of memory */
	/* Every day of the period, those without a transaction (absent from "daily") at 0. */
	json_array_foreach(daily, i, day)
	{
		int64_t d;

		if (cal_date_parse(str_or(day, "date", ""), &d) == 0 && d >= first && d <= last)
			turnover[d - first] = json_integer_value(json_object_get(day, "turnover"));
	}
	width = width > 24 ? width - 18 : 6;
	if (width > 512)
		width = 512;
	if (table_sparkline(turnover, n, width, line, sizeof(line)) > 0) {
		/* The curve, and the period under it, 16 columns in (more for a longer label). */
		per = (n + width - 1) / width;
		label = table_text_width(_("turnover a day")) + 2;
		label = label < 16 ? 16 : label;
		putchar('\n');
		print_label(_("turnover a day"), label);
		printf("%s\n%*s", line, (int)label, "");
		printf(ngettext("%s to %s, %zu day a character\n",
		                "%s to %s, %zu days a character\n", per),
		       v[0], v[1], per);
	}
	free(turnover);
	if (fflush(stdout) != 0)
		rc = fail(CX_USAGE, _("cannot write the output: %s"), strerror(errno));
out:
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

static const struct opt_spec users_opts[] = {
        {"format", "F", N_("table (default), csv, tsv or json")},
};

static const struct table_col user_cols[] = {
        {N_("LOGIN"), false, 9, ID_WHOLE},   {N_("NAME"), false, 6, 8},
        {N_("PROFILE"), false, 8, 7},        {N_("NODE"), false, 4, 6},
        {N_("SECOND FACTOR"), false, 3, 5},  {N_("LOCKED"), false, 7, 3},
        {N_("SIGN-INS (WEEK)"), true, 2, 0},
};
static const char *const user_fields[] = {
        "id",     "login",     "name",   "email",         "profile",
        "level",  "node_name", "locked", "second_factor", "sign_ins_this_week",
        "active",
};
_Static_assert(OPTS_N(user_fields) <= RECORD_FIELDS_MAX, "its fields fit a record");

static const char *
user_cell(const json_t *u, size_t col, char *scratch, size_t cap)
{
	switch (col) {
	case 0:
		return str_or(u, "login", "");
	case 1:
		return str_or(u, "name", "");
	case 2:
		return str_or(u, "profile", "");
	case 3:
		return str_or(u, "node_name", "");
	case 4:
		return str_or(u, "second_factor", _("none"));
	case 5:
		/* README "Users": a deactivated user is kept, and said so first. */
		if (json_is_false(json_object_get(u, "active")))
			return _("deactivated");
		return json_is_true(json_object_get(u, "locked")) ? _("locked") : _("no");
	default:
		return member_text(u, "sign_ins_this_week", scratch, cap);
	}
}

static int
cmd_users(struct ctx *x, const char **v)
{
	const char *format = v[0] != NULL ? v[0] : "table";
	struct conn c = {0};
	struct conn_reply r = {0};
	int rc = listing_format(format);

	if (rc == CX_OK)
		rc = session_get(x, &c, "/bo/api/users", &r);
	if (rc == CX_OK)
		rc = print_listing(r.body, format, user_cols, OPTS_N(user_cols), user_fields,
		                   OPTS_N(user_fields), user_cell);
	conn_reply_cleanup(&r);
	conn_cleanup(&c);
	return rc;
}

/* --- the commands --------------------------------------------------------------------------- */

static const struct command commands[] = {
        {"connect", cmd_connect, OPTS(connect_opts), NULL,
         N_("save where the back office is (a profile)"),
         N_("Checks that guichetd answers there, then saves the profile (0600, in\n"
            "$XDG_CONFIG_HOME/guichet/, else ~/.config/guichet/).")},
        {"login", cmd_login, OPTS(login_opts), NULL, N_("sign in"),
         N_("The password is asked without echo on the terminal, or read from stdin with\n"
            "--password-stdin (never from the command line). The session is kept in memory\n"
            "(the login session's kernel keyring); with --remember in the persistent keyring;\n"
            "where the kernel keeps no keys, in a 0600 file in $XDG_STATE_HOME/guichet/.")},
        {"logout", cmd_logout, NULL, 0, NULL, N_("sign out: the session ends on the server"),
         N_("Ends the session on the server and forgets it here.")},
        {"disconnect", cmd_disconnect, NULL, 0, NULL, N_("keep the session to resume it later"),
         N_("The server keeps the session for this device within its idle time; the resume\n"
            "key is kept where the session is.")},
        {"resume", cmd_resume, NULL, 0, NULL, N_("take back a disconnected session"),
         N_("Resumes the session 'guichet disconnect' left, with its kept key.")},
        {"transactions", cmd_transactions, OPTS(transactions_opts), NULL,
         N_("search the transactions"),
         N_("Newest first, one page at a time (--limit); the next page's cursor is shown,\n"
            "and at a terminal Enter shows the next page (q stops).\n"
            "--format csv|tsv|json give the API's fields (amounts in minor units).")},
        {"export", cmd_export, OPTS(export_opts), NULL, N_("export the search as CSV to a file"),
         N_("Streams the server's CSV export to FILE.part, renamed FILE once whole; a progress\n"
            "line on stderr when it is a terminal, with the share done and the time left once\n"
            "the search is counted. --report: in your electronic reporting's structure and\n"
            "format instead (XML, fixed-length or delimited). --layout classic: the file a\n"
            "spreadsheet opens (labels, amounts in units, names, ';' and a BOM in French);\n"
            "old: fixed columns; machine, the default, is the file for scripts.")},
        {"show", cmd_show, OPTS(show_opts), "ID", N_("a transaction's details and history"),
         N_("The transaction's state, amounts, card (masked), order and its history.")},
        {"capture", cmd_capture, OPTS(amount_op_opts), "ID", N_("capture an authorization"),
         N_("Captures the amount given, or all that was authorized; asks first (--yes: not).")},
        {"cancel", cmd_cancel, OPTS(plain_op_opts), "ID", N_("cancel a transaction not yet sent"),
         N_("Cancels a transaction still to send (not yet in a batch); asks first (--yes: "
            "not).")},
        {"refund", cmd_refund, OPTS(amount_op_opts), "ID", N_("refund a debit sent to the bank"),
         N_("Refunds the amount given, or all that remains; asks first (--yes: not). The\n"
            "refund is a transaction of its own, whose id is printed.")},
        {"send", cmd_send, OPTS(plain_op_opts), "ID", N_("send a transaction to the bank today"),
         N_("Puts the transaction into today's settlement; asks first (--yes: not).")},
        {"block-card", cmd_block_card, OPTS(plain_op_opts), "ID",
         N_("put the transaction's card on the blocklist"),
         N_("The card joins the shop's blocklist; asks first (--yes: not).")},
        {"batches", cmd_batches, OPTS(batches_opts), NULL, N_("the batch journal (remises)"),
         N_("The batches sent to the bank in the period, newest first, one page at a time.\n"
            "--format csv|tsv|json give the API's fields (amounts in minor units).")},
        {"stats", cmd_stats, OPTS(stats_opts), NULL, N_("activity statistics, with a daily curve"),
         N_("The period's totals, by payment method, and the turnover of each day as a\n"
            "sparkline (the web dashboard's curve).")},
        {"users", cmd_users, OPTS(users_opts), NULL, N_("the users (administrators)"),
         N_("The users of the administrator's node and below.")},
        {"second-factor", cmd_second_factor, OPTS(second_factor_opts), "totp|email|off",
         N_("show, set up or turn off your second factor"),
         N_("Without an argument, shows your second factor. totp sets up an authenticator app:\n"
            "its QR code is drawn here (the secret too, to type it), then the app's code and\n"
            "your password turn it on. email turns on codes e-mailed at each sign-in (the\n"
            "password). off turns yours off (the password and, for TOTP, the app's code). One\n"
            "at a time: off first to change. With --password-stdin, the password is the first\n"
            "line of stdin and a code the next one (totp prints the secret and its otpauth://\n"
            "URI on stderr then, for a script)."),
         true},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage_main(FILE *f)
{
	fputs(_("usage: guichet [--profile NAME] COMMAND [OPTIONS]\n\n"
	        "The command-line client of Guichet's back office: it speaks the back office's\n"
	        "JSON API over HTTPS (plain HTTP to this machine only).\n\ncommands:\n"),
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-14s%s\n", commands[i].name, _(commands[i].summary));
	fputs(_("\n--profile NAME  the profile to use (default \"default\")\n"
	        "'guichet COMMAND --help' tells a command's options.\n\n"
	        "exit status: 0 done, 1 refused, 2 bad usage, 3 not signed in or session ended,\n"
	        "4 network or server failure\n"),
	      f);
}

static void
usage_command(FILE *f, const struct command *cmd)
{
	fprintf(f, _("usage: guichet [--profile NAME] %s%s%s%s%s%s\n\n%s\n"), cmd->name,
	        cmd->arg ? " " : "", cmd->arg_optional ? "[" : "", cmd->arg ? cmd->arg : "",
	        cmd->arg_optional ? "]" : "", cmd->nopts > 0 ? " [OPTIONS]" : "", _(cmd->about));
	if (cmd->nopts > 0)
		fputs(_("\noptions:\n"), f);
	for (size_t i = 0; i < cmd->nopts; i++) {
		char left[64];
		const struct opt_spec *o = &cmd->opts[i];

		snprintf(left, sizeof(left), "%s%s%s%s", strlen(o->name) == 1 ? "-" : "--", o->name,
		         o->value ? " " : "", o->value ? o->value : "");
		fprintf(f, "  %-24s %s\n", left, _(o->help));
	}
}

int
main(int argc, char **argv)
{
	struct ctx x = {.profile = "default"};
	const char *values[OPTS_MAX];
	const struct command *cmd = NULL;
	char err[256];
	int a = 1, rc;

	i18n_init();
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			i18n_use_session(x.profile);
			usage_main(stdout);
			return CX_OK;
		}
		if (strcmp(argv[a], "--version") == 0) {
			printf("guichet %s\n", GUICHET_VERSION);
			return CX_OK;
		}
		if (strcmp(argv[a], "--profile") == 0 && a + 1 < argc) {
			x.profile = argv[++a];
			continue;
		}
		if (strncmp(argv[a], "--profile=", 10) == 0) {
			x.profile = argv[a] + 10;
			continue;
		}
		fail(CX_USAGE, _("unknown option '%s' (before the command: --profile NAME)"),
		     argv[a]);
		usage_main(stderr);
		return CX_USAGE;
	}
	/* The signed-in user's language, saved with the session, before the environment's. */
	i18n_use_session(x.profile);
	if (!opts_name_ok(x.profile))
		return fail(CX_USAGE, _("--profile '%s': 1 to 64 letters, digits, '_', '-', '.'"),
		            x.profile);
	if (a >= argc) {
		usage_main(stderr);
		return CX_USAGE;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, argv[a]) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fail(CX_USAGE, _("unknown command '%s'"), argv[a]);
		usage_main(stderr);
		return CX_USAGE;
	}
	if (cmd->arg != NULL && a + 1 < argc && argv[a + 1][0] != '-')
		x.arg = argv[++a];
	rc = opts_parse(cmd->opts, cmd->nopts, argc - a - 1, argv + a + 1, values, err,
	                sizeof(err));
	if (rc == 1) {
		usage_command(stdout, cmd);
		return CX_OK;
	}
	if (rc == 0 && cmd->arg != NULL && !cmd->arg_optional && x.arg == NULL) {
		fail(CX_USAGE, _("%s: %s is required (guichet %s %s)"), cmd->name, cmd->arg,
		     cmd->name, cmd->arg);
		return CX_USAGE;
	}
	if (rc != 0) {
		fail(CX_USAGE, _("%s: %s ('guichet %s --help' lists its options)"), cmd->name, err,
		     cmd->name);
		return CX_USAGE;
	}
	return cmd->run(&x, values);
}
