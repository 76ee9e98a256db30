-- 009_due: the télécollecte reads what is due one contract at a time (SPEC §7): the index of
-- transactions to send starts with the contract, so each contract's due transactions are
-- one range of it rather than a filter over every due transaction of every contract.

DROP INDEX txn_due;
CREATE INDEX txn_due ON txn(contract_id, bank_day) WHERE acq = 2;
