/*
 * query.h - the query string of a request: values %-decoded, a parameter given twice or a
 * malformed escape refused rather than half-used.
 */
#ifndef GUICHET_QUERY_H
#define GUICHET_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

#define QUERY_KEY_MAX   24
#define QUERY_VALUE_MAX 512

/* The parameter after *pos (0 for the first), decoded into key and value; *pos moves past it.
 * 1 found, 0 no more, -1 malformed (no '=', a bad escape, too long for kcap or vcap). */
int query_next(struct req *r, size_t *pos, char *key, size_t kcap, char *value, size_t vcap);

/* The value of parameter name: 1 found (decoded into out), 0 absent, -1 malformed or given
 * twice. */
int query_get(struct req *r, const char *name, char *out, size_t cap);

/* The first parameter whose name is not in allowed (NULL-terminated), copied into out (cap
 * bytes); 0 when every one is allowed, 1 when one is not. */
int query_unknown(struct req *r, const char *const *allowed, char *out, size_t cap);

/* Takes one parameter of a search (its decoded name and value) into ctx: NULL when taken, else
 * the name of the bad parameter (a static string). */
typedef const char *(*query_param_fn)(void *ctx, const char *key, char *value);

/* Gives each parameter of r's query string to one, in order, until it refuses one; a search's
 * filters are read so. NULL when every one was taken; else the bad parameter's name: "query"
 * for a malformed one or more than QUERY_PARAMS_MAX, one given twice (refused, never
 * half-used; its name copied into the request's pool), or what one returned. */
#define QUERY_PARAMS_MAX 32
const char *query_each_once(struct req *r, query_param_fn one, void *ctx);

/* A positive id: 0, or -1 when v is not one. */
int query_id(const char *v, int64_t *out);

#endif
