// Batch › Fichiers d'ordres (issue 15; docs/ORDER-FILES.md): an action user uploads a file of
// payment orders with a good line, a declined card and a line refused at the check; the line
// errors shown at once; the list of files with the file's status until the job is through; the
// file's result line by line, and its result file downloaded; a malformed file refused whole
// with the server's message. Screenshots of the upload, the list and the result page.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, shot, signedIn as harnessSignedIn } from '../harness.mjs';

const HEADER = 'operation,reference,amount,currency,card_number,card_expiry,alias,transaction_id,capture';

async function signedIn(profile) {
  const page = await harnessSignedIn(profile);
  await page.locator('nav .nav-link').first().waitFor();
  return page;
}

function file(name, lines) {
  const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'of-')), name);
  fs.writeFileSync(p, [HEADER, ...lines].join('\r\n') + '\r\n');
  return p;
}

test('Order files: upload, line errors, list, result page and file', async () => {
  const tag = crypto.randomUUID().slice(0, 8);
  const good = file('commandes.csv', [
    `payment,E2E-OF-${tag}-1,2500,EUR,4111111111111111,1230,,,`,
    `payment,E2E-OF-${tag}-2,990,EUR,4000000000000002,1230,,,`,
    `payment,E2E-OF-${tag}-3,1200,EUR,4111111111111112,1230,,,`,
  ]);
  const page = await signedIn('action');
  await page.locator('nav .nav-link', { hasText: 'Batch / Fichiers d’ordres' }).click();
  await page.locator('#of-upload').waitFor();
  await page.locator('#of-file').setInputFiles(good);
  await shot(page, 'order-files-upload');
  await page.locator('#of-send').click();
  await page.locator('#of-upload-done', { hasText: 'reçu' }).waitFor();
  assert.match(await page.locator('#of-upload-done').textContent(), /3 lignes, dont 1 refusées/);
  assert.match(await page.locator('#of-line-errors').textContent(), /Ligne 4 — Numéro de carte invalide/);

  // The list: the file, processed by the job (polled through the API, never a fixed sleep).
  const row = page.locator('#of-rows tr', { hasText: 'commandes.csv' }).first();
  await row.waitFor();
  const id = await row.getAttribute('data-id');
  const deadline = Date.now() + 30000;
  for (;;) {
    const r = await page.request.get(`${base}/bo/api/order-files/${id}`);
    if ((await r.json()).status === 'done_with_errors' || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await page.reload();
  await page.locator(`#of-rows tr[data-id="${id}"][data-status="done_with_errors"]`).waitFor();
  assert.match(await page.locator(`#of-rows tr[data-id="${id}"]`).textContent(), /Traité avec erreurs/);
  await shot(page, 'order-files-list');

  // The result page: each line's result; the result file.
  await page.locator(`#of-rows tr[data-id="${id}"] a`).click();
  await page.locator('#of-line-rows tr[data-line="2"]').waitFor();
  assert.equal(await page.locator('#of-line-rows tr[data-line="2"]').getAttribute('data-status'), 'accepted');
  assert.equal(await page.locator('#of-line-rows tr[data-line="3"]').getAttribute('data-status'), 'refused');
  assert.equal(await page.locator('#of-line-rows tr[data-line="4"]').getAttribute('data-status'), 'refused');
  assert.match(await page.locator('#of-line-rows tr[data-line="2"]').textContent(), /411111\*{6}1111/);
  assert.match(await page.locator('#of-line-rows tr[data-line="4"]').textContent(), /Numéro de carte invalide/);
  assert.match(await page.locator('#of-file-summary').textContent(), /3 lignes : 1 acceptées, 2 refusées, 0 en attente/);
  await shot(page, 'order-files-result');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#of-result').click()]);
  const text = fs.readFileSync(await download.path(), 'utf-8');
  assert.match(text, /^line,operation,reference,amount,currency,card,/);
  assert.equal(text.trim().split('\r\n').length, 4);
  assert.ok(!text.includes('4111111111111111'));

  // A malformed file: refused whole, the server's message shown.
  await page.locator('#of-details a', { hasText: 'Tous les fichiers' }).click();
  await page.locator('#of-upload').waitFor();
  await page.locator('#of-file').setInputFiles(file('faux.csv', ['payment,"ouvert,1,EUR,,,,,']));
  await page.locator('#of-send').click();
  await page.locator('#of-upload-error', { hasText: 'malformed' }).waitFor();
  await page.close();
});
