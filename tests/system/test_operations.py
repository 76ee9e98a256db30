"""Operating Guichet (issue 13; docs/OPERATIONS.md): `guichetd backup` copies a database a
server is using, under payment load, as of one instant, checked whole, and the copy restored
in place serves with nothing lost of what was acknowledged before the backup began (on
PostgreSQL, which `guichetd backup` refuses, the same of pg_dump and pg_restore); the systemd
unit (dist/guichetd.service) is valid and hardened, and guichetd speaks systemd's
readiness protocol (Type=notify) on a real notification socket."""
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import GUICHETD, PG, Server, connect, pg_cluster, q, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, 'dist', 'guichetd.service')


def backup(srv, to, check=True):
    out = subprocess.run([GUICHETD, 'backup', '--db', srv.db, '--to', to],
                         capture_output=True, text=True, env=srv.env, timeout=120)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def rows(db, sql, args=()):
    con = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


class Load:
    """Payers through the merchant API, each payment acknowledged (201) kept with the
    instant it was."""

    def __init__(self, srv, threads=2):
        self.srv, self.stop, self.lock, self.acked = srv, threading.Event(), threading.Lock(), []
        self.errors = []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self):
        while not self.stop.is_set():
            r = self.srv.pay(amount=1000 + len(self.acked) % 500,
                             headers={'Idempotency-Key': uuid.uuid4().hex})
            with self.lock:
                if r.status_code == 201:
                    self.acked.append((time.monotonic(), int(r.json()['id'])))
                else:
                    self.errors.append(r.text)

    def ids_before(self, t):
        with self.lock:
            return {i for at, i in self.acked if at < t}

    def end(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)
        assert self.errors == []


@pytest.mark.skipif(PG, reason="guichetd backup is SQLite's online backup of its file: a "
                               'PostgreSQL database is backed up with pg_dump, tested below')
def test_a_backup_under_load_restores_with_nothing_lost(tmp_path):
    srv = Server(str(tmp_path), transactions=500)
    srv.start()
    load = Load(srv)
    try:
        assert wait_for(lambda: len(load.acked) >= 20, timeout=30)
        began = time.monotonic()
        before = load.ids_before(began)
        copy = str(tmp_path / 'backup.db')
        out = backup(srv, copy)
        assert 'checked whole' in out.stdout and 'key' in out.stdout
        assert wait_for(lambda: len(load.ids_before(time.monotonic())) > len(before) + 20,
                        timeout=30)
    finally:
        load.end()
    # The copy is the database as of one instant: every payment acknowledged before the
    # backup began, and of the payments, exactly those the live database had up to its last
    # one (ids are given in commit order by the one writer), each with its history.
    assert rows(copy, 'PRAGMA integrity_check') == [('ok',)]
    assert rows(copy, 'PRAGMA journal_mode') == [('delete',)]
    assert not [f for f in os.listdir(tmp_path) if f.startswith('backup.db') and f != 'backup.db']
    got = {i for (i,) in rows(copy, 'SELECT id FROM txn')}
    assert before <= got
    top = max(got)
    live = {i for (i,) in q(srv, 'SELECT id FROM txn WHERE id <= ?', (top,))}
    assert got == live
    assert q(srv, 'SELECT count(*) FROM txn')[0][0] > len(got)  # the load went on after it
    assert rows(copy, 'SELECT count(*) FROM txn WHERE id NOT IN (SELECT txn_id FROM '
                      'txn_history)') == [(0,)]
    assert rows(copy, 'SELECT id, status, acq, amount_initial, order_ref FROM txn ORDER BY id') \
        == q(srv, 'SELECT id, status, acq, amount_initial, order_ref FROM txn WHERE id <= ? '
                  'ORDER BY id', (top,))
    # Restored in place (docs/OPERATIONS.md): the server stopped, the copy put where the
    # database was, its -wal and -shm gone; the same key.
    assert srv.stop() == 0
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(srv.db + suffix):
            os.remove(srv.db + suffix)
    shutil.copyfile(copy, srv.db)
    srv.start()
    try:
        some = sorted(before)[len(before) // 2]
        r = srv.api('GET', f'/api/v1/payments/{some}')
        assert r.status_code == 200 and r.json()['status'] == 'accepted', r.text
        r = srv.pay()
        assert r.status_code == 201, r.text
        assert int(r.json()['id']) > top
        assert q(srv, 'PRAGMA journal_mode') == [('wal',)]
    finally:
        assert srv.stop() == 0
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log


def pg_tool(name, *args):
    """Runs one of the cluster's PostgreSQL programs (pg_dump, pg_restore); its output."""
    out = subprocess.run([os.path.join(pg_cluster().bin, name), *args], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


@pytest.mark.skipif(not PG, reason="PostgreSQL's counterpart of the SQLite backup above: runs "
                                   'with GUICHET_TEST_DB=pg')
def test_a_pg_dump_under_load_restores_with_nothing_lost(tmp_path):
    """docs/OPERATIONS.md "Backing up a PostgreSQL database": pg_dump copies the database a
    server is using, under payment load, as of one snapshot; restored into a new database with
    pg_restore, it serves with the same key, nothing lost of what was acknowledged before the
    dump began."""
    srv = Server(str(tmp_path), transactions=500)
    srv.start()
    try:  # a failure stops the server too: no server left behind on its database
        load = Load(srv)
        copy = str(tmp_path / 'guichet.dump')
        try:
            assert wait_for(lambda: len(load.acked) >= 20, timeout=30)
            before = load.ids_before(time.monotonic())
            pg_tool('pg_dump', '--format=custom', '--file', copy, '--dbname', srv.db)
            assert wait_for(lambda: len(load.ids_before(time.monotonic())) > len(before) + 20,
                            timeout=30)
        finally:
            load.end()
        restored = pg_cluster().createdb('r' + uuid.uuid4().hex[:16])
        # --no-comments: the only one in a dump is pg_trgm's, which only its owner (the superuser
        # who made the database ready) may set; the schema has none.
        pg_tool('pg_restore', '--exit-on-error', '--single-transaction', '--no-owner',
                '--no-comments', '--dbname', restored, copy)

        def rq(sql, args=()):
            with connect(restored) as db:
                return db.execute(sql, args).fetchall()

        # The copy is the database as of one snapshot: every payment acknowledged before the dump
        # began, and of the payments, exactly those the live database had up to its last one (ids
        # are given in commit order by the one writer), each with its history.
        got = {i for (i,) in rq('SELECT id FROM txn')}
        assert before <= got
        top = max(got)
        assert got == {i for (i,) in q(srv, 'SELECT id FROM txn WHERE id <= ?', (top,))}
        assert q(srv, 'SELECT count(*) FROM txn')[0][0] > len(got)  # the load went on after it
        assert rq('SELECT count(*) FROM txn WHERE id NOT IN (SELECT txn_id FROM '
                  'txn_history)') == [(0,)]
        assert rq('SELECT id, status, acq, amount_initial, order_ref FROM txn ORDER BY id') \
            == q(srv, 'SELECT id, status, acq, amount_initial, order_ref FROM txn WHERE id <= ? '
                      'ORDER BY id', (top,))
    except BaseException:
        srv.stop()
        raise
    # Restored: the server stopped, started on the restored database with the same key; it
    # finds the payments acknowledged before the dump and goes on after the copy's last id.
    assert srv.stop() == 0
    srv.db = restored
    srv.start()
    try:
        some = sorted(before)[len(before) // 2]
        r = srv.api('GET', f'/api/v1/payments/{some}')
        assert r.status_code == 200 and r.json()['status'] == 'accepted', r.text
        r = srv.pay()
        assert r.status_code == 201, r.text
        assert int(r.json()['id']) > top
    finally:
        assert srv.stop() == 0
    log = srv.read_log()
    assert 'event=pg_error' not in log, log
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log


@pytest.mark.skipif(not PG, reason='about a PostgreSQL database: runs with GUICHET_TEST_DB=pg')
def test_guichetd_backup_of_a_postgresql_database_refuses_and_says_how(tmp_path):
    """guichetd backup copies a SQLite file; given a PostgreSQL database, it refuses, names
    pg_dump, and leaves nothing at the target."""
    srv = Server(str(tmp_path), transactions=0)
    to = str(tmp_path / 'copy.db')
    out = backup(srv, to, check=False)
    assert out.returncode == 1, out.stderr
    assert 'event=backup_refused' in out.stderr and 'pg_dump' in out.stderr, out.stderr
    assert not os.path.exists(to) and not os.path.exists(to + '.partial')


def test_a_backup_never_overwrites_and_says_why(tmp_path):
    srv = Server(str(tmp_path), transactions=10)
    existing = tmp_path / 'kept.db'
    existing.write_bytes(b'not to be lost')
    out = backup(srv, str(existing), check=False)
    assert out.returncode == 1 and 'never overwrites' in out.stderr
    assert existing.read_bytes() == b'not to be lost'
    out = subprocess.run([GUICHETD, 'backup', '--db', srv.db], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and '--to' in out.stderr
    for db, to in ((str(tmp_path / 'missing.db'), str(tmp_path / 'a.db')),
                   (srv.db, str(tmp_path / 'no-such-folder' / 'b.db'))):
        out = subprocess.run([GUICHETD, 'backup', '--db', db, '--to', to],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 1 and 'nothing was left' in out.stderr, out.stderr
        assert not os.path.exists(to) and not os.path.exists(to + '.partial')
    # Not a database at all: refused, nothing left.
    junk = tmp_path / 'junk.db'
    junk.write_bytes(b'x' * 4096)
    out = subprocess.run([GUICHETD, 'backup', '--db', str(junk), '--to', str(tmp_path / 'c.db')],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and not os.path.exists(tmp_path / 'c.db')


def test_the_systemd_unit_is_valid_and_hardened(tmp_path):
    if shutil.which('systemd-analyze') is None:
        pytest.skip('systemd-analyze is not installed (Debian: the systemd package)')
    # Verified as installed, its guichetd where this build is.
    unit = tmp_path / 'guichetd.service'
    unit.write_text(open(UNIT).read().replace('/usr/local/bin/guichetd',
                                              os.path.abspath(GUICHETD)))
    out = subprocess.run(['systemd-analyze', 'verify', str(unit)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and out.stderr.strip() == '', out.stderr
    out = subprocess.run(['systemd-analyze', 'security', '--offline=yes', '--threshold=20',
                          str(unit)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    text = open(UNIT).read()
    for line in ('Type=notify', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes',
                 'User=guichet', 'LoadCredential=kek:'):
        assert line in text, line
    assert 'PASSWORD=' not in text and 'GUICHET_KEK=' not in text


def test_guichetd_tells_systemd_it_is_ready_then_stopping(tmp_path):
    srv = Server(str(tmp_path), transactions=10)
    path = str(tmp_path / 'notify.sock')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    srv.env['NOTIFY_SOCKET'] = path
    log = open(srv.log_path, 'ab')
    proc = subprocess.Popen([GUICHETD, 'serve', '--db', srv.db, '--listen',
                             f'127.0.0.1:{srv.port}', '--spool', str(tmp_path / 'spool'),
                             '--batch-time', 'off', *srv.pin()],
                            stdout=log, stderr=subprocess.STDOUT, env=srv.env)
    try:
        msg = sock.recv(4096).decode()
        # Ready means ready: the first request right after it is answered.
        r = requests.get(srv.base + '/healthz', timeout=5)
        assert r.status_code == 200
        assert 'READY=1' in msg.split('\n') and 'STATUS=listening on' in msg, msg
        proc.send_signal(signal.SIGTERM)
        msg = sock.recv(4096).decode()
        assert 'STOPPING=1' in msg.split('\n'), msg
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
        sock.close()


def test_an_older_guichetd_refuses_a_database_a_newer_one_migrated(tmp_path):
    """The schema's version: SQLite's PRAGMA user_version; PostgreSQL's highest row of
    schema_migration (a newer guichetd's migration written there as it would be)."""
    srv = Server(str(tmp_path), transactions=10)
    if PG:
        (version,) = q(srv, 'SELECT max(version) FROM schema_migration')[0]
        q(srv, 'INSERT INTO schema_migration(version, name, applied_at) VALUES (?, ?, 0)',
          (version + 1, f'{version + 1:03d}_future.sql'))
    else:
        (version,) = rows(srv.db, 'PRAGMA user_version')[0]
        con = sqlite3.connect(srv.db)
        con.execute(f'PRAGMA user_version = {version + 1}')
        con.commit()
        con.close()
    out = subprocess.run([GUICHETD, 'serve', '--db', srv.db, '--listen',
                          f'127.0.0.1:{srv.port}', '--spool', str(tmp_path / 'spool'),
                          *srv.pin()], capture_output=True, text=True, env=srv.env, timeout=60)
    assert out.returncode != 0
    assert 'event=database_too_new' in out.stderr and f'version={version + 1}' in out.stderr
    # Its backup is still a backup: what to restore on the newer version.
    if PG:
        assert q(srv, 'SELECT max(version) FROM schema_migration') == [(version + 1,)]
        copy = str(tmp_path / 'newer.dump')
        pg_tool('pg_dump', '--format=custom', '--file', copy, '--dbname', srv.db)
        restored = pg_cluster().createdb('r' + uuid.uuid4().hex[:16])
        pg_tool('pg_restore', '--exit-on-error', '--single-transaction', '--no-owner',
                '--no-comments', '--dbname', restored, copy)
        with connect(restored) as db:
            assert db.execute('SELECT max(version) FROM schema_migration').fetchall() == \
                [(version + 1,)]
    else:
        assert rows(srv.db, 'PRAGMA user_version') == [(version + 1,)]
        out = backup(srv, str(tmp_path / 'newer.db'))
        assert rows(str(tmp_path / 'newer.db'), 'PRAGMA user_version') == [(version + 1,)]
