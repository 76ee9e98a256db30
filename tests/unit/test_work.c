/*
 * test_work.c - the workers of work/work.h on a real store: Argon2id's jobs have hashers of
 * their own, so a read never waits behind them (security review, finding 1: sign-ins on the
 * readers stalled every read); the hashers' queue is short and says so (ST_BUSY); a job whose
 * requester went away is dropped by a reader or a hasher, never by the writer; an export's
 * page (a scan job) runs with a small page cache, which is its usual size again after; SQLite
 * keeps no global count of its memory (a mutex every thread shares at each allocation).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/limits.h"
#include "store/sqlite/lite.h"
#include "store_fixture.h"
#include "work/work.h"

/* A job that can hold its worker until released, and says whether it ran. */
struct test_job {
	struct work_job work; /* first */
	atomic_bool *hold;    /* while true, run waits */
	bool gone;            /* what its gone says */
	atomic_bool started, ran, delivered;
};

static int
job_run(struct work_job *w, struct store *st)
{
	struct test_job *j = (struct test_job *)w;

	(void)st;
	atomic_store(&j->started, true);
	while (j->hold != NULL && atomic_load(j->hold))
		sleep_ms(1);
	atomic_store(&j->ran, true);
	return ST_OK;
}

static void
job_deliver(struct work_job *w)
{
	atomic_store(&((struct test_job *)w)->delivered, true);
}

static bool
job_gone(struct work_job *w)
{
	return ((struct test_job *)w)->gone;
}

static void
job_init(struct test_job *j, atomic_bool *hold, bool gone)
{
	*j = (struct test_job){0};
	j->work.run = job_run;
	j->work.deliver = job_deliver;
	j->work.gone = job_gone;
	j->hold = hold;
	j->gone = gone;
}

/* Waits up to 5 s for *flag. */
static bool
soon(atomic_bool *flag)
{
	for (int i = 0; i < 5000 && !atomic_load(flag); i++)
		sleep_ms(1);
	return atomic_load(flag);
}

static struct work *
workers(struct fixture *fx)
{
	struct work *w;

	assert_int_equal(work_start(fx->st, fx->path, 2, &w), ST_OK);
	fx->st = NULL; /* work_stop closes it */
	return w;
}

/* Hashers busy and their queue full: reads still run at once; one more hash is refused. */
static void
reads_never_wait_behind_hashes(void **state)
{
	struct work *w = workers(*state);
	atomic_bool hold = true;
	struct test_job *hashes = calloc(LIMIT_HASHERS + LIMIT_HASH_QUEUE, sizeof(*hashes));
	struct test_job extra, read, write;

	assert_non_null(hashes);
	/* One job a hasher, each running; then their queue, full. */
	for (int i = 0; i < LIMIT_HASHERS + LIMIT_HASH_QUEUE; i++) {
		job_init(&hashes[i], &hold, false);
		assert_int_equal(work_submit_hash(w, &hashes[i].work), ST_OK);
		if (i < LIMIT_HASHERS)
			assert_true(soon(&hashes[i].started));
	}
	job_init(&extra, NULL, false);
	assert_int_equal(work_submit_hash(w, &extra.work), ST_BUSY);
	job_init(&read, NULL, false);
	assert_int_equal(work_submit_read(w, &read.work), ST_OK);
	assert_true(soon(&read.delivered));
	assert_true(atomic_load(&read.ran));
	job_init(&write, NULL, false);
	assert_int_equal(work_submit_write(w, &write.work), ST_OK);
	assert_true(soon(&write.delivered));
	for (int i = 0; i < LIMIT_HASHERS + LIMIT_HASH_QUEUE; i++)
		assert_false(atomic_load(&hashes[i].delivered));
	atomic_store(&hold, false);
	for (int i = 0; i < LIMIT_HASHERS + LIMIT_HASH_QUEUE; i++)
		assert_true(soon(&hashes[i].delivered));
	work_stop(w);
	free(hashes);
}

/* A queued job whose requester went away is delivered ST_BUSY without running, on the
 * readers and the hashers; the writer runs it all the same (a write is never lost). */
static void
gone_jobs_are_dropped_but_not_writes(void **state)
{
	struct work *w = workers(*state);
	atomic_bool hold = true;
	struct test_job blocker, hash, read, write;

	job_init(&blocker, &hold, false);
	assert_int_equal(work_submit_hash(w, &blocker.work), ST_OK);
	job_init(&hash, NULL, true);
	assert_int_equal(work_submit_hash(w, &hash.work), ST_OK);
	job_init(&read, NULL, true);
	assert_int_equal(work_submit_read(w, &read.work), ST_OK);
	job_init(&write, NULL, true);
	assert_int_equal(work_submit_write(w, &write.work), ST_OK);
	assert_true(soon(&read.delivered));
	assert_false(atomic_load(&read.ran));
	assert_int_equal(read.work.rc, ST_BUSY);
	assert_true(soon(&write.delivered));
	assert_true(atomic_load(&write.ran));
	assert_int_equal(write.work.rc, ST_OK);
	atomic_store(&hold, false);
	assert_true(soon(&hash.delivered));
	assert_false(atomic_load(&hash.ran));
	assert_int_equal(hash.work.rc, ST_BUSY);
	work_stop(w);
}

/* A read job that notes its connection's page cache size (SQLite: negative, in KiB). */
struct cache_job {
	struct work_job work; /* first */
	atomic_bool delivered;
	int64_t cache_size;
};

static int
cache_run(struct work_job *w, struct store *st)
{
	struct cache_job *j = (struct cache_job *)w;
	sqlite3_stmt *s;
	int rc = ST_STORE;

	if (sqlite3_prepare_v2(lite_conn(st), "PRAGMA cache_size", -1, &s, NULL) != SQLITE_OK)
		return ST_STORE;
	if (sqlite3_step(s) == SQLITE_ROW) {
		j->cache_size = sqlite3_column_int64(s, 0);
		rc = ST_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

static void
cache_deliver(struct work_job *w)
{
	atomic_store(&((struct cache_job *)w)->delivered, true);
}

static int64_t
cache_size_read(struct work *w, bool scan)
{
	struct cache_job j = {.work = {.run = cache_run, .deliver = cache_deliver, .scan = scan}};

	assert_int_equal(work_submit_read(w, &j.work), ST_OK);
	assert_true(soon(&j.delivered));
	assert_int_equal(j.work.rc, ST_OK);
	return j.cache_size;
}

static void
scan_jobs_run_with_a_small_cache(void **state)
{
	struct fixture *fx = *state;
	struct work *w;
	sqlite3_int64 used, peak;

	/* One reader: the plain job after the scan runs on the connection the scan shrank. */
	assert_int_equal(work_start(fx->st, fx->path, 1, &w), ST_OK);
	fx->st = NULL;
	assert_int_equal(cache_size_read(w, false), -8192);
	assert_int_equal(cache_size_read(w, true), -2048);
	assert_int_equal(cache_size_read(w, false), -8192);
	assert_int_equal(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &peak, 0), SQLITE_OK);
	assert_int_equal(used, 0);
	work_stop(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(reads_never_wait_behind_hashes, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(gone_jobs_are_dropped_but_not_writes, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(scan_jobs_run_with_a_small_cache, fixture_setup,
	                                        fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
