// Manual entry, the virtual terminal (SPEC §10; Vision manual §10), as the entry operator uses
// it: their landing page and only page; a one-off payment (checked in the page first, then
// accepted, the confirmation mail in the spool), a refused one ("Back to payment" with every
// field kept), an installment plan with the even-split helper ("Compléter"), a subscription;
// Clear; the manual mark in the database and in the journal of a consultation user.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, dayValue, mailsTo, parisDay, shot, signedIn, sql, user } from '../harness.mjs';

let page;

/** The entry operator's page, signed in (run.mjs locked them on purpose: unlocked first). */
async function entryOperator() {
  const admin = await signedIn('admin');
  const csrf = await admin.evaluate(() => localStorage.getItem('guichet.csrf'));
  const users = await (await admin.request.get(`${base}/bo/api/users`)).json();
  const entry = users.items.find((u) => u.login === user('entry').login);
  if (entry.locked) {
    const r = await admin.request.post(`${base}/bo/api/users/${entry.id}/unlock`, { headers: { 'X-CSRF-Token': csrf } });
    assert.equal(r.status(), 200, await r.text());
  }
  await admin.context().close();
  return signedIn('entry');
}

/** Step 1: the type, the first shop, the method; then Validate. */
async function choose(type, method) {
  await page.locator('#vt-choice').waitFor();
  await page.locator(`#vt-type-${type}`).check();
  const shop = page.locator('#vt-shop');
  if ((await shop.locator('option').count()) > 1) await shop.selectOption({ index: 1 });
  await page.locator('#vt-method').selectOption(method);
  await page.locator('#vt-contract', { hasText: `(${method}, EUR)` }).waitFor();
  assert.equal(await page.locator('#vt-next').isDisabled(), false);
  await page.locator('#vt-next').click();
  await page.locator('#vt-form').waitFor();
}

async function card(number, expiry = '12/30') {
  await page.locator('#vt-card-number').fill(number);
  await page.locator('#vt-card-expiry').fill(expiry);
}

async function validate() {
  const answer = page.waitForResponse((r) => r.url() === `${base}/bo/api/manual-entries` && r.request().method() === 'POST');
  await page.locator('#vt-submit').click();
  const r = await answer;
  await page.locator('#vt-result').waitFor();
  return r.json();
}

test('the entry operator lands on the virtual terminal, their only page but Personal information', async () => {
  page = await entryOperator();
  await page.waitForFunction(() => location.hash === '#/virtual-terminal');
  await page.locator('#vt-choice').waitFor();
  const menu = await page.locator('nav .nav-link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  assert.deepEqual(menu, ['#/virtual-terminal', '#/me']);
  assert.equal((await page.locator('main h1').textContent()).trim(), 'Saisie manuelle');
  // Validate waits for the three choices (Vision manual §10).
  assert.equal(await page.locator('#vt-next').isDisabled(), true);
  // Every control has its label; the card fields say what they are to the browser.
  for (const label of ['Paiement à l’acte', 'Abonnement', 'Paiement en plusieurs fois', 'Boutique', 'Moyen de paiement']) {
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
  }
  await shot(page, 'vt-choice');
});

test('a one-off payment: the page checks the card, then it is accepted, marked manual, the cardholder mailed', async () => {
  // The keyboard alone chooses: the type's radio buttons, then the selects.
  await page.locator('#vt-type-one_off').focus();
  await page.keyboard.press('Space');
  await choose('one_off', 'CB');
  assert.equal(await page.locator('#vt-card-number').getAttribute('autocomplete'), 'cc-number');
  assert.equal(await page.locator('#vt-card-expiry').getAttribute('autocomplete'), 'cc-exp');
  // The effective date: tomorrow by default, today to a week ahead.
  const date = page.locator('input[name=date]');
  assert.equal(await dayValue(date), parisDay(1));
  assert.equal(await date.getAttribute('data-min'), parisDay(0)); // the calendar's bounds
  assert.equal(await date.getAttribute('data-max'), parisDay(7));

  let posted = 0;
  page.on('request', (r) => {
    if (r.url().endsWith('/bo/api/manual-entries') && r.method() === 'POST') posted += 1;
  });
  await page.locator('#vt-order-ref').fill('VT-E2E-ONE');
  await page.locator('#vt-amount').fill('42,50');
  // A digit wrong, an AMEX number for CB, an expired card: said here, nothing sent.
  await card('4111 1111 1111 1112');
  await page.locator('#vt-submit').click();
  await page.locator('#vt-error', { hasText: 'clé de Luhn' }).waitFor();
  assert.equal(await page.locator('#vt-card-number').getAttribute('aria-invalid'), 'true');
  await shot(page, 'vt-one-off-luhn');
  await card('3782 822463 10005');
  await page.locator('#vt-submit').click();
  await page.locator('#vt-error', { hasText: 'n’est pas celui d’une carte CB' }).waitFor();
  await card('4111 1111 1111 1111', '11/26');
  await page.locator('#vt-submit').click();
  await page.locator('#vt-error', { hasText: 'La carte est expirée.' }).waitFor();
  assert.equal(await page.locator('#vt-card-expiry').getAttribute('aria-invalid'), 'true');
  assert.equal(posted, 0, 'nothing sent while the page finds the form wrong');

  await card('4111 1111 1111 1111', '12/30');
  await date.fill(parisDay(3));
  await page.locator('#vt-more summary').click();
  await page.locator('#vt-archive-ref').fill('ARCH-E2E-1');
  await page.locator('#vt-mail-on').check();
  await page.locator('#vt-mail').fill('porteur.e2e@example.com');
  await shot(page, 'vt-one-off-form');
  const answer = await validate();
  assert.equal(posted, 1);
  assert.equal(answer.accepted, true);
  await page.locator('#vt-result-title', { hasText: 'Paiement accepté' }).waitFor();
  const details = await page.locator('#vt-result-details').textContent();
  assert.match(details, /42,50/);
  assert.match(details, /411111\*{6}1111/);
  assert.match(details, /ARCH-E2E-1/);
  await shot(page, 'vt-one-off-accepted');
  // Stored as a manual entry, its bank date the effective date, entered by the operator.
  const id = answer.payment.id;
  assert.equal(sql(`SELECT manual || '|' || archive_ref || '|' || amount_initial FROM txn WHERE id = ${id}`), '1|ARCH-E2E-1|4250');
  assert.equal(answer.payment.bank_date, parisDay(3));
  assert.equal(sql(`SELECT user_login FROM txn_history WHERE txn_id = ${id}`), user('entry').login);
  const [mail] = await mailsTo('porteur.e2e@example.com');
  assert.match(mail.body, /ARCH-E2E-1/);
  assert.match(mail.body, /411111\*{6}1111/);
  assert.doesNotMatch(mail.body, /4111111111111111/);
  // New entry: back to the choice.
  await page.locator('#vt-new').click();
  await page.locator('#vt-choice').waitFor();
});

test('a refused payment says why, and "Back to payment" keeps every field', async () => {
  await choose('one_off', 'VISA');
  await page.locator('#vt-order-ref').fill('VT-E2E-REFUSED');
  await page.locator('#vt-amount').fill('19,99');
  await card('4000 0000 0000 0002');
  await page.locator('#vt-more summary').click();
  await page.locator('#vt-archive-ref').fill('ARCH-E2E-2');
  const answer = await validate();
  assert.equal(answer.accepted, false);
  await page.locator('#vt-result-title', { hasText: 'Paiement refusé' }).waitFor();
  await page.locator('#vt-result [role=alert]', { hasText: 'Refusée par la banque émettrice' }).waitFor();
  await shot(page, 'vt-one-off-refused');
  assert.equal(sql(`SELECT status || '|' || manual FROM txn WHERE id = ${answer.payment.id}`), '1|1');
  await page.locator('#vt-retry').click();
  await page.locator('#vt-form').waitFor();
  assert.equal(await page.locator('#vt-order-ref').inputValue(), 'VT-E2E-REFUSED');
  assert.equal(await page.locator('#vt-amount').inputValue(), '19,99');
  assert.equal(await page.locator('#vt-card-number').inputValue(), '4000 0000 0000 0002');
  assert.equal(await page.locator('#vt-card-expiry').inputValue(), '12/30');
  assert.equal(await page.locator('#vt-archive-ref').inputValue(), 'ARCH-E2E-2');
  await shot(page, 'vt-back-to-payment');
  // Clear empties the fields (the date back to tomorrow).
  await page.locator('#vt-clear').click();
  for (const f of ['#vt-order-ref', '#vt-amount', '#vt-card-number', '#vt-card-expiry', '#vt-archive-ref']) {
    assert.equal(await page.locator(f).inputValue(), '', f);
  }
  assert.equal(await dayValue(page.locator('input[name=date]')), parisDay(1));
  await page.locator('#vt-back').click();
  await page.locator('#vt-choice').waitFor();
});

test('installments: P2F by default, the split helper fills three amounts, the plan is created', async () => {
  await choose('installments', 'VISA');
  // P2F by default: the 3rd and 4th payments off.
  assert.equal(await page.locator('#vt-inst-on-3').isChecked(), false);
  assert.equal(await page.locator('input[name=installment_2_amount]').isDisabled(), true);
  await page.locator('#vt-split-total').fill('100,00');
  await page.locator('#vt-split-count').selectOption('3');
  await page.locator('#vt-split').click();
  await page.locator('#vt-split-status', { hasText: 'réparti en 3 échéances' }).waitFor();
  assert.equal(await page.locator('#vt-inst-on-3').isChecked(), true);
  const amounts = [];
  for (let i = 0; i < 4; i++) amounts.push(await page.locator(`input[name=installment_${i}_amount]`).inputValue());
  assert.deepEqual(amounts, ['33,34', '33,33', '33,33', '']);
  const dates = [];
  for (let i = 0; i < 3; i++) dates.push(await dayValue(page.locator(`input[name=installment_${i}_date]`)));
  assert.deepEqual(dates, [parisDay(0), parisDay(30), parisDay(60)]);
  await page.locator('#vt-order-ref').fill('VT-E2E-PLAN');
  await card('4111111111111111');
  await shot(page, 'vt-installments-split');
  const answer = await validate();
  assert.equal(answer.accepted, true);
  assert.deepEqual(answer.plan.installments.map((i) => i.amount), [3334, 3333, 3333]);
  await page.locator('#vt-result-title', { hasText: 'Paiement en plusieurs fois créé' }).waitFor();
  await shot(page, 'vt-installments-created');
  assert.equal(sql(`SELECT manual FROM txn WHERE id = ${answer.payment.id}`), '1');
  await page.locator('#vt-new').click();
});

test('a subscription: initial amount, recurring amount, count, every month, day, start', async () => {
  await choose('subscription', 'MASTERCARD');
  await page.locator('#vt-order-ref').fill('VT-E2E-SUB');
  await page.locator('#vt-initial').fill('15,00');
  await page.locator('#vt-sub-amount').fill('9,90');
  await page.locator('#vt-sub-count').selectOption('0'); // unlimited
  await page.locator('#vt-sub-day').fill('31');
  await card('5555 5555 5555 4444');
  await shot(page, 'vt-subscription-form');
  const answer = await validate();
  assert.equal(answer.accepted, true);
  assert.equal(answer.subscription.count, 0);
  assert.equal(answer.subscription.day_of_month, 31);
  assert.equal(answer.payment.amount_initial, 1500);
  await page.locator('#vt-result-title', { hasText: 'Abonnement créé' }).waitFor();
  await shot(page, 'vt-subscription-created');
  await page.locator('#vt-new').click();
  await page.locator('#vt-choice').waitFor();
  await page.context().close();
});

test('the journal shows the manual entries and filters them', async () => {
  const p = await signedIn('consultation');
  await p.goto(`${base}/#/transactions?from=${parisDay(-1)}&to=${parisDay(1)}&manual=yes`);
  await p.locator('#tx-count').waitFor();
  const r = await p.request.get(`${base}/bo/api/transactions?from=${parisDay(-1)}&to=${parisDay(1)}&manual=yes`);
  const items = (await r.json()).items;
  assert.ok(items.length >= 4 && items.every((i) => i.manual));
  assert.ok(items.some((i) => i.order_ref === 'VT-E2E-ONE' && i.archive_ref === 'ARCH-E2E-1'));
  await shot(p, 'vt-journal-manual');
  await p.context().close();
});
