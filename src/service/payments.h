/*
 * payments.h - the use cases on payments, shared by the merchant API, the back office, the
 * jobs and the command line: create (decide and record) and operate (capture, cancel, refund,
 * send, block card). They run on the writer thread, inside the caller's savepoint, against
 * the committed state: two operations on one transaction serialize here and exactly one wins.
 *
 * Not HTTP: callers parse and render.
 */
#ifndef GUICHET_PAYMENTS_H
#define GUICHET_PAYMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "acquirer/acquirer.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* Who acts: a back-office user, or nobody (user_id 0: the merchant API or a job). */
struct actor {
	int64_t user_id;
	const char *name;
	const char *login;
};

/* A payment to create, parsed and checked for form by the caller. */
struct payment_request {
	int64_t brand_id;
	int64_t shop_id;
	int64_t amount;
	char currency[4];
	char order_ref[TXN_ORDER_REF_MAX + 1];
	char email[TXN_EMAIL_MAX + 1];
	char customer_country[3];
	char digits[CARD_DIGITS_MAX + 1]; /* wiped by the caller */
	char expiry[5];                   /* MMYY */
	int expiry_month, expiry_year;
	enum card_method method; /* detected from the number, or the virtual terminal's choice */
	bool capture_manual;
	int deferral_days; /* -1: the contract's */
	/* The virtual terminal (SPEC §10): entered by hand, its archive reference, and who
	 * entered it (the creation's history names them); NULL: the merchant API. */
	bool manual;
	char archive_ref[TXN_ARCHIVE_REF_MAX + 1];
	const struct actor *who;
	/* Where it came from (issue 12); manual entries are ORIGIN_MANUAL whatever is set. */
	enum txn_origin origin;
	/* The buyer failed the 3-D Secure challenge of the hosted page. */
	bool tds_challenge_failed;
	/* The channel can tell a late answer (acq_request.may_pend): an issuer that confirms
	 * later leaves the payment Pending, Awaiting confirmation, until the confirmation job
	 * (jobs/confirm.c) has its answer, told then to late_url (NULL: the shop's notification
	 * URL) in Guichet's format, or in Paybox System's when late_retour (PBX_RETOUR's spec)
	 * is given, GET or POST as late_post says. */
	bool may_pend;
	const char *late_url;
	const char *late_retour;
	bool late_post;
};

/* The payments the metrics count (api/metrics.c), in the store's counts tied to a transaction
 * (store.h, store_tally): a payment recorded by payment_create, by its status then (accepted,
 * refused or pending: TXS_ACCEPTED to TXS_PENDING) and its origin; a pending payment's end, by
 * its status then (accepted, refused, or abandoned), by payment_confirm or payment_abandon.
 * A count is the process's once the transaction that recorded the payment committed. */
#define PAYMENT_TALLY_DECIDED(status, origin)                                                      \
	(ORIGIN__COUNT * (unsigned)(status) + (unsigned)(origin))
#define PAYMENT_TALLY_ENDED(status) (3u * ORIGIN__COUNT + (unsigned)(status))
_Static_assert(PAYMENT_TALLY_ENDED(TXS_ABANDONED) < STORE_TALLY_SLOTS,
               "the payments' counts fit the store's slots");

/* The shop's active contract that takes a card of method: its own scheme's, else CB for a
 * co-badged VISA or MASTERCARD card. ST_NOTFOUND when none. */
int payment_contract(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method method,
                     struct contract *c) WUR;

/* Decides and records a payment at now_us: contract of the card's method (a co-badged VISA
 * or MASTERCARD card falls back to the shop's CB contract), blocklist, contract rules, then
 * the acquirer. A refusal is recorded too, with its reason; an issuer that answers later
 * (rq->may_pend), pending with its row for the confirmation job. *out receives the record.
 * Returns ST_OK (accepted, refused or pending: see out->status), ST_REFUSED with *why
 * "no_contract" when the shop takes no such card (nothing recorded), or ST_STORE. */
int payment_create(struct store *st, const struct crypto_keys *keys, const struct acquirer_ops *acq,
                   const struct payment_request *rq, int64_t now_us, struct txn *out,
                   const char **why) WUR;

/* The issuer's answer ans (approved or refused) to the pending payment p at now_us: the
 * transaction accepted (awaiting capture or to send, its bank day from p's deferral) or
 * refused with the issuer's reason, its history ("confirmation"), and p's row gone. *out
 * receives the transaction. ST_OK; ST_CONFLICT when the transaction is no longer pending,
 * or no longer there (the row goes all the same); ST_STORE. */
int payment_confirm(struct store *st, const struct pending_auth *p, const struct acq_answer *ans,
                    int64_t now_us, struct txn *out) WUR;

/* The pending payment p abandoned at now_us: the issuer never answered within
 * TXN_PENDING_DAYS. Status Abandoned, acquirer status N/A, history "abandonment", p's row
 * gone. Returns as payment_confirm. */
int payment_abandon(struct store *st, const struct pending_auth *p, int64_t now_us,
                    struct txn *out) WUR;

/* Applies op to transaction id of the brand (and of shop_id when not 0) at now_us, with amount
 * for capture and refund (0: the whole authorized / remaining amount). Records history; a
 * refund also creates its transaction (*refund, when not NULL). *out receives the transaction
 * after the operation. Returns ST_OK; ST_NOTFOUND; ST_CONFLICT when the transaction's state
 * does not allow op (*why: op_denial_code); ST_REFUSED for amount or time limits (*why
 * likewise); ST_STORE. */
int payment_operate(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id, enum txn_op op,
                    int64_t amount, const struct actor *who, int64_t now_us, struct txn *out,
                    struct txn *refund, const char **why) WUR;

/* Blocks the card of transaction id (of shop_id when not 0) at its shop, as payment_operate's
 * OP_BLOCK_CARD, with a reason (NULL: none) and an end (expires_at, 0: until removed). A card
 * already blocked at the shop stays as it was. Returns as payment_operate. */
int payment_block_card(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id,
                       const char *reason, int64_t expires_at, const struct actor *who,
                       int64_t now_us, struct txn *out, const char **why) WUR;

#endif
