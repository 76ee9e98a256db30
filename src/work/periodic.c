/*
 * periodic.c - the rounds of periodic.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/metrics.h"
#include "work/periodic.h"

struct periodic {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool busy; /* a round is with the workers */
	bool more; /* the last round was full: the next after a pause */
	struct periodic_spec spec;
	struct work *w;
	struct metrics_job *metrics; /* NULL: not counted */
};

/* The round of a job of the cluster: its own, when this server leads the job. */
static int
round_run_once(struct work_job *w, struct store *st)
{
	struct periodic_job *j = (struct periodic_job *)w;
	int rc = st->ops->lead(st, j->p->spec.name);

	if (rc == ST_BUSY) {
		j->led_elsewhere = true;
		return ST_OK;
	}
	return rc == ST_OK ? j->p->spec.run(w, st) : rc;
}

static void
round_deliver(struct work_job *w)
{
	struct periodic_job *j = (struct periodic_job *)w;
	struct periodic *p = j->p;
	bool full = false;

	if (!j->led_elsewhere)
		full = p->spec.done(w);
	metrics_job_round(p->metrics, w->rc == ST_OK); /* led elsewhere: this server's is fine */
	pthread_mutex_lock(&p->lock);
	p->busy = false;
	p->more = full;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	free(j);
}

/* Waits on p->wake (lock held) until stop or ms milliseconds from now. */
static void
nap(struct periodic *p, int64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!p->stop && pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
		;
}

static void *
periodic_main(void *arg)
{
	struct periodic *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct periodic_job *j = calloc(1, p->spec.job_size);
		int rc;

		if (j == NULL)
			abort();
		j->p = p;
		j->arg = p->spec.arg;
		j->work.run = p->spec.once ? round_run_once : p->spec.run;
		j->work.deliver = round_deliver;
		p->busy = true;
		p->more = false;
		rc = p->spec.read ? work_submit_read(p->w, &j->work)
		                  : work_submit_write(p->w, &j->work);
		if (rc != ST_OK) {
			p->busy = false; /* the queue is full or stopping: the next round */
			free(j);
		}
		/* The workers deliver every job they took, even when they stop: the round comes
		 * back before this thread may end, and it must find it here. */
		while (p->busy)
			pthread_cond_wait(&p->wake, &p->lock);
		nap(p, p->more ? p->spec.pause_ms : p->spec.every_ms);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int
periodic_start(struct work *w, const struct periodic_spec *spec, struct periodic **out)
{
	struct periodic *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	*out = NULL;
	p->w = w;
	p->spec = *spec;
	p->metrics = metrics_job_register(spec->name);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	if (pthread_create(&p->thread, NULL, periodic_main, p) != 0) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->wake);
		free(p);
		return ST_INTERNAL;
	}
	if (spec->name != NULL) /* a name over 15 bytes leaves the thread unnamed */
		pthread_setname_np(p->thread, spec->name);
	*out = p;
	return ST_OK;
}

static bool
watch_done(struct work_job *w)
{
	struct periodic_job *j = (struct periodic_job *)w;

	if (w->rc != ST_OK && w->rc != ST_BUSY)
		log_error("event=watch_failed job=%s rc=%d", j->p->spec.name, w->rc);
	return false;
}

int
periodic_watch(struct work *w, int (*run)(struct work_job *job, struct store *st), void *arg,
               int64_t every_ms, const char *name, struct periodic **out)
{
	struct periodic_spec spec = {
	        .read = true,
	        .job_size = sizeof(struct periodic_job),
	        .run = run,
	        .done = watch_done,
	        .every_ms = every_ms,
	        .arg = arg,
	        .name = name,
	};

	return periodic_start(w, &spec, out);
}

void
periodic_stop(struct periodic *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p);
}
