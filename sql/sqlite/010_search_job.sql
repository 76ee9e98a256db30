-- 010_search_job: the trigram index of order references (006) is fed by a job, in batches of
-- thousands of rows, rather than by a trigger on every payment: an FTS5 insert writes a new
-- segment at every commit, and the payment writer commits tens of times a second. The search
-- reads the index up to txn_ref_upto and the few newer rows directly, so nothing is missed.

DROP TRIGGER txn_ref_insert;
CREATE TABLE search_state (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	txn_ref_upto	INTEGER NOT NULL	-- every transaction id up to it is in txn_ref
);
INSERT INTO search_state VALUES (1, (SELECT coalesce(max(id), 0) FROM txn));
