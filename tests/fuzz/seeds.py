#!/usr/bin/python3
"""Seeds the fuzz targets' corpora (tests/fuzz/corpus/TARGET/) with what the test suites send.

usage: tests/fuzz/seeds.py [CAPTURE.jsonl]

Without a file, runs the system tests against $GUICHETD (default build/src/guichetd) with the
fuzz_capture plugin first, which records every HTTP request and every guichetd command line.
Each request becomes an input of the form its targets read (docs/FUZZING.md); the string
literals of the unit tests seed the targets of pure functions. Inputs are added, named by the
SHA-1 of their content as libFuzzer names them; `make fuzz-merge` then keeps only those that
add coverage.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, 'corpus')
# The demo user the back office's user routes act on in the fuzz server (server.c: created
# right after the demo's five users) and its login: the demo's own users are the harness's.
TARGET_ID, TARGET_LOGIN = 6, 'fuzz.target'
# The headers the server reads, kept in the headers target's inputs.
HEADERS = ('cookie', 'x-csrf-token', 'x-guichet-site', 'x-guichet-rang', 'x-guichet-signature',
           'idempotency-key', 'if-none-match', 'content-type')

seeds = {}


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) <= 4096:
        seeds.setdefault(target, set()).add(data)


def capture():
    out = tempfile.NamedTemporaryFile(suffix='.jsonl', delete=False).name
    env = dict(os.environ, GUICHET_FUZZ_CAPTURE=out, PYTHONPATH=HERE,
               GUICHETD=os.environ.get('GUICHETD', os.path.join(ROOT, 'build/src/guichetd')))
    subprocess.run(['/usr/bin/python3', '-m', 'pytest', '-q', '-p', 'fuzz_capture',
                    os.path.join(ROOT, 'tests/system')], env=env, cwd=ROOT, check=False)
    return out


def strings(value, keys=False):
    """Every string (and, with keys, every member name) in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if keys:
                yield k
            yield from strings(v, keys)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, keys)


def own_users(path, body):
    """The request as the fuzz server's harness lets it through: user routes on its target
    user, sign-ins as that user rather than as a demo user the harness holds."""
    path = re.sub(r'^/bo/api/users/\d+', f'/bo/api/users/{TARGET_ID}', path)
    if path.startswith('/bo/api/session') and body:
        try:
            obj = json.loads(body)
        except ValueError:
            return path, body
        if isinstance(obj, dict) and str(obj.get('login', '')).startswith('demo.'):
            obj['login'] = TARGET_LOGIN
            body = json.dumps(obj).encode()
    return path, body


def http(rec):
    method, body = rec['method'], base64.b64decode(rec['body'])
    path, body = own_users(rec['path'], body)
    line = f'{method} {path}'.encode()
    if path.startswith('/api/v1/'):
        add('api', line + b'\n' + body)
    if path.startswith('/bo/api/') and (body or method != 'GET'):
        add('bo', line + b'\n' + body)
    if '?' in path or method == 'GET':
        add('query', line)
    head = [f'{k}: {v}' for k, v in rec['headers'].items() if k.lower() in HEADERS]
    add('headers', line + b'\n' + '\n'.join(head).encode() + b'\n\n' + body)
    # The same with the harness's authentication, and only what else the test sent.
    own = [h for h in head if h.split(':')[0].lower() in ('idempotency-key', 'if-none-match')]
    if own:
        add('headers', line + b'\n' + '\n'.join(own).encode() + b'\n\n' + body)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    for key in ('from', 'to'):
        for v in query.get(key, ()):
            add('dates', v)
    try:
        obj = json.loads(body) if body else None
    except ValueError:
        obj = None
    card = obj.get('card') if isinstance(obj, dict) else None
    if isinstance(card, dict) and isinstance(card.get('number'), str):
        add('card', card['number'] + '\0' + str(card.get('expiry', '')))
    values = [s for s in strings(obj) if len(s) <= 200]
    for s in values:
        add('text', s)
        add('csv', s)
    for s in strings(obj, keys=True):
        add('log', s)
    add('log', path)
    if values:
        add('csv', '\0'.join(values[:12]))


def argv(rec):
    args = rec['argv']
    skip = 2 if args[:2] == ['batch', 'run'] else 1
    options = args[skip:]
    if options:
        add('cli', '\0'.join(options))
    for flag, value in zip(options, options[1:]):
        if flag in ('--now', '--date'):
            add('dates', value)


def c_literals(path):
    """The string literals of a C file, decoded (escapes as C reads them)."""
    with open(path, encoding='utf-8') as f:
        text = re.sub(r'/\*.*?\*/', '', f.read(), flags=re.S)
    for lit in re.findall(r'"((?:[^"\\\n]|\\.)*)"', text):
        yield re.sub(rb'\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)', unescape,
                     lit.encode('utf-8')).decode('utf-8', 'surrogateescape')


def unescape(m):
    e = m.group(1)
    if e[:1] == b'x':
        return bytes([int(e[1:], 16)])
    if e[:1].isdigit():
        return bytes([int(e, 8) & 0xff])
    return {b'n': b'\n', b'r': b'\r', b't': b'\t', b'0': b'\0'}.get(e, e)


def unit_tests():
    unit = os.path.join(ROOT, 'tests/unit')
    for s in c_literals(os.path.join(unit, 'test_csv.c')):
        add('csv', s.encode('utf-8', 'surrogateescape'))
    zones, dates = [], []
    for name in ('test_calendar.c', 'test_tz.c'):
        for s in c_literals(os.path.join(unit, name)):
            if re.match(r'\d{4}-\d\d-\d\d', s):
                dates.append(s)
                add('dates', s)
            elif re.fullmatch(r'[A-Z][A-Za-z_]+/[A-Za-z_]+|UTC', s):
                zones.append(s)
    # The input "TEXT ZONE": each zone of the tests with a date of theirs.
    for i, zone in enumerate(zones):
        if dates:
            add('dates', dates[i % len(dates)] + ' ' + zone)
    for s in c_literals(os.path.join(unit, 'test_card.c')):
        if re.fullmatch(r'[\d \-]{4,25}', s):
            add('card', s)
    for s in c_literals(os.path.join(unit, 'test_log.c')):
        add('log', s.encode('utf-8', 'surrogateescape'))
        add('text', s.encode('utf-8', 'surrogateescape'))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else capture()
    with open(path, encoding='utf-8') as f:
        for line in f:
            rec = json.loads(line)
            (http if rec['kind'] == 'http' else argv)(rec)
    unit_tests()
    for target, inputs in sorted(seeds.items()):
        folder = os.path.join(CORPUS, target)
        os.makedirs(folder, exist_ok=True)
        for data in inputs:
            with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), 'wb') as f:
                f.write(data)
        print(f'seeds: {target}: {len(inputs)} inputs')


if __name__ == '__main__':
    main()
