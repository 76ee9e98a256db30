-- 039_pending: payments whose issuer answers later (issue 12, the pending return; README
-- "Pending payments"). service/payments.c, store/sqlite/pending.c, jobs/confirm.c.
--
-- txn_pending: one pending authorization (its transaction Pending, Awaiting confirmation),
-- what the confirmation job needs to ask the acquirer again (acq_ref, the connector's
-- reference; next_at, when), to decide it (deferral_days: the bank day's delay, the payment's
-- own or its contract's, resolved at the request) and to tell the merchant's server (the
-- hosted request's notification URL and, for Paybox System, its PBX_RETOUR; empty: the shop's
-- notification URL). No card data: the issuer knows the authorization by its reference. The
-- row goes when the issuer answered or the payment was abandoned, in the same transaction.
CREATE TABLE txn_pending (
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	txn_id		INTEGER NOT NULL REFERENCES txn(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	acq_ref		TEXT NOT NULL,
	asked_at	INTEGER NOT NULL,
	next_at		INTEGER NOT NULL,
	deferral_days	INTEGER NOT NULL,
	notify_url	TEXT NOT NULL DEFAULT '',
	notify_post	INTEGER NOT NULL DEFAULT 0,
	pbx_retour	TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (brand_id, txn_id)
) WITHOUT ROWID;
-- The job's due rows, every brand's at once (like the notifier's).
CREATE INDEX txn_pending_due ON txn_pending(next_at);
