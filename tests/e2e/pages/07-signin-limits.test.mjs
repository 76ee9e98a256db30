// The sign-in's limits as the pages show them (README "Sign-in"): too many failed sign-ins for a
// login, answered 429 with the time to wait; a third wrong current password, which locks the
// account and sends the user back to the sign-in page saying so; and the refusals of a locked
// account, one row of the action log with their count.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, browser, mailsTo, NEW_PASSWORD, newPage, shot, signedIn, signIn } from '../harness.mjs';

/** A sign-in through the API (no page): its status. */
async function post(login, password) {
  const r = await fetch(`${base}/bo/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  return r.status;
}

test('too many failed sign-ins for a login: the page says how long to wait', async () => {
  const login = `e2e.ghost${Date.now() % 100000}`; // nobody's: each try costs a failure
  // Twenty at once: the limit takes them as they come, 10 at once for a login, before any is
  // hashed; the rest are refused.
  const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => post(login, `wrong ${i}`)));
  assert.ok(statuses.every((s) => s === 401 || s === 429), statuses.join());
  assert.ok(statuses.filter((s) => s === 429).length >= 5, statuses.join());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  // One more every 6 s comes back while those are hashed: the page's tries take it, and are
  // refused once it is spent (a few tries at most, however slow the machine).
  let status;
  for (let i = 0; i < 10 && status !== 429; i++) status = await signIn(page, login, `one more try ${i}`);
  assert.equal(status, 429);
  const error = page.locator('#signin-error');
  await error.waitFor();
  assert.match(await error.textContent(), /^Trop de connexions échouées depuis ce poste ou pour cet identifiant\. Réessayez dans \d+ s\.$/);
  await shot(page, 'signin-too-many');
  await context.close();
});

test('a third wrong current password locks the account and ends the session, said on the sign-in page', async () => {
  // A user of one's own, made by the administrator, so that no other test's user is locked.
  const admin = await signedIn('admin');
  const login = `e2e.verrou${Date.now() % 100000}`;
  const email = `${login}@maison-guichet.example`;
  const created = await admin.evaluate(
    async (b) => {
      const r = await fetch('/bo/api/users', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': localStorage.getItem('guichet.csrf') },
        body: JSON.stringify(b),
      });
      return r.status;
    },
    { login, name: 'Lou Verrou', email, profile: 'entry' },
  );
  assert.equal(created, 201);
  const [mail] = await mailsTo(email);
  const temporary = mail.body.match(/Mot de passe provisoire : (\S+)/)[1];

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  assert.equal(await signIn(page, login, temporary), 200);
  await page.locator('#password-form').waitFor();
  for (let i = 1; i <= 3; i++) {
    await page.locator('#password-old').fill(`not the password ${i}`);
    await page.locator('#password-new').fill(NEW_PASSWORD);
    await page.locator('#password-confirm').fill(NEW_PASSWORD);
    await page.locator('#password-submit').click();
    if (i < 3) await page.locator('#password-error', { hasText: 'Le mot de passe actuel est incorrect.' }).waitFor();
  }
  const notice = page.locator('#signin-notice');
  await notice.waitFor();
  assert.match(await notice.textContent(), /votre compte est verrouillé et votre session a pris fin/);
  await shot(page, 'signin-locked-by-current-password');
  await context.close();

  // Its refusals now, three at once: counted in one row a minute, the page says how many.
  for (let i = 0; i < 3; i++) assert.equal(await post(login, temporary), 423);
  await admin.goto(`${base}/#/actions`);
  await admin.locator('#actions-table').waitFor();
  await admin.locator('#actions-action').selectOption('sign_in_refused');
  await admin.locator('#actions-search').click();
  await admin.waitForFunction(() =>
    Array.from(document.querySelectorAll('#actions-rows tr')).every((tr) => tr.dataset.action === 'sign_in_refused'),
  );
  const row = admin.locator('#actions-rows tr[data-action="sign_in_refused"]', { hasText: login }).first();
  await row.waitFor();
  // Three refusals within a minute: one row, or two across its end; one of them counts more.
  const counts = await admin
    .locator('#actions-rows tr[data-action="sign_in_refused"]', { hasText: login })
    .locator('.action-count')
    .allTextContents();
  // In the administrator's language (an earlier test may have left it English).
  assert.ok(
    counts.some((c) => /^(2|3) (fois dans la minute, la dernière à|times in the minute, the last at) /.test(c)),
    counts.join(' | '),
  );
  await shot(admin, 'actions-repeated-refusals');
  await admin.context().close();
});
