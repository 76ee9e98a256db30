"""Accounts (issue 17; README "Users", "Sign-in"): a user deactivated and reactivated by an
administrator; every bad member of a user form answered at once; the failures left before
the lockout, told to whoever proved their password. On SQLite and PostgreSQL
(GUICHET_TEST_DB=pg), and across two servers of one PostgreSQL database."""
import os
import uuid

import pytest
import requests

from conftest import PG, Server, q
from test_second_factor import User, enrol, steady, totp, wrong_code
from test_signin import NEW_PASSWORD, ready_user, sign_in
from test_users import spooled_password

OTHER = 'OTHERBRAND'


@pytest.fixture(scope='module')
def acc(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('accounts')), transactions=0)
    srv.other = srv.add_brand(OTHER)
    srv.start()
    srv.admin = ready_user(srv, 'demo.admin')
    srv.consultation = ready_user(srv, 'demo.consultation')
    srv.secrets = []  # the TOTP secrets given out (test_second_factor.enrol)
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    assert NEW_PASSWORD not in log
    assert [x for x in srv.secrets if x in log] == []


def call(srv, method, path, body=None, who=None, csrf=True):
    s, token = who or srv.admin
    return s.request(method, srv.base + path, json=body, timeout=30,
                     headers={'X-CSRF-Token': token} if csrf else {})


def new_user(srv, profile='action'):
    """A user made by the administrator, first sign-in steps done: a User (test_second_factor)."""
    login = f'acc.{uuid.uuid4().hex[:8]}'
    email = f'{login}@example.com'
    r = call(srv, 'POST', '/bo/api/users',
             {'login': login, 'name': 'Alix Compte', 'email': email, 'profile': profile})
    assert r.status_code == 201, r.text
    u = User(srv, login, email, spooled_password(srv, email), r.json()['id'])
    assert u.sign_in().json()['next'] == 'change_password'
    assert u.call('POST', '/bo/api/password',
                  {'old': u.password, 'new': NEW_PASSWORD}).status_code == 200
    u.password = NEW_PASSWORD
    assert u.call('POST', '/bo/api/terms', {'accept': True}).json()['next'] is None
    return u


def actions(srv, what, uid):
    r = call(srv, 'GET', f'/bo/api/actions?from=2020-01-01&to=2099-12-31&action={what}')
    assert r.status_code == 200, r.text
    return [a for a in r.json()['items'] if a['target_user_id'] == uid]


def listed(srv, query=''):
    r = call(srv, 'GET', '/bo/api/users' + query)
    assert r.status_code == 200, r.text
    return {u['login']: u for u in r.json()['items']}


# --- deactivate, reactivate ---------------------------------------------------------------


def test_a_deactivated_user_is_kept_signed_out_and_refused(acc):
    u = new_user(acc)
    assert u.call('GET', '/bo/api/session').status_code == 200
    r = call(acc, 'POST', f'/bo/api/users/{u.id}/deactivate')
    assert r.status_code == 200, r.text
    assert r.json()['active'] is False and r.json()['deactivated_at']
    assert r.json() == call(acc, 'GET', f'/bo/api/users/{u.id}').json()
    # Their session ended at once.
    assert u.call('GET', '/bo/api/session').status_code == 401
    # The right password: told the account is deactivated, and nothing opens.
    r = u.sign_in()
    assert r.status_code == 403 and r.json()['error'] == 'account_disabled', r.text
    assert 'set-cookie' not in {k.lower() for k in r.headers}
    # A wrong one: the very answer of an unknown login (nothing told to an attacker).
    wrong = u.sign_in('Pas-Le-Bon-2026')
    unknown = sign_in(acc, 'nobody.here', password='Pas-Le-Bon-2026')[1]
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    # Kept: listed as inactive, their name still in the action log.
    assert listed(acc)[u.login]['active'] is False
    assert u.login in listed(acc, '?active=false')
    assert u.login not in listed(acc, '?active=true')
    assert 'demo.admin' in listed(acc, '?active=true')
    signed = call(acc, 'GET', '/bo/api/actions?from=2020-01-01&to=2099-12-31&action=sign_in')
    assert any(a['user_login'] == u.login and a['user_name'] == 'Alix Compte'
               for a in signed.json()['items'])
    [line] = actions(acc, 'user_deactivated', u.id)
    assert line['user_login'] == 'demo.admin' and line['details'] == 'active: true → false'
    refused = call(acc, 'GET', '/bo/api/actions?from=2020-01-01&to=2099-12-31'
                               '&action=sign_in_refused').json()['items']
    assert any(a['user_login'] == u.login and a['details'] == 'account deactivated'
               for a in refused)
    # Twice: the same answer, nothing more logged.
    again = call(acc, 'POST', f'/bo/api/users/{u.id}/deactivate')
    assert again.status_code == 200 and again.json()['active'] is False
    assert len(actions(acc, 'user_deactivated', u.id)) == 1
    # Reactivated: signs in again.
    r = call(acc, 'POST', f'/bo/api/users/{u.id}/reactivate')
    assert r.status_code == 200 and r.json()['active'] is True, r.text
    assert r.json()['deactivated_at'] is None
    # The wrong password tried while it was off counted, and is forgotten.
    [line] = actions(acc, 'user_reactivated', u.id)
    assert line['details'] == 'active: false → true; failed_attempts: 1 → 0'
    r = u.sign_in()
    assert r.status_code == 200 and r.json()['next'] is None, r.text
    assert listed(acc)[u.login]['active'] is True


def test_a_reactivated_user_signs_in_even_if_locked_before(acc):
    """A reactivated user can sign in: a lock (three wrong passwords before or while the
    account was off) is lifted and the failures forgotten, as a new password does; the lock
    lifted is logged as an unlock after the reactivation, failures short of one in the
    reactivation's details."""
    u = new_user(acc)
    for _ in range(3):
        u.sign_in('Pas-Le-Bon-2026')
    assert u.sign_in().status_code == 423
    assert call(acc, 'POST', f'/bo/api/users/{u.id}/deactivate').status_code == 200
    r = call(acc, 'POST', f'/bo/api/users/{u.id}/reactivate')
    assert r.status_code == 200 and r.json()['active'] is True, r.text
    assert r.json()['locked'] is False
    assert q(acc, 'SELECT failed_attempts, locked FROM user WHERE id = ?', (u.id,))[0] == (0, 0)
    [line] = actions(acc, 'user_reactivated', u.id)
    assert line['details'] == 'active: false → true'
    [unlock] = actions(acc, 'user_unlocked', u.id)
    assert unlock['details'] == 'locked: true → false; failed_attempts: 3 → 0'
    assert unlock['id'] > line['id'] and unlock['user_login'] == 'demo.admin'
    r = u.sign_in()
    assert r.status_code == 200 and r.json()['next'] is None, r.text
    # Two failures short of a lock: forgotten too, said in the reactivation's line.
    for _ in range(2):
        assert u.sign_in('Pas-Le-Bon-2026').status_code == 401
    assert call(acc, 'POST', f'/bo/api/users/{u.id}/deactivate').status_code == 200
    assert call(acc, 'POST', f'/bo/api/users/{u.id}/reactivate').status_code == 200
    assert q(acc, 'SELECT failed_attempts, locked FROM user WHERE id = ?', (u.id,))[0] == (0, 0)
    assert [a['details'] for a in actions(acc, 'user_reactivated', u.id)][0] == \
        'active: false → true; failed_attempts: 2 → 0'
    assert len(actions(acc, 'user_unlocked', u.id)) == 1


def test_deactivation_refusals(acc):
    u = new_user(acc, 'consultation')
    me = q(acc, "SELECT id FROM user WHERE login = 'demo.admin'")[0][0]
    # Not oneself.
    r = call(acc, 'POST', f'/bo/api/users/{me}/deactivate')
    assert r.status_code == 409 and r.json()['error'] == 'own_account', r.text
    # Not by a consultation user; not without the CSRF token; not another brand's user.
    for path in (f'/bo/api/users/{u.id}/deactivate', f'/bo/api/users/{u.id}/reactivate'):
        r = call(acc, 'POST', path, who=acc.consultation)
        assert r.status_code == 403, r.text
        r = call(acc, 'POST', path, csrf=False)
        assert r.status_code == 403 and r.json()['error'] == 'csrf', r.text
    other = q(acc, "SELECT u.id FROM user u JOIN brand b ON b.id = u.brand_id "
                   "WHERE b.pspid = ?", (OTHER,))
    for (oid,) in other:
        for verb in ('deactivate', 'reactivate'):
            r = call(acc, 'POST', f'/bo/api/users/{oid}/{verb}')
            assert r.status_code == 404, r.text
    assert call(acc, 'POST', '/bo/api/users/999999/deactivate').status_code == 404
    # The list's filter takes true or false only, and no unknown parameter.
    for query in ('?active=maybe', '?active=', '?active=true&active=false'):
        r = call(acc, 'GET', '/bo/api/users' + query)
        assert r.status_code == 400 and r.json()['field'] == 'active', (query, r.text)
    r = call(acc, 'GET', '/bo/api/users?status=inactive')
    assert r.status_code == 400 and r.json()['field'] == 'status'
    r = call(acc, 'GET', '/bo/api/users?node=x')
    assert r.status_code == 400 and r.json()['field'] == 'node'
    # Nothing changed by the refusals.
    assert q(acc, 'SELECT count(*) FROM user WHERE deactivated_at IS NOT NULL')[0][0] == 0


def test_the_last_active_administrator_stays(acc):
    """The caller is an active administrator and cannot deactivate themselves, so another
    administrator is never the last one through one server; the store has the last word when
    the caller was deactivated meanwhile (by another server of the database)."""
    other = new_user(acc, 'admin')
    me = q(acc, "SELECT id FROM user WHERE login = 'demo.admin'")[0][0]
    admins = q(acc, "SELECT id FROM user WHERE profile = 'admin' AND brand_id = "
                    "(SELECT brand_id FROM user WHERE id = ?) AND id NOT IN (?, ?)",
               (me, me, other.id))
    if PG:
        pytest.skip('one server: the caller being deactivated meanwhile takes a second one '
                    '(test_a_deactivation_ends_the_session_on_every_server)')
    q(acc, 'UPDATE user SET deactivated_at = 1 WHERE id IN (%s)'
        % ','.join(str(i) for i in [me] + [a for a, in admins]))
    try:
        r = call(acc, 'POST', f'/bo/api/users/{other.id}/deactivate')
        assert r.status_code == 409 and r.json()['error'] == 'last_admin', r.text
        assert q(acc, 'SELECT deactivated_at FROM user WHERE id = ?', (other.id,))[0][0] is None
    finally:
        q(acc, 'UPDATE user SET deactivated_at = NULL')
    r = call(acc, 'POST', f'/bo/api/users/{other.id}/deactivate')
    assert r.status_code == 200 and r.json()['active'] is False, r.text
    assert call(acc, 'POST', f'/bo/api/users/{other.id}/reactivate').status_code == 200


@pytest.mark.skipif(not PG, reason='several servers share a PostgreSQL database')
def test_a_deactivation_ends_the_session_on_every_server(tmp_path):
    os.makedirs(tmp_path / 'a')
    a = Server(str(tmp_path / 'a'), transactions=0).start()
    b = a.twin(str(tmp_path / 'b')).start()
    try:
        admin = ready_user(a, 'demo.admin')
        s, _ = ready_user(a, 'demo.action')
        assert s.get(b.base + '/bo/api/session').status_code == 200
        uid = q(a, "SELECT id FROM user WHERE login = 'demo.action'")[0][0]
        r = admin[0].post(a.base + f'/bo/api/users/{uid}/deactivate',
                          headers={'X-CSRF-Token': admin[1]})
        assert r.status_code == 200, r.text
        # b, which had the session too, refuses it at once; nor does b sign them in.
        assert s.get(b.base + '/bo/api/session').status_code == 401
        assert s.get(a.base + '/bo/api/session').status_code == 401
        r = requests.post(b.base + '/bo/api/session',
                          json={'login': 'demo.action', 'password': NEW_PASSWORD})
        assert r.status_code == 403 and r.json()['error'] == 'account_disabled', r.text
        # Reactivated on b: signs in on a.
        r = admin[0].post(b.base + f'/bo/api/users/{uid}/reactivate',
                          headers={'X-CSRF-Token': admin[1]})
        assert r.status_code == 200 and r.json()['active'] is True, r.text
        r = requests.post(a.base + '/bo/api/session',
                          json={'login': 'demo.action', 'password': NEW_PASSWORD})
        assert r.status_code == 200, r.text
    finally:
        assert a.stop() == 0
        assert b.stop() == 0


# --- every bad member at once --------------------------------------------------------------


def test_a_user_form_gets_every_error_at_once(acc):
    r = call(acc, 'POST', '/bo/api/users', {'email': 'not-mail', 'mobile': 'call me'})
    assert r.status_code == 400, r.text
    body = r.json()
    # Today's members, of the first error; and the list of them all.
    assert body['error'] == 'invalid_field' and body['field'] == 'login' and body['message']
    got = {(e['field'], e['error']) for e in body['errors']}
    assert got == {('login', 'required'), ('name', 'required'), ('email', 'invalid_field'),
                   ('mobile', 'invalid_field'), ('profile', 'required')}
    assert all(e['message'] for e in body['errors'])
    # One bad member: one error, as before.
    r = call(acc, 'POST', '/bo/api/users', {'login': 'Bad Login', 'name': 'x',
                                            'email': 'x@example.com', 'profile': 'action'})
    assert r.status_code == 400 and r.json()['field'] == 'login'
    assert [e['field'] for e in r.json()['errors']] == ['login']
    assert not q(acc, "SELECT count(*) FROM user WHERE email = 'not-mail'")[0][0]
    # The edit of a user, and one's own personal information.
    uid = q(acc, "SELECT id FROM user WHERE login = 'demo.entry'")[0][0]
    r = call(acc, 'PATCH', f'/bo/api/users/{uid}',
             {'name': '', 'email': 'x@', 'profile': 'boss', 'time_zone': 'Mars/Olympus'})
    assert r.status_code == 400 and r.json()['field'] == 'name', r.text
    assert [e['field'] for e in r.json()['errors']] == ['name', 'email', 'profile', 'time_zone']
    assert q(acc, 'SELECT name FROM user WHERE id = ?', (uid,))[0][0] != ''
    r = call(acc, 'PATCH', '/bo/api/me', {'email': 'nope', 'language': 'de'},
             who=acc.consultation)
    assert r.status_code == 400 and r.json()['field'] == 'email', r.text
    assert [e['field'] for e in r.json()['errors']] == ['email', 'language']


# --- failures left before the lockout ------------------------------------------------------


def test_the_password_step_tells_nothing_but_the_third_failure_locks(acc):
    """A wrong password answers as an unknown login does, whatever the count (no login to
    find by it); the third in a row locks (SPEC §3)."""
    u = new_user(acc)
    unknown = sign_in(acc, 'nobody.here', password='Pas-Le-Bon-2026')[1]
    for _ in range(2):
        r = u.sign_in('Pas-Le-Bon-2026')
        assert r.status_code == 401 and r.json() == unknown.json(), r.text
    assert q(acc, 'SELECT failed_attempts, locked FROM user WHERE id = ?', (u.id,))[0] == (2, 0)
    r = u.sign_in('Pas-Le-Bon-2026')
    assert r.status_code == 423 and r.json()['error'] == 'locked', r.text
    assert u.sign_in().status_code == 423
    assert call(acc, 'POST', f'/bo/api/users/{u.id}/unlock').status_code == 200


def test_the_second_factor_step_tells_the_attempts_left(acc):
    """With the password right, the code step says how many failures are left."""
    u = new_user(acc, 'consultation')
    enrol(u)
    steady(acc)
    assert u.call('POST', '/bo/api/me/second-factor/totp/confirm',
                  {'code': totp(u.secret, acc), 'password': u.password}).status_code == 200
    assert u.sign_in().json()['next'] == 'second_factor'
    r = u.give(wrong_code(u))
    assert r.status_code == 401 and r.json()['error'] == 'bad_code', r.text
    assert r.json()['attempts_left'] == 2
    r = u.give(wrong_code(u))
    assert r.status_code == 401 and r.json()['attempts_left'] == 1, r.text
    r = u.give(wrong_code(u))
    assert r.status_code == 423 and r.json()['error'] == 'locked', r.text
    assert call(acc, 'POST', f'/bo/api/users/{u.id}/unlock').status_code == 200


def test_a_wrong_current_password_tells_the_attempts_left(acc):
    u = new_user(acc)
    for left in (2, 1):
        r = u.call('POST', '/bo/api/password', {'old': 'Pas-Le-Bon-2026', 'new': 'Autre-Chemin-2031'})
        assert r.status_code == 422 and r.json()['error'] == 'wrong_password', r.text
        assert r.json()['attempts_left'] == left
    r = u.call('POST', '/bo/api/password', {'old': 'Pas-Le-Bon-2026', 'new': 'Autre-Chemin-2031'})
    assert r.status_code == 423 and r.json()['error'] == 'locked', r.text
    # Turning a second factor on with a wrong password counts the same.
    v = new_user(acc)
    r = v.call('POST', '/bo/api/me/second-factor/email', {'password': 'Pas-Le-Bon-2026'})
    assert r.status_code == 422 and r.json()['error'] == 'bad_password', r.text
    assert r.json()['attempts_left'] == 2
