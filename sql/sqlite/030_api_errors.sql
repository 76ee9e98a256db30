-- 030_api_errors: the merchant API's error log as a page of the back office (Ingenico guide
-- 3.2.10; SPEC §14, §16.1 GET /bo/api/api-errors).
--
-- field: for an invalid_field refusal, the member the answer named ("card.number"), so that
-- the integrator knows what to fix without the request being kept: a name the API knows, or
-- '?' for a name the client made up that could hold anything (domain/api_error.h); '' for
-- every other refusal and for the rows written before. Never a body, a value or a card.
ALTER TABLE api_error ADD COLUMN field TEXT NOT NULL DEFAULT '';

-- The page reads a brand's rows of the last 3 days newest first, over the shops of a node:
-- walking this index backwards from the period's end keeps the order without a sort, and the
-- shop test is made on the index entry's row. api_error_shop stays for the writer's counting
-- (a shop's rows of the minute) and the retention.
CREATE INDEX api_error_brand_at ON api_error(brand_id, at);
