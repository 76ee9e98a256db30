-- 029_risk: the merchant's blocklist by card, BIN, e-mail and country, and the contracts'
-- fraud filters (SPEC §4, §11, §16.1; Vision manual §9.2.1, §9.3; domain/risk.h).
--
-- block_entry: one entry of a node's blocklist; it acts on the payments of the shops at or
-- under its node until expires_at (NULL: until removed). key is what a payment is looked up
-- by: the kind's byte (1 card, 2 BIN, 3 e-mail, 4 country) then the keyed fingerprint of the
-- whole card number (never the number) or the value's text; value is what the pages show:
-- the masked number, the BIN, the e-mail in small letters, the country. A removed entry is
-- deleted (the action log keeps who removed it and when); one key once a node.
CREATE TABLE block_entry (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	node_id		INTEGER NOT NULL REFERENCES node(id),
	kind		INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 4),
	key		BLOB NOT NULL,
	value		TEXT NOT NULL,
	reason		TEXT NOT NULL DEFAULT '',
	expires_at	INTEGER,
	created_at	INTEGER NOT NULL,
	user_id		INTEGER,
	txn_id		INTEGER
);
-- The payments' look-up (brand, key) and the one entry of a key at a node.
CREATE UNIQUE INDEX block_entry_key ON block_entry(brand_id, key, node_id);
-- The list of a node, newest first.
CREATE INDEX block_entry_node ON block_entry(brand_id, node_id, id);

INSERT INTO block_entry(brand_id, node_id, kind, key, value, created_at, user_id)
SELECT brand_id, shop_id, 1, CAST(X'01' || card_fp AS BLOB), card_masked, created_at, user_id
FROM card_block;
DROP TABLE card_block;

-- The fraud filters of a contract: off when 0 or ''. Country lists are "KP,RU" (sorted).
-- ff_version counts the changes: an edit names the version it read (no lost update).
ALTER TABLE contract ADD COLUMN ff_max_amount INTEGER NOT NULL DEFAULT 0 CHECK (ff_max_amount >= 0);
ALTER TABLE contract ADD COLUMN ff_max_per_card_day INTEGER NOT NULL DEFAULT 0
	CHECK (ff_max_per_card_day >= 0);
ALTER TABLE contract ADD COLUMN ff_card_countries TEXT NOT NULL DEFAULT '';
ALTER TABLE contract ADD COLUMN ff_customer_countries TEXT NOT NULL DEFAULT '';
ALTER TABLE contract ADD COLUMN ff_country_mismatch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contract ADD COLUMN ff_version INTEGER NOT NULL DEFAULT 0;

-- The payments of a card on a day (the velocity filter): a range of this index.
CREATE INDEX txn_card_day ON txn(brand_id, card_fp, day) WHERE card_fp IS NOT NULL;
