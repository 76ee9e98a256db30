/*
 * passphrase.c - the HMAC key passphrase's score (passphrase.h).
 */
#include <stdint.h>
#include <string.h>

#include "domain/passphrase.h"

enum char_class { CC_UPPER, CC_LOWER, CC_DIGIT, CC_OTHER };

/* Decodes the code point at *p and moves past it. A malformed byte counts as one character
 * of its own value (the rating never fails: the API refuses malformed text before). */
static uint32_t
next_code_point(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	if (more == 0 || c >= 0xf8) {
		*p = s + 1;
		return c;
	}
	c &= 0x3fu >> more;
	for (int i = 1; i <= more; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + 1;
			return s[0];
		}
		c = (c << 6) | (s[i] & 0x3fu);
	}
	*p = s + 1 + more;
	return c;
}

static enum char_class
class_of(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return CC_UPPER;
	if (c >= 'a' && c <= 'z')
		return CC_LOWER;
	if (c >= '0' && c <= '9')
		return CC_DIGIT;
	return CC_OTHER;
}

void
passphrase_rate(const char *p, struct passphrase_rating *out)
{
	const unsigned char *s = (const unsigned char *)p;
	uint32_t seen[PASSPHRASE_MAX_LEN];
	bool used[4] = {false};
	int n = 0, k = 0, alternations = 0, repeats = 0, duplicates = 0, runs = 0, score;
	uint32_t prev = 0, prev2 = 0;
	enum char_class prev_class = CC_OTHER;

	while (*s != '\0') {
		uint32_t c = next_code_point(&s);
		enum char_class cc = class_of(c);

		if (!used[cc])
			k++;
		used[cc] = true;
		if (n > 0 && cc != prev_class)
			alternations++;
		if (n > 0 && c == prev)
			repeats++;
		/* Rated up to PASSPHRASE_MAX_LEN characters for duplicates: longer text is refused
		 * before (and its length alone already scores the maximum). */
		for (int i = 0; i < n && i < PASSPHRASE_MAX_LEN; i++)
			if (seen[i] == c) {
				duplicates++;
				break;
			}
		if (n >= 2 &&
		    ((c == prev + 1 && prev == prev2 + 1) || (c + 1 == prev && prev + 1 == prev2)))
			runs++;
		if (n < PASSPHRASE_MAX_LEN)
			seen[n] = c;
		prev2 = prev;
		prev = c;
		prev_class = cc;
		n++;
	}
	score = 3 * n + (k > 0 ? 10 * (k - 1) : 0) + 2 * alternations - 5 * repeats -
	        2 * duplicates - 4 * runs;
	out->length = n;
	out->score = score < 0 ? 0 : score > 100 ? 100 : score;
	out->ok = n >= PASSPHRASE_MIN_LEN && out->score >= PASSPHRASE_MIN_SCORE;
}
