/*
 * fuzz_headers.c - the headers guichetd reads (src/http/server.c: the session cookie and the
 * CSRF token, X-Guichet-Site, X-Guichet-Rang and X-Guichet-Signature, Idempotency-Key; the
 * web UI's If-None-Match), through the real server: "METHOD /PATH", header lines, an empty
 * line, the body. A header the input gives replaces the harness's (server.h).
 */
#include "fuzz.h"
#include "server.h"

FUZZ_SERVER_TARGET("/", FUZZ_HEADERS)
