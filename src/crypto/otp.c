/*
 * otp.c - liboath and libqrencode behind otp.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liboath/oath.h>
#include <qrencode.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "crypto/otp.h"

#define QR_QUIET 4            /* modules of white border, as ISO/IEC 18004 asks */
#define SVG_MAX  (256 * 1024) /* a version 40 code is 177 modules a side: far below */

/* liboath wants oath_init once before any other call; it is never undone (oath_done would
 * pull it from under a thread still checking a code). */
static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_ready = OATH_OK;

static void
oath_start(void)
{
	oath_ready = oath_init();
}

int
otp_base32(char *out, size_t cap, const unsigned char *secret, size_t len)
{
	char *text = NULL;
	size_t text_len = 0;
	int rc = ST_INTERNAL;

	pthread_once(&oath_once, oath_start);
	if (oath_ready != OATH_OK)
		return ST_INTERNAL;
	if (oath_base32_encode((const char *)secret, len, &text, &text_len) != OATH_OK)
		goto out;
	rc = ST_TOOBIG;
	if (text_len + 1 > cap)
		goto out;
	memcpy(out, text, text_len);
	out[text_len] = '\0';
	rc = ST_OK;
out:
	if (text != NULL) {
		crypto_wipe(text, text_len);
		free(text);
	}
	return rc;
}

int
otp_totp_check(const unsigned char *secret, size_t len, int64_t now_s, const char *code,
               int64_t *step)
{
	uint64_t counter = 0;
	int pos = 0;

	if (strlen(code) != OTP_DIGITS || strspn(code, "0123456789") != OTP_DIGITS)
		return ST_AUTH;
	pthread_once(&oath_once, oath_start);
	if (oath_ready != OATH_OK)
		return ST_INTERNAL;
	/* Returns how far from the current step the code was found, or a negative error. */
	if (oath_totp_validate3((const char *)secret, len, (time_t)now_s, OTP_STEP_S, 0, OTP_WINDOW,
	                        &pos, &counter, code) < 0)
		return ST_AUTH;
	*step = (int64_t)counter;
	return ST_OK;
}

char *
otp_qr_svg(const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	struct buf b;
	char part[64];
	int side;

	if (qr == NULL)
		return NULL;
	side = qr->width + 2 * QR_QUIET;
	buf_init(&b, SVG_MAX);
	snprintf(part, sizeof(part), "%d %d", side, side);
	buf_adds(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
	buf_adds(&b, part);
	buf_adds(&b, "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
	             "fill=\"#fff\"/><path fill=\"#000\" d=\"");
	/* A dark run of a row is one rectangle: "M x,y h n v 1 h -n z". The lowest bit of each
	 * module says dark (qrencode.h). */
	for (int y = 0; y < qr->width; y++) {
		for (int x = 0; x < qr->width;) {
			int run = 0;

			while (x + run < qr->width && (qr->data[y * qr->width + x + run] & 1))
				run++;
			if (run == 0) {
				x++;
				continue;
			}
			snprintf(part, sizeof(part), "M%d,%dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET,
			         run, run);
			buf_adds(&b, part);
			x += run;
		}
	}
	buf_adds(&b, "\"/></svg>");
	QRcode_free(qr);
	if (b.failed) {
		buf_cleanup(&b);
		return NULL;
	}
	return buf_take(&b);
}
