-- 047_txn_children: a transaction's children (its refunds: txn.parent_id, set by a refund to
-- the debit it refunds) found by their parent, for the details of a transaction (issue 17,
-- README "The back office: transactions and cash operations"; store/sql/txn.c
-- db_txn_children_each). Partial: most transactions are debits, with no parent. In time order,
-- as the details list them: without it, the planner would rather walk the brand's transactions
-- in txn_brand_created's order than sort a few rows.
--
-- Plain CREATE INDEX in the migration's transaction: it reads txn once while writers wait, and
-- holds only the rows with a parent.
CREATE INDEX txn_brand_parent ON txn(brand_id, parent_id, created_at, id) WHERE parent_id IS NOT NULL;
