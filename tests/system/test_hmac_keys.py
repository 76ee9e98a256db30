"""HMAC keys in the back office (SPEC §11 "HMAC key", §12; Vision manual §9.1.3): the
passphrase's strength, generation (deterministic, shown once, sealed, mailed as a link and not
as a key), activation by the link (the merchant API switches keys at once), "used" after the
first signed request, the notices of Home, the expiry mail sent once; and every refusal."""
import ctypes
import ctypes.util
import email
import email.policy
import glob
import os
import re
import subprocess
import time
from datetime import datetime

import pytest
import requests

from conftest import GUICHETD, Server, connect, q
from test_signin import ready_user

STRONG = 'Vx7!kP2#mQ9@wZ4'           # 15 characters, 100 %
STRONG_2 = 'Correct horse battery staple 42'
WEAK_14 = 'Vx7!kP2#mQ9@wZ'           # 98 % but 14 characters
WEAK_SCORE = 'qwertyuiopasdfghjk'      # 18 characters, lower case only
OTHER = 'HMACOTHER'
DAY_US = 86400 * 1000000


class U:
    def __init__(self, srv, login):
        self.srv, self.login = srv, login
        self.s, self.csrf = ready_user(srv, login)
        self.email = q(srv, 'SELECT email FROM user WHERE login = ?', (login,))[0][0]

    def call(self, method, path, body=None, raw=None):
        h = {'X-CSRF-Token': self.csrf}
        if raw is not None:
            h['Content-Type'] = 'application/json'
            return self.s.request(method, self.srv.base + path, data=raw, headers=h, timeout=60)
        return self.s.request(method, self.srv.base + path, json=body, headers=h, timeout=60)


@pytest.fixture(scope='module')
def hk(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('hmac')), transactions=50)
    srv.other = srv.add_brand(OTHER, transactions=10, seed=3)
    srv.start()
    srv.users = {p: U(srv, f'demo.{p}') for p in ('hmac', 'admin', 'consultation')}
    srv.shop_ids = [r[0] for r in q(srv, 'SELECT id FROM shop WHERE brand_id = 1 ORDER BY id')]
    srv.keys_made = []  # every key the tests generated: none may reach a log or a mail
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    for key in srv.keys_made + [STRONG, STRONG_2]:
        assert key not in log, 'a key or a passphrase reached the log'
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log


def shop(srv, i):
    """The demo shop i as the merchant API helpers take it."""
    return srv.demo['shops'][i]


def mails(srv):
    """The spooled mails' text, the Subject decoded (RFC 2047 words when not ASCII)."""
    out = []
    for path in sorted(glob.glob(os.path.join(srv.tmp, 'spool', '*.eml'))):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        subject = str(email.message_from_string(text, policy=email.policy.default)['Subject'])
        out.append(re.sub(r'^Subject: .*(\r\n .*)*', lambda _: 'Subject: ' + subject, text,
                          count=1, flags=re.M))
    return out


def wait_mail(srv, pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [m for m in mails(srv) if pred(m)]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError('no such mail')


def create(srv, shop_id, passphrase=STRONG, env='production', user='hmac'):
    r = srv.users[user].call('POST', '/bo/api/hmac-keys',
                             {'shop_id': shop_id, 'env': env, 'passphrase': passphrase})
    if r.status_code == 201:
        srv.keys_made.append(r.json()['key'])
    return r


def token_of(srv, key_id):
    """The activation token of a key, from its mail (the only place it is): the outbox row
    written with the key (the same instant, the same transaction), once the mailer spooled it
    (<outbox id>.eml). Not the last mail of its SITE: another key's could still be the last
    one while this one waits for the mailer's next round."""
    mail_id = q(srv, 'SELECT m.id FROM hmac_key k JOIN mail_outbox m ON m.brand_id = k.brand_id '
                     "AND m.created_at = k.created_at AND m.subject LIKE '%HMAC%' "
                     'WHERE k.id = ?', (key_id,))[0][0]
    name = os.path.join(srv.tmp, 'spool', '%012d.eml' % mail_id)
    m = wait_mail(srv, lambda text: f'Message-ID: <{mail_id}@' in text)
    assert os.path.exists(name)
    token = re.search(r'#/hmac-activate\?token=([0-9a-f]{64})', m).group(1)
    return token, m


def activate(srv, token):
    return requests.post(srv.base + '/bo/api/hmac-keys/activate', json={'token': token},
                         timeout=30)


def argon2id(passphrase):
    """The key of a passphrase, computed here through libsodium's crypto_pwhash with the
    documented parameters (README "HMAC keys"), apart from the server's code."""
    lib = ctypes.CDLL(ctypes.util.find_library('sodium'))
    assert lib.sodium_init() >= 0
    out = ctypes.create_string_buffer(64)
    salt = b'guichet-hmac-v1\0'
    pw = passphrase.encode()
    alg = lib.crypto_pwhash_alg_argon2id13()
    rc = lib.crypto_pwhash(out, ctypes.c_ulonglong(64), pw, ctypes.c_ulonglong(len(pw)), salt,
                           ctypes.c_ulonglong(3), ctypes.c_size_t(64 * 1024 * 1024),
                           ctypes.c_int(alg))
    assert rc == 0
    return out.raw.hex()


# -- the passphrase's strength -------------------------------------------------------------


@pytest.mark.parametrize('passphrase, length, ok', [
    (STRONG, 15, True), (WEAK_14, 14, False), (WEAK_SCORE, 18, False), ('', 0, False),
    (STRONG_2, 31, True), ('aaaaaaaaaaaaaaaaaaaa', 20, False)])
def test_strength(hk, passphrase, length, ok):
    r = hk.users['hmac'].call('POST', '/bo/api/hmac-keys/strength', {'passphrase': passphrase})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body['length'] == length and body['ok'] is ok, body
    assert 0 <= body['score'] <= 100
    assert body['ok'] == (body['length'] >= 15 and body['score'] >= 90)


def test_strength_bad_requests(hk):
    u = hk.users['hmac']
    for raw, code in (('{', 'bad_json'), ('[]', 'bad_json')):
        r = u.call('POST', '/bo/api/hmac-keys/strength', raw=raw)
        assert r.status_code == 400 and r.json()['error'] == code, r.text
    for body in ({'passphrase': 12}, {}, {'passphrase': 'a\tb'}, {'passphrase': 'x' * 257},
                 {'passphrase': STRONG, 'other': 1}):
        r = u.call('POST', '/bo/api/hmac-keys/strength', body)
        assert r.status_code == 400 and r.json()['error'] == 'invalid_field', (body, r.text)


# -- who may --------------------------------------------------------------------------------


def test_only_the_hmac_manager(hk):
    before = q(hk, 'SELECT count(*) FROM hmac_key')
    for p in ('admin', 'consultation'):
        u = hk.users[p]
        for method, path, body in (
                ('GET', '/bo/api/hmac-keys', None),
                ('POST', '/bo/api/hmac-keys/strength', {'passphrase': STRONG}),
                ('POST', '/bo/api/hmac-keys', {'shop_id': hk.shop_ids[0], 'env': 'production',
                                               'passphrase': STRONG})):
            r = u.call(method, path, body)
            assert r.status_code == 403 and r.json()['error'] == 'forbidden', (p, path, r.text)
        # Every profile reads the notices.
        assert u.call('GET', '/bo/api/notices').status_code == 200
    assert hk.users['hmac'].call('GET', '/bo/api/notices').status_code == 200
    assert q(hk, 'SELECT count(*) FROM hmac_key') == before
    # Without a session: 401, and no CSRF token: 403.
    r = requests.post(hk.base + '/bo/api/hmac-keys', json={}, timeout=10)
    assert r.status_code == 401
    r = hk.users['hmac'].s.post(hk.base + '/bo/api/hmac-keys', json={
        'shop_id': hk.shop_ids[0], 'env': 'production', 'passphrase': STRONG}, timeout=10)
    assert r.status_code == 403 and r.json()['error'] == 'csrf'


# -- generation refused ---------------------------------------------------------------------


def test_create_refusals(hk):
    before = q(hk, 'SELECT count(*) FROM hmac_key')
    mails_before = len(mails(hk))
    sid = hk.shop_ids[0]
    u = hk.users['hmac']
    for p in (WEAK_14, WEAK_SCORE, ''):
        r = create(hk, sid, p)
        assert r.status_code == 422 and r.json()['error'] == 'weak_passphrase', r.text
        assert 'key' not in r.json()
    # A production session makes production keys (docs/ENVIRONMENTS.md): not test ones.
    r = create(hk, sid, env='test')
    assert r.status_code == 409 and r.json()['error'] == 'environment_unavailable', r.text
    assert r.json()['message']
    for raw in ('{', '"x"', '{"shop_id": 1, "shop_id": 2}'):
        r = u.call('POST', '/bo/api/hmac-keys', raw=raw)
        assert r.status_code == 400 and r.json()['error'] == 'bad_json', (raw, r.text)
    for body, field in (({'env': 'production', 'passphrase': STRONG}, 'shop_id'),
                        ({'shop_id': 'x', 'env': 'production', 'passphrase': STRONG}, 'shop_id'),
                        ({'shop_id': sid, 'env': 'prod', 'passphrase': STRONG}, 'env'),
                        ({'shop_id': sid, 'passphrase': STRONG}, 'env'),
                        ({'shop_id': sid, 'env': 'production'}, 'passphrase'),
                        ({'shop_id': sid, 'env': 'production', 'passphrase': STRONG, 'key': 'ab'},
                         'key')):
        r = u.call('POST', '/bo/api/hmac-keys', body)
        assert r.status_code == 400 and r.json()['error'] == 'invalid_field', (body, r.text)
        assert r.json()['field'] == field, (body, r.text)
    # Another brand's shops, a node that is no shop, an id of nothing: 404.
    other = [r[0] for r in q(hk, 'SELECT id FROM shop WHERE brand_id = 2')]
    group = q(hk, "SELECT id FROM node WHERE brand_id = 1 AND level = 'group' LIMIT 1")[0][0]
    for bad in other + [group, 999999]:
        r = create(hk, bad)
        assert r.status_code == 404, (bad, r.text)
        assert r.json()['error'] == 'unknown_shop', r.text
    assert q(hk, 'SELECT count(*) FROM hmac_key') == before
    time.sleep(0.5)
    assert len(mails(hk)) == mails_before


def test_out_of_scope_shop(hk):
    """An HMAC manager of a group: the other group's shops are 404; its own are fine."""
    group, = q(hk, "SELECT id FROM node WHERE brand_id = 1 AND level = 'group' ORDER BY id "
                   'LIMIT 1')[0]
    mine = {r[0] for r in q(hk, 'SELECT id FROM node WHERE parent_id = ?', (group,))}
    r = hk.users['admin'].call('POST', '/bo/api/users', {
        'login': 'hmac.group', 'name': 'Gestionnaire Groupe', 'email': 'hmac.group@example.com',
        'profile': 'hmac', 'node_id': group})
    assert r.status_code == 201, r.text
    m = wait_mail(hk, lambda m: 'To: <hmac.group@example.com>' in m)
    temp = re.search(r'Mot de passe provisoire : (\S+)', m).group(1)
    hk.demo['users'].append({'login': 'hmac.group', 'password': temp, 'profile': 'hmac'})
    hk.users['group'] = u = U(hk, 'hmac.group')
    for sid in hk.shop_ids:
        if sid in mine:
            continue
        r = u.call('POST', '/bo/api/hmac-keys', {'shop_id': sid, 'env': 'production',
                                                 'passphrase': STRONG})
        assert r.status_code == 404 and r.json()['error'] == 'unknown_shop', r.text
    # Its list and node= stay within its group.
    r = u.call('GET', '/bo/api/hmac-keys')
    assert r.status_code == 200
    assert {k['shop_id'] for k in r.json()['items']} <= mine
    r = u.call('GET', f'/bo/api/hmac-keys?node={hk.shop_ids[0] if hk.shop_ids[0] not in mine else hk.shop_ids[-1]}')
    assert r.status_code == 404, r.text
    other_node = q(hk, 'SELECT min(id) FROM node WHERE brand_id = 2')[0][0]
    r = hk.users['hmac'].call('GET', f'/bo/api/hmac-keys?node={other_node}')
    assert r.status_code == 404, r.text
    r = hk.users['hmac'].call('GET', '/bo/api/hmac-keys?node=x')
    assert r.status_code == 400, r.text
    r = hk.users['hmac'].call('GET', '/bo/api/hmac-keys?shop=1')
    assert r.status_code == 400, r.text


# -- generation, activation, use -------------------------------------------------------------


def test_generate_activate_use(hk):
    s = shop(hk, 0)
    sid = hk.shop_ids[0]
    old = s['hmac_key']
    assert hk.pay(shop=0).status_code == 201
    r = create(hk, sid, STRONG)
    assert r.status_code == 201, r.text
    body = r.json()
    key = body['key']
    assert re.fullmatch(r'[0-9a-f]{128}', key)
    assert body['status'] == 'created' and body['env'] == 'production' and body['shop_id'] == sid
    assert body['activated_at'] is None and body['expires_at'] is None
    assert body['expired'] is False and body['created_by'] == 'demo.hmac'
    assert body['mailed_to'] == hk.users['hmac'].email
    # The key is derived from the passphrase alone (Argon2id, the documented parameters).
    assert key == argon2id(STRONG)
    # Sealed at rest: not in the database in clear (Server.stored: SQLite's file and log, or
    # PostgreSQL's rows, where a bytea is written in hex: the key's own form).
    raw = hk.stored()
    assert key not in raw and bytes.fromhex(key).decode('latin-1') not in raw
    # Listed, never with the key.
    lst = hk.users['hmac'].call('GET', '/bo/api/hmac-keys')
    assert lst.status_code == 200
    assert key not in lst.text and 'key' not in lst.json()['items'][0]
    row = next(k for k in lst.json()['items'] if k['id'] == body['id'])
    assert row['status'] == 'created' and row['site'] == s['site'] and row['rang'] == s['rang']
    # The mail: the link, not the key.
    token, mail = token_of(hk, body['id'])
    assert f'To: <{hk.users["hmac"].email}>' in mail
    assert key not in mail and key.upper() not in mail and STRONG not in mail
    assert f'/#/hmac-activate?token={token}' in mail
    assert re.search(r'https?://127\.0\.0\.1:\d+/#/hmac-activate\?token=', mail)
    # Logged, without the key.
    log = q(hk, "SELECT user_login, details FROM action_log WHERE action = 'hmac_key_created' "
                'ORDER BY id DESC LIMIT 1')[0]
    assert log[0] == 'demo.hmac' and s['site'] in log[1] and 'env: production' in log[1]
    assert key not in log[1]
    # Not active yet: the old key works, the new one does not.
    assert hk.pay(shop=0).status_code == 201
    assert hk.api('POST', '/api/v1/payments', {'amount': 1}, shop=0, key=key).status_code == 401
    # Activation: at once, the new key is the shop's and the old one is refused.
    a = activate(hk, token)
    assert a.status_code == 200, a.text
    got = a.json()
    assert got['status'] == 'activated' and got['shop_id'] == sid and got['env'] == 'production'
    act = hk.now()
    exp = datetime.fromisoformat(got['expires_at'].replace('Z', '+00:00')).timestamp()
    assert abs(exp - (act + 365 * 86400)) < 120
    r = hk.api('POST', '/api/v1/payments', {'amount': 1}, shop=0, key=old)
    assert r.status_code == 401 and r.json()['error'] == 'bad_signature', r.text
    s['hmac_key'] = key
    assert hk.pay(shop=0).status_code == 201
    # The first signed request made it "used" (through the writer); the old one retired.
    deadline = time.time() + 5
    while q(hk, 'SELECT status FROM hmac_key WHERE id = ?', (body['id'],))[0][0] != 'used':
        assert time.time() < deadline, 'still activated'
        time.sleep(0.05)
    statuses = dict(q(hk, 'SELECT id, status FROM hmac_key WHERE shop_id = ?', (sid,)))
    assert sorted(statuses.values()).count('used') == 1
    assert 'retired' in statuses.values()
    lst = hk.users['hmac'].call('GET', '/bo/api/hmac-keys').json()['items']
    mine = [k for k in lst if k['shop_id'] == sid]
    assert mine[0]['id'] == body['id'] and mine[0]['status'] == 'used'
    assert mine[0]['activated_at'] and mine[0]['expires_at'] and not mine[0]['expired']
    assert q(hk, "SELECT count(*) FROM action_log WHERE action = 'hmac_key_activated' AND "
                 "user_login = 'demo.hmac'")[0][0] == 1
    # The link works once.
    again = activate(hk, token)
    assert again.status_code == 404 and again.json()['error'] == 'unknown_token', again.text
    # A restart reads the new key back (the sessions, kept in the store, live on).
    hk.stop()
    hk.start()
    assert hk.pay(shop=0).status_code == 201
    assert hk.api('POST', '/api/v1/payments', {'amount': 1}, shop=0, key=old).status_code == 401


def test_same_passphrase_same_key(hk):
    a = create(hk, hk.shop_ids[1], STRONG_2)
    b = create(hk, hk.shop_ids[2], STRONG_2)
    c = create(hk, hk.shop_ids[1], STRONG)
    assert a.status_code == b.status_code == c.status_code == 201
    assert a.json()['key'] == b.json()['key'] == argon2id(STRONG_2)
    assert c.json()['key'] != a.json()['key']
    assert a.json()['id'] != b.json()['id']


def test_activation_refusals(hk):
    r = create(hk, hk.shop_ids[1], STRONG_2)
    assert r.status_code == 201
    token, _ = token_of(hk, r.json()['id'])
    for bad in ('0' * 64, token[:-1] + ('0' if token[-1] != '0' else '1'), token[:63], 'zz',
                '', token.upper() + '00'):
        a = activate(hk, bad)
        assert a.status_code == 404 and a.json()['error'] == 'unknown_token', (bad, a.text)
    for raw in ('{', '[]'):
        a = requests.post(hk.base + '/bo/api/hmac-keys/activate', data=raw,
                          headers={'Content-Type': 'application/json'}, timeout=10)
        assert a.status_code == 400 and a.json()['error'] == 'bad_json'
    a = requests.post(hk.base + '/bo/api/hmac-keys/activate', json={'token': token, 'x': 1},
                      timeout=10)
    assert a.status_code == 400
    # Expired: 7 days after its creation.
    with connect(hk.db) as db:
        db.execute('UPDATE hmac_key SET token_expires_at = ? WHERE id = ?',
                   (hk.now_us() - 1, r.json()['id']))
    a = activate(hk, token)
    assert a.status_code == 404 and a.json()['error'] == 'unknown_token', a.text
    assert q(hk, 'SELECT status FROM hmac_key WHERE id = ?', (r.json()['id'],))[0][0] == 'created'
    # The token is kept only as a hash.
    raw = hk.stored()
    assert token not in raw and bytes.fromhex(token).decode('latin-1') not in raw


# -- notices --------------------------------------------------------------------------------


def active_key(hk, i):
    return q(hk, "SELECT id FROM hmac_key WHERE shop_id = ? AND status IN ('activated', 'used')",
             (hk.shop_ids[i],))[0][0]


def test_notices(hk):
    now = hk.now_us()
    expired, soon, later = (active_key(hk, i) for i in range(3))
    with connect(hk.db) as db:
        db.execute('UPDATE hmac_key SET expires_at = ? WHERE id = ?', (now - DAY_US, expired))
        db.execute('UPDATE hmac_key SET expires_at = ? WHERE id = ?', (now + 10 * DAY_US, soon))
        db.execute('UPDATE hmac_key SET expires_at = ? WHERE id = ?', (now + 40 * DAY_US, later))
        # A retired key that expired says nothing.
        db.execute("UPDATE hmac_key SET expires_at = ? WHERE status = 'retired'", (now - DAY_US,))
    for p in ('hmac', 'admin', 'consultation'):
        r = hk.users[p].call('GET', '/bo/api/notices')
        assert r.status_code == 200, r.text
        items = {i['shop_id']: i for i in r.json()['items']}
        assert set(items) == {hk.shop_ids[0], hk.shop_ids[1]}, (p, items)
        assert items[hk.shop_ids[0]]['kind'] == 'hmac_key_expired'
        assert items[hk.shop_ids[1]]['kind'] == 'hmac_key_expires_soon'
        assert items[hk.shop_ids[0]]['site'] == shop(hk, 0)['site']
        assert items[hk.shop_ids[0]]['env'] == 'production' and items[hk.shop_ids[0]]['expires_at']
    # Scoped: the group's HMAC manager sees its shops' only.
    group_shops = {r[0] for r in q(hk, 'SELECT id FROM node WHERE parent_id = (SELECT node_id '
                                       "FROM user WHERE login = 'hmac.group')")}
    if 'group' in hk.users:
        items = hk.users['group'].call('GET', '/bo/api/notices').json()['items']
        assert {i['shop_id'] for i in items} <= group_shops
    assert hk.users['hmac'].call('GET', '/bo/api/notices?node=1').status_code == 400
    # The expired key keeps working (Vision manual §9.1.3).
    assert hk.pay(shop=0).status_code == 201
    # The list says it expired.
    lst = hk.users['hmac'].call('GET', '/bo/api/hmac-keys').json()['items']
    assert next(k for k in lst if k['id'] == expired)['expired'] is True


# -- the expiry mail -------------------------------------------------------------------------


def test_expiry_mail_once(tmp_path):
    srv = Server(str(tmp_path), transactions=10)
    now = srv.now_us()
    with connect(srv.db) as db:
        key_id, shop_id = db.execute('SELECT id, shop_id FROM hmac_key ORDER BY id').fetchone()
        db.execute('UPDATE hmac_key SET expires_at = ? WHERE id = ?', (now - 1000, key_id))
        site = db.execute('SELECT site FROM shop WHERE id = ?', (shop_id,)).fetchone()[0]
        want = {r[0] for r in db.execute(
            "SELECT email FROM user WHERE profile IN ('hmac', 'admin') AND email <> ''")}
        others = {r[0] for r in db.execute(
            "SELECT email FROM user WHERE profile NOT IN ('hmac', 'admin')")} - want
    assert want

    def expiry_mails():
        return [m for m in mails(srv) if 'HMAC key expired' in m]

    try:
        srv.start()
        deadline = time.time() + 10
        while len(expiry_mails()) < len(want):
            assert time.time() < deadline, 'no expiry mail'
            time.sleep(0.1)
        got = expiry_mails()
        to = {re.search(r'^To: <(.*)>\r?$', m, re.M).group(1) for m in got}
        assert to == want and not to & others
        assert all(f'SITE {site}' in m for m in got)
        assert all(srv.demo['shops'][0]['hmac_key'] not in m for m in got)
        assert q(srv, 'SELECT expiry_mailed_at IS NOT NULL FROM hmac_key WHERE id = ?',
                 (key_id,))[0][0] == 1
        assert srv.stop() == 0
        # Once: a restart (a new round) sends nothing again.
        srv.start()
        time.sleep(1.5)
        assert len(expiry_mails()) == len(want)
        # Still working.
        assert srv.pay(shop=0).status_code == 201
    finally:
        assert srv.stop() == 0


def test_a_test_keys_expiry_is_mailed_to_the_production_users(tmp_path):
    # The users are the production brand's: a test key's expiry goes to the HMAC managers and
    # administrators of its shop's production twin and above, as a production key's does.
    srv = Server(str(tmp_path), transactions=0)
    now = srv.now_us()
    with connect(srv.db) as db:
        key_id, shop_id = db.execute("SELECT id, shop_id FROM hmac_key WHERE env = 'test' "
                                     'ORDER BY id').fetchone()
        db.execute('UPDATE hmac_key SET expires_at = ? WHERE id = ?', (now - 1000, key_id))
        want = {r[0] for r in db.execute(
            "SELECT email FROM user WHERE brand_id = 1 AND profile IN ('hmac', 'admin') AND "
            "email <> ''")}
    assert want and shop_id
    try:
        srv.start()
        deadline = time.time() + 10
        while len([m for m in mails(srv) if 'HMAC key expired' in m]) < len(want):
            assert time.time() < deadline, 'no expiry mail'
            time.sleep(0.1)
        got = [m for m in mails(srv) if 'HMAC key expired' in m]
        assert {re.search(r'^To: <(.*)>\r?$', m, re.M).group(1) for m in got} == want
        assert all('(test environment)' in m for m in got)
        assert all(re.search(r'^Subject: .*HMAC key expired \(.*, test\)', m, re.M) for m in got)
    finally:
        assert srv.stop() == 0


def test_public_url_makes_the_links(tmp_path):
    """--public-url: the mailed link names the back office's public address, whatever Host
    the request came with; an address that is not a plain http(s) URL stops the start."""
    srv = Server(str(tmp_path), transactions=0)
    srv.start('--public-url', 'https://backoffice.example.test/guichet/')
    try:
        u = U(srv, 'demo.hmac')
        shop_id = q(srv, 'SELECT id FROM shop WHERE brand_id = 1 ORDER BY id')[0][0]
        # requests picks the cookies by the Host header: the session's is given by hand.
        cookie = '; '.join(f'{c.name}={c.value}' for c in u.s.cookies)
        r = requests.post(srv.base + '/bo/api/hmac-keys', timeout=60,
                          headers={'X-CSRF-Token': u.csrf, 'Host': 'evil.example',
                                   'Cookie': cookie},
                          json={'shop_id': shop_id, 'env': 'production', 'passphrase': STRONG})
        assert r.status_code == 201, r.text
        mail = wait_mail(srv, lambda m: 'hmac-activate' in m)
        assert re.search(r'https://backoffice\.example\.test/guichet/#/hmac-activate\?token=',
                         mail)
        assert 'evil.example' not in mail
    finally:
        assert srv.stop() == 0
    for bad in ('ftp://x.example', 'https://', 'https://a.example/?q=1', 'https://u@a.example',
                'https://a.example/#x', 'backoffice.example', 'https:///path'):
        out = subprocess.run([GUICHETD, 'serve', '--db', srv.db, '--public-url', bad],
                             capture_output=True, text=True, timeout=30, env=srv.env)
        assert out.returncode == 2, (bad, out.stderr)
