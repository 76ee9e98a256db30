/*
 * retention.h - the retention of payment data (SPEC §14; Ingenico guide 3.2.2 "Gestion de la
 * conservation des données": 45 to 540 days per account, 540 by default; SPEC §5: the full
 * card number is kept sealed, "or not at all once the retention period ends"). Pure C, no I/O.
 *
 * What counts: the instant the transaction was created (created_at, the payment's date as the
 * journal shows it). Its card data is kept `days` periods of 24 h after it, to the
 * microsecond, and is due for erasure from then on: a payment made at 14:05 on 1 March with
 * 45 days is erased by the first round of the retention job after 15:05 on 15 April in Paris
 * (45 × 24 h, and summer time began meanwhile). The account's current retention applies to every transaction,
 * whenever it was made: lowering it erases at once what it no longer covers; raising it
 * brings nothing back.
 *
 * What "payment data" is: what is derived from the full card number and more than the masked
 * form, i.e. the sealed number and its keyed fingerprint. The masked number (first 6, last 4:
 * PCI DSS 3.4.1 lets it be shown), the expiry, card type and country, the amounts, the
 * history and the rest of the row stay: they are the merchant's accounting record, the batches
 * and the bank reconciliation refer to them and the statistics count them.
 *
 * Not the job that erases (jobs/retention.c) nor the store's statement (store.h).
 */
#ifndef GUICHET_RETENTION_RULE_H
#define GUICHET_RETENTION_RULE_H

#include <stdbool.h>
#include <stdint.h>

#define RETENTION_DAYS_MIN     45
#define RETENTION_DAYS_MAX     540
#define RETENTION_DAYS_DEFAULT 540

/* A notification to the merchant's server (README "Notifications"), delivered or failed, is
 * kept this many periods of 24 h after it was done (its last attempt, or the "send again"'s),
 * with its attempts, for the delivery log of the back office; then deleted. Not the
 * transaction: it stays, and its card data follows the rule above. */
#define RETENTION_NOTIFY_DAYS 90

/* Whether days is a retention an account may choose (45..540). */
bool retention_days_valid(int64_t days);

/* The instant at now_us (µs since the epoch, UTC) up to which, included, transactions have
 * had their days (a valid retention): their card data is due for erasure. */
int64_t retention_cutoff(int days, int64_t now_us);

/* Whether the card data of a transaction created at created_us is due for erasure at now_us
 * under a retention of days: now_us - created_us >= days × 24 h. */
bool retention_expired(int64_t created_us, int days, int64_t now_us);

/* The instant at now_us up to which, included, a notification done then has had its
 * RETENTION_NOTIFY_DAYS: it is deleted (as retention_cutoff). */
int64_t retention_notify_cutoff(int64_t now_us);

/* Whether a notification done at done_us (0: still pending, never due) is due for deletion at
 * now_us: done, and now_us - done_us >= RETENTION_NOTIFY_DAYS × 24 h. */
bool retention_notify_expired(int64_t done_us, int64_t now_us);

#endif
