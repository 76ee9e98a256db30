/*
 * json.c - request body helpers (json.h).
 */
#include <string.h>

#include "api/json.h"
#include "common/log.h"
#include "common/text.h"
#include "domain/api_error.h"

json_t *
json_body_object(struct req *r, bool empty_ok)
{
	h2o_iovec_t body = http_body(r);
	json_error_t err;
	json_t *o;

	if (body.len == 0 && empty_ok)
		return json_object();
	o = json_loadb(body.base, body.len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		http_reply_error(r, ST_INVALID, "bad_json",
		                 o ? "The body must be a JSON object." : NULL);
		return NULL;
	}
	return o;
}

void
json_bad_field(struct req *r, const char *field, const char *message)
{
	char safe[64];

	/* A JSON string holds UTF-8 only (json_pack refuses anything else; controls and the like
	 * it escapes, and so does the log): a name that is not UTF-8 (a query parameter's
	 * bytes) is answered as safe text, '?' in place of what is not. */
	if (!text_is_utf8(field, strlen(field))) {
		text_copy_safe(safe, sizeof(safe), field, strlen(field));
		field = safe;
	}
	/* The name is the client's text when it is an unknown member's: logged only when it is a
	 * name (a card number sent as one is not; domain/api_error.h), answered as it came. */
	log_info("event=invalid_field req=%s field=%s", r->id,
	         api_error_field_keep(field) ? field : "?");
	http_reply_json(r, 400,
	                json_pack("{s:s, s:s, s:s}", "error", "invalid_field", "field", field,
	                          "message", message));
}

void
json_field_error(json_t *errors, const char *field, bool missing, const char *message)
{
	json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", field, "error",
	                                        missing ? "required" : "invalid_field", "message",
	                                        message));
}

void
json_bad_fields(struct req *r, json_t *errors)
{
	json_t *first = json_array_get(errors, 0);
	const char *field = json_string_value(json_object_get(first, "field"));

	log_info("event=invalid_field req=%s field=%s count=%zu", r->id, field,
	         json_array_size(errors));
	http_reply_json(r, 400,
	                json_pack("{s:s, s:s, s:O, s:O}", "error", "invalid_field", "field", field,
	                          "message", json_object_get(first, "message"), "errors", errors));
}

bool
json_refuse_unknown(struct req *r, json_t *o, const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		bool ok = false;

		for (const char *const *a = allowed; *a != NULL; a++)
			ok = ok || strcmp(*a, k) == 0;
		if (!ok) {
			json_bad_field(r, k, "Unknown member.");
			return true;
		}
	}
	return false;
}

int
json_get_text(json_t *o, const char *name, char *dst, size_t cap)
{
	json_t *v = json_object_get(o, name);
	const char *s;
	size_t len;

	if (v == NULL)
		return 1;
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	len = json_string_length(v);
	/* No NUL, control character, bidirectional mark or override, or line separator: none
	 * belongs in a name, a login or a reference, and each could disguise what a reader of
	 * the back office, an export, a mail or the log sees (common/text.h). */
	if (len == 0 || len >= cap || strlen(s) != len || !text_is_safe(s, len))
		return -1;
	memcpy(dst, s, len + 1);
	return 0;
}

bool
json_take_text(struct req *r, json_t *o, const char *name, char *dst, size_t cap, bool required)
{
	char message[96];
	int g = json_get_text(o, name, dst, cap);

	if (g == 0)
		return false;
	dst[0] = '\0';
	if (g == 1 && !required)
		return false;
	snprintf(message, sizeof(message), "%s must be a string of 1 to %zu bytes%s.", name,
	         cap - 1,
	         g == 1 ? " and is required" : " without control or bidirectional characters");
	json_bad_field(r, name, message);
	return true;
}
