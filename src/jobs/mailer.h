/*
 * mailer.h - the mail outbox's delivery job (SPEC §1): every e-mail the system sends is first
 * a row of the outbox, written in the same transaction as the change that causes it; this job
 * delivers the rows as .eml files (RFC 5322) in the spool folder, then marks them sent and
 * wipes their body through the writer.
 *
 * Delivery is at least once and idempotent: a mail's file name is its outbox id, so a mail
 * written again after a crash replaces its own file. SMTP delivery is not built yet.
 */
#ifndef GUICHET_MAILER_H
#define GUICHET_MAILER_H

#include "common/status.h"
#include "work/work.h"

struct mailer;

/* Starts the job: it reads the outbox with its own connection to db_path every second and
 * hands its writes to w. Returns ST_OK or ST_STORE. */
int mailer_start(const char *db_path, const char *spool_dir, struct work *w,
                 struct mailer **out) WUR;

/* Delivers what is pending one last time, stops, frees. NULL does nothing. */
void mailer_stop(struct mailer *m);

#endif
