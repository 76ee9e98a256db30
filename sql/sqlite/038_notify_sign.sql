-- 038_notify_sign: a Paybox System notification is signed when it is called, not when it is
-- written (issue 12; README "Paybox / E-transactions compatibility"). sign_k names PBX_RETOUR's
-- signature variable ("K", "Sign"...; '' for none): the notifier appends it, Guichet's RSA
-- signature of the body, to the body it calls with. The decision's writer keeps to the
-- payment's own work; the body kept here is what K signs.
ALTER TABLE notify_outbox ADD COLUMN sign_k TEXT NOT NULL DEFAULT '';
