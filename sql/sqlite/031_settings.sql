-- 031_settings: a shop's general configuration (Vision manual §9.1.1; SPEC §11), the requests
-- to open a payment method from the store (§12), and the Reply-To of a mail (the contact form,
-- §2.3.1: the operator answers the user who wrote). store/sqlite/settings.c, api/settings.c,
-- api/contact.c.
--
-- shop_settings: what the merchant sets for a shop; no row is the defaults (every address
-- empty, immediate return off, version 0). version grows by one at each change: a change
-- names the version it was made from, and one made from an older version is refused (no
-- lost update between two administrators). The daily report goes to report_email when it is
-- set, else to the contract's own address (the télécollecte, store_sqlite.c batch_close).
-- ticket_email, integrator_email and the return URLs are kept for the hosted payment page.
CREATE TABLE shop_settings (
	shop_id		INTEGER PRIMARY KEY REFERENCES shop(id),
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	ticket_email	TEXT NOT NULL DEFAULT '',
	report_email	TEXT NOT NULL DEFAULT '',
	integrator_email TEXT NOT NULL DEFAULT '',
	url_accepted	TEXT NOT NULL DEFAULT '',
	url_refused	TEXT NOT NULL DEFAULT '',
	url_cancelled	TEXT NOT NULL DEFAULT '',
	url_pending	TEXT NOT NULL DEFAULT '',
	immediate_return INTEGER NOT NULL DEFAULT 0,
	version		INTEGER NOT NULL CHECK (version >= 1),
	updated_at	INTEGER NOT NULL,
	updated_by	INTEGER REFERENCES user(id)
);
CREATE UNIQUE INDEX shop_settings_brand ON shop_settings(brand_id, shop_id);

-- A request to open a payment method, mailed to the operator: pending LIMIT_STORE_PENDING_S
-- (7 days) after it was made, during which the same shop and method is not asked again.
CREATE TABLE store_request (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	method		TEXT NOT NULL,
	user_id		INTEGER REFERENCES user(id),
	created_at	INTEGER NOT NULL
);
CREATE INDEX store_request_shop ON store_request(brand_id, shop_id, method, created_at);

-- The address an answer goes to (a header of the mail, not its body); '' none.
ALTER TABLE mail_outbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
