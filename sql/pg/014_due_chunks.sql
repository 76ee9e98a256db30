-- 014_due_chunks.sql - the télécollecte fills a batch a chunk of its contract's due
-- transactions at a time, in the order (bank day, id) (store/sql/batches.c CHUNK): the index
-- of transactions to send ends with the id, so each chunk is the start of one range of it,
-- read in order, rather than every due transaction of the contract sorted again for each
-- chunk. SQLite's txn_due (009_due.sql) has the id already: its rowid ends every index.
DROP INDEX txn_due;
CREATE INDEX txn_due ON txn(contract_id, bank_day, id) WHERE acq = 2;
