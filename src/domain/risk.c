/*
 * risk.c - blocklist values, ISO 3166 countries and the fraud filters (risk.h).
 */
#include <stdio.h>
#include <string.h>

#include "domain/card.h"
#include "domain/risk.h"

/* ISO 3166-1 alpha-2, the 249 assigned codes, in order. */
static const char countries[][3] = {
        "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
        "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
        "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
        "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
        "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
        "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
        "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
        "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
        "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
        "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
        "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
        "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
        "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
        "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
        "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
        "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
        "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

/* The alpha-3 code of each, in the same order (from Debian's iso-codes, iso_3166-1.json). */
static const char countries3[][4] = {
        "AND", "ARE", "AFG", "ATG", "AIA", "ALB", "ARM", "AGO", "ATA", "ARG", "ASM", "AUT", "AUS",
        "ABW", "ALA", "AZE", "BIH", "BRB", "BGD", "BEL", "BFA", "BGR", "BHR", "BDI", "BEN", "BLM",
        "BMU", "BRN", "BOL", "BES", "BRA", "BHS", "BTN", "BVT", "BWA", "BLR", "BLZ", "CAN", "CCK",
        "COD", "CAF", "COG", "CHE", "CIV", "COK", "CHL", "CMR", "CHN", "COL", "CRI", "CUB", "CPV",
        "CUW", "CXR", "CYP", "CZE", "DEU", "DJI", "DNK", "DMA", "DOM", "DZA", "ECU", "EST", "EGY",
        "ESH", "ERI", "ESP", "ETH", "FIN", "FJI", "FLK", "FSM", "FRO", "FRA", "GAB", "GBR", "GRD",
        "GEO", "GUF", "GGY", "GHA", "GIB", "GRL", "GMB", "GIN", "GLP", "GNQ", "GRC", "SGS", "GTM",
        "GUM", "GNB", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IRL", "ISR", "IMN",
        "IND", "IOT", "IRQ", "IRN", "ISL", "ITA", "JEY", "JAM", "JOR", "JPN", "KEN", "KGZ", "KHM",
        "KIR", "COM", "KNA", "PRK", "KOR", "KWT", "CYM", "KAZ", "LAO", "LBN", "LCA", "LIE", "LKA",
        "LBR", "LSO", "LTU", "LUX", "LVA", "LBY", "MAR", "MCO", "MDA", "MNE", "MAF", "MDG", "MHL",
        "MKD", "MLI", "MMR", "MNG", "MAC", "MNP", "MTQ", "MRT", "MSR", "MLT", "MUS", "MDV", "MWI",
        "MEX", "MYS", "MOZ", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NLD", "NOR", "NPL", "NRU",
        "NIU", "NZL", "OMN", "PAN", "PER", "PYF", "PNG", "PHL", "PAK", "POL", "SPM", "PCN", "PRI",
        "PSE", "PRT", "PLW", "PRY", "QAT", "REU", "ROU", "SRB", "RUS", "RWA", "SAU", "SLB", "SYC",
        "SDN", "SWE", "SGP", "SHN", "SVN", "SJM", "SVK", "SLE", "SMR", "SEN", "SOM", "SUR", "SSD",
        "STP", "SLV", "SXM", "SYR", "SWZ", "TCA", "TCD", "ATF", "TGO", "THA", "TJK", "TKL", "TLS",
        "TKM", "TUN", "TON", "TUR", "TTO", "TUV", "TWN", "TZA", "UKR", "UGA", "UMI", "USA", "URY",
        "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "MYT", "ZAF",
        "ZMB", "ZWE",
};

#define N_COUNTRIES ((int)(sizeof(countries) / sizeof(countries[0])))
_Static_assert(sizeof(countries) / sizeof(countries[0]) ==
                       sizeof(countries3) / sizeof(countries3[0]),
               "every country has its alpha-3 code");

int
country_count(void)
{
	return N_COUNTRIES;
}

const char *
country_at(int i)
{
	return i >= 0 && i < N_COUNTRIES ? countries[i] : "";
}

/* The index of cc in countries, or -1. */
static int
country_index(const char *cc)
{
	int lo = 0, hi = N_COUNTRIES - 1;

	if (cc == NULL || strlen(cc) != 2)
		return -1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = strcmp(cc, countries[mid]);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

bool
country_valid(const char *cc)
{
	return country_index(cc) >= 0;
}

const char *
country_alpha3(const char *cc)
{
	int i = country_index(cc);

	return i >= 0 ? countries3[i] : "";
}

static const char *const kind_names[] = {[BLOCK_CARD] = "card",
                                         [BLOCK_BIN] = "bin",
                                         [BLOCK_EMAIL] = "email",
                                         [BLOCK_COUNTRY] = "country"};

const char *
block_kind_name(enum block_kind k)
{
	return k >= BLOCK_CARD && k <= BLOCK_COUNTRY ? kind_names[k] : "";
}

int
block_kind_parse(const char *s)
{
	for (int k = BLOCK_CARD; s != NULL && k <= BLOCK_COUNTRY; k++)
		if (strcmp(kind_names[k], s) == 0)
			return k;
	return -1;
}

/* The digits of in, spaces and dashes dropped, into out; false when anything else is there
 * or more than cap - 1 digits. */
static bool
digits_of(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in; in++) {
		if (*in == ' ' || *in == '-')
			continue;
		if (*in < '0' || *in > '9' || n + 1 >= cap)
			return false;
		out[n++] = *in;
	}
	out[n] = '\0';
	return true;
}

static bool
email_norm(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in), i;
	const char *at = strchr(in, '@');

	if (n == 0 || n > BLOCK_VALUE_MAX || n >= cap || at == NULL || at == in || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL || in[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= ' ' || c == 0x7f || c == ',' || c == ';' || c == '<' || c == '>')
			return false;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	return true;
}

bool
block_value_norm(enum block_kind k, const char *in, char *out, size_t cap)
{
	char d[24];
	bool ok = false;
	size_t n;

	if (cap == 0)
		return false;
	out[0] = '\0';
	if (in == NULL)
		return false;
	switch (k) {
	case BLOCK_CARD:
		n = digits_of(in, d, sizeof(d)) ? strlen(d) : 0;
		ok = n >= 12 && n <= 19 && n < cap && card_luhn_valid(d);
		if (ok)
			memcpy(out, d, n + 1);
		memset(d, 0, sizeof(d));
		break;
	case BLOCK_BIN:
		n = digits_of(in, d, sizeof(d)) ? strlen(d) : 0;
		ok = (n == 6 || n == 8) && n < cap;
		if (ok)
			memcpy(out, d, n + 1);
		break;
	case BLOCK_EMAIL:
		ok = email_norm(in, out, cap);
		break;
	case BLOCK_COUNTRY:
		if (strlen(in) == 2 && cap >= 3) {
			for (int i = 0; i < 2; i++)
				d[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 'a' + 'A'
				                                           : in[i]);
			d[2] = '\0';
			ok = country_valid(d);
			if (ok)
				memcpy(out, d, 3);
		}
		break;
	}
	if (!ok)
		out[0] = '\0';
	return ok;
}

bool
country_list_has(const char *list, const char *cc)
{
	size_t n = strlen(list);

	if (cc == NULL || strlen(cc) != 2)
		return false;
	for (size_t i = 0; i + 2 <= n; i += 3)
		if (list[i] == cc[0] && list[i + 1] == cc[1])
			return true;
	return false;
}

bool
country_list_add(char list[RISK_COUNTRY_LIST_MAX + 1], const char *cc)
{
	size_t n = strlen(list), at = 0;

	if (!country_valid(cc))
		return false;
	if (country_list_has(list, cc))
		return true;
	if ((n + 1) / 3 >= RISK_COUNTRIES_MAX)
		return false;
	while (at < n && strncmp(list + at, cc, 2) < 0)
		at += 3;
	if (n == 0) {
		memcpy(list, cc, 2);
		list[2] = '\0';
	} else if (at >= n) {
		list[n] = ',';
		memcpy(list + n + 1, cc, 2);
		list[n + 3] = '\0';
	} else {
		memmove(list + at + 3, list + at, n - at + 1);
		memcpy(list + at, cc, 2);
		list[at + 2] = ',';
	}
	return true;
}

bool
risk_counts_payments(const struct fraud_filters *f)
{
	return f->max_per_card_day > 0;
}

enum refusal
risk_check(const struct fraud_filters *f, const struct risk_facts *x)
{
	if (f->max_amount > 0 && x->amount > f->max_amount)
		return REFUSAL_AMOUNT_ABOVE_LIMIT;
	if (country_list_has(f->card_countries, x->card_country))
		return REFUSAL_CARD_COUNTRY_BLOCKED;
	if (country_list_has(f->customer_countries, x->customer_country))
		return REFUSAL_CUSTOMER_COUNTRY_BLOCKED;
	if (f->country_mismatch && x->card_country[0] != '\0' && x->customer_country[0] != '\0' &&
	    strcmp(x->card_country, x->customer_country) != 0)
		return REFUSAL_COUNTRY_MISMATCH;
	if (risk_counts_payments(f) && x->card_payments_today >= f->max_per_card_day)
		return REFUSAL_CARD_VELOCITY;
	return REFUSAL_NONE;
}
