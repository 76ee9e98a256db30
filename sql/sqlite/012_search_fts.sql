-- 012_search_fts: the amount and e-mail look-ups (011) become trigram indexes too. Their B-tree
-- tables, keyed on a random value, still put each new row on a different page: a batch of the
-- indexer job wrote hundreds of pages and held the payment writer long enough to triple the
-- merchant API's p99. An FTS5 index only appends segments. The amount is indexed as "=1234="
-- so that its trigrams mark where it starts and ends: "=12", "123", "234", "34=". Candidates
-- are checked against the transaction itself, as for order references.

DROP TABLE txn_by_amount;
DROP TABLE txn_by_email;
CREATE VIRTUAL TABLE txn_amount_ref USING fts5(amount, content = '', tokenize = 'trigram',
	detail = 'none');
CREATE VIRTUAL TABLE txn_email_ref USING fts5(email, content = '', tokenize = 'trigram',
	detail = 'none');
INSERT INTO txn_amount_ref(rowid, amount) SELECT id, '=' || amount_initial || '=' FROM txn
	WHERE id <= (SELECT txn_ref_upto FROM search_state);
INSERT INTO txn_email_ref(rowid, email) SELECT id, email FROM txn
	WHERE id <= (SELECT txn_ref_upto FROM search_state) AND email <> '';
