/*
 * money.c - the currencies Guichet accepts (ISO 4217) and plain decimal rendering.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "domain/money.h"

static const struct currency currencies[] = {
        {"CAD", 124, 2}, {"CHF", 756, 2}, {"CZK", 203, 2}, {"DKK", 208, 2}, {"EUR", 978, 2},
        {"GBP", 826, 2}, {"JPY", 392, 0}, {"KWD", 414, 3}, {"NOK", 578, 2}, {"PLN", 985, 2},
        {"SEK", 752, 2}, {"USD", 840, 2}, {"XPF", 953, 0},
};

const struct currency *
money_currency_find(const char *code)
{
	if (code == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
		if (strcmp(currencies[i].code, code) == 0)
			return &currencies[i];
	return NULL;
}

const struct currency *
money_currency_find_numeric(int numeric)
{
	for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
		if (currencies[i].numeric == numeric)
			return &currencies[i];
	return NULL;
}

bool
money_amount_valid(int64_t amount)
{
	return amount >= 1 && amount <= MONEY_AMOUNT_MAX;
}

int
money_format_plain(int64_t amount, const struct currency *cur, char *out, size_t cap)
{
	/* Work on the magnitude as unsigned: INT64_MIN has no positive int64. */
	uint64_t mag = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;
	uint64_t scale = 1;
	int n;

	for (int i = 0; i < cur->exponent; i++)
		scale *= 10;
	if (cur->exponent == 0)
		n = snprintf(out, cap, "%s%" PRIu64, amount < 0 ? "-" : "", mag);
	else
		n = snprintf(out, cap, "%s%" PRIu64 ".%0*" PRIu64, amount < 0 ? "-" : "",
		             mag / scale, cur->exponent, mag % scale);
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		return -1;
	}
	return n;
}

int64_t
money_average(int64_t total, int64_t count)
{
	int64_t q, r;

	if (count <= 0)
		return 0;
	q = total / count;
	r = total % count; /* same sign as total; |r| < count */
	/* Half away from zero: |r| >= count - |r|, written so that nothing overflows. */
	if (r > 0 && r >= count - r)
		q++;
	else if (r < 0 && -r >= count + r)
		q--;
	return q;
}
