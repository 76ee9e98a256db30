// Two-step sign-in (SPEC §3; Ingenico guide 3.2.1 "2FA"): a user turns on an authenticator
// app from Personal information (QR code, key in groups of 4, code + password), signs in again
// through the code step (a wrong code, the right one; three wrong ones lock the account), turns
// it off (password + code, after a confirmation); another user turns on the e-mailed code,
// signs in with the code read from the server's spool folder, asks for a new one (too soon,
// then after 30 s); an administrator sees each user's method and turns one off from Users.
//
// Two users of their own, created here by the administrator: no other file depends on them,
// and they never take the demo users' sessions.
import crypto from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, browser, heading, mailsTo, NEW_PASSWORD, newPage, now, shot, signedIn, signIn, user } from '../harness.mjs';

// --- RFC 6238 (TOTP: HMAC-SHA-1, 6 digits, 30 s), computed here from the key the page shows --

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `base32 character ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The code of time step (RFC 4226's HOTP of the 30 s counter). */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(value).padStart(6, '0');
}

const nowStep = () => Math.floor(now() / 30000);

/**
 * The server takes the current step ±1 and never a step it already took (nor an earlier one):
 * the next code is that of the step after the last one used, or the current one, waiting for
 * the next period when both steps ahead were used.
 */
async function nextCode(app) {
  for (;;) {
    const step = Math.max(nowStep(), app.lastStep + 1);
    if (step <= nowStep() + 1) {
      app.lastStep = step;
      return totp(app.secret, step);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A 6-digit code the server refuses: none of the steps it would take now. */
function wrongCode(app) {
  const near = [-1, 0, 1].map((d) => totp(app.secret, nowStep() + d));
  return ['000000', '111111', '222222'].find((c) => !near.includes(c));
}

// --- the users of this file -------------------------------------------------------------------

let admin; // the administrator's page, kept for the whole file
const app = { secret: null, lastStep: 0 }; // the TOTP user's key and the last step used
let totpUser; // {id, login, email, page}
let mailUser;

/** POST as the administrator; data: the JSON body, none when undefined (unlock takes none). */
async function adminPost(path, data) {
  const csrf = await admin.evaluate(() => localStorage.getItem('guichet.csrf'));
  const options = { headers: { 'X-CSRF-Token': csrf } };
  if (data !== undefined) options.data = data;
  const r = await admin.request.post(`${base}${path}`, options);
  assert.ok(r.ok(), `${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

/** A consultation user created by the administrator, their first sign-in's steps done. */
async function newUser(tag) {
  const login = `e2e.sf${tag}${Date.now() % 100000}`;
  const email = `${login}@maison-guichet.example`;
  const created = await adminPost('/bo/api/users', { login, name: `Deux Étapes ${tag}`, email, profile: 'consultation' });
  const [mail] = await mailsTo(email);
  const temporary = mail.body.match(/^Temporary password: (\S+)$/m)[1];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const api = context.request;
  const r = await api.post(`${base}/bo/api/session`, { data: { login, password: temporary } });
  assert.equal(r.status(), 200, await r.text());
  const headers = { 'X-CSRF-Token': (await r.json()).csrf };
  assert.equal((await api.post(`${base}/bo/api/password`, { headers, data: { old: temporary, new: NEW_PASSWORD } })).status(), 200);
  assert.equal((await api.post(`${base}/bo/api/terms`, { headers, data: { accept: true } })).status(), 200);
  assert.equal((await api.delete(`${base}/bo/api/session`, { headers })).status(), 200);
  return { id: created.id, login, email, page: await newPage(context) };
}

async function signOut(page) {
  await page.locator('#signout').click();
  await page.locator('#signin-notice').waitFor();
}

/** Personal information's "Two-step sign-in" card, once drawn. */
async function card(page) {
  await page.goto(`${base}/#/me`);
  await page.locator('#me-sf-method').waitFor();
  return page.locator('#me-sf');
}

test('the QR code is brought in as SVG nodes only when it is made of QR shapes, the key by 4', async () => {
  // Not the harness's newPage(): the refused samples below make the browser report CSP
  // violations (an onload, a style attribute, its own parse-error page) while merely parsed.
  const context = await browser.newContext();
  const page = await context.newPage();
  const reports = [];
  page.on('console', (msg) => reports.push(msg.text()));
  await page.goto(`${base}/#/signin`);
  await page.locator('#signin-form').waitFor();
  const ns = 'xmlns="http://www.w3.org/2000/svg"';
  const shape = async (text) =>
    page.evaluate(async (svgText) => {
      const { qrSvg } = await import('/assets/js/second-factor-settings.js');
      const svg = qrSvg(svgText);
      return svg ? `${svg.namespaceURI} ${svg.localName} ${svg.childNodes.length}` : null;
    }, text);
  // What the server sends (src/crypto/otp.c): shapes with fill attributes, no violation.
  const good = `<svg ${ns} viewBox="0 0 29 29" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="M0 0h7v7H0z"/></svg>`;
  assert.equal(await shape(good), 'http://www.w3.org/2000/svg svg 2');
  assert.deepEqual(reports, []);
  const bad = {
    script: `<svg ${ns}><script>alert(1)</script><rect/></svg>`,
    handler: `<svg ${ns} onload="alert(1)"><rect/></svg>`,
    style: `<svg ${ns}><rect style="fill:red"/></svg>`,
    link: `<svg ${ns} xmlns:x="http://www.w3.org/1999/xlink"><a x:href="https://example.com"><rect/></a></svg>`,
    foreign: `<svg ${ns}><foreignObject><p>x</p></foreignObject></svg>`,
    html: '<p>not svg</p>',
    broken: `<svg ${ns}><rect>`,
    empty: '',
  };
  for (const [name, text] of Object.entries(bad)) assert.equal(await shape(text), null, name);
  const grouped = await page.evaluate(async () => {
    const { groupSecret } = await import('/assets/js/second-factor-settings.js');
    return [groupSecret('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'), groupSecret('ABCDEFGHIJ')];
  });
  assert.deepEqual(grouped, ['JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP', 'ABCD EFGH IJ']);
  await context.close();
});

test('two-step sign-in with an authenticator app: turn it on, the code step, locked after three wrong codes', async () => {
  admin = await signedIn('admin');
  await admin.evaluate(async () => {
    // run.mjs left the administrator in English; the words below are French.
    const r = await fetch('/bo/api/me', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
      body: JSON.stringify({ language: 'fr' }),
    });
    if (r.status !== 200) throw new Error(`PATCH /bo/api/me: ${r.status}`);
  });
  totpUser = await newUser('app');
  mailUser = await newUser('mail');
  const { page } = totpUser;

  assert.equal(await signIn(page, totpUser.login, NEW_PASSWORD), 200);
  await page.locator('#home-title').waitFor();
  const sf = await card(page);
  assert.equal(await page.locator('#me-sf-method').getAttribute('data-method'), 'none');
  assert.match(await page.locator('#me-sf-method').textContent(), /Désactivée/);

  // The enrolment: the QR code (SVG nodes from the server, under the CSP), the key by 4.
  await page.locator('#me-sf-use-totp').click();
  await page.locator('#me-sf-totp-form').waitFor();
  const qr = page.locator('#me-sf-qr svg');
  assert.equal(await qr.count(), 1, 'the QR code is shown');
  assert.equal(await qr.getAttribute('role'), 'img');
  assert.ok((await page.locator('#me-sf-qr svg rect, #me-sf-qr svg path').count()) > 0);
  const grouped = (await page.locator('#me-sf-secret').textContent()).trim();
  assert.match(grouped, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
  app.secret = grouped.replace(/ /g, '');
  assert.equal(base32(app.secret).length, 20, 'a 160-bit key');
  for (const label of ['Code à 6 chiffres de l’application', 'Votre mot de passe']) {
    assert.equal(await sf.getByLabel(label, { exact: true }).count(), 1, label);
  }
  const code = page.locator('#me-sf-code');
  assert.equal(await code.getAttribute('inputmode'), 'numeric');
  assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
  await shot(page, 'me-sf-totp-enrol');

  // A wrong code is said, and nothing is turned on; the right one, from the keyboard.
  await code.fill(wrongCode(app));
  await page.locator('#me-sf-password').fill(NEW_PASSWORD);
  await page.locator('#me-sf-totp-form-submit').click();
  await page.locator('#me-sf-error', { hasText: 'Code incorrect ou expiré.' }).waitFor();
  assert.equal(await code.getAttribute('aria-invalid'), 'true');
  assert.equal((await (await page.request.get(`${base}/bo/api/me/second-factor`)).json()).method, null);
  await code.fill(await nextCode(app));
  await page.keyboard.press('Enter');
  await page.locator('#me-sf-status', { hasText: 'application d’authentification est activée' }).waitFor();
  assert.equal(await page.locator('#me-sf-method').getAttribute('data-method'), 'totp');
  // No new QR code while the app is on (409 second_factor_active): "Turn off" only.
  assert.equal(await page.locator('#me-sf-use-totp').count(), 0);
  assert.equal(await page.locator('#me-sf-off').count(), 1);
  await shot(page, 'me-sf-totp-on');

  // Signed in again: the code step, after the password, before anything else.
  await signOut(page);
  assert.equal(await signIn(page, totpUser.login, NEW_PASSWORD), 200);
  await page.locator('#sf-form').waitFor();
  assert.equal(await heading(page), 'Validation en deux étapes');
  assert.equal(await page.locator('#sf-intro').textContent(), 'Saisissez le code affiché par votre application d’authentification.');
  assert.equal(await page.locator('#sf-resend').count(), 0, 'no code to send again for an app');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'sf-code');
  assert.equal(await page.getByLabel('Code à 6 chiffres', { exact: true }).count(), 1);
  const step = page.locator('#sf-code');
  assert.equal(await step.getAttribute('inputmode'), 'numeric');
  assert.equal(await step.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await step.getAttribute('maxlength'), '6');
  await page.goto(`${base}/#/transactions`);
  await page.waitForFunction(() => location.hash === '#/second-factor');
  await page.locator('#sf-form').waitFor();
  const forbidden = await page.request.get(`${base}/bo/api/me`);
  assert.equal(forbidden.status(), 403);
  assert.equal((await forbidden.json()).error, 'second_factor');
  // Reloaded, the step still says which method (GET /bo/api/session, this tab's storage).
  await page.reload();
  await page.locator('#sf-intro', { hasText: 'application d’authentification' }).waitFor();
  await shot(page, 'sf-step-totp');

  // Five digits are caught here. Wrong codes are said clearly; the third in a row locks the
  // account and ends the session: back to sign-in, saying why.
  await step.fill('12345');
  await page.locator('#sf-submit').click();
  await page.locator('#sf-error', { hasText: 'exactement 6 chiffres' }).waitFor();
  for (let i = 1; i <= 3; i++) {
    await step.fill(wrongCode(app));
    const answer = page.waitForResponse((r) => r.url() === `${base}/bo/api/session/second-factor`);
    await page.locator('#sf-submit').click();
    assert.equal((await answer).status(), i < 3 ? 401 : 423);
    if (i === 1) {
      await page.locator('#sf-error', { hasText: 'Code incorrect ou expiré.' }).waitFor();
      assert.equal(await step.inputValue(), '');
      assert.equal(await step.getAttribute('aria-invalid'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'sf-code');
      await shot(page, 'sf-wrong-code');
    }
  }
  await page.locator('#signin-notice', { hasText: 'Trop de codes erronés : votre compte est verrouillé.' }).waitFor();
  await page.locator('#signin-form').waitFor();
  await shot(page, 'sf-locked');
  assert.equal(await signIn(page, totpUser.login, NEW_PASSWORD), 423);

  // Unlocked by the administrator: the right code leads to Home.
  await adminPost(`/bo/api/users/${totpUser.id}/unlock`);
  assert.equal(await signIn(page, totpUser.login, NEW_PASSWORD), 200);
  await step.fill(await nextCode(app));
  await page.locator('#sf-submit').click();
  await page.locator('#home-title').waitFor();
});

/** The app user turns the app off: password, code, a confirmation (cancelled first). */
async function turnOffApp() {
  const { page } = totpUser;
  await card(page);
  await page.locator('#me-sf-off').click();
  await page.locator('#me-sf-off-form').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'me-sf-off-password');
  await page.locator('#me-sf-off-password').fill(NEW_PASSWORD);
  await page.locator('#me-sf-off-code').fill(await nextCode(app));
  await page.locator('#me-sf-off-form-submit').click();
  await page.locator('#confirm-dialog').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'confirm-dialog-cancel');
  await shot(page, 'me-sf-off-confirm');
  await page.keyboard.press('Escape');
  await page.locator('#confirm-dialog').waitFor({ state: 'detached' });
  assert.equal((await (await page.request.get(`${base}/bo/api/me/second-factor`)).json()).method, 'totp');
  // Confirmed: off (the code was not sent by the cancelled attempt).
  await page.locator('#me-sf-off-form-submit').click();
  await page.locator('#confirm-dialog-ok').click();
  await page.locator('#me-sf-status', { hasText: 'La validation en deux étapes est désactivée.' }).waitFor();
  assert.equal(await page.locator('#me-sf-method').getAttribute('data-method'), 'none');
  // The next sign-in goes straight to Home.
  await signOut(page);
  assert.equal(await signIn(page, totpUser.login, NEW_PASSWORD), 200);
  await page.locator('#home-title').waitFor();
  await page.context().close();
}

test('two-step sign-in by e-mail: the code from the mail, a new one after 30 s; meanwhile the app is turned off', async () => {
  const { page } = mailUser;
  assert.equal(await signIn(page, mailUser.login, NEW_PASSWORD), 200);
  await page.locator('#home-title').waitFor();
  await card(page);
  await page.locator('#me-sf-use-email').click();
  await page.locator('#me-sf-email-form').waitFor();
  assert.ok((await page.locator('#me-sf-email-form').textContent()).includes(mailUser.email));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'me-sf-email-password');
  // Cancel gives the focus back to the button that opened the form.
  await page.locator('#me-sf-cancel').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'me-sf-use-email');
  await page.keyboard.press('Enter');
  await page.locator('#me-sf-email-password').fill('not the password 42');
  await page.locator('#me-sf-email-form-submit').click();
  await page.locator('#me-sf-error', { hasText: 'Le mot de passe est incorrect.' }).waitFor();
  await page.locator('#me-sf-email-password').fill(NEW_PASSWORD);
  await page.locator('#me-sf-email-form-submit').click();
  await page.locator('#me-sf-status', { hasText: 'par e-mail est activée' }).waitFor();
  assert.equal(await page.locator('#me-sf-method').getAttribute('data-method'), 'email');
  const mailsBefore = (await mailsTo(mailUser.email)).length;

  // The step in English this time (the sign-in page's language until the user's is known).
  await signOut(page);
  await page.locator('#signin-language').selectOption('en');
  await page.locator('#signin-title', { hasText: 'Sign in to the back office' }).waitFor();
  assert.equal(await signIn(page, mailUser.login, NEW_PASSWORD), 200);
  const sentAt = Date.now();
  await page.locator('#sf-form').waitFor();
  assert.equal(await page.locator('#sf-intro').textContent(), 'Enter the code we sent to your e-mail address. It is valid for 10 minutes.');
  assert.equal(await page.getByLabel('6-digit code', { exact: true }).count(), 1);
  const mails = await mailsTo(mailUser.email, { count: mailsBefore + 1 });
  const first = mails[mails.length - 1].body.match(/^Code: (\d{6})$/m)[1];

  // A new code right away: too soon, said so.
  await page.locator('#sf-resend').click();
  await page.locator('#sf-error', { hasText: 'A code was just sent: wait 30 seconds' }).waitFor();
  await shot(page, 'sf-step-email-too-soon');

  // While the 30 s pass: the administrator sees both users' methods, in the list and the
  // details; then the app user turns the app off.
  await admin.goto(`${base}/#/users`);
  await admin.reload();
  await admin.locator('#users-table').waitFor();
  const cell = (u) => admin.locator(`#users-table tr[data-login="${u.login}"] .cell-sf`);
  assert.equal(await cell(totpUser).textContent(), 'Deux étapes : Application');
  assert.equal(await cell(mailUser).textContent(), 'Deux étapes : E-mail');
  assert.equal(await admin.locator(`#users-table tr[data-login="${user('admin').login}"] .cell-sf`).count(), 0);
  await shot(admin, 'users-sf');
  await admin.goto(`${base}/#/users/${totpUser.id}`);
  await admin.locator('#user-details', { hasText: 'Validation en deux étapes' }).waitFor();
  assert.match(await admin.locator('#user-details').textContent(), /Application/);
  assert.equal(await admin.locator('#user-sf-disable').count(), 1);
  await turnOffApp();

  // 30 s after the first code, a new one: it replaces the first.
  await new Promise((r) => setTimeout(r, Math.max(0, sentAt + 31000 - Date.now())));
  await page.locator('#sf-resend').click();
  await page.locator('#sf-status', { hasText: 'A new code was sent' }).waitFor();
  const again = await mailsTo(mailUser.email, { count: mailsBefore + 2 });
  const second = again[again.length - 1].body.match(/^Code: (\d{6})$/m)[1];
  if (second !== first) {
    await page.locator('#sf-code').fill(first);
    await page.locator('#sf-submit').click();
    await page.locator('#sf-error', { hasText: 'Wrong or expired code.' }).waitFor();
  }
  await shot(page, 'sf-step-email');
  await page.locator('#sf-code').fill(second);
  await page.locator('#sf-submit').click();
  await page.locator('#home-title').waitFor();
  // The user's own language (French) from here on.
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
});

test('an administrator turns off another user\'s two-step sign-in from Users', async () => {
  await admin.goto(`${base}/#/users/${mailUser.id}`);
  await admin.locator('#user-title', { hasText: mailUser.login }).waitFor();
  await admin.locator('#user-sf-disable').waitFor();
  assert.match(await admin.locator('#user-details').textContent(), /E-mail/);
  await admin.locator('#user-sf-disable').click();
  await admin.locator('#confirm-dialog', { hasText: mailUser.login }).waitFor();
  assert.equal(await admin.evaluate(() => document.activeElement.id), 'confirm-dialog-cancel');
  await shot(admin, 'users-sf-disable-confirm');
  await admin.locator('#confirm-dialog-ok').click();
  await admin.locator('#users-status', { hasText: `La validation en deux étapes de ${mailUser.login} est désactivée.` }).waitFor();
  assert.equal(await admin.locator('#user-sf-disable').count(), 0);
  assert.match(await admin.locator('#user-details').textContent(), /Validation en deux étapesnon/);
  // The action log names the user it was done to.
  const log = await admin.request.get(`${base}/bo/api/actions?from=2000-01-01&to=2100-12-31&action=second_factor_disabled`);
  assert.equal(log.status(), 200, await log.text());
  assert.ok((await log.json()).items.some((a) => a.target_login === mailUser.login), 'the change is logged');
  await admin.context().close();

  // The user signs in with the password alone.
  const { page } = mailUser;
  await signOut(page);
  assert.equal(await signIn(page, mailUser.login, NEW_PASSWORD), 200);
  await page.locator('#home-title').waitFor();
  await page.context().close();
});
