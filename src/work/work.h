/*
 * work.h - blocking work handed off the event loops (DESIGN.md "Threads"):
 *  - one writer thread owns the only writing connection; it drains its queue in groups of up
 *    to LIMIT_GROUP_COMMIT jobs, runs each in its own savepoint of one transaction, commits
 *    once (one fsync for the group), and only then hands each job back;
 *  - a pool of reader threads, each with its own read connection (WAL: readers never block);
 *  - a pool of hashers for Argon2id (passwords, HMAC key passphrases): the same as a reader,
 *    with its own read connection, but on its own small bounded queue and at a lower CPU
 *    priority, so that a flood of sign-ins, each about 0.1 s of CPU and 64 MiB, neither waits
 *    in front of the reads nor takes more than LIMIT_HASHERS cores and their memory.
 *
 * A job waiting for a reader or a hasher whose requester went away (job->gone) is dropped
 * when its turn comes: it is not run, and delivered with ST_BUSY. The writer runs every job.
 *
 * Not the HTTP layer: a job says how it is handed back through its deliver callback, which
 * runs on the worker thread and must only pass the job on (h2o's multithread queue).
 */
#ifndef GUICHET_WORK_H
#define GUICHET_WORK_H

#include <stdbool.h>

#include "common/metrics.h"
#include "common/status.h"
#include "store/store.h"

struct work;

struct work_job {
	struct work_job *next; /* queue link, owned by work.c while queued */
	/* Runs on a worker thread inside a transaction (a savepoint for writes). Returns ST_OK to
	 * keep what it wrote; anything else rolls its writes back. */
	int (*run)(struct work_job *job, struct store *st);
	/* Called once, on the worker thread, after the commit (or the failure) with job->rc set. */
	void (*deliver)(struct work_job *job);
	/* NULL, or whether whoever waits for the job went away; asked on the reader or hasher
	 * just before it would run the job (never by the writer). */
	bool (*gone)(struct work_job *job);
	/* Its run reads many rows once (an export's page): the reader's connection runs it
	 * with a small page cache (store_ops.scan). */
	bool scan;
	int rc; /* run's result; ST_STORE when the commit failed; ST_BUSY when dropped */
};

/* Starts the writer on the connection st (taken: work_stop closes it), nreaders readers and
 * LIMIT_HASHERS hashers, each opening db_path read-only. Returns ST_OK or ST_STORE. */
int work_start(struct store *st, const char *db_path, int nreaders, struct work **out) WUR;

/* Queues a job for the writer, a reader or a hasher (a job that runs Argon2id). The job is
 * owned by the queue until deliver. Returns ST_OK, or ST_BUSY when the queue is full
 * (LIMIT_QUEUE; LIMIT_HASH_QUEUE for the hashers) or stopping (the job is then not run and
 * not delivered). */
int work_submit_write(struct work *w, struct work_job *job) WUR;
int work_submit_read(struct work *w, struct work_job *job) WUR;
int work_submit_hash(struct work *w, struct work_job *job) WUR;

/* What the metrics read of w (api/metrics.c): the jobs waiting for the writer, the readers and
 * the hashers; the readers and hashers (the database's read connections) and how many run a
 * job now; the writer's transactions: jobs in each (work_group_bounds), how long each commit
 * took in microseconds (work_commit_bounds), and the transactions that failed (nothing of
 * their jobs recorded). */
struct work_stats {
	size_t writer_queue, reader_queue, hasher_queue;
	int readers, hashers;
	int readers_busy, hashers_busy;
	struct metrics_histo_read group_size, commit_us;
	uint64_t groups_failed;
};
extern const struct metrics_bounds work_group_bounds, work_commit_bounds;

/* Fills *out from w, now; any thread (the queues' locks are held a moment each). */
void work_stats(struct work *w, struct work_stats *out);

/* Refuses new jobs, runs and delivers every queued one, joins the threads, closes the
 * connections, frees w. NULL does nothing. */
void work_stop(struct work *w);

#endif
