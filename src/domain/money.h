/*
 * money.h - amounts and currencies.
 *
 * An amount is an int64_t count of minor units of one ISO 4217 currency; never a float.
 * This module knows the currencies Guichet accepts and their exponents. No I/O.
 */
#ifndef GUICHET_MONEY_H
#define GUICHET_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONEY_AMOUNT_MAX 99999999999LL /* 999,999,999.99 in a two-decimal currency */

struct currency {
	const char *code; /* "EUR" */
	int numeric;      /* 978 */
	int exponent;     /* minor unit digits: 2 for EUR, 0 for JPY, 3 for KWD */
};

/* The currency with this exact upper-case ISO 4217 code, or NULL when unknown or unsupported.
 * The result is static. */
const struct currency *money_currency_find(const char *code);

/* The currency of that ISO 4217 numeric code (978 → EUR), or NULL when unknown or
 * unsupported: the Paybox protocols send PBX_DEVISE and DEVISE this way. Static. */
const struct currency *money_currency_find_numeric(int numeric);

/* True when 1 <= amount <= MONEY_AMOUNT_MAX: a payment, capture or refund amount. */
bool money_amount_valid(int64_t amount);

/* Renders amount as a plain decimal in the currency's major unit ("1234.56", "-0.05", "100"
 * for JPY) into out (cap bytes, always NUL-terminated). Returns the length written, or -1
 * when cap is too small. */
int money_format_plain(int64_t amount, const struct currency *cur, char *out, size_t cap);

/* The mean of count amounts totalling total, in minor units, rounded half away from zero
 * (an average basket: 3 baskets of 10.00 + 10.00 + 10.01 average 10.00; of 10.00 + 10.01,
 * 10.01). 0 when count <= 0. Never overflows. */
int64_t money_average(int64_t total, int64_t count);

#endif
