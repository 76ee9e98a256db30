// api.js - the one way the UI talks to guichetd's JSON API (README "The back office").
//
// Cookies go with every call (the session cookie is HttpOnly: the page never sees it). The
// CSRF token of the sign-in answer is kept in localStorage, which every tab of this browser
// shares as it shares the cookie (a second tab works in the same session, and a sign-out in
// one is seen by all), and sent as X-CSRF-Token on every request that changes something. Errors arrive as ApiError with the
// server's code, turned into a readable message in the user's language by errorMessage().
// A 401 on any call but the sign-in itself goes to the handler set by onUnauthorized (back
// to the sign-in page), and so does a 423 "locked": a third wrong current password locked the
// account and ended the session.

import { has, t } from './i18n.js';

const CSRF_KEY = 'guichet.csrf';

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status; // HTTP status, 0 when the server was not reached
    this.code = code; // the server's "error" code
    this.body = body || {};
  }
}

let unauthorized = () => {};

/** fn(error) runs when a call answers 401 (the session is gone). */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

export function setCsrf(token) {
  try {
    if (token) localStorage.setItem(CSRF_KEY, token);
    else localStorage.removeItem(CSRF_KEY);
  } catch {
    // storage refused: state-changing calls will get 403 csrf, shown as such
  }
}

export function csrf() {
  try {
    return localStorage.getItem(CSRF_KEY);
  } catch {
    return null;
  }
}

/** fn(token) runs when another tab of this browser signed in (a token) or out (null). */
export function onCsrfChange(fn) {
  window.addEventListener('storage', (e) => {
    if (e.key === CSRF_KEY || e.key === null) fn(csrf());
  });
}

/**
 * Sends a file's bytes as they are (request() sends JSON only): an upload of type contentType.
 * Resolves with the parsed JSON answer; rejects with ApiError, a 413 saying tooLarge when given.
 */
export async function uploadBytes(method, path, body, contentType, tooLarge) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: { Accept: 'application/json', 'Content-Type': contentType, 'X-CSRF-Token': csrf() || '' },
      body,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', t('error.network'));
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 413 && tooLarge) throw new ApiError(413, 'too_large', tooLarge, data);
    throw new ApiError(res.status, (data && data.error) || `http_${res.status}`, data && data.message, data);
  }
  return data;
}

/**
 * Calls the API. body (optional) is sent as JSON. Resolves with the parsed JSON answer;
 * rejects with ApiError. options.quiet401: a 401 is the caller's business (sign-in form).
 */
export async function request(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const token = csrf();
    if (token) headers['X-CSRF-Token'] = token;
  }
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', t('error.network'));
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const code = (data && data.error) || `http_${res.status}`;
    const err = new ApiError(res.status, code, data && data.message, data);
    const ended = res.status === 401 || (res.status === 423 && code === 'locked');
    if (ended && !options.quiet401) unauthorized(err);
    throw err;
  }
  return data;
}

export const api = {
  get: (path, options) => request('GET', path, undefined, options),
  post: (path, body = {}, options) => request('POST', path, body, options),
  patch: (path, body = {}, options) => request('PATCH', path, body, options),
  put: (path, body = {}, options) => request('PUT', path, body, options),
  del: (path, options) => request('DELETE', path, undefined, options),
};

// A wrong code or current password of a user who proved their password: the failures still
// allowed before the account locks (README "Sign-in"), said after the error.
const COUNTED = new Set(['bad_code', 'wrong_password', 'bad_password']);

function attemptsLeft(err) {
  const n = err.body && err.body.attempts_left;
  if (!COUNTED.has(err.code) || !Number.isInteger(n) || n < 1) return '';
  return ` ${n === 1 ? t('attempts.left.1') : t('attempts.left.n', { count: String(n) })}`;
}

/** A readable message for an error, in the user's language. */
export function errorMessage(err) {
  if (!(err instanceof ApiError)) return t('error.generic', { code: String(err && err.message) });
  if (err.code === 'invalid_field' || err.code === 'invalid_request') {
    return t('error.invalid_field', { message: err.message || err.code });
  }
  if (err.code === 'too_many_attempts') {
    // 429: the server says how long to wait (Retry-After, and retry_after in the body).
    return t('error.too_many_attempts', { seconds: String(err.body.retry_after || 1) });
  }
  if (has(`error.${err.code}`)) return t(`error.${err.code}`) + attemptsLeft(err);
  // A code the UI does not know yet: the server's own message (English) says what happened.
  return err.message && err.message !== err.code
    ? err.message
    : t('error.generic', { code: err.code });
}
