"""The tests' throwaway PostgreSQL cluster (tests/system/pgcluster.py; issue 13): started on a
private socket only, with production's durability, a database for guichetd's role with
pg_trgm, and nothing left running or on disk after its stop."""
import os
import time

import pytest

from pgcluster import ROLE, Cluster


@pytest.fixture(scope='module')
def cluster():
    c = Cluster().start()
    yield c
    c.stop()


def test_durable_and_on_its_socket_only(cluster):
    got = cluster.psql("SELECT current_setting('fsync') || ',' || "
                       "current_setting('synchronous_commit') || ',' || "
                       "current_setting('listen_addresses')")
    assert got == 'on,on,'
    assert os.path.exists(os.path.join(cluster.sock, '.s.PGSQL.5432'))
    assert oct(os.stat(cluster.folder).st_mode & 0o777) == '0o700'


def test_a_database_for_guichet_with_trigrams(cluster):
    uri = cluster.createdb('guichet_test')
    assert uri.startswith('postgresql:///guichet_test?host=') and f'user={ROLE}' in uri
    assert cluster.psql('SELECT current_user', db='guichet_test', user=ROLE) == ROLE
    assert cluster.psql("SELECT similarity('ABC-123', 'ABC-124') > 0.3", db='guichet_test',
                        user=ROLE) == 't'
    cluster.psql('CREATE TABLE t (id bigint PRIMARY KEY, ref text NOT NULL); '
                 'CREATE INDEX t_ref ON t USING gin (ref gin_trgm_ops)', db='guichet_test',
                 user=ROLE)
    # Another database does not see it.
    cluster.createdb('guichet_other')
    with pytest.raises(RuntimeError):
        cluster.psql('SELECT * FROM t', db='guichet_other', user=ROLE)


def test_stopped_it_leaves_nothing(tmp_path):
    c = Cluster().start()
    pid = int(open(os.path.join(c.data, 'postmaster.pid')).readline())
    c.stop()
    assert not os.path.exists(c.folder)
    # pg_ctl returns once the pid file is gone; the postmaster exits a moment after.
    deadline = time.time() + 10
    while os.path.exists(f'/proc/{pid}') and 'Z' not in state(pid):
        assert time.time() < deadline, 'the postmaster still runs'
        time.sleep(0.05)


def state(pid):
    try:
        return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return 'gone'
