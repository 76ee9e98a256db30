/*
 * i18n.h - the client's messages in the reader's language, French or English, through GNU
 * gettext (glibc's libintl; the domain "guichet", its catalogues built from po/).
 *
 * The English text is the msgid: _("…") in the code, N_("…") in a table translated where it
 * is printed. The language is, in this order: the signed-in user's own (the user record's
 * "language" on the server, kept with the session: i18n_use, i18n_use_session), else the
 * environment's as gettext reads it (LC_ALL, LC_MESSAGES, LANG, then LANGUAGE), else English.
 * Only messages change: numbers, dates and amounts are written as before (LC_MESSAGES is the
 * only category set), and what scripts read (CSV, TSV and JSON keys, columns) stays English.
 *
 * Not the choice of what to say (the commands in main.c do), nor the server's own texts: its
 * refusals are translated here by their code (i18n_server), the server's message kept when
 * the language has no translation of it.
 */
#ifndef GUICHET_CLIENT_I18N_H
#define GUICHET_CLIENT_I18N_H

#include <libintl.h>

#define I18N_DOMAIN "guichet"

#define _(s)  gettext(s)
#define N_(s) s

/* Sets the language from the environment, as gettext reads it, and binds the catalogues of
 * $GUICHET_LOCALEDIR (an absolute path: a build tree's po/ folder, for the tests) else of the
 * installed locale folder. A locale the environment names that this machine lacks
 * (containers often have none but C.UTF-8) still gives its language: the messages' locale is
 * then C.UTF-8 with $LANGUAGE set from the name asked for ("fr_FR.UTF-8" gives French). "C",
 * "POSIX" or nothing: English. Called once, before any message. */
void i18n_init(void);

/* Switches to language ("fr" or "en", a user record's; anything else is ignored), also after
 * messages were translated: gettext forgets what it looked up. */
void i18n_use(const char *language);

/* Switches to the language saved with profile's session (state.h; "language"), if there is
 * one; an invalid profile name, no session, or none saved: nothing changes. */
void i18n_use_session(const char *profile);

/* A text of the server in the reader's language: a refusal ({"error": code, "message":
 * fallback}), or a word of its answers (code and fallback both the word: a password's
 * strength, a session's state). The translation of fallback when the catalogue has that very
 * sentence, else of the code's usual message, else fallback itself (the server's English).
 * Lent: static, or fallback. */
const char *i18n_server(const char *code, const char *fallback);

#endif
