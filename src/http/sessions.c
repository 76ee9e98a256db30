/*
 * sessions.c - the in-memory session table (sessions.h): a hash table on the token hash,
 * one mutex, held for a look-up or a change only; the rule of the next sign-in step; and the
 * watcher that keeps the terms version fresh.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/password.h"
#include "http/sessions.h"
#include "work/periodic.h"

#define BUCKETS          4096
#define PERSIST_EVERY_US (60 * CAL_US_PER_S)

struct entry {
	struct entry *next;
	struct session s;
};

struct session_cache {
	pthread_mutex_t lock;
	struct entry *bucket[BUCKETS];
	atomic_int terms_version; /* the highest seen; read without the lock by every request */
	struct periodic *watch;   /* the terms watcher's readings */
};

const char *
next_step_name(enum next_step n)
{
	switch (n) {
	case NEXT_CHANGE_PASSWORD:
		return "change_password";
	case NEXT_ACCEPT_TERMS:
		return "accept_terms";
	case NEXT_SECOND_FACTOR:
		return "second_factor";
	case NEXT_SET_UP_SECOND_FACTOR:
		return "set_up_second_factor";
	case NEXT_NONE:
		break;
	}
	return NULL;
}

const char *
second_factor_name(enum second_factor_method m)
{
	switch (m) {
	case SF_TOTP:
		return "totp";
	case SF_EMAIL:
		return "email";
	case SF_NONE:
		break;
	}
	return NULL;
}

enum next_step
session_next_step(const struct session_steps *steps, int terms_version, int64_t now_us)
{
	if (steps->second_factor != SF_NONE)
		return NEXT_SECOND_FACTOR;
	if (steps->must_change || password_expired(steps->password_set_at, now_us))
		return NEXT_CHANGE_PASSWORD;
	if (steps->terms_accepted < terms_version)
		return NEXT_ACCEPT_TERMS;
	return steps->factor_required && !steps->has_factor ? NEXT_SET_UP_SECOND_FACTOR : NEXT_NONE;
}

int64_t
session_usable_until(int64_t created_at, int64_t last_seen_at, int64_t idle_us, int64_t max_us)
{
	int64_t idle_end = last_seen_at + idle_us, life_end = created_at + max_us;

	return idle_end < life_end ? idle_end : life_end;
}

static size_t
bucket_of(const unsigned char token_hash[32])
{
	uint32_t h;

	memcpy(&h, token_hash, sizeof(h)); /* the hash of a random token: already uniform */
	return h % BUCKETS;
}

struct session_cache *
session_cache_new(void)
{
	struct session_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	pthread_mutex_init(&c->lock, NULL);
	atomic_init(&c->terms_version, 0);
	return c;
}

static void
entry_free(struct entry *e)
{
	crypto_wipe(e, sizeof(*e));
	free(e);
}

void
session_cache_free(struct session_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct entry *e, *next;

		for (e = c->bucket[i]; e != NULL; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Which of a user's sessions an operation is about. */
enum which { ANY, LIVE, WAITING };

static bool
is_waiting(const struct session *s)
{
	return s->steps.second_factor != SF_NONE;
}

static bool
matches(const struct entry *e, int64_t brand_id, int64_t user_id, enum which which)
{
	return e->s.brand_id == brand_id && e->s.user_id == user_id &&
	       (which == ANY || (which == WAITING) == is_waiting(&e->s));
}

/* Unlinks and frees the entries of a user (which of them). Called with the lock held. */
static void
remove_user_locked(struct session_cache *c, int64_t brand_id, int64_t user_id, enum which which)
{
	for (size_t i = 0; i < BUCKETS; i++) {
		struct entry **pp = &c->bucket[i];

		while (*pp != NULL) {
			struct entry *e = *pp;

			if (matches(e, brand_id, user_id, which)) {
				*pp = e->next;
				entry_free(e);
			} else {
				pp = &e->next;
			}
		}
	}
}

void
session_cache_put(struct session_cache *c, const struct session *s)
{
	struct entry *e = calloc(1, sizeof(*e));
	size_t b = bucket_of(s->token_hash);

	if (e == NULL)
		abort();
	e->s = *s;
	pthread_mutex_lock(&c->lock);
	remove_user_locked(c, s->brand_id, s->user_id, is_waiting(s) ? WAITING : ANY);
	e->next = c->bucket[b];
	c->bucket[b] = e;
	pthread_mutex_unlock(&c->lock);
}

bool
session_of_rows(const struct session_row *row, const struct user_auth *ua, struct session *out)
{
	struct session *s = out;

	memset(s, 0, sizeof(*s));
	s->id = row->id;
	s->brand_id = row->brand_id;
	s->user_id = row->user_id;
	s->node_id = ua->u.node_id;
	s->profile = ua->u.profile;
	/* What the user did of the sign-in steps: each request computes what is left from it
	 * with the current terms version (session_next_step). */
	s->steps.must_change = ua->u.must_change;
	s->steps.password_set_at = ua->password_set_at;
	s->steps.terms_accepted = ua->terms_version;
	s->steps.factor_required = ua->second_factor_required;
	s->steps.has_factor = ua->second_factor != SF_NONE;
	/* A sign-in still waiting for its second factor waits on, apart from the user's session
	 * (the method as the user has it now). One whose method the user turned off since is
	 * dropped: it would end their session (an administrator's turning it off made it the
	 * session already). */
	if (row->second_factor_pending) {
		s->steps.second_factor = ua->second_factor;
		if (ua->second_factor == SF_NONE)
			return false;
	}
	memcpy(s->login, ua->u.login, sizeof(s->login));
	memcpy(s->name, ua->u.name, sizeof(s->name));
	memcpy(s->email, ua->u.email, sizeof(s->email));
	memcpy(s->device, row->device, sizeof(s->device));
	memcpy(s->time_zone, ua->time_zone, sizeof(s->time_zone));
	memcpy(s->token_hash, row->token_hash, sizeof(s->token_hash));
	memcpy(s->csrf_hash, row->csrf_hash, sizeof(s->csrf_hash));
	s->created_at = row->created_at;
	s->last_seen_at = s->persisted_at = row->last_seen_at;
	s->disconnected = row->disconnected;
	s->env_brand_id = row->env_brand_id;
	s->env_node_id = row->env_node_id;
	return true;
}

void
session_enter_env(struct session *s)
{
	s->user_brand_id = s->brand_id;
	s->user_node_id = s->node_id;
	if (s->env_brand_id != 0) {
		s->brand_id = s->env_brand_id;
		s->node_id = s->env_node_id;
	}
}

struct session
session_as_user(const struct session *s)
{
	struct session u = *s;

	if (u.user_brand_id != 0) {
		u.brand_id = u.user_brand_id;
		u.node_id = u.user_node_id;
	}
	return u;
}

const char *
session_env_name(const struct session *s)
{
	return s->env_brand_id != 0 ? "test" : "production";
}

int
session_load(struct store *st, const struct session_row *row, struct session *out, bool *found)
{
	struct user_auth ua;
	int rc = st->ops->user_get(st, row->brand_id, row->user_id, &ua);

	*found = false;
	if (rc != ST_OK)
		return rc == ST_NOTFOUND ? ST_OK : rc;
	*found = session_of_rows(row, &ua, out);
	crypto_wipe(&ua, sizeof(ua));
	return ST_OK;
}

/* The entry of a token hash, with the lock held; *at: the link to it. NULL when none. */
static struct entry *
find_locked(struct session_cache *c, const unsigned char token_hash[32], struct entry ***at)
{
	struct entry **pp, *e;

	for (pp = &c->bucket[bucket_of(token_hash)]; (e = *pp) != NULL; pp = &e->next)
		if (crypto_equal(e->s.token_hash, token_hash, 32))
			break;
	*at = pp;
	return e;
}

void
session_cache_sync(struct session_cache *c, const unsigned char token_hash[32],
                   const struct session *stored)
{
	struct entry **pp, *e, *put = NULL;
	size_t b = bucket_of(token_hash);

	if (stored != NULL) {
		put = calloc(1, sizeof(*put));
		if (put == NULL)
			abort();
		put->s = *stored;
	}
	pthread_mutex_lock(&c->lock);
	e = find_locked(c, token_hash, &pp);
	if (e != NULL) {
		/* This server's own readings of the session's use are the fresher, but for a
		 * disconnected session's: its last use is the disconnect, as stored. */
		if (put != NULL && !put->s.disconnected && e->s.last_seen_at > put->s.last_seen_at)
			put->s.last_seen_at = e->s.last_seen_at;
		if (put != NULL && e->s.persisted_at > put->s.persisted_at)
			put->s.persisted_at = e->s.persisted_at;
		*pp = e->next;
		entry_free(e);
	}
	if (put != NULL) {
		remove_user_locked(c, put->s.brand_id, put->s.user_id,
		                   is_waiting(&put->s) ? WAITING : ANY);
		put->next = c->bucket[b];
		c->bucket[b] = put;
	}
	pthread_mutex_unlock(&c->lock);
}

int
session_cache_use(struct session_cache *c, const unsigned char token_hash[32], int64_t now_us,
                  int64_t idle_us, int64_t max_us, struct session *out, bool *persist, bool *ended)
{
	struct entry **pp, *e;
	int terms, rc = ST_AUTH;

	*persist = *ended = false;
	terms = atomic_load(&c->terms_version);
	pthread_mutex_lock(&c->lock);
	e = find_locked(c, token_hash, &pp);
	if (e != NULL) {
		if (now_us >
		    session_usable_until(e->s.created_at, e->s.last_seen_at, idle_us, max_us)) {
			*out = e->s;
			*pp = e->next;
			entry_free(e);
			*ended = true;
		} else if (e->s.disconnected) {
			*out = e->s; /* its resume only (server.c): no use to record */
			out->next = session_next_step(&e->s.steps, terms, now_us);
			rc = ST_OK;
		} else {
			e->s.last_seen_at = now_us;
			if (now_us - e->s.persisted_at >= PERSIST_EVERY_US) {
				e->s.persisted_at = now_us;
				*persist = true;
			}
			*out = e->s;
			out->next = session_next_step(&e->s.steps, terms, now_us);
			rc = ST_OK;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
session_cache_set_disconnected(struct session_cache *c, const unsigned char token_hash[32],
                               bool disconnected, int64_t at_us, const unsigned char *csrf_hash)
{
	struct entry **pp, *e;

	pthread_mutex_lock(&c->lock);
	e = find_locked(c, token_hash, &pp);
	if (e != NULL) {
		e->s.disconnected = disconnected;
		e->s.last_seen_at = e->s.persisted_at = at_us;
		if (csrf_hash != NULL)
			memcpy(e->s.csrf_hash, csrf_hash, sizeof(e->s.csrf_hash));
	}
	pthread_mutex_unlock(&c->lock);
}

/* The entry of a user (which one), with the lock held; NULL when none. */
static struct entry *
find_user_locked(struct session_cache *c, int64_t brand_id, int64_t user_id, enum which which)
{
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct entry *e = c->bucket[i]; e != NULL; e = e->next)
			if (matches(e, brand_id, user_id, which))
				return e;
	return NULL;
}

int
session_cache_of_user(struct session_cache *c, int64_t brand_id, int64_t user_id,
                      struct session *out)
{
	struct entry *e;
	int rc = ST_NOTFOUND;

	pthread_mutex_lock(&c->lock);
	e = find_user_locked(c, brand_id, user_id, LIVE);
	if (e != NULL) {
		*out = e->s;
		rc = ST_OK;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
session_cache_remove_user(struct session_cache *c, int64_t brand_id, int64_t user_id)
{
	pthread_mutex_lock(&c->lock);
	remove_user_locked(c, brand_id, user_id, ANY);
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_remove(struct session_cache *c, const unsigned char token_hash[32])
{
	struct entry **pp, *e;

	pthread_mutex_lock(&c->lock);
	e = find_locked(c, token_hash, &pp);
	if (e != NULL) {
		*pp = e->next;
		entry_free(e);
	}
	pthread_mutex_unlock(&c->lock);
}

/* Calls fn on every session of a user, live and waiting (at most one of each), with the lock
 * held. */
static void
each_of_user(struct session_cache *c, int64_t brand_id, int64_t user_id,
             void (*fn)(struct session *s, const void *arg), const void *arg)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct entry *e = c->bucket[i]; e != NULL; e = e->next)
			if (matches(e, brand_id, user_id, ANY))
				fn(&e->s, arg);
	pthread_mutex_unlock(&c->lock);
}

static void
password_changed(struct session *s, const void *arg)
{
	s->steps.must_change = false;
	s->steps.password_set_at = *(const int64_t *)arg;
}

void
session_cache_password_changed(struct session_cache *c, int64_t brand_id, int64_t user_id,
                               int64_t at_us)
{
	each_of_user(c, brand_id, user_id, password_changed, &at_us);
}

static void
terms_accepted(struct session *s, const void *arg)
{
	int version = *(const int *)arg;

	if (version > s->steps.terms_accepted)
		s->steps.terms_accepted = version;
}

void
session_cache_terms_accepted(struct session_cache *c, int64_t brand_id, int64_t user_id,
                             int version)
{
	each_of_user(c, brand_id, user_id, terms_accepted, &version);
}

static void
factor_set(struct session *s, const void *arg)
{
	s->steps.has_factor = *(const bool *)arg;
}

void
session_cache_factor_set(struct session_cache *c, int64_t brand_id, int64_t user_id,
                         bool has_factor)
{
	each_of_user(c, brand_id, user_id, factor_set, &has_factor);
}

void
session_cache_factor_required(struct session_cache *c, int64_t brand_id, bool required)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct entry *e = c->bucket[i]; e != NULL; e = e->next)
			if (e->s.brand_id == brand_id)
				e->s.steps.factor_required = required;
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_second_factor_done(struct session_cache *c, int64_t brand_id, int64_t user_id)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	if (find_user_locked(c, brand_id, user_id, WAITING) != NULL) {
		remove_user_locked(c, brand_id, user_id, LIVE);
		e = find_user_locked(c, brand_id, user_id, WAITING);
		e->s.steps.second_factor = SF_NONE;
	}
	pthread_mutex_unlock(&c->lock);
}

struct user_fields {
	const char *name, *email, *time_zone;
};

static void
set_user(struct session *s, const void *arg)
{
	const struct user_fields *f = arg;

	snprintf(s->name, sizeof(s->name), "%s", f->name);
	snprintf(s->email, sizeof(s->email), "%s", f->email);
	snprintf(s->time_zone, sizeof(s->time_zone), "%s", f->time_zone);
}

void
session_cache_set_user(struct session_cache *c, int64_t brand_id, int64_t user_id, const char *name,
                       const char *email, const char *time_zone)
{
	struct user_fields f = {name, email, time_zone};

	each_of_user(c, brand_id, user_id, set_user, &f);
}

/* --- the terms version ------------------------------------------------------------------- */

void
session_cache_terms_seen(struct session_cache *c, int version)
{
	int known = atomic_load(&c->terms_version);

	while (version > known && !atomic_compare_exchange_weak(&c->terms_version, &known, version))
		;
}

/* A reading: its arg is the table. */
static int
terms_job_run(struct work_job *w, struct store *st)
{
	struct periodic_job *j = (struct periodic_job *)w;
	int version = 0;
	int rc = st->ops->terms_version(st, &version);

	if (rc == ST_OK)
		session_cache_terms_seen(j->arg, version);
	return rc;
}

int
session_cache_watch_start(struct session_cache *c, struct work *w)
{
	return periodic_watch(w, terms_job_run, c, SESSION_TERMS_EVERY_MS, "terms_watch",
	                      &c->watch);
}

void
session_cache_watch_stop(struct session_cache *c)
{
	if (c == NULL)
		return;
	periodic_stop(c->watch);
	c->watch = NULL;
}
