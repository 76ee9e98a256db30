-- 004_search_indexes.sql - the search's indexes as the search writes its filters.
--
-- An exact amount (amount_initial = $n) and an e-mail (lower(email) = lower($n)) had trigram
-- indexes that neither filter can use: the planner walked 13 months of txn_brand_created to
-- find a few hundred rows (2 s on 10,000,000 transactions, docs/PERFORMANCE.md). Each gets a
-- b-tree on the value as written, newest last, as the SQLite side tables hold each value as
-- one token; the trigram indexes go (no filter reads them, and every new payment wrote an
-- entry per trigram in each).
--
-- An order reference is matched as lower(order_ref) LIKE lower($n) (txn_search.c), so that
-- 'ABC%' reads a range of txn_brand_order_ref (text_pattern_ops); an ILIKE could not. Its
-- trigram index, for '%ABC%', is made on the same expression.
--
-- Plain CREATE INDEX, in the migration's transaction: payments wait while txn is indexed
-- (about a minute for ten million rows). An operator may make the new indexes beforehand with
-- CREATE INDEX CONCURRENTLY under these names, which the migration then keeps
-- (docs/OPERATIONS.md "Upgrades"); the infix index, renamed, is made apart for that reason.
DROP INDEX IF EXISTS txn_amount_trgm;
DROP INDEX IF EXISTS txn_email_trgm;
DROP INDEX IF EXISTS txn_order_ref_trgm;
CREATE INDEX IF NOT EXISTS txn_brand_amount ON txn(brand_id, amount_initial, created_at, id);
CREATE INDEX IF NOT EXISTS txn_brand_email ON txn(brand_id, lower(email), created_at, id);
CREATE INDEX IF NOT EXISTS txn_order_ref_lower_trgm
	ON txn USING gin (brand_id, lower(order_ref) gin_trgm_ops);
