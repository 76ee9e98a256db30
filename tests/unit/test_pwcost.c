/*
 * test_pwcost.c - the cost of the password hashes (docs/SECURITY.md "Passwords";
 * src/crypto/crypto.c): GUICHET_PASSWORD_COST's form, its maxima, and its floor, OWASP's five
 * Argon2id configurations each accepted at its boundary and refused one MiB or one pass
 * below; a hash made at one cost verified at any, and found to need hashing again at another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"

static const struct {
	const char *spec;
	bool ok;
	unsigned memory_mib, passes;
} rows[] = {
        {"64,2", true, 64, 2}, /* the default, libsodium's INTERACTIVE */
        /* The floor: each of OWASP's rows, and one MiB, one pass below it. */
        {"46,1", true, 46, 1},
        {"45,1", false, 0, 0},
        {"19,2", true, 19, 2},
        {"18,2", false, 0, 0},
        {"19,1", false, 0, 0},
        {"12,3", true, 12, 3},
        {"11,3", false, 0, 0},
        {"9,4", true, 9, 4},
        {"8,4", false, 0, 0},
        {"7,5", true, 7, 5},
        {"6,5", false, 0, 0},
        {"6,16", false, 0, 0}, /* passes do not make up for less than 7 MiB */
        {"7,16", true, 7, 16},
        {"0,0", false, 0, 0},
        /* The maxima. */
        {"1024,16", true, 1024, 16},
        {"1025,2", false, 0, 0},
        {"64,17", false, 0, 0},
        {"999999999,2", false, 0, 0},
        {"9999999999,2", false, 0, 0}, /* ten digits: no overflow, refused */
        /* Not the form. */
        {"", false, 0, 0},
        {"64", false, 0, 0},
        {"64,", false, 0, 0},
        {",2", false, 0, 0},
        {"64,2x", false, 0, 0},
        {"64,2,1", false, 0, 0},
        {" 64,2", false, 0, 0},
        {"64 ,2", false, 0, 0},
        {"-64,2", false, 0, 0},
        {"64;2", false, 0, 0},
        {"0x40,2", false, 0, 0},
};

static void
test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct crypto_pwcost c = {0, 0};
		const char *why = crypto_password_cost_parse(rows[i].spec, &c);

		if ((why == NULL) != rows[i].ok)
			fail_msg("\"%s\": %s", rows[i].spec, why ? why : "accepted");
		assert_int_equal(c.memory_mib, rows[i].memory_mib);
		assert_int_equal(c.passes, rows[i].passes);
	}
}

static void
test_rehash(void **state)
{
	char low[CRYPTO_PWHASH_LEN], other[CRYPTO_PWHASH_LEN];

	(void)state;
	assert_int_equal(crypto_init(), ST_OK);
	crypto_password_cost_set((struct crypto_pwcost){7, 5});
	assert_int_equal(crypto_password_hash(low, "correct horse"), ST_OK);
	assert_non_null(strstr(low, "$m=7168,t=5,p=1$"));
	assert_false(crypto_password_needs_rehash(low));
	crypto_password_cost_set((struct crypto_pwcost){12, 3});
	assert_true(crypto_password_needs_rehash(low));
	/* Verified at its own cost whatever the cost set. */
	assert_int_equal(crypto_password_verify(low, "correct horse"), ST_OK);
	assert_int_equal(crypto_password_verify(low, "correct horsf"), ST_AUTH);
	assert_int_equal(crypto_password_hash(other, "correct horse"), ST_OK);
	assert_non_null(strstr(other, "$m=12288,t=3,p=1$"));
	assert_false(crypto_password_needs_rehash(other));
	assert_true(crypto_password_needs_rehash("not a hash"));
	crypto_password_cost_set(CRYPTO_PWCOST_DEFAULT);
	assert_true(crypto_password_needs_rehash(other));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),
	        cmocka_unit_test(test_rehash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
