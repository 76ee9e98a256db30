/*
 * simulator.c - the built-in acquirer: decides authorizations from documented test cards
 * (README "Simulator test cards"), so integrators and tests can reach every outcome.
 *
 * Not a bank: it moves no money and keeps no state. A pending authorization's reference
 * carries what the issuer will answer (sim_confirm reads it back).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acquirer/acquirer.h"

struct test_card {
	const char *number;
	enum refusal refusal; /* REFUSAL_NONE: approved */
	enum tds_auth tds;    /* 3-D Secure result when the contract asks for it */
	const char *country;
	const char *issuer;
	const char *card_type;
	/* The issuer answers later (SIM_LATE_*): 0, at once. */
	char late;
};

/* A card whose issuer confirms later: accepted, refused "do not honor", or never (the
 * payment is abandoned: jobs/confirm.c). The issuer answers SIM_CONFIRM_AFTER_S after the
 * request, and to a channel that cannot wait (acq_request.may_pend false) at once. */
#define SIM_LATE_ACCEPT     'A'
#define SIM_LATE_REFUSE     'R'
#define SIM_LATE_NEVER      'N'
#define SIM_CONFIRM_AFTER_S 60
#define SIM_NEVER_ASK_S     3600

/* SPEC §16 fixes the first three; the others reach each documented outcome. */
static const struct test_card test_cards[] = {
        {"4111111111111111", REFUSAL_NONE, TDS_Y, "US", "Simulated Issuer US", "VISA CREDIT", 0},
        {"5555555555554444", REFUSAL_NONE, TDS_Y, "US", "Simulated Issuer US", "MASTERCARD CREDIT",
         0},
        {"4000000000000002", REFUSAL_DECLINED, TDS_Y, "US", "Simulated Issuer US", "VISA CREDIT",
         0},
        {"4000000000009995", REFUSAL_INSUFFICIENT_FUNDS, TDS_Y, "US", "Simulated Issuer US",
         "VISA DEBIT", 0},
        {"4000000000000069", REFUSAL_CARD_EXPIRED, TDS_Y, "US", "Simulated Issuer US",
         "VISA CREDIT", 0},
        {"4000000000003220", REFUSAL_NONE, TDS_Y, "FR", "Banque Simulée", "CB VISA", 0},
        {"4000000000003063", REFUSAL_NONE, TDS_N, "FR", "Banque Simulée", "CB VISA", 0},
        {"4000000000003089", REFUSAL_NONE, TDS_U, "FR", "Banque Simulée", "CB VISA", 0},
        {"4000000000003071", REFUSAL_NONE, TDS_A, "FR", "Banque Simulée", "CB VISA", 0},
        {"4970100000000006", REFUSAL_NONE, TDS_Y, "FR", "Banque Simulée", "CB VISA", 0},
        {"5131000000000001", REFUSAL_NONE, TDS_Y, "FR", "Banque Simulée", "CB MASTERCARD", 0},
        {"378282246310005", REFUSAL_NONE, TDS_Y, "US", "Simulated Amex", "AMEX", 0},
        {"3530111333300000", REFUSAL_NONE, TDS_Y, "JP", "Simulated JCB", "JCB", 0},
        {"4000000000001091", REFUSAL_NONE, TDS_Y, "FR", "Banque Simulée", "CB VISA",
         SIM_LATE_ACCEPT},
        {"4000000000001190", REFUSAL_DECLINED, TDS_Y, "FR", "Banque Simulée", "CB VISA",
         SIM_LATE_REFUSE},
        {"4000000000001299", REFUSAL_NONE, TDS_Y, "FR", "Banque Simulée", "CB VISA",
         SIM_LATE_NEVER},
};

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

/* The issuer's answer in ans->refusal: approved with a 6-digit authorization number made
 * from the request's nonce, or not. */
static void
decided(struct acq_answer *ans, uint64_t nonce)
{
	uint64_t h = nonce * 0x9E3779B97F4A7C15ULL;

	ans->approved = ans->refusal == REFUSAL_NONE;
	if (ans->approved)
		snprintf(ans->auth_number, sizeof(ans->auth_number), "%06u",
		         (unsigned)((h >> 32) % 1000000));
}

static void
sim_authorize(const struct acq_request *rq, struct acq_answer *ans)
{
	const struct test_card *tc = NULL;
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
	if (tc != NULL && tc->late && rq->may_pend) {
		ans->pending = true;
		snprintf(ans->ref, sizeof(ans->ref), "sim-%c-%016" PRIx64, tc->late, rq->nonce);
		ans->ask_after_s =
		        tc->late == SIM_LATE_NEVER ? SIM_NEVER_ASK_S : SIM_CONFIRM_AFTER_S;
		return;
	}
	ans->refusal = tc ? tc->refusal : REFUSAL_NONE;
	decided(ans, rq->nonce);
}

/* ref is "sim-" then the answer's letter, '-', the request's nonce in 16 hex digits. */
static bool
sim_confirm(const char *ref, int64_t asked_us, int64_t now_us, struct acq_answer *ans)
{
	char late = strlen(ref) == 22 && strncmp(ref, "sim-", 4) == 0 ? ref[4] : 0;
	memset(ans, 0, sizeof(*ans));
	if (late == SIM_LATE_NEVER || (late != SIM_LATE_ACCEPT && late != SIM_LATE_REFUSE)) {
		ans->ask_after_s = SIM_NEVER_ASK_S;
		return false;
	}
	if (now_us - asked_us < SIM_CONFIRM_AFTER_S * 1000000LL) {
		ans->ask_after_s = SIM_CONFIRM_AFTER_S - (now_us - asked_us) / 1000000;
		return false;
	}
	ans->refusal = late == SIM_LATE_ACCEPT ? REFUSAL_NONE : REFUSAL_DECLINED;
	decided(ans, strtoull(ref + 6, NULL, 16));
	return true;
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
        .confirm = sim_confirm,
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
