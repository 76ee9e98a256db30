/*
 * risk.h - the merchant's own risk rules (SPEC §4, §11, §16.1; Vision manual §9.2.1 "Filtres
 * antifraude", §9.3 "Blocage carte"): what a blocklist entry may hold, the ISO 3166 countries,
 * and the fraud filters of a contract in the order the decision applies them.
 *
 * Not the look-ups (store), nor the card's country (bins.h), nor the contract's own rules
 * (txn_precheck): the decision of service/payments.c puts them together, in the order
 * README "Risk" documents.
 */
#ifndef GUICHET_RISK_H
#define GUICHET_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/txn.h"

/* What a blocklist entry blocks. The values are stored. */
enum block_kind { BLOCK_CARD = 1, BLOCK_BIN, BLOCK_EMAIL, BLOCK_COUNTRY };

#define BLOCK_REASON_MAX 200 /* bytes of an entry's reason */
#define BLOCK_VALUE_MAX  254 /* bytes of an entry's shown value (an e-mail at most) */

/* "card", "bin", "email", "country"; block_kind_parse: -1 when none. */
const char *block_kind_name(enum block_kind k);
int block_kind_parse(const char *s);

/* Checks the value of an entry of kind k as typed, and writes its normal form into out (cap
 * bytes): a card number's digits (spaces and dashes dropped; 12 to 19 digits, Luhn), a BIN's
 * 6 or 8 digits, an e-mail in small letters (one @, no space or control, ≤ 254 bytes), a
 * country's two capitals (ISO 3166-1 alpha-2, an assigned code). false: not valid, out "". */
bool block_value_norm(enum block_kind k, const char *in, char *out, size_t cap);

/* An assigned ISO 3166-1 alpha-2 code, in capitals. */
bool country_valid(const char *cc);
/* The ISO 3166-1 alpha-3 code of the alpha-2 cc ("FR" → "FRA"), or "" for none. Static. */
const char *country_alpha3(const char *cc);
/* The assigned codes, in order: i from 0 to country_count() - 1. */
int country_count(void);
const char *country_at(int i);

/* A contract's fraud filters. Off: max_amount and max_per_card_day 0, lists "". */
#define RISK_COUNTRIES_MAX    64 /* countries in one list */
#define RISK_COUNTRY_LIST_MAX (RISK_COUNTRIES_MAX * 3)
struct fraud_filters {
	int64_t max_amount; /* minor units of the contract's currency; a payment above is refused */
	int max_per_card_day; /* payments of one card a Paris day on the contract; more refused */
	char card_countries[RISK_COUNTRY_LIST_MAX + 1];     /* "KP,RU": sorted, distinct */
	char customer_countries[RISK_COUNTRY_LIST_MAX + 1]; /* likewise */
	bool country_mismatch; /* refuse a card of another country than the customer's */
	int64_t version;       /* counts the changes: a change names the version it read */
};

#define RISK_MAX_PER_CARD_DAY 1000 /* the highest max_per_card_day */
#define RISK_MAX_AMOUNT       99999999999LL

/* Adds the country cc to the list (sorted, distinct). false: not a country, or the list full. */
bool country_list_add(char list[RISK_COUNTRY_LIST_MAX + 1], const char *cc);
/* Whether the list holds cc ("" never). */
bool country_list_has(const char *list, const char *cc);

/* What the filters judge of a payment. A country "" is unknown: no list holds it, and the
 * mismatch filter does not judge a payment one of whose countries is unknown. */
struct risk_facts {
	int64_t amount;
	const char *card_country;
	const char *customer_country;
	int card_payments_today; /* earlier payments of the card today on the contract; read only
	                            when risk_counts_payments */
};

/* Whether the filters need the card's payments of the day (the velocity filter is on). */
bool risk_counts_payments(const struct fraud_filters *f);

/* The filters in their order: maximum amount (amount_above_limit; equal passes), card country
 * (card_country_blocked), customer country (customer_country_blocked), mismatch
 * (country_mismatch), payments of the card today (card_velocity: the max-th passes, the next
 * is refused). REFUSAL_NONE when every filter lets the payment through. */
enum refusal risk_check(const struct fraud_filters *f, const struct risk_facts *x);

#endif
