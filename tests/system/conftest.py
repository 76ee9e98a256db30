"""System tests: a real guichetd on loopback and a temporary database.

The server binary comes from $GUICHETD (default build/src/guichetd). Each test module gets
its own database with the demo data and its own server; its log is kept and checked for
secrets when the server stops.

No test depends on the day it runs: the demo and the server run on a pinned clock
(`--now`), which starts at $GUICHET_TEST_NOW (an RFC 3339 instant; default below) and runs
at the speed of real time, across restarts too. `make check` runs the suite under two such
clocks; GUICHET_TEST_NOW=real runs it on the machine's clock. What a test compares with the
server's dates comes from the server's clock (Server.now, Server.paris_day), never from
time.time(). test_server.py::test_on_todays_date runs on today's date on purpose.

GUICHET_TEST_DB=pg runs the same suite on PostgreSQL: each pytest process starts a throwaway
cluster (pgcluster.py) at its first server and stops it at its end, and each Server gets a
database of its own in it, its key in GUICHET_KEK rather than in a file beside a database
file. q() then reads that database with psycopg2, the SQLite text of a test's query said in
PostgreSQL's words (pg_sql). What cannot be the same on both (a database file, SQLite's
pragmas, its storage faults) is skipped with the reason beside it (PG_ONLY_SQLITE).
"""
import base64
import collections
import contextlib
import copy
import glob
import hashlib
import hmac
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

import pgcluster

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUICHETD = os.path.abspath(os.environ.get('GUICHETD', os.path.join(ROOT, 'build/src/guichetd')))

# Every card number the tests send: none may appear in a log, answer or database file.
TEST_CARDS = [
    '4111111111111111', '5555555555554444', '4000000000000002', '4000000000009995',
    '4000000000000069', '4000000000003220', '4000000000003063', '4000000000003089',
    '4000000000003071', '4970100000000006', '5131000000000001', '378282246310005',
    '3530111333300000', '2221000000000009',
]


# What the sanitized guichetd reads (make system-asan): leaks reported, h2o's own caches
# suppressed (lsan.supp); given to every guichetd a test starts, unless the environment says
# otherwise.
SANITIZER_ENV = {
    'ASAN_OPTIONS': 'detect_leaks=1:abort_on_error=0',
    'LSAN_OPTIONS': 'suppressions=' + os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   'lsan.supp'),
    'UBSAN_OPTIONS': 'print_stacktrace=1',
}

# The cost of the password hashes the suite's servers and demos make (docs/SECURITY.md
# "Passwords"): 12 MiB and 3 passes, one of OWASP's Argon2id configurations and the floor
# guichetd accepts, about 8 times cheaper than the default 64 MiB and 2 passes; the suite signs
# in thousands of times. test_password_cost.py sets the default on purpose. An environment that
# says otherwise wins.
TEST_PASSWORD_COST = '12,3'
os.environ.setdefault('GUICHET_PASSWORD_COST', TEST_PASSWORD_COST)


def _send_again_when_an_idle_connection_closed(send):
    """HTTP/1.1's keep-alive race, as browsers handle it: guichetd (h2o) closes a connection
    idle for 10 s, and a request sent on it at that very moment is never read; the server
    closes without an answer (RemoteDisconnected). requests does not send it again (it may
    not be idempotent), so a test whose session waited about 10 s (a TOTP step, a loaded
    machine) failed at random. A server that closes without reading has done nothing: the
    request goes once more, on a new connection. Any other failure is the test's."""
    def wrapped(self, request, **kw):
        try:
            return send(self, request, **kw)
        except requests.ConnectionError as e:
            cause = e.args[0] if e.args else None
            if not (isinstance(cause, Exception) and len(cause.args) > 1 and
                    isinstance(cause.args[1], http.client.RemoteDisconnected)):
                raise
            return send(self, request, **kw)
    return wrapped


requests.adapters.HTTPAdapter.send = _send_again_when_an_idle_connection_closed(
    requests.adapters.HTTPAdapter.send)

# The backend the suite runs on: 'sqlite' (a file per server) or 'pg' (a database per server in
# a throwaway cluster).
BACKEND = os.environ.get('GUICHET_TEST_DB', 'sqlite')
PG = BACKEND == 'pg'
# Why a test of SQLite's own storage (its file, pragmas, faults) does not run on PostgreSQL.
PG_ONLY_SQLITE = pytest.mark.skipif(PG, reason='about the SQLite file itself (its pages, '
                                                'its pragmas, its storage faults): the PostgreSQL '
                                                'server owns its own storage')

_cluster = None
# The demos this process made and keeps, by (transactions, now): what a copy is made of (a
# PostgreSQL template database, or a folder of SQLite's files in _demo_folder()), the key
# (PostgreSQL's GUICHET_KEK), the demo's JSON and log (Server._demo).
_demos = {}
_demo_folder_path = None
# A SQLite demo's files in its folder: the database, its log if one is left, the key file.
DEMO_FILES = ('guichet.db', 'guichet.db-wal', 'guichet.key')


def _demo_folder():
    """This process's folder of the SQLite demos it keeps, removed at its end."""
    global _demo_folder_path
    if _demo_folder_path is None:
        import tempfile
        _demo_folder_path = tempfile.mkdtemp(prefix='guichet-demos-')
    return _demo_folder_path


def pg_cluster():
    """This process's PostgreSQL cluster, started at the first call, stopped at its end."""
    global _cluster
    if _cluster is None:
        _cluster = pgcluster.Cluster().start()
    return _cluster


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """This process's cluster stopped and removed, and its demos, when its tests end. Not at
    its exit: pytest-xdist ends a worker 10 s after it reports its tests done, and a cluster
    the full suite used takes longer to stop and remove under load: it was left half removed
    in the temporary folder (hundreds of megabytes a run)."""
    global _cluster, _demo_folder_path
    if _cluster is not None:
        _cluster.stop()
        _cluster = None
    if _demo_folder_path is not None:
        shutil.rmtree(_demo_folder_path, ignore_errors=True)
        _demo_folder_path = None


def pg_sql(sql):
    """A test's SQLite query for PostgreSQL: ? placeholders as %s (and a literal % doubled),
    the table user as users, LIKE as ILIKE (SQLite's LIKE ignores ASCII case)."""
    sql = sql.replace('%', '%%')
    sql = re.sub(r'\?\d*', '%s', sql)
    sql = re.sub(r'(?<![.\w])user(?!\w)', 'users', sql)
    return re.sub(r'\bLIKE\b', 'ILIKE', sql)


PARIS = ZoneInfo('Europe/Paris')
# A Friday afternoon in November, a day on which the demo once came out one transaction short.
TEST_NOW = os.environ.get('GUICHET_TEST_NOW', '2026-11-20T14:30:00+01:00')


def rfc3339(t):
    """The RFC 3339 form, to the second (rounded up), of t seconds since the epoch."""
    return datetime.fromtimestamp(math.ceil(t), timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def sign(key_hex, message):
    """Hex HMAC-SHA512 of message (bytes) with the hex-decoded key: computed here, apart
    from the server's code."""
    return hmac.new(bytes.fromhex(key_hex), message, hashlib.sha512).hexdigest()


# The merchant API's routes that are not about one resource: they sign the body alone.
COLLECTIONS = ('/api/v1/payments', '/api/v1/aliases', '/api/v1/installment-plans',
               '/api/v1/subscriptions', '/api/v1/order-files')


class Server:
    def __init__(self, tmp, transactions=200, env=None, now=TEST_NOW):
        """now: the instant (RFC 3339) the server's clock starts at, 'real' for the
        machine's clock."""
        self.tmp = tmp
        self.db = os.path.join(tmp, 'guichet.db')
        # The server's clock is the test's plus offset seconds; None: the machine's.
        self.offset = None
        if now != 'real':
            self.offset = datetime.fromisoformat(now.replace('Z', '+00:00')).timestamp() \
                - time.time()
        self.env = {**SANITIZER_ENV, **os.environ, **(env or {})}
        made = _demos.get((transactions, now)) if self._keeps_demo() else None
        if made is not None:  # a copy of the same demo, made once by this process
            template, kek, self.demo, self.demo_log = made
            if PG:
                self.db = pg_cluster().createdb('g' + uuid.uuid4().hex[:16], template=template)
                self.env['GUICHET_KEK'] = kek
            else:
                for name in os.listdir(template):
                    shutil.copy(os.path.join(template, name), tmp)
            self.demo = copy.deepcopy(self.demo)
        else:
            if PG:
                self.db = pg_cluster().createdb('g' + uuid.uuid4().hex[:16])
            self._demo(transactions, now)
        self.port = free_port()
        self.base = f'http://127.0.0.1:{self.port}'
        self.log_path = os.path.join(tmp, 'guichetd.log')
        self.proc = None

    def _keeps_demo(self):
        """Whether this server's demo is one this process keeps (or may copy): made with the
        suite's own key and password cost, into a folder with no database or key file yet on
        SQLite."""
        if 'GUICHET_KEK' in self.env or \
                self.env.get('GUICHET_PASSWORD_COST') != os.environ.get('GUICHET_PASSWORD_COST'):
            return False
        return PG or not any(os.path.exists(os.path.join(self.tmp, f)) for f in DEMO_FILES)

    def _demo(self, transactions, now):
        """Writes the demo into self.db. A demo made with the suite's own key is kept: the
        next server of the same demo gets a copy of it, which the demo would take seconds to
        write (hashing its users' passwords, under the sanitizers too). On PostgreSQL the
        copy is CREATE DATABASE … TEMPLATE; on SQLite, the database file and the key file
        beside it (guichet.key), copied from a folder of this process."""
        keep = self._keeps_demo()
        if PG:  # no file beside a database file for the key
            self.env.setdefault('GUICHET_KEK', os.urandom(32).hex())
        out = subprocess.run([GUICHETD, 'demo', '--db', self.db, '--transactions',
                              str(transactions), '--seed', '7', '--json', *self.pin()],
                             capture_output=True, text=True, env=self.env, timeout=120)
        assert out.returncode == 0, out.stderr
        self.demo = json.loads(out.stdout)
        self.demo_log = out.stderr
        if not keep:
            return
        if PG:
            template = 't' + uuid.uuid4().hex[:16]
            pg_cluster().createdb(template, template=self.db.split('?')[0].rsplit('/', 1)[1])
        else:
            template = os.path.join(_demo_folder(), f'{len(_demos)}')
            os.makedirs(template)
            for name in DEMO_FILES:
                if os.path.exists(os.path.join(self.tmp, name)):
                    shutil.copy(os.path.join(self.tmp, name), template)
        _demos[(transactions, now)] = (template, self.env.get('GUICHET_KEK'),
                                       copy.deepcopy(self.demo), self.demo_log)

    def start(self, *extra, host='127.0.0.1'):
        # Under TLS (--tls-cert), the base URL is https and requests check the server's
        # certificate against that file (self.verify): give it a subjectAltName of 127.0.0.1.
        # host: the address it listens on (an IPv6 one bare); on every address ('0.0.0.0',
        # '::'), the base URL is still 127.0.0.1's.
        tls = '--tls-cert' in extra
        self.verify = extra[extra.index('--tls-cert') + 1] if tls else True
        listen = f'[{host}]:{self.port}' if ':' in host else f'{host}:{self.port}'
        reach = '127.0.0.1' if host in ('0.0.0.0', '::') else \
            (f'[{host}]' if ':' in host else host)
        self.base = f'{"https" if tls else "http"}://{reach}:{self.port}'
        self.log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(
            [GUICHETD, 'serve', '--db', self.db, '--listen', listen,
             '--spool', os.path.join(self.tmp, 'spool'),
             # No daily settlement under the tests' feet, unless a test asks for it.
             *(() if '--batch-time' in extra else ('--batch-time', 'off')),
             *self.pin(), *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                r = requests.get(self.base + '/healthz', timeout=1, verify=self.verify)
                if r.status_code == 200:
                    self.sync(r.json()['time'])
                    return self
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy
                pass
            assert self.proc.poll() is None, self.read_log()
            time.sleep(0.05)
        raise AssertionError('guichetd did not start: ' + self.read_log())

    def twin(self, tmp):
        """Another server of this one's database (a PostgreSQL cluster's second node): the
        same data, key and clock, its own port, spool and log; start() it."""
        other = copy.copy(self)
        other.tmp = tmp
        os.makedirs(tmp, exist_ok=True)
        other.port = free_port()
        other.base = f'http://127.0.0.1:{other.port}'
        other.log_path = os.path.join(tmp, 'guichetd.log')
        other.proc = None
        return other

    def stop(self):
        """SIGTERM, wait, and return the exit status."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        finally:
            self.log.close()
        self.proc = None
        return rc

    def pin(self):
        """The --now option that starts the demo or the server on the server's clock (none
        on the machine's clock); the offset follows the second it rounds to, so Server.now
        stays the server's time to the millisecond across restarts."""
        if self.offset is None:
            return ()
        t = math.ceil(time.time() + self.offset)
        self.offset = t - time.time()
        return ('--now', rfc3339(t))

    def sync(self, server_time):
        """Takes the server's clock from its /healthz time, just read: the process pinned
        its clock a moment after it was started. The time was read before now, so Server.now
        is never ahead of the server's clock, behind it by a round trip at most."""
        if self.offset is not None:
            self.offset = datetime.fromisoformat(server_time.replace('Z', '+00:00')).timestamp() \
                - time.time()

    def clock(self):
        """The --now option that runs another command (batch run) at the server's time."""
        return () if self.offset is None else ('--now', rfc3339(self.now()))

    def set_clock(self, instant):
        """Moves the server's clock to instant (RFC 3339) from its next start (a stopped
        server: what a restart on another day looks like)."""
        assert self.proc is None, 'stop the server first'
        self.offset = datetime.fromisoformat(instant.replace('Z', '+00:00')).timestamp() \
            - time.time()

    def now(self):
        """The server's time, in seconds since the epoch."""
        return time.time() + (self.offset or 0)

    def now_us(self, plus_s=0):
        return int((self.now() + plus_s) * 1e6)

    def paris_day(self, plus=0):
        """The server's date in Paris, plus days, as YYYY-MM-DD."""
        return (datetime.fromtimestamp(self.now(), PARIS).date() +
                timedelta(days=plus)).isoformat()

    def add_brand(self, pspid, transactions=0, seed=None):
        """Writes a second demo brand (account id pspid) into this server's database, before
        it starts; returns the demo's JSON of it (its users, shops)."""
        out = subprocess.run([GUICHETD, 'demo', '--db', self.db, '--transactions',
                              str(transactions), *(('--seed', str(seed)) if seed else ()),
                              '--pspid', pspid, '--json', *self.pin()],
                             capture_output=True, text=True, env=self.env, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def stored(self):
        """All the database holds, as text: SQLite's file and its log as they are on disk;
        PostgreSQL's every row, as pg_dump writes them."""
        if PG:
            dump = os.path.join(pg_cluster().bin, 'pg_dump')
            return subprocess.run([dump, '--data-only', '-d', self.db], check=True,
                                  capture_output=True, timeout=120).stdout.decode('latin-1')
        raw = b''
        for name in (self.db, self.db + '-wal'):
            if os.path.exists(name):
                with open(name, 'rb') as f:
                    raw += f.read()
        return raw.decode('latin-1')

    def read_log(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def shop(self, i=0):
        return self.demo['shops'][i]

    # -- the merchant API ------------------------------------------------------------------
    def api(self, method, path, body=None, shop=0, key=None, signature=None, headers=None,
            raw=None, sign_path=None):
        s = self.shop(shop) if isinstance(shop, int) else shop
        data = raw if raw is not None else (b'' if body is None else json.dumps(body).encode())
        if sign_path is None:  # a route about one resource signs its method and path too
            sign_path = path not in COLLECTIONS
        message = (f'{method} {path}\n'.encode() + data) if sign_path else data
        h = {'X-Guichet-Site': s['site'], 'X-Guichet-Rang': s['rang'],
             'Content-Type': 'application/json'}
        h['X-Guichet-Signature'] = signature if signature is not None else sign(
            key or s['hmac_key'], message)
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        return requests.request(method, self.base + path, data=data, headers=h, timeout=30)

    def pay(self, amount=1234, card='4111111111111111', capture='auto', shop=0, headers=None,
            **extra):
        body = {'amount': amount, 'currency': 'EUR', 'order_ref': 'T-' + uuid.uuid4().hex[:12],
                'card': {'number': card, 'expiry': '1230',
                         'cvv': '1234' if card.startswith('3') and len(card) == 15 else '123'},
                'email': 'buyer@example.com', 'capture': capture}
        body.update(extra)
        return self.api('POST', '/api/v1/payments', body, shop=shop, headers=headers)


class _PgRows:
    """A psycopg2 cursor read as a sqlite3 one: bytea as bytes."""

    def __init__(self, cur):
        self.cur = cur
        self.rowcount = cur.rowcount

    @staticmethod
    def _row(r):
        return None if r is None else tuple(bytes(v) if isinstance(v, memoryview) else v
                                            for v in r)

    def fetchone(self):
        return self._row(self.cur.fetchone()) if self.cur.description is not None else None

    def fetchall(self):
        return [self._row(r) for r in self.cur.fetchall()] \
            if self.cur.description is not None else []

    def __iter__(self):
        return iter(self.fetchall())


class _PgConnection:
    """A psycopg2 connection used as a sqlite3 one: execute() takes SQLite's text (pg_sql);
    `with` commits (or rolls back) and closes."""

    def __init__(self, uri):
        import psycopg2
        self.c = psycopg2.connect(uri)

    def execute(self, sql, args=()):
        cur = self.c.cursor()
        cur.execute(pg_sql(sql), tuple(args))
        return _PgRows(cur)

    def executemany(self, sql, rows):
        with self.c.cursor() as cur:
            cur.executemany(pg_sql(sql), [tuple(r) for r in rows])

    def commit(self):
        self.c.commit()

    def close(self):
        self.c.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.c.commit()
        else:
            self.c.rollback()
        self.c.close()


def connect(db, **kw):
    """A connection to the server's database beside it, as sqlite3.connect gives one: on
    PostgreSQL, a psycopg2 one that reads SQLite's SQL (pg_sql)."""
    if PG:
        return _PgConnection(db)
    return sqlite3.connect(db, **kw)


def _database_errors():
    if not PG:
        return sqlite3.DatabaseError
    import psycopg2
    return psycopg2.Error


# What a refused statement raises, on either backend.
DatabaseError = _database_errors()


def data_tables(db):
    """The names of the tables a connection (connect()) sees, but SQLite's full-text tables
    and their shadow tables (`<name>_data`, `_idx` …), which the indexer job feeds on its own
    time. PostgreSQL has none (its search is trigram indexes on the tables themselves): every
    base table of the schema."""
    if PG:
        return [n for n, in db.execute("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = current_schema() "
                                       "AND table_type = 'BASE TABLE'").fetchall()]
    tables = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = [n for n, sql in tables if sql and sql.upper().startswith('CREATE VIRTUAL')]
    return [n for n, _ in tables if not any(n == v or n.startswith(v + '_') for v in virtual)]


def q(srv, sql, args=()):
    """The rows of a query on the server's database, read beside it (WAL); a change is
    committed. On PostgreSQL, on a connection kept (_pg_q). On SQLite, the connection is
    closed at once: `with sqlite3.connect()` alone leaves it to the garbage collector, and one
    still open when the server restarts keeps this process on the old -shm file, which the
    stopping server deleted: every later reading here then sees the database as it was before
    the restart (test_hmac_keys after a restart, depending on when the collector ran)."""
    if PG:
        return _pg_q(srv.db, sql, args)
    with contextlib.closing(sqlite3.connect(srv.db)) as db, db:
        return db.execute(sql, args).fetchall()


# q()'s PostgreSQL connections, the last few databases' (a new connection is a server process
# forked and started: the cluster's largest cost in the suite when each query made one).
_pg_q_connections = collections.OrderedDict()
PG_Q_CONNECTIONS = 2


def _pg_q_connection(uri):
    """The kept connection to uri (made again if it broke), the least recent one closed
    beyond PG_Q_CONNECTIONS."""
    db = _pg_q_connections.pop(uri, None)
    if db is None or db.c.closed:
        db = _PgConnection(uri)
    _pg_q_connections[uri] = db
    while len(_pg_q_connections) > PG_Q_CONNECTIONS:
        _pg_q_connections.popitem(last=False)[1].close()
    return db


def _pg_q(uri, sql, args):
    """q() on PostgreSQL: each query its own transaction on the kept connection. One the
    cluster dropped meanwhile (a test restarting it) is made again and the query, which did
    not commit, run again."""
    import psycopg2
    for attempt in (1, 2):
        db = _pg_q_connection(uri)
        try:
            rows = db.execute(sql, args).fetchall()
        except psycopg2.Error:
            if not db.c.closed:
                db.c.rollback()
            elif attempt == 1:
                continue
            raise
        db.commit()
        return rows


def check_store(srv):
    """What no crash and no storage fault may break, read from the database beside the server
    (tests/system/test_crash.py, test_faults.py): the database is whole; the statistics'
    roll-ups (sql/sqlite/008_txn_day.sql) equal a recount of the transactions by the
    counting rule (src/domain/txn.c txn_counts: accepted debits and refunds, to send or
    sent); each transaction has its one creation line and at most one capture and one bank
    sending; a debit's refunded amount is the sum of its refunds; a batch's totals are its
    transactions' as they were sent (a debit refunded since: its current amount plus what
    was refunded), each sent with it; an Idempotency-Key's remembered answer names a
    transaction that exists."""
    if not PG:  # PostgreSQL checks its pages itself, and its foreign keys at every write
        assert q(srv, 'PRAGMA integrity_check') == [('ok',)]
        assert q(srv, 'PRAGMA foreign_key_check') == []
    recount = q(srv, 'SELECT brand_id, shop_id, day, method, type, count(*), '
                     'sum(amount_current + amount_refunded), max(amount_current + amount_refunded) '
                     'FROM txn WHERE status = 0 AND type IN (0, 1) AND acq IN (2, 3) '
                     'GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5')
    rollups = q(srv, 'SELECT brand_id, shop_id, day, method, type, count, amount, max_amount '
                     'FROM stats_daily WHERE count <> 0 OR amount <> 0 OR max_amount <> 0 '
                     'ORDER BY 1, 2, 3, 4, 5')
    assert rollups == recount
    assert q(srv, "SELECT t.id, t.order_ref, count(h.id) FROM txn t LEFT JOIN txn_history h ON "
                  "h.brand_id = t.brand_id AND h.txn_id = t.id AND h.action IN ('creation', "
                  "'authorization') GROUP BY t.id, t.order_ref HAVING count(h.id) <> 1") == []
    assert q(srv, "SELECT txn_id, action, count(*) FROM txn_history WHERE action IN ('capture', "
                  "'bank_sending', 'cancellation') GROUP BY txn_id, action "
                  "HAVING count(*) > 1") == []
    # The refunds summed once, by debit: a correlated sum per debit scans the table for each
    # (no index on parent_id), minutes on the scheduler's crash test.
    assert q(srv, 'SELECT p.id FROM txn p LEFT JOIN (SELECT brand_id, parent_id, '
                  'sum(amount_initial) AS s FROM txn WHERE parent_id IS NOT NULL AND type = 1 '
                  'AND status = 0 GROUP BY 1, 2) r ON r.brand_id = p.brand_id AND r.parent_id = '
                  'p.id WHERE p.amount_refunded <> coalesce(r.s, 0)') == []
    assert q(srv, 'SELECT b.id FROM batch b WHERE (b.debit_count, b.debit_amount, b.credit_count, '
                  'b.credit_amount) <> (SELECT count(CASE WHEN type = 0 THEN 1 END), coalesce(sum(CASE '
                  'WHEN type = 0 THEN amount_current + amount_refunded END), 0), '
                  'count(CASE WHEN type = 1 THEN 1 END), coalesce(sum(CASE WHEN type = 1 THEN '
                  'amount_current END), 0) FROM txn WHERE brand_id = b.brand_id AND '
                  'batch_id = b.id)') == []
    assert q(srv, "SELECT t.id FROM txn t WHERE t.batch_id IS NOT NULL AND (t.acq <> 3 OR NOT "
                  "EXISTS (SELECT 1 FROM txn_history h WHERE h.brand_id = t.brand_id AND "
                  "h.txn_id = t.id AND h.action = 'bank_sending'))") == []
    assert q(srv, "SELECT i.key FROM idempotency i WHERE i.http_status IN (200, 201) AND NOT "
                  "EXISTS (SELECT 1 FROM txn t WHERE t.brand_id = i.brand_id AND t.id = "
                  + ("CAST(i.response::json->>'id' AS BIGINT))" if PG else
                     "CAST(json_extract(i.response, '$.id') AS INTEGER))")) == []


def bank_files_whole(srv):
    """Every bank file under its batch's name is whole: header, one line per transaction of
    the batch, trailer with its totals; and no transaction is in two files."""
    seen = []
    for path in glob.glob(os.path.join(srv.tmp, 'spool', 'bank', 'batch-*.txt')):
        row = q(srv, 'SELECT id, debit_count + credit_count, debit_count, debit_amount, '
                     'credit_count, credit_amount FROM batch WHERE file_name = ?',
                (os.path.basename(path),))
        assert len(row) == 1, path
        bid, n, dc, da, cc, ca = row[0]
        with open(path) as f:
            lines = f.read().splitlines()
        assert lines[0].startswith('H;') and lines[-1] == f'Z;{dc};{da};{cc};{ca}', path
        ids = [int(l.split(';')[1]) for l in lines[1:-1]]
        assert len(ids) == n
        # Each line with the amount it was sent with, a debit's refunds after it included.
        for kind, count, amount in (('DEBIT', dc, da), ('CREDIT', cc, ca)):
            mine = [int(l.split(';')[3]) for l in lines[1:-1] if l.split(';')[2] == kind]
            assert (len(mine), sum(mine)) == (count, amount), path
        assert sorted(ids) == sorted(r[0] for r in q(srv, 'SELECT id FROM txn WHERE batch_id = ?',
                                                     (bid,)))
        seen += ids
    assert len(seen) == len(set(seen))
    for (name,) in q(srv, 'SELECT file_name FROM batch WHERE file_written = 1'):
        assert os.path.exists(os.path.join(srv.tmp, 'spool', 'bank', name)), name


def totp(secret, at, offset=0):
    """The RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of a base32 secret at the instant at
    (seconds; a Server: its clock's now), offset time steps away: computed here, apart from
    the server's code."""
    key = base64.b32decode(secret + '=' * (-len(secret) % 8))
    if isinstance(at, Server):
        at = at.now()
    counter = int(at // 30) + offset
    mac = hmac.new(key, struct.pack('>Q', counter), hashlib.sha1).digest()
    o = mac[-1] & 15
    return '%06d' % ((struct.unpack('>I', mac[o:o + 4])[0] & 0x7fffffff) % 1000000)


def spooled_code(srv, email, other_than=(), timeout=10):
    """The sign-in code ("Code: 123456") of the newest mail to email in the spool folder, once
    it is not one of other_than (earlier codes)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in sorted(glob.glob(os.path.join(srv.tmp, 'spool', '*.eml')), reverse=True):
            with open(path, encoding='utf-8') as f:
                text = f.read()
            if f'To: <{email}>' in text:
                m = re.search(r'^Code: (\d{6})\r?$', text, re.M)
                if m and m.group(1) not in other_than:
                    return m.group(1)
                break
        time.sleep(0.1)
    raise AssertionError('no new code mailed to ' + email)


def wait_for(fn, timeout=15):
    """Polls fn every 0.1 s until it is true or timeout seconds pass; its last answer."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.1)
    return fn()


def tls_files(tmp_path, ips=('127.0.0.1',)):
    """A throwaway self-signed certificate for 127.0.0.1 (or the addresses ips) and its key,
    made by openssl."""
    cert, key = str(tmp_path / 'cert.pem'), str(tmp_path / 'key.pem')
    out = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                          'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
                          '-subj', '/CN=127.0.0.1',
                          '-addext', 'subjectAltName=' + ','.join(f'IP:{a}' for a in ips),
                          '-keyout', key, '-out', cert], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return cert, key


def secrets_in(text, extra=()):
    found = [c for c in TEST_CARDS if c in text]
    found += [s for s in extra if s and s in text]
    return found


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('guichet'))).start()
    yield srv
    rc = srv.stop()
    log = srv.read_log()
    assert rc == 0, log
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    keys = [s['hmac_key'] for s in srv.demo['shops']] + [u['password'] for u in srv.demo['users']]
    assert secrets_in(log, keys) == [], 'a secret reached the log'
    assert secrets_in(srv.stored(), keys) == [], 'a secret is in clear in the database'
