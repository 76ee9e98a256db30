-- 040_session_resume: a session disconnected, kept, and resumed later by the device that held
-- it (SPEC §3 "disconnected"; issue 14; README "The back office"). store/sql/users.c.
--
-- resume_hash: the hash of the resume key the disconnect answered with (the key itself is
-- never kept); NULL while the session is connected. Disconnected, the session's last_seen_at
-- is the disconnect's time: it is resumable until its idle time has passed since, and never
-- after its 12 hours. resume_failures: wrong keys given since the disconnect; the third ends
-- the session.
ALTER TABLE session ADD COLUMN resume_hash BLOB;
ALTER TABLE session ADD COLUMN resume_failures INTEGER NOT NULL DEFAULT 0;
