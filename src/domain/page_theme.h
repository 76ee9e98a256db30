/*
 * page_theme.h - the rules of a shop's template of the hosted payment page (README "The hosted
 * payment page", Templates): a colour written #rrggbb, the contrast of two colours as WCAG 2
 * computes it (AA: 4.5:1 for text), and what a logo is by its first bytes (PNG or JPEG only:
 * an SVG may carry script). Pure: no I/O.
 */
#ifndef GUICHET_DOMAIN_PAGE_THEME_H
#define GUICHET_DOMAIN_PAGE_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* WCAG 2.x success criterion 1.4.3 (AA): normal text against its background. */
#define THEME_CONTRAST_MIN 4.5

/* The page's fixed colours the template's are weighed against (www/assets/pay.css): its
 * text, and the white of a button's label and of the form's fields. */
#define THEME_TEXT_RGB  0x1d2733u
#define THEME_WHITE_RGB 0xffffffu

/* Whether s is exactly "#rrggbb" (hex digits, either case); *rgb receives 0xrrggbb. */
bool theme_colour_parse(const char *s, uint32_t *rgb);

/* The contrast ratio of two sRGB colours, from 1 (the same) to 21 (black on white). */
double theme_contrast(uint32_t a, uint32_t b);

/* Whether text of colour fg reads on bg at AA: ratio >= THEME_CONTRAST_MIN. */
bool theme_contrast_ok(uint32_t fg, uint32_t bg);

enum theme_logo_kind { THEME_LOGO_NONE = 0, THEME_LOGO_PNG, THEME_LOGO_JPEG };

/* What the n bytes at p are by their signature: a PNG (its 8-byte signature then an IHDR
 * chunk), a JPEG (SOI then a marker), else NONE (an SVG, a GIF, text, anything shorter). The
 * size limit is the caller's (LIMIT_PAGE_LOGO). */
enum theme_logo_kind theme_logo_kind(const unsigned char *p, size_t n);

/* The media type of kind ("image/png", "image/jpeg"), NULL for NONE. */
const char *theme_logo_type(enum theme_logo_kind kind);

#endif
