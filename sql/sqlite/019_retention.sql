-- 019_retention: the retention of payment data (SPEC §14; Ingenico guide 3.2.2 "Gestion de la
-- conservation des données": 45 to 540 days per account, 540 by default), chosen by an
-- administrator of the brand. Once a transaction is that old (domain/retention.h), the
-- retention job erases its sealed card number and its card fingerprint (SPEC §5: "or not at
-- all once the retention period ends"); the row, its masked card and its history stay.
--
-- txn_card_kept: the transactions that still hold card data, oldest first in each brand, so
-- a round of the job reads only what it erases, however many transactions were erased
-- before (txn_brand_created would walk all of them each round). It holds the last 540 days
-- at most; a payment writes one entry more, a refund (no card) none.

ALTER TABLE brand ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 540
	CHECK (retention_days BETWEEN 45 AND 540);

CREATE INDEX txn_card_kept ON txn(brand_id, created_at) WHERE card_sealed IS NOT NULL;
