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
