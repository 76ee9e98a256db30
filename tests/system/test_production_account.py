"""Create production account (Ingenico guide §3.2.9; issue 15; docs/ENVIRONMENTS.md): a brand
administrator signed in to the test environment copies its configuration (shops' settings,
templates, fraud filters, the tree) into production; production's transactions, keys,
contracts and users stay; the test account stays; one action-log line; every refused case
changes nothing; a second copy duplicates nothing."""
import time
import uuid

import pytest

from conftest import Server, q
from test_access import ready
from test_environments import pay_with
from test_hmac_keys import STRONG, activate, token_of
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
            q(srv, 'SELECT id, brand_id, site, rang, name, url, env FROM shop WHERE brand_id '
                   'IN (1, -1) ORDER BY id'),
            q(srv, 'SELECT * FROM shop_settings WHERE brand_id IN (1, -1) ORDER BY shop_id'),
            q(srv, 'SELECT brand_id, shop_id, title_fr, token, version FROM page_theme '
                   'WHERE brand_id IN (1, -1) ORDER BY brand_id, shop_id'),
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
    # The test environment's shops, for a new account's SITE and RANG.
    assert [(s['id'], s['name'], s['site'], s['rang']) for s in body['shops']] == q(
        pa, 'SELECT id, name, site, rang FROM shop WHERE brand_id = -1 ORDER BY id')
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
    # A new account id without its administrator and shops: what it needs is said.
    r = u.call('POST', ROUTE, {'account_id': 'NOUVEAUCOMPTE'})
    assert r.status_code == 422 and r.json()['error'] == 'new_account_incomplete', r.text
    assert 'administrator' in r.json()['message'] and 'shops' in r.json()['message']
    assert config(pa) == before and copies(pa) == was
    assert q(pa, "SELECT count(*) FROM brand WHERE pspid = 'NOUVEAUCOMPTE'")[0][0] == 0
    # The production account's own id is the default.
    r = u.call('POST', ROUTE, {'account_id': 'GUICHETDEMO'})
    assert r.status_code == 200 and r.json()['account_id'] == 'GUICHETDEMO', r.text
    as_production(u)
    as_production(c)


# --- under another account id: a new production account ------------------------------------


NEW = 'NOUVEAUCOMPTE'


def shops_in_test(srv):
    return [r[0] for r in q(srv, 'SELECT id FROM shop WHERE brand_id = -1 ORDER BY id')]


def new_shops(srv, first=8800000):
    return [{'id': s, 'site': str(first + i), 'rang': '01'} for i, s in enumerate(shops_in_test(srv))]


def new_account(srv, login='nouveau.admin', **admin):
    return {'account_id': NEW, 'administrator': {'login': login, **admin},
            'shops': new_shops(srv)}


def everything(srv):
    """Every row a refused new account could have written."""
    return [q(srv, 'SELECT * FROM brand ORDER BY id'), q(srv, 'SELECT * FROM node ORDER BY id'),
            q(srv, 'SELECT id, brand_id, site, rang, name, url, env FROM shop ORDER BY id'),
            q(srv, 'SELECT * FROM shop_settings ORDER BY brand_id, shop_id'),
            q(srv, 'SELECT brand_id, shop_id, token, version FROM page_theme ORDER BY shop_id'),
            q(srv, 'SELECT id, brand_id, login FROM user ORDER BY id'),
            q(srv, 'SELECT count(*) FROM mail_outbox'), copies(srv)]


def test_a_refused_new_account_says_why_and_makes_nothing(pa):
    u = as_test(pa.admin)
    before = everything(pa)
    good = new_account(pa)
    # Every bad member at once.
    r = u.call('POST', ROUTE, {'account_id': NEW, 'administrator': {'login': 'X',
                                                                   'email': 'pas-un-mail'},
                               'shops': 'tous'})
    assert r.status_code == 400 and r.json()['error'] == 'invalid_field', r.text
    assert [e['field'] for e in r.json()['errors']] == [
        'administrator.login', 'administrator.email', 'shops']
    # One without the other.
    for body, missing in (({'account_id': NEW, 'administrator': good['administrator']}, 'shops'),
                          ({'account_id': NEW, 'shops': good['shops']}, 'administrator')):
        r = u.call('POST', ROUTE, body)
        assert r.status_code == 400, r.text
        assert [(e['field'], e['error']) for e in r.json()['errors']] == [(missing, 'required')]
    # The administrator: an object of the user's members, no profile or node of its own.
    for admin in ('nouveau.admin', {'login': 'nouveau.admin', 'profile': 'consultation'},
                  {'login': 'nouveau.admin', 'node_id': 1}, {},
                  {'login': 'nouveau.admin', 'language': 'de'}):
        r = u.call('POST', ROUTE, dict(good, administrator=admin))
        assert r.status_code == 400 and r.json()['field'].startswith('administrator'), (admin,
                                                                                    r.text)
    # The shops: each {"id", "site", "rang"}, 7 and 2 or 3 digits, each shop and pair once.
    first = good['shops'][0]
    for bad in ([], [first] * 2, good['shops'] + [dict(first, id=first['id'] + 100000)],
                  [dict(first, site='123456')], [dict(first, site='12345678')],
                  [dict(first, rang='1')], [dict(first, rang='0001')],
                  [dict(first, site='12345a7')], [dict(first, site=1234567)],
                  [dict(first, extra=1)], [dict(first, id='1')], [dict(first, id=-1)], ['x'],
                  {'id': 1}, [dict(s, site=first['site'], rang=first['rang'])
                              for s in good['shops'][:2]]):
        r = u.call('POST', ROUTE, dict(good, shops=bad))
        assert r.status_code == 400 and r.json()['field'] == 'shops', (bad, r.text)
    # The brand's own account id is updated by the copy, not made again.
    r = u.call('POST', ROUTE, dict(good, account_id='GUICHETDEMO'))
    assert r.status_code == 422 and r.json()['error'] == 'not_a_new_account', r.text
    r = u.call('POST', ROUTE, {'administrator': good['administrator'], 'shops': good['shops']})
    assert r.status_code == 422 and r.json()['error'] == 'not_a_new_account', r.text
    # Another brand's account id.
    r = u.call('POST', ROUTE, dict(good, account_id=OTHER))
    assert r.status_code == 409 and r.json()['error'] == 'account_id_taken', r.text
    # A test shop left out, and one that is not the test environment's.
    r = u.call('POST', ROUTE, dict(good, shops=good['shops'][1:]))
    assert r.status_code == 422 and r.json()['error'] == 'shops_mismatch', r.text
    assert r.json()['shops'] == [{'id': first['id'], 'problem': 'missing'}]
    prod = shops(pa)[0]
    r = u.call('POST', ROUTE, dict(good, shops=good['shops'][1:] + [dict(first, id=prod)]))
    assert r.status_code == 422 and r.json()['shops'] == [
        {'id': first['id'], 'problem': 'missing'}, {'id': prod, 'problem': 'unknown'}], r.text
    # A SITE and RANG production has: which shop is said.
    site, rang = q(pa, 'SELECT site, rang FROM shop WHERE id = ?', (prod,))[0]
    last = good['shops'][-1]
    r = u.call('POST', ROUTE, dict(good, shops=good['shops'][:-1] + [
        dict(last, site=site, rang=rang)]))
    assert r.status_code == 409 and r.json()['error'] == 'site_rang_taken', r.text
    assert r.json()['shop'] == last['id']
    # A login another user has.
    r = u.call('POST', ROUTE, new_account(pa, login='demo.consultation'))
    assert r.status_code == 409 and r.json()['error'] == 'login_taken', r.text
    # Not an administrator of the brand; a production session.
    c = as_test(pa.consultation)
    assert c.call('POST', ROUTE, good).status_code == 403
    as_production(c)
    p = as_production(pa.admin)
    r = p.call('POST', ROUTE, good)
    assert r.status_code == 409 and r.json()['error'] == 'environment_unavailable', r.text
    assert everything(pa) == before


def test_a_new_account_under_another_account_id(pa):
    u = as_test(pa.admin)
    tshops, tnodes = shops_in_test(pa), q(pa, 'SELECT count(*) FROM node WHERE brand_id = -1')[0][0]
    before = [kept(pa)[i] for i in (0, 1, 2, 4)], config(pa)
    body = new_account(pa, email='nouveau@example.com')
    r = u.call('POST', ROUTE, body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got['account_id'] == NEW and got['new_account'] is True
    assert got['administrator'] == {'login': 'nouveau.admin', 'email': 'nouveau@example.com'}
    assert got['added'] == {'nodes': tnodes, 'shops': len(tshops)}
    c = counts(got)
    assert c['tree'] == tnodes and c['shops'] == len(tshops) and c['fraud_filters'] == 0
    assert c['shop_settings'] == q(pa, 'SELECT count(*) FROM shop_settings WHERE brand_id = '
                                       '-1')[0][0] > 0
    assert c['page_templates'] == q(pa, 'SELECT count(*) FROM page_theme WHERE brand_id = '
                                        '-1')[0][0] > 0
    # The new brand: production, the tree's shape and names, its shops with the new SITE and
    # RANG, their settings and templates; no contract, key, transaction or blocklist entry.
    brand = q(pa, "SELECT id FROM brand WHERE pspid = ? AND env = 'production'", (NEW,))[0][0]
    assert q(pa, 'SELECT retention_days, second_factor_required FROM brand WHERE id = ?',
             (brand,)) == q(pa, 'SELECT retention_days, second_factor_required FROM brand '
                                'WHERE id = 1')

    def shape(b):
        return q(pa, 'SELECT n.level, n.name, coalesce(p.name, \'\'), s.name, s.url FROM node n '
                     'LEFT JOIN node p ON p.id = n.parent_id LEFT JOIN shop s ON s.id = n.id '
                     'WHERE n.brand_id = ? ORDER BY n.id', (b,))
    assert shape(brand) == shape(-1)
    made = q(pa, 'SELECT site, rang, env FROM shop WHERE brand_id = ? ORDER BY id', (brand,))
    assert made == [(s['site'], '001', 'production') for s in body['shops']]

    def settings(b):
        return q(pa, 'SELECT s.ticket_email, s.url_accepted, s.url_notify, n.name FROM '
                     'shop_settings s JOIN node n ON n.id = s.shop_id WHERE s.brand_id = ? '
                     'ORDER BY s.shop_id', (b,))
    assert settings(brand) == settings(-1)
    assert q(pa, 'SELECT title_fr, primary_color, token FROM page_theme WHERE brand_id = ?',
             (brand,)) == q(pa, 'SELECT title_fr, primary_color, token FROM page_theme WHERE '
                                'brand_id = -1')
    for table in ('contract', 'hmac_key', 'txn', 'block_entry'):
        assert q(pa, f'SELECT count(*) FROM {table} WHERE brand_id IN (?, ?)',
                 (brand, -brand))[0][0] == 0, table
    # Its own test environment, made at once.
    assert q(pa, "SELECT pspid, env FROM brand WHERE twin_id = ?", (brand,)) == [
        (NEW + '/TEST', 'test')]
    assert q(pa, 'SELECT count(*) FROM shop WHERE brand_id = ?', (-brand,))[0][0] == len(tshops)
    # Its first administrator: at the top of its tree, the requester's name, a temporary
    # password by mail.
    assert q(pa, "SELECT u.profile, n.parent_id IS NULL, u.must_change, u.name FROM user u "
                 "JOIN node n ON n.id = u.node_id WHERE u.login = 'nouveau.admin' AND "
                 "u.brand_id = ?", (brand,)) == [
        ('admin', 1, 1, q(pa, "SELECT name FROM user WHERE login = 'demo.admin'")[0][0])]
    # One line in each account's log.
    lines = q(pa, "SELECT brand_id, user_login, target_login, details FROM action_log WHERE "
                  "action = 'production_account_created' AND details LIKE ?",
              (f'account_id: {NEW};%',))
    assert [(b, who, target) for b, who, target, _ in lines] == [
        (1, 'demo.admin', ''), (brand, 'demo.admin', 'nouveau.admin')]
    assert 'new_account: true' in lines[0][3] and 'administrator: nouveau.admin' in lines[0][3]
    # The test account and the production account it came from: as they were.
    assert [kept(pa)[i] for i in (0, 1, 2, 4)] == before[0] and config(pa) == before[1]
    # The new administrator signs in to the new account and sees its tree.
    admin = ready(pa, 'nouveau.admin', spooled_password(pa, 'nouveau@example.com'))
    me = admin.call('GET', '/bo/api/me').json()
    assert me['login'] == 'nouveau.admin'
    tree = admin.call('GET', '/bo/api/tree')
    assert tree.status_code == 200, tree.text
    assert sorted((n['name'], n['site'] or '') for n in tree.json()['nodes']) == sorted(
        q(pa, "SELECT n.name, coalesce(s.site, '') FROM node n LEFT JOIN shop s ON s.id = n.id "
              "WHERE n.brand_id = ?", (brand,)))
    # The same id again: the account exists now.
    r = u.call('POST', ROUTE, body)
    assert r.status_code == 409 and r.json()['error'] == 'account_id_taken', r.text
    as_production(u)
    # Its shops reach the merchant API without a restart: its HMAC manager, a user the
    # administrator makes, makes a key for one and activates it, and a request signed with it
    # is the shop's (no contract yet: 422, not the unknown shop's 401).
    new_shop = q(pa, 'SELECT id, site, rang FROM shop WHERE brand_id = ? ORDER BY id',
                 (brand,))[0]
    r = admin.call('POST', '/bo/api/users', {'login': 'nouveau.hmac', 'name': 'Clés',
                                             'email': 'nouveau.hmac@example.com',
                                             'profile': 'hmac'})
    assert r.status_code == 201, r.text
    keeper = ready(pa, 'nouveau.hmac', spooled_password(pa, 'nouveau.hmac@example.com'))
    r = keeper.call('POST', '/bo/api/hmac-keys', {'shop_id': new_shop[0], 'env': 'production',
                                                  'passphrase': STRONG})
    assert r.status_code == 201, r.text
    key = r.json()['key']
    assert activate(pa, token_of(pa, r.json()['id'])[0]).status_code == 200
    deadline, paid = time.time() + 10, None
    while time.time() < deadline:
        paid = pa.api('POST', '/api/v1/payments', {
            'amount': 1500, 'currency': 'EUR', 'order_ref': 'NOUVEAU-1',
            'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'},
            'capture': 'auto'}, shop={'site': new_shop[1], 'rang': new_shop[2]}, key=key)
        if paid.status_code != 401:
            break
        time.sleep(0.2)
    assert paid.status_code == 422, paid.text
