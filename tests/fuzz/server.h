/*
 * server.h - the fuzz targets that go through the real server, for the parsers tied to a
 * request (src/api/json.c, query.c, the handlers, the cookie, CSRF and signature checks of
 * src/http/server.c): guichetd's own `demo` and `serve` commands (src/main.c, built in) run
 * once in the fuzzer's process, on a temporary database and a loopback port, and each input
 * goes to that server over a socket as an HTTP/1.1 request, authenticated as a client is: a
 * merchant request signed with the demo shop's key, a back-office request with the session
 * cookie and CSRF token of a signed-in user whose profile the route allows. So a fuzzed body
 * reaches its handler's parser past authentication, and every line of code it meets is the
 * server's own (h2o included); coverage comes back from the server's threads.
 *
 * What the answers must keep, whatever the input (a finding otherwise): no 5xx but 503 (bad
 * input gets a clear 4xx, SPEC §15); a JSON answer that parses, an error one with its "error"
 * code; the answer of an authenticated merchant request signed with the shop's key (SPEC §4);
 * no password or HMAC key of the demo in any answer.
 */
#ifndef GUICHET_FUZZ_SERVER_H
#define GUICHET_FUZZ_SERVER_H

#include <stddef.h>
#include <stdint.h>

/* How an input reads. In every form the first line is "METHOD PATH" (PATH with its query
 * string; its bytes that a request line cannot carry are %-escaped on the way). */
enum fuzz_form {
	FUZZ_BODY,    /* the first line, then the body */
	FUZZ_LINE,    /* the first line alone: no body */
	FUZZ_HEADERS, /* the first line, header lines "Name: value" (each replaces the one the
	               * harness would send: Cookie, X-CSRF-Token, X-Guichet-*), an empty line,
	               * the body */
};

/* Starts the server and waits until it answers; from LLVMFuzzerInitialize. Aborts when it
 * cannot. */
void fuzz_server_start(void);

/* Sends the input as a request whose path starts with prefix, and checks the answer. 0, or
 * -1 for an input not of the form (libFuzzer keeps none of those). */
int fuzz_server_request(const uint8_t *data, size_t size, const char *prefix, enum fuzz_form form);

/* A target through the server: its two entry points, for inputs of form whose path starts
 * with prefix. */
#define FUZZ_SERVER_TARGET(prefix, form)                                                           \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                                          \
	{                                                                                          \
		(void)argc;                                                                        \
		(void)argv;                                                                        \
		fuzz_server_start();                                                               \
		return 0;                                                                          \
	}                                                                                          \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                               \
	{                                                                                          \
		return fuzz_server_request(data, size, prefix, form);                              \
	}

#endif
