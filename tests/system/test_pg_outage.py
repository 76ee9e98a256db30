"""The PostgreSQL server stopped and started again under a running guichetd (a restart, a
failover): while it is away, every request that needs it gets a clear 503 and nothing is
half written; once it is back, guichetd makes its connections again by itself, without a
restart: the payments, the back office's session, the mailer."""
import glob
import os

import pytest

from conftest import PG, Server, pg_cluster, q, wait_for
from test_signin import ready_user

pytestmark = pytest.mark.skipif(
    not PG, reason="about PostgreSQL's server going away; a SQLite file has no server "
                   '(its storage faults: test_faults.py)')


def test_the_database_server_goes_away_and_comes_back(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        admin, csrf = ready_user(srv, 'demo.admin')
        paid = [srv.pay().json()['id'] for _ in range(5)]
        cluster = pg_cluster()
        cluster.stop(remove=False)
        try:
            r = srv.pay()
            assert r.status_code == 503 and r.json()['error'] == 'storage_unavailable', r.text
            r = admin.get(srv.base + '/bo/api/session')
            assert r.status_code == 503 and r.json()['error'] == 'storage_unavailable', r.text
            assert srv.pay().status_code == 503  # asked again: still away, still clear
            r = admin.get(srv.base + '/healthz')
            assert r.status_code == 200  # the server itself runs
        finally:
            cluster.start()
        # Back: the connections are made again at their next transaction.
        def pays():
            r = srv.pay()
            assert r.status_code in (201, 503), r.text
            if r.status_code == 201:
                paid.append(r.json()['id'])
            return r.status_code == 201
        assert wait_for(pays, timeout=20), srv.read_log()
        for _ in range(20):
            assert pays()
        assert admin.get(srv.base + '/bo/api/session').status_code == 200
        r = admin.post(srv.base + '/bo/api/users', headers={'X-CSRF-Token': csrf},
                       json={'login': 'after.outage', 'name': 'After Outage',
                             'email': 'after@example.com', 'profile': 'consultation'})
        assert r.status_code == 201, r.text
        mail = q(srv, "SELECT id FROM mail_outbox WHERE recipient = 'after@example.com'")[0][0]
        spooled = os.path.join(srv.tmp, 'spool', '%012d.eml' % mail)
        assert wait_for(lambda: os.path.exists(spooled), timeout=20), \
            (glob.glob(os.path.join(srv.tmp, 'spool', '*')), srv.read_log())
        # Every payment answered 201 is there, once; the refused ones left nothing.
        stored = [str(i) for (i,) in q(srv, 'SELECT id FROM txn ORDER BY id')]
        assert stored == sorted(paid, key=int)
        log = srv.read_log()
        assert 'event=pg_connection_lost' in log and 'event=pg_reconnected' in log
    finally:
        assert srv.stop() == 0
