-- 025_recurring: card aliases, installment plans and subscriptions (SPEC §9, §16.1; Vision
-- manual §6, §7, §10.1.2-10.1.3; Ingenico guide 3.2.4).
--
-- card_alias: a card kept for later payments under a random public name (the alias). The
-- number is sealed (bound to the brand, like a transaction's) and fingerprinted; its scheme,
-- masked number and expiry are kept to refuse early and to show it. An alias belongs to the
-- account (the brand), as Ingenico's belong to the PSPID: any shop of the brand may pay with
-- it through the merchant API. implicit: made for a plan or subscription given a card, never
-- named to the merchant. A deleted alias keeps its row (plans made with it still show their
-- card) without its number.
CREATE TABLE card_alias (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	alias		TEXT NOT NULL,
	method		INTEGER NOT NULL,
	card_masked	TEXT NOT NULL,
	card_expiry	TEXT NOT NULL,
	card_fp		BLOB,
	card_sealed	BLOB,
	implicit	INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL,
	deleted_at	INTEGER
);
CREATE UNIQUE INDEX card_alias_brand ON card_alias(brand_id, alias);

-- recurring: a plan (2 to 4 installments, each its amount and day) or a subscription (an
-- initial amount charged at once, then count debits of amount, 0 for unlimited, every
-- every_months months on day_of_month from start_day). done: the debits made so far, the
-- initial one apart; next_day/next_amount: the next one (NULL once none is to come). The
-- status 'will_fail' is an 'in_progress' one whose card expires before next_day. Days are
-- Paris days since 1970-01-01 (domain/calendar.h), instants microseconds.
CREATE TABLE recurring (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	contract_id	INTEGER NOT NULL REFERENCES contract(id),
	kind		TEXT NOT NULL CHECK (kind IN ('plan', 'subscription')),
	status		TEXT NOT NULL CHECK (status IN ('in_progress', 'finished', 'failed',
					'terminated', 'will_fail')),
	alias_id	INTEGER NOT NULL REFERENCES card_alias(id),
	method		INTEGER NOT NULL,
	currency	TEXT NOT NULL,
	order_ref	TEXT NOT NULL,
	email		TEXT NOT NULL DEFAULT '',
	customer_country TEXT NOT NULL DEFAULT '',
	card_masked	TEXT NOT NULL,
	card_expiry	TEXT NOT NULL,
	initial_amount	INTEGER NOT NULL DEFAULT 0,
	amount		INTEGER NOT NULL,
	count		INTEGER NOT NULL,
	every_months	INTEGER NOT NULL DEFAULT 0,
	day_of_month	INTEGER NOT NULL DEFAULT 0,
	start_day	INTEGER NOT NULL,
	done		INTEGER NOT NULL DEFAULT 0,
	next_day	INTEGER,
	next_amount	INTEGER,
	manual		INTEGER NOT NULL DEFAULT 0,
	archive_ref	TEXT NOT NULL DEFAULT '',
	created_by	INTEGER,
	created_by_login TEXT NOT NULL DEFAULT '',
	created_at	INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL,
	ended_at	INTEGER,
	end_reason	TEXT NOT NULL DEFAULT '',
	ended_by	INTEGER,
	ended_by_login	TEXT NOT NULL DEFAULT ''
);
CREATE INDEX recurring_journal ON recurring(brand_id, kind, created_at, id);
CREATE INDEX recurring_alias ON recurring(brand_id, alias_id);
-- The scheduler's look-up: what is due by a day, every brand.
CREATE INDEX recurring_due ON recurring(next_day, id) WHERE status IN ('in_progress', 'will_fail');

-- recurring_debit: the debits of a recurring, one row each: number 0 is a subscription's
-- initial debit, 1.. the installments or the subscription's debits. A plan's rows are
-- written at its creation ('planned'); a subscription's when made. The primary key is what
-- makes each debit exactly once: the scheduler writes the row, the transaction and the
-- recurring's progress in one transaction.
CREATE TABLE recurring_debit (
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	recurring_id	INTEGER NOT NULL REFERENCES recurring(id),
	number		INTEGER NOT NULL,
	day		INTEGER NOT NULL,
	amount		INTEGER NOT NULL,
	status		TEXT NOT NULL CHECK (status IN ('planned', 'accepted', 'refused',
					'cancelled')),
	txn_id		INTEGER REFERENCES txn(id),
	PRIMARY KEY (brand_id, recurring_id, number)
) WITHOUT ROWID;
CREATE INDEX recurring_debit_txn ON recurring_debit(brand_id, txn_id) WHERE txn_id IS NOT NULL;
