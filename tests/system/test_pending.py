"""Pending payments (issue 12; README "Pending payments"): a card whose issuer confirms later
leaves its payment Pending, Awaiting confirmation; the buyer of the hosted page goes to the
pending URL (GCH_URL_PENDING, Paybox System's PBX_ATTENTE); no cash operation applies
meanwhile; the confirmation job asks the simulator's issuer again, which answers a minute
after the request, and the merchant's server hears the answer (event "confirm", or Paybox
System's IPN with the final E); an issuer silent for 7 days leaves the payment Abandoned.

The clock moves by restarting the server later on the same database (Server.set_clock): a
minute and a half (the issuers answered), then eight days (the silent one is abandoned)."""
import json
import threading
import urllib.parse

import pytest
from conftest import Server, q, rfc3339, wait_for
from paybox_k import verify_split_last
from test_hosted import request_fields, start as gch_start, card_post as gch_card, verify_return
from test_notify import Merchant, check_signed, set_url
from test_paybox_direct import nexylan, post as ppps_post
from test_paybox_system import (SHOP as PBX_SHOP, kit_request, pay as pbx_pay, public_key,
                                returned, stopped_clean)
from test_settings import U
from test_signin import ready_user

LATE_OK = '4000000000001091'     # the issuer accepts, a minute later
LATE_NO = '4000000000001190'     # the issuer refuses ("do not honor"), a minute later
LATE_NEVER = '4000000000001299'  # the issuer never answers
SERVE = ('--notify-retry-ms', '200')


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    m = Merchant()
    threading.Thread(target=m.serve_forever, daemon=True).start()
    s = Server(str(tmp_path_factory.mktemp('pending')), transactions=0)
    s.merchant = m
    s.start(*SERVE)
    s.u = {'admin': U(s, ready_user(s, 'demo.admin'))}
    s.shops = [r[0] for r in q(s, 'SELECT id FROM shop WHERE brand_id = 1 ORDER BY id')]
    set_url(s, m.url('/shop'))
    s.pem = public_key(s)
    s.paid = {}
    yield s
    stopped_clean(s, m, [LATE_OK, LATE_NO, LATE_NEVER])


def restart_later(srv, seconds):
    assert srv.stop() == 0
    srv.set_clock(rfc3339(srv.now() + seconds))
    srv.start(*SERVE)


def payment(srv, tid):
    r = srv.api('GET', f'/api/v1/payments/{tid}')
    assert r.status_code == 200, r.text
    return r.json()


def shop_events(srv, tid):
    """The Guichet notifications the shop's URL got for tid: (event, status), in the order
    the outbox wrote them, each signature checked."""
    got = []
    for path, headers, body, *_ in srv.merchant.calls('/shop'):
        b = json.loads(body)
        if b['id'] == str(tid):
            check_signed(srv, headers, body)
            got.append((b['notified_at'], b['event'], b['status']))
    return [(e, s) for _, e, s in sorted(got)]


def test_the_api_answers_pending_and_nothing_moves_meanwhile(srv):
    for name, card, capture in (('ok', LATE_OK, 'auto'), ('manual', LATE_OK, 'manual'),
                                ('no', LATE_NO, 'auto'), ('never', LATE_NEVER, 'auto')):
        r = srv.pay(amount=4200, card=card, capture=capture)
        assert r.status_code == 201, r.text
        p = r.json()
        assert (p['status'], p['acquirer_status']) == ('pending', 'awaiting_confirmation'), p
        assert not p.get('authorization_number') and p['refusal_reason'] is None
        srv.paid[name] = p['id']
    tid = srv.paid['ok']
    for op in ('capture', 'cancel', 'refund'):
        r = srv.api('POST', f'/api/v1/payments/{tid}/{op}', {})
        assert r.status_code == 409 and r.json()['error'] == 'not_accepted', (op, r.text)
    u = srv.u['admin']
    r = u.call('POST', f'/bo/api/transactions/{tid}/send', {})
    assert r.status_code == 409, r.text
    assert payment(srv, tid)['status'] == 'pending'
    # The merchant's server hears the pending payment at once.
    wait_for(lambda: shop_events(srv, tid) == [('payment', 'pending')])


def test_a_channel_that_cannot_wait_gets_the_answer_at_once(srv):
    # Paybox Direct has no pending answer: the issuer's answer comes in the same call.
    raw, _ = ppps_post(srv, nexylan(srv, '00003', srv.shop(0), 1500, card=LATE_OK))
    assert raw['CODEREPONSE'] == '00000' and len(raw['AUTORISATION']) == 6, raw
    raw, _ = ppps_post(srv, nexylan(srv, '00003', srv.shop(0), 1500, card=LATE_NO))
    assert raw['CODEREPONSE'] == '00105', raw
    # A card kept as an alias waits for the answer too (the alias needs an accepted payment).
    r = srv.pay(amount=1600, card=LATE_OK, save_alias=True)
    assert r.status_code == 201, r.text
    assert r.json()['status'] == 'accepted' and r.json()['alias'], r.text


def test_the_hosted_page_sends_the_buyer_to_the_pending_url(srv):
    pending_url = 'https://wait.example/pay?r=wait'
    fields = request_fields(srv, GCH_URL_PENDING=pending_url,
                            GCH_URL_NOTIFY=srv.merchant.url('/gch'))
    r = gch_start(srv, fields)
    assert r.status_code == 200, r.text
    csp = r.headers['Content-Security-Policy']
    assert "form-action 'self'" in csp and ' https://wait.example' in csp, csp
    r = gch_card(srv, r.text, number=LATE_OK)
    assert r.status_code == 303, r.text
    loc = r.headers['Location']
    assert loc.startswith(pending_url + '&'), loc
    res = verify_return(srv, loc)
    assert res['GCH_STATUS'] == 'pending' and res['GCH_REFUSAL'] == ''
    srv.paid['gch'] = int(res['GCH_ID'])
    # Its notification URL hears the pending decision now, signed by the shop's key.
    wait_for(lambda: len(srv.merchant.calls('/gch')) == 1)
    _, headers, body, *_ = srv.merchant.calls('/gch')[0]
    check_signed(srv, headers, body)
    assert (json.loads(body)['status'], json.loads(body)['event']) == ('pending', 'payment')


def test_without_a_pending_url_guichet_says_it_waits(srv):
    for lang, words in (('en', "Payment awaiting your bank&#39;s confirmation"),
                        ('fr', 'Paiement en attente de la confirmation de votre banque')):
        r = gch_start(srv, request_fields(srv, GCH_LANG=lang))
        r = gch_card(srv, r.text, number=LATE_NO)
        assert r.status_code == 200, r.text
        assert words in r.text, r.text
    srv.paid['gch_no'] = q(srv, 'SELECT max(id) FROM txn')[0][0]


def test_paybox_system_goes_to_pbx_attente_and_notifies_once_answered(srv):
    fields = kit_request(srv, PBX_ATTENTE=PBX_SHOP + '/wait',
                         PBX_REPONDRE_A=srv.merchant.url('/ipn'))
    r = pbx_pay(srv, fields, number=LATE_OK)
    assert r.status_code == 303, r.text
    query = returned(r.headers['Location'], PBX_SHOP + '/wait')
    assert verify_split_last(srv.pem, query)
    v = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    assert v['Erreur'] == '00099' and v['Auto'] == '', v
    srv.paid['pbx'] = int(v['Trans'])
    srv.paid['pbx_ref'] = dict(fields)['PBX_CMD']
    # Its modules take any E but 00000 for a failed order: no IPN before the answer.
    assert srv.merchant.calls('/ipn') == []


def test_a_minute_later_the_issuers_answered(srv):
    restart_later(srv, 90)
    ok, manual, no, never = (srv.paid[k] for k in ('ok', 'manual', 'no', 'never'))
    wait_for(lambda: payment(srv, ok)['status'] == 'accepted')
    p = payment(srv, ok)
    assert p['acquirer_status'] == 'to_send' and len(p['authorization_number']) == 6
    assert p['bank_date'] is not None and p['amount_current'] == 4200
    assert [h['action'] for h in p['history']] == ['creation', 'confirmation']
    p = payment(srv, manual)
    assert (p['status'], p['acquirer_status']) == ('accepted', 'awaiting_capture')
    assert [h['action'] for h in p['history']] == ['authorization', 'confirmation']
    r = srv.api('POST', f'/api/v1/payments/{manual}/capture', {})
    assert r.status_code == 200 and r.json()['acquirer_status'] == 'to_send', r.text
    p = payment(srv, no)
    assert (p['status'], p['acquirer_status'], p['refusal_reason']) == (
        'refused', 'na', 'acquirer_refused')
    assert p['amount_current'] == 0 and not p.get('authorization_number')
    p = payment(srv, never)
    assert (p['status'], p['acquirer_status']) == ('pending', 'awaiting_confirmation')
    # The shop's server hears each answer: the API's, and the hosted page's without a URL.
    wait_for(lambda: shop_events(srv, ok) == [('payment', 'pending'), ('confirm', 'accepted')])
    wait_for(lambda: shop_events(srv, no) == [('payment', 'pending'), ('confirm', 'refused')])
    wait_for(lambda: shop_events(srv, srv.paid['gch_no']) == [('payment', 'pending'),
                                                            ('confirm', 'refused')])
    assert shop_events(srv, never) == [('payment', 'pending')]
    # The hosted request's own URL hears its answer, in Guichet's format.
    wait_for(lambda: len(srv.merchant.calls('/gch')) == 2)
    _, headers, body, *_ = srv.merchant.calls('/gch')[1]
    check_signed(srv, headers, body)
    b = json.loads(body)
    assert (b['id'], b['event'], b['status']) == (str(srv.paid['gch']), 'confirm', 'accepted')
    # Paybox System's IPN: the final E, K signed by Guichet's key.
    wait_for(lambda: len(srv.merchant.calls('/ipn')) == 1)
    _, _, _, path, _ = srv.merchant.calls('/ipn')[0]
    query = urllib.parse.urlsplit(path).query
    assert verify_split_last(srv.pem, query)
    v = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    assert v['Erreur'] == '00000' and len(v['Auto']) == 6 and v['Ref'] == srv.paid['pbx_ref']
    assert int(v['Trans']) == srv.paid['pbx']
    # Nothing left to ask but the silent issuer's.
    assert q(srv, 'SELECT txn_id FROM txn_pending') == [(int(never),)]


def test_a_week_later_the_silent_issuer_abandons_the_payment(srv):
    never = srv.paid['never']
    restart_later(srv, 8 * 86400)
    wait_for(lambda: payment(srv, never)['status'] == 'abandoned')
    p = payment(srv, never)
    assert (p['acquirer_status'], p['amount_current']) == ('na', 0)
    assert [h['action'] for h in p['history']] == ['creation', 'abandonment']
    wait_for(lambda: shop_events(srv, never) == [('payment', 'pending'),
                                                ('confirm', 'abandoned')])
    assert q(srv, 'SELECT count(*) FROM txn_pending') == [(0,)]
    r = srv.api('POST', f'/api/v1/payments/{never}/capture', {})
    assert r.status_code == 409 and r.json()['error'] == 'not_accepted', r.text
