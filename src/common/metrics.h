/*
 * metrics.h - the Prometheus text exposition (format 0.0.4) and what it is made of: a family's
 * HELP and TYPE lines, samples with their label values escaped, histograms of whole numbers
 * (microseconds, counts) against fixed bounds, and the rounds of the background jobs.
 *
 * The numbers are relaxed atomics: whoever observes adds without a lock, a scrape on another
 * thread reads them as they are. A histogram's count is the sum of its buckets as read, so a
 * scrape never shows a _count that is not its +Inf bucket. Every value is a whole number or a
 * decimal written from one (no floating point: nothing is rounded on its way out).
 *
 * Not the route that answers them (api/metrics.c), nor who may read it (http/metrics.h), nor
 * the requests' tables (http/metrics.h).
 */
#ifndef GUICHET_METRICS_H
#define GUICHET_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Upper bounds of a histogram at most. */
#define METRICS_BOUNDS_MAX 16

/* A histogram's n ascending upper bounds (le), in units of which `per` make one of the unit
 * the exposition shows: per 1000000 for microseconds shown as seconds, 1 for counts. per is a
 * power of ten. */
struct metrics_bounds {
	const uint64_t *le;
	size_t n;
	uint64_t per;
};

/* A histogram being filled: bucket[i] counts the observations above le[i - 1] and up to
 * le[i] (not cumulative), bucket[n] those above le[n - 1]; sum is their total. Zeroed: empty. */
struct metrics_histo {
	_Atomic uint64_t bucket[METRICS_BOUNDS_MAX + 1];
	_Atomic uint64_t sum;
};

/* A histogram as read, or several added up (the event loops'). Zeroed: empty. */
struct metrics_histo_read {
	uint64_t bucket[METRICS_BOUNDS_MAX + 1];
	uint64_t sum;
};

/* Adds v to h (any thread, no lock). */
void metrics_observe(struct metrics_histo *h, const struct metrics_bounds *b, uint64_t v);

/* Adds what h holds now to *to. */
void metrics_histo_add(struct metrics_histo_read *to, const struct metrics_histo *h,
                       const struct metrics_bounds *b);

/* The number of observations of r: its buckets' sum, the +Inf bucket. */
uint64_t metrics_histo_count(const struct metrics_histo_read *r, const struct metrics_bounds *b);

/* A label of a sample: name is a constant of the code (never escaped), value anything
 * (escaped as the format says). */
struct metrics_label {
	const char *name;
	const char *value;
};

/* Writes a family's "# HELP" (help escaped) and "# TYPE" lines: type "counter", "gauge" or
 * "histogram". The family's samples follow, all together. */
void metrics_family(struct buf *out, const char *name, const char *type, const char *help);

/* Writes the sample name{labels} value, value being v / per as a decimal (per a power of ten:
 * 1 for a count, 1000000 for microseconds as seconds). n labels; none: no braces. */
void metrics_sample(struct buf *out, const char *name, const struct metrics_label *labels, size_t n,
                    uint64_t v, uint64_t per);

/* Writes histogram r under name with its labels: name_bucket for each bound, cumulative, then
 * le="+Inf", name_sum (in b's unit) and name_count. */
void metrics_histo_write(struct buf *out, const char *name, const struct metrics_label *labels,
                         size_t n, const struct metrics_histo_read *r,
                         const struct metrics_bounds *b);

/* Appends v escaped as the format says (text format 0.0.4): a label value's (label) \ " and
 * newline as \\ \" \n; a HELP text's \ and newline as \\ \n. Exposed for its tests. */
void metrics_escape(struct buf *out, const char *v, bool label);

/* v / per as the shortest exact decimal: "0", "12", "0.0005", "2.5". per a power of ten. */
void metrics_decimal(struct buf *out, uint64_t v, uint64_t per);

/* --- the background jobs' rounds ------------------------------------------------------- */

/* Jobs the table holds at most (a name registered again is the same job). */
#define METRICS_JOBS_MAX 16

struct metrics_job;

/* The job named name (a string that outlives the process: a constant), registered now when it
 * is new; its lag counts from now until its first round ends. NULL for a NULL name or a full
 * table (its rounds are then not counted). Any thread. */
struct metrics_job *metrics_job_register(const char *name);

/* A round of j ended now, having done its work (ok) or failed. NULL does nothing. */
void metrics_job_round(struct metrics_job *j, bool ok);

/* Writes the jobs' families: rounds, failed rounds, and the seconds since each one's last
 * round ended (the lag), at now_mono_us (clock_mono_us). */
void metrics_jobs_write(struct buf *out, int64_t now_mono_us);

#endif
