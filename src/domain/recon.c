/*
 * recon.c - the acquirer's return file (recon.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/calendar.h"
#include "domain/money.h"
#include "domain/recon.h"

#define FIELDS_MAX 12

static void
error_add(struct recon_file *f, int lineno, const char *fmt, ...)
{
	va_list ap;

	if (f->nerrors == RECON_ERRORS_MAX) {
		f->errors_more++;
		return;
	}
	f->errors[f->nerrors].lineno = lineno;
	va_start(ap, fmt);
	vsnprintf(f->errors[f->nerrors].text, RECON_ERROR_TEXT, fmt, ap);
	va_end(ap);
	f->nerrors++;
}

/* Splits line (NUL-terminated, changed) at ';' into v; the count of fields, or FIELDS_MAX + 1
 * when there are more. */
static int
split(char *line, char **v)
{
	int n = 0;

	for (char *p = line;; p++) {
		if (n == FIELDS_MAX)
			return FIELDS_MAX + 1;
		v[n++] = p;
		p = strchr(p, ';');
		if (p == NULL)
			return n;
		*p = '\0';
	}
}

/* A whole number of 1 to 18 digits (no sign, no leading '+'). */
static bool
number(const char *s, int64_t *out)
{
	size_t len = strlen(s);
	int64_t v = 0;

	if (len == 0 || len > 18 || strspn(s, "0123456789") != len)
		return false;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	*out = v;
	return true;
}

static bool
digits(const char *s, size_t min, size_t max)
{
	size_t len = strlen(s);

	return len >= min && len <= max && strspn(s, "0123456789") == len;
}

static bool
currency(const char *s)
{
	return strlen(s) == 3 && money_currency_find(s) != NULL;
}

static void
header_read(struct recon_file *f, int lineno, char **v, int n)
{
	struct recon_header *h = &f->h;

	if (n != 10) {
		error_add(f, lineno, "the header has %d fields, not 10", n);
		return;
	}
	if (strcmp(v[1], RECON_FORMAT) != 0)
		error_add(f, lineno, "the format is \"%.16s\", not " RECON_FORMAT, v[1]);
	/* A test environment's account is its brand's twin, a negative id (docs/ENVIRONMENTS.md). */
	if (!number(v[2] + (v[2][0] == '-'), &h->brand_id) || h->brand_id == 0)
		error_add(f, lineno, "the account (field 3) is not a number");
	else if (v[2][0] == '-')
		h->brand_id = -h->brand_id;
	if (!digits(v[3], 1, 20))
		error_add(f, lineno, "the contract (field 4) is not 1 to 20 digits");
	else
		snprintf(h->contract_number, sizeof(h->contract_number), "%s", v[3]);
	if (!digits(v[4], 3, 3))
		error_add(f, lineno, "the rang (field 5) is not 3 digits");
	else
		snprintf(h->rang, sizeof(h->rang), "%s", v[4]);
	if (!number(v[5], &h->batch_number) || h->batch_number == 0)
		error_add(f, lineno, "the batch number (field 6) is not a number");
	if (!number(v[6], &h->jrb_number) || h->jrb_number == 0)
		error_add(f, lineno, "the JRB number (field 7) is not a number");
	if (cal_date_parse(v[7], &h->bank_day) != 0)
		error_add(f, lineno, "the bank date (field 8) is not a date YYYY-MM-DD");
	if (cal_date_parse(v[8], &h->value_day) != 0)
		error_add(f, lineno, "the value date (field 9) is not a date YYYY-MM-DD");
	if (!currency(v[9]))
		error_add(f, lineno, "the currency (field 10) is not an ISO 4217 code");
	else
		snprintf(h->currency, sizeof(h->currency), "%s", v[9]);
}

static bool
lines_grow(struct recon_file *f, size_t *cap)
{
	struct recon_line *v;

	if (f->n < *cap)
		return true;
	*cap = *cap ? 2 * *cap : 256;
	v = realloc(f->lines, *cap * sizeof(*v));
	if (v == NULL)
		return false;
	f->lines = v;
	return true;
}

static void
line_read(struct recon_file *f, int lineno, char **v, int n, size_t *cap)
{
	struct recon_line l = {.lineno = lineno};
	int before = f->nerrors + f->errors_more;

	if (n != 8) {
		error_add(f, lineno, "a line has %d fields, not 8", n);
		return;
	}
	if (!number(v[1], &l.txn_id) || l.txn_id == 0)
		error_add(f, lineno, "the transaction (field 2) is not a number");
	if (strcmp(v[2], "DEBIT") == 0 || strcmp(v[2], "CREDIT") == 0)
		l.credit = v[2][0] == 'C';
	else
		error_add(f, lineno, "the type (field 3) is neither DEBIT nor CREDIT");
	if (!number(v[3], &l.amount))
		error_add(f, lineno, "the amount (field 4) is not a number of minor units");
	if (!number(v[4], &l.commission))
		error_add(f, lineno, "the commission (field 5) is not a number of minor units");
	if (!number(v[5], &l.net))
		error_add(f, lineno, "the net amount (field 6) is not a number of minor units");
	else if (l.net != l.amount - l.commission)
		error_add(f, lineno, "the net amount is not the amount less the commission");
	if (!currency(v[6]))
		error_add(f, lineno, "the currency (field 7) is not an ISO 4217 code");
	else
		snprintf(l.currency, sizeof(l.currency), "%s", v[6]);
	if (strlen(v[7]) > 6)
		error_add(f, lineno, "the authorization number (field 8) is longer than 6");
	else
		snprintf(l.auth, sizeof(l.auth), "%s", v[7]);
	if (f->nerrors + f->errors_more != before)
		return;
	if (!lines_grow(f, cap)) {
		error_add(f, lineno, "out of memory");
		return;
	}
	f->lines[f->n++] = l;
}

static void
trailer_read(struct recon_file *f, int lineno, char **v, int n)
{
	int64_t count, amount, commission, net, sa = 0, sc = 0, sn = 0;

	if (n != 5) {
		error_add(f, lineno, "the trailer has %d fields, not 5", n);
		return;
	}
	if (!number(v[1], &count) || !number(v[2], &amount) || !number(v[3], &commission) ||
	    !number(v[4], &net)) {
		error_add(f, lineno, "the trailer's counts are not numbers");
		return;
	}
	for (size_t i = 0; i < f->n; i++) {
		sa += f->lines[i].amount;
		sc += f->lines[i].commission;
		sn += f->lines[i].net;
	}
	if (f->nerrors > 0)
		return; /* the sums of lines refused mean nothing */
	if (count != (int64_t)f->n)
		error_add(f, lineno, "the trailer counts %" PRId64 " lines, the file has %zu",
		          count, f->n);
	if (amount != sa || commission != sc || net != sn)
		error_add(f, lineno, "the trailer's totals are not the sums of the lines");
}

static bool
printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static int
by_txn(const void *a, const void *b)
{
	const struct recon_line *x = *(const struct recon_line *const *)a;
	const struct recon_line *y = *(const struct recon_line *const *)b;

	if (x->txn_id != y->txn_id)
		return x->txn_id < y->txn_id ? -1 : 1;
	return x->lineno - y->lineno;
}

/* A transaction on two lines: an error on the second. */
static void
duplicates_find(struct recon_file *f)
{
	const struct recon_line **v = malloc((f->n + 1) * sizeof(*v));

	if (v == NULL) {
		error_add(f, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < f->n; i++)
		v[i] = &f->lines[i];
	qsort(v, f->n, sizeof(*v), by_txn);
	for (size_t i = 1; i < f->n; i++)
		if (v[i]->txn_id == v[i - 1]->txn_id)
			error_add(f, v[i]->lineno, "transaction %" PRId64 " is on line %d already",
			          v[i]->txn_id, v[i - 1]->lineno);
	free(v);
}

int
recon_parse(const char *data, size_t len, struct recon_file *f)
{
	size_t cap = 0, pos = 0;
	int lineno = 0;
	bool header = false, trailer = false;

	memset(f, 0, sizeof(*f));
	if (len > RECON_FILE_MAX)
		error_add(f, 0, "the file is larger than %d bytes", RECON_FILE_MAX);
	else if (len == 0)
		error_add(f, 0, "the file is empty");
	else if (memchr(data, '\0', len) != NULL)
		error_add(f, 0, "the file is not text (a NUL byte)");
	if (f->nerrors > 0)
		pos = len;
	while (pos < len) {
		char line[RECON_LINE_MAX + 2], *v[FIELDS_MAX] = {0};
		const char *end = memchr(data + pos, '\n', len - pos);
		size_t n = end != NULL ? (size_t)(end - (data + pos)) : len - pos;
		int nf;

		lineno++;
		if (n > 0 && data[pos + n - 1] == '\r')
			n--;
		if (n > RECON_LINE_MAX) {
			error_add(f, lineno, "the line is longer than %d bytes", RECON_LINE_MAX);
			pos += (end != NULL ? (size_t)(end - (data + pos)) + 1 : len - pos);
			continue;
		}
		memcpy(line, data + pos, n);
		line[n] = '\0';
		pos += (end != NULL ? (size_t)(end - (data + pos)) + 1 : len - pos);
		if (!printable(line, n)) {
			error_add(f, lineno, "a byte that is not printable ASCII");
			continue;
		}
		nf = split(line, v);
		if (trailer) {
			error_add(f, lineno, "a line after the trailer");
		} else if (!header) {
			header = true;
			if (strcmp(v[0], "H") != 0)
				error_add(f, lineno, "the first line is not the header (H)");
			else
				header_read(f, lineno, v, nf);
		} else if (strcmp(v[0], "L") == 0) {
			line_read(f, lineno, v, nf, &cap);
		} else if (strcmp(v[0], "Z") == 0) {
			trailer = true;
			trailer_read(f, lineno, v, nf);
		} else {
			error_add(f, lineno, "a line of unknown kind \"%.8s\" (H, L or Z)", v[0]);
		}
	}
	/* Each line's currency is the file's. */
	for (size_t i = 0; header && f->h.currency[0] && i < f->n; i++)
		if (strcmp(f->lines[i].currency, f->h.currency) != 0)
			error_add(f, f->lines[i].lineno, "the currency is not the header's %s",
			          f->h.currency);
	if (f->nerrors == 0 && !trailer)
		error_add(f, lineno, "the file ends without its trailer (Z)");
	if (f->nerrors == 0)
		duplicates_find(f);
	if (f->nerrors + f->errors_more == 0)
		return 0;
	free(f->lines);
	f->lines = NULL;
	f->n = 0;
	return -1;
}

void
recon_file_free(struct recon_file *f)
{
	free(f->lines);
	f->lines = NULL;
	f->n = 0;
}

static const char *const kind_names[] = {"matched", "amount", "unknown", "missing"};

const char *
recon_kind_name(enum recon_kind k)
{
	return (unsigned)k < 4 ? kind_names[k] : "?";
}

int
recon_kind_parse(const char *s)
{
	for (int i = RECON_AMOUNT; i <= RECON_MISSING; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return i;
	return -1;
}

enum recon_kind
recon_match(const struct recon_line *l, bool found, bool credit, int64_t amount,
            const char *currency)
{
	if (!found)
		return RECON_UNKNOWN;
	if (l->credit != credit || l->amount != amount || strcmp(l->currency, currency) != 0)
		return RECON_AMOUNT;
	return RECON_MATCHED;
}

int64_t
recon_overdue_cutoff(int64_t now)
{
	return now - (int64_t)RECON_OVERDUE_DAYS * 24 * 3600 * CAL_US_PER_S - 1;
}

bool
recon_overdue(int64_t sent_at, int64_t now)
{
	return sent_at <= recon_overdue_cutoff(now);
}

int64_t
recon_commission(int64_t amount, bool credit, int bps)
{
	return credit ? 0 : amount * bps / 10000;
}

static int
written(int n, size_t cap)
{
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
recon_header_write(const struct recon_header *h, char *out, size_t cap)
{
	char bank[11], value[11];

	cal_date_format(h->bank_day, bank);
	cal_date_format(h->value_day, value);
	return written(snprintf(out, cap,
	                        "H;" RECON_FORMAT ";%" PRId64 ";%s;%s;%" PRId64 ";%" PRId64
	                        ";%s;%s;%s\n",
	                        h->brand_id, h->contract_number, h->rang, h->batch_number,
	                        h->jrb_number, bank, value, h->currency),
	               cap);
}

int
recon_line_write(const struct recon_line *l, char *out, size_t cap)
{
	return written(snprintf(out, cap,
	                        "L;%" PRId64 ";%s;%" PRId64 ";%" PRId64 ";%" PRId64 ";%s;%s\n",
	                        l->txn_id, l->credit ? "CREDIT" : "DEBIT", l->amount, l->commission,
	                        l->net, l->currency, l->auth),
	               cap);
}

int
recon_trailer_write(int64_t lines, int64_t amount, int64_t commission, int64_t net, char *out,
                    size_t cap)
{
	return written(snprintf(out, cap, "Z;%" PRId64 ";%" PRId64 ";%" PRId64 ";%" PRId64 "\n",
	                        lines, amount, commission, net),
	               cap);
}
