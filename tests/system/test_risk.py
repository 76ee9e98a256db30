"""The merchant's risk rules through HTTP (SPEC §4, §11, §16.1; README "Risk"): the blocklist
by card, BIN, e-mail and country with its scope, reason and expiry; the contracts' fraud
filters, each refusing with its own code, in their documented order; the refusal codes of the
contract and the acquirer; bad input, profiles, another brand, concurrent edits, and a removal
racing the payments."""
import csv
import io
import threading

import pytest
import requests

from conftest import Server, q
from test_signin import NEW_PASSWORD, ready_user

VISA = '4111111111111111'        # US (data/bins.csv)
CB_FR = '4970100000000006'       # FR
MC_FR = '5131000000000001'       # FR
OTHER = '4000000000000002'       # the simulator's decline


@pytest.fixture(scope='module')
def rk(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('risk')), transactions=60)
    srv.other = srv.add_brand('OTHERBRAND', transactions=5)
    srv.start()
    srv.users = {p: ready_user(srv, f'demo.{p}') for p in ('consultation', 'action', 'admin')}
    yield srv
    assert srv.stop() == 0


def call(rk, method, path, body=None, profile='action'):
    s, csrf = rk.users[profile]
    return s.request(method, rk.base + path, json=body, headers={'X-CSRF-Token': csrf},
                     timeout=30)


def block(rk, kind, value, profile='action', **extra):
    return call(rk, 'POST', '/bo/api/blocklist', {'kind': kind, 'value': value, **extra},
                profile)


def unblock(rk, entry_id, profile='action'):
    return call(rk, 'DELETE', f'/bo/api/blocklist/{entry_id}', profile=profile)


def entries(rk, query='', profile='consultation'):
    r = call(rk, 'GET', '/bo/api/blocklist' + query, profile=profile)
    assert r.status_code == 200, r.text
    return r.json()['items']


def contract_of(rk, shop_node, method):
    r = call(rk, 'GET', f'/bo/api/contracts?node={shop_node}', profile='admin')
    return next(c for c in r.json()['items'] if c['payment_method'] == method)['id']


def filters(rk, contract):
    r = call(rk, 'GET', f'/bo/api/contracts/{contract}', profile='admin')
    assert r.status_code == 200, r.text
    return r.json()['fraud_filters']


def set_filters(rk, contract, profile='admin', **values):
    body = {'max_amount': None, 'max_per_card_day': None, 'blocked_card_countries': [],
            'blocked_customer_countries': [], 'country_mismatch': False}
    body.update(values)
    body.setdefault('version', filters(rk, contract)['version'])
    return call(rk, 'PUT', f'/bo/api/contracts/{contract}/fraud-filters', body, profile)


def refusal(p):
    return p['status'], p['refusal_reason']


def entry_count(rk):
    return q(rk, 'SELECT count(*) FROM block_entry')[0][0]


# --- the refusal codes of SPEC §16.1 -----------------------------------------------------------

def test_contract_and_acquirer_refusals_carry_the_contract_codes(rk):
    assert refusal(rk.pay(amount=99).json()) == ('refused', 'amount_out_of_range')
    assert refusal(rk.pay(amount=500001).json()) == ('refused', 'amount_out_of_range')
    assert rk.pay(amount=100).json()['status'] == 'accepted'       # equal to the minimum
    assert rk.pay(amount=500000).json()['status'] == 'accepted'    # equal to the maximum
    p = rk.pay(card=OTHER).json()
    assert refusal(p) == ('refused', 'acquirer_refused') and p['refusal_message']


# --- the blocklist -----------------------------------------------------------------------------

def test_a_card_blocked_by_hand_is_refused_at_once_and_accepted_once_removed(rk):
    r = block(rk, 'card', '5131 0000 0000 0001', reason='chargebacks')
    assert r.status_code == 201, r.text
    e = r.json()
    assert e['kind'] == 'card' and e['value'] == '513100******0001'
    assert e['reason'] == 'chargebacks' and e['expires_at'] is None and not e['expired']
    assert e['created_by'] == {'login': 'demo.action', 'name': e['created_by']['name']}
    assert e['node_level'] == 'brand' and e['txn_id'] is None
    # Never the number: not in the table, not in the answer.
    assert not q(rk, "SELECT count(*) FROM block_entry WHERE value LIKE '%5131000000000001%' "
                     "OR CAST(key AS TEXT) LIKE '%5131000000000001%'")[0][0]
    p = rk.pay(card=MC_FR).json()
    assert refusal(p) == ('refused', 'card_not_allowed')
    t = call(rk, 'GET', f"/bo/api/transactions/{p['id']}", profile='consultation').json()
    # Refused before the acquirer: it gave no issuer, no authorization.
    assert t['refusal_reason'] == 'card_not_allowed' and not t['card']['issuer']
    assert t['card']['country'] == 'FR'       # from the BIN table
    assert unblock(rk, e['id']).status_code == 204
    assert rk.pay(card=MC_FR).json()['status'] == 'accepted'
    assert unblock(rk, e['id']).status_code == 404
    log = q(rk, "SELECT action, details, user_login FROM action_log WHERE action LIKE "
                "'blocklist_%' ORDER BY id")
    assert ('blocklist_added', 'card 513100******0001 at Maison Guichet, reason: chargebacks',
            'demo.action') in log
    assert any(a == 'blocklist_removed' and '513100******0001' in d for a, d, _ in log)


@pytest.mark.parametrize('kind,value,pay', [
    ('bin', '497010', dict(card=CB_FR)),
    ('bin', '49701000', dict(card=CB_FR)),
    ('email', 'Fraudster@Example.COM', dict(email='fraudster@example.com')),
    ('country', 'ru', dict(customer_country='RU')),
])
def test_each_kind_refuses_its_payments(rk, kind, value, pay):
    r = block(rk, kind, value)
    assert r.status_code == 201, r.text
    assert refusal(rk.pay(**pay).json()) == ('refused', 'card_not_allowed')
    assert rk.pay().json()['status'] == 'accepted'      # another card, e-mail, country
    assert unblock(rk, r.json()['id']).status_code == 204
    assert rk.pay(**pay).json()['status'] == 'accepted'


def test_an_entry_acts_on_its_node_and_below_only(rk):
    shop, group = 4, 2          # "Boutique en ligne" in "Boutiques France"; shop 3 is "Export"
    at_shop = block(rk, 'bin', '411111', node=shop).json()
    assert at_shop['node_name'] == 'Boutique en ligne'
    assert refusal(rk.pay(shop=0).json()) == ('refused', 'card_not_allowed')
    assert rk.pay(shop=1).json()['status'] == 'accepted'
    unblock(rk, at_shop['id'])
    at_group = block(rk, 'bin', '411111', node=group).json()
    assert refusal(rk.pay(shop=1).json()) == ('refused', 'card_not_allowed')
    assert rk.pay(shop=2).json()['status'] == 'accepted'
    # The list of a node holds what acts on its shops: its entries, those below, and those
    # above it up to the user's node; never a sibling's.
    at_other = block(rk, 'email', 'sibling@example.com', node=5).json()
    brand = {e['id'] for e in entries(rk) if e['node_level'] == 'brand'}
    assert brand
    assert {e['id'] for e in entries(rk, f'?node={shop}')} == brand | {at_group['id']}
    assert {e['id'] for e in entries(rk, f'?node={group}')} == \
        brand | {at_group['id'], at_other['id']}
    assert at_other['id'] not in {e['id'] for e in entries(rk, '?node=6')}
    unblock(rk, at_group['id'])
    unblock(rk, at_other['id'])


def test_an_entry_written_beside_the_server_acts_at_the_next_payment(rk):
    """The server keeps the list's keys in memory to spare the look-up on a miss (README
    "Risk"); an entry another process writes into the database must still act at once."""
    mail = 'beside@example.com'
    assert rk.pay(email=mail).json()['status'] == 'accepted'
    brand, node = q(rk, 'SELECT brand_id, id FROM node WHERE parent_id IS NULL ORDER BY id '
                        'LIMIT 1')[0]
    # The key: the kind's byte, then the address (a blob on both).
    q(rk, "INSERT INTO block_entry(brand_id, node_id, kind, key, value, created_at) "
          "VALUES (?, ?, 3, ?, ?, 0)", (brand, node, b'\x03' + mail.encode(), mail))
    assert refusal(rk.pay(email=mail).json()) == ('refused', 'card_not_allowed')
    assert rk.pay(email='someone.else@example.com').json()['status'] == 'accepted'
    # Removed beside the server: accepted at once too.
    q(rk, "DELETE FROM block_entry WHERE value = ?", (mail,))
    assert rk.pay(email=mail).json()['status'] == 'accepted'
    # Blocked again through the API after that: the server's own addition acts at once.
    r = block(rk, 'email', mail)
    assert r.status_code == 201, r.text
    assert refusal(rk.pay(email=mail).json()) == ('refused', 'card_not_allowed')
    assert unblock(rk, r.json()['id']).status_code == 204
    assert rk.pay(email=mail).json()['status'] == 'accepted'
    # The filter the server built, on both backends (on PostgreSQL the list's mark is read
    # again at each write transaction: risk.c, store/pg/pg.c).
    assert 'event=blocklist_filter entries=' in rk.read_log()


def test_an_entry_acts_until_its_last_day(rk):
    r = block(rk, 'card', VISA, expires_at=rk.paris_day())
    assert r.status_code == 201, r.text
    e = r.json()
    assert e['expires_at'] == rk.paris_day() and not e['expired']
    assert refusal(rk.pay().json()) == ('refused', 'card_not_allowed')
    # Its end passed (moved into the past beside the server): it no longer acts, and is
    # listed only with expired=1.
    q(rk, 'UPDATE block_entry SET expires_at = ? WHERE id = ?', (rk.now_us(-1), e['id']))
    assert rk.pay().json()['status'] == 'accepted'
    assert e['id'] not in [x['id'] for x in entries(rk)]
    old = [x for x in entries(rk, '?expired=1') if x['id'] == e['id']]
    assert old and old[0]['expired']
    # Blocking it again replaces the expired entry.
    again = block(rk, 'card', VISA)
    assert again.status_code == 201 and again.json()['id'] == e['id'], again.text
    assert unblock(rk, e['id']).status_code == 204


def test_blocking_twice_is_a_conflict(rk):
    first = block(rk, 'email', 'twice@example.com')
    assert first.status_code == 201
    second = block(rk, 'email', 'TWICE@example.com')
    assert second.status_code == 409 and second.json()['error'] == 'already_blocked'
    unblock(rk, first.json()['id'])


@pytest.mark.parametrize('body,field', [
    ({'kind': 'card', 'value': '4111111111111112'}, 'value'),     # Luhn
    ({'kind': 'card', 'value': '41111'}, 'value'),
    ({'kind': 'card', 'value': 4111111111111111}, 'value'),
    ({'kind': 'bin', 'value': '411'}, 'value'),                   # a BIN of 3 digits
    ({'kind': 'bin', 'value': '4111111'}, 'value'),
    ({'kind': 'bin', 'value': '41111a'}, 'value'),
    ({'kind': 'email', 'value': 'not-an-email'}, 'value'),
    ({'kind': 'email', 'value': 'a@b.c, d@e.f'}, 'value'),
    ({'kind': 'country', 'value': 'ZZ'}, 'value'),                # not ISO 3166
    ({'kind': 'country', 'value': 'FRA'}, 'value'),
    ({'kind': 'iban', 'value': 'FR76'}, 'kind'),
    ({'value': 'FR'}, 'kind'),
    ({'kind': 'country', 'value': 'FR', 'reason': 'x' * 201}, 'reason'),
    ({'kind': 'country', 'value': 'FR', 'reason': 'a\u0007b'}, 'reason'),
    ({'kind': 'country', 'value': 'FR', 'expires_at': '2020-01-01'}, 'expires_at'),
    ({'kind': 'country', 'value': 'FR', 'expires_at': '31/12/2099'}, 'expires_at'),
    ({'kind': 'country', 'value': 'FR', 'node': 'x'}, 'node'),
    ({'kind': 'country', 'value': 'FR', 'node': -3}, 'node'),
    ({'kind': 'country', 'value': 'FR', 'owner': 1}, 'owner'),
])
def test_bad_entries_are_refused_and_write_nothing(rk, body, field):
    before = entry_count(rk)
    r = call(rk, 'POST', '/bo/api/blocklist', body)
    assert r.status_code == 400 and r.json()['field'] == field, r.text
    assert '4111111111111112' not in r.text
    assert entry_count(rk) == before


def test_bad_bodies_write_nothing(rk):
    s, csrf = rk.users['action']
    before = entry_count(rk)
    for data in (b'{', b'[]', b'"card"', b'{"kind":"card","value":"' + b'4' * 20000 + b'"}'):
        r = s.post(rk.base + '/bo/api/blocklist', data=data,
                   headers={'X-CSRF-Token': csrf, 'Content-Type': 'application/json'})
        assert r.status_code in (400, 413), r.text
    assert entry_count(rk) == before


def test_profiles_and_csrf(rk):
    assert block(rk, 'country', 'SY', profile='consultation').status_code == 403
    r = block(rk, 'country', 'SY', profile='admin')
    assert r.status_code == 201
    assert unblock(rk, r.json()['id'], profile='consultation').status_code == 403
    s, _ = rk.users['action']
    assert s.delete(rk.base + f"/bo/api/blocklist/{r.json()['id']}").status_code == 403
    assert unblock(rk, r.json()['id']).status_code == 204


def test_another_brand_never_sees_nor_matches_the_list(rk):
    other_admin = next(u for u in rk.other['users'] if u['profile'] == 'admin')
    s = requests.Session()
    r = s.post(rk.base + '/bo/api/session', json={'login': other_admin['login'],
                                                    'password': other_admin['password']})
    csrf = r.json()['csrf']
    s.post(rk.base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
           json={'old': other_admin['password'], 'new': NEW_PASSWORD})
    s.post(rk.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf}, json={'accept': True})
    theirs = s.post(rk.base + '/bo/api/blocklist', headers={'X-CSRF-Token': csrf},
                    json={'kind': 'card', 'value': VISA})
    assert theirs.status_code == 201, theirs.text
    # Their entry does not act on this brand's payments, is not listed, cannot be removed.
    assert rk.pay().json()['status'] == 'accepted'
    assert theirs.json()['id'] not in [e['id'] for e in entries(rk, '?expired=1')]
    assert unblock(rk, theirs.json()['id']).status_code == 404
    ours = block(rk, 'card', MC_FR).json()
    assert s.delete(rk.base + f"/bo/api/blocklist/{ours['id']}",
                    headers={'X-CSRF-Token': csrf}).status_code == 404
    # The other brand's shop pays with the card this brand blocked, and the other way round.
    other_shop = rk.other['shops'][0]
    assert rk.pay(card=MC_FR, shop=other_shop).json()['status'] == 'accepted'
    assert refusal(rk.pay(card=MC_FR).json()) == ('refused', 'card_not_allowed')
    assert refusal(rk.pay(shop=other_shop).json()) == ('refused', 'card_not_allowed')
    # A node of another brand is outside the scope.
    assert block(rk, 'country', 'IR', node=7).status_code == 404
    assert s.delete(rk.base + f"/bo/api/blocklist/{theirs.json()['id']}",
                    headers={'X-CSRF-Token': csrf}).status_code == 204
    unblock(rk, ours['id'])


def test_the_list_pages_filters_and_exports_without_numbers(rk):
    made = [block(rk, 'email', f'page{i}@example.com', reason=f'100% fraud_{i}').json()['id']
            for i in range(7)]
    made.append(block(rk, 'card', CB_FR, reason='stolen').json()['id'])
    seen, cursor = [], None
    while True:
        r = call(rk, 'GET', '/bo/api/blocklist?limit=3' + (f'&cursor={cursor}' if cursor else ''),
                 profile='consultation')
        assert r.status_code == 200
        seen += [e['id'] for e in r.json()['items']]
        cursor = r.json()['next']
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and set(made) <= set(seen)
    # % and _ mean themselves.
    assert len(entries(rk, '?q=100%25 fraud_')) == 7
    assert entries(rk, '?q=fraud%25') == []
    assert {e['kind'] for e in entries(rk, '?kind=card')} == {'card'}
    for bad in ('?kind=iban', '?limit=0', '?limit=501', '?cursor=x', '?expired=yes',
                '?node=abc', '?format=csv', '?nothing=1'):
        r = call(rk, 'GET', '/bo/api/blocklist' + bad, profile='consultation')
        assert r.status_code == 400, bad
    r = call(rk, 'GET', '/bo/api/blocklist/export?format=csv', profile='consultation')
    assert r.status_code == 200 and 'text/csv' in r.headers['Content-Type']
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ['id', 'kind', 'value']
    assert {'497010******0006', 'page3@example.com'} <= {row[2] for row in rows[1:]}
    assert CB_FR not in r.text
    for i in made:
        assert unblock(rk, i).status_code == 204


def test_blocking_from_a_transaction_keeps_its_reason_and_end(rk):
    p = rk.pay(card=MC_FR).json()
    r = call(rk, 'POST', f"/bo/api/transactions/{p['id']}/block-card",
             {'reason': 'disputed', 'expires_at': rk.paris_day(30)})
    assert r.status_code == 200, r.text
    e = next(e for e in entries(rk, '?kind=card') if e['txn_id'] == p['id'])
    assert (e['reason'], e['expires_at'], e['node_name']) == \
        ('disputed', rk.paris_day(30), 'Boutique en ligne')
    assert refusal(rk.pay(card=MC_FR).json()) == ('refused', 'card_not_allowed')
    for body, field in (({'reason': 5}, 'reason'), ({'expires_at': 'tomorrow'}, 'expires_at'),
                        ({'amount': 5}, 'amount')):
        r = call(rk, 'POST', f"/bo/api/transactions/{p['id']}/block-card", body)
        assert r.status_code == 400 and r.json()['field'] == field
    assert unblock(rk, e['id']).status_code == 204


def test_a_removal_racing_payments_splits_them_cleanly(rk):
    """Each payment is decided against one state of the list (service/risk.h): every payment
    refused for the card was recorded before every one accepted after the removal."""
    e = block(rk, 'card', CB_FR).json()
    results = []

    def payer():
        for _ in range(15):
            results.append(rk.pay(card=CB_FR, amount=1500).json())

    threads = [threading.Thread(target=payer) for _ in range(4)]
    for t in threads:
        t.start()
    assert unblock(rk, e['id']).status_code == 204
    for t in threads:
        t.join()
    refused = [int(p['id']) for p in results if p['status'] == 'refused']
    accepted = [int(p['id']) for p in results if p['status'] == 'accepted']
    assert all(p['status'] == 'accepted' or p['refusal_reason'] == 'card_not_allowed'
               for p in results)
    assert accepted and len(refused) + len(accepted) == 60
    assert not refused or max(refused) < min(accepted)


# --- the fraud filters -------------------------------------------------------------------------

def test_the_filters_start_off(rk):
    f = filters(rk, contract_of(rk, 6, 'VISA'))
    assert f == {'max_amount': None, 'max_per_card_day': None, 'blocked_card_countries': [],
                 'blocked_customer_countries': [], 'country_mismatch': False, 'version': 0}


def test_each_filter_refuses_with_its_own_code(rk):
    # Cards starting with 4 pay on the VISA contract (the French ones too), 5131… on the
    # MASTERCARD one.
    visa = contract_of(rk, 4, 'VISA')
    assert set_filters(rk, visa, max_amount=2000).status_code == 200
    assert rk.pay(amount=2000).json()['status'] == 'accepted'            # equal passes
    p = rk.pay(amount=2001).json()
    assert refusal(p) == ('refused', 'amount_above_limit')
    assert p['refusal_message'] == "Amount above the contract's fraud filter limit"
    assert rk.pay(amount=2001, card=MC_FR).json()['status'] == 'accepted'   # another contract
    assert rk.pay(amount=2001, shop=1).json()['status'] == 'accepted'       # another shop

    assert set_filters(rk, visa, blocked_card_countries=['US', 'RU']).status_code == 200
    assert refusal(rk.pay().json()) == ('refused', 'card_country_blocked')
    assert rk.pay(card=CB_FR).json()['status'] == 'accepted'             # a French card

    assert set_filters(rk, visa, blocked_customer_countries=['BE']).status_code == 200
    assert refusal(rk.pay(customer_country='BE').json()) == ('refused', 'customer_country_blocked')
    assert rk.pay(customer_country='FR').json()['status'] == 'accepted'

    assert set_filters(rk, visa, country_mismatch=True).status_code == 200
    assert refusal(rk.pay(card=CB_FR, customer_country='DE').json()) == \
        ('refused', 'country_mismatch')
    assert rk.pay(card=CB_FR, customer_country='FR').json()['status'] == 'accepted'
    assert rk.pay(card=CB_FR).json()['status'] == 'accepted'             # no customer country

    assert set_filters(rk, visa, max_per_card_day=2).status_code == 200
    card = '4000000000003220'                                           # a fresh FR card
    assert [rk.pay(card=card).json()['status'] for _ in range(2)] == ['accepted'] * 2
    p = rk.pay(card=card).json()
    assert refusal(p) == ('refused', 'card_velocity')
    t = call(rk, 'GET', f"/bo/api/transactions/{p['id']}", profile='consultation').json()
    assert t['refusal_reason'] == 'card_velocity'
    assert set_filters(rk, visa).status_code == 200
    assert rk.pay(card=card).json()['status'] == 'accepted'


def test_the_filters_apply_in_their_documented_order(rk):
    visa = contract_of(rk, 5, 'VISA')
    assert set_filters(rk, visa, max_amount=5000, blocked_card_countries=['US'],
                       blocked_customer_countries=['DE'], country_mismatch=True,
                       max_per_card_day=1).status_code == 200
    pay = dict(shop=1)
    assert refusal(rk.pay(amount=5001, customer_country='DE', **pay).json())[1] == \
        'amount_above_limit'
    assert refusal(rk.pay(customer_country='DE', **pay).json())[1] == 'card_country_blocked'
    assert set_filters(rk, visa, blocked_customer_countries=['DE'], country_mismatch=True,
                       max_per_card_day=1).status_code == 200
    assert refusal(rk.pay(customer_country='DE', **pay).json())[1] == 'customer_country_blocked'
    assert refusal(rk.pay(customer_country='FR', **pay).json())[1] == 'country_mismatch'
    # The blocklist and the contract's own rules come before the filters.
    assert refusal(rk.pay(amount=99, customer_country='DE', **pay).json())[1] == \
        'amount_out_of_range'
    e = block(rk, 'country', 'DE').json()
    assert refusal(rk.pay(customer_country='DE', **pay).json())[1] == 'card_not_allowed'
    unblock(rk, e['id'])
    assert set_filters(rk, visa).status_code == 200


def test_a_filter_change_is_logged_before_and_after(rk):
    visa = contract_of(rk, 6, 'VISA')
    r = set_filters(rk, visa, max_amount=10000, blocked_card_countries=['RU', 'KP'])
    assert r.status_code == 200, r.text
    f = r.json()['fraud_filters']
    assert f['max_amount'] == 10000 and f['blocked_card_countries'] == ['KP', 'RU']
    assert f['version'] == filters(rk, visa)['version']
    r = set_filters(rk, visa, max_amount=5000, blocked_card_countries=['RU'],
                    country_mismatch=True)
    assert r.status_code == 200
    details = q(rk, "SELECT details FROM action_log WHERE action = 'fraud_filters_changed' "
                    "ORDER BY id DESC LIMIT 2")
    assert details[0][0] == ('contract 800000601 (VISA, Export Europe); max_amount: 100.00 EUR '
                             '\u2192 50.00 EUR; blocked_card_countries: KP,RU \u2192 RU; '
                             'country_mismatch: off \u2192 on')
    assert details[1][0].startswith('contract 800000601 (VISA, Export Europe); max_amount: '
                                    'none \u2192 100.00 EUR; blocked_card_countries: none')
    assert set_filters(rk, visa).status_code == 200


def test_two_administrators_editing_the_same_filters(rk):
    visa = contract_of(rk, 6, 'VISA')
    read = filters(rk, visa)['version']
    first = set_filters(rk, visa, version=read, max_amount=7000)
    assert first.status_code == 200
    second = set_filters(rk, visa, version=read, max_per_card_day=3)
    assert second.status_code == 409 and second.json()['error'] == 'conflict'
    assert second.json()['fraud_filters']['max_amount'] == 7000       # theirs, to start from
    now = filters(rk, visa)
    assert now['max_amount'] == 7000 and now['max_per_card_day'] is None   # nothing lost
    assert set_filters(rk, visa).status_code == 200


@pytest.mark.parametrize('values,field', [
    (dict(max_amount=-1), 'max_amount'),
    (dict(max_amount=12.5), 'max_amount'),
    (dict(max_amount='100'), 'max_amount'),
    (dict(max_amount=100000000000), 'max_amount'),
    (dict(max_per_card_day=-2), 'max_per_card_day'),
    (dict(max_per_card_day=1001), 'max_per_card_day'),
    (dict(blocked_card_countries=['ZZ']), 'blocked_card_countries'),
    (dict(blocked_card_countries='RU'), 'blocked_card_countries'),
    (dict(blocked_customer_countries=[1]), 'blocked_customer_countries'),
    (dict(blocked_customer_countries=['FR'] * 65), 'blocked_customer_countries'),
    (dict(country_mismatch='yes'), 'country_mismatch'),
    (dict(version='1'), 'version'),
    (dict(velocity=3), 'velocity'),
])
def test_bad_filters_are_refused_and_change_nothing(rk, values, field):
    visa = contract_of(rk, 6, 'VISA')
    before = filters(rk, visa)
    r = set_filters(rk, visa, **values)
    assert r.status_code == 400 and r.json()['field'] == field, r.text
    assert filters(rk, visa) == before


def test_filters_are_for_administrators_of_the_brand(rk):
    visa = contract_of(rk, 6, 'VISA')
    assert set_filters(rk, visa, profile='action').status_code == 403
    other = q(rk, 'SELECT id FROM contract WHERE brand_id = 2 LIMIT 1')[0][0]
    r = call(rk, 'PUT', f'/bo/api/contracts/{other}/fraud-filters', {'version': 0},
             profile='admin')
    assert r.status_code == 404
    assert q(rk, 'SELECT ff_version FROM contract WHERE id = ?', (other,))[0][0] == 0


def test_countries(rk):
    r = call(rk, 'GET', '/bo/api/countries', profile='consultation')
    items = r.json()['items']
    assert len(items) == 249 and items == sorted(items) and 'FR' in items and 'ZZ' not in items


def test_payments_with_a_country_that_is_not_iso_are_refused(rk):
    r = rk.pay(customer_country='ZZ')
    assert r.status_code == 400 and r.json()['field'] == 'customer_country'
