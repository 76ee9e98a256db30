#!/usr/bin/python3
"""bench/backoffice.py - the back-office benchmark of docs/PERFORMANCE.md; `make bench-bo`, and
on PostgreSQL `make bench-bo-pg` (BENCH_DB=pg).

On a demo of BENCH_TXNS transactions over 13 months (default 10,000,000; made once, then
reused), through a real `guichetd serve` on loopback:

  1. searches: the first page of filtered searches, a page deep in the results, order
     references with wildcards ('ABC%', '%ABC%'): p50 and p95 over BENCH_RUNS requests;
  2. the 13-month dashboard (statistics): p50 and p95;
  3. the export of every transaction of the 13 months as CSV: rows/s, and the server's
     resident memory sampled every 20 ms during it;
  4. the télécollecte of about 1,000,000 due transactions (`guichetd batch run` on a copy of a
     second demo made with --unsent): seconds; then the payment API (wrk as in bench/run) on
     a third copy, alone and while a `guichetd batch run` works on the same database: the
     two rates, their p99, and every payment answered 201 found in the database.

Beside each figure, the same statements run directly in the database's own shell: guichetd is
started with --log-level debug, which logs every statement of a search, a dashboard and a
télécollecte with its values (event=sql, the value quoted and escaped); this script replays a
request's reads (not the other transactions the log interleaves with them: the server's jobs)
and the télécollecte's transactions as they were logged.
  - SQLite: in the sqlite3 shell on the same file: a request's statements 20 times in one
    process timed whole, less the same process doing nothing (`.timer` shows milliseconds
    only); the export as the first page's statement without its LIMIT in `.mode csv`; the
    télécollecte with `.timer on`, the shell's "real" times summed.
  - PostgreSQL: in one `psql` on the same database as guichetd's role, `\\timing on`, the
    "Time:" lines summed (a request's statements 20 times, the mean). The backend logs a
    statement as PostgreSQL received it, with $N, and its parameters after it (` -- $1=…`,
    store/pg/pg_stmt.c): each is replayed as PREPARE, its parameters typed as guichetd binds
    them (bigint for an integer, bytea for a blob, unknown for a text, which the server
    infers), then EXECUTE, the two times added: the parse, plan and run that PQexecParams
    asks for in one round trip. A bytea is not logged: 32 zero bytes stand in for it. The
    export as the first page's statement, its values in
    place and LIMIT ALL, in `COPY (…) TO STDOUT (FORMAT csv)`, the psql process timed whole.

Prints figures; never fails because of one. Fails only when it cannot measure.
The first run spends most of its time making the demos.

SQLite: files go to bench/out/bo/ (ignored by git), the demos named by their size.
PostgreSQL (BENCH_DB=pg): a cluster of tests/system/pgcluster.py (Debian's PostgreSQL, a Unix
socket only, fsync and synchronous_commit on, initdb's defaults otherwise) kept in
bench/out/bo-pg/cluster, its demos kept as databases named by their size (demo_10000000,
due_1150000), made with the key-encrypting key kept in bench/out/bo-pg/kek (0600: a database
on a server has no key file beside it, guichetd reads GUICHET_KEK) and followed by a VACUUM
(ANALYZE), as PostgreSQL advises after a bulk load. The télécollecte's two copies are
databases made from due_1150000 as a template and dropped after it; before measuring, a run
waits for autovacuum's workers to finish. A run starts the cluster if it is not running, and
stops on exit (Ctrl-C and SIGTERM included) what it started.

Settings (environment): BENCH_DB (sqlite, or pg), BENCH_TXNS (10000000), BENCH_DUE (1150000
transactions of the --unsent demo, about 1,000,000 of them due), BENCH_RUNS (30), BENCH_OUT
(the folder: bench/out/bo or bench/out/bo-pg), BUILD (build), BENCH_STEPS (what to measure,
comma-separated: searches, dashboard, export (on SQLite beside the shell and beside
bench/export_loop.c, issue 16's reference), client (`guichet export` beside curl),
reports (the electronic reports beside the CSV export), settlement; all by default). The
--unsent demo is made only for the settlement step, the big one only for the others. For that
step: BENCH_CHUNK (the télécollecte's --chunk), BENCH_SKIP_SHELL=1 (its statements not
replayed), BENCH_SETTLEMENT_SECONDS (the payments' time beside it; default the time it took alone).

  5. reports (docs/EREPORTING.md): the same 13 months as the export, downloaded by curl to a
     file (bench/out/bo/report.out) as the CSV export and as an electronic report of each
     structure (standard, extended, file_management, dynamic) in each format (delimited, xml,
     fixed), the user's choice set through PATCH /bo/api/me/preferences before each; the
     CSV export, then the twelve reports, twice; the best of the two of each: rows/s, MB/s,
     and its rate over the CSV export's; with each download, the server's CPU time during it
     (user + system, /proc: on a shared machine, steadier than the wall time).
     BENCH_REPORT_FORMATS (delimited,xml,fixed): the formats measured; BENCH_REPORT_ROUNDS (2).
"""
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta

import requests

import guichet_bench
from guichet_bench import GUICHETD, ROOT, demo, log

sys.path.insert(0, os.path.join(ROOT, 'tests', 'system'))
import pgcluster  # noqa: E402  (tests/system: the tests' cluster, the same here)

PG = os.environ.get('BENCH_DB', 'sqlite') == 'pg'
# Its own folder: its own guichet.key (SQLite), its own cluster (PostgreSQL).
OUT = os.path.abspath(os.environ.get('BENCH_OUT') or
                      os.path.join(ROOT, 'bench', 'out', 'bo-pg' if PG else 'bo'))
TXNS = int(os.environ.get('BENCH_TXNS', '10000000'))
DUE = int(os.environ.get('BENCH_DUE', '1150000'))
RUNS = int(os.environ.get('BENCH_RUNS', '30'))
# What to measure (BENCH_STEPS, comma-separated; all by default).
STEPS = os.environ.get('BENCH_STEPS',
                       'searches,dashboard,export,client,reports,settlement').split(',')
PASSWORD = 'Banc-Essai-2026-Guichet'
# The télécollecte's transactions a database transaction (guichetd batch run --chunk); its
# statements not replayed in the shell (BENCH_SKIP_SHELL=1): the payments beside it only.
CHUNK = ['--chunk', os.environ['BENCH_CHUNK']] if os.environ.get('BENCH_CHUNK') else []
SKIP_SHELL = os.environ.get('BENCH_SKIP_SHELL') == '1'
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


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


# --- SQLite -----------------------------------------------------------------------------------

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


class Lite:
    """The demos as SQLite files in OUT; the reference is the sqlite3 shell."""
    ref = 'sqlite3 shell'

    def quiet(self):
        pass

    def drop(self, runs):
        pass  # kept, as they always were

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def demo(self, name, n, *extra):
        path = os.path.join(OUT, name + '.db')
        return path, demo(path, n, *extra)

    def uri(self, db):
        return db

    def state(self, db):
        """Where the files that go with the database start (db.json, db.pass)."""
        return db

    def rows(self, db, sql, *args):
        import sqlite3
        with sqlite3.connect(f'file:{db}?mode=ro', uri=True) as c:
            return c.execute(sql.format(by_created='INDEXED BY txn_brand_created'),
                             args).fetchall()

    def size(self, db):
        return os.path.getsize(db)

    def prepared(self, db):
        return ''

    def search_ms(self, db, statements):
        return shell_ms(db, statements)

    def export_s(self, db, statements):
        """The export's first page statement without its LIMIT, in the shell's CSV mode."""
        page = [st for st in statements if st and re.search(r' FROM txn .* LIMIT \d+$', st)]
        if not page:
            return None
        ms = shell_ms(db, [re.sub(r'LIMIT \d+$', 'LIMIT -1', page[0])], repeat=1,
                      prelude='.mode csv\n')
        return ms / 1000 if ms else None

    def export_loop_s(self, db, statements):
        """The same statement stepped by bench/export_loop.c (issue 16's reference: a plain C
        loop writing its rows as CSV), to /dev/null: its seconds, or None."""
        page = [st for st in statements if st and re.search(r' FROM txn .* LIMIT \d+$', st)]
        loop = os.path.join(ROOT, os.environ.get('BUILD', 'build'), 'export_loop')
        if not page or not os.path.exists(loop):
            return None
        sql = os.path.join(OUT, 'export-statement.sql')
        with open(sql, 'w') as f:
            f.write(re.sub(r'LIMIT \d+$', 'LIMIT -1', page[0]))
        out = subprocess.run([loop, db, sql, '/dev/null'], capture_output=True, text=True)
        m = re.search(r'seconds=([0-9.]+)', out.stdout)
        return float(m.group(1)) if out.returncode == 0 and m else None

    def copies(self, db, name, whose=('guichetd', 'ref')):
        """Fresh copies of the database db: {'guichetd': …, 'ref': …}."""
        runs = {}
        for who in whose:
            copy = os.path.join(OUT, f'{name}-{"shell" if who == "ref" else who}.db')
            for side in ('', '-wal', '-shm'):
                if os.path.exists(copy + side):
                    os.unlink(copy + side)
            shutil.copyfile(db, copy)
            runs[who] = copy
        return runs

    def replay(self, db, statements):
        """The statements in one shell, in the transactions they were logged in: (the seconds
        of each, None) or (None, error)."""
        if None in statements:
            return None, f'{statements.count(None)} statements cut in the log'
        # The télécollecte's connection's pragmas (store_sqlite.c: a writer's, and
        # STORE_USE_BATCH's 256 MiB of page cache).
        script = ('PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = '
                  'ON; PRAGMA cache_size = -262144;\n.timer on\n.output /dev/null\n' + ''.join(
                      st.rstrip(';') + ';\n' for st in statements))
        shell = subprocess.run(['sqlite3', db], input=script, capture_output=True, text=True)
        if shell.returncode != 0:
            return None, shell.stderr[-500:]
        # .timer prints one line after each statement.
        return [float(t) for t in re.findall(r'Run Time: real ([0-9.]+)', shell.stdout)], None


# --- PostgreSQL -------------------------------------------------------------------------------

def pg_split(statement):
    """A statement as the PostgreSQL backend logs it (store/pg/pg_stmt.c pg_expanded: the SQL
    with $N, then ' -- $N=value' for each parameter, NULL unbound, <bytes> a bytea) as (sql,
    values)."""
    parts = re.split(r' -- \$\d+=', statement)
    return parts[0], [None if v == 'NULL' else v for v in parts[1:]]


# A bytea parameter is not logged (a session's token hash, a sealed mail): 32 zero bytes
# stand in for it, the same index probe or the same small row written.
BYTES = "'\\x" + '00' * 32 + "'"


def pg_literal(v):
    if v == '<bytes>':
        return BYTES
    return 'NULL' if v is None else "'" + v.replace("'", "''") + "'"


def pg_type(v):
    """The type guichetd gives the parameter: an integer is bound as bigint, a blob as bytea,
    a text's is left to the server (store/pg/pg_stmt.c); a text of digits only would be taken
    for an integer."""
    if v == '<bytes>':
        return 'bytea'
    return 'bigint' if v is not None and re.fullmatch(r'-?[0-9]+', v) else 'unknown'


def pg_replay(statement, name='q'):
    """The psql lines that run the logged statement as guichetd did, \\timing on for its
    PREPARE and EXECUTE only; None when it cannot be (its log line cut)."""
    if statement is None:
        return None
    sql, values = pg_split(statement)
    sql = sql.rstrip().rstrip(';')
    if not values:
        return f'\\timing on\n{sql};\n\\timing off\n'
    types = ', '.join(pg_type(v) for v in values)
    return (f'\\timing on\nPREPARE {name} ({types}) AS {sql};\n'
            f'EXECUTE {name} ({", ".join(pg_literal(v) for v in values)});\n'
            f'\\timing off\nDEALLOCATE {name};\n')


def pg_inline(statement):
    """The logged statement with its values written in place of $N (outside quotes)."""
    sql, values = pg_split(statement)
    out, quote = [], None
    i = 0
    while i < len(sql):
        c = sql[i]
        if quote:
            quote = None if c == quote else quote
        elif c in '\'"':
            quote = c
        elif c == '$' and i + 1 < len(sql) and sql[i + 1].isdigit():
            m = re.match(r'\$(\d+)', sql[i:])
            v = values[int(m.group(1)) - 1]
            out.append(v if v is not None and pg_type(v) == 'bigint' else pg_literal(v))
            i += len(m.group(0))
            continue
        out.append(c)
        i += 1
    return ''.join(out).rstrip().rstrip(';')


class Pg:
    """The demos as databases of a cluster kept in OUT/cluster; the reference is psql."""
    ref = 'psql'

    def __init__(self):
        self.cluster = pgcluster.Cluster(os.path.join(OUT, 'cluster'))
        self.psql = os.path.join(self.cluster.bin, 'psql')
        self.started = False

    def __enter__(self):
        os.makedirs(OUT, exist_ok=True)
        kek = os.path.join(OUT, 'kek')
        if not os.path.exists(kek):
            # Demos made with a key now lost cannot be served: made again.
            for f in os.listdir(OUT):
                if f.endswith('.json'):
                    os.unlink(os.path.join(OUT, f))
            fd = os.open(kek, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, (secrets.token_hex(32) + '\n').encode())
            os.close(fd)
        os.environ['GUICHET_KEK'] = open(kek).read().strip()
        if not self.running():
            self.started = True
            self.cluster.start()
        return self

    def __exit__(self, *exc):
        if self.started:
            self.cluster.stop(remove=False)
            self.started = False
        return False

    def running(self):
        try:
            self.cluster.run(os.path.join(self.cluster.bin, 'pg_ctl'), '-D', self.cluster.data,
                             'status')
            return True
        except (subprocess.CalledProcessError, FileNotFoundError):
            return False

    def query(self, sql, db='postgres'):
        """psql -At -c sql as the cluster's superuser: its output (no time limit, unlike the
        tests' Cluster.psql: a VACUUM of 10M rows takes minutes)."""
        out = subprocess.run([self.psql, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d',
                              self.cluster.uri(db, 'postgres'), '-c', sql],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f'psql failed: {sql[:200]}: {out.stderr.strip()}')
        return out.stdout.strip()

    def demo(self, name, n, *extra):
        db = name.replace('-', '_')
        meta = os.path.join(OUT, db + '.json')
        if os.path.exists(meta) and self.query(
                f"SELECT count(*) FROM pg_database WHERE datname = '{db}'") == '1':
            return db, json.load(open(meta))
        self.query(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        got = demo(os.path.join(OUT, db), n, *extra, db=self.cluster.createdb(db))
        # After a bulk load, PostgreSQL's advice: statistics for the planner and the visibility
        # map for index-only scans, which autovacuum would do later, during a measurement.
        t0 = time.monotonic()
        self.query('VACUUM (ANALYZE)', db=db)
        log(f'  VACUUM (ANALYZE) in {time.monotonic() - t0:.0f} s')
        return db, got

    def uri(self, db):
        return self.cluster.uri(db)

    def state(self, db):
        return os.path.join(OUT, db)

    def rows(self, db, sql, *args):
        text = sql.format(by_created='')
        for i, a in enumerate(args):
            text = text.replace(f'?{i + 1}', str(int(a)))
        out = self.query(text, db=db)
        return [tuple(line.split('|')) for line in out.splitlines()]

    def size(self, db):
        return int(self.query('SELECT pg_database_size(current_database())', db=db))

    def prepared(self, db):
        """The state of the planner's statistics of txn, for the record."""
        return self.query("SELECT coalesce(greatest(last_analyze, last_autoanalyze)::text, "
                          "'never') FROM pg_stat_user_tables WHERE relname = 'txn'", db=db)

    def psql_run(self, db, script):
        """script in one psql on db as guichetd's role: (the sum of its Time: lines in ms
        between two \\echo @@ lines, for each part, None) or (None, error)."""
        out = subprocess.run([self.psql, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d',
                              self.uri(db)], input='\\o /dev/null\n' + script,
                             capture_output=True, text=True)
        if out.returncode != 0:
            return None, out.stderr.strip()[-500:]
        return [sum(float(t) for t in re.findall(r'^Time: ([0-9.]+) ms', part, re.M))
                for part in out.stdout.split('@@\n')], None

    def search_ms(self, db, statements, repeat=20):
        """The statements in one psql, repeated: the mean of a run's sum."""
        lines = [pg_replay(st, f'q{i}') for i, st in enumerate(statements)]
        if None in lines or not lines:
            return None
        ms, err = self.psql_run(db, ''.join(lines) * repeat)
        if err:
            log(f'    psql failed: {err}')
            return None
        return sum(ms) / repeat

    def export_s(self, db, statements):
        """The export's first page statement over the whole period (its LIMIT's value
        replaced by ALL), its values in place, as COPY … TO STDOUT in CSV: the whole psql
        process, less the same process doing nothing."""
        page = [st for st in statements if st and re.search(r' FROM txn .* LIMIT \$\d+ -- ', st)]
        if not page:
            return None
        query = re.sub(r'LIMIT \S+$', 'LIMIT ALL', pg_inline(page[0]))
        base = self.psql_wall(db, 'SELECT 1;\n')
        full = self.psql_wall(db, f'COPY ({query}) TO STDOUT (FORMAT csv);\n')
        return full - base if base is not None and full is not None else None

    def psql_wall(self, db, script):
        t0 = time.perf_counter()
        out = subprocess.run([self.psql, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d',
                              self.uri(db), '-o', '/dev/null'], input=script,
                             capture_output=True, text=True)
        if out.returncode != 0:
            log(f'    psql failed: {out.stderr.strip()[-500:]}')
            return None
        return time.perf_counter() - t0

    def quiet(self):
        """Before measuring: the télécollecte's copies of an earlier run dropped (autovacuum
        would clean their million updated rows during this run's searches), and autovacuum's
        workers waited for (15 minutes at most)."""
        for db in self.query("SELECT datname FROM pg_database WHERE datname LIKE 'due%\\_psql' "
                             "OR datname LIKE 'due%\\_guichetd'").split():
            self.query(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        t0 = time.monotonic()
        while time.monotonic() - t0 < 900 and self.query(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                "'autovacuum worker'") != '0':
            time.sleep(5)
        if time.monotonic() - t0 > 1:
            log(f'  waited {time.monotonic() - t0:.0f} s for autovacuum')

    def copies(self, db, name, whose=('guichetd', 'ref')):
        runs = {}
        for who in whose:
            copy = f'{db}_{"psql" if who == "ref" else who}'
            self.query(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
            self.cluster.createdb(copy, template=db)
            runs[who] = copy
        return runs

    def drop(self, runs):
        for db in runs.values():
            self.query(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    def replay(self, db, statements):
        """The statements in one psql, in the transactions they were logged in: (the seconds
        of each, None) or (None, error)."""
        lines = [pg_replay(st, 'q') for st in statements]
        if None in lines:
            return None, f'{lines.count(None)} statements cut in the log'
        ms, err = self.psql_run(db, ''.join(line + '\\echo @@\n' for line in lines))
        return ([t / 1000 for t in ms[:len(lines)]], None) if err is None else (None, err)


# --- the measurements -------------------------------------------------------------------------

class Server(guichet_bench.Server):
    def __init__(self, be, db):
        super().__init__(be.uri(db), OUT, '--log-level', 'debug')

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


def sign_in(srv, state, login, first_password):
    """A ready session: the first time, the password is changed (kept in state.pass) and the
    terms accepted."""
    s = requests.Session()
    known = state + '.pass'
    password = open(known).read().strip() if os.path.exists(known) else first_password
    r = s.post(srv.base + '/bo/api/session',
               json={'login': login, 'password': password, 'takeover': True})
    if r.status_code != 200:
        sys.exit(f'sign-in failed: {r.status_code} {r.text}')
    csrf = s.csrf = r.json()['csrf']
    if r.json()['next'] == 'change_password':
        r = s.post(srv.base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
                   json={'old': password, 'new': PASSWORD})
        if r.status_code != 200:
            sys.exit(f'password change failed: {r.text}')
        open(known, 'w').write(PASSWORD)
    if r.json().get('next') == 'accept_terms':
        s.post(srv.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf}, json={'accept': True})
    return s


def timed_get(s, url, **kw):
    t0 = time.perf_counter()
    r = s.get(url, **kw)
    return r, (time.perf_counter() - t0) * 1000


def measure(be, db, srv, s, name, path, target):
    """p50/p95 of GET path over RUNS requests; the same statements in the reference."""
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
    ref = be.search_ms(db, statements)
    body = r.json()
    rows = len(body['items']) if 'items' in body else len(body.get('daily', []))
    p95 = pct(times, 95)
    cut = statements.count(None)
    log(f'  {name:<44} p50 {pct(times, 50):7.2f} ms  p95 {p95:7.2f} ms  '
        f'(target {target} ms: {"met" if p95 <= target else "MISSED"})  ' +
        (f'{be.ref} {ref:7.2f} ms' if ref is not None else f'{be.ref} failed') +
        f'  [{rows} rows, {len(statements)} statements' +
        (f', {cut} cut in the log' if cut else '') +
        (f'; {left} of other transactions left out' if left else '') + ']')
    return body


def searches(be, db, srv, s, today):
    start = today - timedelta(days=395)
    period = f'from={start}&to={today}'
    log(f'searches over 13 months ({period}), {RUNS} runs each:')
    base = '/bo/api/transactions?' + period
    shop, = be.rows(db, "SELECT id FROM shop WHERE brand_id = 1 AND rang = '002'")[0]
    first = measure(be, db, srv, s, 'first page, no filter', base, TARGETS['search'])
    for name, q in (('first page, status=refused', '&status=refused'),
                    ('first page, AMEX and amount >= 50.00', '&payment_method=AMEX&amount=ge:5000'),
                    ('first page, awaiting capture', '&acquirer_status=awaiting_capture'),
                    ('first page, refunds of one shop', f'&type=refund&shop={shop}'),
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
        measure(be, db, srv, s, name, path, target)
    # A page deep in the results: the cursor of the row half-way through the 13 months.
    n = int(be.rows(db, 'SELECT count(*) FROM txn')[0][0])
    c, i = be.rows(db, 'SELECT created_at, id FROM txn {by_created} WHERE brand_id = 1 '
                   'ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?1', n // 2)[0]
    measure(be, db, srv, s, f'page {n // 2 // 50:,} (row {n // 2:,}), no filter',
            f'{base}&cursor={c}.{i}', TARGETS['search'])
    measure(be, db, srv, s, 'same depth, status=refused',
            f'{base}&status=refused&cursor={c}.{i}', TARGETS['search'])
    return first


def dashboard(be, db, srv, s, today):
    log('dashboard:')
    measure(be, db, srv, s, '13 months of statistics',
            f'/bo/api/stats?from={today - timedelta(days=395)}&to={today}', TARGETS['dashboard'])


def export(be, db, srv, s, today):
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
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    if out.returncode != 0:
        sys.exit(f'export failed: {out.stderr}')
    lines, size = int(out.stdout.strip()), int(out.stderr.strip())
    rows = lines - 1
    ref = be.export_s(db, reads(srv.statements_since(mark))[0])
    log(f'  {rows:,} rows, {size / 1e6:,.0f} MB in {seconds:.1f} s: {rows / seconds:,.0f} rows/s '
        f'(target {TARGETS["export_rows_s"]:,}: '
        f'{"met" if rows / seconds >= TARGETS["export_rows_s"] else "MISSED"})')
    log(f'  server resident memory: {before / 1024:.0f} MB before, peak {max(peak) / 1024:.0f} MB '
        f'during (target < {TARGETS["export_mb"]} MB: '
        f'{"met" if max(peak) / 1024 < TARGETS["export_mb"] else "MISSED"})')
    if ref:
        how = 'in CSV mode' if be.ref != 'psql' else 'as COPY … TO STDOUT (FORMAT csv)'
        log(f'  {be.ref}, the same query over the whole period {how}: {ref:.1f} s, '
            f'{rows / ref:,.0f} rows/s')
    else:
        log(f'  {be.ref}: the export\'s statement was not found or failed')
    loop = getattr(be, 'export_loop_s', None)
    loop_s = loop(db, reads(srv.statements_since(mark))[0]) if loop else None
    if loop_s:
        log(f'  bench/export_loop.c, the same statement stepped and written as CSV: '
            f'{loop_s:.1f} s, {rows / loop_s:,.0f} rows/s; guichet / loop = '
            f'{loop_s / seconds:.2f} (issue 16: >= 0.7)')


def client_export(srv, s, today, login):
    """guichet export (the command-line client, issue 14) of the same 13 months to a file,
    beside curl writing the same export to a file with the same session: twice each,
    alternating, the best of each; the target is guichet >= 0.8 x curl."""
    period = (today - timedelta(days=395)).isoformat(), today.isoformat()
    client = os.path.join(os.path.dirname(GUICHETD), 'cli', 'guichet')
    home = os.path.join(OUT, 'client')
    for sub in ('cfg/guichet', 'st/guichet'):
        os.makedirs(os.path.join(home, sub), mode=0o700, exist_ok=True)
    # The client's profile and the curl's session: its cookie, and a CSRF token a GET never
    # sends (the state file requires one).
    files = {'cfg/guichet/default.profile': {'host': '127.0.0.1', 'port': srv.port,
                                             'tls': False},
             'st/guichet/default.session': {'login': login,
                                            'token': s.cookies['guichet_session'],
                                            'csrf': 'not-sent-with-a-get'}}
    for name, content in files.items():
        path = os.path.join(home, name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
            json.dump(content, f)
    env = {**os.environ, 'HOME': home, 'XDG_CONFIG_HOME': os.path.join(home, 'cfg'),
           'XDG_STATE_HOME': os.path.join(home, 'st')}
    target = os.path.join(home, 'export.csv')
    url = (f'{srv.base}/bo/api/transactions/export?format=csv'
           f'&from={period[0]}&to={period[1]}')
    commands = {
        'curl': ['curl', '-sf', '-H', f'Cookie: guichet_session={s.cookies["guichet_session"]}',
                 '-o', target, url],
        'guichet': [client, 'export', '--from', period[0], '--to', period[1], '-o', target],
    }
    log('guichet export beside curl, the same export to a file, the same session:')
    best = {}
    for _ in range(2):
        for name, argv in commands.items():
            t0 = time.perf_counter()
            out = subprocess.run(argv, env=env, capture_output=True, text=True,
                                 stdin=subprocess.DEVNULL)
            seconds = time.perf_counter() - t0
            if out.returncode != 0:
                sys.exit(f'{name} export failed: {out.stderr}')
            size = os.path.getsize(target)
            best[name] = min(best.get(name, seconds), seconds)
            log(f'  {name:<8} {size / 1e6:,.0f} MB in {seconds:.1f} s')
            os.unlink(target)
    ratio = best['curl'] / best['guichet']
    log(f'  guichet / curl (best of two each): {ratio:.2f} '
        f'(target >= 0.8: {"met" if ratio >= 0.8 else "MISSED"})')


REPORT_STRUCTURES = ('standard', 'extended', 'file_management', 'dynamic')
REPORT_FORMATS = os.environ.get('BENCH_REPORT_FORMATS', 'delimited,xml,fixed').split(',')
REPORT_ROUNDS = int(os.environ.get('BENCH_REPORT_ROUNDS', '2'))


def load_average():
    return ' '.join(open('/proc/loadavg').read().split()[:3])


def reports(srv, s, today):
    """The electronic reports of the export's 13 months in each structure and format, beside
    the CSV export of the same period: curl to a file, the CSV export first then the twelve
    reports, twice; the best of each. The rows are counted in the file (wc -l, after the
    timing): a report's row is one line in every format (XML: less its three lines of
    declaration and root, delimited: less its header)."""
    period = f'from={today - timedelta(days=395)}&to={today}'
    target = os.path.join(OUT, 'report.out')
    cookie = f'guichet_session={s.cookies["guichet_session"]}'
    log(f'electronic reports of the 13 months beside the CSV export (curl to a file), '
        f'load average {load_average()}:')

    def choose(structure, fmt):
        r = s.patch(srv.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': s.csrf},
                    json={'ereport': {'structure': structure, 'format': fmt}})
        if r.status_code != 200:
            sys.exit(f'ereport choice refused: {r.status_code} {r.text[:300]}')

    def cpu_s():
        # utime and stime of the server, in clock ticks (proc(5)), after its name's ')'.
        stat = open(f'/proc/{srv.proc.pid}/stat').read().rsplit(')', 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf('SC_CLK_TCK')

    def download(name, fmt):
        cpu0 = cpu_s()
        t0 = time.perf_counter()
        out = subprocess.run(['curl', '-sf', '-H', f'Cookie: {cookie}', '-o', target, '-w',
                              '%{size_download}',
                              f'{srv.base}/bo/api/transactions/export?format={fmt}&{period}'],
                             capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        cpu = cpu_s() - cpu0
        if out.returncode != 0:
            sys.exit(f'{name}: curl failed ({out.returncode}) {out.stderr}')
        size = int(out.stdout.strip())
        lines = int(subprocess.run(['wc', '-l', target], capture_output=True,
                                   text=True).stdout.split()[0])
        rows = lines - (3 if name.endswith('/xml') else 0 if name.endswith('/fixed') else 1)
        log(f'  {name:<26} {rows:>11,} rows {size / 1e6:8,.0f} MB in {seconds:6.1f} s: '
            f'{rows / seconds:9,.0f} rows/s {size / 1e6 / seconds:6.1f} MB/s  '
            f'server CPU {cpu:5.1f} s  (load {load_average()})')
        return rows, size, seconds, cpu

    runs = [('CSV export', 'csv', None)] + [
        (f'{st}/{fmt}', 'report', (st, fmt)) for st in REPORT_STRUCTURES for fmt in REPORT_FORMATS]
    best = {}
    for _ in range(REPORT_ROUNDS):
        for name, fmt, choice in runs:
            if choice:
                choose(*choice)
            got = download(name, fmt)
            if name not in best or got[2] < best[name][2]:
                best[name] = got
    os.unlink(target)
    csv_rows, csv_size, csv_s, csv_cpu = best['CSV export']
    log(f'  the best of {REPORT_ROUNDS} each, and its rate over the CSV export\'s:')
    for name, _, _ in runs:
        rows, size, seconds, cpu = best[name]
        log(f'  {name:<26} {seconds:6.1f} s {rows / seconds:9,.0f} rows/s '
            f'{size / 1e6 / seconds:6.1f} MB/s  {size / 1e6:8,.0f} MB  '
            f'{(rows / seconds) / (csv_rows / csv_s):5.2f} x the CSV export  '
            f'server CPU {cpu:5.1f} s ({cpu / csv_cpu:4.2f} x)' +
            ('' if rows == csv_rows else f'  ({rows:,} rows, the CSV export {csv_rows:,})'))


def settlement(be, due_db, today):
    log(f'télécollecte (--unsent demo of {DUE:,} transactions, every accepted debit due):')
    runs = be.copies(due_db, f'due-{DUE}')
    due = int(be.rows(runs['guichetd'], 'SELECT count(*) FROM txn WHERE acq = 2 AND '
                      'bank_day > 0 AND bank_day <= ?1 AND type IN (0, 1)',
                      (today - date(1970, 1, 1)).days)[0][0])
    # A day with nothing due first: the copy then has every migration of this build, so the
    # timed run is the télécollecte alone.
    for copy in runs.values():
        subprocess.run([GUICHETD, 'batch', 'run', '--db', be.uri(copy), '--date', '1970-01-02',
                        '--spool', os.path.join(OUT, 'spool')], capture_output=True, check=True)
    t0 = time.monotonic()
    out = subprocess.run([GUICHETD, 'batch', 'run', '--db', be.uri(runs['guichetd']), '--date',
                          str(today), '--spool', os.path.join(OUT, 'spool'), '--log-level',
                          'debug', *CHUNK], capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit('batch run failed: ' + out.stderr[-2000:])
    open(os.path.join(OUT, 'batch.log'), 'w').write(out.stderr)
    statements = logged_statements(out.stderr)
    log(f'  guichetd batch run: {due:,} due transactions in {seconds:.1f} s (target '
        f'{TARGETS["settlement_s"]} s: {"met" if seconds <= TARGETS["settlement_s"] else "MISSED"})')
    # As the batch ran them: its transactions as logged (a log without any: one).
    if statements and not any(st in WRITE_BEGIN for st in statements):
        statements = ['BEGIN IMMEDIATE' if not PG else 'BEGIN', *statements, 'COMMIT']
    ref, err = be.replay(runs['ref'], statements) if not SKIP_SHELL else (None, 'not run')
    if err is None:
        log(f'  {be.ref}, the same {len(statements)} statements in their '
            f'{statements.count("COMMIT")} transactions: {sum(ref):.1f} s; guichetd / '
            f'{be.ref} = {seconds / sum(ref):.2f} (issue 16: ≤ 1.1)')
        # Where it goes: the statements by their text without values, the costliest first.
        by = {}
        for st, t in zip(statements, ref):
            head = re.sub(r'(?<![\w$])\d+', '?', re.sub(r' -- \$\d+=.*', '', st))[:90]
            by[head] = by.get(head, 0) + t
        for head, t in sorted(by.items(), key=lambda x: -x[1])[:6]:
            log(f'    {t:6.1f} s  {head}')
    else:
        log(f'  {be.ref} failed: {err}')
    be.drop(runs)
    settlement_payments(be, due_db, today, seconds)


def settlement_payments(be, due_db, today, batch_s):
    """The payment API while the télécollecte runs (issue 16): a `guichetd serve` on a third
    copy, wrk as in bench/run (bench/payments.lua, 64 connections) for about the time the
    télécollecte took alone (BENCH_SETTLEMENT_SECONDS), once alone and once with `guichetd
    batch run` started on the same database at the same moment; then every payment answered
    201 looked for in the database."""
    seconds = int(os.environ.get('BENCH_SETTLEMENT_SECONDS', min(60, max(10, round(batch_s)))))
    db = be.copies(due_db, f'due-{DUE}', ('serve',))['serve']
    srv = guichet_bench.Server(be.uri(db), OUT, start_s=600)
    stamp = int(time.time())
    files = {phase: guichet_bench.payment_requests(
        be.state(due_db) + '.json', f'{phase}{stamp}', max(100000, 15000 * seconds),
        os.path.join(OUT, f'requests-{phase}.txt')) for phase in ('alone', 'batch')}
    try:
        alone = guichet_bench.wrk(srv.base, files['alone'], 64, seconds)
        t0 = time.monotonic()
        run = subprocess.Popen([GUICHETD, 'batch', 'run', '--db', be.uri(db), '--date',
                                str(today), '--spool', os.path.join(OUT, 'spool'), *CHUNK],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        beside = guichet_bench.wrk(srv.base, files['batch'], 64, seconds)
        wrk_s = time.monotonic() - t0
        out, err = run.communicate()
        run_s = time.monotonic() - t0
        if run.returncode != 0:
            sys.exit('batch run beside the server failed: ' + err[-2000:])
    finally:
        srv.stop()
    log(f'  payments for {seconds} s, alone, then from the télécollecte\'s start '
        f'(it took {run_s:.1f} s beside the server; wrk {wrk_s:.1f} s):')
    for name, r, phase in (('alone', alone, 'alone'), ('beside the batch', beside, 'batch')):
        stored = int(be.rows(db, f"SELECT count(*) FROM txn WHERE order_ref >= 'B-{phase}{stamp}-' "
                             f"AND order_ref < 'B-{phase}{stamp}.'")[0][0])
        log('    ' + guichet_bench.payments_line(name, r) +
            ('' if stored == int(r['status_201']) else f'; {stored} STORED'))
    log(f'    payments beside the télécollecte / alone = '
        f'{float(beside["rps"]) / float(alone["rps"]):.2f}')
    be.drop({'serve': db})


def on_sigterm(signum, frame):
    raise KeyboardInterrupt  # the cluster and the server stopped on the way out


def big_steps(be, today):
    """Every step but the télécollecte's, on the big demo (made only for them)."""
    big, meta = be.demo(f'demo-{TXNS}', TXNS)
    be.quiet()
    srv = Server(be, big)
    try:
        n, = be.rows(big, 'SELECT count(*) FROM txn')[0]
        log(f'{int(n):,} transactions in {be.size(big) / 1e9:.1f} GB ({big})' +
            (f'; txn analyzed: {be.prepared(big)}' if PG else ''))
        consultation = next(u for u in meta['users'] if u['profile'] == 'consultation')
        s = sign_in(srv, be.state(big), consultation['login'], consultation['password'])
        if 'searches' in STEPS:
            searches(be, big, srv, s, today)
        if 'dashboard' in STEPS:
            dashboard(be, big, srv, s, today)
        if 'export' in STEPS:
            export(be, big, srv, s, today)
        if 'client' in STEPS:
            client_export(srv, s, today, consultation['login'])
        if 'reports' in STEPS:
            reports(srv, s, today)
    finally:
        srv.stop()


def main():
    if not os.path.exists(GUICHETD):
        sys.exit(f'{GUICHETD}: build first (ninja -C build)')
    os.makedirs(OUT, exist_ok=True)
    signal.signal(signal.SIGTERM, on_sigterm)
    today = date.today()
    with (Pg() if PG else Lite()) as be:
        if PG:
            log('postgresql: ' + be.query("SELECT version()").split(',')[0] + '; ' + ', '.join(
                f'{k}={be.query("SHOW " + k)}' for k in (
                    'shared_buffers', 'work_mem', 'effective_cache_size', 'fsync',
                    'synchronous_commit', 'jit', 'max_parallel_workers_per_gather')))
        due_db = be.demo(f'due-{DUE}', DUE, '--unsent')[0] if 'settlement' in STEPS else None
        if set(STEPS) - {'settlement'}:
            big_steps(be, today)
        if 'settlement' in STEPS:
            be.quiet()
            settlement(be, due_db, today)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        sys.exit('interrupted: what the run started is stopped')
