// money.js - amounts typed by the user (search filters, partial capture and refund) to and
// from integers of minor units. Never floating point: the text is split at its decimal
// separator and both parts are read as integers (SPEC §4: money is minor units).

import { locale } from './i18n.js';

/** The number of decimals of a currency (EUR 2, JPY 0), as Intl knows it. */
export function currencyDigits(currency = 'EUR') {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits;
  } catch {
    return 2;
  }
}

/**
 * "12,34" / "12.34" / "1 234,5" / "1,234.56" → minor units (1234, 1234, 123450, 123456) for
 * a two-decimal currency; null when the text is not an amount. The last "," or "." followed
 * by 1 to (digits) digits is the decimal separator; other separators and spaces group digits.
 */
export function parseAmount(text, currency = 'EUR') {
  const digits = currencyDigits(currency);
  const s = String(text || '').replace(/[\s\u00a0\u202f']/g, '');
  if (!/^\d[\d.,]*$/.test(s) && !/^[.,]\d+$/.test(s)) return null;
  let units = s;
  let frac = '';
  const m = /^(.*)[.,](\d+)$/.exec(s);
  if (m && m[2].length <= digits && digits > 0) {
    units = m[1];
    frac = m[2];
  }
  units = units.replace(/[.,]/g, '');
  if (!/^\d*$/.test(units) || (units === '' && frac === '')) return null;
  const value = Number(units || '0') * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  return Number.isSafeInteger(value) ? value : null;
}

/** Minor units as the text of an input, without grouping: 1234 EUR → "12,34" (fr), "12.34" (en). */
export function amountInput(minor, currency = 'EUR', loc = locale()) {
  const digits = currencyDigits(currency);
  const n = Math.abs(Number(minor));
  const scale = 10 ** digits;
  const units = Math.trunc(n / scale);
  if (digits === 0) return String(units);
  const sep = loc.startsWith('en') ? '.' : ',';
  return `${units}${sep}${String(n - units * scale).padStart(digits, '0')}`;
}
