"""Paybox Direct, POST /PPPS.php, and the probe /load.html (SPEC §16.1; research/
paybox-protocol.md §0, §2), played the way each module sends it, written here from the
protocol as documented (no module's code):

- Up2pay WooCommerce 3.x: VERSION 00104, the fields in its insertion order, HASH=SHA512 and
  HMAC last, lower-case hex, MONTANT unpadded, no CLE;
- PrestaShop: CLE, the fields sorted by name, VERSION 00103, %010d numbers, RANG %03d;
- Magento: the same with RANG %02d;
- nexylan/paybox-direct: CLE, VERSION, SITE, RANG, IDENTIFIANT, CLE, TYPE, NUMQUESTION, DATEQ,
  ACTIVITE first, then the operation's fields.

Answers are read as parse_str reads them and as nexylan does (split at '&' then '=', raw).
Every answer is HTTP 200; the outcome is CODEREPONSE. Bad input: a clear code, nothing
recorded.
"""
import hashlib
import hmac
import itertools
import time
import urllib.parse
import uuid
from html.parser import HTMLParser

import pytest
import requests

from conftest import q

_numquestion = itertools.count(int(time.time()) % 1000000000 + 1000)


def numquestion():
    """A new NUMQUESTION; the modules send time(), unique enough for one test module."""
    return next(_numquestion)


def dateq(srv):
    return time.strftime('%d%m%Y%H%M%S', time.localtime(srv.now()))


def post(srv, fields):
    """fields: (name, value) pairs in the order sent; the body form-encoded as PHP's
    http_build_query does. Returns (the answer as parse_str reads it, as nexylan reads it,
    the response)."""
    body = urllib.parse.urlencode(fields)
    r = requests.post(srv.base + '/PPPS.php', data=body, timeout=30,
                      headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'] == 'text/plain; charset=ISO-8859-1'
    text = r.content.decode('latin-1')
    parsed = dict(urllib.parse.parse_qsl(text, keep_blank_values=True, encoding='latin-1'))
    raw = dict(pair.split('=', 1) for pair in text.split('&'))
    assert list(raw)[:8] == ['NUMTRANS', 'NUMAPPEL', 'NUMQUESTION', 'SITE', 'RANG',
                             'AUTORISATION', 'CODEREPONSE', 'COMMENTAIRE'], text
    # No percent-encoding: both readings agree, value for value.
    assert parsed == raw, text
    return raw, r


def woo_sign(key, fields):
    """Up2pay Woo 3.x: HMAC-SHA512 over the fields as sent, raw values, lower-case hex."""
    msg = '&'.join(f'{k}={v}' for k, v in fields)
    mac = hmac.new(bytes.fromhex(key), msg.encode(), hashlib.sha512).hexdigest()
    return fields + [('HMAC', mac)]


def woo(srv, type_, shop, montant, trans, numq=None, reference='dx1-0', key=None):
    fields = [('VERSION', '00104'), ('TYPE', type_), ('SITE', shop['site']),
              ('RANG', shop['rang']), ('NUMQUESTION', str(numq or numquestion())),
              ('HASH', 'SHA512'), ('DATEQ', dateq(srv)), ('DEVISE', '978'),
              ('MONTANT', str(montant)), ('NUMAPPEL', str(trans)), ('NUMTRANS', str(trans)),
              ('REFERENCE', reference)]
    return woo_sign(key or shop['hmac_key'], fields)


def prestashop(srv, type_, shop, montant, appel, trans, rang_digits=3, cle=None):
    """PrestaShop (rang_digits 3) and Magento (2): CLE, sorted fields, padded numbers."""
    fields = {'ACTIVITE': '024', 'VERSION': '00103', 'CLE': cle or shop['hmac_key'],
              'DATEQ': dateq(srv), 'DEVISE': '%03d' % 978, 'IDENTIFIANT': '3262411',
              'MONTANT': '%010d' % montant, 'NUMAPPEL': '%010d' % appel,
              'NUMQUESTION': '%010d' % numquestion(), 'NUMTRANS': '%010d' % trans,
              'RANG': '%0*d' % (rang_digits, int(shop['rang'])), 'REFERENCE': 'ps-1',
              'SITE': '%07d' % int(shop['site']), 'TYPE': type_}
    return sorted(fields.items())


def nexylan(srv, type_, shop, montant, card='4111111111111111', cvv='123', ref=None,
            extra=()):
    """nexylan/paybox-direct: an authorization with the card, CLE authentication."""
    return [('VERSION', '00103'), ('SITE', shop['site']), ('RANG', shop['rang']),
            ('IDENTIFIANT', '2'), ('CLE', shop['hmac_key'].upper()), ('TYPE', type_),
            ('NUMQUESTION', str(numquestion())), ('DATEQ', dateq(srv)), ('ACTIVITE', '024'),
            ('MONTANT', '%010d' % montant), ('DEVISE', '978'),
            ('REFERENCE', ref or 'nx-' + uuid.uuid4().hex[:10]), ('PORTEUR', card),
            ('DATEVAL', '1230'), ('CVV', cvv), *extra]


def txn(srv, tid):
    rows = q(srv, 'SELECT type, status, acq, amount_initial, amount_current, capture_manual, '
                  'parent_id, order_ref, shop_id FROM txn WHERE id = ?', (tid,))
    assert len(rows) == 1
    return dict(zip(('type', 'status', 'acq', 'initial', 'current', 'manual', 'parent',
                     'order_ref', 'shop'), rows[0]))


def count(srv):
    return q(srv, 'SELECT count(*) FROM txn')[0][0]


def shop_id(srv, shop):
    return q(srv, "SELECT id FROM shop WHERE site = ? AND rang = ? AND env = 'production'",
             (shop['site'], shop['rang']))[0][0]


# -- the probe ------------------------------------------------------------------------------


class _Status(HTMLParser):
    """What the kit and lexik do with DOMDocument: the text of id="server_status"."""

    def __init__(self):
        super().__init__()
        self.inside, self.text = False, None

    def handle_starttag(self, tag, attrs):
        self.inside = dict(attrs).get('id') == 'server_status'

    def handle_data(self, data):
        if self.inside and self.text is None:
            self.text = data


def test_load_html_says_ok_every_way_a_module_reads_it(server):
    r = requests.get(server.base + '/load.html', timeout=10)
    assert r.status_code == 200  # PrestaShop, Magento
    assert r.headers['Content-Type'].startswith('text/html')
    p = _Status()
    p.feed(r.text)
    assert p.text == 'OK'  # the kit, lexik
    assert '>OK<' in r.text  # highcanfly
    assert requests.post(server.base + '/load.html', timeout=10).status_code == 405


# -- the operations, each module's way -----------------------------------------------------


def test_authorize_with_cle_then_capture_as_woo(server):
    shop = server.shop(0)
    before = count(server)
    a, _ = post(server, nexylan(server, '00001', shop, 2500))
    assert a['CODEREPONSE'] == '00000', a
    assert a['NUMTRANS'] == a['NUMAPPEL'] and len(a['NUMTRANS']) == 10
    assert a['SITE'] == shop['site'] and a['RANG'] == shop['rang']
    assert len(a['AUTORISATION']) == 6
    tid = int(a['NUMTRANS'])
    t = txn(server, tid)
    assert (t['type'], t['status'], t['initial'], t['manual'], t['shop']) == (
        0, 0, 2500, 1, shop_id(server, shop))
    assert count(server) == before + 1
    # Woo stores T as NUMAPPEL and S as NUMTRANS, and captures less than authorized.
    c, _ = post(server, woo(server, '00002', shop, 2000, a['NUMTRANS']))
    assert c['CODEREPONSE'] == '00000', c
    assert c['NUMTRANS'] == a['NUMTRANS'] and c['REFABONNE'] == '' and c['PORTEUR'] == ''
    assert txn(server, tid)['current'] == 2000
    # Once captured, a second capture is refused, and says so.
    c2, _ = post(server, woo(server, '00002', shop, 2000, a['NUMTRANS']))
    assert c2['CODEREPONSE'] == '00015' and c2['NUMTRANS'] == '', c2
    # The merchant API sees the same payment.
    g = server.api('GET', f'/api/v1/payments/{tid}')
    assert g.status_code == 200 and g.json()['amount_current'] == 2000, g.text
    # Its channel, for the journal's Origin column and filter.
    assert g.json()['origin'] == 'paybox_direct', g.text


def test_authorize_and_capture_then_cancel_as_prestashop(server):
    shop = server.shop(0)
    a, _ = post(server, nexylan(server, '00003', shop, 1234))
    assert a['CODEREPONSE'] == '00000', a
    tid = int(a['NUMTRANS'])
    assert txn(server, tid)['manual'] == 0
    c, _ = post(server, prestashop(server, '00005', shop, 1234, tid, tid))
    assert c['CODEREPONSE'] == '00000', c
    assert txn(server, tid)['current'] == 0
    again, _ = post(server, prestashop(server, '00005', shop, 1234, tid, tid))
    assert again['CODEREPONSE'] == '00015', again


def test_magento_rang_on_two_digits_and_swapped_numbers(server):
    shop = server.shop(0)
    a, _ = post(server, nexylan(server, '00001', shop, 900))
    tid = int(a['NUMTRANS'])
    # RANG "01": the shop 001; NUMAPPEL and NUMTRANS swapped name the same transaction.
    c, _ = post(server, prestashop(server, '00002', shop, 900, tid, tid, rang_digits=2))
    assert c['CODEREPONSE'] == '00000', c
    assert txn(server, tid)['current'] == 900


def test_refund_of_a_sent_debit_is_a_transaction_of_its_own(server):
    shop = server.shop(0)
    rows = q(server, 'SELECT id, amount_current FROM txn WHERE shop_id = ? AND type = 0 '
                     'AND status = 0 AND acq = 3 AND amount_current > 100 AND accepted_at > ? '
                     'ORDER BY id DESC LIMIT 1', (shop_id(server, shop), server.now_us(-60 * 86400)))
    assert rows, 'the demo has sent debits'
    debit, amount = rows[0]
    r, _ = post(server, woo(server, '00014', shop, 100, debit))
    assert r['CODEREPONSE'] == '00000', r
    refund = int(r['NUMTRANS'])
    assert refund != debit
    t = txn(server, refund)
    assert (t['type'], t['initial'], t['parent']) == (1, 100, debit)
    # More than what is left: refused as an amount.
    big, _ = post(server, woo(server, '00014', shop, amount + 1, debit))
    assert big['CODEREPONSE'] == '00011', big


def test_refused_card_answers_the_issuers_code_and_is_recorded(server):
    shop = server.shop(0)
    before = count(server)
    a, _ = post(server, nexylan(server, '00003', shop, 1000, card='4000000000000002'))
    assert a['CODEREPONSE'].startswith('001') and len(a['CODEREPONSE']) == 5, a
    assert a['AUTORISATION'] == ''
    assert txn(server, int(a['NUMTRANS']))['status'] == 1
    assert count(server) == before + 1


def test_inquiry(server):
    shop = server.shop(0)
    a, _ = post(server, nexylan(server, '00001', shop, 700))
    fields = [('VERSION', '00104'), ('TYPE', '00017'), ('SITE', shop['site']),
              ('RANG', shop['rang']), ('NUMQUESTION', str(numquestion())), ('HASH', 'SHA512'),
              ('NUMTRANS', a['NUMTRANS'])]
    r, _ = post(server, woo_sign(shop['hmac_key'], fields))
    assert (r['CODEREPONSE'], r['NUMTRANS'], r['AUTORISATION']) == (
        '00000', a['NUMTRANS'], a['AUTORISATION']), r


def test_another_shops_transaction_is_not_found(server):
    mine, other = server.shop(0), server.shop(2)
    a, _ = post(server, nexylan(server, '00001', mine, 800))
    c, _ = post(server, woo(server, '00002', other, 800, a['NUMTRANS']))
    assert c['CODEREPONSE'] == '00018', c
    assert txn(server, int(a['NUMTRANS']))['current'] == 800


# -- NUMQUESTION ---------------------------------------------------------------------------


def test_the_same_request_again_is_answered_again_and_pays_once(server):
    shop = server.shop(0)
    fields = nexylan(server, '00003', shop, 4321)
    before = count(server)
    first, _ = post(server, fields)
    assert first['CODEREPONSE'] == '00000'
    again, _ = post(server, fields)
    assert again == first
    assert count(server) == before + 1
    # Another request with the same NUMQUESTION the same day: refused, nothing paid.
    other = [(k, '4322' if k == 'MONTANT' else v) for k, v in fields]
    r, _ = post(server, other)
    assert r['CODEREPONSE'] == '00005', r
    assert count(server) == before + 1
    # Another shop may use the same number.
    theirs = [(k, v) for k, v in nexylan(server, '00003', server.shop(1), 4321)]
    theirs = [(k, dict(fields)['NUMQUESTION'] if k == 'NUMQUESTION' else v) for k, v in theirs]
    r, _ = post(server, theirs)
    assert r['CODEREPONSE'] == '00000', r


# -- bad input: a clear code, nothing recorded ---------------------------------------------


def _with(fields, **change):
    out = [(k, change.get(k, v)) for k, v in fields if change.get(k, v) is not None]
    return out


BAD = [
    ('wrong CLE', lambda s, f: _with(f, CLE='00' * 64), '00006'),
    ('CLE too short', lambda s, f: _with(f, CLE=s['hmac_key'][:10]), '00006'),
    ('no CLE nor HMAC', lambda s, f: _with(f, CLE=None), '00006'),
    ('unknown SITE', lambda s, f: _with(f, SITE='1234567'), '00006'),
    ('SITE not a number', lambda s, f: _with(f, SITE='19998a8'), '00006'),
    ('a field twice', lambda s, f: f + [('MONTANT', '1')], '00014'),
    ('MONTANT 0', lambda s, f: _with(f, MONTANT='0000000000'), '00011'),
    ('MONTANT with a point', lambda s, f: _with(f, MONTANT='10.00'), '00011'),
    ('MONTANT missing', lambda s, f: _with(f, MONTANT=None), '00011'),
    ('unknown DEVISE', lambda s, f: _with(f, DEVISE='999'), '00010'),
    ('DEVISE letters', lambda s, f: _with(f, DEVISE='EUR'), '00010'),
    ('credit', lambda s, f: _with(f, TYPE='00004'), '00009'),
    ('unknown TYPE', lambda s, f: _with(f, TYPE='00099'), '00009'),
    ('subscriber TYPE', lambda s, f: _with(f, TYPE='00053'), '00009'),
    ('old VERSION', lambda s, f: _with(f, VERSION='00102'), '00013'),
    ('NUMQUESTION 0', lambda s, f: _with(f, NUMQUESTION='0000000000'), '00005'),
    ('NUMQUESTION letters', lambda s, f: _with(f, NUMQUESTION='12a'), '00005'),
    ('DATEQ not a date', lambda s, f: _with(f, DATEQ='31022026120000'), '00007'),
    ('PORTEUR not Luhn', lambda s, f: _with(f, PORTEUR='4111111111111112'), '00004'),
    ('DATEVAL month 13', lambda s, f: _with(f, DATEVAL='1330'), '00008'),
    ('CVV missing', lambda s, f: _with(f, CVV=None), '00020'),
    ('CVV of 2 digits', lambda s, f: _with(f, CVV='12'), '00020'),
    ('REFERENCE missing', lambda s, f: _with(f, REFERENCE=None), '00012'),
    ('REFERENCE with a control', lambda s, f: _with(f, REFERENCE='a\x07b'), '00012'),
    ('REFERENCE too long', lambda s, f: _with(f, REFERENCE='r' * 251), '00012'),
    ('DIFFERE on an authorization only', lambda s, f: f + [('DIFFERE', '002')], '00014'),
]


@pytest.mark.parametrize('name,change,code', BAD, ids=[b[0] for b in BAD])
def test_bad_input_answers_a_code_and_records_nothing(server, name, change, code):
    shop = server.shop(0)
    before = count(server)
    r, _ = post(server, change(shop, nexylan(server, '00001', shop, 1500)))
    assert r['CODEREPONSE'] == code, (name, r)
    assert r['NUMTRANS'] == '' and r['AUTORISATION'] == '' and r['COMMENTAIRE'], r
    assert count(server) == before


def test_a_wrong_hmac_is_refused_whatever_its_case(server):
    shop = server.shop(0)
    a, _ = post(server, nexylan(server, '00001', shop, 600))
    fields = woo(server, '00002', shop, 600, a['NUMTRANS'])
    # Upper case is the same MAC (the kit, PrestaShop): accepted.
    upper = fields[:-1] + [('HMAC', fields[-1][1].upper())]
    wrong = fields[:-1] + [('HMAC', fields[-1][1][:-1] + ('0' if fields[-1][1][-1] != '0'
                                                          else '1'))]
    other_key = woo(server, '00002', shop, 600, a['NUMTRANS'], key=server.shop(1)['hmac_key'])
    reordered = [fields[1], fields[0]] + fields[2:]  # signed in one order, sent in another
    no_hash = [(k, v) for k, v in fields if k != 'HASH']
    sha1 = [(k, 'SHA1' if k == 'HASH' else v) for k, v in fields]
    for bad in (wrong, other_key, reordered, no_hash, sha1):
        r, _ = post(server, bad)
        assert r['CODEREPONSE'] == '00006', r
    assert txn(server, int(a['NUMTRANS']))['current'] == 600
    r, _ = post(server, upper)
    assert r['CODEREPONSE'] == '00000', r


def test_bodies_that_do_not_read(server):
    for body in (b'VERSION=00103&TYPE=%zz', b'', b'=1'):
        r = requests.post(server.base + '/PPPS.php', data=body, timeout=10)
        assert r.status_code == 200
        assert 'CODEREPONSE=000' in r.text and 'CODEREPONSE=00000' not in r.text, r.text
    big = requests.post(server.base + '/PPPS.php', data=b'A=' + b'1' * 9000, timeout=10)
    assert big.status_code == 413
