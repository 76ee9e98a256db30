/*
 * hmac_expiry.c - the expired HMAC keys' mails (hmac_expiry.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "domain/calendar.h"
#include "jobs/hmac_expiry.h"

struct hmac_expiry {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool busy; /* a round is with the writer */
	struct work *w;
};

struct round_job {
	struct work_job work;
	struct hmac_expiry *x;
	struct hmac_key_row keys[HMAC_EXPIRY_BATCH];
	int n;      /* keys read */
	int mailed; /* mails queued */
};

static int
key_take(void *arg, const struct hmac_key_row *k)
{
	struct round_job *j = arg;

	if (j->n == HMAC_EXPIRY_BATCH)
		return ST_OK; /* the next round */
	j->keys[j->n++] = *k;
	return ST_OK;
}

struct mail_ctx {
	struct store *st;
	const struct hmac_key_row *k;
	int64_t now;
	int *mailed;
};

static int
mail_one(void *arg, const struct user *u)
{
	struct mail_ctx *c = arg;
	struct mail m = {0};
	char body[1024], day[11];
	int rc;

	cal_date_format(cal_business_day(c->k->expires_at), day);
	m.brand_id = c->k->brand_id;
	snprintf(m.recipient, sizeof(m.recipient), "%s", u->email);
	snprintf(m.subject, sizeof(m.subject), "Guichet : clé HMAC expirée / HMAC key expired (%s)",
	         c->k->shop_name);
	snprintf(body, sizeof(body),
	         "Bonjour %s,\n\nLa clé HMAC (environnement %s) de la boutique %s (SITE %s, RANG "
	         "%s) a expiré le %s.\nElle fonctionne toujours, mais générez-en une nouvelle "
	         "(Paramètres › Clé HMAC).\n\n"
	         "The HMAC key (%s environment) of the shop %s (SITE %s, RANG %s) expired on %s.\n"
	         "It still works, but generate a new one (Parameters › HMAC key).\n",
	         u->name, c->k->env, c->k->shop_name, c->k->site, c->k->rang, day, c->k->env,
	         c->k->shop_name, c->k->site, c->k->rang, day);
	m.body = body;
	m.created_at = c->now;
	rc = c->st->ops->mail_add(c->st, &m);
	if (rc == ST_OK)
		(*c->mailed)++;
	return rc;
}

/* One round: the expired keys not told yet (read first: the loop below writes the table
 * the reading walks), each one's mails and its mark together. */
static int
round_run(struct work_job *w, struct store *st)
{
	struct round_job *j = (struct round_job *)w;
	int64_t now = clock_now_us();
	int rc = st->ops->hmac_keys_expired_each(st, now, key_take, j);

	for (int i = 0; rc == ST_OK && i < j->n; i++) {
		struct mail_ctx c = {st, &j->keys[i], now, &j->mailed};

		rc = st->ops->hmac_key_recipients_each(st, j->keys[i].brand_id, j->keys[i].shop_id,
		                                       mail_one, &c);
		if (rc == ST_OK)
			rc = st->ops->hmac_key_expiry_mailed(st, j->keys[i].brand_id, j->keys[i].id,
			                                     now);
	}
	return rc;
}

static void
round_deliver(struct work_job *w)
{
	struct round_job *j = (struct round_job *)w;
	struct hmac_expiry *x = j->x;

	if (w->rc != ST_OK)
		log_error("event=hmac_expiry_failed rc=%d hint=\"tried again next round\"", w->rc);
	else if (j->n > 0)
		log_info("event=hmac_keys_expired keys=%d mails=%d", j->n, j->mailed);
	pthread_mutex_lock(&x->lock);
	x->busy = false;
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
	free(j);
}

static void *
hmac_expiry_main(void *arg)
{
	struct hmac_expiry *x = arg;
	struct timespec until;

	pthread_mutex_lock(&x->lock);
	while (!x->stop) {
		struct round_job *j = calloc(1, sizeof(*j));

		if (j == NULL)
			abort();
		j->x = x;
		j->work.run = round_run;
		j->work.deliver = round_deliver;
		x->busy = true;
		if (work_submit_write(x->w, &j->work) != ST_OK) {
			x->busy = false; /* the writer is full or stopping: the next round */
			free(j);
		}
		while (x->busy)
			pthread_cond_wait(&x->wake, &x->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += HMAC_EXPIRY_EVERY_S;
		while (!x->stop && pthread_cond_timedwait(&x->wake, &x->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

int
hmac_expiry_start(struct work *w, struct hmac_expiry **out)
{
	struct hmac_expiry *x = calloc(1, sizeof(*x));

	if (x == NULL)
		abort();
	*out = NULL;
	x->w = w;
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->wake, NULL);
	if (pthread_create(&x->thread, NULL, hmac_expiry_main, x) != 0) {
		pthread_mutex_destroy(&x->lock);
		pthread_cond_destroy(&x->wake);
		free(x);
		return ST_INTERNAL;
	}
	*out = x;
	return ST_OK;
}

void
hmac_expiry_stop(struct hmac_expiry *x)
{
	if (x == NULL)
		return;
	pthread_mutex_lock(&x->lock);
	x->stop = true;
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
	pthread_join(x->thread, NULL);
	pthread_mutex_destroy(&x->lock);
	pthread_cond_destroy(&x->wake);
	free(x);
}
