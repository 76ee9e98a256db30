/*
 * qr.h - a QR code drawn on a terminal: the client's way of handing the second factor's
 * otpauth:// URI to an authenticator app (README "The command-line client"), as the web UI's
 * SVG does.
 *
 * The code is libqrencode's; this module only draws it, in UTF-8 half blocks, two modules a
 * character row (a character cell is about twice as high as it is wide, so the modules come
 * out square). Pure: it writes to the FILE it is given and decides nothing of where or when
 * (main.c does); it knows nothing of TOTP. tests/unit/test_client_qr.c drives it.
 *
 * Light on dark, and why: light modules are drawn as the characters' ink (█ ▀ ▄) and dark ones
 * are the cells' background (spaces), the quiet zone included. With colour, the ink is set to
 * white and the background to black (the xterm-256 palette's fixed 231 and 16, which terminal
 * themes do not change), so the code reads dark on light whatever the terminal's theme: a
 * phone's camera reads it in a dark terminal and in a light one. Without colour (not a
 * terminal, NO_COLOR), the drawing is right in a dark terminal, the usual one, and inverted in
 * a light one, which not every reader reads. That is also `qrencode -t UTF8`'s choice. Gaps a
 * font may leave between character rows fall on the light parts.
 */
#ifndef GUICHET_CLIENT_QR_H
#define GUICHET_CLIENT_QR_H

#include <stdbool.h>
#include <stdio.h>

/* Modules of light border on each side. ISO/IEC 18004 asks 4; 2 is what readers need off a
 * screen with the terminal's black around it, and keeps a 6-digit TOTP URI's code (version 7,
 * 45 modules) within 25 character rows. */
#define QR_QUIET 2

/* The colours of a row, and their end: white ink on a black background (xterm-256). */
#define QR_COLOUR_ON  "\033[38;5;231;48;5;16m"
#define QR_COLOUR_OFF "\033[0m"

/* Writes text's QR code (error correction M, as the web UI's) to f: (S + 1) / 2 lines of S
 * characters each, S the code's side with its quiet zone (odd: the last line's lower halves
 * are the background), each line ended by "\n" and, with colour, wrapped in QR_COLOUR_ON and
 * QR_COLOUR_OFF. text is borrowed; the module data, which encodes it, is wiped before it is
 * freed (the URI holds a secret). Returns 0; -1 when text cannot be encoded (empty, or longer
 * than a QR code holds), with nothing written, or when writing to f failed. */
int qr_write(FILE *f, const char *text, bool colour) __attribute__((warn_unused_result));

#endif
