/*
 * term.h - what the client asks on the terminal: a secret without echo (a password, a code),
 * a yes/no question, and the terminal's width for the table (table.h).
 *
 * The questions go to /dev/tty, never to stdout, so that a command's output stays the
 * command's; no terminal means no question (the caller says which option to use).
 */
#ifndef GUICHET_CLIENT_TERM_H
#define GUICHET_CLIENT_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Asks prompt on the terminal and reads one line into out (cap bytes, NUL-terminated, the
 * line's end removed), without echo when secret. Returns 0, or -1 when there is no terminal
 * or the line is empty or too long. */
int term_ask(const char *prompt, bool secret, char *out, size_t cap)
        __attribute__((warn_unused_result));

/* As term_ask, echoed, an empty line (Enter alone) taken as an answer. Returns 0, or -1 when
 * there is no terminal, at its end of file (Ctrl-D) or for a line too long. */
int term_ask_line(const char *prompt, char *out, size_t cap) __attribute__((warn_unused_result));

/* One line of f into out (cap bytes; its "\n" or "\r\n" removed). Returns 0, or -1 on end of
 * file or a line too long (whose bytes are wiped). */
int term_read_line(FILE *f, char *out, size_t cap) __attribute__((warn_unused_result));

/* Whether the client may ask questions: a terminal answers. */
bool term_available(void);

/* The columns of the terminal stdout is, else $COLUMNS, else 80. */
size_t term_width(void);

#endif
