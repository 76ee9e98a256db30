/*
 * fuzz_api.c - the merchant API's request bodies and paths (src/api/payments.c: payments
 * create, capture, refund, cancel, get), through the real server: "METHOD /api/v1/…", a
 * line feed, the body; the harness signs it with the demo shop's key (server.h).
 */
#include "fuzz.h"
#include "server.h"

FUZZ_SERVER_TARGET("/api/v1/", FUZZ_BODY)
