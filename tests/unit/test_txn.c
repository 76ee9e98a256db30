/*
 * test_txn.c - the transaction rules: every row of SPEC §6's operation table, the 75-day and
 * 7-day limits, amounts equal to and above their bounds, once-only capture, refunds summing
 * to the debit, the pre-acquirer decision, the counting rule of Vision manual §4.1.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "domain/txn.h"

/* 2026-01-15 10:00 UTC (11:00 in Paris). */
#define T0  ((cal_days_from_civil(2026, 1, 15) * 86400 + 10 * 3600) * CAL_US_PER_S)
#define DAY CAL_US_PER_DAY

static struct txn
debit(enum txn_acq acq, int64_t amount)
{
	struct txn t;

	memset(&t, 0, sizeof(t));
	t.id = 42;
	t.brand_id = 1;
	t.shop_id = 2;
	t.type = TXN_DEBIT;
	t.status = TXS_ACCEPTED;
	t.acq = acq;
	t.method = METHOD_VISA;
	t.amount_initial = t.amount_current = amount;
	memcpy(t.currency, "EUR", 4);
	memcpy(t.card_masked, "411111******1111", 17);
	memcpy(t.order_ref, "CMD-1", 6);
	t.created_at = t.accepted_at = t.updated_at = T0;
	return t;
}

/* SPEC §6: which acquirer status allows which operation, on an accepted debit. */
static void
test_operation_table(void **state)
{
	static const enum txn_acq all[] = {ACQ_AWAITING_CAPTURE, ACQ_AWAITING_CONFIRMATION,
	                                   ACQ_TO_SEND,          ACQ_SENT,
	                                   ACQ_DISCARDED,        ACQ_NA};
	static const struct {
		enum txn_op op;
		enum txn_acq allowed; /* the one status that allows it */
	} rows[] = {
	        {OP_CAPTURE, ACQ_AWAITING_CAPTURE},
	        {OP_CANCEL, ACQ_TO_SEND},
	        {OP_REFUND, ACQ_SENT},
	        {OP_SEND, ACQ_TO_SEND},
	};

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		for (size_t a = 0; a < sizeof(all) / sizeof(all[0]); a++) {
			struct txn t = debit(all[a], 1000);

			assert_int_equal(txn_op_check(rows[r].op, &t, 500, T0 + DAY),
			                 all[a] == rows[r].allowed ? DENY_NONE : DENY_WRONG_STATE);
		}
	/* Block card: any transaction with a card, whatever its state. */
	for (size_t a = 0; a < sizeof(all) / sizeof(all[0]); a++) {
		struct txn t = debit(all[a], 1000);

		assert_int_equal(txn_op_check(OP_BLOCK_CARD, &t, 0, T0), DENY_NONE);
		t.card_masked[0] = '\0';
		assert_int_equal(txn_op_check(OP_BLOCK_CARD, &t, 0, T0), DENY_NO_CARD);
	}
}

static void
test_only_accepted_debits(void **state)
{
	static const enum txn_status not_accepted[] = {TXS_REFUSED, TXS_PENDING, TXS_ABANDONED};
	struct txn t;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		t = debit(ACQ_TO_SEND, 1000);
		t.status = not_accepted[i];
		assert_int_equal(txn_op_check(OP_CANCEL, &t, 0, T0), DENY_NOT_ACCEPTED);
		assert_int_equal(txn_op_check(OP_SEND, &t, 0, T0), DENY_NOT_ACCEPTED);
	}
	t = debit(ACQ_TO_SEND, 1000);
	t.type = TXN_CANCELLATION;
	assert_int_equal(txn_op_check(OP_CANCEL, &t, 0, T0), DENY_WRONG_TYPE);
	t = debit(ACQ_SENT, 1000);
	t.type = TXN_REFUND;
	assert_int_equal(txn_op_check(OP_REFUND, &t, 100, T0), DENY_WRONG_TYPE);
	/* A refund to send goes to the bank like a debit. */
	t.acq = ACQ_TO_SEND;
	assert_int_equal(txn_op_check(OP_SEND, &t, 0, T0), DENY_NONE);
	assert_int_equal(txn_op_check(OP_CANCEL, &t, 0, T0), DENY_WRONG_TYPE);
}

/* No capture, cancellation or refund more than 75 days after acceptance (Vision §4.2). */
static void
test_75_days(void **state)
{
	static const struct {
		enum txn_op op;
		enum txn_acq acq;
	} ops[] = {{OP_CAPTURE, ACQ_AWAITING_CAPTURE},
	           {OP_CANCEL, ACQ_TO_SEND},
	           {OP_REFUND, ACQ_SENT}};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct txn t = debit(ops[i].acq, 1000);

		assert_int_equal(txn_op_check(ops[i].op, &t, 100, T0 + 75 * DAY), DENY_NONE);
		/* Day 75 until its last microsecond in Paris (23:59:59.999999). */
		assert_int_equal(
		        txn_op_check(ops[i].op, &t, 100,
		                     cal_business_day_start(cal_business_day(T0) + 76) - 1),
		        DENY_NONE);
		assert_int_equal(txn_op_check(ops[i].op, &t, 100,
		                              cal_business_day_start(cal_business_day(T0) + 76)),
		                 DENY_TOO_LATE);
		assert_int_equal(txn_op_check(ops[i].op, &t, 100, T0 + 200 * DAY), DENY_TOO_LATE);
	}
	/* Send has no such limit. */
	struct txn t = debit(ACQ_TO_SEND, 1000);
	assert_int_equal(txn_op_check(OP_SEND, &t, 0, T0 + 200 * DAY), DENY_NONE);
}

static void
test_75_days_across_a_dst_switch(void **state)
{
	/* Accepted 2026-03-10 23:30 Paris (22:30 UTC, winter); day 75 is 2026-05-24 (summer). */
	int64_t accepted =
	        (cal_days_from_civil(2026, 3, 10) * 86400 + 22 * 3600 + 1800) * CAL_US_PER_S;
	int64_t d75 = cal_days_from_civil(2026, 3, 10) + 75;
	struct txn t = debit(ACQ_TO_SEND, 1000);

	(void)state;
	t.accepted_at = accepted;
	assert_int_equal(txn_op_check(OP_CANCEL, &t, 0, cal_business_day_start(d75 + 1) - 1),
	                 DENY_NONE);
	assert_int_equal(txn_op_check(OP_CANCEL, &t, 0, cal_business_day_start(d75 + 1)),
	                 DENY_TOO_LATE);
}

static void
test_capture_amounts_and_once(void **state)
{
	struct txn t = debit(ACQ_AWAITING_CAPTURE, 15000);

	(void)state;
	assert_int_equal(txn_op_check(OP_CAPTURE, &t, 0, T0), DENY_AMOUNT_INVALID);
	assert_int_equal(txn_op_check(OP_CAPTURE, &t, -1, T0), DENY_AMOUNT_INVALID);
	assert_int_equal(txn_op_check(OP_CAPTURE, &t, 15001, T0), DENY_AMOUNT_TOO_HIGH);
	assert_int_equal(txn_op_check(OP_CAPTURE, &t, 15000, T0), DENY_NONE);
	assert_int_equal(txn_op_check(OP_CAPTURE, &t, 1, T0), DENY_NONE);
	/* Vision §4.2.4: 150 EUR authorized, 100 EUR captured. */
	txn_op_apply(OP_CAPTURE, &t, 10000, T0 + DAY, NULL);
	assert_int_equal(t.acq, ACQ_TO_SEND);
	assert_int_equal(t.amount_initial, 15000);
	assert_int_equal(t.amount_current, 10000);
	assert_int_equal(t.bank_day, cal_business_day(T0 + DAY));
	assert_int_equal(t.updated_at, T0 + DAY);
	/* Once only. */
	assert_int_equal(txn_op_check(OP_CAPTURE, &t, 100, T0 + DAY), DENY_WRONG_STATE);
}

static void
test_cancel(void **state)
{
	struct txn t = debit(ACQ_TO_SEND, 5500);

	(void)state;
	txn_op_apply(OP_CANCEL, &t, 0, T0 + DAY, NULL);
	assert_int_equal(t.type, TXN_CANCELLATION);
	assert_int_equal(t.amount_initial, 5500);
	assert_int_equal(t.amount_current, 0);
	assert_int_equal(t.acq, ACQ_TO_SEND);
	assert_int_equal(txn_op_check(OP_CANCEL, &t, 0, T0 + DAY), DENY_WRONG_TYPE);
	assert_int_equal(t.created_at, T0); /* the date of the transaction does not change */
}

/* Vision §4.2.2: 55 EUR debited, 10 EUR refunded; several refunds up to the debit. */
static void
test_refunds_sum_to_the_debit(void **state)
{
	struct txn t = debit(ACQ_SENT, 5500), rf;

	(void)state;
	t.origin = ORIGIN_HOSTED;
	assert_int_equal(txn_op_check(OP_REFUND, &t, 5501, T0), DENY_AMOUNT_TOO_HIGH);
	assert_int_equal(txn_op_check(OP_REFUND, &t, 0, T0), DENY_AMOUNT_INVALID);
	txn_op_apply(OP_REFUND, &t, 1000, T0 + 5 * DAY, &rf);
	assert_int_equal(t.amount_initial, 5500);
	assert_int_equal(t.amount_current, 4500);
	assert_int_equal(t.amount_refunded, 1000);
	assert_int_equal(rf.type, TXN_REFUND);
	assert_int_equal(rf.status, TXS_ACCEPTED);
	assert_int_equal(rf.acq, ACQ_TO_SEND);
	assert_int_equal(rf.parent_id, 42);
	assert_int_equal(rf.origin, ORIGIN_HOSTED); /* the sale's channel */
	assert_int_equal(rf.id, 0);
	assert_int_equal(rf.amount_initial, 1000);
	assert_int_equal(rf.amount_current, 1000);
	assert_int_equal(rf.created_at, T0 + 5 * DAY); /* dated today */
	assert_int_equal(rf.bank_day, cal_business_day(T0 + 5 * DAY));
	assert_int_equal(rf.brand_id, 1);
	assert_int_equal(rf.shop_id, 2);
	assert_string_equal(rf.currency, "EUR");
	assert_string_equal(rf.card_masked, "411111******1111");
	assert_string_equal(rf.order_ref, "CMD-1");
	assert_int_equal(t.created_at, T0);
	/* The rest exactly, then not one minor unit more. */
	assert_int_equal(txn_op_check(OP_REFUND, &t, 4501, T0 + 6 * DAY), DENY_AMOUNT_TOO_HIGH);
	assert_int_equal(txn_op_check(OP_REFUND, &t, 4500, T0 + 6 * DAY), DENY_NONE);
	txn_op_apply(OP_REFUND, &t, 4500, T0 + 6 * DAY, &rf);
	assert_int_equal(t.amount_current, 0);
	assert_int_equal(t.amount_refunded, 5500);
	assert_int_equal(txn_op_check(OP_REFUND, &t, 1, T0 + 6 * DAY), DENY_AMOUNT_TOO_HIGH);
}

static void
test_send(void **state)
{
	struct txn t = debit(ACQ_TO_SEND, 1000);

	(void)state;
	t.bank_day = cal_business_day(T0) + 4;
	txn_op_apply(OP_SEND, &t, 0, T0 + DAY, NULL);
	assert_int_equal(t.bank_day, cal_business_day(T0 + DAY));
	assert_int_equal(t.acq, ACQ_TO_SEND);
}

/* Sending brings a transaction forward only while its bank day is still to come: one due
 * today (or overdue) goes with today's batch anyway, so the back office does not offer it. */
static void
test_send_brings_forward(void **state)
{
	struct txn t = debit(ACQ_TO_SEND, 1000);
	int64_t today = cal_business_day(T0);

	(void)state;
	t.bank_day = today + 1;
	assert_true(txn_send_brings_forward(&t, T0));
	assert_false(txn_send_brings_forward(&t, cal_business_day_start(today + 1)));
	t.bank_day = today;
	assert_false(txn_send_brings_forward(&t, T0));
	t.bank_day = today - 3;
	assert_false(txn_send_brings_forward(&t, T0));
	/* The last microsecond of the day before its bank day: still ahead. */
	t.bank_day = today + 1;
	assert_true(txn_send_brings_forward(&t, cal_business_day_start(today + 1) - 1));
}

/* An instant given as a UTC civil date and time. */
static int64_t
utc(int y, int m, int d, int hh, int mm, int ss)
{
	return ((cal_days_from_civil(y, m, d) * 86400) + hh * 3600 + mm * 60 + ss) * CAL_US_PER_S;
}

/* SPEC §4, capture "auto": the bank date is the Paris day of the payment plus the deferral
 * days, the payment's own (0 to 30) or else its contract's; Paris midnight is 23:00 UTC in
 * winter and 22:00 UTC in summer, and moves on the days of the EU switch (2026-03-29 and
 * 2026-10-25, at 01:00 UTC). */
static void
test_bank_day(void **state)
{
	const struct {
		int64_t at_us;
		int contract_days, override_days;
		int y, m, d; /* the bank date */
	} rows[] = {
	        /* Winter: midnight in Paris is 23:00 UTC. */
	        {utc(2026, 1, 15, 22, 59, 59) + 999999, 0, -1, 2026, 1, 15},
	        {utc(2026, 1, 15, 23, 0, 0), 0, -1, 2026, 1, 16},
	        {utc(2026, 1, 15, 23, 0, 0), 2, -1, 2026, 1, 18},
	        {utc(2026, 1, 15, 22, 59, 59), 2, 0, 2026, 1, 15}, /* override 0 wins */
	        {utc(2026, 1, 15, 23, 0, 0), 2, 5, 2026, 1, 21},
	        /* Summer: 22:00 UTC. */
	        {utc(2026, 7, 15, 21, 59, 59), 0, -1, 2026, 7, 15},
	        {utc(2026, 7, 15, 22, 0, 0), 0, -1, 2026, 7, 16},
	        {utc(2026, 7, 15, 22, 0, 0), 3, -1, 2026, 7, 19},
	        /* Spring forward, Sunday 2026-03-29: its midnight in winter time, its end in
	         * summer time. */
	        {utc(2026, 3, 28, 22, 59, 59), 0, -1, 2026, 3, 28},
	        {utc(2026, 3, 28, 23, 0, 0), 0, -1, 2026, 3, 29},
	        {utc(2026, 3, 29, 0, 59, 59), 1, -1, 2026, 3, 30},
	        {utc(2026, 3, 29, 1, 0, 0), 1, -1, 2026, 3, 30},
	        {utc(2026, 3, 29, 21, 59, 59), 0, -1, 2026, 3, 29},
	        {utc(2026, 3, 29, 22, 0, 0), 0, -1, 2026, 3, 30},
	        /* Fall back, Sunday 2026-10-25: its midnight in summer time, its end in winter
	         * time. */
	        {utc(2026, 10, 24, 21, 59, 59), 0, -1, 2026, 10, 24},
	        {utc(2026, 10, 24, 22, 0, 0), 0, -1, 2026, 10, 25},
	        {utc(2026, 10, 25, 22, 59, 59), 0, -1, 2026, 10, 25},
	        {utc(2026, 10, 25, 23, 0, 0), 0, -1, 2026, 10, 26},
	        /* Deferral across the end of a month and of a year. */
	        {utc(2026, 12, 31, 22, 59, 59), 30, -1, 2027, 1, 30},
	        {utc(2026, 12, 31, 23, 0, 0), 0, 30, 2027, 1, 31},
	        {utc(2026, 2, 27, 12, 0, 0), 0, 2, 2026, 3, 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(
		        txn_bank_day(rows[i].at_us, rows[i].contract_days, rows[i].override_days),
		        cal_days_from_civil(rows[i].y, rows[i].m, rows[i].d));
}

/* Vision §4.1.1: which combinations count on the home page. */
static void
test_counting_rule(void **state)
{
	static const struct {
		enum txn_type type;
		enum txn_status status;
		enum txn_acq acq;
		bool counts;
	} rows[] = {
	        {TXN_DEBIT, TXS_ACCEPTED, ACQ_SENT, true},
	        {TXN_DEBIT, TXS_ACCEPTED, ACQ_TO_SEND, true},
	        {TXN_DEBIT, TXS_ACCEPTED, ACQ_AWAITING_CAPTURE, false},
	        {TXN_DEBIT, TXS_REFUSED, ACQ_NA, false},
	        {TXN_REFUND, TXS_ACCEPTED, ACQ_SENT, true},
	        {TXN_REFUND, TXS_ACCEPTED, ACQ_TO_SEND, true},
	        {TXN_REFUND, TXS_REFUSED, ACQ_NA, false},
	        {TXN_CANCELLATION, TXS_ACCEPTED, ACQ_SENT, false},
	        {TXN_CANCELLATION, TXS_ACCEPTED, ACQ_TO_SEND, false},
	        {TXN_CANCELLATION, TXS_REFUSED, ACQ_NA, false},
	        {TXN_DEBIT, TXS_PENDING, ACQ_AWAITING_CONFIRMATION, false},
	        {TXN_DEBIT, TXS_ABANDONED, ACQ_DISCARDED, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(txn_counts(rows[i].type, rows[i].status, rows[i].acq),
		                 rows[i].counts);
}

static void
test_three_d_secure(void **state)
{
	static const struct {
		enum card_method m;
		bool tds;
		enum tds_auth auth;
		enum tds_guarantee g;
	} rows[] = {
	        {METHOD_VISA, true, TDS_Y, TDS_GUAR_YES},
	        {METHOD_VISA, true, TDS_A, TDS_GUAR_YES},
	        {METHOD_VISA, true, TDS_U, TDS_GUAR_NO},
	        {METHOD_VISA, true, TDS_N, TDS_GUAR_NO},
	        {METHOD_CB, true, TDS_Y, TDS_GUAR_YES},
	        {METHOD_MASTERCARD, true, TDS_A, TDS_GUAR_YES},
	        {METHOD_EBLEUE, true, TDS_Y, TDS_GUAR_YES},
	        {METHOD_AMEX, true, TDS_Y, TDS_GUAR_NA},
	        {METHOD_JCB, true, TDS_Y, TDS_GUAR_NA},
	        {METHOD_PAYPAL, false, TDS_NONE, TDS_GUAR_NA},
	        {METHOD_VISA, false, TDS_NONE, TDS_GUAR_NA},
	};
	int64_t seven = TXN_3DS_GUARANTEE_DAYS * DAY;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(tds_guarantee_of(rows[i].m, rows[i].tds, rows[i].auth), rows[i].g);
	/* The guarantee lasts 7 days. */
	assert_string_equal(tds_view(true, true, T0, T0), "yes");
	assert_string_equal(tds_view(true, true, T0, T0 + seven), "yes");
	assert_string_equal(tds_view(true, true, T0, T0 + seven + 1), "yes_expired");
	assert_string_equal(tds_view(true, false, T0, T0 + 30 * DAY), "yes");
	assert_string_equal(tds_view(false, false, T0, T0), "no");
}

static void
test_precheck(void **state)
{
	struct precheck p = {
	        .amount = 100,
	        .currency = "EUR",
	        .contract_active = true,
	        .contract_currency = "EUR",
	        .amount_min = 100,
	        .amount_max = 500000,
	        .expiry_month = 1,
	        .expiry_year = 2026,
	        .now_us = T0,
	};

	(void)state;
	assert_int_equal(txn_precheck(&p), REFUSAL_NONE); /* equal to the minimum */
	p.amount = 99;
	assert_int_equal(txn_precheck(&p), REFUSAL_AMOUNT_BELOW_MIN);
	p.amount = 500000;
	assert_int_equal(txn_precheck(&p), REFUSAL_NONE); /* equal to the maximum */
	p.amount = 500001;
	assert_int_equal(txn_precheck(&p), REFUSAL_AMOUNT_ABOVE_MAX);
	p.amount = 1000;
	p.card_blocked = true;
	assert_int_equal(txn_precheck(&p), REFUSAL_CARD_NOT_ALLOWED);
	p.card_blocked = false;
	p.expiry_month = 12;
	p.expiry_year = 2025;
	assert_int_equal(txn_precheck(&p), REFUSAL_CARD_EXPIRED);
	p.expiry_month = 1;
	p.expiry_year = 2026;
	p.currency = "USD";
	assert_int_equal(txn_precheck(&p), REFUSAL_CURRENCY);
	p.contract_active = false;
	assert_int_equal(txn_precheck(&p), REFUSAL_CONTRACT_INACTIVE);
	/* The card month is judged in Paris: 31 Jan 23:30 UTC is already February there. */
	p.contract_active = true;
	p.currency = "EUR";
	p.now_us = (cal_days_from_civil(2026, 1, 31) * 86400 + 23 * 3600 + 1800) * CAL_US_PER_S;
	assert_int_equal(txn_precheck(&p), REFUSAL_CARD_EXPIRED);
}

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(txn_acq_parse(txn_acq_name(ACQ_AWAITING_CAPTURE)), ACQ_AWAITING_CAPTURE);
	assert_int_equal(txn_acq_parse(txn_acq_name(ACQ_NA)), ACQ_NA);
	assert_int_equal(txn_type_parse("cancellation"), TXN_CANCELLATION);
	assert_int_equal(txn_status_parse("abandoned"), TXS_ABANDONED);
	assert_int_equal(txn_status_parse("ACCEPTED"), -1);
	assert_int_equal(tds_auth_parse("A"), TDS_A);
	assert_int_equal(tds_auth_parse(""), -1);
	for (int r = REFUSAL_NONE + 1; r < REFUSAL__COUNT; r++) {
		assert_string_equal(refusal_code((enum refusal)refusal_parse(refusal_code(r))),
		                    refusal_code((enum refusal)r));
		assert_true(strlen(refusal_message((enum refusal)r)) > 0);
	}
	assert_string_equal(refusal_code(REFUSAL_CARD_NOT_ALLOWED), "card_not_allowed");
	/* SPEC §16.1's codes. */
	assert_string_equal(refusal_code(REFUSAL_AMOUNT_BELOW_MIN), "amount_out_of_range");
	assert_string_equal(refusal_code(REFUSAL_AMOUNT_ABOVE_MAX), "amount_out_of_range");
	assert_string_equal(refusal_code(REFUSAL_DECLINED), "acquirer_refused");
	assert_int_equal(refusal_parse("amount_out_of_range"), REFUSAL_AMOUNT_BELOW_MIN);
	assert_int_equal(refusal_parse("declined"), -1);
	for (int d = DENY_NONE + 1; d < DENY__COUNT; d++)
		assert_true(strlen(op_denial_message((enum op_denial)d)) > 0);
	assert_string_equal(txn_op_name(OP_BLOCK_CARD), "block_card");
}

/* Issue 12: a pending payment's issuer is awaited TXN_PENDING_DAYS, to the microsecond. */
static void
test_pending_abandoned(void **state)
{
	const int64_t asked = 1763645400000000LL, week = 7 * CAL_US_PER_DAY;

	(void)state;
	assert_false(txn_pending_abandoned(asked, asked));
	assert_false(txn_pending_abandoned(asked, asked + week - 1));
	assert_true(txn_pending_abandoned(asked, asked + week));
	assert_true(txn_pending_abandoned(asked, asked + week + 1));
}

/* Issue 12: the origins' names, both ways, and nothing else parses. */
static void
test_origin_names(void **state)
{
	static const char *const names[] = {"api",           "hosted_page",  "paybox_system",
	                                    "paybox_direct", "manual_entry", "recurring"};

	(void)state;
	for (int i = 0; i < ORIGIN__COUNT; i++) {
		assert_string_equal(txn_origin_name((enum txn_origin)i), names[i]);
		assert_int_equal(txn_origin_parse(names[i]), i);
	}
	assert_int_equal(txn_origin_parse(""), -1);
	assert_int_equal(txn_origin_parse("API"), -1);
	assert_int_equal(txn_origin_parse("hosted"), -1);
	assert_string_equal(txn_origin_name(ORIGIN__COUNT), "api");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_origin_names),
	        cmocka_unit_test(test_operation_table),
	        cmocka_unit_test(test_only_accepted_debits),
	        cmocka_unit_test(test_75_days),
	        cmocka_unit_test(test_75_days_across_a_dst_switch),
	        cmocka_unit_test(test_capture_amounts_and_once),
	        cmocka_unit_test(test_cancel),
	        cmocka_unit_test(test_refunds_sum_to_the_debit),
	        cmocka_unit_test(test_send),
	        cmocka_unit_test(test_send_brings_forward),
	        cmocka_unit_test(test_bank_day),
	        cmocka_unit_test(test_counting_rule),
	        cmocka_unit_test(test_three_d_secure),
	        cmocka_unit_test(test_precheck),
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_pending_abandoned),
	};

	return cmocka_run_group_tests_name("txn", tests, NULL, NULL);
}
