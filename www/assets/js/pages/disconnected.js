// disconnected.js - after "Disconnect" (SPEC §3 "disconnected"; app.js disconnect): the session
// is kept on the server for this device, which may resume it until the time said here; the
// same offer waits on the sign-in page (resume.js keeps the key in this browser).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { storedResume } from '../resume.js';
import { resumeOffer } from './signin.js';

export function render() {
  const kept = storedResume();
  return h(
    'section',
    { class: 'card card--narrow signin', 'aria-labelledby': 'disconnected-title' },
    h('h1', { id: 'disconnected-title' }, t('resume.title')),
    kept
      ? [h('p', { class: 'notice', role: 'status', id: 'disconnected-notice' }, t('resume.kept')), resumeOffer(kept)]
      : h('p', { class: 'notice', role: 'status', id: 'disconnected-notice' }, t('resume.notice.gone')),
    h('p', {}, h('a', { href: '#/signin', id: 'disconnected-signin' }, t('resume.signin'))),
  );
}
