/*
 * server.h - guichetd's HTTP(S) front: one h2o event loop per core on a shared port, the
 * route table, authentication of the merchant API, and graceful stop on SIGTERM/SIGINT.
 */
#ifndef GUICHET_SERVER_H
#define GUICHET_SERVER_H

#include "common/status.h"
#include "http/http.h"

struct server_config {
	const char *listen;   /* "HOST:PORT" */
	const char *tls_cert; /* PEM files, or NULL for plain HTTP (loopback only) */
	const char *tls_key;
	int nloops;      /* 0: one per core */
	const char *www; /* the web UI's folder (index.html, assets/), or NULL for none */
};

/* Serves until SIGTERM or SIGINT, then stops accepting, finishes the requests in flight,
 * those still being received included, closes idle connections, and returns ST_OK once no
 * connection and no job is left (or LIMIT_SHUTDOWN_GRACE_S has passed): the writer may stop
 * then. The caller has blocked those signals in every thread. Returns ST_INVALID for a bad
 * listen address or a plain-HTTP non-loopback address, ST_INTERNAL when the socket or TLS
 * setup fails or a route accepts a body above LIMIT_BODY_GLOBAL. */
int server_run(struct app *app, const struct server_config *cfg) WUR;

#endif
