"""Guichet's public key for the Paybox signature K (SPEC §16.1; research/paybox-protocol.md
§1.6): GET /bo/api/paybox-public-key gives the pubkey.pem a merchant puts in its module. The
key pair is made at the first start, kept sealed in the database, the same after a restart,
its own per installation; and the ways the modules verify K (paybox_k.py) do tell a good
signature from a bad one.
"""
import base64
import os
import subprocess
import urllib.parse

import requests

from conftest import Server
from paybox_k import openssl_verify, verify_k_regex, verify_split_last
from test_signin import ready_user


def public_key(srv, login='demo.hmac'):
    s, _ = ready_user(srv, login)
    r = s.get(srv.base + '/bo/api/paybox-public-key', timeout=30)
    assert r.status_code == 200, r.text
    return r


def modulus(pem):
    out = subprocess.run(['openssl', 'rsa', '-pubin', '-noout', '-modulus'], input=pem,
                         capture_output=True, text=True, check=True)
    return bytes.fromhex(out.stdout.strip().split('=', 1)[1])


def test_the_public_key_is_a_2048_bit_rsa_pem_to_download(server):
    r = public_key(server)
    assert r.headers['Content-Type'] == 'application/x-pem-file'
    assert r.headers['Content-Disposition'] == 'attachment; filename="pubkey.pem"'
    pem = r.text
    assert pem.startswith('-----BEGIN PUBLIC KEY-----\n')
    assert pem.endswith('-----END PUBLIC KEY-----\n')
    out = subprocess.run(['openssl', 'pkey', '-pubin', '-noout', '-text'], input=pem,
                         capture_output=True, text=True, check=True)
    assert 'Public-Key: (2048 bit)' in out.stdout
    # Every profile may fetch it (the integrator first); nobody without a session.
    assert public_key(server, 'demo.consultation').text == pem
    r = requests.get(server.base + '/bo/api/paybox-public-key', timeout=10)
    assert r.status_code == 401 and r.json()['error'] == 'not_signed_in'


def test_made_once_kept_sealed_and_its_own_per_installation(tmp_path):
    for d in ('a', 'b'):
        os.makedirs(tmp_path / d)
    srv = Server(str(tmp_path / 'a'), transactions=0)
    srv.start()
    try:
        s, _ = ready_user(srv, 'demo.hmac')
        first = s.get(srv.base + '/bo/api/paybox-public-key', timeout=30).text
        assert first.startswith('-----BEGIN PUBLIC KEY-----')
        assert srv.stop() == 0
        srv.start()  # sessions survive a restart
        r = s.get(srv.base + '/bo/api/paybox-public-key', timeout=30)
        assert r.status_code == 200 and r.text == first
    finally:
        assert srv.stop() == 0
    assert srv.read_log().count('event=paybox_key_created') == 1
    # The private key (which holds the modulus) is nowhere in clear: not in the database
    # file, not in its log.
    n = modulus(first)
    for name in (srv.db, srv.db + '-wal'):
        if os.path.exists(name):
            with open(name, 'rb') as f:
                raw = f.read()
            assert n[:64] not in raw and n[-64:] not in raw, name
    other = Server(str(tmp_path / 'b'), transactions=0)
    other.start()
    try:
        assert public_key(other).text != first
    finally:
        assert other.stop() == 0


def test_the_module_verifiers_tell_good_from_bad(tmp_path):
    """paybox_k.py's verifiers, on a K made here with openssl: what the tests of the returns
    rely on accepts a right signature and refuses a wrong one, both ways."""
    key = tmp_path / 'k.pem'
    subprocess.run(['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt',
                    'rsa_keygen_bits:2048', '-out', str(key)], check=True, capture_output=True)
    pem = subprocess.run(['openssl', 'pkey', '-in', str(key), '-pubout'], check=True,
                         capture_output=True).stdout
    data = 'M=1000&R=TEST%20Paybox&T=42&A=XXXXXX&E=00000&P=CARTE&C=VISA&S=42'
    sig = subprocess.run(['openssl', 'dgst', '-sha1', '-sign', str(key)], input=data.encode(),
                         check=True, capture_output=True).stdout
    assert openssl_verify(pem, data.encode(), sig)
    k = urllib.parse.quote(base64.b64encode(sig).decode(), safe='')
    signed = f'{data}&K={k}'
    assert verify_split_last(pem, signed) and verify_k_regex(pem, signed)
    tampered = signed.replace('M=1000', 'M=1001')
    assert not verify_split_last(pem, tampered) and not verify_k_regex(pem, tampered)
    assert not verify_k_regex(pem, data)  # no K at all
