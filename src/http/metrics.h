/*
 * metrics.h - what the HTTP layer gives the metrics: the requests by route and status with
 * their latency, and who may read them.
 *
 * Each event loop counts in a table of its own (rows: the routes, then the requests no route
 * took; columns: the statuses), written by that loop alone in relaxed atomics: no lock and no
 * cache line shared with another loop on a request's way. A scrape adds the loops' tables up
 * on whatever thread it runs. A route is named by its pattern ("/api/v1/payments/{id}"),
 * never by the path asked: no id, query or made-up path becomes a label.
 *
 * The routes of AUTH_OPERATOR (GET /metrics) answer a loopback peer (127.0.0.0/8, ::1, or
 * either as an IPv4-mapped address) and whoever sends "Authorization: Bearer" with the token
 * of GUICHET_METRICS_TOKEN (its digest compared in constant time); anyone else gets the
 * answer of a path that does not exist (server.c).
 *
 * Not the exposition format (common/metrics.h), nor the other families (api/metrics.c).
 */
#ifndef GUICHET_HTTP_METRICS_H
#define GUICHET_HTTP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/metrics.h"
#include "common/status.h"
#include "crypto/crypto.h"
#include "http/http.h"

struct http_metrics;
struct http_metrics_loop;

/* The rows after the route table's (row routes_n + these): the web UI's files (static.h), a
 * request no route and no file took (404, 405: its path is no label either), and a request h2o
 * answered itself before routing (a body too large, a broken one: no latency is counted). */
enum http_metrics_other { HTTP_ROW_WEB, HTTP_ROW_UNMATCHED, HTTP_ROW_H2O, HTTP_ROW__COUNT };

/* The latency histogram's bounds, microseconds shown as seconds. */
extern const struct metrics_bounds http_latency_bounds;

/* The tables of nloops event loops, empty. Free with http_metrics_free once no loop or scrape
 * uses them; NULL does nothing there. Out of memory aborts. */
struct http_metrics *http_metrics_new(int nloops);
void http_metrics_free(struct http_metrics *m);

/* Loop i's table (0 <= i < nloops), lent for m's life. */
struct http_metrics_loop *http_metrics_loop(struct http_metrics *m, int i);

/* On loop l's thread: a request of row (a route's index in routes[], or routes_n + an enum
 * http_metrics_other) answered with status (0: none, the client went first), in us
 * microseconds from its handling to its end (negative: not timed). */
void http_metrics_observe(struct http_metrics_loop *l, size_t row, int status, int64_t us);

/* Writes the requests' families, every loop's added up: guichet_http_requests_total by
 * method, route and status, and guichet_http_request_duration_seconds by method and route.
 * Any thread. */
void http_metrics_write(struct http_metrics *m, struct buf *out);

/* GUICHET_METRICS_TOKEN: HTTP_METRICS_TOKEN_MIN to _MAX characters of visible ASCII (no space,
 * nothing a header could not carry). ST_OK or ST_INVALID. */
#define HTTP_METRICS_TOKEN_MIN 16
#define HTTP_METRICS_TOKEN_MAX 256
int http_metrics_token_check(const char *token) WUR;

/* Whether an address is loopback: 127.0.0.0/8, ::1, or an IPv4-mapped 127.0.0.0/8. */
bool http_addr_loopback(const struct sockaddr *sa);

/* Whether an Authorization header's value (len bytes) is "Bearer" (any case) and the token
 * whose digest (crypto_digest) is digest. Constant time in the token's bytes. */
bool http_bearer_matches(const char *value, size_t len,
                         const unsigned char digest[CRYPTO_HASH_LEN]);

/* Whether r may reach an AUTH_OPERATOR route: a loopback peer, or the bearer of the token
 * when r->app has one. */
bool http_operator_allowed(struct req *r);

#endif
