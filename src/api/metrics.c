/*
 * metrics.c - GET /metrics, the Prometheus text exposition (format 0.0.4; README "Metrics"):
 * the requests by route and status with their latency (http/metrics.h), the payments decided
 * and the pending ones' ends (service/payments.h), the writer's transactions and the queues
 * and read connections of work.h, the background jobs' rounds and lag (common/metrics.h), and
 * the outboxes' depth.
 *
 * The loop only hands a job to a reader: the outboxes are counted there on its read
 * connection, and the text is written there too, so a scrape never holds an event loop up.
 * Who may ask is the route's (AUTH_OPERATOR, server.c). Nothing here names a card, a key, a
 * token or a session: the labels are routes' patterns, statuses and fixed words.
 */
#include <stdlib.h>

#include "api/api.h"
#include "common/limits.h"
#include "common/metrics.h"
#include "domain/txn.h"
#include "http/metrics.h"
#include "service/payments.h"

struct scrape {
	struct http_job http; /* first */
	struct app *app;
	struct buf out;
};

/* The payments decided by result and origin, then the pending ones' ends by result. */
static void
payments_write(struct buf *out)
{
	static const enum txn_status decided[] = {TXS_ACCEPTED, TXS_REFUSED, TXS_PENDING};
	static const enum txn_status ended[] = {TXS_ACCEPTED, TXS_REFUSED, TXS_ABANDONED};

	metrics_family(out, "guichet_payments_decided_total", "counter",
	               "Payments recorded, by result (accepted, refused, or pending: the issuer "
	               "answers later) and origin; counted once their transaction committed.");
	for (size_t i = 0; i < sizeof(decided) / sizeof(decided[0]); i++)
		for (int o = 0; o < ORIGIN__COUNT; o++)
			metrics_sample(out, "guichet_payments_decided_total",
			               (struct metrics_label[]){
			                       {"result", txn_status_name(decided[i])},
			                       {"origin", txn_origin_name((enum txn_origin)o)}},
			               2, store_tally_total(PAYMENT_TALLY_DECIDED(decided[i], o)),
			               1);
	metrics_family(out, "guichet_payments_pending_ended_total", "counter",
	               "Pending payments ended, by result: the issuer's answer (accepted, "
	               "refused), or none within the days allowed (abandoned).");
	for (size_t i = 0; i < sizeof(ended) / sizeof(ended[0]); i++)
		metrics_sample(out, "guichet_payments_pending_ended_total",
		               &(struct metrics_label){"result", txn_status_name(ended[i])}, 1,
		               store_tally_total(PAYMENT_TALLY_ENDED(ended[i])), 1);
}

/* The writer's transactions, the queues and the read connections. */
static void
work_write(struct buf *out, struct work *w)
{
	struct work_stats ws;

	work_stats(w, &ws);
	metrics_family(out, "guichet_work_queue_jobs", "gauge",
	               "Jobs waiting for the writer, a reader, or a hasher (Argon2id).");
	metrics_sample(out, "guichet_work_queue_jobs", &(struct metrics_label){"queue", "writer"},
	               1, ws.writer_queue, 1);
	metrics_sample(out, "guichet_work_queue_jobs", &(struct metrics_label){"queue", "readers"},
	               1, ws.reader_queue, 1);
	metrics_sample(out, "guichet_work_queue_jobs", &(struct metrics_label){"queue", "hashers"},
	               1, ws.hasher_queue, 1);
	metrics_family(out, "guichet_db_pool_connections", "gauge",
	               "The database's read connections, a thread each: the readers, the hashers.");
	metrics_sample(out, "guichet_db_pool_connections",
	               &(struct metrics_label){"pool", "readers"}, 1, (uint64_t)ws.readers, 1);
	metrics_sample(out, "guichet_db_pool_connections",
	               &(struct metrics_label){"pool", "hashers"}, 1, (uint64_t)ws.hashers, 1);
	metrics_family(out, "guichet_db_pool_busy", "gauge",
	               "Read connections running a job now (this scrape's reader included).");
	metrics_sample(out, "guichet_db_pool_busy", &(struct metrics_label){"pool", "readers"}, 1,
	               (uint64_t)ws.readers_busy, 1);
	metrics_sample(out, "guichet_db_pool_busy", &(struct metrics_label){"pool", "hashers"}, 1,
	               (uint64_t)ws.hashers_busy, 1);
	metrics_family(out, "guichet_writer_group_size", "histogram",
	               "Jobs in one transaction of the writer (group commit).");
	metrics_histo_write(out, "guichet_writer_group_size", NULL, 0, &ws.group_size,
	                    &work_group_bounds);
	metrics_family(out, "guichet_writer_commit_seconds", "histogram",
	               "Seconds a commit of the writer took (its fsync).");
	metrics_histo_write(out, "guichet_writer_commit_seconds", NULL, 0, &ws.commit_us,
	                    &work_commit_bounds);
	metrics_family(out, "guichet_writer_groups_failed_total", "counter",
	               "Transactions of the writer that failed: none of their jobs was recorded.");
	metrics_sample(out, "guichet_writer_groups_failed_total", NULL, 0, ws.groups_failed, 1);
}

static void
outbox_write(struct buf *out, const struct outbox_depth *d)
{
	metrics_family(out, "guichet_outbox_pending", "gauge",
	               "Mails and notifications to merchants' servers still to deliver (neither "
	               "delivered nor failed).");
	metrics_sample(out, "guichet_outbox_pending", &(struct metrics_label){"outbox", "mail"}, 1,
	               (uint64_t)d->mail_pending, 1);
	metrics_sample(out, "guichet_outbox_pending",
	               &(struct metrics_label){"outbox", "notification"}, 1,
	               (uint64_t)d->notify_pending, 1);
	metrics_family(
	        out, "guichet_outbox_due", "gauge",
	        "Of those, the ones whose next attempt is due: waiting for the mailer or the "
	        "notifier.");
	metrics_sample(out, "guichet_outbox_due", &(struct metrics_label){"outbox", "mail"}, 1,
	               (uint64_t)d->mail_due, 1);
	metrics_sample(out, "guichet_outbox_due", &(struct metrics_label){"outbox", "notification"},
	               1, (uint64_t)d->notify_due, 1);
}

/* On a reader: the outboxes counted on its connection, then every family written. A failed
 * count leaves its families out (the storage error is logged) rather than the scrape. */
static int
scrape_run(struct work_job *w, struct store *st)
{
	struct scrape *j = (struct scrape *)w;
	struct outbox_depth d;
	int rc = st->ops->outbox_depth(st, clock_now_us(), &d);

	buf_init(&j->out, LIMIT_METRICS_BYTES);
	http_metrics_write(j->app->requests, &j->out);
	payments_write(&j->out);
	work_write(&j->out, j->app->work);
	metrics_jobs_write(&j->out, clock_mono_us());
	if (rc == ST_OK)
		outbox_write(&j->out, &d);
	return j->out.failed ? ST_TOOBIG : ST_OK;
}

static void
scrape_respond(struct http_job *job, struct req *r)
{
	struct scrape *j = (struct scrape *)job;

	if (job->work.rc != ST_OK) {
		http_reply_error(r, job->work.rc == ST_TOOBIG ? ST_INTERNAL : job->work.rc, NULL,
		                 NULL);
		return;
	}
	http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", j->out.data,
	                j->out.len);
}

static void
scrape_free(struct http_job *job)
{
	struct scrape *j = (struct scrape *)job;

	buf_cleanup(&j->out);
	free(j);
}

int
api_metrics(struct req *r)
{
	struct scrape *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->http.work.run = scrape_run;
	j->http.respond = scrape_respond;
	j->http.free = scrape_free;
	j->app = r->app;
	return http_submit_or_reply(r, &j->http, false);
}
