"""Files of payment orders (issue 15, "Batch files of payment orders"; Ingenico guide
§3.4.4–5; docs/ORDER-FILES.md): the upload from the back office and by the merchant API, the
check at once (line errors listed, a malformed file refused whole), the processing by the job,
line by line and idempotent (the same file twice, a server killed mid-file and restarted: each
payment once), the list, the lines and the result file, the refusals, and no card number kept
in clear."""
import csv
import io
import json
import os
import socket
import time
import uuid

import pytest

from conftest import PG, Server, q, sign
from test_hmac_keys import U
from test_second_factor import new_user

OTHER = 'ORDEROTHER'
HEADER = ('operation,reference,amount,currency,card_number,card_expiry,alias,'
          'transaction_id,capture')
VISA = '4111111111111111'
MC = '5555555555554444'
DECLINED = '4000000000000002'   # the simulator's refusal
CARDS = (VISA, MC, DECLINED)
FILES = '/bo/api/order-files'
API = '/api/v1/order-files'


@pytest.fixture(scope='module')
def of(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('orders')), transactions=30)
    srv.other = srv.add_brand(OTHER, transactions=5, seed=7)
    srv.start()
    srv.users = {p: U(srv, f'demo.{p}') for p in ('action', 'admin', 'consultation')}
    srv.admin = (srv.users['admin'].s, srv.users['admin'].csrf)   # test_second_factor's
    srv.shop_ids = [r[0] for r in q(srv, 'SELECT id FROM shop WHERE brand_id = 1 ORDER BY id')]
    srv.other_shop = q(srv, 'SELECT min(id) FROM shop WHERE brand_id <> 1')[0][0]
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    for card in CARDS:
        assert card not in log, 'a card number reached the log'


def text(*lines, header=HEADER):
    return ('\r\n'.join(([header] if header is not None else []) + list(lines)) +
            '\r\n').encode()


def ref(tag='R'):
    return f'{tag}-{uuid.uuid4().hex[:10]}'


def pay_line(reference, card=VISA, amount=1500, capture=''):
    return f'payment,{reference},{amount},EUR,{card},1230,,,{capture}'


def upload(srv, body, shop=0, profile='action', name='orders.csv', csrf=True, user=None,
           shop_id=None):
    u = user or srv.users[profile]
    shop_id = shop_id or srv.shop_ids[shop]
    h = {'Content-Type': 'text/csv'}
    if csrf:
        h['X-CSRF-Token'] = u.csrf
    return u.s.post(f'{srv.base}{FILES}?shop_id={shop_id}&name={name}', data=body, headers=h,
                    timeout=120)


def get(srv, path, profile='consultation'):
    return srv.users[profile].s.get(srv.base + path, timeout=60)


def api_upload(srv, body, shop=0, name=None, **kw):
    path = API + (f'?name={name}' if name else '')
    return srv.api('POST', path, raw=body, shop=shop, sign_path=False,
                   headers={'Content-Type': 'text/csv'}, **kw)


def poll(fn, timeout, every=0.2):
    """fn's first true answer, polled every `every` seconds; its last one after timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(every)
    return fn()


def finished(srv, fid, timeout=120):
    """The file once the job is through with it."""
    def done():
        r = get(srv, f'{FILES}/{fid}')
        assert r.status_code == 200, r.text
        return r.json() if r.json()['status'] in ('done', 'done_with_errors', 'refused') \
            else None
    return poll(done, timeout)


def lines_of(srv, fid):
    items, after = [], 0
    while True:
        r = get(srv, f'{FILES}/{fid}/lines?after={after}&limit=1000')
        assert r.status_code == 200, r.text
        items += r.json()['items']
        if r.json()['next'] is None:
            return items
        after = r.json()['next']


def txns_of(srv, reference):
    """The transactions of an order reference: (id, status), the status by its name."""
    return [(str(i), txn(srv, i)['status'])
            for (i,) in q(srv, 'SELECT id FROM txn WHERE order_ref = ?', (reference,))]


def txn(srv, tid):
    r = get(srv, f'/bo/api/transactions/{tid}')
    assert r.status_code == 200, r.text
    return r.json()


def api_payment(srv, capture='auto'):
    r = srv.pay(capture=capture)
    assert r.status_code == 201, r.text
    return r.json()['id']


def test_a_good_file_is_processed_line_by_line(of):
    card_ref, mc_ref, alias_ref, cap_ref, cancel_ref = (ref() for _ in range(5))
    a = of.api('POST', '/api/v1/aliases', {'card': {'number': MC, 'expiry': '1230'}})
    assert a.status_code == 201, a.text
    to_capture = api_payment(of, capture='manual')
    to_cancel = api_payment(of)
    body = text(pay_line(card_ref),
                pay_line(mc_ref, card=MC, amount=990, capture='manual'),
                f'payment,{alias_ref},4200,EUR,,,{a.json()["alias"]},,',
                f'capture,{cap_ref},,,,,,{to_capture},',
                f'cancel,{cancel_ref},,,,,,{to_cancel},')
    r = upload(of, body, name='good.csv')
    assert r.status_code == 202, r.text
    f = r.json()['file']
    assert r.json()['line_errors'] == [] and r.json()['duplicate'] is False
    assert f['status'] == 'received' and f['lines'] == 5 and f['name'] == 'good.csv'
    assert f['source'] == 'back_office' and f['shop_id'] == of.shop_ids[0]
    done = finished(of, f['id'])
    assert done['status'] == 'done', done
    assert (done['accepted'], done['refused'], done['pending']) == (5, 0, 0)
    assert done['started_at'] and done['finished_at'] and done['duration_s'] is not None
    lines = lines_of(of, f['id'])
    assert [line['line'] for line in lines] == [2, 3, 4, 5, 6]
    assert all(line['status'] == 'accepted' for line in lines), lines
    assert lines[0]['card'] == '411111******1111' and lines[1]['card'] == '555555******4444'
    # Each payment once, under the merchant's reference.
    for reference, line in ((card_ref, lines[0]), (mc_ref, lines[1]), (alias_ref, lines[2])):
        assert txns_of(of, reference) == [(line['result_transaction_id'], 'accepted')]
    assert txn(of, lines[1]['result_transaction_id'])['acquirer_status'] == 'awaiting_capture'
    assert txn(of, to_capture)['acquirer_status'] == 'to_send'
    assert txn(of, to_cancel)['type'] == 'cancellation'
    assert lines[3]['result_transaction_id'] == to_capture
    # The upload is in the action log.
    assert q(of, "SELECT count(*) FROM action_log WHERE action = 'order_file_upload' AND "
                 "details LIKE ?", (f'file: {f["id"]};%',))[0][0] == 1
    # The electronic report's File management structure names each payment's line
    # ("FILE:LINE"); the capture and the cancellation acted on payments the API made, and
    # every other row has none.
    u = of.users['consultation']
    r = u.s.patch(of.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': u.csrf},
                  json={'ereport': {'structure': 'file_management', 'format': 'delimited'}})
    assert r.status_code == 200, r.text
    day = of.paris_day()
    report = get(of, f'/bo/api/transactions/export?format=report&from={day}&to={day}')
    assert report.status_code == 200, report.text
    rows = list(csv.reader(io.StringIO(report.content.decode('utf-8-sig'), newline='')))
    assert rows[0][-1] == 'batch_file_line'
    refs = {row[0]: row[-1] for row in rows[1:]}
    made = {line['result_transaction_id']: f'{f["id"]}:{line["line"]}' for line in lines[:3]}
    assert {i: refs[i] for i in made} == made
    assert refs[to_capture] == '' and refs[to_cancel] == ''
    assert all(v == '' for i, v in refs.items() if i not in made)
    u.s.patch(of.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': u.csrf},
              json={'ereport': {'structure': None, 'format': None}})


def test_mixed_lines_each_refused_with_its_reason_the_others_go_on(of):
    good, declined, bad_luhn, bad_amount, dup, unknown, refund = (ref('M') for _ in range(7))
    sent_not = api_payment(of)
    body = text(pay_line(good),
                pay_line(declined, card=DECLINED),
                pay_line(bad_luhn, card='4111111111111112'),
                f'payment,{bad_amount},12.50,EUR,{VISA},1230,,,',
                pay_line(good),                                  # the reference again
                f'capture,{unknown},,,,,,999999999,',
                f'refund,{refund},100,,,,,{sent_not},',          # not sent yet
                'pay,X,1,EUR,,,,,',
                'payment,short')
    r = upload(of, body)
    assert r.status_code == 202, r.text
    errors = {e['line']: e for e in r.json()['line_errors']}
    assert r.json()['line_errors_count'] == 5
    assert errors[4]['code'] == 'card_number' and errors[4]['column'] == 'card_number'
    assert errors[5]['code'] == 'amount'
    assert errors[6]['code'] == 'duplicate_reference'
    assert errors[9]['code'] == 'operation' and errors[10]['code'] == 'columns'
    assert all(e['message'] for e in errors.values())
    done = finished(of, r.json()['file']['id'])
    assert done['status'] == 'done_with_errors'
    assert (done['lines'], done['accepted'], done['refused']) == (9, 1, 8)
    by_line = {line['line']: line for line in lines_of(of, done['id'])}
    assert by_line[2]['status'] == 'accepted'
    assert by_line[3]['status'] == 'refused' and by_line[3]['result_transaction_id']
    assert by_line[3]['reason'] and by_line[3]['message']
    assert by_line[7]['reason'] == 'unknown_transaction'
    assert by_line[8]['status'] == 'refused' and by_line[8]['reason']
    assert len(txns_of(of, good)) == 1
    assert txns_of(of, declined) == [(by_line[3]['result_transaction_id'], 'refused')]
    assert txns_of(of, bad_luhn) == [] and txns_of(of, bad_amount) == []


@pytest.mark.parametrize('body,fault,line', [
    (text(pay_line('H1'), header='operation,reference,amount'), 'header', 1),
    (b'', None, None),
    (HEADER.encode() + b'\r\n', 'empty', 2),
    (text(pay_line('E1')) + b'payment,Caf\xe9,1,EUR,,,,,\r\n', 'encoding', 3),
    (text(pay_line('Q1'), 'payment,"open,1,EUR,,,,,', pay_line('Q3')), 'quoting', 3),
    (text(pay_line('Q1'), 'payment,a"b,1,EUR,,,,,'), 'quoting', 3),
], ids=['header', 'no-body', 'no-line', 'latin-1', 'open-quote', 'stray-quote'])
def test_a_malformed_file_is_refused_whole(of, body, fault, line):
    before = q(of, 'SELECT count(*) FROM order_file')[0][0]
    txns = q(of, 'SELECT count(*) FROM txn')[0][0]
    r = upload(of, body)
    if fault is None:
        assert r.status_code == 400 and r.json()['field'] == 'file', r.text
    else:
        assert r.status_code == 422, r.text
        assert r.json()['error'] == 'order_file_malformed'
        assert r.json()['fault'] == fault and r.json()['line'] == line
        assert r.json()['message'] and r.json()['errors'][0]['line'] == line
    time.sleep(0.5)
    assert q(of, 'SELECT count(*) FROM order_file')[0][0] == before
    assert q(of, 'SELECT count(*) FROM txn')[0][0] == txns


def test_the_same_file_twice_pays_once(of):
    reference = ref('D')
    body = text(pay_line(reference))
    first = upload(of, body)
    assert first.status_code == 202, first.text
    fid = first.json()['file']['id']
    finished(of, fid)
    again = upload(of, body, name='again.csv')
    assert again.status_code == 200, again.text
    assert again.json()['duplicate'] is True and again.json()['file']['id'] == fid
    assert again.json()['file']['name'] == 'orders.csv'
    # By the merchant API too: the same shop's same digest.
    by_api = api_upload(of, body)
    assert by_api.status_code == 200 and by_api.json()['file']['id'] == fid, by_api.text
    # Another file (another digest) with the reference already paid: that line is refused.
    other = upload(of, text(pay_line(reference), pay_line(ref('D'))))
    assert other.status_code == 202
    done = finished(of, other.json()['file']['id'])
    assert (done['accepted'], done['refused']) == (1, 1)
    assert lines_of(of, done['id'])[0]['reason'] == 'duplicate_reference'
    assert len(txns_of(of, reference)) == 1


def test_the_list_pages_and_keeps_to_the_users_scope(of):
    for i in range(3):
        r = upload(of, text(pay_line(ref('L'))), shop=1, name=f'list-{i}.csv')
        assert r.status_code == 202, r.text
    r = get(of, FILES + '?limit=2')
    assert r.status_code == 200, r.text
    page = r.json()
    assert len(page['items']) == 2 and page['next']
    r2 = get(of, f'{FILES}?limit=2&cursor={page["next"]}')
    assert r2.status_code == 200
    ids = [f['id'] for f in page['items'] + r2.json()['items']]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    only = get(of, f'{FILES}?shop_id={of.shop_ids[1]}').json()['items']
    assert only and all(f['shop_id'] == of.shop_ids[1] for f in only)
    # A user of the second shop sees only its files, and cannot upload for the first.
    u = new_user(of, 'action', node_id=of.shop_ids[1])
    u.s.headers['X-CSRF-Token'] = u.csrf
    mine = u.s.get(of.base + FILES, timeout=30).json()['items']
    assert mine and all(f['shop_id'] == of.shop_ids[1] for f in mine)
    first = [f for f in get(of, FILES + '?limit=500').json()['items']
             if f['shop_id'] == of.shop_ids[0]][0]
    assert u.s.get(f'{of.base}{FILES}/{first["id"]}', timeout=30).status_code == 404
    r = upload(of, text(pay_line(ref('L'))), shop=0, user=u)
    assert r.status_code == 404 and r.json()['error'] == 'unknown_shop', r.text
    for bad in ('node=999999', 'limit=0', 'limit=501', 'cursor=x', 'color=red'):
        assert get(of, f'{FILES}?{bad}').status_code in (400, 404), bad


def test_refusals_change_nothing(of):
    body = text(pay_line(ref('X')))
    before = q(of, 'SELECT count(*) FROM order_file')[0][0]
    r = upload(of, body, profile='consultation')
    assert r.status_code == 403, r.text
    r = upload(of, body, csrf=False)
    assert r.status_code == 403 and r.json()['error'] == 'csrf', r.text
    r = upload(of, body, shop_id=of.other_shop)               # another brand's shop
    assert r.status_code == 404 and r.json()['error'] == 'unknown_shop', r.text
    group = q(of, "SELECT id FROM node WHERE brand_id = 1 AND level <> 'shop' ORDER BY id")[0][0]
    r = upload(of, body, shop_id=group)                       # not a shop
    assert r.status_code == 404, r.text
    u = of.users['action']
    r = u.s.post(f'{of.base}{FILES}?name=x.csv', data=body,
                 headers={'X-CSRF-Token': u.csrf}, timeout=30)
    assert r.status_code == 400 and r.json()['field'] == 'shop_id', r.text
    r = u.s.post(f'{of.base}{FILES}?shop_id={of.shop_ids[0]}&x=1', data=body,
                 headers={'X-CSRF-Token': u.csrf}, timeout=30)
    assert r.status_code == 400 and r.json()['field'] == 'x', r.text
    # The merchant API: a bad signature, another shop's file.
    r = api_upload(of, body, signature='ab' * 64)
    assert r.status_code == 401 and r.json()['error'] == 'bad_signature', r.text
    assert q(of, 'SELECT count(*) FROM order_file')[0][0] == before
    mine = api_upload(of, text(pay_line(ref('X'))), shop=0)
    assert mine.status_code == 202, mine.text
    fid = mine.json()['file']['id']
    r = of.api('GET', f'{API}/{fid}', shop=2)
    assert r.status_code == 404, r.text
    assert get(of, f'{FILES}/999999').status_code == 404
    assert get(of, f'{FILES}/{fid}/lines?after=x').status_code == 400


def test_a_body_over_the_limit_is_413(of):
    """Above h2o's own cap (LIMIT_BODY_GLOBAL, 64 KiB above LIMIT_ORDER_FILE's 16 MiB) the
    answer comes from the Content-Length alone, before the body is read: the headers are
    enough. Between the two, the route reads the body and answers the same JSON 413."""
    u = of.users['action']
    cookie = '; '.join(f'{c.name}={c.value}' for c in u.s.cookies)
    head = (f'POST {FILES}?shop_id={of.shop_ids[0]} HTTP/1.1\r\nHost: 127.0.0.1\r\n'
            f'Cookie: {cookie}\r\nX-CSRF-Token: {u.csrf}\r\nContent-Type: text/csv\r\n'
            f'Content-Length: {16 * 1024 * 1024 + 64 * 1024 + 1}\r\n\r\n').encode()
    with socket.create_connection(('127.0.0.1', of.port), timeout=30) as s:
        s.sendall(head)
        answer = b''
        while b'\r\n\r\n' not in answer or not answer.rstrip().endswith(b'}'):
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b' ', 2)[1])
    body = json.loads(answer.split(b'\r\n\r\n', 1)[1])
    assert status == 413 and body['error'] == 'body_too_large', answer
    r = upload(of, b'x' * (16 * 1024 * 1024 + 1))
    assert r.status_code == 413 and r.json()['error'] == 'body_too_large', r.text[:300]
    # At the limit the route takes it (and judges the file: here, no header line).
    r = upload(of, b'x' * (16 * 1024 * 1024))
    assert r.status_code == 422 and r.json()['fault'] == 'header', r.text[:300]


def test_the_merchant_api_uploads_and_reads_its_file(of):
    refs = [ref('A') for _ in range(3)]
    r = api_upload(of, text(*(pay_line(x) for x in refs[:2]), pay_line(refs[2], card=DECLINED)),
                   name='api.csv')
    assert r.status_code == 202, r.text
    fid = r.json()['file']['id']
    assert r.json()['file']['source'] == 'api' and r.json()['file']['name'] == 'api.csv'
    finished(of, fid)
    g = of.api('GET', f'{API}/{fid}')
    assert g.status_code == 200, g.text
    assert g.json()['file']['status'] == 'done_with_errors' and g.json()['next'] is None
    assert [i['status'] for i in g.json()['items']] == ['accepted', 'accepted', 'refused']
    assert [i['reference'] for i in g.json()['items']] == refs
    # Paged: the query is not signed, only the method and path.
    sig = sign(of.shop(0)['hmac_key'], f'GET {API}/{fid}\n'.encode())
    p = of.api('GET', f'{API}/{fid}?after=2&limit=1', signature=sig)
    assert p.status_code == 200, p.text
    assert [i['line'] for i in p.json()['items']] == [3] and p.json()['next'] == 3
    assert of.api('GET', f'{API}/999999').status_code == 404


def test_the_result_file_in_the_same_format(of):
    refs = [ref('F') for _ in range(2)]
    r = upload(of, text(pay_line(refs[0]), f'payment,"{refs[1]}, quoted",1,EUR,{VISA},1230,,,'))
    done = finished(of, r.json()['file']['id'])
    res = get(of, f'{FILES}/{done["id"]}/result')
    assert res.status_code == 200, res.text
    assert 'attachment' in res.headers['content-disposition']
    content = res.content.decode()
    assert content.startswith('line,operation,reference,amount,currency,card,card_expiry,'
                              'alias,transaction_id,capture,status,reason,message,'
                              'result_transaction_id\r\n')
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [x['reference'] for x in rows] == [refs[0], f'{refs[1]}, quoted']
    assert rows[0]['card'] == '411111******1111' and rows[0]['status'] == 'accepted'
    assert rows[0]['result_transaction_id'] == txns_of(of, refs[0])[0][0]
    assert VISA not in content


def test_no_card_number_in_clear_in_the_database_or_the_spool(of):
    r = upload(of, text(*(pay_line(ref('C'), card=c) for c in CARDS)))
    assert r.status_code == 202
    finished(of, r.json()['file']['id'])
    # Lines waiting keep the card sealed; processed ones keep none.
    assert q(of, "SELECT count(*) FROM order_line WHERE status <> 'pending' AND "
                 "card_sealed IS NOT NULL")[0][0] == 0
    stored = of.stored()
    for card in CARDS:
        assert card not in stored, 'a card number is in clear in the database'
    spool = os.path.join(of.tmp, 'spool')
    for root, _, names in os.walk(spool):
        for n in names:
            with open(os.path.join(root, n), 'rb') as f:
                data = f.read()
            for card in CARDS:
                assert card.encode() not in data, n


# -- a large file, the server killed mid-way ---------------------------------------------------

# 20,000 lines by default; issue 15's 100,000 (GUICHET_TEST_ORDER_LINES=100000) in make
# check's sanitized SQLite stage: on this project's 2-core machine, quiet, 13 s from the upload
# to the last line in a release build, 30 s sanitized (163 s once when other work loaded the
# machine). PostgreSQL is slower (45 s for 20,000 lines in make check): 20,000 there.
BIG_LINES = int(os.environ.get('GUICHET_TEST_ORDER_LINES', '20000'))


@pytest.fixture(scope='module')
def big(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('orders-big')), transactions=10)
    srv.start()
    yield srv
    if srv.proc is not None:
        assert srv.stop() == 0


def kill(srv):
    srv.proc.kill()
    srv.proc.wait(timeout=30)
    srv.log.close()
    srv.proc = None


def test_a_large_file_killed_mid_way_pays_each_line_once(big):
    lines, kinds = [], {}
    cards = (VISA, MC, DECLINED)
    for i in range(BIG_LINES):
        reference = f'BIG-{i:06d}'
        if i % 10 == 3:
            lines.append(f'payment,{reference},1000,EUR,4111111111111112,1230,,,')  # Luhn
            kinds[reference] = 'check'
        else:
            card = cards[i % 7 % 3] if i % 7 == 5 else VISA
            lines.append(pay_line(reference, card=card, amount=100 + i % 900))
            kinds[reference] = 'declined' if card == DECLINED else 'accepted'
    started = time.time()
    r = api_upload(big, text(*lines), name='big.csv')
    assert r.status_code == 202, r.text
    upload_s = time.time() - started
    fid = r.json()['file']['id']
    expected_check = sum(1 for k in kinds.values() if k == 'check')
    assert r.json()['line_errors_count'] == expected_check

    def processed():
        return q(big, "SELECT count(*) FROM order_line WHERE file_id = ? AND status <> "
                      "'pending'", (fid,))[0][0]
    # Killed once the job is well into the file (beyond the lines refused at the check).
    t0 = time.time()
    poll(lambda: processed() > expected_check + BIG_LINES // 4, 600, every=0.5)
    print(f'a quarter in {time.time() - t0:.1f} s')
    kill(big)
    at_kill = processed()
    assert at_kill < BIG_LINES, 'the file was done before the kill: nothing tested'
    big.start()

    def status():
        s = q(big, 'SELECT status FROM order_file WHERE id = ?', (fid,))[0][0]
        return s if s in ('done', 'done_with_errors') else None
    assert poll(status, 1200) == 'done_with_errors'
    elapsed = time.time() - started
    print(f'{BIG_LINES} lines: upload {upload_s:.1f} s, all {elapsed:.1f} s')
    rows = q(big, 'SELECT reference, status, reason, txn_id FROM order_line WHERE file_id = ?',
             (fid,))
    assert len(rows) == BIG_LINES and all(r[1] != 'pending' for r in rows)
    # Each payment exactly once: one transaction per reference paid, none for the others.
    counts = dict(q(big, "SELECT order_ref, count(*) FROM txn WHERE order_ref LIKE 'BIG-%' "
                         "GROUP BY order_ref"))
    for reference, state, reason, txn in rows:
        kind = kinds[reference]
        if kind == 'check':
            assert state == 'refused' and reason == 'card_number' and txn == 0
            assert reference not in counts
        else:
            assert counts.get(reference) == 1, reference
            assert state == ('accepted' if kind == 'accepted' else 'refused'), reference
    f = q(big, 'SELECT lines, accepted, refused FROM order_file WHERE id = ?', (fid,))[0]
    accepted = sum(1 for k in kinds.values() if k == 'accepted')
    assert tuple(f) == (BIG_LINES, accepted, BIG_LINES - accepted)
    if not PG:
        assert q(big, 'PRAGMA integrity_check')[0][0] == 'ok'
