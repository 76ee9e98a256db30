-- 003_users_mail: the durable mail outbox (SPEC §1) and what user management looks up.

-- Every e-mail the system sends, written with the change that causes it and delivered by the
-- mailer job (a .eml file in the spool folder, or SMTP); the body is wiped once delivered.
CREATE TABLE mail_outbox (
	id		INTEGER PRIMARY KEY,
	brand_id	INTEGER NOT NULL,
	recipient	TEXT NOT NULL,
	subject		TEXT NOT NULL,
	body		TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	sent_at		INTEGER
);
CREATE INDEX mail_outbox_unsent ON mail_outbox(sent_at, id);

CREATE INDEX user_brand_node ON user(brand_id, node_id);
CREATE INDEX action_log_brand_action ON action_log(brand_id, action, at);
