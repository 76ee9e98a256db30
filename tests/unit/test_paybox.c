/*
 * test_paybox.c - the Paybox wire format (domain/paybox.h; research/paybox-protocol.md): the
 * form as received, the message its HMAC signs with the research's two test vectors (System
 * and Direct), PBX_RETOUR and every variable code, the encoding K signs, the E codes, amounts,
 * currencies and times with their boundaries, and the Direct answer's Latin-1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/status.h"
#include "domain/calendar.h"
#include "domain/paybox.h"

/* The research's test key: "0123456789ABCDEF" 8 times, hex-decoded to 64 bytes. */
static void
test_key(unsigned char key[64])
{
	for (int i = 0; i < 64; i++)
		key[i] = (unsigned char)((i % 8) * 0x22 + 0x01);
}

static void
test_key_bytes(void **state)
{
	unsigned char key[64];

	(void)state;
	test_key(key);
	assert_int_equal(key[0], 0x01);
	assert_int_equal(key[1], 0x23);
	assert_int_equal(key[7], 0xef);
	assert_int_equal(key[8], 0x01);
}

/* research §1.3: the System vector, the form posted as the kit posts it (URL-encoded). */
static void
test_system_vector(void **state)
{
	static const char body[] =
	        "PBX_SITE=1999888&PBX_RANG=32&PBX_IDENTIFIANT=2&PBX_TOTAL=1000&PBX_DEVISE=978"
	        "&PBX_CMD=TEST+Paybox&PBX_PORTEUR=test%40paybox.com"
	        "&PBX_RETOUR=Mt%3AM%3BRef%3AR%3BAuto%3AA%3BErreur%3AE&PBX_HASH=SHA512"
	        "&PBX_TIME=2011-02-28T11%3A01%3A50%2B01%3A00"
	        "&PBX_HMAC=E42F990CDFD19513D4EE040DA37BC46264EDF62C5FD84D396BDFEFEC1FFA5999B8186B"
	        "40E26F881785720D74864A343E6E20903495F5F1BD3B95492C39595C0D";
	static const char want[] =
	        "PBX_SITE=1999888&PBX_RANG=32&PBX_IDENTIFIANT=2&PBX_TOTAL=1000&PBX_DEVISE=978"
	        "&PBX_CMD=TEST Paybox&PBX_PORTEUR=test@paybox.com&PBX_RETOUR=Mt:M;Ref:R;Auto:A;"
	        "Erreur:E&PBX_HASH=SHA512&PBX_TIME=2011-02-28T11:01:50+01:00";
	struct pbx_form f;
	unsigned char key[64];
	const struct pbx_field *h;
	char lower[129];
	size_t len;
	char *msg;

	(void)state;
	test_key(key);
	assert_int_equal(pbx_form_parse(&f, body, strlen(body)), ST_OK);
	assert_int_equal(f.n, 11);
	assert_false(pbx_has_duplicate(&f, NULL));
	msg = pbx_signed_message(&f, "PBX_HMAC", &len);
	assert_string_equal(msg, want);
	assert_int_equal(len, strlen(want));
	h = pbx_get(&f, "PBX_HMAC");
	assert_non_null(h);
	assert_true(pbx_hmac_ok("SHA512", key, 64, msg, len, h->value, h->value_len));
	/* Woo 3.x sends lower-case hex (research §1.3, rule 4). */
	for (size_t i = 0; i <= h->value_len; i++)
		lower[i] = (char)(h->value[i] >= 'A' && h->value[i] <= 'F' ? h->value[i] + 32
		                                                           : h->value[i]);
	assert_true(pbx_hmac_ok("sha512", key, 64, msg, len, lower, h->value_len));
	/* One byte of the message, of the key or of the MAC changed: refused. */
	msg[len - 1] = '1';
	assert_false(pbx_hmac_ok("SHA512", key, 64, msg, len, h->value, h->value_len));
	msg[len - 1] = '0';
	key[63] ^= 1;
	assert_false(pbx_hmac_ok("SHA512", key, 64, msg, len, h->value, h->value_len));
	key[63] ^= 1;
	lower[127] = lower[127] == '0' ? '1' : '0';
	assert_false(pbx_hmac_ok("SHA512", key, 64, msg, len, lower, 128));
	/* The right MAC under another algorithm's name, a short MAC, not hex, no algorithm. */
	assert_false(pbx_hmac_ok("SHA256", key, 64, msg, len, h->value, 64));
	assert_false(pbx_hmac_ok("SHA512", key, 64, msg, len, h->value, 126));
	assert_false(pbx_hmac_ok("MD5", key, 64, msg, len, h->value, 32));
	assert_false(pbx_hmac_ok("RIPEMD160", key, 64, msg, len, h->value, 40));
	assert_false(pbx_hmac_ok(NULL, key, 64, msg, len, h->value, h->value_len));
	memset(lower, 'G', 128);
	assert_false(pbx_hmac_ok("SHA512", key, 64, msg, len, lower, 128));
	free(msg);
	pbx_form_free(&f);
}

/* research §2.2 (b): the Direct vector, as Woo 3.x posts a capture. */
static void
test_direct_vector(void **state)
{
	static const char body[] =
	        "VERSION=00104&TYPE=00002&SITE=1999888&RANG=32&NUMQUESTION=1700000000&HASH=SHA512"
	        "&DATEQ=14112023222000&DEVISE=978&MONTANT=1000&NUMAPPEL=0012345678"
	        "&NUMTRANS=0012345679&REFERENCE=dx1-0"
	        "&HMAC=8e831d6438c40edaf718f2b8629795f7a721343d2665385f3c5f5311d6c1d7dc9368e2952b"
	        "9f511c273359ba55cae792c7441bd84fc8800a2185fd080a5f322f";
	struct pbx_form f;
	unsigned char key[64];
	const struct pbx_field *h;
	size_t len;
	char *msg;

	(void)state;
	test_key(key);
	assert_int_equal(pbx_form_parse(&f, body, strlen(body)), ST_OK);
	msg = pbx_signed_message(&f, "HMAC", &len);
	assert_string_equal(msg, "VERSION=00104&TYPE=00002&SITE=1999888&RANG=32&NUMQUESTION="
	                         "1700000000&HASH=SHA512&DATEQ=14112023222000&DEVISE=978&MONTANT="
	                         "1000&NUMAPPEL=0012345678&NUMTRANS=0012345679&REFERENCE=dx1-0");
	h = pbx_get(&f, "HMAC");
	assert_true(
	        pbx_hmac_ok(pbx_get(&f, "HASH")->value, key, 64, msg, len, h->value, h->value_len));
	free(msg);
	pbx_form_free(&f);
}

/* The other algorithms the manual allows, against MACs of "a=1" computed with Python's hmac
 * under the same key. */
static void
test_other_algorithms(void **state)
{
	static const char sha256[] =
	        "413c175169479a2832ed354925e1ae9b940bf9dafa89144de194aa6768c0f2ef";
	static const char sha384[] =
	        "8f50171265d40673e3fa2fa8c098ccc27de6bda8587a494e7783df7ba9e7d1"
	        "2062a3d9e773714787b5422a6066498575";
	unsigned char key[64];

	(void)state;
	test_key(key);
	assert_true(pbx_hmac_ok("SHA256", key, 64, "a=1", 3, sha256, 64));
	assert_true(pbx_hmac_ok("Sha384", key, 64, "a=1", 3, sha384, 96));
	assert_false(pbx_hmac_ok("SHA256", key, 64, "a=2", 3, sha256, 64));
	assert_false(pbx_hmac_ok("SHA384", key, 64, "a=1", 3, sha256, 64));
	assert_false(pbx_hmac_ok("SHA512", key, 64, "a=1", 3, sha384, 96));
}

static void
test_form(void **state)
{
	static const struct {
		const char *raw;
		int rc;
		int n;
		const char *msg; /* the signed message, signature "S" left out */
	} rows[] = {
	        {"", ST_OK, 0, ""},
	        {"a=1", ST_OK, 1, "a=1"},
	        {"a=1&&b=2&", ST_OK, 2, "a=1&b=2"},
	        {"a", ST_OK, 1, "a="},
	        {"a=", ST_OK, 1, "a="},
	        {"a=x%3Dy%26z", ST_OK, 1, "a=x=y&z"},
	        {"a=%e9t%C3%A9", ST_OK, 1, "a=\xe9t\xc3\xa9"},
	        {"a=1+2%2B3", ST_OK, 1, "a=1 2+3"},
	        {"S=abc&a=1", ST_OK, 2, "a=1"},
	        {"a=1&S=abc&b=2", ST_OK, 3, "a=1&b=2"},
	        {"a=%", ST_INVALID, 0, NULL},
	        {"a=%4", ST_INVALID, 0, NULL},
	        {"a=%4g", ST_INVALID, 0, NULL},
	        {"a=%00", ST_INVALID, 0, NULL},
	        {"=1", ST_INVALID, 0, NULL},
	        {"%41=1", ST_OK, 1, "A=1"},
	        {"a%=1", ST_INVALID, 0, NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pbx_form f;
		char *msg;

		assert_int_equal(pbx_form_parse(&f, rows[i].raw, strlen(rows[i].raw)), rows[i].rc);
		if (rows[i].rc != ST_OK) {
			assert_int_equal(f.n, 0);
			assert_null(f.mem);
			continue;
		}
		assert_int_equal(f.n, rows[i].n);
		msg = pbx_signed_message(&f, "S", NULL);
		assert_string_equal(msg, rows[i].msg);
		free(msg);
		pbx_form_free(&f);
		pbx_form_free(&f); /* twice: harmless */
	}
}

static void
test_form_limits(void **state)
{
	char raw[PBX_FIELDS_MAX * 8 + 16];
	struct pbx_form f;
	size_t o = 0;

	(void)state;
	for (int i = 0; i < PBX_FIELDS_MAX; i++)
		o += (size_t)snprintf(raw + o, sizeof(raw) - o, "%sf%d=1", i ? "&" : "", i);
	assert_int_equal(pbx_form_parse(&f, raw, o), ST_OK);
	assert_int_equal(f.n, PBX_FIELDS_MAX);
	assert_string_equal(pbx_get(&f, "f95")->value, "1");
	assert_null(pbx_get(&f, "F95"));
	pbx_form_free(&f);
	o += (size_t)snprintf(raw + o, sizeof(raw) - o, "&x=1");
	assert_int_equal(pbx_form_parse(&f, raw, o), ST_INVALID);
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(pbx_form_parse(&f, "a=12&b=3", 4), ST_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.f[0].value, "12");
	pbx_form_free(&f);
}

static void
test_duplicate(void **state)
{
	struct pbx_form f;
	const char *which = NULL;

	(void)state;
	assert_int_equal(pbx_form_parse(&f, "PBX_TOTAL=1&PBX_CMD=a&PBX_TOTAL=2", 33), ST_OK);
	assert_true(pbx_has_duplicate(&f, &which));
	assert_string_equal(which, "PBX_TOTAL");
	assert_string_equal(pbx_get(&f, "PBX_TOTAL")->value, "1");
	pbx_form_free(&f);
	/* Names differ by case only: two fields, no duplicate. */
	assert_int_equal(pbx_form_parse(&f, "a=1&A=1", 7), ST_OK);
	assert_false(pbx_has_duplicate(&f, NULL));
	pbx_form_free(&f);
}

static void
test_retour_parse(void **state)
{
	static const struct {
		const char *spec;
		int rc;
		int n;
		bool sign;
	} rows[] = {
	        {"Mt:M;Ref:R;Auto:A;Erreur:E", ST_OK, 4, false},
	        {"Mt:M;Ref:R;Auto:A;Erreur:E;Sign:K", ST_OK, 4, true},
	        {"M:M;R:R;T:T;A:A;B:B;C:C;D:D;E:E;F:F;G:G;I:I;J:J;N:N;O:O;P:P;Q:Q;S:S;W:W;Y:Y;v:v;"
	         "K:K",
	         ST_OK, 20, true},
	        {"U:U;M:M;H:H;Z:Z;K:K", ST_OK, 4, true},
	        {"M:M;", ST_OK, 1, false},
	        {"K:K", ST_OK, 0, true},
	        {"", ST_INVALID, 0, false},
	        {";", ST_INVALID, 0, false},
	        {"M:M;;R:R", ST_INVALID, 0, false},
	        {"Sign:K;M:M", ST_INVALID, 0, false}, /* K not last */
	        {"M:M;K:K;K2:K", ST_INVALID, 0, false},
	        {"M:M;M:R", ST_INVALID, 0, false}, /* a name twice */
	        {"M:M;M:K", ST_INVALID, 0, false},
	        {"M:X", ST_INVALID, 0, false}, /* unknown code */
	        {"M:o", ST_INVALID, 0, false}, /* Cetelem: not answered */
	        {"M:MM", ST_INVALID, 0, false},
	        {"M:", ST_INVALID, 0, false},
	        {":M", ST_INVALID, 0, false},
	        {"M", ST_INVALID, 0, false},
	        {"a b:M", ST_INVALID, 0, false}, /* a name goes on a URL unencoded */
	        {"a&b:M", ST_INVALID, 0, false},
	        {"a=b:M", ST_INVALID, 0, false},
	        {"abcdefghijabcdefghijabcdefghij1:M", ST_OK, 1, false}, /* 31 bytes */
	        {"abcdefghijabcdefghijabcdefghij12:M", ST_INVALID, 0, false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pbx_retour r;

		assert_int_equal(pbx_retour_parse(&r, rows[i].spec), rows[i].rc);
		assert_int_equal(r.n, rows[i].n);
		assert_int_equal(r.sign, rows[i].sign);
	}
	{
		struct pbx_retour r;

		assert_int_equal(pbx_retour_parse(&r, NULL), ST_INVALID);
	}
}

static void
test_retour_max(void **state)
{
	char spec[PBX_RETOUR_MAX * 8 + 8];
	struct pbx_retour r;
	size_t o = 0;

	(void)state;
	for (int i = 0; i < PBX_RETOUR_MAX; i++)
		o += (size_t)snprintf(spec + o, sizeof(spec) - o, "m%d:M;", i);
	assert_int_equal(pbx_retour_parse(&r, spec), ST_OK);
	assert_int_equal(r.n, PBX_RETOUR_MAX);
	snprintf(spec + o, sizeof(spec) - o, "K:K");
	assert_int_equal(pbx_retour_parse(&r, spec), ST_OK); /* K takes no slot */
	snprintf(spec + o, sizeof(spec) - o, "x:M");
	assert_int_equal(pbx_retour_parse(&r, spec), ST_INVALID);
}

/* Every code Guichet answers, each with the value of a fixed decision. */
static void
test_retour_codes(void **state)
{
	static const struct {
		char code;
		const char *value;
	} rows[] = {
	        {'M', "1000"},
	        {'R', "Cmd%20n%C2%B01%2F2"},
	        {'T', "12345678"},
	        {'S', "987654"},
	        {'A', "XY1234"},
	        {'B', "SUB9"},
	        {'C', "EUROCARD_MASTERCARD"},
	        {'D', "2812"},
	        {'E', "00000"},
	        {'F', "Y"},
	        {'G', "O"},
	        {'H', "ABC"},
	        {'I', "FRA"},
	        {'J', "44"},
	        {'N', "555555"},
	        {'O', "Y"},
	        {'P', "CARTE"},
	        {'Q', "15%3A30%3A05"}, /* 14:30:05 UTC in winter: Paris +1 */
	        {'U', "tok%20%202812%20%20---"},
	        {'W', "20112026"},
	        {'Y', "FRA"},
	        {'Z', "1-1"},
	        {'v', "2.2.0"},
	};
	struct pbx_result res = {
	        .amount = 1000,
	        .ref = "Cmd n\xc2\xb0"
	               "1/2",
	        .call_no = 12345678,
	        .trans_no = 987654,
	        .auth = "XY1234",
	        .subscription = "SUB9",
	        .card_type = "EUROCARD_MASTERCARD",
	        .expiry_yymm = "2812",
	        .error5 = "00000",
	        .tds_status = "Y",
	        .tds_shift = "O",
	        .imprint = "ABC",
	        .ip_country3 = "FRA",
	        .last2 = "44",
	        .bin6 = "555555",
	        .tds_enrolled = "Y",
	        .pay_type = "CARTE",
	        .token = "tok  2812  ---",
	        .country3 = "FRA",
	        .pay_index = "1-1",
	        .tds_version = "2.2.0",
	        .when_us = 1795185005000000LL, /* 2026-11-20T14:30:05Z */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char spec[16], want[64];
		struct pbx_retour r;
		char *s;
		size_t len;

		snprintf(spec, sizeof(spec), "x:%c;K:K", rows[i].code);
		assert_int_equal(pbx_retour_parse(&r, spec), ST_OK);
		s = pbx_retour_build(&r, &res, &len);
		snprintf(want, sizeof(want), "x=%s", rows[i].value);
		assert_string_equal(s, want);
		assert_int_equal(len, strlen(want));
		free(s);
	}
}

static void
test_retour_build(void **state)
{
	struct pbx_result refused = {.amount = 999, .ref = "A1", .error5 = "00105"};
	struct pbx_retour r;
	char *s, *k;
	size_t len, klen;

	(void)state;
	assert_int_equal(pbx_retour_parse(&r, "Mt:M;Ref:R;Auto:A;T:T;Erreur:E;W:W;Sign:K"), ST_OK);
	s = pbx_retour_build(&r, &refused, &len);
	/* A refusal: no authorisation, no call number, no instant. */
	assert_string_equal(s, "Mt=999&Ref=A1&Auto=&T=&Erreur=00105&W=");
	k = pbx_retour_append_sign(s, len, r.sign_name, "ab+/c=", &klen);
	assert_string_equal(k, "Mt=999&Ref=A1&Auto=&T=&Erreur=00105&W=&Sign=ab%2B%2Fc%3D");
	assert_int_equal(klen, strlen(k));
	free(k);
	free(s);
	k = pbx_retour_append_sign("", 0, "K", "x", &klen);
	assert_string_equal(k, "K=x");
	free(k);
}

/* W and Q across the summer-time change and midnight in Paris. */
static void
test_retour_time(void **state)
{
	static const struct {
		int64_t t_s;
		const char *want;
	} rows[] = {
	        {1774745999, "W=29032026&Q=01:59:59"}, /* 00:59:59Z, winter: +1 */
	        {1774746000, "W=29032026&Q=03:00:00"}, /* 01:00:00Z, summer: +2 */
	        {1767221999, "W=31122025&Q=23:59:59"}, /* 22:59:59Z */
	        {1767222000, "W=01012026&Q=00:00:00"},
	};
	struct pbx_retour r;

	(void)state;
	assert_int_equal(pbx_retour_parse(&r, "W:W;Q:Q"), ST_OK);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pbx_result res = {.when_us = rows[i].t_s * 1000000};
		char want[64], *s, *p;

		s = pbx_retour_build(&r, &res, NULL);
		snprintf(want, sizeof(want), "%s", rows[i].want);
		/* ':' is encoded in the answer. */
		for (p = strstr(s, "%3A"); p != NULL; p = strstr(s, "%3A")) {
			*p = ':';
			memmove(p + 1, p + 3, strlen(p + 3) + 1);
		}
		assert_string_equal(s, want);
		free(s);
	}
}

static void
test_urlencode(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} rows[] = {
	        {"", ""},
	        {"AZaz09-_.", "AZaz09-_."},
	        {" ", "%20"},
	        {"~", "%7E"},
	        {"+/=", "%2B%2F%3D"},
	        {"&=%?#", "%26%3D%25%3F%23"},
	        {"Visa Electron", "Visa%20Electron"},
	        {"\xc3\xa9", "%C3%A9"},
	        {"\x01\x7f\xff", "%01%7F%FF"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[64];

		assert_int_equal(pbx_urlencode(out, rows[i].in, strlen(rows[i].in)),
		                 strlen(rows[i].out));
		assert_string_equal(out, rows[i].out);
	}
}

static void
test_error_codes(void **state)
{
	static const struct {
		enum refusal r;
		const char *code;
	} rows[] = {
	        {REFUSAL_NONE, "00000"},
	        {REFUSAL_AMOUNT_BELOW_MIN, "00011"},
	        {REFUSAL_AMOUNT_ABOVE_MAX, "00011"},
	        {REFUSAL_CURRENCY, "00010"},
	        {REFUSAL_CONTRACT_INACTIVE, "00006"},
	        {REFUSAL_CARD_NOT_ALLOWED, "00021"},
	        {REFUSAL_CARD_EXPIRED, "00008"},
	        {REFUSAL_DECLINED, "00105"},
	        {REFUSAL_INSUFFICIENT_FUNDS, "00151"},
	        {REFUSAL_3DS_FAILED, "00040"},
	        {REFUSAL_AMOUNT_ABOVE_LIMIT, "00022"},
	        {REFUSAL_CARD_COUNTRY_BLOCKED, "00024"},
	        {REFUSAL_CUSTOMER_COUNTRY_BLOCKED, "00033"},
	        {REFUSAL_COUNTRY_MISMATCH, "00024"},
	        {REFUSAL_CARD_VELOCITY, "00023"},
	        {REFUSAL__COUNT, "00003"},
	        {(enum refusal) - 1, "00003"},
	};
	(void)state;
	/* Every refusal has its row: a new refusal must be given its code here. */
	assert_int_equal(sizeof(rows) / sizeof(rows[0]), REFUSAL__COUNT + 2);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_string_equal(pbx_error_code(rows[i].r), rows[i].code);
}

static void
test_card_types(void **state)
{
	(void)state;
	assert_string_equal(pbx_card_type(METHOD_NONE), "");
	assert_string_equal(pbx_card_type(METHOD_CB), "CB");
	assert_string_equal(pbx_card_type(METHOD_VISA), "VISA");
	assert_string_equal(pbx_card_type(METHOD_MASTERCARD), "EUROCARD_MASTERCARD");
	assert_string_equal(pbx_card_type(METHOD_EBLEUE), "E_CARD");
	assert_string_equal(pbx_card_type(METHOD_AMEX), "AMEX");
	assert_string_equal(pbx_card_type(METHOD_JCB), "JCB");
	assert_string_equal(pbx_card_type(METHOD_PAYPAL), "PAYPAL");
	assert_string_equal(pbx_card_type(METHOD__COUNT), "");
	assert_string_equal(pbx_pay_type(METHOD_VISA), "CARTE");
	assert_string_equal(pbx_pay_type(METHOD_PAYPAL), "PAYPAL");
	assert_string_equal(pbx_pay_type(METHOD_NONE), "");
}

/* PBX_TYPECARTE: its names, any case; CB takes its co-branded Visa and Mastercard cards. */
static void
test_card_asked(void **state)
{
	(void)state;
	assert_int_equal(pbx_card_method("CB"), METHOD_CB);
	assert_int_equal(pbx_card_method("visa"), METHOD_VISA);
	assert_int_equal(pbx_card_method("EUROCARD_MASTERCARD"), METHOD_MASTERCARD);
	assert_int_equal(pbx_card_method("AMEX"), METHOD_AMEX);
	assert_int_equal(pbx_card_method("MASTERCARD"), -1);
	assert_int_equal(pbx_card_method(""), -1);
	assert_int_equal(pbx_card_method(NULL), -1);
	assert_true(pbx_card_accepts(METHOD_CB, METHOD_CB));
	assert_true(pbx_card_accepts(METHOD_CB, METHOD_VISA));
	assert_true(pbx_card_accepts(METHOD_CB, METHOD_MASTERCARD));
	assert_false(pbx_card_accepts(METHOD_CB, METHOD_AMEX));
	assert_true(pbx_card_accepts(METHOD_AMEX, METHOD_AMEX));
	assert_false(pbx_card_accepts(METHOD_AMEX, METHOD_VISA));
	assert_false(pbx_card_accepts(METHOD_VISA, METHOD_CB));
}

/* The variables of a transaction: accepted with 3-D Secure, refused without. */
static void
test_result_of_txn(void **state)
{
	struct txn t;
	struct pbx_result res;
	struct pbx_result_text txt;
	struct pbx_retour r;
	char *s;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.id = 4242;
	t.status = TXS_ACCEPTED;
	t.method = METHOD_VISA;
	t.amount_initial = 1999;
	snprintf(t.card_masked, sizeof(t.card_masked), "411111******1234");
	snprintf(t.card_expiry, sizeof(t.card_expiry), "0730");
	snprintf(t.card_country, sizeof(t.card_country), "FR");
	snprintf(t.auth_number, sizeof(t.auth_number), "XY1234");
	t.tds = true;
	t.tds_auth = TDS_Y;
	t.tds_guaranteed = true;
	t.created_at = 1763645400000000LL; /* 2025-11-20T13:30:00Z: 14:30:00 in Paris */
	pbx_result_of_txn(&t, "CMD 1", &res, &txt);
	assert_int_equal(pbx_retour_parse(&r, "M:M;R:R;T:T;S:S;A:A;C:C;P:P;D:D;E:E;N:N;J:J;Y:Y;F:F;"
	                                      "G:G;O:O;v:v;Q:Q;W:W;I:I"),
	                 ST_OK);
	s = pbx_retour_build(&r, &res, NULL);
	assert_string_equal(s, "M=1999&R=CMD%201&T=4242&S=4242&A=XY1234&C=VISA&P=CARTE&D=3007&"
	                       "E=00000&N=411111&J=34&Y=FRA&F=Y&G=O&O=Y&v=2.2.0&Q=14%3A30%3A00&"
	                       "W=20112025&I=");
	free(s);
	t.status = TXS_REFUSED;
	t.refusal = REFUSAL_DECLINED;
	t.tds = false;
	snprintf(t.card_country, sizeof(t.card_country), "%s", "");
	pbx_result_of_txn(&t, "CMD 1", &res, &txt);
	s = pbx_retour_build(&r, &res, NULL);
	assert_string_equal(s, "M=1999&R=CMD%201&T=4242&S=4242&A=&C=VISA&P=CARTE&D=3007&"
	                       "E=00105&N=411111&J=34&Y=&F=&G=N&O=N&v=&Q=14%3A30%3A00&"
	                       "W=20112025&I=");
	free(s);
	/* Awaiting the issuer (research §1.7: 00099), then never answered (00001). */
	assert_int_equal(pbx_retour_parse(&r, "E:E;A:A"), ST_OK);
	t.refusal = REFUSAL_NONE;
	t.status = TXS_PENDING;
	pbx_result_of_txn(&t, "CMD 1", &res, &txt);
	s = pbx_retour_build(&r, &res, NULL);
	assert_string_equal(s, "E=00099&A=");
	free(s);
	t.status = TXS_ABANDONED;
	pbx_result_of_txn(&t, "CMD 1", &res, &txt);
	s = pbx_retour_build(&r, &res, NULL);
	assert_string_equal(s, "E=00001&A=");
	free(s);
}

static void
test_amounts(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} rows[] = {
	        {"1", ST_OK, 1},
	        {"999", ST_OK, 999},
	        {"001", ST_OK, 1},
	        {"0000001000", ST_OK, 1000},
	        {"00000000000000001000", ST_OK, 1000}, /* 20 digits */
	        {"000000000000000001000", ST_INVALID, 0},
	        {"99999999999", ST_OK, 99999999999LL},
	        {"100000000000", ST_INVALID, 0},
	        {"99999999999999999999", ST_INVALID, 0},
	        {"0", ST_INVALID, 0},
	        {"000", ST_INVALID, 0},
	        {"10.00", ST_INVALID, 0},
	        {"10,00", ST_INVALID, 0},
	        {"-1", ST_INVALID, 0},
	        {"+1", ST_INVALID, 0},
	        {" 1", ST_INVALID, 0},
	        {"1 ", ST_INVALID, 0},
	        {"1e3", ST_INVALID, 0},
	        {"", ST_INVALID, 0},
	        {NULL, ST_INVALID, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t v = -7;

		assert_int_equal(pbx_amount_parse(rows[i].s, &v), rows[i].rc);
		assert_int_equal(v, rows[i].rc == ST_OK ? rows[i].v : -7);
	}
}

static void
test_numbers(void **state)
{
	int64_t v = -1;

	(void)state;
	assert_int_equal(pbx_number_parse("0000000000", 9999999999LL, &v), ST_OK);
	assert_int_equal(v, 0);
	assert_int_equal(pbx_number_parse("9999999999", 9999999999LL, &v), ST_OK);
	assert_int_equal(v, 9999999999LL);
	assert_int_equal(pbx_number_parse("10000000000", 9999999999LL, &v), ST_INVALID);
	assert_int_equal(pbx_number_parse("032", 999, &v), ST_OK);
	assert_int_equal(v, 32);
	assert_int_equal(pbx_number_parse("1000", 999, &v), ST_INVALID);
	assert_int_equal(pbx_number_parse("", 999, &v), ST_INVALID);
	assert_int_equal(pbx_number_parse("1a", 999, &v), ST_INVALID);
}

static void
test_currencies(void **state)
{
	static const struct {
		const char *num;
		const char *alpha;
	} rows[] = {
	        {"978", "EUR"}, {"0978", "EUR"}, {"840", "USD"}, {"826", "GBP"},  {"756", "CHF"},
	        {"392", "JPY"}, {"953", "XPF"},  {"999", NULL},  {"000", NULL},   {"97", NULL},
	        {"EUR", NULL},  {"", NULL},      {"9780", NULL}, {"00978", NULL}, {"97 8", NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char alpha[4] = "---";

		if (rows[i].alpha == NULL) {
			assert_int_equal(pbx_currency_alpha(rows[i].num, alpha), ST_INVALID);
			assert_string_equal(alpha, "---");
		} else {
			assert_int_equal(pbx_currency_alpha(rows[i].num, alpha), ST_OK);
			assert_string_equal(alpha, rows[i].alpha);
		}
	}
}

static void
test_times(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t t_s;
	} rows[] = {
	        {"2011-02-28T11:01:50+01:00", ST_OK, 1298887310},
	        {"2011-02-28T10:01:50Z", ST_OK, 1298887310},
	        {"2011-02-28T10:01:50.000Z", ST_OK, 1298887310},
	        {"2011-02-28T10:01:50.123456789Z", ST_OK, 1298887310},
	        {"2011-02-28T10:01:50", ST_OK, 1298887310},
	        {"2011-02-28 10:01:50", ST_OK, 1298887310},
	        {"2011-02-28T11:01:50+0100", ST_OK, 1298887310},
	        {"2011-02-28T11:01:50+01", ST_OK, 1298887310},
	        {"2011-02-28T05:01:50-05:00", ST_OK, 1298887310},
	        {"1970-01-01T00:00:00Z", ST_OK, 0},
	        {"2024-02-29T00:00:00Z", ST_OK, 1709164800},
	        {"2023-02-29T00:00:00Z", ST_INVALID, 0},
	        {"2011-02-28T24:00:00Z", ST_INVALID, 0},
	        {"2011-02-28T10:60:00Z", ST_INVALID, 0},
	        {"2011-02-28T10:00:60Z", ST_INVALID, 0},
	        {"2011-13-01T10:00:00Z", ST_INVALID, 0},
	        {"2011-02-28T10:01:50.Z", ST_INVALID, 0},
	        {"2011-02-28T10:01:50+15:00", ST_INVALID, 0},
	        {"2011-02-28T10:01:50+01:0", ST_INVALID, 0},
	        {"2011-02-28T10:01:50ZZ", ST_INVALID, 0},
	        {"2011-02-28T10:01", ST_INVALID, 0},
	        {"2011-02-28", ST_INVALID, 0},
	        {"28/02/2011 10:01:50", ST_INVALID, 0},
	        {"1969-12-31T23:59:59Z", ST_INVALID, 0},
	        {"", ST_INVALID, 0},
	        {NULL, ST_INVALID, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t t = -7;

		assert_int_equal(pbx_time_parse(rows[i].s, &t), rows[i].rc);
		assert_int_equal(t, rows[i].rc == ST_OK ? rows[i].t_s * 1000000 : -7);
	}
}

/* PBX_DATEn: dd/mm/YYYY, a real date. */
static void
test_installment_dates(void **state)
{
	int64_t day;

	(void)state;
	assert_int_equal(pbx_date_parse("06/01/2027", &day), ST_OK);
	assert_int_equal(day, cal_days_from_civil(2027, 1, 6));
	assert_int_equal(pbx_date_parse("29/02/2028", &day), ST_OK);
	assert_int_equal(pbx_date_parse("29/02/2027", &day), ST_INVALID);
	assert_int_equal(pbx_date_parse("31/04/2027", &day), ST_INVALID);
	assert_int_equal(pbx_date_parse("2027-01-06", &day), ST_INVALID);
	assert_int_equal(pbx_date_parse("6/1/2027", &day), ST_INVALID);
	assert_int_equal(pbx_date_parse("06/01/27", &day), ST_INVALID);
	assert_int_equal(pbx_date_parse("0a/01/2027", &day), ST_INVALID);
	assert_int_equal(pbx_date_parse("", &day), ST_INVALID);
	assert_int_equal(pbx_date_parse(NULL, &day), ST_INVALID);
}

static void
test_dateq(void **state)
{
	int64_t t = 0;

	(void)state;
	/* 14/11/2023 22:20:00 in Paris (winter) is 21:20:00Z. */
	assert_int_equal(pbx_dateq_parse("14112023222000", &t), ST_OK);
	assert_int_equal(t, 1699996800LL * 1000000);
	/* 14/07/2023 12:00:00 in Paris (summer) is 10:00:00Z. */
	assert_int_equal(pbx_dateq_parse("14072023120000", &t), ST_OK);
	assert_int_equal(t, 1689328800LL * 1000000);
	assert_int_equal(pbx_dateq_parse("31022023120000", &t), ST_INVALID);
	assert_int_equal(pbx_dateq_parse("1407202312000", &t), ST_INVALID);
	assert_int_equal(pbx_dateq_parse("140720231200000", &t), ST_INVALID);
	assert_int_equal(pbx_dateq_parse("14072023250000", &t), ST_INVALID);
	assert_int_equal(pbx_dateq_parse("1407202312000a", &t), ST_INVALID);
	assert_int_equal(pbx_dateq_parse(NULL, &t), ST_INVALID);
}

static void
test_direct_answer(void **state)
{
	const struct pbx_answer_field f[] = {
	        {"NUMTRANS", "0000000012"},
	        {"NUMAPPEL", "0000000034"},
	        {"AUTORISATION", NULL},
	        {"CODEREPONSE", "00000"},
	        {"COMMENTAIRE", "Demande trait\xc3\xa9"
	                        "e a&b=c\n\xe2\x82\xac\xc2\x85"},
	};
	size_t len;
	char *s;

	(void)state;
	s = pbx_direct_answer(f, 5, &len);
	/* é in Latin-1 (0xE9); '&', '=' and the newline spaces; € (not Latin-1) a space, and so
	 * is the C1 control U+0085. */
	assert_string_equal(s, "NUMTRANS=0000000012&NUMAPPEL=0000000034&AUTORISATION=&CODEREPONSE="
	                       "00000&COMMENTAIRE=Demande trait\xe9"
	                       "e a b c   ");
	assert_int_equal(len, strlen(s));
	free(s);
	s = pbx_direct_answer(f, 0, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
}

static void
test_site_rang(void **state)
{
	static const struct {
		const char *site, *rang, *site7, *rang3;
	} rows[] = {
	        {"1999888", "001", "1999888", "001"},
	        {"1999888", "01", "1999888", "001"},
	        {"1999888", "1", "1999888", "001"},
	        {"0001999888", "32", "1999888", "032"},
	        {"1", "999", "0000001", "999"},
	        {"9999999", "0", "9999999", "000"},
	        {"10000000", "001", NULL, NULL},
	        {"1999888", "1000", NULL, NULL},
	        {"", "001", NULL, NULL},
	        {"1999888", "", NULL, NULL},
	        {"199 888", "001", NULL, NULL},
	        {"1999888", "-1", NULL, NULL},
	        {NULL, "001", NULL, NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char site7[8] = "", rang3[4] = "";
		int rc = pbx_site_rang(rows[i].site, rows[i].rang, site7, rang3);

		assert_int_equal(rc, rows[i].site7 ? ST_OK : ST_INVALID);
		if (rows[i].site7 != NULL) {
			assert_string_equal(site7, rows[i].site7);
			assert_string_equal(rang3, rows[i].rang3);
		}
	}
}

/* A Direct request's form, field by field: the code of each thing wrong, in the order they are
 * checked, and what a right one reads as. */
static void
test_direct_parse(void **state)
{
	static const char auth[] = "VERSION=00103&TYPE=00003&SITE=1999888&RANG=32&CLE=x"
	                           "&NUMQUESTION=0000000042&DATEQ=14112023222000&MONTANT=0000001500"
	                           "&DEVISE=978&REFERENCE=cmd+1&PORTEUR=4111+1111+1111+1111"
	                           "&DATEVAL=1230&CVV=123&DIFFERE=002";
	static const struct {
		const char *body;
		const char *code;
	} rows[] = {
	        {auth, NULL},
	        {"VERSION=00104&TYPE=00002&SITE=1999888&RANG=32&NUMQUESTION=1&MONTANT=10"
	         "&NUMAPPEL=0000000007&NUMTRANS=0000000007",
	         NULL},
	        {"VERSION=00104&TYPE=00014&SITE=1999888&RANG=32&NUMQUESTION=1&MONTANT=10"
	         "&NUMAPPEL=7",
	         NULL},
	        {"VERSION=00104&TYPE=00005&SITE=1999888&RANG=32&NUMQUESTION=1&MONTANT=10"
	         "&NUMTRANS=7",
	         NULL},
	        {"VERSION=00104&TYPE=00017&SITE=1999888&RANG=32&NUMQUESTION=1&NUMTRANS=7", NULL},
	        {"VERSION=00104&VERSION=00104&TYPE=00017", "00014"},
	        {"TYPE=00017", "00013"},
	        {"VERSION=00102&TYPE=00017", "00013"},
	        {"VERSION=00105&TYPE=00017", "00013"},
	        {"VERSION=00104", "00009"},
	        {"VERSION=00104&TYPE=00004", "00009"},
	        {"VERSION=00104&TYPE=00011", "00009"},
	        {"VERSION=00104&TYPE=00051", "00009"},
	        {"VERSION=00104&TYPE=00017&SITE=1999888", "00006"},
	        {"VERSION=00104&TYPE=00017&SITE=19998888&RANG=1", "00006"},
	        {"VERSION=00104&TYPE=00017&SITE=1999888&RANG=1", "00005"},
	        {"VERSION=00104&TYPE=00017&SITE=1999888&RANG=1&NUMQUESTION=0", "00005"},
	        {"VERSION=00104&TYPE=00017&SITE=1999888&RANG=1&NUMQUESTION=2147483648", "00005"},
	        {"VERSION=00104&TYPE=00017&SITE=1999888&RANG=1&NUMQUESTION=2147483647"
	         "&DATEQ=1411202322200",
	         "00007"},
	        {"VERSION=00104&TYPE=00017&SITE=1999888&RANG=1&NUMQUESTION=1&DATEQ=", "00018"},
	        {"VERSION=00104&TYPE=00002&SITE=1999888&RANG=1&NUMQUESTION=1&NUMTRANS=7", "00011"},
	        {"VERSION=00104&TYPE=00002&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&DEVISE=97&NUMTRANS=7",
	         "00010"},
	        {"VERSION=00104&TYPE=00002&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&NUMTRANS=7&NUMAPPEL=8",
	         "00018"},
	        {"VERSION=00104&TYPE=00002&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&NUMTRANS=0",
	         "00018"},
	        {"VERSION=00104&TYPE=00002&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&NUMTRANS=x",
	         "00018"},
	        {"VERSION=00103&TYPE=00001&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1", "00010"},
	        {"VERSION=00103&TYPE=00001&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&DEVISE=978",
	         "00012"},
	        {"VERSION=00103&TYPE=00001&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&DEVISE=978&REFERENCE=r&PORTEUR=4111111111111112",
	         "00004"},
	        {"VERSION=00103&TYPE=00001&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&DEVISE=978&REFERENCE=r&PORTEUR=4111111111111111&DATEVAL=123",
	         "00008"},
	        {"VERSION=00103&TYPE=00001&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&DEVISE=978&REFERENCE=r&PORTEUR=4111111111111111&DATEVAL=1230",
	         "00020"},
	        {"VERSION=00103&TYPE=00001&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&DEVISE=978&REFERENCE=r&PORTEUR=378282246310005&DATEVAL=1230&CVV=123",
	         "00020"}, /* American Express: 4 digits */
	        {"VERSION=00103&TYPE=00001&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&DEVISE=978&REFERENCE=r&PORTEUR=378282246310005&DATEVAL=1230&CVV=1234",
	         NULL},
	        {"VERSION=00103&TYPE=00001&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&DEVISE=978&REFERENCE=r&PORTEUR=4111111111111111&DATEVAL=1230&CVV=123"
	         "&DIFFERE=1",
	         "00014"},
	        {"VERSION=00103&TYPE=00003&SITE=1999888&RANG=1&NUMQUESTION=1&MONTANT=1"
	         "&DEVISE=978&REFERENCE=r&PORTEUR=4111111111111111&DATEVAL=1230&CVV=123"
	         "&DIFFERE=31",
	         "00014"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pbx_form f;
		struct pbx_direct d;
		const char *code, *comment = "unset";

		assert_int_equal(pbx_form_parse(&f, rows[i].body, strlen(rows[i].body)), ST_OK);
		code = pbx_direct_parse(&f, &d, &comment);
		if (rows[i].code == NULL) {
			assert_null(code);
			assert_null(comment);
		} else {
			assert_non_null(code);
			assert_string_equal(code, rows[i].code);
			assert_true(comment != NULL && comment[0] != '\0');
		}
		pbx_form_free(&f);
	}
}

static void
test_direct_parse_values(void **state)
{
	static const char body[] =
	        "VERSION=00103&TYPE=00003&SITE=1999888&RANG=32&CLE=x&NUMQUESTION=0000000042"
	        "&DATEQ=14112023222000&MONTANT=0000001500&DEVISE=0978&REFERENCE=cmd+1"
	        "&PORTEUR=5555555555554444&DATEVAL=0228&CVV=123&DIFFERE=002";
	struct pbx_form f;
	struct pbx_direct d;
	const char *comment;

	(void)state;
	assert_int_equal(pbx_form_parse(&f, body, strlen(body)), ST_OK);
	assert_null(pbx_direct_parse(&f, &d, &comment));
	assert_int_equal(d.version, 103);
	assert_int_equal(d.type, PBX_AUTHORIZE_CAPTURE);
	assert_string_equal(d.site, "1999888");
	assert_string_equal(d.rang, "032");
	assert_int_equal(d.numquestion, 42);
	assert_int_equal(d.dateq_us, 1699996800LL * 1000000);
	assert_int_equal(d.amount, 1500);
	assert_string_equal(d.currency, "EUR");
	assert_string_equal(d.reference, "cmd 1");
	assert_int_equal(d.method, METHOD_MASTERCARD);
	assert_string_equal(d.expiry, "0228");
	assert_int_equal(d.expiry_month, 2);
	assert_int_equal(d.expiry_year, 2028);
	assert_int_equal(d.deferral_days, 2);
	assert_int_equal(d.txn_id, 0);
	pbx_form_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_key_bytes),
	        cmocka_unit_test(test_system_vector),
	        cmocka_unit_test(test_direct_vector),
	        cmocka_unit_test(test_other_algorithms),
	        cmocka_unit_test(test_form),
	        cmocka_unit_test(test_form_limits),
	        cmocka_unit_test(test_duplicate),
	        cmocka_unit_test(test_retour_parse),
	        cmocka_unit_test(test_retour_max),
	        cmocka_unit_test(test_retour_codes),
	        cmocka_unit_test(test_retour_build),
	        cmocka_unit_test(test_retour_time),
	        cmocka_unit_test(test_urlencode),
	        cmocka_unit_test(test_error_codes),
	        cmocka_unit_test(test_card_types),
	        cmocka_unit_test(test_card_asked),
	        cmocka_unit_test(test_result_of_txn),
	        cmocka_unit_test(test_amounts),
	        cmocka_unit_test(test_numbers),
	        cmocka_unit_test(test_currencies),
	        cmocka_unit_test(test_times),
	        cmocka_unit_test(test_dateq),
	        cmocka_unit_test(test_installment_dates),
	        cmocka_unit_test(test_direct_answer),
	        cmocka_unit_test(test_site_rang),
	        cmocka_unit_test(test_direct_parse),
	        cmocka_unit_test(test_direct_parse_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
