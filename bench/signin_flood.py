#!/usr/bin/python3
"""bench/signin_flood.py - reads through a sign-in flood (docs/PERFORMANCE.md); `make bench-signin`.

The security review found that sign-ins, each an Argon2id of about 0.1 s of CPU and 64 MiB,
ran on the two readers that also answer the searches and the merchant API's reads: 600
sign-ins closed at once made the next signed GET /api/v1/payments/{id} wait 54.5 s. This
measures what a flood now costs the reads, through a real `guichetd serve` on loopback, on a
demo of BENCH_TXNS transactions (default 200,000; made once in bench/out/signin/, reused):

  1. the reads alone, BENCH_SECONDS (15): one client searching the back office (the first
     page of 13 months, 50 rows) and one reading a payment through the signed merchant API
     (GET /api/v1/payments/{id}), each sending its next request when the last is answered;
  2. the same reads while a sign-in flood runs, from another process: BENCH_FLOOD_CLIENTS
     (16) clients, each from addresses of its own (127.x.y.z: to the server, as many
     machines), signing in with unknown logins and waiting for each answer (every one costs
     an Argon2id unless refused), and every 2 s a burst of BENCH_BURST (600) sign-ins sent
     at once from 600 addresses and closed without waiting (the review's flood).

It prints each read's p50, p99 and count in both phases, the ratio of the flood's to the
reference's (the figure: 1.0 means the flood costs the reads nothing), and what the flood got
(answers by status, sign-ins the server hashed). Prints figures; never fails because of one.
Fails only when it cannot measure. Settings (environment): BENCH_TXNS, BENCH_SECONDS,
BENCH_FLOOD_CLIENTS, BENCH_BURST, BUILD (build).
"""
import http.client
import json
import multiprocessing
import os
import socket
import sys
import threading
import time
import uuid
from datetime import date, timedelta

import requests

import guichet_bench
from guichet_bench import GUICHETD, ROOT, log

OUT = os.path.join(ROOT, 'bench', 'out', 'signin')
TXNS = int(os.environ.get('BENCH_TXNS', '200000'))
SECONDS = float(os.environ.get('BENCH_SECONDS', '15'))
CLIENTS = int(os.environ.get('BENCH_FLOOD_CLIENTS', '16'))
BURST = int(os.environ.get('BENCH_BURST', '600'))
PASSWORD = 'Banc-Essai-2026-Guichet'


def demo():
    """The demo database (made once) and its JSON."""
    os.makedirs(OUT, exist_ok=True)
    db = os.path.join(OUT, f'demo-{TXNS}.db')
    return db, guichet_bench.demo(db, TXNS)


class Server(guichet_bench.Server):
    def __init__(self, db):
        super().__init__(db, OUT, start_s=600)

    def hashed(self):
        """Unknown logins the server hashed so far: one log line each."""
        self.logf.flush()
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            return f.read().count('reason=unknown_login')


def session(srv, meta, db):
    """A consultation user's ready session (the first time: password changed, terms)."""
    user = next(u for u in meta['users'] if u['profile'] == 'consultation')
    known = db + '.pass'
    password = open(known).read().strip() if os.path.exists(known) else user['password']
    s = requests.Session()
    r = s.post(srv.base + '/bo/api/session',
               json={'login': user['login'], 'password': password, 'takeover': True})
    if r.status_code != 200:
        sys.exit(f'sign-in failed: {r.status_code} {r.text}')
    csrf = r.json()['csrf']
    nxt = r.json()['next']
    if nxt == 'change_password':
        r = s.post(srv.base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
                   json={'old': password, 'new': PASSWORD})
        if r.status_code != 200:
            sys.exit('password change failed: ' + r.text)
        open(known, 'w').write(PASSWORD)
        nxt = r.json()['next']
    if nxt == 'accept_terms':
        s.post(srv.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf}, json={'accept': True})
    return s


def signed_get(shop, path):
    import hashlib
    import hmac
    sig = hmac.new(bytes.fromhex(shop['hmac_key']), f'GET {path}\n'.encode(),
                   hashlib.sha512).hexdigest()
    return {'X-Guichet-Site': shop['site'], 'X-Guichet-Rang': shop['rang'],
            'X-Guichet-Signature': sig}


def reads(srv, s, shop, pid, seconds):
    """The two readers for seconds: {kind: [latency ms]}, and the failures."""
    today = date.today()
    search = (f'{srv.base}/bo/api/transactions?from={today - timedelta(days=395)}'
              f'&to={today + timedelta(days=1)}&limit=50')
    path = f'/api/v1/payments/{pid}'
    headers = signed_get(shop, path)
    times = {'search': [], 'merchant_get': []}
    failures = []
    stop = time.monotonic() + seconds

    def loop(kind, call):
        c = requests.Session()
        c.cookies.update(s.cookies)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                r = call(c)
                ok = r.status_code == 200
            except requests.RequestException as e:
                ok, r = False, e
            times[kind].append((time.perf_counter() - t0) * 1000)
            if not ok:
                failures.append((kind, str(getattr(r, 'status_code', r))))

    threads = [threading.Thread(target=loop, args=('search', lambda c: c.get(search, timeout=120))),
               threading.Thread(target=loop, args=('merchant_get', lambda c: c.get(
                   srv.base + path, headers=headers, timeout=120)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, failures


def flood(port, seconds, clients, burst, results):
    """The flood, in a process of its own (the reads' process keeps its interpreter)."""
    stop = time.monotonic() + seconds
    counts = {}
    lock = threading.Lock()

    def waiting(k):
        n = 0
        while time.monotonic() < stop:
            n += 1
            source = f'127.{100 + k}.{n // 250 % 250}.{1 + n % 250}'
            try:
                c = http.client.HTTPConnection('127.0.0.1', port, timeout=120,
                                               source_address=(source, 0))
                c.request('POST', '/bo/api/session', headers={'Content-Type': 'application/json'},
                          body=json.dumps({'login': 'ghost-' + uuid.uuid4().hex[:10],
                                           'password': 'Nothing-But-Wrong-1'}))
                status = c.getresponse().status
                c.close()
            except OSError:
                status = 'error'
            with lock:
                counts[status] = counts.get(status, 0) + 1

    def bursts():
        n = 0
        while time.monotonic() < stop:
            socks = []
            for i in range(burst):
                n += 1
                # Each its own login and address: no rate limit stops them, as from a botnet.
                body = json.dumps({'login': f'ghost-burst-{n}',
                                   'password': 'Nothing-But-Wrong-1'}).encode()
                req = (b'POST /bo/api/session HTTP/1.1\r\nHost: x\r\n'
                       b'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n'
                       % len(body)) + body
                try:
                    sk = socket.create_connection(
                        ('127.0.0.1', port), timeout=10,
                        source_address=(f'127.{200 + n // 62500 % 50}.{n // 250 % 250}.'
                                        f'{1 + n % 250}', 0))
                    sk.sendall(req)
                    socks.append(sk)
                except OSError:
                    break
            for sk in socks:
                sk.close()
            with lock:
                counts['burst_sent'] = counts.get('burst_sent', 0) + len(socks)
            time.sleep(2)

    threads = [threading.Thread(target=waiting, args=(k,)) for k in range(clients)]
    threads.append(threading.Thread(target=bursts))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.update(counts)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float('nan')


def main():
    if not os.path.exists(GUICHETD):
        sys.exit(f'no {GUICHETD}: build first (make build)')
    db, meta = demo()
    srv = Server(db)
    try:
        s = session(srv, meta, db)
        shop = meta['shops'][0]
        body = {'amount': 1234, 'currency': 'EUR', 'order_ref': 'FLOOD-' + uuid.uuid4().hex[:8],
                'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'},
                'email': 'bench@example.com', 'capture': 'auto'}
        import hashlib
        import hmac
        raw = json.dumps(body).encode()
        r = requests.post(srv.base + '/api/v1/payments', data=raw, headers={
            'X-Guichet-Site': shop['site'], 'X-Guichet-Rang': shop['rang'],
            'X-Guichet-Signature': hmac.new(bytes.fromhex(shop['hmac_key']), raw,
                                            hashlib.sha512).hexdigest()})
        if r.status_code != 201:
            sys.exit('payment failed: ' + r.text)
        pid = r.json()['id']
        reads(srv, s, shop, pid, 2)     # warm the caches
        log(f'reads alone, {SECONDS:.0f} s ...')
        ref, ref_fail = reads(srv, s, shop, pid, SECONDS)
        log(f'reads during the flood ({CLIENTS} waiting clients, {BURST} closed at once '
            f'every 2 s), {SECONDS:.0f} s ...')
        hashed0 = srv.hashed()
        manager = multiprocessing.Manager()
        results = manager.dict()
        p = multiprocessing.Process(target=flood, args=(srv.port, SECONDS + 2, CLIENTS, BURST,
                                                        results))
        p.start()
        time.sleep(1)
        during, during_fail = reads(srv, s, shop, pid, SECONDS)
        p.join()
        hashed = srv.hashed() - hashed0
        flood_counts = dict(results)
    finally:
        srv.stop()
    log('')
    log(f'{"read":<14}{"phase":<10}{"count":>8}{"p50 ms":>10}{"p99 ms":>10}{"max ms":>10}')
    ratios = {}
    for kind in ('search', 'merchant_get'):
        for phase, times in (('alone', ref[kind]), ('flood', during[kind])):
            log(f'{kind:<14}{phase:<10}{len(times):>8}{pct(times, 50):>10.2f}'
                f'{pct(times, 99):>10.2f}{max(times):>10.2f}')
        ratios[kind] = (pct(during[kind], 50) / pct(ref[kind], 50),
                        pct(during[kind], 99) / pct(ref[kind], 99))
    log('')
    for kind, (r50, r99) in ratios.items():
        log(f'{kind}: p99 during the flood / alone = {r99:.2f}  (p50: {r50:.2f})')
    log(f'flood: {flood_counts}; unknown logins hashed by the server: {hashed}')
    log(f'failed reads: alone {len(ref_fail)}, during the flood {len(during_fail)}'
        + (f' (first: {during_fail[0]})' if during_fail else ''))
    log(f'BENCH signin_flood search_p99_ratio={ratios["search"][1]:.2f} '
        f'merchant_get_p99_ratio={ratios["merchant_get"][1]:.2f} hashed={hashed}')


if __name__ == '__main__':
    main()
