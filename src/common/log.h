/*
 * log.h - one line per event on standard error, "time level key=value ...".
 *
 * Callers write the key=value pairs; they never pass a card number, CVV, password, key or
 * session token (a system test greps every log of the test run for them).
 */
#ifndef GUICHET_LOG_H
#define GUICHET_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Messages below level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);

/* Whether messages of level are written (to skip building costly ones). */
bool log_enabled(enum log_level level);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
