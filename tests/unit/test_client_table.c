/*
 * test_client_table.c - the client's output (src/cli/table.c): the table's widths within
 * the terminal, columns dropped by priority then cut with an ellipsis, amounts right-aligned
 * and never cut; CSV quoted per RFC 4180; tab-separated lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/table.h"
#include "stream_contents.h"

#define N(a) (sizeof(a) / sizeof(a[0]))

static const struct table_col cols[] = {
        {"ID", false, 5, 2},
        {"ORDER", false, 3, 6},
        {"AMOUNT", true, 9, 0},
        {"E-MAIL", false, 1, 8},
};

static const char *const cells[] = {
        "1", "CMD-2026-000123", "12.34 EUR",     "alice@example.com", "22",
        "X", "1234.00 EUR",     "b@example.com",
};

static void
test_layout(void **state)
{
	static const struct {
		size_t width;
		size_t w[4];
	} rows[] = {
	        /* natural: 2 + 15 + 11 + 17 and 3 gaps of 2 = 51 */
	        {200, {2, 15, 11, 17}},
	        {51, {2, 15, 11, 17}},
	        /* narrower: the widest truncatable one (the e-mail) first, down to ties */
	        {50, {2, 15, 11, 16}},
	        {45, {2, 13, 11, 13}},
	        /* below every floor (2 + 6 + 11 + 8 + 6 = 33): the e-mail (keep 1) dropped */
	        {32, {2, 15, 11, 0}},
	        {25, {2, 8, 11, 0}},
	        {23, {2, 6, 11, 0}},
	        /* then the order (keep 3); the amount is never cut */
	        {22, {2, 0, 11, 0}},
	        {5, {0, 0, 11, 0}},
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		size_t w[4];
		size_t total = table_layout(cols, N(cols), cells, 2, rows[i].width, w);

		for (size_t k = 0; k < 4; k++)
			assert_int_equal(w[k], rows[i].w[k]);
		if (rows[i].width >= 11)
			assert_true(total <= rows[i].width);
	}
}

static void
test_write(void **state)
{
	size_t w[4];
	FILE *f = tmpfile();
	char *s;

	(void)state;
	table_layout(cols, N(cols), cells, 2, 32, w);
	assert_int_equal(w[3], 0);
	table_write(f, cols, N(cols), cells, 2, w);
	s = contents(f);
	/* 32: below the floors of all four, the e-mail (keep 1) dropped, the rest whole. */
	assert_string_equal(s, "ID  ORDER                 AMOUNT\n"
	                       "1   CMD-2026-000123    12.34 EUR\n"
	                       "22  X                1234.00 EUR\n");
	free(s);
	fclose(f);

	f = tmpfile();
	table_layout(cols, N(cols), cells, 2, 45, w);
	table_write(f, cols, N(cols), cells, 2, w);
	s = contents(f);
	assert_string_equal(s, "ID  ORDER               AMOUNT  E-MAIL\n"
	                       "1   CMD-2026-000…    12.34 EUR  alice@exampl…\n"
	                       "22  X              1234.00 EUR  b@example.com\n");
	free(s);
	fclose(f);
}

static void
test_utf8(void **state)
{
	static const struct table_col one[] = {{"NAME", false, 1, 2}, {"N", true, 2, 0}};
	static const char *const rows[] = {"Élodie Durand", "1", "Zoé", "22"};
	size_t w[2];
	FILE *f = tmpfile();
	char *s;

	(void)state;
	assert_int_equal(table_text_width("Élodie"), 6);
	assert_int_equal(table_text_width("…"), 1);
	assert_int_equal(table_text_width(NULL), 0);
	table_layout(one, 2, rows, 2, 10, w);
	assert_int_equal(w[0], 6);
	assert_int_equal(w[1], 2);
	table_write(f, one, 2, rows, 2, w);
	s = contents(f);
	assert_string_equal(s, "NAME     N\n"
	                       "Élodi…   1\n"
	                       "Zoé     22\n");
	free(s);
	fclose(f);
}

static void
test_csv_tsv(void **state)
{
	static const char *const fields[] = {"plain", "a,b", "say \"hi\"", "two\nlines",
	                                     "",      NULL,  "tab\there"};
	FILE *f = tmpfile();
	char *s;

	(void)state;
	table_csv_record(f, fields, N(fields));
	s = contents(f);
	assert_string_equal(s, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,,tab\there\r\n");
	free(s);
	fclose(f);
	f = tmpfile();
	table_tsv_record(f, fields, N(fields));
	s = contents(f);
	assert_string_equal(s, "plain\ta,b\tsay \"hi\"\ttwo lines\t\t\ttab here\n");
	free(s);
	fclose(f);
}

static void
test_sparkline(void **state)
{
	static const long long rising[] = {0, 1, 2, 3, 4, 5, 6, 7}, flat[] = {5, 5, 5},
	                       negative[] = {-10, 0, 10},
	                       twelve[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9};
	char out[64];

	(void)state;
	assert_int_equal(table_sparkline(rising, 8, 80, out, sizeof(out)), 8);
	assert_string_equal(out, "▁▂▃▄▅▆▇█");
	assert_int_equal(table_sparkline(flat, 3, 80, out, sizeof(out)), 3);
	assert_string_equal(out, "▁▁▁");
	assert_int_equal(table_sparkline(negative, 3, 80, out, sizeof(out)), 3);
	assert_string_equal(out, "▁▅█");
	/* Twelve values in 5 characters: groups of 3, 3, 2, 2, 2 summed (3, 3, 2, 2, 10). */
	assert_int_equal(table_sparkline(twelve, 12, 5, out, sizeof(out)), 5);
	assert_string_equal(out, "▂▂▁▁█");
	assert_int_equal(table_text_width(out), 5);
	/* Nothing to draw, or no room for it. */
	assert_int_equal(table_sparkline(rising, 0, 80, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(table_sparkline(rising, 8, 0, out, sizeof(out)), 0);
	assert_int_equal(table_sparkline(rising, 8, 80, out, 10), 0);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_layout),    cmocka_unit_test(test_write),
	        cmocka_unit_test(test_utf8),      cmocka_unit_test(test_csv_tsv),
	        cmocka_unit_test(test_sparkline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
