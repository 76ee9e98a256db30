-- 023_email_change: when a user's e-mail address last changed, and who changed it (the user
-- themselves, or an administrator), so that a new password is not mailed to an address that
-- someone else set less than a day ago (README "Users": an administrator could otherwise take
-- another's account over by changing its address, then sending a password to it). The old
-- address is told of every change (a mail through the outbox). Users changed before: none.
ALTER TABLE user ADD COLUMN email_changed_at INTEGER;
ALTER TABLE user ADD COLUMN email_changed_by INTEGER;
