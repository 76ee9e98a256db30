/*
 * txn.c - transactions (store.h txn_insert, txn_get, txn_update,
 * txn_card_fp, txn_children_each, history_*, idem_*, txn_card_purge): a payment's row written, read and updated
 * by its operations, its history, the merchant API's Idempotency-Key memory, and their
 * retention: the card data past a brand's days (migration 019), the remembered answers past
 * theirs (migration 015). Also SQLite's txn_rows_write (the demo's history in batches), and
 * the binding of a new row that PostgreSQL's COPY of them shares (pg/pg_copy.c).
 *
 * Every payment and every operation runs these: kept prepared (db_cached), the writes
 * logged at debug level (db_run) for the benchmark that replays them. Not the search
 * (txn_search.c), nor the télécollecte (batches.c).
 */
#include <stdlib.h>
#include <string.h>

#include "domain/calendar.h"
#include "domain/retention.h"
#include "store/sql/db.h"

void
db_txn_bind(struct stmt *s, const struct txn *t, const unsigned char *fp, size_t fp_len,
            const unsigned char *sealed, size_t sealed_len)
{
	int i = 1;

	db_bind_id(s, i++, t->id);
	stmt_bind_int64(s, i++, t->brand_id);
	stmt_bind_int64(s, i++, t->shop_id);
	db_bind_id(s, i++, t->contract_id);
	db_bind_id(s, i++, t->parent_id);
	db_bind_id(s, i++, t->batch_id);
	stmt_bind_int64(s, i++, t->type);
	stmt_bind_int64(s, i++, t->status);
	stmt_bind_int64(s, i++, t->acq);
	stmt_bind_int64(s, i++, t->method);
	stmt_bind_int64(s, i++, t->amount_initial);
	stmt_bind_int64(s, i++, t->amount_current);
	stmt_bind_int64(s, i++, t->amount_refunded);
	db_bind_text(s, i++, t->currency);
	db_bind_text(s, i++, t->order_ref);
	db_bind_text(s, i++, t->email);
	db_bind_text(s, i++, t->card_masked);
	db_bind_text(s, i++, t->card_expiry);
	db_bind_text(s, i++, t->card_country);
	db_bind_text(s, i++, t->customer_country);
	db_bind_text(s, i++, t->auth_number);
	db_bind_text(s, i++, t->acquirer);
	db_bind_text(s, i++, t->issuer);
	db_bind_text(s, i++, t->card_type);
	db_bind_text(s, i++, t->wallet);
	stmt_bind_int64(s, i++, t->refusal);
	stmt_bind_int64(s, i++, t->capture_manual);
	stmt_bind_int64(s, i++, t->tds);
	stmt_bind_int64(s, i++, t->tds_auth);
	stmt_bind_int64(s, i++, t->tds_guaranteed);
	stmt_bind_int64(s, i++, t->created_at);
	stmt_bind_int64(s, i++, t->accepted_at);
	stmt_bind_int64(s, i++, t->updated_at);
	stmt_bind_int64(s, i++, t->bank_day);
	stmt_bind_int64(s, i++, t->manual);
	db_bind_text(s, i++, t->archive_ref);
	stmt_bind_int64(s, i++, (int)t->origin);
	if (fp != NULL)
		stmt_bind_blob(s, i, fp, fp_len);
	i++;
	if (sealed != NULL)
		stmt_bind_blob(s, i, sealed, sealed_len);
	i++;
	/* The Paris day the statistics triggers file it under (migration 008). */
	stmt_bind_int64(s, i, cal_business_day(t->created_at));
}

int
db_txn_insert(struct store *st, struct txn *t, const unsigned char *fp, size_t fp_len,
              const unsigned char *sealed, size_t sealed_len)
{
	static const char sql[] =
	        "INSERT INTO txn(" TXN_INSERT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	        "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, "
	        "?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40) "
	        "RETURNING id";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "txn_insert");

	if (rc != ST_OK)
		return rc;
	db_txn_bind(s, t, fp, fp_len, sealed, sealed_len);
	return db_insert(st, s, &t->id, "txn_insert");
}

void
db_txn_read_field(struct stmt *s, int col, enum txn_field f, struct txn *t)
{
	switch (f) {
	case TF_ID:
		t->id = stmt_int64(s, col);
		break;
	case TF_BRAND:
		t->brand_id = stmt_int64(s, col);
		break;
	case TF_SHOP:
		t->shop_id = stmt_int64(s, col);
		break;
	case TF_CONTRACT:
		t->contract_id = stmt_int64(s, col);
		break;
	case TF_PARENT:
		t->parent_id = stmt_int64(s, col);
		break;
	case TF_BATCH:
		t->batch_id = stmt_int64(s, col);
		break;
	case TF_TYPE:
		t->type = (enum txn_type)stmt_int(s, col);
		break;
	case TF_STATUS:
		t->status = (enum txn_status)stmt_int(s, col);
		break;
	case TF_ACQ:
		t->acq = (enum txn_acq)stmt_int(s, col);
		break;
	case TF_METHOD:
		t->method = (enum card_method)stmt_int(s, col);
		break;
	case TF_AMOUNT_INITIAL:
		t->amount_initial = stmt_int64(s, col);
		break;
	case TF_AMOUNT_CURRENT:
		t->amount_current = stmt_int64(s, col);
		break;
	case TF_AMOUNT_REFUNDED:
		t->amount_refunded = stmt_int64(s, col);
		break;
	case TF_CURRENCY:
		db_text_copy(t->currency, sizeof(t->currency), s, col);
		break;
	case TF_ORDER_REF:
		db_text_copy(t->order_ref, sizeof(t->order_ref), s, col);
		break;
	case TF_EMAIL:
		db_text_copy(t->email, sizeof(t->email), s, col);
		break;
	case TF_CARD_MASKED:
		db_text_copy(t->card_masked, sizeof(t->card_masked), s, col);
		break;
	case TF_CARD_EXPIRY:
		db_text_copy(t->card_expiry, sizeof(t->card_expiry), s, col);
		break;
	case TF_CARD_COUNTRY:
		db_text_copy(t->card_country, sizeof(t->card_country), s, col);
		break;
	case TF_CUSTOMER_COUNTRY:
		db_text_copy(t->customer_country, sizeof(t->customer_country), s, col);
		break;
	case TF_AUTH_NUMBER:
		db_text_copy(t->auth_number, sizeof(t->auth_number), s, col);
		break;
	case TF_ACQUIRER:
		db_text_copy(t->acquirer, sizeof(t->acquirer), s, col);
		break;
	case TF_ISSUER:
		db_text_copy(t->issuer, sizeof(t->issuer), s, col);
		break;
	case TF_CARD_TYPE:
		db_text_copy(t->card_type, sizeof(t->card_type), s, col);
		break;
	case TF_WALLET:
		db_text_copy(t->wallet, sizeof(t->wallet), s, col);
		break;
	case TF_REFUSAL:
		t->refusal = (enum refusal)stmt_int(s, col);
		break;
	case TF_CAPTURE_MANUAL:
		t->capture_manual = stmt_int(s, col) != 0;
		break;
	case TF_TDS:
		t->tds = stmt_int(s, col) != 0;
		break;
	case TF_TDS_AUTH:
		t->tds_auth = (enum tds_auth)stmt_int(s, col);
		break;
	case TF_TDS_GUARANTEED:
		t->tds_guaranteed = stmt_int(s, col) != 0;
		break;
	case TF_CREATED_AT:
		t->created_at = stmt_int64(s, col);
		break;
	case TF_ACCEPTED_AT:
		t->accepted_at = stmt_int64(s, col);
		break;
	case TF_UPDATED_AT:
		t->updated_at = stmt_int64(s, col);
		break;
	case TF_BANK_DAY:
		t->bank_day = stmt_int64(s, col);
		break;
	case TF_MANUAL:
		t->manual = stmt_int(s, col) != 0;
		break;
	case TF_ARCHIVE_REF:
		db_text_copy(t->archive_ref, sizeof(t->archive_ref), s, col);
		break;
	case TF_ORIGIN:
		t->origin = (enum txn_origin)stmt_int(s, col);
		break;
	case TF_BATCH_NUMBER:
		t->batch_number = stmt_int64(s, col);
		break;
	case TF_ORDER_LINE:
		db_text_copy(t->order_line, sizeof(t->order_line), s, col);
		break;
	case TF__COUNT:
		break;
	}
}

void
db_txn_read(struct stmt *s, struct txn *t)
{
	memset(t, 0, sizeof(*t));
	for (int f = 0; f < TF__COUNT; f++)
		db_txn_read_field(s, f, (enum txn_field)f, t);
}

int
db_txn_get(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id, struct txn *out)
{
	static const char sql[] = "SELECT " TXN_COLS " FROM txn WHERE brand_id = ?1 AND id = ?2";
	static const char shop_sql[] =
	        "SELECT " TXN_COLS " FROM txn WHERE brand_id = ?1 AND id = ?2 AND shop_id = ?3";
	struct stmt *s;
	int src, rc = db_cached(st, shop_id ? shop_sql : sql, &s, "txn_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	if (shop_id)
		stmt_bind_int64(s, 3, shop_id);
	src = stmt_step(s);
	if (src == STMT_ROW)
		db_txn_read(s, out);
	rc = db_row_status(st, src, "txn_get");
	stmt_reset(s);
	return rc;
}

int
db_txn_update(struct store *st, const struct txn *t)
{
	static const char sql[] =
	        "UPDATE txn SET type = ?3, status = ?4, acq = ?5, amount_current = ?6, "
	        "amount_refunded = ?7, batch_id = ?8, bank_day = ?9, updated_at = ?10, "
	        "auth_number = ?11, refusal = ?12, tds_guaranteed = ?13, "
	        "accepted_at = ?14 WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "txn_update");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, t->brand_id);
	stmt_bind_int64(s, 2, t->id);
	stmt_bind_int64(s, 3, t->type);
	stmt_bind_int64(s, 4, t->status);
	stmt_bind_int64(s, 5, t->acq);
	stmt_bind_int64(s, 6, t->amount_current);
	stmt_bind_int64(s, 7, t->amount_refunded);
	db_bind_id(s, 8, t->batch_id);
	stmt_bind_int64(s, 9, t->bank_day);
	stmt_bind_int64(s, 10, t->updated_at);
	db_bind_text(s, 11, t->auth_number);
	stmt_bind_int64(s, 12, t->refusal);
	stmt_bind_int64(s, 13, t->tds_guaranteed);
	stmt_bind_int64(s, 14, t->accepted_at);
	rc = db_run(st, s, "txn_update");
	if (rc == ST_OK && db_changes(st) != 1)
		rc = ST_NOTFOUND;
	return rc;
}

int
db_txn_card_fp(struct store *st, int64_t brand_id, int64_t id, unsigned char *fp, size_t cap,
               size_t *len)
{
	static const char sql[] = "SELECT card_fp FROM txn WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int src, rc = db_cached(st, sql, &s, "txn_card_fp");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	rc = ST_NOTFOUND;
	src = stmt_step(s);
	if (src == STMT_ROW && !stmt_is_null(s, 0)) {
		size_t n = (size_t)stmt_bytes(s, 0);

		if (n <= cap) {
			memcpy(fp, stmt_blob(s, 0), n);
			*len = n;
			rc = ST_OK;
		}
	} else if (src != STMT_ROW && src != STMT_DONE) {
		rc = db_status(st, src, "txn_card_fp");
	}
	stmt_reset(s);
	return rc;
}

/* The children by their parent, in the order of the partial index txn_brand_parent (migration
 * 047). */
int
db_txn_children_each(struct store *st, int64_t brand_id, int64_t parent_id, int limit,
                     store_txn_cb cb, void *arg)
{
	static const char sql[] = "SELECT " TXN_COLS " FROM txn WHERE brand_id = ?1 AND "
	                          "parent_id = ?2 ORDER BY created_at, id LIMIT ?3";
	struct txn t;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "txn_children_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, parent_id);
	stmt_bind_int64(s, 3, limit);
	while (db_next(st, s, &rc, "txn_children_each")) {
		db_txn_read(s, &t);
		rc = cb(arg, &t);
	}
	stmt_reset(s);
	return rc;
}

/* --- history ------------------------------------------------------------------------------- */

void
db_history_bind(struct stmt *s, const struct history *h)
{
	stmt_bind_int64(s, 1, h->brand_id);
	stmt_bind_int64(s, 2, h->txn_id);
	stmt_bind_int64(s, 3, h->at);
	db_bind_text(s, 4, h->action);
	stmt_bind_int64(s, 5, h->amount);
	db_bind_text(s, 6, h->currency);
	db_bind_id(s, 7, h->user_id);
	db_bind_text(s, 8, h->user_name);
	db_bind_text(s, 9, h->user_login);
}

int
db_history_add(struct store *st, const struct history *h)
{
	static const char sql[] = "INSERT INTO txn_history(" HISTORY_INSERT_COLS
	                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "history_add");

	if (rc != ST_OK)
		return rc;
	db_history_bind(s, h);
	return db_run_ahead(st, s, "history_add");
}

/* --- the bulk rows ------------------------------------------------------------------------- */

/* SQLite's: the inserts one by one, each a call inside the process, with no round trip for a
 * batch to save (PostgreSQL copies them: pg/pg_copy.c). */
int
db_txn_rows_write(struct store *st, const struct txn_row *rows, size_t n, const struct history *h,
                  size_t nh)
{
	int rc = ST_OK;

	for (size_t i = 0; rc == ST_OK && i < n; i++) {
		struct txn t = rows[i].t;

		rc = db_txn_insert(st, &t, rows[i].fp, rows[i].fp_len, rows[i].sealed,
		                   rows[i].sealed_len);
	}
	for (size_t i = 0; rc == ST_OK && i < nh; i++)
		rc = db_history_add(st, &h[i]);
	return rc;
}

static void
history_read(struct stmt *s, struct history *h)
{
	memset(h, 0, sizeof(*h));
	h->brand_id = stmt_int64(s, 0);
	h->txn_id = stmt_int64(s, 1);
	h->at = stmt_int64(s, 2);
	db_text_copy(h->action, sizeof(h->action), s, 3);
	h->amount = stmt_int64(s, 4);
	db_text_copy(h->currency, sizeof(h->currency), s, 5);
	h->user_id = stmt_int64(s, 6);
	db_text_copy(h->user_name, sizeof(h->user_name), s, 7);
	db_text_copy(h->user_login, sizeof(h->user_login), s, 8);
}

int
db_history_each(struct store *st, int64_t brand_id, int64_t txn_id, store_history_cb cb, void *arg)
{
	static const char sql[] = "SELECT brand_id, txn_id, at, action, amount, currency, "
	                          "coalesce(user_id, 0), user_name, user_login FROM txn_history "
	                          "WHERE brand_id = ?1 AND txn_id = ?2 ORDER BY at, id";
	struct history h;
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "history_each");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, txn_id);
	while (db_next(st, s, &rc, "history_each")) {
		history_read(s, &h);
		rc = cb(arg, &h);
	}
	stmt_reset(s);
	return rc;
}

/* --- Idempotency-Key ------------------------------------------------------------------------ */

/* Reads a remembered answer (its response strdup'd: the caller frees it). */
static void
idem_read(struct stmt *s, struct idem *out)
{
	size_t n = (size_t)stmt_bytes(s, 0);

	memset(out->digest, 0, sizeof(out->digest));
	memcpy(out->digest, stmt_blob(s, 0), n < sizeof(out->digest) ? n : sizeof(out->digest));
	out->http_status = stmt_int(s, 1);
	out->response = strdup((const char *)stmt_text(s, 2));
	if (out->response == NULL)
		abort();
	out->created_at = stmt_int64(s, 3);
}

int
db_idem_get(struct store *st, int64_t brand_id, int64_t shop_id, const char *key, struct idem *out)
{
	static const char sql[] = "SELECT request_digest, http_status, response, created_at FROM "
	                          "idempotency WHERE brand_id = ?1 AND shop_id = ?2 AND key = ?3";
	struct stmt *s;
	int src, rc = db_cached(st, sql, &s, "idem_get");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, shop_id);
	db_bind_text(s, 3, key);
	src = stmt_step(s);
	if (src == STMT_ROW)
		idem_read(s, out);
	rc = db_row_status(st, src, "idem_get");
	stmt_reset(s);
	return rc;
}

int
db_idem_put(struct store *st, const struct idem *in)
{
	static const char sql[] =
	        "INSERT INTO idempotency(brand_id, shop_id, key, request_digest, "
	        "http_status, response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "idem_put");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, in->brand_id);
	stmt_bind_int64(s, 2, in->shop_id);
	db_bind_text(s, 3, in->key);
	stmt_bind_blob(s, 4, in->digest, sizeof(in->digest));
	stmt_bind_int64(s, 5, in->http_status);
	db_bind_text(s, 6, in->response);
	stmt_bind_int64(s, 7, in->created_at);
	return db_run(st, s, "idem_put");
}

/* --- retention ------------------------------------------------------------------------------ */

/* Runs sql, ?1 a brand, ?2 its cutoff and ?3 the rows still to go, for each brand of
 * brands_sql (what_brands: its name) until limit rows are gone, adding them to *done. cutoff
 * gives a brand's ?2 from its row and arg, or false to pass it over. */
static int
purge_by_brand(struct store *st, const char *brands_sql, const char *what_brands, const char *sql,
               const char *what, bool (*cutoff)(struct stmt *, int64_t, int64_t *), int64_t arg,
               int limit, int *done)
{
	struct stmt *brands, *s;
	int64_t cut;
	int src = STMT_DONE, rc = db_cached(st, brands_sql, &brands, what_brands);

	*done = 0;
	if (rc != ST_OK)
		return rc;
	while (*done < limit && (src = stmt_step(brands)) == STMT_ROW) {
		if (!cutoff(brands, arg, &cut))
			continue;
		rc = db_cached(st, sql, &s, what);
		if (rc != ST_OK)
			break;
		stmt_bind_int64(s, 1, stmt_int64(brands, 0));
		stmt_bind_int64(s, 2, cut);
		stmt_bind_int64(s, 3, limit - *done);
		rc = db_run(st, s, what);
		if (rc != ST_OK)
			break;
		*done += db_changes(st);
	}
	if (rc == ST_OK && *done < limit && src != STMT_DONE)
		rc = db_status(st, src, what_brands);
	stmt_reset(brands);
	return rc;
}

/* Every brand's cutoff is before. */
static bool
idem_cutoff(struct stmt *brand, int64_t before, int64_t *out)
{
	(void)brand;
	*out = before;
	return true;
}

/* Brand by brand until limit rows are gone (a brand may give a few more: see the
 * statement). */
int
db_idem_purge(struct store *st, int64_t before, int limit, int *done)
{
	static const char brands_sql[] = "SELECT id FROM brand ORDER BY id";
	/* Retention: the oldest rows of each brand, a range at the start of
	 * idempotency_brand_created (migration 015): the rows kept are never read. A brand's keys
	 * go up to the instant of its ?3-th oldest (a few more when several share it), a single
	 * range bound; a row-value IN on the primary key would scan each shop's keys. */
	static const char sql[] = "DELETE FROM idempotency WHERE brand_id = ?1 AND created_at <= "
	                          "coalesce((SELECT created_at FROM idempotency WHERE brand_id = "
	                          "?1 AND created_at < ?2 ORDER BY created_at LIMIT 1 OFFSET ?3 - "
	                          "1), ?2 - 1)";

	return purge_by_brand(st, brands_sql, "brand_ids", sql, "idem_purge", idem_cutoff, before,
	                      limit, done);
}

/* A brand's cutoff is its own retention's (brand: id, retention_days), from now. */
static bool
card_cutoff(struct stmt *brand, int64_t now, int64_t *out)
{
	int days = stmt_int(brand, 1);

	/* The column's CHECK keeps it valid; the rule says what a valid one means. */
	if (!retention_days_valid(days))
		return false;
	*out = retention_cutoff(days, now);
	return true;
}

/* Brand by brand, each with its own retention, until limit transactions are erased. */
int
db_txn_card_purge(struct store *st, int64_t now, int limit, int *done)
{
	static const char brands_sql[] = "SELECT id, retention_days FROM brand ORDER BY id";
	/* Retention of payment data (migration 019): the oldest transactions of a brand that
	 * still hold card data, from txn_card_kept, whose condition it repeats. The card columns
	 * are outside the statistics triggers' UPDATE OF: totals stay. */
	static const char sql[] = "UPDATE txn SET card_sealed = NULL, card_fp = NULL WHERE id IN "
	                          "(SELECT id FROM txn WHERE brand_id = ?1 AND card_sealed IS NOT "
	                          "NULL AND created_at <= ?2 ORDER BY created_at LIMIT ?3)";

	return purge_by_brand(st, brands_sql, "brand_retentions", sql, "txn_card_purge",
	                      card_cutoff, now, limit, done);
}
