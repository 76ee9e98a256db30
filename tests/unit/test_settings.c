/*
 * test_settings.c - a shop's general configuration (Vision manual §9.1.1): which return URLs
 * a shop may set (https anywhere, http to the local machine only, nothing that could send the
 * payer elsewhere than it reads), and the store's catalogue (§12): every method Guichet knows
 * has its provider and its line in both languages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/settings.h"

static void
test_return_urls(void **state)
{
	static const struct {
		const char *url;
		bool ok;
	} rows[] = {
	        {"", true},
	        {"https://shop.example/", true},
	        {"https://shop.example", true},
	        {"https://shop.example/paid?order=12&x=%C3%A9#top", true},
	        {"https://shop.example:8443/ok", true},
	        {"https://SHOP.example/ok", true},
	        {"https://[2001:db8::1]/ok", true},
	        {"http://localhost/ok", true},
	        {"http://localhost:8080/ok", true},
	        {"http://127.0.0.1:3000/ok", true},
	        {"http://[::1]/ok", true},
	        {"http://shop.example/ok", false},         /* http elsewhere */
	        {"http://localhost.evil.example/", false}, /* not the local machine */
	        {"http://127.0.0.1.evil.example/", false},
	        {"ftp://shop.example/", false},
	        {"javascript:alert(1)", false},
	        {"//shop.example/", false},
	        {"/paid", false},
	        {"shop.example/paid", false},
	        {"https://", false},
	        {"https:///paid", false},
	        {"https://shop.example:/ok", false},
	        {"https://shop.example:123456/ok", false},
	        {"https://shop.example:80a/ok", false},
	        {"https://bank.example@evil.example/", false}, /* user information */
	        {"https://shop.example/a b", false},
	        {"https://shop.example/a\nb", false},
	        {"https://shop.example/\"x\"", false},
	        {"https://shop.example/<x>", false},
	        {"https://sh_op.example/", false},
	        {"https://[]/", false},
	        {"https://[::1/", false},
	        {"HTTPS://shop.example/", false},
	        {"https://shop.example/\xc3\xa9", false}, /* give it percent-encoded */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (settings_url_valid(rows[i].url) != rows[i].ok)
			fail_msg("row %zu: %s", i, rows[i].url);
}

static void
test_url_length(void **state)
{
	char url[SETTINGS_URL_MAX + 2];

	(void)state;
	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	memcpy(url, "https://shop.example/", 21);
	assert_false(settings_url_valid(url)); /* SETTINGS_URL_MAX + 1 bytes */
	url[SETTINGS_URL_MAX] = '\0';
	assert_true(settings_url_valid(url)); /* SETTINGS_URL_MAX bytes */
}

static void
test_catalogue(void **state)
{
	(void)state;
	assert_null(settings_offer(METHOD_NONE));
	assert_null(settings_offer(METHOD__COUNT));
	for (int m = METHOD_NONE + 1; m < METHOD__COUNT; m++) {
		const struct method_offer *o = settings_offer((enum card_method)m);

		assert_non_null(o);
		assert_int_equal(o->method, m);
		assert_true(o->provider[0] != '\0' && o->fr[0] != '\0' && o->en[0] != '\0');
	}
	assert_string_equal(settings_offer(METHOD_PAYPAL)->provider, "PayPal");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_return_urls),
	        cmocka_unit_test(test_url_length),
	        cmocka_unit_test(test_catalogue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
