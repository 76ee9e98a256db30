/*
 * test_order_file.c - the delimited format of a file of payment orders (domain/order_file.h,
 * docs/ORDER-FILES.md): the reader's records and quoting faults, the encoding, the header,
 * and each line check's rows and boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/order_file.h"

static char fields[ORDER_FILE_COLUMNS][ORDER_FIELD_MAX + 1];

/* Reads every record of text: the count of records, or -1 at a quoting fault (*where). */
static int
records(const char *text, int64_t *where, int *last_n)
{
	struct order_reader rd;
	bool too_long;
	int64_t line;
	int n, got, count = 0;

	order_reader_init(&rd, text, strlen(text));
	while ((got = order_reader_next(&rd, fields, &n, &too_long, &line)) == 1) {
		count++;
		*last_n = n;
	}
	*where = line;
	return got < 0 ? -1 : count;
}

static void
test_reader(void **state)
{
	static const struct {
		const char *text;
		int records;   /* -1: a quoting fault */
		int64_t where; /* the fault's line */
		int last_n;    /* fields of the last record */
	} rows[] = {
	        {"a,b,c\r\n", 1, 0, 3},
	        {"a,b,c\n\n\nd,e\n", 2, 0, 2},
	        {"a,b,c", 1, 0, 3},
	        {"\"a,b\",c\n", 1, 0, 2},
	        {"\"a\"\"b\",c\n", 1, 0, 2},
	        {"\"multi\nline\",c\nx\n", 2, 0, 1},
	        {",,,,,,,,\n", 1, 0, 9},
	        {"a,b,c,d,e,f,g,h,i,j,\"k\"\n", 1, 0, 11}, /* past the columns: counted */
	        {"a\nb\"c\n", -1, 2, 1},                   /* a quote inside a field */
	        {"a\n\"open,b\n", -1, 2, 1},               /* never closed */
	        {"\"a\"b,c\n", -1, 1, 0},                  /* text after the closing quote */
	        {"a\rb\n", -1, 1, 0},                      /* a lone CR */
	        {"", 0, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t where = 0;
		int last_n = 0, got = records(rows[i].text, &where, &last_n);

		assert_int_equal(got, rows[i].records);
		if (got < 0)
			assert_int_equal(where, rows[i].where);
		else if (got > 0)
			assert_int_equal(last_n, rows[i].last_n);
	}
}

static void
test_quoted_values(void **state)
{
	struct order_reader rd;
	const char *text = "\"a \"\"b\"\"\",\"x,y\",\"\"\r\n";
	bool too_long;
	int64_t line;
	int n;

	(void)state;
	order_reader_init(&rd, text, strlen(text));
	assert_int_equal(order_reader_next(&rd, fields, &n, &too_long, &line), 1);
	assert_int_equal(n, 3);
	assert_string_equal(fields[0], "a \"b\"");
	assert_string_equal(fields[1], "x,y");
	assert_string_equal(fields[2], "");
	assert_false(too_long);
}

static void
test_encoding(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		enum order_file_fault fault;
		int64_t line;
	} rows[] = {
	        {"a\nb\n", 4, ORDER_FILE_OK, 0},
	        {"\xEF\xBB\xBF"
	         "a\n",
	         5, ORDER_FILE_OK, 0},
	        {"caf\xC3\xA9\n", 6, ORDER_FILE_OK, 0},
	        {"a\nb\ncaf\xE9\n", 9, ORDER_FILE_ENCODING, 3}, /* Latin-1 */
	        {"a\n\0b\n", 5, ORDER_FILE_ENCODING, 2},
	        {"\xC0\xAF", 2, ORDER_FILE_ENCODING, 1}, /* overlong */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t line = 0;

		assert_int_equal(order_file_encoding(rows[i].text, rows[i].len, &line),
		                 rows[i].fault);
		if (rows[i].fault != ORDER_FILE_OK)
			assert_int_equal(line, rows[i].line);
	}
}

/* Splits a record given as text (no quoting) into fields: the count. */
static int
split(const char *text)
{
	struct order_reader rd;
	bool too_long;
	int64_t line;
	int n = 0;

	order_reader_init(&rd, text, strlen(text));
	assert_int_equal(order_reader_next(&rd, fields, &n, &too_long, &line), 1);
	return n;
}

static void
test_header(void **state)
{
	(void)state;
	assert_true(order_header_valid(fields, split(ORDER_FILE_HEADER)));
	assert_false(order_header_valid(fields, split("operation,reference,amount")));
	assert_false(order_header_valid(
	        fields, split("operation,ref,amount,currency,card_number,card_expiry,alias,"
	                      "transaction_id,capture")));
	assert_false(order_header_valid(fields, split(ORDER_FILE_HEADER ",extra")));
}

static void
test_lines(void **state)
{
	static const struct {
		const char *line;
		const char *code; /* NULL: an order */
		const char *column;
	} rows[] = {
	        /* Payments by card: the expiry against November 2026. */
	        {"payment,R1,1000,EUR,4111111111111111,1228,,,", NULL, NULL},
	        {"payment,R1,1000,EUR,4111 1111 1111 1111,1126,,,manual", NULL, NULL},
	        {"payment,R1,1,EUR,4111111111111111,1228,,,auto", NULL, NULL},
	        {"payment,R1,99999999999,EUR,4111111111111111,1228,,,", NULL, NULL},
	        {"payment,R1,100000000000,EUR,4111111111111111,1228,,,", "amount", "amount"},
	        {"payment,R1,0,EUR,4111111111111111,1228,,,", "amount", "amount"},
	        {"payment,R1,-5,EUR,4111111111111111,1228,,,", "amount", "amount"},
	        {"payment,R1,10.5,EUR,4111111111111111,1228,,,", "amount", "amount"},
	        {"payment,R1,,EUR,4111111111111111,1228,,,", "amount", "amount"},
	        {"payment,R1,1000,XXX,4111111111111111,1228,,,", "currency", "currency"},
	        {"payment,R1,1000,eur,4111111111111111,1228,,,", "currency", "currency"},
	        {"payment,R1,1000,EUR,4111111111111112,1228,,,", "card_number", "card_number"},
	        {"payment,R1,1000,EUR,12345,1228,,,", "card_number", "card_number"},
	        {"payment,R1,1000,EUR,4111111111111111,1026,,,", "card_expired", "card_expiry"},
	        {"payment,R1,1000,EUR,4111111111111111,1326,,,", "card_expiry", "card_expiry"},
	        {"payment,R1,1000,EUR,4111111111111111,,,,", "card_expiry", "card_expiry"},
	        {"payment,R1,1000,EUR,4111111111111111,1228,,,later", "capture", "capture"},
	        {"payment,R1,1000,EUR,,,,,", "card_or_alias", "card_number"},
	        {"payment,R1,1000,EUR,4111111111111111,1228,al_0123456789abcdef0123456789abcdef,,",
	         "card_or_alias", "alias"},
	        {"payment,R1,1000,EUR,4111111111111111,1228,,42,", "column_not_allowed",
	         "transaction_id"},
	        /* By alias. */
	        {"payment,R1,1000,EUR,,,al_0123456789abcdef0123456789abcdef,,", NULL, NULL},
	        {"payment,R1,1000,EUR,,,al_short,,", "alias", "alias"},
	        {"payment,R1,1000,EUR,,1228,al_0123456789abcdef0123456789abcdef,,",
	         "column_not_allowed", "card_expiry"},
	        /* Operations on a transaction. */
	        {"capture,R2,,,,,,17,", NULL, NULL},
	        {"capture,R2,500,,,,,17,", NULL, NULL},
	        {"refund,R3,500,,,,,17,", NULL, NULL},
	        {"refund,R3,,,,,,17,", NULL, NULL},
	        {"cancel,R4,,,,,,17,", NULL, NULL},
	        {"cancel,R4,500,,,,,17,", "column_not_allowed", "amount"},
	        {"capture,R2,,,,,,,", "transaction_id", "transaction_id"},
	        {"capture,R2,,,,,,0,", "transaction_id", "transaction_id"},
	        {"capture,R2,,,,,,x1,", "transaction_id", "transaction_id"},
	        {"refund,R3,0,,,,,17,", "amount", "amount"},
	        {"refund,R3,,EUR,,,,17,", "column_not_allowed", "currency"},
	        {"capture,R2,,,4111111111111111,,,17,", "column_not_allowed", "card_number"},
	        /* The line itself. */
	        {"pay,R1,1000,EUR,4111111111111111,1228,,,", "operation", "operation"},
	        {"Payment,R1,1000,EUR,4111111111111111,1228,,,", "operation", "operation"},
	        {"payment,,1000,EUR,4111111111111111,1228,,,", "reference", "reference"},
	        {"payment,R1,1000,EUR,4111111111111111,1228,,", "columns", ""},
	        {"payment,R1,1000,EUR,4111111111111111,1228,,,,", "columns", ""},
	};
	struct order_row row;
	struct order_line_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int n = split(rows[i].line);
		bool ok = order_row_check(fields, n, false, 2026, 11, &row, &err);

		if (rows[i].code == NULL) {
			if (!ok)
				fail_msg("%s: %s", rows[i].line, err.code);
		} else {
			assert_false(ok);
			assert_string_equal(err.code, rows[i].code);
			assert_string_equal(err.column, rows[i].column);
			assert_true(err.message[0] != '\0');
			assert_string_equal(row.digits, ""); /* wiped */
		}
	}
}

static void
test_row_values(void **state)
{
	struct order_row row;
	struct order_line_error err;

	(void)state;
	assert_true(order_row_check(fields,
	                            split("payment,ORD-9,1234,EUR,5555555555554444,0130,,,manual"),
	                            false, 2026, 11, &row, &err));
	assert_int_equal(row.op, ORDER_PAYMENT);
	assert_string_equal(row.reference, "ORD-9");
	assert_int_equal(row.amount, 1234);
	assert_string_equal(row.currency, "EUR");
	assert_string_equal(row.digits, "5555555555554444");
	assert_int_equal(row.method, METHOD_MASTERCARD);
	assert_string_equal(row.expiry, "0130");
	assert_true(row.capture_manual);
	assert_true(order_row_check(fields, split("refund,ORD-10,250,,,,,987654321,"), false, 2026,
	                            11, &row, &err));
	assert_int_equal(row.op, ORDER_REFUND);
	assert_int_equal(row.txn_id, 987654321);
	assert_int_equal(row.amount, 250);
	assert_string_equal(order_op_name(ORDER_CANCEL), "cancel");
	/* A field longer than the reader keeps: a line error, never a cut reference. */
	assert_false(order_row_check(fields, split("payment,R,1,EUR,4111111111111111,1228,,,"),
	                             true, 2026, 11, &row, &err));
	assert_string_equal(err.code, "reference");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reader),   cmocka_unit_test(test_quoted_values),
	        cmocka_unit_test(test_encoding), cmocka_unit_test(test_header),
	        cmocka_unit_test(test_lines),    cmocka_unit_test(test_row_values),
	};

	return cmocka_run_group_tests_name("order_file", tests, NULL, NULL);
}
