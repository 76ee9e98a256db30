/*
 * fuzz_paybox.c - the Paybox wire format (src/domain/paybox.c): a form as a module posts it
 * (Paybox System's PBX_* fields, a Paybox Direct request), its PBX_RETOUR, its PBX_TIME. The
 * input is "FORM", or "FORM" NUL "PBX_RETOUR". Held to paybox.h rather than to "does not
 * crash", by checks written apart from the code:
 * - a form is taken exactly when its '&'-separated pieces (empty ones skipped) are at most
 *   PBX_FIELDS_MAX, each with a non-empty name, every '%' followed by two hex digits, and no
 *   NUL once decoded; its fields are then those pieces decoded ('+' a space), in order, and
 *   the message an HMAC signs is them joined, HMAC left out;
 * - a Direct request read without a code has a VERSION of 103 or 104, a 7-digit SITE, a
 *   3-digit RANG, a NUMQUESTION of 1..2147483647; with one, a 5-character code "000xx";
 * - a PBX_RETOUR taken builds "name=value" pairs, one per variable, in order, each value
 *   percent-encoded with only A-Z a-z 0-9 - _ . and %XX, decoding back to the value given;
 * - a PBX_TIME taken is an instant between 1970 and the end of 9999 (± 15 hours).
 */
#include <stdbool.h>

#include "common/status.h"
#include "common/text.h"
#include "domain/paybox.h"
#include "fuzz.h"

/* Decodes s[0..n) into out (n + 1 bytes); -1 when it does not read. */
static long
decode(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || text_hex_digit((char)s[i + 1]) < 0 ||
			    text_hex_digit((char)s[i + 2]) < 0)
				return -1;
			c = text_hex_digit((char)s[i + 1]) * 16 + text_hex_digit((char)s[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

static void
check_form(const char *raw, size_t len)
{
	struct pbx_form f;
	char *name = malloc(len + 1), *value = malloc(len + 1), *msg, *want = malloc(2 * len + 2);
	size_t i = 0, wl = 0;
	int n = 0, rc = pbx_form_parse(&f, raw, len);
	bool ok = true;

	if (name == NULL || value == NULL || want == NULL)
		abort();
	while (i < len && ok) {
		size_t end = i, eq;
		long nl, vl;

		while (end < len && raw[end] != '&')
			end++;
		if (end == i) {
			i++;
			continue;
		}
		for (eq = i; eq < end && raw[eq] != '='; eq++)
			;
		nl = decode(raw + i, eq - i, name);
		vl = eq < end ? decode(raw + eq + 1, end - eq - 1, value) : decode("", 0, value);
		if (nl <= 0 || vl < 0 || n == PBX_FIELDS_MAX) {
			ok = false;
			break;
		}
		if (rc == ST_OK) {
			FUZZ_CHECK(n < f.n && f.f[n].name_len == (size_t)nl &&
			                   memcmp(f.f[n].name, name, (size_t)nl) == 0 &&
			                   f.f[n].value_len == (size_t)vl &&
			                   memcmp(f.f[n].value, value, (size_t)vl) == 0,
			           "field %d of the form", n);
			if (strcmp(name, "HMAC") != 0) {
				if (wl > 0)
					want[wl++] = '&';
				memcpy(want + wl, name, (size_t)nl);
				wl += (size_t)nl;
				want[wl++] = '=';
				memcpy(want + wl, value, (size_t)vl);
				wl += (size_t)vl;
			}
		}
		n++;
		i = end + 1;
	}
	FUZZ_CHECK((rc == ST_OK) == ok, "pbx_form_parse gave %d", rc);
	if (rc == ST_OK) {
		struct pbx_direct d;
		const char *code, *comment;
		size_t ml;

		FUZZ_CHECK(f.n == n, "%d fields, not %d", f.n, n);
		msg = pbx_signed_message(&f, "HMAC", &ml);
		FUZZ_CHECK(ml == wl && memcmp(msg, want, wl) == 0, "the signed message");
		free(msg);
		code = pbx_direct_parse(&f, &d, &comment);
		if (code == NULL) {
			FUZZ_CHECK((d.version == 103 || d.version == 104) && strlen(d.site) == 7 &&
			                   strlen(d.rang) == 3 && d.numquestion >= 1 &&
			                   d.numquestion <= 2147483647,
			           "a Direct request read");
		} else {
			FUZZ_CHECK(strlen(code) == 5 && strncmp(code, "000", 3) == 0 &&
			                   comment != NULL && comment[0] != '\0',
			           "the code %s", code);
		}
		pbx_form_free(&f);
	}
	free(name);
	free(value);
	free(want);
}

static void
check_retour(const char *spec, const char *v)
{
	struct pbx_result res = {.amount = 1, .ref = v, .auth = v, .card_type = v, .error5 = v};
	struct pbx_retour r;
	char *s, *p, *dec;
	int n = 0;

	if (pbx_retour_parse(&r, spec) != ST_OK)
		return;
	s = pbx_retour_build(&r, &res, NULL);
	dec = malloc(strlen(s) + 1);
	if (dec == NULL)
		abort();
	p = s;
	for (n = 0; n < r.n; n++) {
		char *amp = strchr(p, '&'), *eq;
		size_t nl = strlen(r.v[n].name);

		FUZZ_CHECK((amp == NULL) == (n == r.n - 1), "pair %d of %d in \"%s\"", n, r.n,
		           spec);
		if (amp != NULL)
			*amp = '\0';
		eq = p + nl;
		FUZZ_CHECK(strncmp(p, r.v[n].name, nl) == 0 && *eq == '=', "pair %d of \"%s\"", n,
		           spec);
		FUZZ_CHECK(strspn(eq + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                          "0123456789-_.%") == strlen(eq + 1),
		           "value %d unencoded", n);
		FUZZ_CHECK(decode(eq + 1, strlen(eq + 1), dec) >= 0, "value %d decodes", n);
		if (strchr("RACE", r.v[n].code) != NULL)
			FUZZ_CHECK(strcmp(dec, v) == 0, "value %d decodes back", n);
		if (amp != NULL)
			p = amp + 1;
	}
	FUZZ_CHECK(r.n > 0 || s[0] == '\0', "nothing to return, \"%s\" returned", s);
	FUZZ_CHECK(n == r.n, "%d pairs for %d variables", n, r.n);
	free(dec);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	size_t first = strlen(text);
	int64_t t;

	check_form((const char *)data, size);
	if (pbx_time_parse(text, &t) == ST_OK)
		FUZZ_CHECK(t >= -15LL * 3600 * 1000000 &&
		                   t < 253402300800LL * 1000000 + 15LL * 3600 * 1000000,
		           "PBX_TIME %s", text);
	if (first < size)
		check_retour(text + first + 1, text);
	free(text);
	return 0;
}
