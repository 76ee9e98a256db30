"""GET /metrics (README "Metrics"): Prometheus's text exposition format 0.0.4, read by a strict
parser of its own here, line by line; the counters against what the tests did (requests by
route pattern and status, payments by result and origin, the writer's transactions, the jobs'
rounds, the outboxes' depth); what it never shows (a card number, a key, an id or a path
asked); and who may read it: a loopback peer always, anyone else only with the bearer token of
GUICHET_METRICS_TOKEN, and otherwise the answer of a path that does not exist.
"""
import http.client
import json
import math
import os
import re
import socket
import subprocess
import time

import pytest
import requests

from conftest import GUICHETD, TEST_CARDS, Server, q, tls_files

CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
TOKEN = 'metrics-' + 'Zq7xK2pW9vR4tY6u'   # 24 visible characters

# -- a strict parser of the text format 0.0.4 -------------------------------------------------
# https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


def unescape(text, quote):
    """A label value's (quote: \\" allowed) or a HELP text's escapes; anything else after a
    backslash is an error."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == '\\':
            assert i + 1 < len(text), f'a lone backslash: {text!r}'
            nxt = text[i + 1]
            assert nxt in ('\\', 'n') + (('"',) if quote else ()), f'bad escape in {text!r}'
            out.append('\n' if nxt == 'n' else nxt)
            i += 2
            continue
        assert c != '\n'
        out.append(c)
        i += 1
    return ''.join(out)


def parse_labels(text):
    """The labels of '{a="x",b="y"}' (without the braces) as a dict; strict about quotes,
    commas and escapes."""
    labels, i = {}, 0
    while i < len(text):
        m = re.compile(LABEL + '="').match(text, i)
        assert m, f'bad label at {text[i:]!r}'
        name = m.group(0)[:-2]
        i = m.end()
        j = i
        while j < len(text) and text[j] != '"':
            j += 2 if text[j] == '\\' else 1
        assert j < len(text), f'unterminated value in {text!r}'
        assert name not in labels, f'label {name} twice'
        labels[name] = unescape(text[i:j], quote=True)
        i = j + 1
        if i < len(text):
            assert text[i] == ',', f'expected a comma at {text[i:]!r}'
            i += 1
            assert i < len(text), 'a trailing comma'
    return labels


def parse_value(text):
    if text in ('+Inf', '-Inf', 'NaN'):
        return float(text.replace('Inf', 'inf').replace('NaN', 'nan'))
    assert re.fullmatch(r'-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?', text), f'bad value {text!r}'
    return float(text)


def parse(text):
    """{family: {'type', 'help', 'samples': [(name, labels, value)]}}, checking on its way
    that each family comes once, HELP then TYPE then its samples, each sample's name is its
    family's (a histogram's _bucket, _sum, _count), no series twice, the text ends with a
    newline and has no blank line."""
    assert text.endswith('\n'), 'the last line ends with a newline'
    families, current, seen = {}, None, set()
    for line in text[:-1].split('\n'):
        assert line != '', 'a blank line'
        if line.startswith('#'):
            m = re.fullmatch(r'# (HELP|TYPE) (' + NAME + r') (.*)', line)
            assert m, f'bad comment line {line!r}'
            kind, name, rest = m.groups()
            if kind == 'HELP':
                assert name not in families, f'{name} twice'
                families[name] = {'help': unescape(rest, quote=False), 'type': None,
                                  'samples': []}
                current = name
            else:
                assert current == name and families[name]['type'] is None, \
                    f'TYPE of {name} out of place'
                assert rest in TYPES, f'bad type {rest!r}'
                families[name]['type'] = rest
            continue
        m = re.fullmatch(r'(' + NAME + r')(?:\{(.*)\})? (\S+)', line)
        assert m, f'bad sample line {line!r}'
        name, labels, value = m.group(1), parse_labels(m.group(2) or ''), m.group(3)
        fam = families.get(current)
        assert fam is not None and fam['type'] is not None, f'{name}: no family before it'
        suffixes = ('_bucket', '_sum', '_count') if fam['type'] == 'histogram' else ('',)
        assert name in {current + s for s in suffixes}, f'{name} under {current}'
        key = (name, tuple(sorted(labels.items())))
        assert key not in seen, f'{key} twice'
        seen.add(key)
        fam['samples'].append((name, labels, parse_value(value)))
    for name, fam in families.items():
        assert fam['type'] is not None, f'{name} has no TYPE'
        if fam['type'] == 'counter':
            assert name.endswith('_total'), name
        if fam['type'] == 'histogram':
            check_histogram(name, fam['samples'])
    return families


def check_histogram(name, samples):
    """Per label set: buckets in ascending le, cumulative, the last +Inf; _count equal to the
    +Inf bucket; a _sum."""
    series = {}
    for sname, labels, value in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != 'le'))
        s = series.setdefault(rest, {'buckets': [], 'sum': None, 'count': None})
        if sname.endswith('_bucket'):
            s['buckets'].append((parse_value(labels['le']), value))
        elif sname.endswith('_sum'):
            s['sum'] = value
        else:
            s['count'] = value
    for rest, s in series.items():
        les = [le for le, _ in s['buckets']]
        counts = [c for _, c in s['buckets']]
        assert les and les[-1] == math.inf, (name, rest, 'no +Inf bucket')
        assert les == sorted(les) and len(set(les)) == len(les), (name, rest, les)
        assert counts == sorted(counts), (name, rest, 'not cumulative', counts)
        assert s['count'] == counts[-1], (name, rest, s['count'], counts[-1])
        assert s['sum'] is not None and s['sum'] >= 0, (name, rest)


def value(families, name, **labels):
    """The sample of family name (a histogram's: name with its suffix) with exactly these
    labels; 0 when there is none (a counter not yet seen)."""
    fam = families.get(name) or families.get(re.sub(r'_(bucket|sum|count)$', '', name))
    assert fam is not None, f'no family {name}'
    for sname, sl, v in fam['samples']:
        if sname == name and sl == labels:
            return v
    return 0


def scrape(base, **kw):
    r = requests.get(base + '/metrics', timeout=30, **kw)
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'] == CONTENT_TYPE
    return r.text, parse(r.text)


def scrape_until(base, settled, timeout=10):
    """A request is counted as h2o ends it, just after the client has read its answer: a
    scrape sent at once may come before. Scrapes until settled(families) holds, or the time is
    up (the caller's assertions then say what is missing)."""
    deadline = time.monotonic() + timeout
    while True:
        text, fam = scrape(base)
        if settled(fam) or time.monotonic() > deadline:
            return text, fam
        time.sleep(0.05)


# -- the tests --------------------------------------------------------------------------------


def test_the_parser_refuses_what_the_format_does_not_allow():
    """The parser above is strict: each of these breaks a rule of the format."""
    good = ('# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n'
            '# HELP h A.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\n'
            'h_sum 3\nh_count 2\n')
    parse(good)
    for bad in (good[:-1],                                           # no final newline
                good.replace('a_total{x="1"} 2\n', 'a_total{x="1"} 2\n\n'),   # a blank line
                good.replace('{x="1"}', '{x="\\t"}'),                 # an unknown escape
                good.replace('{x="1"}', '{x="1",}'),                  # a trailing comma
                good.replace('{x="1"}', '{x=1}'),                     # no quotes
                good.replace('a_total{x="1"} 2\n', 'a_total{x="1"} 2\na_total{x="1"} 3\n'),
                good.replace('h_count 2', 'h_count 3'),               # count is not +Inf
                good.replace('h_bucket{le="1"} 1', 'h_bucket{le="1"} 3'),  # not cumulative
                good.replace('h_bucket{le="+Inf"} 2\n', ''),          # no +Inf
                good.replace('# TYPE a_total counter\n', ''),         # no TYPE
                good.replace('a_total', 'a'),                         # a counter's name
                good.replace('h_sum', 'g_sum')):                      # another family's
        with pytest.raises(AssertionError):
            parse(bad)


def test_the_exposition_parses_and_names_every_family(server):
    text, fam = scrape(server.base)
    assert all(name.startswith('guichet_') for name in fam)
    want = {
        'guichet_http_requests_total': 'counter',
        'guichet_http_request_duration_seconds': 'histogram',
        'guichet_payments_decided_total': 'counter',
        'guichet_payments_pending_ended_total': 'counter',
        'guichet_work_queue_jobs': 'gauge',
        'guichet_db_pool_connections': 'gauge',
        'guichet_db_pool_busy': 'gauge',
        'guichet_writer_group_size': 'histogram',
        'guichet_writer_commit_seconds': 'histogram',
        'guichet_writer_groups_failed_total': 'counter',
        'guichet_job_rounds_total': 'counter',
        'guichet_job_round_failures_total': 'counter',
        'guichet_job_lag_seconds': 'gauge',
        'guichet_outbox_pending': 'gauge',
        'guichet_outbox_due': 'gauge',
    }
    assert {name: f['type'] for name, f in fam.items()} == want
    assert all(f['help'] for f in fam.values())
    # The database pool as it is made: two readers, one hasher (common/limits.h).
    assert value(fam, 'guichet_db_pool_connections', pool='readers') == 2
    assert value(fam, 'guichet_db_pool_connections', pool='hashers') == 1
    assert value(fam, 'guichet_db_pool_busy', pool='readers') >= 1   # this scrape's
    for queue in ('writer', 'readers', 'hashers'):
        assert value(fam, 'guichet_work_queue_jobs', queue=queue) >= 0


def test_requests_and_payments_are_counted(server):
    _, before = scrape(server.base)
    accepted = [server.pay(card='4111111111111111') for _ in range(3)]
    refused = server.pay(card='4000000000000002')
    pending = server.pay(card='4000000000001091')
    for r in accepted:
        assert r.status_code == 201 and r.json()['status'] == 'accepted', r.text
    assert refused.json()['status'] == 'refused', refused.text
    assert pending.json()['status'] == 'pending', pending.text
    pid = accepted[0].json()['id']
    assert server.api('GET', f'/api/v1/payments/{pid}').status_code == 200
    assert server.api('GET', '/api/v1/payments/999999999').status_code == 404
    create = {'method': 'POST', 'route': '/api/v1/payments'}
    one = {'method': 'GET', 'route': '/api/v1/payments/{id}'}
    _, after = scrape_until(server.base, lambda fam: all(
        value(fam, 'guichet_http_requests_total', **labels, status=status) >=
        value(before, 'guichet_http_requests_total', **labels, status=status) + n
        for labels, status, n in ((create, '201', 5), (one, '200', 1), (one, '404', 1))))

    def rise(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # A refusal by the issuer is a 201 with its status, as an acceptance is.
    assert rise('guichet_http_requests_total', **create, status='201') == 5
    assert rise('guichet_http_requests_total', **one, status='200') == 1
    assert rise('guichet_http_requests_total', **one, status='404') == 1
    assert rise('guichet_http_request_duration_seconds_count', **create) == 5
    assert rise('guichet_http_request_duration_seconds_sum', **create) > 0
    # The previous scrape, ended since, is counted now.
    assert rise('guichet_http_requests_total', method='GET', route='/metrics',
                status='200') >= 1
    assert rise('guichet_payments_decided_total', result='accepted', origin='api') == 3
    assert rise('guichet_payments_decided_total', result='refused', origin='api') == 1
    assert rise('guichet_payments_decided_total', result='pending', origin='api') == 1
    assert rise('guichet_payments_decided_total', result='accepted', origin='hosted_page') == 0
    # Each payment was a job of the writer, in a transaction of one or more.
    assert rise('guichet_writer_group_size_sum') >= 5
    assert 1 <= rise('guichet_writer_group_size_count') <= rise('guichet_writer_group_size_sum')
    # A group is counted as it begins and its commit as it ends: one in flight at either
    # scrape (the server's own jobs write too) puts one on one side only.
    assert abs(rise('guichet_writer_commit_seconds_count') -
               rise('guichet_writer_group_size_count')) <= 1
    assert rise('guichet_writer_groups_failed_total') == 0
    # A route's latency histogram counts what its requests counted, every status together
    # (the scrape itself is still being answered: not counted yet).
    for labels in (create, one):
        total = sum(v for n, sl, v in after['guichet_http_requests_total']['samples']
                    if sl['method'] == labels['method'] and sl['route'] == labels['route'])
        assert value(after, 'guichet_http_request_duration_seconds_count', **labels) == total


def test_routes_are_patterns_never_what_was_asked(server):
    paid = server.pay()
    pid = paid.json()['id']
    server.api('GET', f'/api/v1/payments/{pid}')
    requests.get(server.base + f'/api/v1/payments/{pid}?secret=hunter2&card=4111111111111111',
                 timeout=10)
    requests.get(server.base + '/no/such/path/8675309', timeout=10)
    requests.post(server.base + '/healthz', timeout=10)      # a path known, not its method
    requests.get(server.base + '/assets/no-such-file-31337.js', timeout=10)
    text, fam = scrape_until(server.base, lambda fam: all(
        value(fam, 'guichet_http_requests_total', route=route, status=status) >= 1
        for route, status in (('(unmatched)', '404'), ('(unmatched)', '405'), ('(web)', '404'))))
    for secret in (f'/{pid}', 'hunter2', '8675309', 'no/such', '31337', 'secret='):
        assert secret not in text, secret
    patterns = {(r['method'], r['pattern']) for r in route_table()}
    for sname, labels, _ in fam['guichet_http_requests_total']['samples'] + \
            fam['guichet_http_request_duration_seconds']['samples']:
        if 'method' in labels:
            assert (labels['method'], labels['route']) in patterns, labels
        else:
            assert labels['route'] in ('(web)', '(unmatched)', '(h2o)'), labels
    assert value(fam, 'guichet_http_requests_total', route='(unmatched)', status='404') >= 1
    assert value(fam, 'guichet_http_requests_total', route='(unmatched)', status='405') >= 1
    assert value(fam, 'guichet_http_requests_total', route='(web)', status='404') >= 1


def test_h2o_own_refusals_are_counted_apart(server):
    """A body larger than any route takes is refused by h2o before routing: its row is
    "(h2o)", without a latency."""
    _, before = scrape(server.base)
    # Its Content-Length alone (LIMIT_BODY_GLOBAL + 1): h2o answers at once, and a client still
    # sending megabytes would meet the connection's close instead of the answer.
    host, port = server.base.split('//')[1].split(':')
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.putrequest('POST', '/api/v1/payments')
    c.putheader('Content-Length', str(16 * 1024 * 1024 + 64 * 1024 + 1))
    c.endheaders()
    assert c.getresponse().status == 413
    c.close()
    _, after = scrape_until(server.base, lambda fam: value(
        fam, 'guichet_http_requests_total', route='(h2o)', status='413') > value(
        before, 'guichet_http_requests_total', route='(h2o)', status='413'))
    assert value(after, 'guichet_http_requests_total', route='(h2o)', status='413') == \
        value(before, 'guichet_http_requests_total', route='(h2o)', status='413') + 1
    assert value(after, 'guichet_http_request_duration_seconds_count', route='(h2o)') == 0


def test_no_card_key_token_or_session_ever_shows(server):
    server.pay(card='5555555555554444')
    server.pay(card='4000000000001091')
    # A back-office sign-in attempt: its session or password would be a secret.
    requests.post(server.base + '/bo/api/session', json={'login': 'demo.admin',
                                                          'password': 'not-it-4111111111111111'},
                  timeout=30)
    text, _ = scrape(server.base)
    for card in TEST_CARDS + ['4000000000001091']:
        assert card not in text
    for shop in server.demo['shops']:
        assert shop['hmac_key'] not in text and shop['hmac_key'][:16] not in text
    for user in server.demo['users']:
        assert user['password'] not in text
    # Nothing that looks like a card number, a key or a token: no long run of digits or hex.
    assert not re.search(r'[0-9]{12,}', text), re.search(r'[0-9]{12,}', text)
    assert not re.search(r'[0-9a-fA-F]{24,}', text)


def test_jobs_and_outboxes(server):
    _, before = scrape(server.base)
    # What the jobs of README "Metrics" are: each has ended rounds by now (the server has
    # run for a while), the mailer and the notifier every second or less.
    for job in ('mailer', 'notifier', 'indexer', 'retention', 'hmac_expiry', 'confirm',
                'terms_watch', 'errlog', 'recurring', 'push_reports', 'order_files'):
        assert value(before, 'guichet_job_rounds_total', job=job) >= 1, job
        assert value(before, 'guichet_job_round_failures_total', job=job) == 0, job
    # The daily télécollecte is off in the tests (--batch-time off): not a job here.
    assert value(before, 'guichet_job_rounds_total', job='settlement') == 0
    assert all(s[1]['job'] != 'settlement'
               for s in before['guichet_job_rounds_total']['samples'])
    # Rows still to deliver, due in a day: pending, not due.
    brand, shop, txn = q(server, 'SELECT brand_id, shop_id, id FROM txn LIMIT 1')[0]
    later = server.now_us(86400)
    for i in range(2):
        q(server, 'INSERT INTO mail_outbox(brand_id, recipient, subject, body, created_at, '
                  'next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)',
          (brand, f'later{i}@example.com', 'Later', '', server.now_us(), later))
    q(server, 'INSERT INTO notify_outbox(brand_id, shop_id, txn_id, url, body, next_at, '
              'created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      (brand, shop, txn, 'http://127.0.0.1:9/', '{}', later, server.now_us()))
    time.sleep(1.5)
    _, after = scrape(server.base)
    for box, n in (('mail', 2), ('notification', 1)):
        assert value(after, 'guichet_outbox_pending', outbox=box) == \
            value(before, 'guichet_outbox_pending', outbox=box) + n, box
        assert value(after, 'guichet_outbox_due', outbox=box) <= \
            value(after, 'guichet_outbox_pending', outbox=box)
    # The rounds go on, and the mailer's and the notifier's last one ended a moment ago.
    for job in ('mailer', 'notifier'):
        assert value(after, 'guichet_job_rounds_total', job=job) > \
            value(before, 'guichet_job_rounds_total', job=job), job
        assert value(after, 'guichet_job_lag_seconds', job=job) < 5, job
    q(server, "DELETE FROM mail_outbox WHERE subject = 'Later'")
    q(server, "DELETE FROM notify_outbox WHERE url = 'http://127.0.0.1:9/'")


def route_table():
    out = subprocess.run([GUICHETD, 'routes', '--json'], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


# -- who may read it --------------------------------------------------------------------------


def local_addresses(family):
    """This machine's addresses of family that are not loopback (nor link-local)."""
    out = subprocess.run(['ip', '-o', '-4' if family == socket.AF_INET else '-6', 'addr',
                          'show', 'scope', 'global'], capture_output=True, text=True)
    return [line.split()[3].split('/')[0] for line in out.stdout.splitlines()
            if len(line.split()) > 3]


def stopped_clean(srv):
    """Stops srv: exit 0, no sanitizer report, and the token nowhere in its log."""
    assert srv.stop() == 0
    log = srv.read_log()
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    assert TOKEN not in log


def not_found(base, verify):
    """The answer of a path that does not exist, to compare with a refusal."""
    r = requests.get(base + '/no-such-route', timeout=10, verify=verify)
    assert r.status_code == 404
    return r


def same_as_no_route(r, ref):
    assert r.status_code == 404, r.text
    assert r.json() == ref.json()
    assert r.headers['Content-Type'] == ref.headers['Content-Type']


@pytest.fixture(scope='module')
def remote(tmp_path_factory):
    """A server on every IPv4 address, with TLS and the token: reached through 127.0.0.1 its
    peer is loopback, through the machine's other address it is not."""
    ips = local_addresses(socket.AF_INET)
    if not ips:
        pytest.skip('this machine has no IPv4 address but loopback: nothing to reach the '
                    'server from outside loopback (the rule itself: tests/unit/test_http_'
                    'metrics.c)')
    tmp = tmp_path_factory.mktemp('remote')
    cert, key = tls_files(tmp, ips=('127.0.0.1', ips[0]))
    srv = Server(str(tmp), transactions=0, env={'GUICHET_METRICS_TOKEN': TOKEN})
    srv.start('--tls-cert', cert, '--tls-key', key, host='0.0.0.0')
    srv.outside = f'https://{ips[0]}:{srv.port}'
    yield srv
    stopped_clean(srv)


def test_outside_loopback_only_the_token_opens_it(remote):
    ref = not_found(remote.outside, remote.verify)
    assert requests.get(remote.outside + '/healthz', timeout=10,
                        verify=remote.verify).status_code == 200
    for headers in ({}, {'Authorization': 'Bearer ' + TOKEN[:-1]},
                    {'Authorization': 'Bearer ' + TOKEN + 'x'},
                    {'Authorization': 'Bearer ' + TOKEN.upper()},
                    {'Authorization': 'Basic ' + TOKEN},
                    {'Authorization': TOKEN},
                    {'Authorization': 'Bearer'},
                    {'X-Metrics-Token': TOKEN}):
        r = requests.get(remote.outside + '/metrics', headers=headers, timeout=10,
                         verify=remote.verify)
        same_as_no_route(r, ref)
        assert 'guichet_' not in r.text
    # Another method says nothing either: not 405, 404 as for any unknown path.
    for method in ('POST', 'DELETE', 'PUT'):
        r = requests.request(method, remote.outside + '/metrics', timeout=10,
                             verify=remote.verify)
        same_as_no_route(r, requests.request(method, remote.outside + '/no-such-route',
                                             timeout=10, verify=remote.verify))
    for auth in ('Bearer ' + TOKEN, 'bearer ' + TOKEN, 'BEARER  ' + TOKEN):
        text, fam = scrape(remote.outside, headers={'Authorization': auth},
                           verify=remote.verify)
        assert 'guichet_http_requests_total' in fam
    # The refusals were counted as unknown paths: nothing of them names the route.
    assert value(fam, 'guichet_http_requests_total', route='(unmatched)', status='404') >= 8


def test_on_loopback_no_token_is_needed(remote):
    """The same server, reached through 127.0.0.1: a loopback peer needs no token, and a
    wrong one does not shut it out."""
    scrape(remote.base, verify=remote.verify)
    scrape(remote.base, verify=remote.verify, headers={'Authorization': 'Bearer nope'})


def test_the_token_stays_out_of_the_command_line(remote):
    with open(f'/proc/{remote.proc.pid}/cmdline', 'rb') as f:
        assert TOKEN.encode() not in f.read()


def test_ipv6_loopback_and_mapped_addresses(tmp_path):
    """On [::]: ::1 and 127.0.0.1 (an IPv4-mapped peer, ::ffff:127.0.0.1) are loopback; the
    machine's other addresses, IPv4-mapped or IPv6, are not."""
    if not socket.has_ipv6 or not os.path.exists('/proc/net/if_inet6'):
        pytest.skip('no IPv6 on this machine')
    with open('/proc/sys/net/ipv6/bindv6only') as f:
        if f.read().strip() != '0':
            pytest.skip('IPv6 sockets here take no IPv4 connection (bindv6only)')
    v4, v6 = local_addresses(socket.AF_INET), local_addresses(socket.AF_INET6)
    cert, key = tls_files(tmp_path, ips=('127.0.0.1', '::1', *v4[:1], *v6[:1]))
    srv = Server(str(tmp_path), transactions=0).start('--tls-cert', cert, '--tls-key', key,
                                                       host='::')
    try:
        for base in (f'https://127.0.0.1:{srv.port}', f'https://[::1]:{srv.port}'):
            scrape(base, verify=cert)
        for base in [f'https://{a}:{srv.port}' for a in v4[:1]] + \
                [f'https://[{a}]:{srv.port}' for a in v6[:1]]:
            same_as_no_route(requests.get(base + '/metrics', timeout=10, verify=cert),
                             not_found(base, cert))
    finally:
        stopped_clean(srv)


@pytest.mark.parametrize('token', ['short', '', 'with a space in it here', 'x' * 257])
def test_a_bad_token_stops_the_start(tmp_path, token):
    srv = Server(str(tmp_path), transactions=0, env={'GUICHET_METRICS_TOKEN': token})
    out = subprocess.run([GUICHETD, 'serve', '--db', srv.db, '--listen',
                          f'127.0.0.1:{srv.port}', '--spool', str(tmp_path / 'spool'),
                          *srv.pin()], capture_output=True, text=True, env=srv.env,
                         timeout=30)
    assert out.returncode == 2, out.stderr
    assert 'GUICHET_METRICS_TOKEN' in out.stderr
    if token:
        assert token not in out.stderr
