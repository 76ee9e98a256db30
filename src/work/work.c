/*
 * work.c - the writer thread (group commit), the reader pool and the hashers of work.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "work/work.h"

/* The writer's transactions: jobs in one, and how long its commit (its fsync) took. */
/* A job run at most this many times when another server's writer wins a deadlock over it. */
#define WRITER_TRIES 3

static const uint64_t group_le[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
static const uint64_t commit_le[] = {100,   250,   500,    1000,   2500,   5000,   10000,
                                     25000, 50000, 100000, 250000, 500000, 1000000};
const struct metrics_bounds work_group_bounds = {group_le, sizeof(group_le) / sizeof(group_le[0]),
                                                 1};
const struct metrics_bounds work_commit_bounds = {
        commit_le, sizeof(commit_le) / sizeof(commit_le[0]), 1000000};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct work_job *head, *tail;
	size_t n;
	size_t cap; /* jobs waiting at most */
	bool stopping;
};

/* A thread of a pool, with its own read connection. */
struct worker {
	pthread_t thread;
	struct store *st;
	struct pool *pool;
};

/* The readers, or the hashers: threads taking one job at a time from their queue. */
struct pool {
	struct queue q;
	struct worker *workers;
	int n;           /* started */
	int nice;        /* added to each thread's nice value */
	atomic_int busy; /* threads running a job now */
};

struct work {
	struct queue wq;
	struct pool readers, hashers;
	pthread_t writer;
	struct store *wst;
	/* The writer's alone, read by work_stats. */
	struct metrics_histo group_size, commit_us;
	_Atomic uint64_t groups_failed;
};

static void
queue_init(struct queue *q, size_t cap)
{
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->ready, NULL);
	q->head = q->tail = NULL;
	q->n = 0;
	q->cap = cap;
	q->stopping = false;
}

static int
queue_push(struct queue *q, struct work_job *job)
{
	int rc = ST_OK;

	job->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->stopping || q->n >= q->cap) {
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

/* Commits the open transaction, that of the jobs from first to end (excluded): when the
 * commit fails, nothing of theirs was recorded, and each fails. */
static void
group_commit(struct work *w, struct work_job *first, struct work_job *end)
{
	struct store *st = w->wst;
	int64_t start = clock_mono_us();
	int rc = st->ops->commit(st);

	metrics_observe(&w->commit_us, &work_commit_bounds, (uint64_t)(clock_mono_us() - start));
	if (rc == ST_OK)
		return;
	st->ops->rollback(st);
	atomic_fetch_add_explicit(&w->groups_failed, 1, memory_order_relaxed);
	log_error("event=group_commit_failed");
	for (struct work_job *job = first; job != end; job = job->next)
		job->rc = ST_STORE;
}

/* One group of n jobs: one transaction, a savepoint per job, one commit. */
static void
writer_group(struct work *w, struct work_job *list, size_t n)
{
	struct store *st = w->wst;
	const struct store_ops *ops = st->ops;
	struct work_job *first = list; /* the first job of the open transaction */

	metrics_observe(&w->group_size, &work_group_bounds, n);
	if (ops->begin(st, true) != ST_OK) {
		atomic_fetch_add_explicit(&w->groups_failed, 1, memory_order_relaxed);
		deliver_all(list, ST_STORE);
		return;
	}
	for (struct work_job *job = list; job != NULL; job = job->next) {
		for (int tries = 1;; tries++) {
			if (ops->savepoint(st) != ST_OK) {
				job->rc = ST_STORE;
				break;
			}
			job->rc = job->run(job, st);
			if (job->rc == ST_OK) {
				if (ops->release(st) != ST_OK)
					job->rc = ST_STORE;
				break;
			}
			ops->rollback_to(st);
			if (!ops->contended(st) || tries == WRITER_TRIES)
				break;
			/* Another server's writer and this group each held rows the other waited
			 * for (a contract, a day's statistics), and the database gave this job up:
			 * the jobs before it are committed, their rows freed, and it runs again in a
			 * transaction of its own. */
			log_warn("event=job_run_again try=%d", tries + 1);
			group_commit(w, first, job);
			first = job;
			if (ops->begin(st, true) != ST_OK) {
				for (struct work_job *rest = job; rest != NULL; rest = rest->next)
					rest->rc = ST_STORE;
				deliver_all(list, ST_OK);
				return;
			}
		}
	}
	group_commit(w, first, NULL);
	deliver_all(list, ST_OK);
}

static void *
writer_main(void *arg)
{
	struct work *w = arg;
	struct work_job *list;
	size_t n;

	while ((list = queue_take(&w->wq, LIMIT_GROUP_COMMIT, &n)) != NULL)
		writer_group(w, list, n);
	return NULL;
}

/* A reader or a hasher: one job at a time, in a read transaction of its own connection. A job
 * whose requester went away while it waited is not run: under a flood of sign-ins closed at
 * once, the hashers skip them instead of spending 0.1 s of CPU each for nobody. */
static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	struct work_job *job;
	size_t n;

	/* Linux: the nice value is per thread. Failing to lower one's priority changes nothing
	 * but the share of the CPU: go on. */
	if (wk->pool->nice != 0 && setpriority(PRIO_PROCESS, (id_t)gettid(), wk->pool->nice) != 0)
		log_warn("event=worker_nice_failed");
	while ((job = queue_take(&wk->pool->q, 1, &n)) != NULL) {
		atomic_fetch_add_explicit(&wk->pool->busy, 1, memory_order_relaxed);
		if (job->gone != NULL && job->gone(job)) {
			job->rc = ST_BUSY;
		} else if (wk->st->ops->begin(wk->st, false) != ST_OK) {
			job->rc = ST_STORE;
		} else {
			bool scan = job->scan && wk->st->ops->scan != NULL;

			if (scan)
				wk->st->ops->scan(wk->st, true);
			job->rc = job->run(job, wk->st);
			wk->st->ops->rollback(wk->st); /* read-only: ending it is enough */
			if (scan)
				wk->st->ops->scan(wk->st, false);
		}
		atomic_fetch_sub_explicit(&wk->pool->busy, 1, memory_order_relaxed);
		job->deliver(job);
	}
	return NULL;
}

/* Opens n read connections for the pool; ST_OK or ST_STORE (those opened stay in p->n). */
static int
pool_open(struct pool *p, const char *db_path, int n, size_t cap, int nice)
{
	int rc = ST_OK;

	queue_init(&p->q, cap);
	p->nice = nice;
	p->workers = calloc((size_t)n, sizeof(*p->workers));
	if (p->workers == NULL)
		abort();
	for (int i = 0; i < n; i++) {
		p->workers[i].pool = p;
		rc = store_open(db_path, false, &p->workers[i].st);
		if (rc != ST_OK)
			break;
		p->n = i + 1;
	}
	return rc;
}

/* Starts the pool's threads, each named (top -H, perf) name. */
static void
pool_start(struct pool *p, const char *name)
{
	for (int i = 0; i < p->n; i++) {
		pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]);
		pthread_setname_np(p->workers[i].thread, name);
	}
}

/* Stops a pool whose threads run (joined: each delivers what is queued first), or only
 * opened (joined is false). */
static void
pool_close(struct pool *p, bool joined)
{
	if (joined)
		queue_stop(&p->q);
	for (int i = 0; i < p->n; i++) {
		if (joined)
			pthread_join(p->workers[i].thread, NULL);
		store_close(p->workers[i].st);
	}
	free(p->workers);
}

int
work_start(struct store *st, const char *db_path, int nreaders, struct work **out)
{
	struct work *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL)
		abort();
	queue_init(&w->wq, LIMIT_QUEUE);
	w->wst = st;
	rc = pool_open(&w->readers, db_path, nreaders, LIMIT_QUEUE, 0);
	if (rc == ST_OK)
		rc = pool_open(&w->hashers, db_path, LIMIT_HASHERS, LIMIT_HASH_QUEUE,
		               LIMIT_HASH_NICE);
	if (rc != ST_OK) {
		pool_close(&w->readers, false);
		pool_close(&w->hashers, false);
		free(w);
		store_close(st);
		*out = NULL;
		return rc;
	}
	pthread_create(&w->writer, NULL, writer_main, w);
	pthread_setname_np(w->writer, "writer");
	pool_start(&w->readers, "reader");
	pool_start(&w->hashers, "hasher");
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
	return queue_push(&w->readers.q, job);
}

int
work_submit_hash(struct work *w, struct work_job *job)
{
	return queue_push(&w->hashers.q, job);
}

/* Jobs waiting in q now. */
static size_t
queue_len(struct queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->n;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void
work_stats(struct work *w, struct work_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->writer_queue = queue_len(&w->wq);
	out->reader_queue = queue_len(&w->readers.q);
	out->hasher_queue = queue_len(&w->hashers.q);
	out->readers = w->readers.n;
	out->hashers = w->hashers.n;
	out->readers_busy = atomic_load_explicit(&w->readers.busy, memory_order_relaxed);
	out->hashers_busy = atomic_load_explicit(&w->hashers.busy, memory_order_relaxed);
	metrics_histo_add(&out->group_size, &w->group_size, &work_group_bounds);
	metrics_histo_add(&out->commit_us, &w->commit_us, &work_commit_bounds);
	out->groups_failed = atomic_load_explicit(&w->groups_failed, memory_order_relaxed);
}

void
work_stop(struct work *w)
{
	if (w == NULL)
		return;
	/* The readers and hashers first: a job of theirs may go on to the writer. */
	pool_close(&w->hashers, true);
	pool_close(&w->readers, true);
	queue_stop(&w->wq);
	pthread_join(w->writer, NULL);
	store_close(w->wst);
	free(w);
}
