-- 016_action_target: the user an action was done to (SPEC §13; Vision manual §11.2 "Détails"),
-- beside the user who did it, so that a search by user finds the changes made to them and not
-- only their own actions. The login is copied, as the actor's is: a row tells what happened
-- whatever changes later. Rows written before have none (0, ''): the log is append-only, so
-- they are not rewritten from their free-text details.
--
-- ADD COLUMN is no UPDATE: the triggers of 002_signin keep refusing updates and deletes. No
-- index: a search always has a period and walks action_log_brand_at; the user filter (actor or
-- target) is checked on the rows of that period.

ALTER TABLE action_log ADD COLUMN target_user_id INTEGER;
ALTER TABLE action_log ADD COLUMN target_login TEXT NOT NULL DEFAULT '';
