/*
 * batches.c - télécollecte (store.h batch_*, txn_reconciliation; migrations 004, 014): the
 * contracts with transactions due, a contract's batch opened, filled a chunk of its due
 * transactions at a time (each sent with its history line, the batch's totals growing with
 * them) and finished, each step in the caller's transaction; the batches a killed run left
 * open, the bank files still to write, a batch's transactions, the journal of batches, and
 * the reconciliation of a transaction; the batch a return file names (reconciliation.c has
 * the rest of the journal).
 *
 * The télécollecte runs once a day: its statements are prepared when they run and finalized
 * after, but for a fill's, which run once a chunk (db_cached); each is logged at debug level
 * (db_step_logged) for the back office's benchmark, which replays them. The
 * reconciliation's two (a batch's, a transaction's read by its page) are kept prepared
 * (db_cached). Not the run itself (service/settlement.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/db.h"

#define BATCH_COLS                                                                                 \
	"b.id, b.brand_id, b.shop_id, b.contract_id, b.number, b.bank_day, b.created_at, "         \
	"b.method, b.currency, b.debit_count, b.debit_amount, b.credit_count, b.credit_amount, "   \
	"c.number, c.rang, b.file_name FROM batch b JOIN contract c ON c.id = b.contract_id "

/* Due: to send, a bank day come, a debit or a refund (SPEC §7). */
#define DUE "brand_id = ?1 AND contract_id = ?2 AND acq = 2 AND bank_day > 0 AND bank_day <= ?3"

/* The next chunk of a batch's due debits and refunds, ?4 of them at most, in the order of the
 * txn_due index (contract, bank day, id). */
#define CHUNK                                                                                      \
	"brand_id = ?1 AND id IN (SELECT id FROM txn WHERE " DUE " AND type IN (0, 1) ORDER BY "   \
	"bank_day, id LIMIT ?4)"

/* Reads a row of BATCH_COLS. */
static void
batch_read(struct stmt *s, struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->id = stmt_int64(s, 0);
	b->brand_id = stmt_int64(s, 1);
	b->shop_id = stmt_int64(s, 2);
	b->contract_id = stmt_int64(s, 3);
	b->number = stmt_int64(s, 4);
	b->bank_day = stmt_int64(s, 5);
	b->created_at = stmt_int64(s, 6);
	b->method = (enum card_method)stmt_int(s, 7);
	db_text_copy(b->currency, sizeof(b->currency), s, 8);
	b->debit_count = stmt_int64(s, 9);
	b->debit_amount = stmt_int64(s, 10);
	b->credit_count = stmt_int64(s, 11);
	b->credit_amount = stmt_int64(s, 12);
	db_text_copy(b->contract_number, sizeof(b->contract_number), s, 13);
	db_text_copy(b->rang, sizeof(b->rang), s, 14);
	db_text_copy(b->file_name, sizeof(b->file_name), s, 15);
}

/* Steps s to its end, calling each_row for every row; finalizes s. Logged at its first step
 * (db_step_logged): the bank files' reads are the télécollecte's statements too. */
static int
batch_rows(struct store *st, struct stmt *s, int (*each_row)(struct stmt *, void *), void *arg,
           const char *what)
{
	int rc = ST_OK, src = db_step_logged(s);

	while (src == STMT_ROW) {
		rc = each_row(s, arg);
		if (rc != ST_OK)
			break;
		src = stmt_step(s);
	}
	if (rc == ST_OK)
		rc = db_status(st, src, what);
	stmt_finalize(s);
	return rc;
}

struct due_arg {
	store_due_cb cb;
	void *arg;
};

static int
due_row(struct stmt *s, void *p)
{
	struct due_arg *d = p;

	return d->cb(d->arg, stmt_int64(s, 0), stmt_int64(s, 1));
}

int
db_batch_due_each(struct store *st, int64_t day, store_due_cb cb, void *arg)
{
	static const char sql[] =
	        "SELECT c.brand_id, c.id FROM contract c WHERE EXISTS (SELECT 1 FROM txn WHERE "
	        "contract_id = c.id AND acq = 2 AND bank_day > 0 AND bank_day <= ?1) "
	        "ORDER BY c.brand_id, c.id";
	struct due_arg d = {cb, arg};
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "batch_due");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, day);
	return batch_rows(st, s, due_row, &d, "batch_due");
}

/* Takes b's contract's due cancellations (its bank day come) out of the queue, without a
 * batch. */
static int
cancelled_leave(struct store *st, const struct batch *b)
{
	static const char sql[] =
	        "UPDATE txn SET acq = 3, updated_at = ?4 WHERE " DUE " AND type = 2";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "batch_cancelled");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, b->brand_id);
	stmt_bind_int64(s, 2, b->contract_id);
	stmt_bind_int64(s, 3, b->bank_day);
	stmt_bind_int64(s, 4, b->created_at);
	return db_run_once(st, s, "batch_cancelled");
}

/* Reads the next number of b's contract's batches and what its batch is made of: the shop,
 * card method and currency of its first due debit or refund (a contract has one of each);
 * *read: one is due. Reads one row of the due ones, not all: this runs under the write lock. */
static int
batch_first(struct store *st, struct batch *b, bool *read)
{
	static const char number_sql[] =
	        "SELECT coalesce(max(number), 0) + 1 FROM batch WHERE contract_id = ?1";
	static const char first_sql[] = "SELECT shop_id, method, currency FROM txn WHERE " DUE
	                                " AND type IN (0, 1) ORDER BY bank_day, id LIMIT 1";
	struct stmt *s;
	int src, rc = db_prepare(st, number_sql, &s, "batch_number");

	if (rc != ST_OK)
		return rc;
	/* Its only parameter is ?1: PostgreSQL cannot type one a statement leaves out. */
	stmt_bind_int64(s, 1, b->contract_id);
	src = db_step_logged(s);
	if (src == STMT_ROW)
		b->number = stmt_int64(s, 0);
	stmt_finalize(s);
	if (src != STMT_ROW)
		return db_status(st, src == STMT_DONE ? STMT_ERROR : src, "batch_number");
	rc = db_prepare(st, first_sql, &s, "batch_first");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, b->brand_id);
	stmt_bind_int64(s, 2, b->contract_id);
	stmt_bind_int64(s, 3, b->bank_day);
	src = db_step_logged(s);
	if (src == STMT_ROW) {
		b->shop_id = stmt_int64(s, 0);
		b->method = (enum card_method)stmt_int(s, 1);
		db_text_copy(b->currency, sizeof(b->currency), s, 2);
	}
	stmt_finalize(s);
	*read = src == STMT_ROW;
	return db_status(st, src, "batch_first");
}

/* Writes the batch row of b, open ('closing'), its totals 0 and its file name set; b->id gets
 * its id. */
static int
batch_insert(struct store *st, struct batch *b)
{
	static const char sql[] =
	        "INSERT INTO batch(brand_id, shop_id, contract_id, number, bank_day, created_at, "
	        "method, currency, debit_count, debit_amount, credit_count, credit_amount, "
	        "file_name, status) VALUES (?1, ?4, ?2, ?5, ?3, ?6, ?7, ?8, 0, 0, 0, 0, ?9, "
	        "'closing') RETURNING id";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "batch_insert");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, b->brand_id);
	stmt_bind_int64(s, 2, b->contract_id);
	stmt_bind_int64(s, 3, b->bank_day);
	stmt_bind_int64(s, 4, b->shop_id);
	stmt_bind_int64(s, 5, b->number);
	stmt_bind_int64(s, 6, b->created_at);
	stmt_bind_int64(s, 7, b->method);
	db_bind_text(s, 8, b->currency);
	db_bind_text(s, 9, b->file_name);
	return db_insert_once(st, s, &b->id, "batch_insert");
}

int
db_batch_open(struct store *st, int64_t brand_id, int64_t contract_id, int64_t day, int64_t now,
              struct batch *b)
{
	bool read = false;
	int rc;

	memset(b, 0, sizeof(*b));
	b->brand_id = brand_id;
	b->contract_id = contract_id;
	b->bank_day = day;
	b->created_at = now;
	rc = batch_first(st, b, &read);
	if (rc != ST_OK)
		return rc;
	/* Only cancellations due: they leave the queue, no batch. (Else batch_finish takes them,
	 * once the fills have left them alone in the contract's range of the due index.) */
	if (!read) {
		rc = cancelled_leave(st, b);
		return rc == ST_OK ? ST_NOTFOUND : rc;
	}
	snprintf(b->file_name, sizeof(b->file_name), "batch-%lld-%lld-%06lld.txt",
	         (long long)brand_id, (long long)contract_id, (long long)b->number);
	return batch_insert(st, b);
}

/* Binds the fill's ?1 to ?4: b's brand, contract and bank day, the chunk's size. */
static void
chunk_bind(struct stmt *s, const struct batch *b, int limit)
{
	stmt_bind_int64(s, 1, b->brand_id);
	stmt_bind_int64(s, 2, b->contract_id);
	stmt_bind_int64(s, 3, b->bank_day);
	stmt_bind_int64(s, 4, limit);
}

/* A transaction a fill sent, as it was sent. */
struct sent_row {
	int64_t id, amount;
	char currency[4];
};

int
db_batch_fill(struct store *st, const struct batch *b, int limit, int64_t *moved)
{
	/* Each row checked due again as it is changed (+: not an index's term): PostgreSQL reads
	 * again a row another transaction changed since the chunk was chosen, and one cancelled
	 * meanwhile stays out. Its history line and the batch's totals come from what it
	 * returns, what was sent. */
	static const char send_sql[] = "UPDATE txn SET acq = 3, batch_id = ?6, updated_at = ?5 "
	                               "WHERE +acq = 2 AND +type IN (0, 1) AND " CHUNK
	                               " RETURNING id, type, amount_current, currency";
	static const char history_sql[] =
	        "INSERT INTO txn_history(brand_id, txn_id, at, action, amount, currency) VALUES "
	        "(?1, ?2, ?3, 'bank_sending', ?4, ?5)";
	static const char batch_sql[] =
	        "UPDATE batch SET debit_count = debit_count + ?3, "
	        "debit_amount = debit_amount + ?4, credit_count = credit_count + ?5, "
	        "credit_amount = credit_amount + ?6 "
	        "WHERE brand_id = ?1 AND id = ?2 AND status = 'closing'";
	int64_t n[4] = {0}; /* debits and their amount, credits and theirs */
	struct sent_row *rows = malloc((size_t)limit * sizeof(*rows));
	struct stmt *s;
	size_t count = 0;
	int src, rc;

	*moved = 0;
	if (rows == NULL)
		abort();
	rc = db_cached(st, send_sql, &s, "batch_fill");
	if (rc != ST_OK)
		goto out;
	chunk_bind(s, b, limit);
	stmt_bind_int64(s, 5, b->created_at);
	stmt_bind_int64(s, 6, b->id);
	for (src = db_step_logged(s); src == STMT_ROW && count < (size_t)limit;
	     src = stmt_step(s)) {
		struct sent_row *r = &rows[count++];
		int credit = stmt_int(s, 1) == TXN_REFUND;

		r->id = stmt_int64(s, 0);
		r->amount = stmt_int64(s, 2);
		db_text_copy(r->currency, sizeof(r->currency), s, 3);
		n[2 * credit]++;
		n[2 * credit + 1] += r->amount;
	}
	stmt_reset(s);
	rc = db_status(st, src, "batch_fill");
	if (rc != ST_OK || count == 0)
		goto out;
	rc = db_cached(st, history_sql, &s, "batch_fill");
	for (size_t i = 0; rc == ST_OK && i < count; i++) {
		stmt_bind_int64(s, 1, b->brand_id);
		stmt_bind_int64(s, 2, rows[i].id);
		stmt_bind_int64(s, 3, b->created_at);
		stmt_bind_int64(s, 4, rows[i].amount);
		db_bind_text(s, 5, rows[i].currency);
		rc = db_run_ahead(st, s, "batch_fill");
	}
	if (rc == ST_OK)
		rc = db_cached(st, batch_sql, &s, "batch_fill");
	if (rc != ST_OK)
		goto out;
	stmt_bind_int64(s, 1, b->brand_id);
	stmt_bind_int64(s, 2, b->id);
	for (int i = 0; i < 4; i++)
		stmt_bind_int64(s, 3 + i, n[i]);
	rc = db_run(st, s, "batch_fill");
	if (rc == ST_OK)
		*moved = (int64_t)count;
out:
	free(rows);
	return rc;
}

static void
batch_one(struct stmt *s, void *out)
{
	batch_read(s, out);
}

static void
text_read(struct stmt *s, void *out)
{
	db_text_copy(out, sizeof(((struct batch *)0)->report_email), s, 0);
}

int
db_batch_finish(struct store *st, struct batch *b)
{
	static const char sent_sql[] =
	        "UPDATE batch SET status = 'sent' WHERE brand_id = ?1 AND id = ?2 AND status = "
	        "'closing'";
	static const char empty_sql[] =
	        "DELETE FROM batch WHERE brand_id = ?1 AND id = ?2 AND status = 'closing'";
	static const char read_sql[] = "SELECT " BATCH_COLS "WHERE b.brand_id = ?1 AND b.id = ?2";
	/* The daily report's address: the shop's, else the contract's. */
	static const char report_sql[] =
	        "SELECT coalesce(nullif((SELECT report_email FROM shop_settings WHERE shop_id = "
	        "c.shop_id), ''), c.report_email) FROM contract c WHERE c.id = ?1";
	struct stmt *s;
	int rc;

	/* The due cancellations leave the queue with it: the fills left them alone in the
	 * contract's range of the due index, a short read now. */
	rc = cancelled_leave(st, b);
	if (rc == ST_OK)
		rc = db_prepare(st, read_sql, &s, "batch_read");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, b->brand_id);
	stmt_bind_int64(s, 2, b->id);
	rc = db_one_row(st, s, batch_one, b, "batch_read");
	stmt_finalize(s);
	if (rc != ST_OK)
		return rc;
	/* Every transaction of it cancelled before it was sent: no batch, its number free. */
	if (b->debit_count + b->credit_count == 0) {
		rc = db_run_ids(st, empty_sql, b->brand_id, b->id, 0, "batch_empty");
		return rc == ST_OK ? ST_NOTFOUND : rc;
	}
	rc = db_run_ids(st, sent_sql, b->brand_id, b->id, 0, "batch_sent");
	if (rc == ST_OK)
		rc = db_prepare(st, report_sql, &s, "batch_report");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, b->contract_id);
	rc = db_one_row(st, s, text_read, b->report_email, "batch_report");
	stmt_finalize(s);
	return rc == ST_NOTFOUND ? ST_OK : rc;
}

struct batch_arg {
	store_batch_cb cb;
	void *arg;
};

static int
batch_row(struct stmt *s, void *p)
{
	struct batch_arg *a = p;
	struct batch b;

	batch_read(s, &b);
	return a->cb(a->arg, &b);
}

int
db_batch_unwritten_each(struct store *st, store_batch_cb cb, void *arg)
{
	static const char sql[] =
	        "SELECT " BATCH_COLS "WHERE b.file_written = 0 AND b.status = 'sent' ORDER BY b.id";
	struct batch_arg a = {cb, arg};
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "batch_unwritten");

	return rc != ST_OK ? rc : batch_rows(st, s, batch_row, &a, "batch_unwritten");
}

int
db_batch_closing_each(struct store *st, store_batch_cb cb, void *arg)
{
	static const char sql[] = "SELECT " BATCH_COLS
	                          "WHERE b.file_written = 0 AND b.status = 'closing' ORDER BY b.id";
	struct batch_arg a = {cb, arg};
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "batch_closing_each");

	return rc != ST_OK ? rc : batch_rows(st, s, batch_row, &a, "batch_closing_each");
}

int
db_batch_written(struct store *st, int64_t id)
{
	static const char sql[] = "UPDATE batch SET file_written = 1 WHERE id = ?1";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "batch_written");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, id);
	rc = db_status(st, stmt_step(s), "batch_written");
	stmt_finalize(s);
	return rc;
}

struct txn_arg {
	store_txn_cb cb;
	void *arg;
};

static int
txn_row(struct stmt *s, void *p)
{
	struct txn_arg *a = p;
	struct txn t;

	db_txn_read(s, &t);
	return a->cb(a->arg, &t);
}

int
db_batch_txns_each(struct store *st, int64_t brand_id, int64_t batch_id, store_txn_cb cb, void *arg)
{
	static const char sql[] = "SELECT " TXN_COLS " FROM txn INDEXED BY txn_brand_batch WHERE "
	                          "brand_id = ?1 AND batch_id = ?2 ORDER BY created_at, id";
	struct txn_arg a = {cb, arg};
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "batch_txns");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, batch_id);
	return batch_rows(st, s, txn_row, &a, "batch_txns");
}

int
db_batch_search(struct store *st, const struct batch_query *q, store_batch_cb cb, void *arg)
{
	static const char sql[] = DB_SUBTREE
	        "SELECT " BATCH_COLS "WHERE b.brand_id = ?1 AND b.status = 'sent' AND b.shop_id IN "
	        "(SELECT id FROM sub) AND "
	        "b.created_at >= ?3 AND b.created_at < ?4 AND (CAST(?5 AS BIGINT) IS NULL OR "
	        "b.created_at < ?5 OR "
	        "(b.created_at = ?5 AND b.id < ?6)) "
	        "AND (CAST(?8 AS BIGINT) IS NULL OR (?8 = 1 AND b.debit_amount - b.credit_amount = "
	        "?9) OR (?8 = 2 "
	        "AND b.debit_amount - b.credit_amount >= ?9) OR (?8 = 3 AND b.debit_amount - "
	        "b.credit_amount <= ?9) OR (?8 = 4 AND b.debit_amount - b.credit_amount <> ?9)) "
	        "AND (CAST(?10 AS TEXT) IS NULL OR c.number = ?10) AND (CAST(?11 AS TEXT) IS NULL "
	        "OR c.rang = ?11) "
	        "AND (CAST(?12 AS BIGINT) IS NULL OR b.number = ?12) AND (CAST(?13 AS BIGINT) IS "
	        "NULL OR b.method = ?13) AND (CAST(?14 AS BIGINT) IS NULL OR b.id = ?14) "
	        "ORDER BY b.created_at DESC, b.id DESC LIMIT ?7";
	struct batch_arg a = {cb, arg};
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "batch_search");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	stmt_bind_int64(s, 3, q->from);
	stmt_bind_int64(s, 4, q->to);
	if (q->after_created_at > 0) {
		stmt_bind_int64(s, 5, q->after_created_at);
		stmt_bind_int64(s, 6, q->after_id);
	}
	stmt_bind_int64(s, 7, q->limit);
	if (q->amount_cmp != AMOUNT_ANY) {
		stmt_bind_int64(s, 8, q->amount_cmp);
		stmt_bind_int64(s, 9, q->amount);
	}
	db_bind_opt_text(s, 10, q->contract_number);
	db_bind_opt_text(s, 11, q->rang);
	db_bind_opt_id(s, 12, q->number);
	if (q->method >= 0)
		stmt_bind_int64(s, 13, q->method);
	db_bind_opt_id(s, 14, q->id);
	return batch_rows(st, s, batch_row, &a, "batch_search");
}

/* --- a history written in bulk (guichetd demo) ----------------------------------------------- */

int
db_batch_history_write(struct store *st, struct batch *b)
{
	static const char insert_sql[] =
	        "INSERT INTO batch(brand_id, shop_id, contract_id, number, bank_day, created_at, "
	        "method, currency, debit_count, debit_amount, credit_count, credit_amount, "
	        "file_name, file_written) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	        "?12, ?13, 1) RETURNING id";
	static const char update_sql[] =
	        "UPDATE batch SET number = ?3, debit_count = ?4, debit_amount = ?5, credit_count = "
	        "?6, credit_amount = ?7, file_name = ?8 WHERE brand_id = ?1 AND id = ?2";
	bool insert = b->id == 0;
	struct stmt *s;
	int i = 1, rc = db_cached(st, insert ? insert_sql : update_sql, &s, "batch_history_write");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, i++, b->brand_id);
	if (insert) {
		stmt_bind_int64(s, i++, b->shop_id);
		stmt_bind_int64(s, i++, b->contract_id);
		stmt_bind_int64(s, i++, b->number);
		stmt_bind_int64(s, i++, b->bank_day);
		stmt_bind_int64(s, i++, b->created_at);
		stmt_bind_int64(s, i++, b->method);
		db_bind_text(s, i++, b->currency);
	} else {
		stmt_bind_int64(s, i++, b->id);
		stmt_bind_int64(s, i++, b->number);
	}
	stmt_bind_int64(s, i++, b->debit_count);
	stmt_bind_int64(s, i++, b->debit_amount);
	stmt_bind_int64(s, i++, b->credit_count);
	stmt_bind_int64(s, i++, b->credit_amount);
	db_bind_text(s, i, b->file_name);
	return insert ? db_insert(st, s, &b->id, "batch_history_write")
	              : db_run(st, s, "batch_history_write");
}

int
db_batch_history_reconcile(struct store *st, const struct batch *b, int64_t jrb_number, int64_t at,
                           int bps)
{
	/* A debit sent its amount before any refund: current + refunded. */
	static const char sql[] =
	        "INSERT INTO txn_reconciliation (brand_id, txn_id, batch_id, jrb_number, status, "
	        "reconciled_at, net_amount, commission, currency) SELECT brand_id, id, batch_id, "
	        "?3, 'yes', ?4, CASE WHEN type = 0 THEN amount_current + amount_refunded - "
	        "(amount_current + amount_refunded) * ?5 / 10000 ELSE amount_current END, CASE "
	        "WHEN type = 0 THEN (amount_current + amount_refunded) * ?5 / 10000 ELSE 0 END, "
	        "currency FROM txn WHERE brand_id = ?1 AND batch_id = ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "batch_history_reconcile");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, b->brand_id);
	stmt_bind_int64(s, 2, b->id);
	stmt_bind_int64(s, 3, jrb_number);
	stmt_bind_int64(s, 4, at);
	stmt_bind_int64(s, 5, bps);
	return db_run(st, s, "batch_history_reconcile");
}

/* --- reconciliation ------------------------------------------------------------------------- */

static void
reconciliation_read(struct stmt *s, struct reconciliation *out)
{
	memset(out, 0, sizeof(*out));
	out->batch_number = stmt_int64(s, 0);
	out->ok = stmt_int(s, 1) != 0;
	out->at = stmt_int64(s, 2);
	out->net_amount = stmt_int64(s, 3);
	out->commission = stmt_int64(s, 4);
	db_text_copy(out->currency, sizeof(out->currency), s, 5);
}

int
db_txn_reconciliation(struct store *st, int64_t brand_id, int64_t txn_id,
                      struct reconciliation *out)
{
	static const char sql[] =
	        "SELECT jrb_number, status = 'yes', reconciled_at, net_amount, commission, "
	        "currency FROM txn_reconciliation WHERE brand_id = ?1 AND txn_id = ?2";
	struct stmt *s;
	int src, rc = db_cached(st, sql, &s, "txn_reconciliation");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, txn_id);
	src = stmt_step(s);
	if (src == STMT_ROW)
		reconciliation_read(s, out);
	rc = db_row_status(st, src, "txn_reconciliation");
	stmt_reset(s);
	return rc;
}

/* The batch a return file names (service/reconcile.c). */
int
db_recon_batch_find(struct store *st, int64_t brand_id, const char *contract_number,
                    const char *rang, int64_t number, struct batch *out)
{
	static const char sql[] =
	        "SELECT " BATCH_COLS "WHERE b.brand_id = ?1 AND c.number = ?2 AND c.rang = ?3 AND "
	        "b.number = ?4";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "recon_batch_find");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	db_bind_text(s, 2, contract_number);
	db_bind_text(s, 3, rang);
	stmt_bind_int64(s, 4, number);
	rc = db_one_row(st, s, batch_one, out, "recon_batch_find");
	stmt_finalize(s);
	return rc;
}
