/*
 * store.h - the storage interface: a table of operations, one implementation per backend
 * (SQLite now, PostgreSQL later). SQL lives only behind it; nothing outside src/store sees a
 * statement, a connection or a backend's error code.
 *
 * A struct store is one connection, used by one thread at a time. The writer thread owns the
 * only writing connection; readers open their own. Every operation is scoped by brand_id, the
 * tenant, and filters on it first. Records are plain structs from src/domain.
 *
 * Transactions: begin/commit around a group of jobs, and a savepoint around each job so one
 * failing job leaves the others of its group intact (DESIGN.md "group commit").
 */
#ifndef GUICHET_STORE_H
#define GUICHET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "domain/org.h"
#include "domain/txn.h"

struct store;

/* One entry of a transaction's history (Vision manual §4.1.6). */
struct history {
	int64_t brand_id;
	int64_t txn_id;
	int64_t at;
	char action[24]; /* "creation", "authorization", "capture", "bank_sending", ... */
	int64_t amount;
	char currency[4];
	int64_t user_id; /* 0: the merchant API or a job */
	char user_name[81];
	char user_login[65];
};

/* A remembered merchant API answer (SPEC §4 Idempotency-Key). */
struct idem {
	int64_t brand_id;
	int64_t shop_id;
	const char *key;          /* lent */
	unsigned char digest[32]; /* of method, path and body */
	int http_status;
	char *response; /* get: heap, the caller frees; put: lent */
	int64_t created_at;
};

/* A shop as the event loops need it to authenticate requests without storage. */
struct shop_auth {
	struct shop shop;
	bool has_key;
	unsigned char key_sealed[64 + 40]; /* the active test key, sealed */
	size_t key_sealed_len;
};

typedef int (*store_shop_cb)(void *arg, const struct shop_auth *sa);
typedef int (*store_history_cb)(void *arg, const struct history *h);

struct store_ops {
	const char *name;
	void (*close)(struct store *st);

	/* Transactions. begin(write) takes the write lock at once for writers. */
	int (*begin)(struct store *st, bool write);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	int (*savepoint)(struct store *st);
	int (*release)(struct store *st);
	void (*rollback_to)(struct store *st);

	/* Key/value of the installation (wrapped data key, schema facts). */
	int (*meta_get)(struct store *st, const char *key, unsigned char *val, size_t cap,
	                size_t *len);
	int (*meta_put)(struct store *st, const char *key, const unsigned char *val, size_t len);

	/* Organisation. Inserts assign ->id when it is 0. */
	int (*brand_insert)(struct store *st, int64_t *id, const char *name, const char *pspid,
	                    int64_t now);
	int (*node_insert)(struct store *st, struct node *n, int64_t now);
	int (*shop_insert)(struct store *st, const struct shop *s, int64_t now);
	int (*contract_insert)(struct store *st, struct contract *c, int64_t now);
	int (*hmac_key_insert)(struct store *st, int64_t brand_id, int64_t shop_id, const char *env,
	                       const unsigned char *sealed, size_t sealed_len, int64_t now);
	int (*user_insert)(struct store *st, struct user *u, int64_t now);
	/* Calls cb for every shop with its active test key; stops at the first non-ST_OK. */
	int (*shops_each)(struct store *st, store_shop_cb cb, void *arg);
	/* The shop's active contract for a method; ST_NOTFOUND when none. */
	int (*contract_find)(struct store *st, int64_t brand_id, int64_t shop_id,
	                     enum card_method method, struct contract *out);
	int (*contract_touch_auth)(struct store *st, int64_t brand_id, int64_t contract_id,
	                           int64_t now);

	/* Transactions and their history. txn_insert assigns t->id when it is 0. */
	int (*txn_insert)(struct store *st, struct txn *t, const unsigned char *card_fp,
	                  size_t fp_len, const unsigned char *card_sealed, size_t sealed_len);
	/* shop_id 0: any shop of the brand. ST_NOTFOUND outside the scope. */
	int (*txn_get)(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id,
	               struct txn *out);
	/* Writes the fields an operation may change: type, status, acq, amounts, batch, bank day,
	 * updated_at. */
	int (*txn_update)(struct store *st, const struct txn *t);
	/* The card fingerprint of a transaction; ST_NOTFOUND when it has no card. */
	int (*txn_card_fp)(struct store *st, int64_t brand_id, int64_t id, unsigned char *fp,
	                   size_t cap, size_t *len);
	int (*history_add)(struct store *st, const struct history *h);
	int (*history_each)(struct store *st, int64_t brand_id, int64_t txn_id, store_history_cb cb,
	                    void *arg);

	/* Idempotency. idem_get: ST_NOTFOUND when the key is new. */
	int (*idem_get)(struct store *st, int64_t brand_id, int64_t shop_id, const char *key,
	                struct idem *out);
	int (*idem_put)(struct store *st, const struct idem *in);

	/* Card blocklist of a shop. */
	int (*block_has)(struct store *st, int64_t brand_id, int64_t shop_id,
	                 const unsigned char *fp, size_t fp_len, bool *blocked);
	int (*block_add)(struct store *st, int64_t brand_id, int64_t shop_id,
	                 const unsigned char *fp, size_t fp_len, const char *masked,
	                 int64_t user_id, int64_t now);

	/* Error log of the merchant API. */
	int (*api_error_add)(struct store *st, int64_t brand_id, int64_t shop_id, int64_t at,
	                     const char *method, const char *path, int http_status,
	                     const char *code);
};

struct store {
	const struct store_ops *ops;
};

/* Opens the database at path with the backend its name selects (SQLite for a file path).
 * write: this connection will write (the writer, the demo, the batch command); it then also
 * applies pending migrations. On success *out is the caller's; free it with store_close.
 * Returns ST_OK or ST_STORE. */
int store_open(const char *path, bool write, struct store **out) WUR;

/* Closes st; NULL does nothing. */
void store_close(struct store *st);

/* Backends. */
int store_sqlite_open(const char *path, bool write, struct store **out) WUR;

#endif
