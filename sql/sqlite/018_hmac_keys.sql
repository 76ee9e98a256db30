-- 018_hmac_keys: HMAC keys made in the back office (SPEC §11 "HMAC key"; Vision manual
-- §9.1.3). A key is generated from a passphrase (status 'created'), and becomes the shop's
-- active key for its environment when the link mailed to its creator is followed
-- ('activated', expiring a year later); the first merchant API request it verifies makes it
-- 'used'. The key it replaces becomes 'retired' (new here, hence the table is made again:
-- SQLite cannot change a CHECK in place; nothing refers to hmac_key).
--
-- The activation link carries a 256-bit random token, kept here only as its hash and only
-- until it is used (valid 7 days); the key itself is never in the mail. The token's hash
-- finds the key from outside, before the tenant is known (like a session token's hash),
-- hence its index does not start with brand_id. created_by_login is copied, as the action
-- log does: the list tells who made a key whatever happens to the user later.
-- expiry_mailed_at: when the daily job told the shop's HMAC managers and administrators that
-- the key expired (once; SPEC §11: expired keys keep working).

CREATE TABLE hmac_key_018 (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	env		TEXT NOT NULL CHECK (env IN ('test', 'production')),
	key_sealed	BLOB NOT NULL,
	status		TEXT NOT NULL
			CHECK (status IN ('created', 'activated', 'used', 'retired')),
	created_at	INTEGER NOT NULL,
	activated_at	INTEGER,
	expires_at	INTEGER,
	created_by	INTEGER,
	created_by_login TEXT NOT NULL DEFAULT '',
	token_hash	BLOB,
	token_expires_at INTEGER,
	retired_at	INTEGER,
	expiry_mailed_at INTEGER
);
INSERT INTO hmac_key_018(id, brand_id, shop_id, env, key_sealed, status, created_at,
                         activated_at, expires_at)
	SELECT id, brand_id, shop_id, env, key_sealed, status, created_at, activated_at,
	       expires_at FROM hmac_key;
DROP TABLE hmac_key;
ALTER TABLE hmac_key_018 RENAME TO hmac_key;
CREATE UNIQUE INDEX hmac_key_brand ON hmac_key(brand_id, id);
CREATE INDEX hmac_key_shop ON hmac_key(brand_id, shop_id, env, status);
CREATE UNIQUE INDEX hmac_key_token ON hmac_key(token_hash) WHERE token_hash IS NOT NULL;
-- The daily expiry job's look-up: active keys by their end, every brand.
CREATE INDEX hmac_key_expiry ON hmac_key(expires_at) WHERE status IN ('activated', 'used');
