/*
 * opts.h - the client's command lines: a table-driven parser of one command's options and the
 * checks of the values the back office would refuse (dates, amounts, ports, names), so that a
 * bad command line stops before anything is sent (exit 2).
 *
 * Pure C, no I/O: the commands (main.c) own the tables and print the messages; this module is
 * what tests/unit/test_client_opts.c drives.
 */
#ifndef GUICHET_CLIENT_OPTS_H
#define GUICHET_CLIENT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One option of a command, "--name VALUE" (also "--name=VALUE") or a flag "--name". */
struct opt_spec {
	const char *name;  /* without its leading "--" */
	const char *value; /* the value's placeholder in the help ("D"), NULL for a flag */
	const char *help;  /* one line for --help */
};

#define OPTS_MAX 32 /* options of one command, at most */

/* Reads argv[0..argc) against the n options of specs (n <= OPTS_MAX): out[i] is the value of
 * specs[i] (a flag's is ""), NULL when absent; values point into argv. Returns 0; 1 when
 * "--help" was given (anything else ignored); -1 on an unknown option, a value missing, an
 * option given twice or an argument that is no option, with the reason in err (errlen bytes,
 * always NUL-terminated). */
int opts_parse(const struct opt_spec *specs, size_t n, int argc, char *const *argv,
               const char **out, char *err, size_t errlen);

/* True when v is a day "YYYY-MM-DD" or a time "YYYY-MM-DDTHH:MM[:SS]" that exists, the forms
 * GET /bo/api/transactions takes for from and to (README "transactions"). */
bool opts_date_ok(const char *v);

/* An amount filter "[eq:|ge:|le:|ne:]12.34", in the major unit of a currency of exponent
 * decimals, as the API's "OP:MINOR" ("ge:1234") into out (cap bytes). Returns 0, or -1 with
 * the reason in err (more decimals than the currency has, not a number, too large). */
int opts_amount_filter(const char *v, int exponent, char *out, size_t cap, char *err,
                       size_t errlen);

/* An operation's amount "12.34", in the major unit of a currency of exponent decimals, into
 * *minor (more than zero). Returns 0, or -1 with the reason in err. */
int opts_amount(const char *v, int exponent, int64_t *minor, char *err, size_t errlen);

/* A TCP port, 1..65535, into *port. Returns 0 or -1. */
int opts_port(const char *v, int *port);

/* A whole number min..max into *n. Returns 0 or -1. */
int opts_number(const char *v, long min, long max, long *n);

/* A profile's name: 1 to 64 of [A-Za-z0-9_.-], not starting with a dot (it names files). */
bool opts_name_ok(const char *v);

/* True for the loopback hosts plain HTTP may go to: 127.0.0.1, ::1, localhost (SPEC §16.1). */
bool opts_loopback(const char *host);

/* True when v is 1 to 4 decimal digits: the end of a card number. */
bool opts_last_digits_ok(const char *v);

#endif
