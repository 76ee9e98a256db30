/*
 * risk.c - the blocklist and the fraud filters in the payment decision (risk.h).
 */
#include <string.h>

#include "domain/calendar.h"
#include "service/risk.h"

size_t
risk_block_key(const struct crypto_keys *keys, enum block_kind k, const char *norm,
               const unsigned char fp[CRYPTO_FP_LEN], unsigned char *out)
{
	size_t n;

	out[0] = (unsigned char)k;
	if (k == BLOCK_CARD) {
		if (fp != NULL)
			memcpy(out + 1, fp, CRYPTO_FP_LEN);
		else
			crypto_card_fingerprint(out + 1, keys, norm);
		return 1 + CRYPTO_FP_LEN;
	}
	n = strnlen(norm, BLOCK_KEY_MAX - 1);
	memcpy(out + 1, norm, n);
	return 1 + n;
}

int
risk_blocked(struct store *st, const struct crypto_keys *keys, const struct risk_payment *p,
             bool *blocked)
{
	unsigned char card[BLOCK_KEY_MAX], bin6[16], bin8[16], email[BLOCK_KEY_MAX], country[8];
	char norm[BLOCK_VALUE_MAX + 1], b[9];
	struct block_key k[5] = {{card, 0}, {bin6, 0}, {bin8, 0}, {email, 0}, {country, 0}};

	k[0].len = risk_block_key(keys, BLOCK_CARD, NULL, p->fp, card);
	if (strlen(p->digits) >= 8) {
		memcpy(b, p->digits, 8);
		b[8] = '\0';
		k[2].len = risk_block_key(keys, BLOCK_BIN, b, NULL, bin8);
		b[6] = '\0';
		k[1].len = risk_block_key(keys, BLOCK_BIN, b, NULL, bin6);
	}
	if (p->email != NULL && block_value_norm(BLOCK_EMAIL, p->email, norm, sizeof(norm)))
		k[3].len = risk_block_key(keys, BLOCK_EMAIL, norm, NULL, email);
	if (p->customer_country != NULL &&
	    block_value_norm(BLOCK_COUNTRY, p->customer_country, norm, sizeof(norm)))
		k[4].len = risk_block_key(keys, BLOCK_COUNTRY, norm, NULL, country);
	return st->ops->block_match(st, p->brand_id, p->shop_id, k, 5, p->now_us, blocked);
}

int
risk_filter(struct store *st, const struct contract *c, const struct risk_payment *p,
            enum refusal *out)
{
	struct risk_facts x = {
	        .amount = p->amount,
	        .card_country = p->card_country,
	        .customer_country = p->customer_country ? p->customer_country : "",
	};
	int rc;

	if (risk_counts_payments(&c->filters)) {
		rc = st->ops->card_day_count(st, p->brand_id, c->id, p->fp, CRYPTO_FP_LEN,
		                             cal_business_day(p->now_us),
		                             c->filters.max_per_card_day, &x.card_payments_today);
		if (rc != ST_OK)
			return rc;
	}
	*out = risk_check(&c->filters, &x);
	return ST_OK;
}
