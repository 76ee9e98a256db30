// After the télécollecte, a transaction's details show the bank's reconciliation (JRB): the
// batch, matched, the net amount and the commission (Vision manual §4.1.5).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, clockArgs, GUICHETD, parisDay, serverFiles, shot, signedIn } from '../harness.mjs';

test('a batched transaction shows its bank reconciliation in the details', async () => {
  const page = await signedIn('action');
  const { db, spool } = serverFiles();
  const run = spawnSync(GUICHETD, ['batch', 'run', '--db', db, '--date', parisDay(), '--spool', spool, ...clockArgs()], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  // The acquirer answers with a return file dated the next day (docs/RECONCILIATION.md),
  // imported here by hand rather than by the server's job on that day.
  const returns = path.join(spool, 'returns');
  for (const name of fs.readdirSync(returns).filter((n) => n.endsWith('.txt'))) {
    const imp = spawnSync(GUICHETD, ['reconcile', 'import', path.join(returns, name), '--db', db, ...clockArgs()], { encoding: 'utf8' });
    assert.equal(imp.status, 0, imp.stderr);
  }

  const query = `from=${parisDay(-3)}&to=${parisDay(1)}&acquirer_status=sent&limit=100`;
  const items = (await (await page.request.get(`${base}/bo/api/transactions?${query}`)).json()).items;
  // A debit not refunded since: its current amount is what its batch sent.
  const sent = items.find((i) => i.batch && i.type === 'debit' && !i.amount_refunded && ['CB', 'VISA', 'MASTERCARD'].includes(i.payment_method));
  assert.ok(sent, 'the télécollecte sent a debit of the last days');
  const d = await (await page.request.get(`${base}/bo/api/transactions/${sent.id}`)).json();
  assert.equal(d.reconciliation.reconciled, 'yes');
  assert.equal(d.reconciliation.net_amount + d.reconciliation.commission, d.amount_current);

  await page.goto(`${base}/#/transactions?from=${parisDay(-3)}&to=${parisDay(1)}&id=${sent.id}`);
  await page.locator(`[data-details="${sent.id}"]`).click();
  await page.locator('#tx-details').waitFor();
  await page.locator('#tx-tab-jrb').click();
  const tab = await page.locator('#tx-details').textContent();
  assert.match(tab, /Oui/);
  assert.ok(!tab.includes('Pas encore de rapprochement'), tab);
  const net = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(d.reconciliation.net_amount / 100);
  assert.ok(tab.replace(/\s/g, '').includes(net.replace(/\s/g, '')), `${tab} shows the net amount ${net}`);
  await shot(page, 'transaction-reconciliation');
  await page.context().close();
});
