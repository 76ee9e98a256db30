-- 044_environments: the test and production environments of a brand (issue 15; SPEC §16.1
-- "Environments"; docs/ENVIRONMENTS.md). store/sql/org.c, store/sql/users.c.
--
-- The test environment is a twin brand: a brand row of env 'test' whose twin_id is its
-- production brand, with its own tree of nodes (node.twin_id: the production node each is
-- the twin of), its shops (the same SITE and RANG, env 'test') and contracts. Every tenant-
-- scoped query keeps the environments apart without a change: their data have different
-- brand_ids. SITE and RANG now name two shops, one per environment; the key that verifies
-- a request picks which (http/shops.c).
--
-- A session signed in to the test environment keeps its user's brand (the user, their
-- preferences and second factor are the production brand's) and carries the twin brand
-- and the twin of the user's node as its data scope: env_brand_id, env_node_id (NULL: the
-- production environment).
--
-- The keys an earlier version made were the merchant API's only keys, on the shops that are
-- now production's: they are production keys (a test shop's are 'test').
ALTER TABLE brand ADD COLUMN env TEXT NOT NULL DEFAULT 'production'
	CHECK (env IN ('production', 'test'));
ALTER TABLE brand ADD COLUMN twin_id INTEGER REFERENCES brand(id);
CREATE UNIQUE INDEX brand_twin ON brand(twin_id) WHERE twin_id IS NOT NULL;
ALTER TABLE node ADD COLUMN twin_id INTEGER;
CREATE INDEX node_twin ON node(brand_id, twin_id) WHERE twin_id IS NOT NULL;
ALTER TABLE shop ADD COLUMN env TEXT NOT NULL DEFAULT 'production'
	CHECK (env IN ('production', 'test'));
DROP INDEX shop_site_rang;
CREATE UNIQUE INDEX shop_site_rang ON shop(site, rang, env);
ALTER TABLE session ADD COLUMN env_brand_id INTEGER;
ALTER TABLE session ADD COLUMN env_node_id INTEGER;
UPDATE hmac_key SET env = 'production';
