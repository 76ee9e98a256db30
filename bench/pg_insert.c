/*
 * pg_insert.c - the storage limit of the payment benchmark on PostgreSQL (bench/run-pg), the
 * counterpart of sqlite_insert.c: a plain C libpq loop that writes what guichetd's writer
 * writes for one accepted payment (a txn row with all its columns, RETURNING its id, and one
 * txn_history row; the statistics roll-up trigger of sql/pg/001_schema.sql runs on its own, as
 * it does for guichetd) into an empty database given the server's schema, BATCH payments a
 * commit, for SECONDS. Prepared statements, bound parameters, typed as guichetd's store binds
 * them (store/pg/pg_stmt.c: integers int8 as text, texts left to the server, blobs bytea in
 * binary). The durability is the cluster's: it prints the connection's synchronous_commit and
 * fsync, which bench/run-pg's cluster (tests/system/pgcluster.py) sets on.
 *
 *   pg_insert [-b BATCH] [-s SECONDS] [-g] CONNINFO SCHEMA.sql...
 *
 * CONNINFO: a libpq URI or connection string of an empty database whose owner may create the
 * schema's extensions (pg_trgm and btree_gin are trusted: the database's owner may). The
 * SCHEMA files are run in order, each in a transaction. -g adds what guichetd's writer does
 * around the rows (work/work.c, service/payments.c): a savepoint per payment, and the
 * contract's last_auth_at update. Prints one line:
 *   payments=N commits=N seconds=X payments_per_s=N batch=B guichet_like=0|1 server=V
 *   synchronous_commit=on fsync=on loop_cpu=P backend_cpu=P
 * where loop_cpu and backend_cpu are the percentages of one core this loop and its server
 * process (PQbackendPID, read in /proc: the same machine) spent over the timed part.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "bench_util.h"
#include "domain/calendar.h"

#define OID_INT8  20
#define OID_BYTEA 17

static PGconn *conn;

static void
die(const char *what, PGresult *r)
{
	fprintf(stderr, "pg_insert: %s: %s", what,
	        r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(conn));
	exit(1);
}

/* Runs sql (no parameter: one or more statements), wanting no row. */
static void
exec(const char *sql)
{
	PGresult *r = PQexec(conn, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die(sql, r);
	PQclear(r);
}

/* One setting of the connection (SHOW), copied. */
static char *
show(const char *name)
{
	char sql[64];
	PGresult *r;
	char *v;

	snprintf(sql, sizeof(sql), "SHOW %s", name);
	r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		die(sql, r);
	v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static void
prepare(const char *name, const char *sql, int n, const Oid *types)
{
	PGresult *r = PQprepare(conn, name, sql, n, types);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die(name, r);
	PQclear(r);
}

/* CPU time in clock ticks of process pid (utime + stime of /proc/PID/stat), -1 if unread. */
static long
proc_ticks(int pid)
{
	char path[64], line[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* After the command's closing parenthesis: state, then fields 4 to 13; utime and stime
	 * are the 14th and 15th. */
	if (p == NULL || (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The statements of the store (src/store/sql/txn.c, org.c) as pg_stmt.c rewrites them. */
#define TXN_NPARAMS 40
static const char txn_sql[] =
        "INSERT INTO txn(id, brand_id, shop_id, contract_id, parent_id, batch_id, type, status, "
        "acq, method, amount_initial, amount_current, amount_refunded, currency, order_ref, email, "
        "card_masked, card_expiry, card_country, customer_country, auth_number, acquirer, issuer, "
        "card_type, wallet, refusal, capture_manual, tds, tds_auth, tds_guaranteed, created_at, "
        "accepted_at, updated_at, bank_day, manual, archive_ref, origin, card_fp, card_sealed, "
        "day) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
        "$17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, "
        "$34, $35, $36, $37, $38, $39, $40) RETURNING id";
#define HIST_NPARAMS 9
static const char history_sql[] =
        "INSERT INTO txn_history(brand_id, txn_id, at, action, amount, currency, user_id, "
        "user_name, user_login) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
static const char touch_sql[] = "UPDATE contract SET last_auth_at = $3 WHERE brand_id = $1 AND "
                                "id = $2";

/* A statement's parameters: each an integer as text, a text, a blob, or NULL. */
struct params {
	int n;
	Oid types[TXN_NPARAMS];
	const char *values[TXN_NPARAMS];
	int lengths[TXN_NPARAMS];
	int formats[TXN_NPARAMS];
	char nums[TXN_NPARAMS][24];
};

static void
p_reset(struct params *p)
{
	p->n = 0;
}

static void
p_int(struct params *p, int64_t v)
{
	int i = p->n++;

	p->lengths[i] = snprintf(p->nums[i], sizeof(p->nums[i]), "%" PRId64, v);
	p->values[i] = p->nums[i];
	p->types[i] = OID_INT8;
	p->formats[i] = 0;
}

static void
p_text(struct params *p, const char *v)
{
	int i = p->n++;

	p->values[i] = v;
	p->lengths[i] = (int)strlen(v);
	p->types[i] = 0;
	p->formats[i] = 0;
}

static void
p_blob(struct params *p, const void *v, size_t len)
{
	int i = p->n++;

	p->values[i] = v;
	p->lengths[i] = (int)len;
	p->types[i] = OID_BYTEA;
	p->formats[i] = 1;
}

static void
p_null(struct params *p, Oid type)
{
	int i = p->n++;

	p->values[i] = NULL;
	p->lengths[i] = 0;
	p->types[i] = type;
	p->formats[i] = 0;
}

/* Runs the prepared statement name with p; its result, checked, to clear. */
static PGresult *
run(const char *name, const struct params *p, ExecStatusType want)
{
	PGresult *r = PQexecPrepared(conn, name, p->n, p->values, p->lengths, p->formats, 0);

	if (PQresultStatus(r) != want)
		die(name, r);
	return r;
}

/* One accepted Visa payment as the simulator answers it (src/acquirer/simulator.c). */
static void
txn_params(struct params *p, long n, int64_t now, unsigned char *fp, size_t fp_len,
           unsigned char *sealed, size_t sealed_len, char *order_ref, char *email, char *auth)
{
	int64_t amount = 100 + (n * 7919) % 400000;

	for (size_t k = 0; k < fp_len; k++)
		fp[k] = (unsigned char)(rand() >> 7);
	for (size_t k = 0; k < sealed_len; k++)
		sealed[k] = (unsigned char)(rand() >> 7);
	snprintf(order_ref, 32, "B-pg-%07ld", n);
	snprintf(email, 32, "buyer%ld@example.com", n % 1000);
	snprintf(auth, 8, "%06ld", (n * 104729) % 1000000);

	p_reset(p);
	p_null(p, 0); /* id: chosen by the database (002_ids.sql's trigger) */
	p_int(p, 1);  /* brand_id */
	p_int(p, 4);  /* shop_id */
	p_int(p, 2);  /* contract_id */
	p_null(p, 0); /* parent_id */
	p_null(p, 0); /* batch_id */
	p_int(p, 0);  /* type: debit */
	p_int(p, 0);  /* status: accepted */
	p_int(p, 2);  /* acq: to send */
	p_int(p, 1);  /* method */
	p_int(p, amount);
	p_int(p, amount);
	p_int(p, 0);
	p_text(p, "EUR");
	p_text(p, order_ref);
	p_text(p, email);
	p_text(p, "411111******1111");
	p_text(p, "1230");
	p_text(p, "US");
	p_text(p, "");
	p_text(p, auth);
	p_text(p, "Guichet Simulator");
	p_text(p, "Simulated Issuer US");
	p_text(p, "VISA CREDIT");
	p_text(p, "");
	p_int(p, 0);                     /* refusal */
	p_int(p, 0);                     /* capture_manual */
	p_int(p, 1);                     /* tds */
	p_int(p, 1);                     /* tds_auth: Y */
	p_int(p, 1);                     /* tds_guaranteed */
	p_int(p, now);                   /* created_at */
	p_int(p, now);                   /* accepted_at */
	p_int(p, now);                   /* updated_at */
	p_int(p, now / 86400000000 + 1); /* bank_day */
	p_int(p, 0);                     /* manual */
	p_text(p, "");                   /* archive_ref */
	p_int(p, 0);                     /* origin: the merchant API */
	p_blob(p, fp, fp_len);
	p_blob(p, sealed, sealed_len);
	p_int(p, cal_business_day(now)); /* day: the statistics triggers' */
}

static void
insert_payment(long n)
{
	unsigned char fp[32], sealed[16 + 40];
	char order_ref[32], email[32], auth[8];
	int64_t now = now_us(), id;
	struct params p;
	PGresult *r;

	txn_params(&p, n, now, fp, sizeof(fp), sealed, sizeof(sealed), order_ref, email, auth);
	r = run("txn_insert", &p, PGRES_TUPLES_OK);
	if (PQntuples(r) != 1)
		die("txn_insert: no id", r);
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);

	p_reset(&p);
	p_int(&p, 1);
	p_int(&p, id);
	p_int(&p, now);
	p_text(&p, "creation");
	p_int(&p, 100 + (n * 7919) % 400000);
	p_text(&p, "EUR");
	p_null(&p, 0);
	p_text(&p, "");
	p_text(&p, "");
	PQclear(run("history_add", &p, PGRES_COMMAND_OK));
}

/* The rows the contract update and the shop's statistics need. */
static void
seed(void)
{
	exec("INSERT INTO brand(id, name, pspid, created_at) VALUES (1, 'Bench', 'BENCH', 0);"
	     "INSERT INTO node(brand_id, id, parent_id, level, name, created_at) "
	     "VALUES (1, 1, NULL, 'brand', 'Bench', 0), (1, 4, 1, 'shop', 'Shop', 0);"
	     "INSERT INTO shop(brand_id, id, site, rang, name, created_at) "
	     "VALUES (1, 4, '1999888', '001', 'Shop', 0);"
	     "INSERT INTO contract(id, brand_id, shop_id, method, number, rang, currency, "
	     "amount_min, amount_max, created_at) "
	     "VALUES (2, 1, 4, 'visa', '800000401', '001', 'EUR', 100, 500000, 0);");
}

static void
usage(void)
{
	fprintf(stderr, "usage: pg_insert [-b BATCH] [-s SECONDS] [-g] CONNINFO SCHEMA.sql...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const Oid touch_types[] = {OID_INT8, OID_INT8, OID_INT8};
	struct params p;
	char *version, *sync_commit, *fsync;
	long batch = 64, payments = 0, commits = 0;
	double seconds = 5, t0, t1, c0, c1;
	long b0, b1, hz = sysconf(_SC_CLK_TCK);
	char backend_cpu[16] = "n/a";
	int guichet_like = 0;

	optind = bench_options(argc, argv, &batch, &seconds, &guichet_like, usage);

	conn = PQconnectdb(argv[optind++]);
	if (PQstatus(conn) != CONNECTION_OK)
		die("connect", NULL);
	exec("SET client_min_messages = warning");
	for (; optind < argc; optind++) {
		char *sql = slurp(argv[optind]);

		exec("BEGIN");
		exec(sql);
		exec("COMMIT");
		free(sql);
	}
	seed();
	version = show("server_version");
	sync_commit = show("synchronous_commit");
	fsync = show("fsync");

	/* The types guichetd's first binding gives them (pg_stmt.c): the txn's NULL ids and
	 * texts are left to the server. */
	srand(1);
	{
		unsigned char fp[32], sealed[56];
		char order_ref[32], email[32], auth[8];

		txn_params(&p, 0, 0, fp, sizeof(fp), sealed, sizeof(sealed), order_ref, email,
		           auth);
		prepare("txn_insert", txn_sql, TXN_NPARAMS, p.types);
	}
	{
		static const Oid hist_types[HIST_NPARAMS] = {
		        OID_INT8, OID_INT8, OID_INT8, 0, OID_INT8, 0, 0, 0, 0};
		prepare("history_add", history_sql, HIST_NPARAMS, hist_types);
	}
	prepare("contract_touch_auth", touch_sql, 3, touch_types);

	srand(1);
	b0 = proc_ticks(PQbackendPID(conn));
	c0 = cpu_s();
	t0 = mono_s();
	do {
		exec("BEGIN");
		for (long k = 0; k < batch; k++) {
			if (guichet_like)
				exec("SAVEPOINT job");
			insert_payment(payments++);
			if (guichet_like) {
				p_reset(&p);
				p_int(&p, 1);
				p_int(&p, 2);
				p_int(&p, now_us());
				PQclear(run("contract_touch_auth", &p, PGRES_COMMAND_OK));
				exec("RELEASE SAVEPOINT job");
			}
		}
		exec("COMMIT");
		commits++;
		t1 = mono_s();
	} while (t1 - t0 < seconds);
	c1 = cpu_s();
	b1 = proc_ticks(PQbackendPID(conn));
	if (b0 >= 0 && b1 >= b0 && hz > 0)
		snprintf(backend_cpu, sizeof(backend_cpu), "%.0f%%",
		         (double)(b1 - b0) / (double)hz / (t1 - t0) * 100);

	/* The version's number alone ("15.4", not its build's words): one word a field. */
	version[strcspn(version, " ")] = '\0';
	printf("payments=%ld commits=%ld seconds=%.3f payments_per_s=%.0f batch=%ld "
	       "guichet_like=%d server=%s synchronous_commit=%s fsync=%s loop_cpu=%.0f%% "
	       "backend_cpu=%s\n",
	       payments, commits, t1 - t0, (double)payments / (t1 - t0), batch, guichet_like,
	       version, sync_commit, fsync, (c1 - c0) / (t1 - t0) * 100, backend_cpu);
	free(version);
	free(sync_commit);
	free(fsync);
	PQfinish(conn);
	return 0;
}
