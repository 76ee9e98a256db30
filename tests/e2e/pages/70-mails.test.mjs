// Undelivered e-mails (README "Mail"): a mail the server cannot deliver fails; Home warns the
// administrator, who finds it under Management with the error, sends it again once the cause
// is gone, and it arrives. The mail is the HMAC key activation link, whose subject is not plain
// ASCII: the spool file holds it RFC 2047-encoded, and mailsTo() must give it back decoded.
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, demo, heading, mailsTo, now, serverFiles, shot, signedIn, sql } from '../harness.mjs';

const SUBJECT = 'Guichet : activez votre clé HMAC / activate your HMAC key';

test('administrators see an undelivered e-mail, are warned on Home, and send it again', async () => {
  // The HMAC manager generates a key: its activation mail cannot be written to the spool (the
  // name of its temporary file is taken by a folder), so the mailer tries it again later.
  const hmac = await signedIn('hmac');
  const me = await (await hmac.request.get(`${base}/bo/api/me`)).json();
  const before = (await mailsTo(me.email, { count: 0 })).length;
  const id = Number(sql('SELECT coalesce(max(id), 0) + 1 FROM mail_outbox'));
  const blocker = path.join(serverFiles().spool, `${String(id).padStart(12, '0')}.eml.tmp`);
  fs.mkdirSync(blocker, { recursive: true });
  const shop = demo.shops[0];
  const shopId = Number(sql(`SELECT id FROM shop WHERE site = '${shop.site}' AND rang = '${shop.rang}' AND env = 'production'`));
  const csrf = await hmac.evaluate(() => localStorage.getItem('guichet.csrf'));
  const made = await hmac.request.post(`${base}/bo/api/hmac-keys`, {
    headers: { 'X-CSRF-Token': csrf },
    data: { shop_id: shopId, env: 'production', passphrase: 'Une Autre Clé Pour Tester 43!' },
  });
  assert.equal(made.status(), 201, await made.text());
  await hmac.context().close();
  assert.equal(sql(`SELECT recipient FROM mail_outbox WHERE id = ${id}`), me.email);
  for (let i = 0; i < 100 && sql(`SELECT attempts FROM mail_outbox WHERE id = ${id}`) === '0'; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(sql(`SELECT last_error FROM mail_outbox WHERE id = ${id}`), /directory/);
  // As if it had been failing for 4 days: its next attempt is its last, and it fails.
  sql(`UPDATE mail_outbox SET created_at = ${(now() - 4 * 86400000) * 1000}, next_attempt_at = 0 WHERE id = ${id}`);
  for (let i = 0; i < 100 && sql(`SELECT failed_at IS NOT NULL FROM mail_outbox WHERE id = ${id}`) !== '1'; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }

  // Home warns the administrator (in French, whatever an earlier test chose) and leads to
  // the page.
  const page = await signedIn('admin');
  const french = await page.evaluate(async () => (await fetch('/bo/api/me', {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
    body: JSON.stringify({ language: 'fr' }),
  })).status);
  assert.equal(french, 200);
  await page.goto(`${base}/#/home`);
  await page.reload();
  const notice = page.locator('#notices .notice-mails_failed');
  await notice.waitFor();
  assert.match(await notice.textContent(), /n’ont pas pu être remis ces 7 derniers jours/);
  await shot(page, 'mails-notice');
  await page.locator('#notice-mails-link').click();
  await page.locator('#mails-title').waitFor();
  assert.equal(await heading(page), 'E-mails non distribués');
  assert.equal(await page.locator('#mails-status').inputValue(), 'failed');
  const row = page.locator(`#mails-rows tr[data-id="${id}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-status'), 'failed');
  assert.equal(await row.locator('.mails-recipient').textContent(), me.email);
  assert.equal(await row.locator('.mails-subject').textContent(), SUBJECT);
  assert.match(await row.locator('.mails-error').textContent(), /Is a directory/);
  const links = await page.locator('nav .nav-link').evaluateAll((a) => a.map((x) => x.getAttribute('href')));
  assert.ok(links.includes('#/mails'), 'the Management menu has the page');
  await shot(page, 'mails-failed');

  // The cause gone, sent again: it arrives, its subject decoded from the file's encoded words.
  fs.rmdirSync(blocker);
  await row.locator('.mails-retry').click();
  await page.locator('#mails-done:not([hidden])').waitFor();
  assert.match(await page.locator('#mails-done').textContent(), /de nouveau dans la file d’envoi/);
  assert.equal(await page.locator(`#mails-rows tr[data-id="${id}"]`).getAttribute('data-status'), 'pending');
  const mails = await mailsTo(me.email, { count: before + 1 });
  const mail = mails.find((m) => m.file === `${String(id).padStart(12, '0')}.eml`);
  assert.ok(mail, 'the mail sent again');
  assert.equal(mail.subject, SUBJECT);
  assert.ok(mail.body.includes('#/hmac-activate?token='));
  const raw = fs.readFileSync(path.join(serverFiles().spool, mail.file), 'utf8');
  assert.ok(raw.includes('Subject: =?UTF-8?Q?'), 'the file holds the encoded words');

  // Delivered: off the list; the action log says who sent it again, in the reader's words.
  for (let i = 0; i < 100 && sql(`SELECT sent_at IS NOT NULL FROM mail_outbox WHERE id = ${id}`) !== '1'; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.reload();
  await page.locator('.mails-results[data-state="loaded"]').waitFor();
  assert.equal(await page.locator(`#mails-rows tr[data-id="${id}"]`).count(), 0);
  await page.goto(`${base}/#/actions`);
  const line = page.locator('#actions-rows tr[data-action="mail_retried"]').first();
  await line.waitFor();
  assert.match(await line.textContent(), /E-mail renvoyé/);
  assert.ok((await line.textContent()).includes(me.email));
  await page.context().close();
});
