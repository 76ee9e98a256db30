"""The merchant API through HTTP (SPEC §4, §16): signed payments in, decided, recorded; every
refused case answers clearly and records nothing."""
import datetime
import hashlib
import json
import threading
import time
import uuid

import pytest

from conftest import connect, data_tables, q, sign, wait_for


def count_txn(server):
    with connect(server.db) as db:
        return db.execute('SELECT count(*) FROM txn').fetchone()[0]


def count_idem(server):
    with connect(server.db) as db:
        return db.execute('SELECT count(*) FROM idempotency').fetchone()[0]


def bank_dates(server, deferral_days=None, shop=0):
    """The bank date of an auto capture, in the answer and in the details, and the Paris
    days the request ran between (a test running across midnight accepts either)."""
    extra = {} if deferral_days is None else {'deferral_days': deferral_days}
    first = datetime.date.fromisoformat(server.paris_day())
    r = server.pay(shop=shop, **extra)
    last = datetime.date.fromisoformat(server.paris_day())
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p['status'], p['acquirer_status']) == ('accepted', 'to_send')
    g = server.api('GET', f"/api/v1/payments/{p['id']}", shop=shop).json()
    assert g['bank_date'] == p['bank_date']
    return datetime.date.fromisoformat(p['bank_date']), first, last


@pytest.mark.parametrize('shop,deferral_days,days', [
    (0, None, 0),   # demo shop 001: its contracts defer 0 days
    (1, None, 2),   # demo shop 002: 2 days
    (1, 0, 0),      # the payment's own deferral wins, 0 included
    (0, 5, 5),
    (1, 30, 30),
])
def test_bank_date_of_an_auto_capture(server, shop, deferral_days, days):
    """SPEC §4: sent to the bank after the contract's deferral days, or the payment's own."""
    bank, first, last = bank_dates(server, deferral_days, shop)
    assert bank in (first + datetime.timedelta(days=days), last + datetime.timedelta(days=days))


def test_accepted_visa_and_mastercard(server):
    for card, method in (('4111111111111111', 'VISA'), ('5555555555554444', 'MASTERCARD')):
        r = server.pay(card=card)
        assert r.status_code == 201, r.text
        p = r.json()
        assert p['status'] == 'accepted'
        assert p['acquirer_status'] == 'to_send'
        assert p['refusal_reason'] is None
        assert p['type'] == 'debit'
        assert p['amount_initial'] == p['amount_current'] == 1234
        assert p['card']['masked'] == card[:6] + '*' * 6 + card[-4:]
        assert p['payment_method'] in (method, 'CB')
        assert p['authorization_number'] and len(p['authorization_number']) == 6
        assert p['bank_date'] is not None
        assert 'cvv' not in r.text and card not in r.text


def test_response_is_signed_with_the_shop_key(server):
    r = server.pay()
    assert r.headers['X-Guichet-Signature'] == sign(server.shop()['hmac_key'], r.content)


def test_refused_card_is_recorded_with_its_reason(server):
    r = server.pay(card='4000000000000002')
    assert r.status_code == 201
    p = r.json()
    assert p['status'] == 'refused'
    assert p['acquirer_status'] == 'na'
    assert p['refusal_reason'] == 'acquirer_refused'
    g = server.api('GET', f"/api/v1/payments/{p['id']}")
    assert g.status_code == 200
    assert g.json()['refusal_reason'] == 'acquirer_refused'


@pytest.mark.parametrize('card,reason', [
    ('4000000000009995', 'insufficient_funds'),
    ('4000000000000069', 'card_expired'),
    ('4000000000003063', '3ds_failed'),
])
def test_simulator_refusals(server, card, reason):
    p = server.pay(card=card).json()
    assert (p['status'], p['refusal_reason']) == ('refused', reason)


@pytest.mark.parametrize('card,auth,guaranteed', [
    ('4000000000003220', 'Y', 'yes'),
    ('4000000000003071', 'A', 'yes'),
    ('4000000000003089', 'U', 'no'),
])
def test_three_d_secure_outcomes(server, card, auth, guaranteed):
    p = server.pay(card=card).json()
    assert p['status'] == 'accepted'
    assert p['three_d_secure'] == {'payment': 'yes', 'authenticated': auth,
                                   'guaranteed': guaranteed}


def test_amex_is_outside_three_d_secure(server):
    p = server.pay(card='378282246310005').json()
    assert p['status'] == 'accepted'
    assert p['payment_method'] == 'AMEX'
    assert p['three_d_secure']['guaranteed'] == 'na'


def test_expired_card_by_date_is_refused(server):
    body_card = {'number': '4111111111111111', 'expiry': '0120', 'cvv': '123'}
    r = server.api('POST', '/api/v1/payments', {'amount': 100, 'currency': 'EUR',
                                                'order_ref': 'EXP-1', 'card': body_card})
    assert r.status_code == 201
    assert r.json()['refusal_reason'] == 'card_expired'


@pytest.mark.parametrize('amount,status,reason', [
    (99, 'refused', 'amount_out_of_range'),     # demo CB/VISA contracts: 1.00 .. 5000.00 EUR
    (100, 'accepted', None),
    (500000, 'accepted', None),
    (500001, 'refused', 'amount_out_of_range'),
])
def test_contract_min_max(server, amount, status, reason):
    p = server.pay(amount=amount).json()
    assert (p['status'], p['refusal_reason']) == (status, reason)


def test_currency_not_accepted_by_contract(server):
    p = server.pay(currency='USD').json()
    assert (p['status'], p['refusal_reason']) == ('refused', 'currency_not_accepted')


def test_manual_capture_then_capture_once(server):
    p = server.pay(amount=5000, capture='manual').json()
    assert p['acquirer_status'] == 'awaiting_capture'
    assert p['bank_date'] is None
    path = f"/api/v1/payments/{p['id']}/capture"
    r = server.api('POST', path, {'amount': 5001})
    assert r.status_code == 422 and r.json()['error'] == 'amount_too_high'
    r = server.api('POST', path, {'amount': 4000})
    assert r.status_code == 200, r.text
    c = r.json()
    assert c['acquirer_status'] == 'to_send'
    assert (c['amount_initial'], c['amount_current']) == (5000, 4000)
    r = server.api('POST', path, {'amount': 100})
    assert r.status_code == 409 and r.json()['error'] == 'wrong_state'
    hist = server.api('GET', f"/api/v1/payments/{p['id']}").json()['history']
    assert [h['action'] for h in hist] == ['authorization', 'capture']


def test_capture_without_amount_takes_everything(server):
    p = server.pay(amount=777, capture='manual').json()
    r = server.api('POST', f"/api/v1/payments/{p['id']}/capture")
    assert r.status_code == 200
    assert r.json()['amount_current'] == 777


def test_cancel_to_send_then_not_again(server):
    p = server.pay().json()
    path = f"/api/v1/payments/{p['id']}/cancel"
    r = server.api('POST', path, {})
    assert r.status_code == 200, r.text
    assert r.json()['type'] == 'cancellation'
    assert r.json()['amount_current'] == 0
    r = server.api('POST', path, {})
    assert r.status_code == 409


def test_refund_needs_a_sent_payment(server):
    p = server.pay().json()
    r = server.api('POST', f"/api/v1/payments/{p['id']}/refund", {'amount': 100})
    assert r.status_code == 409 and r.json()['error'] == 'wrong_state'


def test_cancel_refused_payment_conflicts(server):
    p = server.pay(card='4000000000000002').json()
    r = server.api('POST', f"/api/v1/payments/{p['id']}/cancel")
    assert r.status_code == 409 and r.json()['error'] == 'not_accepted'


def test_concurrent_operations_exactly_one_wins(server):
    p = server.pay(amount=3000, capture='manual').json()
    path = f"/api/v1/payments/{p['id']}/capture"
    results = []

    def capture():
        results.append(server.api('POST', path, {'amount': 3000}).status_code)

    threads = [threading.Thread(target=capture) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * 7
    hist = server.api('GET', f"/api/v1/payments/{p['id']}").json()['history']
    assert [h['action'] for h in hist].count('capture') == 1


def test_idempotent_replay_returns_the_first_answer(server):
    key = 'order-' + uuid.uuid4().hex
    body = {'amount': 4321, 'currency': 'EUR', 'order_ref': 'IDEM-1',
            'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'}}
    before = count_txn(server)
    a = server.api('POST', '/api/v1/payments', body, headers={'Idempotency-Key': key})
    b = server.api('POST', '/api/v1/payments', body, headers={'Idempotency-Key': key})
    assert a.status_code == b.status_code == 201
    assert a.json() == b.json()
    assert count_txn(server) == before + 1
    body['amount'] = 4322
    c = server.api('POST', '/api/v1/payments', body, headers={'Idempotency-Key': key})
    assert c.status_code == 409 and c.json()['error'] == 'idempotency_conflict'
    assert count_txn(server) == before + 1


def test_idempotency_key_is_scoped_to_the_shop(server):
    key = 'shared-' + uuid.uuid4().hex
    a = server.pay(shop=0, headers={'Idempotency-Key': key})
    b = server.pay(shop=1, headers={'Idempotency-Key': key})
    assert a.status_code == b.status_code == 201
    assert a.json()['id'] != b.json()['id']


def test_concurrent_replays_pay_once(server):
    key = 'race-' + uuid.uuid4().hex
    body = {'amount': 1500, 'currency': 'EUR', 'order_ref': 'RACE',
            'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'}}
    before = count_txn(server)
    answers = []

    def post():
        answers.append(server.api('POST', '/api/v1/payments', body,
                                  headers={'Idempotency-Key': key}))

    threads = [threading.Thread(target=post) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count_txn(server) == before + 1
    ok = [a for a in answers if a.status_code == 201]
    assert ok and all(a.json()['id'] == ok[0].json()['id'] for a in ok)
    assert all(a.status_code in (201, 409) for a in answers)


def test_idempotency_digest_is_keyed(server):
    """Regression: the idempotency record held an unkeyed BLAKE2b of the request, whose body
    carries the card number and CVV; with the answer stored beside it (masked number, expiry,
    amount), both could be found again by trying the few numbers and CVVs that fit. The
    digest is now keyed with a subkey of the data key, kept outside the database."""
    key = 'keyed-' + uuid.uuid4().hex
    card = '5555555555554444'
    data = json.dumps({'amount': 4242, 'currency': 'EUR', 'order_ref': 'KEYED-1',
                       'card': {'number': card, 'expiry': '1230', 'cvv': '737'}}).encode()
    r = server.api('POST', '/api/v1/payments', raw=data, headers={'Idempotency-Key': key})
    assert r.status_code == 201, r.text
    with connect(server.db) as db:
        (digest,) = db.execute('SELECT request_digest FROM idempotency WHERE key = ?',
                               (key,)).fetchone()
    message = b'POST /api/v1/payments\n' + data
    unkeyed = [hashlib.blake2b(message, digest_size=32).digest(),
               hashlib.blake2b(data, digest_size=32).digest(),
               hashlib.sha256(message).digest(), hashlib.sha256(data).digest()]
    # Nor a plain hash of the card number anywhere (fingerprints are keyed too).
    unkeyed += [hashlib.blake2b(card.encode(), digest_size=32).digest(),
                hashlib.sha256(card.encode()).digest()]
    assert len(digest) == 32 and digest not in unkeyed
    raw = b''
    for name in (server.db, server.db + '-wal'):
        try:
            with open(name, 'rb') as f:
                raw += f.read()
        except FileNotFoundError:
            pass
    assert [h.hex() for h in unkeyed if h in raw] == []
    # The keyed digest still tells a replay from another request.
    again = server.api('POST', '/api/v1/payments', raw=data, headers={'Idempotency-Key': key})
    assert (again.status_code, again.json()) == (201, r.json())
    other = server.api('POST', '/api/v1/payments', raw=data.replace(b'737', b'738'),
                       headers={'Idempotency-Key': key})
    assert other.status_code == 409 and other.json()['error'] == 'idempotency_conflict'


def test_validation_failures_are_not_remembered(server):
    key = 'bad-' + uuid.uuid4().hex
    before = count_idem(server)
    r = server.api('POST', '/api/v1/payments', {'amount': 'ten'},
                   headers={'Idempotency-Key': key})
    assert r.status_code == 400
    assert count_idem(server) == before
    r = server.pay(headers={'Idempotency-Key': key})
    assert r.status_code == 201


def test_bad_idempotency_key(server):
    for key in ('x' * 256, 'with space'):
        r = assert_nothing_recorded(server, lambda: server.pay(headers={'Idempotency-Key': key}))
        assert r.status_code == 400 and r.json()['error'] == 'bad_idempotency_key'


# -- refused requests record nothing ---------------------------------------------------------



def row_counts(server):
    """Rows of every table but SQLite's own, the search's FTS5 indexes and their shadow
    tables (fed by the indexer job on its own time). PostgreSQL has no such tables (its
    search is trigram indexes on the tables themselves): every table of the schema counts."""
    with connect(server.db) as db:
        return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]
                for n in data_tables(db) if not n.startswith('sqlite_')}


def writer_barrier(server):
    """Waits until every write queued so far is committed: the writer runs its queue in
    order, so the answer of a later job through it (a cancel of no payment: 404, nothing
    written) comes after that commit."""
    r = server.api('POST', '/api/v1/payments/999999999999/cancel')
    assert r.status_code == 404, r.text


def error_log_total(server):
    """The refusals the error log counts (a row counts the same refusal in a minute)."""
    return q(server, 'SELECT coalesce(sum(count), 0) FROM api_error')[0][0]


def error_log_settled(server):
    """The error log's total once the refusals gathered in memory are written (once a
    second, README "The merchant API"): the same for more than a second."""
    total = error_log_total(server)
    while True:
        time.sleep(1.2)
        now = error_log_total(server)
        if now == total:
            return total
        total = now


def assert_nothing_recorded(server, fn, error_log=None):
    """fn's request is refused and changes no table; the error log (api_error) is only
    checked when error_log says how many refusals it counts (SPEC §4, §14: one for each
    refusal of a known shop, a missing or wrong signature as much as a bad field)."""
    writer_barrier(server)
    logged = error_log_settled(server) if error_log is not None else 0
    before = row_counts(server)
    r = fn()
    writer_barrier(server)
    if error_log is not None:
        # The second barrier's own refusal (404) is counted too. A loaded machine's writer
        # may take longer than error_log_settled's pause to write them: waited for first.
        want = logged + error_log + 1
        wait_for(lambda: error_log_total(server) >= want, 15)
        assert error_log_settled(server) == want
    after = row_counts(server)
    assert before.keys() == after.keys() and 'txn' in before and 'idempotency' in before
    changed = {t: (before[t], after[t]) for t in before
               if t != 'api_error' and before[t] != after[t]}
    assert changed == {}, 'rows added or removed by a refused request'
    body = r.json()
    assert set(body) >= {'error', 'message'} and body['message']
    return r


VALID = {'amount': 1000, 'currency': 'EUR', 'order_ref': 'V-1',
         'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'}}


def with_(**changes):
    b = json.loads(json.dumps(VALID))
    for k, v in changes.items():
        if v is None:
            b.pop(k, None)
        else:
            b[k] = v
    return b


@pytest.mark.parametrize('body,field', [
    (with_(amount='1000'), 'amount'),
    (with_(amount=10.5), 'amount'),
    (with_(amount=0), 'amount'),
    (with_(amount=-5), 'amount'),
    (with_(amount=100000000000), 'amount'),
    (with_(amount=None), 'amount'),
    (with_(currency='eur'), 'currency'),
    (with_(currency='XXX'), 'currency'),
    (with_(currency=978), 'currency'),
    (with_(order_ref=''), 'order_ref'),
    (with_(order_ref='x' * 251), 'order_ref'),
    (with_(order_ref='a\nb'), 'order_ref'),
    (with_(order_ref=None), 'order_ref'),
    (with_(card={'number': '4111111111111112', 'expiry': '1230', 'cvv': '123'}), 'card.number'),
    (with_(card={'number': '41111111', 'expiry': '1230', 'cvv': '123'}), 'card.number'),
    (with_(card={'number': 4111111111111111, 'expiry': '1230', 'cvv': '123'}), 'card.number'),
    (with_(card={'number': '4111111111111111', 'expiry': '1330', 'cvv': '123'}), 'card.expiry'),
    (with_(card={'number': '4111111111111111', 'expiry': '1230', 'cvv': '12'}), 'card.cvv'),
    (with_(card={'number': '4111111111111111', 'expiry': '1230'}), 'card.cvv'),
    (with_(card='4111111111111111'), 'card'),
    (with_(card=None), 'card'),
    (with_(email='not-an-email'), 'email'),
    (with_(capture='later'), 'capture'),
    (with_(customer_country='fra'), 'customer_country'),
    (with_(deferral_days=31), 'deferral_days'),
    (with_(surprise=1), 'surprise'),
])
def test_invalid_fields(server, body, field):
    r = assert_nothing_recorded(server, lambda: server.api('POST', '/api/v1/payments', body))
    assert r.status_code == 400
    assert r.json()['error'] == 'invalid_field' and r.json()['field'] == field
    assert '4111111111111111' not in r.text


@pytest.mark.parametrize('raw', [b'{', b'[]', b'"x"', b'{"amount":1,"amount":2}', b'\xff\xfe',
                                 b'{"order_ref":"%\' OR 1=1 --"}', b''])
def test_malformed_json(server, raw):
    r = assert_nothing_recorded(server, lambda: server.api('POST', '/api/v1/payments', raw=raw))
    assert r.status_code == 400


def test_oversized_body(server):
    big = json.dumps(with_(order_ref='x' * 20000)).encode()
    r = assert_nothing_recorded(server, lambda: server.api('POST', '/api/v1/payments', raw=big))
    assert r.status_code == 413


def test_unknown_shop(server):
    fake = {'site': '0000000', 'rang': '999', 'hmac_key': server.shop()['hmac_key']}
    r = assert_nothing_recorded(server, lambda: server.api('POST', '/api/v1/payments', VALID,
                                                           shop=fake), error_log=0)
    assert r.status_code == 401 and r.json()['error'] == 'unknown_shop'


def test_wrong_signature(server):
    r = assert_nothing_recorded(server, lambda: server.api('POST', '/api/v1/payments', VALID,
                                                           signature='00' * 64), error_log=1)
    assert r.status_code == 401 and r.json()['error'] == 'bad_signature'
    assert 'X-Guichet-Signature' not in r.headers


def test_another_shops_key(server):
    other = server.shop(1)['hmac_key']
    r = assert_nothing_recorded(server, lambda: server.api('POST', '/api/v1/payments', VALID,
                                                           key=other), error_log=1)
    assert r.status_code == 401


@pytest.mark.parametrize('sig', ['', 'zz' * 64, 'ab', '00' * 65])
def test_malformed_signature(server, sig):
    r = assert_nothing_recorded(server, lambda: server.api(
        'POST', '/api/v1/payments', VALID, signature=sig), error_log=1)
    assert r.status_code == 401


@pytest.mark.parametrize('header,error_log', [
    ('X-Guichet-Signature', 1),     # the shop is known: its error log has it
    ('X-Guichet-Site', 0), ('X-Guichet-Rang', 0),
])
def test_missing_authentication_header(server, header, error_log):
    r = assert_nothing_recorded(server, lambda: server.api(
        'POST', '/api/v1/payments', VALID, headers={header: None}), error_log=error_log)
    assert r.status_code == 401 and r.json()['error'] == 'missing_signature'


@pytest.mark.parametrize('op,body,field', [
    ('capture', {'amount': 'all'}, 'amount'),
    ('capture', {'amount': 0}, 'amount'),
    ('refund', {'amount': 1.5}, 'amount'),
    ('cancel', {'amount': 100}, 'amount'),
    ('capture', {'amount': 100, 'why': 'x'}, 'why'),
])
def test_invalid_operation_bodies(server, op, body, field):
    p = server.pay(capture='manual').json()
    r = assert_nothing_recorded(server, lambda: server.api(
        'POST', f"/api/v1/payments/{p['id']}/{op}", body))
    assert r.status_code == 400 and r.json().get('field') == field, r.text


def test_signature_is_case_insensitive_hex(server):
    data = json.dumps(with_(order_ref='UPPER')).encode()
    r = server.api('POST', '/api/v1/payments', raw=data,
                   signature=sign(server.shop()['hmac_key'], data).upper())
    assert r.status_code == 201


def test_refused_requests_reach_the_error_log(server):
    server.api('POST', '/api/v1/payments', VALID, signature='00' * 64)
    assert wait_for(lambda: ('bad_signature',) in q(server, 'SELECT code FROM api_error'))


def test_get_of_another_shop_or_brand_is_404(server):
    p = server.pay(shop=0).json()
    assert server.api('GET', f"/api/v1/payments/{p['id']}", shop=1).status_code == 404
    assert server.api('GET', '/api/v1/payments/999999999').status_code == 404
    r = server.api('POST', f"/api/v1/payments/{p['id']}/cancel", shop=1)
    assert r.status_code == 404
    assert server.api('GET', f"/api/v1/payments/{p['id']}").json()['type'] == 'debit'


def test_signed_operation_cannot_be_replayed_on_another_payment(server):
    a = server.pay().json()
    b = server.pay().json()
    sig = sign(server.shop()['hmac_key'], f"POST /api/v1/payments/{a['id']}/cancel\n".encode())
    r = server.api('POST', f"/api/v1/payments/{b['id']}/cancel", signature=sig)
    assert r.status_code == 401


def test_unknown_route_and_method(server):
    r = server.api('GET', '/api/v1/nothing')
    assert r.status_code == 404 and r.json()['error'] == 'not_found'
    r = server.api('DELETE', '/api/v1/payments')
    assert r.status_code == 405 and r.json()['error'] == 'method_not_allowed'
    assert server.api('GET', '/api/v1/payments/abc').status_code == 404


def test_no_card_number_in_any_answer_or_database(server):
    p = server.pay(card='5555555555554444').json()
    g = server.api('GET', f"/api/v1/payments/{p['id']}")
    assert '5555555555554444' not in g.text
    with connect(server.db) as db:
        row = db.execute('SELECT card_masked, length(card_sealed), length(card_fp) FROM txn '
                         'WHERE id = ?', (int(p['id']),)).fetchone()
    assert row[0] == '555555******4444'
    assert row[1] == 16 + 40 and row[2] == 32


def test_answers_keep_the_connection_alive(server):
    """Regression: h2o 2.2 closed the connection after every answer but 200 when the answer
    had no Content-Length, so each payment (201) cost a new TCP connection."""
    for r in (server.pay(), server.api('GET', '/api/v1/nothing'),
              server.api('POST', '/api/v1/payments', raw=b'{')):
        assert r.headers['Connection'] == 'keep-alive'
        assert int(r.headers['Content-Length']) == len(r.content)
