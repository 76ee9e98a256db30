"""docs/openapi.yaml against the real server: the documented operations are the route table,
and every answer the server gives to a documented operation has a documented status, a body
that validates against the documented schema, and the documented signature header.

No jsonschema package here: validate() below implements the subset of JSON Schema the
document uses, and test_document_uses_only_supported_keywords keeps it that way."""
import datetime
import json
import os
import re
import sqlite3
import subprocess
import time
import uuid

import pytest
import yaml

from conftest import GUICHETD, ROOT, sign

DOC_PATH = os.path.join(ROOT, 'docs', 'openapi.yaml')
HTTP_METHODS = ('get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace')
UNKNOWN_ID = '999999999999999999'          # 18 digits: matches {id}, names no transaction
# The back office (SPEC §16, /bo/api/) is a separate, cookie-authenticated API: not here.
NOT_DOCUMENTED_HERE = ('/bo/',)


def load_doc():
    with open(DOC_PATH, encoding='utf-8') as f:
        return yaml.safe_load(f)


@pytest.fixture(scope='module')
def doc():
    return load_doc()


# -- a small JSON Schema validator ---------------------------------------------------------------

ANNOTATIONS = {'description', 'format', 'default', 'example', 'examples', 'title', 'deprecated'}
ASSERTIONS = {'$ref', 'type', 'enum', 'const', 'required', 'properties', 'additionalProperties',
              'items', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum',
              'minProperties', 'maxProperties', 'minItems', 'maxItems'}


def resolve(doc, ref):
    """A local JSON pointer reference ("#/components/schemas/Payment/properties/id")."""
    assert ref.startswith('#/'), f'only local references are supported: {ref}'
    node = doc
    for part in ref[2:].split('/'):
        part = part.replace('~1', '/').replace('~0', '~')
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def deref(doc, node):
    while isinstance(node, dict) and '$ref' in node:
        node = resolve(doc, node['$ref'])
    return node


def type_ok(t, v):
    return {
        'null': v is None,
        'boolean': isinstance(v, bool),
        'integer': isinstance(v, int) and not isinstance(v, bool),
        'number': isinstance(v, (int, float)) and not isinstance(v, bool),
        'string': isinstance(v, str),
        'array': isinstance(v, list),
        'object': isinstance(v, dict),
    }[t]


def same(a, b):
    """JSON equality: true is not 1."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def validate(doc, schema, v, at='$'):
    """The list of the ways v breaks schema (empty: valid)."""
    errs = []
    unknown = set(schema) - ASSERTIONS - ANNOTATIONS
    assert not unknown, f'{at}: the validator does not know {sorted(unknown)}'
    if '$ref' in schema:
        errs += validate(doc, resolve(doc, schema['$ref']), v, at)
    if 'type' in schema:
        types = schema['type'] if isinstance(schema['type'], list) else [schema['type']]
        if not any(type_ok(t, v) for t in types):
            return errs + [f'{at}: {v!r} is not of type {types}']
    if 'enum' in schema and not any(same(v, e) for e in schema['enum']):
        errs.append(f'{at}: {v!r} is not one of {schema["enum"]}')
    if 'const' in schema and not same(v, schema['const']):
        errs.append(f'{at}: {v!r} is not {schema["const"]!r}')
    if isinstance(v, str):
        if len(v) < schema.get('minLength', 0):
            errs.append(f'{at}: {v!r} is shorter than {schema["minLength"]}')
        if 'maxLength' in schema and len(v) > schema['maxLength']:
            errs.append(f'{at}: {v!r} is longer than {schema["maxLength"]}')
        if 'pattern' in schema and not re.search(schema['pattern'], v):
            errs.append(f'{at}: {v!r} does not match {schema["pattern"]}')
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if 'minimum' in schema and v < schema['minimum']:
            errs.append(f'{at}: {v} < {schema["minimum"]}')
        if 'maximum' in schema and v > schema['maximum']:
            errs.append(f'{at}: {v} > {schema["maximum"]}')
    if isinstance(v, dict):
        for name in schema.get('required', []):
            if name not in v:
                errs.append(f'{at}: {name} is required')
        props = schema.get('properties', {})
        extra = schema.get('additionalProperties', True)
        for name, value in v.items():
            if name in props:
                errs += validate(doc, props[name], value, f'{at}.{name}')
            elif extra is False:
                errs.append(f'{at}: {name} is not allowed')
            elif isinstance(extra, dict):
                errs += validate(doc, extra, value, f'{at}.{name}')
        if len(v) < schema.get('minProperties', 0):
            errs.append(f'{at}: fewer than {schema["minProperties"]} members')
        if 'maxProperties' in schema and len(v) > schema['maxProperties']:
            errs.append(f'{at}: more than {schema["maxProperties"]} members')
    if isinstance(v, list):
        if 'items' in schema:
            for i, item in enumerate(v):
                errs += validate(doc, schema['items'], item, f'{at}[{i}]')
        if len(v) < schema.get('minItems', 0):
            errs.append(f'{at}: fewer than {schema["minItems"]} items')
        if 'maxItems' in schema and len(v) > schema['maxItems']:
            errs.append(f'{at}: more than {schema["maxItems"]} items')
    return errs


def test_validator_itself(doc):
    s = {'type': 'object', 'additionalProperties': False, 'required': ['a'],
         'properties': {'a': {'type': ['integer', 'null'], 'minimum': 1},
                        'b': {'type': 'string', 'enum': ['x', None], 'pattern': '^x$'},
                        'c': {'type': 'array', 'items': {'type': 'boolean'}}}}
    assert validate(doc, s, {'a': 1, 'b': 'x', 'c': [True]}) == []
    assert validate(doc, s, {'a': None}) == []
    assert validate(doc, s, {'a': True})          # a boolean is not an integer
    assert validate(doc, s, {'a': 0})
    assert validate(doc, s, {'a': 1.5})
    assert validate(doc, s, {})
    assert validate(doc, s, {'a': 1, 'z': 1})
    assert validate(doc, s, {'a': 1, 'b': 'y'})
    assert validate(doc, s, {'a': 1, 'c': [1]})
    assert validate(doc, s, [])
    ref = {'$ref': '#/components/schemas/Payment/properties/id'}
    assert validate(doc, ref, '12') == [] and validate(doc, ref, 12)


def walk_schemas(doc):
    """Every schema object of the document, with where it is."""
    todo = [(f'components.schemas.{n}', s) for n, s in doc['components']['schemas'].items()]

    def media(where, content):
        for mt, m in (content or {}).items():
            if 'schema' in m:
                todo.append((f'{where}.{mt}', m['schema']))

    for where, node in list(doc['components'].get('parameters', {}).items()) + \
            list(doc['components'].get('headers', {}).items()):
        todo.append((f'components.{where}', node['schema']))
    for name, resp in doc['components'].get('responses', {}).items():
        media(f'components.responses.{name}', resp.get('content'))
    for path, item in doc['paths'].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            if 'requestBody' in op:
                media(f'{method} {path} body', deref(doc, op['requestBody']).get('content'))
            for code, resp in op['responses'].items():
                media(f'{method} {path} {code}', deref(doc, resp).get('content'))
    while todo:
        where, s = todo.pop()
        yield where, s
        for name, sub in s.get('properties', {}).items():
            todo.append((f'{where}.{name}', sub))
        for key in ('items', 'additionalProperties'):
            if isinstance(s.get(key), dict):
                todo.append((f'{where}.{key}', s[key]))


def test_document_uses_only_supported_keywords(doc):
    assert doc['openapi'].startswith('3.1.')
    for where, s in walk_schemas(doc):
        unknown = set(s) - ASSERTIONS - ANNOTATIONS
        assert not unknown, f'{where} uses {sorted(unknown)}: teach validate() first'
        if '$ref' in s:
            resolve(doc, s['$ref'])                  # every reference resolves


def test_examples_validate(doc):
    for path, item in doc['paths'].items():
        for method, op in item.items():
            if method in HTTP_METHODS and 'requestBody' in op:
                for mt in deref(doc, op['requestBody'])['content'].values():
                    if 'example' in mt:
                        assert validate(doc, mt['schema'], mt['example']) == []


# -- the document and the server ----------------------------------------------------------------

def documented(doc):
    """{(METHOD, path): operation}"""
    return {(m.upper(), p): op for p, item in doc['paths'].items()
            for m, op in item.items() if m in HTTP_METHODS}


def route_table():
    out = subprocess.run([GUICHETD, 'routes'], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    table = {}
    for line in out.stdout.splitlines():
        head, tab, summary = line.partition('\t')
        method, pattern = head.split(' ')
        assert tab and method and pattern.startswith('/'), line
        table[(method, pattern)] = summary
    assert table, 'guichetd routes printed nothing'
    return table


def test_documented_operations_are_the_route_table(doc):
    routes = {k: v for k, v in route_table().items() if not k[1].startswith(NOT_DOCUMENTED_HERE)}
    ops = documented(doc)
    assert set(ops) == set(routes), (
        f'undocumented routes: {sorted(set(routes) - set(ops))}; '
        f'documented but not served: {sorted(set(ops) - set(routes))}')
    for key, op in ops.items():
        assert op['summary'] == routes[key], key


def is_authenticated(doc, op):
    return bool(op.get('security', doc.get('security')))


def response_doc(doc, method, path, status):
    op = documented(doc)[(method, path)]
    resp = op['responses'].get(str(status))
    return None if resp is None else deref(doc, resp)


def concrete(path, pid):
    return path.replace('{id}', str(pid))


def check(doc, server, method, path, r, shop=0):
    """Asserts r (the answer to method path, the documented form) is documented: its status,
    its body against the schema, its headers (the signature when, and only when, the
    document says the answer is signed). Returns the decoded body."""
    resp = response_doc(doc, method, path, r.status_code)
    assert resp is not None, (
        f'{method} {path} answered {r.status_code}, which the document does not list: {r.text}')
    assert r.headers['Content-Type'].startswith('application/json'), r.headers
    body = r.json()
    schema = resp['content']['application/json']['schema']
    errs = validate(doc, schema, body)
    assert not errs, f'{method} {path} {r.status_code}: {errs}\n{r.text}'
    headers = {k: deref(doc, h) for k, h in resp.get('headers', {}).items()}
    for name, h in headers.items():
        if h.get('required'):
            assert name in r.headers, f'{method} {path} {r.status_code}: no {name}'
        if name in r.headers:
            assert validate(doc, h['schema'], r.headers[name]) == [], (name, r.headers[name])
    if 'X-Guichet-Signature' in headers:
        assert r.headers['X-Guichet-Signature'] == sign(server.shop(shop)['hmac_key'], r.content)
    else:
        assert 'X-Guichet-Signature' not in r.headers, (
            f'{method} {path} {r.status_code} is signed but documented as not signed')
    return body


def error_codes(doc, method, path, status):
    schema = deref(doc, response_doc(doc, method, path, status)['content']['application/json']
                   ['schema'])
    return set(schema['properties']['error']['enum'])


def expect_error(doc, server, method, path, r, status, code, shop=0):
    assert r.status_code == status, (method, path, r.status_code, r.text)
    body = check(doc, server, method, path, r, shop=shop)
    assert body['error'] == code
    assert code in error_codes(doc, method, path, status), (
        f'{method} {path} {status} {code} is not among the documented codes')
    return body


# -- (b) a valid request on every operation -----------------------------------------------------

def created(doc, server, **kw):
    r = server.pay(**kw)
    return check(doc, server, 'POST', '/api/v1/payments', r)


def paris_days_plus(server, days, before):
    """The bank dates a payment made between before and the server's now may get: Paris day
    + days."""
    now = datetime.date.fromisoformat(server.paris_day())
    return {(d + datetime.timedelta(days=days)).isoformat() for d in (before, now)}


def scenario_create(doc, server):
    for card in ('4111111111111111', '5555555555554444', '378282246310005'):
        before = datetime.date.fromisoformat(server.paris_day())
        p = created(doc, server, card=card)
        assert p['status'] == 'accepted' and p['acquirer_status'] == 'to_send'
        # The demo's first shop: contracts without deferral, sent to the bank today.
        assert p['bank_date'] in paris_days_plus(server, 0, before)
    p = created(doc, server, card='4000000000000002')
    assert (p['status'], p['refusal_reason']) == ('refused', 'declined')
    p = created(doc, server, capture='manual')
    assert p['acquirer_status'] == 'awaiting_capture' and p['bank_date'] is None
    before = datetime.date.fromisoformat(server.paris_day())
    p = created(doc, server, deferral_days=3, customer_country='BE')
    assert p['customer_country'] == 'BE'
    assert p['bank_date'] in paris_days_plus(server, 3, before)
    g = server.api('GET', f"/api/v1/payments/{p['id']}").json()
    assert g['bank_date'] == p['bank_date']
    body = dict(doc['paths']['/api/v1/payments']['post']['requestBody']['content']
                ['application/json']['example'], order_ref='EX-' + uuid.uuid4().hex[:8])
    r = server.api('POST', '/api/v1/payments', body)
    assert r.status_code == 201, 'the documented example is not accepted: ' + r.text
    check(doc, server, 'POST', '/api/v1/payments', r)


def scenario_get(doc, server):
    for kw in ({}, {'card': '4000000000000002'}, {'capture': 'manual'}):
        p = server.pay(**kw).json()
        path = f"/api/v1/payments/{p['id']}"
        g = check(doc, server, 'GET', '/api/v1/payments/{id}', server.api('GET', path))
        assert g['history'] and {k: v for k, v in g.items() if k != 'history'} == p


def scenario_capture(doc, server):
    p = server.pay(amount=2000, capture='manual').json()
    r = server.api('POST', f"/api/v1/payments/{p['id']}/capture", {'amount': 1500})
    assert r.status_code == 200, r.text
    c = check(doc, server, 'POST', '/api/v1/payments/{id}/capture', r)
    assert (c['acquirer_status'], c['amount_current']) == ('to_send', 1500)
    p = server.pay(amount=900, capture='manual').json()
    r = server.api('POST', f"/api/v1/payments/{p['id']}/capture")      # empty body
    assert r.status_code == 200, r.text
    assert check(doc, server, 'POST', '/api/v1/payments/{id}/capture', r)['amount_current'] == 900


def scenario_cancel(doc, server):
    for body in (None, {}):
        p = server.pay().json()
        r = server.api('POST', f"/api/v1/payments/{p['id']}/cancel", body)
        assert r.status_code == 200, r.text
        c = check(doc, server, 'POST', '/api/v1/payments/{id}/cancel', r)
        assert (c['type'], c['amount_current']) == ('cancellation', 0)


def sent_debit(server, shop=0):
    """A demo debit of the shop that the télécollecte has sent, recent enough to refund."""
    s = server.shop(shop)
    limit_us = server.now_us(-70 * 86400)
    with sqlite3.connect(server.db) as db:
        row = db.execute(
            'SELECT txn.id FROM txn JOIN shop ON shop.id = txn.shop_id '
            'WHERE shop.site = ? AND shop.rang = ? AND type = 0 AND status = 0 AND acq = 3 '
            'AND amount_current > 1 AND accepted_at > ? ORDER BY accepted_at DESC LIMIT 1',
            (s['site'], s['rang'], limit_us)).fetchone()
    return None if row is None else str(row[0])


def scenario_refund(doc, server):
    # Only the télécollecte makes a payment "sent": a fresh one is refused, as documented.
    p = server.pay().json()
    r = server.api('POST', f"/api/v1/payments/{p['id']}/refund", {'amount': 100})
    expect_error(doc, server, 'POST', '/api/v1/payments/{id}/refund', r, 409, 'wrong_state')
    # The demo history has sent debits: refund one in part, through the API.
    pid = sent_debit(server)
    if pid is None:
        pytest.skip('the demo database has no recent sent debit to refund')
    r = server.api('POST', f'/api/v1/payments/{pid}/refund', {'amount': 1})
    assert r.status_code == 201, r.text
    rf = check(doc, server, 'POST', '/api/v1/payments/{id}/refund', r)
    assert (rf['type'], rf['parent_id'], rf['amount_initial']) == ('refund', pid, 1)
    g = check(doc, server, 'GET', '/api/v1/payments/{id}',
              server.api('GET', f'/api/v1/payments/{pid}'))
    assert g['amount_refunded'] >= 1 and g['history'][-1]['action'] == 'refund'
    g = check(doc, server, 'GET', '/api/v1/payments/{id}',
              server.api('GET', f"/api/v1/payments/{rf['id']}"))
    assert g['type'] == 'refund'


def scenario_health(doc, server):
    import requests
    r = requests.get(server.base + '/healthz', timeout=10)
    assert r.status_code == 200
    h = check(doc, server, 'GET', '/healthz', r)
    assert h['status'] == 'ok'
    # The server's clock: the pinned one the tests run on.
    at = datetime.datetime.fromisoformat(h['time'].replace('Z', '+00:00')).timestamp()
    assert abs(at - server.now()) < 1


SCENARIOS = {
    ('POST', '/api/v1/payments'): scenario_create,
    ('GET', '/api/v1/payments/{id}'): scenario_get,
    ('POST', '/api/v1/payments/{id}/capture'): scenario_capture,
    ('POST', '/api/v1/payments/{id}/cancel'): scenario_cancel,
    ('POST', '/api/v1/payments/{id}/refund'): scenario_refund,
    ('GET', '/healthz'): scenario_health,
}


def test_every_documented_operation_has_a_scenario(doc):
    assert set(SCENARIOS) == set(documented(doc))


@pytest.mark.parametrize('op', sorted(SCENARIOS), ids=lambda op: f'{op[0]} {op[1]}')
def test_valid_request_gets_a_documented_answer(doc, server, op):
    SCENARIOS[op](doc, server)


def test_every_demo_transaction_renders_as_documented(doc, server):
    """The shop's whole demo history (refused, manual, cancelled, sent, refunds, PayPal)."""
    s = server.shop()
    with sqlite3.connect(server.db) as db:
        ids = [r[0] for r in db.execute(
            'SELECT txn.id FROM txn JOIN shop ON shop.id = txn.shop_id '
            'WHERE shop.site = ? AND shop.rang = ? ORDER BY txn.id', (s['site'], s['rang']))]
    assert ids
    seen = set()
    for pid in ids:
        r = server.api('GET', f'/api/v1/payments/{pid}')
        assert r.status_code == 200, r.text
        g = check(doc, server, 'GET', '/api/v1/payments/{id}', r)
        seen.add((g['type'], g['status'], g['acquirer_status']))
    assert ('debit', 'refused', 'na') in seen and ('debit', 'accepted', 'sent') in seen


# -- (c) bad signatures and unknown ids ---------------------------------------------------------

AUTH_OPS = [('POST', '/api/v1/payments'), ('GET', '/api/v1/payments/{id}'),
            ('POST', '/api/v1/payments/{id}/capture'), ('POST', '/api/v1/payments/{id}/cancel'),
            ('POST', '/api/v1/payments/{id}/refund')]


def test_auth_ops_are_the_authenticated_operations(doc):
    assert sorted(AUTH_OPS) == sorted(k for k, op in documented(doc).items()
                                      if is_authenticated(doc, op))


def request_body(method, path):
    if method == 'GET':
        return None
    if path == '/api/v1/payments':
        return {'amount': 1000, 'currency': 'EUR', 'order_ref': 'SIG-' + uuid.uuid4().hex[:8],
                'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'}}
    return {}


@pytest.mark.parametrize('op', AUTH_OPS, ids=lambda op: f'{op[0]} {op[1]}')
@pytest.mark.parametrize('how,code', [
    ('zeros', 'bad_signature'), ('other_key', 'bad_signature'), ('truncated', 'bad_signature'),
    ('not_hex', 'bad_signature'), ('other_path', 'bad_signature'),
    ('missing', 'missing_signature'), ('no_site', 'missing_signature'),
    ('unknown_shop', 'unknown_shop'),
])
def test_bad_signature_is_401_and_documented(doc, server, op, how, code):
    method, path = op
    if how == 'other_path' and '{id}' not in path:
        pytest.skip('POST /api/v1/payments signs the body only')
    pid = server.pay(capture='manual').json()['id']
    real = concrete(path, pid)
    body = request_body(method, path)
    data = b'' if body is None else json.dumps(body).encode()
    good = sign(server.shop()['hmac_key'],
                data if path == '/api/v1/payments' else f'{method} {real}\n'.encode() + data)
    kw = {}
    if how == 'zeros':
        kw['signature'] = '00' * 64
    elif how == 'other_key':
        kw['key'] = server.shop(1)['hmac_key']
    elif how == 'truncated':
        kw['signature'] = good[:-2]
    elif how == 'not_hex':
        kw['signature'] = 'zz' + good[2:]
    elif how == 'other_path':
        other = server.pay(capture='manual').json()['id']
        kw['signature'] = sign(server.shop()['hmac_key'],
                               f'{method} {concrete(path, other)}\n'.encode() + data)
    elif how == 'missing':
        kw['headers'] = {'X-Guichet-Signature': None}
    elif how == 'no_site':
        kw['headers'] = {'X-Guichet-Site': None}
    elif how == 'unknown_shop':
        kw['shop'] = {'site': '0000000', 'rang': '999', 'hmac_key': server.shop()['hmac_key']}
    r = server.api(method, real, body, **kw)
    expect_error(doc, server, method, path, r, 401, code)
    # Nothing happened: the payment is still awaiting capture.
    g = server.api('GET', f'/api/v1/payments/{pid}').json()
    assert (g['type'], g['acquirer_status']) == ('debit', 'awaiting_capture')


@pytest.mark.parametrize('op', [o for o in AUTH_OPS if '{id}' in o[1]],
                         ids=lambda op: f'{op[0]} {op[1]}')
def test_unknown_id_is_404_and_documented(doc, server, op):
    method, path = op
    r = server.api(method, concrete(path, UNKNOWN_ID), request_body(method, path))
    expect_error(doc, server, method, path, r, 404, 'not_found')
    # Another shop's payment is not found either.
    pid = server.pay(shop=1).json()['id']
    r = server.api(method, concrete(path, pid), request_body(method, path))
    expect_error(doc, server, method, path, r, 404, 'not_found')


# -- the other documented answers ---------------------------------------------------------------

POST_OPS = [o for o in AUTH_OPS if o[0] == 'POST']


@pytest.mark.parametrize('op', POST_OPS, ids=lambda op: op[1])
def test_bad_body_is_400_and_documented(doc, server, op):
    method, path = op
    pid = server.pay(capture='manual').json()['id']
    real = concrete(path, pid)
    r = server.api(method, real, raw=b'{"amount":')
    expect_error(doc, server, method, path, r, 400, 'bad_json')
    r = server.api(method, real, raw=b'[]')
    expect_error(doc, server, method, path, r, 400, 'bad_json')
    r = server.api(method, real, dict(request_body(method, path), surprise=1))
    body = expect_error(doc, server, method, path, r, 400, 'invalid_field')
    assert body['field'] == 'surprise'
    r = server.api(method, real, request_body(method, path),
                   headers={'Idempotency-Key': 'has space'})
    body = expect_error(doc, server, method, path, r, 400, 'bad_idempotency_key')
    assert 'field' not in body


@pytest.mark.parametrize('op', sorted(documented(load_doc())),
                         ids=lambda op: f'{op[0]} {op[1]}')
def test_body_over_the_limit_is_413_and_documented(doc, server, op):
    method, path = op
    real = concrete(path, UNKNOWN_ID)
    size = 64 + 1 if method == 'GET' else 16 * 1024 + 1  # LIMIT_BODY_NONE, LIMIT_BODY_API
    r = server.api(method, real, raw=b' ' * size)
    expect_error(doc, server, method, path, r, 413, 'body_too_large')
    if method == 'POST':                 # the limit itself is accepted (and then judged)
        r = server.api(method, real, raw=b' ' * (16 * 1024))
        assert r.status_code != 413


def test_create_refusals_are_documented(doc, server):
    path = '/api/v1/payments'
    r = server.pay(card='3530111333300000')          # JCB: the demo shops have no contract
    expect_error(doc, server, 'POST', path, r, 422, 'no_contract')
    key = 'openapi-' + uuid.uuid4().hex
    a = server.pay(amount=1111, headers={'Idempotency-Key': key})
    b = server.api('POST', path, raw=a.request.body, headers={'Idempotency-Key': key})
    assert (a.status_code, b.status_code) == (201, 201) and a.content == b.content
    check(doc, server, 'POST', path, b)
    c = server.pay(amount=1112, headers={'Idempotency-Key': key})
    expect_error(doc, server, 'POST', path, c, 409, 'idempotency_conflict')


def test_operation_refusals_are_documented(doc, server):
    cap = '/api/v1/payments/{id}/capture'
    can = '/api/v1/payments/{id}/cancel'
    ref = '/api/v1/payments/{id}/refund'
    p = server.pay(amount=1000, capture='manual').json()
    r = server.api('POST', concrete(cap, p['id']), {'amount': 1001})
    expect_error(doc, server, 'POST', cap, r, 422, 'amount_too_high')
    r = server.api('POST', concrete(can, p['id']))
    expect_error(doc, server, 'POST', can, r, 409, 'wrong_state')
    refused = server.pay(card='4000000000000002').json()
    for path in (cap, can, ref):
        r = server.api('POST', concrete(path, refused['id']))
        expect_error(doc, server, 'POST', path, r, 409, 'not_accepted')
    cancelled = server.pay().json()
    assert server.api('POST', concrete(can, cancelled['id'])).status_code == 200
    r = server.api('POST', concrete(can, cancelled['id']))
    expect_error(doc, server, 'POST', can, r, 409, 'wrong_type')
    # Idempotency on an operation: replay, then another request with the key.
    q = server.pay(amount=1000, capture='manual').json()
    key = 'openapi-op-' + uuid.uuid4().hex
    a = server.api('POST', concrete(cap, q['id']), {'amount': 500},
                   headers={'Idempotency-Key': key})
    b = server.api('POST', concrete(cap, q['id']), {'amount': 500},
                   headers={'Idempotency-Key': key})
    assert (a.status_code, b.status_code) == (200, 200) and a.content == b.content
    check(doc, server, 'POST', cap, b)
    c = server.api('POST', concrete(can, q['id']), headers={'Idempotency-Key': key})
    expect_error(doc, server, 'POST', can, c, 409, 'idempotency_conflict')


# The request schema and the server's validation agree where the schema can say it.
VALID = {'amount': 1000, 'currency': 'EUR', 'order_ref': 'S-1',
         'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'}}


def variant(**changes):
    b = json.loads(json.dumps(VALID))
    for k, v in changes.items():
        if v is None:
            b.pop(k, None)
        else:
            b[k] = v
    return b


@pytest.mark.parametrize('body', [
    VALID,
    variant(amount=1), variant(amount=99999999999), variant(amount=0), variant(amount=-1),
    variant(amount=100000000000), variant(amount=10.5), variant(amount='1000'),
    variant(amount=True), variant(amount=None),
    variant(currency='eur'), variant(currency='EURO'), variant(currency=978),
    variant(currency=None),
    variant(order_ref=''), variant(order_ref='x' * 250), variant(order_ref='x' * 251),
    variant(order_ref=None),
    variant(email='a@b.fr'), variant(email=''), variant(email='x' * 250 + '@b.fr'),
    variant(customer_country='FR'), variant(customer_country='fr'),
    variant(customer_country='FRA'),
    variant(capture='auto'), variant(capture='manual'), variant(capture='later'),
    variant(capture=None), variant(deferral_days=0), variant(deferral_days=30),
    variant(deferral_days=31), variant(deferral_days=-1), variant(deferral_days='2'),
    variant(card=None), variant(card='4111111111111111'),
    variant(card={'number': '4111111111111111', 'expiry': '1230'}),
    variant(card={'number': '4111111111111111', 'expiry': '1230', 'cvv': '123', 'x': 1}),
    variant(card={'number': '4111111111111111', 'expiry': '1330', 'cvv': '123'}),
    variant(card={'number': '4111111111111111', 'expiry': '1230', 'cvv': '12a'}),
    variant(card={'number': '4111 1111 1111 1111', 'expiry': '1230', 'cvv': '123'}),
    variant(extra='x'),
], ids=lambda b: json.dumps(b, sort_keys=True)[:80])
def test_request_schema_agrees_with_the_server(doc, server, body):
    schema = {'$ref': '#/components/schemas/PaymentCreate'}
    valid = validate(doc, schema, body) == []
    r = server.api('POST', '/api/v1/payments', body)
    check(doc, server, 'POST', '/api/v1/payments', r)
    assert (r.status_code != 400) == valid, (valid, r.status_code, r.text)


def test_unknown_path_and_method_are_unsigned_as_documented(doc, server):
    r = server.api('GET', '/api/v1/nothing')
    assert r.status_code == 404 and 'X-Guichet-Signature' not in r.headers
    assert validate(doc, {'$ref': '#/components/schemas/ErrorNotFound'}, r.json()) == []
    r = server.api('GET', '/api/v1/payments/0')            # {id} is never 0
    assert r.status_code == 404 and 'X-Guichet-Signature' not in r.headers
    r = server.api('DELETE', '/api/v1/payments')
    assert r.status_code == 405 and 'X-Guichet-Signature' not in r.headers
    assert validate(doc, {'$ref': '#/components/schemas/Error'}, r.json()) == []
    assert r.json()['error'] == 'method_not_allowed'


def test_documented_test_cards(doc, server):
    """The simulator table of the description, row by row (demo contracts: 3-D Secure on
    for CB, VISA, MASTERCARD; no JCB contract)."""
    rows = [[c.strip() for c in line.split('|')[1:6]]
            for line in doc['info']['description'].splitlines()
            if re.match(r'^\| \d{12,19} \|', line)]
    assert len(rows) >= 13
    for number, scheme, outcome, reason, tds in rows:
        r = server.pay(card=number)
        if scheme == 'JCB':
            expect_error(doc, server, 'POST', '/api/v1/payments', r, 422, 'no_contract')
            continue
        p = check(doc, server, 'POST', '/api/v1/payments', r)
        assert (p['status'], p['refusal_reason'] or '') == (outcome, reason), number
        want_tds = None if tds == 'none' else tds
        assert p['three_d_secure']['authenticated'] == want_tds, number
