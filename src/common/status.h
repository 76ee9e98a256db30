/*
 * status.h - the one project-wide result code.
 *
 * Every fallible function returns one of these; 0 is success. The mapping to an HTTP status,
 * a machine-readable error code and a human message lives in exactly one table
 * (src/http/reply.c); nothing else decides it.
 */
#ifndef GUICHET_STATUS_H
#define GUICHET_STATUS_H

enum status {
	ST_OK = 0,
	ST_INVALID,   /* malformed or out-of-range input (400/422) */
	ST_NOTFOUND,  /* no such object in the caller's scope (404) */
	ST_CONFLICT,  /* state changed under us, or idempotency mismatch (409) */
	ST_FORBIDDEN, /* authenticated but not allowed (403) */
	ST_AUTH,      /* missing or wrong credentials or signature (401) */
	ST_TOOBIG,    /* request body over its limit (413) */
	ST_REFUSED,   /* a domain rule refuses the operation (422) */
	ST_STORE,     /* storage failed; nothing was written (503) */
	ST_INTERNAL,  /* a bug or an unexpected failure (500) */
	ST_BUSY,      /* the server is shutting down or overloaded (503) */
	ST_METHOD,    /* the path exists, not with this method (405) */
	ST_LOCKED,    /* the account is locked (423) */
	ST_TOO_MANY,  /* too many requests from this client or for this key: wait (429) */
};

#define WUR __attribute__((warn_unused_result))

#endif
