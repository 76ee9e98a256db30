/*
 * test_client_opts.c - the client's command lines (src/cli/opts.c): the option parser and
 * the values checked before anything is sent (exit 2 in the client).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/opts.h"

#define N(a) (sizeof(a) / sizeof(a[0]))

static const struct opt_spec specs[] = {
        {"from", "D", ""},
        {"take-over", NULL, ""},
        {"o", "FILE", ""},
        {"format", "F", ""},
};

static void
test_parse(void **state)
{
	static const struct {
		const char *argv[6];
		int rc;
		const char *from, *flag, *o, *format, *err;
	} rows[] = {
	        {{NULL}, 0, NULL, NULL, NULL, NULL, ""},
	        {{"--from", "2026-11-01"}, 0, "2026-11-01", NULL, NULL, NULL, ""},
	        {{"--from=2026-11-01", "--take-over"}, 0, "2026-11-01", "", NULL, NULL, ""},
	        {{"-o", "out.csv", "--format", "csv"}, 0, NULL, NULL, "out.csv", "csv", ""},
	        {{"--o=x"}, 0, NULL, NULL, "x", NULL, ""},
	        {{"--from", "a", "--help"}, 1, NULL, NULL, NULL, NULL, ""},
	        {{"--bogus"}, -1, NULL, NULL, NULL, NULL, "unknown option '--bogus'"},
	        {{"--bogus=1"}, -1, NULL, NULL, NULL, NULL, "unknown option '--bogus'"},
	        {{"--from"}, -1, NULL, NULL, NULL, NULL, "option --from needs a value (D)"},
	        {{"--from="}, -1, NULL, NULL, NULL, NULL, "option --from needs a value (D)"},
	        {{"--from", "a", "--from", "b"},
	         -1,
	         NULL,
	         NULL,
	         NULL,
	         NULL,
	         "option --from given twice"},
	        {{"--take-over=yes"},
	         -1,
	         NULL,
	         NULL,
	         NULL,
	         NULL,
	         "option --take-over takes no value"},
	        {{"stray"}, -1, NULL, NULL, NULL, NULL, "unexpected argument 'stray'"},
	        {{"-x"}, -1, NULL, NULL, NULL, NULL, "unexpected argument '-x'"},
	        {{"--"}, -1, NULL, NULL, NULL, NULL, "unexpected argument '--'"},
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		const char *out[N(specs)];
		char err[128];
		int argc = 0;

		while (argc < 6 && rows[i].argv[argc] != NULL)
			argc++;
		int rc = opts_parse(specs, N(specs), argc, (char *const *)rows[i].argv, out, err,
		                    sizeof(err));
		assert_int_equal(rc, rows[i].rc);
		assert_string_equal(err, rows[i].err);
		if (rc != 0)
			continue;
		const char *want[] = {rows[i].from, rows[i].flag, rows[i].o, rows[i].format};
		for (size_t k = 0; k < N(specs); k++) {
			if (want[k] == NULL)
				assert_null(out[k]);
			else
				assert_string_equal(out[k], want[k]);
		}
	}
}

static void
test_dates(void **state)
{
	static const struct {
		const char *v;
		bool ok;
	} rows[] = {
	        {"2026-11-20", true},
	        {"2024-02-29", true},
	        {"2026-11-20T14:30", true},
	        {"2026-11-20T23:59:59", true},
	        {"2026-11-20T00:00:00", true},
	        {"2025-02-29", false},
	        {"2026-13-01", false},
	        {"2026-11-31", false},
	        {"2026-11-2", false},
	        {"20261120", false},
	        {"2026-11-20T24:00", false},
	        {"2026-11-20T14:60", false},
	        {"2026-11-20T14:30:60", false},
	        {"2026-11-20T14", false},
	        {"2026-11-20 14:30", false},
	        {"2026-11-20T14:30Z", false},
	        {"", false},
	        {"yesterday", false},
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++)
		assert_int_equal(opts_date_ok(rows[i].v), rows[i].ok);
}

static void
test_amounts(void **state)
{
	static const struct {
		const char *v;
		int exponent;
		const char *out; /* NULL: refused */
	} rows[] = {
	        {"12.34", 2, "eq:1234"},
	        {"12", 2, "eq:1200"},
	        {"12.3", 2, "eq:1230"},
	        {"ge:0.01", 2, "ge:1"},
	        {"le:1000", 2, "le:100000"},
	        {"ne:5.50", 2, "ne:550"},
	        {"eq:7", 0, "eq:7"},
	        {"1.234", 3, "eq:1234"},
	        {"999999999.99", 2, "eq:99999999999"},
	        {"12.345", 2, NULL},
	        {"7.5", 0, NULL},
	        {"1000000000.00", 2, NULL},
	        {"12.", 2, NULL},
	        {".5", 2, NULL},
	        {"-1", 2, NULL},
	        {"1,50", 2, NULL},
	        {"gt:5", 2, NULL},
	        {"", 2, NULL},
	        {"ge:", 2, NULL},
	        {"99999999999999999999", 2, NULL},
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		char out[64], err[256];
		int rc = opts_amount_filter(rows[i].v, rows[i].exponent, out, sizeof(out), err,
		                            sizeof(err));

		if (rows[i].out == NULL) {
			assert_int_equal(rc, -1);
			assert_true(strstr(err, rows[i].v) != NULL);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(out, rows[i].out);
		}
	}
}

/* An operation's amount: a plain amount above zero, never a filter's operator. */
static void
test_operation_amounts(void **state)
{
	static const struct {
		const char *v;
		int exponent;
		int64_t minor; /* -1: refused */
	} rows[] = {
	        {"12.34", 2, 1234}, {"0.01", 2, 1},  {"7", 0, 7},   {"12.345", 2, -1}, {"0", 2, -1},
	        {"0.00", 2, -1},    {"eq:5", 2, -1}, {"-5", 2, -1}, {"5e2", 2, -1},    {"", 2, -1},
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		char err[256];
		int64_t minor = -1;
		int rc = opts_amount(rows[i].v, rows[i].exponent, &minor, err, sizeof(err));

		if (rows[i].minor < 0) {
			assert_int_equal(rc, -1);
			assert_true(strstr(err, rows[i].v) != NULL);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(minor, rows[i].minor);
		}
	}
}

static void
test_small_values(void **state)
{
	int port = 0;
	long n = 0;

	(void)state;
	assert_int_equal(opts_port("13020", &port), 0);
	assert_int_equal(port, 13020);
	assert_int_equal(opts_port("1", &port), 0);
	assert_int_equal(opts_port("65535", &port), 0);
	assert_int_equal(opts_port("0", &port), -1);
	assert_int_equal(opts_port("65536", &port), -1);
	assert_int_equal(opts_port("-1", &port), -1);
	assert_int_equal(opts_port("80x", &port), -1);
	assert_int_equal(opts_number("500", 1, 500, &n), 0);
	assert_int_equal(opts_number("501", 1, 500, &n), -1);
	assert_true(opts_name_ok("default"));
	assert_true(opts_name_ok("prod-2.eu_west"));
	assert_false(opts_name_ok(""));
	assert_false(opts_name_ok(".hidden"));
	assert_false(opts_name_ok("a/b"));
	assert_false(opts_name_ok("../x"));
	assert_true(opts_loopback("127.0.0.1"));
	assert_true(opts_loopback("::1"));
	assert_true(opts_loopback("localhost"));
	assert_false(opts_loopback("127.0.0.2"));
	assert_false(opts_loopback("localhost.example.com"));
	assert_false(opts_loopback("10.0.0.1"));
	assert_true(opts_last_digits_ok("1111"));
	assert_true(opts_last_digits_ok("4"));
	assert_false(opts_last_digits_ok("11111"));
	assert_false(opts_last_digits_ok("11a"));
	assert_false(opts_last_digits_ok(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),        cmocka_unit_test(test_dates),
	        cmocka_unit_test(test_amounts),      cmocka_unit_test(test_operation_amounts),
	        cmocka_unit_test(test_small_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
