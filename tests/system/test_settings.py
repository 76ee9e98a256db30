"""Parameters › General configuration and Subscribed options of a shop (Vision manual §9.1.1,
§9.1.2; SPEC §11): the identifiers read only, the e-mails, return URLs and immediate return
changed by administrators only, a stale version refused (no lost update), each change in the
action log with before → after, bad input refused with nothing written, and the scope of the
tree and of the brand."""
import json

import pytest

from conftest import Server, q
from test_signin import ready_user
from test_users import ready_user_with, spooled_password

OTHER = 'SETOTHER'
PROFILES = ('admin', 'action', 'consultation', 'entry', 'hmac')


class U:
    def __init__(self, srv, session):
        self.srv, (self.s, self.csrf) = srv, session

    def call(self, method, path, body=None, raw=None):
        h = {'X-CSRF-Token': self.csrf}
        if raw is not None:
            h['Content-Type'] = 'application/json'
            return self.s.request(method, self.srv.base + path, data=raw, headers=h, timeout=30)
        return self.s.request(method, self.srv.base + path, json=body, headers=h, timeout=30)

    def get(self, path):
        return self.call('GET', path)


def two_brands(folder, other, transactions, other_transactions):
    """A server with the demo brand and another (its account id other), a signed-in session of each profile
    (srv.u), the demo brand's shops (srv.shops) and one of the other's (srv.other_shop); a
    generator for a module fixture, which checks the server's log at its stop."""
    srv = Server(folder, transactions=transactions)
    srv.other = srv.add_brand(other, transactions=other_transactions, seed=3)
    srv.start()
    srv.u = {p: U(srv, ready_user(srv, f'demo.{p}')) for p in PROFILES}
    srv.shops = [r[0] for r in q(srv, 'SELECT id FROM shop WHERE brand_id = 1 ORDER BY id')]
    srv.other_shop = q(srv, 'SELECT id FROM shop WHERE brand_id = 2 ORDER BY id LIMIT 1')[0][0]
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log


@pytest.fixture(scope='module')
def st(tmp_path_factory):
    yield from two_brands(str(tmp_path_factory.mktemp('settings')), OTHER, 50, 5)


def node(srv, name):
    return q(srv, 'SELECT id FROM node WHERE brand_id = 1 AND name = ?', (name,))[0][0]


def settings(srv, shop, who='admin'):
    r = srv.u[who].get(f'/bo/api/shops/{shop}/settings')
    assert r.status_code == 200, r.text
    return r.json()


def put(srv, shop, body, who='admin'):
    return srv.u[who].call('PUT', f'/bo/api/shops/{shop}/settings', body)


def log_lines(srv, action):
    return [r[0] for r in q(srv, 'SELECT details FROM action_log WHERE action = ? ORDER BY id',
                            (action,))]


SETTABLE = ('ticket_email', 'report_email', 'integrator_email', 'url_accepted', 'url_refused',
            'url_cancelled', 'url_pending', 'url_notify')


def test_the_identifiers_and_defaults_of_a_shop(st):
    shop = st.shops[0]
    s = settings(st, shop)
    assert s['shop'] == {'id': shop, 'name': 'Boutique en ligne', 'site': '1999888', 'rang': '001'}
    assert s['brand'] == {'name': 'Maison Guichet', 'pspid': 'GUICHETDEMO'}
    methods = sorted(c['payment_method'] for c in s['contracts'])
    assert methods == ['AMEX', 'CB', 'MASTERCARD', 'PAYPAL', 'VISA']
    for c in s['contracts']:
        assert c['number'] and c['active'] is True and c['currency'] == 'EUR'
    assert s['version'] == 0 and s['updated_at'] is None and s['immediate_return'] is False
    assert all(s[f] == '' for f in SETTABLE)
    assert s['editable'] is True
    # Who searches reads them; only the administrator changes them.
    for who in ('action', 'consultation'):
        assert settings(st, shop, who)['editable'] is False
    # An inactive contract reads as such.
    cid = s['contracts'][0]['id']
    q(st, 'UPDATE contract SET active = 0 WHERE id = ?', (cid,))
    try:
        again = settings(st, shop)
        assert next(c for c in again['contracts'] if c['id'] == cid)['active'] is False
    finally:
        q(st, 'UPDATE contract SET active = 1 WHERE id = ?', (cid,))


def test_profiles_that_may_not(st):
    shop = st.shops[1]
    for who in ('entry', 'hmac'):
        for path in ('settings', 'options'):
            r = st.u[who].get(f'/bo/api/shops/{shop}/{path}')
            assert r.status_code == 403, (who, path, r.text)
    for who in ('action', 'consultation', 'entry', 'hmac'):
        r = put(st, shop, {'version': 0, 'ticket_email': 'x@shop.example'}, who)
        assert r.status_code == 403, (who, r.text)
    assert settings(st, shop)['version'] == 0
    # No CSRF token: refused too.
    r = st.u['admin'].s.put(f'{st.base}/bo/api/shops/{shop}/settings',
                            json={'version': 0, 'ticket_email': 'x@shop.example'}, timeout=30)
    assert r.status_code == 403 and r.json()['error'] == 'csrf'


def test_a_change_is_saved_versioned_and_logged(st):
    shop = st.shops[0]
    before = {a: len(log_lines(st, a)) for a in ('settings_emails_changed',
                                                  'settings_urls_changed',
                                                  'settings_immediate_return_changed')}
    r = put(st, shop, {'version': 0, 'ticket_email': 'tickets@rivoli.example',
                       'report_email': 'compta@rivoli.example',
                       'url_accepted': 'https://rivoli.example/merci?x=1',
                       'url_refused': 'https://rivoli.example/refus',
                       'immediate_return': True})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s['version'] == 1 and s['updated_at']
    assert s['ticket_email'] == 'tickets@rivoli.example'
    assert s['url_accepted'] == 'https://rivoli.example/merci?x=1'
    assert s['immediate_return'] is True and s['integrator_email'] == ''
    assert settings(st, shop, 'consultation') | {'editable': True} == s
    emails = log_lines(st, 'settings_emails_changed')[before['settings_emails_changed']:]
    assert emails == ['shop: "Boutique en ligne (1999888/001)"; ticket_email: "" → '
                      '"tickets@rivoli.example"; report_email: "" → "compta@rivoli.example"'] \
        or (len(emails) == 1 and 'ticket_email: "" → "tickets@rivoli.example"' in emails[0]
            and '(1999888/001)' in emails[0])
    urls = log_lines(st, 'settings_urls_changed')[before['settings_urls_changed']:]
    assert len(urls) == 1 and 'url_accepted: "" → "https://rivoli.example/merci?x=1"' in urls[0]
    assert 'url_refused: "" → "https://rivoli.example/refus"' in urls[0]
    assert 'ticket_email' not in urls[0]
    back = log_lines(st, 'settings_immediate_return_changed')
    assert back[before['settings_immediate_return_changed']:][-1].endswith(
        'immediate_return: false → true')
    who = q(st, "SELECT user_login FROM action_log WHERE action = 'settings_urls_changed' "
                "ORDER BY id DESC LIMIT 1")[0][0]
    assert who == 'demo.admin'
    # Another change: only what changed is logged, before → after.
    r = put(st, shop, {'version': 1, 'ticket_email': 'caisse@rivoli.example'})
    assert r.status_code == 200 and r.json()['version'] == 2, r.text
    assert log_lines(st, 'settings_emails_changed')[-1].endswith(
        'ticket_email: "tickets@rivoli.example" → "caisse@rivoli.example"')
    # The same values again: nothing written, the version stays.
    n = len(log_lines(st, 'settings_emails_changed'))
    r = put(st, shop, {'version': 2, 'ticket_email': 'caisse@rivoli.example',
                       'immediate_return': True})
    assert r.status_code == 200 and r.json()['version'] == 2
    assert len(log_lines(st, 'settings_emails_changed')) == n
    # "" takes an address away.
    r = put(st, shop, {'version': 2, 'report_email': '', 'url_refused': ''})
    assert r.status_code == 200 and r.json()['report_email'] == '' and r.json()['version'] == 3
    assert log_lines(st, 'settings_urls_changed')[-1].endswith(
        'url_refused: "https://rivoli.example/refus" → ""')


def test_a_stale_version_is_a_conflict_and_nothing_is_lost(st):
    shop = st.shops[1]
    first = settings(st, shop)
    second = settings(st, shop)  # two administrators read the same version
    r = put(st, shop, {'version': first['version'], 'integrator_email': 'dev@agence.example'})
    assert r.status_code == 200, r.text
    r = put(st, shop, {'version': second['version'], 'integrator_email': 'other@agence.example'})
    assert r.status_code == 409 and r.json()['error'] == 'conflict', r.text
    now = settings(st, shop)
    assert now['integrator_email'] == 'dev@agence.example'
    assert now['version'] == first['version'] + 1
    # A version from the future is no better.
    r = put(st, shop, {'version': now['version'] + 5, 'integrator_email': 'x@agence.example'})
    assert r.status_code == 409
    # Read again, the change goes through.
    r = put(st, shop, {'version': now['version'], 'integrator_email': 'other@agence.example'})
    assert r.status_code == 200 and r.json()['version'] == now['version'] + 1


BAD = [
    ({'ticket_email': 'not-an-address'}, 'ticket_email'),
    ({'report_email': 'a@b'}, 'report_email'),
    ({'integrator_email': 'dev@agence.example\r\nBcc: x@evil.example'}, 'integrator_email'),
    ({'integrator_email': 'dév@agence.example'}, 'integrator_email'),
    ({'ticket_email': 'a b@shop.example'}, 'ticket_email'),
    ({'ticket_email': 'a@shop.example, b@shop.example'}, 'ticket_email'),
    ({'ticket_email': 12}, 'ticket_email'),
    ({'ticket_email': 'x' * 250 + '@shop.example'}, 'ticket_email'),
    ({'url_accepted': 'http://rivoli.example/merci'}, 'url_accepted'),
    ({'url_refused': 'javascript:alert(1)'}, 'url_refused'),
    ({'url_cancelled': '/annule'}, 'url_cancelled'),
    ({'url_pending': 'https://bank.example@evil.example/'}, 'url_pending'),
    ({'url_pending': 'https://rivoli.example/' + 'a' * 600}, 'url_pending'),
    ({'url_accepted': 'https://rivoli.example/a b'}, 'url_accepted'),
    ({'url_accepted': None}, 'url_accepted'),
    ({'immediate_return': 'yes'}, 'immediate_return'),
    ({'immediate_return': 1}, 'immediate_return'),
    ({'colour': 'blue'}, 'colour'),
]


@pytest.mark.parametrize('body,field', BAD)
def test_bad_input_names_the_field_and_writes_nothing(st, body, field):
    shop = st.shops[2]
    was = settings(st, shop)
    lines = q(st, 'SELECT count(*) FROM action_log')[0][0]
    r = put(st, shop, {'version': was['version'], **body})
    assert r.status_code == 400, r.text
    assert r.json()['error'] == 'invalid_field' and r.json()['field'] == field, r.text
    assert settings(st, shop) == was
    assert q(st, 'SELECT count(*) FROM action_log')[0][0] == lines


def test_version_is_required_and_the_body_checked(st):
    shop = st.shops[2]
    was = settings(st, shop)
    for body in ({'ticket_email': 'a@shop.example'}, {'version': -1},
                 {'version': 'one'}, {'version': 1.5}):
        r = put(st, shop, body)
        assert r.status_code == 400 and r.json()['field'] == 'version', (body, r.text)
    r = st.u['admin'].call('PUT', f'/bo/api/shops/{shop}/settings', raw='{"version": 0,')
    assert r.status_code == 400
    r = st.u['admin'].call('PUT', f'/bo/api/shops/{shop}/settings', raw='[]')
    assert r.status_code == 400
    huge = json.dumps({'version': was['version'], 'ticket_email': 'a' * 70000})
    r = st.u['admin'].call('PUT', f'/bo/api/shops/{shop}/settings', raw=huge)
    assert r.status_code == 413, r.text
    assert settings(st, shop) == was


def test_immediate_return_needs_the_accepted_url_and_http_is_for_localhost(st):
    shop = st.shops[2]
    was = settings(st, shop)
    r = put(st, shop, {'version': was['version'], 'immediate_return': True})
    assert r.status_code == 400 and r.json()['field'] == 'url_accepted', r.text
    assert settings(st, shop) == was
    r = put(st, shop, {'version': was['version'], 'immediate_return': True,
                       'url_accepted': 'http://localhost:8080/merci',
                       'url_cancelled': 'http://127.0.0.1/annule',
                       'url_pending': 'https://[2001:db8::1]:8443/attente#haut'})
    assert r.status_code == 200, r.text
    v = r.json()['version']
    # Taking the URL away while immediate return stays on: refused.
    r = put(st, shop, {'version': v, 'url_accepted': ''})
    assert r.status_code == 400 and r.json()['field'] == 'url_accepted'
    r = put(st, shop, {'version': v, 'url_accepted': '', 'immediate_return': False})
    assert r.status_code == 200, r.text


def test_scope_other_brand_group_and_unknown_shops_are_404(st):
    groups = [node(st, 'Boutiques France'), node(st, 'Export')]
    for shop in (st.other_shop, *groups, 999999):
        for path in ('settings', 'options'):
            r = st.u['admin'].get(f'/bo/api/shops/{shop}/{path}')
            assert r.status_code == 404, (shop, path, r.text)
        r = put(st, shop, {'version': 0, 'ticket_email': 'x@shop.example'})
        assert r.status_code == 404, (shop, r.text)
    assert q(st, 'SELECT count(*) FROM shop_settings WHERE brand_id = 2')[0][0] == 0
    # An administrator of a group reaches its shops only.
    admin = st.u['admin']
    r = admin.call('POST', '/bo/api/users', {'login': 'set.export', 'name': 'Export Admin',
                                             'email': 'set.export@example.com',
                                             'profile': 'admin', 'node_id': groups[1]})
    assert r.status_code == 201, r.text
    group = U(st, ready_user_with(st, 'set.export',
                                  spooled_password(st, 'set.export@example.com')))
    export_shop = q(st, 'SELECT id FROM node WHERE parent_id = ?', (groups[1],))[0][0]
    france_shop = q(st, 'SELECT id FROM node WHERE parent_id = ?', (groups[0],))[0][0]
    assert group.get(f'/bo/api/shops/{export_shop}/settings').status_code == 200
    assert group.get(f'/bo/api/shops/{export_shop}/options').status_code == 200
    assert group.get(f'/bo/api/shops/{france_shop}/settings').status_code == 404
    assert group.get(f'/bo/api/shops/{france_shop}/options').status_code == 404
    v = settings(st, france_shop)['version']
    r = group.call('PUT', f'/bo/api/shops/{france_shop}/settings',
                   {'version': v, 'ticket_email': 'x@shop.example'})
    assert r.status_code == 404
    v = settings(st, export_shop)['version']
    r = group.call('PUT', f'/bo/api/shops/{export_shop}/settings',
                   {'version': v, 'ticket_email': 'export@shop.example'})
    assert r.status_code == 200 and r.json()['editable'] is True, r.text


def test_subscribed_options(st):
    shop = st.shops[0]
    r = st.u['consultation'].get(f'/bo/api/shops/{shop}/options')
    assert r.status_code == 200, r.text
    o = r.json()
    assert (o['shop']['site'], o['shop']['rang']) == ('1999888', '001')
    methods = {m['payment_method']: m for m in o['payment_methods']}
    assert sorted(methods) == ['AMEX', 'CB', 'MASTERCARD', 'PAYPAL', 'VISA']
    cb = methods['CB']
    assert cb['three_d_secure'] is True and cb['active'] is True and cb['number']
    assert cb['amount_min'] == 100 and cb['amount_max'] == 500000 and cb['currency'] == 'EUR'
    assert cb['capture'] == ('deferred' if cb['deferral_days'] > 0 else 'immediate')
    options = {x['code']: x['subscribed'] for x in o['options']}
    assert options['three_d_secure'] is True and options['virtual_terminal'] is True
    assert options['subscriptions'] is True and options['installments'] is True
    assert options['authorization_only'] is True
    # Options follow the active contracts: with only PayPal left, no card option remains.
    q(st, "UPDATE contract SET active = 0 WHERE shop_id = ? AND method <> 'PAYPAL'", (shop,))
    try:
        o = st.u['admin'].get(f'/bo/api/shops/{shop}/options').json()
        options = {x['code']: x['subscribed'] for x in o['options']}
        assert options['three_d_secure'] is False and options['virtual_terminal'] is False
        assert options['subscriptions'] is False and options['authorization_only'] is True
        assert len(o['payment_methods']) == 5
    finally:
        q(st, 'UPDATE contract SET active = 1 WHERE shop_id = ?', (shop,))


def test_routes_are_in_the_table(st):
    r = st.u['admin'].get('/bo/api/session')
    allowed = set(r.json()['allowed'])
    for route in ('GET /bo/api/shops/{id}/settings', 'PUT /bo/api/shops/{id}/settings',
                  'GET /bo/api/shops/{id}/options'):
        assert route in allowed
    allowed = set(st.u['consultation'].get('/bo/api/session').json()['allowed'])
    assert 'GET /bo/api/shops/{id}/settings' in allowed
    assert 'PUT /bo/api/shops/{id}/settings' not in allowed


def test_the_daily_report_goes_to_the_shops_report_address(st):
    """The télécollecte's report mail: the shop's report address when it has one, else the
    contract's own (store/sql/batches.c batch_finish)."""
    import os
    import subprocess
    from conftest import GUICHETD
    shop, other = st.shops[2], st.shops[1]
    v = settings(st, shop)['version']
    r = put(st, shop, {'version': v, 'report_email': 'rapport@export.example'})
    assert r.status_code == 200, r.text
    assert settings(st, other)['report_email'] == ''
    for i in (0, 1, 2):  # a payment to send in every shop
        assert st.pay(shop=i).status_code == 201
    before = q(st, 'SELECT coalesce(max(id), 0) FROM mail_outbox')[0][0]
    out = subprocess.run([GUICHETD, 'batch', 'run', '--db', st.db, '--date', st.paris_day(5),
                          '--spool', os.path.join(st.tmp, 'spool'), *st.clock()],
                         capture_output=True, text=True, timeout=120, env=st.env)
    assert out.returncode == 0, out.stderr
    sent = q(st, 'SELECT m.recipient, b.shop_id FROM mail_outbox m JOIN batch b ON '
                 'm.created_at = b.created_at AND m.node_id = b.shop_id WHERE m.id > ?',
             (before,))
    by_shop = {}
    for recipient, shop_id in sent:
        by_shop.setdefault(shop_id, set()).add(recipient)
    assert by_shop[shop] == {'rapport@export.example'}, by_shop
    contract_addresses = {r[0] for r in q(st, 'SELECT report_email FROM contract WHERE '
                                              'shop_id = ?', (other,))}
    assert by_shop[other] and by_shop[other] <= contract_addresses, by_shop
