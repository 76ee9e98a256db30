/*
 * qr.c - a QR code drawn in UTF-8 half blocks (qr.h).
 */
#include <string.h>

#include <qrencode.h>

#include "cli/qr.h"

/* The cells of two modules, one above the other, by which of them is light: light is ink. */
static const char *const cells[4] = {
        " ",            /* both dark */
        "\xe2\x96\x84", /* ▄ U+2584: the lower light */
        "\xe2\x96\x80", /* ▀ U+2580: the upper light */
        "\xe2\x96\x88", /* █ U+2588: both light */
};

/* Whether the module at x, y of the drawing (quiet zone included) is light; below the drawing
 * (an odd side's last lower half) it is the background. */
static bool
light(const QRcode *qr, int side, int x, int y)
{
	int sx = x - QR_QUIET, sy = y - QR_QUIET;

	if (y >= side)
		return false;
	if (sx < 0 || sy < 0 || sx >= qr->width || sy >= qr->width)
		return true;
	/* The lowest bit of a module says dark (qrencode.h). */
	return (qr->data[sy * qr->width + sx] & 1) == 0;
}

int
qr_write(FILE *f, const char *text, bool colour)
{
	QRcode *qr;
	int side;

	if (text[0] == '\0')
		return -1;
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL)
		return -1;
	side = qr->width + 2 * QR_QUIET;
	for (int y = 0; y < side; y += 2) {
		if (colour)
			fputs(QR_COLOUR_ON, f);
		for (int x = 0; x < side; x++)
			fputs(cells[light(qr, side, x, y) * 2 + light(qr, side, x, y + 1)], f);
		if (colour)
			fputs(QR_COLOUR_OFF, f);
		fputc('\n', f);
	}
	explicit_bzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	return fflush(f) != 0 || ferror(f) ? -1 : 0;
}
