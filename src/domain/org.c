/*
 * org.c - names of the organisation enums.
 */
#include <string.h>

#include "domain/org.h"

const char *
node_level_name(enum node_level l)
{
	static const char *const names[] = {"brand", "group", "shop"};

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "";
}

enum node_level
node_level_parse(const char *name)
{
	for (int l = LEVEL_BRAND; l <= LEVEL_SHOP; l++)
		if (name != NULL && strcmp(node_level_name((enum node_level)l), name) == 0)
			return (enum node_level)l;
	return LEVEL_SHOP; /* the schema's CHECK allows nothing else */
}

const char *
profile_name(enum profile p)
{
	static const char *const names[PROFILE__COUNT] = {"consultation", "action", "admin",
	                                                  "entry", "hmac"};

	return (unsigned)p < PROFILE__COUNT ? names[p] : "";
}

enum profile
profile_parse(const char *name)
{
	for (int p = 0; p < PROFILE__COUNT; p++)
		if (strcmp(profile_name((enum profile)p), name) == 0)
			return (enum profile)p;
	return PROFILE__COUNT;
}
