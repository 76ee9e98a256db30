"""The télécollecte (SPEC §7, §16): `guichetd batch run` beside the running server, one batch
per contract, idempotent, crash-safe under SIGKILL, the batch journal, bank files, reports."""
import glob
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import GUICHETD, PG, Server, connect, q
from test_signin import ready_user

CARDS = ('4111111111111111', '5555555555554444', '378282246310005', '4970100000000006')


def import_returns(srv):
    """Imports the acquirer's return files the batch runs wrote (docs/RECONCILIATION.md), as
    the server's job does on their value date."""
    for f in sorted(glob.glob(os.path.join(srv.tmp, 'spool', 'returns', '*.txt'))):
        out = subprocess.run([GUICHETD, 'reconcile', 'import', f, '--db', srv.db, *srv.clock()],
                             capture_output=True, text=True, timeout=60, env=srv.env)
        assert out.returncode == 0, out.stderr


def batch_run(srv, date, check=True):
    out = subprocess.run([GUICHETD, 'batch', 'run', '--db', srv.db, '--date', date, '--spool',
                          os.path.join(srv.tmp, 'spool'), *srv.clock()], capture_output=True,
                         text=True, timeout=120, env=srv.env)
    if check:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture
def srv(tmp_path):
    s = Server(str(tmp_path), transactions=0).start()
    yield s
    assert s.stop() == 0


def pay_some(srv, n):
    ids = []
    for i in range(n):
        r = srv.pay(amount=1000 + i, card=CARDS[i % len(CARDS)], shop=i % 3)
        assert r.status_code == 201 and r.json()['status'] == 'accepted'
        ids.append(int(r.json()['id']))
    return ids


def test_batch_run_while_the_server_runs(srv):
    ids = pay_some(srv, 12)
    out = batch_run(srv, srv.paris_day())
    assert 'batch ' in out.stdout
    # Shops 1999888/001 and 1999889/001 settle the same day; 1999888/002 defers 2 days.
    sent = {r[0] for r in q(srv, 'SELECT id FROM txn WHERE acq = 3 AND batch_id IS NOT NULL')}
    waiting = {r[0] for r in q(srv, 'SELECT id FROM txn WHERE acq = 2')}
    assert sent | waiting == set(ids) and sent and waiting
    assert all(r[0] == 1 for r in q(srv, 'SELECT count(DISTINCT batch_id) FROM txn '
                                         'WHERE batch_id IS NOT NULL GROUP BY contract_id'))
    # Idempotent: nothing more today.
    again = batch_run(srv, srv.paris_day())
    assert 'batch ' not in again.stdout.replace('batch run', '')
    assert q(srv, 'SELECT count(*) FROM batch')[0][0] == len(
        q(srv, 'SELECT DISTINCT contract_id FROM txn WHERE acq = 3'))
    batch_run(srv, srv.paris_day(2))
    assert q(srv, 'SELECT count(*) FROM txn WHERE acq = 2')[0][0] == 0
    # One history line per transaction sent; a bank file per batch.
    assert q(srv, "SELECT max(n) FROM (SELECT count(*) n FROM txn_history WHERE action = "
                  "'bank_sending' GROUP BY txn_id) AS t")[0][0] == 1
    files = glob.glob(os.path.join(srv.tmp, 'spool', 'bank', '*.txt'))
    assert len(files) == q(srv, 'SELECT count(*) FROM batch')[0][0]
    for f in files:
        lines = open(f).read().splitlines()
        assert lines[0].startswith('H;') and lines[-1].startswith('Z;')
        assert all('*' in l for l in lines[1:-1])  # masked cards only


def test_batch_journal_and_its_transactions(srv):
    pay_some(srv, 6)
    batch_run(srv, srv.paris_day())
    import_returns(srv)
    s, csrf = ready_user(srv, 'demo.consultation')
    r = s.get(srv.base + f'/bo/api/batches?from={srv.paris_day()}&to={srv.paris_day()}')
    assert r.status_code == 200, r.text
    items = r.json()['items']
    assert items and r.json()['next'] is None
    for b in items:
        assert set(b) >= {'id', 'created_at', 'number', 'credit_count', 'credit_amount',
                          'debit_count', 'debit_amount', 'transaction_count', 'total',
                          'currency', 'contract', 'rang', 'payment_method', 'status'}
        txns = s.get(srv.base + f"/bo/api/transactions?from=2020-01-01&to=2099-12-31"
                                f"&batch_id={b['id']}").json()['items']
        assert len(txns) == b['transaction_count']
        assert sum(t['amount_current'] for t in txns) == b['total']
        assert all(t['acquirer_status'] == 'sent' for t in txns)
        # The acquirer's reconciliation (JRB) of each, once its return file was imported:
        # matched, the commission withheld from debits at the simulator's rate for the
        # method, the rest credited. The JRB covers CB, VISA and MASTERCARD only (Vision
        # manual §8): an AMEX batch has no return file, its transactions no reconciliation.
        rates = {'CB': 40, 'VISA': 90, 'MASTERCARD': 90}
        for t in txns:
            rec = s.get(srv.base + f"/bo/api/transactions/{t['id']}").json()['reconciliation']
            if b['payment_method'] not in rates:
                assert rec is None, rec
                continue
            assert rec['reconciled'] == 'yes' and rec['batch_number'] == b['number']
            assert rec['commission'] == t['amount_current'] * rates[b['payment_method']] // 10000
            assert rec['net_amount'] + rec['commission'] == t['amount_current']
            assert rec['reconciled_at'] >= b['created_at']
    # The journal's filters (Vision manual §5.1.1).
    base = f'/bo/api/batches?from={srv.paris_day()}&to={srv.paris_day()}'
    b = items[0]
    for filt, keep in ((f"contract={b['contract']}", lambda x: x['contract'] == b['contract']),
                       (f"rang={b['rang']}", lambda x: x['rang'] == b['rang']),
                       ('number=1', lambda x: x['number'] == 1),
                       (f"payment_method={b['payment_method']}",
                        lambda x: x['payment_method'] == b['payment_method']),
                       (f"amount=ge:{b['total']}", lambda x: x['total'] >= b['total']),
                       (f"amount=ne:{b['total']}", lambda x: x['total'] != b['total']),
                       ('status=sent', lambda x: True)):
        got = s.get(srv.base + base + '&' + filt).json()['items']
        assert [x['id'] for x in got] == [x['id'] for x in items if keep(x)], filt
    for bad in ('status=open', 'rang=1', 'number=x', 'amount=gt:1', 'order_ref=x'):
        assert s.get(srv.base + base + '&' + bad).status_code == 400, bad
    assert s.get(srv.base + '/bo/api/batches').status_code == 400
    assert s.get(srv.base + f'/bo/api/batches?from={srv.paris_day()}&to={srv.paris_day()}&type=debit').status_code == 400
    # The export: the journal's rows in the user's columns (here the default), CSV and TXT.
    import csv
    import io
    r = s.get(srv.base + f'/bo/api/batches/export?format=csv&from={srv.paris_day()}&to={srv.paris_day()}')
    assert r.status_code == 200 and 'filename="batches.csv"' in r.headers['Content-Disposition']
    rows = list(csv.DictReader(io.StringIO(r.content.decode('utf-8'), newline='')))
    assert len(rows) == len(items)
    for row, b in zip(rows, items):
        for k in ('number', 'transaction_count', 'credit_count', 'credit_amount', 'debit_count',
                  'debit_amount', 'total', 'status', 'contract', 'rang', 'payment_method',
                  'currency'):
            assert row[k] == str(b[k]), k
    r = s.patch(srv.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': csrf},
                json={'columns': {'batches': ['total', 'number', 'file_name']}})
    assert r.status_code == 200, r.text
    r = s.get(srv.base + f"/bo/api/batches/export?format=txt&from={srv.paris_day()}&to={srv.paris_day()}"
                         f"&contract={b['contract']}")
    lines = r.content.decode('utf-8').split('\r\n')[:-1]
    assert lines[0] == 'total\tnumber\tfile_name'
    assert [l.split('\t')[:2] for l in lines[1:]] == [
        [str(x['total']), str(x['number'])] for x in items if x['contract'] == b['contract']]
    for bad in ('format=xls', 'order_ref=x', 'limit=5', 'cursor=1.1'):
        r = s.get(srv.base + f'/bo/api/batches/export?from={srv.paris_day()}&to={srv.paris_day()}&{bad}')
        assert r.status_code == 400, bad
    # The daily report goes through the outbox to the contract's report address.
    deadline = time.time() + 10
    while time.time() < deadline and not glob.glob(os.path.join(srv.tmp, 'spool', '*.eml')):
        time.sleep(0.1)
    mails = [open(f).read() for f in glob.glob(os.path.join(srv.tmp, 'spool', '*.eml'))]
    assert any('compta@maison-guichet.example' in m and 'télécollecte' in m for m in mails)


def test_killed_runs_never_lose_or_double_a_transaction(srv):
    ids = pay_some(srv, 150)
    rng = random.Random(7)
    for _ in range(15):
        p = subprocess.Popen([GUICHETD, 'batch', 'run', '--db', srv.db, '--date', srv.paris_day(2),
                              '--spool', os.path.join(srv.tmp, 'spool'), *srv.clock()],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=srv.env)
        time.sleep(rng.uniform(0, 0.03))
        p.send_signal(signal.SIGKILL)
        p.wait()
    batch_run(srv, srv.paris_day(2))
    rows = q(srv, 'SELECT id, acq, batch_id FROM txn')
    assert {r[0] for r in rows} == set(ids)
    assert all(r[1] == 3 and r[2] is not None for r in rows)
    assert q(srv, "SELECT count(*), count(DISTINCT txn_id) FROM txn_history "
                  "WHERE action = 'bank_sending'")[0] == (150, 150)
    for bid, debits, amount in q(srv, 'SELECT id, debit_count, debit_amount FROM batch'):
        got = q(srv, 'SELECT count(*), sum(amount_current) FROM txn WHERE batch_id = ?', (bid,))[0]
        assert got == (debits, amount)
    assert q(srv, 'SELECT count(*) FROM batch WHERE file_written = 0')[0][0] == 0
    # At most one batch per contract and day, whatever the kills.
    assert q(srv, 'SELECT max(n) FROM (SELECT count(*) n FROM batch GROUP BY contract_id, '
                  'bank_day) AS t')[0][0] == 1
    # And, whatever the kills, a return file per CB/VISA/MASTERCARD batch: imported, one
    # reconciliation line per transaction of those batches.
    import_returns(srv)
    assert q(srv, 'SELECT count(*) FROM txn_reconciliation')[0][0] == q(
        srv, 'SELECT count(*) FROM txn t JOIN batch b ON b.id = t.batch_id '
             'WHERE b.method IN (1, 2, 3)')[0][0] > 100


def test_a_batch_is_filled_a_chunk_at_a_time_and_shown_once_finished(srv):
    """A batch is opened, filled a chunk of transactions a database transaction (--chunk)
    and finished (store.h batch_open): a run killed while it fills leaves it open, out of the
    journal and without a file, its totals those of the transactions it already sent; the next
    run finishes it first. Nothing lost or sent twice, whatever the kills."""
    ids = pay_some(srv, 60)
    s, csrf = ready_user(srv, 'demo.consultation')
    journal = f'/bo/api/batches?from={srv.paris_day()}&to={srv.paris_day()}'
    rng = random.Random(11)
    seen_open = 0
    for _ in range(12):
        p = subprocess.Popen([GUICHETD, 'batch', 'run', '--db', srv.db, '--date',
                              srv.paris_day(2), '--spool', os.path.join(srv.tmp, 'spool'),
                              '--chunk', '1', *srv.clock()],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=srv.env)
        err = b''
        while b'event=batch_opened' not in err and p.poll() is None:
            err += p.stderr.read1(4096)
        time.sleep(rng.uniform(0, 0.02))
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stderr.close()
        open_ids = {r[0] for r in q(srv, "SELECT id FROM batch WHERE status = 'closing'")}
        assert len(open_ids) <= 1  # one run at a time, and the next finishes it first
        seen_open += bool(open_ids)
        r = s.get(srv.base + journal)
        assert r.status_code == 200, r.text
        assert not open_ids & {b['id'] for b in r.json()['items']}
        for bid in open_ids:
            assert not os.path.exists(os.path.join(srv.tmp, 'spool', 'bank', q(
                srv, 'SELECT file_name FROM batch WHERE id = ?', (bid,))[0][0]))
        # Every batch, open or not, counts exactly what it sent so far.
        for bid, n, amount in q(srv, 'SELECT id, debit_count, debit_amount FROM batch'):
            assert q(srv, 'SELECT count(*), coalesce(sum(amount_current), 0) FROM txn WHERE '
                          'batch_id = ?', (bid,))[0] == (n, amount)
        if not q(srv, 'SELECT count(*) FROM txn WHERE acq = 2')[0][0] and not open_ids:
            break
    assert seen_open, 'no kill landed while a batch was filled'
    out = batch_run(srv, srv.paris_day(2))
    assert q(srv, "SELECT count(*) FROM batch WHERE status <> 'sent' OR file_written = 0") == \
        [(0,)]
    assert {r[0] for r in q(srv, 'SELECT id FROM txn WHERE acq = 3 AND batch_id IS NOT NULL')} \
        == set(ids)
    assert q(srv, "SELECT count(*), count(DISTINCT txn_id) FROM txn_history "
                  "WHERE action = 'bank_sending'")[0] == (60, 60)
    # One batch per contract, numbered from 1, each in the journal once with its file.
    assert q(srv, 'SELECT count(*), count(DISTINCT contract_id), max(number) FROM batch')[0] \
        == (len(q(srv, 'SELECT DISTINCT contract_id FROM txn')),) * 2 + (1,)
    items = s.get(srv.base + journal).json()['items']
    assert sorted(b['id'] for b in items) == sorted(r[0] for r in q(srv, 'SELECT id FROM batch'))
    assert sum(b['transaction_count'] for b in items) == 60
    assert 'batch run of' in out.stdout


def test_a_batch_left_open_then_emptied_by_cancellations_is_dropped(srv):
    """A run killed right after it opened a batch leaves it open with nothing sent yet; if
    the merchant then cancels each of its transactions, the next run finishes it empty: the
    batch is dropped (no number used, no file, no journal line, no report mail) and the
    cancellations leave the queue without a batch."""
    ids = [int(srv.pay(amount=1500 + i, card=CARDS[0], shop=0).json()['id']) for i in range(2)]
    other = [int(srv.pay(amount=1700, card=CARDS[1], shop=1).json()['id'])]  # another contract
    (contract,), = set(q(srv, 'SELECT contract_id FROM txn WHERE id IN (?, ?)', tuple(ids)))
    q(srv, "INSERT INTO batch(brand_id, shop_id, contract_id, number, bank_day, created_at, "
           "method, currency, debit_count, debit_amount, credit_count, credit_amount, "
           "file_name, status) SELECT brand_id, shop_id, contract_id, 1, max(bank_day), 1, "
           "method, currency, 0, 0, 0, 0, 'batch-left-open.txt', 'closing' FROM txn WHERE id "
           "IN (?, ?) GROUP BY brand_id, shop_id, contract_id, method, currency", tuple(ids))
    for tid in ids:
        r = srv.api('POST', f'/api/v1/payments/{tid}/cancel', {})
        assert r.status_code in (200, 201), r.text
    out = batch_run(srv, srv.paris_day(2))
    assert q(srv, 'SELECT count(*) FROM batch WHERE contract_id = ?', (contract,)) == [(0,)]
    assert q(srv, 'SELECT type, acq, batch_id FROM txn WHERE id IN (?, ?)', tuple(ids)) == \
        [(2, 3, None)] * 2
    assert q(srv, 'SELECT acq FROM txn WHERE id = ?', (other[0],)) == [(3,)]
    assert q(srv, "SELECT count(*) FROM batch WHERE status <> 'sent'") == [(0,)]
    assert not os.path.exists(os.path.join(srv.tmp, 'spool', 'bank', 'batch-left-open.txt'))
    assert f'contract {contract},' not in out.stdout


@pytest.mark.skipif(not PG, reason='SQLite has one writer at a time: nothing changes a row '
                    'between the choice of a chunk and its sending')
def test_a_transaction_cancelled_while_its_chunk_is_sent_stays_out(srv):
    """PostgreSQL: a fill chooses its chunk, then changes each row; a transaction cancelled in
    between (its row locked by the cancel, the fill waiting for it) is checked again as it is
    changed and stays out of the batch: no bank_sending line, not in the file or the totals."""
    ids = [int(srv.pay(amount=1800 + i, card=CARDS[0], shop=0).json()['id']) for i in range(3)]
    victim = ids[1]
    cancel = connect(srv.db)
    cancel.execute('SELECT id FROM txn WHERE id = ? FOR UPDATE', (victim,))
    p = subprocess.Popen([GUICHETD, 'batch', 'run', '--db', srv.db, '--date', srv.paris_day(2),
                          '--spool', os.path.join(srv.tmp, 'spool'), *srv.clock()],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=srv.env)
    deadline = time.time() + 30
    while q(srv, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") == \
            [(0,)]:
        assert time.time() < deadline and p.poll() is None, 'the fill never waited'
        time.sleep(0.05)
    cancel.execute('UPDATE txn SET type = 2, amount_current = 0 WHERE id = ?', (victim,))
    cancel.commit()
    cancel.close()
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert q(srv, 'SELECT type, acq, batch_id FROM txn WHERE id = ?', (victim,)) == \
        [(2, 3, None)]
    assert q(srv, "SELECT count(*) FROM txn_history WHERE txn_id = ? AND action = "
                  "'bank_sending'", (victim,)) == [(0,)]
    (bid, n, amount), = q(srv, 'SELECT id, debit_count, debit_amount FROM batch')
    assert (n, amount) == (2, 1800 + 1802)
    assert sorted(r[0] for r in q(srv, 'SELECT id FROM txn WHERE batch_id = ?', (bid,))) == \
        [ids[0], ids[2]]


def test_bad_batch_command_lines(srv):
    for args in (['batch'], ['batch', 'go'], ['batch', 'run', '--db', srv.db],
                 ['batch', 'run', '--db', srv.db, '--date', '2026-02-30'],
                 *(['batch', 'run', '--db', srv.db, '--date', srv.paris_day(), '--chunk', bad]
                   for bad in ('0', '-1', 'ten', '1000001', '1.5', ''))):
        out = subprocess.run([GUICHETD, *args], capture_output=True, text=True, timeout=30,
                             env=srv.env)
        assert out.returncode == 2, args


def test_the_server_settles_at_its_daily_time(tmp_path):
    """--batch-time: a day whose time has passed is settled when the server starts."""
    srv = Server(str(tmp_path), transactions=0).start()
    pay_some(srv, 3)
    assert srv.stop() == 0
    srv.start('--batch-time', '00:00')
    try:
        # The run's last line comes after its last batch is committed: wait for it.
        deadline = time.time() + 20
        while time.time() < deadline and 'event=settlement_done' not in srv.read_log():
            time.sleep(0.2)
        assert 'event=settlement_done' in srv.read_log()
        assert q(srv, 'SELECT count(*) FROM batch')[0][0] >= 1
    finally:
        assert srv.stop() == 0
    bad = subprocess.run([GUICHETD, 'serve', '--db', srv.db, '--batch-time', '25:00'],
                         capture_output=True, text=True, timeout=30, env=srv.env)
    assert bad.returncode == 2


def test_runs_started_together_wait_for_each_other(srv):
    """Two or three `guichetd batch run` at once (the daily one and one by hand, say): each
    ends well, each batch is closed and written once, and every bank file is whole. They
    used to share one temporary file name, opened with truncation, and broke each other's
    file (14 rounds out of 14)."""
    spool = os.path.join(srv.tmp, 'spool')
    for rnd in range(14):
        pay_some(srv, 4)
        procs = [subprocess.Popen([GUICHETD, 'batch', 'run', '--db', srv.db, '--date',
                                   srv.paris_day(2), '--spool', spool, *srv.clock()],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=srv.env)
                 for _ in range(2 + rnd % 2)]
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, (rnd, err)
    assert q(srv, 'SELECT count(*) FROM txn WHERE acq = 2')[0][0] == 0
    assert q(srv, 'SELECT count(*) FROM batch WHERE file_written = 0')[0][0] == 0
    files = glob.glob(os.path.join(spool, 'bank', '*'))
    assert sorted(os.path.basename(f) for f in files) == sorted(
        r[0] for r in q(srv, 'SELECT file_name FROM batch'))  # no temporary file left
    for f in files:
        lines = open(f).read().splitlines()
        assert lines[0].startswith('H;') and lines[-1].startswith('Z;'), f
        bid = q(srv, 'SELECT id, debit_count + credit_count FROM batch WHERE file_name = ?',
                (os.path.basename(f),))[0]
        assert len(lines) - 2 == bid[1], f
    assert q(srv, "SELECT count(*), count(DISTINCT txn_id) FROM txn_history "
                  "WHERE action = 'bank_sending'")[0] == (56, 56)
