-- 046_user_deactivation: a user deactivated by an administrator (issue 17, README "Users"):
-- kept (their name stays in the action log and in the histories), but no sign-in, no
-- session, no mail of a new HMAC key, no daily push report; undone by a reactivation.
-- deactivated_at: when, in microseconds since the epoch; NULL: active. store/sql/users.c.
ALTER TABLE user ADD COLUMN deactivated_at INTEGER;
