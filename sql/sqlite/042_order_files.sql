-- 042_order_files: files of payment orders (issue 15, "Batch files of payment orders";
-- docs/ORDER-FILES.md). api/order_files.c, store/sql/order_files.c, jobs/order_files.c.
--
-- order_file: one uploaded file of a shop, known by the SHA-256 of its bytes (digest): the
-- same file uploaded again is this row, nothing new. Its status goes received → checking →
-- processing → done or done_with_errors; a malformed file is kept as refused, without lines,
-- its fault in error. lines, accepted, refused: the counts, kept in step with its lines in
-- the same transactions. The instants in microseconds (0: not yet).
CREATE TABLE order_file (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	digest		TEXT NOT NULL,
	name		TEXT NOT NULL,
	source		TEXT NOT NULL,
	user_id		INTEGER,
	status		TEXT NOT NULL,
	lines		INTEGER NOT NULL DEFAULT 0,
	accepted	INTEGER NOT NULL DEFAULT 0,
	refused		INTEGER NOT NULL DEFAULT 0,
	error		TEXT NOT NULL DEFAULT '',
	received_at	INTEGER NOT NULL,
	started_at	INTEGER NOT NULL DEFAULT 0,
	finished_at	INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX order_file_digest ON order_file(brand_id, shop_id, digest);
CREATE INDEX order_file_brand_at ON order_file(brand_id, received_at, id);
-- The job's files still to work on, oldest first.
CREATE INDEX order_file_todo ON order_file(status, id);

-- order_line: one line of a file, by its physical line number, as read and checked: what it
-- asks (operation, the merchant's reference, amount, currency, the card masked and sealed
-- for the brand with its expiry, or an alias; the transaction a capture, refund or cancel is
-- about) and what came of it (pending, accepted or refused, the reason, the transaction made
-- or acted on). The sealed card goes (NULL) once the line is processed or refused: a card
-- number is never kept in clear, and sealed only while it waits.
CREATE TABLE order_line (
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	file_id		INTEGER NOT NULL REFERENCES order_file(id),
	line_no		INTEGER NOT NULL,
	shop_id		INTEGER NOT NULL,
	operation	TEXT NOT NULL,
	reference	TEXT NOT NULL,
	amount		INTEGER NOT NULL DEFAULT 0,
	currency	TEXT NOT NULL DEFAULT '',
	card_masked	TEXT NOT NULL DEFAULT '',
	card_sealed	BLOB,
	card_expiry	TEXT NOT NULL DEFAULT '',
	alias		TEXT NOT NULL DEFAULT '',
	target_id	INTEGER NOT NULL DEFAULT 0,
	capture		TEXT NOT NULL DEFAULT '',
	status		TEXT NOT NULL,
	reason		TEXT NOT NULL DEFAULT '',
	message		TEXT NOT NULL DEFAULT '',
	txn_id		INTEGER NOT NULL DEFAULT 0,
	done_at		INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (brand_id, file_id, line_no)
) WITHOUT ROWID;
-- A merchant reference already accepted in another file of the shop (the second key).
CREATE INDEX order_line_reference ON order_line(brand_id, shop_id, reference);
