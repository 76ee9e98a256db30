-- 010_environment_users.sql - a shop's settings, its template and its store requests are
-- written by a user of the production brand whatever the environment (docs/ENVIRONMENTS.md:
-- the users are the production brand's), under the test twin's brand_id in a test session
-- and by "Create production account". The (brand_id, user) foreign keys of 001_schema said the
-- user was of the row's brand, which a test environment's row is not: they go, and the user
-- columns stay what SQLite's are, a user's id (SQLite keeps no such constraint either).
ALTER TABLE shop_settings DROP CONSTRAINT shop_settings_brand_id_updated_by_fkey;
ALTER TABLE page_theme DROP CONSTRAINT page_theme_brand_id_updated_by_fkey;
ALTER TABLE store_request DROP CONSTRAINT store_request_brand_id_user_id_fkey;
