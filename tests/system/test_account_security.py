"""Account security through HTTP (SPEC §3; README "Sign-in", "Users"): the checks of a signed-in
user's current password count like failed sign-ins; a takeover waits for the second factor;
a double submit of the right code counts nothing; an e-mail change is told to the old address
and no new password follows it within a day when someone else made it.

Each test names the finding of the security review it pins."""
import glob
import os
import threading

import pytest
import requests

from conftest import Server, q, totp, wait_for
from test_second_factor import (User, admin_call, enrol, forget_steps, new_user, steady,
                                with_totp, wrong_code)
from test_signin import ready_user
from test_users import spooled_password


@pytest.fixture(scope='module')
def sec(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('account_security')), transactions=0)
    srv.start()
    srv.admin = ready_user(srv, 'demo.admin')
    srv.secrets = []
    yield srv
    assert srv.stop() == 0


def failures(srv, u):
    return q(srv, 'SELECT failed_attempts, locked FROM user WHERE id = ?', (u.id,))[0]


def actions(srv, u, since=0):
    return [a for a, in q(srv, 'SELECT action FROM action_log WHERE user_id = ? AND id > ? '
                               'ORDER BY id', (u.id, since))]


def last_action_id(srv):
    return q(srv, 'SELECT coalesce(max(id), 0) FROM action_log')[0][0]


# -- finding 5: a current password is no free guess ------------------------------------------


def test_wrong_current_passwords_lock_at_the_third(sec):
    u = new_user(sec)
    mark = last_action_id(sec)
    for n in (1, 2):
        r = u.call('POST', '/bo/api/password', {'old': 'Not-The-Password-1', 'new': 'x'})
        assert r.status_code == 422 and r.json()['error'] == 'wrong_password', r.text
        assert failures(sec, u) == (n, 0)
    r = u.call('POST', '/bo/api/password', {'old': 'Not-The-Password-1', 'new': 'x'})
    assert r.status_code == 423 and r.json()['error'] == 'locked', r.text
    assert 'Max-Age=0' in r.headers['Set-Cookie']
    assert failures(sec, u) == (3, 1)
    assert u.call('GET', '/bo/api/session').status_code == 401      # the session ended
    assert actions(sec, u, mark) == ['password_change_refused'] * 3 + ['account_locked']
    assert q(sec, 'SELECT count(*) FROM session WHERE user_id = ?', (u.id,))[0][0] == 0
    assert u.sign_in().status_code == 423                           # the right one too


def test_a_right_current_password_ends_the_failures_in_a_row(sec):
    u = new_user(sec)
    for _ in range(2):
        r = u.call('POST', '/bo/api/password', {'old': 'Not-The-Password-1', 'new': 'x'})
        assert r.status_code == 422
    r = u.call('POST', '/bo/api/password', {'old': u.password, 'new': 'Goeland-Tramway-2027'})
    assert r.status_code == 200, r.text
    assert failures(sec, u) == (0, 0)


def test_wrong_passwords_turning_a_second_factor_on_count_with_sign_ins(sec):
    u = new_user(sec)
    # A failed sign-in first (from another device: the session stays).
    r = requests.post(sec.base + '/bo/api/session', json={'login': u.login, 'password': 'no'},
                      timeout=30)
    assert r.status_code == 401 and failures(sec, u) == (1, 0)
    r = u.call('POST', '/bo/api/me/second-factor/email', {'password': 'Wrong-Again-2'})
    assert r.status_code == 422 and r.json()['error'] == 'bad_password'
    assert failures(sec, u) == (2, 0)
    enrol(u)
    steady(sec)
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm',
               {'code': totp(u.secret, sec), 'password': 'Wrong-Again-3'})
    assert r.status_code == 423 and r.json()['error'] == 'locked', r.text
    assert failures(sec, u) == (2 + 1, 1)
    assert u.call('GET', '/bo/api/me').status_code == 401
    assert 'second_factor_change_refused' in actions(sec, u)


def test_wrong_codes_turning_totp_off_count(sec):
    u = with_totp(sec)
    steady(sec)
    r = u.sign_in()
    assert r.json()['next'] == 'second_factor'
    forget_steps(u)
    assert u.give(totp(u.secret, sec)).status_code == 200
    for n in (1, 2):
        r = u.call('POST', '/bo/api/me/second-factor/disable',
                   {'password': u.password, 'code': wrong_code(u)})
        assert r.status_code == 422 and r.json()['error'] == 'bad_code', r.text
        assert failures(sec, u) == (n, 0)
    r = u.call('POST', '/bo/api/me/second-factor/disable',
               {'password': u.password, 'code': wrong_code(u)})
    assert r.status_code == 423
    assert failures(sec, u) == (3, 1)
    assert q(sec, 'SELECT second_factor FROM user WHERE id = ?', (u.id,))[0][0] == 'totp'


# -- the known gap: a takeover ends the live session only once the code is given ------------


def test_a_takeover_waits_for_the_second_factor(sec):
    u = with_totp(sec)
    steady(sec)
    assert u.sign_in().json()['next'] == 'second_factor'
    forget_steps(u)
    assert u.give(totp(u.secret, sec)).status_code == 200
    assert u.call('GET', '/bo/api/me').status_code == 200           # the live session
    other = User(sec, u.login, u.email, u.password, u.id)
    # Without takeover: refused, as ever.
    r = requests.post(sec.base + '/bo/api/session', timeout=30,
                      json={'login': u.login, 'password': u.password})
    assert r.status_code == 409 and r.json()['error'] == 'session_elsewhere'
    # With it and the password alone: the sign-in waits; the live session lives on.
    r = other.sign_in()
    assert r.status_code == 200 and r.json()['next'] == 'second_factor', r.text
    assert u.call('GET', '/bo/api/me').status_code == 200
    assert other.give(wrong_code(u)).status_code == 401
    assert u.call('GET', '/bo/api/me').status_code == 200
    assert q(sec, 'SELECT count(*) FROM session WHERE user_id = ?', (u.id,))[0][0] == 2
    # A restart keeps both apart.
    assert sec.stop() == 0
    sec.start()
    assert u.call('GET', '/bo/api/me').status_code == 200
    assert other.call('GET', '/bo/api/session').json()['next'] == 'second_factor'
    # The waiting sign-in's sign-out ends it alone.
    assert other.call('DELETE', '/bo/api/session').status_code == 200
    assert u.call('GET', '/bo/api/me').status_code == 200
    # Once the code is given, the live session ends: one session per login.
    assert other.sign_in().json()['next'] == 'second_factor'
    steady(sec)
    forget_steps(u)
    r = other.give(totp(u.secret, sec))
    assert r.status_code == 200 and r.json()['next'] is None, r.text
    assert u.call('GET', '/bo/api/me').status_code == 401
    assert other.call('GET', '/bo/api/me').status_code == 200
    assert q(sec, 'SELECT count(*) FROM session WHERE user_id = ?', (u.id,))[0][0] == 1


def test_wrong_codes_of_a_waiting_sign_in_do_not_end_the_live_session(sec):
    u = with_totp(sec)
    steady(sec)
    u.sign_in()
    forget_steps(u)
    assert u.give(totp(u.secret, sec)).status_code == 200
    other = User(sec, u.login, u.email, u.password, u.id)
    other.sign_in()
    for _ in range(2):
        assert other.give(wrong_code(u)).status_code == 401
    r = other.give(wrong_code(u))
    assert r.status_code == 423                                     # locked: no more sign-ins
    assert other.call('GET', '/bo/api/session').status_code == 401
    assert u.call('GET', '/bo/api/me').status_code == 200           # the live one stays
    assert failures(sec, u) == (3, 1)


# -- finding 8: the right code sent twice at once -------------------------------------------


def test_a_double_submit_of_the_right_code_counts_no_failure(sec):
    u = with_totp(sec)
    steady(sec)
    assert u.sign_in().json()['next'] == 'second_factor'
    forget_steps(u)
    mark = last_action_id(sec)
    code = totp(u.secret, sec)
    csrf = u.csrf
    copies = 6
    start = threading.Barrier(copies)
    answers = [None] * copies

    def send(i):
        # A connection of its own, open before the start: the copies arrive together.
        s = requests.Session()
        s.cookies.update(u.s.cookies)
        assert s.get(sec.base + '/bo/api/session', timeout=30).status_code == 200
        start.wait()
        answers[i] = s.post(sec.base + '/bo/api/session/second-factor', json={'code': code},
                            headers={'X-CSRF-Token': csrf}, timeout=30)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1, [a.text for a in answers]
    # The others: the sign-in no longer waits (409), or its token is gone already (401).
    for a in answers:
        if a.status_code != 200:
            assert (a.status_code, a.json()['error']) in ((409, 'no_second_factor'),
                                                         (401, 'not_signed_in')), a.text
    assert failures(sec, u) == (0, 0)
    done = actions(sec, u, mark)
    assert done.count('sign_in') == 1 and 'second_factor_failed' not in done, done
    assert q(sec, 'SELECT count(*) FROM session WHERE user_id = ?', (u.id,))[0][0] == 1


# -- finding 7: an e-mail change is told, and no password follows it for a day --------------


def mails_to(srv, address):
    out = []
    for path in sorted(glob.glob(os.path.join(srv.tmp, 'spool', '*.eml'))):
        text = open(path, encoding='utf-8').read()
        if f'To: <{address}>' in text:
            out.append(text)
    return out


CHANGED = 'The e-mail address of your Guichet account'


def told(srv, address):
    """The mails telling address of an e-mail change, once the mailer delivered them."""
    wait_for(lambda: any(CHANGED in m for m in mails_to(srv, address)), timeout=10)
    return [m for m in mails_to(srv, address) if CHANGED in m]


def queued_to(srv, address):
    return q(srv, 'SELECT count(*) FROM mail_outbox WHERE recipient = ?', (address,))[0][0]


def new_admin(srv):
    u = new_user(srv, profile='admin')
    return u


def test_an_email_change_by_someone_else_is_told_and_blocks_a_new_password(sec):
    victim = new_admin(sec)
    mallory = new_admin(sec)
    old = victim.email
    r = mallory.call('PATCH', f'/bo/api/users/{victim.id}', {'email': 'mallory@evil.example'})
    assert r.status_code == 200, r.text
    notice = told(sec, old)
    assert len(notice) == 1
    assert 'mallory@evil.example' in notice[0] and mallory.login in notice[0]
    # The reset that would mail a password to the new address: refused, by anyone.
    for who in (mallory, ):
        r = who.call('POST', f'/bo/api/users/{victim.id}/password', {})
        assert r.status_code == 422 and r.json()['error'] == 'email_recently_changed', r.text
        assert '(UTC)' in r.json()['message']
    r = admin_call(sec, 'POST', f'/bo/api/users/{victim.id}/password', {})
    assert r.status_code == 422 and r.json()['error'] == 'email_recently_changed'
    assert queued_to(sec, 'mallory@evil.example') == 0
    assert q(sec, 'SELECT must_change FROM user WHERE id = ?', (victim.id,))[0][0] == 0
    assert victim.call('GET', '/bo/api/me').status_code == 200       # nothing ended
    # A day later, it is the account's address.
    q(sec, 'UPDATE user SET email_changed_at = ? WHERE id = ?',
      (sec.now_us(-24 * 3600 - 60), victim.id))
    r = mallory.call('POST', f'/bo/api/users/{victim.id}/password', {})
    assert r.status_code == 200, r.text


def test_an_email_changed_by_its_user_is_told_and_takes_a_new_password(sec):
    u = new_user(sec)
    old = u.email
    r = u.call('PATCH', '/bo/api/me', {'email': 'new.' + old})
    assert r.status_code == 200, r.text
    notice = told(sec, old)
    assert len(notice) == 1 and 'new.' + old in notice[0]
    r = admin_call(sec, 'POST', f'/bo/api/users/{u.id}/password', {})
    assert r.status_code == 200, r.text
    assert spooled_password(sec, 'new.' + old)
    # Another edit that leaves the address alone tells nobody.
    before = queued_to(sec, 'new.' + old), queued_to(sec, old)
    r = admin_call(sec, 'PATCH', f'/bo/api/users/{u.id}', {'name': 'Nouveau Nom'})
    assert r.status_code == 200
    assert (queued_to(sec, 'new.' + old), queued_to(sec, old)) == before
