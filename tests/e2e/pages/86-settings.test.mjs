// Parameters › General configuration and Subscribed options (Vision manual §9.1.1, §9.1.2),
// the Store (§12) and the contact form (§2.3.1): an administrator changes a shop's e-mails and
// return URLs (a bad URL named, a change made meanwhile by someone else caught), a consultation
// user reads them and the options, the administrator asks the Store to open a method, and the
// HMAC manager writes to the support from the top bar's link; the mails land in the spool.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, demo, heading, inFrench, mailsTo, shot, shown, signedIn, sql } from '../harness.mjs';

const OPERATOR = 'support@guichet.invalid'; // guichetd serve's default --operator-email

const french = inFrench;

function shopId(i) {
  const s = demo.shops[i];
  return Number(sql(`SELECT id FROM shop WHERE site = '${s.site}' AND rang = '${s.rang}' AND env = 'production'`));
}

test('an administrator changes a shop\'s general configuration', async () => {
  const page = await french(await signedIn('admin'));
  const shop = shopId(1);
  await page.locator('nav .nav-link', { hasText: 'Configuration générale' }).click();
  await page.locator('#settings-form').waitFor();
  assert.equal(await heading(page), 'Paramètres › Configuration générale');
  await page.locator('#settings-shop').selectOption(String(shop));
  await shown(page, `#/settings/${shop}`);
  // Shops 0 and 1 share their SITE: wait for the chosen shop's RANG, not the SITE still shown.
  await page.locator(`#settings-rang:text("${demo.shops[1].rang}")`).waitFor();
  await page.locator(`#settings-site:text("${demo.shops[1].site}")`).waitFor();
  assert.equal(await page.locator('#settings-rang').textContent(), demo.shops[1].rang);
  assert.equal(await page.locator('#settings-pspid').textContent(), demo.pspid);
  assert.equal(await page.locator('#settings-contracts tbody tr').count(), 5);
  // Guichet's public key for the Paybox modules, a file the signed-in browser downloads.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#settings-paybox-key').click()]);
  assert.equal(download.suggestedFilename(), 'pubkey.pem');
  const pem = await (await download.createReadStream()).toArray();
  assert.match(Buffer.concat(pem).toString(), /^-----BEGIN PUBLIC KEY-----\n/);
  // Every control has its label.
  for (const label of ['Paiement accepté', 'Paiement refusé', 'Retour vers le site immédiat']) {
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
  }

  // A bad URL is named, and nothing is saved.
  await page.locator('#settings-url_accepted').fill('http://boutique.example/merci');
  await page.locator('#settings-save').click();
  await page.locator('#settings-error:not([hidden])').waitFor();
  assert.equal(await page.locator('#settings-url_accepted').getAttribute('aria-invalid'), 'true');
  await shot(page, 'settings-invalid');
  assert.equal(sql(`SELECT count(*) FROM shop_settings WHERE shop_id = ${shop}`), '0');

  await page.locator('#settings-ticket_email').fill('caisse@boutique.example');
  await page.locator('#settings-url_accepted').fill('https://boutique.example/merci');
  await page.locator('#settings-url_refused').fill('https://boutique.example/refus');
  await page.locator('#settings-immediate_return').check();
  await page.locator('#settings-save').click();
  await page.locator('#settings-done', { hasText: 'Configuration enregistrée.' }).waitFor();
  assert.match(await page.locator('#settings-updated').textContent(), /Dernière modification/);
  assert.equal(sql(`SELECT ticket_email || ' ' || url_accepted || ' ' || immediate_return || ' ' || version FROM shop_settings WHERE shop_id = ${shop}`),
    'caisse@boutique.example https://boutique.example/merci 1 1');
  await shot(page, 'settings');

  // Someone else saves meanwhile: this page's change is refused, reloading shows theirs.
  const csrf = await page.evaluate(() => localStorage.getItem('guichet.csrf'));
  const other = await page.request.put(`${base}/bo/api/shops/${shop}/settings`, {
    headers: { 'X-CSRF-Token': csrf },
    data: { version: 1, integrator_email: 'agence@web.example' },
  });
  assert.equal(other.status(), 200, await other.text());
  await page.locator('#settings-report_email').fill('compta@boutique.example');
  await page.locator('#settings-save').click();
  await page.locator('#settings-error', { hasText: 'Un autre utilisateur' }).waitFor();
  await shot(page, 'settings-conflict');
  await page.locator('#settings-reload').click();
  await page.waitForFunction(() => {
    const el = document.getElementById('settings-integrator_email');
    return el && el.value === 'agence@web.example';
  });
  assert.equal(await page.locator('#settings-report_email').inputValue(), '');
  await page.locator('#settings-report_email').fill('compta@boutique.example');
  await page.locator('#settings-save').click();
  await page.locator('#settings-done', { hasText: 'Configuration enregistrée.' }).waitFor();

  // The action log says it, in the reader's language.
  await page.goto(`${base}/#/actions`);
  await page.locator('#actions-table').waitFor();
  await page.locator('#actions-table', { hasText: 'Paramètres : changement d’URL' }).waitFor();
  await shot(page, 'settings-actions');
  await page.context().close();
});

test('a consultation user reads the configuration and the subscribed options', async () => {
  const page = await french(await signedIn('consultation'));
  await page.goto(`${base}/#/settings/${shopId(0)}`);
  await page.locator('#settings-read-only').waitFor();
  assert.equal(await page.locator('#settings-save').count(), 0);
  assert.equal(await page.locator('#settings-ticket_email').isDisabled(), true);
  // No Store request for them, but the Store and the contact form are in the top bar.
  assert.equal(await page.locator('#top-store').count(), 1);
  assert.equal(await page.locator('#top-contact').count(), 1);
  await shot(page, 'settings-read-only');

  await page.locator('nav .nav-link', { hasText: 'Options souscrites' }).click();
  await page.locator('#options-methods').waitFor();
  assert.equal(await heading(page), 'Paramètres › Options souscrites');
  assert.equal(await page.locator('#options-methods tbody tr').count(), 5);
  assert.equal(await page.locator('#options-list li[data-code="three_d_secure"]').getAttribute('data-subscribed'), 'true');
  assert.match(await page.locator('#options-methods tr[data-method="CB"]').textContent(), /Oui/);
  await shot(page, 'options');
  await page.context().close();
});

test('the Store lists the methods not opened, and an administrator asks for one', async () => {
  const page = await french(await signedIn('admin'));
  await page.locator('#top-store').click();
  await page.locator('#store-list').waitFor();
  assert.equal(await heading(page), 'Store');
  const methods = await page.locator('#store-list .store-item').evaluateAll((items) => items.map((i) => i.dataset.method));
  assert.deepEqual(methods, ['E-BLEUE', 'JCB']);
  assert.match(await page.locator('.store-item[data-method="JCB"]').textContent(), /JCB International/);
  await shot(page, 'store');
  await page.locator('.store-request[data-method="JCB"]').click();
  await page.locator('#store-dialog').waitFor();
  await page.locator('#store-message').fill('Identifiant JCB : 12345');
  await shot(page, 'store-dialog');
  await page.locator('#store-dialog-confirm').click();
  await page.locator('#store-done', { hasText: 'JCB' }).waitFor();
  await page.locator('.store-item[data-method="JCB"] .store-status', { hasText: 'Demande envoyée le' }).waitFor();
  assert.equal(await page.locator('.store-request[data-method="JCB"]').isHidden(), true);
  const [mail] = await mailsTo(OPERATOR);
  assert.match(mail.subject, /^\[Store\] .* JCB$/);
  assert.match(mail.body, /Identifiant JCB : 12345/);
  await shot(page, 'store-requested');
  await page.context().close();
});

test('the HMAC manager writes to the support from the top bar, with a copy', async () => {
  const page = await french(await signedIn('hmac'));
  await page.locator('#top-contact').click();
  await page.locator('#contact-form').waitFor();
  assert.equal(await heading(page), 'Nous contacter');
  const me = await (await page.request.get(`${base}/bo/api/me`)).json();
  assert.equal(await page.locator('#contact-email').inputValue(), me.email);
  for (const label of ['Contrat concerné', 'Votre adresse e-mail', 'Objet (facultatif)', 'Détail de la demande', 'Recevoir une copie par e-mail']) {
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
  }
  // The details are required.
  await page.locator('#contact-send').click();
  await page.locator('#contact-error:not([hidden])').waitFor();
  assert.equal(await page.locator('#contact-details').getAttribute('aria-invalid'), 'true');
  await page.locator('#contact-subject').fill('Clé HMAC refusée');
  await page.locator('#contact-details').fill('Nos appels reçoivent 401.\nQue vérifier ?');
  await page.locator('#contact-copy').check();
  await shot(page, 'contact');
  await page.locator('#contact-send').click();
  await page.locator('#contact-done', { hasText: me.email }).waitFor();
  const mails = await mailsTo(OPERATOR, { count: 2 });
  const sent = mails.find((m) => m.subject.includes('Clé HMAC refusée'));
  assert.ok(sent, 'the support has the request');
  assert.match(sent.body, /SITE: \d{7}/);
  assert.match(sent.body, /Nos appels reçoivent 401\.\nQue vérifier \?/);
  const [copy] = await mailsTo(me.email, { count: 1 }).then((all) => all.filter((m) => m.subject.startsWith('Copie')));
  assert.ok(copy, 'a copy to the user');
  await shot(page, 'contact-sent');
  await page.context().close();
});
