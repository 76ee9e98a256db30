-- 005_stats_bulk.sql - the statistics roll-up of a bulk load, once per batch of rows rather
-- than once per row.
--
-- The demo copies its history into txn thousands of rows at a time (pg_copy.c); the row
-- trigger then upserted stats_daily once per counted row, inside transactions of 250,000 rows
-- where no old version of the roll-up's few thousand rows could be pruned: 9.4 million
-- versions, a table of 80 MB for 11,857 rows, and most of the demo's time on ten million
-- transactions (docs/PERFORMANCE.md). While a transaction has guichet.bulk set on (set_config,
-- local to it), the row trigger leaves the roll-up to the copier, which adds up the rows it
-- copied in one statement (pg_copy.c, stats_bulk). A payment's insert is unchanged.
CREATE OR REPLACE FUNCTION stats_txn_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF stats_counts(NEW) AND current_setting('guichet.bulk', true) IS DISTINCT FROM 'on' THEN
		PERFORM stats_add(NEW);
	END IF;
	RETURN NULL;
END$$;
