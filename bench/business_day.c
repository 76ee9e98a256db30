/*
 * business_day.c - guichet_business_day() for the sqlite3 shell, as a loadable extension
 * (`.load bench/out/recurring/business_day`): the function the store registers on every
 * connection and the statistics triggers call (sql/sqlite/005_stats.sql), so that the shell
 * can replay guichetd's statements (bench/recurring.py). Built by bench/recurring.py.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "domain/calendar.h"

static void
business_day(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_int64(ctx, cal_business_day(sqlite3_value_int64(argv[0])));
}

int sqlite3_businessday_init(sqlite3 *db, char **err, const sqlite3_api_routines *api);

int
sqlite3_businessday_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	(void)err;
	SQLITE_EXTENSION_INIT2(api);
	return sqlite3_create_function_v2(db, "guichet_business_day", 1,
	                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, business_day,
	                                  NULL, NULL, NULL);
}
