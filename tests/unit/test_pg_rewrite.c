/*
 * test_pg_rewrite.c - the PostgreSQL backend's reading of the shared SQL (src/store/pg/
 * pg_stmt.c, pg_sql_rewrite): each word it changes, and what it leaves alone (quotes, names
 * that only contain those words).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/pg/pg.h"

/* sql rewritten: the text (a static buffer) and its highest parameter. */
static const char *
rewritten(const char *sql, int *nparams)
{
	static char out[4096];
	struct buf b;

	buf_init(&b, sizeof(out));
	assert_int_equal(pg_sql_rewrite(sql, &b, nparams), ST_OK);
	assert_true(b.len < sizeof(out));
	memcpy(out, b.data ? b.data : "", b.len + 1);
	buf_cleanup(&b);
	return out;
}

static void
test_numbered_and_bare_parameters(void **state)
{
	int n;

	(void)state;
	assert_string_equal(rewritten("SELECT a FROM t WHERE b = ?1 AND c = ?12 OR d = ?1", &n),
	                    "SELECT a FROM t WHERE b = $1 AND c = $12 OR d = $1");
	assert_int_equal(n, 12);
	/* A bare ? is the next number after the highest so far, as SQLite counts. */
	assert_string_equal(rewritten("x = ? AND y = ?3 AND z = ?", &n),
	                    "x = $1 AND y = $3 AND z = $4");
	assert_int_equal(n, 4);
	assert_string_equal(rewritten("SELECT 1", &n), "SELECT 1");
	assert_int_equal(n, 0);
}

static void
test_quotes_are_left_alone(void **state)
{
	int n;

	(void)state;
	assert_string_equal(rewritten("SELECT '?1 LIKE user', \"user\" FROM t WHERE a = ?1", &n),
	                    "SELECT '?1 LIKE user', \"user\" FROM t WHERE a = $1");
	assert_int_equal(n, 1);
	/* LIKE stays: the shared SQL writes lower(x) LIKE lower(?), which a b-tree serves. */
	assert_string_equal(rewritten("lower(a) LIKE lower(?1) ESCAPE '\\'", &n),
	                    "lower(a) LIKE lower($1) ESCAPE '\\'");
}

static void
test_sqlite_hints_dropped(void **state)
{
	int n;

	(void)state;
	assert_string_equal(
	        rewritten("SELECT id FROM txn INDEXED BY txn_brand_created WHERE x", &n),
	        "SELECT id FROM txn WHERE x");
	assert_string_equal(rewritten("SELECT id FROM txn NOT INDEXED WHERE x", &n),
	                    "SELECT id FROM txn WHERE x");
	assert_string_equal(rewritten("FROM shop s CROSS JOIN api_error e ON e.a = s.a", &n),
	                    "FROM shop s JOIN api_error e ON e.a = s.a");
}

static void
test_words_and_only_whole_words(void **state)
{
	int n;

	(void)state;
	assert_string_equal(rewritten("SELECT u.id FROM user u JOIN user_pref p", &n),
	                    "SELECT u.id FROM users u JOIN user_pref p");
	assert_string_equal(rewritten("INSERT INTO user(id) VALUES (?1)", &n),
	                    "INSERT INTO users(id) VALUES ($1)");
	/* A column named after them, qualified or within a longer name, stays. */
	assert_string_equal(rewritten("SELECT s.user, user_id, likes, NOTHING FROM t", &n),
	                    "SELECT s.user, user_id, likes, NOTHING FROM t");
	assert_string_equal(rewritten("instr(lower(v), lower(?4)) > 0", &n),
	                    "strpos(lower(v), lower($4)) > 0");
}

static void
test_too_many_parameters_refused(void **state)
{
	struct buf b;
	int n;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(pg_sql_rewrite("a = ?65", &b, &n), ST_INVALID);
	buf_cleanup(&b);
	buf_init(&b, 8); /* longer than the buffer may grow */
	assert_int_equal(pg_sql_rewrite("SELECT a, b, c FROM t", &b, &n), ST_INVALID);
	buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_numbered_and_bare_parameters),
	        cmocka_unit_test(test_quotes_are_left_alone),
	        cmocka_unit_test(test_sqlite_hints_dropped),
	        cmocka_unit_test(test_words_and_only_whole_words),
	        cmocka_unit_test(test_too_many_parameters_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
