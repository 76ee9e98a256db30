/*
 * order_file.c - the delimited format of a file of payment orders (order_file.h).
 */
#include <stdio.h>
#include <string.h>

#include "domain/money.h"
#include "domain/order_file.h"

static const char *const op_names[ORDER__COUNT] = {
        [ORDER_PAYMENT] = "payment",
        [ORDER_CAPTURE] = "capture",
        [ORDER_REFUND] = "refund",
        [ORDER_CANCEL] = "cancel",
};

static const char *const header_columns[ORDER_FILE_COLUMNS] = {
        "operation",   "reference", "amount",         "currency", "card_number",
        "card_expiry", "alias",     "transaction_id", "capture",
};

enum {
	COL_OP,
	COL_REF,
	COL_AMOUNT,
	COL_CURRENCY,
	COL_CARD,
	COL_EXPIRY,
	COL_ALIAS,
	COL_TXN,
	COL_CAPTURE
};

const char *
order_op_name(enum order_op op)
{
	return op >= 0 && op < ORDER__COUNT ? op_names[op] : "";
}

const char *
order_file_fault_code(enum order_file_fault f)
{
	switch (f) {
	case ORDER_FILE_ENCODING:
		return "encoding";
	case ORDER_FILE_QUOTING:
		return "quoting";
	case ORDER_FILE_HEADER_WRONG:
		return "header";
	case ORDER_FILE_EMPTY:
		return "empty";
	case ORDER_FILE_TOO_MANY:
		return "too_many_lines";
	default:
		return "";
	}
}

static size_t
bom_len(const char *text, size_t len)
{
	return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* The length (1..4) of the well-formed UTF-8 sequence at s (n bytes left), 0 when it is none:
 * overlong, a surrogate, above U+10FFFF, cut short, a stray continuation byte. The domain
 * links nothing but libc: common/text.c's reader is not at hand. */
static size_t
utf8_next(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0xC2 || s[0] > 0xF4)
		return 0;
	len = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return len;
}

/* No control character (C0, DEL): a reference is shown and exported as it is. */
static bool
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return false;
	return true;
}

enum order_file_fault
order_file_encoding(const char *text, size_t len, int64_t *line)
{
	size_t i = bom_len(text, len), k;

	*line = 1;
	while (i < len) {
		if ((unsigned char)text[i] < 0x80) {
			if (text[i] == '\0')
				return ORDER_FILE_ENCODING;
			if (text[i] == '\n')
				++*line;
			i++;
			continue;
		}
		if ((k = utf8_next((const unsigned char *)text + i, len - i)) == 0)
			return ORDER_FILE_ENCODING;
		i += k;
	}
	return ORDER_FILE_OK;
}

void
order_reader_init(struct order_reader *rd, const char *text, size_t len)
{
	size_t b = bom_len(text, len);

	rd->p = text + b;
	rd->end = text + len;
	rd->line = 1;
}

/* Appends c to field f (length *flen), or marks it too long. */
static void
put(char *f, size_t *flen, char c, bool *too_long)
{
	if (*flen < ORDER_FIELD_MAX)
		f[(*flen)++] = c;
	else
		*too_long = true;
}

int
order_reader_next(struct order_reader *rd, char fields[][ORDER_FIELD_MAX + 1], int *n,
                  bool *too_long, int64_t *line)
{
	const char *p = rd->p, *end = rd->end;
	char extra[ORDER_FIELD_MAX + 1]; /* a field past the columns: counted, not kept */
	size_t flen = 0;
	char *f;

	/* Blank lines (an empty line, a last line's end) are no record. */
	while (p < end && (*p == '\n' || *p == '\r')) {
		if (*p == '\n')
			rd->line++;
		p++;
	}
	if (p >= end) {
		rd->p = p;
		return 0;
	}
	*line = rd->line;
	*n = 1;
	*too_long = false;
	f = fields[0];
	for (;;) {
		if (p < end && *p == '"' && flen == 0) {
			/* A quoted field: to its closing quote, "" being a quote. */
			p++;
			for (;;) {
				if (p >= end)
					return -1; /* never closed: *line, where it opened */
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						put(f, &flen, '"', too_long);
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\n')
					rd->line++;
				put(f, &flen, *p++, too_long);
			}
			/* After the closing quote: the separator or the line's end only. */
			if (p < end && *p != ',' && *p != '\n' &&
			    !(*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
				*line = rd->line;
				return -1;
			}
		}
		while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
			if (*p == '"') {
				*line = rd->line;
				return -1; /* a quote inside an unquoted field */
			}
			put(f, &flen, *p++, too_long);
		}
		if (p < end && *p == '\r' && p + 1 < end && p[1] != '\n') {
			*line = rd->line;
			return -1; /* a lone CR */
		}
		f[flen] = '\0';
		if (p < end && *p == ',') {
			p++;
			++*n;
			flen = 0;
			f = *n <= ORDER_FILE_COLUMNS ? fields[*n - 1] : extra;
			continue;
		}
		break;
	}
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n') {
		p++;
		rd->line++;
	}
	rd->p = p;
	return 1;
}

bool
order_header_valid(char fields[][ORDER_FIELD_MAX + 1], int n)
{
	if (n != ORDER_FILE_COLUMNS)
		return false;
	for (int i = 0; i < ORDER_FILE_COLUMNS; i++)
		if (strcmp(fields[i], header_columns[i]) != 0)
			return false;
	return true;
}

static bool
fail(struct order_line_error *err, const char *code, const char *column, const char *message)
{
	err->code = code;
	err->column = column;
	err->message = message;
	return false;
}

/* A count of minor units, 1 to LIMIT_AMOUNT, digits only. */
static bool
amount_parse(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (s[0] == '\0' || strlen(s) > 11 || strspn(s, "0123456789") != strlen(s))
		return false;
	for (; *s; s++)
		v = v * 10 + (*s - '0');
	*out = v;
	return money_amount_valid(v);
}

/* A transaction id: 1 to 18 digits, not 0. */
static bool
id_parse(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (s[0] == '\0' || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
		return false;
	for (; *s; s++)
		v = v * 10 + (*s - '0');
	*out = v;
	return v > 0;
}

/* The columns an operation takes besides operation and reference: what must be empty. */
static bool
only(char fields[][ORDER_FIELD_MAX + 1], const bool *allowed, struct order_line_error *err)
{
	for (int i = COL_AMOUNT; i < ORDER_FILE_COLUMNS; i++)
		if (!allowed[i] && fields[i][0] != '\0')
			return fail(err, "column_not_allowed", header_columns[i],
			            "This column must be empty for this operation.");
	return true;
}

static bool
card_check(char fields[][ORDER_FIELD_MAX + 1], int y, int m, struct order_row *row,
           struct order_line_error *err)
{
	if (card_number_normalize(fields[COL_CARD], row->digits) != 0)
		return fail(err, "card_number", "card_number",
		            "The card number must have 12 to 19 digits.");
	if (!card_luhn_valid(row->digits))
		return fail(err, "card_number", "card_number",
		            "The card number is not valid: a digit is wrong (Luhn check).");
	if ((row->method = card_method_detect(row->digits)) == METHOD_NONE)
		return fail(err, "card_number", "card_number",
		            "The card number's prefix and length are of no known card.");
	if (strlen(fields[COL_EXPIRY]) != 4 ||
	    card_expiry_parse(fields[COL_EXPIRY], &row->expiry_month, &row->expiry_year) != 0)
		return fail(err, "card_expiry", "card_expiry", "The card's expiry must be MMYY.");
	if (card_expired(row->expiry_month, row->expiry_year, y, m))
		return fail(err, "card_expired", "card_expiry", "The card has expired.");
	memcpy(row->expiry, fields[COL_EXPIRY], sizeof(row->expiry));
	return true;
}

static bool
payment_check(char fields[][ORDER_FIELD_MAX + 1], int y, int m, struct order_row *row,
              struct order_line_error *err)
{
	static const bool card_cols[ORDER_FILE_COLUMNS] = {[COL_AMOUNT] = true,
	                                                   [COL_CURRENCY] = true,
	                                                   [COL_CARD] = true,
	                                                   [COL_EXPIRY] = true,
	                                                   [COL_CAPTURE] = true};
	static const bool alias_cols[ORDER_FILE_COLUMNS] = {[COL_AMOUNT] = true,
	                                                    [COL_CURRENCY] = true,
	                                                    [COL_ALIAS] = true,
	                                                    [COL_CAPTURE] = true};
	const char *capture = fields[COL_CAPTURE];
	bool by_alias = fields[COL_ALIAS][0] != '\0';

	if (!amount_parse(fields[COL_AMOUNT], &row->amount))
		return fail(err, "amount", "amount",
		            "The amount is an integer count of minor units, 1 to 99999999999.");
	if (strlen(fields[COL_CURRENCY]) != 3 || money_currency_find(fields[COL_CURRENCY]) == NULL)
		return fail(err, "currency", "currency",
		            "The currency is a supported ISO 4217 code, e.g. EUR.");
	memcpy(row->currency, fields[COL_CURRENCY], 4);
	if (strcmp(capture, "") != 0 && strcmp(capture, "auto") != 0 &&
	    strcmp(capture, "manual") != 0)
		return fail(err, "capture", "capture", "capture is auto (or empty) or manual.");
	row->capture_manual = strcmp(capture, "manual") == 0;
	if (by_alias && fields[COL_CARD][0] != '\0')
		return fail(err, "card_or_alias", "alias",
		            "Give a card number or an alias, not both.");
	if (!by_alias && fields[COL_CARD][0] == '\0')
		return fail(err, "card_or_alias", "card_number",
		            "A payment needs a card number and expiry, or an alias.");
	if (!only(fields, by_alias ? alias_cols : card_cols, err))
		return false;
	if (by_alias) {
		if (strlen(fields[COL_ALIAS]) != ALIAS_LEN ||
		    strncmp(fields[COL_ALIAS], "al_", 3) != 0)
			return fail(err, "alias", "alias", "The alias is a card alias (al_…).");
		memcpy(row->alias, fields[COL_ALIAS], sizeof(row->alias));
		return true;
	}
	return card_check(fields, y, m, row, err);
}

bool
order_row_check(char fields[][ORDER_FIELD_MAX + 1], int n, bool too_long, int y, int m,
                struct order_row *row, struct order_line_error *err)
{
	static const bool amount_cols[ORDER_FILE_COLUMNS] = {[COL_AMOUNT] = true, [COL_TXN] = true};
	static const bool txn_cols[ORDER_FILE_COLUMNS] = {[COL_TXN] = true};
	bool ok;
	int op;

	memset(row, 0, sizeof(*row));
	if (n != ORDER_FILE_COLUMNS)
		return fail(err, "columns", "", "A line has 9 columns, as the header line.");
	for (op = 0; op < ORDER__COUNT; op++)
		if (strcmp(fields[COL_OP], op_names[op]) == 0)
			break;
	if (op == ORDER__COUNT)
		return fail(err, "operation", "operation",
		            "The operation is payment, capture, refund or cancel.");
	row->op = (enum order_op)op;
	if (fields[COL_REF][0] == '\0' || strlen(fields[COL_REF]) > TXN_ORDER_REF_MAX || too_long ||
	    !printable(fields[COL_REF]))
		return fail(
		        err, "reference", "reference",
		        "The reference is required: 1 to 250 bytes of text, unique in the file.");
	memcpy(row->reference, fields[COL_REF], strlen(fields[COL_REF]) + 1);
	if (row->op == ORDER_PAYMENT) {
		ok = payment_check(fields, y, m, row, err);
		if (!ok)
			memset(row->digits, 0, sizeof(row->digits));
		return ok;
	}
	if (!only(fields, row->op == ORDER_CANCEL ? txn_cols : amount_cols, err))
		return false;
	if (!id_parse(fields[COL_TXN], &row->txn_id))
		return fail(err, "transaction_id", "transaction_id",
		            "The transaction to act on: its id, digits.");
	if (row->op != ORDER_CANCEL && fields[COL_AMOUNT][0] != '\0' &&
	    !amount_parse(fields[COL_AMOUNT], &row->amount))
		return fail(err, "amount", "amount",
		            "The amount is empty (the whole) or an integer count of minor units, 1 "
		            "to 99999999999.");
	return true;
}
