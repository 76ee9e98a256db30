/*
 * store_fixture.c - the store unit tests' database (store_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store_fixture.h"

int64_t
fixture_count(struct fixture *fx, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t n = -1;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

int
fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct node n = {0};
	struct shop sh = {0};
	struct contract c = {0};
	unsigned char dk[CRYPTO_KEY_LEN] = {1, 2, 3};
	int fd;

	assert_non_null(fx);
	assert_int_equal(crypto_init(), ST_OK);
	snprintf(fx->path, sizeof(fx->path), "/tmp/guichet-unit-XXXXXX");
	fd = mkstemp(fx->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_open(fx->path, true, &fx->st), ST_OK);
	crypto_keys_derive(&fx->keys, dk);
	assert_int_equal(fx->st->ops->begin(fx->st, true), ST_OK);
	assert_int_equal(fx->st->ops->brand_insert(fx->st, &fx->brand_id, "B", "PSPID", 1), ST_OK);
	n.id = fx->brand_id;
	n.brand_id = fx->brand_id;
	n.level = LEVEL_BRAND;
	assert_int_equal(fx->st->ops->node_insert(fx->st, &n, 1), ST_OK);
	n.id = 0;
	n.parent_id = fx->brand_id;
	n.level = LEVEL_SHOP;
	assert_int_equal(fx->st->ops->node_insert(fx->st, &n, 1), ST_OK);
	sh.id = fx->shop_id = n.id;
	sh.brand_id = fx->brand_id;
	memcpy(sh.site, "1234567", 8);
	memcpy(sh.rang, "001", 4);
	assert_int_equal(fx->st->ops->shop_insert(fx->st, &sh, 1), ST_OK);
	c.brand_id = fx->brand_id;
	c.shop_id = fx->shop_id;
	c.method = METHOD_VISA;
	memcpy(c.currency, "EUR", 4);
	c.amount_min = 1;
	c.amount_max = 1000000;
	c.tds = true;
	c.active = true;
	assert_int_equal(fx->st->ops->contract_insert(fx->st, &c, 1), ST_OK);
	fx->contract_id = c.id;
	assert_int_equal(fx->st->ops->commit(fx->st), ST_OK);
	*state = fx;
	return 0;
}

int
fixture_teardown(void **state)
{
	struct fixture *fx = *state;
	char name[80];

	store_close(fx->st);
	unlink(fx->path);
	snprintf(name, sizeof(name), "%s-wal", fx->path);
	unlink(name);
	snprintf(name, sizeof(name), "%s-shm", fx->path);
	unlink(name);
	free(fx);
	return 0;
}

void
sleep_ms(int64_t ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}
