/*
 * query.h - the query string of a request: values %-decoded, a parameter given twice or a
 * malformed escape refused rather than half-used.
 */
#ifndef GUICHET_QUERY_H
#define GUICHET_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

/* Decodes %XX and '+' of len bytes into out (cap bytes). -1 when malformed (bad escape, NUL,
 * control character) or too long. */
int query_decode(const char *in, size_t len, char *out, size_t cap);

/* The value of parameter name: 1 found (decoded into out), 0 absent, -1 malformed or given
 * twice. */
int query_get(struct req *r, const char *name, char *out, size_t cap);

/* The first parameter whose name is not in allowed (NULL-terminated), copied into out (cap
 * bytes); 0 when every one is allowed, 1 when one is not. */
int query_unknown(struct req *r, const char *const *allowed, char *out, size_t cap);

/* A positive id: 0, or -1 when v is not one. */
int query_id(const char *v, int64_t *out);

#endif
