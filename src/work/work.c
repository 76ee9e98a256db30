/*
 * work.c - the writer thread (group commit) and the reader pool of work.h.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/limits.h"
#include "common/log.h"
#include "work/work.h"

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct work_job *head, *tail;
	size_t n;
	bool stopping;
};

struct reader {
	pthread_t thread;
	struct store *st;
	struct work *w;
};

struct work {
	struct queue wq, rq;
	pthread_t writer;
	struct store *wst;
	struct reader *readers;
	int nreaders;
};

static void
queue_init(struct queue *q)
{
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->ready, NULL);
	q->head = q->tail = NULL;
	q->n = 0;
	q->stopping = false;
}

static int
queue_push(struct queue *q, struct work_job *job)
{
	int rc = ST_OK;

	job->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->stopping || q->n >= LIMIT_QUEUE) {
		rc = ST_BUSY;
	} else {
		if (q->tail)
			q->tail->next = job;
		else
			q->head = job;
		q->tail = job;
		q->n++;
		pthread_cond_signal(&q->ready);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* Takes up to max jobs as a list; NULL once the queue is stopping and empty. */
static struct work_job *
queue_take(struct queue *q, size_t max, size_t *n)
{
	struct work_job *first, *last;

	pthread_mutex_lock(&q->lock);
	while (q->head == NULL && !q->stopping)
		pthread_cond_wait(&q->ready, &q->lock);
	first = q->head;
	*n = 0;
	if (first != NULL) {
		last = first;
		*n = 1;
		while (*n < max && last->next != NULL) {
			last = last->next;
			(*n)++;
		}
		q->head = last->next;
		if (q->head == NULL)
			q->tail = NULL;
		last->next = NULL;
		q->n -= *n;
	}
	pthread_mutex_unlock(&q->lock);
	return first;
}

static void
queue_stop(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->ready);
	pthread_mutex_unlock(&q->lock);
}

static void
deliver_all(struct work_job *list, int rc_override)
{
	struct work_job *job, *next;

	for (job = list; job != NULL; job = next) {
		next = job->next; /* deliver may free the job */
		if (rc_override != ST_OK)
			job->rc = rc_override;
		job->deliver(job);
	}
}

/* One group: one transaction, a savepoint per job, one commit. */
static void
writer_group(struct store *st, struct work_job *list)
{
	const struct store_ops *ops = st->ops;
	int rc;

	rc = ops->begin(st, true);
	if (rc != ST_OK) {
		deliver_all(list, ST_STORE);
		return;
	}
	for (struct work_job *job = list; job != NULL; job = job->next) {
		if (ops->savepoint(st) != ST_OK) {
			job->rc = ST_STORE;
			continue;
		}
		job->rc = job->run(job, st);
		if (job->rc == ST_OK) {
			if (ops->release(st) != ST_OK)
				job->rc = ST_STORE;
		} else {
			ops->rollback_to(st);
		}
	}
	rc = ops->commit(st);
	if (rc != ST_OK) {
		ops->rollback(st);
		log_error("event=group_commit_failed");
	}
	deliver_all(list, rc == ST_OK ? ST_OK : ST_STORE);
}

static void *
writer_main(void *arg)
{
	struct work *w = arg;
	struct work_job *list;
	size_t n;

	while ((list = queue_take(&w->wq, LIMIT_GROUP_COMMIT, &n)) != NULL)
		writer_group(w->wst, list);
	return NULL;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct work_job *job;
	size_t n;

	while ((job = queue_take(&r->w->rq, 1, &n)) != NULL) {
		if (r->st->ops->begin(r->st, false) != ST_OK) {
			job->rc = ST_STORE;
		} else {
			job->rc = job->run(job, r->st);
			r->st->ops->rollback(r->st); /* read-only: ending it is enough */
		}
		job->deliver(job);
	}
	return NULL;
}

int
work_start(struct store *st, const char *db_path, int nreaders, struct work **out)
{
	struct work *w = calloc(1, sizeof(*w));
	int rc = ST_OK;

	if (w == NULL)
		abort();
	queue_init(&w->wq);
	queue_init(&w->rq);
	w->wst = st;
	w->readers = calloc((size_t)nreaders, sizeof(*w->readers));
	if (w->readers == NULL)
		abort();
	for (int i = 0; i < nreaders; i++) {
		w->readers[i].w = w;
		rc = store_open(db_path, false, &w->readers[i].st);
		if (rc != ST_OK)
			break;
		w->nreaders = i + 1;
	}
	if (rc == ST_OK)
		pthread_create(&w->writer, NULL, writer_main, w);
	if (rc != ST_OK) {
		for (int i = 0; i < w->nreaders; i++)
			store_close(w->readers[i].st);
		free(w->readers);
		free(w);
		store_close(st);
		*out = NULL;
		return rc;
	}
	for (int i = 0; i < w->nreaders; i++)
		pthread_create(&w->readers[i].thread, NULL, reader_main, &w->readers[i]);
	*out = w;
	return ST_OK;
}

int
work_submit_write(struct work *w, struct work_job *job)
{
	return queue_push(&w->wq, job);
}

int
work_submit_read(struct work *w, struct work_job *job)
{
	return queue_push(&w->rq, job);
}

void
work_stop(struct work *w)
{
	if (w == NULL)
		return;
	queue_stop(&w->rq);
	queue_stop(&w->wq);
	for (int i = 0; i < w->nreaders; i++) {
		pthread_join(w->readers[i].thread, NULL);
		store_close(w->readers[i].st);
	}
	pthread_join(w->writer, NULL);
	store_close(w->wst);
	free(w->readers);
	free(w);
}
