"""`guichetd demo` writes its history on PostgreSQL by COPY (store_ops.txn_rows_write,
src/store/pg/pg_copy.c; issue 13) and on SQLite by its inserts one by one: the same seed and
clock give the same rows on both, table by table and column by column. The transactions,
their history lines and the statistics roll-ups most of all: the roll-ups are made by the
triggers, which COPY fires row by row as an insert does. What each database's own key makes
is compared by its length: the cards' keyed fingerprints and sealed numbers, the wrapped data
key, the shops' sealed HMAC keys. Runs on either suite (it makes both databases itself)."""
import contextlib
import json
import os
import sqlite3
import subprocess

import pytest

from conftest import GUICHETD, TEST_NOW, pg_cluster

# Past one batch of ids (4096 a take): batches written at each day's start, and when the ids
# taken run out; about 5 % of the debits refunded a day or more later.
N = 6000
# Not the same by design: a password's salted hash; the blocklist's generation mark, drawn at
# random by SQLite's trigger, counted by PostgreSQL's.
RANDOM = {('user', 'password_hash'), ('block_gen', 'gen')}


def demo(db, env):
    out = subprocess.run([GUICHETD, 'demo', '--db', db, '--transactions', str(N), '--seed',
                          '7', '--now', TEST_NOW, '--json'], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope='module')
def both(tmp_path_factory):
    import psycopg2
    env = {**os.environ, 'GUICHET_KEK': os.urandom(32).hex()}
    lite_db = str(tmp_path_factory.mktemp('demo') / 'guichet.db')
    pg_db = pg_cluster().createdb('demo_copy')
    out = demo(lite_db, env), demo(pg_db, env)
    with contextlib.closing(sqlite3.connect(lite_db)) as lite, \
            contextlib.closing(psycopg2.connect(pg_db)) as pg:
        yield lite, pg, out


def tables(lite):
    """SQLite's tables and their columns, but for the search's full-text tables, their shadow
    tables and the indexer's state: PostgreSQL searches by trigram indexes on txn instead
    (test_pg_schema.py)."""
    found = lite.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND "
                         "name NOT LIKE 'sqlite_%'").fetchall()
    virtual = [n for n, sql in found if sql.upper().startswith('CREATE VIRTUAL')]
    names = [n for n, _ in found if n != 'search_state'
             and not any(n == v or n.startswith(v + '_') for v in virtual)]
    return {n: [(c, t) for _, c, t, _, _, _ in lite.execute(f'PRAGMA table_info("{n}")')]
            for n in names}


def select(table, columns):
    """Every row of table, each column as itself, a blob as its length, in the order of all
    the columns (the tenant and the id first)."""
    cols = [f'coalesce(length({c}), -1)' if t == 'BLOB' else c for c, t in columns
            if (table, c) not in RANDOM]
    order = ', '.join(str(i + 1) for i in range(len(cols)))
    return f'SELECT {", ".join(cols)} FROM {{}} ORDER BY {order}'


def pg_rows(pg, sql):
    with pg.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_every_table_as_sqlite_writes_it(both):
    lite, pg, _ = both
    shown = tables(lite)
    assert len(shown) >= 34 and 'txn' in shown and 'stats_daily' in shown
    for table, columns in shown.items():
        sql = select(table, columns)
        want = lite.execute(sql.format(f'"{table}"')).fetchall()
        got = pg_rows(pg, sql.format('users' if table == 'user' else table))
        assert len(got) == len(want), table
        for w, g in zip(want, got):
            assert g == w, f'{table}: {g} instead of {w}'


def test_the_history_and_its_roll_ups(both):
    lite, pg, _ = both
    # Counts and sums of amounts, said apart from the rows above, and something to count.
    for sql in ('SELECT count(*), sum(amount_initial), sum(amount_current), '
                'sum(amount_refunded), count(parent_id), count(card_sealed) FROM txn',
                'SELECT count(*), sum(amount), count(DISTINCT txn_id) FROM txn_history',
                'SELECT count(*), sum(count), sum(amount), max(max_amount) FROM stats_daily'):
        want = lite.execute(sql).fetchone()
        assert tuple(pg_rows(pg, sql)[0]) == want, sql
    n, refunds = lite.execute('SELECT count(*), count(parent_id) FROM txn').fetchone()
    assert n > N and refunds > 100
    # The roll-ups are the recount of what the dashboard counts (conftest.check_store).
    recount = ('SELECT brand_id, shop_id, day, method, type, count(*), '
               'sum(amount_current + amount_refunded), max(amount_current + amount_refunded) '
               'FROM txn WHERE status = 0 AND type IN (0, 1) AND acq IN (2, 3) '
               'GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5')
    rollups = ('SELECT brand_id, shop_id, day, method, type, count, amount, max_amount '
               'FROM stats_daily ORDER BY 1, 2, 3, 4, 5')
    assert pg_rows(pg, rollups) == pg_rows(pg, recount)


def test_the_same_answer(both):
    lite_out, pg_out = both[2]
    for out in (lite_out, pg_out):
        for u in out['users']:
            del u['password']
        for s in out['shops']:
            del s['hmac_key'], s['hmac_key_test']
    assert pg_out == lite_out
    assert pg_out['transactions'] == N
