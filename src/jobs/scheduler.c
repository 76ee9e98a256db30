/*
 * scheduler.c - the daily télécollecte of guichetd serve (scheduler.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "acquirer/acquirer.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "domain/calendar.h"
#include "jobs/scheduler.h"
#include "service/outbox.h"
#include "service/reconcile.h"
#include "service/recurring.h"
#include "service/settlement.h"

#define CHECK_EVERY_S     20
#define RECONCILE_EVERY_S 5  /* the return files' look in the spool */
#define OVERDUE_EVERY_S   60 /* the 7-day rule's (a write transaction: not every look) */

struct scheduler {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool stop; /* also read by a recurring round, between two of its transactions */
	struct store *st;
	char bank_dir[4096];
	char returns_dir[4096]; /* the acquirer's return files (service/reconcile.h) */
	int64_t reconcile_next; /* when the next reconciliation round is due */
	int64_t overdue_since;  /* the 7-day rule's cutoff of the last round; 0: none yet */
	int64_t overdue_next;   /* when the 7-day rule is due again */
	int minute;             /* of the télécollecte; -1: none */
	int64_t last_day;       /* the last day settled by this process */
	const struct crypto_keys *keys;
	int64_t recurring_every_us; /* 0: no recurring round */
	int64_t recurring_next;     /* when the next round is due */
	/* The metrics' rounds: the télécollecte's, the recurring payments'; NULL when off. */
	struct metrics_job *settlement_job, *recurring_job, *reconcile_job;
};

/* The reconciliation's round (service/reconcile.h): the return files whose day has come,
 * imported from the spool, every 5 s; then the 7-day rule on the batches sent since its
 * last cutoff (all of them at the first), at start and every minute. Returns how long to
 * wait before the next, in µs. */
static int64_t
maybe_reconcile(struct scheduler *s, int64_t wait)
{
	struct reconcile_spool_result res = {0};
	int64_t now = clock_now_us(), marked = 0, until = 0;
	int rc;

	if (now < s->reconcile_next)
		return s->reconcile_next - now < wait ? s->reconcile_next - now : wait;
	s->reconcile_next = now + RECONCILE_EVERY_S * CAL_US_PER_S;
	rc = s->st->ops->lead(s->st, "reconciliation");
	if (rc == ST_BUSY)
		return RECONCILE_EVERY_S * CAL_US_PER_S < wait ? RECONCILE_EVERY_S * CAL_US_PER_S
		                                               : wait;
	if (rc == ST_OK)
		rc = reconcile_spool_run(s->st, s->returns_dir, now, &res);
	if (rc == ST_OK && now >= s->overdue_next) {
		rc = reconcile_overdue(s->st, s->overdue_since, now, &marked, &until);
		if (rc == ST_OK) {
			s->overdue_since = until;
			s->overdue_next = now + OVERDUE_EVERY_S * CAL_US_PER_S;
		}
	}
	metrics_job_round(s->reconcile_job, rc == ST_OK);
	if (rc != ST_OK)
		log_error("event=reconcile_round_failed rc=%d hint=\"tried again at the next "
		          "round\"",
		          rc);
	else if (res.imported + res.refused + marked > 0)
		log_info("event=reconcile_round imported=%d already=%d refused=%d waiting=%d "
		         "overdue=%lld",
		         res.imported, res.already, res.refused, res.waiting, (long long)marked);
	return RECONCILE_EVERY_S * CAL_US_PER_S < wait ? RECONCILE_EVERY_S * CAL_US_PER_S : wait;
}

/* The recurring payments' round of today, when its time has come. Returns how long to wait
 * before the next, in µs (at most the wait given). */
static int64_t
maybe_recur(struct scheduler *s, int64_t wait)
{
	struct recurring_round_result res;
	int64_t now = clock_now_us();
	int64_t day = cal_business_day(now);
	int rc;

	if (s->recurring_every_us == 0)
		return wait;
	if (now < s->recurring_next)
		return s->recurring_next - now < wait ? s->recurring_next - now : wait;
	rc = s->st->ops->lead(s->st, "recurring");
	if (rc == ST_BUSY) { /* another server of the cluster runs the rounds */
		s->recurring_next = now + s->recurring_every_us;
		return s->recurring_every_us < wait ? s->recurring_every_us : wait;
	}
	if (rc == ST_OK)
		rc = recurring_round(s->st, s->keys, &acquirer_simulator, day, 0, &s->stop, &res);
	metrics_job_round(s->recurring_job, rc == ST_OK);
	if (rc == ST_OK)
		log_info("event=recurring_round day=%lld debits=%lld accepted=%lld refused=%lld "
		         "finished=%lld failed=%lld",
		         (long long)day, (long long)res.debits, (long long)res.accepted,
		         (long long)res.refused, (long long)res.finished, (long long)res.failed);
	else
		log_error("event=recurring_round_failed day=%lld rc=%d hint=\"tried again at the "
		          "next round\"",
		          (long long)day, rc);
	s->recurring_next = clock_now_us() + s->recurring_every_us;
	return s->recurring_every_us < wait ? s->recurring_every_us : wait;
}

/* Runs the day's télécollecte when its Paris time has come and this process has not run it
 * yet. Returns how long to wait before the next look, in µs: until the next run is due, at
 * most CHECK_EVERY_S (the clock may move under it: a pinned clock, NTP). */
static int64_t
maybe_run(struct scheduler *s)
{
	int64_t now = clock_now_us();
	int64_t day = cal_business_day(now);
	/* The Paris wall time on that day: 22:00 is 20:00 UTC on the spring day, 21:00 on the
	 * autumn one (calendar.h), not 22:00 after the day's start. */
	int64_t due = cal_business_time(day, s->minute * 60);
	int64_t wait = maybe_reconcile(s, maybe_recur(s, CHECK_EVERY_S * CAL_US_PER_S));
	int rc;

	if (s->minute < 0)
		return wait;
	if (day == s->last_day)
		due = cal_business_time(day + 1, s->minute * 60);
	if (now < due)
		return due - now < wait ? due - now : wait;
	/* Another server of the cluster runs it: asked again at each look, this one takes it
	 * over (and finds what is left to do) when that one stops. */
	rc = s->st->ops->lead(s->st, "settlement");
	if (rc == ST_BUSY)
		return wait;
	if (rc == ST_OK) {
		log_info("event=settlement_start day=%lld", (long long)day);
		rc = settlement_run(s->st, day, now, s->bank_dir, s->returns_dir, 0, NULL);
	}
	metrics_job_round(s->settlement_job, rc == ST_OK);
	if (rc == ST_OK) {
		s->last_day = day;
		log_info("event=settlement_done day=%lld", (long long)day);
	} else {
		log_error("event=settlement_failed day=%lld rc=%d hint=\"tried again shortly\"",
		          (long long)day, rc);
	}
	return wait;
}

static void *
scheduler_main(void *arg)
{
	struct scheduler *s = arg;
	struct timespec until;
	bool stop = false;

	while (!stop) {
		int64_t wait_us = maybe_run(s);

		clock_gettime(CLOCK_REALTIME, &until);
		wait_us += until.tv_nsec / 1000;
		until.tv_sec += (time_t)(wait_us / 1000000);
		until.tv_nsec = (long)(wait_us % 1000000) * 1000;
		pthread_mutex_lock(&s->lock);
		if (!s->stop)
			pthread_cond_timedwait(&s->wake, &s->lock, &until);
		stop = s->stop;
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

int
scheduler_start(const char *db_path, const char *spool_dir, int minute_of_day,
                int recurring_every_s, const struct crypto_keys *keys, struct scheduler **out)
{
	struct scheduler *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		abort();
	*out = NULL;
	rc = store_open(db_path, true, &s->st);
	if (rc != ST_OK) {
		free(s);
		return rc;
	}
	outbox_sealer_set(s->st, keys); /* the daily report mails */
	snprintf(s->bank_dir, sizeof(s->bank_dir), "%s/bank", spool_dir);
	snprintf(s->returns_dir, sizeof(s->returns_dir), "%s/returns", spool_dir);
	s->minute = minute_of_day;
	s->keys = keys;
	s->recurring_every_us = (int64_t)recurring_every_s * CAL_US_PER_S;
	s->settlement_job = minute_of_day >= 0 ? metrics_job_register("settlement") : NULL;
	s->recurring_job = recurring_every_s > 0 ? metrics_job_register("recurring") : NULL;
	s->reconcile_job = metrics_job_register("reconciliation");
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_create(&s->thread, NULL, scheduler_main, s);
	pthread_setname_np(s->thread, "scheduler");
	*out = s;
	return ST_OK;
}

void
scheduler_stop(struct scheduler *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	store_close(s->st);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
}
