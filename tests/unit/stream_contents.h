/*
 * stream_contents.h - what a test's stream (a tmpfile(3) a function under test wrote to)
 * holds, for the unit tests of the client's output (test_client_table.c, test_client_qr.c).
 * Include after <cmocka.h>.
 */
#ifndef GUICHET_TEST_STREAM_CONTENTS_H
#define GUICHET_TEST_STREAM_CONTENTS_H

#include <stdio.h>
#include <stdlib.h>

/* What f holds, as a string (freed by the caller). */
static inline char *
contents(FILE *f)
{
	long len;
	char *s;

	fflush(f);
	len = ftell(f);
	s = calloc((size_t)len + 1, 1);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
	return s;
}

#endif
