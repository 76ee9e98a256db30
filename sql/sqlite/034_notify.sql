-- 034_notify: the notifications to the merchant's server (issue 12; README "Notifications"):
-- a durable outbox written in the transaction of the decision, and the log of every attempt
-- to deliver it. service/notify.c, store/sqlite/notify.c, jobs/notifier.c, api/notify.c.
--
-- notify_outbox: one call to make. state 0 pending (due at next_at), 1 delivered (a 2xx
-- answer), 2 failed (LIMIT_NOTIFY_ATTEMPTS tries without one). tries counts the attempts
-- since it was written or sent again by a user, attempts every one. The body is kept in
-- clear: it carries what the back office shows of the transaction (amount, order reference,
-- masked card, statuses), never a card number, CVV, key or e-mail, and the merchant's
-- integrator needs to read what was sent. sig_header is the whole header line, signed when
-- the call was made (the key may change since: what was sent is what is kept).
CREATE TABLE notify_outbox (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	txn_id		INTEGER NOT NULL REFERENCES txn(id),
	url		TEXT NOT NULL,
	post		INTEGER NOT NULL DEFAULT 1,
	content_type	TEXT NOT NULL DEFAULT '',
	body		TEXT NOT NULL,
	sig_header	TEXT NOT NULL DEFAULT '',
	state		INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
	tries		INTEGER NOT NULL DEFAULT 0,
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_at		INTEGER NOT NULL,
	created_at	INTEGER NOT NULL,
	done_at		INTEGER
);
-- The notifier's due rows (pending only), and a transaction's log for the back office.
CREATE INDEX notify_outbox_due ON notify_outbox(next_at) WHERE state = 0;
CREATE INDEX notify_outbox_txn ON notify_outbox(brand_id, txn_id);

-- One attempt: when, how long, the HTTP status (0: none, see error), libcurl's error, the
-- first LIMIT_NOTIFY_ANSWER bytes of the answer's body as printable text.
CREATE TABLE notify_attempt (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	notify_id	INTEGER NOT NULL REFERENCES notify_outbox(id),
	at		INTEGER NOT NULL,
	duration_ms	INTEGER NOT NULL,
	http_status	INTEGER NOT NULL,
	error		TEXT NOT NULL DEFAULT '',
	answer		TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notify_attempt_of ON notify_attempt(brand_id, notify_id, id);

-- The merchant's notification URL for every decision of the shop (settings_url_valid).
ALTER TABLE shop_settings ADD COLUMN url_notify TEXT NOT NULL DEFAULT '';
