"""Disconnect and resume a back-office session through HTTP (SPEC §3 "disconnected"; issue 14;
README "The back office"): POST /bo/api/session/disconnect keeps the session for the device
that held it, which resumes it with its resume key (POST /bo/api/session/resume) within its
idle time and never after its 12 hours; meanwhile the session answers nothing else, and
another device's sign-in is refused naming it "disconnected" (or takes it over). Wrong keys
are counted, the third ends the session; bad input changes nothing; a restart keeps it all."""
import base64
import re
import time
from datetime import datetime

import pytest
import requests

from conftest import PG, Server, connect, q, rfc3339
from test_signin import NEW_PASSWORD, actions, ready_user, sign_in

IDLE = 900  # the server's default --idle-timeout, in seconds
KEY = re.compile(r'^[A-Za-z0-9_-]{43}$')  # 32 bytes, base64url without padding


def instant(text):
    return datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp()


READY = set()  # (database, login) of the users who changed their password and took the terms


class Signed:
    """A signed-in user of a server: their cookie (in a requests session) and CSRF token."""

    def __init__(self, srv, login, device='Poste 1'):
        self.srv, self.login = srv, login
        if (srv.db, login) not in READY:  # first sign-in: the password and the terms first
            s, _ = ready_user(srv, login)
            s.delete(srv.base + '/bo/api/session', headers={'X-CSRF-Token': _}, timeout=30)
            READY.add((srv.db, login))
        s, r = sign_in(srv, login, password=NEW_PASSWORD, device=device, takeover=True)
        assert r.status_code == 200 and r.json()['next'] is None, r.text
        self.s, self.csrf = s, r.json()['csrf']

    def call(self, method, path, body=None, csrf=True, base=None, **kw):
        headers = {'X-CSRF-Token': self.csrf} if csrf else {}
        return self.s.request(method, (base or self.srv.base) + path, json=body,
                              headers=headers, timeout=30, **kw)

    def disconnect(self, base=None):
        r = self.call('POST', '/bo/api/session/disconnect', base=base)
        assert r.status_code == 200, r.text
        return r.json()

    def resume(self, key, base=None):
        """The resume's answer; its new CSRF token kept when it resumed."""
        r = self.call('POST', '/bo/api/session/resume', {'resume_key': key}, csrf=False,
                      base=base)
        if r.status_code == 200:
            self.csrf = r.json()['csrf']
        return r


def failures(srv, login):
    return q(srv, 'SELECT s.resume_failures FROM session s JOIN user u ON u.id = s.user_id '
                  'WHERE u.login = ?', (login,))


def test_disconnect_then_resume(server):
    u = Signed(server, 'demo.consultation')
    # A write like any other: without the CSRF token, refused and nothing done.
    r = u.call('POST', '/bo/api/session/disconnect', csrf=False)
    assert r.status_code == 403 and r.json()['error'] == 'csrf', r.text
    assert u.call('GET', '/bo/api/session').status_code == 200
    before = server.now()
    d = u.disconnect()
    assert set(d) == {'resume_key', 'resumable_until'}
    assert KEY.match(d['resume_key']), d
    assert len(base64.urlsafe_b64decode(d['resume_key'] + '=')) == 32
    # The last use is the disconnect: resumable for the idle time from it.
    until = instant(d['resumable_until'])
    assert before + IDLE - 2 <= until <= server.now() + IDLE + 1, (before, until)
    # Disconnected: nothing answers but the resume, and the refusal says why.
    for method, path, body in (('GET', '/bo/api/session', None),
                               ('GET', '/bo/api/me', None),
                               ('PATCH', '/bo/api/me/preferences', {}),
                               ('POST', '/bo/api/session/disconnect', None),
                               ('DELETE', '/bo/api/session', None)):
        r = u.call(method, path, body)
        assert r.status_code == 401, (path, r.text)
        assert r.json()['error'] == 'session_disconnected' and r.json()['message'], path
    # The resume needs no CSRF token (the key stands for it) and answers what GET
    # /bo/api/session answers, with a new CSRF token.
    old = u.csrf
    r = u.resume(d['resume_key'])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body['user']['login'] == 'demo.consultation' and body['next'] is None
    assert body['device'] == 'Poste 1'
    assert 'GET /bo/api/transactions' in body['allowed']
    assert re.match(r'^[0-9a-f]{64}$', body['csrf']) and body['csrf'] != old
    who = u.call('GET', '/bo/api/session').json()
    assert {k: who[k] for k in ('user', 'next', 'device', 'allowed')} == \
        {k: body[k] for k in ('user', 'next', 'device', 'allowed')}
    # The CSRF token of before is no more; the new one works.
    r = u.s.patch(server.base + '/bo/api/me/preferences', json={},
                  headers={'X-CSRF-Token': old}, timeout=30)
    assert r.status_code == 403 and r.json()['error'] == 'csrf'
    assert u.call('PATCH', '/bo/api/me/preferences', {}).status_code == 200
    # Connected, there is nothing to resume.
    r = u.resume(d['resume_key'])
    assert r.status_code == 409 and r.json()['error'] == 'not_disconnected', r.text
    # A key serves once: the next disconnect's key is another, the old one is wrong.
    d2 = u.disconnect()
    assert d2['resume_key'] != d['resume_key']
    r = u.resume(d['resume_key'])
    assert r.status_code == 401 and r.json()['error'] == 'resume_refused', r.text
    assert u.resume(d2['resume_key']).status_code == 200
    time.sleep(0.2)
    log = actions(server, 'demo.consultation')
    assert log[-5:] == ['disconnect', 'resume', 'disconnect', 'resume_refused', 'resume']
    # Only a hash of the key is kept; neither the key nor the token is ever logged.
    row = q(server, 'SELECT s.resume_hash FROM session s JOIN user u ON u.id = s.user_id '
                    'WHERE u.login = ?', ('demo.consultation',))
    assert row == [(None,)]  # connected again: no key at all
    d3 = u.disconnect()
    stored = bytes(q(server, 'SELECT s.resume_hash FROM session s JOIN user u '
                             'ON u.id = s.user_id WHERE u.login = ?',
                     ('demo.consultation',))[0][0])
    key = base64.urlsafe_b64decode(d3['resume_key'] + '=')
    assert len(stored) == 32 and stored != key
    assert u.resume(d3['resume_key']).status_code == 200
    text = server.read_log()
    for secret in (d['resume_key'], d2['resume_key'], d3['resume_key'],
                   u.s.cookies['guichet_session']):
        assert secret not in text


def test_the_third_wrong_key_ends_the_session(server):
    u = Signed(server, 'demo.action')
    d = u.disconnect()
    # Two wrong keys (one not even of a key's form) leave the right one working.
    for left, key in ((2, 'A' * 43), (1, 'not a key')):
        r = u.resume(key)
        assert r.status_code == 401, r.text
        assert r.json()['error'] == 'resume_refused' and r.json()['attempts_left'] == left
    assert failures(server, 'demo.action') == [(2,)]
    r = u.resume(d['resume_key'])
    assert r.status_code == 200, r.text
    # The count starts again at each disconnect: the third wrong key in a row ends it.
    d = u.disconnect()
    cookie = u.s.cookies['guichet_session']
    assert failures(server, 'demo.action') == [(0,)]
    for left in (2, 1, 0):
        r = u.resume(('B' if left else 'C') * 43)
        assert r.status_code == 401 and r.json()['error'] == 'resume_refused', r.text
        assert r.json()['attempts_left'] == left
    assert 'Max-Age=0' in r.headers['Set-Cookie']  # the cookie goes with the session
    r = requests.post(server.base + '/bo/api/session/resume',
                      cookies={'guichet_session': cookie},
                      json={'resume_key': d['resume_key']}, timeout=30)
    assert r.status_code == 401 and r.json()['error'] == 'not_signed_in', r.text
    assert failures(server, 'demo.action') == []
    time.sleep(0.2)
    assert actions(server, 'demo.action')[-3:] == ['resume_refused'] * 3


def test_bad_input_changes_nothing(server):
    u = Signed(server, 'demo.entry')
    path = server.base + '/bo/api/session/resume'
    # The disconnect takes no parameters: a body with one is refused, nothing done.
    r = u.s.post(server.base + '/bo/api/session/disconnect', data='{"x": 1}',
                 headers={'X-CSRF-Token': u.csrf, 'Content-Type': 'application/json'},
                 timeout=30)
    assert r.status_code == 400 and r.json()['error'] == 'invalid_field', r.text
    assert u.call('GET', '/bo/api/session').status_code == 200
    d = u.disconnect()
    cases = [
        (b'{"resume_key": ', 400, 'bad_json'),
        (b'[]', 400, 'bad_json'),
        (b'"' + d['resume_key'].encode() + b'"', 400, 'bad_json'),
        (b'{}', 400, 'invalid_field'),
        (b'{"resume_key": 5}', 400, 'invalid_field'),
        (b'{"resume_key": null}', 400, 'invalid_field'),
        (b'{"resume_key": ["x"]}', 400, 'invalid_field'),
        (b'{"resume_key": ""}', 400, 'invalid_field'),
        (b'{"resume_key": "' + b'k' * 200 + b'"}', 400, 'invalid_field'),
        (('{"resume_key": "%s", "x": 1}' % d['resume_key']).encode(), 400, 'invalid_field'),
        (b'{"resume_key": "' + b'k' * 70000 + b'"}', 413, 'body_too_large'),
    ]
    for body, status, code in cases:
        r = u.s.post(path, data=body, headers={'Content-Type': 'application/json'},
                     timeout=30)
        assert r.status_code == status, (body[:40], r.status_code, r.text)
        assert r.json()['error'] == code and r.json()['message'], (body[:40], r.text)
        # Nothing counted, still disconnected.
        assert failures(server, 'demo.entry') == [(0,)], body[:40]
        assert u.call('GET', '/bo/api/session').json()['error'] == 'session_disconnected'
    # No cookie, or a token no session has: signed in nowhere, as everywhere.
    for cookies in ({}, {'guichet_session': '0' * 64}, {'guichet_session': 'xyz'}):
        r = requests.post(path, cookies=cookies, json={'resume_key': d['resume_key']},
                          timeout=30)
        assert r.status_code == 401 and r.json()['error'] == 'not_signed_in', r.text
    assert failures(server, 'demo.entry') == [(0,)]
    assert u.resume(d['resume_key']).status_code == 200


def test_another_device_sees_disconnected_and_may_take_over(server):
    u = Signed(server, 'demo.hmac', device='Poste comptable')
    other = requests.Session()
    _, r = sign_in(server, 'demo.hmac', password=NEW_PASSWORD, session=other,
                   device='Portable')
    assert r.status_code == 409, r.text
    assert r.json()['error'] == 'session_elsewhere'
    assert r.json()['device'] == 'Poste comptable' and r.json()['state'] == 'connected'
    d = u.disconnect()
    _, r = sign_in(server, 'demo.hmac', password=NEW_PASSWORD, session=other,
                   device='Portable')
    assert r.status_code == 409, r.text
    assert r.json()['device'] == 'Poste comptable' and r.json()['state'] == 'disconnected'
    assert 'disconnected' in r.json()['message']
    # Another device cannot resume it: the key goes with the session's own cookie.
    r = other.post(server.base + '/bo/api/session/resume',
                   json={'resume_key': d['resume_key']}, timeout=30)
    assert r.status_code == 401 and r.json()['error'] == 'not_signed_in', r.text
    # The takeover ends it as it ends a connected one.
    _, r = sign_in(server, 'demo.hmac', password=NEW_PASSWORD, session=other,
                   device='Portable', takeover=True)
    assert r.status_code == 200, r.text
    r = u.resume(d['resume_key'])
    assert r.status_code == 401 and r.json()['error'] == 'not_signed_in', r.text
    assert other.get(server.base + '/bo/api/session').status_code == 200


def restart_at(srv, instant_s):
    """Stops srv and starts it again with its clock at instant_s (seconds since the epoch),
    trying again when the start took long enough to leave it more than 3 s later."""
    for _ in range(5):
        assert srv.stop() == 0
        srv.set_clock(rfc3339(instant_s))
        srv.start()
        if srv.now() <= instant_s + 3:
            return
    raise AssertionError('the server never started in time')


def test_resumable_across_a_restart_until_the_idle_time(tmp_path):
    """The idle boundary: resumed 20 s before it (after a restart: the state is the
    database's), ended 2 s after it, and then it blocks no sign-in."""
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        u = Signed(srv, 'demo.admin', device='Poste 7')
        d = u.disconnect()
        until = instant(d['resumable_until'])
        restart_at(srv, until - 20)
        # Still held, disconnected, for another device.
        _, r = sign_in(srv, 'demo.admin', password=NEW_PASSWORD, device='Portable')
        assert r.status_code == 409 and r.json()['state'] == 'disconnected', r.text
        r = u.call('GET', '/bo/api/session')
        assert r.status_code == 401 and r.json()['error'] == 'session_disconnected'
        assert srv.now() < until
        r = u.resume(d['resume_key'])
        assert r.status_code == 200, r.text
        assert u.call('PATCH', '/bo/api/me/preferences', {}).status_code == 200
        # Disconnected again, past its idle time: ended.
        d = u.disconnect()
        until = instant(d['resumable_until'])
        restart_at(srv, until + 2)
        r = u.resume(d['resume_key'])
        assert r.status_code == 401 and r.json()['error'] == 'session_expired', r.text
        # Asked again: ended still (a database several servers share keeps the row, told
        # expired again, until it is removed; one server's forgets it at once).
        r = u.resume(d['resume_key'])
        assert r.status_code == 401 and r.json()['error'] in ('not_signed_in',
                                                              'session_expired'), r.text
        # It no longer blocks another device's sign-in.
        _, r = sign_in(srv, 'demo.admin', password=NEW_PASSWORD, device='Portable')
        assert r.status_code == 200, r.text
        time.sleep(0.2)
        assert 'session_expired' in actions(srv, 'demo.admin')
    finally:
        assert srv.stop() == 0


def test_the_idle_time_is_the_servers_setting(tmp_path):
    """--idle-timeout sets how long a disconnected session is resumable: 2 s here, the
    boundary crossed on a running server."""
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        # The first sign-in's steps (two Argon2id hashes, seconds on a loaded machine) under
        # the default idle time; then a server whose sessions end after 2 s idle.
        Signed(srv, 'demo.action')
        assert srv.stop() == 0
        srv.start('--idle-timeout', '2')
        u = Signed(srv, 'demo.action')
        before = srv.now()
        d = u.disconnect()
        until = instant(d['resumable_until'])
        assert before + 2 - 1 <= until <= srv.now() + 2 + 1
        assert u.resume(d['resume_key']).status_code == 200
        d = u.disconnect()
        time.sleep(max(0.0, instant(d['resumable_until']) - srv.now()) + 1.2)
        r = u.resume(d['resume_key'])
        assert r.status_code == 401 and r.json()['error'] == 'session_expired', r.text
    finally:
        assert srv.stop() == 0


def test_never_after_12_hours(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        u = Signed(srv, 'demo.consultation')
        assert srv.stop() == 0
        # Signed in 12 hours less 2 minutes ago: the 12 hours come before the idle time.
        with connect(srv.db) as db:
            db.execute('UPDATE session SET created_at = created_at - 43200000000 + 120000000')
        srv.start()
        created = q(srv, 'SELECT created_at FROM session')[0][0] / 1e6
        d = u.disconnect()
        until = instant(d['resumable_until'])
        assert until == pytest.approx(created + 12 * 3600, abs=1)
        assert until < srv.now() + IDLE - 60
        assert u.resume(d['resume_key']).status_code == 200
        d = u.disconnect()
        restart_at(srv, until + 2)
        r = u.resume(d['resume_key'])
        assert r.status_code == 401 and r.json()['error'] == 'session_expired', r.text
    finally:
        assert srv.stop() == 0


@pytest.mark.skipif(PG, reason='the in-memory table of a server that is its database\'s only '
                               'one (on PostgreSQL each request reads the row: test_cluster)')
def test_the_table_and_the_database_agree(tmp_path):
    """SQLite: what the session table holds is what a restart reads back from the file."""
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        u = Signed(srv, 'demo.action')
        d = u.disconnect()
        row = q(srv, 'SELECT last_seen_at, resume_hash IS NOT NULL FROM session')
        assert row[0][1] == 1
        assert row[0][0] / 1e6 == pytest.approx(instant(d['resumable_until']) - IDLE, abs=1)
        r = u.resume(d['resume_key'])
        assert r.status_code == 200
        assert q(srv, 'SELECT resume_hash, resume_failures FROM session') == [(None, 0)]
        assert srv.stop() == 0
        srv.start()
        assert u.call('PATCH', '/bo/api/me/preferences', {}).status_code == 200
    finally:
        assert srv.stop() == 0


def test_a_sign_in_waiting_for_its_code_cannot_disconnect(server):
    """A sign-in still waiting for its second factor is not its user's session yet."""
    u = Signed(server, 'demo.admin')
    r = u.call('POST', '/bo/api/me/second-factor/email', {'password': NEW_PASSWORD})
    assert r.status_code == 200, r.text
    u.call('DELETE', '/bo/api/session')
    s, r = sign_in(server, 'demo.admin', password=NEW_PASSWORD)
    assert r.status_code == 200 and r.json()['next'] == 'second_factor', r.text
    r = s.post(server.base + '/bo/api/session/disconnect',
               headers={'X-CSRF-Token': r.json()['csrf']}, timeout=30)
    assert r.status_code == 403 and r.json()['error'] == 'second_factor', r.text

