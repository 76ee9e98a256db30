/*
 * fuzz_cli.c - guichetd's command line (src/main.c: every option's value, --now's dates and
 * instants, --public-url, --smtp and --smtp-from through the mailer's checks, --batch-time,
 * the numbers): the input's NUL-separated strings are the arguments of `guichetd serve`.
 * main.c is built in, its main() renamed, so that its own parser runs.
 *
 * Properties: the parser answers yes or no (never exits, never crashes), and what it keeps
 * is what the usage text promises: a public URL of http(s), a host and no query, user part
 * or trailing '/'; an SMTP URL of smtp(s), a host and no user part, query or line break; a
 * sender whose address has one '@' and nothing that could end or fold a mail header.
 */
#include <stdbool.h>

int guichetd_main(int argc, char **argv);
#define main guichetd_main
#include "main.c"
#undef main

#include "fuzz.h"

#define ARGS_MAX 16

static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	FUZZ_CHECK(devnull != NULL, "no /dev/null");
	opterr = 0; /* getopt's messages: not the parser's */
	return 0;
}

static bool
only(const char *s, size_t n, const char *allowed)
{
	return strspn(s, allowed) >= n;
}

static void
check(const struct options *o)
{
	const char *u = o->public_url, *host;
	size_t n = strlen(u);
	char addr[LIMIT_SMTP_FROM_MAX + 1];

	if (n > 0) {
		host = strncmp(u, "https://", 8) == 0  ? u + 8
		       : strncmp(u, "http://", 7) == 0 ? u + 7
		                                       : NULL;
		FUZZ_CHECK(host != NULL && *host != '\0' && *host != '/' && u[n - 1] != '/' &&
		                   only(host, strlen(host),
		                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                        "0123456789.-:[]/_~"),
		           "--public-url kept \"%s\"", u);
	}
	if (o->smtp != NULL)
		FUZZ_CHECK((strncmp(o->smtp, "smtp://", 7) == 0 ||
		            strncmp(o->smtp, "smtps://", 8) == 0) &&
		                   strpbrk(o->smtp, "@?#\r\n ") == NULL,
		           "--smtp kept \"%s\"", o->smtp);
	if (o->smtp_from != NULL) {
		const char *at;

		FUZZ_CHECK(mailer_from_check(o->smtp_from, addr, sizeof(addr)) == ST_OK,
		           "--smtp-from changed its mind");
		at = strchr(addr, '@');
		FUZZ_CHECK(at != NULL && at != addr && at[1] != '\0' &&
		                   strchr(at + 1, '@') == NULL &&
		                   strpbrk(addr, " <>\"(),;:[]\\") == NULL,
		           "--smtp-from kept the address \"%s\"", addr);
		for (const char *p = o->smtp_from; *p != '\0'; p++)
			FUZZ_CHECK(*p >= 0x20 && *p < 0x7f,
			           "--smtp-from kept a control or 8-bit byte");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *argv[ARGS_MAX + 3] = {"guichetd", "serve"};
	char *reset[] = {"guichetd", NULL};
	FILE *saved = stderr;
	struct options o;
	int argc = 2, rc;

	for (size_t i = 0; i < size && argc < ARGS_MAX + 2; i += strlen(text + i) + 1) {
		/* --help (or an abbreviation of it) prints the usage and exits: not a parse. */
		if (strncmp(text + i, "--h", 3) == 0) {
			free(text);
			return -1;
		}
		argv[argc++] = text + i;
	}
	argv[argc] = NULL;
	/* A fresh getopt, as in a new process: one parse may leave it inside an argument. */
	optind = 0;
	getopt_long(1, reset, "", NULL, NULL);
	stderr = devnull; /* the usage text on each refusal */
	rc = parse_options(argc, argv, 2, &o);
	stderr = saved;
	FUZZ_CHECK(rc == 0 || rc == -1, "parse_options gave %d", rc);
	if (rc == 0)
		check(&o);
	log_set_level(LOG_INFO);
	free(text);
	return 0;
}
