/*
 * api.h - the resource handlers the route table points at. One file per resource; each
 * parses, calls the service layer through a job, and renders. No business rule lives here.
 */
#ifndef GUICHET_API_H
#define GUICHET_API_H

#include "http/http.h"

/* Merchant API, SPEC §4 and §16 (api/payments.c). */
int api_payment_create(struct req *r);
int api_payment_get(struct req *r);
int api_payment_capture(struct req *r);
int api_payment_cancel(struct req *r);
int api_payment_refund(struct req *r);

/* Liveness (api/health.c). */
int api_health(struct req *r);

#endif
