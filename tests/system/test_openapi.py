"""docs/openapi.yaml against the real server: the documented operations are the route table,
and every answer the server gives to a documented operation has a documented status, a body
that validates against the documented schema, and the documented signature header.

No jsonschema package here: validate() below implements the subset of JSON Schema the
document uses, and test_document_uses_only_supported_keywords keeps it that way."""
import datetime
import json
import os
import re
import subprocess
import time
import uuid

import pytest
import yaml

from conftest import COLLECTIONS, GUICHETD, ROOT, Server, connect, q, sign

DOC_PATH = os.path.join(ROOT, 'docs', 'openapi.yaml')
HTTP_METHODS = ('get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace')
UNKNOWN_ID = '999999999999999999'          # 18 digits: matches {id}, names no transaction
# The back office (SPEC §16, /bo/api/) is a separate, cookie-authenticated API: not here. Nor
# the hosted payment page (/pay): a buyer's browser posts its forms and gets HTML; its signed
# request and return are documented in README "The hosted payment page" (test_hosted.py).
# Nor the Paybox protocols' entry points (SPEC §16.1; Paybox System's /cgi/, /php/ and the
# root's POST among them): forms and Paybox's own answers, not
# JSON, documented in docs/PAYBOX.md from research/paybox-protocol.md. Nor the operator's
# /metrics: Prometheus's text, for whoever runs the server, in README "Metrics"
# (test_metrics.py).
NOT_DOCUMENTED_HERE = ('/bo/', '/pay', '/PPPS.php', '/load.html', '/cgi/', '/php/',
                       '/metrics')


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
              'minProperties', 'maxProperties', 'minItems', 'maxItems', 'oneOf', 'anyOf', 'not',
              'dependentRequired'}
# The keywords whose value is a list of schemas, or one schema.
SCHEMA_LISTS = ('oneOf', 'anyOf')
SCHEMA_ONE = ('items', 'additionalProperties', 'not')


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
    if isinstance(v, dict):
        for name, needs in schema.get('dependentRequired', {}).items():
            if name in v:
                errs += [f'{at}: {name} needs {n}' for n in needs if n not in v]
    if 'oneOf' in schema:
        ok = [i for i, sub in enumerate(schema['oneOf']) if not validate(doc, sub, v, at)]
        if len(ok) != 1:
            errs.append(f'{at}: matches {len(ok)} of oneOf (indexes {ok}), not exactly 1')
    if 'anyOf' in schema and all(validate(doc, sub, v, at) for sub in schema['anyOf']):
        errs.append(f'{at}: matches none of anyOf')
    if 'not' in schema and not validate(doc, schema['not'], v, at):
        errs.append(f'{at}: matches the schema of not')
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
    one = {'type': 'object', 'oneOf': [{'required': ['a']}, {'required': ['b']}],
           'dependentRequired': {'c': ['b']},
           'anyOf': [{'required': ['a']}, {'properties': {'d': {'const': False}}}]}
    assert validate(doc, one, {'a': 1}) == [] and validate(doc, one, {'b': 1, 'c': 1}) == []
    assert validate(doc, one, {'b': 1, 'd': False}) == []
    assert validate(doc, one, {'a': 1, 'b': 1})   # both: not exactly one
    assert validate(doc, one, {})                 # neither
    assert validate(doc, one, {'a': 1, 'c': 1})   # c without b
    assert validate(doc, one, {'b': 1, 'd': True})  # d true without a
    no = {'type': 'integer', 'not': {'const': 1}}
    assert validate(doc, no, 2) == [] and validate(doc, no, 1)


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
        for key in SCHEMA_ONE:
            if isinstance(s.get(key), dict):
                todo.append((f'{where}.{key}', s[key]))
        for key in SCHEMA_LISTS:
            for i, sub in enumerate(s.get(key, [])):
                todo.append((f'{where}.{key}[{i}]', sub))


def test_document_uses_only_supported_keywords(doc):
    assert doc['openapi'].startswith('3.1.')
    for where, s in walk_schemas(doc):
        unknown = set(s) - ASSERTIONS - ANNOTATIONS
        assert not unknown, f'{where} uses {sorted(unknown)}: teach validate() first'
        if '$ref' in s:
            resolve(doc, s['$ref'])                  # every reference resolves


def request_examples(doc, method, path):
    """{name: example} of an operation's request body ('example' alone is named '')."""
    op = doc['paths'][path][method.lower()]
    out = {}
    for mt in deref(doc, op['requestBody'])['content'].values():
        assert not ('example' in mt and 'examples' in mt), f'{method} {path}: both forms'
        if 'example' in mt:
            out[''] = mt['example']
        out.update({n: deref(doc, e)['value'] for n, e in mt.get('examples', {}).items()})
    return out


def test_examples_validate(doc):
    seen = 0
    for path, item in doc['paths'].items():
        for method, op in item.items():
            content = deref(doc, op['requestBody'])['content'] if 'requestBody' in op else {}
            if method in HTTP_METHODS and 'application/json' in content:  # not a file's
                schema = content['application/json']['schema']
                for name, ex in request_examples(doc, method, path).items():
                    assert validate(doc, schema, ex) == [], (method, path, name)
                    seen += 1
    assert seen >= 8


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
    routes = {k: v for k, v in route_table().items()
              if not k[1].startswith(NOT_DOCUMENTED_HERE) and k[1] != '/'}
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
    """The path of the documented form path for pid (an id, or an alias for {key})."""
    return path.replace('{id}', str(pid)).replace('{key}', str(pid))


def check(doc, server, method, path, r, shop=0):
    """Asserts r (the answer to method path, the documented form) is documented: its status,
    its body against the schema, its headers (the signature when, and only when, the
    document says the answer is signed). Returns the decoded body."""
    resp = response_doc(doc, method, path, r.status_code)
    assert resp is not None, (
        f'{method} {path} answered {r.status_code}, which the document does not list: {r.text}')
    if 'content' in resp:
        assert r.headers['Content-Type'].startswith('application/json'), r.headers
        body = r.json()
        schema = resp['content']['application/json']['schema']
        errs = validate(doc, schema, body)
        assert not errs, f'{method} {path} {r.status_code}: {errs}\n{r.text}'
    else:                                # 204: documented without a body, and has none
        assert r.content == b'', f'{method} {path} {r.status_code} has a body: {r.text}'
        body = None
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
    assert (p['status'], p['refusal_reason']) == ('refused', 'acquirer_refused')
    p = created(doc, server, capture='manual')
    assert p['acquirer_status'] == 'awaiting_capture' and p['bank_date'] is None
    before = datetime.date.fromisoformat(server.paris_day())
    p = created(doc, server, deferral_days=3, customer_country='BE')
    assert p['customer_country'] == 'BE'
    assert p['bank_date'] in paris_days_plus(server, 3, before)
    g = server.api('GET', f"/api/v1/payments/{p['id']}").json()
    assert g['bank_date'] == p['bank_date']
    examples = request_examples(doc, 'POST', '/api/v1/payments')
    made = None
    for name in ('card', 'save_alias', 'alias'):
        body = dict(examples[name], order_ref='EX-' + uuid.uuid4().hex[:8])
        if name == 'alias':               # the example's alias is made up: one of the shop's
            body['alias'] = made
        r = server.api('POST', '/api/v1/payments', body)
        assert r.status_code == 201, f'the documented example {name} is not accepted: {r.text}'
        p = check(doc, server, 'POST', '/api/v1/payments', r)
        assert p['status'] == 'accepted'
        assert ('alias' in p) == (name != 'card')
        made = made or p.get('alias')
    assert made and p['alias'] == made
    # A refused payment asked to keep its card: alias null.
    p = created(doc, server, card='4000000000000002', save_alias=True)
    assert p['status'] == 'refused' and p['alias'] is None
    # save_alias false: no alias member.
    p = created(doc, server, save_alias=False)
    assert 'alias' not in p


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
    with connect(server.db) as db:
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


# -- aliases, installment plans, subscriptions ------------------------------------------------

def card_kept(number='4111111111111111', expiry='1230', cvv=None):
    c = {'number': number, 'expiry': expiry}
    if cvv:
        c['cvv'] = cvv
    return c


def new_alias(doc, server, shop=0, **kw):
    r = server.api('POST', '/api/v1/aliases', {'card': card_kept(**kw)}, shop=shop)
    assert r.status_code == 201, r.text
    return check(doc, server, 'POST', '/api/v1/aliases', r, shop=shop)['alias']


def plan_body(server, days=(0, 30, 60), amounts=(3334, 3333, 3333), **extra):
    b = {'currency': 'EUR', 'order_ref': 'OAP-' + uuid.uuid4().hex[:8], 'card': card_kept(),
         'installments': [{'amount': a, 'date': server.paris_day(d)}
                          for a, d in zip(amounts, days)]}
    b.update(extra)
    return {k: v for k, v in b.items() if v is not None}


def sub_body(server, **extra):
    b = {'currency': 'EUR', 'order_ref': 'OAS-' + uuid.uuid4().hex[:8], 'card': card_kept(),
         'initial_amount': 1000, 'amount': 500, 'count': 3, 'every_months': 1,
         'day_of_month': 31, 'start': server.paris_day(5)}
    b.update(extra)
    return {k: v for k, v in b.items() if v is not None}


def with_alias(body, alias, cvv=None):
    b = dict(body, alias=alias)
    del b['card']
    if cvv:
        b['cvv'] = cvv
    return b


PLANS = '/api/v1/installment-plans'
SUBS = '/api/v1/subscriptions'
ORDER_FILES = '/api/v1/order-files'
ORDER_HEADER = ('operation,reference,amount,currency,card_number,card_expiry,alias,'
                'transaction_id,capture')


def plan(doc, server, body, shop=0):
    r = server.api('POST', PLANS, body, shop=shop)
    assert r.status_code == 201, r.text
    return check(doc, server, 'POST', PLANS, r, shop=shop)


def subscription(doc, server, body, shop=0):
    r = server.api('POST', SUBS, body, shop=shop)
    assert r.status_code == 201, r.text
    return check(doc, server, 'POST', SUBS, r, shop=shop)


def post_examples(doc, server, path, adapt=lambda name, body: body):
    """Sends the documented examples of POST path, each adapted to the server's dates
    (adapt), with an order reference of its own and a real alias for the made-up one."""
    for name, ex in request_examples(doc, 'POST', path).items():
        body = adapt(name, dict(ex))
        if 'order_ref' in body:
            body['order_ref'] = 'EX-' + uuid.uuid4().hex[:8]
        if 'alias' in body:
            body['alias'] = new_alias(doc, server)
        r = server.api('POST', path, body)
        assert r.status_code == 201, f'the documented example {name} is not accepted: {r.text}'
        check(doc, server, 'POST', path, r)


def scenario_alias_create(doc, server):
    for number, cvv, method in (('4111111111111111', None, 'VISA'),
                                ('5555555555554444', '123', 'MASTERCARD'),
                                ('378282246310005', '1234', 'AMEX'),
                                ('3530111333300000', None, 'JCB')):
        r = server.api('POST', '/api/v1/aliases', {'card': card_kept(number, cvv=cvv)})
        assert r.status_code == 201, r.text
        a = check(doc, server, 'POST', '/api/v1/aliases', r)
        assert a['payment_method'] == method and number not in r.text
    # The card valid to the end of this month (the pinned clock's November 2026).
    month = server.paris_day()[5:7] + server.paris_day()[2:4]
    assert new_alias(doc, server, expiry=month)
    post_examples(doc, server, '/api/v1/aliases')


def scenario_alias_delete(doc, server):
    path = '/api/v1/aliases/{key}'
    for body in (None, {}):
        alias = new_alias(doc, server)
        r = server.api('DELETE', concrete(path, alias), body)
        assert r.status_code == 204, r.text
        check(doc, server, 'DELETE', path, r)
    # Another shop of the brand deletes the first shop's alias: aliases are the account's.
    alias = new_alias(doc, server)
    r = server.api('DELETE', concrete(path, alias), shop=1)
    assert r.status_code == 204, r.text
    check(doc, server, 'DELETE', path, r, shop=1)
    # An alias of a finished or failed plan may go.
    alias = new_alias(doc, server, number='4000000000000002')
    p = plan(doc, server, with_alias(plan_body(server), alias))
    assert p['status'] == 'failed'
    r = server.api('DELETE', concrete(path, alias))
    assert r.status_code == 204, r.text
    check(doc, server, 'DELETE', path, r)


def scenario_plan_create(doc, server):
    p = plan(doc, server, plan_body(server, amount=10000, email='buyer@example.com',
                                    customer_country='BE'))
    assert (p['status'], p['done'], p['remaining'], p['alias']) == ('in_progress', 1, 2, None)
    t = server.api('GET', '/api/v1/payments/' + p['installments'][0]['payment_id']).json()
    assert p['customer_country'] == t['customer_country'] == 'BE'
    assert [i['status'] for i in p['installments']] == ['accepted', 'planned', 'planned']
    # Refused at once: failed, the others cancelled.
    p = plan(doc, server, plan_body(server, card=card_kept('4000000000000002')))
    assert p['status'] == 'failed' and p['end_reason'] == 'acquirer_refused'
    assert [i['status'] for i in p['installments']] == ['refused', 'cancelled', 'cancelled']
    # Not today: nothing decided yet. With an alias, and a CVV beside it.
    alias = new_alias(doc, server)
    p = plan(doc, server, with_alias(plan_body(server, days=(1, 91), amounts=(100, 200)),
                                     alias, cvv='123'))
    assert (p['status'], p['done'], p['alias'], p['next_date']) == (
        'in_progress', 0, alias, server.paris_day(1))
    # A card that runs out before the last installment: will_fail.
    month = server.paris_day()[5:7] + server.paris_day()[2:4]
    p = plan(doc, server, plan_body(server, days=(0, 45), amounts=(100, 100),
                                    card=card_kept(expiry=month)))
    assert p['status'] == 'will_fail'
    # An amount above the contract's maximum: refused by the contract, failed.
    p = plan(doc, server, plan_body(server, amounts=(600000, 100, 100)))
    assert (p['status'], p['end_reason']) == ('failed', 'amount_out_of_range')
    # The documented examples, on today's dates.
    post_examples(doc, server, PLANS, lambda name, body: dict(body, installments=[
        dict(it, date=server.paris_day((name != 'card') + 30 * i))
        for i, it in enumerate(body['installments'])]))


def scenario_plan_get(doc, server):
    for body in (plan_body(server), plan_body(server, card=card_kept('4000000000000002')),
                 plan_body(server, days=(3, 40))):
        p = plan(doc, server, body)
        path = concrete('/api/v1/installment-plans/{id}', p['id'])
        for raw in (b'', b'{}'):
            r = server.api('GET', path, raw=raw)
            assert r.status_code == 200, r.text
            assert check(doc, server, 'GET', '/api/v1/installment-plans/{id}', r) == p


def scenario_sub_create(doc, server):
    s = subscription(doc, server, sub_body(server, email='buyer@example.com',
                                           customer_country='BE'))
    assert [d['number'] for d in s['debits']] == [0, 1, 2, 3]
    assert (s['status'], s['remaining'], s['done']) == ('in_progress', 3, 0)
    t = server.api('GET', '/api/v1/payments/' + s['debits'][0]['payment_id']).json()
    assert t['customer_country'] == 'BE' and t['order_ref'] == s['order_ref']
    # No end, no initial amount: 6 to come, remaining null.
    s = subscription(doc, server, sub_body(server, initial_amount=None, count=0,
                                           every_months=3, day_of_month=15))
    assert s['remaining'] is None and len(s['debits']) == 6
    # Starting today on today's day: the first debit made at once.
    today = int(server.paris_day()[8:10])
    s = subscription(doc, server, sub_body(server, initial_amount=0, day_of_month=today,
                                           start=server.paris_day(), count=2))
    assert s['done'] == 1 and s['debits'][0]['status'] == 'accepted'
    # Refused at once: failed.
    s = subscription(doc, server, sub_body(server, card=card_kept('4000000000000002')))
    assert (s['status'], [d['status'] for d in s['debits']]) == ('failed', ['refused'])
    # With an alias.
    alias = new_alias(doc, server)
    s = subscription(doc, server, with_alias(sub_body(server), alias, cvv='1234'))
    assert s['alias'] == alias
    post_examples(doc, server, SUBS, lambda name, body: dict(body, start=server.paris_day(5)))


def scenario_sub_get(doc, server):
    for body in (sub_body(server), sub_body(server, card=card_kept('4000000000000002')),
                 sub_body(server, initial_amount=0, count=0)):
        s = subscription(doc, server, body)
        r = server.api('GET', concrete('/api/v1/subscriptions/{id}', s['id']))
        assert r.status_code == 200, r.text
        assert check(doc, server, 'GET', '/api/v1/subscriptions/{id}', r) == s


def order_file(doc, server, shop=0, lines=2):
    """A file of payment orders uploaded by the shop: its answer, checked."""
    body = '\r\n'.join([ORDER_HEADER] + [
        f'payment,OF-{uuid.uuid4().hex[:10]},1000,EUR,4111111111111111,1230,,,'
        for _ in range(lines)] + ['payment,bad,x,EUR,,,,,']) + '\r\n'
    r = server.api('POST', ORDER_FILES, raw=body.encode(), shop=shop,
                   headers={'Content-Type': 'text/csv'})
    assert r.status_code == 202, r.text
    up = check(doc, server, 'POST', ORDER_FILES, r, shop=shop)
    # Processed before it is used: the job's payments would change what a test counts.
    path, deadline = f'{ORDER_FILES}/{up["file"]["id"]}', time.time() + 60
    while server.api('GET', path, shop=shop).json()['file']['status'] != 'done_with_errors':
        assert time.time() < deadline, 'the file was not processed'
        time.sleep(0.1)
    return up


def scenario_order_file_upload(doc, server):
    up = order_file(doc, server)
    assert up['file']['status'] == 'received' and up['line_errors_count'] == 1
    empty = server.api('POST', ORDER_FILES, raw=b'', headers={'Content-Type': 'text/csv'})
    expect_error(doc, server, 'POST', ORDER_FILES, empty, 400, 'invalid_field')
    bad = server.api('POST', ORDER_FILES, raw=b'not,the,header\r\n')
    assert expect_error(doc, server, 'POST', ORDER_FILES, bad, 422,
                        'order_file_malformed')['fault'] == 'header'


def scenario_order_file_get(doc, server):
    fid = order_file(doc, server)['file']['id']
    r = server.api('GET', f'{ORDER_FILES}/{fid}')
    body = check(doc, server, 'GET', ORDER_FILES + '/{id}', r)
    assert [i['line'] for i in body['items']] == [2, 3, 4]


SCENARIOS = {
    ('POST', '/api/v1/payments'): scenario_create,
    ('GET', '/api/v1/payments/{id}'): scenario_get,
    ('POST', '/api/v1/payments/{id}/capture'): scenario_capture,
    ('POST', '/api/v1/payments/{id}/cancel'): scenario_cancel,
    ('POST', '/api/v1/payments/{id}/refund'): scenario_refund,
    ('POST', '/api/v1/aliases'): scenario_alias_create,
    ('DELETE', '/api/v1/aliases/{key}'): scenario_alias_delete,
    ('POST', PLANS): scenario_plan_create,
    ('GET', '/api/v1/installment-plans/{id}'): scenario_plan_get,
    ('POST', SUBS): scenario_sub_create,
    ('GET', '/api/v1/subscriptions/{id}'): scenario_sub_get,
    ('GET', '/healthz'): scenario_health,
    ('POST', ORDER_FILES): scenario_order_file_upload,
    ('GET', ORDER_FILES + '/{id}'): scenario_order_file_get,
}


def test_every_documented_operation_has_a_scenario(doc):
    assert set(SCENARIOS) == set(documented(doc))


@pytest.mark.parametrize('op', sorted(SCENARIOS), ids=lambda op: f'{op[0]} {op[1]}')
def test_valid_request_gets_a_documented_answer(doc, server, op):
    SCENARIOS[op](doc, server)


def test_every_demo_transaction_renders_as_documented(doc, server):
    """The shop's whole demo history (refused, manual, cancelled, sent, refunds, PayPal)."""
    s = server.shop()
    with connect(server.db) as db:
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
            ('POST', '/api/v1/payments/{id}/refund'),
            ('POST', '/api/v1/aliases'), ('DELETE', '/api/v1/aliases/{key}'),
            ('POST', PLANS), ('GET', '/api/v1/installment-plans/{id}'),
            ('POST', SUBS), ('GET', '/api/v1/subscriptions/{id}'),
            ('POST', ORDER_FILES), ('GET', ORDER_FILES + '/{id}')]


def test_auth_ops_are_the_authenticated_operations(doc):
    assert sorted(AUTH_OPS) == sorted(k for k, op in documented(doc).items()
                                      if is_authenticated(doc, op))


def request_body(server, method, path):
    """A valid body for the operation (None: none)."""
    if method == 'GET':
        return None
    if path == '/api/v1/payments':
        return {'amount': 1000, 'currency': 'EUR', 'order_ref': 'SIG-' + uuid.uuid4().hex[:8],
                'card': {'number': '4111111111111111', 'expiry': '1230', 'cvv': '123'}}
    if path == '/api/v1/aliases':
        return {'card': card_kept()}
    if path == PLANS:
        return plan_body(server)
    if path == SUBS:
        return sub_body(server)
    return {}


def resource(doc, server, path, shop=0):
    """A resource of the shop that path's {id} or {key} can name: a manual payment awaiting
    capture, an alias, a plan or a subscription (None for a collection)."""
    if path.startswith('/api/v1/payments/'):
        return server.pay(capture='manual', shop=shop).json()['id']
    if path.startswith('/api/v1/aliases/'):
        return new_alias(doc, server, shop=shop)
    if path.startswith(PLANS + '/'):
        return plan(doc, server, plan_body(server), shop=shop)['id']
    if path.startswith(SUBS + '/'):
        return subscription(doc, server, sub_body(server), shop=shop)['id']
    if path.startswith(ORDER_FILES + '/'):
        return order_file(doc, server, shop=shop)['file']['id']
    return None


def recorded(server):
    """What a request could have recorded: the rows of payments, aliases (and deleted ones),
    plans and subscriptions, their debits, and the remembered Idempotency-Keys."""
    return q(server, 'SELECT (SELECT count(*) FROM txn), (SELECT count(*) FROM card_alias), '
                     '(SELECT count(*) FROM card_alias WHERE deleted_at IS NOT NULL), '
                     '(SELECT count(*) FROM recurring), (SELECT count(*) FROM recurring_debit), '
                     '(SELECT count(*) FROM idempotency)')[0]


@pytest.mark.parametrize('op', AUTH_OPS, ids=lambda op: f'{op[0]} {op[1]}')
@pytest.mark.parametrize('how,code', [
    ('zeros', 'bad_signature'), ('other_key', 'bad_signature'), ('truncated', 'bad_signature'),
    ('not_hex', 'bad_signature'), ('other_path', 'bad_signature'),
    ('missing', 'missing_signature'), ('no_site', 'missing_signature'),
    ('unknown_shop', 'unknown_shop'),
])
def test_bad_signature_is_401_and_documented(doc, server, op, how, code):
    method, path = op
    if how == 'other_path' and path in COLLECTIONS:
        pytest.skip(f'{path} signs the body only')
    rid = resource(doc, server, path)
    real = concrete(path, rid)
    body = request_body(server, method, path)
    data = b'' if body is None else json.dumps(body).encode()
    good = sign(server.shop()['hmac_key'],
                data if path in COLLECTIONS else f'{method} {real}\n'.encode() + data)
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
        other = resource(doc, server, path)
        kw['signature'] = sign(server.shop()['hmac_key'],
                               f'{method} {concrete(path, other)}\n'.encode() + data)
    elif how == 'missing':
        kw['headers'] = {'X-Guichet-Signature': None}
    elif how == 'no_site':
        kw['headers'] = {'X-Guichet-Site': None}
    elif how == 'unknown_shop':
        kw['shop'] = {'site': '0000000', 'rang': '999', 'hmac_key': server.shop()['hmac_key']}
    before = recorded(server)
    r = server.api(method, real, body, **kw)
    expect_error(doc, server, method, path, r, 401, code)
    # Nothing happened: nothing recorded, the payment still awaiting capture, the alias alive.
    assert recorded(server) == before
    if path.startswith('/api/v1/payments/'):
        g = server.api('GET', f'/api/v1/payments/{rid}').json()
        assert (g['type'], g['acquirer_status']) == ('debit', 'awaiting_capture')


@pytest.mark.parametrize('op', [o for o in AUTH_OPS if '{id}' in o[1]],
                         ids=lambda op: f'{op[0]} {op[1]}')
def test_unknown_id_is_404_and_documented(doc, server, op):
    method, path = op
    body = request_body(server, method, path)
    r = server.api(method, concrete(path, UNKNOWN_ID), body)
    expect_error(doc, server, method, path, r, 404, 'not_found')
    # Another shop's payment, plan or subscription is not found either.
    rid = resource(doc, server, path, shop=1)
    r = server.api(method, concrete(path, rid), body)
    expect_error(doc, server, method, path, r, 404, 'not_found')
    # Nor the other kind's id: a subscription's on the plans' route, and the reverse.
    if path.startswith((PLANS + '/', SUBS + '/')):
        other = SUBS if path.startswith(PLANS) else PLANS
        rid = resource(doc, server, other + '/{id}')
        r = server.api(method, concrete(path, rid))
        expect_error(doc, server, method, path, r, 404, 'not_found')


# -- the other documented answers ---------------------------------------------------------------

# The JSON routes that write (an order file's body is a file: test_order_files.py).
WRITE_OPS = [o for o in AUTH_OPS if o[0] != 'GET' and o[1] != ORDER_FILES]


@pytest.mark.parametrize('op', WRITE_OPS, ids=lambda op: f'{op[0]} {op[1]}')
def test_bad_body_is_400_and_documented(doc, server, op):
    method, path = op
    real = concrete(path, resource(doc, server, path))
    before = recorded(server)
    r = server.api(method, real, raw=b'{"amount":')
    expect_error(doc, server, method, path, r, 400, 'bad_json')
    r = server.api(method, real, raw=b'[]')
    expect_error(doc, server, method, path, r, 400, 'bad_json')
    r = server.api(method, real, dict(request_body(server, method, path), surprise=1))
    body = expect_error(doc, server, method, path, r, 400, 'invalid_field')
    assert body['field'] == 'surprise'
    r = server.api(method, real, request_body(server, method, path),
                   headers={'Idempotency-Key': 'has space'})
    body = expect_error(doc, server, method, path, r, 400, 'bad_idempotency_key')
    assert 'field' not in body
    assert recorded(server) == before


@pytest.mark.parametrize('op', [o for o in AUTH_OPS if o[0] == 'GET'],
                         ids=lambda op: f'{op[0]} {op[1]}')
def test_get_with_a_body_is_400_and_documented(doc, server, op):
    method, path = op
    real = concrete(path, resource(doc, server, path))
    r = server.api(method, real, raw=b'[]')
    expect_error(doc, server, method, path, r, 400, 'bad_json')
    r = server.api(method, real, {'x': 1})
    assert expect_error(doc, server, method, path, r, 400, 'invalid_field')['field'] == 'x'


@pytest.mark.parametrize('op', sorted(documented(load_doc())),
                         ids=lambda op: f'{op[0]} {op[1]}')
def test_body_over_the_limit_is_413_and_documented(doc, server, op):
    method, path = op
    real = concrete(path, UNKNOWN_ID)
    # LIMIT_BODY_NONE for the routes without parameters, LIMIT_BODY_API for the others
    # (LIMIT_ORDER_FILE for a file of payment orders).
    limit = 16 * 1024 * 1024 if path == ORDER_FILES else 16 * 1024
    size = 64 + 1 if method in ('GET', 'DELETE') else limit + 1
    r = server.api(method, real, raw=b' ' * size)
    expect_error(doc, server, method, path, r, 413, 'body_too_large')
    if method == 'POST':                 # the limit itself is accepted (and then judged)
        r = server.api(method, real, raw=b' ' * limit)
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


def expire(server, alias):
    """Makes alias's card one that expired last year (the clock cannot move under a running
    server): what an alias looks like once its card has run out."""
    q(server, "UPDATE card_alias SET card_expiry = '1225' WHERE alias = ?", (alias,))


def replayed(doc, server, method, path, real, body, status):
    """The same request twice with one Idempotency-Key: the same answer, recorded once; then
    the key with another request: 409 idempotency_conflict. Returns the key."""
    key = 'openapi-' + uuid.uuid4().hex
    a = server.api(method, real, body, headers={'Idempotency-Key': key})
    after = recorded(server)
    b = server.api(method, real, body, headers={'Idempotency-Key': key})
    assert (a.status_code, b.status_code) == (status, status), (a.text, b.text)
    assert a.content == b.content and recorded(server) == after
    check(doc, server, method, path, b)
    return key


def test_payment_alias_refusals_are_documented(doc, server):
    path = '/api/v1/payments'
    body = {'amount': 1000, 'currency': 'EUR', 'order_ref': 'OAA-1'}
    before = recorded(server)
    r = server.api('POST', path, dict(body, alias='al_' + '0' * 32))
    expect_error(doc, server, 'POST', path, r, 422, 'unknown_alias')
    alias = new_alias(doc, server)
    expire(server, alias)
    before = recorded(server)
    r = server.api('POST', path, dict(body, alias=alias, cvv='123'))
    expect_error(doc, server, 'POST', path, r, 422, 'alias_expired')
    # A JCB card gets an alias (no contract is asked), and is refused when it pays.
    alias = new_alias(doc, server, number='3530111333300000')
    before = recorded(server)
    r = server.api('POST', path, dict(body, alias=alias))
    expect_error(doc, server, 'POST', path, r, 422, 'no_contract')
    assert recorded(server) == before
    for bad, field in (({'alias': alias, 'card': card_kept(cvv='123')}, 'alias'),
                       ({'alias': ''}, 'alias'), ({'alias': 'x' * 36}, 'alias'),
                       ({'alias': alias, 'cvv': '12'}, 'cvv'),
                       ({'card': card_kept(cvv='123'), 'cvv': '123'}, 'cvv'),
                       ({}, 'card'), ({'alias': alias, 'save_alias': True}, 'save_alias'),
                       ({'card': card_kept(cvv='123'), 'save_alias': 'yes'}, 'save_alias')):
        r = server.api('POST', path, dict(body, **bad))
        assert expect_error(doc, server, 'POST', path, r, 400, 'invalid_field')['field'] == field
    assert recorded(server) == before
    # An Idempotency-Key replay of a payment that made an alias: the same alias, once.
    replayed(doc, server, 'POST', path, path,
             dict(body, card=card_kept(cvv='123'), save_alias=True), 201)


def test_alias_refusals_are_documented(doc, server):
    create, delete = '/api/v1/aliases', '/api/v1/aliases/{key}'
    before = recorded(server)
    r = server.api('POST', create, {'card': card_kept(expiry='1025')})
    expect_error(doc, server, 'POST', create, r, 422, 'card_expired')
    for bad, field in (({}, 'card'), ({'card': '4111111111111111'}, 'card'),
                       ({'card': card_kept('4111111111111112')}, 'card.number'),
                       ({'card': card_kept(expiry='1330')}, 'card.expiry'),
                       ({'card': card_kept('378282246310005', cvv='123')}, 'card.cvv'),
                       ({'card': dict(card_kept(), holder='X')}, 'holder'),
                       ({'card': card_kept(), 'cvv': '123'}, 'cvv')):
        r = server.api('POST', create, bad)
        assert expect_error(doc, server, 'POST', create, r, 400, 'invalid_field')['field'] == field
    r = server.api('DELETE', concrete(delete, 'al_' + '0' * 32))
    expect_error(doc, server, 'DELETE', delete, r, 422, 'unknown_alias')
    r = server.api('DELETE', concrete(delete, 'x' * 64))
    expect_error(doc, server, 'DELETE', delete, r, 422, 'unknown_alias')
    # A key the route does not take: no route, not signed.
    for key in ('x' * 65, 'al.x', 'al%20x'):
        r = server.api('DELETE', concrete(delete, key))
        expect_error(doc, server, 'DELETE', delete, r, 404, 'not_found')
    assert recorded(server) == before
    # Idempotency: the alias's creation, then its deletion (204 twice), then the key reused.
    key = replayed(doc, server, 'POST', create, create, {'card': card_kept()}, 201)
    alias = q(server, 'SELECT alias FROM card_alias ORDER BY id DESC LIMIT 1')[0][0]
    real = concrete(delete, alias)
    key = replayed(doc, server, 'DELETE', delete, real, None, 204)
    r = server.api('DELETE', real)
    expect_error(doc, server, 'DELETE', delete, r, 422, 'unknown_alias')
    r = server.api('POST', create, {'card': card_kept()}, headers={'Idempotency-Key': key})
    expect_error(doc, server, 'POST', create, r, 409, 'idempotency_conflict')
    r = server.api('DELETE', concrete(delete, new_alias(doc, server)),
                   headers={'Idempotency-Key': key})
    expect_error(doc, server, 'DELETE', delete, r, 409, 'idempotency_conflict')
    # In use by a plan in progress (and by a subscription will_fail): 409 alias_in_use.
    alias = new_alias(doc, server)
    plan(doc, server, with_alias(plan_body(server), alias))
    r = server.api('DELETE', concrete(delete, alias))
    expect_error(doc, server, 'DELETE', delete, r, 409, 'alias_in_use')
    month = server.paris_day()[5:7] + server.paris_day()[2:4]
    alias = new_alias(doc, server, expiry=month)
    s = subscription(doc, server, with_alias(sub_body(server, day_of_month=1), alias))
    assert s['status'] == 'will_fail'
    r = server.api('DELETE', concrete(delete, alias), shop=1)
    expect_error(doc, server, 'DELETE', delete, r, 409, 'alias_in_use', shop=1)


@pytest.mark.parametrize('path', [PLANS, SUBS])
def test_recurring_refusals_are_documented(doc, server, path):
    make = plan_body if path == PLANS else sub_body
    before = recorded(server)
    r = server.api('POST', path, with_alias(make(server), 'al_' + '0' * 32))
    expect_error(doc, server, 'POST', path, r, 422, 'unknown_alias')
    alias = new_alias(doc, server)
    expire(server, alias)
    before = recorded(server)
    r = server.api('POST', path, with_alias(make(server), alias))
    expect_error(doc, server, 'POST', path, r, 422, 'alias_expired')
    r = server.api('POST', path, make(server, card=card_kept('3530111333300000')))
    expect_error(doc, server, 'POST', path, r, 422, 'no_contract')
    r = server.api('POST', path, make(server, card=card_kept(expiry='1025')))
    expect_error(doc, server, 'POST', path, r, 422, 'card_expires_too_soon')
    # A card valid this month only, the first debit in another month.
    month = server.paris_day()[5:7] + server.paris_day()[2:4]
    late = (make(server, days=(45, 60), card=card_kept(expiry=month)) if path == PLANS else
            make(server, initial_amount=0, start=server.paris_day(45),
                 card=card_kept(expiry=month)))
    r = server.api('POST', path, late)
    expect_error(doc, server, 'POST', path, r, 422, 'card_expires_too_soon')
    # The rules the writer checks against today: 400 invalid_field.
    if path == PLANS:
        bad = [(make(server, days=(-1, 30)), 'installments'),
               (make(server, days=(0, 30, 30)), 'installments'),
               (make(server, days=(0, 91), amounts=(1, 1)), 'installments'),
               (make(server, amount=1), 'amount'),
               (make(server, installments=[{'amount': 1, 'date': '2026-02-30'}] * 2),
                'installments'),
               (make(server, installments=[{'amount': 1, 'date': server.paris_day(),
                                            'note': 'x'}] * 2), 'note')]
    else:
        bad = [(make(server, start=server.paris_day(-1)), 'start'),
               (make(server, start=server.paris_day(367)), 'start'),
               (make(server, count=1), 'count'), (make(server, day_of_month=32), 'day_of_month'),
               (make(server, every_months=13), 'every_months')]
    for body, field in bad:
        r = server.api('POST', path, body)
        assert expect_error(doc, server, 'POST', path, r, 400, 'invalid_field')['field'] == field
    assert recorded(server) == before
    key = replayed(doc, server, 'POST', path, path, make(server), 201)
    r = server.api('POST', path, make(server), headers={'Idempotency-Key': key})
    expect_error(doc, server, 'POST', path, r, 409, 'idempotency_conflict')


def test_recurring_rounds_answer_as_documented(doc, tmp_path):
    """Plans and subscriptions after `guichetd recurring run`: finished, failed on a refused
    debit (the card run out), in progress with debits made; each debit made once."""
    srv = Server(str(tmp_path), transactions=0).start()
    try:
        month = srv.paris_day()[5:7] + srv.paris_day()[2:4]
        done = plan(doc, srv, plan_body(srv, days=(1, 31, 61)))
        fails = plan(doc, srv, plan_body(srv, days=(0, 45), amounts=(100, 100),
                                         card=card_kept(expiry=month)))
        assert fails['status'] == 'will_fail'
        short = subscription(doc, srv, sub_body(srv, count=2, day_of_month=1))
        endless = subscription(doc, srv, sub_body(srv, initial_amount=0, count=0,
                                                  day_of_month=28))
        until = srv.paris_day(70)
        for _ in range(2):               # the second run finds nothing left to make
            out = subprocess.run(
                [GUICHETD, 'recurring', 'run', '--db', srv.db, '--date', until, '--json',
                 '--now', until + 'T09:00:00Z'],
                capture_output=True, text=True, env=srv.env, timeout=60)
            assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)['debits'] == 0
        got = {}
        for name, p in (('done', done), ('fails', fails)):
            r = srv.api('GET', concrete('/api/v1/installment-plans/{id}', p['id']))
            got[name] = check(doc, srv, 'GET', '/api/v1/installment-plans/{id}', r)
        for name, p in (('short', short), ('endless', endless)):
            r = srv.api('GET', concrete('/api/v1/subscriptions/{id}', p['id']))
            got[name] = check(doc, srv, 'GET', '/api/v1/subscriptions/{id}', r)
        assert (got['done']['status'], got['done']['remaining'], got['done']['next_date']) == (
            'finished', 0, None)
        assert [i['status'] for i in got['done']['installments']] == ['accepted'] * 3
        assert (got['fails']['status'], got['fails']['end_reason']) == ('failed', 'card_expired')
        assert [i['status'] for i in got['fails']['installments']] == ['accepted', 'refused']
        assert got['short']['status'] == 'finished'
        assert [d['number'] for d in got['short']['debits']] == [0, 1, 2]
        e = got['endless']
        assert e['status'] == 'in_progress' and e['remaining'] is None and e['done'] >= 2
        made = [d for d in e['debits'] if d['status'] == 'accepted']
        assert len(made) == e['done'] and len(e['debits']) == e['done'] + 6
        for d in made:                   # each debit is a payment of the shop
            r = srv.api('GET', '/api/v1/payments/' + d['payment_id'])
            assert check(doc, srv, 'GET', '/api/v1/payments/{id}', r)['amount_initial'] == 500
    finally:
        assert srv.stop() == 0


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
    # With an alias (made up: a valid form is 422 unknown_alias, not 400).
    variant(card=None, alias='al_' + '0' * 32), variant(card=None, alias='al_1', cvv='123'),
    variant(card=None, alias='al_1', cvv='1234'), variant(card=None, alias='al_1', cvv='12'),
    variant(card=None, alias='al_1', cvv=123), variant(card=None, alias=''),
    variant(card=None, alias='x' * 35), variant(card=None, alias='x' * 36),
    variant(card=None, alias=42), variant(alias='al_1'), variant(cvv='123'),
    variant(card=None, cvv='123'), variant(save_alias=True), variant(save_alias=False),
    variant(save_alias='true'), variant(save_alias=1),
    variant(card=None, alias='al_1', save_alias=True),
    variant(card=None, alias='al_1', save_alias=False),
], ids=lambda b: json.dumps(b, sort_keys=True)[:80])
def test_request_schema_agrees_with_the_server(doc, server, body):
    schema = {'$ref': '#/components/schemas/PaymentCreate'}
    valid = validate(doc, schema, body) == []
    r = server.api('POST', '/api/v1/payments', body)
    check(doc, server, 'POST', '/api/v1/payments', r)
    assert (r.status_code != 400) == valid, (valid, r.status_code, r.text)


def no_card(b):
    return {k: v for k, v in b.items() if k != 'card'}


# (the route, a body made on the server's dates); the rules that need today (the dates of
# the installments, start) are left valid: the schema cannot say them.
KEPT_BODIES = [
    ('/api/v1/aliases', lambda s: {'card': card_kept()}),
    ('/api/v1/aliases', lambda s: {'card': card_kept(cvv='123')}),
    ('/api/v1/aliases', lambda s: {'card': card_kept(cvv='1x3')}),
    ('/api/v1/aliases', lambda s: {'card': card_kept(expiry='0030')}),
    ('/api/v1/aliases', lambda s: {'card': dict(card_kept(), name='x')}),
    ('/api/v1/aliases', lambda s: {'card': card_kept(), 'save': True}),
    ('/api/v1/aliases', lambda s: {}),
    ('/api/v1/aliases', lambda s: {'card': None}),
    (PLANS, lambda s: plan_body(s)),
    (PLANS, lambda s: plan_body(s, amount=10000, email='a@b.fr', customer_country='FR')),
    (PLANS, lambda s: plan_body(s, amount=0)),
    (PLANS, lambda s: plan_body(s, days=(0, 30, 60, 90), amounts=(1, 1, 1, 1))),
    (PLANS, lambda s: plan_body(s, days=(0,), amounts=(100,))),
    (PLANS, lambda s: plan_body(s, days=(0, 10, 20, 30, 40), amounts=(1,) * 5)),
    (PLANS, lambda s: plan_body(s, amounts=(100, 0, 100))),
    (PLANS, lambda s: plan_body(s, amounts=(100, 100000000000, 100))),
    (PLANS, lambda s: plan_body(s, installments=[{'amount': 1, 'date': s.paris_day()},
                                                 {'amount': 1}])),
    (PLANS, lambda s: plan_body(s, installments=[{'amount': 1, 'date': s.paris_day()},
                                                 {'amount': 1, 'date': '30/12/2026'}])),
    (PLANS, lambda s: plan_body(s, installments=[{'amount': 1, 'date': s.paris_day()},
                                                 {'amount': 1, 'date': s.paris_day(9),
                                                  'x': 1}])),
    (PLANS, lambda s: plan_body(s, installments=[1, 2])),
    (PLANS, lambda s: plan_body(s, installments=None)),
    (PLANS, lambda s: plan_body(s, capture='auto')),
    (PLANS, lambda s: plan_body(s, currency='eur')),
    (PLANS, lambda s: plan_body(s, order_ref=None)),
    (PLANS, lambda s: plan_body(s, card=None)),
    (PLANS, lambda s: dict(no_card(plan_body(s)), alias='al_1')),
    (PLANS, lambda s: dict(no_card(plan_body(s)), alias='al_1', cvv='123')),
    (PLANS, lambda s: dict(no_card(plan_body(s)), alias='al_1', cvv='1')),
    (PLANS, lambda s: dict(plan_body(s), alias='al_1')),
    (PLANS, lambda s: dict(plan_body(s), cvv='123')),
    (SUBS, lambda s: sub_body(s)),
    (SUBS, lambda s: sub_body(s, initial_amount=None, count=0, email='a@b.fr')),
    (SUBS, lambda s: sub_body(s, initial_amount=0, count=100000, every_months=12,
                              day_of_month=1)),
    (SUBS, lambda s: sub_body(s, initial_amount=-1)),
    (SUBS, lambda s: sub_body(s, amount=0)),
    (SUBS, lambda s: sub_body(s, amount=None)),
    (SUBS, lambda s: sub_body(s, count=1)),
    (SUBS, lambda s: sub_body(s, count=100001)),
    (SUBS, lambda s: sub_body(s, count='3')),
    (SUBS, lambda s: sub_body(s, every_months=0)),
    (SUBS, lambda s: sub_body(s, every_months=13)),
    (SUBS, lambda s: sub_body(s, day_of_month=0)),
    (SUBS, lambda s: sub_body(s, day_of_month=32)),
    (SUBS, lambda s: sub_body(s, start=None)),
    (SUBS, lambda s: sub_body(s, start=s.paris_day(5).replace('-', ''))),
    (SUBS, lambda s: sub_body(s, installments=[])),
    (SUBS, lambda s: dict(no_card(sub_body(s)), alias='al_1', cvv='123')),
    (SUBS, lambda s: dict(no_card(sub_body(s)))),
]


@pytest.mark.parametrize('path,make', KEPT_BODIES,
                         ids=[f'{p} {i}' for i, (p, _) in enumerate(KEPT_BODIES)])
def test_kept_card_request_schemas_agree_with_the_server(doc, server, path, make):
    body = make(server)
    schema = deref(doc, doc['paths'][path]['post']['requestBody'])['content'][
        'application/json']['schema']
    valid = validate(doc, schema, body) == []
    r = server.api('POST', path, body)
    check(doc, server, 'POST', path, r)
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
    for method, path in (('GET', '/api/v1/aliases/al_1'), ('GET', '/api/v1/aliases'),
                         ('DELETE', '/api/v1/installment-plans/1')):
        r = server.api(method, path)
        assert r.status_code == 405 and 'X-Guichet-Signature' not in r.headers, path
    r = server.api('DELETE', '/api/v1/aliases/' + 'a' * 65)   # {key} is 1 to 64 characters
    assert r.status_code == 404 and 'X-Guichet-Signature' not in r.headers


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
