/*
 * api.h - the resource handlers the route table points at. One file per resource; each
 * parses, calls the service layer through a job, and renders. No business rule lives here.
 */
#ifndef GUICHET_API_H
#define GUICHET_API_H

#include <jansson.h>

#include "domain/risk.h"
#include "http/http.h"

/* Merchant API, SPEC §4 and §16 (api/payments.c). */
int api_payment_create(struct req *r);
int api_payment_get(struct req *r);
int api_payment_capture(struct req *r);
int api_payment_cancel(struct req *r);
int api_payment_refund(struct req *r);
/* Whether s looks like one e-mail address: one '@' with text before, a dot after, no space
 * or list separator (api/payments.c). */
bool api_email_valid(const char *s);

/* The merchant's risk rules, SPEC §11 (api/risk.c): the blocklist, the fraud filters, the
 * countries. */
int api_blocklist_list(struct req *r);
int api_blocklist_export(struct req *r);
int api_blocklist_add(struct req *r);
int api_blocklist_delete(struct req *r);
int api_contract_filters_set(struct req *r);
int api_countries(struct req *r);
/* The optional "reason" and "expires_at" (the last day, in the user's zone) of a blocklist
 * entry in body o, into reason and *expires_at (the instant it stops acting, 0: never). 0,
 * or -1 when answered 400. */
int api_block_note(struct req *r, json_t *o, char reason[BLOCK_REASON_MAX + 1],
                   int64_t *expires_at);

/* The virtual terminal, SPEC §10 (api/manual_entries.c). */
int api_manual_entries_options(struct req *r);
int api_manual_entries_create(struct req *r);

/* Whether s looks like one e-mail address (local@domain.tld, no list, no angle brackets). */
bool api_email_valid(const char *s);

/* A card object {"number","expiry","cvv"} checked for form into c (the CVV is checked, then
 * forgotten; required or not); and "card" or "alias" of a body. 0, or -1 when answered 400.
 * c->digits is the caller's to wipe. */
struct card_source;
int api_parse_card(struct req *r, json_t *card, bool cvv_required, struct card_source *c);
int api_parse_card_or_alias(struct req *r, json_t *o, bool cvv_required, struct card_source *c);

/* Merchant API: card aliases, installment plans, subscriptions (SPEC §16.1; api/recurring.c). */
int api_alias_create(struct req *r);
int api_alias_delete(struct req *r);
int api_plan_create(struct req *r);
int api_plan_get(struct req *r);
int api_subscription_create(struct req *r);
int api_subscription_get(struct req *r);

/* Back-office sign-in, SPEC §3 and §16 (api/session.c). */
int api_session_create(struct req *r);
int api_session_get(struct req *r);
int api_session_delete(struct req *r);
int api_password_change(struct req *r);
int api_password_strength(struct req *r);
int api_terms_get(struct req *r);
int api_terms_accept(struct req *r);
int api_session_second_factor(struct req *r);
int api_session_second_factor_resend(struct req *r);
/* Disconnect and resume (SPEC §3 "disconnected"; README "The back office"). */
int api_session_disconnect(struct req *r);
int api_session_resume(struct req *r);

/* A wrong current password of a signed-in user (a password change, turning a second factor
 * on or off), or a wrong code to turn TOTP off: a failed sign-in like any other (SPEC §3:
 * the third in a row locks the account), so that a session is no free guesser. On the writer:
 * counted, logged as `what` with details, and at the lock the account_locked line and the end
 * of every session of the user (*locked set); *left: the failures still allowed before the
 * lock, which the answer may tell the user, who proved who they are. */
int api_check_failed(struct store *st, const struct user *u, int64_t at, const char *what,
                     const char *details, bool *locked, int *left) WUR;
/* On the loop, after api_check_failed locked the account: the user's sessions leave the
 * table, the cookie goes, and the answer is 423 locked. */
void api_session_locked(struct req *r, int64_t brand_id, int64_t user_id);

/* One's second factor, SPEC §3 (api/second_factor.c). */
int api_second_factor_get(struct req *r);
int api_second_factor_totp(struct req *r);
int api_second_factor_totp_confirm(struct req *r);
int api_second_factor_email(struct req *r);
int api_second_factor_disable(struct req *r);

/* What sign-in (session.c) and the settings share of the second factor; on the writer, in
 * its transaction. A code e-mailed at sign-in is valid SF_CODE_TTL_US, and another may be
 * asked SF_RESEND_US after the last (SPEC §3, Jetro). */
#define SF_CODE_TTL_US (10 * 60 * 1000000LL)
#define SF_RESEND_US   (30 * 1000000LL)
struct crypto_keys;
/* Checks a TOTP code against sf's active secret at now_us: *ok when it is right and of a
 * time step later than the last one accepted, which sf (to put) then remembers. ST_OK or a
 * store-free failure (ST_INTERNAL: the secret does not open). */
int api_second_factor_totp_check(const struct crypto_keys *keys, struct second_factor *sf,
                                 const char *code, int64_t now_us, bool *ok) WUR;
/* Makes a new e-mail code for ua (replacing the live one in sf, which it puts) and puts the
 * mail that carries it in the outbox. */
int api_second_factor_code_send(struct store *st, const struct crypto_keys *keys,
                                const struct user_auth *ua, struct second_factor *sf,
                                int64_t now_us) WUR;

/* User management, personal information, action log (api/users.c). */
/* Adds an action-log line (SPEC §13) by who's user at `at`, done to target (NULL: to no
 * user), unless *rc already failed; *rc then gets the store's status. On the writer. */
void api_action_add(struct store *st, const struct session *who, int64_t at, const char *what,
                    const char *details, const struct user *target, int *rc);
/* The details of a change, for the action log: appends to b "field: before → after" (or
 * "field: after" when before is NULL), "; " between two, each value in JSON; takes both
 * values. With names_only (the values did not fit), only the field's name, ", " between. */
struct buf;
void api_detail_add(struct buf *b, bool names_only, const char *field, json_t *before,
                    json_t *after);
/* The same of a text field, when it changed (before NULL: always, unless after is ""). */
void api_detail_text(struct buf *b, bool names_only, const char *field, const char *before,
                     const char *after);
/* A new user's or a reset's temporary password: its length, and the mail that carries it to
 * its user through the outbox (reset: a new password for an existing user). On the writer. */
#define API_TEMP_PASSWORD_LEN 16
int api_user_mail_password(struct store *st, const struct user_auth *ua, const char *password,
                           bool reset) WUR;
/* A new user's members in o applied to ua, each checked: login (required) and those a user's
 * edit takes (name, email, mobile, profile, node_id, language, time_zone); every bad one
 * appended to errors (json_field_error), the form's fields flagged at once. */
void api_user_form(json_t *o, struct user_auth *ua, json_t *errors);
int api_users_list(struct req *r);
int api_users_get(struct req *r);
int api_users_create(struct req *r);
int api_users_edit(struct req *r);
int api_users_reset_password(struct req *r);
int api_users_unlock(struct req *r);
int api_users_deactivate(struct req *r);
int api_users_reactivate(struct req *r);
int api_users_ereport_get(struct req *r);
int api_users_ereport_edit(struct req *r);
int api_users_second_factor_disable(struct req *r);
int api_me_get(struct req *r);
int api_me_edit(struct req *r);
int api_actions_list(struct req *r);
int api_actions_export(struct req *r);

/* A user's journal columns and landing page, SPEC §3 (api/prefs.c). */
int api_prefs_get(struct req *r);
int api_prefs_edit(struct req *r);

/* The back office's transactions and cash operations, SPEC §5, §6 (api/transactions.c). */
int api_transactions_search(struct req *r);
int api_transactions_summary(struct req *r);
int api_transactions_get(struct req *r);
int api_transactions_export(struct req *r);
int api_transactions_capture(struct req *r);
int api_transactions_cancel(struct req *r);
int api_transactions_refund(struct req *r);
int api_transactions_send(struct req *r);
int api_transactions_block_card(struct req *r);
int api_transactions_capture_all(struct req *r);
int api_transactions_send_all(struct req *r);
int api_batches_search(struct req *r);
int api_batches_get(struct req *r);
int api_batches_export(struct req *r);

/* Installment plans and subscriptions in the back office, SPEC §9, §16.1 (api/recurring_bo.c). */
int api_plans_search(struct req *r);
int api_plans_export(struct req *r);
int api_plans_get(struct req *r);
int api_plans_terminate(struct req *r);
int api_subscriptions_search(struct req *r);
int api_subscriptions_export(struct req *r);
int api_subscriptions_get(struct req *r);
int api_subscriptions_terminate(struct req *r);

/* The tree and the contracts, Vision manual §2.3, §9.2 (api/org.c). */
int api_tree(struct req *r);
int api_contracts_list(struct req *r);
int api_contracts_get(struct req *r);
int api_contracts_export(struct req *r);

/* Files of payment orders, issue 15 (api/order_files.c; docs/ORDER-FILES.md). */
int api_order_files_upload(struct req *r);
int api_order_files_list(struct req *r);
int api_order_files_get(struct req *r);
int api_order_files_lines(struct req *r);
int api_order_files_result(struct req *r);
int api_v1_order_files_upload(struct req *r);
int api_v1_order_files_get(struct req *r);

/* The node a request looks at: the user's own (requested 0) or one below it (else
 * ST_NOTFOUND, also for another brand's). Runs on a reader or the writer. */
int api_scope(struct store *st, const struct session *who, int64_t requested, int64_t *out);

/* The user's time zone, as their session carries it (kept current by every edit): the days of
 * a search and the times of an export are theirs. */
const struct tz *api_zone(const struct session *who);

/* The bank reconciliation journal, Vision manual §8 (api/reconciliation.c). */
int api_reconciliation_search(struct req *r);
int api_reconciliation_export(struct req *r);
int api_reconciliation_mismatches(struct req *r);
int api_reconciliation_resolve(struct req *r);
int api_reconciliation_upload(struct req *r);

/* The merchant API's error log, Ingenico guide 3.2.10 (api/api_errors.c). */
int api_api_errors_list(struct req *r);
int api_api_errors_export(struct req *r);

/* HMAC keys of the shops, SPEC §11, and the notices of Home, SPEC §12 (api/hmac_keys.c). */
int api_hmac_keys_list(struct req *r);
int api_hmac_keys_strength(struct req *r);
int api_hmac_keys_create(struct req *r);
int api_hmac_keys_activate(struct req *r);
int api_notices(struct req *r);
/* After the merchant API verified r's signature (r->shop, r->shop_key): the first request a
 * newly activated key verifies turns it "used" in the store, through the writer, once. On the
 * loop; never waits. */
void api_hmac_key_verified(struct req *r);

/* A transaction's notifications to the merchant's server, README "Notifications"
 * (api/notify.c). */
int api_notifications_list(struct req *r);
int api_notifications_resend(struct req *r);

/* The mails the outbox could not deliver, README "Mail" (api/mails.c). */
int api_mails_list(struct req *r);
int api_mails_retry(struct req *r);

/* Parameters: a shop's general configuration and subscribed options, Vision manual §9.1.1,
 * §9.1.2 (api/settings.c); the store and the contact form, §12, §2.3.1 (api/contact.c). */
int api_settings_get(struct req *r);
int api_settings_put(struct req *r);
int api_options_get(struct req *r);
int api_store_get(struct req *r);
int api_store_request(struct req *r);
int api_contact_get(struct req *r);
int api_contact_send(struct req *r);
/* The operator's address when --operator-email is not given. */
#define API_OPERATOR_EMAIL_DEFAULT "support@guichet.invalid"
/* api_email_valid, in printable ASCII only (no space, no control character): an address that
 * may go in a mail's header as it is (api/settings.c). */
bool api_email_ascii(const char *s);
/* The shop shop_id if it is one of the user's node and below, into *out (its node, site and
 * rang); else ST_NOTFOUND (another brand's, a group, outside the node). On a reader or the
 * writer (api/org.c). */
int api_shop_in_scope(struct store *st, const struct session *who, int64_t shop_id,
                      struct tree_node *out);

/* The account and its retention of payment data, SPEC §14 (api/account.c). */
int api_account_get(struct req *r);
int api_account_edit(struct req *r);
/* "Create production account" (api/env_copy.c; docs/ENVIRONMENTS.md). */
int api_env_copy_plan(struct req *r);
int api_env_copy(struct req *r);

/* Home page statistics, SPEC §12 (api/stats.c). */
int api_stats(struct req *r);

/* The hosted payment page (issue 12; api/hosted.c): the signed request, the card. */
int api_hosted_start(struct req *r);
int api_hosted_card(struct req *r);
int api_hosted_tds(struct req *r);

/* The hosted page's templates (api/hosted_theme.c): the back office's, and the page's own
 * stylesheet and logo answered from memory. */
int api_page_theme_get(struct req *r);
int api_page_theme_put(struct req *r);
int api_page_theme_reset(struct req *r);
int api_page_theme_logo_put(struct req *r);
int api_page_theme_logo_delete(struct req *r);
int api_pay_theme_css(struct req *r);
int api_pay_theme_logo(struct req *r);

/* Liveness (api/health.c). */
int api_health(struct req *r);

/* The Prometheus metrics (api/metrics.c; README "Metrics"). */
int api_metrics(struct req *r);

/* The Paybox protocols (research/paybox-protocol.md): the probe, Guichet's public key for K,
 * Paybox Direct (ppps.c). */
int api_paybox_load(struct req *r);
int api_paybox_public_key(struct req *r);
int api_ppps(struct req *r);

#endif
