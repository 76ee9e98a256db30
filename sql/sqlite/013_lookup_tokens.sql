-- 013_lookup_tokens: the amount and e-mail indexes of 012 hold each value as one token rather
-- than as trigrams. Trigrams of "client4242@example.com" include "exa" and "com", which every
-- e-mail has: their lists of millions of rows had to be merged to find one customer. One token
-- per value ("client4242@example.com", "1234") is one short list. The search looks an e-mail up
-- this way only when it is made of letters, digits and @ . _ + - (the characters of the token).

DROP TABLE txn_amount_ref;
DROP TABLE txn_email_ref;
CREATE VIRTUAL TABLE txn_amount_ref USING fts5(amount, content = '', tokenize = 'unicode61',
	detail = 'none');
CREATE VIRTUAL TABLE txn_email_ref USING fts5(email, content = '',
	tokenize = "unicode61 remove_diacritics 0 tokenchars '@._+-'", detail = 'none');
INSERT INTO txn_amount_ref(rowid, amount) SELECT id, amount_initial FROM txn
	WHERE id <= (SELECT txn_ref_upto FROM search_state);
INSERT INTO txn_email_ref(rowid, email) SELECT id, email FROM txn
	WHERE id <= (SELECT txn_ref_upto FROM search_state) AND email <> '';
