/*
 * paybox.h - the wire format of the E-transactions / Paybox protocols (Paybox System, the
 * hosted page's PBX_* fields, and Paybox Direct, "PPPS"), as research/paybox-protocol.md
 * describes them: the form as received, the message its HMAC signs, PBX_RETOUR and the
 * variables returned, the E / CODEREPONSE codes, amounts, currencies and times. Pure C, no I/O.
 *
 * Not the HMAC itself nor the RSA signature K (src/crypto: pbx_hmac_ok is declared here for
 * its callers and defined in crypto/pbx_hmac.c, the only place that may reach a digest), nor
 * who answers the entry points (src/api).
 */
#ifndef GUICHET_PAYBOX_H
#define GUICHET_PAYBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/txn.h"

#define PBX_FIELDS_MAX    96  /* fields of one form: Woo 3.x sends about 30 */
#define PBX_RETOUR_MAX    32  /* variables PBX_RETOUR may ask (every code once, and room) */
#define PBX_NAME_MAX      31  /* bytes of a variable's name in PBX_RETOUR */
#define PBX_AMOUNT_DIGITS 20  /* digits of an amount, leading zeros included ("%010d" and more) */
#define PBX_HMAC_HEX_MAX  128 /* hex characters of the longest HMAC (SHA-512) */

/* One field of a form (application/x-www-form-urlencoded, a query or a body), its name and
 * value URL-decoded ('+' is a space), each NUL-terminated in the form's memory. */
struct pbx_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* A form as received: its fields in order, duplicates kept (pbx_has_duplicate tells). mem
 * holds every name and value; pbx_form_free releases it. */
struct pbx_form {
	struct pbx_field f[PBX_FIELDS_MAX];
	int n;
	char *mem;
	size_t mem_len;
};

/* Parses raw (len bytes, not NUL-terminated) into *out, which then owns a copy. Empty
 * segments ("a=1&&b=2", a trailing '&') are skipped, as PHP's parse_str does; a segment
 * without '=' is a field with an empty value. Returns ST_OK, or ST_INVALID for a bad '%'
 * escape, an empty name, a NUL byte once decoded or more than PBX_FIELDS_MAX fields (*out is
 * then empty and owns nothing). */
int pbx_form_parse(struct pbx_form *out, const char *raw, size_t len);

/* Wipes and releases what the form owns (it may hold a card number and a CVV: Paybox Direct's
 * PORTEUR and CVV); it is empty after. Safe on an empty or freed form. */
void pbx_form_free(struct pbx_form *f);

/* The first field of that exact name (case matters: PBX_TOTAL, not pbx_total), or NULL.
 * Lent: it lives as long as the form. */
const struct pbx_field *pbx_get(const struct pbx_form *f, const char *name);

/* True when a name is given twice; *which (if not NULL) is then that name, lent by the form.
 * A field twice is refused (research §1.3: the message signed would not say which one the
 * merchant meant). */
bool pbx_has_duplicate(const struct pbx_form *f, const char **which);

/* The message PBX_HMAC (or HMAC for Direct) signs: every field but sig_name, in the order
 * received, "NAME=value" with the raw decoded values, joined by '&' (research §1.3, rule 1).
 * NUL-terminated; *len (if not NULL) its length. The caller frees it. */
char *pbx_signed_message(const struct pbx_form *f, const char *sig_name, size_t *len);

/* Whether hex (hex_len characters, any case) is the HMAC of msg under key with the algorithm
 * hash_name ("SHA512", "SHA384", "SHA256", "SHA224", any case; research §1.3, rule 3),
 * compared in constant time. False for an unknown algorithm, a hex of the wrong length or not
 * hex. Defined in src/crypto/pbx_hmac.c (OpenSSL's HMAC), not in the domain library. */
bool pbx_hmac_ok(const char *hash_name, const unsigned char *key, size_t key_len, const char *msg,
                 size_t msg_len, const char *hex, size_t hex_len);

/* PBX_RETOUR, "Mt:M;Ref:R;...;Sign:K": the merchant's names in order with the code of each
 * (research §1.4). sign: K was asked (always the last; it has no entry in v). */
struct pbx_retour {
	struct {
		char name[PBX_NAME_MAX + 1];
		char code;
	} v[PBX_RETOUR_MAX];
	int n;
	bool sign;
	char sign_name[PBX_NAME_MAX + 1]; /* the merchant's name for K ("K", "Sign") */
};

/* Parses spec (NUL-terminated) into *out. A name is 1..PBX_NAME_MAX of [A-Za-z0-9_.-] (it goes
 * on a URL unencoded); a code one of the letters of research §1.4 (pbx_retour_code_known); a
 * trailing ';' is allowed. Returns ST_OK, or ST_INVALID for an empty spec, a name or code that
 * does not fit, a name given twice, K anywhere but last, or more than PBX_RETOUR_MAX. */
int pbx_retour_parse(struct pbx_retour *out, const char *spec);

/* Whether c is a variable code Guichet answers: A B C D E F G H I J K M N O P Q R S T U W Y Z v
 * (o, the Cetelem type, is not one: Guichet has no such contract). */
bool pbx_retour_code_known(char c);

/* The values of a decision to return. A string member NULL or "" is returned empty ("A=" for a
 * refusal's missing authorisation); a number 0 too (a refusal that reached no bank has no call
 * or transaction number). */
struct pbx_result {
	int64_t amount;           /* M: minor units */
	const char *ref;          /* R: PBX_CMD as received */
	int64_t call_no;          /* T: NUMAPPEL for Direct */
	int64_t trans_no;         /* S: NUMTRANS for Direct */
	const char *auth;         /* A: authorisation number, empty when refused */
	const char *subscription; /* B */
	const char *card_type;    /* C: "CB", "VISA", "EUROCARD_MASTERCARD" (pbx_card_type) */
	const char *expiry_yymm;  /* D: YYMM */
	const char *error5;       /* E: "00000", "00105" (pbx_error_code) */
	const char *tds_status;   /* F: Y N A U */
	const char *tds_shift;    /* G: O N */
	const char *imprint;      /* H */
	const char *ip_country3;  /* I: ISO 3166 alpha-3 */
	const char *last2;        /* J: the last 2 digits of the card number */
	const char *bin6;         /* N: its first 6 */
	const char *tds_enrolled; /* O: Y N U */
	const char *pay_type;     /* P: "CARTE", "PAYPAL" */
	const char *token;        /* U */
	const char *country3;     /* Y: the card's issuing country, ISO 3166 alpha-3 */
	const char *pay_index;    /* Z: "1-1" */
	const char *tds_version;  /* v: "2.2.0" */
	int64_t when_us;          /* Q (HH:MM:SS) and W (DDMMYYYY), Europe/Paris wall time */
};

/* The strings a pbx_result made from a transaction points into. */
struct pbx_result_text {
	char expiry_yymm[5], bin6[7], last2[3], tds_status[2];
};

/* The values Paybox System returns for the transaction t (a payment of the hosted page):
 * M its amount, R ref (PBX_CMD as received), T and S its id, A its authorisation, C and P its
 * card, D its expiry as YYMM, E pbx_error_code of its refusal (00099 pending, 00001
 * abandoned: the issuer never answered), F G O v its 3-D Secure block, J N
 * from its masked number, Y its card's country (alpha-3), Q W its creation. I, the buyer's IP
 * country, is left empty (Guichet does not locate addresses); so are B H U Z. res's strings
 * point into t, ref and txt. */
void pbx_result_of_txn(const struct txn *t, const char *ref, struct pbx_result *res,
                       struct pbx_result_text *txt);

/* "n1=enc(v1)&n2=enc(v2)..." over the retour's variables in order, with the merchant's names,
 * K excluded: the bytes K signs (research §1.6). enc percent-encodes every byte but
 * A-Z a-z 0-9 - _ . with upper-case hex, a space as %20 (PHP's rawurlencode but for '~').
 * NUL-terminated; *len (if not NULL) its length. The caller frees it. */
char *pbx_retour_build(const struct pbx_retour *r, const struct pbx_result *res, size_t *len);

/* Appends "&<sign_name>=enc(b64)" to the signed string s (s_len bytes): what goes on the
 * return URL or in the notification's body (research §1.6, step 3). The caller frees the
 * result; s stays the caller's. */
char *pbx_retour_append_sign(const char *s, size_t s_len, const char *sign_name, const char *b64,
                             size_t *len);

/* Appends enc(v) (v_len bytes) to out, which has room for 3 * v_len + 1 bytes, NUL-terminated;
 * returns the length written. The encoding of pbx_retour_build. */
size_t pbx_urlencode(char *out, const char *v, size_t v_len);

/* The E code of a refusal (research §1.7, §2.4): REFUSAL_NONE "00000", the issuer's "001xx",
 * Guichet's own rules the code that names them ("00011" an amount out of the contract's
 * range, "00021" a card not allowed...). Static. */
const char *pbx_error_code(enum refusal r);

/* Paybox's name of a card method (C): "CB", "VISA", "EUROCARD_MASTERCARD", "AMEX", "PAYPAL"...
 * and the payment type P ("CARTE", "PAYPAL"). Static, "" for METHOD_NONE. */
const char *pbx_card_type(enum card_method m);
const char *pbx_pay_type(enum card_method m);

/* The method PBX_TYPECARTE names ("CB", "VISA", "EUROCARD_MASTERCARD"..., any case; the
 * names of pbx_card_type), or -1. And whether a card of method card may pay when asked is
 * what PBX_TYPECARTE forced: CB, the French network, takes its co-branded Visa and Mastercard
 * cards too; any other takes its own method only. */
int pbx_card_method(const char *name);
bool pbx_card_accepts(enum card_method asked, enum card_method card);

/* "978" (or "0978", digits only) → "EUR" in alpha (4 bytes), for a currency Guichet accepts
 * (domain/money.h). Returns ST_OK or ST_INVALID. */
int pbx_currency_alpha(const char *numeric, char alpha[4]);

/* A PBX_TOTAL, PBX_2MONTn or MONTANT: 1..PBX_AMOUNT_DIGITS decimal digits, leading zeros
 * allowed ("%03d", "%010d"), the value 1..MONEY_AMOUNT_MAX. No sign, point or space. Returns
 * ST_OK or ST_INVALID. */
int pbx_amount_parse(const char *s, int64_t *out);

/* A number of Direct (NUMQUESTION, NUMAPPEL, NUMTRANS, SITE, RANG, TYPE, VERSION): 1..20
 * digits, leading zeros allowed, the value 0..max. Returns ST_OK or ST_INVALID. */
int pbx_number_parse(const char *s, int64_t max, int64_t *out);

/* PBX_TIME, leniently (research §1.3, rule 5): "YYYY-MM-DDTHH:MM:SS" (a 'T' or a space),
 * an optional fraction, then "Z", "+HH:MM", "+HHMM", "+HH" or nothing (UTC), PHP's date('c')
 * and JavaScript's toISOString() alike. A real date and time (years 1970..9999). Returns ST_OK
 * or ST_INVALID. */
int pbx_time_parse(const char *iso, int64_t *out_us);

/* PBX_DATEn, an installment's day, "dd/mm/YYYY" (PHP's date('d/m/Y')), a real date, into
 * *day (calendar.h's day number). Returns ST_OK or ST_INVALID. */
int pbx_date_parse(const char *s, int64_t *day);

/* Direct's DATEQ, "ddmmYYYYHHMMSS" (14 digits), a Europe/Paris wall time, into *out_us.
 * Returns ST_OK or ST_INVALID. */
int pbx_dateq_parse(const char *s, int64_t *out_us);

/* SITE and RANG as a shop is known by (7 and 3 digits: "1999888", "032"), from what a module
 * sends: "%07d", RANG "%02d" (Magento) or "%03d" (PrestaShop, the kit), unpadded. Returns
 * ST_OK or ST_INVALID. */
int pbx_site_rang(const char *site, const char *rang, char site7[8], char rang3[4]);

/* Paybox Direct's TYPE codes Guichet answers (research §2.1). The transaction numbers it
 * gives, NUMAPPEL and NUMTRANS (T and S of Paybox System), are both the transaction's id:
 * clients that swap them (Magento, research §2.2) still name the same transaction. */
enum pbx_direct_type {
	PBX_AUTHORIZE = 1,         /* 00001: authorization only */
	PBX_CAPTURE = 2,           /* 00002: capture of an authorization */
	PBX_AUTHORIZE_CAPTURE = 3, /* 00003: authorization + capture */
	PBX_CREDIT = 4,            /* 00004: credit without a debit: refused (00009) */
	PBX_CANCEL = 5,            /* 00005: cancel */
	PBX_REFUND = 14,           /* 00014: refund of a captured transaction */
	PBX_INQUIRY = 17,          /* 00017: the state of a transaction */
};

#define PBX_DIRECT_REF_MAX 250 /* bytes of REFERENCE: Guichet's order reference */

/* A Direct request as read from its form, checked for form; the card number (PORTEUR) and
 * CVV stay in the form, which the caller wipes. */
struct pbx_direct {
	int version; /* 103 (Direct) or 104 (Direct Plus) */
	enum pbx_direct_type type;
	char site[8], rang[4]; /* as pbx_site_rang gives them */
	int64_t numquestion;   /* 1..2147483647: a PHP int on 32 bits, time() */
	int64_t dateq_us;      /* 0: no DATEQ */
	int64_t amount;        /* MONTANT */
	char currency[4];      /* DEVISE, "" when absent */
	char reference[PBX_DIRECT_REF_MAX + 1];
	int64_t txn_id;    /* NUMTRANS (or NUMAPPEL), for every type but authorizations */
	int deferral_days; /* DIFFERE, -1 absent */
	enum card_method method;
	char expiry[5]; /* DATEVAL, MMYY */
	int expiry_month, expiry_year;
};

/* Reads the form of a Direct request into *out (authentication aside: CLE, HASH and HMAC are
 * the caller's). Returns NULL when it is coherent, else the CODEREPONSE that says what is
 * wrong ("00014" a field twice or missing, "00013" a VERSION, "00009" a TYPE Guichet does not
 * answer, "00006" SITE or RANG, "00005" NUMQUESTION, "00007" DATEQ, "00011" MONTANT, "00010"
 * DEVISE, "00012" REFERENCE, "00004" PORTEUR, "00008" DATEVAL, "00020" CVV, "00018"
 * NUMTRANS or NUMAPPEL) with *comment, an English sentence for COMMENTAIRE. Static. */
const char *pbx_direct_parse(const struct pbx_form *f, struct pbx_direct *out,
                             const char **comment);

/* One field of a Direct answer. */
struct pbx_answer_field {
	const char *name;
	const char *value;
};

/* A Direct answer, "NAME=value&NAME=value" (research §2.3): values raw, not percent-encoded,
 * in ISO-8859-1; a value's '&', '=', control characters and what Latin-1 cannot carry become a
 * space, a UTF-8 character of Latin-1 its one byte. NUL-terminated; *len (if not NULL) its
 * length. The caller frees it. */
char *pbx_direct_answer(const struct pbx_answer_field *fields, int n, size_t *len);

#endif
