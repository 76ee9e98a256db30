"""The merchant API's card aliases, installment plans and subscriptions (SPEC §9, §16.1):
every route, each refusal, idempotency, and nothing recorded on bad input. The server's
clock is pinned to NOW, 2026-11-20 in Paris, whatever GUICHET_TEST_NOW."""
import json
import uuid

import pytest

from conftest import Server, q, secrets_in

VISA = '4111111111111111'
MC = '5555555555554444'
REFUSED = '4000000000000002'

# The dates and card expiries below are about this day, whatever GUICHET_TEST_NOW: a
# Friday in Paris, the subscriptions' months ahead crossing a year's end and a February.
NOW = '2026-11-20T14:30:00+01:00'


def card(number=VISA, expiry='1230', cvv=None):
    c = {'number': number, 'expiry': expiry}
    if cvv:
        c['cvv'] = cvv
    return c


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp('recurring')), now=NOW)
    s.other = s.add_brand('OTHERBRAND', transactions=0, seed=3)
    s.start()
    yield s
    assert s.stop() == 0
    log = s.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    assert secrets_in(log, [x['hmac_key'] for x in s.demo['shops']]) == []


def counts(srv):
    return q(srv, 'SELECT (SELECT count(*) FROM txn), (SELECT count(*) FROM recurring), '
                  '(SELECT count(*) FROM card_alias), (SELECT count(*) FROM recurring_debit)')[0]


def plan_body(srv, days=(0, 30, 60), amounts=(3334, 3333, 3333), number=VISA, **extra):
    b = {'currency': 'EUR', 'order_ref': 'PNF-' + uuid.uuid4().hex[:8],
         'email': 'buyer@example.com', 'card': card(number),
         'installments': [{'amount': a, 'date': srv.paris_day(d)}
                          for a, d in zip(amounts, days)]}
    b.update(extra)
    return b


def sub_body(srv, **extra):
    b = {'currency': 'EUR', 'order_ref': 'ABO-' + uuid.uuid4().hex[:8],
         'email': 'buyer@example.com', 'card': card(), 'initial_amount': 1000,
         'amount': 500, 'count': 3, 'every_months': 1, 'day_of_month': 31,
         'start': srv.paris_day(5)}
    b.update(extra)
    return b


# -- aliases ------------------------------------------------------------------------------

def test_alias_create_pay_delete(srv):
    r = srv.api('POST', '/api/v1/aliases', {'card': card(MC)})
    assert r.status_code == 201, r.text
    a = r.json()
    assert a['alias'].startswith('al_') and len(a['alias']) == 35
    assert a['card_masked'] == '555555******4444' and a['expiry'] == '1230'
    assert a['payment_method'] == 'MASTERCARD'
    assert MC not in r.text
    body = {'amount': 2500, 'currency': 'EUR', 'order_ref': 'AL-1', 'alias': a['alias'],
            'cvv': '123', 'capture': 'auto'}
    p = srv.api('POST', '/api/v1/payments', body)
    assert p.status_code == 201, p.text
    assert p.json()['status'] == 'accepted' and p.json()['card']['masked'] == a['card_masked']
    assert p.json()['alias'] == a['alias']
    # Without a CVV too: an alias pays later, the cardholder away.
    body.pop('cvv')
    assert srv.api('POST', '/api/v1/payments', body).json()['status'] == 'accepted'
    path = '/api/v1/aliases/' + a['alias']
    d = srv.api('DELETE', path)
    assert d.status_code == 204 and d.text == ''
    again = srv.api('DELETE', path)
    assert again.status_code == 422 and again.json()['error'] == 'unknown_alias'
    before = counts(srv)
    p = srv.api('POST', '/api/v1/payments', body)
    assert p.status_code == 422 and p.json()['error'] == 'unknown_alias', p.text
    assert counts(srv) == before
    # The deleted alias keeps its row for the record, not its card number.
    assert q(srv, 'SELECT card_sealed, card_fp FROM card_alias WHERE alias = ?',
             (a['alias'],)) == [(None, None)]


def test_alias_save_at_payment(srv):
    r = srv.pay(save_alias=True)
    assert r.status_code == 201 and r.json()['status'] == 'accepted'
    alias = r.json()['alias']
    assert alias.startswith('al_')
    p = srv.api('POST', '/api/v1/payments', {'amount': 990, 'currency': 'EUR',
                                             'order_ref': 'AL-2', 'alias': alias})
    assert p.json()['status'] == 'accepted'
    # A refused card gets no alias.
    r = srv.pay(card=REFUSED, save_alias=True)
    assert r.json()['status'] == 'refused' and r.json()['alias'] is None


def test_alias_refusals(srv):
    before = counts(srv)
    for body, field in [
            ({'card': card(expiry='13')}, 'card.expiry'),
            ({'card': card('4111111111111112')}, 'card.number'),
            ({'card': card(), 'extra': 1}, 'extra'),
            ({}, 'card'),
            ({'card': 'x'}, 'card')]:
        r = srv.api('POST', '/api/v1/aliases', body)
        assert r.status_code == 400 and r.json().get('field') == field, (body, r.text)
    r = srv.api('POST', '/api/v1/aliases', {'card': card(expiry='1025')})
    assert r.status_code == 422 and r.json()['error'] == 'card_expired'
    r = srv.api('POST', '/api/v1/payments', {'amount': 100, 'currency': 'EUR',
                                             'order_ref': 'X', 'alias': 'al_' + '0' * 32})
    assert r.status_code == 422 and r.json()['error'] == 'unknown_alias'
    r = srv.api('POST', '/api/v1/payments', {'amount': 100, 'currency': 'EUR', 'order_ref': 'X',
                                             'alias': 'al_' + '0' * 32, 'card': card(cvv='123')})
    assert r.status_code == 400 and r.json()['field'] == 'alias'
    r = srv.api('POST', '/api/v1/payments', {'amount': 100, 'currency': 'EUR', 'order_ref': 'X',
                                             'alias': 'al_' + '0' * 32, 'cvv': 'abc'})
    assert r.status_code == 400 and r.json()['field'] == 'cvv'
    r = srv.api('POST', '/api/v1/payments', {'amount': 100, 'currency': 'EUR', 'order_ref': 'X',
                                             'alias': 42})
    assert r.status_code == 400 and r.json()['field'] == 'alias'
    # A path that is no alias's name, and a wrong signature.
    assert srv.api('DELETE', '/api/v1/aliases/%27%20OR%201').status_code == 404
    r = srv.api('DELETE', '/api/v1/aliases/al_x', signature='00' * 64)
    assert r.status_code == 401
    assert counts(srv) == before


def test_alias_of_another_brand(srv):
    mine = srv.api('POST', '/api/v1/aliases', {'card': card()}).json()['alias']
    theirs = srv.other['shops'][0]
    body = {'amount': 100, 'currency': 'EUR', 'order_ref': 'X', 'alias': mine}
    r = srv.api('POST', '/api/v1/payments', body, shop=theirs)
    assert r.status_code == 422 and r.json()['error'] == 'unknown_alias'
    r = srv.api('DELETE', '/api/v1/aliases/' + mine, shop=theirs)
    assert r.status_code == 422 and r.json()['error'] == 'unknown_alias'
    body = plan_body(srv)
    del body['card']
    body['alias'] = mine
    r = srv.api('POST', '/api/v1/installment-plans', body, shop=theirs)
    assert r.status_code == 422 and r.json()['error'] == 'unknown_alias'
    # Another shop of the same brand may use it: aliases belong to the account.
    r = srv.api('POST', '/api/v1/payments', {'amount': 100, 'currency': 'EUR',
                                             'order_ref': 'X', 'alias': mine}, shop=1)
    assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text


# -- installment plans --------------------------------------------------------------------

def test_plan_created_first_decided(srv):
    body = plan_body(srv, amount=10000)
    r = srv.api('POST', '/api/v1/installment-plans', body)
    assert r.status_code == 201, r.text
    p = r.json()
    assert p['kind'] == 'plan' and p['status'] == 'in_progress'
    assert p['count'] == 3 and p['amount'] == 10000 and p['remaining'] == 2
    assert p['alias'] is None  # the card's alias is kept, never named
    assert p['card_masked'] == '411111******1111' and p['card_expiry'] == '1230'
    first, second, third = p['installments']
    assert first['status'] == 'accepted' and first['payment_id'] is not None
    assert (first['number'], first['amount'], first['date']) == (1, 3334, srv.paris_day())
    assert second['status'] == 'planned' and second['payment_id'] is None
    assert p['next_date'] == srv.paris_day(30) and p['next_amount'] == 3333
    t = srv.api('GET', '/api/v1/payments/' + first['payment_id']).json()
    assert t['amount_initial'] == 3334 and t['order_ref'] == body['order_ref']
    g = srv.api('GET', '/api/v1/installment-plans/' + p['id'])
    assert g.status_code == 200 and g.json() == p
    # Another shop, the other kind's route, another brand: not found.
    assert srv.api('GET', '/api/v1/installment-plans/' + p['id'], shop=1).status_code == 404
    assert srv.api('GET', '/api/v1/subscriptions/' + p['id']).status_code == 404
    assert srv.api('GET', '/api/v1/installment-plans/' + p['id'],
                   shop=srv.other['shops'][0]).status_code == 404
    assert q(srv, 'SELECT count(*) FROM card_alias WHERE id = (SELECT alias_id FROM recurring '
                  'WHERE id = ?) AND implicit = 1', (p['id'],)) == [(1,)]


def test_plan_first_refused(srv):
    r = srv.api('POST', '/api/v1/installment-plans', plan_body(srv, number=REFUSED))
    assert r.status_code == 201
    p = r.json()
    assert p['status'] == 'failed' and p['next_date'] is None and p['remaining'] == 0
    assert [i['status'] for i in p['installments']] == ['refused', 'cancelled', 'cancelled']
    assert p['end_reason'] == 'acquirer_refused'


def test_plan_with_alias_and_will_fail(srv):
    alias = srv.api('POST', '/api/v1/aliases', {'card': card(expiry='1226')}).json()['alias']
    body = plan_body(srv, days=(0, 45))
    body['amount'] = 6667
    body['installments'] = body['installments'][:2]
    body['installments'][1]['amount'] = 3333
    del body['card']
    body['alias'] = alias
    r = srv.api('POST', '/api/v1/installment-plans', body)
    assert r.status_code == 201, r.text
    p = r.json()
    # The card runs out at the end of December; the second installment is in January.
    assert p['status'] == 'will_fail' and p['alias'] == alias
    d = srv.api('DELETE', '/api/v1/aliases/' + alias)
    assert d.status_code == 409 and d.json()['error'] == 'alias_in_use'


def test_plan_refusals(srv):
    before = counts(srv)
    cases = [
        (plan_body(srv, days=(0, 30, 60, 70, 80), amounts=(1, 1, 1, 1, 1)), 400, 'installments'),
        (plan_body(srv, days=(0,), amounts=(100,)), 400, 'installments'),
        (plan_body(srv, days=(0, 30, 20)), 400, 'installments'),
        (plan_body(srv, days=(0, 30, 30)), 400, 'installments'),
        (plan_body(srv, days=(0, 91)), 400, 'installments'),
        (plan_body(srv, days=(-1, 30)), 400, 'installments'),
        (plan_body(srv, days=(367, 370)), 400, 'installments'),
        (plan_body(srv, amounts=(100, 0, 100)), 400, 'installments'),
        (plan_body(srv, amounts=(100, -5, 100)), 400, 'installments'),
        (plan_body(srv, amount=9999), 400, 'amount'),
        (plan_body(srv, currency='XXX'), 400, 'currency'),
        (plan_body(srv, email='nope'), 400, 'email'),
        (plan_body(srv, order_ref=''), 400, 'order_ref'),
        (plan_body(srv, installments='3x'), 400, 'installments'),
        (plan_body(srv, installments=[{'amount': 1, 'date': '2026-13-01'}] * 2), 400,
         'installments'),
        (plan_body(srv, installments=[{'amount': 1.5, 'date': srv.paris_day()}] * 2), 400,
         'installments'),
        (plan_body(srv, card={'number': VISA, 'expiry': '1230', 'cvv': '12'}), 400, 'card.cvv'),
        (plan_body(srv, capture='auto'), 400, 'capture'),
        # An unknown member inside an installment is answered once (a fuzzer's finding:
        # tests/fuzz/corpus/api/finding-installment-unknown-member).
        (plan_body(srv, installments=[{'amount': 1, 'date': srv.paris_day()},
                                      {'amount': 1, ' date': srv.paris_day(1)}]), 400, ' date'),
        (plan_body(srv, installments=[{'amount': 1, 'date': srv.paris_day()}, 7]), 400,
         'installments'),
    ]
    for body, status, field in cases:
        r = srv.api('POST', '/api/v1/installment-plans', body)
        assert r.status_code == status and r.json().get('field') == field, (body, r.text)
    # 90 days exactly is allowed; the card that expires before the first debit is not.
    r = srv.api('POST', '/api/v1/installment-plans',
                plan_body(srv, card=card(expiry='1026')))
    assert r.status_code == 422 and r.json()['error'] == 'card_expires_too_soon'
    r = srv.api('POST', '/api/v1/installment-plans', raw=b'{"currency":')
    assert r.status_code == 400 and r.json()['error'] == 'bad_json'
    assert counts(srv) == before
    ok = srv.api('POST', '/api/v1/installment-plans',
                 plan_body(srv, days=(0, 90), amounts=(150, 150)))
    assert ok.status_code == 201, ok.text


def test_plan_idempotency(srv):
    body = plan_body(srv)
    h = {'Idempotency-Key': 'plan-' + uuid.uuid4().hex}
    before = counts(srv)
    a = srv.api('POST', '/api/v1/installment-plans', body, headers=h)
    b = srv.api('POST', '/api/v1/installment-plans', body, headers=h)
    assert a.status_code == b.status_code == 201 and a.json() == b.json()
    after = counts(srv)
    assert after[1] == before[1] + 1 and after[0] == before[0] + 1
    c = srv.api('POST', '/api/v1/installment-plans', dict(body, order_ref='other'), headers=h)
    assert c.status_code == 409 and c.json()['error'] == 'idempotency_conflict'
    assert counts(srv) == after


# -- subscriptions ------------------------------------------------------------------------

def test_subscription_created(srv):
    body = sub_body(srv)
    r = srv.api('POST', '/api/v1/subscriptions', body)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s['kind'] == 'subscription' and s['status'] == 'in_progress'
    assert (s['initial_amount'], s['amount'], s['count'], s['every_months'],
            s['day_of_month']) == (1000, 500, 3, 1, 31)
    # The initial amount now; then the 31st clamped to each month's end from the start.
    debits = s['debits']
    assert debits[0]['number'] == 0 and debits[0]['status'] == 'accepted'
    assert [d['date'] for d in debits[1:]] == ['2026-11-30', '2026-12-31', '2027-01-31']
    assert all(d['status'] == 'planned' for d in debits[1:])
    assert s['next_date'] == '2026-11-30' and s['next_amount'] == 500 and s['remaining'] == 3
    assert srv.api('GET', '/api/v1/subscriptions/' + s['id']).json() == s


def test_subscription_unlimited_february(srv):
    r = srv.api('POST', '/api/v1/subscriptions',
                sub_body(srv, initial_amount=0, count=0, day_of_month=30,
                         start='2027-01-31'))
    assert r.status_code == 201, r.text
    s = r.json()
    assert s['remaining'] is None and s['debits'][0]['number'] == 1
    # Start on the 31st, day 30: the first debit the next month's 30th... clamped in
    # February to the 28th (2027 is no leap year), then every month.
    assert [d['date'] for d in s['debits']][:3] == ['2027-02-28', '2027-03-30', '2027-04-30']
    assert len(s['debits']) == 6


def test_subscription_starting_today(srv):
    r = srv.api('POST', '/api/v1/subscriptions',
                sub_body(srv, initial_amount=0, day_of_month=20, start=srv.paris_day()))
    s = r.json()
    assert r.status_code == 201 and s['done'] == 1
    assert s['debits'][0]['status'] == 'accepted' and s['debits'][0]['date'] == srv.paris_day()


def test_subscription_refusals(srv):
    before = counts(srv)
    for extra, field in [
            ({'day_of_month': 0}, 'day_of_month'), ({'day_of_month': 32}, 'day_of_month'),
            ({'every_months': 0}, 'every_months'), ({'every_months': 13}, 'every_months'),
            ({'count': 1}, 'count'), ({'count': -1}, 'count'), ({'count': '3'}, 'count'),
            ({'amount': 0}, 'amount'), ({'initial_amount': -1}, 'initial_amount'),
            ({'start': srv.paris_day(-1)}, 'start'), ({'start': srv.paris_day(367)}, 'start'),
            ({'start': '20261201'}, 'start'), ({'installments': []}, 'installments')]:
        r = srv.api('POST', '/api/v1/subscriptions', sub_body(srv, **extra))
        assert r.status_code == 400 and r.json().get('field') == field, (extra, r.text)
    r = srv.api('POST', '/api/v1/subscriptions', sub_body(srv, card=card(expiry='1126')))
    assert r.status_code == 201  # the initial debit today, the card good until the 30th
    before = counts(srv)
    r = srv.api('POST', '/api/v1/subscriptions',
                sub_body(srv, initial_amount=0, card=card(expiry='1126'),
                         start=srv.paris_day(20)))
    assert r.status_code == 422 and r.json()['error'] == 'card_expires_too_soon'
    assert counts(srv) == before


def test_subscription_initial_refused(srv):
    r = srv.api('POST', '/api/v1/subscriptions', sub_body(srv, card=card(REFUSED)))
    s = r.json()
    assert r.status_code == 201 and s['status'] == 'failed' and s['next_date'] is None
    assert s['debits'][0]['status'] == 'refused'


def test_plan_body_too_big_and_wrong_types(srv):
    before = counts(srv)
    r = srv.api('POST', '/api/v1/subscriptions', raw=json.dumps(
        sub_body(srv, order_ref='x' * 300000)).encode())
    assert r.status_code == 413
    r = srv.api('POST', '/api/v1/subscriptions', raw=b'[1,2]')
    assert r.status_code == 400
    assert counts(srv) == before
