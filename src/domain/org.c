/*
 * org.c - names of the organisation enums.
 */
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
