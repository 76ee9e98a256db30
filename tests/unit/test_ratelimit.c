/*
 * test_ratelimit.c - the rate limit of ratelimit.h: a burst at once, then one event every
 * interval; a refusal says how long to wait and changes nothing; a success given back does
 * not count. Each row is a sequence of events on one key, worked out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "domain/ratelimit.h"

#define S 1000000LL /* one second in µs */

enum op { TAKE, GIVE };

struct step {
	enum op op;
	int64_t at;
	bool allowed;     /* TAKE */
	int64_t retry_us; /* TAKE refused: the wait */
};

static const struct {
	const char *name;
	struct rate_limit rl;
	struct step steps[8];
	int n;
} rows[] = {
        {"a burst of 3 at once, the 4th waits one interval",
         {3, 2 * S},
         {{TAKE, 100 * S, true, 0},
          {TAKE, 100 * S, true, 0},
          {TAKE, 100 * S, true, 0},
          {TAKE, 100 * S, false, 2 * S},
          {TAKE, 102 * S - 1, false, 1},
          {TAKE, 102 * S, true, 0},
          {TAKE, 102 * S, false, 2 * S}},
         7},
        {"a burst of 1: one event each interval",
         {1, 5 * S},
         {{TAKE, 10 * S, true, 0},
          {TAKE, 14 * S, false, 1 * S},
          {TAKE, 15 * S, true, 0},
          {TAKE, 15 * S, false, 5 * S}},
         4},
        {"a whole burst comes back after burst intervals at rest",
         {2, 3 * S},
         {{TAKE, 0, true, 0},
          {TAKE, 0, true, 0},
          {TAKE, 0, false, 3 * S},
          {TAKE, 6 * S, true, 0},
          {TAKE, 6 * S, true, 0},
          {TAKE, 6 * S, false, 3 * S}},
         6},
        {"a success given back does not count",
         {2, 10 * S},
         {{TAKE, 50 * S, true, 0},
          {GIVE, 50 * S, false, 0},
          {TAKE, 50 * S, true, 0},
          {TAKE, 50 * S, true, 0},
          {TAKE, 50 * S, false, 10 * S}},
         5},
        {"giving back never lends ahead: the burst stays the cap",
         {2, 10 * S},
         {{GIVE, 50 * S, false, 0},
          {GIVE, 50 * S, false, 0},
          {TAKE, 50 * S, true, 0},
          {TAKE, 50 * S, true, 0},
          {TAKE, 50 * S, false, 10 * S}},
         5},
        {"refusals do not push the wait further",
         {1, 4 * S},
         {{TAKE, 0, true, 0},
          {TAKE, 1 * S, false, 3 * S},
          {TAKE, 2 * S, false, 2 * S},
          {TAKE, 3 * S, false, 1 * S},
          {TAKE, 4 * S, true, 0}},
         5},
};

static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t tat = 0;

		for (int k = 0; k < rows[i].n; k++) {
			const struct step *s = &rows[i].steps[k];
			int64_t retry = -1;

			if (s->op == GIVE) {
				rate_give_back(&rows[i].rl, &tat, s->at);
				continue;
			}
			if (rate_take(&rows[i].rl, &tat, s->at, &retry) != s->allowed ||
			    retry != s->retry_us)
				fail_msg("%s: step %d: allowed %d, retry %lld", rows[i].name, k,
				         !s->allowed, (long long)retry);
		}
	}
}

/* A key at rest may be forgotten: exactly when its burst is whole again. */
static void
test_idle(void **state)
{
	struct rate_limit rl = {3, 2 * S};
	int64_t tat = 0, retry;

	(void)state;
	assert_true(rate_idle(tat, 0));
	assert_true(rate_take(&rl, &tat, 10 * S, &retry));
	assert_true(rate_take(&rl, &tat, 10 * S, &retry));
	assert_false(rate_idle(tat, 10 * S));
	assert_false(rate_idle(tat, 14 * S - 1));
	assert_true(rate_idle(tat, 14 * S));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
