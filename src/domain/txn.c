/*
 * txn.c - names of a transaction's states, and the rules of every operation (txn.h).
 */
#include <stdio.h>
#include <string.h>

#include "domain/calendar.h"
#include "domain/txn.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const type_names[] = {"debit", "refund", "cancellation"};
static const char *const status_names[] = {"accepted", "refused", "pending", "abandoned"};
static const char *const acq_names[] = {
        "awaiting_capture", "awaiting_confirmation", "to_send", "sent", "discarded", "na"};
static const char *const op_names[] = {"capture", "cancel", "refund", "send", "block_card"};
static const char *const tds_names[] = {"", "Y", "N", "U", "A"};

static const char *
name_of(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "";
}

static int
parse_of(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (names[i][0] != '\0' && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

const char *
txn_type_name(enum txn_type t)
{
	return name_of(type_names, N(type_names), (int)t);
}

const char *
txn_status_name(enum txn_status s)
{
	return name_of(status_names, N(status_names), (int)s);
}

const char *
txn_acq_name(enum txn_acq a)
{
	return name_of(acq_names, N(acq_names), (int)a);
}

const char *
txn_op_name(enum txn_op op)
{
	return name_of(op_names, N(op_names), (int)op);
}

const char *
tds_auth_name(enum tds_auth a)
{
	return name_of(tds_names, N(tds_names), (int)a);
}

int
txn_type_parse(const char *s)
{
	return parse_of(type_names, N(type_names), s);
}

int
txn_status_parse(const char *s)
{
	return parse_of(status_names, N(status_names), s);
}

int
txn_acq_parse(const char *s)
{
	return parse_of(acq_names, N(acq_names), s);
}

int
tds_auth_parse(const char *s)
{
	return parse_of(tds_names, N(tds_names), s);
}

static const struct {
	const char *code;
	const char *message;
} refusals[REFUSAL__COUNT] = {
        [REFUSAL_NONE] = {"", ""},
        [REFUSAL_AMOUNT_BELOW_MIN] = {"amount_out_of_range", "Amount below the contract's minimum"},
        [REFUSAL_AMOUNT_ABOVE_MAX] = {"amount_out_of_range", "Amount above the contract's maximum"},
        [REFUSAL_CURRENCY] = {"currency_not_accepted", "Currency not accepted by the contract"},
        [REFUSAL_CONTRACT_INACTIVE] = {"contract_inactive", "The contract is inactive"},
        [REFUSAL_CARD_NOT_ALLOWED] = {"card_not_allowed", "Card not allowed"},
        [REFUSAL_CARD_EXPIRED] = {"card_expired", "Card expired"},
        [REFUSAL_DECLINED] = {"acquirer_refused", "Refused by the card issuer"},
        [REFUSAL_INSUFFICIENT_FUNDS] = {"insufficient_funds", "Insufficient funds"},
        [REFUSAL_3DS_FAILED] = {"3ds_failed", "3-D Secure authentication failed"},
        [REFUSAL_AMOUNT_ABOVE_LIMIT] = {"amount_above_limit",
                                        "Amount above the contract's fraud filter limit"},
        [REFUSAL_CARD_COUNTRY_BLOCKED] = {"card_country_blocked",
                                          "Cards of this country are not accepted"},
        [REFUSAL_CUSTOMER_COUNTRY_BLOCKED] = {"customer_country_blocked",
                                              "Customers of this country are not accepted"},
        [REFUSAL_COUNTRY_MISMATCH] = {"country_mismatch",
                                      "The card's country differs from the customer's"},
        [REFUSAL_CARD_VELOCITY] = {"card_velocity", "Too many payments with this card today"},
};

const char *
refusal_code(enum refusal r)
{
	return (unsigned)r < REFUSAL__COUNT ? refusals[r].code : "";
}

const char *
refusal_message(enum refusal r)
{
	return (unsigned)r < REFUSAL__COUNT ? refusals[r].message : "";
}

int
refusal_parse(const char *code)
{
	for (int r = REFUSAL_NONE + 1; code != NULL && r < REFUSAL__COUNT; r++)
		if (strcmp(refusals[r].code, code) == 0)
			return r;
	return -1;
}

static const struct {
	const char *code;
	const char *message;
} denials[DENY__COUNT] = {
        [DENY_NONE] = {"", ""},
        [DENY_NOT_ACCEPTED] = {"not_accepted",
                               "Only an accepted transaction can take this operation."},
        [DENY_WRONG_TYPE] = {"wrong_type", "Only a debit can take this operation."},
        [DENY_WRONG_STATE] = {"wrong_state",
                              "The transaction's acquirer status does not allow this operation."},
        [DENY_TOO_LATE] = {"too_late",
                           "More than 75 days have passed since the transaction was accepted."},
        [DENY_AMOUNT_INVALID] = {"amount_invalid",
                                 "The amount must be a positive count of minor units."},
        [DENY_AMOUNT_TOO_HIGH] = {"amount_too_high",
                                  "The amount is above what this transaction allows."},
        [DENY_NO_CARD] = {"no_card", "This transaction has no card to block."},
        [DENY_CARD_ERASED] = {"card_erased",
                              "This transaction's card data was erased at the end of the "
                              "account's retention period: its card can no longer be blocked "
                              "from it."},
};

const char *
op_denial_code(enum op_denial d)
{
	return (unsigned)d < DENY__COUNT ? denials[d].code : "";
}

const char *
op_denial_message(enum op_denial d)
{
	return (unsigned)d < DENY__COUNT ? denials[d].message : "";
}

/* The acquirer status each operation needs (SPEC §6). */
static bool
state_allows(enum txn_op op, enum txn_acq acq)
{
	switch (op) {
	case OP_CAPTURE:
		return acq == ACQ_AWAITING_CAPTURE;
	case OP_CANCEL:
		return acq == ACQ_TO_SEND;
	case OP_REFUND:
		return acq == ACQ_SENT;
	case OP_SEND:
		return acq == ACQ_TO_SEND;
	case OP_BLOCK_CARD:
		return true;
	}
	return false;
}

enum op_denial
txn_op_check(enum txn_op op, const struct txn *t, int64_t amount, int64_t now_us)
{
	if (op == OP_BLOCK_CARD)
		return t->card_masked[0] != '\0' ? DENY_NONE : DENY_NO_CARD;
	if (t->status != TXS_ACCEPTED)
		return DENY_NOT_ACCEPTED;
	/* Send takes refunds too: they go to the bank like debits. */
	if (t->type != TXN_DEBIT && !(op == OP_SEND && t->type == TXN_REFUND))
		return DENY_WRONG_TYPE;
	if (!state_allows(op, t->acq))
		return DENY_WRONG_STATE;
	if ((op == OP_CAPTURE || op == OP_CANCEL || op == OP_REFUND) &&
	    cal_business_day(now_us) - cal_business_day(t->accepted_at) > TXN_OP_DAYS_MAX)
		return DENY_TOO_LATE;
	if (op == OP_CAPTURE || op == OP_REFUND) {
		if (amount < 1)
			return DENY_AMOUNT_INVALID;
		if (amount > (op == OP_CAPTURE ? t->amount_initial : t->amount_current))
			return DENY_AMOUNT_TOO_HIGH;
	}
	return DENY_NONE;
}

void
txn_op_apply(enum txn_op op, struct txn *t, int64_t amount, int64_t now_us, struct txn *refund)
{
	int64_t today = cal_business_day(now_us);

	switch (op) {
	case OP_CAPTURE:
		t->acq = ACQ_TO_SEND;
		t->amount_current = amount;
		t->bank_day = today;
		break;
	case OP_CANCEL:
		t->type = TXN_CANCELLATION;
		t->amount_current = 0;
		break;
	case OP_REFUND:
		t->amount_current -= amount;
		t->amount_refunded += amount;
		if (refund != NULL) {
			memset(refund, 0, sizeof(*refund));
			refund->brand_id = t->brand_id;
			refund->shop_id = t->shop_id;
			refund->contract_id = t->contract_id;
			refund->parent_id = t->id;
			/* A refund belongs to the channel of the sale it refunds (issue 12). */
			refund->origin = t->origin;
			refund->type = TXN_REFUND;
			refund->status = TXS_ACCEPTED;
			refund->acq = ACQ_TO_SEND;
			refund->method = t->method;
			refund->amount_initial = refund->amount_current = amount;
			memcpy(refund->currency, t->currency, sizeof(refund->currency));
			memcpy(refund->order_ref, t->order_ref, sizeof(refund->order_ref));
			memcpy(refund->email, t->email, sizeof(refund->email));
			memcpy(refund->card_masked, t->card_masked, sizeof(refund->card_masked));
			memcpy(refund->card_expiry, t->card_expiry, sizeof(refund->card_expiry));
			memcpy(refund->card_country, t->card_country, sizeof(refund->card_country));
			memcpy(refund->customer_country, t->customer_country,
			       sizeof(refund->customer_country));
			memcpy(refund->acquirer, t->acquirer, sizeof(refund->acquirer));
			memcpy(refund->issuer, t->issuer, sizeof(refund->issuer));
			memcpy(refund->card_type, t->card_type, sizeof(refund->card_type));
			memcpy(refund->wallet, t->wallet, sizeof(refund->wallet));
			refund->created_at = refund->accepted_at = refund->updated_at = now_us;
			refund->bank_day = today;
		}
		break;
	case OP_SEND:
		t->bank_day = today;
		break;
	case OP_BLOCK_CARD:
		break;
	}
	t->updated_at = now_us;
}

bool
txn_send_brings_forward(const struct txn *t, int64_t now_us)
{
	return t->bank_day > cal_business_day(now_us);
}

int64_t
txn_bank_day(int64_t now_us, int contract_days, int override_days)
{
	return cal_business_day(now_us) + (override_days >= 0 ? override_days : contract_days);
}

bool
txn_pending_abandoned(int64_t asked_us, int64_t now_us)
{
	return now_us - asked_us >= (int64_t)TXN_PENDING_DAYS * CAL_US_PER_DAY;
}

bool
txn_counts(enum txn_type type, enum txn_status status, enum txn_acq acq)
{
	return status == TXS_ACCEPTED && (type == TXN_DEBIT || type == TXN_REFUND) &&
	       (acq == ACQ_SENT || acq == ACQ_TO_SEND);
}

enum tds_guarantee
tds_guarantee_of(enum card_method m, bool tds, enum tds_auth auth)
{
	if (m != METHOD_CB && m != METHOD_VISA && m != METHOD_MASTERCARD && m != METHOD_EBLEUE)
		return TDS_GUAR_NA;
	if (!tds)
		return TDS_GUAR_NA;
	return auth == TDS_Y || auth == TDS_A ? TDS_GUAR_YES : TDS_GUAR_NO;
}

const char *
tds_view(bool tds, bool guaranteed, int64_t accepted_at, int64_t now_us)
{
	if (!tds)
		return "no";
	if (guaranteed && now_us - accepted_at > TXN_3DS_GUARANTEE_DAYS * CAL_US_PER_DAY)
		return "yes_expired";
	return "yes";
}

enum refusal
txn_precheck(const struct precheck *p)
{
	int y, m, d;

	if (!p->contract_active)
		return REFUSAL_CONTRACT_INACTIVE;
	if (strcmp(p->currency, p->contract_currency) != 0)
		return REFUSAL_CURRENCY;
	if (p->amount < p->amount_min)
		return REFUSAL_AMOUNT_BELOW_MIN;
	if (p->amount > p->amount_max)
		return REFUSAL_AMOUNT_ABOVE_MAX;
	if (p->card_blocked)
		return REFUSAL_CARD_NOT_ALLOWED;
	cal_civil_from_days(cal_business_day(p->now_us), &y, &m, &d);
	if (card_expired(p->expiry_month, p->expiry_year, y, m))
		return REFUSAL_CARD_EXPIRED;
	return REFUSAL_NONE;
}

static const char *const origin_names[ORIGIN__COUNT] = {
        "api", "hosted_page", "paybox_system", "paybox_direct", "manual_entry", "recurring",
};

const char *
txn_origin_name(enum txn_origin o)
{
	return (unsigned)o < ORIGIN__COUNT ? origin_names[o] : "api";
}

int
txn_origin_parse(const char *s)
{
	for (int i = 0; i < ORIGIN__COUNT; i++)
		if (strcmp(s, origin_names[i]) == 0)
			return i;
	return -1;
}

int64_t
txn_amount_sent(const struct txn *t)
{
	return t->amount_current + (t->type == TXN_DEBIT ? t->amount_refunded : 0);
}
