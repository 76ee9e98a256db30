/*
 * test_recon.c - the acquirer's return file (domain/recon.h): a good file read back as it was
 * written, every kind of bad line listed with its number (and nothing kept), the matching of a
 * line with a transaction, the 7-day rule at its boundary, the commission.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "domain/recon.h"

#define GOOD                                                                                       \
	"H;GJRB1;1;1234567;001;3;3;2026-11-20;2026-11-21;EUR\n"                                    \
	"L;101;DEBIT;10000;40;9960;EUR;123456\n"                                                   \
	"L;102;CREDIT;2500;0;2500;EUR;\n"                                                          \
	"Z;2;12500;40;12460\n"

static void
test_good_file(void **state)
{
	struct recon_file f;
	int64_t day;

	(void)state;
	assert_int_equal(recon_parse(GOOD, strlen(GOOD), &f), 0);
	assert_int_equal(f.nerrors, 0);
	assert_int_equal(f.h.brand_id, 1);
	assert_string_equal(f.h.contract_number, "1234567");
	assert_string_equal(f.h.rang, "001");
	assert_int_equal(f.h.batch_number, 3);
	assert_int_equal(f.h.jrb_number, 3);
	assert_int_equal(cal_date_parse("2026-11-21", &day), 0);
	assert_int_equal(f.h.value_day, day);
	assert_string_equal(f.h.currency, "EUR");
	assert_int_equal(f.n, 2);
	assert_int_equal(f.lines[0].txn_id, 101);
	assert_false(f.lines[0].credit);
	assert_int_equal(f.lines[0].commission, 40);
	assert_int_equal(f.lines[0].net, 9960);
	assert_string_equal(f.lines[0].auth, "123456");
	assert_int_equal(f.lines[0].lineno, 2);
	assert_true(f.lines[1].credit);
	assert_string_equal(f.lines[1].auth, "");
	recon_file_free(&f);
}

/* A test environment's batch is its brand's twin's, a negative account (docs/ENVIRONMENTS.md):
 * read as written; a sign alone, twice, or a zero is no account. */
static void
test_test_environment_account(void **state)
{
	static const char *const bad[] = {"-", "--1", "-0", "+1", "1-"};
	char text[256];
	struct recon_file f;

	(void)state;
	assert_int_equal(
	        recon_parse("H;GJRB1;-12;1;001;1;1;2026-11-20;2026-11-21;EUR\nZ;0;0;0;0\n",
	                    strlen("H;GJRB1;-12;1;001;1;1;2026-11-20;2026-11-21;EUR\nZ;0;0;0;0\n"),
	                    &f),
	        0);
	assert_int_equal(f.h.brand_id, -12);
	recon_file_free(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
		         "H;GJRB1;%s;1;001;1;1;2026-11-20;2026-11-21;EUR\nZ;0;0;0;0\n", bad[i]);
		assert_int_not_equal(recon_parse(text, strlen(text), &f), 0);
		recon_file_free(&f);
	}
}

/* What the writers make, the parser reads back (CRLF taken too). */
static void
test_written_read_back(void **state)
{
	struct recon_header h = {.brand_id = 7,
	                         .contract_number = "42",
	                         .rang = "002",
	                         .batch_number = 9,
	                         .jrb_number = 19,
	                         .currency = "JPY"};
	struct recon_line l = {.txn_id = 5, .amount = 300, .currency = "JPY", .auth = "000001"};
	char buf[512], *p = buf;
	struct recon_file f;

	(void)state;
	assert_int_equal(cal_date_parse("2026-12-31", &h.bank_day), 0);
	h.value_day = h.bank_day + 1;
	l.commission = recon_commission(l.amount, false, 90);
	l.net = l.amount - l.commission;
	p += recon_header_write(&h, p, sizeof(buf));
	p += recon_line_write(&l, p, sizeof(buf) - (size_t)(p - buf));
	p += recon_trailer_write(1, l.amount, l.commission, l.net, p,
	                         sizeof(buf) - (size_t)(p - buf));
	assert_int_equal(recon_parse(buf, (size_t)(p - buf), &f), 0);
	assert_int_equal(f.h.jrb_number, 19);
	assert_int_equal(f.h.value_day, h.bank_day + 1);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.lines[0].commission, 2);
	recon_file_free(&f);
	assert_int_equal(recon_header_write(&h, buf, 10), -1);

	static const char crlf[] = "H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\r\n"
	                           "Z;0;0;0;0\r\n";
	assert_int_equal(recon_parse(crlf, strlen(crlf), &f), 0);
	assert_int_equal(f.n, 0);
	recon_file_free(&f);
}

/* Each bad file: refused, nothing kept, its first error on the line given. */
static void
test_bad_files(void **state)
{
	static const struct {
		const char *text;
		int lineno;
		const char *says;
	} rows[] = {
	        {"", 0, "empty"},
	        {"L;1;DEBIT;1;0;1;EUR;\nZ;1;1;0;1\n", 1, "header"},
	        {"H;GJRB2;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nZ;0;0;0;0\n", 1, "format"},
	        {"H;GJRB1;1;1;01;1;1;2026-11-20;2026-11-21;EUR\nZ;0;0;0;0\n", 1, "rang"},
	        {"H;GJRB1;1;1;001;1;1;2026-02-30;2026-11-21;EUR\nZ;0;0;0;0\n", 1, "bank date"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;XYZ\nZ;0;0;0;0\n", 1, "currency"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21\nZ;0;0;0;0\n", 1, "fields"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nL;1;DEBIT;-5;0;-5;EUR;\n"
	         "Z;1;0;0;0\n",
	         2, "amount"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nL;1;REFUND;5;0;5;EUR;\n"
	         "Z;1;5;0;5\n",
	         2, "type"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nL;1;DEBIT;5;1;5;EUR;\n"
	         "Z;1;5;1;5\n",
	         2, "net amount is not"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nL;1;DEBIT;5;0;5;USD;\n"
	         "Z;1;5;0;5\n",
	         2, "header's EUR"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nL;1;DEBIT;5;0;5;EUR;\n"
	         "L;1;DEBIT;5;0;5;EUR;\nZ;2;10;0;10\n",
	         3, "on line 2 already"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nL;1;DEBIT;5;0;5;EUR;\n", 2,
	         "without its trailer"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nL;1;DEBIT;5;0;5;EUR;\n"
	         "Z;2;5;0;5\n",
	         3, "counts 2 lines"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nL;1;DEBIT;5;0;5;EUR;\n"
	         "Z;1;6;0;6\n",
	         3, "totals"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nZ;0;0;0;0\nL;1;DEBIT;5;0;5;EUR;\n",
	         3, "after the trailer"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nX;1\nZ;0;0;0;0\n", 2,
	         "unknown kind"},
	        {"H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\nL;1;DEBIT;5;0;5;EUR;\xc3\xa9\n"
	         "Z;1;5;0;5\n",
	         2, "printable"},
	};
	struct recon_file f;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(recon_parse(rows[i].text, strlen(rows[i].text), &f), -1);
		assert_true(f.nerrors >= 1);
		assert_null(f.lines);
		assert_int_equal(f.n, 0);
		assert_int_equal(f.errors[0].lineno, rows[i].lineno);
		if (strstr(f.errors[0].text, rows[i].says) == NULL)
			fail_msg("row %zu: \"%s\" does not say %s", i, f.errors[0].text,
			         rows[i].says);
	}
}

/* Every bad line is listed, not only the first. */
static void
test_every_error_listed(void **state)
{
	static const char text[] = "H;GJRB1;1;1;001;1;1;2026-11-20;2026-11-21;EUR\n"
	                           "L;x;DEBIT;5;0;5;EUR;\n"
	                           "L;2;DEBIT;5;0;5;EUR;\n"
	                           "L;3;DEBIT;5;0;5;EUR\n"
	                           "Z;3;15;0;15\n";
	struct recon_file f;

	(void)state;
	assert_int_equal(recon_parse(text, strlen(text), &f), -1);
	assert_int_equal(f.nerrors, 2);
	assert_int_equal(f.errors[0].lineno, 2);
	assert_int_equal(f.errors[1].lineno, 4);
}

static void
test_match(void **state)
{
	struct recon_line l = {.txn_id = 1, .amount = 1000, .currency = "EUR"};

	(void)state;
	assert_int_equal(recon_match(&l, true, false, 1000, "EUR"), RECON_MATCHED);
	assert_int_equal(recon_match(&l, true, false, 1001, "EUR"), RECON_AMOUNT);
	assert_int_equal(recon_match(&l, true, false, 999, "EUR"), RECON_AMOUNT);
	assert_int_equal(recon_match(&l, true, true, 1000, "EUR"), RECON_AMOUNT);
	assert_int_equal(recon_match(&l, true, false, 1000, "USD"), RECON_AMOUNT);
	assert_int_equal(recon_match(&l, false, false, 1000, "EUR"), RECON_UNKNOWN);
	assert_string_equal(recon_kind_name(RECON_MISSING), "missing");
	assert_int_equal(recon_kind_parse("amount"), RECON_AMOUNT);
	assert_int_equal(recon_kind_parse("unknown"), RECON_UNKNOWN);
	assert_int_equal(recon_kind_parse("missing"), RECON_MISSING);
	assert_int_equal(recon_kind_parse("matched"), -1);
	assert_int_equal(recon_kind_parse(""), -1);
}

static void
test_overdue_boundary(void **state)
{
	const int64_t week = 7LL * 24 * 3600 * CAL_US_PER_S, sent = 1763645400000000LL;

	(void)state;
	assert_false(recon_overdue(sent, sent));
	assert_false(recon_overdue(sent, sent + week - 1));
	assert_false(recon_overdue(sent, sent + week)); /* 7 days exactly: not yet */
	assert_true(recon_overdue(sent, sent + week + 1));
	assert_true(recon_overdue(sent, sent + 2 * week));
	assert_int_equal(recon_overdue_cutoff(sent + week + 1), sent);
}

static void
test_commission(void **state)
{
	(void)state;
	assert_int_equal(recon_commission(10000, false, 40), 40);
	assert_int_equal(recon_commission(10000, false, 90), 90);
	assert_int_equal(recon_commission(1234, false, 90), 11); /* truncated */
	assert_int_equal(recon_commission(99, false, 90), 0);
	assert_int_equal(recon_commission(10000, true, 90), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_good_file),  cmocka_unit_test(test_written_read_back),
	        cmocka_unit_test(test_bad_files),  cmocka_unit_test(test_every_error_listed),
	        cmocka_unit_test(test_match),      cmocka_unit_test(test_overdue_boundary),
	        cmocka_unit_test(test_commission), cmocka_unit_test(test_test_environment_account),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
