/*
 * static.h - the web back office's files: www/index.html at "/" and www/assets/ under
 * "/assets/", read into memory once at start and answered from there by the event loops,
 * and the security headers (CSP and the others) that go on every answer.
 *
 * Not a general file server: only GET and HEAD, only the file types of the table in static.c,
 * no directory listings, no symbolic links, no file added or changed after start (restart
 * guichetd to serve a new www/).
 */
#ifndef GUICHET_STATIC_H
#define GUICHET_STATIC_H

#include <stdbool.h>

#include <h2o.h>

#include "common/status.h"
#include "http/http.h"

struct static_files;

/* Reads dir/index.html and every servable file under dir/assets/ into memory. A missing or
 * unreadable dir, index.html or file is logged and left out: the server runs without the UI
 * ("/" then answers 404 ui_not_installed). dir NULL: no UI, nothing logged. *out is the
 * caller's, freed with static_files_free. Returns ST_OK (out of memory aborts). */
int static_files_load(const char *dir, struct static_files **out) WUR;

/* Frees what static_files_load made; NULL does nothing. */
void static_files_free(struct static_files *sf);

/* The number of files and their total size, for the start-up log. */
size_t static_files_count(const struct static_files *sf, size_t *bytes);

/* On a loop: answers r when its path is the UI's ("/", "/assets" and below) - the file, 304,
 * or a JSON error (400 bad_path, 404, 405) - and returns 0; returns -1 for any other path,
 * which is left unanswered. sf is lent and read-only. */
int static_files_serve(const struct static_files *sf, struct req *r);

/* Adds the security headers (Content-Security-Policy, X-Content-Type-Options, Referrer-Policy,
 * X-Frame-Options, and under TLS Strict-Transport-Security) to every answer made under
 * pathconf (an h2o filter). Call it once. */
void static_files_register_headers(h2o_pathconf_t *pathconf, bool tls);

#endif
