-- 011_user_deactivation.sql - a user deactivated by an administrator: SQLite's
-- 046_user_deactivation.sql, which says what the column holds.
ALTER TABLE users ADD COLUMN deactivated_at bigint;
