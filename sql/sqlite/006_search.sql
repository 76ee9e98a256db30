-- 006_search: what keeps the transaction search fast at any size (SPEC §5). The search walks
-- txn_brand_created newest first, or, when a filter keeps few rows, that filter's own index
-- (store/sqlite/txn_search.c decides which).

-- Order references compare without case, as LIKE does, so 'abc%' is a range of this index.
DROP INDEX txn_brand_order_ref;
CREATE INDEX txn_brand_order_ref ON txn(brand_id, order_ref COLLATE NOCASE, created_at);
CREATE INDEX txn_brand_email ON txn(brand_id, email COLLATE NOCASE, created_at);
CREATE INDEX txn_brand_amount ON txn(brand_id, amount_initial, created_at);
-- A batch's transactions (SPEC §7, the link from the batch journal).
CREATE INDEX txn_brand_batch ON txn(brand_id, batch_id, created_at) WHERE batch_id IS NOT NULL;

-- '%ABC%': the trigrams of every order reference. Contentless and without positions (the
-- smallest form): it gives candidates, the LIKE on the transaction decides. An order reference
-- never changes once written, so only inserts feed it.
CREATE VIRTUAL TABLE txn_ref USING fts5(order_ref, content = '', tokenize = 'trigram',
	detail = 'none');
INSERT INTO txn_ref(rowid, order_ref) SELECT id, order_ref FROM txn;
CREATE TRIGGER txn_ref_insert AFTER INSERT ON txn
BEGIN
	INSERT INTO txn_ref(rowid, order_ref) VALUES (NEW.id, NEW.order_ref);
END;
