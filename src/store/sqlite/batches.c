/*
 * batches.c - the SQLite backend's télécollecte (store.h batch_*, txn_reconciliation;
 * migrations 004, 014): the contracts with transactions due, a contract's batch closed in the
 * caller's transaction (numbered, totalled, its transactions sent with their history line),
 * the bank files still to write, a batch's transactions, the journal of batches, and the
 * acquirer's reconciliation of a batch and of a transaction.
 *
 * The télécollecte runs once a day: its statements are prepared when they run and finalized
 * after, those of a batch's closing logged at debug level (lite_step_logged) for the back
 * office's benchmark, which replays them. The reconciliation's two (a batch's, a transaction's
 * read by its page) are kept prepared (lite_cached). Not the run itself
 * (service/settlement.c).
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite/lite.h"

#define BATCH_COLS                                                                                 \
	"b.id, b.brand_id, b.shop_id, b.contract_id, b.number, b.bank_day, b.created_at, "         \
	"b.method, b.currency, b.debit_count, b.debit_amount, b.credit_count, b.credit_amount, "   \
	"c.number, c.rang, b.file_name FROM batch b JOIN contract c ON c.id = b.contract_id "

/* Due: to send, a bank day come, a debit or a refund (SPEC §7). */
#define DUE "brand_id = ?1 AND contract_id = ?2 AND acq = 2 AND bank_day > 0 AND bank_day <= ?3"

/* Reads a row of BATCH_COLS. */
static void
batch_read(sqlite3_stmt *s, struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(s, 0);
	b->brand_id = sqlite3_column_int64(s, 1);
	b->shop_id = sqlite3_column_int64(s, 2);
	b->contract_id = sqlite3_column_int64(s, 3);
	b->number = sqlite3_column_int64(s, 4);
	b->bank_day = sqlite3_column_int64(s, 5);
	b->created_at = sqlite3_column_int64(s, 6);
	b->method = (enum card_method)sqlite3_column_int(s, 7);
	lite_text_copy(b->currency, sizeof(b->currency), s, 8);
	b->debit_count = sqlite3_column_int64(s, 9);
	b->debit_amount = sqlite3_column_int64(s, 10);
	b->credit_count = sqlite3_column_int64(s, 11);
	b->credit_amount = sqlite3_column_int64(s, 12);
	lite_text_copy(b->contract_number, sizeof(b->contract_number), s, 13);
	lite_text_copy(b->rang, sizeof(b->rang), s, 14);
	lite_text_copy(b->file_name, sizeof(b->file_name), s, 15);
}

/* Steps s to its end, calling each_row for every row; finalizes s. */
static int
batch_rows(struct store *st, sqlite3_stmt *s, int (*each_row)(sqlite3_stmt *, void *), void *arg,
           const char *what)
{
	int rc = ST_OK;

	while (lite_next(st, s, &rc, what))
		rc = each_row(s, arg);
	sqlite3_finalize(s);
	return rc;
}

struct due_arg {
	store_due_cb cb;
	void *arg;
};

static int
due_row(sqlite3_stmt *s, void *p)
{
	struct due_arg *d = p;

	return d->cb(d->arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
}

int
lite_batch_due_each(struct store *st, int64_t day, store_due_cb cb, void *arg)
{
	static const char sql[] =
	        "SELECT c.brand_id, c.id FROM contract c WHERE EXISTS (SELECT 1 FROM txn WHERE "
	        "contract_id = c.id AND acq = 2 AND bank_day > 0 AND bank_day <= ?1) "
	        "ORDER BY c.brand_id, c.id";
	struct due_arg d = {cb, arg};
	sqlite3_stmt *s;
	int rc = lite_prepare(st, sql, &s, "batch_due");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, day);
	return batch_rows(st, s, due_row, &d, "batch_due");
}

/* Runs sql on b's contract's due transactions (?1 brand, ?2 contract, ?3 its bank day, ?4 the
 * instant it is closed at), with batch_id as ?5 when it is not 0. */
static int
due_run(struct store *st, const char *sql, const struct batch *b, int64_t batch_id,
        const char *what)
{
	sqlite3_stmt *s;
	int rc = lite_prepare(st, sql, &s, what);

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, b->brand_id);
	sqlite3_bind_int64(s, 2, b->contract_id);
	sqlite3_bind_int64(s, 3, b->bank_day);
	sqlite3_bind_int64(s, 4, b->created_at);
	if (batch_id != 0)
		sqlite3_bind_int64(s, 5, batch_id);
	return lite_run_once(st, s, what);
}

/* Reads the next number of b's contract's batches and the totals of what is due; *read: the
 * totals' row was read. */
static int
batch_totals(struct store *st, struct batch *b, bool *read)
{
	static const char number_sql[] =
	        "SELECT coalesce(max(number), 0) + 1 FROM batch WHERE contract_id = ?2";
	static const char totals_sql[] =
	        "SELECT coalesce(sum(type = 0), 0), coalesce(sum(CASE WHEN type = 0 THEN "
	        "amount_current END), 0), coalesce(sum(type = 1), 0), coalesce(sum(CASE WHEN type "
	        "= 1 THEN amount_current END), 0), max(shop_id), max(method), max(currency), "
	        "(SELECT coalesce(nullif((SELECT report_email FROM shop_settings WHERE shop_id = "
	        "c.shop_id), ''), c.report_email) FROM contract c WHERE c.id = ?2) FROM txn "
	        "WHERE " DUE " AND type IN (0, 1)";
	sqlite3_stmt *s;
	int src, rc = lite_prepare(st, number_sql, &s, "batch_number");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 2, b->contract_id);
	if (lite_step_logged(s) == SQLITE_ROW)
		b->number = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	rc = lite_prepare(st, totals_sql, &s, "batch_totals");
	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, b->brand_id);
	sqlite3_bind_int64(s, 2, b->contract_id);
	sqlite3_bind_int64(s, 3, b->bank_day);
	src = lite_step_logged(s);
	if (src == SQLITE_ROW) {
		b->debit_count = sqlite3_column_int64(s, 0);
		b->debit_amount = sqlite3_column_int64(s, 1);
		b->credit_count = sqlite3_column_int64(s, 2);
		b->credit_amount = sqlite3_column_int64(s, 3);
		b->shop_id = sqlite3_column_int64(s, 4);
		b->method = (enum card_method)sqlite3_column_int(s, 5);
		lite_text_copy(b->currency, sizeof(b->currency), s, 6);
		lite_text_copy(b->report_email, sizeof(b->report_email), s, 7);
	}
	sqlite3_finalize(s);
	*read = src == SQLITE_ROW;
	return lite_status(st, src, "batch_totals");
}

/* Writes the batch row of b (its totals and file name set); b->id gets its id. */
static int
batch_insert(struct store *st, struct batch *b)
{
	static const char sql[] =
	        "INSERT INTO batch(brand_id, shop_id, contract_id, number, bank_day, created_at, "
	        "method, currency, debit_count, debit_amount, credit_count, credit_amount, "
	        "file_name) VALUES (?1, ?4, ?2, ?5, ?3, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
	sqlite3_stmt *s;
	int rc = lite_prepare(st, sql, &s, "batch_insert");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, b->brand_id);
	sqlite3_bind_int64(s, 2, b->contract_id);
	sqlite3_bind_int64(s, 3, b->bank_day);
	sqlite3_bind_int64(s, 4, b->shop_id);
	sqlite3_bind_int64(s, 5, b->number);
	sqlite3_bind_int64(s, 6, b->created_at);
	sqlite3_bind_int(s, 7, b->method);
	lite_bind_text(s, 8, b->currency);
	sqlite3_bind_int64(s, 9, b->debit_count);
	sqlite3_bind_int64(s, 10, b->debit_amount);
	sqlite3_bind_int64(s, 11, b->credit_count);
	sqlite3_bind_int64(s, 12, b->credit_amount);
	lite_bind_text(s, 13, b->file_name);
	rc = lite_run_once(st, s, "batch_insert");
	if (rc == ST_OK)
		b->id = sqlite3_last_insert_rowid(lite_db(st));
	return rc;
}

int
lite_batch_close(struct store *st, int64_t brand_id, int64_t contract_id, int64_t day, int64_t now,
                 struct batch *b)
{
	static const char cancelled_sql[] =
	        "UPDATE txn SET acq = 3, updated_at = ?4 WHERE " DUE " AND type = 2";
	static const char history_sql[] =
	        "INSERT INTO txn_history(brand_id, txn_id, at, action, amount, currency) SELECT "
	        "brand_id, id, ?4, 'bank_sending', amount_current, currency FROM txn WHERE " DUE
	        " AND type IN (0, 1)";
	static const char send_sql[] = "UPDATE txn SET acq = 3, batch_id = ?5, updated_at = ?4 "
	                               "WHERE " DUE " AND type IN (0, 1)";
	bool read = false;
	int rc;

	memset(b, 0, sizeof(*b));
	b->brand_id = brand_id;
	b->contract_id = contract_id;
	b->bank_day = day;
	b->created_at = now;
	rc = batch_totals(st, b, &read);
	if (rc != ST_OK || !read || b->number == 0)
		return rc;
	/* Due cancellations leave the queue in any case. */
	rc = due_run(st, cancelled_sql, b, 0, "batch_cancelled");
	if (rc != ST_OK)
		return rc;
	if (b->debit_count + b->credit_count == 0)
		return ST_NOTFOUND;
	snprintf(b->file_name, sizeof(b->file_name), "batch-%lld-%lld-%06lld.txt",
	         (long long)brand_id, (long long)contract_id, (long long)b->number);
	rc = batch_insert(st, b);
	/* The history first (it selects what is due), then the transactions leave the queue. */
	if (rc == ST_OK)
		rc = due_run(st, history_sql, b, 0, "batch_send");
	if (rc == ST_OK)
		rc = due_run(st, send_sql, b, b->id, "batch_send");
	return rc;
}

struct batch_arg {
	store_batch_cb cb;
	void *arg;
};

static int
batch_row(sqlite3_stmt *s, void *p)
{
	struct batch_arg *a = p;
	struct batch b;

	batch_read(s, &b);
	return a->cb(a->arg, &b);
}

int
lite_batch_unwritten_each(struct store *st, store_batch_cb cb, void *arg)
{
	static const char sql[] = "SELECT " BATCH_COLS "WHERE b.file_written = 0 ORDER BY b.id";
	struct batch_arg a = {cb, arg};
	sqlite3_stmt *s;
	int rc = lite_prepare(st, sql, &s, "batch_unwritten");

	return rc != ST_OK ? rc : batch_rows(st, s, batch_row, &a, "batch_unwritten");
}

int
lite_batch_written(struct store *st, int64_t id)
{
	static const char sql[] = "UPDATE batch SET file_written = 1 WHERE id = ?1";
	sqlite3_stmt *s;
	int rc = lite_prepare(st, sql, &s, "batch_written");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = lite_status(st, sqlite3_step(s), "batch_written");
	sqlite3_finalize(s);
	return rc;
}

struct txn_arg {
	store_txn_cb cb;
	void *arg;
};

static int
txn_row(sqlite3_stmt *s, void *p)
{
	struct txn_arg *a = p;
	struct txn t;

	lite_txn_read(s, &t);
	return a->cb(a->arg, &t);
}

int
lite_batch_txns_each(struct store *st, int64_t brand_id, int64_t batch_id, store_txn_cb cb,
                     void *arg)
{
	static const char sql[] = "SELECT " TXN_COLS " FROM txn INDEXED BY txn_brand_batch WHERE "
	                          "brand_id = ?1 AND batch_id = ?2 ORDER BY created_at, id";
	struct txn_arg a = {cb, arg};
	sqlite3_stmt *s;
	int rc = lite_prepare(st, sql, &s, "batch_txns");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, batch_id);
	return batch_rows(st, s, txn_row, &a, "batch_txns");
}

int
lite_batch_search(struct store *st, const struct batch_query *q, store_batch_cb cb, void *arg)
{
	static const char sql[] = LITE_SUBTREE
	        "SELECT " BATCH_COLS
	        "WHERE b.brand_id = ?1 AND b.shop_id IN (SELECT id FROM sub) AND "
	        "b.created_at >= ?3 AND b.created_at < ?4 AND (?5 IS NULL OR b.created_at < ?5 OR "
	        "(b.created_at = ?5 AND b.id < ?6)) "
	        "AND (?8 IS NULL OR (?8 = 1 AND b.debit_amount - b.credit_amount = ?9) OR (?8 = 2 "
	        "AND b.debit_amount - b.credit_amount >= ?9) OR (?8 = 3 AND b.debit_amount - "
	        "b.credit_amount <= ?9) OR (?8 = 4 AND b.debit_amount - b.credit_amount <> ?9)) "
	        "AND (?10 IS NULL OR c.number = ?10) AND (?11 IS NULL OR c.rang = ?11) "
	        "AND (?12 IS NULL OR b.number = ?12) AND (?13 IS NULL OR b.method = ?13) "
	        "ORDER BY b.created_at DESC, b.id DESC LIMIT ?7";
	struct batch_arg a = {cb, arg};
	sqlite3_stmt *s;
	int rc = lite_prepare(st, sql, &s, "batch_search");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, q->brand_id);
	sqlite3_bind_int64(s, 2, q->node_id);
	sqlite3_bind_int64(s, 3, q->from);
	sqlite3_bind_int64(s, 4, q->to);
	if (q->after_created_at > 0) {
		sqlite3_bind_int64(s, 5, q->after_created_at);
		sqlite3_bind_int64(s, 6, q->after_id);
	}
	sqlite3_bind_int(s, 7, q->limit);
	if (q->amount_cmp != AMOUNT_ANY) {
		sqlite3_bind_int(s, 8, q->amount_cmp);
		sqlite3_bind_int64(s, 9, q->amount);
	}
	lite_bind_opt_text(s, 10, q->contract_number);
	lite_bind_opt_text(s, 11, q->rang);
	lite_bind_opt_id(s, 12, q->number);
	if (q->method >= 0)
		sqlite3_bind_int(s, 13, q->method);
	return batch_rows(st, s, batch_row, &a, "batch_search");
}

/* --- reconciliation ------------------------------------------------------------------------- */

int
lite_batch_reconcile(struct store *st, const struct batch *b, int bps, int64_t at)
{
	static const char sql[] =
	        "INSERT INTO txn_reconciliation SELECT brand_id, id, batch_id, ?3, 'yes', ?4, "
	        "amount_current - CASE WHEN type = 0 THEN amount_current * ?5 / 10000 ELSE 0 END, "
	        "CASE WHEN type = 0 THEN amount_current * ?5 / 10000 ELSE 0 END, currency FROM txn "
	        "WHERE brand_id = ?1 AND batch_id = ?2 ON CONFLICT DO NOTHING";
	sqlite3_stmt *s;
	int rc = lite_cached(st, sql, &s, "batch_reconcile");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, b->brand_id);
	sqlite3_bind_int64(s, 2, b->id);
	sqlite3_bind_int64(s, 3, b->number);
	sqlite3_bind_int64(s, 4, at);
	sqlite3_bind_int(s, 5, bps);
	return lite_run(st, s, "batch_reconcile");
}

static void
reconciliation_read(sqlite3_stmt *s, struct reconciliation *out)
{
	memset(out, 0, sizeof(*out));
	out->batch_number = sqlite3_column_int64(s, 0);
	out->ok = sqlite3_column_int(s, 1) != 0;
	out->at = sqlite3_column_int64(s, 2);
	out->net_amount = sqlite3_column_int64(s, 3);
	out->commission = sqlite3_column_int64(s, 4);
	lite_text_copy(out->currency, sizeof(out->currency), s, 5);
}

int
lite_txn_reconciliation(struct store *st, int64_t brand_id, int64_t txn_id,
                        struct reconciliation *out)
{
	static const char sql[] =
	        "SELECT jrb_number, status = 'yes', reconciled_at, net_amount, commission, "
	        "currency FROM txn_reconciliation WHERE brand_id = ?1 AND txn_id = ?2";
	sqlite3_stmt *s;
	int src, rc = lite_cached(st, sql, &s, "txn_reconciliation");

	if (rc != ST_OK)
		return rc;
	sqlite3_bind_int64(s, 1, brand_id);
	sqlite3_bind_int64(s, 2, txn_id);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		reconciliation_read(s, out);
	rc = lite_row_status(st, src, "txn_reconciliation");
	sqlite3_reset(s);
	return rc;
}
