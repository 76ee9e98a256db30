/*
 * backup.c - `guichetd backup` (backup.h): the store's copy (store.h backup_to) made under a
 * temporary name, checked (integrity_check), made durable and renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "store/store.h"
#include "tools/backup.h"

/* fsync of path (a file, or a folder for the rename in it). */
static int
sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = ST_OK;

	if (fd < 0 || fsync(fd) != 0) {
		log_error("event=backup_sync_failed path=\"%s\" error=\"%s\"", path,
		          strerror(errno));
		rc = ST_INTERNAL;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The copy at tmp, checked whole: ST_OK, or ST_INVALID with why. */
static int
check_copy(const char *tmp, char *why, size_t cap)
{
	struct store *st = NULL;
	int rc = store_open(tmp, false, &st);

	if (rc == ST_OK)
		rc = st->ops->integrity_check(st, why, cap);
	store_close(st);
	return rc;
}

int
backup_run(const char *db_path, const char *to_path, FILE *out)
{
	struct store *st = NULL;
	struct stat sb;
	char *tmp, *dir_copy, why[256] = "";
	size_t n = strlen(to_path) + sizeof(".partial");
	int64_t started = clock_now_us();
	int rc;

	if (stat(to_path, &sb) == 0)
		return ST_CONFLICT;
	tmp = malloc(n);
	dir_copy = strdup(to_path);
	if (tmp == NULL || dir_copy == NULL)
		abort();
	snprintf(tmp, n, "%s.partial", to_path);
	unlink(tmp); /* a copy an interrupted run left */
	rc = store_open(db_path, false, &st);
	if (rc == ST_OK)
		rc = st->ops->backup_to(st, tmp);
	store_close(st);
	if (rc == ST_OK) {
		rc = check_copy(tmp, why, sizeof(why));
		if (rc == ST_INVALID)
			log_error("event=backup_not_whole path=\"%s\" why=\"%s\"", tmp, why);
	}
	if (rc == ST_OK)
		rc = sync_path(tmp);
	if (rc == ST_OK && rename(tmp, to_path) != 0) {
		log_error("event=backup_rename_failed path=\"%s\" error=\"%s\"", to_path,
		          strerror(errno));
		rc = ST_INTERNAL;
	}
	if (rc == ST_OK)
		rc = sync_path(dirname(dir_copy));
	if (rc != ST_OK)
		unlink(tmp);
	if (rc == ST_OK && stat(to_path, &sb) == 0)
		fprintf(out,
		        "backup of %s written to %s: %lld bytes, checked whole, in %lld ms\n"
		        "The data key is not in it: keep GUICHET_KEK or the key file as well, "
		        "apart from it.\n",
		        db_path, to_path, (long long)sb.st_size,
		        (long long)((clock_now_us() - started) / 1000));
	free(tmp);
	free(dir_copy);
	return rc;
}
