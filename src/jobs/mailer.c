/*
 * mailer.c - the outbox delivery job (mailer.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "domain/calendar.h"
#include "jobs/mailer.h"

struct mailer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct store *st;
	struct work *w;
	char spool[4096];
	int64_t last_id; /* the highest id written by this process */
};

struct sent_job {
	struct work_job work;
	int64_t id, at;
};

static int
sent_run(struct work_job *w, struct store *st)
{
	struct sent_job *j = (struct sent_job *)w;

	return st->ops->mail_sent(st, j->id, j->at);
}

static void
sent_free(struct work_job *w)
{
	free(w);
}

/* Writes one mail as <spool>/<id>.eml: a temporary file, fsync, rename. */
static int
write_eml(struct mailer *m, const struct mail *mail)
{
	char path[4200], tmp[4210], date[25];
	FILE *f;
	int rc = ST_STORE;

	snprintf(path, sizeof(path), "%s/%012lld.eml", m->spool, (long long)mail->id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		goto out;
	cal_instant_format(mail->created_at, date);
	fprintf(f,
	        "From: Guichet <no-reply@guichet.invalid>\r\nTo: <%s>\r\nSubject: %s\r\n"
	        "Date: %s\r\nMessage-ID: <%lld@guichet.invalid>\r\nMIME-Version: 1.0\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
	        "8bit\r\n\r\n",
	        mail->recipient, mail->subject, date, (long long)mail->id);
	for (const char *p = mail->body; *p != '\0'; p++) {
		if (*p == '\n' && (p == mail->body || p[-1] != '\r'))
			fputc('\r', f);
		fputc(*p, f);
	}
	fputs("\r\n", f);
	if (fflush(f) == 0 && fsync(fileno(f)) == 0)
		rc = ST_OK;
	if (fclose(f) != 0)
		rc = ST_STORE;
	if (rc == ST_OK && rename(tmp, path) != 0)
		rc = ST_STORE;
out:
	if (rc != ST_OK) {
		log_error("event=mail_spool_failed id=%lld error=\"%s\"", (long long)mail->id,
		          strerror(errno));
		unlink(tmp);
	}
	return rc;
}

static int
deliver_one(void *arg, const struct mail *mail)
{
	struct mailer *m = arg;
	struct sent_job *j;

	if (mail->id <= m->last_id)
		return ST_OK; /* written already; its mark is on its way */
	if (write_eml(m, mail) != ST_OK)
		return ST_OK; /* tried again at the next round */
	m->last_id = mail->id;
	log_info("event=mail_spooled id=%lld", (long long)mail->id);
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		abort();
	j->work.run = sent_run;
	j->work.deliver = sent_free;
	j->id = mail->id;
	j->at = clock_now_us();
	if (work_submit_write(m->w, &j->work) != ST_OK)
		free(j); /* marked at the next round or the next start */
	return ST_OK;
}

static void
deliver_pending(struct mailer *m)
{
	if (m->st->ops->begin(m->st, false) != ST_OK)
		return;
	(void)m->st->ops->mail_each_unsent(m->st, 100, deliver_one, m);
	m->st->ops->rollback(m->st);
}

static void *
mailer_main(void *arg)
{
	struct mailer *m = arg;
	struct timespec until;
	bool stop = false;

	while (!stop) {
		deliver_pending(m);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_mutex_lock(&m->lock);
		if (!m->stop)
			pthread_cond_timedwait(&m->wake, &m->lock, &until);
		stop = m->stop;
		pthread_mutex_unlock(&m->lock);
	}
	deliver_pending(m);
	return NULL;
}

int
mailer_start(const char *db_path, const char *spool_dir, struct work *w, struct mailer **out)
{
	struct mailer *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		abort();
	*out = NULL;
	rc = store_open(db_path, false, &m->st);
	if (rc != ST_OK) {
		free(m);
		return rc;
	}
	snprintf(m->spool, sizeof(m->spool), "%s", spool_dir);
	m->w = w;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	pthread_create(&m->thread, NULL, mailer_main, m);
	*out = m;
	return ST_OK;
}

void
mailer_stop(struct mailer *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	store_close(m->st);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->wake);
	free(m);
}
