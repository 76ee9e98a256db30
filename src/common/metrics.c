/*
 * metrics.c - the Prometheus text exposition and the jobs' rounds (metrics.h).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/metrics.h"

void
metrics_observe(struct metrics_histo *h, const struct metrics_bounds *b, uint64_t v)
{
	size_t i = 0;

	while (i < b->n && v > b->le[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

void
metrics_histo_add(struct metrics_histo_read *to, const struct metrics_histo *h,
                  const struct metrics_bounds *b)
{
	for (size_t i = 0; i <= b->n; i++)
		to->bucket[i] += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
	to->sum += atomic_load_explicit(&h->sum, memory_order_relaxed);
}

uint64_t
metrics_histo_count(const struct metrics_histo_read *r, const struct metrics_bounds *b)
{
	uint64_t n = 0;

	for (size_t i = 0; i <= b->n; i++)
		n += r->bucket[i];
	return n;
}

void
metrics_escape(struct buf *out, const char *v, bool label)
{
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\\')
			buf_adds(out, "\\\\");
		else if (*p == '"' && label)
			buf_adds(out, "\\\"");
		else if (*p == '\n')
			buf_adds(out, "\\n");
		else
			buf_add(out, p, 1);
	}
}

void
metrics_decimal(struct buf *out, uint64_t v, uint64_t per)
{
	char s[48];
	int n = snprintf(s, sizeof(s), "%llu", (unsigned long long)(v / per));
	uint64_t frac = v % per;

	buf_add(out, s, (size_t)n);
	if (frac == 0)
		return;
	/* The fraction's digits, as many as per has zeros, then without the trailing zeros. */
	n = 0;
	for (uint64_t p = per / 10; p > 0; p /= 10)
		s[n++] = (char)('0' + (frac / p) % 10);
	while (n > 0 && s[n - 1] == '0')
		n--;
	buf_adds(out, ".");
	buf_add(out, s, (size_t)n);
}

void
metrics_family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_adds(out, "# HELP ");
	buf_adds(out, name);
	buf_adds(out, " ");
	metrics_escape(out, help, false);
	buf_adds(out, "\n# TYPE ");
	buf_adds(out, name);
	buf_adds(out, " ");
	buf_adds(out, type);
	buf_adds(out, "\n");
}

/* name + suffix, its labels and le (NULL: none) in braces, and the space before the value. */
static void
sample_head(struct buf *out, const char *name, const char *suffix,
            const struct metrics_label *labels, size_t n, const char *le)
{
	buf_adds(out, name);
	buf_adds(out, suffix);
	if (n > 0 || le != NULL) {
		buf_adds(out, "{");
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				buf_adds(out, ",");
			buf_adds(out, labels[i].name);
			buf_adds(out, "=\"");
			metrics_escape(out, labels[i].value, true);
			buf_adds(out, "\"");
		}
		if (le != NULL) {
			buf_adds(out, n > 0 ? ",le=\"" : "le=\"");
			buf_adds(out, le);
			buf_adds(out, "\"");
		}
		buf_adds(out, "}");
	}
	buf_adds(out, " ");
}

void
metrics_sample(struct buf *out, const char *name, const struct metrics_label *labels, size_t n,
               uint64_t v, uint64_t per)
{
	sample_head(out, name, "", labels, n, NULL);
	metrics_decimal(out, v, per);
	buf_adds(out, "\n");
}

void
metrics_histo_write(struct buf *out, const char *name, const struct metrics_label *labels, size_t n,
                    const struct metrics_histo_read *r, const struct metrics_bounds *b)
{
	uint64_t below = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct buf le;

		buf_init(&le, 32);
		metrics_decimal(&le, b->le[i], b->per);
		below += r->bucket[i];
		sample_head(out, name, "_bucket", labels, n, le.data);
		metrics_decimal(out, below, 1);
		buf_adds(out, "\n");
		buf_cleanup(&le);
	}
	below += r->bucket[b->n];
	sample_head(out, name, "_bucket", labels, n, "+Inf");
	metrics_decimal(out, below, 1);
	buf_adds(out, "\n");
	sample_head(out, name, "_sum", labels, n, NULL);
	metrics_decimal(out, r->sum, b->per);
	buf_adds(out, "\n");
	sample_head(out, name, "_count", labels, n, NULL);
	metrics_decimal(out, below, 1);
	buf_adds(out, "\n");
}

/* --- the background jobs' rounds ------------------------------------------------------- */

struct metrics_job {
	const char *name;
	int64_t registered_us;          /* clock_mono_us */
	_Atomic int64_t last_end_us;    /* clock_mono_us of the last round's end; 0: none yet */
	_Atomic uint64_t rounds, fails; /* rounds ended, and of them the failed ones */
};

static struct metrics_job jobs[METRICS_JOBS_MAX];
/* Registered jobs: the first jobs_n of jobs[], whole before the count says so (release). */
static atomic_size_t jobs_n;
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;

struct metrics_job *
metrics_job_register(const char *name)
{
	struct metrics_job *j = NULL;
	size_t n;

	if (name == NULL)
		return NULL;
	pthread_mutex_lock(&jobs_lock);
	n = atomic_load_explicit(&jobs_n, memory_order_relaxed);
	for (size_t i = 0; i < n && j == NULL; i++)
		if (strcmp(jobs[i].name, name) == 0)
			j = &jobs[i];
	if (j == NULL && n < METRICS_JOBS_MAX) {
		j = &jobs[n];
		j->name = name;
		j->registered_us = clock_mono_us();
		atomic_store_explicit(&jobs_n, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&jobs_lock);
	return j;
}

void
metrics_job_round(struct metrics_job *j, bool ok)
{
	if (j == NULL)
		return;
	atomic_fetch_add_explicit(&j->rounds, 1, memory_order_relaxed);
	if (!ok)
		atomic_fetch_add_explicit(&j->fails, 1, memory_order_relaxed);
	atomic_store_explicit(&j->last_end_us, clock_mono_us(), memory_order_relaxed);
}

/* A family of one counter of each of the first n jobs: the one at offset off in the struct. */
static void
jobs_counter_write(struct buf *out, size_t n, const char *name, const char *help, size_t off)
{
	metrics_family(out, name, "counter", help);
	for (size_t i = 0; i < n; i++) {
		_Atomic uint64_t *c = (_Atomic uint64_t *)((char *)&jobs[i] + off);

		metrics_sample(out, name, &(struct metrics_label){"job", jobs[i].name}, 1,
		               atomic_load_explicit(c, memory_order_relaxed), 1);
	}
}

void
metrics_jobs_write(struct buf *out, int64_t now_mono_us)
{
	size_t n = atomic_load_explicit(&jobs_n, memory_order_acquire);

	jobs_counter_write(out, n, "guichet_job_rounds_total",
	                   "Rounds a background job has ended (failed ones included).",
	                   offsetof(struct metrics_job, rounds));
	jobs_counter_write(out, n, "guichet_job_round_failures_total",
	                   "Rounds of a background job that failed (storage, or a write refused), "
	                   "done again at a later round.",
	                   offsetof(struct metrics_job, fails));
	metrics_family(out, "guichet_job_lag_seconds", "gauge",
	               "Seconds since a background job's last round ended (since the server "
	               "started, until its first round ends).");
	for (size_t i = 0; i < n; i++) {
		int64_t end = atomic_load_explicit(&jobs[i].last_end_us, memory_order_relaxed);
		int64_t since = end > 0 ? end : jobs[i].registered_us;

		metrics_sample(out, "guichet_job_lag_seconds",
		               &(struct metrics_label){"job", jobs[i].name}, 1,
		               now_mono_us > since ? (uint64_t)(now_mono_us - since) : 0, 1000000);
	}
}
