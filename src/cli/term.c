/*
 * term.c - questions on the terminal, the terminal's width (term.h).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/term.h"

int
term_read_line(FILE *f, char *out, size_t cap)
{
	size_t len;

	if (fgets(out, (int)cap, f) == NULL)
		return -1;
	len = strlen(out);
	if (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	else if (!feof(f)) { /* longer than cap: refused whole, never cut */
		explicit_bzero(out, cap);
		return -1;
	}
	if (len > 0 && out[len - 1] == '\r')
		out[--len] = '\0';
	return 0;
}

bool
term_available(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The terminal's settings while echo is off, put back if a signal ends the program then. */
static struct termios saved;
static volatile sig_atomic_t saved_fd = -1;

static void
on_signal(int sig)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSAFLUSH, &saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
ask(const char *prompt, bool secret, bool empty_ok, char *out, size_t cap)
{
	struct termios old, quiet;
	bool restore = false;
	FILE *tty;
	int rc = -1;

	tty = fopen("/dev/tty", "r+e");
	if (tty == NULL)
		return -1;
	fputs(prompt, tty);
	fflush(tty);
	if (secret && tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		saved = old;
		saved_fd = fileno(tty);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	rc = term_read_line(tty, out, cap);
	if (restore) {
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
		fputc('\n', tty); /* the Enter that was not echoed */
	}
	saved_fd = -1;
	if (rc == 0 && out[0] == '\0' && !empty_ok)
		rc = -1;
	fclose(tty);
	return rc;
}

int
term_ask(const char *prompt, bool secret, char *out, size_t cap)
{
	return ask(prompt, secret, false, out, cap);
}

int
term_ask_line(const char *prompt, char *out, size_t cap)
{
	return ask(prompt, false, true, out, cap);
}

size_t
term_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	char *end;
	long n;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (cols != NULL && cols[0] >= '1' && cols[0] <= '9') {
		n = strtol(cols, &end, 10);
		if (*end == '\0' && n >= 20 && n <= 1000)
			return (size_t)n;
	}
	return 80;
}
