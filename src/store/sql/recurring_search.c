/*
 * recurring_search.c - the journals of installment plans and subscriptions
 * (store_ops.recurring_search; Vision manual §6.1, §7.1): one statement whose every
 * filter is bound, NULL meaning "any", so that the text never changes.
 *
 * A page is the newest `limit` rows of one kind before a keyset (created_at, id), within the
 * shops of a node and below. The walk is the index recurring_journal (brand, kind,
 * created_at, id) in reverse, stopping after `limit` matches: a brand holds far fewer plans
 * and subscriptions than payments, and the journal's date range is mandatory, so no filter
 * has an index of its own (each would slow the scheduler's writes down); a number given reads
 * its row by its key. On a million subscriptions of one brand (2026-12-05, this machine): a
 * page of 50 in 6 ms, of 500 in 29 ms; a filter that keeps few rows reads the whole period,
 * 140 ms (an e-mail) to 420 ms (a reference pattern); a number, one row.
 */
#include <string.h>

#include "store/sql/db.h"

/* The statement of the search; its parameters are numbered as the binds below. ID is the
 * number's filter: "any" in the journal's walk, or the one row by its key when given. */
#define SEARCH_SQL(ID)                                                                                        \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM node WHERE brand_id = ?1 AND id = ?2 "                     \
	"UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent_id = sub.id WHERE "                           \
	"n.brand_id = ?1) "                                                                                   \
	"SELECT " RECURRING_COLS RECURRING_FROM                                                               \
	"WHERE r.brand_id = ?1 AND r.kind = ?3 AND r.shop_id IN (SELECT id FROM sub) "                        \
	"AND r.created_at >= ?4 AND r.created_at < ?5 "                                                       \
	"AND (CAST(?6 AS BIGINT) IS NULL OR r.created_at < ?6 OR (r.created_at = ?6 AND r.id < "              \
	"?7)) "                                                                                               \
	"AND " ID " AND (CAST(?10 AS TEXT) IS NULL OR r.status = ?10) "                                       \
	"AND (CAST(?11 AS TEXT) IS NULL OR c.number = ?11) AND (CAST(?12 AS TEXT) IS NULL OR "                \
	"s.rang = ?12) "                                                                                      \
	"AND (CAST(?13 AS TEXT) IS NULL OR lower(r.order_ref) LIKE lower(?13) ESCAPE '\\') "                  \
	"AND (CAST(?14 AS BIGINT) IS NULL OR r.count = ?14) " /* the next debit: only while one is to come */ \
	"AND (CAST(?15 AS BIGINT) IS NULL OR (r.status IN ('in_progress', 'will_fail') AND "                  \
	"r.next_day IS NOT "                                                                                  \
	"NULL AND ((?15 = 1 AND r.next_amount = ?16) OR (?15 = 2 AND r.next_amount >= ?16) "                  \
	"OR (?15 = 3 AND r.next_amount <= ?16) OR (?15 = 4 AND r.next_amount <> ?16)))) "                     \
	"AND (CAST(?17 AS BIGINT) IS NULL OR (r.status IN ('in_progress', 'will_fail') AND "                  \
	"r.next_day >= ?17)) "                                                                                \
	"AND (CAST(?18 AS BIGINT) IS NULL OR (r.status IN ('in_progress', 'will_fail') AND "                  \
	"r.next_day <= ?18)) "                                                                                \
	"AND (CAST(?19 AS TEXT) IS NULL OR lower(r.email) = lower(?19)) "                                     \
	"AND (CAST(?20 AS TEXT) IS NULL OR r.card_expiry = ?20) AND (CAST(?21 AS TEXT) IS NULL "              \
	"OR r.currency = ?21) "                                                                               \
	"ORDER BY r.created_at DESC, r.id DESC LIMIT ?8"

static const char search_sql[] = SEARCH_SQL("(CAST(?9 AS BIGINT) IS NULL OR r.id = ?9)");
static const char search_id_sql[] = SEARCH_SQL("r.id = ?9");

int
db_recurring_search(struct store *st, const struct recurring_query *q, store_recurring_cb cb,
                    void *arg)
{
	struct recurring r;
	struct stmt *s;
	int rc, src = STMT_DONE;

	if (q->limit <= 0 || q->from >= q->to)
		return ST_OK;
	rc = db_prepare(st, q->id > 0 ? search_id_sql : search_sql, &s, "recurring_search");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	db_bind_text(s, 3, recurring_kind_name(q->kind));
	stmt_bind_int64(s, 4, q->from);
	stmt_bind_int64(s, 5, q->to);
	if (q->after_created_at > 0) {
		stmt_bind_int64(s, 6, q->after_created_at);
		stmt_bind_int64(s, 7, q->after_id);
	}
	stmt_bind_int64(s, 8, q->limit);
	db_bind_opt_id(s, 9, q->id);
	if (q->status > 0)
		db_bind_text(s, 10, recurring_status_name((enum recurring_status)q->status));
	db_bind_opt_text(s, 11, q->contract_number);
	db_bind_opt_text(s, 12, q->rang);
	db_bind_opt_text(s, 13, q->order_ref_like);
	db_bind_opt_id(s, 14, q->count);
	if (q->amount_cmp != AMOUNT_ANY) {
		stmt_bind_int64(s, 15, q->amount_cmp);
		stmt_bind_int64(s, 16, q->amount);
	}
	db_bind_opt_id(s, 17, q->next_from);
	db_bind_opt_id(s, 18, q->next_to);
	db_bind_opt_text(s, 19, q->email);
	db_bind_opt_text(s, 20, q->card_expiry);
	db_bind_opt_text(s, 21, q->currency);
	for (bool first = true;
	     rc == ST_OK && (src = first ? db_step_logged(s) : stmt_step(s)) == STMT_ROW;
	     first = false) {
		db_recurring_read(s, &r);
		rc = cb(arg, &r);
	}
	if (rc == ST_OK && src != STMT_DONE)
		rc = db_status(st, src, "recurring_search");
	stmt_finalize(s);
	return rc;
}
