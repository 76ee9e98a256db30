/*
 * risk.c - blocklist, the card's payments of a day and the contracts'
 * fraud filters (store.h; migration 029). The payments' look-ups (block_match,
 * card_day_count) run on every payment and are kept prepared (db_cached).
 */
#include <inttypes.h>
#include <string.h>

#include "common/log.h"
#include "store/sql/db.h"

void
db_filters_read(struct stmt *s, int col, struct fraud_filters *f)
{
	f->max_amount = stmt_int64(s, col);
	f->max_per_card_day = stmt_int(s, col + 1);
	db_text_copy(f->card_countries, sizeof(f->card_countries), s, col + 2);
	db_text_copy(f->customer_countries, sizeof(f->customer_countries), s, col + 3);
	f->country_mismatch = stmt_int(s, col + 4) != 0;
	f->version = stmt_int64(s, col + 5);
}

/* --- the list's keys in memory --------------------------------------------------------------
 *
 * Nearly every payment's keys are in no list, and a look-up of five keys in an index of a
 * million costs the writer, which every payment waits for, random pages. The payments'
 * connection keeps a Bloom filter of every (brand, key) of block_entry: a payment whose keys
 * it has surely never seen skips the look-up; any other is looked up as before, so an
 * answer never depends on the filter. It is built at start and kept by the connection's own
 * additions; another process's (a command beside the server) shows as a commit of another
 * connection (PRAGMA data_version) with a new block_gen mark (migration 032), and the filter
 * is then built again at the next payment. Removals leave their key in it: a look-up more,
 * until the next build. */

/* brand then key: one brand's entry is never another's. */
static size_t
blocks_item(unsigned char *out, int64_t brand_id, const unsigned char *key, size_t len)
{
	memcpy(out, &brand_id, sizeof(brand_id));
	memcpy(out + sizeof(brand_id), key, len);
	return sizeof(brand_id) + len;
}

static int
blocks_int(struct store *st, const char *sql, const char *what, int64_t *v)
{
	struct stmt *s;
	int rc = db_cached(st, sql, &s, what);

	return rc != ST_OK ? rc : db_one_row(st, s, db_int64_read, v, what);
}

static const char blocks_gen_sql[] = "SELECT gen FROM block_gen WHERE id = 1";

static int
blocks_build(struct store *st)
{
	struct db_blocks *b = db_blocks(st);
	unsigned char item[8 + BLOCK_KEY_MAX];
	int64_t n = 0;
	struct stmt *s;
	int rc = blocks_int(st, "SELECT count(*) FROM block_entry", "blocks_count", &n), src;

	if (rc == ST_OK)
		rc = blocks_int(st, blocks_gen_sql, "blocks_gen", &b->gen);
	if (rc == ST_OK)
		rc = db_prepare(st, "SELECT brand_id, key FROM block_entry", &s, "blocks_build");
	if (rc != ST_OK)
		return rc;
	bloom_free(&b->bloom);
	b->on = bloom_init(&b->bloom, (size_t)n * 2);
	if (!b->on)
		log_warn("event=blocklist_filter_off reason=out_of_memory entries=%" PRId64, n);
	while (b->on && (src = stmt_step(s)) == STMT_ROW) {
		size_t len = (size_t)stmt_bytes(s, 1);

		if (len <= BLOCK_KEY_MAX)
			bloom_add(&b->bloom, item,
			          blocks_item(item, stmt_int64(s, 0), stmt_blob(s, 1), len));
		else
			b->on = false; /* a key no payment can have: never seen in practice */
	}
	if (b->on && src != STMT_DONE) {
		rc = db_status(st, src, "blocks_build");
		b->on = false;
	}
	stmt_finalize(s);
	log_info("event=blocklist_filter entries=%" PRId64 " bytes=%" PRIu64, n,
	         b->on ? (b->bloom.mask + 1) / 8 : 0);
	return rc;
}

/* Before the filter answers: built again if another process added keys since it was last
 * checked, or if it holds more than it was sized for. */
static int
blocks_sync(struct store *st)
{
	struct db_blocks *b = db_blocks(st);
	int64_t v = 0, gen = 0;
	bool stale = false;
	int rc;

	if (!b->on)
		return ST_OK;
	rc = db_of(st)->blocks_version(st, &v);
	if (rc == ST_OK && v != b->data_version) {
		rc = blocks_int(st, blocks_gen_sql, "blocks_gen", &gen);
		if (rc == ST_OK) {
			b->data_version = v; /* checked: a failed read is tried again */
			stale = gen != b->gen;
		}
	}
	if (rc == ST_OK && (stale || bloom_full(&b->bloom)))
		rc = blocks_build(st);
	return rc;
}

/* The connection added key: in the filter, and block_gen's new mark (its own) taken. */
static int
blocks_added(struct store *st, int64_t brand_id, const unsigned char *key, size_t len)
{
	struct db_blocks *b = db_blocks(st);
	unsigned char item[8 + BLOCK_KEY_MAX];

	if (!b->on || len > BLOCK_KEY_MAX)
		return ST_OK;
	bloom_add(&b->bloom, item, blocks_item(item, brand_id, key, len));
	return blocks_int(st, blocks_gen_sql, "blocks_gen", &b->gen);
}

int
db_blocks_start(struct store *st)
{
	struct db_blocks *b = db_blocks(st);
	int rc = db_of(st)->blocks_version(st, &b->data_version);

	b->on = true;
	if (rc == ST_OK)
		rc = blocks_build(st);
	return rc;
}

int
db_block_put(struct store *st, struct block_entry *e)
{
	/* One entry of a key at a node: an expired one gives way to the new one; a live one
	 * stays, and the insert then does nothing (changes() 0: the conflict). */
	static const char sql[] =
	        "INSERT INTO block_entry(brand_id, node_id, kind, key, value, reason, expires_at, "
	        "created_at, user_id, txn_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	        "ON CONFLICT (brand_id, key, node_id) DO UPDATE SET kind = excluded.kind, value = "
	        "excluded.value, reason = excluded.reason, expires_at = excluded.expires_at, "
	        "created_at = excluded.created_at, user_id = excluded.user_id, txn_id = "
	        "excluded.txn_id WHERE block_entry.expires_at IS NOT NULL AND "
	        "block_entry.expires_at <= "
	        "excluded.created_at "
	        "RETURNING id";
	struct stmt *s;
	int rc = blocks_sync(st), src;

	if (rc == ST_OK)
		rc = db_prepare(st, sql, &s, "block_put");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, e->brand_id);
	stmt_bind_int64(s, 2, e->node_id);
	stmt_bind_int64(s, 3, (int)e->kind);
	stmt_bind_blob(s, 4, e->key, e->key_len);
	db_bind_text(s, 5, e->value);
	db_bind_text(s, 6, e->reason);
	db_bind_id(s, 7, e->expires_at);
	stmt_bind_int64(s, 8, e->created_at);
	db_bind_id(s, 9, e->user_id);
	db_bind_id(s, 10, e->txn_id);
	src = db_step_logged(s);
	if (src == STMT_ROW) {
		e->id = stmt_int64(s, 0);
		rc = ST_OK;
	} else {
		rc = src == STMT_DONE ? ST_CONFLICT : db_status(st, src, "block_put");
	}
	stmt_finalize(s);
	if (rc == ST_OK)
		rc = blocks_added(st, e->brand_id, e->key, e->key_len);
	return rc;
}

#define BLOCK_COLS                                                                                 \
	"b.id, b.brand_id, b.node_id, b.kind, b.key, b.value, b.reason, "                          \
	"coalesce(b.expires_at, 0), b.created_at, coalesce(b.user_id, 0), "                        \
	"coalesce(b.txn_id, 0), n.name, n.level, coalesce(u.login, ''), coalesce(u.name, '')"
#define BLOCK_FROM                                                                                 \
	" FROM block_entry b JOIN node n ON n.id = b.node_id LEFT JOIN user u ON u.id = "          \
	"b.user_id "

static void
block_read(struct stmt *s, struct block_entry *e)
{
	int n;

	memset(e, 0, sizeof(*e));
	e->id = stmt_int64(s, 0);
	e->brand_id = stmt_int64(s, 1);
	e->node_id = stmt_int64(s, 2);
	e->kind = (enum block_kind)stmt_int(s, 3);
	n = stmt_bytes(s, 4);
	if (n > 0 && n <= (int)sizeof(e->key)) {
		memcpy(e->key, stmt_blob(s, 4), (size_t)n);
		e->key_len = (size_t)n;
	}
	db_text_copy(e->value, sizeof(e->value), s, 5);
	db_text_copy(e->reason, sizeof(e->reason), s, 6);
	e->expires_at = stmt_int64(s, 7);
	e->created_at = stmt_int64(s, 8);
	e->user_id = stmt_int64(s, 9);
	e->txn_id = stmt_int64(s, 10);
	db_text_copy(e->node_name, sizeof(e->node_name), s, 11);
	db_text_copy(e->node_level, sizeof(e->node_level), s, 12);
	db_text_copy(e->user_login, sizeof(e->user_login), s, 13);
	db_text_copy(e->user_name, sizeof(e->user_name), s, 14);
}

int
db_block_get(struct store *st, int64_t brand_id, int64_t id, struct block_entry *out)
{
	static const char sql[] =
	        "SELECT " BLOCK_COLS BLOCK_FROM "WHERE b.brand_id = ?1 AND b.id = ?2";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "block_get"), src;

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	src = db_step_logged(s);
	if (src == STMT_ROW)
		block_read(s, out);
	rc = db_row_status(st, src, "block_get");
	stmt_finalize(s);
	return rc;
}

int
db_block_delete(struct store *st, int64_t brand_id, int64_t id)
{
	static const char sql[] = "DELETE FROM block_entry WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "block_delete");

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, id);
	rc = db_run_once(st, s, "block_delete");
	if (rc == ST_OK && db_changes(st) == 0)
		rc = ST_NOTFOUND;
	return rc;
}

int
db_block_search(struct store *st, const struct block_query *q, store_block_cb cb, void *arg)
{
	/* The node's subtree and the nodes above it up to the scope's, then their entries
	 * newest first (block_entry_node, one range a node); the text is found with instr,
	 * never LIKE: a typed % or _ means itself. */
	static const char sql[] =
	        "WITH RECURSIVE sub(id) AS (SELECT id FROM node WHERE brand_id = ?1 AND id = ?2 "
	        "UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent_id = sub.id WHERE "
	        "n.brand_id = ?1), up(id, parent) AS (SELECT id, parent_id FROM node WHERE "
	        "brand_id = ?1 AND id = ?2 UNION ALL SELECT n.id, n.parent_id FROM node n JOIN up "
	        "ON n.id = up.parent WHERE n.brand_id = ?1 AND up.id != ?9) SELECT " BLOCK_COLS
	                BLOCK_FROM
	        "WHERE b.brand_id = ?1 AND b.node_id IN (SELECT id FROM sub UNION "
	        "SELECT id FROM up) AND (?3 = 0 OR b.kind "
	        "= ?3) AND (CAST(?4 AS TEXT) IS NULL OR instr(lower(b.value), lower(?4)) > 0 OR "
	        "instr(lower(b.reason), lower(?4)) > 0) AND (?5 <> 0 OR b.expires_at IS NULL OR "
	        "b.expires_at > ?6) AND (?7 = 0 OR b.id < ?7) ORDER BY b.id DESC LIMIT ?8";
	struct block_entry e;
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "block_search"), src;

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, q->brand_id);
	stmt_bind_int64(s, 2, q->node_id);
	stmt_bind_int64(s, 3, q->kind);
	if (q->text != NULL && q->text[0] != '\0')
		db_bind_text(s, 4, q->text);
	stmt_bind_int64(s, 5, q->expired);
	stmt_bind_int64(s, 6, q->now);
	stmt_bind_int64(s, 7, q->before_id);
	stmt_bind_int64(s, 8, q->limit);
	stmt_bind_int64(s, 9, q->scope_id ? q->scope_id : q->node_id);
	while (rc == ST_OK && (src = db_step_logged(s)) == STMT_ROW) {
		block_read(s, &e);
		rc = cb(arg, &e);
	}
	if (rc == ST_OK && src != STMT_DONE)
		rc = db_status(st, src, "block_search");
	stmt_finalize(s);
	return rc;
}

#define MATCH_KEYS 5 /* card, BIN of 6 and of 8, e-mail, country */

int
db_block_match(struct store *st, int64_t brand_id, int64_t shop_id, const struct block_key *keys,
               int n, int64_t now, bool *blocked)
{
	/* The entries of the keys (block_entry_key: a few index look-ups, whatever the size of
	 * the list), usually none; only an entry found has its node compared with the shop's
	 * (at it or above it), so that a payment walks no tree. */
	static const char sql[] =
	        "SELECT node_id FROM block_entry WHERE brand_id = ?1 AND key IN (?2, ?3, ?4, ?5, "
	        "?6) AND (expires_at IS NULL OR expires_at > ?7)";
	struct db_blocks *b = db_blocks(st);
	unsigned char item[8 + BLOCK_KEY_MAX];
	bool maybe;
	struct stmt *s;
	int rc = blocks_sync(st), src;

	*blocked = false;
	maybe = !b->on; /* no filter: every key may be there */
	for (int i = 0; rc == ST_OK && !maybe && i < MATCH_KEYS && i < n; i++)
		if (keys[i].len > 0)
			maybe = keys[i].len > BLOCK_KEY_MAX ||
			        bloom_maybe(&b->bloom, item,
			                    blocks_item(item, brand_id, keys[i].key, keys[i].len));
	if (rc != ST_OK || !maybe)
		return rc;
	rc = db_cached(st, sql, &s, "block_match");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	for (int i = 0; i < MATCH_KEYS && i < n; i++)
		if (keys[i].len > 0)
			stmt_bind_blob(s, 2 + i, keys[i].key, keys[i].len);
	stmt_bind_int64(s, 7, now);
	while (rc == ST_OK && !*blocked && (src = db_step_logged(s)) == STMT_ROW) {
		int64_t node = stmt_int64(s, 0);

		if (node == shop_id)
			*blocked = true;
		else
			rc = st->ops->node_within(st, brand_id, node, shop_id, blocked);
	}
	if (rc == ST_OK && !*blocked && src != STMT_DONE)
		rc = db_status(st, src, "block_match");
	stmt_reset(s);
	return rc;
}

int
db_card_day_count(struct store *st, int64_t brand_id, int64_t contract_id, const unsigned char *fp,
                  size_t fp_len, int64_t day, int limit, int *n)
{
	static const char sql[] =
	        "SELECT count(*) FROM (SELECT 1 FROM txn WHERE brand_id = ?1 AND card_fp = ?2 AND "
	        "day = ?3 AND contract_id = ?4 AND type = 0 LIMIT ?5) AS t";
	struct stmt *s;
	int rc = db_cached(st, sql, &s, "card_day_count"), src;

	*n = 0;
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_blob(s, 2, fp, fp_len);
	stmt_bind_int64(s, 3, day);
	stmt_bind_int64(s, 4, contract_id);
	stmt_bind_int64(s, 5, limit);
	src = db_step_logged(s);
	if (src == STMT_ROW)
		*n = stmt_int(s, 0);
	rc = src == STMT_ROW ? ST_OK : db_status(st, src, "card_day_count");
	stmt_reset(s);
	return rc;
}

int
db_contract_filters_set(struct store *st, int64_t brand_id, int64_t contract_id,
                        const struct fraud_filters *f, int64_t expect_version)
{
	static const char sql[] =
	        "UPDATE contract SET ff_max_amount = ?3, ff_max_per_card_day = ?4, "
	        "ff_card_countries = ?5, ff_customer_countries = ?6, ff_country_mismatch = ?7, "
	        "ff_version = ff_version + 1 WHERE brand_id = ?1 AND id = ?2 AND ff_version = ?8 "
	        "RETURNING 1";
	static const char exists[] = "SELECT 1 FROM contract WHERE brand_id = ?1 AND id = ?2";
	struct stmt *s;
	int rc = db_prepare(st, sql, &s, "contract_filters_set"), src;

	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, contract_id);
	stmt_bind_int64(s, 3, f->max_amount);
	stmt_bind_int64(s, 4, f->max_per_card_day);
	db_bind_text(s, 5, f->card_countries);
	db_bind_text(s, 6, f->customer_countries);
	stmt_bind_int64(s, 7, f->country_mismatch);
	stmt_bind_int64(s, 8, expect_version);
	src = db_step_logged(s);
	rc = src == STMT_ROW || src == STMT_DONE ? ST_OK
	                                         : db_status(st, src, "contract_filters_set");
	stmt_finalize(s);
	if (rc != ST_OK || src == STMT_ROW)
		return rc;
	/* Nothing written: a change came first, or no such contract. */
	rc = db_prepare(st, exists, &s, "contract_filters_set");
	if (rc != ST_OK)
		return rc;
	stmt_bind_int64(s, 1, brand_id);
	stmt_bind_int64(s, 2, contract_id);
	src = db_step_logged(s);
	rc = src == STMT_ROW    ? ST_CONFLICT
	     : src == STMT_DONE ? ST_NOTFOUND
	                        : db_status(st, src, "contract_filters_set");
	stmt_finalize(s);
	return rc;
}
