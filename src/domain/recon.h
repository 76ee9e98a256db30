/*
 * recon.h - the acquirer's return file of a batch (the bank reconciliation journal, JRB;
 * Vision manual §8, SPEC §8; docs/RECONCILIATION.md): its delimited format read and written,
 * and the rules that match its lines with the transactions Guichet sent. Pure C, no I/O.
 *
 * A file is lines ending in LF (a CR before it is taken too), fields separated by ';', ASCII:
 *
 *   H;GJRB1;BRAND;CONTRACT;RANG;BATCH_NUMBER;JRB_NUMBER;BANK_DATE;VALUE_DATE;CURRENCY
 *   L;TXN_ID;DEBIT|CREDIT;AMOUNT;COMMISSION;NET;CURRENCY;AUTH
 *   …
 *   Z;LINES;TOTAL_AMOUNT;TOTAL_COMMISSION;TOTAL_NET
 *
 * Amounts in minor units, never negative; NET = AMOUNT − COMMISSION; the trailer's counts
 * and totals those of the L lines. A file breaking any rule is refused whole, with the list
 * of its errors (line number and why), so that nothing of it is imported.
 *
 * Not the import (service/reconcile.c) nor the store.
 */
#ifndef GUICHET_RECON_H
#define GUICHET_RECON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECON_FORMAT       "GJRB1"
#define RECON_FILE_MAX     (4 * 1024 * 1024) /* bytes: about 50,000 lines */
#define RECON_LINE_MAX     256               /* bytes of one line, LF excluded */
#define RECON_ERRORS_MAX   50                /* errors listed; more are counted */
#define RECON_ERROR_TEXT   120
#define RECON_OVERDUE_DAYS 7 /* a sent transaction unreconciled after this: ERROR (§8.1.1) */
/* The simulator's unknown line names this plus the batch id: no transaction has such an id. */
#define RECON_SIM_UNKNOWN_BASE 900000000000LL

struct recon_header {
	int64_t brand_id;
	char contract_number[21];
	char rang[4];
	int64_t batch_number; /* Guichet's number of the batch (the bank file's) */
	int64_t jrb_number;   /* the bank's remittance number */
	int64_t bank_day;     /* the batch's bank date (calendar.h days) */
	int64_t value_day;    /* the date of the reconciliation */
	char currency[4];
};

struct recon_line {
	int lineno; /* in the file, from 1 */
	int64_t txn_id;
	bool credit; /* a refund; else a debit */
	int64_t amount, commission, net;
	char currency[4];
	char auth[7];
};

struct recon_error {
	int lineno; /* 0: the file as a whole */
	char text[RECON_ERROR_TEXT];
};

struct recon_file {
	struct recon_header h;
	struct recon_line *lines; /* malloc'd: recon_file_free */
	size_t n;
	struct recon_error errors[RECON_ERRORS_MAX];
	int nerrors;     /* listed */
	int errors_more; /* beyond the list */
};

/* Reads len bytes of a return file into f (zeroed first). 0 when the file is good; else -1,
 * with f->errors saying each error (and f->lines freed). */
int recon_parse(const char *data, size_t len, struct recon_file *f);

void recon_file_free(struct recon_file *f);

/* What one of our transactions makes of the file. */
enum recon_kind {
	RECON_MATCHED = 0, /* the line says what we sent */
	RECON_AMOUNT,      /* a line for it, with another amount, type or currency */
	RECON_UNKNOWN,     /* a line for no transaction of the batch */
	RECON_MISSING,     /* a transaction of the batch with no line */
};

/* The names of the kinds in the API and the store: "matched", "amount", "unknown",
 * "missing". */
const char *recon_kind_name(enum recon_kind k);
/* The kind named s (amount, unknown, missing), or -1. */
int recon_kind_parse(const char *s);

/* A line against the transaction it names: found (one of the batch's), and then its type
 * (credit), amount sent and currency. */
enum recon_kind recon_match(const struct recon_line *l, bool found, bool credit, int64_t amount,
                            const char *currency);

/* Whether a transaction sent at sent_at and still not reconciled is overdue at now: more
 * than RECON_OVERDUE_DAYS × 24 h later (7 days exactly is not yet). */
bool recon_overdue(int64_t sent_at, int64_t now);
/* The latest sent_at that is overdue at now. */
int64_t recon_overdue_cutoff(int64_t now);

/* The commission of the acquirer on a debit of amount at bps basis points (truncated); none
 * on a credit. */
int64_t recon_commission(int64_t amount, bool credit, int bps);

/* The lines of a return file into out (cap bytes): the header, a line, the trailer. Each
 * returns the length written (without the NUL), or -1 when cap is too small. */
int recon_header_write(const struct recon_header *h, char *out, size_t cap);
int recon_line_write(const struct recon_line *l, char *out, size_t cap);
int recon_trailer_write(int64_t lines, int64_t amount, int64_t commission, int64_t net, char *out,
                        size_t cap);

#endif
