-- 043_reconciliation_journal: the acquirer's return files and what they did not match (Vision
-- manual §8; docs/RECONCILIATION.md). store/sql/reconciliation.c.
--
-- recon_file: each return file imported, once per account and digest (BLAKE2b-256 of its bytes, in
-- hex): a file imported again changes nothing. source: spool (the import job), upload (the back
-- office), cli (guichetd reconcile import); by: the user's login for an upload.
CREATE TABLE recon_file (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	digest		TEXT NOT NULL,
	name		TEXT NOT NULL,
	batch_id	INTEGER NOT NULL,
	jrb_number	INTEGER NOT NULL,
	source		TEXT NOT NULL,
	imported_by	TEXT NOT NULL DEFAULT '',
	imported_at	INTEGER NOT NULL,
	line_count	INTEGER NOT NULL,
	matched		INTEGER NOT NULL,
	mismatched	INTEGER NOT NULL
);
CREATE UNIQUE INDEX recon_file_digest ON recon_file(brand_id, digest);

-- recon_mismatch: the queue of mismatches a user looks into (kind: amount, a line for our
-- transaction with another amount; unknown, a line for no transaction of the batch; missing, a
-- transaction of the batch with no line). txn_id: ours, NULL for an unknown line; reference:
-- the transaction as the bank's line named it. expected: our amount (0 for unknown), received:
-- the line's (0 for missing). Resolved when resolved_at > 0, by a user with a comment (the
-- action log has its line).
CREATE TABLE recon_mismatch (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	shop_id		INTEGER NOT NULL,
	file_id		INTEGER NOT NULL,
	batch_id	INTEGER NOT NULL,
	jrb_number	INTEGER NOT NULL,
	kind		TEXT NOT NULL CHECK (kind IN ('amount', 'unknown', 'missing')),
	txn_id		INTEGER,
	reference	TEXT NOT NULL,
	expected	INTEGER NOT NULL DEFAULT 0,
	received	INTEGER NOT NULL DEFAULT 0,
	currency	TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	resolved_at	INTEGER NOT NULL DEFAULT 0,
	resolved_by	TEXT NOT NULL DEFAULT '',
	comment		TEXT NOT NULL DEFAULT ''
);
CREATE INDEX recon_mismatch_brand ON recon_mismatch(brand_id, created_at, id);
