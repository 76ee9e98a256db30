"""The web back office's files served by guichetd (src/http/static.c): "/" and "/assets/",
from memory, GET and HEAD only, with their types, cache policy and security headers; paths
that try to leave the folder are refused.

One server gets a crafted folder (symbolic links out of it, a file of an unknown type, a
hidden file, a sub-folder); another the repository's own www/; a third a folder that does
not exist.
"""
import hashlib
import http.client
import os
import re
import socket

import pytest
import requests

from conftest import ROOT, Server

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY = {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
}
INDEX = b'<!doctype html><html lang="fr"><title>t</title><script type="module" src="/assets/js/app.js"></script></html>\n'
FILES = {
    'assets/js/app.js': (b'export const answer = 42;\n', 'text/javascript; charset=utf-8'),
    'assets/js/app.js.map': (b'{"version":3}\n', 'application/json; charset=utf-8'),
    'assets/app.css': (b'body { color: #111; }\n', 'text/css; charset=utf-8'),
    'assets/logo.svg': (b'<svg xmlns="http://www.w3.org/2000/svg"/>\n', 'image/svg+xml'),
    'assets/img/dot.png': (b'\x89PNG\r\n\x1a\n' + bytes(32), 'image/png'),
    'assets/fonts/ui.woff2': (b'wOF2' + bytes(60), 'font/woff2'),
    'assets/data/fr.json': (b'{"hello":"bonjour"}\n', 'application/json; charset=utf-8'),
    'assets/page.html': (b'<!doctype html><p>x</p>\n', 'text/html; charset=utf-8'),
}
SECRET = b'root:x:0:0:this file is outside the folder\n'


def check_server(srv):
    rc = srv.stop()
    log = srv.read_log()
    assert rc == 0, log
    assert 'ERROR: AddressSanitizer' not in log and 'runtime error:' not in log, log
    return log


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('static')
    www = tmp / 'www'
    outside = tmp / 'outside'
    outside.mkdir()
    (outside / 'secret.js').write_bytes(SECRET)
    (www / 'assets').mkdir(parents=True)
    (www / 'index.html').write_bytes(INDEX)
    for name, (body, _) in FILES.items():
        (www / name).parent.mkdir(parents=True, exist_ok=True)
        (www / name).write_bytes(body)
    (www / 'assets' / 'notes.txt').write_bytes(b'not a served type\n')
    (www / 'assets' / '.hidden.js').write_bytes(b'hidden\n')
    (www / 'assets' / 'evil.js').symlink_to(outside / 'secret.js')      # a file out of it
    (www / 'assets' / 'out').symlink_to(outside, target_is_directory=True)  # a folder out of it
    (www / 'assets' / 'inside.js').symlink_to(www / 'assets' / 'app.css')   # even inside: no
    (www / 'secret.js').write_bytes(SECRET)  # beside assets/: not under /assets/
    srv = Server(str(tmp), transactions=10).start('--www', str(www))
    yield srv
    log = check_server(srv)
    assert 'reason="symbolic link"' in log


def raw(srv, request_bytes):
    """Sends request_bytes as is (no client normalizes the path) and returns (status, body)."""
    with socket.create_connection(('127.0.0.1', srv.port), timeout=10) as s:
        s.sendall(request_bytes)
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b'\r\n\r\n' in data:
                head, _, body = data.partition(b'\r\n\r\n')
                m = re.search(rb'(?i)content-length: *(\d+)', head)
                if m and len(body) >= int(m.group(1)):
                    break
    head, _, body = data.partition(b'\r\n\r\n')
    status = int(head.split(b' ', 2)[1]) if head else 0
    return status, body


def get_raw(srv, path, method='GET'):
    """A request whose path goes out exactly as written (http.client does not rewrite it)."""
    conn = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def test_index_at_root_with_no_cache_and_security_headers(site):
    r = requests.get(site.base + '/', timeout=10)
    assert r.status_code == 200
    assert r.content == INDEX
    assert r.headers['Content-Type'] == 'text/html; charset=utf-8'
    assert r.headers['Cache-Control'] == 'no-cache'
    for name, value in SECURITY.items():
        assert r.headers[name] == value, name
    assert re.fullmatch(r'"[0-9a-f]{24}"', r.headers['ETag'])


@pytest.mark.parametrize('name', sorted(FILES))
def test_assets_have_their_content_type(site, name):
    body, ctype = FILES[name]
    r = requests.get(f'{site.base}/{name}', timeout=10)
    assert r.status_code == 200, r.text
    assert r.content == body
    assert r.headers['Content-Type'] == ctype
    assert r.headers['Cache-Control'] == 'no-cache'
    assert r.headers['X-Content-Type-Options'] == 'nosniff'
    assert r.headers['Content-Security-Policy'] == CSP


def test_a_query_string_does_not_change_the_file(site):
    r = requests.get(site.base + '/assets/app.css?v=2', timeout=10)
    assert r.status_code == 200 and r.content == FILES['assets/app.css'][0]


def test_etag_revalidation_answers_304_without_body(site):
    r = requests.get(site.base + '/assets/js/app.js', timeout=10)
    etag = r.headers['ETag']
    with requests.Session() as s:
        again = s.get(site.base + '/assets/js/app.js', headers={'If-None-Match': etag}, timeout=10)
        assert again.status_code == 304 and again.content == b''
        assert again.headers['ETag'] == etag
        assert again.headers['X-Frame-Options'] == 'DENY'
        other = s.get(site.base + '/assets/js/app.js', headers={'If-None-Match': '"0"'}, timeout=10)
        assert other.status_code == 200 and other.content == FILES['assets/js/app.js'][0]


def test_head_gives_the_headers_without_the_body(site):
    status, headers, body = get_raw(site, '/assets/app.css', method='HEAD')
    assert status == 200 and body == b''
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers['content-type'] == 'text/css; charset=utf-8'
    assert int(headers['content-length']) == len(FILES['assets/app.css'][0])
    assert headers['content-security-policy'] == CSP


@pytest.mark.parametrize('method', ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
@pytest.mark.parametrize('path', ['/', '/assets/app.css', '/assets/nothing.js'])
def test_only_get_and_head(site, method, path):
    r = requests.request(method, site.base + path, data=b'x' if method != 'OPTIONS' else None,
                         timeout=10)
    if path == '/' and method == 'POST':
        # Paybox System's root (test_paybox_system.py): a request that is none, its error page.
        assert r.status_code == 400 and r.headers['Content-Type'].startswith('text/html')
        return
    assert r.status_code == 405
    assert r.json()['error'] == 'method_not_allowed'
    assert r.headers['Allow'] == ('GET, HEAD, POST' if path == '/' else 'GET, HEAD')


@pytest.mark.parametrize('path', [
    '/assets/nothing.js',          # no such file
    '/assets/notes.txt',           # a type that is not served
    '/assets/',                    # a folder: no listing
    '/assets',
    '/assets/js',
    '/assets/evil.js',             # symbolic link to a file outside
    '/assets/out/secret.js',       # through a symbolic link to a folder outside
    '/assets/inside.js',           # symbolic links are never followed
    '/assets/secret.js',
    '/index.html',                 # the index is "/" only
    '/secret.js',
])
def test_unknown_or_unservable_files_are_404(site, path):
    status, headers, body = get_raw(site, path)
    assert status == 404, (path, body)
    assert SECRET not in body
    assert b'"error"' in body


@pytest.mark.parametrize('path', [
    '/assets/../secret.js',
    '/assets/js/../../secret.js',
    '/assets/./app.css',
    '/assets/%2e%2e/secret.js',
    '/assets/%2E%2E/%2e%2e/outside/secret.js',
    '/assets/..%2fsecret.js',
    '/assets/js%2fapp.js',
    '/assets/%2e%2e%2f%2e%2e%2foutside%2fsecret.js',
    '/assets/app.css%00.js',
    '/assets/..\\secret.js',
    '/assets/js\\app.js',
    '/assets//etc/passwd',
    '/assets/.hidden.js',
    '/assets/%2ehidden.js',
    '/x/../assets/app.css',
])
def test_traversal_attempts_are_refused(site, path):
    status, headers, body = get_raw(site, path)
    assert status in (400, 404), (path, status)
    assert SECRET not in body and FILES['assets/app.css'][0] not in body
    if status == 400:
        assert b'"bad_path"' in body


def test_absolute_form_and_raw_bytes_are_refused(site):
    for line in (b'GET /assets/a\x00b.js HTTP/1.1', b'GET /assets/\\..\\secret.js HTTP/1.1',
                 b'GET http://127.0.0.1/assets/../secret.js HTTP/1.1'):
        status, body = raw(site, line + b'\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
        assert status in (400, 404), (line, status)
        assert SECRET not in body


def test_api_answers_carry_the_security_headers_too(site):
    r = requests.get(site.base + '/healthz', timeout=10)
    assert r.status_code == 200
    for name, value in SECURITY.items():
        assert r.headers[name] == value, name
    r = requests.get(site.base + '/no/such/route', timeout=10)
    assert r.status_code == 404 and r.json()['error'] == 'not_found'
    assert r.headers['X-Content-Type-Options'] == 'nosniff'
    # HSTS only under TLS (test_signin.py::test_cookie_is_secure_under_tls): on plain HTTP a
    # browser ignores it, and it would promise what this listener does not keep.
    assert 'Strict-Transport-Security' not in r.headers


def test_files_are_read_once_at_start(site, tmp_path):
    """Served from memory: a file changed on disk after start is served as it was."""
    path = os.path.join(site.tmp, 'www', 'assets', 'app.css')
    with open(path, 'wb') as f:
        f.write(b'changed\n')
    r = requests.get(site.base + '/assets/app.css', timeout=10)
    assert r.content == FILES['assets/app.css'][0]


def test_without_the_folder_the_server_runs_and_says_why(tmp_path):
    srv = Server(str(tmp_path), transactions=10).start('--www', str(tmp_path / 'nowhere'))
    try:
        r = requests.get(srv.base + '/', timeout=10)
        assert r.status_code == 404
        assert r.json()['error'] == 'ui_not_installed'
        assert 'www' in r.json()['message']
        assert r.headers['Content-Security-Policy'] == CSP
        assert requests.get(srv.base + '/assets/app.css', timeout=10).status_code == 404
        assert requests.get(srv.base + '/healthz', timeout=10).status_code == 200
    finally:
        log = check_server(srv)
    assert 'event=www_missing' in log


# --- the repository's own www/ ----------------------------------------------------------------

@pytest.fixture(scope='module')
def ui(tmp_path_factory):
    srv = Server(str(tmp_path_factory.mktemp('ui')), transactions=10).start(
        '--www', os.path.join(ROOT, 'www'))
    yield srv
    check_server(srv)


def test_the_ui_has_no_inline_script_or_style(ui):
    r = requests.get(ui.base + '/', timeout=10)
    assert r.status_code == 200
    html = r.text
    # Every <script> has a src, there is no <style>, no style="" and no on…="" handler:
    # the CSP would block them.
    for tag in re.findall(r'<script\b[^>]*>', html, re.I):
        assert 'src=' in tag, tag
    assert not re.search(r'<style\b', html, re.I)
    assert not re.search(r'\sstyle\s*=', html, re.I)
    assert not re.search(r'\son[a-z]+\s*=', html, re.I)


def test_every_module_of_the_ui_is_served(ui):
    """From index.html, follow every /assets/ reference and every ES module import."""
    seen, todo = set(), ['/']
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        r = requests.get(ui.base + path, timeout=10)
        assert r.status_code == 200, path
        if path == '/':
            refs = re.findall(r'(?:src|href)="(/assets/[^"]+)"', r.text)
        elif path.endswith('.js'):
            assert r.headers['Content-Type'] == 'text/javascript; charset=utf-8'
            base = path.rsplit('/', 1)[0]
            refs = []
            # Static imports and re-exports at the start of a line, and import('...') calls;
            # not the words "from '" inside a dictionary of the UI's texts.
            specs = re.findall(r'''^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]''',
                               r.text, re.M)
            specs += re.findall(r'''^\s*import\s*['"]([^'"]+)['"]''', r.text, re.M)
            specs += re.findall(r'''\bimport\(\s*['"]([^'"]+)['"]\s*\)''', r.text)
            for spec in specs:
                if spec.startswith('/'):
                    refs.append(spec)
                else:
                    refs.append(os.path.normpath(os.path.join(base, spec)))
        else:
            refs = []
        todo.extend(refs)
    assert '/assets/js/main.js' in seen and '/assets/app.css' in seen
    assert len([p for p in seen if p.endswith('.js')]) >= 8


def test_vendored_uplot_when_installed(ui):
    """uPlot is copied into www/assets/vendor by `make vendor` (part of `make build`)."""
    local = os.path.join(ROOT, 'www', 'assets', 'vendor', 'uPlot.iife.min.js')
    if not os.path.exists(local):
        pytest.skip('make vendor has not run')
    r = requests.get(ui.base + '/assets/vendor/uPlot.iife.min.js', timeout=10)
    assert r.status_code == 200
    assert r.headers['Content-Type'] == 'text/javascript; charset=utf-8'
    with open(local, 'rb') as f:
        assert hashlib.sha256(r.content).digest() == hashlib.sha256(f.read()).digest()
