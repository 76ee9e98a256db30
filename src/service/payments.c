/*
 * payments.c - creating and operating payments (payments.h).
 */
#include <stdio.h>
#include <string.h>

#include "domain/bins.h"
#include "service/payments.h"
#include "service/risk.h"

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static int
history_of(struct store *st, const struct txn *t, const char *action, int64_t amount,
           const struct actor *who, int64_t now_us)
{
	struct history h = {0};

	h.brand_id = t->brand_id;
	h.txn_id = t->id;
	h.at = now_us;
	copy(h.action, sizeof(h.action), action);
	h.amount = amount;
	copy(h.currency, sizeof(h.currency), t->currency);
	if (who != NULL) {
		h.user_id = who->user_id;
		copy(h.user_name, sizeof(h.user_name), who->name ? who->name : "");
		copy(h.user_login, sizeof(h.user_login), who->login ? who->login : "");
	}
	return st->ops->history_add(st, &h);
}

int
payment_contract(struct store *st, int64_t brand_id, int64_t shop_id, enum card_method method,
                 struct contract *c)
{
	int rc = st->ops->contract_find(st, brand_id, shop_id, method, c);

	if (rc == ST_NOTFOUND && (method == METHOD_VISA || method == METHOD_MASTERCARD))
		rc = st->ops->contract_find(st, brand_id, shop_id, METHOD_CB, c);
	return rc;
}

/* The decision on t at now_us, refused (refusal) or accepted: awaiting capture, or to send on
 * the business day deferral_days after. */
static void
decision_apply(struct txn *t, enum refusal refusal, int64_t now_us, int deferral_days)
{
	t->refusal = refusal;
	if (refusal != REFUSAL_NONE) {
		t->status = TXS_REFUSED;
		t->acq = ACQ_NA;
		t->amount_current = 0;
		return;
	}
	t->status = TXS_ACCEPTED;
	t->accepted_at = now_us;
	t->tds_guaranteed = tds_guarantee_of(t->method, t->tds, t->tds_auth) == TDS_GUAR_YES;
	if (t->capture_manual) {
		t->acq = ACQ_AWAITING_CAPTURE;
	} else {
		t->acq = ACQ_TO_SEND;
		t->bank_day = txn_bank_day(now_us, deferral_days, -1);
	}
}

/* The row the confirmation job asks the acquirer again from: ans's reference, when it said,
 * and where the answer is told (rq's late_*). */
static int
pending_add(struct store *st, const struct payment_request *rq, const struct txn *t,
            const struct acq_answer *ans, int deferral_days, int64_t now_us)
{
	struct pending_auth p;

	memset(&p, 0, sizeof(p));
	p.brand_id = t->brand_id;
	p.shop_id = t->shop_id;
	p.txn_id = t->id;
	copy(p.acq_ref, sizeof(p.acq_ref), ans->ref);
	p.asked_at = now_us;
	p.next_at = now_us + ans->ask_after_s * 1000000;
	p.deferral_days = deferral_days;
	if (rq->late_url != NULL && strlen(rq->late_url) >= sizeof(p.notify_url))
		return ST_INVALID; /* hosted_url_ok's limit: never */
	copy(p.notify_url, sizeof(p.notify_url), rq->late_url ? rq->late_url : "");
	p.notify_post = rq->late_post;
	if (rq->late_retour != NULL && strlen(rq->late_retour) >= sizeof(p.pbx_retour))
		return ST_INVALID; /* pbx_retour_parse's limit: never */
	copy(p.pbx_retour, sizeof(p.pbx_retour), rq->late_retour ? rq->late_retour : "");
	return st->ops->pending_put(st, &p);
}

int
payment_create(struct store *st, const struct crypto_keys *keys, const struct acquirer_ops *acq,
               const struct payment_request *rq, int64_t now_us, struct txn *t, const char **why)
{
	struct contract c;
	struct precheck pc = {0};
	struct acq_request ar = {0};
	struct acq_answer ans = {0};
	struct risk_payment rp = {0};
	unsigned char fp[CRYPTO_FP_LEN];
	unsigned char sealed[CRYPTO_CARD_SEALED_MAX];
	size_t sealed_len;
	bool blocked = false;
	enum refusal refusal;
	int deferral, rc;

	*why = NULL;
	memset(t, 0, sizeof(*t));
	rc = payment_contract(st, rq->brand_id, rq->shop_id, rq->method, &c);
	if (rc == ST_NOTFOUND) {
		*why = "no_contract";
		return ST_REFUSED;
	}
	if (rc != ST_OK)
		return rc;

	/* The merchant's rules (service/risk.h) before the acquirer: the blocklist, then the
	 * contract's own (txn_precheck), then its fraud filters, then the acquirer. */
	crypto_card_fingerprint(fp, keys, rq->digits);
	rp.brand_id = rq->brand_id;
	rp.shop_id = rq->shop_id;
	rp.digits = rq->digits;
	rp.fp = fp;
	rp.email = rq->email;
	rp.customer_country = rq->customer_country;
	rp.card_country = bin_country(rq->digits);
	rp.amount = rq->amount;
	rp.now_us = now_us;
	rc = risk_blocked(st, keys, &rp, &blocked);
	if (rc != ST_OK)
		return rc;

	pc.amount = rq->amount;
	pc.currency = rq->currency;
	pc.contract_active = c.active;
	pc.contract_currency = c.currency;
	pc.amount_min = c.amount_min;
	pc.amount_max = c.amount_max;
	pc.card_blocked = blocked;
	pc.expiry_month = rq->expiry_month;
	pc.expiry_year = rq->expiry_year;
	pc.now_us = now_us;
	refusal = txn_precheck(&pc);
	if (refusal == REFUSAL_NONE) {
		rc = risk_filter(st, &c, &rp, &refusal);
		if (rc != ST_OK)
			return rc;
	}
	if (refusal == REFUSAL_NONE) {
		ar.digits = rq->digits;
		ar.method = rq->method;
		ar.amount = rq->amount;
		ar.currency = rq->currency;
		ar.tds_enabled = c.tds;
		ar.tds_challenge_failed = rq->tds_challenge_failed;
		ar.may_pend = rq->may_pend;
		crypto_random(&ar.nonce, sizeof(ar.nonce));
		acq->authorize(&ar, &ans);
		refusal = ans.approved || ans.pending ? REFUSAL_NONE : ans.refusal;
	}

	t->brand_id = rq->brand_id;
	t->shop_id = rq->shop_id;
	t->contract_id = c.id;
	t->type = TXN_DEBIT;
	t->method = c.method;
	t->amount_initial = t->amount_current = rq->amount;
	copy(t->currency, sizeof(t->currency), rq->currency);
	copy(t->order_ref, sizeof(t->order_ref), rq->order_ref);
	copy(t->email, sizeof(t->email), rq->email);
	copy(t->customer_country, sizeof(t->customer_country), rq->customer_country);
	card_mask(rq->digits, t->card_masked);
	copy(t->card_expiry, sizeof(t->card_expiry), rq->expiry);
	copy(t->card_country, sizeof(t->card_country),
	     ans.card_country[0] ? ans.card_country : rp.card_country);
	copy(t->auth_number, sizeof(t->auth_number), ans.auth_number);
	copy(t->acquirer, sizeof(t->acquirer), ans.acquirer[0] ? ans.acquirer : acq->name);
	copy(t->issuer, sizeof(t->issuer), ans.issuer);
	copy(t->card_type, sizeof(t->card_type), ans.card_type);
	t->manual = rq->manual;
	t->origin = rq->manual ? ORIGIN_MANUAL : rq->origin;
	copy(t->archive_ref, sizeof(t->archive_ref), rq->archive_ref);
	t->capture_manual = rq->capture_manual;
	t->tds = ans.tds;
	t->tds_auth = ans.tds_auth;
	t->created_at = t->updated_at = now_us;
	/* The bank day's delay: the payment's own, or its contract's. */
	deferral = rq->deferral_days >= 0 ? rq->deferral_days : c.deferral_days;
	if (refusal == REFUSAL_NONE && ans.pending) {
		t->status = TXS_PENDING;
		t->acq = ACQ_AWAITING_CONFIRMATION;
	} else {
		decision_apply(t, refusal, now_us, deferral);
	}

	sealed_len = crypto_card_seal(sealed, rq->digits, rq->brand_id, keys);
	rc = st->ops->txn_insert(st, t, fp, sizeof(fp), sealed, sealed_len);
	if (rc == ST_OK && t->status == TXS_PENDING)
		rc = pending_add(st, rq, t, &ans, deferral, now_us);
	if (rc == ST_OK)
		rc = history_of(st, t, rq->capture_manual ? "authorization" : "creation",
		                rq->amount, rq->who, now_us);
	if (rc == ST_OK && t->status == TXS_ACCEPTED)
		rc = st->ops->contract_touch_auth(st, c.brand_id, c.id, now_us);
	if (rc == ST_OK)
		store_tally_add(st, PAYMENT_TALLY_DECIDED(t->status, t->origin));
	crypto_wipe(sealed, sizeof(sealed));
	return rc;
}

/* The payment as it is, to be changed: its row held until the transaction ends, so that
 * another server's writer or the télécollecte changing it meanwhile waits for this one
 * (store_ops.txn_lock), which reads what the last of them wrote. */
static int
txn_get_held(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id, struct txn *t)
{
	int rc = st->ops->txn_lock(st, brand_id, id);

	return rc == ST_OK ? st->ops->txn_get(st, brand_id, shop_id, id, t) : rc;
}

/* The pending payment of p as it is: ST_CONFLICT (its row gone all the same) when it is no
 * longer pending. */
static int
pending_get(struct store *st, const struct pending_auth *p, struct txn *t)
{
	int rc = txn_get_held(st, p->brand_id, 0, p->txn_id, t);

	if (rc == ST_OK && t->status != TXS_PENDING)
		rc = st->ops->pending_delete(st, p->brand_id, p->txn_id) == ST_STORE ? ST_STORE
		                                                                     : ST_CONFLICT;
	return rc;
}

int
payment_confirm(struct store *st, const struct pending_auth *p, const struct acq_answer *ans,
                int64_t now_us, struct txn *t)
{
	int rc = pending_get(st, p, t);

	if (rc != ST_OK)
		return rc;
	copy(t->auth_number, sizeof(t->auth_number), ans->auth_number);
	decision_apply(t, ans->approved ? REFUSAL_NONE : ans->refusal, now_us, p->deferral_days);
	t->updated_at = now_us;
	rc = st->ops->txn_update(st, t);
	if (rc == ST_OK)
		rc = history_of(st, t, "confirmation", t->amount_initial, NULL, now_us);
	if (rc == ST_OK && t->status == TXS_ACCEPTED)
		rc = st->ops->contract_touch_auth(st, t->brand_id, t->contract_id, now_us);
	if (rc == ST_OK)
		rc = st->ops->pending_delete(st, p->brand_id, p->txn_id);
	if (rc == ST_OK)
		store_tally_add(st, PAYMENT_TALLY_ENDED(t->status));
	return rc;
}

int
payment_abandon(struct store *st, const struct pending_auth *p, int64_t now_us, struct txn *t)
{
	int rc = pending_get(st, p, t);

	if (rc != ST_OK)
		return rc;
	t->status = TXS_ABANDONED;
	t->acq = ACQ_NA;
	t->amount_current = 0;
	t->updated_at = now_us;
	rc = st->ops->txn_update(st, t);
	if (rc == ST_OK)
		rc = history_of(st, t, "abandonment", t->amount_initial, NULL, now_us);
	if (rc == ST_OK)
		rc = st->ops->pending_delete(st, p->brand_id, p->txn_id);
	if (rc == ST_OK)
		store_tally_add(st, PAYMENT_TALLY_ENDED(TXS_ABANDONED));
	return rc;
}

static const char *const op_actions[] = {
        [OP_CAPTURE] = "capture",   [OP_CANCEL] = "cancellation",     [OP_REFUND] = "refund",
        [OP_SEND] = "bank_sending", [OP_BLOCK_CARD] = "card_blocked",
};

/* Adds the card of t (txn_op_check allowed it) to its shop's blocklist, with its history.
 * Blocked there already: nothing changes (the entry stays as it was). */
static int
block_card(struct store *st, const struct txn *t, const char *reason, int64_t expires_at,
           const struct actor *who, int64_t now_us, const char **why)
{
	struct block_entry e = {0};
	unsigned char fp[CRYPTO_FP_LEN];
	size_t fp_len = 0;
	int rc = st->ops->txn_card_fp(st, t->brand_id, t->id, fp, sizeof(fp), &fp_len);

	/* It had a card (txn_op_check): the retention job erased its fingerprint with the
	 * sealed number (SPEC §14, domain/retention.h). */
	if (rc == ST_NOTFOUND || (rc == ST_OK && fp_len != sizeof(fp))) {
		*why = op_denial_code(DENY_CARD_ERASED);
		return ST_CONFLICT;
	}
	if (rc != ST_OK)
		return rc;
	e.brand_id = t->brand_id;
	e.node_id = t->shop_id;
	e.kind = BLOCK_CARD;
	e.key_len = risk_block_key(NULL, BLOCK_CARD, NULL, fp, e.key);
	copy(e.value, sizeof(e.value), t->card_masked);
	copy(e.reason, sizeof(e.reason), reason ? reason : "");
	e.expires_at = expires_at;
	e.created_at = now_us;
	e.user_id = who ? who->user_id : 0;
	e.txn_id = t->id;
	rc = st->ops->block_put(st, &e);
	if (rc == ST_CONFLICT)
		rc = ST_OK;
	if (rc == ST_OK)
		rc = history_of(st, t, op_actions[OP_BLOCK_CARD], 0, who, now_us);
	return rc;
}

int
payment_block_card(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id,
                   const char *reason, int64_t expires_at, const struct actor *who, int64_t now_us,
                   struct txn *t, const char **why)
{
	enum op_denial deny;
	int rc;

	*why = NULL;
	rc = txn_get_held(st, brand_id, shop_id, id, t);
	if (rc != ST_OK)
		return rc;
	deny = txn_op_check(OP_BLOCK_CARD, t, 0, now_us);
	if (deny != DENY_NONE) {
		*why = op_denial_code(deny);
		return ST_CONFLICT;
	}
	return block_card(st, t, reason, expires_at, who, now_us, why);
}

int
payment_operate(struct store *st, int64_t brand_id, int64_t shop_id, int64_t id, enum txn_op op,
                int64_t amount, const struct actor *who, int64_t now_us, struct txn *t,
                struct txn *refund, const char **why)
{
	struct txn rf;
	enum op_denial deny;
	int rc;

	*why = NULL;
	rc = txn_get_held(st, brand_id, shop_id, id, t);
	if (rc != ST_OK)
		return rc;
	/* No amount: the whole of what the operation may take. */
	if (amount == 0 && op == OP_CAPTURE)
		amount = t->amount_initial;
	if (amount == 0 && op == OP_REFUND)
		amount = t->amount_current;
	deny = txn_op_check(op, t, amount, now_us);
	if (deny != DENY_NONE) {
		*why = op_denial_code(deny);
		return deny == DENY_TOO_LATE || deny == DENY_AMOUNT_INVALID ||
		                       deny == DENY_AMOUNT_TOO_HIGH
		               ? ST_REFUSED
		               : ST_CONFLICT;
	}

	if (op == OP_BLOCK_CARD)
		return block_card(st, t, NULL, 0, who, now_us, why);
	/* Due today already: today's batch takes it, nothing to write. */
	if (op == OP_SEND && !txn_send_brings_forward(t, now_us))
		return ST_OK;
	/* What a history line of a sending or a cancellation says: the amount it concerns. */
	if (op == OP_SEND)
		amount = t->amount_current;

	memset(&rf, 0, sizeof(rf));
	txn_op_apply(op, t, amount, now_us, &rf);
	rc = st->ops->txn_update(st, t);
	if (rc == ST_OK)
		rc = history_of(st, t, op_actions[op], op == OP_CANCEL ? t->amount_initial : amount,
		                who, now_us);
	if (rc == ST_OK && op == OP_REFUND) {
		rc = st->ops->txn_insert(st, &rf, NULL, 0, NULL, 0);
		if (rc == ST_OK)
			rc = history_of(st, &rf, "creation", amount, who, now_us);
		if (rc == ST_OK && refund != NULL)
			*refund = rf;
	}
	return rc;
}
