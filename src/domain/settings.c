/*
 * settings.c - the return URL rule and the store's catalogue (settings.h).
 */
#include <string.h>

#include "domain/settings.h"

/* Whether c may be part of a URL here: printable ASCII but space, '"', '<', '>', '\\', '^',
 * '`', '{', '|', '}' (RFC 3986 leaves them out; an IRI is given percent-encoded). */
static bool
url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("\"<>\\^`{|}", c) == NULL;
}

/* Whether the authority [h, h + len) is a host with an optional port: a name of letters,
 * digits, '-' and '.', or an IPv6 literal in brackets, then ":digits". No user information. */
static bool
authority_valid(const char *h, size_t len, bool *local)
{
	size_t host_len = len;
	const char *colon;

	if (len == 0)
		return false;
	if (h[0] == '[') {
		const char *end = memchr(h, ']', len);

		if (end == NULL || end == h + 1)
			return false;
		host_len = (size_t)(end - h) + 1;
		for (const char *p = h + 1; p < end; p++)
			if (strchr("0123456789abcdefABCDEF:.", *p) == NULL)
				return false;
	} else {
		colon = memchr(h, ':', len);
		host_len = colon != NULL ? (size_t)(colon - h) : len;
		if (host_len == 0)
			return false;
		for (size_t i = 0; i < host_len; i++)
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
			           ".",
			           h[i]) == NULL)
				return false;
	}
	if (host_len < len) {
		size_t digits = len - host_len - 1;

		if (h[host_len] != ':' || digits == 0 || digits > 5)
			return false;
		for (size_t i = host_len + 1; i < len; i++)
			if (h[i] < '0' || h[i] > '9')
				return false;
	}
	*local = (host_len == 9 && strncmp(h, "localhost", 9) == 0) ||
	         (host_len == 9 && strncmp(h, "127.0.0.1", 9) == 0) ||
	         (host_len == 5 && strncmp(h, "[::1]", 5) == 0);
	return true;
}

bool
settings_url_valid(const char *s)
{
	size_t len = strlen(s), scheme;
	const char *host, *end;
	bool local = false;

	if (len == 0)
		return true;
	if (len > SETTINGS_URL_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!url_char((unsigned char)s[i]))
			return false;
	if (strncmp(s, "https://", 8) == 0)
		scheme = 8;
	else if (strncmp(s, "http://", 7) == 0)
		scheme = 7;
	else
		return false;
	host = s + scheme;
	end = host + strcspn(host, "/?#");
	if (memchr(host, '@', (size_t)(end - host)) != NULL)
		return false; /* user information: https://bank.example@evil.example/ */
	if (!authority_valid(host, (size_t)(end - host), &local))
		return false;
	return scheme == 8 || local;
}

/* The methods of card.h, in its order (Vision manual §12: "prendre contact avec les
 * organismes mentionnés"). */
static const struct method_offer offers[] = {
        {METHOD_CB, "GIE Cartes Bancaires",
         "Les cartes du réseau CB, la plupart des cartes émises en France (souvent co-marquées "
         "Visa ou Mastercard).",
         "Cards of the CB network, most cards issued in France (often co-badged Visa or "
         "Mastercard)."},
        {METHOD_VISA, "Visa", "Les cartes Visa du monde entier, crédit et débit.",
         "Visa credit and debit cards from all over the world."},
        {METHOD_MASTERCARD, "Mastercard", "Les cartes Mastercard et Maestro du monde entier.",
         "Mastercard and Maestro cards from all over the world."},
        {METHOD_EBLEUE, "La Banque Postale",
         "e-Carte Bleue : le numéro de carte virtuel à usage unique des clients de La Banque "
         "Postale.",
         "e-Carte Bleue: the one-time virtual card number of La Banque Postale's customers."},
        {METHOD_AMEX, "American Express",
         "Les cartes American Express, appréciées des voyageurs et des entreprises.",
         "American Express cards, a favourite of travellers and businesses."},
        {METHOD_JCB, "JCB International", "Les cartes JCB, très répandues au Japon et en Asie.",
         "JCB cards, widespread in Japan and Asia."},
        {METHOD_PAYPAL, "PayPal",
         "Le portefeuille PayPal : le client paie avec son compte PayPal, sans saisir de carte.",
         "The PayPal wallet: customers pay with their PayPal account, without typing a card."},
};

const struct method_offer *
settings_offer(enum card_method m)
{
	for (size_t i = 0; i < sizeof(offers) / sizeof(offers[0]); i++)
		if (offers[i].method == m)
			return &offers[i];
	return NULL;
}
