/*
 * fuzz_query.c - query strings and search filters (src/api/query.c; the searches, exports and
 * statistics of src/api/transactions.c and stats.c: dates and times in the user's zone,
 * amounts, '%' patterns down to the store's full-text look-ups, cursors, node=, columns), and
 * the paths of the web UI's files (src/http/static.c), through the real server: one line,
 * "METHOD /PATH?QUERY", no body; signed in as a user the route allows (server.h).
 */
#include "fuzz.h"
#include "server.h"

FUZZ_SERVER_TARGET("/", FUZZ_LINE)
