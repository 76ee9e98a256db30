/*
 * ereport.c - the lines of an electronic report (ereport.h, docs/EREPORTING.md).
 */
#include <stdio.h>
#include <string.h>

#include "api/csv.h"
#include "api/ereport.h"

static const char *const structure_names[EREPORT_STRUCTURE__COUNT] = {
        [EREPORT_STANDARD] = "standard",
        [EREPORT_EXTENDED] = "extended",
        [EREPORT_FILE_MANAGEMENT] = "file_management",
        [EREPORT_DYNAMIC] = "dynamic",
};

static const char *const format_names[EREPORT_FORMAT__COUNT] = {
        [EREPORT_DELIMITED] = "delimited",
        [EREPORT_XML] = "xml",
        [EREPORT_FIXED] = "fixed",
};

/* Each fixed structure's columns of the transactions journal (Vision manual §3.4.6: the
 * essentials; Extended adds the card, 3-D Secure and the customer; File management the batch
 * and its bank date). Dynamic has the user's columns instead. */
#define STANDARD_COLUMNS                                                                           \
	"id,created_at,type,status,acquirer_status,amount_initial,currency,order_ref,shop,"        \
	"payment_method"
static const char *const structure_columns[EREPORT_STRUCTURE__COUNT] = {
        [EREPORT_STANDARD] = STANDARD_COLUMNS,
        [EREPORT_EXTENDED] = STANDARD_COLUMNS ",card_masked,card_expiry,card_country,"
                                              "three_d_secure,three_d_secure_authenticated,"
                                              "three_d_secure_guaranteed,email,customer_country",
        [EREPORT_FILE_MANAGEMENT] = STANDARD_COLUMNS ",batch,bank_date",
};

/* The batch-file line reference: "FILE:LINE", the file of payment orders and its line the
 * payment or refund came from (TF_ORDER_LINE), empty for any other (docs/EREPORTING.md). */
#define LINE_REF_KEY   "batch_file_line"
#define LINE_REF_WIDTH 20

/* The fixed-length layout: each column's width in characters and alignment (docs/EREPORTING.md
 * has the same table); a column not listed is 32 wide, on the left. */
static const struct width {
	const char *key;
	int width;
	bool right; /* numbers: on the right */
} widths[] = {
        {"id", 20, true},
        {"created_at", 25, false},
        {"type", 24, false},
        {"status", 24, false},
        {"acquirer_status", 16, false},
        {"amount_initial", 15, true},
        {"amount_current", 15, true},
        {"amount_refunded", 15, true},
        {"currency", 3, false},
        {"order_ref", 64, false},
        {"card_masked", 19, false},
        {"payment_method", 16, false},
        {"email", 64, false},
        {"customer_country", 3, false},
        {"card_country", 3, false},
        {"authorization_number", 12, false},
        {"refusal_reason", 40, false},
        {"card_expiry", 7, false},
        {"three_d_secure", 8, false},
        {"three_d_secure_authenticated", 8, false},
        {"three_d_secure_guaranteed", 8, false},
        {"shop", 40, false},
        {"batch", 10, true},
        {"bank_date", 10, false},
        {"wallet", 16, false},
        {"acquirer", 16, false},
        {"issuer", 32, false},
        {"card_type", 16, false},
        {"capture", 10, false},
        {"parent_id", 20, true},
        {"accepted_at", 25, false},
        {"updated_at", 25, false},
        {"manual", 3, false},
        {"archive_ref", 32, false},
        {"origin", 16, false},
};
#define WIDTHS_N      (sizeof(widths) / sizeof(widths[0]))
#define WIDTH_DEFAULT 32

const char *
ereport_structure_name(int s)
{
	return s >= 0 && s < EREPORT_STRUCTURE__COUNT ? structure_names[s] : NULL;
}

const char *
ereport_format_name(int f)
{
	return f >= 0 && f < EREPORT_FORMAT__COUNT ? format_names[f] : NULL;
}

int
ereport_structure_parse(const char *name)
{
	for (int i = 0; name != NULL && i < EREPORT_STRUCTURE__COUNT; i++)
		if (strcmp(name, structure_names[i]) == 0)
			return i;
	return -1;
}

int
ereport_format_parse(const char *name)
{
	for (int i = 0; name != NULL && i < EREPORT_FORMAT__COUNT; i++)
		if (strcmp(name, format_names[i]) == 0)
			return i;
	return -1;
}

static const struct width *
width_of(const char *key)
{
	for (size_t i = 0; i < WIDTHS_N; i++)
		if (strcmp(widths[i].key, key) == 0)
			return &widths[i];
	return NULL;
}

/* One stored name: its index, or dflt when unset or no longer known. */
static int
load_one(struct store *st, int64_t brand_id, int64_t user_id, const char *pref,
         int (*parse)(const char *), int dflt, int *out)
{
	char text[32];
	int rc = st->ops->pref_get(st, brand_id, user_id, pref, text, sizeof(text));
	int v = rc == ST_OK ? parse(text) : -1;

	*out = v < 0 ? dflt : v;
	return rc == ST_OK || rc == ST_NOTFOUND || rc == ST_TOOBIG ? ST_OK : rc;
}

int
ereport_load(struct store *st, int64_t brand_id, int64_t user_id, struct ereport *out)
{
	int s, f, rc;

	memset(out, 0, sizeof(*out));
	rc = load_one(st, brand_id, user_id, EREPORT_PREF_STRUCTURE, ereport_structure_parse,
	              EREPORT_STANDARD, &s);
	if (rc == ST_OK)
		rc = load_one(st, brand_id, user_id, EREPORT_PREF_FORMAT, ereport_format_parse,
		              EREPORT_DELIMITED, &f);
	if (rc != ST_OK)
		return rc;
	out->structure = (enum ereport_structure)s;
	out->format = (enum ereport_format)f;
	out->line_ref = s == EREPORT_FILE_MANAGEMENT;
	/* The fixed lists parse (test_ereport.py downloads each): the default is never taken. */
	if (s == EREPORT_DYNAMIC)
		rc = prefs_columns(st, brand_id, user_id, JOURNAL_TRANSACTIONS, &out->cols);
	else if (columns_parse(JOURNAL_TRANSACTIONS, structure_columns[s], &out->cols) != 0)
		columns_default(JOURNAL_TRANSACTIONS, &out->cols);
	for (int k = 0; k < out->cols.n; k++) {
		const struct width *w = width_of(column_key(JOURNAL_TRANSACTIONS, out->cols.v[k]));

		out->width[k] = (unsigned char)(w ? w->width : WIDTH_DEFAULT);
		out->right[k] = w ? w->right : false;
	}
	out->width[out->cols.n] = LINE_REF_WIDTH;
	out->right[out->cols.n] = false;
	return rc;
}

const char *
ereport_content_type(enum ereport_format f)
{
	switch (f) {
	case EREPORT_XML:
		return "application/xml; charset=utf-8";
	case EREPORT_FIXED:
		return "text/plain; charset=utf-8";
	default:
		return "text/csv; charset=utf-8";
	}
}

const char *
ereport_extension(enum ereport_format f)
{
	return f == EREPORT_XML ? "xml" : f == EREPORT_FIXED ? "txt" : "csv";
}

/* The key of the k-th value of a row. */
static const char *
value_key(const struct ereport *e, int k)
{
	return k < e->cols.n ? column_key(JOURNAL_TRANSACTIONS, e->cols.v[k]) : LINE_REF_KEY;
}

void
ereport_begin(struct buf *b, const struct ereport *e)
{
	int n = e->cols.n + (e->line_ref ? 1 : 0);

	switch (e->format) {
	case EREPORT_XML:
		buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ereport structure=\"");
		buf_adds(b, structure_names[e->structure]);
		buf_adds(b, "\">\n");
		break;
	case EREPORT_FIXED:
		break; /* no header line: the layout is the documented one */
	default:
		for (int k = 0; k < n; k++)
			csv_field(b, value_key(e, k), k == 0);
		csv_end(b);
		break;
	}
}

void
ereport_end(struct buf *b, const struct ereport *e)
{
	if (e->format == EREPORT_XML)
		buf_adds(b, "</ereport>\n");
}

void
ereport_row_begin(struct buf *b, const struct ereport *e)
{
	if (e->format == EREPORT_XML)
		buf_adds(b, "<transaction>");
}

/* n spaces, in spans of at most SPACES_N. */
#define SPACES_N 64
static void
pad(struct buf *b, int n)
{
	static const char spaces[SPACES_N + 1] =
	        "                                                                ";

	for (; n > 0; n -= SPACES_N)
		buf_add(b, spaces, n < SPACES_N ? (size_t)n : SPACES_N);
}

/* A fixed-length field: width characters (UTF-8 code points), padded with spaces on the
 * right (text) or the left (numbers); a longer value is cut to its first width characters,
 * so that the columns never shift; a control character (tab, CR, LF, and the vertical tab or
 * form feed some readers also break lines at) becomes a space, as the line must stay one. */
static void
fixed_field(struct buf *b, const char *v, int width, bool right)
{
	int chars = 0;
	size_t len = 0;

	while (v[len] != '\0' && chars < width) {
		size_t step = 1;

		while ((v[len + step] & 0xC0) == 0x80)
			step++;
		len += step;
		chars++;
	}
	if (right)
		pad(b, width - chars);
	/* The value in spans between its control characters (a byte each, never inside a UTF-8
	 * sequence), each added whole rather than byte by byte (docs/PERFORMANCE.md). */
	for (size_t i = 0; i < len;) {
		size_t span = 0;

		while (i + span < len && (unsigned char)v[i + span] >= 0x20)
			span++;
		buf_add(b, v + i, span);
		i += span;
		if (i < len) {
			buf_add(b, " ", 1);
			i++;
		}
	}
	if (!right)
		pad(b, width - chars);
}

void
ereport_value(struct buf *b, const struct ereport *e, int k, const char *value)
{
	const char *key;

	switch (e->format) {
	case EREPORT_XML:
		key = value_key(e, k);
		buf_add(b, "<", 1);
		buf_adds(b, key);
		buf_add(b, ">", 1);
		buf_add_markup(b, value);
		buf_add(b, "</", 2);
		buf_adds(b, key);
		buf_add(b, ">", 1);
		break;
	case EREPORT_FIXED:
		fixed_field(b, value, e->width[k], e->right[k]);
		break;
	default:
		csv_field(b, value, k == 0);
		break;
	}
}

void
ereport_row_end(struct buf *b, const struct ereport *e)
{
	if (e->format == EREPORT_XML)
		buf_adds(b, "</transaction>\n");
	else
		csv_end(b);
}
