/*
 * sessions.c - the in-memory session table (sessions.h): a hash table on the token hash,
 * one mutex, held for a look-up or a change only; the rule of the next sign-in step; and the
 * watcher that keeps the terms version fresh.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/password.h"
#include "http/sessions.h"
#include "work/work.h"

#define BUCKETS          4096
#define PERSIST_EVERY_US (60 * CAL_US_PER_S)

struct entry {
	struct entry *next;
	struct session s;
};

/* The terms watcher: its thread, and its reading while a reader has it. */
struct terms_watch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool started;
	bool stop;
	bool busy; /* a reading is with a reader */
	struct work *w;
};

struct session_cache {
	pthread_mutex_t lock;
	struct entry *bucket[BUCKETS];
	atomic_int terms_version; /* the highest seen; read without the lock by every request */
	struct terms_watch watch;
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
	return steps->terms_accepted < terms_version ? NEXT_ACCEPT_TERMS : NEXT_NONE;
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

/* Unlinks and frees the entries of a user. Called with the lock held. */
static void
remove_user_locked(struct session_cache *c, int64_t brand_id, int64_t user_id)
{
	for (size_t i = 0; i < BUCKETS; i++) {
		struct entry **pp = &c->bucket[i];

		while (*pp != NULL) {
			struct entry *e = *pp;

			if (e->s.brand_id == brand_id && e->s.user_id == user_id) {
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
	remove_user_locked(c, s->brand_id, s->user_id);
	e->next = c->bucket[b];
	c->bucket[b] = e;
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
	for (pp = &c->bucket[bucket_of(token_hash)]; (e = *pp) != NULL; pp = &e->next) {
		if (crypto_equal(e->s.token_hash, token_hash, 32))
			break;
	}
	if (e != NULL) {
		if (now_us - e->s.last_seen_at > idle_us || now_us - e->s.created_at > max_us) {
			*out = e->s;
			*pp = e->next;
			entry_free(e);
			*ended = true;
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

/* The entry of a user, with the lock held; NULL when none. */
static struct entry *
find_user_locked(struct session_cache *c, int64_t brand_id, int64_t user_id)
{
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct entry *e = c->bucket[i]; e != NULL; e = e->next)
			if (e->s.brand_id == brand_id && e->s.user_id == user_id)
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
	e = find_user_locked(c, brand_id, user_id);
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
	remove_user_locked(c, brand_id, user_id);
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_password_changed(struct session_cache *c, int64_t brand_id, int64_t user_id,
                               int64_t at_us)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = find_user_locked(c, brand_id, user_id);
	if (e != NULL) {
		e->s.steps.must_change = false;
		e->s.steps.password_set_at = at_us;
	}
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_terms_accepted(struct session_cache *c, int64_t brand_id, int64_t user_id,
                             int version)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = find_user_locked(c, brand_id, user_id);
	if (e != NULL && version > e->s.steps.terms_accepted)
		e->s.steps.terms_accepted = version;
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_second_factor_done(struct session_cache *c, int64_t brand_id, int64_t user_id)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = find_user_locked(c, brand_id, user_id);
	if (e != NULL)
		e->s.steps.second_factor = SF_NONE;
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_set_user(struct session_cache *c, int64_t brand_id, int64_t user_id, const char *name,
                       const char *email, const char *time_zone)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = find_user_locked(c, brand_id, user_id);
	if (e != NULL) {
		snprintf(e->s.name, sizeof(e->s.name), "%s", name);
		snprintf(e->s.email, sizeof(e->s.email), "%s", email);
		snprintf(e->s.time_zone, sizeof(e->s.time_zone), "%s", time_zone);
	}
	pthread_mutex_unlock(&c->lock);
}

/* --- the terms version ------------------------------------------------------------------- */

void
session_cache_terms_seen(struct session_cache *c, int version)
{
	int known = atomic_load(&c->terms_version);

	while (version > known && !atomic_compare_exchange_weak(&c->terms_version, &known, version))
		;
}

struct terms_job {
	struct work_job work;
	struct session_cache *c;
};

static int
terms_job_run(struct work_job *w, struct store *st)
{
	struct terms_job *j = (struct terms_job *)w;
	int version = 0;
	int rc = st->ops->terms_version(st, &version);

	if (rc == ST_OK)
		session_cache_terms_seen(j->c, version);
	return rc;
}

static void
terms_job_deliver(struct work_job *w)
{
	struct terms_job *j = (struct terms_job *)w;
	struct terms_watch *tw = &j->c->watch;

	if (w->rc != ST_OK && w->rc != ST_BUSY)
		log_error("event=terms_version_read_failed rc=%d", w->rc);
	pthread_mutex_lock(&tw->lock);
	tw->busy = false;
	pthread_cond_signal(&tw->wake);
	pthread_mutex_unlock(&tw->lock);
	free(j);
}

static void *
terms_watch_main(void *arg)
{
	struct session_cache *c = arg;
	struct terms_watch *tw = &c->watch;
	struct timespec until;

	pthread_mutex_lock(&tw->lock);
	while (!tw->stop) {
		if (!tw->busy) {
			struct terms_job *j = calloc(1, sizeof(*j));

			if (j == NULL)
				abort();
			j->c = c;
			j->work.run = terms_job_run;
			j->work.deliver = terms_job_deliver;
			tw->busy = true;
			if (work_submit_read(tw->w, &j->work) != ST_OK) {
				tw->busy = false; /* a full queue: the next round reads it */
				free(j);
			}
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SESSION_TERMS_EVERY_MS / 1000;
		until.tv_nsec += (SESSION_TERMS_EVERY_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!tw->stop &&
		       pthread_cond_timedwait(&tw->wake, &tw->lock, &until) != ETIMEDOUT)
			;
	}
	/* A reading still out is delivered before the readers stop; it must find us here. */
	while (tw->busy)
		pthread_cond_wait(&tw->wake, &tw->lock);
	pthread_mutex_unlock(&tw->lock);
	return NULL;
}

int
session_cache_watch_start(struct session_cache *c, struct work *w)
{
	struct terms_watch *tw = &c->watch;

	pthread_mutex_init(&tw->lock, NULL);
	pthread_cond_init(&tw->wake, NULL);
	tw->w = w;
	if (pthread_create(&tw->thread, NULL, terms_watch_main, c) != 0) {
		pthread_mutex_destroy(&tw->lock);
		pthread_cond_destroy(&tw->wake);
		return ST_INTERNAL;
	}
	tw->started = true;
	return ST_OK;
}

void
session_cache_watch_stop(struct session_cache *c)
{
	struct terms_watch *tw;

	if (c == NULL || !c->watch.started)
		return;
	tw = &c->watch;
	pthread_mutex_lock(&tw->lock);
	tw->stop = true;
	pthread_cond_signal(&tw->wake);
	pthread_mutex_unlock(&tw->lock);
	pthread_join(tw->thread, NULL);
	pthread_mutex_destroy(&tw->lock);
	pthread_cond_destroy(&tw->wake);
	tw->started = false;
}
