/*
 * query.c - query string parameters (query.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api/query.h"
#include "common/text.h"

/* Decodes %XX and '+' of len bytes into out (cap bytes). -1 when malformed (bad escape,
 * NUL, control character) or too long. */
static int
query_decode(const char *in, size_t len, char *out, size_t cap)
{
	long n = text_form_decode(out, cap, in, len);

	if (n < 0)
		return -1;
	for (long i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			return -1;
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

int
query_next(struct req *r, size_t *pos, char *key, size_t kcap, char *value, size_t vcap)
{
	h2o_iovec_t q = query_of(r);
	size_t p = *pos, end = p, eq;

	if (p >= q.len)
		return 0;
	while (end < q.len && q.base[end] != '&')
		end++;
	for (eq = p; eq < end && q.base[eq] != '='; eq++)
		;
	*pos = end + 1;
	if (eq == end || query_decode(q.base + p, eq - p, key, kcap) != 0 ||
	    query_decode(q.base + eq + 1, end - eq - 1, value, vcap) != 0)
		return -1;
	return 1;
}

int
query_get(struct req *r, const char *name, char *out, size_t cap)
{
	char key[QUERY_KEY_MAX], value[QUERY_VALUE_MAX];
	size_t pos = 0;
	int found = 0, g;

	while ((g = query_next(r, &pos, key, sizeof(key), value, sizeof(value))) != 0) {
		if (g < 0)
			return -1;
		if (strcmp(key, name) != 0)
			continue;
		if (found || strlen(value) >= cap)
			return -1;
		memcpy(out, value, strlen(value) + 1);
		found = 1;
	}
	return found;
}

int
query_unknown(struct req *r, const char *const *allowed, char *out, size_t cap)
{
	char key[QUERY_KEY_MAX], value[QUERY_VALUE_MAX];
	size_t pos = 0;
	int g;

	while ((g = query_next(r, &pos, key, sizeof(key), value, sizeof(value))) != 0) {
		int known = 0;

		if (g < 0) {
			snprintf(out, cap, "query");
			return 1;
		}
		for (int i = 0; allowed[i] != NULL; i++)
			known |= strcmp(allowed[i], key) == 0;
		if (!known) {
			/* Named back in the answer: a name cut short or not text is "query". */
			if (strlen(key) >= cap || !text_is_safe(key, strlen(key)))
				snprintf(out, cap, "query");
			else
				snprintf(out, cap, "%s", key);
			return 1;
		}
	}
	return 0;
}

const char *
query_each_once(struct req *r, query_param_fn one, void *ctx)
{
	char seen[QUERY_PARAMS_MAX][QUERY_KEY_MAX];
	char key[QUERY_KEY_MAX], val[QUERY_VALUE_MAX];
	size_t pos = 0, nseen = 0;
	const char *bad;
	int g;

	while ((g = query_next(r, &pos, key, sizeof(key), val, sizeof(val))) != 0) {
		if (g < 0)
			return "query";
		for (size_t k = 0; k < nseen; k++)
			if (strcmp(seen[k], key) == 0)
				/* The request's pool: the name outlives the caller's job. */
				return memcpy(h2o_mem_alloc_pool(&r->h2o->pool, sizeof(key)), key,
				              sizeof(key));
		if (nseen == QUERY_PARAMS_MAX)
			return "query";
		memcpy(seen[nseen++], key, sizeof(key));
		if ((bad = one(ctx, key, val)) != NULL)
			return bad;
	}
	return NULL;
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
