/*
 * push_report.h - the records of the daily push reports (migration 041; docs/EREPORTING.md
 * "Push reports"): a user's subscription and the runs, one a user and local day. The
 * operations are store_ops' push_* (store.h); the job is jobs/push_reports.c.
 */
#ifndef GUICHET_STORE_PUSH_REPORT_H
#define GUICHET_STORE_PUSH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

/* A user's subscription; none stored is off at PUSH_DEFAULT_MINUTE (domain/push_report.h). */
struct push_sub {
	int64_t brand_id, user_id;
	bool enabled;
	int minute;         /* of the day, in the user's time zone */
	int64_t since;      /* when it was last switched on; 0: never */
	int64_t updated_at; /* push_sub_put: now */
	int64_t last_day;   /* push_subs_each: the day of the user's latest run; 0: none */
};

enum push_status { PUSH_QUEUED, PUSH_SENT, PUSH_FAILED };

#define PUSH_TOKEN_HASH_LEN 32
#define PUSH_ERROR_MAX      300

/* A run: a user's report of one local day. */
struct push_run {
	int64_t id, brand_id, user_id;
	int64_t day; /* the day reported on, the user's local day number (calendar.h) */
	enum push_status status;
	char structure[24], format[24];
	char delivery[12]; /* "attachment", "link", or "" before the first mail */
	int64_t rows, bytes;
	int attempts; /* made so far: each built the report and mailed it, or failed */
	char error[PUSH_ERROR_MAX + 1];
	int64_t mail_id; /* the outbox row of the last attempt; 0: none */
	bool has_token;
	unsigned char token_hash[PUSH_TOKEN_HASH_LEN];
	int64_t file_expires_at; /* link: the file and its link until then */
	int64_t next_attempt_at, created_at, updated_at, finished_at;
	/* push_run_update: when set_file, the file replaces the stored one (NULL: removed). Lent. */
	bool set_file;
	const unsigned char *file;
	size_t file_len;
	/* Read only. push_runs_pending_each: the last attempt's mail, delivered or failed (0: not
	 * yet), and the relay's answer. push_runs_each: the user, whether a file is kept. */
	int64_t mail_sent_at, mail_failed_at;
	char mail_error[LIMIT_MAIL_ERROR_LEN + 1];
	char user_login[65], user_name[129];
	bool has_file;
};

/* The runs an API list reads: of one user (user_id), or of every user of a node and below
 * (user_id 0), of a brand; newest first, keyset paging by id. */
struct push_run_query {
	int64_t brand_id;
	int64_t user_id;
	int64_t node_id;
	int64_t after_id; /* runs with a smaller id; 0: from the newest */
	int limit;
};

typedef int (*store_push_sub_cb)(void *arg, const struct push_sub *s);
typedef int (*store_push_run_cb)(void *arg, const struct push_run *r);

#endif
