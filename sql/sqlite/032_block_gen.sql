-- 032_block_gen: a mark that changes whenever a key enters the blocklist, so that a connection
-- keeping the list's keys in memory (store/sqlite/risk.c: a Bloom filter that spares the
-- look-up on the common miss) knows when another process added one and reads them again.
-- A random value rather than a counter: a change rolled back cannot come back as the same
-- mark as another process's later change. Removals need no mark: a key left in memory only
-- costs a look-up.
CREATE TABLE block_gen (
	id	INTEGER PRIMARY KEY CHECK (id = 1),
	gen	INTEGER NOT NULL
);
INSERT INTO block_gen(id, gen) VALUES (1, 0);

CREATE TRIGGER block_gen_insert AFTER INSERT ON block_entry
BEGIN
	UPDATE block_gen SET gen = random() WHERE id = 1;
END;

CREATE TRIGGER block_gen_update AFTER UPDATE OF brand_id, key ON block_entry
BEGIN
	UPDATE block_gen SET gen = random() WHERE id = 1;
END;
