/*
 * test_wal_vfs.c - the payments' connection writes its log in one call a commit
 * (src/store/sqlite/wal_vfs.c), and nothing a reader sees changes: after every commit, a
 * second connection reads every row the writer committed, whether the commit synced the log
 * (synchronous FULL, the payments' setting) or not (NORMAL: then only the frame that ends the
 * transaction sends the gathered bytes before SQLite publishes them), through transactions of
 * one row and of more than the gathering's 124 KiB, rolled back ones, and the log's restarts
 * after a checkpoint; the file is whole when opened again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/sqlite/lite.h"
#include "store_fixture.h"

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : sqlite3_errstr(rc));
}

static int64_t
one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Transaction i: i % 7 + 1 rows, every 10th of 200 rows of 2 KiB (400 KiB, several pages a
 * row's overflow), every 13th rolled back; the log checkpointed and restarted every 40th. */
static void
commits_are_seen_by_a_reader(void **state, const char *sync)
{
	struct fixture *fx = *state;
	sqlite3 *w = lite_conn(fx->st), *r;
	int64_t rows = 0, bytes = 0;
	char sql[160];

	assert_int_equal(fx->st->ops->use_for(fx->st, STORE_USE_PAYMENTS), ST_OK);
	assert_int_equal(lite_wal_gather(w), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s", sync);
	exec_ok(w, sql);
	exec_ok(w, "CREATE TABLE gathered (id INTEGER PRIMARY KEY, body BLOB)");
	assert_int_equal(sqlite3_open_v2(fx->path, &r, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (int i = 0; i < 240; i++) {
		int n = i % 10 == 0 ? 200 : i % 7 + 1, size = i % 10 == 0 ? 2048 : 100 + i;
		bool keep = i % 13 != 0;

		exec_ok(w, "BEGIN IMMEDIATE");
		snprintf(sql, sizeof(sql),
		         "WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM k WHERE x < "
		         "%d) "
		         "INSERT INTO gathered (body) SELECT randomblob(%d) FROM k",
		         n, size);
		exec_ok(w, sql);
		exec_ok(w, keep ? "COMMIT" : "ROLLBACK");
		if (keep) {
			rows += n;
			bytes += (int64_t)n * size;
		}
		assert_int_equal(one(r, "SELECT count(*) FROM gathered"), rows);
		assert_int_equal(one(r, "SELECT sum(length(body)) FROM gathered"), bytes);
		if (i % 40 == 39)
			exec_ok(w, "PRAGMA wal_checkpoint(TRUNCATE)");
	}
	sqlite3_close(r);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(sqlite3_open_v2(fx->path, &r, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(one(r, "SELECT count(*) FROM gathered"), rows);
	assert_int_equal(one(r, "SELECT count(*) FROM pragma_integrity_check WHERE "
	                        "integrity_check <> 'ok'"),
	                 0);
	sqlite3_close(r);
}

static void
synced_commits(void **state)
{
	commits_are_seen_by_a_reader(state, "FULL");
}

static void
unsynced_commits(void **state)
{
	commits_are_seen_by_a_reader(state, "NORMAL");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(synced_commits, fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(unsynced_commits, fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
