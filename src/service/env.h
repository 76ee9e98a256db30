/*
 * env.h - the test and production environments (SPEC §16.1; docs/ENVIRONMENTS.md): each
 * production brand's test environment, its twin brand, made where it is missing.
 */
#ifndef GUICHET_SERVICE_ENV_H
#define GUICHET_SERVICE_ENV_H

#include "store/store.h"

/* Makes the test environment of every production brand that has none (a database an
 * earlier version made, a brand written since), in one write transaction of st; *made: how
 * many. Several servers starting at once take turns (store serialize). ST_OK or the store's
 * failure. */
int env_twins_ensure(struct store *st, int64_t now, int *made) WUR;

#endif
