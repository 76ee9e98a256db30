-- 007_prefs: what a user chose and keeps across sign-ins (SPEC §3): the columns and their
-- order in each journal, the landing page. Text under a name, one row each.

CREATE TABLE user_pref (
	brand_id	INTEGER NOT NULL,
	user_id		INTEGER NOT NULL REFERENCES user(id),
	name		TEXT NOT NULL,
	value		TEXT NOT NULL,
	updated_at	INTEGER NOT NULL,
	PRIMARY KEY (brand_id, user_id, name)
) WITHOUT ROWID;
