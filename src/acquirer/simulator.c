/*
 * simulator.c - the built-in acquirer: decides authorizations from documented test cards
 * (README "Simulator test cards"), so integrators and tests can reach every outcome.
 *
 * Not a bank: it moves no money and keeps no state.
 */
#include <stdio.h>
#include <string.h>

#include "acquirer/acquirer.h"

struct test_card {
	const char *number;
	enum refusal refusal; /* REFUSAL_NONE: approved */
	enum tds_auth tds;    /* 3-D Secure result when the contract asks for it */
	const char *country;
	const char *issuer;
	const char *card_type;
};

/* SPEC §16 fixes the first three; the others reach each documented outcome. */
static const struct test_card test_cards[] = {
        {"4111111111111111", REFUSAL_NONE, TDS_Y, "US", "Simulated Issuer US", "VISA CREDIT"},
        {"5555555555554444", REFUSAL_NONE, TDS_Y, "US", "Simulated Issuer US", "MASTERCARD CREDIT"},
        {"4000000000000002", REFUSAL_DECLINED, TDS_Y, "US", "Simulated Issuer US", "VISA CREDIT"},
        {"4000000000009995", REFUSAL_INSUFFICIENT_FUNDS, TDS_Y, "US", "Simulated Issuer US",
         "VISA DEBIT"},
        {"4000000000000069", REFUSAL_CARD_EXPIRED, TDS_Y, "US", "Simulated Issuer US",
         "VISA CREDIT"},
        {"4000000000003220", REFUSAL_NONE, TDS_Y, "FR", "Banque Simulée", "CB VISA"},
        {"4000000000003063", REFUSAL_NONE, TDS_N, "FR", "Banque Simulée", "CB VISA"},
        {"4000000000003089", REFUSAL_NONE, TDS_U, "FR", "Banque Simulée", "CB VISA"},
        {"4000000000003071", REFUSAL_NONE, TDS_A, "FR", "Banque Simulée", "CB VISA"},
        {"4970100000000006", REFUSAL_NONE, TDS_Y, "FR", "Banque Simulée", "CB VISA"},
        {"5131000000000001", REFUSAL_NONE, TDS_Y, "FR", "Banque Simulée", "CB MASTERCARD"},
        {"378282246310005", REFUSAL_NONE, TDS_Y, "US", "Simulated Amex", "AMEX"},
        {"3530111333300000", REFUSAL_NONE, TDS_Y, "JP", "Simulated JCB", "JCB"},
};

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static void
sim_authorize(const struct acq_request *rq, struct acq_answer *ans)
{
	const struct test_card *tc = NULL;
	uint64_t h;

	memset(ans, 0, sizeof(*ans));
	for (size_t i = 0; i < sizeof(test_cards) / sizeof(test_cards[0]); i++) {
		if (strcmp(test_cards[i].number, rq->digits) == 0) {
			tc = &test_cards[i];
			break;
		}
	}
	copy(ans->acquirer, sizeof(ans->acquirer), "Guichet Simulator");
	copy(ans->card_country, sizeof(ans->card_country), tc ? tc->country : "FR");
	copy(ans->issuer, sizeof(ans->issuer), tc ? tc->issuer : "Banque Simulée");
	copy(ans->card_type, sizeof(ans->card_type),
	     tc ? tc->card_type : card_method_name(rq->method));

	/* 3-D Secure runs before the authorization, and only where the scheme takes part. */
	if (rq->tds_enabled && rq->method != METHOD_AMEX && rq->method != METHOD_JCB) {
		ans->tds = true;
		ans->tds_auth = rq->tds_challenge_failed ? TDS_N : tc ? tc->tds : TDS_Y;
		if (ans->tds_auth == TDS_N) {
			ans->refusal = REFUSAL_3DS_FAILED;
			return;
		}
	}
	ans->refusal = tc ? tc->refusal : REFUSAL_NONE;
	ans->approved = ans->refusal == REFUSAL_NONE;
	if (ans->approved) {
		/* A 6-digit authorization number. */
		h = rq->nonce * 0x9E3779B97F4A7C15ULL;
		snprintf(ans->auth_number, sizeof(ans->auth_number), "%06u",
		         (unsigned)((h >> 32) % 1000000));
	}
}

/* The French 3-D Secure test cards (the 40000000000030xx and 3220 series) are the ones whose
 * issuer challenges the buyer on the hosted page; the code is SIM_TDS_CODE. */
#define SIM_TDS_CODE "1234"

static bool
sim_tds_challenge(const char *digits)
{
	return strcmp(digits, "4000000000003220") == 0 || strcmp(digits, "4000000000003063") == 0 ||
	       strcmp(digits, "4000000000003089") == 0 || strcmp(digits, "4000000000003071") == 0;
}

static bool
sim_tds_code_ok(const char *code)
{
	return strcmp(code, SIM_TDS_CODE) == 0;
}

const struct acquirer_ops acquirer_simulator = {
        .name = "simulator",
        .authorize = sim_authorize,
        .tds_challenge = sim_tds_challenge,
        .tds_code_ok = sim_tds_code_ok,
};

int
simulator_commission_bps(enum card_method m)
{
	/* Typical French acquiring rates: domestic debit cards cheapest, AMEX dearest. */
	switch (m) {
	case METHOD_CB:
		return 40;
	case METHOD_VISA:
	case METHOD_MASTERCARD:
		return 90;
	case METHOD_AMEX:
		return 250;
	case METHOD_PAYPAL:
		return 290;
	default:
		return 100;
	}
}
