"""The recurring payments' scheduler (SPEC §9, §16.1): `guichetd recurring run --date D` makes
every installment and subscription debit due up to D exactly once, also run twice, two at
once, and beside a server making payments; the server's own round does the same on today.
The clock is pinned to NOW (2026-11-20 in Paris, whatever GUICHET_TEST_NOW); the command runs "as of" a
later date to play the months ahead."""
import json
import subprocess
import threading
import uuid

import pytest

from conftest import GUICHETD, Server, q, wait_for

VISA = '4111111111111111'

# The dates and card expiries below are about this day, whatever GUICHET_TEST_NOW: a
# Friday in Paris, the months ahead crossing a year's end, a card running out in December.
NOW = '2026-11-20T14:30:00+01:00'


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp('recurring-run')), now=NOW).start(
        '--recurring-every', 'off')
    yield s
    assert s.stop() == 0
    log = s.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log


def run(srv, date, *extra, check=True, now=None):
    """The round as of date, at the server's time (or at now: the date's morning, when the
    card's expiry must be judged on that day)."""
    clock = ('--now', now) if now else srv.clock()
    out = subprocess.run([GUICHETD, 'recurring', 'run', '--db', srv.db, '--date', date, '--json',
                          *clock, *extra],
                         capture_output=True, text=True, env=srv.env, timeout=120)
    if not check:
        return out
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def plan(srv, days=(0, 30, 60), amounts=(1000, 1000, 1000), number=VISA, expiry='1230'):
    r = srv.api('POST', '/api/v1/installment-plans', {
        'currency': 'EUR', 'order_ref': 'PNF-' + uuid.uuid4().hex[:8],
        'card': {'number': number, 'expiry': expiry},
        'installments': [{'amount': a, 'date': srv.paris_day(d)} for a, d in zip(amounts, days)]})
    assert r.status_code == 201, r.text
    return r.json()


def subscription(srv, start=1, expiry='1230', **extra):
    body = {'currency': 'EUR', 'order_ref': 'ABO-' + uuid.uuid4().hex[:8],
            'card': {'number': VISA, 'expiry': expiry}, 'initial_amount': 0, 'amount': 700,
            'count': 2, 'every_months': 1, 'day_of_month': 15, 'start': srv.paris_day(start)}
    body.update(extra)
    r = srv.api('POST', '/api/v1/subscriptions', body)
    assert r.status_code == 201, r.text
    return r.json()


def get(srv, x):
    kind = 'installment-plans' if x['kind'] == 'plan' else 'subscriptions'
    return srv.api('GET', f'/api/v1/{kind}/{x["id"]}').json()


def debits_of(srv, rid):
    return q(srv, 'SELECT number, status, txn_id FROM recurring_debit WHERE recurring_id = ? '
                  'ORDER BY number', (rid,))


def test_months_played_once_each(srv):
    p = plan(srv)
    s = subscription(srv)  # the 15th of December and of January
    assert run(srv, srv.paris_day())['debits'] == 0
    first = run(srv, srv.paris_day(30))  # 2026-12-20
    assert first['debits'] >= 2 and first['refused'] == 0
    assert run(srv, srv.paris_day(30))['debits'] == 0  # run twice: nothing more
    p1, s1 = get(srv, p), get(srv, s)
    assert [i['status'] for i in p1['installments']] == ['accepted', 'accepted', 'planned']
    assert p1['next_date'] == srv.paris_day(60) and p1['remaining'] == 1
    assert s1['done'] == 1 and s1['debits'][0]['date'] == '2026-12-15'
    assert s1['next_date'] == '2027-01-15'
    run(srv, srv.paris_day(60))
    p2, s2 = get(srv, p), get(srv, s)
    assert p2['status'] == 'finished' and p2['next_date'] is None and p2['remaining'] == 0
    assert s2['status'] == 'finished' and [d['status'] for d in s2['debits']] == \
        ['accepted', 'accepted']
    # Each debit is a normal transaction of the plan's shop, order reference and amount.
    ids = [i['payment_id'] for i in p2['installments']] + [d['payment_id'] for d in s2['debits']]
    assert len(set(ids)) == 5 and None not in ids
    for i in p2['installments']:
        t = srv.api('GET', '/api/v1/payments/' + i['payment_id']).json()
        assert t['order_ref'] == p['order_ref'] and t['amount_initial'] == 1000
        assert t['status'] == 'accepted' and t['acquirer_status'] == 'to_send'
        assert [h['action'] for h in t['history']] == ['creation']
    assert run(srv, srv.paris_day(400))['debits'] >= 0
    assert debits_of(srv, int(p['id'])) == [(n, 'accepted', int(i)) for n, i in
                                            zip((1, 2, 3), ids[:3])]
    # Ended, the plan's card serves nothing more: its implicit alias no longer holds it.
    assert q(srv, 'SELECT card_sealed, card_fp, deleted_at > 0 FROM card_alias WHERE id = '
                  '(SELECT alias_id FROM recurring WHERE id = ?)', (p['id'],)) == \
        [(None, None, 1)]


def test_catch_up_after_days_without_a_round(srv):
    s = subscription(srv, count=4, day_of_month=1)
    out = run(srv, srv.paris_day(95))  # 2027-02-23: December, January and February's 1st
    assert out['debits'] >= 3
    s1 = get(srv, s)
    assert s1['done'] == 3 and [d['date'] for d in s1['debits']][:3] == \
        ['2026-12-01', '2027-01-01', '2027-02-01']
    assert s1['next_date'] == '2027-03-01' and s1['remaining'] == 1


def test_refused_installment_fails_the_plan(srv):
    # The demo's VISA contract takes 100 to 500000: the second installment is above it.
    p = plan(srv, amounts=(1000, 600000, 1000))
    out = run(srv, srv.paris_day(30))
    assert out['refused'] >= 1 and out['failed'] >= 1
    p1 = get(srv, p)
    assert p1['status'] == 'failed' and p1['end_reason'] == 'amount_out_of_range'
    assert [i['status'] for i in p1['installments']] == ['accepted', 'refused', 'cancelled']
    t = srv.api('GET', '/api/v1/payments/' + p1['installments'][1]['payment_id']).json()
    assert t['status'] == 'refused' and t['refusal_reason'] == 'amount_out_of_range'
    assert run(srv, srv.paris_day(80))['debits'] >= 0
    assert get(srv, p) == p1  # nothing after a failure


def test_will_fail_then_fails(srv):
    # The card runs out at the end of December 2026: January's debit will fail.
    s = subscription(srv, expiry='1226', count=0)
    assert s['status'] == 'in_progress' and s['next_date'] == '2026-12-15'
    run(srv, '2026-12-15', now='2026-12-15T09:00:00+01:00')
    s1 = get(srv, s)
    assert s1['status'] == 'will_fail' and s1['next_date'] == '2027-01-15'
    run(srv, '2027-01-15', now='2027-01-15T09:00:00+01:00')
    s2 = get(srv, s)
    assert s2['status'] == 'failed' and s2['end_reason'] == 'card_expired'
    assert [d['status'] for d in s2['debits']] == ['accepted', 'refused']


def test_two_rounds_at_once_beside_payments(srv):
    made = [subscription(srv, start=3, day_of_month=23, count=2) for _ in range(120)]
    before = q(srv, 'SELECT count(*) FROM txn')[0][0]
    outs, pays = [], []

    def round_():
        outs.append(run(srv, srv.paris_day(3)))

    def payments():
        for _ in range(40):
            pays.append(srv.pay().status_code)

    threads = [threading.Thread(target=round_) for _ in range(3)] + \
        [threading.Thread(target=payments)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(pays) == {201}
    assert sum(o['debits'] for o in outs) == 120
    ids = ','.join(x['id'] for x in made)
    rows = q(srv, f'SELECT recurring_id, count(*), count(DISTINCT txn_id) FROM recurring_debit '
                  f'WHERE recurring_id IN ({ids}) GROUP BY recurring_id')
    assert len(rows) == 120 and all(n == 1 and d == 1 for _, n, d in rows)
    assert q(srv, f'SELECT count(*) FROM recurring WHERE id IN ({ids}) AND done = 1')[0][0] == 120
    assert q(srv, 'SELECT count(*) FROM txn')[0][0] - before == 120 + 40


def test_usage(srv):
    out = subprocess.run([GUICHETD, 'recurring', 'run', '--db', srv.db], capture_output=True,
                         text=True, env=srv.env, timeout=30)
    assert out.returncode == 2 and '--date' in out.stderr
    assert run(srv, '2026-02-30', check=False).returncode == 2
    out = subprocess.run([GUICHETD, 'recurring', 'walk'], capture_output=True, text=True,
                         env=srv.env, timeout=30)
    assert out.returncode == 2
    out = run(srv, srv.paris_day(), check=False)
    assert out.returncode == 0


def test_server_round(tmp_path):
    s = Server(str(tmp_path), transactions=0, now=NOW).start('--recurring-every', 'off')
    try:
        p = plan(s, days=(0, 1), amounts=(500, 500))
        s.stop()
        s.set_clock('2026-11-21T09:00:00+01:00')
        s.start('--recurring-every', '1')
        wait_for(lambda: get(s, p)['status'] == 'finished')
        assert len({i['payment_id'] for i in get(s, p)['installments']}) == 2
        assert 'event=recurring_round' in s.read_log()
    finally:
        assert s.stop() == 0
