/*
 * sqlite_insert.c - the storage limit of the payment benchmark: a plain C loop that writes
 * what guichetd's writer writes for one accepted payment (a txn row with all its columns, and
 * one txn_history row) into a fresh SQLite file with guichetd's schema and durability
 * (journal_mode=WAL, synchronous=FULL, foreign_keys=ON), BATCH payments a commit, for SECONDS.
 *
 *   sqlite_insert [-b BATCH] [-s SECONDS] [-g] DB SCHEMA.sql...
 *
 * -g adds what guichetd's writer does around the rows (work/work.c, service/payments.c): a
 * savepoint per payment, and the contract's last_auth_at update. DB is removed first. Prints
 * one line: payments=N commits=N seconds=X payments_per_s=N batch=B guichet_like=0|1
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench_util.h"
#include "domain/calendar.h"

static sqlite3 *db;

static void
die(const char *what)
{
	fprintf(stderr, "sqlite_insert: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	exit(1);
}

static void
exec(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite_insert: %s: %s\n", sql, err ? err : "?");
		exit(1);
	}
}

static sqlite3_stmt *
prepare(const char *sql)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		die(sql);
	return s;
}

static void
step(sqlite3_stmt *s, const char *what)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		die(what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The statements of the store (src/store/sql/txn.c, org.c), columns in the same order. */
static const char txn_sql[] =
        "INSERT INTO txn(id, brand_id, shop_id, contract_id, parent_id, batch_id, type, status, "
        "acq, method, amount_initial, amount_current, amount_refunded, currency, order_ref, email, "
        "card_masked, card_expiry, card_country, customer_country, auth_number, acquirer, issuer, "
        "card_type, wallet, refusal, capture_manual, tds, tds_auth, tds_guaranteed, created_at, "
        "accepted_at, updated_at, bank_day, card_fp, card_sealed, day) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
        "?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37)";
static const char history_sql[] =
        "INSERT INTO txn_history(brand_id, txn_id, at, action, amount, currency, user_id, "
        "user_name, user_login) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char touch_sql[] = "UPDATE contract SET last_auth_at = ?3 WHERE brand_id = ?1 AND "
                                "id = ?2";

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* One accepted Visa payment as the simulator answers it (src/acquirer/simulator.c). */
static void
insert_payment(sqlite3_stmt *txn, sqlite3_stmt *hist, long n)
{
	unsigned char fp[32], sealed[16 + 40];
	char order_ref[32], email[32], auth[8];
	int64_t now = now_us(), amount = 100 + (n * 7919) % 400000, id;
	int i = 1;

	for (size_t k = 0; k < sizeof(fp); k++)
		fp[k] = (unsigned char)(rand() >> 7);
	for (size_t k = 0; k < sizeof(sealed); k++)
		sealed[k] = (unsigned char)(rand() >> 7);
	snprintf(order_ref, sizeof(order_ref), "B-sqlite-%07ld", n);
	snprintf(email, sizeof(email), "buyer%ld@example.com", n % 1000);
	snprintf(auth, sizeof(auth), "%06ld", (n * 104729) % 1000000);

	sqlite3_bind_null(txn, i++);     /* id: chosen by SQLite */
	sqlite3_bind_int64(txn, i++, 1); /* brand_id */
	sqlite3_bind_int64(txn, i++, 4); /* shop_id */
	sqlite3_bind_int64(txn, i++, 2); /* contract_id */
	sqlite3_bind_null(txn, i++);     /* parent_id */
	sqlite3_bind_null(txn, i++);     /* batch_id */
	sqlite3_bind_int(txn, i++, 0);   /* type: debit */
	sqlite3_bind_int(txn, i++, 0);   /* status: accepted */
	sqlite3_bind_int(txn, i++, 2);   /* acq: to send */
	sqlite3_bind_int(txn, i++, 1);   /* method */
	sqlite3_bind_int64(txn, i++, amount);
	sqlite3_bind_int64(txn, i++, amount);
	sqlite3_bind_int64(txn, i++, 0);
	bind_text(txn, i++, "EUR");
	bind_text(txn, i++, order_ref);
	bind_text(txn, i++, email);
	bind_text(txn, i++, "411111******1111");
	bind_text(txn, i++, "1230");
	bind_text(txn, i++, "US");
	bind_text(txn, i++, "");
	bind_text(txn, i++, auth);
	bind_text(txn, i++, "Guichet Simulator");
	bind_text(txn, i++, "Simulated Issuer US");
	bind_text(txn, i++, "VISA CREDIT");
	bind_text(txn, i++, "");
	sqlite3_bind_int(txn, i++, 0);                   /* refusal */
	sqlite3_bind_int(txn, i++, 0);                   /* capture_manual */
	sqlite3_bind_int(txn, i++, 1);                   /* tds */
	sqlite3_bind_int(txn, i++, 1);                   /* tds_auth: Y */
	sqlite3_bind_int(txn, i++, 1);                   /* tds_guaranteed */
	sqlite3_bind_int64(txn, i++, now);               /* created_at */
	sqlite3_bind_int64(txn, i++, now);               /* accepted_at */
	sqlite3_bind_int64(txn, i++, now);               /* updated_at */
	sqlite3_bind_int64(txn, i++, now / 86400000000); /* bank_day */
	sqlite3_bind_blob(txn, i++, fp, sizeof(fp), SQLITE_STATIC);
	sqlite3_bind_blob(txn, i++, sealed, sizeof(sealed), SQLITE_STATIC);
	sqlite3_bind_int64(txn, i++, now / 86400000000); /* day (UTC here; same cost) */
	step(txn, "insert txn");
	id = sqlite3_last_insert_rowid(db);

	i = 1;
	sqlite3_bind_int64(hist, i++, 1);
	sqlite3_bind_int64(hist, i++, id);
	sqlite3_bind_int64(hist, i++, now);
	bind_text(hist, i++, "creation");
	sqlite3_bind_int64(hist, i++, amount);
	bind_text(hist, i++, "EUR");
	sqlite3_bind_null(hist, i++);
	bind_text(hist, i++, "");
	bind_text(hist, i++, "");
	step(hist, "insert txn_history");
}

/* The rows the txn foreign key and the contract update need. */
static void
seed(void)
{
	exec("INSERT INTO brand(id, name, pspid, created_at) VALUES (1, 'Bench', 'BENCH', 0);"
	     "INSERT INTO node(id, brand_id, parent_id, level, name, created_at) "
	     "VALUES (1, 1, NULL, 'brand', 'Bench', 0), (4, 1, 1, 'shop', 'Shop', 0);"
	     "INSERT INTO shop(id, brand_id, site, rang, name, created_at) "
	     "VALUES (4, 1, '1999888', '001', 'Shop', 0);"
	     "INSERT INTO contract(id, brand_id, shop_id, method, number, rang, currency, "
	     "amount_min, amount_max, created_at) "
	     "VALUES (2, 1, 4, 'visa', '800000401', '001', 'EUR', 100, 500000, 0);");
}

static void
usage(void)
{
	fprintf(stderr, "usage: sqlite_insert [-b BATCH] [-s SECONDS] [-g] DB SCHEMA.sql...\n");
	exit(2);
}

static void
business_day(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_int64(ctx, cal_business_day(sqlite3_value_int64(argv[0])));
}

int
main(int argc, char **argv)
{
	sqlite3_stmt *txn, *hist, *touch, *begin, *commit, *save, *release;
	const char *path;
	char side[4096];
	long batch = 64, payments = 0, commits = 0;
	double seconds = 5, t0, t1;
	int guichet_like = 0;

	optind = bench_options(argc, argv, &batch, &seconds, &guichet_like, usage);
	path = argv[optind++];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		die(path);
	/* guichetd's writer connection (store_sqlite.c), with the function its migrations
	 * call. */
	sqlite3_create_function_v2(db, "guichet_business_day", 1,
	                           SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, business_day, NULL,
	                           NULL, NULL);
	exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
	     "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;");
	for (; optind < argc; optind++) {
		char *sql = slurp(argv[optind]);

		exec("BEGIN IMMEDIATE");
		exec(sql);
		exec("COMMIT");
		free(sql);
	}
	seed();

	txn = prepare(txn_sql);
	hist = prepare(history_sql);
	touch = prepare(touch_sql);
	begin = prepare("BEGIN IMMEDIATE");
	commit = prepare("COMMIT");
	save = prepare("SAVEPOINT job");
	release = prepare("RELEASE job");

	srand(1);
	t0 = mono_s();
	do {
		step(begin, "begin");
		for (long k = 0; k < batch; k++) {
			if (guichet_like)
				step(save, "savepoint");
			insert_payment(txn, hist, payments++);
			if (guichet_like) {
				sqlite3_bind_int64(touch, 1, 1);
				sqlite3_bind_int64(touch, 2, 2);
				sqlite3_bind_int64(touch, 3, now_us());
				step(touch, "update contract");
				step(release, "release");
			}
		}
		step(commit, "commit");
		commits++;
		t1 = mono_s();
	} while (t1 - t0 < seconds);

	printf("payments=%ld commits=%ld seconds=%.3f payments_per_s=%.0f batch=%ld "
	       "guichet_like=%d\n",
	       payments, commits, t1 - t0, (double)payments / (t1 - t0), batch, guichet_like);
	sqlite3_finalize(txn);
	sqlite3_finalize(hist);
	sqlite3_finalize(touch);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(save);
	sqlite3_finalize(release);
	if (sqlite3_close(db) != SQLITE_OK)
		die("close");
	return 0;
}
