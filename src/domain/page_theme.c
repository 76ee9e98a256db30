/*
 * page_theme.c - the rules of page_theme.h: a template's colours, their contrast (WCAG 2's
 * relative luminance, sRGB linearised), and a logo's kind by its signature.
 */
#include <math.h>
#include <string.h>

#include "common/text.h"
#include "domain/page_theme.h"

bool
theme_colour_parse(const char *s, uint32_t *rgb)
{
	uint32_t v = 0;

	if (s == NULL || s[0] != '#' || strlen(s) != 7)
		return false;
	for (int i = 1; i < 7; i++) {
		int d = text_hex_digit(s[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*rgb = v;
	return true;
}

/* WCAG 2: one channel of 0..255 linearised (the 0.04045 threshold of sRGB). */
static double
channel(uint32_t c8)
{
	double c = c8 / 255.0;

	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double
luminance(uint32_t rgb)
{
	return 0.2126 * channel(rgb >> 16 & 0xff) + 0.7152 * channel(rgb >> 8 & 0xff) +
	       0.0722 * channel(rgb & 0xff);
}

double
theme_contrast(uint32_t a, uint32_t b)
{
	double la = luminance(a), lb = luminance(b);

	return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

bool
theme_contrast_ok(uint32_t fg, uint32_t bg)
{
	return theme_contrast(fg, bg) >= THEME_CONTRAST_MIN;
}

enum theme_logo_kind
theme_logo_kind(const unsigned char *p, size_t n)
{
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

	/* PNG: the signature, then the first chunk, IHDR, of 13 bytes (length 00 00 00 0d). */
	if (n >= 8 + 8 + 13 && memcmp(p, png, 8) == 0 && memcmp(p + 8, "\0\0\0\rIHDR", 8) == 0)
		return THEME_LOGO_PNG;
	/* JPEG: start of image, then a marker's 0xff and a marker code. */
	if (n >= 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff && p[3] >= 0xc0 && p[3] != 0xff)
		return THEME_LOGO_JPEG;
	return THEME_LOGO_NONE;
}

const char *
theme_logo_type(enum theme_logo_kind kind)
{
	switch (kind) {
	case THEME_LOGO_PNG:
		return "image/png";
	case THEME_LOGO_JPEG:
		return "image/jpeg";
	default:
		return NULL;
	}
}
