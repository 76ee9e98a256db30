/*
 * opts.c - the client's option parser and value checks (opts.h). No I/O.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/i18n.h"
#include "cli/opts.h"
#include "domain/calendar.h"
#include "domain/money.h"

/* The spec named by arg's "--name" or "--name=…" (name_len bytes of it), or -1. */
static int
spec_find(const struct opt_spec *specs, size_t n, const char *name, size_t name_len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(specs[i].name) == name_len && memcmp(specs[i].name, name, name_len) == 0)
			return (int)i;
	return -1;
}

int
opts_parse(const struct opt_spec *specs, size_t n, int argc, char *const *argv, const char **out,
           char *err, size_t errlen)
{
	err[0] = '\0';
	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	for (int a = 0; a < argc; a++)
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
			return 1;
	for (int a = 0; a < argc; a++) {
		const char *arg = argv[a], *eq, *value = NULL;
		size_t name_len;
		int i;

		/* A one-letter option is also "-x" ("-o FILE"). */
		if (arg[0] == '-' && arg[1] != '-' && arg[1] != '\0' && arg[2] == '\0' &&
		    (i = spec_find(specs, n, arg + 1, 1)) >= 0) {
			eq = NULL;
			goto found;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			snprintf(err, errlen, _("unexpected argument '%s'"), arg);
			return -1;
		}
		eq = strchr(arg + 2, '=');
		name_len = eq != NULL ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
		i = spec_find(specs, n, arg + 2, name_len);
		if (i < 0) {
			snprintf(err, errlen, _("unknown option '%.*s'"), (int)(name_len + 2), arg);
			return -1;
		}
	found:
		if (out[i] != NULL) {
			snprintf(err, errlen, _("option --%s given twice"), specs[i].name);
			return -1;
		}
		if (specs[i].value == NULL) {
			if (eq != NULL) {
				snprintf(err, errlen, _("option --%s takes no value"),
				         specs[i].name);
				return -1;
			}
			out[i] = "";
			continue;
		}
		if (eq != NULL)
			value = eq + 1;
		else if (a + 1 < argc)
			value = argv[++a];
		if (value == NULL || value[0] == '\0') {
			snprintf(err, errlen, _("option --%s needs a value (%s)"), specs[i].name,
			         specs[i].value);
			return -1;
		}
		out[i] = value;
	}
	return 0;
}

/* The two digits at s as a number, or -1. */
static int
two_digits(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

bool
opts_date_ok(const char *v)
{
	char day[11];
	int64_t d;
	size_t len = strlen(v);

	if (len < 10)
		return false;
	memcpy(day, v, 10);
	day[10] = '\0';
	if (cal_date_parse(day, &d) != 0)
		return false;
	if (len == 10)
		return true;
	/* The server's own forms (src/api/filters.c, filter_when): THH:MM or THH:MM:SS. */
	if ((len != 16 && len != 19) || v[10] != 'T' || v[13] != ':')
		return false;
	if (two_digits(v + 11) < 0 || two_digits(v + 11) > 23 || two_digits(v + 14) < 0 ||
	    two_digits(v + 14) > 59)
		return false;
	if (len == 19 && (v[16] != ':' || two_digits(v + 17) < 0 || two_digits(v + 17) > 59))
		return false;
	return true;
}

/* The amount at p, in the major unit of a currency of exponent decimals, into *minor; v (the
 * whole option) and form (what it should look like) for the messages. */
static int
amount_parse(const char *v, const char *p, int exponent, const char *form, int64_t *minor,
             char *err, size_t errlen)
{
	int64_t whole = 0, part = 0;
	int decimals = 0, digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (whole > MONEY_AMOUNT_MAX) {
			snprintf(err, errlen, _("amount '%s' is too large"), v);
			return -1;
		}
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.' && digits > 0) {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++decimals > exponent) {
				snprintf(err, errlen,
				         ngettext("amount '%s' has more than %d decimal: the "
				                  "currency's "
				                  "smallest unit is the limit",
				                  "amount '%s' has more than %d decimals: the "
				                  "currency's "
				                  "smallest unit is the limit",
				                  (unsigned long)exponent),
				         v, exponent);
				return -1;
			}
			part = part * 10 + (*p - '0');
		}
		if (decimals == 0)
			digits = 0; /* "12." */
	}
	if (digits == 0 || *p != '\0') {
		snprintf(err, errlen,
		         _("amount '%s' is not an amount: %s in the currency's major unit"), v,
		         form);
		return -1;
	}
	for (int i = 0; i < exponent; i++) {
		whole *= 10;
		if (i >= decimals)
			part *= 10;
	}
	if (whole + part > MONEY_AMOUNT_MAX) {
		snprintf(err, errlen, _("amount '%s' is too large"), v);
		return -1;
	}
	*minor = whole + part;
	return 0;
}

int
opts_amount_filter(const char *v, int exponent, char *out, size_t cap, char *err, size_t errlen)
{
	static const char *const ops[] = {"eq:", "ge:", "le:", "ne:"};
	const char *op = "eq:", *p = v;
	int64_t minor;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(v, ops[i], 3) == 0) {
			op = ops[i];
			p = v + 3;
		}
	if (amount_parse(v, p, exponent, "[eq:|ge:|le:|ne:]12.34", &minor, err, errlen) != 0)
		return -1;
	if ((size_t)snprintf(out, cap, "%s%lld", op, (long long)minor) >= cap) {
		snprintf(err, errlen, _("amount '%s' is too long"), v);
		return -1;
	}
	return 0;
}

int
opts_amount(const char *v, int exponent, int64_t *minor, char *err, size_t errlen)
{
	if (amount_parse(v, v, exponent, "12.34", minor, err, errlen) != 0)
		return -1;
	if (*minor == 0) {
		snprintf(err, errlen, _("amount '%s' is zero"), v);
		return -1;
	}
	return 0;
}

int
opts_number(const char *v, long min, long max, long *n)
{
	char *end;
	long x;

	if (v[0] < '0' || v[0] > '9')
		return -1;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return -1;
	*n = x;
	return 0;
}

int
opts_port(const char *v, int *port)
{
	long n;

	if (opts_number(v, 1, 65535, &n) != 0)
		return -1;
	*port = (int)n;
	return 0;
}

bool
opts_name_ok(const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len > 64 || v[0] == '.')
		return false;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       len;
}

bool
opts_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "localhost") == 0;
}

bool
opts_last_digits_ok(const char *v)
{
	size_t len = strlen(v);

	return len >= 1 && len <= 4 && strspn(v, "0123456789") == len;
}
