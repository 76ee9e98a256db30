// The transactions page (Vision manual §4.1, §4.2): search and journal against the API,
// details with 3-D Secure and history, cash operations (partial capture, refund, cancel),
// CSV export in the user's columns, columns kept across sign-ins, the tree navigation, and
// no operation for the consultation profile.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, dayShown, dayValue, demo, now, shot, signedIn as harnessSignedIn } from '../harness.mjs';

/** signedIn(), then waits for the landing page: the harness returns as soon as a heading shows,
 * which the sign-in page has too, and the landing redirect would then undo a navigation. */
async function signedIn(profile) {
  const page = await harnessSignedIn(profile);
  await page.locator('nav .nav-link').first().waitFor();
  return page;
}

/** A payment through the signed merchant API (README "The merchant API"). */
async function pay(fields) {
  const shop = demo.shops[0];
  const body = JSON.stringify({
    amount: 4250,
    currency: 'EUR',
    order_ref: `E2E-${crypto.randomUUID().slice(0, 8)}`,
    card: { number: '4111111111111111', expiry: '1230', cvv: '123' },
    email: 'e2e@example.com',
    ...fields,
  });
  const sig = crypto.createHmac('sha512', Buffer.from(shop.hmac_key, 'hex')).update(body).digest('hex');
  const r = await fetch(`${base}/api/v1/payments`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Guichet-Site': shop.site,
      'X-Guichet-Rang': shop.rang,
      'X-Guichet-Signature': sig,
    },
    body,
  });
  const answer = await r.text();
  assert.equal(r.status, 201, answer);
  return JSON.parse(answer);
}

function day(offsetDays = 0, months = 0) {
  const d = new Date(now());
  d.setUTCDate(d.getUTCDate() + offsetDays);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

const text = async (page, sel) => (await page.locator(sel).textContent()).replace(/\s/g, ' ').trim();
const euros = (minor) => new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(minor / 100).replace(/\s/g, ' ');

async function api(page, path) {
  const r = await page.request.get(`${base}${path}`);
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`);
  return r.json();
}

/** Waits until the journal shows the answer of the search in flight. */
async function settled(page) {
  await page.waitForFunction(() => {
    const table = document.querySelector('#tx-journal');
    return table && !table.hasAttribute('aria-busy') && document.querySelector('#tx-count').textContent !== '';
  });
}

async function journalIds(page) {
  return page.locator('#tx-journal tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.id));
}

async function headers(page) {
  return page.locator('#tx-journal thead th[data-col]').evaluateAll((ths) => ths.map((th) => th.dataset.col));
}

/** Opens the transactions page on one transaction (a link of the hash) and its details. */
async function openOne(page, id) {
  await page.goto(`${base}/#/transactions?from=${day(-400)}&to=${day(1)}&id=${id}`);
  await page.locator(`#tx-journal tbody tr[data-id="${id}"]`).waitFor();
  await page.locator(`[data-details="${id}"]`).click();
  await page.locator('#tx-details').waitFor();
}

test('transactions: a 13-month search with a filter shows what the API answers', async () => {
  const page = await signedIn('action');
  await page.locator('nav .nav-link', { hasText: 'Transactions' }).click();
  await page.locator('#tx-title').waitFor();
  await page.locator('#tx-count', { hasText: /ligne|Aucun/ }).waitFor();
  await shot(page, 'transactions');

  // The default period is one of the quick periods, and says so; its days are written as the
  // page writes days (dd/mm/yyyy), whatever the browser's own language (en-US here).
  assert.equal(await page.locator('#tx-period').inputValue(), '30d');
  const [ty, tm, td] = (await dayValue(page.locator('#tx-to'))).split('-');
  assert.equal(await dayShown(page.locator('#tx-to')), `${td}/${tm}/${ty}`);
  assert.equal(await page.locator('#tx-from').getAttribute('placeholder'), 'jj/mm/aaaa');
  // Typed in the user's form (or as YYYY-MM-DD), read as a day; a changed day is "Custom".
  await page.locator('#tx-from').fill('1/2/2026');
  assert.equal(await dayValue(page.locator('#tx-from')), '2026-02-01');
  assert.equal(await page.locator('#tx-period').inputValue(), '');
  await page.locator('#tx-from').blur();
  assert.equal(await dayShown(page.locator('#tx-from')), '01/02/2026');
  await page.locator('#tx-from').fill('31/02/2026');
  await page.locator('#tx-submit').click();
  await page.locator('#tx-error', { hasText: 'n’est pas une date' }).waitFor();
  assert.equal(await page.locator('#tx-from').getAttribute('aria-invalid'), 'true');
  await page.locator('#tx-period').selectOption('7d');
  assert.match(await dayShown(page.locator('#tx-from')), /^\d{2}\/\d{2}\/\d{4}$/);

  await page.locator('#tx-period').selectOption('13m');
  const from = await dayValue(page.locator('#tx-from'));
  const to = await dayValue(page.locator('#tx-to'));
  const [y, m, dd] = to.split('-').map(Number);
  assert.equal(from, new Date(Date.UTC(y, m - 1 - 13, dd)).toISOString().slice(0, 10), 'a 13-month period');
  let answer = page.waitForResponse((r) => r.url().includes(`/bo/api/transactions?from=${from}`));
  await page.locator('#tx-submit').click();
  await answer;
  await settled(page);
  // Keyset paging: "show the next ones" appends the API's next page.
  const all = await api(page, `/bo/api/transactions?from=${from}&to=${to}&limit=50`);
  assert.deepEqual(await journalIds(page), all.items.map((i) => i.id));
  if (all.next) {
    const second = await api(page, `/bo/api/transactions?from=${from}&to=${to}&limit=50&cursor=${encodeURIComponent(all.next)}`);
    await page.locator('#tx-more').click();
    await page.waitForFunction((n) => document.querySelectorAll('#tx-journal tbody tr').length === n, all.items.length + second.items.length);
    assert.deepEqual(await journalIds(page), [...all.items, ...second.items].map((i) => i.id));
  } else {
    assert.ok(await page.locator('#tx-more').isHidden());
  }

  // Results first: after a search the filters are folded; the count and sums of the whole
  // result are the summary's.
  assert.equal(await page.locator('#tx-toggle').getAttribute('aria-expanded'), 'false');
  assert.ok(await page.locator('#tx-filters').isHidden());
  assert.ok(await page.locator('#tx-chips').isHidden(), 'no filter, no chip');
  const sums = await api(page, `/bo/api/transactions/summary?from=${from}&to=${to}`);
  await page.locator('#tx-total:not([hidden])').waitFor();
  const flat = (v) => v.replace(/\s/g, ' ');
  const debits = sums.totals.find((x) => x.type === 'debit' && x.currency === 'EUR');
  const total = flat(await text(page, '#tx-total'));
  assert.ok(total.startsWith(`Transactions trouvées : ${flat(sums.count.toLocaleString('fr-FR'))}`), total);
  assert.ok(total.includes(`débits : ${flat(debits.count.toLocaleString('fr-FR'))} pour ${euros(debits.amount)}`), total);

  await page.locator('#tx-toggle').click();
  await page.locator('#tx-status').selectOption('refused');
  answer = page.waitForResponse((r) => r.url().includes('/bo/api/transactions?') && r.url().includes('status=refused'));
  await page.locator('#tx-submit').click();
  await answer;
  await settled(page);
  const expected = await api(page, `/bo/api/transactions?from=${from}&to=${to}&status=refused&limit=50`);
  assert.ok(expected.items.length > 0, 'the demo has refused transactions');
  assert.deepEqual(await journalIds(page), expected.items.map((i) => i.id));
  // Refused rows are red, and say it in words too.
  assert.equal(await page.locator('#tx-journal tbody tr.row--refused').count(), expected.items.length);
  assert.match(await text(page, '#tx-journal tbody tr >> nth=0'), /Refusée/);
  assert.match(page.url(), /status=refused/); // the search is in the hash
  await shot(page, 'transactions-refused');

  // The folded filter shows as a chip; removing it searches again without it.
  assert.ok(await page.locator('#tx-filters').isHidden());
  assert.equal(await text(page, '#tx-chips li[data-key="status"] span'), 'Statut de la transaction : Refusée');
  assert.equal(await page.locator('#tx-chips li').count(), 1);
  answer = page.waitForResponse((r) => r.url().includes('/bo/api/transactions?') && !r.url().includes('status='));
  await page.locator('#tx-chips [data-remove="status"]').click();
  await answer;
  await settled(page);
  assert.ok(await page.locator('#tx-chips').isHidden());
  assert.doesNotMatch(page.url(), /status=/);

  // Reset brings the form back, the hidden filters can be shown again.
  await page.locator('#tx-toggle').click();
  assert.equal(await page.locator('#tx-toggle').getAttribute('aria-expanded'), 'true');
  await page.locator('#tx-status').selectOption('refused');
  await page.locator('#tx-reset').click();
  assert.equal(await page.locator('#tx-status').inputValue(), '');
  // A period the wrong way round is refused before asking the server.
  await page.locator('#tx-from').fill(day(0));
  await page.locator('#tx-to').fill(day(-3));
  await page.locator('#tx-submit').click();
  await page.locator('#tx-error', { hasText: 'précéder' }).waitFor();
  await page.context().close();
});

test('transactions: details, partial capture, refund and cancel change what is shown as the API says', async () => {
  const manual = await pay({ capture: 'manual', amount: 4250 });
  const auto = await pay({ capture: 'auto', amount: 1990 });
  assert.equal(manual.acquirer_status, 'awaiting_capture');
  assert.equal(auto.acquirer_status, 'to_send');
  const page = await signedIn('action');
  const sent = (await api(page, `/bo/api/transactions?from=${day(-60)}&to=${day(1)}&type=debit&acquirer_status=sent&limit=50`))
    .items.find((i) => i.amount_current > 200);
  assert.ok(sent, 'the demo has a sent debit of the last 60 days');

  // Details: tabs, 3-D Secure block, history; Escape closes and gives the focus back.
  await openOne(page, manual.id);
  assert.equal(await text(page, '#details-acq'), 'En attente de capture');
  assert.ok(await page.locator('#tds-title').isVisible());
  assert.ok(await page.locator('#op-capture').isEnabled());
  assert.ok(await page.locator('#op-refund').isDisabled());
  assert.ok(await page.locator('#op-cancel').isDisabled());
  await shot(page, 'transaction-details');
  await page.locator('#tx-tab-history').click();
  await page.locator('#tx-history tbody tr').first().waitFor();
  await page.keyboard.press('ArrowLeft'); // tabs move with the arrow keys
  assert.equal(await page.locator('#tx-tab-jrb').getAttribute('aria-selected'), 'true');
  await page.locator('#jrb-none').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('#tx-details').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.dataset.details), manual.id);

  // Partial capture: the amount is prefilled with the authorized amount; 422 above it.
  await page.locator(`[data-details="${manual.id}"]`).click();
  await page.locator('#op-capture').click();
  await page.locator('#op-dialog').waitFor();
  assert.equal(await page.locator('#op-amount').inputValue(), '42,50');
  await page.locator('#op-amount').fill('99,00');
  await page.locator('#op-dialog-confirm').click();
  await page.locator('#op-dialog .error', { hasText: 'dépasse' }).waitFor();
  await shot(page, 'transaction-capture-refused');
  await page.locator('#op-amount').fill('30,00');
  await page.locator('#op-dialog-confirm').click();
  await page.locator('#details-notice', { hasText: 'Capture effectuée' }).waitFor();
  let d = await api(page, `/bo/api/transactions/${manual.id}`);
  assert.equal(d.acquirer_status, 'to_send');
  assert.equal(d.amount_current, 3000);
  assert.equal(await text(page, '#details-acq'), 'À envoyer');
  assert.equal(await text(page, '#d-amount-current'), euros(3000));
  assert.equal(await text(page, '#d-amount-initial'), euros(4250));
  const row = page.locator(`#tx-journal tbody tr[data-id="${manual.id}"]`);
  assert.equal(await text(page, `#tx-journal tbody tr[data-id="${manual.id}"] td[data-col="acquirer_status"]`), 'À envoyer');
  assert.equal(await row.locator('td[data-col="amount_current"]').textContent().then((s) => s.replace(/\s/g, ' ')), euros(3000));
  await shot(page, 'transaction-captured');
  await page.locator('#details-close').click();

  // Refund of a sent debit, partial: a refund transaction is created, the debit's amount drops.
  await openOne(page, sent.id);
  await page.locator('#op-refund').click();
  assert.equal(await page.locator('#op-amount').inputValue(), (sent.amount_current / 100).toFixed(2).replace('.', ','));
  await page.locator('#op-amount').fill('1,00');
  await page.locator('#op-dialog-confirm').click();
  await page.locator('#details-notice', { hasText: 'Remboursement effectué' }).waitFor();
  d = await api(page, `/bo/api/transactions/${sent.id}`);
  assert.equal(d.amount_current, sent.amount_current - 100);
  assert.equal(await text(page, '#d-amount-current'), euros(d.amount_current));
  await page.locator('#tx-tab-history').click();
  await page.locator('#tx-history tbody tr', { hasText: 'Remboursement' }).waitFor();
  await shot(page, 'transaction-refunded');
  // The refund made is a link to its details, whose original transaction links back.
  const refundId = await text(page, '#details-notice a.txn-link');
  assert.equal(await page.locator('#details-notice a.txn-link').getAttribute('href'), `#/transactions?details=${refundId}`);
  await page.locator('#details-notice a.txn-link').click();
  await page.locator('#d-parent a.txn-link', { hasText: sent.id }).waitFor();
  assert.equal(await text(page, '#details-type'), 'Remboursement');
  await page.locator('#d-parent a.txn-link').click();
  await page.locator('#d-parent a.txn-link').waitFor({ state: 'detached' });
  assert.equal(await text(page, '#d-amount-current'), euros(d.amount_current));
  // The debit's details list its refunds as links, oldest first, the one just made last: its
  // amount, status and date beside it, and a click opens its details in place.
  const refundLine = page.locator('#d-refunds li').filter({ has: page.locator('a.txn-link', { hasText: new RegExp(`^${refundId}$`) }) });
  await refundLine.waitFor();
  await shot(page, 'transaction-refunds');
  assert.deepEqual(
    await page.locator('#d-refunds a.txn-link').allTextContents(),
    d.refunds.map((r) => r.id),
  );
  assert.equal(d.refunds.at(-1).id, refundId);
  assert.equal(await refundLine.locator('a.txn-link').getAttribute('href'), `#/transactions?details=${refundId}`);
  const refundText = (await refundLine.textContent()).replace(/\s/g, ' ');
  assert.ok(refundText.includes(euros(100)) && refundText.includes('Acceptée'), refundText);
  await refundLine.locator('a.txn-link').click();
  await page.locator('#d-parent a.txn-link', { hasText: sent.id }).waitFor();
  assert.equal(await page.locator('#d-refunds').count(), 0);
  await page.locator('#details-close').click();

  // Cancel a transaction still to send.
  await openOne(page, auto.id);
  await page.locator('#op-cancel').click();
  assert.equal(await text(page, '#op-dialog-cancel'), 'Fermer'); // never "Annuler" beside "Annuler la transaction"
  await page.locator('#op-dialog-confirm').click();
  await page.locator('#details-notice', { hasText: 'annulée' }).waitFor();
  d = await api(page, `/bo/api/transactions/${auto.id}`);
  assert.equal(d.type, 'cancellation');
  assert.equal(d.amount_current, 0);
  assert.equal(await text(page, '#details-type'), 'Annulation');
  assert.equal(await text(page, '#d-amount-current'), euros(0));
  // Nothing more may be done on it but blocking the card.
  for (const op of ['capture', 'cancel', 'refund', 'send']) assert.ok(await page.locator(`#op-${op}`).isDisabled(), op);
  await shot(page, 'transaction-cancelled');
  await page.locator('#details-close').click();

  // Capture all on a filtered search: the result says what was done, the journal follows.
  const bulk = await pay({ capture: 'manual', amount: 1234 });
  const ref = (await api(page, `/bo/api/transactions/${bulk.id}`)).order_ref;
  await page.goto(`${base}/#/transactions?from=${day(-1)}&to=${day(1)}&order_ref=${ref}`);
  await page.locator(`#tx-journal tbody tr[data-id="${bulk.id}"]`).waitFor();
  await page.locator('#tx-capture-all').click();
  // The confirmation says how many and how much, and its other button closes.
  assert.match(await text(page, '#bulk-capture'), /Transactions : 1, pour 12,34/);
  assert.equal(await text(page, '#bulk-capture-confirm'), 'Tout capturer (1)');
  assert.equal(await text(page, '#bulk-capture-cancel'), 'Fermer');
  await page.locator('#bulk-capture-confirm').click();
  await page.locator('#bulk-processed', { hasText: 'traitées : 1' }).waitFor();
  await shot(page, 'transactions-capture-all');
  await page.locator('#bulk-close').click();
  await page.locator(`#tx-journal tbody tr[data-id="${bulk.id}"] td[data-col="acquirer_status"]`, { hasText: 'À envoyer' }).waitFor();
  assert.equal((await api(page, `/bo/api/transactions/${bulk.id}`)).acquirer_status, 'to_send');
  await page.context().close();

  // The action log says the capture in the reader's words: the transaction a link to its
  // details, the amount in euros.
  const admin = await signedIn('admin');
  await admin.goto(`${base}/#/actions`);
  await admin.locator('#actions-table').waitFor();
  await admin.locator('#actions-action').selectOption('transaction_capture');
  await admin.locator('#actions-search').click();
  const line = admin.locator('#actions-rows tr[data-action="transaction_capture"]', { hasText: `montant ${euros(3000)}` })
    .filter({ has: admin.locator(`a.txn-link`, { hasText: new RegExp(`^${manual.id}$`) }) });
  await line.waitFor();
  assert.match((await line.textContent()).replace(/\s/g, ' '), new RegExp(`transaction ${manual.id} ; montant 30,00 €`));
  await shot(admin, 'actions-capture');
  await line.locator('a.txn-link').click();
  await admin.locator('#tx-details').waitFor();
  assert.equal(await text(admin, '#d-amount-current'), euros(3000));
  await admin.context().close();
});

test('transactions: the CSV export has the chosen columns; columns are kept across sign-ins, then reset', async () => {
  let page = await signedIn('action');
  const prefs = await api(page, '/bo/api/me/preferences');
  const defaults = prefs.columns.transactions;
  await page.goto(`${base}/#/transactions?from=${day(-30)}&to=${day(0)}`);
  await page.locator('#tx-count', { hasText: /ligne/ }).waitFor();
  assert.deepEqual(await headers(page), defaults);

  // Change the columns: remove one, move one up.
  await page.locator('#tx-columns').click();
  await page.locator('#columns-dialog').waitFor();
  await page.locator('#columns-transactions li[data-col="email"] input').uncheck();
  await page.locator('#columns-transactions li[data-col="status"] [data-move="up"]').click();
  await shot(page, 'transactions-columns');
  await page.locator('#columns-save').click();
  await page.locator('#columns-dialog').waitFor({ state: 'detached' });
  const chosen = defaults.filter((c) => c !== 'email');
  const i = chosen.indexOf('status');
  [chosen[i - 1], chosen[i]] = [chosen[i], chosen[i - 1]];
  assert.deepEqual(await headers(page), chosen);

  // The export is the same search in the same columns: by default for a spreadsheet (the
  // columns' labels, ';' and a BOM in French, the period in the file's name), or for scripts.
  const layout = page.locator('#tx-export-layout');
  assert.equal(await layout.inputValue(), 'classic');
  assert.deepEqual(await layout.locator('option').allTextContents(), ['Tableur (Excel)', 'Pour scripts (CSV brut)', 'Ancien format']);
  await shot(page, 'transactions-export-layout');
  let [download] = await Promise.all([page.waitForEvent('download'), page.locator('#tx-export-csv').click()]);
  assert.equal(download.suggestedFilename(), `transactions_${day(-30)}_${day(0)}.csv`);
  const sheet = fs.readFileSync(await download.path(), 'utf8');
  assert.equal(sheet.charCodeAt(0), 0xfeff);
  const labels = await page.locator('#tx-journal thead th[data-col]').allTextContents();
  assert.deepEqual(sheet.slice(1).split(/\r?\n/)[0].split(';'), labels.map((l) => l.trim()));
  await layout.selectOption('machine');
  assert.match(await page.locator('#tx-export-csv').getAttribute('href'), /layout=machine/);
  [download] = await Promise.all([page.waitForEvent('download'), page.locator('#tx-export-csv').click()]);
  assert.equal(download.suggestedFilename(), 'transactions.csv');
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  assert.deepEqual(csv[0].split(','), chosen);
  assert.equal(csv.length - 1, await page.locator('#tx-journal tbody tr').count());
  assert.match(await page.locator('#tx-export-txt').getAttribute('href'), /format=txt&|format=txt$/);
  assert.doesNotMatch(await page.locator('#tx-export-report').getAttribute('href'), /layout=/);

  // Signed out and in again: the columns are kept.
  await page.locator('#signout').click();
  await page.locator('#signin-form').waitFor();
  await page.context().close();
  page = await signedIn('action');
  await page.goto(`${base}/#/transactions?from=${day(-30)}&to=${day(0)}`);
  await page.locator('#tx-count', { hasText: /ligne/ }).waitFor();
  assert.deepEqual(await headers(page), chosen);

  // Reset: the defaults again.
  await page.locator('#tx-columns').click();
  await page.locator('#columns-reset').click();
  await page.locator('#columns-dialog').waitFor({ state: 'detached' });
  assert.deepEqual(await headers(page), defaults);
  assert.deepEqual((await api(page, '/bo/api/me/preferences')).columns.transactions, defaults);
  await page.context().close();
});

test('tree navigation: choosing a shop narrows the journal to it, from the keyboard too', async () => {
  const page = await signedIn('action');
  await page.goto(`${base}/#/transactions?from=${day(0, -13)}&to=${day(0)}`);
  await page.locator('#tx-count', { hasText: /ligne/ }).waitFor();
  const tree = await api(page, '/bo/api/tree').catch(() => null);
  if (!tree) {
    await page.locator('#tree-missing').waitFor();
    await page.context().close();
    return;
  }
  const shop = tree.nodes.find((n) => n.level === 'shop');
  await page.locator('#tree-list').waitFor();
  // Keyboard: the brand has the tab stop; ↓ goes down the tree, Enter chooses.
  await page.locator('#tree-list [aria-selected="true"]').focus();
  const order = await page.locator('#tree-list [role=treeitem]').evaluateAll((li) => li.map((x) => x.dataset.id));
  const steps = order.indexOf(String(shop.id));
  for (let k = 0; k < steps; k++) await page.keyboard.press('ArrowDown');
  const answer = page.waitForResponse((r) => r.url().includes(`node=${shop.id}`));
  await page.keyboard.press('Enter');
  await answer;
  await page.locator('#tree-current', { hasText: shop.name }).waitFor();
  await page.locator('#scope-line', { hasText: shop.name }).waitFor();
  await settled(page);
  const expected = await api(page, `/bo/api/transactions?from=${day(0, -13)}&to=${day(0)}&node=${shop.id}&limit=50`);
  assert.deepEqual(await journalIds(page), expected.items.map((x) => x.id));
  assert.ok(expected.items.every((x) => x.shop_id === shop.id));
  // ← on a group closes it; aria-expanded says so.
  const group = tree.nodes.find((n) => n.level === 'group');
  await page.locator(`#tree-node-${group.id}`).focus();
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.locator(`#tree-node-${group.id}`).getAttribute('aria-expanded'), 'false');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator(`#tree-node-${group.id}`).getAttribute('aria-expanded'), 'true');
  await shot(page, 'transactions-tree-shop');
  // Back to everything.
  await page.locator(`#tree-node-${tree.nodes[0].id} .tree-row`).first().click();
  await page.locator('#scope-line', { hasText: 'tout votre rattachement' }).waitFor();
  await page.context().close();
});

test('consultation: the details show no cash operation, and no bulk operation', async () => {
  const page = await signedIn('consultation');
  await page.goto(`${base}/#/transactions?from=${day(-60)}&to=${day(1)}`);
  await page.locator('#tx-journal tbody tr').first().waitFor();
  assert.equal(await page.locator('#tx-capture-all, #tx-send-all').count(), 0);
  await page.locator('#tx-journal tbody tr [data-details]').first().click();
  await page.locator('#tx-details').waitFor();
  assert.equal(await page.locator('#tx-details .operations, #op-capture, #op-refund, #op-cancel').count(), 0);
  await shot(page, 'transaction-details-consultation');
  await page.keyboard.press('Escape');
  await page.context().close();
});
