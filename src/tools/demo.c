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
#include "tools/demo.h"

#define DEMO_COMMIT_ROWS 250000

struct demo_shop {
	struct shop shop;
	int64_t group; /* index into groups */
	int deferral_days;
	int64_t contract[METHOD__COUNT];
	unsigned char key[CRYPTO_HMAC_KEY_LEN];
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
			rc = ops->hmac_key_insert(st, *brand_id, ds->shop.id, "test", sealed,
			                          sizeof(sealed), now);
	}
	return rc;
}

static int
history(struct store *st, const struct txn *t, const char *action, int64_t at, int64_t amount)
{
	struct history h = {0};

	h.brand_id = t->brand_id;
	h.txn_id = t->id;
	h.at = at;
	snprintf(h.action, sizeof(h.action), "%s", action);
	h.amount = amount;
	snprintf(h.currency, sizeof(h.currency), "%s", t->currency);
	return st->ops->history_add(st, &h);
}

/* Sealed numbers and fingerprints of the demo cards, made once. */
struct sealed_card {
	const char *digits;
	unsigned char fp[CRYPTO_FP_LEN];
	unsigned char sealed[CRYPTO_CARD_SEALED_MAX];
	size_t sealed_len;
};

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
refunds_until(struct store *st, struct refund_queue *q, int64_t until, int64_t now)
{
	struct pending_refund p;
	struct txn rf;
	int rc = ST_OK;

	while (rc == ST_OK && q->n > 0 && q->v[0].when < until) {
		refund_pop(q, &p);
		if (txn_op_check(OP_REFUND, &p.debit, p.amount, p.when) != DENY_NONE)
			continue;
		txn_op_apply(OP_REFUND, &p.debit, p.amount, p.when, &rf);
		if (cal_business_day(p.when) < cal_business_day(now))
			rf.acq = ACQ_SENT;
		rc = st->ops->txn_update(st, &p.debit);
		if (rc == ST_OK)
			rc = history(st, &p.debit, "refund", p.when, p.amount);
		if (rc == ST_OK)
			rc = st->ops->txn_insert(st, &rf, NULL, 0, NULL, 0);
		if (rc == ST_OK)
			rc = history(st, &rf, "creation", p.when, p.amount);
	}
	return rc;
}

/* Draws the transaction of the instant at and writes it with what followed it; a later refund
 * goes into q. */
static int
one_txn(struct store *st, uint64_t *s, int64_t brand_id, int64_t seq, int64_t now, int64_t at,
        bool unsent, struct sealed_card cards[METHOD__COUNT][3], struct refund_queue *q)
{
	struct demo_shop *ds = &demo_shops[below(s, 100) < 60 ? 0 : below(s, 2) + 1];
	struct txn t = {0};
	struct sealed_card *card = NULL;
	uint32_t pick = below(s, 100), acc = 0, roll;
	size_t c = 0;
	int64_t age_days = cal_business_day(now) - cal_business_day(at);
	int rc;

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
		t.acq = !unsent && t.bank_day <= cal_business_day(now) - 1 ? ACQ_SENT : ACQ_TO_SEND;
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

	rc = st->ops->txn_insert(st, &t, card ? card->fp : NULL, card ? CRYPTO_FP_LEN : 0,
	                         card ? card->sealed : NULL, card ? card->sealed_len : 0);
	if (rc == ST_OK)
		rc = history(st, &t, t.capture_manual ? "authorization" : "creation", at,
		             t.amount_initial);
	if (rc == ST_OK && t.capture_manual && t.acq != ACQ_AWAITING_CAPTURE &&
	    t.status == TXS_ACCEPTED)
		rc = history(st, &t, "capture", at + 3600 * CAL_US_PER_S, t.amount_current);
	if (rc == ST_OK && t.type == TXN_CANCELLATION)
		rc = history(st, &t, "cancellation", at + 1800 * CAL_US_PER_S, t.amount_initial);
	if (rc == ST_OK && (t.acq == ACQ_SENT || t.acq == ACQ_DISCARDED) && t.type == TXN_DEBIT)
		rc = history(st, &t, "bank_sending",
		             cal_business_day_start(t.bank_day) + 22 * 3600 * CAL_US_PER_S,
		             t.amount_current);

	/* About 5 % of what was sent is refunded later, in part or in full. */
	if (rc == ST_OK && t.acq == ACQ_SENT && t.type == TXN_DEBIT && below(s, 20) == 0) {
		struct pending_refund p = {.debit = t};

		p.when = t.created_at + (int64_t)(1 + below(s, 20)) * CAL_US_PER_DAY;
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
               struct sealed_card cards[METHOD__COUNT][3])
{
	const struct store_ops *ops = st->ops;
	struct refund_queue q = {0};
	int64_t now = opt->now_us, today = cal_business_day(now);
	int64_t first_day = today - DEMO_DAYS + 1, seq = 0;
	int rc = ST_OK;

	for (int d = 0; rc == ST_OK && d < DEMO_DAYS; d++) {
		int64_t lo = demo_share_before(opt->transactions, first_day, d);
		int64_t hi = demo_share_before(opt->transactions, first_day, d + 1);
		int64_t start = cal_business_day_start(first_day + d) + 8 * 3600 * CAL_US_PER_S;
		int64_t span = 16 * 3600 * CAL_US_PER_S;

		if (start + span > now) { /* today: up to now */
			start = cal_business_day_start(today);
			span = now - start;
		}
		for (int64_t i = 0; rc == ST_OK && i < hi - lo; i++) {
			/* Stratified, then bent towards the evening: still increasing in i. */
			double x =
			        ((double)i + (double)below(s, 1000) / 1000.0) / (double)(hi - lo);
			int64_t at = start + (int64_t)((double)span * pow(x, 0.7));

			rc = refunds_until(st, &q, at, now);
			if (rc == ST_OK)
				rc = one_txn(st, s, brand_id, ++seq, now, at, opt->unsent, cards,
				             &q);
			if (rc == ST_OK && seq % DEMO_COMMIT_ROWS == 0) {
				rc = ref_catch_up(st);
				if (rc == ST_OK)
					rc = ops->commit(st);
				if (rc == ST_OK)
					rc = ops->begin(st, true);
			}
		}
	}
	if (rc == ST_OK)
		rc = refunds_until(st, &q, now, now);
	if (rc == ST_OK)
		rc = ref_catch_up(st);
	free(q.v);
	return rc;
}

static int
print_result(const struct demo_options *opt, const char *pspid, char passwords[][24],
             char logins[][65], FILE *out)
{
	json_t *users = json_array(), *shops = json_array(), *o;
	char hex[2 * CRYPTO_HMAC_KEY_LEN + 1];
	char *s;

	for (size_t i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++)
		json_array_append_new(users, json_pack("{s:s, s:s, s:s}", "login", logins[i],
		                                       "password", passwords[i], "profile",
		                                       profile_name(demo_users[i].profile)));
	for (size_t i = 0; i < DEMO_NSHOPS; i++) {
		crypto_hex(hex, demo_shops[i].key, CRYPTO_HMAC_KEY_LEN);
		json_array_append_new(shops, json_pack("{s:s, s:s, s:s, s:s}", "site",
		                                       demo_shops[i].shop.site, "rang",
		                                       demo_shops[i].shop.rang, "name",
		                                       demo_shops[i].shop.name, "hmac_key", hex));
	}
	crypto_wipe(hex, sizeof(hex));
	o = json_pack("{s:s, s:o, s:o, s:I}", "pspid", pspid, "users", users, "shops", shops,
	              "transactions", (json_int_t)opt->transactions);
	if (opt->json) {
		s = json_dumps(o, JSON_COMPACT);
		fprintf(out, "%s\n", s);
	} else {
		s = json_dumps(o, JSON_INDENT(2));
		fprintf(out,
		        "Demo created. First sign-in passwords (each user must change it) and "
		        "the shops' test HMAC keys, shown once:\n%s\n",
		        s);
	}
	free(s);
	json_decref(o);
	return ST_OK;
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
	}
	if (rc == ST_OK)
		rc = history_create(st, &s, brand_id, opt, cards);
	if (rc != ST_OK)
		goto fail;
	rc = ops->commit(st);
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
