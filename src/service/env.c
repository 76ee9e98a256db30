/*
 * env.c - the test environments made where they are missing (env.h), at the server's start
 * before the shop cache loads: the twin shops are then in it with production's.
 */
#include "service/env.h"
#include "common/log.h"

int
env_twins_ensure(struct store *st, int64_t now, int *made)
{
	int rc;

	*made = 0;
	rc = st->ops->begin(st, true);
	if (rc != ST_OK)
		return rc;
	rc = st->ops->serialize(st, "env_twins", "", 0);
	if (rc == ST_OK)
		rc = st->ops->env_twins_make(st, now, made);
	if (rc == ST_OK)
		rc = st->ops->commit(st);
	else
		st->ops->rollback(st);
	if (rc == ST_OK && *made > 0)
		log_info("event=test_environments_made brands=%d", *made);
	return rc;
}
