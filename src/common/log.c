/*
 * log.c - the event log: one line per event, written with one call so lines of different
 * threads never interleave.
 *
 * Every %s value is escaped as it is written (the format's literal text is the program's,
 * the values may come from outside): no value can end the line, start another event or
 * pass as another key. Numbers are printed as they are.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "common/log.h"
#include "common/text.h"

static enum log_level min_level = LOG_INFO;

void
log_set_level(enum log_level level)
{
	min_level = level;
}

bool
log_enabled(enum log_level level)
{
	return level >= min_level;
}

/* A line being written: at most cap - 1 bytes, the rest dropped. */
struct line {
	char *p;
	size_t n, cap;
};

static void
put(struct line *l, const char *s, size_t len)
{
	if (len > l->cap - 1 - l->n)
		len = l->cap - 1 - l->n;
	memcpy(l->p + l->n, s, len);
	l->n += len;
}

/* Whether the byte may stand in a bare value (key=value) as it is. */
static bool
bare_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

/* Writes the value s (len bytes). In quotes (the format has a quote before it): quotes and
 * backslashes escaped. Bare: as it is when every byte may stand bare, else in quotes. Either
 * way, controls, the Unicode characters that reorder or break a line (text.h) and bytes that
 * are not UTF-8 are written as \n, \r, \t, \xNN or \uNNNN. */
static void
put_value(struct line *l, const char *s, size_t len, bool quoted)
{
	bool quote = false;
	char esc[16];
	uint32_t cp;
	size_t i, k;

	for (i = 0; !quoted && i < len; i++)
		quote = quote || !bare_ok((unsigned char)s[i]);
	if (!quoted && len == 0)
		quote = true; /* key="" rather than key= */
	if (quote)
		put(l, "\"", 1);
	for (i = 0; i < len; i += k) {
		k = text_utf8_next(s + i, len - i, &cp);
		if (k == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)s[i]);
			put(l, esc, strlen(esc));
			k = 1;
		} else if (cp == '"' || cp == '\\') {
			put(l, cp == '"' ? "\\\"" : "\\\\", 2);
		} else if (text_cp_unsafe(cp)) {
			if (cp == '\n' || cp == '\r' || cp == '\t')
				put(l, cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : "\\t", 2);
			else if (cp < 0x80)
				snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)cp);
			else
				snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
			if (cp != '\n' && cp != '\r' && cp != '\t')
				put(l, esc, strlen(esc));
		} else {
			put(l, s + i, k);
		}
	}
	if (quote)
		put(l, "\"", 1);
}

/* printf's work for the line: the conversions the format attribute lets callers write
 * (flags, width and precision, * included; hh h l ll z j t; d i u o x X c s p f e g %). */
static void
put_format(struct line *l, const char *fmt, va_list ap)
{
	char spec[32], tmp[512];
	const char *f = fmt, *start;

	while (*f != '\0') {
		size_t lit = strcspn(f, "%"), sn = 0;
		int width = -1, prec = -1, m = 0;
		char len[3] = "", conv;

		put(l, f, lit);
		f += lit;
		if (*f == '\0')
			break;
		start = f++;
		spec[sn++] = '%';
		while (*f != '\0' && strchr("-+ #0", *f) != NULL && sn < 8)
			spec[sn++] = *f++;
		if (*f == '*') {
			width = va_arg(ap, int);
			f++;
		} else {
			while (*f >= '0' && *f <= '9')
				width = (width < 0 ? 0 : width * 10) + (*f++ - '0');
		}
		if (*f == '.') {
			f++;
			prec = 0;
			if (*f == '*') {
				prec = va_arg(ap, int);
				f++;
			} else {
				while (*f >= '0' && *f <= '9')
					prec = prec * 10 + (*f++ - '0');
			}
		}
		while (*f != '\0' && strchr("hlzjt", *f) != NULL && m < 2)
			len[m++] = *f++;
		conv = *f != '\0' ? *f++ : '%';
		if (width >= 0)
			sn += (size_t)snprintf(spec + sn, sizeof(spec) - sn, "%d", width);
		if (prec >= 0)
			sn += (size_t)snprintf(spec + sn, sizeof(spec) - sn, ".%d", prec);
		if (conv != 's') /* the length modifier is read below, by type */
			sn += (size_t)snprintf(spec + sn, sizeof(spec) - sn, "%s%c", len, conv);
		spec[sn] = '\0';
		tmp[0] = '\0';
		switch (conv) {
		case 'd':
		case 'i':
			if (strcmp(len, "ll") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, long long));
			else if (strcmp(len, "l") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, long));
			else if (strcmp(len, "z") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, ssize_t));
			else if (strcmp(len, "j") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, intmax_t));
			else if (strcmp(len, "t") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, ptrdiff_t));
			else
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, int));
			break;
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			if (strcmp(len, "ll") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, unsigned long long));
			else if (strcmp(len, "l") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, unsigned long));
			else if (strcmp(len, "z") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, size_t));
			else if (strcmp(len, "j") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, uintmax_t));
			else if (strcmp(len, "t") == 0)
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, ptrdiff_t));
			else
				snprintf(tmp, sizeof(tmp), spec, va_arg(ap, unsigned));
			break;
		case 'c':
			snprintf(tmp, sizeof(tmp), spec, va_arg(ap, int));
			break;
		case 'p':
			snprintf(tmp, sizeof(tmp), spec, va_arg(ap, void *));
			break;
		case 'f':
		case 'e':
		case 'g':
			snprintf(tmp, sizeof(tmp), spec, va_arg(ap, double));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t n;

			if (s == NULL)
				s = "(null)";
			n = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
			put_value(l, s, n, start > fmt && start[-1] == '"');
			continue;
		}
		default: /* "%%", or a conversion the format attribute would have refused */
			snprintf(tmp, sizeof(tmp), "%c", conv);
			break;
		}
		put(l, tmp, strlen(tmp));
	}
}

void
log_write(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	char buf[2048];
	struct line l = {buf, 0, sizeof(buf) - 1}; /* room left for the newline */
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	l.n = (size_t)snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s ",
	                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                       tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
	va_start(ap, fmt);
	put_format(&l, fmt, ap);
	va_end(ap);
	buf[l.n++] = '\n';
	fwrite(buf, 1, l.n, stderr);
}
