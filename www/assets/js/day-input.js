// day-input.js - a calendar day typed and shown in the user's language.
//
// Chromium's <input type="date"> lays its day out in the browser's own format (mm/dd/yyyy in
// an English-speaking browser), whatever the page's language: a French user saw mm/dd/yyyy
// beside dates written dd/mm/yyyy. A day input is a text input that shows the day as the rest
// of the page does (formatDay: dd/mm/yyyy in French and in British English) and behaves, for
// the code that uses it, as a date input: its `value` is read and set as "YYYY-MM-DD".
//
// Typed: dd/mm/yyyy (also with "." or "-", one-digit day or month, a two-digit year of this
// century, or eight digits ddmmyyyy) or YYYY-MM-DD; shown again in the user's form when the
// field is left. A text that is no day reads back as typed, so the page's own checks (a
// "YYYY-MM-DD" pattern, min and max) refuse it. The calendar icon at the field's end, Alt+↓ or
// F4 open the browser's calendar; min and max bound it.

import { formatDay } from './format.js';
import { t } from './i18n.js';

const nativeValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
const ICON_WIDTH = 28; // the calendar icon's share of the field's end, in CSS pixels

function isDay(y, m, d) {
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1000 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function iso(y, m, d) {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The day a user typed as "YYYY-MM-DD", or null when the text is no day. */
export function parseDay(text) {
  const s = String(text).trim();
  let y;
  let m;
  let d;
  let r = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (r) {
    [y, m, d] = [Number(r[1]), Number(r[2]), Number(r[3])];
  } else if ((r = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$/.exec(s))) {
    [d, m, y] = [Number(r[1]), Number(r[2]), Number(r[3])];
    if (r[3].length === 2) y += 2000;
  } else if ((r = /^(\d{2})(\d{2})(\d{4})$/.exec(s))) {
    [d, m, y] = [Number(r[1]), Number(r[2]), Number(r[3])];
  } else {
    return null;
  }
  return isDay(y, m, d) ? iso(y, m, d) : null;
}

/* The browser's calendar, on a hidden date input laid over the field while it is open. */
function openCalendar(input) {
  if (input.disabled || input.readOnly) return;
  const picker = document.createElement('input');
  picker.type = 'date';
  picker.tabIndex = -1;
  picker.className = 'day-input-picker';
  picker.setAttribute('aria-hidden', 'true');
  if (input.dataset.min) picker.min = input.dataset.min;
  if (input.dataset.max) picker.max = input.dataset.max;
  const current = input.value;
  if (parseDay(current)) picker.value = current;
  const box = input.getBoundingClientRect();
  Object.assign(picker.style, {
    left: `${box.left}px`,
    top: `${box.top}px`,
    width: `${box.width}px`,
    height: `${box.height}px`,
  });
  document.body.append(picker);
  const done = () => picker.remove();
  picker.addEventListener('change', () => {
    if (picker.value) {
      input.value = picker.value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }
    done();
    input.focus();
  });
  picker.addEventListener('blur', done);
  try {
    picker.showPicker();
    picker.focus({ preventScroll: true });
  } catch {
    done(); // no calendar in this browser: the field is still typed
  }
}

/**
 * An <input> for a day, the attributes of h('input') but type: {id, name, value, min, max,
 * required, 'aria-describedby'…}; value, min and max are "YYYY-MM-DD".
 */
export function dayInput(attrs = {}) {
  const { value, min, max, ...rest } = attrs;
  const input = document.createElement('input');
  Object.defineProperty(input, 'value', {
    configurable: true,
    get() {
      const text = nativeValue.get.call(this).trim();
      return text === '' ? '' : parseDay(text) || text;
    },
    set(v) {
      const s = v === null || v === undefined ? '' : String(v);
      nativeValue.set.call(this, /^\d{4}-\d{2}-\d{2}$/.test(s) && parseDay(s) ? formatDay(s) : s);
    },
  });
  for (const [name, v] of Object.entries(rest)) {
    if (v === false || v === null || v === undefined) continue;
    input.setAttribute(name, v === true ? '' : String(v));
  }
  input.type = 'text';
  input.classList.add('day-input');
  input.autocomplete = 'off';
  input.inputMode = 'numeric';
  input.maxLength = 10;
  input.placeholder = t('day.placeholder');
  if (min) input.dataset.min = min;
  if (max) input.dataset.max = max;
  if (value) input.value = value;
  input.addEventListener('blur', () => {
    const day = parseDay(nativeValue.get.call(input));
    if (day) input.value = day;
  });
  input.addEventListener('click', (e) => {
    const box = input.getBoundingClientRect();
    const atEnd = document.dir === 'rtl' ? e.clientX < box.left + ICON_WIDTH : e.clientX > box.right - ICON_WIDTH;
    if (atEnd) openCalendar(input);
  });
  input.addEventListener('keydown', (e) => {
    if ((e.altKey && e.key === 'ArrowDown') || e.key === 'F4') {
      e.preventDefault();
      openCalendar(input);
    }
  });
  return input;
}

