// confirm-dialog.js - asks before a change that cannot be undone (send a new password, unlock,
// a new profile that ends a session...), in dialog.js's modal: the rest of the page is inert
// while it is open, Escape or "Cancel" answers no, and focus goes back to where it was.
//
//   if (await confirmDialog({ title, text, confirm: t('...'), danger: true })) { ... }
//
// dialog.js's own confirmDialog runs the operation inside the dialog; this one only asks. The
// buttons have fixed ids (#confirm-dialog-ok, #confirm-dialog-cancel) for the tests; only one
// such dialog is ever open.

import { openDialog } from './dialog.js';
import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * Shows the question; resolves true when the user confirms, false otherwise.
 * options: {title, text, confirm (the confirm button's words), cancel?, danger?}
 */
export function confirmDialog({ title, text, confirm, cancel, danger = false }) {
  let answer = false;
  const ok = h(
    'button',
    { type: 'button', id: 'confirm-dialog-ok', class: danger ? 'button button--danger' : 'button button--primary' },
    confirm || t('dialog.confirm'),
  );
  // The safe answer takes the focus first: Enter on a reflex changes nothing.
  const no = h(
    'button',
    { type: 'button', id: 'confirm-dialog-cancel', class: 'button', 'data-autofocus': true },
    cancel || t('dialog.cancel'),
  );
  const d = openDialog({ title, content: h('p', { id: 'confirm-dialog-text' }, text), actions: [ok, no], id: 'confirm-dialog' });
  ok.addEventListener('click', () => {
    answer = true;
    d.close();
  });
  no.addEventListener('click', () => d.close());
  return d.closed.then(() => answer);
}
