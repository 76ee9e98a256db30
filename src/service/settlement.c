/*
 * settlement.c - the télécollecte (settlement.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acquirer/acquirer.h"
#include "common/log.h"
#include "domain/calendar.h"
#include "domain/money.h"
#include "domain/txn.h"
#include "service/reconcile.h"
#include "service/settlement.h"

struct due {
	int64_t brand_id, contract_id;
};

struct due_list {
	struct due *v;
	size_t n, cap;
};

static int
due_add(void *arg, int64_t brand_id, int64_t contract_id)
{
	struct due_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			abort();
	}
	l->v[l->n].brand_id = brand_id;
	l->v[l->n].contract_id = contract_id;
	l->n++;
	return ST_OK;
}

static void
amount_text(int64_t amount, const char *currency, char *out, size_t cap)
{
	const struct currency *c = money_currency_find(currency);

	if (c == NULL || money_format_plain(amount, c, out, cap) < 0)
		snprintf(out, cap, "%lld", (long long)amount);
}

/* The daily report (Vision manual §5: "compte rendu de télécollecte"), into the outbox. */
static int
report_mail(struct store *st, const struct batch *b)
{
	struct mail m = {0};
	char body[1024], day[11], deb[32], cred[32];

	if (b->report_email[0] == '\0')
		return ST_OK;
	cal_date_format(b->bank_day, day);
	amount_text(b->debit_amount, b->currency, deb, sizeof(deb));
	amount_text(b->credit_amount, b->currency, cred, sizeof(cred));
	m.brand_id = b->brand_id;
	m.node_id = b->shop_id; /* a shop is a node of the tree */
	snprintf(m.recipient, sizeof(m.recipient), "%s", b->report_email);
	snprintf(m.subject, sizeof(m.subject), "Guichet : télécollecte du %s, remise %lld", day,
	         (long long)b->number);
	snprintf(body, sizeof(body),
	         "Compte rendu de télécollecte / settlement report\n\n"
	         "Date : %s\nRemise / batch : %lld\nContrat / contract : %lld\n"
	         "Débits / debits : %lld pour / for %s %s\n"
	         "Crédits / credits : %lld pour / for %s %s\n",
	         day, (long long)b->number, (long long)b->contract_id, (long long)b->debit_count,
	         deb, b->currency, (long long)b->credit_count, cred, b->currency);
	m.body = body;
	m.created_at = b->created_at;
	return st->ops->mail_add(st, &m);
}

/* The bank file of one batch: a header line, one line per transaction, a trailer. */
struct file_ctx {
	FILE *f;
};

static int
file_line(void *arg, const struct txn *t)
{
	struct file_ctx *x = arg;

	fprintf(x->f, "T;%lld;%s;%lld;%s;%s;%s\n", (long long)t->id,
	        t->type == TXN_REFUND ? "CREDIT" : "DEBIT", (long long)txn_amount_sent(t),
	        t->currency, t->auth_number, t->card_masked);
	return ST_OK;
}

struct write_ctx {
	struct store *st;
	const char *dir;
	const char *returns_dir; /* the acquirer's return files (service/reconcile.h) */
	FILE *out;
	int rc;
	int64_t now;         /* the run's instant */
	char test_dir[4100]; /* the test environment's batches' files (docs/ENVIRONMENTS.md) */
};

struct batch_list {
	struct batch *v;
	size_t n, cap;
};

static int
batch_add(void *arg, const struct batch *b)
{
	struct batch_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			abort();
	}
	l->v[l->n++] = *b;
	return ST_OK;
}

/* Writes the bank file of batch b: to a temporary file of its own (mkstemp) in the folder,
 * synced, renamed to its name, the folder synced, so that a file under its name is always
 * whole; then the acquirer's answer and the mark "written". */
static void
write_file(struct write_ctx *w, const struct batch *b)
{
	struct file_ctx x = {NULL};
	char path[4200], tmp[4220], day[11];
	const char *folder = w->dir;
	bool test = false;
	int rc = ST_STORE, fd, dir = -1;

	/* A test environment's batch never goes into the bank's folder: its file is written
	 * apart, for the merchant's tests, and reconciled by the simulator as production's. */
	tmp[0] = '\0';
	if (w->st->ops->env_is_test(w->st, b->brand_id, &test) != ST_OK)
		goto out;
	if (test)
		folder = w->test_dir;
	snprintf(path, sizeof(path), "%s/%s", folder, b->file_name);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		tmp[0] = '\0';
		goto out;
	}
	x.f = fdopen(fd, "w");
	if (x.f == NULL) {
		close(fd);
		goto out;
	}
	cal_date_format(b->bank_day, day);
	fprintf(x.f, "H;%lld;%s;%s;%lld;%s\n", (long long)b->brand_id, b->contract_number, b->rang,
	        (long long)b->number, day);
	rc = w->st->ops->batch_txns_each(w->st, b->brand_id, b->id, file_line, &x);
	fprintf(x.f, "Z;%lld;%lld;%lld;%lld\n", (long long)b->debit_count,
	        (long long)b->debit_amount, (long long)b->credit_count,
	        (long long)b->credit_amount);
	if (fflush(x.f) != 0 || fsync(fileno(x.f)) != 0)
		rc = ST_STORE;
	if (fclose(x.f) != 0)
		rc = ST_STORE;
	if (rc == ST_OK && rename(tmp, path) != 0)
		rc = ST_STORE;
	if (rc == ST_OK) {
		tmp[0] = '\0'; /* renamed: nothing to remove */
		dir = open(folder, O_RDONLY | O_DIRECTORY);
		if (dir < 0 || fsync(dir) != 0)
			rc = ST_STORE;
		if (dir >= 0)
			close(dir);
	}
	/* The acquirer's answer to the file: the simulator's return file (JRB), dated the next
	 * day, which the import job takes on that day (docs/RECONCILIATION.md). Written again
	 * whole, the same bytes, by a run after a kill. */
	if (rc == ST_OK && w->returns_dir != NULL)
		rc = reconcile_return_write(w->st, b, w->returns_dir, reconcile_sim_mismatches());
	if (rc == ST_OK)
		rc = w->st->ops->batch_written(w->st, b->id);
out:
	if (rc != ST_OK) {
		log_error("event=bank_file_failed batch=%lld error=\"%s\"", (long long)b->id,
		          strerror(errno));
		if (tmp[0] != '\0')
			unlink(tmp);
		w->rc = rc; /* the other files are still written */
	}
}

/* One télécollecte at a time per bank folder: an exclusive lock on <bank_dir>/.lock, held
 * until the run ends (or its process dies: the kernel drops it). A run started meanwhile
 * (the daily one of the server and one by hand, say) waits for it, then finds what is left
 * to do. Returns the lock's descriptor, or -1. */
static int
run_lock(const char *bank_dir)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/.lock", bank_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Removes the temporary files a killed run left in the bank folder: write_file's
 * "<name>.XXXXXX", a bank file half written, under a name a bank never reads but that would
 * stay there for good (a run that fails removes its own). Called under the run lock, so no
 * other run is writing one. */
static void
stale_temps_remove(const char *bank_dir)
{
	DIR *d = opendir(bank_dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		const char *ext = strstr(e->d_name, ".txt.");

		if (ext == NULL || strlen(ext) != sizeof(".txt.XXXXXX") - 1)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_warn("event=bank_temp_removed file=%s hint=\"left by a run that was "
			         "killed; its batch is written again\"",
			         e->d_name);
	}
	closedir(d);
}

/* Ends the transaction of a step that gave rc: committed when it did its work or found none
 * to do (ST_NOTFOUND, kept), else rolled back. */
static int
step_end(struct store *st, int rc)
{
	if (rc == ST_OK || rc == ST_NOTFOUND) {
		int crc = st->ops->commit(st);

		if (crc == ST_OK)
			return rc;
		rc = crc;
	}
	st->ops->rollback(st);
	return rc;
}

/* Fills the open batch b a chunk at a time, each chunk in a transaction of its own followed
 * by a pause, then finishes it with its report mail. */
static int
batch_complete(struct store *st, struct batch *b, int chunk, FILE *out)
{
	const struct store_ops *ops = st->ops;
	int64_t moved;
	int rc;

	do {
		rc = ops->begin(st, true);
		if (rc != ST_OK)
			return rc;
		rc = step_end(st, ops->batch_fill(st, b, chunk, &moved));
		if (rc != ST_OK)
			return rc;
		if (moved > 0)
			nanosleep(&(struct timespec){0, SETTLEMENT_PAUSE_NS}, NULL);
	} while (moved > 0);
	rc = ops->begin(st, true);
	if (rc != ST_OK)
		return rc;
	rc = ops->batch_finish(st, b);
	if (rc == ST_OK)
		rc = report_mail(st, b);
	rc = step_end(st, rc);
	if (rc == ST_NOTFOUND)
		return ST_OK; /* each of its transactions cancelled meanwhile: no batch */
	if (rc != ST_OK)
		return rc;
	log_info("event=batch_closed batch=%lld contract=%lld debits=%lld credits=%lld",
	         (long long)b->id, (long long)b->contract_id, (long long)b->debit_count,
	         (long long)b->credit_count);
	if (out != NULL)
		fprintf(out,
		        "batch %lld: brand %lld, contract %lld, number %lld: %lld debits (%lld), "
		        "%lld credits (%lld) %s\n",
		        (long long)b->id, (long long)b->brand_id, (long long)b->contract_id,
		        (long long)b->number, (long long)b->debit_count, (long long)b->debit_amount,
		        (long long)b->credit_count, (long long)b->credit_amount, b->currency);
	return ST_OK;
}

int
settlement_run(struct store *st, int64_t day, int64_t now, const char *bank_dir,
               const char *returns_dir, int chunk, FILE *out)
{
	const struct store_ops *ops = st->ops;
	struct due_list due = {0};
	struct write_ctx w = {st, bank_dir, returns_dir, out, ST_OK, now, ""};
	int rc, lock;

	if (chunk < 1 || chunk > SETTLEMENT_CHUNK_MAX)
		chunk = SETTLEMENT_CHUNK;
	snprintf(w.test_dir, sizeof(w.test_dir), "%s%s", bank_dir, SETTLEMENT_TEST_SUFFIX);
	if ((mkdir(bank_dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(w.test_dir, 0700) != 0 && errno != EEXIST)) {
		log_error("event=bank_dir_failed path=\"%s\" error=\"%s\"", bank_dir,
		          strerror(errno));
		return ST_STORE;
	}
	lock = run_lock(bank_dir);
	if (lock < 0) {
		log_error("event=bank_dir_failed path=\"%s\" error=\"%s\"", bank_dir,
		          strerror(errno));
		return ST_STORE;
	}
	stale_temps_remove(bank_dir);
	if (returns_dir != NULL)
		stale_temps_remove(returns_dir); /* a return file's, ".<name>.txt.XXXXXX" */
	stale_temps_remove(w.test_dir);
	rc = ops->use_for(st, STORE_USE_BATCH);
	/* The batches a killed run left open first: their contracts' transactions are theirs. */
	if (rc == ST_OK) {
		struct batch_list open = {0};

		rc = ops->batch_closing_each(st, batch_add, &open);
		for (size_t i = 0; rc == ST_OK && i < open.n; i++)
			rc = batch_complete(st, &open.v[i], chunk, out);
		free(open.v);
	}
	if (rc == ST_OK)
		rc = ops->batch_due_each(st, day, due_add, &due);
	for (size_t i = 0; rc == ST_OK && i < due.n; i++) {
		struct batch b;

		rc = ops->begin(st, true);
		if (rc != ST_OK)
			break;
		rc = ops->batch_open(st, due.v[i].brand_id, due.v[i].contract_id, day, now, &b);
		rc = step_end(st, rc);
		if (rc == ST_OK) {
			log_info("event=batch_opened batch=%lld contract=%lld", (long long)b.id,
			         (long long)b.contract_id);
			rc = batch_complete(st, &b, chunk, out);
		} else if (rc == ST_NOTFOUND) {
			rc = ST_OK; /* nothing to send; its due cancellations are out of the queue */
		}
	}
	free(due.v);
	/* Files of every committed batch not yet written, this run's or a killed run's. */
	if (rc == ST_OK) {
		struct batch_list todo = {0};

		rc = ops->batch_unwritten_each(st, batch_add, &todo);
		for (size_t i = 0; rc == ST_OK && i < todo.n; i++)
			write_file(&w, &todo.v[i]);
		free(todo.v);
	}
	close(lock); /* the next run may go */
	return rc != ST_OK ? rc : w.rc;
}
