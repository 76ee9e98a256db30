-- 020_mail_retry: what the mailer remembers of a mail it could not deliver (SPEC §1; the
-- mailer's SMTP delivery, jobs/mailer.h). A failed attempt leaves the mail pending with one
-- attempt more and the instant it is tried again (a delay doubling from a minute, an hour at
-- most); a mail still failing 3 days after it was written is marked failed_at, its body
-- wiped (it may hold a temporary password, stale by then) and the failure logged as an error:
-- the row stays, never silently dropped.
--
-- mail_outbox_due: the rows the mailer reads each second, the due ones first; it holds only
-- the pending mails, so it stays small however many were sent or failed.

ALTER TABLE mail_outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_outbox ADD COLUMN failed_at INTEGER;

CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at, id)
	WHERE sent_at IS NULL AND failed_at IS NULL;
