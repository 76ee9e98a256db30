/*
 * fuzz.h - what every libFuzzer target of tests/fuzz shares: the entry points libFuzzer
 * calls, a property check that stops the run as a crash does, and the input as a C string.
 *
 * A target is one file, fuzz_NAME.c, that defines LLVMFuzzerTestOneInput (and, when it needs
 * a setup, LLVMFuzzerInitialize), listed by one line of tests/fuzz/meson.build; its seed
 * corpus is tests/fuzz/corpus/NAME/ (docs/FUZZING.md).
 */
#ifndef GUICHET_FUZZ_H
#define GUICHET_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the code must keep: when it does not, the input is a finding (libFuzzer saves
 * it as crash-…), with what was expected on standard error. */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: property failed at %s:%d: %s\n", __FILE__,          \
			        __LINE__, #cond);                                                  \
			fprintf(stderr, "fuzz: " __VA_ARGS__);                                     \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The input as a NUL-terminated string (its bytes up to the first NUL). Free it. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
