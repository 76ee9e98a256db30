-- 022_sign_in_apart: a sign-in waiting for its second factor is kept apart from the user's
-- session (SPEC §3, one session per login). Until now the one session row was replaced as
-- soon as the password was right, so a sign-in asking to take the session over ended the
-- live one before the code was given: someone with only the password could end a user's
-- session. Now a user has at most one live session and, beside it, at most one sign-in
-- waiting for its code; the waiting one replaces the live one only once the code is right.
--
-- SQLite cannot drop a column's UNIQUE: the table is made again, its rows copied, its index
-- made again. Nothing refers to it.
CREATE TABLE session_new (
	id			INTEGER PRIMARY KEY,
	brand_id		INTEGER NOT NULL,
	user_id			INTEGER NOT NULL REFERENCES user(id),
	token_hash		BLOB NOT NULL UNIQUE,
	csrf_hash		BLOB NOT NULL,
	device			TEXT NOT NULL,
	created_at		INTEGER NOT NULL,
	last_seen_at		INTEGER NOT NULL,
	second_factor_pending	INTEGER NOT NULL DEFAULT 0,
	UNIQUE (user_id, second_factor_pending)
);
INSERT INTO session_new(id, brand_id, user_id, token_hash, csrf_hash, device, created_at,
	last_seen_at, second_factor_pending)
SELECT id, brand_id, user_id, token_hash, csrf_hash, device, created_at, last_seen_at,
	second_factor_pending FROM session;
DROP TABLE session;
ALTER TABLE session_new RENAME TO session;
CREATE INDEX session_brand ON session(brand_id, id);
