/*
 * query.c - query string parameters (query.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api/query.h"

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
query_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hex_nibble(in[i + 1]);
			lo = hex_nibble(in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static h2o_iovec_t
query_of(struct req *r)
{
	if (r->h2o->query_at == SIZE_MAX)
		return h2o_iovec_init("", 0);
	return h2o_iovec_init(r->h2o->path.base + r->h2o->query_at + 1,
	                      r->h2o->path.len - r->h2o->query_at - 1);
}

/* Calls fn for each "key=value" of the query (raw, undecoded) until it returns non-zero. */
static int
each_param(struct req *r,
           int (*fn)(void *arg, const char *k, size_t klen, const char *v, size_t vlen), void *arg)
{
	h2o_iovec_t q = query_of(r);
	size_t p = 0;
	int rc;

	while (p < q.len) {
		size_t end = p, eq;

		while (end < q.len && q.base[end] != '&')
			end++;
		for (eq = p; eq < end && q.base[eq] != '='; eq++)
			;
		rc = eq == end ? fn(arg, q.base + p, end - p, NULL, 0)
		               : fn(arg, q.base + p, eq - p, q.base + eq + 1, end - eq - 1);
		if (rc != 0)
			return rc;
		p = end + 1;
	}
	return 0;
}

struct get_ctx {
	const char *name;
	char *out;
	size_t cap;
	int found;
};

static int
get_one(void *arg, const char *k, size_t klen, const char *v, size_t vlen)
{
	struct get_ctx *g = arg;

	if (strlen(g->name) != klen || memcmp(g->name, k, klen) != 0)
		return 0;
	if (g->found || v == NULL || query_decode(v, vlen, g->out, g->cap) != 0)
		return -1;
	g->found = 1;
	return 0;
}

int
query_get(struct req *r, const char *name, char *out, size_t cap)
{
	struct get_ctx g = {name, out, cap, 0};

	return each_param(r, get_one, &g) != 0 ? -1 : g.found;
}

struct unknown_ctx {
	const char *const *allowed;
	char *out;
	size_t cap;
};

static int
find_unknown(void *arg, const char *k, size_t klen, const char *v, size_t vlen)
{
	struct unknown_ctx *u = arg;

	(void)v;
	(void)vlen;
	for (int i = 0; u->allowed[i] != NULL; i++)
		if (strlen(u->allowed[i]) == klen && memcmp(u->allowed[i], k, klen) == 0)
			return 0;
	if (query_decode(k, klen, u->out, u->cap) != 0)
		strcpy(u->out, "query");
	return 1;
}

int
query_unknown(struct req *r, const char *const *allowed, char *out, size_t cap)
{
	struct unknown_ctx u = {allowed, out, cap};

	return each_param(r, find_unknown, &u);
}

int
query_id(const char *v, int64_t *out)
{
	char *e;
	long long n;

	if (*v < '0' || *v > '9')
		return -1;
	n = strtoll(v, &e, 10);
	if (*e != '\0' || n <= 0)
		return -1;
	*out = n;
	return 0;
}
