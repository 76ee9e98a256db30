"""Paybox System on the hosted payment page (issue 12; README "Paybox / E-transactions
compatibility"; research/paybox-protocol.md §1): an E-transactions module posts its signed
PBX_* request to /cgi/MYchoix_pagepaiement.cgi or /php/ (GET for its framed page), the buyer
pays on Guichet's page, comes back on PBX_EFFECTUE / PBX_REFUSE / PBX_ANNULE with the variables
PBX_RETOUR asked, signed with K, and the module's server gets the same variables at
PBX_REPONDRE_A (GET, or POST with PBX_RUF1=POST).

Each module's way is played here from the protocol as documented, not from its code: the
official kit's fixed order and upper-case hex, WooCommerce 3.x's insertion order and lower-case
hex with a GET notification it verifies by rebuilding the query, PrestaShop's and Magento's
alphabetical order with a POST notification verified by the '&K=' regex. K is verified with
`openssl` on the public key of the back office (paybox_k.py)."""
import hashlib
import hmac
import threading
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conftest import Server, q, secrets_in, wait_for
from paybox_k import openssl_verify, verify_k_regex, verify_split_last
from test_hosted import Hidden, refused_at_both_steps
from test_notify import Merchant
from test_signin import ready_user

SHOP = 'https://shop.example'
RETOUR_KIT = 'Mt:M;Ref:R;Auto:A;Erreur:E;Appel:T;Trans:S;Sign:K'
RETOUR_WOO = 'M:M;R:R;T:T;A:A;B:B;C:C;D:D;E:E;F:F;G:G;I:I;J:J;N:N;O:O;P:P;Q:Q;S:S;W:W;Y:Y;v:v;K:K'
RETOUR_PS = 'M:M;R:R;T:T;A:A;B:B;P:P;C:C;S:S;W:W;N:N;E:E;D:D;Z:Z;K:K'
STATUS = {0: 'accepted', 1: 'refused'}
ORIGIN_PAYBOX_SYSTEM = 2


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    m = Merchant()
    threading.Thread(target=m.serve_forever, daemon=True).start()
    s = Server(str(tmp_path_factory.mktemp('pbxsys')), transactions=0)
    s.merchant = m
    s.start('--notify-retry-ms', '200')
    s.pem = public_key(s)
    yield s
    stopped_clean(s, m, ['4000000000000002', '4000000000003220'])


def public_key(srv):
    """Guichet's Paybox public key (PEM), as the back office gives it to the merchant."""
    sess, _ = ready_user(srv, 'demo.hmac')
    r = sess.get(srv.base + '/bo/api/paybox-public-key', timeout=30)
    assert r.status_code == 200, r.text
    return r.text


def stopped_clean(srv, merchant, cards):
    """Stops the server and the merchant's: a clean exit, no sanitizer report, and neither a
    shop's key nor one of the cards in the log."""
    rc = srv.stop()
    merchant.shutdown()
    log = srv.read_log()
    assert rc == 0, log
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    keys = [x['hmac_key'] for x in srv.demo['shops']]
    assert secrets_in(log, keys + cards) == [], log


def iso_time(srv, shift_s=0, js=False):
    """PBX_TIME as PHP's date('c') ("2026-11-20T14:30:00+01:00") or JavaScript's
    toISOString() ("2026-11-20T13:30:00.000Z")."""
    t = srv.now() + shift_s
    if js:
        return datetime.fromtimestamp(t, tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z')
    return datetime.fromtimestamp(t, tz=timezone(timedelta(hours=1))).isoformat(
        timespec='seconds')


def sign(key_hex, fields, algo='sha512', lower=False):
    """PBX_HMAC: every field as sent, NAME=value with the raw values, '&', the shop's key
    hex-decoded (research §1.3)."""
    msg = '&'.join(f'{k}={v}' for k, v in fields)
    h = hmac.new(bytes.fromhex(key_hex), msg.encode(), getattr(hashlib, algo)).hexdigest()
    return h if lower else h.upper()


def base_fields(srv, shop=0, **over):
    s = srv.shop(shop)
    f = {'PBX_SITE': s['site'], 'PBX_RANG': s['rang'], 'PBX_IDENTIFIANT': '110647233',
         'PBX_TOTAL': '999', 'PBX_DEVISE': '978', 'PBX_CMD': 'CMD-' + uuid.uuid4().hex[:10],
         'PBX_PORTEUR': 'buyer@example.com', 'PBX_RETOUR': RETOUR_KIT, 'PBX_HASH': 'SHA512',
         'PBX_TIME': iso_time(srv),
         'PBX_EFFECTUE': SHOP + '/ok', 'PBX_REFUSE': SHOP + '/ko', 'PBX_ANNULE': SHOP + '/cancel'}
    f.update(over)
    return [(k, v) for k, v in f.items() if v is not None]


def kit_request(srv, shop=0, **over):
    """The official kit: its own fixed order, upper-case hex."""
    fields = base_fields(srv, shop, **over)
    return fields + [('PBX_HMAC', sign(srv.shop(shop)['hmac_key'], fields))]


def start(srv, fields, path='/cgi/MYchoix_pagepaiement.cgi', get=False):
    if get:
        return requests.get(srv.base + path + '?' + urllib.parse.urlencode(fields), timeout=30,
                            allow_redirects=False)
    return requests.post(srv.base + path, data=fields, timeout=30, allow_redirects=False)


def card_post(srv, page, number='4111111111111111', expiry='12/30', cvv='123', action='pay'):
    p = Hidden()
    p.feed(page)
    assert all(k.startswith('PBX_') for k, _ in p.hidden), p.hidden
    data = p.hidden + [('card_number', number), ('card_expiry', expiry), ('card_cvv', cvv),
                       ('action', action)]
    return requests.post(srv.base + '/pay/card', data=data, timeout=30, allow_redirects=False)


def pay(srv, fields, number='4111111111111111', **kw):
    r = start(srv, fields, **kw)
    assert r.status_code == 200, r.text
    return card_post(srv, r.text, number=number)


def returned(location, prefix):
    """The merchant's return URL and what Guichet appended to it."""
    assert location.startswith(prefix + '?') or location.startswith(prefix + '&'), location
    return location[len(prefix) + 1:]


def txns(srv, ref):
    return [(STATUS.get(st, st), origin, amount, manual) for st, origin, amount, manual in
            q(srv, 'SELECT status, origin, amount_initial, capture_manual FROM txn '
                   'WHERE order_ref = ?', (ref,))]


def test_the_kit_pays_and_its_return_verifies(srv):
    fields = kit_request(srv)
    ref = dict(fields)['PBX_CMD']
    r = start(srv, fields)
    assert r.status_code == 200, r.text
    assert '9,99 EUR' in r.text and ref in r.text and 'lang="fr"' in r.text
    assert 'autocomplete="cc-number"' in r.text
    r = card_post(srv, r.text)
    assert r.status_code == 303, r.text
    query = returned(r.headers['Location'], SHOP + '/ok')
    # The kit's testsign.php: split at the last '&', verify the rest as received.
    assert verify_split_last(srv.pem, query)
    v = dict(urllib.parse.parse_qsl(query))
    assert list(v) == ['Mt', 'Ref', 'Auto', 'Erreur', 'Appel', 'Trans', 'Sign']
    assert v['Mt'] == '999' and v['Ref'] == ref and v['Erreur'] == '00000'
    assert len(v['Auto']) == 6 and v['Appel'] == v['Trans']
    assert q(srv, 'SELECT id FROM txn WHERE order_ref = ?', (ref,)) == [(int(v['Trans']),)]
    assert txns(srv, ref) == [('accepted', ORIGIN_PAYBOX_SYSTEM, 999, 0)]
    # A signature over other bytes does not verify.
    assert not verify_split_last(srv.pem, query.replace('Mt=999', 'Mt=998'))


def woo_request(srv, notify_path, shop=0):
    """WooCommerce 3.x: its insertion order, lower-case hex, the IPN by GET, URLs that carry
    their own query, the time of toISOString()."""
    s = srv.shop(shop)
    own = '?wc-api=WC_EtransactionsCw&order=12&gateway_id=etransactions_std'
    f = [('PBX_ANNULE', SHOP + '/wc' + own + '&action=cancel'),
         ('PBX_BILLING', '<?xml version="1.0" encoding="utf-8"?><Billing><Address><FirstName>'
                         'Ana</FirstName><CountryCode>250</CountryCode></Address></Billing>'),
         ('PBX_CMD', 'WOO-' + uuid.uuid4().hex[:8]), ('PBX_DEVISE', '978'),
         ('PBX_EFFECTUE', SHOP + '/wc' + own + '&action=success'), ('PBX_HASH', 'SHA512'),
         ('PBX_IDENTIFIANT', '3262411'), ('PBX_PORTEUR', 'ana@example.com'),
         ('PBX_RANG', s['rang']), ('PBX_REFUSE', SHOP + '/wc' + own + '&action=failed'),
         ('PBX_REPONDRE_A', srv.merchant.url(notify_path) + own + '&action=ipn'),
         ('PBX_SHOPPINGCART', '<?xml version="1.0" encoding="utf-8"?><shoppingcart><total>'
                              '<totalQuantity>2</totalQuantity></total></shoppingcart>'),
         ('PBX_SITE', s['site']), ('PBX_TIME', iso_time(srv, js=True)), ('PBX_TOTAL', '04250'),
         ('PBX_TYPECARTE', 'CB'), ('PBX_TYPEPAIEMENT', 'CARTE'), ('PBX_LANGUE', 'GBR'),
         ('PBX_VERSION', 'WooCommerce_8.0-e-transactions_3.0.0'), ('PBX_SOUHAITAUTHENT', '01'),
         ('PBX_RETOUR', RETOUR_WOO), ('PBX_SOURCE', 'RWD')]
    return f + [('PBX_HMAC', sign(s['hmac_key'], f, lower=True))]


def woo_verifies(pem, query):
    """Woo 3.x: its own parameters out of $_GET, the rest rebuilt with http_build_query
    (RFC 1738: a space as '+') then K checked over it."""
    params = [(k, v) for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)
              if k not in ('wc-api', 'order', 'gateway_id', 'action')]
    sig = dict(params)['K']
    data = urllib.parse.urlencode([(k, v) for k, v in params if k != 'K'])
    for k in ('M', 'R', 'T', 'E', 'P', 'C', 'S'):  # its REQUIRED_PARAMS
        assert k in dict(params), k
    return openssl_verify(pem, data.encode(), __import__('base64').b64decode(sig))


def test_woocommerce_root_probe_then_php_page_and_a_get_notification(srv):
    fields = woo_request(srv, '/woo-ipn')
    ref = dict(fields)['PBX_CMD']
    # Its server-to-server check of the signed fields at the gateway's root: a 200.
    r = requests.post(srv.base + '/', data=fields, timeout=30, allow_redirects=False)
    assert r.status_code == 200, r.text
    # The web UI's root is still there for a browser.
    assert requests.get(srv.base + '/', timeout=30).status_code == 200
    r = pay(srv, fields, path='/php/')
    assert r.status_code == 303, r.text
    loc = r.headers['Location']
    assert loc.startswith(SHOP + '/wc?wc-api=') and '&action=success&M=4250&' in loc
    assert woo_verifies(srv.pem, urllib.parse.urlsplit(loc).query)
    v = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query, keep_blank_values=True))
    assert v['E'] == '00000' and v['C'] in ('CB', 'VISA') and v['P'] == 'CARTE'
    assert v['N'] == '411111' and v['J'] == '11' and v['D'] == '3012' and v['R'] == ref
    assert len(v['W']) == 8 and len(v['Q']) == 8 and v['T'] == v['S']
    # The notification: a GET of the same variables after the URL's own query.
    assert wait_for(lambda: srv.merchant.calls('/woo-ipn'))
    path, headers, body, full, _ = srv.merchant.calls('/woo-ipn')[0]
    query = urllib.parse.urlsplit(full).query
    assert query.startswith('wc-api=WC_EtransactionsCw&order=12&gateway_id=etransactions_std'
                            '&action=ipn&M=4250&R=')
    assert woo_verifies(srv.pem, query) and body == b''
    assert txns(srv, ref) == [('accepted', ORIGIN_PAYBOX_SYSTEM, 4250, 0)]


def ps_request(srv, notify_path, shop=0, **over):
    """PrestaShop and Magento: the fields sorted by name (ksort), upper-case hex, RANG as
    "%02d" (Magento), the IPN by POST (PBX_RUF1=POST)."""
    s = srv.shop(shop)
    f = dict(base_fields(srv, shop, PBX_RETOUR=RETOUR_PS,
                         PBX_REPONDRE_A=srv.merchant.url(notify_path)), PBX_RUF1='POST',
             PBX_RANG='%02d' % int(s['rang']), PBX_DIFF='02',
             PBX_VERSION='PrestaShop_1.7-epayment_3.2.0')
    f.update(over)
    fields = sorted((k, v) for k, v in f.items() if v is not None)
    return fields + [('PBX_HMAC', sign(s['hmac_key'], fields))]


def test_prestashop_alphabetical_a_refusal_and_a_post_notification(srv):
    fields = ps_request(srv, '/ps-ipn')
    ref = dict(fields)['PBX_CMD']
    r = pay(srv, fields, number='4000000000000002')  # the simulator's "declined"
    assert r.status_code == 303, r.text
    query = returned(r.headers['Location'], SHOP + '/ko')
    assert verify_k_regex(srv.pem, query)
    v = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    assert v['E'] == '00105' and v['A'] == '' and v['M'] == '999' and v['Z'] == ''
    assert wait_for(lambda: srv.merchant.calls('/ps-ipn'))
    _, headers, body, full, _ = srv.merchant.calls('/ps-ipn')[0]
    assert headers['Content-Type'] == 'application/x-www-form-urlencoded'
    assert full == '/ps-ipn' and body.decode() == query
    assert verify_k_regex(srv.pem, body.decode())
    assert txns(srv, ref) == [('refused', ORIGIN_PAYBOX_SYSTEM, 999, 0)]
    # PBX_DIFF: the bank date waits two business days (as the merchant API's deferral_days).
    ok = ps_request(srv, '/ps-ipn2')
    assert pay(srv, ok).status_code == 303
    today = (datetime(2026, 11, 20) - datetime(1970, 1, 1)).days  # bank_day counts days
    assert q(srv, 'SELECT bank_day FROM txn WHERE order_ref = ?',
             (dict(ok)['PBX_CMD'],))[0][0] - today >= 2


def test_the_framed_page_by_get_and_its_csp(srv):
    fields = kit_request(srv, PBX_LANGUE='GBR')
    r = start(srv, fields, path='/php/', get=True)
    assert r.status_code == 200, r.text
    csp = r.headers['Content-Security-Policy']
    # The merchant's site may frame it; nothing else, and still no script.
    assert f'frame-ancestors {SHOP} {SHOP} {SHOP};' in csp, csp
    assert "form-action 'self' " + SHOP in csp and 'script-src' not in csp
    assert 'lang="en"' in r.text and 'Card number' in r.text
    r = card_post(srv, r.text)
    assert r.status_code == 303
    assert verify_split_last(srv.pem, returned(r.headers['Location'], SHOP + '/ok'))
    # Guichet's own page is never framed.
    for path in ('/cgi/MYframepagepaiement_ip.cgi', '/cgi/FramepagepaiementRWD.cgi'):
        assert start(srv, kit_request(srv), path=path).status_code == 200


def test_cancel_goes_back_signed_and_records_nothing(srv):
    fields = ps_request(srv, '/cancel-ipn')
    ref = dict(fields)['PBX_CMD']
    r = start(srv, fields)
    r = card_post(srv, r.text, number='', expiry='', cvv='', action='cancel')
    assert r.status_code == 303
    query = returned(r.headers['Location'], SHOP + '/cancel')
    assert verify_k_regex(srv.pem, query)
    v = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    assert v['E'] == '00001' and v['R'] == ref and v['S'] == '' and v['M'] == '999'
    assert txns(srv, ref) == []
    assert srv.merchant.calls('/cancel-ipn') == []


def test_a_failed_3ds_challenge_is_refused_with_its_code(srv):
    fields = kit_request(srv, PBX_RETOUR='M:M;R:R;E:E;F:F;G:G;O:O;v:v;S:S;K:K')
    ref = dict(fields)['PBX_CMD']
    r = start(srv, fields)
    r = card_post(srv, r.text, number='4000000000003220')
    assert r.status_code == 200 and 'tds-code' in r.text
    p = Hidden()
    p.feed(r.text)
    r = requests.post(srv.base + '/pay/3ds', data=p.hidden + [('code', '0000'),
                                                              ('action', 'confirm')],
                      timeout=30, allow_redirects=False)
    assert r.status_code == 303, r.text
    query = returned(r.headers['Location'], SHOP + '/ko')
    assert verify_split_last(srv.pem, query)
    v = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    assert v['E'] == '00040' and v['F'] == 'N' and v['G'] == 'N' and v['O'] == 'Y'
    assert txns(srv, ref) == [('refused', ORIGIN_PAYBOX_SYSTEM, 999, 0)]


def test_without_return_urls_guichet_shows_the_outcome(srv):
    fields = kit_request(srv, PBX_EFFECTUE=None, PBX_REFUSE=None, PBX_ANNULE=None,
                         PBX_RETOUR='M:M;R:R;E:E')
    r = pay(srv, fields)
    assert r.status_code == 200 and 'Paiement accepté' in r.text
    assert dict(fields)['PBX_CMD'] in r.text


def test_capture_later_and_the_card_types_asked(srv):
    fields = kit_request(srv, PBX_AUTOSEULE='O')
    ref = dict(fields)['PBX_CMD']
    assert pay(srv, fields).status_code == 303
    assert txns(srv, ref) == [('accepted', ORIGIN_PAYBOX_SYSTEM, 999, 1)]
    # PBX_TYPECARTE=AMEX: a Visa card is not taken; CB takes a Visa.
    amex = kit_request(srv, PBX_TYPEPAIEMENT='CARTE', PBX_TYPECARTE='AMEX')
    page = start(srv, amex).text
    r = card_post(srv, page)
    assert r.status_code == 422 and 'La boutique n&#39;accepte pas ce type de carte' in r.text
    assert txns(srv, dict(amex)['PBX_CMD']) == []
    # The same request, not spent, pays with a card of the kind asked.
    r = card_post(srv, r.text, number='378282246310005', cvv='1234')
    assert r.status_code == 303, r.text
    assert txns(srv, dict(amex)['PBX_CMD'])[0][0] == 'accepted'
    assert pay(srv, kit_request(srv, PBX_TYPECARTE='CB')).status_code == 303


def test_a_replayed_request_pays_once(srv):
    fields = kit_request(srv)
    ref = dict(fields)['PBX_CMD']
    page = start(srv, fields).text
    assert card_post(srv, page).status_code == 303
    again = card_post(srv, page)
    assert again.status_code == 409 and 'Paiement impossible' in again.text
    assert txns(srv, ref) == [('accepted', ORIGIN_PAYBOX_SYSTEM, 999, 0)]


def api_errors(srv, code, field=None):
    """The shop's error log entries of that code and field; past LIMIT_API_ERROR_ROWS rows a
    shop a minute (many of this module's cases) the rest is counted with no field."""
    return q(srv, "SELECT coalesce(sum(count), 0) FROM api_error WHERE code = ? "
                  "AND field IN (?, '')", (code, field or ''))[0][0]


def resigned(srv, fields):
    fields = [(k, v) for k, v in fields if k != 'PBX_HMAC']
    return fields + [('PBX_HMAC', sign(srv.shop()['hmac_key'], fields))]


BAD = [
    ('bad_signature', None, lambda srv: [(k, v if k != 'PBX_HMAC' else 'AB' * 64)
                                         for k, v in kit_request(srv)]),
    ('bad_signature', None, lambda srv: [(k, v if k != 'PBX_TOTAL' else '1')
                                         for k, v in kit_request(srv)]),
    # A different order than signed is another message.
    ('bad_signature', None, lambda srv: list(reversed(kit_request(srv)[:-1]))
                                        + kit_request(srv)[-1:]),
    ('duplicate_field', 'PBX_TOTAL', lambda srv: resigned(srv, kit_request(srv)
                                                          + [('PBX_TOTAL', '1')])),
    ('invalid_field', 'PBX_TOTAL', lambda srv: kit_request(srv, PBX_TOTAL='0')),
    ('invalid_field', 'PBX_TOTAL', lambda srv: kit_request(srv, PBX_TOTAL='9.99')),
    ('invalid_field', 'PBX_DEVISE', lambda srv: kit_request(srv, PBX_DEVISE='999')),
    ('invalid_field', 'PBX_TIME', lambda srv: kit_request(srv, PBX_TIME=iso_time(srv, -3600))),
    ('invalid_field', 'PBX_TIME', lambda srv: kit_request(srv, PBX_TIME='yesterday')),
    ('invalid_field', 'PBX_EFFECTUE',
     lambda srv: kit_request(srv, PBX_EFFECTUE='javascript:alert(1)')),
    ('invalid_field', 'PBX_REFUSE', lambda srv: kit_request(srv, PBX_REFUSE='ftp://shop/')),
    ('invalid_field', 'PBX_REPONDRE_A',
     lambda srv: kit_request(srv, PBX_REPONDRE_A='file:///etc/passwd')),
    ('invalid_field', 'PBX_RETOUR', lambda srv: kit_request(srv, PBX_RETOUR='K:K;M:M')),
    ('invalid_field', 'PBX_RETOUR', lambda srv: kit_request(srv, PBX_RETOUR='M:X')),
    ('invalid_field', 'PBX_HASH', lambda srv: kit_request(srv, PBX_HASH='MD5')),
    ('invalid_field', 'PBX_PORTEUR', lambda srv: kit_request(srv, PBX_PORTEUR='nobody')),
    ('invalid_field', 'PBX_TYPEPAIEMENT',
     lambda srv: kit_request(srv, PBX_TYPEPAIEMENT='PAYPAL')),
    ('invalid_field', 'PBX_TOKEN', lambda srv: kit_request(srv, PBX_TOKEN='tok', PBX_DATEVAL='1230')),
    ('invalid_field', 'PBX_DIFF', lambda srv: kit_request(srv, PBX_DIFF='31')),
    ('invalid_field', 'PBX_CMD', lambda srv: kit_request(srv, PBX_CMD='a\x01b')),
    ('missing_field', 'PBX_PORTEUR', lambda srv: kit_request(srv, PBX_PORTEUR=None)),
]


@pytest.mark.parametrize('code,field,make', BAD)
def test_bad_request_error_page_logged_nothing_recorded(srv, code, field, make):
    fields = make(srv)
    before = api_errors(srv, code, field)
    refused_at_both_steps(srv, fields, '/cgi/MYchoix_pagepaiement.cgi', 'PBX_')
    assert wait_for(lambda: api_errors(srv, code, field) >= before + 2)


def test_an_unknown_shop_and_a_bad_form(srv):
    fields = kit_request(srv, PBX_SITE='0000001')
    r = start(srv, fields)
    assert r.status_code == 400 and 'Paiement impossible' in r.text
    r = requests.post(srv.base + '/php/', data='PBX_SITE=%zz', timeout=30,
                      headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert r.status_code == 400 and 'Paiement impossible' in r.text
    big = requests.post(srv.base + '/php/', data='PBX_CMD=' + 'x' * 20000, timeout=30)
    assert big.status_code == 413


def dmy(srv, days):
    """A day from the server's today (Paris), as PBX_DATEn wants it."""
    return datetime.strptime(srv.paris_day(days), '%Y-%m-%d').strftime('%d/%m/%Y')


def plan_of(srv, ref):
    return q(srv, "SELECT r.id, r.kind, r.status, r.count, r.amount, r.done FROM recurring r "
                  "WHERE r.order_ref = ?", (ref,))


def test_installments_the_first_now_the_others_planned(srv):
    """PBX_2MONTn / PBX_DATEn (PrestaShop's three installments): PBX_TOTAL paid now on the
    page, the others planned in an installment plan with the same card."""
    fields = kit_request(srv, PBX_TOTAL='1000', PBX_2MONT1='1000', PBX_DATE1=dmy(srv, 30),
                         PBX_2MONT2='1500', PBX_DATE2=dmy(srv, 60),
                         PBX_RETOUR='M:M;R:R;E:E;S:S;K:K')
    ref = dict(fields)['PBX_CMD']
    page = start(srv, fields)
    assert page.status_code == 200, page.text
    assert 'Échéancier' in page.text and "10,00 EUR — aujourd'hui" in page.text
    assert '15,00 EUR — ' + dmy(srv, 60) in page.text
    r = card_post(srv, page.text)
    assert r.status_code == 303, r.text
    query = returned(r.headers['Location'], SHOP + '/ok')
    assert verify_split_last(srv.pem, query)
    v = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    assert v['M'] == '1000' and v['E'] == '00000'
    [(pid, kind, status, count, amount, done)] = plan_of(srv, ref)
    assert (kind, status, count, amount, done) == ('plan', 'in_progress', 3, 3500, 1)
    debits = q(srv, 'SELECT number, amount, status, txn_id FROM recurring_debit '
                    'WHERE recurring_id = ? ORDER BY number', (pid,))
    assert [(n, a, st) for n, a, st, _ in debits] == [(1, 1000, 'accepted'), (2, 1000, 'planned'),
                                                      (3, 1500, 'planned')]
    assert debits[0][3] == int(v['S'])
    # The first installment came from the page; the later ones will be recurring debits.
    assert txns(srv, ref) == [('accepted', ORIGIN_PAYBOX_SYSTEM, 1000, 0)]


def test_installments_that_break_the_plans_rules_are_refused(srv):
    for over, field in (({'PBX_2MONT1': '1000'}, 'PBX_DATE1'),
                        ({'PBX_2MONT2': '1000', 'PBX_DATE2': dmy(srv, 30)}, 'PBX_2MONT2'),
                        ({'PBX_2MONT1': '1000', 'PBX_DATE1': dmy(srv, 120)}, 'PBX_DATE1'),
                        ({'PBX_2MONT1': '1000', 'PBX_DATE1': dmy(srv, -1)}, 'PBX_DATE1'),
                        ({'PBX_2MONT1': '1000', 'PBX_DATE1': '31/02/2027'}, 'PBX_DATE1'),
                        ({'PBX_2MONT1': '0', 'PBX_DATE1': dmy(srv, 30)}, 'PBX_2MONT1'),
                        ({'PBX_2MONT1': '1000', 'PBX_DATE1': dmy(srv, 30),
                          'PBX_AUTOSEULE': 'O'}, 'PBX_AUTOSEULE')):
        before = api_errors(srv, 'invalid_field', field)
        fields = kit_request(srv, **over)
        r = start(srv, fields)
        assert r.status_code == 400 and 'Paiement impossible' in r.text, over
        assert plan_of(srv, dict(fields)['PBX_CMD']) == []
        assert wait_for(lambda: api_errors(srv, 'invalid_field', field) > before), field


def test_guichet_requests_ask_installments_too(srv):
    from test_hosted import request_fields, start as gch_start, verify_return
    from test_hosted import card_post as gch_card_post
    later = f'1000:{srv.paris_day(30)};1000:{srv.paris_day(60)}'
    fields = request_fields(srv, GCH_AMOUNT='1000', GCH_INSTALLMENTS=later)
    page = gch_start(srv, fields)
    assert page.status_code == 200 and 'Schedule' in page.text, page.text
    r = gch_card_post(srv, page.text)
    assert r.status_code == 303, r.text
    v = verify_return(srv, r.headers['Location'])
    [(pid, kind, status, count, amount, done)] = plan_of(srv, v['GCH_ORDER_REF'])
    assert v['GCH_PLAN_ID'] == str(pid) and v['GCH_STATUS'] == 'accepted'
    assert (kind, count, amount, done) == ('plan', 3, 3000, 1)
    assert q(srv, 'SELECT origin FROM txn WHERE id = ?', (int(v['GCH_ID']),)) == [(1,)]
    for bad in ('1000', '1000:2027-13-01', f'1000:{srv.paris_day(30)};',
                ';'.join([f'10:{srv.paris_day(d)}' for d in (10, 20, 30, 40)])):
        r = gch_start(srv, request_fields(srv, GCH_INSTALLMENTS=bad))
        assert r.status_code == 400 and 'not valid' in r.text, bad


def test_an_installment_plan_through_the_3ds_challenge(srv):
    """The first installment carries the buyer's challenge: answered right, accepted with
    authentication Y; answered wrong, refused, and the plan fails with nothing left to debit."""
    for code, status, plan_status in (('1234', 'accepted', 'in_progress'),
                                      ('0000', 'refused', 'failed')):
        fields = kit_request(srv, PBX_2MONT1='999', PBX_DATE1=dmy(srv, 30))
        ref = dict(fields)['PBX_CMD']
        r = card_post(srv, start(srv, fields).text, number='4000000000003220')
        assert r.status_code == 200 and 'tds-code' in r.text
        p = Hidden()
        p.feed(r.text)
        r = requests.post(srv.base + '/pay/3ds', data=p.hidden + [('code', code),
                                                                  ('action', 'confirm')],
                          timeout=30, allow_redirects=False)
        assert r.status_code == 303, r.text
        assert [t[0] for t in txns(srv, ref)] == [status]
        tds_y, tds_n = 1, 2  # enum tds_auth as stored (domain/txn.h)
        assert q(srv, 'SELECT tds_auth FROM txn WHERE order_ref = ?', (ref,)) == \
            [(tds_y if status == 'accepted' else tds_n,)]
        [(_, _, got, _, _, _)] = plan_of(srv, ref)
        assert got == plan_status
