"""The shops' templates of the hosted payment page (issue 12; README "The hosted payment page",
Templates): a logo (PNG or JPEG, never SVG, 64 kB at most), two colours (#rrggbb, refused when
the page's text or a button's label would not read: WCAG AA) and texts in French and English,
set by administrators and read by who reads a shop's settings, each change in the action log.
The page links the template's stylesheet and shows its logo and texts under the same strict
CSP; the stylesheet and the logo are answered from memory at URLs that change with the
template (cached, ETag); a reset gives Guichet's page back. Bad input of every kind: a clear
error, nothing written."""
import re
import struct
import zlib

import pytest
import requests

from conftest import q
from test_hosted import request_fields, start
from test_settings import two_brands

OTHER = 'THEMEOTHER'
LIMIT_LOGO = 64 * 1024
STRICT_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "


def png(width=2, height=1, pad=0):
    """A real PNG of width x height white pixels; pad bytes of a private chunk make it
    larger (pad 0: none)."""
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    raw = b''.join(b'\0' + b'\xff' * 3 * width for _ in range(height))
    body = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2,
                                                               0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw)))
    if pad:
        body += chunk(b'prVt', b'\0' * pad)
    return body + chunk(b'IEND', b'')


def png_of_size(n):
    base = len(png())
    return png(pad=n - base - 12)


JPEG = bytes.fromhex('ffd8ffe000104a46494600010100000100010000ffd9')
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(scope='module')
def th(tmp_path_factory):
    yield from two_brands(str(tmp_path_factory.mktemp('theme')), OTHER, 0, 0)


def path(shop, logo=False):
    return f'/bo/api/shops/{shop}/page-theme' + ('/logo' if logo else '')


def get(srv, shop, who='admin'):
    r = srv.u[who].get(path(shop))
    assert r.status_code == 200, r.text
    return r.json()


def put(srv, shop, body, who='admin'):
    return srv.u[who].call('PUT', path(shop), body)


def upload(srv, shop, data, who='admin', content_type='image/png'):
    u = srv.u[who]
    return u.s.put(srv.base + path(shop, True), data=data, timeout=30,
                   headers={'X-CSRF-Token': u.csrf, 'Content-Type': content_type})


def log_lines(srv, action):
    return [r[0] for r in q(srv, 'SELECT details FROM action_log WHERE action = ? ORDER BY id',
                            (action,))]


def row_count(srv):
    return q(srv, 'SELECT count(*) FROM page_theme')[0][0]


def page(srv, shop=0, lang='en'):
    r = start(srv, request_fields(srv, shop=shop, GCH_LANG=lang))
    assert r.status_code == 200, r.text
    return r


def reset(srv, shop):
    r = srv.u['admin'].call('DELETE', path(shop))
    assert r.status_code == 200, r.text
    return r.json()


def test_defaults_and_who_reads(th):
    shop = th.shops[0]
    t = get(th, shop)
    assert t['shop']['id'] == shop and t['shop']['name'] == 'Boutique en ligne'
    assert t['version'] == 0 and t['updated_at'] is None and t['logo'] is None
    assert t['stylesheet_url'] is None and t['logo_url'] is None
    for f in ('primary_color', 'background_color', 'title_fr', 'title_en', 'footer_fr',
              'footer_en'):
        assert t[f] == ''
    assert t['editable'] is True and t['warnings'] == []
    assert t['limits'] == {'logo_bytes': LIMIT_LOGO, 'title_chars': 80, 'footer_chars': 300}
    assert t['defaults'] == {'primary_color': '#0b5cad', 'background_color': '#ffffff'}
    for who in ('action', 'consultation'):
        assert get(th, shop, who)['editable'] is False
    for who in ('entry', 'hmac'):
        assert th.u[who].get(path(shop)).status_code == 403
    # Another brand's shop, and no shop at all: 404.
    assert th.u['admin'].get(path(th.other_shop)).status_code == 404
    assert th.u['admin'].get(path(999999)).status_code == 404
    # Without a template, the page is Guichet's own.
    body = page(th).text
    assert '/pay/theme/' not in body and 'pay-brand' not in body


def test_change_colours_and_texts_then_the_page(th):
    shop = th.shops[0]
    v = get(th, shop)['version']
    r = put(th, shop, {'version': v, 'primary_color': '#7A1F5C', 'background_color': '#fdf6e3',
                       'title_fr': 'Bienvenue chez <Maison> & Cie',
                       'title_en': 'Welcome to <Maison> & Co',
                       'footer_fr': 'Une question ? Appelez le 01 23 45 67 89.',
                       'footer_en': 'A question? Call +33 1 23 45 67 89.'})
    assert r.status_code == 200, r.text
    t = r.json()
    assert t['version'] == v + 1 and t['primary_color'] == '#7a1f5c'  # kept in lower case
    assert t['updated_at'] is not None and t['warnings'] == []
    css_url = t['stylesheet_url']
    assert re.fullmatch(rf'/pay/theme/{shop}/[0-9a-f]{{32}}\.css', css_url), css_url
    line = log_lines(th, 'page_theme_changed')[-1]
    assert 'Boutique en ligne (1999888/001)' in line
    assert 'primary_color: "" → "#7a1f5c"' in line and 'title_en: "" → ' in line

    # The stylesheet: from memory, its colours, cached for good (its URL changes with it).
    c = requests.get(th.base + css_url, timeout=10)
    assert c.status_code == 200 and c.headers['Content-Type'].startswith('text/css')
    assert '#7a1f5c' in c.text and '#fdf6e3' in c.text
    assert 'immutable' in c.headers['Cache-Control'] and c.headers['ETag']
    again = requests.get(th.base + css_url, headers={'If-None-Match': c.headers['ETag']},
                         timeout=10)
    assert again.status_code == 304 and again.content == b''
    # A wrong token, an unknown shop: 404.
    assert requests.get(th.base + re.sub(r'/[0-9a-f]{32}', '/' + 'a' * 32, css_url),
                        timeout=10).status_code == 404
    assert requests.get(th.base + f'/pay/theme/{th.shops[1]}/{"0" * 32}.css',
                        timeout=10).status_code == 404

    # The page: the stylesheet linked after pay.css, the texts escaped, in the buyer's
    # language, the CSP as strict as ever and nothing inline.
    for lang, title, footer in (('en', 'Welcome to &lt;Maison&gt; &amp; Co', 'A question?'),
                                ('fr', 'Bienvenue chez &lt;Maison&gt; &amp; Cie',
                                 'Une question ?')):
        r = page(th, lang=lang)
        body = r.text
        assert f'<link rel="stylesheet" href="/assets/pay.css"><link rel="stylesheet" ' \
               f'href="{css_url}">' in body
        assert f'<p class="pay-heading">{title}</p>' in body
        assert f'<footer class="pay-footer"><p>{footer}' in body
        # The help text comes last, after the form, where a screen reader reaches it too.
        assert body.index('</form>') < body.index('pay-footer') < body.index('</main>')
        assert '<Maison>' not in body
        csp = r.headers['Content-Security-Policy']
        assert csp.startswith(STRICT_CSP) and 'unsafe-inline' not in csp
        # The same policy as a page without a template (shop 1's): the template adds none.
        assert csp == page(th, shop=1, lang=lang).headers['Content-Security-Policy']
        assert 'style=' not in body and '<style' not in body and '<script' not in body
    # Another shop keeps Guichet's page.
    assert '/pay/theme/' not in page(th, shop=1).text
    # Texts back to "": the page's own again, colours kept.
    r = put(th, shop, {'version': t['version'], 'title_en': ''})
    assert r.status_code == 200 and r.json()['title_fr'].startswith('Bienvenue')
    assert 'pay-heading' not in page(th, lang='en').text


def test_contrast_rules(th):
    shop = th.shops[1]
    v = get(th, shop)['version']
    # The AA boundary on the buttons' white label: #767676 passes, #777777 does not.
    r = put(th, shop, {'version': v, 'primary_color': '#777777'})
    assert r.status_code == 400 and r.json()['field'] == 'primary_color', r.text
    assert '4.48:1' in r.json()['message']
    r = put(th, shop, {'version': v, 'primary_color': '#767676'})
    assert r.status_code == 200, r.text
    v = r.json()['version']
    # The page's text on the background.
    r = put(th, shop, {'version': v, 'background_color': '#333333'})
    assert r.status_code == 400 and r.json()['field'] == 'background_color', r.text
    # A background the button hardly stands out from: allowed, with a warning.
    r = put(th, shop, {'version': v, 'background_color': '#a0a0a0', 'primary_color': '#767676'})
    assert r.status_code == 200, r.text
    assert [w['field'] for w in r.json()['warnings']] == ['primary_color']
    assert get(th, shop)['warnings'][0]['field'] == 'primary_color'
    reset(th, shop)


@pytest.mark.parametrize('body,field', [
    ({'primary_color': 'red'}, 'primary_color'),
    ({'primary_color': '#fff'}, 'primary_color'),
    ({'primary_color': '#ff00ff;'}, 'primary_color'),
    ({'background_color': '#12345g'}, 'background_color'),
    ({'background_color': '#ffffff}body{'}, 'background_color'),
    ({'background_color': 12}, 'background_color'),
    ({'title_fr': 'x' * 81}, 'title_fr'),
    ({'title_en': 'é' * 81}, 'title_en'),
    ({'footer_en': 'x' * 301}, 'footer_en'),
    ({'footer_fr': 'line\nbreak'}, 'footer_fr'),
    ({'title_en': 'a\u202eb'}, 'title_en'),
    ({'title_en': None}, 'title_en'),
    ({'logo': 'x'}, 'logo'),
])
def test_bad_input_writes_nothing(th, body, field):
    shop = th.shops[2]
    before = get(th, shop)
    n = len(log_lines(th, 'page_theme_changed'))
    r = put(th, shop, dict(body, version=before['version']))
    assert r.status_code == 400, r.text
    assert r.json()['field'] == field
    assert get(th, shop) == before
    assert len(log_lines(th, 'page_theme_changed')) == n


def test_texts_at_their_limits_and_refused_requests(th):
    shop = th.shops[2]
    t = get(th, shop)
    r = put(th, shop, {'version': t['version'], 'title_fr': 'é' * 80, 'footer_en': 'x' * 300})
    assert r.status_code == 200, r.text
    v = r.json()['version']
    # A stale version: 409, nothing written.
    r = put(th, shop, {'version': v - 1, 'title_fr': 'old'})
    assert r.status_code == 409 and r.json()['error'] == 'conflict'
    # No version, malformed JSON, not an object.
    assert put(th, shop, {'title_fr': 'x'}).json()['field'] == 'version'
    for raw in ('{"version": 1,', '[]', 'not json'):
        r = th.u['admin'].call('PUT', path(shop), raw=raw)
        assert r.status_code == 400 and r.json()['error'] == 'bad_json', raw
    # Who may not change it; another brand's shop; a CSRF token missing.
    for who in ('action', 'consultation', 'entry', 'hmac'):
        assert put(th, shop, {'version': v, 'title_fr': 'x'}, who).status_code == 403
        assert th.u[who].call('DELETE', path(shop)).status_code == 403
        assert upload(th, shop, png(), who).status_code == 403
        assert th.u[who].call('DELETE', path(shop, True)).status_code == 403
    assert put(th, th.other_shop, {'version': 0, 'title_fr': 'x'}).status_code == 404
    assert upload(th, th.other_shop, png()).status_code == 404
    assert th.u['admin'].call('DELETE', path(th.other_shop)).status_code == 404
    assert th.u['admin'].call('DELETE', path(th.other_shop, True)).status_code == 404
    assert q(th, 'SELECT count(*) FROM page_theme WHERE brand_id = 2')[0][0] == 0
    r = th.u['admin'].s.put(th.base + path(shop), json={'version': v, 'title_fr': 'x'},
                            timeout=10)
    assert r.status_code == 403
    assert get(th, shop)['version'] == v
    reset(th, shop)


def test_logo_upload_serve_and_remove(th):
    shop = th.shops[1]
    logo = png(40, 12)
    r = upload(th, shop, logo)
    assert r.status_code == 200, r.text
    t = r.json()
    assert t['logo'] == {'type': 'image/png', 'size': len(logo)}
    assert re.fullmatch(rf'/pay/theme/{shop}/[0-9a-f]{{32}}/logo', t['logo_url'])
    assert 'logo: null → "image/png, %d bytes"' % len(logo) in \
        log_lines(th, 'page_theme_logo_changed')[-1]
    g = requests.get(th.base + t['logo_url'], timeout=10)
    assert g.status_code == 200 and g.content == logo
    assert g.headers['Content-Type'] == 'image/png'
    assert g.headers['X-Content-Type-Options'] == 'nosniff'
    assert requests.get(th.base + t['logo_url'], headers={'If-None-Match': g.headers['ETag']},
                        timeout=10).status_code == 304
    # On the page, named by the shop's name; the template's stylesheet linked too.
    shop_i = next(i for i, s in enumerate(th.demo['shops'])
                  if (s['site'], s['rang']) == tuple(q(th, 'SELECT site, rang FROM shop WHERE id = ?',
                                                       (shop,))[0]))
    name = q(th, 'SELECT name FROM shop WHERE id = ?', (shop,))[0][0]
    body = page(th, shop=shop_i).text
    assert f'<img class="pay-logo" src="{t["logo_url"]}" alt="{name}">' in body
    assert t['stylesheet_url'] in body

    # A JPEG replaces it; the PNG's URL is gone.
    r = upload(th, shop, JPEG, content_type='image/jpeg')
    assert r.status_code == 200 and r.json()['logo']['type'] == 'image/jpeg'
    assert requests.get(th.base + t['logo_url'], timeout=10).status_code == 404
    j = requests.get(th.base + r.json()['logo_url'], timeout=10)
    assert j.content == JPEG and j.headers['Content-Type'] == 'image/jpeg'

    # Refused: SVG, GIF, text, empty, a PNG signature alone; nothing written.
    v = r.json()['version']
    for bad in (SVG, b'GIF89a\x01\x00\x01\x00\x00\x00\x00', b'hello', b'', png()[:8]):
        b = upload(th, shop, bad, content_type='image/svg+xml')
        assert b.status_code == 400 and b.json()['field'] == 'logo', bad
    assert get(th, shop)['version'] == v
    # The size limit: at it taken, one byte above 413.
    at = png_of_size(LIMIT_LOGO)
    assert len(at) == LIMIT_LOGO
    r = upload(th, shop, at)
    assert r.status_code == 200 and r.json()['logo']['size'] == LIMIT_LOGO, r.text
    v = r.json()['version']
    r = upload(th, shop, png_of_size(LIMIT_LOGO + 1))
    assert r.status_code == 413
    assert get(th, shop)['version'] == v

    # Removed: the page has no logo; the template setting nothing else, Guichet's page.
    url = get(th, shop)['logo_url']
    r = th.u['admin'].call('DELETE', path(shop, True))
    assert r.status_code == 200 and r.json()['logo'] is None and r.json()['logo_url'] is None
    assert 'page_theme_logo_removed' in [x[0] for x in q(
        th, 'SELECT action FROM action_log ORDER BY id DESC LIMIT 1')]
    assert requests.get(th.base + url, timeout=10).status_code == 404
    body = page(th, shop=shop_i).text
    assert 'pay-logo' not in body and '/pay/theme/' not in body
    # Removing it again changes nothing and logs nothing.
    n = len(log_lines(th, 'page_theme_logo_removed'))
    assert th.u['admin'].call('DELETE', path(shop, True)).status_code == 200
    assert len(log_lines(th, 'page_theme_logo_removed')) == n


def test_reset_and_restart(th):
    shop = th.shops[0]
    t = get(th, shop)
    assert t['stylesheet_url'] is not None
    assert upload(th, shop, png()).status_code == 200
    t = get(th, shop)
    # Kept across a restart: the cache is filled from storage.
    th.stop()
    th.start()
    assert requests.get(th.base + t['stylesheet_url'], timeout=10).status_code == 200
    assert requests.get(th.base + t['logo_url'], timeout=10).status_code == 200
    assert t['stylesheet_url'] in page(th).text
    # Reset: Guichet's page, the old URLs gone, the version still growing, logged.
    r = reset(th, shop)
    assert r['version'] == t['version'] + 1 and r['logo'] is None
    assert r['primary_color'] == '' and r['title_fr'] == '' and r['stylesheet_url'] is None
    assert log_lines(th, 'page_theme_reset')
    assert requests.get(th.base + t['stylesheet_url'], timeout=10).status_code == 404
    assert requests.get(th.base + t['logo_url'], timeout=10).status_code == 404
    r = page(th)
    assert '/pay/theme/' not in r.text and 'pay-brand' not in r.text
    assert r.headers['Content-Security-Policy'].startswith(STRICT_CSP)
    # A template after a reset starts from the version the reset gave.
    r = put(th, shop, {'version': t['version'] + 1, 'title_en': 'Again'})
    assert r.status_code == 200 and r.json()['version'] == t['version'] + 2
    reset(th, shop)
