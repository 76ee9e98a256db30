/*
 * hmac_expiry.c - the expired HMAC keys' mails (hmac_expiry.h): rounds on the writer
 * (work/periodic.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "domain/calendar.h"
#include "jobs/hmac_expiry.h"

struct round_job {
	struct periodic_job head;
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
	m.node_id = c->k->shop_id; /* a shop is a node of the tree */
	snprintf(m.recipient, sizeof(m.recipient), "%s", u->email);
	/* A test key's says so from its subject: the shop has the same name in both. */
	snprintf(m.subject, sizeof(m.subject),
	         "Guichet : clé HMAC expirée / HMAC key expired (%s%s)", c->k->shop_name,
	         strcmp(c->k->env, "test") == 0 ? ", test" : "");
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

static bool
round_done(struct work_job *w)
{
	struct round_job *j = (struct round_job *)w;

	if (w->rc != ST_OK)
		log_error("event=hmac_expiry_failed rc=%d hint=\"tried again next round\"", w->rc);
	else if (j->n > 0)
		log_info("event=hmac_keys_expired keys=%d mails=%d", j->n, j->mailed);
	return false; /* the keys left over go in the next round, within the hour */
}

int
hmac_expiry_start(struct work *w, struct periodic **out)
{
	static const struct periodic_spec spec = {
	        .job_size = sizeof(struct round_job),
	        .run = round_run,
	        .done = round_done,
	        .every_ms = HMAC_EXPIRY_EVERY_S * 1000,
	        .name = "hmac_expiry",
	        .once = true,
	};

	return periodic_start(w, &spec, out);
}
