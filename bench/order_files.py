#!/usr/bin/python3
"""bench/order_files.py - files of payment orders beside the merchant API (docs/PERFORMANCE.md,
"Files of payment orders"); `make bench-order-files`.

In one run, each on a fresh copy of the same demo database (no transaction, made once in
bench/out/order_files/ and reused):

  1. a file of BENCH_ORDERS (default 1,000,000; at most 200,000 a file, so several files)
     payment orders uploaded to `POST /api/v1/order-files`, and the time until the
     `order_files` job has processed every line: upload (the check on a reader, the lines
     written on the writer) and processing, lines per second;
  2. payments through `POST /api/v1/payments`: wrk on 64 keep-alive connections
     (bench/payments.lua, N requests of bench/make_requests.py, sent again when they run out)
     for as long as the file took (at least 10 s): payments per second over the same time.

The figure: the file's lines per second / the API's payments per second. Prints figures; fails
only when it cannot measure. Settings (environment): BENCH_ORDERS (1000000),
BENCH_CONNECTIONS (64), BUILD (build).
"""
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import time

import requests

from guichet_bench import ROOT, Server, demo, log

OUT = os.path.join(ROOT, 'bench', 'out', 'order_files')
N = int(os.environ.get('BENCH_ORDERS', '1000000'))
CONNECTIONS = int(os.environ.get('BENCH_CONNECTIONS', '64'))
PER_FILE = 200000
HEADER = 'operation,reference,amount,currency,card_number,card_expiry,alias,transaction_id,capture'
CARDS = ('4111111111111111', '5555555555554444', '4970100000000006')


def fresh(name):
    path = os.path.join(OUT, name)
    for side in (path, path + '-wal', path + '-shm'):
        if os.path.exists(side):
            os.unlink(side)
    shutil.copy(os.path.join(OUT, 'demo.db'), path)
    return path


def files(run):
    """The order files, PER_FILE lines at most each, as bytes."""
    for start in range(0, N, PER_FILE):
        lines = [HEADER] + [
            f'payment,F-{run}-{n:07d},{100 + (n * 7919) % 400000},EUR,{CARDS[n % 3]},1230,,,'
            for n in range(start, min(N, start + PER_FILE))]
        yield ('\r\n'.join(lines) + '\r\n').encode()


def by_file(shop, db):
    out = os.path.join(OUT, 'file')
    os.makedirs(out, exist_ok=True)
    srv = Server(db, out)
    key = bytes.fromhex(shop['hmac_key'])
    head = {'X-Guichet-Site': shop['site'], 'X-Guichet-Rang': shop['rang'],
            'Content-Type': 'text/csv'}
    run = time.strftime('%H%M%S')
    ids, upload_s = [], 0.0
    t0 = time.monotonic()
    for body in files(run):
        u0 = time.monotonic()
        sig = hmac.new(key, body, hashlib.sha512).hexdigest()
        r = requests.post(srv.base + '/api/v1/order-files', data=body, timeout=600,
                          headers={**head, 'X-Guichet-Signature': sig})
        upload_s += time.monotonic() - u0
        if r.status_code != 202:
            sys.exit(f'upload refused: {r.status_code} {r.text[:300]}')
        ids.append(r.json()['file']['id'])
    accepted = 0
    for fid in ids:
        path = f'/api/v1/order-files/{fid}'
        sig = hmac.new(key, f'GET {path}\n'.encode(), hashlib.sha512).hexdigest()
        while True:
            f = requests.get(srv.base + path, timeout=60,
                             headers={**head, 'X-Guichet-Signature': sig}).json()['file']
            if f['status'] in ('done', 'done_with_errors'):
                accepted += f['accepted']
                break
            time.sleep(0.5)
    total = time.monotonic() - t0
    srv.stop()
    log(f'file:  {N:,} orders in {len(ids)} file(s): upload {upload_s:.1f} s, all done in '
        f'{total:.1f} s, {N / total:,.0f} lines/s ({accepted:,} accepted)')
    return N / total, total


def by_api(db, demo_json, seconds):
    out = os.path.join(OUT, 'api')
    os.makedirs(out, exist_ok=True)
    reqs = os.path.join(out, 'requests.txt')
    subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'make_requests.py'),
                    '--demo-json', demo_json, '--count', str(N), '--out', reqs], check=True)
    srv = Server(db, out)
    # As long as the file took: wrk runs for a fixed time, and a guess of N payments' time
    # (N / 1000 s before) ran 1,000 s at N = 1,000,000, far more payments than the file's.
    seconds = max(10, round(seconds))
    w = subprocess.run(['wrk', '-t1', f'-c{CONNECTIONS}', f'-d{seconds}s', '-s',
                        os.path.join(ROOT, 'bench', 'payments.lua'), srv.base, '--', reqs, '1'],
                       capture_output=True, text=True)
    srv.stop()
    m = re.search(r'BENCH requests=(\d+) duration_us=(\d+) rps=(\d+).*status_201=(\d+)',
                  w.stdout)
    if not m:
        sys.exit('wrk printed no figures: ' + w.stdout[-2000:] + w.stderr[-2000:])
    rps = int(m.group(4)) / (int(m.group(2)) / 1e6)
    log(f'api:   {int(m.group(4)):,} payments answered 201 in {int(m.group(2)) / 1e6:.1f} s on '
        f'{CONNECTIONS} connections, {rps:,.0f} payments/s')
    return rps


def main():
    os.makedirs(OUT, exist_ok=True)
    d = demo(os.path.join(OUT, 'demo.db'), 0)
    demo_json = os.path.join(OUT, 'demo.db.json')
    log(f'{N:,} payment orders, on {os.cpu_count()} CPUs')
    log(f'load average before: {" ".join(open("/proc/loadavg").read().split()[:3])}')
    file_rate, file_s = by_file(d['shops'][0], fresh('file.db'))
    log(f'load average after the file: {" ".join(open("/proc/loadavg").read().split()[:3])}')
    api_rate = by_api(fresh('api.db'), demo_json, file_s)
    log(f'load average after the API: {" ".join(open("/proc/loadavg").read().split()[:3])}')
    log(f'ratio: the file {file_rate / api_rate:.2f} × the API\'s rate')
    return 0


if __name__ == '__main__':
    sys.exit(main())
