/*
 * main.c - guichetd: process setup, command line, signals. The commands and their options
 * are usage()'s text below: serve, demo, terms, batch run, recurring run, backup, migrate,
 * routes, version.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "acquirer/acquirer.h"
#include "api/api.h"
#include "api/hosted_theme.h"
#include "api/push_reports.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "domain/bins.h"
#include "domain/calendar.h"
#include "http/metrics.h"
#include "http/server.h"
#include "jobs/confirm.h"
#include "jobs/hmac_expiry.h"
#include "jobs/indexer.h"
#include "jobs/mailer.h"
#include "jobs/notifier.h"
#include "jobs/order_files.h"
#include "jobs/push_reports.h"
#include "jobs/retention.h"
#include "jobs/scheduler.h"
#include "service/env.h"
#include "service/keyring.h"
#include "service/outbox.h"
#include "service/reconcile.h"
#include "service/recurring.h"
#include "service/settlement.h"
#include "store/store.h"
#include "tools/backup.h"
#include "tools/demo.h"

#define EXIT_USAGE 2

struct options {
	const char *db;
	const char *listen;
	const char *tls_cert;
	const char *tls_key;
	const char *spool;
	const char *key_file;
	const char *www;                           /* the web UI's folder */
	char public_url[LIMIT_PUBLIC_URL_MAX + 1]; /* links in mails; "": the request's Host */
	const char *smtp;      /* the relay's URL; NULL: .eml files in the spool folder */
	const char *smtp_from; /* NULL: MAILER_FROM_DEFAULT */
	const char *bin_table; /* NULL: the shipped one (domain/bins.h) */
	const char *smtp_ca;
	const char *operator_email; /* where the store's requests and the contact form go */
	int smtp_retry_ms;          /* the first delay after a failed delivery; 0: the default */
	int notify_retry_ms;   /* a notification's first delay after a failed call; 0: default */
	int notify_timeout_ms; /* one notification call; 0: the default */
	int loops;
	int idle_timeout;
	const char *pspid;
	const char *date;
	int chunk;      /* batch run: transactions a batch's fill sends a transaction; 0: default */
	const char *to; /* backup: the copy's path */
	int batch_minute;    /* the daily télécollecte, minutes after Paris midnight; -1: off */
	int retention_every; /* seconds between two rounds of the retention job */
	int recurring_every; /* seconds between two recurring rounds; 0: none */
	int terms_version;
	int64_t transactions;
	uint64_t seed;
	bool now_pinned; /* --now: the clock starts at now_us (clock_pin) */
	int64_t now_us;
	bool json;
	bool unsent;               /* demo: nothing of the history sent to the bank yet */
	int64_t due_subscriptions; /* demo: more subscriptions due the next day (a benchmark) */
	/* The sign-in's rate limits (README "Sign-in"): per client address, per login. */
	struct rate_limit signin_address, signin_login;
};

/* --public-url: "http://" or "https://", a host (name, IPv4 or [IPv6]) with an optional port
 * and path, no query, fragment or user part; kept without its trailing '/'. 0, or -1. */
static int
parse_public_url(const char *s, char *out, size_t cap)
{
	size_t n = strlen(s);
	const char *rest = strncmp(s, "https://", 8) == 0  ? s + 8
	                   : strncmp(s, "http://", 7) == 0 ? s + 7
	                                                   : NULL;

	while (n > 0 && s[n - 1] == '/')
		n--;
	if (rest == NULL || n >= cap || (size_t)(rest - s) >= n || *rest == '/')
		return -1;
	for (const char *p = rest; p < s + n; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]/_~",
		           *p) == NULL)
			return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: guichetd serve --db FILE [--listen HOST:PORT]\n"
	        "                      [--tls-cert FILE --tls-key FILE] [--spool DIR]\n"
	        "                      [--key-file FILE] [--loops N]\n"
	        "                      [--idle-timeout SECONDS]  (back office; default 900, "
	        "max 7200)\n"
	        "                      [--batch-time HH:MM|off]  (daily télécollecte, Paris "
	        "time; default 22:00)\n"
	        "                      [--retention-every SECONDS]  (deletes expired "
	        "idempotency keys\n"
	        "                      and error log entries; default 60)\n"
	        "                      [--recurring-every SECONDS|off]  (the round of due "
	        "installments and\n"
	        "                      subscription debits; at start, then every 600 s by "
	        "default)\n"
	        "                      [--log-level debug|info|warn|error]\n"
	        "                      [--bin-table FILE]  (the cards' countries by BIN, CSV "
	        "prefix,country;\n"
	        "                      default: the shipped data/bins.csv, README \"Risk\")\n"
	        "                      [--www DIR]  (the web back office's files; default www)\n"
	        "                      [--public-url URL]  (the back office's address in mailed "
	        "links,\n"
	        "                      e.g. https://backoffice.example.com; default: the "
	        "request's)\n"
	        "                      [--smtp smtp[s]://HOST[:PORT]]  (mail over SMTP rather "
	        "than .eml\n"
	        "                      files in the spool folder; credentials from "
	        "GUICHET_SMTP_USER\n"
	        "                      and GUICHET_SMTP_PASSWORD)\n"
	        "                      [--smtp-from ADDRESS]  (default: " MAILER_FROM_DEFAULT ")\n"
	        "                      [--smtp-ca FILE]  (CA bundle of the relay's certificate)\n"
	        "                      [--operator-email ADDRESS]  (the store's requests and the "
	        "contact\n"
	        "                      form; default: " API_OPERATOR_EMAIL_DEFAULT ")\n"
	        "                      [--sign-in-address-limit N/S] [--sign-in-login-limit N/S]\n"
	        "                      (failed sign-ins allowed at once, then one every S "
	        "seconds;\n"
	        "                      defaults 30/2 per client address, 10/6 per login)\n"
	        "                      [--smtp-retry-ms MS] [--notify-retry-ms MS]\n"
	        "                      [--notify-timeout-ms MS]  (the first wait before a mail or "
	        "a\n"
	        "                      notification is tried again, one notification call's "
	        "limit;\n"
	        "                      for tests: README \"Mail\", \"Notifications\")\n"
	        "                      [--now YYYY-MM-DD|INSTANT]  (a pinned clock, for tests: "
	        "it starts\n"
	        "                      at 18:00 Paris that day, or at the RFC 3339 instant, "
	        "and runs)\n"
	        "       guichetd demo --db FILE [--transactions N] [--seed S]\n"
	        "                      [--now YYYY-MM-DD|INSTANT]  (default: now)\n"
	        "                      [--pspid ACCOUNT]  (one more brand in the same database)\n"
	        "                      [--unsent]  (nothing of the history sent to the bank yet)\n"
	        "                      [--due-subscriptions N]  (N more subscriptions, all due "
	        "the next day)\n"
	        "                      [--json] [--key-file FILE]\n"
	        "       guichetd terms --db FILE --version N   (new terms: every user accepts "
	        "them again)\n"
	        "       guichetd batch run --db FILE --date YYYY-MM-DD [--spool DIR]   "
	        "(télécollecte)\n"
	        "                      [--now YYYY-MM-DD|INSTANT] [--key-file FILE]\n"
	        "                      [--chunk N]  (transactions sent a database transaction; "
	        "default 1000)\n"
	        "       guichetd reconcile import FILE --db FILE|postgresql://…  (an acquirer's "
	        "return file;\n"
	        "                      docs/RECONCILIATION.md) [--now YYYY-MM-DD|INSTANT]\n"
	        "       guichetd recurring run --db FILE --date YYYY-MM-DD [--json]  (every "
	        "installment and\n"
	        "                      subscription debit due up to that date, once each)\n"
	        "                      [--now YYYY-MM-DD|INSTANT] [--key-file FILE]\n"
	        "       guichetd backup --db FILE --to FILE   (a checked copy, also of a "
	        "database in use;\n"
	        "                      docs/OPERATIONS.md)\n"
	        "       guichetd migrate --db FILE|postgresql://…  (the schema brought to this "
	        "version;\n"
	        "                      a PostgreSQL password from PGPASSWORD or ~/.pgpass)\n"
	        "       guichetd routes [--json]\n"
	        "       guichetd version\n"
	        "The key-encrypting key comes from GUICHET_KEK (64 hex characters) or the key "
	        "file\n"
	        "(default: guichet.key beside the database). GET /metrics answers loopback, "
	        "and elsewhere\n"
	        "the bearer of GUICHET_METRICS_TOKEN (16 to 256 visible ASCII characters).\n"
	        "Passwords are hashed with Argon2id at GUICHET_PASSWORD_COST=MEMORY_MIB,PASSES "
	        "(default 64,2;\n"
	        "not below OWASP's floor: docs/SECURITY.md \"Passwords\").\n");
}

/* Parses a decimal integer in [min, max]; -1 when it is not one. */
static int
parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* --sign-in-*-limit: "N/S", N failures at once (1 to 100000), then one more every S seconds
 * (1 to 86400). 0, or -1. */
static int
parse_rate(const char *s, struct rate_limit *rl)
{
	char n[16];
	const char *slash = strchr(s, '/');
	int64_t burst, every;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(n))
		return -1;
	memcpy(n, s, (size_t)(slash - s));
	n[slash - s] = '\0';
	if (parse_int(n, 1, 100000, &burst) != 0 || parse_int(slash + 1, 1, 86400, &every) != 0)
		return -1;
	rl->burst = (int)burst;
	rl->every_us = every * CAL_US_PER_S;
	return 0;
}

/* --now: a day, "YYYY-MM-DD", is 18:00 in Paris that day (a demo's evening); or an RFC 3339
 * instant, "2026-03-29T01:59:30+01:00". 0, or -1. */
static int
parse_now(const char *s, int64_t *t_us)
{
	int64_t day;

	if (cal_date_parse(s, &day) == 0) {
		*t_us = cal_business_day_start(day) + 18 * 3600 * CAL_US_PER_S;
		return 0;
	}
	return cal_instant_parse(s, t_us);
}

/* Makes path's BIN table the cards' countries (domain/bins.h), or the shipped one when path
 * is NULL. 0, or -1 with the reason on stderr. */
static int
load_bins(const char *path)
{
	struct buf b;
	char chunk[8192];
	size_t n;
	int bad;
	FILE *f;

	if (path == NULL) {
		bins_default();
		return 0;
	}
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "guichetd: --bin-table %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf_init(&b, LIMIT_BIN_TABLE_BYTES);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (b.failed) {
		fprintf(stderr, "guichetd: --bin-table %s: larger than %d bytes\n", path,
		        LIMIT_BIN_TABLE_BYTES);
		buf_cleanup(&b);
		return -1;
	}
	bad = bins_load(b.data ? b.data : "", b.len);
	buf_cleanup(&b);
	if (bad != 0) {
		fprintf(stderr,
		        "guichetd: --bin-table %s: line %d is not \"prefix,country\" (1 to 19 "
		        "digits, an ISO 3166 code, each prefix once)\n",
		        path, bad);
		return -1;
	}
	return 0;
}

static int
parse_options(int argc, char **argv, int first, struct options *o)
{
	static const struct option longopts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"listen", required_argument, NULL, 'l'},
	        {"tls-cert", required_argument, NULL, 'c'},
	        {"tls-key", required_argument, NULL, 'k'},
	        {"spool", required_argument, NULL, 's'},
	        {"key-file", required_argument, NULL, 'K'},
	        {"loops", required_argument, NULL, 'L'},
	        {"transactions", required_argument, NULL, 'n'},
	        {"seed", required_argument, NULL, 'S'},
	        {"now", required_argument, NULL, 'N'},
	        {"json", no_argument, NULL, 'j'},
	        {"idle-timeout", required_argument, NULL, 'I'},
	        {"version", required_argument, NULL, 'V'},
	        {"pspid", required_argument, NULL, 'P'},
	        {"date", required_argument, NULL, 'D'},
	        {"batch-time", required_argument, NULL, 'B'},
	        {"log-level", required_argument, NULL, 'G'},
	        {"unsent", no_argument, NULL, 'U'},
	        {"due-subscriptions", required_argument, NULL, 'Q'},
	        {"www", required_argument, NULL, 'W'},
	        {"retention-every", required_argument, NULL, 'R'},
	        {"recurring-every", required_argument, NULL, 'E'},
	        {"public-url", required_argument, NULL, 'u'},
	        {"smtp", required_argument, NULL, 'm'},
	        {"smtp-from", required_argument, NULL, 'f'},
	        {"smtp-ca", required_argument, NULL, 'a'},
	        {"operator-email", required_argument, NULL, 'o'},
	        {"smtp-retry-ms", required_argument, NULL, 'r'}, /* for tests: README "Mail" */
	        /* For tests: README "Notifications". */
	        {"notify-retry-ms", required_argument, NULL, 1001},
	        {"notify-timeout-ms", required_argument, NULL, 1002},
	        {"to", required_argument, NULL, 1003},
	        {"chunk", required_argument, NULL, 1004},
	        {"sign-in-address-limit", required_argument, NULL, 'A'},
	        {"sign-in-login-limit", required_argument, NULL, 'O'},
	        {"bin-table", required_argument, NULL, 'T'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int64_t v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->db = "guichet.db";
	o->listen = "127.0.0.1:13020";
	o->spool = "spool";
	o->www = "www";
	o->operator_email = API_OPERATOR_EMAIL_DEFAULT;
	o->transactions = 2000;
	o->idle_timeout = LIMIT_IDLE_DEFAULT_S;
	o->batch_minute = 22 * 60;
	o->retention_every = LIMIT_RETENTION_EVERY_S;
	o->recurring_every = LIMIT_RECURRING_EVERY_S;
	o->seed = 1;
	o->signin_address.burst = LIMIT_SIGNIN_ADDRESS_BURST;
	o->signin_address.every_us = LIMIT_SIGNIN_ADDRESS_EVERY_S * CAL_US_PER_S;
	o->signin_login.burst = LIMIT_SIGNIN_LOGIN_BURST;
	o->signin_login.every_us = LIMIT_SIGNIN_LOGIN_EVERY_S * CAL_US_PER_S;
	optind = first; /* after the command */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->db = optarg;
			break;
		case 'l':
			o->listen = optarg;
			break;
		case 'c':
			o->tls_cert = optarg;
			break;
		case 'k':
			o->tls_key = optarg;
			break;
		case 's':
			o->spool = optarg;
			break;
		case 'K':
			o->key_file = optarg;
			break;
		case 'L':
			if (parse_int(optarg, 1, LIMIT_LOOPS_MAX, &v) != 0)
				goto bad;
			o->loops = (int)v;
			break;
		case 'n':
			if (parse_int(optarg, 0, 1000000000, &v) != 0)
				goto bad;
			o->transactions = v;
			break;
		case 'S':
			if (parse_int(optarg, 0, INT64_MAX, &v) != 0)
				goto bad;
			o->seed = (uint64_t)v;
			break;
		case 'N':
			if (parse_now(optarg, &o->now_us) != 0)
				goto bad;
			o->now_pinned = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'D':
			o->date = optarg;
			break;
		case 1003:
			o->to = optarg;
			break;
		case 1004:
			if (parse_int(optarg, 1, SETTLEMENT_CHUNK_MAX, &v) != 0)
				goto bad;
			o->chunk = (int)v;
			break;
		case 'U':
			o->unsent = true;
			break;
		case 'Q':
			if (parse_int(optarg, 0, 100000000, &v) != 0)
				goto bad;
			o->due_subscriptions = v;
			break;
		case 'W':
			o->www = optarg;
			break;
		case 'R':
			if (parse_int(optarg, 1, LIMIT_RETENTION_MAX_S, &v) != 0)
				goto bad;
			o->retention_every = (int)v;
			break;
		case 'E':
			if (strcmp(optarg, "off") == 0)
				o->recurring_every = 0;
			else if (parse_int(optarg, 1, 86400, &v) == 0)
				o->recurring_every = (int)v;
			else
				goto bad;
			break;
		case 'u':
			if (parse_public_url(optarg, o->public_url, sizeof(o->public_url)) != 0)
				goto bad;
			break;
		case 'm':
			if (mailer_smtp_url_check(optarg) != ST_OK)
				goto bad;
			o->smtp = optarg;
			break;
		case 'f': {
			char addr[LIMIT_SMTP_FROM_MAX + 1];

			if (mailer_from_check(optarg, addr, sizeof(addr)) != ST_OK)
				goto bad;
			o->smtp_from = optarg;
			break;
		}
		case 'a':
			o->smtp_ca = optarg;
			break;
		case 'o':
			if (strlen(optarg) > LIMIT_OPERATOR_EMAIL_MAX || !api_email_ascii(optarg))
				goto bad;
			o->operator_email = optarg;
			break;
		case 'A':
			if (parse_rate(optarg, &o->signin_address) != 0)
				goto bad;
			break;
		case 'O':
			if (parse_rate(optarg, &o->signin_login) != 0)
				goto bad;
			break;
		case 'r':
			if (parse_int(optarg, 1, LIMIT_MAIL_RETRY_MAX_MS, &v) != 0)
				goto bad;
			o->smtp_retry_ms = (int)v;
			break;
		case 1001:
			if (parse_int(optarg, 1, LIMIT_NOTIFY_RETRY_MAX_MS, &v) != 0)
				goto bad;
			o->notify_retry_ms = (int)v;
			break;
		case 1002:
			if (parse_int(optarg, 1, LIMIT_NOTIFY_TIMEOUT_MS, &v) != 0)
				goto bad;
			o->notify_timeout_ms = (int)v;
			break;
		case 'G': {
			static const char *const levels[] = {"debug", "info", "warn", "error"};
			int l = 0;

			while (l < 4 && strcmp(optarg, levels[l]) != 0)
				l++;
			if (l == 4)
				goto bad;
			log_set_level((enum log_level)l);
			break;
		}
		case 'B':
			if (strcmp(optarg, "off") == 0) {
				o->batch_minute = -1;
				break;
			}
			if (strlen(optarg) != 5 || optarg[2] != ':' || optarg[0] < '0' ||
			    optarg[0] > '2' || optarg[1] < '0' || optarg[1] > '9' ||
			    optarg[3] < '0' || optarg[3] > '5' || optarg[4] < '0' ||
			    optarg[4] > '9')
				goto bad;
			o->batch_minute = ((optarg[0] - '0') * 10 + (optarg[1] - '0')) * 60 +
			                  (optarg[3] - '0') * 10 + (optarg[4] - '0');
			if (o->batch_minute >= 24 * 60)
				goto bad;
			break;
		case 'P':
			if (strlen(optarg) < 3 || strlen(optarg) > 32 ||
			    strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
			            strlen(optarg))
				goto bad;
			o->pspid = optarg;
			break;
		case 'I':
			if (parse_int(optarg, 1, LIMIT_IDLE_MAX_S, &v) != 0)
				goto bad;
			o->idle_timeout = (int)v;
			break;
		case 'V':
			if (parse_int(optarg, 1, 1000000, &v) != 0)
				goto bad;
			o->terms_version = (int)v;
			break;
		case 'T':
			o->bin_table = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (load_bins(o->bin_table) != 0)
		return -1;
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		fprintf(stderr, "guichetd: --tls-cert and --tls-key go together\n");
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "guichetd: bad option or value%s%s\n", optind > 1 ? " near " : "",
	        optind > 1 ? argv[optind - 1] : "");
	usage(stderr);
	return -1;
}

/* Opens the database for writing and its keys. */
static int
open_db(const struct options *o, bool create, struct store **st, struct crypto_keys **keys)
{
	char key_file[4096];
	int rc;

	if (o->key_file != NULL)
		snprintf(key_file, sizeof(key_file), "%s", o->key_file);
	else
		keyring_default_path(o->db, key_file, sizeof(key_file));
	rc = store_open(o->db, true, st);
	if (rc != ST_OK)
		return rc;
	rc = keyring_open(*st, key_file, create, keys);
	if (rc != ST_OK) {
		store_close(*st);
		*st = NULL;
	}
	return rc;
}

static int
cmd_demo(const struct options *o)
{
	struct demo_options d = {0};
	struct store *st = NULL;
	struct crypto_keys *keys = NULL;
	int rc;

	d.transactions = o->transactions;
	d.seed = o->seed;
	d.json = o->json;
	d.pspid = o->pspid;
	d.unsent = o->unsent;
	d.due_subscriptions = o->due_subscriptions;
	/* The instant itself, not the clock running from it: the same --now, the same demo. */
	d.now_us = o->now_pinned ? o->now_us : clock_now_us();
	rc = open_db(o, true, &st, &keys);
	if (rc == ST_OK)
		rc = demo_create(st, keys, &d, stdout);
	crypto_secret_free(keys);
	store_close(st);
	if (rc != ST_OK)
		fprintf(stderr, "guichetd: demo failed (%s)\n",
		        rc == ST_CONFLICT ? "the database already has the demo"
		                          : "see the log above");
	return rc == ST_OK ? 0 : 1;
}

struct load_ctx {
	struct store *st;
	struct session_cache *c;
};

/* Loads the sessions the store kept into the in-memory table. */
static int
load_session(void *arg, const struct session_row *row)
{
	struct load_ctx *ctx = arg;
	struct session s;
	bool found;
	int rc = session_load(ctx->st, row, &s, &found);

	if (rc == ST_OK && found)
		session_cache_put(ctx->c, &s);
	crypto_wipe(&s, sizeof(s));
	return rc;
}

/* Loads the terms version and the sessions the store kept into the in-memory table; on a
 * database several servers share, the terms only: each request reads its session there. */
static int
load_sessions(struct store *st, struct session_cache *c, bool shared)
{
	struct load_ctx ctx = {st, c};
	int version = 0;
	int rc = st->ops->terms_version(st, &version);

	if (rc != ST_OK)
		return rc;
	session_cache_terms_seen(c, version);
	return shared ? ST_OK : st->ops->sessions_each(st, load_session, &ctx);
}

static int
cmd_serve(const struct options *o)
{
	struct server_config cfg = {0};
	struct app app = {0};
	struct store *st = NULL;
	struct crypto_keys *keys = NULL;
	struct mailer *mailer = NULL;
	struct mailer_config mail_cfg = {.db_path = o->db,
	                                 .spool_dir = o->spool,
	                                 .smtp_url = o->smtp,
	                                 .from = o->smtp_from,
	                                 .smtp_ca = o->smtp_ca,
	                                 .retry_first_ms = o->smtp_retry_ms};
	struct notifier *notifier = NULL;
	struct notifier_config notify_cfg = {.db_path = o->db,
	                                     .retry_first_ms = o->notify_retry_ms,
	                                     .timeout_ms = o->notify_timeout_ms};
	struct periodic *indexer = NULL;
	struct scheduler *scheduler = NULL;
	struct periodic *retention = NULL;
	struct periodic *hmac_expiry = NULL;
	struct periodic *confirm = NULL;
	struct confirm_config confirm_cfg = {0};
	struct push_reports *push_reports = NULL;
	struct push_reports_config push_cfg = {
	        .db_path = o->db, .keys = keys, .build = push_report_build, .check_every_s = 5};
	char push_base[LIMIT_PUBLIC_URL_MAX + 16];
	struct periodic *order_files = NULL;
	struct order_files_config order_files_cfg = {0};
	const char *metrics_token;
	sigset_t set;
	int sealed = 0, twins = 0, claim = -1, rc;

	/* Every thread inherits this mask; the main thread takes the signals with sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (mkdir(o->spool, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "guichetd: cannot create the spool folder %s: %s\n", o->spool,
		        strerror(errno));
		return 1;
	}
	/* SMTP credentials: from the environment only, never the command line (ps shows it). */
	mail_cfg.smtp_user = getenv("GUICHET_SMTP_USER");
	mail_cfg.smtp_pass = getenv("GUICHET_SMTP_PASSWORD");
	if ((mail_cfg.smtp_user == NULL) != (mail_cfg.smtp_pass == NULL) ||
	    (mail_cfg.smtp_user != NULL && o->smtp == NULL)) {
		fprintf(stderr,
		        "guichetd: GUICHET_SMTP_USER and GUICHET_SMTP_PASSWORD go together, "
		        "with --smtp\n");
		return EXIT_USAGE;
	}
	/* The metrics' token: from the environment only, as the SMTP credentials; kept as its
	 * digest, which the bearer's is compared with (http/metrics.h). */
	metrics_token = getenv("GUICHET_METRICS_TOKEN");
	if (metrics_token != NULL) {
		if (http_metrics_token_check(metrics_token) != ST_OK) {
			fprintf(stderr,
			        "guichetd: GUICHET_METRICS_TOKEN must be %d to %d visible ASCII "
			        "characters (no space)\n",
			        HTTP_METRICS_TOKEN_MIN, HTTP_METRICS_TOKEN_MAX);
			return EXIT_USAGE;
		}
		app.metrics_token = true;
		crypto_digest(app.metrics_token_digest, metrics_token, strlen(metrics_token));
	}
	if (o->smtp != NULL && o->smtp_from == NULL)
		log_warn("event=smtp_from_default from=\"%s\" hint=\"a relay may refuse this "
		         "sender: give --smtp-from\"",
		         MAILER_FROM_DEFAULT);
	rc = store_serve_claim(o->db, &claim);
	if (rc == ST_OK)
		rc = open_db(o, true, &st, &keys);
	if (rc != ST_OK)
		goto out;
	/* Every mail body is sealed before it is written; the rows an earlier version wrote in
	 * clear are sealed now, before anything else runs (README "Mail"). */
	outbox_sealer_set(st, keys);
	rc = outbox_seal_clear(st, &sealed);
	if (rc != ST_OK)
		goto out;
	/* Every brand has its test environment (docs/ENVIRONMENTS.md), in the shop cache too. */
	rc = env_twins_ensure(st, clock_now_us(), &twins);
	if (rc == ST_OK)
		rc = shop_cache_load(st, keys, &app.shops);
	if (rc != ST_OK)
		goto out;
	/* The hosted page's templates, answered from memory (api/hosted_theme.h). */
	rc = page_themes_load(st, &app.themes);
	if (rc != ST_OK)
		goto out;
	/* Made at the first start, then opened: the merchants' modules keep its public key. */
	rc = rsa_key_load_or_create(st, keys, &app.paybox_key);
	if (rc != ST_OK)
		goto out;
	app.sessions = session_cache_new();
	app.shared = store_is_server(o->db);
	rc = load_sessions(st, app.sessions, app.shared);
	if (rc != ST_OK)
		goto out;
	app.throttle = throttle_new(LIMIT_THROTTLE_SLOTS);
	app.signin_address = o->signin_address;
	app.signin_login = o->signin_login;
	app.errlog = errlog_new();
	app.idle_us = (int64_t)o->idle_timeout * CAL_US_PER_S;
	app.tls = o->tls_cert != NULL;
	app.public_url = o->public_url[0] ? o->public_url : NULL;
	app.operator_email = o->operator_email;
	app.keys = keys;
	app.acquirer = &acquirer_simulator;
	app.shop_key_verified = api_hmac_key_verified; /* SPEC §11: a new key's first use */
	rc = st->ops->use_for(st, STORE_USE_PAYMENTS);
	if (rc != ST_OK)
		goto out;
	rc = work_start(st, o->db, LIMIT_READERS, &app.work);
	st = NULL; /* the writer owns it now */
	if (rc != ST_OK)
		goto out;
	cfg.listen = o->listen;
	cfg.tls_cert = o->tls_cert;
	cfg.tls_key = o->tls_key;
	cfg.nloops = o->loops;
	cfg.www = o->www;
	mail_cfg.keys = keys;
	confirm_cfg.keys = keys;
	confirm_cfg.acq = app.acquirer;
	order_files_cfg.keys = keys;
	order_files_cfg.acq = app.acquirer;
	rc = mailer_start(&mail_cfg, app.work, &mailer);
	notify_cfg.paybox_key = app.paybox_key;
	if (rc == ST_OK)
		rc = notifier_start(&notify_cfg, app.work, &notifier);
	if (rc == ST_OK)
		rc = indexer_start(app.work, &indexer);
	if (rc == ST_OK)
		rc = retention_start(app.work, o->retention_every, &retention);
	if (rc == ST_OK)
		rc = hmac_expiry_start(app.work, &hmac_expiry); /* expired keys mailed */
	if (rc == ST_OK)
		rc = confirm_start(&confirm_cfg, app.work, &confirm); /* pending payments */
	if (rc == ST_OK)
		rc = order_files_start(&order_files_cfg, app.work, &order_files); /* batch files */
	if (rc == ST_OK)
		rc = session_cache_watch_start(app.sessions, app.work); /* new terms, live */
	if (rc == ST_OK)
		rc = errlog_start(app.errlog, app.work); /* the merchant API's error log */
	if (rc == ST_OK) /* shops made since the start; keys other servers activate */
		rc = shop_cache_watch_start(app.shops, app.work);
	if (rc == ST_OK && app.shared)
		rc = page_themes_watch_start(app.themes, app.work); /* and templates they change */
	if (rc != ST_OK)
		goto out;
	/* Always: the bank reconciliation's round runs in it (service/reconcile.h). */
	rc = scheduler_start(o->db, o->spool, o->batch_minute, o->recurring_every, keys,
	                     &scheduler);
	if (rc != ST_OK)
		goto out;
	/* The daily push reports; their links start with --public-url, else the address served. */
	snprintf(push_base, sizeof(push_base), "%s%s",
	         o->public_url[0] ? "" : (app.tls ? "https://" : "http://"),
	         o->public_url[0] ? o->public_url : o->listen);
	push_cfg.link_base = push_base;
	push_cfg.keys = keys;
	rc = push_reports_start(&push_cfg, &push_reports);
	if (rc != ST_OK)
		goto out;
	rc = server_run(&app, &cfg);
out:
	push_reports_stop(push_reports);
	scheduler_stop(scheduler);
	mailer_stop(mailer);
	notifier_stop(notifier); /* before the writer it uses */
	periodic_stop(indexer);  /* before the writer they use */
	periodic_stop(retention);
	periodic_stop(hmac_expiry);
	periodic_stop(confirm);
	periodic_stop(order_files);
	session_cache_watch_stop(app.sessions); /* before the readers they use */
	shop_cache_watch_stop(app.shops);
	page_themes_watch_stop(app.themes);
	errlog_stop(app.errlog); /* after the loops, before the writer */
	work_stop(app.work);
	http_metrics_free(app.requests); /* after the readers: a scrape may be on one */
	shop_cache_free(app.shops);
	page_themes_free(app.themes);
	session_cache_free(app.sessions);
	throttle_free(app.throttle);
	errlog_free(app.errlog);
	rsa_key_free(app.paybox_key);
	store_close(st);
	crypto_secret_free(keys);
	if (claim >= 0)
		close(claim); /* the database free for the next server */
	log_info("event=stopped status=%d", rc);
	return rc == ST_OK ? 0 : (rc == ST_INVALID ? EXIT_USAGE : 1);
}

/* guichetd batch run: the télécollecte of one day, also while the server runs. */
static int
cmd_batch_run(const struct options *o)
{
	struct store *st = NULL;
	struct crypto_keys *keys = NULL;
	char bank_dir[4096], returns_dir[4096];
	int64_t day;
	int rc;

	if (o->date == NULL || cal_date_parse(o->date, &day) != 0) {
		fprintf(stderr, "guichetd: batch run wants --date YYYY-MM-DD\n");
		return EXIT_USAGE;
	}
	if (mkdir(o->spool, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "guichetd: cannot create %s: %s\n", o->spool, strerror(errno));
		return 1;
	}
	snprintf(bank_dir, sizeof(bank_dir), "%s/bank", o->spool);
	snprintf(returns_dir, sizeof(returns_dir), "%s/returns", o->spool);
	/* The keys of the server: the report mails go into the outbox sealed (README "Mail"). */
	rc = open_db(o, false, &st, &keys);
	if (rc != ST_OK && rc != ST_STORE)
		fprintf(stderr,
		        "guichetd: cannot open the data key (GUICHET_KEK or the key file, as "
		        "for serve)\n");
	if (rc == ST_OK) {
		outbox_sealer_set(st, keys);
		rc = settlement_run(st, day, clock_now_us(), bank_dir, returns_dir, o->chunk,
		                    stdout);
	}
	store_close(st);
	crypto_secret_free(keys);
	if (rc != ST_OK) {
		fprintf(stderr, "guichetd: batch run failed (see the log above); run it again\n");
		return 1;
	}
	printf("batch run of %s done; bank files in %s\n", o->date, bank_dir);
	return 0;
}

/* guichetd recurring run: every installment and subscription debit due up to a date, once
 * each, also while the server runs (SPEC §16.1). */
static int
cmd_recurring_run(const struct options *o)
{
	struct recurring_round_result res;
	struct store *st = NULL;
	struct crypto_keys *keys = NULL;
	int64_t day;
	int rc;

	if (o->date == NULL || cal_date_parse(o->date, &day) != 0) {
		fprintf(stderr, "guichetd: recurring run wants --date YYYY-MM-DD\n");
		return EXIT_USAGE;
	}
	rc = open_db(o, false, &st, &keys);
	if (rc != ST_OK && rc != ST_STORE)
		fprintf(stderr,
		        "guichetd: cannot open the data key (GUICHET_KEK or the key file, as "
		        "for serve)\n");
	if (rc == ST_OK)
		rc = st->ops->use_for(st, STORE_USE_BATCH);
	if (rc == ST_OK)
		rc = recurring_round(st, keys, &acquirer_simulator, day, 0, NULL, &res);
	store_close(st);
	crypto_secret_free(keys);
	if (rc != ST_OK) {
		fprintf(stderr, "guichetd: recurring run failed (see the log above); run it again: "
		                "what was made stays made, once\n");
		return 1;
	}
	if (o->json)
		printf("{\"date\":\"%s\",\"debits\":%lld,\"accepted\":%lld,\"refused\":%lld,"
		       "\"finished\":%lld,\"failed\":%lld}\n",
		       o->date, (long long)res.debits, (long long)res.accepted,
		       (long long)res.refused, (long long)res.finished, (long long)res.failed);
	else
		printf("recurring run of %s done: %lld debits (%lld accepted, %lld refused); %lld "
		       "plans or subscriptions finished, %lld failed\n",
		       o->date, (long long)res.debits, (long long)res.accepted,
		       (long long)res.refused, (long long)res.finished, (long long)res.failed);
	return 0;
}

/* guichetd terms: a new version of the terms of use. A running server reads it within
 * SESSION_TERMS_EVERY_MS and has every live session accept it; versions only go up, so that
 * the server can keep the highest it read whatever order its readings come back in. */
static int
cmd_terms(const struct options *o)
{
	struct store *st = NULL;
	char v[16];
	int current = 0, rc, n;

	if (o->terms_version == 0) {
		fprintf(stderr, "guichetd: terms wants --version N\n");
		return EXIT_USAGE;
	}
	rc = store_open(o->db, true, &st);
	if (rc == ST_OK)
		rc = st->ops->terms_version(st, &current);
	if (rc == ST_OK && o->terms_version < current) {
		store_close(st);
		fprintf(stderr, "guichetd: the terms are at version %d; a new version is higher\n",
		        current);
		return EXIT_USAGE;
	}
	if (rc == ST_OK) {
		n = snprintf(v, sizeof(v), "%d", o->terms_version);
		rc = st->ops->meta_put(st, "terms_version", (const unsigned char *)v, (size_t)n);
	}
	store_close(st);
	if (rc != ST_OK) {
		fprintf(stderr, "guichetd: could not set the terms version (see the log above)\n");
		return 1;
	}
	printf("terms of use: version %d; every user, signed in or not, accepts them before "
	       "going on\n",
	       o->terms_version);
	return 0;
}

/* guichetd backup: a consistent, checked copy of the database, also while servers use it. */
static int
cmd_backup(const struct options *o)
{
	int rc;

	if (o->to == NULL) {
		fprintf(stderr, "guichetd: backup wants --to FILE\n");
		return EXIT_USAGE;
	}
	rc = backup_run(o->db, o->to, stdout);
	if (rc == ST_CONFLICT) {
		fprintf(stderr, "guichetd: %s exists; a backup never overwrites a file\n", o->to);
		return 1;
	}
	if (rc != ST_OK) {
		fprintf(stderr,
		        "guichetd: backup failed (see the log above); nothing was left "
		        "at %s\n",
		        o->to);
		return 1;
	}
	return 0;
}

/* guichetd migrate: the database's schema brought to this version's, SQLite or PostgreSQL. */
static int
cmd_migrate(const struct options *o)
{
	int from = 0, to = 0;
	int rc = store_migrate(o->db, &from, &to);

	if (rc == ST_INVALID) {
		fprintf(stderr, "guichetd: give the PostgreSQL password in PGPASSWORD or "
		                "~/.pgpass, never on the command line\n");
		return EXIT_USAGE;
	}
	if (rc != ST_OK) {
		fprintf(stderr, "guichetd: migrate failed (see the log above); what was applied "
		                "stays, the rest is applied at the next run\n");
		return 1;
	}
	if (o->json)
		printf("{\"from\":%d,\"to\":%d}\n", from, to);
	else if (from == to)
		printf("schema at version %d: nothing to apply\n", to);
	else
		printf("schema at version %d (it was at %d)\n", to, from);
	return 0;
}

/* The route table; with json, who may call each route (the authorization table, SPEC §3). */
static int
cmd_routes(bool json)
{
	static const char *const auth_names[] = {"none", "hmac", "session", "operator"};
	json_t *all = json_array();
	char *text;

	for (size_t i = 0; i < routes_n; i++) {
		const struct route *rt = &routes[i];
		json_t *profiles;

		if (!json) {
			printf("%s %s\t%s\n", rt->method, rt->pattern, rt->summary);
			continue;
		}
		profiles = json_array();
		for (int p = 0; p < PROFILE__COUNT; p++)
			if (rt->auth == AUTH_SESSION && (rt->profiles & P(p)))
				json_array_append_new(profiles,
				                      json_string(profile_name((enum profile)p)));
		json_array_append_new(all,
		                      json_pack("{s:s, s:s, s:s, s:o, s:b, s:I}", "method",
		                                rt->method, "pattern", rt->pattern, "auth",
		                                auth_names[rt->auth], "profiles", profiles,
		                                "before_next", (rt->flags & ROUTE_BEFORE_NEXT) != 0,
		                                "body_max", (json_int_t)rt->body_max));
	}
	if (json) {
		text = json_dumps(all, JSON_INDENT(1));
		printf("%s\n", text);
		free(text);
	}
	json_decref(all);
	return 0;
}

/* guichetd reconcile import FILE: an acquirer's return file imported (docs/RECONCILIATION.md),
 * also while the server runs on the same database. Exit 0 imported or imported before
 * (nothing changed), 1 refused (each error on stderr) or failed, 2 a bad command line. */
static int
cmd_reconcile_import(const struct options *o, const char *path)
{
	struct reconcile_result res;
	struct store *st = NULL;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *data = malloc(RECON_FILE_MAX + 1);
	size_t len;
	FILE *f;
	int rc;

	if (data == NULL)
		abort();
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "guichetd: cannot read %s: %s\n", path, strerror(errno));
		free(data);
		return 1;
	}
	len = fread(data, 1, RECON_FILE_MAX + 1, f);
	fclose(f);
	rc = store_open(o->db, true, &st);
	if (rc == ST_OK)
		rc = st->ops->begin(st, true);
	if (rc == ST_OK) {
		rc = reconcile_import(st, name, data, len, "cli", "", 0, 0, clock_now_us(), &res);
		if (rc == ST_OK)
			rc = st->ops->commit(st);
		if (rc != ST_OK)
			st->ops->rollback(st);
	}
	store_close(st);
	free(data);
	if (rc == ST_INVALID) {
		fprintf(stderr, "guichetd: %s refused, nothing imported:\n", path);
		for (int i = 0; i < res.parsed.nerrors; i++)
			fprintf(stderr, "  line %d: %s\n", res.parsed.errors[i].lineno,
			        res.parsed.errors[i].text);
		if (res.parsed.errors_more > 0)
			fprintf(stderr, "  and %d more errors\n", res.parsed.errors_more);
		return 1;
	}
	if (rc == ST_NOTFOUND) {
		fprintf(stderr, "guichetd: %s refused, nothing imported: %s\n", path, res.why);
		return 1;
	}
	if (rc != ST_OK) {
		fprintf(stderr, "guichetd: reconcile import failed (see the log above); run it "
		                "again\n");
		return 1;
	}
	if (res.already) {
		char at[25];

		cal_instant_format(res.file.imported_at, at);
		printf("%s: imported already (%s, %s): nothing changed\n", path, at,
		       res.file.source);
		return 0;
	}
	printf("%s: imported: batch %lld, JRB %lld, %lld lines, %lld matched, %lld amounts "
	       "differ, %lld unknown, %lld missing\n",
	       path, (long long)res.file.batch_id, (long long)res.file.jrb_number,
	       (long long)res.file.line_count, (long long)res.file.matched, (long long)res.amount,
	       (long long)res.unknown, (long long)res.missing);
	return 0;
}

/* libsodium started, and the cost of the password hashes this process makes read from
 * GUICHET_PASSWORD_COST (docs/SECURITY.md "Passwords"): 0, or 1 said on stderr. */
static int
crypto_start(void)
{
	const char *spec = getenv("GUICHET_PASSWORD_COST"), *why;
	struct crypto_pwcost cost = CRYPTO_PWCOST_DEFAULT;

	if (crypto_init() != ST_OK) {
		fprintf(stderr, "guichetd: libsodium failed to start\n");
		return 1;
	}
	if (spec != NULL && (why = crypto_password_cost_parse(spec, &cost)) != NULL) {
		fprintf(stderr, "guichetd: GUICHET_PASSWORD_COST=%s refused: %s\n", spec, why);
		return 1;
	}
	crypto_password_cost_set(cost);
	return 0;
}

static int
reconcile_command(int argc, char **argv)
{
	struct options o;

	if (argc < 4 || strcmp(argv[2], "import") != 0 || argv[3][0] == '-') {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (parse_options(argc, argv, 4, &o) != 0)
		return EXIT_USAGE;
	if (o.now_pinned)
		clock_pin(o.now_us);
	if (crypto_start() != 0)
		return 1;
	return cmd_reconcile_import(&o, argv[3]);
}

/* `guichetd batch run …` and `guichetd recurring run …`: the options after "run", the clock
 * pinned if asked, libsodium for the keys (the report mails' sealing, the cards' opening). */
static int
run_command(int argc, char **argv, struct options *o, int (*cmd)(const struct options *))
{
	if (argc < 3 || strcmp(argv[2], "run") != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (parse_options(argc, argv, 3, o) != 0)
		return EXIT_USAGE;
	if (o->now_pinned)
		clock_pin(o->now_us);
	if (crypto_start() != 0)
		return 1;
	return cmd(o);
}

int
main(int argc, char **argv)
{
	struct options o;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("guichetd %s\n", GUICHET_VERSION);
#ifdef GUICHET_FAULT_INJECTION
		/* So that nobody mistakes a test build for one to run (meson_options.txt). */
		printf("storage fault injection: built in (a test build, never for production)\n");
#endif
		return 0;
	}
	if (strcmp(argv[1], "routes") == 0)
		return cmd_routes(argc > 2 && strcmp(argv[2], "--json") == 0);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "batch") == 0)
		return run_command(argc, argv, &o, cmd_batch_run);
	if (strcmp(argv[1], "recurring") == 0)
		return run_command(argc, argv, &o, cmd_recurring_run);
	if (strcmp(argv[1], "reconcile") == 0)
		return reconcile_command(argc, argv);
	if (strcmp(argv[1], "serve") != 0 && strcmp(argv[1], "demo") != 0 &&
	    strcmp(argv[1], "terms") != 0 && strcmp(argv[1], "backup") != 0 &&
	    strcmp(argv[1], "migrate") != 0) {
		fprintf(stderr, "guichetd: unknown command %s\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (parse_options(argc, argv, 2, &o) != 0)
		return EXIT_USAGE;
	if (o.now_pinned)
		clock_pin(o.now_us); /* before any thread starts */
	if (crypto_start() != 0)
		return 1;
	if (strcmp(argv[1], "terms") == 0)
		return cmd_terms(&o);
	if (strcmp(argv[1], "backup") == 0)
		return cmd_backup(&o);
	if (strcmp(argv[1], "migrate") == 0)
		return cmd_migrate(&o);
	return strcmp(argv[1], "serve") == 0 ? cmd_serve(&o) : cmd_demo(&o);
}
