/*
 * push_reports.h - the push reports' side of the API (docs/EREPORTING.md "Push reports"):
 * the report of a user's day in their e-reporting (the job's builder, jobs/push_reports.h),
 * the subscription as the preference routes read and write it (ereport.h's "push" member),
 * and the routes of the runs' list and of a link's file.
 */
#ifndef GUICHET_API_PUSH_REPORTS_H
#define GUICHET_API_PUSH_REPORTS_H

#include <stdbool.h>

#include <jansson.h>

#include "jobs/push_reports.h"
#include "store/store.h"

/* The job's builder (push_build_fn): the transactions of the user's node created on their
 * local day, in their structure and format, newest first, as the export writes them. */
int push_report_build(struct store *st, const struct user_auth *ua, int64_t day, int64_t now,
                      struct push_report_file *out);

/* A change of the subscription: what is set (enabled: -1 unchanged; minute: -1 unchanged). */
struct push_change {
	bool set, reset;
	int enabled, minute;
};

/* Reads {"enabled": bool, "time": "HH:MM"} (either may be absent; the object null: the
 * defaults) into out. NULL, or the bad field's name ("ereport.push", "ereport.push.enabled",
 * "ereport.push.time": the user's route names them without "ereport."). v is lent. */
const char *push_change_parse(json_t *v, struct push_change *out);

/* Stores the change (in the caller's transaction): switched on, its `since` is now. */
int push_change_put(struct store *st, int64_t brand_id, int64_t user_id,
                    const struct push_change *c, int64_t now);

/* The subscription as JSON: {"enabled", "time", "next_at" (its next report time in the user's
 * zone, null when off)}; *text, when not NULL, "on 07:00" or "off 07:00" (16 bytes). */
int push_sub_json(struct store *st, int64_t brand_id, int64_t user_id, json_t **out, char *text);

int api_push_reports_list(struct req *r);
int api_push_reports_file(struct req *r);

#endif
