-- 033_hosted: the hosted payment page (issue 12; SPEC §16.1). api/hosted.c,
-- store/sqlite/hosted.c, service/payments.c.
--
-- txn.origin: where a transaction came from, shown and filtered in the back office
-- (domain/txn.h enum txn_origin): 0 the merchant API, 1 the hosted page, 2 Paybox System,
-- 3 Paybox Direct, 4 manual entry (the virtual terminal), 5 a recurring debit. The rows made
-- before this version are told apart by what they already carry.
ALTER TABLE txn ADD COLUMN origin INTEGER NOT NULL DEFAULT 0;
UPDATE txn SET origin = 4 WHERE manual = 1;
UPDATE txn SET origin = 5 WHERE origin = 0 AND id IN (SELECT txn_id FROM recurring_debit
	WHERE txn_id IS NOT NULL);

-- checkout: the hosted page's 3-D Secure challenge in progress (issue 12): between the card's
-- POST and the buyer's answer to the challenge, the card must wait somewhere, and only here:
-- sealed (crypto_card_seal, bound to the brand), never in clear, and wiped (the row deleted)
-- when the challenge is answered, or by the retention job once expired. The buyer's page
-- carries a random 256-bit token; only its hash is kept (token_hash: like a session's, it
-- finds the tenant from outside). The signed request itself is not kept: the challenge's form
-- carries it back and it is verified again, then bound to this row by shop, order reference,
-- request time and amount.
CREATE TABLE checkout (
	token_hash	BLOB PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	order_ref	TEXT NOT NULL,
	request_time	INTEGER NOT NULL,
	amount		INTEGER NOT NULL CHECK (amount > 0),
	card_sealed	BLOB NOT NULL,
	card_expiry	TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL
) WITHOUT ROWID;
-- The retention job's (every brand's expired rows at once, like the idempotency keys').
CREATE INDEX checkout_expiry ON checkout(expires_at);

-- A signed request is good once (issue 12: "a replayed signed request does not pay twice"):
-- its shop, order reference and request time. The page refuses a request whose time is
-- outside LIMIT_HOSTED_WINDOW_S of the server's clock, so a row created twice that long ago
-- can no longer meet its request again: the retention job deletes it.
CREATE TABLE hosted_replay (
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	order_ref	TEXT NOT NULL,
	request_time	INTEGER NOT NULL,
	created_at	INTEGER NOT NULL,
	PRIMARY KEY (brand_id, shop_id, order_ref, request_time)
) WITHOUT ROWID;
CREATE INDEX hosted_replay_created ON hosted_replay(created_at);
