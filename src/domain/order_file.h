/*
 * order_file.h - the delimited format of a file of payment orders (issue 15, "Batch files of
 * payment orders"; docs/ORDER-FILES.md): the reader of its records (RFC 4180 as the CSV
 * export writes it: comma separator, fields quoted with '"' when they need it, a quote inside
 * written twice, lines ended by CRLF or LF), the header line, and the check of one line's
 * fields into an order. Pure computation on the file's bytes: no store, no keys.
 *
 * A file that cannot be read as a whole (not UTF-8, a NUL byte, a quote left open, the header
 * line not ours, no line, too many) is malformed: refused whole. A line whose fields are
 * wrong (an unknown operation, an amount that is no amount, a card number that fails Luhn,
 * the wrong count of fields …) is a line error: that line is refused with its reason, the
 * others go on.
 */
#ifndef GUICHET_ORDER_FILE_H
#define GUICHET_ORDER_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/card.h"
#include "domain/recurring.h"
#include "domain/txn.h"

/* The header line, its columns in this order (docs/ORDER-FILES.md). */
#define ORDER_FILE_HEADER                                                                          \
	"operation,reference,amount,currency,card_number,card_expiry,alias,transaction_id,"        \
	"capture"
#define ORDER_FILE_COLUMNS   9
#define ORDER_FILE_LINES_MAX 200000 /* order lines in a file, the header not counted */
#define ORDER_FIELD_MAX      255    /* bytes of a field; a longer one is a line error */
#define ORDER_FILE_NAME_MAX  100    /* bytes of a file's name as given */

enum order_op { ORDER_PAYMENT, ORDER_CAPTURE, ORDER_REFUND, ORDER_CANCEL, ORDER__COUNT };

/* "payment", "capture", "refund", "cancel". Static. */
const char *order_op_name(enum order_op op);

/* One line's order, checked for form. */
struct order_row {
	enum order_op op;
	char reference[TXN_ORDER_REF_MAX + 1];
	int64_t amount; /* 0: none (a capture or refund of the whole) */
	char currency[4];
	char digits[CARD_DIGITS_MAX + 1]; /* a payment by card; wiped by the caller */
	char expiry[5];                   /* MMYY */
	int expiry_month, expiry_year;
	enum card_method method;
	char alias[ALIAS_LEN + 1]; /* a payment by alias */
	int64_t txn_id;            /* capture, refund, cancel: the transaction */
	bool capture_manual;
};

/* The reader of a file's records, over the caller's bytes. */
struct order_reader {
	const char *p, *end;
	int64_t line; /* the physical line the next record starts on, from 1 */
};

/* What is wrong with a file as a whole: ORDER_FILE_OK, or why it is refused. */
enum order_file_fault {
	ORDER_FILE_OK = 0,
	ORDER_FILE_ENCODING, /* not UTF-8, or a NUL byte */
	ORDER_FILE_QUOTING,  /* a quote left open, or a stray quote in a field */
	ORDER_FILE_HEADER_WRONG,
	ORDER_FILE_EMPTY,    /* no order line */
	ORDER_FILE_TOO_MANY, /* more than ORDER_FILE_LINES_MAX */
};

/* "encoding", "quoting", "header", "empty", "too_many_lines". Static. */
const char *order_file_fault_code(enum order_file_fault f);

/* Checks the whole file's encoding: ORDER_FILE_OK, or ORDER_FILE_ENCODING with the line of
 * the first bad byte in *line. A UTF-8 byte order mark at its start is allowed. */
enum order_file_fault order_file_encoding(const char *text, size_t len, int64_t *line);

/* Starts reading text (len bytes), past a byte order mark. */
void order_reader_init(struct order_reader *rd, const char *text, size_t len);

/* Reads the next record's fields into fields (each ORDER_FIELD_MAX + 1 bytes, NUL-terminated,
 * at most ORDER_FILE_COLUMNS of them; the count in *n, more than ORDER_FILE_COLUMNS when there
 * were more, those not kept) and its first line into *line. A field longer than
 * ORDER_FIELD_MAX is cut and *too_long set. Blank lines are skipped. Returns 1 for a record,
 * 0 at the end, or -1 for a quoting fault (*line: where). */
int order_reader_next(struct order_reader *rd, char fields[][ORDER_FIELD_MAX + 1], int *n,
                      bool *too_long, int64_t *line);

/* Checks the header record: true when it is ORDER_FILE_HEADER's columns. */
bool order_header_valid(char fields[][ORDER_FIELD_MAX + 1], int n);

/* A line error: its code (docs/ORDER-FILES.md), the column it is about ("" for the line), and
 * a sentence for the merchant. */
struct order_line_error {
	const char *code, *column, *message;
};

/* Checks one record's n fields into *row. Returns true when it is an order; else false with
 * *err (row's digits wiped). Expiry is checked against the civil month (year y, month m). */
bool order_row_check(char fields[][ORDER_FIELD_MAX + 1], int n, bool too_long, int y, int m,
                     struct order_row *row, struct order_line_error *err);

#endif
