"""The back office's transactions through HTTP (SPEC §5, §6, §16): search with filters and
keyset pages, details with history, cash operations with their refusals, scope."""
import threading
import time
import uuid

import pytest
import requests

from conftest import PG, Server, connect
from test_signin import ready_user

WIDE = 'from=2020-01-01&to=2099-12-31'


@pytest.fixture(scope='module')
def tx(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('tx')), transactions=400)
    srv.add_brand('OTHERBRAND', transactions=50)
    srv.start()
    srv.users = {p: ready_user(srv, f'demo.{p}') for p in ('consultation', 'action')}
    yield srv
    assert srv.stop() == 0


def get(tx, path, profile='consultation'):
    s, csrf = tx.users[profile]
    return s.get(tx.base + path)


def post(tx, path, body=None, profile='action'):
    s, csrf = tx.users[profile]
    return s.post(tx.base + path, json=body, headers={'X-CSRF-Token': csrf})


def all_pages(tx, query):
    items, cursor = [], None
    while True:
        r = get(tx, '/bo/api/transactions?' + query + (f'&cursor={cursor}' if cursor else ''))
        assert r.status_code == 200, r.text
        items += r.json()['items']
        cursor = r.json()['next']
        if cursor is None:
            return items


def db_rows(tx, where='1 = 1', args=()):
    with connect(tx.db) as db:
        return [r[0] for r in db.execute(
            f'SELECT id FROM txn WHERE brand_id = 1 AND {where} ORDER BY created_at DESC, id DESC',
            args)]


def test_period_is_required(tx):
    for q in ('', 'from=2026-01-01', 'to=2026-01-01', 'from=2026-02-01&to=2026-01-01',
              'from=2026-02-30&to=2026-03-01', f'{WIDE}&amount=gt:5', f'{WIDE}&type=sale',
              f'{WIDE}&nothing=1', f'{WIDE}&limit=501', f'{WIDE}&cursor=abc',
              f'{WIDE}&amount=ge:1&amount=le:9', f'{WIDE}&from=2021-01-01'):
        r = get(tx, '/bo/api/transactions?' + q)
        assert r.status_code == 400 and r.json()['error'] == 'invalid_field', q


def test_keyset_pages_cover_everything_once(tx):
    items = all_pages(tx, WIDE + '&limit=37')
    ids = [int(i['id']) for i in items]
    assert ids == db_rows(tx)
    first = items[0]
    assert set(first) >= {'id', 'type', 'status', 'acquirer_status', 'amount_initial',
                          'amount_current', 'currency', 'order_ref', 'card_masked', 'created_at'}


@pytest.mark.parametrize('query,where,args', [
    ('type=refund', 'type = 1', ()),
    ('type=cancellation', 'type = 2', ()),
    ('status=refused', 'status = 1', ()),
    ('acquirer_status=to_send', 'acq = 2', ()),
    ('acquirer_status=awaiting_capture', 'acq = 0', ()),
    ('amount=ge:5000', 'amount_initial >= 5000', ()),
    ('amount=le:1000', 'amount_initial <= 1000', ()),
    ('amount=ne:1000', 'amount_initial <> 1000', ()),
    ('payment_method=AMEX', 'method = 5', ()),
    ('currency=EUR', "currency = 'EUR'", ()),
    ('status=accepted&payment_method=CB&amount=ge:3000', 'status = 0 AND method = 1 AND amount_initial >= 3000', ()),
])
def test_filters_match_the_database(tx, query, where, args):
    assert [int(i['id']) for i in all_pages(tx, f'{WIDE}&{query}&limit=500')] == db_rows(tx, where, args)


@pytest.mark.parametrize('query', ['', 'type=refund', 'status=refused&payment_method=CB',
                                   'amount=ge:5000', 'order_ref=%25A%25', 'currency=USD'])
def test_summary_counts_what_the_search_finds(tx, query):
    """GET /bo/api/transactions/summary: the search's every page counted and summed by
    currency and type (initial and current amounts), whatever the limit or cursor given."""
    query = WIDE + (f'&{query}' if query else '')
    items = all_pages(tx, f'{query}&limit=500')
    want = {}
    for i in items:
        key = (i['currency'], i['type'])
        count, amount, current = want.get(key, (0, 0, 0))
        want[key] = (count + 1, amount + i['amount_initial'], current + i['amount_current'])
    first = get(tx, f'/bo/api/transactions?{query}&limit=3').json()
    for extra in ('', '&limit=3', f"&cursor={first['next']}" if first['next'] else ''):
        r = get(tx, f'/bo/api/transactions/summary?{query}{extra}')
        assert r.status_code == 200, r.text
        got = r.json()
        assert got['count'] == len(items)
        assert {(t['currency'], t['type']): (t['count'], t['amount'], t['amount_current'])
                for t in got['totals']} == want
        order = ['debit', 'refund', 'cancellation']
        assert [(t['currency'], t['type']) for t in got['totals']] == \
            sorted(want, key=lambda k: (k[0], order.index(k[1])))


def test_summary_refuses_what_the_search_refuses(tx):
    for q in ('', 'from=2026-02-01&to=2026-01-01', f'{WIDE}&amount=gt:5', f'{WIDE}&nothing=1',
              f"{WIDE}&order_ref=x'%20OR%201=1--"):
        r = get(tx, '/bo/api/transactions/summary?' + q)
        if 'order_ref' in q:  # a pattern like any other: found nothing
            assert r.status_code == 200 and r.json() == {'count': 0, 'totals': []}, r.text
        else:
            assert r.status_code == 400 and r.json()['error'] == 'invalid_field', q
    # Another brand's shop, or a node out of the user's tree: nothing of theirs counted.
    r = get(tx, f'/bo/api/transactions/summary?{WIDE}&node=999999')
    assert r.status_code == 404, r.text
    assert requests.get(tx.base + f'/bo/api/transactions/summary?{WIDE}').status_code == 401


def test_amount_equal(tx):
    with connect(tx.db) as db:
        amount = db.execute('SELECT amount_initial FROM txn WHERE brand_id = 1 LIMIT 1').fetchone()[0]
    got = all_pages(tx, f'{WIDE}&amount=eq:{amount}')
    assert got and all(i['amount_initial'] == amount for i in got)


def test_dates_are_paris_days_and_times(tx):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    paris = ZoneInfo('Europe/Paris')
    with connect(tx.db) as db:
        created = db.execute('SELECT created_at FROM txn WHERE brand_id = 1 ORDER BY id '
                             'LIMIT 1 OFFSET 7').fetchone()[0]
    local = datetime.fromtimestamp(created / 1e6, paris)
    day = local.strftime('%Y-%m-%d')
    start = datetime.strptime(day, '%Y-%m-%d').replace(tzinfo=paris)
    end = start + timedelta(days=1)
    us = lambda d: int(d.timestamp() * 1e6)
    # One day = the same date twice.
    got = [int(i['id']) for i in all_pages(tx, f'from={day}&to={day}')]
    assert got == db_rows(tx, 'created_at >= ? AND created_at < ?', (us(start), us(end)))
    assert int(db_rows(tx, 'created_at = ?', (created,))[0]) in got
    # Times: to the second, the end second included.
    t0 = local.replace(microsecond=0)
    q = f"from={t0.strftime('%Y-%m-%dT%H:%M:%S')}&to={t0.strftime('%Y-%m-%dT%H:%M:%S')}"
    got = [int(i['id']) for i in all_pages(tx, q)]
    assert got == db_rows(tx, 'created_at >= ? AND created_at < ?', (us(t0), us(t0) + 1000000))


def test_order_ref_wildcards_take_underscore_and_backslash_literally(tx):
    tag = uuid.uuid4().hex[:8].upper()
    refs = [f'{tag}AB_C1', f'{tag}ABXC1', f'{tag}A\\B', f'{tag}AZB', f"{tag}' OR 1=1"]
    for ref in refs:
        assert tx.pay(order_ref=ref).status_code == 201
    def search(pattern):
        from urllib.parse import quote
        return sorted(i['order_ref'] for i in all_pages(tx, f'{WIDE}&order_ref={quote(pattern)}'))
    assert search(f'{tag}AB_C%') == [f'{tag}AB_C1']
    assert search(f'%{tag[2:]}AB%') == sorted([f'{tag}AB_C1', f'{tag}ABXC1'])
    assert search(f'{tag}A\\B') == [f'{tag}A\\B']
    assert search('%C1') >= sorted([f'{tag}AB_C1', f'{tag}ABXC1'])
    assert search(f"{tag}' OR 1=1") == [f"{tag}' OR 1=1"]
    assert search(f'{tag}') == []


@pytest.mark.parametrize('field, value', [
    ('order_ref', '%80%80abc'), ('order_ref', '%C3%A9%80%80%80abcdef'), ('order_ref', 'ab%FF%FEcd'),
    ('order_ref', '%E2%80%AEabc'), ('order_ref', 'abc%0Adef'), ('email', '%FF%FE%40x.fr'),
    ('contract', '%FF%FE'), ('wallet', 'a%00b'),
])
def test_text_filters_that_are_not_text_are_refused(tx, field, value):
    """Fuzzing found it (docs/FUZZING.md): bytes that are not UTF-8 in an order reference
    pattern made a full-text query SQLite refuses, answered 503 and logged as a storage
    error. A filter that is not text (or holds a control or a bidirectional override, which
    no stored value has) is bad input: 400 naming it."""
    r = get(tx, f'/bo/api/transactions?{WIDE}&{field}={value}')
    # A control character is refused as the query string is read, before its parameter.
    named = 'query' if value in ('abc%0Adef', 'a%00b') else field
    assert r.status_code == 400 and r.json()['field'] == named, r.text
    assert 'event=sqlite_error' not in tx.read_log()


@pytest.mark.parametrize('pattern', [
    'CMD-0001%', 'cmd-0001%', 'CMD-00012%', '%0012%', '%12%', '%-00%', '%cmd%1%2%', '%2',
    '%MD-000%-1%', 'C%', '%', 'CMD-000123-%', '%"x%', 'zzz%', '%zzz%',
])
def test_order_ref_patterns_match_the_database(tx, pattern):
    """Every way through the search (a prefix range, the trigram index, the walk in time
    order) gives what the database's own LIKE gives, page after page."""
    from urllib.parse import quote
    got = [int(i['id']) for i in all_pages(tx, f'{WIDE}&order_ref={quote(pattern)}&limit=9')]
    assert got == db_rows(tx, "order_ref LIKE ? ESCAPE '\\'", (pattern,))


def test_selective_filters_page_like_the_database(tx):
    with connect(tx.db) as db:
        amount, email, batch = db.execute(
            'SELECT amount_initial, min(email), (SELECT batch_id FROM txn WHERE batch_id IS NOT NULL '
            'AND brand_id = 1 LIMIT 1) FROM txn WHERE brand_id = 1 GROUP BY amount_initial '
            'ORDER BY count(*) DESC LIMIT 1').fetchone()
    cases = [(f'amount=eq:{amount}', 'amount_initial = ?', (amount,)),
             (f'email={email.upper()}', 'lower(email) = lower(?)', (email,)),
             ('amount=le:600&order_ref=%25-00%25', "amount_initial <= 600 AND order_ref LIKE '%-00%'", ())]
    if batch:
        cases.append((f'batch_id={batch}', 'batch_id = ?', (batch,)))
    for query, where, args in cases:
        got = [int(i['id']) for i in all_pages(tx, f'{WIDE}&{query}&limit=3')]
        assert got and got == db_rows(tx, where, args), query


def test_group_and_shop_users_search_their_shops_only(tx):
    from test_users import spooled_password, ready_user_with
    admin = ready_user(tx, 'demo.admin')
    with connect(tx.db) as db:
        group = db.execute("SELECT id FROM node WHERE brand_id = 1 AND name = 'Boutiques France'"
                           ).fetchone()[0]
        shop = db.execute("SELECT id FROM shop WHERE brand_id = 1 AND rang = '001' AND "
                          "site = '1999889'").fetchone()[0]
    for login, node, where in (('gilles.groupe', group, f'shop_id IN (SELECT id FROM node WHERE parent_id = {group})'),
                               ('sarah.export', shop, f'shop_id = {shop}')):
        r = admin[0].post(tx.base + '/bo/api/users', headers={'X-CSRF-Token': admin[1]},
                          json={'login': login, 'name': login, 'email': f'{login}@example.com',
                                'profile': 'consultation', 'node_id': node})
        assert r.status_code == 201, r.text
        s, csrf = ready_user_with(tx, login, spooled_password(tx, f'{login}@example.com'))
        items, cursor = [], ''
        while cursor is not None:
            r = s.get(tx.base + f'/bo/api/transactions?{WIDE}&limit=50' +
                      (f'&cursor={cursor}' if cursor else ''))
            assert r.status_code == 200, r.text
            items += r.json()['items']
            cursor = r.json()['next']
        assert [int(i['id']) for i in items] == db_rows(tx, where)
        # Another shop's filter or id shows nothing.
        other = db_rows(tx, f'NOT ({where})')[0]
        r = s.get(tx.base + f'/bo/api/transactions?{WIDE}&id={other}')
        assert r.status_code == 200 and r.json()['items'] == []


def test_details_with_history_and_3ds(tx):
    p = tx.pay(card='4000000000003220').json()
    r = get(tx, f"/bo/api/transactions/{p['id']}")
    assert r.status_code == 200
    d = r.json()
    assert d['history'][0]['action'] == 'creation'
    assert d['three_d_secure'] == {'payment': 'yes', 'authenticated': 'Y', 'guaranteed': 'yes'}
    assert d['card']['masked'] == '400000******3220'
    assert '4000000000003220' not in r.text


def test_capture_by_a_user_is_recorded(tx):
    p = tx.pay(amount=9000, capture='manual').json()
    assert post(tx, f"/bo/api/transactions/{p['id']}/capture", {'amount': 9001}).status_code == 422
    r = post(tx, f"/bo/api/transactions/{p['id']}/capture", {'amount': 7000})
    assert r.status_code == 200 and r.json()['amount_current'] == 7000
    assert r.json()['acquirer_status'] == 'to_send'
    hist = get(tx, f"/bo/api/transactions/{p['id']}").json()['history']
    assert hist[-1]['action'] == 'capture' and hist[-1]['user_login'] == 'demo.action'
    with connect(tx.db) as db:
        assert db.execute("SELECT count(*) FROM action_log WHERE action = 'transaction_capture' "
                          "AND details LIKE ?", (f"transaction {p['id']},%",)).fetchone()[0] == 1


def test_consultation_cannot_act(tx):
    p = tx.pay(capture='manual').json()
    r = post(tx, f"/bo/api/transactions/{p['id']}/capture", {}, profile='consultation')
    assert r.status_code == 403 and r.json()['error'] == 'forbidden'


def test_concurrent_operations_one_wins(tx):
    p = tx.pay(amount=4000).json()
    codes = []

    def cancel():
        codes.append(post(tx, f"/bo/api/transactions/{p['id']}/cancel").status_code)

    threads = [threading.Thread(target=cancel) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * 5


def test_operation_refusals(tx):
    p = tx.pay().json()
    r = post(tx, f"/bo/api/transactions/{p['id']}/refund", {'amount': 100})
    assert r.status_code == 409 and r.json()['error'] == 'wrong_state'
    r = post(tx, f"/bo/api/transactions/{p['id']}/capture", {'amount': 'x'})
    assert r.status_code == 400
    r = post(tx, f"/bo/api/transactions/{p['id']}/cancel", {'amount': 1})
    assert r.status_code == 400
    r = post(tx, '/bo/api/transactions/999999999/cancel')
    assert r.status_code == 404


def test_75_days_after_acceptance_is_too_late(tx):
    p = tx.pay().json()
    # 76.5 × 24 h back: at least 76 Paris days whatever the hour, even across a
    # change of summer time (76 × 24 h at 23:30 can be only 75 Paris days).
    with connect(tx.db) as db:
        db.execute('UPDATE txn SET accepted_at = accepted_at - ? WHERE id = ?',
                   (6609600 * 1000000, int(p['id'])))
    r = post(tx, f"/bo/api/transactions/{p['id']}/cancel")
    assert r.status_code == 422 and r.json()['error'] == 'too_late'


def test_send_and_refund_of_a_sent_payment(tx):
    with connect(tx.db) as db:
        tid, amount = db.execute('SELECT id, amount_current FROM txn WHERE brand_id = 1 AND acq = 3 '
                                 'AND type = 0 AND amount_refunded = 0 AND accepted_at > ? '
                                 'LIMIT 1', (tx.now_us(-60 * 86400),)).fetchone()
    r = post(tx, f'/bo/api/transactions/{tid}/refund', {'amount': amount + 1})
    assert r.status_code == 422 and r.json()['error'] == 'amount_too_high'
    r = post(tx, f'/bo/api/transactions/{tid}/refund', {'amount': 100})
    assert r.status_code == 201, r.text
    assert r.json()['amount_current'] == amount - 100
    assert r.json()['refund']['type'] == 'refund'
    p = tx.pay().json()
    r = post(tx, f"/bo/api/transactions/{p['id']}/send")
    assert r.status_code == 200
    assert r.json()['bank_date'] == tx.paris_day()


def sent_debit(tx, amount_min=100):
    """A sale of brand 1 already sent to the bank, never refunded, still within 75 days."""
    with connect(tx.db) as db:
        return db.execute('SELECT id, amount_current, currency FROM txn WHERE brand_id = 1 '
                          'AND acq = 3 AND type = 0 AND amount_refunded = 0 AND parent_id IS NULL '
                          'AND amount_current >= ? AND accepted_at > ? ORDER BY id DESC LIMIT 1',
                          (amount_min, tx.now_us(-60 * 86400))).fetchone()


def test_details_list_a_debits_refunds_oldest_first(tx):
    """Issue 17: a debit's details name its refunds (id, type, status, amount, currency, when),
    oldest first, each of which names the debit as its parent; another brand's row that names
    the same id as its parent is not among them."""
    tid, amount, currency = sent_debit(tx, 300)
    d = get(tx, f'/bo/api/transactions/{tid}').json()
    assert d['refunds'] == [] and d['refunds_more'] is False
    made = []
    for cents in (100, 150):
        r = post(tx, f'/bo/api/transactions/{tid}/refund', {'amount': cents})
        assert r.status_code == 201, r.text
        made.append(r.json()['refund'])
    with connect(tx.db) as db:
        foreign = db.execute('SELECT id FROM txn WHERE brand_id = 2 LIMIT 1').fetchone()[0]
        db.execute('UPDATE txn SET parent_id = ? WHERE brand_id = 2 AND id = ?', (tid, foreign))
    try:
        d = get(tx, f'/bo/api/transactions/{tid}').json()
    finally:
        with connect(tx.db) as db:
            db.execute('UPDATE txn SET parent_id = NULL WHERE brand_id = 2 AND id = ?', (foreign,))
    assert d['refunds'] == [
        {'id': m['id'], 'type': 'refund', 'status': 'accepted', 'acquirer_status': 'to_send',
         'amount': cents, 'amount_current': cents, 'currency': currency,
         'created_at': m['created_at']} for m, cents in zip(made, (100, 150))]
    assert d['refunds_more'] is False and d['amount_refunded'] == 250
    child = get(tx, f"/bo/api/transactions/{made[0]['id']}").json()
    assert child['parent_id'] == str(tid) and child['refunds'] == []


def test_details_list_at_most_50_refunds(tx):
    """The details' list stops at 50 refunds, the first ones, and says there are more."""
    tid, amount, _ = sent_debit(tx, 60)
    ids = []
    for _ in range(52):
        r = post(tx, f'/bo/api/transactions/{tid}/refund', {'amount': 1})
        assert r.status_code == 201, r.text
        ids.append(r.json()['refund']['id'])
    d = get(tx, f'/bo/api/transactions/{tid}').json()
    assert [x['id'] for x in d['refunds']] == ids[:50]
    assert d['refunds_more'] is True and d['amount_refunded'] == 52


def test_refunds_are_found_through_their_index(tx):
    """The refunds of a debit are read from the partial index of children (sql/sqlite/047,
    sql/pg/012), not by a walk of the brand's transactions."""
    sql = ('SELECT id FROM txn WHERE brand_id = 1 AND parent_id = 5 ORDER BY created_at, id '
           'LIMIT 51')
    with connect(tx.db) as db:
        if PG:
            db.execute('SET enable_seqscan = off')
            plan = ' '.join(r[0] for r in db.execute('EXPLAIN ' + sql).fetchall())
        else:
            plan = ' '.join(r[-1] for r in db.execute('EXPLAIN QUERY PLAN ' + sql).fetchall())
    assert 'txn_brand_parent' in plan, plan


def test_send_brings_a_deferred_payment_forward_once(tx):
    """Send to bank (SPEC §6) puts a payment whose bank day is still to come in today's batch:
    its history says the amount sent, the action log the transaction and the amount in units
    with its currency; then it is due today and sending is no longer offered, nor written
    again when asked."""
    p = tx.pay(amount=15050).json()
    with connect(tx.db) as db:
        db.execute('UPDATE txn SET bank_day = bank_day + 3 WHERE id = ?', (int(p['id']),))
    d = get(tx, f"/bo/api/transactions/{p['id']}", profile='action').json()
    assert d['operations']['send'] is True and d['bank_date'] > tx.paris_day()
    r = post(tx, f"/bo/api/transactions/{p['id']}/send")
    assert r.status_code == 200, r.text
    assert r.json()['bank_date'] == tx.paris_day()
    assert r.json()['acquirer_status'] == 'to_send'
    d = get(tx, f"/bo/api/transactions/{p['id']}", profile='action').json()
    assert d['operations']['send'] is False
    sendings = [h for h in d['history'] if h['action'] == 'bank_sending']
    assert [h['amount'] for h in sendings] == [15050]
    assert post(tx, f"/bo/api/transactions/{p['id']}/send").status_code == 200
    d = get(tx, f"/bo/api/transactions/{p['id']}", profile='action').json()
    assert len([h for h in d['history'] if h['action'] == 'bank_sending']) == 1
    with connect(tx.db) as db:
        details = [r[0] for r in db.execute(
            "SELECT details FROM action_log WHERE action = 'transaction_bank_sending' "
            "AND details LIKE ?", (f"transaction {p['id']},%",))]
    assert details and set(details) == {f"transaction {p['id']}, amount 150.50 EUR"}


def test_block_card_refuses_later_payments(tx):
    p = tx.pay(card='5131000000000001').json()
    r = post(tx, f"/bo/api/transactions/{p['id']}/block-card")
    assert r.status_code == 200
    again = tx.pay(card='5131000000000001').json()
    assert (again['status'], again['refusal_reason']) == ('refused', 'card_not_allowed')
    other_shop = tx.pay(card='5131000000000001', shop=1).json()
    assert other_shop['status'] == 'accepted'


def test_another_brand_is_invisible(tx):
    with connect(tx.db) as db:
        foreign = [r[0] for r in db.execute('SELECT id FROM txn WHERE brand_id = 2')]
    assert foreign
    for tid in foreign[:20]:
        assert get(tx, f'/bo/api/transactions/{tid}').status_code == 404
        assert post(tx, f'/bo/api/transactions/{tid}/cancel').status_code == 404
    ids = {int(i['id']) for i in all_pages(tx, WIDE + '&limit=500')}
    assert not ids & set(foreign)


def instant(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace('Z', '+00:00'))


def test_export_matches_the_search_across_pages(tmp_path):
    """SPEC §16: one header line, then one line per transaction of the search, nothing else;
    4,500 rows stream in several pages."""
    import csv
    import io
    srv = Server(str(tmp_path), transactions=4500).start()
    try:
        srv.users = {'consultation': ready_user(srv, 'demo.consultation')}
        assert get(srv, '/bo/api/transactions/export?format=xls&' + WIDE).status_code == 400
        assert get(srv, '/bo/api/transactions?format=csv&' + WIDE).status_code == 400
        r = get(srv, '/bo/api/transactions/export?format=csv&' + WIDE)
        assert r.status_code == 200, r.text
        assert r.headers['Content-Type'].startswith('text/csv')
        rows = list(csv.DictReader(io.StringIO(r.content.decode('utf-8'), newline='')))
        listed = all_pages(srv, WIDE + '&limit=500')
        assert len(rows) == len(listed) > 4500
        for row, item in zip(rows, listed):
            for k in ('id', 'type', 'status', 'acquirer_status', 'currency', 'order_ref',
                      'card_masked'):
                assert row[k] == str(item[k]), k
            assert int(row['amount_initial']) == item['amount_initial']
            # The same instant, written in the user's zone (Paris by default).
            assert row['created_at'][-6:] in ('+01:00', '+02:00')
            assert instant(row['created_at']) == instant(item['created_at'])
        txt = get(srv, '/bo/api/transactions/export?format=txt&' + WIDE)
        assert txt.status_code == 200 and txt.headers['Content-Type'].startswith('text/plain')
        assert 'filename="transactions.txt"' in txt.headers['Content-Disposition']
        lines = txt.content.decode('utf-8').split('\r\n')[:-1]
        assert lines[0].split('\t') == list(rows[0].keys())
        assert [l.split('\t') for l in lines[1:]] == [list(row.values()) for row in rows]
        refused = get(srv, '/bo/api/transactions/export?' + WIDE + '&status=refused')
        lines = refused.content.decode().splitlines()
        assert len(lines) - 1 == len(all_pages(srv, WIDE + '&status=refused&limit=500'))
        assert get(srv, '/bo/api/transactions/export?' + WIDE + '&cursor=1.1').status_code == 400
        # A client that goes away in the middle: the export stops, the server goes on.
        for _ in range(5):
            s, _ = srv.users['consultation']
            with s.get(srv.base + '/bo/api/transactions/export?' + WIDE, stream=True) as partial:
                next(partial.iter_content(1024))
            s.close()
        assert requests.get(srv.base + '/healthz').status_code == 200
    finally:
        assert srv.stop() == 0


def test_capture_all_and_send_all_on_a_search(tx):
    from urllib.parse import quote
    tag = 'BULK' + uuid.uuid4().hex[:6].upper()
    manual = [tx.pay(amount=1000 + i, capture='manual', order_ref=f'{tag}-M{i}').json()
              for i in range(3)]
    deferred = [tx.pay(amount=2000 + i, shop=1, order_ref=f'{tag}-D{i}').json() for i in range(2)]
    filt = f'{WIDE}&order_ref={quote(tag + "%")}'
    s, csrf = tx.users['consultation']
    r = s.post(tx.base + '/bo/api/transactions/capture-all?' + filt, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 403
    r = post(tx, '/bo/api/transactions/capture-all?' + filt + '&acquirer_status=sent')
    assert r.status_code == 400 and r.json()['field'] == 'acquirer_status'
    r = post(tx, '/bo/api/transactions/capture-all?' + filt)
    assert r.status_code == 200, r.text
    assert r.json() == {'processed': 3, 'refused': [], 'more': False}
    for p in manual:
        d = get(tx, f"/bo/api/transactions/{p['id']}").json()
        assert d['acquirer_status'] == 'to_send' and d['amount_current'] == p['amount_initial']
    # The deferred ones (bank date in 2 days) and the captured ones go today.
    r = post(tx, '/bo/api/transactions/send-all?' + filt)
    assert r.status_code == 200 and r.json()['processed'] == 5
    for p in manual + deferred:
        assert get(tx, f"/bo/api/transactions/{p['id']}").json()['bank_date'] == tx.paris_day()
    r = post(tx, '/bo/api/transactions/capture-all?' + filt)
    assert r.json() == {'processed': 0, 'refused': [], 'more': False}
    assert post(tx, '/bo/api/transactions/send-all').status_code == 400


def patch(srv, path, body, profile='consultation'):
    s, csrf = srv.users[profile]
    return s.patch(srv.base + path, json=body, headers={'X-CSRF-Token': csrf})


def test_export_in_the_users_columns_and_time_zone(tx):
    """SPEC §3, §5: the export has the columns the user chose, in their order, and the
    instants in the user's zone; the choice is kept across sign-ins."""
    import csv
    import io
    from test_signin import sign_in, NEW_PASSWORD
    chosen = ['order_ref', 'amount_current', 'created_at', 'three_d_secure', 'shop', 'id']
    r = patch(tx, '/bo/api/me/preferences', {'columns': {'transactions': chosen}})
    assert r.status_code == 200, r.text
    assert r.json()['columns']['transactions'] == chosen
    assert patch(tx, '/bo/api/me', {'time_zone': 'Pacific/Tahiti'}).status_code == 200
    r = get(tx, '/bo/api/transactions/export?format=csv&' + WIDE)
    rows = list(csv.reader(io.StringIO(r.content.decode('utf-8'), newline='')))
    assert rows[0] == chosen
    listed = all_pages(tx, WIDE + '&limit=500')
    assert len(rows) - 1 == len(listed)
    for row, item in zip(rows[1:], listed):
        assert row[0] == item['order_ref'] and row[5] == item['id']
        assert int(row[1]) == item['amount_current']
        assert row[2].endswith('-10:00') and instant(row[2]) == instant(item['created_at'])
    # Dates typed in the search are the user's days too.
    day = rows[1][2][:10]
    from datetime import datetime, timedelta
    start = datetime.fromisoformat(day + 'T00:00:00-10:00')
    in_day = [i for i in listed if start <= instant(i['created_at']) < start + timedelta(days=1)]
    assert [i['id'] for i in all_pages(tx, f'from={day}&to={day}')] == [i['id'] for i in in_day]
    # Kept across sign-ins; null is the default again.
    s, r = sign_in(tx, 'demo.consultation', password=NEW_PASSWORD, takeover=True)
    tx.users['consultation'] = (s, r.json()['csrf'])
    r = get(tx, '/bo/api/me/preferences')
    assert r.json()['columns']['transactions'] == chosen
    assert 'Pacific/Tahiti' in r.json()['time_zones'] and r.json()['home'] == 'stats'
    r = patch(tx, '/bo/api/me/preferences', {'columns': {'transactions': None}})
    assert r.json()['columns']['transactions'][:2] == ['id', 'created_at']
    assert patch(tx, '/bo/api/me', {'time_zone': 'Europe/Paris'}).status_code == 200


@pytest.mark.parametrize('body', [
    {'columns': {'transactions': ['id', 'id']}},
    {'columns': {'transactions': ['id', 'card_number']}},
    {'columns': {'transactions': []}},
    {'columns': {'transactions': 'id,status'}},
    {'columns': {'transactions': ['id,status']}},
    {'columns': {'transactions': [1, 2]}},
    {'columns': {'payments': ['id']}},
    {'columns': ['id']},
    {'home': 'users'},
    {'home': 'nowhere'},
    {'home': 7},
    {'colour': 'blue'},
])
def test_preferences_refuse_bad_input_and_change_nothing(tx, body):
    before = get(tx, '/bo/api/me/preferences').json()
    r = patch(tx, '/bo/api/me/preferences', body)
    assert r.status_code == 400 and r.json()['error'] in ('invalid_field', 'unknown_field'), r.text
    assert get(tx, '/bo/api/me/preferences').json() == before


def test_landing_page_and_time_zone_choices(tx):
    r = patch(tx, '/bo/api/me/preferences', {'home': 'transactions'})
    assert r.status_code == 200 and r.json()['home'] == 'transactions'
    assert 'users' not in r.json()['available_homes']
    assert patch(tx, '/bo/api/me/preferences', {'home': None}).json()['home'] == 'stats'
    for bad in ('Mars/Olympus', 'europe/paris', 'Europe/Paris ', '', 'UTC' * 30):
        r = patch(tx, '/bo/api/me', {'time_zone': bad})
        assert r.status_code == 400 and 'time_zone' in r.text, (bad, r.text)


def test_new_payments_are_found_before_and_after_the_indexer_reaches_them(tx):
    """'%ABC%', an amount and an e-mail read the indexer job's tables up to where it got, and
    the newer rows directly: a payment is found at once, and still once the job took it."""
    from urllib.parse import quote
    tag = uuid.uuid4().hex[:10].upper()
    amount = 4000000 + int(tag[:5], 16)
    pid = int(tx.pay(order_ref=f'NEW-{tag}-X', amount=amount, email=f'{tag}@example.com').json()['id'])
    pattern = quote(f'%{tag[2:8]}%')

    def found():
        by_ref = [int(i['id']) for i in all_pages(tx, f'{WIDE}&order_ref={pattern}')]
        by_amount = [int(i['id']) for i in all_pages(tx, f'{WIDE}&amount=eq:{amount}')]
        by_email = [int(i['id']) for i in all_pages(tx, f'{WIDE}&email={tag.lower()}@example.com')]
        assert by_ref == by_amount == by_email
        return by_ref
    assert found() == [pid]
    if PG:  # no indexer job: PostgreSQL keeps its trigram indexes itself, at each write
        return
    deadline = time.time() + 10
    while time.time() < deadline:
        with connect(tx.db) as db:
            upto = db.execute('SELECT txn_ref_upto FROM search_state').fetchone()[0]
        if upto >= pid:
            break
        time.sleep(0.2)
    assert upto >= pid, 'the indexer job did not reach the new payment'
    assert found() == [pid]
