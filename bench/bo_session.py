#!/usr/bin/env python3
"""bench/bo_session.py - a ready back-office session for wrk: signs in to the server at BASE
as the demo's consultation user (DEMO_JSON, written by `guichetd demo --json`), changes the
first password and accepts the terms, and prints the session's cookie as a header line
("Cookie: name=value") and, on a second line, the path of the transactions journal's first
page as the web page asks it by default (the last 7 days, today's included, in the user's
zone). bench/run uses it for the back office's first page."""
import datetime
import json
import secrets
import sys
import zoneinfo

import requests


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: bench/bo_session.py BASE DEMO_JSON')
    base, demo = sys.argv[1], json.load(open(sys.argv[2]))
    user = next(u for u in demo['users'] if u['profile'] == 'consultation')
    s = requests.Session()
    r = s.post(base + '/bo/api/session', json={'login': user['login'],
                                               'password': user['password'], 'takeover': True})
    if r.status_code != 200:
        sys.exit(f'sign-in failed: {r.status_code} {r.text}')
    csrf, step = r.json()['csrf'], r.json()['next']
    if step == 'change_password':
        r = s.post(base + '/bo/api/password', headers={'X-CSRF-Token': csrf},
                   json={'old': user['password'], 'new': 'Bench-' + secrets.token_hex(12)})
        if r.status_code != 200:
            sys.exit(f'password change failed: {r.text}')
        step = r.json().get('next')
    if step == 'accept_terms':
        r = s.post(base + '/bo/api/terms', headers={'X-CSRF-Token': csrf}, json={'accept': True})
        if r.status_code != 200:
            sys.exit(f'terms failed: {r.text}')
    today = datetime.datetime.now(zoneinfo.ZoneInfo('Europe/Paris')).date()
    path = (f'/bo/api/transactions?from={today - datetime.timedelta(days=6)}'
            f'&to={today}T23:59:59')
    r = s.get(base + path)
    if r.status_code != 200 or not r.json().get('items'):
        sys.exit(f'first page: {r.status_code} {r.text[:200]}')
    print('Cookie: ' + '; '.join(f'{c.name}={c.value}' for c in s.cookies))
    print(path)


if __name__ == '__main__':
    main()
