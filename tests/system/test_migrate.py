"""`guichetd migrate` (issue 13; docs/OPERATIONS.md "Upgrades"): the schema of a SQLite file or
a PostgreSQL database brought to this version's, once, also by two servers at once on
PostgreSQL (an advisory lock); a database a newer version migrated is refused; a PostgreSQL
password on the command line is refused before connecting; and a PostgreSQL database is not
served yet."""
import json
import subprocess

import pytest

from conftest import GUICHETD, free_port
from pgcluster import Cluster


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
    got = sorted(json.loads(o)['from'] for o, _ in outs)
    assert got == [0, 1]  # one applied it; the other waited for the lock and found it done
    assert pg.psql('SELECT count(*) FROM schema_migration', db='twice') == '1'
    assert migrate(db) == {'from': 1, 'to': 1}


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


def test_postgresql_is_not_served_yet(pg):
    db = pg.createdb('served')
    out = subprocess.run([GUICHETD, 'serve', '--db', db, '--listen', f'127.0.0.1:{free_port()}'],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and 'event=pg_not_served' in out.stderr
