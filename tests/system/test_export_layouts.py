"""The layouts of the journals' exports (SPEC §5, docs/EXPORTS.md): layout=machine (the default,
today's bytes for scripts), classic (what an accountant opens in a spreadsheet: labels, amounts
in units, names, the language's separators, a BOM, the period in the file name) and old (the
journal's fixed default columns, the machine's conventions); a bad layout changes nothing."""
import csv
import io
import re

import pytest

from conftest import Server, q, wait_for
from test_signin import ready_user

WIDE = 'from=2020-01-01&to=2099-12-31'
BOM = b'\xef\xbb\xbf'
SHOP_NAME = 'Boutique; "Centre"'


@pytest.fixture(scope='module')
def ex(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('ex')), transactions=300)
    srv.start()
    srv.users = {'consultation': ready_user(srv, 'demo.consultation')}
    shop = srv.shop(0)
    srv.shop_id = q(srv, 'SELECT id FROM node WHERE name = ?', (shop['name'],))[0][0]
    q(srv, 'UPDATE node SET name = ? WHERE id = ?', (SHOP_NAME, srv.shop_id))
    srv.paid = [srv.pay(amount=15050, order_ref='=1+2').json(),
                srv.pay(amount=990, order_ref='A;B "q"').json()]
    assert all('id' in p for p in srv.paid), srv.paid
    yield srv
    assert srv.stop() == 0


def get(srv, path):
    s, _ = srv.users['consultation']
    return s.get(srv.base + path)


def patch(srv, path, body):
    s, csrf = srv.users['consultation']
    r = s.patch(srv.base + path, json=body, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200, r.text


def today(srv):
    d = srv.paris_day()
    return f'from={d}&to={d}', d


def columns(srv, chosen):
    patch(srv, '/bo/api/me/preferences', {'columns': {'transactions': chosen}})


CHOSEN = ['id', 'created_at', 'type', 'status', 'acquirer_status', 'amount_initial', 'currency',
          'order_ref', 'shop', 'bank_date', 'three_d_secure_guaranteed']


def rows_by_id(text, delimiter):
    rows = list(csv.reader(io.StringIO(text, newline=''), delimiter=delimiter))
    return rows[0], {r[0]: r for r in rows[1:]}


def test_machine_is_the_default_and_unchanged(ex):
    columns(ex, None)
    plain = get(ex, '/bo/api/transactions/export?format=csv&' + WIDE)
    machine = get(ex, '/bo/api/transactions/export?format=csv&layout=machine&' + WIDE)
    assert plain.status_code == machine.status_code == 200
    assert plain.content == machine.content and not plain.content.startswith(BOM)
    assert 'filename="transactions.csv"' in machine.headers['Content-Disposition']
    head, rows = rows_by_id(machine.content.decode(), ',')
    assert head[:4] == ['id', 'created_at', 'shop', 'order_ref']  # the default columns
    mine = rows[str(ex.paid[0]['id'])]
    assert mine[head.index('amount_initial')] == '15050'
    assert mine[head.index('status')] == 'accepted'
    assert mine[head.index('order_ref')] == "'=1+2"


def test_classic_in_french_opens_in_a_french_spreadsheet(ex):
    columns(ex, CHOSEN)
    patch(ex, '/bo/api/me', {'language': 'fr'})
    period, day = today(ex)
    r = get(ex, f'/bo/api/transactions/export?format=csv&layout=classic&{period}')
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'].startswith('text/csv; charset=utf-8')
    assert f'filename="transactions_{day}_{day}.csv"' in r.headers['Content-Disposition']
    assert r.content.startswith(BOM)
    text = r.content[3:].decode('utf-8')
    assert text.split('\r\n')[0] == ('Numéro;Date et heure;Type;Statut;Statut acquéreur;'
                                     'Montant initial;Devise;Référence commande;Magasin;'
                                     'Date de remise;Garantie 3DS')
    head, rows = rows_by_id(text, ';')
    big, small = rows[str(ex.paid[0]['id'])], rows[str(ex.paid[1]['id'])]
    assert big[5] == '150,50' and small[5] == '9,90' and big[6] == 'EUR'
    assert big[2] == 'Débit' and big[3] == 'Acceptée'
    assert big[4] in ('À envoyer', 'En attente de capture', 'Envoyée')
    assert re.fullmatch(r'\d\d/\d\d/\d{4} \d\d:\d\d:\d\d', big[1]), big[1]
    assert big[1][:10] == '/'.join(reversed(day.split('-')))
    assert big[7] == "'=1+2"  # a formula stays text
    assert small[7] == 'A;B "q"' and big[8] == SHOP_NAME  # quoted around ; and "
    assert f'"{SHOP_NAME.replace(chr(34), 2 * chr(34))}"' in text
    if big[9]:
        assert re.fullmatch(r'\d\d/\d\d/\d{4}', big[9])
    assert big[10] in ('Oui', 'Non', 'Non applicable (N/A)')
    # TXT: the same words between tabs.
    t = get(ex, f'/bo/api/transactions/export?format=txt&layout=classic&{period}')
    assert t.status_code == 200 and t.content.startswith(BOM)
    assert f'filename="transactions_{day}_{day}.txt"' in t.headers['Content-Disposition']
    lines = t.content[3:].decode().split('\r\n')
    assert lines[0].split('\t')[:3] == ['Numéro', 'Date et heure', 'Type']
    line = next(l for l in lines if l.startswith(str(ex.paid[0]['id']) + '\t'))
    assert line.split('\t')[5] == '150,50'


def test_classic_in_english(ex):
    columns(ex, CHOSEN)
    patch(ex, '/bo/api/me', {'language': 'en'})
    try:
        period, day = today(ex)
        r = get(ex, f'/bo/api/transactions/export?layout=classic&{period}')
        assert r.status_code == 200 and r.content.startswith(BOM)
        head, rows = rows_by_id(r.content[3:].decode(), ',')
        assert head[:6] == ['Number', 'Date and time', 'Type', 'Status', 'Acquirer status',
                            'Initial amount']
        big = rows[str(ex.paid[0]['id'])]
        assert big[5] == '150.50' and big[2] == 'Debit' and big[3] == 'Accepted'
        assert big[1].startswith(day + ' ') and len(big[1]) == 19
        assert big[8] == SHOP_NAME
    finally:
        patch(ex, '/bo/api/me', {'language': 'fr'})


OLD = ['id', 'created_at', 'type', 'status', 'acquirer_status', 'amount_initial',
       'amount_current', 'currency', 'order_ref', 'card_masked', 'payment_method', 'email',
       'customer_country', 'card_country', 'authorization_number', 'refusal_reason']


def test_old_has_fixed_columns(ex):
    """Vision's former export: its columns whatever the user chose (or the default becomes),
    the machine's conventions."""
    columns(ex, ['order_ref', 'id'])
    period, day = today(ex)
    r = get(ex, f'/bo/api/transactions/export?format=csv&layout=old&{period}')
    assert r.status_code == 200 and not r.content.startswith(BOM)
    assert f'filename="transactions_{day}_{day}.csv"' in r.headers['Content-Disposition']
    assert r.text.split('\r\n')[0] == ','.join(OLD)
    columns(ex, OLD)
    machine = get(ex, f'/bo/api/transactions/export?format=csv&{period}')
    assert r.content == machine.content
    columns(ex, None)


@pytest.mark.parametrize('query', ['layout=excel', 'layout=', 'layout=Classic',
                                   'layout=classic&layout=old', 'format=report&layout=classic'])
def test_a_bad_layout_is_refused(ex, query):
    r = get(ex, f'/bo/api/transactions/export?{WIDE}&{query}')
    assert r.status_code == 400, r.text
    assert r.json()['error'] == 'invalid_field' and r.json()['field'] == 'layout', r.text
    assert get(ex, f'/bo/api/transactions?{WIDE}&layout=classic').status_code == 400


def test_batches_get_the_layouts(ex):
    patch(ex, '/bo/api/me', {'language': 'fr'})
    r = get(ex, f'/bo/api/batches/export?layout=classic&{WIDE}')
    assert r.status_code == 200 and r.content.startswith(BOM)
    assert 'filename="batches_2020-01-01_2099-12-31.csv"' in r.headers['Content-Disposition']
    head = r.content[3:].decode().split('\r\n')[0].split(';')
    assert head[:3] == ['Date et heure', 'Numéro de remise', 'Nb transactions']
    machine = get(ex, f'/bo/api/batches/export?{WIDE}')
    assert machine.content.split(b'\r\n')[0].split(b',')[:2] == [b'created_at', b'number']
    assert get(ex, f'/bo/api/batches/export?layout=new&{WIDE}').json()['field'] == 'layout'


OTHERS = [
    ('/bo/api/installment-plans/export?' + WIDE, 'installment-plans',
     ['Numéro', 'Statut', 'Type / nombre d’échéances']),
    ('/bo/api/subscriptions/export?' + WIDE, 'subscriptions', ['Numéro', 'Statut']),
    ('/bo/api/reconciliation/export?' + WIDE, 'reconciliation',
     ['Numéro de transaction', 'Date et heure', 'Réf. commande', 'Montant', 'Devise', 'Type']),
    ('/bo/api/blocklist/export?expired=1', 'blocklist', ['Numéro', 'Type', 'Valeur', 'Portée']),
    ('/bo/api/api-errors/export?', 'api-errors', ['Heure', 'Boutique', 'Site', 'Rang']),
]


@pytest.mark.parametrize('path,name,labels', OTHERS)
def test_every_journal_export_has_the_layouts(ex, path, name, labels):
    patch(ex, '/bo/api/me', {'language': 'fr'})
    ex.api('POST', '/api/v1/payments', {'amount': 1}, signature='00' * 32)  # an API error
    sep = '&' if not path.endswith('?') else ''
    if name == 'api-errors':  # the error log is written behind the answer
        wait_for(lambda: len(get(ex, path).content.split(b'\r\n')) > 2)
    machine = get(ex, path)
    assert machine.status_code == 200, machine.text
    assert get(ex, path + sep + 'layout=machine').content == machine.content
    assert not machine.content.startswith(BOM)
    assert f'filename="{name}.csv"' in machine.headers['Content-Disposition']
    r = get(ex, path + sep + 'layout=classic')
    assert r.status_code == 200 and r.content.startswith(BOM), r.text
    assert r.headers['Content-Disposition'].startswith(f'attachment; filename="{name}')
    rows = list(csv.reader(io.StringIO(r.content[3:].decode(), newline=''), delimiter=';'))
    machine_rows = list(csv.reader(io.StringIO(machine.text, newline='')))
    assert rows[0][:len(labels)] == labels
    assert len(rows) == len(machine_rows) and len(rows) > 1 or name == 'reconciliation'
    assert all(len(row) == len(rows[0]) for row in rows)
    for row, raw in zip(rows[1:], machine_rows[1:]):
        for cell, value in zip(row, raw):
            if re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d', value):
                assert cell == f'{value[8:10]}/{value[5:7]}/{value[:4]} {value[11:19]}'
    t = get(ex, path + sep + 'layout=classic&format=txt')
    assert t.status_code == 200 and t.content.startswith(BOM)
    assert t.content[3:].decode().split('\r\n')[0].split('\t')[:len(labels)] == labels
    old = get(ex, path + sep + 'layout=old')
    assert old.status_code == 200 and not old.content.startswith(BOM)
    r = get(ex, path + sep + 'layout=excel')
    assert r.status_code == 400 and r.json()['field'] == 'layout', r.text
    assert 'machine' in r.json()['message']


def test_plans_classic_words_and_amounts(ex):
    patch(ex, '/bo/api/me/preferences', {'columns': {'installment_plans': [
        'id', 'status', 'amount', 'currency', 'shop_name', 'start', 'remaining']}})
    machine = list(csv.reader(io.StringIO(get(
        ex, '/bo/api/installment-plans/export?' + WIDE).text, newline='')))
    r = get(ex, '/bo/api/installment-plans/export?layout=classic&' + WIDE)
    rows = list(csv.reader(io.StringIO(r.content[3:].decode(), newline=''), delimiter=';'))
    assert rows[0] == ['Numéro', 'Statut', 'Montant total / récurrent', 'Devise', 'Magasin',
                       'Premier débit', 'Paiements restants']
    names = {'in_progress': 'En cours', 'finished': 'Terminé', 'failed': 'Échoué',
             'terminated': 'Résilié', 'will_fail': 'Va échouer'}
    for row, raw in zip(rows[1:], machine[1:]):
        assert row[0] == raw[0] and row[1] == names[raw[1]] and row[4] == raw[4]
        assert raw[3] == 'EUR' and row[2] == f'{int(raw[2]) // 100},{int(raw[2]) % 100:02d}'
        y, m, d = raw[5].split('-')
        assert row[5] == f'{d}/{m}/{y}' and row[6] == raw[6]
    patch(ex, '/bo/api/me/preferences', {'columns': {'installment_plans': None}})


def test_contracts_export_has_the_layouts(ex):
    patch(ex, '/bo/api/me', {'language': 'fr'})
    machine = get(ex, '/bo/api/contracts/export')
    assert machine.status_code == 200, machine.text
    assert get(ex, '/bo/api/contracts/export?layout=machine').content == machine.content
    assert get(ex, '/bo/api/contracts/export?layout=old').content == machine.content
    raw = list(csv.DictReader(io.StringIO(machine.text, newline='')))
    r = get(ex, '/bo/api/contracts/export?layout=classic')
    assert r.status_code == 200 and r.content.startswith(BOM)
    assert 'filename="contracts.csv"' in r.headers['Content-Disposition']
    rows = list(csv.DictReader(io.StringIO(r.content[3:].decode(), newline=''), delimiter=';'))
    assert len(rows) == len(raw) > 0
    assert list(rows[0])[:5] == ['Magasin', 'Site', 'Rang', 'Moyen de paiement',
                                 'Numéro de contrat']
    for row, m in zip(rows, raw):
        assert row['Magasin'] == m['shop'] and row['État'] == {
            'active': 'Actif', 'inactive': 'Inactif'}[m['state']]
        assert row['Montant min'] == m['amount_min'].replace('.', ',')
        assert row['3-D Secure'] == {'yes': 'Oui', 'no': 'Non'}[m['three_d_secure']]
        if m['created_at']:
            assert re.fullmatch(r'\d\d/\d\d/\d{4} \d\d:\d\d:\d\d', row['Date de création'])
    r = get(ex, '/bo/api/contracts/export?layout=spreadsheet')
    assert r.status_code == 400 and r.json()['field'] == 'layout'
