"""What the Python benchmarks share (bench/backoffice.py, bench/signin_flood.py): a demo
database made once and kept for the next runs, and a guichetd server on a free port."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUICHETD = os.path.join(ROOT, os.environ.get('BUILD', 'build'), 'src', 'guichetd')


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def demo(path, n, *extra, db=None):
    """Makes the demo database path once (kept for the next runs); returns its JSON, kept in
    path.json. db: the database when it is not the file path (a PostgreSQL URI): its caller
    knows whether it is made, and gives it empty."""
    meta = path + '.json'
    if db is None and os.path.exists(path) and os.path.exists(meta):
        return json.load(open(meta))
    for side in (path, path + '-wal', path + '-shm', meta, path + '.pass'):
        if os.path.exists(side):
            os.unlink(side)
    log(f'making {os.path.basename(path)}: guichetd demo --transactions {n} {" ".join(extra)}')
    t0 = time.monotonic()
    out = subprocess.run([GUICHETD, 'demo', '--db', db or path, '--transactions', str(n), '--json',
                          *extra], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f'demo failed: {out.stderr[-2000:]}')
    log(f'  made in {time.monotonic() - t0:.0f} s ({n / (time.monotonic() - t0):,.0f} rows/s)')
    open(meta, 'w').write(out.stdout)
    return json.loads(out.stdout)


class Server:
    """`guichetd serve` on db, its log in out/server.log, waited for until /healthz answers:
    the first start on an older file applies migrations, which may take long."""

    def __init__(self, db, out, *extra, start_s=3600):
        self.db, self.port = db, free_port()
        self.base = f'http://127.0.0.1:{self.port}'
        self.log_path = os.path.join(out, 'server.log')
        self.logf = open(self.log_path, 'w')
        self.proc = subprocess.Popen(
            [GUICHETD, 'serve', '--db', db, '--listen', f'127.0.0.1:{self.port}',
             '--batch-time', 'off', '--spool', os.path.join(out, 'spool'), *extra],
            stdout=self.logf, stderr=self.logf)
        deadline = time.time() + start_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit('guichetd serve exited; see ' + self.log_path)
            try:
                if requests.get(self.base + '/healthz', timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        sys.exit('guichetd serve did not start')

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def payment_requests(meta_path, run, count, out):
    """count signed payment requests of the demo's first shop (bench/make_requests.py) into
    out, their order references marked with run."""
    subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'make_requests.py'),
                    '--demo-json', meta_path, '--count', str(count), '--run', run, '--out', out],
                   check=True)
    return out


def wrk(base, requests_file, connections, seconds):
    """wrk sending the signed payments of requests_file (bench/payments.lua) on connections
    keep-alive connections for seconds: the figures of its BENCH line (rps, p50_us, p99_us,
    status_201, status_other, errors …)."""
    out = subprocess.run(['wrk', '-t1', f'-c{connections}', f'-d{seconds}s', '--latency', '-s',
                          os.path.join(ROOT, 'bench', 'payments.lua'), base, '--',
                          requests_file, '1'], capture_output=True, text=True)
    line = next((l for l in out.stdout.splitlines() if l.startswith('BENCH ')), None)
    if line is None:
        sys.exit('wrk gave no result: ' + out.stdout[-500:] + out.stderr[-500:])
    return dict(kv.split('=') for kv in line.split()[1:])


def payments_line(name, r):
    """One line of figures for wrk's result r."""
    return (f'payments {name:<17} {float(r["rps"]):8,.0f}/s  p50 {int(r["p50_us"]) / 1000:6.2f} ms'
            f'  p99 {int(r["p99_us"]) / 1000:6.2f} ms  (201: {r["status_201"]}, other: '
            f'{r["status_other"]}, errors: {r["errors"]})')
