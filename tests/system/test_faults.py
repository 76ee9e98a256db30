"""Storage faults (DESIGN.md "Tests"; README "When storage fails"): in a test build
(meson -Dfault_injection=true; build-asan has it) a SQLite VFS wrapping the default one fails
the Nth storage call once armed (src/store/sqlite/fault_vfs.c), with an I/O error, a full disk
or a busy lock, as SQLite's own I/O error tests do. For N = 1 … every call of a payment, of an
operation (capture, cancel, refund) and of a télécollecte: each ends in a clear answer (the
JSON error of the status table, 503 with Retry-After) or succeeds (a busy lock is waited
for), never in a half-written transaction, and the server serves the next request without a
restart.

The server's count is the process's, every connection's: now and then a background job (the
search indexer, the mailer) takes the fault meant for the request; its round fails and comes
again, which is what must happen to it too, and the request then succeeds. Other builds skip
this file but for its check that they inject nothing."""
import concurrent.futures
import contextlib
import glob
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import types
import uuid

import pytest
import requests

from conftest import GUICHETD, PG_ONLY_SQLITE, Server, bank_files_whole, check_store, q, sign

# The fault VFS wraps SQLite's storage calls: nothing of it runs on PostgreSQL.
pytestmark = PG_ONLY_SQLITE

KINDS = ('ioerr', 'full', 'busy')


def fault_build():
    out = subprocess.run([GUICHETD, 'version'], capture_output=True, text=True, timeout=30)
    return 'storage fault injection: built in' in out.stdout


FAULTS = fault_build()
# `make system-asan` sets it: there, a build without the option fails rather than skips.
REQUIRED = os.environ.get('GUICHET_FAULTS_REQUIRED') == '1'
faults_only = pytest.mark.skipif(not FAULTS and not REQUIRED,
                                 reason='not a fault-injection build (meson -Dfault_injection=true)')


@faults_only
def test_this_build_injects_faults():
    assert FAULTS, 'GUICHET_FAULTS_REQUIRED: configure the build with -Dfault_injection=true'


@pytest.mark.skipif(FAULTS, reason='a fault-injection build')
def test_a_build_without_the_option_injects_nothing(tmp_path):
    """What a release build does with the test build's switches: nothing. GUICHET_FAULT in
    the environment of the demo, the server and the télécollecte, and a control file the
    server never reads; every storage call goes through."""
    ctl = str(tmp_path / 'fault.ctl')
    srv = Server(str(tmp_path), transactions=0,
                 env={'GUICHET_FAULT': '1 ioerr persist', 'GUICHET_FAULT_CTL': ctl}).start()
    try:
        with open(ctl, 'w') as f:
            f.write('1 ioerr persist')
        r = srv.api('POST', '/api/v1/payments', payment('RELEASE-' + uuid.uuid4().hex[:6]))
        assert r.status_code == 201, r.text
        assert batch_run(srv, '1 ioerr persist').returncode == 0
        assert os.path.exists(ctl) and 'fault' not in srv.read_log()
    finally:
        assert srv.stop() == 0
    out = subprocess.run([GUICHETD, 'version'], capture_output=True, text=True, timeout=30)
    assert 'fault' not in out.stdout


class Faults:
    """Arms the server's faults through its control file (GUICHET_FAULT_CTL), and counts the
    faults the server's log says it injected."""

    def __init__(self, srv):
        self.srv = srv
        self.ctl = os.path.join(srv.tmp, 'fault.ctl')

    def arm(self, spec):
        with open(self.ctl + '.new', 'w') as f:
            f.write(spec)
        os.rename(self.ctl + '.new', self.ctl)
        deadline = time.time() + 10
        while os.path.exists(self.ctl):  # the server deletes it once armed
            assert time.time() < deadline, 'the server did not take ' + spec
            time.sleep(0.001)

    def injected(self):
        return self.srv.read_log().count('event=storage_fault_injected')


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp('faults'))
    s = Server(tmp, transactions=0, env={'GUICHET_FAULT_CTL': os.path.join(tmp, 'fault.ctl')})
    # The retention job once at start: fewer storage calls beside the ones under test.
    s.start('--retention-every', '86400')
    yield s
    log = s.read_log()
    assert s.stop() == 0, log
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log


def payment(ref, capture='auto', amount=2500, card='4111111111111111'):
    return {'amount': amount, 'currency': 'EUR', 'order_ref': ref,
            'card': {'number': card, 'expiry': '1230', 'cvv': '123'},
            'email': 'buyer@example.com', 'capture': capture}


def assert_unavailable(srv, r):
    """A storage failure's answer: 503 with the JSON error of the status table, a retry hint,
    signed like every answer to the shop."""
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.json()['error'] in ('storage_unavailable', 'busy') and r.json()['message']
    assert r.headers['Retry-After'] == '1'
    assert r.headers['X-Guichet-Signature'] == sign(srv.shop()['hmac_key'], r.content)


def serves(srv):
    """The server still runs and a plain payment succeeds, no restart."""
    assert srv.proc.poll() is None, srv.read_log()[-3000:]
    r = srv.api('POST', '/api/v1/payments', payment('NEXT-' + uuid.uuid4().hex[:10]))
    assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text


def over_every_call(srv, faults, kind, attempt, check, prepare=None):
    """For N = 1, 2 …: prepare(N) (what the attempt needs, unarmed), arms a fault at the Nth
    storage call, runs attempt(N) (a request; the fault is disarmed as soon as it is
    answered), check(N, answer) on the database, and the next payment; until the Nth call
    never came. Returns how many calls the attempt made."""
    n = 0
    while True:
        n += 1
        if prepare is not None:
            prepare(n)
        before = faults.injected()
        faults.arm(f'{n} {kind}')
        r = attempt(n)
        faults.arm('0')
        fired = faults.injected() > before
        assert r.status_code != 500, r.text
        if r.status_code == 503:
            assert fired, r.text
            assert_unavailable(srv, r)
        check(n, r)
        check_store(srv)
        serves(srv)
        if not fired:
            return n - 1


@faults_only
@pytest.mark.parametrize('kind', KINDS)
def test_a_payment_is_all_or_nothing_whatever_call_fails(srv, kind):
    """A payment with its Idempotency-Key: recorded whole (the transaction, its history, its
    roll-ups, its key) or not at all, and the client's retry with the key gets the first
    answer or pays now, once."""
    faults = Faults(srv)
    bodies = {}

    def attempt(n):
        ref = f'PAY-{kind}-{n}-{uuid.uuid4().hex[:6]}'
        bodies[n] = payment(ref)
        return srv.api('POST', '/api/v1/payments', bodies[n], headers={'Idempotency-Key': ref})

    def check(n, r):
        ref = bodies[n]['order_ref']
        rows = q(srv, 'SELECT id FROM txn WHERE order_ref = ?', (ref,))
        kept = q(srv, 'SELECT http_status FROM idempotency WHERE key = ?', (ref,))
        if r.status_code == 201:
            assert rows == [(int(r.json()['id']),)] and kept == [(201,)]
        else:
            assert rows == [] and kept == [], (n, r.text)
        # The client tries again with its key: a replay of the answer, or the payment now.
        again = srv.api('POST', '/api/v1/payments', bodies[n], headers={'Idempotency-Key': ref})
        assert again.status_code == 201, again.text
        if r.status_code == 201:
            assert again.json() == r.json()
        assert q(srv, 'SELECT count(*) FROM txn WHERE order_ref = ?', (ref,)) == [(1,)]

    calls = over_every_call(srv, faults, kind, attempt, check)
    print(kind, 'calls', calls)
    assert calls >= {'ioerr': 10, 'full': 3, 'busy': 2}[kind], calls
    # The metrics count what committed (README "Metrics"): the payments the database holds,
    # none of those a fault took back after they were decided.
    metrics = requests.get(srv.base + '/metrics', timeout=30).text
    counted = re.search(r'^guichet_payments_decided_total\{result="accepted",origin="api"\} '
                        r'(\d+)$', metrics, re.M)
    assert counted, metrics
    assert int(counted.group(1)) == q(srv, 'SELECT count(*) FROM txn WHERE type = 0 AND '
                                           'status = 0 AND origin = 0')[0][0]


def batch_run(srv, fault=None, where=None, date=None, leaks=True):
    """`guichetd batch run` on the server's day (or date), beside the server, or on the copy
    of its database where names (.db, .tmp); fault: its GUICHET_FAULT, armed from its start
    (it never reads the server's control file). leaks=False: no leak check at its exit
    (the sanitized build's slowest part), for the sweep's runs in between."""
    where = where or srv
    env = {k: v for k, v in srv.env.items() if k != 'GUICHET_FAULT_CTL'}
    if fault:
        env['GUICHET_FAULT'] = fault
    if not leaks:
        env['ASAN_OPTIONS'] = env.get('ASAN_OPTIONS', '') + ':detect_leaks=0'
    # The server's KEK (README "Keys"): the run seals the daily report's mail with it, and a
    # copy of the database has the same data key.
    key = os.path.join(os.path.dirname(srv.db), 'guichet.key')
    return subprocess.run([GUICHETD, 'batch', 'run', '--db', where.db, '--date',
                           date or srv.paris_day(), '--spool', os.path.join(where.tmp, 'spool'),
                           '--key-file', key, *srv.clock()],
                          capture_output=True, text=True, timeout=120, env=env)


def sent_payment(srv, amount):
    """A payment sent to the bank (a télécollecte run beside the server), to refund."""
    r = srv.api('POST', '/api/v1/payments', payment('SENT-' + uuid.uuid4().hex[:8],
                                                    amount=amount))
    assert r.status_code == 201, r.text
    out = batch_run(srv)
    assert out.returncode == 0, out.stderr
    assert q(srv, 'SELECT acq FROM txn WHERE id = ?', (int(r.json()['id']),)) == [(3,)]
    return int(r.json()['id'])


def txn_state(srv, tid):
    return q(srv, 'SELECT type, status, acq, amount_current, amount_refunded, '
                  '(SELECT count(*) FROM txn_history h WHERE h.txn_id = t.id), '
                  '(SELECT count(*) FROM txn r WHERE r.parent_id = t.id) FROM txn t '
                  'WHERE id = ?', (tid,))[0]


@faults_only
@pytest.mark.parametrize('op', ('capture', 'cancel', 'refund'))
@pytest.mark.parametrize('kind', KINDS)
def test_an_operation_is_all_or_nothing_whatever_call_fails(srv, kind, op):
    """A capture, a cancellation or a refund with its Idempotency-Key: applied whole (the
    transaction's new state, its history line, a refund's own transaction, the roll-ups) or
    not at all, then applied once by the retry."""
    faults = Faults(srv)
    refunded = sent_payment(srv, 90000) if op == 'refund' else None
    targets, before, keys = {}, {}, {}

    def prepare(n):
        if op == 'refund':
            tid = refunded
        else:
            r = srv.api('POST', '/api/v1/payments', payment(
                f'OP-{op}-{n}-' + uuid.uuid4().hex[:6],
                capture='manual' if op == 'capture' else 'auto'))
            assert r.status_code == 201, r.text
            tid = int(r.json()['id'])
        targets[n], before[n] = tid, txn_state(srv, tid)
        keys[n] = f'{op}-{kind}-{n}-' + uuid.uuid4().hex[:6]

    def attempt(n):
        body = {'amount': 1} if op == 'refund' else {'amount': 2000} if op == 'capture' else {}
        return srv.api('POST', f'/api/v1/payments/{targets[n]}/{op}', body,
                       headers={'Idempotency-Key': keys[n]})

    def check(n, r):
        tid, was = targets[n], before[n]
        after = txn_state(srv, tid)
        if r.status_code in (200, 201):
            assert after != was and after[5] == was[5] + 1  # its one history line
            if op == 'refund':
                assert after[4] == was[4] + 1 and after[6] == was[6] + 1
        else:
            assert after == was, (n, r.text)  # nothing moved
            assert q(srv, 'SELECT count(*) FROM idempotency WHERE key = ?', (keys[n],)) == [(0,)]
        again = attempt(n)
        assert again.status_code == (201 if op == 'refund' else 200), again.text
        if r.status_code in (200, 201):
            assert again.json() == r.json()
        assert txn_state(srv, tid)[5] == was[5] + 1  # applied once

    calls = over_every_call(srv, faults, kind, attempt, check, prepare)
    print(kind, 'calls', calls)
    assert calls >= {'ioerr': 10, 'full': 3, 'busy': 2}[kind], calls


@faults_only
def test_a_fault_in_a_group_of_payments_fails_the_group_whole(srv):
    """The writer runs the payments that wait together in one transaction, each in its own
    savepoint. An I/O error in a statement makes SQLite roll the whole transaction back at
    once: every payment of the group, those before the failing one included, is answered 503
    and none is recorded; those after it must not run outside the transaction either (a
    savepoint with no transaction open starts one, and its release commits it: they used to
    be written and answered 503 all the same, a retry without key paying twice)."""
    faults = Faults(srv)
    shop = q(srv, "SELECT id FROM shop WHERE site = ? AND rang = ? AND env = 'production'",
             (srv.shop()['site'], srv.shop()['rang']))[0][0]
    # Many remembered keys: each payment's look-up of its own key reads a page of its own,
    # so the writer reads in the middle of a group, where an I/O error rolls it all back.
    with contextlib.closing(sqlite3.connect(srv.db)) as db, db:
        db.executemany('INSERT INTO idempotency VALUES (1, ?, ?, zeroblob(32), 422, ?, ?)',
                       ((shop, uuid.uuid4().hex, '{"error":"refused"}', srv.now_us())
                        for _ in range(20000)))
    for n in range(1, 31):
        refs = [f'GROUP-{n}-{i}-' + uuid.uuid4().hex[:6] for i in range(8)]
        answers = {}

        def pay(ref):
            answers[ref] = srv.api('POST', '/api/v1/payments', payment(ref),
                                   headers={'Idempotency-Key': uuid.uuid4().hex})

        threads = [threading.Thread(target=pay, args=(ref,)) for ref in refs]
        # A write beside the server (as `guichetd batch run` makes): the writer's page cache
        # is stale, so its statements read pages.
        q(srv, 'UPDATE search_state SET txn_ref_upto = txn_ref_upto')
        faults.arm(f'{n} ioerr')
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        faults.arm('0')
        for ref, r in answers.items():
            rows = q(srv, 'SELECT count(*) FROM txn WHERE order_ref = ?', (ref,))[0][0]
            if r.status_code == 503:
                assert_unavailable(srv, r)
                assert rows == 0, (n, ref, 'answered 503 but recorded')
            else:
                assert r.status_code == 201 and rows == 1, (n, ref, r.text)
        check_store(srv)
        serves(srv)


@faults_only
def test_a_disk_that_stays_full_then_frees_up(srv):
    """A full disk for a while (every write fails from the Nth on): every payment meanwhile
    answers 503 and records nothing; reads still answer; once space is back, the next
    payment succeeds, without a restart."""
    faults = Faults(srv)
    known = srv.api('POST', '/api/v1/payments', payment('KNOWN-' + uuid.uuid4().hex[:6]))
    for n in (1, 2, 3, 5, 8):
        faults.arm(f'{n} full persist')
        refs = ['FULL-%d-%d-%s' % (n, i, uuid.uuid4().hex[:6]) for i in range(3)]
        answers = [srv.api('POST', '/api/v1/payments', payment(ref),
                           headers={'Idempotency-Key': ref}) for ref in refs]
        read = srv.api('GET', f"/api/v1/payments/{known.json()['id']}")
        faults.arm('0')
        assert read.status_code == 200, read.text
        for ref, r in zip(refs, answers):
            if r.status_code == 503:
                assert_unavailable(srv, r)
                assert q(srv, 'SELECT count(*) FROM txn WHERE order_ref = ?', (ref,)) == [(0,)]
            else:
                assert r.status_code == 201 and n > 1, r.text
        assert answers[-1].status_code == 503
        check_store(srv)
        serves(srv)
    assert 'event=group_commit_failed' in srv.read_log() or 'event=sqlite_error' in srv.read_log()


# ---- the télécollecte: `guichetd batch run`, its own process, armed from its start ----------

def batch_template(srv):
    """A copy of the server's database (SQLite's backup, consistent while the server runs)
    and of its bank files, where one contract is due: a debit, and the refund of a debit
    sent before; nothing else is due that day."""
    assert batch_run(srv, date=srv.paris_day(60)).returncode == 0  # what earlier tests left
    sent = sent_payment(srv, 5000)
    r = srv.api('POST', f'/api/v1/payments/{sent}/refund', {'amount': 1200})
    assert r.status_code == 201, r.text
    r = srv.api('POST', '/api/v1/payments', payment('DUE-' + uuid.uuid4().hex[:6]))
    assert r.status_code == 201, r.text
    path = os.path.join(srv.tmp, 'batch-template')
    shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(os.path.join(srv.tmp, 'spool', 'bank'), os.path.join(path, 'spool', 'bank'))
    with contextlib.closing(sqlite3.connect(srv.db)) as src, \
            contextlib.closing(sqlite3.connect(os.path.join(path, 'guichet.db'))) as dst:
        src.backup(dst)
        dst.execute('PRAGMA journal_mode = WAL')
    return path


@pytest.fixture
def fast_tmp():
    """A folder in memory (tmpfs) when there is one: the copies of the batch sweep, where
    what is tested is the faults injected, not the disk's speed at fsync (kill -9 and the
    disk: tests/system/test_crash.py)."""
    path = tempfile.mkdtemp(prefix='guichet-faults-',
                            dir='/dev/shm' if os.path.isdir('/dev/shm') else None)
    yield pathlib.Path(path)
    shutil.rmtree(path, ignore_errors=True)


@faults_only
@pytest.mark.parametrize('kind', KINDS)
def test_a_batch_run_leaves_no_half_batch_whatever_call_fails(srv, kind, fast_tmp):
    """For N = 1 … every storage call of a télécollecte of one batch (from the opening of the
    database to the last mark), on a fresh copy of the same database each time: the run
    fails at its Nth call and ends with its exit status and message, never a crash; the
    batch is closed whole or not at all, its bank file whole or absent, nothing half
    written; and a run again (every fourth N, and after the last) settles it, once. The
    copies are independent: as many N at once as there are processors."""
    template = batch_template(srv)
    before = q(types.SimpleNamespace(db=os.path.join(template, 'guichet.db')),
               'SELECT max(id) FROM batch')[0][0]

    def one(n):
        work = str(fast_tmp / f'run{n}')
        shutil.copytree(template, work)
        copy = types.SimpleNamespace(db=os.path.join(work, 'guichet.db'), tmp=work)
        out = batch_run(srv, f'{n} {kind}', copy, leaks=n % 4 == 0)
        fired = 'event=storage_fault_injected' in out.stderr
        assert 'AddressSanitizer' not in out.stderr and 'runtime error' not in out.stderr, \
            (n, out.stderr)
        assert out.returncode in (0, 1), (n, out.stderr)
        if out.returncode == 1:
            assert fired and 'batch run failed (see the log above); run it again' in \
                out.stderr, (n, out.stderr)
        check_store(copy)
        bank_files_whole(copy)
        if n % 4 == 0 or not fired:
            again = batch_run(srv, None, copy, leaks=False)  # a clean run's: test_batches
            assert again.returncode == 0, (n, again.stderr)
            assert q(copy, 'SELECT count(*) FROM txn WHERE acq = 2') == [(0,)], n
            # One batch more than the template had: its debit and its credit, written.
            assert q(copy, 'SELECT count(*), debit_count, credit_count, file_written FROM '
                           'batch WHERE id > ?', (before,)) == [(1, 1, 1, 1)], n
            check_store(copy)
            bank_files_whole(copy)
            assert not glob.glob(os.path.join(copy.tmp, 'spool', 'bank', '*.txt.*')), n
        shutil.rmtree(work)
        return fired

    width = os.cpu_count() or 2
    with concurrent.futures.ThreadPoolExecutor(width) as pool:
        n = 0
        while all(pool.map(one, range(n + 1, n + width + 1))):
            n += width
    calls = n + width - 1  # at most: the first N that did not fire is in the last chunk
    print(kind, 'calls <=', calls)
    assert calls > {'ioerr': 40, 'full': 15, 'busy': 8}[kind], calls
