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
