// notices.js - Home's warnings (SPEC §12 "Home warns of an expired HMAC key"; Vision manual
// §9.1.3): GET /bo/api/notices, which every profile may read, lists the active HMAC keys of
// the user's shops that expired or expire within 30 days. The banner is an element at once,
// filled when the answer comes (nothing, and hidden, when there is nothing to say).

import { api } from './api.js';
import { h } from './dom.js';
import { formatDate } from './format.js';
import { t } from './i18n.js';

/** The warning banner: a list of the notices, role=alert once it holds any. */
export function noticesBanner() {
  const banner = h('div', { class: 'notices', id: 'notices', hidden: true, 'aria-label': t('notices.label') });
  api
    .get('/bo/api/notices')
    .then(({ items }) => {
      if (!items || items.length === 0) return;
      banner.append(
        h(
          'ul',
          {},
          items.map((n) =>
            h(
              'li',
              { class: `notice notice--warn notice-${n.kind}`, dataset: { shop: n.shop_id } },
              t(`notice.${n.kind}`, {
                env: t(`hmac.env.${n.env}`),
                shop: n.shop_name,
                site: n.site,
                rang: n.rang,
                date: formatDate(n.expires_at),
              }),
            ),
          ),
        ),
      );
      banner.setAttribute('role', 'alert');
      banner.hidden = false;
    })
    .catch(() => {
      // the warnings are a courtesy: the page works without them
    });
  return banner;
}
