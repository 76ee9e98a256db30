"""The virtual terminal (SPEC §10, §13, §16.1; Vision manual §10): what the form offers
(GET /bo/api/manual-entries/options), a one-off payment, an installment plan and a
subscription entered by hand, each accepted and refused; every form error is 400 naming its
field and writes nothing; the profiles, the scope, CSRF; the cardholder's confirmation mail;
the action log's "manual_entry" line; the manual mark and archive reference in the journal."""
import time
import uuid

import pytest

from conftest import Server, q
from test_hmac_keys import U, mails, wait_mail
from test_second_factor import new_user

OTHER = 'TERMOTHER'
ACCEPTED = '4111111111111111'   # VISA, co-badged CB
DECLINED = '4000000000000002'   # the simulator's refusal
AMEX = '378282246310005'
ENTRIES = '/bo/api/manual-entries'


@pytest.fixture(scope='module')
def vt(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('terminal')), transactions=30)
    srv.other = srv.add_brand(OTHER, transactions=5, seed=7)
    srv.start()
    srv.users = {p: U(srv, f'demo.{p}') for p in ('entry', 'action', 'admin', 'consultation',
                                                  'hmac')}
    srv.shop_ids = [r[0] for r in q(srv, 'SELECT id FROM shop WHERE brand_id = 1 ORDER BY id')]
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    for card in (ACCEPTED, DECLINED, AMEX, '5555555555554444'):
        assert card not in log, 'a card number reached the log'


def enter(vt, body, user='entry', csrf=True):
    u = vt.users[user]
    h = {'X-CSRF-Token': u.csrf} if csrf else {}
    return u.s.post(vt.base + ENTRIES, json=body, headers=h, timeout=60)


def one_off(vt, **over):
    body = {'type': 'one_off', 'shop_id': vt.shop_ids[0], 'method': 'CB',
            'card': {'number': ACCEPTED, 'expiry': '1230'},
            'order_ref': 'VT-' + uuid.uuid4().hex[:10], 'amount': 4250}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def plan(vt, n=3, **over):
    body = {'type': 'installments', 'shop_id': vt.shop_ids[0], 'method': 'VISA',
            'card': {'number': ACCEPTED, 'expiry': '1230'},
            'order_ref': 'P-' + uuid.uuid4().hex[:10],
            'installments': [{'amount': 1000 + i, 'date': vt.paris_day(30 * i)}
                             for i in range(n)]}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def subscription(vt, **over):
    body = {'type': 'subscription', 'shop_id': vt.shop_ids[0], 'method': 'MASTERCARD',
            'card': {'number': '5555555555554444', 'expiry': '1230'},
            'order_ref': 'S-' + uuid.uuid4().hex[:10], 'initial_amount': 1500, 'amount': 990,
            'count': 12, 'every_months': 1, 'day_of_month': 31, 'start': vt.paris_day(1)}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def counts(vt):
    """What an entry writes: transactions, plans and subscriptions, action-log lines, mails."""
    return tuple(q(vt, f'SELECT count(*) FROM {t}')[0][0]
                 for t in ('txn', 'recurring', 'action_log', 'mail_outbox'))


def action_lines(vt, login):
    return [r[0] for r in q(vt, "SELECT details FROM action_log WHERE action = 'manual_entry' "
                                'AND user_login = ? ORDER BY id', (login,))]


# -- what the form offers --------------------------------------------------------------------


def test_options(vt):
    r = vt.users['entry'].call('GET', ENTRIES + '/options')
    assert r.status_code == 200, r.text
    o = r.json()
    assert o['methods'] == ['CB', 'VISA', 'MASTERCARD', 'E-BLEUE', 'AMEX', 'JCB']
    assert o['today'] == o['date_min'] == vt.paris_day()
    assert o['date_default'] == vt.paris_day(1) and o['date_max'] == vt.paris_day(7)
    assert o['limits']['archive_ref_max'] == 40
    assert o['limits']['installments_min'] == 2 and o['limits']['installments_max'] == 4
    # The shops of the brand with their active contracts among the six methods: exactly the
    # database's.
    want = {}
    for shop, cid, number, name, currency in q(
            vt, "SELECT c.shop_id, c.id, c.number, c.method, c.currency FROM contract c "
                'WHERE c.brand_id = 1 AND c.active = 1 ORDER BY c.id'):
        if name != 'PAYPAL':
            want.setdefault(shop, []).append(
                {'id': cid, 'number': number, 'method': name, 'currency': currency})
    got = {s['id']: [{k: c[k] for k in ('id', 'number', 'method', 'currency')}
                     for c in s['contracts']] for s in o['shops']}
    assert got == want
    assert {s['id'] for s in o['shops']} <= set(vt.shop_ids)
    assert all(s['name'] and s['site'] and s['rang'] for s in o['shops'])


def test_options_bad_query(vt):
    u = vt.users['entry']
    assert u.call('GET', ENTRIES + '/options?node=x').status_code == 400
    r = u.call('GET', ENTRIES + '/options?shop=1')
    assert r.status_code == 400 and r.json()['field'] == 'shop', r.text
    other = q(vt, 'SELECT min(id) FROM node WHERE brand_id = 2')[0][0]
    assert u.call('GET', f'{ENTRIES}/options?node={other}').status_code == 404


# -- a one-off payment -----------------------------------------------------------------------


@pytest.mark.parametrize('user', ['entry', 'action', 'admin'])
def test_one_off_accepted(vt, user):
    """Each allowed profile: accepted, marked manual with its archive reference, its bank date
    the effective date, its history naming the user, the action log's line, the mail."""
    address = f'holder.{user}@example.com'
    body = one_off(vt, date=vt.paris_day(3), archive_ref=f'ARCH-{user}',
                   confirmation_email=address)
    r = enter(vt, body, user)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a['type'] == 'one_off' and a['accepted'] is True and a['refusal_reason'] is None
    p = a['payment']
    assert p['status'] == 'accepted' and p['amount_initial'] == 4250
    assert p['currency'] == 'EUR' and p['payment_method'] == 'CB'
    assert p['manual'] is True and p['archive_ref'] == f'ARCH-{user}'
    assert p['bank_date'] == vt.paris_day(3)
    assert p['card']['masked'] == '411111******1111'
    login = f'demo.{user}'
    assert [h['user_login'] for h in p['history']] == [login]
    # Stored so, and shown so in the back office's details.
    assert q(vt, 'SELECT manual, archive_ref FROM txn WHERE id = ?', (int(p['id']),)) == \
        [(1, f'ARCH-{user}')]
    if user != 'entry':
        d = vt.users[user].call('GET', f"/bo/api/transactions/{p['id']}").json()
        assert d['manual'] is True and d['history'][0]['user_login'] == login
    line = action_lines(vt, login)[-1]
    assert 'type: one_off' in line and '42.50 EUR' in line and body['order_ref'] in line
    assert '411111******1111' in line and 'result: accepted' in line
    assert ACCEPTED not in line
    m = wait_mail(vt, lambda m: f'To: <{address}>' in m)
    assert f'ARCH-{user}' in m and '411111******1111' in m and body['order_ref'] in m
    assert '42.50 EUR' in m and ACCEPTED not in m


def test_one_off_refused_is_recorded_with_its_reason(vt):
    before = len(mails(vt))
    body = one_off(vt, card={'number': DECLINED, 'expiry': '1230'},
                   confirmation_email='refused@example.com')
    r = enter(vt, body)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a['accepted'] is False and a['refusal_reason'] == 'acquirer_refused'
    assert a['refusal_message']
    p = a['payment']
    assert p['status'] == 'refused' and p['refusal_reason'] == 'acquirer_refused' and p['manual']
    assert q(vt, 'SELECT status, refusal, manual FROM txn WHERE id = ?', (int(p['id']),)) == \
        [(1, 7, 1)]
    line = action_lines(vt, 'demo.entry')[-1]
    assert 'result: refused acquirer_refused' in line and body['order_ref'] in line
    # No confirmation of a refused payment.
    time.sleep(0.5)
    assert not [m for m in mails(vt)[before:] if 'To: <refused@example.com>' in m]


def test_one_off_dates(vt):
    """The effective date: tomorrow by default, today to a week ahead (Vision manual §10.1.1);
    it is the bank date."""
    for date, bank in ((None, 1), (vt.paris_day(), 0), (vt.paris_day(7), 7)):
        r = enter(vt, one_off(vt, date=date))
        assert r.status_code == 201, r.text
        assert r.json()['payment']['bank_date'] == vt.paris_day(bank)


def test_method_chooses_the_contract(vt):
    """VISA entered as VISA goes to the VISA contract; AMEX to AMEX's."""
    contracts = {m: n for n, m in q(vt, 'SELECT number, method FROM contract WHERE shop_id = ? '
                                        'AND active = 1', (vt.shop_ids[0],))}
    r = enter(vt, one_off(vt, method='VISA'))
    assert r.status_code == 201 and r.json()['payment']['payment_method'] == 'VISA'
    cid = q(vt, 'SELECT c.number FROM txn t JOIN contract c ON c.id = t.contract_id '
                'WHERE t.id = ?', (int(r.json()['payment']['id']),))[0][0]
    assert cid == contracts['VISA']
    r = enter(vt, one_off(vt, method='AMEX', card={'number': AMEX, 'expiry': '1230'}))
    assert r.status_code == 201 and r.json()['payment']['payment_method'] == 'AMEX', r.text


# -- installments and subscriptions ----------------------------------------------------------


def test_installments_accepted(vt):
    body = plan(vt, 3, archive_ref='ARCH-P3', confirmation_email='plan@example.com')
    r = enter(vt, body)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a['type'] == 'installments' and a['accepted'] is True
    p = a['plan']
    assert p['kind'] == 'plan' and p['status'] == 'in_progress' and p['manual'] is True
    assert p['archive_ref'] == 'ARCH-P3' and p['created_by_login'] == 'demo.entry'
    assert [(i['amount'], i['date'], i['status']) for i in p['installments']] == [
        (1000, vt.paris_day(), 'accepted'), (1001, vt.paris_day(30), 'planned'),
        (1002, vt.paris_day(60), 'planned')]
    assert a['payment']['manual'] is True and a['payment']['amount_initial'] == 1000
    assert a['payment']['archive_ref'] == 'ARCH-P3'
    # The first installment's history names who entered it; the scheduler's later ones none.
    assert q(vt, 'SELECT user_login FROM txn_history WHERE txn_id = ?',
             (a['payment']['id'],)) == [('demo.entry',)]
    line = action_lines(vt, 'demo.entry')[-1]
    assert 'type: installments' in line and '30.03 EUR' in line and 'result: accepted' in line
    m = wait_mail(vt, lambda m: 'To: <plan@example.com>' in m)
    assert 'ARCH-P3' in m and body['order_ref'] in m


def test_installments_refused(vt):
    r = enter(vt, plan(vt, 2, card={'number': DECLINED, 'expiry': '1230'}))
    assert r.status_code == 201, r.text
    a = r.json()
    assert a['accepted'] is False and a['refusal_reason'] == 'acquirer_refused'
    assert a['plan']['status'] == 'failed' and a['payment']['status'] == 'refused'
    assert 'result: refused acquirer_refused' in action_lines(vt, 'demo.entry')[-1]


def test_subscription_accepted(vt):
    r = enter(vt, subscription(vt, archive_ref='ARCH-S'))
    assert r.status_code == 201, r.text
    a = r.json()
    assert a['type'] == 'subscription' and a['accepted'] is True
    s = a['subscription']
    assert s['kind'] == 'subscription' and s['status'] == 'in_progress' and s['manual']
    assert (s['initial_amount'], s['amount'], s['count'], s['every_months'],
            s['day_of_month']) == (1500, 990, 12, 1, 31)
    # The initial amount charged at once, marked manual, in the name of who entered it.
    assert a['payment']['amount_initial'] == 1500 and a['payment']['manual'] is True
    assert q(vt, 'SELECT user_login FROM txn_history WHERE txn_id = ?',
             (a['payment']['id'],)) == [('demo.entry',)]
    assert 'type: subscription' in action_lines(vt, 'demo.entry')[-1]


def test_subscription_unlimited_without_initial(vt):
    r = enter(vt, subscription(vt, initial_amount=None, count=0, start=vt.paris_day(10)))
    assert r.status_code == 201, r.text
    a = r.json()
    assert a['accepted'] is True and a['payment'] is None
    assert a['subscription']['count'] == 0 and a['subscription']['remaining'] is None


def test_subscription_refused(vt):
    r = enter(vt, subscription(vt, card={'number': DECLINED, 'expiry': '1230'}, method='CB'))
    assert r.status_code == 201, r.text
    a = r.json()
    assert a['accepted'] is False and a['refusal_reason'] == 'acquirer_refused'
    assert a['subscription']['status'] == 'failed'


# -- form errors: 400 naming the field, nothing written ----------------------------------------

FORM_ERRORS = [
    ('type', lambda vt: one_off(vt, type='weekly')),
    ('type', lambda vt: one_off(vt, type=None)),
    ('shop_id', lambda vt: one_off(vt, shop_id='4')),
    ('shop_id', lambda vt: one_off(vt, shop_id=None)),
    ('method', lambda vt: one_off(vt, method='PAYPAL')),
    ('method', lambda vt: one_off(vt, method='visa')),
    ('method', lambda vt: one_off(vt, method='E-BLEUE')),   # no such contract
    ('order_ref', lambda vt: one_off(vt, order_ref=None)),
    ('order_ref', lambda vt: one_off(vt, order_ref='')),
    ('archive_ref', lambda vt: one_off(vt, archive_ref='A' * 41)),
    ('confirmation_email', lambda vt: one_off(vt, confirmation_email='not an address')),
    ('amount', lambda vt: one_off(vt, amount=None)),
    ('amount', lambda vt: one_off(vt, amount=0)),
    ('amount', lambda vt: one_off(vt, amount='12.50')),
    ('date', lambda vt: one_off(vt, date=vt.paris_day(-1))),
    ('date', lambda vt: one_off(vt, date=vt.paris_day(8))),
    ('date', lambda vt: one_off(vt, date='21/11/2026')),
    ('card', lambda vt: one_off(vt, card=None)),
    ('card.number', lambda vt: one_off(vt, card={'number': '4111111111111112',
                                                 'expiry': '1230'})),   # Luhn
    ('card.number', lambda vt: one_off(vt, card={'number': '41111111111', 'expiry': '1230'})),
    ('card.number', lambda vt: one_off(vt, method='VISA', card={'number': AMEX,
                                                                'expiry': '1230'})),
    ('card.number', lambda vt: one_off(vt, method='AMEX', card={'number': ACCEPTED,
                                                                'expiry': '1230'})),
    ('card.number', lambda vt: one_off(vt, card={'number': '6011111111111117',
                                                 'expiry': '1230'})),   # no scheme
    ('card.expiry', lambda vt: one_off(vt, card={'number': ACCEPTED, 'expiry': '1330'})),
    ('card.expiry', lambda vt: one_off(vt, card={'number': ACCEPTED, 'expiry': '0120'})),
    ('cvv', lambda vt: one_off(vt, card={'number': ACCEPTED, 'expiry': '1230', 'cvv': '123'})),
    ('installments', lambda vt: one_off(vt, installments=[])),   # not a one-off's field
    ('installments', lambda vt: plan(vt, 1)),
    ('installments', lambda vt: plan(vt, 5)),
    ('installments', lambda vt: plan(vt, 2, installments=[
        {'amount': 100, 'date': vt.paris_day()}, {'amount': 100, 'date': vt.paris_day(91)}])),
    ('installments', lambda vt: plan(vt, 2, installments=[
        {'amount': 100, 'date': vt.paris_day(5)}, {'amount': 100, 'date': vt.paris_day(2)}])),
    ('installments[0].date', lambda vt: plan(vt, 2, installments=[
        {'amount': 100, 'date': vt.paris_day(-1)}, {'amount': 100, 'date': vt.paris_day(2)}])),
    ('installments[1].amount', lambda vt: plan(vt, 2, installments=[
        {'amount': 100, 'date': vt.paris_day()}, {'amount': 0, 'date': vt.paris_day(2)}])),
    ('amount', lambda vt: subscription(vt, amount=None)),
    ('initial_amount', lambda vt: subscription(vt, initial_amount=-1)),
    ('count', lambda vt: subscription(vt, count=1)),
    ('every_months', lambda vt: subscription(vt, every_months=13)),
    ('day_of_month', lambda vt: subscription(vt, day_of_month=0)),
    ('start', lambda vt: subscription(vt, start=vt.paris_day(-1))),
    ('start', lambda vt: subscription(vt, start=None)),
]


@pytest.mark.parametrize('field,make', FORM_ERRORS,
                         ids=[f'{i}-{f}' for i, (f, _) in enumerate(FORM_ERRORS)])
def test_form_errors_write_nothing(vt, field, make):
    before = counts(vt)
    r = enter(vt, make(vt))
    assert r.status_code == 400, r.text
    body = r.json()
    assert body['error'] == 'invalid_field' and body['field'] == field, r.text
    assert body['message']
    for card in (ACCEPTED, AMEX):
        assert card not in r.text
    assert counts(vt) == before


def test_not_json(vt):
    before = counts(vt)
    u = vt.users['entry']
    r = u.s.post(vt.base + ENTRIES, data=b'{"type":', timeout=30,
                 headers={'X-CSRF-Token': u.csrf, 'Content-Type': 'application/json'})
    assert r.status_code == 400 and r.json()['error'] == 'bad_json'
    assert counts(vt) == before


# -- who may, where, CSRF --------------------------------------------------------------------


@pytest.mark.parametrize('user', ['consultation', 'hmac'])
def test_other_profiles_are_refused(vt, user):
    before = counts(vt)
    r = enter(vt, one_off(vt), user)
    assert r.status_code == 403, r.text
    assert vt.users[user].call('GET', ENTRIES + '/options').status_code == 403
    assert counts(vt) == before


def test_without_csrf_nothing_is_written(vt):
    before = counts(vt)
    r = enter(vt, one_off(vt), csrf=False)
    assert r.status_code == 403 and r.json()['error'] == 'csrf', r.text
    u = vt.users['entry']
    r = u.s.post(vt.base + ENTRIES, json=one_off(vt), headers={'X-CSRF-Token': '0' * 64})
    assert r.status_code == 403 and r.json()['error'] == 'csrf', r.text
    assert counts(vt) == before


def test_scope(vt):
    """Another brand's shop is unknown; an entry operator of a group enters for its shops
    only, and its options list them only."""
    before = counts(vt)
    other_shop = q(vt, 'SELECT min(id) FROM shop WHERE brand_id = 2')[0][0]
    r = enter(vt, one_off(vt, shop_id=other_shop))
    assert r.status_code == 404 and r.json()['error'] == 'unknown_shop', r.text
    group = q(vt, 'SELECT min(id) FROM node WHERE brand_id = 1 AND level = ?', ('group',))[0][0]
    r = enter(vt, one_off(vt, shop_id=group))
    assert r.status_code == 404, r.text
    assert counts(vt) == before
    mine = {r[0] for r in q(vt, 'SELECT id FROM node WHERE parent_id = ?', (group,))}
    vt.admin = (vt.users['admin'].s, vt.users['admin'].csrf)
    vt.users['group'] = u = new_user(vt, 'entry', group)
    o = u.call('GET', ENTRIES + '/options').json()
    assert {s['id'] for s in o['shops']} == mine & {s for s in vt.shop_ids}
    for sid in vt.shop_ids:
        r = enter(vt, one_off(vt, shop_id=sid), 'group')
        assert r.status_code == (201 if sid in mine else 404), (sid, r.text)


# -- the journal -------------------------------------------------------------------------------


def test_journal_marks_and_filters_manual_entries(vt):
    enter(vt, one_off(vt, archive_ref='ARCH-J'))
    u = vt.users['consultation']
    wide = 'from=2020-01-01&to=2099-12-31&limit=500'
    manual = u.call('GET', f'/bo/api/transactions?{wide}&manual=yes').json()['items']
    others = u.call('GET', f'/bo/api/transactions?{wide}&manual=no').json()['items']
    assert manual and all(t['manual'] for t in manual)
    assert others and not any(t['manual'] for t in others)
    assert len(manual) == q(vt, 'SELECT count(*) FROM txn WHERE brand_id = 1 AND manual = 1')[0][0]
    assert 'ARCH-J' in {t['archive_ref'] for t in manual}
    r = u.call('GET', f'/bo/api/transactions?{wide}&manual=maybe')
    assert r.status_code == 400 and r.json()['field'] == 'manual'
    # The export's columns "manual" and "archive_ref", when chosen.
    r = u.call('PATCH', '/bo/api/me/preferences',
               {'columns': {'transactions': ['id', 'order_ref', 'manual', 'archive_ref']}})
    assert r.status_code == 200, r.text
    r = u.call('GET', '/bo/api/transactions/export?format=csv&from=2020-01-01&to=2099-12-31'
                      '&manual=yes')
    assert r.status_code == 200, r.text
    lines = r.text.strip().splitlines()
    assert 'manual' in lines[0] and 'archive_ref' in lines[0]
    assert any(line.endswith(';yes;ARCH-J') or line.endswith(',yes,ARCH-J')
               for line in lines[1:]), lines[:3]
