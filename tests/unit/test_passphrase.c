/*
 * test_passphrase.c - the HMAC key passphrase's score (SPEC §11 "HMAC key"; Vision manual
 * §9.1.3): 15 characters and 90 % (14 is too short whatever the score), the four classes and
 * their alternation raise the score, repetitions and runs lower it. Each row is worked out by
 * hand from the formula of passphrase.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/passphrase.h"

static const struct {
	const char *p;
	int length, score;
	bool ok;
} rows[] = {
        {"", 0, 0, false},
        /* Lengths: 15 characters is the minimum; 14 fails even at 98 %. */
        {"Vx7!kP2#mQ9@wZ4", 15, 100, true}, /* 45 + 30 + 2 x 14, capped */
        {"Vx7!kP2#mQ9@wZ", 14, 98, false},  /* 42 + 30 + 2 x 13 */
        {"Qw3r!yuiopasdf", 14, 82, false},  /* 42 + 30 + 2 x 5 */
        /* Classes: each one more adds 10 (and an alternation where it sits). */
        {"qwertyuiopasdfg", 15, 45, false}, /* 45 */
        {"Qwertyuiopasdfg", 15, 57, false}, /* 45 + 10 + 2 */
        {"Qw3rtyuiopasdfg", 15, 71, false}, /* 45 + 20 + 2 x 3 */
        {"Qw3r!yuiopasdfg", 15, 85, false}, /* 45 + 30 + 2 x 5 */
        /* Alternation: the same two classes, grouped or alternated. */
        {"QWERTYUIOPasdfg", 15, 57, false}, /* 45 + 10 + 2 */
        {"QwErTyUiOpAsDfG", 15, 83, false}, /* 45 + 10 + 2 x 14 */
        /* Repetitions: the same character again (-2), right after itself (-5 more). */
        {"Qw3r!yuiopasddg", 15, 78, false},  /* 85 - 5 - 2 */
        {"Qw3r!yuiopassss", 15, 64, false},  /* 85 - 5 x 3 - 2 x 3 */
        {"aaaaaaaaaaaaaaaa", 16, 0, false},  /* 48 - 5 x 15 - 2 x 15 */
        {"aB3$aB3$aB3$aB3$", 16, 84, false}, /* 48 + 30 + 2 x 15 - 2 x 12 */
        /* Runs: each character that goes on a run of +1 or -1 (-4). */
        {"Qw3r!yuiopabcdg", 15, 77, false}, /* 85 - 4 x 2 */
        {"Qw3r!yuiop4321g", 15, 79, false}, /* 45 + 30 + 2 x 6 - 4 x 2 */
        {"abcdefghijklmno", 15, 0, false},  /* 45 - 4 x 13 */
        {"zyxwvutsrqponml", 15, 0, false},
        /* Long phrases: words need capitals, digits or signs. */
        {"correct horse battery staple", 28, 66, false}, /* 84 + 10 + 2 x 6 - 5 x 2 - 2 x 15 */
        {"Correct horse battery staple 42", 31, 100, true},
        /* Characters, not bytes: a non-ASCII letter is one character, of the "other" class. */
        {"\xc3\x9cn\xc3\xab Phr\xc3\xa4se 2026!", 16, 92, true},
        {"\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xa9"
         "\xc3\xa0\xc3\xbc\xc3\xa9\xc3\xa0\xc3\xbc",
         15, 21, false}, /* 45 - 2 x 12 */
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct passphrase_rating r;

		passphrase_rate(rows[i].p, &r);
		if (r.length != rows[i].length || r.score != rows[i].score || r.ok != rows[i].ok)
			fail_msg("row %zu \"%s\": length %d score %d ok %d", i, rows[i].p, r.length,
			         r.score, r.ok);
	}
}

/* The rule's boundaries, whatever the formula: ok needs both 15 characters and 90. */
static void
test_rule(void **state)
{
	struct passphrase_rating r;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		passphrase_rate(rows[i].p, &r);
		assert_int_equal(r.ok,
		                 r.length >= PASSPHRASE_MIN_LEN && r.score >= PASSPHRASE_MIN_SCORE);
		assert_in_range(r.score, 0, 100);
	}
	assert_int_equal(PASSPHRASE_MIN_LEN, 15);
	assert_int_equal(PASSPHRASE_MIN_SCORE, 90);
}

/* A malformed UTF-8 byte is a character of its own; the rating never reads past the end. */
static void
test_malformed(void **state)
{
	struct passphrase_rating r;

	(void)state;
	passphrase_rate("\xc3", &r);
	assert_int_equal(r.length, 1);
	passphrase_rate("\xe2\x82", &r);
	assert_int_equal(r.length, 2);
	passphrase_rate("\xff\xfe", &r);
	assert_int_equal(r.length, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_rule),
	        cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
