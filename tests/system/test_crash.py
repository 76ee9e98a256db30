"""Crashes (SPEC §7 "crash-safe", §4 Idempotency-Key; DESIGN.md "Batches and jobs"): guichetd
killed with SIGKILL at random moments while it works, started again, and everything it
answered or had begun checked against the database beside it.

- Payments under load: client threads send signed payments, captures, cancellations and
  refunds, each with its Idempotency-Key, while the server is killed at least 20 times; every
  request left unanswered by a kill is sent again, byte for byte, with its key, until it is
  answered. Then every answer is in the database exactly once, no payment twice, and the
  database is whole (conftest.check_store: integrity, statistics roll-ups = a recount, ...).
- The télécollecte (`guichetd batch run`) killed after each batch it closed and while it
  writes its bank files, then run again: nothing sent twice, nothing lost, each bank file
  whole, no temporary file left.
- The mailer killed while it writes .eml files, and while it sends to a real SMTP server:
  each mail delivered at least once, none lost, each whole.
- The jobs that write (search indexer, retention, HMAC key expiry) killed mid-round: after
  the rerun, what they keep is complete and consistent.

The kills' moments come from a seeded random generator: the seed is printed (and named in
every failure); GUICHET_CRASH_SEED=N replays a run's kills. Threads make a replay close,
not exact."""
import contextlib
import email
import email.policy
import glob
import json
import os
import random
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import GUICHETD, PG, Server, bank_files_whole, check_store, connect, q

SEED = int(os.environ.get('GUICHET_CRASH_SEED') or random.SystemRandom().randrange(1 << 31))
print(f'test_crash: GUICHET_CRASH_SEED={SEED}')

# The sanitized build runs slower: fewer rounds there, never fewer than 20 kills of payments.
SANITIZED = b'__asan_init' in open(GUICHETD, 'rb').read()
SCALE = 0.5 if SANITIZED else 1.0
KILLS_MAILER = 5 if SANITIZED else 6

ACCEPTED = ('4111111111111111', '5555555555554444', '378282246310005', '4970100000000006')
REFUSED = '4000000000000002'


def rng_for(name):
    """A generator of its own for each part of the test, from the run's seed."""
    return random.Random(f'{SEED}:{name}')


def why(msg=''):
    return f'{msg} (replay: GUICHET_CRASH_SEED={SEED})'


def kill(srv):
    """SIGKILL, as the OOM killer or an operator's kill -9 would: no clean stop, no last
    write (what the process handed the kernel stays: a power cut is the fsyncs' part)."""
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.log.close()
    srv.proc = None


def restart_after_kill(srv, *extra):
    kill(srv)
    srv.start(*extra)


def log_clean(srv):
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    return log


# --- payments under load ----------------------------------------------------------------------

class Client(threading.Thread):
    """Sends requests of its own (a generator seeded from the run's), each with its
    Idempotency-Key, and sends a request again, the same bytes, until it is answered; the
    answers it got are in .records."""

    def __init__(self, srv, n, stop, refundable):
        super().__init__(daemon=True)
        self.srv, self.n, self.stop = srv, n, stop
        self.rng = rng_for(f'client{n}')
        self.refundable = refundable  # {txn id: (shop, what may still be refunded)}, its own
        self.records = []
        self.retries = 0
        self.error = None
        self.seq = 0

    def call(self, kind, method, path, body, shop, **facts):
        self.seq += 1
        key = f'crash-{self.n}-{self.seq}-{kind}'
        data = json.dumps(body).encode()
        while True:
            try:
                r = self.srv.api(method, path, raw=data, shop=shop,
                                 headers={'Idempotency-Key': key})
            except requests.RequestException:
                r = None  # killed before it answered: the same request again
            if r is not None and r.status_code != 503:
                break
            self.retries += 1
            time.sleep(0.02)
        rec = dict(kind=kind, key=key, shop=shop, status=r.status_code, answer=r.json(),
                   **facts)
        self.records.append(rec)
        return rec

    def pay(self):
        rng = self.rng
        shop = rng.randrange(3)
        manual = rng.random() < 0.4
        card = REFUSED if rng.random() < 0.1 else rng.choice(ACCEPTED)
        amount = rng.randint(100, 90000)
        ref = f'CR-{self.n}-{self.seq + 1}'
        body = {'amount': amount, 'currency': 'EUR', 'order_ref': ref,
                'card': {'number': card, 'expiry': '1230',
                         'cvv': '1234' if card.startswith('3') else '123'},
                'email': f'buyer{self.n}@example.com', 'capture': 'manual' if manual else 'auto'}
        rec = self.call('pay', 'POST', '/api/v1/payments', body, shop, amount=amount,
                        order_ref=ref)
        if rec['status'] != 201 or rec['answer']['status'] != 'accepted':
            return
        tid = rec['answer']['id']
        if manual and rng.random() < 0.7:
            part = amount if rng.random() < 0.5 else rng.randint(1, amount)
            self.call('capture', 'POST', f'/api/v1/payments/{tid}/capture', {'amount': part},
                      shop, txn=int(tid), amount=part)
        elif not manual and rng.random() < 0.3:
            self.call('cancel', 'POST', f'/api/v1/payments/{tid}/cancel', {}, shop,
                      txn=int(tid))

    def refund(self):
        tid = self.rng.choice(sorted(self.refundable))
        shop, left = self.refundable[tid]
        amount = self.rng.randint(1, min(left, 5000))
        if left == amount:
            del self.refundable[tid]
        else:
            self.refundable[tid] = (shop, left - amount)
        self.call('refund', 'POST', f'/api/v1/payments/{tid}/refund', {'amount': amount}, shop,
                  txn=tid, amount=amount)

    def run(self):
        try:
            while not self.stop.is_set():
                if self.refundable and self.rng.random() < 0.2:
                    self.refund()
                else:
                    self.pay()
        except Exception as e:  # noqa: BLE001 - reported by the test, with the seed
            self.error = e


def sent_payments(srv, n):
    """n payments sent to the bank (a télécollecte), so that they may be refunded:
    {id: (shop, amount)}."""
    out = {}
    for i in range(n):
        r = srv.pay(amount=3000 + i, card=ACCEPTED[i % 4], shop=i % 3)
        assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text
        out[int(r.json()['id'])] = (i % 3, 3000 + i)
    run = subprocess.run([GUICHETD, 'batch', 'run', '--db', srv.db, '--date', srv.paris_day(2),
                          '--spool', os.path.join(srv.tmp, 'spool'), *srv.clock()],
                         capture_output=True, text=True, timeout=120, env=srv.env)
    assert run.returncode == 0, run.stderr
    assert q(srv, 'SELECT count(*) FROM txn WHERE acq = 3')[0][0] == n
    return out


def test_payments_under_load_survive_kill_9(tmp_path):
    srv = Server(str(tmp_path), transactions=0).start()
    nclients, kills = 4, 20
    pool = sent_payments(srv, 24)
    stop = threading.Event()
    clients = [Client(srv, n, stop, {t: v for t, v in pool.items() if t % nclients == n})
               for n in range(nclients)]
    for c in clients:
        c.start()
    rng = rng_for('kills')
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(0.05, 0.35))
            restart_after_kill(srv)
        time.sleep(0.2)
    finally:
        stop.set()
        for c in clients:
            c.join(timeout=120)
    assert [c.error for c in clients] == [None] * nclients, why()
    assert srv.stop() == 0, why(srv.read_log())
    log_clean(srv)
    records = [r for c in clients for r in c.records]
    retried = sum(c.retries for c in clients)
    print(f'test_crash: {len(records)} requests answered, {retried} sent again after a kill')
    assert retried > 0, why('no kill caught a request in flight')
    expected = {'pay': 201, 'capture': 200, 'cancel': 200, 'refund': 201}
    assert [r for r in records if r['status'] != expected[r['kind']]] == [], why()

    # Every answer is in the database, once; nothing is there that was not answered. Read in
    # a few queries (thousands of answers).
    txns = {r[0]: r for r in q(srv, 'SELECT id, order_ref, shop_id, amount_initial, parent_id, '
                                    'type, acq, amount_current, amount_refunded FROM txn')}
    history = {(t, a): n for t, a, n in q(srv, 'SELECT txn_id, action, count(*) FROM '
                                              'txn_history GROUP BY 1, 2')}
    keys = {(s, k): (st, json.loads(body)) for s, k, st, body in q(
        srv, 'SELECT shop_id, key, http_status, response FROM idempotency')}
    shop_ids = {i: q(srv, "SELECT id FROM shop WHERE site = ? AND rang = ? AND env = 'production'",
                     (s['site'], s['rang']))[0][0] for i, s in enumerate(srv.demo['shops'])}
    debits = [t for t in txns.values() if t[4] is None and t[1].startswith('CR-')]
    pays = [r for r in records if r['kind'] == 'pay']
    assert len(debits) == len(pays) == len({r['order_ref'] for r in pays}), why('a payment twice')
    by_ref = {t[1]: t for t in debits}
    for r in pays:
        t = by_ref[r['order_ref']]
        assert (str(t[0]), t[2], t[3]) == (r['answer']['id'], shop_ids[r['shop']], r['amount']), \
            why(r)
    # Each key remembers the answer its request got, which names that row.
    for r in records:
        status, body = keys[(shop_ids[r['shop']], r['key'])]
        assert (status, body['id']) == (r['status'], r['answer']['id']), why(r)
    # Operations: each applied once, as answered.
    for r in (r for r in records if r['kind'] == 'capture'):
        assert (txns[r['txn']][6], txns[r['txn']][7]) == (2, r['amount']), why(r)
        assert history[(r['txn'], 'capture')] == 1, why(r)
    for r in (r for r in records if r['kind'] == 'cancel'):
        assert (txns[r['txn']][5], txns[r['txn']][7]) == (2, 0), why(r)
        assert history[(r['txn'], 'cancellation')] == 1, why(r)
    refunds = {}
    for r in (r for r in records if r['kind'] == 'refund'):
        refunds.setdefault(r['txn'], []).append(r)
        t = txns[int(r['answer']['id'])]
        assert (t[4], t[5], t[3]) == (r['txn'], 1, r['amount']), why(r)
    assert refunds, why('no refund was sent')
    for tid, rs in refunds.items():
        mine = [t for t in txns.values() if t[4] == tid and t[5] == 1]
        assert len(mine) == len(rs), why(rs)
        assert txns[tid][8] == sum(r['amount'] for r in rs), why(rs)
    check_store(srv)


# --- the télécollecte ---------------------------------------------------------------------------

def bank_dir(srv):
    return os.path.join(srv.tmp, 'spool', 'bank')


def batch_cmd(srv):
    # A transaction a chunk: a batch filled in as many database transactions as it has
    # transactions, so that a kill lands in its fill too (store.h batch_open).
    return [GUICHETD, 'batch', 'run', '--db', srv.db, '--date', srv.paris_day(2), '--spool',
            os.path.join(srv.tmp, 'spool'), '--chunk', '1', *srv.clock()]


def run_until(srv, point):
    """Starts `guichetd batch run` and kills it at point: ('opened', k) once its log says it
    opened its kth batch (in its fill, or just before), ('closed', k) once it closed its kth, ('writing', j) once the jth bank file is being written (its
    temporary file is there), ('written', j) once the jth is under its name, ('after', s)
    s seconds after it started. True when it was killed, False when it ended first."""
    what, k = point

    def files():
        return set(os.listdir(bank_dir(srv))) if os.path.isdir(bank_dir(srv)) else set()

    before = files()  # the files of the runs before: this run's points count its own
    start = time.time()
    p = subprocess.Popen(batch_cmd(srv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=srv.env)
    os.set_blocking(p.stderr.fileno(), False)
    err, closed, opened = b'', 0, 0
    try:
        while p.poll() is None:
            chunk = p.stderr.read()
            if chunk:
                err += chunk
                closed = err.count(b'event=batch_closed')
                opened = err.count(b'event=batch_opened')
            names = files() - before
            if ((what == 'closed' and closed >= k) or (what == 'opened' and opened >= k) or
                    (what == 'writing' and sum('.txt.' in n for n in names) +
                     sum(n.endswith('.txt') for n in names) >= k and
                     any('.txt.' in n for n in names)) or
                    (what == 'written' and sum(n.endswith('.txt') for n in names) >= k) or
                    (what == 'after' and time.time() - start >= k)):
                p.send_signal(signal.SIGKILL)
                p.wait()
                return True
            time.sleep(0.0002)
        err += p.stderr.read() or b''
        assert p.returncode == 0, err.decode()
        return False
    finally:
        p.stderr.close()


def settle_state(srv):
    """What may be seen between two runs, whatever the kill: each transaction due (to send, in
    no batch) or sent (in one batch, with its one bank_sending line); each batch whole; each
    bank file under its name whole."""
    assert q(srv, 'SELECT count(*) FROM txn WHERE type IN (0, 1) AND status = 0 AND NOT ('
                  '(acq = 2 AND batch_id IS NULL) OR (acq = 3 AND batch_id IS NOT NULL) OR '
                  'acq = 0)') == [(0,)]
    check_store(srv)
    bank_files_whole(srv)


def test_batch_run_killed_at_each_step_then_run_again(tmp_path):
    """Rounds of some ten batches (3 shops × 4 card schemes, and refunds of the round before:
    credits too); in each, a run killed at one point, the next at another, then a run to the
    end. The points go from the first batch closed to the last bank file written."""
    srv = Server(str(tmp_path), transactions=0).start()
    rng = rng_for('batch')
    shops = [(x['site'], x['rang']) for x in srv.demo['shops']]
    # A round's first run is killed while it closes its batches, the second while it writes
    # the bank files (those of the batches the first one closed too): at the first, the
    # middle or the last of them (counted when the round's payments are in).
    closing = [('after', 0.0), ('opened', 'first'), ('opened', 'middle'), ('closed', 'first'),
               ('closed', 'last'), ('after', rng.uniform(0, 0.03))]
    writing = [('writing', 'first'), ('writing', 'middle'), ('writing', 'last'),
               ('written', 'first'), ('written', 'middle'), ('written', 'last')]
    rng.shuffle(closing)
    rng.shuffle(writing)
    rounds = list(zip(closing, writing))[:4 if SANITIZED else 6]
    killed = []
    try:
        for rnd, points in enumerate(rounds):
            due = []
            for i in range(24):
                r = srv.pay(amount=1000 + 7 * i + rnd, card=ACCEPTED[i % 4], shop=i % 3)
                assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text
                due.append(int(r.json()['id']))
            for tid, site, rang in q(srv, 'SELECT t.id, s.site, s.rang FROM txn t JOIN shop s '
                                          'ON s.id = t.shop_id WHERE t.acq = 3 AND t.type = 0 '
                                          'AND t.amount_refunded = 0 ORDER BY t.id DESC LIMIT 4'):
                r = srv.api('POST', f'/api/v1/payments/{tid}/refund', {'amount': 100},
                            shop=shops.index((site, rang)))
                assert r.status_code == 201, r.text
                due.append(int(r.json()['id']))
            batches = len(q(srv, 'SELECT DISTINCT contract_id FROM txn WHERE acq = 2'))
            at = {'first': 1, 'middle': batches // 2, 'last': batches - 1}
            for what, k in points:
                point = (what, at.get(k, k) + (what == 'writing' and k == 'last'))
                if run_until(srv, point):
                    killed.append(point)
                settle_state(srv)
            out = subprocess.run(batch_cmd(srv), capture_output=True, text=True, timeout=120,
                                 env=srv.env)
            assert out.returncode == 0, out.stderr
            settle_state(srv)
            # Nothing lost: every transaction due is sent, each once, in one bank file.
            assert q(srv, 'SELECT count(*) FROM txn WHERE acq = 2') == [(0,)], why(killed)
            lines = []
            for path in glob.glob(os.path.join(bank_dir(srv), '*.txt')):
                with open(path) as f:
                    lines += [l for l in f.read().splitlines() if l.startswith('T;')]
            sent = [int(l.split(';')[1]) for l in lines]
            assert len(sent) == len(set(sent)) and set(due) <= set(sent), why(killed)
            assert q(srv, "SELECT count(*) FROM batch WHERE file_written = 0 OR status <> "
                          "'sent'") == [(0,)]
            # The acquirer's return file of each CB, VISA, MASTERCARD batch
            # (docs/RECONCILIATION.md), whole: each of its transactions on one line, and no
            # temporary file left beside them.
            returns = os.path.join(srv.tmp, 'spool', 'returns')
            lines = []
            for path in glob.glob(os.path.join(returns, '*.txt')):
                with open(path) as f:
                    text = f.read().splitlines()
                assert text[0].startswith('H;') and text[-1].startswith('Z;'), why(killed)
                lines += [int(l.split(';')[1]) for l in text if l.startswith('L;')]
            assert sorted(lines) == sorted(r[0] for r in q(
                srv, 'SELECT t.id FROM txn t JOIN batch b ON b.id = t.batch_id '
                     'WHERE b.method IN (1, 2, 3)')), why(killed)
            assert [n for n in os.listdir(returns) if n.startswith('.')] == [], why(killed)
            # Nothing but the bank files (and the runs' lock) is left in the folder.
            assert sorted(n for n in os.listdir(bank_dir(srv)) if n != '.lock') == sorted(
                r[0] for r in q(srv, 'SELECT file_name FROM batch')), \
                why(f'a temporary file left, killed at {killed}')
    finally:
        assert srv.stop() == 0
    log_clean(srv)
    print(f'test_crash: batch runs killed at {killed}')
    assert len(killed) >= len(rounds) * 2 * 3 // 4, why(f'runs ended before their kill: {killed}')


# --- the mailer -------------------------------------------------------------------------------

def outbox(srv, n, tag):
    """n mails in the outbox (written as the server's own code writes them, the server
    stopped), each body its own and a few KiB long: {id: (recipient, body)}."""
    mails = {}
    for i in range(n):
        to = f'{tag}{i % 7}@example.com'
        body = f'Mail {tag}-{i}\n' + ''.join(f'ligne {k} du mail {i} : données à livrer\n'
                                             for k in range(60))
        q(srv, 'INSERT INTO mail_outbox(brand_id, recipient, subject, body, created_at) '
               'VALUES (1, ?, ?, ?, ?)', (to, f'Guichet : essai {tag} {i}', body, srv.now_us()))
        mails[q(srv, 'SELECT max(id) FROM mail_outbox')[0][0]] = (to, body)
    return mails


def kill_when(srv, progress, rng, most, *extra):
    """Starts the server, and kills it once progress() grew by a random 1..most since it
    answered (or after 2 s)."""
    srv.start(*extra)
    base, goal = progress(), rng.randint(1, most)
    deadline = time.time() + 2
    while progress() - base < goal and time.time() < deadline:
        time.sleep(0.0005)
    kill(srv)


def whole(raw, mails):
    """The mail a message is, checked whole: its Message-ID names an outbox row whose
    recipient and body it carries, byte for byte."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    mail_id = int(msg['Message-ID'].strip('<>').split('@')[0])
    to, body = mails[mail_id]
    assert f'\r\nTo: <{to}>\r\n'.encode() in raw, raw[:300]
    assert msg.get_content().replace('\r\n', '\n') == body + '\n', raw[:300]
    return mail_id


def test_mailer_killed_while_spooling_delivers_every_mail(tmp_path):
    """A round writes up to 100 files, then the writer marks them sent: a kill in the middle
    of a round finds its mails unmarked, and the next start writes them again."""
    srv = Server(str(tmp_path), transactions=0)
    spool = os.path.join(srv.tmp, 'spool')
    mails = outbox(srv, 120, 'eml')
    rng = rng_for('spool')
    for _ in range(KILLS_MAILER):
        kill_when(srv, lambda: srv.read_log().count('event=mail_spooled'), rng, 60)
        # Whatever the kill: a mail marked sent has its file, and each file is whole.
        for path in glob.glob(os.path.join(spool, '*.eml')):
            with open(path, 'rb') as f:
                assert int(os.path.basename(path)[:-4]) == whole(f.read(), mails), why(path)
        for (mail_id,) in q(srv, 'SELECT id FROM mail_outbox WHERE sent_at IS NOT NULL'):
            assert os.path.exists(os.path.join(spool, f'{mail_id:012d}.eml')), why(mail_id)
    srv.start()
    assert wait_for_rows(srv, 'SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL', 0)
    assert srv.stop() == 0
    log_clean(srv)
    # Each mail delivered (at least once), whole; no temporary file left; nothing failed.
    assert sorted(int(os.path.basename(p)[:-4]) for p in glob.glob(os.path.join(spool, '*.eml'))
                  ) == sorted(mails), why()
    assert glob.glob(os.path.join(spool, '*.tmp')) == [], why()
    assert q(srv, 'SELECT count(*) FROM mail_outbox WHERE failed_at IS NOT NULL') == [(0,)]


def wait_for_rows(srv, sql, want, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if q(srv, sql)[0][0] == want:
            return True
        time.sleep(0.05)
    return False


def test_mailer_killed_while_sending_over_smtp_loses_no_mail(tmp_path):
    from test_smtp import Relay
    relay = Relay().start()
    srv = Server(str(tmp_path), transactions=0)
    smtp = ('--smtp', f'smtp://127.0.0.1:{relay.port}', '--smtp-from',
            'Guichet <guichet@example.com>')
    mails = outbox(srv, 120, 'smtp')
    rng = rng_for('smtp')
    try:
        for _ in range(KILLS_MAILER):
            kill_when(srv, lambda: len(relay.messages), rng, 60, *smtp)
        srv.start(*smtp)
        assert wait_for_rows(srv, 'SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL', 0)
        assert srv.stop() == 0
    finally:
        relay.stop()
    log_clean(srv)
    got = [whole(raw, mails) for _, _, raw in relay.messages]
    assert sorted(set(got)) == sorted(mails), why('a mail lost')
    assert q(srv, 'SELECT count(*) FROM mail_outbox WHERE failed_at IS NOT NULL') == [(0,)]
    print(f'test_crash: {len(got) - len(set(got))} deliveries of {len(mails)} mails were '
          f'again (at least once)')


# --- the jobs that write: search indexer, retention, HMAC key expiry ---------------------------

def execmany(srv, sql, rows):
    with contextlib.closing(connect(srv.db)) as db, db:
        db.executemany(sql, rows)


def spawn(srv, *extra):
    """Starts the server as Server.start does, without waiting for it to answer: a job that
    runs at start is under way before the server listens."""
    srv.log = open(srv.log_path, 'ab')
    srv.proc = subprocess.Popen(
        [GUICHETD, 'serve', '--db', srv.db, '--listen', f'127.0.0.1:{srv.port}', '--spool',
         os.path.join(srv.tmp, 'spool'), '--batch-time', 'off', *srv.pin(), *extra],
        stdout=srv.log, stderr=subprocess.STDOUT, env=srv.env)


def progress_kills(srv, progress, done, rng, lives, check, *extra):
    """Up to lives times, until done(): starts the server, kills it once progress() moved
    and a random few milliseconds more (a round committed, the next one under way), then
    check()s what the kill left. Returns how many kills came before the job was done."""
    early = 0
    for _ in range(lives):
        if done():
            break
        base = progress()
        spawn(srv, *extra)
        deadline = time.time() + 10
        while progress() == base and time.time() < deadline:
            assert srv.proc.poll() is None, srv.read_log()[-2000:]
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.004))
        kill(srv)
        check()
        early += not done()
    return early


@pytest.mark.skipif(PG, reason="the indexer job and its FTS5 tables are SQLite's own search "
                               "storage: PostgreSQL's trigram indexes are kept by PostgreSQL at "
                               'each write, with no job to kill')
def test_search_indexer_killed_mid_round_catches_up_exactly(tmp_path):
    """The indexer feeds the search's full-text tables 200 transactions a round, each round
    one transaction with its progress mark (search_state): killed between and within rounds,
    it goes on from its mark; no transaction is indexed twice or left out."""
    srv = Server(str(tmp_path), transactions=2400)
    for t in ('txn_ref', 'txn_amount_ref', 'txn_email_ref'):
        q(srv, f"INSERT INTO {t}({t}) VALUES ('delete-all')")
    q(srv, 'UPDATE search_state SET txn_ref_upto = 0')
    last = q(srv, 'SELECT max(id) FROM txn')[0][0]

    def upto():
        return q(srv, 'SELECT txn_ref_upto FROM search_state')[0][0]

    def consistent():
        mark = upto()
        # Each table holds exactly the transactions up to the mark (a full scan of a
        # contentless table gives each row it indexed; one indexed twice would count twice).
        assert q(srv, 'SELECT count(*) FROM txn_ref') == \
            q(srv, 'SELECT count(*) FROM txn WHERE id <= ?', (mark,)), why(mark)
        assert q(srv, 'SELECT count(*) FROM txn_amount_ref') == \
            q(srv, 'SELECT count(*) FROM txn WHERE id <= ?', (mark,)), why(mark)
        assert q(srv, 'SELECT count(*) FROM txn_email_ref') == \
            q(srv, "SELECT count(*) FROM txn WHERE id <= ? AND email <> ''", (mark,)), why(mark)
        for t in ('txn_ref', 'txn_amount_ref', 'txn_email_ref'):
            q(srv, f"INSERT INTO {t}({t}) VALUES ('integrity-check')")
        return mark

    early = progress_kills(srv, upto, lambda: upto() == last, rng_for('indexer'), 5,
                           consistent)
    assert early >= 1, why('every kill came after the catching up')
    srv.start()
    assert wait_for_rows(srv, 'SELECT count(*) FROM txn WHERE id > (SELECT txn_ref_upto FROM '
                              'search_state)', 0)
    assert srv.stop() == 0
    log_clean(srv)
    assert consistent() == q(srv, 'SELECT max(id) FROM txn')[0][0]
    # The index finds what it should: for a sample of order references, every transaction
    # whose reference holds it is among the rows of all its trigrams, each row once.
    for ref, in q(srv, 'SELECT order_ref FROM txn ORDER BY random() LIMIT 40'):
        grams = ' '.join('"' + ref[i:i + 3].replace('"', '""') + '"' for i in range(len(ref) - 2))
        got = [r[0] for r in q(srv, 'SELECT rowid FROM txn_ref WHERE txn_ref MATCH ?', (grams,))]
        want = {r[0] for r in q(srv, "SELECT id FROM txn WHERE instr(lower(order_ref), lower(?))",
                                (ref,))}
        assert len(got) == len(set(got)) and want <= set(got), why(ref)


def test_retention_killed_mid_round_purges_exactly(tmp_path):
    """The retention job deletes idempotency keys older than 24 h and error log entries older
    than 3 days, 1,000 a round, and erases the card data past the account's retention, 200
    a round: killed mid-way, each round is whole or not done, and the rerun finishes it,
    never touching what must stay."""
    srv = Server(str(tmp_path), transactions=2400)
    now = srv.now_us()
    day = 86400 * 10**6
    shop = q(srv, 'SELECT min(id) FROM shop')[0][0]
    answer = json.dumps({'id': str(q(srv, 'SELECT min(id) FROM txn')[0][0])})
    q(srv, 'UPDATE brand SET retention_days = 45')
    execmany(srv, f'INSERT INTO idempotency VALUES (1, {shop}, ?, ?, 201, ?, ?)',
             [(f'old-{i}', bytes(32), answer, now - 2 * day - i * 1000) for i in range(4000)] +
             [(f'new-{i}', bytes(32), answer, now - day // 2) for i in range(50)])
    execmany(srv, "INSERT INTO api_error(brand_id, shop_id, at, method, path, http_status, code) "
                  f"VALUES (1, {shop}, ?, 'POST', '/api/v1/payments', 401, 'bad_signature')",
             [(now - 4 * day - i * 1000,) for i in range(2500)] + [(now - day,)] * 50)
    cutoff = now - 45 * day
    carded = q(srv, 'SELECT count(*) FROM txn WHERE card_sealed IS NOT NULL AND created_at > ?',
               (cutoff + 60 * 10**6,))

    def left():
        return q(srv, "SELECT (SELECT count(*) FROM idempotency WHERE key LIKE 'old-%') + "
                      "(SELECT count(*) FROM api_error WHERE at < ?) + (SELECT count(*) FROM txn "
                      "WHERE card_sealed IS NOT NULL AND created_at <= ?)",
                 (now - 3 * day, cutoff))[0][0]

    def consistent():
        assert q(srv, "SELECT count(*) FROM idempotency WHERE key LIKE 'new-%'") == [(50,)], why()
        assert q(srv, 'SELECT count(*) FROM api_error WHERE at >= ?', (now - 3 * day,)) == \
            [(50,)], why()
        # A card is erased whole (sealed number and fingerprint), and only past the retention.
        assert q(srv, 'SELECT count(*) FROM txn WHERE (card_sealed IS NULL) <> '
                      '(card_fp IS NULL)') == [(0,)], why()
        assert q(srv, 'SELECT count(*) FROM txn WHERE card_sealed IS NOT NULL AND '
                      'created_at > ?', (cutoff + 60 * 10**6,)) == carded, why()

    before = left()
    early = progress_kills(srv, left, lambda: left() == 0, rng_for('retention'), 5,
                           consistent, '--retention-every', '1')
    assert early >= 1 and before > 0, why('every kill came after the purge')
    srv.start('--retention-every', '1')
    deadline = time.time() + 30
    while left() and time.time() < deadline:
        time.sleep(0.05)
    assert srv.stop() == 0
    log_clean(srv)
    assert left() == 0, why()
    consistent()
    check_store(srv)


def test_hmac_expiry_killed_mid_round_mails_each_key_once(tmp_path):
    """Each expired key's mails and its mark "mailed" are one transaction: killed at any
    moment of its start (the job's first round), the server mails each key's managers once."""
    srv = Server(str(tmp_path), transactions=0)
    now = srv.now_us()
    q(srv, "UPDATE hmac_key SET expires_at = ? WHERE status IN ('activated', 'used')",
      (now - 86400 * 10**6,))
    keys = q(srv, "SELECT k.id, s.name FROM hmac_key k JOIN shop s ON s.id = k.shop_id WHERE "
                  "k.status IN ('activated', 'used') AND s.env = 'production'")
    managers = q(srv, "SELECT count(*) FROM user WHERE profile IN ('admin', 'hmac') AND "
                      "email <> ''")[0][0]
    assert keys and managers

    def consistent():
        # A mail's body is wiped once it is delivered; its subject names the shop.
        for shop in {name for _, name in keys}:
            mails = q(srv, 'SELECT count(*) FROM mail_outbox WHERE subject = ?',
                      (f'Guichet : clé HMAC expirée / HMAC key expired ({shop})',))
            mailed = q(srv, 'SELECT count(*) FROM hmac_key k JOIN shop s ON s.id = k.shop_id '
                            "WHERE s.name = ? AND s.env = 'production' AND "
                            'k.expiry_mailed_at IS NOT NULL', (shop,))
            assert mails == [(managers * mailed[0][0],)], why((shop, mailed, mails))

    rng = rng_for('hmac')
    for _ in range(6):
        srv.start()
        time.sleep(rng.uniform(0, 0.01))
        kill(srv)
        consistent()
    srv.start()
    assert wait_for_rows(srv, "SELECT count(*) FROM hmac_key WHERE status IN ('activated', "
                              "'used') AND expiry_mailed_at IS NULL", 0)
    assert srv.stop() == 0
    log_clean(srv)
    consistent()
