// stats-chart.js - the Home page's curve per day (SPEC §12, Vision manual §3.1), drawn with
// uPlot (www/assets/vendor/, copied from node_modules by `make vendor`).
//
// uPlot arrives as its IIFE build, added once by a <script src> element created here (the CSP
// allows scripts from this origin only, never inline); it defines window.uPlot. Its stylesheet
// is linked by index.html.
//
// Days are calendar days (Paris days of the statistics): x values are the UTC midnights of the
// days, formatted in UTC, so no browser time zone ever shifts a day.

import { locale } from './i18n.js';

const UPLOT_SRC = '/assets/vendor/uPlot.iife.min.js';
let loading = null;

/** Resolves with the uPlot constructor, loading its script the first time. */
export function loadUPlot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = UPLOT_SRC;
      script.async = true;
      script.addEventListener('load', () =>
        window.uPlot ? resolve(window.uPlot) : reject(new Error('uPlot missing')),
      );
      script.addEventListener('error', () => {
        loading = null;
        script.remove();
        reject(new Error(`cannot load ${UPLOT_SRC}`));
      });
      document.head.append(script);
    });
  }
  return loading;
}

/** "YYYY-MM-DD" → seconds since the epoch of that day's UTC midnight. */
export function dayToSeconds(day) {
  const [y, m, d] = day.split('-').map(Number);
  return Date.UTC(y, m - 1, d) / 1000;
}

const DAY = 86400;

function utcFormat(options) {
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', ...options });
}

/** The x axis' labels: days, or months when the ticks are a month or more apart. */
function xValues(u, splits, axisIdx, foundSpace, foundIncr) {
  const months = foundIncr >= 28 * DAY;
  const fmt = months
    ? utcFormat({ month: 'short', year: 'numeric' })
    : utcFormat({ day: 'numeric', month: 'short' });
  return splits.map((s) => (s % DAY === 0 ? fmt.format(new Date(s * 1000)) : ''));
}

/**
 * Draws (or draws again) the curve in container.
 * opts: {days: ["YYYY-MM-DD"…], values: [number|null…], log: bool, label: string,
 *        formatValue(v) → text for the y axis, onCursor(idx|null)}
 * Returns {chart, destroy(), move(delta|'first'|'last'), resize()}.
 */
export function drawChart(uPlot, container, opts) {
  const xs = opts.days.map(dayToSeconds);
  const ys = opts.log ? opts.values.map((v) => (v !== null && v > 0 ? v : null)) : opts.values;
  const width = () => Math.max(320, Math.floor(container.clientWidth || 800));
  const yAxisValues = (u, splits) => splits.map((v) => (v === null ? '' : opts.formatValue(v)));
  const options = {
    width: width(),
    height: 300,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: {
      x: { time: true },
      y: opts.log ? { distr: 3, log: 10 } : { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
    },
    series: [
      {},
      {
        label: opts.label,
        stroke: '#1d4e89',
        fill: 'rgba(29, 78, 137, 0.10)',
        width: 2,
        spanGaps: false,
        points: { show: xs.length <= 62, size: 6 },
      },
    ],
    axes: [
      { values: xValues, stroke: '#536072', grid: { stroke: '#e3e8ef' }, ticks: { stroke: '#d6dce5' } },
      { values: yAxisValues, size: 90, stroke: '#536072', grid: { stroke: '#e3e8ef' }, ticks: { stroke: '#d6dce5' } },
    ],
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 9, fill: '#1d4e89' } },
    hooks: {
      setCursor: [(u) => opts.onCursor(u.cursor.idx === undefined ? null : u.cursor.idx)],
    },
  };
  const chart = new uPlot(options, [xs, ys], container);
  let idx = null;

  function move(where) {
    if (!xs.length) return;
    if (where === 'first') idx = 0;
    else if (where === 'last') idx = xs.length - 1;
    else idx = Math.min(xs.length - 1, Math.max(0, (idx === null ? -1 : idx) + where));
    const y = ys[idx];
    const top = y === null ? chart.bbox.height / devicePixelRatio - 1 : chart.valToPos(y, 'y');
    chart.setCursor({ left: chart.valToPos(xs[idx], 'x'), top });
  }

  const observer = new ResizeObserver(() => {
    const w = width();
    if (w !== chart.width) chart.setSize({ width: w, height: 300 });
  });
  observer.observe(container);

  return {
    chart,
    move,
    setWidth(w) {
      chart.setSize({ width: w, height: 300 });
    },
    resize() {
      chart.setSize({ width: width(), height: 300 });
    },
    destroy() {
      observer.disconnect();
      chart.destroy();
    },
  };
}
