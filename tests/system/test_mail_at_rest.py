"""No secret a mail carries is ever in clear on disk (README "Mail"; SPEC §15).

Temporary passwords (a new user's, a reset's), sign-in codes and HMAC key activation links
go through the outbox, whose bodies are sealed before they are written: the database file
and its write-ahead log are read byte for byte, while the mails wait (the relay is down),
once they are delivered, and after the server stopped, and none of the secrets the relay
received is in them. Rows an earlier version wrote in clear are sealed when the server
starts, and the log that held them emptied. On PostgreSQL, every row the database holds is
read instead (pg_dump): its files and its log are the server's own.
"""
import email
import email.policy
import os
import re
import time

import pytest

from conftest import PG, Server, q
from test_signin import NEW_PASSWORD, ready_user
from test_smtp import FROM, Relay, add_mail, check_log, to, wait_row

STRONG = 'Vx7!kP2#mQ9@wZ4'
# The relay down, the mailer's attempts double their wait (200 ms, 400 ms …): on a loaded
# machine it may have made 6 or 7 when the relay comes back, and waits 13–26 s for the next.
RELAY_WAIT = 60


def disk(srv):
    """The bytes of the database file, of its write-ahead log and of the log's index, as
    they are now. On PostgreSQL, whose server owns its files, every row the database holds
    (Server.stored, pg_dump's text): a row's old version and the server's own log are
    PostgreSQL's to recycle, out of guichetd's reach."""
    if PG:
        return srv.stored().encode('latin-1')
    raw = b''
    for path in (srv.db, srv.db + '-wal', srv.db + '-shm'):
        if os.path.exists(path):
            with open(path, 'rb') as f:
                raw += f.read()
    return raw


def content(raw):
    return email.message_from_bytes(raw, policy=email.policy.default).get_content()


@pytest.fixture
def srv(tmp_path):
    relay = Relay()
    s = Server(str(tmp_path), transactions=0)
    s.relay = relay
    s.start('--smtp', f'smtp://127.0.0.1:{relay.port}', '--smtp-from', FROM,
            '--smtp-retry-ms', '200')
    yield s
    relay.stop()
    if s.proc is not None:
        assert s.stop() == 0


def test_temporary_passwords_codes_and_links_are_never_on_disk_in_clear(srv):
    admin, admin_csrf = ready_user(srv, 'demo.admin')
    # 1. The mails are written while the relay is down: they wait in the outbox.
    created = []
    for i in range(3):
        r = admin.post(srv.base + '/bo/api/users', headers={'X-CSRF-Token': admin_csrf},
                       json={'login': f'secret.{i}', 'name': f'Secret {i}',
                             'email': f'secret{i}@example.com', 'profile': 'consultation'})
        assert r.status_code == 201, r.text
        created.append(f'secret{i}@example.com')
    entry = q(srv, "SELECT id, email FROM user WHERE login = 'demo.entry'")[0]
    r = admin.post(srv.base + f'/bo/api/users/{entry[0]}/password',
                   headers={'X-CSRF-Token': admin_csrf})
    assert r.status_code == 200, r.text
    action, action_csrf = ready_user(srv, 'demo.action')
    r = action.post(srv.base + '/bo/api/me/second-factor/email',
                    headers={'X-CSRF-Token': action_csrf}, json={'password': NEW_PASSWORD})
    assert r.status_code == 200, r.text
    action.delete(srv.base + '/bo/api/session', headers={'X-CSRF-Token': action_csrf})
    r = action.post(srv.base + '/bo/api/session',
                    json={'login': 'demo.action', 'password': NEW_PASSWORD})
    assert r.status_code == 200 and r.json()['next'] == 'second_factor', r.text
    hmac, hmac_csrf = ready_user(srv, 'demo.hmac')
    shop = q(srv, 'SELECT min(id) FROM shop')[0][0]
    r = hmac.post(srv.base + '/bo/api/hmac-keys', headers={'X-CSRF-Token': hmac_csrf},
                  json={'shop_id': shop, 'env': 'production', 'passphrase': STRONG})
    assert r.status_code == 201, r.text
    mails = q(srv, 'SELECT count(*) FROM mail_outbox')[0][0]
    assert mails == 6
    # A round of the mailer opens every due mail before it tries the first (the relay being
    # down, it stops there): a few rounds, and each was read, opened, its message made.
    wait_row(srv, 'SELECT 1 FROM mail_outbox WHERE attempts >= 2')
    time.sleep(1.5)
    waiting = disk(srv)
    sealed = q(srv, "SELECT count(*) FROM mail_outbox WHERE body = '' AND "
                    "length(body_sealed) > 40 AND sent_at IS NULL")

    # 2. The relay is back: the mails go, and what they carried is read from it.
    srv.relay.start()
    action_email = q(srv, "SELECT email FROM user WHERE login = 'demo.action'")[0][0]
    hmac_email = q(srv, "SELECT email FROM user WHERE login = 'demo.hmac'")[0][0]
    secrets = []
    for address in created + [entry[1]]:
        text = content(srv.relay.wait(to(address), timeout=RELAY_WAIT)[2])
        secrets.append(re.search(r'Mot de passe provisoire : (\S+)', text).group(1))
    text = content(srv.relay.wait(to(action_email), timeout=RELAY_WAIT)[2])
    secrets.append(re.search(r'^Code: (\d{6})\r?$', text, re.M).group(1))
    text = content(srv.relay.wait(to(hmac_email), timeout=RELAY_WAIT)[2])
    secrets.append(re.search(r'hmac-activate\?token=([0-9a-f]{64})', text).group(1))
    assert len(secrets) == 6 and all(len(s) >= 6 for s in secrets), secrets
    wait_row(srv, 'SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM mail_outbox WHERE sent_at IS NULL)')
    delivered = disk(srv)
    assert q(srv, 'SELECT count(*) FROM mail_outbox WHERE body_sealed IS NULL') == [(mails,)]

    # 3. After the server stopped.
    assert srv.stop() == 0
    stopped = disk(srv)
    for when, raw in (('waiting', waiting), ('delivered', delivered), ('stopped', stopped)):
        found = [s for s in secrets if s.encode() in raw]
        assert found == [], f'{when}: {len(found)} secret(s) of the mails in clear on disk'
    check_log(srv, *secrets)
    assert sealed == [(mails,)]


def test_rows_written_in_clear_are_sealed_at_start(srv):
    """A database whose outbox an earlier version wrote in clear: the server seals the
    pending rows when it starts and empties the write-ahead log, which held them too."""
    assert srv.stop() == 0
    secret = 'Mot de passe provisoire : Ancien-Secret-7x2Q'
    add_mail(srv, 'ancien@example.com', 'Guichet : ancien', secret)
    assert secret.encode() in disk(srv)
    srv.start('--smtp', f'smtp://127.0.0.1:{srv.relay.port}', '--smtp-from', FROM,
              '--smtp-retry-ms', '200')
    row = q(srv, "SELECT body, length(body_sealed) FROM mail_outbox WHERE recipient = "
                 "'ancien@example.com'")[0]
    assert row[0] == '' and row[1] == len(secret) + 40
    assert secret.encode() not in disk(srv)
    assert 'event=mail_sealed rows=1' in srv.read_log()
    # Delivered as it was written.
    srv.relay.start()
    assert content(srv.relay.wait(to('ancien@example.com'))[2]).strip() == secret
