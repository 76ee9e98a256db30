/*
 * store_fixture.h - a fresh SQLite store in a temporary file with one brand, one shop under it
 * and one VISA contract, for the unit tests that run the store (the torture of payments, the
 * statistics triggers). Include after <cmocka.h>'s prerequisites.
 */
#ifndef GUICHET_TEST_STORE_FIXTURE_H
#define GUICHET_TEST_STORE_FIXTURE_H

#include <stdint.h>

#include "crypto/crypto.h"
#include "store/store.h"

struct fixture {
	char path[64];
	struct store *st;
	struct crypto_keys keys;
	int64_t brand_id, shop_id, contract_id;
};

/* cmocka setup and teardown: *state is the struct fixture. */
int fixture_setup(void **state);
int fixture_teardown(void **state);

/* The first column of the first row of sql, read through a connection of its own. */
int64_t fixture_count(struct fixture *fx, const char *sql);

/* Sleeps ms milliseconds (the tests that wait for the workers' threads). */
void sleep_ms(int64_t ms);

#endif
