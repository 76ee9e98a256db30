"""The back office of installment plans and subscriptions (SPEC §9, §16.1; Vision manual
§6.1, §7.1): the journals with every filter and keyset pages, the details with every debit,
terminate with its action-log line, the exports, the transaction details' link to its plan;
and each refusal: bad filters, missing dates, another brand's id, out of the node's scope,
profiles without the right, a missing CSRF token, terminating twice. Plans and subscriptions
are made through the merchant API; the server's clock is pinned (conftest TEST_NOW) and its
own scheduler is off: the debits come from `guichetd recurring run`."""
import csv
import io
import subprocess
import uuid

from datetime import date, datetime

import pytest

from conftest import GUICHETD, PARIS, Server, q, secrets_in
from test_signin import ready_user

VISA = '4111111111111111'
WIDE = 'from=2020-01-01&to=2099-12-31'


@pytest.fixture(scope='module')
def rb(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('recurring_bo')), transactions=0)
    srv.other = srv.add_brand('OTHERBRAND', transactions=0, seed=3)
    srv.start('--recurring-every', 'off')
    srv.users = {p: ready_user(srv, f'demo.{p}')
                 for p in ('consultation', 'action', 'admin', 'entry', 'hmac')}
    # A few of each, in two shops, for the filters: made once for the module.
    srv.plans = [make_plan(srv, n=n, shop=n % 2, email=f'pnf{n}@example.com',
                           ref=f'PNF-{n}-{uuid.uuid4().hex[:6]}') for n in (2, 3, 4)]
    srv.subs = [make_sub(srv, shop=i % 2, every=i + 1, day=28 + i, count=(0, 3)[i % 2],
                         ref=f'ABO-{i}-{uuid.uuid4().hex[:6]}') for i in range(3)]
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    assert secrets_in(log, [s['hmac_key'] for s in srv.demo['shops']]) == []


def make_plan(srv, n=3, shop=0, email='buyer@example.com', ref=None, amount=1000, expiry='1230'):
    body = {'currency': 'EUR', 'order_ref': ref or 'PNF-' + uuid.uuid4().hex[:8],
            'email': email, 'card': {'number': VISA, 'expiry': expiry},
            'installments': [{'amount': amount + k, 'date': srv.paris_day(30 * k)}
                             for k in range(n)]}
    r = srv.api('POST', '/api/v1/installment-plans', body, shop=shop)
    assert r.status_code == 201, r.text
    return r.json()


def make_sub(srv, shop=0, every=1, day=31, count=3, ref=None, start=5):
    body = {'currency': 'EUR', 'order_ref': ref or 'ABO-' + uuid.uuid4().hex[:8],
            'email': 'abonne@example.com', 'card': {'number': VISA, 'expiry': '1230'},
            'initial_amount': 1500, 'amount': 990, 'count': count, 'every_months': every,
            'day_of_month': day, 'start': srv.paris_day(start)}
    r = srv.api('POST', '/api/v1/subscriptions', body, shop=shop)
    assert r.status_code == 201, r.text
    return r.json()


def get(srv, path, profile='consultation'):
    s, _ = srv.users[profile]
    return s.get(srv.base + path)


def post(srv, path, body=None, profile='action', csrf=True, raw=None):
    s, token = srv.users[profile]
    headers = {'X-CSRF-Token': token} if csrf else {}
    if raw is not None:
        return s.post(srv.base + path, data=raw, headers=dict(headers, **{
            'Content-Type': 'application/json'}))
    return s.post(srv.base + path, json=body, headers=headers)


def ids(srv, path, query, profile='consultation', limit=2):
    """Every id of a journal's search, page after page (limit rows a page)."""
    out, cursor = [], None
    while True:
        r = get(srv, f'{path}?{query}&limit={limit}' + (f'&cursor={cursor}' if cursor else ''),
                profile)
        assert r.status_code == 200, r.text
        out += [i['id'] for i in r.json()['items']]
        cursor = r.json()['next']
        if cursor is None:
            return out


def db_ids(srv, kind, where='1 = 1', args=()):
    return [str(r[0]) for r in q(srv, f"SELECT r.id FROM recurring r JOIN shop s ON s.id = "
                                      f"r.shop_id JOIN contract c ON c.id = r.contract_id "
                                      f"WHERE r.brand_id = 1 AND r.kind = ? AND {where} "
                                      f"ORDER BY r.created_at DESC, r.id DESC",
                                 (kind, *args))]


def dn(day):
    """The Paris day number (days since 1970-01-01) of YYYY-MM-DD, as stored."""
    return (date.fromisoformat(day) - date(1970, 1, 1)).days


LIVE = "r.status IN ('in_progress', 'will_fail') AND "


def recurring_run(srv, date):
    out = subprocess.run([GUICHETD, 'recurring', 'run', '--db', srv.db, '--date', date, '--json',
                          *srv.clock()], capture_output=True, text=True, timeout=120, env=srv.env)
    assert out.returncode == 0, out.stderr
    return out.stdout


# -- the journals --------------------------------------------------------------------------

def test_journals_page_newest_first(rb):
    for path, kind in (('/bo/api/installment-plans', 'plan'),
                       ('/bo/api/subscriptions', 'subscription')):
        got = ids(rb, path, WIDE)
        assert got == db_ids(rb, kind) and len(got) >= 3
        r = get(rb, f'{path}?{WIDE}')
        assert r.json()['next'] is None
        item = r.json()['items'][0]
        assert item['kind'] == kind and item['site'] in {sh['site'] for sh in rb.demo['shops']}
        assert {'id', 'status', 'created_at', 'order_ref', 'card_expiry', 'email',
                'next_amount', 'next_date', 'remaining', 'site', 'rang', 'contract_number',
                'shop_name', 'card_masked', 'currency'} <= set(item)
        assert VISA not in r.text
    sub = get(rb, f'/bo/api/subscriptions?{WIDE}').json()['items']
    assert all({'every_months', 'day_of_month', 'initial_amount'} <= set(s) for s in sub)
    unlimited = [s for s in sub if s['count'] == 0]
    assert unlimited and all(s['remaining'] is None for s in unlimited)


def test_every_filter(rb):
    plan = rb.plans[1]
    sub = rb.subs[1]
    contract = q(rb, 'SELECT c.number, s.rang FROM recurring r JOIN contract c ON c.id = '
                     'r.contract_id JOIN shop s ON s.id = r.shop_id WHERE r.id = ?',
                 (int(plan['id']),))[0]
    today = rb.paris_day()
    cases = [
        ('plan', f'id={plan["id"]}', 'r.id = ?', (int(plan['id']),)),
        ('plan', 'status=in_progress', "r.status = 'in_progress'", ()),
        ('plan', 'status=terminated', "r.status = 'terminated'", ()),
        ('plan', f'contract={contract[0]}', 'c.number = ?', (contract[0],)),
        ('plan', f'rang={contract[1]}', 's.rang = ?', (contract[1],)),
        ('plan', 'order_ref=PNF-3%25', "r.order_ref LIKE 'PNF-3%'", ()),
        ('plan', 'order_ref=%25-4-%25', "r.order_ref LIKE '%-4-%'", ()),
        ('plan', f'order_ref={plan["order_ref"]}', 'r.order_ref = ?', (plan['order_ref'],)),
        ('plan', 'type=3', 'r.count = 3', ()),
        ('plan', 'amount=eq:1001', LIVE + 'r.next_amount = 1001', ()),
        ('plan', 'amount=ge:1001', LIVE + 'r.next_amount >= 1001', ()),
        ('plan', 'amount=le:1000', LIVE + 'r.next_amount <= 1000', ()),
        ('plan', 'amount=ne:1001', LIVE + 'r.next_amount <> 1001', ()),
        ('plan', f'next_from={rb.paris_day(30)}&next_to={rb.paris_day(30)}',
         LIVE + 'r.next_day = ?', (dn(rb.paris_day(30)),)),
        ('plan', f'next_to={today}', LIVE + 'r.next_day <= ?', (dn(today),)),
        ('plan', 'email=PNF3@example.com', "r.email = 'pnf3@example.com'", ()),
        ('plan', 'card_expiry=1230', "r.card_expiry = '1230'", ()),
        ('plan', 'card_expiry=0131', '1 = 0', ()),
        ('plan', 'currency=EUR', "r.currency = 'EUR'", ()),
        ('plan', 'currency=USD', '1 = 0', ()),
        ('subscription', f'id={sub["id"]}', 'r.id = ?', (int(sub['id']),)),
        ('subscription', 'order_ref=ABO-%25', "r.order_ref LIKE 'ABO-%'", ()),
        ('subscription', 'amount=eq:990', LIVE + 'r.next_amount = 990', ()),
        ('subscription', f'next_from={rb.paris_day(8)}', LIVE + 'r.next_day >= ?',
         (dn(rb.paris_day(8)),)),
        ('subscription', 'email=abonne@example.com', '1 = 1', ()),
    ]
    for kind, query, where, args in cases:
        path = '/bo/api/installment-plans' if kind == 'plan' else '/bo/api/subscriptions'
        want = db_ids(rb, kind, where, args)
        assert ids(rb, path, f'{WIDE}&{query}') == want, query
    # The creation period: today's, and none the day before.
    assert len(ids(rb, '/bo/api/installment-plans', f'from={today}&to={today}')) >= 3
    yesterday = rb.paris_day(-1)
    assert ids(rb, '/bo/api/installment-plans', f'from={yesterday}&to={yesterday}') == []


def test_bad_filters_and_missing_dates(rb):
    bad = [('', 'from'), ('from=2026-01-01', 'to'), ('to=2026-01-01', 'from'),
           ('from=2026-02-01&to=2026-01-01', 'to'), ('from=2026-02-30&to=2026-03-01', 'from'),
           (f'{WIDE}&status=running', 'status'), (f'{WIDE}&type=5', 'type'),
           (f'{WIDE}&type=x', 'type'), (f'{WIDE}&amount=gt:5', 'amount'),
           (f'{WIDE}&amount=ge:-1', 'amount'), (f'{WIDE}&card_expiry=1330', 'card_expiry'),
           (f'{WIDE}&card_expiry=12300', 'card_expiry'), (f'{WIDE}&currency=XXX', 'currency'),
           (f'{WIDE}&rang=12', 'rang'), (f'{WIDE}&next_from=2026-13-01', 'next_from'),
           (f'{WIDE}&next_from=2026-12-02&next_to=2026-12-01', 'next_to'),
           (f'{WIDE}&id=0', 'id'), (f'{WIDE}&node=x', 'node'), (f'{WIDE}&limit=501', 'limit'),
           (f'{WIDE}&cursor=abc', 'cursor'), (f'{WIDE}&nothing=1', 'query'),
           (f'{WIDE}&email=%01', 'query'), (f'{WIDE}&format=csv', 'query'),
           (f'{WIDE}&from=2021-01-01', 'from')]
    for query, field in bad:
        r = get(rb, '/bo/api/installment-plans?' + query)
        assert r.status_code == 400, query
        assert r.json()['error'] == 'invalid_field' and r.json()['field'] == field, (query, r.text)
    # A plan's type is no subscription filter.
    r = get(rb, f'/bo/api/subscriptions?{WIDE}&type=3')
    assert r.status_code == 400 and r.json()['field'] == 'query'
    for path in ('/bo/api/installment-plans/export?from=2026-01-01',
                 f'/bo/api/subscriptions/export?{WIDE}&format=xls',
                 f'/bo/api/subscriptions/export?{WIDE}&cursor=1.1'):
        assert get(rb, path).status_code == 400, path


# -- details ------------------------------------------------------------------------------

def test_plan_details_with_every_installment(rb):
    plan = rb.plans[2]  # 4 installments, the first made at creation
    r = get(rb, f'/bo/api/installment-plans/{plan["id"]}')
    assert r.status_code == 200, r.text
    d = r.json()
    assert d['kind'] == 'plan' and d['status'] == 'in_progress' and d['count'] == 4
    assert [i['number'] for i in d['installments']] == [1, 2, 3, 4]
    first = d['installments'][0]
    assert first['status'] == 'accepted' and first['payment_id'] == plan['installments'][0][
        'payment_id']
    assert [i['status'] for i in d['installments'][1:]] == ['planned'] * 3
    assert d['remaining'] == 3 and d['next_date'] == rb.paris_day(30)
    assert d['operations'] == {'terminate': False}  # consultation may not
    assert get(rb, f'/bo/api/installment-plans/{plan["id"]}', 'action').json()[
        'operations'] == {'terminate': True}
    assert VISA not in r.text
    # A plan is no subscription, and the reverse.
    assert get(rb, f'/bo/api/subscriptions/{plan["id"]}').status_code == 404
    assert get(rb, f'/bo/api/installment-plans/{rb.subs[0]["id"]}').status_code == 404
    assert get(rb, '/bo/api/installment-plans/999999').status_code == 404
    assert get(rb, f'/bo/api/installment-plans/{plan["id"]}?x=1').status_code == 400


def test_subscription_details_made_and_to_come(rb):
    sub = rb.subs[0]  # unlimited, every month on the 28th, from today + 5 days
    d = get(rb, f'/bo/api/subscriptions/{sub["id"]}').json()
    assert d['kind'] == 'subscription' and d['every_months'] == 1 and d['day_of_month'] == 28
    made = [x for x in d['debits'] if x['status'] != 'planned']
    to_come = [x for x in d['debits'] if x['status'] == 'planned']
    assert made[0]['number'] == 0 and made[0]['amount'] == 1500 and made[0]['payment_id']
    assert to_come and to_come[0]['date'] == d['next_date'] and d['remaining'] is None
    assert all(x['payment_id'] is None for x in to_come)


def test_transaction_details_link_to_their_plan(rb):
    plan = rb.plans[0]
    pid = plan['installments'][0]['payment_id']
    d = get(rb, f'/bo/api/transactions/{pid}').json()
    assert d['recurring'] == {'kind': 'plan', 'id': plan['id'], 'number': 1}
    sub = get(rb, f'/bo/api/subscriptions/{rb.subs[0]["id"]}').json()
    initial = sub['debits'][0]['payment_id']
    assert get(rb, f'/bo/api/transactions/{initial}').json()['recurring'] == {
        'kind': 'subscription', 'id': rb.subs[0]['id'], 'number': 0}
    one_off = rb.pay().json()
    assert get(rb, f'/bo/api/transactions/{one_off["id"]}').json()['recurring'] is None


# -- scope and profiles ---------------------------------------------------------------------

def test_another_brands_plan_is_not_found(rb):
    theirs = make_plan(rb, shop=rb.other['shops'][0])
    their_sub = make_sub(rb, shop=rb.other['shops'][0])
    before = q(rb, 'SELECT status FROM recurring WHERE id = ?', (int(theirs['id']),))
    for profile in ('consultation', 'admin'):
        assert get(rb, f'/bo/api/installment-plans/{theirs["id"]}', profile).status_code == 404
        assert get(rb, f'/bo/api/subscriptions/{their_sub["id"]}', profile).status_code == 404
    r = post(rb, f'/bo/api/installment-plans/{theirs["id"]}/terminate', {})
    assert r.status_code == 404
    r = post(rb, f'/bo/api/subscriptions/{their_sub["id"]}/terminate', {'reason': 'x'})
    assert r.status_code == 404
    assert q(rb, 'SELECT status FROM recurring WHERE id = ?', (int(theirs['id']),)) == before
    assert theirs['id'] not in ids(rb, '/bo/api/installment-plans', WIDE, 'admin', limit=50)
    assert their_sub['id'] not in ids(rb, '/bo/api/subscriptions', WIDE, 'admin', limit=50)
    # Another brand's node is no scope of ours.
    node = q(rb, 'SELECT id FROM node WHERE brand_id = 2 LIMIT 1')[0][0]
    assert get(rb, f'/bo/api/installment-plans?{WIDE}&node={node}').status_code == 404
    assert get(rb, f'/bo/api/subscriptions/export?{WIDE}&node={node}').status_code == 404


def test_node_scope(rb):
    from test_users import ready_user_with, spooled_password
    shop0 = q(rb, "SELECT id FROM shop WHERE site = ? AND rang = ? AND env = 'production'",
              (rb.shop(0)['site'], rb.shop(0)['rang']))[0][0]
    admin_s, admin_csrf = rb.users['admin']
    r = admin_s.post(rb.base + '/bo/api/users', headers={'X-CSRF-Token': admin_csrf},
                     json={'login': 'paul.boutique', 'name': 'Paul Boutique',
                           'email': 'paul.boutique@example.com', 'profile': 'action',
                           'node_id': shop0})
    assert r.status_code == 201, r.text
    s, csrf = ready_user_with(rb, 'paul.boutique',
                              spooled_password(rb, 'paul.boutique@example.com'))
    rb.users['shop'] = (s, csrf)
    mine = db_ids(rb, 'plan', 'r.shop_id = ?', (shop0,))
    assert mine and ids(rb, '/bo/api/installment-plans', WIDE, 'shop') == mine
    other = db_ids(rb, 'plan', 'r.shop_id <> ?', (shop0,))[0]
    assert get(rb, f'/bo/api/installment-plans/{other}', 'shop').status_code == 404
    r = post(rb, f'/bo/api/installment-plans/{other}/terminate', {}, profile='shop')
    assert r.status_code == 404
    assert q(rb, 'SELECT status FROM recurring WHERE id = ?', (int(other),)) == [('in_progress',)]
    # node= a node above one's own, or beside it: not found; one's own: the same journal.
    brand_node = q(rb, "SELECT id FROM node WHERE brand_id = 1 AND level = 'brand'")[0][0]
    assert get(rb, f'/bo/api/installment-plans?{WIDE}&node={brand_node}',
               'shop').status_code == 404
    assert ids(rb, '/bo/api/installment-plans', f'{WIDE}&node={shop0}', 'shop') == mine
    # A brand user narrows with node=.
    assert ids(rb, '/bo/api/installment-plans', f'{WIDE}&node={shop0}', 'admin') == mine


def test_profiles(rb):
    plan = rb.plans[0]
    for profile in ('entry', 'hmac'):
        for path in (f'/bo/api/installment-plans?{WIDE}', f'/bo/api/subscriptions?{WIDE}',
                     f'/bo/api/installment-plans/{plan["id"]}',
                     f'/bo/api/installment-plans/export?{WIDE}'):
            assert get(rb, path, profile).status_code == 403, (profile, path)
        r = post(rb, f'/bo/api/installment-plans/{plan["id"]}/terminate', {}, profile=profile)
        assert r.status_code == 403
    r = post(rb, f'/bo/api/installment-plans/{plan["id"]}/terminate', {},
             profile='consultation')
    assert r.status_code == 403
    r = post(rb, f'/bo/api/subscriptions/{rb.subs[0]["id"]}/terminate', {'reason': 'x'},
             profile='consultation')
    assert r.status_code == 403
    assert q(rb, 'SELECT status FROM recurring WHERE id IN (?, ?)',
             (int(plan['id']), int(rb.subs[0]['id']))) == [('in_progress',)] * 2


# -- terminate --------------------------------------------------------------------------

def test_terminate_a_plan(rb):
    plan = make_plan(rb, n=3)
    path = f'/bo/api/installment-plans/{plan["id"]}/terminate'
    # A plan takes no reason, and a write needs the CSRF token.
    r = post(rb, path, {'reason': 'no'})
    assert r.status_code == 400 and r.json()['field'] == 'reason'
    r = post(rb, path, {}, csrf=False)
    assert r.status_code == 403 and r.json()['error'] == 'csrf'
    assert q(rb, 'SELECT status FROM recurring WHERE id = ?', (int(plan['id']),)) == [
        ('in_progress',)]
    r = post(rb, path, raw=b'')
    assert r.status_code == 200, r.text
    d = r.json()
    assert d['status'] == 'terminated' and d['ended_by_login'] == 'demo.action'
    assert d['next_date'] is None and d['remaining'] == 0
    assert [i['status'] for i in d['installments']] == ['accepted', 'cancelled', 'cancelled']
    assert d['operations'] == {'terminate': False}
    # Twice: 409, nothing changed.
    again = post(rb, path, {})
    assert again.status_code == 409 and again.json()['error'] == 'not_in_progress'
    assert q(rb, "SELECT details, user_login FROM action_log WHERE action = 'plan_terminated'"
                 " AND details LIKE ?", (f'%plan {plan["id"]}',)) == [
        (f'installment plan {plan["id"]}', 'demo.action')]
    assert get(rb, f'/bo/api/installment-plans?{WIDE}&status=terminated&id={plan["id"]}'
               ).json()['items'][0]['id'] == plan['id']


def test_terminate_a_subscription_with_its_reason(rb):
    sub = make_sub(rb, count=0)
    path = f'/bo/api/subscriptions/{sub["id"]}/terminate'
    for body in ({'reason': 'x' * 251}, {'reason': 'a\u0007b'}, {'reason': 5},
                 {'reason': 'ok', 'more': 1}):
        r = post(rb, path, body)
        assert r.status_code == 400, body
    r = post(rb, path, raw=b'{"reason":')
    assert r.status_code == 400
    assert q(rb, 'SELECT status FROM recurring WHERE id = ?', (int(sub['id']),)) == [
        ('in_progress',)]
    reason = 'Le client déménage à l’étranger'
    r = post(rb, path, {'reason': reason}, profile='admin')
    assert r.status_code == 200, r.text
    assert r.json()['status'] == 'terminated' and r.json()['end_reason'] == reason
    assert r.json()['ended_by_login'] == 'demo.admin'
    assert [x['status'] for x in r.json()['debits']] == ['accepted']  # nothing to come
    assert post(rb, path, {'reason': 'again'}).status_code == 409
    assert q(rb, "SELECT details FROM action_log WHERE action = 'subscription_terminated' "
                 "AND user_login = 'demo.admin'") == [
        (f'subscription {sub["id"]}, reason: {reason}',)]
    # Without a reason, too (an empty one is none).
    other = make_sub(rb)
    assert post(rb, f'/bo/api/subscriptions/{other["id"]}/terminate', {}).status_code == 200
    blank = make_sub(rb)
    r = post(rb, f'/bo/api/subscriptions/{blank["id"]}/terminate', {'reason': ''})
    assert r.status_code == 200 and r.json()['end_reason'] is None


def test_terminated_then_the_scheduler_makes_no_more_debit(rb):
    plan = make_plan(rb, n=2)
    sub = make_sub(rb, start=1, count=3)
    kept = make_plan(rb, n=2)
    assert post(rb, f'/bo/api/installment-plans/{plan["id"]}/terminate', {}).status_code == 200
    assert post(rb, f'/bo/api/subscriptions/{sub["id"]}/terminate', {}).status_code == 200
    recurring_run(rb, rb.paris_day(120))
    txns = lambda rid: q(rb, 'SELECT count(*) FROM recurring_debit WHERE recurring_id = ? AND '
                             'txn_id IS NOT NULL', (int(rid),))[0][0]
    assert txns(plan['id']) == 1 and txns(sub['id']) == 1  # the first debits only
    assert txns(kept['id']) == 2  # the one not terminated went on
    d = get(rb, f'/bo/api/installment-plans/{kept["id"]}').json()
    assert d['status'] == 'finished' and all(i['payment_id'] for i in d['installments'])
    second = d['installments'][1]['payment_id']
    assert get(rb, f'/bo/api/transactions/{second}').json()['recurring'] == {
        'kind': 'plan', 'id': kept['id'], 'number': 2}
    assert post(rb, f'/bo/api/installment-plans/{kept["id"]}/terminate', {}).status_code == 409


# -- exports ------------------------------------------------------------------------------

def test_exports_in_the_users_columns_and_zone(rb):
    s, csrf = rb.users['consultation']
    r = get(rb, f'/bo/api/installment-plans/export?{WIDE}&format=csv')
    assert r.status_code == 200 and r.headers['Content-Type'].startswith('text/csv')
    assert 'installment-plans.csv' in r.headers['Content-Disposition']
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ['id', 'status', 'count']
    assert [row[0] for row in rows[1:]] == ids(rb, '/bo/api/installment-plans', WIDE)
    assert VISA not in r.text
    # The user's columns, and the user's time zone.
    p = s.patch(rb.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': csrf},
                json={'columns': {'subscriptions': ['id', 'created_at', 'every_months',
                                                    'day_of_month', 'remaining']}})
    assert p.status_code == 200, p.text
    assert p.json()['columns']['subscriptions'] == ['id', 'created_at', 'every_months',
                                                    'day_of_month', 'remaining']
    assert 'every_months' not in p.json()['available_columns']['installment_plans']
    r = get(rb, f'/bo/api/subscriptions/export?{WIDE}&format=txt&order_ref=ABO-%25')
    assert r.status_code == 200 and r.headers['Content-Type'].startswith('text/plain')
    lines = r.text.splitlines()
    assert lines[0] == 'id\tcreated_at\tevery_months\tday_of_month\tremaining'
    body = [line.split('\t') for line in lines[1:]]
    assert [b[0] for b in body] == ids(rb, '/bo/api/subscriptions', f'{WIDE}&order_ref=ABO-%25')
    offset = datetime.fromtimestamp(rb.now(), PARIS).strftime('%z')
    assert all(b[1].endswith(offset[:3] + ':' + offset[3:]) for b in body)  # Paris time
    assert 'unlimited' in {b[4] for b in body}
    bad = s.patch(rb.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': csrf},
                  json={'columns': {'installment_plans': ['every_months']}})
    assert bad.status_code == 400


def test_export_streams_many_pages(tmp_path):
    """More rows than a page of the export (5,000): every one, in order, once."""
    srv = Server(str(tmp_path), transactions=0)
    srv.start('--recurring-every', 'off')
    try:
        srv.users = {'consultation': ready_user(srv, 'demo.consultation')}
        plan = make_plan(srv, n=2)
        # Copies of one plan beside the server, as the benchmark makes them.
        q(srv, 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5200) '
               'INSERT INTO recurring(brand_id, shop_id, contract_id, kind, status, alias_id, '
               'method, currency, order_ref, email, card_masked, card_expiry, amount, count, '
               'start_day, done, next_day, next_amount, created_at, updated_at) SELECT '
               'brand_id, shop_id, contract_id, kind, status, alias_id, method, currency, '
               "order_ref || '-' || i, email, card_masked, card_expiry, amount, count, "
               'start_day, done, next_day, next_amount, created_at + i, updated_at FROM '
               'recurring, n WHERE id = ?', (int(plan['id']),))
        r = get(srv, f'/bo/api/installment-plans/export?{WIDE}')
        assert r.status_code == 200
        lines = r.text.splitlines()
        want = db_ids(srv, 'plan')
        assert len(want) == 5201 and [l.split(',')[0] for l in lines[1:]] == want
    finally:
        assert srv.stop() == 0
