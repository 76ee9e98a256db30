// confirm-dialog.js - asks before a change that cannot be undone (send a new password, unlock,
// a new profile that ends a session...). A modal <dialog>: the rest of the page is inert while
// it is open, Escape or "Cancel" answers no, and focus goes back to where it was.
//
//   if (await confirmDialog({ title, text, confirm: t('...'), danger: true })) { ... }
//
// The buttons have fixed ids (#confirm-dialog-ok, #confirm-dialog-cancel) for the tests; only
// one such dialog is ever open.

import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * Shows the question; resolves true when the user confirms, false otherwise.
 * options: {title, text, confirm (the confirm button's words), cancel?, danger?}
 */
export function confirmDialog({ title, text, confirm, cancel, danger = false }) {
  const opener = document.activeElement;
  const ok = h(
    'button',
    {
      type: 'button',
      id: 'confirm-dialog-ok',
      class: danger ? 'button button--danger' : 'button button--primary',
    },
    confirm || t('dialog.confirm'),
  );
  const no = h(
    'button',
    { type: 'button', id: 'confirm-dialog-cancel', class: 'button', autofocus: true },
    cancel || t('dialog.cancel'),
  );
  const dialog = h(
    'dialog',
    {
      class: 'dialog',
      id: 'confirm-dialog',
      'aria-labelledby': 'confirm-dialog-title',
      'aria-describedby': 'confirm-dialog-text',
    },
    h('h2', { id: 'confirm-dialog-title' }, title),
    h('p', { id: 'confirm-dialog-text' }, text),
    h('div', { class: 'actions dialog-actions' }, ok, no),
  );
  return new Promise((resolve) => {
    let answer = false;
    ok.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    no.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus(); // the safe answer first: Enter on a reflex changes nothing
  });
}
