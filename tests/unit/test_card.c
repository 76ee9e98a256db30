/*
 * test_card.c - card numbers: normalization, Luhn, scheme by prefix and length, masking,
 * expiry (SPEC §10 "Luhn, length and prefix of the method").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/card.h"

static void
test_normalize(void **state)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: refused */
	} rows[] = {
	        {"4111111111111111", "4111111111111111"},
	        {"4111 1111 1111 1111", "4111111111111111"},
	        {"4111-1111-1111-1111", "4111111111111111"},
	        {"411111111111", "411111111111"},               /* 12 digits: the shortest */
	        {"4111111111111111111", "4111111111111111111"}, /* 19: the longest */
	        {"41111111111", NULL},                          /* 11 */
	        {"41111111111111111111", NULL},                 /* 20 */
	        {"4111  1111 1111 1111", NULL},                 /* two separators */
	        {" 4111111111111111", NULL},
	        {"4111111111111111 ", NULL},
	        {"4111111111111111-", NULL},
	        {"4111x11111111111", NULL},
	        {"", NULL},
	        {"４１１１１１１１１１１１１１１１", NULL}, /* full-width digits */
	};
	char out[CARD_DIGITS_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = card_number_normalize(rows[i].in, out);

		if (rows[i].out == NULL) {
			assert_int_equal(rc, -1);
			assert_int_equal(out[0], '\0');
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(out, rows[i].out);
		}
	}
}

static void
test_luhn(void **state)
{
	static const struct {
		const char *number;
		bool valid;
	} rows[] = {
	        {"4111111111111111", true},
	        {"4111111111111112", false},
	        {"5555555555554444", true},
	        {"5555555555554445", false},
	        {"378282246310005", true},
	        {"378282246310006", false},
	        {"4000000000000002", true},
	        {"3530111333300000", true},
	        {"2221000000000009", true},
	        {"0000000000000000", true},
	        {"4970100000000006", true},
	        {"4970100000000000", false},
	        {"", false},
	        {"41111111a1111111", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(card_luhn_valid(rows[i].number), rows[i].valid);
}

static void
test_method_by_prefix_and_length(void **state)
{
	static const struct {
		const char *number;
		enum card_method method;
	} rows[] = {
	        {"4111111111111111", METHOD_VISA},       {"4222222222222", METHOD_VISA}, /* 13 */
	        {"4111111111111111110", METHOD_VISA},                                    /* 19 */
	        {"41111111111111", METHOD_NONE},                                         /* 14 */
	        {"411111111111111", METHOD_NONE},                                        /* 15 */
	        {"5555555555554444", METHOD_MASTERCARD}, {"5105105105105100", METHOD_MASTERCARD},
	        {"555555555555444", METHOD_NONE}, /* 15 */
	        {"2221000000000009", METHOD_MASTERCARD}, {"2720990000000000", METHOD_MASTERCARD},
	        {"2220990000000000", METHOD_NONE},       {"2721000000000000", METHOD_NONE},
	        {"5000000000000000", METHOD_NONE},       {"5600000000000000", METHOD_NONE},
	        {"378282246310005", METHOD_AMEX},        {"341111111111111", METHOD_AMEX},
	        {"3782822463100050", METHOD_NONE}, /* 16 */
	        {"3530111333300000", METHOD_JCB},        {"3528000000000000", METHOD_JCB},
	        {"3589000000000000000", METHOD_JCB},     {"3527000000000000", METHOD_NONE},
	        {"3590000000000000", METHOD_NONE},       {"353011133330000", METHOD_NONE},
	        {"6011111111111117", METHOD_NONE}, /* Discover: not taken */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(card_method_detect(rows[i].number), rows[i].method);
}

static void
test_method_accepts(void **state)
{
	(void)state;
	assert_true(card_method_accepts(METHOD_VISA, "4111111111111111"));
	assert_false(card_method_accepts(METHOD_MASTERCARD, "4111111111111111"));
	assert_true(card_method_accepts(METHOD_CB, "4111111111111111"));
	assert_true(card_method_accepts(METHOD_CB, "5555555555554444"));
	assert_true(card_method_accepts(METHOD_EBLEUE, "5555555555554444"));
	assert_false(card_method_accepts(METHOD_CB, "378282246310005"));
	assert_true(card_method_accepts(METHOD_AMEX, "378282246310005"));
	assert_true(card_method_accepts(METHOD_JCB, "3530111333300000"));
	assert_false(card_method_accepts(METHOD_PAYPAL, "4111111111111111"));
	assert_false(card_method_accepts(METHOD_VISA, "411111111111111"));
}

static void
test_method_names(void **state)
{
	(void)state;
	for (int m = METHOD_NONE + 1; m < METHOD__COUNT; m++)
		assert_int_equal(card_method_parse(card_method_name((enum card_method)m)), m);
	assert_string_equal(card_method_name(METHOD_EBLEUE), "E-BLEUE");
	assert_int_equal(card_method_parse("visa"), METHOD_NONE);
	assert_int_equal(card_method_parse(""), METHOD_NONE);
	assert_string_equal(card_method_name((enum card_method)99), "");
}

static void
test_mask(void **state)
{
	static const struct {
		const char *number;
		const char *masked;
	} rows[] = {
	        {"4111111111111111", "411111******1111"},
	        {"378282246310005", "378282*****0005"},
	        {"4222222222222", "422222***2222"},
	        {"4111111111111111110", "411111*********1110"},
	        {"411111111111", "411111**1111"},
	};
	char out[CARD_MASKED_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		card_mask(rows[i].number, out);
		assert_string_equal(out, rows[i].masked);
	}
}

static void
test_expiry(void **state)
{
	static const struct {
		const char *mmyy;
		int rc, month, year;
	} rows[] = {
	        {"1230", 0, 12, 2030}, {"0126", 0, 1, 2026}, {"0000", -1, 0, 0},
	        {"1300", -1, 0, 0},    {"0026", -1, 0, 0},   {"1a26", -1, 0, 0},
	        {"123", -1, 0, 0},     {"12300", -1, 0, 0},  {"", -1, 0, 0},
	        {"12/30", -1, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int m = 0, y = 0;

		assert_int_equal(card_expiry_parse(rows[i].mmyy, &m, &y), rows[i].rc);
		if (rows[i].rc == 0) {
			assert_int_equal(m, rows[i].month);
			assert_int_equal(y, rows[i].year);
		}
	}
}

static void
test_expired_on_month_boundaries(void **state)
{
	(void)state;
	/* A card valid through 12/2026. */
	assert_false(card_expired(12, 2026, 2026, 11));
	assert_false(card_expired(12, 2026, 2026, 12));
	assert_true(card_expired(12, 2026, 2027, 1));
	/* Through 01/2027, seen in December 2026 and February 2027. */
	assert_false(card_expired(1, 2027, 2026, 12));
	assert_true(card_expired(1, 2027, 2027, 2));
	assert_true(card_expired(6, 2020, 2026, 1));
}

/* The virtual terminal's check of a number against the chosen method (SPEC §10): Luhn first,
 * then a scheme's prefix and length, then the method; CB and E-BLEUE take co-badged cards. */
static void
test_fit(void **state)
{
	static const struct {
		enum card_method m;
		const char *number;
		enum card_fit fit;
	} rows[] = {
	        {METHOD_VISA, "4111111111111111", CARD_FITS},
	        {METHOD_VISA, "4222222222222", CARD_FITS},       /* 13 digits */
	        {METHOD_VISA, "4111111111111111110", CARD_FITS}, /* 19 digits */
	        {METHOD_VISA, "4111111111111112", CARD_FIT_LUHN},
	        {METHOD_VISA, "5555555555554444", CARD_FIT_METHOD},
	        {METHOD_VISA, "378282246310005", CARD_FIT_METHOD},
	        {METHOD_MASTERCARD, "5555555555554444", CARD_FITS},
	        {METHOD_MASTERCARD, "2221000000000009", CARD_FITS}, /* the 2-series */
	        {METHOD_MASTERCARD, "5105105105105100", CARD_FITS},
	        {METHOD_MASTERCARD, "4111111111111111", CARD_FIT_METHOD},
	        {METHOD_MASTERCARD, "5555555555554445", CARD_FIT_LUHN},
	        {METHOD_CB, "4111111111111111", CARD_FITS},      /* co-badged CB/VISA */
	        {METHOD_CB, "5555555555554444", CARD_FITS},      /* co-badged CB/MASTERCARD */
	        {METHOD_CB, "4970100000000006", CARD_FITS},      /* a French VISA range */
	        {METHOD_CB, "378282246310005", CARD_FIT_METHOD}, /* AMEX is never CB */
	        {METHOD_CB, "3530111333300000", CARD_FIT_METHOD},
	        {METHOD_EBLEUE, "4000000000000002", CARD_FITS},
	        {METHOD_EBLEUE, "371449635398431", CARD_FIT_METHOD},
	        {METHOD_AMEX, "378282246310005", CARD_FITS},
	        {METHOD_AMEX, "371449635398431", CARD_FITS},
	        {METHOD_AMEX, "378282246310006", CARD_FIT_LUHN},
	        {METHOD_AMEX, "4111111111111111", CARD_FIT_METHOD},
	        {METHOD_JCB, "3530111333300000", CARD_FITS},
	        {METHOD_JCB, "3566002020360505", CARD_FITS},
	        {METHOD_JCB, "5555555555554444", CARD_FIT_METHOD},
	        {METHOD_CB, "6011111111111117", CARD_FIT_SCHEME}, /* Discover: no scheme here */
	        {METHOD_VISA, "0000000000000000", CARD_FIT_SCHEME},
	        {METHOD_VISA, "411111111111116", CARD_FIT_SCHEME}, /* 15 digits: no VISA length */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(card_fit(rows[i].m, rows[i].number), rows[i].fit);
}

static void
test_method_manual(void **state)
{
	(void)state;
	for (int m = 0; m < METHOD__COUNT; m++)
		assert_int_equal(card_method_manual((enum card_method)m),
		                 m != METHOD_NONE && m != METHOD_PAYPAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_normalize),
	        cmocka_unit_test(test_fit),
	        cmocka_unit_test(test_method_manual),
	        cmocka_unit_test(test_luhn),
	        cmocka_unit_test(test_method_by_prefix_and_length),
	        cmocka_unit_test(test_method_accepts),
	        cmocka_unit_test(test_method_names),
	        cmocka_unit_test(test_mask),
	        cmocka_unit_test(test_expiry),
	        cmocka_unit_test(test_expired_on_month_boundaries),
	};

	return cmocka_run_group_tests_name("card", tests, NULL, NULL);
}
