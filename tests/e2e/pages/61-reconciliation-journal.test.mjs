// The bank reconciliation journal page (Vision manual §8; docs/RECONCILIATION.md): three new
// debits of the first shop sent in a batch; the simulator's return file of it, changed to
// hold one mismatch of each kind (the first line a cent more, the last left out, a line for
// an unknown transaction), imported with `guichetd reconcile import` beside the server; then
// the page: the journal's columns and a filter, the queue of mismatches, one resolved with a
// comment (its action-log line), the export link, the import form (a file refused by line,
// the same file again changing nothing), a filter.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, clockArgs, demo, GUICHETD, parisDay, serverFiles, shot, showFilters, signedIn, sql } from '../harness.mjs';

async function pay(amount) {
  const shop = demo.shops[0];
  const body = JSON.stringify({
    amount,
    currency: 'EUR',
    order_ref: `E2E-JRB-${crypto.randomUUID().slice(0, 8)}`,
    email: 'e2e.jrb@example.com',
    card: { number: '4970100000000006', expiry: '1230', cvv: '123' },
    capture: 'auto',
  });
  const sig = crypto.createHmac('sha512', Buffer.from(shop.hmac_key, 'hex')).update(body).digest('hex');
  const r = await fetch(`${base}/api/v1/payments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Guichet-Site': shop.site, 'X-Guichet-Rang': shop.rang, 'X-Guichet-Signature': sig },
    body,
  });
  assert.equal(r.status, 201);
  return String((await r.json()).id);
}

/** The return file's text with its trailer made again from its lines. */
function fileText(header, lines) {
  const sum = (i) => lines.reduce((s, l) => s + Number(l[i]), 0);
  return [header, ...lines, ['Z', lines.length, sum(3), sum(4), sum(5)]].map((r) => `${r.join(';')}\n`).join('');
}

test('JRB journal: reconciled lines, the mismatch queue, a mismatch resolved', async () => {
  const ids = [await pay(4100), await pay(4101), await pay(4102)];
  const { db, spool } = serverFiles();
  const run = spawnSync(GUICHETD, ['batch', 'run', '--db', db, '--date', parisDay(), '--spool', spool, ...clockArgs()], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const dir = path.join(spool, 'returns');
  const name = fs.readdirSync(dir).find((n) => n.endsWith('.txt') && ids.every((id) => fs.readFileSync(path.join(dir, n), 'utf8').includes(`L;${id};`)));
  assert.ok(name, 'the return file of the new batch');
  const rows = fs.readFileSync(path.join(dir, name), 'utf8').trim().split('\n').map((l) => l.split(';'));
  const header = rows[0];
  const lines = rows.slice(1, -1);
  const mine = lines.filter((l) => ids.includes(l[1]));
  const first = mine[0];
  const changed = lines
    .filter((l) => l !== mine[mine.length - 1])
    .map((l) => (l === first ? ['L', l[1], 'DEBIT', String(Number(l[3]) + 1), l[4], String(Number(l[3]) + 1 - Number(l[4])), l[6], l[7]] : l));
  changed.push(['L', '999999999', 'DEBIT', '100', '0', '100', 'EUR', '']);
  const file = path.join(spool, '..', 'jrb-e2e.txt');
  fs.writeFileSync(file, fileText(header, changed));
  const imp = spawnSync(GUICHETD, ['reconcile', 'import', file, '--db', db, ...clockArgs()], { encoding: 'utf8' });
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stdout, /1 amounts differ, 1 unknown, 1 missing/);

  const page = await signedIn('action');
  await page.locator('nav .nav-link', { hasText: 'Rapprochement bancaire (JRB)' }).click();
  await page.locator('#jrb-title').waitFor();
  const table = page.locator('#jrb-journal');
  // The row of a transaction: its first cell is its number (an order reference may hold it).
  const rowOf = (id) => table.locator('tbody tr').filter({ has: page.locator('td[data-col="id"]', { hasText: new RegExp(`^${id}$`) }) });
  await rowOf(ids[1]).waitFor();
  assert.match(await rowOf(ids[1]).textContent(), /Oui/);
  assert.match(await rowOf(ids[0]).textContent(), /Erreur/);
  assert.match(await rowOf(ids[2]).textContent(), /En attente/);
  const heads = await table.locator('thead th').allTextContents();
  for (const col of ['Numéro de transaction', 'Date de remise', 'Rapprochement', 'Montant net', 'Commission', 'Contrat', 'Rang']) {
    assert.ok(heads.some((x) => x.includes(col)), `${col} in ${heads}`);
  }
  const csv = await page.locator('#jrb-export-csv').getAttribute('href');
  assert.match(csv, /^\/bo\/api\/reconciliation\/export\?.*format=csv/);
  const exported = await page.request.get(`${base}${csv}`);
  assert.equal(exported.status(), 200);
  assert.ok((await exported.text()).includes(ids[1]));

  // The queue: one of each kind.
  const queue = page.locator('#jrb-m-rows');
  for (const kind of ['amount', 'unknown', 'missing']) await queue.locator(`tr[data-kind="${kind}"]`).first().waitFor();
  assert.match(await queue.textContent(), /Montant différent/);
  assert.match(await queue.textContent(), /Ligne inconnue/);
  assert.match(await queue.textContent(), /Ligne manquante/);
  await shot(page, 'reconciliation-journal');

  // A mismatch looked into and resolved with a comment.
  const missing = queue.locator('tr[data-kind="missing"]').filter({ has: page.locator(`a[href$="id=${ids[2]}"]`) });
  await missing.locator('button[data-resolve]').click();
  await missing.locator('textarea').fill('Remise complémentaire du lendemain, vue avec la banque');
  await shot(page, 'reconciliation-resolve');
  await missing.locator('button[data-save]').click();
  await queue.locator('tr', { hasText: 'vue avec la banque' }).waitFor();
  assert.match(await queue.locator('tr', { hasText: 'vue avec la banque' }).textContent(), /Résolu/);
  assert.match(sql("SELECT details FROM action_log WHERE action = 'reconciliation_resolved' ORDER BY id DESC LIMIT 1"), /vue avec la banque/);
  await page.locator('#jrb-m-status').selectOption('resolved');
  await queue.locator('tr', { hasText: 'vue avec la banque' }).waitFor();
  await shot(page, 'reconciliation-resolved');

  // The import form: a malformed file is refused with its errors by line; the file imported
  // already changes nothing.
  const bad = fileText(header, changed).replace(';DEBIT;', ';DEBT;');
  await page.locator('#jrb-file').setInputFiles({ name: 'mauvais.txt', mimeType: 'text/plain', buffer: Buffer.from(bad) });
  await page.locator('#jrb-upload').click();
  await page.locator('#jrb-upload-errors li').first().waitFor();
  assert.match(await page.locator('#jrb-upload-errors').textContent(), /Ligne 2 : the type/);
  await shot(page, 'reconciliation-upload-refused');
  await page.locator('#jrb-file').setInputFiles({ name: 'jrb-e2e.txt', mimeType: 'text/plain', buffer: Buffer.from(fileText(header, changed)) });
  await page.locator('#jrb-upload').click();
  await page.locator('#jrb-upload-done', { hasText: 'déjà été importé' }).waitFor();

  // A filter of the journal: the errors only.
  await showFilters(page, 'jrb');
  await page.locator('#jrb-status').selectOption('error');
  await page.locator('#jrb-submit').click();
  // The demo's reconciled lines leave with the new search (its answer takes a moment).
  await rowOf(ids[1]).waitFor({ state: 'detached' });
  await rowOf(ids[0]).waitFor();
  assert.equal(await rowOf(ids[1]).count(), 0);
  await page.context().close();
});
