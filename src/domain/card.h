/*
 * card.h - card numbers, payment methods, expiry dates, masking. No I/O.
 *
 * A card number handled here is a NUL-terminated string of 12 to 19 ASCII digits: callers
 * normalize first. Functions never copy the number anywhere but the buffers they are given.
 */
#ifndef GUICHET_CARD_H
#define GUICHET_CARD_H

#include <stdbool.h>
#include <stdint.h>

#define CARD_DIGITS_MAX 19
#define CARD_MASKED_LEN 19 /* first 6 + '*'s + last 4, same length as the number */

enum card_method {
	METHOD_NONE = 0,
	METHOD_CB,
	METHOD_VISA,
	METHOD_MASTERCARD,
	METHOD_EBLEUE,
	METHOD_AMEX,
	METHOD_JCB,
	METHOD_PAYPAL,
	METHOD__COUNT
};

/* "CB", "VISA", "MASTERCARD", "E-BLEUE", "AMEX", "JCB", "PAYPAL"; "" for METHOD_NONE. Static. */
const char *card_method_name(enum card_method m);

/* The method with that exact name, or METHOD_NONE. */
enum card_method card_method_parse(const char *name);

/* Copies the digits of in to out (CARD_DIGITS_MAX + 1 bytes), dropping spaces and dashes
 * between groups. Returns 0, or -1 when in holds anything else or fewer than 12 or more than
 * 19 digits (out is then wiped). */
int card_number_normalize(const char *in, char out[CARD_DIGITS_MAX + 1]);

/* Luhn (ISO/IEC 7812-1) check of a normalized number. */
bool card_luhn_valid(const char *digits);

/* The card scheme of a normalized number from its prefix (IIN range) and length:
 * VISA 4 (13, 16 or 19 digits); MASTERCARD 51-55 and 2221-2720 (16); AMEX 34, 37 (15);
 * JCB 3528-3589 (16-19). METHOD_NONE when no scheme matches. */
enum card_method card_method_detect(const char *digits);

/* True when a card of this number may be taken under a contract of method m: the number's
 * scheme is m, or m is CB or E-BLEUE (French domestic schemes carried by co-badged VISA and
 * MASTERCARD cards). */
bool card_method_accepts(enum card_method m, const char *digits);

/* Whether a number fits the method chosen in the virtual terminal (SPEC §10: "Luhn, length
 * and prefix of the method"), checked in this order so the first thing wrong is said. */
enum card_fit {
	CARD_FITS = 0,
	CARD_FIT_LUHN,   /* the check digit is wrong: a digit mistyped */
	CARD_FIT_SCHEME, /* no known scheme has this prefix and length */
	CARD_FIT_METHOD, /* a known scheme's card, not one m takes (card_method_accepts) */
};
enum card_fit card_fit(enum card_method m, const char *digits);

/* The methods of the virtual terminal (Vision manual §10): CB, VISA, MASTERCARD, E-BLEUE,
 * AMEX, JCB, whatever else the shop takes. */
bool card_method_manual(enum card_method m);

/* Writes the masked form of a normalized number to out (CARD_MASKED_LEN + 1 bytes): the
 * first 6 and the last 4 digits, '*' between (PCI DSS 3.4.1). */
void card_mask(const char *digits, char out[CARD_MASKED_LEN + 1]);

/* Parses an expiry "MMYY" into *month (1..12) and *year (2000 + YY). Returns 0 or -1. */
int card_expiry_parse(const char *mmyy, int *month, int *year);

/* True when a card valid through the end of (month, year) is expired on the civil date
 * (y, m). A card expiring 12/2026 is still valid on any day of December 2026. */
bool card_expired(int month, int year, int y, int m);

#endif
