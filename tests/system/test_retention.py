"""The retention job (SPEC §4: Idempotency-Keys kept at least 24 h; SPEC §14: the error log of
the last 3 days; the notifications to merchants' servers 90 days once done): rows past their
time go, in batches through the writer, fresh ones stay.

Rows are aged by moving their instants back beside the server (conftest.connect) while the server runs; the job runs
every second here (--retention-every 1) instead of every minute."""
import hashlib
import os
import subprocess
import time
import uuid

import pytest

from conftest import GUICHETD, PG, ROOT, Server, connect, wait_for

US = 1000000
HOUR = 3600 * US
DAY = 24 * HOUR


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('retention')), transactions=0)
    srv.start('--retention-every', '1')
    yield srv
    assert srv.stop() == 0, srv.read_log()
    assert 'ERROR: AddressSanitizer' not in srv.read_log()


def db_exec(server, sql, args=()):
    with connect(server.db, timeout=10) as db:
        return db.execute(sql, args).fetchall()


def age(server, table, column, where, args, by_us):
    db_exec(server, f'UPDATE {table} SET {column} = {column} - ? WHERE {where}', (by_us, *args))


def keys_present(server, keys):
    rows = db_exec(server, 'SELECT key FROM idempotency WHERE key IN (%s)'
                   % ','.join('?' * len(keys)), keys)
    return {r[0] for r in rows}


def body_of(order_ref):
    return {'amount': 1234, 'currency': 'EUR', 'order_ref': order_ref,
            'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'}}


def test_expired_idempotency_keys_go_fresh_ones_stay(server):
    old, edge, fresh = ('ret-' + n + '-' + uuid.uuid4().hex for n in ('old', 'edge', 'fresh'))
    first = {}
    for k in (old, edge, fresh):
        r = server.api('POST', '/api/v1/payments', body_of(k), headers={'Idempotency-Key': k})
        assert r.status_code == 201, r.text
        first[k] = r.json()
    age(server, 'idempotency', 'created_at', 'key = ?', (old,), DAY + US)
    age(server, 'idempotency', 'created_at', 'key = ?', (edge,), DAY - 60 * US)
    assert wait_for(lambda: old not in keys_present(server, [old]))
    time.sleep(1.5)  # another round or so: the others stay
    assert keys_present(server, [old, edge, fresh]) == {edge, fresh}
    # A replay with a kept key still answers the first answer, and records nothing.
    count = db_exec(server, 'SELECT count(*) FROM txn')[0][0]
    for k in (edge, fresh):
        r = server.api('POST', '/api/v1/payments', body_of(k), headers={'Idempotency-Key': k})
        assert (r.status_code, r.json()) == (201, first[k])
    assert db_exec(server, 'SELECT count(*) FROM txn')[0][0] == count
    # The expired key is forgotten: the same request is a new payment.
    r = server.api('POST', '/api/v1/payments', body_of(old), headers={'Idempotency-Key': old})
    assert r.status_code == 201 and r.json()['id'] != first[old]['id']


def test_many_expired_keys_go_in_several_batches(server):
    """More rows than one batch (1,000): the job goes on at once until none is left."""
    (brand_id, shop_id), = db_exec(server, 'SELECT brand_id, id FROM shop ORDER BY id LIMIT 1')
    now = server.now_us()
    tag = 'bulk-' + uuid.uuid4().hex + '-'
    with connect(server.db, timeout=10) as db:
        db.executemany('INSERT INTO idempotency VALUES (?, ?, ?, ?, 201, ?, ?)',
                       [(brand_id, shop_id, f'{tag}{i}', bytes(32), '{}', now - 2 * DAY - i)
                        for i in range(2500)])
        db.execute('INSERT INTO idempotency VALUES (?, ?, ?, ?, 201, ?, ?)',
                   (brand_id, shop_id, tag + 'fresh', bytes(32), '{}', now))
    left = lambda: db_exec(server, 'SELECT count(*) FROM idempotency WHERE key LIKE ?',
                           (tag + '%',))[0][0]
    assert wait_for(lambda: left() == 1), left()
    assert keys_present(server, [tag + 'fresh']) == {tag + 'fresh'}
    assert 'event=retention idempotency_keys=1000' in server.read_log()


def test_error_log_keeps_three_days(server):
    # Entries of refused requests: a wrong signature of a known shop (SPEC §4), on three paths
    # (the same refusal again within its minute only counts in its entry: README "The merchant
    # API"). The log is written once a second.
    paths = ('/api/v1/payments', '/api/v1/payments/1/capture', '/api/v1/payments/1/cancel')
    for i, path in enumerate(paths):
        r = server.api('POST', path, body_of(f'ERR-{i}'), signature='00' * 64)
        assert r.status_code == 401
    entries = lambda: [r[0] for r in db_exec(
        server, "SELECT id FROM api_error WHERE code = 'bad_signature' AND path IN (?, ?, ?) "
                'ORDER BY id DESC', paths)]
    assert wait_for(lambda: len(entries()) == 3), entries()
    ids = entries()
    old, edge, fresh = ids
    age(server, 'api_error', 'at', 'id = ?', (old,), 3 * DAY + US)
    age(server, 'api_error', 'at', 'id = ?', (edge,), 3 * DAY - 60 * US)
    present = lambda: {r[0] for r in db_exec(
        server, 'SELECT id FROM api_error WHERE id IN (?, ?, ?)', (old, edge, fresh))}
    assert wait_for(lambda: old not in present())
    time.sleep(1.5)
    assert present() == {edge, fresh}


def test_notifications_are_kept_ninety_days_once_done(server):
    """README "Notifications": a delivered or failed notification goes with its attempts 90
    days (RETENTION_NOTIFY_DAYS x 24 h) after it was done; a pending one stays whatever its
    age, and so does its transaction."""
    r = server.api('POST', '/api/v1/payments', body_of('NOTIFY-RET'))
    assert r.status_code == 201, r.text
    tid = int(r.json()['id'])
    (brand_id, shop_id), = db_exec(server, 'SELECT brand_id, shop_id FROM txn WHERE id = ?',
                                   (tid,))
    now = server.now_us()
    ids = {}
    with connect(server.db, timeout=10) as db:
        # (name, state, done this long ago); the instants set on purpose below.
        for name, state, ago in (('old', 1, 90 * DAY + US), ('failed', 2, 200 * DAY),
                                 ('edge', 1, 90 * DAY - 60 * US), ('fresh', 2, HOUR),
                                 ('pending', 0, None)):
            done = None if ago is None else now - ago
            ids[name], = db.execute(
                'INSERT INTO notify_outbox(brand_id, shop_id, txn_id, url, body, state, tries, '
                'attempts, next_at, created_at, done_at) VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?) '
                'RETURNING id',
                (brand_id, shop_id, tid, 'http://127.0.0.1:9/n', '{}', state,
                 now + 365 * DAY, now - 400 * DAY, done)).fetchall()[0]
            db.execute('INSERT INTO notify_attempt(brand_id, notify_id, at, duration_ms, '
                       'http_status) VALUES (?, ?, ?, 5, 500)',
                       (brand_id, ids[name], done or now - 400 * DAY))
    present = lambda: {n for n, i in ids.items() if db_exec(
        server, 'SELECT count(*) FROM notify_outbox WHERE id = ?', (i,))[0][0]}
    assert wait_for(lambda: present() == {'edge', 'fresh', 'pending'}), present()
    time.sleep(1.5)  # another round or so: the others stay
    assert present() == {'edge', 'fresh', 'pending'}
    attempts = db_exec(server, 'SELECT notify_id FROM notify_attempt WHERE notify_id IN '
                               '(%s)' % ','.join('?' * len(ids)), tuple(ids.values()))
    assert sorted(a[0] for a in attempts) == sorted(ids[n] for n in ('edge', 'fresh', 'pending'))
    assert db_exec(server, 'SELECT count(*) FROM txn WHERE id = ?', (tid,)) == [(1,)]


def test_upgrade_blanks_unkeyed_digests(tmp_path):
    """Migration 015: the digests stored before it were unkeyed (card number and CVV could be
    found again from them) and cannot be keyed without the requests: they are blanked, and a
    retry of such a key is a conflict, never a second payment. Later migrations may not run
    twice, so 015 is replayed here by hand on a demo database.

    PostgreSQL's schema (sql/pg/) was born after 015, with no database from before it to
    upgrade: there, the row is written as 015 leaves it (its digest blanked), and a retry of its
    key must be the same conflict."""
    srv = Server(str(tmp_path), transactions=0)
    with connect(srv.db) as db:
        index = ("SELECT count(*) FROM pg_indexes WHERE indexname = 'idempotency_brand_created'"
                 if PG else
                 "SELECT count(*) FROM sqlite_master WHERE name = 'idempotency_brand_created'")
        assert db.execute(index).fetchone()[0] == 1  # guichetd applied it
        # The shop the payment below is signed for (srv.api's first): production's, since a
        # SITE and RANG name a shop in each environment (docs/ENVIRONMENTS.md).
        (brand_id, shop_id), = db.execute(
            "SELECT brand_id, id FROM shop WHERE site = ? AND rang = ? AND env = 'production'",
            (srv.shop(0)['site'], srv.shop(0)['rang'])).fetchall()
        if PG:
            db.execute('INSERT INTO idempotency VALUES (?, ?, ?, ?, 201, ?, ?)',
                       (brand_id, shop_id, 'before-015', bytes(32), '{"id":"1"}',
                        srv.now_us()))
        else:
            db.execute('DROP INDEX idempotency_brand_created')
            unkeyed = hashlib.blake2b(b'POST /api/v1/payments {...}', digest_size=32).digest()
            db.execute('INSERT INTO idempotency VALUES (?, ?, ?, ?, 201, ?, ?)',
                       (brand_id, shop_id, 'before-015', unkeyed, '{"id":"1"}',
                        srv.now_us()))
            with open(os.path.join(ROOT, 'sql', 'sqlite', '015_idempotency.sql')) as f:
                db.executescript(f.read())
        assert db.execute('SELECT request_digest FROM idempotency').fetchall() == [(bytes(32),)]
        assert db.execute(index).fetchone()[0] == 1
    srv.start()
    try:
        r = srv.api('POST', '/api/v1/payments', body_of('AFTER-015'),
                    headers={'Idempotency-Key': 'before-015'})
        assert r.status_code == 409 and r.json()['error'] == 'idempotency_conflict', r.text
        with connect(srv.db) as db:
            assert db.execute("SELECT count(*) FROM txn WHERE order_ref = 'AFTER-015'"
                              ).fetchone()[0] == 0
    finally:
        assert srv.stop() == 0, srv.read_log()


@pytest.mark.parametrize('value', ['0', '-1', 'x', '86401'])
def test_bad_retention_interval(tmp_path, value):
    out = subprocess.run([GUICHETD, 'serve', '--db', str(tmp_path / 'g.db'),
                          '--retention-every', value], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2 and 'retention-every' in out.stderr
