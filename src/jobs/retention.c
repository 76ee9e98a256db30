/*
 * retention.c - the retention job (retention.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "domain/calendar.h"
#include "jobs/retention.h"

struct retention {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool busy; /* a batch is with the writer */
	bool more; /* the last batch was full: go again after a pause */
	int every_s;
	struct work *w;
};

struct purge_job {
	struct work_job work;
	struct retention *r;
	int keys, errors; /* rows deleted */
};

/* One batch: idempotency keys first, then error log entries with what the batch has left. */
static int
purge_run(struct work_job *w, struct store *st)
{
	struct purge_job *j = (struct purge_job *)w;
	int64_t now = clock_now_us();
	int rc;

	rc = st->ops->idem_purge(st, now - LIMIT_IDEMPOTENCY_KEEP_S * CAL_US_PER_S,
	                         LIMIT_RETENTION_BATCH, &j->keys);
	if (rc == ST_OK && j->keys < LIMIT_RETENTION_BATCH)
		rc = st->ops->api_error_purge(st, now - LIMIT_API_ERROR_KEEP_S * CAL_US_PER_S,
		                              LIMIT_RETENTION_BATCH - j->keys, &j->errors);
	return rc;
}

static void
purge_deliver(struct work_job *w)
{
	struct purge_job *j = (struct purge_job *)w;
	struct retention *r = j->r;

	if (w->rc != ST_OK)
		log_error("event=retention_failed rc=%d", w->rc);
	else if (j->keys + j->errors > 0)
		log_info("event=retention idempotency_keys=%d api_errors=%d", j->keys, j->errors);
	pthread_mutex_lock(&r->lock);
	r->busy = false;
	r->more = w->rc == ST_OK && j->keys + j->errors >= LIMIT_RETENTION_BATCH;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	free(j);
}

/* Waits on r->wake (lock held) until stop or ms milliseconds from now. */
static void
nap(struct retention *r, int64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT)
		;
}

static void *
retention_main(void *arg)
{
	struct retention *r = arg;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		struct purge_job *j = calloc(1, sizeof(*j));

		if (j == NULL)
			abort();
		j->r = r;
		j->work.run = purge_run;
		j->work.deliver = purge_deliver;
		r->busy = true;
		r->more = false;
		if (work_submit_write(r->w, &j->work) != ST_OK) {
			r->busy = false; /* the writer is full or stopping: the next round */
			free(j);
		}
		while (r->busy)
			pthread_cond_wait(&r->wake, &r->lock);
		/* Behind: the next batch after a pause, so that payments keep most of the writer. */
		nap(r, r->more ? RETENTION_PAUSE_MS : (int64_t)r->every_s * 1000);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int
retention_start(struct work *w, int every_s, struct retention **out)
{
	struct retention *r = calloc(1, sizeof(*r));

	if (r == NULL)
		abort();
	*out = NULL;
	r->w = w;
	r->every_s = every_s;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, retention_main, r) != 0) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		free(r);
		return ST_INTERNAL;
	}
	*out = r;
	return ST_OK;
}

void
retention_stop(struct retention *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
}
