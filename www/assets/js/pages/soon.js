// soon.js - a page of the menu that the web interface does not have yet: its title and a
// plain statement, so that nothing pretends to work. Each is replaced by its real page.

import { h } from '../dom.js';
import { t } from '../i18n.js';

export function soon(titleKey) {
  return () =>
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'page-title' },
      h('h1', { id: 'page-title' }, t(titleKey)),
      h('p', { class: 'muted' }, t('page.soon')),
    );
}
