/*
 * periodic.h - a thread of its own that hands one job at a time to the writer or to a reader,
 * waits for it to come back, then naps before the next: the background jobs' rounds (the
 * indexer, the retention job, the HMAC key expiry job) and the terms watcher of
 * http/sessions.c. It owns the thread, the lock, the condition, the nap and the stop.
 *
 * A round goes at the start, then every_ms after the previous one came back, or pause_ms
 * after it when the job says it was full (it is behind: the next batch soon, but after a
 * pause so that payments queued meanwhile keep most of the writer). A round the queue refuses
 * (full or stopping) is tried again at the next one.
 *
 * Not a scheduler of dates (jobs/scheduler.c) nor a thread with a connection of its own
 * (jobs/mailer.c): what it hands over runs on the workers of work.h.
 */
#ifndef GUICHET_PERIODIC_H
#define GUICHET_PERIODIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "work/work.h"

struct periodic;

/* The head of every round's job: a job type embeds it first and adds what its round needs. */
struct periodic_job {
	struct work_job work; /* first: what the worker is given */
	struct periodic *p;
	void *arg;          /* the spec's arg */
	bool led_elsewhere; /* set by the round of a job another server leads (spec.once) */
};

struct periodic_spec {
	bool read;       /* on a reader; else on the writer */
	size_t job_size; /* of the job type, sizeof(struct periodic_job) or more */
	/* Runs the round on the worker (work_job.run): job is a zeroed job of job_size bytes. */
	int (*run)(struct work_job *job, struct store *st);
	/* On the worker once the round is back, job->rc set: tells what it did (the log), and
	 * returns true when the round was full, for the next one after pause_ms. */
	bool (*done)(struct work_job *job);
	int64_t every_ms; /* 1 or more */
	int64_t pause_ms; /* after a full round */
	void *arg;        /* given to each job */
	/* The job's name in the metrics (common/metrics.h: its rounds, the failed ones, the time
	 * since the last); a constant string. NULL: not counted. */
	const char *name;
	/* A job of the whole cluster (the retention, the expiry …), not of each server: on a
	 * database several servers share, a round runs only on the one that leads the job
	 * (store_ops.lead, by its name); the others' rounds do nothing until it stops. */
	bool once;
};

/* Starts the rounds on w, which must outlive them; spec is copied. ST_OK or ST_INTERNAL. */
int periodic_start(struct work *w, const struct periodic_spec *spec, struct periodic **out) WUR;

/* The rounds of a watcher: a reading on a reader every every_ms, which keeps this server's
 * memory in step with what the database says (the terms version, on a database several
 * servers share the keys and templates others change). A failed reading is logged
 * (event=watch_failed job=name) and tried again at the next round. ST_OK or ST_INTERNAL. */
int periodic_watch(struct work *w, int (*run)(struct work_job *job, struct store *st), void *arg,
                   int64_t every_ms, const char *name, struct periodic **out) WUR;

/* Stops the rounds (a round with the workers is delivered first: call it before work_stop)
 * and frees p; NULL does nothing. */
void periodic_stop(struct periodic *p);

#endif
