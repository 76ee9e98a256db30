#!/usr/bin/env python3
"""bench/notify.py - the notifier's rate against a plain libcurl loop (issue 12: 10,000 queued
notifications delivered to a local test server at >= 0.5 x the rate of a plain libcurl loop
posting the same bodies to it, same run); `make bench-notify` runs it.

1. A local test server: nginx answering 200 to every POST (`return 200`), keep-alive, no log:
   what a merchant's fast server does, so that neither side waits on it.
2. A fresh demo database (one transaction, which every row names); BENCH_NOTIFICATIONS (10000) notifications written
   into its outbox beside the stopped server, due at once, each a Guichet body (the format of
   service/notify.c) for a real transaction id, signed with the shop's key.
3. guichetd serve: its notifier delivers them. The figure is taken from the database: the
   count over the time from the first attempt to the last row delivered (notify_attempt.at,
   notify_outbox.done_at), so the start of the server is not counted.
4. build/notify_loop (bench/notify_loop.c, built by meson) posts the same bodies, one after the
   other on one kept-alive connection, with the same headers.

Prints one summary block; files in bench/out/notify/ (ignored by git). Settings (environment):
BENCH_NOTIFICATIONS (10000), BENCH_ROUNDS (1: each side BENCH_ROUNDS times, alternated, the
medians compared), BUILD (build), NGINX (/usr/sbin/nginx).
"""
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

import requests

from guichet_bench import GUICHETD, ROOT, Server, free_port, log

OUT = os.path.join(ROOT, 'bench', 'out', 'notify')
N = int(os.environ.get('BENCH_NOTIFICATIONS', '10000'))
ROUNDS = int(os.environ.get('BENCH_ROUNDS', '1'))
NGINX = os.environ.get('NGINX', '/usr/sbin/nginx')
LOOP = os.path.join(ROOT, os.environ.get('BUILD', 'build'), 'notify_loop')


def sink():
    """nginx on a free port answering 200 to everything; its process and URL."""
    nx = os.path.join(OUT, 'nginx')
    os.makedirs(os.path.join(nx, 'tmp'), exist_ok=True)
    port = free_port()
    user = 'user root;' if os.getuid() == 0 else ''
    open(os.path.join(nx, 'nginx.conf'), 'w').write(f'''{user}
worker_processes 1;
daemon off;
pid {nx}/nginx.pid;
error_log {nx}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path {nx}/tmp/body;
    proxy_temp_path {nx}/tmp/proxy;
    fastcgi_temp_path {nx}/tmp/fastcgi;
    uwsgi_temp_path {nx}/tmp/uwsgi;
    scgi_temp_path {nx}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ default_type application/json; return 200 '{{"received":true}}'; }}
    }}
}}
''')
    proc = subprocess.Popen([NGINX, '-p', nx + '/', '-e', nx + '/error.log', '-c',
                             nx + '/nginx.conf'], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}/notify'
    for _ in range(100):
        try:
            if requests.post(url, data=b'{}', timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.kill()
    sys.exit('nginx did not start; see ' + nx + '/error.log')


def bodies_and_db(url):
    """A fresh demo database with N due notifications to url; their bodies, one a line."""
    db = os.path.join(OUT, 'notify.db')
    for side in (db, db + '-wal', db + '-shm'):
        if os.path.exists(side):
            os.unlink(side)
    out = subprocess.run([GUICHETD, 'demo', '--db', db, '--transactions', '1', '--seed', '1',
                          '--json'], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit('demo failed: ' + out.stderr[-2000:])
    shop = json.loads(out.stdout)['shops'][0]
    key = bytes.fromhex(shop['hmac_key'])
    now_us = int(time.time() * 1e6)
    stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    lines, rows = [], []
    with sqlite3.connect(db) as c:
        brand, shop_id = c.execute('SELECT brand_id, id FROM shop WHERE site = ? AND rang = ?',
                                   (shop['site'], shop['rang'])).fetchone()
        # One transaction the rows name (the table's foreign key): bodies vary by id anyway.
        txn = c.execute('SELECT max(id) FROM txn').fetchone()[0]
        if txn is None:
            sys.exit('the demo has no transaction to notify about')
        for i in range(N):
            body = json.dumps({
                'id': str(1000000 + i), 'order_ref': f'BENCH-{i:06d}', 'amount': 1234 + i % 100,
                'currency': 'EUR', 'status': 'accepted', 'refusal_reason': None,
                'acquirer_status': 'to_send', 'origin': 'api', 'payment_method': 'VISA',
                'card_masked': '411111******1111', 'three_d_secure': None,
                'created_at': stamp, 'notified_at': stamp}, separators=(',', ':'))
            sig = hmac.new(key, body.encode(), hashlib.sha512).hexdigest()
            headers = (f'X-Guichet-Signature: {sig}\nX-Guichet-Site: {shop["site"]}\n'
                       f'X-Guichet-Rang: {shop["rang"]}')
            lines.append(body)
            rows.append((brand, shop_id, txn, url, 1, 'application/json', body, headers,
                         now_us, now_us))
        c.executemany('INSERT INTO notify_outbox(brand_id, shop_id, txn_id, url, post, '
                      'content_type, body, sig_header, next_at, created_at) VALUES '
                      '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', rows)
    path = os.path.join(OUT, 'bodies.txt')
    open(path, 'w').write('\n'.join(lines) + '\n')
    return db, path


def notifier_round(url):
    db, bodies = bodies_and_db(url)
    srv = Server(db, OUT)
    deadline = time.time() + max(600, N / 20)
    done = 0
    try:
        while time.time() < deadline:
            with sqlite3.connect(db) as c:
                done, failed = c.execute('SELECT count(*) FILTER (WHERE state = 1), '
                                         'count(*) FILTER (WHERE state = 2) FROM '
                                         'notify_outbox').fetchone()
            if done + failed >= N:
                break
            time.sleep(0.2)
    finally:
        srv.stop()
    with sqlite3.connect(db) as c:
        first, = c.execute('SELECT min(at - duration_ms * 1000) FROM notify_attempt').fetchone()
        last, = c.execute('SELECT max(done_at) FROM notify_outbox').fetchone()
        attempts, = c.execute('SELECT count(*) FROM notify_attempt').fetchone()
    if done < N:
        sys.exit(f'the notifier delivered {done} of {N}; see {OUT}/server.log')
    seconds = (last - first) / 1e6
    return N / seconds, seconds, attempts, bodies


def loop_round(url, bodies):
    out = subprocess.run([LOOP, url, bodies], capture_output=True, text=True)
    fields = dict(kv.split('=') for kv in out.stdout.split()[1:]) if out.stdout else {}
    if out.returncode != 0 or int(fields.get('ok', 0)) != N:
        sys.exit(f'notify_loop failed: {out.stdout} {out.stderr}')
    return float(fields['rate']), float(fields['seconds'])


def main():
    if not os.path.exists(GUICHETD) or not os.path.exists(LOOP):
        sys.exit('build first: make build (guichetd and notify_loop)')
    if not os.path.exists(NGINX):
        sys.exit(f'{NGINX} missing (scripts/bootstrap installs nginx-light)')
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    proc, url = sink()
    ours, theirs = [], []
    try:
        for r in range(ROUNDS):
            rate, seconds, attempts, bodies = notifier_round(url)
            log(f'round {r + 1}: notifier {N} in {seconds:.2f} s = {rate:,.0f}/s '
                f'({attempts} attempts)')
            ours.append(rate)
            rate, seconds = loop_round(url, bodies)
            log(f'round {r + 1}: plain libcurl loop {N} in {seconds:.2f} s = {rate:,.0f}/s')
            theirs.append(rate)
    finally:
        proc.terminate()
        proc.wait()
    a, b = statistics.median(ours), statistics.median(theirs)
    log(f'== summary ({N} notifications, {ROUNDS} round(s))')
    log(f'notifier            {a:10,.0f} /s')
    log(f'plain libcurl loop  {b:10,.0f} /s')
    log(f'notifier / loop = {a / b:.2f}   (target >= 0.50)')


if __name__ == '__main__':
    main()
