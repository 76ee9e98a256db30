#!/usr/bin/env python3
"""bench/risk.py - what the merchant's risk rules cost the payments (README "Risk"); `make
bench-risk` runs it.

The same payment benchmark as bench/run (wrk, 1 thread, 64 keep-alive connections, pre-signed
distinct payments, bench/payments.lua) on two fresh demo databases, in one run:

  none   no blocklist entry, every fraud filter off;
  rules  a blocklist of 1,000,000 entries at the brand's node (990,000 cards, 9,000 BINs,
         1,000 e-mails) and every filter of every contract on: a maximum amount, 1,000
         payments a card a day, two blocked card countries, two blocked customer countries,
         the country mismatch.

Every payment is a new VISA card of BIN 411111 (US in the BIN table) with a customer in the
US, so that each rule is looked at and none refuses: the figure is the price of the look-ups
(the blocklist's five keys at the shop's node and above, the card's payments of the day).
The two alternate BENCH_ROUNDS times (2) to spread the machine's drift over both; the ratio
of the medians is the figure (target: rules ≥ 0.95 × none).

Settings (environment): BENCH_DURATION (15), BENCH_CONNECTIONS (64), BENCH_ROUNDS (2),
BENCH_ENTRIES (1000000), BUILD (build). Files go to bench/out/risk/ (ignored by git).
"""
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

from guichet_bench import GUICHETD, ROOT, Server, log

OUT = os.path.join(ROOT, 'bench', 'out', 'risk')
DURATION = int(os.environ.get('BENCH_DURATION', '15'))
CONNS = int(os.environ.get('BENCH_CONNECTIONS', '64'))
ROUNDS = int(os.environ.get('BENCH_ROUNDS', '2'))
ENTRIES = int(os.environ.get('BENCH_ENTRIES', '1000000'))
REQUESTS = 400000


def make_db(name):
    db = os.path.join(OUT, name + '.db')
    out = subprocess.run([GUICHETD, 'demo', '--db', db, '--transactions', '0', '--seed', '1',
                          '--json'], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit('demo failed: ' + out.stderr[-2000:])
    meta = db + '.json'
    open(meta, 'w').write(out.stdout)
    return db, meta


def add_rules(db):
    """ENTRIES blocklist entries and every filter on, written beside guichetd (not running)."""
    cards, bins = ENTRIES * 99 // 100, ENTRIES * 9 // 1000
    mails = ENTRIES - cards - bins
    t0 = time.monotonic()
    with sqlite3.connect(db) as c:
        node = c.execute("SELECT id FROM node WHERE brand_id = 1 AND parent_id IS NULL").fetchone()[0]
        rows = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) '
        # A card's key is its kind's byte and a 32-byte fingerprint: random ones, as real
        # fingerprints are. A BIN's and an e-mail's are the kind's byte and the text.
        c.execute(rows + "INSERT INTO block_entry(brand_id, node_id, kind, key, value, created_at) "
                  "SELECT 1, ?, 1, CAST(X'01' || randomblob(32) AS BLOB), "
                  "'400000******' || printf('%04d', i % 10000), 0 FROM n", (cards, node))
        c.execute(rows + "INSERT INTO block_entry(brand_id, node_id, kind, key, value, created_at) "
                  "SELECT 1, ?, 2, CAST(X'02' || printf('5%07d', i) AS BLOB), "
                  "printf('5%07d', i), 0 FROM n", (bins, node))
        c.execute(rows + "INSERT INTO block_entry(brand_id, node_id, kind, key, value, created_at) "
                  "SELECT 1, ?, 3, CAST(X'03' || printf('fraud%d@example.com', i) AS BLOB), "
                  "printf('fraud%d@example.com', i), 0 FROM n", (mails, node))
        c.execute("UPDATE contract SET ff_max_amount = 99999999, ff_max_per_card_day = 1000, "
                  "ff_card_countries = 'KP,RU', ff_customer_countries = 'KP,RU', "
                  "ff_country_mismatch = 1, ff_version = ff_version + 1")
        n = c.execute('SELECT count(*) FROM block_entry').fetchone()[0]
    log(f'  rules: {n:,} blocklist entries, every filter on ({time.monotonic() - t0:.0f} s)')


def run(mode, rnd):
    for f in os.listdir(OUT):
        if f.startswith(mode + '.db'):
            os.unlink(os.path.join(OUT, f))
    db, meta = make_db(mode)
    if mode == 'rules':
        add_rules(db)
    reqs = os.path.join(OUT, 'requests.txt')
    subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'make_requests.py'),
                    '--demo-json', meta, '--count', str(REQUESTS), '--distinct-cards',
                    '--run', f'{mode[0]}{rnd}', '--out', reqs], check=True)
    srv = Server(db, OUT)
    try:
        out = subprocess.run(['wrk', '-t1', f'-c{CONNS}', f'-d{DURATION}s', '--latency', '-s',
                              os.path.join(ROOT, 'bench', 'payments.lua'), srv.base, '--',
                              reqs, '1'], capture_output=True, text=True)
    finally:
        srv.stop()
    line = next((x for x in out.stdout.splitlines() if x.startswith('BENCH ')), None)
    if line is None:
        sys.exit('wrk gave no result: ' + out.stdout[-1000:] + out.stderr[-1000:])
    f = dict(kv.split('=') for kv in line.split()[1:])
    with sqlite3.connect(db) as c:
        refused = c.execute('SELECT count(*) FROM txn WHERE status = 1').fetchone()[0]
    res = {'rps': float(f['rps']), 'p99_ms': int(f['p99_us']) / 1000,
           'other': int(f['status_other']), 'refused': refused}
    log(f'  round {rnd} {mode:5}: {res["rps"]:8,.0f} payments/s, p99 {res["p99_ms"]:.2f} ms, '
        f'{res["other"]} answers other than 201, {refused} refused')
    return res


def main():
    if shutil.which('wrk') is None:
        sys.exit('wrk is missing (scripts/bootstrap installs it)')
    if subprocess.run(['ninja', '-C', os.path.dirname(os.path.dirname(GUICHETD))],
                      capture_output=True).returncode != 0:
        sys.exit('the build failed')
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    log(f'== Guichet risk rules benchmark, {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}')
    cpu = re.search(r'model name\s*: (.*)', open('/proc/cpuinfo').read())
    log(f'machine: {os.cpu_count()} CPUs, {cpu.group(1) if cpu else "?"}; wrk -t1 -c{CONNS} '
        f'-d{DURATION}s; {ENTRIES:,} entries')
    got = {'none': [], 'rules': []}
    for rnd in range(1, ROUNDS + 1):
        for mode in (('none', 'rules') if rnd % 2 else ('rules', 'none')):
            got[mode].append(run(mode, rnd))
    med = {m: statistics.median(r['rps'] for r in v) for m, v in got.items()}
    p99 = {m: statistics.median(r['p99_ms'] for r in v) for m, v in got.items()}
    log(f'none : {med["none"]:8,.0f} payments/s (median), p99 {p99["none"]:.2f} ms')
    log(f'rules: {med["rules"]:8,.0f} payments/s (median), p99 {p99["rules"]:.2f} ms')
    log(f'rules/none: {med["rules"] / med["none"]:.3f} (target ≥ 0.95: the rules cost at most '
        f'5 %)')
    bad = sum(r['other'] + r['refused'] for v in got.values() for r in v)
    if bad:
        log(f'warning: {bad} payments were not accepted: the figure is not the one sought')
    return 0


if __name__ == '__main__':
    sys.exit(main())
