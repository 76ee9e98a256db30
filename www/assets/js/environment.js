// environment.js - the environment a session is signed in to (SPEC §16.1; issue 15;
// docs/ENVIRONMENTS.md): production or test. The sign-in form offers the choice, and every
// page of a test session says so unmistakably: a banner above the page and another colour for
// the top bar (the <html> element's data-environment, environment.css).

import { h } from './dom.js';
import { t } from './i18n.js';

const KEY = 'guichet.environment'; // the one last chosen in this browser

let current = null; // 'production', 'test', or null when nobody is signed in

/** The environment of the session, as GET /bo/api/session said it (null: none). */
export function environment() {
  return current;
}

/** Keeps the session's environment and colours the pages with it. */
export function setEnvironment(env) {
  current = env === 'test' || env === 'production' ? env : null;
  if (current) document.documentElement.dataset.environment = current;
  else delete document.documentElement.dataset.environment;
}

function savedChoice() {
  try {
    return localStorage.getItem(KEY) === 'test' ? 'test' : 'production';
  } catch {
    return 'production';
  }
}

/**
 * The sign-in form's choice: two radio buttons, production first and chosen unless this
 * browser last chose test. value() gives what to send as "environment"; remember() keeps it.
 */
export function environmentChoice() {
  const chosen = savedChoice();
  const radio = (value) =>
    h(
      'label',
      { class: `env-option env-option--${value}` },
      h('input', {
        type: 'radio',
        name: 'environment',
        value,
        id: `signin-env-${value}`,
        checked: value === chosen,
      }),
      ' ',
      t(`env.${value}`),
    );
  const node = h(
    'fieldset',
    { class: 'field env-choice', id: 'signin-environment' },
    h('legend', {}, t('env.choose')),
    radio('production'),
    radio('test'),
  );
  const value = () => (node.querySelector('input[value="test"]').checked ? 'test' : 'production');
  return {
    node,
    value,
    remember() {
      try {
        localStorage.setItem(KEY, value());
      } catch {
        // storage refused: chosen again next time
      }
    },
  };
}

/** The banner above every page of a test session; null in production. */
export function environmentBanner() {
  if (current !== 'test') return null;
  return h(
    'div',
    { class: 'env-banner', id: 'env-banner', role: 'note' },
    h('strong', {}, t('env.banner.title')),
    ' ',
    t('env.banner.text'),
  );
}
