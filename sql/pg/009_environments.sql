-- 009_environments.sql - the test and production environments of a brand: SQLite's
-- 044_environments.sql, which says what the columns hold (docs/ENVIRONMENTS.md).
ALTER TABLE brand ADD COLUMN env text NOT NULL DEFAULT 'production'
	CHECK (env IN ('production', 'test'));
ALTER TABLE brand ADD COLUMN twin_id bigint REFERENCES brand(id);
CREATE UNIQUE INDEX brand_twin ON brand(twin_id) WHERE twin_id IS NOT NULL;
ALTER TABLE node ADD COLUMN twin_id bigint;
CREATE INDEX node_twin ON node(brand_id, twin_id) WHERE twin_id IS NOT NULL;
ALTER TABLE shop ADD COLUMN env text NOT NULL DEFAULT 'production'
	CHECK (env IN ('production', 'test'));
DROP INDEX shop_site_rang;
CREATE UNIQUE INDEX shop_site_rang ON shop(site, rang, env);
ALTER TABLE session ADD COLUMN env_brand_id bigint;
ALTER TABLE session ADD COLUMN env_node_id bigint;
UPDATE hmac_key SET env = 'production';
