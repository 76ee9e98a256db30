"""User management, personal information, the action log and tenant isolation, through HTTP
(SPEC §2, §3, §13; Vision manual §11). The authorization table: test_access.py."""
import glob
import os
import re
import time

import pytest

from conftest import DatabaseError, Server, connect
from test_signin import NEW_PASSWORD, ready_user, sign_in

OTHER = 'OTHERBRAND'


@pytest.fixture(scope='module')
def bo(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('bo')), transactions=0)
    srv.other = srv.add_brand(OTHER)
    srv.start()
    srv.users = {}
    for u in srv.demo['users']:
        srv.users[u['profile']] = ready_user(srv, u['login'])
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    for u in srv.demo['users'] + srv.other['users']:
        assert u['password'] not in log


def admin(bo):
    return bo.users['admin']


def call(bo, profile, method, path, body=None, session=None):
    s, csrf = session or bo.users[profile]
    return s.request(method, bo.base + path, json=body, headers={'X-CSRF-Token': csrf})


def user_id(bo, login):
    with connect(bo.db) as db:
        return db.execute('SELECT id FROM user WHERE login = ?', (login,)).fetchone()[0]


def node_id(bo, name):
    with connect(bo.db) as db:
        return db.execute('SELECT id FROM node WHERE name = ?', (name,)).fetchone()[0]


def spooled_password(bo, email, timeout=10, other_than=None):
    """The temporary password of the last mail to email in the spool folder (waiting for one
    that is not other_than, an earlier one)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in sorted(glob.glob(os.path.join(bo.tmp, 'spool', '*.eml')), reverse=True):
            text = open(path, encoding='utf-8').read()
            if f'To: <{email}>' in text:
                found = re.search(r'Mot de passe provisoire : (\S+)', text).group(1)
                if found != other_than:
                    return found
                break
        time.sleep(0.1)
    raise AssertionError('no mail to ' + email)


def test_list_users_of_the_node_and_below(bo):
    r = call(bo, 'admin', 'GET', '/bo/api/users')
    assert r.status_code == 200, r.text
    items = {u['login']: u for u in r.json()['items']}
    assert set(items) >= {'demo.consultation', 'demo.action', 'demo.admin', 'demo.entry',
                          'demo.hmac'}
    me = items['demo.admin']
    assert me['level'] == 'brand' and me['profile'] == 'admin'
    assert me['sign_ins_this_week'] >= 1 and me['sign_ins_total'] >= 1
    assert set(me) >= {'email', 'mobile', 'node_name', 'locked'}
    assert 'argon2' not in r.text and 'password_hash' not in r.text


def test_create_user_mails_a_first_password(bo):
    body = {'login': 'claire.export', 'name': 'Claire Export', 'email': 'claire@example.com',
            'profile': 'action', 'node_id': node_id(bo, 'Export')}
    r = call(bo, 'admin', 'POST', '/bo/api/users', body)
    assert r.status_code == 201, r.text
    assert r.json()['must_change_password'] is True
    temp = spooled_password(bo, 'claire@example.com')
    s, r = sign_in(bo, 'claire.export', password=temp)
    assert r.status_code == 200 and r.json()['next'] == 'change_password'
    # Once delivered, the mail's body is wiped from the outbox.
    time.sleep(1.5)
    with connect(bo.db) as db:
        assert db.execute("SELECT count(*) FROM mail_outbox WHERE body LIKE ?",
                          (f'%{temp}%',)).fetchone()[0] == 0
    again = call(bo, 'admin', 'POST', '/bo/api/users', body)
    assert again.status_code == 409 and again.json()['error'] == 'login_taken'


@pytest.mark.parametrize('body,field', [
    ({'login': 'Bad Login', 'name': 'x', 'email': 'x@example.com', 'profile': 'action'}, 'login'),
    ({'login': 'ok.login', 'name': 'x', 'email': 'not-mail', 'profile': 'action'}, 'email'),
    ({'login': 'ok.login', 'name': 'x', 'email': 'x@example.com', 'profile': 'boss'}, 'profile'),
    ({'login': 'ok.login', 'email': 'x@example.com', 'profile': 'action'}, 'name'),
    ({'login': 'ok.login', 'name': 'x', 'email': 'x@example.com', 'profile': 'action',
      'mobile': 'call me'}, 'mobile'),
    ({'login': 'ok.login', 'name': 'x', 'email': 'x@example.com', 'profile': 'action',
      'admin': True}, 'admin'),
])
def test_create_user_bad_input(bo, body, field):
    r = call(bo, 'admin', 'POST', '/bo/api/users', body)
    assert r.status_code == 400 and r.json()['field'] == field, r.text


def test_edit_email_and_mobile_not_together(bo):
    uid = user_id(bo, 'demo.entry')
    r = call(bo, 'admin', 'PATCH', f'/bo/api/users/{uid}',
             {'email': 'new@example.com', 'mobile': '+33 6 12 34 56 78'})
    assert r.status_code == 422 and r.json()['error'] == 'email_and_mobile'
    r = call(bo, 'admin', 'PATCH', f'/bo/api/users/{uid}', {'email': 'new@example.com'})
    assert r.status_code == 200 and r.json()['email'] == 'new@example.com'
    r = call(bo, 'admin', 'PATCH', f'/bo/api/users/{uid}', {'mobile': '+33 6 12 34 56 78'})
    assert r.status_code == 200 and r.json()['mobile'] == '+33 6 12 34 56 78'


def test_personal_information(bo):
    r = call(bo, 'consultation', 'GET', '/bo/api/me')
    assert r.status_code == 200 and r.json()['login'] == 'demo.consultation'
    r = call(bo, 'consultation', 'PATCH', '/bo/api/me',
             {'email': 'moi@example.com', 'mobile': '0612345678'})
    assert r.status_code == 422 and r.json()['error'] == 'email_and_mobile'
    r = call(bo, 'consultation', 'PATCH', '/bo/api/me', {'language': 'en',
                                                         'time_zone': 'America/Montreal'})
    assert r.status_code == 200 and r.json()['language'] == 'en'
    r = call(bo, 'consultation', 'PATCH', '/bo/api/me', {'profile': 'admin'})
    assert r.status_code == 400 and r.json()['field'] == 'profile'
    r = call(bo, 'consultation', 'PATCH', '/bo/api/me', {'language': 'de'})
    assert r.status_code == 400
    # A new name shows at once in the session; the mobile may be set, then removed.
    r = call(bo, 'consultation', 'PATCH', '/bo/api/me', {'name': 'Camille Renommée'})
    assert r.status_code == 200
    assert call(bo, 'consultation', 'GET', '/bo/api/session').json()['user']['name'] == 'Camille Renommée'
    assert call(bo, 'consultation', 'PATCH', '/bo/api/me', {'mobile': '0612345678'}).status_code == 200
    r = call(bo, 'consultation', 'PATCH', '/bo/api/me', {'mobile': ''})
    assert r.status_code == 200 and r.json()['mobile'] in ('', None)
    assert call(bo, 'consultation', 'PATCH', '/bo/api/me', {'mobile': 'x'}).status_code == 400


def test_admin_cannot_change_own_profile(bo):
    uid = user_id(bo, 'demo.admin')
    r = call(bo, 'admin', 'PATCH', f'/bo/api/users/{uid}', {'profile': 'consultation'})
    assert r.status_code == 409 and r.json()['error'] == 'own_profile'


def test_new_password_ends_the_session_and_forces_a_change(bo):
    s, r = sign_in(bo, 'demo.hmac', password=NEW_PASSWORD, takeover=True)
    assert r.status_code == 200
    uid = user_id(bo, 'demo.hmac')
    r = call(bo, 'admin', 'POST', f'/bo/api/users/{uid}/password')
    assert r.status_code == 200 and r.json()['password_sent'] is True
    assert s.get(bo.base + '/bo/api/session').status_code == 401
    temp = spooled_password(bo, 'demo.hmac@maison-guichet.example')
    s, r = sign_in(bo, 'demo.hmac', password=temp)
    assert r.status_code == 200 and r.json()['next'] == 'change_password'
    bo.users['hmac'] = ready_user_with(bo, 'demo.hmac', temp)


def ready_user_with(bo, login, password):
    s, r = sign_in(bo, login, password=password, takeover=True)
    csrf = r.json()['csrf']
    p = s.post(bo.base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
               json={'old': password, 'new': 'Autre-Chemin-2027'})
    assert p.status_code == 200, p.text
    if p.json()['next'] == 'accept_terms':
        s.post(bo.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf}, json={'accept': True})
    return s, csrf


def test_unlock(bo):
    for _ in range(3):
        sign_in(bo, 'demo.entry', password='wrong-password-42')
    _, r = sign_in(bo, 'demo.entry', password=NEW_PASSWORD)
    assert r.status_code == 423
    uid = user_id(bo, 'demo.entry')
    listed = {u['login']: u for u in call(bo, 'admin', 'GET', '/bo/api/users').json()['items']}
    assert listed['demo.entry']['locked'] is True
    r = call(bo, 'admin', 'POST', f'/bo/api/users/{uid}/unlock')
    assert r.status_code == 200
    s, r = sign_in(bo, 'demo.entry', password=NEW_PASSWORD, takeover=True)
    assert r.status_code == 200
    bo.users['entry'] = (s, r.json()['csrf'])


def test_action_log_search(bo):
    today = bo.paris_day()
    r = call(bo, 'admin', 'GET', '/bo/api/actions')
    assert r.status_code == 400
    r = call(bo, 'admin', 'GET', f'/bo/api/actions?from={today}&to=2000-01-01')
    assert r.status_code == 400
    r = call(bo, 'admin', 'GET', '/bo/api/actions?from=2020-01-01&to=2099-12-31')
    assert r.status_code == 200
    kinds = {a['action'] for a in r.json()['items']}
    assert {'sign_in', 'password_changed', 'terms_accepted'} <= kinds
    r = call(bo, 'admin', 'GET', '/bo/api/actions?from=2020-01-01&to=2099-12-31&action=user_created')
    [created] = r.json()['items']
    assert created['target_login'] == 'claire.export'
    assert created['target_user_id'] == user_id(bo, 'claire.export')
    assert created['details'] == ('login: "claire.export"; name: "Claire Export"; '
                                  'email: "claire@example.com"; profile: "action"; '
                                  'node: "Export"; language: "fr"; time_zone: "Europe/Paris"')
    uid = user_id(bo, 'demo.admin')
    r = call(bo, 'admin', 'GET', f'/bo/api/actions?from=2020-01-01&to=2099-12-31&user={uid}')
    assert r.json()['items'] and all(a['user_login'] == 'demo.admin' or a['target_user_id'] == uid
                                     for a in r.json()['items'])
    for bad in ('from=2020-01-01&to=2099-12-31&user=abc', 'from=2020-13-01&to=2099-12-31',
                "from=2020-01-01&to=2099-12-31&action=x'%20OR%201=1", 'from=2020-01-01'):
        assert call(bo, 'admin', 'GET', '/bo/api/actions?' + bad).status_code == 400


def test_action_log_pages(bo):
    seen, cursor = [], None
    while True:
        q = '/bo/api/actions?from=2020-01-01&to=2099-12-31' + (f'&cursor={cursor}' if cursor else '')
        page = call(bo, 'admin', 'GET', q).json()
        seen += [a['id'] for a in page['items']]
        cursor = page['next']
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    with connect(bo.db) as db:
        assert len(seen) == db.execute('SELECT count(*) FROM action_log WHERE brand_id = 1 '
                                       'AND user_id IN (SELECT id FROM user WHERE brand_id = 1)'
                                       ).fetchone()[0]


def test_group_admin_sees_only_their_group(bo):
    body = {'login': 'gerard.export', 'name': 'Gérard', 'email': 'gerard@example.com',
            'profile': 'admin', 'node_id': node_id(bo, 'Export')}
    assert call(bo, 'admin', 'POST', '/bo/api/users', body).status_code == 201
    temp = spooled_password(bo, 'gerard@example.com')
    group_admin = ready_user_with(bo, 'gerard.export', temp)
    r = call(bo, None, 'GET', '/bo/api/users', session=group_admin)
    logins = {u['login'] for u in r.json()['items']}
    assert logins == {'gerard.export', 'claire.export'}
    brand_user = user_id(bo, 'demo.action')
    assert call(bo, None, 'GET', f'/bo/api/users/{brand_user}', session=group_admin).status_code == 404
    assert call(bo, None, 'POST', f'/bo/api/users/{brand_user}/unlock',
                session=group_admin).status_code == 404
    r = call(bo, None, 'GET', f"/bo/api/users?node={node_id(bo, 'Boutiques France')}",
             session=group_admin)
    assert r.status_code == 404
    r = call(bo, None, 'POST', '/bo/api/users', {**body, 'login': 'x.y', 'email': 'x@example.com',
                                                 'node_id': node_id(bo, 'Boutiques France')},
             session=group_admin)
    assert r.status_code == 404 and r.json()['error'] == 'node_out_of_scope'


def test_another_brand_sees_nothing_of_this_one(bo):
    other_admin = next(u for u in bo.other['users'] if u['profile'] == 'admin')
    s, r = sign_in(bo, other_admin['login'], password=other_admin['password'])
    csrf = r.json()['csrf']
    s.post(bo.base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
           json={'old': other_admin['password'], 'new': NEW_PASSWORD})
    s.post(bo.base + '/bo/api/terms', headers={'X-CSRF-Token': csrf}, json={'accept': True})
    other = (s, csrf)
    with connect(bo.db) as db:
        ids = [r[0] for r in db.execute('SELECT id FROM user WHERE brand_id = 1')]
        nodes = [r[0] for r in db.execute('SELECT id FROM node WHERE brand_id = 1')]
    for uid in ids:
        for method, path in (('GET', f'/bo/api/users/{uid}'),
                             ('PATCH', f'/bo/api/users/{uid}'),
                             ('POST', f'/bo/api/users/{uid}/password'),
                             ('POST', f'/bo/api/users/{uid}/unlock')):
            r = call(bo, None, method, path, {'name': 'pwned'} if method == 'PATCH' else None,
                     session=other)
            assert r.status_code == 404, (method, path, r.text)
    for nid in nodes:
        assert call(bo, None, 'GET', f'/bo/api/users?node={nid}', session=other).status_code == 404
    listed = {u['login'] for u in call(bo, None, 'GET', '/bo/api/users', session=other).json()['items']}
    assert all(l.startswith('otherbrand.') for l in listed)
    acts = call(bo, None, 'GET', '/bo/api/actions?from=2020-01-01&to=2099-12-31',
                session=other).json()['items']
    assert acts and all(a['user_login'].startswith('otherbrand.') for a in acts)
    with connect(bo.db) as db:
        assert db.execute("SELECT count(*) FROM user WHERE name = 'pwned'").fetchone()[0] == 0


def test_action_log_export_matches_the_search(bo):
    import csv
    import io
    q = 'from=2020-01-01&to=2099-12-31&action=sign_in'
    r = call(bo, 'admin', 'GET', '/bo/api/actions/export?' + q)
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'].startswith('text/csv')
    assert 'attachment; filename="actions.csv"' in r.headers['Content-Disposition']
    rows = list(csv.reader(io.StringIO(r.content.decode('utf-8'), newline='')))
    assert rows[0] == ['date', 'login', 'name', 'email', 'action', 'target', 'details', 'count']
    listed, cursor = [], None
    while True:
        page = call(bo, 'admin', 'GET', '/bo/api/actions?' + q +
                    (f'&cursor={cursor}' if cursor else '')).json()
        listed += page['items']
        cursor = page['next']
        if cursor is None:
            break
    assert [(x['user_login'], x['user_name'], x['user_email'], x['action'],
             x['target_login'], x['details'], str(x['count'])) for x in listed] == \
        [tuple(row[1:]) for row in rows[1:]]
    # The same instants, written in the user's time zone (Paris) with their offset.
    from datetime import datetime
    for x, row in zip(listed, rows[1:]):
        assert row[0][-6:] in ('+01:00', '+02:00'), row[0]
        at = datetime.fromisoformat(x['at'].replace('Z', '+00:00')).replace(microsecond=0)
        assert datetime.fromisoformat(row[0]) == at  # to the second
    # A change made to a user names them in the target column.
    uid = user_id(bo, 'claire.export')
    r = call(bo, 'admin', 'GET', f'/bo/api/actions/export?from=2020-01-01&to=2099-12-31&user={uid}')
    rows = list(csv.reader(io.StringIO(r.content.decode('utf-8'), newline='')))
    assert ['demo.admin', 'user_created', 'claire.export'] in [[x[1], x[4], x[5]] for x in rows]
    assert call(bo, 'admin', 'GET', '/bo/api/actions/export').status_code == 400
    assert call(bo, 'consultation', 'GET', '/bo/api/actions/export?' + q).status_code in (401, 403)


def export_rows(r, delimiter):
    import csv
    import io
    text = r.content.decode('utf-8')
    return list(csv.reader(io.StringIO(text.lstrip('\ufeff'), newline=''), delimiter=delimiter))


def test_action_log_export_layouts(bo):
    """Issue 17: the action log's export takes layout= as the journals' do (docs/EXPORTS.md):
    machine, the default, its bytes unchanged; classic, what a spreadsheet opens (a BOM, the
    web UI's labels and action names in the user's language, ';' in French, the wall time as
    the language writes it, the period in the file name); old, the machine's columns; and
    format=txt; a bad or repeated value refused."""
    q = 'from=2020-01-01&to=2099-12-31'
    plain = call(bo, 'admin', 'GET', '/bo/api/actions/export?' + q)
    machine = call(bo, 'admin', 'GET', '/bo/api/actions/export?layout=machine&format=csv&' + q)
    assert plain.status_code == machine.status_code == 200
    assert plain.content == machine.content and not plain.content.startswith(b'\xef\xbb\xbf')
    assert 'filename="actions.csv"' in machine.headers['Content-Disposition']
    raw = export_rows(machine, ',')
    r = call(bo, 'admin', 'GET', '/bo/api/actions/export?layout=classic&' + q)
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'].startswith('text/csv; charset=utf-8')
    assert 'filename="actions_2020-01-01_2099-12-31.csv"' in r.headers['Content-Disposition']
    assert r.content.startswith(b'\xef\xbb\xbf')
    rows = export_rows(r, ';')
    assert rows[0] == ['Date et heure', 'Identifiant', 'Nom', 'Adresse e-mail', 'Action',
                       'Utilisateur concerné', 'Détails', 'Nombre']
    assert len(rows) == len(raw) > 2
    names = {'sign_in': 'Connexion', 'user_created': 'Utilisateur : création',
             'terms_accepted': 'Conditions d’utilisation acceptées'}
    seen = set()
    for row, m in zip(rows[1:], raw[1:]):
        at = m[0]  # 2026-11-20T14:30:05+01:00, in the user's zone
        assert row[0] == f'{at[8:10]}/{at[5:7]}/{at[:4]} {at[11:19]}', (row, m)
        assert row[1:4] == m[1:4] and row[5:] == m[5:]
        if m[4] in names:
            assert row[4] == names[m[4]], (row, m)
            seen.add(m[4])
    assert 'sign_in' in seen
    # TXT: the same cells between tabs, as a .txt file.
    t = call(bo, 'admin', 'GET', '/bo/api/actions/export?layout=classic&format=txt&' + q)
    assert t.status_code == 200 and t.headers['Content-Type'].startswith('text/plain')
    assert 'filename="actions_2020-01-01_2099-12-31.txt"' in t.headers['Content-Disposition']
    assert t.content[3:].decode().split('\r\n')[0].split('\t') == rows[0]
    # In English: the English words, a comma between fields, the ISO day first.
    assert call(bo, 'admin', 'PATCH', '/bo/api/me', {'language': 'en'}).status_code == 200
    try:
        en = export_rows(call(bo, 'admin', 'GET', '/bo/api/actions/export?layout=classic&' + q), ',')
        raw = export_rows(call(bo, 'admin', 'GET', '/bo/api/actions/export?' + q), ',')
    finally:
        assert call(bo, 'admin', 'PATCH', '/bo/api/me', {'language': 'fr'}).status_code == 200
    assert en[0][:5] == ['Date and time', 'Login', 'Name', 'E-mail address', 'Action']
    assert len(en) == len(raw)
    assert {row[4] for row, m in zip(en[1:], raw[1:]) if m[4] == 'sign_in'} == {'Sign-in'}
    assert all(row[0] == f'{m[0][:10]} {m[0][11:19]}' for row, m in zip(en[1:], raw[1:]))
    # Old: the machine's columns and conventions, the period in the file's name.
    old = call(bo, 'admin', 'GET', '/bo/api/actions/export?layout=old&' + q)
    assert old.status_code == 200 and export_rows(old, ',')[0] == raw[0]
    assert 'filename="actions_2020-01-01_2099-12-31.csv"' in old.headers['Content-Disposition']
    for bad, field in (('layout=excel', 'layout'), ('layout=', 'layout'),
                       ('layout=classic&layout=old', 'layout'), ('format=xml', 'format'),
                       ('format=csv&format=txt', 'format')):
        r = call(bo, 'admin', 'GET', f'/bo/api/actions/export?{q}&{bad}')
        assert r.status_code == 400 and r.json()['field'] == field, (bad, r.text)
    # The list takes neither.
    assert call(bo, 'admin', 'GET', f'/bo/api/actions?{q}&layout=classic').status_code == 400


def test_the_exports_action_names_are_the_web_uis():
    """The classic export's names of actions (src/api/export_layout.c) are the web UI's
    (action.* of www/assets/js/strings/), in both languages, every one."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    web = {}
    for path in glob.glob(os.path.join(root, 'www/assets/js/strings/*.js')):
        text = open(path, encoding='utf-8').read()
        fr, _, en = text.partition('\n  en: {')
        for lang, part in (('fr', fr), ('en', en)):
            for code, name in re.findall(r"^\s+'action\.([a-z0-9_]+)': '((?:[^'\\]|\\.)*)',$",
                                         part, re.M):
                if code not in ('set', 'change', 'separator'):  # the details' patterns
                    web.setdefault(code, {})[lang] = name
    c = open(os.path.join(root, 'src/api/export_layout.c'), encoding='utf-8').read()
    table = c[c.index('action_names[] = {'):]
    table = table[:table.index('{NULL, NULL, NULL}')]
    ours = {code: {'fr': fr, 'en': en} for code, fr, en in
            re.findall(r'\{"([a-z0-9_]+)",\s*"([^"]*)",\s*"([^"]*)"\}', table)}
    assert len(ours) >= 50
    assert ours == web


def test_action_log_of_a_node(bo):
    """node=ID: the actions of the users of that node and below; another branch's or brand's
    node is 404, as on every other search."""
    export = node_id(bo, 'Export')
    items = actions_of(bo, node=export)
    assert items and {a['user_login'] for a in items} <= {'claire.export', 'gerard.export'}
    everyone = {a['user_login'] for a in actions_of(bo)}
    assert 'demo.admin' in everyone
    r = call(bo, 'admin', 'GET', f'/bo/api/actions/export?from=2020-01-01&to=2099-12-31&node={export}')
    assert r.status_code == 200
    assert {line.split(',')[1] for line in r.text.splitlines()[1:]} <= {'claire.export',
                                                                       'gerard.export'}
    with connect(bo.db) as db:
        foreign = db.execute('SELECT id FROM node WHERE brand_id <> 1 LIMIT 1').fetchone()[0]
    for path in ('/bo/api/actions', '/bo/api/actions/export'):
        r = call(bo, 'admin', 'GET', f'{path}?from=2020-01-01&to=2099-12-31&node={foreign}')
        assert r.status_code == 404, r.text
        r = call(bo, 'admin', 'GET', f'{path}?from=2020-01-01&to=2099-12-31&node=x')
        assert r.status_code == 400


def actions_of(bo, **query):
    q = '&'.join(f'{k}={v}' for k, v in {'from': '2020-01-01', 'to': '2099-12-31', **query}.items())
    r = call(bo, 'admin', 'GET', '/bo/api/actions?' + q)
    assert r.status_code == 200, r.text
    return r.json()['items']


def test_user_changes_are_logged_with_their_target_and_what_changed(bo):
    """Regression (audit, issue 3): the log said only "user <login>", and a search by user
    found the actions a user did, never the changes made to them."""
    body = {'login': 'noe.trace', 'name': 'Noé "Trace"', 'email': 'noe@example.com',
            'profile': 'consultation', 'node_id': node_id(bo, 'Export'), 'mobile': '0601020304'}
    r = call(bo, 'admin', 'POST', '/bo/api/users', body)
    assert r.status_code == 201, r.text
    uid = r.json()['id']
    temp = spooled_password(bo, 'noe@example.com')
    r = call(bo, 'admin', 'PATCH', f'/bo/api/users/{uid}',
             {'profile': 'action', 'node_id': node_id(bo, 'Boutiques France'), 'name': 'Noé Trace',
              'mobile': '', 'time_zone': 'America/Montreal'})
    assert r.status_code == 200, r.text
    r = call(bo, 'admin', 'PATCH', f'/bo/api/users/{uid}', {'email': 'noe.trace@example.com'})
    assert r.status_code == 200, r.text
    # No new password within a day of an e-mail change by someone else (README "Users"):
    # the change is made a day old.
    with connect(bo.db) as db:
        db.execute('UPDATE user SET email_changed_at = email_changed_at - 86400000000 - 1 '
                   'WHERE id = ?', (uid,))
    assert call(bo, 'admin', 'POST', f'/bo/api/users/{uid}/password').status_code == 200
    temp2 = spooled_password(bo, 'noe.trace@example.com')

    mine = actions_of(bo, user=uid)
    assert [a['action'] for a in mine] == ['user_password_reset', 'user_updated', 'user_updated',
                                           'user_created']
    for a in mine:
        assert a['user_login'] == 'demo.admin'
        assert a['target_user_id'] == uid and a['target_login'] == 'noe.trace'
    reset, email, moved, created = (a['details'] for a in mine)
    assert created == ('login: "noe.trace"; name: "Noé \\"Trace\\""; email: "noe@example.com"; '
                       'mobile: "0601020304"; profile: "consultation"; node: "Export"; '
                       'language: "fr"; time_zone: "Europe/Paris"')
    assert moved == ('name: "Noé \\"Trace\\"" → "Noé Trace"; mobile: "0601020304" → ""; '
                     'profile: "consultation" → "action"; node: "Export" → "Boutiques France"; '
                     'time_zone: "Europe/Paris" → "America/Montreal"')
    assert email == 'email: "noe@example.com" → "noe.trace@example.com"'
    assert reset == 'mailed_to: "noe.trace@example.com"'  # a new user must change it already
    # One's own edit names oneself as the target.
    assert call(bo, 'action', 'PATCH', '/bo/api/me', {'name': 'Alex Trace'}).status_code == 200
    me = user_id(bo, 'demo.action')
    [own] = actions_of(bo, user=me, action='personal_information_changed')
    assert own['target_user_id'] == me and own['details'].endswith(' → "Alex Trace"')
    # No password, temporary or hashed, in the log.
    with connect(bo.db) as db:
        text = ' '.join(r[0] for r in db.execute('SELECT details FROM action_log'))
    assert temp not in text and temp2 not in text and 'argon2' not in text
    assert call(bo, 'admin', 'GET', '/bo/api/actions?from=2020-01-01&to=2099-12-31&user=0'
                ).status_code == 400


def test_the_action_log_stays_append_only(bo):
    # A connection each: PostgreSQL's refused statement aborts its transaction.
    for sql in ('UPDATE action_log SET target_login = \'x\'', 'DELETE FROM action_log'):
        with pytest.raises(DatabaseError, match='append-only'), connect(bo.db) as db:
            db.execute(sql)


def test_new_password_unlocks_the_account(bo):
    """Regression (audit, issue 3): a new password left a locked account locked (423 until a
    separate unlock), though the Vision manual §1 has a locked user ask for a new password."""
    body = {'login': 'lea.locked', 'name': 'Léa', 'email': 'lea@example.com', 'profile': 'action'}
    r = call(bo, 'admin', 'POST', '/bo/api/users', body)
    assert r.status_code == 201, r.text
    uid = r.json()['id']
    first = spooled_password(bo, 'lea@example.com')
    for _ in range(3):
        _, r = sign_in(bo, 'lea.locked', password='wrong-password-42')
    assert r.status_code == 423
    _, r = sign_in(bo, 'lea.locked', password=first)
    assert r.status_code == 423
    r = call(bo, 'admin', 'POST', f'/bo/api/users/{uid}/password')
    assert r.status_code == 200 and r.json()['locked'] is False, r.text
    temp = spooled_password(bo, 'lea@example.com', other_than=first)
    got = call(bo, 'admin', 'GET', f'/bo/api/users/{uid}').json()
    assert got['locked'] is False and got['must_change_password'] is True
    with connect(bo.db) as db:
        assert db.execute('SELECT failed_attempts FROM user WHERE id = ?', (uid,)).fetchone()[0] == 0
    _, r = sign_in(bo, 'lea.locked', password=temp)
    assert r.status_code == 200 and r.json()['next'] == 'change_password', r.text
    # Logged: the reset, then the unlock it made.
    acts = actions_of(bo, user=uid)
    unlocked, reset = acts[1], acts[2]
    assert acts[0]['action'] == 'sign_in' and acts[0]['user_login'] == 'lea.locked'
    assert reset['action'] == 'user_password_reset' and reset['user_login'] == 'demo.admin'
    assert unlocked['action'] == 'user_unlocked' and unlocked['target_user_id'] == uid
    assert unlocked['details'] == 'locked: true → false; failed_attempts: 3 → 0'
    # The unlock route is unchanged.
    for _ in range(3):
        sign_in(bo, 'lea.locked', password='wrong-password-42')
    assert call(bo, 'admin', 'POST', f'/bo/api/users/{uid}/unlock').json() == {'locked': False}
    [again] = actions_of(bo, user=uid, action='user_unlocked')[:1]
    assert again['details'] == 'locked: true → false; failed_attempts: 3 → 0'
    # Failures short of a lock are forgotten too, said in the reset's line: no unlock line.
    sign_in(bo, 'lea.locked', password='wrong-password-42')
    assert call(bo, 'admin', 'POST', f'/bo/api/users/{uid}/password').status_code == 200
    latest = actions_of(bo, user=uid)[0]
    assert latest['action'] == 'user_password_reset'
    assert latest['details'] == 'mailed_to: "lea@example.com"; failed_attempts: 1 → 0'


def test_create_and_edit_answer_the_full_view(bo):
    """Regression (audit, issue 3): creation and edit answered level "", node_name "" and zero
    counts, unlike GET /bo/api/users/{id}."""
    body = {'login': 'victor.view', 'name': 'Victor', 'email': 'victor@example.com',
            'profile': 'consultation', 'node_id': node_id(bo, 'Export')}
    r = call(bo, 'admin', 'POST', '/bo/api/users', body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made == call(bo, 'admin', 'GET', f"/bo/api/users/{made['id']}").json()
    assert made['level'] == 'group' and made['node_name'] == 'Export'
    r = call(bo, 'admin', 'PATCH', f"/bo/api/users/{made['id']}", {'name': 'Victor Vue'})
    assert r.status_code == 200, r.text
    assert r.json() == call(bo, 'admin', 'GET', f"/bo/api/users/{made['id']}").json()
    assert r.json()['name'] == 'Victor Vue' and r.json()['node_name'] == 'Export'
    r = call(bo, 'admin', 'PATCH', f"/bo/api/users/{user_id(bo, 'demo.action')}", {'language': 'en'})
    assert r.status_code == 200
    assert r.json()['level'] == 'brand' and r.json()['sign_ins_total'] >= 1
    assert r.json() == call(bo, 'admin', 'GET', f"/bo/api/users/{user_id(bo, 'demo.action')}").json()
    r = call(bo, 'consultation', 'PATCH', '/bo/api/me', {'language': 'fr'})
    assert r.status_code == 200
    assert r.json() == call(bo, 'consultation', 'GET', '/bo/api/me').json()
    assert r.json()['node_name'] and r.json()['sign_ins_total'] >= 1


# SPEC §3: the pages each profile may open, hence land on; the first is the default.
HOMES = {
    'consultation': ['stats', 'transactions', 'batches', 'contracts', 'me'],
    'action': ['stats', 'transactions', 'batches', 'contracts', 'virtual_terminal', 'me'],
    'admin': ['stats', 'transactions', 'batches', 'contracts', 'actions', 'virtual_terminal', 'me',
              'users'],
    'entry': ['virtual_terminal', 'me'],
    'hmac': ['hmac_keys', 'me'],
}
ALL_HOMES = HOMES['admin'] + ['hmac_keys']


@pytest.mark.parametrize('profile', sorted(HOMES))
def test_landing_pages_follow_the_route_table(bo, profile):
    """Regression (audit, issue 3): prefs.c kept its own rule, so an entry or HMAC user could
    land on pages they may not open."""
    r = call(bo, profile, 'GET', '/bo/api/me/preferences')
    assert r.status_code == 200, r.text
    assert r.json()['available_homes'] == HOMES[profile]
    assert r.json()['home'] == HOMES[profile][0]
    for home in ALL_HOMES:
        r = call(bo, profile, 'PATCH', '/bo/api/me/preferences', {'home': home})
        if home in HOMES[profile]:
            assert r.status_code == 200 and r.json()['home'] == home, r.text
        else:
            assert r.status_code == 400 and r.json()['field'] == 'home', r.text
            assert 'Your profile may not open this page' in r.json()['message']
    r = call(bo, profile, 'PATCH', '/bo/api/me/preferences', {'home': 'nowhere'})
    assert r.status_code == 400 and r.json()['field'] == 'home'
    r = call(bo, profile, 'PATCH', '/bo/api/me/preferences', {'home': None})
    assert r.status_code == 200 and r.json()['home'] == HOMES[profile][0]


def test_a_stored_landing_page_no_longer_allowed_falls_back(bo):
    """A page chosen under another profile is not offered after a change of profile."""
    body = {'login': 'paul.pages', 'name': 'Paul', 'email': 'paul@example.com', 'profile': 'admin'}
    r = call(bo, 'admin', 'POST', '/bo/api/users', body)
    assert r.status_code == 201, r.text
    uid = r.json()['id']
    paul = ready_user_with(bo, 'paul.pages', spooled_password(bo, 'paul@example.com'))
    r = call(bo, None, 'PATCH', '/bo/api/me/preferences', {'home': 'actions'}, session=paul)
    assert r.status_code == 200 and r.json()['home'] == 'actions'
    assert call(bo, 'admin', 'PATCH', f'/bo/api/users/{uid}', {'profile': 'entry'}).status_code == 200
    s, r = sign_in(bo, 'paul.pages', password='Autre-Chemin-2027', takeover=True)
    assert r.status_code == 200, r.text
    prefs = s.get(bo.base + '/bo/api/me/preferences').json()
    assert prefs['home'] == 'virtual_terminal'
    assert prefs['available_homes'] == ['virtual_terminal', 'me']

