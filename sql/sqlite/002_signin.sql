-- 002_signin: what the back office's sign-in needs (SPEC §3, §13): lockout, terms, password
-- history, one session per login, the action log.

ALTER TABLE user ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE user ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE user ADD COLUMN terms_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE user ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';
ALTER TABLE user ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Paris';
ALTER TABLE user ADD COLUMN last_login_at INTEGER;
ALTER TABLE user ADD COLUMN login_count INTEGER NOT NULL DEFAULT 0;

-- The last passwords of a user, hashed: none of the last 4 again (PCI DSS 8.3.7).
CREATE TABLE password_history (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	user_id		INTEGER NOT NULL REFERENCES user(id),
	password_hash	TEXT NOT NULL,
	set_at		INTEGER NOT NULL
);
CREATE INDEX password_history_user ON password_history(brand_id, user_id, id);

-- One session per login (SPEC §3): the token and the CSRF token only as hashes.
CREATE TABLE session (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	user_id		INTEGER NOT NULL UNIQUE REFERENCES user(id),
	token_hash	BLOB NOT NULL UNIQUE,
	csrf_hash	BLOB NOT NULL,
	device		TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	last_seen_at	INTEGER NOT NULL
);
CREATE INDEX session_brand ON session(brand_id, id);

-- The action log (SPEC §13, Vision manual §11.2): append-only.
CREATE TABLE action_log (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	at		INTEGER NOT NULL,
	user_id		INTEGER,
	user_login	TEXT NOT NULL,
	user_name	TEXT NOT NULL,
	user_email	TEXT NOT NULL,
	action		TEXT NOT NULL,
	details		TEXT NOT NULL DEFAULT ''
);
CREATE INDEX action_log_brand_at ON action_log(brand_id, at, id);
CREATE INDEX action_log_brand_user ON action_log(brand_id, user_id, at);
CREATE TRIGGER action_log_no_update BEFORE UPDATE ON action_log
BEGIN
	SELECT RAISE(ABORT, 'the action log is append-only');
END;
CREATE TRIGGER action_log_no_delete BEFORE DELETE ON action_log
BEGIN
	SELECT RAISE(ABORT, 'the action log is append-only');
END;

INSERT INTO meta(key, value) VALUES ('terms_version', '1');
