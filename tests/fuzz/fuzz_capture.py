"""A pytest plugin that records what the system tests send, for the fuzz targets' seeds
(tests/fuzz/seeds.py): every HTTP request made through requests, and the arguments of every
guichetd started, one JSON object a line in $GUICHET_FUZZ_CAPTURE. It changes nothing of
what the tests do."""
import base64
import json
import os
import subprocess
import urllib.parse

import requests

_OUT = open(os.environ['GUICHET_FUZZ_CAPTURE'], 'a', encoding='utf-8')
_send = requests.Session.send
_popen_init = subprocess.Popen.__init__


def _write(record):
    _OUT.write(json.dumps(record) + '\n')
    _OUT.flush()


def _send_recorded(self, request, **kwargs):
    url = urllib.parse.urlsplit(request.url)
    body = request.body or b''
    if isinstance(body, str):
        body = body.encode()
    _write({'kind': 'http', 'method': request.method,
            'path': url.path + ('?' + url.query if url.query else ''),
            'headers': dict(request.headers), 'body': base64.b64encode(body).decode()})
    return _send(self, request, **kwargs)


def _popen_recorded(self, args, *rest, **kwargs):
    if isinstance(args, (list, tuple)) and args and 'guichetd' in str(args[0]):
        _write({'kind': 'argv', 'argv': [str(a) for a in args[1:]]})
    _popen_init(self, args, *rest, **kwargs)


requests.Session.send = _send_recorded
subprocess.Popen.__init__ = _popen_recorded
