/*
 * test_log.c - log lines cannot be forged: every %s value is escaped (log.c), numbers are
 * printed as printf prints them, one call is one line.
 *
 * Regression: json_bad_field logged a JSON member's name as it came, so a name holding "\n"
 * and "level=error ..." wrote a second, forged event line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "common/text.h"

static FILE *capture;
static int saved_fd = -1;
static char out[4096];
static int lines;

static void
capture_begin(void)
{
	capture = tmpfile();
	assert_non_null(capture);
	fflush(stderr);
	saved_fd = dup(STDERR_FILENO);
	dup2(fileno(capture), STDERR_FILENO);
}

/* What was logged since capture_begin, after "time level=… " and without the last newline;
 * the count of newlines in lines. */
static const char *
capture_end(void)
{
	size_t n;
	char *p;

	fflush(stderr);
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	rewind(capture);
	n = fread(out, 1, sizeof(out) - 1, capture);
	fclose(capture);
	out[n] = '\0';
	lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += out[i] == '\n';
	if (n > 0 && out[n - 1] == '\n')
		out[n - 1] = '\0';
	p = strstr(out, " level=");
	assert_non_null(p);
	p = strchr(p + 1, ' ');
	assert_non_null(p);
	return p + 1;
}

#define LOGGED(...) (capture_begin(), log_info(__VA_ARGS__), capture_end())

static void
test_values_cannot_forge_a_line(void **state)
{
	(void)state;
	assert_string_equal(LOGGED("event=invalid_field field=%s", "x\n2026 level=error event=x"),
	                    "event=invalid_field field=\"x\\n2026 level=error event=x\"");
	assert_int_equal(lines, 1);
	assert_string_equal(LOGGED("a=%s", "x level=error"), "a=\"x level=error\"");
	assert_string_equal(LOGGED("a=%s", "k=v"), "a=\"k=v\"");
	assert_string_equal(LOGGED("a=%s", "\r\t\x1b[31m"), "a=\"\\r\\t\\x1b[31m\"");
	assert_string_equal(LOGGED("a=%s", "q\"b\\"), "a=\"q\\\"b\\\\\"");
	assert_string_equal(LOGGED("a=\"%s\"", "say \"hi\"\nlevel=error"),
	                    "a=\"say \\\"hi\\\"\\nlevel=error\"");
	assert_int_equal(lines, 1);
	/* Bidi overrides (U+202E), line separators, C1 controls, bytes that are not UTF-8. */
	assert_string_equal(LOGGED("a=%s", "ab\xe2\x80\xae"
	                                   "cd"),
	                    "a=\"ab\\u202ecd\"");
	assert_string_equal(LOGGED("a=%s", "\xe2\x80\xa8\xc2\x85"), "a=\"\\u2028\\u0085\"");
	assert_string_equal(LOGGED("a=%s", "\xff\xc3"), "a=\"\\xff\\xc3\"");
	/* Plain values stay as they are; other text is quoted, its letters kept. */
	assert_string_equal(LOGGED("a=%s b=%s", "sign_in", "GUICHETDEMO"),
	                    "a=sign_in b=GUICHETDEMO");
	assert_string_equal(LOGGED("name=%s", "\xc3\x89lodie"), "name=\"\xc3\x89lodie\"");
	assert_string_equal(LOGGED("a=%s", ""), "a=\"\"");
}

static void
test_numbers_and_precision_as_printf(void **state)
{
	(void)state;
	assert_string_equal(LOGGED("n=%d m=%lld z=%zu", -3, -9000000000LL, (size_t)42),
	                    "n=-3 m=-9000000000 z=42");
	assert_string_equal(
	        LOGGED("[%5d|%-4d|%04d|%x|%016llx|%u]", 7, 8, 9, 255, 0xabcULL, 4000000000u),
	        "[    7|8   |0009|ff|0000000000000abc|4000000000]");
	assert_string_equal(LOGGED("%.*s|%.3s|%*d", 2, "abcdef", "xy\nz", 3, 5),
	                    "ab|\"xy\\n\"|  5");
	assert_string_equal(LOGGED("100%% c=%c", 'k'), "100% c=k");
}

static void
test_a_long_line_is_cut_and_still_one_line(void **state)
{
	char big[5000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[3000] = '\n';
	LOGGED("a=%s", big);
	assert_int_equal(lines, 1);
	assert_true(strlen(out) <= 2046);
}

static void
test_unsafe_text(void **state)
{
	static const struct {
		const char *s;
		bool safe;
	} rows[] = {
	        {"Maison Guichet", true},
	        {"\xc3\x89lodie L\xc3\xa9vy", true},
	        {"\xe6\x97\xa5\xe6\x9c\xac", true}, /* CJK */
	        {"\xf0\x9f\x98\x80", true},         /* U+1F600 */
	        {"a\tb", false},
	        {"a\x7f", false},
	        {"\xc2\x9b", false},         /* U+009B, C1 */
	        {"\xd8\x9c", false},         /* U+061C */
	        {"\xe2\x80\x8e", false},     /* U+200E */
	        {"\xe2\x80\xaa", false},     /* U+202A */
	        {"\xe2\x80\xae", false},     /* U+202E */
	        {"\xe2\x81\xa6", false},     /* U+2066 */
	        {"\xe2\x81\xa9", false},     /* U+2069 */
	        {"\xe2\x81\xaa", true},      /* U+206A, not an isolate */
	        {"\xe2\x80\xa9", false},     /* U+2029 */
	        {"\xc0\xaf", false},         /* overlong */
	        {"\xed\xa0\x80", false},     /* a surrogate */
	        {"\xf4\x90\x80\x80", false}, /* above U+10FFFF */
	        {"\xe2\x80", false},         /* truncated */
	        {"\x80", false},             /* a stray continuation */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(text_is_safe(rows[i].s, strlen(rows[i].s)), rows[i].safe);
}

/* text_copy_safe: what is not text made '?', a sequence cut by the room left out whole. */
static void
test_copy_safe(void **state)
{
	static const struct {
		const char *in;
		size_t cap;
		const char *out;
	} rows[] = {
	        {"Mozilla/5.0", 64, "Mozilla/5.0"},
	        {"Firefox \xff\xfe", 64, "Firefox ??"},
	        {"a\nb\x1b[31m", 64, "a?b?[31m"},
	        {"x\xe2\x80\xaey", 64, "x?y"},      /* U+202E, three bytes, one '?' */
	        {"\xc0\xaf", 64, "??"},             /* overlong: two stray bytes */
	        {"caf\xc3\xa9", 64, "caf\xc3\xa9"}, /* é kept */
	        {"caf\xc3\xa9", 5, "caf"},          /* é would not fit whole */
	        {"abc", 3, "ab"},
	        {"\xff\xff\xff", 3, "??"},
	        {"", 8, ""},
	};
	char copy[64];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = text_copy_safe(copy, rows[i].cap, rows[i].in, strlen(rows[i].in));

		assert_string_equal(copy, rows[i].out);
		assert_int_equal(n, strlen(rows[i].out));
		assert_true(text_is_safe(copy, n));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_copy_safe),
	        cmocka_unit_test(test_values_cannot_forge_a_line),
	        cmocka_unit_test(test_numbers_and_precision_as_printf),
	        cmocka_unit_test(test_a_long_line_is_cut_and_still_one_line),
	        cmocka_unit_test(test_unsafe_text),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
