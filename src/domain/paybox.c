/*
 * paybox.c - the wire format of the Paybox protocols (research/paybox-protocol.md): forms,
 * the message an HMAC signs, PBX_RETOUR, the codes, numbers and times. Pure C, no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/status.h"
#include "common/text.h"
#include "domain/calendar.h"
#include "domain/money.h"
#include "domain/paybox.h"
#include "domain/risk.h"

int
pbx_form_parse(struct pbx_form *out, const char *raw, size_t len)
{
	char *p;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	/* Every name and value decodes to at most its own length, plus two NULs a field. */
	out->mem_len = len + 2 * PBX_FIELDS_MAX + 2;
	out->mem = malloc(out->mem_len);
	if (out->mem == NULL)
		abort();
	p = out->mem;
	while (i < len) {
		size_t end = i, eq;
		long nl, vl;

		while (end < len && raw[end] != '&')
			end++;
		if (end == i) {
			i = end + 1;
			continue;
		}
		if (out->n == PBX_FIELDS_MAX)
			goto bad;
		eq = i;
		while (eq < end && raw[eq] != '=')
			eq++;
		nl = text_form_decode(p, eq - i + 1, raw + i, eq - i);
		if (nl <= 0)
			goto bad;
		out->f[out->n].name = p;
		out->f[out->n].name_len = (size_t)nl;
		p += nl + 1;
		vl = eq < end ? text_form_decode(p, end - eq, raw + eq + 1, end - eq - 1)
		              : text_form_decode(p, 1, "", 0);
		if (vl < 0)
			goto bad;
		out->f[out->n].value = p;
		out->f[out->n].value_len = (size_t)vl;
		p += vl + 1;
		out->n++;
		i = end + 1;
	}
	return ST_OK;
bad:
	pbx_form_free(out);
	return ST_INVALID;
}

void
pbx_form_free(struct pbx_form *f)
{
	if (f->mem != NULL)
		explicit_bzero(f->mem, f->mem_len);
	free(f->mem);
	memset(f, 0, sizeof(*f));
}

const struct pbx_field *
pbx_get(const struct pbx_form *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->f[i].name, name) == 0)
			return &f->f[i];
	return NULL;
}

bool
pbx_has_duplicate(const struct pbx_form *f, const char **which)
{
	/* At most PBX_FIELDS_MAX fields: the quadratic walk is a few thousand compares. */
	for (int i = 1; i < f->n; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(f->f[i].name, f->f[j].name) == 0) {
				if (which != NULL)
					*which = f->f[i].name;
				return true;
			}
	return false;
}

char *
pbx_signed_message(const struct pbx_form *f, const char *sig_name, size_t *len)
{
	size_t cap = 1, o = 0;
	char *s;

	for (int i = 0; i < f->n; i++)
		cap += f->f[i].name_len + f->f[i].value_len + 2;
	s = malloc(cap);
	if (s == NULL)
		abort();
	for (int i = 0; i < f->n; i++) {
		if (strcmp(f->f[i].name, sig_name) == 0)
			continue;
		if (o > 0)
			s[o++] = '&';
		memcpy(s + o, f->f[i].name, f->f[i].name_len);
		o += f->f[i].name_len;
		s[o++] = '=';
		memcpy(s + o, f->f[i].value, f->f[i].value_len);
		o += f->f[i].value_len;
	}
	s[o] = '\0';
	if (len != NULL)
		*len = o;
	return s;
}

bool
pbx_retour_code_known(char c)
{
	return c != '\0' && strchr("ABCDEFGHIJKMNOPQRSTUWYZv", c) != NULL;
}

static bool
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

int
pbx_retour_parse(struct pbx_retour *out, const char *spec)
{
	const char *p = spec;

	memset(out, 0, sizeof(*out));
	if (spec == NULL || *spec == '\0')
		return ST_INVALID;
	while (*p != '\0') {
		const char *colon = p;
		size_t nl;
		char code;

		if (out->sign)
			goto bad; /* K is the last variable (research §1.4) */
		while (name_char(*colon))
			colon++;
		nl = (size_t)(colon - p);
		if (nl == 0 || nl > PBX_NAME_MAX || *colon != ':')
			goto bad;
		code = colon[1];
		if (!pbx_retour_code_known(code) || (colon[2] != ';' && colon[2] != '\0'))
			goto bad;
		for (int i = 0; i < out->n; i++)
			if (strlen(out->v[i].name) == nl && memcmp(out->v[i].name, p, nl) == 0)
				goto bad;
		if (code == 'K') {
			memcpy(out->sign_name, p, nl);
			out->sign = true;
		} else {
			if (out->n == PBX_RETOUR_MAX)
				goto bad;
			memcpy(out->v[out->n].name, p, nl);
			out->v[out->n].code = code;
			out->n++;
		}
		p = colon + 2;
		if (*p == ';')
			p++;
	}
	return ST_OK;
bad:
	memset(out, 0, sizeof(*out));
	return ST_INVALID;
}

size_t
pbx_urlencode(char *out, const char *v, size_t v_len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < v_len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (name_char((char)c)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return o;
}

/* Writes v's decimal digits into out (21 bytes); "" for 0 (no number, see struct pbx_result). */
static const char *
num_text(int64_t v, char out[21])
{
	char tmp[21];
	int n = 0, o = 0;

	out[0] = '\0';
	if (v <= 0)
		return out;
	while (v > 0) {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	}
	while (n > 0)
		out[o++] = tmp[--n];
	out[o] = '\0';
	return out;
}

static void
two(char *o, int v)
{
	o[0] = (char)('0' + v / 10 % 10);
	o[1] = (char)('0' + v % 10);
}

/* The value of code c in res, in buf (32 bytes) when it is made here. */
static const char *
result_value(const struct pbx_result *res, char c, char buf[32])
{
	int64_t local_s, secs;
	int y, m, d;

	switch (c) {
	case 'M':
		return num_text(res->amount, buf);
	case 'R':
		return res->ref;
	case 'T':
		return num_text(res->call_no, buf);
	case 'S':
		return num_text(res->trans_no, buf);
	case 'A':
		return res->auth;
	case 'B':
		return res->subscription;
	case 'C':
		return res->card_type;
	case 'D':
		return res->expiry_yymm;
	case 'E':
		return res->error5;
	case 'F':
		return res->tds_status;
	case 'G':
		return res->tds_shift;
	case 'H':
		return res->imprint;
	case 'I':
		return res->ip_country3;
	case 'J':
		return res->last2;
	case 'N':
		return res->bin6;
	case 'O':
		return res->tds_enrolled;
	case 'P':
		return res->pay_type;
	case 'U':
		return res->token;
	case 'Y':
		return res->country3;
	case 'Z':
		return res->pay_index;
	case 'v':
		return res->tds_version;
	case 'Q':
	case 'W':
		if (res->when_us <= 0)
			return "";
		/* The wall time of the shop's country, as the back office shows it. */
		local_s = res->when_us / CAL_US_PER_S + cal_paris_offset(res->when_us);
		secs = local_s % 86400;
		if (c == 'Q') {
			two(buf, (int)(secs / 3600));
			buf[2] = ':';
			two(buf + 3, (int)(secs / 60 % 60));
			buf[5] = ':';
			two(buf + 6, (int)(secs % 60));
			buf[8] = '\0';
		} else {
			cal_civil_from_days(local_s / 86400, &y, &m, &d);
			two(buf, d);
			two(buf + 2, m);
			two(buf + 4, y / 100);
			two(buf + 6, y % 100);
			buf[8] = '\0';
		}
		return buf;
	default:
		return "";
	}
}

char *
pbx_retour_build(const struct pbx_retour *r, const struct pbx_result *res, size_t *len)
{
	const char *vals[PBX_RETOUR_MAX];
	char bufs[PBX_RETOUR_MAX][32];
	size_t cap = 1, o = 0;
	char *s;

	for (int i = 0; i < r->n; i++) {
		vals[i] = result_value(res, r->v[i].code, bufs[i]);
		if (vals[i] == NULL)
			vals[i] = "";
		cap += strlen(r->v[i].name) + 2 + 3 * strlen(vals[i]);
	}
	s = malloc(cap);
	if (s == NULL)
		abort();
	s[0] = '\0';
	for (int i = 0; i < r->n; i++) {
		size_t nl = strlen(r->v[i].name);

		if (i > 0)
			s[o++] = '&';
		memcpy(s + o, r->v[i].name, nl);
		o += nl;
		s[o++] = '=';
		o += pbx_urlencode(s + o, vals[i], strlen(vals[i]));
	}
	s[o] = '\0';
	if (len != NULL)
		*len = o;
	return s;
}

void
pbx_result_of_txn(const struct txn *t, const char *ref, struct pbx_result *res,
                  struct pbx_result_text *txt)
{
	size_t n = strlen(t->card_masked);

	memset(res, 0, sizeof(*res));
	memset(txt, 0, sizeof(*txt));
	res->amount = t->amount_initial;
	res->ref = ref;
	res->call_no = t->id;
	res->trans_no = t->id;
	res->auth = t->status == TXS_ACCEPTED ? t->auth_number : "";
	res->card_type = pbx_card_type(t->method);
	res->pay_type = pbx_pay_type(t->method);
	if (strlen(t->card_expiry) == 4) {
		memcpy(txt->expiry_yymm, t->card_expiry + 2, 2);
		memcpy(txt->expiry_yymm + 2, t->card_expiry, 2);
	}
	res->expiry_yymm = txt->expiry_yymm;
	/* research §1.7: 00099 waits for the issuer; one that never answered is as though the
	 * authorization centre could not be reached (00001). */
	res->error5 = t->status == TXS_PENDING     ? "00099"
	              : t->status == TXS_ABANDONED ? "00001"
	                                           : pbx_error_code(t->refusal);
	if (n >= 10) {
		memcpy(txt->bin6, t->card_masked, 6);
		memcpy(txt->last2, t->card_masked + n - 2, 2);
	}
	res->bin6 = txt->bin6;
	res->last2 = txt->last2;
	res->country3 = country_alpha3(t->card_country);
	if (t->tds) {
		snprintf(txt->tds_status, sizeof(txt->tds_status), "%s",
		         tds_auth_name(t->tds_auth));
		res->tds_status = txt->tds_status;
		res->tds_shift = t->tds_guaranteed ? "O" : "N";
		res->tds_enrolled = "Y";
		res->tds_version = "2.2.0";
	} else {
		res->tds_shift = "N";
		res->tds_enrolled = "N";
	}
	res->when_us = t->created_at;
}

char *
pbx_retour_append_sign(const char *s, size_t s_len, const char *sign_name, const char *b64,
                       size_t *len)
{
	size_t nl = strlen(sign_name), bl = strlen(b64), o = s_len;
	char *out = malloc(s_len + nl + 3 * bl + 3);

	if (out == NULL)
		abort();
	memcpy(out, s, s_len);
	if (s_len > 0)
		out[o++] = '&';
	memcpy(out + o, sign_name, nl);
	o += nl;
	out[o++] = '=';
	o += pbx_urlencode(out + o, b64, bl);
	if (len != NULL)
		*len = o;
	return out;
}

const char *
pbx_error_code(enum refusal r)
{
	/* research §1.7 and §2.4. Guichet's own rules take the code that names them; the
	 * issuer's answers are 001xx with the ISO 8583 response code (05 "do not honour", 51
	 * "insufficient funds"), as Paybox passes the bank's on. */
	static const char *const codes[REFUSAL__COUNT] = {
	        [REFUSAL_NONE] = "00000",
	        [REFUSAL_AMOUNT_BELOW_MIN] = "00011",
	        [REFUSAL_AMOUNT_ABOVE_MAX] = "00011",
	        [REFUSAL_CURRENCY] = "00010",
	        [REFUSAL_CONTRACT_INACTIVE] = "00006",
	        [REFUSAL_CARD_NOT_ALLOWED] = "00021",
	        [REFUSAL_CARD_EXPIRED] = "00008",
	        [REFUSAL_DECLINED] = "00105",
	        [REFUSAL_INSUFFICIENT_FUNDS] = "00151",
	        [REFUSAL_3DS_FAILED] = "00040",
	        [REFUSAL_AMOUNT_ABOVE_LIMIT] = "00022",
	        [REFUSAL_CARD_COUNTRY_BLOCKED] = "00024",
	        [REFUSAL_CUSTOMER_COUNTRY_BLOCKED] = "00033",
	        [REFUSAL_COUNTRY_MISMATCH] = "00024",
	        [REFUSAL_CARD_VELOCITY] = "00023",
	};

	if ((int)r < 0 || r >= REFUSAL__COUNT || codes[r] == NULL)
		return "00003"; /* "Paybox error": a refusal this table does not know yet */
	return codes[r];
}

const char *
pbx_card_type(enum card_method m)
{
	/* research §1.4, C: Paybox's names, MASTERCARD as EUROCARD_MASTERCARD. */
	static const char *const names[METHOD__COUNT] = {
	        [METHOD_NONE] = "",         [METHOD_CB] = "CB",
	        [METHOD_VISA] = "VISA",     [METHOD_MASTERCARD] = "EUROCARD_MASTERCARD",
	        [METHOD_EBLEUE] = "E_CARD", [METHOD_AMEX] = "AMEX",
	        [METHOD_JCB] = "JCB",       [METHOD_PAYPAL] = "PAYPAL",
	};

	if ((int)m < 0 || m >= METHOD__COUNT)
		return "";
	return names[m];
}

int
pbx_card_method(const char *name)
{
	for (int m = METHOD_NONE + 1; m < METHOD__COUNT; m++)
		if (name != NULL && strcasecmp(name, pbx_card_type((enum card_method)m)) == 0)
			return m;
	return -1;
}

bool
pbx_card_accepts(enum card_method asked, enum card_method card)
{
	if (asked == METHOD_CB)
		return card == METHOD_CB || card == METHOD_VISA || card == METHOD_MASTERCARD;
	return asked == card;
}

const char *
pbx_pay_type(enum card_method m)
{
	if (m == METHOD_NONE || (int)m < 0 || m >= METHOD__COUNT)
		return "";
	return m == METHOD_PAYPAL ? "PAYPAL" : "CARTE";
}

/* Reads 1..PBX_AMOUNT_DIGITS digits of s, all of it, into *out when they are at most max. */
static int
digits_parse(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return ST_INVALID;
	for (; s[n] != '\0'; n++) {
		if (s[n] < '0' || s[n] > '9' || n == PBX_AMOUNT_DIGITS)
			return ST_INVALID;
		if (v > (max - (s[n] - '0')) / 10)
			return ST_INVALID;
		v = v * 10 + (s[n] - '0');
	}
	*out = v;
	return ST_OK;
}

int
pbx_amount_parse(const char *s, int64_t *out)
{
	int64_t v;

	if (digits_parse(s, MONEY_AMOUNT_MAX, &v) != ST_OK || v < 1)
		return ST_INVALID;
	*out = v;
	return ST_OK;
}

int
pbx_number_parse(const char *s, int64_t max, int64_t *out)
{
	return digits_parse(s, max, out);
}

int
pbx_currency_alpha(const char *numeric, char alpha[4])
{
	const struct currency *cur;
	int64_t v;

	if (digits_parse(numeric, 999, &v) != ST_OK || strlen(numeric) > 4)
		return ST_INVALID;
	cur = money_currency_find_numeric((int)v);
	if (cur == NULL)
		return ST_INVALID;
	memcpy(alpha, cur->code, 4);
	return ST_OK;
}

/* n digits of s into *v; false if one is not a digit. */
static bool
fixed_digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static bool
civil_ok(int y, int mo, int d, int h, int mi, int se)
{
	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= cal_month_days(y, mo) && h <= 23 && mi <= 59 && se <= 59;
}

int
pbx_time_parse(const char *s, int64_t *out_us)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	const char *p;

	if (s == NULL || strlen(s) < 19)
		return ST_INVALID;
	if (!fixed_digits(s, 4, &y) || s[4] != '-' || !fixed_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !fixed_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
	    !fixed_digits(s + 11, 2, &h) || s[13] != ':' || !fixed_digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !fixed_digits(s + 17, 2, &se))
		return ST_INVALID;
	if (!civil_ok(y, mo, d, h, mi, se))
		return ST_INVALID;
	p = s + 19;
	if (*p == '.' || *p == ',') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n == 0 || n > 9)
			return ST_INVALID;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (!fixed_digits(p, 2, &oh))
			return ST_INVALID;
		p += 2;
		if (*p == ':')
			p++;
		if (*p != '\0') {
			if (!fixed_digits(p, 2, &om))
				return ST_INVALID;
			p += 2;
		}
		if (oh > 14 || om > 59)
			return ST_INVALID;
	}
	if (*p != '\0')
		return ST_INVALID;
	*out_us = ((cal_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) -
	           (int64_t)sign * (oh * 3600 + om * 60)) *
	          CAL_US_PER_S;
	return ST_OK;
}

int
pbx_date_parse(const char *s, int64_t *day)
{
	char iso[11];

	if (s == NULL || strlen(s) != 10 || s[2] != '/' || s[5] != '/')
		return ST_INVALID;
	/* "dd/mm/YYYY" → "YYYY-MM-DD", whose parser checks the digits and the date. */
	memcpy(iso, s + 6, 4);
	iso[4] = '-';
	memcpy(iso + 5, s + 3, 2);
	iso[7] = '-';
	memcpy(iso + 8, s, 2);
	iso[10] = '\0';
	return cal_date_parse(iso, day) == 0 ? ST_OK : ST_INVALID;
}

int
pbx_dateq_parse(const char *s, int64_t *out_us)
{
	int d, mo, y, h, mi, se;

	if (s == NULL || strlen(s) != 14 || !fixed_digits(s, 2, &d) ||
	    !fixed_digits(s + 2, 2, &mo) || !fixed_digits(s + 4, 4, &y) ||
	    !fixed_digits(s + 8, 2, &h) || !fixed_digits(s + 10, 2, &mi) ||
	    !fixed_digits(s + 12, 2, &se) || !civil_ok(y, mo, d, h, mi, se))
		return ST_INVALID;
	*out_us = cal_business_time(cal_days_from_civil(y, mo, d), h * 3600 + mi * 60 + se);
	return ST_OK;
}

/* Appends v to s as Latin-1 without the bytes that would break the answer (see the header). */
static size_t
latin1_put(char *s, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t o = 0;

	while (*p != '\0') {
		unsigned c = *p;

		if (c < 0x80) {
			s[o++] = (c < 0x20 || c == 0x7f || c == '&' || c == '=') ? ' ' : (char)c;
			p++;
		} else if ((c == 0xc2 || c == 0xc3) && (p[1] & 0xc0) == 0x80) {
			unsigned l = ((c & 0x1f) << 6) | (p[1] & 0x3f);

			s[o++] = l < 0xa0 ? ' ' : (char)l; /* C1 controls are controls too */
			p += 2;
		} else {
			/* Beyond Latin-1, or not UTF-8: a space for the character's bytes. */
			p++;
			while ((*p & 0xc0) == 0x80)
				p++;
			s[o++] = ' ';
		}
	}
	return o;
}

char *
pbx_direct_answer(const struct pbx_answer_field *fields, int n, size_t *len)
{
	size_t cap = 1, o = 0;
	char *s;

	for (int i = 0; i < n; i++)
		cap += strlen(fields[i].name) + 2 + (fields[i].value ? strlen(fields[i].value) : 0);
	s = malloc(cap);
	if (s == NULL)
		abort();
	for (int i = 0; i < n; i++) {
		size_t nl = strlen(fields[i].name);

		if (i > 0)
			s[o++] = '&';
		memcpy(s + o, fields[i].name, nl);
		o += nl;
		s[o++] = '=';
		if (fields[i].value != NULL)
			o += latin1_put(s + o, fields[i].value);
	}
	s[o] = '\0';
	if (len != NULL)
		*len = o;
	return s;
}

int
pbx_site_rang(const char *site, const char *rang, char site7[8], char rang3[4])
{
	int64_t s, r;

	if (pbx_number_parse(site, 9999999, &s) != ST_OK ||
	    pbx_number_parse(rang, 999, &r) != ST_OK)
		return ST_INVALID;
	for (int i = 6; i >= 0; i--, s /= 10)
		site7[i] = (char)('0' + s % 10);
	site7[7] = '\0';
	for (int i = 2; i >= 0; i--, r /= 10)
		rang3[i] = (char)('0' + r % 10);
	rang3[3] = '\0';
	return ST_OK;
}

/* The value of a field, or NULL. */
static const char *
value_of(const struct pbx_form *f, const char *name)
{
	const struct pbx_field *v = pbx_get(f, name);

	return v != NULL ? v->value : NULL;
}

#define DIRECT_FAIL(code, text)                                                                    \
	do {                                                                                       \
		*comment = text;                                                                   \
		return code;                                                                       \
	} while (0)

const char *
pbx_direct_parse(const struct pbx_form *f, struct pbx_direct *out, const char **comment)
{
	const char *v;
	int64_t n;
	bool authorizes;

	memset(out, 0, sizeof(*out));
	out->deferral_days = -1;
	if (pbx_has_duplicate(f, NULL))
		DIRECT_FAIL("00014", "A field is given twice.");
	if (pbx_number_parse(value_of(f, "VERSION"), 99999, &n) != ST_OK || (n != 103 && n != 104))
		DIRECT_FAIL("00013", "VERSION must be 00103 or 00104.");
	out->version = (int)n;
	if (pbx_number_parse(value_of(f, "TYPE"), 99999, &n) != ST_OK)
		DIRECT_FAIL("00009", "TYPE is missing or not a number.");
	switch (n) {
	case PBX_AUTHORIZE:
	case PBX_CAPTURE:
	case PBX_AUTHORIZE_CAPTURE:
	case PBX_CANCEL:
	case PBX_REFUND:
	case PBX_INQUIRY:
		out->type = (enum pbx_direct_type)n;
		break;
	case PBX_CREDIT:
		DIRECT_FAIL("00009", "Credit without a debit is not supported: refund the debit "
		                     "(TYPE 00014).");
	default:
		DIRECT_FAIL("00009", "This TYPE is not supported.");
	}
	if (pbx_site_rang(value_of(f, "SITE"), value_of(f, "RANG"), out->site, out->rang) != ST_OK)
		DIRECT_FAIL("00006", "SITE or RANG is missing or malformed.");
	if (pbx_number_parse(value_of(f, "NUMQUESTION"), 2147483647, &out->numquestion) != ST_OK ||
	    out->numquestion < 1)
		DIRECT_FAIL("00005", "NUMQUESTION must be a number from 1 to 2147483647.");
	v = value_of(f, "DATEQ");
	if (v != NULL && v[0] != '\0' && pbx_dateq_parse(v, &out->dateq_us) != ST_OK)
		DIRECT_FAIL("00007", "DATEQ must be ddmmYYYYHHMMSS.");
	authorizes = out->type == PBX_AUTHORIZE || out->type == PBX_AUTHORIZE_CAPTURE;
	if (out->type != PBX_INQUIRY &&
	    pbx_amount_parse(value_of(f, "MONTANT"), &out->amount) != ST_OK)
		DIRECT_FAIL("00011", "MONTANT must be an amount in minor units, 1 or more.");
	v = value_of(f, "DEVISE");
	if ((v != NULL || authorizes) && pbx_currency_alpha(v, out->currency) != ST_OK)
		DIRECT_FAIL("00010", "DEVISE must be a supported ISO 4217 numeric code, e.g. 978.");
	v = value_of(f, "REFERENCE");
	if (v != NULL && strlen(v) > PBX_DIRECT_REF_MAX)
		DIRECT_FAIL("00012", "REFERENCE must be 1 to 250 bytes.");
	if (v != NULL)
		memcpy(out->reference, v, strlen(v) + 1);
	if (authorizes) {
		char digits[CARD_DIGITS_MAX + 1];
		bool ok;

		if (out->reference[0] == '\0')
			DIRECT_FAIL("00012", "REFERENCE must be 1 to 250 bytes.");
		v = value_of(f, "PORTEUR");
		ok = v != NULL && card_number_normalize(v, digits) == 0 &&
		     card_luhn_valid(digits) &&
		     (out->method = card_method_detect(digits)) != METHOD_NONE;
		memset(digits, 0, sizeof(digits));
		if (!ok)
			DIRECT_FAIL("00004", "PORTEUR is not a valid card number.");
		v = value_of(f, "DATEVAL");
		if (v == NULL || strlen(v) != 4 ||
		    card_expiry_parse(v, &out->expiry_month, &out->expiry_year) != 0)
			DIRECT_FAIL("00008", "DATEVAL must be MMYY.");
		memcpy(out->expiry, v, 5);
		v = value_of(f, "CVV");
		if (v == NULL || strspn(v, "0123456789") != strlen(v) ||
		    strlen(v) != (out->method == METHOD_AMEX ? 4u : 3u))
			DIRECT_FAIL("00020", "CVV must be 3 digits (4 for American Express).");
		v = value_of(f, "DIFFERE");
		if (v != NULL && v[0] != '\0') {
			if (out->type != PBX_AUTHORIZE_CAPTURE ||
			    pbx_number_parse(v, TXN_DEFERRAL_MAX, &n) != ST_OK)
				DIRECT_FAIL("00014",
				            "DIFFERE must be 0 to 30 days, with TYPE 00003.");
			out->deferral_days = (int)n;
		}
	} else {
		int64_t call = 0;

		/* Both numbers name the transaction (enum pbx_direct_type): either will do, two
		 * must agree. */
		v = value_of(f, "NUMTRANS");
		if (v != NULL && pbx_number_parse(v, 9999999999LL, &out->txn_id) != ST_OK)
			DIRECT_FAIL("00018", "NUMTRANS must be a transaction number.");
		v = value_of(f, "NUMAPPEL");
		if (v != NULL && pbx_number_parse(v, 9999999999LL, &call) != ST_OK)
			DIRECT_FAIL("00018", "NUMAPPEL must be a transaction number.");
		if (out->txn_id == 0)
			out->txn_id = call;
		if (out->txn_id == 0 || (call != 0 && call != out->txn_id))
			DIRECT_FAIL("00018", "NUMTRANS and NUMAPPEL must name one transaction.");
	}
	*comment = NULL;
	return NULL;
}
