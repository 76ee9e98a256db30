// second-factor-setup.js - the last sign-in step of an account that requires two-step sign-in
// of every user (PCI DSS v4.0 8.4.2; README "The account"): a user without a second factor
// sets one up here, with the same card as Personal information, before anything else. The
// server lets this step call only GET /bo/api/me and the second factor's settings; once a
// method is on, the step is over and the user goes on as after any sign-in.

import { api } from '../api.js';
import { proceed } from '../app.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { secondFactorCard } from '../second-factor-settings.js';

export async function render() {
  const me = await api.get('/bo/api/me');
  const card = await secondFactorCard(me, {
    onOn: async () => {
      const session = await api.get('/bo/api/session');
      await proceed(session.next, session);
    },
  });
  return h(
    'section',
    { class: 'sf-setup', id: 'sf-setup', 'aria-labelledby': 'sf-setup-title' },
    h('h1', { id: 'sf-setup-title' }, t('sf.setup.title')),
    h('p', { class: 'notice', id: 'sf-setup-intro' }, t('sf.setup.intro')),
    card,
  );
}
