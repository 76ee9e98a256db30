/*
 * test_filters.c - the journals' filter values (src/api/filters.c): dates and times in a
 * user's zone, '%' patterns as LIKE patterns, texts, amount comparisons, cursors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/filters.h"
#include "domain/calendar.h"

static void
test_when(void **state)
{
	static const struct {
		const char *in;
		const char *zone;
		bool end;
		int rc;
		const char *utc; /* the instant, as cal_instant_format writes it */
	} rows[] = {
	        /* A day starts at midnight in the zone; as an end, the next midnight. */
	        {"2026-11-20", "Europe/Paris", false, 0, "2026-11-19T23:00:00.000Z"},
	        {"2026-11-20", "Europe/Paris", true, 0, "2026-11-20T23:00:00.000Z"},
	        {"2026-07-01", "Europe/Paris", false, 0, "2026-06-30T22:00:00.000Z"},
	        {"2026-11-20", "America/New_York", false, 0, "2026-11-20T05:00:00.000Z"},
	        /* A time; as an end, its whole second. */
	        {"2026-11-20T14:30", "Europe/Paris", false, 0, "2026-11-20T13:30:00.000Z"},
	        {"2026-11-20T14:30:59", "Europe/Paris", true, 0, "2026-11-20T13:31:00.000Z"},
	        /* The spring day has 23 hours: its end is 23:00 UTC the day before the next. */
	        {"2027-03-28", "Europe/Paris", true, 0, "2027-03-28T22:00:00.000Z"},
	        {"2026-02-30", "Europe/Paris", false, -1, NULL},
	        {"2026-11-20T24:00", "Europe/Paris", false, -1, NULL},
	        {"2026-11-20T14:60", "Europe/Paris", false, -1, NULL},
	        {"2026-11-20 14:30", "Europe/Paris", false, -1, NULL},
	        {"2026-11-20T14", "Europe/Paris", false, -1, NULL},
	        {"2026-11-20T1a:30", "Europe/Paris", false, -1, NULL},
	        {"2026-11", "Europe/Paris", false, -1, NULL},
	        {"", "Europe/Paris", false, -1, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t t = 0;
		char text[32];
		int rc = filter_when(rows[i].in, tz_find(rows[i].zone), rows[i].end, &t);

		assert_int_equal(rc, rows[i].rc);
		if (rc == 0) {
			cal_instant_format(t, text);
			assert_string_equal(text, rows[i].utc);
		}
	}
}

static void
test_like(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
	        {"ABC%", "ABC%"},     {"%ABC%", "%ABC%"}, {"a_b", "a\\_b"}, {"a\\b", "a\\\\b"},
	        {"100%_", "100%\\_"}, {"", ""},           {"__", "\\_\\_"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[32];

		filter_like(rows[i].in, out, sizeof(out));
		assert_string_equal(out, rows[i].out);
	}
	/* Cut short rather than overflow, never half an escape. */
	{
		char out[6];

		filter_like("a_b_c_d", out, sizeof(out));
		assert_string_equal(out, "a\\_");
	}
}

static void
test_text(void **state)
{
	(void)state;
	assert_true(filter_text("buyer@example.com", 255));
	assert_true(filter_text("Commande n° 12", 255));
	assert_false(filter_text("", 255));
	assert_false(filter_text("abc", 3)); /* shorter than cap, the NUL included */
	assert_false(filter_text("a\x01z", 255));
	assert_false(filter_text("a\xe2\x80\xaez", 255)); /* U+202E, right-to-left override */
	assert_false(filter_text("\xff", 255));
}

static void
test_amount(void **state)
{
	static const struct {
		const char *in;
		int rc;
		enum amount_cmp cmp;
		int64_t amount;
	} rows[] = {
	        {"eq:1000", 0, AMOUNT_EQ, 1000},
	        {"ge:0", 0, AMOUNT_GE, 0},
	        {"le:99999999999", 0, AMOUNT_LE, 99999999999},
	        {"ne:5", 0, AMOUNT_NE, 5},
	        {"gt:5", -1, AMOUNT_ANY, 0},
	        {"eq:", -1, AMOUNT_ANY, 0},
	        {"eq:-1", -1, AMOUNT_ANY, 0},
	        {"eq:+1", -1, AMOUNT_ANY, 0},
	        {"eq:1x", -1, AMOUNT_ANY, 0},
	        {"eq:12.50", -1, AMOUNT_ANY, 0},
	        {"eq:1000000000000", -1, AMOUNT_ANY, 0},
	        {"1000", -1, AMOUNT_ANY, 0},
	        {"", -1, AMOUNT_ANY, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum amount_cmp cmp = AMOUNT_ANY;
		int64_t amount = 0;
		int rc = filter_amount(rows[i].in, &cmp, &amount);

		assert_int_equal(rc, rows[i].rc);
		if (rc == 0) {
			assert_int_equal(cmp, rows[i].cmp);
			assert_int_equal(amount, rows[i].amount);
		}
	}
}

static void
test_cursor(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int64_t at, id;
	} rows[] = {
	        {"1795181403000000.4", 0, 1795181403000000, 4},
	        {"1.1", 0, 1, 1},
	        {"abc", -1, 0, 0},
	        {"12", -1, 0, 0},
	        {"12.", -1, 0, 0},
	        {".12", -1, 0, 0},
	        {"0.5", -1, 0, 0},
	        {"12.-5", -1, 0, 0},
	        {"12.5.6", -1, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char v[32];
		int64_t at = 0, id = 0;
		int rc;

		snprintf(v, sizeof(v), "%s", rows[i].in);
		rc = filter_cursor(v, &at, &id);
		assert_int_equal(rc, rows[i].rc);
		if (rc == 0) {
			assert_int_equal(at, rows[i].at);
			assert_int_equal(id, rows[i].id);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_when),   cmocka_unit_test(test_like),
	        cmocka_unit_test(test_text),   cmocka_unit_test(test_amount),
	        cmocka_unit_test(test_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
