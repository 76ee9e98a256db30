"""The hosted payment page (issue 12): a merchant's signed request (POST /pay) gives the buyer
the card form; the card (POST /pay/card) is decided like the merchant API's payments, with
origin "hosted_page", and the buyer goes back to the accepted or refused URL with a result the
merchant verifies; cancel goes back signed too. Bad input of every kind: the buyer's error
page in their language, an entry in the shop's API error log, nothing recorded. A replayed
request pays nothing more. The card never reaches the log, the URL or the database in clear."""
import hashlib
import hmac
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from conftest import Server, q, secrets_in, wait_for

SHOP_URL = 'https://shop.example/return'


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp('hosted')), transactions=0).start(
        '--retention-every', '1')
    yield s
    rc = s.stop()
    log = s.read_log()
    assert rc == 0, log
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    keys = [x['hmac_key'] for x in s.demo['shops']]
    assert secrets_in(log, keys + ['4000000000000002']) == [], 'a secret reached the log'


def signature(key_hex, fields):
    """What GCH_SIGNATURE signs: every other GCH_ field, name=value (decoded), in order."""
    msg = '&'.join(f'{k}={v}' for k, v in fields if k.startswith('GCH_') and k != 'GCH_SIGNATURE')
    return hmac.new(bytes.fromhex(key_hex), msg.encode(), hashlib.sha512).hexdigest()


def request_fields(srv, shop=0, **over):
    s = srv.shop(shop)
    f = {'GCH_SITE': s['site'], 'GCH_RANG': s['rang'], 'GCH_AMOUNT': '2500',
         'GCH_CURRENCY': 'EUR', 'GCH_ORDER_REF': 'H-' + uuid.uuid4().hex[:10],
         'GCH_EMAIL': 'buyer@example.com', 'GCH_LANG': 'en',
         'GCH_URL_ACCEPTED': SHOP_URL + '?r=ok', 'GCH_URL_REFUSED': SHOP_URL + '?r=ko',
         'GCH_URL_CANCELLED': SHOP_URL + '?r=cancel', 'GCH_TIME': str(int(srv.now()))}
    f.update(over)
    fields = [(k, v) for k, v in f.items() if v is not None]
    return fields + [('GCH_SIGNATURE', signature(s['hmac_key'], fields))]


class Hidden(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hidden, self.inputs = [], {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'input' and a.get('type') == 'hidden':
            self.hidden.append((a['name'], a['value']))
        elif tag == 'input':
            self.inputs[a['id']] = a


def start(srv, fields):
    return requests.post(srv.base + '/pay', data=fields, timeout=30, allow_redirects=False)


def card_post(srv, page, number='4111111111111111', expiry='12/30', cvv='123', action='pay'):
    p = Hidden()
    p.feed(page)
    data = p.hidden + [('card_name', 'A Buyer'), ('card_number', number),
                       ('card_expiry', expiry), ('card_cvv', cvv), ('action', action)]
    return requests.post(srv.base + '/pay/card', data=data, timeout=30, allow_redirects=False)


def verify_return(srv, location, shop=0):
    """The merchant's check of the return: its signature over the other fields, in order."""
    u = urlsplit(location)
    fields = [(k, v) for k, v in parse_qsl(u.query, keep_blank_values=True) if k.startswith('GCH_')]
    sig = dict(fields)['GCH_SIGNATURE']
    assert hmac.compare_digest(sig, signature(srv.shop(shop)['hmac_key'], fields))
    return dict(fields)


STATUS = {0: 'accepted', 1: 'refused'}  # txn.status as stored (domain/txn.h)


def payments(srv, order_ref):
    return [(STATUS.get(st, st), origin, amount) for st, origin, amount in
            q(srv, 'SELECT status, origin, amount_initial FROM txn WHERE order_ref = ?',
              (order_ref,))]


def test_page_is_accessible_and_strict(srv):
    r = start(srv, request_fields(srv))
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'].startswith('text/html')
    # No script at all; its forms may lead (the 303 after them) to the merchant's origin only.
    csp = r.headers['Content-Security-Policy']
    assert csp.count('content-security-policy') == 0 and ',' not in csp
    assert "default-src 'none'" in csp and 'script-src' not in csp
    assert "form-action 'self' https://shop.example https://shop.example https://shop.example" \
        in csp
    assert r.headers['X-Frame-Options'] == 'DENY'
    assert r.headers['Cache-Control'] == 'no-store'
    p = Hidden()
    p.feed(r.text)
    assert p.inputs['cc-number']['autocomplete'] == 'cc-number'
    assert p.inputs['cc-exp']['autocomplete'] == 'cc-exp'
    assert p.inputs['cc-csc']['autocomplete'] == 'cc-csc'
    assert p.inputs['cc-name']['autocomplete'] == 'cc-name'
    for i in ('cc-number', 'cc-exp', 'cc-csc', 'cc-name'):
        assert f'<label for="{i}">' in r.text
    assert 'lang="en"' in r.text and 'Card number' in r.text and '25.00' in r.text
    assert '<script' not in r.text and 'style=' not in r.text
    fr = start(srv, request_fields(srv, GCH_LANG='fr'))
    assert 'lang="fr"' in fr.text and 'Numéro de carte' in fr.text and '25,00 EUR' in fr.text
    css = requests.get(srv.base + '/assets/pay.css', timeout=30)
    assert css.status_code == 200 and 'max-width' in css.text


def test_accepted_returns_signed_and_records_origin(srv):
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    page = start(srv, fields)
    r = card_post(srv, page.text)
    assert r.status_code == 303, r.text
    loc = r.headers['Location']
    assert loc.startswith(SHOP_URL + '?r=ok&')
    assert '4111' not in loc and 'card' not in loc
    res = verify_return(srv, loc)
    assert res['GCH_STATUS'] == 'accepted' and res['GCH_ORDER_REF'] == ref
    assert res['GCH_AMOUNT'] == '2500' and res['GCH_CURRENCY'] == 'EUR'
    assert payments(srv, ref) == [('accepted', 1, 2500)]
    # The merchant API and the back office show where it came from.
    got = srv.api('GET', f'/api/v1/payments/{res["GCH_ID"]}')
    assert got.status_code == 200 and got.json()['origin'] == 'hosted_page'
    # The card is kept masked only.
    masked = q(srv, 'SELECT card_masked FROM txn WHERE order_ref = ?', (ref,))[0][0]
    assert '4111111111111111' not in masked


def test_refused_goes_to_refused_url(srv):
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    r = card_post(srv, start(srv, fields).text, number='4000000000000002')
    assert r.status_code == 303
    assert r.headers['Location'].startswith(SHOP_URL + '?r=ko&')
    res = verify_return(srv, r.headers['Location'])
    assert res['GCH_STATUS'] == 'refused' and res['GCH_REFUSAL'] != ''
    assert payments(srv, ref) == [('refused', 1, 2500)]


def test_cancel_returns_signed_and_records_nothing(srv):
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    r = card_post(srv, start(srv, fields).text, number='', expiry='', cvv='', action='cancel')
    assert r.status_code == 303
    res = verify_return(srv, r.headers['Location'])
    assert r.headers['Location'].startswith(SHOP_URL + '?r=cancel&')
    assert res == {'GCH_ORDER_REF': ref, 'GCH_STATUS': 'cancelled',
                   'GCH_SIGNATURE': res['GCH_SIGNATURE']}
    assert payments(srv, ref) == []


def test_replay_pays_once(srv):
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    page = start(srv, fields).text
    assert card_post(srv, page).status_code == 303
    again = card_post(srv, page)
    assert again.status_code == 409 and 'not valid' in again.text
    assert payments(srv, ref) == [('accepted', 1, 2500)]


def api_errors(srv, code):
    return q(srv, 'SELECT coalesce(sum(count), 0) FROM api_error WHERE code = ?', (code,))[0][0]


BAD = [
    ('bad_signature', lambda srv: [(k, v if k != 'GCH_SIGNATURE' else 'ab' * 64)
                                   for k, v in request_fields(srv)]),
    ('bad_signature', lambda srv: [(k, v if k != 'GCH_AMOUNT' else '1')
                                   for k, v in request_fields(srv)]),
    ('duplicate_field', lambda srv: request_fields(srv) + [('GCH_AMOUNT', '1')]),
    ('invalid_field', lambda srv: request_fields(srv, GCH_AMOUNT='0')),
    ('invalid_field', lambda srv: request_fields(srv, GCH_AMOUNT='25.00')),
    ('invalid_field', lambda srv: request_fields(srv, GCH_CURRENCY='XYZ')),
    ('invalid_field', lambda srv: request_fields(srv, GCH_TIME=str(int(srv.now()) - 86400))),
    ('invalid_field', lambda srv: request_fields(srv, GCH_URL_ACCEPTED='javascript:alert(1)')),
    ('invalid_field', lambda srv: request_fields(srv, GCH_URL_REFUSED='ftp://shop.example/')),
    ('invalid_field', lambda srv: request_fields(srv, GCH_URL_ACCEPTED="https://a;script-src'")),
    ('invalid_field', lambda srv: request_fields(srv, GCH_URL_ACCEPTED='https:///x')),
    ('invalid_field', lambda srv: request_fields(srv, GCH_EMAIL='not an address')),
    ('invalid_field', lambda srv: request_fields(srv, GCH_LANG='de')),
    ('missing_field', lambda srv: request_fields(srv, GCH_URL_CANCELLED=None)),
]


def refused_at_both_steps(srv, fields, first_path, prefix):
    """A bad request sent to its first step and, with a card, to the card's: an error page
    each time, in the buyer's language, naming nothing of the request; nothing recorded."""
    count = q(srv, 'SELECT count(*) FROM txn')[0][0]
    for path in (first_path, '/pay/card'):
        r = requests.post(srv.base + path, data=fields + [('card_number', '4111111111111111'),
                                                          ('card_expiry', '1230'),
                                                          ('card_cvv', '123')],
                          timeout=30, allow_redirects=False)
        assert r.status_code in (400, 401), r.text
        assert r.headers['Content-Type'].startswith('text/html')
        assert ('Payment not possible' in r.text) or ('Paiement impossible' in r.text)
        assert '4111' not in r.text and prefix not in r.text
    assert q(srv, 'SELECT count(*) FROM txn')[0][0] == count


@pytest.mark.parametrize('code,make', BAD)
def test_bad_request_error_page_logged_nothing_recorded(srv, code, make):
    fields = make(srv)
    before = api_errors(srv, code)
    refused_at_both_steps(srv, fields, '/pay', 'GCH_')
    assert wait_for(lambda: api_errors(srv, code) >= before + 2)


def test_unknown_shop_and_bad_form(srv):
    fields = [(k, v if k != 'GCH_SITE' else '0000000') for k, v in request_fields(srv)]
    r = start(srv, fields)
    assert r.status_code == 400 and 'Paiement impossible' not in r.text  # GCH_LANG=en
    r = requests.post(srv.base + '/pay', data=b'GCH_SITE=%zz', timeout=30,
                      headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert r.status_code == 400 and 'Paiement impossible' in r.text


def test_the_buyer_picks_the_brand_of_a_co_badged_card(srv):
    """A CB card is a Visa or Mastercard too: the buyer picks (the number's own network by
    default), the choice kept through the 3-D Secure challenge; a brand the card is not is the
    form again."""
    method = {1: 'CB', 2: 'VISA', 3: 'MASTERCARD'}  # enum card_method as stored (domain/card.h)

    def paid(fields, **kw):
        ref = dict(fields)['GCH_ORDER_REF']
        return [method.get(m, m) for m, in q(srv, 'SELECT method FROM txn WHERE order_ref = ?',
                                             (ref,))]

    page = start(srv, request_fields(srv)).text
    assert '<select id="cc-brand" name="card_method">' in page
    assert '<label for="cc-brand">Card brand</label>' in page
    for brand, want in (('', 'VISA'), ('CB', 'CB')):
        fields = request_fields(srv)
        p = Hidden()
        p.feed(start(srv, fields).text)
        r = requests.post(srv.base + '/pay/card', data=p.hidden + [
            ('card_number', '4111111111111111'), ('card_expiry', '12/30'), ('card_cvv', '123'),
            ('card_method', brand), ('action', 'pay')], timeout=30, allow_redirects=False)
        assert r.status_code == 303, r.text
        assert paid(fields) == [want]
    fields = request_fields(srv)
    p = Hidden()
    p.feed(start(srv, fields).text)
    r = requests.post(srv.base + '/pay/card', data=p.hidden + [
        ('card_number', '4111111111111111'), ('card_expiry', '12/30'), ('card_cvv', '123'),
        ('card_method', 'AMEX'), ('action', 'pay')], timeout=30, allow_redirects=False)
    assert r.status_code == 422 and 'role="alert"' in r.text and paid(fields) == []
    # Through the challenge: CB picked for a 3-D Secure test card, still CB at the decision.
    fields = request_fields(srv)
    p = Hidden()
    p.feed(start(srv, fields).text)
    r = requests.post(srv.base + '/pay/card', data=p.hidden + [
        ('card_number', '4000000000003220'), ('card_expiry', '12/30'), ('card_cvv', '123'),
        ('card_method', 'CB'), ('action', 'pay')], timeout=30, allow_redirects=False)
    assert r.status_code == 200 and 'tds-code' in r.text
    p = Hidden()
    p.feed(r.text)
    assert ('card_method', 'CB') in p.hidden
    r = requests.post(srv.base + '/pay/3ds', data=p.hidden + [('code', '1234'),
                                                              ('action', 'confirm')],
                      timeout=30, allow_redirects=False)
    assert r.status_code == 303 and paid(fields) == ['CB']


def test_bad_card_recorded_nothing(srv):
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    page = start(srv, fields).text
    for number, expiry, cvv in (('4111111111111112', '12/30', '123'),
                                ('4111111111111111', '13/30', '123'),
                                ('4111111111111111', '12/30', '12')):
        r = card_post(srv, page, number=number, expiry=expiry, cvv=cvv)
        # The form again, saying what is wrong, the request carried along to correct it.
        assert r.status_code == 422 and 'role="alert"' in r.text, r.text
        assert 'The card number, expiry date or security code is not valid' in r.text
        assert 'aria-invalid="true"' in r.text and number not in r.text
        assert 'name="GCH_SIGNATURE"' in r.text
    assert payments(srv, ref) == []
    # The request was not spent by the bad cards: a good one still pays.
    assert card_post(srv, page).status_code == 303
    assert payments(srv, ref) == [('accepted', 1, 2500)]


def test_back_office_origin_column_filter_details(srv):
    from test_signin import ready_user
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    res = verify_return(srv, card_post(srv, start(srv, fields).text).headers['Location'])
    api_id = srv.pay().json()['id']
    s, csrf = ready_user(srv, 'demo.consultation')
    wide = 'from=2020-01-01&to=2099-12-31'

    def ids(query):
        r = s.get(srv.base + '/bo/api/transactions?' + wide + query, timeout=30)
        assert r.status_code == 200, r.text
        return {i['id'] for i in r.json()['items']}

    hosted = ids('&origin=hosted_page')
    assert res['GCH_ID'] in hosted and api_id not in hosted
    assert api_id in ids('&origin=api') and res['GCH_ID'] not in ids('&origin=api')
    assert ids('&origin=paybox_direct') == set()
    bad = s.get(srv.base + '/bo/api/transactions?' + wide + '&origin=web', timeout=30)
    assert bad.status_code == 400 and bad.json()['field'] == 'origin'
    d = s.get(srv.base + f'/bo/api/transactions/{res["GCH_ID"]}', timeout=30).json()
    assert d['origin'] == 'hosted_page' and d['order_ref'] == ref
    # The journal's column, as a user may choose it.
    r = s.patch(srv.base + '/bo/api/me/preferences', headers={'X-CSRF-Token': csrf}, timeout=30,
                json={'columns': {'transactions': ['order_ref', 'origin']}})
    assert r.status_code == 200, r.text
    items = s.get(srv.base + '/bo/api/transactions?' + wide + '&origin=hosted_page',
                  timeout=30).json()['items']
    assert all(i['origin'] == 'hosted_page' for i in items) and items


TDS_CARD = '4000000000003220'  # the simulator's French 3-D Secure test cards challenge


class Form(HTMLParser):
    """Every input of a page's form, hidden or not, in order."""

    def __init__(self):
        super().__init__()
        self.fields, self.action = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'form':
            self.action = a['action']
        if tag == 'input' and a.get('type') == 'hidden':
            self.fields.append((a['name'], a['value']))


def challenge(srv, fields, card=TDS_CARD):
    r = card_post(srv, start(srv, fields).text, number=card)
    assert r.status_code == 200, r.text
    f = Form()
    f.feed(r.text)
    assert f.action == '/pay/3ds' and 'autocomplete="one-time-code"' in r.text
    assert '<label for="tds-code">' in r.text
    return f.fields


def answer(srv, hidden, code='1234', action='confirm'):
    return requests.post(srv.base + '/pay/3ds', data=hidden + [('code', code), ('action', action)],
                         timeout=30, allow_redirects=False)


def test_3ds_challenge_passed(srv):
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    hidden = challenge(srv, fields)
    # While the buyer types the code, the card waits sealed, and only there.
    rows = q(srv, 'SELECT card_sealed, order_ref FROM checkout WHERE order_ref = ?', (ref,))
    assert len(rows) == 1 and TDS_CARD.encode() not in rows[0][0]
    assert payments(srv, ref) == []
    r = answer(srv, hidden)
    assert r.status_code == 303, r.text
    res = verify_return(srv, r.headers['Location'])
    assert res['GCH_STATUS'] == 'accepted'
    assert payments(srv, ref) == [('accepted', 1, 2500)]
    d = srv.api('GET', f'/api/v1/payments/{res["GCH_ID"]}').json()
    assert d['three_d_secure']['authenticated'] == 'Y'
    assert q(srv, 'SELECT count(*) FROM checkout WHERE order_ref = ?', (ref,)) == [(0,)]
    # Answered once: a second answer finds nothing and pays nothing.
    again = answer(srv, hidden)
    assert again.status_code == 400 and 'not valid' in again.text
    assert payments(srv, ref) == [('accepted', 1, 2500)]


def test_3ds_challenge_failed(srv):
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    r = answer(srv, challenge(srv, fields), code='0000')
    assert r.status_code == 303 and r.headers['Location'].startswith(SHOP_URL + '?r=ko&')
    res = verify_return(srv, r.headers['Location'])
    assert res['GCH_STATUS'] == 'refused' and res['GCH_REFUSAL'] == '3ds_failed'
    d = srv.api('GET', f'/api/v1/payments/{res["GCH_ID"]}').json()
    assert d['three_d_secure']['authenticated'] == 'N' and d['origin'] == 'hosted_page'
    assert q(srv, 'SELECT count(*) FROM checkout WHERE order_ref = ?', (ref,)) == [(0,)]


def test_3ds_challenge_cancelled_wipes_the_card(srv):
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    r = answer(srv, challenge(srv, fields), code='', action='cancel')
    assert r.status_code == 303 and r.headers['Location'].startswith(SHOP_URL + '?r=cancel&')
    assert verify_return(srv, r.headers['Location'])['GCH_STATUS'] == 'cancelled'
    assert payments(srv, ref) == []
    assert q(srv, 'SELECT count(*) FROM checkout WHERE order_ref = ?', (ref,)) == [(0,)]


def test_3ds_token_bound_to_its_request(srv):
    a = request_fields(srv)
    hidden = challenge(srv, a)
    token = dict(hidden)['token']
    b = request_fields(srv)  # another signed request, same shop
    r = answer(srv, b + [('token', token)])
    assert r.status_code == 400
    assert payments(srv, dict(b)['GCH_ORDER_REF']) == []
    r = answer(srv, [(k, v if k != 'token' else 'zz') for k, v in hidden])
    assert r.status_code == 400
    assert payments(srv, dict(a)['GCH_ORDER_REF']) == []


def test_retention_wipes_abandoned_challenges_and_old_replay_rows(srv):
    fields = request_fields(srv)
    ref = dict(fields)['GCH_ORDER_REF']
    hidden = challenge(srv, fields)
    assert q(srv, 'SELECT count(*) FROM checkout WHERE order_ref = ?', (ref,)) == [(1,)]
    # Abandoned: once expired, the retention job deletes the row and its sealed card.
    q(srv, 'UPDATE checkout SET expires_at = 1 WHERE order_ref = ?', (ref,))
    assert wait_for(lambda: q(srv, 'SELECT count(*) FROM checkout WHERE order_ref = ?',
                              (ref,)) == [(0,)])
    assert answer(srv, hidden).status_code == 400
    assert payments(srv, ref) == []
    # A request's replay memory goes once its time can no longer be accepted.
    paid = request_fields(srv)
    pref = dict(paid)['GCH_ORDER_REF']
    assert card_post(srv, start(srv, paid).text).status_code == 303
    assert q(srv, 'SELECT count(*) FROM hosted_replay WHERE order_ref = ?', (pref,)) == [(1,)]
    q(srv, 'UPDATE hosted_replay SET created_at = 1 WHERE order_ref = ?', (pref,))
    assert wait_for(lambda: q(srv, 'SELECT count(*) FROM hosted_replay WHERE order_ref = ?',
                              (pref,)) == [(0,)])
