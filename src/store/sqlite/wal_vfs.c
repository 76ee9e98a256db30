/*
 * wal_vfs.c - the write-ahead log written in one system call a commit: a SQLite VFS over the
 * default one that gathers the writes SQLite makes to a WAL file, one after the other in the
 * file, and hands them on as one write (docs/PERFORMANCE.md, "Where the payments' time goes").
 *
 * SQLite writes each frame of the log with two writes, its 24-byte header then its page: a
 * group of payments that changes 46 pages makes 92 pwrite calls, 170 us of the writer's time
 * on this machine where two calls of the same bytes take 15 us. Nothing else changes: the
 * bytes, their order and the syncs are SQLite's.
 *
 * What a reader may see is what SQLite published, so the gathered bytes reach the file before
 * SQLite publishes a commit: when the frame that ends a transaction is complete (its header
 * carries the database's size in pages: WAL format, https://sqlite.org/fileformat2.html), at
 * every sync, and before any other call on the file (its size, a read, a truncation, its
 * close). A write that does not follow the gathered ones, or would pass GATHER_MAX, sends
 * them first. Other files (the database, journals) are the default VFS's own, untouched.
 *
 * Only the log of a connection that asked (lite_wal_gather) gathers, and that connection
 * never spills a transaction's pages into the log before its commit (cache_spill off): every
 * write it makes to the log then belongs to a commit, and ends with the commit's frame. A
 * spill that its transaction then rolled back would stay gathered, and be written later over
 * the frames another connection wrote there meanwhile.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/sqlite/lite.h"

#define WAL_HEADER   32 /* the log's header; frames follow */
#define FRAME_HEADER 24
/* SQLite's unix VFS writes at most 128 KiB - 1 bytes a call (os_unix.c masks a write's length
 * with 0x1ffff): a commit's frames go in writes of up to 124 KiB. */
#define GATHER_MAX (124 * 1024)

struct wal_file {
	sqlite3_file base;
	sqlite3_file *real;
	unsigned char *buf; /* gathered bytes, from offset at; GATHER_MAX */
	size_t len;
	sqlite3_int64 at;
	sqlite3_int64 frame;      /* a frame's size (page + header) once the header was read */
	sqlite3_int64 commit_end; /* where the frame ending a transaction ends; 0: none pending */
	bool gather;              /* asked for (LITE_FCNTL_GATHER); else every write goes on */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs wal_vfs;

static sqlite3_file *
real_of(sqlite3_file *f)
{
	return ((struct wal_file *)f)->real;
}

/* Hands the gathered bytes on; SQLITE_OK or the write's error (the gathered bytes dropped:
 * the operation that failed is SQLite's transaction, which it rolls back). */
static int
flush(struct wal_file *w)
{
	int rc = SQLITE_OK;

	if (w->len > 0)
		rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->at);
	w->len = 0;
	return rc;
}

/* The frame size from the log header's page size (big-endian; 1 means 65536). */
static void
frame_from_header(struct wal_file *w, const unsigned char *h)
{
	uint32_t page = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11];

	if (page == 1)
		page = 65536;
	if (page >= 512 && page <= 65536 && (page & (page - 1)) == 0)
		w->frame = (sqlite3_int64)page + FRAME_HEADER;
}

/* The header of a log SQLite appends to without writing it (another connection did). */
static void
frame_known(struct wal_file *w)
{
	unsigned char h[WAL_HEADER];

	if (w->frame == 0 && w->real->pMethods->xRead(w->real, h, WAL_HEADER, 0) == SQLITE_OK)
		frame_from_header(w, h);
}

static int
w_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	const unsigned char *d = data;
	int rc = SQLITE_OK;

	if (!w->gather)
		return w->real->pMethods->xWrite(w->real, data, n, off);
	if (off == 0 && n >= WAL_HEADER)
		frame_from_header(w, d);
	else if (off >= WAL_HEADER)
		frame_known(w);
	/* A frame's header with a database size: the frame that ends a transaction. */
	if (w->frame > 0 && off >= WAL_HEADER && (off - WAL_HEADER) % w->frame == 0 && n >= 8 &&
	    (d[4] | d[5] | d[6] | d[7]) != 0)
		w->commit_end = off + w->frame;
	if (w->len > 0 && (off != w->at + (sqlite3_int64)w->len || w->len + (size_t)n > GATHER_MAX))
		rc = flush(w);
	if (rc != SQLITE_OK)
		return rc;
	if ((size_t)n > GATHER_MAX || (w->buf == NULL && (w->buf = malloc(GATHER_MAX)) == NULL))
		return w->real->pMethods->xWrite(w->real, data, n, off);
	if (w->len == 0)
		w->at = off;
	memcpy(w->buf + w->len, data, (size_t)n);
	w->len += (size_t)n;
	if (w->commit_end > 0 && w->at + (sqlite3_int64)w->len >= w->commit_end) {
		w->commit_end = 0;
		rc = flush(w);
	}
	return rc;
}

static int
w_close(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);
	int closed = w->real->pMethods->xClose(w->real);

	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : closed;
}

static int
w_read(sqlite3_file *f, void *out, int n, sqlite3_int64 off)
{
	int rc = flush((struct wal_file *)f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xRead(real_of(f), out, n, off);
}

static int
w_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = flush((struct wal_file *)f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int
w_sync(sqlite3_file *f, int flags)
{
	int rc = flush((struct wal_file *)f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int
w_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = flush((struct wal_file *)f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int
w_file_control(sqlite3_file *f, int op, void *arg)
{
	int rc;

	if (op == LITE_FCNTL_GATHER) {
		((struct wal_file *)f)->gather = true;
		return SQLITE_OK;
	}
	rc = flush((struct wal_file *)f);
	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int
w_lock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xLock(real_of(f), level);
}

static int
w_unlock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int
w_check_reserved(sqlite3_file *f, int *out)
{
	return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int
w_sector_size(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int
w_device_characteristics(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

/* A log file has no shared memory and is never mapped (SQLite asks those of the database
 * file): version 1 of the methods is all it is asked. */
static const sqlite3_io_methods wal_methods = {
        .iVersion = 1,
        .xClose = w_close,
        .xRead = w_read,
        .xWrite = w_write,
        .xTruncate = w_truncate,
        .xSync = w_sync,
        .xFileSize = w_file_size,
        .xLock = w_lock,
        .xUnlock = w_unlock,
        .xCheckReservedLock = w_check_reserved,
        .xFileControl = w_file_control,
        .xSectorSize = w_sector_size,
        .xDeviceCharacteristics = w_device_characteristics,
};

/* A log file is wrapped; any other is the default VFS's, opened in place. */
static int
w_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
	struct wal_file *w = (struct wal_file *)file;
	int rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)(w + 1);
	rc = real_vfs->xOpen(real_vfs, name, w->real, flags, out_flags);
	/* SQLite calls xClose only on a file whose pMethods is set: the real one's tells. */
	if (w->real->pMethods != NULL)
		w->base.pMethods = &wal_methods;
	return rc;
}

void
lite_wal_vfs_install(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (real_vfs == NULL)
		return;
	/* The default VFS's own methods serve every call but xOpen: they do not read the VFS
	 * they are given beyond what a copy carries (its name aside). */
	wal_vfs = *real_vfs;
	wal_vfs.pNext = NULL;
	wal_vfs.zName = "guichet-wal";
	wal_vfs.xOpen = w_open;
	wal_vfs.szOsFile = (int)sizeof(struct wal_file) + real_vfs->szOsFile;
	sqlite3_vfs_register(&wal_vfs, 1);
}

int
lite_wal_gather(sqlite3 *conn)
{
	sqlite3_file *wal = NULL;
	int rc = sqlite3_file_control(conn, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);

	if (rc != SQLITE_OK || wal == NULL || wal->pMethods == NULL)
		return rc != SQLITE_OK ? rc : SQLITE_NOTFOUND;
	return wal->pMethods->xFileControl(wal, LITE_FCNTL_GATHER, NULL);
}
