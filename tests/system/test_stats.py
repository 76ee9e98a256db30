"""Home page statistics through HTTP (SPEC §12, Vision manual §3, §4.1.1): the counting rule
row by row, per method and per day, kept by every change."""
import os
import subprocess
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import GUICHETD, Server, connect
from test_signin import ready_user

PARIS = ZoneInfo('Europe/Paris')
METHODS = {1: 'CB', 2: 'VISA', 3: 'MASTERCARD', 4: 'E-BLEUE', 5: 'AMEX', 6: 'JCB', 7: 'PAYPAL'}
PERIOD = 'from=2020-01-01&to=2021-12-31'


@pytest.fixture(scope='module')
def st(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('stats')), transactions=1500).start()
    srv.user = ready_user(srv, 'demo.consultation')
    yield srv
    assert srv.stop() == 0


def stats(srv, frm, to):
    s, _ = srv.user
    r = s.get(srv.base + f'/bo/api/stats?from={frm}&to={to}')
    assert r.status_code == 200, r.text
    return r.json()


def expected(srv, frm, to):
    """The rule of Vision manual §4.1.1, computed here from the raw rows."""
    with connect(srv.db) as db:
        rows = db.execute('SELECT type, status, acq, method, amount_current, amount_refunded, '
                          'created_at FROM txn WHERE brand_id = 1').fetchall()
    count, turnover = 0, 0
    by = defaultdict(lambda: {'count': 0, 'debits': 0, 'amount': 0, 'refunds': 0, 'max': 0})
    daily = defaultdict(lambda: [0, 0])
    for typ, status, acq, method, cur, refunded, created in rows:
        day = datetime.fromtimestamp(created / 1e6, PARIS).strftime('%Y-%m-%d')
        if not (frm <= day <= to):
            continue
        counts = status == 0 and typ in (0, 1) and acq in (2, 3)
        if not counts:
            continue
        amount = cur + refunded
        m = by[METHODS[method]]
        m['count'] += 1
        count += 1
        daily[day][0] += 1
        if typ == 0:
            m['debits'] += 1
            m['amount'] += amount
            m['max'] = max(m['max'], amount)
            turnover += amount
            daily[day][1] += amount
        else:
            m['refunds'] += amount
            turnover -= amount
            daily[day][1] -= amount
    return count, turnover, by, daily


def rounded_mean(total, count):
    """The mean in minor units, half away from zero (amounts here are positive)."""
    return (2 * total + count) // (2 * count) if count else 0


def test_thirteen_months_match_the_raw_rows(st):
    frm, to = st.paris_day(-400), st.paris_day()
    got = stats(st, frm, to)
    count, turnover, by, daily = expected(st, frm, to)
    assert (got['count'], got['turnover']) == (count, turnover)
    assert {m['payment_method']: (m['count'], m['turnover'], m['amount'], m['max'],
                                  m['average_basket']) for m in got['by_method']} == {
        k: (v['count'], v['amount'] - v['refunds'], v['amount'], v['max'],
            rounded_mean(v['amount'], v['debits'])) for k, v in by.items()}
    # All methods together: debits, the largest basket, and their average.
    assert got['amount'] == sum(v['amount'] for v in by.values())
    assert got['max'] == max(v['max'] for v in by.values())
    assert got['average_basket'] == rounded_mean(sum(v['amount'] for v in by.values()),
                                                 sum(v['debits'] for v in by.values()))
    assert {d['date']: [d['count'], d['turnover']] for d in got['daily']} == dict(daily)
    # Each day's split per payment method adds up to the day (the curve's tooltip).
    for d in got['daily']:
        assert sum(m['count'] for m in d['by_method']) == d['count']
        assert sum(m['turnover'] for m in d['by_method']) == d['turnover']
    assert got['count'] > 1000


def test_every_change_moves_the_roll_ups(st):
    base = stats(st, st.paris_day(), st.paris_day())

    def delta():
        now = stats(st, st.paris_day(), st.paris_day())
        return now['count'] - base['count'], now['turnover'] - base['turnover']

    st.pay(amount=1000)                                  # debit to send: counts
    assert delta() == (1, 1000)
    st.pay(amount=500, card='4000000000000002')          # refused: does not
    assert delta() == (1, 1000)
    m = st.pay(amount=2000, capture='manual').json()     # awaiting capture: does not
    assert delta() == (1, 1000)
    st.api('POST', f"/api/v1/payments/{m['id']}/capture", {'amount': 1500})
    assert delta() == (2, 2500)                          # captured: counts for 1500
    c = st.pay(amount=700).json()
    assert delta() == (3, 3200)
    st.api('POST', f"/api/v1/payments/{c['id']}/cancel")  # cancelled: out again
    assert delta() == (2, 2500)
    out = subprocess.run([GUICHETD, 'batch', 'run', '--db', st.db, '--date', st.paris_day(),
                          '--spool', os.path.join(st.tmp, 'spool'), *st.clock()],
                         capture_output=True, text=True, timeout=60, env=st.env)
    assert out.returncode == 0, out.stderr
    assert delta() == (2, 2500)                          # sent: still counts, once
    st.api('POST', f"/api/v1/payments/{m['id']}/refund", {'amount': 400})
    assert delta() == (3, 2100)                          # a refund: counts, subtracts
    # And the whole still matches the raw rows.
    count, turnover, _, _ = expected(st, st.paris_day(), st.paris_day())
    assert (stats(st, st.paris_day(), st.paris_day())['count'], stats(st, st.paris_day(), st.paris_day())['turnover']) == (
        count, turnover)


@pytest.mark.parametrize('query', ['', 'from=2026-01-01', 'from=2026-02-01&to=2026-01-01',
                                   'from=2020-01-01&to=2026-01-01', 'from=2026-01-01&to=2026-13-01',
                                   'from=2026-01-01&to=2026-01-02&x=1'])
def test_bad_periods(st, query):
    s, _ = st.user
    r = s.get(st.base + '/bo/api/stats?' + query)
    assert r.status_code == 400 and r.json()['error'] == 'invalid_field'
