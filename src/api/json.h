/*
 * json.h - reading request bodies for the handlers: a JSON object, its members checked for
 * type and form, and the 400 answer naming the field that is wrong. Runs on the event loop.
 */
#ifndef GUICHET_API_JSON_H
#define GUICHET_API_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/http.h"

/* The body as a JSON object (an empty body is {} when empty_ok), or NULL after answering 400
 * bad_json. The caller owns the result. */
json_t *json_body_object(struct req *r, bool empty_ok);

/* Answers 400 {"error":"invalid_field","field":field,"message":message}. */
void json_bad_field(struct req *r, const char *field, const char *message);

/* A form's every bad member at once (README "Users"): json_field_error appends
 * {"field","error","message"} to errors, error "required" (missing) or "invalid_field";
 * json_bad_fields answers 400 {"error":"invalid_field","field","message"} of the first one
 * (as json_bad_field does), and "errors" the whole list (not empty; the caller keeps it).
 * The fields are the server's own names, never the client's text. */
void json_field_error(json_t *errors, const char *field, bool missing, const char *message);
void json_bad_fields(struct req *r, json_t *errors);

/* When o has a member not in allowed (NULL-terminated), answers 400 naming it and returns
 * true. */
bool json_refuse_unknown(struct req *r, json_t *o, const char *const *allowed);

/* Copies the string member name (1 .. cap-1 bytes, no control, bidirectional or line
 * separator character: common/text.h) into dst. Absent:
 * dst is "" and, when required, the request is answered. Returns true when it answered 400. */
bool json_take_text(struct req *r, json_t *o, const char *name, char *dst, size_t cap,
                    bool required);

/* Reads a string member without answering: 1 absent, 0 copied, -1 not such a string. */
int json_get_text(json_t *o, const char *name, char *dst, size_t cap);

#endif
