"""The mail outbox delivered over SMTP (SPEC §1; README "Mail"): a real SMTP server (Debian's
python3-aiosmtpd) runs in a thread of this test, guichetd delivers to it with --smtp, and the
test reads what arrived, the outbox rows and the log. The relay can refuse a recipient (at
RCPT TO) or a message (at the end of DATA) with the reply a test gives it: a 5xx fails the
mail at once, a 4xx has it tried again. The administrators' list of those mails and the retry
(GET /bo/api/mails, POST /bo/api/mails/{id}/retry) are tested here too. Without --smtp the
spool folder's .eml files are what the other system tests read."""
import email
import email.policy
import glob
import os
import ssl
import subprocess
import time
from datetime import datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import GUICHETD, Server, free_port, q, tls_files
from test_signin import ready_user
from test_users import ready_user_with

FROM = 'Guichet Essai <guichet@example.com>'
USER, PASSWORD = 'relay-user', 'relay-secret-Pw-42'


class Relay:
    """An SMTP server on 127.0.0.1:port that keeps every message it accepts; it can be
    stopped and started again on the same port. refuse: recipient -> the reply to its RCPT TO
    (a refusal); refuse_data: recipient -> the reply to the end of a message's DATA."""

    def __init__(self, port=None, **smtp_kwargs):
        self.port = port or free_port()
        self.kwargs = smtp_kwargs
        self.messages = []  # (envelope sender, recipients, message bytes)
        self.rcpts = []  # every RCPT TO address asked for, accepted or not
        self.refuse, self.refuse_data = {}, {}
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts.append(address)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            if rcpt in self.refuse_data:
                return self.refuse_data[rcpt]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return '250 OK'

    def start(self):
        self.controller = Controller(self, hostname='127.0.0.1', port=self.port, **self.kwargs)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait(self, pred, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [m for m in self.messages if pred(m)]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError('no such message on the relay: %d received' % len(self.messages))


def to(address):
    return lambda m: address in m[1]


def wait_row(srv, sql, args=(), timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = q(srv, sql, args)
        if rows:
            return rows[0]
        time.sleep(0.05)
    raise AssertionError('no row for ' + sql)


def email_of(srv, login):
    return q(srv, 'SELECT id, email FROM user WHERE login = ?', (login,))[0]


def add_mail(srv, recipient, subject, body, age_s=0):
    """Writes a row into the outbox in clear, as a version before 026 did (the mailer still
    delivers such a row; the server seals the ones it finds when it starts)."""
    q(srv, 'INSERT INTO mail_outbox(brand_id, recipient, subject, body, created_at) '
           'VALUES (1, ?, ?, ?, ?)',
      (recipient, subject, body, srv.now_us(-age_s)))
    return q(srv, 'SELECT max(id) FROM mail_outbox')[0][0]


def spooled(srv):
    return glob.glob(os.path.join(srv.tmp, 'spool', '*.eml'))


def check_log(srv, *secrets):
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    for s in secrets:
        assert s not in log


@pytest.fixture(scope='module')
def relay():
    r = Relay().start()
    yield r
    r.stop()


@pytest.fixture(scope='module')
def srv(tmp_path_factory, relay):
    s = Server(str(tmp_path_factory.mktemp('smtp')), transactions=0)
    s.start('--smtp', f'smtp://127.0.0.1:{relay.port}', '--smtp-from', FROM,
            '--smtp-retry-ms', '200', '--retention-every', '1')
    s.admin = ready_user(s, 'demo.admin')
    s.users = {}
    yield s
    assert s.stop() == 0
    check_log(s, *[u['password'] for u in s.demo['users']])


def reset_password(srv, login):
    uid, address = email_of(srv, login)
    sess, csrf = srv.admin
    r = sess.post(srv.base + f'/bo/api/users/{uid}/password', headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200 and r.json()['password_sent'] is True, r.text
    return address


def test_a_reset_password_arrives_over_smtp_and_not_in_the_spool(srv, relay):
    address = reset_password(srv, 'demo.consultation')
    sender, rcpts, raw = relay.wait(to(address))
    assert sender == 'guichet@example.com' and rcpts == [address]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    mail_id = q(srv, 'SELECT max(id) FROM mail_outbox WHERE recipient = ?', (address,))[0][0]
    assert msg['From'] == FROM and f'\r\nTo: <{address}>\r\n'.encode() in raw
    assert msg['Subject'] == 'Guichet : nouveau mot de passe / new password'
    assert msg['Message-ID'] == f'<{mail_id}@example.com>'
    assert msg['MIME-Version'] == '1.0'
    assert msg.get_content_type() == 'text/plain' and msg.get_content_charset() == 'utf-8'
    assert msg['Content-Transfer-Encoding'] == '8bit'
    assert abs(email.utils.parsedate_to_datetime(msg['Date']).timestamp() - srv.now()) < 60
    body = msg.get_content()
    assert 'Mot de passe provisoire : ' in body and 'à la première connexion' in body
    assert b'\r\n' in raw and b'\n' not in raw.replace(b'\r\n', b'')
    assert spooled(srv) == []
    # Marked sent and its body wiped, once the writer ran the mark.
    row = wait_row(srv, "SELECT sent_at, body, attempts FROM mail_outbox WHERE id = ? AND "
                        "sent_at IS NOT NULL", (mail_id,))
    assert row[1] == '' and row[2] == 0
    assert f'event=mail_sent id={mail_id}' in srv.read_log()


def test_a_non_ascii_subject_is_encoded_and_cannot_add_a_header(srv, relay):
    subject = 'Guichet : télécollecte du 2026-11-24\r\nBcc: evil@example.com'
    mail_id = add_mail(srv, 'compta@example.com', subject, '.une ligne\n..deux\nfin')
    _, _, raw = relay.wait(to('compta@example.com'))
    head = raw.split(b'\r\n\r\n', 1)[0]
    assert b'Bcc' not in head.replace(b'=?', b'').split(b'Subject:')[0]
    lines = head.split(b'\r\n')
    assert all(len(line) <= 76 for line in lines), lines
    assert all(not line.lower().startswith(b'bcc:') for line in lines)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert 'télécollecte du 2026-11-24' in msg['Subject']
    assert msg['Message-ID'] == f'<{mail_id}@example.com>'
    # libcurl doubles a leading dot on the wire and the server takes it off again.
    assert msg.get_content().replace('\r\n', '\n') == '.une ligne\n..deux\nfin\n'


def test_a_mail_stays_pending_while_the_relay_is_down_then_goes(srv, relay):
    relay.stop()
    try:
        address = reset_password(srv, 'demo.entry')
        mail_id = q(srv, 'SELECT max(id) FROM mail_outbox WHERE recipient = ?', (address,))[0][0]
        # Failed attempts are counted and put off; the mail is neither sent nor given up.
        row = wait_row(srv, 'SELECT attempts, next_attempt_at, sent_at, failed_at, body, '
                            'body_sealed, last_error FROM mail_outbox WHERE id = ? AND '
                            'attempts >= 2', (mail_id,))
        assert row[2] is None and row[3] is None
        # The body waits sealed, never in clear; the error is kept with it.
        assert row[4] == '' and len(row[5]) > 100 and b'Mot de passe' not in row[5]
        assert 'onnect' in row[6], row[6]
        log = srv.read_log()
        assert f'event=mail_deferred id={mail_id} attempts=1 retry_in_ms=200 ' in log
        assert f'event=mail_deferred id={mail_id} attempts=2 retry_in_ms=400 ' in log
        assert not [m for m in relay.messages if address in m[1]]
    finally:
        relay.start()
    _, _, raw = relay.wait(to(address))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg['Message-ID'] == f'<{mail_id}@example.com>'
    row = wait_row(srv, "SELECT body, body_sealed, last_error FROM mail_outbox WHERE id = ? "
                        "AND sent_at IS NOT NULL", (mail_id,))
    assert row == ('', None, None)
    assert spooled(srv) == []


def test_a_mail_failing_for_three_days_is_marked_failed_and_logged(srv, relay):
    relay.stop()
    try:
        mail_id = add_mail(srv, 'old@example.com', 'Guichet : ancien', 'secret-old-body',
                           age_s=3 * 86400 + 60)
        row = wait_row(srv, 'SELECT failed_at, body, sent_at, attempts, last_error FROM '
                            'mail_outbox WHERE id = ? AND failed_at IS NOT NULL', (mail_id,))
        assert row[1] == '' and row[2] is None and row[3] == 1 and 'onnect' in row[4]
        assert any(f'event=mail_failed id={mail_id} ' in line and 'permanent=no' in line and
                   'ERROR' in line.upper() for line in srv.read_log().splitlines())
    finally:
        relay.start()
    time.sleep(1.5)
    assert not [m for m in relay.messages if 'old@example.com' in m[1]]
    check_log(srv, 'secret-old-body')


# -- Refusals: permanent (5xx) and temporary (4xx); the administrators' list and retry ------


def create_user(srv, login, email, node=None, session=None):
    """A user made by an administrator (the brand's, or session's): its first password goes by
    mail, whose outbox id is returned."""
    sess, csrf = session or srv.admin
    body = {'login': login, 'name': login.title(), 'email': email, 'profile': 'consultation'}
    if node is not None:
        body['node_id'] = node
    r = sess.post(srv.base + '/bo/api/users', json=body, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 201, r.text
    return q(srv, 'SELECT max(id) FROM mail_outbox WHERE recipient = ?', (email,))[0][0]


def failed(srv, mail_id):
    return wait_row(srv, 'SELECT attempts, sent_at, last_error, body_sealed IS NOT NULL FROM '
                         'mail_outbox WHERE id = ? AND failed_at IS NOT NULL', (mail_id,))


def mails(srv, query='', session=None, status=200):
    sess, _ = session or srv.admin
    r = sess.get(srv.base + '/bo/api/mails' + query)
    assert r.status_code == status, r.text
    return r.json()


def item(body, mail_id):
    found = [m for m in body['items'] if m['id'] == mail_id]
    return found[0] if found else None


def retry(srv, mail_id, session=None):
    sess, csrf = session or srv.admin
    return sess.post(srv.base + f'/bo/api/mails/{mail_id}/retry', headers={'X-CSRF-Token': csrf})


def node_of(srv, name):
    return q(srv, 'SELECT id FROM node WHERE name = ?', (name,))[0][0]


def test_a_permanent_refusal_fails_the_mail_at_once_with_the_relays_answer(srv, relay):
    address = 'inconnu@refuse.example'
    answer = '550 5.1.1 <inconnu@refuse.example>: Recipient address rejected: User unknown'
    relay.refuse[address] = answer
    mail_id = create_user(srv, 'refuse.rcpt', address)
    attempts, sent_at, last_error, kept = failed(srv, mail_id)
    # One attempt, failed at once (not 3 days of retries), with the relay's own words; its
    # body stays sealed for an administrator's retry.
    assert (attempts, sent_at, last_error, kept) == (1, None, answer, 1)
    time.sleep(1.5)  # rounds go by: no second attempt
    assert relay.rcpts.count(address) == 1
    assert q(srv, 'SELECT attempts FROM mail_outbox WHERE id = ?', (mail_id,)) == [(1,)]
    assert any(f'event=mail_failed id={mail_id} attempts=1 permanent=yes error="{answer}"' in line
               and 'level=error' in line for line in srv.read_log().splitlines())


def test_a_message_refused_at_the_end_of_its_data_fails_at_once(srv, relay):
    address = 'filtre@spam.example'
    relay.refuse_data[address] = '554 5.7.1 Message rejected as spam'
    mail_id = create_user(srv, 'refuse.data', address)
    assert failed(srv, mail_id) == (1, None, '554 5.7.1 Message rejected as spam', 1)
    assert not [m for m in relay.messages if address in m[1]]


def test_a_temporary_refusal_is_tried_again_then_delivered(srv, relay):
    address = 'attente@greylist.example'
    answer = '451 4.7.1 Greylisted, try again later'
    relay.refuse[address] = answer
    mail_id = create_user(srv, 'refuse.later', address)
    row = wait_row(srv, 'SELECT failed_at, sent_at, last_error FROM mail_outbox WHERE id = ? '
                        'AND attempts >= 2', (mail_id,))
    assert row == (None, None, answer)
    assert f'event=mail_deferred id={mail_id} attempts=1 retry_in_ms=200 error="{answer}"' \
        in srv.read_log()
    # The administrators see it waiting, with the relay's answer and never its text.
    r = srv.admin[0].get(srv.base + '/bo/api/mails?status=pending')
    assert r.status_code == 200 and 'Mot de passe' not in r.text
    m = item(r.json(), mail_id)
    assert m['status'] == 'pending' and m['last_error'] == answer and m['attempts'] >= 2
    assert m['failed_at'] is None and m['next_attempt_at'] and m['retryable'] is False
    assert item(mails(srv, '?status=failed'), mail_id) is None
    del relay.refuse[address]
    relay.wait(to(address))
    # Delivered: its error forgotten, off the list.
    assert wait_row(srv, 'SELECT last_error, body_sealed FROM mail_outbox WHERE id = ? AND '
                         'sent_at IS NOT NULL', (mail_id,)) == (None, None)
    assert item(mails(srv), mail_id) is None


def test_administrators_list_the_failed_mails_and_send_one_again(srv, relay):
    address = 'boite@pleine.example'
    relay.refuse[address] = '552 5.2.2 Mailbox full'
    mail_id = create_user(srv, 'boite.pleine', address)
    failed(srv, mail_id)
    r = srv.admin[0].get(srv.base + '/bo/api/mails')
    assert r.status_code == 200 and 'Mot de passe' not in r.text
    body = r.json()
    m = item(body, mail_id)
    created = q(srv, 'SELECT created_at, failed_at FROM mail_outbox WHERE id = ?', (mail_id,))[0]
    assert set(m) == {'id', 'recipient', 'subject', 'status', 'created_at', 'attempts',
                      'last_error', 'failed_at', 'next_attempt_at', 'retried_at', 'retryable'}
    assert (m['recipient'], m['subject'], m['status'], m['attempts'], m['last_error']) == (
        address, 'Guichet : votre accès / your access', 'failed', 1, '552 5.2.2 Mailbox full')
    assert abs(datetime.fromisoformat(m['created_at'].replace('Z', '+00:00')).timestamp()
               - created[0] / 1e6) < 0.001
    assert m['failed_at'] and m['next_attempt_at'] is None and m['retried_at'] is None
    assert m['retryable'] is True and body['failed_recent'] >= 1
    # Newest first; the failed ones alone with status=failed.
    ids = [i['id'] for i in body['items']]
    assert ids == sorted(ids, reverse=True)
    assert item(mails(srv, '?status=failed'), mail_id) is not None
    assert item(mails(srv, '?status=pending'), mail_id) is None
    # The mailbox has room again: sent again, it arrives, as the same message.
    del relay.refuse[address]
    r = retry(srv, mail_id)
    assert r.status_code == 200, r.text
    again = r.json()
    assert again['id'] == mail_id and again['status'] == 'pending' and again['attempts'] == 0
    assert again['retried_at'] and again['failed_at'] is None and again['retryable'] is False
    _, _, raw = relay.wait(to(address))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg['Message-ID'] == f'<{mail_id}@example.com>'
    assert 'Mot de passe provisoire : ' in msg.get_content()
    wait_row(srv, 'SELECT 1 FROM mail_outbox WHERE id = ? AND sent_at IS NOT NULL', (mail_id,))
    assert item(mails(srv), mail_id) is None
    details = q(srv, "SELECT details FROM action_log WHERE action = 'mail_retried' AND "
                     "user_login = 'demo.admin' ORDER BY id DESC LIMIT 1")[0][0]
    assert details == (f'mail: {mail_id}; recipient: "{address}"; '
                       'subject: "Guichet : votre accès / your access"')
    # Delivered, it is no failed mail to send again; nor is a mail that does not exist.
    r = retry(srv, mail_id)
    assert r.status_code == 409 and r.json()['error'] == 'not_failed', r.text
    for bad in (mail_id + 100000, 0):
        r = retry(srv, bad)
        assert r.status_code in (404, 400) and r.json()['error'], r.text


def test_a_failed_mail_keeps_its_body_seven_days_for_a_retry(srv, relay):
    address = 'parti@refuse.example'
    relay.refuse[address] = '550 5.1.1 No such user'
    mail_id = create_user(srv, 'refuse.old', address)
    failed(srv, mail_id)
    recent = mails(srv)['failed_recent']
    # As if it failed 8 days ago: the retention job wipes its sealed body.
    q(srv, 'UPDATE mail_outbox SET failed_at = ? WHERE id = ?', (srv.now_us(-8 * 86400), mail_id))
    wait_row(srv, 'SELECT 1 FROM mail_outbox WHERE id = ? AND body_sealed IS NULL', (mail_id,))
    body = mails(srv)
    assert item(body, mail_id)['retryable'] is False and body['failed_recent'] == recent - 1
    r = retry(srv, mail_id)
    assert r.status_code == 409 and r.json()['error'] == 'mail_expired', r.text
    assert q(srv, 'SELECT failed_at IS NOT NULL FROM mail_outbox WHERE id = ?', (mail_id,)) == [(1,)]


def test_a_group_administrator_sees_and_retries_only_their_groups_mails(srv, relay):
    france, export, europe = (node_of(srv, n) for n in ('Boutiques France', 'Export',
                                                        'Export Europe'))
    create_user(srv, 'admin.export', 'admin.export@example.com', node=export)
    _, _, raw = relay.wait(to('admin.export@example.com'))
    text = email.message_from_bytes(raw, policy=email.policy.default).get_content()
    temp = text.split('Mot de passe provisoire : ')[1].split('\n')[0].strip()
    q(srv, "UPDATE user SET profile = 'admin' WHERE login = 'admin.export'")
    group = ready_user_with(srv, 'admin.export', temp)
    for address in ('france@refuse.example', 'europe@refuse.example'):
        relay.refuse[address] = '550 5.1.1 No such user'
    in_france = create_user(srv, 'refuse.france', 'france@refuse.example', node=france)
    in_europe = create_user(srv, 'refuse.europe', 'europe@refuse.example', node=europe)
    failed(srv, in_france)
    failed(srv, in_europe)
    # The brand's administrator sees both; node= narrows it.
    assert item(mails(srv), in_france) and item(mails(srv), in_europe)
    assert item(mails(srv, f'?node={france}'), in_europe) is None
    assert item(mails(srv, f'?node={france}'), in_france)
    # The group's sees its own part of the tree, and nothing above or beside it.
    mine = mails(srv, session=group)
    assert item(mine, in_europe) and item(mine, in_france) is None
    assert item(mails(srv, f'?node={europe}', session=group), in_europe)
    assert mails(srv, f'?node={france}', session=group, status=404)['error']
    assert retry(srv, in_france, session=group).status_code == 404
    del relay.refuse['europe@refuse.example']
    r = retry(srv, in_europe, session=group)
    assert r.status_code == 200, r.text
    relay.wait(to('europe@refuse.example'))


def test_the_list_goes_page_by_page_with_its_cursor(srv):
    """50 a page, newest first; next is the cursor of the following page, null on the last;
    every mail once, whatever pages the list takes."""
    root = q(srv, 'SELECT id FROM node WHERE brand_id = 1 AND parent_id IS NULL')[0][0]
    for i in range(60):
        q(srv, 'INSERT INTO mail_outbox(brand_id, node_id, recipient, subject, body, '
               'created_at, failed_at, attempts, last_error) VALUES (1, ?, ?, ?, \'\', ?, ?, 1, ?)',
          (root, f'page{i}@refuse.example', f'Guichet : page {i}', srv.now_us(),
           srv.now_us(), '550 5.1.1 No such user'))
    added = {r[0] for r in q(srv, "SELECT id FROM mail_outbox WHERE recipient LIKE "
                                  "'page%@refuse.example'")}
    seen, query, pages = [], '?status=failed', 0
    while True:
        body = mails(srv, query)
        pages += 1
        assert len(body['items']) <= 50
        seen += [m['id'] for m in body['items']]
        if body['next'] is None:
            break
        assert len(body['items']) == 50
        query = f'?status=failed&cursor={body["next"]}'
    assert pages >= 2 and seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    assert added <= set(seen)
    assert mails(srv, f'?status=failed&cursor={min(seen)}') == {
        'items': [], 'next': None, 'failed_recent': body['failed_recent']}


@pytest.mark.parametrize('query', ['?status=sent', '?status=', '?node=abc', '?cursor=-1',
                                   '?limit=10', '?status=failed&status=pending'])
def test_a_bad_query_of_the_list_is_refused(srv, query):
    r = srv.admin[0].get(srv.base + '/bo/api/mails' + query)
    assert r.status_code == 400 and r.json()['error'] == 'invalid_field', (query, r.text)


def test_only_administrators_see_the_mails(srv):
    s, csrf = ready_user(srv, 'demo.action')
    assert s.get(srv.base + '/bo/api/mails').status_code == 403
    mail_id = q(srv, 'SELECT max(id) FROM mail_outbox')[0][0]
    assert s.post(srv.base + f'/bo/api/mails/{mail_id}/retry',
                  headers={'X-CSRF-Token': csrf}).status_code == 403


@pytest.mark.parametrize('args,env', [
    (['--smtp', 'http://127.0.0.1:25'], {}),
    (['--smtp', 'smtp://'], {}),
    (['--smtp', 'smtp://user:pw@127.0.0.1:25'], {}),
    (['--smtp', 'smtp://127.0.0.1:0'], {}),
    (['--smtp', 'smtp://127.0.0.1:70000'], {}),
    (['--smtp', 'smtp://127.0.0.1:25?x=1'], {}),
    (['--smtp', 'smtp://127.0.0.1', '--smtp-from', 'no-address'], {}),
    (['--smtp', 'smtp://127.0.0.1', '--smtp-from', 'Name <a@b'], {}),
    (['--smtp', 'smtp://127.0.0.1', '--smtp-from', 'Néo <a@example.com>'], {}),
    (['--smtp', 'smtp://127.0.0.1', '--smtp-retry-ms', '0'], {}),
    (['--smtp', 'smtp://127.0.0.1'], {'GUICHET_SMTP_USER': 'u'}),
    ([], {'GUICHET_SMTP_USER': 'u', 'GUICHET_SMTP_PASSWORD': 'p'}),
])
def test_bad_smtp_settings_exit_2(tmp_path, args, env):
    out = subprocess.run([GUICHETD, 'serve', '--db', str(tmp_path / 'g.db'), '--spool',
                          str(tmp_path / 'spool'), '--listen', f'127.0.0.1:{free_port()}', *args],
                         capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, **env))
    assert out.returncode == 2, out.stderr


def authenticator(seen):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        seen.append((mechanism, ok, session.ssl is not None))
        # handled=False: aiosmtpd answers a failure itself (535); by default it says nothing.
        return AuthResult(success=ok, handled=False)
    return check


@pytest.mark.filterwarnings('ignore:Requiring AUTH while not requiring TLS')
def test_credentials_go_only_over_starttls(tmp_path):
    """With GUICHET_SMTP_USER/PASSWORD, smtp:// requires STARTTLS: against a relay that offers
    it (its certificate given by --smtp-ca) the mail goes after AUTH; against one that does
    not, nothing is sent and the password never crosses in clear."""
    cert, key = tls_files(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    seen = []
    secure = Relay(tls_context=ctx, require_starttls=True, auth_required=True,
                   authenticator=authenticator(seen)).start()
    plain = Relay(auth_required=True, auth_require_tls=False,
                  authenticator=authenticator(seen)).start()
    env = {'GUICHET_SMTP_USER': USER, 'GUICHET_SMTP_PASSWORD': PASSWORD}
    servers = []
    try:
        for relay, name in ((secure, 'tls'), (plain, 'plain')):
            os.mkdir(tmp_path / name)
            s = Server(str(tmp_path / name), transactions=0, env=env)
            servers.append(s)
            s.start('--smtp', f'smtp://127.0.0.1:{relay.port}', '--smtp-from', FROM,
                    '--smtp-ca', cert, '--smtp-retry-ms', '200')
            add_mail(s, f'{name}@example.com', 'Guichet : essai', 'corps')
        secure.wait(to('tls@example.com'))
        assert seen and all(ok and tls for _, ok, tls in seen)
        wait_row(servers[1], "SELECT 1 FROM mail_outbox WHERE attempts >= 2")
        assert plain.messages == [] and not [x for x in seen if not x[2]]
        assert 'event=mail_deferred' in servers[1].read_log()
    finally:
        for s in servers:
            assert s.stop() == 0
            check_log(s, PASSWORD)
        secure.stop()
        plain.stop()


@pytest.mark.filterwarnings('ignore:Requiring AUTH while not requiring TLS')
def test_a_relay_refusing_the_login_is_no_refusal_of_the_mail(tmp_path):
    """A 5xx outside the mail's transaction (here 535 to AUTH: a wrong password) is the
    relay's settings, not the mail's fault: every mail stays pending, with the answer."""
    cert, key = tls_files(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    seen = []
    relay = Relay(tls_context=ctx, require_starttls=True, auth_required=True,
                  authenticator=authenticator(seen)).start()
    s = Server(str(tmp_path), transactions=0,
               env={'GUICHET_SMTP_USER': USER, 'GUICHET_SMTP_PASSWORD': 'not-the-password-9'})
    try:
        s.start('--smtp', f'smtp://127.0.0.1:{relay.port}', '--smtp-from', FROM,
                '--smtp-ca', cert, '--smtp-retry-ms', '200')
        add_mail(s, 'refused.login@example.com', 'Guichet : essai', 'corps')
        row = wait_row(s, 'SELECT failed_at, last_error FROM mail_outbox WHERE attempts >= 2')
        assert row[0] is None and row[1].startswith('535 '), row
        assert relay.messages == [] and seen and not any(ok for _, ok, _ in seen)
    finally:
        assert s.stop() == 0
        check_log(s, 'not-the-password-9')
        relay.stop()
