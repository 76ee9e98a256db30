/*
 * passphrase.h - the strength of the passphrase an HMAC key is derived from (SPEC §11 "HMAC
 * key"; Vision manual §9.1.3): at least 15 characters and a score of at least 90 %, the
 * "Generate the key" button staying disabled until then. Pure C, no I/O. The server rates a
 * passphrase for the web page (its meter and button) and again before it derives a key, with
 * this one function, so the two never disagree.
 *
 * Not the password policy (password.h): a passphrase is typed once to make a key, never
 * stored, and the manual's rule is its own.
 */
#ifndef GUICHET_PASSPHRASE_H
#define GUICHET_PASSPHRASE_H

#include <stdbool.h>

#define PASSPHRASE_MIN_LEN   15  /* characters (UTF-8 code points) */
#define PASSPHRASE_MIN_SCORE 90  /* percent */
#define PASSPHRASE_MAX_LEN   256 /* bytes: longer is refused as a malformed request */

struct passphrase_rating {
	int length; /* characters (UTF-8 code points) */
	int score;  /* 0..100 */
	bool ok;    /* length >= PASSPHRASE_MIN_LEN and score >= PASSPHRASE_MIN_SCORE */
};

/* Rates p (NUL-terminated UTF-8). The manual says the score counts upper-case letters,
 * lower-case letters, digits and special characters, rewards varying and alternating them,
 * and that repetitions lower it. With n characters, each of one class (upper, lower, digit,
 * other: any other byte sequence, non-ASCII letters and spaces included), the score is
 *
 *     3 n                       length
 *   + 10 (k - 1)                k classes used (1..4; 0 for an empty p)
 *   + 2 a                       a: neighbours of different classes ("a1B" alternates twice)
 *   - 5 r                       r: characters equal to the one before ("aa")
 *   - 2 d                       d: characters seen anywhere before ("a" then "A" is none)
 *   - 4 s                       s: characters that go on a run of the one before by +1 or -1
 *                                  ("abc", "321": the third on; by code point)
 *
 * clamped to 0..100. So 15 characters alternating the four classes without repeating any
 * reach 100, and a long phrase of lower-case words needs capitals, digits or signs. */
void passphrase_rate(const char *p, struct passphrase_rating *out);

#endif
