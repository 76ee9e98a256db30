#!/usr/bin/python3
"""bench/recurring.py - the scheduler's benchmark of docs/PERFORMANCE.md; `make bench-recurring`.

A database with BENCH_SUBSCRIPTIONS (default 1,000,000) subscriptions in progress, all due the
same day, each with its own card alias: `guichetd demo --transactions 0 --due-subscriptions N
--now DAY` writes them through the store's operations in the demo's bulk mode (large
transactions, synchronous NORMAL, 1 GiB of page cache), made once in bench/out/recurring/ and
reused. Then, each on a fresh copy of that file:

  1. `guichetd recurring run --date DAY+1`: every debit made (a payment through the simulator,
     its transaction, its history line, its debit row, the subscription's progress), timed;
  2. the same statements in the sqlite3 shell: a second copy is run again with --log-level
     debug, which logs every statement with its values in place (event=sql: the store's
     db_run, db_one_row and the recurring operations, BEGIN/SAVEPOINT/RELEASE/COMMIT
     included); they are replayed by one `sqlite3` process on a third copy, with the writer's
     pragmas (synchronous FULL, foreign keys, 256 MiB of cache, secure_delete) and the
     guichet_business_day function the statistics triggers call (bench/business_day.c, loaded
     as an extension). The figure: guichetd's time / the shell's (target 1.5 at most);
  3. the payment API while the round runs: a `guichetd serve` on a fourth copy, wrk sending
     signed POST /api/v1/payments on 64 connections (bench/payments.lua, the requests of
     bench/make_requests.py) for BENCH_SECONDS, once alone and once with `guichetd recurring
     run` started on the same database at the same moment: payments/s and p99 of each, the
     ratio, and the round's time beside the server.

Prints figures; never fails because of one. Fails only when it cannot measure. Files go to
bench/out/recurring/ (ignored by git). Settings (environment): BENCH_SUBSCRIPTIONS (1000000),
BENCH_SECONDS (15), BENCH_CONNECTIONS (64), BENCH_SKIP_SHELL=1 (no statement replay: the
second and third copies, and the log of some GB, not made), BUILD (build).
"""
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta

import guichet_bench
from guichet_bench import GUICHETD, ROOT, log

OUT = os.path.join(ROOT, 'bench', 'out', 'recurring')
N = int(os.environ.get('BENCH_SUBSCRIPTIONS', '1000000'))
SECONDS = int(os.environ.get('BENCH_SECONDS', '15'))
CONNS = int(os.environ.get('BENCH_CONNECTIONS', '64'))
SKIP_SHELL = os.environ.get('BENCH_SKIP_SHELL') == '1'
DAY = date(2026, 12, 6)          # the demo's day (18:00 Paris); the debits are due the next
DUE = DAY + timedelta(days=1)
RUN_NOW = f'{DUE}T06:00:00+01:00'  # the round's clock: the morning they are due
TARGET = 1.5
PRAGMAS = ('PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -262144; '
           'PRAGMA secure_delete = ON;\n')


def fresh_copy(src, name):
    dst = os.path.join(OUT, name)
    for side in ('', '-wal', '-shm'):
        if os.path.exists(dst + side):
            os.unlink(dst + side)
    shutil.copyfile(src, dst)
    return dst


def run_cmd(db, *extra):
    return [GUICHETD, 'recurring', 'run', '--db', db, '--date', str(DUE), '--now', RUN_NOW,
            '--key-file', os.path.join(OUT, 'guichet.key'), '--json', *extra]


def counts(db):
    with sqlite3.connect(f'file:{db}?mode=ro', uri=True) as c:
        return c.execute("SELECT (SELECT count(*) FROM txn), (SELECT count(*) FROM "
                         "recurring_debit), (SELECT sum(done) FROM recurring)").fetchone()


UNESCAPE = re.compile(r'\\(x[0-9a-f]{2}|u[0-9a-f]{4}|.)')


def unescape(v):
    """A value of the log (src/common/log.c put_value) as it was."""
    if not v.startswith('"'):
        return v

    def one(m):
        e = m.group(1)
        if e[0] in 'xu':
            return chr(int(e[1:], 16))
        return {'n': '\n', 'r': '\r', 't': '\t'}.get(e, e)
    return UNESCAPE.sub(one, v[1:-1])


def capture(db, script):
    """Runs the round on db with --log-level debug and writes its statements to script, as
    the shell will read them: one a line, each run once (a query stepped for many rows is
    logged at each step: consecutive repeats are one)."""
    p = subprocess.Popen(run_cmd(db, '--log-level', 'debug'), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, errors='replace')
    n = repeats = 0
    last = None
    with open(script, 'w') as f:
        f.write('.output /dev/null\n.load ' + os.path.join(OUT, 'business_day') + '\n' + PRAGMAS)
        for line in p.stderr:
            i = line.find('event=sql sql=')
            if i < 0:
                continue
            st = unescape(line[i + 14:].rstrip('\n'))
            if st == last and st.startswith('SELECT'):
                repeats += 1
                continue
            last = st
            f.write(st.rstrip(';') + ';\n')
            n += 1
    if p.wait() != 0:
        sys.exit('recurring run --log-level debug failed')
    return n, repeats


def shell_seconds(db, script):
    """The sqlite3 process reading script, less one reading nothing (start, open, load)."""
    def timed(path):
        t0 = time.monotonic()
        with open(path) as f:
            out = subprocess.run(['sqlite3', '-bail', db], stdin=f, capture_output=True,
                                 text=True)
        if out.returncode != 0:
            sys.exit('sqlite3 shell failed: ' + out.stderr[-1000:])
        return time.monotonic() - t0
    empty = os.path.join(OUT, 'empty.sql')
    with open(empty, 'w') as f:
        f.write('.output /dev/null\n.load ' + os.path.join(OUT, 'business_day') + '\n' + PRAGMAS +
                'SELECT count(*) FROM brand;\n')
    base = timed(empty)
    return max(0.0, timed(script) - base)


def payments(orig, meta_path):
    """Payments/s alone, then beside the round."""
    db = fresh_copy(orig, 'serve.db')
    srv = guichet_bench.Server(db, OUT, '--recurring-every', 'off', '--now',
                               f'{DAY}T20:00:00+01:00',
                               '--key-file', os.path.join(OUT, 'guichet.key'), start_s=600)
    files = {phase: guichet_bench.payment_requests(
        meta_path, f'{phase}{int(time.time())}', max(100000, 40000 * SECONDS),
        os.path.join(OUT, f'requests-{phase}.txt')) for phase in ('alone', 'round')}
    try:
        alone = guichet_bench.wrk(srv.base, files['alone'], CONNS, SECONDS)
        t0 = time.monotonic()
        rnd = subprocess.Popen(run_cmd(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        beside = guichet_bench.wrk(srv.base, files['round'], CONNS, SECONDS)
        round_s = time.monotonic() - t0
        # Still running: what it made while wrk ran, then a kill (what it committed stays,
        # tests/system/test_recurring_crash.py); done: its own figures.
        during = rnd.poll() is None
        if during:
            made = counts(db)[1]
            rnd.send_signal(signal.SIGKILL)
        out, err = rnd.communicate()
        if not during and rnd.returncode != 0:
            sys.exit('recurring run beside the server failed: ' + err[-1000:])
        res = (f'{made:,} debits in {round_s:.1f} s ({made / round_s:,.0f}/s), then killed'
               if during else f'done in {round_s:.1f} s: {out.strip()}')
    finally:
        srv.stop()
    return alone, beside, res


def main():
    if not os.path.exists(GUICHETD):
        sys.exit(f'{GUICHETD}: build first (ninja -C build)')
    for tool in ('sqlite3', 'wrk', 'cc'):
        if shutil.which(tool) is None:
            sys.exit(f'{tool} is missing (scripts/bootstrap installs it)')
    os.makedirs(OUT, exist_ok=True)
    ext = os.path.join(OUT, 'business_day.so')
    subprocess.run(['cc', '-O2', '-shared', '-fPIC', '-I' + os.path.join(ROOT, 'src'), '-o', ext,
                    os.path.join(ROOT, 'bench', 'business_day.c'),
                    os.path.join(ROOT, 'src', 'domain', 'calendar.c')], check=True)
    orig = os.path.join(OUT, f'due-{N}.db')
    t0 = time.monotonic()
    made = not os.path.exists(orig + '.json')
    guichet_bench.demo(orig, 0, '--due-subscriptions', str(N), '--now', str(DAY), '--key-file',
                       os.path.join(OUT, 'guichet.key'))
    made_s = time.monotonic() - t0
    log(f'{platform.node()}: {os.cpu_count()} cores, '
        f'{os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30:.0f} GiB, '
        f'load {os.getloadavg()[0]:.1f}; {N:,} subscriptions due {DUE} '
        f'({os.path.getsize(orig) / 1e9:.2f} GB{f", made in {made_s:.0f} s" if made else ""})')

    # 1. The round alone. A first run on a day with nothing due applies this build's
    # migrations, if any, outside the timing.
    db = fresh_copy(orig, 'guichetd.db')
    cmd = run_cmd(db)
    subprocess.run(cmd[:6] + ['1970-01-02'] + cmd[7:], capture_output=True, check=True)
    t0 = time.monotonic()
    out = subprocess.run(run_cmd(db), capture_output=True, text=True)
    guichetd_s = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit('recurring run failed: ' + out.stderr[-2000:])
    log(f'  guichetd recurring run: {out.stdout.strip()} in {guichetd_s:.1f} s '
        f'({N / guichetd_s:,.0f} debits/s)')
    want = counts(db)

    # 2. The same statements in the sqlite3 shell.
    if not SKIP_SHELL:
        script = os.path.join(OUT, 'statements.sql')
        n, repeats = capture(fresh_copy(orig, 'capture.db'), script)
        shell_db = fresh_copy(orig, 'shell.db')
        shell_s = shell_seconds(shell_db, script)
        got = counts(shell_db)
        same = 'same rows' if got == want else f'ROWS DIFFER: {got} != {want}'
        ratio = guichetd_s / shell_s if shell_s else float('inf')
        log(f'  sqlite3 shell, the same {n:,} statements ({os.path.getsize(script) / 1e9:.1f} GB '
            f'of SQL; {repeats:,} repeated steps left out): {shell_s:.1f} s; '
            f'{same}')
        log(f'  guichetd / shell = {ratio:.2f} (target {TARGET}: '
            f'{"met" if ratio <= TARGET else "MISSED"})')
        for side in ('capture.db', 'shell.db'):
            for ext_ in ('', '-wal', '-shm'):
                if os.path.exists(os.path.join(OUT, side + ext_)):
                    os.unlink(os.path.join(OUT, side + ext_))

    # 3. Payments beside the round.
    alone, beside, res = payments(orig, orig + '.json')
    ratio = float(beside['rps']) / float(alone['rps'])
    for name, r in (('alone', alone), ('beside the round', beside)):
        log('  ' + guichet_bench.payments_line(name, r))
    log(f'  payments beside the round / alone = {ratio:.2f}; the round beside the server: {res}')
    os.unlink(db)


if __name__ == '__main__':
    main()
