/*
 * test_outbox.c - the outbox's sealed bodies (service/outbox.h): a body sealed for one row
 * opens for that row only (its brand, its id, its recipient), with that data key only, and
 * not once a byte of it changed; a row in clear is given back as it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "service/outbox.h"

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

#define BODY "Mot de passe provisoire : Xy7kP2mQ9wZ4\nTemporary password: Xy7kP2mQ9wZ4\n"

/* How the row opened differs from the row sealed. */
static const struct {
	const char *what;
	int64_t brand_id, id;
	const char *recipient;
	int flip; /* the byte of the sealed body changed, -1: none */
	bool other_key;
	int rc;
} rows[] = {
        {"the same row", 1, 42, "claire@example.com", -1, false, ST_OK},
        {"another brand", 2, 42, "claire@example.com", -1, false, ST_INVALID},
        {"another row", 1, 43, "claire@example.com", -1, false, ST_INVALID},
        {"another recipient", 1, 42, "mallory@example.com", -1, false, ST_INVALID},
        {"a recipient one byte longer", 1, 42, "claire@example.com.", -1, false, ST_INVALID},
        {"another data key", 1, 42, "claire@example.com", -1, true, ST_INVALID},
        {"a nonce byte changed", 1, 42, "claire@example.com", 0, false, ST_INVALID},
        {"a ciphertext byte changed", 1, 42, "claire@example.com", 30, false, ST_INVALID},
        {"the tag's last byte changed", 1, 42, "claire@example.com", -2, false, ST_INVALID},
};

static void
keys_of(unsigned char fill, struct crypto_keys *keys)
{
	unsigned char data_key[CRYPTO_KEY_LEN];

	memset(data_key, fill, sizeof(data_key));
	crypto_keys_derive(keys, data_key);
}

static void
test_a_body_opens_for_its_own_row_only(void **state)
{
	struct crypto_keys keys, other;
	struct store st = {0};

	(void)state;
	keys_of(7, &keys);
	keys_of(8, &other);
	outbox_sealer_set(&st, &keys);
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct mail m = {.brand_id = 1, .id = 42, .body = BODY};
		struct buf sealed;
		char *text = NULL;
		int rc;

		snprintf(m.recipient, sizeof(m.recipient), "%s", "claire@example.com");
		buf_init(&sealed, 4096);
		assert_int_equal(st.mail_seal(st.mail_seal_arg, &m, &sealed), ST_OK);
		assert_int_equal(sealed.len, strlen(BODY) + CRYPTO_SEAL_OVERHEAD);
		assert_null(memmem(sealed.data, sealed.len, "Xy7kP2mQ9wZ4", 12));
		if (rows[i].flip != -1)
			sealed.data[rows[i].flip >= 0 ? (size_t)rows[i].flip : sealed.len - 1] ^= 1;
		m.brand_id = rows[i].brand_id;
		m.id = rows[i].id;
		snprintf(m.recipient, sizeof(m.recipient), "%s", rows[i].recipient);
		m.body = NULL;
		m.sealed = (const unsigned char *)sealed.data;
		m.sealed_len = sealed.len;
		rc = outbox_body_open(rows[i].other_key ? &other : &keys, &m, &text);
		if (rc != rows[i].rc)
			fail_msg("%s: %d, not %d", rows[i].what, rc, rows[i].rc);
		if (rc == ST_OK)
			assert_string_equal(text, BODY);
		else
			assert_null(text);
		free(text);
		buf_cleanup(&sealed);
	}
}

static void
test_short_or_missing_bodies_do_not_open(void **state)
{
	static const unsigned char short_body[CRYPTO_SEAL_OVERHEAD - 1];
	struct crypto_keys keys;
	struct mail m = {.brand_id = 1, .id = 1};
	char *text = NULL;

	(void)state;
	keys_of(7, &keys);
	assert_int_equal(outbox_body_open(&keys, &m, &text), ST_INVALID);
	m.sealed = short_body;
	m.sealed_len = sizeof(short_body);
	assert_int_equal(outbox_body_open(&keys, &m, &text), ST_INVALID);
	assert_null(text);
}

static void
test_a_row_in_clear_is_given_as_it_is(void **state)
{
	struct crypto_keys keys;
	struct mail m = {.brand_id = 1, .id = 1, .body = "written by version 20"};
	char *text = NULL;

	(void)state;
	keys_of(7, &keys);
	assert_int_equal(outbox_body_open(&keys, &m, &text), ST_OK);
	assert_string_equal(text, "written by version 20");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_body_opens_for_its_own_row_only),
	        cmocka_unit_test(test_short_or_missing_bodies_do_not_open),
	        cmocka_unit_test(test_a_row_in_clear_is_given_as_it_is),
	};

	if (crypto_init() != ST_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
