/*
 * password.h - the password policy of the back office (SPEC §3; Vision manual §1; PCI DSS
 * 4.0 8.3.6, 8.3.7, 8.3.9): strength, minimum rules, history, expiry. Pure C, no I/O. The web
 * UI shows the same strength, computed by the same rules (docs: "Password strength").
 */
#ifndef GUICHET_PASSWORD_H
#define GUICHET_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PASSWORD_MIN_LEN      12  /* PCI DSS 8.3.6 */
#define PASSWORD_MAX_LEN      256 /* bytes; long passphrases are welcome */
#define PASSWORD_HISTORY      4   /* none of the last 4 again (PCI DSS 8.3.7) */
#define PASSWORD_MAX_AGE_DAYS 90  /* Vision manual §1 */
#define PASSWORD_MAX_FAILURES 3   /* then the account is locked (Vision manual §1) */

/* The five levels of the Vision manual §1, weakest first. */
enum strength {
	STRENGTH_VERY_WEAK = 0, /* "Très faible", e.g. 123 */
	STRENGTH_WEAK,          /* "Faible", e.g. 123456% */
	STRENGTH_MEDIUM,        /* "Moyen", e.g. 123456%A */
	STRENGTH_STRONG,        /* "Fort", e.g. 123456%AfP@10oz */
	STRENGTH_VERY_STRONG,   /* "Très fort", e.g. 123456%AfP@10oz* */
};

/* The least strength a new password must reach. */
#define PASSWORD_MIN_STRENGTH STRENGTH_MEDIUM

/* Strength as a percentage, 0..100: the estimated bits of a brute-force search over the
 * character classes used (lower, upper, digits, others; any non-ASCII byte counts as
 * "others"), the same character twice in a row counting for a quarter, capped at 100. */
int password_score(const char *pw);

/* The level of a score: < 28 very weak, < 45 weak, < 64 medium, < 100 strong, else very
 * strong. */
enum strength password_strength(const char *pw);

/* "very_weak" ... "very_strong". Static. */
const char *strength_name(enum strength s);

/* Why a new password is refused. */
enum pw_problem {
	PW_OK = 0,
	PW_TOO_SHORT, /* fewer than 12 characters */
	PW_TOO_LONG,  /* more than PASSWORD_MAX_LEN bytes */
	PW_NEEDS_LETTER_AND_DIGIT,
	PW_TOO_WEAK,          /* below PASSWORD_MIN_STRENGTH */
	PW_CONTAINS_LOGIN,    /* the login appears in it, any case */
	PW_CONTROL_CHARACTER, /* a byte below 0x20 or 0x7f */
};

/* Checks the form of a new password (not its history: the caller compares the hashes).
 * Characters are counted as UTF-8 code points. */
enum pw_problem password_check(const char *pw, const char *login);

/* Machine code and English message of a problem. Static. */
const char *pw_problem_code(enum pw_problem p);
const char *pw_problem_message(enum pw_problem p);

/* True when a password set at set_at_us has expired at now_us (more than 90 days). */
bool password_expired(int64_t set_at_us, int64_t now_us);

#endif
