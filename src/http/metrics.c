/*
 * metrics.c - the requests' tables of the event loops and who may read the metrics
 * (http/metrics.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/metrics.h"

/* From half a millisecond (a read answered from memory) to ten seconds (an export's page, a
 * slow disk): the payments' group commit and the sign-ins' Argon2id fall in between. */
static const uint64_t latency_le[] = {500,    1000,   2500,   5000,    10000,   25000,   50000,
                                      100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
const struct metrics_bounds http_latency_bounds = {
        latency_le, sizeof(latency_le) / sizeof(latency_le[0]), 1000000};

/* The statuses a column each; any other is counted in its class's column ("4xx"), one
 * outside 100-599 in "other". 0: no answer was sent (the client went away first). */
static const int statuses[] = {0,   100, 101, 200, 201, 202, 204, 206, 301, 302, 303,
                               304, 307, 308, 400, 401, 403, 404, 405, 406, 408, 409,
                               410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423,
                               426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505};
#define STATUSES_N  (sizeof(statuses) / sizeof(statuses[0]))
#define COL_CLASS   STATUSES_N       /* + the class, 1 to 5: "1xx" to "5xx" */
#define COL_OTHER   (STATUSES_N + 5) /* below 100 or above 599 */
#define COLUMNS     (COL_OTHER + 1)
#define STATUS_SPAN 600

struct row {
	_Atomic uint64_t status[COLUMNS];
	struct metrics_histo latency;
};

struct http_metrics_loop {
	struct row *rows;
	const unsigned char *col_of; /* a status's column: the tables' own, shared */
};

struct http_metrics {
	int n;
	size_t nrows;
	struct http_metrics_loop *loops;
	unsigned char col_of[STATUS_SPAN];
};

_Static_assert(COLUMNS < 256, "a column fits col_of");

struct http_metrics *
http_metrics_new(int nloops)
{
	struct http_metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		abort();
	m->n = nloops;
	m->nrows = routes_n + HTTP_ROW__COUNT;
	for (int s = 0; s < STATUS_SPAN; s++)
		m->col_of[s] = s < 100 ? COL_OTHER : (unsigned char)(COL_CLASS + s / 100 - 1);
	for (size_t i = 0; i < STATUSES_N; i++)
		m->col_of[statuses[i]] = (unsigned char)i;
	m->loops = calloc((size_t)nloops, sizeof(*m->loops));
	if (m->loops == NULL)
		abort();
	for (int i = 0; i < nloops; i++) {
		/* Whole cache lines of their own: loops never write a line another one writes. */
		size_t size = (m->nrows * sizeof(struct row) + 63) / 64 * 64;

		m->loops[i].rows = aligned_alloc(64, size);
		if (m->loops[i].rows == NULL)
			abort();
		memset(m->loops[i].rows, 0, size);
		m->loops[i].col_of = m->col_of;
	}
	return m;
}

void
http_metrics_free(struct http_metrics *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < m->n; i++)
		free(m->loops[i].rows);
	free(m->loops);
	free(m);
}

struct http_metrics_loop *
http_metrics_loop(struct http_metrics *m, int i)
{
	return &m->loops[i];
}

void
http_metrics_observe(struct http_metrics_loop *l, size_t row, int status, int64_t us)
{
	struct row *rw = &l->rows[row];
	unsigned col = status >= 0 && status < STATUS_SPAN ? l->col_of[status] : COL_OTHER;

	atomic_fetch_add_explicit(&rw->status[col], 1, memory_order_relaxed);
	if (us >= 0)
		metrics_observe(&rw->latency, &http_latency_bounds, (uint64_t)us);
}

/* A column's status label. */
static const char *
column_name(unsigned col, char buf[8])
{
	static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};

	if (col >= COL_CLASS)
		return classes[col - COL_CLASS];
	if (statuses[col] == 0)
		return "none";
	snprintf(buf, 8, "%d", statuses[col]);
	return buf;
}

/* A row's labels: method and route for a route, the route alone (a name in parentheses, no
 * pattern can be one) for the others. Returns how many. */
static size_t
row_labels(size_t row, struct metrics_label l[3])
{
	static const char *const others[HTTP_ROW__COUNT] = {"(web)", "(unmatched)", "(h2o)"};

	if (row < routes_n) {
		l[0] = (struct metrics_label){"method", routes[row].method};
		l[1] = (struct metrics_label){"route", routes[row].pattern};
		return 2;
	}
	l[0] = (struct metrics_label){"route", others[row - routes_n]};
	return 1;
}

void
http_metrics_write(struct http_metrics *m, struct buf *out)
{
	struct metrics_histo_read *lat = calloc(m->nrows, sizeof(*lat));
	uint64_t(*count)[COLUMNS] = calloc(m->nrows, sizeof(*count));
	struct metrics_label l[3];
	char name[8];

	if (lat == NULL || count == NULL)
		abort();
	for (int i = 0; i < m->n; i++) {
		for (size_t r = 0; r < m->nrows; r++) {
			const struct row *rw = &m->loops[i].rows[r];

			for (unsigned c = 0; c < COLUMNS; c++)
				count[r][c] +=
				        atomic_load_explicit(&rw->status[c], memory_order_relaxed);
			metrics_histo_add(&lat[r], &rw->latency, &http_latency_bounds);
		}
	}
	metrics_family(out, "guichet_http_requests_total", "counter",
	               "HTTP requests answered, by route (its pattern) and status; status "
	               "\"none\": the client went away before the answer.");
	for (size_t r = 0; r < m->nrows; r++) {
		size_t n = row_labels(r, l);

		for (unsigned c = 0; c < COLUMNS; c++) {
			if (count[r][c] == 0)
				continue;
			l[n] = (struct metrics_label){"status", column_name(c, name)};
			metrics_sample(out, "guichet_http_requests_total", l, n + 1, count[r][c],
			               1);
		}
	}
	metrics_family(out, "guichet_http_request_duration_seconds", "histogram",
	               "Seconds from a request's handling (its body received) to the end of its "
	               "answer, by route.");
	for (size_t r = 0; r < m->nrows; r++) {
		size_t n = row_labels(r, l);

		if (metrics_histo_count(&lat[r], &http_latency_bounds) > 0)
			metrics_histo_write(out, "guichet_http_request_duration_seconds", l, n,
			                    &lat[r], &http_latency_bounds);
	}
	free(lat);
	free(count);
}

/* --- who may read the metrics ------------------------------------------------------------ */

int
http_metrics_token_check(const char *token)
{
	size_t n = strlen(token);

	if (n < HTTP_METRICS_TOKEN_MIN || n > HTTP_METRICS_TOKEN_MAX)
		return ST_INVALID;
	for (size_t i = 0; i < n; i++)
		if (token[i] <= ' ' || token[i] > '~')
			return ST_INVALID;
	return ST_OK;
}

bool
http_addr_loopback(const struct sockaddr *sa)
{
	const struct in6_addr *a6;

	if (sa->sa_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24 == 127;
	if (sa->sa_family != AF_INET6)
		return false;
	a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

bool
http_bearer_matches(const char *value, size_t len, const unsigned char digest[CRYPTO_HASH_LEN])
{
	unsigned char seen[CRYPTO_HASH_LEN];
	size_t i = 6;
	bool ok;

	/* RFC 6750 §2.1: "Bearer" 1*SP token; the scheme in any case (RFC 9110 §11.1). */
	if (len <= i || strncasecmp(value, "bearer", 6) != 0 || value[i] != ' ')
		return false;
	while (i < len && value[i] == ' ')
		i++;
	while (len > i && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (i == len || len - i > HTTP_METRICS_TOKEN_MAX)
		return false;
	/* Digests, not the tokens, are compared: the same length whatever was sent, so neither
	 * the comparison's time nor its length tells anything of the token. */
	crypto_digest(seen, value + i, len - i);
	ok = crypto_equal(seen, digest, sizeof(seen));
	crypto_wipe(seen, sizeof(seen));
	return ok;
}

bool
http_operator_allowed(struct req *r)
{
	struct sockaddr_storage ss;
	const h2o_iovec_t *auth;
	socklen_t len = r->h2o->conn->callbacks->get_peername(r->h2o->conn, (struct sockaddr *)&ss);

	if (len > 0 && http_addr_loopback((const struct sockaddr *)&ss))
		return true;
	auth = http_header(r, "authorization");
	return r->app->metrics_token && auth != NULL &&
	       http_bearer_matches(auth->base, auth->len, r->app->metrics_token_digest);
}
