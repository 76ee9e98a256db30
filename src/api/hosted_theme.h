/*
 * hosted_theme.h - the shops' templates of the hosted payment page as the loops see them (README
 * "The hosted payment page", Templates): every shop's, read from the store at start into
 * memory, replaced when the back office changes one, so that the page, its stylesheet and its
 * logo are answered without storage. A shop with no template, or an empty one, has no entry:
 * its page is Guichet's own.
 */
#ifndef GUICHET_API_HOSTED_THEME_H
#define GUICHET_API_HOSTED_THEME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct page_themes;

/* One shop's template, immutable once published; texts indexed 0 French, 1 English ("" for
 * Guichet's own). Held by page_theme_take until page_theme_drop. */
struct theme_entry {
	atomic_int refs;
	int64_t brand_id, shop_id, version;
	char token[PAGE_THEME_TOKEN];
	char title[2][4 * LIMIT_PAGE_TITLE + 1];
	char footer[2][PAGE_THEME_TEXT_MAX];
	char *css; /* the stylesheet: the footer placed last, the colours it sets */
	size_t css_len;
	unsigned char *logo; /* NULL: no logo */
	size_t logo_len;
	char logo_type[16];
};

/* Loads every template of the store into a new cache. ST_OK or the store's status. */
int page_themes_load(struct store *st, struct page_themes **out);
void page_themes_free(struct page_themes *c);

/* On a database several servers share, a template changed on another server reaches this
 * one's cache within PAGE_THEMES_EVERY_MS: a job on a reader of w compares every template's
 * version with the one it last read, and reads again the ones that moved. watch_stop, which
 * does nothing when it did not start, must come before w stops. ST_OK or ST_INTERNAL. */
#define PAGE_THEMES_EVERY_MS 1000
struct work;
int page_themes_watch_start(struct page_themes *c, struct work *w) WUR;
void page_themes_watch_stop(struct page_themes *c);

/* The template of a shop, held (page_theme_drop), or NULL when it has none. Any thread. */
const struct theme_entry *page_theme_take(struct page_themes *c, int64_t brand_id, int64_t shop_id);
void page_theme_drop(const struct theme_entry *e);

/* Publishes t, a template just committed (its copy made; the newer version wins: an older
 * one leaves the cache as it is). Any thread. */
void page_themes_put(struct page_themes *c, const struct page_theme *t);

#endif
