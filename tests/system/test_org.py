"""The tree navigation, the contracts, and node=ID on every search (Vision manual §2.3, §9.2):
a node is seen from itself or above, never from another branch or brand."""

from datetime import datetime, timedelta, timezone

import pytest

from conftest import Server, q
from test_signin import ready_user
from test_users import ready_user_with, spooled_password

WIDE = 'from=2020-01-01&to=2099-12-31'


@pytest.fixture(scope='module')
def org(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('org')), transactions=300)
    srv.add_brand('OTHERBRAND', transactions=20)
    srv.start()
    srv.users = {p: ready_user(srv, f'demo.{p}') for p in ('consultation', 'action', 'admin')}
    yield srv
    assert srv.stop() == 0


def get(srv, path, profile='consultation', session=None):
    s, _ = session or srv.users[profile]
    return s.get(srv.base + path)


def node(srv, name, brand=1):
    return q(srv, 'SELECT id FROM node WHERE name = ? AND brand_id = ?', (name, brand))[0][0]


def test_tree_is_the_users_node_and_below_depth_first(org):
    r = get(org, '/bo/api/tree')
    assert r.status_code == 200, r.text
    nodes = r.json()['nodes']
    assert nodes[0]['level'] == 'brand' and nodes[0]['parent_id'] is None
    names = [n['name'] for n in nodes]
    assert names[1] == 'Boutiques France'
    # Depth first: each group is followed by its shops.
    seen = set()
    for n in nodes[1:]:
        assert n['parent_id'] in seen | {nodes[0]['id']}
        seen.add(n['id'])
    shops = [n for n in nodes if n['level'] == 'shop']
    assert len(shops) == 3 and all(len(n['site']) == 7 and len(n['rang']) == 3 for n in shops)
    assert {n['id'] for n in nodes} == {i for (i,) in q(org, 'SELECT id FROM node WHERE brand_id = 1')}
    assert get(org, '/bo/api/tree?node=1').status_code == 400


def test_contracts_list_and_details(org):
    r = get(org, '/bo/api/contracts')
    assert r.status_code == 200, r.text
    items = r.json()['items']
    assert len(items) == q(org, 'SELECT count(*) FROM contract WHERE brand_id = 1')[0][0] == 15
    assert set(items[0]) >= {'id', 'number', 'rang', 'payment_method', 'bank_code', 'active',
                             'shop_id', 'shop_name', 'currency'}
    d = get(org, f"/bo/api/contracts/{items[0]['id']}").json()
    for k in ('label', 'amount_min', 'amount_max', 'deferral_days', 'three_d_secure',
              'created_at', 'last_auth_at', 'deactivated_at', 'brand_name', 'site', 'test_mode',
              'test_date', 'telecollect_number', 'report_email', 'last_batch_at',
              'last_batch_number', 'fraud_filters'):
        assert k in d, k
    assert d['brand_name'] == 'Maison Guichet' and d['amount_max'] >= d['amount_min']
    export = node(org, 'Export')
    got = get(org, f'/bo/api/contracts?node={export}').json()['items']
    shop = q(org, "SELECT id FROM shop WHERE brand_id = 1 AND site = '1999889'")[0][0]
    assert got and all(c['shop_id'] == shop for c in got)


def test_contracts_export(org):
    """SPEC §2: the contracts page exports; the same contracts as the list, with the details,
    in the chosen node, instants in the user's zone."""
    import csv
    import io
    listed = get(org, '/bo/api/contracts').json()['items']
    r = get(org, '/bo/api/contracts/export?format=csv')
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'].startswith('text/csv')
    assert 'attachment; filename="contracts.csv"' in r.headers['Content-Disposition']
    rows = list(csv.DictReader(io.StringIO(r.content.decode('utf-8'), newline='')))
    assert sorted((x['number'], x['payment_method'], x['shop']) for x in rows) == sorted(
        (c['number'], c['payment_method'], c['shop_name']) for c in listed)
    cb = next(x for x in rows if x['payment_method'] == 'CB')
    assert (cb['amount_min'], cb['amount_max'], cb['currency']) == ('1.00', '5000.00', 'EUR')
    assert cb['three_d_secure'] == 'yes' and cb['state'] == 'active'
    assert cb['created_at'][-6:] in ('+01:00', '+02:00'), cb['created_at']
    r = get(org, '/bo/api/contracts/export?format=txt')
    assert r.status_code == 200 and r.headers['Content-Type'].startswith('text/plain')
    lines = r.text.splitlines()
    assert lines[0].split('\t')[:5] == ['shop', 'site', 'rang', 'payment_method', 'number']
    assert len(lines) == len(rows) + 1
    export = node(org, 'Export')
    r = get(org, f'/bo/api/contracts/export?node={export}')
    shops = {x['site'] for x in csv.DictReader(io.StringIO(r.text, newline=''))}
    assert r.status_code == 200 and shops == {'1999889'}
    assert get(org, f"/bo/api/contracts/export?node={node(org, 'Export', brand=2)}").status_code == 404
    for bad in ('format=xml', 'format=csv&format=txt', 'node=x', 'other=1'):
        assert get(org, '/bo/api/contracts/export?' + bad).status_code == 400, bad
    assert get(org, '/bo/api/contracts/export', profile='admin').status_code == 200


def test_node_scopes_every_search(org):
    group = node(org, 'Boutiques France')
    shops = [i for (i,) in q(org, 'SELECT id FROM node WHERE parent_id = ?', (group,))]
    rows = [int(i['id']) for i in get(org, f'/bo/api/transactions?{WIDE}&node={group}&limit=500').json()['items']]
    want = [i for (i,) in q(org, f"SELECT id FROM txn WHERE brand_id = 1 AND shop_id IN ({','.join(map(str, shops))}) "
                                 'ORDER BY created_at DESC, id DESC LIMIT 500')]
    assert rows == want
    export = get(org, f'/bo/api/transactions/export?{WIDE}&node={group}')
    assert export.status_code == 200 and len(export.content.decode().splitlines()) - 1 == len(
        q(org, f"SELECT id FROM txn WHERE brand_id = 1 AND shop_id IN ({','.join(map(str, shops))})"))
    # The day after the last transaction's (UTC), and 400 days before it: computed here, the
    # date functions of SQLite and PostgreSQL differ.
    last = datetime.fromtimestamp(q(org, 'SELECT max(created_at) FROM txn')[0][0] / 1e6,
                                  timezone.utc).date() + timedelta(days=1)
    day, start = last.isoformat(), (last - timedelta(days=400)).isoformat()
    all_stats = get(org, f'/bo/api/stats?from={start}&to={day}').json()
    group_stats = get(org, f'/bo/api/stats?from={start}&to={day}&node={group}').json()
    assert 0 < group_stats['count'] < all_stats['count']
    assert get(org, f'/bo/api/batches?{WIDE}&node={group}').status_code == 200


def test_node_outside_the_scope_is_not_found(org, tmp_path):
    other_brand_node = node(org, 'OTHERBRAND', brand=2) if q(org, "SELECT 1 FROM node WHERE name = 'OTHERBRAND'") \
        else q(org, 'SELECT id FROM node WHERE brand_id = 2 LIMIT 1')[0][0]
    for path in (f'/bo/api/transactions?{WIDE}&node={other_brand_node}',
                 f'/bo/api/transactions/export?{WIDE}&node={other_brand_node}',
                 f'/bo/api/batches?{WIDE}&node={other_brand_node}',
                 f'/bo/api/stats?from=2026-01-01&to=2026-01-31&node={other_brand_node}',
                 f'/bo/api/contracts?node={other_brand_node}',
                 f'/bo/api/transactions?{WIDE}&node=999999'):
        r = get(org, path)
        assert r.status_code == 404, (path, r.status_code, r.text)
    other_contract = q(org, 'SELECT id FROM contract WHERE brand_id = 2 LIMIT 1')[0][0]
    assert get(org, f'/bo/api/contracts/{other_contract}').status_code == 404
    # A user of one group sees neither the brand's node nor the other group.
    admin = org.users['admin']
    export_group = node(org, 'Export')
    r = admin[0].post(org.base + '/bo/api/users', headers={'X-CSRF-Token': admin[1]},
                      json={'login': 'paul.export', 'name': 'Paul', 'email': 'paul@example.com',
                            'profile': 'consultation', 'node_id': export_group})
    assert r.status_code == 201, r.text
    paul = ready_user_with(org, 'paul.export', spooled_password(org, 'paul@example.com'))
    tree = get(org, '/bo/api/tree', session=paul).json()['nodes']
    assert tree[0]['id'] == export_group and len(tree) == 2
    france = node(org, 'Boutiques France')
    for path in (f'/bo/api/transactions?{WIDE}&node={france}', f'/bo/api/contracts?node={france}',
                 '/bo/api/stats?from=2026-01-01&to=2026-01-31&node=1'):
        assert get(org, path, session=paul).status_code == 404, path
    france_contract = q(org, 'SELECT c.id FROM contract c JOIN node n ON n.id = c.shop_id '
                             'WHERE n.parent_id = ?', (france,))[0][0]
    assert get(org, f'/bo/api/contracts/{france_contract}', session=paul).status_code == 404


@pytest.mark.parametrize('query', ['node=abc', 'node=0', 'node=-1', 'node=1&node=1', 'colour=red'])
def test_bad_node_and_unknown_parameters(org, query):
    assert get(org, f'/bo/api/contracts?{query}').status_code == 400
    assert get(org, f'/bo/api/stats?from=2026-01-01&to=2026-01-31&{query}').status_code == 400


@pytest.mark.parametrize('name', ['n%F4ode', '%C3', 'a%E2%80%AEb', 'x%0Ay', 'k' * 40])
def test_unknown_parameter_not_text_is_named_query(org, name):
    """Fuzzing found it (docs/FUZZING.md): an unknown parameter's name is named back in the
    answer, and one not UTF-8 made no JSON, which stopped the server."""
    for path in (f'/bo/api/contracts?{name}=9', f'/bo/api/tree?{name}=1'):
        r = get(org, path)
        assert r.status_code == 400, (path, r.text)
        assert r.json()['error'] == 'invalid_field' and r.json()['field'] == 'query', r.text
    assert get(org, '/bo/api/contracts').status_code == 200


def test_details_say_which_operations_the_user_may_do(org):
    awaiting = org.pay(capture='manual').json()['id']
    d = get(org, f'/bo/api/transactions/{awaiting}', profile='action').json()
    assert d['operations']['capture'] is True and d['operations']['refund'] is False
    assert d['operations']['cancel'] is False
    c = get(org, f'/bo/api/transactions/{awaiting}').json()
    assert not any(c['operations'].values())  # consultation acts on nothing
    sent = q(org, 'SELECT id FROM txn WHERE brand_id = 1 AND acq = 3 AND type = 0 AND status = 0 '
                  "AND amount_current > 0 AND accepted_at > ? ORDER BY id DESC LIMIT 1",
              (org.now_us(-60 * 86400),))[0][0]
    d = get(org, f'/bo/api/transactions/{sent}', profile='action').json()
    assert d['operations']['refund'] is True and d['operations']['cancel'] is False
    refused = org.pay(card='4000000000000002').json()['id']
    d = get(org, f'/bo/api/transactions/{refused}', profile='action').json()
    assert not d['operations']['capture'] and not d['operations']['refund']
