-- 048_order_line_txn: the line of a file of payment orders a transaction came from (issue 15,
-- electronic reporting's File management structure: "batch_file_line"; docs/EREPORTING.md),
-- found by the transaction: order_line.txn_id is the payment or refund the line made (or the
-- transaction a capture or cancel acted on). Partial: a line not processed yet has none. Read
-- once a row of a report (store/sql/db.h TXN_ORDER_LINE).
CREATE INDEX order_line_txn ON order_line(brand_id, txn_id) WHERE txn_id <> 0;
