"""Push reports (issue 15; docs/EREPORTING.md "Push reports"): a user subscribes to the daily
report of the day before, at a wall time of their own zone; the server, its clock placed just
before that time, mails it through the outbox: attached (multipart/mixed) in the user's
structure and format (the XML against docs/ereport.xsd), or as a link to the back office when
larger than 32 KiB, whose file is the same bytes as the day's download; each run listed; a
restart, or a second server of the same PostgreSQL database, does not mail it twice; the
subscription's refusals; another user's runs and files out of reach."""
import email
import email.policy
import glob
import hashlib
import os
import re
import subprocess
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import requests

from conftest import PARIS, PG, Server, q, rfc3339
from test_signin import NEW_PASSWORD, ready_user, sign_in
from test_smtp import Relay

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
XSD = os.path.join(ROOT, 'docs', 'ereport.xsd')
FORMATS = {'demo.consultation': ('standard', 'xml'), 'demo.admin': ('extended', 'delimited'),
           'demo.action': ('file_management', 'fixed')}
EXT = {'xml': 'xml', 'delimited': 'csv', 'fixed': 'txt'}
TYPE = {'xml': 'application/xml', 'delimited': 'text/csv', 'fixed': 'text/plain'}


def paris_wall(srv, plus_days, hh, mm, ss=0):
    """The Paris wall time hh:mm:ss, plus_days after the server's day (an aware datetime)."""
    day = datetime.fromtimestamp(srv.now(), PARIS).date() + timedelta(days=plus_days)
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=PARIS)


def paris_at(srv, plus_days, hh, mm, ss=0):
    """RFC 3339 (UTC) of that wall time: what Server.set_clock takes."""
    return rfc3339(paris_wall(srv, plus_days, hh, mm, ss).timestamp())


def call(srv, user, method, path, body=None, csrf=True):
    s, token = srv.users[user]
    headers = {'X-CSRF-Token': token} if csrf else {}
    return s.request(method, srv.base + path, json=body, headers=headers, timeout=30)


def sign_all_in(srv):
    srv.users = {}
    for login in FORMATS:
        s, r = sign_in(srv, login, password=NEW_PASSWORD, takeover=True)
        assert r.status_code == 200, r.text
        srv.users[login] = (s, r.json()['csrf'])


def spooled(srv, day):
    """{recipient: [message, ...]} of the push report mails of day in the server's spool."""
    found = {}
    for path in sorted(glob.glob(os.path.join(srv.tmp, 'spool', '*.eml'))):
        with open(path, 'rb') as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        if f'report of {day}' in str(msg['Subject']):
            found.setdefault(str(msg['To']).strip('<>'), []).append(msg)
    return found


def wait_mails(srv, day, logins, timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = spooled(srv, day)
        if all(f'{u}@maison-guichet.example' in got for u in logins):
            return got
        time.sleep(0.3)
    raise AssertionError(f'no push report of {day} for {logins}: ' + srv.read_log()[-3000:])


def runs(srv, user, query=''):
    r = call(srv, user, 'GET', '/bo/api/push-reports' + query)
    assert r.status_code == 200, r.text
    return r.json()['items']


def wait_status(srv, user, day, status, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        mine = [r for r in runs(srv, user) if r['day'] == day and r['user_login'] == user]
        if mine and mine[0]['status'] == status:
            return mine
        time.sleep(0.5)
    raise AssertionError(f'{user} {day}: {mine}')


def download(srv, user, day):
    r = call(srv, user, 'GET', f'/bo/api/transactions/export?format=report&from={day}&to={day}')
    assert r.status_code == 200, r.text
    return r.content


def subscribe(srv, user, at, structure, fmt):
    r = call(srv, user, 'PATCH', '/bo/api/me/preferences',
             {'ereport': {'structure': structure, 'format': fmt,
                          'push': {'enabled': True, 'time': at}}})
    assert r.status_code == 200, r.text
    return r.json()['ereport']['push']


@pytest.fixture(scope='module')
def pr(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('push')), transactions=20)
    srv.other_brand = srv.add_brand('OTHERBRAND', transactions=0)
    srv.start()
    srv.users = {u: ready_user(srv, u) for u in FORMATS}
    yield srv
    if srv.proc is not None:
        assert srv.stop() == 0
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log


def test_defaults(pr):
    r = call(pr, 'demo.consultation', 'GET', '/bo/api/me/preferences')
    assert r.status_code == 200
    assert r.json()['ereport']['push'] == {'enabled': False, 'time': '07:00', 'next_at': None}
    assert runs(pr, 'demo.consultation') == []


def test_bad_input_refused(pr):
    before = call(pr, 'demo.consultation', 'GET', '/bo/api/me/preferences').json()['ereport']
    for push, field in (({'enabled': 'yes'}, 'ereport.push.enabled'),
                        ({'enabled': 1}, 'ereport.push.enabled'),
                        ({'time': '25:00'}, 'ereport.push.time'),
                        ({'time': '7:00'}, 'ereport.push.time'),
                        ({'time': 700}, 'ereport.push.time'),
                        ({'time': '07:00', 'colour': 'red'}, 'ereport.push'),
                        ('07:00', 'ereport.push'),
                        ([True], 'ereport.push')):
        r = call(pr, 'demo.consultation', 'PATCH', '/bo/api/me/preferences',
                 {'ereport': {'format': 'xml', 'push': push}})
        assert r.status_code == 400 and r.json()['field'] == field, (push, r.text)
    # No CSRF token: refused.
    r = call(pr, 'demo.consultation', 'PATCH', '/bo/api/me/preferences',
             {'ereport': {'push': {'enabled': True}}}, csrf=False)
    assert r.status_code == 403 and r.json()['error'] == 'csrf'
    # A profile that does not search transactions has no push report.
    s, csrf = ready_user(pr, 'demo.entry')
    r = s.patch(pr.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': csrf},
                json={'ereport': {'push': {'enabled': True}}})
    assert r.status_code == 400 and r.json()['field'] == 'ereport.push.enabled', r.text
    assert s.get(pr.base + '/bo/api/push-reports').status_code == 403
    # The administrator's route, for a user: its own names, the same checks.
    users = call(pr, 'demo.admin', 'GET', '/bo/api/users').json()['items']
    uid = next(u['id'] for u in users if u['login'] == 'demo.consultation')
    for push, field in (({'time': '24:00'}, 'push.time'), ({'enabled': None}, 'push.enabled'),
                        ({'when': '07:00'}, 'push')):
        r = call(pr, 'demo.admin', 'PATCH', f'/bo/api/users/{uid}/ereport', {'push': push})
        assert r.status_code == 400 and r.json()['field'] == field, (push, r.text)
    r = call(pr, 'demo.consultation', 'PATCH', f'/bo/api/users/{uid}/ereport',
             {'push': {'enabled': True}})
    assert r.status_code == 403
    # Another brand's user, or none: 404.
    for other in (999999, other_brand_user(pr)):
        r = call(pr, 'demo.admin', 'PATCH', f'/bo/api/users/{other}/ereport',
                 {'push': {'enabled': True}})
        assert r.status_code == 404, r.text
    assert call(pr, 'demo.consultation', 'GET', '/bo/api/me/preferences').json()['ereport'] \
        == before  # nothing changed
    # The list's parameters.
    for query, field in (('?cursor=abc', 'cursor'), ('?user=x', 'user'), ('?page=2', 'query'),
                         ('?user=1&user=2', 'user')):
        r = call(pr, 'demo.consultation', 'GET', '/bo/api/push-reports' + query)
        assert r.status_code == 400 and r.json()['field'] == field, (query, r.text)
    admin_id = next(u['id'] for u in users if u['login'] == 'demo.admin')
    assert call(pr, 'demo.consultation', 'GET',
                f'/bo/api/push-reports?user={admin_id}').status_code == 404
    assert call(pr, 'demo.admin', 'GET',
                f'/bo/api/push-reports?user={other_brand_user(pr)}').status_code == 404
    for token in ('00' * 32, 'zz' * 32, 'ab'):
        r = call(pr, 'demo.consultation', 'GET', f'/bo/api/push-reports/file/{token}')
        assert r.status_code == 404, token
    r = call(pr, 'demo.consultation', 'GET', f"/bo/api/push-reports/file/{'00' * 32}?node=1")
    assert r.status_code == 400 and r.json()['field'] == 'query', r.text


def other_brand_user(srv):
    rows = q(srv, "SELECT u.id FROM user u JOIN brand b ON b.id = u.brand_id "
                  "WHERE b.pspid = 'OTHERBRAND' ORDER BY u.id")
    return rows[0][0]


def check_attachment(msg, login, day, want, tmp_path):
    structure, fmt = FORMATS[login]
    assert msg.get_content_type() == 'multipart/mixed'
    parts = list(msg.iter_attachments())
    assert len(parts) == 1
    part = parts[0]
    assert part.get_filename() == f'transactions-{day}.{EXT[fmt]}'
    assert part.get_content_type() == TYPE[fmt]
    body = part.get_payload(decode=True)
    assert body == want
    text = next(msg.iter_parts()).get_content()
    assert 'Bonjour' in text and 'Hello' in text and f'structure {structure}' in text
    if fmt == 'xml':
        path = tmp_path / 'report.xml'
        path.write_bytes(body)
        done = subprocess.run(['xmllint', '--noout', '--schema', XSD, str(path)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
    # Never a card number in clear: only masked ones.
    assert not re.search(rb'\b4111111111111111\b', body)


def test_daily_report_mailed_once(pr, tmp_path):
    day = pr.paris_day()
    for _ in range(4):
        assert pr.pay(amount=1500).status_code in (200, 201)
    pr.pay(amount=1600, card='4111111111111111')
    for login, (structure, fmt) in FORMATS.items():
        push = subscribe(pr, login, '09:00', structure, fmt)
        assert push['enabled'] is True and push['time'] == '09:00'
        # Subscribed after today's 09:00: the first report is tomorrow's.
        assert push['next_at'] == paris_wall(pr, 1, 9, 0).isoformat()
    want = {login: download(pr, login, day) for login in FORMATS}
    assert all(len(w) > 0 for w in want.values())
    # Just before 09:00 the next day: nothing yet, then each mailed at 09:00.
    assert pr.stop() == 0
    pr.set_clock(paris_at(pr, 1, 8, 59, 52))
    pr.start()
    sign_all_in(pr)
    assert spooled(pr, day) == {}
    assert all(r['day'] != day for r in runs(pr, 'demo.admin'))
    got = wait_mails(pr, day, FORMATS)
    assert datetime.fromtimestamp(pr.now(), PARIS).strftime('%H:%M') >= '09:00'
    for login in FORMATS:
        assert len(got[f'{login}@maison-guichet.example']) == 1
        check_attachment(got[f'{login}@maison-guichet.example'][0], login, day, want[login],
                         tmp_path)
        run = wait_status(pr, login, day, 'sent')[0]
        assert run['delivery'] == 'attachment' and run['attempts'] == 1
        assert run['format'] == FORMATS[login][1] and run['structure'] == FORMATS[login][0]
        assert run['bytes'] == len(want[login]) and run['rows'] >= 5
        assert run['error'] is None and run['finished_at'] is not None
    # Restarted after its time: found, not mailed again.
    assert pr.stop() == 0
    pr.start()
    sign_all_in(pr)
    time.sleep(7)  # more than a round of the job (5 s)
    again = spooled(pr, day)
    assert {k: len(v) for k, v in again.items()} == \
        {f'{u}@maison-guichet.example': 1 for u in FORMATS}
    assert len([r for r in runs(pr, 'demo.consultation') if r['day'] == day]) == 1


def test_runs_of_others_not_visible(pr):
    day = (datetime.fromtimestamp(pr.now(), PARIS).date() - timedelta(days=1)).isoformat()
    mine = runs(pr, 'demo.consultation')
    assert mine and {r['user_login'] for r in mine} == {'demo.consultation'}
    assert {r['user_login'] for r in runs(pr, 'demo.action')} == {'demo.action'}
    # The administrator (the brand's top node) sees the runs of the users of their scope.
    every = runs(pr, 'demo.admin')
    assert {r['user_login'] for r in every if r['day'] == day} == set(FORMATS)
    uid = mine[0]['user_id']
    assert {r['user_login'] for r in runs(pr, 'demo.admin', f'?user={uid}')} == \
        {'demo.consultation'}
    # Another brand's administrator sees none of them.
    login = next(u['login'] for u in pr.other_brand['users'] if u['profile'] == 'admin')
    s, _ = ready_user(SimpleNamespace(base=pr.base, demo=pr.other_brand), login)
    r = s.get(pr.base + '/bo/api/push-reports')
    assert r.status_code == 200 and r.json()['items'] == []
    assert s.get(pr.base + f'/bo/api/push-reports?user={uid}').status_code == 404


def test_large_report_sent_as_link(pr):
    """A report larger than 32 KiB: a link whose file is the day's download, for that user
    only, until it expires."""
    day = pr.paris_day()
    # Extended XML is about a kilobyte a transaction.
    call(pr, 'demo.consultation', 'PATCH', '/bo/api/me/preferences',
         {'ereport': {'structure': 'extended', 'format': 'xml'}})
    for i in range(60):
        assert pr.pay(amount=1000 + i).status_code in (200, 201)
    want = download(pr, 'demo.consultation', day)
    assert len(want) > 32 * 1024
    assert pr.stop() == 0
    pr.set_clock(paris_at(pr, 1, 8, 59, 55))
    pr.start()
    sign_all_in(pr)
    got = wait_mails(pr, day, ['demo.consultation'])
    msg = got['demo.consultation@maison-guichet.example'][0]
    assert msg.get_content_type() == 'text/plain'
    text = msg.get_content()
    m = re.search(r'(http://\S+)/#/push-reports/([0-9a-f]{64})', text)
    assert m, text
    assert m.group(1) == pr.base
    token = m.group(2)
    run = wait_status(pr, 'demo.consultation', day, 'sent')[0]
    assert run['delivery'] == 'link' and run['bytes'] == len(want)
    assert run['file_expires_at'] is not None
    r = call(pr, 'demo.consultation', 'GET', f'/bo/api/push-reports/file/{token}')
    assert r.status_code == 200, r.text
    assert r.content == want
    assert r.headers['Content-Type'].startswith('application/xml')
    assert f'transactions-{day}.xml' in r.headers['Content-Disposition']
    # Only its hash is kept; another user, or a signed-out client, gets nothing.
    hashes = [bytes(row[0]) for row in q(pr, 'SELECT token_hash FROM push_report_run '
                                           'WHERE token_hash IS NOT NULL')]
    assert hashes == [hashlib.blake2b(bytes.fromhex(token), digest_size=32).digest()]
    assert token not in pr.stored()
    assert call(pr, 'demo.admin', 'GET', f'/bo/api/push-reports/file/{token}').status_code == 404
    assert requests.get(pr.base + f'/bo/api/push-reports/file/{token}').status_code == 401
    # Past its 7 days: gone, and the file with it.
    assert pr.stop() == 0
    pr.set_clock(paris_at(pr, 8, 12, 0))
    pr.start()
    sign_all_in(pr)
    r = call(pr, 'demo.consultation', 'GET', f'/bo/api/push-reports/file/{token}')
    assert r.status_code == 404
    deadline = time.time() + 15
    while time.time() < deadline and \
            q(pr, 'SELECT count(*) FROM push_report_run WHERE file IS NOT NULL')[0][0] != 0:
        time.sleep(0.5)
    assert q(pr, 'SELECT count(*) FROM push_report_run WHERE file IS NOT NULL')[0][0] == 0


@pytest.mark.skipif(not PG, reason='two servers share a PostgreSQL database; a SQLite file is '
                                   "one server's (docs/SCALING.md)")
def test_two_servers_mail_once(tmp_path):
    os.makedirs(tmp_path / 'a')
    a = Server(str(tmp_path / 'a'), transactions=20)
    a.start()
    s, csrf = ready_user(a, 'demo.consultation')
    a.users = {'demo.consultation': (s, csrf)}
    day = a.paris_day()
    assert a.pay(amount=2500).status_code in (200, 201)
    subscribe(a, 'demo.consultation', '10:00', 'standard', 'delimited')
    assert a.stop() == 0
    a.set_clock(paris_at(a, 1, 9, 59, 55))
    b = a.twin(str(tmp_path / 'b'))
    a.start()
    b.start()
    try:
        deadline = time.time() + 40
        while time.time() < deadline and not (spooled(a, day) or spooled(b, day)):
            time.sleep(0.3)
        time.sleep(7)  # more than a round of the job on both
        both = [m for srv in (a, b) for v in spooled(srv, day).values() for m in v]
        assert len(both) == 1, both
    finally:
        assert a.stop() == 0
        assert b.stop() == 0


def test_failed_attempts_tried_again(tmp_path):
    """The relay refuses the mails (550): an attempt fails with the relay's answer, is tried
    again 15 minutes later, then an hour after the second; the third failure fails the run.
    A user whose address the relay accepts again at the second attempt gets it then."""
    relay = Relay().start()
    srv = Server(str(tmp_path), transactions=20)
    smtp = ('--smtp', f'smtp://127.0.0.1:{relay.port}', '--smtp-from', 'Guichet <g@example.com>')
    try:
        srv.start(*smtp)
        srv.users = {u: ready_user(srv, u) for u in ('demo.consultation', 'demo.action')}
        day = srv.paris_day()
        for login in srv.users:
            subscribe(srv, login, '10:00', 'standard', 'delimited')
            relay.refuse[f'{login}@maison-guichet.example'] = '550 5.1.1 No such user'
        assert srv.stop() == 0

        def restart(at):
            if srv.proc is not None:
                assert srv.stop() == 0
            srv.set_clock(at)
            srv.start(*smtp)
            for login in ('demo.consultation', 'demo.action'):
                s, r = sign_in(srv, login, password=NEW_PASSWORD, takeover=True)
                assert r.status_code == 200, r.text
                srv.users[login] = (s, r.json()['csrf'])

        def run_of(login, attempts, timeout=30):
            deadline = time.time() + timeout
            while time.time() < deadline:
                mine = [r for r in runs(srv, login) if r['day'] == day]
                if mine and mine[0]['attempts'] == attempts and mine[0]['error']:
                    return mine[0]
                if mine and mine[0]['status'] == 'sent' and mine[0]['attempts'] == attempts:
                    return mine[0]
                time.sleep(0.5)
            raise AssertionError(f'{login}: {mine}')

        restart(paris_at(srv, 1, 9, 59, 55))
        first = run_of('demo.consultation', 1)
        assert first['status'] == 'queued' and '550 5.1.1 No such user' in first['error']
        next_at = datetime.fromisoformat(first['next_attempt_at'].replace('Z', '+00:00'))
        assert 14 * 60 <= next_at.timestamp() - datetime.fromisoformat(
            first['updated_at'].replace('Z', '+00:00')).timestamp() <= 15 * 60 + 1
        assert run_of('demo.action', 1)['status'] == 'queued'
        del relay.refuse['demo.action@maison-guichet.example']  # the address put right
        # 15 minutes later: the second attempts.
        restart(paris_at(srv, 1, 10, 15, 30))
        second = run_of('demo.consultation', 2)
        assert second['status'] == 'queued' and second['next_attempt_at'] is not None
        sent = wait_status(srv, 'demo.action', day, 'sent')[0]
        assert sent['attempts'] == 2 and sent['error'] is None
        assert relay.wait(to_address('demo.action@maison-guichet.example'))
        # An hour after the second: the third, and the last.
        restart(paris_at(srv, 1, 11, 16, 30))
        third = wait_status(srv, 'demo.consultation', day, 'failed')[0]
        assert third['attempts'] == 3 and '550' in third['error']
        assert third['finished_at'] is not None and third['next_attempt_at'] is None
    finally:
        if srv.proc is not None:
            assert srv.stop() == 0
        relay.stop()


def to_address(address):
    return lambda m: address in m[1]
