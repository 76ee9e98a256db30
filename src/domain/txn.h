/*
 * txn.h - a transaction, its states, and the rules of every operation on it (SPEC §5, §6;
 * Vision manual §4.1.1, §4.1.4, §4.2). Pure C, no I/O: callers bring the current time.
 *
 * The merchant API, the back office, the jobs and the command line all decide through these
 * functions, against the committed state loaded by the writer, so a rule lives only here.
 */
#ifndef GUICHET_TXN_H
#define GUICHET_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/card.h"

#define TXN_ORDER_REF_MAX      250 /* bytes */
#define TXN_EMAIL_MAX          254 /* bytes */
#define TXN_OP_DAYS_MAX        75  /* capture, cancel, refund: Vision manual §3.2, §4.2.2-4.2.4 */
#define TXN_3DS_GUARANTEE_DAYS 7   /* Vision manual §4.1.4 */
#define TXN_ARCHIVE_REF_MAX    40  /* bytes; the virtual terminal's (Vision manual §10.1.1) */
#define TXN_ACQ_REF_MAX        32  /* bytes; a pending authorization's at the acquirer */
#define TXN_PENDING_DAYS       7   /* an issuer's answer awaited this long, then abandoned */

enum txn_type { TXN_DEBIT = 0, TXN_REFUND, TXN_CANCELLATION };
enum txn_status { TXS_ACCEPTED = 0, TXS_REFUSED, TXS_PENDING, TXS_ABANDONED };
enum txn_acq {
	ACQ_AWAITING_CAPTURE = 0,
	ACQ_AWAITING_CONFIRMATION,
	ACQ_TO_SEND,
	ACQ_SENT,
	ACQ_DISCARDED,
	ACQ_NA
};
enum txn_op { OP_CAPTURE = 0, OP_CANCEL, OP_REFUND, OP_SEND, OP_BLOCK_CARD };

/* Where a transaction came from (issue 12), shown and filtered in the back office: the
 * merchant API, the hosted payment page, Paybox System, Paybox Direct, the virtual terminal,
 * a recurring debit. Stored as these numbers (sql/sqlite/033_hosted.sql). */
enum txn_origin {
	ORIGIN_API = 0,
	ORIGIN_HOSTED = 1,
	ORIGIN_PAYBOX_SYSTEM = 2,
	ORIGIN_PAYBOX_DIRECT = 3,
	ORIGIN_MANUAL = 4,
	ORIGIN_RECURRING = 5,
	ORIGIN__COUNT
};

/* 3-D Secure authentication result (Vision manual §4.1.4). */
enum tds_auth { TDS_NONE = 0, TDS_Y, TDS_N, TDS_U, TDS_A };

/* Why a payment was refused (SPEC §4, §16.1; Vision manual §4.1.4 "motif de refus"). The
 * values are stored: new ones go at the end. Both amount bounds of the contract answer the
 * code amount_out_of_range, each with its own message. */
enum refusal {
	REFUSAL_NONE = 0,
	REFUSAL_AMOUNT_BELOW_MIN,
	REFUSAL_AMOUNT_ABOVE_MAX,
	REFUSAL_CURRENCY, /* the contract takes another currency */
	REFUSAL_CONTRACT_INACTIVE,
	REFUSAL_CARD_NOT_ALLOWED, /* on the merchant's blocklist, Vision manual §4.2.6, §9.3 */
	REFUSAL_CARD_EXPIRED,
	REFUSAL_DECLINED, /* the issuer said no ("do not honor"): acquirer_refused */
	REFUSAL_INSUFFICIENT_FUNDS,
	REFUSAL_3DS_FAILED, /* holder not authenticated (N) */
	/* The contract's fraud filters (SPEC §11, Vision manual §9.2.1; domain/risk.h). */
	REFUSAL_AMOUNT_ABOVE_LIMIT,
	REFUSAL_CARD_COUNTRY_BLOCKED,
	REFUSAL_CUSTOMER_COUNTRY_BLOCKED,
	REFUSAL_COUNTRY_MISMATCH,
	REFUSAL_CARD_VELOCITY,
	REFUSAL__COUNT
};

/* The whole record of one transaction; every field of SPEC §5's details. Strings are
 * NUL-terminated and empty when absent; ids and instants are 0 when absent. */
struct txn {
	int64_t id;
	int64_t brand_id;
	int64_t shop_id;
	int64_t contract_id;
	int64_t parent_id; /* a refund's debit */
	int64_t batch_id;
	int64_t batch_number; /* its batch's number (per contract), read with it; never written */
	char order_line[24];  /* "FILE:LINE" of the order file it came from, read when asked */
	enum txn_type type;
	enum txn_status status;
	enum txn_acq acq;
	enum card_method method;
	int64_t amount_initial;  /* authorized (debit) or refunded amount */
	int64_t amount_current;  /* after capture, cancellation, refunds */
	int64_t amount_refunded; /* sum of accepted refunds of this debit */
	char currency[4];
	char order_ref[TXN_ORDER_REF_MAX + 1];
	char email[TXN_EMAIL_MAX + 1];
	char card_masked[CARD_MASKED_LEN + 1];
	char card_expiry[5];  /* MMYY */
	char card_country[3]; /* ISO 3166-1 alpha-2 */
	char customer_country[3];
	char auth_number[7];
	char acquirer[33];
	char issuer[33];
	char card_type[33];
	char wallet[17];
	enum refusal refusal;
	bool capture_manual;
	bool tds; /* went through 3-D Secure */
	enum tds_auth tds_auth;
	bool tds_guaranteed;
	int64_t created_at;  /* instant, µs */
	int64_t accepted_at; /* instant, µs; 0 when refused */
	int64_t updated_at;
	int64_t bank_day; /* planned bank date (day number); 0 when none */
	bool manual;      /* entered by a user in the virtual terminal (SPEC §10) */
	char archive_ref[TXN_ARCHIVE_REF_MAX + 1];
	enum txn_origin origin;
};

/* Names as used in the API and the database ("debit", "accepted", "to_send", ...), and
 * their parsers, which return -1 for an unknown name. Names are static. */
const char *txn_type_name(enum txn_type t);
const char *txn_status_name(enum txn_status s);
const char *txn_acq_name(enum txn_acq a);
const char *txn_op_name(enum txn_op op);
const char *tds_auth_name(enum tds_auth a); /* "Y", "N", "U", "A"; "" for none */
int txn_type_parse(const char *s);
int txn_status_parse(const char *s);
int txn_acq_parse(const char *s);
int tds_auth_parse(const char *s);
/* "api", "hosted_page", "paybox_system", "paybox_direct", "manual_entry", "recurring"; and the
 * parser (-1 for an unknown name). */
const char *txn_origin_name(enum txn_origin o);
int txn_origin_parse(const char *s);

/* Machine code ("card_not_allowed") and English message of a refusal. Static. */
const char *refusal_code(enum refusal r);
const char *refusal_message(enum refusal r);
/* The first refusal of that code (REFUSAL_AMOUNT_BELOW_MIN for amount_out_of_range), or -1. */
int refusal_parse(const char *code);

/* Why an operation is not allowed: a machine code for clients, stable across versions. */
enum op_denial {
	DENY_NONE = 0,
	DENY_NOT_ACCEPTED,    /* the transaction was refused, pending or abandoned */
	DENY_WRONG_TYPE,      /* not a debit (refund, cancellation) */
	DENY_WRONG_STATE,     /* the acquirer status does not allow it (SPEC §6 table) */
	DENY_TOO_LATE,        /* more than 75 days after acceptance */
	DENY_AMOUNT_INVALID,  /* zero, negative or over the limit */
	DENY_AMOUNT_TOO_HIGH, /* above the authorized amount, or refunds above the debit */
	DENY_NO_CARD,         /* block card: no card on this transaction */
	DENY_CARD_ERASED,     /* block card: its card data ended with the retention (SPEC §14) */
	DENY__COUNT
};
const char *op_denial_code(enum op_denial d);
const char *op_denial_message(enum op_denial d);

/* Decides whether op may be applied to t at instant now_us with amount (minor units; for
 * capture and refund; ignored otherwise). Returns DENY_NONE or why not. SPEC §6:
 *  - capture: accepted debit, acquirer status awaiting capture, 1 <= amount <= authorized;
 *  - cancel: accepted debit, to send;
 *  - refund: accepted debit, sent, amount <= current amount (debit minus earlier refunds);
 *  - send: accepted debit or refund, to send;
 *  - block card: any transaction with a card.
 * Capture, cancel and refund also need the business day of now_us to be at most 75 days
 * after the business day of acceptance (day 75 allowed, day 76 refused). */
enum op_denial txn_op_check(enum txn_op op, const struct txn *t, int64_t amount, int64_t now_us);

/* Whether sending t to the bank at now_us brings it forward: its bank day is still to come
 * (a deferred capture). One due today already goes with today's batch: sending it is allowed
 * (SPEC §6) but changes nothing, so it is not offered and leaves no history line. */
bool txn_send_brings_forward(const struct txn *t, int64_t now_us);

/* Applies an allowed op (txn_op_check returned DENY_NONE) to t at now_us:
 *  - capture: acquirer status to send, current amount = amount, bank day = today;
 *  - cancel: type cancellation, current amount 0;
 *  - refund: t's current amount and refunded sum move by amount; *refund (not NULL) is filled
 *    as the new refund transaction: type refund, accepted, to send, amount, dated now_us,
 *    parent t, same brand, shop, contract, method, currency, order reference and card
 *    fields; bank day today; its id is left 0 for the store to assign;
 *  - send: bank day = today (the next settlement takes it);
 *  - block card: no change to t.
 * t->updated_at = now_us. */
void txn_op_apply(enum txn_op op, struct txn *t, int64_t amount, int64_t now_us,
                  struct txn *refund);

/* The bank date (day number) of a debit captured at now_us (SPEC §4, capture "auto"): the
 * Europe/Paris business day of now_us plus the deferral days, the payment's own
 * (override_days, 0 to TXN_DEFERRAL_MAX) or, when it has none (-1), its contract's (contract_days). */
#define TXN_DEFERRAL_MAX 30 /* days a payment may ask its bank date to wait */
int64_t txn_bank_day(int64_t now_us, int contract_days, int override_days);

/* Whether a payment pending since asked_us (its authorization request) is abandoned at
 * now_us: its issuer has not answered for TXN_PENDING_DAYS days (that instant included). */
bool txn_pending_abandoned(int64_t asked_us, int64_t now_us);

/* Dashboard counting rule (Vision manual §4.1.1): accepted debits and refunds that are sent
 * or to send count; everything else does not. */
bool txn_counts(enum txn_type type, enum txn_status status, enum txn_acq acq);

/* The amount t went to the bank with: a debit is refunded only once sent, and each refund
 * lowers its current amount, so it was sent with its current and refunded amounts together. */
int64_t txn_amount_sent(const struct txn *t);

/* 3-D Secure guarantee (Vision manual §4.1.4): a payment authenticated Y or A by a scheme
 * that shifts liability (CB, VISA, MASTERCARD, E-BLEUE) is guaranteed; AMEX, JCB and PayPal
 * are outside the programme ("N/A"). */
enum tds_guarantee { TDS_GUAR_NA = 0, TDS_GUAR_NO, TDS_GUAR_YES };
enum tds_guarantee tds_guarantee_of(enum card_method m, bool tds, enum tds_auth auth);

/* The 3-D Secure view of a transaction at now_us: "yes", "no", or "yes_expired" when the
 * guarantee is more than 7 days old (day 7 still "yes"). */
const char *tds_view(bool tds, bool guaranteed, int64_t accepted_at, int64_t now_us);

/* The decision that precedes the acquirer (SPEC §4): contract state, currency, min/max
 * (an amount equal to a bound passes), blocklist, card expiry on the business day of now_us.
 * Returns REFUSAL_NONE when the acquirer should be asked. */
struct precheck {
	int64_t amount;
	const char *currency;
	bool contract_active;
	const char *contract_currency;
	int64_t amount_min;
	int64_t amount_max;
	bool card_blocked;
	int expiry_month;
	int expiry_year;
	int64_t now_us;
};
enum refusal txn_precheck(const struct precheck *p);

#endif
