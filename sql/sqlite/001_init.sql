-- 001_init: organisation, keys, transactions, history, idempotency, blocklist, users.
-- Every table carries brand_id (the tenant) and every index starts with it, so the data can
-- later be distributed on it (DESIGN.md "Storage"). Money: INTEGER minor units. Instants:
-- INTEGER microseconds since the epoch, UTC. Days: INTEGER days since 1970-01-01.
-- Logical keys are (brand_id, id); in SQLite the id alone is the rowid for append-only
-- inserts, and (brand_id, id) is a unique index.

CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	BLOB NOT NULL
) WITHOUT ROWID;

-- The tenant itself: its id is the brand_id of every other row.
CREATE TABLE brand (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL,
	pspid		TEXT NOT NULL UNIQUE,	-- Ingenico account id
	created_at	INTEGER NOT NULL
);

-- The brand › group › shop tree (SPEC §2). The brand's own node has parent_id NULL.
CREATE TABLE node (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	parent_id	INTEGER REFERENCES node(id),
	level		TEXT NOT NULL CHECK (level IN ('brand', 'group', 'shop')),
	name		TEXT NOT NULL,
	created_at	INTEGER NOT NULL
);
CREATE UNIQUE INDEX node_brand ON node(brand_id, id);
CREATE INDEX node_parent ON node(brand_id, parent_id);

-- A shop is a node of level 'shop' (same id), identified by SITE (7 digits) and RANG (3).
CREATE TABLE shop (
	id		INTEGER PRIMARY KEY REFERENCES node(id),
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	site		TEXT NOT NULL CHECK (length(site) = 7),
	rang		TEXT NOT NULL CHECK (length(rang) = 3),
	name		TEXT NOT NULL,
	url		TEXT NOT NULL DEFAULT '',
	created_at	INTEGER NOT NULL
);
CREATE UNIQUE INDEX shop_site_rang ON shop(site, rang);
CREATE UNIQUE INDEX shop_brand ON shop(brand_id, id);

-- Contracts per shop and payment method (SPEC §2, Vision manual §9.2.1).
CREATE TABLE contract (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	method		TEXT NOT NULL,
	number		TEXT NOT NULL,
	rang		TEXT NOT NULL,
	label		TEXT NOT NULL DEFAULT '',
	bank_code	TEXT NOT NULL DEFAULT '',
	currency	TEXT NOT NULL,
	amount_min	INTEGER NOT NULL CHECK (amount_min >= 0),
	amount_max	INTEGER NOT NULL CHECK (amount_max >= amount_min),
	deferral_days	INTEGER NOT NULL DEFAULT 0 CHECK (deferral_days BETWEEN 0 AND 30),
	tds		INTEGER NOT NULL DEFAULT 0,	-- 3-D Secure on/off
	active		INTEGER NOT NULL DEFAULT 1,
	test_mode	INTEGER NOT NULL DEFAULT 0,
	test_date	INTEGER,
	telecollect_no	TEXT NOT NULL DEFAULT '',
	report_email	TEXT NOT NULL DEFAULT '',
	created_at	INTEGER NOT NULL,
	last_auth_at	INTEGER,
	deactivated_at	INTEGER
);
CREATE UNIQUE INDEX contract_brand ON contract(brand_id, id);
CREATE INDEX contract_shop ON contract(brand_id, shop_id, method);

-- The data key, wrapped by the key-encrypting key kept outside the database, lives in meta
-- under 'data_key'. HMAC keys are sealed with a subkey of it (SPEC §9.1.3).
CREATE TABLE hmac_key (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	env		TEXT NOT NULL CHECK (env IN ('test', 'production')),
	key_sealed	BLOB NOT NULL,
	status		TEXT NOT NULL CHECK (status IN ('created', 'activated', 'used')),
	created_at	INTEGER NOT NULL,
	activated_at	INTEGER,
	expires_at	INTEGER
);
CREATE UNIQUE INDEX hmac_key_brand ON hmac_key(brand_id, id);
CREATE INDEX hmac_key_shop ON hmac_key(brand_id, shop_id, env, status);

CREATE TABLE user (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	node_id		INTEGER NOT NULL REFERENCES node(id),
	login		TEXT NOT NULL UNIQUE,
	name		TEXT NOT NULL,
	email		TEXT NOT NULL DEFAULT '',
	mobile		TEXT NOT NULL DEFAULT '',
	profile		TEXT NOT NULL CHECK (profile IN ('consultation', 'action', 'admin', 'entry', 'hmac')),
	password_hash	TEXT NOT NULL,
	must_change	INTEGER NOT NULL DEFAULT 1,
	password_set_at	INTEGER NOT NULL,
	created_at	INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_brand ON user(brand_id, id);

-- Transactions: every field of SPEC §5's details. The card number is only here sealed
-- (card_sealed), masked (card_masked) and as a keyed fingerprint (card_fp); never the CVV.
CREATE TABLE txn (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL,
	contract_id	INTEGER,
	parent_id	INTEGER,
	batch_id	INTEGER,
	type		INTEGER NOT NULL,	-- enum txn_type
	status		INTEGER NOT NULL,	-- enum txn_status
	acq		INTEGER NOT NULL,	-- enum txn_acq
	method		INTEGER NOT NULL,	-- enum card_method
	amount_initial	INTEGER NOT NULL,
	amount_current	INTEGER NOT NULL,
	amount_refunded	INTEGER NOT NULL DEFAULT 0,
	currency	TEXT NOT NULL,
	order_ref	TEXT NOT NULL,
	email		TEXT NOT NULL DEFAULT '',
	card_masked	TEXT NOT NULL DEFAULT '',
	card_expiry	TEXT NOT NULL DEFAULT '',
	card_country	TEXT NOT NULL DEFAULT '',
	customer_country TEXT NOT NULL DEFAULT '',
	card_fp		BLOB,
	card_sealed	BLOB,
	auth_number	TEXT NOT NULL DEFAULT '',
	acquirer	TEXT NOT NULL DEFAULT '',
	issuer		TEXT NOT NULL DEFAULT '',
	card_type	TEXT NOT NULL DEFAULT '',
	wallet		TEXT NOT NULL DEFAULT '',
	refusal		INTEGER NOT NULL DEFAULT 0,	-- enum refusal
	capture_manual	INTEGER NOT NULL DEFAULT 0,
	tds		INTEGER NOT NULL DEFAULT 0,
	tds_auth	INTEGER NOT NULL DEFAULT 0,	-- enum tds_auth
	tds_guaranteed	INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL,
	accepted_at	INTEGER NOT NULL DEFAULT 0,
	updated_at	INTEGER NOT NULL,
	bank_day	INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX txn_brand ON txn(brand_id, id);
CREATE INDEX txn_brand_created ON txn(brand_id, created_at, id);
CREATE INDEX txn_brand_shop_created ON txn(brand_id, shop_id, created_at, id);
CREATE INDEX txn_brand_order_ref ON txn(brand_id, order_ref);

-- History of a transaction (Vision manual §4.1.6). user_id NULL: the merchant API or a job.
CREATE TABLE txn_history (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	txn_id		INTEGER NOT NULL,
	at		INTEGER NOT NULL,
	action		TEXT NOT NULL,
	amount		INTEGER NOT NULL,
	currency	TEXT NOT NULL,
	user_id		INTEGER,
	user_name	TEXT NOT NULL DEFAULT '',
	user_login	TEXT NOT NULL DEFAULT ''
);
CREATE INDEX txn_history_txn ON txn_history(brand_id, txn_id, id);

-- Idempotency keys of the merchant API (SPEC §4), scoped to the shop, kept >= 24 h.
CREATE TABLE idempotency (
	brand_id	INTEGER NOT NULL,
	shop_id		INTEGER NOT NULL,
	key		TEXT NOT NULL,
	request_digest	BLOB NOT NULL,
	http_status	INTEGER NOT NULL,
	response	TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	PRIMARY KEY (brand_id, shop_id, key)
) WITHOUT ROWID;

-- The shop's card blocklist (Vision manual §9.3): fingerprints, never numbers.
CREATE TABLE card_block (
	brand_id	INTEGER NOT NULL,
	shop_id		INTEGER NOT NULL,
	card_fp		BLOB NOT NULL,
	card_masked	TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	user_id		INTEGER,
	PRIMARY KEY (brand_id, shop_id, card_fp)
) WITHOUT ROWID;

-- Error log of the merchant API (Ingenico 3.2.10): what was refused, never the body.
CREATE TABLE api_error (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	shop_id		INTEGER NOT NULL,
	at		INTEGER NOT NULL,
	method		TEXT NOT NULL,
	path		TEXT NOT NULL,
	http_status	INTEGER NOT NULL,
	code		TEXT NOT NULL
);
CREATE INDEX api_error_shop ON api_error(brand_id, shop_id, at);
