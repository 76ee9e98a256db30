/*
 * state.h - what the client keeps on disk: profiles (where a back office is) in
 * $XDG_CONFIG_HOME/guichet/ (else ~/.config/guichet/), and each profile's session (its cookie
 * token and CSRF token) and resume key in $XDG_STATE_HOME/guichet/ (else
 * ~/.local/state/guichet/). The folders are made 0700, the files 0600, each file written
 * whole under a temporary name and renamed (never half-written, never readable by others).
 *
 * Not the HTTP session itself (conn.h), nor what is printed.
 */
#ifndef GUICHET_CLIENT_STATE_H
#define GUICHET_CLIENT_STATE_H

#include <jansson.h>

#include "cli/client.h"

/* The kinds of file a profile has. */
enum state_file {
	STATE_PROFILE, /* <config>/NAME.profile: host, port, tls, cafile */
	STATE_SESSION, /* <state>/NAME.session: token, csrf (secrets), login, language */
	STATE_RESUME,  /* <state>/NAME.resume: resume_key, resumable_until (secrets) */
};

/* The path of profile name's file of that kind into out (cap bytes); with make, its folder is
 * made (0700) first. Returns CX_OK, or CX_USAGE with the reason in err (no HOME, a folder that
 * cannot be made). */
int state_path(enum state_file kind, const char *name, bool make, char *out, size_t cap, char *err,
               size_t errlen) __attribute__((warn_unused_result));

/* Writes o (borrowed) as JSON to profile name's file of that kind: 0600, a temporary file
 * renamed. Returns CX_OK or CX_USAGE with the reason in err. */
int state_write(enum state_file kind, const char *name, const json_t *o, char *err, size_t errlen)
        __attribute__((warn_unused_result));

/* Reads profile name's file of that kind; *out is a new reference, NULL when there is no
 * such file (CX_OK all the same). Returns CX_OK or CX_USAGE (unreadable, not JSON). */
int state_read(enum state_file kind, const char *name, json_t **out, char *err, size_t errlen)
        __attribute__((warn_unused_result));

/* Removes profile name's file of that kind, if any. */
void state_remove(enum state_file kind, const char *name);

/* The profile name from its file into p. Returns CX_OK, or CX_USAGE when there is none
 * ("run guichet connect first") or it is damaged, with the reason in err. */
int state_profile_load(const char *name, struct profile *p, char *err, size_t errlen)
        __attribute__((warn_unused_result));

#endif
