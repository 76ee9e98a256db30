/*
 * reply.c - JSON answers, and the one table from status to HTTP status, error code and
 * message (STYLE.md "Errors"). Handlers name a finer code when they know one; its message
 * comes from the second table below.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "crypto/crypto.h"
#include "domain/txn.h"
#include "http/http.h"

struct status_row {
	int rc;
	int http;
	const char *code;
	const char *message;
};

static const struct status_row status_table[] = {
        {ST_OK, 200, "ok", "OK"},
        {ST_INVALID, 400, "invalid_request", "The request is not valid."},
        {ST_NOTFOUND, 404, "not_found", "No such object."},
        {ST_CONFLICT, 409, "conflict", "The object changed; reload it and try again."},
        {ST_FORBIDDEN, 403, "forbidden", "You are not allowed to do this."},
        {ST_AUTH, 401, "unauthorized", "Authentication failed."},
        {ST_TOOBIG, 413, "body_too_large", "The request body is too large."},
        {ST_REFUSED, 422, "refused", "The operation is not allowed."},
        {ST_STORE, 503, "storage_unavailable",
         "Storage is unavailable; nothing was recorded. Try again."},
        {ST_INTERNAL, 500, "internal_error", "Internal error; nothing was recorded."},
        {ST_BUSY, 503, "busy", "The server is busy or stopping; nothing was recorded. Try again."},
        {ST_METHOD, 405, "method_not_allowed", "This method is not allowed on this path."},
        {ST_LOCKED, 423, "locked",
         "This account is locked after 3 failed sign-ins; an administrator can unlock it."},
        {ST_TOO_MANY, 429, "too_many_requests",
         "Too many requests; try again once the Retry-After delay has passed."},
};

/* Messages of the finer codes handlers use. */
static const struct {
	const char *code;
	const char *message;
} code_messages[] = {
        {"bad_json", "The body is not valid JSON."},
        {"invalid_field", "A member of the request is missing or has a wrong value."},
        {"bad_signature", "The X-Guichet-Signature header does not match the body."},
        {"missing_signature",
         "The X-Guichet-Signature, X-Guichet-Site and X-Guichet-Rang headers are required."},
        {"unknown_shop", "No shop has this SITE and RANG, or it has no active HMAC key."},
        {"idempotency_conflict", "This Idempotency-Key was used with another request."},
        {"bad_idempotency_key", "The Idempotency-Key must be 1 to 255 printable ASCII characters."},
        {"no_contract", "The shop has no active contract for this card's payment method."},
        {"unknown_alias", "No such card alias: unknown, deleted, or of another account."},
        {"alias_expired", "The card of this alias has expired."},
        {"alias_in_use",
         "A plan or subscription in progress pays with this alias; terminate it first."},
        {"card_expired", "The card has expired."},
        {"card_expires_too_soon", "The card expires before the first debit."},
        {"not_in_progress", "It has ended already (finished, failed or terminated)."},
        {"bad_credentials", "Wrong login or password."},
        {"not_signed_in", "Sign in first."},
        {"session_expired", "The session ended (idle too long, or 12 hours old). Sign in again."},
        {"session_disconnected",
         "This session is disconnected: resume it (POST /bo/api/session/resume with its resume "
         "key) from the device that disconnected it, or sign in again."},
        {"not_disconnected", "This session is connected: there is nothing to resume."},
        {"resume_refused", "Wrong resume key: the session was not resumed."},
        {"csrf", "The X-CSRF-Token header is missing or does not match this session."},
        {"change_password", "Change your password before anything else."},
        {"accept_terms", "Accept the terms of use before anything else."},
        {"wrong_password", "The current password is wrong."},
        {"password_reused", "The new password must differ from the last 4."},
        {"second_factor", "Give the second factor's code before anything else."},
        {"bad_code", "The code is wrong, already used or expired."},
        {"too_many_attempts",
         "Too many failed sign-ins from this address or for this login: wait the Retry-After "
         "delay (retry_after seconds), then try again."},
};

static const struct status_row *
row_of(int rc)
{
	for (size_t i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++)
		if (status_table[i].rc == rc)
			return &status_table[i];
	return &status_table[ST_INTERNAL];
}

int
http_status_of(int rc)
{
	return row_of(rc)->http;
}

const char *
http_code_of(int rc)
{
	return row_of(rc)->code;
}

static const char *
reason_of(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 422:
		return "Unprocessable Content";
	case 423:
		return "Locked";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

void
http_reply_raw(struct req *r, int status, const char *body, size_t len)
{
	h2o_req_t *req = r->h2o;

	req->res.status = status;
	req->res.reason = reason_of(status);
	/* 204 No Content says there is no body: no type either (RFC 9110 §15.3.5). */
	if (status != 204)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
		               H2O_STRLIT("application/json; charset=utf-8"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
	                      r->id, strlen(r->id));
	if (r->shop_key != NULL) {
		unsigned char mac[CRYPTO_HMAC_LEN];
		char *hex = h2o_mem_alloc_pool(&req->pool, 2 * CRYPTO_HMAC_LEN + 1);

		crypto_hmac(mac, r->shop_key, body, len);
		crypto_hex(hex, mac, sizeof(mac));
		h2o_add_header_by_str(&req->pool, &req->res.headers,
		                      H2O_STRLIT("x-guichet-signature"), 0, NULL, hex,
		                      2 * CRYPTO_HMAC_LEN);
	}
	/* h2o_send_inline leaves the length unset; without it h2o 2.2 ends a non-200 answer by
	 * closing the connection, and keep-alive is lost. */
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

void
http_reply_download(struct req *r, const char *content_type, const char *filename, const char *body,
                    size_t len)
{
	h2o_req_t *req = r->h2o;
	char disposition[128];
	int n;

	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
	               strlen(content_type));
	n = snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", filename);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL,
	               h2o_strdup(&req->pool, disposition, (size_t)n).base, (size_t)n);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
	                      r->id, strlen(r->id));
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

void
http_reply_text(struct req *r, int status, const char *content_type, const char *body, size_t len)
{
	h2o_req_t *req = r->h2o;

	req->res.status = status;
	req->res.reason = reason_of(status);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
	               strlen(content_type));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
	                      r->id, strlen(r->id));
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

/* The thread's buffer of JSON answers, its memory kept from one answer to the next: a
 * journal's page is tens of kilobytes, and json_dumps's string, grown by doubling and freed
 * after each answer, cost the loops more in malloc than the copy h2o makes. Memory beyond
 * REPLY_KEEP is given back after the answer that needed it. */
#define REPLY_KEEP (256 * 1024)
static pthread_key_t reply_json_key;
static pthread_once_t reply_json_once = PTHREAD_ONCE_INIT;

static void
reply_json_free(void *p)
{
	buf_cleanup(p);
	free(p);
}

static void
reply_json_key_make(void)
{
	if (pthread_key_create(&reply_json_key, reply_json_free) != 0)
		abort();
}

/* The thread's buffer, made at its first answer, freed when the thread ends. */
static struct buf *
reply_json_buf(void)
{
	struct buf *b;

	pthread_once(&reply_json_once, reply_json_key_make);
	b = pthread_getspecific(reply_json_key);
	if (b == NULL) {
		b = malloc(sizeof(*b));
		if (b == NULL || pthread_setspecific(reply_json_key, b) != 0)
			abort();
		buf_init(b, SIZE_MAX / 2);
	}
	return b;
}

static int
reply_json_add(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

void
http_reply_json(struct req *r, int status, json_t *v)
{
	struct buf *b = reply_json_buf();

	http_api_error_note(r, status, v);
	buf_reset(b);
	if (json_dump_callback(v, reply_json_add, b, JSON_COMPACT) != 0 || b->data == NULL)
		abort();
	json_decref(v);
	http_reply_raw(r, status, b->data, b->len);
	if (b->cap > REPLY_KEEP)
		buf_cleanup(b);
}

/* The message of a finer code (the table above, or the domain's sentence for an operation
 * SPEC §6 refuses), else the default message of its row. */
static const char *
message_of(const struct status_row *row, const char *code)
{
	for (size_t i = 0; i < sizeof(code_messages) / sizeof(code_messages[0]); i++)
		if (strcmp(code_messages[i].code, code) == 0)
			return code_messages[i].message;
	for (int d = DENY_NONE + 1; d < DENY__COUNT; d++)
		if (strcmp(op_denial_code((enum op_denial)d), code) == 0)
			return op_denial_message((enum op_denial)d);
	return row->message;
}

const char *
http_message_of(const char *code, int http_status)
{
	const struct status_row *row = NULL;

	for (size_t i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++)
		if (strcmp(status_table[i].code, code) == 0 ||
		    (row == NULL && status_table[i].http == http_status))
			row = &status_table[i];
	return message_of(row != NULL ? row : &status_table[ST_INTERNAL], code);
}

/* {"error", "message"} of rc, code and message as http_reply_error says. */
static json_t *
error_json(int rc, const char *code, const char *message)
{
	const struct status_row *row = row_of(rc);

	if (code == NULL)
		code = row->code;
	if (message == NULL)
		message = message_of(row, code);
	return json_pack("{s:s, s:s}", "error", code, "message", message);
}

void
http_reply_error(struct req *r, int rc, const char *code, const char *message)
{
	int status = http_status_of(rc);

	/* Nothing was recorded (a full disk, an I/O error, a server stopping or overloaded):
	 * RFC 9110 §10.2.3 tells the client when to try again, with the same Idempotency-Key. */
	if (status == 503)
		h2o_add_header(&r->h2o->pool, &r->h2o->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
		               H2O_STRLIT("1"));
	http_reply_json(r, status, error_json(rc, code, message));
}

void
http_reply_retry(struct req *r, int rc, const char *code, const char *message, int retry_s)
{
	json_t *o = error_json(rc, code, message);
	char v[16];
	int n = snprintf(v, sizeof(v), "%d", retry_s);

	json_object_set_new(o, "retry_after", json_integer(retry_s));
	h2o_add_header(&r->h2o->pool, &r->h2o->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
	               h2o_strdup(&r->h2o->pool, v, (size_t)n).base, (size_t)n);
	http_reply_json(r, http_status_of(rc), o);
}
