/*
 * test_client_qr.c - the client's QR code on a terminal (src/cli/qr.c): its shape (square,
 * two modules a character row, the quiet zone all light), the structures every QR code has
 * where they belong (finder patterns, timing patterns, the dark module), light drawn as ink,
 * the colours around each line, and the refusals (nothing to encode, too much, a stream that
 * cannot be written). It decodes nothing: the modules are libqrencode's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/qr.h"
#include "stream_contents.h"

#define SIDE_MAX 200 /* a version 40 code is 177 modules, and its quiet zone */

/* A TOTP enrolment's URI, as the server makes it (src/api/second_factor.c). */
static const char uri[] = "otpauth://totp/Guichet:jean.dupont@example.com?secret="
                          "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Guichet&algorithm=SHA1&"
                          "digits=6&period=30";

static char *
drawn(const char *text, bool colour)
{
	FILE *f = tmpfile();
	char *s;

	assert_non_null(f);
	assert_int_equal(qr_write(f, text, colour), 0);
	s = contents(f);
	fclose(f);
	return s;
}

/* A drawing read back: light[y][x] for each module, y < rows * 2; side the characters of a
 * line, the same on every line. */
struct modules {
	bool light[SIDE_MAX + 1][SIDE_MAX];
	int side, rows;
	bool last_lower_light; /* any lower half of the last line drawn light */
};

static void
read_back(const char *s, struct modules *m)
{
	static const struct {
		const char *cell;
		bool upper, lower;
	} glyphs[] = {
	        {" ", false, false},
	        {"\xe2\x96\x84", false, true}, /* ▄ */
	        {"\xe2\x96\x80", true, false}, /* ▀ */
	        {"\xe2\x96\x88", true, true},  /* █ */
	};

	memset(m, 0, sizeof(*m));
	m->side = -1;
	while (*s != '\0') {
		int x = 0;

		assert_true(m->rows * 2 < SIDE_MAX);
		while (*s != '\n') {
			size_t g = 0;

			assert_true(*s != '\0'); /* every line ends with "\n" */
			while (g < 4 && strncmp(s, glyphs[g].cell, strlen(glyphs[g].cell)) != 0)
				g++;
			assert_true(g < 4); /* nothing but the four cells */
			assert_true(x < SIDE_MAX);
			m->light[m->rows * 2][x] = glyphs[g].upper;
			m->light[m->rows * 2 + 1][x] = glyphs[g].lower;
			s += strlen(glyphs[g].cell);
			x++;
		}
		s++;
		if (m->side < 0)
			m->side = x;
		assert_int_equal(x, m->side); /* every line as long */
		m->rows++;
	}
	for (int x = 0; x < m->side; x++)
		m->last_lower_light |= m->light[m->rows * 2 - 1][x];
}

/* The 7 × 7 finder pattern whose top left is at x, y, with its light separator where it
 * meets the symbol (ISO/IEC 18004 §6.3.3). */
static void
assert_finder(const struct modules *m, int x, int y)
{
	for (int dy = -1; dy <= 7; dy++) {
		for (int dx = -1; dx <= 7; dx++) {
			int ring = abs(dx - 3) > abs(dy - 3) ? abs(dx - 3) : abs(dy - 3);
			/* From the centre: 0 and 1 the dark 3 × 3, 2 light, 3 the dark edge, 4 the
			 * separator. */
			bool want_light = ring == 2 || ring == 4;

			assert_int_equal(m->light[y + dy][x + dx], want_light);
		}
	}
}

static void
test_shape_and_structure(void **state)
{
	struct modules *m = calloc(1, sizeof(*m));
	char *s = drawn(uri, false);
	int width, q = QR_QUIET;

	(void)state;
	read_back(s, m);
	/* Square: two modules a line, the last line's lower halves the background. */
	assert_true(m->side % 2 == 1);
	assert_int_equal(m->rows, (m->side + 1) / 2);
	assert_false(m->last_lower_light);
	width = m->side - 2 * q;
	assert_true(width >= 21 && (width - 17) % 4 == 0); /* a QR version's side */
	/* The quiet zone: all light, on the four sides. */
	for (int i = 0; i < m->side; i++) {
		for (int k = 0; k < q; k++) {
			assert_true(m->light[k][i]);
			assert_true(m->light[m->side - 1 - k][i]);
			assert_true(m->light[i][k]);
			assert_true(m->light[i][m->side - 1 - k]);
		}
	}
	/* The three finder patterns, at the corners but the lower right. */
	assert_finder(m, q, q);
	assert_finder(m, q + width - 7, q);
	assert_finder(m, q, q + width - 7);
	/* The timing patterns between them: dark, light, dark … */
	for (int i = 8; i < width - 8; i++) {
		assert_int_equal(m->light[q + 6][q + i], i % 2 == 1);
		assert_int_equal(m->light[q + i][q + 6], i % 2 == 1);
	}
	/* The dark module beside the lower left finder (§6.9). */
	assert_false(m->light[q + width - 8][q + 8]);
	free(s);
	free(m);
}

static void
test_what_it_encodes_shows(void **state)
{
	char *a = drawn(uri, false), *b = drawn("otpauth://totp/Guichet:x?secret=AAAA", false);
	char *again = drawn(uri, false);

	(void)state;
	assert_string_equal(a, again); /* the same text, the same drawing */
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	free(again);
}

static void
test_colour_wraps_each_line(void **state)
{
	char *plain = drawn(uri, false), *coloured = drawn(uri, true), *stripped;
	size_t on = strlen(QR_COLOUR_ON), off = strlen(QR_COLOUR_OFF), n = 0;

	(void)state;
	stripped = calloc(strlen(coloured) + 1, 1);
	for (const char *line = coloured; *line != '\0';) {
		const char *end = strchr(line, '\n');

		assert_non_null(end);
		assert_true((size_t)(end - line) > on + off);
		assert_memory_equal(line, QR_COLOUR_ON, on);
		assert_memory_equal(end - off, QR_COLOUR_OFF, off);
		memcpy(stripped + n, line + on, (size_t)(end - line) - on - off);
		n += (size_t)(end - line) - on - off;
		stripped[n++] = '\n';
		line = end + 1;
	}
	assert_string_equal(stripped, plain);
	free(stripped);
	free(plain);
	free(coloured);
}

static void
test_refusals(void **state)
{
	char *huge = malloc(4001);
	FILE *f = tmpfile(), *ro = fopen("/dev/null", "r");

	(void)state;
	assert_non_null(f);
	assert_non_null(ro);
	memset(huge, 'a', 4000);
	huge[4000] = '\0';
	/* Nothing to encode, more than a version 40 code holds: -1, nothing written. */
	assert_int_equal(qr_write(f, "", false), -1);
	assert_int_equal(qr_write(f, huge, true), -1);
	fflush(f);
	assert_int_equal(ftell(f), 0);
	/* A stream that cannot be written. */
	assert_int_equal(qr_write(ro, uri, false), -1);
	fclose(ro);
	fclose(f);
	free(huge);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_shape_and_structure),
	        cmocka_unit_test(test_what_it_encodes_shows),
	        cmocka_unit_test(test_colour_wraps_each_line),
	        cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
