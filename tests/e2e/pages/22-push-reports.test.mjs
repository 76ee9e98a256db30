// Push reports (docs/EREPORTING.md "Push reports"): the daily report's subscription on
// Personal information (on, the time of day in the user's zone), the mail the server sends at
// that time with the report attached, the run on the "Daily reports" page; an administrator's
// setting on a user's page.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, inFrench, mailsTo, now, shot, signedIn, user } from '../harness.mjs';

async function api(page, path) {
  const r = await page.request.get(`${base}${path}`);
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`);
  return r.json();
}

async function patch(page, path, body) {
  const status = await page.evaluate(async ([p, b]) => (await fetch(p, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': (localStorage.getItem('guichet.csrf') || sessionStorage.getItem('guichet.csrf')) },
    body: JSON.stringify(b),
  })).status, [path, body]);
  assert.equal(status, 200, path);
}

/** The Paris wall time of the first whole minute at least 15 s from now, as HH:MM. */
function nextMinute() {
  const t = new Date(Math.ceil((now() + 15000) / 60000) * 60000);
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hour12: false }).format(t);
}

test('push reports: subscribed on Personal information, mailed at its time, listed', { timeout: 180000 }, async () => {
  const me = user('consultation');
  const page = await inFrench(await signedIn('consultation'));
  await page.goto(`${base}/#/me`);
  await page.locator('#me-ereport-push-set').waitFor();
  assert.equal(await page.locator('#me-ereport-push').isChecked(), false);
  assert.equal(await page.locator('#me-ereport-push-time').inputValue(), '07:00');
  assert.equal((await page.locator('#me-ereport-push-next').textContent()).trim(), 'Pas de rapport quotidien.');
  const at = nextMinute();
  await page.locator('#me-ereport-push').check();
  await page.locator('#me-ereport-push-time').fill(at);
  await page.locator('#me-ereport-save').click();
  await page.locator('#me-ereport-status').waitFor();
  await page.locator('#me-ereport-push-next', { hasText: 'Prochain rapport' }).waitFor();
  await shot(page, 'me-ereport-push');
  const prefs = await api(page, '/bo/api/me/preferences');
  assert.deepEqual([prefs.ereport.push.enabled, prefs.ereport.push.time], [true, at]);

  // At that time the server mails yesterday's report, attached.
  const [mail] = await mailsTo(`${me.login}@maison-guichet.example`, { timeout: 120000 });
  assert.match(mail.subject, /^Guichet : rapport du \d{4}-\d\d-\d\d \/ report of/);
  assert.match(mail.body, /Content-Disposition: attachment; filename="transactions-\d{4}-\d\d-\d\d\.csv"/);

  // The run, on the page of the daily reports, sent.
  await page.goto(`${base}/#/push-reports`);
  const row = page.locator('#push-rows tr').first();
  for (let i = 0; i < 40 && (await page.locator('#push-rows tr[data-status="sent"]').count()) === 0; i++) {
    await page.waitForTimeout(500);
    await page.reload();
    await page.locator('#push-table').waitFor();
  }
  assert.equal(await row.getAttribute('data-status'), 'sent');
  assert.match(await row.textContent(), /Envoyé/);
  assert.match(await row.textContent(), /Pièce jointe/);
  assert.equal(await page.locator('nav .nav-link', { hasText: 'Rapports quotidiens' }).count(), 1);
  await shot(page, 'push-reports');
  await patch(page, '/bo/api/me/preferences', { ereport: { push: null } });
  await page.context().close();
});

test('push reports: an administrator sets a user’s daily report on the user’s page', async () => {
  const page = await inFrench(await signedIn('admin'));
  const { items } = await api(page, '/bo/api/users');
  const id = items.find((u) => u.login === user('action').login).id;
  await page.goto(`${base}/#/users/${id}`);
  await page.locator('#user-ereport-push-set').waitFor();
  await page.locator('#user-ereport-push').check();
  await page.locator('#user-ereport-push-time').fill('06:30');
  await page.locator('#user-ereport-save').click();
  await page.locator('#user-ereport-push-next', { hasText: 'Prochain rapport' }).waitFor();
  await shot(page, 'user-ereport-push');
  const theirs = await api(page, `/bo/api/users/${id}/ereport`);
  assert.deepEqual([theirs.push.enabled, theirs.push.time], [true, '06:30']);
  assert.match(theirs.push.next_at, /T06:30:00\+01:00$/);
  // A wrong time is refused on the field, and nothing changes.
  await page.locator('#user-ereport-push-time').evaluate((el) => { el.type = 'text'; el.value = '25:00'; });
  await page.locator('#user-ereport-save').click();
  await page.locator('#user-ereport-error').waitFor();
  assert.equal(await page.locator('#user-ereport-push-time').getAttribute('aria-invalid'), 'true');
  assert.equal((await api(page, `/bo/api/users/${id}/ereport`)).push.time, '06:30');
  await patch(page, `/bo/api/users/${id}/ereport`, { push: null });
  await page.context().close();
});
