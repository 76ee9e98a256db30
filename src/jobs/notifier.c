/*
 * notifier.c - the notifications' delivery job (notifier.h).
 *
 * A round reads the due rows (a read transaction on the job's own connection, closed before
 * any call) into memory, calls them through one libcurl multi handle, LIMIT_NOTIFY_PARALLEL
 * in flight at once (a merchant's slow server holds one slot, not the round), then hands
 * every outcome to the writer in one job. While the writer records a full round, the next
 * one is read after its last row (next_at, id) and called: no row is called twice at once,
 * and a round waits for the previous one's marks before it hands its own, so a notification
 * is called again only after its delay, a crash or a failed write. A round that is not full
 * waits for its marks, then the job sleeps.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/metrics.h"
#include "crypto/crypto.h"
#include "crypto/rsa.h"
#include "domain/calendar.h"
#include "domain/delivery.h"
#include "domain/paybox.h"
#include "jobs/notifier.h"
#include "store/store.h"

/* One call of a round. */
struct call {
	int64_t id;
	int tries;
	char *url;  /* with the body as its query for a GET */
	char *body; /* POST */
	size_t body_len;
	struct curl_slist *headers;
	CURL *easy;
	int64_t started_us;
	/* The outcome. */
	struct notify_attempt a;
	enum notify_state state;
	int64_t next_at;
	char answer[LIMIT_NOTIFY_ANSWER + 1];
	size_t answer_len;
	char error[CURL_ERROR_SIZE];
};

/* A round's calls, and the last row it read (the next round's start while its marks are
 * being written). */
struct round {
	struct call calls[LIMIT_NOTIFY_ROUND];
	int n;
	int64_t last_at, last_id;
	const struct notifier *nt;
};

struct notifier;

struct marks_job {
	struct work_job work;
	struct notifier *nt;
	struct round *rd;
};

struct notifier {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake, marked;
	bool stop, marks_done;
	struct store *st;
	struct work *w;
	int64_t retry_first_ms;
	long timeout_ms;
	const struct rsa_key *paybox_key;
	CURLM *multi;
	struct round rounds[2]; /* one called while the other's marks are written */
	int cur;
	struct marks_job marks;            /* the round handed to the writer; marks.rd NULL: none */
	CURL *easy[LIMIT_NOTIFY_PARALLEL]; /* reused: reset for each call */
	int easy_free;
	unsigned jitter_seed;
	/* The metrics: its rounds, and whether the current one read the due rows and the marks
	 * it waited for were written. */
	struct metrics_job *metrics;
	bool round_ok;
};

/* ---- a round's calls ----------------------------------------------------------------------- */

/* Keeps the first LIMIT_NOTIFY_ANSWER bytes of the answer; the rest is read and dropped, so
 * that a large answer does not count as a failure. */
static size_t
answer_keep(char *data, size_t size, size_t nitems, void *arg)
{
	struct call *c = arg;
	size_t n = size * nitems, room = LIMIT_NOTIFY_ANSWER - c->answer_len;
	size_t take = n < room ? n : room;

	memcpy(c->answer + c->answer_len, data, take);
	c->answer_len += take;
	c->answer[c->answer_len] = '\0';
	return n;
}

/* The printable ASCII of s, in place (anything else becomes '?'): what the log row, the back
 * office's JSON and the log get of an answer, whatever bytes the merchant's server sent. */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static char *
dup_or_abort(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Copies a due row into the round: everything the call needs, since the read transaction
 * ends before any call. */
/* The body a row is called with: Paybox's K appended, signed now by Guichet's key, when the
 * row asks it (notify_row.sign_k); else a copy. NULL when it cannot be signed. */
static char *
body_of(const struct notifier *nt, const struct notify_row *r, size_t *len)
{
	char *b64 = NULL, *out;

	if (r->sign_k == NULL || r->sign_k[0] == '\0') {
		*len = r->body_len;
		return dup_or_abort(r->body, r->body_len);
	}
	if (nt->paybox_key == NULL ||
	    rsa_sign_sha1_b64(nt->paybox_key, r->body, r->body_len, &b64) != ST_OK)
		return NULL;
	out = pbx_retour_append_sign(r->body, r->body_len, r->sign_k, b64, len);
	free(b64);
	return out;
}

static int
collect(void *arg, const struct notify_row *r)
{
	struct round *rd = arg;
	struct call *c = &rd->calls[rd->n];
	size_t ul = strlen(r->url), blen;
	char *body;

	rd->last_at = r->next_at;
	rd->last_id = r->id;
	if ((body = body_of(rd->nt, r, &blen)) == NULL) {
		log_error("event=notify_unsigned id=%lld", (long long)r->id); /* not called */
		return ST_OK;
	}
	rd->n++;
	memset(c, 0, sizeof(*c));
	c->id = r->id;
	c->tries = r->tries;
	if (r->post) {
		char ct[128];

		c->url = dup_or_abort(r->url, ul);
		c->body = body;
		c->body_len = blen;
		snprintf(ct, sizeof(ct), "Content-Type: %s", r->content_type);
		c->headers = curl_slist_append(c->headers, ct);
	} else {
		/* GET: the body is the query, after the URL's own (Paybox's IPN). */
		c->url = malloc(ul + 1 + blen + 1);
		if (c->url == NULL)
			abort();
		memcpy(c->url, r->url, ul);
		c->url[ul] = strchr(r->url, '?') != NULL ? '&' : '?';
		memcpy(c->url + ul + 1, body, blen);
		c->url[ul + 1 + blen] = '\0';
		free(body);
	}
	/* Each line of sig_header is a header of its own (service/notify.h). */
	for (const char *p = r->sig_header; p != NULL && *p != '\0';) {
		size_t l = strcspn(p, "\n");
		char *line = dup_or_abort(p, l);

		c->headers = curl_slist_append(c->headers, line);
		free(line);
		p += l + (p[l] == '\n');
	}
	c->headers = curl_slist_append(c->headers, "Expect:"); /* no 100-continue wait */
	if (c->headers == NULL)
		abort();
	return ST_OK;
}

static void
call_free(struct call *c)
{
	free(c->url);
	free(c->body);
	curl_slist_free_all(c->headers);
	memset(c, 0, sizeof(*c));
}

/* The easy handle of one call, one of the job's, reset: no redirect, http(s) only, the job's
 * timeouts. (Connections are the multi handle's, kept alive from call to call.) */
static void
call_start(struct notifier *nt, struct call *c)
{
	CURL *e = c->easy = nt->easy[--nt->easy_free];

	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 nt->timeout_ms < LIMIT_NOTIFY_CONNECT_MS ? nt->timeout_ms
	                                                          : (long)LIMIT_NOTIFY_CONNECT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, nt->timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "Guichet-Notifier/1");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, answer_keep);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->error);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	if (c->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	}
	c->started_us = clock_now_us();
	if (curl_multi_add_handle(nt->multi, e) != CURLM_OK)
		abort();
}

/* What the writer records of a finished call, by domain/delivery.h's rules: delivered on a
 * 2xx, else again after a delay (1, 2, 4 … times the first, LIMIT_NOTIFY_RETRY_MAX_MS at
 * most, +-25 %), or failed at the LIMIT_NOTIFY_ATTEMPTS-th try. */
static void
call_done(struct notifier *nt, struct call *c, CURLcode res)
{
	int64_t now = clock_now_us();
	long status = 0;
	int64_t delay_ms;

	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	c->a.notify_id = c->id;
	c->a.at = now;
	c->a.duration_ms = (now - c->started_us) / 1000;
	c->a.http_status = res == CURLE_OK ? (int)status : 0;
	if (res != CURLE_OK && c->error[0] == '\0')
		snprintf(c->error, sizeof(c->error), "%s", curl_easy_strerror(res));
	if (res == CURLE_OK && !delivery_is_success(status))
		snprintf(c->error, sizeof(c->error), "HTTP %ld is not a success", status);
	c->error[LIMIT_NOTIFY_ERROR_LEN] = '\0';
	printable(c->error);
	printable(c->answer);
	c->a.error = c->error;
	c->a.answer = c->answer;
	if (res == CURLE_OK && delivery_is_success(status)) {
		c->state = NOTIFY_DELIVERED;
		c->error[0] = '\0';
		/* Each delivery is in the transaction's log (notify_attempt): not again here. */
		log_debug("event=notify_delivered id=%lld status=%ld", (long long)c->id, status);
		return;
	}
	if (delivery_gives_up(c->tries + 1, LIMIT_NOTIFY_ATTEMPTS)) {
		c->state = NOTIFY_FAILED;
		log_warn("event=notify_failed id=%lld attempts=%d error=\"%s\"", (long long)c->id,
		         c->tries + 1, c->error);
		return;
	}
	delay_ms = delivery_delay_ms(c->tries + 1, nt->retry_first_ms, LIMIT_NOTIFY_RETRY_MAX_MS,
	                             (int)(rand_r(&nt->jitter_seed) % 501) - 250);
	c->state = NOTIFY_PENDING;
	c->next_at = now + delay_ms * 1000;
	log_info("event=notify_deferred id=%lld tries=%d retry_in_ms=%lld error=\"%s\"",
	         (long long)c->id, c->tries + 1, (long long)delay_ms, c->error);
}

/* Runs the round's calls, LIMIT_NOTIFY_PARALLEL at once, until every one has finished. */
static void
calls_run(struct notifier *nt, struct round *rd)
{
	int next = 0, running = 0, left;
	CURLMsg *msg;

	while (next < rd->n || running > 0) {
		while (next < rd->n && running < LIMIT_NOTIFY_PARALLEL) {
			call_start(nt, &rd->calls[next++]);
			running++;
		}
		curl_multi_perform(nt->multi, &left);
		while ((msg = curl_multi_info_read(nt->multi, &left)) != NULL) {
			struct call *c = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			curl_multi_remove_handle(nt->multi, msg->easy_handle);
			call_done(nt, c, msg->data.result);
			nt->easy[nt->easy_free++] = c->easy;
			c->easy = NULL;
			running--;
		}
		if (running > 0)
			curl_multi_poll(nt->multi, NULL, 0, 100, NULL);
	}
}

/* ---- the round ------------------------------------------------------------------------------ */

static int
marks_run(struct work_job *w, struct store *st)
{
	struct round *rd = ((struct marks_job *)w)->rd;
	int rc = ST_OK;

	for (int i = 0; i < rd->n && rc == ST_OK; i++) {
		struct call *c = &rd->calls[i];

		rc = st->ops->notify_attempt_add(st, &c->a, c->state, c->next_at);
		if (rc == ST_CONFLICT)
			rc = ST_OK; /* sent again by a user meanwhile: the attempt is logged */
	}
	return rc;
}

static void
marks_done(struct work_job *w)
{
	struct notifier *nt = ((struct marks_job *)w)->nt;

	pthread_mutex_lock(&nt->lock);
	nt->marks_done = true;
	pthread_cond_signal(&nt->marked);
	pthread_mutex_unlock(&nt->lock);
}

static void
round_free(struct round *rd)
{
	for (int i = 0; i < rd->n; i++)
		call_free(&rd->calls[i]);
	rd->n = 0;
}

/* Waits for the writer to record the round handed to it, if any, and frees it. */
static void
marks_wait(struct notifier *nt)
{
	if (nt->marks.rd == NULL)
		return;
	pthread_mutex_lock(&nt->lock);
	while (!nt->marks_done)
		pthread_cond_wait(&nt->marked, &nt->lock);
	pthread_mutex_unlock(&nt->lock);
	if (nt->marks.work.rc != ST_OK)
		nt->round_ok = false;
	round_free(nt->marks.rd);
	nt->marks.rd = NULL;
}

/* Hands rd's outcomes to the writer. A refused hand-off records nothing: those rows are
 * called again at a later round (at least once). */
static void
marks_submit(struct notifier *nt, struct round *rd)
{
	memset(&nt->marks, 0, sizeof(nt->marks));
	nt->marks.work.run = marks_run;
	nt->marks.work.deliver = marks_done;
	nt->marks.nt = nt;
	nt->marks.rd = rd; /* before the writer may run it */
	nt->marks_done = false;
	if (work_submit_write(nt->w, &nt->marks.work) != ST_OK) {
		nt->marks.rd = NULL;
		round_free(rd);
	}
}

/* One round: the due rows read (after the round whose marks are being written, if any),
 * called, handed to the writer once the previous round's marks are written. Returns how
 * many rows it read (a full round: another at once). */
static int
deliver_due(struct notifier *nt)
{
	struct round *rd = &nt->rounds[nt->cur];
	const struct round *prev = nt->marks.rd;
	int n, rc;

	rd->n = 0;
	nt->round_ok = false;
	/* On a database several servers share, one of them calls (at least once: a server
	 * killed between a call and its mark leaves the row to the next leader). */
	rc = nt->st->ops->lead(nt->st, "notifier");
	if (rc != ST_OK) {
		nt->round_ok = rc == ST_BUSY;
		return 0;
	}
	if (nt->st->ops->begin(nt->st, false) == ST_OK) {
		nt->round_ok = nt->st->ops->notify_each_due(
		                       nt->st, clock_now_us(), prev != NULL ? prev->last_at : 0,
		                       prev != NULL ? prev->last_id : 0, LIMIT_NOTIFY_ROUND,
		                       collect, rd) == ST_OK;
		nt->st->ops->rollback(nt->st);
	}
	n = rd->n;
	if (n > 0)
		calls_run(nt, rd);
	marks_wait(nt);
	if (n > 0) {
		marks_submit(nt, rd);
		nt->cur ^= 1;
	}
	return n;
}

static void *
notifier_main(void *arg)
{
	struct notifier *nt = arg;
	struct timespec until;
	bool stop = false;

	while (!stop) {
		if (deliver_due(nt) == LIMIT_NOTIFY_ROUND) {
			metrics_job_round(nt->metrics, nt->round_ok);
			continue;
		}
		marks_wait(nt);
		metrics_job_round(nt->metrics, nt->round_ok);
		/* A decision's notification is called within a quarter of a second. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&nt->lock);
		if (!nt->stop)
			pthread_cond_timedwait(&nt->wake, &nt->lock, &until);
		stop = nt->stop;
		pthread_mutex_unlock(&nt->lock);
	}
	marks_wait(nt);
	return NULL;
}

int
notifier_start(const struct notifier_config *cfg, struct work *w, struct notifier **out)
{
	struct notifier *nt = calloc(1, sizeof(*nt));
	int rc;

	if (nt == NULL)
		abort();
	*out = NULL;
	nt->w = w;
	nt->retry_first_ms =
	        cfg->retry_first_ms > 0 ? cfg->retry_first_ms : LIMIT_NOTIFY_RETRY_FIRST_MS;
	nt->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : LIMIT_NOTIFY_TIMEOUT_MS;
	nt->paybox_key = cfg->paybox_key;
	nt->rounds[0].nt = nt->rounds[1].nt = nt;
	crypto_random(&nt->jitter_seed, sizeof(nt->jitter_seed));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(nt);
		return ST_INTERNAL;
	}
	nt->multi = curl_multi_init();
	for (int i = 0; i < LIMIT_NOTIFY_PARALLEL; i++)
		if ((nt->easy[nt->easy_free++] = curl_easy_init()) == NULL)
			abort();
	rc = nt->multi != NULL ? store_open(cfg->db_path, false, &nt->st) : ST_INTERNAL;
	if (rc != ST_OK) {
		if (nt->multi != NULL)
			curl_multi_cleanup(nt->multi);
		curl_global_cleanup();
		free(nt);
		return rc;
	}
	pthread_mutex_init(&nt->lock, NULL);
	pthread_cond_init(&nt->wake, NULL);
	pthread_cond_init(&nt->marked, NULL);
	nt->metrics = metrics_job_register("notifier");
	pthread_create(&nt->thread, NULL, notifier_main, nt);
	pthread_setname_np(nt->thread, "notifier");
	*out = nt;
	return ST_OK;
}

void
notifier_stop(struct notifier *nt)
{
	if (nt == NULL)
		return;
	pthread_mutex_lock(&nt->lock);
	nt->stop = true;
	pthread_cond_signal(&nt->wake);
	pthread_mutex_unlock(&nt->lock);
	pthread_join(nt->thread, NULL);
	store_close(nt->st);
	for (int i = 0; i < nt->easy_free; i++)
		curl_easy_cleanup(nt->easy[i]);
	curl_multi_cleanup(nt->multi);
	curl_global_cleanup();
	pthread_mutex_destroy(&nt->lock);
	pthread_cond_destroy(&nt->wake);
	pthread_cond_destroy(&nt->marked);
	free(nt);
}
