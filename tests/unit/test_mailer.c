/*
 * test_mailer.c - the mailer's pure parts: the --smtp and --smtp-from checks, and the RFC 5322
 * message both deliveries carry (headers, RFC 2047 subjects, CRLF body).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/limits.h"
#include "jobs/mailer.h"

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

static const struct {
	const char *url;
	int rc;
} urls[] = {
        {"smtp://127.0.0.1:2525", ST_OK},
        {"smtps://mail.example.com", ST_OK},
        {"smtp://mail.example.com:587/guichet.example.com", ST_OK},
        {"smtp://[::1]:25", ST_OK},
        {"smtp://relay/", ST_OK},
        {"smtp://", ST_INVALID},
        {"smtp:///x", ST_INVALID},
        {"http://mail.example.com", ST_INVALID},
        {"SMTP://mail.example.com", ST_INVALID},
        {"smtp://user:secret@mail.example.com", ST_INVALID}, /* credentials: environment */
        {"smtp://mail.example.com:0", ST_INVALID},
        {"smtp://mail.example.com:65536", ST_INVALID},
        {"smtp://mail.example.com:", ST_INVALID},
        {"smtp://mail.example.com?x=1", ST_INVALID},
        {"smtp://mail.example.com/a b", ST_INVALID},
        {"smtp://[::1", ST_INVALID},
        {"smtp://[]:25", ST_INVALID},
};

static void
test_smtp_urls(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(urls); i++) {
		if (mailer_smtp_url_check(urls[i].url) != urls[i].rc)
			fail_msg("%s", urls[i].url);
	}
}

static const struct {
	const char *from, *addr; /* addr NULL: refused */
} froms[] = {
        {"Guichet <no-reply@guichet.invalid>", "no-reply@guichet.invalid"},
        {"ops@example.com", "ops@example.com"},
        {"Maison Guichet Ops <ops@example.com>", "ops@example.com"},
        {"", NULL},
        {"no-address", NULL},
        {"Name <ops@example.com", NULL},
        {"Name <@example.com>", NULL},
        {"Name <ops@>", NULL},
        {"Name <a@b@c>", NULL},
        {"a@b <c@d>", NULL}, /* the phrase would need quoting */
        {"Ops <ops@example.com>\r\nBcc: x@y", NULL},
        {"Néo <ops@example.com>", NULL},
        {"two words@example.com", NULL},
};

static void
test_from_addresses(void **state)
{
	char addr[LIMIT_SMTP_FROM_MAX + 1];

	(void)state;
	for (size_t i = 0; i < NROWS(froms); i++) {
		int rc = mailer_from_check(froms[i].from, addr, sizeof(addr));

		if (froms[i].addr == NULL ? rc != ST_INVALID
		                          : rc != ST_OK || strcmp(addr, froms[i].addr) != 0)
			fail_msg("%s", froms[i].from);
	}
}

/* The message of a mail, as a string the test frees. */
static char *
message(const char *subject, const char *body)
{
	struct mail m = {.id = 42, .created_at = 1795542185123000LL}; /* 2026-11-24T17:43:05Z */
	struct buf b;

	snprintf(m.recipient, sizeof(m.recipient), "%s", "claire@example.com");
	snprintf(m.subject, sizeof(m.subject), "%s", subject);
	m.body = (char *)body;
	buf_init(&b, LIMIT_MAIL_BYTES);
	mailer_message_build(&m, "Guichet <no-reply@example.com>", &b);
	assert_false(b.failed);
	return buf_take(&b);
}

/* The contact form's mail (api/contact.c): the operator answers the user who wrote. A
 * Reply-To holding a line break is left out rather than let it add a header. */
static void
test_reply_to(void **state)
{
	struct mail m = {.id = 7, .created_at = 1795542185123000LL};
	struct buf b;

	(void)state;
	snprintf(m.recipient, sizeof(m.recipient), "%s", "support@example.com");
	snprintf(m.reply_to, sizeof(m.reply_to), "%s", "claire@example.com");
	snprintf(m.subject, sizeof(m.subject), "%s", "Contact");
	m.body = "x";
	buf_init(&b, LIMIT_MAIL_BYTES);
	mailer_message_build(&m, "Guichet <no-reply@example.com>", &b);
	assert_non_null(strstr(b.data, "To: <support@example.com>\r\n"
	                               "Reply-To: <claire@example.com>\r\nSubject: Contact\r\n"));
	buf_cleanup(&b);
	snprintf(m.reply_to, sizeof(m.reply_to), "%s", "a@example.com\r\nBcc: b@example.com");
	buf_init(&b, LIMIT_MAIL_BYTES);
	mailer_message_build(&m, "Guichet <no-reply@example.com>", &b);
	assert_null(strstr(b.data, "Reply-To"));
	assert_null(strstr(b.data, "Bcc"));
	buf_cleanup(&b);
}

static void
test_message_headers_and_body(void **state)
{
	char *msg = message("Guichet : votre accès", "Bonjour,\nligne\r\nfin");

	(void)state;
	assert_string_equal(msg, "From: Guichet <no-reply@example.com>\r\n"
	                         "To: <claire@example.com>\r\n"
	                         "Subject: =?UTF-8?Q?Guichet_=3A_votre_acc=C3=A8s?=\r\n"
	                         "Date: Tue, 24 Nov 2026 17:43:05 +0000\r\n"
	                         "Message-ID: <42@example.com>\r\n"
	                         "MIME-Version: 1.0\r\n"
	                         "Content-Type: text/plain; charset=utf-8\r\n"
	                         "Content-Transfer-Encoding: 8bit\r\n\r\n"
	                         "Bonjour,\r\nligne\r\nfin\r\n");
	free(msg);
}

static const struct {
	const char *subject, *header; /* the Subject line(s) the message carries */
} subjects[] = {
        {"Guichet : nouveau mot de passe / new password",
         "Subject: Guichet : nouveau mot de passe / new password\r\n"},
        /* A CR LF cannot start a header of its own. */
        {"a\r\nBcc: x@y", "Subject: =?UTF-8?Q?a=0D=0ABcc=3A_x=40y?=\r\n"},
        /* Plain ASCII that reads as an encoded word is encoded. */
        {"=?UTF-8?Q?x?=", "Subject: =?UTF-8?Q?=3D=3FUTF-8=3FQ=3Fx=3F=3D?=\r\n"},
        /* Long: several words, folded, none splitting the 2-byte é. */
        {"ééééééééééééééééééééééééééééééé",
         "Subject: =?UTF-8?Q?=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9?=\r\n"
         " =?UTF-8?Q?=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9?=\r\n"
         " =?UTF-8?Q?=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9?=\r\n"
         " =?UTF-8?Q?=C3=A9=C3=A9=C3=A9=C3=A9?=\r\n"},
};

static void
test_subjects(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(subjects); i++) {
		char *msg = message(subjects[i].subject, "x");
		const char *from = strstr(msg, "\r\nSubject: ") + 2;
		const char *to = strstr(from, "\r\nDate: ") + 2;

		if (strlen(subjects[i].header) != (size_t)(to - from) ||
		    memcmp(from, subjects[i].header, (size_t)(to - from)) != 0)
			fail_msg("%s: %.*s", subjects[i].subject, (int)(to - from), from);
		for (const char *l = msg; l < to; l = strstr(l, "\r\n") + 2)
			assert_true(strstr(l, "\r\n") - l <= 76);
		free(msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_smtp_urls),
	        cmocka_unit_test(test_from_addresses),
	        cmocka_unit_test(test_message_headers_and_body),
	        cmocka_unit_test(test_reply_to),
	        cmocka_unit_test(test_subjects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
