/*
 * confirm.h - the confirmation job: the pending payments' issuers asked again (README
 * "Pending payments"). A card whose issuer confirms later leaves its payment Pending,
 * Awaiting confirmation (service/payments.c), with a txn_pending row saying when to ask the
 * acquirer again; this job's rounds take the due rows on the writer, ask the connector
 * (acquirer_ops.confirm), and decide each payment the issuer answered (accepted: to send or
 * awaiting capture; refused: its reason), in the transaction that tells the merchant's server
 * (service/notify.h notify_pending_answer). An issuer that has not answered within
 * TXN_PENDING_DAYS leaves the payment Abandoned.
 *
 * A round when the server starts, then one every CONFIRM_EVERY_S: a server stopped
 * meanwhile asks at its start what came due.
 */
#ifndef GUICHET_CONFIRM_H
#define GUICHET_CONFIRM_H

#include "acquirer/acquirer.h"
#include "common/status.h"
#include "crypto/crypto.h"
#include "work/periodic.h"

#define CONFIRM_EVERY_S 10
#define CONFIRM_BATCH   100 /* payments asked in one round; a full round goes on soon */

/* What the rounds need; must outlive them. */
struct confirm_config {
	const struct crypto_keys *keys; /* the shops' keys, to sign the notifications */
	const struct acquirer_ops *acq;
};

/* Starts the job; its writes go to w, which must outlive it; periodic_stop stops it. ST_OK or
 * ST_INTERNAL. */
int confirm_start(const struct confirm_config *cfg, struct work *w, struct periodic **out) WUR;

#endif
