-- 028_manual_entry: the virtual terminal's mark on a transaction (SPEC §10, §13: "manual
-- entries are marked as such in the journal and the action log"): manual is 1 for a payment
-- a back-office user entered by hand (a one-off, or the first debit of a plan or subscription
-- entered so), and archive_ref the optional archive reference they gave (Vision manual
-- §10.1.1: shown in the cardholder's mail, used by the bank reconciliation journal).
-- Transactions written before: not manual, no archive reference.
ALTER TABLE txn ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;
ALTER TABLE txn ADD COLUMN archive_ref TEXT NOT NULL DEFAULT '';
