/*
 * test_store_tally.c - the counts tied to a transaction (store.h, struct store_tally) as the
 * payments' metrics use them (service/payments.h): a payment counts once its transaction
 * committed, and not when its savepoint is rolled back to, nor when its transaction is rolled
 * back; a savepoint inside another one is cut back alone. A pending payment's end counts the
 * same way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acquirer/acquirer.h"
#include "domain/calendar.h"
#include "service/payments.h"
#include "store_fixture.h"

#define ACCEPTED_API PAYMENT_TALLY_DECIDED(TXS_ACCEPTED, ORIGIN_API)
#define REFUSED_API  PAYMENT_TALLY_DECIDED(TXS_REFUSED, ORIGIN_API)

/* A payment of the fixture's shop: accepted, or refused by the contract's maximum. */
static void
pay(struct fixture *fx, bool refused)
{
	struct payment_request rq = {0};
	struct txn t;
	const char *why;

	rq.brand_id = fx->brand_id;
	rq.shop_id = fx->shop_id;
	rq.amount = refused ? 99999999999LL : 2500;
	memcpy(rq.currency, "EUR", 4);
	memcpy(rq.digits, "4111111111111111", 17);
	memcpy(rq.expiry, "1230", 5);
	rq.expiry_month = 12;
	rq.expiry_year = 2030;
	rq.method = METHOD_VISA;
	rq.deferral_days = -1;
	assert_int_equal(payment_create(fx->st, &fx->keys, &acquirer_simulator, &rq,
	                                1700000000LL * CAL_US_PER_S, &t, &why),
	                 ST_OK);
	assert_int_equal(t.status, refused ? TXS_REFUSED : TXS_ACCEPTED);
	assert_int_equal(t.origin, ORIGIN_API);
}

/* A transaction and the savepoint of a writer's job in it. */
static void
job_open(struct fixture *fx)
{
	assert_int_equal(fx->st->ops->begin(fx->st, true), ST_OK);
	assert_int_equal(fx->st->ops->savepoint(fx->st), ST_OK);
}

static void
counted_once_committed(void **state)
{
	struct fixture *fx = *state;
	const struct store_ops *ops = fx->st->ops;
	uint64_t acc = store_tally_total(ACCEPTED_API), ref = store_tally_total(REFUSED_API);

	job_open(fx);
	pay(fx, false);
	pay(fx, true);
	assert_int_equal(ops->release(fx->st), ST_OK);
	/* Not yet: the transaction is still open. */
	assert_int_equal(store_tally_total(ACCEPTED_API), acc);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(store_tally_total(ACCEPTED_API), acc + 1);
	assert_int_equal(store_tally_total(REFUSED_API), ref + 1);
	/* Counted once: the next commit adds nothing of it again. */
	assert_int_equal(ops->begin(fx->st, true), ST_OK);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(store_tally_total(ACCEPTED_API), acc + 1);
}

static void
not_counted_when_rolled_back(void **state)
{
	struct fixture *fx = *state;
	const struct store_ops *ops = fx->st->ops;
	uint64_t acc = store_tally_total(ACCEPTED_API);

	/* Its job's savepoint rolled back to, the group committed (the writer's failing job). */
	job_open(fx);
	pay(fx, false);
	ops->rollback_to(fx->st);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(store_tally_total(ACCEPTED_API), acc);
	/* The whole transaction rolled back (the writer's failed group). */
	job_open(fx);
	pay(fx, false);
	assert_int_equal(ops->release(fx->st), ST_OK);
	ops->rollback(fx->st);
	assert_int_equal(store_tally_total(ACCEPTED_API), acc);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM txn"), 0);
}

static void
a_nested_savepoint_is_cut_back_alone(void **state)
{
	struct fixture *fx = *state;
	const struct store_ops *ops = fx->st->ops;
	uint64_t acc = store_tally_total(ACCEPTED_API), ref = store_tally_total(REFUSED_API);

	/* The writer's job, and inside it a recurring debit's step that another round moved
	 * first (service/recurring.c, step_saved): its payment goes, the job's stays. */
	job_open(fx);
	pay(fx, false);
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	pay(fx, true);
	ops->rollback_to(fx->st);
	assert_int_equal(ops->savepoint(fx->st), ST_OK);
	pay(fx, false);
	assert_int_equal(ops->release(fx->st), ST_OK);
	assert_int_equal(ops->release(fx->st), ST_OK);
	assert_int_equal(ops->commit(fx->st), ST_OK);
	assert_int_equal(store_tally_total(ACCEPTED_API), acc + 2);
	assert_int_equal(store_tally_total(REFUSED_API), ref);
	/* What the database holds says the same. */
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM txn WHERE status = 0"), 2);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM txn WHERE status = 1"), 0);
}

static void
slots_are_apart(void **state)
{
	(void)state;
	/* Every decision and every end has its own slot. */
	for (int s = TXS_ACCEPTED; s <= TXS_PENDING; s++)
		for (int o = 0; o < ORIGIN__COUNT; o++)
			for (int s2 = TXS_ACCEPTED; s2 <= TXS_ABANDONED; s2++)
				assert_int_not_equal(PAYMENT_TALLY_DECIDED(s, o),
				                     PAYMENT_TALLY_ENDED(s2));
	assert_int_not_equal(PAYMENT_TALLY_DECIDED(TXS_REFUSED, ORIGIN_API),
	                     PAYMENT_TALLY_DECIDED(TXS_ACCEPTED, ORIGIN_RECURRING));
	assert_true(PAYMENT_TALLY_DECIDED(TXS_PENDING, ORIGIN__COUNT - 1) <
	            PAYMENT_TALLY_ENDED(TXS_ACCEPTED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(counted_once_committed, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(not_counted_when_rolled_back, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test_setup_teardown(a_nested_savepoint_is_cut_back_alone, fixture_setup,
	                                        fixture_teardown),
	        cmocka_unit_test(slots_are_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
