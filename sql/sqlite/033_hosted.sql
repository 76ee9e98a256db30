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

-- checkout: one payment session the page works on, made from a verified signed request.
-- The buyer's URL carries a random 256-bit token; only its hash is kept (token_hash), so
-- the database does not hand out live sessions. state: 0 open (the card form), 1 decided
-- (txn_id set), 2 cancelled by the buyer, 3 expired. The URLs are http(s), checked before
-- the row is written. No card data here: the card goes from the form to the decision and
-- is dropped.
CREATE TABLE checkout (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	token_hash	BLOB NOT NULL UNIQUE,
	origin		INTEGER NOT NULL,
	state		INTEGER NOT NULL DEFAULT 0,
	amount		INTEGER NOT NULL CHECK (amount > 0),
	currency	TEXT NOT NULL,
	order_ref	TEXT NOT NULL,
	email		TEXT NOT NULL DEFAULT '',
	lang		TEXT NOT NULL DEFAULT 'fr',
	capture_manual	INTEGER NOT NULL DEFAULT 0,
	url_accepted	TEXT NOT NULL DEFAULT '',
	url_refused	TEXT NOT NULL DEFAULT '',
	url_cancelled	TEXT NOT NULL DEFAULT '',
	url_pending	TEXT NOT NULL DEFAULT '',
	url_notify	TEXT NOT NULL DEFAULT '',
	request_time	INTEGER NOT NULL,
	created_at	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL,
	txn_id		INTEGER REFERENCES txn(id)
);
CREATE INDEX checkout_brand ON checkout(brand_id, shop_id, created_at);

-- A signed request is good once (issue 12: "a replayed signed request does not pay twice"):
-- its shop, order reference and request time. The page refuses a request whose time is
-- outside the window HOSTED_REQUEST_WINDOW_S of the server's clock, so rows older than that
-- may go (the retention job).
CREATE TABLE hosted_replay (
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	order_ref	TEXT NOT NULL,
	request_time	INTEGER NOT NULL,
	created_at	INTEGER NOT NULL,
	PRIMARY KEY (brand_id, shop_id, order_ref, request_time)
) WITHOUT ROWID;
