/*
 * conn.c - the client's HTTP/JSON session over libcurl (conn.h).
 *
 * A server's certificate is pinned by its public key, as libcurl takes it
 * (CURLOPT_PINNEDPUBLICKEY "sha256//" and the base64 of the SHA-256 of the key's DER
 * SubjectPublicKeyInfo, RFC 7469's pin): a renewed certificate with the same key still matches,
 * a new key does not, even one a trusted CA signed.
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/conn.h"
#include "cli/i18n.h"
#include "common/buf.h"

#define CONN_BODY_MAX  (16 * 1024 * 1024) /* a JSON answer, at most (a page of 500 rows) */
#define CONN_CONNECT_S 10L                /* to open the connection */
#define CONN_TIMEOUT_S 120L               /* a whole JSON request */
#define CONN_LOW_SPEED 30L                /* an export stalled this long has failed */
#define COOKIE_NAME    "guichet_session"

int
conn_init(struct conn *c, const struct profile *p)
{
	bool v6 = strchr(p->host, ':') != NULL;

	memset(c, 0, sizeof(*c));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (c->curl = curl_easy_init()) == NULL) {
		snprintf(c->err, sizeof(c->err), "%s", _("libcurl cannot start"));
		return CX_NETWORK;
	}
	snprintf(c->base, sizeof(c->base), "%s://%s%s%s:%d", p->tls ? "https" : "http",
	         v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
	snprintf(c->cafile, sizeof(c->cafile), "%s", p->cafile);
	if (p->tls)
		snprintf(c->pin, sizeof(c->pin), "%s", p->pin);
	return CX_OK;
}

void
conn_cleanup(struct conn *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	explicit_bzero(c->token, sizeof(c->token));
	explicit_bzero(c->csrf, sizeof(c->csrf));
}

/* Reads the session's Set-Cookie from the answer's header lines (RFC 6265 §4.1: name=value
 * first, attributes after ';'); an empty value or Max-Age=0 is the server clearing it. */
static size_t
on_header(char *line, size_t size, size_t n, void *ctx)
{
	struct conn *c = ctx;
	size_t len = size * n, name_len = sizeof("Set-Cookie:") - 1;
	const char *p, *end = line + len, *v;
	size_t vlen;

	if (len < name_len || strncasecmp(line, "Set-Cookie:", name_len) != 0)
		return len;
	for (p = line + name_len; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if ((size_t)(end - p) <= sizeof(COOKIE_NAME) ||
	    memcmp(p, COOKIE_NAME "=", sizeof(COOKIE_NAME)) != 0)
		return len;
	v = p + sizeof(COOKIE_NAME);
	for (vlen = 0; v + vlen < end && v[vlen] != ';' && v[vlen] != '\r' && v[vlen] != '\n';
	     vlen++)
		;
	c->token_set = true;
	explicit_bzero(c->token, sizeof(c->token));
	if (vlen == 0 || vlen > CONN_TOKEN_MAX || memmem(v, (size_t)(end - v), "Max-Age=0", 9))
		return len; /* cleared (or no token we could keep) */
	memcpy(c->token, v, vlen);
	c->token[vlen] = '\0';
	return len;
}

static size_t
on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	buf_add(b, data, size * n);
	return b->failed ? 0 : size * n;
}

/* The pin of the first certificate libcurl saw (CURLOPT_CERTINFO) into out, or "". */
static void
pin_seen(CURL *h, char out[CLIENT_PIN_MAX])
{
	struct curl_certinfo *ci = NULL;
	unsigned char *der = NULL, digest[SHA256_DIGEST_LENGTH];
	X509 *cert = NULL;
	BIO *bio = NULL;
	int len;

	out[0] = '\0';
	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL ||
	    ci->num_of_certs < 1)
		return;
	for (struct curl_slist *f = ci->certinfo[0]; f != NULL; f = f->next)
		if (strncmp(f->data, "Cert:", 5) == 0) {
			bio = BIO_new_mem_buf(f->data + 5, -1);
			break;
		}
	if (bio != NULL && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL &&
	    (len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der)) > 0) {
		SHA256(der, (size_t)len, digest);
		memcpy(out, "sha256//", 8);
		EVP_EncodeBlock((unsigned char *)out + 8, digest, sizeof(digest)); /* 44 + NUL */
	}
	OPENSSL_free(der);
	X509_free(cert);
	BIO_free(bio);
}

/* libcurl's failure as what to do about it. */
static void
explain(struct conn *c, CURLcode e, const char *detail)
{
	const char *host = c->base + (strncmp(c->base, "https", 5) == 0 ? 8 : 7);

	switch (e) {
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(c->err, sizeof(c->err),
		         _("host not found: %s (check the name, or the DNS)"), host);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(
		        c->err, sizeof(c->err),
		        _("nothing listens on %s — is guichetd running, or a firewall in the way?"),
		        host);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(c->err, sizeof(c->err),
		         _("%s did not answer in time (the server is overloaded, or a firewall "
		           "drops "
		           "the packets)"),
		         host);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
#if LIBCURL_VERSION_NUM < 0x073e00
	case CURLE_SSL_CACERT:
#endif
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(
		        c->err, sizeof(c->err),
		        _("the TLS certificate of %s is not trusted%s%s (give its CA with 'guichet "
		          "connect --cafile FILE')"),
		        host, detail[0] ? ": " : "", detail);
		break;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		snprintf(c->err, sizeof(c->err),
		         _("WARNING: the TLS certificate of %s has changed: its key is not the one "
		           "pinned when this profile was saved (%s). If its operator replaced it, "
		           "'guichet connect' again pins the new one; if not, sign in nowhere: "
		           "someone may stand between you and the server"),
		         host, c->pin);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(c->err, sizeof(c->err),
		         _("no TLS with %s%s%s (is it serving plain HTTP? then 'guichet connect "
		           "--no-tls', on loopback only)"),
		         host, detail[0] ? ": " : "", detail);
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		snprintf(c->err, sizeof(c->err),
		         _("%s closed the connection before answering whole"), host);
		break;
	default:
		snprintf(c->err, sizeof(c->err), _("cannot talk to %s: %s%s%s"), host,
		         curl_easy_strerror(e), detail[0] ? ": " : "", detail);
		break;
	}
}

/* Sets up the handle for method and path; the headers list is the caller's to free. */
static int
prepare(struct conn *c, const char *method, const char *path, struct curl_slist **headers)
{
	char url[CLIENT_HOST_MAX + 32 + 8192], hdr[CONN_TOKEN_MAX + 64];
	CURL *h = c->curl;
	int rc = CX_OK;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", c->base, path) >= sizeof(url)) {
		snprintf(c->err, sizeof(c->err), "%s", _("the request is too long"));
		return CX_USAGE;
	}
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONN_CONNECT_S);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "guichet/" GUICHET_VERSION);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	if (c->cafile[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cafile);
	if (c->pin[0] != '\0')
		curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, c->pin);
	if (c->want_pin)
		curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	*headers = curl_slist_append(*headers, "Accept: application/json");
	if (c->token[0] != '\0') {
		snprintf(hdr, sizeof(hdr), "Cookie: " COOKIE_NAME "=%s", c->token);
		*headers = curl_slist_append(*headers, hdr);
	}
	if (c->csrf[0] != '\0' && strcmp(method, "GET") != 0) {
		snprintf(hdr, sizeof(hdr), "X-CSRF-Token: %s", c->csrf);
		*headers = curl_slist_append(*headers, hdr);
	}
	explicit_bzero(hdr, sizeof(hdr));
	return rc;
}

int
conn_call(struct conn *c, const char *method, const char *path, json_t *body,
          struct conn_reply *out)
{
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *text = NULL;
	struct buf b;
	CURLcode e;
	int rc;

	out->status = 0;
	out->body = NULL;
	buf_init(&b, CONN_BODY_MAX);
	rc = prepare(c, method, path, &headers);
	if (rc != CX_OK)
		goto out;
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL) {
			snprintf(c->err, sizeof(c->err), "%s", _("out of memory"));
			rc = CX_USAGE;
			goto out;
		}
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text);
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, CONN_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	e = curl_easy_perform(c->curl);
	if (e == CURLE_WRITE_ERROR && b.failed) {
		snprintf(c->err, sizeof(c->err), _("the answer is larger than %d MiB"),
		         CONN_BODY_MAX >> 20);
		rc = CX_NETWORK;
		goto out;
	}
	if (e != CURLE_OK) {
		explain(c, e, errbuf);
		rc = CX_NETWORK;
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
	if (c->want_pin)
		pin_seen(c->curl, c->seen_pin);
	if (b.len > 0)
		out->body = json_loadb(b.data, b.len, 0, NULL);
	/* A success must be the back office's JSON (none only with 204): anything else is not
	 * guichetd answering (a proxy's or a portal's page), whatever its status. */
	if (out->status >= 200 && out->status <= 299 && out->status != 204 &&
	    !json_is_object(out->body)) {
		snprintf(c->err, sizeof(c->err),
		         _("%s did not answer as Guichet's back office does (not its JSON): is "
		           "something else there, a proxy or a network's sign-in page?"),
		         c->base);
		json_decref(out->body);
		out->body = NULL;
		rc = CX_NETWORK;
		goto out;
	}
	rc = CX_OK;
out:
	curl_slist_free_all(headers); /* it held the tokens: libcurl copies what it sends */
	if (text != NULL) {
		explicit_bzero(text, strlen(text)); /* a password, a code, a resume key */
		free(text);
	}
	if (b.data != NULL)
		explicit_bzero(b.data, b.len); /* a resume key, a CSRF token */
	buf_cleanup(&b);
	return rc;
}

struct download {
	FILE *f;
	struct buf error; /* a refusal's body, not the file's */
	long long bytes;
	void (*progress)(void *ctx, const char *data, size_t len);
	void *ctx;
	CURL *h;
	bool failed_write;
	bool not_csv; /* a success that is no export (a proxy's or a portal's page) */
	char *type;   /* its Content-Type (the connection's got_type) */
	size_t type_cap;
};

static size_t
on_download(char *data, size_t size, size_t n, void *ctx)
{
	struct download *d = ctx;
	long status = 0;
	size_t len = size * n;

	curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		buf_add(&d->error, data, len);
		return d->error.failed ? 0 : len;
	}
	if (d->bytes == 0) {
		const char *type = NULL;

		/* An export's types: CSV, and a report's (README "Electronic reporting"). */
		curl_easy_getinfo(d->h, CURLINFO_CONTENT_TYPE, &type);
		if (type == NULL || (strncasecmp(type, "text/csv", 8) != 0 &&
		                     strncasecmp(type, "text/plain", 10) != 0 &&
		                     strncasecmp(type, "application/xml", 15) != 0)) {
			d->not_csv = true;
			return 0;
		}
		snprintf(d->type, d->type_cap, "%s", type);
	}
	if (fwrite(data, 1, len, d->f) != len) {
		d->failed_write = true;
		return 0;
	}
	d->bytes += (long long)len;
	if (d->progress != NULL)
		d->progress(d->ctx, data, len);
	return len;
}

int
conn_download(struct conn *c, const char *path, FILE *f,
              void (*progress)(void *ctx, const char *data, size_t len), void *ctx, long *status,
              json_t **error_body)
{
	struct curl_slist *headers = NULL;
	struct download d = {.f = f,
	                     .progress = progress,
	                     .ctx = ctx,
	                     .h = c->curl,
	                     .type = c->got_type,
	                     .type_cap = sizeof(c->got_type)};
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode e;
	int rc;

	*status = 0;
	*error_body = NULL;
	c->got_type[0] = '\0';
	buf_init(&d.error, 64 * 1024);
	rc = prepare(c, "GET", path, &headers);
	if (rc != CX_OK)
		goto out;
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	/* No deadline for the whole: an export of millions of rows takes its time; a stall
	 * does not. */
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, CONN_LOW_SPEED);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_download);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	e = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	if (e == CURLE_WRITE_ERROR && d.failed_write) {
		snprintf(c->err, sizeof(c->err), "%s", _("cannot write the file"));
		rc = CX_USAGE;
		goto out;
	}
	if (e == CURLE_WRITE_ERROR && d.not_csv) {
		snprintf(c->err, sizeof(c->err),
		         _("%s did not answer as Guichet's back office does (not an export): is "
		           "something else there, a proxy or a network's sign-in page?"),
		         c->base);
		rc = CX_NETWORK;
		goto out;
	}
	if (e != CURLE_OK) {
		explain(c, e, errbuf);
		rc = CX_NETWORK;
		goto out;
	}
	if (d.error.len > 0)
		*error_body = json_loadb(d.error.data, d.error.len, 0, NULL);
	rc = CX_OK;
out:
	curl_slist_free_all(headers);
	buf_cleanup(&d.error);
	return rc;
}

int
conn_query_add(struct conn *c, char *out, size_t cap, const char *key, const char *value)
{
	char *esc = curl_easy_escape(c->curl, value, 0);
	size_t len = strlen(out);
	int n;

	if (esc == NULL)
		return -1;
	n = snprintf(out + len, cap - len, "%c%s=%s", strchr(out, '?') ? '&' : '?', key, esc);
	curl_free(esc);
	if (n < 0 || (size_t)n >= cap - len) {
		out[len] = '\0';
		return -1;
	}
	return 0;
}

const char *
conn_reply_error(const struct conn_reply *r)
{
	const char *v = json_string_value(json_object_get(r->body, "error"));

	return v != NULL ? v : "";
}

const char *
conn_reply_message(const struct conn_reply *r)
{
	const char *v = json_string_value(json_object_get(r->body, "message"));

	return v != NULL ? v : "";
}

void
conn_reply_cleanup(struct conn_reply *r)
{
	json_decref(r->body);
	r->body = NULL;
}
