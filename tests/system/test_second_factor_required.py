"""An account that requires a second factor of every user (PCI DSS v4.0 8.4.2; README "Second
factor"), through HTTP: the account's setting and its refusals, the sign-in step
"set_up_second_factor" and the few routes it lets through, live sessions reached at once,
a factor turned off (by the user or an administrator) bringing the step back, the setting
turned off, a restart, and the action log."""
import uuid

import pytest

from conftest import Server, q, totp
from test_second_factor import User, enrol, new_user, steady
from test_signin import ready_user

STEP = 'set_up_second_factor'
# What a session may call while it sets a factor up (and nothing else, whatever its profile).
SET_UP_ROUTES = ('GET /bo/api/me', 'GET /bo/api/me/second-factor',
                 'POST /bo/api/me/second-factor/totp')


@pytest.fixture
def req(tmp_path):
    srv = Server(str(tmp_path), transactions=0)
    srv.start()
    srv.admin = ready_user(srv, 'demo.admin')
    srv.secrets = []
    yield srv
    assert srv.stop() == 0
    assert [x for x in srv.secrets if x in srv.read_log()] == []


def totp_on(u):
    enrol(u)
    steady(u.srv)
    r = u.call('POST', '/bo/api/me/second-factor/totp/confirm',
               {'code': totp(u.secret, u.srv), 'password': u.password})
    assert r.status_code == 200 and r.json() == {'method': 'totp'}, r.text


def boss_of(srv):
    """An administrator of the brand's own node, with TOTP on (so that requiring a factor
    stops nothing they do)."""
    boss = new_user(srv, 'admin')
    totp_on(boss)
    assert boss.call('GET', '/bo/api/account').json()['editable'] is True
    return boss


def require(boss, on=True):
    r = boss.call('PATCH', '/bo/api/account', {'second_factor_required': on})
    assert r.status_code == 200 and r.json()['second_factor_required'] is on, r.text
    return r.json()


def held(u):
    """The user's session may do nothing but set a factor up."""
    r = u.call('GET', '/bo/api/transactions?from=2026-01-01&to=2026-01-31')
    assert r.status_code == 403 and r.json()['error'] == STEP, r.text
    assert u.call('GET', '/bo/api/session').json()['next'] == STEP
    for route in SET_UP_ROUTES:
        method, path = route.split(' ')
        if method == 'GET':
            assert u.call(method, path).status_code == 200, route
    for path in ('/bo/api/me/preferences', '/bo/api/notices', '/bo/api/tree'):
        r = u.call('GET', path)
        assert r.status_code == 403 and r.json()['error'] == STEP, (path, r.text)
    r = u.call('PATCH', '/bo/api/me', {'name': 'Pas maintenant'})
    assert r.status_code == 403 and r.json()['error'] == STEP


def free(u):
    assert u.call('GET', '/bo/api/session').json()['next'] is None
    assert u.call('GET', '/bo/api/transactions?from=2026-01-01&to=2026-01-31').status_code == 200


def test_setting_and_its_refusals(req):
    boss = boss_of(req)
    a = boss.call('GET', '/bo/api/account').json()
    assert a['second_factor_required'] is False  # off by default, as before
    for bad in ({'second_factor_required': 'yes'}, {'second_factor_required': 1},
                {'second_factor_required': None}, {'second_factor_required': [True]}):
        r = boss.call('PATCH', '/bo/api/account', bad)
        assert r.status_code == 400 and r.json()['field'] == 'second_factor_required', r.text
    for bad in ({}, {'retention_days': 44, 'second_factor_required': True}):
        r = boss.call('PATCH', '/bo/api/account', bad)
        assert r.status_code == 400 and r.json()['field'] == 'retention_days', r.text
    r = boss.call('PATCH', '/bo/api/account', {'second_factor_required': True, 'x': 1})
    assert r.status_code == 400
    assert boss.call('GET', '/bo/api/account').json()['second_factor_required'] is False
    # Both at once, and each alone keeps the other.
    r = boss.call('PATCH', '/bo/api/account', {'retention_days': 90,
                                                'second_factor_required': True})
    assert r.status_code == 200, r.text
    assert r.json()['retention_days'] == 90 and r.json()['second_factor_required'] is True
    assert boss.call('PATCH', '/bo/api/account', {'retention_days': 100}).json()[
        'second_factor_required'] is True
    assert require(boss, False)['retention_days'] == 100
    assert q(req, 'SELECT second_factor_required FROM brand WHERE id = 1') == [(0,)]
    # Each change in the action log, before → after; the same value again writes nothing.
    require(boss, False)
    lines = q(req, "SELECT details FROM action_log WHERE action = "
                   "'second_factor_policy_changed' AND user_login = ? ORDER BY id", (boss.login,))
    assert lines == [('second_factor_required: false → true',),
                     ('second_factor_required: true → false',)]
    # Other administrators read it, only the brand's own level sets it; other profiles: 403.
    shop_node = q(req, "SELECT id FROM node WHERE brand_id = 1 AND level = 'shop' LIMIT 1")[0][0]
    shop_admin = new_user(req, 'admin', node_id=shop_node)
    assert shop_admin.call('GET', '/bo/api/account').json()['second_factor_required'] is False
    r = shop_admin.call('PATCH', '/bo/api/account', {'second_factor_required': True})
    assert r.status_code == 403
    r = new_user(req).call('PATCH', '/bo/api/account', {'second_factor_required': True})
    assert r.status_code == 403
    assert boss.call('GET', '/bo/api/account').json()['second_factor_required'] is False


def test_live_sessions_and_new_sign_ins_set_one_up(req):
    boss = boss_of(req)
    clerk = new_user(req)  # signed in, no factor
    free(clerk)
    require(boss)
    # The live session is held at its next request; the administrator who has one is not.
    held(clerk)
    free(boss)
    # A new user: password, terms, then the factor.
    newbie_login = f'sf.{uuid.uuid4().hex[:8]}'
    r = boss.call('POST', '/bo/api/users', {'login': newbie_login, 'name': 'Nouveau',
                                            'email': f'{newbie_login}@example.com',
                                            'profile': 'consultation'})
    assert r.status_code == 201
    from test_users import spooled_password
    newbie = User(req, newbie_login, f'{newbie_login}@example.com',
                  spooled_password(req, f'{newbie_login}@example.com'), r.json()['id'])
    assert newbie.sign_in().json()['next'] == 'change_password'
    r = newbie.call('POST', '/bo/api/password', {'old': newbie.password,
                                                'new': 'Cormoran-Velo-2026-bis'})
    assert r.status_code == 200 and r.json()['next'] == 'accept_terms', r.text
    newbie.password = 'Cormoran-Velo-2026-bis'
    r = newbie.call('POST', '/bo/api/terms', {'accept': True})
    assert r.status_code == 200 and r.json()['next'] == STEP, r.text
    held(newbie)
    # TOTP set up: free at once, in the same session.
    totp_on(clerk)
    free(clerk)
    # The e-mailed code does as well.
    r = newbie.call('POST', '/bo/api/me/second-factor/email', {'password': newbie.password})
    assert r.status_code == 200, r.text
    free(newbie)
    # A sign-in of a user who has one: the code, then nothing more.
    r = clerk.sign_in()
    assert r.json()['next'] == 'second_factor'
    steady(req)
    r = clerk.give(totp(clerk.secret, req, offset=1))
    assert r.status_code == 200 and r.json()['next'] is None, r.text


def test_a_factor_turned_off_brings_the_step_back(req):
    boss = boss_of(req)
    u = new_user(req)
    totp_on(u)
    require(boss)
    free(u)
    # Turned off by the user: the next request is held.
    steady(req)
    r = u.call('POST', '/bo/api/me/second-factor/disable',
               {'password': u.password, 'code': totp(u.secret, req, offset=1)})
    assert r.status_code == 200, r.text
    held(u)
    r = u.call('POST', '/bo/api/me/second-factor/email', {'password': u.password})
    assert r.status_code == 200
    free(u)
    # Turned off by an administrator (a lost phone): the same.
    r = boss.call('POST', f'/bo/api/users/{u.id}/second-factor/disable', {})
    assert r.status_code == 200, r.text
    held(u)
    # The requirement lifted: free again without one.
    require(boss, False)
    free(u)


def test_a_restart_keeps_the_step(req):
    boss = boss_of(req)
    u = new_user(req)
    require(boss)
    held(u)
    req.stop()
    req.start()
    held(u)
    # Signing in again meets it too, after the password.
    r = u.sign_in()
    assert r.status_code == 200 and r.json()['next'] == STEP, r.text
    held(u)
    totp_on(u)
    free(u)
