"""`guichetd migrate` (issue 13; docs/OPERATIONS.md "Upgrades"): the schema of a SQLite file or
a PostgreSQL database brought to this version's, once, also by two servers at once on
PostgreSQL (an advisory lock); a database a newer version migrated is refused; a PostgreSQL
password on the command line is refused before connecting; and a PostgreSQL database so
migrated is served."""
import glob
import json
import os
import signal
import subprocess
import time

import pytest
import requests

from conftest import GUICHETD, ROOT, SANITIZER_ENV, free_port
from pgcluster import Cluster

# The migrations of PostgreSQL's schema (sql/pg/NNN_*.sql): the version they bring it to, the
# highest number (numbers may be left free for branches made in parallel).
PG_FILES = glob.glob(os.path.join(ROOT, 'sql', 'pg', '[0-9][0-9][0-9]_*.sql'))
PG_VERSION = max(int(os.path.basename(f)[:3]) for f in PG_FILES)
PG_COUNT = len(PG_FILES)  # one schema_migration row each


def migrate(db, check=True):
    out = subprocess.run([GUICHETD, 'migrate', '--db', db, '--json'], capture_output=True,
                         text=True, timeout=120)
    if check:
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)
    return out


@pytest.fixture(scope='module')
def pg():
    c = Cluster().start()
    yield c
    c.stop()


def test_sqlite_from_nothing_then_nothing_to_do(tmp_path):
    db = str(tmp_path / 'guichet.db')
    first = migrate(db)
    assert first['from'] == 0 and first['to'] >= 39
    assert migrate(db) == {'from': first['to'], 'to': first['to']}


def test_postgresql_once_even_when_two_servers_start_together(pg):
    db = pg.createdb('twice')
    procs = [subprocess.Popen([GUICHETD, 'migrate', '--db', db, '--json'],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    got = sorted((json.loads(o)['from'], json.loads(o)['to']) for o, _ in outs)
    # One applied them; the other waited for the lock and found them done.
    assert got == [(0, PG_VERSION), (PG_VERSION, PG_VERSION)]
    assert pg.psql('SELECT count(*) FROM schema_migration', db='twice') == str(PG_COUNT)
    assert migrate(db) == {'from': PG_VERSION, 'to': PG_VERSION}


def test_a_password_on_the_command_line_is_refused_before_connecting(pg):
    db = pg.createdb('secret')
    out = migrate(db.replace('postgresql:///', 'postgresql://guichet:hunter2@/'), check=False)
    assert out.returncode == 2 and 'PGPASSWORD' in out.stderr
    assert 'hunter2' not in out.stderr
    out = migrate(db + '&password=hunter2', check=False)
    assert out.returncode == 2 and 'hunter2' not in out.stderr
    assert pg.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migration'",
                   db='secret') == '0'


def test_a_database_a_newer_version_migrated_is_refused(pg):
    db = pg.createdb('newer')
    migrate(db)
    pg.psql("INSERT INTO schema_migration VALUES (999, '999_future.sql', 0)", db='newer')
    out = migrate(db, check=False)
    assert out.returncode == 1 and 'event=database_too_new' in out.stderr


def test_an_unreachable_database_says_why(pg):
    out = migrate(pg.uri('no_such_database'), check=False)
    assert out.returncode == 1 and 'no_such_database' in out.stderr


def test_a_migrated_postgresql_database_is_served(pg):
    """What a deployment step migrated, the server serves (it once refused a PostgreSQL URI,
    event=pg_not_served): it starts, answers, finds nothing left to migrate, and stops
    cleanly at SIGTERM."""
    db = pg.createdb('served')
    assert migrate(db) == {'from': 0, 'to': PG_VERSION}
    port = free_port()
    env = {**SANITIZER_ENV, **os.environ, 'GUICHET_KEK': '33' * 32}
    proc = subprocess.Popen([GUICHETD, 'serve', '--db', db, '--listen', f'127.0.0.1:{port}',
                             '--batch-time', 'off'],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline, ok = time.time() + 20, False
        while not ok and time.time() < deadline and proc.poll() is None:
            try:
                r = requests.get(f'http://127.0.0.1:{port}/healthz', timeout=1)
                ok = r.status_code == 200 and r.json()['status'] == 'ok'
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        log, _ = proc.communicate(timeout=30)
    assert ok, log
    assert proc.returncode == 0, log
    assert 'event=migration_applied' not in log, log
    assert pg.psql('SELECT count(*) FROM schema_migration', db='served') == str(PG_COUNT)
