"""Who may call what, and what a brand never sees of another (SPEC §2, §3, §16), through HTTP.

The expected authorization matrix is written here from SPEC §3's profile table, not read from
the table it checks: `guichetd routes --json` must say the same, route for route, so a new
route forces a decision here. Then every route is called by every demo profile (forbidden:
403 `forbidden`; allowed: a real answer), without a cookie (401), without or with a wrong CSRF
token (403 `csrf`, nothing changed). Tenant isolation: a second brand in the same database;
every route with an id is tried with each of its ids of that kind (404, nothing changed), every
list, search and export is read in full (none of its rows), every `node=` of it is refused
(404), and the statistics do not move with its activity.
"""
import csv
import functools
import hashlib
import io
import json
import os
import subprocess
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import (GUICHETD, TEST_NOW, Server, connect, data_tables, q, spooled_code, totp,
                      wait_for)
from test_signin import NEW_PASSWORD, password_of, sign_in
import reconfile

OTHER = 'OTHERBRAND'
WIDE = 'from=2020-01-01&to=2099-12-31'
ROTATED = 'Matrice-Acces-2027'  # each profile's password after the walk changed it

PROFILES = ('consultation', 'action', 'admin', 'entry', 'hmac')
ALL = frozenset(PROFILES)
SEARCH = frozenset({'consultation', 'action', 'admin'})
CASH = frozenset({'action', 'admin'})
ADMIN = frozenset({'admin'})
HMAC = frozenset({'hmac'})
ENTRY = frozenset({'entry', 'action', 'admin'})

# SPEC §3, route by route. Consultation: dashboards, searches, details, exports, the tree and
# the contracts, one's own information and preferences, no operation. Action: the above and
# the cash operations. Admin: the above and the Management menu (users, action log). Entry
# operator: manual entry only (the virtual terminal, which the cash profiles have too); HMAC
# manager: Parameters › HMAC key only.
MATRIX = {
    # Signing in and out, the first-sign-in steps, one's own information: everyone.
    'GET /bo/api/session': ALL,
    'DELETE /bo/api/session': ALL,
    'POST /bo/api/session/second-factor/resend': ALL,
    'POST /bo/api/session/second-factor': ALL,
    'POST /bo/api/session/disconnect': ALL,
    'POST /bo/api/session/resume': ALL,
    'POST /bo/api/password': ALL,
    'POST /bo/api/password/strength': ALL,
    'GET /bo/api/terms': ALL,
    'POST /bo/api/terms': ALL,
    'GET /bo/api/me': ALL,
    'PATCH /bo/api/me': ALL,
    'GET /bo/api/me/preferences': ALL,
    'PATCH /bo/api/me/preferences': ALL,
    # One's second factor (the walk turns it off last).
    'GET /bo/api/me/second-factor': ALL,
    'POST /bo/api/me/second-factor/totp': ALL,
    'POST /bo/api/me/second-factor/totp/confirm': ALL,
    'POST /bo/api/me/second-factor/email': ALL,
    'POST /bo/api/me/second-factor/disable': ALL,
    # The tree (SPEC §2): everyone, a judgement. Manual entry (§10) and the HMAC key (§11)
    # are per shop, so the entry operator and the HMAC manager choose among their node's
    # shops too; the tree holds names and SITE/RANG, no money.
    'GET /bo/api/tree': ALL,
    # Dashboards, searches, details, exports, contracts.
    'GET /bo/api/stats': SEARCH,
    'GET /bo/api/transactions': SEARCH,
    'GET /bo/api/transactions/export': SEARCH,
    'GET /bo/api/transactions/summary': SEARCH,
    'GET /bo/api/transactions/{id}': SEARCH,
    'GET /bo/api/batches': SEARCH,
    'GET /bo/api/batches/{id}': SEARCH,
    'GET /bo/api/batches/export': SEARCH,
    'GET /bo/api/contracts': SEARCH,
    'GET /bo/api/contracts/export': SEARCH,
    'GET /bo/api/contracts/{id}': SEARCH,
    'GET /bo/api/installment-plans': SEARCH,
    'GET /bo/api/installment-plans/export': SEARCH,
    'GET /bo/api/installment-plans/{id}': SEARCH,
    'GET /bo/api/subscriptions': SEARCH,
    'GET /bo/api/subscriptions/export': SEARCH,
    'GET /bo/api/subscriptions/{id}': SEARCH,
    # The merchant API's error log (SPEC §14; Ingenico 3.2.10): whoever searches their shops.
    'GET /bo/api/api-errors': SEARCH,
    'GET /bo/api/api-errors/export': SEARCH,
    # Cash operations; terminating a plan or subscription (SPEC §3).
    'POST /bo/api/installment-plans/{id}/terminate': CASH,
    'POST /bo/api/subscriptions/{id}/terminate': CASH,
    'POST /bo/api/transactions/{id}/capture': CASH,
    'POST /bo/api/transactions/{id}/cancel': CASH,
    'POST /bo/api/transactions/{id}/refund': CASH,
    'POST /bo/api/transactions/{id}/send': CASH,
    'POST /bo/api/transactions/{id}/block-card': CASH,
    'POST /bo/api/transactions/capture-all': CASH,
    'POST /bo/api/transactions/send-all': CASH,
    # Risk (SPEC §11): the blocklist is read by who searches and changed by who may block a
    # card; the contracts' fraud filters are the administrators' parameters; the countries
    # are a list of codes for every form.
    'GET /bo/api/blocklist': SEARCH,
    'GET /bo/api/blocklist/export': SEARCH,
    'POST /bo/api/blocklist': CASH,
    'DELETE /bo/api/blocklist/{id}': CASH,
    'PUT /bo/api/contracts/{id}/fraud-filters': ADMIN,
    'GET /bo/api/countries': ALL,
    # The Management menu.
    'GET /bo/api/users': ADMIN,
    'POST /bo/api/users': ADMIN,
    'GET /bo/api/users/{id}': ADMIN,
    'PATCH /bo/api/users/{id}': ADMIN,
    'POST /bo/api/users/{id}/password': ADMIN,
    'POST /bo/api/users/{id}/unlock': ADMIN,
    'POST /bo/api/users/{id}/deactivate': ADMIN,
    'POST /bo/api/users/{id}/reactivate': ADMIN,
    'POST /bo/api/users/{id}/second-factor/disable': ADMIN,
    'GET /bo/api/users/{id}/ereport': ADMIN,
    'PATCH /bo/api/users/{id}/ereport': ADMIN,
    'GET /bo/api/actions': ADMIN,
    'GET /bo/api/actions/export': ADMIN,
    # The push reports (docs/EREPORTING.md): a search of transactions, mailed daily; the
    # runs listed, a link's file downloaded, by who searches.
    'GET /bo/api/push-reports': SEARCH,
    'GET /bo/api/push-reports/file/{key}': SEARCH,
    # Files of payment orders (docs/ORDER-FILES.md): uploaded by who acts on money, read by
    # who searches.
    'POST /bo/api/order-files': CASH,
    'GET /bo/api/order-files': SEARCH,
    'GET /bo/api/order-files/{id}': SEARCH,
    'GET /bo/api/order-files/{id}/lines': SEARCH,
    'GET /bo/api/order-files/{id}/result': SEARCH,
    # The mails that could not be delivered (README "Mail"): administrators, who fix an
    # address or the relay and send a failed one again.
    'GET /bo/api/mails': ADMIN,
    'POST /bo/api/mails/{id}/retry': ADMIN,
    # A transaction's notifications (README "Notifications"): read by who reads it, sent
    # again by who acts on money.
    'GET /bo/api/transactions/{id}/notifications': SEARCH,
    'POST /bo/api/transactions/{id}/notifications/{nid}/resend': CASH,
    # The account and its retention of payment data (SPEC §14): administrators (a change
    # needs the brand's own level too, checked by the handler: test_payment_retention).
    'GET /bo/api/account': ADMIN,
    'PATCH /bo/api/account': ADMIN,
    # Create production account (Ingenico guide 3.2.9): administrators, from a test session
    # (a production one: 409, the handler's; test_production_account.py).
    'GET /bo/api/environment/production-account': ADMIN,
    'POST /bo/api/environment/production-account': ADMIN,
    # Home's notices (expired HMAC keys, SPEC §12): everyone. Parameters › HMAC key (SPEC §11):
    # the HMAC manager only.
    'GET /bo/api/notices': ALL,
    'GET /bo/api/hmac-keys': HMAC,
    'POST /bo/api/hmac-keys': HMAC,
    'POST /bo/api/hmac-keys/strength': HMAC,
    # The virtual terminal (SPEC §10): the entry operator, and the cash profiles.
    'GET /bo/api/manual-entries/options': ENTRY,
    'POST /bo/api/manual-entries': ENTRY,
    # Parameters › General configuration and Subscribed options (Vision manual §9.1.1,
    # §9.1.2): read by who searches, changed by administrators; the Store (§12): a request
    # commits the merchant, administrators; the contact form (§2.3.1) is in every page's top
    # bar: everyone, the integrator (HMAC manager) first.
    'GET /bo/api/shops/{id}/settings': SEARCH,
    'PUT /bo/api/shops/{id}/settings': ADMIN,
    'GET /bo/api/shops/{id}/options': SEARCH,
    'GET /bo/api/shops/{id}/store': SEARCH,
    'POST /bo/api/store/requests': ADMIN,
    'GET /bo/api/contact': ALL,
    'POST /bo/api/contact': ALL,
    # Guichet's public key for the Paybox signature K (SPEC §16.1): a file for the merchant's
    # module, no secret; whoever signs in (the integrator, the HMAC manager, first).
    'GET /bo/api/paybox-public-key': ALL,
    # The hosted page's templates (README "The hosted payment page", Templates): read by who
    # reads a shop's settings, changed by who changes them.
    'GET /bo/api/shops/{id}/page-theme': SEARCH,
    'PUT /bo/api/shops/{id}/page-theme': ADMIN,
    'DELETE /bo/api/shops/{id}/page-theme': ADMIN,
    'PUT /bo/api/shops/{id}/page-theme/logo': ADMIN,
    'DELETE /bo/api/shops/{id}/page-theme/logo': ADMIN,
    # The bank reconciliation journal (docs/RECONCILIATION.md).
    'GET /bo/api/reconciliation': SEARCH,
    'GET /bo/api/reconciliation/export': SEARCH,
    'GET /bo/api/reconciliation/mismatches': SEARCH,
    'POST /bo/api/reconciliation/mismatches/{id}/resolve': CASH,
    'POST /bo/api/reconciliation/files': CASH,
}
# Without a session: signing in and the health check; the merchant API signs with HMAC. The
# hosted payment page is reached by the buyer's browser: its request carries the merchant's
# signature in its form (GCH_SIGNATURE, test_hosted.py), not in a header. Paybox Direct
# authenticates by its form (CLE or HMAC), the probe not at all; Paybox System's entry points
# carry PBX_HMAC in their form or query (test_paybox_system.py).
OPEN = {'POST /bo/api/session', 'GET /healthz', 'POST /bo/api/hmac-keys/activate',
        'POST /pay', 'POST /pay/card', 'POST /pay/3ds', 'POST /PPPS.php', 'GET /load.html',
        'POST /', 'POST /php/', 'GET /php/',
        # The template's stylesheet and logo, for the buyer's browser (test_page_theme.py).
        'GET /pay/theme/{id}/{key}.css', 'GET /pay/theme/{id}/{key}/logo'} | {
            f'{m} /cgi/{page}' for m in ('GET', 'POST')
            for page in ('MYchoix_pagepaiement.cgi', 'MYframepagepaiement_ip.cgi',
                         'FramepagepaiementRWD.cgi')}
# Whoever runs the server: a loopback peer, or the bearer of GUICHET_METRICS_TOKEN; anyone
# else is told the path does not exist (test_metrics.py).
OPERATOR = {'GET /metrics'}
MERCHANT = {'POST /api/v1/payments', 'GET /api/v1/payments/{id}',
            'POST /api/v1/payments/{id}/capture', 'POST /api/v1/payments/{id}/cancel',
            'POST /api/v1/payments/{id}/refund', 'POST /api/v1/aliases',
            'DELETE /api/v1/aliases/{key}', 'POST /api/v1/installment-plans',
            'GET /api/v1/installment-plans/{id}', 'POST /api/v1/subscriptions',
            'GET /api/v1/subscriptions/{id}', 'POST /api/v1/order-files',
            'GET /api/v1/order-files/{id}'}

# Which kind of id each {id} route takes (tenant isolation).
ID_KIND = {'/bo/api/transactions/': 'txn', '/bo/api/users/': 'user',
           '/bo/api/contracts/': 'contract', '/bo/api/mails/': 'mail',
           '/bo/api/installment-plans/': 'plan', '/bo/api/subscriptions/': 'subscription',
           '/bo/api/blocklist/': 'block', '/bo/api/shops/': 'shop',
           '/bo/api/reconciliation/mismatches/': 'mismatch', '/bo/api/order-files/': 'order_file',
           '/bo/api/batches/': 'batch'}


def today(plus=0):
    """The Paris date the servers' clocks start at, plus days: for periods set when the
    module loads, wide enough that the minutes a run takes do not matter."""
    return (datetime.fromisoformat(TEST_NOW.replace('Z', '+00:00')).astimezone(
        ZoneInfo('Europe/Paris')) + timedelta(days=plus)).strftime('%Y-%m-%d') \
        if TEST_NOW != 'real' else \
        (datetime.now(ZoneInfo('Europe/Paris')) + timedelta(days=plus)).strftime('%Y-%m-%d')


@functools.lru_cache(maxsize=1)
def route_table():
    out = subprocess.run([GUICHETD, 'routes', '--json'], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def session_routes():
    return [f"{r['method']} {r['pattern']}" for r in route_table() if r['auth'] == 'session']


# A logo of a template (PUT /bo/api/shops/{id}/page-theme/logo takes the image as its body):
# the PNG signature and an IHDR chunk of a 1 x 1 image.
LOGO = (b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02'
        b'\x00\x00\x00\x90wS\xde')


class OrderFile(bytes):
    """A file of payment orders as a body (docs/ORDER-FILES.md), sent as text/csv."""


ORDER_HEADER = ('operation,reference,amount,currency,card_number,card_expiry,alias,'
                'transaction_id,capture')


def order_file(tag, amount=1500):
    """A file of one payment order, its reference new (so a new digest, a new file). An
    amount of 0 makes its one line bad: the file refused at once, nothing left to the job."""
    return OrderFile(f'{ORDER_HEADER}\r\npayment,{tag}-{uuid.uuid4().hex[:10]},{amount},EUR,'
                     f'4111111111111111,1230,,,\r\n'.encode())


def upload_order_file(srv, u, brand=1):
    """A file of payment orders of brand's first shop, uploaded by u: its id."""
    shop = q(srv, 'SELECT min(id) FROM shop WHERE brand_id = ?', (brand,))[0][0]
    r = u.call('POST', f'/bo/api/order-files?shop_id={shop}&name=matrix.csv', order_file('ACC'))
    assert r.status_code == 202, r.text
    fid = int(r.json()['file']['id'])
    # Processed before anything compares the tables (the job pays in the background).
    assert wait_for(lambda: q(srv, 'SELECT status FROM order_file WHERE id = ?', (fid,))[0][0]
                    in ('done', 'done_with_errors', 'refused'), timeout=120)
    return fid


def body_args(body):
    """The requests arguments of a body: JSON, bytes sent as they are (a logo), or a file of
    payment orders (OrderFile)."""
    if isinstance(body, OrderFile):
        return {'data': bytes(body), 'headers': {'Content-Type': 'text/csv'}}
    if isinstance(body, bytes):
        return {'data': body, 'headers': {'Content-Type': 'image/png'}}
    return {'json': body}


def id_route_body(route):
    """A valid body for a route with an id: a name to write for an edit, the defaults ({})
    for an operation, nothing for a route that takes no body."""
    method, pattern = route.split(' ', 1)
    body_max = next(r['body_max'] for r in route_table()
                    if r['method'] == method and r['pattern'] == pattern)
    if not body_max:
        return None
    if pattern.endswith('/fraud-filters'):
        return {'version': 0, 'max_amount': 1}
    if pattern.endswith('/settings'):  # a shop's settings, from a version
        return {'version': 0, 'integrator_email': 'pwned@example.com'}
    if pattern.endswith('/page-theme'):  # a shop's template, from a version
        return {'version': 0, 'title_fr': 'pwned'}
    if pattern.endswith('/page-theme/logo'):  # the body is the image
        return LOGO
    if pattern.endswith('/ereport'):  # a user's electronic reporting
        return {'format': 'xml'}
    if pattern.endswith('/order-files'):  # a file of payment orders
        return order_file('PWNED')
    if pattern.endswith('/resolve'):  # a mismatch of the reconciliation, with its comment
        return {'comment': 'pwned'}
    return {'name': 'pwned'} if method == 'PATCH' else {}


def snapshot(srv):
    """Every table's row count, and the content of every table but those that change by
    themselves (sessions' last use, the indexer's progress and full-text tables, mail bodies
    wiped after delivery): equal snapshots mean that nothing changed."""
    with connect(srv.db) as db:
        tables = data_tables(db)
        assert len(tables) > 20, tables
        shot = {}
        for name in tables:
            if name == 'notify_attempt':
                continue  # written by the notifier whenever a pending one is due
            rows = db.execute(
                'SELECT id, brand_id, txn_id, url, body, created_at FROM notify_outbox'
                if name == 'notify_outbox' else f'SELECT * FROM "{name}"').fetchall()
            if name in ('session', 'search_state', 'mail_outbox'):
                shot[name] = len(rows)
            else:
                shot[name] = (len(rows), hashlib.sha256(
                    repr(sorted(map(repr, rows))).encode()).hexdigest())
        return shot


def same(before, after):
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert not changed, f'tables changed: {sorted(changed)}'


class User:
    """A signed-in user of the back office: a cookie jar and the CSRF token."""

    def __init__(self, srv, login, password):
        self.srv, self.login, self.password = srv, login, password
        self.sign_in()

    def sign_in(self, environment='production'):
        s, r = sign_in(self.srv, self.login, password=self.password, takeover=True,
                       environment=environment)
        assert r.status_code == 200, r.text
        self.s, self.csrf = s, r.json()['csrf']
        return r.json()

    def call(self, method, path, body=None, csrf=True):
        """csrf: True sends the session's token, None none, a string that one."""
        token = self.csrf if csrf is True else csrf
        h = {} if token is None else {'X-CSRF-Token': token}
        args = body_args(body)
        h.update(args.pop('headers', {}))
        return self.s.request(method, self.srv.base + path, headers=h, timeout=60, **args)


def ready(srv, login, password):
    """Signs in and does the first-sign-in steps: a user ready to work, with NEW_PASSWORD."""
    u = User(srv, login, password)
    p = u.call('POST', '/bo/api/password', {'old': password, 'new': NEW_PASSWORD})
    assert p.status_code == 200, p.text
    t = u.call('POST', '/bo/api/terms', {'accept': True})
    assert t.status_code == 200 and t.json()['next'] is None, t.text
    u.password = NEW_PASSWORD
    return u


def stuck_mail(srv, brand, recipient):
    """A mail of brand that cannot be delivered, written before the server starts: in clear,
    as a version before 026 wrote it (the server seals it when it starts), 4 days old, the
    name of its .eml file's temporary copy taken by a folder. Its one attempt fails and, older
    than 3 days, it is failed at once, its sealed body kept: a mail an administrator may send
    again."""
    q(srv, 'INSERT INTO mail_outbox(brand_id, node_id, recipient, subject, body, created_at) '
           'VALUES (?, (SELECT id FROM node WHERE brand_id = ? AND parent_id IS NULL), ?, ?, ?, ?)',
      (brand, brand, recipient, 'Guichet : en souffrance', 'corps', srv.now_us(-4 * 86400)))
    mail_id = q(srv, 'SELECT max(id) FROM mail_outbox')[0][0]
    os.makedirs(os.path.join(srv.tmp, 'spool', '%012d.eml.tmp' % mail_id))
    return mail_id


def notification_of(srv, tid):
    """A notification of transaction tid, written as the writer does (failed, so that the
    notifier leaves it alone until a walk sends it again): its id."""
    rows = q(srv, 'SELECT id FROM notify_outbox WHERE txn_id = ? ORDER BY id LIMIT 1', (tid,))
    if rows:
        return rows[0][0]
    q(srv, 'INSERT INTO notify_outbox(brand_id, shop_id, txn_id, url, body, state, next_at, '
           'created_at, done_at) SELECT brand_id, shop_id, id, ?, ?, 2, 0, ?, ? FROM txn '
           'WHERE id = ?', ('http://127.0.0.1:9/notify', '{}', srv.now_us(), srv.now_us(), tid))
    return q(srv, 'SELECT max(id) FROM notify_outbox')[0][0]


def recon_queue(srv):
    """A batch of the first brand's CB debits sent, its return file changed to hold one
    mismatch of each kind and imported (docs/RECONCILIATION.md): the bytes of that file."""
    for i in range(3):
        r = srv.pay(amount=2100 + i, card='4970100000000006')
        assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text
    out = subprocess.run([GUICHETD, 'batch', 'run', '--db', srv.db, '--date', srv.paris_day(),
                          '--spool', os.path.join(srv.tmp, 'spool'), *srv.clock()],
                         capture_output=True, text=True, timeout=120, env=srv.env)
    assert out.returncode == 0, out.stderr
    path = next(p for p in reconfile.return_files(srv, 1) if len(reconfile.read(p)[1]) >= 3)
    path, _ = reconfile.with_mismatches(path, os.path.join(srv.tmp, 'jrb-mismatches.txt'))
    reconfile.cli_import(srv, path)
    with open(path, 'rb') as f:
        return f.read()


def open_mismatch(srv, walk):
    """A mismatch of the first brand: still open for the walk, which resolves it."""
    return q(srv, 'SELECT min(id) FROM recon_mismatch WHERE brand_id = 1' +
             (' AND resolved_at = 0' if walk else ''))[0][0]


def failed_mail(srv):
    """The first brand's stuck mail, once the mailer has failed it (again)."""
    assert wait_for(lambda: q(srv, 'SELECT failed_at IS NOT NULL FROM mail_outbox WHERE id = ?',
                              (srv.stuck,)) == [(1,)])
    return srv.stuck


@pytest.fixture(scope='module')
def acc(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('access')), transactions=150)
    srv.other = srv.add_brand(OTHER, transactions=40, seed=11)
    srv.stuck = stuck_mail(srv, 1, 'stuck@example.com')
    stuck_mail(srv, 2, 'stuck@otherbrand.example')
    srv.start()
    srv.users = {p: ready(srv, f'demo.{p}', password_of(srv, f'demo.{p}')) for p in PROFILES}
    srv.sf_secrets, srv.sf_codes = {}, set()  # the walk's second factors
    # A user for the user-management routes to act on, so no demo user's session ends.
    r = srv.users['admin'].call('POST', '/bo/api/users', {
        'login': 'matrix.target', 'name': 'Cible Matrice', 'email': 'cible@example.com',
        'profile': 'consultation'})
    assert r.status_code == 201, r.text
    srv.target_user = q(srv, "SELECT id FROM user WHERE login = 'matrix.target'")[0][0]
    srv.some_txn = q(srv, 'SELECT max(id) FROM txn WHERE brand_id = 1')[0][0]
    notification_of(srv, srv.some_txn)
    srv.some_contract = q(srv, 'SELECT min(id) FROM contract WHERE brand_id = 1')[0][0]
    srv.some_order_file = upload_order_file(srv, srv.users['admin'])
    srv.some_entry = q(srv, 'SELECT min(id) FROM block_entry WHERE brand_id = 1')[0][0]
    srv.some_plan, srv.some_subscription = new_recurring(srv, 'plan'), new_recurring(
        srv, 'subscription')
    srv.recon_bytes = recon_queue(srv)
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    for u in srv.demo['users'] + srv.other['users']:
        assert u['password'] not in log


# -- 1. The matrix ------------------------------------------------------------------------


def test_the_route_table_is_spec_3():
    table = route_table()
    by_auth = {}
    for r in table:
        by_auth.setdefault(r['auth'], {})[f"{r['method']} {r['pattern']}"] = frozenset(
            r['profiles'])
    session = by_auth.pop('session')
    # Every route of the table is decided here, and every route decided here exists.
    assert sorted(session.keys() - MATRIX.keys()) == [], 'routes to add to MATRIX'
    assert sorted(MATRIX.keys() - session.keys()) == [], 'MATRIX routes the server lacks'
    wrong = {k: (sorted(session[k]), sorted(v)) for k, v in MATRIX.items() if session[k] != v}
    assert wrong == {}, 'route: (table, SPEC)'
    assert set(by_auth.pop('none')) == OPEN
    assert set(by_auth.pop('hmac')) == MERCHANT
    assert set(by_auth.pop('operator')) == OPERATOR
    assert by_auth == {}
    # The table's text form says the same.
    text = subprocess.run([GUICHETD, 'routes'], capture_output=True, text=True,
                          check=True).stdout
    listed = {line.split('\t')[0] for line in text.splitlines() if line.strip()}
    assert MATRIX.keys() | OPEN | MERCHANT | OPERATOR <= listed


def fresh_payment(srv, capture='auto', card='4111111111111111', shop=0):
    r = srv.pay(capture=capture, card=card, shop=shop)
    assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text
    return int(r.json()['id'])


def new_recurring(srv, kind, shop=0):
    """A new installment plan or subscription (in progress) through the merchant API: its id."""
    body = {'currency': 'EUR', 'order_ref': f'{kind}-{uuid.uuid4().hex[:8]}',
            'email': 'abonne@example.com', 'card': {'number': '4111111111111111',
                                                    'expiry': '1230'}}
    if kind == 'plan':
        body['installments'] = [{'amount': 1000, 'date': srv.paris_day(d)} for d in (0, 30)]
    else:
        body.update({'initial_amount': 0, 'amount': 500, 'count': 0, 'every_months': 1,
                     'day_of_month': 1, 'start': srv.paris_day(10)})
    r = srv.api('POST', '/api/v1/installment-plans' if kind == 'plan' else
                '/api/v1/subscriptions', body, shop=shop)
    assert r.status_code == 201 and r.json()['status'] == 'in_progress', r.text
    return int(r.json()['id'])


def sent_debit(srv):
    """A sent debit of the first brand, recent enough to refund, not refunded here before."""
    taken = srv.__dict__.setdefault('refunded', set())
    for (tid,) in q(srv, 'SELECT id FROM txn WHERE brand_id = 1 AND acq = 3 AND type = 0 '
                         "AND status = 0 AND amount_current > 100 AND accepted_at > "
                         "? ORDER BY id DESC", (srv.now_us(-60 * 86400),)):
        if tid not in taken:
            taken.add(tid)
            return tid
    raise AssertionError('no sent debit to refund in the demo')


def sf_off(srv, u):
    """Turns u's second factor off, whichever it is (a TOTP code one step ahead: the one
    that turned it on is used)."""
    method = u.call('GET', '/bo/api/me/second-factor').json()['method']
    if method is None:
        return
    body = {'password': u.password}
    if method == 'totp':
        body['code'] = totp(srv.sf_secrets[u.login], srv, offset=1)
    r = u.call('POST', '/bo/api/me/second-factor/disable', body)
    assert r.status_code == 200, r.text


def sf_pending(srv, u, backdate=False):
    """Turns e-mailed codes on for u and signs in again: the session waits for the code
    (read from the spool, so the next one is told apart). backdate: as if that code were
    30 s old, so another may be asked."""
    sf_off(srv, u)
    assert u.call('POST', '/bo/api/me/second-factor/email',
                  {'password': u.password}).status_code == 200
    assert u.sign_in()['next'] == 'second_factor'
    code = sf_new_code(srv, u)
    if backdate:
        with connect(srv.db) as db:
            db.execute('UPDATE second_factor SET code_created_at = code_created_at - 31000000 '
                       'WHERE user_id = (SELECT id FROM user WHERE login = ? AND brand_id = 1)',
                       (u.login,))
    return code


def sf_new_code(srv, u):
    """The code last mailed to u, once it is not one read before."""
    email = q(srv, 'SELECT email FROM user WHERE login = ? AND brand_id = 1', (u.login,))[0][0]
    code = spooled_code(srv, email, other_than=srv.sf_codes)
    srv.sf_codes.add(code)
    return code


def sf_code(srv, u):
    """The code of u's session waiting for one (made to wait when it does not)."""
    if u.call('GET', '/bo/api/session').json()['next'] != 'second_factor':
        return sf_pending(srv, u)
    return sf_new_code(srv, u)


def sf_confirm_body(srv, u):
    """Starts a TOTP enrolment of u and gives the body that confirms it."""
    sf_off(srv, u)
    r = u.call('POST', '/bo/api/me/second-factor/totp', {})
    assert r.status_code == 200, r.text
    srv.sf_secrets[u.login] = r.json()['secret']
    return {'code': totp(r.json()['secret'], srv), 'password': u.password}


def sf_disable_body(srv, u):
    """Turns e-mailed codes on for u and gives the body that turns them off."""
    sf_off(srv, u)
    assert u.call('POST', '/bo/api/me/second-factor/email',
                  {'password': u.password}).status_code == 200
    return {'password': u.password}


def new_entry(srv, login):
    r = srv.users['admin'].call('POST', '/bo/api/blocklist',
                                {'kind': 'email', 'value': f'{login}.gone@example.com'})
    assert r.status_code == 201, r.text
    return r.json()['id']


def disconnected(u):
    """Disconnects u's session and gives its resume key."""
    r = u.call('POST', '/bo/api/session/disconnect')
    assert r.status_code == 200, r.text
    return r.json()['resume_key']


def push_link(srv, profile):
    """The token of a push report's link of the profile's user: a run written here as the
    job writes one (a day of its own, a small file, the token's hash)."""
    token = os.urandom(32)
    uid = q(srv, 'SELECT id FROM user WHERE login = ?', (srv.users[profile].login,))[0][0]
    day = 30000 + q(srv, 'SELECT count(*) FROM push_report_run')[0][0]
    q(srv, "INSERT INTO push_report_run(brand_id, user_id, day, status, format, delivery, "
           "token_hash, file, file_expires_at, created_at, updated_at) VALUES (1, ?, ?, 'sent', "
           "'delimited', 'link', ?, ?, ?, 0, 0)",
      (uid, day, hashlib.blake2b(token, digest_size=32).digest(), b'id\r\n1\r\n', 2 ** 62))
    return token.hex()


def plan(srv, route, profile, walk):
    """(path, body) of one well-formed call of route by profile.

    walk: the allowed walk, which gets real answers: it makes what it acts on (a payment to
    capture, to cancel...). Otherwise the ids are of things that exist, so that a refusal
    cannot hide behind a 404, and nothing is made."""
    tid, uid, cid = srv.some_txn, srv.target_user, srv.some_contract
    pid, sid = srv.some_plan, srv.some_subscription
    login = f'matrix.{profile}.{uuid.uuid4().hex[:6]}'
    txn = '/bo/api/transactions'
    shop = q(srv, 'SELECT min(id) FROM shop WHERE brand_id = 1')[0][0]

    def made(capture='auto', **kw):
        return fresh_payment(srv, capture, **kw) if walk else tid

    def locked():
        for _ in range(3):
            sign_in(srv, 'matrix.target', password='not-the-password-1')
        assert q(srv, 'SELECT locked FROM user WHERE id = ?', (uid,))[0][0] == 1
        return uid

    plans = {
        'GET /bo/api/session': lambda: ('/bo/api/session', None),
        'DELETE /bo/api/session': lambda: ('/bo/api/session', None),
        # The walk signs in with e-mailed codes on: the session waits for the code.
        'POST /bo/api/session/second-factor/resend': lambda: (
            (sf_pending(srv, srv.users[profile], backdate=True) if walk else None,
             '/bo/api/session/second-factor/resend')[1], {}),
        'POST /bo/api/session/second-factor': lambda: (
            '/bo/api/session/second-factor',
            {'code': sf_code(srv, srv.users[profile]) if walk else '000000'}),
        # The walk resumes each disconnect at once (test_allowed_routes_answer_for_real), and
        # disconnects again to resume: a real key of a disconnected session.
        'POST /bo/api/session/disconnect': lambda: ('/bo/api/session/disconnect', None),
        'POST /bo/api/session/resume': lambda: (
            '/bo/api/session/resume',
            {'resume_key': disconnected(srv.users[profile]) if walk else 'A' * 43}),
        'POST /bo/api/password': lambda: (
            '/bo/api/password', {'old': NEW_PASSWORD, 'new': ROTATED}),
        'POST /bo/api/password/strength': lambda: (
            '/bo/api/password/strength', {'password': 'abc'}),
        'GET /bo/api/terms': lambda: ('/bo/api/terms', None),
        'POST /bo/api/terms': lambda: ('/bo/api/terms', {'accept': True}),
        'GET /bo/api/me': lambda: ('/bo/api/me', None),
        'PATCH /bo/api/me': lambda: ('/bo/api/me', {'time_zone': 'Europe/Paris'}),
        'GET /bo/api/me/preferences': lambda: ('/bo/api/me/preferences', None),
        'PATCH /bo/api/me/preferences': lambda: ('/bo/api/me/preferences', {'home': None}),
        'GET /bo/api/me/second-factor': lambda: ('/bo/api/me/second-factor', None),
        'POST /bo/api/me/second-factor/totp': lambda: (
            (sf_off(srv, srv.users[profile]) if walk else None,
             '/bo/api/me/second-factor/totp')[1], {}),
        'POST /bo/api/me/second-factor/totp/confirm': lambda: (
            '/bo/api/me/second-factor/totp/confirm',
            sf_confirm_body(srv, srv.users[profile]) if walk
            else {'code': '000000', 'password': 'x'}),
        'POST /bo/api/me/second-factor/email': lambda: (
            (sf_off(srv, srv.users[profile]) if walk else None,
             '/bo/api/me/second-factor/email')[1], {'password': srv.users[profile].password}),
        'POST /bo/api/me/second-factor/disable': lambda: (
            '/bo/api/me/second-factor/disable',
            sf_disable_body(srv, srv.users[profile]) if walk
            else {'password': 'x', 'code': '000000'}),
        'GET /bo/api/tree': lambda: ('/bo/api/tree', None),
        'GET /bo/api/stats': lambda: (f'/bo/api/stats?from={srv.paris_day(-30)}&to={srv.paris_day()}', None),
        'GET /bo/api/transactions': lambda: (f'{txn}?{WIDE}', None),
        'GET /bo/api/transactions/export': lambda: (f'{txn}/export?format=csv&{WIDE}', None),
        'GET /bo/api/transactions/summary': lambda: (f'{txn}/summary?{WIDE}', None),
        'GET /bo/api/transactions/{id}': lambda: (f'{txn}/{tid}', None),
        'GET /bo/api/transactions/{id}/notifications': lambda: (
            f'{txn}/{tid}/notifications', None),
        'POST /bo/api/transactions/{id}/notifications/{nid}/resend': lambda: (
            f'{txn}/{tid}/notifications/{notification_of(srv, tid)}/resend', None),
        'GET /bo/api/batches': lambda: (f'/bo/api/batches?{WIDE}', None),
        'GET /bo/api/batches/export': lambda: (f'/bo/api/batches/export?format=csv&{WIDE}',
                                               None),
        'GET /bo/api/batches/{id}': lambda: (
            f"/bo/api/batches/{q(srv, 'SELECT min(id) FROM batch WHERE brand_id = 1')[0][0]}",
            None),
        'GET /bo/api/contracts': lambda: ('/bo/api/contracts', None),
        'GET /bo/api/contracts/export': lambda: ('/bo/api/contracts/export?format=csv', None),
        'GET /bo/api/contracts/{id}': lambda: (f'/bo/api/contracts/{cid}', None),
        'GET /bo/api/installment-plans': lambda: (f'/bo/api/installment-plans?{WIDE}', None),
        'GET /bo/api/installment-plans/export': lambda: (
            f'/bo/api/installment-plans/export?format=csv&{WIDE}', None),
        'GET /bo/api/installment-plans/{id}': lambda: (f'/bo/api/installment-plans/{pid}', None),
        'GET /bo/api/subscriptions': lambda: (f'/bo/api/subscriptions?{WIDE}', None),
        'GET /bo/api/subscriptions/export': lambda: (
            f'/bo/api/subscriptions/export?format=csv&{WIDE}', None),
        'GET /bo/api/subscriptions/{id}': lambda: (f'/bo/api/subscriptions/{sid}', None),
        'GET /bo/api/api-errors': lambda: ('/bo/api/api-errors', None),
        'GET /bo/api/paybox-public-key': lambda: ('/bo/api/paybox-public-key', None),
        'GET /bo/api/api-errors/export': lambda: ('/bo/api/api-errors/export?format=csv', None),
        'GET /bo/api/reconciliation': lambda: (f'/bo/api/reconciliation?{WIDE}', None),
        'GET /bo/api/reconciliation/export': lambda: (
            f'/bo/api/reconciliation/export?format=csv&{WIDE}', None),
        'GET /bo/api/reconciliation/mismatches': lambda: (
            '/bo/api/reconciliation/mismatches?status=all', None),
        # The walk resolves an open one; the same file imported again changes nothing.
        'POST /bo/api/reconciliation/mismatches/{id}/resolve': lambda: (
            f'/bo/api/reconciliation/mismatches/{open_mismatch(srv, walk)}/resolve',
            {'comment': 'vu avec la banque'}),
        'POST /bo/api/reconciliation/files': lambda: (
            '/bo/api/reconciliation/files?name=jrb.txt', srv.recon_bytes),
        # The walk terminates one made for it.
        'POST /bo/api/installment-plans/{id}/terminate': lambda: (
            f"/bo/api/installment-plans/{new_recurring(srv, 'plan') if walk else pid}/terminate",
            {}),
        'POST /bo/api/subscriptions/{id}/terminate': lambda: (
            f"/bo/api/subscriptions/{new_recurring(srv, 'subscription') if walk else sid}"
            '/terminate', {'reason': 'la matrice'}),
        'POST /bo/api/transactions/{id}/capture': lambda: (
            f"{txn}/{made('manual')}/capture", {'amount': 1000}),
        'POST /bo/api/transactions/{id}/cancel': lambda: (f'{txn}/{made()}/cancel', {}),
        'POST /bo/api/transactions/{id}/refund': lambda: (
            f'{txn}/{sent_debit(srv) if walk else tid}/refund', {'amount': 1}),
        'POST /bo/api/transactions/{id}/send': lambda: (f'{txn}/{made()}/send', {}),
        # The card joins one shop's blocklist: a card no other test here pays with, a shop
        # per profile.
        'POST /bo/api/transactions/{id}/block-card': lambda: (
            f"{txn}/{made(card='5131000000000001', shop=PROFILES.index(profile) % 3)}"
            '/block-card', {}),
        'POST /bo/api/transactions/capture-all': lambda: (
            f"{txn}/capture-all?{WIDE}&id={made('manual')}", None),
        'POST /bo/api/transactions/send-all': lambda: (
            f'{txn}/send-all?{WIDE}&id={made()}', None),
        'GET /bo/api/blocklist': lambda: ('/bo/api/blocklist', None),
        'GET /bo/api/blocklist/export': lambda: ('/bo/api/blocklist/export?format=csv', None),
        'POST /bo/api/blocklist': lambda: ('/bo/api/blocklist', {
            'kind': 'email', 'value': f'{login}@example.com', 'reason': 'la matrice'}),
        # The walk removes an entry made for it.
        'DELETE /bo/api/blocklist/{id}': lambda: (
            f'/bo/api/blocklist/{new_entry(srv, login) if walk else srv.some_entry}', None),
        # The version read: the walk saves them as they are (all off).
        'PUT /bo/api/contracts/{id}/fraud-filters': lambda: (
            f'/bo/api/contracts/{cid}/fraud-filters', {'version': q(
                srv, 'SELECT ff_version FROM contract WHERE id = ?', (cid,))[0][0]}),
        'GET /bo/api/countries': lambda: ('/bo/api/countries', None),
        'GET /bo/api/users': lambda: ('/bo/api/users', None),
        'POST /bo/api/users': lambda: ('/bo/api/users', {
            'login': login, 'name': 'Matrice', 'email': f'{login}@example.com',
            'profile': 'consultation'}),
        'GET /bo/api/users/{id}': lambda: (f'/bo/api/users/{uid}', None),
        'PATCH /bo/api/users/{id}': lambda: (f'/bo/api/users/{uid}',
                                             {'name': f'Cible {profile}'}),
        'POST /bo/api/users/{id}/password': lambda: (f'/bo/api/users/{uid}/password', None),
        'POST /bo/api/users/{id}/unlock': lambda: (f'/bo/api/users/{locked() if walk else uid}'
                                                   '/unlock', None),
        # The target signs in with a wrong password only (locked()): deactivated or not.
        'POST /bo/api/users/{id}/deactivate': lambda: (f'/bo/api/users/{uid}/deactivate', None),
        'POST /bo/api/users/{id}/reactivate': lambda: (f'/bo/api/users/{uid}/reactivate', None),
        'POST /bo/api/users/{id}/second-factor/disable': lambda: (
            f'/bo/api/users/{uid}/second-factor/disable', {}),
        'GET /bo/api/users/{id}/ereport': lambda: (f'/bo/api/users/{uid}/ereport', None),
        'PATCH /bo/api/users/{id}/ereport': lambda: (f'/bo/api/users/{uid}/ereport',
                                                     {'format': 'xml'}),
        'GET /bo/api/actions': lambda: (f'/bo/api/actions?{WIDE}', None),
        'GET /bo/api/actions/export': lambda: (f'/bo/api/actions/export?{WIDE}', None),
        'POST /bo/api/order-files': lambda: (
            f'/bo/api/order-files?shop_id={shop}&name=matrix-{profile}.csv',
            order_file(f'MATRIX-{profile}', amount=0)),
        'GET /bo/api/order-files': lambda: ('/bo/api/order-files', None),
        'GET /bo/api/order-files/{id}': lambda: (f'/bo/api/order-files/{srv.some_order_file}',
                                                 None),
        'GET /bo/api/order-files/{id}/lines': lambda: (
            f'/bo/api/order-files/{srv.some_order_file}/lines', None),
        'GET /bo/api/order-files/{id}/result': lambda: (
            f'/bo/api/order-files/{srv.some_order_file}/result', None),
        'GET /bo/api/push-reports': lambda: ('/bo/api/push-reports', None),
        'GET /bo/api/push-reports/file/{key}': lambda: (
            f"/bo/api/push-reports/file/{push_link(srv, profile) if walk else '00' * 32}", None),
        'GET /bo/api/mails': lambda: ('/bo/api/mails', None),
        'POST /bo/api/mails/{id}/retry': lambda: (
            f'/bo/api/mails/{failed_mail(srv) if walk else srv.stuck}/retry', None),
        # The value it already has: the walk changes nothing of the purge.
        'GET /bo/api/account': lambda: ('/bo/api/account', None),
        'PATCH /bo/api/account': lambda: ('/bo/api/account', {'retention_days': 540}),
        'GET /bo/api/environment/production-account': lambda: (
            '/bo/api/environment/production-account', None),
        'POST /bo/api/environment/production-account': lambda: (
            '/bo/api/environment/production-account', {}),
        'GET /bo/api/notices': lambda: ('/bo/api/notices', None),
        'GET /bo/api/hmac-keys': lambda: ('/bo/api/hmac-keys', None),
        # A key made, not activated: the shops' merchant API keys stay the demo's.
        'POST /bo/api/hmac-keys': lambda: ('/bo/api/hmac-keys', {
            'shop_id': q(srv, 'SELECT min(id) FROM shop WHERE brand_id = 1')[0][0],
            'env': 'production', 'passphrase': 'Vx7!kP2#mQ9@wZ4'}),
        'POST /bo/api/hmac-keys/strength': lambda: (
            '/bo/api/hmac-keys/strength', {'passphrase': 'abc'}),
        'GET /bo/api/manual-entries/options': lambda: ('/bo/api/manual-entries/options', None),
        'GET /bo/api/shops/{id}/settings': lambda: (f'/bo/api/shops/{shop}/settings', None),
        'PUT /bo/api/shops/{id}/settings': lambda: (f'/bo/api/shops/{shop}/settings', {
            'version': q(srv, 'SELECT coalesce(max(version), 0) FROM shop_settings WHERE '
                              'shop_id = ?', (shop,))[0][0],
            'integrator_email': f'{profile}@agence.example'}),
        'GET /bo/api/shops/{id}/options': lambda: (f'/bo/api/shops/{shop}/options', None),
        'GET /bo/api/shops/{id}/page-theme': lambda: (f'/bo/api/shops/{shop}/page-theme', None),
        'PUT /bo/api/shops/{id}/page-theme': lambda: (f'/bo/api/shops/{shop}/page-theme', {
            'version': q(srv, 'SELECT coalesce(max(version), 0) FROM page_theme WHERE '
                              'shop_id = ?', (shop,))[0][0],
            'title_fr': f'La matrice ({profile})'}),
        'DELETE /bo/api/shops/{id}/page-theme': lambda: (f'/bo/api/shops/{shop}/page-theme', None),
        'PUT /bo/api/shops/{id}/page-theme/logo': lambda: (
            f'/bo/api/shops/{shop}/page-theme/logo', LOGO),
        'DELETE /bo/api/shops/{id}/page-theme/logo': lambda: (
            f'/bo/api/shops/{shop}/page-theme/logo', None),
        'GET /bo/api/shops/{id}/store': lambda: (f'/bo/api/shops/{shop}/store', None),
        'POST /bo/api/store/requests': lambda: ('/bo/api/store/requests', {
            'shop_id': shop, 'method': 'JCB', 'message': f'la matrice ({profile})'}),
        'GET /bo/api/contact': lambda: ('/bo/api/contact', None),
        'POST /bo/api/contact': lambda: ('/bo/api/contact', {
            'contract_id': cid, 'email': f'{profile}@matrice.example', 'details': 'la matrice'}),
        'POST /bo/api/manual-entries': lambda: ('/bo/api/manual-entries', {
            'type': 'one_off', 'shop_id': q(srv, 'SELECT min(id) FROM shop WHERE brand_id = 1')[0][0],
            'method': 'CB', 'card': {'number': '4111111111111111', 'expiry': '1230'},
            'order_ref': f'MATRIX-{profile}', 'amount': 100}),
    }
    return plans[route]()


def test_forbidden_routes_answer_403_and_change_nothing(acc):
    before = snapshot(acc)
    checked = 0
    for route, allowed in MATRIX.items():
        method, _ = route.split(' ', 1)
        for profile in sorted(ALL - allowed):
            path, body = plan(acc, route, profile, walk=False)
            r = acc.users[profile].call(method, path, body)
            assert r.status_code == 403, (route, profile, r.status_code, r.text)
            assert r.json()['error'] == 'forbidden' and r.json()['message'], (route, profile)
            checked += 1
    assert checked == sum(len(ALL - a) for a in MATRIX.values()) > 50
    same(before, snapshot(acc))


def test_allowed_routes_answer_for_real(acc):
    checked = 0
    for route, allowed in MATRIX.items():
        method, _ = route.split(' ', 1)
        if route == 'DELETE /bo/api/session':
            continue  # last, below
        for profile in sorted(allowed):
            u = acc.users[profile]
            path, body = plan(acc, route, profile, walk=True)
            if route == 'POST /bo/api/password':
                body = {'old': u.password, 'new': ROTATED if u.password != ROTATED
                        else NEW_PASSWORD}
            if route in TEST_SESSION:
                u.sign_in('test')
            r = u.call(method, path, body)
            if route in TEST_SESSION:
                u.sign_in()
            # Every plan names something that exists, with a valid body: a real answer.
            assert 200 <= r.status_code < 300, (route, profile, r.status_code, r.text)
            if route == 'POST /bo/api/password':
                u.password = body['new']
            if route in ('POST /bo/api/session/second-factor', 'POST /bo/api/session/resume'):
                u.csrf = r.json()['csrf']  # the step done, the session has new tokens
            if route == 'POST /bo/api/session/disconnect':
                r = u.call('POST', '/bo/api/session/resume',
                           {'resume_key': r.json()['resume_key']}, csrf=None)
                assert r.status_code == 200, (profile, r.text)
                u.csrf = r.json()['csrf']
            if route.endswith('-all'):
                assert r.json()['processed'] == 1, (route, profile, r.text)
            checked += 1
    for profile in PROFILES:
        u = acc.users[profile]
        r = u.call('DELETE', '/bo/api/session')
        assert r.status_code == 200, (profile, r.text)
        assert u.call('GET', '/bo/api/session').status_code == 401
        u.sign_in()
    assert checked == sum(len(a) for a in MATRIX.values()) - len(PROFILES)


def test_the_session_lists_what_the_profile_may_call(acc):
    """GET /bo/api/session's "allowed" (the web UI's menu and buttons) is the matrix."""
    for profile in PROFILES:
        r = acc.users[profile].call('GET', '/bo/api/session')
        assert r.status_code == 200
        allowed = r.json()['allowed']
        assert len(allowed) == len(set(allowed))
        assert sorted(allowed) == sorted(k for k, v in MATRIX.items() if profile in v), profile


def test_no_cookie_answers_401_everywhere(acc):
    before = snapshot(acc)
    for route in session_routes():
        method, pattern = route.split(' ', 1)
        path, body = plan(acc, route, 'admin', walk=False)
        for cookies in (None, {'guichet_session': '0' * 64}):
            args = body_args(body)
            r = requests.request(method, acc.base + path, cookies=cookies,
                                 headers={'X-CSRF-Token': acc.users['admin'].csrf,
                                          **args.pop('headers', {})}, timeout=30, **args)
            assert r.status_code == 401, (route, r.status_code, r.text)
            assert r.headers['Content-Type'].startswith('application/json'), route
            assert r.json()['error'] == 'not_signed_in' and r.json()['message'], route
    same(before, snapshot(acc))


def test_changes_without_the_right_csrf_token_answer_403_and_change_nothing(acc):
    admin = acc.users['admin']
    # Another session's own, valid token: a token is bound to its session.
    others = acc.users['consultation'].csrf
    before = snapshot(acc)
    # The resume's key stands for the token (a device may have lost it with the connection;
    # test_session_resume.py): not here.
    changes = [r for r in session_routes()
               if not r.startswith('GET ') and r != 'POST /bo/api/session/resume']
    assert len(changes) >= 15
    for route in changes:
        method, _ = route.split(' ', 1)
        # The administrator, or the one profile a route is for (the HMAC manager's).
        u = admin if 'admin' in MATRIX[route] else acc.users[sorted(MATRIX[route])[0]]
        path, body = plan(acc, route, 'admin', walk=False)
        for csrf in (None, '0' * 64, others, u.csrf.upper()[:-1] + 'g', u.csrf[:32], ''):
            r = u.call(method, path, body, csrf=csrf)
            assert r.status_code == 403, (route, csrf, r.status_code, r.text)
            assert r.json()['error'] == 'csrf', (route, r.text)
    same(before, snapshot(acc))
    # The session lives on, and the right token still works.
    assert admin.call('GET', '/bo/api/session').status_code == 200
    assert admin.call('POST', '/bo/api/password/strength', {'password': 'x'}).status_code == 200


# -- 2. Tenant isolation ------------------------------------------------------------------


@pytest.fixture(scope='module')
def foreign(acc):
    """The second brand at work (payments with references of its own, a settlement), then
    every id and reference of it: what the first brand must never reach."""
    other = {u['profile']: u for u in acc.other['users']}
    acc.other_admin = ready(acc, other['admin']['login'], other['admin']['password'])
    shops = acc.other['shops']
    refs = []
    for i, (card, capture) in enumerate([('4111111111111111', 'auto'),
                                         ('5555555555554444', 'manual'),
                                         ('4000000000000002', 'auto'),
                                         ('4970100000000006', 'auto')]):
        ref = f'{OTHER}-LEAK-{i}'
        r = acc.pay(card=card, capture=capture, shop=shops[i % len(shops)], order_ref=ref,
                    email='leak@otherbrand.example')
        assert r.status_code == 201, r.text
        refs.append(ref)
    out = subprocess.run([GUICHETD, 'batch', 'run', '--db', acc.db, '--date', acc.paris_day(5),
                          '--spool', os.path.join(acc.tmp, 'spool'), *acc.clock()], capture_output=True,
                         text=True, timeout=120, env=acc.env)
    assert out.returncode == 0, out.stderr
    # A return file of its own, its last line left out: a mismatch of its queue.
    header, lines = reconfile.read(reconfile.return_files(acc, 2)[0])
    reconfile.cli_import(acc, reconfile.write(os.path.join(acc.tmp, 'jrb-other.txt'), header,
                                              lines[:-1]))

    upload_order_file(acc, acc.other_admin, brand=2)  # a file of payment orders
    for shop in shops:  # its plans and subscriptions
        new_recurring(acc, 'plan', shop)
        new_recurring(acc, 'subscription', shop)
    for shop in shops:  # its merchant API's error log
        r = acc.api('POST', '/api/v1/payments', {'amount': 1}, shop=shop, signature='00' * 64)
        assert r.status_code == 401, r.text
    assert wait_for(lambda: q(acc, 'SELECT count(*) FROM api_error WHERE brand_id = 2')[0][0]
                    >= len(shops))

    def ids(table, where='1 = 1'):
        return {r[0] for r in q(acc, f'SELECT id FROM {table} WHERE brand_id = 2 AND {where}')}

    f = {'txn': ids('txn'), 'user': ids('user'), 'contract': ids('contract'),
         'batch': ids('batch'), 'node': ids('node'), 'action': ids('action_log'),
         'mail': ids('mail_outbox'), 'plan': ids('recurring', "kind = 'plan'"),
         'subscription': ids('recurring', "kind = 'subscription'"), 'block': ids('block_entry'),
         'shop': ids('shop'), 'mismatch': ids('recon_mismatch'),
         'order_file': ids('order_file')}
    assert all(f.values()), {k: len(v) for k, v in f.items()}
    # Words only the second brand has: its name and account, its users' logins, its shops' SITE
    # numbers, its contract numbers, its payments' references and customer's e-mail. (The
    # demo gives both brands' users the same e-mail addresses.)
    f['words'] = ({OTHER, 'otherbrand.', 'leak@otherbrand.example'} | set(refs)
                  | {s['site'] for s in shops}
                  | {r[0] for r in q(acc, 'SELECT number FROM contract WHERE brand_id = 2')})
    mine = {r[0] for r in q(acc, 'SELECT number FROM contract WHERE brand_id = 1')}
    mine |= {r[0] for r in q(acc, 'SELECT site FROM shop WHERE brand_id = 1')}
    assert not f['words'] & mine
    return f


def id_kind(pattern):
    prefix = pattern.split('{id}')[0]
    assert prefix in ID_KIND, f'{pattern}: which kind of id? (ID_KIND)'
    return ID_KIND[prefix]


def test_every_id_of_another_brand_is_not_found(acc, foreign):
    routes = [r for r in session_routes() if '{id}' in r]
    assert len(routes) >= 11
    for fid in foreign['txn']:  # each with a notification, written before the snapshot
        notification_of(acc, fid)
    before = snapshot(acc)
    tried = 0
    for profile in ('admin', 'action'):
        u = acc.users[profile]
        for route in routes:
            method, pattern = route.split(' ', 1)
            if profile not in MATRIX[route]:
                continue
            body = id_route_body(route)
            for fid in sorted(foreign[id_kind(pattern)]):
                path = pattern.replace('{id}', str(fid))
                if '{nid}' in path:  # its own notification: only the brand refuses it
                    path = path.replace('{nid}', str(notification_of(acc, fid)))
                r = u.call(method, path, body)
                assert r.status_code == 404, (profile, route, fid, r.status_code, r.text)
                assert r.json()['error'] and r.json()['message']
                tried += 1
    assert tried > 300
    # The bulk operations take the search's filters: another brand's ids find nothing.
    for route in ('capture-all', 'send-all'):
        for fid in sorted(foreign['txn']):
            r = acc.users['action'].call('POST', f'/bo/api/transactions/{route}?{WIDE}&id={fid}')
            assert r.status_code == 200 and r.json()['processed'] == 0, r.text
            assert r.json()['refused'] == []
    # Ids in bodies: a user created at, or moved to, another brand's node.
    admin = acc.users['admin']
    for nid in sorted(foreign['node']):
        r = admin.call('POST', '/bo/api/users', {
            'login': f'intrus.{nid}', 'name': 'Intrus', 'email': f'intrus{nid}@example.com',
            'profile': 'consultation', 'node_id': nid})
        assert r.status_code == 404, (nid, r.status_code, r.text)
        r = admin.call('PATCH', f'/bo/api/users/{acc.target_user}', {'node_id': nid})
        assert r.status_code == 404, (nid, r.status_code, r.text)
    same(before, snapshot(acc))


def test_the_other_way_round(acc, foreign):
    """The second brand's administrator reaches no id of the first brand either."""
    u = acc.other_admin
    mine = {'txn': {r[0] for r in q(acc, 'SELECT id FROM txn WHERE brand_id = 1 '
                                         'ORDER BY id DESC LIMIT 30')},
            'user': {r[0] for r in q(acc, 'SELECT id FROM user WHERE brand_id = 1')},
            'contract': {r[0] for r in q(acc, 'SELECT id FROM contract WHERE brand_id = 1')},
            'mail': {r[0] for r in q(acc, 'SELECT id FROM mail_outbox WHERE brand_id = 1')},
            'plan': {r[0] for r in q(acc, "SELECT id FROM recurring WHERE brand_id = 1 AND "
                                          "kind = 'plan'")},
            'subscription': {r[0] for r in q(acc, "SELECT id FROM recurring WHERE brand_id = 1 "
                                                  "AND kind = 'subscription'")},
            'block': {r[0] for r in q(acc, 'SELECT id FROM block_entry WHERE brand_id = 1')},
            'shop': {r[0] for r in q(acc, 'SELECT id FROM shop WHERE brand_id = 1')},
            'mismatch': {r[0] for r in q(acc, 'SELECT id FROM recon_mismatch WHERE brand_id = 1')},
            'order_file': {r[0] for r in q(acc, 'SELECT id FROM order_file WHERE brand_id = 1')},
            'batch': {r[0] for r in q(acc, 'SELECT id FROM batch WHERE brand_id = 1 '
                                           'ORDER BY id DESC LIMIT 30')}}
    for mid in mine['txn']:
        notification_of(acc, mid)
    before = snapshot(acc)
    for route in session_routes():
        if '{id}' not in route:
            continue
        method, pattern = route.split(' ', 1)
        for mid in sorted(mine[id_kind(pattern)]):
            path = pattern.replace('{id}', str(mid))
            if '{nid}' in path:
                path = path.replace('{nid}', str(notification_of(acc, mid)))
            r = u.call(method, path, id_route_body(route))
            assert r.status_code == 404, (route, mid, r.status_code, r.text)
    same(before, snapshot(acc))


# The routes that take node=ID (README "The tree and the contracts").
NODE_ROUTES = {'GET /bo/api/transactions', 'GET /bo/api/transactions/export',
               'GET /bo/api/transactions/summary',
               'GET /bo/api/batches', 'GET /bo/api/batches/export', 'GET /bo/api/contracts',
               'GET /bo/api/stats', 'GET /bo/api/users', 'GET /bo/api/hmac-keys',
               'GET /bo/api/actions', 'GET /bo/api/actions/export',
               'GET /bo/api/contracts/export', 'GET /bo/api/mails',
               'GET /bo/api/manual-entries/options',
               'GET /bo/api/installment-plans', 'GET /bo/api/installment-plans/export',
               'GET /bo/api/subscriptions', 'GET /bo/api/subscriptions/export',
               'GET /bo/api/blocklist', 'GET /bo/api/blocklist/export',
               'GET /bo/api/api-errors', 'GET /bo/api/api-errors/export',
               'GET /bo/api/reconciliation', 'GET /bo/api/reconciliation/export',
               'GET /bo/api/reconciliation/mismatches', 'GET /bo/api/order-files'}


def test_another_brands_node_is_not_found(acc, foreign):
    """node=ID on every route that takes it: another brand's nodes answer 404; the routes that
    take none refuse the parameter (400) or ignore it (the same answer as without it)."""
    own = q(acc, 'SELECT id FROM node WHERE brand_id = 1 AND parent_id IS NULL')[0][0]
    for route in session_routes():
        method, pattern = route.split(' ', 1)
        if method != 'GET' or '{id}' in pattern:
            continue
        # The administrator, or the one profile a route is for (the HMAC manager's).
        who = acc.users['admin' if 'admin' in MATRIX[route] else sorted(MATRIX[route])[0]]
        path, _ = plan(acc, route, 'admin', walk=False)
        sep = '&' if '?' in path else '?'
        if route not in NODE_ROUTES:
            if route in TEST_SESSION:
                who.sign_in('test')
            plain = who.call('GET', path)
            for nid in sorted(foreign['node']):
                r = who.call('GET', f'{path}{sep}node={nid}')
                # A file (the Paybox public key) is compared byte for byte.
                ignored = r.status_code == 200 and (
                    r.json() == plain.json()
                    if r.headers['Content-Type'].startswith('application/json')
                    else r.content == plain.content)
                assert r.status_code == 400 or ignored, (route, nid, r.status_code, r.text)
            if route in TEST_SESSION:
                who.sign_in()
            continue
        assert who.call('GET', f'{path}{sep}node={own}').status_code == 200, route
        for nid in sorted(foreign['node']):
            for p in ('admin', 'consultation', 'hmac'):
                if p not in MATRIX[route]:
                    continue
                r = acc.users[p].call('GET', f'{path}{sep}node={nid}')
                assert r.status_code == 404, (route, p, nid, r.status_code, r.text)
                assert r.json()['error'] and r.json()['message'], (route, r.text)
    # A refusal is the client's: no error in the server's log (exports used to log one); the
    # stuck mails' failures are the only ones.
    assert not [l for l in acc.read_log().splitlines()
                if 'level=error' in l and 'event=mail_failed' not in l]
    # The bulk operations too, and nothing is done.
    before = snapshot(acc)
    for route in ('capture-all', 'send-all'):
        for nid in sorted(foreign['node']):
            r = acc.users['action'].call('POST',
                                         f'/bo/api/transactions/{route}?{WIDE}&node={nid}')
            assert r.status_code == 404, (route, nid, r.text)
    same(before, snapshot(acc))


def pages(u, path):
    """Every page of a JSON list (items + next cursor)."""
    items, cursor = [], None
    while True:
        r = u.call('GET', path + (f'&cursor={cursor}' if cursor else ''))
        assert r.status_code == 200, (path, r.text)
        body = r.json()
        items += body['items']
        cursor = body.get('next')
        if cursor is None:
            return items, r.text


# The routes answered in a test session only (a production one's: 409).
TEST_SESSION = {'GET /bo/api/environment/production-account',
                'POST /bo/api/environment/production-account'}


# Every GET route without an id: how to read all of it, and which of its fields hold ids of
# which kind. None: a single JSON answer read as text; 'csv': an export.
LISTS = {
    'GET /bo/api/session': (None, '/bo/api/session', {}),
    'GET /bo/api/terms': (None, '/bo/api/terms', {}),
    'GET /bo/api/me': (None, '/bo/api/me', {}),
    'GET /bo/api/me/preferences': (None, '/bo/api/me/preferences', {}),
    'GET /bo/api/me/second-factor': (None, '/bo/api/me/second-factor', {}),
    'GET /bo/api/account': (None, '/bo/api/account', {}),
    'GET /bo/api/environment/production-account': (
        None, '/bo/api/environment/production-account', {}),
    'GET /bo/api/tree': ('nodes', '/bo/api/tree', {'id': 'node', 'parent_id': 'node'}),
    'GET /bo/api/stats': (None, f'/bo/api/stats?from={today(-400)}&to={today(5)}', {}),
    'GET /bo/api/transactions': ('pages', f'/bo/api/transactions?{WIDE}&limit=500',
                                 {'id': 'txn', 'shop': 'node', 'batch_id': 'batch'}),
    'GET /bo/api/transactions/export': ('csv', f'/bo/api/transactions/export?format=csv&{WIDE}',
                                        {'id': 'txn'}),
    'GET /bo/api/transactions/summary': (None, f'/bo/api/transactions/summary?{WIDE}', {}),
    'GET /bo/api/batches': ('pages', f'/bo/api/batches?{WIDE}&limit=500', {'id': 'batch'}),
    'GET /bo/api/batches/export': ('csv', f'/bo/api/batches/export?format=csv&{WIDE}', {}),
    'GET /bo/api/contracts': ('items', '/bo/api/contracts',
                              {'id': 'contract', 'shop_id': 'node'}),
    'GET /bo/api/contracts/export': ('csv', '/bo/api/contracts/export?format=csv', {}),
    'GET /bo/api/installment-plans': ('pages', f'/bo/api/installment-plans?{WIDE}&limit=500',
                                      {'id': 'plan'}),
    'GET /bo/api/installment-plans/export': (
        'csv', f'/bo/api/installment-plans/export?format=csv&{WIDE}', {'id': 'plan'}),
    'GET /bo/api/subscriptions': ('pages', f'/bo/api/subscriptions?{WIDE}&limit=500',
                                  {'id': 'subscription'}),
    'GET /bo/api/subscriptions/export': (
        'csv', f'/bo/api/subscriptions/export?format=csv&{WIDE}', {'id': 'subscription'}),
    'GET /bo/api/api-errors': ('pages', '/bo/api/api-errors?limit=500', {'shop_id': 'node'}),
    'GET /bo/api/api-errors/export': ('csv', '/bo/api/api-errors/export?format=csv', {}),
    'GET /bo/api/users': ('items', '/bo/api/users', {'id': 'user', 'node_id': 'node'}),
    'GET /bo/api/actions': ('pages', f'/bo/api/actions?{WIDE}',
                            {'id': 'action', 'user_id': 'user', 'target_user_id': 'user'}),
    'GET /bo/api/actions/export': ('csv', f'/bo/api/actions/export?{WIDE}', {}),
    'GET /bo/api/notices': ('items', '/bo/api/notices', {'shop_id': 'node'}),
    'GET /bo/api/mails': ('items', '/bo/api/mails', {'id': 'mail'}),
    'GET /bo/api/push-reports': ('items', '/bo/api/push-reports', {'user_id': 'user'}),
    # A link's file: the profile's own (push_link), no other brand's word in it.
    'GET /bo/api/push-reports/file/{key}': (
        None, lambda srv, profile: f'/bo/api/push-reports/file/{push_link(srv, profile)}', {}),
    'GET /bo/api/hmac-keys': ('items', '/bo/api/hmac-keys', {'shop_id': 'node'}),
    'GET /bo/api/manual-entries/options': ('shops', '/bo/api/manual-entries/options',
                                           {'id': 'node'}),
    'GET /bo/api/blocklist': ('pages', '/bo/api/blocklist?expired=1&limit=500',
                              {'id': 'block', 'node_id': 'node', 'txn_id': 'txn'}),
    'GET /bo/api/blocklist/export': ('csv', '/bo/api/blocklist/export?format=csv&expired=1',
                                     {'id': 'block', 'transaction': 'txn'}),
    'GET /bo/api/countries': (None, '/bo/api/countries', {}),
    # One key for the installation, no tenant's data: read whole, no other brand's word in it.
    'GET /bo/api/paybox-public-key': (None, '/bo/api/paybox-public-key', {}),
    'GET /bo/api/contact': ('contracts', '/bo/api/contact', {'id': 'contract',
                                                               'shop_id': 'node'}),
    'GET /bo/api/reconciliation': ('pages', f'/bo/api/reconciliation?{WIDE}&limit=500',
                                   {'id': 'txn', 'batch_id': 'batch', 'shop_id': 'node'}),
    'GET /bo/api/reconciliation/export': (
        'csv', f'/bo/api/reconciliation/export?format=csv&{WIDE}', {'id': 'txn',
                                                                     'batch_id': 'batch'}),
    'GET /bo/api/reconciliation/mismatches': (
        'pages', '/bo/api/reconciliation/mismatches?status=all&limit=500',
        {'id': 'mismatch', 'transaction_id': 'txn', 'batch_id': 'batch'}),
    'GET /bo/api/order-files': ('pages', '/bo/api/order-files?limit=500',
                                {'id': 'order_file', 'shop_id': 'node'}),
}


def read_all(u, how, path):
    """(rows as dicts, raw text) of one list."""
    if how == 'pages':
        return pages(u, path)
    r = u.call('GET', path)
    assert r.status_code == 200, (path, r.text)
    if how == 'csv':
        text = r.content.decode('utf-8')
        return list(csv.DictReader(io.StringIO(text, newline=''))), text
    if how is None:
        return [], r.text
    return r.json()[how], r.text


def test_no_list_search_or_export_shows_another_brand(acc, foreign):
    gets = [r for r in session_routes() if r.startswith('GET ') and '{id}' not in r]
    assert sorted(set(gets) - LISTS.keys()) == [], 'lists to add to LISTS'
    own_nodes = [r[0] for r in q(acc, 'SELECT id FROM node WHERE brand_id = 1')]
    read = 0
    for route, (how, path, fields) in LISTS.items():
        for profile in sorted(MATRIX[route]):
            u = acc.users[profile]
            variants = [path(acc, profile) if callable(path) else path]
            if route in ('GET /bo/api/contracts', 'GET /bo/api/transactions',
                         'GET /bo/api/batches'):
                sep = '&' if '?' in path else '?'
                variants += [f'{path}{sep}node={n}' for n in own_nodes]
            if route in TEST_SESSION:
                u.sign_in('test')
            for p in variants:
                rows, text = read_all(u, how, p)
                leaked = sorted(w for w in foreign['words'] if w.lower() in text.lower())
                assert leaked == [], (profile, p, leaked)
                for row in rows:
                    for field, kind in fields.items():
                        v = row.get(field)
                        if v not in (None, ''):
                            assert int(v) not in foreign[kind], (profile, p, field, v)
                read += 1
            if route in TEST_SESSION:
                u.sign_in()
    assert read > 40
    # Searching by another brand's references finds nothing either.
    u = acc.users['admin']
    batch = min(foreign['batch'])
    shop = max(foreign['node'])
    contract = q(acc, 'SELECT number FROM contract WHERE brand_id = 2 LIMIT 1')[0][0]
    for query in (f'batch_id={batch}', f'shop={shop}', f'contract={contract}',
                  f'order_ref={OTHER}-LEAK-%25', 'email=leak@otherbrand.example',
                  f'id={min(foreign["txn"])}'):
        for route in ('transactions', 'transactions/export', 'transactions/summary'):
            r = u.call('GET', f'/bo/api/{route}?{WIDE}&{query}'
                       + ('&format=csv' if 'export' in route else ''))
            assert r.status_code in (200, 404), (query, r.text)
            if r.status_code == 200:
                if 'export' in route:
                    assert len(r.content.decode().splitlines()) == 1, (query, r.text)
                elif 'summary' in route:
                    assert r.json() == {'count': 0, 'totals': []}, (query, r.text)
                else:
                    assert r.json()['items'] == [], (query, r.text)
    r = u.call('GET', f'/bo/api/batches?{WIDE}&contract={contract}')
    assert r.status_code in (200, 404) and (r.status_code == 404 or r.json()['items'] == [])
    user = min(foreign['user'])
    r = u.call('GET', f'/bo/api/actions?{WIDE}&user={user}')
    assert r.status_code in (200, 404) and (r.status_code == 404 or r.json()['items'] == [])


def test_statistics_do_not_move_with_another_brand(acc, foreign):
    """The first brand's figures stay the same while the second brand takes payments and
    settles; the second brand's own figures move (so the payments counted)."""
    period = f'from={acc.paris_day(-400)}&to={acc.paris_day(5)}'
    mine = acc.users['consultation']
    theirs = acc.other_admin
    before = mine.call('GET', f'/bo/api/stats?{period}').json()
    before_by_node = {n: mine.call('GET', f'/bo/api/stats?{period}&node={n}').json()
                      for (n,) in q(acc, 'SELECT id FROM node WHERE brand_id = 1')}
    other_before = theirs.call('GET', f'/bo/api/stats?{period}').json()
    for i in range(6):
        r = acc.pay(amount=5000 + i, shop=acc.other['shops'][i % 3],
                    order_ref=f'{OTHER}-STATS-{i}')
        assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text
    out = subprocess.run([GUICHETD, 'batch', 'run', '--db', acc.db, '--date', acc.paris_day(5),
                          '--spool', os.path.join(acc.tmp, 'spool'), *acc.clock()], capture_output=True,
                         text=True, timeout=120, env=acc.env)
    assert out.returncode == 0, out.stderr
    assert mine.call('GET', f'/bo/api/stats?{period}').json() == before
    for n, want in before_by_node.items():
        assert mine.call('GET', f'/bo/api/stats?{period}&node={n}').json() == want, n
    other_after = theirs.call('GET', f'/bo/api/stats?{period}').json()
    assert other_after['count'] == other_before['count'] + 6
    # And the first brand's count is its own daily roll-ups', while the second brand has
    # some in the period too.
    epoch = datetime(1970, 1, 1).date()
    first, last = ((datetime.strptime(acc.paris_day(d), '%Y-%m-%d').date() - epoch).days
                   for d in (-400, 5))
    counts = dict(q(acc, 'SELECT brand_id, sum(count) FROM stats_daily WHERE day BETWEEN ? AND ? '
                         'GROUP BY brand_id', (first, last)))
    assert before['count'] == counts[1] and counts[2] > 0
