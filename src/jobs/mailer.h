/*
 * mailer.h - the mail outbox's delivery job (SPEC §1): every e-mail the system sends is first
 * a row of the outbox, written in the same transaction as the change that causes it, its body
 * sealed (service/outbox.h); this job opens and delivers the rows over SMTP (libcurl) when a
 * relay is configured, else as .eml files in the spool folder, then marks them sent and wipes
 * their body through the writer.
 *
 * Both ways carry the same message bytes (RFC 5322, mailer_message_build). Delivery is at
 * least once and idempotent: a mail's Message-ID and its file name come from its outbox id,
 * so a mail delivered again after a crash is recognisable (a file replaces its own). A
 * temporary failure (a 4xx reply, the relay out of reach, a file not written) leaves the mail
 * pending, with the relay's answer, and tries it again after a delay doubling from a minute
 * (an hour at most); a permanent refusal (a 5xx reply to the mail's transaction, RFC 5321
 * §4.2.1), or a mail still failing LIMIT_MAIL_GIVE_UP_S after it was written (or sent again by
 * an administrator), is marked failed with that answer and logged as an error; its sealed
 * body stays LIMIT_MAIL_FAILED_KEEP_S for a retry. The job runs on its own thread and its own
 * connection, never on an event loop. Not a bounce handler: a relay's later bounce goes to
 * the From address.
 */
#ifndef GUICHET_MAILER_H
#define GUICHET_MAILER_H

#include <stddef.h>

#include "common/buf.h"
#include "common/status.h"
#include "store/store.h"
#include "work/work.h"

/* The From of every mail when --smtp-from is not given. */
#define MAILER_FROM_DEFAULT "Guichet <no-reply@guichet.invalid>"

struct mailer;
struct crypto_keys;

/* What the job is given at start; every string is lent and copied. */
struct mailer_config {
	const char *db_path;
	const char *spool_dir; /* the .eml files, when smtp_url is NULL */
	const char *smtp_url;  /* smtp:// or smtps://host[:port][/ehlo-name]; NULL: the spool */
	const char *from;      /* the From header: "Name <addr>" or "addr"; NULL: the default */
	const char *smtp_user; /* NULL: no authentication */
	const char *smtp_pass; /* with smtp_user; never logged */
	const char *smtp_ca;   /* a CA bundle for the relay's certificate; NULL: the system's */
	int retry_first_ms;    /* the first delay after a failure; 0: LIMIT_MAIL_RETRY_FIRST_MS */
	const struct crypto_keys *keys; /* opens the sealed bodies; lent, outlives the job */
};

/* --smtp: "smtp://" or "smtps://", a host (name, IPv4 or [IPv6]), an optional port and an
 * optional path (the name the server says in EHLO); no user part (credentials come from the
 * environment, never the command line), query or fragment. ST_OK or ST_INVALID. */
int mailer_smtp_url_check(const char *url) WUR;

/* --smtp-from: printable ASCII, "Display Name <local@domain>" or "local@domain". Writes the
 * address alone (the SMTP envelope's sender) into addr (cap bytes). ST_OK or ST_INVALID. */
int mailer_from_check(const char *from, char *addr, size_t cap) WUR;

/* Appends the RFC 5322 message of mail to out, From from (checked by mailer_from_check):
 * Date from created_at, a Message-ID from the id and the From's domain, the Subject encoded
 * as RFC 2047 words when it is not printable ASCII, a UTF-8 text body in 8 bits with CRLF
 * line ends. out's sticky failure says it passed its cap. */
void mailer_message_build(const struct mail *mail, const char *from, struct buf *out);

/* Starts the job: it reads the outbox with its own connection to cfg->db_path every second
 * and hands its writes to w. Returns ST_OK, ST_STORE, ST_INVALID (no keys), or ST_INTERNAL
 * (libcurl). */
int mailer_start(const struct mailer_config *cfg, struct work *w, struct mailer **out) WUR;

/* Delivers what is due one last time, stops, wipes the credentials, frees. NULL does
 * nothing. */
void mailer_stop(struct mailer *m);

#endif
