-- 004_batches: settlement batches (télécollecte, SPEC §7, Vision manual §5).
-- One batch per contract and run; closed in one transaction with its transactions' new status.

CREATE TABLE batch (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	shop_id		INTEGER NOT NULL,
	contract_id	INTEGER NOT NULL,
	number		INTEGER NOT NULL,		-- per contract: 1, 2, ...
	bank_day	INTEGER NOT NULL,		-- the day it was sent for
	created_at	INTEGER NOT NULL,
	status		TEXT NOT NULL DEFAULT 'sent',
	method		INTEGER NOT NULL,
	currency	TEXT NOT NULL,
	debit_count	INTEGER NOT NULL,
	debit_amount	INTEGER NOT NULL,
	credit_count	INTEGER NOT NULL,
	credit_amount	INTEGER NOT NULL,
	file_name	TEXT NOT NULL,
	file_written	INTEGER NOT NULL DEFAULT 0,
	UNIQUE (contract_id, number)
);
CREATE UNIQUE INDEX batch_brand ON batch(brand_id, id);
CREATE INDEX batch_brand_created ON batch(brand_id, created_at, id);
CREATE INDEX batch_unwritten ON batch(file_written, id);

-- What the settlement looks for: transactions to send, by contract and bank day.
CREATE INDEX txn_due ON txn(acq, bank_day, contract_id) WHERE acq = 2;
