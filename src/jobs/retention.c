/*
 * retention.c - the retention job (retention.h): its rounds on the writer (work/periodic.h).
 */
#include "jobs/retention.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "domain/calendar.h"
#include "domain/retention.h"

struct purge_job {
	struct periodic_job head;
	int keys, errors; /* rows deleted */
	int cards;        /* transactions whose card data was erased */
	int mails;        /* failed mails whose sealed body was wiped */
	int hosted;       /* the hosted page's expired challenges (sealed cards) and replay rows */
	int notices;      /* notifications to merchants' servers done long ago, with attempts */
};

/* One batch: idempotency keys first, then error log entries with what the batch has left;
 * then card data, a budget of its own: erasing rewrites a transaction's row, a heavier write
 * than a delete of a small row, so fewer of them go in one transaction. */
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
	if (rc == ST_OK)
		rc = st->ops->txn_card_purge(st, now, LIMIT_RETENTION_CARDS, &j->cards);
	/* A failed mail's body is kept for an administrator's retry only (README "Mail"). */
	if (rc == ST_OK)
		rc = st->ops->mail_failed_wipe(st, now - LIMIT_MAIL_FAILED_KEEP_S * CAL_US_PER_S,
		                               LIMIT_RETENTION_BATCH, &j->mails);
	/* An abandoned 3-D Secure challenge's sealed card goes once it expired; a request's
	 * replay memory once its time can no longer be accepted (LIMIT_HOSTED_WINDOW_S). */
	if (rc == ST_OK)
		rc = st->ops->hosted_purge(st, now, now - 2 * LIMIT_HOSTED_WINDOW_S * CAL_US_PER_S,
		                           LIMIT_RETENTION_BATCH, &j->hosted);
	/* A notification's delivery log, once its days are over (domain/retention.h). */
	if (rc == ST_OK)
		rc = st->ops->notify_purge(st, retention_notify_cutoff(now), LIMIT_RETENTION_BATCH,
		                           &j->notices);
	return rc;
}

static bool
purge_done(struct work_job *w)
{
	struct purge_job *j = (struct purge_job *)w;

	if (w->rc != ST_OK)
		log_error("event=retention_failed rc=%d", w->rc);
	else if (j->keys + j->errors + j->cards + j->mails + j->hosted + j->notices > 0)
		log_info("event=retention idempotency_keys=%d api_errors=%d cards_erased=%d "
		         "mail_bodies_wiped=%d hosted_rows=%d notifications=%d",
		         j->keys, j->errors, j->cards, j->mails, j->hosted, j->notices);
	return w->rc == ST_OK &&
	       (j->keys + j->errors >= LIMIT_RETENTION_BATCH || j->cards >= LIMIT_RETENTION_CARDS ||
	        j->mails >= LIMIT_RETENTION_BATCH || j->hosted >= LIMIT_RETENTION_BATCH ||
	        j->notices >= LIMIT_RETENTION_BATCH);
}

int
retention_start(struct work *w, int every_s, struct periodic **out)
{
	struct periodic_spec spec = {
	        .job_size = sizeof(struct purge_job),
	        .run = purge_run,
	        .done = purge_done,
	        .every_ms = (int64_t)every_s * 1000,
	        .pause_ms = RETENTION_PAUSE_MS,
	        .name = "retention",
	        .once = true,
	};

	return periodic_start(w, &spec, out);
}
