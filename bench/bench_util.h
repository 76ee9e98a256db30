/*
 * bench_util.h - what the references of the benchmarks (sqlite_insert.c, pg_insert.c,
 * export_loop.c) need: their command line, a file read whole (the schema's SQL, a statement),
 * and the wall clock in microseconds, as the server's records take it. Functions of the
 * including file (static inline: each takes what it uses).
 */
#ifndef GUICHET_BENCH_UTIL_H
#define GUICHET_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* The whole of path, NUL-terminated (malloc'd); exits on failure. */
static inline char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		perror(path);
		exit(1);
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static inline int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The loops' command line: -b payments a commit, -s seconds, -g the writer's savepoint and
 * contract update per payment; then at least two operands (the database, its schema's SQL).
 * usage() when anything is wrong. Returns the first operand's index. */
static inline int
bench_options(int argc, char **argv, long *batch, double *seconds, int *guichet_like,
              void (*usage)(void))
{
	int c;

	while ((c = getopt(argc, argv, "b:s:g")) != -1) {
		switch (c) {
		case 'b':
			*batch = strtol(optarg, NULL, 10);
			break;
		case 's':
			*seconds = strtod(optarg, NULL);
			break;
		case 'g':
			*guichet_like = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2 || *batch < 1 || *seconds <= 0)
		usage();
	return optind;
}

#endif
