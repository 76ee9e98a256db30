-- 015_idempotency: the remembered merchant API answers (SPEC §4) get a keyed request digest
-- and a retention job.
--
-- Until now request_digest was an unkeyed BLAKE2b of the request, whose body holds the card
-- number and its CVV: with the stored answer beside it (masked number, expiry, amount), the
-- number and CVV could be found again by trying the few that fit. The digest is now keyed
-- with a subkey of the data key, which lives outside the database under the KEK
-- (crypto_request_digest). The old digests cannot be rehashed without the requests, so
-- they are blanked. The rows stay until the retention job takes them (24 h): a retry of one
-- of those keys then matches no digest and gets 409 (the key was used for another request)
-- rather than paying a second time; the payment itself is still there to GET.
UPDATE idempotency SET request_digest = zeroblob(32);

-- What the retention job deletes (jobs/retention.c): keys older than 24 h, brand by brand.
CREATE INDEX idempotency_brand_created ON idempotency(brand_id, created_at);
