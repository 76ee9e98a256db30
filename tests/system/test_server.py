"""guichetd as a process: the demo command, start and stop, keys, listen rules (SPEC §1, §16)."""
import json
import os
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from conftest import GUICHETD, Server, sign


def run(*args, env=None):
    return subprocess.run([GUICHETD, *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


def test_demo_json_contract(tmp_path):
    srv = Server(str(tmp_path), transactions=500)
    demo = srv.demo
    profiles = sorted(u['profile'] for u in demo['users'])
    assert profiles == ['action', 'admin', 'consultation', 'entry', 'hmac']
    for u in demo['users']:
        assert len(u['password']) >= 12 and u['login']
    assert len(demo['shops']) == 3
    for s in demo['shops']:
        assert len(s['site']) == 7 and s['site'].isdigit()
        assert len(s['rang']) == 3 and s['rang'].isdigit()
        assert len(s['hmac_key']) == 128
        int(s['hmac_key'], 16)
    with sqlite3.connect(srv.db) as db:
        assert db.execute('SELECT count(*) FROM node WHERE level = "group"').fetchone()[0] == 2
        methods = {r[0] for r in db.execute('SELECT DISTINCT method FROM contract')}
        assert methods == {'CB', 'VISA', 'MASTERCARD', 'AMEX', 'PAYPAL'}
        # N payments (debits, some cancelled later), plus the refunds made of some of them.
        firsts = db.execute('SELECT count(*) FROM txn WHERE parent_id IS NULL').fetchone()[0]
        assert firsts == 500
        span = db.execute('SELECT (max(created_at) - min(created_at)) / 86400000000 '
                          'FROM txn').fetchone()[0]
        assert 300 <= span <= 400        # spread over 13 months
        mix = dict(db.execute('SELECT status, count(*) FROM txn GROUP BY status').fetchall())
        assert mix.get(1, 0) > 0         # some refused
        acq = {r[0] for r in db.execute('SELECT DISTINCT acq FROM txn')}
        assert {2, 3, 5} <= acq           # to send, sent, n/a
        kinds = {r[0] for r in db.execute('SELECT DISTINCT type FROM txn')}
        assert kinds == {0, 1, 2}         # debits, refunds, cancellations
        must = {r[0] for r in db.execute('SELECT must_change FROM user')}
        assert must == {1}
        hashes = [r[0] for r in db.execute('SELECT password_hash FROM user')]
        assert all(h.startswith('$argon2id$') for h in hashes)


def test_demo_is_deterministic(tmp_path):
    rows = []
    for name in ('a', 'b'):
        d = tmp_path / name
        d.mkdir()
        out = run('demo', '--db', str(d / 'g.db'), '--transactions', '300', '--seed', '42',
                  '--now', '2026-06-15', '--json')
        assert out.returncode == 0, out.stderr
        with sqlite3.connect(d / 'g.db') as db:
            rows.append(db.execute('SELECT type, status, acq, method, amount_initial, '
                                   'amount_current, order_ref, created_at FROM txn '
                                   'ORDER BY id').fetchall())
    assert rows[0] == rows[1]


def test_demo_refuses_a_database_that_has_it(tmp_path):
    db = str(tmp_path / 'g.db')
    assert run('demo', '--db', db, '--transactions', '0').returncode == 0
    again = run('demo', '--db', db, '--transactions', '0')
    assert again.returncode != 0 and 'already' in again.stderr


def test_wrong_kek_does_not_start(tmp_path):
    srv = Server(str(tmp_path), transactions=0)
    out = run('serve', '--db', srv.db, '--listen', '127.0.0.1:0',
              env={'GUICHET_KEK': '11' * 32})
    assert out.returncode != 0
    assert 'kek_mismatch' in out.stderr


def test_key_file_is_private(tmp_path):
    Server(str(tmp_path), transactions=0)
    mode = os.stat(tmp_path / 'guichet.key').st_mode & 0o777
    assert mode == 0o600


def test_plain_http_only_on_loopback(tmp_path):
    srv = Server(str(tmp_path), transactions=0)
    out = run('serve', '--db', srv.db, '--listen', '0.0.0.0:0')
    assert out.returncode == 2
    assert 'tls_required' in out.stderr


@pytest.mark.parametrize('args', [
    ['serve', '--db'], ['serve', '--loops', 'x'], ['demo', '--transactions', '-1'],
    ['demo', '--seed', 'abc'], ['nothing'], ['serve', '--listen', 'nonsense', '--db', 'x.db'],
])
def test_bad_command_lines(tmp_path, args):
    out = subprocess.run([GUICHETD, *args], capture_output=True, text=True, cwd=tmp_path,
                         timeout=30)
    assert out.returncode == 2, out.stderr


def test_sigterm_finishes_requests_in_flight(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    results = []

    def client():
        for _ in range(40):
            try:
                results.append(srv.pay().status_code)
            except requests.ConnectionError:
                results.append('refused')
                return

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    assert srv.stop() == 0
    for t in threads:
        t.join()
    # Every answered payment is in the database: nothing acknowledged was lost.
    answered = results.count(201)
    with sqlite3.connect(srv.db) as db:
        stored = db.execute('SELECT count(*) FROM txn').fetchone()[0]
    assert answered >= 1 and stored >= answered
    assert set(results) <= {201, 503, 'refused'}
    assert 'event=stopped status=0' in srv.read_log()


def test_restart_keeps_payments_and_keys(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    p = srv.pay().json()
    assert srv.stop() == 0
    srv.start()
    try:
        g = srv.api('GET', f"/api/v1/payments/{p['id']}")
        assert g.status_code == 200 and g.json()['id'] == p['id']
    finally:
        assert srv.stop() == 0


def test_concurrent_load_on_every_loop(tmp_path):
    """Both loops under concurrent keep-alive clients: every payment answered and stored.
    (Two loops whose h2o objects were made on the main thread corrupted the heap at the
    benchmark's 13k payments/s; this load is too light to reproduce that reliably, the
    benchmark reports a crash if it comes back.)"""
    srv = Server(str(tmp_path), transactions=0).start('--loops', '2')
    statuses = []

    def client():
        with requests.Session() as s:
            shop = srv.shop()
            for i in range(150):
                body = json.dumps({'amount': 1000 + i, 'currency': 'EUR', 'order_ref': f'L-{i}',
                                   'card': {'number': '4111111111111111', 'expiry': '1230',
                                            'cvv': '123'}}).encode()
                r = s.post(srv.base + '/api/v1/payments', data=body, timeout=30, headers={
                    'X-Guichet-Site': shop['site'], 'X-Guichet-Rang': shop['rang'],
                    'X-Guichet-Signature': sign(shop['hmac_key'], body)})
                statuses.append(r.status_code)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 1200
    assert srv.stop() == 0
    with sqlite3.connect(srv.db) as db:
        assert db.execute('SELECT count(*) FROM txn').fetchone()[0] == 1200
