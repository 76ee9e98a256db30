/*
 * sessions.h - the back office's live sessions, in memory, shared by every event loop: a
 * request is authenticated by its cookie without storage (DESIGN.md: the loops never wait).
 *
 * The store holds the same sessions (hashes only) so they survive a restart; this table is
 * loaded from it at start and changed only after the writer committed the change. One session
 * per user (SPEC §3): putting a user's session replaces their previous one.
 */
#ifndef GUICHET_SESSIONS_H
#define GUICHET_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "domain/org.h"
#include "store/store.h"

/* What a signed-in user must do before anything else (the "next" of SPEC §16). */
enum next_step { NEXT_NONE = 0, NEXT_CHANGE_PASSWORD, NEXT_ACCEPT_TERMS };

struct session {
	int64_t id;
	int64_t brand_id;
	int64_t user_id;
	int64_t node_id;
	enum profile profile;
	enum next_step next;
	char login[65];
	char name[81];
	char email[255];
	char device[81];
	char time_zone[41]; /* the user's zone: how their dates and times are read (tz.h) */
	unsigned char token_hash[32];
	unsigned char csrf_hash[32];
	int64_t created_at;
	int64_t last_seen_at;
	int64_t persisted_at; /* last_seen_at as the store last heard it */
};

struct session_cache;

/* "change_password", "accept_terms", or NULL for NEXT_NONE. Static. */
const char *next_step_name(enum next_step n);

struct session_cache *session_cache_new(void);
void session_cache_free(struct session_cache *c);

/* Adds s (copied), replacing any session of the same user. */
void session_cache_put(struct session_cache *c, const struct session *s);

/* Finds the session of a token hash at now_us. A session idle for more than idle_us, or older
 * than max_us, is ended here (removed; *ended set). Otherwise its last_seen_at becomes now_us,
 * *out receives a copy, and *persist tells whether the store should hear of it (once a
 * minute). Returns ST_OK or ST_AUTH. */
int session_cache_use(struct session_cache *c, const unsigned char token_hash[32], int64_t now_us,
                      int64_t idle_us, int64_t max_us, struct session *out, bool *persist,
                      bool *ended);

/* The session of a user, if any (ST_OK, copied to *out) or ST_NOTFOUND. */
int session_cache_of_user(struct session_cache *c, int64_t brand_id, int64_t user_id,
                          struct session *out);

/* Removes the session of a user; sets the next step of a user's session. */
void session_cache_remove_user(struct session_cache *c, int64_t brand_id, int64_t user_id);
void session_cache_set_next(struct session_cache *c, int64_t brand_id, int64_t user_id,
                            enum next_step next);
/* Sets the name, e-mail and time zone of a user's session, if they have one (after an edit). */
void session_cache_set_user(struct session_cache *c, int64_t brand_id, int64_t user_id,
                            const char *name, const char *email, const char *time_zone);

#endif
