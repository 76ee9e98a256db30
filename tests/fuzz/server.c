/*
 * server.c - the real guichetd in the fuzzer's process (server.h).
 *
 * src/main.c is built in with its main() renamed, so the demo and the server start exactly as
 * `guichetd demo` and `guichetd serve` do: a pinned clock, one event loop, no daily
 * télécollecte. The harness keeps its own state apart from what inputs can reach: the demo
 * users it signs in change their password to a random one at once (no input knows it, so
 * none can take their session over), a route about one of them is not sent, and their
 * sign-out is not sent either. A session an input ended anyway (an account locked, say) is
 * signed in again, an administrator unlocking it first.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* guichetd itself: its main() as guichetd_main. */
int guichetd_main(int argc, char **argv);
#define main guichetd_main
#include "main.c"
#undef main

#include "common/buf.h"
#include "fuzz.h"
#include "server.h"

#define FUZZ_NOW       "2026-11-20T14:30:00+01:00" /* the system tests' clock (Makefile) */
#define ANSWER_WAIT_S  30                          /* longer is a hang: a finding */
#define REQUEST_MAX    (1u << 20)
#define TARGET_LOGIN   "fuzz.target" /* the user the inputs' user routes may act on */
#define PASSWORD_CHARS 24

/* A demo user the harness signs in, one per profile. */
struct fuzz_user {
	char login[65];
	char password[PASSWORD_CHARS + 1];
	int64_t id;
	char cookie[2 * HTTP_TOKEN_LEN + 1]; /* "" until signed in */
	char csrf[2 * HTTP_TOKEN_LEN + 1];
};

static struct {
	char dir[256], db[300], spool[300], listen[32];
	int port;
	pthread_t thread;
	struct fuzz_user users[PROFILE__COUNT];
	char site[16], rang[8];
	char key_hex[2 * CRYPTO_HMAC_KEY_LEN + 1];
	unsigned char key[CRYPTO_HMAC_KEY_LEN];
	int64_t target_id;
	unsigned long sign_ins;  /* after the first one of each user */
	unsigned long sent[6];   /* answers by hundreds: 1xx .. 5xx */
	unsigned long discarded; /* inputs not of the form */
} fz;

/* An answer read whole (Connection: close). */
struct answer {
	int status;
	char *raw; /* NUL-terminated */
	size_t len;
	const char *body;
	size_t body_len;
	bool chunked;
};

/* --- HTTP over a loopback socket ------------------------------------------------------------ */

/* The value of header name (lower case) in the answer's head, or NULL; *len its length. */
static const char *
answer_header(const struct answer *a, const char *name, size_t *len)
{
	size_t n = strlen(name);
	const char *end = a->body != NULL ? a->body : a->raw + a->len;

	for (const char *p = strstr(a->raw, "\r\n"); p != NULL && p + 2 < end;
	     p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2, *eol = strstr(line, "\r\n");

		if (eol != NULL && (size_t)(eol - line) > n && strncasecmp(line, name, n) == 0 &&
		    line[n] == ':') {
			line += n + 1;
			while (*line == ' ')
				line++;
			*len = (size_t)(eol - line);
			return line;
		}
	}
	return NULL;
}

/* connect(), taken up again when libFuzzer's timer (-timeout, -max_total_time) cuts it: the
 * connection then goes on by itself, and is waited for. 0, or -1 with errno. */
static int
connect_whole(int fd, const struct sockaddr_in *addr)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	socklen_t len = sizeof(int);
	int err = 0, n;

	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
		return 0;
	if (errno != EINTR)
		return -1;
	while ((n = poll(&p, 1, ANSWER_WAIT_S * 1000)) < 0 && errno == EINTR)
		;
	if (n <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return -1;
	errno = err;
	return err == 0 ? 0 : -1;
}

/* Sends head (request line and headers, CRLF-ended) and body, reads the answer whole. */
static void
http_exchange(const char *head, const void *body, size_t body_len, struct answer *a)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fz.port)};
	struct timeval wait = {.tv_sec = ANSWER_WAIT_S};
	struct buf in;
	char chunk[16384];
	size_t len;
	const char *p;
	int fd;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) == 0 &&
	                   setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof(wait)) == 0 &&
	                   connect_whole(fd, &addr) == 0,
	           "cannot connect to the server: %s", strerror(errno));
	for (const char *part = head, *stop = head + strlen(head); part < stop;) {
		ssize_t w = send(fd, part, (size_t)(stop - part), MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue; /* libFuzzer's timer (-timeout, -max_total_time) */
		FUZZ_CHECK(w > 0, "cannot send the request: %s", strerror(errno));
		part += w;
	}
	for (const char *part = body, *stop = body_len > 0 ? part + body_len : part; part < stop;) {
		ssize_t w = send(fd, part, (size_t)(stop - part), MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* the server may answer and close before reading it all (413) */
		part += w;
	}
	buf_init(&in, 64u << 20);
	for (;;) {
		ssize_t r = recv(fd, chunk, sizeof(chunk), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			break;
		FUZZ_CHECK(r > 0, "no answer within %d s (%s) to:\n%s", ANSWER_WAIT_S,
		           strerror(errno), head);
		buf_add(&in, chunk, (size_t)r);
	}
	close(fd);
	len = in.len;
	a->raw = buf_take(&in);
	if (a->raw == NULL)
		a->raw = strdup("");
	a->len = len;
	a->status = 0;
	a->body = NULL;
	a->body_len = 0;
	if (sscanf(a->raw, "HTTP/1.%*[01] %d", &a->status) != 1)
		a->status = 0;
	if ((p = strstr(a->raw, "\r\n\r\n")) != NULL) {
		a->body = p + 4;
		a->body_len = len - (size_t)(a->body - a->raw);
	}
	p = answer_header(a, "transfer-encoding", &len);
	a->chunked = p != NULL && len == 7 && strncasecmp(p, "chunked", 7) == 0;
}

static void
answer_free(struct answer *a)
{
	free(a->raw);
	a->raw = NULL;
}

/* The harness's own JSON calls: as user u (NULL: none), body stolen (NULL: none). The
 * answer's JSON (NULL when none) and status. */
static json_t *
call(struct fuzz_user *u, const char *method, const char *path, json_t *body, int *status)
{
	char head[1024];
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	size_t len = text != NULL ? strlen(text) : 0;
	bool session = u != NULL && u->cookie[0] != '\0';
	struct answer a;
	json_t *v;

	snprintf(head, sizeof(head),
	         "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: "
	         "%zu\r\nContent-Type: application/json\r\n%s%s%s%s%s\r\n",
	         method, path, len, session ? "Cookie: " HTTP_SESSION_COOKIE "=" : "",
	         session ? u->cookie : "", session ? "\r\nX-CSRF-Token: " : "",
	         session ? u->csrf : "", session ? "\r\n" : "");
	http_exchange(head, text, len, &a);
	*status = a.status;
	v = a.body != NULL ? json_loadb(a.body, a.body_len, 0, NULL) : NULL;
	if (u != NULL && strcmp(path, "/bo/api/session") == 0 && a.status == 200) {
		const char *c = answer_header(&a, "set-cookie", &len);
		size_t n = strlen(HTTP_SESSION_COOKIE "=");

		FUZZ_CHECK(c != NULL && len > n + 2 * HTTP_TOKEN_LEN &&
		                   strncmp(c, HTTP_SESSION_COOKIE "=", n) == 0,
		           "the sign-in of %s set no session cookie", u->login);
		memcpy(u->cookie, c + n, 2 * HTTP_TOKEN_LEN);
		u->cookie[2 * HTTP_TOKEN_LEN] = '\0';
	}
	answer_free(&a);
	free(text);
	json_decref(body);
	return v;
}

/* --- the harness's users --------------------------------------------------------------------- */

static const char *
next_of(json_t *v)
{
	json_t *n = json_object_get(v, "next");

	return json_is_string(n) ? json_string_value(n) : "";
}

static void sign_in(enum profile p);

/* An administrator unlocks user p (locked by inputs that guessed its password). */
static void
unlock(enum profile p)
{
	struct fuzz_user *admin = &fz.users[PROFILE_ADMIN];
	char path[64];
	int status;

	FUZZ_CHECK(p != PROFILE_ADMIN, "the harness's administrator %s is locked", admin->login);
	if (admin->cookie[0] == '\0')
		sign_in(PROFILE_ADMIN);
	snprintf(path, sizeof(path), "/bo/api/users/%lld/unlock", (long long)fz.users[p].id);
	json_decref(call(admin, "POST", path, NULL, &status));
	FUZZ_CHECK(status == 200, "unlocking %s answered %d", fz.users[p].login, status);
}

/* Signs user p in (taking its session over), with the first sign-in's steps: a new random
 * password, the terms. */
static void
sign_in(enum profile p)
{
	struct fuzz_user *u = &fz.users[p];
	char fresh[PASSWORD_CHARS + 1];
	const char *next;
	json_t *v;
	int status;

	for (int attempt = 0;; attempt++) {
		u->cookie[0] = '\0';
		v = call(u, "POST", "/bo/api/session",
		         json_pack("{s:s, s:s, s:b}", "login", u->login, "password", u->password,
		                   "takeover", 1),
		         &status);
		if (status != 423 || attempt > 0)
			break;
		json_decref(v);
		unlock(p);
	}
	FUZZ_CHECK(status == 200 && json_is_string(json_object_get(v, "csrf")),
	           "%s could not sign in: %d", u->login, status);
	snprintf(u->csrf, sizeof(u->csrf), "%s", json_string_value(json_object_get(v, "csrf")));
	next = next_of(v);
	if (strcmp(next, "change_password") == 0) {
		crypto_password_generate(fresh, PASSWORD_CHARS);
		json_decref(v);
		v = call(u, "POST", "/bo/api/password",
		         json_pack("{s:s, s:s}", "old", u->password, "new", fresh), &status);
		FUZZ_CHECK(status == 200, "%s could not change its password: %d", u->login, status);
		memcpy(u->password, fresh, sizeof(fresh));
		next = next_of(v);
	}
	if (strcmp(next, "accept_terms") == 0) {
		json_decref(v);
		v = call(u, "POST", "/bo/api/terms", json_pack("{s:b}", "accept", 1), &status);
		FUZZ_CHECK(status == 200, "%s could not accept the terms: %d", u->login, status);
		next = next_of(v);
	}
	FUZZ_CHECK(next[0] == '\0', "%s is still asked for %s", u->login, next);
	json_decref(v);
}

/* Who sends a back-office request on a route allowing profiles: the first allowed of a fixed
 * order, the administrator last (it unlocks the others). */
static struct fuzz_user *
user_for(unsigned profiles)
{
	static const enum profile order[] = {PROFILE_ACTION, PROFILE_HMAC, PROFILE_ENTRY,
	                                     PROFILE_CONSULTATION, PROFILE_ADMIN};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if ((profiles & P(order[i])) == 0)
			continue;
		if (fz.users[order[i]].cookie[0] == '\0')
			sign_in(order[i]);
		return &fz.users[order[i]];
	}
	return NULL;
}

/* --- start ------------------------------------------------------------------------------------ */

/* guichetd with these arguments, its standard output into the file out (NULL: as it is). */
static int
run_guichetd(const char *out, char **argv)
{
	int argc = 0, saved = -1, fd, rc;

	while (argv[argc] != NULL)
		argc++;
	if (out != NULL) {
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		FUZZ_CHECK(saved >= 0 && fd >= 0 && dup2(fd, STDOUT_FILENO) >= 0, "cannot write %s",
		           out);
		close(fd);
	}
	rc = guichetd_main(argc, argv);
	if (out != NULL) {
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	return rc;
}

static void *
serve_main(void *arg)
{
	/* The harness signs its users in again after inputs locked them: the sign-in limits
	 * would refuse it (429) as they refuse a flood, so they are set out of reach. */
	char *argv[] = {"guichetd",
	                "serve",
	                "--db",
	                fz.db,
	                "--listen",
	                fz.listen,
	                "--spool",
	                fz.spool,
	                "--www",
	                FUZZ_WWW,
	                "--now",
	                FUZZ_NOW,
	                "--loops",
	                "1",
	                "--idle-timeout",
	                "7200",
	                "--batch-time",
	                "off",
	                "--log-level",
	                "warn",
	                "--sign-in-address-limit",
	                "100000/1",
	                "--sign-in-login-limit",
	                "100000/1",
	                NULL};

	(void)arg;
	run_guichetd(NULL, argv);
	fprintf(stderr, "fuzz: the server stopped\n");
	abort();
}

/* The demo's JSON: the users (one per profile) and the first shop. */
static void
read_demo(const char *path)
{
	json_error_t err;
	json_t *demo = json_load_file(path, 0, &err), *v;
	json_t *shop = json_array_get(json_object_get(demo, "shops"), 0);
	size_t i;

	FUZZ_CHECK(demo != NULL && shop != NULL, "the demo printed no JSON: %s", err.text);
	json_array_foreach(json_object_get(demo, "users"), i, v)
	{
		enum profile p = profile_parse(json_string_value(json_object_get(v, "profile")));

		FUZZ_CHECK(p < PROFILE__COUNT, "a demo user of no known profile");
		snprintf(fz.users[p].login, sizeof(fz.users[p].login), "%s",
		         json_string_value(json_object_get(v, "login")));
		snprintf(fz.users[p].password, sizeof(fz.users[p].password), "%s",
		         json_string_value(json_object_get(v, "password")));
	}
	snprintf(fz.site, sizeof(fz.site), "%s", json_string_value(json_object_get(shop, "site")));
	snprintf(fz.rang, sizeof(fz.rang), "%s", json_string_value(json_object_get(shop, "rang")));
	snprintf(fz.key_hex, sizeof(fz.key_hex), "%s",
	         json_string_value(json_object_get(shop, "hmac_key")));
	FUZZ_CHECK(crypto_unhex(fz.key, sizeof(fz.key), fz.key_hex, strlen(fz.key_hex)) == ST_OK,
	           "the demo shop's key is not hex");
	json_decref(demo);
}

/* The ids of the harness's users, and the user the inputs may act on. */
static void
read_users(void)
{
	struct fuzz_user *admin = user_for(P(PROFILE_ADMIN));
	json_t *list, *v;
	size_t i;
	int status;

	json_decref(
	        call(admin, "POST", "/bo/api/users",
	             json_pack("{s:s, s:s, s:s, s:s}", "login", TARGET_LOGIN, "name", "Cible Fuzz",
	                       "email", "cible@example.com", "profile", "consultation"),
	             &status));
	FUZZ_CHECK(status == 201, "creating %s answered %d", TARGET_LOGIN, status);
	list = call(admin, "GET", "/bo/api/users", NULL, &status);
	json_array_foreach(json_object_get(list, "items"), i, v)
	{
		const char *login = json_string_value(json_object_get(v, "login"));
		int64_t id = json_integer_value(json_object_get(v, "id"));

		for (int p = 0; login != NULL && p < PROFILE__COUNT; p++)
			if (strcmp(login, fz.users[p].login) == 0)
				fz.users[p].id = id;
		if (login != NULL && strcmp(login, TARGET_LOGIN) == 0)
			fz.target_id = id;
	}
	json_decref(list);
	for (int p = 0; p < PROFILE__COUNT; p++)
		FUZZ_CHECK(fz.users[p].id > 0, "no id for %s", fz.users[p].login);
}

static void
remove_dir(void)
{
	char cmd[300];

	fprintf(stderr,
	        "fuzz: answers 2xx %lu, 3xx %lu, 4xx %lu, 5xx %lu; inputs not of the form %lu; "
	        "sessions signed in again %lu\n",
	        fz.sent[2], fz.sent[3], fz.sent[4], fz.sent[5], fz.discarded, fz.sign_ins);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fz.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fz.dir);
}

void
fuzz_server_start(void)
{
	const char *tmp = getenv("TMPDIR");
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t alen = sizeof(addr);
	char demo_json[320];
	int fd, status = 0;

	snprintf(fz.dir, sizeof(fz.dir), "%s/guichet-fuzz-XXXXXX", tmp ? tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(fz.dir) != NULL, "cannot make %s", fz.dir);
	atexit(remove_dir);
	snprintf(fz.db, sizeof(fz.db), "%s/guichet.db", fz.dir);
	snprintf(fz.spool, sizeof(fz.spool), "%s/spool", fz.dir);
	snprintf(demo_json, sizeof(demo_json), "%s/demo.json", fz.dir);
	FUZZ_CHECK(run_guichetd(demo_json,
	                        (char *[]){"guichetd", "demo", "--db", fz.db, "--transactions",
	                                   "60", "--seed", "7", "--now", FUZZ_NOW, "--json",
	                                   "--log-level", "warn", NULL}) == 0,
	           "guichetd demo failed");
	read_demo(demo_json);

	/* A free port: the kernel's pick, let go just before the server takes it. */
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
	                   getsockname(fd, (struct sockaddr *)&addr, &alen) == 0,
	           "no free port");
	fz.port = ntohs(addr.sin_port);
	close(fd);
	snprintf(fz.listen, sizeof(fz.listen), "127.0.0.1:%d", fz.port);
	FUZZ_CHECK(pthread_create(&fz.thread, NULL, serve_main, NULL) == 0, "no server thread");
	for (int i = 0; i < 2000 && status != 200; i++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool up;

		addr.sin_port = htons((uint16_t)fz.port);
		up = connect(s, (struct sockaddr *)&addr, sizeof(addr)) == 0;
		close(s);
		if (up)
			json_decref(call(NULL, "GET", "/healthz", NULL, &status));
		else
			usleep(10000);
	}
	FUZZ_CHECK(status == 200, "the server did not start");
	/* Every user signed in now, before libFuzzer runs: it learns the operands of what the
	 * code compares while an input runs, and a first sign-in compares the new password. */
	for (int p = 0; p < PROFILE__COUNT; p++)
		sign_in((enum profile)p);
	read_users();
}

/* --- one input --------------------------------------------------------------------------------- */

/* Whether path (len bytes, no query) matches pattern, {id} taking a positive id of 1 to 18
 * digits, into *id, {key} a name of 1 to HTTP_PATH_KEY_MAX letters, digits, '_' and '-'
 * (*keyed). */
static bool
pattern_match(const char *pattern, const char *path, size_t len, int64_t *id, bool *keyed)
{
	size_t i = 0;

	*id = 0;
	*keyed = false;
	for (; *pattern != '\0'; pattern++) {
		if (strncmp(pattern, "{key}", 5) == 0) {
			size_t start = i;

			while (i < len && i - start <= HTTP_PATH_KEY_MAX &&
			       (isalnum((unsigned char)path[i]) || path[i] == '_' ||
			        path[i] == '-'))
				i++;
			if (i == start || i - start > HTTP_PATH_KEY_MAX)
				return false;
			*keyed = true;
			pattern += 4;
		} else if (strncmp(pattern, "{id}", 4) == 0) {
			size_t start = i;

			while (i < len && i - start < 18 && isdigit((unsigned char)path[i]))
				*id = *id * 10 + (path[i++] - '0');
			if (i == start || *id == 0 || (i < len && isdigit((unsigned char)path[i])))
				return false; /* as the server reads it: 1 to 18 digits, not 0 */
			pattern += 3;
		} else if (i >= len || path[i++] != *pattern) {
			return false;
		}
	}
	return i == len;
}

/* The route of method and path in the server's own table, or NULL. */
static const struct route *
route_of(const char *method, const char *path, size_t len, int64_t *id, bool *keyed)
{
	for (size_t i = 0; i < routes_n; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    pattern_match(routes[i].pattern, path, len, id, keyed))
			return &routes[i];
	return NULL;
}

/* Whether a header line of the input names header (lower case). */
static bool
given(const char *given_names, const char *header)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "\n%s\n", header);
	return strstr(given_names, needle) != NULL;
}

/* Appends the header lines of the input (FUZZ_HEADERS) to head and their names, lower case,
 * to names ("\nname\n" each); *rest moves past them. false for a line that is not a header
 * the harness may send as it is. */
static bool
input_headers(const char **rest, const char *end, struct buf *head, struct buf *names)
{
	static const char *const framing[] = {"host",       "content-length", "transfer-encoding",
	                                      "connection", "upgrade",        "http2-settings",
	                                      NULL};

	while (*rest < end) {
		const char *line = *rest, *eol = memchr(line, '\n', (size_t)(end - line));
		const char *colon;
		size_t n;

		eol = eol != NULL ? eol : end;
		*rest = eol < end ? eol + 1 : end;
		if (eol == line)
			return true; /* the empty line: the body follows */
		colon = memchr(line, ':', (size_t)(eol - line));
		n = colon != NULL ? (size_t)(colon - line) : 0;
		if (n == 0 || n > 40 ||
		    strspn(line, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
		                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ") < n)
			return false;
		for (const char *p = colon + 1; p < eol; p++)
			if ((unsigned char)*p < 0x20 ? *p != '\t' : *p == 0x7f)
				return false; /* a CR, NUL or other control ends or breaks the line */
		buf_add(names, "\n", 1);
		for (size_t i = 0; i < n; i++)
			buf_add(names, &(char){(char)tolower((unsigned char)line[i])}, 1);
		buf_add(names, "\n", 1);
		for (int i = 0; framing[i] != NULL; i++)
			if (given(names->data, framing[i]))
				return false; /* the harness frames the request: Connection: close */
		buf_add(head, line, (size_t)(eol - line));
		buf_add(head, "\r\n", 2);
	}
	return true;
}

/* Whether the answer holds secret. Not instrumented, and no libc comparison either: libFuzzer
 * learns the operands of those, and would then know the secret. */
__attribute__((no_sanitize("coverage"))) static bool
holds(const struct answer *a, const char *secret)
{
	size_t n = strlen(secret);

	for (size_t i = 0; n > 0 && i + n <= a->len; i++) {
		size_t k = 0;

		while (k < n && a->raw[i + k] == secret[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* The properties every answer keeps (server.h). */
static void
check_answer(const struct answer *a, const char *head, const struct route *route, bool signed_)
{
	size_t len;
	const char *type = answer_header(a, "content-type", &len);
	const char *sig;

	FUZZ_CHECK(a->status >= 100 && (a->status < 500 || a->status == 503),
	           "answered %d to:\n%s\n---\n%s", a->status, head, a->raw);
	if (type != NULL && len >= 16 && strncmp(type, "application/json", 16) == 0 &&
	    !a->chunked && a->body != NULL) {
		json_t *v = json_loadb(a->body, a->body_len, 0, NULL);

		FUZZ_CHECK(v != NULL, "a JSON answer that does not parse:\n%s", a->raw);
		FUZZ_CHECK(a->status < 400 || json_is_string(json_object_get(v, "error")),
		           "an error without its code:\n%s", a->raw);
		json_decref(v);
	}
	if (route != NULL && route->auth == AUTH_HMAC && signed_ && a->status != 401 &&
	    a->status != 413) {
		sig = answer_header(a, "x-guichet-signature", &len);
		FUZZ_CHECK(sig != NULL && a->body != NULL &&
		                   crypto_hmac_verify_hex(sig, len, fz.key, a->body, a->body_len) ==
		                           ST_OK,
		           "an authenticated merchant answer not signed with the shop's key:\n%s",
		           a->raw);
	}
	FUZZ_CHECK(!holds(a, fz.key_hex), "the shop's key in an answer:\n%s", a->raw);
	for (int p = 0; p < PROFILE__COUNT; p++)
		FUZZ_CHECK(!holds(a, fz.users[p].password), "the password of %s in an answer:\n%s",
		           fz.users[p].login, a->raw);
}

int
fuzz_server_request(const uint8_t *data, size_t size, const char *prefix, enum fuzz_form form)
{
	const char *in = (const char *)data, *end = in + size, *eol, *sp, *rest, *q;
	char method[17], sig[2 * CRYPTO_HMAC_LEN + 1];
	unsigned char mac[CRYPTO_HMAC_LEN];
	const struct route *route;
	struct fuzz_user *u = NULL;
	struct buf path, head, names;
	struct answer a;
	int64_t id = 0;
	size_t mlen, plen;
	bool signed_ = false, keyed = false;
	int rc = -1;

	eol = memchr(in, '\n', size);
	eol = eol != NULL ? eol : end;
	rest = eol < end ? eol + 1 : end;
	sp = memchr(in, ' ', (size_t)(eol - in));
	mlen = sp != NULL ? (size_t)(sp - in) : 0;
	if (mlen == 0 || mlen >= sizeof(method) ||
	    strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") < mlen ||
	    (size_t)(eol - sp - 1) < strlen(prefix) ||
	    memcmp(sp + 1, prefix, strlen(prefix)) != 0 || (form == FUZZ_LINE && rest < end)) {
		fz.discarded++;
		return -1;
	}
	memcpy(method, in, mlen);
	method[mlen] = '\0';
	buf_init(&path, REQUEST_MAX);
	buf_init(&head, REQUEST_MAX);
	buf_init(&names, REQUEST_MAX);
	/* What a request line cannot carry, %-escaped: the server's parsers see the rest as
	 * it came. */
	for (const char *p = sp + 1; p < eol; p++) {
		char esc[4];

		if ((unsigned char)*p > 0x20 && *p != 0x7f) {
			buf_add(&path, p, 1);
			continue;
		}
		snprintf(esc, sizeof(esc), "%%%02X", (unsigned char)*p);
		buf_add(&path, esc, 3);
	}
	q = strchr(path.data, '?');
	plen = q != NULL ? (size_t)(q - path.data) : path.len;
	route = route_of(method, path.data, plen, &id, &keyed);
	/* The harness's own users stay signed in: no sign-out, no route about one of them. */
	if (route != NULL && strcmp(method, "DELETE") == 0 &&
	    strcmp(route->pattern, "/bo/api/session") == 0)
		goto out;
	for (int p = 0; route != NULL && id != 0 && p < PROFILE__COUNT; p++)
		if (strncmp(route->pattern, "/bo/api/users/", 14) == 0 && id == fz.users[p].id)
			goto out;
	buf_add(&names, "\n", 1);
	if (form == FUZZ_HEADERS && !input_headers(&rest, end, &head, &names))
		goto out;
	if (route != NULL && route->auth == AUTH_SESSION)
		u = user_for(route->profiles);
	if (u != NULL && !given(names.data, "cookie")) {
		buf_adds(&head, "Cookie: " HTTP_SESSION_COOKIE "=");
		buf_adds(&head, u->cookie);
		buf_adds(&head, "\r\n");
	}
	if (u != NULL && !given(names.data, "x-csrf-token")) {
		buf_adds(&head, "X-CSRF-Token: ");
		buf_adds(&head, u->csrf);
		buf_adds(&head, "\r\n");
	}
	if (route != NULL && route->auth == AUTH_HMAC) {
		/* SPEC §4: the body; "METHOD PATH\n" first on a route about one resource. */
		struct buf msg;

		buf_init(&msg, REQUEST_MAX);
		if (id != 0 || keyed) {
			buf_adds(&msg, method);
			buf_add(&msg, " ", 1);
			buf_add(&msg, path.data, plen);
			buf_add(&msg, "\n", 1);
		}
		buf_add(&msg, rest, (size_t)(end - rest));
		crypto_hmac(mac, fz.key, msg.data != NULL ? msg.data : "", msg.len);
		crypto_hex(sig, mac, sizeof(mac));
		buf_cleanup(&msg);
		signed_ = !given(names.data, "x-guichet-site") &&
		          !given(names.data, "x-guichet-rang") &&
		          !given(names.data, "x-guichet-signature");
		if (!given(names.data, "x-guichet-site")) {
			buf_adds(&head, "X-Guichet-Site: ");
			buf_adds(&head, fz.site);
			buf_adds(&head, "\r\n");
		}
		if (!given(names.data, "x-guichet-rang")) {
			buf_adds(&head, "X-Guichet-Rang: ");
			buf_adds(&head, fz.rang);
			buf_adds(&head, "\r\n");
		}
		if (!given(names.data, "x-guichet-signature")) {
			buf_adds(&head, "X-Guichet-Signature: ");
			buf_adds(&head, sig);
			buf_adds(&head, "\r\n");
		}
	}
	{
		struct buf req;
		char line[64];

		buf_init(&req, 2 * REQUEST_MAX);
		buf_adds(&req, method);
		buf_add(&req, " ", 1);
		buf_add(&req, path.data, path.len);
		snprintf(line, sizeof(line),
		         " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
		buf_adds(&req, line);
		snprintf(line, sizeof(line), "Content-Length: %zu\r\n", (size_t)(end - rest));
		buf_adds(&req, line);
		if (head.data != NULL)
			buf_add(&req, head.data, head.len);
		buf_adds(&req, "\r\n");
		FUZZ_CHECK(!req.failed, "the request is too long");
		http_exchange(req.data, rest, (size_t)(end - rest), &a);
		check_answer(&a, req.data, route, signed_);
		buf_cleanup(&req);
	}
	/* A session an input ended (a lock, say): signed in again for the next inputs. */
	if (u != NULL && a.status == 401 && !given(names.data, "cookie")) {
		fz.sign_ins++;
		sign_in((enum profile)(u - fz.users));
	}
	fz.sent[a.status / 100 % 6]++;
	answer_free(&a);
	rc = 0;
out:
	fz.discarded += rc != 0;
	buf_cleanup(&path);
	buf_cleanup(&head);
	buf_cleanup(&names);
	return rc;
}
