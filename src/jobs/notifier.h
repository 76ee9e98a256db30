/*
 * notifier.h - the delivery of the notifications to merchants' servers (issue 12; README
 * "Notifications"): the rows service/notify.c writes in the transaction of a decision, read
 * once committed, called over HTTP(S) with libcurl, many at once, each attempt logged.
 *
 * At least once: an outcome is recorded after the call, so a crash in between calls again;
 * the rows still pending are read again at the next start. A 2xx answer delivers; anything
 * else (a 3xx too: no redirect is followed, a notification goes where the merchant said) is
 * tried again after a delay doubling from the first (+-25 % of jitter, so that a merchant's
 * server back up is not hit by every waiting call at once), LIMIT_NOTIFY_ATTEMPTS times at
 * most, then failed. Runs on its own thread and its own read connection; its writes go
 * through the writer. Not the body or its signature (service/notify.h).
 */
#ifndef GUICHET_NOTIFIER_H
#define GUICHET_NOTIFIER_H

#include "common/status.h"
#include "work/work.h"

struct notifier;
struct rsa_key;

/* What the job is given at start; strings lent and copied. */
struct notifier_config {
	const char *db_path;
	int retry_first_ms; /* the first delay after a failed call; 0: LIMIT_NOTIFY_RETRY_FIRST_MS */
	int timeout_ms;     /* one call; 0: LIMIT_NOTIFY_TIMEOUT_MS */
	/* Guichet's key for Paybox's K, signing the rows that ask it (notify_row.sign_k); lent
	 * for the job's life. */
	const struct rsa_key *paybox_key;
};

/* Starts the job (its thread, its connection); *out is the caller's until notifier_stop.
 * ST_OK, or ST_STORE / ST_INTERNAL (nothing started). */
int notifier_start(const struct notifier_config *cfg, struct work *w, struct notifier **out) WUR;

/* Stops the job after the calls in flight (their outcomes written); NULL does nothing. Before
 * the writer stops. */
void notifier_stop(struct notifier *n);

#endif
