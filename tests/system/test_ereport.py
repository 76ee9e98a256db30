"""Electronic reporting (SPEC §14, Vision manual §3.4.6; docs/EREPORTING.md): each user's
structure and format, the transactions' download in them (every structure × format, the XML
against docs/ereport.xsd, the fixed-length lines of the documented width, the delimited read
by a CSV reader), and the preference routes' refusals."""
import csv
import io
import os
import re
import subprocess
from urllib.parse import quote

import pytest

from conftest import Server
from test_signin import ready_user

WIDE = 'from=2020-01-01&to=2099-12-31'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
XSD = os.path.join(ROOT, 'docs', 'ereport.xsd')
DOC = os.path.join(ROOT, 'docs', 'EREPORTING.md')

STANDARD = ['id', 'created_at', 'type', 'status', 'acquirer_status', 'amount_initial',
            'currency', 'order_ref', 'shop', 'payment_method']
COLUMNS = {
    'standard': STANDARD,
    'extended': STANDARD + ['card_masked', 'card_expiry', 'card_country', 'three_d_secure',
                            'three_d_secure_authenticated', 'three_d_secure_guaranteed',
                            'email', 'customer_country'],
    'file_management': STANDARD + ['batch', 'bank_date', 'batch_file_line'],
    'dynamic': ['order_ref', 'amount_current', 'created_at', 'three_d_secure', 'shop', 'id'],
}


@pytest.fixture(scope='module')
def er(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('er')), transactions=300)
    srv.add_brand('OTHERBRAND', transactions=20)
    srv.start()
    srv.users = {p: ready_user(srv, f'demo.{p}') for p in ('consultation', 'admin')}
    yield srv
    assert srv.stop() == 0


def get(srv, path, profile='consultation'):
    s, _ = srv.users[profile]
    return s.get(srv.base + path)


def patch(srv, path, body, profile='consultation'):
    s, csrf = srv.users[profile]
    return s.patch(srv.base + path, json=body, headers={'X-CSRF-Token': csrf})


def search_ids(srv, query):
    ids, cursor = [], None
    while True:
        r = get(srv, '/bo/api/transactions?' + query + '&limit=500' +
                (f'&cursor={cursor}' if cursor else ''))
        assert r.status_code == 200, r.text
        ids += [str(i['id']) for i in r.json()['items']]
        cursor = r.json()['next']
        if cursor is None:
            return ids


def fixed_layout():
    """The fixed-length layout documented in docs/EREPORTING.md: {column: (width, right)}."""
    layout = {}
    with open(DOC, encoding='utf-8') as f:
        for line in f:
            m = re.match(r'\|\s*`(\w+)`\s*\|\s*(\d+)\s*\|\s*(left|right)\s*\|', line)
            if m:
                layout[m.group(1)] = (int(m.group(2)), m.group(3) == 'right')
    return layout


def rows_of(r, fmt, columns, tmp_path):
    """The rows of a report as lists of strings, checked against the format's rules."""
    text = r.content.decode('utf-8')
    if fmt == 'delimited':
        assert r.headers['Content-Type'].startswith('text/csv')
        rows = list(csv.reader(io.StringIO(text, newline='')))
        assert rows[0] == columns
        return rows[1:]
    if fmt == 'xml':
        assert r.headers['Content-Type'].startswith('application/xml')
        path = tmp_path / 'report.xml'
        path.write_bytes(r.content)
        done = subprocess.run(['xmllint', '--noout', '--schema', XSD, str(path)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        import xml.etree.ElementTree as ET
        root = ET.fromstring(r.content)
        assert root.tag == 'ereport'
        return [[(t.find(c).text or '') for c in columns] for t in root]
    assert r.headers['Content-Type'].startswith('text/plain')
    layout = fixed_layout()
    width = sum(layout[c][0] for c in columns)
    lines = text.split('\r\n')
    assert lines[-1] == ''
    rows = []
    for line in lines[:-1]:
        assert len(line) == width, line
        row, at = [], 0
        for c in columns:
            w, _ = layout[c]
            row.append(line[at:at + w].strip())
            at += w
        rows.append(row)
    return rows


@pytest.mark.parametrize('fmt', ['delimited', 'xml', 'fixed'])
@pytest.mark.parametrize('structure', ['standard', 'extended', 'file_management', 'dynamic'])
def test_download_in_each_structure_and_format(er, structure, fmt, tmp_path):
    if structure == 'dynamic':
        r = patch(er, '/bo/api/me/preferences',
                  {'columns': {'transactions': COLUMNS['dynamic']}})
        assert r.status_code == 200, r.text
    r = patch(er, '/bo/api/me/preferences', {'ereport': {'structure': structure, 'format': fmt}})
    assert r.status_code == 200, r.text
    assert r.json()['ereport']['structure'] == structure
    assert r.json()['ereport']['format'] == fmt
    columns = COLUMNS[structure]
    for query in (WIDE, WIDE + '&status=refused', WIDE + '&amount=ge:5000'):
        r = get(er, '/bo/api/transactions/export?format=report&' + query)
        assert r.status_code == 200, r.text
        ext = {'delimited': 'csv', 'xml': 'xml', 'fixed': 'txt'}[fmt]
        assert f'filename="transactions.{ext}"' in r.headers['Content-Disposition']
        rows = rows_of(r, fmt, columns, tmp_path)
        ids = [row[columns.index('id')] for row in rows]
        expected = search_ids(er, query)
        assert ids == expected and len(expected) > 0, query
        if query == WIDE:
            assert len(rows) >= 300
        if 'batch_file_line' in columns:
            assert all(row[-1] == '' for row in rows)
    # The same rows as the CSV export of the same columns, in minor units and the user's zone.
    if structure != 'dynamic' and fmt != 'fixed':
        patch(er, '/bo/api/me/preferences',
              {'columns': {'transactions': [c for c in columns if c != 'batch_file_line']}})
        plain = get(er, '/bo/api/transactions/export?format=csv&' + WIDE)
        want = list(csv.reader(io.StringIO(plain.content.decode('utf-8'), newline='')))[1:]
        got = rows_of(get(er, '/bo/api/transactions/export?format=report&' + WIDE), fmt,
                      columns, tmp_path)
        if 'batch_file_line' in columns:
            got = [row[:-1] for row in got]
        # CSV defuses formulas with an apostrophe; the XML has the value as it is.
        assert [[v.lstrip("'") for v in row] for row in want] == \
            [[v.lstrip("'") for v in row] for row in got]
    patch(er, '/bo/api/me/preferences', {'columns': {'transactions': None},
                                         'ereport': {'structure': None, 'format': None}})


def test_defaults_and_bad_values(er):
    r = get(er, '/bo/api/me/preferences')
    assert r.status_code == 200
    e = r.json()['ereport']
    assert (e['structure'], e['format']) == ('standard', 'delimited')
    assert e['available_structures'] == ['standard', 'extended', 'file_management', 'dynamic']
    assert e['available_formats'] == ['delimited', 'xml', 'fixed']
    assert patch(er, '/bo/api/me/preferences',
                 {'ereport': {'structure': 'extended', 'format': 'xml'}}).status_code == 200
    for body, field in (({'structure': 'huge'}, 'ereport.structure'),
                        ({'format': 'pdf'}, 'ereport.format'),
                        ({'format': 3}, 'ereport.format'),
                        ({'colour': 'red'}, 'ereport'),
                        ('standard', 'ereport'),
                        ({'structure': 'standard', 'format': 'json'}, 'ereport.format')):
        r = patch(er, '/bo/api/me/preferences', {'ereport': body})
        assert r.status_code == 400 and r.json()['field'] == field, (body, r.text)
    e = get(er, '/bo/api/me/preferences').json()['ereport']
    assert (e['structure'], e['format']) == ('extended', 'xml')  # nothing changed
    r = get(er, '/bo/api/transactions/export?format=report&' + WIDE)
    assert r.headers['Content-Type'].startswith('application/xml')
    assert get(er, '/bo/api/batches/export?format=report&' + WIDE).status_code == 400
    r = patch(er, '/bo/api/me/preferences', {'ereport': {'structure': None, 'format': None}})
    e = r.json()['ereport']
    assert (e['structure'], e['format']) == ('standard', 'delimited')


def test_values_escaped_and_cut(er, tmp_path):
    """An order reference with XML's special characters, a comma and a quote, and longer than
    its fixed width: escaped in XML, quoted in delimited, cut to its width in fixed."""
    ref = 'A&B<C>"D\'E,F;' + 'é' * 80
    pay = er.pay(amount=4321, order_ref=ref)
    assert pay.status_code in (200, 201), pay.text
    query = WIDE + '&order_ref=' + quote(ref)
    for fmt in ('xml', 'delimited', 'fixed'):
        patch(er, '/bo/api/me/preferences', {'ereport': {'structure': 'standard', 'format': fmt}})
        r = get(er, '/bo/api/transactions/export?format=report&' + query)
        assert r.status_code == 200, r.text
        rows = rows_of(r, fmt, STANDARD, tmp_path)
        assert len(rows) == 1
        got = rows[0][STANDARD.index('order_ref')]
        if fmt == 'fixed':
            assert got == ref[:64]
        else:
            assert got == ref
    # Characters no form lets in, written in the store by hand: a control character XML 1.0
    # does not allow becomes a space, and a tab or line break never breaks a fixed line.
    from conftest import q
    tid = pay.json()['id']
    q(er, 'UPDATE txn SET order_ref = ? WHERE id = ?', ('X\x01Y\tZ\r\nW', tid))
    for fmt, want in (('xml', 'X Y\tZ\nW'), ('delimited', 'X\x01Y\tZ\r\nW'), ('fixed', 'X Y Z  W')):
        patch(er, '/bo/api/me/preferences', {'ereport': {'structure': 'standard', 'format': fmt}})
        r = get(er, f'/bo/api/transactions/export?format=report&{WIDE}&id={tid}')
        rows = rows_of(r, fmt, STANDARD, tmp_path)
        assert [row[0] for row in rows] == [str(tid)]
        assert rows[0][STANDARD.index('order_ref')] == want, fmt
    patch(er, '/bo/api/me/preferences', {'ereport': {'structure': None, 'format': None}})


def test_an_administrator_sets_a_users_choice(er):
    """On a user's page (README "Users"): the same rules as the other edits of a user, an
    action-log line saying what changed; another brand's user is not found."""
    from conftest import q
    uid = q(er, "SELECT id FROM user WHERE login = 'demo.consultation'")[0][0]
    me = q(er, "SELECT id FROM user WHERE login = 'demo.admin'")[0][0]
    path = f'/bo/api/users/{uid}/ereport'
    r = get(er, path, 'admin')
    assert r.status_code == 200, r.text
    assert (r.json()['structure'], r.json()['format']) == ('standard', 'delimited')
    r = patch(er, path, {'structure': 'file_management', 'format': 'fixed'}, 'admin')
    assert r.status_code == 200, r.text
    assert (r.json()['structure'], r.json()['format']) == ('file_management', 'fixed')
    e = get(er, '/bo/api/me/preferences').json()['ereport']
    assert (e['structure'], e['format']) == ('file_management', 'fixed')
    r = get(er, '/bo/api/transactions/export?format=report&' + WIDE)
    assert r.headers['Content-Type'].startswith('text/plain')
    logged = q(er, "SELECT details FROM action_log WHERE action = 'user_ereport_changed' AND "
                   "target_user_id = ? ORDER BY id", (uid,))
    assert logged[-1][0] == ('structure: "standard" → "file_management"; '
                             'format: "delimited" → "fixed"')
    # Bad values: 400 naming the field, nothing changed, nothing logged.
    for body, field in (({'structure': 'all'}, 'structure'), ({'format': None, 'x': 1}, 'x'),
                        ({'format': ['xml']}, 'format')):
        r = patch(er, path, body, 'admin')
        assert r.status_code == 400 and r.json()['field'] == field, (body, r.text)
    assert get(er, path, 'admin').json()['format'] == 'fixed'
    assert len(q(er, "SELECT id FROM action_log WHERE action = 'user_ereport_changed'")) == 1
    # Not an administrator: refused, even for oneself through this route.
    assert get(er, path).status_code == 403
    assert patch(er, f'/bo/api/users/{me}/ereport', {'format': 'xml'}).status_code == 403
    # Another brand's user, and no user at all: not found.
    other = q(er, "SELECT min(id) FROM user WHERE brand_id <> 1")[0][0]
    assert get(er, f'/bo/api/users/{other}/ereport', 'admin').status_code == 404
    assert patch(er, f'/bo/api/users/{other}/ereport', {'format': 'xml'},
                 'admin').status_code == 404
    assert get(er, '/bo/api/users/999999/ereport', 'admin').status_code == 404
    r = patch(er, path, {'structure': None, 'format': None}, 'admin')
    assert (r.json()['structure'], r.json()['format']) == ('standard', 'delimited')


def test_schema_and_layout_cover_every_column(er):
    """A column added to the journal is a column of the dynamic structure: the XSD and the
    fixed-length layout must know it (else the XML is invalid, or the column is 32 wide
    without a word in the docs)."""
    import xml.etree.ElementTree as ET
    available = get(er, '/bo/api/me/preferences').json()['available_columns']['transactions']
    ns = {'xs': 'http://www.w3.org/2001/XMLSchema'}
    kind = ET.parse(XSD).find("xs:complexType[@name='transaction']", ns)
    names = [e.get('name') for e in kind.iter('{http://www.w3.org/2001/XMLSchema}element')]
    assert sorted(names) == sorted(available + ['batch_file_line'])
    assert sorted(fixed_layout()) == sorted(available + ['batch_file_line'])
