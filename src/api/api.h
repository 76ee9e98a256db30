/*
 * api.h - the resource handlers the route table points at. One file per resource; each
 * parses, calls the service layer through a job, and renders. No business rule lives here.
 */
#ifndef GUICHET_API_H
#define GUICHET_API_H

#include "http/http.h"

/* Merchant API, SPEC §4 and §16 (api/payments.c). */
int api_payment_create(struct req *r);
int api_payment_get(struct req *r);
int api_payment_capture(struct req *r);
int api_payment_cancel(struct req *r);
int api_payment_refund(struct req *r);

/* Back-office sign-in, SPEC §3 and §16 (api/session.c). */
int api_session_create(struct req *r);
int api_session_get(struct req *r);
int api_session_delete(struct req *r);
int api_password_change(struct req *r);
int api_password_strength(struct req *r);
int api_terms_get(struct req *r);
int api_terms_accept(struct req *r);

/* User management, personal information, action log (api/users.c). */
int api_users_list(struct req *r);
int api_users_get(struct req *r);
int api_users_create(struct req *r);
int api_users_edit(struct req *r);
int api_users_reset_password(struct req *r);
int api_users_unlock(struct req *r);
int api_me_get(struct req *r);
int api_me_edit(struct req *r);
int api_actions_list(struct req *r);
int api_actions_export(struct req *r);

/* A user's journal columns and landing page, SPEC §3 (api/prefs.c). */
int api_prefs_get(struct req *r);
int api_prefs_edit(struct req *r);

/* The back office's transactions and cash operations, SPEC §5, §6 (api/transactions.c). */
int api_transactions_search(struct req *r);
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
int api_batches_export(struct req *r);

/* The tree and the contracts, Vision manual §2.3, §9.2 (api/org.c). */
int api_tree(struct req *r);
int api_contracts_list(struct req *r);
int api_contracts_get(struct req *r);

/* The node a request looks at: the user's own (requested 0) or one below it (else
 * ST_NOTFOUND, also for another brand's). Runs on a reader or the writer. */
int api_scope(struct store *st, const struct session *who, int64_t requested, int64_t *out);

/* Home page statistics, SPEC §12 (api/stats.c). */
int api_stats(struct req *r);

/* Liveness (api/health.c). */
int api_health(struct req *r);

#endif
