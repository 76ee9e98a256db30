"""The demo's installment plans, subscriptions and aliases (SPEC §9, §16.1; README "demo"):
every status of both kinds, their debits transactions of the history tied to their rows and
counted in the N first transactions whatever --now, nothing left due at --now, the same with
the same seed."""
import contextlib
import sqlite3
import subprocess
from datetime import date, datetime

import pytest

from conftest import GUICHETD, PARIS

STATUSES = {'in_progress', 'finished', 'failed', 'terminated', 'will_fail'}


def demo(tmp_path, n, now, seed=7, *extra):
    db = str(tmp_path / f'demo-{n}-{seed}-{now[:10]}.db')
    out = subprocess.run([GUICHETD, 'demo', '--db', db, '--transactions', str(n), '--seed',
                          str(seed), '--now', now, '--json', *extra], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return db


def rows(db, sql, args=()):
    with contextlib.closing(sqlite3.connect(db)) as c:
        return c.execute(sql, args).fetchall()


def paris_day(now):
    d = datetime.fromisoformat(now).astimezone(PARIS).date()
    return (d - date(1970, 1, 1)).days


# The suites' clocks (Makefile): a Friday in November, summer time's first day, a year's
# last afternoon; and a minute after midnight, when today's debits are hardly due.
NOWS = ['2026-11-20T14:30:00+01:00', '2027-03-28T12:00:00+02:00', '2026-12-31T16:00:00+01:00',
        '2026-03-01T00:01:00+01:00']


@pytest.mark.parametrize('now', NOWS)
@pytest.mark.parametrize('n', [40, 50, 3000])
def test_every_status_and_exactly_n(tmp_path, n, now):
    db = demo(tmp_path, n, now)
    assert rows(db, 'SELECT count(*) FROM txn WHERE parent_id IS NULL') == [(n,)]
    got = set(rows(db, 'SELECT kind, status FROM recurring'))
    assert got == {(k, s) for k in ('plan', 'subscription') for s in STATUSES}
    today = paris_day(now)
    # In progress: the next debit after today; ended: none, an end instant.
    assert rows(db, "SELECT id FROM recurring WHERE status IN ('in_progress', 'will_fail') "
                    "AND (next_day IS NULL OR next_day <= ?)", (today,)) == []
    assert rows(db, "SELECT id FROM recurring WHERE status NOT IN ('in_progress', 'will_fail') "
                    "AND (next_day IS NOT NULL OR ended_at IS NULL)") == []
    # Each made debit is a transaction of the plan: its amount, shop, order reference; done
    # counts them; a plan has a row per installment; none planned on an ended one.
    assert rows(db, "SELECT d.recurring_id, d.number FROM recurring_debit d JOIN recurring r ON "
                    "r.id = d.recurring_id LEFT JOIN txn t ON t.id = d.txn_id WHERE d.status IN "
                    "('accepted', 'refused') AND (t.id IS NULL OR t.amount_initial <> d.amount "
                    "OR t.order_ref <> r.order_ref OR t.shop_id <> r.shop_id OR t.parent_id IS "
                    "NOT NULL OR (t.status = 0) <> (d.status = 'accepted') OR t.created_at < "
                    "r.created_at)") == []
    assert rows(db, "SELECT r.id FROM recurring r WHERE r.done <> (SELECT count(*) FROM "
                    "recurring_debit d WHERE d.recurring_id = r.id AND d.number >= 1 AND "
                    "d.status IN ('accepted', 'refused'))") == []
    assert rows(db, "SELECT r.id FROM recurring r WHERE r.kind = 'plan' AND r.count <> (SELECT "
                    "count(*) FROM recurring_debit d WHERE d.recurring_id = r.id)") == []
    assert rows(db, "SELECT r.id FROM recurring r JOIN recurring_debit d ON d.recurring_id = "
                    "r.id WHERE (r.status IN ('in_progress', 'will_fail') AND d.status = "
                    "'cancelled') OR (r.status NOT IN ('in_progress', 'will_fail') AND "
                    "d.status = 'planned')") == []
    assert rows(db, "SELECT count(*) FROM recurring WHERE status = 'failed' AND id NOT IN "
                    "(SELECT recurring_id FROM recurring_debit WHERE status = 'refused')") == [(0,)]
    assert rows(db, "SELECT count(*) FROM recurring WHERE status = 'terminated' AND "
                    "(end_reason = '' OR ended_by_login = '')") == [(0,)]
    # Aliases: one per plan, three more named ones, one of those deleted without its card.
    (plans,), = rows(db, 'SELECT count(*) FROM recurring')
    assert rows(db, 'SELECT count(*), count(deleted_at) FROM card_alias') == [(plans + 3, 1)]
    assert rows(db, 'SELECT card_sealed, card_fp FROM card_alias WHERE deleted_at IS NOT '
                    'NULL') == [(None, None)]
    assert rows(db, 'SELECT count(*) FROM recurring r JOIN card_alias a ON a.id = r.alias_id '
                    'WHERE a.card_masked <> r.card_masked') == [(0,)]
    # Ids grow with time, as on a live server.
    for table in ('txn', 'recurring'):
        assert rows(db, f'SELECT count(*) FROM {table} a JOIN {table} b ON b.id = a.id + 1 '
                        'WHERE b.created_at < a.created_at') == [(0,)]


def test_none_below_forty(tmp_path):
    db = demo(tmp_path, 39, NOWS[0])
    assert rows(db, 'SELECT (SELECT count(*) FROM txn WHERE parent_id IS NULL), (SELECT '
                    'count(*) FROM recurring), (SELECT count(*) FROM card_alias)') == [(39, 0, 0)]


def test_same_seed_same_plans(tmp_path):
    got = []
    for name in ('a', 'b'):
        d = tmp_path / name
        d.mkdir()
        db = demo(d, 800, NOWS[0], 42)
        got.append((rows(db, 'SELECT id, kind, status, order_ref, amount, count, done, next_day, '
                             'created_at, ended_at FROM recurring ORDER BY id'),
                    rows(db, 'SELECT * FROM recurring_debit ORDER BY 1, 2, 3'),
                    rows(db, 'SELECT alias, implicit, created_at FROM card_alias ORDER BY id')))
    assert got[0] == got[1]


def test_nothing_due_at_now_and_due_subscriptions_the_next_day(tmp_path):
    now = NOWS[0]
    db = demo(tmp_path, 500, now, 7, '--due-subscriptions', '30')
    (subs,), = rows(db, "SELECT count(*) FROM recurring WHERE order_ref LIKE 'BENCH-%' AND "
                        "done = 0 AND next_day = ? AND status = 'in_progress'",
                    (paris_day(now) + 1,))
    assert subs == 30
    run = [GUICHETD, 'recurring', 'run', '--db', db, '--now', now, '--json', '--date']
    today = datetime.fromisoformat(now).astimezone(PARIS).date()
    out = subprocess.run(run + [today.isoformat()], capture_output=True, text=True)
    assert out.returncode == 0 and '"debits":0' in out.stdout, out.stdout + out.stderr
    (before,), = rows(db, 'SELECT count(*) FROM txn')
    (due,), = rows(db, "SELECT count(*) FROM recurring WHERE status IN ('in_progress', "
                       "'will_fail') AND next_day <= ?", (paris_day(now) + 1,))
    assert due >= 30
    out = subprocess.run(run + [date.fromordinal(today.toordinal() + 1).isoformat()],
                         capture_output=True, text=True)
    assert out.returncode == 0 and f'"debits":{due}' in out.stdout, out.stdout + out.stderr
    assert rows(db, 'SELECT count(*) FROM txn') == [(before + due,)]
