"""The store (Vision manual §12) and the contact form (§2.3.1; SPEC §14): the methods a shop
has not opened, a request to open one mailed to the operator (--operator-email) through the
outbox, the contact form's mail with the identifiers the support needs, Reply-To the user and
a copy when asked; every refusal (profile, scope, another brand, bad input, huge bodies, a
method already open or asked), the action log, and the per-user limit."""
import email
import email.policy
import glob
import json
import os
import time

import pytest

from conftest import Server, q
from test_settings import U
from test_signin import ready_user
from test_users import ready_user_with, spooled_password

OPERATOR = 'support@operator.example'
OTHER = 'STOREOTHER'
PROFILES = ('admin', 'action', 'consultation', 'entry', 'hmac')


@pytest.fixture(scope='module')
def sc(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('store')), transactions=50)
    srv.other = srv.add_brand(OTHER, transactions=5, seed=3)
    srv.start('--operator-email', OPERATOR)
    srv.u = {p: U(srv, ready_user(srv, f'demo.{p}')) for p in PROFILES}
    srv.shops = [r[0] for r in q(srv, 'SELECT id FROM shop WHERE brand_id = 1 ORDER BY id')]
    srv.other_shop = q(srv, 'SELECT id FROM shop WHERE brand_id = 2 ORDER BY id LIMIT 1')[0][0]
    srv.other_contract = q(srv, 'SELECT id FROM contract WHERE brand_id = 2 LIMIT 1')[0][0]
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log


def email_of(srv, login):
    return q(srv, 'SELECT email FROM user WHERE login = ?', (login,))[0][0]


def spooled(srv):
    """Every spooled mail, parsed, with its file name."""
    out = []
    for path in sorted(glob.glob(os.path.join(srv.tmp, 'spool', '*.eml'))):
        with open(path, 'rb') as f:
            out.append(email.message_from_bytes(f.read(), policy=email.policy.default))
    return out


def addr(header):
    """The one address of a parsed header, or None."""
    return header.addresses[0].addr_spec if header is not None else None


def wait_mails(srv, pred, n=1, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [m for m in spooled(srv) if pred(m)]
        if len(found) >= n:
            return found
        time.sleep(0.1)
    raise AssertionError('no such mail')


def last_action(srv, action):
    rows = q(srv, 'SELECT user_login, details FROM action_log WHERE action = ? ORDER BY id '
                  'DESC LIMIT 1', (action,))
    return rows[0] if rows else None


def store(srv, shop, who='admin'):
    r = srv.u[who].get(f'/bo/api/shops/{shop}/store')
    assert r.status_code == 200, r.text
    return r.json()


# --- the store ------------------------------------------------------------------------------


def test_the_store_lists_the_methods_a_shop_has_not_opened(sc):
    s = store(sc, sc.shops[0])
    assert (s['shop']['site'], s['shop']['rang']) == ('1999888', '001')
    methods = [i['payment_method'] for i in s['items']]
    assert methods == ['E-BLEUE', 'JCB']  # the demo's shops have CB, VISA, MC, AMEX, PAYPAL
    jcb = s['items'][1]
    assert jcb['provider'] == 'JCB International' and jcb['request'] is None
    assert jcb['description']['fr'] and jcb['description']['en']
    assert s['may_request'] is True
    assert store(sc, sc.shops[0], 'consultation')['may_request'] is False
    # A contract, even inactive, is a method opened: it leaves the store.
    q(sc, "UPDATE contract SET active = 0 WHERE shop_id = ? AND method = 'AMEX'", (sc.shops[0],))
    assert 'AMEX' not in [i['payment_method'] for i in store(sc, sc.shops[0])['items']]
    q(sc, "DELETE FROM contract WHERE shop_id = ? AND method = 'AMEX' AND NOT EXISTS (SELECT 1 "
          "FROM txn WHERE contract_id = contract.id)", (sc.shops[2],))
    if not q(sc, "SELECT 1 FROM contract WHERE shop_id = ? AND method = 'AMEX'", (sc.shops[2],)):
        items = {i['payment_method']: i for i in store(sc, sc.shops[2])['items']}
        assert items['AMEX']['provider'] == 'American Express'
    q(sc, "UPDATE contract SET active = 1 WHERE shop_id = ? AND method = 'AMEX'", (sc.shops[0],))


def test_a_request_is_mailed_to_the_operator_and_logged(sc):
    shop = sc.shops[0]
    admin_email = email_of(sc, 'demo.admin')
    r = sc.u['admin'].call('POST', '/bo/api/store/requests',
                           {'shop_id': shop, 'method': 'JCB',
                            'message': 'Nos clients japonais la demandent.\nMerci !'})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body['shop_id'] == shop and body['payment_method'] == 'JCB'
    assert body['requested_at'] and body['pending_until'] > body['requested_at']
    m = wait_mails(sc, lambda m: addr(m['To']) == OPERATOR and '[Store]' in m['Subject'])[0]
    assert m['Subject'] == '[Store] GUICHETDEMO 1999888/001: JCB'
    assert addr(m['Reply-To']) == admin_email
    text = m.get_content().replace('\r\n', '\n')
    for line in ('PSPID): GUICHETDEMO', 'SITE: 1999888', 'RANG: 001', 'JCB (JCB International)',
                 'Nos clients japonais la demandent.\nMerci !', 'demo.admin'):
        assert line in text, line
    assert q(sc, 'SELECT node_id FROM mail_outbox WHERE recipient = ? ORDER BY id DESC LIMIT 1',
             (OPERATOR,))[0][0] == shop
    assert last_action(sc, 'store_request') == (
        'demo.admin', 'shop: "Boutique en ligne (1999888/001)"; method: "JCB"')
    # The store shows it pending; asked again while pending: 409, nothing mailed.
    item = next(i for i in store(sc, shop)['items'] if i['payment_method'] == 'JCB')
    assert item['request']['id'] == body['id']
    n = q(sc, 'SELECT count(*) FROM mail_outbox')[0][0]
    r = sc.u['admin'].call('POST', '/bo/api/store/requests', {'shop_id': shop, 'method': 'JCB'})
    assert r.status_code == 409 and r.json()['error'] == 'already_requested', r.text
    # Another shop may ask for the same method.
    r = sc.u['admin'].call('POST', '/bo/api/store/requests', {'shop_id': sc.shops[1],
                                                               'method': 'JCB'})
    assert r.status_code == 202, r.text
    assert q(sc, 'SELECT count(*) FROM mail_outbox')[0][0] == n + 1
    # Seven days later, it may be asked again (a reminder).
    q(sc, 'UPDATE store_request SET created_at = created_at - 7 * 86400000000 - 1 WHERE id = ?',
      (body['id'],))
    assert next(i for i in store(sc, shop)['items']
                if i['payment_method'] == 'JCB')['request'] is None


def test_request_refusals(sc):
    admin = sc.u['admin']
    shop = sc.shops[2]
    n = q(sc, 'SELECT count(*) FROM store_request')[0][0]
    lines = q(sc, 'SELECT count(*) FROM action_log')[0][0]
    cases = [
        ({'shop_id': shop, 'method': 'VISA'}, 409, 'already_open', None),
        ({'shop_id': shop, 'method': 'DINERS'}, 400, 'invalid_field', 'method'),
        ({'shop_id': shop, 'method': ''}, 400, 'invalid_field', 'method'),
        ({'shop_id': shop}, 400, 'invalid_field', 'method'),
        ({'method': 'JCB'}, 400, 'invalid_field', 'shop_id'),
        ({'shop_id': 'x', 'method': 'JCB'}, 400, 'invalid_field', 'shop_id'),
        ({'shop_id': shop, 'method': 'JCB', 'message': 'a\x07b'}, 400, 'invalid_field',
         'message'),
        ({'shop_id': shop, 'method': 'JCB', 'message': 'x' * 1001}, 400, 'invalid_field',
         'message'),
        ({'shop_id': shop, 'method': 'JCB', 'message': 'a\u202eb'}, 400, 'invalid_field',
         'message'),
        ({'shop_id': shop, 'method': 'JCB', 'cc': 'x'}, 400, 'invalid_field', 'cc'),
        ({'shop_id': sc.other_shop, 'method': 'JCB'}, 404, 'unknown_shop', None),
        ({'shop_id': sc.shops[0] + 100000, 'method': 'JCB'}, 404, 'unknown_shop', None),
    ]
    for body, status, code, field in cases:
        r = admin.call('POST', '/bo/api/store/requests', body)
        assert r.status_code == status and r.json()['error'] == code, (body, r.text)
        if field:
            assert r.json()['field'] == field, (body, r.text)
    group = q(sc, "SELECT id FROM node WHERE brand_id = 1 AND level = 'group' LIMIT 1")[0][0]
    r = admin.call('POST', '/bo/api/store/requests', {'shop_id': group, 'method': 'JCB'})
    assert r.status_code == 404
    r = admin.call('POST', '/bo/api/store/requests', raw='x' * 20000)
    assert r.status_code == 413
    for who in ('action', 'consultation', 'entry', 'hmac'):
        r = sc.u[who].call('POST', '/bo/api/store/requests', {'shop_id': shop, 'method': 'JCB'})
        assert r.status_code == 403, (who, r.text)
    for who in ('entry', 'hmac'):
        assert sc.u[who].get(f'/bo/api/shops/{shop}/store').status_code == 403
    assert sc.u['admin'].get(f'/bo/api/shops/{sc.other_shop}/store').status_code == 404
    assert q(sc, 'SELECT count(*) FROM store_request')[0][0] == n
    assert q(sc, 'SELECT count(*) FROM action_log')[0][0] == lines


# --- the contact form -----------------------------------------------------------------------


def test_every_profile_reaches_the_form(sc):
    for who in PROFILES:
        r = sc.u[who].get('/bo/api/contact')
        assert r.status_code == 200, (who, r.text)
        form = r.json()
        assert form['email'] == email_of(sc, f'demo.{who}')
        assert len(form['contracts']) == 15  # 3 shops × 5 contracts, the brand's node
        c = form['contracts'][0]
        assert set(c) == {'id', 'number', 'payment_method', 'active', 'shop_id', 'shop_name',
                          'site', 'rang'}
        assert form['details_max'] == 4000 and form['subject_max'] == 100
        assert all(x['id'] != sc.other_contract for x in form['contracts'])


def test_a_contact_request_mails_the_operator_and_a_copy(sc):
    u = sc.u['consultation']
    contract = next(c for c in u.get('/bo/api/contact').json()['contracts']
                    if c['payment_method'] == 'VISA' and c['rang'] == '002')
    mine = 'claire.compta@maison.example'
    r = u.call('POST', '/bo/api/contact', {
        'contract_id': contract['id'], 'email': mine, 'subject': 'Remise manquante',
        'details': 'La remise du 12 n’apparaît pas.\r\nPouvez-vous vérifier ?\n\tMerci',
        'copy': True})
    assert r.status_code == 202, r.text
    assert r.json() == {'sent': True, 'copy': True}
    m = wait_mails(sc, lambda m: addr(m['To']) == OPERATOR and '[Contact]' in m['Subject'])[-1]
    assert m['Subject'] == '[Contact] GUICHETDEMO 1999888/002: Remise manquante'
    assert addr(m['Reply-To']) == mine
    text = m.get_content().replace('\r\n', '\n')
    for line in ('SITE: 1999888', 'RANG: 002', f'VISA {contract["number"]}',
                 'PSPID): GUICHETDEMO', 'Objet / Subject: Remise manquante',
                 'La remise du 12 n’apparaît pas.', 'Pouvez-vous vérifier ?', f'E-mail: {mine}',
                 'demo.consultation'):
        assert line in text, line
    copy = wait_mails(sc, lambda m: addr(m['To']) == mine)[-1]
    assert copy['Subject'] == 'Copie / Copy: Remise manquante'
    assert addr(copy['Reply-To']) == OPERATOR
    assert 'Pouvez-vous vérifier ?' in copy.get_content()
    user, details = last_action(sc, 'contact_sent')
    assert user == 'demo.consultation'
    assert details == (f'contract: "VISA {contract["number"]}"; shop: "Application mobile '
                       f'(1999888/002)"; email: "{mine}"; subject: "Remise manquante"; '
                       'copy: true')
    # No copy unless asked; no subject is fine.
    n = len(spooled(sc))
    before = q(sc, 'SELECT count(*) FROM mail_outbox')[0][0]
    r = sc.u['action'].call('POST', '/bo/api/contact', {
        'contract_id': contract['id'], 'email': email_of(sc, 'demo.action'),
        'details': 'Question.', 'subject': ''})
    assert r.status_code == 202 and r.json()['copy'] is False, r.text
    assert q(sc, 'SELECT count(*) FROM mail_outbox')[0][0] == before + 1
    m = wait_mails(sc, lambda m: '(sans objet / no subject)' in m['Subject'])[-1]
    assert addr(m['To']) == OPERATOR
    assert len(spooled(sc)) >= n + 1


def test_the_entry_and_hmac_profiles_write_too(sc):
    for who in ('entry', 'hmac'):
        u = sc.u[who]
        contract = u.get('/bo/api/contact').json()['contracts'][0]
        r = u.call('POST', '/bo/api/contact', {'contract_id': contract['id'],
                                               'email': email_of(sc, f'demo.{who}'),
                                               'details': f'Une question de {who}.'})
        assert r.status_code == 202, (who, r.text)
        assert last_action(sc, 'contact_sent')[0] == f'demo.{who}'


def test_contact_refusals_write_nothing(sc):
    u = sc.u['admin']
    contract = u.get('/bo/api/contact').json()['contracts'][0]['id']
    good = {'contract_id': contract, 'email': 'a@shop.example', 'details': 'x'}
    mails = q(sc, 'SELECT count(*) FROM mail_outbox')[0][0]
    lines = q(sc, 'SELECT count(*) FROM action_log')[0][0]
    cases = [
        ({'details': 'x', 'email': 'a@shop.example'}, 400, 'contract_id'),
        ({**good, 'contract_id': 'x'}, 400, 'contract_id'),
        ({**good, 'email': None}, 400, 'email'),
        ({**good, 'email': 'not-an-address'}, 400, 'email'),
        ({**good, 'email': 'a@shop.example\r\nBcc: b@evil.example'}, 400, 'email'),
        ({**good, 'email': 'a@shop.example, b@shop.example'}, 400, 'email'),
        ({**good, 'details': ''}, 400, 'details'),
        ({**good, 'details': None}, 400, 'details'),
        ({'contract_id': contract, 'email': 'a@shop.example'}, 400, 'details'),
        ({**good, 'details': 'x' * 4001}, 400, 'details'),
        ({**good, 'details': 'a\x1bb'}, 400, 'details'),
        ({**good, 'details': 'a\rb'}, 400, 'details'),
        ({**good, 'details': 'a\u2028b'}, 400, 'details'),
        ({**good, 'subject': 'x' * 101}, 400, 'subject'),
        ({**good, 'subject': 'a\nb'}, 400, 'subject'),
        ({**good, 'copy': 'yes'}, 400, 'copy'),
        ({**good, 'bcc': 'b@evil.example'}, 400, 'bcc'),
    ]
    for body, status, field in cases:
        r = u.call('POST', '/bo/api/contact', body)
        assert r.status_code == status, (body, r.text)
        assert r.json()['error'] == 'invalid_field' and r.json()['field'] == field, (body, r.text)
    for cid in (sc.other_contract, 999999):
        r = u.call('POST', '/bo/api/contact', {**good, 'contract_id': cid})
        assert r.status_code == 404 and r.json()['error'] == 'unknown_contract', r.text
    r = u.call('POST', '/bo/api/contact', raw=json.dumps({**good, 'details': 'x' * 17000}))
    assert r.status_code == 413, r.text
    r = u.call('POST', '/bo/api/contact', raw='{"details":')
    assert r.status_code == 400
    r = u.s.post(sc.base + '/bo/api/contact', json=good, timeout=30)  # no CSRF token
    assert r.status_code == 403
    assert q(sc, 'SELECT count(*) FROM mail_outbox')[0][0] == mails
    assert q(sc, 'SELECT count(*) FROM action_log')[0][0] == lines


def test_a_group_user_writes_about_their_contracts_only(sc):
    admin = sc.u['admin']
    export = q(sc, "SELECT id FROM node WHERE brand_id = 1 AND name = 'Export'")[0][0]
    r = admin.call('POST', '/bo/api/users', {'login': 'contact.export', 'name': 'Export',
                                             'email': 'contact.export@example.com',
                                             'profile': 'consultation', 'node_id': export})
    assert r.status_code == 201, r.text
    g = U(sc, ready_user_with(sc, 'contact.export',
                              spooled_password(sc, 'contact.export@example.com')))
    form = g.get('/bo/api/contact').json()
    assert {c['site'] + '/' + c['rang'] for c in form['contracts']} == {'1999889/001'}
    france = q(sc, "SELECT c.id FROM contract c JOIN shop s ON s.id = c.shop_id WHERE "
                   "s.site = '1999888' LIMIT 1")[0][0]
    r = g.call('POST', '/bo/api/contact', {'contract_id': france, 'email': 'x@shop.example',
                                           'details': 'x'})
    assert r.status_code == 404
    export_shop = q(sc, "SELECT id FROM shop WHERE site = '1999889' AND env = 'production'")[0][0]
    assert g.get(f'/bo/api/shops/{export_shop}/store').status_code == 200
    assert g.get(f'/bo/api/shops/{sc.shops[0]}/store').status_code == 404


def test_a_user_sends_five_mails_a_minute(sc):
    admin = sc.u['admin']
    r = admin.call('POST', '/bo/api/users', {'login': 'contact.flood', 'name': 'Flood',
                                             'email': 'contact.flood@example.com',
                                             'profile': 'consultation'})
    assert r.status_code == 201, r.text
    u = U(sc, ready_user_with(sc, 'contact.flood',
                              spooled_password(sc, 'contact.flood@example.com')))
    contract = u.get('/bo/api/contact').json()['contracts'][0]['id']
    body = {'contract_id': contract, 'email': 'contact.flood@example.com', 'details': 'x'}
    # Refused requests do not count.
    for _ in range(6):
        assert u.call('POST', '/bo/api/contact', {**body, 'contract_id': 999999}
                      ).status_code == 404
    for i in range(5):
        r = u.call('POST', '/bo/api/contact', body)
        assert r.status_code == 202, (i, r.text)
    r = u.call('POST', '/bo/api/contact', body)
    assert r.status_code == 429, r.text
    assert r.json()['error'] == 'too_many_requests'
    assert 1 <= int(r.headers['Retry-After']) <= 12
    # Another user is not held back.
    r = sc.u['hmac'].call('POST', '/bo/api/contact', {**body, 'email': 'h@shop.example'})
    assert r.status_code == 202, r.text
    assert q(sc, "SELECT count(*) FROM action_log WHERE action = 'contact_sent' AND "
                 "user_login = 'contact.flood'")[0][0] == 5


def test_the_operator_address_is_checked_at_start(sc, tmp_path):
    import subprocess
    from conftest import GUICHETD
    for bad in ('not-an-address', 'a b@x.example', 'a@x.example\nb'):
        out = subprocess.run([GUICHETD, 'serve', '--db', str(tmp_path / 'x.db'),
                              '--operator-email', bad], capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 2, (bad, out.stderr)
    out = subprocess.run([GUICHETD, 'serve', '--help'], capture_output=True, text=True,
                         timeout=30)
    assert '--operator-email' in out.stdout + out.stderr
