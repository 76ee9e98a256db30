/*
 * demo.c - the demo brand and its history (demo.h).
 *
 * The history is drawn from a seeded generator (splitmix64), so the same seed and count give
 * the same transactions: a mix of payment methods, amounts, refusals, manual captures,
 * cancellations and refunds over 13 months, each with the history a real one would have.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "domain/calendar.h"
#include "service/risk.h"
#include "tools/demo.h"
#include "tools/demo_settle.h"

#define DEMO_COMMIT_ROWS 250000
#define DEMO_BATCH_ROWS  4096

struct demo_shop {
	struct shop shop;
	int64_t group; /* index into groups */
	int deferral_days;
	int64_t contract[METHOD__COUNT];
	unsigned char key[CRYPTO_HMAC_KEY_LEN];      /* production's */
	unsigned char key_test[CRYPTO_HMAC_KEY_LEN]; /* the test environment's twin shop's */
};

static const char *const demo_groups[] = {"Boutiques France", "Export"};

static struct demo_shop demo_shops[] = {
        {.shop = {.site = "1999888", .rang = "001", .name = "Boutique en ligne"},
         .group = 0,
         .deferral_days = 0},
        {.shop = {.site = "1999888", .rang = "002", .name = "Application mobile"},
         .group = 0,
         .deferral_days = 2},
        {.shop = {.site = "1999889", .rang = "001", .name = "Export Europe"},
         .group = 1,
         .deferral_days = 0},
};
#define DEMO_NSHOPS (sizeof(demo_shops) / sizeof(demo_shops[0]))

static const struct {
	enum card_method method;
	int64_t min, max;
	bool tds;
	int weight; /* share of the history, percent */
} demo_contracts[] = {
        {METHOD_CB, 100, 500000, true, 45},         {METHOD_VISA, 100, 500000, true, 20},
        {METHOD_MASTERCARD, 100, 500000, true, 18}, {METHOD_AMEX, 100, 300000, false, 7},
        {METHOD_PAYPAL, 100, 1000000, false, 10},
};
#define DEMO_NCONTRACTS (sizeof(demo_contracts) / sizeof(demo_contracts[0]))

static const struct {
	const char *login;
	const char *name;
	enum profile profile;
} demo_users[] = {
        {"demo.consultation", "Camille Consultation", PROFILE_CONSULTATION},
        {"demo.action", "Alex Action", PROFILE_ACTION},
        {"demo.admin", "Dominique Admin", PROFILE_ADMIN},
        {"demo.entry", "Eli Saisie", PROFILE_ENTRY},
        {"demo.hmac", "Hugo Integrateur", PROFILE_HMAC},
};

/* Cards the history uses, by method; numbers are sealed, never printed. */
static const char *const demo_cards[][3] = {
        [METHOD_CB] = {"4970100000000006", "5131000000000001", "4000000000003220"},
        [METHOD_VISA] = {"4111111111111111", "4000000000003089", "4000000000003071"},
        [METHOD_MASTERCARD] = {"5555555555554444", "2221000000000009", "5131000000000001"},
        [METHOD_AMEX] = {"378282246310005", "378282246310005", "378282246310005"},
};

static uint64_t
next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint32_t
below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(next(s) % n);
}

/* Another brand than the demo's gets its own SITE numbers and logins, so that several brands
 * can share one database (tests of tenant isolation). */
static void
brand_identity(const char *pspid, char login_prefix[33])
{
	size_t i;

	for (i = 0; pspid[i] != '\0' && i < 32; i++)
		login_prefix[i] = (char)(pspid[i] >= 'A' && pspid[i] <= 'Z' ? pspid[i] - 'A' + 'a'
		                                                            : pspid[i]);
	login_prefix[i] = '\0';
	if (strcmp(pspid, "GUICHETDEMO") == 0)
		snprintf(login_prefix, 33, "demo");
}

static void
brand_sites(const char *pspid)
{
	uint32_t h = 2166136261u;

	if (strcmp(pspid, "GUICHETDEMO") == 0)
		return;
	for (const char *p = pspid; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (size_t i = 0; i < DEMO_NSHOPS; i++)
		snprintf(demo_shops[i].shop.site, sizeof(demo_shops[i].shop.site), "%07u",
		         (unsigned)(2000000 + (h + i) % 7000000));
}

static int
setup_org(struct store *st, const struct crypto_keys *keys, int64_t now, const char *pspid,
          int64_t *brand_id, int64_t *brand_node)
{
	const char *brand_name = strcmp(pspid, "GUICHETDEMO") == 0 ? "Maison Guichet" : pspid;
	const struct store_ops *ops = st->ops;
	struct node brand = {0}, groups[2];
	int rc;

	*brand_id = 0;
	rc = ops->brand_insert(st, brand_id, brand_name, pspid, now);
	if (rc != ST_OK)
		return rc;
	brand.brand_id = *brand_id;
	brand.level = LEVEL_BRAND;
	snprintf(brand.name, sizeof(brand.name), "%s", brand_name);
	rc = ops->node_insert(st, &brand, now);
	*brand_node = brand.id;
	for (size_t g = 0; rc == ST_OK && g < 2; g++) {
		memset(&groups[g], 0, sizeof(groups[g]));
		groups[g].brand_id = *brand_id;
		groups[g].parent_id = brand.id;
		groups[g].level = LEVEL_GROUP;
		snprintf(groups[g].name, sizeof(groups[g].name), "%s", demo_groups[g]);
		rc = ops->node_insert(st, &groups[g], now);
	}
	for (size_t i = 0; rc == ST_OK && i < DEMO_NSHOPS; i++) {
		struct demo_shop *ds = &demo_shops[i];
		struct node n = {0};
		unsigned char sealed[CRYPTO_HMAC_SEALED_LEN];

		n.brand_id = *brand_id;
		n.parent_id = groups[ds->group].id;
		n.level = LEVEL_SHOP;
		snprintf(n.name, sizeof(n.name), "%s", ds->shop.name);
		rc = ops->node_insert(st, &n, now);
		ds->shop.id = n.id;
		ds->shop.brand_id = *brand_id;
		if (rc == ST_OK)
			rc = ops->shop_insert(st, &ds->shop, now);
		for (size_t c = 0; rc == ST_OK && c < DEMO_NCONTRACTS; c++) {
			struct contract k = {0};

			k.brand_id = *brand_id;
			k.shop_id = ds->shop.id;
			k.method = demo_contracts[c].method;
			snprintf(k.number, sizeof(k.number), "%07u%02u",
			         (unsigned)(8000000 + ds->shop.id % 1000000), (unsigned)(c % 100));
			snprintf(k.rang, sizeof(k.rang), "%s", ds->shop.rang);
			snprintf(k.label, sizeof(k.label), "MAISON GUICHET");
			snprintf(k.bank_code, sizeof(k.bank_code), "18206");
			snprintf(k.currency, sizeof(k.currency), "EUR");
			k.amount_min = demo_contracts[c].min;
			k.amount_max = demo_contracts[c].max;
			k.deferral_days = ds->deferral_days;
			k.tds = demo_contracts[c].tds;
			k.active = true;
			snprintf(k.report_email, sizeof(k.report_email),
			         "compta@maison-guichet.example");
			rc = ops->contract_insert(st, &k, now);
			ds->contract[k.method] = k.id;
		}
		crypto_random(ds->key, sizeof(ds->key));
		crypto_hmac_key_seal(sealed, ds->key, *brand_id, ds->shop.id, keys);
		if (rc == ST_OK)
			rc = ops->hmac_key_insert(st, *brand_id, ds->shop.id, "production", sealed,
			                          sizeof(sealed), now);
	}
	return rc;
}

/* The test environment (SPEC §16.1, docs/ENVIRONMENTS.md): the brand's twin, each shop's
 * twin with a key of its own, and no history (the demo plays a live account: its history is
 * production's). */
static int
setup_test_env(struct store *st, const struct crypto_keys *keys, int64_t now, int64_t brand_id)
{
	int64_t twin = 0, twin_brand, twin_shop;
	unsigned char sealed[CRYPTO_HMAC_SEALED_LEN];
	int rc = st->ops->env_twin_make(st, brand_id, now, &twin);

	for (size_t i = 0; rc == ST_OK && i < DEMO_NSHOPS; i++) {
		struct demo_shop *ds = &demo_shops[i];

		rc = st->ops->env_twin_of(st, brand_id, ds->shop.id, &twin_brand, &twin_shop);
		if (rc != ST_OK)
			break;
		crypto_random(ds->key_test, sizeof(ds->key_test));
		crypto_hmac_key_seal(sealed, ds->key_test, twin_brand, twin_shop, keys);
		rc = st->ops->hmac_key_insert(st, twin_brand, twin_shop, "test", sealed,
		                              sizeof(sealed), now);
	}
	return rc;
}

/* Sealed numbers and fingerprints of the demo cards, made once. */
struct sealed_card {
	const char *digits;
	unsigned char fp[CRYPTO_FP_LEN];
	unsigned char sealed[CRYPTO_CARD_SEALED_MAX];
	size_t sealed_len;
};

/* The history's transactions and their lines go to the store in batches
 * (store_ops.txn_rows_write: COPY on PostgreSQL, thousands of rows a round trip). A
 * transaction takes its id as it is drawn (txn_ids_take), so that its lines, its refund and
 * its plan's debit name it at once, and waits here until its batch is written: when the ids
 * taken run out, at each day's start, before a commit and at the end. */
struct demo_out {
	struct store *st;
	struct txn_row *rows; /* DEMO_BATCH_ROWS */
	size_t n;
	struct history *lines;
	size_t nlines, lines_cap;
	int64_t ids[DEMO_BATCH_ROWS]; /* taken; from next on, not given yet */
	int next, nids;
	struct demo_settle *settle; /* the télécollecte's batches and the last authorizations */
};

static int
out_write(struct demo_out *o)
{
	int rc = ST_OK;

	if (o->n > 0 || o->nlines > 0)
		rc = o->st->ops->txn_rows_write(o->st, o->rows, o->n, o->lines, o->nlines);
	o->n = o->nlines = 0;
	return rc;
}

/* Gives t its id and holds it, with its card (none: NULL), for the batch. */
static int
out_txn(struct demo_out *o, struct txn *t, const struct sealed_card *card)
{
	int rc = ST_OK;

	if (o->next == o->nids) {
		/* SQLite's ids go on from the largest written: the batch first. */
		rc = out_write(o);
		if (rc == ST_OK)
			rc = o->st->ops->txn_ids_take(o->st, DEMO_BATCH_ROWS, o->ids);
		o->next = 0;
		o->nids = rc == ST_OK ? DEMO_BATCH_ROWS : 0;
		if (rc != ST_OK)
			return rc;
	}
	t->id = o->ids[o->next++];
	o->rows[o->n++] = (struct txn_row){
	        .t = *t,
	        .fp = card ? card->fp : NULL,
	        .fp_len = card ? CRYPTO_FP_LEN : 0,
	        .sealed = card ? card->sealed : NULL,
	        .sealed_len = card ? card->sealed_len : 0,
	};
	return ST_OK;
}

static int
history(struct demo_out *o, const struct txn *t, const char *action, int64_t at, int64_t amount)
{
	struct history *h;

	if (o->nlines == o->lines_cap) {
		o->lines_cap = o->lines_cap ? 2 * o->lines_cap : 4 * DEMO_BATCH_ROWS;
		o->lines = realloc(o->lines, o->lines_cap * sizeof(*o->lines));
		if (o->lines == NULL)
			abort();
	}
	h = &o->lines[o->nlines++];
	memset(h, 0, sizeof(*h));
	h->brand_id = t->brand_id;
	h->txn_id = t->id;
	h->at = at;
	snprintf(h->action, sizeof(h->action), "%s", action);
	h->amount = amount;
	snprintf(h->currency, sizeof(h->currency), "%s", t->currency);
	return ST_OK;
}

/* A refund of the history waits here until the generator's clock reaches it, so that rows are
 * written in time order, as a live system writes them (ids grow with created_at). A binary
 * min-heap on the refund's instant. */
struct pending_refund {
	int64_t when;
	int64_t amount;
	struct txn debit;
};

struct refund_queue {
	struct pending_refund *v;
	size_t n, cap;
};

static void
refund_push(struct refund_queue *q, const struct pending_refund *r)
{
	size_t i;

	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 1024;
		q->v = realloc(q->v, q->cap * sizeof(*q->v));
		if (q->v == NULL)
			abort();
	}
	for (i = q->n++; i > 0 && q->v[(i - 1) / 2].when > r->when; i = (i - 1) / 2)
		q->v[i] = q->v[(i - 1) / 2];
	q->v[i] = *r;
}

static void
refund_pop(struct refund_queue *q, struct pending_refund *out)
{
	struct pending_refund last = q->v[--q->n];
	size_t i = 0, c;

	*out = q->v[0];
	while ((c = 2 * i + 1) < q->n) {
		if (c + 1 < q->n && q->v[c + 1].when < q->v[c].when)
			c++;
		if (last.when <= q->v[c].when)
			break;
		q->v[i] = q->v[c];
		i = c;
	}
	if (q->n > 0)
		q->v[i] = last;
}

/* Writes the refunds due before the instant until, with their debit's change and history. */
static int
refunds_until(struct demo_out *o, struct refund_queue *q, int64_t until, int64_t now)
{
	struct pending_refund p;
	struct txn rf;
	int64_t sent_day = 0;
	int rc = ST_OK;

	while (rc == ST_OK && q->n > 0 && q->v[0].when < until) {
		refund_pop(q, &p);
		if (txn_op_check(OP_REFUND, &p.debit, p.amount, p.when) != DENY_NONE)
			continue;
		txn_op_apply(OP_REFUND, &p.debit, p.amount, p.when, &rf);
		sent_day = demo_settle_day(rf.bank_day, p.when);
		if (demo_settle_at(sent_day) <= now) {
			rf.acq = ACQ_SENT;
			rc = demo_settle_take(o->settle, o->st, &rf, sent_day);
		}
		/* Its debit came a day or more before, in a batch written when that day ended;
		 * but for one of today's, on a 25-hour day, still held: written first. */
		if (rc == ST_OK && o->n > 0 && p.debit.id >= o->rows[0].t.id)
			rc = out_write(o);
		if (rc == ST_OK)
			rc = o->st->ops->txn_update(o->st, &p.debit);
		if (rc == ST_OK)
			rc = history(o, &p.debit, "refund", p.when, p.amount);
		if (rc == ST_OK)
			rc = out_txn(o, &rf, NULL);
		if (rc == ST_OK)
			rc = history(o, &rf, "creation", p.when, p.amount);
		if (rc == ST_OK && rf.acq == ACQ_SENT)
			rc = history(o, &rf, "bank_sending", demo_settle_at(sent_day), p.amount);
	}
	return rc;
}

/* Draws the transaction of the instant at and writes it with what followed it; a later refund
 * goes into q. */
static int
one_txn(struct demo_out *o, uint64_t *s, int64_t brand_id, int64_t seq, int64_t now, int64_t at,
        bool unsent, struct sealed_card cards[METHOD__COUNT][3], struct refund_queue *q)
{
	struct demo_shop *ds = &demo_shops[below(s, 100) < 60 ? 0 : below(s, 2) + 1];
	struct txn t = {0};
	struct sealed_card *card = NULL;
	uint32_t pick = below(s, 100), acc = 0, roll;
	size_t c = 0;
	int64_t age_days = cal_business_day(now) - cal_business_day(at);
	int64_t sent_day = 0;
	int rc = ST_OK;

	for (c = 0; c < DEMO_NCONTRACTS - 1; c++) {
		acc += (uint32_t)demo_contracts[c].weight;
		if (pick < acc)
			break;
	}
	t.brand_id = brand_id;
	t.shop_id = ds->shop.id;
	t.method = demo_contracts[c].method;
	t.contract_id = ds->contract[t.method];
	t.type = TXN_DEBIT;
	/* Baskets: mostly 15-120 EUR, a long tail up to the contract's maximum. */
	t.amount_initial =
	        500 + (int64_t)below(s, 9000) + (below(s, 10) == 0 ? below(s, 60000) : 0);
	if (below(s, 200) == 0)
		t.amount_initial = demo_contracts[c].max - (int64_t)below(s, 100000);
	t.amount_current = t.amount_initial;
	snprintf(t.currency, sizeof(t.currency), "EUR");
	snprintf(t.order_ref, sizeof(t.order_ref), "CMD-%06" PRId64 "-%04u", seq,
	         (unsigned)below(s, 10000));
	snprintf(t.email, sizeof(t.email), "client%u@example.com", (unsigned)below(s, 50000));
	snprintf(t.customer_country, sizeof(t.customer_country), "%s",
	         below(s, 10) < 8 ? "FR" : (below(s, 2) ? "BE" : "DE"));
	t.created_at = t.updated_at = at;
	snprintf(t.acquirer, sizeof(t.acquirer), "Guichet Simulator");
	if (t.method == METHOD_PAYPAL) {
		snprintf(t.wallet, sizeof(t.wallet), "PAYPAL");
		snprintf(t.card_type, sizeof(t.card_type), "PAYPAL");
	} else {
		card = &cards[t.method][below(s, 3)];
		card_mask(card->digits, t.card_masked);
		snprintf(t.card_expiry, sizeof(t.card_expiry), "%02u%02u", 1 + below(s, 12),
		         (unsigned)(27 + below(s, 4)));
		snprintf(t.card_country, sizeof(t.card_country), "%s",
		         t.method == METHOD_AMEX ? "US" : "FR");
		snprintf(t.issuer, sizeof(t.issuer), "Banque Simulée");
		snprintf(t.card_type, sizeof(t.card_type), "%s", card_method_name(t.method));
		t.tds = demo_contracts[c].tds;
		t.tds_auth = t.tds ? (below(s, 20) == 0 ? TDS_A : TDS_Y) : TDS_NONE;
	}

	roll = below(s, 1000);
	if (roll < 10) {
		/* The holder left the 3-D Secure or PayPal page: nothing was authorized. */
		t.status = TXS_ABANDONED;
		t.acq = ACQ_NA;
		t.amount_current = 0;
	} else if (t.method == METHOD_PAYPAL && age_days < 2 && roll < 60) {
		/* PayPal confirms some payments later: the last two days still have some waiting. */
		t.status = TXS_PENDING;
		t.acq = ACQ_AWAITING_CONFIRMATION;
	} else if (roll < 80) {
		static const enum refusal reasons[] = {REFUSAL_DECLINED, REFUSAL_INSUFFICIENT_FUNDS,
		                                       REFUSAL_CARD_EXPIRED, REFUSAL_3DS_FAILED};

		t.status = TXS_REFUSED;
		t.acq = ACQ_NA;
		t.refusal = reasons[below(s, 4)];
		t.amount_current = 0;
		if (t.refusal == REFUSAL_3DS_FAILED)
			t.tds_auth = t.tds ? TDS_N : TDS_NONE;
	} else {
		t.status = TXS_ACCEPTED;
		t.accepted_at = at;
		t.tds_guaranteed = tds_guarantee_of(t.method, t.tds, t.tds_auth) == TDS_GUAR_YES;
		snprintf(t.auth_number, sizeof(t.auth_number), "%06u", (unsigned)below(s, 1000000));
		t.capture_manual = roll >= 900;
		t.bank_day = cal_business_day(at) + ds->deferral_days;
		/* Sent by the first télécollecte after its bank date and its capture. */
		sent_day = demo_settle_day(t.bank_day,
		                           at + (t.capture_manual ? 3600 * CAL_US_PER_S : 0));
		t.acq = !unsent && demo_settle_at(sent_day) <= now ? ACQ_SENT : ACQ_TO_SEND;
		if (t.capture_manual && age_days < 7 && below(s, 2)) {
			t.acq = ACQ_AWAITING_CAPTURE;
			t.bank_day = 0;
		} else if (t.capture_manual && below(s, 4) == 0) {
			t.amount_current = t.amount_initial -
			                   (int64_t)below(s, (uint32_t)t.amount_initial / 2);
		}
		/* Cancelled before the bank date: recent ones still show "to send", older ones
		 * went out with their settlement as cancellations. */
		if (t.acq != ACQ_AWAITING_CAPTURE && below(s, 50) == 0) {
			t.type = TXN_CANCELLATION;
			t.amount_current = 0;
		} else if (t.acq == ACQ_SENT && below(s, 500) == 0) {
			/* The bank set a few aside from their batch. */
			t.acq = ACQ_DISCARDED;
		}
	}

	if (t.status == TXS_ACCEPTED)
		demo_settle_auth(o->settle, &t);
	if (t.acq == ACQ_SENT && t.type == TXN_DEBIT)
		rc = demo_settle_take(o->settle, o->st, &t, sent_day);
	if (rc == ST_OK)
		rc = out_txn(o, &t, card);
	if (rc == ST_OK)
		rc = history(o, &t, t.capture_manual ? "authorization" : "creation", at,
		             t.amount_initial);
	if (rc == ST_OK && t.capture_manual && t.acq != ACQ_AWAITING_CAPTURE &&
	    t.status == TXS_ACCEPTED)
		rc = history(o, &t, "capture", at + 3600 * CAL_US_PER_S, t.amount_current);
	if (rc == ST_OK && t.type == TXN_CANCELLATION)
		rc = history(o, &t, "cancellation", at + 1800 * CAL_US_PER_S, t.amount_initial);
	if (rc == ST_OK && (t.acq == ACQ_SENT || t.acq == ACQ_DISCARDED) && t.type == TXN_DEBIT)
		rc = history(o, &t, "bank_sending", demo_settle_at(sent_day), t.amount_current);

	/* About 5 % of what was sent is refunded later, in part or in full. */
	if (rc == ST_OK && t.acq == ACQ_SENT && t.type == TXN_DEBIT && below(s, 20) == 0) {
		struct pending_refund p = {.debit = t};

		p.when = t.created_at + (int64_t)(1 + below(s, 20)) * CAL_US_PER_DAY;
		/* Refunded once sent, never before. */
		if (p.when <= demo_settle_at(sent_day))
			p.when = demo_settle_at(sent_day) + 3600 * CAL_US_PER_S;
		p.amount = below(s, 2) ? t.amount_current : t.amount_current / 2 + 1;
		if (p.when < now)
			refund_push(q, &p);
	}
	return rc;
}

/* A little growth over the 13 months, quieter Sundays, a busier December. Whole numbers
 * throughout, so that the last day always ends on n exactly: the same share in floating
 * point, n * c / c, came out one short for some totals c, and one --now in six lost a
 * transaction. The weights stay below 2 * 396 * 10 * 13, their sum below 4.1e7, and n below
 * 1e9 (the command line's cap): the product fits in 64 bits. */
int64_t
demo_share_before(int64_t n, int64_t first_day, int i)
{
	static int64_t cum[DEMO_DAYS + 1];
	static int64_t cum_first = -1;

	if (cum_first != first_day) {
		cum[0] = 0;
		for (int d = 0; d < DEMO_DAYS; d++) {
			int64_t day = first_day + d;
			int y, m, dd;
			int64_t w = DEMO_DAYS + d; /* 1 + d / 396, times 396 */

			cal_civil_from_days(day, &y, &m, &dd);
			w *= ((day + 4) % 7 + 7) % 7 == 0 ? 7 : 10; /* Sundays: 0.7 */
			w *= m == 12 ? 13 : 10;                     /* December: 1.3 */
			cum[d + 1] = cum[d] + w;
		}
		cum_first = first_day;
	}
	return n * cum[i] / cum[DEMO_DAYS];
}

/* --- Installment plans, subscriptions and aliases (SPEC §9, §16.1) -------------------------
 *
 * Their debits are first transactions of the history, taken out of its N: the count stays
 * exactly N whatever --now. They are drawn first (struct demo_plans), each written into the
 * history at its instant as the scheduler would have made it; the plans, subscriptions,
 * aliases and debit rows follow the history, with their state at now. */

#define DEMO_RECURRING_MIN  40    /* fewer transactions: no plan, subscription or alias */
#define DEMO_RECURRING_PER  200   /* one more plan or subscription per so many transactions */
#define DEMO_RECURRING_MAX  20000 /* at most, beside the scripted ones */
#define DEMO_SCHEDULER_HOUR 6     /* the scheduler's round of the demo's past days, Paris */

/* One plan or subscription of the demo, drawn before the history. */
struct demo_rec {
	struct recurring r;
	struct installment v[RECURRING_PLAN_MAX];
	int n;                /* a plan's installments */
	int shop;             /* index into demo_shops */
	int card;             /* index into the method's demo cards */
	bool named;           /* its alias was made by the merchant first (else implicit) */
	int refuse_at;        /* the debit number the issuer refuses (failed); 0: none */
	int64_t terminate_at; /* instant of its termination; 0: none */
};

/* One debit the history makes for a plan or subscription. */
struct demo_debit {
	int64_t at;
	int64_t day;
	int64_t amount;
	int64_t txn_id; /* once written */
	int32_t rec;    /* index into demo_plans.rec */
	int32_t number;
	bool refused;
};

struct demo_plans {
	struct demo_rec *rec;
	size_t nrec;
	struct demo_debit *ev; /* by instant */
	size_t nev, cap, next;
	int64_t today, now, first_day;
	int64_t entry_user, admin_user; /* who entered some in the terminal, who ended some */
	char entry_login[65], admin_login[65];
};

/* An instant of day: at hour:00 plus up to jitter seconds, never after now (today's go
 * somewhere between midnight and now). */
static int64_t
instant_of(uint64_t *s, int64_t day, int hour, uint32_t jitter, int64_t now)
{
	int64_t start = cal_business_day_start(day);
	int64_t at = start + ((int64_t)hour * 3600 + below(s, jitter)) * CAL_US_PER_S;

	if (at > now)
		at = start +
		     (int64_t)((double)(now - start) * (double)(1 + below(s, 999)) / 1000.0);
	return at;
}

static int64_t
day_in(uint64_t *s, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo : lo + (int64_t)below(s, (uint32_t)(hi - lo + 1));
}

static void
debit_push(struct demo_plans *dm, const struct demo_debit *d)
{
	if (dm->nev == dm->cap) {
		dm->cap = dm->cap ? 2 * dm->cap : 256;
		dm->ev = realloc(dm->ev, dm->cap * sizeof(*dm->ev));
		if (dm->ev == NULL)
			abort();
	}
	dm->ev[dm->nev++] = *d;
}

/* Plays rec i from its creation to now, as the service and the scheduler would: its debits
 * into dm->ev, its state at now into its record (recurring_advance's rules). */
static void
rec_play(struct demo_plans *dm, size_t i, uint64_t *s)
{
	struct demo_rec *dr = &dm->rec[i];
	struct recurring *r = &dr->r;
	int64_t created_day = cal_business_day(r->created_at);
	struct demo_debit d = {.rec = (int32_t)i};

	r->done = 0;
	r->status = RS_IN_PROGRESS;
	r->updated_at = r->created_at;
	recurring_advance(r, dr->v, dr->n);
	if (r->kind == RK_SUBSCRIPTION && r->initial_amount > 0) {
		d.at = r->created_at;
		d.day = created_day;
		d.amount = r->initial_amount;
		d.number = 0;
		d.refused = false;
		debit_push(dm, &d);
	}
	while ((r->status == RS_IN_PROGRESS || r->status == RS_WILL_FAIL) && r->next_day != 0 &&
	       r->next_day <= dm->today) {
		/* The first installment of a plan, or a debit starting the day the subscription
		 * was made, is made with it; the others by the scheduler's morning round. */
		d.at = r->next_day == created_day
		               ? r->created_at + (r->kind == RK_SUBSCRIPTION)
		               : instant_of(s, r->next_day, DEMO_SCHEDULER_HOUR, 1800, dm->now);
		if (dr->terminate_at != 0 && dr->terminate_at < d.at)
			break;
		d.day = r->next_day;
		d.amount = r->next_amount;
		d.number = (int32_t)(r->done + 1);
		d.refused = dr->refuse_at == d.number || r->status == RS_WILL_FAIL;
		debit_push(dm, &d);
		r->done++;
		r->updated_at = d.at;
		if (d.refused) {
			r->status = RS_FAILED;
			r->ended_at = d.at;
			r->next_day = r->next_amount = 0;
			snprintf(r->end_reason, sizeof(r->end_reason), "%s",
			         refusal_code(REFUSAL_INSUFFICIENT_FUNDS));
			break;
		}
		recurring_advance(r, dr->v, dr->n);
		if (r->status == RS_FINISHED)
			r->ended_at = d.at;
	}
	if (dr->terminate_at != 0 && (r->status == RS_IN_PROGRESS || r->status == RS_WILL_FAIL)) {
		r->status = RS_TERMINATED;
		r->ended_at = r->updated_at = dr->terminate_at;
		r->next_day = r->next_amount = 0;
		r->ended_by = dm->admin_user;
		snprintf(r->ended_by_login, sizeof(r->ended_by_login), "%s", dm->admin_login);
		snprintf(r->end_reason, sizeof(r->end_reason), "%s",
		         r->kind == RK_SUBSCRIPTION ? "Résiliation demandée par le client"
		                                    : "Commande annulée");
	}
}

/* The card expiry of a card valid for years after today, MMYY. */
static void
expiry_later(uint64_t *s, int64_t today, char out[5])
{
	int y, m, d;

	cal_civil_from_days(today, &y, &m, &d);
	snprintf(out, 5, "%02u%02u", 1 + below(s, 12), (unsigned)((y + 2 + below(s, 4)) % 100));
}

/* Draws the settings of a plan or subscription meant to be in status want at now; a scripted
 * one (the few every demo has) is kept short: a few debits each. */
static void
rec_draw(struct demo_plans *dm, struct demo_rec *dr, enum recurring_kind kind,
         enum recurring_status want, bool scripted, uint64_t *s)
{
	static const enum card_method methods[] = {METHOD_CB, METHOD_CB, METHOD_VISA,
	                                           METHOD_MASTERCARD};
	struct recurring *r = &dr->r;
	int64_t today = dm->today, lo = dm->first_day + 1, c;
	int y, m, d;

	memset(dr, 0, sizeof(*dr));
	r->kind = kind;
	dr->shop = below(s, 100) < 75 ? 0 : 1;
	r->method = methods[below(s, 4)];
	dr->card = (int)below(s, 3);
	dr->named = below(s, 3) == 0;
	snprintf(r->currency, sizeof(r->currency), "EUR");
	snprintf(r->email, sizeof(r->email), "client%u@example.com", (unsigned)below(s, 50000));
	snprintf(r->customer_country, sizeof(r->customer_country), "%s",
	         below(s, 10) < 8 ? "FR" : "BE");
	expiry_later(s, today, r->card_expiry);
	cal_civil_from_days(today, &y, &m, &d);
	if (kind == RK_PLAN) {
		int64_t total = 6000 + (int64_t)below(s, 150000), amounts[RECURRING_PLAN_MAX];
		int gap;

		dr->n = RECURRING_PLAN_MIN + (int)below(s, 3);
		gap = dr->n == RECURRING_PLAN_MAX ? 30 : 28 + (int)below(s, 3);
		if (want == RS_WILL_FAIL) /* made today; its next installment next month */
			dr->n = 2, gap = 31;
		/* The day it was made decides where it stands at now. */
		switch (want) {
		case RS_FINISHED:
			c = day_in(s, lo, today - gap * (dr->n - 1) - 1);
			break;
		case RS_FAILED:
			dr->refuse_at = 2;
			c = day_in(s, lo, today - gap - 1);
			break;
		case RS_WILL_FAIL:
			c = today;
			break;
		default: /* in progress, or terminated before its end */
			c = today - (int64_t)below(s, (uint32_t)(gap * (dr->n - 1)));
			break;
		}
		plan_split(total, dr->n, amounts);
		for (int k = 0; k < dr->n; k++) {
			dr->v[k].day = c + (int64_t)gap * k;
			dr->v[k].amount = amounts[k];
		}
		r->amount = total;
		r->count = dr->n;
		r->start_day = c;
	} else {
		int every = below(s, 100) < 85 ? 1 : (below(s, 4) ? 3 : 12);

		r->amount = 990 + 100 * (int64_t)below(s, 50);
		r->initial_amount = below(s, 4) == 0 ? 1990 + 100 * (int64_t)below(s, 30) : 0;
		/* In progress or ended early: unlimited, or more debits than the history has
		 * months. */
		r->count = below(s, 2) ? 0 : 24;
		switch (want) {
		case RS_FINISHED:
			every = 1;
			r->count = scripted ? 2 : 2 + below(s, 5);
			c = day_in(s, lo, today - 31 * (r->count + 1));
			break;
		case RS_FAILED:
			every = 1;
			dr->refuse_at = scripted ? 2 : 2 + (int)below(s, 3);
			c = day_in(s, lo, today - 31 * (dr->refuse_at + 1));
			break;
		case RS_WILL_FAIL:
			/* Debited this month already, its next debit next month, its card valid
			 * through this one. */
			every = 1;
			c = day_in(s, scripted ? today - 70 : lo, today - 40);
			break;
		default:
			c = day_in(s, scripted ? today - 70 - 30 * (want == RS_IN_PROGRESS) : lo,
			           today);
			break;
		}
		if (scripted && want != RS_IN_PROGRESS)
			r->initial_amount = 0;
		r->every_months = every;
		r->day_of_month = below(s, 10) < 7 ? 0 : 1 + (int)below(s, 31);
		if (r->day_of_month == 0) {
			int cy, cm, cd;

			cal_civil_from_days(c, &cy, &cm, &cd);
			r->day_of_month = cd;
		}
		if (want == RS_WILL_FAIL)
			r->day_of_month = 1 + (int)below(s, (uint32_t)d);
		r->start_day = c;
	}
	if (want == RS_WILL_FAIL)
		snprintf(r->card_expiry, sizeof(r->card_expiry), "%02u%02u", (unsigned)m % 100,
		         (unsigned)y % 100);
	r->created_at = c == today ? instant_of(s, c, 24, 1, dm->now)
	                           : instant_of(s, c, 9, 11 * 3600, dm->now);
	if (want == RS_TERMINATED) {
		int64_t span = dm->now - r->created_at;

		dr->terminate_at = r->created_at + 1 +
		                   (int64_t)((double)span * (double)(100 + below(s, 800)) / 1000.0);
	}
}

static int
rec_created_cmp(const void *a, const void *b)
{
	const struct demo_rec *x = a, *y = b;

	return (x->r.created_at > y->r.created_at) - (x->r.created_at < y->r.created_at);
}

static int
debit_at_cmp(const void *a, const void *b)
{
	const struct demo_debit *x = a, *y = b;

	if (x->at != y->at)
		return (x->at > y->at) - (x->at < y->at);
	if (x->rec != y->rec)
		return (x->rec > y->rec) - (x->rec < y->rec);
	return (x->number > y->number) - (x->number < y->number);
}

/* Draws the plans and subscriptions of a history of n transactions ending at now and plays
 * them: every status of both kinds first, then one more per DEMO_RECURRING_PER. Their
 * debits are fewer than n / 2 (a few percent of a large history). */
static void
plans_draw(struct demo_plans *dm, int64_t n, int64_t now, uint64_t seed)
{
	static const enum recurring_status scripted[] = {RS_FINISHED, RS_IN_PROGRESS, RS_FAILED,
	                                                 RS_TERMINATED, RS_WILL_FAIL};
	const size_t ns = sizeof(scripted) / sizeof(scripted[0]);
	uint64_t s = seed ^ 0x5245435552524E47ULL; /* its own stream: the history's stays */
	size_t extra;

	dm->now = now;
	dm->today = cal_business_day(now);
	dm->first_day = dm->today - DEMO_DAYS + 1;
	if (n < DEMO_RECURRING_MIN)
		return;
	extra = (size_t)(n / DEMO_RECURRING_PER);
	if (extra > DEMO_RECURRING_MAX)
		extra = DEMO_RECURRING_MAX;
	dm->nrec = 2 * ns + extra;
	dm->rec = calloc(dm->nrec, sizeof(*dm->rec));
	if (dm->rec == NULL)
		abort();
	for (size_t i = 0; i < 2 * ns; i++)
		rec_draw(dm, &dm->rec[i], i < ns ? RK_PLAN : RK_SUBSCRIPTION, scripted[i % ns],
		         true, &s);
	for (size_t i = 2 * ns; i < dm->nrec; i++) {
		uint32_t roll = below(&s, 100);
		enum recurring_status want = roll < 50   ? RS_IN_PROGRESS
		                             : roll < 77 ? RS_FINISHED
		                             : roll < 85 ? RS_FAILED
		                             : roll < 98 ? RS_TERMINATED
		                                         : RS_WILL_FAIL;

		rec_draw(dm, &dm->rec[i], below(&s, 2) ? RK_PLAN : RK_SUBSCRIPTION, want, false,
		         &s);
	}
	/* Ids grow with created_at, as on a live server. */
	qsort(dm->rec, dm->nrec, sizeof(*dm->rec), rec_created_cmp);
	for (size_t i = 0; i < dm->nrec; i++) {
		struct recurring *r = &dm->rec[i].r;

		snprintf(r->order_ref, sizeof(r->order_ref), "%s-%06zu",
		         r->kind == RK_PLAN ? "PNF" : "ABO", i + 1);
		rec_play(dm, i, &s);
	}
	qsort(dm->ev, dm->nev, sizeof(*dm->ev), debit_at_cmp);
	if ((int64_t)dm->nev > n / 2) { /* never with these bounds; the count comes first */
		free(dm->rec);
		free(dm->ev);
		dm->rec = NULL;
		dm->ev = NULL;
		dm->nrec = dm->nev = dm->cap = 0;
	}
}

/* Writes the transaction of debit d as the service makes it (payment_create): the plan's
 * card through its alias, its order reference, captured at once. */
static int
debit_write(struct demo_out *o, struct demo_plans *dm, struct demo_debit *d, int64_t brand_id,
            bool unsent, struct sealed_card cards[METHOD__COUNT][3], uint64_t *s)
{
	struct demo_rec *dr = &dm->rec[d->rec];
	struct demo_shop *ds = &demo_shops[dr->shop];
	struct sealed_card *card = &cards[dr->r.method][dr->card];
	struct txn t = {0};
	int64_t sent_day = 0;
	int rc = ST_OK;

	t.brand_id = brand_id;
	t.shop_id = ds->shop.id;
	t.method = (enum card_method)dr->r.method;
	t.contract_id = ds->contract[t.method];
	t.origin = dr->r.manual ? ORIGIN_MANUAL : ORIGIN_RECURRING;
	t.type = TXN_DEBIT;
	t.amount_initial = t.amount_current = d->amount;
	snprintf(t.currency, sizeof(t.currency), "%s", dr->r.currency);
	snprintf(t.order_ref, sizeof(t.order_ref), "%s", dr->r.order_ref);
	snprintf(t.email, sizeof(t.email), "%s", dr->r.email);
	snprintf(t.customer_country, sizeof(t.customer_country), "%s", dr->r.customer_country);
	t.created_at = t.updated_at = d->at;
	snprintf(t.acquirer, sizeof(t.acquirer), "Guichet Simulator");
	card_mask(card->digits, t.card_masked);
	snprintf(t.card_expiry, sizeof(t.card_expiry), "%s", dr->r.card_expiry);
	snprintf(t.card_country, sizeof(t.card_country), "FR");
	snprintf(t.issuer, sizeof(t.issuer), "Banque Simulée");
	snprintf(t.card_type, sizeof(t.card_type), "%s", card_method_name(t.method));
	for (size_t c = 0; c < DEMO_NCONTRACTS; c++)
		if (demo_contracts[c].method == t.method)
			t.tds = demo_contracts[c].tds;
	t.tds_auth = t.tds ? TDS_Y : TDS_NONE;
	if (d->refused) {
		t.status = TXS_REFUSED;
		t.acq = ACQ_NA;
		t.refusal = REFUSAL_INSUFFICIENT_FUNDS;
		t.amount_current = 0;
	} else {
		t.status = TXS_ACCEPTED;
		t.accepted_at = d->at;
		t.tds_guaranteed = tds_guarantee_of(t.method, t.tds, t.tds_auth) == TDS_GUAR_YES;
		snprintf(t.auth_number, sizeof(t.auth_number), "%06u", (unsigned)below(s, 1000000));
		t.bank_day = cal_business_day(d->at) + ds->deferral_days;
		sent_day = demo_settle_day(t.bank_day, d->at);
		t.acq = !unsent && demo_settle_at(sent_day) <= dm->now ? ACQ_SENT : ACQ_TO_SEND;
		demo_settle_auth(o->settle, &t);
	}
	if (t.acq == ACQ_SENT)
		rc = demo_settle_take(o->settle, o->st, &t, sent_day);
	if (rc == ST_OK)
		rc = out_txn(o, &t, card);
	if (rc == ST_OK)
		rc = history(o, &t, "creation", d->at, t.amount_initial);
	if (rc == ST_OK && t.acq == ACQ_SENT)
		rc = history(o, &t, "bank_sending", demo_settle_at(sent_day), t.amount_current);
	d->txn_id = t.id;
	return rc;
}

/* Writes the debits due before until, each after the refunds due before it. */
static int
debits_until(struct demo_out *o, struct demo_plans *dm, struct refund_queue *q, int64_t until,
             int64_t brand_id, bool unsent, struct sealed_card cards[METHOD__COUNT][3], uint64_t *s)
{
	int rc = ST_OK;

	while (rc == ST_OK && dm->next < dm->nev && dm->ev[dm->next].at < until) {
		struct demo_debit *d = &dm->ev[dm->next++];

		rc = refunds_until(o, q, d->at, dm->now);
		if (rc == ST_OK)
			rc = debit_write(o, dm, d, brand_id, unsent, cards, s);
	}
	return rc;
}

/* An alias of the brand for card of method: its public name drawn from s. */
static void
alias_fill(struct card_alias *a, uint64_t *s, int64_t brand_id, int64_t shop_id, int method,
           const struct sealed_card *card, const char *expiry, bool implicit, int64_t at)
{
	memset(a, 0, sizeof(*a));
	a->brand_id = brand_id;
	a->shop_id = shop_id;
	snprintf(a->alias, sizeof(a->alias), "al_%016" PRIx64 "%016" PRIx64, next(s), next(s));
	a->method = method;
	card_mask(card->digits, a->card_masked);
	snprintf(a->card_expiry, sizeof(a->card_expiry), "%s", expiry);
	memcpy(a->card_fp, card->fp, sizeof(a->card_fp));
	memcpy(a->card_sealed, card->sealed, card->sealed_len);
	a->card_sealed_len = card->sealed_len;
	a->implicit = implicit;
	a->created_at = at;
}

/* Writes the aliases, plans, subscriptions and debit rows once their transactions are: each
 * as it stands at now. Three more aliases the merchant made without a plan, one deleted. */
static int
plans_write(struct store *st, struct demo_plans *dm, int64_t brand_id,
            struct sealed_card cards[METHOD__COUNT][3], uint64_t seed)
{
	const struct store_ops *ops = st->ops;
	uint64_t s = seed ^ 0x414C494153455321ULL;
	struct card_alias a;
	int rc = ST_OK;

	if (dm->nrec == 0)
		return ST_OK;
	for (int i = 0; rc == ST_OK && i < 3; i++) {
		enum card_method m = i == 1 ? METHOD_MASTERCARD : METHOD_VISA;
		char expiry[5];

		expiry_later(&s, dm->today, expiry);
		alias_fill(&a, &s, brand_id, demo_shops[0].shop.id, m, &cards[m][i], expiry, false,
		           instant_of(&s, dm->first_day + 30 + 100 * i, 10, 3600, dm->now));
		rc = ops->alias_insert(st, &a);
		if (rc == ST_OK && i == 2)
			rc = ops->alias_delete(st, brand_id, a.alias, dm->now - 2 * CAL_US_PER_DAY);
	}
	for (size_t i = 0; rc == ST_OK && i < dm->nrec; i++) {
		struct demo_rec *dr = &dm->rec[i];
		struct recurring *r = &dr->r, w;
		struct demo_shop *ds = &demo_shops[dr->shop];

		alias_fill(&a, &s, brand_id, ds->shop.id, r->method, &cards[r->method][dr->card],
		           r->card_expiry, !dr->named,
		           dr->named ? r->created_at - (int64_t)(1 + below(&s, 600)) * CAL_US_PER_S
		                     : r->created_at);
		rc = ops->alias_insert(st, &a);
		r->brand_id = brand_id;
		r->shop_id = ds->shop.id;
		r->contract_id = ds->contract[r->method];
		r->alias_id = a.id;
		card_mask(cards[r->method][dr->card].digits, r->card_masked);
		/* One in ten was keyed in the virtual terminal by the entry operator. */
		if (i % 10 == 4) {
			r->manual = true;
			r->created_by = dm->entry_user;
			snprintf(r->created_by_login, sizeof(r->created_by_login), "%s",
			         dm->entry_login);
			snprintf(r->archive_ref, sizeof(r->archive_ref), "TEL-%05u",
			         (unsigned)below(&s, 100000));
		}
		/* An ended one is written in progress, then ended as the service ends it. */
		w = *r;
		if (r->status != RS_IN_PROGRESS && r->status != RS_WILL_FAIL)
			w.status = RS_IN_PROGRESS;
		if (rc == ST_OK)
			rc = ops->recurring_insert(st, &w);
		r->id = w.id;
		if (rc == ST_OK && w.status != r->status)
			rc = ops->recurring_update(st, r, r->done);
		/* A plan's installments are all written at its creation: those not made yet are
		 * planned, or cancelled once it ended. */
		for (int k = (int)r->done; rc == ST_OK && r->kind == RK_PLAN && k < dr->n; k++) {
			struct recurring_debit d = {
			        .brand_id = brand_id,
			        .recurring_id = r->id,
			        .number = k + 1,
			        .day = dr->v[k].day,
			        .amount = dr->v[k].amount,
			        .status = r->status == RS_IN_PROGRESS || r->status == RS_WILL_FAIL
			                          ? DS_PLANNED
			                          : DS_CANCELLED,
			};

			rc = ops->recurring_debit_put(st, &d);
		}
	}
	for (size_t i = 0; rc == ST_OK && i < dm->nev; i++) {
		const struct demo_debit *e = &dm->ev[i];
		struct recurring_debit d = {
		        .brand_id = brand_id,
		        .recurring_id = dm->rec[e->rec].r.id,
		        .number = e->number,
		        .day = e->day,
		        .amount = e->amount,
		        .status = e->refused ? DS_REFUSED : DS_ACCEPTED,
		        .txn_id = e->txn_id,
		};

		rc = ops->recurring_debit_put(st, &d);
	}
	return rc;
}

static void
plans_free(struct demo_plans *dm)
{
	free(dm->rec);
	free(dm->ev);
}

/* --due-subscriptions (bench/recurring.py): n more subscriptions, each with its own implicit
 * alias, all due the day after now and none made yet: unlimited, monthly on that day's
 * date. Written in the demo's large transactions. */
static int
subscriptions_due(struct store *st, int64_t brand_id, const struct demo_options *opt,
                  struct sealed_card cards[METHOD__COUNT][3])
{
	static const enum card_method methods[] = {METHOD_CB, METHOD_VISA, METHOD_MASTERCARD};
	const struct store_ops *ops = st->ops;
	uint64_t s = opt->seed ^ 0x4455455355425321ULL;
	int64_t today = cal_business_day(opt->now_us), n = opt->due_subscriptions;
	int y, m, d, rc = ST_OK;

	cal_civil_from_days(today + 1, &y, &m, &d);
	for (int64_t i = 0; rc == ST_OK && i < n; i++) {
		struct demo_shop *ds = &demo_shops[i % 2];
		enum card_method method = methods[i % 3];
		struct recurring r = {0};
		struct card_alias a;

		r.brand_id = brand_id;
		r.shop_id = ds->shop.id;
		r.contract_id = ds->contract[method];
		r.kind = RK_SUBSCRIPTION;
		r.method = method;
		r.created_at = r.updated_at = opt->now_us - (n - i) * 1000;
		expiry_later(&s, today, r.card_expiry);
		alias_fill(&a, &s, brand_id, ds->shop.id, method, &cards[method][below(&s, 3)],
		           r.card_expiry, true, r.created_at);
		rc = ops->alias_insert(st, &a);
		r.alias_id = a.id;
		snprintf(r.card_masked, sizeof(r.card_masked), "%s", a.card_masked);
		snprintf(r.currency, sizeof(r.currency), "EUR");
		snprintf(r.order_ref, sizeof(r.order_ref), "BENCH-%08" PRId64, i + 1);
		snprintf(r.email, sizeof(r.email), "client%u@example.com",
		         (unsigned)below(&s, 50000));
		snprintf(r.customer_country, sizeof(r.customer_country), "FR");
		r.amount = 990 + 100 * (int64_t)below(&s, 50);
		r.every_months = 1;
		r.day_of_month = d;
		r.start_day = today + 1;
		recurring_advance(&r, NULL, 0);
		if (rc == ST_OK)
			rc = ops->recurring_insert(st, &r);
		if (rc == ST_OK && (i + 1) % DEMO_COMMIT_ROWS == 0) {
			rc = ops->commit(st);
			if (rc == ST_OK)
				rc = ops->begin(st, true);
		}
	}
	return rc;
}

/* Every transaction written so far into the search's trigram index, as the server's indexer
 * job would. */
static int
ref_catch_up(struct store *st)
{
	int done, rc;

	do
		rc = st->ops->txn_ref_catch_up(st, 1000000, &done);
	while (rc == ST_OK && done > 0);
	return rc;
}

/* The history: day after day, each day's transactions in time order from 08:00 to midnight,
 * more in the evening; today's stop at now. */
static int
history_create(struct store *st, uint64_t *s, int64_t brand_id, const struct demo_options *opt,
               struct sealed_card cards[METHOD__COUNT][3], struct demo_plans *dm)
{
	const struct store_ops *ops = st->ops;
	struct refund_queue q = {0};
	struct demo_out o = {.st = st};
	int64_t now = opt->now_us, today = cal_business_day(now);
	int64_t first_day = today - DEMO_DAYS + 1, seq = 0;
	/* The plans' debits are first transactions too: the draws make the rest. */
	int64_t drawn = opt->transactions - (int64_t)dm->nev;
	int rc = ST_OK;

	o.rows = calloc(DEMO_BATCH_ROWS, sizeof(*o.rows));
	if (o.rows == NULL)
		abort();
	o.settle = demo_settle_new();
	for (int d = 0; rc == ST_OK && d < DEMO_DAYS; d++) {
		int64_t lo = demo_share_before(drawn, first_day, d);
		int64_t hi = demo_share_before(drawn, first_day, d + 1);
		int64_t start = cal_business_day_start(first_day + d) + 8 * 3600 * CAL_US_PER_S;
		int64_t span = 16 * 3600 * CAL_US_PER_S;

		/* The days before written: the refunds of this one find their debits. */
		rc = out_write(&o);
		if (start + span > now) { /* today: up to now */
			start = cal_business_day_start(today);
			span = now - start;
		}
		for (int64_t i = 0; rc == ST_OK && i < hi - lo; i++) {
			/* Stratified, then bent towards the evening: still increasing in i. */
			double x =
			        ((double)i + (double)below(s, 1000) / 1000.0) / (double)(hi - lo);
			int64_t at = start + (int64_t)((double)span * pow(x, 0.7));

			rc = debits_until(&o, dm, &q, at, brand_id, opt->unsent, cards, s);
			if (rc == ST_OK)
				rc = refunds_until(&o, &q, at, now);
			if (rc == ST_OK)
				rc = one_txn(&o, s, brand_id, ++seq, now, at, opt->unsent, cards,
				             &q);
			if (rc == ST_OK && seq % DEMO_COMMIT_ROWS == 0) {
				rc = out_write(&o);
				if (rc == ST_OK)
					rc = ref_catch_up(st);
				if (rc == ST_OK)
					rc = ops->commit(st);
				if (rc == ST_OK)
					rc = ops->begin(st, true);
			}
		}
	}
	if (rc == ST_OK)
		rc = debits_until(&o, dm, &q, now + 2, brand_id, opt->unsent, cards, s);
	if (rc == ST_OK)
		rc = refunds_until(&o, &q, now, now);
	if (rc == ST_OK)
		rc = out_write(&o);
	if (rc == ST_OK)
		rc = demo_settle_finish(o.settle, st, now);
	if (rc == ST_OK)
		rc = ref_catch_up(st);
	demo_settle_free(o.settle);
	free(q.v);
	free(o.rows);
	free(o.lines);
	return rc;
}

static int
print_result(const struct demo_options *opt, const char *pspid, char passwords[][24],
             char logins[][65], FILE *out)
{
	json_t *users = json_array(), *shops = json_array(), *o;
	char hex[2 * CRYPTO_HMAC_KEY_LEN + 1], hex_test[2 * CRYPTO_HMAC_KEY_LEN + 1];
	char *s;

	for (size_t i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++)
		json_array_append_new(users, json_pack("{s:s, s:s, s:s}", "login", logins[i],
		                                       "password", passwords[i], "profile",
		                                       profile_name(demo_users[i].profile)));
	for (size_t i = 0; i < DEMO_NSHOPS; i++) {
		crypto_hex(hex, demo_shops[i].key, CRYPTO_HMAC_KEY_LEN);
		crypto_hex(hex_test, demo_shops[i].key_test, CRYPTO_HMAC_KEY_LEN);
		json_array_append_new(shops, json_pack("{s:s, s:s, s:s, s:s, s:s}", "site",
		                                       demo_shops[i].shop.site, "rang",
		                                       demo_shops[i].shop.rang, "name",
		                                       demo_shops[i].shop.name, "hmac_key", hex,
		                                       "hmac_key_test", hex_test));
	}
	crypto_wipe(hex, sizeof(hex));
	crypto_wipe(hex_test, sizeof(hex_test));
	o = json_pack("{s:s, s:o, s:o, s:I}", "pspid", pspid, "users", users, "shops", shops,
	              "transactions", (json_int_t)opt->transactions);
	if (opt->json) {
		s = json_dumps(o, JSON_COMPACT);
		fprintf(out, "%s\n", s);
	} else {
		s = json_dumps(o, JSON_INDENT(2));
		fprintf(out,
		        "Demo created. First sign-in passwords (each user must change it) and "
		        "the shops' HMAC keys, production's (hmac_key) and the test "
		        "environment's (hmac_key_test), shown once:\n%s\n",
		        s);
	}
	free(s);
	json_decref(o);
	return ST_OK;
}

/* A few blocklist entries (SPEC §16.1), at the brand's node, by its administrator: a card
 * (none of the simulator's test cards), a BIN, an e-mail, a country, and one that ended
 * yesterday. */
static int
blocklist_write(struct store *st, const struct crypto_keys *keys, int64_t brand_id, int64_t node,
                int64_t user, int64_t now)
{
	static const struct {
		enum block_kind kind;
		const char *value, *reason;
		int days; /* the entry acts until then; 0: until removed, -1: ended yesterday */
	} demo[] = {
	        {BLOCK_CARD, "4532015112830366", "Impayé contesté deux fois", 0},
	        {BLOCK_BIN, "520000", "Série de cartes utilisées pour des tests de fraude", 90},
	        {BLOCK_EMAIL, "fraude@exemple.invalid", "Adresse d'une commande frauduleuse", 0},
	        {BLOCK_COUNTRY, "KP", "Pays hors de la zone de livraison", 0},
	        {BLOCK_EMAIL, "ancien.litige@exemple.invalid", "Litige réglé", -1},
	};
	char norm[BLOCK_VALUE_MAX + 1];
	int rc = ST_OK;

	for (size_t i = 0; rc == ST_OK && i < sizeof(demo) / sizeof(demo[0]); i++) {
		struct block_entry e = {0};

		if (!block_value_norm(demo[i].kind, demo[i].value, norm, sizeof(norm)))
			return ST_INTERNAL;
		e.brand_id = brand_id;
		e.node_id = node;
		e.kind = demo[i].kind;
		e.key_len = risk_block_key(keys, e.kind, norm, NULL, e.key);
		if (e.kind == BLOCK_CARD)
			card_mask(norm, e.value);
		else
			snprintf(e.value, sizeof(e.value), "%s", norm);
		snprintf(e.reason, sizeof(e.reason), "%s", demo[i].reason);
		e.created_at = now - (int64_t)(i + 1) * 86400 * CAL_US_PER_S;
		if (demo[i].days != 0)
			e.expires_at = cal_business_day_start(cal_business_day(now) + demo[i].days +
			                                      (demo[i].days > 0));
		e.user_id = user;
		rc = st->ops->block_put(st, &e);
	}
	crypto_wipe(norm, sizeof(norm));
	return rc;
}

int
demo_create(struct store *st, const struct crypto_keys *keys, const struct demo_options *opt,
            FILE *out)
{
	const struct store_ops *ops = st->ops;
	struct sealed_card cards[METHOD__COUNT][3];
	char passwords[sizeof(demo_users) / sizeof(demo_users[0])][24];
	char logins[sizeof(demo_users) / sizeof(demo_users[0])][65];
	const char *pspid = opt->pspid ? opt->pspid : "GUICHETDEMO";
	char prefix[33];
	uint64_t s = opt->seed;
	int64_t brand_id = 0, brand_node = 0;
	struct demo_plans dm = {0};
	int rc;

	memset(cards, 0, sizeof(cards));
	for (int m = 0; m < METHOD__COUNT; m++)
		for (int i = 0; i < 3; i++) {
			struct sealed_card *c = &cards[m][i];

			c->digits = m < (int)(sizeof(demo_cards) / sizeof(demo_cards[0]))
			                    ? demo_cards[m][i]
			                    : NULL;
			if (c->digits == NULL)
				continue;
			crypto_card_fingerprint(c->fp, keys, c->digits);
			c->sealed_len = crypto_card_seal(c->sealed, c->digits, 0, keys);
		}

	rc = ops->use_for(st, STORE_USE_BULK);
	if (rc == ST_OK)
		rc = ops->begin(st, true);
	if (rc != ST_OK)
		return rc;
	brand_identity(pspid, prefix);
	brand_sites(pspid);
	rc = setup_org(st, keys, opt->now_us, pspid, &brand_id, &brand_node);
	if (rc == ST_OK)
		rc = setup_test_env(st, keys, opt->now_us, brand_id);
	if (rc == ST_CONFLICT) {
		log_error("event=demo_exists hint=\"this database already has the demo brand\"");
		goto fail;
	}
	/* Card seals are bound to the brand: seal again now that it has an id. */
	for (int m = 0; m < METHOD__COUNT; m++)
		for (int i = 0; i < 3; i++)
			if (cards[m][i].digits != NULL)
				cards[m][i].sealed_len = crypto_card_seal(
				        cards[m][i].sealed, cards[m][i].digits, brand_id, keys);
	for (size_t i = 0; rc == ST_OK && i < sizeof(demo_users) / sizeof(demo_users[0]); i++) {
		struct user u = {0};

		u.brand_id = brand_id;
		u.node_id = brand_node;
		u.profile = demo_users[i].profile;
		u.must_change = true;
		snprintf(u.login, sizeof(u.login), "%s%s", prefix,
		         strchr(demo_users[i].login, '.'));
		snprintf(logins[i], sizeof(logins[i]), "%s", u.login);
		snprintf(u.name, sizeof(u.name), "%s", demo_users[i].name);
		snprintf(u.email, sizeof(u.email), "%s@maison-guichet.example",
		         demo_users[i].login);
		crypto_password_generate(passwords[i], 16);
		rc = crypto_password_hash(u.password_hash, passwords[i]);
		if (rc == ST_OK)
			rc = ops->user_insert(st, &u, opt->now_us);
		if (u.profile == PROFILE_ENTRY) {
			dm.entry_user = u.id;
			snprintf(dm.entry_login, sizeof(dm.entry_login), "%s", u.login);
		} else if (u.profile == PROFILE_ADMIN) {
			dm.admin_user = u.id;
			snprintf(dm.admin_login, sizeof(dm.admin_login), "%s", u.login);
		}
	}
	if (rc == ST_OK) {
		plans_draw(&dm, opt->transactions, opt->now_us, opt->seed);
		rc = history_create(st, &s, brand_id, opt, cards, &dm);
	}
	if (rc == ST_OK)
		rc = plans_write(st, &dm, brand_id, cards, opt->seed);
	if (rc == ST_OK)
		rc = subscriptions_due(st, brand_id, opt, cards);
	if (rc == ST_OK)
		rc = blocklist_write(st, keys, brand_id, brand_node, dm.admin_user, opt->now_us);
	plans_free(&dm);
	if (rc != ST_OK)
		goto fail;
	rc = ops->commit(st);
	if (rc != ST_OK)
		goto fail;
	rc = ops->bulk_done(st);
	if (rc != ST_OK)
		goto fail;
	rc = print_result(opt, pspid, passwords, logins, out);
	crypto_wipe(passwords, sizeof(passwords));
	return rc;
fail:
	ops->rollback(st);
	crypto_wipe(passwords, sizeof(passwords));
	return rc;
}
