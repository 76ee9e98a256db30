/*
 * reconcile.c - the bank reconciliation journal (reconcile.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acquirer/acquirer.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "domain/calendar.h"
#include "service/reconcile.h"

/* A transaction of the batch, as the matching needs it. */
struct sent {
	int64_t id;
	bool credit, seen;
	int64_t amount;
	char currency[4];
	char auth[7];
};

struct sent_list {
	struct sent *v;
	size_t n, cap;
};

static int
sent_add(void *arg, const struct txn *t)
{
	struct sent_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			abort();
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	l->v[l->n].id = t->id;
	l->v[l->n].credit = t->type == TXN_REFUND;
	l->v[l->n].amount = txn_amount_sent(t);
	snprintf(l->v[l->n].currency, sizeof(l->v[l->n].currency), "%s", t->currency);
	snprintf(l->v[l->n].auth, sizeof(l->v[l->n].auth), "%s", t->auth_number);
	l->n++;
	return ST_OK;
}

static int
by_id(const void *a, const void *b)
{
	const struct sent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct sent *
sent_find(struct sent_list *l, int64_t id)
{
	struct sent key = {.id = id};

	return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), by_id) : NULL;
}

static void
digest_hex(const char *data, size_t len, char out[65])
{
	unsigned char d[CRYPTO_HASH_LEN];

	crypto_digest(d, data, len);
	for (int i = 0; i < CRYPTO_HASH_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int
mismatch(struct store *st, const struct batch *b, const struct recon_file_row *fr,
         enum recon_kind kind, int64_t txn_id, int64_t reference, int64_t expected,
         int64_t received, const char *currency, int64_t now)
{
	struct recon_mismatch_row m = {0};

	m.brand_id = b->brand_id;
	m.shop_id = b->shop_id;
	m.file_id = fr->id;
	m.batch_id = b->id;
	m.jrb_number = fr->jrb_number;
	m.kind = kind;
	m.txn_id = txn_id;
	snprintf(m.reference, sizeof(m.reference), "%" PRId64, reference);
	m.expected = expected;
	m.received = received;
	snprintf(m.currency, sizeof(m.currency), "%s", currency);
	m.created_at = now;
	return st->ops->recon_mismatch_add(st, &m);
}

int
reconcile_import(struct store *st, const char *name, const char *data, size_t len,
                 const char *source, const char *by, int64_t brand_id, int64_t node_id, int64_t now,
                 struct reconcile_result *res)
{
	const struct store_ops *ops = st->ops;
	struct recon_file *f = &res->parsed;
	struct sent_list sent = {0};
	struct batch b;
	enum recon_kind *kinds = NULL;
	int64_t at;
	int rc;

	memset(res, 0, sizeof(*res));
	if (recon_parse(data, len, f) != 0)
		return ST_INVALID;
	digest_hex(data, len, res->file.digest);
	if (brand_id != 0 && f->h.brand_id != brand_id) {
		res->why = "the batch the header names is unknown";
		rc = ST_NOTFOUND;
		goto out;
	}
	rc = ops->recon_file_find(st, f->h.brand_id, res->file.digest, &res->file);
	if (rc == ST_OK) {
		res->already = true;
		goto out;
	}
	if (rc != ST_NOTFOUND)
		goto out;
	rc = ops->recon_batch_find(st, f->h.brand_id, f->h.contract_number, f->h.rang,
	                           f->h.batch_number, &b);
	if (rc == ST_OK && node_id != 0) {
		bool within = false;

		rc = ops->node_within(st, b.brand_id, node_id, b.shop_id, &within);
		if (rc == ST_OK && !within)
			rc = ST_NOTFOUND;
	}
	if (rc == ST_NOTFOUND)
		res->why = "the batch the header names is unknown";
	if (rc == ST_OK && strcmp(b.currency, f->h.currency) != 0) {
		snprintf(f->errors[0].text, sizeof(f->errors[0].text),
		         "the currency is not the batch's %s", b.currency);
		f->errors[0].lineno = 1;
		f->nerrors = 1;
		rc = ST_INVALID;
	}
	if (rc == ST_OK)
		rc = ops->batch_txns_each(st, b.brand_id, b.id, sent_add, &sent);
	if (rc != ST_OK)
		goto out;
	qsort(sent.v, sent.n, sizeof(*sent.v), by_id);

	/* The matching first, to count; then the writes. */
	kinds = calloc(f->n + 1, sizeof(*kinds));
	if (kinds == NULL)
		abort();
	res->file.brand_id = b.brand_id;
	snprintf(res->file.name, sizeof(res->file.name), "%s", name);
	res->file.batch_id = b.id;
	res->file.jrb_number = f->h.jrb_number;
	snprintf(res->file.source, sizeof(res->file.source), "%s", source);
	snprintf(res->file.imported_by, sizeof(res->file.imported_by), "%s", by);
	res->file.imported_at = now;
	res->file.line_count = (int64_t)f->n;
	for (size_t i = 0; i < f->n; i++) {
		struct sent *t = sent_find(&sent, f->lines[i].txn_id);

		kinds[i] = recon_match(&f->lines[i], t != NULL, t ? t->credit : false,
		                       t ? t->amount : 0, t ? t->currency : "");
		if (t != NULL)
			t->seen = true;
		if (kinds[i] == RECON_MATCHED)
			res->file.matched++;
		else if (kinds[i] == RECON_AMOUNT)
			res->amount++;
		else
			res->unknown++;
	}
	for (size_t i = 0; i < sent.n; i++)
		if (!sent.v[i].seen)
			res->missing++;
	res->file.mismatched = res->amount + res->unknown + res->missing;
	rc = ops->recon_file_add(st, &res->file);
	/* The date of the reconciliation: the bank's, the start of the file's value date (Paris),
	 * never before the batch was sent. */
	at = cal_business_day_start(f->h.value_day);
	if (at < b.created_at)
		at = b.created_at;
	for (size_t i = 0; rc == ST_OK && i < f->n; i++) {
		const struct recon_line *l = &f->lines[i];
		struct sent *t = sent_find(&sent, l->txn_id);

		if (kinds[i] != RECON_UNKNOWN)
			rc = ops->recon_txn_set(st, b.brand_id, l->txn_id, b.id, f->h.jrb_number,
			                        kinds[i] == RECON_MATCHED, at, l->net,
			                        l->commission, l->currency);
		if (rc == ST_OK && kinds[i] != RECON_MATCHED)
			rc = mismatch(st, &b, &res->file, kinds[i], t ? t->id : 0, l->txn_id,
			              t ? t->amount : 0, l->amount, l->currency, now);
	}
	for (size_t i = 0; rc == ST_OK && i < sent.n; i++)
		if (!sent.v[i].seen)
			rc = mismatch(st, &b, &res->file, RECON_MISSING, sent.v[i].id, sent.v[i].id,
			              sent.v[i].amount, 0, sent.v[i].currency, now);
out:
	free(kinds);
	free(sent.v);
	recon_file_free(f);
	return rc;
}

bool
reconcile_sim_mismatches(void)
{
	const char *v = getenv("GUICHET_SIM_MISMATCHES");

	return v != NULL && strcmp(v, "1") == 0;
}

int
reconcile_history_batch(struct store *st, const struct batch *b, int64_t now)
{
	int64_t value_day = b->bank_day + 1;

	if (b->method != METHOD_CB && b->method != METHOD_VISA && b->method != METHOD_MASTERCARD)
		return ST_OK;
	if (value_day > cal_business_day(now))
		return ST_OK;
	/* As the import dates it: the start of the file's value date (Paris). */
	return st->ops->batch_history_reconcile(st, b, b->number, cal_business_day_start(value_day),
	                                        simulator_commission_bps(b->method));
}

/* The name of a batch's return file: JRB_<brand>_<contract>_<rang>_<number>_<value date>.txt */
static void
return_name(const struct batch *b, int64_t value_day, char *out, size_t cap)
{
	char day[11];

	cal_date_format(value_day, day);
	snprintf(out, cap, "JRB_%" PRId64 "_%s_%s_%" PRId64 "_%s.txt", b->brand_id,
	         b->contract_number, b->rang, b->number, day);
}

int
reconcile_return_write(struct store *st, const struct batch *b, const char *dir, bool mismatches)
{
	struct recon_header h = {0};
	struct sent_list sent = {0};
	char path[4200], tmp[4220], name[160], line[RECON_LINE_MAX + 2];
	int64_t count = 0, amount = 0, commission = 0, net = 0, debits = 0, first = -1, last = -1;
	int bps, rc, fd, dfd;
	FILE *f;

	if (b->method != METHOD_CB && b->method != METHOD_VISA && b->method != METHOD_MASTERCARD)
		return ST_OK;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ST_STORE;
	rc = st->ops->batch_txns_each(st, b->brand_id, b->id, sent_add, &sent);
	if (rc != ST_OK) {
		free(sent.v);
		return rc;
	}
	h.brand_id = b->brand_id;
	snprintf(h.contract_number, sizeof(h.contract_number), "%s", b->contract_number);
	snprintf(h.rang, sizeof(h.rang), "%s", b->rang);
	h.batch_number = b->number;
	h.jrb_number = b->number; /* the simulator numbers its remittances as the batches */
	h.bank_day = b->bank_day;
	h.value_day = b->bank_day + 1;
	snprintf(h.currency, sizeof(h.currency), "%s", b->currency);
	for (size_t i = 0; i < sent.n; i++) {
		if (!sent.v[i].credit) {
			if (first < 0)
				first = (int64_t)i;
			last = (int64_t)i;
			debits++;
		}
	}
	mismatches = mismatches && debits >= 3;
	return_name(b, h.value_day, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	fd = mkstemp(tmp);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(sent.v);
		return ST_STORE;
	}
	bps = simulator_commission_bps(b->method);
	if (recon_header_write(&h, line, sizeof(line)) > 0)
		fputs(line, f);
	for (size_t i = 0; i <= sent.n; i++) {
		struct recon_line l = {0};

		if (i == sent.n) { /* the unknown line, after the batch's */
			if (!mismatches)
				break;
			l.txn_id = RECON_SIM_UNKNOWN_BASE + b->id;
			l.amount = 100;
			snprintf(l.currency, sizeof(l.currency), "%s", b->currency);
		} else {
			if (mismatches && (int64_t)i == last)
				continue; /* the missing line */
			l.txn_id = sent.v[i].id;
			l.credit = sent.v[i].credit;
			l.amount = sent.v[i].amount + (mismatches && (int64_t)i == first ? 1 : 0);
			snprintf(l.currency, sizeof(l.currency), "%s", sent.v[i].currency);
			snprintf(l.auth, sizeof(l.auth), "%s", sent.v[i].auth);
		}
		l.commission = recon_commission(l.amount, l.credit, bps);
		l.net = l.amount - l.commission;
		if (recon_line_write(&l, line, sizeof(line)) > 0)
			fputs(line, f);
		count++;
		amount += l.amount;
		commission += l.commission;
		net += l.net;
	}
	if (recon_trailer_write(count, amount, commission, net, line, sizeof(line)) > 0)
		fputs(line, f);
	free(sent.v);
	rc = ST_OK;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = ST_STORE;
	if (fclose(f) != 0)
		rc = ST_STORE;
	if (rc == ST_OK && rename(tmp, path) != 0)
		rc = ST_STORE;
	if (rc != ST_OK) {
		unlink(tmp);
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || fsync(dfd) != 0)
		rc = ST_STORE;
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* Reads the file dir/name whole into *out (malloc'd, *len bytes); -1 when it cannot be read
 * or is larger than RECON_FILE_MAX. */
static int
file_read(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	*out = NULL;
	if (f == NULL)
		return -1;
	buf = malloc(RECON_FILE_MAX + 1);
	if (buf == NULL)
		abort();
	n = fread(buf, 1, RECON_FILE_MAX + 1, f);
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

/* Moves dir/name into dir/sub/name. */
static void
file_move(const char *dir, const char *name, const char *sub)
{
	char from[4200], to[4300], folder[4200];

	snprintf(folder, sizeof(folder), "%s/%s", dir, sub);
	if (mkdir(folder, 0700) != 0 && errno != EEXIST)
		return;
	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(to, sizeof(to), "%s/%s", folder, name);
	if (rename(from, to) != 0)
		log_error("event=reconcile_move_failed file=%s error=\"%s\"", name,
		          strerror(errno));
}

static bool
return_file_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 4 && n < 128 && strcmp(name + n - 4, ".txt") == 0;
}

int
reconcile_spool_run(struct store *st, const char *dir, int64_t now,
                    struct reconcile_spool_result *res)
{
	DIR *d;
	struct dirent *e;
	int64_t today = cal_business_day(now);
	int rc = ST_OK;

	memset(res, 0, sizeof(*res));
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? ST_OK : ST_STORE;
	while (rc == ST_OK && (e = readdir(d)) != NULL) {
		struct reconcile_result r;
		struct recon_file peek;
		char path[4200], *data;
		size_t len;
		int irc;

		if (!return_file_name(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (file_read(path, &data, &len) != 0)
			continue;
		/* Not before its value date: the bank's answer of the next day. A bad file is
		 * refused at once. */
		if (recon_parse(data, len, &peek) == 0 && peek.h.value_day > today) {
			recon_file_free(&peek);
			free(data);
			res->waiting++;
			continue;
		}
		recon_file_free(&peek);
		rc = st->ops->begin(st, true);
		if (rc != ST_OK) {
			free(data);
			break;
		}
		irc = reconcile_import(st, e->d_name, data, len, "spool", "", 0, 0, now, &r);
		free(data);
		if (irc == ST_OK) {
			rc = st->ops->commit(st);
			if (rc != ST_OK) {
				st->ops->rollback(st);
				break;
			}
			if (r.already)
				res->already++;
			else
				res->imported++;
			log_info("event=reconcile_imported file=%s batch=%" PRId64 " lines=%" PRId64
			         " matched=%" PRId64 " mismatched=%" PRId64 " already=%d",
			         e->d_name, r.file.batch_id, r.file.line_count, r.file.matched,
			         r.file.mismatched, r.already);
			file_move(dir, e->d_name, "imported");
			continue;
		}
		st->ops->rollback(st);
		if (irc != ST_INVALID && irc != ST_NOTFOUND) {
			rc = irc; /* the store: the file waits for the next round */
			break;
		}
		res->refused++;
		if (irc == ST_NOTFOUND)
			log_error("event=reconcile_refused file=%s error=\"%s\"", e->d_name, r.why);
		for (int i = 0; i < r.parsed.nerrors; i++)
			log_error("event=reconcile_refused file=%s line=%d error=\"%s\"", e->d_name,
			          r.parsed.errors[i].lineno, r.parsed.errors[i].text);
		file_move(dir, e->d_name, "refused");
	}
	closedir(d);
	return rc;
}

int
reconcile_overdue(struct store *st, int64_t since, int64_t now, int64_t *marked, int64_t *until)
{
	int64_t cutoff = recon_overdue_cutoff(now);
	int rc;

	*marked = 0;
	*until = since;
	if (cutoff <= since)
		return ST_OK;
	rc = st->ops->begin(st, true);
	if (rc != ST_OK)
		return rc;
	rc = st->ops->recon_overdue_mark(st, since, cutoff, now, marked);
	if (rc == ST_OK)
		rc = st->ops->commit(st);
	if (rc != ST_OK) {
		st->ops->rollback(st);
		return rc;
	}
	*until = cutoff;
	return ST_OK;
}
