/*
 * otp.h - the second factor's one-time passwords (SPEC §3): RFC 6238 TOTP codes checked with
 * liboath, their secret in base32 and the otpauth:// URI authenticator apps read, and that
 * URI drawn as a QR code in SVG with libqrencode. The only module that includes
 * <liboath/oath.h> or <qrencode.h>.
 *
 * Not the secret's generation nor its sealing (crypto.h), nor what a code unlocks (api/).
 */
#ifndef GUICHET_OTP_H
#define GUICHET_OTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define OTP_DIGITS 6 /* RFC 6238 with SHA-1, 6 digits, 30 s: what authenticator apps expect */
#define OTP_STEP_S 30
#define OTP_WINDOW 1 /* steps accepted either side of the current one (clock drift) */

/* The base32 text of a secret of len bytes (RFC 4648, no padding for 20 bytes) into out
 * (cap bytes, NUL-terminated). ST_OK, ST_TOOBIG when it does not fit, ST_INTERNAL. */
#define OTP_BASE32_MAX 64
int otp_base32(char *out, size_t cap, const unsigned char *secret, size_t len) WUR;

/* Checks a code against the secret at now_s (Unix seconds), the current time step and
 * OTP_WINDOW steps either side. ST_OK with *step the RFC 6238 counter the code belongs to
 * (the caller refuses a step already used: RFC 6238 §5.2), or ST_AUTH (wrong, or not six
 * digits). */
int otp_totp_check(const unsigned char *secret, size_t len, int64_t now_s, const char *code,
                   int64_t *step) WUR;

/* The QR code of text as an SVG document: only <svg>, <rect> and <path> with presentation
 * attributes (fill), no style or script, so that a page under a strict Content Security
 * Policy can insert it. Returns a malloc'ed string the caller frees, or NULL when text is
 * too long for a QR code. */
char *otp_qr_svg(const char *text);

#endif
