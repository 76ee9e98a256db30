/*
 * i18n.c - the client's language and its catalogue, and the server's refusals translated by
 * their code (i18n.h).
 */
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/i18n.h"
#include "cli/opts.h"
#include "cli/state.h"

/* The locale messages fall back to when the one asked for is missing: glibc has it built in
 * since 2.35, Debian 12 ships it, and gettext heeds $LANGUAGE under it (never under "C"). */
#define I18N_FALLBACK_LOCALE "C.UTF-8"

static bool
is_c(const char *locale)
{
	return locale == NULL || locale[0] == '\0' || strcmp(locale, "C") == 0 ||
	       strcmp(locale, "POSIX") == 0;
}

/* The locale the environment names for messages, as setlocale reads it (POSIX: LC_ALL, then
 * LC_MESSAGES, then LANG; the first one set and not empty), or NULL. */
static const char *
wanted_locale(void)
{
	static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL && v[0] != '\0')
			return v;
	}
	return NULL;
}

void
i18n_init(void)
{
	const char *dir = getenv("GUICHET_LOCALEDIR"), *got, *wanted;

	got = setlocale(LC_MESSAGES, "");
	wanted = wanted_locale();
	/* A locale asked for but not installed: setlocale kept "C", under which gettext would
	 * say English whatever the name. Its language is kept in $LANGUAGE, which gettext reads
	 * under any other locale ("fr_FR.UTF-8" finds fr_FR, then fr), unless set already. */
	if (is_c(got) && !is_c(wanted)) {
		const char *language = getenv("LANGUAGE");

		if (language == NULL || language[0] == '\0')
			setenv("LANGUAGE", wanted, 1);
		setlocale(LC_MESSAGES, I18N_FALLBACK_LOCALE);
	}
	bindtextdomain(I18N_DOMAIN, dir != NULL && dir[0] == '/' ? dir : CLIENT_LOCALEDIR);
	/* The catalogue's UTF-8 as it is, whatever the locale's codeset: the client writes UTF-8
	 * everywhere ("…", "—", the sparkline), and the "C" locale's ASCII would turn "é" into
	 * '?'. */
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
}

void
i18n_use(const char *language)
{
	if (language == NULL || (strcmp(language, "fr") != 0 && strcmp(language, "en") != 0))
		return;
	setenv("LANGUAGE", language, 1);
	/* gettext ignores $LANGUAGE under the "C" locale. */
	if (is_c(setlocale(LC_MESSAGES, NULL)))
		setlocale(LC_MESSAGES, I18N_FALLBACK_LOCALE);
	/* gettext keeps the translations it looked up until it is told the catalogues changed,
	 * and a message may have been translated already in the language before: setlocale to
	 * the locale it has already tells it nothing (glibc returns at once), textdomain does,
	 * even with the same domain (the way gettext's manual gives to signal a new
	 * $LANGUAGE). */
	textdomain(I18N_DOMAIN);
}

void
i18n_use_session(const char *profile)
{
	char err[256];
	json_t *s = NULL;
	const char *keys[] = {"token", "csrf"};

	if (!opts_name_ok(profile) ||
	    state_read(STATE_SESSION, profile, &s, err, sizeof(err)) != CX_OK || s == NULL)
		return;
	i18n_use(json_string_value(json_object_get(s, "language")));
	/* Only the language was wanted: the tokens' copies go before the object does. */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = json_string_value(json_object_get(s, keys[i]));

		if (v != NULL)
			explicit_bzero((char *)v, strlen(v));
	}
	json_decref(s);
}

/* The server's texts the client meets, as the server words them (src/http/reply.c, its
 * handlers', src/domain/txn.c's, src/domain/password.c's): the English is the msgid, so that
 * the server's very sentence finds its translation. A code's first row is its usual message,
 * the translation given for a sentence of that code not in this table. The words of its
 * answers are rows whose code is the word. */
static const struct {
	const char *code;
	const char *message;
} texts[] = {
        /* The status table. */
        {"invalid_request", N_("The request is not valid.")},
        {"not_found", N_("No such object.")},
        {"conflict", N_("The object changed; reload it and try again.")},
        {"forbidden", N_("You are not allowed to do this.")},
        {"unauthorized", N_("Authentication failed.")},
        {"body_too_large", N_("The request body is too large.")},
        {"refused", N_("The operation is not allowed.")},
        {"storage_unavailable", N_("Storage is unavailable; nothing was recorded. Try again.")},
        {"internal_error", N_("Internal error; nothing was recorded.")},
        {"busy", N_("The server is busy or stopping; nothing was recorded. Try again.")},
        {"method_not_allowed", N_("This method is not allowed on this path.")},
        {"locked",
         N_("This account is locked after 3 failed sign-ins; an administrator can unlock it.")},
        {"too_many_requests",
         N_("Too many requests; try again once the Retry-After delay has passed.")},
        /* The finer codes: requests. */
        {"bad_json", N_("The body is not valid JSON.")},
        {"bad_json", N_("The body must be a JSON object.")},
        {"bad_json", N_("This request takes no body: send none, or {}.")},
        {"invalid_field", N_("A member of the request is missing or has a wrong value.")},
        {"invalid_field",
         N_("from and to are required (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in your time zone, "
            "from before to). see the documentation for the other filters.")},
        {"invalid_field",
         N_("from and to are required (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in your time zone, "
            "from before to). limit and cursor page the journal.")},
        {"invalid_field",
         N_("from and to are required (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in your time zone, "
            "from before to). The export takes the journal's filters, not limit or cursor.")},
        {"invalid_field",
         N_("from and to are required: YYYY-MM-DD, from <= to, at most 800 days.")},
        {"invalid_field", N_("Unknown query parameter.")},
        {"invalid_field", N_("amount must be an integer count of minor units, 1 to 99999999999.")},
        /* Sign-in and the session (README "The back office: sign-in"). */
        {"bad_credentials", N_("Wrong login or password.")},
        {"account_disabled",
         N_("This account is deactivated; an administrator can reactivate it.")},
        {"not_signed_in", N_("Sign in first.")},
        {"session_expired",
         N_("The session ended (idle too long, or 12 hours old). Sign in again.")},
        {"session_disconnected",
         N_("This session is disconnected: resume it (POST /bo/api/session/resume with its resume "
            "key) from the device that disconnected it, or sign in again.")},
        {"not_disconnected", N_("This session is connected: there is nothing to resume.")},
        {"resume_refused", N_("Wrong resume key: the session was not resumed.")},
        {"csrf", N_("The X-CSRF-Token header is missing or does not match this session.")},
        {"change_password", N_("Change your password before anything else.")},
        {"accept_terms", N_("Accept the terms of use before anything else.")},
        {"wrong_password", N_("The current password is wrong.")},
        {"password_reused", N_("The new password must differ from the last 4.")},
        {"second_factor", N_("Give the second factor's code before anything else.")},
        {"bad_code", N_("The code is wrong, already used or expired.")},
        {"no_second_factor", N_("This session does not wait for a second factor.")},
        {"no_second_factor", N_("This sign-in was given its code already.")},
        {"too_many_attempts",
         N_("Too many failed sign-ins from this address or for this login: wait the Retry-After "
            "delay (retry_after seconds), then try again.")},
        /* An operation SPEC §6 refuses. */
        {"not_accepted", N_("Only an accepted transaction can take this operation.")},
        {"wrong_type", N_("Only a debit can take this operation.")},
        {"wrong_state", N_("The transaction's acquirer status does not allow this operation.")},
        {"too_late", N_("More than 75 days have passed since the transaction was accepted.")},
        {"amount_invalid", N_("The amount must be a positive count of minor units.")},
        {"amount_too_high", N_("The amount is above what this transaction allows.")},
        {"no_card", N_("This transaction has no card to block.")},
        {"card_erased",
         N_("This transaction's card data was erased at the end of the account's retention "
            "period: its card can no longer be blocked from it.")},
        /* A new password's problem (also the strength's "problem"). */
        {"password_too_short", N_("The password needs at least 12 characters.")},
        {"password_too_long", N_("The password may have at most 256 bytes.")},
        {"password_needs_letter_and_digit", N_("The password needs both letters and digits.")},
        {"password_too_weak",
         N_("The password is too easy to guess: make it longer or vary its characters.")},
        {"password_contains_login", N_("The password may not contain the login.")},
        {"password_control_character", N_("The password may not contain control characters.")},
        /* TRANSLATORS: a password's strength, as POST /bo/api/password/strength names it. */
        {"very_weak", N_("very_weak")},
        /* TRANSLATORS: a password's strength. */
        {"weak", N_("weak")},
        /* TRANSLATORS: a password's strength. */
        {"medium", N_("medium")},
        /* TRANSLATORS: a password's strength. */
        {"strong", N_("strong")},
        /* TRANSLATORS: a password's strength. */
        {"very_strong", N_("very_strong")},
        /* TRANSLATORS: the state of a session another device holds. */
        {"connected", N_("connected")},
        /* TRANSLATORS: the state of a session another device holds, kept to be resumed. */
        {"disconnected", N_("disconnected")},
};

const char *
i18n_server(const char *code, const char *fallback)
{
	const char *t;

	/* gettext gives back its very argument when the language has no translation: English,
	 * or a sentence it does not know. "" would give the catalogue's header. */
	if (fallback != NULL && fallback[0] != '\0' && (t = gettext(fallback)) != fallback)
		return t;
	for (size_t i = 0; code != NULL && i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(texts[i].code, code) == 0) {
			t = gettext(texts[i].message);
			return t != texts[i].message ? t : fallback;
		}
	return fallback;
}
