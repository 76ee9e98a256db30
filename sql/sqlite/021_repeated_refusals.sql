-- 021_repeated_refusals: a refusal repeated is counted, not written again (SPEC §13, §15).
-- Refusals nobody has to be signed in to cause (a sign-in on a locked account, a merchant API
-- request with a wrong signature naming a real shop) would otherwise each add a row, and a
-- flood of them would grow the database without bound.
--
-- The action log stays append-only: a repeated refusal (the same user, action and details
-- within the same minute) keeps its first row, and this table beside it counts the times it
-- came (2 or more) and the last instant. A count only grows; nothing here is deleted.
CREATE TABLE action_repeat (
	brand_id	INTEGER NOT NULL,
	action_id	INTEGER NOT NULL REFERENCES action_log(id),
	count		INTEGER NOT NULL CHECK (count >= 2),
	last_at		INTEGER NOT NULL,
	PRIMARY KEY (brand_id, action_id)
) WITHOUT ROWID;
CREATE TRIGGER action_repeat_no_delete BEFORE DELETE ON action_repeat
BEGIN
	SELECT RAISE(ABORT, 'the action log is append-only');
END;
CREATE TRIGGER action_repeat_only_grows BEFORE UPDATE ON action_repeat
WHEN NEW.brand_id IS NOT OLD.brand_id OR NEW.action_id IS NOT OLD.action_id
	OR NEW.count < OLD.count OR NEW.last_at < OLD.last_at
BEGIN
	SELECT RAISE(ABORT, 'the action log is append-only: a repeat count only grows');
END;

-- The merchant API's error log (Ingenico 3.2.10): one row per shop, method, path, status and
-- code a minute, with the times it came; at most a few rows per shop a minute (the server's
-- limit), the rest counted in a row of path '*'. Rows written before count 1.
ALTER TABLE api_error ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
