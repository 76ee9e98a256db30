/*
 * password.c - the back office's password policy (password.h).
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "domain/calendar.h"
#include "domain/password.h"

/* Bytes of the UTF-8 character that starts at p (1 for a stray byte). */
static size_t
char_len(const unsigned char *p)
{
	size_t n = 1;

	while (p[n] != '\0' && (p[n] & 0xc0) == 0x80)
		n++;
	return n;
}

int
password_score(const char *pw)
{
	const unsigned char *p = (const unsigned char *)pw, *prev = NULL;
	bool lower = false, upper = false, digit = false, other = false;
	double len = 0, pool, bits;
	size_t n, prev_n = 0;

	for (; *p != '\0'; prev = p, prev_n = n, p += n) {
		n = char_len(p);
		if (*p >= 'a' && *p <= 'z')
			lower = true;
		else if (*p >= 'A' && *p <= 'Z')
			upper = true;
		else if (*p >= '0' && *p <= '9')
			digit = true;
		else
			other = true;
		/* The same character again adds little to a search. */
		len += prev != NULL && prev_n == n && memcmp(prev, p, n) == 0 ? 0.25 : 1;
	}
	pool = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 33 : 0);
	if (pool == 0)
		return 0;
	bits = len * log2(pool);
	return bits >= 100 ? 100 : (int)bits;
}

enum strength
password_strength(const char *pw)
{
	int s = password_score(pw);

	if (s < 28)
		return STRENGTH_VERY_WEAK;
	if (s < 45)
		return STRENGTH_WEAK;
	if (s < 64)
		return STRENGTH_MEDIUM;
	if (s < 100)
		return STRENGTH_STRONG;
	return STRENGTH_VERY_STRONG;
}

const char *
strength_name(enum strength s)
{
	static const char *const names[] = {"very_weak", "weak", "medium", "strong", "very_strong"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "";
}

/* True when needle occurs in hay, ASCII case ignored. */
static bool
contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return false;
	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

enum pw_problem
password_check(const char *pw, const char *login)
{
	size_t chars = 0;
	bool letter = false, digit = false;

	if (strlen(pw) > PASSWORD_MAX_LEN)
		return PW_TOO_LONG;
	for (const unsigned char *p = (const unsigned char *)pw; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return PW_CONTROL_CHARACTER;
		if ((*p & 0xc0) != 0x80)
			chars++;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p >= 0xc0)
			letter = true;
		if (*p >= '0' && *p <= '9')
			digit = true;
	}
	if (chars < PASSWORD_MIN_LEN)
		return PW_TOO_SHORT;
	if (!letter || !digit)
		return PW_NEEDS_LETTER_AND_DIGIT;
	if (login != NULL && strlen(login) >= 3 && contains_nocase(pw, login))
		return PW_CONTAINS_LOGIN;
	if (password_strength(pw) < PASSWORD_MIN_STRENGTH)
		return PW_TOO_WEAK;
	return PW_OK;
}

static const struct {
	const char *code;
	const char *message;
} problems[] = {
        [PW_OK] = {"", ""},
        [PW_TOO_SHORT] = {"password_too_short", "The password needs at least 12 characters."},
        [PW_TOO_LONG] = {"password_too_long", "The password may have at most 256 bytes."},
        [PW_NEEDS_LETTER_AND_DIGIT] = {"password_needs_letter_and_digit",
                                       "The password needs both letters and digits."},
        [PW_TOO_WEAK] =
                {"password_too_weak",
                 "The password is too easy to guess: make it longer or vary its characters."},
        [PW_CONTAINS_LOGIN] = {"password_contains_login",
                               "The password may not contain the login."},
        [PW_CONTROL_CHARACTER] = {"password_control_character",
                                  "The password may not contain control characters."},
};

const char *
pw_problem_code(enum pw_problem p)
{
	return (unsigned)p < sizeof(problems) / sizeof(problems[0]) ? problems[p].code : "";
}

const char *
pw_problem_message(enum pw_problem p)
{
	return (unsigned)p < sizeof(problems) / sizeof(problems[0]) ? problems[p].message : "";
}

bool
password_expired(int64_t set_at_us, int64_t now_us)
{
	return now_us - set_at_us > (int64_t)PASSWORD_MAX_AGE_DAYS * CAL_US_PER_DAY;
}
