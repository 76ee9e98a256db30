/*
 * test_page_theme.c - the rules of a shop's template of the hosted payment page
 * (domain/page_theme.h): a colour is exactly #rrggbb, the contrast ratio is WCAG 2's (its
 * known values and the AA boundary of 4.5:1 on both sides), and a logo is a PNG or a JPEG by
 * its signature, never an SVG or anything else. The size limit's boundary is tested through
 * HTTP (tests/system/test_page_theme.py), where it is enforced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/page_theme.h"

static void
test_colours(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		uint32_t rgb;
	} rows[] = {
	        {"#000000", true, 0x000000},
	        {"#ffffff", true, 0xffffff},
	        {"#0B5cAd", true, 0x0b5cad},
	        {"#123456", true, 0x123456},
	        {"", false, 0},
	        {"#", false, 0},
	        {"#fff", false, 0},     /* the short form is not taken */
	        {"#fffffff", false, 0}, /* seven digits */
	        {"#ffffff ", false, 0}, /* a trailing space */
	        {" #ffffff", false, 0},
	        {"ffffff", false, 0}, /* no # */
	        {"#gggggg", false, 0},
	        {"#12345g", false, 0},
	        {"red", false, 0},
	        {"#ff00ff;", false, 0},
	        {"rgb(0,0,0)", false, 0},
	        {"#ff0000}body{", false, 0}, /* what would break out of a stylesheet */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint32_t rgb = 0xdeadbeef;
		bool ok = theme_colour_parse(rows[i].s, &rgb);

		assert_int_equal(ok, rows[i].ok);
		if (ok)
			assert_int_equal(rgb, rows[i].rgb);
	}
	assert_false(theme_colour_parse(NULL, &(uint32_t){0}));
}

static void
test_contrast(void **state)
{
	(void)state;
	/* The extremes: black on white is 21:1, a colour on itself 1:1, either order. */
	assert_float_equal(theme_contrast(0x000000, 0xffffff), 21.0, 1e-9);
	assert_float_equal(theme_contrast(0xffffff, 0x000000), 21.0, 1e-9);
	assert_float_equal(theme_contrast(0x0b5cad, 0x0b5cad), 1.0, 1e-9);
	/* Known values (WebAIM's contrast checker). */
	assert_float_equal(theme_contrast(0x767676, 0xffffff), 4.54, 0.005);
	assert_float_equal(theme_contrast(0x777777, 0xffffff), 4.48, 0.005);
	assert_float_equal(theme_contrast(0xff0000, 0xffffff), 4.00, 0.005);
	/* The AA boundary on both sides: #767676 is the lightest grey that passes on white. */
	assert_true(theme_contrast_ok(0x767676, 0xffffff));
	assert_false(theme_contrast_ok(0x777777, 0xffffff));
	assert_false(theme_contrast_ok(0xff0000, 0xffffff));
	assert_true(theme_contrast_ok(0xffffff, 0x0b5cad));       /* pay.css's own button */
	assert_true(theme_contrast_ok(THEME_TEXT_RGB, 0xf3f5f8)); /* its own background */
	assert_false(theme_contrast_ok(THEME_TEXT_RGB, 0x1d2733));
	assert_false(theme_contrast_ok(THEME_WHITE_RGB, 0xf0e68c)); /* white on khaki */
	/* The low channels' linear part (c <= 0.04045, i.e. 0..10 of 255). */
	assert_true(theme_contrast(0x0a0a0a, 0x000000) > 1.0);
	assert_true(theme_contrast(0x0a0a0a, 0x000000) < theme_contrast(0x0b0b0b, 0x000000));
}

static void
test_logo_kind(void **state)
{
	unsigned char png[64] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
	                         'I',  'H', 'D', 'R', 0,    0,    0,    1,    0, 0, 0, 1};
	unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F'};
	const char *svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>x()</script></svg>";
	const char *xml = "<?xml version=\"1.0\"?><svg/>";
	unsigned char gif[] = "GIF89a\x01\x00\x01\x00";
	unsigned char bad_png[64];

	(void)state;
	assert_int_equal(theme_logo_kind(png, sizeof(png)), THEME_LOGO_PNG);
	assert_int_equal(theme_logo_kind(png, 29), THEME_LOGO_PNG); /* signature + IHDR */
	assert_int_equal(theme_logo_kind(png, 28), THEME_LOGO_NONE);
	assert_int_equal(theme_logo_kind(png, 8), THEME_LOGO_NONE); /* the signature alone */
	memcpy(bad_png, png, sizeof(png));
	bad_png[12] = 'X'; /* a first chunk that is not IHDR */
	assert_int_equal(theme_logo_kind(bad_png, sizeof(bad_png)), THEME_LOGO_NONE);
	memcpy(bad_png, png, sizeof(png));
	bad_png[1] = 'p';
	assert_int_equal(theme_logo_kind(bad_png, sizeof(bad_png)), THEME_LOGO_NONE);
	assert_int_equal(theme_logo_kind(jpeg, sizeof(jpeg)), THEME_LOGO_JPEG);
	assert_int_equal(theme_logo_kind(jpeg, 4), THEME_LOGO_JPEG);
	assert_int_equal(theme_logo_kind(jpeg, 3), THEME_LOGO_NONE);
	jpeg[3] = 0xff;
	assert_int_equal(theme_logo_kind(jpeg, sizeof(jpeg)), THEME_LOGO_NONE);
	assert_int_equal(theme_logo_kind((const unsigned char *)svg, strlen(svg)), THEME_LOGO_NONE);
	assert_int_equal(theme_logo_kind((const unsigned char *)xml, strlen(xml)), THEME_LOGO_NONE);
	assert_int_equal(theme_logo_kind(gif, sizeof(gif) - 1), THEME_LOGO_NONE);
	assert_int_equal(theme_logo_kind(png, 0), THEME_LOGO_NONE);
	assert_string_equal(theme_logo_type(THEME_LOGO_PNG), "image/png");
	assert_string_equal(theme_logo_type(THEME_LOGO_JPEG), "image/jpeg");
	assert_null(theme_logo_type(THEME_LOGO_NONE));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_colours),
	        cmocka_unit_test(test_contrast),
	        cmocka_unit_test(test_logo_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
