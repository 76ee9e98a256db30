/*
 * push_reports.h - the daily push reports (docs/EREPORTING.md "Push reports"): each
 * switched-on subscription's report of the user's previous local day, made at the user's
 * wall time (domain/push_report.h) and mailed through the outbox, attached (multipart/mixed)
 * or, larger than PUSH_ATTACH_MAX, as a link to the back office; each run recorded
 * (store/push_report.h), its mail followed until delivered, a failed attempt tried again.
 *
 * A thread of its own with its own writing connection, as the scheduler's: a report is a
 * search of a day that must not hold the payments' writer. A job of the cluster: on a database
 * several servers share, the server that leads "push_reports" (store_ops.lead) runs it; the
 * run's unique key (user, day) and the mail written in the run's own transaction make a
 * restart, or a second server, find the run rather than mail it again.
 *
 * The report itself is written by the API's e-reporting (api/push_reports.c), given here as a
 * function: jobs do not depend on the API.
 */
#ifndef GUICHET_JOBS_PUSH_REPORTS_H
#define GUICHET_JOBS_PUSH_REPORTS_H

#include "common/buf.h"
#include "common/status.h"
#include "store/store.h"

struct crypto_keys;
struct push_reports;

/* A report made: its bytes (data, of cap PUSH_FILE_MAX, given initialized), its rows, the
 * structure and format it is in, and its MIME type and file extension (static). */
struct push_report_file {
	struct buf data;
	int64_t rows;
	char structure[24], format[24];
	const char *type, *ext;
};

/* Writes the report of the local day `day` of user ua (their scope, structure, format and
 * zone) into out. ST_OK, ST_TOOBIG (larger than PUSH_FILE_MAX), or a store failure. */
typedef int (*push_build_fn)(struct store *st, const struct user_auth *ua, int64_t day, int64_t now,
                             struct push_report_file *out);

struct push_reports_config {
	const char *db_path;
	const struct crypto_keys *keys; /* lent: the mails' sealer, the links' tokens */
	const char *link_base;          /* "https://host" the links start with */
	push_build_fn build;
	int check_every_s; /* between two looks at the subscriptions; 1 or more */
};

/* Starts the job. ST_OK, or the store's failure to open the database. */
int push_reports_start(const struct push_reports_config *cfg, struct push_reports **out) WUR;

/* Stops it (a round under way finishes first) and frees it; NULL does nothing. */
void push_reports_stop(struct push_reports *p);

#endif
