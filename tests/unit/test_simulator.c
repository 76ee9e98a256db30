/*
 * test_simulator.c - the simulator's issuers that answer later (acquirer/simulator.c, README
 * "Pending payments"): pending to a channel that can wait, the answer at once to one that
 * cannot; the answer a minute after the request (to the microsecond), accepted with an
 * authorization number or refused "do not honor"; a silent issuer never answers; a reference
 * the simulator did not make is never answered either.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acquirer/acquirer.h"
#include "domain/calendar.h"

#define ASKED  1763645400000000LL
#define MINUTE (60 * CAL_US_PER_S)

static void
authorize(const char *digits, bool may_pend, struct acq_answer *ans)
{
	struct acq_request rq = {.digits = digits,
	                         .method = METHOD_VISA,
	                         .amount = 1000,
	                         .currency = "EUR",
	                         .nonce = 0x0123456789abcdefULL,
	                         .may_pend = may_pend};

	acquirer_simulator.authorize(&rq, ans);
}

static void
test_pending_or_at_once(void **state)
{
	static const struct {
		const char *digits;
		bool approved;
		enum refusal refusal;
	} rows[] = {
	        {"4000000000001091", true, REFUSAL_NONE},
	        {"4000000000001190", false, REFUSAL_DECLINED},
	        {"4000000000001299", true, REFUSAL_NONE},
	};
	struct acq_answer ans;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		authorize(rows[i].digits, true, &ans);
		assert_true(ans.pending);
		assert_false(ans.approved);
		assert_int_equal(ans.refusal, REFUSAL_NONE);
		assert_string_equal(ans.auth_number, "");
		assert_true(strlen(ans.ref) > 0 && strlen(ans.ref) <= TXN_ACQ_REF_MAX);
		assert_true(ans.ask_after_s > 0);
		/* A channel that cannot wait has the issuer's answer in the same call. */
		authorize(rows[i].digits, false, &ans);
		assert_false(ans.pending);
		assert_int_equal(ans.approved, rows[i].approved);
		assert_int_equal(ans.refusal, rows[i].refusal);
		assert_int_equal(strlen(ans.auth_number), rows[i].approved ? 6 : 0);
	}
	/* The other cards never wait. */
	authorize("4111111111111111", true, &ans);
	assert_false(ans.pending);
	assert_true(ans.approved);
}

static void
test_answered_a_minute_later(void **state)
{
	struct acq_answer ans, at_once;
	char ref[TXN_ACQ_REF_MAX + 1];

	(void)state;
	authorize("4000000000001091", true, &ans);
	assert_int_equal(ans.ask_after_s, 60);
	memcpy(ref, ans.ref, sizeof(ref));
	assert_false(acquirer_simulator.confirm(ref, ASKED, ASKED, &ans));
	assert_int_equal(ans.ask_after_s, 60);
	assert_false(acquirer_simulator.confirm(ref, ASKED, ASKED + MINUTE - 1, &ans));
	assert_true(ans.ask_after_s >= 0 && ans.ask_after_s <= 1);
	assert_true(acquirer_simulator.confirm(ref, ASKED, ASKED + MINUTE, &ans));
	assert_true(ans.approved);
	/* The same authorization number as the same request answered at once. */
	authorize("4000000000001091", false, &at_once);
	assert_string_equal(ans.auth_number, at_once.auth_number);

	authorize("4000000000001190", true, &ans);
	memcpy(ref, ans.ref, sizeof(ref));
	assert_true(acquirer_simulator.confirm(ref, ASKED, ASKED + 2 * MINUTE, &ans));
	assert_false(ans.approved);
	assert_int_equal(ans.refusal, REFUSAL_DECLINED);
	assert_string_equal(ans.auth_number, "");
}

static void
test_never_answered(void **state)
{
	static const char *const refs[] = {"", "sim-", "sim-X-0123456789abcdef", "sim-A-0123",
	                                   "other-A-0123456789abcdef"};
	struct acq_answer ans;
	char ref[TXN_ACQ_REF_MAX + 1];

	(void)state;
	authorize("4000000000001299", true, &ans);
	memcpy(ref, ans.ref, sizeof(ref));
	assert_false(acquirer_simulator.confirm(ref, ASKED, ASKED + 30 * CAL_US_PER_DAY, &ans));
	assert_true(ans.ask_after_s > 0);
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		assert_false(
		        acquirer_simulator.confirm(refs[i], ASKED, ASKED + CAL_US_PER_DAY, &ans));
		assert_true(ans.ask_after_s > 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pending_or_at_once),
	        cmocka_unit_test(test_answered_a_minute_later),
	        cmocka_unit_test(test_never_answered),
	};

	return cmocka_run_group_tests_name("simulator", tests, NULL, NULL);
}
