/*
 * stats.c - the home page's activity statistics (SPEC §12, Vision manual §3): count and
 * turnover for a period, per payment method (amount, count, maximum, average basket) and per
 * day, read from the daily roll-ups only.
 *
 * Turnover = debits - refunds of what counts (Vision manual §4.1.1); the count is the number
 * of debits and refunds that count; the average basket is debits over their count, rounded
 * to the nearest minor unit (money_average). The same figures for all methods together sit
 * at the top level (amount, max, average_basket), beside count and turnover.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/json.h"
#include "api/query.h"
#include "domain/calendar.h"
#include "domain/money.h"

#define STATS_DAYS_MAX 800 /* 13 months and more; a longer period is refused */

struct per_method {
	int64_t count, debit_count, debit_amount, refund_amount, max;
};

struct stats_job {
	struct http_job base; /* first */
	struct session who;
	int64_t from_day, to_day;
	int64_t node; /* node=ID, else 0: the user's own */
	struct per_method total[METHOD__COUNT];
	json_t *daily;   /* [{date, count, turnover}] */
	int64_t cur_day; /* the day being summed */
	int64_t day_count[METHOD__COUNT], day_turnover[METHOD__COUNT]; /* the day's, per method */
};

static void
stats_free(struct http_job *hj)
{
	struct stats_job *j = (struct stats_job *)hj;

	json_decref(j->daily);
	free(j);
}

static void
flush_day(struct stats_job *j)
{
	char date[11];
	json_t *methods;
	int64_t count = 0, turnover = 0;

	if (j->cur_day == 0)
		return;
	methods = json_array();
	cal_date_format(j->cur_day, date);
	for (int m = 0; m < METHOD__COUNT; m++) {
		count += j->day_count[m];
		turnover += j->day_turnover[m];
		if (j->day_count[m] != 0 || j->day_turnover[m] != 0)
			json_array_append_new(
			        methods, json_pack("{s:s, s:I, s:I}", "payment_method",
			                           card_method_name((enum card_method)m), "count",
			                           (json_int_t)j->day_count[m], "turnover",
			                           (json_int_t)j->day_turnover[m]));
	}
	json_array_append_new(j->daily, json_pack("{s:s, s:I, s:I, s:o}", "date", date, "count",
	                                          (json_int_t)count, "turnover",
	                                          (json_int_t)turnover, "by_method", methods));
	memset(j->day_count, 0, sizeof(j->day_count));
	memset(j->day_turnover, 0, sizeof(j->day_turnover));
}

static int
stats_row(void *arg, const struct stats_row *r)
{
	struct stats_job *j = arg;
	struct per_method *m;

	if ((unsigned)r->method >= METHOD__COUNT)
		return ST_OK;
	if (r->day != j->cur_day) {
		flush_day(j);
		j->cur_day = r->day;
	}
	m = &j->total[r->method];
	m->count += r->count;
	j->day_count[r->method] += r->count;
	j->day_turnover[r->method] += r->type == TXN_DEBIT ? r->amount : -r->amount;
	if (r->type == TXN_DEBIT) {
		m->debit_count += r->count;
		m->debit_amount += r->amount;
		if (r->max_amount > m->max)
			m->max = r->max_amount;
	} else {
		m->refund_amount += r->amount;
	}
	return ST_OK;
}

static int
stats_run(struct work_job *w, struct store *st)
{
	struct stats_job *j = (struct stats_job *)w;
	int rc;

	int64_t node;

	j->daily = json_array();
	rc = api_scope(st, &j->who, j->node, &node);
	if (rc == ST_OK)
		rc = st->ops->stats_each(st, j->who.brand_id, node, j->from_day, j->to_day,
		                         stats_row, j);
	flush_day(j);
	return rc;
}

static void
stats_respond(struct http_job *hj, struct req *r)
{
	struct stats_job *j = (struct stats_job *)hj;
	json_t *by_method = json_array();
	int64_t count = 0, turnover = 0, amount = 0, debits = 0, max = 0;

	if (j->base.work.rc != ST_OK) {
		json_decref(by_method);
		http_reply_error(r, j->base.work.rc, NULL, NULL);
		return;
	}
	for (int m = 0; m < METHOD__COUNT; m++) {
		const struct per_method *p = &j->total[m];

		if (p->count == 0)
			continue;
		count += p->count;
		turnover += p->debit_amount - p->refund_amount;
		amount += p->debit_amount;
		debits += p->debit_count;
		if (p->max > max)
			max = p->max;
		json_array_append_new(
		        by_method,
		        json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "payment_method",
		                  card_method_name((enum card_method)m), "count",
		                  (json_int_t)p->count, "turnover",
		                  (json_int_t)(p->debit_amount - p->refund_amount), "amount",
		                  (json_int_t)p->debit_amount, "max", (json_int_t)p->max,
		                  "average_basket",
		                  (json_int_t)money_average(p->debit_amount, p->debit_count)));
	}
	http_reply_json(r, 200,
	                json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "count", (json_int_t)count,
	                          "turnover", (json_int_t)turnover, "amount", (json_int_t)amount,
	                          "max", (json_int_t)max, "average_basket",
	                          (json_int_t)money_average(amount, debits), "by_method", by_method,
	                          "daily", j->daily));
	j->daily = NULL;
}

/* GET /bo/api/stats?from=YYYY-MM-DD&to=YYYY-MM-DD[&node=ID]: Paris days, both included. */
int
api_stats(struct req *r)
{
	static const char *const allowed[] = {"from", "to", "node", NULL};
	struct stats_job *j;
	char from[11] = "", to[11] = "", node[24], bad[24];
	int64_t f, t, node_id = 0;
	int g;

	if (query_unknown(r, allowed, bad, sizeof(bad)) != 0) {
		json_bad_field(r, bad, "Unknown query parameter.");
		return 0;
	}
	if (query_get(r, "from", from, sizeof(from)) != 1 || cal_date_parse(from, &f) != 0 ||
	    query_get(r, "to", to, sizeof(to)) != 1 || cal_date_parse(to, &t) != 0 || f > t ||
	    t - f >= STATS_DAYS_MAX) {
		json_bad_field(
		        r, cal_date_parse(from, &f) != 0 ? "from" : "to",
		        "from and to are required: YYYY-MM-DD, from <= to, at most 800 days.");
		return 0;
	}
	g = query_get(r, "node", node, sizeof(node));
	if (g < 0 || (g == 1 && query_id(node, &node_id) != 0)) {
		json_bad_field(r, "node", "node is the id of a node of your tree.");
		return 0;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		abort();
	j->who = r->session;
	j->from_day = f;
	j->to_day = t;
	j->node = node_id;
	j->base.work.run = stats_run;
	j->base.respond = stats_respond;
	j->base.free = stats_free;
	return http_submit_or_reply(r, &j->base, false);
}
