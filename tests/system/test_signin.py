"""Back-office sign-in through HTTP (SPEC §3, §16): passwords, lockout, first-sign-in steps,
one session per login, idle and absolute limits, CSRF, sign-out, the action log."""
import json
import subprocess
import threading
import time

import pytest
import requests

from conftest import GUICHETD, DatabaseError, Server, connect, tls_files

NEW_PASSWORD = 'Cormoran-Velo-2026'


def password_of(server, login):
    return next(u['password'] for u in server.demo['users'] if u['login'] == login)


def sign_in(server, login, password=None, session=None, **extra):
    s = session or requests.Session()
    body = {'login': login, 'password': password or password_of(server, login), **extra}
    r = s.post(server.base + '/bo/api/session', json=body, timeout=30)
    return s, r


def ready_user(server, login):
    """Signs in, changes the password, accepts the terms: a user ready to work."""
    s, r = sign_in(server, login)
    assert r.status_code == 200, r.text
    csrf = r.json()['csrf']
    if r.json()['next'] == 'change_password':
        p = s.post(server.base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
                   json={'old': password_of(server, login), 'new': NEW_PASSWORD})
        assert p.status_code == 200, p.text
    t = s.post(server.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf},
               json={'accept': True})
    assert t.status_code == 200 and t.json()['next'] is None, t.text
    return s, csrf


def actions(server, login):
    with connect(server.db) as db:
        return [r[0] for r in db.execute('SELECT action FROM action_log WHERE user_login = ? '
                                         'ORDER BY id', (login,))]


def test_first_sign_in_steps_in_order(server):
    s, r = sign_in(server, 'demo.entry', device='Poste accueil')
    assert r.status_code == 200
    body = r.json()
    assert body['next'] == 'change_password'
    assert body['user'] == {'login': 'demo.entry', 'name': 'Eli Saisie', 'profile': 'entry',
                            'email': 'demo.entry@maison-guichet.example'}
    assert len(body['csrf']) == 64
    cookie = r.headers['Set-Cookie']
    assert 'HttpOnly' in cookie and 'SameSite=Strict' in cookie and 'Path=/' in cookie
    assert 'Secure' not in cookie                       # plain HTTP on loopback
    csrf = body['csrf']
    who = s.get(server.base + '/bo/api/session').json()
    assert who['next'] == 'change_password' and who['device'] == 'Poste accueil'
    # The terms cannot come first: the password goes first, then the terms.
    t = s.post(server.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf},
               json={'accept': True})
    assert t.status_code == 403 and t.json()['error'] == 'change_password', t.text
    p = s.post(server.base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
               json={'old': password_of(server, 'demo.entry'), 'new': NEW_PASSWORD})
    assert p.status_code == 200 and p.json()['next'] == 'accept_terms'
    terms = s.get(server.base + '/bo/api/terms').json()
    assert terms['version'] == 1 and 'Conditions' in terms['text']
    t = s.post(server.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf},
               json={'accept': True})
    assert t.status_code == 200 and t.json()['next'] is None
    assert s.get(server.base + '/bo/api/session').json()['next'] is None
    assert actions(server, 'demo.entry') == ['sign_in', 'password_changed', 'terms_accepted']


@pytest.mark.parametrize('new,code', [
    ('short1', 'password_too_short'),
    ('onlyletterslong', 'password_needs_letter_and_digit'),
    ('aaaaaaaaaaa1', 'password_too_weak'),
    ('xdemo.hmacx-2026', 'password_contains_login'),
])
def test_password_rules(server, new, code):
    s, r = sign_in(server, 'demo.hmac', takeover=True)
    p = s.post(server.base + '/bo/api/password', headers={'X-CSRF-Token': r.json()['csrf']},
               json={'old': password_of(server, 'demo.hmac'), 'new': new})
    assert p.status_code == 422 and p.json()['error'] == code, p.text


def test_wrong_current_password(server):
    s, r = sign_in(server, 'demo.hmac', takeover=True)
    p = s.post(server.base + '/bo/api/password', headers={'X-CSRF-Token': r.json()['csrf']},
               json={'old': 'not-the-password-1', 'new': NEW_PASSWORD})
    assert p.status_code == 422 and p.json()['error'] == 'wrong_password'


def test_password_strength_is_the_servers(server):
    s, r = sign_in(server, 'demo.hmac', takeover=True)
    h = {'X-CSRF-Token': r.json()['csrf']}
    levels = {}
    for pw in ('123', '123456%', '123456%A', '123456%AfP@10oz', '123456%AfP@10oz*'):
        levels[pw] = s.post(server.base + '/bo/api/password/strength', headers=h,
                            json={'password': pw}).json()['strength']
    assert list(levels.values()) == ['very_weak', 'weak', 'medium', 'strong', 'very_strong']


def test_none_of_the_last_four_passwords(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        s, csrf = ready_user(srv, 'demo.action')
        h = {'X-CSRF-Token': csrf}
        history = [NEW_PASSWORD]
        for i in range(4):
            new = f'Passage-{i}-Mistral-77'
            r = s.post(srv.base + '/bo/api/password', headers=h,
                       json={'old': history[-1], 'new': new})
            assert r.status_code == 200, r.text
            history.append(new)
        # The current one and the 3 before it are refused; the 5th back is allowed again.
        for old in history[-4:]:
            r = s.post(srv.base + '/bo/api/password', headers=h,
                       json={'old': history[-1], 'new': old})
            assert r.status_code == 422 and r.json()['error'] == 'password_reused', old
        r = s.post(srv.base + '/bo/api/password', headers=h,
                   json={'old': history[-1], 'new': history[0]})
        assert r.status_code == 200
    finally:
        assert srv.stop() == 0


def test_three_failures_lock_the_account(server):
    for attempt in range(3):
        _, r = sign_in(server, 'demo.consultation', password='wrong-password-42')
        assert r.status_code == (423 if attempt == 2 else 401), r.text
        assert r.json()['error'] == ('locked' if attempt == 2 else 'bad_credentials')
        assert 'Set-Cookie' not in r.headers
    _, r = sign_in(server, 'demo.consultation')
    assert r.status_code == 423 and r.json()['error'] == 'locked'
    log = actions(server, 'demo.consultation')
    assert log == ['sign_in_failed'] * 3 + ['account_locked', 'sign_in_refused']


def test_unknown_login_looks_like_a_wrong_password(server):
    _, r = sign_in(server, 'nobody.here', password='whatever-it-is-1')
    assert r.status_code == 401 and r.json()['error'] == 'bad_credentials'


def test_one_session_per_login_and_takeover(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        a, _ = sign_in(srv, 'demo.admin', device='Bureau compta')
        b, r = sign_in(srv, 'demo.admin', device='Portable')
        assert r.status_code == 409
        assert r.json() == {'error': 'session_elsewhere', 'device': 'Bureau compta',
                            'state': 'connected', 'message': r.json()['message']}
        assert a.get(srv.base + '/bo/api/session').status_code == 200
        b, r = sign_in(srv, 'demo.admin', session=b, device='Portable', takeover=True)
        assert r.status_code == 200
        old = a.get(srv.base + '/bo/api/session')
        assert old.status_code == 401 and old.json()['error'] == 'not_signed_in'
        assert b.get(srv.base + '/bo/api/session').json()['device'] == 'Portable'
        assert actions(srv, 'demo.admin') == ['sign_in', 'sign_in_refused', 'sign_in']
    finally:
        assert srv.stop() == 0


@pytest.mark.parametrize('agent, shown', [
    (b'Navigateur \xff\xfe', 'Navigateur ??'),
    (b'x' * 79 + 'é'.encode(), 'x' * 79),  # its last character would be cut in half
    (b'Mozilla \xe2\x80\xae evil', 'Mozilla ? evil'),
])
def test_a_device_named_by_its_user_agent_is_text(tmp_path, agent, shown):
    """Without a device in the body, the session is named by the browser's User-Agent: its
    bytes that were not UTF-8, or a name cut in a character, made no JSON, and the next
    answer naming the device (GET /bo/api/session, the 409 of a second sign-in) stopped the
    server."""
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        a = requests.Session()
        a.headers['User-Agent'] = agent
        a, r = sign_in(srv, 'demo.admin', session=a)
        assert r.status_code == 200, r.text
        assert a.get(srv.base + '/bo/api/session').json()['device'] == shown
        _, r = sign_in(srv, 'demo.admin')
        assert r.status_code == 409 and r.json()['device'] == shown, r.text
        assert requests.get(srv.base + '/healthz', timeout=10).status_code == 200
    finally:
        assert srv.stop() == 0


def test_csrf_required_on_every_change(server):
    s, r = sign_in(server, 'demo.action', takeover=True)
    for headers in ({}, {'X-CSRF-Token': '0' * 64}, {'X-CSRF-Token': 'nothex'}):
        t = s.post(server.base + '/bo/api/terms', headers=headers, json={'accept': True})
        assert t.status_code == 403 and t.json()['error'] == 'csrf'
        d = s.delete(server.base + '/bo/api/session', headers=headers)
        assert d.status_code == 403
    assert s.get(server.base + '/bo/api/session').status_code == 200


def test_sign_out_ends_the_session_on_the_server(server):
    s, r = sign_in(server, 'demo.action', takeover=True)
    token = s.cookies['guichet_session']
    d = s.delete(server.base + '/bo/api/session', headers={'X-CSRF-Token': r.json()['csrf']})
    assert d.status_code == 200 and 'Max-Age=0' in d.headers['Set-Cookie']
    again = requests.get(server.base + '/bo/api/session',
                         cookies={'guichet_session': token})
    assert again.status_code == 401
    with connect(server.db) as db:
        n = db.execute('SELECT count(*) FROM session s JOIN user u ON u.id = s.user_id '
                       'WHERE u.login = ?', ('demo.action',)).fetchone()[0]
    assert n == 0


def test_tokens_are_stored_hashed(server):
    s, r = sign_in(server, 'demo.action', takeover=True)
    token = bytes.fromhex(s.cookies['guichet_session'])
    csrf = bytes.fromhex(r.json()['csrf'])
    # As stored: SQLite's file and log, or PostgreSQL's rows (pg_dump writes a bytea in
    # hex, the cookie's own form).
    raw = server.stored()
    for value in (token, csrf):
        assert value.hex() not in raw and value.decode('latin-1') not in raw
    assert s.cookies['guichet_session'] not in server.read_log()


def test_not_signed_in_and_bad_cookies(server):
    for cookie in (None, 'abc', 'g' * 64, '0' * 64):
        r = requests.get(server.base + '/bo/api/session',
                         cookies={'guichet_session': cookie} if cookie else None)
        assert r.status_code == 401 and r.json()['error'] == 'not_signed_in'


@pytest.mark.parametrize('body,status', [
    (b'{', 400), (b'[]', 400), (b'{"login":"demo.admin"}', 400),
    (b'{"login":"demo.admin","password":12}', 400),
    (b'{"login":"demo.admin","password":"x","extra":1}', 400),
    (b'{"login":"demo.admin","password":"' + b'x' * 300 + b'"}', 400),
    (b'{"login":"demo.admin","password":"x","takeover":"yes"}', 400),
])
def test_bad_sign_in_requests(server, body, status):
    r = requests.post(server.base + '/bo/api/session', data=body,
                      headers={'Content-Type': 'application/json'})
    assert r.status_code == status and r.json()['error'] in ('bad_json', 'invalid_field')


def test_ingenico_form(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        pw = password_of(srv, 'demo.consultation')
        r = requests.post(srv.base + '/bo/api/session', json={
            'pspid': 'GUICHETDEMO', 'user_id': 'demo.consultation', 'password': pw})
        assert r.status_code == 200 and r.json()['user']['login'] == 'demo.consultation'
        r = requests.post(srv.base + '/bo/api/session', json={
            'pspid': 'OTHERBRAND', 'user_id': 'demo.consultation', 'password': pw,
            'takeover': True})
        assert r.status_code == 401 and r.json()['error'] == 'bad_credentials'
        # The right password with another account's id is a failed sign-in of this user,
        # in the brand's log and counted towards the lock.
        time.sleep(0.2)
        with connect(srv.db) as db:
            row = db.execute("SELECT a.details, u.failed_attempts FROM action_log a "
                             "JOIN user u ON u.id = a.user_id WHERE u.login = ? "
                             "ORDER BY a.id DESC LIMIT 1", ('demo.consultation',)).fetchone()
        assert row == ('wrong account id (PSPID)', 1)
        # A user id that exists nowhere: no account to log it in, the server's log has it
        # (without the typed id).
        r = requests.post(srv.base + '/bo/api/session', json={
            'pspid': 'GUICHETDEMO', 'user_id': 'nobody.here', 'password': pw})
        assert r.status_code == 401 and r.json()['error'] == 'bad_credentials'
        r = requests.post(srv.base + '/bo/api/session', json={
            'login': 'nobody.else', 'password': pw})
        assert r.status_code == 401
    finally:
        assert srv.stop() == 0
    log = srv.read_log()
    assert 'event=sign_in_failed reason=unknown_user_id' in log
    assert 'event=sign_in_failed reason=unknown_login' in log
    assert 'nobody' not in log


def test_idle_timeout_ends_the_session(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start('--idle-timeout', '1')
    try:
        s, _ = sign_in(srv, 'demo.action')
        assert s.get(srv.base + '/bo/api/session').status_code == 200
        time.sleep(1.5)
        r = s.get(srv.base + '/bo/api/session')
        assert r.status_code == 401 and r.json()['error'] == 'session_expired'
        # A new sign-in is not refused by the expired one.
        _, r = sign_in(srv, 'demo.action')
        assert r.status_code == 200
        time.sleep(0.2)
        assert 'session_expired' in actions(srv, 'demo.action')
    finally:
        assert srv.stop() == 0


def test_sessions_survive_a_restart_but_not_12_hours(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    s, _ = sign_in(srv, 'demo.action')
    assert srv.stop() == 0
    srv.start()
    try:
        assert s.get(srv.base + '/bo/api/session').status_code == 200
    finally:
        assert srv.stop() == 0
    with connect(srv.db) as db:
        # 12 hours and a microsecond (43200000000 a bigint: 12 * 3600 * 1000000 overflows
        # PostgreSQL's integer).
        db.execute('UPDATE session SET created_at = created_at - 43200000000 - 1')
    srv.start()
    try:
        r = s.get(srv.base + '/bo/api/session')
        assert r.status_code == 401 and r.json()['error'] == 'session_expired'
    finally:
        assert srv.stop() == 0


def test_expired_password_and_new_terms(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        s, csrf = ready_user(srv, 'demo.admin')
        s.delete(srv.base + '/bo/api/session', headers={'X-CSRF-Token': csrf})
        # New terms of use: accepted again at the next sign-in (SPEC §3).
        out = subprocess.run([GUICHETD, 'terms', '--db', srv.db, '--version', '2'],
                             capture_output=True, text=True, timeout=30, env=srv.env)
        assert out.returncode == 0, out.stderr
        s, r = sign_in(srv, 'demo.admin', password=NEW_PASSWORD)
        assert r.json()['next'] == 'accept_terms'
        t = s.post(srv.base + '/bo/api/terms', headers={'X-CSRF-Token': r.json()['csrf']},
                   json={'accept': True})
        assert t.json()['next'] is None
        s.delete(srv.base + '/bo/api/session', headers={'X-CSRF-Token': r.json()['csrf']})
        # 90 days: day 90 still fine, day 90 + 1 s expired.
        with connect(srv.db) as db:
            db.execute("UPDATE user SET password_set_at = ? WHERE login = 'demo.admin'",
                       (srv.now_us(-90 * 86400 + 60),))
        s, r = sign_in(srv, 'demo.admin', password=NEW_PASSWORD)
        assert r.json()['next'] is None
        s.delete(srv.base + '/bo/api/session', headers={'X-CSRF-Token': r.json()['csrf']})
        with connect(srv.db) as db:
            db.execute("UPDATE user SET password_set_at = ? WHERE login = 'demo.admin'",
                       (srv.now_us(-90 * 86400 - 1),))
        s, r = sign_in(srv, 'demo.admin', password=NEW_PASSWORD)
        assert r.json()['next'] == 'change_password'
    finally:
        assert srv.stop() == 0


def test_action_log_is_append_only(server):
    # A connection each: PostgreSQL's refused statement aborts its transaction.
    for sql in ("UPDATE action_log SET action = 'x'", 'DELETE FROM action_log'):
        with pytest.raises(DatabaseError, match='append-only'), connect(server.db) as db:
            db.execute(sql)


STATS = '/bo/api/stats?from=2026-01-01&to=2026-01-31'


def test_data_routes_wait_for_every_step(tmp_path):
    """Until `next` is null, a route outside the sign-in steps answers 403 with the step."""
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        s, r = sign_in(srv, 'demo.action')
        h = {'X-CSRF-Token': r.json()['csrf']}
        for step in ('change_password', 'accept_terms'):
            assert s.get(srv.base + '/bo/api/session').json()['next'] == step
            for path in (STATS, '/bo/api/transactions?from=2026-01-01&to=2026-01-31',
                         '/bo/api/me'):
                g = s.get(srv.base + path)
                assert g.status_code == 403 and g.json()['error'] == step, (path, g.text)
            if step == 'change_password':
                t = s.post(srv.base + '/bo/api/terms', headers=h, json={'accept': True})
                assert t.status_code == 403 and t.json()['error'] == 'change_password'
                p = s.post(srv.base + '/bo/api/password', headers=h,
                           json={'old': password_of(srv, 'demo.action'), 'new': NEW_PASSWORD})
                assert p.status_code == 200 and p.json()['next'] == 'accept_terms'
        t = s.post(srv.base + '/bo/api/terms', headers=h, json={'accept': True})
        assert t.status_code == 200 and t.json()['next'] is None
        assert s.get(srv.base + STATS).status_code == 200
        assert actions(srv, 'demo.action') == ['sign_in', 'password_changed', 'terms_accepted']
    finally:
        assert srv.stop() == 0


def test_a_restart_keeps_the_steps_still_to_do(tmp_path):
    """Regression: after a restart, a session that still had to accept the terms (or whose
    password had expired) got 200 on the data routes."""
    srv = Server(str(tmp_path), transactions=0).start()
    terms, r = sign_in(srv, 'demo.action')
    p = terms.post(srv.base + '/bo/api/password', headers={'X-CSRF-Token': r.json()['csrf']},
                   json={'old': password_of(srv, 'demo.action'), 'new': NEW_PASSWORD})
    assert p.json()['next'] == 'accept_terms'
    expired, _ = ready_user(srv, 'demo.admin')
    assert expired.get(srv.base + STATS).status_code == 200
    assert srv.stop() == 0
    with connect(srv.db) as db:
        db.execute("UPDATE user SET password_set_at = ? WHERE login = 'demo.admin'",
                   (srv.now_us(-91 * 86400),))
    srv.start()
    try:
        for s, step in ((terms, 'accept_terms'), (expired, 'change_password')):
            assert s.get(srv.base + '/bo/api/session').json()['next'] == step
            g = s.get(srv.base + STATS)
            assert g.status_code == 403 and g.json()['error'] == step, g.text
    finally:
        assert srv.stop() == 0


def wait_for_next(srv, s, step, seconds=10):
    deadline = time.time() + seconds
    while True:
        nxt = s.get(srv.base + '/bo/api/session').json()['next']
        if nxt == step or time.time() > deadline:
            return nxt
        time.sleep(0.1)


def test_new_terms_reach_live_sessions(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        s, csrf = ready_user(srv, 'demo.admin')
        assert s.get(srv.base + STATS).status_code == 200
        out = subprocess.run([GUICHETD, 'terms', '--db', srv.db, '--version', '2'],
                             capture_output=True, text=True, timeout=30, env=srv.env)
        assert out.returncode == 0, out.stderr
        # The server reads the version again every second (SESSION_TERMS_EVERY_MS).
        assert wait_for_next(srv, s, 'accept_terms') == 'accept_terms'
        g = s.get(srv.base + STATS)
        assert g.status_code == 403 and g.json()['error'] == 'accept_terms'
        t = s.post(srv.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf},
                   json={'accept': True})
        assert t.status_code == 200 and t.json()['next'] is None
        assert s.get(srv.base + STATS).status_code == 200
        # Versions only go up: a lower one is refused and changes nothing.
        out = subprocess.run([GUICHETD, 'terms', '--db', srv.db, '--version', '1'],
                             capture_output=True, text=True, timeout=30, env=srv.env)
        assert out.returncode == 2 and 'version 2' in out.stderr
        assert s.get(srv.base + '/bo/api/terms').json()['version'] == 2
    finally:
        assert srv.stop() == 0


def test_password_expiry_reaches_live_sessions(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        s, csrf = ready_user(srv, 'demo.admin')
        s.delete(srv.base + '/bo/api/session', headers={'X-CSRF-Token': csrf})
        # The password turns 90 days old 15 s from now, while the session is live (a loaded
        # machine's sign-in, Argon2id included, has taken more than 4 s).
        with connect(srv.db) as db:
            db.execute("UPDATE user SET password_set_at = ? WHERE login = 'demo.admin'",
                       (srv.now_us(-90 * 86400 + 15),))
        s, r = sign_in(srv, 'demo.admin', password=NEW_PASSWORD)
        assert r.json()['next'] is None
        assert s.get(srv.base + STATS).status_code == 200
        assert wait_for_next(srv, s, 'change_password', 30) == 'change_password'
        g = s.get(srv.base + STATS)
        assert g.status_code == 403 and g.json()['error'] == 'change_password'
        p = s.post(srv.base + '/bo/api/password', headers={'X-CSRF-Token': r.json()['csrf']},
                   json={'old': NEW_PASSWORD, 'new': 'Goeland-Tramway-2027'})
        assert p.status_code == 200 and p.json()['next'] is None
        assert s.get(srv.base + STATS).status_code == 200
    finally:
        assert srv.stop() == 0


def test_parallel_attempts_cannot_beat_the_lockout(tmp_path):
    """Regression: 5 wrong and 1 right password sent at once counted failures past the lock
    and opened a session after it. The writer puts attempts in one order: 3 failures lock,
    and nothing after the lock counts or opens anything."""
    # Attempts past the login's rate limit would be refused before anything (429): not here.
    srv = Server(str(tmp_path), transactions=0).start('--sign-in-login-limit', '1000/1')
    login = 'demo.consultation'
    right = password_of(srv, login)
    # The refusals of a locked account: a refusal repeated within a minute is counted in the
    # row of its first (migration 021), which may be one of an earlier round.
    # An integer on both (PostgreSQL's sum of bigints is a numeric).
    refusals_sql = ("SELECT CAST(coalesce(sum(coalesce((SELECT count FROM action_repeat r "
                    "WHERE r.action_id = a.id), 1)), 0) AS BIGINT) FROM action_log a WHERE "
                    "user_login = ? AND action = 'sign_in_refused'")
    try:
        for attempt in range(3):
            with connect(srv.db) as db:
                db.execute('UPDATE user SET locked = 0, failed_attempts = 0 WHERE login = ?',
                           (login,))
                mark = db.execute('SELECT coalesce(max(id), 0) FROM action_log').fetchone()[0]
                refused_before = db.execute(refusals_sql, (login,)).fetchone()[0]
            passwords = [f'wrong-password-{attempt}-{i}' for i in range(6)] + [right]
            statuses = [None] * len(passwords)
            start = threading.Barrier(len(passwords))

            def attempt_one(i):
                start.wait()
                r = requests.post(srv.base + '/bo/api/session', timeout=60, json={
                    'login': login, 'password': passwords[i], 'takeover': True})
                statuses[i] = r.status_code

            threads = [threading.Thread(target=attempt_one, args=(i,))
                       for i in range(len(passwords))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            with connect(srv.db) as db:
                locked, failed = db.execute('SELECT locked, failed_attempts FROM user '
                                            'WHERE login = ?', (login,)).fetchone()
                log = db.execute("SELECT action, at FROM action_log WHERE id > ? AND "
                                 "user_login = ? AND action != 'sign_in_refused' ORDER BY id",
                                 (mark, login)).fetchall()
                refused = db.execute(refusals_sql, (login,)).fetchone()[0] - refused_before
                session = db.execute('SELECT s.created_at FROM session s JOIN user u ON '
                                     'u.id = s.user_id WHERE u.login = ?', (login,)).fetchone()
            # Refusals come only once the account is locked: after the rest.
            names = [a for a, _ in log] + ['sign_in_refused'] * refused
            assert locked == 1 and failed == 3, (locked, failed, names)
            lock = names.index('account_locked')
            # The 3 failures of this lock cycle (since the last sign-in), then refusals only.
            cycle = names[:lock]
            if 'sign_in' in cycle:
                cycle = cycle[len(cycle) - cycle[::-1].index('sign_in'):]
            assert cycle == ['sign_in_failed'] * 3, names
            assert set(names[lock + 1:]) <= {'sign_in_refused'}, names
            assert len(names) == len(passwords) + 1, names
            # The right password opened a session only if it came before the lock.
            assert (statuses[-1] == 200) == ('sign_in' in names[:lock]), (statuses, names)
            assert statuses[-1] in (200, 423), statuses
            assert sorted(set(statuses[:-1])) <= [401, 423], statuses
            if session is not None and statuses[-1] == 200:
                assert session[0] <= log[lock][1]
            _, r = sign_in(srv, login, takeover=True)
            assert r.status_code == 423 and r.json()['error'] == 'locked'
    finally:
        assert srv.stop() == 0


@pytest.mark.parametrize('content_type', [
    None, 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x', 'application/jsonp', 'application/json-seq',
])
def test_sign_in_wants_json(server, content_type):
    """A foreign page's form can post text/plain to the sign-in, never application/json."""
    body = json.dumps({'login': 'demo.admin', 'password': password_of(server, 'demo.admin'),
                       'takeover': True}).encode()
    before = actions(server, 'demo.admin')
    r = requests.post(server.base + '/bo/api/session', data=body,
                      headers={'Content-Type': content_type})
    assert r.status_code == 415 and r.json()['error'] == 'unsupported_media_type', r.text
    assert 'Set-Cookie' not in r.headers
    assert actions(server, 'demo.admin') == before


@pytest.mark.parametrize('content_type', [
    'application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8',
])
def test_sign_in_json_content_types(server, content_type):
    r = requests.post(server.base + '/bo/api/session', headers={'Content-Type': content_type},
                      data=b'{"login":"nobody.here","password":"whatever-it-is-1"}')
    assert r.status_code == 401 and r.json()['error'] == 'bad_credentials'


def test_cookie_is_secure_under_tls(tmp_path):
    cert, key = tls_files(tmp_path)
    srv = Server(str(tmp_path), transactions=0).start('--tls-cert', cert, '--tls-key', key)
    try:
        assert srv.base.startswith('https://')
        r = requests.post(srv.base + '/bo/api/session', verify=cert, json={
            'login': 'demo.action', 'password': password_of(srv, 'demo.action')})
        assert r.status_code == 200, r.text
        attrs = [a.strip() for a in r.headers['Set-Cookie'].split(';')]
        assert attrs[0].startswith('guichet_session=') and len(attrs[0]) == 16 + 64
        assert {'Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/'} <= set(attrs), attrs
        # Plain HTTP on loopback has no Secure flag: test_first_sign_in_steps_in_order.
        # Under TLS every answer, the API's and the UI's, tells the browser to keep to TLS.
        for path in ('/bo/api/session', '/', '/healthz'):
            r = requests.get(srv.base + path, verify=cert, timeout=10)
            assert r.headers['Strict-Transport-Security'] == 'max-age=31536000', path
    finally:
        assert srv.stop() == 0


def test_session_lists_the_routes_of_its_profile(tmp_path):
    """GET /bo/api/session's `allowed` is the route table's answer for the profile, in the
    order and the spelling of `guichetd routes`."""
    out = subprocess.run([GUICHETD, 'routes', '--json'], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    table = json.loads(out.stdout)
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        profiles = set()
        for user in srv.demo['users']:
            s, r = sign_in(srv, user['login'])
            assert r.status_code == 200, r.text
            allowed = s.get(srv.base + '/bo/api/session').json()['allowed']
            expected = [f"{rt['method']} {rt['pattern']}" for rt in table
                        if rt['auth'] == 'session' and user['profile'] in rt['profiles']]
            assert allowed == expected, user['profile']
            assert 'GET /bo/api/session' in allowed
            profiles.add(user['profile'])
        assert profiles == {'consultation', 'action', 'admin', 'entry', 'hmac'}
    finally:
        assert srv.stop() == 0


def test_tls_offers_only_strong_protocols_and_suites(tmp_path):
    """TLS 1.2 and 1.3 only, and under 1.2 forward-secret AEAD suites only (PCI DSS 4.2.1):
    a client limited to TLS 1.1, or to a CBC suite, gets no connection."""
    import socket
    import ssl
    import warnings
    cert, key = tls_files(tmp_path)
    srv = Server(str(tmp_path), transactions=0).start('--tls-cert', cert, '--tls-key', key)

    def handshake(**conf):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cert)
        ctx.minimum_version = conf.get('min', ssl.TLSVersion.TLSv1_2)
        ctx.maximum_version = conf.get('max', ssl.TLSVersion.TLSv1_3)
        if 'ciphers' in conf:
            ctx.set_ciphers(conf['ciphers'] + ':@SECLEVEL=0')
        with socket.create_connection(('127.0.0.1', srv.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname='127.0.0.1') as tls:
                return tls.version(), tls.cipher()[0]

    try:
        assert handshake()[0] == 'TLSv1.3'
        version, suite = handshake(max=ssl.TLSVersion.TLSv1_2)
        assert version == 'TLSv1.2' and ('GCM' in suite or 'CHACHA20' in suite), suite
        for refused in ({'max': ssl.TLSVersion.TLSv1_2, 'ciphers': 'ECDHE-ECDSA-AES128-SHA'},
                        {'max': ssl.TLSVersion.TLSv1_2, 'ciphers': 'ECDHE-ECDSA-AES256-SHA384'}):
            with pytest.raises((ssl.SSLError, ConnectionResetError)):
                handshake(**refused)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)  # TLS 1.1, on purpose
            with pytest.raises((ssl.SSLError, ConnectionResetError, ValueError)):
                handshake(min=ssl.TLSVersion.TLSv1_1, max=ssl.TLSVersion.TLSv1_1)
    finally:
        assert srv.stop() == 0
