-- 017_second_factor: the second factor of the back office's sign-in (SPEC §3; Ingenico guide
-- 3.2.1 "2FA"; Jetro: a code sent by e-mail). At most one method a user: '' (none), 'totp'
-- (RFC 6238, enrolled with a QR code) or 'email' (a one-time code mailed at each sign-in).
--
-- The method is on the user, beside the rest of what sign-in reads, so that the users' list
-- shows it without a join. The secrets are in a table of their own, one row a user at most:
-- the TOTP secret (and an enrolment not yet confirmed) sealed with a subkey of the data key
-- bound to brand and user, the last time step a code was accepted at (never the same step or
-- an earlier one twice, RFC 6238 §5.2), and the live e-mail code as a keyed digest only (a
-- subkey of the data key: six digits are quickly tried against an unkeyed one), with the
-- instant it was made (valid 10 minutes; a new one at most every 30 s).
--
-- A session remembers that its sign-in still waits for the second factor, so that a restart
-- does not let it through (the method is read again from the user).

ALTER TABLE user ADD COLUMN second_factor TEXT NOT NULL DEFAULT ''
	CHECK (second_factor IN ('', 'totp', 'email'));

CREATE TABLE second_factor (
	brand_id	INTEGER NOT NULL,
	user_id		INTEGER NOT NULL REFERENCES user(id),
	totp_sealed	BLOB,
	totp_pending	BLOB,
	totp_last_step	INTEGER NOT NULL DEFAULT 0,
	code_digest	BLOB,
	code_created_at	INTEGER,
	PRIMARY KEY (brand_id, user_id)
);

ALTER TABLE session ADD COLUMN second_factor_pending INTEGER NOT NULL DEFAULT 0;
