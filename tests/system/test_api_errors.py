"""The merchant API's error log as users read it (SPEC §14, §16.1; Ingenico guide 3.2.10;
README "API error log"): real refused calls of the merchant API (a wrong or missing signature,
a SITE/RANG of no shop, a bad field, an unknown member, an unknown alias, a payment of no
one) read back through GET /bo/api/api-errors and its export, with every filter, the paging
by key, the scope (a shop's user sees their shop's, nobody another brand's), each bad input
answered 400 naming it (or 404 for a node outside the scope), and nothing of a request's
body, card, signature or key in a row. The log is written once a second: the tests poll for
it (wait_for), never sleep a fixed time."""
import contextlib
import csv
import io
import json
import uuid

from datetime import datetime, timedelta

import pytest

from conftest import PARIS, PG, Server, connect, q, secrets_in, wait_for
from test_signin import ready_user, sign_in

VISA = '4111111111111111'
LIST = '/bo/api/api-errors'
EXPORT = '/bo/api/api-errors/export'
# Written in a refused request's body: must never come out of the log.
MARKER = 'SECRET-BODY-' + uuid.uuid4().hex[:8]


def ready(srv, login, password):
    """A user of another brand (whose password is in its own demo JSON), ready to work."""
    s, r = sign_in(srv, login, password=password)
    assert r.status_code == 200, r.text
    csrf = r.json()['csrf']
    p = s.post(srv.base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
               json={'old': password, 'new': 'Autre-Chemin-2027'})
    assert p.status_code == 200, p.text
    s.post(srv.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf}, json={'accept': True})
    return s, csrf


def get(srv, path, profile='consultation'):
    s, _ = srv.users[profile]
    return s.get(srv.base + path)


def shop_id(srv, i, demo=None):
    shop = (demo or srv.demo)['shops'][i]
    return q(srv, "SELECT id FROM shop WHERE site = ? AND rang = ? AND env = 'production'",
             (shop['site'], shop['rang']))[0][0]


def payment(**extra):
    body = {'amount': 1234, 'currency': 'EUR', 'order_ref': MARKER, 'email': 'a@example.com',
            'card': {'number': VISA, 'expiry': '1230', 'cvv': '123'}, 'capture': 'auto'}
    body.update(extra)
    return body


def logged(srv, profile='consultation', query=''):
    """Every row the list gives the user, page after page."""
    items, cursor = [], None
    while True:
        r = get(srv, f'{LIST}?limit=500{query}' + (f'&cursor={cursor}' if cursor else ''),
                profile)
        assert r.status_code == 200, r.text
        items += r.json()['items']
        cursor = r.json()['next']
        if cursor is None:
            return items


def total(items, code, path=None):
    return sum(i['count'] for i in items
               if i['code'] == code and (path is None or i['path'] == path))


@pytest.fixture(scope='module')
def ae(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('api_errors')), transactions=0)
    srv.other = srv.add_brand('OTHERBRAND', transactions=0, seed=3)
    srv.start()
    srv.users = {p: ready_user(srv, f'demo.{p}')
                 for p in ('consultation', 'action', 'admin', 'entry', 'hmac')}
    other_admin = next(u for u in srv.other['users'] if u['profile'] == 'admin')
    srv.users['other'] = ready(srv, other_admin['login'], other_admin['password'])
    # A user of the second shop only.
    from test_users import ready_user_with, spooled_password
    s, csrf = srv.users['admin']
    r = s.post(srv.base + '/bo/api/users', headers={'X-CSRF-Token': csrf},
               json={'login': 'lea.boutique', 'name': 'Léa Boutique',
                     'email': 'lea.boutique@example.com', 'profile': 'consultation',
                     'node_id': shop_id(srv, 1)})
    assert r.status_code == 201, r.text
    srv.users['shop1'] = ready_user_with(srv, 'lea.boutique',
                                         spooled_password(srv, 'lea.boutique@example.com'))
    # The refusals, each answered as the merchant API answers them.
    srv.answers = {}
    key = srv.shop(0)['hmac_key']
    srv.bad_sig = 'ab' * 64
    for _ in range(3):
        srv.answers['bad_signature'] = srv.api('POST', '/api/v1/payments', payment(),
                                               signature=srv.bad_sig)
    srv.answers['missing_signature'] = srv.api('POST', '/api/v1/payments', payment(),
                                               headers={'X-Guichet-Signature': None})
    srv.answers['invalid_field'] = srv.api('POST', '/api/v1/payments', payment(amount='12,34'))
    # An unknown member whose name is a card number: the row says "?", never the name.
    srv.answers['unknown_member'] = srv.api('POST', '/api/v1/payments',
                                            payment(**{'5555555555554444': 1}))
    srv.answers['unknown_alias'] = srv.api('POST', '/api/v1/payments', {
        'amount': 1234, 'currency': 'EUR', 'order_ref': MARKER, 'email': 'a@example.com',
        'alias': 'al_' + 'f' * 32, 'capture': 'auto'})
    srv.answers['not_found'] = srv.api('GET', '/api/v1/payments/999999999')
    # A SITE/RANG of no shop: nobody's log.
    srv.answers['unknown_shop'] = srv.api('POST', '/api/v1/payments', payment(),
                                          shop={'site': '9999999', 'rang': '999',
                                                'hmac_key': key})
    # The second shop, and the other brand's shop.
    srv.answers['shop1'] = srv.api('POST', '/api/v1/payments/999999998/cancel', {}, shop=1)
    srv.answers['other'] = srv.api('POST', '/api/v1/payments', payment(),
                                   shop=srv.other['shops'][0], signature=srv.bad_sig)
    for name, status in (('bad_signature', 401), ('missing_signature', 401),
                         ('invalid_field', 400), ('unknown_member', 400),
                         ('unknown_alias', 422), ('not_found', 404), ('unknown_shop', 401),
                         ('shop1', 404), ('other', 401)):
        assert srv.answers[name].status_code == status, (name, srv.answers[name].text)
    # Written once a second: polled for.
    assert wait_for(lambda: q(srv, 'SELECT coalesce(sum(count), 0) FROM api_error')[0][0] >= 10)
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    assert secrets_in(log, [s['hmac_key'] for s in srv.demo['shops']]) == []


def test_the_refusals_are_listed_with_what_the_api_answered(ae):
    items = logged(ae)
    assert total(items, 'bad_signature') == 3
    assert total(items, 'missing_signature') == 1
    row = next(i for i in items if i['code'] == 'bad_signature')
    assert set(row) == {'id', 'at', 'shop_id', 'shop_name', 'site', 'rang', 'method', 'path',
                        'http_status', 'code', 'field', 'message', 'count'}
    assert (row['method'], row['path'], row['http_status']) == ('POST', '/api/v1/payments', 401)
    assert (row['site'], row['rang']) == (ae.shop(0)['site'], ae.shop(0)['rang'])
    assert row['shop_id'] == shop_id(ae, 0) and row['shop_name']
    assert row['field'] is None
    # The message is the one the API answered with the code.
    for code in ('bad_signature', 'missing_signature', 'unknown_alias', 'not_found'):
        row = next(i for i in items if i['code'] == code and i['shop_id'] == shop_id(ae, 0))
        assert row['message'] == ae.answers[code].json()['message'], code
        assert row['http_status'] == ae.answers[code].status_code
    row = next(i for i in items if i['code'] == 'unknown_alias')
    assert (row['method'], row['path'], row['http_status']) == ('POST', '/api/v1/payments', 422)
    row = next(i for i in items if i['code'] == 'not_found' and i['shop_id'] == shop_id(ae, 0))
    assert (row['method'], row['path']) == ('GET', '/api/v1/payments/999999999')
    # An invalid field: the member named, and the code's message.
    bad = [i for i in items if i['code'] == 'invalid_field']
    assert sorted(i['field'] for i in bad) == ['?', 'amount'], bad
    assert all(i['message'] and i['http_status'] == 400 for i in bad)
    # A SITE/RANG of no shop is nobody's: not in the log.
    assert total(items, 'unknown_shop') == 0
    # The times: RFC 3339 with the user's offset (Paris), within the last minutes, newest
    # first.
    ats = [datetime.fromisoformat(i['at']) for i in items]
    assert ats == sorted(ats, reverse=True)
    assert all(i['at'][-6:] in ('+01:00', '+02:00') for i in items)
    assert all(abs(a.timestamp() - ae.now()) < 600 for a in ats)


def test_nothing_secret_in_the_rows(ae):
    r = get(ae, f'{LIST}?limit=500')
    e = get(ae, f'{EXPORT}?format=csv')
    keys = [s['hmac_key'] for s in ae.demo['shops']] + [ae.bad_sig]
    for text in (r.text, e.text):
        assert secrets_in(text, keys) == [], text
        assert MARKER not in text and '5555555555554444' not in text
        assert 'a@example.com' not in text and '12,34' not in text
    assert secrets_in(str(q(ae, 'SELECT * FROM api_error')), keys + [MARKER]) == []


def test_counted_per_minute_not_repeated(ae):
    rows = q(ae, "SELECT count FROM api_error WHERE code = 'bad_signature' AND brand_id = 1")
    assert sum(r[0] for r in rows) == 3 and len(rows) <= 2   # one row, two across a minute


def test_each_profile_that_searches_sees_its_scope(ae):
    everything = logged(ae, 'consultation')
    assert logged(ae, 'action') == everything == logged(ae, 'admin')
    for profile in ('entry', 'hmac'):
        for path in (LIST, f'{EXPORT}?format=csv'):
            r = get(ae, path, profile)
            assert r.status_code == 403 and r.json()['error'] == 'forbidden', (profile, path)
    # The second shop's user sees its shop's refusals, and only them.
    mine = logged(ae, 'shop1')
    assert mine and {i['shop_id'] for i in mine} == {shop_id(ae, 1)}
    assert mine == [i for i in everything if i['shop_id'] == shop_id(ae, 1)]
    assert (mine[0]['code'], mine[0]['path']) == ('not_found', '/api/v1/payments/999999998/cancel')
    # Another brand's refusals are its own.
    theirs = logged(ae, 'other')
    assert theirs and {i['shop_id'] for i in theirs} == {shop_id(ae, 0, ae.other)}
    assert not {i['id'] for i in theirs} & {i['id'] for i in everything}
    assert {i['shop_id'] for i in everything} <= {shop_id(ae, 0), shop_id(ae, 1)}


def test_node_scope(ae):
    shop0, shop1 = shop_id(ae, 0), shop_id(ae, 1)
    everything = logged(ae)
    assert logged(ae, query=f'&node={shop0}') == [i for i in everything if i['shop_id'] == shop0]
    brand = q(ae, "SELECT id FROM node WHERE brand_id = 1 AND level = 'brand'")[0][0]
    assert logged(ae, query=f'&node={brand}') == everything
    # A node above one's own or beside it, or another brand's: not found.
    foreign = q(ae, 'SELECT id FROM node WHERE brand_id = 2')
    for profile, node in [('shop1', brand), ('shop1', shop0)] + \
            [('consultation', n[0]) for n in foreign]:
        for path in (f'{LIST}?node={node}', f'{EXPORT}?format=csv&node={node}'):
            r = get(ae, path, profile)
            assert r.status_code == 404 and r.json()['error'] == 'not_found', (profile, path)
    assert logged(ae, 'shop1', f'&node={shop1}') == logged(ae, 'shop1')


def test_filters(ae):
    everything = logged(ae)
    cases = {
        '&code=bad_signature': lambda i: i['code'] == 'bad_signature',
        '&status=422': lambda i: i['http_status'] == 422,
        '&status=401&code=missing_signature': lambda i: i['code'] == 'missing_signature',
        '&path=999999999': lambda i: '999999999' in i['path'],
        '&path=PAYMENTS/99': lambda i: 'payments/99' in i['path'],
        '&path=%25': lambda i: False,                        # '%' is itself, not a wildcard
        '&path=_': lambda i: False,
        '&code=no_such_code': lambda i: False,
        '&status=599': lambda i: False,
    }
    for query, keep in cases.items():
        want = [i for i in everything if keep(i)]
        assert logged(ae, query=query) == want, query
    assert logged(ae, query='&code=bad_signature')
    # The period: today (the user's days) has them all; an hour ago to an hour before,
    # none.
    today = datetime.fromtimestamp(ae.now(), PARIS).date()
    assert logged(ae, query=f'&from={today}&to={today}') == everything
    earlier = datetime.fromtimestamp(ae.now() - 7200, PARIS).strftime('%Y-%m-%dT%H:%M')
    before = datetime.fromtimestamp(ae.now() - 3600, PARIS).strftime('%Y-%m-%dT%H:%M')
    assert logged(ae, query=f'&from={earlier}&to={before}') == []
    oldest = today - timedelta(days=3)
    assert logged(ae, query=f'&from={oldest}') == everything


def test_pages_by_key(ae):
    everything = logged(ae)
    seen, cursor, pages = [], None, 0
    while True:
        r = get(ae, f'{LIST}?limit=2' + (f'&cursor={cursor}' if cursor else ''))
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body['items']) <= 2
        seen += body['items']
        pages += 1
        cursor = body['next']
        if cursor is None:
            break
        assert len(body['items']) == 2
    assert seen == everything and pages == (len(everything) + 1) // 2
    # The answer says the period searched: by default the log's 3 days to the end of today.
    body = get(ae, LIST).json()
    start = datetime.fromisoformat(body['from'])
    end = datetime.fromisoformat(body['to'])
    today = datetime.fromtimestamp(ae.now(), PARIS).date()
    assert start.astimezone(PARIS).date() == today - timedelta(days=3)
    assert end.astimezone(PARIS).date() == today + timedelta(days=1)
    assert (start.astimezone(PARIS).hour, end.astimezone(PARIS).hour) == (0, 0)


@pytest.mark.parametrize('query,field', [
    ('from=2026-13-01', 'from'),
    ('from=yesterday', 'from'),
    ('to=2026-11-20T25:00', 'to'),
    ('cursor=abc', 'cursor'),
    ('cursor=12', 'cursor'),
    ('code=BAD!', 'code'),
    ('code=', 'code'),
    ('status=200', 'status'),
    ('status=abc', 'status'),
    ('status=600', 'status'),
    ('limit=0', 'limit'),
    ('limit=501', 'limit'),
    ('node=abc', 'node'),
    ('path=', 'path'),
    ('path=' + 'x' * 101, 'path'),
    ('body=1', 'query'),
    ('format=csv', 'query'),
    ('code=a&code=b', 'code'),
])
def test_bad_input_is_named(ae, query, field):
    r = get(ae, f'{LIST}?{query}')
    assert r.status_code == 400, r.text
    body = r.json()
    assert (body['error'], body['field']) == ('invalid_field', field), r.text
    assert body['message']


def test_a_period_beyond_the_3_days_is_refused_with_the_dates_allowed(ae):
    today = datetime.fromtimestamp(ae.now(), PARIS).date()
    oldest = today - timedelta(days=3)
    for query, field in ((f'from={today - timedelta(days=4)}', 'from'),
                         (f'from={today - timedelta(days=30)}&to={today}', 'from'),
                         (f'to={today + timedelta(days=1)}', 'to'),
                         (f'from={today}&to={today - timedelta(days=1)}', 'to'),
                         (f'from={today}T12:00&to={today}T11:59', 'to')):
        for path in (LIST, f'{EXPORT}?format=csv'):
            sep = '&' if '?' in path else '?'
            r = get(ae, f'{path}{sep}{query}')
            assert r.status_code == 400, (query, r.text)
            body = r.json()
            assert body['field'] == field, (query, r.text)
            assert '3 days' in body['message'] and str(oldest) in body['message']
            assert str(today) in body['message']


def test_export(ae):
    everything = logged(ae)
    r = get(ae, f'{EXPORT}?format=csv')
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'].startswith('text/csv')
    assert 'api-errors.csv' in r.headers['Content-Disposition']
    text = r.content.decode('utf-8')
    assert text.splitlines()[0] == ('at,shop,site,rang,method,path,http_status,code,field,'
                                    'message,count')
    rows = list(csv.DictReader(io.StringIO(text, newline='')))
    assert len(rows) == len(everything)
    for row, item in zip(rows, everything):
        assert datetime.fromisoformat(row['at']) == datetime.fromisoformat(item['at'])
        assert (row['shop'], row['site'], row['rang']) == (item['shop_name'], item['site'],
                                                           item['rang'])
        assert (row['method'], row['path'], row['code']) == (item['method'], item['path'],
                                                             item['code'])
        assert int(row['http_status']) == item['http_status']
        assert int(row['count']) == item['count'] and row['message'] == item['message']
        assert row['field'] == (item['field'] or '')
    # The filters and the scope, as the list's.
    r = get(ae, f'{EXPORT}?format=csv&code=bad_signature')
    rows = list(csv.DictReader(io.StringIO(r.content.decode(), newline='')))
    assert rows and {x['code'] for x in rows} == {'bad_signature'}
    r = get(ae, f'{EXPORT}?format=csv', 'shop1')
    rows = list(csv.DictReader(io.StringIO(r.content.decode(), newline='')))
    assert len(rows) == len(logged(ae, 'shop1'))
    # TXT: tab-separated.
    r = get(ae, f'{EXPORT}?format=txt')
    assert r.status_code == 200 and r.headers['Content-Type'].startswith('text/plain')
    assert r.text.splitlines()[0].split('\t')[:3] == ['at', 'shop', 'site']
    # Without a format it is CSV; a bad one is named; cursor and limit are the list's.
    assert get(ae, EXPORT).headers['Content-Type'].startswith('text/csv')
    for query, field in (('format=xml', 'format'), ('cursor=1.2', 'query'),
                         ('limit=5', 'query'), ('status=42', 'status')):
        r = get(ae, f'{EXPORT}?{query}')
        assert r.status_code == 400 and r.json()['field'] == field, (query, r.text)


def test_export_streams_many_pages(tmp_path):
    """More rows than an export page holds (5,000): every one comes, in order, once."""
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        shop = shop_id(srv, 0)
        now = srv.now_us()
        rows = [(1, shop, now - 1_000_000 * i, 'POST', f'/api/v1/payments/{i}', 404,
                 'not_found', 1) for i in range(12_000)]
        with contextlib.closing(connect(srv.db)) as db, db:
            db.executemany('INSERT INTO api_error(brand_id, shop_id, at, method, path, '
                           'http_status, code, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', rows)
        s, _ = ready_user(srv, 'demo.consultation')
        r = s.get(srv.base + f'{EXPORT}?format=csv&node={shop}')
        assert r.status_code == 200, r.text
        got = list(csv.DictReader(io.StringIO(r.content.decode(), newline='')))
        # Those of the last 3 days (12,000 seconds are less than a day: all of them).
        assert [x['path'] for x in got] == [f'/api/v1/payments/{i}' for i in range(12_000)]
        # The list's pages by key give the same, 500 at a time.
        seen, cursor = 0, None
        while True:
            r = s.get(srv.base + f'{LIST}?limit=500&node={shop}'
                      + (f'&cursor={cursor}' if cursor else ''))
            body = r.json()
            assert [i['path'] for i in body['items']] == \
                [f'/api/v1/payments/{i}' for i in range(seen, seen + len(body['items']))]
            seen += len(body['items'])
            cursor = body['next']
            if cursor is None:
                break
        assert seen == 12_000
    finally:
        assert srv.stop() == 0


def test_a_member_name_that_is_no_name_is_kept_as_a_question_mark(ae):
    """Unit rule in domain/api_error.c; here end to end: the answer names the member (the
    client's own text), the log does not keep it."""
    r = ae.answers['unknown_member']
    assert r.json()['field'] == '5555555555554444'
    assert q(ae, "SELECT count(*) FROM api_error WHERE field LIKE '%5555%'") == [(0,)]
    # The question mark a parameter: a literal one reads as a placeholder on PostgreSQL.
    assert q(ae, 'SELECT count(*) FROM api_error WHERE field = ?', ('?',))[0][0] == 1


def test_a_refusal_body_of_json_is_never_logged(ae):
    """The merchant API's JSON answer goes to the client as before; the log holds codes."""
    if PG:
        cols = [r[0] for r in q(ae, "SELECT column_name FROM information_schema.columns WHERE "
                                    "table_schema = current_schema() AND table_name = "
                                    "'api_error' ORDER BY ordinal_position")]
    else:
        cols = [r[1] for r in q(ae, 'PRAGMA table_info(api_error)')]
    # In any order: PostgreSQL's tables put the tenant first.
    assert sorted(cols) == sorted(['id', 'brand_id', 'shop_id', 'at', 'method', 'path',
                                   'http_status', 'code', 'count', 'field'])
    assert json.loads(ae.answers['invalid_field'].text)['field'] == 'amount'


def test_an_operation_refused_says_the_same_sentence_in_the_answer_and_the_log(ae):
    """A cancel of a cancelled payment: the answer's message is the rule's own sentence
    (domain/txn.c), and the log's row says the same."""
    p = ae.pay().json()
    path = f"/api/v1/payments/{p['id']}/cancel"
    assert ae.api('POST', path, {}).status_code == 200
    again = ae.api('POST', path, {})
    assert again.status_code in (409, 422), again.text
    code, message = again.json()['error'], again.json()['message']
    # The rule's sentence, not the status's general one.
    assert message not in ('The operation is not allowed.',
                           'The object changed; reload it and try again.'), again.text

    def row():
        return [i for i in logged(ae, query=f'&path={path}') if i['code'] == code]

    assert wait_for(row)
    assert row()[0]['message'] == message and row()[0]['http_status'] == again.status_code
