// countries.js - the ISO 3166-1 alpha-2 countries the server knows (GET /bo/api/countries,
// asked once a sign-in) and their names in the user's language (Intl.DisplayNames), for the
// blocklist's customer countries and the fraud filters' country lists.

import { api, csrf } from './api.js';
import { locale } from './i18n.js';

let cache = null; // {token, promise}

/** The codes the server accepts, ["AD", "AE", …]. */
export function countryCodes() {
  const token = csrf();
  if (!cache || cache.token !== token) {
    const promise = api.get('/bo/api/countries').then((answer) => (answer && answer.items) || []);
    promise.catch(() => {
      if (cache && cache.promise === promise) cache = null; // asked again next time
    });
    cache = { token, promise };
  }
  return cache.promise;
}

let names = null;
let namesLocale = null;

/** "FR" → "France" (fr) / "France" (en); the code itself when the browser has no name for it. */
export function countryName(code) {
  if (!code) return '';
  const loc = locale();
  if (namesLocale !== loc) {
    try {
      names = new Intl.DisplayNames([loc], { type: 'region' });
    } catch {
      names = null;
    }
    namesLocale = loc;
  }
  try {
    return (names && names.of(code)) || code;
  } catch {
    return code;
  }
}

/** "France (FR)": the name and the code, as lists show a country. */
export function countryLabel(code) {
  const name = countryName(code);
  return name && name !== code ? `${name} (${code})` : code;
}

/** [{value: code, label: "France (FR)"}], sorted by name in the user's language. */
export function countryOptions(codes) {
  const loc = locale();
  return codes
    .map((code) => ({ value: code, label: countryLabel(code), name: countryName(code) }))
    .sort((a, b) => a.name.localeCompare(b.name, loc));
}
