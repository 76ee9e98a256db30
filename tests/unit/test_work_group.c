/*
 * test_work_group.c - the writer's group commit (work/work.h) when SQLite has rolled the group's
 * transaction back by itself, as it does on an I/O error in the middle of a statement (and
 * on a full disk without a statement journal): every job of the group fails, and none that
 * comes after the failing one is written outside the transaction.
 *
 * The rollback an I/O error causes is played here by a job that runs ROLLBACK on the writer's
 * connection, then fails as the store would; tests/system/test_faults.py meets the same with
 * a real I/O error (a fault-injection build). The metrics of the writer (work_stats) count
 * the failed transaction with the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/sqlite/lite.h"
#include "store_fixture.h"
#include "work/work.h"

struct job {
	struct work_job work; /* first */
	const char *key;      /* the meta row it writes; NULL: it plays the I/O error */
	atomic_bool *gate;    /* NULL, or a job that waits until it is set */
	atomic_int *delivered;
};

static int
job_run(struct work_job *w, struct store *st)
{
	struct job *j = (struct job *)w;

	if (j->gate != NULL) {
		while (!atomic_load(j->gate))
			sleep_ms(1);
		return ST_OK;
	}
	if (j->key == NULL) {
		/* What SQLite does on SQLITE_IOERR inside a statement (sqlite3VdbeHalt): the
		 * whole transaction rolled back, the connection back in autocommit mode. */
		assert_int_equal(sqlite3_exec(lite_conn(st), "ROLLBACK", NULL, NULL, NULL),
		                 SQLITE_OK);
		return ST_STORE;
	}
	return st->ops->meta_put(st, j->key, (const unsigned char *)"x", 1);
}

static void
job_deliver(struct work_job *w)
{
	atomic_fetch_add(((struct job *)w)->delivered, 1);
}

static void
a_group_rolled_back_by_sqlite_writes_none_of_its_jobs(void **state)
{
	struct fixture *fx = *state;
	atomic_bool open = false;
	atomic_int delivered = 0;
	struct job gate = {.gate = &open}, before = {.key = "work_before"}, failing = {0},
	           after = {.key = "work_after"}, later = {.key = "work_later"};
	struct job *group[] = {&before, &failing, &after, &later};
	struct work_stats ws;
	struct work *w;

	assert_int_equal(work_start(fx->st, fx->path, 1, &w), ST_OK);
	fx->st = NULL; /* work_stop closes it */
	/* The gate holds the writer in its own group while the next four queue up: they run
	 * together, in one transaction, in this order. */
	gate.work.run = job_run;
	gate.work.deliver = job_deliver;
	gate.delivered = &delivered;
	assert_int_equal(work_submit_write(w, &gate.work), ST_OK);
	sleep_ms(50);
	for (size_t i = 0; i < 4; i++) {
		group[i]->work.run = job_run;
		group[i]->work.deliver = job_deliver;
		group[i]->delivered = &delivered;
		assert_int_equal(work_submit_write(w, &group[i]->work), ST_OK);
	}
	atomic_store(&open, true);
	for (int t = 0; t < 5000 && atomic_load(&delivered) < 5; t++)
		sleep_ms(1);
	assert_int_equal(atomic_load(&delivered), 5);
	/* Each job is answered as failed, and none is written: not the one before the failure
	 * (SQLite rolled it back), nor those after it (they used to run in a transaction of
	 * their own, which the release of their savepoint committed). */
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(group[i]->work.rc, ST_STORE);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM meta WHERE key LIKE 'work_%'"), 0);
	/* The writer goes on: the next group is written. */
	later.work.rc = -1;
	assert_int_equal(work_submit_write(w, &later.work), ST_OK);
	for (int t = 0; t < 5000 && atomic_load(&delivered) < 6; t++)
		sleep_ms(1);
	assert_int_equal(later.work.rc, ST_OK);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM meta WHERE key LIKE 'work_%'"), 1);
	/* The metrics saw three transactions (the gate's, the four's, the later one's), of six
	 * jobs, the second failed; three commits tried. */
	work_stats(w, &ws);
	assert_int_equal(metrics_histo_count(&ws.group_size, &work_group_bounds), 3);
	assert_int_equal(ws.group_size.sum, 6);
	assert_int_equal(ws.group_size.bucket[0], 2); /* le 1 */
	assert_int_equal(ws.group_size.bucket[2], 1); /* le 4 */
	assert_int_equal(ws.groups_failed, 1);
	assert_int_equal(metrics_histo_count(&ws.commit_us, &work_commit_bounds), 3);
	assert_int_equal(ws.writer_queue, 0);
	assert_int_equal(ws.readers, 1);
	assert_int_equal(ws.hashers, 1);
	work_stop(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                a_group_rolled_back_by_sqlite_writes_none_of_its_jobs, fixture_setup,
	                fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
