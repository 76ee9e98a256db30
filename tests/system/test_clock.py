"""Payments, a refund at the 75-day limit and the télécollecte across Paris midnight and the
summer-time changes, on a clock the test sets and moves (guichetd --now, conftest.Server).

The rules are day-based in Europe/Paris (SPEC §4, §6, §7): a bank date is a Paris day, the
75 days are Paris days, the daily télécollecte runs at a Paris wall time. Each test lives
through the instant itself, on a server pinned a few seconds before it (what is slow, a
sign-in and its Argon2id, comes after the instant).
"""
import csv
import io
import subprocess
import time
import uuid
from datetime import datetime

from conftest import GUICHETD, Server, q, rfc3339
from test_signin import ready_user


def at(instant):
    return datetime.fromisoformat(instant).timestamp()


def sleep_until(srv, instant):
    """Waits until the server's clock has passed instant (RFC 3339)."""
    time.sleep(max(0.0, at(instant) - srv.now() + 0.2))


def start_before(srv, boundary, before=5, *extra):
    """Starts srv so that its clock reaches boundary (RFC 3339) `before` seconds after it
    answers. A start takes time (seconds for the sanitized build on a busy machine), during
    which a pinned clock already runs: the pin goes back by what the last start took, and
    the server starts again while it answers too late."""
    lag = 0.0
    for _ in range(5):
        srv.set_clock(rfc3339(at(boundary) - before - lag))
        srv.start(*extra)
        left = at(boundary) - srv.now()
        if left >= before - 1:
            return srv
        assert srv.stop() == 0
        lag += before - left + 0.5
    raise AssertionError(f'the server never answered {before} s before {boundary}')


def pinned(tmp_path, boundary, before=5, *extra):
    srv = Server(str(tmp_path), transactions=0, now=rfc3339(at(boundary) - before))
    return start_before(srv, boundary, before, *extra)


def export(srv, session, order_ref):
    """The user's export (Paris time, their default zone) of the transactions whose order
    reference starts with order_ref: {order_ref: row}."""
    r = session.get(srv.base + '/bo/api/transactions/export?format=csv&from=2020-01-01'
                    f'&to=2099-12-31&order_ref={order_ref}%25')
    assert r.status_code == 200, r.text
    return {row['order_ref']: row for row in csv.DictReader(io.StringIO(r.text, newline=''))}


def day_count(srv, session, day):
    r = session.get(srv.base + f'/bo/api/stats?from={day}&to={day}')
    assert r.status_code == 200, r.text
    return r.json()['count']


def test_a_payment_across_paris_midnight_at_a_months_end(tmp_path):
    """23:59:59 on 28 February is still that day's bank date and statistics; a second later,
    1 March's."""
    srv = pinned(tmp_path, '2027-03-01T00:00:00+01:00')
    try:
        before = srv.pay(order_ref='MID-1').json()
        assert before['created_at'].startswith('2027-02-28T22:59:5'), before
        assert before['bank_date'] == '2027-02-28'
        sleep_until(srv, '2027-03-01T00:00:00+01:00')
        after = srv.pay(order_ref='MID-2').json()
        assert after['created_at'].startswith('2027-02-28T23:00:0'), after
        assert after['bank_date'] == '2027-03-01'
        s, _ = ready_user(srv, 'demo.consultation')
        assert (day_count(srv, s, '2027-02-28'), day_count(srv, s, '2027-03-01')) == (1, 1)
        rows = export(srv, s, 'MID-')
        assert rows['MID-1']['created_at'].startswith('2027-02-28T23:59:5')
        assert rows['MID-2']['created_at'].startswith('2027-03-01T00:00:0')
    finally:
        assert srv.stop() == 0


def test_payments_across_the_spring_change(tmp_path):
    """28 March 2027: 01:59:59 (UTC+1) is followed by 03:00:00 (UTC+2). Both payments are of
    that day, shown at their own offset."""
    srv = pinned(tmp_path, '2027-03-28T03:00:00+02:00')
    try:
        first = srv.pay(order_ref='SPRING-1').json()
        sleep_until(srv, '2027-03-28T03:00:00+02:00')
        second = srv.pay(order_ref='SPRING-2').json()
        assert first['bank_date'] == second['bank_date'] == '2027-03-28'
        s, _ = ready_user(srv, 'demo.consultation')
        rows = export(srv, s, 'SPRING-')
        assert rows['SPRING-1']['created_at'].startswith('2027-03-28T01:59:5')
        assert rows['SPRING-1']['created_at'].endswith('+01:00')
        assert rows['SPRING-2']['created_at'].startswith('2027-03-28T03:00:0')
        assert rows['SPRING-2']['created_at'].endswith('+02:00')
        assert day_count(srv, s, '2027-03-28') == 2
        # A search by the hour typed in Paris time: 01:00 to 03:00:59 holds both, though
        # only two real seconds apart.
        r = s.get(srv.base + '/bo/api/transactions?from=2027-03-28T01:00:00'
                  '&to=2027-03-28T03:00:59&order_ref=SPRING-%25')
        assert {i['order_ref'] for i in r.json()['items']} == {'SPRING-1', 'SPRING-2'}
    finally:
        assert srv.stop() == 0


def test_payments_across_the_autumn_change(tmp_path):
    """31 October 2027: 02:59:59 (UTC+2) is followed by 02:00:00 (UTC+1), an hour lived
    twice. The day has 25 hours, all of them in its statistics and its search."""
    srv = pinned(tmp_path, '2027-10-31T02:00:00+01:00')
    try:
        first = srv.pay(order_ref='AUTUMN-1').json()
        sleep_until(srv, '2027-10-31T02:00:00+01:00')
        second = srv.pay(order_ref='AUTUMN-2').json()
        assert first['bank_date'] == second['bank_date'] == '2027-10-31'
        assert first['created_at'] < second['created_at']
        s, _ = ready_user(srv, 'demo.consultation')
        rows = export(srv, s, 'AUTUMN-')
        assert rows['AUTUMN-1']['created_at'].startswith('2027-10-31T02:59:5')
        assert rows['AUTUMN-1']['created_at'].endswith('+02:00')
        assert rows['AUTUMN-2']['created_at'].startswith('2027-10-31T02:00:0')
        assert rows['AUTUMN-2']['created_at'].endswith('+01:00')
        assert day_count(srv, s, '2027-10-31') == 2
        r = s.get(srv.base + '/bo/api/transactions?from=2027-10-31&to=2027-10-31'
                  '&order_ref=AUTUMN-%25')
        assert [i['order_ref'] for i in r.json()['items']] == ['AUTUMN-2', 'AUTUMN-1']
    finally:
        assert srv.stop() == 0


def test_a_refund_at_the_75_day_limit_is_counted_in_paris_days(tmp_path):
    """Accepted on 20 January 2027 at 23:50 (UTC+1), sent that night; a refund is allowed
    until the end of day 75 in Paris, 5 April 2027 (UTC+2 by then), and refused a second
    later. 75 × 24 hours would have run until 00:50 on 6 April."""
    srv = Server(str(tmp_path), transactions=0, now='2027-01-20T23:50:00+01:00').start()
    try:
        p = srv.pay(amount=5000).json()
        assert (p['status'], p['bank_date']) == ('accepted', '2027-01-20')
        out = subprocess.run([GUICHETD, 'batch', 'run', '--db', srv.db, '--date', '2027-01-20',
                              '--spool', srv.tmp + '/spool', *srv.clock()],
                             capture_output=True, text=True, timeout=60, env=srv.env)
        assert out.returncode == 0, out.stderr
        assert q(srv, 'SELECT acq FROM txn WHERE id = ?', (int(p['id']),))[0][0] == 3  # sent
    finally:
        assert srv.stop() == 0
    start_before(srv, '2027-04-06T00:00:00+02:00')
    try:
        path = f"/api/v1/payments/{p['id']}/refund"
        r = srv.api('POST', path, {'amount': 100})
        assert r.status_code == 201, r.text
        sleep_until(srv, '2027-04-06T00:00:00+02:00')
        r = srv.api('POST', path, {'amount': 100})
        assert r.status_code == 422 and r.json()['error'] == 'too_late', r.text
        assert q(srv, 'SELECT amount_refunded FROM txn WHERE id = ?', (int(p['id']),))[0][0] == 100
    finally:
        assert srv.stop() == 0


def settled_at(srv, timeout):
    """Waits for the daily télécollecte of the running server; the UTC instant its batches
    were made, or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if 'event=settlement_done' in srv.read_log():
            return q(srv, 'SELECT min(created_at) FROM batch')[0][0] / 1e6
        time.sleep(0.2)
    return None


def test_the_daily_telecollecte_keeps_paris_time_on_the_spring_day(tmp_path):
    """--batch-time 22:00 on 28 March 2027 is 20:00 UTC, not 22:00 after the day's start
    (which would be 23:00 in Paris)."""
    srv = pinned(tmp_path, '2027-03-28T22:00:00+02:00', 8, '--batch-time', '22:00')
    try:
        srv.pay()
        assert 'event=settlement_start' not in srv.read_log()
        when = settled_at(srv, 30)
        assert when is not None, 'no télécollecte at 22:00 Paris time'
        assert at('2027-03-28T22:00:00+02:00') <= when < at('2027-03-28T22:01:00+02:00')
    finally:
        assert srv.stop() == 0


def test_the_daily_telecollecte_keeps_paris_time_on_the_autumn_day(tmp_path):
    """--batch-time 22:00 on 31 October 2027 is 21:00 UTC: not before (22:00 after the day's
    start would be 21:00 in Paris), and once."""
    srv = pinned(tmp_path, '2027-10-31T22:00:00+01:00', 8, '--batch-time', '22:00')
    try:
        srv.pay()
        time.sleep(2)
        assert 'event=settlement_start' not in srv.read_log(), 'settled before 22:00'
        when = settled_at(srv, 30)
        assert when is not None, 'no télécollecte at 22:00 Paris time'
        assert at('2027-10-31T22:00:00+01:00') <= when < at('2027-10-31T22:01:00+01:00')
        assert srv.read_log().count('event=settlement_start') == 1
    finally:
        assert srv.stop() == 0


def test_a_late_telecollecte_takes_each_payment_on_its_paris_day(tmp_path):
    """Payments on either side of midnight on a summer night (UTC+2); the télécollecte of
    30 June run after midnight sends the first only, that of 1 July the second."""
    tag = 'NIGHT-' + uuid.uuid4().hex[:6]
    srv = pinned(tmp_path, '2027-07-01T00:00:00+02:00')
    try:
        late = int(srv.pay(order_ref=tag + '-1').json()['id'])
        sleep_until(srv, '2027-07-01T00:00:00+02:00')
        early = int(srv.pay(order_ref=tag + '-2').json()['id'])

        def run(day):
            out = subprocess.run([GUICHETD, 'batch', 'run', '--db', srv.db, '--date', day,
                                  '--spool', srv.tmp + '/spool', *srv.clock()],
                                 capture_output=True, text=True, timeout=60, env=srv.env)
            assert out.returncode == 0, out.stderr

        acq = lambda tid: q(srv, 'SELECT acq FROM txn WHERE id = ?', (tid,))[0][0]
        run('2027-06-30')
        assert (acq(late), acq(early)) == (3, 2)  # sent, still to send
        run('2027-07-01')
        assert (acq(late), acq(early)) == (3, 3)
        assert q(srv, 'SELECT bank_day FROM batch ORDER BY id') == [
            (int(at('2027-06-30T12:00:00+00:00') // 86400),),
            (int(at('2027-07-01T12:00:00+00:00') // 86400),)]
    finally:
        assert srv.stop() == 0
