-- 011_search_tables: the amount and e-mail look-ups of the search (006) become tables fed by
-- the indexer job with the trigram index, in batches, instead of indexes of txn. An index of
-- a random value (an amount, an e-mail) puts each new payment on a different page: with an
-- index each, a payment commit wrote two more pages per payment, and the merchant API lost
-- a third of its throughput. Filled in batches of thousands, a page takes many rows at once.
-- An amount and an e-mail never change once written. Rows after txn_ref_upto are read from
-- txn directly (store/sqlite/txn_search.c).

DROP INDEX txn_brand_email;
DROP INDEX txn_brand_amount;
CREATE TABLE txn_by_amount (
	brand_id	INTEGER NOT NULL,
	amount		INTEGER NOT NULL,
	created_at	INTEGER NOT NULL,
	id		INTEGER NOT NULL,
	PRIMARY KEY (brand_id, amount, created_at, id)
) WITHOUT ROWID;
CREATE TABLE txn_by_email (
	brand_id	INTEGER NOT NULL,
	email		TEXT NOT NULL COLLATE NOCASE,
	created_at	INTEGER NOT NULL,
	id		INTEGER NOT NULL,
	PRIMARY KEY (brand_id, email, created_at, id)
) WITHOUT ROWID;
INSERT INTO txn_by_amount SELECT brand_id, amount_initial, created_at, id FROM txn
	WHERE id <= (SELECT txn_ref_upto FROM search_state);
INSERT INTO txn_by_email SELECT brand_id, email, created_at, id FROM txn
	WHERE id <= (SELECT txn_ref_upto FROM search_state);
