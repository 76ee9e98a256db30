/*
 * state.c - the client's files on disk (state.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/i18n.h"
#include "cli/state.h"

/* Makes path's folders that are missing, each 0700 (the XDG base directories say so for the
 * ones it makes); an existing last one is set to 0700 too. Returns 0 or -1 (errno). */
static int
mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return chmod(path, 0700);
}

/* The folder of a kind: $XDG_CONFIG_HOME or $XDG_STATE_HOME (absolute paths only, as the
 * XDG base directory specification says), else under $HOME; "/guichet" appended. */
static int
folder(enum state_file kind, char *out, size_t cap, char *err, size_t errlen)
{
	const char *xdg = getenv(kind == STATE_PROFILE ? "XDG_CONFIG_HOME" : "XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, cap, "%s/guichet", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, cap, "%s/%s/guichet", home,
		             kind == STATE_PROFILE ? ".config" : ".local/state");
	else {
		snprintf(err, errlen, _("neither $%s nor $HOME says where to keep files"),
		         kind == STATE_PROFILE ? "XDG_CONFIG_HOME" : "XDG_STATE_HOME");
		return CX_USAGE;
	}
	if (n < 0 || (size_t)n >= cap) {
		snprintf(err, errlen, "%s", _("the folder's name is too long"));
		return CX_USAGE;
	}
	return CX_OK;
}

/* --- the kernel's keyring: a profile's secrets kept in memory ---------------------------------
 *
 * The kernel's key retention service (keyrings(7)) keeps a "user" key's payload in the kernel's
 * memory, never on disk, readable only by the processes that possess it: those of the login
 * session whose keyring holds it. A secret's key is named after the file it would otherwise be
 * ("guichet:/home/u/.local/state/guichet/default.session"), so that profiles and users of other
 * folders never meet. It expires after the session's longest life. Where the kernel refuses keys
 * (a container's seccomp filter forbids add_key and keyctl; GUICHET_KEYRING=no) the files are
 * used instead. */

#define KEY_LIFE_S (12 * 3600) /* a session never outlives 12 hours (SPEC §3) */

/* The keyring of a place, its id; -1 (errno) where the kernel has none for us. */
static long
keyring(enum state_keep where)
{
	/* Not made when missing: a process outside any login session's keyring (no pam_keyinit)
	 * gets the user's default session keyring, the one its next command gets too. */
	if (where == KEEP_MEMORY)
		return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	/* The user's persistent keyring, linked to this process's own keyring for the process
	 * to possess it (and so read its keys); it outlives the login session. */
	return syscall(SYS_keyctl, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_PROCESS_KEYRING);
}

/* The key's name of a secret's file path (a static buffer). */
static const char *
key_name(const char *path)
{
	static char name[CLIENT_PATH_MAX + 16];

	snprintf(name, sizeof(name), "guichet:%s", path);
	return name;
}

bool
state_keyring_off(void)
{
	const char *off = getenv("GUICHET_KEYRING");

	return off != NULL && strcmp(off, "no") == 0;
}

/* The id of the secret's key in a place's keyring, or -1. */
static long
key_find(enum state_keep where, const char *path)
{
	long ring;

	if (state_keyring_off())
		return -1;
	ring = keyring(where);
	if (ring < 0)
		return -1;
	return syscall(SYS_keyctl, KEYCTL_SEARCH, ring, "user", key_name(path), 0);
}

/* Removes the secret's key from a place's keyring, if there. */
static void
key_drop(enum state_keep where, const char *path)
{
	long id = key_find(where, path);

	if (id >= 0)
		syscall(SYS_keyctl, KEYCTL_INVALIDATE, id);
}

/* Reads key id's JSON object into *out (a new reference). */
static int
key_read(long id, const char *path, json_t **out, char *err, size_t errlen)
{
	json_error_t jerr;
	long len = syscall(SYS_keyctl, KEYCTL_READ, id, NULL, 0);
	char *text = len > 0 ? malloc((size_t)len) : NULL;

	if (text != NULL && syscall(SYS_keyctl, KEYCTL_READ, id, text, len) == len)
		*out = json_loadb(text, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
	if (text != NULL) {
		explicit_bzero(text, (size_t)len);
		free(text);
	}
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		syscall(SYS_keyctl, KEYCTL_INVALIDATE, id);
		snprintf(err, errlen,
		         _("the kept copy of %s was unreadable: it is removed, sign in again"),
		         path);
		return CX_USAGE;
	}
	return CX_OK;
}

int
state_path(enum state_file kind, const char *name, bool make, char *out, size_t cap, char *err,
           size_t errlen)
{
	static const char *const ext[] = {".profile", ".session", ".resume"};
	char dir[CLIENT_PATH_MAX];
	int rc, n;

	rc = folder(kind, dir, sizeof(dir), err, errlen);
	if (rc != CX_OK)
		return rc;
	if (make && mkdirs(dir) != 0) {
		snprintf(err, errlen, _("cannot make %s: %s"), dir, strerror(errno));
		return CX_USAGE;
	}
	n = snprintf(out, cap, "%s/%s%s", dir, name, ext[kind]);
	if (n < 0 || (size_t)n >= cap) {
		snprintf(err, errlen, "%s", _("the file's name is too long"));
		return CX_USAGE;
	}
	return CX_OK;
}

int
state_write(enum state_file kind, const char *name, const json_t *o, char *err, size_t errlen)
{
	char path[CLIENT_PATH_MAX], tmp[CLIENT_PATH_MAX + 32];
	char *text = NULL;
	size_t len, done = 0;
	int fd = -1, rc;

	rc = state_path(kind, name, true, path, sizeof(path), err, errlen);
	if (rc != CX_OK)
		goto out;
	rc = CX_USAGE;
	text = json_dumps(o, JSON_COMPACT);
	if (text == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		goto out;
	}
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	/* 0600 from its creation: never a moment readable by others. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, _("cannot write %s: %s"), tmp, strerror(errno));
		goto out;
	}
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		done += (size_t)w;
	}
	if (done < len || fsync(fd) != 0 || close(fd) != 0) {
		snprintf(err, errlen, _("cannot write %s: %s"), tmp, strerror(errno));
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, _("cannot rename %s: %s"), tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = CX_OK;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (text != NULL) {
		explicit_bzero(text, strlen(text)); /* a session file's text holds its tokens */
		free(text);
	}
	return rc;
}

int
state_read(enum state_file kind, const char *name, json_t **out, char *err, size_t errlen)
{
	char path[CLIENT_PATH_MAX];
	json_error_t jerr;
	int rc;

	*out = NULL;
	rc = state_path(kind, name, false, path, sizeof(path), err, errlen);
	if (rc != CX_OK)
		return rc;
	if (kind != STATE_PROFILE)
		for (enum state_keep k = KEEP_MEMORY; k <= KEEP_REMEMBERED; k++) {
			long id = key_find(k, path);

			if (id >= 0)
				return key_read(id, path, out, err, errlen);
		}
	if (access(path, F_OK) != 0)
		return CX_OK;
	*out = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(err, errlen, _("%s is damaged: remove it and start again"), path);
		return CX_USAGE;
	}
	return CX_OK;
}

void
state_remove(enum state_file kind, const char *name)
{
	char path[CLIENT_PATH_MAX], err[64];

	if (state_path(kind, name, false, path, sizeof(path), err, sizeof(err)) != CX_OK)
		return;
	unlink(path);
	if (kind != STATE_PROFILE)
		for (enum state_keep k = KEEP_MEMORY; k <= KEEP_REMEMBERED; k++)
			key_drop(k, path);
}

int
state_keep(enum state_file kind, const char *name, const json_t *o, bool remember,
           enum state_keep *kept, char *err, size_t errlen)
{
	enum state_keep want = remember ? KEEP_REMEMBERED : KEEP_MEMORY;
	char path[CLIENT_PATH_MAX], *text;
	long ring = -1, id = -1;
	int rc;

	rc = state_path(kind, name, false, path, sizeof(path), err, errlen);
	if (rc != CX_OK)
		return rc;
	if (!state_keyring_off())
		ring = keyring(want);
	if (ring >= 0) {
		text = json_dumps(o, JSON_COMPACT);
		if (text == NULL) {
			snprintf(err, errlen, _("out of memory"));
			return CX_USAGE;
		}
		id = syscall(SYS_add_key, "user", key_name(path), text, strlen(text), ring);
		explicit_bzero(text, strlen(text));
		free(text);
		if (id >= 0 && syscall(SYS_keyctl, KEYCTL_SET_TIMEOUT, id, KEY_LIFE_S) != 0) {
			syscall(SYS_keyctl, KEYCTL_INVALIDATE, id);
			id = -1;
		}
	}
	if (id < 0) {
		rc = state_write(kind, name, o, err, errlen);
		if (rc != CX_OK)
			return rc;
		*kept = KEEP_FILE;
	} else {
		unlink(path);
		*kept = want;
	}
	/* One copy only: the other places' are removed. */
	for (enum state_keep k = KEEP_MEMORY; k <= KEEP_REMEMBERED; k++)
		if (k != *kept)
			key_drop(k, path);
	return CX_OK;
}

enum state_keep
state_kept(enum state_file kind, const char *name)
{
	char path[CLIENT_PATH_MAX], err[64];

	if (state_path(kind, name, false, path, sizeof(path), err, sizeof(err)) != CX_OK)
		return KEEP_NONE;
	for (enum state_keep k = KEEP_MEMORY; k <= KEEP_REMEMBERED; k++)
		if (key_find(k, path) >= 0)
			return k;
	return access(path, F_OK) == 0 ? KEEP_FILE : KEEP_NONE;
}

/* Copies o's member key, a string, into out (cap bytes). Returns 0, or -1 when missing, not
 * a string or too long. */
static int
take_text(const json_t *o, const char *key, char *out, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (v == NULL || strlen(v) >= cap)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

int
state_profile_load(const char *name, struct profile *p, char *err, size_t errlen)
{
	json_t *o = NULL, *port, *tls;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = state_read(STATE_PROFILE, name, &o, err, errlen);
	if (rc != CX_OK)
		goto out;
	rc = CX_USAGE;
	if (o == NULL) {
		snprintf(err, errlen,
		         _("no profile '%s': run 'guichet%s%s connect --host H' first"), name,
		         strcmp(name, "default") == 0 ? "" : " --profile ",
		         strcmp(name, "default") == 0 ? "" : name);
		goto out;
	}
	port = json_object_get(o, "port");
	tls = json_object_get(o, "tls");
	if (take_text(o, "host", p->host, sizeof(p->host)) != 0 || !json_is_integer(port) ||
	    json_integer_value(port) < 1 || json_integer_value(port) > 65535 ||
	    !json_is_boolean(tls) ||
	    (json_object_get(o, "cafile") != NULL &&
	     take_text(o, "cafile", p->cafile, sizeof(p->cafile)) != 0) ||
	    (json_object_get(o, "pin") != NULL &&
	     (take_text(o, "pin", p->pin, sizeof(p->pin)) != 0 ||
	      strncmp(p->pin, "sha256//", 8) != 0))) {
		snprintf(err, errlen, _("profile '%s' is damaged: run 'guichet connect' again"),
		         name);
		goto out;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->port = (int)json_integer_value(port);
	p->tls = json_is_true(tls);
	rc = CX_OK;
out:
	json_decref(o);
	return rc;
}
