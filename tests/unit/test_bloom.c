/*
 * test_bloom.c - the Bloom filter that spares the blocklist's look-up (src/common/bloom.c):
 * never "no" for a string added, rarely "maybe" for one not added, sized as documented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/bloom.h"

static size_t
item(char *buf, size_t cap, const char *prefix, int i)
{
	return (size_t)snprintf(buf, cap, "%s%d", prefix, i);
}

/* Filled to capacity: every string added is "maybe"; of strings not added, "maybe" stays
 * under 1 in 500 (the header says about 1 in 1,700). */
static void
test_no_false_negative_and_few_false_positives(void **state)
{
	struct bloom b;
	char buf[64];
	int maybe = 0;
	(void)state;

	assert_true(bloom_init(&b, 100000));
	for (int i = 0; i < 100000; i++)
		bloom_add(&b, buf, item(buf, sizeof(buf), "card-", i));
	for (int i = 0; i < 100000; i++)
		assert_true(bloom_maybe(&b, buf, item(buf, sizeof(buf), "card-", i)));
	for (int i = 0; i < 100000; i++)
		maybe += bloom_maybe(&b, buf, item(buf, sizeof(buf), "other-", i));
	assert_true(maybe < 200);
	bloom_free(&b);
}

/* One byte apart is another string: a brand's key is never another brand's. */
static void
test_strings_differ_by_every_byte(void **state)
{
	struct bloom b;
	unsigned char k[9] = {1, 0, 0, 0, 0, 0, 0, 0, 'x'};
	(void)state;

	assert_true(bloom_init(&b, 0));
	bloom_add(&b, k, sizeof(k));
	assert_true(bloom_maybe(&b, k, sizeof(k)));
	k[0] = 2;
	assert_false(bloom_maybe(&b, k, sizeof(k)));
	k[0] = 1;
	assert_false(bloom_maybe(&b, k, sizeof(k) - 1)); /* a prefix is not the string */
	bloom_free(&b);
}

/* Sized for at least 4,096 strings, BLOOM_BITS_PER bits each rounded up to a power of two;
 * full only past its capacity, not at it. */
static void
test_capacity_and_fullness(void **state)
{
	struct bloom b;
	char buf[64];
	(void)state;

	assert_true(bloom_init(&b, 10));
	assert_int_equal(b.capacity, 4096);
	assert_int_equal(b.mask + 1, 65536); /* 4,096 × 16 */
	for (int i = 0; i < 4096; i++)
		bloom_add(&b, buf, item(buf, sizeof(buf), "k", i));
	assert_false(bloom_full(&b));
	bloom_add(&b, "one more", 8);
	assert_true(bloom_full(&b));
	bloom_free(&b);
	assert_true(bloom_init(&b, 5000));
	assert_int_equal(b.mask + 1, 131072); /* 80,000 bits → the next power of two */
	bloom_free(&b);
}

/* The empty filter says no to everything, the empty string included. */
static void
test_empty(void **state)
{
	struct bloom b;
	(void)state;

	assert_true(bloom_init(&b, 0));
	assert_false(bloom_maybe(&b, "", 0));
	assert_false(bloom_maybe(&b, "x", 1));
	bloom_add(&b, "", 0);
	assert_true(bloom_maybe(&b, "", 0));
	bloom_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_false_negative_and_few_false_positives),
	        cmocka_unit_test(test_strings_differ_by_every_byte),
	        cmocka_unit_test(test_capacity_and_fullness),
	        cmocka_unit_test(test_empty),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
