/*
 * acquirer.h - the connector to the bank that decides authorizations (SPEC §1, §4).
 *
 * A connector is a table of operations; the built-in simulator is the only one today. It
 * runs on the writer thread, so a connector must answer in microseconds: a real network
 * acquirer will need its own thread. An issuer that confirms later is the two-step decision
 * the simulator plays: the authorization answers pending, the confirmation job
 * (jobs/confirm.c) asks again until the issuer answered.
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
	/* The channel can tell the buyer and the merchant a late answer (the merchant API, the
	 * hosted page): an issuer that confirms later may leave the authorization pending. False
	 * (Paybox Direct, the virtual terminal, recurring debits): the connector waits for the
	 * issuer's answer. */
	bool may_pend;
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
	/* The issuer answers later (only when the request may_pend): neither approved nor
	 * refused yet; ref names the authorization to the connector's confirm, to ask again
	 * ask_after_s seconds from now. */
	bool pending;
	char ref[TXN_ACQ_REF_MAX + 1];
	int64_t ask_after_s;
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
	/* The issuer's answer to the pending authorization ref, asked at asked_us, as of now_us:
	 * true with *ans approved or refused (auth_number, refusal) once the issuer answered;
	 * false while it has not (ask again ans->ask_after_s seconds from now). NULL: the
	 * connector never answers pending. */
	bool (*confirm)(const char *ref, int64_t asked_us, int64_t now_us, struct acq_answer *ans);
};

/* The simulator: the test cards of acquirer/simulator.c, every other valid card approved. */
extern const struct acquirer_ops acquirer_simulator;

/* The simulator's commission on a debit of the payment method, in basis points (1/100 %), as
 * its reconciliation journal reports it. */
int simulator_commission_bps(enum card_method m);

#endif
