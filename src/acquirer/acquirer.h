/*
 * acquirer.h - the connector to the bank that decides authorizations (SPEC §1, §4).
 *
 * A connector is a table of operations; the built-in simulator is the only one today. It
 * runs on the writer thread, so a connector must answer in microseconds: a real network
 * acquirer will need its own thread and a two-step decision.
 */
#ifndef GUICHET_ACQUIRER_H
#define GUICHET_ACQUIRER_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/txn.h"

struct acq_request {
	const char *digits; /* the card number, lent, wiped by the caller */
	enum card_method method;
	int64_t amount;
	const char *currency;
	bool tds_enabled; /* the contract asks for 3-D Secure */
	uint64_t nonce;   /* random, from the caller: makes the authorization number */
	/* The buyer failed the issuer's 3-D Secure challenge (the hosted page's step): the
	 * authentication is N whatever the card. */
	bool tds_challenge_failed;
};

struct acq_answer {
	bool approved;
	enum refusal refusal; /* when not approved */
	char auth_number[7];
	char card_country[3];
	char issuer[33];
	char acquirer[33];
	char card_type[33];
	bool tds; /* went through 3-D Secure */
	enum tds_auth tds_auth;
};

struct acquirer_ops {
	const char *name;
	/* Decides one authorization. Never fails: an unreachable bank is a refusal. */
	void (*authorize)(const struct acq_request *rq, struct acq_answer *ans);
	/* Whether the card's issuer asks the buyer for a 3-D Secure challenge (a code) before
	 * the authorization; NULL: never. */
	bool (*tds_challenge)(const char *digits);
	/* The code the buyer must give at the challenge (a simulator knows it: README
	 * "Simulator test cards"); NULL with tds_challenge NULL. */
	bool (*tds_code_ok)(const char *code);
};

/* The simulator: the test cards of acquirer/simulator.c, every other valid card approved. */
extern const struct acquirer_ops acquirer_simulator;

/* The simulator's commission on a debit of the payment method, in basis points (1/100 %), as
 * its reconciliation journal reports it. */
int simulator_commission_bps(enum card_method m);

#endif
