// main.js - the back office's entry point: the pages and who may see them, then the router.
// To add a page: a module under pages/ exporting render(ctx), one register() line here naming
// the API route it needs ("METHOD PATH" as `guichetd routes` prints it: the page is offered
// to the users the server's table lets call it), and its menu entry in app.js (NAV).

import { boot, show } from './app.js';
import * as account from './pages/account.js';
import * as actions from './pages/actions.js';
import * as apiErrors from './pages/api-errors.js';
import * as batches from './pages/batches.js';
import * as blocklist from './pages/blocklist.js';
import * as contracts from './pages/contracts.js';
import * as disconnected from './pages/disconnected.js';
import * as hmacActivate from './pages/hmac-activate.js';
import * as hmacKeys from './pages/hmac-keys.js';
import * as home from './pages/home.js';
import * as mails from './pages/mails.js';
import * as pushReports from './pages/push-reports.js';
import * as me from './pages/me.js';
import * as orderFiles from './pages/order-files.js';
import * as productionAccount from './pages/production-account.js';
import * as contact from './pages/contact.js';
import * as password from './pages/password.js';
import * as recurring from './pages/recurring.js';
import * as reconciliation from './pages/reconciliation.js';
import * as secondFactor from './pages/second-factor.js';
import * as settings from './pages/settings.js';
import * as pageTheme from './pages/page-theme.js';
import * as secondFactorSetup from './pages/second-factor-setup.js';
import * as signin from './pages/signin.js';
import * as store from './pages/store.js';
import * as terms from './pages/terms.js';
import * as transactions from './pages/transactions.js';
import * as users from './pages/users.js';
import * as virtualTerminal from './pages/virtual-terminal.js';
import { register, start } from './router.js';

register('signin', { title: 'signin.title', auth: 'none', bare: true, render: signin.render });
register('disconnected', { title: 'resume.title', auth: 'none', bare: true, render: disconnected.render });
register('second-factor', {
  title: 'sf.title',
  auth: 'signed',
  bare: true,
  stepOnly: true,
  render: secondFactor.render,
});
register('second-factor-setup', {
  title: 'sf.setup.title',
  auth: 'signed',
  bare: true,
  stepOnly: true,
  render: secondFactorSetup.render,
});
register('password', { title: 'password.title', auth: 'signed', render: password.render });
register('terms', {
  title: 'terms.title',
  auth: 'signed',
  bare: true,
  stepOnly: true,
  render: terms.render,
});
register('home', { title: 'home.title', auth: 'user', render: home.render });
register('me', { title: 'me.title', auth: 'user', needs: 'GET /bo/api/me', render: me.render });
register('account', { title: 'nav.account', auth: 'user', needs: 'GET /bo/api/account', render: account.render });
register('transactions', {
  title: 'nav.transactions',
  auth: 'user',
  needs: 'GET /bo/api/transactions',
  render: transactions.render,
});
register('batches', {
  title: 'nav.batches',
  auth: 'user',
  needs: 'GET /bo/api/batches',
  render: batches.render,
});
// Installment plans and subscriptions (SPEC §9): #/ROUTE is the journal, #/ROUTE/ID the details.
register('installment-plans', {
  title: 'nav.installment-plans',
  auth: 'user',
  needs: 'GET /bo/api/installment-plans',
  render: recurring.page('plan'),
});
register('subscriptions', {
  title: 'nav.subscriptions',
  auth: 'user',
  needs: 'GET /bo/api/subscriptions',
  render: recurring.page('subscription'),
});
// The bank reconciliation journal (Vision manual §8): whoever searches; its queue's actions
// follow their own routes.
register('reconciliation', {
  title: 'nav.reconciliation',
  auth: 'user',
  needs: 'GET /bo/api/reconciliation',
  render: reconciliation.render,
});
register('contracts', {
  title: 'nav.contracts',
  auth: 'user',
  needs: 'GET /bo/api/contracts',
  render: contracts.render,
});
// The merchant API's error log (Ingenico 3.2.10): whoever searches the shops' transactions.
register('api-errors', {
  title: 'nav.api-errors',
  auth: 'user',
  needs: 'GET /bo/api/api-errors',
  render: apiErrors.render,
});
register('users', {
  title: 'nav.users',
  auth: 'user',
  needs: 'GET /bo/api/users',
  render: users.render,
});
// Parameters › Card blocklist (Vision manual §9.3): read by consultation, action and admin;
// adding and removing follow their own routes.
register('blocklist', {
  title: 'nav.blocklist',
  auth: 'user',
  needs: 'GET /bo/api/blocklist',
  render: blocklist.render,
});
register('hmac-keys', {
  title: 'nav.hmac-keys',
  auth: 'user',
  needs: 'GET /bo/api/hmac-keys',
  notices: true, // shows Home's warnings itself, beside the keys they are about
  render: hmacKeys.render,
});
// The link mailed with a new HMAC key: works signed out (its token is the secret).
register('hmac-activate', {
  title: 'hmac.activate.title',
  auth: 'none',
  bare: true,
  render: hmacActivate.render,
});
// Manual entry, the virtual terminal (SPEC §10): the entry operator's landing page.
register('virtual-terminal', {
  title: 'nav.virtual-terminal',
  auth: 'user',
  needs: 'POST /bo/api/manual-entries',
  render: virtualTerminal.render,
});
// Batch › Fichiers d'ordres (issue 15): the files of payment orders, #/order-files/ID a file.
register('order-files', {
  title: 'nav.order-files',
  auth: 'user',
  needs: 'GET /bo/api/order-files',
  render: orderFiles.render,
});
register('actions', {
  title: 'nav.actions',
  auth: 'user',
  needs: 'GET /bo/api/actions',
  render: actions.render,
});
// Parameters › General configuration and Subscribed options (Vision manual §9.1.1, §9.1.2),
// #/ROUTE/SHOP; the Store (§12) and the contact form (§2.3.1) from the top bar.
register('settings', {
  title: 'nav.settings',
  auth: 'user',
  needs: 'GET /bo/api/shops/{id}/settings',
  render: settings.render,
});
register('options', {
  title: 'nav.options',
  auth: 'user',
  needs: 'GET /bo/api/shops/{id}/options',
  render: settings.renderOptions,
});
// Parameters › Payment page: a shop's template of the hosted payment page, #/page-theme/SHOP.
register('page-theme', {
  title: 'nav.page-theme',
  auth: 'user',
  needs: 'GET /bo/api/shops/{id}/page-theme',
  render: pageTheme.render,
});
register('store', { title: 'nav.store', auth: 'user', needs: 'GET /bo/api/shops/{id}/store', render: store.render });
register('contact', { title: 'nav.contact', auth: 'user', needs: 'GET /bo/api/contact', render: contact.render });
register('mails', {
  title: 'nav.mails',
  auth: 'user',
  needs: 'GET /bo/api/mails',
  render: mails.render,
});
// The daily push reports (docs/EREPORTING.md): #/push-reports the runs, #/push-reports/TOKEN a
// link's file.
register('push-reports', {
  title: 'nav.push-reports',
  auth: 'user',
  needs: 'GET /bo/api/push-reports',
  render: pushReports.render,
});
// Create production account (Ingenico guide §3.2.9), from the account page of a test session.
register('production-account', {
  title: 'prodacct.title',
  auth: 'user',
  needs: 'POST /bo/api/environment/production-account',
  render: productionAccount.render,
});

boot();
start(show);
