-- 002_ids.sql - ids given or left to the database, as SQLite's rowids are.
--
-- The shared statements (src/store/sql/) insert a brand, a node, a contract, a user or a
-- transaction with
-- the id the caller chose (the demo's, an import's) or NULL for the next one. SQLite takes
-- NULL for "the next rowid" and goes on after the largest given; an identity column refuses
-- NULL and would later hand out an id given already. This trigger does what SQLite does:
-- NULL takes the sequence's next value, and a given id above the sequence moves it on.

CREATE FUNCTION id_fill() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	seq text := pg_get_serial_sequence(TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'id');
BEGIN
	IF NEW.id IS NULL THEN
		NEW.id := nextval(seq);
	ELSIF NEW.id > coalesce(pg_sequence_last_value(seq::regclass), 0) THEN
		PERFORM setval(seq, NEW.id);
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER brand_id_fill BEFORE INSERT ON brand FOR EACH ROW EXECUTE FUNCTION id_fill();
CREATE TRIGGER node_id_fill BEFORE INSERT ON node FOR EACH ROW EXECUTE FUNCTION id_fill();
CREATE TRIGGER contract_id_fill BEFORE INSERT ON contract FOR EACH ROW EXECUTE FUNCTION id_fill();
CREATE TRIGGER users_id_fill BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION id_fill();
CREATE TRIGGER txn_id_fill BEFORE INSERT ON txn FOR EACH ROW EXECUTE FUNCTION id_fill();
