"""One batch number everywhere (issue 17): the number the batch journal shows (per contract,
1, 2, … as the télécollecte numbers them) is the one a transaction's details, the
transactions' journal and export, the JRB show; the search's batch filter takes it, batch_id
the batch itself; GET /bo/api/batches/{id} is the header of a batch's transactions. And the
demo comes with its batches, their reconciliation, its contracts' last authorization, and
histories in time order."""
import csv
import io
from datetime import datetime

import pytest

from conftest import PARIS, Server, q
from test_batches import batch_run, import_returns, pay_some
from test_signin import NEW_PASSWORD, ready_user, sign_in

WIDE = 'from=2020-01-01&to=2099-12-31'
RATES = {'CB': 40, 'VISA': 90, 'MASTERCARD': 90}  # the simulator's commission, basis points


@pytest.fixture
def srv(tmp_path):
    s = Server(str(tmp_path), transactions=0).start()
    yield s
    assert s.stop() == 0


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp('demo')), transactions=3000).start()
    ready_user(s, 'demo.consultation')
    yield s
    assert s.stop() == 0


def signed_in(srv):
    """A session of the demo's consultation user, new for each test (a slow test must not
    leave the next one an idle session)."""
    s, r = sign_in(srv, 'demo.consultation', password=NEW_PASSWORD, takeover=True)
    assert r.status_code == 200 and r.json()['next'] is None, r.text
    return s


def get(srv, s, path):
    r = s.get(srv.base + path)
    assert r.status_code == 200, (path, r.text)
    return r.json()


def all_items(srv, s, path):
    items, cursor = [], None
    while True:
        page = get(srv, s, path + (f'&cursor={cursor}' if cursor else ''))
        items += page['items']
        cursor = page['next']
        if cursor is None:
            return items


def two_batches_numbered_alike(srv):
    """Two days of télécollecte over three contracts: batches 1 and 2 of each contract, so
    that a number alone names several batches."""
    pay_some(srv, 6)
    batch_run(srv, srv.paris_day())
    srv.stop()
    srv.set_clock(datetime.fromtimestamp(srv.now() + 86400).astimezone(PARIS).isoformat())
    srv.start()
    pay_some(srv, 6)
    batch_run(srv, srv.paris_day())
    import_returns(srv)


def test_the_number_shown_and_searched_is_the_journals(srv):
    two_batches_numbered_alike(srv)
    s, _ = ready_user(srv, 'demo.consultation')
    batches = all_items(srv, s, f'/bo/api/batches?{WIDE}&limit=50')
    assert len({b['contract'] for b in batches}) >= 2
    assert {b['number'] for b in batches} == {1, 2}
    # The internal ids are not the numbers: a search by number must not find by id.
    assert any(b['id'] != b['number'] for b in batches)
    for b in batches:
        # The batch itself (the journal's link): by id, and by number and contract.
        by_id = all_items(srv, s, f"/bo/api/transactions?{WIDE}&batch_id={b['id']}")
        by_number = all_items(srv, s, f"/bo/api/transactions?{WIDE}&batch={b['number']}"
                                      f"&contract={b['contract']}")
        assert [t['id'] for t in by_id] == [t['id'] for t in by_number]
        assert len(by_id) == b['transaction_count']
        assert sum(t['amount_current'] for t in by_id) == b['total']
        for t in by_id:
            assert t['batch_id'] == b['id'] and t['batch_number'] == b['number']
            assert t['batch'] == b['number']  # the journal's column
            d = get(srv, s, f"/bo/api/transactions/{t['id']}")
            assert d['batch_id'] == b['id'] and d['batch_number'] == d['batch'] == b['number']
            if b['payment_method'] in RATES:  # the JRB names the same number
                assert d['reconciliation']['batch_number'] == b['number']
        # Its header: the journal's row.
        assert get(srv, s, f"/bo/api/batches/{b['id']}") == b
    # A number alone: every contract's batch of that number.
    for n in (1, 2):
        got = all_items(srv, s, f'/bo/api/transactions?{WIDE}&batch={n}')
        assert sorted(int(t['id']) for t in got) == sorted(
            r[0] for r in q(srv, 'SELECT t.id FROM txn t JOIN batch b ON b.id = t.batch_id '
                                 'WHERE b.number = ?', (n,)))
        assert {t['batch_number'] for t in got} == {n}
    # The export's batch column is the number too, in the user's columns.
    admin, csrf = ready_user(srv, 'demo.admin')
    r = admin.patch(srv.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': csrf},
                    json={'columns': {'transactions': ['id', 'batch']}})
    assert r.status_code == 200, r.text
    r = admin.get(srv.base + f'/bo/api/transactions/export?format=csv&{WIDE}&batch=2')
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode('utf-8-sig'))))
    assert len(rows) > 1 and {row[1] for row in rows[1:]} == {'2'}, rows
    # The JRB journal names the batch by its number as well.
    jrb = all_items(srv, s, f'/bo/api/reconciliation?{WIDE}&limit=100')
    numbers = {b['id']: b['number'] for b in batches}
    assert jrb and all(i['batch_number'] == numbers[i['batch_id']] for i in jrb)


def test_bad_batch_filters_and_unknown_batches(srv):
    pay_some(srv, 3)
    batch_run(srv, srv.paris_day())
    s, _ = ready_user(srv, 'demo.consultation')
    for bad in ('batch=x', 'batch=0', 'batch=-1', 'batch_id=x', 'batch_id=0'):
        r = s.get(srv.base + f'/bo/api/transactions?{WIDE}&{bad}')
        assert r.status_code == 400, (bad, r.text)
        assert r.json()['error'] and r.json()['message']
    # Not a filter of the batch journal.
    assert s.get(srv.base + f'/bo/api/batches?{WIDE}&batch_id=1').status_code == 400
    last = q(srv, 'SELECT max(id) FROM batch')[0][0]
    for bad in (last + 1, 999999999):
        r = s.get(srv.base + f'/bo/api/batches/{bad}')
        assert r.status_code == 404, r.text
        assert r.json()['error'] and r.json()['message']
    assert s.get(srv.base + '/bo/api/batches/x').status_code in (400, 404)
    # Signed out: nothing.
    import requests
    assert requests.get(srv.base + f'/bo/api/batches/{last}').status_code == 401


def test_a_shop_user_sees_only_its_shops_batches(srv):
    from test_users import ready_user_with, spooled_password
    pay_some(srv, 6)
    batch_run(srv, srv.paris_day())
    shop = q(srv, "SELECT id FROM shop WHERE site = '1999888' AND rang = '001' "
                  "AND brand_id = 1")[0][0]
    mine = q(srv, 'SELECT id FROM batch WHERE shop_id = ?', (shop,))
    others = q(srv, 'SELECT id FROM batch WHERE shop_id <> ?', (shop,))
    assert mine and others
    admin, csrf = ready_user(srv, 'demo.admin')
    r = admin.post(srv.base + '/bo/api/users', headers={'X-CSRF-Token': csrf},
                   json={'login': 'shop.batches', 'name': 'Boutique', 'profile': 'consultation',
                         'email': 'shop.batches@example.com', 'node_id': shop})
    assert r.status_code == 201, r.text
    s, _ = ready_user_with(srv, 'shop.batches',
                           spooled_password(srv, 'shop.batches@example.com'))
    for (bid,) in mine:
        assert s.get(srv.base + f'/bo/api/batches/{bid}').status_code == 200
        assert all_items(srv, s, f'/bo/api/transactions?{WIDE}&batch_id={bid}')
    for (bid,) in others:
        assert s.get(srv.base + f'/bo/api/batches/{bid}').status_code == 404
        assert all_items(srv, s, f'/bo/api/transactions?{WIDE}&batch_id={bid}') == []


def test_live_payments_set_the_contracts_last_authorization(srv):
    s, _ = ready_user(srv, 'demo.consultation')
    ids = [c['id'] for c in get(srv, s, '/bo/api/contracts')['items']]
    before = {cid: get(srv, s, f'/bo/api/contracts/{cid}')['last_auth_at'] for cid in ids}
    pay_some(srv, 4)
    paid = {r[0] for r in q(srv, 'SELECT DISTINCT contract_id FROM txn WHERE status = 0')}
    assert paid
    for cid in ids:
        after = get(srv, s, f'/bo/api/contracts/{cid}')['last_auth_at']
        if cid in paid:
            assert after is not None and after != before[cid], cid
        else:
            assert after == before[cid], cid


# --- the demo ------------------------------------------------------------------------------


def test_the_demos_sent_transactions_are_in_batches_as_the_telecollecte_makes_them(demo):
    sent_without = q(demo, 'SELECT count(*) FROM txn WHERE acq = 3 AND type IN (0, 1) '
                           'AND batch_id IS NULL')[0][0]
    assert sent_without == 0
    assert q(demo, 'SELECT count(*) FROM txn WHERE batch_id IS NOT NULL AND acq <> 3')[0][0] == 0
    batches = q(demo, 'SELECT id, contract_id, number, bank_day, debit_count, debit_amount, '
                      'credit_count, credit_amount, file_written FROM batch')
    assert len(batches) > 100
    # What a batch sent: a debit's amount before its later refunds; all of its contract's.
    sums = {r[0]: r[1:] for r in q(
        demo, 'SELECT batch_id, count(CASE WHEN type = 0 THEN 1 END), coalesce(sum(CASE WHEN '
              'type = 0 THEN amount_current + amount_refunded END), 0), count(CASE WHEN type = 1 '
              'THEN 1 END), coalesce(sum(CASE WHEN type = 1 THEN amount_current END), 0), '
              'min(contract_id), max(contract_id) FROM txn WHERE batch_id IS NOT NULL '
              'GROUP BY batch_id')}
    assert len(sums) == len(batches)
    for bid, contract, number, day, dc, da, cc, ca, written in batches:
        assert number >= 1 and written == 1
        assert sums[bid] == (dc, da, cc, ca, contract, contract), bid
    # Numbered per contract 1, 2, … in bank-day order, one a contract and day.
    by_contract = {}
    for bid, contract, number, day, *_ in batches:
        by_contract.setdefault(contract, []).append((day, number))
    for rows in by_contract.values():
        rows.sort()
        assert [n for _, n in rows] == list(range(1, len(rows) + 1))
        assert len({d for d, _ in rows}) == len(rows)
    # Sent by the télécollecte after their creation: the history says so, in time order.
    late = q(demo, "SELECT count(*) FROM txn t JOIN txn_history h ON h.brand_id = t.brand_id "
                   "AND h.txn_id = t.id AND h.action = 'bank_sending' WHERE h.at < t.created_at")
    assert late[0][0] == 0
    # A live télécollecte goes on from the demo's numbers.
    last = dict(q(demo, 'SELECT contract_id, max(number) FROM batch GROUP BY contract_id'))
    assert last


def test_the_demos_batches_in_the_journal_details_and_jrb(demo):
    s = signed_in(demo)
    batches = all_items(demo, s, f'/bo/api/batches?{WIDE}&limit=200')
    assert len(batches) > 100
    for b in batches[:: max(1, len(batches) // 12)]:
        txns = all_items(demo, s, f"/bo/api/transactions?{WIDE}&batch={b['number']}"
                                  f"&contract={b['contract']}&limit=200")
        assert len(txns) == b['transaction_count']
        assert {t['batch_id'] for t in txns} == {b['id']}
        assert get(demo, s, f"/bo/api/batches/{b['id']}") == b
        t = txns[0]
        d = get(demo, s, f"/bo/api/transactions/{t['id']}")
        assert d['batch_number'] == b['number']
        rec = d['reconciliation']
        if b['payment_method'] in RATES and b['bank_date'] < demo.paris_day():
            # Reconciled as the simulator's return file says, the day after the bank date.
            assert rec['reconciled'] == 'yes' and rec['batch_number'] == b['number']
            assert rec['net_amount'] + rec['commission'] == d['amount_current'] + d['amount_refunded'] \
                if d['type'] == 'debit' else rec['net_amount'] == d['amount_current']
            if d['type'] == 'debit':
                sent = d['amount_current'] + d['amount_refunded']
                assert rec['commission'] == sent * RATES[b['payment_method']] // 10000
        elif b['payment_method'] not in RATES:
            assert rec is None
    # The JRB journal is filled from the start.
    jrb = get(demo, s, f'/bo/api/reconciliation?{WIDE}&limit=50')['items']
    assert jrb and all(i['reconciled'] == 'yes' for i in jrb if i['reconciled'])


def test_the_demos_histories_are_in_time_order(demo):
    s = signed_in(demo)
    ids = [r[0] for r in q(demo, "SELECT DISTINCT txn_id FROM txn_history WHERE action IN "
                                 "('refund', 'capture', 'cancellation') LIMIT 15")]
    ids += [r[0] for r in q(demo, 'SELECT id FROM txn WHERE batch_id IS NOT NULL LIMIT 15')]
    for tid in ids:
        hist = get(demo, s, f'/bo/api/transactions/{tid}')['history']
        ats = [h['at'] for h in hist]
        assert ats == sorted(ats), (tid, hist)
        actions = [h['action'] for h in hist]
        if 'bank_sending' in actions:
            assert actions.index('bank_sending') > 0


def test_the_demos_contracts_have_their_last_authorization(demo):
    s = signed_in(demo)
    contracts = [get(demo, s, f"/bo/api/contracts/{c['id']}")
                 for c in get(demo, s, '/bo/api/contracts')['items']]
    expect = dict(q(demo, 'SELECT contract_id, max(accepted_at) FROM txn WHERE status = 0 '
                          'AND brand_id = 1 GROUP BY contract_id'))
    assert expect
    for c in contracts:
        if c['id'] in expect:
            assert c['last_auth_at'] is not None, c
            got = datetime.fromisoformat(c['last_auth_at'].replace('Z', '+00:00'))
            assert abs(got.timestamp() * 1e6 - expect[c['id']]) < 1e6, c


def test_an_unsent_demo_has_no_batch(tmp_path):
    import json
    import subprocess
    from conftest import GUICHETD
    s = Server(str(tmp_path), transactions=0)
    out = subprocess.run([GUICHETD, 'demo', '--db', s.db + '.unsent', '--transactions', '500',
                          '--unsent', '--json', *s.pin()], capture_output=True, text=True,
                         env=s.env, timeout=120) if not s.db.startswith('postgresql') else None
    if out is None:
        pytest.skip('the unsent demo is checked on SQLite')
    assert out.returncode == 0, out.stderr
    json.loads(out.stdout)
    import sqlite3
    with sqlite3.connect(s.db + '.unsent') as db:
        assert db.execute('SELECT count(*) FROM batch').fetchone()[0] == 0
        assert db.execute('SELECT count(*) FROM txn_reconciliation').fetchone()[0] == 0
        assert db.execute('SELECT count(*) FROM txn WHERE acq = 3').fetchone()[0] == 0
