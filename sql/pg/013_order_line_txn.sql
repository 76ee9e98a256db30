-- 013_order_line_txn.sql - the line of a file of payment orders a transaction came from:
-- SQLite's 048_order_line_txn.sql, which says what for.
CREATE INDEX IF NOT EXISTS order_line_txn ON order_line(brand_id, txn_id) WHERE txn_id <> 0;
