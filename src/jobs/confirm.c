/*
 * confirm.c - the pending payments' issuers asked again (confirm.h): rounds on the writer
 * (work/periodic.h).
 */
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "domain/calendar.h"
#include "jobs/confirm.h"
#include "service/notify.h"
#include "service/payments.h"

struct round_job {
	struct periodic_job head;
	struct pending_auth rows[CONFIRM_BATCH];
	int n; /* rows read */
};

static int
row_take(void *arg, const struct pending_auth *p)
{
	struct round_job *j = arg;

	if (j->n < CONFIRM_BATCH)
		j->rows[j->n++] = *p;
	return ST_OK;
}

/* One pending payment at now: abandoned when its issuer is too late, decided when it
 * answered, else asked again when the connector says. */
static int
row_run(const struct confirm_config *cfg, struct store *st, const struct pending_auth *p,
        int64_t now)
{
	struct acq_answer ans;
	struct txn t;
	int rc;

	memset(&ans, 0, sizeof(ans));
	if (txn_pending_abandoned(p->asked_at, now)) {
		rc = payment_abandon(st, p, now, &t);
	} else if (cfg->acq->confirm != NULL &&
	           cfg->acq->confirm(p->acq_ref, p->asked_at, now, &ans)) {
		rc = payment_confirm(st, p, &ans, now, &t);
	} else {
		return st->ops->pending_later(st, p->brand_id, p->txn_id,
		                              now + (ans.ask_after_s > 0 ? ans.ask_after_s : 60) *
		                                              CAL_US_PER_S);
	}
	if (rc == ST_CONFLICT)
		return ST_OK; /* decided otherwise meanwhile: its row is gone */
	if (rc == ST_OK)
		rc = notify_pending_answer(st, cfg->keys, &t, p, now);
	if (rc == ST_INVALID) {
		/* A URL or a PBX_RETOUR the request passed and this one refuses: the answer is
		 * kept, untold, rather than asked again forever. */
		log_warn("event=pending_not_notified txn=%lld", (long long)t.id);
		rc = ST_OK;
	}
	if (rc == ST_OK)
		log_info("event=pending_decided txn=%lld status=%s refusal=%s", (long long)t.id,
		         txn_status_name(t.status), t.refusal ? refusal_code(t.refusal) : "none");
	return rc;
}

/* One round: the due rows (read first: the loop below writes the table the reading walks). */
static int
round_run(struct work_job *w, struct store *st)
{
	struct round_job *j = (struct round_job *)w;
	const struct confirm_config *cfg = j->head.arg;
	int64_t now = clock_now_us();
	int rc = st->ops->pending_each_due(st, now, CONFIRM_BATCH, row_take, j);

	for (int i = 0; rc == ST_OK && i < j->n; i++)
		rc = row_run(cfg, st, &j->rows[i], now);
	return rc;
}

static bool
round_done(struct work_job *w)
{
	struct round_job *j = (struct round_job *)w;

	if (w->rc != ST_OK)
		log_error("event=confirm_failed rc=%d hint=\"tried again next round\"", w->rc);
	return w->rc == ST_OK && j->n == CONFIRM_BATCH;
}

int
confirm_start(const struct confirm_config *cfg, struct work *w, struct periodic **out)
{
	struct periodic_spec spec = {
	        .job_size = sizeof(struct round_job),
	        .run = round_run,
	        .done = round_done,
	        .every_ms = CONFIRM_EVERY_S * 1000,
	        .pause_ms = 200,
	        .arg = (void *)cfg,
	        .name = "confirm",
	        .once = true,
	};

	return periodic_start(w, &spec, out);
}
