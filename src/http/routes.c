/*
 * routes.c - the route table: every path guichetd answers, its method, handler, who must be
 * authenticated and the largest body it takes. docs/openapi.yaml documents the /api routes;
 * a system test checks the two agree (`guichetd routes` prints this table).
 */
#include "api/api.h"
#include "common/limits.h"

const struct route routes[] = {
        {"POST", "/api/v1/payments", api_payment_create, AUTH_HMAC, LIMIT_BODY_API,
         "create a payment"},
        {"GET", "/api/v1/payments/{id}", api_payment_get, AUTH_HMAC, 0, "get a payment"},
        {"POST", "/api/v1/payments/{id}/capture", api_payment_capture, AUTH_HMAC, LIMIT_BODY_API,
         "capture an authorization"},
        {"POST", "/api/v1/payments/{id}/cancel", api_payment_cancel, AUTH_HMAC, LIMIT_BODY_API,
         "cancel a payment not yet sent"},
        {"POST", "/api/v1/payments/{id}/refund", api_payment_refund, AUTH_HMAC, LIMIT_BODY_API,
         "refund a sent payment"},
        {"GET", "/healthz", api_health, AUTH_NONE, 0, "liveness"},
};

const size_t routes_n = sizeof(routes) / sizeof(routes[0]);
