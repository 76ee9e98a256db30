/*
 * push_reports.c - the daily push reports' job (push_reports.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/push_report.h"
#include "jobs/push_reports.h"
#include "service/outbox.h"

#define PENDING_MAX 500 /* runs looked at in one round; the rest at the next */

struct push_reports {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool stop;
	struct store *st;
	const struct crypto_keys *keys;
	char link_base[512];
	push_build_fn build;
	int64_t every_us;
	struct metrics_job *job;
	/* A round's lists, read before anything is written. */
	struct push_sub *subs;
	size_t nsubs, capsubs;
	struct push_run *runs;
	size_t nruns;
};

/* ---- the mail ------------------------------------------------------------------------------ */

/* RFC 2045 §6.8: base64 in lines of 76 characters, each ended by CRLF. */
static void
base64_add(struct buf *b, const unsigned char *p, size_t len)
{
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	int col = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (unsigned)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		q[0] = abc[v >> 18 & 63];
		q[1] = abc[v >> 12 & 63];
		q[2] = n > 1 ? abc[v >> 6 & 63] : '=';
		q[3] = n > 2 ? abc[v & 63] : '=';
		buf_add(b, q, 4);
		col += 4;
		if (col == 76) {
			buf_adds(b, "\r\n");
			col = 0;
		}
	}
	if (col > 0)
		buf_adds(b, "\r\n");
}

/* The words of the mail, French then English (the other mails' way). */
static const struct words {
	const char *head, *attached, *link;
} words[] = {
        {"Bonjour %s,\n\nVoici le rapport des transactions du %s (fuseau horaire %s) : %lld "
         "ligne(s), structure %s, format %s.\n",
         "Il est joint à ce message.\n",
         "Il dépasse %d Kio : téléchargez-le depuis le back office, connecté, avant le %s :\n%s\n"},
        {"\nHello %s,\n\nHere is the report of the transactions of %s (time zone %s): %lld "
         "row(s), structure %s, format %s.\n",
         "It is attached to this message.\n",
         "It is larger than %d KiB: download it from the back office, signed in, before %s:\n%s\n"},
};

static void
text_add(struct buf *b, const struct user_auth *ua, const struct push_run *r, const char *day,
         const char *link, const char *until)
{
	char line[1400];

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		snprintf(line, sizeof(line), words[i].head, ua->u.name, day, ua->time_zone,
		         (long long)r->rows, r->structure, r->format);
		buf_adds(b, line);
		if (link != NULL)
			snprintf(line, sizeof(line), words[i].link, PUSH_ATTACH_MAX / 1024, until,
			         link);
		else
			snprintf(line, sizeof(line), "%s", words[i].attached);
		buf_adds(b, line);
	}
}

/* The run's mail for its report f: attached, or a link whose token's hash goes into r. */
static int
mail_make(struct push_reports *p, const struct user_auth *ua, struct push_run *r,
          const struct push_report_file *f, int64_t now, struct mail *m, struct buf *body)
{
	const struct tz *zone = tz_find(ua->time_zone);
	char day[11], name[64];

	cal_date_format(r->day, day);
	snprintf(name, sizeof(name), "transactions-%s.%s", day, f->ext);
	memset(m, 0, sizeof(*m));
	m->brand_id = ua->u.brand_id;
	m->node_id = ua->u.node_id;
	m->created_at = now;
	snprintf(m->recipient, sizeof(m->recipient), "%s", ua->u.email);
	snprintf(m->subject, sizeof(m->subject), "Guichet : rapport du %s / report of %s (%lld)",
	         day, day, (long long)r->rows);
	if (f->data.len <= PUSH_ATTACH_MAX) {
		unsigned char rnd[12];
		char boundary[48], line[400];

		crypto_random(rnd, sizeof(rnd));
		memcpy(boundary, "=_guichet_", 10);
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(boundary + 10 + 2 * i, 3, "%02x", rnd[i]);
		snprintf(m->content_type, sizeof(m->content_type),
		         "multipart/mixed; boundary=\"%s\"", boundary);
		snprintf(line, sizeof(line),
		         "This is a message in several parts (MIME).\r\n\r\n--%s\r\nContent-Type: "
		         "text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		         boundary);
		buf_adds(body, line);
		text_add(body, ua, r, day, NULL, NULL);
		snprintf(line, sizeof(line),
		         "\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: "
		         "attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		         boundary, f->type, name, name);
		buf_adds(body, line);
		base64_add(body, (const unsigned char *)f->data.data, f->data.len);
		snprintf(line, sizeof(line), "--%s--\r\n", boundary);
		buf_adds(body, line);
		snprintf(r->delivery, sizeof(r->delivery), "attachment");
		r->has_token = false;
		r->set_file = true; /* none kept */
		r->file = NULL;
		r->file_expires_at = 0;
	} else {
		unsigned char token[32];
		char hex[65], link[700], until[26];

		crypto_random(token, sizeof(token));
		for (size_t i = 0; i < sizeof(token); i++)
			snprintf(hex + 2 * i, 3, "%02x", token[i]);
		crypto_digest(r->token_hash, token, sizeof(token));
		crypto_wipe(token, sizeof(token));
		r->has_token = true;
		r->set_file = true;
		r->file = (const unsigned char *)f->data.data;
		r->file_len = f->data.len;
		r->file_expires_at = now + (int64_t)PUSH_LINK_TTL_S * CAL_US_PER_S;
		tz_format_iso(zone != NULL ? zone : tz_default(), r->file_expires_at, until);
		snprintf(link, sizeof(link), "%s/#/push-reports/%s", p->link_base, hex);
		crypto_wipe(hex, sizeof(hex));
		text_add(body, ua, r, day, link, until);
		crypto_wipe(link, sizeof(link));
		snprintf(r->delivery, sizeof(r->delivery), "link");
	}
	m->body = body->data;
	return body->failed || body->data == NULL ? ST_TOOBIG : ST_OK;
}

/* ---- a run --------------------------------------------------------------------------------- */

/* A failed attempt of r: tried again after the rule's wait, or failed. */
static void
attempt_failed(struct push_run *r, const char *why, bool final, int64_t now)
{
	int64_t wait = final ? 0 : push_retry_after_us(r->attempts);

	snprintf(r->error, sizeof(r->error), "%s", why);
	r->mail_id = 0;
	r->updated_at = now;
	r->set_file = true; /* a link's file goes with its mail */
	r->file = NULL;
	r->has_token = false;
	r->file_expires_at = 0;
	if (wait == 0) {
		r->status = PUSH_FAILED;
		r->finished_at = now;
	} else {
		r->next_attempt_at = now + wait;
	}
}

/* Writes r alone (a mark), in a transaction of its own. */
static int
run_mark(struct push_reports *p, const struct push_run *r)
{
	int rc = p->st->ops->begin(p->st, true);

	if (rc == ST_OK)
		rc = p->st->ops->push_run_update(p->st, r);
	if (rc == ST_OK)
		rc = p->st->ops->commit(p->st);
	else
		p->st->ops->rollback(p->st);
	return rc;
}

/* An attempt of r: the report built and its mail written, with the run's new state, in one
 * transaction; a failure to build it or a user without an address marks the attempt failed. */
static int
attempt(struct push_reports *p, struct push_run r, int64_t now)
{
	struct user_auth ua;
	struct push_report_file f = {0};
	struct buf body;
	struct mail m;
	const char *why = NULL;
	bool final = false;
	int rc;

	buf_init(&f.data, PUSH_FILE_MAX);
	buf_init(&body, LIMIT_MAIL_BYTES);
	rc = p->st->ops->begin(p->st, true);
	if (rc != ST_OK)
		goto out;
	/* Read again inside the transaction: another server may have taken it meanwhile. */
	rc = p->st->ops->push_run_open(p->st, r.brand_id, r.user_id, r.day, now, &r);
	if (rc == ST_OK && (r.status != PUSH_QUEUED || r.mail_id != 0 || r.next_attempt_at > now)) {
		p->st->ops->rollback(p->st);
		goto out;
	}
	if (rc == ST_OK)
		rc = p->st->ops->user_get(p->st, r.brand_id, r.user_id, &ua);
	if (rc == ST_OK && ua.u.email[0] == '\0') {
		why = "the user has no e-mail address";
		final = true;
	} else if (rc == ST_OK) {
		rc = p->build(p->st, &ua, r.day, now, &f);
		if (rc == ST_TOOBIG)
			why = "the report is larger than 16 MiB";
		else if (rc != ST_OK)
			why = "the report could not be made (storage)";
	}
	r.attempts++;
	if (why == NULL && rc == ST_OK) {
		snprintf(r.structure, sizeof(r.structure), "%s", f.structure);
		snprintf(r.format, sizeof(r.format), "%s", f.format);
		r.rows = f.rows;
		r.bytes = (int64_t)f.data.len;
		rc = mail_make(p, &ua, &r, &f, now, &m, &body);
		if (rc == ST_OK)
			rc = p->st->ops->push_mail_add(p->st, &m, &r.mail_id);
		r.error[0] = '\0';
		r.updated_at = now;
		if (rc == ST_OK)
			rc = p->st->ops->push_run_update(p->st, &r);
		if (rc == ST_OK)
			rc = p->st->ops->commit(p->st);
		else
			p->st->ops->rollback(p->st);
		if (rc == ST_OK) {
			log_info("event=push_report_queued brand=%lld user=%lld day=%lld rows=%lld "
			         "bytes=%lld delivery=%s attempt=%d mail=%lld",
			         (long long)r.brand_id, (long long)r.user_id, (long long)r.day,
			         (long long)r.rows, (long long)r.bytes, r.delivery, r.attempts,
			         (long long)r.mail_id);
			goto out;
		}
		why = "the mail could not be written";
	} else {
		p->st->ops->rollback(p->st);
	}
	if (why == NULL)
		why = "storage failure";
	/* The failure, in a transaction of its own (the attempt's was rolled back). */
	attempt_failed(&r, why, final, now);
	log_error("event=push_report_attempt_failed brand=%lld user=%lld day=%lld attempt=%d "
	          "error=\"%s\" next=%s",
	          (long long)r.brand_id, (long long)r.user_id, (long long)r.day, r.attempts, why,
	          r.status == PUSH_FAILED ? "none" : "later");
	rc = run_mark(p, &r);
out:
	explicit_bzero(body.data != NULL ? body.data : (char *)&body, body.data ? body.cap : 0);
	buf_cleanup(&body);
	buf_cleanup(&f.data);
	return rc;
}

/* A queued run whose mail is out: sent, failed (an attempt failed), or still on its way. */
static int
follow(struct push_reports *p, struct push_run *r, int64_t now)
{
	char why[PUSH_ERROR_MAX + 1];

	if (r->mail_sent_at != 0) {
		r->status = PUSH_SENT;
		r->finished_at = r->mail_sent_at;
		r->updated_at = now;
		r->set_file = false;
		log_info("event=push_report_sent brand=%lld user=%lld day=%lld",
		         (long long)r->brand_id, (long long)r->user_id, (long long)r->day);
		return run_mark(p, r);
	}
	if (r->mail_failed_at == 0)
		return ST_OK;
	snprintf(why, sizeof(why), "the mail failed: %.280s", r->mail_error);
	attempt_failed(r, why, false, now);
	log_error("event=push_report_mail_failed brand=%lld user=%lld day=%lld attempt=%d next=%s",
	          (long long)r->brand_id, (long long)r->user_id, (long long)r->day, r->attempts,
	          r->status == PUSH_FAILED ? "none" : "later");
	return run_mark(p, r);
}

/* ---- the round ----------------------------------------------------------------------------- */

static int
sub_take(void *arg, const struct push_sub *s)
{
	struct push_reports *p = arg;

	if (p->nsubs == p->capsubs) {
		p->capsubs = p->capsubs ? 2 * p->capsubs : 64;
		p->subs = realloc(p->subs, p->capsubs * sizeof(*p->subs));
		if (p->subs == NULL)
			abort();
	}
	p->subs[p->nsubs++] = *s;
	return ST_OK;
}

static int
run_take(void *arg, const struct push_run *r)
{
	struct push_reports *p = arg;

	if (p->nruns < PENDING_MAX)
		p->runs[p->nruns++] = *r;
	return ST_OK;
}

/* The runs due now of the switched-on subscriptions, made (queued) where missing. */
static int
open_due(struct push_reports *p, int64_t now)
{
	int rc;

	p->nsubs = 0;
	rc = p->st->ops->push_subs_each(p->st, sub_take, p);
	for (size_t i = 0; rc == ST_OK && i < p->nsubs; i++) {
		const struct push_sub *s = &p->subs[i];
		struct user_auth ua;
		struct push_run r;
		const struct tz *zone;
		int64_t due_day;

		rc = p->st->ops->user_get(p->st, s->brand_id, s->user_id, &ua);
		if (rc == ST_NOTFOUND) {
			rc = ST_OK;
			continue;
		}
		if (rc != ST_OK)
			break;
		zone = tz_find(ua.time_zone);
		zone = zone != NULL ? zone : tz_default();
		due_day = push_due_day(zone, s->minute, now);
		/* Its report is of the day before; made once, and not for a time that passed
		 * before the subscription was switched on. */
		if (due_day - 1 <= s->last_day || push_due_at(zone, due_day, s->minute) < s->since)
			continue;
		rc = p->st->ops->begin(p->st, true);
		if (rc == ST_OK)
			rc = p->st->ops->push_run_open(p->st, s->brand_id, s->user_id, due_day - 1,
			                               now, &r);
		if (rc == ST_OK)
			rc = p->st->ops->commit(p->st);
		else
			p->st->ops->rollback(p->st);
	}
	return rc;
}

static bool
round_run(struct push_reports *p)
{
	int64_t now = clock_now_us();
	int expired = 0;
	int rc = p->st->ops->lead(p->st, "push_reports");

	if (rc == ST_BUSY)
		return true; /* another server of the cluster runs them */
	if (rc == ST_OK)
		rc = open_due(p, now);
	if (rc == ST_OK) {
		p->nruns = 0;
		rc = p->st->ops->push_runs_pending_each(p->st, now, run_take, p);
	}
	for (size_t i = 0; rc == ST_OK && i < p->nruns && !p->stop; i++) {
		struct push_run *r = &p->runs[i];

		if (r->mail_id != 0)
			rc = follow(p, r, now);
		else
			rc = attempt(p, *r, now);
	}
	if (rc == ST_OK)
		rc = p->st->ops->push_files_expire(p->st, now, &expired);
	if (rc != ST_OK)
		log_error("event=push_reports_failed rc=%d hint=\"tried again at the next round\"",
		          rc);
	return rc == ST_OK;
}

static void *
push_main(void *arg)
{
	struct push_reports *p = arg;
	struct timespec until;
	bool stop = false;

	while (!stop) {
		metrics_job_round(p->job, round_run(p));
		clock_gettime(CLOCK_REALTIME, &until);
		int64_t at = (int64_t)until.tv_sec * 1000000 + until.tv_nsec / 1000 + p->every_us;
		until.tv_sec = (time_t)(at / 1000000);
		until.tv_nsec = (long)(at % 1000000) * 1000;
		pthread_mutex_lock(&p->lock);
		if (!p->stop)
			pthread_cond_timedwait(&p->wake, &p->lock, &until);
		stop = p->stop;
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

int
push_reports_start(const struct push_reports_config *cfg, struct push_reports **out)
{
	struct push_reports *p = calloc(1, sizeof(*p));
	int rc;

	if (p == NULL)
		abort();
	*out = NULL;
	rc = store_open(cfg->db_path, true, &p->st);
	if (rc != ST_OK) {
		free(p);
		return rc;
	}
	outbox_sealer_set(p->st, cfg->keys);
	p->keys = cfg->keys;
	snprintf(p->link_base, sizeof(p->link_base), "%s", cfg->link_base);
	p->build = cfg->build;
	p->every_us = (int64_t)(cfg->check_every_s > 0 ? cfg->check_every_s : 1) * CAL_US_PER_S;
	p->runs = calloc(PENDING_MAX, sizeof(*p->runs));
	if (p->runs == NULL)
		abort();
	p->job = metrics_job_register("push_reports");
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_create(&p->thread, NULL, push_main, p);
	pthread_setname_np(p->thread, "push_reports");
	*out = p;
	return ST_OK;
}

void
push_reports_stop(struct push_reports *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	store_close(p->st);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p->subs);
	free(p->runs);
	free(p);
}
