"""PostgreSQL's schema (sql/pg/; issue 13) keeps the same records as SQLite's after all its
migrations: every table and column, of the matching type and nullability, applied by
`guichetd migrate` as the database's owner (no superuser: pg_trgm and btree_gin are trusted extensions), with the
tenant first in every key; and its triggers do what SQLite's do: the dashboard's roll-ups
follow a payment through its states, the action log refuses change, a blocklist entry moves
the Bloom filters' generation."""
import sqlite3
import subprocess

import pytest

from conftest import GUICHETD
from pgcluster import ROLE, Cluster

# SQLite tables PostgreSQL has no use for, each with why.
SQLITE_ONLY = {
    'txn_ref': 'the FTS5 trigram index of order references: a GIN index on txn instead',
    'txn_amount_ref': 'the FTS5 index of amounts: a b-tree on txn instead (sql/pg/004)',
    'txn_email_ref': 'the FTS5 index of e-mails: a b-tree on txn instead (sql/pg/004)',
    'search_state': 'how far the FTS5 indexer went: GIN indexes are kept in the transaction',
}
RENAMED = {'user': 'users'}  # "user" is reserved in PostgreSQL
TYPES = {'INTEGER': 'bigint', 'TEXT': 'text', 'BLOB': 'bytea'}


@pytest.fixture(scope='module')
def pg():
    c = Cluster().start()
    out = subprocess.run([GUICHETD, 'migrate', '--db', c.createdb('schema')],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    yield c
    c.stop()


@pytest.fixture(scope='module')
def lite(tmp_path_factory):
    db = str(tmp_path_factory.mktemp('schema') / 'guichet.db')
    out = subprocess.run([GUICHETD, 'demo', '--db', db, '--transactions', '0', '--json'],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    con = sqlite3.connect(db)
    yield con
    con.close()


def sql(pg, text):
    return pg.psql(text, db='schema', user=ROLE)


def pg_columns(pg, table):
    got = sql(pg, "SELECT column_name || ':' || data_type || ':' || is_nullable FROM "
                  f"information_schema.columns WHERE table_name = '{table}' "
                  "AND table_schema = 'public' ORDER BY ordinal_position")
    return {c: (t, n == 'NO') for c, t, n in (line.split(':') for line in got.splitlines())}


def lite_tables(lite):
    names = [n for (n,) in lite.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    shadow = {f'{t}_{s}' for t in SQLITE_ONLY for s in ('data', 'idx', 'docsize', 'config')}
    return [n for n in names if n not in SQLITE_ONLY and n not in shadow]


def test_every_table_and_column_as_sqlite_has_them(pg, lite):
    tables = lite_tables(lite)
    assert len(tables) >= 34
    for t in tables:
        want = {name: (TYPES[typ], notnull == 1 or pk > 0)
                for _, name, typ, notnull, _, pk in lite.execute(f'PRAGMA table_info("{t}")')}
        got = pg_columns(pg, RENAMED.get(t, t))
        assert got == want, t
    # And nothing more in PostgreSQL.
    pg_tables = set(sql(pg, "SELECT table_name FROM information_schema.tables WHERE "
                            "table_schema = 'public' AND table_type = 'BASE TABLE'").split())
    # schema_migration: the versions applied, where SQLite has PRAGMA user_version.
    assert pg_tables == {RENAMED.get(t, t) for t in tables} | {'schema_migration'}


def test_the_tenant_comes_first_in_every_key(pg):
    keys = sql(pg, "SELECT c.conrelid::regclass::text || ':' || c.contype::text || ':' || "
                   "(SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM "
                   "unnest(c.conkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON "
                   "a.attrelid = c.conrelid AND a.attnum = k.attnum) FROM pg_constraint c "
                   "WHERE c.contype IN ('p', 'u', 'f') AND c.connamespace = 'public'::regnamespace")
    outside = {'meta:p:key', 'block_gen:p:id', 'schema_migration:p:version', 'brand:p:id', 'brand:u:pspid', 'users:u:login',
               'session:u:token_hash', 'checkout:p:token_hash', 'txn:f:brand_id'}
    checked = 0
    for k in keys.splitlines():
        table, kind, cols = k.split(':')
        if k in outside or table == 'brand' or (kind == 'f' and cols == 'brand_id'):
            continue
        assert cols.split(',')[0] == 'brand_id', k
        checked += 1
    assert checked > 60


def insert_txn(pg, tid, status=0, acq=2, amount=1000, day=20000):
    sql(pg, 'INSERT INTO txn (brand_id, id, shop_id, type, status, acq, method, amount_initial, '
            'amount_current, currency, order_ref, created_at, updated_at, day) VALUES '
            f'(1, {tid}, 10, 0, {status}, {acq}, 2, {amount}, {amount}, \'EUR\', \'R{tid}\', '
            f'1763645400000000, 1763645400000000, {day})')


def stats(pg):
    return sql(pg, 'SELECT count, amount, max_amount FROM stats_daily WHERE brand_id = 1 '
                   'AND day = 20000')


def test_the_roll_ups_follow_a_payment(pg):
    sql(pg, "INSERT INTO brand VALUES (1, 'B', 'PSPID1', 0); "
            "INSERT INTO node (brand_id, id, level, name, created_at) VALUES (1, 10, 'shop', 'S', 0); "
            "INSERT INTO shop VALUES (1, 10, '1000001', '001', 'S', '', 0)")
    insert_txn(pg, 1, amount=1000)
    insert_txn(pg, 2, amount=3000)
    insert_txn(pg, 3, status=1, acq=5, amount=9000)  # refused: does not count
    insert_txn(pg, 4, acq=0, amount=7000)             # awaiting capture: not yet
    assert stats(pg) == '2|4000|3000'
    sql(pg, 'UPDATE txn SET acq = 2 WHERE id = 4')      # captured: counts now
    assert stats(pg) == '3|11000|7000'
    sql(pg, 'UPDATE txn SET type = 2, amount_current = 0 WHERE id = 4')  # cancelled
    assert stats(pg) == '2|4000|3000'
    sql(pg, 'UPDATE txn SET amount_current = 2500, amount_refunded = 0 WHERE id = 2')
    assert stats(pg) == '2|3500|2500'
    sql(pg, 'UPDATE txn SET updated_at = 1 WHERE id = 1')  # nothing that counts changed
    assert stats(pg) == '2|3500|2500'


def test_the_action_log_is_append_only(pg):
    sql(pg, "INSERT INTO action_log (brand_id, id, at, user_login, user_name, user_email, "
            "action) VALUES (1, 1, 0, 'l', 'n', 'e', 'signin')")
    for change in ("UPDATE action_log SET action = 'x'", 'DELETE FROM action_log'):
        with pytest.raises(RuntimeError, match='append-only'):
            sql(pg, change)
    sql(pg, 'INSERT INTO action_repeat VALUES (1, 1, 2, 5)')
    sql(pg, 'UPDATE action_repeat SET count = 3, last_at = 6')
    with pytest.raises(RuntimeError, match='only grows'):
        sql(pg, 'UPDATE action_repeat SET count = 2')
    assert sql(pg, 'SELECT count(*) FROM action_log') == '1'


def test_a_blocklist_entry_moves_the_generation(pg):
    before = int(sql(pg, 'SELECT gen FROM block_gen'))
    sql(pg, "INSERT INTO block_entry (brand_id, node_id, kind, key, value, created_at) VALUES "
            "(1, 10, 1, '\\x01'::bytea, 'v', 0)")
    assert int(sql(pg, 'SELECT gen FROM block_gen')) != before
