-- 008_txn_day: the Paris day of each transaction, stored with it (the store writes it), so
-- that the statistics triggers call no function of guichetd: any SQLite client (an
-- operator's sqlite3 shell, a benchmark) may change transactions, and the same triggers can
-- be written for PostgreSQL.

ALTER TABLE txn ADD COLUMN day INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER stats_txn_insert;
DROP TRIGGER stats_txn_update;
UPDATE txn SET day = guichet_business_day(created_at);

CREATE TRIGGER stats_txn_insert AFTER INSERT ON txn
WHEN NEW.status = 0 AND NEW.type IN (0, 1) AND NEW.acq IN (2, 3)
BEGIN
	INSERT INTO stats_daily VALUES (NEW.brand_id, NEW.shop_id,
		NEW.day, NEW.method, NEW.type, 1,
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
		AND day = OLD.day AND method = OLD.method
		AND type = OLD.type;
	-- The maximum of what still counts that day, read again only when it left.
	UPDATE stats_daily SET max_amount = coalesce((SELECT max(t.amount_current + t.amount_refunded)
		FROM txn t WHERE t.brand_id = OLD.brand_id AND t.shop_id = OLD.shop_id
		AND t.created_at >= OLD.created_at - 86400000000
		AND t.created_at <= OLD.created_at + 86400000000
		AND t.day = OLD.day
		AND t.method = OLD.method AND t.type = OLD.type AND t.status = 0
		AND t.acq IN (2, 3) AND t.id <> OLD.id), 0)
	WHERE OLD.status = 0 AND OLD.type IN (0, 1) AND OLD.acq IN (2, 3)
		AND max_amount = OLD.amount_current + OLD.amount_refunded
		AND brand_id = OLD.brand_id AND shop_id = OLD.shop_id
		AND day = OLD.day AND method = OLD.method
		AND type = OLD.type;
	INSERT INTO stats_daily SELECT NEW.brand_id, NEW.shop_id,
		NEW.day, NEW.method, NEW.type, 1,
		NEW.amount_current + NEW.amount_refunded, NEW.amount_current + NEW.amount_refunded
	WHERE NEW.status = 0 AND NEW.type IN (0, 1) AND NEW.acq IN (2, 3)
	ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount,
		max_amount = max(max_amount, excluded.amount);
END;
