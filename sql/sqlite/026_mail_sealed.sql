-- 026_mail_sealed: the outbox keeps no body in clear, says why a mail failed, and which part
-- of the tree a mail is about (SPEC §1; README "Mail"; store/sqlite/mail.c).
--
-- body_sealed: the body, sealed with a subkey of the data key bound to the brand, the row and
-- the recipient (crypto_mail_seal); body stays '' for every row written from now on. A row
-- still pending with a body in clear (written by an earlier version) is sealed when the
-- server starts, which then empties the write-ahead log (guichetd serve; store_ops
-- mail_seal_clear and checkpoint): SQL alone has no key. A delivered mail's sealed body is
-- wiped; a failed one's is kept LIMIT_MAIL_FAILED_KEEP_S (7 days) for an administrator's
-- retry, then wiped by the retention job.
-- last_error: the relay's last answer ("550 5.1.1 <a@b>: no such user") or the error met;
-- forgotten once the mail is delivered. A permanent refusal (5xx) fails the mail at once.
-- node_id: a user's node for a mail to a user, the shop for a shop's; the brand's own node
-- for the rows before this version. An administrator sees the mails of their node and below.
-- retried_at: an administrator sent a failed mail again; its 3 days of attempts count from it.
--
-- mail_outbox_trouble: the failed mails and those pending after a failure, which the back
-- office lists (GET /bo/api/mails); mail_outbox_kept: the failed ones whose body is kept.

ALTER TABLE mail_outbox ADD COLUMN body_sealed BLOB;
ALTER TABLE mail_outbox ADD COLUMN last_error TEXT;
ALTER TABLE mail_outbox ADD COLUMN node_id INTEGER REFERENCES node(id);
ALTER TABLE mail_outbox ADD COLUMN retried_at INTEGER;

-- Delivered and failed rows were wiped already; whatever is left of one is wiped now.
UPDATE mail_outbox SET body = '' WHERE body <> '' AND (sent_at IS NOT NULL OR failed_at IS NOT NULL);
UPDATE mail_outbox SET node_id = (SELECT n.id FROM node n WHERE n.brand_id = mail_outbox.brand_id
	AND n.parent_id IS NULL);

CREATE INDEX mail_outbox_trouble ON mail_outbox(brand_id, id)
	WHERE failed_at IS NOT NULL OR last_error IS NOT NULL;
CREATE INDEX mail_outbox_kept ON mail_outbox(failed_at)
	WHERE failed_at IS NOT NULL AND body_sealed IS NOT NULL;
