/*
 * card.c - card numbers: normalization, Luhn, scheme by IIN range and length, masking, expiry.
 */
#include <string.h>

#include "domain/card.h"

static const char *const method_names[METHOD__COUNT] = {
        [METHOD_NONE] = "",          [METHOD_CB] = "CB",
        [METHOD_VISA] = "VISA",      [METHOD_MASTERCARD] = "MASTERCARD",
        [METHOD_EBLEUE] = "E-BLEUE", [METHOD_AMEX] = "AMEX",
        [METHOD_JCB] = "JCB",        [METHOD_PAYPAL] = "PAYPAL",
};

const char *
card_method_name(enum card_method m)
{
	return (unsigned)m < METHOD__COUNT ? method_names[m] : "";
}

enum card_method
card_method_parse(const char *name)
{
	for (int m = METHOD_NONE + 1; m < METHOD__COUNT; m++)
		if (strcmp(method_names[m], name) == 0)
			return (enum card_method)m;
	return METHOD_NONE;
}

int
card_number_normalize(const char *in, char out[CARD_DIGITS_MAX + 1])
{
	size_t n = 0;
	bool sep_ok = false; /* a separator may follow a digit, once */

	for (const char *p = in; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == CARD_DIGITS_MAX)
				goto bad;
			out[n++] = *p;
			sep_ok = true;
		} else if ((*p == ' ' || *p == '-') && sep_ok && p[1] != '\0') {
			sep_ok = false;
		} else {
			goto bad;
		}
	}
	if (n < 12)
		goto bad;
	out[n] = '\0';
	return 0;
bad:
	memset(out, 0, CARD_DIGITS_MAX + 1);
	return -1;
}

bool
card_luhn_valid(const char *digits)
{
	size_t len = strlen(digits);
	int sum = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = digits[len - 1 - i] - '0';

		if (d < 0 || d > 9)
			return false;
		if (i % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

/* The first n digits as a number. */
static int
prefix(const char *digits, int n)
{
	int v = 0;

	for (int i = 0; i < n && digits[i] != '\0'; i++)
		v = v * 10 + (digits[i] - '0');
	return v;
}

enum card_method
card_method_detect(const char *digits)
{
	size_t len = strlen(digits);
	int p2 = prefix(digits, 2), p4 = prefix(digits, 4);

	if (len < 4)
		return METHOD_NONE;
	if (digits[0] == '4')
		return len == 13 || len == 16 || len == 19 ? METHOD_VISA : METHOD_NONE;
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return len == 16 ? METHOD_MASTERCARD : METHOD_NONE;
	if (p2 == 34 || p2 == 37)
		return len == 15 ? METHOD_AMEX : METHOD_NONE;
	if (p4 >= 3528 && p4 <= 3589)
		return len >= 16 && len <= 19 ? METHOD_JCB : METHOD_NONE;
	return METHOD_NONE;
}

bool
card_method_accepts(enum card_method m, const char *digits)
{
	enum card_method scheme = card_method_detect(digits);

	if (scheme == METHOD_NONE)
		return false;
	if (m == METHOD_CB || m == METHOD_EBLEUE)
		return scheme == METHOD_VISA || scheme == METHOD_MASTERCARD;
	return scheme == m;
}

enum card_fit
card_fit(enum card_method m, const char *digits)
{
	if (!card_luhn_valid(digits))
		return CARD_FIT_LUHN;
	if (card_method_detect(digits) == METHOD_NONE)
		return CARD_FIT_SCHEME;
	return card_method_accepts(m, digits) ? CARD_FITS : CARD_FIT_METHOD;
}

bool
card_method_manual(enum card_method m)
{
	return m >= METHOD_CB && m <= METHOD_JCB;
}

void
card_mask(const char *digits, char out[CARD_MASKED_LEN + 1])
{
	size_t len = strlen(digits);

	if (len > CARD_DIGITS_MAX)
		len = CARD_DIGITS_MAX;
	if (len < 10) {
		memset(out, '*', len);
		out[len] = '\0';
		return;
	}
	memcpy(out, digits, 6);
	memset(out + 6, '*', len - 10);
	memcpy(out + len - 4, digits + len - 4, 4);
	out[len] = '\0';
}

int
card_expiry_parse(const char *mmyy, int *month, int *year)
{
	if (mmyy == NULL || strlen(mmyy) != 4)
		return -1;
	for (int i = 0; i < 4; i++)
		if (mmyy[i] < '0' || mmyy[i] > '9')
			return -1;
	*month = prefix(mmyy, 2);
	*year = 2000 + prefix(mmyy + 2, 2);
	return *month >= 1 && *month <= 12 ? 0 : -1;
}

bool
card_expired(int month, int year, int y, int m)
{
	return y > year || (y == year && m > month);
}
