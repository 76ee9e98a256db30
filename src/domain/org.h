/*
 * org.h - the organisation records: brand › group › shop tree, contracts, users (SPEC §2,
 * §3). Plain data; the rules that read them live in txn.h. No I/O.
 */
#ifndef GUICHET_ORG_H
#define GUICHET_ORG_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/card.h"
#include "domain/risk.h"

enum node_level { LEVEL_BRAND = 0, LEVEL_GROUP, LEVEL_SHOP };

enum profile {
	PROFILE_CONSULTATION = 0, /* dashboards, searches, details, exports */
	PROFILE_ACTION,           /* + cash operations */
	PROFILE_ADMIN,            /* + user management */
	PROFILE_ENTRY,            /* manual entry only */
	PROFILE_HMAC,             /* Parameters › HMAC key only */
	PROFILE__COUNT
};

struct node {
	int64_t id;
	int64_t brand_id;
	int64_t parent_id; /* 0 for the brand's node */
	enum node_level level;
	char name[81];
};

struct shop {
	int64_t id; /* = its node's id */
	int64_t brand_id;
	char site[8]; /* 7 digits */
	char rang[4]; /* 3 digits */
	char name[81];
};

struct contract {
	int64_t id;
	int64_t brand_id;
	int64_t shop_id;
	enum card_method method;
	char number[21];
	char rang[4];
	char label[81];
	char bank_code[11];
	char currency[4];
	int64_t amount_min;
	int64_t amount_max;
	int deferral_days;
	bool tds;
	bool active;
	char report_email[255];
	struct fraud_filters filters; /* SPEC §11, Vision manual §9.2.1 */
};

struct user {
	int64_t id;
	int64_t brand_id;
	int64_t node_id;
	char login[65];
	char name[81];
	char email[255];
	char mobile[33];
	enum profile profile;
	char password_hash[128];
	bool must_change;
};

/* "brand", "group", "shop" and "consultation", "action", "admin", "entry", "hmac". Static. */
const char *node_level_name(enum node_level l);
/* "brand", "group", "shop"; anything else reads as a shop (the schema allows nothing else). */
enum node_level node_level_parse(const char *name);
const char *profile_name(enum profile p);

/* The profile of that name, or PROFILE__COUNT when unknown. */
enum profile profile_parse(const char *name);

#endif
