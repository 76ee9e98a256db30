/*
 * ppps.c - Paybox Direct, POST /PPPS.php (research/paybox-protocol.md §2): a merchant's server
 * authorizes, captures, cancels and refunds with a form, authenticated by its shop's key, and
 * reads the answer "NUMTRANS=…&NUMAPPEL=…&…&CODEREPONSE=…&COMMENTAIRE=…" in the same exchange.
 *
 * The form is checked on the loop (domain/paybox.h); the operation runs on the writer through
 * the payment services like the merchant API's. Every answer is HTTP 200: the outcome is the
 * CODEREPONSE, which the modules read (research §2.3).
 *
 * Authentication, either (research §2.2): HMAC, every field but HMAC in the order sent, the
 * algorithm of HASH, with the shop's HMAC key (Woo 3.x); or CLE, which Guichet takes to be
 * the shop's HMAC key itself, its 128 hex characters in any case (Paybox's CLE is a password
 * of the back office; Guichet gives a shop no other secret, and one to keep is better than two).
 *
 * NUMQUESTION (research §2.2): a request's answer is kept with its shop, its Paris day and its
 * NUMQUESTION, through the Idempotency-Key memory of the merchant API (api/idem.h, 24 hours):
 * the same request again gets the same answer and pays nothing more; another request with the
 * same number that day gets 00005.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/idem.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "domain/paybox.h"
#include "http/errlog.h"
#include "service/notify.h"
#include "service/payments.h"

struct ppps_job {
	struct http_job base; /* first */
	const struct app *app;
	int64_t brand_id, shop_id;
	struct pbx_direct d;
	struct payment_request prq; /* an authorization's; its card wiped after use */
	struct api_idem idem;
	/* The shop's key (it verified the request), to sign the notification of what is done. */
	unsigned char key[CRYPTO_HMAC_KEY_LEN];
	char *answer; /* heap, the rendered answer */
	/* A refusal of the writer, for the shop's error log (errlog.h): status 0 none. */
	int err_status;
	const char *err_code;
};

/* The answer of a request (research §2.3: the fields in that order). txn_id 0: none. */
static char *
answer_make(const struct pbx_direct *d, const char *site, const char *rang, int64_t numquestion,
            int64_t txn_id, const char *auth, const char *code, const char *comment)
{
	char trans[24] = "", question[24] = "";
	struct pbx_answer_field f[10];
	int n = 0;

	if (txn_id > 0)
		snprintf(trans, sizeof(trans), "%010lld", (long long)txn_id);
	if (numquestion > 0)
		snprintf(question, sizeof(question), "%010lld", (long long)numquestion);
	f[n++] = (struct pbx_answer_field){"NUMTRANS", trans};
	f[n++] = (struct pbx_answer_field){"NUMAPPEL", trans};
	f[n++] = (struct pbx_answer_field){"NUMQUESTION", question};
	f[n++] = (struct pbx_answer_field){"SITE", site};
	f[n++] = (struct pbx_answer_field){"RANG", rang};
	f[n++] = (struct pbx_answer_field){"AUTORISATION", auth};
	f[n++] = (struct pbx_answer_field){"CODEREPONSE", code};
	f[n++] = (struct pbx_answer_field){"COMMENTAIRE", comment};
	if (d != NULL && d->version == 104) {
		/* Direct Plus answers a subscriber's reference and token; none here. */
		f[n++] = (struct pbx_answer_field){"REFABONNE", ""};
		f[n++] = (struct pbx_answer_field){"PORTEUR", ""};
	}
	return pbx_direct_answer(f, n, NULL);
}

static void
reply_answer(struct req *r, const char *answer)
{
	/* Latin-1, as Paybox answers (research §2.3: nexylan re-encodes it to UTF-8). */
	http_reply_text(r, 200, "text/plain; charset=ISO-8859-1", answer, strlen(answer));
}

/* The CODEREPONSE of an operation the services did not do; j's error log entry with it. */
static const char *
operation_code(struct ppps_job *j, int rc, const char *why, const char **comment)
{
	if (rc == ST_NOTFOUND) {
		*comment = "No such transaction for this shop.";
		j->err_status = 404;
		j->err_code = "not_found";
		return "00018";
	}
	j->err_status = 422;
	j->err_code = "refused";
	if (why != NULL && (strcmp(why, op_denial_code(DENY_AMOUNT_INVALID)) == 0 ||
	                    strcmp(why, op_denial_code(DENY_AMOUNT_TOO_HIGH)) == 0)) {
		*comment = "MONTANT is above what this transaction allows.";
		return "00011";
	}
	*comment = "This transaction does not allow this operation now.";
	return "00015";
}

/* The operation itself, on the writer: its answer into j->answer. */
static int
ppps_do(struct ppps_job *j, struct store *st, int64_t now)
{
	struct actor who = {0, "Paybox Direct", ""};
	const struct pbx_direct *d = &j->d;
	const char *why = NULL, *code, *comment = "";
	struct txn t, rf;
	int64_t id = 0;
	enum txn_op op;
	int rc;

	switch (d->type) {
	case PBX_AUTHORIZE:
	case PBX_AUTHORIZE_CAPTURE:
		rc = payment_create(st, j->app->keys, j->app->acquirer, &j->prq, now, &t, &why);
		crypto_wipe(j->prq.digits, sizeof(j->prq.digits));
		if (rc == ST_REFUSED) {
			j->answer = answer_make(d, d->site, d->rang, d->numquestion, 0, "", "00021",
			                        "This shop takes no such card.");
			j->err_status = 422;
			j->err_code = "no_contract";
			return ST_OK;
		}
		/* Accepted or refused, a decision: the shop's server is told (README
		 * "Notifications"), in this transaction. */
		if (rc == ST_OK)
			rc = notify_shop_event(st, &t, NOTIFY_PAYMENT, d->site, d->rang, j->key,
			                       now);
		if (rc != ST_OK)
			return rc;
		id = t.id;
		code = t.status == TXS_ACCEPTED ? "00000" : pbx_error_code(t.refusal);
		comment = t.status == TXS_ACCEPTED ? "Demande traitee avec succes"
		                                   : refusal_message(t.refusal);
		j->answer =
		        answer_make(d, d->site, d->rang, d->numquestion, id,
		                    t.status == TXS_ACCEPTED ? t.auth_number : "", code, comment);
		return ST_OK;
	case PBX_INQUIRY:
		rc = st->ops->txn_get(st, j->brand_id, j->shop_id, d->txn_id, &t);
		if (rc != ST_OK && rc != ST_NOTFOUND)
			return rc;
		if (rc == ST_NOTFOUND) {
			code = operation_code(j, rc, NULL, &comment);
			j->answer = answer_make(d, d->site, d->rang, d->numquestion, 0, "", code,
			                        comment);
		} else {
			j->answer = answer_make(d, d->site, d->rang, d->numquestion, t.id,
			                        t.auth_number, "00000", txn_acq_name(t.acq));
		}
		return ST_OK;
	case PBX_CAPTURE:
		op = OP_CAPTURE;
		break;
	case PBX_CANCEL:
		op = OP_CANCEL;
		break;
	case PBX_REFUND:
		op = OP_REFUND;
		break;
	default:
		return ST_INTERNAL; /* pbx_direct_parse let nothing else through */
	}
	rc = payment_operate(st, j->brand_id, j->shop_id, d->txn_id, op,
	                     op == OP_CANCEL ? 0 : d->amount, &who, now, &t, &rf, &why);
	if (rc == ST_OK) /* a refund's notification tells of the refund's own transaction */
		rc = notify_shop_event(st, op == OP_REFUND ? &rf : &t, notify_event_of(op), d->site,
		                       d->rang, j->key, now);
	if (rc == ST_OK) {
		/* A refund is a transaction of its own: its number is the one to keep. */
		id = op == OP_REFUND ? rf.id : t.id;
		j->answer = answer_make(d, d->site, d->rang, d->numquestion, id, t.auth_number,
		                        "00000", "Demande traitee avec succes");
		return ST_OK;
	}
	if (rc != ST_NOTFOUND && rc != ST_CONFLICT && rc != ST_REFUSED)
		return rc;
	code = operation_code(j, rc, why, &comment);
	j->answer = answer_make(d, d->site, d->rang, d->numquestion, 0, "", code, comment);
	return ST_OK;
}

static int
ppps_run(struct work_job *w, struct store *st)
{
	struct ppps_job *j = (struct ppps_job *)w;
	int64_t now = clock_now_us();
	const char *why = NULL;
	int status = 0;
	int rc;

	rc = api_idem_lookup(st, j->brand_id, j->shop_id, &j->idem, &status, &j->answer, &why);
	if (rc == ST_OK)
		return ST_OK; /* the same request again: the same answer, nothing done twice */
	if (rc == ST_CONFLICT) {
		j->answer = answer_make(&j->d, j->d.site, j->d.rang, j->d.numquestion, 0, "",
		                        "00005", "NUMQUESTION was used today for another request.");
		j->err_status = 409;
		j->err_code = "idempotency_conflict";
		return ST_OK;
	}
	if (rc != ST_NOTFOUND)
		return rc;
	rc = ppps_do(j, st, now);
	if (rc != ST_OK)
		return rc;
	return api_idem_put(st, j->brand_id, j->shop_id, &j->idem, 200, j->answer, now);
}

static void
ppps_respond(struct http_job *hj, struct req *r)
{
	struct ppps_job *j = (struct ppps_job *)hj;
	char *a;

	if (j->base.work.rc == ST_OK && j->answer != NULL) {
		if (j->err_status != 0)
			errlog_add(r->app->errlog, j->brand_id, j->shop_id, clock_now_us(), "POST",
			           r->route->pattern, j->err_status, j->err_code, "");
		reply_answer(r, j->answer);
		return;
	}
	/* Storage failed or the server stops: nothing was done; the modules try again (on
	 * ppps1, research §2.4). */
	a = answer_make(&j->d, j->d.site, j->d.rang, j->d.numquestion, 0, "", "00003",
	                "Try again later.");
	reply_answer(r, a);
	free(a);
}

static void
ppps_free(struct http_job *hj)
{
	struct ppps_job *j = (struct ppps_job *)hj;

	free(j->answer);
	crypto_wipe(j, sizeof(*j));
	free(j);
}

/* Whether the form is the shop's: HMAC (with HASH) when given, else CLE (see the top). */
static bool
authenticated(void *arg, const unsigned char *key)
{
	const struct pbx_form *f = arg;
	const struct pbx_field *mac = pbx_get(f, "HMAC"), *hash = pbx_get(f, "HASH");
	const struct pbx_field *cle = pbx_get(f, "CLE");
	bool ok = false;

	if (mac != NULL) {
		size_t len;
		char *msg;

		if (hash == NULL)
			return false;
		msg = pbx_signed_message(f, "HMAC", &len);
		ok = pbx_hmac_ok(hash->value, key, CRYPTO_HMAC_KEY_LEN, msg, len, mac->value,
		                 mac->value_len);
		free(msg);
	} else if (cle != NULL) {
		unsigned char given[CRYPTO_HMAC_KEY_LEN];

		ok = crypto_unhex(given, sizeof(given), cle->value, cle->value_len) == ST_OK &&
		     crypto_equal(given, key, sizeof(given));
		crypto_wipe(given, sizeof(given));
	}
	return ok;
}

/* Counts a refusal on the loop in the error log of the shop the form names, when one does
 * (the "Bad input"; as the merchant API's, errlog.h): a wrong CLE or HMAC is a
 * bad_signature, anything else about the form an invalid_field. An unknown shop has no log. */
static void
refusal_count(struct req *r, const struct pbx_field *site, const struct pbx_field *rang,
              const char *code)
{
	const unsigned char *key;
	const struct shop_auth *sa;

	if (site == NULL || rang == NULL)
		return;
	sa = shop_cache_find(r->app->shops, site->value, site->value_len, rang->value,
	                     rang->value_len, &key);
	if (sa == NULL)
		return;
	if (strcmp(code, "00006") == 0)
		errlog_add(r->app->errlog, sa->shop.brand_id, sa->shop.id, clock_now_us(), "POST",
		           r->route->pattern, 401, "bad_signature", "");
	else
		errlog_add(r->app->errlog, sa->shop.brand_id, sa->shop.id, clock_now_us(), "POST",
		           r->route->pattern, 400, "invalid_field", "");
}

/* Answers a request refused before the writer (its form or its authentication). */
static int
refuse(struct req *r, const struct pbx_form *f, const struct pbx_direct *d, const char *code,
       const char *comment)
{
	const struct pbx_field *site = pbx_get(f, "SITE"), *rang = pbx_get(f, "RANG");
	char *a;

	refusal_count(r, site, rang, code);

	/* SITE and RANG echoed as given when they did not read (answer_make cleans them). */
	a = answer_make(d,
	                d->site[0] ? d->site
	                : site     ? site->value
	                           : "",
	                d->rang[0] ? d->rang
	                : rang     ? rang->value
	                           : "",
	                d->numquestion, 0, "", code, comment);
	log_info("event=ppps_refused code=%s", code);
	reply_answer(r, a);
	free(a);
	return 0;
}

int
api_ppps(struct req *r)
{
	h2o_iovec_t body = http_body(r);
	const struct shop_auth *sa, *known;
	const unsigned char *key = NULL;
	struct pbx_direct d;
	struct pbx_form f;
	struct ppps_job *j;
	const char *code, *comment = NULL;
	const struct pbx_field *porteur;
	char day[11], numq[24];
	int rc;

	memset(&d, 0, sizeof(d));
	if (pbx_form_parse(&f, body.base, body.len) != ST_OK) {
		memset(&f, 0, sizeof(f));
		return refuse(r, &f, &d, "00014", "The form does not read.");
	}
	code = pbx_direct_parse(&f, &d, &comment);
	if (code != NULL)
		goto refused;
	if (d.reference[0] != '\0' && !text_is_safe(d.reference, strlen(d.reference))) {
		code = "00012";
		comment = "REFERENCE must be UTF-8 text without control characters.";
		goto refused;
	}
	/* The key that verifies picks the environment (SPEC §16.1). */
	sa = shop_cache_verify(r->app->shops, d.site, 7, d.rang, 3, authenticated, &f, &key,
	                       &known);
	if (sa == NULL) {
		code = "00006";
		comment = "Access refused: SITE, RANG, CLE or HMAC.";
		goto refused;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		abort();
	j->app = r->app;
	j->brand_id = sa->shop.brand_id;
	j->shop_id = sa->shop.id;
	j->d = d;
	memcpy(j->key, key, sizeof(j->key));
	j->base.work.run = ppps_run;
	j->base.respond = ppps_respond;
	j->base.free = ppps_free;
	if (d.type == PBX_AUTHORIZE || d.type == PBX_AUTHORIZE_CAPTURE) {
		struct payment_request *p = &j->prq;

		porteur = pbx_get(&f, "PORTEUR");
		p->brand_id = j->brand_id;
		p->shop_id = j->shop_id;
		p->amount = d.amount;
		memcpy(p->currency, d.currency, sizeof(p->currency));
		memcpy(p->order_ref, d.reference, sizeof(p->order_ref));
		if (card_number_normalize(porteur->value, p->digits) != 0) {
			ppps_free(&j->base);
			code = "00004";
			comment = "PORTEUR is not a valid card number.";
			goto refused;
		}
		memcpy(p->expiry, d.expiry, sizeof(p->expiry));
		p->expiry_month = d.expiry_month;
		p->expiry_year = d.expiry_year;
		p->method = d.method;
		p->capture_manual = d.type == PBX_AUTHORIZE;
		p->deferral_days = d.deferral_days;
		p->origin = ORIGIN_PAYBOX_DIRECT;
	}
	/* The day's NUMQUESTION, in a key no Idempotency-Key header can spell (a space). */
	cal_date_format(cal_business_day(clock_now_us()), day);
	snprintf(numq, sizeof(numq), "%010lld", (long long)d.numquestion);
	snprintf(j->idem.key, sizeof(j->idem.key), "PPPS %s %s", day, numq);
	j->idem.has_key = true;
	{
		h2o_iovec_t msg = http_method_path_body(r);

		crypto_request_digest(j->idem.digest, r->app->keys, msg.base, msg.len);
	}
	pbx_form_free(&f);
	rc = http_submit(r, &j->base, true);
	if (rc != ST_OK) {
		char *a = answer_make(&d, d.site, d.rang, d.numquestion, 0, "", "00003",
		                      "Try again later.");

		ppps_free(&j->base);
		reply_answer(r, a);
		free(a);
	}
	return 0;
refused:
	rc = refuse(r, &f, &d, code, comment);
	pbx_form_free(&f);
	return rc;
}
