-- 012_txn_children.sql - a transaction's refunds found by their parent: SQLite's
-- 047_txn_children.sql, which says what for.
--
-- Plain CREATE INDEX, in the migration's transaction: payments wait while txn is indexed. An
-- operator may make it beforehand with CREATE INDEX CONCURRENTLY under this name, which the
-- migration then keeps (docs/OPERATIONS.md "Upgrades").
CREATE INDEX IF NOT EXISTS txn_brand_parent ON txn(brand_id, parent_id, created_at, id)
	WHERE parent_id IS NOT NULL;
