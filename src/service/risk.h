/*
 * risk.h - the merchant's risk rules in the payment decision (SPEC §4, §11; README "Risk"):
 * the blocklist's keys and look-up, and the contract's fraud filters with the card's payments
 * of the day. Run by payment_create on the writer, inside its savepoint, so a blocklist
 * change committed before the payment's transaction began is seen, and one committed after
 * is not: each payment is judged against one state of the list, never half of a change.
 */
#ifndef GUICHET_SERVICE_RISK_H
#define GUICHET_SERVICE_RISK_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/crypto.h"
#include "store/store.h"

/* The key of a blocklist entry of kind k (block_key's byte, then the card's fingerprint or the
 * value) into out (BLOCK_KEY_MAX bytes); its length. norm: the value's normal form
 * (block_value_norm); for a card, fp is used instead when not NULL (the number is not known
 * then, only its fingerprint). */
size_t risk_block_key(const struct crypto_keys *keys, enum block_kind k, const char *norm,
                      const unsigned char fp[CRYPTO_FP_LEN], unsigned char *out);

/* What the decision knows of a payment. */
struct risk_payment {
	int64_t brand_id;
	int64_t shop_id;
	const char *digits;
	const unsigned char *fp; /* the card's fingerprint */
	const char *email;
	const char *customer_country;
	const char *card_country; /* from the BIN table ("" unknown) */
	int64_t amount;
	int64_t now_us;
};

/* Whether a live entry of the blocklist at the shop's node or above holds the card, its BIN
 * (6 or 8 digits), the e-mail or the customer's country. */
int risk_blocked(struct store *st, const struct crypto_keys *keys, const struct risk_payment *p,
                 bool *blocked) WUR;

/* The contract's fraud filters on the payment (domain/risk.h's order), counting the card's
 * earlier payments of the day only when the velocity filter is on. *out: REFUSAL_NONE or the
 * filter's refusal. */
int risk_filter(struct store *st, const struct contract *c, const struct risk_payment *p,
                enum refusal *out) WUR;

#endif
