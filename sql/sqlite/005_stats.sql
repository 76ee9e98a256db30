-- 005_stats: daily roll-ups for the home page statistics (SPEC §12), kept by triggers in the
-- same transaction as every change of a transaction, so a 13-month dashboard reads at most
-- 396 days × shops × methods rows and never scans transactions.
--
-- What counts (Vision manual §4.1.1): accepted debits and refunds that are to send or sent.
-- A debit counts for what was debited (current amount plus what was refunded since): refunds
-- are subtracted as their own rows. The day is the Paris day of the transaction
-- (guichet_business_day, a function the store registers on every connection).

CREATE TABLE stats_daily (
	brand_id	INTEGER NOT NULL,
	shop_id		INTEGER NOT NULL,
	day		INTEGER NOT NULL,
	method		INTEGER NOT NULL,
	type		INTEGER NOT NULL,	-- 0 debit, 1 refund
	count		INTEGER NOT NULL,
	amount		INTEGER NOT NULL,
	max_amount	INTEGER NOT NULL,
	PRIMARY KEY (brand_id, day, shop_id, method, type)
) WITHOUT ROWID;

CREATE TRIGGER stats_txn_insert AFTER INSERT ON txn
WHEN NEW.status = 0 AND NEW.type IN (0, 1) AND NEW.acq IN (2, 3)
BEGIN
	INSERT INTO stats_daily VALUES (NEW.brand_id, NEW.shop_id,
		guichet_business_day(NEW.created_at), NEW.method, NEW.type, 1,
		NEW.amount_current + NEW.amount_refunded, NEW.amount_current + NEW.amount_refunded)
	ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount,
		max_amount = max(max_amount, excluded.amount);
END;

-- A change that moves what counts: out with the old contribution, in with the new.
CREATE TRIGGER stats_txn_update AFTER UPDATE OF type, status, acq, amount_current,
	amount_refunded ON txn
WHEN (OLD.status = 0 AND OLD.type IN (0, 1) AND OLD.acq IN (2, 3)) IS NOT
	(NEW.status = 0 AND NEW.type IN (0, 1) AND NEW.acq IN (2, 3))
	OR OLD.type IS NOT NEW.type
	OR OLD.amount_current + OLD.amount_refunded IS NOT NEW.amount_current + NEW.amount_refunded
BEGIN
	UPDATE stats_daily SET count = count - 1,
		amount = amount - (OLD.amount_current + OLD.amount_refunded)
	WHERE OLD.status = 0 AND OLD.type IN (0, 1) AND OLD.acq IN (2, 3)
		AND brand_id = OLD.brand_id AND shop_id = OLD.shop_id
		AND day = guichet_business_day(OLD.created_at) AND method = OLD.method
		AND type = OLD.type;
	-- The maximum of what still counts that day, read again only when it left.
	UPDATE stats_daily SET max_amount = coalesce((SELECT max(t.amount_current + t.amount_refunded)
		FROM txn t WHERE t.brand_id = OLD.brand_id AND t.shop_id = OLD.shop_id
		AND t.created_at >= OLD.created_at - 86400000000
		AND t.created_at <= OLD.created_at + 86400000000
		AND guichet_business_day(t.created_at) = guichet_business_day(OLD.created_at)
		AND t.method = OLD.method AND t.type = OLD.type AND t.status = 0
		AND t.acq IN (2, 3) AND t.id <> OLD.id), 0)
	WHERE OLD.status = 0 AND OLD.type IN (0, 1) AND OLD.acq IN (2, 3)
		AND max_amount = OLD.amount_current + OLD.amount_refunded
		AND brand_id = OLD.brand_id AND shop_id = OLD.shop_id
		AND day = guichet_business_day(OLD.created_at) AND method = OLD.method
		AND type = OLD.type;
	INSERT INTO stats_daily SELECT NEW.brand_id, NEW.shop_id,
		guichet_business_day(NEW.created_at), NEW.method, NEW.type, 1,
		NEW.amount_current + NEW.amount_refunded, NEW.amount_current + NEW.amount_refunded
	WHERE NEW.status = 0 AND NEW.type IN (0, 1) AND NEW.acq IN (2, 3)
	ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount,
		max_amount = max(max_amount, excluded.amount);
END;

-- What existed before this migration.
INSERT INTO stats_daily
SELECT brand_id, shop_id, guichet_business_day(created_at), method, type, count(*),
	sum(amount_current + amount_refunded), max(amount_current + amount_refunded)
FROM txn WHERE status = 0 AND type IN (0, 1) AND acq IN (2, 3)
GROUP BY 1, 2, 3, 4, 5;
