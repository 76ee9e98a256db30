/*
 * test_periodic.c - the rounds of work/periodic.h on a real writer and reader pool: a full
 * round is followed by the next after pause_ms, any other after every_ms; the first goes at
 * the start; periodic_stop returns only once the round with the workers came back (the jobs
 * built on it rely on that before work_stop).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "store_fixture.h"
#include "work/periodic.h"
#include "work/work.h"

struct counter {
	atomic_int runs;  /* rounds run */
	atomic_int dones; /* rounds back */
	int full;         /* the first `full` rounds say they were full */
	int64_t slow_ms;  /* each round takes as long */
};

static int
count_run(struct work_job *w, struct store *st)
{
	struct periodic_job *j = (struct periodic_job *)w;
	struct counter *c = j->arg;

	(void)st;
	if (c->slow_ms > 0)
		sleep_ms(c->slow_ms);
	atomic_fetch_add(&c->runs, 1);
	return ST_OK;
}

static bool
count_done(struct work_job *w)
{
	struct periodic_job *j = (struct periodic_job *)w;
	struct counter *c = j->arg;

	return atomic_fetch_add(&c->dones, 1) < c->full;
}

/* Waits up to ms for *v to reach n. */
static bool
reaches(atomic_int *v, int n, int64_t ms)
{
	for (int64_t t = 0; t < ms; t += 5) {
		if (atomic_load(v) >= n)
			return true;
		sleep_ms(5);
	}
	return atomic_load(v) >= n;
}

static struct work *
workers(struct fixture *fx)
{
	struct work *w;

	assert_int_equal(work_start(fx->st, fx->path, 1, &w), ST_OK);
	fx->st = NULL; /* work_stop closes it */
	return w;
}

/* Five full rounds go one after the other, 1 ms apart; the sixth, not full, waits a minute. */
static void
full_rounds_go_after_the_pause(void **state)
{
	struct counter c = {.full = 5};
	struct periodic_spec spec = {.job_size = sizeof(struct periodic_job),
	                             .run = count_run,
	                             .done = count_done,
	                             .every_ms = 60000,
	                             .pause_ms = 1,
	                             .arg = &c};
	struct work *w = workers(*state);
	struct periodic *p;

	assert_int_equal(periodic_start(w, &spec, &p), ST_OK);
	assert_true(reaches(&c.dones, 6, 5000));
	sleep_ms(200);
	assert_int_equal(atomic_load(&c.dones), 6);
	periodic_stop(p); /* at once: the nap of a minute ends with the stop */
	work_stop(w);
}

/* On a reader too; a round not full waits every_ms. */
static void
rounds_go_every_ms(void **state)
{
	struct counter c = {0};
	struct periodic_spec spec = {.read = true,
	                             .job_size = sizeof(struct periodic_job),
	                             .run = count_run,
	                             .done = count_done,
	                             .every_ms = 50,
	                             .pause_ms = 1,
	                             .arg = &c};
	struct work *w = workers(*state);
	struct periodic *p;

	assert_int_equal(periodic_start(w, &spec, &p), ST_OK);
	assert_true(reaches(&c.dones, 3, 5000));
	periodic_stop(p);
	work_stop(w);
}

/* The stop waits for the round with the workers: done has run when periodic_stop returns. */
static void
stop_waits_for_the_round(void **state)
{
	struct counter c = {.slow_ms = 300};
	struct periodic_spec spec = {.job_size = sizeof(struct periodic_job),
	                             .run = count_run,
	                             .done = count_done,
	                             .every_ms = 60000,
	                             .arg = &c};
	struct work *w = workers(*state);
	struct periodic *p;

	assert_int_equal(periodic_start(w, &spec, &p), ST_OK);
	sleep_ms(50); /* the first round is with the writer, in its sleep */
	assert_int_equal(atomic_load(&c.dones), 0);
	periodic_stop(p);
	assert_int_equal(atomic_load(&c.runs), 1);
	assert_int_equal(atomic_load(&c.dones), 1);
	work_stop(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(full_rounds_go_after_the_pause, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(rounds_go_every_ms, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(stop_waits_for_the_round, fixture_setup,
	                                        fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
