/*
 * test_pg_scan.c - the PostgreSQL backend's cursor in a scan (src/store/pg/pg_stmt.c): a
 * SELECT of a reader's job that reads many rows once goes through a cursor, a FETCH of 1,000
 * rows ahead of the rows read. Every row comes, in order, at each batch's boundary (0, 1,
 * 999, 1,000, 1,001, 2,000, 2,500 rows); another statement run in the middle of the walk (a
 * walk's callback's) waits for the FETCH on its way and both read what they should; a walk
 * stopped early, reset, or left for the transaction's end leaves the connection usable; out
 * of a scan, no cursor. Needs a PostgreSQL database: GUICHET_TEST_PG_URI, which
 * tests/system/test_pg_scan.py gives it on the suite's throwaway cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "store/sql/db.h"
#include "store/store.h"

static const char series_sql[] = "SELECT g FROM generate_series(1, ?1) AS g ORDER BY g";

static struct store *
reader(bool scan)
{
	const char *uri = getenv("GUICHET_TEST_PG_URI");
	struct store *st = NULL;

	if (uri == NULL)
		fail_msg("GUICHET_TEST_PG_URI: the database to test on");
	assert_int_equal(store_open(uri, false, &st), ST_OK);
	assert_int_equal(st->ops->begin(st, false), ST_OK);
	st->ops->scan(st, scan);
	return st;
}

static void
reader_end(struct store *st)
{
	st->ops->rollback(st);
	st->ops->scan(st, false);
	/* The connection usable after it: a transaction and a statement. */
	assert_int_equal(st->ops->begin(st, false), ST_OK);
	st->ops->rollback(st);
	store_close(st);
}

static struct stmt *
series(struct store *st, int64_t n)
{
	struct stmt *s;

	assert_int_equal(db_prepare(st, series_sql, &s, "test_series"), ST_OK);
	stmt_bind_int64(s, 1, n);
	return s;
}

/* The cursors the backend declared that the session has open now (pg_cursors: this session's;
 * the backend names them as its statements, g and a number), the count's own in a scan. */
static int64_t
cursors(struct store *st)
{
	struct stmt *s;
	int64_t n;

	assert_int_equal(db_prepare(st, "SELECT count(*) FROM pg_cursors WHERE name ~ '^g[0-9]+$'",
	                            &s, "test_cursors"),
	                 ST_OK);
	assert_int_equal(stmt_step(s), STMT_ROW);
	n = stmt_int64(s, 0);
	assert_int_equal(stmt_step(s), STMT_DONE);
	stmt_finalize(s);
	return n;
}

/* Walks series(n) whole, checking each row; at the rows of nested[] (until a 0), runs a
 * whole series(nested_n) of its own and a count of the cursors. */
static void
walk(struct store *st, int64_t n, const int64_t *nested, int64_t nested_n)
{
	struct stmt *s = series(st, n);
	int64_t got = 0;
	int src;

	while ((src = stmt_step(s)) == STMT_ROW) {
		assert_int_equal(stmt_int64(s, 0), ++got);
		for (const int64_t *at = nested; at != NULL && *at != 0; at++)
			if (*at == got) {
				walk(st, nested_n, NULL, 0);
				assert_true(cursors(st) >= 1);
			}
	}
	assert_int_equal(src, STMT_DONE);
	assert_int_equal(got, n);
	assert_int_equal(stmt_step(s), STMT_DONE); /* and stays done */
	stmt_finalize(s);
}

static void
test_every_row_at_each_boundary(void **state)
{
	static const int64_t sizes[] = {0, 1, 999, 1000, 1001, 2000, 2500};
	struct store *st = reader(true);

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		walk(st, sizes[i], NULL, 0);
	reader_end(st);
}

static void
test_a_statement_in_the_middle_of_a_walk(void **state)
{
	/* Right after a batch was read (its FETCH on its way), within one, and at the last. */
	static const int64_t at[] = {1, 500, 1000, 1001, 2499, 2500, 0};
	struct store *st = reader(true);

	(void)state;
	walk(st, 2500, at, 1500);
	walk(st, 2500, at, 0);
	reader_end(st);
}

static void
test_a_walk_left_early(void **state)
{
	struct store *st = reader(true);
	struct stmt *s = series(st, 2500);

	(void)state;
	for (int i = 1; i <= 1200; i++) {
		assert_int_equal(stmt_step(s), STMT_ROW);
		assert_int_equal(stmt_int64(s, 0), i);
	}
	/* Reset with a FETCH on its way, then run again from the start. */
	stmt_reset(s);
	walk(st, 10, NULL, 0);
	for (int i = 1; i <= 2500; i++)
		assert_int_equal(stmt_step(s), STMT_ROW);
	assert_int_equal(stmt_step(s), STMT_DONE);
	/* Left with a FETCH on its way when the transaction ends. */
	stmt_reset(s);
	assert_int_equal(stmt_step(s), STMT_ROW);
	st->ops->rollback(st);
	stmt_finalize(s);
	reader_end(st);
}

static void
test_no_cursor_out_of_a_scan(void **state)
{
	struct store *st = reader(false);
	struct stmt *s = series(st, 2500);

	(void)state;
	assert_int_equal(stmt_step(s), STMT_ROW);
	assert_int_equal(cursors(st), 0);
	stmt_finalize(s);
	st->ops->scan(st, true);
	s = series(st, 2500);
	assert_int_equal(stmt_step(s), STMT_ROW);
	assert_int_equal(cursors(st), 2); /* its own and the count's */
	stmt_finalize(s);
	walk(st, 2500, NULL, 0);
	reader_end(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_row_at_each_boundary),
	        cmocka_unit_test(test_a_statement_in_the_middle_of_a_walk),
	        cmocka_unit_test(test_a_walk_left_early),
	        cmocka_unit_test(test_no_cursor_out_of_a_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
