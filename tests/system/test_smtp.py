"""The mail outbox delivered over SMTP (SPEC §1; README "Mail"): a real SMTP server (Debian's
python3-aiosmtpd) runs in a thread of this test, guichetd delivers to it with --smtp, and the
test reads what arrived, the outbox rows and the log. Without --smtp the spool folder's .eml
files are what the other system tests read."""
import email
import email.policy
import glob
import os
import ssl
import subprocess
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import GUICHETD, Server, free_port, q, tls_files
from test_signin import ready_user

FROM = 'Guichet Essai <guichet@example.com>'
USER, PASSWORD = 'relay-user', 'relay-secret-Pw-42'


class Relay:
    """An SMTP server on 127.0.0.1:port that keeps every message it accepts; it can be
    stopped and started again on the same port."""

    def __init__(self, port=None, **smtp_kwargs):
        self.port = port or free_port()
        self.kwargs = smtp_kwargs
        self.messages = []  # (envelope sender, recipients, message bytes)
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
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
    """Writes a row into the outbox as the server's own code does (the mailer reads any)."""
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
            '--smtp-retry-ms', '200')
    s.admin = ready_user(s, 'demo.admin')
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
        row = wait_row(srv, 'SELECT attempts, next_attempt_at, sent_at, failed_at, body FROM '
                            'mail_outbox WHERE id = ? AND attempts >= 2', (mail_id,))
        assert row[2] is None and row[3] is None and 'Mot de passe provisoire' in row[4]
        log = srv.read_log()
        assert f'event=mail_deferred id={mail_id} attempts=1 retry_in_ms=200 ' in log
        assert f'event=mail_deferred id={mail_id} attempts=2 retry_in_ms=400 ' in log
        assert not [m for m in relay.messages if address in m[1]]
    finally:
        relay.start()
    _, _, raw = relay.wait(to(address))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg['Message-ID'] == f'<{mail_id}@example.com>'
    row = wait_row(srv, "SELECT body FROM mail_outbox WHERE id = ? AND sent_at IS NOT NULL",
                   (mail_id,))
    assert row[0] == ''
    assert spooled(srv) == []


def test_a_mail_failing_for_three_days_is_marked_failed_and_logged(srv, relay):
    relay.stop()
    try:
        mail_id = add_mail(srv, 'old@example.com', 'Guichet : ancien', 'secret-old-body',
                           age_s=3 * 86400 + 60)
        row = wait_row(srv, 'SELECT failed_at, body, sent_at FROM mail_outbox WHERE id = ? '
                            'AND failed_at IS NOT NULL', (mail_id,))
        assert row[1] == '' and row[2] is None
        assert any(f'event=mail_failed id={mail_id} ' in line and 'ERROR' in line.upper()
                   for line in srv.read_log().splitlines())
    finally:
        relay.start()
    time.sleep(1.5)
    assert not [m for m in relay.messages if 'old@example.com' in m[1]]
    check_log(srv, 'secret-old-body')


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
        return AuthResult(success=ok)
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
