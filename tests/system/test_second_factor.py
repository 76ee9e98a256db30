"""The second factor of the back office's sign-in, through HTTP (SPEC §3; Ingenico guide 3.2.1
"2FA"; Jetro: a code sent by e-mail): TOTP enrolment with a QR code, confirmation, the sign-in
step and what it lets through, the time window and replays, the lockout shared with passwords,
e-mailed codes (expiry, single use, resend), disabling by the user and by an administrator,
the users' list, the action log, a restart, and no secret in logs or answers.

TOTP codes are computed here (conftest.totp, RFC 6238), e-mailed codes read from the spool
folder's .eml files; an expiry is reached by backdating the stored row."""
import json
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests

from conftest import GUICHETD, Server, connect, q, spooled_code, totp
from test_signin import NEW_PASSWORD, ready_user, sign_in
from test_users import spooled_password

OTHER = 'OTHERSF'
SVG = '{http://www.w3.org/2000/svg}'
ALLOWED = {'GET /bo/api/session', 'DELETE /bo/api/session', 'POST /bo/api/session/second-factor',
           'POST /bo/api/session/second-factor/resend'}


@pytest.fixture(scope='module')
def sf(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('second_factor')), transactions=0)
    srv.other = srv.add_brand(OTHER)
    srv.start()
    srv.admin = ready_user(srv, 'demo.admin')
    srv.secrets = []  # every secret and code given out: none may reach the log
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    leaked = [x for x in srv.secrets if x in log]
    assert leaked == [], 'a second factor secret or code reached the log'
    raw = srv.stored()  # SQLite's file and log, or PostgreSQL's rows
    assert [x for x in srv.secrets if len(x) > 6 and x in raw] == [], 'a secret in clear'


class User:
    """A user of the back office made for one test: a cookie jar, the CSRF token."""

    def __init__(self, srv, login, email, password, uid):
        self.srv, self.login, self.email, self.password, self.id = (srv, login, email,
                                                                    password, uid)
        self.s, self.csrf, self.secret = requests.Session(), None, None

    def call(self, method, path, body=None, csrf=True):
        h = {'X-CSRF-Token': self.csrf} if csrf and self.csrf else {}
        return self.s.request(method, self.srv.base + path, json=body, headers=h, timeout=30)

    def sign_in(self, password=None):
        self.s = requests.Session()
        r = self.s.post(self.srv.base + '/bo/api/session', timeout=30,
                        json={'login': self.login, 'password': password or self.password,
                              'takeover': True})
        if r.status_code == 200:
            self.csrf = r.json()['csrf']
        return r

    def give(self, code):
        r = self.call('POST', '/bo/api/session/second-factor', {'code': code})
        if r.status_code == 200:
            self.csrf = r.json()['csrf']
        return r


def admin_call(srv, method, path, body=None):
    s, csrf = srv.admin
    return s.request(method, srv.base + path, json=body, headers={'X-CSRF-Token': csrf},
                     timeout=30)


def new_user(srv, profile='consultation', node_id=None):
    """A user created by the administrator, first sign-in steps done."""
    login = f'sf.{uuid.uuid4().hex[:8]}'
    email = f'{login}@example.com'
    body = {'login': login, 'name': 'Deux Facteurs', 'email': email, 'profile': profile}
    if node_id:
        body['node_id'] = node_id
    r = admin_call(srv, 'POST', '/bo/api/users', body)
    assert r.status_code == 201, r.text
    u = User(srv, login, email, spooled_password(srv, email), r.json()['id'])
    u.first_password = u.password
    assert u.sign_in().json()['next'] == 'change_password'
    assert u.call('POST', '/bo/api/password',
                  {'old': u.password, 'new': NEW_PASSWORD}).status_code == 200
    u.password = NEW_PASSWORD
    assert u.call('POST', '/bo/api/terms', {'accept': True}).json()['next'] is None
    return u


def steady(srv):
    """Waits, when needed, until the server's current 30 s step has a few seconds left: a
    check made about one step must not straddle two."""
    while srv.now() % 30 > 26:
        time.sleep(0.5)


def enrol(u):
    """Starts the enrolment: the secret."""
    r = u.call('POST', '/bo/api/me/second-factor/totp', {})
    assert r.status_code == 200, r.text
    u.secret = r.json()['secret']
    u.srv.secrets.append(u.secret)
    return r.json()


def with_totp(srv, profile='consultation'):
    u = new_user(srv, profile)
    enrol(u)
    steady(u.srv)
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm',
               {'code': totp(u.secret, u.srv), 'password': u.password})
    assert r.status_code == 200 and r.json() == {'method': 'totp'}, r.text
    return u


def forget_steps(u):
    """Forgets the last step a code was accepted at (the replay guard), so that a test of
    the window is not one of replays."""
    with connect(u.srv.db) as db:
        db.execute('UPDATE second_factor SET totp_last_step = 0 WHERE user_id = ?', (u.id,))


def wrong_code(u):
    """A code none of the accepted steps gives."""
    right = {totp(u.secret, u.srv, offset=k) for k in (-2, -1, 0, 1, 2)} if u.secret else set()
    return next(c for c in ('000000', '111111', '222222', '333333') if c not in right)


def actions(srv, login):
    return [(a, d) for a, d in q(srv, 'SELECT action, details FROM action_log WHERE '
                                 'user_login = ? OR target_login = ? ORDER BY id',
                                 (login, login))]


def session_routes():
    out = subprocess.run([GUICHETD, 'routes', '--json'], capture_output=True, text=True,
                         check=True)
    return [(r['method'], r['pattern']) for r in json.loads(out.stdout)
            if r['auth'] == 'session']


# -- enrolment ----------------------------------------------------------------------------


def test_enrolment_gives_a_secret_its_uri_and_a_plain_svg_qr_code(sf):
    u = new_user(sf)
    assert u.call('GET', '/bo/api/me/second-factor').json() == {'method': None,
                                                                'pending_totp': False}
    body = enrol(u)
    secret = body['secret']
    assert len(secret) == 32 and set(secret) <= set('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')
    assert body['uri'] == (f'otpauth://totp/Guichet:{u.login}?secret={secret}&issuer=Guichet'
                           '&algorithm=SHA1&digits=6&period=30')
    root = ET.fromstring(body['qr_svg'])
    assert root.tag == SVG + 'svg' and root.get('viewBox', '').startswith('0 0 ')
    tags = {el.tag for el in root.iter()}
    assert tags <= {SVG + 'svg', SVG + 'rect', SVG + 'path'}, tags
    assert not any('style' in el.attrib or any(k.startswith('on') for k in el.attrib)
                   for el in root.iter())
    assert 'script' not in body['qr_svg'] and 'style' not in body['qr_svg']
    side = int(root.get('viewBox').split()[2])
    assert side >= 21 + 8 and (side - 8 - 17) % 4 == 0  # a QR version's size + quiet zone
    assert u.call('GET', '/bo/api/me/second-factor').json() == {'method': None,
                                                                'pending_totp': True}
    # A new enrolment replaces the secret: the old one's codes no longer confirm.
    old = secret
    enrol(u)
    assert u.secret != old
    steady(u.srv)
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm',
               {'code': totp(old, u.srv), 'password': u.password})
    assert r.status_code == 422 and r.json()['error'] == 'bad_code', r.text
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm',
               {'code': totp(u.secret, u.srv), 'password': u.password})
    assert r.status_code == 200 and r.json() == {'method': 'totp'}
    assert u.call('GET', '/bo/api/me/second-factor').json() == {'method': 'totp',
                                                                'pending_totp': False}
    # The secret is stored sealed, never in clear nor in base32.
    row = q(sf, 'SELECT totp_sealed, totp_pending FROM second_factor WHERE user_id = ?',
            (u.id,))[0]
    assert row[0] is not None and len(row[0]) == 60 and row[1] is None


def test_confirmation_errors_and_no_enrolment_while_active(sf):
    u = new_user(sf)
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm',
               {'code': '123456', 'password': u.password})
    assert r.status_code == 409 and r.json()['error'] == 'no_enrolment', r.text
    enrol(u)
    steady(u.srv)
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm',
               {'code': totp(u.secret, u.srv), 'password': 'not-my-password-42'})
    assert r.status_code == 422 and r.json()['error'] == 'bad_password', r.text
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm',
               {'code': wrong_code(u), 'password': u.password})
    assert r.status_code == 422 and r.json()['error'] == 'bad_code', r.text
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm', {'code': totp(u.secret, u.srv)})
    assert r.status_code == 400 and r.json()['field'] == 'password'
    # The wrong password counts as a failed sign-in (the third locks: test_account_security),
    # the enrolment's code, typed from the secret just shown, does not.
    assert q(sf, 'SELECT failed_attempts, locked FROM user WHERE id = ?', (u.id,)) == [(1, 0)]
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm',
               {'code': totp(u.secret, u.srv), 'password': u.password})
    assert r.status_code == 200, r.text
    # While it is on: no QR code, no other method, no second confirmation.
    for path, body in (('/bo/api/me/second-factor/totp', {}),
                       ('/bo/api/me/second-factor/email', {'password': u.password}),
                       ('/bo/api/me/second-factor/totp/confirm',
                        {'code': totp(u.secret, u.srv, offset=1), 'password': u.password})):
        r = u.call('POST', path, body)
        assert r.status_code == 409 and r.json()['error'] == 'second_factor_active', (path,
                                                                                     r.text)
    assert u.call('GET', '/bo/api/me/second-factor').json()['method'] == 'totp'


# -- signing in with TOTP -------------------------------------------------------------------


def test_sign_in_waits_for_the_code_and_lets_nothing_else_through(sf):
    u = with_totp(sf, 'admin')
    r = u.sign_in()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body['next'] == 'second_factor' and body['second_factor'] == 'totp'
    assert 'secret' not in r.text and u.secret not in r.text
    who = u.call('GET', '/bo/api/session').json()
    assert who['next'] == 'second_factor' and who['second_factor'] == 'totp'
    checked = 0
    for method, pattern in session_routes():
        if f'{method} {pattern}' in ALLOWED:
            continue
        path = pattern.replace('{id}', str(u.id)).replace('{nid}', '1').replace('{key}', '00' * 32)
        for csrf in (True, False):
            r = u.call(method, path, None, csrf=csrf)
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert r.json()['error'] == 'second_factor' and r.json()['message'], (path, r.text)
        checked += 1
    assert checked >= 35
    r = u.call('POST', '/bo/api/session/second-factor/resend', {})
    assert r.status_code == 409 and r.json()['error'] == 'not_email', r.text
    old_csrf = u.csrf
    steady(u.srv)
    r = u.give(totp(u.secret, u.srv, offset=1))
    assert r.status_code == 200, r.text
    assert r.json()['next'] is None and r.json()['user']['login'] == u.login
    assert set(r.json()) == {'csrf', 'next', 'user', 'environment'} and r.json()['csrf'] != old_csrf
    assert u.call('GET', '/bo/api/session').json()['next'] is None
    assert u.call('GET', '/bo/api/users').status_code == 200
    # New tokens: the CSRF token of the half-signed session changes nothing any more.
    r = u.s.patch(sf.base + '/bo/api/me', json={'time_zone': 'Europe/Paris'},
                  headers={'X-CSRF-Token': old_csrf})
    assert r.status_code == 403 and r.json()['error'] == 'csrf'
    # The step is done: the routes of the step say so.
    r = u.give(totp(u.secret, u.srv, offset=1))
    assert r.status_code == 409 and r.json()['error'] == 'no_second_factor'


def test_the_code_comes_before_the_password_change(sf):
    u = with_totp(sf)
    r = admin_call(sf, 'POST', f'/bo/api/users/{u.id}/password')
    assert r.status_code == 200, r.text
    temp = spooled_password(sf, u.email, other_than=u.first_password)
    r = u.sign_in(temp)
    assert r.json()['next'] == 'second_factor'
    r = u.call('POST', '/bo/api/password', {'old': temp, 'new': 'Autre-Chemin-2031'})
    assert r.status_code == 403 and r.json()['error'] == 'second_factor'
    steady(u.srv)
    r = u.give(totp(u.secret, u.srv, offset=1))
    assert r.status_code == 200 and r.json()['next'] == 'change_password', r.text


def test_one_step_either_side_is_accepted_two_are_not_and_a_step_is_used_once(sf):
    u = with_totp(sf)
    for offset in (-1, 1):
        forget_steps(u)
        steady(u.srv)
        u.sign_in()
        for far in (-2, 2):
            r = u.give(totp(u.secret, u.srv, offset=far))
            assert r.status_code == 401 and r.json()['error'] == 'bad_code', (far, r.text)
        at = u.srv.now()
        r = u.give(totp(u.secret, at, offset=offset))
        assert r.status_code == 200, (offset, r.text)
    # The step just used (+1 of the instant at), and any earlier one, never again: the codes
    # of those steps, whatever time has passed since (a slow machine may cross into the next
    # step, where "+1 of now" would be a step not used yet).
    u.sign_in()
    for offset in (1, 0):
        r = u.give(totp(u.secret, at, offset=offset))
        assert r.status_code == 401 and r.json()['error'] == 'bad_code', (offset, r.text)
    assert q(sf, 'SELECT failed_attempts FROM user WHERE id = ?', (u.id,)) == [(2,)]


def test_three_wrong_codes_lock_and_end_the_session(sf):
    u = with_totp(sf)
    # The counter is the passwords': one wrong password, then two wrong codes.
    assert u.sign_in('not-the-password-9').status_code == 401
    assert u.sign_in().json()['next'] == 'second_factor'
    r = u.give(wrong_code(u))
    assert r.status_code == 401 and r.json()['error'] == 'bad_code'
    # Signing in again forgets nothing: no more guesses for the password's owner.
    assert u.sign_in().json()['next'] == 'second_factor'
    r = u.give(wrong_code(u))
    assert r.status_code == 423 and r.json()['error'] == 'locked', r.text
    assert u.call('GET', '/bo/api/session').status_code == 401
    # The waiting sign-in ended; the user's live session, from another device, did not
    # (wrong codes typed with the password alone end nothing else: test_account_security).
    assert q(sf, 'SELECT count(*) FROM session WHERE user_id = ? AND second_factor_pending = 1',
             (u.id,)) == [(0,)]
    assert u.sign_in().status_code == 423
    log = actions(sf, u.login)
    assert log[-3:] == [('second_factor_failed', 'totp'), ('account_locked', '3 failed sign-ins'),
                        ('sign_in_refused', 'account locked')]
    assert [a for a, _ in log].count('second_factor_failed') == 2
    r = admin_call(sf, 'POST', f'/bo/api/users/{u.id}/unlock')
    assert r.status_code == 200, r.text
    assert u.sign_in().json()['next'] == 'second_factor'
    steady(u.srv)
    r = u.give(totp(u.secret, u.srv, offset=1))
    assert r.status_code == 200 and r.json()['next'] is None, r.text
    assert q(sf, 'SELECT failed_attempts, locked FROM user WHERE id = ?', (u.id,)) == [(0, 0)]


# -- codes sent by e-mail --------------------------------------------------------------------


def test_email_codes_end_to_end(sf):
    u = new_user(sf)
    r = u.call('POST', '/bo/api/me/second-factor/email', {'password': 'not-my-password-42'})
    assert r.status_code == 422 and r.json()['error'] == 'bad_password'
    r = u.call('POST', '/bo/api/me/second-factor/email', {'password': u.password})
    assert r.status_code == 200 and r.json() == {'method': 'email'}, r.text
    assert u.call('GET', '/bo/api/me/second-factor').json()['method'] == 'email'
    r = u.sign_in()
    assert r.json()['next'] == 'second_factor' and r.json()['second_factor'] == 'email'
    code = spooled_code(sf, u.email)
    sf.secrets.append(code)
    assert code not in r.text
    digest = q(sf, 'SELECT code_digest FROM second_factor WHERE user_id = ?', (u.id,))[0][0]
    assert len(digest) == 32 and code.encode() not in digest
    # At most one new code every 30 s.
    r = u.call('POST', '/bo/api/session/second-factor/resend', {})
    assert r.status_code == 429 and r.json()['error'] == 'too_soon', r.text
    assert 1 <= r.json()['retry_after'] <= 30 and r.headers['Retry-After'] == str(
        r.json()['retry_after'])
    bad = next(c for c in ('000000', '111111') if c != code)
    r = u.give(bad)
    assert r.status_code == 401 and r.json()['error'] == 'bad_code'
    r = u.give(code)
    assert r.status_code == 200 and r.json()['next'] is None, r.text
    # Used once: the same code at the next sign-in is refused (a new one is mailed).
    u.sign_in()
    second = spooled_code(sf, u.email, other_than={code})
    sf.secrets.append(second)
    r = u.give(code)
    assert r.status_code == 401 and r.json()['error'] == 'bad_code'
    # A new one replaces it, 30 s later (backdated here).
    with connect(sf.db) as db:
        db.execute('UPDATE second_factor SET code_created_at = code_created_at - 31000000 '
                   'WHERE user_id = ?', (u.id,))
    r = u.call('POST', '/bo/api/session/second-factor/resend', {})
    assert r.status_code == 200 and r.json() == {'sent': True}, r.text
    third = spooled_code(sf, u.email, other_than={code, second})
    sf.secrets.append(third)
    r = u.give(second)
    assert r.status_code == 401, r.text  # replaced: the 3rd failure would lock, so stop here
    r = u.give(third)
    assert r.status_code == 200, r.text
    # Valid 10 minutes (backdated here).
    u.sign_in()
    fourth = spooled_code(sf, u.email, other_than={code, second, third})
    sf.secrets.append(fourth)
    with connect(sf.db) as db:
        db.execute('UPDATE second_factor SET code_created_at = code_created_at - 601000000 '
                   'WHERE user_id = ?', (u.id,))
    r = u.give(fourth)
    assert r.status_code == 401 and r.json()['error'] == 'bad_code'
    # Once delivered, the mail's body (the code) is wiped from the outbox.
    time.sleep(1.5)
    assert q(sf, 'SELECT count(*) FROM mail_outbox WHERE body LIKE ?', (f'%{fourth}%',)) == [(0,)]
    log = actions(sf, u.login)
    assert ('second_factor_enabled', 'email') in log
    assert ('second_factor_requested', 'email') in log
    assert ('second_factor_failed', 'email') in log
    assert ('sign_in', 'second factor: email') in log


def test_a_lock_meanwhile_ends_the_waiting_session(sf):
    u = new_user(sf)
    assert u.call('POST', '/bo/api/me/second-factor/email',
                  {'password': u.password}).status_code == 200
    assert u.sign_in().json()['next'] == 'second_factor'
    first = spooled_code(sf, u.email)
    sf.secrets.append(first)
    for _ in range(3):
        s, r = sign_in(sf, u.login, password='not-the-password-7')
    assert r.status_code == 423
    with connect(sf.db) as db:
        db.execute('UPDATE second_factor SET code_created_at = code_created_at - 31000000 '
                   'WHERE user_id = ?', (u.id,))
    r = u.call('POST', '/bo/api/session/second-factor/resend', {})
    assert r.status_code == 423 and r.json()['error'] == 'locked', r.text
    assert u.call('GET', '/bo/api/session').status_code == 401
    assert q(sf, 'SELECT count(*) FROM session WHERE user_id = ? AND second_factor_pending = 1',
             (u.id,)) == [(0,)]


# -- turning it off ------------------------------------------------------------------------


def test_the_user_turns_it_off(sf):
    u = with_totp(sf)
    steady(u.srv)
    for body, code in (({'password': u.password}, 'bad_code'),
                       ({'password': 'not-my-password-42', 'code': totp(u.secret, u.srv, offset=1)},
                        'bad_password'),
                       ({'password': u.password, 'code': wrong_code(u)}, 'bad_code')):
        r = u.call('POST', '/bo/api/me/second-factor/disable', body)
        assert r.status_code == 422 and r.json()['error'] == code, (body, r.text)
    # A wrong password and a wrong code are failed sign-ins; a code not given is no guess.
    assert q(sf, 'SELECT failed_attempts FROM user WHERE id = ?', (u.id,)) == [(2,)]
    r = u.call('POST', '/bo/api/me/second-factor/disable',
               {'password': u.password, 'code': totp(u.secret, u.srv, offset=1)})
    assert r.status_code == 200 and r.json() == {'method': None}, r.text
    assert u.call('GET', '/bo/api/me/second-factor').json() == {'method': None,
                                                                'pending_totp': False}
    assert q(sf, 'SELECT totp_sealed FROM second_factor WHERE user_id = ?', (u.id,)) == [(None,)]
    r = u.sign_in()
    assert r.json()['next'] is None and 'second_factor' not in r.json()
    r = u.call('POST', '/bo/api/me/second-factor/disable', {'password': u.password})
    assert r.status_code == 409 and r.json()['error'] == 'no_second_factor'
    # E-mail: the password alone.
    assert u.call('POST', '/bo/api/me/second-factor/email',
                  {'password': u.password}).status_code == 200
    r = u.call('POST', '/bo/api/me/second-factor/disable', {'password': u.password})
    assert r.status_code == 200 and r.json() == {'method': None}, r.text
    log = actions(sf, u.login)
    assert log.count(('second_factor_disabled', 'totp')) == 1
    assert log.count(('second_factor_disabled', 'email')) == 1
    assert ('second_factor_enabled', 'totp') in log


def test_an_administrator_turns_it_off(sf):
    u = with_totp(sf)
    # The user's sign-in waits for a code they no longer have (a lost phone).
    assert u.sign_in().json()['next'] == 'second_factor'
    listed = {x['login']: x for x in admin_call(sf, 'GET', '/bo/api/users').json()['items']}
    assert listed[u.login]['second_factor'] == 'totp'
    assert listed['demo.admin']['second_factor'] is None
    assert admin_call(sf, 'GET', f'/bo/api/users/{u.id}').json()['second_factor'] == 'totp'
    # Not an administrator: 403.
    other = new_user(sf, 'action')
    r = other.call('POST', f'/bo/api/users/{u.id}/second-factor/disable', {})
    assert r.status_code == 403 and r.json()['error'] == 'forbidden'
    # An administrator of a group: a brand-level user is out of scope (404).
    group = q(sf, "SELECT id FROM node WHERE brand_id = 1 AND level = 'group' LIMIT 1")[0][0]
    sub = new_user(sf, 'admin', node_id=group)
    r = sub.call('POST', f'/bo/api/users/{u.id}/second-factor/disable', {})
    assert r.status_code == 404, r.text
    # Another brand's users: 404, nothing changed.
    for (oid,) in q(sf, 'SELECT id FROM user WHERE brand_id = 2'):
        r = admin_call(sf, 'POST', f'/bo/api/users/{oid}/second-factor/disable', {})
        assert r.status_code == 404, (oid, r.text)
    assert u.call('GET', '/bo/api/session').json()['next'] == 'second_factor'
    r = admin_call(sf, 'POST', f'/bo/api/users/{u.id}/second-factor/disable', {})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view['id'] == u.id and view['login'] == u.login and view['second_factor'] is None
    assert {'profile', 'locked', 'node_name', 'sign_ins_total'} <= set(view)
    # The waiting sign-in goes on without it.
    assert u.call('GET', '/bo/api/session').json()['next'] is None
    assert u.call('GET', '/bo/api/me').status_code == 200
    assert admin_call(sf, 'GET', f'/bo/api/users/{u.id}').json()['second_factor'] is None
    rows = q(sf, "SELECT user_login, target_login, details FROM action_log WHERE action = "
                 "'second_factor_disabled' AND target_user_id = ?", (u.id,))
    assert rows == [('demo.admin', u.login, 'totp')]
    # Nothing to turn off: the same view, nothing more logged.
    r = admin_call(sf, 'POST', f'/bo/api/users/{u.id}/second-factor/disable')
    assert r.status_code == 200 and r.json()['second_factor'] is None
    assert len(q(sf, "SELECT 1 FROM action_log WHERE action = 'second_factor_disabled' AND "
                     'target_user_id = ?', (u.id,))) == 1
    # And the user enrols again from a new QR code.
    assert u.call('POST', '/bo/api/me/second-factor/totp', {}).status_code == 200


# -- restart, demo users ---------------------------------------------------------------------


def test_a_restart_keeps_the_pending_step(sf):
    u = with_totp(sf)
    assert u.sign_in().json()['next'] == 'second_factor'
    assert sf.stop() == 0
    sf.start()
    who = u.call('GET', '/bo/api/session')
    assert who.status_code == 200 and who.json()['next'] == 'second_factor', who.text
    r = u.call('GET', '/bo/api/me')
    assert r.status_code == 403 and r.json()['error'] == 'second_factor'
    steady(u.srv)
    r = u.give(totp(u.secret, u.srv, offset=1))
    assert r.status_code == 200 and r.json()['next'] is None, r.text
    # The completed step survives the next restart too.
    assert sf.stop() == 0
    sf.start()
    assert u.call('GET', '/bo/api/session').json()['next'] is None
    assert admin_call(sf, 'GET', '/bo/api/session').json()['next'] is None


def test_demo_users_have_no_second_factor(sf):
    for user in sf.demo['users']:
        assert q(sf, 'SELECT second_factor FROM user WHERE login = ?',
                 (user['login'],)) == [('',)]
    s, r = sign_in(sf, 'demo.entry')
    assert r.status_code == 200 and r.json()['next'] == 'change_password'
    assert 'second_factor' not in r.json()


def test_routes_without_parameters_refuse_a_body(sf):
    """The routes that take no parameter accept an empty body or {}, and answer 400 to a
    member or to malformed JSON before doing anything (body_none, src/http/server.c)."""
    u = with_totp(sf)
    target = new_user(sf)

    def post(who, path, raw):
        if who is None:
            s, csrf = sf.admin
        else:
            s, csrf = who.s, who.csrf
        return s.post(sf.base + path, data=raw, timeout=30,
                      headers={'X-CSRF-Token': csrf, 'Content-Type': 'application/json'})

    routes = [(target, '/bo/api/me/second-factor/totp'),
              (None, f'/bo/api/users/{target.id}/second-factor/disable')]
    for who, path in routes:
        r = post(who, path, '{"x": 1}')
        assert r.status_code == 400 and r.json()['error'] == 'invalid_field', (path, r.text)
        assert r.json()['field'] == 'x'
        r = post(who, path, '{')
        assert r.status_code == 400 and r.json()['error'] == 'bad_json', (path, r.text)
    assert target.call('GET', '/bo/api/me/second-factor').json()['method'] is None
    for who, path in routes:
        r = post(who, path, '')
        assert r.status_code == 200, (path, r.text)
        if 'secret' in r.json():
            sf.secrets.append(r.json()['secret'])
    # The sign-in step's resend: the body is checked first, then that a code is awaited.
    assert u.sign_in().status_code == 200
    r = post(u, '/bo/api/session/second-factor/resend', '{"x": 1}')
    assert r.status_code == 400 and r.json()['field'] == 'x', r.text
    r = post(u, '/bo/api/session/second-factor/resend', '{}')
    assert r.status_code == 409 and r.json()['error'] == 'not_email', r.text
