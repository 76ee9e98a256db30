/*
 * sessions.h - the back office's live sessions, in memory, shared by every event loop: a
 * request is authenticated by its cookie without storage (DESIGN.md: the loops never wait).
 *
 * The store holds the same sessions (hashes only) so they survive a restart; this table is
 * loaded from it at start and changed only after the writer committed the change. On a
 * database several servers share, each request's session is read from the store first
 * (session_cache_sync): another server may have signed it in, out or over. One session
 * per user (SPEC §3): putting a user's session replaces their previous one. A sign-in still
 * waiting for its second factor is kept apart, beside it: it replaces only the user's other
 * waiting sign-in, and the live session ends only once the code is given (the waiting one
 * then put as live), so that someone with the password alone cannot end it. Each request's
 * next sign-in step is worked out here, from what the session's user has done and the terms
 * version the table keeps fresh (session_cache_watch_start).
 */
#ifndef GUICHET_SESSIONS_H
#define GUICHET_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "domain/org.h"
#include "store/store.h"

/* What a signed-in user must do before anything else (the "next" of SPEC §16). */
enum next_step {
	NEXT_NONE = 0,
	NEXT_CHANGE_PASSWORD,
	NEXT_ACCEPT_TERMS,
	NEXT_SECOND_FACTOR,
	NEXT_SET_UP_SECOND_FACTOR,
};

/* What a user has done of the sign-in steps: what their next step is computed from, at
 * sign-in and again at every request (new terms or the 90 days reach live sessions too). */
struct session_steps {
	bool must_change;        /* first sign-in, or a password reset by an administrator */
	int64_t password_set_at; /* its 90 days count from here */
	int terms_accepted;      /* the version of the terms of use they accepted; 0: none */
	/* The method of the second factor this sign-in still waits for; SF_NONE once given,
	 * or for a user without one. */
	enum second_factor_method second_factor;
	/* The account requires a second factor of every user (PCI DSS 8.4.2), and whether the
	 * user has one on: without, setting one up is their last step. */
	bool factor_required;
	bool has_factor;
};

/* The one rule (SPEC §3): the second factor first (the session is not the user's before),
 * then change the password (forced, or older than 90 days at now_us), then accept the terms
 * of use if terms_version is newer than the ones accepted, then set a second factor up when
 * the account requires one and the user has none. */
enum next_step session_next_step(const struct session_steps *steps, int terms_version,
                                 int64_t now_us);

struct session {
	int64_t id;
	int64_t brand_id;
	int64_t user_id;
	int64_t node_id;
	enum profile profile;
	struct session_steps steps;
	enum next_step next; /* computed from steps at each use (session_cache_use) */
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
	/* Disconnected (SPEC §3): kept for its resume only, its last use (last_seen_at) that of
	 * the disconnect; the resume key is checked against the store's row. */
	bool disconnected;
	/* The environment signed in to (SPEC §16.1; docs/ENVIRONMENTS.md): test when
	 * env_brand_id is set, the twin brand and the twin of the user's node. In the table,
	 * brand_id and node_id are the user's; a request's copy has the environment's, the
	 * data scope every handler reads, and the user's in user_brand_id, user_node_id
	 * (session_enter_env). */
	int64_t env_brand_id, env_node_id;
	int64_t user_brand_id, user_node_id;
};

/* A request's copy of its session made the environment's (session_check, once per
 * request): brand_id and node_id become the test twin's when it is signed in to test, the
 * user's kept in user_brand_id and user_node_id. */
void session_enter_env(struct session *s);

/* The copy of a request's session with the user's own brand and node, for what is the
 * user's whatever the environment: their sign-in, password, second factor, preferences,
 * the users and the account (docs/ENVIRONMENTS.md). */
struct session session_as_user(const struct session *s);

/* "test" or "production". Static. */
const char *session_env_name(const struct session *s);

struct session_cache;
struct work;

/* SPEC §3: the last instant a session may be used (or resumed, when disconnected) when it was
 * created at created_at and last used at last_seen_at: its idle time after its last use, and
 * never after max_us of life. A use later than this instant finds it ended. */
int64_t session_usable_until(int64_t created_at, int64_t last_seen_at, int64_t idle_us,
                             int64_t max_us);

/* "second_factor", "change_password", "accept_terms", "set_up_second_factor", or NULL for
 * NEXT_NONE. Static. */
const char *next_step_name(enum next_step n);

/* "totp", "email", or NULL for SF_NONE. Static. */
const char *second_factor_name(enum second_factor_method m);

struct session_cache *session_cache_new(void);
void session_cache_free(struct session_cache *c);

/* Adds s (copied). A live session (s->steps.second_factor SF_NONE) replaces every session of
 * the same user, a sign-in waiting for its second factor only the user's waiting one. */
void session_cache_put(struct session_cache *c, const struct session *s);

/* The current version of the terms of use as the table knows it, which session_cache_use
 * compares each session's accepted version with. terms_seen tells it a version read from the
 * store; the table keeps the highest it was told: versions only go up (`guichetd terms`
 * refuses a lower one), so a reading that arrives late never brings an older one back. */
void session_cache_terms_seen(struct session_cache *c, int version);

/* New terms reach live sessions: `guichetd terms`, another process, writes the version in
 * the store, and every SESSION_TERMS_EVERY_MS a job on a reader of w reads it again into the
 * table (a thread of its own waits between readings). watch_stop (which does nothing when
 * it did not start) must come before w stops. watch_start: ST_OK or ST_INTERNAL. */
#define SESSION_TERMS_EVERY_MS 1000
int session_cache_watch_start(struct session_cache *c, struct work *w) WUR;
void session_cache_watch_stop(struct session_cache *c);

/* The session of a stored row and its user as they are now (store.h): false when the row is
 * a sign-in waiting for a second factor the user has turned off since (to be dropped). */
bool session_of_rows(const struct session_row *row, const struct user_auth *ua,
                     struct session *out);

/* The session of a stored row, its user read from st (session_of_rows): ST_OK with *found
 * false when the user is gone or the row is to be dropped, else the store's status. */
int session_load(struct store *st, const struct session_row *row, struct session *out, bool *found);

/* On a database several servers share (app.shared), each request's session is read from the
 * store, then told to this table before session_cache_use: stored, the session as it is
 * there (session_of_rows), replaces this table's copy of it but for when it was last seen,
 * which stays this server's when later; NULL (none stored: ended, signed out or taken over on
 * another server) removes it. */
void session_cache_sync(struct session_cache *c, const unsigned char token_hash[32],
                        const struct session *stored);

/* Finds the session of a token hash at now_us. A session idle for more than idle_us, or older
 * than max_us, is ended here (removed; *ended set). Otherwise its last_seen_at becomes now_us
 * (not a disconnected one's: its last use stays the disconnect), *out receives a copy, and
 * *persist tells whether the store should hear of it (once a minute); out->next is its next
 * sign-in step at now_us with the current terms version. Returns ST_OK or ST_AUTH. */
int session_cache_use(struct session_cache *c, const unsigned char token_hash[32], int64_t now_us,
                      int64_t idle_us, int64_t max_us, struct session *out, bool *persist,
                      bool *ended);

/* The live session of a user, if any (ST_OK, copied to *out) or ST_NOTFOUND; a sign-in
 * waiting for its second factor is none. */
int session_cache_of_user(struct session_cache *c, int64_t brand_id, int64_t user_id,
                          struct session *out);

/* The session of a token hash, if still here, is disconnected (disconnected true) or resumed
 * (false) as the store recorded it: its last use becomes at_us, and when csrf_hash is not
 * NULL (a resume) its CSRF token's hash this one. */
void session_cache_set_disconnected(struct session_cache *c, const unsigned char token_hash[32],
                                    bool disconnected, int64_t at_us,
                                    const unsigned char *csrf_hash);

/* Removes the sessions of a user, live and waiting. */
void session_cache_remove_user(struct session_cache *c, int64_t brand_id, int64_t user_id);
/* Removes the one session of a token hash (a sign-out ends that session only). */
void session_cache_remove(struct session_cache *c, const unsigned char token_hash[32]);
/* Records in a user's sessions, if they have any, a password changed at at_us, or the
 * version of the terms they accepted. Each changes only its own step, so two answers arriving
 * in any order leave both done. */
void session_cache_password_changed(struct session_cache *c, int64_t brand_id, int64_t user_id,
                                    int64_t at_us);
void session_cache_terms_accepted(struct session_cache *c, int64_t brand_id, int64_t user_id,
                                  int version);
/* A user's sign-in waiting for the second factor, if any, no longer waits (an administrator
 * removed it) and becomes the user's session, their live one ending (the step given goes
 * through session_cache_put, new tokens and all). */
void session_cache_second_factor_done(struct session_cache *c, int64_t brand_id, int64_t user_id);
/* Records in a user's sessions whether they have a second factor on now (turned on or off,
 * by them or an administrator), and in every session of a brand whether its account requires
 * one: the step of setting one up comes or goes at their next request. */
void session_cache_factor_set(struct session_cache *c, int64_t brand_id, int64_t user_id,
                              bool has_factor);
void session_cache_factor_required(struct session_cache *c, int64_t brand_id, bool required);
/* Sets the name, e-mail and time zone of a user's sessions, if any (after an edit). */
void session_cache_set_user(struct session_cache *c, int64_t brand_id, int64_t user_id,
                            const char *name, const char *email, const char *time_zone);

#endif
