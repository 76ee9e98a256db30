-- 024_second_factor_required: an account may require a second factor of every user (PCI DSS
-- v4.0 8.4.2, multi-factor authentication for all access to the back office; README "Second
-- factor"). Set by an administrator of the brand's own node; off by default, as before.
ALTER TABLE brand ADD COLUMN second_factor_required INTEGER NOT NULL DEFAULT 0
	CHECK (second_factor_required IN (0, 1));
