"""On PostgreSQL, the search's selective filters are served by their own indexes as the
search writes them (sql/pg/004_search_indexes.sql, txn_search.c): an exact amount, an e-mail,
an order reference's prefix and '%ABC%'. Before, the amount and the e-mail had trigram indexes
neither filter could use and the prefix was rewritten as an ILIKE no b-tree serves: the planner
walked the whole period in time order (2 s on 10,000,000 transactions, docs/PERFORMANCE.md).

The plans are those of the statements the server runs, with their values: PostgreSQL's
auto_explain logs each one, for this test's database only, and the sequential scan is
discouraged there, so that on a few hundred rows the planner picks among the indexes as it
does on millions (a walk in time order is still open to it, and would show)."""
import os
import re
from urllib.parse import quote

import pytest

from conftest import PG, Server, connect, pg_cluster
from test_signin import ready_user

pytestmark = pytest.mark.skipif(not PG, reason='the plans of PostgreSQL\'s planner; SQLite\'s '
                                'paths are named in its SQL (INDEXED BY) and tested by its results')

WIDE = 'from=2020-01-01&to=2099-12-31'


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp('plans')), transactions=3000)
    name = s.db.split('?')[0].rsplit('/', 1)[1]
    for setting in ("session_preload_libraries = 'auto_explain'",
                    'auto_explain.log_min_duration = 0', 'enable_seqscan = off'):
        pg_cluster().psql(f'ALTER DATABASE "{name}" SET {setting}')
    s.start()
    s.user = ready_user(s, 'demo.consultation')
    yield s
    assert s.stop() == 0


def plans_of(srv, query):
    """The plans PostgreSQL logged while the server answered GET /bo/api/transactions?query."""
    log = pg_cluster().log
    mark = os.path.getsize(log)
    session, _ = srv.user
    r = session.get(f'{srv.base}/bo/api/transactions?{WIDE}&{query}')
    assert r.status_code == 200, r.text
    with open(log, encoding='utf-8', errors='replace') as f:
        f.seek(mark)
        text = f.read()
    # The page's statement: the one reading txn ordered by time (the session's are not).
    plans = [p for p in re.split(r'LOG:  duration: ', text) if 'FROM txn' in p and 'LIMIT' in p]
    assert plans, text
    return r.json()['items'], '\n'.join(plans)


def one(srv, sql):
    with connect(srv.db) as db:
        return db.execute(sql).fetchone()[0]


def test_an_exact_amount_reads_its_index(srv):
    amount = one(srv, 'SELECT amount_initial FROM txn WHERE brand_id = 1 ORDER BY id LIMIT 1')
    items, plan = plans_of(srv, f'amount=eq:{amount}')
    assert items and all(t['amount_initial'] == amount for t in items)
    assert 'txn_brand_amount' in plan, plan


def test_an_email_reads_its_index_whatever_its_case(srv):
    email = one(srv, "SELECT email FROM txn WHERE brand_id = 1 AND email <> '' ORDER BY id LIMIT 1")
    items, plan = plans_of(srv, f'email={quote(email.upper())}')
    assert items and all(t['id'] for t in items)
    assert 'txn_brand_email' in plan, plan


def test_a_reference_prefix_reads_the_reference_index_whatever_its_case(srv):
    ref = one(srv, 'SELECT order_ref FROM txn WHERE brand_id = 1 ORDER BY id LIMIT 1')
    items, plan = plans_of(srv, f'order_ref={quote(ref.lower())}%25')
    assert any(t['order_ref'] == ref for t in items)
    assert 'txn_brand_order_ref' in plan, plan


def test_a_reference_infix_reads_the_trigram_index(srv):
    ref = one(srv, 'SELECT order_ref FROM txn WHERE brand_id = 1 ORDER BY id LIMIT 1')
    items, plan = plans_of(srv, f'order_ref=%25{quote(ref[2:].lower())}%25')
    assert any(t['order_ref'] == ref for t in items)
    assert 'txn_order_ref_lower_trgm' in plan, plan
