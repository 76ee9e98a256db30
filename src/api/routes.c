/*
 * routes.c - the route table: every path guichetd answers, its method, handler, who must be
 * authenticated, the largest body it takes, and for the back office which profiles may call
 * it (SPEC §3): this table is the only thing that decides. docs/openapi.yaml documents the
 * /api routes; `guichetd routes` prints the table, and the system tests walk it.
 */
#include <string.h>

#include "api/api.h"
#include "api/push_reports.h"
#include "common/limits.h"

/* SPEC §3: who searches and who acts on money. */
#define P_SEARCH (P(PROFILE_CONSULTATION) | P(PROFILE_ACTION) | P(PROFILE_ADMIN))
#define P_CASH   (P(PROFILE_ACTION) | P(PROFILE_ADMIN))

/* SPEC §3: who may enter a payment by hand (the virtual terminal, SPEC §10). */
#define P_ENTRY (P(PROFILE_ENTRY) | P_CASH)

/* Reachable at every sign-in step, the second factor's included (SPEC §3). */
#define BEFORE_ALL (ROUTE_BEFORE_NEXT | ROUTE_SECOND_FACTOR)

/* Fields: method, pattern, handler, auth, body_max, profiles, flags, summary. A body_max of 0
 * is a route without parameters: an empty body or {} (src/http/server.c, body_none). */
const struct route routes[] = {
        /* The merchant API (SPEC §4, §16). */
        {"POST", "/api/v1/payments", api_payment_create, AUTH_HMAC, LIMIT_BODY_API, 0, 0,
         "create a payment"},
        {"GET", "/api/v1/payments/{id}", api_payment_get, AUTH_HMAC, 0, 0, 0, "get a payment"},
        {"POST", "/api/v1/payments/{id}/capture", api_payment_capture, AUTH_HMAC, LIMIT_BODY_API, 0,
         0, "capture an authorization"},
        {"POST", "/api/v1/payments/{id}/cancel", api_payment_cancel, AUTH_HMAC, LIMIT_BODY_API, 0,
         0, "cancel a payment not yet sent"},
        {"POST", "/api/v1/payments/{id}/refund", api_payment_refund, AUTH_HMAC, LIMIT_BODY_API, 0,
         0, "refund a sent payment"},
        /* Card aliases, installment plans, subscriptions (SPEC §9, §16.1). */
        {"POST", "/api/v1/aliases", api_alias_create, AUTH_HMAC, LIMIT_BODY_API, 0, 0,
         "make an alias of a card"},
        {"DELETE", "/api/v1/aliases/{key}", api_alias_delete, AUTH_HMAC, 0, 0, 0,
         "delete a card alias"},
        {"POST", "/api/v1/installment-plans", api_plan_create, AUTH_HMAC, LIMIT_BODY_API, 0, 0,
         "create an installment plan (its first installment decided at once)"},
        {"GET", "/api/v1/installment-plans/{id}", api_plan_get, AUTH_HMAC, 0, 0, 0,
         "get an installment plan and its installments"},
        {"POST", "/api/v1/subscriptions", api_subscription_create, AUTH_HMAC, LIMIT_BODY_API, 0, 0,
         "create a subscription (its initial amount charged at once)"},
        {"GET", "/api/v1/subscriptions/{id}", api_subscription_get, AUTH_HMAC, 0, 0, 0,
         "get a subscription and its debits"},

        /* Paybox Direct, the probe and the public key (research/paybox-protocol.md). */
        {"POST", "/PPPS.php", api_ppps, AUTH_NONE, LIMIT_BODY_PPPS, 0, 0,
         "Paybox Direct: authorize, capture, cancel, refund (CLE or HMAC in the form)"},
        {"GET", "/load.html", api_paybox_load, AUTH_NONE, 0, 0, 0,
         "the Paybox modules' availability probe"},
        {"GET", "/bo/api/paybox-public-key", api_paybox_public_key, AUTH_SESSION, 0, P_ALL, 0,
         "Guichet's public key for the Paybox signature K (pubkey.pem)"},

        /* The hosted payment page and Paybox System (issue 12). */
        {"POST", "/pay", api_hosted_start, AUTH_NONE, LIMIT_BODY_HOSTED, 0, 0,
         "the hosted payment page: a merchant's signed request, the card form"},
        {"POST", "/pay/card", api_hosted_card, AUTH_NONE, LIMIT_BODY_HOSTED, 0, 0,
         "the hosted payment page: the buyer's card, decided, back to the merchant"},
        {"POST", "/pay/3ds", api_hosted_tds, AUTH_NONE, LIMIT_BODY_HOSTED, 0, 0,
         "the hosted payment page: the buyer's 3-D Secure challenge answered, decided"},
        /* Paybox System's entry points (research §0): the classic CGI, the "php" page (GET
         * for the framed page), the framed and mobile pages, and the gateway's root, where
         * WooCommerce's module posts the signed fields first and wants a 200. */
        {"POST", "/cgi/MYchoix_pagepaiement.cgi", api_hosted_start, AUTH_NONE, LIMIT_BODY_HOSTED, 0,
         0, "Paybox System: a module's signed PBX_* request, the card form"},
        {"GET", "/cgi/MYchoix_pagepaiement.cgi", api_hosted_start, AUTH_NONE, 0, 0, 0,
         "Paybox System: the same request in the query"},
        {"POST", "/php/", api_hosted_start, AUTH_NONE, LIMIT_BODY_HOSTED, 0, 0,
         "Paybox System: a module's signed PBX_* request, the card form"},
        {"GET", "/php/", api_hosted_start, AUTH_NONE, 0, 0, 0,
         "Paybox System: the framed page, the request in the query"},
        {"POST", "/cgi/MYframepagepaiement_ip.cgi", api_hosted_start, AUTH_NONE, LIMIT_BODY_HOSTED,
         0, 0, "Paybox System: the framed page"},
        {"GET", "/cgi/MYframepagepaiement_ip.cgi", api_hosted_start, AUTH_NONE, 0, 0, 0,
         "Paybox System: the framed page, the request in the query"},
        {"POST", "/cgi/FramepagepaiementRWD.cgi", api_hosted_start, AUTH_NONE, LIMIT_BODY_HOSTED, 0,
         0, "Paybox System: the framed responsive page"},
        {"GET", "/cgi/FramepagepaiementRWD.cgi", api_hosted_start, AUTH_NONE, 0, 0, 0,
         "Paybox System: the framed responsive page, the request in the query"},
        {"POST", "/", api_hosted_start, AUTH_NONE, LIMIT_BODY_HOSTED, 0, 0,
         "Paybox System: a module's signed request checked server to server"},

        /* The back office: sign-in (SPEC §3, §16). */
        {"POST", "/bo/api/session", api_session_create, AUTH_NONE, LIMIT_BODY_BO, 0, 0, "sign in"},
        {"GET", "/bo/api/session", api_session_get, AUTH_SESSION, 0, P_ALL, BEFORE_ALL,
         "the signed-in user and the next sign-in step"},
        {"DELETE", "/bo/api/session", api_session_delete, AUTH_SESSION, 0, P_ALL, BEFORE_ALL,
         "sign out"},
        {"POST", "/bo/api/session/second-factor", api_session_second_factor, AUTH_SESSION,
         LIMIT_BODY_BO, P_ALL, BEFORE_ALL, "give the second factor's code"},
        {"POST", "/bo/api/session/second-factor/resend", api_session_second_factor_resend,
         AUTH_SESSION, 0, P_ALL, BEFORE_ALL, "e-mail another sign-in code"},
        /* Disconnect and resume (SPEC §3, "disconnected"): kept for the device that held it. */
        {"POST", "/bo/api/session/disconnect", api_session_disconnect, AUTH_SESSION, 0, P_ALL,
         ROUTE_BEFORE_NEXT, "disconnect, keeping the session resumable by this device"},
        {"POST", "/bo/api/session/resume", api_session_resume, AUTH_SESSION, LIMIT_BODY_BO, P_ALL,
         ROUTE_BEFORE_NEXT | ROUTE_RESUME, "resume a disconnected session with its resume key"},
        {"POST", "/bo/api/password", api_password_change, AUTH_SESSION, LIMIT_BODY_BO, P_ALL,
         ROUTE_BEFORE_NEXT, "change one's password"},
        {"POST", "/bo/api/password/strength", api_password_strength, AUTH_SESSION, LIMIT_BODY_BO,
         P_ALL, ROUTE_BEFORE_NEXT, "the strength of a candidate password"},
        {"GET", "/bo/api/terms", api_terms_get, AUTH_SESSION, 0, P_ALL, ROUTE_BEFORE_NEXT,
         "the terms of use and their version"},
        {"POST", "/bo/api/terms", api_terms_accept, AUTH_SESSION, LIMIT_BODY_BO, P_ALL,
         ROUTE_BEFORE_NEXT, "accept the terms of use"},

        /* Personal information (Vision manual §1). */
        {"GET", "/bo/api/me", api_me_get, AUTH_SESSION, 0, P_ALL, ROUTE_SET_UP,
         "one's personal information"},
        {"PATCH", "/bo/api/me", api_me_edit, AUTH_SESSION, LIMIT_BODY_BO, P_ALL, 0,
         "change one's personal information"},
        {"GET", "/bo/api/me/preferences", api_prefs_get, AUTH_SESSION, 0, P_ALL, 0,
         "one's journal columns and landing page"},
        {"PATCH", "/bo/api/me/preferences", api_prefs_edit, AUTH_SESSION, LIMIT_BODY_BO, P_ALL, 0,
         "choose journal columns or the landing page"},

        /* One's second factor (SPEC §3; Ingenico guide 3.2.1 "2FA"). */
        {"GET", "/bo/api/me/second-factor", api_second_factor_get, AUTH_SESSION, 0, P_ALL,
         ROUTE_SET_UP, "one's second factor"},
        {"POST", "/bo/api/me/second-factor/totp", api_second_factor_totp, AUTH_SESSION, 0, P_ALL,
         ROUTE_SET_UP, "start a TOTP enrolment (secret and QR code)"},
        {"POST", "/bo/api/me/second-factor/totp/confirm", api_second_factor_totp_confirm,
         AUTH_SESSION, LIMIT_BODY_BO, P_ALL, ROUTE_SET_UP,
         "turn TOTP on with a code and one's password"},
        {"POST", "/bo/api/me/second-factor/email", api_second_factor_email, AUTH_SESSION,
         LIMIT_BODY_BO, P_ALL, ROUTE_SET_UP, "turn on codes sent by e-mail"},
        {"POST", "/bo/api/me/second-factor/disable", api_second_factor_disable, AUTH_SESSION,
         LIMIT_BODY_BO, P_ALL, 0, "turn one's second factor off"},

        /* Management (Vision manual §11): administrators only. */
        {"GET", "/bo/api/users", api_users_list, AUTH_SESSION, 0, P(PROFILE_ADMIN), 0,
         "the users of a node and below"},
        {"POST", "/bo/api/users", api_users_create, AUTH_SESSION, LIMIT_BODY_BO, P(PROFILE_ADMIN),
         0, "create a user"},
        {"GET", "/bo/api/users/{id}", api_users_get, AUTH_SESSION, 0, P(PROFILE_ADMIN), 0,
         "a user's details"},
        {"PATCH", "/bo/api/users/{id}", api_users_edit, AUTH_SESSION, LIMIT_BODY_BO,
         P(PROFILE_ADMIN), 0, "edit a user"},
        {"POST", "/bo/api/users/{id}/password", api_users_reset_password, AUTH_SESSION, 0,
         P(PROFILE_ADMIN), 0, "send a user a new password"},
        {"POST", "/bo/api/users/{id}/unlock", api_users_unlock, AUTH_SESSION, 0, P(PROFILE_ADMIN),
         0, "unlock a user"},
        /* README "Users": a user kept, but unable to sign in; and back. */
        {"POST", "/bo/api/users/{id}/deactivate", api_users_deactivate, AUTH_SESSION, 0,
         P(PROFILE_ADMIN), 0, "deactivate a user: signed out, no sign-in"},
        {"POST", "/bo/api/users/{id}/reactivate", api_users_reactivate, AUTH_SESSION, 0,
         P(PROFILE_ADMIN), 0, "reactivate a deactivated user"},
        {"GET", "/bo/api/users/{id}/ereport", api_users_ereport_get, AUTH_SESSION, 0,
         P(PROFILE_ADMIN), 0, "a user's electronic reporting: structure and format"},
        {"PATCH", "/bo/api/users/{id}/ereport", api_users_ereport_edit, AUTH_SESSION, LIMIT_BODY_BO,
         P(PROFILE_ADMIN), 0, "set a user's electronic reporting"},
        {"POST", "/bo/api/users/{id}/second-factor/disable", api_users_second_factor_disable,
         AUTH_SESSION, 0, P(PROFILE_ADMIN), 0, "turn a user's second factor off"},
        {"GET", "/bo/api/actions", api_actions_list, AUTH_SESSION, 0, P(PROFILE_ADMIN), 0,
         "search the action log"},
        {"GET", "/bo/api/actions/export", api_actions_export, AUTH_SESSION, 0, P(PROFILE_ADMIN), 0,
         "export the action log (CSV)"},
        /* The mails the outbox could not deliver (README "Mail"): administrators, who can
         * fix an address or the relay, and send a failed mail again. */
        {"GET", "/bo/api/mails", api_mails_list, AUTH_SESSION, 0, P(PROFILE_ADMIN), 0,
         "the mails of a node and below that failed, or failed once and wait"},
        {"POST", "/bo/api/mails/{id}/retry", api_mails_retry, AUTH_SESSION, 0, P(PROFILE_ADMIN), 0,
         "send a failed mail again"},
        /* The push reports (docs/EREPORTING.md "Push reports"): the runs a user may see, and
         * a link's file, to the user it was mailed to. */
        {"GET", "/bo/api/push-reports", api_push_reports_list, AUTH_SESSION, 0, P_SEARCH, 0,
         "the daily push reports' runs: the user's own, an administrator's scope"},
        {"GET", "/bo/api/push-reports/file/{key}", api_push_reports_file, AUTH_SESSION, 0, P_SEARCH,
         0, "a push report too large to be attached, by its link's token"},
        /* The account (Ingenico guide 3.2.2): a change needs the brand's own level too. */
        {"GET", "/bo/api/account", api_account_get, AUTH_SESSION, 0, P(PROFILE_ADMIN), 0,
         "the account and its retention of payment data"},
        {"PATCH", "/bo/api/account", api_account_edit, AUTH_SESSION, LIMIT_BODY_BO,
         P(PROFILE_ADMIN), 0, "set the retention of payment data (brand administrators)"},
        /* Create production account (Ingenico guide 3.2.9): a test session's brand
         * administrators (docs/ENVIRONMENTS.md). */
        {"GET", "/bo/api/environment/production-account", api_env_copy_plan, AUTH_SESSION, 0,
         P(PROFILE_ADMIN), 0, "what copying the test environment into production copies"},
        {"POST", "/bo/api/environment/production-account", api_env_copy, AUTH_SESSION,
         LIMIT_BODY_BO, P(PROFILE_ADMIN), 0,
         "copy the test configuration into production (test session, brand administrators)"},

        /* Transactions (SPEC §5) and cash operations (SPEC §6). */
        {"GET", "/bo/api/transactions", api_transactions_search, AUTH_SESSION, 0, P_SEARCH, 0,
         "search transactions"},
        {"GET", "/bo/api/transactions/export", api_transactions_export, AUTH_SESSION, 0, P_SEARCH,
         0, "export a search as CSV"},
        {"GET", "/bo/api/transactions/summary", api_transactions_summary, AUTH_SESSION, 0, P_SEARCH,
         0, "count a search's transactions and sum their amounts"},
        {"POST", "/bo/api/transactions/capture-all", api_transactions_capture_all, AUTH_SESSION, 0,
         P_CASH, 0, "capture in full every authorization of a search"},
        {"POST", "/bo/api/transactions/send-all", api_transactions_send_all, AUTH_SESSION, 0,
         P_CASH, 0, "send to the bank today every transaction of a search"},
        {"GET", "/bo/api/transactions/{id}", api_transactions_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "a transaction's details and history"},
        {"POST", "/bo/api/transactions/{id}/capture", api_transactions_capture, AUTH_SESSION,
         LIMIT_BODY_BO, P_CASH, 0, "capture an authorization"},
        {"POST", "/bo/api/transactions/{id}/cancel", api_transactions_cancel, AUTH_SESSION,
         LIMIT_BODY_BO, P_CASH, 0, "cancel a transaction not yet sent"},
        {"POST", "/bo/api/transactions/{id}/refund", api_transactions_refund, AUTH_SESSION,
         LIMIT_BODY_BO, P_CASH, 0, "refund a sent transaction"},
        {"POST", "/bo/api/transactions/{id}/send", api_transactions_send, AUTH_SESSION,
         LIMIT_BODY_BO, P_CASH, 0, "send a transaction to the bank today"},
        {"POST", "/bo/api/transactions/{id}/block-card", api_transactions_block_card, AUTH_SESSION,
         LIMIT_BODY_BO, P_CASH, 0, "add the transaction's card to the shop's blocklist"},

        /* The virtual terminal (SPEC §10; Vision manual §10). */
        {"GET", "/bo/api/manual-entries/options", api_manual_entries_options, AUTH_SESSION, 0,
         P_ENTRY, 0, "what the virtual terminal's form offers: shops, contracts, dates"},
        {"POST", "/bo/api/manual-entries", api_manual_entries_create, AUTH_SESSION, LIMIT_BODY_BO,
         P_ENTRY, 0, "enter a one-off payment, an installment plan or a subscription by hand"},

        /* Settlement batches (SPEC §7). */
        {"GET", "/bo/api/batches", api_batches_search, AUTH_SESSION, 0, P_SEARCH, 0,
         "the batch journal"},
        {"GET", "/bo/api/batches/export", api_batches_export, AUTH_SESSION, 0, P_SEARCH, 0,
         "the batch journal as CSV or TXT"},
        {"GET", "/bo/api/batches/{id}", api_batches_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "one batch: its number, contract, bank date, counts and totals"},
        /* The bank reconciliation journal (Vision manual §8; docs/RECONCILIATION.md). */
        {"GET", "/bo/api/reconciliation", api_reconciliation_search, AUTH_SESSION, 0, P_SEARCH, 0,
         "the bank reconciliation journal (JRB)"},
        {"GET", "/bo/api/reconciliation/export", api_reconciliation_export, AUTH_SESSION, 0,
         P_SEARCH, 0, "the JRB journal as CSV or TXT"},
        {"GET", "/bo/api/reconciliation/mismatches", api_reconciliation_mismatches, AUTH_SESSION, 0,
         P_SEARCH, 0, "the queue of the reconciliation's mismatches"},
        {"POST", "/bo/api/reconciliation/mismatches/{id}/resolve", api_reconciliation_resolve,
         AUTH_SESSION, LIMIT_BODY_BO, P_CASH, 0, "mark a mismatch resolved, with a comment"},
        {"POST", "/bo/api/reconciliation/files", api_reconciliation_upload, AUTH_SESSION,
         LIMIT_BODY_BO, P_CASH, 0, "import an acquirer's return file (its bytes)"},

        /* Installment plans and subscriptions (SPEC §9, §16.1; Vision manual §6.1, §7.1). */
        {"GET", "/bo/api/installment-plans", api_plans_search, AUTH_SESSION, 0, P_SEARCH, 0,
         "the installment plan journal"},
        {"GET", "/bo/api/installment-plans/export", api_plans_export, AUTH_SESSION, 0, P_SEARCH, 0,
         "the installment plan journal as CSV or TXT"},
        {"GET", "/bo/api/installment-plans/{id}", api_plans_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "an installment plan's details and debits"},
        {"POST", "/bo/api/installment-plans/{id}/terminate", api_plans_terminate, AUTH_SESSION,
         LIMIT_BODY_BO, P_CASH, 0, "terminate an installment plan"},
        {"GET", "/bo/api/subscriptions", api_subscriptions_search, AUTH_SESSION, 0, P_SEARCH, 0,
         "the subscription journal"},
        {"GET", "/bo/api/subscriptions/export", api_subscriptions_export, AUTH_SESSION, 0, P_SEARCH,
         0, "the subscription journal as CSV or TXT"},
        {"GET", "/bo/api/subscriptions/{id}", api_subscriptions_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "a subscription's details and debits"},
        {"POST", "/bo/api/subscriptions/{id}/terminate", api_subscriptions_terminate, AUTH_SESSION,
         LIMIT_BODY_BO, P_CASH, 0, "terminate a subscription (with a reason)"},

        /* The tree and the contracts (Vision manual §2.3, §9.2). */
        {"GET", "/bo/api/tree", api_tree, AUTH_SESSION, 0, P_ALL, 0,
         "one's node of the tree and below"},
        {"GET", "/bo/api/contracts", api_contracts_list, AUTH_SESSION, 0, P_SEARCH, 0,
         "the contracts of a node's shops"},
        {"GET", "/bo/api/contracts/export", api_contracts_export, AUTH_SESSION, 0, P_SEARCH, 0,
         "the contracts of a node and below, as CSV or TXT"},
        {"GET", "/bo/api/contracts/{id}", api_contracts_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "a contract's details"},

        /* Risk (SPEC §11, §16.1; Vision manual §9.2.1, §9.3): the blocklist of a node and
         * below, the contracts' fraud filters (administrators), the countries they name. */
        {"GET", "/bo/api/blocklist", api_blocklist_list, AUTH_SESSION, 0, P_SEARCH, 0,
         "the blocklist of a node and below"},
        {"GET", "/bo/api/blocklist/export", api_blocklist_export, AUTH_SESSION, 0, P_SEARCH, 0,
         "the blocklist as CSV or TXT"},
        {"POST", "/bo/api/blocklist", api_blocklist_add, AUTH_SESSION, LIMIT_BODY_BO, P_CASH, 0,
         "block a card, a BIN, an e-mail or a country"},
        {"DELETE", "/bo/api/blocklist/{id}", api_blocklist_delete, AUTH_SESSION, 0, P_CASH, 0,
         "remove an entry of the blocklist"},
        {"PUT", "/bo/api/contracts/{id}/fraud-filters", api_contract_filters_set, AUTH_SESSION,
         LIMIT_BODY_BO, P(PROFILE_ADMIN), 0, "change a contract's fraud filters"},
        {"GET", "/bo/api/countries", api_countries, AUTH_SESSION, 0, P_ALL, 0,
         "the ISO 3166 country codes"},

        /* Activity statistics (SPEC §12). */
        {"GET", "/bo/api/stats", api_stats, AUTH_SESSION, 0, P_SEARCH, 0, "activity statistics"},
        {"GET", "/bo/api/notices", api_notices, AUTH_SESSION, 0, P_ALL, 0,
         "Home's warnings: HMAC keys expired or expiring within 30 days"},

        /* Parameters: general configuration, options, store, contact. */
        /* A shop's general configuration and subscribed options (Vision manual §9.1.1,
         * §9.1.2): read by who searches the shop, changed by administrators only. */
        {"GET", "/bo/api/shops/{id}/settings", api_settings_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "a shop's general configuration: identifiers, e-mails, return URLs"},
        {"PUT", "/bo/api/shops/{id}/settings", api_settings_put, AUTH_SESSION, LIMIT_BODY_BO,
         P(PROFILE_ADMIN), 0, "change a shop's e-mails, return URLs or immediate return"},
        {"GET", "/bo/api/shops/{id}/options", api_options_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "a shop's subscribed payment methods and options"},
        /* The store (§12): a request to open a method commits the merchant, so administrators
         * make it. The contact form (§2.3.1) is in every page's top bar: every profile. */
        {"GET", "/bo/api/shops/{id}/store", api_store_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "the payment methods a shop may still open"},
        {"POST", "/bo/api/store/requests", api_store_request, AUTH_SESSION, LIMIT_BODY_CONTACT,
         P(PROFILE_ADMIN), 0, "ask the operator to open a payment method for a shop"},
        {"GET", "/bo/api/contact", api_contact_get, AUTH_SESSION, 0, P_ALL, 0,
         "what the contact form offers: one's e-mail and contracts"},
        {"POST", "/bo/api/contact", api_contact_send, AUTH_SESSION, LIMIT_BODY_CONTACT, P_ALL, 0,
         "write to the support (and a copy to oneself)"},

        /* Parameters › HMAC key (SPEC §11; Vision manual §9.1.3): the HMAC manager only. The
         * activation link works without a session: its token is the secret. */
        {"GET", "/bo/api/hmac-keys", api_hmac_keys_list, AUTH_SESSION, 0, P(PROFILE_HMAC), 0,
         "the HMAC keys of a node's shops"},
        {"POST", "/bo/api/hmac-keys", api_hmac_keys_create, AUTH_SESSION, LIMIT_BODY_BO,
         P(PROFILE_HMAC), 0, "generate a shop's HMAC key from a passphrase"},
        {"POST", "/bo/api/hmac-keys/strength", api_hmac_keys_strength, AUTH_SESSION, LIMIT_BODY_BO,
         P(PROFILE_HMAC), 0, "the strength of a candidate passphrase"},
        {"POST", "/bo/api/hmac-keys/activate", api_hmac_keys_activate, AUTH_NONE, LIMIT_BODY_BO, 0,
         0, "activate an HMAC key with its e-mailed token"},

        /* The merchant API's error log (Ingenico 3.2.10). */
        {"GET", "/bo/api/api-errors", api_api_errors_list, AUTH_SESSION, 0, P_SEARCH, 0,
         "the merchant API's refusals of the last 3 days"},
        {"GET", "/bo/api/api-errors/export", api_api_errors_export, AUTH_SESSION, 0, P_SEARCH, 0,
         "the merchant API's refusals of the last 3 days as CSV or TXT"},

        /* Notifications to the merchant's server (issue 12). */
        {"GET", "/bo/api/transactions/{id}/notifications", api_notifications_list, AUTH_SESSION, 0,
         P_SEARCH, 0, "a transaction's notifications to the merchant's server and attempts"},
        {"POST", "/bo/api/transactions/{id}/notifications/{nid}/resend", api_notifications_resend,
         AUTH_SESSION, 0, P_CASH, 0, "send a transaction's notification again"},

        /* The hosted page's templates (issue 12; README "The hosted payment page",
         * Templates): read by who reads a shop's settings, changed by who changes them; the
         * page's stylesheet and logo public, named by the template's token. */
        {"GET", "/bo/api/shops/{id}/page-theme", api_page_theme_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "a shop's template of the hosted payment page"},
        {"PUT", "/bo/api/shops/{id}/page-theme", api_page_theme_put, AUTH_SESSION, LIMIT_BODY_BO,
         P(PROFILE_ADMIN), 0, "change a template's colours or texts"},
        {"DELETE", "/bo/api/shops/{id}/page-theme", api_page_theme_reset, AUTH_SESSION, 0,
         P(PROFILE_ADMIN), 0, "reset a shop's hosted page to Guichet's own"},
        {"PUT", "/bo/api/shops/{id}/page-theme/logo", api_page_theme_logo_put, AUTH_SESSION,
         LIMIT_PAGE_LOGO, P(PROFILE_ADMIN), 0, "upload a template's logo (PNG or JPEG)"},
        {"DELETE", "/bo/api/shops/{id}/page-theme/logo", api_page_theme_logo_delete, AUTH_SESSION,
         0, P(PROFILE_ADMIN), 0, "remove a template's logo"},
        {"GET", "/pay/theme/{id}/{key}.css", api_pay_theme_css, AUTH_NONE, 0, 0, 0,
         "the hosted page's stylesheet of a shop's template"},
        {"GET", "/pay/theme/{id}/{key}/logo", api_pay_theme_logo, AUTH_NONE, 0, 0, 0,
         "the hosted page's logo of a shop's template"},

        /* Files of payment orders (issue 15 "Batch files of payment orders"; README "Files of
         * payment orders", docs/ORDER-FILES.md): uploaded by who acts on money, read by who
         * searches; the merchant API's shop uploads and reads its own. */
        {"POST", "/api/v1/order-files", api_v1_order_files_upload, AUTH_HMAC, LIMIT_ORDER_FILE, 0,
         0, "upload a file of payment orders, processed in the background"},
        {"GET", "/api/v1/order-files/{id}", api_v1_order_files_get, AUTH_HMAC, 0, 0, 0,
         "a file of payment orders: its status, counts and its lines' results"},
        {"POST", "/bo/api/order-files", api_order_files_upload, AUTH_SESSION, LIMIT_ORDER_FILE,
         P_CASH, 0, "upload a file of payment orders for a shop"},
        {"GET", "/bo/api/order-files", api_order_files_list, AUTH_SESSION, 0, P_SEARCH, 0,
         "the files of payment orders of a node and below"},
        {"GET", "/bo/api/order-files/{id}", api_order_files_get, AUTH_SESSION, 0, P_SEARCH, 0,
         "a file of payment orders: status, counts, timings"},
        {"GET", "/bo/api/order-files/{id}/lines", api_order_files_lines, AUTH_SESSION, 0, P_SEARCH,
         0, "a file of payment orders' result, line by line"},
        {"GET", "/bo/api/order-files/{id}/result", api_order_files_result, AUTH_SESSION, 0,
         P_SEARCH, 0, "a file of payment orders' result file (CSV)"},

        {"GET", "/healthz", api_health, AUTH_NONE, 0, 0, 0, "liveness"},
        /* Whoever runs the server: from this machine, or with GUICHET_METRICS_TOKEN. */
        {"GET", "/metrics", api_metrics, AUTH_OPERATOR, 0, 0, 0,
         "Prometheus metrics (a loopback peer, or the bearer of GUICHET_METRICS_TOKEN)"},
};

const size_t routes_n = sizeof(routes) / sizeof(routes[0]);

bool
routes_allow(const char *method, const char *pattern, enum profile p)
{
	for (size_t i = 0; i < routes_n; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    strcmp(routes[i].pattern, pattern) == 0)
			return routes[i].auth == AUTH_SESSION && (routes[i].profiles & P(p)) != 0;
	return false;
}
