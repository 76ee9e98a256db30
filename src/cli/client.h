/*
 * client.h - what every part of `guichet`, the command-line client, shares: its exit
 * statuses (SPEC §16.1 "The client") and a profile's connection settings.
 *
 * The client is a program apart from guichetd: it speaks only the back office's JSON API over
 * HTTP(S) (src/cli/conn.c), links neither src/api nor src/store, and its result codes are
 * its exit statuses rather than the server's status enum (common/status.h), since each one is
 * what a script reads of a whole command.
 */
#ifndef GUICHET_CLIENT_H
#define GUICHET_CLIENT_H

#include <stdbool.h>

/* The exit statuses of SPEC §16.1; a fallible function of the client returns one as rc. */
enum client_exit {
	CX_OK = 0,      /* done */
	CX_REFUSED = 1, /* the server refused what was asked (a rule, a right, a conflict) */
	CX_USAGE = 2,   /* bad command line or input: nothing was sent */
	CX_AUTH = 3,    /* not signed in, wrong credentials, session ended */
	CX_NETWORK = 4, /* the server could not be reached, or failed */
};

#define CLIENT_DEFAULT_PORT 13020
#define CLIENT_HOST_MAX     253  /* a DNS name's length, or an address */
#define CLIENT_PATH_MAX     4096 /* a file name we keep (the CA file) */
#define CLIENT_PIN_MAX      64   /* "sha256//" and the base64 of 32 bytes, with its NUL */

/* A profile: where one back office is (state.h keeps it on disk). */
struct profile {
	char name[65];
	char host[CLIENT_HOST_MAX + 1];
	int port;
	bool tls;
	char cafile[CLIENT_PATH_MAX]; /* "" for the system's trust store */
	char pin[CLIENT_PIN_MAX];     /* the server key's "sha256//BASE64" pinned, "" none */
};

#endif
