/*
 * test_sessions.c - the back office's session table (http/sessions.h): the rule of the next
 * sign-in step, row by row and in its order; the session made from its stored rows; and what
 * a server sharing its database does with each request's stored session (session_cache_sync):
 * gone from the store, gone here; taken over on another server, the old one ends here; this
 * server's fresher last use kept. Disconnected (SPEC §3): usable until its idle time after the
 * disconnect, capped by the 12 hours, boundaries included; its use records no use, and the
 * store's disconnect time wins over this server's later readings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/calendar.h"
#include "http/sessions.h"

#define NOW    (1790000000LL * CAL_US_PER_S)
#define DAY_US (86400LL * CAL_US_PER_S)
#define IDLE   (15 * 60 * CAL_US_PER_S)
#define MAX    (12 * 3600 * CAL_US_PER_S)

static void
steps_in_order(void **state)
{
	struct session_steps all = {.must_change = true,
	                            .password_set_at = NOW,
	                            .terms_accepted = 0,
	                            .second_factor = SF_TOTP,
	                            .factor_required = true,
	                            .has_factor = false};

	(void)state;
	assert_int_equal(session_next_step(&all, 1, NOW), NEXT_SECOND_FACTOR);
	all.second_factor = SF_NONE;
	assert_int_equal(session_next_step(&all, 1, NOW), NEXT_CHANGE_PASSWORD);
	all.must_change = false;
	assert_int_equal(session_next_step(&all, 1, NOW), NEXT_ACCEPT_TERMS);
	all.terms_accepted = 1;
	assert_int_equal(session_next_step(&all, 1, NOW), NEXT_SET_UP_SECOND_FACTOR);
	all.has_factor = true;
	assert_int_equal(session_next_step(&all, 1, NOW), NEXT_NONE);
	/* Newer terms come back as a step; the 90 days of a password too (day 90 still holds). */
	assert_int_equal(session_next_step(&all, 2, NOW), NEXT_ACCEPT_TERMS);
	all.password_set_at = NOW - 90 * DAY_US;
	assert_int_equal(session_next_step(&all, 1, NOW), NEXT_NONE);
	all.password_set_at = NOW - 91 * DAY_US;
	assert_int_equal(session_next_step(&all, 1, NOW), NEXT_CHANGE_PASSWORD);
	/* Without the account's requirement, no second factor to set up. */
	all.password_set_at = NOW;
	all.has_factor = false;
	assert_int_equal(session_next_step(&all, 1, NOW), NEXT_SET_UP_SECOND_FACTOR);
	all.factor_required = false;
	assert_int_equal(session_next_step(&all, 1, NOW), NEXT_NONE);
}

static void
rows(struct session_row *row, struct user_auth *ua, int64_t user_id, unsigned char token)
{
	memset(row, 0, sizeof(*row));
	memset(ua, 0, sizeof(*ua));
	row->id = user_id * 10 + token;
	row->brand_id = 1;
	row->user_id = user_id;
	memset(row->token_hash, token, sizeof(row->token_hash));
	memset(row->csrf_hash, token + 100, sizeof(row->csrf_hash));
	snprintf(row->device, sizeof(row->device), "device %u", token);
	row->created_at = row->last_seen_at = NOW - 60 * CAL_US_PER_S;
	ua->u.id = user_id;
	ua->u.brand_id = 1;
	ua->u.profile = PROFILE_ADMIN;
	snprintf(ua->u.login, sizeof(ua->u.login), "user.%lld", (long long)user_id);
	ua->password_set_at = NOW;
	ua->terms_version = 1;
}

static void
session_from_its_rows(void **state)
{
	struct session_row row;
	struct user_auth ua;
	struct session s;

	(void)state;
	rows(&row, &ua, 7, 1);
	ua.second_factor = SF_EMAIL;
	assert_true(session_of_rows(&row, &ua, &s));
	assert_int_equal(s.user_id, 7);
	assert_string_equal(s.device, "device 1");
	assert_string_equal(s.login, "user.7");
	assert_int_equal(s.steps.second_factor, SF_NONE); /* a live session: given already */
	assert_true(s.steps.has_factor);
	assert_int_equal(s.persisted_at, row.last_seen_at);
	/* A sign-in waiting for its code waits on, for the method the user has now… */
	row.second_factor_pending = true;
	assert_true(session_of_rows(&row, &ua, &s));
	assert_int_equal(s.steps.second_factor, SF_EMAIL);
	/* …and is dropped once the user has none (it would end their live session). */
	ua.second_factor = SF_NONE;
	assert_false(session_of_rows(&row, &ua, &s));
}

/* The stored session of (user, token), as session_of_rows makes it. */
static struct session
stored(int64_t user_id, unsigned char token, bool waiting)
{
	struct session_row row;
	struct user_auth ua;
	struct session s;

	rows(&row, &ua, user_id, token);
	row.second_factor_pending = waiting;
	ua.second_factor = waiting ? SF_TOTP : SF_NONE;
	assert_true(session_of_rows(&row, &ua, &s));
	return s;
}

static int
use(struct session_cache *c, unsigned char token, int64_t at, struct session *out)
{
	unsigned char hash[32];
	bool persist, ended;

	memset(hash, token, sizeof(hash));
	return session_cache_use(c, hash, at, IDLE, MAX, out, &persist, &ended);
}

static void
sync_follows_the_store(void **state)
{
	struct session_cache *c = session_cache_new();
	struct session a = stored(7, 1, false), b = stored(7, 2, false), w = stored(7, 3, true);
	struct session out;
	unsigned char hash[32];

	(void)state;
	session_cache_terms_seen(c, 1);
	/* Signed in on another server: unknown here until the store is read. */
	assert_int_equal(use(c, 1, NOW, &out), ST_AUTH);
	session_cache_sync(c, a.token_hash, &a);
	assert_int_equal(use(c, 1, NOW, &out), ST_OK);
	assert_int_equal(out.last_seen_at, NOW);
	/* Read again with the store's older last use: this server's later one stays. */
	session_cache_sync(c, a.token_hash, &a);
	assert_int_equal(use(c, 1, NOW + IDLE, &out), ST_OK); /* idle 15 min from NOW: not over */
	/* A sign-in waiting for its code elsewhere (just now) leaves the live one… */
	w.last_seen_at = NOW + IDLE;
	session_cache_sync(c, w.token_hash, &w);
	assert_int_equal(use(c, 1, NOW + IDLE, &out), ST_OK);
	assert_int_equal(use(c, 3, NOW + IDLE, &out), ST_OK);
	assert_int_equal(out.next, NEXT_SECOND_FACTOR);
	/* …a session taken over on another server ends it here, the waiting one with it. */
	b.last_seen_at = NOW + IDLE;
	session_cache_sync(c, b.token_hash, &b);
	assert_int_equal(use(c, 1, NOW + IDLE, &out), ST_AUTH);
	assert_int_equal(use(c, 3, NOW + IDLE, &out), ST_AUTH);
	assert_int_equal(use(c, 2, NOW + IDLE, &out), ST_OK);
	assert_string_equal(out.device, "device 2");
	/* Signed out on another server: gone from the store, gone here. */
	memset(hash, 2, sizeof(hash));
	session_cache_sync(c, hash, NULL);
	assert_int_equal(use(c, 2, NOW + IDLE, &out), ST_AUTH);
	session_cache_free(c);
}

/* SPEC §3: the idle time after the last use, capped by the 12 hours of life. */
static void
usable_until_rows(void **state)
{
	static const struct {
		int64_t created, last, idle, until;
	} rows_[] = {
	        /* Fresh: the idle time decides (15 min default, 2 h at most). */
	        {NOW, NOW, IDLE, NOW + IDLE},
	        {NOW, NOW + 3600 * CAL_US_PER_S, IDLE, NOW + 3600 * CAL_US_PER_S + IDLE},
	        {NOW, NOW, 7200 * CAL_US_PER_S, NOW + 7200 * CAL_US_PER_S},
	        /* Near its 12 hours: they decide. */
	        {NOW, NOW + MAX - 60 * CAL_US_PER_S, IDLE, NOW + MAX},
	        {NOW, NOW + MAX - IDLE, IDLE, NOW + MAX},         /* both at once */
	        {NOW, NOW + MAX - IDLE - 1, IDLE, NOW + MAX - 1}, /* the idle time, by 1 us */
	        {NOW, NOW + MAX, IDLE, NOW + MAX},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows_) / sizeof(rows_[0]); i++)
		assert_int_equal(
		        session_usable_until(rows_[i].created, rows_[i].last, rows_[i].idle, MAX),
		        rows_[i].until);
}

static void
disconnected_until_its_idle_time(void **state)
{
	struct session_cache *c = session_cache_new();
	struct session a = stored(7, 1, false), out;
	int64_t at = NOW + 60 * CAL_US_PER_S;

	(void)state;
	session_cache_terms_seen(c, 1);
	session_cache_put(c, &a);
	assert_int_equal(use(c, 1, NOW, &out), ST_OK);
	assert_false(out.disconnected);
	session_cache_set_disconnected(c, a.token_hash, true, at, NULL);
	/* Its uses (refused by the server) record none: the boundary stays at + IDLE. */
	assert_int_equal(use(c, 1, at + IDLE - 1, &out), ST_OK);
	assert_true(out.disconnected);
	assert_int_equal(out.last_seen_at, at);
	assert_int_equal(use(c, 1, at + IDLE, &out), ST_OK);
	assert_int_equal(out.last_seen_at, at);
	/* Resumed: a new CSRF token, its last use the resume's. */
	memset(a.csrf_hash, 0xee, sizeof(a.csrf_hash));
	session_cache_set_disconnected(c, a.token_hash, false, at + IDLE, a.csrf_hash);
	assert_int_equal(use(c, 1, at + IDLE + 1, &out), ST_OK);
	assert_false(out.disconnected);
	assert_memory_equal(out.csrf_hash, a.csrf_hash, sizeof(a.csrf_hash));
	/* Disconnected again, then one microsecond past its idle time: ended. */
	session_cache_set_disconnected(c, a.token_hash, true, at + IDLE + 1, NULL);
	assert_int_equal(use(c, 1, at + 2 * IDLE + 2, &out), ST_AUTH);
	session_cache_free(c);
}

static void
sync_keeps_the_disconnect_time(void **state)
{
	struct session_cache *c = session_cache_new();
	struct session a = stored(7, 1, false), out;

	(void)state;
	session_cache_terms_seen(c, 1);
	session_cache_sync(c, a.token_hash, &a);
	assert_int_equal(use(c, 1, NOW + 60 * CAL_US_PER_S, &out), ST_OK); /* later than stored */
	/* Disconnected on another server at NOW: its last use is that, not this server's. */
	a.disconnected = true;
	a.last_seen_at = NOW;
	session_cache_sync(c, a.token_hash, &a);
	assert_int_equal(use(c, 1, NOW + IDLE, &out), ST_OK);
	assert_true(out.disconnected);
	assert_int_equal(out.last_seen_at, NOW);
	assert_int_equal(use(c, 1, NOW + IDLE + 1, &out), ST_AUTH);
	session_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(steps_in_order),
	        cmocka_unit_test(session_from_its_rows),
	        cmocka_unit_test(sync_follows_the_store),
	        cmocka_unit_test(usable_until_rows),
	        cmocka_unit_test(disconnected_until_its_idle_time),
	        cmocka_unit_test(sync_keeps_the_disconnect_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
