// format.js - amounts, dates and times as the user reads them.
//
// Amounts travel as integers of minor units with an ISO 4217 currency (SPEC §4); instants as
// RFC 3339 UTC strings ("2026-11-24T17:43:05.123Z"). They are shown in the user's language
// and, for instants, in the user's time zone (`time_zone` of GET /bo/api/me), never the
// browser's. Bank dates and statistics days are plain calendar days ("2026-11-24").

import { locale } from './i18n.js';

let zone = 'Europe/Paris';

/** Sets the time zone instants are shown in (an IANA name from the server's list). */
export function setTimeZone(tz) {
  zone = tz || 'Europe/Paris';
}

export function timeZone() {
  return zone;
}

const cache = new Map();

function numberFormat(loc, currency) {
  const key = `${loc}|${currency}`;
  if (!cache.has(key)) {
    cache.set(key, new Intl.NumberFormat(loc, { style: 'currency', currency }));
  }
  return cache.get(key);
}

/**
 * An amount in minor units as money: 123456 EUR → "1 234,56 €" (fr), "€1,234.56" (en).
 * The number of decimals is the currency's (JPY has none, EUR two).
 */
export function formatAmount(minor, currency = 'EUR', loc = locale()) {
  const nf = numberFormat(loc, currency);
  const digits = nf.resolvedOptions().maximumFractionDigits;
  const n = Number(minor);
  const negative = n < 0;
  const abs = Math.abs(n);
  // Integer arithmetic for the split, so 0.1 + 0.2 never shows up in money.
  const scale = 10 ** digits;
  const units = Math.trunc(abs / scale);
  const cents = abs - units * scale;
  const value = Number(`${units}.${String(cents).padStart(digits, '0')}`);
  return nf.format(negative ? -value : value);
}

/** A count with the language's grouping: 12345 → "12 345" (fr), "12,345" (en). */
export function formatCount(n, loc = locale()) {
  return new Intl.NumberFormat(loc).format(n);
}

function toDate(instant) {
  if (instant instanceof Date) return instant;
  return new Date(instant);
}

/** An instant as a date and time in the user's zone: "24/11/2026 18:43:05". */
export function formatDateTime(instant, loc = locale(), tz = zone) {
  return new Intl.DateTimeFormat(loc, {
    timeZone: tz,
    dateStyle: 'short',
    timeStyle: 'medium',
  }).format(toDate(instant));
}

/** The day of an instant in the user's zone: "24/11/2026". */
export function formatDate(instant, loc = locale(), tz = zone) {
  return new Intl.DateTimeFormat(loc, { timeZone: tz, dateStyle: 'short' }).format(
    toDate(instant),
  );
}

/** A calendar day "YYYY-MM-DD" (bank dates, statistics days), with no time zone shift. */
export function formatDay(day, loc = locale()) {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat(loc, { timeZone: 'UTC', dateStyle: 'short' }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

/** Today's calendar day in the user's zone, "YYYY-MM-DD" (for date filters). */
export function today(tz = zone) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date());
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}
