-- 041_push_reports: the daily push reports (issue 15; docs/EREPORTING.md "Push reports";
-- store/sql/push_reports.c, jobs/push_reports.c).
--
-- push_report_sub: a user's subscription, one row a user once they set it (none: off, 07:00).
-- minute: the wall time of the day in the user's own time zone (0..1439); since: when it was
-- last switched on (µs), so that a subscription made after today's time starts tomorrow.
CREATE TABLE push_report_sub (
	brand_id	INTEGER NOT NULL,
	user_id		INTEGER NOT NULL REFERENCES user(id),
	enabled		INTEGER NOT NULL DEFAULT 0,
	minute		INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439),
	since		INTEGER NOT NULL DEFAULT 0,
	updated_at	INTEGER NOT NULL,
	PRIMARY KEY (brand_id, user_id)
) WITHOUT ROWID;
-- The job reads the switched-on ones of every brand.
CREATE INDEX push_report_sub_on ON push_report_sub(enabled) WHERE enabled = 1;

-- push_report_run: one run a user and local day (the day reported on), whatever happens: the
-- unique key is what makes a second server, or a restart, find the run rather than make
-- another. status: queued (made, its mail not delivered yet), sent (the mail was delivered),
-- failed (its attempts spent; error says why). mail_id: the outbox row of its current
-- attempt. delivery: attachment or link (the report larger than the documented size): then
-- file holds the report (no card number in clear: the masked one only) until
-- file_expires_at, and token_hash the hash of the link's random token (never the token).
CREATE TABLE push_report_run (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	user_id		INTEGER NOT NULL REFERENCES user(id),
	day		INTEGER NOT NULL,
	status		TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
	structure	TEXT NOT NULL DEFAULT '',
	format		TEXT NOT NULL DEFAULT '',
	delivery	TEXT NOT NULL DEFAULT '' CHECK (delivery IN ('', 'attachment', 'link')),
	row_count	INTEGER NOT NULL DEFAULT 0,
	byte_count	INTEGER NOT NULL DEFAULT 0,
	attempts	INTEGER NOT NULL DEFAULT 0,
	error		TEXT NOT NULL DEFAULT '',
	mail_id		INTEGER,
	token_hash	BLOB,
	file		BLOB,
	file_expires_at	INTEGER NOT NULL DEFAULT 0,
	next_attempt_at	INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL,
	finished_at	INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX push_report_run_day ON push_report_run(brand_id, user_id, day);
CREATE UNIQUE INDEX push_report_run_brand ON push_report_run(brand_id, id);
CREATE INDEX push_report_run_queued ON push_report_run(next_attempt_at) WHERE status = 'queued';

-- A mail's MIME type when it is not plain text: the push report's multipart/mixed with its
-- boundary, the body being the parts (jobs/mailer.c). '' is text/plain, UTF-8.
ALTER TABLE mail_outbox ADD COLUMN content_type TEXT NOT NULL DEFAULT '';
