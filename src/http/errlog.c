/*
 * errlog.c - the gathered error log of errlog.h: an open-addressed table of entries keyed by
 * brand, shop, minute, method, path, status, code and member, swapped out under its lock by a round
 * on the writer (work/periodic.h), which then writes each entry with its count.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/log.h"
#include "domain/api_error.h"
#include "domain/calendar.h"
#include "http/errlog.h"
#include "work/periodic.h"

#define MINUTE_US (60 * CAL_US_PER_S)

struct entry {
	bool used;
	int64_t brand_id, shop_id, since, at, count;
	int http_status;
	char method[8], path[128], code[40], field[API_ERROR_FIELD_MAX + 1];
};

struct errlog {
	pthread_mutex_t lock;
	struct entry *table; /* LIMIT_API_ERROR_PENDING entries */
	size_t n;            /* used */
	int64_t dropped;
	struct work *w;
	struct periodic *rounds;
};

struct errlog *
errlog_new(void)
{
	struct errlog *e = calloc(1, sizeof(*e));

	if (e == NULL)
		abort();
	e->table = calloc(LIMIT_API_ERROR_PENDING, sizeof(*e->table));
	if (e->table == NULL)
		abort();
	pthread_mutex_init(&e->lock, NULL);
	return e;
}

void
errlog_free(struct errlog *e)
{
	if (e == NULL)
		return;
	pthread_mutex_destroy(&e->lock);
	free(e->table);
	free(e);
}

/* FNV-1a over the fields that make an entry's key. */
static uint64_t
key_hash(const struct entry *k)
{
	uint64_t h = 1469598103934665603ULL;
	const void *parts[] = {&k->brand_id, &k->shop_id, &k->since, &k->http_status};
	const size_t sizes[] = {sizeof(k->brand_id), sizeof(k->shop_id), sizeof(k->since),
	                        sizeof(k->http_status)};
	const char *texts[] = {k->method, k->path, k->code, k->field};

	for (size_t i = 0; i < 4; i++)
		for (size_t b = 0; b < sizes[i]; b++)
			h = (h ^ ((const unsigned char *)parts[i])[b]) * 1099511628211ULL;
	for (size_t i = 0; i < 4; i++)
		for (const char *p = texts[i]; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static bool
key_equal(const struct entry *a, const struct entry *b)
{
	return a->brand_id == b->brand_id && a->shop_id == b->shop_id && a->since == b->since &&
	       a->http_status == b->http_status && strcmp(a->method, b->method) == 0 &&
	       strcmp(a->path, b->path) == 0 && strcmp(a->code, b->code) == 0 &&
	       strcmp(a->field, b->field) == 0;
}

/* Counts k in its entry, or in a new one while the table has room (a tenth is kept free so
 * that probes stay short, and for the '*' entries). With the lock held. */
static bool
count_locked(struct errlog *e, const struct entry *k, size_t room)
{
	size_t i = key_hash(k) % LIMIT_API_ERROR_PENDING;

	for (;;) {
		struct entry *slot = &e->table[i];

		if (!slot->used) {
			if (e->n >= room)
				return false;
			*slot = *k;
			slot->used = true;
			slot->count = 1;
			e->n++;
			return true;
		}
		if (key_equal(slot, k)) {
			slot->count++;
			if (k->at > slot->at)
				slot->at = k->at;
			return true;
		}
		i = (i + 1) % LIMIT_API_ERROR_PENDING;
	}
}

void
errlog_add(struct errlog *e, int64_t brand_id, int64_t shop_id, int64_t now, const char *method,
           const char *path, int http_status, const char *code, const char *field)
{
	struct entry k = {0};

	k.brand_id = brand_id;
	k.shop_id = shop_id;
	k.since = now - now % MINUTE_US;
	k.at = now;
	k.http_status = http_status;
	snprintf(k.method, sizeof(k.method), "%s", method);
	snprintf(k.path, sizeof(k.path), "%s", path);
	snprintf(k.code, sizeof(k.code), "%s", code);
	snprintf(k.field, sizeof(k.field), "%s", field != NULL ? field : "");
	pthread_mutex_lock(&e->lock);
	if (!count_locked(e, &k, LIMIT_API_ERROR_PENDING * 8 / 10)) {
		snprintf(k.method, sizeof(k.method), "*");
		snprintf(k.path, sizeof(k.path), "*");
		k.field[0] = '\0';
		if (!count_locked(e, &k, LIMIT_API_ERROR_PENDING * 9 / 10))
			e->dropped++;
	}
	pthread_mutex_unlock(&e->lock);
}

/* On the writer: takes the table's entries (the loops go on counting in an empty one) and
 * writes them, each with its count, in this round's transaction. */
static int
flush_run(struct work_job *w, struct store *st)
{
	struct errlog *e = ((struct periodic_job *)w)->arg;
	struct entry *taken, *fresh;
	int64_t dropped;
	bool empty;
	int rc = ST_OK;

	pthread_mutex_lock(&e->lock);
	empty = e->n == 0 && e->dropped == 0;
	pthread_mutex_unlock(&e->lock);
	if (empty)
		return ST_OK; /* the usual second: nothing refused */
	fresh = calloc(LIMIT_API_ERROR_PENDING, sizeof(*fresh));
	if (fresh == NULL)
		abort();
	pthread_mutex_lock(&e->lock);
	taken = e->table;
	e->table = fresh;
	e->n = 0;
	dropped = e->dropped;
	e->dropped = 0;
	pthread_mutex_unlock(&e->lock);
	if (dropped > 0)
		log_warn("event=api_errors_dropped count=%lld", (long long)dropped);
	for (size_t i = 0; i < LIMIT_API_ERROR_PENDING && rc == ST_OK; i++) {
		const struct entry *x = &taken[i];
		struct api_error row = {
		        .brand_id = x->brand_id,
		        .shop_id = x->shop_id,
		        .since = x->since,
		        .at = x->at,
		        .method = x->method,
		        .path = x->path,
		        .http_status = x->http_status,
		        .code = x->code,
		        .count = x->count,
		        .field = x->field,
		};

		if (x->used)
			rc = st->ops->api_error_add(st, &row, LIMIT_API_ERROR_ROWS);
	}
	free(taken);
	return rc;
}

static bool
flush_done(struct work_job *w)
{
	if (w->rc != ST_OK && w->rc != ST_BUSY)
		log_error("event=api_errors_write_failed rc=%d", w->rc);
	return false;
}

int
errlog_start(struct errlog *e, struct work *w)
{
	struct periodic_spec spec = {
	        .read = false,
	        .job_size = sizeof(struct periodic_job),
	        .run = flush_run,
	        .done = flush_done,
	        .every_ms = LIMIT_API_ERROR_FLUSH_MS,
	        .arg = e,
	        .name = "errlog",
	};

	e->w = w;
	return periodic_start(w, &spec, &e->rounds);
}

/* The last writing, after the rounds stopped: a job of its own, waited for. */
struct last_job {
	struct periodic_job head; /* first: flush_run's view */
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool delivered;
};

static void
last_deliver(struct work_job *w)
{
	struct last_job *j = (struct last_job *)w;

	pthread_mutex_lock(&j->lock);
	j->delivered = true;
	pthread_cond_signal(&j->done);
	pthread_mutex_unlock(&j->lock);
}

void
errlog_stop(struct errlog *e)
{
	struct last_job j = {0};

	if (e == NULL || e->rounds == NULL)
		return;
	periodic_stop(e->rounds);
	e->rounds = NULL;
	j.head.arg = e;
	j.head.work.run = flush_run;
	j.head.work.deliver = last_deliver;
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.done, NULL);
	if (work_submit_write(e->w, &j.head.work) == ST_OK) {
		pthread_mutex_lock(&j.lock);
		while (!j.delivered)
			pthread_cond_wait(&j.done, &j.lock);
		pthread_mutex_unlock(&j.lock);
		flush_done(&j.head.work);
	}
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.done);
}
