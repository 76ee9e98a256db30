"""The command-line client `guichet` (SPEC §16.1 "The client"; issue 14; README "The
command-line client") against a real guichetd: profiles, sign-in with its steps (a second
factor an account requires set up, TOTP's QR code drawn on a terminal), the second-factor
command, sign-out, disconnect and resume, the transactions in every format, the export, bad
input, a server that is not there, and the files it keeps (0700 folders, 0600 files, no
secret printed).

The client comes from $GUICHET_CLIENT (default build/src/cli/guichet), its French catalogue
from the same build tree; each test has its own HOME and XDG folders. Its messages are read in
English: LANG=C, and the users it signs in as speak English (the demo's speak French;
test_client_i18n.py tests the languages). The client asks nothing of the database: on
PostgreSQL (GUICHET_TEST_DB=pg) the same tests run, the server being the only part that
changes."""
import csv
import ctypes
import io
import json
import os
import platform
import re
import stat
import subprocess
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from conftest import ROOT, TEST_NOW, Server, free_port, q, spooled_code, tls_files, totp
from test_batches import batch_run
from test_second_factor import new_user, steady
from test_second_factor_required import boss_of, require
from test_signin import NEW_PASSWORD, password_of, ready_user

CLIENT = os.path.abspath(os.environ.get('GUICHET_CLIENT',
                                        os.path.join(ROOT, 'build/src/cli/guichet')))
# The catalogues built beside it (<build>/po/fr/LC_MESSAGES/guichet.mo, po/meson.build): the
# client's GUICHET_LOCALEDIR. An installed client has its own.
LOCALEDIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(CLIENT))), 'po')
# Every transaction of the demo (its 13 months before the server's clock) and then some.
_NOW = datetime.now(timezone.utc) if TEST_NOW == 'real' else \
    datetime.fromisoformat(TEST_NOW.replace('Z', '+00:00'))
FROM, TO = (_NOW - timedelta(days=500)).date().isoformat(), \
    (_NOW + timedelta(days=2)).date().isoformat()


class Client:
    """guichet run with its own HOME and XDG folders under tmp."""

    def __init__(self, tmp):
        self.home = os.path.join(str(tmp), 'home')
        os.makedirs(self.home, exist_ok=True)
        self.config = os.path.join(self.home, 'cfg')
        self.state = os.path.join(self.home, 'st')
        # The environment's language left out: LANG=C, English, unless a test says.
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(('XDG_', 'LC_')) and k not in ('LANG', 'LANGUAGE')}
        self.env.update(HOME=self.home, XDG_CONFIG_HOME=self.config,
                        XDG_STATE_HOME=self.state, COLUMNS='100', LANG='C')
        if os.path.isdir(LOCALEDIR):
            self.env['GUICHET_LOCALEDIR'] = LOCALEDIR
        self.outputs = []

    def run(self, *args, stdin=None, env=None):
        """The client's run; its output as text, line ends as written (CSV's CRLF)."""
        # A session of its own, without a controlling terminal: never a question on the
        # terminal of whoever runs the tests.
        out = subprocess.run([CLIENT, *args], capture_output=True,
                             input=stdin.encode() if stdin is not None else None,
                             env={**self.env, **(env or {})}, timeout=60,
                             stdin=None if stdin is not None else subprocess.DEVNULL,
                             start_new_session=True)
        out.stdout, out.stderr = out.stdout.decode(), out.stderr.decode()
        # The sanitized client (make system-asan) says its errors here, whatever its status.
        assert 'Sanitizer' not in out.stderr and 'runtime error:' not in out.stderr, out.stderr
        self.outputs.append(out.stdout + out.stderr)
        return out

    def run_totp(self, args, lines, code_of):
        """The client's run whose TOTP enrolment a script answers: stdin's lines, then, once
        the secret and its URI are on stderr, the line code_of(secret) (None: none, stdin
        ends). Its output as run's, and the secret."""
        p = subprocess.Popen([CLIENT, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env)
        timer = threading.Timer(60, p.kill)
        timer.start()
        try:
            p.stdin.write(''.join(line + '\n' for line in lines).encode())
            p.stdin.flush()
            said, secret = [], None
            for line in iter(p.stderr.readline, b''):
                said.append(line.decode())
                m = re.match(r'Secret: ([A-Z2-7 ]+)$', said[-1].rstrip('\n'))
                secret = m.group(1).replace(' ', '') if m else secret
                if said[-1].startswith('URI: '):
                    break
            if secret is not None and code_of is not None:
                p.stdin.write((code_of(secret) + '\n').encode())
            stdout, stderr = p.communicate()
        finally:
            timer.cancel()
        out = subprocess.CompletedProcess(args, p.returncode, stdout.decode(),
                                          ''.join(said) + stderr.decode())
        assert 'Sanitizer' not in out.stderr and 'runtime error:' not in out.stderr, out.stderr
        self.outputs.append(out.stdout + out.stderr)
        return out, secret

    def file(self, kind, profile='default'):
        folder = self.config if kind == 'profile' else self.state
        return os.path.join(folder, 'guichet', f'{profile}.{kind}')

    def connect(self, srv, *extra):
        out = self.run('connect', '--host', '127.0.0.1', '--port', str(srv.port), '--no-tls',
                       *extra)
        assert out.returncode == 0, out.stderr
        return out

    def login(self, login, password=NEW_PASSWORD, *extra):
        return self.run('login', '--login', login, '--password-stdin', *extra,
                        stdin=password + '\n')

    def session(self, kind='session'):
        """The session (or resume key) the client keeps: in the kernel's keyring (this
        process shares the client's login session, so possesses its keys) or a file."""
        path = self.file(kind)
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)
        for where in ('memory', 'remembered'):
            text = key_read(where, 'guichet:' + path)
            if text is not None:
                return json.loads(text)
        return None

    def kept(self, kind='session'):
        """Where the client keeps it: 'memory', 'remembered', 'file' or None."""
        if os.path.exists(self.file(kind)):
            return 'file'
        for where in ('memory', 'remembered'):
            if key_read(where, 'guichet:' + self.file(kind)) is not None:
                return where
        return None


_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.syscall.restype = ctypes.c_long
# keyctl(2)'s system call number, which differs by architecture (asm/unistd.h).
SYS_KEYCTL = {'x86_64': 250, 'aarch64': 219, 'riscv64': 219, 'i686': 288, 'armv7l': 311,
              'ppc64le': 280, 's390x': 280}[platform.machine()]
KEYCTL_SEARCH, KEYCTL_READ, KEYCTL_GET_PERSISTENT = 10, 11, 22
KEY_SPEC_PROCESS_KEYRING, KEY_SPEC_SESSION_KEYRING = -2, -3


# These tests' client processes share a new session keyring, this process's: the keys they
# leave go with it when the tests end, whatever the user's key quota.
_LIBC.syscall(ctypes.c_long(SYS_KEYCTL), ctypes.c_long(1), None)  # KEYCTL_JOIN_SESSION_KEYRING


def key_read(where, name):
    """A "user" key's payload from the session keyring ('memory') or the persistent one
    ('remembered'), as the client finds it; None when there is none."""
    long = ctypes.c_long
    if where == 'memory':
        ring = KEY_SPEC_SESSION_KEYRING
    else:
        ring = _LIBC.syscall(long(SYS_KEYCTL), long(KEYCTL_GET_PERSISTENT), long(-1),
                             long(KEY_SPEC_PROCESS_KEYRING))
        if ring < 0:
            return None
    key = _LIBC.syscall(long(SYS_KEYCTL), long(KEYCTL_SEARCH), long(ring), b'user',
                        name.encode(), long(0))
    if key < 0:
        return None
    buf = ctypes.create_string_buffer(8192)
    n = _LIBC.syscall(long(SYS_KEYCTL), long(KEYCTL_READ), long(key), buf, long(len(buf)))
    return buf.raw[:n].decode() if 0 <= n <= len(buf) else None


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def speaks(srv, login, language):
    """Sets the user's language ('fr' or 'en'), the one their personal information page sets,
    in the server's database: the client's messages after their sign-in are in it. The demo's
    users speak French."""
    q(srv, 'UPDATE user SET language = ? WHERE login = ?', (language, login))


READY = set()


def ready(srv, login, verify=True):
    """The user's first sign-in steps done through the API (the client leaves them to the web
    UI), then signed out: their password is NEW_PASSWORD, and they speak English."""
    if (srv.db, login) in READY:
        return
    speaks(srv, login, 'en')
    s = requests.Session()
    s.verify = verify
    # verify on each call: requests prefers $REQUESTS_CA_BUNDLE to a session's own.
    r = s.post(srv.base + '/bo/api/session', timeout=30, verify=verify,
               json={'login': login, 'password': password_of(srv, login)})
    assert r.status_code == 200, r.text
    h = {'X-CSRF-Token': r.json()['csrf']}
    if r.json()['next'] == 'change_password':
        p = s.post(srv.base + '/bo/api/password', headers=h, timeout=30, verify=verify,
                   json={'old': password_of(srv, login), 'new': NEW_PASSWORD})
        assert p.status_code == 200, p.text
    t = s.post(srv.base + '/bo/api/terms', headers=h, json={'accept': True}, timeout=30,
               verify=verify)
    assert t.status_code == 200 and t.json()['next'] is None, t.text
    assert s.delete(srv.base + '/bo/api/session', headers=h, timeout=30,
                    verify=verify).status_code == 200
    READY.add((srv.db, login))


def signed_in(srv, login, device='Poste 1', verify=True):
    """A requests session of login (another device than the client), taking over."""
    ready(srv, login, verify)
    s = requests.Session()
    s.verify = verify
    r = s.post(srv.base + '/bo/api/session', timeout=30,
               json={'login': login, 'password': NEW_PASSWORD, 'device': device,
                     'takeover': True})
    assert r.status_code == 200, r.text
    s.headers['X-CSRF-Token'] = r.json()['csrf']
    return s


def no_secret_shown(cli, srv, *extra):
    """Neither the session's tokens nor a password ever printed by the client or logged by
    the server."""
    secrets = [NEW_PASSWORD, *extra]
    if cli.session() is not None:
        secrets += [cli.session()['token'], cli.session()['csrf']]
    text = '\n'.join(cli.outputs) + srv.read_log()
    assert [s for s in secrets if s in text] == []


def test_help_and_usage(tmp_path):
    cli = Client(tmp_path)
    out = cli.run('--help')
    assert out.returncode == 0
    for name in ('connect', 'login', 'logout', 'disconnect', 'resume', 'transactions',
                 'export', 'second-factor'):
        assert re.search(rf'^  {name} ', out.stdout, re.M), name
        sub = cli.run(name, '--help')
        assert sub.returncode == 0 and sub.stdout.startswith('usage: guichet'), name
    assert '--password-stdin' in cli.run('login', '--help').stdout
    assert cli.run().returncode == 2
    assert cli.run('frobnicate').returncode == 2
    assert cli.run('--profile', '../x', 'logout').returncode == 2


def test_bad_input_sends_nothing(tmp_path):
    """Checked before anything is sent: the profile points at a port where nothing listens,
    so a request would have been exit 4, not 2."""
    cli = Client(tmp_path)
    os.makedirs(os.path.dirname(cli.file('profile')))
    with open(cli.file('profile'), 'w') as f:
        json.dump({'host': '127.0.0.1', 'port': free_port(), 'tls': False}, f)
    rows = [
        (['--from', '2026-13-01', '--to', TO], "--from '2026-13-01' is not a date"),
        (['--from', FROM, '--to', '2026-02-30'], "--to '2026-02-30' is not a date"),
        (['--from', FROM], '--to D is required'),
        (['--from', FROM, '--to', TO, '--amount', '12.345'], 'more than 2 decimals'),
        (['--from', FROM, '--to', TO, '--amount', 'gt:5'], 'is not an amount'),
        (['--from', FROM, '--to', TO, '--amount', '7.5', '--currency', 'JPY'],
         'more than 0 decimals'),
        (['--from', FROM, '--to', TO, '--currency', 'XXX'], 'not a currency'),
        (['--from', FROM, '--to', TO, '--bogus', '1'], "unknown option '--bogus'"),
        (['--from', FROM, '--to', TO, '--limit', '501'], '--limit'),
        (['--from', FROM, '--to', TO, '--format', 'xml'], '--format'),
        (['--from', FROM, '--to', TO, '--card', '12345'], '--card'),
        (['--from', FROM, '--to', TO, '--batch', '0'], "--batch '0': a batch's number"),
        (['--from', FROM, '--to', TO, '--batch', '12a'], "--batch '12a': a batch's number"),
        (['--from', FROM, '--from', FROM], 'given twice'),
        (['stray'], "unexpected argument 'stray'"),
    ]
    for args, said in rows:
        out = cli.run('transactions', *args)
        assert out.returncode == 2, (args, out.stderr)
        assert said in out.stderr, (args, out.stderr)
    out = cli.run('export', '--from', FROM, '--to', TO)
    assert out.returncode == 2 and '-o FILE' in out.stderr
    out = cli.run('connect', '--host', 'example.com', '--no-tls')
    assert out.returncode == 2 and 'plain HTTP only to this machine' in out.stderr
    assert cli.run('connect', '--host', '127.0.0.1', '--port', '0', '--no-tls').returncode == 2
    assert cli.run('connect').returncode == 2
    assert cli.run('login').returncode == 2


def test_connect_saves_a_profile(server, tmp_path):
    cli = Client(tmp_path)
    out = cli.connect(server)
    assert f'http://127.0.0.1:{server.port}' in out.stdout
    path = cli.file('profile')
    assert mode(path) == 0o600 and mode(os.path.dirname(path)) == 0o700
    with open(path) as f:
        assert json.load(f) == {'host': '127.0.0.1', 'port': server.port, 'tls': False}
    assert os.listdir(os.path.dirname(path)) == ['default.profile']  # no temporary left
    # Another profile beside it; the default port when none is given.
    out = cli.run('--profile', 'other', 'connect', '--host', 'localhost', '--no-tls')
    assert out.returncode == 4, out.stderr
    assert 'nothing listens on localhost:13020' in out.stderr
    assert not os.path.exists(cli.file('profile', 'other'))  # not saved: nothing answered
    # No profile: say which command makes one.
    out = cli.run('--profile', 'other', 'logout')
    assert out.returncode == 2 and 'guichet --profile other connect' in out.stderr


def test_connect_asks_on_a_terminal(server, tmp_path):
    """Without --host, connect asks the host and the port (13020 on Enter) on the terminal;
    without a terminal it says which option is missing."""
    pexpect = pytest.importorskip('pexpect', reason='python3-pexpect (scripts/bootstrap)')
    cli = Client(tmp_path)
    child = pexpect.spawn(CLIENT, ['connect', '--no-tls'], env=cli.env, encoding='utf-8',
                          timeout=30)
    child.expect(re.escape("Host (the back office's name or address): "))
    child.sendline('127.0.0.1')
    child.expect(re.escape('Port [13020]: '))
    child.sendline(str(server.port))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    with open(cli.file('profile')) as f:
        assert json.load(f) == {'host': '127.0.0.1', 'port': server.port, 'tls': False}
    # Enter keeps the default port: nothing listens there, nothing is saved.
    other = Client(tmp_path / 'b')
    child = pexpect.spawn(CLIENT, ['connect', '--no-tls'], env=other.env, encoding='utf-8',
                          timeout=30)
    child.expect('Host')
    child.sendline('localhost')
    child.expect('Port')
    child.sendline('')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 4 and 'nothing listens on localhost:13020' in child.before
    assert not os.path.exists(other.file('profile'))


def test_login_with_the_account_id_and_user_id(server, tmp_path):
    """The Ingenico form: --account PSPID and the user's id; another account's id is a wrong
    password (counted, refused)."""
    cli = Client(tmp_path)
    cli.connect(server)
    ready(server, 'demo.consultation')
    out = cli.login('demo.consultation', NEW_PASSWORD, '--take-over', '--account', 'OTHER')
    assert out.returncode == 3 and 'bad_credentials' in out.stderr, out.stderr
    assert cli.kept() is None
    out = cli.login('demo.consultation', NEW_PASSWORD, '--take-over', '--account',
                    'GUICHETDEMO')
    assert out.returncode == 0, out.stderr
    assert 'Signed in as demo.consultation' in out.stdout
    assert cli.run('transactions', '--from', FROM, '--to', TO).returncode == 0
    assert cli.run('logout').returncode == 0


def test_login_to_the_test_environment(server, tmp_path):
    """--environment test signs in to the test environment (docs/ENVIRONMENTS.md): it says so,
    and the searches see the test payments only; a bad value sends nothing (exit 2)."""
    cli = Client(tmp_path)
    cli.connect(server)
    ready(server, 'demo.consultation')
    bad = cli.login('demo.consultation', NEW_PASSWORD, '--take-over', '--environment', 'prod')
    assert bad.returncode == 2 and "'prod': test or production" in bad.stderr, bad.stderr
    shop = server.demo['shops'][0]
    ref = 'CLI-TEST-' + uuid.uuid4().hex[:8]
    r = server.api('POST', '/api/v1/payments', {
        'amount': 4321, 'currency': 'EUR', 'order_ref': ref,
        'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'},
        'email': 'buyer@example.com', 'capture': 'auto'}, key=shop['hmac_key_test'])
    assert r.status_code == 201, r.text
    out = cli.login('demo.consultation', NEW_PASSWORD, '--take-over', '--environment', 'test')
    assert out.returncode == 0, out.stderr
    assert 'Environment: test' in out.stdout
    found = cli.run('transactions', '--from', FROM, '--to', TO, '--format', 'json')
    assert found.returncode == 0, found.stderr
    items = json.loads(found.stdout)['items']
    assert [i['order_ref'] for i in items] == [ref]
    out = cli.login('demo.consultation', NEW_PASSWORD, '--take-over')
    assert out.returncode == 0 and 'Environment' not in out.stdout
    found = cli.run('transactions', '--from', FROM, '--to', TO, '--order-ref', ref,
                    '--format', 'json')
    assert found.returncode == 0 and json.loads(found.stdout)['items'] == [], found.stdout
    assert cli.run('logout').returncode == 0


def test_network_errors(tmp_path):
    cli = Client(tmp_path)
    port = free_port()
    out = cli.run('connect', '--host', '127.0.0.1', '--port', str(port), '--no-tls')
    assert out.returncode == 4
    assert f'nothing listens on 127.0.0.1:{port} — is guichetd running' in out.stderr
    out = cli.run('connect', '--host', 'no-such-host.invalid')
    assert out.returncode == 4 and 'host not found' in out.stderr, out.stderr


def test_login_logout(server, tmp_path):
    cli = Client(tmp_path)
    cli.connect(server)
    ready(server, 'demo.consultation')
    out = cli.login('demo.consultation', 'wrong-password-42')
    assert out.returncode == 3 and 'bad_credentials' in out.stderr, out.stderr
    assert cli.kept() is None
    # The wrong one counted; the right one next forgets it (SPEC §3: 3 in a row lock).
    out = cli.login('demo.consultation', NEW_PASSWORD, '--device', 'Poste CLI')
    assert out.returncode == 0, out.stderr
    assert 'Signed in as demo.consultation' in out.stdout
    # Kept in memory only (the kernel's session keyring), never on disk.
    path = cli.file('session')
    assert cli.kept() == 'memory' and not os.path.exists(path)
    token = cli.session()['token']
    assert re.match(r'^[0-9a-f]{64}$', token)
    # The session is the server's: it names the device.
    who = requests.get(server.base + '/bo/api/session', cookies={'guichet_session': token},
                       timeout=30).json()
    assert who['device'] == 'Poste CLI' and who['user']['login'] == 'demo.consultation'
    no_secret_shown(cli, server)
    out = cli.run('logout')
    assert out.returncode == 0, out.stderr
    assert cli.kept() is None
    r = requests.get(server.base + '/bo/api/session', cookies={'guichet_session': token},
                     timeout=30)
    assert r.status_code == 401
    out = cli.run('logout')
    assert out.returncode == 3 and 'not signed in' in out.stderr
    # No password on stdin.
    out = cli.run('login', '--login', 'demo.consultation', '--password-stdin', stdin='')
    assert out.returncode == 2 and 'no password' in out.stderr
    # Without a terminal and without --password-stdin, nothing to ask it on.
    out = cli.run('login', '--login', 'demo.consultation')
    assert out.returncode == 2 and '--password-stdin' in out.stderr


def test_first_sign_in_steps_from_a_script(server, tmp_path):
    """A first sign-in's password change takes the new password from the second line of
    stdin, and its terms --accept-terms; missing either, the waiting sign-in is ended."""
    cli = Client(tmp_path)
    cli.connect(server)
    speaks(server, 'demo.entry', 'en')
    first = password_of(server, 'demo.entry')
    out = cli.login('demo.entry', first)
    assert out.returncode == 3, out.stderr
    assert 'must change its password' in out.stderr and 'second line of stdin' in out.stderr
    assert cli.kept() is None
    # The waiting sign-in was ended: a sign-in elsewhere is not told of a session.
    r = requests.post(server.base + '/bo/api/session', timeout=30,
                      json={'login': 'demo.entry', 'password': first})
    assert r.status_code == 200, r.text

    def login(*lines, extra=()):
        return cli.run('login', '--login', 'demo.entry', '--password-stdin', '--take-over',
                       *extra, stdin=''.join(line + '\n' for line in lines))

    # A weak new password: the server's refusal, the old one still good.
    weak = login(first, 'abc123')
    assert weak.returncode in (1, 2) and 'refused' in weak.stderr, weak.stderr
    # Changed, but the terms not accepted without a terminal: not signed in.
    out = login(first, NEW_PASSWORD)
    assert out.returncode == 3, out.stderr
    assert 'Password changed.' in out.stderr and 'Terms of use (version' in out.stderr
    assert 'terms of use were not accepted (--accept-terms' in out.stderr
    assert cli.kept() is None
    # The new password, the terms accepted: signed in, nothing left to do.
    out = login(NEW_PASSWORD, extra=('--accept-terms',))
    assert out.returncode == 0, out.stderr
    assert 'Signed in as demo.entry' in out.stdout
    assert cli.run('transactions', '--from', FROM, '--to', TO).returncode in (0, 1)
    READY.add((server.db, 'demo.entry'))
    no_secret_shown(cli, server, first)


def test_first_sign_in_on_a_terminal(tmp_path):
    """The new password asked twice without echo, its strength shown until acceptable; the
    terms shown and accepted with a yes."""
    pexpect = pytest.importorskip('pexpect', reason='python3-pexpect (scripts/bootstrap)')
    os.makedirs(tmp_path / 'srv')
    srv = Server(str(tmp_path / 'srv'), transactions=0).start()
    try:
        cli = Client(tmp_path)
        cli.connect(srv)
        speaks(srv, 'demo.action', 'en')
        child = pexpect.spawn(CLIENT, ['login', '--login', 'demo.action'], env=cli.env,
                              encoding='utf-8', timeout=30)
        child.expect('Password: ')
        child.sendline(password_of(srv, 'demo.action'))
        child.expect('New password: ')
        child.sendline('123456%A')
        child.expect(r'Strength: medium — password_too_short')
        child.expect('New password: ')
        child.sendline(NEW_PASSWORD)
        child.expect(r'Strength: (strong|very_strong|medium)')
        child.expect('The same again: ')
        child.sendline(NEW_PASSWORD + 'x')
        child.expect('The two differ')
        child.expect('New password: ')
        child.sendline(NEW_PASSWORD)
        child.expect('The same again: ')
        child.sendline(NEW_PASSWORD)
        child.expect('Password changed.')
        child.expect(r'Terms of use \(version \d+\)')
        child.expect(r'Do you accept these terms\? \[y/N\] ')
        child.sendline('y')
        child.expect('Signed in as demo.action')
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        assert NEW_PASSWORD not in child.before
        assert cli.run('transactions', '--from', FROM, '--to', TO).returncode == 0
    finally:
        assert srv.stop() == 0


def test_takeover(server, tmp_path):
    cli = Client(tmp_path)
    cli.connect(server)
    other = signed_in(server, 'demo.action', device='Poste 1')
    out = cli.login('demo.action')
    assert out.returncode == 3
    assert 'held by device Poste 1 (connected)' in out.stderr and '--take-over' in out.stderr
    assert other.get(server.base + '/bo/api/session', timeout=30).status_code == 200
    # Disconnected, the other session still blocks, and says so.
    assert other.post(server.base + '/bo/api/session/disconnect', timeout=30).status_code == 200
    out = cli.login('demo.action')
    assert out.returncode == 3 and 'Poste 1 (disconnected)' in out.stderr
    out = cli.login('demo.action', NEW_PASSWORD, '--take-over')
    assert out.returncode == 0, out.stderr
    assert other.get(server.base + '/bo/api/session', timeout=30).status_code == 401
    # The other device takes it back: the client's next command says the session ended.
    signed_in(server, 'demo.action', device='Poste 1')
    out = cli.run('transactions', '--from', FROM, '--to', TO)
    assert out.returncode == 3 and 'sign in again' in out.stderr, out.stderr
    assert cli.kept() is None


def test_second_factor(server, tmp_path):
    """A user with TOTP: the code given with --code; a wrong one refused (exit 3) and the
    waiting sign-in ended; none at all without a terminal to ask it on."""
    s = signed_in(server, 'demo.hmac')
    r = s.post(server.base + '/bo/api/me/second-factor/totp', json={}, timeout=30)
    assert r.status_code == 200, r.text
    secret = r.json()['secret']
    steady(server)
    r = s.post(server.base + '/bo/api/me/second-factor/totp/confirm', timeout=30,
               json={'code': totp(secret, server), 'password': NEW_PASSWORD})
    assert r.status_code == 200, r.text
    cli = Client(tmp_path)
    cli.connect(server)
    out = cli.login('demo.hmac', NEW_PASSWORD, '--take-over')
    assert out.returncode == 3 and '--code C' in out.stderr, out.stderr
    wrong = '%06d' % ((int(totp(secret, server, offset=1)) + 1) % 1000000)
    out = cli.login('demo.hmac', NEW_PASSWORD, '--take-over', '--code', wrong)
    assert out.returncode == 3 and 'bad_code' in out.stderr, out.stderr
    assert cli.kept() is None
    # The confirmation used this step: the next one (one step ahead is accepted).
    out = cli.login('demo.hmac', NEW_PASSWORD, '--take-over', '--code',
                    totp(secret, server, offset=1))
    assert out.returncode == 0, out.stderr
    assert cli.run('logout').returncode == 0
    no_secret_shown(cli, server, secret)


def test_session_kept_in_memory_remembered_or_in_a_file(server, tmp_path):
    """Without --remember the session lives in the kernel's session keyring only (gone with
    the login session); --remember keeps it in the persistent keyring; GUICHET_KEYRING=no (or
    a kernel that refuses keys) in a 0600 file. Each sign-in leaves one copy, and the resume
    key follows the session."""
    cli = Client(tmp_path)
    cli.connect(server)
    ready(server, 'demo.consultation')
    state = os.path.dirname(cli.file('session'))

    def on_disk():
        return sorted(os.listdir(state)) if os.path.isdir(state) else []

    def elsewhere():
        """The client run in another login session (a new session keyring)."""
        return subprocess.run(['/usr/bin/python3', '-c', 'import ctypes,os;'
                               'l=ctypes.CDLL(None);l.syscall.restype=ctypes.c_long;'
                               'l.syscall(%d,1,None);'  # KEYCTL_JOIN_SESSION_KEYRING
                               'os.execv(%r, [%r, "transactions", "--from", %r, "--to", %r, '
                               '"--format", "json"])' % (SYS_KEYCTL, CLIENT, CLIENT, FROM, TO)],
                              capture_output=True, env=cli.env, timeout=60, text=True)

    assert cli.login('demo.consultation', NEW_PASSWORD, '--take-over').returncode == 0
    assert cli.kept() == 'memory' and on_disk() == []
    other = elsewhere()
    assert other.returncode == 3 and 'not signed in' in other.stderr, other.stderr
    assert cli.login('demo.consultation', NEW_PASSWORD, '--take-over',
                     '--remember').returncode == 0
    assert cli.kept() == 'remembered' and on_disk() == []
    assert key_read('memory', 'guichet:' + cli.file('session')) is None  # moved, not copied
    other = elsewhere()
    assert other.returncode == 0, other.stderr
    assert cli.run('disconnect').returncode == 0
    assert cli.kept('resume') == 'remembered' and on_disk() == []
    assert cli.run('resume').returncode == 0
    assert cli.kept() == 'remembered' and cli.kept('resume') is None
    # Files when asked (or when the kernel keeps no keys): 0600 in a 0700 folder.
    files = {'GUICHET_KEYRING': 'no'}
    out = cli.run('login', '--login', 'demo.consultation', '--password-stdin', '--take-over',
                  stdin=NEW_PASSWORD + '\n', env=files)
    assert out.returncode == 0, out.stderr
    assert cli.kept() == 'file' and on_disk() == ['default.session']
    path = cli.file('session')
    assert mode(path) == 0o600 and mode(state) == 0o700
    assert cli.run('transactions', '--from', FROM, '--to', TO, env=files).returncode == 0
    assert cli.run('disconnect', env=files).returncode == 0
    assert mode(cli.file('resume')) == 0o600
    assert cli.run('resume', env=files).returncode == 0
    assert on_disk() == ['default.session']
    # Signing in again in memory removes the file.
    assert cli.login('demo.consultation', NEW_PASSWORD, '--take-over').returncode == 0
    assert cli.kept() == 'memory' and on_disk() == []
    no_secret_shown(cli, server)
    assert cli.run('logout').returncode == 0
    assert cli.kept() is None


# -- a second factor set up from the client (README "Second factor required") -------------


@pytest.fixture(scope='module')
def required(tmp_path_factory):
    """A server whose account requires a second factor, with users made before it did (their
    first steps done, none with a factor): each test takes its own."""
    srv = Server(str(tmp_path_factory.mktemp('required')), transactions=20).start()
    srv.admin = ready_user(srv, 'demo.admin')
    srv.secrets = []  # every TOTP secret given out: none may reach the log
    srv.users = {name: new_user(srv) for name in ('script', 'wrong', 'command', 'terminal')}
    for u in srv.users.values():
        speaks(srv, u.login, 'en')  # these tests read the client's English
    require(boss_of(srv))
    yield srv
    assert srv.stop() == 0
    log = srv.read_log()
    assert [s for s in srv.secrets if s in log] == [], 'a TOTP secret reached the log'


def not_the_code(srv, secret):
    """A code none of the steps around now gives for secret."""
    right = {totp(secret, srv, offset=k) for k in range(-2, 3)}
    return next(c for c in ('000000', '111111', '222222', '333333') if c not in right)


def api_factor(u):
    """The user's sign-in step and second factor as the API says them, from a sign-in of
    their own (the client's session taken over)."""
    r = u.sign_in()
    assert r.status_code == 200, r.text
    if r.json()['next'] == 'second_factor':  # the code is due: nothing else answers
        return 'second_factor', r.json()['second_factor']
    return r.json()['next'], u.call('GET', '/bo/api/me/second-factor').json()


def test_required_factor_set_up_from_a_script(required, tmp_path):
    """--second-factor totp: the secret and its URI on stderr, the code the next line of
    stdin (computed here from the secret); then signed in, nothing left to do."""
    u = required.users['script']
    cli = Client(tmp_path)
    cli.connect(required)
    steady(required)
    out, secret = cli.run_totp(('login', '--login', u.login, '--password-stdin', '--take-over',
                                '--second-factor', 'totp'), [u.password],
                               lambda s: totp(s, required))
    required.secrets.append(secret)
    assert out.returncode == 0, out.stderr
    assert 'This account requires a second factor, and you have none.' in out.stderr
    assert re.search(rf'^URI: otpauth://totp/Guichet:{re.escape(u.login)}\?secret={secret}&',
                     out.stderr, re.M), out.stderr
    assert 'TOTP is on' in out.stderr and f'Signed in as {u.login}' in out.stdout
    assert '█' not in out.stderr  # no QR code drawn for a script
    assert cli.run('transactions', '--from', FROM, '--to', TO).returncode == 0
    shown = cli.run('second-factor')
    assert shown.returncode == 0 and shown.stdout == 'Second factor: totp (authenticator app)\n'
    no_secret_shown(cli, required)
    assert api_factor(u) == ('second_factor', 'totp')


def test_required_factor_refused_code_or_none(required, tmp_path):
    """A wrong code: the server's message, exit 3, not signed in, nothing turned on. No
    --second-factor and no terminal to ask which: exit 3, saying the option."""
    u = required.users['wrong']
    cli = Client(tmp_path)
    cli.connect(required)
    steady(required)
    out, secret = cli.run_totp(('login', '--login', u.login, '--password-stdin', '--take-over',
                                '--second-factor', 'totp'), [u.password],
                               lambda s: not_the_code(required, s))
    required.secrets.append(secret)
    assert out.returncode == 3, out.stderr
    assert 'the code was refused: The code is wrong or too old' in out.stderr, out.stderr
    assert 'no second factor set up: not signed in' in out.stderr
    assert cli.kept() is None
    assert api_factor(u) == ('set_up_second_factor', {'method': None, 'pending_totp': True})
    # No code at all on stdin.
    out, _ = cli.run_totp(('login', '--login', u.login, '--password-stdin', '--take-over',
                           '--second-factor', 'totp'), [u.password], None)
    assert out.returncode == 3 and 'no code from the authenticator app on the next line' \
        in out.stderr, out.stderr
    # Which one, with no terminal to ask: the option says.
    out = cli.login(u.login, u.password, '--take-over')
    assert out.returncode == 3 and '--second-factor totp|email' in out.stderr, out.stderr
    assert cli.kept() is None
    out = cli.login(u.login, u.password, '--take-over', '--second-factor', 'sms')
    assert out.returncode == 2 and "--second-factor 'sms': totp or email" in out.stderr
    assert api_factor(u)[1]['method'] is None
    no_secret_shown(cli, required)


def test_required_factor_by_email_after_the_first_steps(required, tmp_path):
    """A first sign-in: the new password (second line of stdin), the terms, then e-mailed
    codes turned on with the new password; the next sign-in mails a code."""
    cli = Client(tmp_path)
    cli.connect(required)
    speaks(required, 'demo.entry', 'en')
    first = password_of(required, 'demo.entry')
    out = cli.run('login', '--login', 'demo.entry', '--password-stdin', '--accept-terms',
                  '--second-factor', 'email', stdin=f'{first}\n{NEW_PASSWORD}\n')
    assert out.returncode == 0, out.stderr
    assert 'Password changed.' in out.stderr
    sent_to = re.search(r'^E-mailed codes are on: each sign-in sends one to (\S+@\S+)\.$',
                        out.stderr, re.M)
    assert sent_to, out.stderr
    # Nothing left of the steps (the entry profile searches no transactions: its 403 is
    # the profile's, not the step's).
    out = cli.run('transactions', '--from', FROM, '--to', TO)
    assert out.returncode == 1 and '(forbidden)' in out.stderr, out.stderr
    assert cli.run('second-factor').stdout.startswith('Second factor: email')
    assert cli.run('logout').returncode == 0
    no_secret_shown(cli, required, first)
    # The next sign-in's code goes to that address.
    s = requests.Session()
    r = s.post(required.base + '/bo/api/session', timeout=30,
               json={'login': 'demo.entry', 'password': NEW_PASSWORD})
    assert r.status_code == 200 and r.json()['next'] == 'second_factor', r.text
    assert r.json()['second_factor'] == 'email'
    r = s.post(required.base + '/bo/api/session/second-factor', timeout=30,
               json={'code': spooled_code(required, sent_to.group(1))},
               headers={'X-CSRF-Token': r.json()['csrf']})
    assert r.status_code == 200 and r.json()['next'] is None, r.text


def test_second_factor_command(required, tmp_path):
    """guichet second-factor shows it, sets one up (totp from a script, email) and turns it
    off (the password, and for TOTP a code); one on at a time; the account's requirement
    brings the step back, said, until another is set up."""
    u = required.users['command']
    cli = Client(tmp_path)
    cli.connect(required)
    out = cli.login(u.login, u.password, '--take-over', '--second-factor', 'email')
    assert out.returncode == 0, out.stderr
    out = cli.run('second-factor')
    assert out.returncode == 0
    assert out.stdout == 'Second factor: email (a code e-mailed at each sign-in)\n'
    # One at a time: said before the password is asked for.
    out = cli.run('second-factor', 'totp')
    assert out.returncode == 1 and "email is on: 'guichet second-factor off' first" \
        in out.stderr, out.stderr
    # Off (e-mail: the password only); the account requires one: said, and held there.
    out = cli.run('second-factor', 'off', '--password-stdin', stdin=u.password + '\n')
    assert out.returncode == 0, out.stderr
    assert out.stdout == 'Second factor off (was email (a code e-mailed at each sign-in))\n'
    assert 'This account requires a second factor' in out.stderr
    held = cli.run('transactions', '--from', FROM, '--to', TO)
    assert held.returncode == 1 and "requires a second factor first: 'guichet second-factor " \
        "totp' or 'email'" in held.stderr, held.stderr
    out = cli.run('second-factor')
    assert out.stdout == 'Second factor: none\n' and 'requires a second factor' in out.stderr
    assert cli.run('second-factor', 'off', '--password-stdin',
                   stdin=u.password + '\n').returncode == 1
    # TOTP from a script: the password, then the code.
    steady(required)
    out, secret = cli.run_totp(('second-factor', 'totp', '--password-stdin'), [u.password],
                               lambda s: totp(s, required))
    required.secrets.append(secret)
    assert out.returncode == 0, out.stderr
    assert out.stdout == 'Second factor: totp (authenticator app)\n'
    assert cli.run('transactions', '--from', FROM, '--to', TO).returncode == 0
    # Off: a wrong password refused (it counts, as the server's checks do), then the password
    # and a later step's code (the confirmation used the current one).
    out = cli.run('second-factor', 'off', '--password-stdin',
                  stdin='not-my-password-42\n123456\n')
    assert out.returncode == 1 and 'bad_password' in out.stderr, out.stderr
    out = cli.run('second-factor', 'off', '--password-stdin', stdin=u.password + '\n')
    assert out.returncode == 2 and '--code C' in out.stderr, out.stderr
    steady(required)
    out = cli.run('second-factor', 'off', '--password-stdin',
                  stdin=f'{u.password}\n{totp(secret, required, offset=1)}\n')
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith('Second factor off (was totp')
    # Bad usage: nothing sent.
    for args in (('sms',), ('--code', '123456'), ('totp', '--code', '123456'),
                 ('--password-stdin',)):
        bad = cli.run('second-factor', *args, stdin='x\n')
        assert bad.returncode == 2, (args, bad.stderr)
    no_secret_shown(cli, required)
    # Not signed in.
    assert cli.run('logout').returncode == 0
    assert cli.run('second-factor').returncode == 3


def test_required_factor_on_a_terminal(required, tmp_path):
    """Which one asked ([t]otp or [e]-mail?), the QR code drawn in half blocks (white on
    black: a square, its quiet zone light), the secret in groups of 4; a wrong code said and
    asked again, the right one signs in."""
    pexpect = pytest.importorskip('pexpect', reason='python3-pexpect (scripts/bootstrap)')
    u = required.users['terminal']
    cli = Client(tmp_path)
    cli.connect(required)
    env = {k: v for k, v in cli.env.items() if k != 'NO_COLOR'}
    child = pexpect.spawn(CLIENT, ['login', '--login', u.login, '--take-over'],
                          env={**env, 'TERM': 'xterm-256color'}, encoding='utf-8', timeout=30)
    child.expect('Password: ')
    child.sendline(u.password)
    child.expect(r'\[t\]otp or \[e\]-mail\? ')
    child.sendline('sms')
    child.expect('t or e.')
    child.expect(r'\[t\]otp or \[e\]-mail\? ')
    child.sendline('t')
    child.expect('Scan this QR code')
    child.expect(r'Secret: ((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})\r\n')
    secret = child.match.group(1).replace(' ', '')
    required.secrets.append(secret)
    # The QR code: lines of half blocks between the SGR colours, all as long, (side + 1) / 2
    # of them, the first one (the quiet zone's two rows) all light.
    rows = re.findall(r'\x1b\[38;5;231;48;5;16m([ ▀▄█]+)\x1b\[0m', child.before)
    assert rows and len({len(r) for r in rows}) == 1, child.before
    assert len(rows) == (len(rows[0]) + 1) // 2 and set(rows[0]) == {'█'}
    assert len(rows[0]) >= 21 + 4
    child.expect('Code from the app: ')
    child.sendline(not_the_code(required, secret))
    child.expect('the code was refused: The code is wrong')
    child.expect('Code from the app: ')
    steady(required)
    child.sendline(totp(secret, required))
    child.expect('TOTP is on')
    child.expect(f'Signed in as {u.login}')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert u.password not in child.before
    assert cli.run('transactions', '--from', FROM, '--to', TO).returncode == 0


def test_disconnect_then_resume(server, tmp_path):
    cli = Client(tmp_path)
    cli.connect(server)
    ready(server, 'demo.consultation')
    assert cli.login('demo.consultation', NEW_PASSWORD, '--take-over').returncode == 0
    before = cli.session()
    out = cli.run('disconnect')
    assert out.returncode == 0, out.stderr
    assert re.search(r'until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z', out.stdout), out.stdout
    # The resume key kept where the session is: in memory.
    assert cli.kept('resume') == 'memory'
    key = cli.session('resume')['resume_key']
    assert key not in out.stdout + out.stderr
    out = cli.run('transactions', '--from', FROM, '--to', TO)
    assert out.returncode == 3 and 'guichet resume' in out.stderr
    out = cli.run('resume')
    assert out.returncode == 0, out.stderr
    assert 'Resumed: signed in as demo.consultation' in out.stdout
    assert cli.kept('resume') is None and cli.kept() == 'memory'
    after = cli.session()
    assert after['token'] == before['token'] and after['csrf'] != before['csrf']
    assert cli.run('transactions', '--from', FROM, '--to', TO).returncode == 0
    out = cli.run('resume')
    assert out.returncode == 3 and 'no disconnected session' in out.stderr
    no_secret_shown(cli, server, key)
    assert cli.run('logout').returncode == 0


def test_resume_after_a_server_restart(tmp_path):
    """A session disconnected, the server restarted meanwhile: resumed as if never
    interrupted (its state is the database's), and refused to another device's client."""
    os.makedirs(tmp_path / 'srv')
    srv = Server(str(tmp_path / 'srv'), transactions=20).start()
    try:
        ready(srv, 'demo.consultation')
        cli = Client(tmp_path / 'a')
        cli.connect(srv)
        assert cli.login('demo.consultation', NEW_PASSWORD).returncode == 0
        assert cli.run('disconnect').returncode == 0
        assert srv.stop() == 0
        srv.start()
        # Another device is told the session is held, disconnected.
        other = Client(tmp_path / 'b')
        other.connect(srv)
        out = other.login('demo.consultation', NEW_PASSWORD, '--device', 'Poste 2')
        assert out.returncode == 3 and '(disconnected)' in out.stderr, out.stderr
        out = cli.run('resume')
        assert out.returncode == 0, out.stderr
        assert cli.run('transactions', '--from', FROM, '--to', TO).returncode == 0
    finally:
        assert srv.stop() == 0


@pytest.fixture(scope='module')
def signed(server, tmp_path_factory):
    """A client signed in as demo.admin (the reference searches use demo.action)."""
    cli = Client(tmp_path_factory.mktemp('client'))
    cli.connect(server)
    ready(server, 'demo.admin')
    out = cli.login('demo.admin', NEW_PASSWORD, '--take-over')
    assert out.returncode == 0, out.stderr
    return cli


def reference(server, **params):
    s = signed_in(server, 'demo.consultation', device='Poste réf')
    r = s.get(server.base + '/bo/api/transactions', timeout=30,
              params={'from': FROM, 'to': TO, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_transactions_of_a_batch(server, signed):
    """--batch N: the journal's batch= filter, N the batch's number as the batch journal
    shows it; the transactions the web UI's search finds, and only of that number."""
    sent = [t for t in reference(server, acquirer_status='sent', limit=50)['items']
            if t['batch_number'] is not None]
    assert sent
    number = sent[0]['batch_number']
    ref = reference(server, batch=number, limit=500)
    assert ref['items'] and {t['batch_number'] for t in ref['items']} == {number}
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--batch', str(number),
                     '--limit', '500', '--format', 'json')
    assert out.returncode == 0, out.stderr
    assert [t['id'] for t in json.loads(out.stdout)['items']] == [t['id'] for t in ref['items']]
    # Another number (none has it): nothing.
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--batch', '999999',
                     '--format', 'json')
    assert out.returncode == 0 and json.loads(out.stdout)['items'] == [], out.stdout
    assert '--batch N' in signed.run('transactions', '--help').stdout


def test_transactions_json_csv_tsv(server, signed):
    ref = reference(server, limit=7)
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--limit', '7',
                     '--format', 'json')
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert [t['id'] for t in got['items']] == [t['id'] for t in ref['items']]
    assert got['next'] == ref['next'] and got['next']
    # The next page by its cursor.
    page2 = signed.run('transactions', '--from', FROM, '--to', TO, '--limit', '7',
                       '--cursor', got['next'], '--format', 'json')
    ids2 = [t['id'] for t in json.loads(page2.stdout)['items']]
    assert ids2 and not set(ids2) & {t['id'] for t in got['items']}
    # CSV: RFC 4180, CRLF, the API's fields; the cursor on stderr.
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--limit', '7',
                     '--format', 'csv')
    assert out.returncode == 0 and '\r\n' in out.stdout
    rows = list(csv.DictReader(io.StringIO(out.stdout, newline='')))
    assert [r['id'] for r in rows] == [t['id'] for t in ref['items']]
    first = ref['items'][0]
    assert rows[0]['amount_current'] == str(first['amount_current'])
    assert rows[0]['order_ref'] == first['order_ref']
    assert f'--cursor {ref["next"]}' in out.stderr
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--limit', '7',
                     '--format', 'tsv')
    lines = out.stdout.splitlines()
    assert lines[0].split('\t')[0] == 'id' and len(lines) == 8
    # Filters reach the server: a status, an amount range, an order reference.
    status = ref['items'][0]['status']
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--status', status,
                     '--format', 'json')
    assert {t['status'] for t in json.loads(out.stdout)['items']} == {status}
    amount = ref['items'][0]['amount_initial']
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--format', 'json',
                     '--amount', f'ge:{amount // 100}.{amount % 100:02d}')
    assert all(t['amount_initial'] >= amount for t in json.loads(out.stdout)['items'])
    ref_order = ref['items'][0]['order_ref']
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--format', 'json',
                     '--order-ref', ref_order)
    assert ref_order in [t['order_ref'] for t in json.loads(out.stdout)['items']]
    card = next(t['card_masked'][-4:] for t in ref['items']
                if re.search(r'\d{4}$', t['card_masked'] or ''))
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--format', 'json',
                     '--card', card)
    assert out.returncode == 0, out.stderr
    items = json.loads(out.stdout)['items']
    assert items and all(t['card_masked'].endswith(card) for t in items)
    # A value only the server can judge: refused by it, said plainly.
    out = signed.run('transactions', '--from', FROM, '--to', TO, '--status', 'nonsense')
    assert out.returncode == 2 and 'refused --status' in out.stderr, out.stderr


def test_transactions_table(server, signed):
    ref = reference(server, limit=5)
    for width in (140, 80, 50):
        out = signed.run('transactions', '--from', FROM, '--to', TO, '--limit', '5',
                         env={'COLUMNS': str(width)})
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0].startswith('ID')
        assert lines[-1] == f'next page: --cursor {ref["next"]}'
        table = lines[:-1]
        assert len(table) == 6 and all(len(line) <= width for line in table), out.stdout
        # The amounts right-aligned, with their currency, never cut.
        end = table[0].index('AMOUNT') + len('AMOUNT')
        for line, t in zip(table[1:], ref['items']):
            a = t['amount_current']
            assert line[:end].endswith(f'{a // 100}.{a % 100:02d} {t["currency"]}'), line
    narrow = signed.run('transactions', '--from', FROM, '--to', TO, '--limit', '5',
                        env={'COLUMNS': '50'}).stdout
    assert 'E-MAIL' not in narrow.splitlines()[0]


def test_transactions_pager_on_a_terminal(server, signed):
    """At a terminal the table pages on request: Enter shows the next page (the API's next
    cursor), q stops with the cursor to go on from; piped, one page and its cursor."""
    pexpect = pytest.importorskip('pexpect', reason='python3-pexpect (scripts/bootstrap)')
    first = reference(server, limit=3)
    second = reference(server, limit=3, cursor=first['next'])
    child = pexpect.spawn(CLIENT, ['transactions', '--from', FROM, '--to', TO, '--limit', '3'],
                          env={**signed.env, 'COLUMNS': '120'}, encoding='utf-8', timeout=30)
    child.expect('-- Enter: the next page; q: stop -- ')
    assert all(t['id'] in child.before for t in first['items']), child.before
    child.sendline('')
    child.expect('-- Enter: the next page; q: stop -- ')
    assert all(t['id'] in child.before for t in second['items']), child.before
    assert not any(t['id'] in child.before for t in first['items'])
    child.sendline('q')
    child.expect(f'next page: --cursor {re.escape(second["next"])}')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_export(server, signed, tmp_path):
    target, bad_layout = str(tmp_path / 'tx.csv'), str(tmp_path / 'layout.csv')
    out = signed.run('export', '--from', FROM, '--to', TO, '--status', 'accepted',
                     '-o', target)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ''  # stderr is no terminal: no progress line
    assert not os.path.exists(target + '.part')
    s = signed_in(server, 'demo.consultation', device='Poste réf')
    r = s.get(server.base + '/bo/api/transactions/export', timeout=60,
              params={'format': 'csv', 'from': FROM, 'to': TO, 'status': 'accepted'})
    with open(target, 'rb') as f:
        assert f.read() == r.content
    # --layout: the server's layout= (docs/EXPORTS.md); checked before anything is sent.
    sheet = str(tmp_path / 'sheet.csv')
    out = signed.run('export', '--from', FROM, '--to', TO, '--status', 'accepted',
                     '--layout', 'classic', '-o', sheet)
    assert out.returncode == 0, out.stderr
    r = s.get(server.base + '/bo/api/transactions/export', timeout=60,
              params={'format': 'csv', 'from': FROM, 'to': TO, 'status': 'accepted',
                      'layout': 'classic'})
    with open(sheet, 'rb') as f:
        assert f.read() == r.content and r.content.startswith(b'\xef\xbb\xbf')
    for args in (['--layout', 'excel'], ['--layout', 'classic', '--report']):
        out = signed.run('export', '--from', FROM, '--to', TO, *args, '-o', bad_layout)
        assert out.returncode == 2 and '--layout' in out.stderr, out.stderr
        assert not os.path.exists(bad_layout) and not os.path.exists(bad_layout + '.part')
    # A refusal leaves no file at all.
    bad = str(tmp_path / 'bad.csv')
    out = signed.run('export', '--from', FROM, '--to', TO, '--status', 'nonsense', '-o', bad)
    assert out.returncode == 2 and 'refused --status' in out.stderr, out.stderr
    assert not os.path.exists(bad) and not os.path.exists(bad + '.part')


def test_tls_and_idle_expiry(tmp_path):
    """TLS with the throwaway CA: trusted with --cafile, refused without; and a session
    ended by its idle time says to sign in again."""
    cert, key = tls_files(tmp_path)
    os.makedirs(tmp_path / 'srv')
    srv = Server(str(tmp_path / 'srv'), transactions=0)
    tls = ('--tls-cert', cert, '--tls-key', key)
    srv.start(*tls)
    try:
        cli = Client(tmp_path)
        out = cli.run('connect', '--host', '127.0.0.1', '--port', str(srv.port))
        assert out.returncode == 4 and 'TLS certificate' in out.stderr and 'not trusted' \
            in out.stderr, out.stderr
        out = cli.run('connect', '--host', '127.0.0.1', '--port', str(srv.port),
                      '--cafile', cert)
        assert out.returncode == 0, out.stderr
        assert f'https://127.0.0.1:{srv.port}' in out.stdout
        with open(cli.file('profile')) as f:
            assert json.load(f)['cafile'] == os.path.realpath(cert)
        # The first sign-in's steps (two Argon2id hashes) under the default idle time; then
        # a server that ends a session idle for 3 s.
        ready(srv, 'demo.consultation', verify=cert)
        assert srv.stop() == 0
        srv.start(*tls, '--idle-timeout', '3')
        assert cli.login('demo.consultation').returncode == 0
        assert cli.run('transactions', '--from', FROM, '--to', TO).returncode == 0
        time.sleep(4.5)
        out = cli.run('transactions', '--from', FROM, '--to', TO)
        assert out.returncode == 3
        assert 'your session ended (idle time): sign in again' in out.stderr
        assert cli.kept() is None
        # The server stopped: a network failure, exit 4.
        assert cli.login('demo.consultation').returncode == 0
        assert srv.stop() == 0
        out = cli.run('transactions', '--from', FROM, '--to', TO)
        assert out.returncode == 4 and 'nothing listens' in out.stderr
    finally:
        srv.stop()


def test_prompts_on_a_terminal(server, tmp_path):
    """The password asked without echo, the takeover question answered, under a pseudo-
    terminal."""
    pexpect = pytest.importorskip('pexpect', reason='python3-pexpect (scripts/bootstrap)')
    cli = Client(tmp_path)
    cli.connect(server)
    ready(server, 'demo.action')
    signed_in(server, 'demo.action', device='Poste 9')
    child = pexpect.spawn(CLIENT, ['login', '--login', 'demo.action'], env=cli.env,
                          encoding='utf-8', timeout=30)
    child.expect('Password: ')
    child.sendline(NEW_PASSWORD)
    child.expect(r'Session held by device Poste 9 \(connected\) — take it over\? \[y/N\] ')
    child.sendline('y')
    child.expect('Signed in as demo.action')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert NEW_PASSWORD not in child.before + (child.after if isinstance(child.after, str)
                                              else '')
    # Answered no: not signed in, exit 3.
    signed_in(server, 'demo.action', device='Poste 9')
    child = pexpect.spawn(CLIENT, ['login', '--login', 'demo.action'], env=cli.env,
                          encoding='utf-8', timeout=30)
    child.expect('Password: ')
    child.sendline(NEW_PASSWORD)
    child.expect(r'\[y/N\] ')
    child.sendline('')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3


class _CutExport(BaseHTTPRequestHandler):
    """A server that answers /healthz, then starts an export and closes the connection in the
    middle of it."""

    def do_GET(self):
        if self.path == '/healthz':
            body = b'{"status":"ok","time":"2026-11-20T13:30:00Z"}'
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header('Content-Type', 'text/csv')
        self.send_header('Content-Length', '1000000')
        self.end_headers()
        self.wfile.write(b'id,created_at\r\n' + b'1,2026-11-20T13:30:00Z\r\n' * 100)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_export_in_the_users_reporting_format(server, signed, tmp_path):
    """export --report: the user's electronic reporting (README "Electronic reporting"), the
    same bytes as the API's format=report; XML's lines that are no transaction not counted as
    rows on a terminal."""
    kept = signed.session()
    s = requests.Session()
    s.cookies.set('guichet_session', kept['token'])
    s.headers['X-CSRF-Token'] = kept['csrf']

    def choose(structure, fmt):
        r = s.patch(server.base + '/bo/api/me/preferences', timeout=30,
                    json={'ereport': {'structure': structure, 'format': fmt}})
        assert r.status_code == 200, r.text

    try:
        for fmt in ('xml', 'fixed', 'delimited'):
            choose('extended', fmt)
            target = str(tmp_path / f'report.{fmt}')
            out = signed.run('export', '--from', FROM, '--to', TO, '--status', 'accepted',
                             '--report', '-o', target)
            assert out.returncode == 0, out.stderr
            r = s.get(server.base + '/bo/api/transactions/export', timeout=60,
                      params={'format': 'report', 'from': FROM, 'to': TO,
                              'status': 'accepted'})
            assert r.status_code == 200, r.text
            with open(target, 'rb') as f:
                assert f.read() == r.content, fmt
        pexpect = pytest.importorskip('pexpect', reason='python3-pexpect (scripts/bootstrap)')
        choose('standard', 'xml')
        target = str(tmp_path / 'tty.xml')
        child = pexpect.spawn(CLIENT, ['export', '--from', FROM, '--to', TO, '--report',
                                       '-o', target], env=signed.env, encoding='utf-8',
                              timeout=60)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        rows, total = map(int, re.findall(r'(\d+) of (\d+) rows', child.before)[-1])
        with open(target) as f:
            assert rows == total == f.read().count('<transaction>')
    finally:
        r = s.patch(server.base + '/bo/api/me/preferences', timeout=30,
                    json={'ereport': {'structure': None, 'format': None}})
        assert r.status_code == 200, r.text


class _Html(BaseHTTPRequestHandler):
    """A server that answers every request with a web page (a proxy's or a captive portal's),
    status 200 or 502."""

    def answer(self):
        body = b'<html><body><h1>Welcome to the hotel network</h1></body></html>'
        self.send_response(502 if 'bad' in self.path else 200)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = answer

    def log_message(self, *args):
        pass


def test_a_server_that_answers_html(tmp_path):
    """Not the back office's JSON: a clear message and exit 4, whatever the command; nothing
    saved, no file left."""
    httpd = HTTPServer(('127.0.0.1', 0), _Html)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        cli = Client(tmp_path)
        port = str(httpd.server_address[1])
        out = cli.run('connect', '--host', '127.0.0.1', '--port', port, '--no-tls')
        assert out.returncode == 4, out.stderr
        assert not os.path.exists(cli.file('profile'))
        # A profile and a session made by hand: each command says what came back.
        os.makedirs(os.path.dirname(cli.file('profile')), mode=0o700)
        with open(cli.file('profile'), 'w') as f:
            json.dump({'host': '127.0.0.1', 'port': int(port), 'tls': False}, f)
        files = {'GUICHET_KEYRING': 'no'}
        out = cli.run('login', '--login', 'demo.admin', '--password-stdin',
                      stdin=NEW_PASSWORD + '\n', env=files)
        assert out.returncode == 4, out.stderr
        assert cli.kept() is None
        os.makedirs(os.path.dirname(cli.file('session')), mode=0o700)
        with open(cli.file('session'), 'w') as f:
            json.dump({'login': 'x', 'token': 'a' * 64, 'csrf': 'b' * 64}, f)
        target = str(tmp_path / 'x.csv')
        for args in (('transactions', '--from', FROM, '--to', TO),
                     ('transactions', '--from', FROM, '--to', TO, '--format', 'json'),
                     ('show', '1'), ('stats', '--from', FROM, '--to', TO),
                     ('batches', '--from', FROM, '--to', TO), ('users',),
                     ('capture', '1', '--yes'), ('second-factor',)):
            out = cli.run(*args, env=files)
            assert out.returncode == 4, (args, out.returncode, out.stdout, out.stderr)
            assert out.stderr.startswith('guichet: ') and out.stdout == '', (args, out.stderr)
        out = cli.run('export', '--from', FROM, '--to', TO, '-o', target, env=files)
        assert out.returncode == 4 and not os.path.exists(target), out.stderr
    finally:
        httpd.shutdown()


def test_export_cut_leaves_no_file(tmp_path):
    httpd = HTTPServer(('127.0.0.1', 0), _CutExport)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        cli = Client(tmp_path)
        out = cli.run('connect', '--host', '127.0.0.1', '--port',
                      str(httpd.server_address[1]), '--no-tls')
        assert out.returncode == 0, out.stderr
        os.makedirs(os.path.dirname(cli.file('session')), mode=0o700)
        with open(cli.file('session'), 'w') as f:
            json.dump({'login': 'x', 'token': 'a' * 64, 'csrf': 'b' * 64}, f)
        target = str(tmp_path / 'cut.csv')
        out = cli.run('export', '--from', FROM, '--to', TO, '-o', target)
        assert out.returncode == 4, out.stderr
        assert 'closed the connection' in out.stderr and 'nothing written' in out.stderr
        assert not os.path.exists(target) and not os.path.exists(target + '.part')
    finally:
        httpd.shutdown()


def test_export_progress_on_a_terminal(server, signed, tmp_path):
    pexpect = pytest.importorskip('pexpect', reason='python3-pexpect (scripts/bootstrap)')
    target = str(tmp_path / 'all.csv')
    child = pexpect.spawn(CLIENT, ['export', '--from', FROM, '--to', TO, '-o', target],
                          env=signed.env, encoding='utf-8', timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    # Lines rewritten in place (\r) while it comes; the last one says it all: the rows against
    # the search's count (GET …/summary, asked meanwhile), the share done, the time left.
    last = re.findall(r'(\d+) of (\d+) rows \((\d+)%\), [\d.]+ MB, [\d.]+ MB/s, '
                      r'(\d+):(\d\d) left', child.before)[-1]
    rows, total, share, minutes, seconds = map(int, last)
    assert child.exitstatus == 0
    with open(target, newline='') as f:
        assert rows == len(f.read().split('\r\n')) - 2  # the header, the last line's end
    assert total == rows and share == 100 and (minutes, seconds) == (0, 0)


def one_of(server, **params):
    """The newest accepted debit the search finds with params (demo.consultation's view)."""
    items = [t for t in reference(server, type='debit', status='accepted', **params)['items']
             if t['currency'] == 'EUR']
    assert items, params
    return items[0]


def test_show(server, signed):
    t = one_of(server, acquirer_status='sent')
    out = signed.run('show', t['id'])
    assert out.returncode == 0, out.stderr
    assert re.search(rf'^transaction\s+{t["id"]}$', out.stdout, re.M), out.stdout
    assert re.search(r'^state\s+debit, accepted, sent$', out.stdout, re.M), out.stdout
    assert t['card_masked'] in out.stdout and t['order_ref'] in out.stdout
    assert re.search(r'^history:\nDATE \(UTC\)\s+ACTION', out.stdout, re.M), out.stdout
    as_json = json.loads(signed.run('show', t['id'], '--format', 'json').stdout)
    assert as_json['id'] == t['id'] and as_json['history']
    # Not a number, unknown, bad format: said, with its exit status.
    assert signed.run('show', 'abc').returncode == 2
    assert signed.run('show').returncode == 2
    assert signed.run('show', t['id'], '--format', 'xml').returncode == 2
    unknown = signed.run('show', '999999999')
    assert unknown.returncode == 1 and 'refused' in unknown.stderr, unknown.stderr


def test_show_lists_a_debits_refunds(server, signed):
    """A debit's details print its refunds after its other fields, oldest first, a line each
    (id, amount, status, date in UTC); a refund's print the debit it refunds."""
    t = one_of(server, acquirer_status='sent')
    made = []
    for amount in ('1.00', '2.50'):
        out = signed.run('refund', t['id'], '--amount', amount, '--yes')
        assert out.returncode == 0, out.stderr
        made.append(re.search(r'^the refund: transaction (\d+) ', out.stdout, re.M).group(1))
    out = signed.run('show', t['id'])
    assert out.returncode == 0, out.stderr
    lines = re.findall(r'^(?:refunds|\s)\s+(\d+)  (\S+ EUR)  (\w+)  (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$',
                       out.stdout, re.M)
    assert [(i, a, s) for i, a, s, _ in lines[-2:]] == [(made[0], '1.00 EUR', 'accepted'),
                                                      (made[1], '2.50 EUR', 'accepted')], out.stdout
    assert re.search(r'^refunds\s+\d+  ', out.stdout, re.M), out.stdout
    assert out.stdout.index('refunds') < out.stdout.index('history:')
    child = signed.run('show', made[0])
    assert re.search(rf'^refund of\s+{t["id"]}$', child.stdout, re.M), child.stdout
    assert not re.search(r'^refunds', child.stdout, re.M), child.stdout


def authorized(server, amount=4990, capture='manual', card='4111111111111111'):
    """A new payment of the demo's first shop (awaiting capture, or to send with capture
    'auto'), as the search shows it."""
    r = server.pay(amount=amount, capture=capture, card=card)
    assert r.status_code == 201, r.text
    return reference(server, id=r.json()['id'])['items'][0]


def test_operations_ask_then_act(server, signed):
    """capture, refund, send, cancel, block-card: refused without a terminal unless --yes;
    the server's state changes only when done; its refusals say why, exit 1."""
    t = authorized(server)
    assert t['acquirer_status'] == 'awaiting_capture'
    eur = t['amount_initial'] / 100
    # No terminal, no --yes: nothing sent.
    out = signed.run('capture', t['id'])
    assert out.returncode == 2 and '--yes' in out.stderr, out.stderr
    assert reference(server, id=t['id'])['items'][0]['acquirer_status'] == 'awaiting_capture'
    # More than authorized: the server's refusal; three decimals: refused before sending.
    assert signed.run('capture', t['id'], '--amount', f'{eur + 1:.2f}', '--yes').returncode == 1
    bad = signed.run('capture', t['id'], '--amount', '1.234', '--yes')
    assert bad.returncode == 2 and 'decimals' in bad.stderr, bad.stderr
    done = signed.run('capture', t['id'], '--yes')
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f'capture: transaction {t["id"]} is debit, accepted, to_send')
    # Captured: no second capture (said from the details, before any POST).
    again = signed.run('capture', t['id'], '--yes')
    assert again.returncode == 1 and 'not possible' in again.stderr, again.stderr
    # Captured today, it is due today: nothing to bring forward, and the client says so.
    due = signed.run('send', t['id'], '--yes')
    assert due.returncode == 0 and f'is due on {server.paris_day()}' in due.stdout, due.stderr
    # A deferred one goes into today's settlement (the télécollecte sends it).
    q(server, 'UPDATE txn SET bank_day = bank_day + 3 WHERE id = ?', (int(t['id']),))
    sent_now = signed.run('send', t['id'], '--yes')
    assert sent_now.returncode == 0, sent_now.stderr
    assert sent_now.stdout.startswith(f'send: transaction {t["id"]} is debit, accepted, to_send')
    # A debit sent to the bank, refunded in part: the refund is a transaction of its own.
    sent = one_of(server, acquirer_status='sent')
    refund = signed.run('refund', sent['id'], '--amount', '1.00', '--yes')
    assert refund.returncode == 0, refund.stderr
    assert refund.stdout.startswith(f'refund: transaction {sent["id"]} is debit, accepted, sent')
    rid = re.search(r'^the refund: transaction (\d+) is refund, accepted, to_send \(1\.00 EUR\)$',
                    refund.stdout, re.M)
    assert rid and rid.group(1) != sent['id'], refund.stdout
    # A debit still to send is cancelled; one sent to the bank is not.
    assert signed.run('cancel', sent['id'], '--yes').returncode == 1
    other = authorized(server, 700, capture='auto', card='5555555555554444')
    cancelled = signed.run('cancel', other['id'], '--yes')
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith(f'cancel: transaction {other["id"]} is cancellation')
    # The card on the blocklist (another card than the next test's).
    assert signed.run('block-card', other['id'], '--yes').returncode == 0
    assert server.pay(card='5555555555554444').json()['status'] == 'refused'


def test_operation_prompt_on_a_terminal(server, signed):
    pexpect = pytest.importorskip('pexpect', reason='python3-pexpect (scripts/bootstrap)')
    t = authorized(server, 1250)
    amount = f'{t["amount_initial"] // 100},{t["amount_initial"] % 100:02d}'
    child = pexpect.spawn(CLIENT, ['capture', t['id']], env=signed.env, encoding='utf-8',
                          timeout=30)
    child.expect(rf'Capture {amount.replace(",", ".")} EUR of transaction {t["id"]} '
                 rf'\(order {re.escape(t["order_ref"])}\)\? \[y/N\] ')
    child.sendline('n')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1 and 'nothing done' in child.before
    assert reference(server, id=t['id'])['items'][0]['acquirer_status'] == 'awaiting_capture'
    child = pexpect.spawn(CLIENT, ['capture', t['id']], env=signed.env, encoding='utf-8',
                          timeout=30)
    child.expect(r'\[y/N\] ')
    child.sendline('y')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert reference(server, id=t['id'])['items'][0]['acquirer_status'] == 'to_send'


def test_certificate_pinned_on_first_use(tmp_path):
    """connect pins the server certificate's key; a server with another key, though the CA
    file trusts it, is refused with a warning (exit 4), until connect pins the new one."""
    os.makedirs(tmp_path / 'a')
    os.makedirs(tmp_path / 'b')
    first, first_key = tls_files(tmp_path / 'a')
    second, second_key = tls_files(tmp_path / 'b')
    bundle = str(tmp_path / 'both.pem')  # a CA file that trusts both certificates
    with open(bundle, 'w') as f:
        f.write(open(first).read() + open(second).read())
    os.makedirs(tmp_path / 'srv')
    srv = Server(str(tmp_path / 'srv'), transactions=0)
    srv.start('--tls-cert', first, '--tls-key', first_key)
    try:
        cli = Client(tmp_path)
        out = cli.run('connect', '--host', '127.0.0.1', '--port', str(srv.port),
                      '--cafile', bundle)
        assert out.returncode == 0, out.stderr
        with open(cli.file('profile')) as f:
            pin = json.load(f)['pin']
        assert re.fullmatch(r'sha256//[A-Za-z0-9+/]{43}=', pin), pin
        assert f'Certificate key pinned: {pin}' in out.stdout
        ready(srv, 'demo.consultation', verify=bundle)
        assert cli.login('demo.consultation').returncode == 0
        # The same server with another key.
        signed_before = srv.read_log().count('event=sign_in ')
        assert srv.stop() == 0
        srv.start('--tls-cert', second, '--tls-key', second_key)
        for args in (('transactions', '--from', FROM, '--to', TO),
                     ('login', '--login', 'demo.consultation', '--password-stdin')):
            out = cli.run(*args, stdin=NEW_PASSWORD + '\n')
            assert out.returncode == 4, out.stderr
            assert 'WARNING: the TLS certificate of 127.0.0.1' in out.stderr and \
                'has changed' in out.stderr and pin in out.stderr, out.stderr
        # Nothing reached the server: the password was never sent.
        assert srv.read_log().count('event=sign_in ') == signed_before
        # connect again: warned, the new key pinned, and the calls go through.
        out = cli.run('connect', '--host', '127.0.0.1', '--port', str(srv.port),
                      '--cafile', bundle)
        assert out.returncode == 0, out.stderr
        assert 'WARNING' in out.stderr and pin in out.stderr, out.stderr
        with open(cli.file('profile')) as f:
            assert json.load(f)['pin'] not in ('', pin)
        assert cli.run('transactions', '--from', FROM, '--to', TO).returncode == 0
    finally:
        srv.stop()


def test_batches_stats_users(server, signed):
    """The batch journal, the statistics with their daily curve, the users: each as the API
    answers it, in a table and for scripts; bad input refused before anything is sent."""
    s = signed_in(server, 'demo.consultation', device='Poste réf')
    batch_run(server, server.paris_day(0))  # today's to send: batches for the journal
    days = {'from': FROM, 'to': TO}
    ref = s.get(server.base + '/bo/api/batches', params=days, timeout=30).json()
    assert ref['items']
    out = signed.run('batches', '--from', FROM, '--to', TO, '--format', 'json')
    assert out.returncode == 0, out.stderr
    assert [b['id'] for b in json.loads(out.stdout)['items']] == [b['id'] for b in ref['items']]
    out = signed.run('batches', '--from', FROM, '--to', TO, '--format', 'csv')
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0][:2] == ['bank_date', 'number'] and len(rows) == len(ref['items']) + 1
    table = signed.run('batches', '--from', FROM, '--to', TO)
    assert table.returncode == 0 and table.stdout.startswith('BANK DAY'), table.stdout
    for b in ref['items']:
        assert str(b['number']) in table.stdout
    for bad in (('--from', FROM), ('--from', '2026-02-30', '--to', TO),
                ('--from', FROM, '--to', TO, '--limit', '0'),
                ('--from', FROM, '--to', TO, '--format', 'xml')):
        assert signed.run('batches', *bad).returncode == 2, bad

    first, last = (_NOW - timedelta(days=30)).date().isoformat(), _NOW.date().isoformat()
    ref = s.get(server.base + '/bo/api/stats', params={'from': first, 'to': last},
                timeout=30).json()
    out = signed.run('stats', '--from', first, '--to', last, '--format', 'json')
    assert json.loads(out.stdout)['count'] == ref['count']
    out = signed.run('stats', '--from', first, '--to', last)
    assert out.returncode == 0, out.stderr
    assert f'{ref["count"]} transactions' in out.stdout
    spark = re.search(r'^turnover a day  ([▁▂▃▄▅▆▇█]+)$', out.stdout, re.M)
    # A character a day of the 31, the days without transactions the lowest.
    assert spark and len(spark.group(1)) == 31, out.stdout
    assert f'{first} to {last}, 1 day a character' in out.stdout
    assert re.search(r'^METHOD\s+COUNT\s+TURNOVER', out.stdout, re.M)
    # Narrower than the period: a few days a character.
    narrow = signed.run('stats', '--from', first, '--to', last, env={'COLUMNS': '30'})
    spark = re.search(r'^turnover a day  ([▁▂▃▄▅▆▇█]+)$', narrow.stdout, re.M)
    assert spark and len(spark.group(1)) == 12 and '3 days a character' in narrow.stdout, \
        narrow.stdout
    assert signed.run('stats', '--from', last, '--to', first).returncode == 2

    out = signed.run('users', '--format', 'json')
    assert out.returncode == 0, out.stderr
    logins = {u['login'] for u in json.loads(out.stdout)['items']}
    assert {'demo.admin', 'demo.consultation'} <= logins
    # At 100 columns other columns give way: a login is shown whole or not at all.
    table = signed.run('users')
    assert table.stdout.startswith('LOGIN') and 'demo.consultation ' in table.stdout, \
        table.stdout
    # Not an administrator: the server's refusal.
    cli = Client(signed.home + '-consult')
    cli.connect(server)
    assert cli.login('demo.consultation', NEW_PASSWORD, '--take-over').returncode == 0
    refused = cli.run('users')
    assert refused.returncode == 1 and 'refused' in refused.stderr, refused.stderr


def test_man_page_and_bash_completion(tmp_path):
    """docs/guichet.1 has a section for every command `guichet --help` lists and renders
    without a warning; dist/guichet.bash-completion completes the commands, a command's
    options (as its --help lists them), --format's values, second-factor's argument and the
    saved profiles."""
    helped = Client(tmp_path).run('--help').stdout
    commands = re.findall(r'^  ([a-z-]+) ', helped.split('commands:')[1], re.M)
    assert len(commands) >= 16, helped
    page = open(os.path.join(ROOT, 'docs', 'guichet.1')).read()
    for c in commands:
        assert re.search(r'^\.SS ' + re.escape(c.replace('-', '\\-')) + r'\b', page, re.M), c
    out = subprocess.run(['groff', '-man', '-Tutf8', '-ww', '-z', os.path.join(ROOT, 'docs',
                                                                             'guichet.1')],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr == '', out.stderr

    cli = Client(tmp_path)
    os.makedirs(os.path.join(cli.config, 'guichet'))
    for name in ('prod', 'recette'):
        open(os.path.join(cli.config, 'guichet', f'{name}.profile'), 'w').close()

    def complete(*words):
        script = (f'source {os.path.join(ROOT, "dist", "guichet.bash-completion")}; '
                  f'COMP_WORDS=(guichet {" ".join(words)}); COMP_CWORD={len(words)}; '
                  '_guichet; printf "%s\\n" "${COMPREPLY[@]}"')
        env = {**cli.env, 'PATH': os.path.dirname(CLIENT) + ':' + os.environ['PATH']}
        out = subprocess.run(['bash', '-c', script], capture_output=True, text=True, env=env,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        return sorted(w for w in out.stdout.split('\n') if w)

    assert complete('') == sorted(commands + ['--profile', '--help', '--version'])
    assert complete('tr') == ['transactions']
    assert complete('--profile', 'prod', 'ca') == ['cancel', 'capture']
    assert complete('--profile', '') == ['prod', 'recette']
    assert complete('refund', '123', '--') == ['--amount', '--help', '--yes']
    assert complete('transactions', '--format', 't') == ['table', 'tsv']
    assert '--acquirer-status' in complete('transactions', '--a')
    # A command's argument's values, from its usage line; --second-factor's.
    assert complete('second-factor', '') == ['email', 'off', 'totp']
    assert complete('second-factor', 'o') == ['off']
    assert complete('second-factor', '--') == ['--code', '--help', '--password-stdin']
    assert complete('show', '') == []
    assert complete('login', '--second-factor', '') == ['email', 'totp']
