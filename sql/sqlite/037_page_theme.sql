-- 037_page_theme: a shop's template of the hosted payment page (issue 12; README "The hosted
-- payment page", Templates): its logo, two colours and its texts in French and English, set
-- in the back office (api/hosted_theme.c, store/sqlite/page_theme.c).
--
-- page_theme: no row, or a row whose every field is empty, is the page as Guichet draws it.
-- primary and background are '' (Guichet's) or '#rrggbb' (domain/page_theme.h: their contrast
-- with the page's text and buttons was checked before they were written). The texts are plain
-- text (escaped when shown). logo is a PNG or a JPEG of at most LIMIT_PAGE_LOGO bytes, checked
-- by its signature, with its media type; NULL none. token names the template's stylesheet and
-- logo in their public URLs (/pay/theme/{shop}/{token}.css): random, new at each change, so
-- a cached copy is never stale and the URLs cannot be guessed from a shop's id. version grows
-- by one at each change, a reset to Guichet's page included: a change names the version it was
-- made from (no lost update), and the servers' caches keep the newer of two.
CREATE TABLE page_theme (
	brand_id	INTEGER NOT NULL REFERENCES brand(id),
	shop_id		INTEGER NOT NULL REFERENCES shop(id),
	primary_color	TEXT NOT NULL DEFAULT '',
	background_color TEXT NOT NULL DEFAULT '',
	title_fr	TEXT NOT NULL DEFAULT '',
	title_en	TEXT NOT NULL DEFAULT '',
	footer_fr	TEXT NOT NULL DEFAULT '',
	footer_en	TEXT NOT NULL DEFAULT '',
	logo		BLOB,
	logo_type	TEXT NOT NULL DEFAULT '',
	token		TEXT NOT NULL,
	version		INTEGER NOT NULL CHECK (version >= 1),
	updated_at	INTEGER NOT NULL,
	updated_by	INTEGER REFERENCES user(id),
	PRIMARY KEY (brand_id, shop_id)
) WITHOUT ROWID;
