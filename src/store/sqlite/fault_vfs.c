/*
 * fault_vfs.c - storage faults on demand, for the fault tests (tests/system/test_faults.py):
 * a SQLite VFS that wraps the default one and, once armed, makes its Nth call fail with an
 * I/O error, a full disk or a busy lock, the way SQLite's own test suite injects I/O errors
 * (its "ioerr" and "diskfull" tests). One level below tests/unit/test_payments_torture.c,
 * which fails the Nth call of the store interface: here SQLite itself meets the failure,
 * in the middle of a statement, a commit or a checkpoint.
 *
 * Not in a release build: meson's fault_injection option (off by default) compiles this file
 * and defines GUICHET_FAULT_INJECTION; without it nothing here exists, and neither variable
 * below is read.
 *
 * Armed by a spec "N KIND [persist]" (N >= 1; "0" disarms):
 *  - ioerr: every call that can fail counts, and fails with its own SQLITE_IOERR_* code
 *    (xRead, xWrite, xTruncate, xSync, xFileSize, xLock, xCheckReservedLock, xShmMap and the
 *    taking of a shared-memory lock, xOpen, xDelete, xAccess);
 *  - full: only writes count, and fail with SQLITE_FULL (the disk is full);
 *  - busy: only the taking of locks counts (xLock, xShmLock), and fails with SQLITE_BUSY.
 * Releasing a lock never fails (no file system fails an unlock). The Nth counted call fails;
 * with "persist", every counted call from the Nth on, until the next spec (a disk that stays
 * full). The spec comes from GUICHET_FAULT at the start of the process (guichetd batch run),
 * and from the file named by GUICHET_FAULT_CTL whenever a test writes it: a thread reads it
 * every 2 ms, counts from zero again, and deletes it, which tells the test it is armed.
 * Every injected failure is logged (event=storage_fault_injected), so a test knows whether
 * its fault fired.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/log.h"
#include "store/sqlite/lite.h"

enum fault_kind { FK_IOERR, FK_FULL, FK_BUSY };

/* The calls that can fail, each with the code an I/O error gives it, and whether a full disk
 * or a busy lock applies to it. */
enum fault_op {
	FO_OPEN,
	FO_DELETE,
	FO_ACCESS,
	FO_READ,
	FO_WRITE,
	FO_TRUNCATE,
	FO_SYNC,
	FO_FILESIZE,
	FO_LOCK,
	FO_CHECK_RESERVED,
	FO_SHM_MAP,
	FO_SHM_LOCK,
};

static const struct {
	const char *name;
	int ioerr;
	bool full, busy;
} fault_ops[] = {
        [FO_OPEN] = {"xOpen", SQLITE_CANTOPEN, false, false},
        [FO_DELETE] = {"xDelete", SQLITE_IOERR_DELETE, false, false},
        [FO_ACCESS] = {"xAccess", SQLITE_IOERR_ACCESS, false, false},
        [FO_READ] = {"xRead", SQLITE_IOERR_READ, false, false},
        [FO_WRITE] = {"xWrite", SQLITE_IOERR_WRITE, true, false},
        [FO_TRUNCATE] = {"xTruncate", SQLITE_IOERR_TRUNCATE, false, false},
        [FO_SYNC] = {"xSync", SQLITE_IOERR_FSYNC, false, false},
        [FO_FILESIZE] = {"xFileSize", SQLITE_IOERR_FSTAT, false, false},
        [FO_LOCK] = {"xLock", SQLITE_IOERR_LOCK, false, true},
        [FO_CHECK_RESERVED] = {"xCheckReservedLock", SQLITE_IOERR_CHECKRESERVEDLOCK, false, false},
        [FO_SHM_MAP] = {"xShmMap", SQLITE_IOERR_SHMMAP, false, false},
        [FO_SHM_LOCK] = {"xShmLock", SQLITE_IOERR_SHMLOCK, false, true},
};

/* What is armed; under lock. */
static struct {
	pthread_mutex_t lock;
	int64_t nth;   /* the call that fails; 0: disarmed */
	int64_t calls; /* counted since armed */
	enum fault_kind kind;
	bool persist;
} armed = {.lock = PTHREAD_MUTEX_INITIALIZER};

static sqlite3_vfs *real_vfs;

/* A file: ours first, the real VFS's file right after it (szOsFile covers both). */
struct fault_file {
	sqlite3_file base;
	const char *what; /* "db", "wal", "journal", "temp": for the log */
	sqlite3_file *real;
};

#define REAL(f) (((struct fault_file *)(f))->real)

/* SQLITE_OK, or the failure this call of op must give. */
static int
fault_check(enum fault_op op, const char *what)
{
	int code = SQLITE_OK;
	int64_t call = 0;
	bool counts;

	pthread_mutex_lock(&armed.lock);
	if (armed.nth > 0) {
		counts = armed.kind == FK_IOERR || (armed.kind == FK_FULL && fault_ops[op].full) ||
		         (armed.kind == FK_BUSY && fault_ops[op].busy);
		if (counts) {
			call = ++armed.calls;
			if (call == armed.nth || (armed.persist && call > armed.nth))
				code = armed.kind == FK_FULL   ? SQLITE_FULL
				       : armed.kind == FK_BUSY ? SQLITE_BUSY
				                               : fault_ops[op].ioerr;
		}
	}
	pthread_mutex_unlock(&armed.lock);
	if (code != SQLITE_OK)
		log_warn("event=storage_fault_injected call=%lld op=%s file=%s code=%d",
		         (long long)call, fault_ops[op].name, what, code);
	return code;
}

/* Reads "N KIND [persist]"; 0 when it is one, else -1 (the spec is then ignored). */
static int
spec_parse(const char *s, int64_t *nth, enum fault_kind *kind, bool *persist)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	size_t len;

	if (end == s || n < 0)
		return -1;
	*nth = n;
	*kind = FK_IOERR;
	*persist = false;
	s = end + strspn(end, " ");
	if (n == 0)
		return *s == '\0' || *s == '\n' ? 0 : -1;
	len = strcspn(s, " \n");
	if (len == 5 && strncmp(s, "ioerr", len) == 0)
		*kind = FK_IOERR;
	else if (len == 4 && strncmp(s, "full", len) == 0)
		*kind = FK_FULL;
	else if (len == 4 && strncmp(s, "busy", len) == 0)
		*kind = FK_BUSY;
	else
		return -1;
	s += len;
	s += strspn(s, " ");
	if (strncmp(s, "persist", 7) == 0) {
		*persist = true;
		s += 7;
	}
	return *s == '\0' || *s == '\n' ? 0 : -1;
}

static void
arm(const char *spec)
{
	int64_t nth;
	enum fault_kind kind;
	bool persist;

	if (spec_parse(spec, &nth, &kind, &persist) != 0) {
		log_error(
		        "event=storage_fault_spec_bad hint=\"N ioerr|full|busy [persist], or 0\"");
		return;
	}
	pthread_mutex_lock(&armed.lock);
	armed.nth = nth;
	armed.calls = 0;
	armed.kind = kind;
	armed.persist = persist;
	pthread_mutex_unlock(&armed.lock);
	log_info("event=storage_fault_armed nth=%lld kind=%s persist=%d", (long long)nth,
	         kind == FK_FULL   ? "full"
	         : kind == FK_BUSY ? "busy"
	                           : "ioerr",
	         persist);
}

/* The control file's reader: arms what a test writes there, then deletes it. */
static void *
ctl_main(void *arg)
{
	const char *path = arg;
	struct timespec pause = {0, 2000000};
	char spec[64];

	for (;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			ssize_t n = read(fd, spec, sizeof(spec) - 1);

			close(fd);
			spec[n > 0 ? n : 0] = '\0';
			arm(spec);
			unlink(path);
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* ---- the file's methods: check, then the real file's ---------------------------------- */

static int
f_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	int rc = fault_check(FO_READ, ((struct fault_file *)f)->what);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int
f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	int rc = fault_check(FO_WRITE, ((struct fault_file *)f)->what);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xWrite(REAL(f), buf, amt, off);
}

static int
f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = fault_check(FO_TRUNCATE, ((struct fault_file *)f)->what);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
f_sync(sqlite3_file *f, int flags)
{
	int rc = fault_check(FO_SYNC, ((struct fault_file *)f)->what);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = fault_check(FO_FILESIZE, ((struct fault_file *)f)->what);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
f_lock(sqlite3_file *f, int level)
{
	int rc = fault_check(FO_LOCK, ((struct fault_file *)f)->what);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xLock(REAL(f), level);
}

static int
f_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int
f_check_reserved(sqlite3_file *f, int *out)
{
	int rc = fault_check(FO_CHECK_RESERVED, ((struct fault_file *)f)->what);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
f_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
f_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
f_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
f_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **pp)
{
	int rc = fault_check(FO_SHM_MAP, ((struct fault_file *)f)->what);

	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, pp);
}

static int
f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	int rc = SQLITE_OK;

	if (flags & SQLITE_SHM_LOCK)
		rc = fault_check(FO_SHM_LOCK, ((struct fault_file *)f)->what);
	return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
f_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int
f_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, amt, pp);
}

static int
f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

/* The methods of each version SQLite may ask for: a file answers with the real file's. */
static const sqlite3_io_methods fault_methods[3] = {
        {1, f_close, f_read, f_write, f_truncate, f_sync, f_file_size, f_lock, f_unlock,
         f_check_reserved, f_file_control, f_sector_size, f_device_characteristics, NULL, NULL,
         NULL, NULL, NULL, NULL},
        {2, f_close, f_read, f_write, f_truncate, f_sync, f_file_size, f_lock, f_unlock,
         f_check_reserved, f_file_control, f_sector_size, f_device_characteristics, f_shm_map,
         f_shm_lock, f_shm_barrier, f_shm_unmap, NULL, NULL},
        {3, f_close, f_read, f_write, f_truncate, f_sync, f_file_size, f_lock, f_unlock,
         f_check_reserved, f_file_control, f_sector_size, f_device_characteristics, f_shm_map,
         f_shm_lock, f_shm_barrier, f_shm_unmap, f_fetch, f_unfetch},
};

/* ---- the VFS's methods ------------------------------------------------------------------ */

static const char *
file_what(int flags)
{
	if (flags & SQLITE_OPEN_MAIN_DB)
		return "db";
	if (flags & SQLITE_OPEN_WAL)
		return "wal";
	if (flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_SUPER_JOURNAL))
		return "journal";
	return "temp";
}

static int
v_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
	struct fault_file *f = (struct fault_file *)file;
	int rc, version;

	(void)vfs;
	f->base.pMethods = NULL;
	f->what = file_what(flags);
	f->real = (sqlite3_file *)(f + 1);
	rc = fault_check(FO_OPEN, f->what);
	if (rc != SQLITE_OK)
		return rc;
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	/* SQLite calls xClose only on a file whose pMethods is set: the real one's tells. */
	if (f->real->pMethods != NULL) {
		version = f->real->pMethods->iVersion;
		f->base.pMethods = &fault_methods[(version < 1   ? 1
		                                   : version > 3 ? 3
		                                                 : version) -
		                                  1];
	}
	return rc;
}

static int
v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	int rc = fault_check(FO_DELETE, "vfs");

	(void)vfs;
	return rc != SQLITE_OK ? rc : real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int
v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	int rc = fault_check(FO_ACCESS, "vfs");

	(void)vfs;
	return rc != SQLITE_OK ? rc : real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *
v_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void
v_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void
v_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int
v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int
v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int
v_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int
v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int
v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs fault_vfs = {
        .iVersion = 2,
        .zName = "guichet-fault",
        .xOpen = v_open,
        .xDelete = v_delete,
        .xAccess = v_access,
        .xFullPathname = v_full_pathname,
        .xDlOpen = v_dl_open,
        .xDlError = v_dl_error,
        .xDlSym = v_dl_sym,
        .xDlClose = v_dl_close,
        .xRandomness = v_randomness,
        .xSleep = v_sleep,
        .xCurrentTime = v_current_time,
        .xGetLastError = v_get_last_error,
        .xCurrentTimeInt64 = v_current_time_int64,
};

static void
install(void)
{
	const char *spec = getenv("GUICHET_FAULT");
	const char *ctl = getenv("GUICHET_FAULT_CTL");
	pthread_t t;

	real_vfs = sqlite3_vfs_find(NULL);
	if (real_vfs == NULL || real_vfs->iVersion < 2)
		abort(); /* a test build on a SQLite without a default VFS: nothing to test */
	fault_vfs.szOsFile = (int)sizeof(struct fault_file) + real_vfs->szOsFile;
	fault_vfs.mxPathname = real_vfs->mxPathname;
	if (sqlite3_vfs_register(&fault_vfs, 1) != SQLITE_OK)
		abort();
	log_warn("event=storage_fault_injection hint=\"a test build: never in production\"");
	if (spec != NULL)
		arm(spec);
	if (ctl != NULL) {
		/* Lives as long as the process; its path as long as the environment. */
		if (pthread_create(&t, NULL, ctl_main, (void *)ctl) != 0)
			abort();
		pthread_detach(t);
	}
}

void
lite_fault_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, install);
}
