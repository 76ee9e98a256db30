/*
 * settings.h - a shop's general configuration (Vision manual §9.1.1; SPEC §11) and the store's
 * catalogue of payment methods (§12): the record, the rule a return URL follows, and what the
 * store says of each method Guichet knows. Pure C, no I/O.
 *
 * Not where they are kept (store.h shop_settings_*), nor who may change them (api/settings.c).
 */
#ifndef GUICHET_SETTINGS_H
#define GUICHET_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/card.h"

#define SETTINGS_EMAIL_MAX 254 /* bytes of an address (RFC 5321 §4.5.3.1.3) */
#define SETTINGS_URL_MAX   512 /* bytes of a return URL */

/* What the merchant sets for a shop. No row kept is the defaults: every text "", immediate
 * return off, version 0. version grows by one at each change (optimistic concurrency). */
struct shop_settings {
	int64_t brand_id;
	int64_t shop_id;
	char ticket_email[SETTINGS_EMAIL_MAX + 1];     /* the merchant's payment ticket */
	char report_email[SETTINGS_EMAIL_MAX + 1];     /* the daily télécollecte report */
	char integrator_email[SETTINGS_EMAIL_MAX + 1]; /* the site's integrator */
	char url_accepted[SETTINGS_URL_MAX + 1];       /* the return URLs after a payment */
	char url_refused[SETTINGS_URL_MAX + 1];
	char url_cancelled[SETTINGS_URL_MAX + 1];
	char url_pending[SETTINGS_URL_MAX + 1];
	char url_notify[SETTINGS_URL_MAX + 1]; /* the merchant's server, told of each decision
	                                        * (migration 034, service/notify.h); "" none */
	bool immediate_return; /* "retour vers site immédiat": no result page, straight back */
	int64_t version;
	int64_t updated_at; /* 0: never changed */
	int64_t updated_by; /* the user; 0: none */
};

/* Whether s may be a return URL: "" (none), or an absolute https URL (a host, an optional port,
 * path, query and fragment; no user information, no space or control character), or an http
 * one to the local machine only (localhost, 127.0.0.1 or [::1]: a test site), at most
 * SETTINGS_URL_MAX bytes. A payer is sent there after paying: plain http elsewhere would let
 * anyone on the path change the page that says the order is paid. */
bool settings_url_valid(const char *s);

/* A payment method as the store offers it (Vision manual §12): who provides it (the
 * organisation to contact, whose identifier the operator then needs) and a line on it, in
 * French and English. Static strings. */
struct method_offer {
	enum card_method method;
	const char *provider;
	const char *fr;
	const char *en;
};

/* The offer of method m (METHOD_CB .. METHOD__COUNT - 1), or NULL for METHOD_NONE or beyond. */
const struct method_offer *settings_offer(enum card_method m);

#endif
