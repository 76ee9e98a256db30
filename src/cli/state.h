/*
 * state.h - what the client keeps on disk: profiles (where a back office is) in
 * $XDG_CONFIG_HOME/guichet/ (else ~/.config/guichet/), and each profile's secrets: its session
 * (its cookie token and CSRF token) and resume key, in memory, the kernel's keyring (below),
 * or where the kernel keeps none, in $XDG_STATE_HOME/guichet/ (else ~/.local/state/guichet/).
 * The folders are made 0700, the files 0600, each file written whole under a temporary name
 * and renamed (never half-written, never readable by others).
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

/* Reads profile name's file of that kind (a secret: wherever state_keep put it); *out is a
 * new reference, NULL when there is no such file (CX_OK all the same). Returns CX_OK or CX_USAGE (unreadable, not JSON). */
int state_read(enum state_file kind, const char *name, json_t **out, char *err, size_t errlen)
        __attribute__((warn_unused_result));

/* Removes profile name's file of that kind, if any; a secret's key too. */
void state_remove(enum state_file kind, const char *name);

/* Where a profile's secrets are kept (README "The command-line client"). */
enum state_keep {
	KEEP_NONE,       /* nowhere: not signed in */
	KEEP_MEMORY,     /* the kernel's session keyring: never on disk, gone with the login session
	                  * (or at the session's 12 hours) */
	KEEP_REMEMBERED, /* --remember: the kernel's persistent keyring, kept past the login
	                  * session (never on disk, gone at a restart or after days unused) */
	KEEP_FILE,       /* a 0600 file: --remember, or any, where the kernel keeps no keys */
};

/* Writes o (borrowed) as the secret of that kind (STATE_SESSION, STATE_RESUME) of profile
 * name: with remember, in the persistent keyring, else in the session keyring; in the 0600
 * file where the kernel refuses keys. The other places' copies are removed. *kept says where
 * it went. Returns CX_OK or CX_USAGE with the reason in err. */
int state_keep(enum state_file kind, const char *name, const json_t *o, bool remember,
               enum state_keep *kept, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Whether GUICHET_KEYRING=no asks for the files rather than the kernel's keyring. */
bool state_keyring_off(void);

/* Where profile name's secret of that kind is (KEEP_NONE: nowhere). */
enum state_keep state_kept(enum state_file kind, const char *name);

/* The profile name from its file into p. Returns CX_OK, or CX_USAGE when there is none
 * ("run guichet connect first") or it is damaged, with the reason in err. */
int state_profile_load(const char *name, struct profile *p, char *err, size_t errlen)
        __attribute__((warn_unused_result));

#endif
