/*
 * test_csv.c - RFC 4180 quoting and formula defusing of exported fields; the capped buffer and
 * its markup escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/csv.h"

static void
test_fields(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} rows[] = {
	        {"plain", "plain"},
	        {"a,b", "\"a,b\""},
	        {"say \"hi\"", "\"say \"\"hi\"\"\""},
	        {"two\nlines", "\"two\nlines\""},
	        {"semi;colon", "\"semi;colon\""},
	        {"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
	        {"+1", "'+1"},
	        {"-1", "-1"},
	        {"-123456", "-123456"},
	        {"-1+1", "'-1+1"},
	        {"-", "'-"},
	        {"-12a", "'-12a"},
	        {"a\"b,\"c\"", "\"a\"\"b,\"\"c\"\"\""},
	        {"\"", "\"\"\"\""},
	        {"@SUM(A1)", "'@SUM(A1)"},
	        /* Regression (found by tests/fuzz/fuzz_csv): a tab or a CR first also starts a
	         * formula (OWASP "CSV Injection"), and went out as it was. */
	        {"\t=1+1", "'\t=1+1"},
	        {"\r=1+1", "\"'\r=1+1\""},
	        {"\t", "'\t"},
	        {"", ""},
	        {"é à ü", "é à ü"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf b;

		buf_init(&b, 1024);
		csv_field(&b, rows[i].in, true);
		assert_string_equal(b.data ? b.data : "", rows[i].out);
		buf_cleanup(&b);
	}
}

static void
test_txt_fields(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	txt_field(&b, "a,b", true);
	txt_field(&b, "tab\there", false);
	txt_field(&b, "two\r\nlines", false);
	txt_field(&b, "=1+1", false);
	txt_field(&b, "-42", false);
	txt_field(&b, "\t", false);
	assert_string_equal(b.data, "a,b\ttab here\ttwo  lines\t'=1+1\t-42\t ");
	buf_cleanup(&b);
}

static void
test_line(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 1024);
	csv_field(&b, "a", true);
	csv_field(&b, "b,c", false);
	csv_end(&b);
	s = buf_take(&b);
	assert_string_equal(s, "a,\"b,c\"\r\n");
	free(s);
	assert_null(b.data);
}

static void
test_cap_is_sticky(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	buf_adds(&b, "12345");
	buf_adds(&b, "6789"); /* 9 > 8: refused, and every later append too */
	assert_true(b.failed);
	buf_adds(&b, "x");
	assert_string_equal(b.data, "12345");
	assert_int_equal(b.len, 5);
	buf_cleanup(&b);
	buf_init(&b, 8);
	buf_adds(&b, "12345678"); /* exactly the cap */
	assert_false(b.failed);
	buf_cleanup(&b);
}

/* Each character markup escapes, and each control XML 1.0 does not allow, at the start, in
 * the middle and at the end of a value; tab, LF, CR and UTF-8 kept. */
static void
test_markup(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} rows[] = {
	        {"", ""},
	        {"plain", "plain"},
	        {"a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f"},
	        {"&", "&amp;"},
	        {"<x>", "&lt;x&gt;"},
	        {"\x01"
	         "a\x08"
	         "b\x0b\x0c\x0e\x1f",
	         " a b    "},
	        {"tab\there\r\n", "tab\there\r\n"},
	        {"é à ü \x7f", "é à ü \x7f"},
	        {"X\x01Y\tZ\r\nW", "X Y\tZ\r\nW"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf b;

		buf_init(&b, 1024);
		buf_add_markup(&b, rows[i].in);
		assert_string_equal(b.data ? b.data : "", rows[i].out);
		buf_cleanup(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fields), cmocka_unit_test(test_txt_fields),
	        cmocka_unit_test(test_line),   cmocka_unit_test(test_cap_is_sticky),
	        cmocka_unit_test(test_markup),
	};

	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
