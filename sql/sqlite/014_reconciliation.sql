-- 014_reconciliation: the bank's reconciliation of what a batch sent (Vision manual §4.1.5,
-- "JRB"): for each transaction, whether the bank matched it, when, the net amount credited and
-- the commission withheld. Written when the acquirer answers the télécollecte; the simulator
-- answers as soon as the bank file is written. Once per transaction.

CREATE TABLE txn_reconciliation (
	brand_id	INTEGER NOT NULL,
	txn_id		INTEGER NOT NULL,
	batch_id	INTEGER NOT NULL,
	jrb_number	INTEGER NOT NULL,	-- the bank's remittance number
	status		TEXT NOT NULL CHECK (status IN ('yes', 'error')),
	reconciled_at	INTEGER NOT NULL,
	net_amount	INTEGER NOT NULL,
	commission	INTEGER NOT NULL,
	currency	TEXT NOT NULL,
	PRIMARY KEY (brand_id, txn_id)
) WITHOUT ROWID;
