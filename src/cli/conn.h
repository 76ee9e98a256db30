/*
 * conn.h - the client's HTTP/JSON session with one back office, over libcurl: the requests of
 * the JSON API (README "The back office"), the session cookie and CSRF token they carry, and
 * libcurl's failures told in plain words.
 *
 * Nothing else of the client speaks HTTP; this module neither parses command lines nor prints
 * results (the commands in main.c do). The cookie's token and the CSRF token are secrets: they
 * are never printed or logged, and wiped by conn_cleanup.
 */
#ifndef GUICHET_CLIENT_CONN_H
#define GUICHET_CLIENT_CONN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/client.h"

#define CONN_TOKEN_MAX 128 /* the cookie's and CSRF tokens' text (the server's are 64 hex) */

struct conn {
	void *curl; /* CURL *, owned */
	char base[CLIENT_HOST_MAX + 32];
	char cafile[CLIENT_PATH_MAX];
	char pin[CLIENT_PIN_MAX];       /* the profile's pinned key: a server with another fails */
	bool want_pin;                  /* read the server's key into seen_pin (conn_call) */
	char seen_pin[CLIENT_PIN_MAX];  /* the key of the server the last call reached over TLS */
	char token[CONN_TOKEN_MAX + 1]; /* the session cookie's value; "" without one */
	char csrf[CONN_TOKEN_MAX + 1];  /* sent with every write; "" without one */
	bool token_set;                 /* an answer set (or cleared) the cookie */
	char err[512];                  /* the last network failure, in plain words */
	char got_type[64];              /* a download's Content-Type, once its body starts */
};

/* An answer: its HTTP status and its body when it was JSON (an owned reference, else NULL). */
struct conn_reply {
	long status;
	json_t *body;
};

/* Opens c for profile p (borrowed). Returns CX_OK, or CX_NETWORK when libcurl cannot start.
 * Over TLS, a profile with a pin is the only server c speaks to: a server whose certificate
 * has another public key, however trusted, fails every call ("changed" in c->err). */
int conn_init(struct conn *c, const struct profile *p) __attribute__((warn_unused_result));

/* Closes c and wipes its tokens. */
void conn_cleanup(struct conn *c);

/* One request: method, path (with its query string, already escaped), body (borrowed; NULL
 * for none). The cookie goes with it when c has a token, the CSRF token with any method but
 * GET; a Set-Cookie of the session in the answer replaces c->token. Returns CX_OK with *out
 * filled (conn_reply_cleanup it), or CX_NETWORK with the reason in c->err. */
int conn_call(struct conn *c, const char *method, const char *path, json_t *body,
              struct conn_reply *out) __attribute__((warn_unused_result));

/* A GET whose answer's body is written to f as it comes (an export); progress, when not NULL,
 * is called with each piece written (data, len). The answer's status in *status; a non-2xx body is
 * read into *error_body (owned, or NULL) instead of f. Returns CX_OK or CX_NETWORK. */
int conn_download(struct conn *c, const char *path, FILE *f,
                  void (*progress)(void *ctx, const char *data, size_t len), void *ctx,
                  long *status, json_t **error_body) __attribute__((warn_unused_result));

/* Appends "&key=value" (the first one "?key=value") with value escaped to the path in out
 * (cap bytes, NUL-terminated). Returns 0, or -1 when it would not fit. */
int conn_query_add(struct conn *c, char *out, size_t cap, const char *key, const char *value)
        __attribute__((warn_unused_result));

/* The answer's "error" code and "message" (lent by r; "" when absent). */
const char *conn_reply_error(const struct conn_reply *r);
const char *conn_reply_message(const struct conn_reply *r);

void conn_reply_cleanup(struct conn_reply *r);

#endif
