/*
 * test_metrics.c - the Prometheus text exposition of common/metrics.h: the escapes of label
 * values and HELP texts, the decimals written from whole numbers, a family's and a sample's
 * lines, histograms (cumulative buckets, +Inf, _sum, _count), and the jobs' rounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/metrics.h"

/* What fn wrote into a fresh buffer, compared with want. */
#define WRITTEN(want, call)                                                                        \
	do {                                                                                       \
		struct buf out;                                                                    \
		buf_init(&out, 1 << 16);                                                           \
		call;                                                                              \
		assert_false(out.failed);                                                          \
		assert_string_equal(out.data != NULL ? out.data : "", want);                       \
		buf_cleanup(&out);                                                                 \
	} while (0)

static void
label_values_are_escaped(void **state)
{
	static const struct {
		const char *in, *want;
	} rows[] = {
	        {"", ""},
	        {"/api/v1/payments/{id}", "/api/v1/payments/{id}"},
	        {"a\"b", "a\\\"b"},
	        {"a\\b", "a\\\\b"},
	        {"a\nb", "a\\nb"},
	        {"\\\"\n", "\\\\\\\"\\n"},
	        {"été", "été"}, /* UTF-8 stays as it is */
	        {"tab\tcr\r", "tab\tcr\r"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		WRITTEN(rows[i].want, metrics_escape(&out, rows[i].in, true));
}

static void
help_texts_are_escaped(void **state)
{
	(void)state;
	/* A HELP text keeps its quotes (only a label value escapes them). */
	WRITTEN("say \"hi\" \\\\ done\\nnext",
	        metrics_escape(&out, "say \"hi\" \\ done\nnext", false));
}

static void
decimals_are_exact(void **state)
{
	static const struct {
		uint64_t v, per;
		const char *want;
	} rows[] = {
	        {0, 1, "0"},
	        {7, 1, "7"},
	        {18446744073709551615ULL, 1, "18446744073709551615"},
	        {0, 1000000, "0"},
	        {1, 1000000, "0.000001"},
	        {500, 1000000, "0.0005"},
	        {1000000, 1000000, "1"},
	        {2500000, 1000000, "2.5"},
	        {10000000, 1000000, "10"},
	        {1234567, 1000000, "1.234567"},
	        {1230000, 1000000, "1.23"},
	        {5, 10, "0.5"},
	        {105, 100, "1.05"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		WRITTEN(rows[i].want, metrics_decimal(&out, rows[i].v, rows[i].per));
}

static void
a_family_and_its_samples(void **state)
{
	(void)state;
	WRITTEN("# HELP guichet_x_total Things; \\\\ and a\\nline.\n# TYPE guichet_x_total "
	        "counter\n",
	        metrics_family(&out, "guichet_x_total", "counter", "Things; \\ and a\nline."));
	WRITTEN("guichet_up 1\n", metrics_sample(&out, "guichet_up", NULL, 0, 1, 1));
	WRITTEN("guichet_x_total{route=\"/a/{id}\",status=\"404\"} 3\n",
	        metrics_sample(&out, "guichet_x_total",
	                       (struct metrics_label[]){{"route", "/a/{id}"}, {"status", "404"}}, 2,
	                       3, 1));
	WRITTEN("guichet_lag_seconds{job=\"a\\\"b\"} 0.25\n",
	        metrics_sample(&out, "guichet_lag_seconds", &(struct metrics_label){"job", "a\"b"},
	                       1, 250000, 1000000));
}

static const uint64_t le[] = {1000, 5000, 10000};
static const struct metrics_bounds bounds = {le, 3, 1000000};

static void
histograms_are_cumulative(void **state)
{
	struct metrics_histo h = {0};
	struct metrics_histo_read r = {0};
	/* A bound is inclusive (le: less or equal). */
	static const uint64_t seen[] = {0, 1000, 1001, 5000, 7000, 10000, 10001, 60000000};

	(void)state;
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
		metrics_observe(&h, &bounds, seen[i]);
	metrics_histo_add(&r, &h, &bounds);
	assert_int_equal(metrics_histo_count(&r, &bounds), 8);
	WRITTEN("guichet_d_seconds_bucket{route=\"/x\",le=\"0.001\"} 2\n"
	        "guichet_d_seconds_bucket{route=\"/x\",le=\"0.005\"} 4\n"
	        "guichet_d_seconds_bucket{route=\"/x\",le=\"0.01\"} 6\n"
	        "guichet_d_seconds_bucket{route=\"/x\",le=\"+Inf\"} 8\n"
	        "guichet_d_seconds_sum{route=\"/x\"} 60.034002\n"
	        "guichet_d_seconds_count{route=\"/x\"} 8\n",
	        metrics_histo_write(&out, "guichet_d_seconds",
	                            &(struct metrics_label){"route", "/x"}, 1, &r, &bounds));
	/* Read twice (two event loops), the numbers add up; no labels, no braces but le's. */
	metrics_histo_add(&r, &h, &bounds);
	WRITTEN("guichet_d_seconds_bucket{le=\"0.001\"} 4\n"
	        "guichet_d_seconds_bucket{le=\"0.005\"} 8\n"
	        "guichet_d_seconds_bucket{le=\"0.01\"} 12\n"
	        "guichet_d_seconds_bucket{le=\"+Inf\"} 16\n"
	        "guichet_d_seconds_sum 120.068004\n"
	        "guichet_d_seconds_count 16\n",
	        metrics_histo_write(&out, "guichet_d_seconds", NULL, 0, &r, &bounds));
}

static void
an_empty_histogram(void **state)
{
	struct metrics_histo_read r = {0};
	static const uint64_t sizes[] = {1, 2};
	static const struct metrics_bounds counts = {sizes, 2, 1};

	(void)state;
	WRITTEN("g_bucket{le=\"1\"} 0\ng_bucket{le=\"2\"} 0\ng_bucket{le=\"+Inf\"} 0\ng_sum 0\n"
	        "g_count 0\n",
	        metrics_histo_write(&out, "g", NULL, 0, &r, &counts));
}

static void
jobs_count_their_rounds(void **state)
{
	struct metrics_job *a, *b;
	struct buf out;
	int64_t now;

	(void)state;
	assert_null(metrics_job_register(NULL));
	a = metrics_job_register("alpha");
	b = metrics_job_register("beta");
	assert_non_null(a);
	assert_ptr_equal(metrics_job_register("alpha"), a); /* the same job again */
	metrics_job_round(a, true);
	metrics_job_round(a, false);
	metrics_job_round(NULL, true); /* nothing */
	now = clock_mono_us();
	buf_init(&out, 1 << 16);
	metrics_jobs_write(&out, now + 2500000);
	assert_false(out.failed);
	assert_non_null(strstr(out.data, "\nguichet_job_rounds_total{job=\"alpha\"} 2\n"));
	assert_non_null(strstr(out.data, "\nguichet_job_rounds_total{job=\"beta\"} 0\n"));
	assert_non_null(strstr(out.data, "\nguichet_job_round_failures_total{job=\"alpha\"} 1\n"));
	assert_non_null(strstr(out.data, "\nguichet_job_round_failures_total{job=\"beta\"} 0\n"));
	/* The lag: since alpha's last round, since beta's registration; 2.5 s and a moment. */
	assert_non_null(strstr(out.data, "\nguichet_job_lag_seconds{job=\"alpha\"} 2."));
	assert_non_null(strstr(out.data, "\nguichet_job_lag_seconds{job=\"beta\"} 2."));
	assert_non_null(strstr(out.data, "# TYPE guichet_job_lag_seconds gauge\n"));
	buf_cleanup(&out);
	/* A full table counts no more jobs, and says so with NULL. */
	for (int i = 0; i < METRICS_JOBS_MAX; i++) {
		static const char *const names[] = {"j0",  "j1",  "j2",  "j3", "j4",  "j5",
		                                    "j6",  "j7",  "j8",  "j9", "j10", "j11",
		                                    "j12", "j13", "j14", "j15"};

		(void)metrics_job_register(names[i]);
	}
	assert_null(metrics_job_register("one_too_many"));
	assert_ptr_equal(metrics_job_register("beta"), b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(label_values_are_escaped),
	        cmocka_unit_test(help_texts_are_escaped),
	        cmocka_unit_test(decimals_are_exact),
	        cmocka_unit_test(a_family_and_its_samples),
	        cmocka_unit_test(histograms_are_cumulative),
	        cmocka_unit_test(an_empty_histogram),
	        cmocka_unit_test(jobs_count_their_rounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
