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

#include "common/buf.h"
#include "common/limits.h"
#include "common/status.h"
#include "domain/org.h"
#include "domain/paybox.h"
#include "domain/recurring.h"
#include "domain/risk.h"
#include "domain/settings.h"
#include "domain/txn.h"
#include "store/push_report.h"

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

/* A new transaction of a batch (store_ops.txn_rows_write): its row, its id given, and its
 * card's fingerprint and sealed number as txn_insert takes them (NULL: none), lent. */
struct txn_row {
	struct txn t;
	const unsigned char *fp;
	size_t fp_len;
	const unsigned char *sealed;
	size_t sealed_len;
};

/* A remembered merchant API answer (SPEC §4 Idempotency-Key). */
struct idem {
	int64_t brand_id;
	int64_t shop_id;
	const char *key;          /* lent */
	unsigned char digest[32]; /* keyed, of method, path and body (crypto_request_digest) */
	int http_status;
	char *response; /* get: heap, the caller frees; put: lent */
	int64_t created_at;
};

/* A shop as the event loops need it to authenticate requests without storage. */
struct shop_auth {
	struct shop shop;
	bool has_key;
	unsigned char key_sealed[64 + 40]; /* the active key of the shop's environment, sealed */
	size_t key_sealed_len;
	int64_t key_id; /* that key's row (0: none) */
	bool key_used;  /* it has verified a request already (status "used") */
	bool test;      /* the shop of a test environment's twin brand (migration 044) */
};

/* An HMAC key as the back office lists it (SPEC §11 "HMAC key"): never the key itself.
 * Instants 0 when unset. status: "created", "activated", "used" or "retired". */
struct hmac_key_row {
	int64_t id;
	int64_t brand_id;
	int64_t shop_id;
	char shop_name[81];
	char site[8];
	char rang[4];
	char env[12];
	char status[12];
	int64_t created_at, activated_at, expires_at;
	int64_t created_by; /* the user who generated it; 0: none (the demo) */
	char created_by_login[65];
};
typedef int (*store_hmac_key_cb)(void *arg, const struct hmac_key_row *k);

/* A key generated in the back office, waiting for its activation link (migration 018). */
struct hmac_key_new {
	int64_t id; /* assigned */
	int64_t brand_id;
	int64_t shop_id;
	const char *env;
	const unsigned char *sealed; /* lent */
	size_t sealed_len;
	unsigned char token_hash[32]; /* of the activation link's token */
	int64_t token_expires_at;
	int64_t created_by;
	const char *created_by_login;
	int64_t now;
};

/* Who hears of a shop's expired key: its HMAC managers and administrators. */
typedef int (*store_recipient_cb)(void *arg, const struct user *u);

/* A user's second factor (SPEC §3): at most one method. */
enum second_factor_method { SF_NONE = 0, SF_TOTP, SF_EMAIL };

/* The account: a brand as its administrators set it (Ingenico guide 3.2.2). */
struct account {
	int64_t brand_id;
	int64_t node_id; /* the brand's own node, the top of its tree */
	char name[81];
	char pspid[33];
	int retention_days; /* of payment data, RETENTION_DAYS_MIN..MAX (domain/retention.h) */
	bool second_factor_required; /* of every user at sign-in (migration 024) */
};

/* What "Create production account" wrote (store_ops.env_production_copy): brand_id the
 * production brand, then rows written of each kind. */
struct env_copy {
	int64_t brand_id;
	int nodes_added, shops_added; /* made in test only, made in production */
	int nodes_renamed, shops;     /* names, a shop's name or URL */
	int settings, templates, fraud_filters;
	int64_t taken_shop; /* env_account_create's ST_CONFLICT: the test shop whose SITE and
	                     * RANG production has (0: the account id) */
};

/* A new production account (store_ops.env_account_create): its account id, and the SITE and
 * RANG of each of the test environment's shops there (every shop once). */
struct env_new_shop {
	int64_t test_shop_id;
	char site[8], rang[4];
};
struct env_new_account {
	const char *pspid;
	const struct env_new_shop *shops;
	size_t nshops;
};

/* What a test environment holds (store_ops.env_copy_plan): copied, and not. */
struct env_copy_plan {
	int nodes, shops, nodes_new, settings, templates, fraud_filters;
	int contracts, block_entries; /* not copied */
};

/* A user as sign-in sees them (SPEC §3). */
struct user_auth {
	struct user u;
	int failed_attempts;
	bool locked;
	int terms_version; /* the version of the terms they accepted; 0: none */
	int64_t password_set_at;
	char language[3];
	char time_zone[41];
	char pspid[33]; /* the brand's account id (Ingenico form) */
	enum second_factor_method second_factor;
	int64_t email_changed_at;    /* the last change of the e-mail address; 0: none known */
	int64_t email_changed_by;    /* the user who made it (migration 023); 0: none known */
	bool second_factor_required; /* by the user's account (struct account) */
	int64_t deactivated_at; /* deactivated by an administrator (migration 046); 0: active */
};

/* The secrets of a user's second factor (migration 017); all zero when they have none. */
#define SECOND_FACTOR_SEALED_LEN (20 + 40) /* a 160-bit TOTP secret, sealed (crypto.h) */
struct second_factor {
	int64_t brand_id;
	int64_t user_id;
	bool has_totp; /* the active TOTP secret */
	unsigned char totp_sealed[SECOND_FACTOR_SEALED_LEN];
	bool has_pending; /* an enrolment waiting for its confirmation */
	unsigned char pending_sealed[SECOND_FACTOR_SEALED_LEN];
	int64_t totp_last_step; /* the last RFC 6238 time step accepted; 0: none */
	bool has_code;          /* the live e-mail code */
	unsigned char code_digest[32];
	int64_t code_created_at;
};

/* One session (one per user, and beside it at most one sign-in waiting for its second factor:
 * migration 022). Tokens only as hashes. */
struct session_row {
	int64_t id;
	int64_t brand_id;
	int64_t user_id;
	unsigned char token_hash[32];
	unsigned char csrf_hash[32];
	char device[81];
	int64_t created_at;
	int64_t last_seen_at;
	bool second_factor_pending; /* the sign-in still waits for the user's second factor */
	/* Disconnected (SPEC §3; migration 040): kept, resumable by the key whose hash is
	 * resume_hash until the idle time has passed since last_seen_at (the disconnect). */
	bool disconnected;
	unsigned char resume_hash[32];
	int resume_failures; /* wrong resume keys since the disconnect */
	/* Signed in to the test environment (migration 044): the twin brand and the twin of the
	 * user's node, the session's data scope; 0 for production. */
	int64_t env_brand_id, env_node_id;
};

/* The longest details an action-log row reads back: a user change lists every field, before
 * and after (api/users.c). */
#define ACTION_DETAILS_MAX 2048

/* One entry of the action log (SPEC §13). */
struct action {
	int64_t brand_id;
	int64_t at;
	int64_t user_id; /* 0: the system */
	const char *user_login;
	const char *user_name;
	const char *user_email;
	const char *action; /* "sign_in", "sign_in_failed", "locked", ... */
	const char *details;
	int64_t target_user_id;   /* the user the action was done to; 0: none */
	const char *target_login; /* NULL when none */
};

/* A user as the users page lists them (Vision manual §11.1). */
struct user_row {
	struct user_auth ua;
	enum node_level level;
	char node_name[81];
	int64_t week_sign_ins;
	int64_t total_sign_ins;
	int64_t last_login_at;
};

/* A mail of the outbox (SPEC §1). Its body is stored only sealed, by the store's mail_seal
 * (service/outbox.h), never in clear. */
struct mail {
	int64_t id;
	int64_t brand_id;
	int64_t node_id; /* the part of the tree it is about (a user's node, a shop); add: 0 for
	                    the brand's own */
	char recipient[255];
	char subject[161];
	char reply_to[255]; /* the address an answer goes to (a header); "" none (migration 031) */
	/* The body's MIME type when not plain text ("multipart/mixed; boundary=..."), the body
	 * then being the parts; "" text/plain, UTF-8 (migration 041). */
	char content_type[96];
	/* add: the text, lent, sealed before it is stored. due: NULL, or for a row written in
	 * clear by another program (or before migration 026), that text, lent for the call. */
	char *body;
	/* due: the sealed body, lent for the call (NULL: none). */
	const unsigned char *sealed;
	size_t sealed_len;
	int64_t created_at;
	int attempts;       /* failed deliveries so far (get only) */
	int64_t retried_at; /* an administrator's retry of a failed mail; 0: none (get only) */
	/* The list of mails in trouble (mails_each) and mail_get: */
	int64_t next_attempt_at, failed_at, sent_at; /* 0: not yet */
	bool has_body;                               /* the sealed body is still kept */
	char last_error[LIMIT_MAIL_ERROR_LEN + 1];   /* the relay's last answer; "" none */
};

/* The mails an administrator looks at (README "Mail"): the failed ones and the pending ones
 * that failed at least once, of a node and below, newest first. */
enum mail_trouble { MAIL_TROUBLE_ALL, MAIL_TROUBLE_FAILED, MAIL_TROUBLE_PENDING };

/* The outboxes' depth (store_ops.outbox_depth). */
struct outbox_depth {
	int64_t mail_pending, mail_due;
	int64_t notify_pending, notify_due;
};
struct mail_query {
	int64_t brand_id;
	int64_t node_id;
	enum mail_trouble status;
	int64_t after_id; /* keyset paging: mails with a smaller id; 0: from the newest */
	int limit;
};

/* An action log search (SPEC §13): from <= at < to, optional user and action. */
struct action_query {
	int64_t brand_id;
	int64_t from, to;
	int64_t node_id;    /* only actions of users of this node and below, and the system\'s */
	int64_t user_id;    /* who did the action or was its target; 0: anyone */
	const char *action; /* NULL: any */
	int64_t after_id;   /* keyset paging: entries with a smaller id (newest first) */
	int limit;
};

struct action_row {
	int64_t id;
	int64_t at;
	int64_t user_id;
	char user_login[65];
	char user_name[81];
	char user_email[255];
	char action[41];
	char details[ACTION_DETAILS_MAX];
	int64_t target_user_id; /* 0: none */
	char target_login[65];
	int64_t count;   /* the times it came (a repeated refusal: action_repeat); 1 or more */
	int64_t last_at; /* the last of them (at, when once) */
};

/* A refused merchant API request for the error log (Ingenico 3.2.10), counted: count times
 * since `since`, the last at `at`. */
struct api_error {
	int64_t brand_id;
	int64_t shop_id;
	int64_t since; /* the start of the minute it is counted in */
	int64_t at;
	const char *method;
	const char *path;
	int http_status;
	const char *code;
	int64_t count;
	const char *field; /* invalid_field: the member named, "?" or ""; domain/api_error.h */
};

/* A search of the error log (Ingenico 3.2.10; api/api_errors.c): the rows of the shops of a
 * node and below with from <= at < to, newest first, paged by key (at, id). Strings are lent;
 * NULL or 0 mean any. */
struct api_error_query {
	int64_t brand_id;
	int64_t node_id;
	int64_t from, to;
	const char *code;      /* exactly */
	const char *path_like; /* a LIKE pattern ('\\' escapes) */
	int http_status;
	int64_t after_at, after_id; /* keyset paging: rows after (before, in time) this key */
	int limit;
};

/* A row of the error log as the page shows it, with its shop. */
struct api_error_row {
	int64_t id;
	int64_t shop_id;
	int64_t at; /* the first refusal of its minute */
	int64_t count;
	int http_status;
	char method[8];
	char path[128];
	char code[40];
	char field[48];
	char shop_name[81];
	char site[8];
	char rang[4];
};

/* A transaction search (SPEC §5): every filter is optional but the period; newest first,
 * paged by key (created_at, id). Strings are lent; NULL or -1 (enums) or 0 (ids) mean any. */
enum amount_cmp { AMOUNT_ANY = 0, AMOUNT_EQ, AMOUNT_GE, AMOUNT_LE, AMOUNT_NE };
/* The fields of a transaction a search reads (txn_query.fields), in the store's column order:
 * a bit each with TF_BIT. An export reads only what its columns show. */
enum txn_field {
	TF_ID,
	TF_BRAND,
	TF_SHOP,
	TF_CONTRACT,
	TF_PARENT,
	TF_BATCH,
	TF_TYPE,
	TF_STATUS,
	TF_ACQ,
	TF_METHOD,
	TF_AMOUNT_INITIAL,
	TF_AMOUNT_CURRENT,
	TF_AMOUNT_REFUNDED,
	TF_CURRENCY,
	TF_ORDER_REF,
	TF_EMAIL,
	TF_CARD_MASKED,
	TF_CARD_EXPIRY,
	TF_CARD_COUNTRY,
	TF_CUSTOMER_COUNTRY,
	TF_AUTH_NUMBER,
	TF_ACQUIRER,
	TF_ISSUER,
	TF_CARD_TYPE,
	TF_WALLET,
	TF_REFUSAL,
	TF_CAPTURE_MANUAL,
	TF_TDS,
	TF_TDS_AUTH,
	TF_TDS_GUARANTEED,
	TF_CREATED_AT,
	TF_ACCEPTED_AT,
	TF_UPDATED_AT,
	TF_BANK_DAY,
	TF_MANUAL,
	TF_ARCHIVE_REF,
	TF_ORIGIN,
	TF_BATCH_NUMBER, /* its batch's number: read from the batch, not a column of txn */
	TF_ORDER_LINE,   /* the file of payment orders' line it came from: read from the line */
	TF__COUNT
};
#define TF_BIT(f) (1ULL << (f))

enum manual_filter { MANUAL_ANY = 0, MANUAL_ONLY, MANUAL_NONE };

struct txn_query {
	int64_t brand_id;
	int64_t node_id;  /* transactions of the shops of this node and below */
	int64_t from, to; /* from <= created_at < to */
	int64_t id;
	enum amount_cmp amount_cmp;
	int64_t amount;
	int method, type, status, acq; /* -1: any */
	int64_t shop_id;
	int64_t batch_id;     /* a batch by its id (the batch journal's link) */
	int64_t batch_number; /* the batches of that number (per contract: with contract_number,
	                       * one) */
	const char *order_ref_like; /* a LIKE pattern, '\\' escaping */
	const char *contract_number;
	const char *email;
	const char *currency;
	const char *wallet;
	enum manual_filter manual; /* the virtual terminal's entries (SPEC §10) */
	bool has_origin;           /* only transactions of origin (issue 12) */
	enum txn_origin origin;
	int64_t after_created_at, after_id; /* 0: the first page */
	int limit;
	uint64_t fields; /* TF_BIT()s to read, 0 for all; id and created_at are always read */
};

/* The bank's reconciliation of a sent transaction (Vision manual §4.1.5). */
struct reconciliation {
	int64_t batch_number; /* the bank's remittance number (JRB) */
	bool ok;              /* matched; else an error */
	int64_t at;
	int64_t net_amount, commission;
	char currency[4];
};

/* A settlement batch (SPEC §7). */
struct batch {
	int64_t id;
	int64_t brand_id;
	int64_t shop_id;
	int64_t contract_id;
	int64_t number;
	int64_t bank_day;
	int64_t created_at;
	enum card_method method;
	char currency[4];
	int64_t debit_count, debit_amount;
	int64_t credit_count, credit_amount;
	char contract_number[21];
	char rang[4];
	char file_name[64];
	char report_email[255]; /* the contract's daily report address */
};

/* A batch search: from <= created_at < to in a brand, scoped to a node. */
struct batch_query {
	int64_t brand_id;
	int64_t node_id;
	int64_t from, to;
	enum amount_cmp amount_cmp; /* on the total, debits - credits */
	int64_t amount;
	const char *contract_number; /* NULL: any */
	const char *rang;
	int64_t number; /* 0: any */
	int method;     /* -1: any */
	int64_t id;     /* one batch by its id; 0: any */
	int64_t after_created_at, after_id;
	int limit;
};

/* The bank reconciliation journal (migration 043; docs/RECONCILIATION.md). A return file
 * imported (once per brand and digest). */
struct recon_file_row {
	int64_t id, brand_id;
	char digest[65]; /* BLAKE2b-256 of the bytes, in hex */
	char name[128];
	int64_t batch_id, jrb_number;
	char source[8]; /* spool, upload, cli */
	char imported_by[65];
	int64_t imported_at;
	int64_t line_count, matched, mismatched;
};

/* A mismatch of the queue: kind is domain/recon.h's (RECON_AMOUNT, _UNKNOWN, _MISSING). */
struct recon_mismatch_row {
	int64_t id, brand_id, shop_id, file_id, batch_id, jrb_number;
	int kind;
	int64_t txn_id; /* 0 for an unknown line */
	char reference[24];
	int64_t expected, received;
	char currency[4];
	int64_t created_at, resolved_at;
	char resolved_by[65];
	char comment[501];
	/* Read with it: the batch's number and its contract. */
	int64_t batch_number;
	char contract_number[21], rang[4];
};

struct recon_mismatch_query {
	int64_t brand_id, node_id;
	int open; /* 1: not resolved, 0: resolved, -1: any */
	int kind; /* -1: any */
	int64_t after_at, after_id;
	int limit;
};

/* A line of the JRB journal (Vision manual §8.1.2): a CB, VISA or MASTERCARD transaction sent
 * in a batch, with its reconciliation when it has one (status 0: none yet, 1: yes, 2:
 * error). */
struct recon_row {
	int64_t txn_id, shop_id, created_at;
	char order_ref[81];
	int64_t amount; /* the amount sent */
	enum txn_type type;
	enum card_method method;
	char currency[4];
	int64_t batch_id, batch_number, batch_at;
	char contract_number[21], rang[4];
	int status;
	int64_t jrb_number, reconciled_at, net_amount, commission;
	char commission_currency[4];
};

/* The journal's filters (Vision manual §8.1.3): from <= created_at < to in a brand, scoped
 * to a node; the others any when 0, NULL or -1. */
struct recon_query {
	int64_t brand_id, node_id;
	int64_t from, to;
	int64_t txn_id;
	const char *contract_number, *rang;
	const char *order_ref_like;
	enum amount_cmp amount_cmp, net_cmp;
	int64_t amount, net;
	int type; /* TXN_DEBIT or TXN_REFUND; -1: any */
	int64_t batch_id, jrb_number;
	int64_t batch_number;         /* the batches of that number (per contract); 0: any */
	int64_t batch_from, batch_to; /* the batch's instant, 0: any */
	int status;                   /* 0 none, 1 yes, 2 error; -1: any */
	int64_t after_at, after_id;
	int limit;
};
typedef int (*store_recon_cb)(void *arg, const struct recon_row *r);
typedef int (*store_recon_mismatch_cb)(void *arg, const struct recon_mismatch_row *m);

/* One daily roll-up line (SPEC §12): what counts of one day, method and type. */
struct stats_row {
	int64_t day;
	enum card_method method;
	enum txn_type type;
	int64_t count, amount, max_amount;
};

typedef int (*store_stats_cb)(void *arg, const struct stats_row *r);
typedef int (*store_txn_cb)(void *arg, const struct txn *t);

/* What a search finds of one currency and type: how many, and their initial amounts' sum. */
struct txn_sum {
	char currency[4];
	enum txn_type type;
	int64_t count;
	int64_t amount;         /* the initial amounts' sum */
	int64_t amount_current; /* the current amounts' sum (after captures and refunds) */
};
typedef int (*store_txn_sum_cb)(void *arg, const struct txn_sum *s);
typedef int (*store_batch_cb)(void *arg, const struct batch *b);
typedef int (*store_due_cb)(void *arg, int64_t brand_id, int64_t contract_id);
typedef int (*store_user_cb)(void *arg, const struct user_row *u);

/* A node of the tree as the navigation shows it (Vision manual §2.3): site and rang are empty
 * unless it is a shop. */
struct tree_node {
	struct node n;
	char site[8];
	char rang[4];
};
typedef int (*store_node_cb)(void *arg, const struct tree_node *n);

/* A contract with what its details show (Vision manual §9.2). Instants 0 when unset. */
struct contract_view {
	struct contract c;
	char shop_name[81];
	char site[8];
	char brand_name[81];
	char telecollect_no[21];
	bool test_mode;
	int64_t created_at, last_auth_at, deactivated_at, test_date;
	int64_t last_batch_at, last_batch_number;
};
typedef int (*store_contract_cb)(void *arg, const struct contract_view *c);
typedef int (*store_action_cb)(void *arg, const struct action_row *a);
typedef int (*store_mail_cb)(void *arg, const struct mail *m);
typedef int (*store_api_error_cb)(void *arg, const struct api_error_row *e);
typedef int (*store_shop_cb)(void *arg, const struct shop_auth *sa);
typedef int (*store_session_cb)(void *arg, const struct session_row *s);
typedef int (*store_hash_cb)(void *arg, const char *password_hash);
typedef int (*store_history_cb)(void *arg, const struct history *h);

/* A card alias (migration 025; SPEC §16.1). card_sealed is the number sealed for the brand
 * (crypto_card_seal); empty once deleted. */
struct card_alias {
	int64_t id; /* assigned by alias_insert */
	int64_t brand_id;
	int64_t shop_id; /* the shop that made it */
	char alias[ALIAS_LEN + 1];
	int method; /* enum card_method */
	char card_masked[20];
	char card_expiry[5]; /* MMYY */
	unsigned char card_fp[32];
	unsigned char card_sealed[19 + 40];
	size_t card_sealed_len;
	bool implicit;
	int64_t created_at;
	int64_t deleted_at; /* 0: live */
};

/* A journal search of plans or subscriptions (Vision manual §6.1.1, §7.1.1): from <=
 * created_at < to, of the shops of a node and below, newest first, paged by key. Strings are
 * lent; NULL, 0 or -1 (enums) mean any. */
struct recurring_query {
	int64_t brand_id;
	int64_t node_id;
	enum recurring_kind kind;
	int64_t from, to;
	int64_t id;
	int status; /* enum recurring_status, -1: any */
	const char *contract_number;
	const char *rang;
	const char *order_ref_like; /* a LIKE pattern, '\\' escaping */
	int count;                  /* a plan's installments (2, 3, 4); 0: any */
	enum amount_cmp amount_cmp; /* on the next debit's amount */
	int64_t amount;
	int64_t next_from, next_to; /* next_from <= next_day <= next_to; 0: any */
	const char *email;
	const char *card_expiry; /* MMYY */
	const char *currency;
	int64_t after_created_at, after_id;
	int limit;
};

/* The hosted page's 3-D Secure challenge in progress (sql/sqlite/033_hosted.sql). */
#define CHECKOUT_SEALED_MAX 64
struct checkout {
	unsigned char token_hash[32];
	int64_t brand_id, shop_id;
	char order_ref[TXN_ORDER_REF_MAX + 1];
	int64_t request_time, amount;
	unsigned char card_sealed[CHECKOUT_SEALED_MAX];
	size_t card_sealed_len;
	char card_expiry[5];
	int64_t created_at, expires_at;
};

/* A payment whose issuer answers later (sql/sqlite/039_pending.sql): what the confirmation
 * job (jobs/confirm.c) needs to ask the acquirer again, decide the payment and tell the
 * merchant's server. */
#define PENDING_URL_MAX    512 /* hosted_url_ok's */
#define PENDING_RETOUR_MAX ((PBX_NAME_MAX + 3) * (PBX_RETOUR_MAX + 1))
struct pending_auth {
	int64_t brand_id, shop_id, txn_id;
	char acq_ref[TXN_ACQ_REF_MAX + 1];
	int64_t asked_at, next_at;
	int deferral_days; /* to the bank day: the payment's own, or its contract's */
	/* Where the answer is told: notify_url "", the shop's notification URL; else this URL,
	 * in Guichet's format (pbx_retour "") or Paybox System's (PBX_RETOUR's spec, GET or POST
	 * as notify_post says). */
	char notify_url[PENDING_URL_MAX + 1];
	bool notify_post;
	char pbx_retour[PENDING_RETOUR_MAX + 1];
};
typedef int (*store_pending_cb)(void *arg, const struct pending_auth *p);

/* A request to open a payment method from the store (Vision manual §12; migration 031). */
struct store_request {
	int64_t id; /* assigned by store_request_add */
	int64_t brand_id;
	int64_t shop_id;
	enum card_method method;
	int64_t user_id;
	int64_t created_at;
};

/* A shop's template of the hosted payment page (migration 037; api/hosted_theme.c). Colours
 * "" or "#rrggbb"; texts plain UTF-8, "" for Guichet's own; logo malloc'd by the store (NULL,
 * logo_len 0: none), freed by page_theme_cleanup. */
#define PAGE_THEME_TEXT_MAX (4 * LIMIT_PAGE_FOOTER + 1)
#define PAGE_THEME_TOKEN    33 /* 32 hex digits and the NUL */
struct page_theme {
	int64_t brand_id, shop_id;
	char primary[8], background[8];
	char title_fr[4 * LIMIT_PAGE_TITLE + 1], title_en[4 * LIMIT_PAGE_TITLE + 1];
	char footer_fr[PAGE_THEME_TEXT_MAX], footer_en[PAGE_THEME_TEXT_MAX];
	unsigned char *logo;
	size_t logo_len;
	char logo_type[16];
	char token[PAGE_THEME_TOKEN];
	int64_t version, updated_at, updated_by;
};
typedef int (*store_page_theme_cb)(void *arg, const struct page_theme *t);
/* Frees t's logo (store.c); t stays usable, without a logo. */
void page_theme_cleanup(struct page_theme *t);

typedef int (*store_recurring_cb)(void *arg, const struct recurring *r);
typedef int (*store_debit_cb)(void *arg, const struct recurring_debit *d);
typedef int (*store_id_cb)(void *arg, int64_t brand_id, int64_t id);

/* An entry of the blocklist (domain/risk.h; migration 029). key: the kind's byte, then the
 * card's fingerprint or the value's text. Instants 0 when unset. */
#define BLOCK_KEY_MAX (1 + BLOCK_VALUE_MAX)
struct block_entry {
	int64_t id;
	int64_t brand_id;
	int64_t node_id;
	enum block_kind kind;
	unsigned char key[BLOCK_KEY_MAX];
	size_t key_len;
	char value[BLOCK_VALUE_MAX + 1];
	char reason[BLOCK_REASON_MAX + 1];
	int64_t expires_at; /* it acts before that instant; 0: until removed */
	int64_t created_at;
	int64_t user_id; /* who added it; 0: none */
	int64_t txn_id;  /* blocked from that transaction's details; 0: by hand */
	/* What the lists show, read with it. */
	char node_name[81];
	char node_level[8];
	char user_login[65];
	char user_name[81];
};
/* A key a payment is looked up by. */
struct block_key {
	const unsigned char *key;
	size_t len;
};
/* The blocklist that acts on a node's shops: the entries at it and below, and those above it
 * up to scope_id (the user's node, within which node_id is; 0: node_id itself); kind 0 any;
 * text found in the value or the reason (NULL: any); expired entries too when expired; ids
 * below before_id (0: from the newest). */
struct block_query {
	int64_t brand_id;
	int64_t node_id;
	int64_t scope_id;
	int kind;
	const char *text;
	bool expired;
	int64_t now;
	int64_t before_id;
	int limit;
};
typedef int (*store_block_cb)(void *arg, const struct block_entry *e);

/* What a writing connection is for; the backend tunes itself to it (store_ops.use_for). */
enum store_use {
	/* The server's writer: many statements of a few rows each, every commit durable. */
	STORE_USE_PAYMENTS,
	/* A long job that reads and changes much in one go (the télécollecte): more cache. */
	STORE_USE_BATCH,
	/* An installer writing millions of rows in large transactions (guichetd demo): commits
	 * need not be durable one by one (a crash may lose the last ones, never break the
	 * database). Never for the server. */
	STORE_USE_BULK,
};

/* A notification to the merchant's server (migration 034; service/notify.h). Texts lent by
 * the store for the callback's duration. */
enum notify_state { NOTIFY_PENDING = 0, NOTIFY_DELIVERED = 1, NOTIFY_FAILED = 2 };
struct notify_row {
	int64_t id, brand_id, shop_id, txn_id;
	const char *url;
	bool post;
	const char *content_type; /* "" for a GET */
	const char *body;
	size_t body_len;
	const char *sig_header; /* "" none */
	const char *sign_k;     /* "" none; else the name of the RSA signature the notifier
	                         * appends to the body at each call (Paybox's K, migration 038) */
	enum notify_state state;
	int tries;    /* since written or sent again */
	int attempts; /* every one */
	int64_t next_at, created_at, done_at;
};
/* One attempt to deliver a notification. */
struct notify_attempt {
	int64_t id, notify_id, at;
	int64_t duration_ms;
	int http_status; /* 0: no answer (error says why) */
	const char *error;
	const char *answer; /* printable, at most LIMIT_NOTIFY_ANSWER bytes */
};
typedef int (*store_notify_cb)(void *arg, const struct notify_row *n);
typedef int (*store_notify_attempt_cb)(void *arg, const struct notify_attempt *a);
/* Where and how a shop's decisions are notified, for a writer's job that holds no key. */
struct notify_target {
	char url[SETTINGS_URL_MAX + 1]; /* the shop's url_notify; "" none */
	char site[8], rang[4];
	bool has_key;
	unsigned char key_sealed[64 + 40]; /* the active test key, sealed (as struct shop_auth) */
	size_t key_sealed_len;
};

/* Files of payment orders (migration 042; issue 15 "Batch files of payment orders";
 * docs/ORDER-FILES.md): a shop's uploaded file and its lines. The statuses in text, as the
 * API shows them. */
#define ORDER_DIGEST_LEN 64 /* SHA-256 in hexadecimal */
struct order_file {
	int64_t id, brand_id, shop_id;
	int64_t user_id; /* who uploaded it in the back office; 0: the merchant API */
	char digest[ORDER_DIGEST_LEN + 1];
	char name[101];
	char source[12]; /* "back_office", "api" */
	char status[20]; /* received, checking, processing, done, done_with_errors, refused */
	int64_t lines, accepted, refused;
	char error[256]; /* a refused file's fault */
	int64_t received_at, started_at, finished_at;
	/* Read: the shop's name and identifiers. */
	char shop_name[101], site[8], rang[4];
};
/* One line of a file: what it asks, and what came of it. card_sealed: the number sealed for
 * the brand (crypto_card_seal) while the line waits; gone once it is processed. */
struct order_line {
	int64_t brand_id, file_id, line_no, shop_id;
	char operation[12];
	char reference[TXN_ORDER_REF_MAX + 1];
	int64_t amount;
	char currency[4];
	char card_masked[CARD_MASKED_LEN + 1];
	unsigned char card_sealed[19 + 40];
	size_t card_sealed_len;
	char card_expiry[5];
	char alias[ALIAS_LEN + 1];
	int64_t target_id;
	char capture[8];
	char status[12]; /* pending, accepted, refused */
	char reason[48];
	char message[256];
	int64_t txn_id, done_at;
};
/* The files of the shops of a node and below (node_id), or of one shop (shop_id, not 0),
 * newest first, after the row (after_at, after_id) when after_at is not 0, at most limit. */
struct order_file_query {
	int64_t brand_id, node_id, shop_id;
	int64_t after_at, after_id;
	int limit;
};
typedef int (*store_order_file_cb)(void *arg, const struct order_file *f);
typedef int (*store_order_line_cb)(void *arg, const struct order_line *l);

struct store_ops {
	const char *name;
	void (*close)(struct store *st);
	/* Tells the backend what this connection is for (enum store_use), so it may size its
	 * caches and journals to fit. Called once, after store_open. */
	int (*use_for)(struct store *st, enum store_use use);

	/* Several servers on one database (store_is_server; docs/SCALING.md). lead: whether the
	 * server of this connection runs the cluster-wide job named (ST_OK) or another server
	 * does (ST_BUSY); once it leads, it leads until the connection ends, so a server stopped
	 * or killed lets another take the job over at its next round. serialize: waits until no
	 * other connection's transaction holds (scope, key), then holds it until this transaction
	 * ends: two servers' writers doing the same thing at once take turns. A database one
	 * server owns (SQLite) answers ST_OK at once to both. ST_STORE on a failure. */
	int (*lead)(struct store *st, const char *job);
	int (*serialize)(struct store *st, const char *scope, const void *key, size_t len);
	/* On a writer, before a payment's row is read to be changed: holds the row until the
	 * transaction ends, so that another server's writer (or the télécollecte) changing it
	 * meanwhile waits, and this one reads what it wrote (PostgreSQL: FOR UPDATE). A missing
	 * row is no error (the read that follows says so). */
	int (*txn_lock)(struct store *st, int64_t brand_id, int64_t id);

	/* Transactions. begin(write) takes the write lock at once for writers. */
	int (*begin)(struct store *st, bool write);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	/* A savepoint inside the transaction; release keeps what it wrote, rollback_to undoes it,
	 * and both end it (the enclosing one, if any, is the current one again). */
	int (*savepoint)(struct store *st);
	int (*release)(struct store *st);
	void (*rollback_to)(struct store *st);
	/* Whether a statement since the last savepoint failed because another connection's
	 * transaction held what it needed, and the database gave up on this one (PostgreSQL's
	 * deadlock or serialization failure): rolled back to the savepoint, its locks are freed
	 * and the same work may succeed if run again (work.c's writer does, a few times). */
	bool (*contended)(struct store *st);

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
	/* The environments (docs/ENVIRONMENTS.md; env.c). twin_make: the test environment of a
	 * production brand, its twin (brand, nodes, shops, contracts) made, *twin_id its brand;
	 * twins_make: that of every production brand without one (*made: how many).
	 * twin_of: the test twin of a production brand and of one of its nodes, ST_NOTFOUND
	 * when it has none. */
	int (*env_twin_make)(struct store *st, int64_t brand_id, int64_t now, int64_t *twin_id);
	int (*env_twins_make)(struct store *st, int64_t now, int *made);
	int (*env_twin_of)(struct store *st, int64_t brand_id, int64_t node_id, int64_t *twin_brand,
	                   int64_t *twin_node);
	/* Whether a brand is a test environment's (ST_NOTFOUND: no such brand). */
	int (*env_is_test)(struct store *st, int64_t brand_id, bool *test);
	/* "Create production account" (Ingenico guide §3.2.9; docs/ENVIRONMENTS.md; env_copy.c).
	 * production_copy: the configuration of the test environment twin (its tree, shops,
	 * shops' settings, templates, fraud filters) written onto its production brand, in the
	 * caller's transaction, only what differs (a second copy of the same writes nothing);
	 * user_id the updated_by of what is written. ST_NOTFOUND: twin is no test brand;
	 * ST_CONFLICT: a shop made in test only has a SITE and RANG production has.
	 * copy_plan: what the twin holds, counted (the preview). */
	int (*env_production_copy)(struct store *st, int64_t twin, int64_t user_id, int64_t now,
	                           struct env_copy *out);
	int (*env_copy_plan)(struct store *st, int64_t twin, struct env_copy_plan *out);
	/* The copy under another account id: a new production brand (its account's retention
	 * and second-factor rule from twin's production brand), the twin's tree, its shops with
	 * the SITE and RANG of a (every test shop once, else ST_INVALID), their settings and
	 * templates, in the caller's transaction; out->brand_id the new brand. ST_CONFLICT: the
	 * account id or a SITE and RANG is production's already; nothing kept (the caller rolls
	 * back). */
	int (*env_account_create)(struct store *st, int64_t twin, const struct env_new_account *a,
	                          int64_t user_id, int64_t now, struct env_copy *out);
	/* The brand whose account id (PSPID) is pspid, either environment's; ST_NOTFOUND. */
	int (*brand_of_account_id)(struct store *st, const char *pspid, int64_t *brand_id);
	int (*hmac_key_insert)(struct store *st, int64_t brand_id, int64_t shop_id, const char *env,
	                       const unsigned char *sealed, size_t sealed_len, int64_t now);
	/* HMAC keys of the back office (SPEC §11; src/store/sql/hmac_keys.c).
	 * hmac_key_create: a key in status "created" (k->id assigned).
	 * hmac_keys_each: the keys of the shops of a node and below, by shop then newest first;
	 * with active_before > 0, only the active ones (activated or used) expiring before it.
	 * hmac_key_activate: the key of an activation token's hash, still "created" and within
	 * its 7 days at now (else ST_NOTFOUND), becomes the active key of its shop and
	 * environment (the active one before is retired), expiring at expires_at; the token is
	 * forgotten. *out and the sealed key (cap bytes, *len) are the key activated.
	 * hmac_key_used: an activated key verified a request (nothing when it was already used).
	 * hmac_keys_expired_each: the active keys of every brand that expired at now and whose
	 * expiry was not mailed yet; hmac_key_expiry_mailed remembers it was.
	 * hmac_key_recipients_each: the users with an e-mail whose profile is HMAC manager or
	 * administrator, attached to the shop's node or above it, and active; a test shop's are
	 * its production twin's (the users are the production brand's). */
	int (*hmac_key_create)(struct store *st, struct hmac_key_new *k);
	int (*hmac_keys_each)(struct store *st, int64_t brand_id, int64_t node_id,
	                      int64_t active_before, store_hmac_key_cb cb, void *arg);
	int (*hmac_key_activate)(struct store *st, const unsigned char token_hash[32], int64_t now,
	                         int64_t expires_at, struct hmac_key_row *out,
	                         unsigned char *sealed, size_t cap, size_t *len);
	int (*hmac_key_used)(struct store *st, int64_t brand_id, int64_t id);
	int (*hmac_keys_expired_each)(struct store *st, int64_t now, store_hmac_key_cb cb,
	                              void *arg);
	int (*hmac_key_expiry_mailed)(struct store *st, int64_t brand_id, int64_t id, int64_t now);
	int (*hmac_key_recipients_each)(struct store *st, int64_t brand_id, int64_t shop_id,
	                                store_recipient_cb cb, void *arg);
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
	/* Calls cb for each transaction of the search, newest first. */
	int (*txn_search)(struct store *st, const struct txn_query *q, store_txn_cb cb, void *arg);
	/* The search's result counted (its limit and cursor aside): cb gets a row per currency
	 * and type, in that order. */
	int (*txn_summary)(struct store *st, const struct txn_query *q, store_txn_sum_cb cb,
	                   void *arg);
	/* Writes the fields an operation or the issuer's late answer may change: type, status,
	 * acq, amounts, batch, bank day, updated_at, authorization number, refusal, 3-D Secure
	 * guarantee, accepted_at. */
	int (*txn_update)(struct store *st, const struct txn *t);
	/* Feeds the search's trigram index and look-up tables with up to limit transactions not
	 * in them yet, oldest first; *done: how many (jobs/indexer.c, the demo). */
	int (*txn_ref_catch_up)(struct store *st, int limit, int *done);
	/* The card fingerprint of a transaction; ST_NOTFOUND when it has no card. */
	int (*txn_card_fp)(struct store *st, int64_t brand_id, int64_t id, unsigned char *fp,
	                   size_t cap, size_t *len);
	/* Calls cb for each transaction of the brand whose parent is parent_id (a debit's
	 * refunds), oldest first (created_at, then id), at most limit of them. */
	int (*txn_children_each)(struct store *st, int64_t brand_id, int64_t parent_id, int limit,
	                         store_txn_cb cb, void *arg);
	int (*history_add)(struct store *st, const struct history *h);
	int (*history_each)(struct store *st, int64_t brand_id, int64_t txn_id, store_history_cb cb,
	                    void *arg);
	/* Rows by the thousand (guichetd demo's history, STORE_USE_BULK). txn_ids_take: n ids
	 * for new transactions into ids, increasing, which no other writer gets: SQLite's go on
	 * from the largest written (its rowids), so take more only once those taken are written;
	 * PostgreSQL's come from the sequence (a few left unused are a gap, as a rollback's).
	 * txn_rows_write: the n transactions (their ids given), then the nh history lines, in
	 * their order; the same rows and statistics roll-ups as txn_insert and history_add one
	 * by one. SQLite runs those; PostgreSQL copies them (COPY, its row triggers firing as
	 * for an insert): thousands of rows in a round trip rather than one each. */
	int (*txn_ids_take)(struct store *st, int n, int64_t *ids);
	int (*txn_rows_write)(struct store *st, const struct txn_row *rows, size_t n,
	                      const struct history *h, size_t nh);
	/* After a bulk load has committed: leaves the database as compact and as well known to
	 * its planner as a live server's would be. PostgreSQL rewrites the statistics roll-ups
	 * (whose rows the load's long transactions updated again and again, none of the old
	 * versions prunable meanwhile), then vacuums and analyzes what was loaded; SQLite, whose
	 * rows were updated in place, does nothing. Outside a transaction. */
	int (*bulk_done)(struct store *st);

	/* Idempotency. idem_get: ST_NOTFOUND when the key is new. */
	int (*idem_get)(struct store *st, int64_t brand_id, int64_t shop_id, const char *key,
	                struct idem *out);
	int (*idem_put)(struct store *st, const struct idem *in);

	/* The blocklist (SPEC §11, §16.1; migration 029). block_put: ST_OK with e->id set;
	 * ST_CONFLICT when a live entry of the same key is at the node already (an expired one
	 * is replaced). block_get: the entry id of the brand, with its node and author's names;
	 * ST_NOTFOUND. block_delete: ST_NOTFOUND when none. block_search: the entries acting on
	 * q's node (struct block_query), newest first. */
	int (*block_put)(struct store *st, struct block_entry *e);
	int (*block_get)(struct store *st, int64_t brand_id, int64_t id, struct block_entry *out);
	int (*block_delete)(struct store *st, int64_t brand_id, int64_t id);
	int (*block_search)(struct store *st, const struct block_query *q, store_block_cb cb,
	                    void *arg);
	/* Whether a live entry (not expired at now) of one of the n keys is at shop_id's node or
	 * above it. */
	int (*block_match)(struct store *st, int64_t brand_id, int64_t shop_id,
	                   const struct block_key *keys, int n, int64_t now, bool *blocked);
	/* The debits of the card (its fingerprint) on the contract on Paris day `day`, counted up
	 * to limit. */
	int (*card_day_count)(struct store *st, int64_t brand_id, int64_t contract_id,
	                      const unsigned char *fp, size_t fp_len, int64_t day, int limit,
	                      int *n);
	/* Writes the contract's fraud filters if their version is still expect_version (the
	 * version becomes expect_version + 1); ST_CONFLICT when it is not, ST_NOTFOUND when no
	 * such contract. */
	int (*contract_filters_set)(struct store *st, int64_t brand_id, int64_t contract_id,
	                            const struct fraud_filters *f, int64_t expect_version);

	/* Users and sign-in. user_by_login: ST_NOTFOUND when no such login. */
	int (*user_by_login)(struct store *st, const char *login, struct user_auth *out);
	int (*user_get)(struct store *st, int64_t brand_id, int64_t id, struct user_auth *out);
	/* Counts a failed sign-in against the current count, in one statement, and locks the
	 * account when it reaches max (*locked: it is now; *failures: the count now, failures in
	 * a row). ST_LOCKED, nothing counted, when the account was already locked. */
	int (*user_sign_in_failed)(struct store *st, int64_t brand_id, int64_t id, int max,
	                           bool *locked, int *failures);
	/* A right current password of a signed-in user: failures forgotten, as a sign-in would
	 * (nothing on a locked account). */
	int (*user_failures_forget)(struct store *st, int64_t brand_id, int64_t id);
	/* A successful sign-in: failures forgotten, last sign-in and count updated. ST_LOCKED,
	 * nothing changed, when the account is locked (or gone). */
	int (*user_signed_in)(struct store *st, int64_t brand_id, int64_t id, int64_t now);
	/* Sets the password hash (the old one goes to the history) and must_change. */
	int (*user_password_set)(struct store *st, int64_t brand_id, int64_t id, const char *hash,
	                         bool must_change, int64_t now);
	/* The same password hashed again at another cost (crypto_password_needs_rehash): the hash
	 * replaced when it is still old_hash, nothing else changed (no history, no date). */
	int (*user_password_rehash)(struct store *st, int64_t brand_id, int64_t id,
	                            const char *old_hash, const char *new_hash);
	/* Calls cb with the current hash and the n most recent earlier ones. */
	int (*user_password_hashes)(struct store *st, int64_t brand_id, int64_t id, int n,
	                            store_hash_cb cb, void *arg);
	int (*user_terms_accept)(struct store *st, int64_t brand_id, int64_t id, int version);
	/* The current version of the terms of use (meta "terms_version"). */
	int (*terms_version)(struct store *st, int *version);

	/* Sessions. session_put of a live session (second_factor_pending false) replaces the
	 * user's sessions, the waiting one included; of a waiting sign-in, only the user's
	 * waiting one (SPEC §3: the live session ends once the code is given). session_get: by
	 * id, ST_NOTFOUND when gone. session_delete_user: every session of the user. */
	int (*session_get)(struct store *st, int64_t brand_id, int64_t id, struct session_row *out);
	/* session_by_token: the session of a token's hash; session_live: the user's live session
	 * (not a sign-in waiting for its code). ST_NOTFOUND when none. */
	int (*session_by_token)(struct store *st, const unsigned char token_hash[32],
	                        struct session_row *out);
	int (*session_live)(struct store *st, int64_t brand_id, int64_t user_id,
	                    struct session_row *out);
	int (*session_put)(struct store *st, struct session_row *s);
	int (*session_delete)(struct store *st, int64_t brand_id, int64_t id);
	int (*session_delete_user)(struct store *st, int64_t brand_id, int64_t user_id);
	int (*session_touch)(struct store *st, int64_t brand_id, int64_t id, int64_t now);
	int (*sessions_each)(struct store *st, store_session_cb cb, void *arg);
	/* The user's sign-in waiting for the second factor, if any, no longer waits: it becomes
	 * the user's session, their live one ending; with token_hash and csrf_hash not NULL, it
	 * also takes these new tokens. Nothing when none waits. */
	int (*session_second_factor_done)(struct store *st, int64_t brand_id, int64_t user_id,
	                                  const unsigned char *token_hash,
	                                  const unsigned char *csrf_hash);
	/* SPEC §3, a session disconnected and resumed (migration 040). session_disconnect: the
	 * connected live session id becomes disconnected, resumable by the key of resume_hash,
	 * its last use now; session_resume: the disconnected one is connected again, with a new
	 * CSRF token's hash, its last use now; session_resume_failed: its count of wrong keys.
	 * Each ST_NOTFOUND when no such session is in that state (ended, or changed meanwhile). */
	int (*session_disconnect)(struct store *st, int64_t brand_id, int64_t id,
	                          const unsigned char resume_hash[32], int64_t now);
	int (*session_resume)(struct store *st, int64_t brand_id, int64_t id,
	                      const unsigned char csrf_hash[32], int64_t now);
	int (*session_resume_failed)(struct store *st, int64_t brand_id, int64_t id, int failures);

	/* The second factor (SPEC §3). second_factor_get: the user's secrets, all zero (ST_OK)
	 * when they have none; second_factor_put writes them all (the writer read them before
	 * in the same transaction). user_second_factor_set: the user's method. */
	int (*second_factor_get)(struct store *st, int64_t brand_id, int64_t user_id,
	                         struct second_factor *out);
	int (*second_factor_put)(struct store *st, const struct second_factor *sf);
	int (*user_second_factor_set)(struct store *st, int64_t brand_id, int64_t user_id,
	                              enum second_factor_method method);

	/* The action log: append only. */
	int (*action_add)(struct store *st, const struct action *a);
	/* A refusal that may come again and again (migration 021): counted once more in the
	 * latest row of the same user, action and details written at or after since (its count
	 * grows, its last instant becomes a->at), else added as action_add does. */
	int (*action_repeat)(struct store *st, const struct action *a, int64_t since);
	/* Newest first. */
	int (*actions_each)(struct store *st, const struct action_query *q, store_action_cb cb,
	                    void *arg);

	/* User management. week_start: the instant the current week began. */
	int (*users_each)(struct store *st, int64_t brand_id, int64_t node_id, int64_t week_start,
	                  store_user_cb cb, void *arg);
	/* The node and everything below it, depth first. */
	int (*nodes_each)(struct store *st, int64_t brand_id, int64_t node_id, store_node_cb cb,
	                  void *arg);
	/* The contracts of the shops of a node and below (id 0), or the one contract id there
	 * (none: the callback is not called). */
	int (*contracts_each)(struct store *st, int64_t brand_id, int64_t node_id, int64_t id,
	                      store_contract_cb cb, void *arg);
	/* *within: node is ancestor or below it. */
	int (*node_within)(struct store *st, int64_t brand_id, int64_t ancestor, int64_t node,
	                   bool *within);
	/* Writes name, email, mobile, profile, node, language, time zone, and when and by whom
	 * the e-mail address last changed. */
	int (*user_update)(struct store *st, const struct user_auth *ua);
	int (*user_unlock)(struct store *st, int64_t brand_id, int64_t id);
	/* Deactivates a user at at (README "Users": kept, no sign-in), or reactivates them (at
	 * 0). users_active_admins: the brand's active administrators. */
	int (*user_deactivate)(struct store *st, int64_t brand_id, int64_t id, int64_t at);
	int (*users_active_admins)(struct store *st, int64_t brand_id, int64_t *count);
	/* A user's preferences (SPEC §3: journal columns, landing page): text under a name.
	 * pref_get: ST_NOTFOUND when unset, ST_TOOBIG when longer than cap - 1. pref_put with
	 * value NULL: unset. */
	int (*pref_get)(struct store *st, int64_t brand_id, int64_t user_id, const char *name,
	                char *out, size_t cap);
	int (*pref_put)(struct store *st, int64_t brand_id, int64_t user_id, const char *name,
	                const char *value, int64_t now);

	/* Settlement. due: the contracts with transactions to send whose bank day is at most day,
	 * every brand. A contract's batch is made in steps, each in the caller's transaction and
	 * each short, so that a million due transactions never hold the write lock long:
	 * batch_open numbers it and writes it open ('closing', its totals 0), reading one due row
	 * (ST_NOTFOUND when no debit or refund is due: the due cancellations then leave the queue
	 * without a batch); batch_fill sends the next limit of its due transactions, their history
	 * written and the batch's totals grown by them (*moved: how many; 0 when none is left);
	 * batch_finish takes the due cancellations out of the queue, marks it sent and reads it
	 * back whole, its report address too (ST_NOTFOUND, and the batch gone, when every one of
	 * its transactions was cancelled before it was sent). An open batch is in no journal and
	 * has no file yet; batch_closing_each: those a killed run left, for the next to finish. */
	int (*batch_due_each)(struct store *st, int64_t day, store_due_cb cb, void *arg);
	int (*batch_open)(struct store *st, int64_t brand_id, int64_t contract_id, int64_t day,
	                  int64_t now, struct batch *out);
	int (*batch_fill)(struct store *st, const struct batch *b, int limit, int64_t *moved);
	int (*batch_finish)(struct store *st, struct batch *b);
	int (*batch_closing_each)(struct store *st, store_batch_cb cb, void *arg);
	int (*batch_unwritten_each)(struct store *st, store_batch_cb cb, void *arg);
	int (*batch_written)(struct store *st, int64_t id);
	/* The reconciliation of a transaction (migration 014, written by the import of the
	 * acquirer's return file: recon_* below); ST_NOTFOUND when it has none. */
	int (*txn_reconciliation)(struct store *st, int64_t brand_id, int64_t txn_id,
	                          struct reconciliation *out);
	int (*batch_txns_each)(struct store *st, int64_t brand_id, int64_t batch_id,
	                       store_txn_cb cb, void *arg);
	int (*batch_search)(struct store *st, const struct batch_query *q, store_batch_cb cb,
	                    void *arg);
	/* A batch of a history written in bulk (guichetd demo), its bank file never written:
	 * inserted when b->id is 0 (b->id gets its id, b->number any number no other batch of its
	 * contract has), else its number, totals and file name set. batch_history_reconcile: the
	 * acquirer's answer to it, every transaction of batch b reconciled at `at` with jrb_number
	 * (a debit's sent amount, its current and refunded ones, less bps basis points of it). */
	int (*batch_history_write)(struct store *st, struct batch *b);
	int (*batch_history_reconcile)(struct store *st, const struct batch *b, int64_t jrb_number,
	                               int64_t at, int bps);

	/* The bank reconciliation journal (store/sql/reconciliation.c, migration 043). The batch
	 * a return file names (brand, contract number, rang, number); ST_NOTFOUND. */
	int (*recon_batch_find)(struct store *st, int64_t brand_id, const char *contract_number,
	                        const char *rang, int64_t number, struct batch *out);
	/* The file imported with this digest; ST_NOTFOUND. */
	int (*recon_file_find)(struct store *st, int64_t brand_id, const char *digest,
	                       struct recon_file_row *out);
	/* Adds the file's row (r->id set); ST_CONFLICT when its digest is there already. */
	int (*recon_file_add)(struct store *st, struct recon_file_row *r);
	/* A transaction's reconciliation, written or replaced (a later file corrects an ERROR). */
	int (*recon_txn_set)(struct store *st, int64_t brand_id, int64_t txn_id, int64_t batch_id,
	                     int64_t jrb_number, bool ok, int64_t at, int64_t net,
	                     int64_t commission, const char *currency);
	int (*recon_mismatch_add)(struct store *st, const struct recon_mismatch_row *m);
	/* Marks ERROR every CB, VISA and MASTERCARD transaction of a batch sent at or before
	 * cutoff (and after since) that has no reconciliation; *marked: how many. */
	int (*recon_overdue_mark)(struct store *st, int64_t since, int64_t cutoff, int64_t now,
	                          int64_t *marked);
	int (*recon_search)(struct store *st, const struct recon_query *q, store_recon_cb cb,
	                    void *arg);
	/* The queue, newest first; a mismatch by id (ST_NOTFOUND). */
	int (*recon_mismatches_each)(struct store *st, const struct recon_mismatch_query *q,
	                             store_recon_mismatch_cb cb, void *arg);
	int (*recon_mismatch_get)(struct store *st, int64_t brand_id, int64_t id,
	                          struct recon_mismatch_row *out);
	/* Resolves an open mismatch; ST_CONFLICT when it was resolved already. */
	int (*recon_mismatch_resolve)(struct store *st, int64_t brand_id, int64_t id,
	                              const char *by, const char *comment, int64_t at);

	/* The daily roll-ups of the shops of a node and below, from_day..to_day, by day. */
	int (*stats_each)(struct store *st, int64_t brand_id, int64_t node_id, int64_t from_day,
	                  int64_t to_day, store_stats_cb cb, void *arg);

	/* The mail outbox (src/store/sqlite/mail.c). mail_add: a new row, its body sealed by
	 * st->mail_seal with the row's id (ST_INTERNAL, nothing written, without a sealer).
	 * mail_each_due: the pending mails due at now (not sent, not failed, next attempt
	 * reached), oldest first, at most limit. mail_sent: sent at now, the body wiped and the
	 * error forgotten. mail_retry: a temporary failure (error: the relay's answer), one
	 * attempt more, tried again at next_at. mail_failed: given up at now (a permanent
	 * refusal, or 3 days of temporary ones) with its error; the sealed body stays for an
	 * administrator's retry until mail_failed_wipe. */
	int (*mail_add)(struct store *st, const struct mail *m);
	int (*mail_each_due)(struct store *st, int64_t now, int limit, store_mail_cb cb, void *arg);
	int (*mail_sent)(struct store *st, int64_t id, int64_t now);
	int (*mail_retry)(struct store *st, int64_t id, int64_t next_at, const char *error);
	int (*mail_failed)(struct store *st, int64_t id, int64_t now, const char *error);
	/* The mails in trouble of q, newest first, without their bodies (sealed NULL).
	 * mails_failed_count: how many of a node and below failed since the instant given. */
	int (*mails_each)(struct store *st, const struct mail_query *q, store_mail_cb cb,
	                  void *arg);
	int (*mails_failed_count)(struct store *st, int64_t brand_id, int64_t node_id,
	                          int64_t since, int *n);
	/* The depth of both outboxes at now, every brand's (the metrics): the mails and the
	 * notifications still to deliver (neither delivered nor failed), and of them those due
	 * (their next attempt reached: waiting for the mailer or the notifier). Counted on their
	 * partial indexes of the pending rows (src/store/sqlite/mail.c). */
	int (*outbox_depth)(struct store *st, int64_t now, struct outbox_depth *out);
	/* One mail of a brand without its body; ST_NOTFOUND when none. */
	int (*mail_get)(struct store *st, int64_t brand_id, int64_t id, struct mail *out);
	/* An administrator's retry: the failed mail (with its sealed body) is pending again, due
	 * at now, its attempts counted from 0 and its 3 days from now. ST_NOTFOUND when it is
	 * not such a mail (any more). */
	int (*mail_requeue)(struct store *st, int64_t brand_id, int64_t id, int64_t now);
	/* Wipes the sealed bodies of at most limit mails that failed before the instant before
	 * (every brand); *done: how many. */
	int (*mail_failed_wipe)(struct store *st, int64_t before, int limit, int *done);
	/* Seals, with st->mail_seal, the bodies of pending mails written in clear (by an older
	 * version, or into the table by hand); *done: how many. In the caller's transaction. */
	int (*mail_seal_clear)(struct store *st, int *done);
	/* Copies every committed change into the database file and empties the write-ahead
	 * log, so that the earlier versions of wiped rows it held are gone from it (a backend
	 * without such a log does nothing). ST_BUSY when a reader or writer beside holds it
	 * back. Outside a transaction. */
	int (*checkpoint)(struct store *st);
	/* NULL, or the connection's page cache made small (on) for a read of many rows once,
	 * an export's page, and its usual size again (off): the cache does not grow to its
	 * full size with pages nobody reads again. In a read transaction. */
	void (*scan)(struct store *st, bool on);

	/* Error log of the merchant API: e counted in the shop's row of the same method, path,
	 * status, code and field since e->since, else in a new row; a shop that has max_rows rows
	 * since then has the rest counted in its row of method and path '*', without a field
	 * (migrations 021, 030). */
	int (*api_error_add)(struct store *st, const struct api_error *e, int max_rows);
	/* The rows a search finds (at most q->limit), newest first, each given to cb (an error
	 * from cb stops the walk and is returned). */
	int (*api_errors_each)(struct store *st, const struct api_error_query *q,
	                       store_api_error_cb cb, void *arg);

	/* Retention (jobs/retention.c): each deletes at most limit of its rows created before
	 * the instant before, every brand; *done: how many. Idempotency keys (SPEC §4, kept at
	 * least 24 h) and the error log (SPEC §14, the last 3 days). */
	int (*idem_purge)(struct store *st, int64_t before, int limit, int *done);
	int (*api_error_purge)(struct store *st, int64_t before, int limit, int *done);
	/* The retention of payment data (SPEC §5, §14; domain/retention.h): erases the sealed
	 * card number and the fingerprint of at most limit transactions whose brand's retention
	 * ran out at now, oldest first, brand by brand; the rest of each row stays. *done: how
	 * many. Erased data is not looked at again: a second call erases nothing more. */
	int (*txn_card_purge)(struct store *st, int64_t now, int limit, int *done);

	/* The account (Ingenico guide 3.2.2): the brand's name, account id and retention of
	 * payment data. get: ST_NOTFOUND for no such brand. retention_set: days already checked
	 * (retention_days_valid); ST_NOTFOUND for no such brand. */
	int (*account_get)(struct store *st, int64_t brand_id, struct account *out);
	/* Writes a's settings (retention_days, second_factor_required) to its brand. */
	int (*account_set)(struct store *st, const struct account *a);

	/* Card aliases (src/store/sqlite/recurring.c). alias_insert assigns a->id. alias_get: the
	 * live alias of the brand by name (ST_NOTFOUND: unknown or deleted). alias_delete:
	 * deleted at now, its number and fingerprint erased; ST_NOTFOUND when not live;
	 * ST_CONFLICT, nothing changed, while a plan or subscription in progress uses it. */
	int (*alias_insert)(struct store *st, struct card_alias *a);
	int (*alias_get)(struct store *st, int64_t brand_id, const char *alias,
	                 struct card_alias *out);
	int (*alias_get_id)(struct store *st, int64_t brand_id, int64_t id, struct card_alias *out);
	int (*alias_delete)(struct store *st, int64_t brand_id, const char *alias, int64_t now);

	/* Plans and subscriptions. recurring_insert assigns r->id. recurring_get: shop_id 0 for
	 * any shop of the brand; node_id 0 for any node, else within that node's shops (the back
	 * office's scope); ST_NOTFOUND outside. recurring_update writes status, done, next_day,
	 * next_amount, updated_at and the end (ended_at, end_reason, ended_by, ended_by_login)
	 * only if the row still has done == expect_done and a status in progress or will fail;
	 * else ST_CONFLICT, nothing written (another round or a termination came first). */
	int (*recurring_insert)(struct store *st, struct recurring *r);
	int (*recurring_get)(struct store *st, int64_t brand_id, int64_t shop_id, int64_t node_id,
	                     int64_t id, struct recurring *out);
	int (*recurring_update)(struct store *st, const struct recurring *r, int64_t expect_done);
	/* Inserts or replaces the debit (brand, recurring, number). */
	int (*recurring_debit_put)(struct store *st, const struct recurring_debit *d);
	/* The planned debits of a recurring from number on become cancelled. */
	int (*recurring_debits_cancel)(struct store *st, int64_t brand_id, int64_t recurring_id,
	                               int64_t from_number);
	/* By number. */
	int (*recurring_debits_each)(struct store *st, int64_t brand_id, int64_t recurring_id,
	                             store_debit_cb cb, void *arg);
	/* The recurring and debit number a transaction was made for; ST_NOTFOUND when none. */
	int (*recurring_of_txn)(struct store *st, int64_t brand_id, int64_t txn_id,
	                        struct recurring_debit *out);
	/* The recurring of every brand due by day (next_day <= day, in progress or will fail)
	 * with an id above after_id, by id, at most limit. */
	int (*recurring_due_each)(struct store *st, int64_t day, int64_t after_id, int limit,
	                          store_id_cb cb, void *arg);
	/* The journal (struct recurring_query), newest first. */
	int (*recurring_search)(struct store *st, const struct recurring_query *q,
	                        store_recurring_cb cb, void *arg);

	/* A shop's general configuration (src/store/sql/settings.c; domain/settings.h).
	 * shop_settings_get: the shop's, or its defaults (version 0) when none was ever set.
	 * shop_settings_put: writes s, version s->version, only if what is kept is still at
	 * expect_version (0: nothing kept yet); else ST_CONFLICT, nothing written. */
	int (*shop_settings_get)(struct store *st, int64_t brand_id, int64_t shop_id,
	                         struct shop_settings *out);
	int (*shop_settings_put)(struct store *st, const struct shop_settings *s,
	                         int64_t expect_version);
	/* The store's requests to open a method. store_request_find: the newest for the shop's
	 * method made at or after since, ST_NOTFOUND when none. store_request_add assigns r->id. */
	int (*store_request_find)(struct store *st, int64_t brand_id, int64_t shop_id,
	                          enum card_method m, int64_t since, struct store_request *out);
	int (*store_request_add)(struct store *st, struct store_request *r);

	/* The hosted page's templates (store/sql/page_theme.c; migration 037).
	 * page_theme_get: the shop's, or an empty one (version 0) when none was ever set; its
	 * logo malloc'd (page_theme_cleanup). page_theme_put: writes t (its version), only if
	 * what is kept is still at expect_version (0: nothing kept); else ST_CONFLICT, nothing
	 * written. page_themes_each: every shop's of every brand (the cache at start). */
	int (*page_theme_get)(struct store *st, int64_t brand_id, int64_t shop_id,
	                      struct page_theme *out);
	int (*page_theme_put)(struct store *st, const struct page_theme *t, int64_t expect_version);
	int (*page_themes_each)(struct store *st, store_page_theme_cb cb, void *arg);
	/* Every template's (brand, shop, version) by brand then shop, cb(arg, brand_id, shop_id,
	 * version): what the servers sharing a database compare their caches with (no text, no
	 * logo). */
	int (*page_theme_versions)(struct store *st,
	                           int (*cb)(void *arg, int64_t brand_id, int64_t shop_id,
	                                     int64_t version),
	                           void *arg);

	/* The hosted page (store/sql/hosted.c): remembers a signed request (shop, order_ref,
	 * its time) as paid; ST_CONFLICT when it already was (a replay), nothing written. */
	int (*hosted_replay_put)(struct store *st, int64_t brand_id, int64_t shop_id,
	                         const char *order_ref, int64_t request_time, int64_t now);
	/* A 3-D Secure challenge in progress: checkout_put writes c; checkout_take reads the row
	 * of token_hash still open at now (expires_at > now) and deletes it in the same step:
	 * ST_NOTFOUND when none (answered already, expired, unknown). */
	int (*checkout_put)(struct store *st, const struct checkout *c);
	/* The retention job: deletes at most limit checkout rows expired at now (their sealed
	 * card with them) and limit replay rows created before replay_before; *done the count. */
	int (*hosted_purge)(struct store *st, int64_t now, int64_t replay_before, int limit,
	                    int *done);
	int (*checkout_take)(struct store *st, const unsigned char *token_hash, int64_t now,
	                     struct checkout *out);

	/* The schema's version (the highest migration applied) into *version. */
	int (*schema_version)(struct store *st, int *version);

	/* Backups (store/sqlite/backup.c). backup_to: a consistent copy of the whole database,
	 * as of one instant, written to path (which must not exist), while others go on using
	 * it. integrity_check: ST_OK when the database is whole; ST_INVALID with why (cut to cap
	 * bytes) saying what is wrong. */
	int (*backup_to)(struct store *st, const char *path);
	int (*integrity_check)(struct store *st, char *why, size_t cap);

	/* Pending authorizations (store/sql/pending.c, migration 039). pending_each_due: the
	 * rows due at now, soonest first, at most limit. pending_later: the row asked again at
	 * next_at. pending_delete: the row gone (ST_NOTFOUND when it was not there). */
	int (*pending_put)(struct store *st, const struct pending_auth *p);
	int (*pending_each_due)(struct store *st, int64_t now, int limit, store_pending_cb cb,
	                        void *arg);
	int (*pending_later)(struct store *st, int64_t brand_id, int64_t txn_id, int64_t next_at);
	int (*pending_delete)(struct store *st, int64_t brand_id, int64_t txn_id);

	/* The notifications to merchants' servers (src/store/sql/notify.c, migration 034).
	 * notify_add: a pending row due at n->next_at; sets n->id. notify_each_due: the pending
	 * rows due at now, oldest first (next_at, then id), after the row (after_at, after_id) in
	 * that order ((0, 0): from the first), at most limit. notify_attempt_add: records an attempt
	 * and the row's new state (next_at for a pending one, done_at = a->at otherwise), only if
	 * the row is still pending (a resend meanwhile wins: ST_CONFLICT). notify_each_of_txn:
	 * a transaction's notifications of the brand, oldest first; notify_attempts_each: a
	 * row's attempts, oldest first. notify_get: one row of the brand (ST_NOTFOUND).
	 * notify_resend: the row pending again, due at now, its tries counted from 0. */
	int (*notify_add)(struct store *st, struct notify_row *n);
	int (*notify_each_due)(struct store *st, int64_t now, int64_t after_at, int64_t after_id,
	                       int limit, store_notify_cb cb, void *arg);
	int (*notify_attempt_add)(struct store *st, const struct notify_attempt *a,
	                          enum notify_state state, int64_t next_at);
	int (*notify_each_of_txn)(struct store *st, int64_t brand_id, int64_t txn_id,
	                          store_notify_cb cb, void *arg);
	int (*notify_attempts_each)(struct store *st, int64_t brand_id, int64_t notify_id,
	                            store_notify_attempt_cb cb, void *arg);
	int (*notify_get)(struct store *st, int64_t brand_id, int64_t id, store_notify_cb cb,
	                  void *arg);
	int (*notify_resend)(struct store *st, int64_t brand_id, int64_t id, int64_t now);
	/* shop_notify_target: the shop's notification URL, SITE, RANG and active key, in one
	 * statement kept prepared (ST_NOTFOUND: no such shop of the brand). notify_purge: the
	 * delivered and failed rows done at or before `before`, with their attempts, at most
	 * limit rows (*done: how many); a pending row (sent again) stays. Migration 036. */
	int (*shop_notify_target)(struct store *st, int64_t brand_id, int64_t shop_id,
	                          struct notify_target *out);
	int (*notify_purge)(struct store *st, int64_t before, int limit, int *done);

	/* The daily push reports (store/push_report.h, store/sql/push_reports.c; migration 041).
	 * push_sub_get: ST_NOTFOUND when the user never set one. push_sub_put: written whole,
	 * since kept unless given. push_subs_each: the switched-on ones of every brand's active users.
	 * push_run_open: the user's run of day, made queued (due at now) when there is none, read
	 * into out. push_run_update: its state, attempts, mail, token and file. push_runs_pending
	 * _each: the queued runs of every brand whose attempt is due at now or whose mail is out,
	 * with that mail's state. push_runs_each: a list (struct push_run_query). push_run_file:
	 * the file of the user's run whose token hashes to hash, before its expiry (ST_NOTFOUND
	 * otherwise), appended to out, its run into run. push_files_expire: the files past their
	 * expiry removed (*done: how many). push_mail_add: mail_add, the new row's id in *id. */
	int (*push_mail_add)(struct store *st, const struct mail *m, int64_t *id);
	int (*push_sub_get)(struct store *st, int64_t brand_id, int64_t user_id,
	                    struct push_sub *out);
	int (*push_sub_put)(struct store *st, const struct push_sub *s);
	int (*push_subs_each)(struct store *st, store_push_sub_cb cb, void *arg);
	int (*push_run_open)(struct store *st, int64_t brand_id, int64_t user_id, int64_t day,
	                     int64_t now, struct push_run *out);
	int (*push_run_update)(struct store *st, const struct push_run *r);
	int (*push_runs_pending_each)(struct store *st, int64_t now, store_push_run_cb cb,
	                              void *arg);
	int (*push_runs_each)(struct store *st, const struct push_run_query *q,
	                      store_push_run_cb cb, void *arg);
	int (*push_run_file)(struct store *st, int64_t brand_id, int64_t user_id,
	                     const unsigned char *hash, int64_t now, struct push_run *run,
	                     struct buf *out);
	int (*push_files_expire)(struct store *st, int64_t now, int *done);
	/* Files of payment orders (src/store/sql/order_files.c, migration 042).
	 * order_file_find: the brand's shop's file of that digest (ST_NOTFOUND). order_file_insert:
	 * a new file, f->id set. order_line_insert: one of its lines. order_file_get: the brand's
	 * file (shop_id not 0: of that shop; ST_NOTFOUND). order_files_each: a search
	 * (order_file_query). order_lines_each: a file's lines in order after line after (0: from
	 * the first), at most limit (0: all); pending_only: the lines still to process.
	 * order_file_next: the oldest file of any brand still to work on (received, checking or
	 * processing; ST_NOTFOUND). order_file_status: the file's new status at now (processing
	 * sets started_at, done and done_with_errors finished_at). order_line_done: a pending line
	 * accepted or refused (l's status, reason, message, txn_id, done_at), its sealed card
	 * gone, and its file's count; ST_CONFLICT when it was no longer pending.
	 * order_lines_duplicates: the file's pending lines whose reference another file of the
	 * shop had accepted, refused "duplicate_reference" at now (*n: how many). */
	int (*order_file_find)(struct store *st, int64_t brand_id, int64_t shop_id,
	                       const char *digest, struct order_file *out);
	int (*order_file_insert)(struct store *st, struct order_file *f);
	int (*order_line_insert)(struct store *st, const struct order_line *l);
	int (*order_file_get)(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id,
	                      struct order_file *out);
	int (*order_files_each)(struct store *st, const struct order_file_query *q,
	                        store_order_file_cb cb, void *arg);
	int (*order_lines_each)(struct store *st, int64_t brand_id, int64_t file_id, int64_t after,
	                        int limit, bool pending_only, store_order_line_cb cb, void *arg);
	int (*order_file_next)(struct store *st, struct order_file *out);
	int (*order_file_status)(struct store *st, int64_t brand_id, int64_t id, const char *status,
	                         int64_t now);
	int (*order_line_done)(struct store *st, const struct order_line *l);
	int (*order_lines_duplicates)(struct store *st, int64_t brand_id, int64_t file_id,
	                              int64_t now, int64_t *n);
};

/* Seals m->body (m->id is its new row's) for the outbox: appends the sealed bytes to out.
 * ST_OK, or a failure that fails the mail_add. service/outbox.h sets it. */
typedef int (*store_mail_seal_fn)(void *arg, const struct mail *m, struct buf *out);

/* Counts that hold only if the transaction they are counted in commits: the payments decided,
 * for the metrics (service/payments.h names the slots). A use case adds while it runs
 * (store_tally_add); a savepoint's release keeps what was added since, a rollback to it takes
 * that back, a rollback drops it all, and a commit adds it to the process's totals
 * (store_tally_total). Savepoints deeper than STORE_TALLY_DEPTH keep their counts when rolled
 * back (none is that deep: the writer's job, then a recurring debit's step). */
#define STORE_TALLY_SLOTS 24
#define STORE_TALLY_DEPTH 4
struct store_tally {
	uint32_t n[STORE_TALLY_SLOTS];
	uint32_t mark[STORE_TALLY_DEPTH][STORE_TALLY_SLOTS]; /* n at each open savepoint */
	int depth;                                           /* savepoints open */
};

struct store {
	const struct store_ops *ops;
	/* What mail_add seals bodies with: without it, the outbox takes no mail at all rather
	 * than a body in clear (README "Mail"). */
	store_mail_seal_fn mail_seal;
	void *mail_seal_arg;
	struct store_tally tally; /* the backend's transaction operations keep it */
};

/* One more in slot (below STORE_TALLY_SLOTS), counted with st's transaction. */
void store_tally_add(struct store *st, unsigned slot);

/* What the process's committed transactions counted in slot, every connection's; any thread. */
uint64_t store_tally_total(unsigned slot);

/* For the backends, from their transaction operations: begin and rollback (everything
 * dropped), a savepoint opened, released or rolled back to, and a commit done. */
void store_tally_clear(struct store *st);
void store_tally_savepoint(struct store *st);
void store_tally_release(struct store *st);
void store_tally_rollback_to(struct store *st);
void store_tally_commit(struct store *st);

/* Opens the database at path with the backend its name selects (SQLite for a file path,
 * PostgreSQL for a postgresql:// URI).
 * write: this connection will write (the writer, the demo, the batch command); it then also
 * applies pending migrations. On success *out is the caller's; free it with store_close.
 * Returns ST_OK or ST_STORE. */
int store_open(const char *path, bool write, struct store **out) WUR;

/* Whether db names a database server's database (PostgreSQL) rather than a SQLite file. */
bool store_is_server(const char *db);

/* guichetd serve's claim on its database: a SQLite file is one server's (docs/SCALING.md), so
 * a second one started on it would run every job twice: an exclusive lock on "<db>.lock",
 * held through *fd until the process ends (close it to let go). ST_OK (*fd -1 for a server's
 * database, which many servers share), ST_BUSY when another process holds it, ST_STORE when
 * the lock file cannot be made; both logged. */
int store_serve_claim(const char *db, int *fd) WUR;

/* Closes st; NULL does nothing. */
void store_close(struct store *st);

/* Brings the database db (a SQLite file path, or a PostgreSQL URI) to the schema of this
 * version: the migrations above its version applied in order, each in its own transaction;
 * on PostgreSQL under an advisory lock, so that servers started together migrate once.
 * *from and *to: the versions before and after. ST_OK; ST_INVALID for a PostgreSQL URI that
 * carries a password (PGPASSWORD or ~/.pgpass give it); ST_STORE (logged), also for a
 * database a newer version migrated. */
int store_migrate(const char *db, int *from, int *to) WUR;

/* Backends. */
int store_sqlite_open(const char *path, bool write, struct store **out) WUR;

#endif
