#!/usr/bin/python3
"""bench/backoffice.py - the back-office benchmark of docs/PERFORMANCE.md; `make bench-bo`.

On a demo of BENCH_TXNS transactions over 13 months (default 10,000,000; made once, then
reused), through a real `guichetd serve` on loopback:

  1. searches: the first page of filtered searches, a page deep in the results, order
     references with wildcards ('ABC%', '%ABC%'): p50 and p95 over BENCH_RUNS requests;
  2. the 13-month dashboard (statistics): p50 and p95;
  3. the export of every transaction of the 13 months as CSV: rows/s, and the server's
     resident memory sampled every 20 ms during it;
  4. the télécollecte of about 1,000,000 due transactions (`guichetd batch run` on a copy of a
     second demo made with --unsent): seconds.

Beside each figure, the same statements run directly in the sqlite3 shell on the same file:
guichetd is started with --log-level debug, which logs every statement of a search, a
dashboard and a télécollecte with its values in place (event=sql, the value quoted and
escaped); this script replays a request's reads (not the writer's jobs the log interleaves
with them) and the télécollecte's transactions as they were logged, with `.timer on`, and sums
the shell's "real" times.

Prints figures; never fails because of one. Fails only when it cannot measure. Files go to
bench/out/bo/ (ignored by git), the demos named by their size. The first run spends most of its time making the demos.
Settings (environment): BENCH_TXNS (10000000), BENCH_DUE (1150000 transactions of the
--unsent demo, about 1,000,000 of them due), BENCH_RUNS (30), BUILD (build).
"""
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, timedelta

import requests

import guichet_bench
from guichet_bench import GUICHETD, ROOT, demo, log

OUT = os.path.join(ROOT, 'bench', 'out', 'bo')  # its own folder: its own guichet.key
TXNS = int(os.environ.get('BENCH_TXNS', '10000000'))
DUE = int(os.environ.get('BENCH_DUE', '1150000'))
RUNS = int(os.environ.get('BENCH_RUNS', '30'))
PASSWORD = 'Banc-Essai-2026-Guichet'
TARGETS = {'search': 50, 'ref_infix': 300, 'dashboard': 50, 'export_rows_s': 500000,
           'export_mb': 64, 'settlement_s': 30}


def logged_statements(text):
    """The statements of the event=sql lines of a guichetd log, as they were run: the value is
    written in quotes with its quotes, backslashes and controls escaped (common/log.c). A line
    cut at the log's line limit (2 KiB) has no closing quote: None in its place."""
    found = []
    for m in re.finditer(r'event=sql sql=(.*)', text):
        v = m.group(1)
        if not v.startswith('"'):
            found.append(v.split(' ')[0])
            continue
        end = re.match(r'"((?:[^"\\]|\\.)*)"', v)
        if end is None:
            found.append(None)
            continue
        found.append(re.sub(r'\\(x[0-9a-f]{2}|u[0-9a-f]{4}|.)', unescape, end.group(1)))
    return found


def unescape(m):
    e = m.group(1)
    if e[0] in 'xu' and len(e) > 1:
        return chr(int(e[1:], 16))
    return {'n': '\n', 'r': '\r', 't': '\t'}.get(e, e)


# store/sql/db.c: a reader's transaction starts with the backend's begin_read and ends with
# ROLLBACK; the writer's with begin_write, its write turn on PostgreSQL, a savepoint per job.
READ_BEGIN = ('BEGIN DEFERRED', 'BEGIN ISOLATION LEVEL REPEATABLE READ')
WRITE_BEGIN = ('BEGIN IMMEDIATE', 'BEGIN')
WRITES = re.compile(r'(SAVEPOINT|RELEASE|ROLLBACK TO|INSERT|UPDATE|DELETE|REPLACE'
                    r'|SELECT pg_advisory_xact_lock)\b')


def reads(statements):
    """What a request read: its reader's transaction and the statements outside any, without
    the other transactions the log interleaves with it (the server's jobs run while a reader
    reads: the writer's, another reader's, whose BEGIN and ROLLBACK come inside the first's).
    Returns (the reads, how many statements of other transactions were left out)."""
    got, reading, writing, left = [], 0, False, 0
    for st in statements:
        if st in READ_BEGIN:
            reading += 1
            if reading == 1:
                got.append(st)
            else:
                left += 1
        elif st == 'ROLLBACK' and reading or st == 'COMMIT' and reading and not writing:
            reading -= 1
            if reading == 0:
                got.append(st)
            else:
                left += 1
        elif st in WRITE_BEGIN:
            writing = True
            left += 1
        elif st in ('COMMIT', 'ROLLBACK') and writing:
            writing = False
            left += 1
        elif writing and (not reading or (st is not None and WRITES.match(st))):
            left += 1
        else:
            got.append(st)
    return got, left


class Server(guichet_bench.Server):
    def __init__(self, db):
        super().__init__(db, OUT, '--log-level', 'debug')

    def log_size(self):
        self.logf.flush()
        return os.path.getsize(self.log_path)

    def statements_since(self, offset):
        """The statements the server logged (event=sql) after offset."""
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            f.seek(offset)
            return logged_statements(f.read())

    def rss_kb(self):
        for line in open(f'/proc/{self.proc.pid}/status'):
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
        return 0



def sign_in(srv, login, first_password):
    """A ready session: the first time, the password is changed and the terms accepted."""
    s = requests.Session()
    known = srv.db + '.pass'
    password = open(known).read().strip() if os.path.exists(known) else first_password
    r = s.post(srv.base + '/bo/api/session',
               json={'login': login, 'password': password, 'takeover': True})
    if r.status_code != 200:
        sys.exit(f'sign-in failed: {r.status_code} {r.text}')
    csrf = r.json()['csrf']
    if r.json()['next'] == 'change_password':
        r = s.post(srv.base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
                   json={'old': password, 'new': PASSWORD})
        if r.status_code != 200:
            sys.exit(f'password change failed: {r.text}')
        open(known, 'w').write(PASSWORD)
    if r.json().get('next') == 'accept_terms':
        s.post(srv.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf}, json={'accept': True})
    return s


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def shell_run(db, script):
    t0 = time.perf_counter()
    out = subprocess.run(['sqlite3', '-readonly', db], input=script, capture_output=True,
                         text=True)
    return (time.perf_counter() - t0) if out.returncode == 0 else None


def shell_ms(db, statements, repeat=20, prelude=''):
    """The statements' time in one sqlite3 shell process, per run: the shell's .timer only
    shows milliseconds, so the whole process is timed with the statements repeated, less the
    same process with none (start, open, first page reads)."""
    head = '.output /dev/null\n' + prelude + 'SELECT count(*) FROM brand;\n'
    body = ''.join(''.join(st.rstrip(';') + ';\n' for st in statements) for _ in range(repeat))
    base = min(filter(None, (shell_run(db, head) for _ in range(3))), default=None)
    full = min(filter(None, (shell_run(db, head + body) for _ in range(2))), default=None)
    if base is None or full is None:
        return None
    return max(0.0, full - base) / repeat * 1000


def timed_get(s, url, **kw):
    t0 = time.perf_counter()
    r = s.get(url, **kw)
    return r, (time.perf_counter() - t0) * 1000


def measure(srv, s, name, path, target):
    """p50/p95 of GET path over RUNS requests; the same statements in the shell."""
    for _ in range(3):
        r, _ = timed_get(s, srv.base + path)
        if r.status_code != 200:
            sys.exit(f'{name}: {r.status_code} {r.text[:300]}')
    times = []
    for _ in range(RUNS):
        mark = srv.log_size()
        r, ms = timed_get(s, srv.base + path)
        times.append(ms)
    statements, left = reads(srv.statements_since(mark))
    shell = shell_ms(srv.db, statements) if None not in statements else None
    body = r.json()
    rows = len(body['items']) if 'items' in body else len(body.get('daily', []))
    p95 = pct(times, 95)
    log(f'  {name:<44} p50 {pct(times, 50):7.2f} ms  p95 {p95:7.2f} ms  '
        f'(target {target} ms: {"met" if p95 <= target else "MISSED"})  '
        f'sqlite3 shell {shell:7.2f} ms  [{rows} rows, {len(statements)} statements' +
        (f'; {left} of other transactions left out' if left else '') + ']'
        if shell is not None else f'  {name}: p95 {p95:.2f} ms (shell failed)')
    return body


def searches(srv, s, today):
    start = today - timedelta(days=395)
    period = f'from={start}&to={today}'
    log(f'searches over 13 months ({period}), {RUNS} runs each:')
    base = '/bo/api/transactions?' + period
    first = measure(srv, s, 'first page, no filter', base, TARGETS['search'])
    for name, q in (('first page, status=refused', '&status=refused'),
                    ('first page, AMEX and amount >= 50.00', '&payment_method=AMEX&amount=ge:5000'),
                    ('first page, awaiting capture', '&acquirer_status=awaiting_capture'),
                    ('first page, refunds of one shop', '&type=refund&shop=%d' % shop_id(srv)),
                    ('first page, amount = 12.34', '&amount=eq:1234'),
                    ('first page, cardholder e-mail', '&email=client4242@example.com'),
                    ('first page, one day', f'&from={today - timedelta(days=30)}'
                                            f'&to={today - timedelta(days=30)}'),
                    ("order reference 'CMD-00424%'", '&order_ref=CMD-00424%25'),
                    ("order reference '%4242-0%' (trigrams)", '&order_ref=%254242-0%25'),
                    ("order reference '%-00%' (common)", '&order_ref=%25-00%25')):
        target = TARGETS['ref_infix'] if '%25' in q and not q.startswith('&order_ref=CMD') \
            else TARGETS['search']
        path = base + q
        if q.startswith('&from='):
            path = '/bo/api/transactions?' + q[1:]
        measure(srv, s, name, path, target)
    # A page deep in the results: the cursor of the row half-way through the 13 months.
    import sqlite3
    with sqlite3.connect(f'file:{srv.db}?mode=ro', uri=True) as db:
        n = db.execute('SELECT count(*) FROM txn').fetchone()[0]
        c, i = db.execute('SELECT created_at, id FROM txn INDEXED BY txn_brand_created '
                          'WHERE brand_id = 1 ORDER BY created_at DESC, id DESC LIMIT 1 '
                          'OFFSET ?', (n // 2,)).fetchone()
    measure(srv, s, f'page {n // 2 // 50:,} (row {n // 2:,}), no filter',
            f'{base}&cursor={c}.{i}', TARGETS['search'])
    measure(srv, s, 'same depth, status=refused', f'{base}&status=refused&cursor={c}.{i}',
            TARGETS['search'])
    return first


def shop_id(srv):
    import sqlite3
    with sqlite3.connect(f'file:{srv.db}?mode=ro', uri=True) as db:
        return db.execute("SELECT id FROM shop WHERE brand_id = 1 AND rang = '002'").fetchone()[0]


def dashboard(srv, s, today):
    log('dashboard:')
    measure(srv, s, '13 months of statistics',
            f'/bo/api/stats?from={today - timedelta(days=395)}&to={today}', TARGETS['dashboard'])


def export(srv, s, today):
    period = f'from={today - timedelta(days=395)}&to={today}'
    log('export of the 13 months as CSV:')
    peak, done = [srv.rss_kb()], threading.Event()

    def sample():
        while not done.is_set():
            peak.append(srv.rss_kb())
            time.sleep(0.02)
    sampler = threading.Thread(target=sample)
    before = srv.rss_kb()
    sampler.start()
    mark = srv.log_size()
    # curl, not Python, reads the stream: on a 2-core machine the client shares the CPU.
    cookie = '; '.join(f'{k}={v}' for k, v in s.cookies.items())
    t0 = time.perf_counter()
    out = subprocess.run(f"set -o pipefail; curl -sf -w '%{{stderr}}%{{size_download}}' "
                         f"-H 'Cookie: {cookie}' "
                         f"'{srv.base}/bo/api/transactions/export?format=csv&{period}' | wc -l",
                         shell=True, executable='/bin/bash', capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f'export failed: {out.stderr}')
    lines, size = int(out.stdout.strip()), int(out.stderr.strip())
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    rows = lines - 1
    # The first page's statement.
    page = [st for st in reads(srv.statements_since(mark))[0]
            if st and re.search(r' FROM txn .* LIMIT \d+$', st)]
    shell = None
    if page:
        whole = re.sub(r'LIMIT \d+$', 'LIMIT -1', page[0])
        shell = shell_ms(srv.db, [whole], repeat=1, prelude='.mode csv\n')
    log(f'  {rows:,} rows, {size / 1e6:,.0f} MB in {seconds:.1f} s: {rows / seconds:,.0f} rows/s '
        f'(target {TARGETS["export_rows_s"]:,}: '
        f'{"met" if rows / seconds >= TARGETS["export_rows_s"] else "MISSED"})')
    log(f'  server resident memory: {before / 1024:.0f} MB before, peak {max(peak) / 1024:.0f} MB '
        f'during (target < {TARGETS["export_mb"]} MB: '
        f'{"met" if max(peak) / 1024 < TARGETS["export_mb"] else "MISSED"})')
    if shell:
        log(f'  sqlite3 shell, the same query over the whole period in CSV mode: {shell / 1000:.1f} s, '
            f'{rows / (shell / 1000):,.0f} rows/s')


def settlement(today):
    db = os.path.join(OUT, f'due-{DUE}.db')
    demo(db, DUE, '--unsent')
    log(f'télécollecte (--unsent demo of {DUE:,} transactions, every accepted debit due):')
    runs = {}
    for who in ('guichetd', 'shell'):
        copy = os.path.join(OUT, f'due-{DUE}-{who}.db')
        for side in ('', '-wal', '-shm'):
            if os.path.exists(copy + side):
                os.unlink(copy + side)
        shutil.copyfile(db, copy)
        runs[who] = copy
    import sqlite3
    with sqlite3.connect(runs['guichetd']) as c:
        due = c.execute('SELECT count(*) FROM txn WHERE acq = 2 AND bank_day > 0 AND '
                        'bank_day <= ? AND type IN (0, 1)',
                        ((today - date(1970, 1, 1)).days,)).fetchone()[0]
    # A day with nothing due first: the copy then has every migration of this build, so the
    # timed run is the télécollecte alone.
    for copy in runs.values():
        subprocess.run([GUICHETD, 'batch', 'run', '--db', copy, '--date', '1970-01-02', '--spool',
                        os.path.join(OUT, 'spool')], capture_output=True, check=True)
    t0 = time.monotonic()
    out = subprocess.run([GUICHETD, 'batch', 'run', '--db', runs['guichetd'], '--date',
                          str(today), '--spool', os.path.join(OUT, 'spool'), '--log-level',
                          'debug'], capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit('batch run failed: ' + out.stderr[-2000:])
    statements = logged_statements(out.stderr)
    log(f'  guichetd batch run: {due:,} due transactions in {seconds:.1f} s '
        f'(target {TARGETS["settlement_s"]} s: {"met" if seconds <= TARGETS["settlement_s"] else "MISSED"})')
    # As the batch ran them: a transaction a contract, each with its BEGIN and COMMIT.
    if statements and statements[0] not in WRITE_BEGIN:
        statements = ['BEGIN IMMEDIATE', *statements, 'COMMIT']
    if None in statements:
        log(f'  sqlite3 shell: {statements.count(None)} statements cut in the log')
        return
    script = '.timer on\n.output /dev/null\n' + ''.join(
        st.rstrip(';') + ';\n' for st in statements)
    shell = subprocess.run(['sqlite3', runs['shell']], input=script, capture_output=True,
                           text=True)
    times = [float(t) for t in re.findall(r'Run Time: real ([0-9.]+)', shell.stdout)]
    if shell.returncode == 0:
        log(f'  sqlite3 shell, the same {len(statements)} statements in their '
            f'{statements.count("COMMIT")} transactions: {sum(times):.1f} s')
    else:
        log('  sqlite3 shell failed: ' + shell.stderr[-500:])


def main():
    if not os.path.exists(GUICHETD):
        sys.exit(f'{GUICHETD}: build first (ninja -C build)')
    os.makedirs(OUT, exist_ok=True)
    big = os.path.join(OUT, f'demo-{TXNS}.db')
    meta = demo(big, TXNS)
    today = date.today()
    srv = Server(big)
    try:
        with __import__('sqlite3').connect(f'file:{big}?mode=ro', uri=True) as db:
            n, = db.execute('SELECT count(*) FROM txn').fetchone()
        log(f'{n:,} transactions in {os.path.getsize(big) / 1e9:.1f} GB ({big})')
        consultation = next(u for u in meta['users'] if u['profile'] == 'consultation')
        s = sign_in(srv, consultation['login'], consultation['password'])
        searches(srv, s, today)
        dashboard(srv, s, today)
        export(srv, s, today)
    finally:
        srv.stop()
    settlement(today)


if __name__ == '__main__':
    main()
