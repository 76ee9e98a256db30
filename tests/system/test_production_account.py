"""Create production account (Ingenico guide §3.2.9; issue 15; docs/ENVIRONMENTS.md): a brand
administrator signed in to the test environment copies its configuration (shops' settings,
templates, fraud filters, the tree) into production; production's transactions, keys,
contracts and users stay; the test account stays; one action-log line; every refused case
changes nothing; a second copy duplicates nothing."""
import uuid

import pytest

from conftest import Server, q
from test_access import ready
from test_environments import pay_with
from test_signin import password_of
from test_users import spooled_password

ROUTE = '/bo/api/environment/production-account'
OTHER = 'AUTRECOMPTE'
NOT_COPIED = ['subscription', 'options', 'vat_number', 'billing', 'payment_methods',
              'three_d_secure', 'users', 'hmac_keys', 'blocklist', 'transactions']


@pytest.fixture(scope='module')
def pa(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('prodacct')), transactions=30)
    srv.other = srv.add_brand(OTHER, transactions=0, seed=7)
    srv.start()
    srv.admin = ready(srv, 'demo.admin', password_of(srv, 'demo.admin'))
    srv.consultation = ready(srv, 'demo.consultation', password_of(srv, 'demo.consultation'))
    yield srv
    assert srv.stop() == 0


def as_test(u):
    u.sign_in('test')
    return u


def as_production(u):
    u.sign_in()
    return u


def twin_of(srv, node):
    return q(srv, 'SELECT id FROM node WHERE brand_id = -1 AND twin_id = ?', (node,))[0][0]


def shops(srv):
    return [r[0] for r in q(srv, 'SELECT id FROM shop WHERE brand_id = 1 ORDER BY id')]


def config(srv):
    """Everything the copy may write, of both environments."""
    return [q(srv, 'SELECT id, brand_id, parent_id, level, name, twin_id FROM node '
                   'WHERE brand_id IN (1, -1) ORDER BY id'),
            q(srv, 'SELECT id, brand_id, site, rang, name, url, env FROM shop ORDER BY id'),
            q(srv, 'SELECT * FROM shop_settings ORDER BY shop_id'),
            q(srv, 'SELECT brand_id, shop_id, title_fr, token, version FROM page_theme '
                   'ORDER BY brand_id, shop_id'),
            q(srv, 'SELECT * FROM contract ORDER BY id')]


def kept(srv):
    """What the copy never touches: production's transactions, keys, contracts but their
    fraud filters, users, blocklist."""
    return [q(srv, 'SELECT id, brand_id, status, amount_current FROM txn ORDER BY id'),
            q(srv, 'SELECT id, brand_id, shop_id, env, status FROM hmac_key ORDER BY id'),
            q(srv, 'SELECT id, brand_id, shop_id, method, number, rang, currency, amount_min, '
                   'amount_max, tds, active, report_email FROM contract ORDER BY id'),
            q(srv, 'SELECT id, brand_id, login, profile, node_id, email FROM user ORDER BY id'),
            q(srv, 'SELECT id, brand_id, node_id, value FROM block_entry ORDER BY id')]


def copies(srv):
    return q(srv, "SELECT brand_id, user_login, details FROM action_log WHERE action = "
                  "'production_account_created' ORDER BY id")


def counts(body):
    return {c['item']: c['count'] for c in body['copied']}


def test_the_preview_says_what_is_copied_and_what_is_not(pa):
    u = as_test(pa.admin)
    r = u.call('GET', ROUTE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body['account_id'] == 'GUICHETDEMO' and body['test_account_id'] == 'GUICHETDEMO/TEST'
    c = counts(body)
    assert list(c) == ['tree', 'shops', 'shop_settings', 'notifications', 'page_templates',
                       'fraud_filters']
    assert c['shops'] == len(shops(pa)) and c['tree'] > c['shops']
    assert [n['item'] for n in body['not_copied']] == NOT_COPIED
    pages = {n['item']: n['page'] for n in body['not_copied']}
    assert pages['payment_methods'] == 'contracts' and pages['vat_number'] is None
    assert body['kept']['contracts'] > 0 and body['new_nodes'] == 0
    as_production(u)


def test_the_copy_brings_the_test_configuration_into_production(pa):
    shop = shops(pa)[0]
    tshop = twin_of(pa, shop)
    tvisa = q(pa, "SELECT id FROM contract WHERE brand_id = -1 AND shop_id = ? AND method = "
                  "'VISA'", (tshop,))[0][0]
    visa = q(pa, "SELECT id FROM contract WHERE brand_id = 1 AND shop_id = ? AND method = "
                 "'VISA'", (shop,))[0][0]
    u = as_test(pa.admin)
    # Changed in test: a shop's settings and notification URL, its template, a fraud filter.
    r = u.call('PUT', f'/bo/api/shops/{tshop}/settings', {
        'version': 0, 'ticket_email': 'tickets@test.example',
        'url_accepted': 'https://shop.example/ok', 'url_notify': 'https://shop.example/ipn'})
    assert r.status_code == 200, r.text
    r = u.call('PUT', f'/bo/api/shops/{tshop}/page-theme', {
        'version': 0, 'title_fr': 'Paiement de recette', 'primary_color': '#114477'})
    assert r.status_code == 200, r.text
    r = u.call('PUT', f'/bo/api/contracts/{tvisa}/fraud-filters', {
        'version': 0, 'max_amount': 250000, 'max_per_card_day': None,
        'blocked_card_countries': ['KP'], 'blocked_customer_countries': [],
        'country_mismatch': False})
    assert r.status_code == 200, r.text
    before, was = kept(pa), copies(pa)
    r = u.call('POST', ROUTE, {})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body['account_id'] == 'GUICHETDEMO'
    c = counts(body)
    assert (c['shop_settings'], c['page_templates'], c['fraud_filters']) == (1, 1, 1), c
    assert c['tree'] == 0 and c['shops'] == 0 and body['added'] == {'nodes': 0, 'shops': 0}
    assert [n['item'] for n in body['not_copied']] == NOT_COPIED
    # One action-log line, in production's log, with the counts.
    after = copies(pa)
    assert len(after) == len(was) + 1
    brand, login, details = after[-1]
    assert brand == 1 and login == 'demo.admin'
    assert 'shop_settings: 1' in details and 'page_templates: 1' in details
    assert 'fraud_filters: 1' in details and 'account_id: GUICHETDEMO' in details
    # Production's transactions, keys, contracts, users, blocklist: untouched.
    assert kept(pa) == before
    # Production has it: read from a production session.
    p = as_production(pa.admin)
    s = p.call('GET', f'/bo/api/shops/{shop}/settings').json()
    assert s['ticket_email'] == 'tickets@test.example'
    assert s['url_accepted'] == 'https://shop.example/ok'
    assert s['url_notify'] == 'https://shop.example/ipn'
    t = p.call('GET', f'/bo/api/shops/{shop}/page-theme').json()
    assert t['title_fr'] == 'Paiement de recette' and t['primary_color'] == '#114477'
    # The hosted page's stylesheet is served from this server's cache at once.
    css = p.s.get(pa.base + t['stylesheet_url'], timeout=30)
    assert css.status_code == 200 and '#114477' in css.text
    f = p.call('GET', f'/bo/api/contracts/{visa}').json()['fraud_filters']
    assert f['max_amount'] == 250000 and f['blocked_card_countries'] == ['KP']
    # The test account stays, as it was, and takes payments with its key.
    u = as_test(pa.admin)
    s = u.call('GET', f'/bo/api/shops/{tshop}/settings').json()
    assert s['ticket_email'] == 'tickets@test.example'
    assert pay_with(pa, pa.shop(0)['hmac_key_test'], 4321).status_code == 201
    assert pay_with(pa, pa.shop(0)['hmac_key'], 4322).status_code == 201
    as_production(u)


def test_a_second_copy_duplicates_nothing_and_writes_only_what_differs(pa):
    u = as_test(pa.admin)
    assert u.call('POST', ROUTE, {}).status_code == 200
    nodes = q(pa, 'SELECT count(*) FROM node')[0][0]
    before = config(pa)
    r = u.call('POST', ROUTE, {})
    assert r.status_code == 200, r.text
    assert set(counts(r.json()).values()) == {0}
    assert config(pa) == before and q(pa, 'SELECT count(*) FROM node')[0][0] == nodes
    # Production changed since: a copy puts test's back, its version grown.
    shop = shops(pa)[0]
    p = as_production(pa.admin)
    s = p.call('GET', f'/bo/api/shops/{shop}/settings').json()
    r = p.call('PUT', f'/bo/api/shops/{shop}/settings',
               {'version': s['version'], 'ticket_email': 'prod@shop.example'})
    assert r.status_code == 200, r.text
    # A test shop back to the defaults (no row) takes production's back to them too.
    other, tother = shops(pa)[1], twin_of(pa, shops(pa)[1])
    r = p.call('PUT', f'/bo/api/shops/{other}/settings',
               {'version': 0, 'report_email': 'only-prod@shop.example'})
    assert r.status_code == 200, r.text
    assert q(pa, 'SELECT count(*) FROM shop_settings WHERE shop_id = ?', (tother,))[0][0] == 0
    u = as_test(pa.admin)
    r = u.call('POST', ROUTE, {})
    assert r.status_code == 200, r.text
    assert counts(r.json())['shop_settings'] == 2
    p = as_production(pa.admin)
    got = p.call('GET', f'/bo/api/shops/{shop}/settings').json()
    assert got['ticket_email'] == 'tickets@test.example' and got['version'] == s['version'] + 2
    assert p.call('GET', f'/bo/api/shops/{other}/settings').json()['report_email'] == ''


def test_a_node_and_shop_made_in_test_only_are_made_in_production_once(pa):
    group = q(pa, "SELECT id FROM node WHERE brand_id = -1 AND level = 'group' "
                  "ORDER BY id")[0][0]
    now = pa.now_us()
    q(pa, "INSERT INTO node(brand_id, parent_id, level, name, created_at) VALUES "
          "(-1, ?, 'shop', 'Boutique de recette', ?)", (group, now))
    nid = q(pa, "SELECT id FROM node WHERE name = 'Boutique de recette'")[0][0]
    q(pa, "INSERT INTO shop(id, brand_id, site, rang, name, url, created_at, env) VALUES "
          "(?, -1, '7654321', '001', 'Boutique de recette', '', ?, 'test')", (nid, now))
    u = as_test(pa.admin)
    assert u.call('GET', ROUTE).json()['new_nodes'] == 1
    r = u.call('POST', ROUTE, {})
    assert r.status_code == 200, r.text
    assert r.json()['added'] == {'nodes': 1, 'shops': 1}
    made = q(pa, 'SELECT twin_id FROM node WHERE id = ?', (nid,))[0][0]
    assert q(pa, 'SELECT n.brand_id, n.level, n.name, p.twin_id, s.site, s.rang, s.env FROM '
                 'node n JOIN shop s ON s.id = n.id LEFT JOIN node p ON p.twin_id = '
                 'n.parent_id AND p.brand_id = -1 WHERE n.id = ?', (made,)) == [
        (1, 'shop', 'Boutique de recette', q(pa, 'SELECT parent_id FROM node WHERE id = ?',
                                               (made,))[0][0], '7654321', '001', 'production')]
    # Again: linked now, nothing more is made.
    r = u.call('POST', ROUTE, {})
    assert r.status_code == 200 and r.json()['added'] == {'nodes': 0, 'shops': 0}
    # A shop made in test only whose SITE and RANG production already has (a shop made in
    # production after the twin): nothing is copied.
    pgroup = q(pa, 'SELECT twin_id FROM node WHERE id = ?', (group,))[0][0]
    for brand, parent, name in ((1, pgroup, 'Doublon prod'), (-1, group, 'Doublon')):
        q(pa, "INSERT INTO node(brand_id, parent_id, level, name, created_at) VALUES "
              "(?, ?, 'shop', ?, ?)", (brand, parent, name, now))
        nid = q(pa, 'SELECT id FROM node WHERE name = ?', (name,))[0][0]
        q(pa, "INSERT INTO shop(id, brand_id, site, rang, name, url, created_at, env) VALUES "
              "(?, ?, '7654322', '001', ?, '', ?, ?)",
          (nid, brand, name, now, 'production' if brand == 1 else 'test'))
    before = config(pa)
    r = u.call('POST', ROUTE, {})
    assert r.status_code == 409 and r.json()['error'] == 'site_rang_taken', r.text
    assert config(pa) == before
    q(pa, "DELETE FROM shop WHERE site = '7654322'")
    q(pa, "DELETE FROM node WHERE name IN ('Doublon', 'Doublon prod')")
    as_production(u)


def group_admin(srv):
    group = q(srv, "SELECT id FROM node WHERE brand_id = 1 AND level = 'group' ORDER BY id")[0][0]
    login = 'pa.group.' + uuid.uuid4().hex[:6]
    email = f'{login}@example.com'
    r = srv.admin.call('POST', '/bo/api/users', {'login': login, 'name': 'Admin Groupe',
                                                 'email': email, 'profile': 'admin',
                                                 'node_id': group})
    assert r.status_code == 201, r.text
    return ready(srv, login, spooled_password(srv, email))


def test_every_refused_case_changes_nothing(pa):
    ga = group_admin(pa)
    before, was = config(pa), copies(pa)
    # A production session: 409, the preview too.
    p = as_production(pa.admin)
    for method, body in (('GET', None), ('POST', {})):
        r = p.call(method, ROUTE, body)
        assert r.status_code == 409, r.text
        assert r.json()['error'] == 'environment_unavailable' and 'test' in r.json()['message']
    u = as_test(pa.admin)
    # Not an administrator: the route table's 403.
    c = as_test(pa.consultation)
    for method, body in (('GET', None), ('POST', {})):
        r = c.call(method, ROUTE, body)
        assert r.status_code == 403 and r.json()['error'] == 'forbidden', r.text
    # An administrator of a group, not of the brand: 403 from the handler.
    as_test(ga)
    for method, body in (('GET', None), ('POST', {})):
        r = ga.call(method, ROUTE, body)
        assert r.status_code == 403 and 'brand' in r.json()['message'], r.text
    # Bad JSON, a member not known, no CSRF token.
    r = u.s.post(pa.base + ROUTE, data='{"account_id":', timeout=30,
                 headers={'X-CSRF-Token': u.csrf, 'Content-Type': 'application/json'})
    assert r.status_code == 400 and r.json()['error'] == 'bad_json', r.text
    r = u.call('POST', ROUTE, {'account_id': 'GUICHETDEMO', 'users': True})
    assert r.status_code == 400, r.text
    r = u.call('POST', ROUTE, {}, csrf=None)
    assert r.status_code == 403 and r.json()['error'] == 'csrf', r.text
    # A bad account id.
    for bad in ('', 'A' * 33, 'GUICHETDEMO/TEST', 'deux mots', 12, None, ['X']):
        r = u.call('POST', ROUTE, {'account_id': bad})
        assert r.status_code == 400, (bad, r.text)
        assert r.json()['error'] == 'invalid_field' and r.json()['field'] == 'account_id'
    # Another brand's account id.
    r = u.call('POST', ROUTE, {'account_id': OTHER})
    assert r.status_code == 409 and r.json()['error'] == 'account_id_taken', r.text
    # A new account id: refused, documented (docs/ENVIRONMENTS.md).
    r = u.call('POST', ROUTE, {'account_id': 'NOUVEAUCOMPTE'})
    assert r.status_code == 422 and r.json()['error'] == 'new_account_unavailable', r.text
    assert config(pa) == before and copies(pa) == was
    assert q(pa, "SELECT count(*) FROM brand WHERE pspid = 'NOUVEAUCOMPTE'")[0][0] == 0
    # The production account's own id is the default.
    r = u.call('POST', ROUTE, {'account_id': 'GUICHETDEMO'})
    assert r.status_code == 200 and r.json()['account_id'] == 'GUICHETDEMO', r.text
    as_production(u)
    as_production(c)
