// home.js - the Home page: activity statistics (SPEC §12; Vision manual §3, §3.1, §3.2).
//
// GET /bo/api/stats?from&to[&node] for a chosen period (Paris days, both included): the count
// and the turnover, a curve per day (count or turnover, linear or logarithmic; uPlot), and the
// breakdown per payment method (amount, count, maximum, average basket) with totals. Printable
// (home.css's print rules hide the navigation and the controls). The chosen period, curve and
// scale are kept for the tab. The node of the tree navigation (scope.js) narrows everything and
// a new choice there loads the figures again.

import { api, errorMessage } from '../api.js';
import { may, state } from '../app.js';
import { h, replace } from '../dom.js';
import { dayInput } from '../day-input.js';
import { formatAmount, formatCount, formatDay, today } from '../format.js';
import { locale, t } from '../i18n.js';
import { getScope, onScopeChange, scopeParam } from '../scope.js';
import { drawChart, loadUPlot } from '../stats-chart.js';

const STORE_KEY = 'guichet.stats';
const CURRENCY = 'EUR'; // the statistics' amounts (README "Activity statistics")
const MAX_DAYS = 800;
const PRESETS = ['today', '7d', 'month', 'last_month', '13m'];

// --- calendar days ("YYYY-MM-DD"), with no time zone -------------------------------------------

function toUtc(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function fromUtc(date) {
  return date.toISOString().slice(0, 10);
}

export function addDays(day, n) {
  const d = toUtc(day);
  d.setUTCDate(d.getUTCDate() + n);
  return fromUtc(d);
}

function addMonths(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  const last = new Date(Date.UTC(y, m - 1 + n + 1, 0)).getUTCDate();
  return fromUtc(new Date(Date.UTC(y, m - 1 + n, Math.min(d, last))));
}

function daysBetween(a, b) {
  return Math.round((toUtc(b) - toUtc(a)) / 86400000);
}

/** The period of a preset, as Paris days (the statistics' days). */
export function presetPeriod(preset, now = today('Europe/Paris')) {
  switch (preset) {
    case 'today':
      return { from: now, to: now };
    case '7d':
      return { from: addDays(now, -6), to: now };
    case 'last_month': {
      const first = `${now.slice(0, 7)}-01`;
      return { from: addMonths(first, -1), to: addDays(first, -1) };
    }
    case '13m':
      return { from: addDays(addMonths(now, -13), 1), to: now };
    case 'month':
    default:
      return { from: `${now.slice(0, 7)}-01`, to: now };
  }
}

function validDay(s) {
  return /^\d{4}-\d{2}-\d{2}$/.test(s || '') && fromUtc(toUtc(s)) === s;
}

// --- what the tab remembers ------------------------------------------------------------------

function loadSettings() {
  let s = null;
  try {
    s = JSON.parse(sessionStorage.getItem(STORE_KEY));
  } catch {
    s = null;
  }
  s = s && typeof s === 'object' ? s : {};
  const preset = PRESETS.includes(s.preset) || s.preset === 'custom' ? s.preset : 'month';
  const settings = {
    preset,
    metric: s.metric === 'turnover' ? 'turnover' : 'count',
    log: s.log === true,
    from: s.from,
    to: s.to,
  };
  if (preset !== 'custom' || !validDay(s.from) || !validDay(s.to)) {
    Object.assign(settings, presetPeriod(preset === 'custom' ? 'month' : preset));
    if (preset === 'custom') settings.preset = 'month';
  }
  return settings;
}

function saveSettings(s) {
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(s));
  } catch {
    // storage refused: the choice lasts for this page only
  }
}

// --- formatting ---------------------------------------------------------------------------------

function compactAmount(minor) {
  return new Intl.NumberFormat(locale(), {
    style: 'currency',
    currency: CURRENCY,
    notation: 'compact',
    maximumFractionDigits: 1,
  }).format(minor / 100);
}

function countTick(v) {
  return Number.isInteger(v) ? formatCount(v) : '';
}

function percent(part, whole) {
  if (!whole) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(
    part / whole,
  );
}

/** The days of the curve: the period's first day with a transaction (Vision manual §3.1) to its
 * last day (not after today), days without any counted transaction at zero. */
function curveDays(daily, to) {
  if (!daily.length) return [];
  const byDay = new Map(daily.map((d) => [d.date, d]));
  const first = daily[0].date;
  const todayParis = today('Europe/Paris');
  let last = to < todayParis ? to : todayParis;
  if (last < daily[daily.length - 1].date) last = daily[daily.length - 1].date;
  const days = [];
  for (let d = first; d <= last && days.length <= MAX_DAYS; d = addDays(d, 1)) {
    days.push(byDay.get(d) || { date: d, count: 0, turnover: 0, missing: true });
  }
  return days;
}

// --- the page ---------------------------------------------------------------------------------

export function render() {
  const name = (state.me && state.me.name) || (state.user && state.user.name) || '';
  const head = h(
    'div',
    { class: 'home-head' },
    h(
      'div',
      {},
      h('h1', { id: 'home-title' }, t('home.title')),
      h('p', { class: 'lead', id: 'home-welcome' }, t('home.welcome', { name })),
    ),
  );
  const page = h('section', { class: 'home', 'aria-labelledby': 'home-title' }, head);
  if (!may('GET /bo/api/stats')) {
    // No statistics route for this user (entry operators, HMAC managers: README).
    page.append(h('p', { class: 'muted' }, t('home.no_stats')));
    return page;
  }
  head.append(
    h(
      'div',
      { class: 'home-head-actions no-print' },
      h(
        'button',
        { type: 'button', class: 'button', id: 'stats-print', onclick: () => window.print() },
        t('home.print'),
      ),
      h('a', { href: '#/me', class: 'button button--quiet-link', id: 'home-landing' }, t('home.landing_link')),
    ),
  );
  return dashboard(page);
}

async function dashboard(page) {
  const settings = loadSettings();
  const scope = getScope();
  const scopeLine = h(
    'p',
    { class: 'muted stats-scope', id: 'stats-scope' },
    scope ? t('home.scope', { name: scope.name }) : t('home.scope.all'),
  );

  // Period: presets and from/to dates.
  const presetButtons = PRESETS.map((p) =>
    h(
      'button',
      {
        type: 'button',
        class: 'button preset',
        id: `stats-preset-${p}`,
        'aria-pressed': String(settings.preset === p),
        onclick: () => choosePreset(p),
      },
      t(`stats.preset.${p}`),
    ),
  );
  const fromInput = dayInput({
    id: 'stats-from',
    name: 'from',
    required: true,
    value: settings.from,
    max: today('Europe/Paris'),
    'aria-describedby': 'stats-period-hint',
  });
  const toInput = dayInput({
    id: 'stats-to',
    name: 'to',
    required: true,
    value: settings.to,
    'aria-describedby': 'stats-period-hint',
  });
  const periodError = h('p', { class: 'error', role: 'alert', id: 'stats-period-error', hidden: true });
  const periodForm = h(
    'form',
    { class: 'stats-period no-print', id: 'stats-period', novalidate: true, onsubmit: applyCustom },
    h(
      'fieldset',
      {},
      h('legend', {}, t('stats.period')),
      h('div', { class: 'preset-group', role: 'group', 'aria-label': t('stats.period') }, presetButtons),
      h(
        'div',
        { class: 'stats-dates' },
        h('div', { class: 'field' }, h('label', { for: 'stats-from' }, t('stats.from')), fromInput),
        h('div', { class: 'field' }, h('label', { for: 'stats-to' }, t('stats.to')), toInput),
        h('button', { type: 'submit', class: 'button button--primary', id: 'stats-apply' }, t('stats.apply')),
      ),
      h('p', { class: 'field-hint', id: 'stats-period-hint' }, t('stats.period_days')),
      periodError,
    ),
  );

  const periodTitle = h('p', { class: 'stats-period-title', id: 'stats-period-title' });
  const results = h('div', { class: 'stats-results', id: 'stats-results', 'aria-live': 'polite', 'aria-busy': 'true' });

  page.append(scopeLine, periodForm, periodTitle, results);

  let chart = null;
  let data = null;
  let seq = 0;

  function setPressed() {
    for (const [i, p] of PRESETS.entries()) {
      presetButtons[i].setAttribute('aria-pressed', String(settings.preset === p));
    }
  }

  function choosePreset(p) {
    Object.assign(settings, presetPeriod(p), { preset: p });
    fromInput.value = settings.from;
    toInput.value = settings.to;
    setPressed();
    load();
  }

  function applyCustom(e) {
    e.preventDefault();
    const from = fromInput.value;
    const to = toInput.value;
    if (!validDay(from) || !validDay(to) || from > to || daysBetween(from, to) >= MAX_DAYS) {
      periodError.textContent = t('stats.bad_period');
      periodError.hidden = false;
      fromInput.setAttribute('aria-invalid', 'true');
      toInput.setAttribute('aria-invalid', 'true');
      fromInput.focus();
      return;
    }
    fromInput.removeAttribute('aria-invalid');
    toInput.removeAttribute('aria-invalid');
    periodError.hidden = true;
    Object.assign(settings, { from, to, preset: 'custom' });
    setPressed();
    load();
  }

  async function load() {
    const mine = ++seq;
    saveSettings(settings);
    periodTitle.textContent = t('stats.period_text', {
      from: formatDay(settings.from),
      to: formatDay(settings.to),
    });
    results.setAttribute('aria-busy', 'true');
    results.dataset.state = 'loading';
    let answer;
    try {
      answer = await api.get(
        `/bo/api/stats?from=${settings.from}&to=${settings.to}${scopeParam()}`,
      );
    } catch (err) {
      if (mine !== seq) return;
      if (chart) chart.destroy();
      chart = null;
      replace(results, h('p', { class: 'error', role: 'alert', id: 'stats-error' }, errorMessage(err)));
      results.setAttribute('aria-busy', 'false');
      results.dataset.state = 'error';
      return;
    }
    if (mine !== seq) return;
    data = answer;
    show();
  }

  function show() {
    if (chart) chart.destroy();
    chart = null;
    replace(results, summary(data), chartSection(), breakdown(data, settings.metric), dailyTable(data));
    results.setAttribute('aria-busy', 'false');
    results.dataset.state = 'loaded';
    results.dataset.from = settings.from;
    results.dataset.to = settings.to;
    whenConnected(results, drawCurve);
  }

  // The curve and its controls.
  const chartBox = h('div', { class: 'stats-chart', id: 'stats-chart', tabindex: 0, role: 'img' });
  const tooltip = h('div', { class: 'stats-tooltip', id: 'stats-tooltip', 'aria-hidden': 'true', hidden: true });
  const announce = h('p', { class: 'visually-hidden', role: 'status', id: 'stats-announce' });
  const chartTitle = h('h2', { id: 'stats-chart-title' });
  const legend = h('div', { class: 'stats-legend', id: 'stats-legend' });
  const metricCount = h('input', {
    type: 'radio',
    name: 'stats-metric',
    id: 'stats-metric-count',
    value: 'count',
    checked: settings.metric === 'count',
    onchange: () => setMetric('count'),
  });
  const metricTurnover = h('input', {
    type: 'radio',
    name: 'stats-metric',
    id: 'stats-metric-turnover',
    value: 'turnover',
    checked: settings.metric === 'turnover',
    onchange: () => setMetric('turnover'),
  });
  const logBox = h('input', {
    type: 'checkbox',
    id: 'stats-log',
    checked: settings.log,
    'aria-describedby': 'stats-log-hint',
    onchange: () => {
      settings.log = logBox.checked;
      saveSettings(settings);
      drawCurve();
    },
  });
  let keyboardIdx = false;
  chartBox.addEventListener('keydown', (e) => {
    if (!chart) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1, Home: 'first', End: 'last' };
    if (!(e.key in moves)) return;
    e.preventDefault();
    keyboardIdx = true;
    chart.move(moves[e.key]);
  });
  chartBox.addEventListener('mousemove', () => {
    keyboardIdx = false;
  });
  chartBox.addEventListener('blur', () => {
    if (chart && keyboardIdx) chart.chart.setCursor({ left: -10, top: -10 });
  });

  function setMetric(m) {
    settings.metric = m;
    saveSettings(settings);
    // The breakdown's share column follows the metric.
    const table = results.querySelector('#stats-breakdown');
    if (table) table.replaceWith(breakdown(data, m));
    drawCurve();
  }

  function chartSection() {
    return h(
      'section',
      { class: 'card stats-curve', 'aria-labelledby': 'stats-chart-title' },
      h(
        'div',
        { class: 'stats-curve-head' },
        chartTitle,
        h(
          'div',
          { class: 'stats-curve-controls no-print' },
          h(
            'fieldset',
            { class: 'segmented' },
            h('legend', {}, t('stats.show')),
            h('span', { class: 'segment' }, metricCount, h('label', { for: 'stats-metric-count' }, t('stats.count'))),
            h('span', { class: 'segment' }, metricTurnover, h('label', { for: 'stats-metric-turnover' }, t('stats.turnover'))),
          ),
          h('span', { class: 'field--check stats-log' }, logBox, h('label', { for: 'stats-log' }, t('stats.log'))),
        ),
      ),
      h('div', { class: 'stats-chart-wrap' }, chartBox, tooltip),
      announce,
      legend,
    );
  }

  async function drawCurve() {
    if (!data) return;
    if (chart) chart.destroy();
    chart = null;
    const metric = settings.metric;
    chartTitle.textContent = t(`stats.chart.${metric}`);
    const days = curveDays(data.daily, settings.to);
    const split = days.some((d) => Array.isArray(d.by_method));
    replace(
      legend,
      h('p', {}, h('span', { class: 'swatch', 'aria-hidden': 'true' }), t(`stats.legend.${metric}`)),
      h('p', { class: 'muted small', id: 'stats-legend-split' }, t(split ? 'stats.legend.split' : 'stats.legend.no_split')),
      days.length && days[0].date > settings.from
        ? h('p', { class: 'muted small' }, t('stats.legend.first_day'))
        : null,
      h('p', { class: 'muted small', id: 'stats-log-hint', hidden: !settings.log }, t('stats.log_hint')),
    );
    chartBox.dataset.metric = metric;
    chartBox.dataset.scale = settings.log ? 'log' : 'linear';
    if (!days.length) {
      replace(chartBox, h('p', { class: 'muted stats-empty' }, t('stats.empty')));
      chartBox.removeAttribute('aria-label');
      chartBox.setAttribute('role', 'note');
      return;
    }
    chartBox.setAttribute('role', 'img');
    chartBox.setAttribute(
      'aria-label',
      t('stats.chart_label', {
        title: t(`stats.chart.${metric}`),
        from: formatDay(days[0].date),
        to: formatDay(days[days.length - 1].date),
      }),
    );
    let uPlot;
    try {
      uPlot = await loadUPlot();
    } catch {
      replace(chartBox, h('p', { class: 'error' }, t('stats.no_chart')));
      return;
    }
    if (!chartBox.isConnected) return;
    replace(chartBox);
    const fmt = metric === 'turnover' ? (v) => formatAmount(v, CURRENCY) : (v) => formatCount(v);
    chart = drawChart(uPlot, chartBox, {
      days: days.map((d) => d.date),
      values: days.map((d) => d[metric]),
      log: settings.log,
      label: t(`stats.${metric}`),
      formatValue: metric === 'turnover' ? compactAmount : countTick,
      onCursor: (idx) => hover(idx, days, fmt, metric),
    });
    chartBox.dataset.points = String(days.length);
  }

  function hover(idx, days, fmt, metric) {
    if (idx === null || idx === undefined || !days[idx] || !chart) {
      tooltip.hidden = true;
      return;
    }
    const d = days[idx];
    const lines = [h('strong', {}, formatDay(d.date)), h('span', {}, t('stats.tooltip_value', { label: t(`stats.${metric}`), value: fmt(d[metric]) }))];
    if (Array.isArray(d.by_method)) {
      for (const m of d.by_method) {
        lines.push(h('span', { class: 'small' }, t('stats.tooltip_value', { label: m.payment_method, value: fmt(m[metric] || 0) })));
      }
    }
    replace(tooltip, lines);
    tooltip.hidden = false;
    tooltip.dataset.day = d.date;
    // Beside the point, inside the chart (CSSOM positions are allowed by the CSP).
    const u = chart.chart;
    const left = u.valToPos(u.data[0][idx], 'x') + u.over.offsetLeft;
    const boxWidth = chartBox.clientWidth;
    tooltip.style.top = `${u.over.offsetTop + 8}px`;
    if (left > boxWidth / 2) {
      tooltip.style.left = 'auto';
      tooltip.style.right = `${boxWidth - left + 12}px`;
    } else {
      tooltip.style.right = 'auto';
      tooltip.style.left = `${left + 12}px`;
    }
    if (keyboardIdx) announce.textContent = tooltip.textContent.replace(/\s+/g, ' ');
  }

  // Print: the curve at the paper's width, then back.
  const beforePrint = () => chart && chart.setWidth(640);
  const afterPrint = () => chart && chart.resize();
  window.addEventListener('beforeprint', beforePrint);
  window.addEventListener('afterprint', afterPrint);

  function cleanup() {
    stop();
    window.removeEventListener('beforeprint', beforePrint);
    window.removeEventListener('afterprint', afterPrint);
    if (chart) chart.destroy();
    chart = null;
  }
  const stop = onScopeChange((s) => {
    if (!page.isConnected) {
      cleanup();
      return;
    }
    scopeLine.textContent = s ? t('home.scope', { name: s.name }) : t('home.scope.all');
    load();
  });
  // Leaving the page: stop listening, free the chart.
  whenDisconnected(page, cleanup);

  await load();
  return page;
}

function summary(data) {
  return h(
    'section',
    { class: 'stats-summary', 'aria-label': t('stats.summary') },
    h(
      'div',
      { class: 'card stat' },
      h('h2', { class: 'stat-label', id: 'stats-count-label' }, t('stats.count')),
      h('p', { class: 'stat-value', id: 'stats-count', 'aria-describedby': 'stats-count-label' }, formatCount(data.count)),
      h('p', { class: 'muted small' }, t('stats.count_hint')),
    ),
    h(
      'div',
      { class: 'card stat' },
      h('h2', { class: 'stat-label', id: 'stats-turnover-label' }, t('stats.turnover')),
      h(
        'p',
        { class: 'stat-value', id: 'stats-turnover', 'aria-describedby': 'stats-turnover-label' },
        formatAmount(data.turnover, CURRENCY),
      ),
      h('p', { class: 'muted small' }, t('stats.turnover_hint')),
    ),
  );
}

function breakdown(data, metric) {
  const rows = data.by_method;
  const whole = metric === 'turnover' ? data.turnover : data.count;
  const num = (v) => h('td', { class: 'num' }, v);
  return h(
    'section',
    { class: 'card stats-breakdown', id: 'stats-breakdown', 'aria-labelledby': 'stats-breakdown-title' },
    h('h2', { id: 'stats-breakdown-title' }, t('stats.breakdown')),
    h(
      'table',
      { class: 'table', id: 'stats-methods' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, t('stats.method')),
          h('th', { scope: 'col', class: 'num' }, t('stats.count')),
          h('th', { scope: 'col', class: 'num' }, t('stats.amount')),
          h('th', { scope: 'col', class: 'num' }, t('stats.turnover')),
          h('th', { scope: 'col', class: 'num' }, t('stats.max')),
          h('th', { scope: 'col', class: 'num' }, t('stats.average')),
          h('th', { scope: 'col', class: 'num' }, t(`stats.share.${metric}`)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((r) =>
              h(
                'tr',
                { dataset: { method: r.payment_method } },
                h('th', { scope: 'row' }, r.payment_method),
                num(formatCount(r.count)),
                num(formatAmount(r.amount, CURRENCY)),
                num(formatAmount(r.turnover, CURRENCY)),
                num(formatAmount(r.max, CURRENCY)),
                num(formatAmount(r.average_basket, CURRENCY)),
                num(percent(metric === 'turnover' ? r.turnover : r.count, whole)),
              ),
            )
          : h('tr', {}, h('td', { colspan: 7, class: 'muted' }, t('stats.empty'))),
      ),
      h(
        'tfoot',
        {},
        h(
          'tr',
          { id: 'stats-total' },
          h('th', { scope: 'row' }, t('stats.total')),
          num(formatCount(data.count)),
          num(formatAmount(data.amount, CURRENCY)),
          num(formatAmount(data.turnover, CURRENCY)),
          num(formatAmount(data.max, CURRENCY)),
          num(formatAmount(data.average_basket, CURRENCY)),
          num(rows.length ? percent(1, 1) : '—'),
        ),
      ),
    ),
    h('p', { class: 'muted small' }, t('stats.currency')),
  );
}

function dailyTable(data) {
  return h(
    'details',
    { class: 'card stats-daily', id: 'stats-daily' },
    h('summary', {}, t('stats.daily')),
    h(
      'table',
      { class: 'table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, t('stats.day')),
          h('th', { scope: 'col', class: 'num' }, t('stats.count')),
          h('th', { scope: 'col', class: 'num' }, t('stats.turnover')),
        ),
      ),
      h(
        'tbody',
        {},
        data.daily.map((d) =>
          h(
            'tr',
            { dataset: { day: d.date } },
            h('th', { scope: 'row' }, formatDay(d.date)),
            h('td', { class: 'num' }, formatCount(d.count)),
            h('td', { class: 'num' }, formatAmount(d.turnover, CURRENCY)),
          ),
        ),
      ),
    ),
  );
}

/** Runs fn once el is in the document (the shell attaches the page after render resolves). */
function whenConnected(el, fn, tries = 60) {
  if (el.isConnected) {
    fn();
    return;
  }
  if (tries > 0) requestAnimationFrame(() => whenConnected(el, fn, tries - 1));
}

/** Runs fn once el, having been attached, leaves the document (the next page replaced it). */
function whenDisconnected(el, fn) {
  const observer = new MutationObserver(() => {
    if (!el.isConnected) {
      observer.disconnect();
      fn();
    }
  });
  whenConnected(el, () => observer.observe(document.getElementById('app') || document.body, { childList: true, subtree: false }));
}
