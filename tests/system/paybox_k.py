"""How the merchants' modules verify Guichet's signature K (research/paybox-protocol.md §1.6),
written from the protocol, for the tests of every answer that carries K (the Paybox System
returns and notifications): RSA-SHA1 PKCS#1 v1.5 checked with `openssl dgst -sha1 -verify` on
the public key of GET /bo/api/paybox-public-key.
"""
import base64
import os
import re
import subprocess
import tempfile
import urllib.parse


def openssl_verify(pem, data, signature):
    """`openssl dgst -sha1 -verify pubkey.pem -signature sig data`: True when it says so."""
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for name, content in (('pubkey.pem', pem if isinstance(pem, bytes) else pem.encode()),
                              ('data', data), ('sig', signature)):
            paths[name] = os.path.join(d, name)
            with open(paths[name], 'wb') as f:
                f.write(content)
        out = subprocess.run(['openssl', 'dgst', '-sha1', '-verify', paths['pubkey.pem'],
                              '-signature', paths['sig'], paths['data']],
                             capture_output=True, text=True)
        return out.returncode == 0 and 'Verified OK' in out.stdout


def verify_split_last(pem, query):
    """The official kit's testsign.php and lexik: the query string split at its last '&'; the
    data is what comes before, still URL-encoded as received; the signature the value after
    '=', URL-decoded then base64-decoded."""
    data, _, last = query.rpartition('&')
    _, _, value = last.partition('=')
    return openssl_verify(pem, data.encode(), base64.b64decode(urllib.parse.unquote(value)))


def verify_k_regex(pem, raw):
    """PrestaShop and Magento: '#^(.*)&K=(.*)$#' on the raw body or query string."""
    m = re.match(r'^(.*)&K=(.*)$', raw, re.S)
    if m is None:
        return False
    return openssl_verify(pem, m.group(1).encode(),
                          base64.b64decode(urllib.parse.unquote(m.group(2))))
