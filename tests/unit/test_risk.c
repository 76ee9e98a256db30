/*
 * test_risk.c - the merchant's risk rules (domain/risk.h, domain/bins.h; SPEC §11, README
 * "Risk"): each fraud filter alone with its boundary (a maximum amount equal and one unit
 * above, the max-th payment of a card and the next), their order when several would refuse,
 * unknown countries, the blocklist's values (Luhn, BIN of 6 or 8 digits only, e-mail, ISO 3166
 * codes), the countries' lists, and the BIN table: the longest prefix, bad lines, a prefix
 * twice, the shipped table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/bins.h"
#include "domain/risk.h"

static struct fraud_filters
off(void)
{
	struct fraud_filters f;

	memset(&f, 0, sizeof(f));
	return f;
}

static struct risk_facts
facts(int64_t amount, const char *card, const char *customer, int today)
{
	struct risk_facts x = {amount, card, customer, today};

	return x;
}

static void
test_each_filter_alone(void **state)
{
	struct fraud_filters f = off();
	struct risk_facts x = facts(10000, "US", "FR", 50);

	(void)state;
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE); /* all off */
	assert_false(risk_counts_payments(&f));

	f.max_amount = 10000; /* equal passes, one unit above is refused */
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE);
	x.amount = 10001;
	assert_int_equal(risk_check(&f, &x), REFUSAL_AMOUNT_ABOVE_LIMIT);

	f = off();
	assert_true(country_list_add(f.card_countries, "US"));
	assert_int_equal(risk_check(&f, &x), REFUSAL_CARD_COUNTRY_BLOCKED);
	x.card_country = "";
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE); /* unknown: no list holds it */
	x.card_country = "US";

	f = off();
	assert_true(country_list_add(f.customer_countries, "FR"));
	assert_int_equal(risk_check(&f, &x), REFUSAL_CUSTOMER_COUNTRY_BLOCKED);
	x.customer_country = "BE";
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE);

	f = off();
	f.country_mismatch = true;
	assert_int_equal(risk_check(&f, &x), REFUSAL_COUNTRY_MISMATCH);
	x.customer_country = "US";
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE);
	x.customer_country = ""; /* one country unknown: not judged */
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE);
	x.customer_country = "BE";
	x.card_country = "";
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE);

	f = off();
	f.max_per_card_day = 3; /* the third of the day passes (2 before it), the fourth not */
	assert_true(risk_counts_payments(&f));
	x.card_payments_today = 2;
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE);
	x.card_payments_today = 3;
	assert_int_equal(risk_check(&f, &x), REFUSAL_CARD_VELOCITY);
	f.max_per_card_day = 1;
	x.card_payments_today = 0;
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE);
	x.card_payments_today = 1;
	assert_int_equal(risk_check(&f, &x), REFUSAL_CARD_VELOCITY);
}

static void
test_the_order(void **state)
{
	struct fraud_filters f = off();
	struct risk_facts x = facts(5001, "RU", "DE", 9);

	(void)state;
	/* Every filter refuses this payment: each is seen only once those before it pass. */
	f.max_amount = 5000;
	assert_true(country_list_add(f.card_countries, "RU"));
	assert_true(country_list_add(f.customer_countries, "DE"));
	f.country_mismatch = true;
	f.max_per_card_day = 1;
	assert_int_equal(risk_check(&f, &x), REFUSAL_AMOUNT_ABOVE_LIMIT);
	f.max_amount = 0;
	assert_int_equal(risk_check(&f, &x), REFUSAL_CARD_COUNTRY_BLOCKED);
	f.card_countries[0] = '\0';
	assert_int_equal(risk_check(&f, &x), REFUSAL_CUSTOMER_COUNTRY_BLOCKED);
	f.customer_countries[0] = '\0';
	assert_int_equal(risk_check(&f, &x), REFUSAL_COUNTRY_MISMATCH);
	f.country_mismatch = false;
	assert_int_equal(risk_check(&f, &x), REFUSAL_CARD_VELOCITY);
	f.max_per_card_day = 0;
	assert_int_equal(risk_check(&f, &x), REFUSAL_NONE);
}

static void
test_values(void **state)
{
	static const struct {
		enum block_kind kind;
		const char *in, *out; /* out NULL: refused */
	} rows[] = {
	        {BLOCK_CARD, "4111111111111111", "4111111111111111"},
	        {BLOCK_CARD, "4111 1111-1111 1111", "4111111111111111"},
	        {BLOCK_CARD, "4111111111111112", NULL}, /* Luhn */
	        {BLOCK_CARD, "41111111111", NULL},      /* 11 digits */
	        {BLOCK_CARD, "41111111111111111111", NULL},
	        {BLOCK_CARD, "4111x111111111111", NULL},
	        {BLOCK_CARD, "", NULL},
	        {BLOCK_BIN, "497010", "497010"},
	        {BLOCK_BIN, "4970 1000", "49701000"},
	        {BLOCK_BIN, "497", NULL}, /* a BIN of 3 digits */
	        {BLOCK_BIN, "4970100", NULL},
	        {BLOCK_BIN, "497010000", NULL},
	        {BLOCK_BIN, "49701a", NULL},
	        {BLOCK_EMAIL, "Buyer@Example.COM", "buyer@example.com"},
	        {BLOCK_EMAIL, "buyer@example", NULL},
	        {BLOCK_EMAIL, "@example.com", NULL},
	        {BLOCK_EMAIL, "buyer@", NULL},
	        {BLOCK_EMAIL, "a@b@c.com", NULL},
	        {BLOCK_EMAIL, "a b@c.com", NULL},
	        {BLOCK_EMAIL, "a@b.com,c@d.com", NULL},
	        {BLOCK_EMAIL, "a@example.com.", NULL},
	        {BLOCK_COUNTRY, "fr", "FR"},
	        {BLOCK_COUNTRY, "KP", "KP"},
	        {BLOCK_COUNTRY, "ZZ", NULL},
	        {BLOCK_COUNTRY, "UK", NULL}, /* GB is the code */
	        {BLOCK_COUNTRY, "FRA", NULL},
	        {BLOCK_COUNTRY, "F", NULL},
	};
	char out[BLOCK_VALUE_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool ok = block_value_norm(rows[i].kind, rows[i].in, out, sizeof(out));

		assert_int_equal(ok, rows[i].out != NULL);
		assert_string_equal(out, rows[i].out ? rows[i].out : "");
	}
	assert_false(block_value_norm(BLOCK_CARD, NULL, out, sizeof(out)));
	assert_false(block_value_norm(BLOCK_CARD, "4111111111111111", out, 10)); /* no room */
	assert_string_equal(block_kind_name(BLOCK_BIN), "bin");
	assert_int_equal(block_kind_parse("country"), BLOCK_COUNTRY);
	assert_int_equal(block_kind_parse("iban"), -1);
	assert_int_equal(block_kind_parse(NULL), -1);
}

static void
test_countries(void **state)
{
	char list[RISK_COUNTRY_LIST_MAX + 1] = "";

	(void)state;
	assert_int_equal(country_count(), 249);
	for (int i = 1; i < country_count(); i++) {
		assert_true(strcmp(country_at(i - 1), country_at(i)) < 0);
		assert_true(country_valid(country_at(i)));
	}
	assert_string_equal(country_at(country_count()), "");
	assert_false(country_valid("fr")); /* capitals only here: the forms normalise */
	assert_false(country_valid("XK"));
	/* The alpha-3 codes Paybox's I and Y variables name (domain/paybox.h), table's ends. */
	assert_string_equal(country_alpha3("AD"), "AND");
	assert_string_equal(country_alpha3("FR"), "FRA");
	assert_string_equal(country_alpha3("GB"), "GBR");
	assert_string_equal(country_alpha3("US"), "USA");
	assert_string_equal(country_alpha3("ZW"), "ZWE");
	for (int i = 0; i < country_count(); i++)
		assert_int_equal(strlen(country_alpha3(country_at(i))), 3);
	assert_string_equal(country_alpha3("XK"), "");
	assert_string_equal(country_alpha3(""), "");
	assert_string_equal(country_alpha3(NULL), "");
	assert_true(country_list_add(list, "RU"));
	assert_true(country_list_add(list, "KP"));
	assert_true(country_list_add(list, "RU")); /* once */
	assert_true(country_list_add(list, "ZW"));
	assert_true(country_list_add(list, "AD"));
	assert_string_equal(list, "AD,KP,RU,ZW");
	assert_false(country_list_add(list, "ZZ"));
	assert_true(country_list_has(list, "KP"));
	assert_false(country_list_has(list, "K"));
	assert_false(country_list_has(list, ""));
	assert_false(country_list_has(list, "P,"));
	list[0] = '\0';
	for (int i = 0; i < RISK_COUNTRIES_MAX; i++)
		assert_true(country_list_add(list, country_at(i)));
	assert_int_equal(strlen(list), RISK_COUNTRY_LIST_MAX - 1);
	assert_false(country_list_add(list, country_at(RISK_COUNTRIES_MAX))); /* full */
	assert_true(country_list_add(list, country_at(0)));                   /* there already */
}

static void
test_bins(void **state)
{
	static const char table[] = "prefix,country,source\n"
	                            "# a comment\n"
	                            "4,US\r\n"
	                            "4970,FR,a bank\n"
	                            "\n"
	                            "49701000,BE\n"
	                            "4000000000003,FR\n";

	(void)state;
	assert_int_equal(bins_load(table, strlen(table)), 0);
	assert_int_equal(bins_count(), 4);
	assert_string_equal(bin_country("4970100000000006"), "BE"); /* the longest prefix */
	assert_string_equal(bin_country("4970200000000006"), "FR");
	assert_string_equal(bin_country("4111111111111111"), "US");
	assert_string_equal(bin_country("4000000000003220"), "FR");
	assert_string_equal(bin_country("5555555555554444"), "");
	assert_string_equal(bin_country(""), "");
	/* A bad line changes nothing and names its line. */
	assert_int_equal(bins_load("4,US\n5,ZZ\n", 10), 2);
	assert_int_equal(bins_load("4,US\nx5,FR\n", 11), 2);
	assert_int_equal(bins_load("4,USA\n", 6), 1);
	assert_int_equal(bins_load("4,US\n12345678901234567890,FR\n", 28), 2);
	assert_int_equal(bins_load("4,US\n41,FR\n4,BE\n", 16), 3); /* a prefix twice */
	assert_int_equal(bins_count(), 4);
	assert_string_equal(bin_country("4970100000000006"), "BE");
	/* The shipped table: the simulator's test cards. */
	bins_free();
	bins_default();
	assert_true(bins_count() >= 8);
	assert_string_equal(bin_country("4111111111111111"), "US");
	assert_string_equal(bin_country("4000000000000002"), "US");
	assert_string_equal(bin_country("4000000000003063"), "FR");
	assert_string_equal(bin_country("4970100000000006"), "FR");
	assert_string_equal(bin_country("3530111333300000"), "JP");
	bins_default(); /* loaded already: nothing changes */
	assert_string_equal(bin_country("5131000000000001"), "FR");
	bins_free();
	assert_string_equal(bin_country("4111111111111111"), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_each_filter_alone),
	        cmocka_unit_test(test_the_order),
	        cmocka_unit_test(test_values),
	        cmocka_unit_test(test_countries),
	        cmocka_unit_test(test_bins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
