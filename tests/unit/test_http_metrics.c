/*
 * test_http_metrics.c - the HTTP layer's part of the metrics (http/metrics.h): who may read
 * them (a loopback address, the bearer of the token, the token's form), and the requests'
 * tables of several event loops added up, by route pattern and status.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/metrics.h"

static bool
loopback(const char *text)
{
	struct sockaddr_storage ss = {0};

	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
	}
	return http_addr_loopback((const struct sockaddr *)&ss);
}

static void
loopback_addresses(void **state)
{
	static const struct {
		const char *addr;
		bool want;
	} rows[] = {
	        {"127.0.0.1", true},
	        {"127.255.255.254", true},
	        {"127.1.2.3", true},
	        {"126.255.255.255", false},
	        {"128.0.0.1", false},
	        {"0.0.0.0", false},
	        {"10.0.0.1", false},
	        {"192.0.2.2", false},
	        {"::1", true},
	        {"::", false},
	        {"::2", false},
	        {"fe80::1", false},
	        {"::ffff:127.0.0.1", true}, /* a dual-stack socket's IPv4 peer */
	        {"::ffff:127.9.9.9", true},
	        {"::ffff:192.0.2.2", false},
	        {"::127.0.0.1", false}, /* IPv4-compatible, not mapped: not loopback */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (loopback(rows[i].addr) != rows[i].want)
			fail_msg("%s: want %d", rows[i].addr, rows[i].want);
}

static void
bearer_tokens(void **state)
{
	static const char token[] = "s3cret-Token_0123456789";
	static const struct {
		const char *header;
		bool want;
	} rows[] = {
	        {"Bearer s3cret-Token_0123456789", true},
	        {"bearer s3cret-Token_0123456789", true}, /* the scheme in any case */
	        {"BEARER s3cret-Token_0123456789", true},
	        {"Bearer   s3cret-Token_0123456789  ", true}, /* spaces around the token */
	        {"Bearer s3cret-Token_012345678", false},     /* one character short */
	        {"Bearer s3cret-Token_01234567890", false},   /* one more */
	        {"Bearer S3cret-Token_0123456789", false},    /* the token's case matters */
	        {"Bearers3cret-Token_0123456789", false},
	        {"Basic s3cret-Token_0123456789", false},
	        {"s3cret-Token_0123456789", false},
	        {"Bearer ", false},
	        {"Bearer", false},
	        {"", false},
	};
	unsigned char digest[CRYPTO_HASH_LEN];

	(void)state;
	assert_int_equal(crypto_init(), ST_OK);
	crypto_digest(digest, token, strlen(token));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (http_bearer_matches(rows[i].header, strlen(rows[i].header), digest) !=
		    rows[i].want)
			fail_msg("\"%s\": want %d", rows[i].header, rows[i].want);
}

static void
token_form(void **state)
{
	static const struct {
		const char *token;
		int want;
	} rows[] = {
	        {"0123456789abcdef", ST_OK}, /* 16, the shortest */
	        {"0123456789abcde", ST_INVALID},
	        {"", ST_INVALID},
	        {"!#$%&'()*+,-./:;<=>?@[]^_`{|}~AZ", ST_OK},
	        {"0123456789 abcdef", ST_INVALID},  /* a space */
	        {"0123456789\tabcdef", ST_INVALID}, /* a control */
	        {"0123456789abcdef\x7f", ST_INVALID},
	        {"0123456789abcdé", ST_INVALID}, /* not ASCII */
	};
	char longest[HTTP_METRICS_TOKEN_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(http_metrics_token_check(rows[i].token), rows[i].want);
	memset(longest, 'a', sizeof(longest));
	longest[HTTP_METRICS_TOKEN_MAX] = '\0';
	assert_int_equal(http_metrics_token_check(longest), ST_OK);
	longest[HTTP_METRICS_TOKEN_MAX] = 'a';
	longest[HTTP_METRICS_TOKEN_MAX + 1] = '\0';
	assert_int_equal(http_metrics_token_check(longest), ST_INVALID);
}

/* The index of a route in the table. */
static size_t
route_row(const char *method, const char *pattern)
{
	for (size_t i = 0; i < routes_n; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    strcmp(routes[i].pattern, pattern) == 0)
			return i;
	fail_msg("no route %s %s", method, pattern);
	return 0;
}

static void
loops_add_up(void **state)
{
	struct http_metrics *m = http_metrics_new(2);
	size_t get = route_row("GET", "/api/v1/payments/{id}");
	struct buf out;

	(void)state;
	http_metrics_observe(http_metrics_loop(m, 0), get, 200, 300);
	http_metrics_observe(http_metrics_loop(m, 1), get, 200, 4000);
	http_metrics_observe(http_metrics_loop(m, 1), get, 401, 100);
	http_metrics_observe(http_metrics_loop(m, 0), get, 418, 100); /* its class */
	http_metrics_observe(http_metrics_loop(m, 0), get, 0, 100);   /* no answer */
	http_metrics_observe(http_metrics_loop(m, 1), get, 999, 100); /* out of range */
	http_metrics_observe(http_metrics_loop(m, 0), routes_n + HTTP_ROW_UNMATCHED, 404, 50);
	http_metrics_observe(http_metrics_loop(m, 1), routes_n + HTTP_ROW_H2O, 413, -1);
	buf_init(&out, 1 << 20);
	http_metrics_write(m, &out);
	assert_false(out.failed);
#define HAS(line) assert_non_null(strstr(out.data, "\n" line "\n"))
	HAS("guichet_http_requests_total{method=\"GET\",route=\"/api/v1/payments/{id}\","
	    "status=\"200\"} 2");
	HAS("guichet_http_requests_total{method=\"GET\",route=\"/api/v1/payments/{id}\","
	    "status=\"401\"} 1");
	HAS("guichet_http_requests_total{method=\"GET\",route=\"/api/v1/payments/{id}\","
	    "status=\"4xx\"} 1");
	HAS("guichet_http_requests_total{method=\"GET\",route=\"/api/v1/payments/{id}\","
	    "status=\"none\"} 1");
	HAS("guichet_http_requests_total{method=\"GET\",route=\"/api/v1/payments/{id}\","
	    "status=\"other\"} 1");
	HAS("guichet_http_requests_total{route=\"(unmatched)\",status=\"404\"} 1");
	HAS("guichet_http_requests_total{route=\"(h2o)\",status=\"413\"} 1");
	HAS("guichet_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/payments/"
	    "{id}\",le=\"0.0005\"} 5");
	HAS("guichet_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/payments/"
	    "{id}\",le=\"0.005\"} 6");
	HAS("guichet_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/payments/"
	    "{id}\"} 6");
	HAS("guichet_http_request_duration_seconds_sum{method=\"GET\",route=\"/api/v1/payments/"
	    "{id}\"} 0.0047");
#undef HAS
	/* Routes never asked are not listed; h2o's own answers have no latency. */
	assert_null(strstr(out.data, "route=\"/healthz\""));
	assert_null(strstr(out.data, "duration_seconds_count{route=\"(h2o)\""));
	buf_cleanup(&out);
	http_metrics_free(m);
	http_metrics_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(loopback_addresses),
	        cmocka_unit_test(bearer_tokens),
	        cmocka_unit_test(token_form),
	        cmocka_unit_test(loops_add_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
