/*
 * fuzz_text.c - the UTF-8 reader that decides which names, logins and references are taken
 * and how the log writes values (src/common/text.c), against glibc's decoder: each sequence
 * is read as mbrtowc reads it in C.UTF-8 (bounded to U+10FFFF, RFC 3629), and the text is
 * safe exactly when every sequence is well formed and none is a control, a bidirectional
 * mark or override, or a line separator (text.h's list).
 */
#include <locale.h>
#include <stdbool.h>
#include <wchar.h>

#include "common/text.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK(setlocale(LC_CTYPE, "C.UTF-8") != NULL, "no C.UTF-8 locale");
	return 0;
}

/* text.h's unsafe code points, from its words. */
static bool
unsafe(uint32_t cp)
{
	return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c ||
	       cp == 0x2028 || cp == 0x2029;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	bool safe = true;

	for (size_t i = 0; i < size;) {
		mbstate_t st;
		wchar_t w = 0;
		uint32_t cp = 0;
		size_t k = text_utf8_next(s + i, size - i, &cp);
		size_t want;

		memset(&st, 0, sizeof(st));
		want = mbrtowc(&w, s + i, size - i, &st);
		if (want == 0)
			want = 1; /* NUL, one byte */
		else if (want == (size_t)-1 || want == (size_t)-2 || (uint32_t)w > 0x10ffff)
			want = 0;
		FUZZ_CHECK(k == want && (k == 0 || cp == (uint32_t)w),
		           "at byte %zu: %zu bytes, U+%04X; glibc: %zu bytes, U+%04X", i, k,
		           (unsigned)cp, want, (unsigned)w);
		safe = safe && k > 0 && !unsafe(cp);
		i += k > 0 ? k : 1;
	}
	FUZZ_CHECK(text_is_safe(s, size) == safe, "text_is_safe says %d", !safe);
	return 0;
}
