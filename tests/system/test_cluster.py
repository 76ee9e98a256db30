"""Two guichetd on one PostgreSQL database (docs/SCALING.md): a session signed in on one is
the other's too (its CSRF token, its sign-out, one session per login and the takeover); an
Idempotency-Key sent to both at once pays once; two servers operating on one payment take
turns; a key activated on one signs on the other; the cluster's jobs run on one server, and
the other takes them over when it is killed; and one of them killed with SIGKILL under
payment load loses or doubles no payment."""
import glob
import os
import random
import signal
import threading
import uuid

import pytest
import requests

from conftest import PG, Server, q, wait_for
from test_hmac_keys import STRONG, token_of
from test_signin import ready_user, sign_in

pytestmark = pytest.mark.skipif(
    not PG, reason='several servers share a PostgreSQL database; a SQLite file is one '
                   "server's (docs/SCALING.md)")

# The jobs every server runs, of which one leads each (store_ops.lead).
CLUSTER_JOBS = ('mailer', 'notifier', 'indexer', 'retention', 'hmac_expiry', 'confirm')


@pytest.fixture
def pair(tmp_path):
    os.makedirs(tmp_path / 'a')
    a = Server(str(tmp_path / 'a'), transactions=20).start()
    b = a.twin(str(tmp_path / 'b')).start()
    yield a, b
    for srv in (a, b):
        if srv.proc is not None:
            assert srv.stop() == 0, srv.read_log()
        log = srv.read_log()
        assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log


def led(srv, job):
    return f'event=job_lead job={job}' in srv.read_log()


def test_a_session_is_every_servers(pair):
    a, b = pair
    s, csrf = ready_user(a, 'demo.consultation')
    # The cookie of a's sign-in opens b's back office, and b checks its CSRF token.
    who = s.get(b.base + '/bo/api/session')
    assert who.status_code == 200 and who.json()['user']['login'] == 'demo.consultation'
    assert who.json()['next'] is None
    r = s.patch(b.base + '/bo/api/me/preferences', json={})
    assert r.status_code == 403 and r.json()['error'] == 'csrf', r.text
    r = s.patch(b.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': 'ab' * 32},
                json={})
    assert r.status_code == 403 and r.json()['error'] == 'csrf', r.text
    # Signed out on b: a refuses the cookie at once.
    r = s.delete(b.base + '/bo/api/session', headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200 and r.json() == {'signed_out': True}, r.text
    assert s.get(a.base + '/bo/api/session').status_code == 401
    assert s.get(b.base + '/bo/api/session').status_code == 401


def test_one_session_per_login_across_servers(pair):
    a, b = pair
    first, _ = ready_user(a, 'demo.admin')
    assert first.get(b.base + '/bo/api/session').status_code == 200
    second = requests.Session()
    second, r = sign_in(b, 'demo.admin', session=second, password='Cormoran-Velo-2026',
                        device='Portable')
    assert r.status_code == 409, r.text
    assert r.json()['error'] == 'session_elsewhere'
    second, r = sign_in(b, 'demo.admin', session=second, password='Cormoran-Velo-2026',
                        device='Portable', takeover=True)
    assert r.status_code == 200, r.text
    # The session taken over on b has ended on a too; the new one works on both.
    assert first.get(a.base + '/bo/api/session').status_code == 401
    for srv in (a, b):
        who = second.get(srv.base + '/bo/api/session')
        assert who.status_code == 200 and who.json()['device'] == 'Portable', who.text


def test_a_session_disconnected_on_one_server_resumes_on_the_other(pair):
    """SPEC §3 "disconnected": the state is the session's row, so every server sees it."""
    a, b = pair
    s, csrf = ready_user(a, 'demo.action')
    r = s.post(a.base + '/bo/api/session/disconnect', headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200, r.text
    key = r.json()['resume_key']
    # Disconnected on b too, at once: for the cookie's requests and another device's sign-in.
    r = s.get(b.base + '/bo/api/session')
    assert r.status_code == 401 and r.json()['error'] == 'session_disconnected', r.text
    _, r = sign_in(b, 'demo.action', password='Cormoran-Velo-2026', device='Portable')
    assert r.status_code == 409 and r.json()['state'] == 'disconnected', r.text
    # A wrong key counted on b and one on a: the third would end it, the right key resumes.
    for srv in (b, a):
        r = s.post(srv.base + '/bo/api/session/resume', json={'resume_key': 'A' * 43})
        assert r.status_code == 401 and r.json()['error'] == 'resume_refused', r.text
    assert r.json()['attempts_left'] == 1
    r = s.post(b.base + '/bo/api/session/resume', json={'resume_key': key})
    assert r.status_code == 200, r.text
    csrf = r.json()['csrf']
    # Connected again on both, with the new CSRF token.
    for srv in (a, b):
        r = s.patch(srv.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': csrf},
                    json={})
        assert r.status_code == 200, (srv.base, r.text)
    r = s.post(a.base + '/bo/api/session/resume', json={'resume_key': key})
    assert r.status_code == 409 and r.json()['error'] == 'not_disconnected', r.text
    # Disconnected on b, taken over on a by another device: ended everywhere.
    r = s.post(b.base + '/bo/api/session/disconnect', headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200, r.text
    key = r.json()['resume_key']
    _, r = sign_in(a, 'demo.action', password='Cormoran-Velo-2026', device='Portable',
                   takeover=True)
    assert r.status_code == 200, r.text
    for srv in (a, b):
        r = s.post(srv.base + '/bo/api/session/resume', json={'resume_key': key})
        assert r.status_code == 401 and r.json()['error'] == 'not_signed_in', r.text


def body_of(ref, amount=1500):
    return {'amount': amount, 'currency': 'EUR', 'order_ref': ref, 'capture': 'manual',
            'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'},
            'email': 'buyer@example.com'}


def at_once(calls):
    """Runs the calls in threads released together; their answers in order."""
    answers = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i):
        gate.wait()
        answers[i] = calls[i]()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_an_idempotency_key_sent_to_both_at_once_pays_once(pair):
    a, b = pair
    for _ in range(15):
        ref = 'IDEM-' + uuid.uuid4().hex[:10]
        key = {'Idempotency-Key': uuid.uuid4().hex}
        ra, rb = at_once([lambda: a.api('POST', '/api/v1/payments', body_of(ref), headers=key),
                          lambda: b.api('POST', '/api/v1/payments', body_of(ref), headers=key)])
        assert ra.status_code == rb.status_code == 201, (ra.text, rb.text)
        assert ra.json() == rb.json()
        assert q(a, 'SELECT count(*) FROM txn WHERE order_ref = ?', (ref,))[0][0] == 1


def test_two_servers_operating_on_one_payment_take_turns(pair):
    """The same operation sent to both servers at once: one does it, the other is refused
    as the payment then is; never both (each writer holds the payment's row)."""
    a, b = pair
    for op in ('capture', 'cancel') * 5:
        # Captured when it is awaiting capture; cancelled when it is to be sent.
        body = {**body_of('TURN-' + uuid.uuid4().hex[:10]),
                'capture': 'manual' if op == 'capture' else 'auto'}
        r = a.api('POST', '/api/v1/payments', body)
        assert r.status_code == 201, r.text
        pid = r.json()['id']
        path = f'/api/v1/payments/{pid}/{op}'
        ra, rb = at_once([lambda: a.api('POST', path, {}), lambda: b.api('POST', path, {})])
        assert sorted([ra.status_code, rb.status_code]) == [200, 409], (op, ra.text, rb.text)
        history = [h[0] for h in q(a, 'SELECT action FROM txn_history WHERE txn_id = ? '
                                      'ORDER BY id', (int(pid),))]
        done = [h for h in history if h in ('capture', 'cancellation')]
        assert done == ['capture' if op == 'capture' else 'cancellation'], history


def test_two_servers_paying_on_one_shop_at_once_refuse_nothing(pair):
    """Each server's writer holds the rows its payments update (the contract, the day's
    statistics of a card scheme) until its group commits, in the order its payments came: two
    of them may each wait for the other, a deadlock PostgreSQL ends by failing one statement.
    That writer rolls the payment back to its savepoint and runs it again: no client sees it."""
    a, b = pair
    cards = ('4111111111111111', '5555555555554444')  # two schemes: two statistics rows
    statuses, lock = [], threading.Lock()

    def client(n):
        srv = (a, b)[n % 2]
        for i in range(40):
            r = srv.pay(card=cards[(n // 2 + i) % 2])
            with lock:
                statuses.append(r.status_code)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 320, sorted(set(statuses))
    assert q(a, "SELECT count(*) FROM txn WHERE order_ref LIKE 'T-%'")[0][0] == 320
    again = a.read_log().count('event=job_run_again') + b.read_log().count('event=job_run_again')
    print(f'payments run again after a deadlock: {again}')


def test_a_key_activated_on_one_server_signs_on_the_other(pair):
    a, b = pair
    s, csrf = ready_user(a, 'demo.hmac')
    shop_id = q(a, "SELECT id FROM shop WHERE site = ? AND rang = ? AND env = 'production'",
                (a.shop(0)['site'], a.shop(0)['rang']))[0][0]
    r = s.post(a.base + '/bo/api/hmac-keys', headers={'X-CSRF-Token': csrf},
               json={'shop_id': shop_id, 'env': 'production', 'passphrase': STRONG})
    assert r.status_code == 201, r.text
    new_key, key_id = r.json()['key'], r.json()['id']
    # The activation mail is spooled by whichever server leads the mailer.
    srv = a if led(a, 'mailer') else b
    token, _ = token_of(srv, key_id)
    r = requests.post(a.base + '/bo/api/hmac-keys/activate', json={'token': token}, timeout=30)
    assert r.status_code == 200, r.text
    assert a.pay(card='4111111111111111').status_code == 401  # the old key: retired on a
    assert wait_for(lambda: b.api('POST', '/api/v1/payments', body_of('K-' + uuid.uuid4().hex[:8]),
                                  key=new_key).status_code == 201, timeout=10)
    assert b.pay().status_code == 401
    assert 'event=hmac_key_activated' in b.read_log() and 'by=another_server' in b.read_log()


def test_a_card_blocked_on_one_server_is_refused_by_the_other(pair):
    """Each server keeps the blocklist's keys in memory (risk.c): a key the other adds is
    seen from its next write transaction, an entry removed likewise."""
    a, b = pair
    s, csrf = ready_user(a, 'demo.action')
    card = '5555555555554444'
    assert b.pay(card=card).json()['status'] == 'accepted'
    r = s.post(a.base + '/bo/api/blocklist', headers={'X-CSRF-Token': csrf},
               json={'kind': 'card', 'value': card})
    assert r.status_code == 201, r.text
    for srv in (b, a):
        paid = srv.pay(card=card).json()
        assert (paid['status'], paid['refusal_reason']) == ('refused', 'card_not_allowed'), paid
        assert srv.pay(card='4111111111111111').json()['status'] == 'accepted'
    assert s.delete(a.base + f"/bo/api/blocklist/{r.json()['id']}",
                    headers={'X-CSRF-Token': csrf}).status_code == 204
    assert b.pay(card=card).json()['status'] == 'accepted'
    assert 'event=blocklist_filter entries=' in b.read_log()


def test_a_page_template_changed_on_one_server_shows_on_the_other(pair):
    a, b = pair
    s, csrf = ready_user(a, 'demo.admin')
    shop = q(a, 'SELECT min(id) FROM shop')[0][0]
    path = f'/bo/api/shops/{shop}/page-theme'
    r = s.put(a.base + path, headers={'X-CSRF-Token': csrf},
              json={'version': 0, 'primary_color': '#7A1F5C', 'title_en': 'Welcome'})
    assert r.status_code == 200, r.text
    css = r.json()['stylesheet_url']
    assert requests.get(a.base + css, timeout=10).status_code == 200
    assert wait_for(lambda: requests.get(b.base + css, timeout=10).status_code == 200,
                    timeout=10), b.read_log()
    # Back to Guichet's page on b: a no longer serves the template either.
    r = s.delete(b.base + path, headers={'X-CSRF-Token': csrf})
    assert r.status_code == 200, r.text
    assert requests.get(b.base + css, timeout=10).status_code == 404
    assert wait_for(lambda: requests.get(a.base + css, timeout=10).status_code == 404,
                    timeout=10), a.read_log()


def spooled(srv):
    return {os.path.basename(p) for p in glob.glob(os.path.join(srv.tmp, 'spool', '*.eml'))}


def test_jobs_run_once_and_move_when_their_server_is_killed(pair):
    a, b = pair
    assert wait_for(lambda: all(led(a, j) or led(b, j) for j in CLUSTER_JOBS), timeout=20)
    for job in CLUSTER_JOBS:
        assert led(a, job) != led(b, job), job
    s, csrf = ready_user(a, 'demo.admin')
    for i in range(6):
        srv = (a, b)[i % 2]
        r = s.post(srv.base + '/bo/api/users', headers={'X-CSRF-Token': csrf},
                   json={'login': f'cluster.{i}', 'name': f'Cluster {i}',
                         'email': f'cluster{i}@example.com', 'profile': 'consultation'})
        assert r.status_code == 201, r.text
    assert wait_for(lambda: q(a, 'SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL')
                    [0][0] == 0, timeout=20)
    ids = {'%012d.eml' % r[0] for r in q(a, 'SELECT id FROM mail_outbox')}
    # Each mail delivered once, by the mailer's one server.
    assert spooled(a) | spooled(b) == ids
    assert not spooled(a) & spooled(b)
    assert not spooled(b if led(a, 'mailer') else a)

    # The mailer's server killed: the other takes its jobs over and delivers the next mail.
    leader, other = (a, b) if led(a, 'mailer') else (b, a)
    leader.proc.send_signal(signal.SIGKILL)
    leader.proc.wait()
    leader.proc = None
    leader.log.close()
    r = s.post(other.base + '/bo/api/users', headers={'X-CSRF-Token': csrf},
               json={'login': 'cluster.late', 'name': 'Cluster late',
                     'email': 'late@example.com', 'profile': 'consultation'})
    assert r.status_code == 201, r.text
    late = q(other, "SELECT id FROM mail_outbox WHERE recipient = 'late@example.com'")[0][0]
    assert wait_for(lambda: '%012d.eml' % late in spooled(other), timeout=30), other.read_log()
    # The jobs of short rounds moved already; the others move at their next round.
    assert wait_for(lambda: all(led(other, j) for j in ('mailer', 'notifier', 'indexer',
                                                        'confirm')), timeout=20), other.read_log()


def test_kill_one_server_under_payment_load(pair):
    """Clients pay through both servers, each payment with its Idempotency-Key; one server is
    killed with SIGKILL in the middle; a client left without an answer sends the same request
    again to the other. Every key ends with exactly one payment, and every payment a client was
    told of is there."""
    a, b = pair
    rnd = random.Random(2026)
    answers, lock = {}, threading.Lock()
    dead = threading.Event()

    def client(n):
        for i in range(40):
            ref = f'LOAD-{n}-{i}-' + uuid.uuid4().hex[:6]
            key = {'Idempotency-Key': uuid.uuid4().hex}
            order = [a, b] if rnd.random() < 0.5 else [b, a]
            for srv in order * 2:
                if srv is a and dead.is_set():
                    continue
                try:
                    r = srv.api('POST', '/api/v1/payments', body_of(ref, 100 + i), headers=key)
                except requests.RequestException:
                    continue  # killed under it: the same request to the other
                if r.status_code == 503:
                    continue
                assert r.status_code == 201, r.text
                with lock:
                    answers[ref] = r.json()['id']
                break

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    assert wait_for(lambda: len(answers) >= 60, timeout=60)
    a.proc.send_signal(signal.SIGKILL)
    dead.set()
    a.proc.wait()
    a.proc = None
    a.log.close()
    for t in threads:
        t.join()
    assert len(answers) == 8 * 40
    rows = q(b, "SELECT order_ref, id FROM txn WHERE order_ref LIKE 'LOAD-%'")
    stored = {}
    for ref, pid in rows:
        assert ref not in stored, f'{ref} paid twice'
        stored[ref] = pid
    assert {r: str(i) for r, i in stored.items()} == {r: str(i) for r, i in answers.items()}
