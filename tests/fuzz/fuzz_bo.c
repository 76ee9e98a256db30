/*
 * fuzz_bo.c - the back office's JSON bodies (src/api/session.c, users.c, prefs.c,
 * second_factor.c, hmac_keys.c, account.c, transactions.c … and json.c, the body check of
 * routes without parameters in src/http/server.c), through the real server: "METHOD
 * /bo/api/…", a line feed, the body; sent with the session cookie and CSRF token of a user
 * whose profile the route allows (server.h).
 */
#include "fuzz.h"
#include "server.h"

FUZZ_SERVER_TARGET("/bo/api/", FUZZ_BODY)
