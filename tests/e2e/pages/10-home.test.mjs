// Home: the activity statistics (SPEC §12). The figures on the page are those of
// GET /bo/api/stats for the same period; the curve switches between count and turnover and
// between linear and logarithmic scales; the tooltip gives the hovered day; printable.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base, dayValue, heading, shot, signedIn } from '../harness.mjs';

/** What format.js shows for the answer, computed in the page (same language and locale). */
async function expected(page, stats) {
  return page.evaluate(async (s) => {
    const f = await import('/assets/js/format.js');
    return {
      count: f.formatCount(s.count),
      turnover: f.formatAmount(s.turnover, 'EUR'),
      rows: s.by_method.map((r) => [
        r.payment_method,
        f.formatCount(r.count),
        f.formatAmount(r.amount, 'EUR'),
        f.formatAmount(r.turnover, 'EUR'),
        f.formatAmount(r.max, 'EUR'),
        f.formatAmount(r.average_basket, 'EUR'),
      ]),
      total: [
        f.formatCount(s.count),
        f.formatAmount(s.amount, 'EUR'),
        f.formatAmount(s.turnover, 'EUR'),
        f.formatAmount(s.max, 'EUR'),
        f.formatAmount(s.average_basket, 'EUR'),
      ],
      daily: Object.fromEntries(s.daily.map((d) => [d.date, [f.formatCount(d.count), f.formatAmount(d.turnover, 'EUR')]])),
    };
  }, stats);
}

async function loaded(page, from, to) {
  await page.locator(`#stats-results[data-state=loaded][data-from="${from}"][data-to="${to}"]`).waitFor();
}

async function checkFigures(page, from, to) {
  const r = await page.request.get(`${base}/bo/api/stats?from=${from}&to=${to}`);
  assert.equal(r.status(), 200);
  const stats = await r.json();
  const want = await expected(page, stats);
  assert.equal(await page.locator('#stats-count').textContent(), want.count);
  assert.equal(await page.locator('#stats-turnover').textContent(), want.turnover);
  const rows = await page.locator('#stats-methods tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.children).slice(0, 6).map((c) => c.textContent)),
  );
  assert.deepEqual(rows, want.rows.length ? want.rows : rows.slice(0, 1));
  const total = await page.locator('#stats-total').evaluate((tr) =>
    Array.from(tr.children).slice(1, 6).map((c) => c.textContent),
  );
  assert.deepEqual(total, want.total);
  return { stats, want };
}

test('Home shows the statistics of the API for the chosen period, as a curve and a table', async () => {
  const page = await signedIn('consultation');
  await page.goto(`${base}/#/home`);
  await page.locator('#home-title').waitFor();
  assert.equal(await heading(page), 'Accueil');

  // 13 months: the whole demo history.
  await page.locator('#stats-preset-13m').click();
  const from = await dayValue(page.locator('#stats-from'));
  const to = await dayValue(page.locator('#stats-to'));
  await loaded(page, from, to);
  assert.equal(await page.locator('#stats-preset-13m').getAttribute('aria-pressed'), 'true');
  const { stats, want } = await checkFigures(page, from, to);
  assert.ok(stats.count > 0, 'the demo has transactions in the last 13 months');

  // The curve: count first, uPlot's canvas drawn, one point a day from the first active day.
  await page.locator('#stats-chart canvas').first().waitFor();
  assert.equal(await page.locator('#stats-chart').getAttribute('data-metric'), 'count');
  assert.equal(await page.locator('#stats-chart-title').textContent(), 'Évolution du nombre de transactions');
  assert.match(await page.locator('#stats-legend-split').textContent(), /répartition par moyen de paiement du jour/);

  // The keyboard walks the days; the tooltip gives the day's figure, as the API says.
  await page.locator('#stats-chart').focus();
  await page.keyboard.press('End');
  await page.locator('#stats-tooltip:not([hidden])').waitFor();
  let day = await page.locator('#stats-tooltip').getAttribute('data-day');
  let tip = await page.locator('#stats-tooltip').textContent();
  assert.ok(tip.includes(want.daily[day] ? want.daily[day][0] : '0'), `${tip} shows the count of ${day}`);
  // …and, for a day with payments, the count of each payment method that day (the API's split).
  const busy = stats.daily.filter((d) => d.count > 0).at(-1);
  if (busy && busy.date === day) {
    for (const m of busy.by_method) assert.ok(tip.includes(m.payment_method), `${tip} names ${m.payment_method}`);
  }

  // Turnover, then a logarithmic scale.
  await page.locator('label[for=stats-metric-turnover]').click();
  await page.locator('#stats-chart[data-metric=turnover] canvas').first().waitFor();
  assert.equal(await page.locator('#stats-chart-title').textContent(), 'Évolution du chiffre d’affaires');
  assert.match(await page.locator('#stats-breakdown thead').textContent(), /Part du chiffre d’affaires/);
  await page.locator('#stats-log').check();
  await page.locator('#stats-chart[data-scale=log] canvas').first().waitFor();
  await page.locator('#stats-log-hint:not([hidden])').waitFor();
  // The mouse over the last day of the chart.
  const box = await page.locator('#stats-chart .u-over').boundingBox();
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
  await page.locator('#stats-tooltip:not([hidden])').waitFor();
  day = await page.locator('#stats-tooltip').getAttribute('data-day');
  tip = await page.locator('#stats-tooltip').textContent();
  if (want.daily[day]) assert.ok(tip.includes(want.daily[day][1]), `${tip} shows the turnover of ${day}`);
  await shot(page, 'home-stats-turnover-log');

  // Back to count and linear, kept for the tab.
  await page.locator('label[for=stats-metric-count]').click();
  await page.locator('#stats-log').uncheck();
  await page.locator('#stats-chart[data-metric=count][data-scale=linear] canvas').first().waitFor();
  await shot(page, 'home-stats');

  // A custom period: one month of the history; the figures follow.
  const month = from.slice(0, 8);
  const customFrom = `${month}01`;
  await page.locator('#stats-from').fill(customFrom);
  await page.locator('#stats-to').fill(to);
  await page.locator('#stats-apply').click();
  await loaded(page, customFrom, to);
  assert.equal(await page.locator('.preset[aria-pressed=true]').count(), 0);
  await checkFigures(page, customFrom, to);
  // A reversed period is refused before asking the server.
  await page.locator('#stats-from').fill(to);
  await page.locator('#stats-to').fill(customFrom);
  await page.locator('#stats-apply').click();
  await page.locator('#stats-period-error:not([hidden])').waitFor();

  // The print view: no navigation, no controls.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.sidenav').isVisible(), false);
  assert.equal(await page.locator('.topbar').isVisible(), false);
  // Nothing beside the page's content (the menu, the tree navigation).
  assert.deepEqual(
    await page.evaluate(() =>
      Array.from(document.querySelectorAll('.shell > :not(main)')).filter((el) => el.offsetParent !== null || el.getClientRects().length > 0).length,
    ),
    0,
  );
  assert.equal(await page.locator('#stats-period').isVisible(), false);
  assert.equal(await page.locator('#stats-methods').isVisible(), true);
  await shot(page, 'home-print');
  await page.emulateMedia({ media: 'screen' });
  await page.context().close();
});
