/*
 * server.c - event loops, routing, merchant API authentication and the hand-off of jobs.
 *
 * Each loop thread owns an h2o context and its own listening socket on the shared port
 * (SO_REUSEPORT: the kernel spreads connections). A handler either answers at once or hands a
 * job to the writer or a reader; the job comes back through the loop's multithread queue and
 * is answered there, unless the client went away first (the request pool's dispose callback
 * cuts the link, so nothing is written to freed memory).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <systemd/sd-daemon.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/text.h"
#include "crypto/crypto.h"
#include "domain/api_error.h"
#include "http/metrics.h"
#include "http/server.h"
#include "http/static.h"

struct loop {
	pthread_t thread;
	int index;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept_ctx;
	h2o_socket_t *listener;
	int fd;
	h2o_multithread_queue_t *queue;
	h2o_multithread_receiver_t jobs_rx;
	h2o_multithread_receiver_t stop_rx;
	atomic_bool stop;
	atomic_bool ready; /* its h2o objects exist */
	SSL_CTX *ssl_ctx;
	size_t inflight; /* jobs handed off; loop thread only */
	uint64_t seq;    /* request ids */
	struct app *app;
	struct http_metrics_loop *metrics; /* its requests by route and status */
};

/* A request's row of the metrics, counted when h2o disposes of the request (its answer sent,
 * or its client gone): allocated in the request pool, whose dispose callback it is. */
struct req_count {
	struct http_metrics_loop *metrics;
	h2o_req_t *req;
	size_t row;
	int64_t start_us; /* clock_mono_us at the handling */
};

/* Links a request and its job while both live; allocated in the request pool. */
struct http_link {
	struct http_job *job;
	struct req *r;
};

static h2o_globalconf_t globalconf;

/* The loops outlive server_run: a context may still hold connections when the shutdown grace
 * ends (h2o_context_dispose asserts they are gone), and the process is ending anyway. Kept
 * here, they stay reachable rather than leaked. */
static struct loop *loops_kept;

/* The web UI's files, read at start; read-only while the loops run. */
static struct static_files *www;

h2o_iovec_t
http_body(struct req *r)
{
	return r->h2o->entity.base ? r->h2o->entity : h2o_iovec_init("", 0);
}

const h2o_iovec_t *
http_header(struct req *r, const char *lower_name)
{
	ssize_t i = h2o_find_header_by_str(&r->h2o->headers, lower_name, strlen(lower_name), -1);

	return i < 0 ? NULL : &r->h2o->headers.entries[i].value;
}

h2o_iovec_t
http_method_path_body(struct req *r)
{
	h2o_req_t *req = r->h2o;
	h2o_iovec_t body = http_body(r);
	size_t len = req->method.len + 1 + req->path_normalized.len + 1 + body.len;
	char *msg = h2o_mem_alloc_pool(&req->pool, len);
	char *p = msg;

	memcpy(p, req->method.base, req->method.len);
	p += req->method.len;
	*p++ = ' ';
	memcpy(p, req->path_normalized.base, req->path_normalized.len);
	p += req->path_normalized.len;
	*p++ = '\n';
	memcpy(p, body.base, body.len);
	return h2o_iovec_init(msg, len);
}

size_t
http_client_key(struct req *r, unsigned char key[16])
{
	struct sockaddr_storage ss;
	const struct in6_addr *a6;
	socklen_t len;

	len = r->h2o->conn->callbacks->get_peername(r->h2o->conn, (struct sockaddr *)&ss);
	if (len == 0)
		return 0;
	if (ss.ss_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)&ss)->sin_addr, 4);
		return 4;
	}
	if (ss.ss_family != AF_INET6)
		return 0;
	a6 = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		memcpy(key, a6->s6_addr + 12, 4);
		return 4;
	}
	memcpy(key, a6->s6_addr, 8); /* its /64 */
	return 8;
}

/* --- hand-off ------------------------------------------------------------------------- */

static void
link_dispose(void *p)
{
	struct http_link *link = p;

	if (link->job != NULL) {
		link->job->link = NULL; /* the client is gone: answer nobody */
		atomic_store(&link->job->gone, true);
	}
}

/* work.h's gone, on a reader or a hasher: the request ended, or the client closed the
 * connection. h2o 2.2 reads nothing from an HTTP/1 connection while its request is handled,
 * so it learns of a close only when it answers: a look at the socket tells it sooner. A
 * closed connection reads as end of stream (0) or an error; a live one as nothing yet
 * (EAGAIN) or bytes (a pipelined request, a TLS record), which stay for h2o (MSG_PEEK). The
 * loop may close the socket meanwhile, and its number be reused: only after the request
 * ended, when the job is gone whatever the look says. */
static bool
job_gone(struct work_job *w)
{
	struct http_job *job = (struct http_job *)w;
	char byte;
	ssize_t n;

	if (atomic_load(&job->gone))
		return true;
	if (job->fd < 0)
		return false;
	n = recv(job->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void
deliver_to_loop(struct work_job *w)
{
	struct http_job *job = (struct http_job *)w;

	if (job->then_write != NULL && w->rc == ST_OK) {
		w->run = job->then_write;
		job->then_write = NULL;
		if (work_submit_write(job->loop->app->work, w) == ST_OK)
			return;
		w->rc = ST_BUSY;
	}
	h2o_multithread_send_message(&job->loop->jobs_rx, &job->msg);
}

int
http_submit(struct req *r, struct http_job *job, bool write)
{
	struct http_link *link;
	int rc;

	h2o_socket_t *sock = r->h2o->conn->callbacks->get_socket != NULL
	                             ? r->h2o->conn->callbacks->get_socket(r->h2o->conn)
	                             : NULL;

	link = h2o_mem_alloc_shared(&r->h2o->pool, sizeof(*link), link_dispose);
	link->job = job;
	link->r = r;
	job->link = link;
	job->loop = r->loop;
	job->work.deliver = deliver_to_loop;
	job->work.gone = job_gone;
	job->fd = sock != NULL ? h2o_socket_get_fd(sock) : -1;
	atomic_init(&job->gone, false);
	rc = write       ? work_submit_write(r->app->work, &job->work)
	     : job->hash ? work_submit_hash(r->app->work, &job->work)
	                 : work_submit_read(r->app->work, &job->work);
	if (rc != ST_OK) {
		link->job = NULL;
		job->link = NULL;
		return rc;
	}
	r->loop->inflight++;
	return ST_OK;
}

int
http_submit_or_reply(struct req *r, struct http_job *job, bool write)
{
	int rc = http_submit(r, job, write);

	if (rc != ST_OK) {
		job->free(job);
		http_reply_error(r, rc, NULL, NULL);
	}
	return 0;
}

static void
on_jobs(h2o_multithread_receiver_t *rx, h2o_linklist_t *messages)
{
	struct loop *loop = H2O_STRUCT_FROM_MEMBER(struct loop, jobs_rx, rx);

	while (!h2o_linklist_is_empty(messages)) {
		h2o_multithread_message_t *m =
		        H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
		struct http_job *job = H2O_STRUCT_FROM_MEMBER(struct http_job, msg, m);

		h2o_linklist_unlink(&m->link);
		loop->inflight--;
		if (job->link != NULL) {
			struct req *r = job->link->r;

			job->link->job = NULL;
			job->link = NULL;
			job->respond(job, r);
		}
		job->free(job);
	}
}

static void
on_stop(h2o_multithread_receiver_t *rx, h2o_linklist_t *messages)
{
	(void)rx;
	(void)messages; /* a wake-up only: the flag says it */
}

/* --- routing and authentication --------------------------------------------------------- */

/* Matches path against a pattern; {id} takes a decimal id of 1 to 18 digits, {key} a name of
 * 1 to HTTP_PATH_KEY_MAX letters, digits, '_' and '-' (a card alias); {nid}, after {id}, a
 * second id (a transaction's notification) into *id2. */
static bool
route_match(const char *pattern, const char *path, size_t len, int64_t *id, int64_t *id2, char *key)
{
	size_t i = 0;

	*id = 0;
	*id2 = 0;
	key[0] = '\0';
	while (*pattern != '\0') {
		if (strncmp(pattern, "{key}", 5) == 0) {
			size_t n = 0;

			while (i + n < len && n <= HTTP_PATH_KEY_MAX &&
			       (isalnum((unsigned char)path[i + n]) || path[i + n] == '_' ||
			        path[i + n] == '-'))
				n++;
			if (n == 0 || n > HTTP_PATH_KEY_MAX)
				return false;
			memcpy(key, path + i, n);
			key[n] = '\0';
			i += n;
			pattern += 5;
			continue;
		}
		if (strncmp(pattern, "{id}", 4) == 0 || strncmp(pattern, "{nid}", 5) == 0) {
			bool second = pattern[1] == 'n';
			int64_t v = 0;
			size_t digits = 0;

			while (i < len && path[i] >= '0' && path[i] <= '9' && digits < 18) {
				v = v * 10 + (path[i] - '0');
				i++;
				digits++;
			}
			if (digits == 0 || v == 0 || (i < len && path[i] >= '0' && path[i] <= '9'))
				return false;
			*(second ? id2 : id) = v;
			pattern += second ? 5 : 4;
			continue;
		}
		if (i >= len || path[i] != *pattern)
			return false;
		i++;
		pattern++;
	}
	return i == len;
}

static bool
method_is(const h2o_iovec_t *m, const char *name)
{
	return h2o_memis(m->base, m->len, name, strlen(name));
}

static void
job_free_plain(struct work_job *w)
{
	free(w);
}

void
http_api_error_note(struct req *r, int status, json_t *answer)
{
	const char *code, *field = "";
	char method[8], path[128];

	if (status < 400 || r->route == NULL || r->route->auth != AUTH_HMAC || r->shop == NULL)
		return;
	code = json_string_value(json_object_get(answer, "error"));
	if (code == NULL)
		return;
	/* The member named, when it is a name (a client's made-up one could hold a card). */
	if (strcmp(code, "invalid_field") == 0) {
		field = json_string_value(json_object_get(answer, "field"));
		if (!api_error_field_keep(field))
			field = "?";
	}
	/* Shown to the merchant later, as JSON: safe text whatever bytes the request had. */
	text_copy_safe(method, sizeof(method), r->h2o->method.base, r->h2o->method.len);
	text_copy_safe(path, sizeof(path), r->h2o->path_normalized.base,
	               r->h2o->path_normalized.len);
	errlog_add(r->app->errlog, r->shop->shop.brand_id, r->shop->shop.id, clock_now_us(), method,
	           path, status, code, field);
}

/* What the loop tells the store about sessions without waiting for it: a session seen (at
 * most once a minute) or ended by its idle or absolute limit. */
struct session_job {
	struct work_job work;
	int64_t brand_id, session_id, user_id, at;
	bool ended;
	char login[65], name[81], email[255];
};

static int
session_job_run(struct work_job *w, struct store *st)
{
	struct session_job *j = (struct session_job *)w;
	struct action a = {0};
	int rc;

	if (!j->ended)
		return st->ops->session_touch(st, j->brand_id, j->session_id, j->at);
	rc = st->ops->session_delete(st, j->brand_id, j->session_id);
	a.brand_id = j->brand_id;
	a.at = j->at;
	a.user_id = j->user_id;
	a.user_login = j->login;
	a.user_name = j->name;
	a.user_email = j->email;
	a.action = "session_expired";
	if (rc == ST_OK)
		rc = st->ops->action_add(st, &a);
	return rc;
}

static void
session_job_tell(struct req *r, const struct session *s, int64_t now, bool ended)
{
	struct session_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->work.run = session_job_run;
	j->work.deliver = job_free_plain;
	j->brand_id = s->brand_id;
	j->session_id = s->id;
	j->user_id = s->user_id;
	j->at = now;
	j->ended = ended;
	snprintf(j->login, sizeof(j->login), "%s", s->login);
	snprintf(j->name, sizeof(j->name), "%s", s->name);
	snprintf(j->email, sizeof(j->email), "%s", s->email);
	if (work_submit_write(r->app->work, &j->work) != ST_OK)
		free(j);
}

/* The value of cookie name in the Cookie headers, or an empty vector. */
static h2o_iovec_t
cookie_value(struct req *r, const char *name)
{
	size_t nlen = strlen(name);
	ssize_t i = -1;

	while ((i = h2o_find_header(&r->h2o->headers, H2O_TOKEN_COOKIE, i)) != -1) {
		h2o_iovec_t v = r->h2o->headers.entries[i].value;
		size_t p = 0;

		while (p < v.len) {
			size_t end = p;

			while (end < v.len && v.base[end] != ';')
				end++;
			while (p < end && v.base[p] == ' ')
				p++;
			if (end - p > nlen && memcmp(v.base + p, name, nlen) == 0 &&
			    v.base[p + nlen] == '=')
				return h2o_iovec_init(v.base + p + nlen + 1, end - p - nlen - 1);
			p = end + 1;
		}
	}
	return h2o_iovec_init(NULL, 0);
}

/* SPEC §3, §16: the session of a token hash, its idle and absolute limits, the authorization
 * table, the CSRF token on every change, and the sign-in steps still to do. 0: answered; -1:
 * go on. */
static int
session_check(struct req *r, const unsigned char hash[CRYPTO_HASH_LEN])
{
	const h2o_iovec_t *csrf;
	unsigned char token[HTTP_TOKEN_LEN], csrf_hash[CRYPTO_HASH_LEN];
	bool persist, ended;
	int64_t now = clock_now_us();
	int rc;

	rc = session_cache_use(r->app->sessions, hash, now, r->app->idle_us, LIMIT_SESSION_MAX_US,
	                       &r->session, &persist, &ended);
	if (ended) {
		log_info("event=session_expired req=%s user=%lld", r->id,
		         (long long)r->session.user_id);
		session_job_tell(r, &r->session, now, true);
		http_reply_error(r, ST_AUTH, "session_expired", NULL);
		return 0;
	}
	if (rc != ST_OK) {
		http_reply_error(r, ST_AUTH, "not_signed_in", NULL);
		return 0;
	}
	if (persist)
		session_job_tell(r, &r->session, now, false);
	/* SPEC §3: until the second factor is given the session is not yet its user's: it may
	 * give the code, ask for another, see its state or end; whatever else it calls, profile
	 * or not, the refusal names the step. */
	if (r->session.next == NEXT_SECOND_FACTOR && (r->route->flags & ROUTE_SECOND_FACTOR) == 0) {
		http_reply_error(r, ST_FORBIDDEN, next_step_name(r->session.next), NULL);
		return 0;
	}
	/* SPEC §3: a disconnected session (never one waiting for its code) is kept for its
	 * resume, and for nothing else; the resume is for a disconnected session only. */
	if (r->session.disconnected && (r->route->flags & ROUTE_RESUME) == 0) {
		http_reply_error(r, ST_AUTH, "session_disconnected", NULL);
		return 0;
	}
	if (!r->session.disconnected && (r->route->flags & ROUTE_RESUME) != 0) {
		http_reply_error(r, ST_CONFLICT, "not_disconnected", NULL);
		return 0;
	}
	if ((r->route->profiles & P(r->session.profile)) == 0) {
		http_reply_error(r, ST_FORBIDDEN, NULL, NULL);
		return 0;
	}
	if (!h2o_memis(r->h2o->method.base, r->h2o->method.len, H2O_STRLIT("GET")) &&
	    (r->route->flags & ROUTE_RESUME) == 0) {
		csrf = http_header(r, "x-csrf-token");
		if (csrf == NULL || csrf->len != 2 * HTTP_TOKEN_LEN ||
		    crypto_unhex(token, sizeof(token), csrf->base, csrf->len) != ST_OK) {
			http_reply_error(r, ST_FORBIDDEN, "csrf", NULL);
			return 0;
		}
		crypto_digest(csrf_hash, token, sizeof(token));
		crypto_wipe(token, sizeof(token));
		if (!crypto_equal(csrf_hash, r->session.csrf_hash, sizeof(csrf_hash))) {
			http_reply_error(r, ST_FORBIDDEN, "csrf", NULL);
			return 0;
		}
	}
	if (r->session.next != NEXT_NONE && (r->route->flags & ROUTE_BEFORE_NEXT) == 0 &&
	    !(r->session.next == NEXT_SET_UP_SECOND_FACTOR && (r->route->flags & ROUTE_SET_UP))) {
		http_reply_error(r, ST_FORBIDDEN, next_step_name(r->session.next), NULL);
		return 0;
	}
	session_enter_env(&r->session);
	return -1;
}

static int dispatch(struct req *r);

/* On a shared database, the session as the store has it now, read on a reader, then the
 * request goes on where on_req left it. */
struct session_read {
	struct http_job base; /* first */
	unsigned char hash[CRYPTO_HASH_LEN];
	bool found;
	struct session s;
};

static int
session_read_run(struct work_job *w, struct store *st)
{
	struct session_read *j = (struct session_read *)w;
	struct session_row row;
	int rc = st->ops->session_by_token(st, j->hash, &row);

	if (rc == ST_NOTFOUND)
		return ST_OK; /* signed out, ended or taken over: not found */
	if (rc == ST_OK)
		rc = session_load(st, &row, &j->s, &j->found);
	crypto_wipe(&row, sizeof(row));
	return rc;
}

static void
session_read_respond(struct http_job *hj, struct req *r)
{
	struct session_read *j = (struct session_read *)hj;

	if (hj->work.rc != ST_OK) {
		http_reply_error(r, hj->work.rc, NULL, NULL);
		return;
	}
	session_cache_sync(r->app->sessions, j->hash, j->found ? &j->s : NULL);
	if (session_check(r, j->hash) != 0)
		(void)dispatch(r);
}

static void
session_read_free(struct http_job *hj)
{
	crypto_wipe(hj, sizeof(struct session_read));
	free(hj);
}

/* The session cookie (SPEC §3, §16), then session_check: at once from this server's table,
 * or once the store was read (app.shared). 0: answered, or to be; -1: go on. */
static int
authenticate_session(struct req *r)
{
	h2o_iovec_t cookie = cookie_value(r, HTTP_SESSION_COOKIE);
	unsigned char token[HTTP_TOKEN_LEN], hash[CRYPTO_HASH_LEN];
	struct session_read *j;

	if (cookie.len != 2 * HTTP_TOKEN_LEN ||
	    crypto_unhex(token, sizeof(token), cookie.base, cookie.len) != ST_OK) {
		http_reply_error(r, ST_AUTH, "not_signed_in", NULL);
		return 0;
	}
	crypto_digest(hash, token, sizeof(token));
	crypto_wipe(token, sizeof(token));
	if (!r->app->shared)
		return session_check(r, hash);
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		abort();
	j->base.work.run = session_read_run;
	j->base.respond = session_read_respond;
	j->base.free = session_read_free;
	memcpy(j->hash, hash, sizeof(hash));
	return http_submit_or_reply(r, &j->base, false);
}

/* Refuses a merchant API request: the answer (which the shop's error log counts, when r->shop
 * is known: http_api_error_note) and the access log. */
static int
api_refuse(struct req *r, int rc, const char *code)
{
	log_info("event=api_refused req=%s code=%s", r->id, code);
	r->shop_key = NULL; /* an unauthenticated answer is not signed */
	http_reply_error(r, rc, code, NULL);
	return 0;
}

/* A request's signature and the message it signs, checked against a shop's key. */
struct signed_msg {
	const h2o_iovec_t *sig;
	h2o_iovec_t msg;
};

static bool
signature_ok(void *arg, const unsigned char *key)
{
	const struct signed_msg *c = arg;

	return crypto_hmac_verify_hex(c->sig->base, c->sig->len, key, c->msg.base, c->msg.len) ==
	       ST_OK;
}

/* SPEC §4: HMAC-SHA512 with the shop's key over the raw body; requests on one payment sign
 * "METHOD PATH\n" + body so a signed capture cannot be replayed on another payment. SITE and
 * RANG name a shop in each environment: the key that verifies picks which (SPEC §16.1). */
static int
authenticate_hmac(struct req *r)
{
	const h2o_iovec_t *site = http_header(r, "x-guichet-site");
	const h2o_iovec_t *rang = http_header(r, "x-guichet-rang");
	const h2o_iovec_t *sig = http_header(r, "x-guichet-signature");
	const unsigned char *key;
	const struct shop_auth *known;
	h2o_iovec_t body = http_body(r);
	struct signed_msg c;

	if (site == NULL || rang == NULL || sig == NULL) {
		/* A known shop's unsigned request goes to its error log (SPEC §4). */
		if (site != NULL && rang != NULL) {
			r->shop = shop_cache_find(r->app->shops, site->base, site->len, rang->base,
			                          rang->len, &key);
			if (key == NULL)
				r->shop = NULL;
		}
		return api_refuse(r, ST_AUTH, "missing_signature");
	}
	c.sig = sig;
	c.msg = r->path_id == 0 && r->path_key[0] == '\0' ? body : http_method_path_body(r);
	r->shop = shop_cache_verify(r->app->shops, site->base, site->len, rang->base, rang->len,
	                            signature_ok, &c, &key, &known);
	if (r->shop == NULL && known == NULL)
		return api_refuse(r, ST_AUTH, "unknown_shop");
	if (r->shop == NULL) {
		r->shop = known; /* its error log counts the refusal */
		return api_refuse(r, ST_AUTH, "bad_signature");
	}
	r->shop_key = key;
	/* SPEC §11: a newly activated key's first request makes it "used". */
	if (r->app->shop_key_verified != NULL)
		r->app->shop_key_verified(r);
	return -1; /* authenticated: go on */
}

/* The next request id of a loop: its index, then a counter (17 bytes with the NUL). */
static void
request_id(struct loop *loop, char id[17])
{
	snprintf(id, 17, "%02x%014llx", loop->index & 0xff,
	         (unsigned long long)++loop->seq & 0xffffffffffffffULL);
}

/* A route that takes no parameters (body_max 0) accepts an empty body and {} alike, so that a
 * client library that always sends a JSON object works; anything else is refused with what is
 * wrong (README "Requests"): 400 bad_json, or invalid_field naming a member. Returns true when
 * the request may go on, false after answering. */
static bool
body_none(struct req *r)
{
	h2o_iovec_t body = http_body(r);
	json_error_t err;
	json_t *o;
	bool ok;

	if (body.len == 0)
		return true;
	o = json_loadb(body.base, body.len, JSON_REJECT_DUPLICATES, &err);
	ok = json_is_object(o) && json_object_size(o) == 0;
	if (!json_is_object(o))
		http_reply_error(r, ST_INVALID, "bad_json",
		                 "This request takes no body: send none, or {}.");
	else if (!ok)
		http_reply_json(r, 400,
		                json_pack("{s:s, s:s, s:s}", "error", "invalid_field", "field",
		                          json_object_iter_key(json_object_iter(o)), "message",
		                          "This request takes no parameters."));
	json_decref(o);
	return ok;
}

/* On the loop, as h2o ends the request: the status it was answered with is final. */
static void
req_count_dispose(void *p)
{
	struct req_count *c = p;

	http_metrics_observe(c->metrics, c->row, c->req->res.status, clock_mono_us() - c->start_us);
}

/* An authenticated request to its route's handler (a route without a body refuses one). */
static int
dispatch(struct req *r)
{
	if (r->route->body_max == 0 && !body_none(r))
		return 0;
	return r->route->handler(r);
}

static int
on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct loop *loop = H2O_STRUCT_FROM_MEMBER(struct loop, ctx, req->conn->ctx);
	struct req *r;
	struct req_count *count;
	const struct route *route = NULL;
	bool path_known = false;
	int operator_ok = -1; /* whether r may reach the AUTH_OPERATOR routes; -1: not asked yet */
	int64_t id = 0, id2 = 0;

	(void)self;
	r = h2o_mem_alloc_pool(&req->pool, sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->h2o = req;
	r->loop = loop;
	r->app = loop->app;
	request_id(loop, r->id);
	count = h2o_mem_alloc_shared(&req->pool, sizeof(*count), req_count_dispose);
	count->metrics = loop->metrics;
	count->req = req;
	count->row = routes_n + HTTP_ROW_UNMATCHED;
	count->start_us = clock_mono_us();

	for (size_t i = 0; i < routes_n; i++) {
		if (!route_match(routes[i].pattern, req->path_normalized.base,
		                 req->path_normalized.len, &id, &id2, r->path_key))
			continue;
		/* Refused, the route is not there: no 401 or 405 tells it exists (http/metrics.h). */
		if (routes[i].auth == AUTH_OPERATOR) {
			if (operator_ok < 0)
				operator_ok = http_operator_allowed(r);
			if (!operator_ok)
				continue;
		}
		path_known = true;
		if (method_is(&req->method, routes[i].method)) {
			route = &routes[i];
			break;
		}
	}
	if (route == NULL) {
		/* "/" is the web UI's for GET and HEAD, Paybox System's for POST (api/routes.c). */
		bool root = req->path_normalized.len == 1;

		if (root && !method_is(&req->method, "GET") && !method_is(&req->method, "HEAD")) {
			h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("allow"), 0,
			                      NULL, H2O_STRLIT("GET, HEAD, POST"));
			http_reply_error(r, ST_METHOD, NULL, NULL);
			return 0;
		}
		if ((!path_known || root) && static_files_serve(www, r) == 0) {
			count->row = routes_n + HTTP_ROW_WEB;
			return 0; /* the web UI's files */
		}
		http_reply_error(r, path_known ? ST_METHOD : ST_NOTFOUND, NULL,
		                 path_known ? NULL : "No such route.");
		return 0;
	}
	r->route = route;
	count->row = (size_t)(route - routes);
	r->path_id = id;
	r->path_id2 = id2;
	if (req->entity.len > (route->body_max > 0 ? route->body_max : LIMIT_BODY_NONE)) {
		http_reply_error(r, ST_TOOBIG, NULL, NULL);
		return 0;
	}
	if (route->auth == AUTH_HMAC && authenticate_hmac(r) == 0)
		return 0;
	if (route->auth == AUTH_SESSION && authenticate_session(r) == 0)
		return 0;
	return dispatch(r);
}

/* --- sockets, TLS, loops ----------------------------------------------------------------- */

static int
parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len, bool *loopback)
{
	char host[256], port[8];
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints = {0}, *res = NULL;
	size_t hlen;

	if (colon == NULL || colon == listen || strlen(colon + 1) == 0 || strlen(colon + 1) >= 6)
		return ST_INVALID;
	hlen = (size_t)(colon - listen);
	if (listen[0] == '[' && hlen >= 2 && listen[hlen - 1] == ']') {
		listen++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return ST_INVALID;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
		return ST_INVALID;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	if (res->ai_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)res->ai_addr;

		*loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)res->ai_addr;

		*loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	freeaddrinfo(res);
	return ST_OK;
}

static int
listen_socket(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd, on = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0 ||
	    bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 1024) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static SSL_CTX *
tls_context(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	/* TLS 1.2 and 1.3 only; under 1.2, forward-secret AEAD suites only (no CBC, no RSA key
	 * exchange: PCI DSS 4.2.1 "strong cryptography"); no renegotiation, no compression. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_error("event=tls_setup_failed error=\"%s\"",
		          ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
	return ctx;
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	struct loop *loop = listener->data;
	h2o_socket_t *sock;

	if (err != NULL)
		return;
	if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
		return;
	h2o_accept(&loop->accept_ctx, sock);
}

/* --- h2o's own answers ----------------------------------------------------------------- */

/* h2o answers a few bad requests itself, before any handler (lib/http1.c): a body over
 * LIMIT_BODY_GLOBAL (413), a broken Content-Length, chunked body or Transfer-Encoding (400),
 * an unknown Expect (417). It binds them to the host's fallback path, which nothing else
 * reaches ("/" takes every path), so this filter there gives them the JSON form of every
 * other error, h2o's text as the message. A request line or headers h2o cannot parse still get
 * its fixed plain-text 400: h2o writes those bytes straight to the socket. */
static void
early_error_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t n,
                 h2o_send_state_t state)
{
	char text[128];
	size_t len = 0;
	json_t *v;
	char *json;
	h2o_iovec_t out = {NULL, 0};

	/* One call with h2o's whole text (h2o_send_inline), or none for HEAD. */
	for (size_t i = 0; i < n && len < sizeof(text) - 1; i++) {
		size_t take = sizeof(text) - 1 - len;

		if (bufs[i].len < take)
			take = bufs[i].len;
		memcpy(text + len, bufs[i].base, take);
		len += take;
	}
	text[len] = '\0';
	if (n > 0) {
		v = json_pack("{s:s, s:s}", "error",
		              http_code_of(req->res.status == 413 ? ST_TOOBIG : ST_INVALID),
		              "message", text);
		json = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;
		json_decref(v);
		if (json == NULL)
			abort();
		out = h2o_strdup(&req->pool, json, strlen(json));
		free(json);
		/* Before the next stream sends the headers: they carry the length. */
		req->res.content_length = out.len;
	}
	h2o_ostream_send_next(self, req, &out, n > 0 ? 1 : 0, state);
}

static void
early_error_setup(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
	struct loop *loop = H2O_STRUCT_FROM_MEMBER(struct loop, ctx, req->conn->ctx);
	ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
	h2o_ostream_t *o;
	char *id;

	(void)self;
	http_metrics_observe(loop->metrics, routes_n + HTTP_ROW_H2O, req->res.status, -1);
	if (req->res.status >= 400) {
		if (i >= 0)
			req->res.headers.entries[i].value =
			        h2o_iovec_init(H2O_STRLIT("application/json; charset=utf-8"));
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
		               H2O_STRLIT("no-store"));
		id = h2o_mem_alloc_pool(&req->pool, 17);
		request_id(loop, id);
		h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0,
		                      NULL, id, 16);
		o = h2o_add_ostream(req, sizeof(*o), slot);
		o->do_send = early_error_send;
		slot = &o->next;
	}
	h2o_setup_next_ostream(req, slot);
}

/* --- stop ------------------------------------------------------------------------------ */

/* SPEC §16, for each HTTP/1 connection while a loop stops (data: a bool, true once the
 * connections still silent may be closed). h2o 2.2 has no stop hook for HTTP/1: it only
 * refuses keep-alive to requests whose headers come after the stop (lib/http1.c,
 * fixup_request). So: a connection receiving or running a request closes after its answer
 * (bytes still in the kernel count: a request is arriving); a kept-alive one waiting for its
 * next request is closed now, shut down under h2o, which reads the end of the stream and
 * closes it itself; a new one that has sent nothing yet is left LIMIT_SHUTDOWN_SILENT_MS to
 * begin its request, which its client sent before seeing the stop. */
static int
stop_http1_conn(h2o_req_t *req, void *data)
{
	const bool *close_silent = data;
	h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
	int fd, pending = 0;

	if (sock == NULL)
		return 0;
	fd = h2o_socket_get_fd(sock);
	if (sock->input->size > 0 || (ioctl(fd, FIONREAD, &pending) == 0 && pending > 0)) {
		req->http1_is_persistent = 0;
		return 0;
	}
	if (sock->bytes_read > 0 || *close_silent)
		shutdown(fd, SHUT_RDWR);
	return 0;
}

static size_t
conns_count(const h2o_linklist_t *anchor)
{
	size_t n = 0;

	for (const h2o_linklist_t *l = anchor->next; l != anchor; l = l->next)
		n++;
	return n;
}

/* Stops a loop: no new connection, HTTP/2 told to go away (h2o closes those idle after its
 * second GOAWAY, a second later), HTTP/1 as stop_http1_conn says; then runs until no
 * connection and no job is left, or LIMIT_SHUTDOWN_GRACE_S has passed. Only then may the
 * caller stop the writer: a request still arriving is recorded and answered. (The loop's
 * clock is h2o's, read at each turn: a grace, not a time of day.) */
static void
loop_stop(struct loop *loop)
{
	h2o_context_t *ctx = &loop->ctx;
	uint64_t start, deadline;
	bool close_silent = false;
	size_t n1, n2;

	h2o_socket_read_stop(loop->listener);
	h2o_socket_close(loop->listener); /* new connections are refused from now on */
	loop->listener = NULL;
	h2o_context_request_shutdown(ctx);
	start = h2o_now(ctx->loop);
	deadline = start + LIMIT_SHUTDOWN_GRACE_S * 1000;
	for (;;) {
		close_silent = h2o_now(ctx->loop) >= start + LIMIT_SHUTDOWN_SILENT_MS;
		globalconf.http1.callbacks.foreach_request(ctx, stop_http1_conn, &close_silent);
		n1 = conns_count(&ctx->http1._conns);
		n2 = conns_count(&ctx->http2._conns);
		if ((n1 == 0 && n2 == 0 && loop->inflight == 0) || h2o_now(ctx->loop) >= deadline)
			break;
		h2o_evloop_run(ctx->loop, 100);
	}
	if (n1 + n2 + loop->inflight > 0)
		log_info("event=stop_grace_ended loop=%d http1=%zu http2=%zu jobs=%zu", loop->index,
		         n1, n2, loop->inflight);
}

static void *
loop_main(void *arg)
{
	struct loop *loop = arg;

	/* Everything h2o of this loop is made on its own thread: h2o 2.2 recycles a socket's
	 * buffers through the free list of the thread that created it, which is not shared
	 * safely (two loops made on the main thread corrupted each other's heap under load). */
	h2o_context_init(&loop->ctx, h2o_evloop_create(), &globalconf);
	loop->accept_ctx.ctx = &loop->ctx;
	loop->accept_ctx.hosts = globalconf.hosts;
	loop->accept_ctx.ssl_ctx = loop->ssl_ctx;
	loop->queue = h2o_multithread_create_queue(loop->ctx.loop);
	h2o_multithread_register_receiver(loop->queue, &loop->jobs_rx, on_jobs);
	h2o_multithread_register_receiver(loop->queue, &loop->stop_rx, on_stop);
	loop->listener =
	        h2o_evloop_socket_create(loop->ctx.loop, loop->fd, H2O_SOCKET_FLAG_DONT_READ);
	loop->listener->data = loop;
	h2o_socket_read_start(loop->listener, on_accept);
	atomic_store(&loop->ready, true);

	while (!atomic_load(&loop->stop))
		h2o_evloop_run(loop->ctx.loop, INT32_MAX);
	loop_stop(loop);
	return NULL;
}

int
server_run(struct app *app, const struct server_config *cfg)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	bool loopback = false;
	SSL_CTX *ssl_ctx = NULL;
	h2o_hostconf_t *hostconf;
	h2o_pathconf_t *pathconf;
	h2o_handler_t *handler;
	h2o_filter_t *filter;
	struct loop *loops;
	int n = cfg->nloops > 0 ? cfg->nloops : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int rc = ST_OK, sig;
	size_t www_n, www_bytes;
	sigset_t set;

	/* h2o reads a body whole before the route is known: no route may accept more. */
	for (size_t i = 0; i < routes_n; i++) {
		if (routes[i].body_max > LIMIT_BODY_GLOBAL) {
			log_error("event=route_body_over_global path=\"%s\"", routes[i].pattern);
			return ST_INTERNAL;
		}
	}
	if (n < 1)
		n = 1;
	if (n > LIMIT_LOOPS_MAX)
		n = LIMIT_LOOPS_MAX;
	if (parse_listen(cfg->listen, &ss, &sslen, &loopback) != ST_OK) {
		log_error("event=bad_listen_address listen=\"%s\"", cfg->listen);
		return ST_INVALID;
	}
	if (!loopback && (cfg->tls_cert == NULL || cfg->tls_key == NULL)) {
		log_error("event=tls_required listen=\"%s\" "
		          "hint=\"plain HTTP is allowed on loopback only; give --tls-cert and "
		          "--tls-key\"",
		          cfg->listen);
		return ST_INVALID;
	}
	if (cfg->tls_cert != NULL && (ssl_ctx = tls_context(cfg->tls_cert, cfg->tls_key)) == NULL)
		return ST_INTERNAL;

	h2o_config_init(&globalconf);
	globalconf.max_request_entity_size = LIMIT_BODY_GLOBAL;
	globalconf.server_name = h2o_iovec_init(H2O_STRLIT("guichetd"));
	hostconf =
	        h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	pathconf = h2o_config_register_path(hostconf, "/", 0);
	handler = h2o_create_handler(pathconf, sizeof(*handler));
	handler->on_req = on_req;
	filter = h2o_create_filter(&hostconf->fallback_path, sizeof(*filter));
	filter->on_setup_ostream = early_error_setup;
	static_files_register_headers(pathconf, ssl_ctx != NULL);
	if (static_files_load(cfg->www, &www) != ST_OK) {
		if (ssl_ctx != NULL)
			SSL_CTX_free(ssl_ctx);
		return ST_INTERNAL;
	}

	loops = calloc((size_t)n, sizeof(*loops));
	if (loops == NULL)
		abort();
	app->requests = http_metrics_new(n);
	for (int i = 0; i < n; i++) {
		struct loop *l = &loops[i];

		l->index = i;
		l->app = app;
		l->metrics = http_metrics_loop(app->requests, i);
		l->fd = listen_socket(&ss, sslen);
		if (l->fd < 0) {
			log_error("event=listen_failed listen=\"%s\" error=\"%s\"", cfg->listen,
			          strerror(errno));
			rc = ST_INTERNAL;
			n = i;
			goto out;
		}
		l->ssl_ctx = ssl_ctx;
	}
	for (int i = 0; i < n; i++) {
		pthread_create(&loops[i].thread, NULL, loop_main, &loops[i]);
		pthread_setname_np(loops[i].thread, "loop");
	}
	for (int i = 0; i < n; i++)
		while (!atomic_load(&loops[i].ready))
			usleep(1000);
	www_n = static_files_count(www, &www_bytes);
	log_info("event=listening listen=\"%s\" loops=%d tls=%s www_files=%zu www_bytes=%zu",
	         cfg->listen, n, ssl_ctx ? "on" : "off", www_n, www_bytes);
	/* Under systemd (dist/guichetd.service, Type=notify): ready now, the sockets bound and
	 * the loops, the writer and the jobs running; nothing without NOTIFY_SOCKET. */
	sd_notifyf(0, "READY=1\nSTATUS=listening on %s, %d loops", cfg->listen, n);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigwait(&set, &sig);
	log_info("event=stopping signal=%d", sig);
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: the requests and jobs under way finish");
	for (int i = 0; i < n; i++) {
		atomic_store(&loops[i].stop, true);
		h2o_multithread_send_message(&loops[i].stop_rx, NULL);
	}
	for (int i = 0; i < n; i++)
		pthread_join(loops[i].thread, NULL);
	loops_kept = loops;
	static_files_free(www);
	www = NULL;
	return ST_OK;
out:
	/* A listening socket failed: no loop thread has started. */
	for (int i = 0; i < n; i++)
		close(loops[i].fd);
	free(loops);
	if (ssl_ctx != NULL)
		SSL_CTX_free(ssl_ctx);
	static_files_free(www);
	www = NULL;
	return rc;
}
