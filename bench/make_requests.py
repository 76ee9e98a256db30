#!/usr/bin/env python3
"""Writes N distinct signed merchant API payment requests for bench/payments.lua.

Reads the shops from `guichetd demo --json` output, signs each body with the shop's HMAC key
(X-Guichet-Signature = hex HMAC-SHA512 of the raw body, key = bytes.fromhex(hmac_key)) and
writes one request a line, so that wrk's Lua can read the file at init:

    line 1:   SITE RANG COUNT
    line 2..: SIGNATURE BODY        (the body is compact JSON: no newline, no space before it)

Every body carries a distinct order_ref (B-<run>-<n>); amounts and cards vary over cards the
simulator approves, so every request is a new, accepted payment answered 201.
"""
import argparse
import hashlib
import hmac
import json
import sys
import time

# Cards the acquirer simulator approves (src/acquirer/simulator.c), each with a contract in the
# demo shops: Visa, Mastercard, CB.
CARDS = ("4111111111111111", "5555555555554444", "4970100000000006")


def luhn(partial):
    """partial (15 digits) with its Luhn check digit."""
    total = 0
    for i, d in enumerate(reversed(partial)):
        d = int(d) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return partial + str((10 - total % 10) % 10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo-json", required=True, help="output of guichetd demo --json")
    ap.add_argument("--shop", type=int, default=0, help="index of the shop in demo's shops")
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--run", default=None, help="order_ref prefix part (default: time)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--distinct-cards", action="store_true",
                    help="a new VISA card (BIN 411111, US) a request, its customer in the US: "
                    "what bench/risk.py sends, so that the velocity filter lets each one pass")
    a = ap.parse_args()

    with open(a.demo_json, encoding="utf-8") as f:
        demo = json.load(f)
    shop = demo["shops"][a.shop]
    site, rang, key = shop["site"], shop["rang"], bytes.fromhex(shop["hmac_key"])
    run = a.run or time.strftime("%H%M%S")

    # The body json.dumps would write (compact), by formatting: 400000 in about 2 s.
    template = (
        '{"amount":%d,"currency":"EUR","order_ref":"B-%s-%07d",'
        '"card":{"number":"%s","expiry":"1230","cvv":"123"},'
        '"email":"buyer%d@example.com","capture":"auto"' +
        (',"customer_country":"US"}' if a.distinct_cards else '}')
    )
    keyed = hmac.new(key, digestmod=hashlib.sha512)
    out = []
    for n in range(a.count):
        amount = 100 + (n * 7919) % 400000
        card = luhn("411111%09d" % n) if a.distinct_cards else CARDS[n % len(CARDS)]
        body = (template % (amount, run, n, card, n % 1000)).encode()
        mac = keyed.copy()
        mac.update(body)
        out.append(mac.hexdigest().encode() + b" " + body)
    json.loads(out[0].split(b" ", 1)[1])  # the template is JSON
    with open(a.out, "wb") as f:
        f.write(b"%s %s %d\n" % (site.encode(), rang.encode(), a.count))
        f.write(b"\n".join(out))
        f.write(b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
