-- 003_session_resume.sql - a session disconnected, kept, and resumed later by the device that
-- held it: SQLite's 040_session_resume.sql, which says what the columns hold. A session
-- disconnected on one server is resumed on another: the state is the row's.
ALTER TABLE session ADD COLUMN resume_hash bytea;
ALTER TABLE session ADD COLUMN resume_failures bigint NOT NULL DEFAULT 0;
