// Electronic reporting (Vision manual §3.4.6; docs/EREPORTING.md): the user's own choice on
// Personal information, an administrator's on a user's page, and the transactions' "My
// reporting format" download in it.
import fs from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, inFrench, parisDay, shot, signedIn, user } from '../harness.mjs';

async function api(page, path) {
  const r = await page.request.get(`${base}${path}`);
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`);
  return r.json();
}

test('electronic reporting: chosen on Personal information and on a user’s page, downloaded from the transactions', async () => {
  const page = await inFrench(await signedIn('admin'));
  await page.goto(`${base}/#/me`);
  await page.locator('#me-ereport-form').waitFor();
  for (const label of ['Structure', 'Format']) {
    assert.equal(await page.locator('#me-ereport-form').getByLabel(label, { exact: true }).count(), 1, label);
  }
  assert.equal(await page.locator('#me-ereport-structure').inputValue(), 'standard');
  assert.equal(await page.locator('#me-ereport-format').inputValue(), 'delimited');
  await page.locator('#me-ereport-structure').selectOption('extended');
  await page.locator('#me-ereport-format').selectOption('xml');
  await page.locator('#me-ereport-save').click();
  await page.locator('#me-ereport-status', { hasText: 'Étendue' }).waitFor();
  await shot(page, 'me-ereport');
  const prefs = await api(page, '/bo/api/me/preferences');
  assert.deepEqual([prefs.ereport.structure, prefs.ereport.format], ['extended', 'xml']);

  // The transactions' download in it.
  await page.goto(`${base}/#/transactions?from=${parisDay(-30)}&to=${parisDay(0)}`);
  await page.locator('#tx-export-report').waitFor();
  assert.equal((await page.locator('#tx-export-report').textContent()).trim(), 'Mon format de reporting');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#tx-export-report').click()]);
  assert.equal(download.suggestedFilename(), 'transactions.xml');
  const xml = fs.readFileSync(await download.path(), 'utf8');
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ereport structure="extended">/);
  assert.match(xml, /<\/ereport>\n$/);

  // An administrator's choice for another user, on that user's page.
  const target = user('consultation');
  const { items } = await api(page, '/bo/api/users');
  const id = items.find((u) => u.login === target.login).id;
  await page.goto(`${base}/#/users/${id}`);
  await page.locator('#user-ereport-form').waitFor();
  assert.equal((await page.locator('#user-ereport-title').textContent()).trim(), 'Reporting électronique de cet utilisateur');
  await page.locator('#user-ereport-structure').selectOption('file_management');
  await page.locator('#user-ereport-format').selectOption('fixed');
  await page.locator('#user-ereport-save').click();
  await page.locator('#user-ereport-status', { hasText: 'Gestion de fichiers' }).waitFor();
  await shot(page, 'user-ereport');
  const theirs = await api(page, `/bo/api/users/${id}/ereport`);
  assert.deepEqual([theirs.structure, theirs.format], ['file_management', 'fixed']);

  // Back to the defaults: the other files' tests expect them.
  for (const [path, body] of [
    ['/bo/api/me/preferences', { ereport: { structure: null, format: null } }],
    [`/bo/api/users/${id}/ereport`, { structure: null, format: null }],
  ]) {
    const status = await page.evaluate(async ([p, b]) => (await fetch(p, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
      body: JSON.stringify(b),
    })).status, [path, body]);
    assert.equal(status, 200, path);
  }
  await page.context().close();
});
