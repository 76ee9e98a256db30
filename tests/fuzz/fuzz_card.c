/*
 * fuzz_card.c - the card fields of a payment (src/domain/card.c): the number as a merchant
 * sends it, and its expiry; the input is "NUMBER", or "NUMBER" NUL "MMYY". Held to card.h
 * rather than to "does not crash", by checks written apart from the code:
 * - a number is taken exactly when it is 12 to 19 digits, in groups split by one space or
 *   dash, and it is then those digits;
 * - Luhn as ISO/IEC 7812-1 computes it; the scheme by the IIN table of card.h;
 * - the masked form shows the first 6 and the last 4 digits and nothing else (PCI DSS 3.4.1);
 * - an expiry is taken exactly when it is four digits with a month 01..12.
 */
#include <stdbool.h>

#include "domain/card.h"
#include "fuzz.h"

/* Digits in groups split by one space or dash; their digits into out (when 12..19). */
static bool
number_oracle(const char *s, char *out)
{
	size_t n = 0, len = strlen(s);

	if (len == 0 || s[0] < '0' || s[0] > '9' || s[len - 1] < '0' || s[len - 1] > '9')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (n == CARD_DIGITS_MAX)
				return false;
			out[n++] = s[i];
		} else if ((s[i] != ' ' && s[i] != '-') || s[i - 1] < '0' || s[i - 1] > '9') {
			return false;
		}
	}
	out[n] = '\0';
	return n >= 12;
}

static bool
luhn(const char *d)
{
	static const int doubled[] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
	size_t len = strlen(d);
	int sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += (len - i) % 2 == 0 ? doubled[d[i] - '0'] : d[i] - '0';
	return sum % 10 == 0;
}

static enum card_method
scheme(const char *d)
{
	size_t len = strlen(d);
	int p2 = (d[0] - '0') * 10 + (d[1] - '0'), p4 = p2 * 100 + (d[2] - '0') * 10 + (d[3] - '0');

	if (d[0] == '4' && (len == 13 || len == 16 || len == 19))
		return METHOD_VISA;
	if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && len == 16)
		return METHOD_MASTERCARD;
	if ((p2 == 34 || p2 == 37) && len == 15)
		return METHOD_AMEX;
	if (p4 >= 3528 && p4 <= 3589 && len >= 16)
		return METHOD_JCB;
	return METHOD_NONE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *expiry = text + strlen(text);
	char digits[CARD_DIGITS_MAX + 1], want[CARD_DIGITS_MAX + 2], masked[CARD_MASKED_LEN + 1];
	bool ok = number_oracle(text, want);
	int rc = card_number_normalize(text, digits), month = 0, year = 0;

	FUZZ_CHECK((rc == 0) == ok, "card_number_normalize(\"%s\") gave %d", text, rc);
	if (rc == 0) {
		size_t len = strlen(digits);

		FUZZ_CHECK(strcmp(digits, want) == 0, "\"%s\" normalized to \"%s\"", text, digits);
		FUZZ_CHECK(card_luhn_valid(digits) == luhn(digits), "Luhn of %s", digits);
		FUZZ_CHECK(card_method_detect(digits) == scheme(digits), "the scheme of %s",
		           digits);
		card_mask(digits, masked);
		FUZZ_CHECK(strlen(masked) == len && memcmp(masked, digits, 6) == 0 &&
		                   memcmp(masked + len - 4, digits + len - 4, 4) == 0 &&
		                   strspn(masked + 6, "*") == len - 10,
		           "%s masked as %s", digits, masked);
	}
	if (expiry < text + size) {
		bool want_ok;

		expiry++;
		want_ok = strlen(expiry) == 4 && strspn(expiry, "0123456789") == 4 &&
		          ((expiry[0] == '0' && expiry[1] != '0') ||
		           (expiry[0] == '1' && expiry[1] <= '2'));
		rc = card_expiry_parse(expiry, &month, &year);
		FUZZ_CHECK((rc == 0) == want_ok, "card_expiry_parse(\"%s\") gave %d", expiry, rc);
		FUZZ_CHECK(rc != 0 || (month == (expiry[0] - '0') * 10 + expiry[1] - '0' &&
		                       year == 2000 + (expiry[2] - '0') * 10 + expiry[3] - '0'),
		           "\"%s\" is %d/%d", expiry, month, year);
	}
	free(text);
	return 0;
}
