"""Notifications to the merchant's server (issue 12; README "Notifications"): after each
decision of a shop with a notification URL (the merchant API, the hosted page, the back
office's operations, the virtual terminal, the recurring debits, Paybox Direct), a signed call from the durable
outbox, retried with backoff, at least once, every attempt in the transaction's delivery log,
and "send again" in the back office.

The merchant's server is played by this test: a local HTTP server whose paths fail, recover,
answer slowly or redirect as each test needs, and which keeps every request it got. The
signature is checked here with Python's hmac, apart from the server's code."""
import contextlib
import hashlib
import hmac
import json
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import GUICHETD, PG, Server, connect, q, rfc3339, wait_for
from test_settings import U
from test_signin import ready_user

OTHER = 'NOTIFYOTHER'
PROFILES = ('admin', 'action', 'consultation')


class Merchant(ThreadingHTTPServer):
    """The merchant's server: per path, the statuses to answer in turn (the last one then
    forever), a delay; every request kept as (path, headers, body)."""
    daemon_threads = True
    request_queue_size = 128  # the notifier's parallel calls connect at once

    def __init__(self):
        super().__init__(('127.0.0.1', 0), Handler)
        self.lock = threading.Lock()
        self.got = []
        self.script = {}  # path -> [status, …]
        self.delay = {}   # path -> seconds

    def url(self, path):
        return f'http://127.0.0.1:{self.server_address[1]}{path}'

    def calls(self, path):
        with self.lock:
            return [g for g in self.got if g[0] == path]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self):
        m = self.server
        path = self.path.split('?')[0]
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        with m.lock:
            m.got.append((path, dict(self.headers), body, self.path, time.monotonic()))
            statuses = m.script.get(path, [200])
            status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        time.sleep(m.delay.get(path, 0))
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header('Location', m.url('/followed'))
        text = f'answer {status} ' + 'x' * 2000
        self.send_header('Content-Length', str(len(text)))
        self.end_headers()
        try:
            self.wfile.write(text.encode())
        except OSError:  # the notifier gave up waiting
            pass

    do_POST = answer
    do_GET = answer


@pytest.fixture(scope='module')
def nt(tmp_path_factory):
    m = Merchant()
    threading.Thread(target=m.serve_forever, daemon=True).start()
    srv = Server(str(tmp_path_factory.mktemp('notify')), transactions=40)
    srv.other = srv.add_brand(OTHER, transactions=5, seed=5)
    srv.merchant = m
    srv.start('--notify-retry-ms', '200', '--notify-timeout-ms', '1000')
    srv.u = {p: U(srv, ready_user(srv, f'demo.{p}')) for p in PROFILES}
    srv.shops = [r[0] for r in q(srv, 'SELECT id FROM shop WHERE brand_id = 1 ORDER BY id')]
    yield srv
    assert srv.stop() == 0
    m.shutdown()
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    for s in srv.demo['shops']:
        assert s['hmac_key'] not in log


def set_url(srv, url, shop=0):
    u = srv.u['admin']
    r = u.get(f'/bo/api/shops/{srv.shops[shop]}/settings')
    assert r.status_code == 200, r.text
    r = u.call('PUT', f'/bo/api/shops/{srv.shops[shop]}/settings',
               {'version': r.json()['version'], 'url_notify': url})
    assert r.status_code == 200, r.text
    assert r.json()['url_notify'] == url


def pay(srv, shop=0, **kw):
    r = srv.pay(shop=shop, **kw)
    assert r.status_code == 201, r.text
    return r.json()


def log_of(srv, tid, who='consultation'):
    r = srv.u[who].get(f'/bo/api/transactions/{tid}/notifications')
    assert r.status_code == 200, r.text
    return r.json()['items']


def check_signed(srv, headers, body, shop=0):
    s = srv.shop(shop)
    want = hmac.new(bytes.fromhex(s['hmac_key']), body, hashlib.sha512).hexdigest()
    assert headers['X-Guichet-Signature'] == want
    assert headers['X-Guichet-Site'] == s['site'] and headers['X-Guichet-Rang'] == s['rang']
    assert headers['Content-Type'] == 'application/json'


def test_failing_three_times_then_recovering_is_one_success_and_every_attempt(nt):
    m = nt.merchant
    m.script['/flaky'] = [500, 503, 500, 200]
    set_url(nt, m.url('/flaky'))
    p = pay(nt)
    assert wait_for(lambda: log_of(nt, p['id'])[0]['status'] == 'delivered', 20)
    time.sleep(1.5)  # long enough for a fifth call, if one were wrongly made
    calls = m.calls('/flaky')
    assert len(calls) == 4
    # Every attempt carries the same bytes, signed with the shop's key.
    assert len({c[2] for c in calls}) == 1
    for c in calls:
        check_signed(nt, c[1], c[2])
    body = json.loads(calls[0][2])
    assert body['id'] == p['id'] and body['order_ref'] == p['order_ref']
    assert body['amount'] == 1234 and body['currency'] == 'EUR'
    assert body['status'] == p['status'] == 'accepted' and body['refusal_reason'] is None
    assert body['card_masked'] == '411111******1111' and body['origin'] == 'api'
    assert '4111111111111111' not in calls[0][2].decode() and 'buyer@' not in calls[0][2].decode()
    [n] = log_of(nt, p['id'])
    assert n['url'] == m.url('/flaky') and n['method'] == 'POST' and n['signed'] is True
    assert n['attempts'] == 4 and n['done_at'] and n['next_attempt_at'] is None
    assert n['body'] == calls[0][2].decode()
    assert [a['http_status'] for a in n['log']] == [500, 503, 500, 200]
    assert [a['error'] is None for a in n['log']] == [False, False, False, True]
    # The first 1,000 bytes of each answer, no more.
    assert all(len(a['answer']) == 1000 and a['answer'].startswith('answer ') for a in n['log'])
    # The backoff: 200 ms doubling, +-25 % of jitter; the notifier looks every 250 ms.
    gaps = [b[4] - a[4] for a, b in zip(calls, calls[1:])]
    for i, g in enumerate(gaps):
        assert 0.75 * 0.2 * 2 ** i <= g < 1.25 * 0.2 * 2 ** i + 0.6, gaps
    rows = q(nt, 'SELECT state, attempts FROM notify_outbox WHERE txn_id = ?', (p['id'],))
    assert rows == [(1, 4)]
    assert q(nt, 'SELECT count(*) FROM notify_attempt a JOIN notify_outbox o ON o.id = '
                 'a.notify_id WHERE o.txn_id = ? AND a.http_status = 200', (p['id'],)) == [(1,)]


def test_a_refusal_is_notified_too_and_an_idempotent_replay_only_once(nt):
    m = nt.merchant
    set_url(nt, m.url('/ok'))
    key = uuid.uuid4().hex
    r1 = nt.pay(amount=1234, card='4000000000000002', headers={'Idempotency-Key': key},
                order_ref='R-' + key[:8])
    assert r1.status_code == 201, r1.text
    r2 = nt.pay(amount=1234, card='4000000000000002', headers={'Idempotency-Key': key},
                order_ref='R-' + key[:8])
    assert r2.json()['id'] == r1.json()['id']
    tid = r1.json()['id']
    assert wait_for(lambda: log_of(nt, tid)[0]['status'] == 'delivered')
    assert len(log_of(nt, tid)) == 1
    body = json.loads([c for c in m.calls('/ok') if json.loads(c[2])['id'] == tid][0][2])
    assert body['status'] == r1.json()['status']
    if body['status'] == 'refused':
        assert body['refusal_reason']


def test_an_operation_is_notified(nt):
    m = nt.merchant
    set_url(nt, m.url('/ops'))
    p = pay(nt, capture='manual')
    r = nt.api('POST', f"/api/v1/payments/{p['id']}/capture", {})
    assert r.status_code == 200, r.text
    assert wait_for(lambda: len(log_of(nt, p['id'])) == 2 and
                    all(n['status'] == 'delivered' for n in log_of(nt, p['id'])))
    bodies = [json.loads(c[2]) for c in m.calls('/ops') if json.loads(c[2])['id'] == p['id']]
    # Both may be called in one round, at once: they arrive in any order.
    bodies.sort(key=lambda b: ['payment', 'capture'].index(b['event']))
    assert [b['acquirer_status'] for b in bodies] == ['awaiting_capture', r.json()['acquirer_status']]
    assert bodies[1]['acquirer_status'] == 'to_send'


def test_a_hosted_page_payment_is_notified(nt):
    """The hosted page decides like the API does, and notifies like it (README "The hosted
    payment page"): its origin in the body, signed with the shop's key."""
    from test_hosted import card_post, request_fields, start, verify_return
    m = nt.merchant
    set_url(nt, m.url('/hosted'))
    r = card_post(nt, start(nt, request_fields(nt)).text)
    assert r.status_code == 303, r.text
    tid = int(verify_return(nt, r.headers['Location'])['GCH_ID'])
    assert wait_for(lambda: log_of(nt, tid) and log_of(nt, tid)[0]['status'] == 'delivered')
    calls = [c for c in m.calls('/hosted') if json.loads(c[2])['id'] in (tid, str(tid))]
    assert len(calls) == 1
    check_signed(nt, calls[0][1], calls[0][2])
    body = json.loads(calls[0][2])
    assert body['origin'] == 'hosted_page' and body['status'] == 'accepted'


def test_the_request_names_its_own_notification_url(nt):
    """GCH_URL_NOTIFY, signed with the request, takes the place of the shop's URL for this
    payment; a URL that is no http(s) is refused before anything."""
    from test_hosted import card_post, request_fields, start, verify_return
    m = nt.merchant
    set_url(nt, m.url('/shop-wide'))
    r = card_post(nt, start(nt, request_fields(nt, GCH_URL_NOTIFY=m.url('/this-order'))).text)
    assert r.status_code == 303, r.text
    tid = int(verify_return(nt, r.headers['Location'])['GCH_ID'])
    assert wait_for(lambda: log_of(nt, tid) and log_of(nt, tid)[0]['status'] == 'delivered')
    assert [json.loads(c[2])['id'] for c in m.calls('/this-order')] in ([tid], [str(tid)])
    assert not [c for c in m.calls('/shop-wide') if json.loads(c[2])['id'] in (tid, str(tid))]
    check_signed(nt, m.calls('/this-order')[0][1], m.calls('/this-order')[0][2])
    bad = start(nt, request_fields(nt, GCH_URL_NOTIFY='file:///etc/passwd'))
    assert bad.status_code == 400 and 'not valid' in bad.text


def test_many_due_at_once_are_each_called_once(nt):
    """More than two rounds due at once (LIMIT_NOTIFY_ROUND 256): the notifier calls a round
    while the writer records the one before; no row is called twice, none is left."""
    m = nt.merchant
    tid, brand, shop = q(nt, 'SELECT id, brand_id, shop_id FROM txn WHERE brand_id = 1 '
                             'ORDER BY id LIMIT 1')[0]
    at = nt.now_us()
    rows = [(brand, shop, tid, m.url('/many'), 1, 'application/json', json.dumps({'n': i}), '',
             at + i, at) for i in range(700)]
    with contextlib.closing(connect(nt.db)) as db, db:
        db.executemany('INSERT INTO notify_outbox(brand_id, shop_id, txn_id, url, post, '
                       'content_type, body, sig_header, next_at, created_at) '
                       'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', rows)
    assert wait_for(lambda: q(nt, "SELECT count(*) FROM notify_outbox WHERE url = ? AND "
                                  "state = 1", (m.url('/many'),))[0][0] == 700, 60)
    time.sleep(0.5)
    got = sorted(json.loads(c[2])['n'] for c in m.calls('/many'))
    assert sorted(set(got)) == list(range(700))
    # Each row has one success. On a loaded machine an attempt may fail (the test's server
    # slow to accept or to answer within --notify-timeout-ms) after the server got the call:
    # a call comes again only after an attempt that failed, never from two rounds at once.
    [(ok, rows, failed)] = q(nt, 'SELECT count(CASE WHEN a.http_status = 200 THEN 1 END), '
                                 'count(DISTINCT CASE WHEN a.http_status = 200 THEN '
                                 'a.notify_id END), count(CASE WHEN a.http_status != 200 '
                                 'THEN 1 END) FROM notify_attempt a JOIN '
                                 'notify_outbox o ON o.id = a.notify_id WHERE o.url = ?',
                             (m.url('/many'),))
    assert (ok, rows) == (700, 700)
    assert len(got) - 700 <= failed, (len(got), failed)


def test_a_timeout_is_an_attempt_that_failed(nt):
    m = nt.merchant
    m.delay['/slow'] = 2.5
    set_url(nt, m.url('/slow'))
    p = pay(nt)
    assert wait_for(lambda: len(log_of(nt, p['id'])[0]['log']) >= 2, 20)
    n = log_of(nt, p['id'])[0]
    assert n['status'] == 'pending' and n['next_attempt_at']
    for a in n['log'][:2]:
        assert a['http_status'] is None and 'timed out' in a['error'].lower()
        assert 900 <= a['duration_ms'] < 2500


def test_a_redirect_is_not_a_success_and_is_not_followed(nt):
    m = nt.merchant
    m.script['/moved'] = [302]
    set_url(nt, m.url('/moved'))
    p = pay(nt)
    assert wait_for(lambda: len(log_of(nt, p['id'])[0]['log']) >= 3, 20)
    n = log_of(nt, p['id'])[0]
    assert n['status'] == 'pending'
    assert {a['http_status'] for a in n['log']} == {302}
    assert all('302' in a['error'] for a in n['log'])
    assert m.calls('/followed') == []


def test_the_last_try_fails_the_notification(nt):
    m = nt.merchant
    m.script['/down'] = [500]
    set_url(nt, m.url('/down'))
    p = pay(nt)
    assert wait_for(lambda: len(log_of(nt, p['id'])[0]['log']) >= 1)
    # As if it had been tried eleven times already: the twelfth is the last.
    q(nt, 'UPDATE notify_outbox SET tries = 11, next_at = 0 WHERE txn_id = ? AND state = 0',
      (p['id'],))
    assert wait_for(lambda: log_of(nt, p['id'])[0]['status'] == 'failed')
    n = log_of(nt, p['id'])[0]
    assert n['done_at'] and n['next_attempt_at'] is None
    seen = len(m.calls('/down'))
    time.sleep(1)
    assert len(m.calls('/down')) == seen  # no more calls once failed


def test_send_again(nt):
    m = nt.merchant
    set_url(nt, m.url('/again'))
    p = pay(nt)
    assert wait_for(lambda: log_of(nt, p['id'])[0]['status'] == 'delivered')
    nid = log_of(nt, p['id'])[0]['id']
    path = f"/bo/api/transactions/{p['id']}/notifications/{nid}/resend"
    # Consultation reads the log but does not send.
    r = nt.u['consultation'].call('POST', path)
    assert r.status_code == 403 and r.json()['error'] == 'forbidden'
    # Without the CSRF token: refused, nothing changes.
    s = nt.u['action']
    r = s.s.post(nt.base + path, timeout=30)
    assert r.status_code == 403 and r.json()['error'] == 'csrf'
    before = q(nt, 'SELECT count(*) FROM action_log')
    r = s.call('POST', path)
    assert r.status_code == 200, r.text
    assert r.json()['id'] == nid and r.json()['status'] == 'pending'
    assert wait_for(lambda: log_of(nt, p['id'])[0]['status'] == 'delivered' and
                    len(log_of(nt, p['id'])[0]['log']) == 2)
    calls = [c for c in m.calls('/again') if json.loads(c[2])['id'] == p['id']]
    assert len(calls) == 2 and calls[0][2] == calls[1][2]
    assert q(nt, 'SELECT count(*) FROM action_log')[0][0] == before[0][0] + 1
    line = q(nt, "SELECT details FROM action_log WHERE action = 'notification_resent' "
                 'ORDER BY id DESC LIMIT 1')[0][0]
    assert str(nid) in line and str(p['id']) in line


def test_another_brand_and_another_transaction_are_not_found(nt):
    m = nt.merchant
    set_url(nt, m.url('/iso'))
    p1, p2 = pay(nt), pay(nt)
    assert wait_for(lambda: all(log_of(nt, p['id'])[0]['status'] == 'delivered'
                                for p in (p1, p2)))
    n1 = log_of(nt, p1['id'])[0]['id']
    other_txn = q(nt, 'SELECT max(id) FROM txn WHERE brand_id = 2')[0][0]
    u = nt.u['admin']
    row = 'SELECT state, tries, attempts, next_at FROM notify_outbox WHERE id = ?'
    before = q(nt, row, (n1,))
    lines = q(nt, "SELECT count(*) FROM action_log WHERE action = 'notification_resent'")
    for path in (f'/bo/api/transactions/{other_txn}/notifications',):
        r = u.get(path)
        assert r.status_code == 404 and r.json()['error'] == 'not_found'
    for path in (f'/bo/api/transactions/{other_txn}/notifications/{n1}/resend',
                 f"/bo/api/transactions/{p2['id']}/notifications/{n1}/resend",
                 f"/bo/api/transactions/{p1['id']}/notifications/999999999/resend"):
        r = u.call('POST', path)
        assert r.status_code == 404 and r.json()['error'] == 'not_found', (path, r.text)
    assert q(nt, row, (n1,)) == before
    assert q(nt, "SELECT count(*) FROM action_log WHERE action = 'notification_resent'") == lines


@pytest.mark.parametrize('url', ['ftp://127.0.0.1/n', 'http://merchant.example/notify',
                                 '/relative', 'https://user@merchant.example/',
                                 'https://merchant.example/' + 'a' * 600,
                                 'https://merchant.example/a b'])
def test_a_bad_notification_url_is_refused(nt, url):
    u = nt.u['admin']
    shop = nt.shops[1]
    cur = u.get(f'/bo/api/shops/{shop}/settings').json()
    r = u.call('PUT', f'/bo/api/shops/{shop}/settings',
               {'version': cur['version'], 'url_notify': url})
    assert r.status_code == 400 and r.json()['error'] == 'invalid_field'
    assert r.json()['field'] == 'url_notify'
    assert u.get(f'/bo/api/shops/{shop}/settings').json() == cur


def test_bad_input_on_the_routes(nt):
    u = nt.u['action']
    tid = q(nt, 'SELECT max(id) FROM txn WHERE brand_id = 1')[0][0]
    r = u.call('POST', f'/bo/api/transactions/{tid}/notifications/abc/resend')
    assert r.status_code == 404
    r = u.call('POST', f'/bo/api/transactions/{tid}/notifications/0/resend')
    assert r.status_code == 404
    r = u.call('POST', f'/bo/api/transactions/{tid}/notifications/1/resend', {'x': 1})
    assert r.status_code == 400
    r = u.call('DELETE', f'/bo/api/transactions/{tid}/notifications')
    assert r.status_code == 405


def test_a_shop_without_a_url_notifies_nothing(nt):
    set_url(nt, '', shop=1)
    p = pay(nt, shop=1)
    time.sleep(0.5)
    assert log_of(nt, p['id']) == []
    assert q(nt, 'SELECT count(*) FROM notify_outbox WHERE txn_id = ?', (p['id'],)) == [(0,)]


def test_pending_notifications_survive_a_restart(nt):
    m = nt.merchant
    m.script['/restart'] = [503]
    set_url(nt, m.url('/restart'))
    p = pay(nt)
    assert wait_for(lambda: len(log_of(nt, p['id'])[0]['log']) >= 1)
    assert nt.stop() == 0
    with m.lock:
        m.script['/restart'] = [200]
    nt.start('--notify-retry-ms', '200', '--notify-timeout-ms', '1000')
    assert wait_for(lambda: log_of(nt, p['id'])[0]['status'] == 'delivered', 20)
    assert log_of(nt, p['id'])[0]['log'][-1]['http_status'] == 200


# -- every other decision (README "Notifications": the event member) ---------------------------

def bodies(m, path, tid=None):
    """The bodies the merchant's server got on path (of transaction tid), each with its call,
    in the order the outbox wrote them (its calls run in parallel: their arrival is not)."""
    out = [(json.loads(c[2]), c) for c in m.calls(path)]
    out = [(b, c) for b, c in out if tid is None or b['id'] == str(tid)]
    return sorted(out, key=lambda bc: bc[1][2].decode().split('"notified_at":')[1])


def events(srv, tid):
    """The events of tid's notifications, in the order written."""
    return [json.loads(n['body'])['event'] for n in log_of(srv, tid)]


def outbox(srv, tid):
    return q(srv, 'SELECT count(*) FROM notify_outbox WHERE txn_id = ?', (tid,))[0][0]


def delivered(srv, tid, n):
    return lambda: (len(log_of(srv, tid)) == n and
                    all(x['status'] == 'delivered' for x in log_of(srv, tid)))


def test_the_body_says_which_event(nt):
    m = nt.merchant
    set_url(nt, m.url('/event'))
    p = pay(nt, capture='manual')
    r = nt.api('POST', f"/api/v1/payments/{p['id']}/capture", {})
    assert r.status_code == 200, r.text
    assert wait_for(delivered(nt, p['id'], 2))
    assert events(nt, p['id']) == ['payment', 'capture']
    got = [(b, c) for b, c in bodies(m, '/event', p['id']) if b['event'] == 'payment']
    # Appended last: an earlier version's body is this one's prefix.
    assert list(got[0][0])[-2:] == ['notified_at', 'event']
    assert got[0][1][2].decode().endswith(',"event":"payment"}')


def test_back_office_operations_are_notified_with_their_event(nt):
    m = nt.merchant
    set_url(nt, m.url('/bo'))
    u = nt.u['action']
    p = pay(nt, capture='manual')
    r = u.call('POST', f"/bo/api/transactions/{p['id']}/capture", {'amount': 1000})
    assert r.status_code == 200, r.text
    r = u.call('POST', f"/bo/api/transactions/{p['id']}/send")
    assert r.status_code == 200, r.text
    q(nt, 'UPDATE txn SET acq = 3 WHERE id = ?', (p['id'],))  # the bank took it
    r = u.call('POST', f"/bo/api/transactions/{p['id']}/refund", {'amount': 300})
    assert r.status_code == 201, r.text
    rf = r.json()['refund']['id']
    c = pay(nt)  # captured at once: cancelled before it is sent
    r = u.call('POST', f"/bo/api/transactions/{c['id']}/cancel")
    assert r.status_code == 200, r.text
    assert wait_for(delivered(nt, p['id'], 3))
    assert wait_for(delivered(nt, c['id'], 2))
    assert wait_for(delivered(nt, rf, 1))
    assert events(nt, p['id']) == ['payment', 'capture', 'send']
    got = bodies(m, '/bo', p['id'])
    assert len(got) == 3
    assert [b for b, _ in got if b['event'] == 'capture'][0]['acquirer_status'] == 'to_send'
    [(refund, call)] = bodies(m, '/bo', rf)
    assert refund['event'] == 'refund' and refund['amount'] == 300
    check_signed(nt, call[1], call[2])
    assert events(nt, c['id']) == ['payment', 'cancel']
    for b, call in got:
        check_signed(nt, call[1], call[2])
    # Blocking the card decides nothing about the payment: nothing told (a card of its own:
    # the other tests pay with the default one).
    b = pay(nt, card='5131000000000001')
    assert wait_for(delivered(nt, b['id'], 1))
    r = u.call('POST', f"/bo/api/transactions/{b['id']}/block-card")
    assert r.status_code == 200, r.text
    time.sleep(0.3)
    assert outbox(nt, b['id']) == 1


def test_a_refused_operation_notifies_nothing(nt):
    set_url(nt, nt.merchant.url('/refused'))
    u = nt.u['action']
    p = pay(nt)
    assert wait_for(delivered(nt, p['id'], 1))
    for path, body in (('capture', {}), ('refund', {'amount': 100}), ('cancel', None)):
        if path == 'cancel':
            q(nt, 'UPDATE txn SET acq = 3 WHERE id = ?', (p['id'],))
        r = u.call('POST', f"/bo/api/transactions/{p['id']}/{path}", body)
        assert r.status_code in (409, 422), (path, r.text)
    r = nt.api('POST', f"/api/v1/payments/{p['id']}/capture", {})
    assert r.status_code in (409, 422), r.text
    time.sleep(0.5)
    assert outbox(nt, p['id']) == 1
    assert q(nt, 'SELECT count(*) FROM txn WHERE parent_id = ?', (p['id'],)) == [(0,)]


def fail_inserts(srv, table, when):
    """A trigger (test_fail) that refuses the rows inserted into table for which when holds,
    as a constraint does: SQLite's RAISE(ABORT) reads as one, and PostgreSQL's exception is
    given a constraint's SQLSTATE (check_violation) to read the same."""
    if PG:
        q(srv, "CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
               "RAISE EXCEPTION 'test' USING ERRCODE = 'check_violation'; END$$")
        q(srv, f'CREATE TRIGGER test_fail BEFORE INSERT ON {table} FOR EACH ROW '
               f'WHEN ({when}) EXECUTE FUNCTION test_fail()')
    else:
        q(srv, f"CREATE TRIGGER test_fail BEFORE INSERT ON {table} WHEN {when} "
               "BEGIN SELECT RAISE(ABORT, 'test'); END")


def stop_failing(srv, table):
    if PG:
        q(srv, f'DROP TRIGGER test_fail ON {table}')
        q(srv, 'DROP FUNCTION test_fail()')
    else:
        q(srv, 'DROP TRIGGER test_fail')


def test_a_rolled_back_operation_leaves_no_notification(nt):
    """The notification is written before the operation's action-log line in the same
    transaction: a failure there takes both back."""
    set_url(nt, nt.merchant.url('/rollback'))
    p = pay(nt, capture='manual')
    assert wait_for(delivered(nt, p['id'], 1))
    fail_inserts(nt, 'action_log', "NEW.action = 'transaction_capture'")
    try:
        r = nt.u['action'].call('POST', f"/bo/api/transactions/{p['id']}/capture", {})
        # The trigger's abort reads as a constraint: 409, the job's transaction rolled back.
        assert r.status_code in (409, 500, 503), r.text
    finally:
        stop_failing(nt, 'action_log')
    assert outbox(nt, p['id']) == 1
    assert q(nt, 'SELECT acq FROM txn WHERE id = ?', (p['id'],)) == [(0,)]
    r = nt.u['action'].call('POST', f"/bo/api/transactions/{p['id']}/capture", {})
    assert r.status_code == 200, r.text
    assert wait_for(delivered(nt, p['id'], 2))


def test_a_virtual_terminal_payment_is_notified(nt):
    m = nt.merchant
    set_url(nt, m.url('/vt'))
    entry = U(nt, ready_user(nt, 'demo.entry'))
    ref = 'VT-' + uuid.uuid4().hex[:10]
    r = entry.call('POST', '/bo/api/manual-entries', {
        'type': 'one_off', 'shop_id': nt.shops[0], 'method': 'CB',
        'card': {'number': '4111111111111111', 'expiry': '1230'}, 'order_ref': ref,
        'amount': 4250})
    assert r.status_code == 201, r.text
    tid = int(r.json()['payment']['id'])
    assert wait_for(delivered(nt, tid, 1))
    [(b, call)] = bodies(m, '/vt', tid)
    check_signed(nt, call[1], call[2])
    assert b['event'] == 'payment' and b['order_ref'] == ref and b['amount'] == 4250
    assert b['origin'] == 'manual_entry' and b['status'] == 'accepted'
    assert '4111111111111111' not in call[2].decode()


def test_recurring_debits_are_notified_whoever_makes_them(nt):
    """The first debit, made when the plan is created (the merchant API here), and the next
    by `guichetd recurring run` beside the server: its own process, no shop cache."""
    m = nt.merchant
    set_url(nt, m.url('/recurring'))
    ref = 'PNF-' + uuid.uuid4().hex[:8]
    r = nt.api('POST', '/api/v1/installment-plans', {
        'currency': 'EUR', 'order_ref': ref,
        'card': {'number': '4111111111111111', 'expiry': '1230'},
        'installments': [{'amount': a, 'date': nt.paris_day(d)}
                         for a, d in ((1000, 0), (1001, 30))]})
    assert r.status_code == 201, r.text
    first = q(nt, 'SELECT id FROM txn WHERE order_ref = ? ORDER BY id', (ref,))
    assert len(first) == 1
    assert wait_for(delivered(nt, first[0][0], 1))
    [(b, call)] = bodies(m, '/recurring', first[0][0])
    check_signed(nt, call[1], call[2])
    assert b['event'] == 'payment' and b['origin'] == 'recurring' and b['amount'] == 1000
    day = nt.paris_day(30)
    out = subprocess.run([GUICHETD, 'recurring', 'run', '--db', nt.db, '--date', day, '--json',
                          '--now', rfc3339(nt.now() + 30 * 86400)],
                         capture_output=True, text=True, env=nt.env, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = q(nt, 'SELECT id FROM txn WHERE order_ref = ? ORDER BY id', (ref,))
    assert len(rows) == 2
    # Written in the debit's transaction, due at that run's instant (30 days ahead of the
    # server's clock): read from the outbox, signed as the notifier will send it.
    [(url, body, sig)] = q(nt, 'SELECT url, body, sig_header FROM notify_outbox WHERE '
                               'txn_id = ?', (rows[1][0],))
    assert url == m.url('/recurring')
    b = json.loads(body)
    assert b['event'] == 'payment' and b['origin'] == 'recurring' and b['amount'] == 1001
    s = nt.shop(0)
    want = hmac.new(bytes.fromhex(s['hmac_key']), body.encode(), hashlib.sha512).hexdigest()
    assert sig.split('\n')[0] == 'X-Guichet-Signature: ' + want


def test_paybox_direct_decisions_and_operations_are_notified(nt):
    from test_paybox_direct import nexylan, post, woo
    m = nt.merchant
    set_url(nt, m.url('/ppps'))
    shop = nt.shop(0)
    a, _ = post(nt, nexylan(nt, '00001', shop, 1500))
    assert a['CODEREPONSE'] == '00000', a
    tid = int(a['NUMTRANS'])
    c, _ = post(nt, woo(nt, '00002', shop, 1500, tid))
    assert c['CODEREPONSE'] == '00000', c
    # Capturing again is refused: nothing more told.
    again, _ = post(nt, woo(nt, '00002', shop, 1500, tid))
    assert again['CODEREPONSE'] == '00015', again
    q(nt, 'UPDATE txn SET acq = 3 WHERE id = ?', (tid,))
    rf, _ = post(nt, woo(nt, '00014', shop, 500, tid))
    assert rf['CODEREPONSE'] == '00000', rf
    x, _ = post(nt, nexylan(nt, '00003', shop, 700))  # captured at once: cancellable
    cancel, _ = post(nt, woo(nt, '00005', shop, 700, x['NUMTRANS']))
    assert cancel['CODEREPONSE'] == '00000', cancel
    assert wait_for(delivered(nt, tid, 2))
    assert wait_for(delivered(nt, int(rf['NUMTRANS']), 1))
    assert wait_for(delivered(nt, int(x['NUMTRANS']), 2))
    assert events(nt, tid) == ['payment', 'capture']
    got = bodies(m, '/ppps', tid)
    assert {b['origin'] for b, _ in got} == {'paybox_direct'}
    for _, call in got:
        check_signed(nt, call[1], call[2])
    [(r, _)] = bodies(m, '/ppps', int(rf['NUMTRANS']))
    assert r['event'] == 'refund' and r['amount'] == 500
    assert events(nt, int(x['NUMTRANS'])) == ['payment', 'cancel']


def test_a_rolled_back_paybox_direct_request_leaves_no_notification(nt):
    """Its answer is kept (NUMQUESTION) after the payment and its notification, in the same
    transaction: a failure there takes the three back."""
    from test_paybox_direct import nexylan, post
    set_url(nt, nt.merchant.url('/ppps-rollback'))
    txns, rows = (q(nt, f'SELECT count(*) FROM {t}')[0][0] for t in ('txn', 'notify_outbox'))
    fail_inserts(nt, 'idempotency', "NEW.key LIKE 'PPPS %'")
    try:
        a, _ = post(nt, nexylan(nt, '00001', nt.shop(0), 900))
    finally:
        stop_failing(nt, 'idempotency')
    assert a['CODEREPONSE'] == '00003', a
    assert q(nt, 'SELECT count(*) FROM txn')[0][0] == txns
    assert q(nt, 'SELECT count(*) FROM notify_outbox')[0][0] == rows


def test_paybox_direct_refusals_go_to_the_shops_error_log(nt):
    from test_paybox_direct import _with, nexylan, post, woo
    shop = nt.shop(0)
    sid = nt.shops[0]

    def logged():
        return q(nt, "SELECT http_status, code FROM api_error WHERE shop_id = ? AND path = "
                     "'/PPPS.php' ORDER BY id", (sid,))
    time.sleep(1.2)  # what earlier tests refused is written once a second: let it land
    before = len(logged())
    rows = q(nt, 'SELECT count(*) FROM notify_outbox')[0][0]
    r, _ = post(nt, _with(nexylan(nt, '00001', shop, 1500), CLE='00' * 64))
    assert r['CODEREPONSE'] == '00006'
    r, _ = post(nt, _with(nexylan(nt, '00001', shop, 1500), DEVISE='999'))
    assert r['CODEREPONSE'] == '00010'
    r, _ = post(nt, woo(nt, '00002', shop, 100, 999999999))
    assert r['CODEREPONSE'] == '00018'
    # An unknown shop has no log.
    r, _ = post(nt, _with(nexylan(nt, '00001', shop, 1500), SITE='1234567'))
    assert r['CODEREPONSE'] == '00006'
    assert wait_for(lambda: len(logged()) >= before + 3)
    time.sleep(1.2)
    assert sorted(logged()[before:]) == [(400, 'invalid_field'), (401, 'bad_signature'),
                                         (404, 'not_found')]
    assert q(nt, 'SELECT count(*) FROM notify_outbox')[0][0] == rows


def test_capture_all_and_send_all_notify_each_one(nt):
    from urllib.parse import quote
    from test_transactions import WIDE
    m = nt.merchant
    set_url(nt, m.url('/bulk'))
    tag = 'NBULK' + uuid.uuid4().hex[:6].upper()
    ps = [nt.pay(amount=1000 + i, capture='manual', order_ref=f'{tag}-{i}').json()
          for i in range(2)]
    filt = f'{WIDE}&order_ref={quote(tag + "%")}'
    u = nt.u['action']
    r = u.call('POST', '/bo/api/transactions/capture-all?' + filt)
    assert r.status_code == 200 and r.json()['processed'] == 2, r.text
    r = u.call('POST', '/bo/api/transactions/send-all?' + filt)
    assert r.status_code == 200 and r.json()['processed'] == 2, r.text
    for p in ps:
        assert wait_for(delivered(nt, p['id'], 3))
        assert events(nt, p['id']) == ['payment', 'capture', 'send']
    # Nothing left to capture: nothing more told.
    r = u.call('POST', '/bo/api/transactions/capture-all?' + filt)
    assert r.json()['processed'] == 0
    assert [outbox(nt, p['id']) for p in ps] == [3, 3]


def test_a_hosted_page_installment_plan_notifies_its_first_debit_once(nt):
    """The hosted page tells of the first installment it makes itself (hosted.c): the
    recurring service, which tells of every other debit, does not tell of that one again."""
    from test_hosted import card_post, request_fields, start, verify_return
    m = nt.merchant
    set_url(nt, m.url('/hosted-plan'))
    later = f'1000:{nt.paris_day(30)};1000:{nt.paris_day(60)}'
    page = start(nt, request_fields(nt, GCH_AMOUNT='1000', GCH_INSTALLMENTS=later))
    assert page.status_code == 200, page.text
    r = card_post(nt, page.text)
    assert r.status_code == 303, r.text
    tid = int(verify_return(nt, r.headers['Location'])['GCH_ID'])
    assert wait_for(delivered(nt, tid, 1))
    time.sleep(0.5)
    assert outbox(nt, tid) == 1
    [(b, call)] = bodies(m, '/hosted-plan', tid)
    check_signed(nt, call[1], call[2])
    assert b['event'] == 'payment' and b['origin'] == 'hosted_page' and b['amount'] == 1000
