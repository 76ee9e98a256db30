"""The retention of payment data (SPEC §14: 45 … 540 days per account, 540 by default; SPEC §5:
the full card number is kept sealed, or not at all once the retention ends).

An administrator of the brand sets it (PATCH /bo/api/account, with its action-log line); the
retention job erases the sealed card number and the card fingerprint of the transactions
older than it, and nothing else: the row, its masked card, its history and the statistics
stay; blocking the card of such a transaction answers 409 card_erased. Transactions are aged
by moving created_at back with sqlite3 while the server runs, with the job every second."""
import time
import uuid

import pytest

from conftest import Server, q, wait_for
from test_access import ready
from test_signin import password_of
from test_users import spooled_password

US = 1000000
DAY = 86400 * US
OTHER = 'RETENTIONB'


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp('payret')), transactions=20)
    s.other = s.add_brand(OTHER, transactions=450, seed=5)
    s.start('--retention-every', '1')
    s.admin = ready(s, 'demo.admin', password_of(s, 'demo.admin'))
    yield s
    assert s.stop() == 0, s.read_log()
    assert 'ERROR: AddressSanitizer' not in s.read_log()


def paid(srv, shop=0, card='4111111111111111'):
    r = srv.pay(shop=shop, card=card)
    assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text
    return int(r.json()['id'])


def age(srv, tid, by_us):
    q(srv, 'UPDATE txn SET created_at = created_at - ? WHERE id = ?', (by_us, tid))


def card_of(srv, tid):
    """(sealed kept, fingerprint kept, masked)."""
    (sealed, fp, masked), = q(srv, 'SELECT card_sealed IS NOT NULL, card_fp IS NOT NULL, '
                                   'card_masked FROM txn WHERE id = ?', (tid,))
    return bool(sealed), bool(fp), masked


def set_retention(srv, days, user=None):
    r = (user or srv.admin).call('PATCH', '/bo/api/account', {'retention_days': days})
    assert r.status_code == 200, r.text
    assert r.json()['retention_days'] == days
    return r


def retention_lines(srv):
    r = srv.admin.call('GET', '/bo/api/actions?from=2020-01-01&to=2099-12-31'
                              '&action=retention_changed')
    assert r.status_code == 200, r.text
    return [a['details'] for a in r.json()['items']]


def rounds(srv, n=2):
    """Lets n rounds of the job (one a second) go by."""
    time.sleep(n + 0.5)


def test_the_account_says_540_days_by_default(srv):
    r = srv.admin.call('GET', '/bo/api/account')
    assert r.status_code == 200, r.text
    a = r.json()
    assert (a['retention_days'], a['retention_days_min'], a['retention_days_max']) == (540, 45, 540)
    assert a['editable'] is True and a['pspid'] and a['name']
    assert q(srv, 'SELECT retention_days FROM brand')[0][0] == 540


@pytest.mark.parametrize('body', [
    {'retention_days': 44}, {'retention_days': 541}, {'retention_days': 0},
    {'retention_days': -45}, {'retention_days': 45.0}, {'retention_days': 45.5},
    {'retention_days': '45'}, {'retention_days': True}, {'retention_days': None},
    {'retention_days': 2 ** 40}, {}, {'retention_days': 100, 'other': 1}])
def test_a_retention_outside_45_to_540_whole_days_is_refused(srv, body):
    before = q(srv, 'SELECT id, retention_days FROM brand ORDER BY id')
    r = srv.admin.call('PATCH', '/bo/api/account', body)
    assert r.status_code == 400, r.text
    assert r.json()['error'] in ('invalid_field', 'unknown_field') and r.json()['message']
    assert q(srv, 'SELECT id, retention_days FROM brand ORDER BY id') == before


def test_only_a_brand_administrator_changes_it(srv):
    before = q(srv, 'SELECT id, retention_days FROM brand ORDER BY id')
    # Other profiles: the route table refuses.
    for profile in ('consultation', 'action'):
        u = ready(srv, f'demo.{profile}', password_of(srv, f'demo.{profile}'))
        for method, body in (('GET', None), ('PATCH', {'retention_days': 45})):
            r = u.call(method, '/bo/api/account', body)
            assert r.status_code == 403 and r.json()['error'] == 'forbidden', (profile, r.text)
    # Without the CSRF token: refused, nothing changed.
    r = srv.admin.call('PATCH', '/bo/api/account', {'retention_days': 45}, csrf=None)
    assert r.status_code == 403 and r.json()['error'] == 'csrf'
    # An administrator of a group reads the account (it says how long their shops' card
    # data is kept) but may not change it: the account is the whole brand's.
    group = q(srv, "SELECT id FROM node WHERE brand_id = 1 AND level = 'group' ORDER BY id")[0][0]
    login = 'ret.group.' + uuid.uuid4().hex[:6]
    email = f'{login}@example.com'
    r = srv.admin.call('POST', '/bo/api/users', {'login': login, 'name': 'Admin Groupe',
                                                 'email': email, 'profile': 'admin',
                                                 'node_id': group})
    assert r.status_code == 201, r.text
    ga = ready(srv, login, spooled_password(srv, email))
    r = ga.call('GET', '/bo/api/account')
    assert r.status_code == 200 and r.json()['editable'] is False, r.text
    r = ga.call('PATCH', '/bo/api/account', {'retention_days': 45})
    assert r.status_code == 403 and r.json()['error'] == 'forbidden', r.text
    assert 'brand' in r.json()['message']
    assert q(srv, 'SELECT id, retention_days FROM brand ORDER BY id') == before
    assert not retention_lines(srv)


def test_a_change_is_logged_old_and_new(srv):
    set_retention(srv, 300)
    assert retention_lines(srv) == ['retention_days: 540 → 300']
    set_retention(srv, 300)  # no change, no line
    assert len(retention_lines(srv)) == 1
    set_retention(srv, 540)
    assert retention_lines(srv)[0] == 'retention_days: 300 → 540'
    # The other brand's account did not move.
    assert q(srv, 'SELECT retention_days FROM brand WHERE pspid = ?', (OTHER,))[0][0] == 540


def test_card_data_goes_at_the_retention_and_not_before(srv):
    set_retention(srv, 45)
    old, edge, fresh = paid(srv), paid(srv), paid(srv)
    stats = q(srv, 'SELECT * FROM stats_daily ORDER BY 1, 2, 3')
    history = q(srv, 'SELECT count(*) FROM txn_history')[0][0]
    r = srv.admin.call('GET', '/bo/api/stats?from=2020-01-01&to=2099-12-31')
    api_stats = r.json() if r.status_code == 200 else None
    age(srv, old, 45 * DAY + 60 * US)
    age(srv, edge, 45 * DAY - 60 * US)  # a minute short of its 45 days
    assert wait_for(lambda: not card_of(srv, old)[0])
    rounds(srv)
    masked = card_of(srv, fresh)[2]
    assert card_of(srv, old) == (False, False, masked) and masked.startswith('411111')
    assert card_of(srv, edge) == (True, True, masked)
    assert card_of(srv, fresh) == (True, True, masked)
    # The rest stays: the statistics' totals, the history, the details with the masked card.
    assert q(srv, 'SELECT * FROM stats_daily ORDER BY 1, 2, 3') == stats
    assert q(srv, 'SELECT count(*) FROM txn_history')[0][0] == history
    if api_stats is not None:
        r = srv.admin.call('GET', '/bo/api/stats?from=2020-01-01&to=2099-12-31')
        assert r.json() == api_stats
    d = srv.admin.call('GET', f'/bo/api/transactions/{old}')
    assert d.status_code == 200, d.text
    assert masked in d.text and '4111111111111111' not in d.text
    # Blocking its card needs the fingerprint: gone, and said so; the edge one still blocks.
    r = srv.admin.call('POST', f'/bo/api/transactions/{old}/block-card', {})
    assert r.status_code == 409 and r.json()['error'] == 'card_erased', r.text
    assert 'retention' in r.json()['message']
    r = srv.admin.call('POST', f'/bo/api/transactions/{edge}/block-card', {})
    assert r.status_code == 200, r.text
    assert 'cards_erased=' in srv.read_log()
    set_retention(srv, 540)


def test_the_accounts_retention_drives_it(srv):
    """Lowering it erases what it no longer covers at once; raising it brings nothing back;
    another account keeps its own."""
    # Not the card blocked on the first shop above.
    a = paid(srv, card='5555555555554444')
    b = paid(srv, shop=srv.other['shops'][0], card='5555555555554444')
    for tid in (a, b):
        age(srv, tid, 100 * DAY)
    rounds(srv)
    assert card_of(srv, a)[:2] == (True, True)  # 540 days
    set_retention(srv, 99)
    assert wait_for(lambda: not card_of(srv, a)[0])
    set_retention(srv, 540)
    rounds(srv)
    assert card_of(srv, a)[:2] == (False, False)
    assert card_of(srv, b)[:2] == (True, True)  # the other brand: 540 days


def test_many_transactions_go_in_batches_and_a_second_pass_does_nothing(srv):
    brand = q(srv, 'SELECT id FROM brand WHERE pspid = ?', (OTHER,))[0][0]
    kept = lambda: q(srv, 'SELECT count(*) FROM txn WHERE brand_id = ? AND card_sealed IS NOT '
                          'NULL', (brand,))[0][0]
    n = kept()
    assert n > 200, n  # more than one batch
    rows = q(srv, 'SELECT count(*) FROM txn WHERE brand_id = ?', (brand,))[0][0]
    q(srv, 'UPDATE txn SET created_at = created_at - ? WHERE brand_id = ?', (541 * DAY, brand))
    assert wait_for(lambda: kept() == 0, timeout=30), kept()
    assert q(srv, 'SELECT count(*) FROM txn WHERE brand_id = ? AND card_fp IS NOT NULL',
             (brand,))[0][0] == 0
    assert q(srv, 'SELECT count(*) FROM txn WHERE brand_id = ?', (brand,))[0][0] == rows
    assert 'cards_erased=200' in srv.read_log()
    # Idempotent: the next rounds find nothing to erase.
    size = len(srv.read_log())
    rounds(srv)
    assert 'cards_erased=' not in srv.read_log()[size:]
