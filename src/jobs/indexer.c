/*
 * indexer.c - the search index job (indexer.h).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "jobs/indexer.h"

struct indexer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool busy; /* a batch is with the writer */
	bool more; /* the last batch was full: go again at once */
	struct work *w;
};

struct index_job {
	struct work_job work;
	struct indexer *x;
	int done;
};

static int
index_run(struct work_job *w, struct store *st)
{
	struct index_job *j = (struct index_job *)w;

	return st->ops->txn_ref_catch_up(st, INDEXER_BATCH, &j->done);
}

static void
index_deliver(struct work_job *w)
{
	struct index_job *j = (struct index_job *)w;
	struct indexer *x = j->x;

	if (w->rc != ST_OK)
		log_error("event=index_failed rc=%d", w->rc);
	pthread_mutex_lock(&x->lock);
	x->busy = false;
	x->more = w->rc == ST_OK && j->done == INDEXER_BATCH;
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
	free(j);
}

static void *
indexer_main(void *arg)
{
	struct indexer *x = arg;
	struct timespec until;

	pthread_mutex_lock(&x->lock);
	while (!x->stop) {
		if (!x->busy) {
			struct index_job *j = calloc(1, sizeof(*j));

			if (j == NULL)
				abort();
			j->x = x;
			j->work.run = index_run;
			j->work.deliver = index_deliver;
			x->busy = true;
			if (work_submit_write(x->w, &j->work) != ST_OK) {
				x->busy = false;
				free(j);
			}
		}
		/* While a batch is out, and a second between batches unless the last was full. */
		while (!x->stop && (x->busy || !x->more)) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			if (pthread_cond_timedwait(&x->wake, &x->lock, &until) != 0 && !x->busy)
				break;
		}
		/* Behind: the next batch after a pause, so that payments keep most of the writer. */
		if (x->more && !x->stop) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += INDEXER_PAUSE_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&x->wake, &x->lock, &until);
		}
		x->more = false;
	}
	/* The last batch is delivered before work_stop returns; wait for it here. */
	while (x->busy)
		pthread_cond_wait(&x->wake, &x->lock);
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

int
indexer_start(struct work *w, struct indexer **out)
{
	struct indexer *x = calloc(1, sizeof(*x));

	if (x == NULL)
		abort();
	x->w = w;
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->wake, NULL);
	if (pthread_create(&x->thread, NULL, indexer_main, x) != 0) {
		free(x);
		return ST_INTERNAL;
	}
	*out = x;
	return ST_OK;
}

void
indexer_stop(struct indexer *x)
{
	if (x == NULL)
		return;
	pthread_mutex_lock(&x->lock);
	x->stop = true;
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
	pthread_join(x->thread, NULL);
	pthread_mutex_destroy(&x->lock);
	pthread_cond_destroy(&x->wake);
	free(x);
}
