/*
 * http.h - what the resource handlers of src/api see of the HTTP layer: the request context,
 * the route table entry, JSON replies through the one status table, and the hand-off of a
 * job to the writer or a reader with its answer coming back to the same event loop.
 *
 * Everything here runs on an event loop thread and never blocks: no storage, no Argon2.
 */
#ifndef GUICHET_HTTP_H
#define GUICHET_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <h2o.h>
#include <jansson.h>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/crypto.h"
#include "http/errlog.h"
#include "http/sessions.h"
#include "http/shops.h"
#include "http/throttle.h"
#include "work/work.h"

struct app;
struct http_metrics;
struct page_themes;
struct loop;
struct rsa_key;

/* Who must be authenticated for a route. */
enum route_auth {
	AUTH_NONE = 0,
	AUTH_HMAC,    /* a shop, by the HMAC signature (merchant API) */
	AUTH_SESSION, /* a back-office user, by the session cookie (+ CSRF token to change) */
	/* whoever runs the server: a loopback peer, or the bearer of GUICHET_METRICS_TOKEN
	 * (http/metrics.h); anyone else is answered as for a path that does not exist */
	AUTH_OPERATOR,
};

/* Profiles allowed on an AUTH_SESSION route: a bit per enum profile. */
#define P(p) (1u << (p))
#define P_ALL                                                                                      \
	(P(PROFILE_CONSULTATION) | P(PROFILE_ACTION) | P(PROFILE_ADMIN) | P(PROFILE_ENTRY) |       \
	 P(PROFILE_HMAC))

/* Route flags. */
#define ROUTE_BEFORE_NEXT 1u /* reachable while a sign-in step (password, terms) is pending */
/* reachable while the second factor is pending (SPEC §3): then the only ones */
#define ROUTE_SECOND_FACTOR 2u
/* reachable while setting a second factor up is pending (the account requires one): with the
 * ROUTE_BEFORE_NEXT ones, the only ones */
#define ROUTE_SET_UP 4u
/* the resume of a disconnected session (SPEC §3): the only route a disconnected session
 * reaches, and only a disconnected one; its resume key stands for the CSRF token, which the
 * device may have lost with the connection */
#define ROUTE_RESUME 8u

struct req;
typedef int (*route_handler)(struct req *r);

struct route {
	const char *method;
	const char *pattern; /* "/api/v1/payments/{id}/capture": {id} is a decimal id */
	route_handler handler;
	enum route_auth auth;
	size_t body_max;   /* bytes; larger bodies get 413 */
	unsigned profiles; /* AUTH_SESSION: who may call it (the authorization table) */
	unsigned flags;
	const char *summary; /* printed by `guichetd routes` */
};

/* The route table (src/api/routes.c): the one place that says what answers. The API
 * registers its handlers there; the HTTP layer only reads the table, so that dependencies
 * point one way, http <- api. */
extern const struct route routes[];
extern const size_t routes_n;

/* Whether the table lets profile p call method pattern (false for an unknown route): what a
 * view says a user may do comes from the same table as what they may call. */
bool routes_allow(const char *method, const char *pattern, enum profile p);

/* The longest {key} of a route's path (a card alias, SPEC §16.1). */
#define HTTP_PATH_KEY_MAX 64

/* One request being handled; lives in the request's memory pool. */
struct req {
	h2o_req_t *h2o;
	struct loop *loop;
	struct app *app;
	const struct route *route;
	int64_t path_id;                      /* the {id} of the pattern, 0 when none */
	int64_t path_id2;                     /* the {nid} of the pattern, 0 when none */
	char path_key[HTTP_PATH_KEY_MAX + 1]; /* the {key} of the pattern, "" when none */
	const struct shop_auth *shop;         /* AUTH_HMAC: the authenticated shop */
	const unsigned char *shop_key;        /* its HMAC key (64 bytes), lent by the cache */
	struct session session;               /* AUTH_SESSION: the signed-in user */
	void *handler_ctx; /* a handler\'s state for the request\'s life (pool memory) */
	char id[17];       /* request id, logged and returned */
};

/* The back office's session cookie and the size of its tokens (256-bit, SPEC §3). */
#define HTTP_SESSION_COOKIE "guichet_session"
#define HTTP_TOKEN_LEN      32

/* The request body (may be empty), and a header's value (NULL when absent). Lent. */
h2o_iovec_t http_body(struct req *r);
const h2o_iovec_t *http_header(struct req *r, const char *lower_name);

/* "METHOD PATH\n" followed by the body, in the request pool: what requests on one payment
 * sign, and what an Idempotency-Key is compared on. */
h2o_iovec_t http_method_path_body(struct req *r);

/* Sends body as the JSON answer with that HTTP status; signs it when the route is
 * AUTH_HMAC. body is copied. */
void http_reply_raw(struct req *r, int status, const char *body, size_t len);

/* Sends body (copied) as a file to download: 200, the content type, and
 * Content-Disposition: attachment; filename="filename". */
void http_reply_download(struct req *r, const char *content_type, const char *filename,
                         const char *body, size_t len);

/* Sends body (copied) with that HTTP status and content type, not for download: the Paybox
 * protocols' answers (an HTML probe page, Direct's Latin-1 text). */
void http_reply_text(struct req *r, int status, const char *content_type, const char *body,
                     size_t len);

/* Sends a JSON value (stolen: it is freed here). A merchant API refusal (http_api_error_note)
 * is counted in the shop's error log on its way. */
void http_reply_json(struct req *r, int status, json_t *v);

/* Counts answer, a merchant API refusal of status (400 or more) with its "error" code (and the
 * member an invalid_field names, when it is fit to keep: domain/api_error.h), in the error log
 * of r's shop (SPEC §14; Ingenico guide 3.2.10), without waiting: gathered in memory, written
 * once a second (errlog.h). Nothing for another route, a success, or a request whose shop is
 * unknown. answer is lent. */
void http_api_error_note(struct req *r, int status, json_t *answer);

/* Sends {"error": code, "message": message} with the HTTP status of rc (the one table in
 * reply.c). code NULL: the default code of rc; message NULL: the message of code. */
void http_reply_error(struct req *r, int rc, const char *code, const char *message);

/* http_reply_error with a delay to wait before trying again (1 or more seconds): the
 * Retry-After header (RFC 9110 §10.2.3) and "retry_after" in the body, for a 429 or a 503. */
void http_reply_retry(struct req *r, int rc, const char *code, const char *message, int retry_s);

/* The client's address as a rate-limit key into key (16 bytes): an IPv4 address whole (an
 * IPv4-mapped IPv6 one as IPv4), an IPv6 one by its /64 (what one client usually holds).
 * Returns its length, 0 when the address cannot be read. */
size_t http_client_key(struct req *r, unsigned char key[16]);

/* The HTTP status and default error code of a status (the one table). */
int http_status_of(int rc);
const char *http_code_of(int rc);

/* The message an error answer with code and HTTP status carries when its handler gave none:
 * the finer code's (an operation SPEC §6 refuses: the domain's sentence), else its row's (by
 * code, else by HTTP status). Static. */
const char *http_message_of(const char *code, int http_status);

/* A job handed off the loop. Embed it first in the handler's own job struct. */
struct http_job {
	struct work_job work;
	h2o_multithread_message_t msg;
	struct loop *loop;
	struct http_link *link;
	/* On the loop: answer r (still open) from the job's result. */
	void (*respond)(struct http_job *job, struct req *r);
	/* On the loop: free the job; always called, answered or not. */
	void (*free)(struct http_job *job);
	/* When set, a job handed to a reader goes on to the writer with this run once its first
	 * run returned ST_OK (e.g. Argon2 on a hasher, then the sign-in recorded). */
	int (*then_write)(struct work_job *job, struct store *st);
	/* Its first run hashes a password or a passphrase (Argon2id): it goes to the hashers,
	 * not to the readers (work.h), and, not being a write, waits in their short queue. */
	bool hash;
	/* Set by the hand-off: the client's socket, and whether its request ended (the link
	 * cut); what the work.h's gone asks before a reader or hasher runs the job. */
	int fd;
	atomic_bool gone;
};

/* Hands job to the writer (write), or to a hasher (job->hash) or a reader. A job for a reader
 * or a hasher whose client has gone when its turn comes is not run (work.h): the client
 * closed its connection (its side of it: a client that half-closes and still waits counts as
 * gone), or h2o ended the request. On ST_OK the job is owned by the hand-off until free;
 * otherwise (ST_BUSY: the queue is full or stopping) the caller still owns it and should
 * answer the error. */
int http_submit(struct req *r, struct http_job *job, bool write) WUR;

/* http_submit for a handler with nothing else to undo: when the hand-off fails, frees job
 * (its free) and answers the error (ST_BUSY: 503). Returns 0, the handler's return. */
int http_submit_or_reply(struct req *r, struct http_job *job, bool write);

/* Process-wide state shared by every loop; read-only after start but for the session table,
 * which has its own lock. */
struct app {
	struct work *work;
	struct session_cache *sessions;
	/* The database may be shared by several servers (store_is_server): the session of each
	 * request is read from it (session_cache_sync), since another server may have signed it
	 * in, out, or over. Else this process's table is the sessions' only writer. */
	bool shared;
	int64_t idle_us; /* back-office idle timeout */
	bool tls;
	const char *public_url;     /* --public-url, for links in mails; NULL: the request's Host */
	const char *operator_email; /* --operator-email: the store's requests, the contact form */
	struct shop_cache *shops;
	/* The shops' templates of the hosted page, in memory (api/hosted_theme.h): opaque here. */
	struct page_themes *themes;
	struct throttle *throttle; /* the sign-in's rate limits (http/throttle.h) */
	/* Failed sign-ins per client address and per login (README "Sign-in"). */
	struct rate_limit signin_address, signin_login;
	struct errlog *errlog; /* the merchant API's error log, gathered (http/errlog.h) */
	const struct crypto_keys *keys;
	const struct acquirer_ops *acquirer;
	/* Guichet's key pair for the Paybox signature K (crypto/rsa.h), loaded at start. */
	struct rsa_key *paybox_key;
	/* Called on the loop after a merchant request's signature verified, before its handler
	 * (registered by the API: the first use of a new key turns it "used"); NULL: nothing. */
	void (*shop_key_verified)(struct req *r);
	/* The event loops' requests by route and status (http/metrics.h), made by server_run;
	 * the caller frees it after work_stop (a scrape on a reader may still read it). */
	struct http_metrics *requests;
	/* GUICHET_METRICS_TOKEN's digest (crypto_digest), when it is set: the bearer token that
	 * opens the AUTH_OPERATOR routes to a peer that is not loopback. */
	bool metrics_token;
	unsigned char metrics_token_digest[CRYPTO_HASH_LEN];
};

#endif
