"""The bank reconciliation journal (Vision manual §8, SPEC §8; docs/RECONCILIATION.md): the
simulator's return file of each CB/VISA/MASTERCARD batch, dated the next day, with its
deliberate mismatches (GUICHET_SIM_MISMATCHES=1) imported by the server's job on that day;
the same file imported twice (the command line while the server runs, the back office's
upload) changing nothing; bad files refused whole with the list of their errors; the 7-day
rule under a moved clock; the JRB journal's filters, pages and export; the queue of
mismatches resolved with a comment (the action log); profiles, CSRF and scope refused."""
import csv
import io
import os
import re
import subprocess
from datetime import datetime, timezone

import pytest
import requests

from conftest import GUICHETD, Server, q, wait_for
import reconfile
from test_signin import ready_user

WIDE = 'from=2020-01-01&to=2099-12-31'
JOURNAL = '/bo/api/reconciliation'
QUEUE = '/bo/api/reconciliation/mismatches'
FILES = '/bo/api/reconciliation/files'
CB = '4970100000000006'
VISA = '4111111111111111'
DAY = 86400


def batch_run(srv, date):
    out = subprocess.run([GUICHETD, 'batch', 'run', '--db', srv.db, '--date', date, '--spool',
                          os.path.join(srv.tmp, 'spool'), *srv.clock()], capture_output=True,
                         text=True, timeout=120, env=srv.env)
    assert out.returncode == 0, out.stderr


def pay(srv, card, n, shop=0, base=3000):
    ids = []
    for i in range(n):
        r = srv.pay(amount=base + i, card=card, shop=shop)
        assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text
        ids.append(int(r.json()['id']))
    return ids


def rounds(srv):
    """The reconciliation job's rounds so far (GET /metrics)."""
    text = requests.get(srv.base + '/metrics', timeout=10).text
    m = re.search(r'^guichet_job_rounds_total\{job="reconciliation"\} (\d+)', text, re.M)
    return int(m.group(1)) if m else 0


def restart_at(srv, instant):
    assert srv.stop() == 0
    srv.set_clock(datetime.fromtimestamp(instant, timezone.utc).isoformat())
    srv.start()
    assert wait_for(lambda: rounds(srv) >= 1), 'the reconciliation job ran no round'


def recon_tables(srv):
    return [q(srv, f'SELECT * FROM {t} ORDER BY 1, 2') for t in
            ('recon_file', 'recon_mismatch', 'txn_reconciliation')]


def journal(u, srv, query=''):
    s, _ = u
    items, cursor = [], None
    while True:
        r = s.get(srv.base + f'{JOURNAL}?{WIDE}&limit=2{query}' +
                  (f'&cursor={cursor}' if cursor else ''))
        assert r.status_code == 200, r.text
        items += r.json()['items']
        cursor = r.json()['next']
        if cursor is None:
            return items


@pytest.fixture(scope='module')
def rj(tmp_path_factory):
    """A server whose simulator makes its deliberate mismatches: five debits of the first shop
    (one batch) and one of the third sent today; their return files imported by the job the
    next day."""
    srv = Server(str(tmp_path_factory.mktemp('recon')), transactions=0,
                 env={'GUICHET_SIM_MISMATCHES': '1'})
    srv.other = srv.add_brand('OTHERBRAND', transactions=0, seed=3)
    srv.start()
    srv.cb = pay(srv, CB, 4) + pay(srv, VISA, 1, base=3004)
    srv.third = pay(srv, CB, 1, shop=2, base=7000)
    srv.day0 = srv.paris_day()
    batch_run(srv, srv.day0)
    files = reconfile.return_files(srv)
    assert len(files) == 2, files  # a batch of each shop's contract
    # Dated the next day, they wait for it: a round of the job later, none is imported.
    first = rounds(srv)
    assert wait_for(lambda: rounds(srv) > first + 1, timeout=20)
    assert reconfile.return_files(srv) == files
    assert q(srv, 'SELECT count(*) FROM txn_reconciliation') == [(0,)]
    srv.sent_at = q(srv, 'SELECT max(created_at) FROM batch')[0][0] / 1e6
    srv.copies = {os.path.basename(f): open(f, 'rb').read() for f in files}
    restart_at(srv, srv.now() + DAY)
    assert wait_for(lambda: reconfile.return_files(srv) == [], timeout=20)
    srv.users = {p: ready_user(srv, f'demo.{p}') for p in ('consultation', 'action', 'admin')}
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    assert 'level=error' not in log, log


def test_the_return_files_and_their_format(rj):
    imported = os.path.join(reconfile.returns_dir(rj), 'imported')
    assert sorted(os.listdir(imported)) == sorted(rj.copies)
    cb = [n for n in rj.copies if len(rj.copies[n].splitlines()) > 4]
    assert len(cb) == 1
    header, lines = reconfile.read(os.path.join(imported, cb[0]))
    assert header[:2] == ['H', 'GJRB1'] and header[3:5] == cb[0].split('_')[2:4]
    assert header[7] == rj.day0 and header[8] == rj.paris_day() and header[9] == 'EUR'
    # The deliberate three (docs/RECONCILIATION.md): the first debit a cent more, the last
    # left out, a line for no transaction of ours.
    ids = [int(l[1]) for l in lines]
    assert ids[:-1] == rj.cb[:4] and ids[-1] > 900000000000
    assert int(lines[0][3]) == 3000 + 1
    for l in lines:  # VISA: 0.90 % withheld, truncated; net = amount - commission
        assert int(l[4]) == int(l[3]) * 90 // 10000 and int(l[5]) == int(l[3]) - int(l[4])
    # The other, of fewer than three debits, has no mismatch.
    for name in set(rj.copies) - set(cb):
        _, lines = reconfile.read(os.path.join(imported, name))
        assert [int(l[1]) for l in lines] == rj.third


def test_every_kind_of_mismatch(rj):
    items = {int(i['id']): i for i in journal(rj.users['consultation'], rj)}
    assert set(items) == set(rj.cb + rj.third)
    matched = rj.cb[1:4] + rj.third
    for tid in matched:
        i = items[tid]
        assert i['reconciled'] == 'yes', i
        assert i['method'] == 'VISA'  # the CB card too: the API's payments choose VISA
        assert i['commission'] == i['amount'] * 90 // 10000
        assert i['net_amount'] == i['amount'] - i['commission']
        assert i['commission_currency'] == 'EUR' and i['jrb_number'] == i['batch_number']
        assert i['reconciled_at'] and i['type'] == 'debit'
    assert items[rj.cb[0]]['reconciled'] == 'error'          # its amount differs
    assert items[rj.cb[4]]['reconciled'] is None             # missing: not yet
    assert items[rj.cb[4]]['net_amount'] is None
    # A transaction's details show the same (Vision manual §4.1.5).
    s, _ = rj.users['consultation']
    rec = s.get(rj.base + f'/bo/api/transactions/{rj.cb[0]}').json()['reconciliation']
    assert rec['reconciled'] == 'error' and rec['batch_number'] == items[rj.cb[0]]['batch_number']
    # The queue: one of each kind, open.
    r = s.get(rj.base + QUEUE)
    assert r.status_code == 200, r.text
    queue = {m['kind']: m for m in r.json()['items']}
    assert sorted(queue) == ['amount', 'missing', 'unknown'] and r.json()['next'] is None
    assert queue['amount']['transaction_id'] == str(rj.cb[0])
    assert (queue['amount']['expected'], queue['amount']['received']) == (3000, 3001)
    assert queue['missing']['transaction_id'] == str(rj.cb[4])
    assert (queue['missing']['expected'], queue['missing']['received']) == (3004, 0)
    assert queue['unknown']['transaction_id'] is None
    assert int(queue['unknown']['reference']) > 900000000000
    assert all(not m['resolved'] and m['comment'] is None for m in queue.values())
    for kind in queue:
        got = s.get(rj.base + f'{QUEUE}?kind={kind}').json()['items']
        assert [m['kind'] for m in got] == [kind]


def test_journal_filters_pages_and_export(rj):
    u = rj.users['consultation']
    everything = journal(u, rj)
    assert len(everything) == 6
    assert [i['created_at'] for i in everything] == sorted(
        (i['created_at'] for i in everything), reverse=True)
    one = next(i for i in everything if int(i['id']) == rj.cb[1])
    for query, keep in (
            ('&status=yes', lambda i: i['reconciled'] == 'yes'),
            ('&status=error', lambda i: i['reconciled'] == 'error'),
            ('&status=none', lambda i: i['reconciled'] is None),
            (f"&id={one['id']}", lambda i: i['id'] == one['id']),
            (f"&batch_id={one['batch_id']}", lambda i: i['batch_id'] == one['batch_id']),
            (f"&batch={one['batch_number']}",
             lambda i: i['batch_number'] == one['batch_number']),
            (f"&jrb={one['jrb_number']}", lambda i: i['jrb_number'] == one['jrb_number']),
            (f"&contract={one['contract']}", lambda i: i['contract'] == one['contract']),
            (f"&rang={one['rang']}", lambda i: i['rang'] == one['rang']),
            ('&amount=ge:5000', lambda i: i['amount'] >= 5000),
            (f"&net=eq:{one['net_amount']}", lambda i: i['net_amount'] == one['net_amount']),
            ('&type=debit', lambda i: True), ('&type=credit', lambda i: False),
            (f"&order_ref={one['order_ref'][:3]}%25",
             lambda i: i['order_ref'].lower().startswith(one['order_ref'][:3].lower())),
            (f'&batch_from={rj.day0}&batch_to={rj.day0}', lambda i: True),
            (f'&batch_from={rj.paris_day()}', lambda i: False)):
        got = journal(u, rj, query)
        assert got == [i for i in everything if keep(i)], query
    s, _ = u
    r = s.get(rj.base + f'{JOURNAL}?from={rj.paris_day()}')  # paid the day before
    assert r.status_code == 200 and r.json()['items'] == [], r.text
    r = s.get(rj.base + f'{JOURNAL}/export?format=csv&{WIDE}')
    assert r.status_code == 200 and r.headers['Content-Type'].startswith('text/csv'), r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode('utf-8'), newline='')))
    assert [row['id'] for row in rows] == [i['id'] for i in everything]
    assert list(rows[0]) == ['id', 'created_at', 'order_ref', 'amount', 'currency', 'type',
                             'batch_id', 'batch_number', 'jrb_number', 'batch_at', 'reconciled',
                             'reconciled_at', 'net_amount', 'commission',
                             'commission_currency', 'contract', 'rang']
    row = next(x for x in rows if x['id'] == one['id'])
    assert (row['reconciled'], row['net_amount']) == ('yes', str(one['net_amount']))
    r = s.get(rj.base + f'{JOURNAL}/export?format=txt&{WIDE}&status=error')
    assert r.status_code == 200 and len(r.text.splitlines()) == 2
    for bad, field in (('from=2026-13-01', 'from'), ('status=maybe', 'status'),
                       ('amount=gt:1', 'amount'), ('type=refund', 'type'), ('rang=1', 'rang'),
                       ('limit=501', 'limit'), ('cursor=x', 'cursor'), ('color=red', 'query'),
                       ('from=2026-11-21&to=2026-11-20', 'to'), ('jrb=-1', 'jrb')):
        r = s.get(rj.base + f'{JOURNAL}?{bad}')
        assert r.status_code == 400 and r.json()['field'] == field, (bad, r.text)
    r = s.get(rj.base + f'{JOURNAL}/export?format=pdf')
    assert r.status_code == 400 and r.json()['field'] == 'format'


def test_the_same_file_twice_changes_nothing(rj):
    imported = os.path.join(reconfile.returns_dir(rj), 'imported')
    before = recon_tables(rj)
    for name in sorted(rj.copies):  # the command line, while the server runs
        out = reconfile.cli_import(rj, os.path.join(imported, name))
        assert 'imported already' in out.stdout and 'nothing changed' in out.stdout, out.stdout
    s, csrf = rj.users['action']
    name = sorted(rj.copies)[0]
    r = s.post(rj.base + f'{FILES}?name={name}', data=rj.copies[name],
               headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200 and r.json()['already_imported'] is True, r.text
    assert r.json()['source'] == 'spool' and r.json()['name'] == name
    assert recon_tables(rj) == before


def test_an_upload_imports_once_with_its_action_log_line(rj):
    """A file of the bank's for the third shop's batch, the same line as the simulator's but a
    cent less: the back office's upload imports it (a second answer for the transaction), the
    second upload changes nothing."""
    imported = os.path.join(reconfile.returns_dir(rj), 'imported')
    name = next(n for n in rj.copies if reconfile.read(os.path.join(imported, n))[1][0][1] ==
                str(rj.third[0]))
    header, lines = reconfile.read(os.path.join(imported, name))
    fixed = reconfile.text(header, [reconfile.line(rj.third[0], 6999, auth=lines[0][7])])
    s, csrf = rj.users['admin']
    r = s.post(rj.base + f'{FILES}?name=banque.txt', data=fixed, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body['already_imported'] is False and body['source'] == 'upload'
    assert (body['lines'], body['matched'], body['amount_differs']) == (1, 0, 1)
    assert q(rj, "SELECT count(*) FROM action_log WHERE action = 'reconciliation_imported' "
                 "AND details LIKE '%banque.txt%'") == [(1,)]
    before = recon_tables(rj)
    r = s.post(rj.base + f'{FILES}?name=again.txt', data=fixed, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200 and r.json()['already_imported'] is True
    assert r.json()['name'] == 'banque.txt' and r.json()['id'] == body['id']
    assert recon_tables(rj) == before
    item = journal(rj.users['admin'], rj, f'&id={rj.third[0]}')[0]
    assert item['reconciled'] == 'error'
    mid = q(rj, 'SELECT id FROM recon_mismatch WHERE txn_id = ? AND resolved_at = 0',
            (rj.third[0],))[0][0]
    r = s.post(rj.base + f'{QUEUE}/{mid}/resolve', json={'comment': 'écart d’un centime admis'},
               headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200 and r.json()['resolved'] is True, r.text


def test_bad_files_are_refused_whole(rj):
    s, csrf = rj.users['admin']
    imported = os.path.join(reconfile.returns_dir(rj), 'imported')
    header, lines = reconfile.read(os.path.join(imported, sorted(rj.copies)[0]))
    good = reconfile.text(header, lines)
    bad = good.splitlines()
    bad[1] = bad[1].replace(';DEBIT;', ';DEBT;')
    bad.insert(2, 'L;12;DEBIT;abc;0;0;EUR;')
    bad_text = '\n'.join(bad) + '\n'
    path = os.path.join(rj.tmp, 'bad.txt')
    with open(path, 'w') as f:
        f.write(bad_text)
    before = recon_tables(rj)
    out = reconfile.cli_import(rj, path, check=False)
    assert out.returncode == 1 and 'nothing imported' in out.stderr, out.stderr
    assert 'line 2: the type' in out.stderr and 'line 3: the amount' in out.stderr, out.stderr
    r = s.post(rj.base + FILES, data=bad_text, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 400 and r.json()['error'] == 'invalid_file', r.text
    assert [e['line'] for e in r.json()['errors']] == [2, 3]
    # Of a batch that is not ours, of another brand: unknown.
    other = header[:]
    other[2] = '2'
    for body in (reconfile.text(other, lines), reconfile.text(
            header[:5] + ['999'] + header[6:], lines)):
        r = s.post(rj.base + FILES, data=body, headers={'X-CSRF-Token': csrf})
        assert r.status_code == 404, r.text
    r = s.post(rj.base + FILES, data='', headers={'X-CSRF-Token': csrf})
    assert r.status_code == 400 and r.json()['field'] == 'file'
    r = s.post(rj.base + f'{FILES}?name=a/b', data=good, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 400 and r.json()['field'] == 'name'
    r = s.post(rj.base + FILES, data=good + 'x' * 70000, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 413
    out = reconfile.cli_import(rj, os.path.join(rj.tmp, 'nowhere.txt'), check=False)
    assert out.returncode == 1 and 'cannot read' in out.stderr
    for args in (['reconcile'], ['reconcile', 'import'], ['reconcile', 'export', path],
                 ['reconcile', 'import', path, '--bogus']):
        out = subprocess.run([GUICHETD, *args], capture_output=True, text=True, timeout=30,
                             env=rj.env)
        assert out.returncode == 2, args
    assert recon_tables(rj) == before


def test_resolving_a_mismatch(rj):
    s, csrf = rj.users['action']
    mid = q(rj, "SELECT id FROM recon_mismatch WHERE kind = 'unknown' AND brand_id = 1")[0][0]
    path = f'{QUEUE}/{mid}/resolve'
    for body, field in (({}, 'comment'), ({'comment': ''}, 'comment'),
                        ({'comment': 'x' * 501}, 'comment'), ({'comment': 'ok', 'x': 1}, 'x')):
        r = s.post(rj.base + path, json=body, headers={'X-CSRF-Token': csrf})
        assert r.status_code == 400 and r.json()['field'] == field, (body, r.text)
    r = s.post(rj.base + path, data='{', headers={'X-CSRF-Token': csrf,
                                                   'Content-Type': 'application/json'})
    assert r.status_code == 400 and r.json()['error'] == 'bad_json'
    r = s.post(rj.base + path, json={'comment': 'ok'})  # no CSRF token
    assert r.status_code == 403
    c, ccsrf = rj.users['consultation']  # a profile that may only look
    r = c.post(rj.base + path, json={'comment': 'ok'}, headers={'X-CSRF-Token': ccsrf})
    assert r.status_code == 403
    r = c.post(rj.base + FILES, data='H', headers={'X-CSRF-Token': ccsrf})
    assert r.status_code == 403
    r = s.post(rj.base + f'{QUEUE}/{mid + 100000}/resolve', json={'comment': 'ok'},
               headers={'X-CSRF-Token': csrf})
    assert r.status_code == 404
    assert q(rj, 'SELECT resolved_at FROM recon_mismatch WHERE id = ?', (mid,)) == [(0,)]
    r = s.post(rj.base + path, json={'comment': 'ligne inconnue : frais de la banque'},
               headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200, r.text
    m = r.json()
    assert m['resolved'] and m['resolved_by'] == 'demo.action'
    assert m['comment'] == 'ligne inconnue : frais de la banque' and m['resolved_at']
    r = s.post(rj.base + path, json={'comment': 'again'}, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 409 and r.json()['error'] == 'already_resolved'
    lines = q(rj, "SELECT details FROM action_log WHERE action = 'reconciliation_resolved' "
                  "AND user_login = 'demo.action'")
    assert len(lines) == 1 and 'frais de la banque' in lines[0][0]
    open_ = [x['id'] for x in s.get(rj.base + QUEUE).json()['items']]
    done = [x['id'] for x in s.get(rj.base + f'{QUEUE}?status=resolved').json()['items']]
    assert mid in done and mid not in open_
    for bad, field in (('status=closed', 'status'), ('kind=matched', 'kind'),
                       ('limit=0', 'limit'), ('x=1', 'query')):
        r = s.get(rj.base + f'{QUEUE}?{bad}')
        assert r.status_code == 400 and r.json()['field'] == field, bad


def test_another_brand_and_another_shop_see_nothing(rj):
    from test_users import ready_user_with, spooled_password
    # A user of the second shop only: the first shop's transactions and mismatches are out of
    # reach (404), the third's neither.
    admin, acsrf = rj.users['admin']
    shop1 = q(rj, "SELECT s.id FROM shop s WHERE s.brand_id = 1 AND s.rang = '002'")[0][0]
    r = admin.post(rj.base + '/bo/api/users', headers={'X-CSRF-Token': acsrf},
                   json={'login': 'jrb.shop', 'name': 'Jeanne Boutique',
                         'email': 'jrb.shop@example.com', 'profile': 'action', 'node_id': shop1})
    assert r.status_code == 201, r.text
    u = ready_user_with(rj, 'jrb.shop', spooled_password(rj, 'jrb.shop@example.com'))
    s, csrf = u
    assert s.get(rj.base + f'{JOURNAL}?{WIDE}').json()['items'] == []
    assert s.get(rj.base + f'{QUEUE}?status=all').json()['items'] == []
    mid = q(rj, "SELECT id FROM recon_mismatch WHERE kind = 'missing'")[0][0]
    r = s.post(rj.base + f'{QUEUE}/{mid}/resolve', json={'comment': 'x'},
               headers={'X-CSRF-Token': csrf})
    assert r.status_code == 404
    node0 = q(rj, "SELECT id FROM shop WHERE brand_id = 1 AND rang = '001' AND site = '1999888'")
    r = s.get(rj.base + f'{JOURNAL}?node={node0[0][0]}')
    assert r.status_code == 404
    r = s.post(rj.base + FILES, data=list(rj.copies.values())[0], headers={'X-CSRF-Token': csrf})
    assert r.status_code in (200, 404)  # imported already, or out of the user's scope
    if r.status_code == 200:
        assert r.json()['already_imported'] is True
    # The other brand's nodes: 404.
    foreign = q(rj, 'SELECT id FROM node WHERE brand_id = 2')
    for (nid,) in foreign:
        for path in (JOURNAL, f'{JOURNAL}/export', QUEUE):
            r = admin.get(rj.base + f'{path}?node={nid}')
            assert r.status_code == 404, (path, r.text)


def test_the_seven_day_rule(tmp_path):
    """A CB debit sent and never reconciled: not yet ERROR a minute before 7 days have
    passed, ERROR just after; a transaction reconciled meanwhile stays as it was."""
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        ids = pay(srv, CB, 2)
        batch_run(srv, srv.paris_day())
        # One of the two reconciled by a file without the other's line.
        path = reconfile.return_files(srv)[0]
        header, lines = reconfile.read(path)
        os.remove(path)  # the bank never answers: the job finds nothing to import
        keep = [l for l in lines if int(l[1]) == ids[0]]
        reconfile.cli_import(srv, reconfile.write(os.path.join(srv.tmp, 'one.txt'), header, keep))
        sent = q(srv, 'SELECT created_at FROM batch')[0][0] / 1e6

        def status(tid):
            rows = q(srv, 'SELECT status, jrb_number FROM txn_reconciliation WHERE txn_id = ?',
                     (tid,))
            return rows[0] if rows else None

        # A minute before: the server's clock runs on from where it is set, and a restart on a
        # busy machine takes seconds.
        restart_at(srv, sent + 7 * DAY - 60)
        assert status(ids[1]) is None
        restart_at(srv, sent + 7 * DAY + 2)
        assert wait_for(lambda: status(ids[1]) == ('error', 0))
        assert status(ids[0])[0] == 'yes'
        s, _ = ready_user(srv, 'demo.consultation')
        item = s.get(srv.base + f'{JOURNAL}?{WIDE}&id={ids[1]}').json()['items'][0]
        assert item['reconciled'] == 'error' and item['jrb_number'] is None
        rec = s.get(srv.base + f'/bo/api/transactions/{ids[1]}').json()['reconciliation']
        assert rec['reconciled'] == 'error' and rec['batch_number'] is None
        assert rec['net_amount'] is None and rec['commission'] is None
        # A file that comes late still reconciles it.
        lines = [l for l in lines if int(l[1]) == ids[1]]
        reconfile.cli_import(srv, reconfile.write(os.path.join(srv.tmp, 'late.txt'), header,
                                                  lines))
        assert status(ids[1])[0] == 'yes'
    finally:
        assert srv.stop() == 0
