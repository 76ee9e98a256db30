// notices.js - Home's warnings (SPEC §12 "Home warns of an expired HMAC key"; Vision manual
// §9.1.3): GET /bo/api/notices, which every profile may read, lists the active HMAC keys of
// the user's shops that expired or expire within 30 days. To administrators (who may call GET
// /bo/api/mails), also the e-mails of their part of the tree that failed in the last 7 days,
// with a link to them (README "Mail"). The banner is an element at once, filled when the
// answers come (nothing, and hidden, when there is nothing to say).

import { api } from './api.js';
import { h } from './dom.js';
import { formatCount, formatDate } from './format.js';
import { t } from './i18n.js';

function keyNotice(n) {
  return h(
    'li',
    { class: `notice notice--warn notice-${n.kind}`, dataset: { shop: n.shop_id } },
    t(`notice.${n.kind}`, {
      env: t(`hmac.env.${n.env}`),
      shop: n.shop_name,
      site: n.site,
      rang: n.rang,
      date: formatDate(n.expires_at),
    }),
  );
}

function mailsNotice(n) {
  return h(
    'li',
    { class: 'notice notice--warn notice-mails_failed' },
    t('notice.mails_failed', { n: formatCount(n) }),
    ' ',
    h('a', { href: '#/mails?status=failed', id: 'notice-mails-link' }, t('notice.mails_failed.link')),
  );
}

/** The warning banner: a list of the notices, role=alert once it holds any. mails: the user
 * may list the undelivered e-mails. */
export function noticesBanner({ mails = false } = {}) {
  const banner = h('div', { class: 'notices', id: 'notices', hidden: true, 'aria-label': t('notices.label') });
  // The warnings are a courtesy: the page works without them, whichever answer fails.
  const keys = api
    .get('/bo/api/notices')
    .then(({ items }) => (items || []).map(keyNotice))
    .catch(() => []);
  const failed = mails
    ? api
        .get('/bo/api/mails?status=failed')
        .then(({ failed_recent: n }) => (n > 0 ? [mailsNotice(n)] : []))
        .catch(() => [])
    : Promise.resolve([]);
  Promise.all([keys, failed]).then(([a, b]) => {
    const items = [...a, ...b];
    if (items.length === 0) return;
    banner.append(h('ul', {}, items));
    banner.setAttribute('role', 'alert');
    banner.hidden = false;
  });
  return banner;
}
