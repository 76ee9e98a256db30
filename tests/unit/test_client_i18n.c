/*
 * test_client_i18n.c - the client's language (src/cli/i18n.c): the environment read as gettext
 * reads it, a locale the machine lacks still giving its language, the server's language taking
 * over after messages were translated, and the server's refusals translated by their code.
 *
 * Runs on the French catalogue built in the build tree ($GUICHET_LOCALEDIR, tests/unit/
 * meson.build), on a machine that may have no French locale at all: Debian 12's C.UTF-8 is
 * the only one it counts on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/i18n.h"

#define N(a) (sizeof(a) / sizeof(a[0]))

/* A message of the catalogue and its French. */
#define EN "The transaction's acquirer status does not allow this operation."
#define FR "Le statut acquéreur de la transaction ne permet pas cette opération."

/* The environment of one row: the variables gettext reads, NULL for unset. */
static void
environment(const char *lc_all, const char *lc_messages, const char *lang, const char *language)
{
	const char *names[] = {"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"};
	const char *values[] = {lc_all, lc_messages, lang, language};

	for (size_t i = 0; i < N(names); i++) {
		if (values[i] != NULL)
			setenv(names[i], values[i], 1);
		else
			unsetenv(names[i]);
	}
}

static void
test_environment(void **state)
{
	static const struct {
		const char *lc_all, *lc_messages, *lang, *language;
		const char *said;
	} rows[] = {
	        /* Nothing, C, POSIX: English; gettext ignores LANGUAGE under C. */
	        {NULL, NULL, NULL, NULL, EN},
	        {NULL, NULL, "C", NULL, EN},
	        {NULL, NULL, "POSIX", NULL, EN},
	        {NULL, NULL, "C", "fr", EN},
	        {NULL, NULL, "", "fr", EN},
	        /* A French locale, installed or not (a container has none). */
	        {NULL, NULL, "fr_FR.UTF-8", NULL, FR},
	        {NULL, NULL, "fr_FR", NULL, FR},
	        {NULL, "fr_CA.UTF-8", "C", NULL, FR},
	        {"fr_BE.UTF-8", NULL, "C", NULL, FR},
	        /* LC_ALL before LC_MESSAGES before LANG. */
	        {"C", "fr_FR.UTF-8", "fr_FR.UTF-8", NULL, EN},
	        {NULL, "C", "fr_FR.UTF-8", NULL, EN},
	        /* LANGUAGE before the locale's own language, under any locale but C. */
	        {NULL, NULL, "fr_FR.UTF-8", "en", EN},
	        {NULL, NULL, "C.UTF-8", "fr", FR},
	        {NULL, NULL, "en_GB.UTF-8", "fr:en", FR},
	        /* A language without a catalogue: English, the msgids. */
	        {NULL, NULL, "de_DE.UTF-8", NULL, EN},
	        {NULL, NULL, "C.UTF-8", NULL, EN},
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		environment(rows[i].lc_all, rows[i].lc_messages, rows[i].lang, rows[i].language);
		i18n_init();
		if (strcmp(_(EN), rows[i].said) != 0)
			fail_msg("row %zu: \"%s\", not \"%s\"", i, _(EN), rows[i].said);
	}
}

/* The server's language, once known, replaces the environment's, also for a message translated
 * already (gettext's own cache), both ways; a language it does not name changes nothing. */
static void
test_server_language(void **state)
{
	(void)state;
	environment(NULL, NULL, "C", NULL);
	i18n_init();
	assert_string_equal(_(EN), EN);
	i18n_use("fr");
	assert_string_equal(_(EN), FR);
	i18n_use("en");
	assert_string_equal(_(EN), EN);

	environment(NULL, NULL, "fr_FR.UTF-8", NULL);
	i18n_init();
	assert_string_equal(_(EN), FR);
	i18n_use("en");
	assert_string_equal(_(EN), EN);
	i18n_use("de");
	assert_string_equal(_(EN), EN);
	i18n_use(NULL);
	assert_string_equal(_(EN), EN);
	i18n_use("fr");
	assert_string_equal(_(EN), FR);
}

static void
test_refusals(void **state)
{
	static const struct {
		const char *language, *code, *message, *said;
	} rows[] = {
	        /* The server's very sentence. */
	        {"fr", "wrong_state", EN, FR},
	        {"fr", "not_found", "No such object.", "Introuvable."},
	        /* A sentence of a known code the table lacks: the code's usual one. */
	        {"fr", "wrong_state", "Another sentence.", FR},
	        {"fr", "invalid_field", "limit must be 1 to 500.",
	         "Valeur absente ou refusée par le serveur."},
	        /* No message, a code: the code's (the strength's "problem"). */
	        {"fr", "password_too_short", "password_too_short",
	         "Le mot de passe doit compter au moins 12 caractères."},
	        /* An unknown code: the server's message as it came. */
	        {"fr", "new_code", "Something new.", "Something new."},
	        {"fr", "new_code", "", ""},
	        /* English: the server's message, whatever the code. */
	        {"en", "wrong_state", "Another sentence.", "Another sentence."},
	        {"en", "password_too_short", "password_too_short", "password_too_short"},
	        {"en", "not_found", "No such object.", "No such object."},
	};

	(void)state;
	environment(NULL, NULL, "C", NULL);
	i18n_init();
	for (size_t i = 0; i < N(rows); i++) {
		i18n_use(rows[i].language);
		if (strcmp(i18n_server(rows[i].code, rows[i].message), rows[i].said) != 0)
			fail_msg("row %zu: \"%s\"", i, i18n_server(rows[i].code, rows[i].message));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_environment),
	        cmocka_unit_test(test_server_language),
	        cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
