/*
 * test_store_held.c - what a transaction holds for its end (store/sql/db.h, struct db_held),
 * through the store's operations on a real SQLite database: the contracts' last
 * authorizations written once a contract at the commit, each the latest, none of a job rolled
 * back to its savepoint or of a transaction rolled back, at once past the list or below the
 * deepest savepoint marked; and the shops' settings a transaction read, read again once
 * written or rolled back to a savepoint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/sql/db.h"
#include "store_fixture.h"

/* The fixture's contract's last authorization, as another connection reads it (0: none). */
static int64_t
last_auth(struct fixture *fx)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT coalesce(last_auth_at, 0) FROM contract WHERE id = %lld",
	         (long long)fx->contract_id);
	return fixture_count(fx, sql);
}

/* The same, read through the store's own connection, inside its transaction. */
static int64_t
last_auth_here(struct fixture *fx)
{
	struct stmt *s;
	int64_t v;

	assert_int_equal(db_prepare(fx->st,
	                            "SELECT coalesce(last_auth_at, 0) FROM contract WHERE id = ?1",
	                            &s, "test"),
	                 ST_OK);
	stmt_bind_int64(s, 1, fx->contract_id);
	assert_int_equal(stmt_step(s), STMT_ROW);
	v = stmt_int64(s, 0);
	stmt_finalize(s);
	return v;
}

static void
touch(struct fixture *fx, int64_t at)
{
	assert_int_equal(
	        fx->st->ops->contract_touch_auth(fx->st, fx->brand_id, fx->contract_id, at), ST_OK);
}

static void
written_once_at_the_commit_the_latest(void **state)
{
	struct fixture *fx = *state;
	const struct store_ops *ops = fx->st->ops;

	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ops->savepoint(fx->st), ST_OK);
		touch(fx, 1000 + i * 10);
		assert_int_equal(ops->release(fx->st), ST_OK);
	}
	/* A touch older than one held (another server's clock): the latest wins. */
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	touch(fx, 1005);
	assert_int_equal(ops->release(fx->st), ST_OK);
	/* Held: not yet in the row, even for the transaction itself. */
	assert_int_equal(last_auth_here(fx), 0);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(last_auth(fx), 1020);
	/* A later transaction's older touch leaves the row at its latest. */
	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	touch(fx, 900);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(last_auth(fx), 1020);
	/* Outside a transaction: written at once. */
	touch(fx, 2000);
	assert_int_equal(last_auth(fx), 2000);
}

static void
none_of_what_was_rolled_back(void **state)
{
	struct fixture *fx = *state;
	const struct store_ops *ops = fx->st->ops;

	/* A job's savepoint rolled back to: its touch goes, the job before it stays. */
	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	touch(fx, 100);
	assert_int_equal(ops->release(fx->st), ST_OK);
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	touch(fx, 200);
	ops->rollback_to(fx->st);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(last_auth(fx), 100);
	/* A savepoint inside the job rolled back alone (service/recurring.c). */
	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	touch(fx, 300);
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	touch(fx, 400);
	ops->rollback_to(fx->st);
	assert_int_equal(ops->release(fx->st), ST_OK);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(last_auth(fx), 300);
	/* The whole transaction rolled back; and the next one holds nothing of it. */
	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	touch(fx, 500);
	ops->rollback(fx->st);
	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(last_auth(fx), 300);
}

static void
past_the_list_or_too_deep_written_at_once(void **state)
{
	struct fixture *fx = *state;
	const struct store_ops *ops = fx->st->ops;

	/* One contract's touches are one entry, however many... */
	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	for (int i = 1; i <= 3 * DB_TOUCHES; i++)
		touch(fx, i);
	assert_int_equal(last_auth_here(fx), 0);
	/* ...and more contracts than the list holds: the one past it is written at once (the
	 * others are contracts of no row: their UPDATEs change nothing). */
	for (int i = 1; i < DB_TOUCHES; i++)
		assert_int_equal(
		        ops->contract_touch_auth(fx->st, fx->brand_id, fx->contract_id + i, 10000),
		        ST_OK);
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	touch(fx, 3 * DB_TOUCHES + 1);
	assert_int_equal(last_auth_here(fx), 3 * DB_TOUCHES + 1);
	assert_int_equal(ops->release(fx->st), ST_OK);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(last_auth(fx), 3 * DB_TOUCHES + 1);
	/* Below the deepest savepoint marked: at once, and rolled back with its savepoint by
	 * the database itself. */
	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	for (int i = 0; i <= STORE_TALLY_DEPTH; i++)
		assert_int_equal(ops->savepoint(fx->st), ST_OK);
	touch(fx, 5000);
	assert_int_equal(last_auth_here(fx), 5000);
	ops->rollback_to(fx->st);
	assert_int_equal(last_auth_here(fx), 3 * DB_TOUCHES + 1);
	touch(fx, 6000); /* held again: the savepoint above is marked */
	assert_int_equal(last_auth_here(fx), 3 * DB_TOUCHES + 1);
	for (int i = 0; i < STORE_TALLY_DEPTH; i++)
		assert_int_equal(ops->release(fx->st), ST_OK);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(last_auth(fx), 6000);
}

static void
settings(struct fixture *fx, const char *url, int64_t version, int64_t expect)
{
	struct shop_settings s = {0};

	s.brand_id = fx->brand_id;
	s.shop_id = fx->shop_id;
	snprintf(s.url_notify, sizeof(s.url_notify), "%s", url);
	s.version = version;
	assert_int_equal(fx->st->ops->shop_settings_put(fx->st, &s, expect), ST_OK);
}

static void
url_notify_is(struct fixture *fx, const char *url)
{
	struct shop_settings s;

	assert_int_equal(fx->st->ops->shop_settings_get(fx->st, fx->brand_id, fx->shop_id, &s),
	                 ST_OK);
	assert_string_equal(s.url_notify, url);
}

static void
settings_read_again_once_written_or_rolled_back(void **state)
{
	struct fixture *fx = *state;
	const struct store_ops *ops = fx->st->ops;

	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	url_notify_is(fx, ""); /* none kept: the defaults, held as read */
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	settings(fx, "https://a.example/n", 1, 0);
	url_notify_is(fx, "https://a.example/n");
	assert_int_equal(ops->release(fx->st), ST_OK);
	/* A job reads them, writes them, reads them, and is rolled back: what it read goes. */
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	url_notify_is(fx, "https://a.example/n");
	settings(fx, "https://b.example/n", 2, 1);
	url_notify_is(fx, "https://b.example/n");
	ops->rollback_to(fx->st);
	url_notify_is(fx, "https://a.example/n");
	assert_int_equal(ops->commit(fx->st), ST_OK);
	/* The next transaction reads what was committed, not what the last one held. */
	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	url_notify_is(fx, "https://a.example/n");
	ops->rollback(fx->st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(written_once_at_the_commit_the_latest,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(none_of_what_was_rolled_back, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(past_the_list_or_too_deep_written_at_once,
	                                        fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(settings_read_again_once_written_or_rolled_back,
	                                        fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
