"""The test and production environments (issue 15; SPEC §16.1 "Environments";
docs/ENVIRONMENTS.md): the demo's keys, the sign-in's environment, the merchant API's
environment picked by the key that signs, and the two kept apart both ways (search, details,
statistics, batches and their files, the Paybox entry points)."""
import glob
import os
import subprocess

import pytest
import requests

from conftest import GUICHETD, Server, q, sign
from test_signin import NEW_PASSWORD, ready_user

CARD = '4111111111111111'


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('env')), transactions=40).start()
    ready_user(srv, 'demo.admin')
    ready_user(srv, 'demo.hmac')
    yield srv
    assert srv.stop() == 0


def sign_in(srv, login='demo.admin', **extra):
    s = requests.Session()
    r = s.post(srv.base + '/bo/api/session', timeout=30,
               json={'login': login, 'password': NEW_PASSWORD, 'takeover': True, **extra})
    return s, r


def session(srv, environment=None, login='demo.admin'):
    extra = {} if environment is None else {'environment': environment}
    s, r = sign_in(srv, login, **extra)
    assert r.status_code == 200, r.text
    return s, r.json()['csrf']


def pay_with(srv, key, amount, shop=0):
    """A payment signed with key (production's hmac_key or the test hmac_key_test)."""
    return srv.api('POST', '/api/v1/payments', {
        'amount': amount, 'currency': 'EUR', 'order_ref': f'ENV-{amount}',
        'card': {'number': CARD, 'expiry': '1230', 'cvv': '123'},
        'email': 'buyer@example.com', 'capture': 'auto'}, shop=shop, key=key)


def search(srv, s, query=''):
    day = srv.paris_day()
    r = s.get(srv.base + f'/bo/api/transactions?from={day}&to={day}{query}')
    assert r.status_code == 200, r.text
    return r.json()


def brand_of(srv, tid):
    return q(srv, 'SELECT b.env FROM txn t JOIN brand b ON b.id = t.brand_id WHERE t.id = ?',
             (tid,))[0][0]


def test_the_demo_gives_a_key_per_environment(env):
    for shop in env.demo['shops']:
        assert len(shop['hmac_key']) == 128 and len(shop['hmac_key_test']) == 128
        assert shop['hmac_key'] != shop['hmac_key_test']
    # Its history is production's; the test environment has none, and its own tree.
    assert q(env, "SELECT count(*) FROM txn t JOIN brand b ON b.id = t.brand_id "
                  "WHERE b.env = 'test'")[0][0] == 0
    assert q(env, "SELECT count(*) FROM txn WHERE brand_id = 1")[0][0] >= 40
    prod = q(env, "SELECT site, rang FROM shop s JOIN brand b ON b.id = s.brand_id "
                  "WHERE b.env = 'production' ORDER BY site, rang")
    test = q(env, "SELECT site, rang FROM shop s JOIN brand b ON b.id = s.brand_id "
                  "WHERE b.env = 'test' ORDER BY site, rang")
    assert prod == test and len(prod) == len(env.demo['shops'])
    assert q(env, "SELECT count(*) FROM hmac_key k JOIN brand b ON b.id = k.brand_id "
                  "WHERE b.env <> k.env")[0][0] == 0


def test_sign_in_says_its_environment(env):
    s, r = sign_in(env)
    assert r.status_code == 200 and r.json()['environment'] == 'production', r.text
    assert s.get(env.base + '/bo/api/session').json()['environment'] == 'production'
    for value in ('production', 'test'):
        s, r = sign_in(env, environment=value)
        assert r.status_code == 200 and r.json()['environment'] == value, r.text
        who = s.get(env.base + '/bo/api/session').json()
        assert who['environment'] == value and who['user']['login'] == 'demo.admin'
    # A bad value is refused and changes nothing: the test session above lives on.
    before = q(env, 'SELECT count(*) FROM action_log')[0][0]
    for bad in ('prod', 'TEST', '', 1, None, True):
        _, r = sign_in(env, environment=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()['error'] == 'invalid_field' and r.json()['field'] == 'environment'
    assert q(env, 'SELECT count(*) FROM action_log')[0][0] == before
    assert s.get(env.base + '/bo/api/session').json()['environment'] == 'test'
    # The action log says which environment the sign-in was to.
    details = q(env, "SELECT details FROM action_log WHERE action = 'sign_in' AND "
                     "user_login = 'demo.admin' ORDER BY id DESC LIMIT 1")[0][0]
    assert 'environment: test' in details


def test_a_test_payment_exists_only_in_test(env):
    shop = env.shop(0)
    r = pay_with(env, shop['hmac_key_test'], 7701)
    assert r.status_code == 201, r.text
    tid = int(r.json()['id'])
    assert brand_of(env, tid) == 'test'
    # The answer is signed with the key that verified the request.
    assert r.headers['X-Guichet-Signature'] == sign(shop['hmac_key_test'], r.content)
    # Read back with the test key; production's key does not find it.
    assert env.api('GET', f'/api/v1/payments/{tid}', key=shop['hmac_key_test']).status_code == 200
    got = env.api('GET', f'/api/v1/payments/{tid}')
    assert got.status_code == 404, got.text
    # Production's back office does not see it: not in the search, not by its id.
    prod, _ = session(env, 'production')
    assert tid not in {int(t['id']) for t in search(env, prod)['items']}
    assert prod.get(env.base + f'/bo/api/transactions/{tid}').status_code == 404
    # The test environment's does, and only it.
    test, _ = session(env, 'test')
    items = search(env, test)['items']
    assert tid in {int(t['id']) for t in items}
    assert all(brand_of(env, int(t['id'])) == 'test' for t in items)
    assert test.get(env.base + f'/bo/api/transactions/{tid}').status_code == 200


def test_a_production_payment_exists_only_in_production(env):
    r = env.pay(amount=7702)
    assert r.status_code == 201, r.text
    tid = int(r.json()['id'])
    assert brand_of(env, tid) == 'production'
    assert env.api('GET', f'/api/v1/payments/{tid}',
                   key=env.shop(0)['hmac_key_test']).status_code == 404
    test, _ = session(env, 'test')
    assert tid not in {int(t['id']) for t in search(env, test)['items']}
    assert test.get(env.base + f'/bo/api/transactions/{tid}').status_code == 404
    prod, _ = session(env, 'production')
    assert tid in {int(t['id']) for t in search(env, prod)['items']}


def test_neither_key_is_refused_as_before(env):
    before = q(env, 'SELECT count(*) FROM txn')[0][0]
    wrong = '00' * 64
    r = pay_with(env, wrong, 7703)
    assert r.status_code == 401 and r.json()['error'] == 'bad_signature', r.text
    # The key of another shop (of either environment) is no key of this one.
    for key in (env.shop(1)['hmac_key'], env.shop(1)['hmac_key_test']):
        r = pay_with(env, key, 7704, shop=0)
        assert r.status_code == 401 and r.json()['error'] == 'bad_signature', r.text
    r = env.api('POST', '/api/v1/payments', {'amount': 1}, shop={'site': '1234567', 'rang': '001',
                                                                  'hmac_key': wrong})
    assert r.status_code == 401 and r.json()['error'] == 'unknown_shop'
    assert q(env, 'SELECT count(*) FROM txn')[0][0] == before


def stats(srv, environment):
    s, _ = session(srv, environment)  # one session per user: each sign-in ends the one before
    day = srv.paris_day()
    r = s.get(srv.base + f'/bo/api/stats?from={day}&to={day}')
    assert r.status_code == 200, r.text
    return r.json()


def test_statistics_are_the_environments(env):
    before_prod, before_test = stats(env, 'production'), stats(env, 'test')
    assert pay_with(env, env.shop(0)['hmac_key_test'], 7705).status_code == 201
    assert stats(env, 'production') == before_prod
    assert stats(env, 'test') != before_test
    assert env.pay(amount=7706).status_code == 201
    assert stats(env, 'production') != before_prod


def test_each_environment_has_its_tree_and_keys(env):
    prod, _ = session(env, 'production', 'demo.hmac')
    nodes_p = prod.get(env.base + '/bo/api/tree').json()['nodes']
    keys_p = prod.get(env.base + '/bo/api/hmac-keys').json()['items']
    test, csrf = session(env, 'test', 'demo.hmac')
    nodes_t = test.get(env.base + '/bo/api/tree').json()['nodes']
    keys_t = test.get(env.base + '/bo/api/hmac-keys').json()['items']
    ids_p = {n['id'] for n in nodes_p}
    ids_t = {n['id'] for n in nodes_t}
    assert ids_p and ids_t and not ids_p & ids_t
    assert sorted(n['name'] for n in nodes_p) == sorted(n['name'] for n in nodes_t)
    # A production node is another tenant's for a test session.
    day = env.paris_day()
    for some in ids_p:
        r = test.get(env.base + f'/bo/api/transactions?from={day}&to={day}&node={some}')
        assert r.status_code in (403, 404), r.text
    # The keys listed are the environment's.
    assert keys_t and all(k['env'] == 'test' for k in keys_t)
    assert keys_p and all(k['env'] == 'production' for k in keys_p)
    assert {k['shop_id'] for k in keys_t} <= ids_t
    # A key of the other environment is not made from this session.
    before = q(env, 'SELECT count(*) FROM hmac_key')[0][0]
    r = test.post(env.base + '/bo/api/hmac-keys', headers={'X-CSRF-Token': csrf},
                  json={'shop_id': keys_t[0]['shop_id'], 'env': 'production',
                        'passphrase': 'Vx7!kP2#mQ9@wZ4-Lr8'})
    assert r.status_code == 409 and r.json()['error'] == 'environment_unavailable', r.text
    assert q(env, 'SELECT count(*) FROM hmac_key')[0][0] == before


def test_the_users_preferences_are_the_same_in_both(env):
    prod, _ = session(env, 'production')
    r = prod.get(env.base + '/bo/api/me/preferences')
    assert r.status_code == 200, r.text
    test, _ = session(env, 'test')
    r2 = test.get(env.base + '/bo/api/me/preferences')
    assert r2.status_code == 200 and r2.json() == r.json()


def test_test_batches_never_reach_the_bank_folder(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        prod_ids = [int(srv.pay(amount=3000 + i).json()['id']) for i in range(3)]
        test_ids = []
        for i in range(2):
            r = pay_with(srv, srv.shop(0)['hmac_key_test'], 4000 + i)
            assert r.status_code == 201, r.text
            test_ids.append(int(r.json()['id']))
        spool = os.path.join(srv.tmp, 'spool')
        out = subprocess.run([GUICHETD, 'batch', 'run', '--db', srv.db, '--date',
                              srv.paris_day(), '--spool', spool, *srv.clock()],
                             capture_output=True, text=True, timeout=120, env=srv.env)
        assert out.returncode == 0, out.stderr
        batches = dict(q(srv, 'SELECT t.id, t.batch_id FROM txn t WHERE t.batch_id IS NOT NULL'))
        assert set(prod_ids) | set(test_ids) <= set(batches)
        # No batch mixes them.
        assert not {batches[i] for i in prod_ids} & {batches[i] for i in test_ids}
        bank = glob.glob(os.path.join(spool, 'bank', '*.txt'))
        apart = glob.glob(os.path.join(spool, 'bank-test', '*.txt'))
        assert bank and apart

        def ids_in(files):  # a transaction's line: T;id;…
            return {int(line.split(';')[1]) for f in files for line in open(f)
                    if line.startswith('T;')}

        assert ids_in(bank) == set(prod_ids)
        assert ids_in(apart) == set(test_ids)
    finally:
        assert srv.stop() == 0


def test_paybox_direct_picks_the_environment_by_key(env):
    from test_paybox_direct import nexylan, post
    shop = env.shop(0)
    before = dict(q(env, "SELECT b.env, count(*) FROM txn t JOIN brand b ON b.id = t.brand_id "
                         'GROUP BY b.env'))
    for key, where in ((shop['hmac_key_test'], 'test'), (shop['hmac_key'], 'production')):
        r, _ = post(env, nexylan(env, '00003', {**shop, 'hmac_key': key}, 1500))
        assert r['CODEREPONSE'] == '00000', r
        assert brand_of(env, int(r['NUMTRANS'])) == where
    after = dict(q(env, "SELECT b.env, count(*) FROM txn t JOIN brand b ON b.id = t.brand_id "
                        'GROUP BY b.env'))
    assert after['test'] == before.get('test', 0) + 1
    assert after['production'] == before['production'] + 1


def test_a_session_kept_across_a_restart_keeps_its_environment(env):
    test, _ = session(env, 'test')
    env.stop()
    env.start()
    who = test.get(env.base + '/bo/api/session')
    assert who.status_code == 200 and who.json()['environment'] == 'test', who.text
    assert q(env, "SELECT count(*) FROM session s JOIN brand b ON b.id = s.env_brand_id "
                  "WHERE b.env = 'test'")[0][0] >= 1
