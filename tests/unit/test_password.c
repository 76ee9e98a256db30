/*
 * test_password.c - the password policy: the five strength levels of the Vision manual §1
 * (its own examples), PCI DSS length and character rules, expiry after 90 days.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "domain/password.h"

static void
test_manual_examples(void **state)
{
	static const struct {
		const char *pw;
		enum strength level;
	} rows[] = {
	        {"123", STRENGTH_VERY_WEAK},
	        {"123456%", STRENGTH_WEAK},
	        {"123456%A", STRENGTH_MEDIUM},
	        {"123456%AfP@10oz", STRENGTH_STRONG},
	        {"123456%AfP@10oz*", STRENGTH_VERY_STRONG},
	        {"", STRENGTH_VERY_WEAK},
	        {"aaaaaaaaaaaaaaaaaaaa", STRENGTH_VERY_WEAK}, /* repeats count for little */
	        {"correct horse battery staple 42", STRENGTH_VERY_STRONG},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(password_strength(rows[i].pw), rows[i].level);
	assert_string_equal(strength_name(STRENGTH_VERY_STRONG), "very_strong");
	assert_int_equal(password_score(""), 0);
	assert_int_equal(password_score("123456%AfP@10oz*"), 100);
}

static void
test_rules(void **state)
{
	static const struct {
		const char *pw;
		enum pw_problem problem;
	} rows[] = {
	        {"abcdefghij12", PW_OK},       /* 12 characters: the minimum */
	        {"abcdefghij1", PW_TOO_SHORT}, /* 11 */
	        {"abcdefghijkl", PW_NEEDS_LETTER_AND_DIGIT},
	        {"123456789012", PW_NEEDS_LETTER_AND_DIGIT},
	        {"aaaaaaaaaaa1", PW_TOO_WEAK},
	        {"xxdemo.adminxx1", PW_CONTAINS_LOGIN},
	        {"xxDEMO.ADMINxx1", PW_CONTAINS_LOGIN},
	        {"with\ttab12345", PW_CONTROL_CHARACTER},
	        {"été été été 2026", PW_OK},   /* accents: letters; spaces fine */
	        {"ééééééééééé1", PW_TOO_WEAK}, /* 12 characters, 23 bytes, repeats */
	        {"éàü1", PW_TOO_SHORT},        /* 4 characters, 7 bytes */
	};
	char long_pw[PASSWORD_MAX_LEN + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(password_check(rows[i].pw, "demo.admin"), rows[i].problem);
	memset(long_pw, 'a', sizeof(long_pw) - 1);
	long_pw[0] = '1';
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_int_equal(password_check(long_pw, NULL), PW_TOO_LONG);
	long_pw[sizeof(long_pw) - 2] = '\0'; /* exactly 256 bytes */
	assert_int_not_equal(password_check(long_pw, NULL), PW_TOO_LONG);
	for (int p = PW_OK + 1; p <= PW_CONTROL_CHARACTER; p++) {
		assert_true(strlen(pw_problem_code((enum pw_problem)p)) > 0);
		assert_true(strlen(pw_problem_message((enum pw_problem)p)) > 0);
	}
}

static void
test_expiry_after_90_days(void **state)
{
	int64_t set = 1700000000LL * CAL_US_PER_S;

	(void)state;
	assert_false(password_expired(set, set));
	assert_false(password_expired(set, set + 90 * CAL_US_PER_DAY));
	assert_true(password_expired(set, set + 90 * CAL_US_PER_DAY + 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_manual_examples),
	        cmocka_unit_test(test_rules),
	        cmocka_unit_test(test_expiry_after_90_days),
	};

	return cmocka_run_group_tests_name("password", tests, NULL, NULL);
}
