/*
 * static.c - the web back office's files, served from memory.
 *
 * At start, www/index.html and the files under www/assets/ are read once into memory (the
 * folder is small: the UI's HTML, CSS, ES modules and vendored libraries); the loops then
 * answer from memory and never touch the disk, so no blocking I/O runs on them. Only names
 * made of letters, digits, '.', '_' and '-' (not starting with '.') and the types of the table
 * below are loaded; symbolic links are never followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW), so
 * nothing outside the folder can be served. A request's path is checked before the look-up:
 * anything h2o had to normalize ("..", ".", %-escapes such as %2e or %00) or any other byte
 * (backslash, NUL) is refused with 400 bad_path.
 *
 * Not here: the JSON API (api/routes.c), templates, compression, range requests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "http/static.h"

/* The content security policy of the back office: its own scripts, styles, images and API,
 * nothing inline, no frames (OWASP Secure Headers). It goes on every answer that has none:
 * the hosted payment page (api/hosted.c) sets a stricter one of its own that lets its forms
 * lead back to the merchant's return URLs (a browser checks form-action on the redirect). */
#define STATIC_CSP                                                                                 \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "               \
	"frame-ancestors 'none'"

/* The files' names carry no version, so a browser must ask again before using its copy
 * (no-cache); the ETag turns that into a 304 without the body when nothing changed. */
#define CACHE_INDEX  "no-cache"
#define CACHE_ASSETS "no-cache"

#define ETAG_BYTES 12 /* of the BLAKE2b digest of the content */

/* What each type of file is served as; files of other types are not served. */
static const struct {
	const char *ext;
	const char *type;
} types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".woff2", "font/woff2"},
        {".json", "application/json; charset=utf-8"},
        {".map", "application/json; charset=utf-8"},
};

struct static_file {
	char path[LIMIT_STATIC_PATH + 1]; /* the URL path: "/" or "/assets/js/app.js" */
	char *body;
	size_t len;
	const char *type;  /* Content-Type */
	const char *cache; /* Cache-Control */
	char etag[2 * ETAG_BYTES + 3];
};

struct static_files {
	struct static_file *files; /* sorted by path */
	size_t n, cap;
	size_t bytes;
};

/* A name we serve: letters, digits, '.', '_', '-', not starting with '.'. */
static bool
name_ok(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* Reads the regular file name of folder dfd, served at url. Anything else is logged and
 * left out: the UI misses a file, the server still runs. */
static void
add_file(struct static_files *sf, int dfd, const char *name, const char *url, const char *type,
         const char *cache)
{
	struct static_file *f;
	struct stat st;
	unsigned char digest[CRYPTO_HASH_LEN];
	char *body = NULL;
	size_t got = 0, size;
	int fd;

	/* O_NONBLOCK: a FIFO put there does not hang the start; it is refused below. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		log_warn("event=www_skipped path=\"%s\" reason=\"%s\"", url,
		         errno == ELOOP ? "symbolic link" : strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_warn("event=www_skipped path=\"%s\" reason=\"not a regular file\"", url);
		goto out;
	}
	size = (size_t)st.st_size;
	if (size > LIMIT_STATIC_FILE_BYTES || sf->bytes + size > LIMIT_STATIC_TOTAL_BYTES ||
	    sf->n >= LIMIT_STATIC_FILES) {
		log_warn("event=www_skipped path=\"%s\" reason=\"over the limits\" bytes=%zu", url,
		         size);
		goto out;
	}
	body = malloc(size + 1);
	if (body == NULL)
		abort();
	while (got < size) {
		ssize_t n = read(fd, body + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		log_warn("event=www_skipped path=\"%s\" reason=\"short read\"", url);
		free(body);
		goto out;
	}
	body[size] = '\0';
	if (sf->n == sf->cap) {
		sf->cap = sf->cap ? 2 * sf->cap : 64;
		sf->files = realloc(sf->files, sf->cap * sizeof(*sf->files));
		if (sf->files == NULL)
			abort();
	}
	f = &sf->files[sf->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", url);
	f->body = body;
	f->len = size;
	f->type = type;
	f->cache = cache;
	crypto_digest(digest, body, size);
	f->etag[0] = '"';
	crypto_hex(f->etag + 1, digest, ETAG_BYTES);
	f->etag[1 + 2 * ETAG_BYTES] = '"';
	f->etag[2 + 2 * ETAG_BYTES] = '\0';
	sf->bytes += size;
out:
	close(fd);
}

/* dst (LIMIT_STATIC_PATH + 1 bytes) = url + name [+ "/"]; false when too long. */
static bool
join(char *dst, const char *url, const char *name, bool slash)
{
	size_t ulen = strlen(url), nlen = strlen(name);

	if (ulen + nlen + (slash ? 1 : 0) > LIMIT_STATIC_PATH)
		return false;
	memcpy(dst, url, ulen);
	memcpy(dst + ulen, name, nlen);
	if (slash)
		dst[ulen + nlen++] = '/';
	dst[ulen + nlen] = '\0';
	return true;
}

/* Loads the folder dfd (taken: closed here), served under url (ending in '/'). */
static void
walk(struct static_files *sf, int dfd, const char *url, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;

	if (d == NULL) {
		log_warn("event=www_skipped path=\"%s\" reason=\"%s\"", url, strerror(errno));
		close(dfd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char child[LIMIT_STATIC_PATH + 1];
		struct stat st;
		const char *type;
		int cfd;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!name_ok(e->d_name, strlen(e->d_name)) || !join(child, url, e->d_name, true)) {
			/* The name itself is not logged: it could hold anything. */
			log_warn("event=www_skipped folder=\"%s\" reason=\"name\"", url);
			continue;
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			log_warn("event=www_skipped path=\"%s\" reason=\"%s\"", child,
			         strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			log_warn("event=www_skipped path=\"%s\" reason=\"symbolic link\"", child);
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= LIMIT_STATIC_DEPTH) {
				log_warn("event=www_skipped path=\"%s\" reason=\"too deep\"",
				         child);
				continue;
			}
			cfd = openat(dirfd(d), e->d_name,
			             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				log_warn("event=www_skipped path=\"%s\" reason=\"%s\"", child,
				         strerror(errno));
			else
				walk(sf, cfd, child, depth + 1);
		} else {
			child[strlen(child) - 1] = '\0'; /* a file: no trailing '/' */
			if ((type = type_of(e->d_name)) != NULL)
				add_file(sf, dirfd(d), e->d_name, child, type, CACHE_ASSETS);
			else
				log_debug("event=www_skipped path=\"%s\" reason=\"type\"", child);
		}
	}
	closedir(d);
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->path, ((const struct static_file *)b)->path);
}

int
static_files_load(const char *dir, struct static_files **out)
{
	struct static_files *sf = calloc(1, sizeof(*sf));
	int root, fd;

	if (sf == NULL)
		abort();
	*out = sf;
	if (dir == NULL)
		return ST_OK;
	root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		log_warn("event=www_missing dir=\"%s\" error=\"%s\" "
		         "hint=\"the web back office is off; give --www DIR\"",
		         dir, strerror(errno));
		return ST_OK;
	}
	add_file(sf, root, "index.html", "/", "text/html; charset=utf-8", CACHE_INDEX);
	fd = openat(root, "assets", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		walk(sf, fd, "/assets/", 0);
	else
		log_warn("event=www_skipped path=\"/assets/\" reason=\"%s\"", strerror(errno));
	close(root);
	qsort(sf->files, sf->n, sizeof(*sf->files), file_cmp);
	return ST_OK;
}

void
static_files_free(struct static_files *sf)
{
	if (sf == NULL)
		return;
	for (size_t i = 0; i < sf->n; i++)
		free(sf->files[i].body);
	free(sf->files);
	free(sf);
}

size_t
static_files_count(const struct static_files *sf, size_t *bytes)
{
	*bytes = sf ? sf->bytes : 0;
	return sf ? sf->n : 0;
}

/* "/", "/assets" and below: the UI's paths. */
static bool
is_ui_path(h2o_iovec_t p)
{
	return (p.len == 1 && p.base[0] == '/') ||
	       (p.len >= 7 && memcmp(p.base, "/assets", 7) == 0 &&
	        (p.len == 7 || p.base[7] == '/'));
}

/* Segments of servable names; an empty one only at the end ("/assets/" is a folder: 404). */
static bool
path_ok(h2o_iovec_t p)
{
	size_t i = 1;

	if (p.len > LIMIT_STATIC_PATH || p.len == 0 || p.base[0] != '/')
		return false;
	while (i < p.len) {
		size_t end = i;

		while (end < p.len && p.base[end] != '/')
			end++;
		if (end > i ? !name_ok(p.base + i, end - i) : end < p.len)
			return false;
		i = end + 1;
	}
	return true;
}

static const struct static_file *
find(const struct static_files *sf, const char *path)
{
	struct static_file key;

	if (sf == NULL || sf->n == 0)
		return NULL;
	snprintf(key.path, sizeof(key.path), "%s", path);
	return bsearch(&key, sf->files, sf->n, sizeof(*sf->files), file_cmp);
}

/* If-None-Match: "*" or a list of entity tags that holds ours. */
static bool
etag_matches(const h2o_iovec_t *inm, const char *etag)
{
	size_t len = strlen(etag);

	if (inm->len == 1 && inm->base[0] == '*')
		return true;
	return memmem(inm->base, inm->len, etag, len) != NULL;
}

static void
add_header(h2o_req_t *req, const char *name, const char *value)
{
	h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 1, NULL, value,
	                      strlen(value));
}

int
static_files_serve(const struct static_files *sf, struct req *r)
{
	h2o_req_t *req = r->h2o;
	h2o_iovec_t p = req->path_normalized;
	const struct static_file *f;
	const h2o_iovec_t *inm;
	char path[LIMIT_STATIC_PATH + 1];

	if (!is_ui_path(p))
		return -1;
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
		add_header(req, "allow", "GET, HEAD");
		http_reply_error(r, ST_METHOD, NULL, NULL);
		return 0;
	}
	/* norm_indexes: h2o rewrote the path (dot segments, %-escapes): never a file's name. */
	if (req->norm_indexes != NULL || !path_ok(p)) {
		http_reply_error(r, ST_INVALID, "bad_path", "This path cannot name a file here.");
		return 0;
	}
	memcpy(path, p.base, p.len);
	path[p.len] = '\0';
	if ((f = find(sf, path)) == NULL) {
		if (p.len == 1)
			http_reply_error(r, ST_NOTFOUND, "ui_not_installed",
			                 "The web back office is not installed on this server: its "
			                 "--www folder had no index.html when guichetd started.");
		else
			http_reply_error(r, ST_NOTFOUND, NULL, "No such file.");
		return 0;
	}
	add_header(req, "content-type", f->type);
	add_header(req, "cache-control", f->cache);
	add_header(req, "etag", f->etag);
	add_header(req, "x-request-id", r->id);
	inm = http_header(r, "if-none-match");
	if (inm != NULL && etag_matches(inm, f->etag)) {
		req->res.status = 304;
		req->res.reason = "Not Modified";
		h2o_send_inline(req, "", 0);
		return 0;
	}
	req->res.status = 200;
	req->res.reason = "OK";
	req->res.content_length = f->len;
	h2o_send_inline(req, f->body, f->len); /* HEAD: h2o sends the headers only */
	return 0;
}

/* The h2o headers filter keeps pointers to these for the life of the process. */
static h2o_iovec_t header_names[] = {
        {H2O_STRLIT("content-security-policy")},   {H2O_STRLIT("x-content-type-options")},
        {H2O_STRLIT("referrer-policy")},           {H2O_STRLIT("x-frame-options")},
        {H2O_STRLIT("strict-transport-security")},
};

static h2o_headers_command_t header_cmds[] = {
        {H2O_HEADERS_CMD_SETIFEMPTY, &header_names[0], {H2O_STRLIT(STATIC_CSP)}},
        {H2O_HEADERS_CMD_SET, &header_names[1], {H2O_STRLIT("nosniff")}},
        {H2O_HEADERS_CMD_SET, &header_names[2], {H2O_STRLIT("no-referrer")}},
        {H2O_HEADERS_CMD_SET, &header_names[3], {H2O_STRLIT("DENY")}},
        /* Under TLS only (the slot is cut off otherwise): a browser that saw it never
         * reaches the back office in plain HTTP again for a year, so a network attacker
         * cannot strip TLS from a later visit. */
        {H2O_HEADERS_CMD_SET, &header_names[4], {H2O_STRLIT("max-age=31536000")}},
        {H2O_HEADERS_CMD_NULL, NULL, {NULL, 0}},
};

void
static_files_register_headers(h2o_pathconf_t *pathconf, bool tls)
{
	if (!tls)
		header_cmds[4].cmd = H2O_HEADERS_CMD_NULL;
	h2o_headers_register(pathconf, header_cmds);
}
